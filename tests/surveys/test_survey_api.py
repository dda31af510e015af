"""The survey endpoints of the v1 face, from the client's side (docs/api/API_CONTRACT_V1.md §5)."""

import csv
import io
import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from campaigns.models import Run
from surveys.models import SurveyAnswer, SurveyStep
from tests.support.campaign_helpers import upload, wav_upload
from tests.support.surveys import STEPS, survey_campaign
from tests.support.twilio import PUBLIC

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("silent_tts")]


def steps_url(campaign) -> str:
    return f"/api/v1/campaign/create/{campaign.pk}/survey/"


def test_steps_start_empty_and_json_replaces_them(auth_client, survey):
    assert auth_client.get(steps_url(survey)).json() == {"results": []}
    response = auth_client.post(steps_url(survey), {"steps": [STEPS[0], STEPS[3]]}, format="json")
    assert response.status_code == 200, response.json()
    first, last = response.json()["results"]
    assert first == {
        "id": SurveyStep.objects.get(campaign=survey, order=0).pk,
        "survey": survey.pk,
        "order": 0,
        "content_type": "say",
        "text_or_url": STEPS[0]["text_or_url"],
        "response_type": "dtmf",
        "input_name": "q1",
        "audio_file": None,
        "audio_seconds": None,
        "timeout": 5,
        "max_digits": 1,
        "max_record_seconds": 30,
        "retries": 0,
    }
    assert (last["order"], last["content_type"], last["response_type"], last["input_name"]) == (1, "info", "none", "")
    assert auth_client.get(steps_url(survey).rstrip("/")).json() == response.json()


def test_multipart_with_a_json_steps_field_and_a_file_per_index(auth_client, survey):
    body = {"steps": json.dumps(STEPS[:2]), "1": wav_upload(2.5)}
    response = auth_client.put(steps_url(survey), body, format="multipart")
    assert response.status_code == 200, response.json()
    played = response.json()["results"][1]
    assert played["audio_file"].startswith(f"{PUBLIC}/media/survey-audio/") and played["audio_seconds"] == 2.5


def test_without_a_public_base_url_step_audio_is_linked_on_the_host_asked(auth_client, survey, settings):
    """As the report's recordings: the development server (README command 1) has no PUBLIC_BASE_URL."""
    settings.PUBLIC_BASE_URL = ""
    response = auth_client.put(steps_url(survey), {"steps": json.dumps(STEPS[:2]), "1": wav_upload(1.0)})
    played = response.json()["results"][1]["audio_file"]
    assert played.startswith("http://testserver/media/survey-audio/")
    assert auth_client.get(steps_url(survey)).json()["results"][1]["audio_file"] == played


def test_the_sdk_form_of_one_python_literal_per_step(auth_client, survey):
    """What ``tingting`` 1.0.1 posts: the campaign as form fields, ``str(step.json())`` per step."""
    sdk_steps = [
        {
            "id": "3f0c6a52-1f7e-4a57-9a55-8a0ad8b2a3f4",
            "survey": None,
            "order": index,
            "content_type": step["content_type"],
            "text_or_url": step.get("text_or_url", ""),
            "response_type": step["response_type"],
            "input_name": step.get("input_name", "field_1"),
            "audio_file": None,
        }
        for index, step in enumerate(STEPS)
    ]
    body = {"name": "Survey", "services": "SURVEY", "steps": [str(s) for s in sdk_steps], "1": wav_upload(1.0)}
    response = auth_client.post(steps_url(survey), body, format="multipart")
    assert response.status_code == 200, response.json()
    got = [(s["content_type"], s["response_type"], s["input_name"]) for s in response.json()["results"]]
    assert got == [
        ("say", "dtmf", "q1"),
        ("play", "dtmf", "rating"),
        ("say", "raw_record", "comment"),
        ("info", "none", ""),
    ]


