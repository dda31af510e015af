"""A survey run through the engine with a real Celery worker and the simulated
backend: every contact final, each answered step stored, charged as calls by
duration, the report saying what was stored."""

import csv
import io
import json
import math
from collections import Counter

import pytest

from campaigns.models import Attempt, Run
from surveys.models import SurveyAnswer
from surveys.services.run import survey_begin
from surveys.services.script import script_for_run
from tests.support.campaign_helpers import wav_upload
from tests.support.clients import client_for
from tests.support.factories_campaigns import add_recipients
from tests.support.runs_checks import assert_settled, wait_finished
from tests.support.surveys import STEPS, survey_campaign
from tests.support.twilio import PUBLIC
from tests.support.workers import running_worker
from tingting.errors import InvalidInputError
from tingting.providers import reset_backends
from tingting.providers.scripts import script_longest_seconds, script_seconds

SILENCE = "tingting.providers.tts_silence.SilenceTtsBackend"


@pytest.fixture
def survey_worker(transactional_db, purge_broker, settings, tmp_path):
    settings.TTS_BACKEND = SILENCE
    reset_backends()
    env = {"MEDIA_ROOT": str(tmp_path), "PUBLIC_BASE_URL": PUBLIC, "TTS_BACKEND": SILENCE}
    with running_worker(env=env) as worker:
        yield worker
    reset_backends()


def test_a_200_contact_survey_runs_to_the_end_with_every_answer_stored(survey_worker, user):
    client = client_for(user)
    campaign = survey_campaign(user)
    add_recipients(campaign, 200)
    body = {"steps": json.dumps(STEPS), "1": wav_upload(2.0)}
    steps_url = f"/api/v1/campaign/create/{campaign.pk}/survey/"
    assert client.post(steps_url, body, format="multipart").status_code == 200
    response = client.post(f"/api/v1/run-survey/{campaign.pk}/")
    assert response.status_code == 200 and response.json() == {"message": "Campaign Began Successfully!!"}
    run = Run.objects.get(campaign=campaign)
    # Held: each contact's longest possible call (every wait in full) in started pulses.
    longest = script_longest_seconds(script_for_run(run))
    assert longest > script_seconds(script_for_run(run)) > 0
    assert run.hold_amount == 200 * math.ceil(longest / run.pulse_seconds)
    run = wait_finished(run, timeout=180)
    statuses = assert_settled(run, user)
    assert statuses == Counter({"completed": 140, "hungup": 20, "unanswered": 20, "failed": 20})

    attempts = {a.recipient_id: a for a in Attempt.objects.filter(run=run).select_related("recipient")}
    answers = Counter(SurveyAnswer.objects.filter(campaign=campaign).values_list("recipient_id", flat=True))
    for recipient_id, attempt in attempts.items():
        expected = {"completed": 3, "hungup": 1}.get(attempt.status, 0)  # hungup: the first half of 3 questions
        assert answers[recipient_id] == expected, (attempt.recipient.number, attempt.status)
        # Charged as a call by its duration, from the survey's hold.
        if attempt.status in ("completed", "hungup"):
            assert attempt.charged + attempt.extra_charged == math.ceil(attempt.duration / run.pulse_seconds)
        else:
            assert attempt.charged == 0
    recordings = SurveyAnswer.objects.filter(campaign=campaign, input_name="comment")
    assert recordings.count() == 140 and all(r.recording and r.recording_seconds == 3 for r in recordings)

    # The reports: one row per contact, each input name's stored answer; CSV and JSON alike.
    report_url = f"/api/v1/download/survey/{campaign.pk}/report/"
    as_json = client.get(report_url, {"format": "json"}).json()
    assert as_json["columns"] == ["number", "status", "duration", "q1", "rating", "comment", "comment_seconds"]
    rows = {row["number"]: row for row in as_json["results"]}
    assert len(rows) == as_json["count"] == 200
    for answer in SurveyAnswer.objects.filter(campaign=campaign).select_related("recipient"):
        row = rows[answer.recipient.number]
        if answer.response_type == "dtmf":
            assert row[answer.input_name] == answer.digits
        else:
            assert row["comment"] == f"{PUBLIC}/media/{answer.recording.name}"
            assert row["comment_seconds"] == 3
    silent = [row for row in rows.values() if row["status"] in ("unanswered", "failed")]
    assert len(silent) == 40 and all(row["q1"] is None and row["comment"] is None for row in silent)
    as_csv = list(csv.DictReader(io.StringIO(b"".join(client.get(report_url).streaming_content).decode("utf-8-sig"))))
    assert [{k: v or None for k, v in row.items()} for row in as_csv] == [
        {k: (None if v is None else str(v)) for k, v in row.items()} for row in as_json["results"]
    ]


def test_a_survey_without_steps_does_not_begin(db, user):
    campaign = survey_campaign(user, recipients=3)
    with pytest.raises(InvalidInputError) as info:
        survey_begin(user=user, campaign_id=campaign.pk)
    assert info.value.errors[0].field == "steps"
