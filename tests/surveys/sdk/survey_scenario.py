"""The SDK's survey scenario (``pip install tingting==1.0.1``), run by the SDK's own interpreter.

Started by tests/surveys/test_survey_sdk.py in the SDK's virtualenv: imports nothing of the
project (the SDK's import name ``tingting`` is the project's too). Usage:
``python survey_scenario.py BASE_URL TOKEN AUDIO_PATH``. Creates a SURVEY campaign without
steps, then one with four steps (one of them an uploaded audio file), adds three contacts,
tests the survey on the first one, waits for that call to end, runs the survey, and prints
what the SDK saw as JSON.
"""

import json
import sys
import time

import requests

from tingting import (
    Campaign,
    Contact,
    Services,
    SurveyContentType,
    SurveyResponseType,
    SurveyStep,
    TingTingClient,
)

NUMBERS = ["+9779841000120", "+9779841000357", "+9779841000448"]


def contact_statuses(client: TingTingClient, campaign_id: int) -> dict:
    page = client.get_data(f"api/v1/campaign-detail/{campaign_id}/", {"limit": 100})
    return {row["number"]: row["status"] for row in page["results"]}


def main(base_url: str, token: str, audio_path: str) -> dict:
    client = TingTingClient(base_url, token)
    # A survey created without steps (the SDK then posts its form with no ``steps`` field).
    empty = Campaign(client=client, name="SDK empty survey", services=Services.SURVEY, message="")
    empty.create()
    campaign = Campaign(client=client, name="SDK survey", services=Services.SURVEY, message="")
    campaign.add_survey_step(
        SurveyStep(
            client,
            contentType=SurveyContentType.SAY,
            textOrUrl="Press 1 if you are happy, 2 if not.",
            responseType=SurveyResponseType.DTMF,
            inputName="happy",
        )
    )
    with open(audio_path, "rb") as audio:  # noqa: PTH123 - the SDK takes an open file
        campaign.add_survey_step(
            SurveyStep(
                client,
                contentType=SurveyContentType.PLAY,
                responseType=SurveyResponseType.DTMF,
                inputName="rating",
                audioFile=audio,
            )
        )
        campaign.add_survey_step(
            SurveyStep(
                client,
                contentType=SurveyContentType.SAY,
                textOrUrl="Tell us more after the beep.",
                responseType=SurveyResponseType.SPEECH,
                inputName="comment",
            )
        )
        # The SDK's defaults (dtmf, "field_1") on an info step: it never waits anyway.
        campaign.add_survey_step(SurveyStep(client, contentType=SurveyContentType.INFO, textOrUrl="Thank you."))
        campaign.create()
    steps = client.get_survey_steps(campaign)
    contacts = [campaign.add_contact(Contact(client=client, phoneNumber=number)) for number in NUMBERS]

    contacts[0].test_survey()
    deadline = time.monotonic() + 120
    while contact_statuses(client, campaign.id)[NUMBERS[0]] not in ("completed", "hungup", "unanswered", "failed"):
        if time.monotonic() > deadline:
            raise SystemExit("the test call did not end")
        time.sleep(0.5)
    campaign.run()
    deadline = time.monotonic() + 180
    while any(
        status in ("not started", "ringing", "dialing", "answered")
        for status in contact_statuses(client, campaign.id).values()
    ):
        if time.monotonic() > deadline:
            raise SystemExit("the survey did not end")
        time.sleep(0.5)
    report = requests.get(
        f"{base_url}/api/v1/download/survey/{campaign.id}/report/",
        params={"format": "json"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    report.raise_for_status()
    csv_report = requests.get(
        f"{base_url}/api/v1/download/survey/{campaign.id}/report/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    csv_report.raise_for_status()
    return {
        "empty": {"id": empty.id, "steps": [s.inputName for s in client.get_survey_steps(empty)]},
        "campaign": {"id": campaign.id, "services": campaign.services.value, "status": campaign.status.value},
        "steps": [[s.order, s.contentType, s.responseType, s.inputName, bool(s.audioFile)] for s in steps],
        "contacts": [[c.id, c.phoneNumber] for c in contacts],
        "statuses": contact_statuses(client, campaign.id),
        "report": report.json(),
        "csv": csv_report.text,
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