# What tingting 1.0.1 posts for a campaign without steps: its fields, and no ``steps`` at all
# (requests drops an empty list from a form); without files the form is urlencoded.
SDK_CAMPAIGN_FORM = {
    "name": "SDK survey",
    "services": "SURVEY",
    "status": "Not Started",
    "sms_message": "default sms message",
    "message": "",
    "description": "default description",
    "category": "Text",
    "campaign_action_count": "0",
    "progress_percent": "0",
    "credit_limit": "0",
    "draft": "False",
    "length_factor": "1",
}


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_an_sdk_form_without_steps_means_no_steps(auth_client, survey, encoding):
    auth_client.post(steps_url(survey), {"steps": [STEPS[0]]}, format="json")
    if encoding == "urlencoded":
        response = auth_client.post(
            steps_url(survey), urlencode(SDK_CAMPAIGN_FORM), content_type="application/x-www-form-urlencoded"
        )
    else:
        response = auth_client.post(steps_url(survey), SDK_CAMPAIGN_FORM, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json() == {"results": []}
    assert not SurveyStep.objects.filter(campaign=survey).exists()


@pytest.mark.parametrize(
    "literal",
    ["__import__('os').system('true')", "[1, 2]", "{'a': {'nested': 1}}", "{'a': (1, 2)}", "(" * 500 + ")" * 500],
)
def test_a_step_literal_that_is_not_a_flat_dict_is_400(auth_client, survey, literal):
    response = auth_client.post(steps_url(survey), {"steps": [str(STEPS[0]), literal]}, format="multipart")
    assert response.status_code == 400
    assert list(response.json()["steps"]) == ["1"]
    assert not SurveyStep.objects.exists()


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ({"content_type": "say", "text_or_url": "x", "response_type": "dtmf"}, "input_name"),
        ({"content_type": "play", "response_type": "none"}, "audio_file"),
        ({"content_type": "sing", "text_or_url": "x"}, "content_type"),
        ({"content_type": "say", "text_or_url": "x", "timeout": 0}, "timeout"),
        ({"content_type": "say"}, "text_or_url"),
    ],
)
def test_each_bad_step_is_400_naming_steps_n_field(auth_client, survey, step, field):
    response = auth_client.post(steps_url(survey), {"steps": [STEPS[0], step]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["steps"] and list(body["steps"]) == ["1"] and list(body["steps"]["1"]) == [field]
    assert isinstance(body["steps"]["1"][field][0], str)


def test_bad_audio_is_415_and_missing_steps_400(auth_client, survey):
    response = auth_client.post(
        steps_url(survey),
        {"steps": '[{"content_type": "play"}]', "0": upload("x.wav", b"MZ\x90\x00")},
        format="multipart",
    )
    assert response.status_code == 415
    assert auth_client.post(steps_url(survey), {}, format="json").status_code == 400
    assert auth_client.post(steps_url(survey), {"steps": "{not json"}, format="json").status_code == 400
    assert auth_client.post(steps_url(survey), {"steps": {"a": 1}}, format="json").status_code == 400


def test_delete_removes_the_steps(auth_client, survey):
    auth_client.post(steps_url(survey), {"steps": [STEPS[0]]}, format="json")
    assert auth_client.delete(steps_url(survey)).status_code == 204
    assert auth_client.get(steps_url(survey)).json() == {"results": []}


def test_another_accounts_survey_is_404(other_client, survey):
    for method in ("get", "post", "put", "delete"):
        response = getattr(other_client, method)(steps_url(survey), {"steps": [STEPS[0]]}, format="json")
        assert response.status_code == 404 and "detail" in response.json()
    assert other_client.post(f"/api/v1/run-survey/{survey.pk}/").status_code == 404
    assert other_client.get(f"/api/v1/download/survey/{survey.pk}/report/").status_code == 404


def test_steps_cannot_change_while_the_survey_runs(auth_client, user, survey):
    Run.objects.create(campaign=survey, owner=user, state="running", kind="voice", content="message")
    response = auth_client.post(steps_url(survey), {"steps": [STEPS[0]]}, format="json")
    assert response.status_code == 409 and "detail" in response.json()


def test_run_survey_begins_once_and_test_survey_calls_one_contact(auth_client, user, purge_broker):
    campaign = survey_campaign(user, recipients=3)
    assert auth_client.post(f"/api/v1/run-survey/{campaign.pk}/").status_code == 400  # no steps yet
    auth_client.post(steps_url(campaign), {"steps": [STEPS[0]]}, format="json")
    response = auth_client.post(f"/api/v1/run-survey/{campaign.pk}/", {}, format="json")
    assert response.status_code == 200 and response.json() == {"message": "Campaign Began Successfully!!"}
    run = Run.objects.get(campaign=campaign)
    assert (run.total, run.kind) == (3, "voice") and run.hold_amount > 0
    assert auth_client.post(f"/api/v1/run-survey/{campaign.pk}").status_code == 409
    Run.objects.filter(pk=run.pk).update(finished_at=timezone.now(), state="completed")
    contact = campaign.recipients.order_by("id").first()
    response = auth_client.post(f"/api/v1/test-survey/{contact.pk}/")
    assert response.status_code == 200, response.json()
    test_run = Run.objects.filter(campaign=campaign).order_by("-id").first()
    assert test_run.total == 1 and test_run.attempts.get().recipient_id == contact.pk


def test_run_survey_scheduled_answers_the_bikram_sambat_date_as_run_campaign_does(auth_client, user):
    campaign = survey_campaign(user, recipients=2, schedule=datetime(2030, 1, 2, 4, 15, tzinfo=UTC))
    auth_client.post(steps_url(campaign), {"steps": [STEPS[0]]}, format="json")
    response = auth_client.post(f"/api/v1/run-survey/{campaign.pk}/")
    assert response.status_code == 200
    # 2030-01-02 10:00 in Nepal is 2086-09-18 in Bikram Sambat.
    assert response.json() == {"message": "Campaign Scheduled successfully for 2086-09-18 at 10:00:00"}
    assert Run.objects.get(campaign=campaign).state == Run.State.SCHEDULED


def _answered(user, count):
    from tests.support.surveys import survey_run

    campaign, _, attempts = survey_run(user, numbers=[f"+97798410{i:05d}" for i in range(count)])
    now = timezone.now()
    for index, attempt in enumerate(attempts):
        common = {"campaign": campaign, "attempt": attempt, "recipient_id": attempt.recipient_id, "answered_at": now}
        SurveyAnswer.objects.create(
            **common, step_order=0, input_name="q1", response_type="dtmf", digits=str(index % 10)
        )
        SurveyAnswer.objects.create(
            **common,
            step_order=2,
            input_name="comment",
            response_type="raw_record",
            recording_url="https://x/RE",
            recording_seconds=2,
        )
    return campaign


def test_report_csv_and_json_say_the_same(auth_client, user):
    campaign = _answered(user, 3)
    url = f"/api/v1/download/survey/{campaign.pk}/report/"
    as_json = auth_client.get(url, {"format": "json"}).json()
    assert as_json["columns"] == ["number", "status", "duration", "q1", "rating", "comment", "comment_seconds"]
    assert as_json["count"] == 3
    assert as_json["results"][1] == {
        "number": "+9779841000001",
        "status": "not started",
        "duration": None,
        "q1": "1",
        "rating": None,
        "comment": "https://x/RE",
        "comment_seconds": 2,
    }
    response = auth_client.get(url)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row["q1"] for row in rows] == [r["q1"] for r in as_json["results"]]
    assert rows[1]["comment_seconds"] == "2" and rows[1]["rating"] == ""


@pytest.mark.parametrize("value", ["xml", "xlsx", "json\x00"])
def test_report_in_an_unknown_format_is_400_naming_the_choices(auth_client, user, value):
    campaign = _answered(user, 1)
    response = auth_client.get(f"/api/v1/download/survey/{campaign.pk}/report/", {"format": value})
    assert response.status_code == 400
    assert "use one of: csv, json" in response.json()["format"][0]


def test_report_format_is_read_in_any_case(auth_client, user):
    campaign = _answered(user, 1)
    response = auth_client.get(f"/api/v1/download/survey/{campaign.pk}/report/", {"format": "JSON"})
    assert response.status_code == 200 and response.json()["count"] == 1


def test_report_query_count_does_not_grow(auth_client, user, django_assert_num_queries):
    small, big = _answered(user, 1), _answered(user, 40)
    counts = []
    for campaign in (small, big):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert (
                auth_client.get(f"/api/v1/download/survey/{campaign.pk}/report/", {"format": "json"}).status_code == 200
            )
        counts.append(len(captured))
    assert counts[0] == counts[1]
