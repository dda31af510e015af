"""Issue 23's acceptance: the official SDK (``tingting==1.0.1``), unchanged, creates a SURVEY
campaign with steps and an audio file, tests it on one contact and runs it, against a live
server and a real Celery worker; the report shows each contact's key presses and recordings."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from campaigns.models import Recipient, Run
from surveys.models import SurveyAnswer, SurveyStep
from tests.support.audio import wav_file
from tests.support.factories import UserFactory
from tests.support.workers import running_worker
from v1.services.tokens import token_generate

SCENARIO = Path(__file__).parent / "sdk" / "survey_scenario.py"
SILENCE = "tingting.providers.tts_silence.SilenceTtsBackend"


@pytest.fixture
def survey_server(transactional_db, purge_broker, live_server, settings, tmp_path):
    """The live server and a worker sharing MEDIA_ROOT, PUBLIC_BASE_URL and the TTS backend."""
    from tingting.providers import reset_backends

    settings.MEDIA_ROOT, settings.PUBLIC_BASE_URL, settings.TTS_BACKEND = tmp_path, live_server.url, SILENCE
    reset_backends()
    env = {"MEDIA_ROOT": str(tmp_path), "PUBLIC_BASE_URL": live_server.url, "TTS_BACKEND": SILENCE}
    with running_worker(env=env):
        yield live_server
    reset_backends()


def test_the_sdk_survey_scenario(sdk_python, survey_server, tmp_path):
    user = UserFactory(credits=10_000)
    _, token = token_generate(user=user)
    audio = tmp_path / "question.wav"
    audio.write_bytes(wav_file(2.0))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONNOUSERSITE": "1"}
    result = subprocess.run(  # noqa: S603 - our interpreter and script
        [str(sdk_python), str(SCENARIO), survey_server.url, token, str(audio)],
        capture_output=True,
        text=True,
        timeout=400,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = json.loads(result.stdout)

    # A survey created without steps: the SDK's form has no steps field, which means none.
    assert out["empty"]["steps"] == [] and not SurveyStep.objects.filter(campaign_id=out["empty"]["id"]).exists()
    campaign_id = out["campaign"]["id"]
    assert out["campaign"]["services"] == "SURVEY"
    assert out["steps"] == [
        [0, "say", "dtmf", "happy", False],
        [1, "play", "dtmf", "rating", True],
        [2, "say", "raw_record", "comment", False],
        [3, "info", "none", "", False],
    ]
    played = SurveyStep.objects.get(campaign_id=campaign_id, order=1)
    assert played.audio_seconds == 2.0 and played.audio_file.read() == wav_file(2.0)

    # The test call was a run of the first contact alone; the survey run called the other two.
    runs = list(Run.objects.filter(campaign_id=campaign_id).order_by("id"))
    assert [run.total for run in runs] == [1, 2] and all(run.finished_at for run in runs)
    assert out["statuses"] == {
        "+9779841000120": "completed",
        "+9779841000357": "hungup",
        "+9779841000448": "unanswered",
    }

    # Answers as the simulated backend gives them for these numbers, in the report as stored.
    rows = {row["number"]: row for row in out["report"]["results"]}
    assert out["report"]["columns"] == ["number", "status", "duration", "happy", "rating", "comment", "comment_seconds"]
    first = rows["+9779841000120"]
    assert (first["happy"], first["rating"], first["comment_seconds"]) == ("6", "9", 3)
    assert first["comment"].startswith(f"{survey_server.url}/media/survey-recordings/")
    assert (rows["+9779841000357"]["happy"], rows["+9779841000357"]["rating"]) == ("5", None)
    assert rows["+9779841000448"]["happy"] is None
    for answer in SurveyAnswer.objects.filter(campaign_id=campaign_id).select_related("recipient"):
        value = rows[answer.recipient.number][answer.input_name]
        assert value == (answer.digits if answer.response_type == "dtmf" else value)
    csv_rows = list(csv.DictReader(io.StringIO(out["csv"].lstrip("\ufeff"))))
    assert [(r["number"], r["happy"], r["rating"]) for r in csv_rows] == [
        (n, rows[n]["happy"] or "", rows[n]["rating"] or "") for n in rows
    ]
    assert Recipient.objects.filter(campaign_id=campaign_id).count() == 3
    user.refresh_from_db()
    assert user.credits_held == 0 and user.credits < 10_000
