"""Surveys on Twilio: the TwiML of each step, the signed action and recording
callbacks that collect answers and answer the next step, against the local fake
Twilio over real HTTP."""

import re
from contextlib import nullcontext
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from campaigns.models import Attempt, Run
from surveys.models import SurveyAnswer
from surveys.services.answers import answer_fetch_recording, recordings_sweep
from surveys.services.script import script_for_run
from tests.support.audio import wav_file
from tests.support.broker import broker_down, published
from tests.support.fake_vendors import TWILIO_SID, TWILIO_TOKEN
from tests.support.surveys import STEPS, survey_run
from tests.support.twilio import PUBLIC, SILENT_TTS, VOICE, callback, twilio_configured
from tingting.models import TtsRender
from tingting.providers import voice_backend
from tingting.providers.base import OutboundCall, ProviderPermanentError
from tingting.providers.scripts import script_seconds
from tingting.voice.render import render_audio_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def twilio(settings):
    with twilio_configured(settings, PROVIDER_TIMEOUT_SECONDS=2, VOICE_BACKEND=VOICE, TTS_BACKEND=SILENT_TTS) as fake:
        yield fake


@pytest.fixture
def placed(twilio, user):
    """One survey call placed through Twilio: (run, attempt, Call SID)."""
    _, run, (attempt,) = survey_run(user, numbers=["+9779841000010"])
    script = script_for_run(run)
    call = OutboundCall(
        to="+9779841000010",
        reference=attempt.reference,
        audio_url=script[0].audio_url,
        audio_seconds=script_seconds(script),
        caller_id="+15005550007",
        script=script,
    )
    submission = voice_backend().place_call(call)
    Attempt.objects.filter(pk=attempt.pk).update(status="ringing", provider_id=submission.provider_id)
    return run, attempt, submission.provider_id


def prompt_url(text: str) -> str:
    return render_audio_url(TtsRender.objects.get(text=text))


def actions(twiml: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in re.findall(r'action="([^"]+)"', twiml)]


def step_of(url: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(url).query)
    return query["step"][0], query["tries"][0]


