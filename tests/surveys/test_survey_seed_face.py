"""The seed face's report shows a survey's answers as extra columns."""

import csv
import io

import pytest
from django.utils import timezone

from surveys.models import SurveyAnswer
from tests.support.surveys import survey_run

pytestmark = pytest.mark.django_db

DOWNLOAD = "/api/system/campaigns/report/download"


def _answers(campaign, attempts):
    now = timezone.now()
    first = attempts[0]
    common = {"campaign": campaign, "attempt": first, "recipient_id": first.recipient_id, "answered_at": now}
    SurveyAnswer.objects.create(**common, step_order=0, input_name="q1", response_type="dtmf", digits="0")
    SurveyAnswer.objects.create(
        **common,
        step_order=2,
        input_name="comment",
        response_type="raw_record",
        recording_url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        recording_seconds=4,
    )


def test_seed_report_has_a_column_per_answer(auth_client, user, settings):
    settings.TTS_BACKEND = "tingting.providers.tts_silence.SilenceTtsBackend"
    campaign, _, attempts = survey_run(user, numbers=["+9779841000010", "+9779841000020"])
    _answers(campaign, attempts)
    response = auth_client.get(DOWNLOAD, {"campaign_id": campaign.pk, "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert list(rows[0])[-4:] == ["survey_q1", "survey_rating", "survey_comment", "survey_comment_seconds"]
    by_number = {row["number"]: row for row in rows}
    answered, silent = by_number["9841000010"], by_number["9841000020"]
    assert (answered["survey_q1"], answered["survey_rating"], answered["survey_comment_seconds"]) == ("0", "", "4")
    assert answered["survey_comment"].endswith("/Recordings/RE1")
    assert (silent["survey_q1"], silent["survey_comment"]) == ("", "")


def test_seed_report_of_other_campaigns_is_unchanged(auth_client, user):
    from tests.support.factories_campaigns import campaign_with_recipients

    campaign = campaign_with_recipients(user, 2, services="PHONE")
    response = auth_client.get(DOWNLOAD, {"campaign_id": campaign.pk, "format": "csv"})
    header = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert "survey_" not in header


def test_seed_number_list_carries_each_recipients_answers(auth_client, user, settings, django_assert_num_queries):
    settings.TTS_BACKEND = "tingting.providers.tts_silence.SilenceTtsBackend"
    campaign, _, attempts = survey_run(user, numbers=["+9779841000010", "+9779841000020"])
    _answers(campaign, attempts)
    body = auth_client.get(f"/api/system/campaigns/number/{campaign.pk}").json()
    first, second = body["data"]["number-lists"]
    assert first["survey_answers"] == {
        "survey_q1": "0",
        "survey_rating": None,
        "survey_comment": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        "survey_comment_seconds": 4,
    }
    assert set(second["survey_answers"].values()) == {None}
    assert first["number"] == 9841000010 and first["status"] == "not started"


def test_seed_number_list_queries_do_not_grow_with_survey_answers(auth_client, user, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.TTS_BACKEND = "tingting.providers.tts_silence.SilenceTtsBackend"
    counts = []
    for size in (1, 30):
        campaign, _, attempts = survey_run(user, numbers=[f"+97798410{i:05d}" for i in range(size)])
        _answers(campaign, attempts)
        with CaptureQueriesContext(connection) as captured:
            assert auth_client.get(f"/api/system/campaigns/number/{campaign.pk}").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
