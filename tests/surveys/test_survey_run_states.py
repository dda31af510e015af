"""Pause, resume and cancel mid-survey, with Twilio (local fake) behind the engine:
a paused run's calls finish their script, a cancelled run's calls end theirs at the
next step, and every contact keeps the answers it gave."""

import re

import pytest

from campaigns.models import Attempt, Recipient
from campaigns.services.dispatch import chunk_dispatch
from campaigns.services.run import run_cancel, run_pause, run_resume
from surveys.models import SurveyAnswer
from surveys.services.run import survey_begin
from surveys.services.steps import survey_steps_replace
from tests.support.surveys import STEPS, survey_campaign
from tests.support.twilio import PUBLIC, SILENT_TTS, VOICE, callback, twilio_configured

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def twilio(settings, purge_broker):
    with twilio_configured(settings, PROVIDER_TIMEOUT_SECONDS=2, VOICE_BACKEND=VOICE, TTS_BACKEND=SILENT_TTS) as fake:
        yield fake


def first_action(call_form) -> str:
    return re.search(r'action="([^"]+)"', call_form["Twiml"][0]).group(1).replace("&amp;", "&")


def next_action(twiml: str) -> str:
    return re.search(r'action="([^"]+)"', twiml).group(1).replace("&amp;", "&")


def started(user, twilio):
    """A two-contact survey begun and dispatched: {number: (attempt, CallSid, first action URL)}."""
    campaign = survey_campaign(user)
    Recipient.objects.bulk_create(
        [Recipient(campaign=campaign, number=n) for n in ("+9779841000010", "+9779841000020")]
    )
    survey_steps_replace(user=user, campaign_id=campaign.pk, steps=[STEPS[0], STEPS[2], STEPS[3]])
    run = survey_begin(user=user, campaign_id=campaign.pk)
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 2
    calls = {}
    for post in twilio.posts():
        number = post["form"]["To"][0]
        attempt = Attempt.objects.get(run=run, recipient__number=number)
        sid = next(sid for sid, call in twilio.calls.items() if call["to"] == number)
        calls[number] = (attempt, sid, first_action(post["form"]))
    return campaign, run, calls


def act(client, url, sid, **params) -> str:
    response = callback(client, url, {"CallSid": sid, **params})
    assert response.status_code == 200
    return response.content.decode()


def end(client, attempt, sid, status="completed", duration="4"):
    url = f"{PUBLIC}/webhooks/twilio/voice/?ref=attempt%3A{attempt.pk}"
    assert callback(client, url, {"CallSid": sid, "CallStatus": status, "CallDuration": duration}).status_code == 204


def test_cancel_ends_each_call_at_its_next_step_and_keeps_the_answers(twilio, user, client):
    campaign, run, calls = started(user, twilio)
    (a, sid_a, url_a), (b, sid_b, url_b) = calls["+9779841000010"], calls["+9779841000020"]
    record_step = act(client, url_a, sid_a, Digits="1")
    assert "<Record " in record_step
    run_cancel(user=user, campaign_id=campaign.pk)
    assert act(client, next_action(record_step), sid_a, RecordingUrl="x", RecordingDuration="2") == (
        "<Response><Hangup/></Response>"
    )
    assert act(client, url_b, sid_b, Digits="2") == "<Response><Hangup/></Response>"
    end(client, a, sid_a, duration="2")  # shorter than the prompts: it hung up (we did)
    end(client, b, sid_b, status="completed", duration="1")
    assert list(SurveyAnswer.objects.values_list("attempt_id", "input_name", "digits")) == [(a.pk, "q1", "1")]
    run.refresh_from_db()
    assert run.state == "cancelled" and run.finished_at is not None
    statuses = dict(Attempt.objects.filter(run=run).values_list("recipient__number", "status"))
    assert statuses == {"+9779841000010": "hungup", "+9779841000020": "hungup"}


def test_pause_lets_calls_in_flight_finish_their_script_and_resume_continues(twilio, user, client):
    campaign, run, calls = started(user, twilio)
    attempt, sid, url = calls["+9779841000010"]
    run_pause(user=user, campaign_id=campaign.pk)
    record_step = act(client, url, sid, Digits="1")
    rec_sid, rec_url = twilio.add_recording(b"RIFF")
    last = act(client, next_action(record_step), sid, RecordingUrl=rec_url, RecordingSid=rec_sid, RecordingDuration="2")
    assert last.endswith("<Hangup/></Response>") and "<Play>" in last
    run_resume(user=user, campaign_id=campaign.pk)
    end(client, attempt, sid, duration="30")
    other, other_sid, _ = calls["+9779841000020"]
    end(client, other, other_sid, status="no-answer", duration="0")
    assert sorted(SurveyAnswer.objects.values_list("input_name", flat=True)) == ["comment", "q1"]
    assert assert_settled_twilio(run, user) == {"completed": 1, "unanswered": 1}


def assert_settled_twilio(run, user):
    """As ``assert_settled``, for calls placed through Twilio (not the simulated log)."""
    from collections import Counter

    from accounts import ledger

    run.refresh_from_db()
    assert run.finished_at is not None
    user.refresh_from_db()
    assert user.credits_held == 0 and ledger.invariant_gap(user_id=user.pk) == 0
    return Counter(Attempt.objects.filter(run=run).values_list("status", flat=True))