def act(client, url: str, sid: str, **params):
    response = callback(client, url, {"CallSid": sid, "AccountSid": TWILIO_SID, **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    return response.content.decode()


def test_the_call_starts_with_the_first_question_rendered_by_our_tts(placed, twilio):
    _, attempt, _ = placed
    (request,) = twilio.posts()
    twiml = request["form"]["Twiml"][0]
    action = f"{PUBLIC}/webhooks/twilio/voice/step/?ref=attempt%3A{attempt.pk}&amp;step=0&amp;tries=0"
    assert twiml == (
        f'<Response><Gather input="dtmf" numDigits="1" timeout="5" actionOnEmptyResult="true" action="{action}" '
        f'method="POST"><Play>{prompt_url(STEPS[0]["text_or_url"])}</Play></Gather></Response>'
    )
    assert "<Say" not in twiml
    assert prompt_url(STEPS[0]["text_or_url"]).startswith(f"{PUBLIC}/audio/tts/")
    assert request["form"]["StatusCallback"] == [f"{PUBLIC}/webhooks/twilio/voice/?ref=attempt%3A{attempt.pk}"]


def test_each_action_stores_the_answer_and_answers_the_next_step(placed, twilio, client):
    run, attempt, sid = placed
    first = actions(twilio.posts()[0]["form"]["Twiml"][0])[0]
    twiml = act(client, first, sid, Digits="1")
    # Step 1 plays the uploaded audio inside a two-digit Gather with its own timeout.
    upload = run.campaign.survey_steps.get(order=1).audio_file
    assert f"<Play>{PUBLIC}/media/{upload.name}</Play>" in twiml
    assert '<Gather input="dtmf" numDigits="2" timeout="7" actionOnEmptyResult="true"' in twiml
    assert step_of(actions(twiml)[0]) == ("1", "0")
    twiml = act(client, actions(twiml)[0], sid, Digits="42")
    # Step 2 speaks its prompt, then records with its limits and a recording callback.
    recording_cb = f"{PUBLIC}/webhooks/twilio/voice/recording/?ref=attempt%3A{attempt.pk}&amp;step=2"
    assert twiml.startswith(f"<Response><Play>{prompt_url(STEPS[2]['text_or_url'])}</Play><Record ")
    assert 'maxLength="20" timeout="5" playBeep="true"' in twiml
    assert f'recordingStatusCallback="{recording_cb}"' in twiml
    assert re.search(r"<Redirect method=\"POST\">[^<]*step=2&amp;tries=0</Redirect></Response>$", twiml)
    rec_sid, rec_url = twilio.add_recording(wav_file(3.0))
    twiml = act(
        client,
        actions(twiml)[0],
        sid,
        RecordingUrl=rec_url,
        RecordingSid=rec_sid,
        RecordingDuration="3",
        Digits="hangup",
    )
    # The last step informs and the call hangs up.
    assert twiml == f"<Response><Play>{prompt_url(STEPS[3]['text_or_url'])}</Play><Hangup/></Response>"
    rows = list(SurveyAnswer.objects.filter(attempt=attempt))
    assert [(r.input_name, r.digits, r.recording_url, r.recording_sid, r.recording_seconds) for r in rows] == [
        ("q1", "1", "", "", None),
        ("rating", "42", "", "", None),
        ("comment", "", rec_url, rec_sid, 3),
    ]
    # The recording is copied into our storage from Twilio, once.
    assert answer_fetch_recording(answer_id=rows[2].pk) is True
    assert answer_fetch_recording(answer_id=rows[2].pk) is False
    rows[2].refresh_from_db()
    assert rows[2].recording.read() == wav_file(3.0)
    fetches = [r for r in twilio.requests if r["method"] == "GET"]
    assert [r["path"] for r in fetches] == [f"/2010-04-01/Accounts/{TWILIO_SID}/Recordings/{rec_sid}.wav"]


def test_recording_status_callback_fills_a_recording_the_action_did_not_carry(placed, twilio, client):
    row = _recorded(placed, twilio, client, broker_up=True)
    assert row.recording_url.endswith(f"/Recordings/{row.recording_sid}") and row.recording_seconds == 2


def test_no_input_asks_again_while_retries_last_then_moves_on(twilio, user, client):
    steps = [dict(STEPS[0], retries=1), STEPS[3]]
    _, run, (attempt,) = survey_run(user, numbers=["+9779841000020"], steps=steps)
    script = script_for_run(run)
    call = OutboundCall("+9779841000020", attempt.reference, script[0].audio_url, script_seconds(script), script=script)
    sid = voice_backend().place_call(call).provider_id
    url = actions(twilio.posts()[0]["form"]["Twiml"][0])[0]
    again = act(client, url, sid, Digits="")
    assert step_of(actions(again)[0]) == ("0", "1")
    assert act(client, actions(again)[0], sid) == (
        f"<Response><Play>{prompt_url(STEPS[3]['text_or_url'])}</Play><Hangup/></Response>"
    )
    assert not SurveyAnswer.objects.exists()


def test_forged_action_callbacks_are_403_and_change_nothing(placed, twilio, client):
    _, attempt, sid = placed
    url = actions(twilio.posts()[0]["form"]["Twiml"][0])[0]
    response = callback(client, url, {"CallSid": sid, "Digits": "9"}, token="guessed")
    assert response.status_code == 403
    # A genuine signature of another step's URL does not carry over to this one.
    from tests.support.fake_vendors import sign

    other = url.replace("step=0", "step=1")
    response = callback(
        client,
        other,
        {"CallSid": sid, "Digits": "9"},
        signature=sign(TWILIO_TOKEN, url, {"CallSid": sid, "Digits": "9"}),
    )
    assert response.status_code == 403
    recording = f"{PUBLIC}/webhooks/twilio/voice/recording/?ref=attempt%3A{attempt.pk}&step=2"
    assert callback(client, recording, {"CallSid": sid, "RecordingUrl": "x"}, token="guessed").status_code == 403
    assert not SurveyAnswer.objects.exists()


def test_replayed_action_callbacks_change_nothing(placed, twilio, client):
    _, attempt, sid = placed
    url = actions(twilio.posts()[0]["form"]["Twiml"][0])[0]
    first = act(client, url, sid, Digits="3")
    assert act(client, url, sid, Digits="3") == first
    assert act(client, url, sid, Digits="5") == first
    assert list(SurveyAnswer.objects.values_list("input_name", "digits")) == [("q1", "3")]


def test_replayed_recording_callbacks_change_nothing(placed, twilio, client):
    _, attempt, sid = placed
    url = actions(twilio.posts()[0]["form"]["Twiml"][0])[0]
    for digits in ("1", "2"):
        url = actions(act(client, url, sid, Digits=digits))[0]
    rec_sid, rec_url = twilio.add_recording(wav_file(2.0))
    act(client, url, sid, RecordingUrl=rec_url, RecordingSid=rec_sid, RecordingDuration="2")
    status_url = f"{PUBLIC}/webhooks/twilio/voice/recording/?ref=attempt%3A{attempt.pk}&step=2"
    params = {"CallSid": sid, "RecordingSid": rec_sid, "RecordingUrl": rec_url, "RecordingDuration": "2"}
    other_sid, other_url = twilio.add_recording(wav_file(5.0))
    replays = [
        params,
        params,
        {**params, "RecordingSid": other_sid, "RecordingUrl": other_url, "RecordingDuration": "5"},
    ]
    for replay in replays:
        assert callback(client, status_url, {**replay, "RecordingStatus": "completed"}).status_code == 204
    rows = SurveyAnswer.objects.filter(attempt=attempt, step_order=2)
    assert list(rows.values_list("recording_url", "recording_sid", "recording_seconds")) == [(rec_url, rec_sid, 2)]


def test_a_callback_for_another_call_hangs_up_and_stores_nothing(placed, twilio, client):
    url = actions(twilio.posts()[0]["form"]["Twiml"][0])[0]
    assert act(client, url, "CA" + "0" * 32, Digits="1") == "<Response><Hangup/></Response>"
    assert not SurveyAnswer.objects.exists()


def test_a_hang_up_mid_script_keeps_the_answers_given(placed, twilio, client, user):
    run, attempt, sid = placed
    url = actions(twilio.posts()[0]["form"]["Twiml"][0])[0]
    act(client, url, sid, Digits="2")
    status = f"{PUBLIC}/webhooks/twilio/voice/?ref=attempt%3A{attempt.pk}"
    response = callback(client, status, {"CallSid": sid, "CallStatus": "completed", "CallDuration": "3"})
    assert response.status_code == 204
    attempt.refresh_from_db()
    assert (attempt.status, attempt.duration) == ("hungup", 3)
    assert list(SurveyAnswer.objects.values_list("input_name", "digits")) == [("q1", "2")]
    # A late action of the ended call answers nothing more.
    assert act(client, url, sid, Digits="2") == "<Response><Hangup/></Response>"


def test_a_cancelled_run_ends_the_script_at_the_next_step(placed, twilio, client):
    run, attempt, sid = placed
    Run.objects.filter(pk=run.pk).update(state=Run.State.CANCELLED)
    url = actions(twilio.posts()[0]["form"]["Twiml"][0])[0]
    assert act(client, url, sid, Digits="1") == "<Response><Hangup/></Response>"
    assert not SurveyAnswer.objects.exists()


def test_recordings_are_fetched_only_from_twilio(twilio):
    with pytest.raises(ProviderPermanentError):
        voice_backend().fetch_recording("https://evil.example.org/2010-04-01/Accounts/AC1/Recordings/RE1")
    assert twilio.requests == []


def _recorded(placed, twilio, client, *, after_commit=None, broker_up: bool = False) -> SurveyAnswer:
    """The recording step answered by Twilio's recording callback (no copy of it yet),
    its after-commit work run (``after_commit``: a capture) while the broker is down
    unless ``broker_up``."""
    _, attempt, sid = placed
    url = actions(twilio.posts()[0]["form"]["Twiml"][0])[0]
    for digits in ("1", "2"):
        url = actions(act(client, url, sid, Digits=digits))[0]
    rec_sid, rec_url = twilio.add_recording(wav_file(2.0))
    status_url = f"{PUBLIC}/webhooks/twilio/voice/recording/?ref=attempt%3A{attempt.pk}&step=2"
    params = {"CallSid": sid, "RecordingSid": rec_sid, "RecordingUrl": rec_url, "RecordingDuration": "2"}
    with nullcontext() if broker_up else broker_down(), after_commit or nullcontext():
        assert callback(client, status_url, {**params, "RecordingStatus": "completed"}).status_code == 204
    return SurveyAnswer.objects.get(attempt=attempt, step_order=2)


def test_a_recording_callback_while_the_broker_is_down_is_204_and_keeps_the_answer(
    placed, twilio, client, django_capture_on_commit_callbacks
):
    # The fetch is published after the answer commits; the broker's error must not
    # turn the vendor's callback into a 500 (Twilio does not send it again).
    row = _recorded(placed, twilio, client, after_commit=django_capture_on_commit_callbacks(execute=True))
    assert row.recording_url and not row.recording


def test_the_recordings_sweep_fetches_a_recording_left_on_twilio_once(placed, twilio, client, purge_broker):
    row = _recorded(placed, twilio, client)
    assert recordings_sweep() == 0  # too recent: its own fetch task may still be running
    assert recordings_sweep(now=timezone.now() + timedelta(hours=25)) == 0  # given up after a day
    later = timezone.now() + timedelta(minutes=11)
    assert recordings_sweep(now=later) == 1
    (args,) = published("surveys.recording_fetch")
    assert answer_fetch_recording(answer_id=args[0]) is True  # what the worker does with it
    row.refresh_from_db()
    assert row.recording.read() == wav_file(2.0)
    assert recordings_sweep(now=later) == 0  # copied: nothing left to fetch
