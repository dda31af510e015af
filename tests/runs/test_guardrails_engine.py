"""The guardrails wired into the execution engine and Tling sends: DNC, calling
hours, retries, status webhooks, rate limits — through real worker processes."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.utils import timezone

from accounts import ledger
from accounts.models import AccountSettings, LedgerEntry
from accounts.services import dnc_add
from campaigns.models import Attempt, Campaign, Recipient, Run
from campaigns.services.outcomes import attempt_record_report
from campaigns.services.sweep import runs_sweep
from tests.support.campaign_helpers import begin_url, wav_upload
from tests.support.clients import client_for, key_client_for
from tests.support.envelope import assert_envelope
from tests.support.factories import UserFactory
from tests.support.factories_campaigns import campaign_with_recipients
from tests.support.runs_checks import wait_finished
from tests.support.workers import running_worker, wait_until
from tingting.models import SimulatedDelivery, WebhookEvent
from tingting.providers.base import StatusReport
from tling.models import Message

HOOK = "http://127.0.0.1:9/hooks"  # nothing listens: the outbox rows are what we check


def with_webhooks(user) -> None:
    AccountSettings.objects.update_or_create(
        user=user, defaults={"webhook_url": HOOK, "webhook_secret": "whsec_" + "x" * 24}
    )


def books_balanced(user) -> None:
    user.refresh_from_db()
    assert user.credits_held == 0
    assert ledger.invariant_gap(user_id=user.pk) == 0
    charges = Counter(LedgerEntry.objects.filter(user=user, kind="charge").values_list("reference", flat=True))
    assert all(n == 1 for n in charges.values()), charges


def events(user, event: str) -> list[dict]:
    rows = WebhookEvent.objects.filter(user=user, event=event).order_by("id")
    return [json.loads(row.body) for row in rows]


# --- DNC -----------------------------------------------------------------------------------


def test_dnc_numbers_never_reach_the_provider_and_are_released(celery_worker, chunk_of_5):
    user = UserFactory(credits=100)
    with_webhooks(user)
    campaign = campaign_with_recipients(user, 8, name="Dashain")
    numbers = list(Recipient.objects.filter(campaign=campaign).order_by("id").values_list("number", flat=True))
    dnc_add(user=user, numbers=[numbers[1], numbers[5]], reason="asked")
    assert_envelope(client_for(user).post(begin_url(campaign), {"message": "Hi"}, format="json"), status=200)
    run = wait_finished(Run.objects.get(campaign=campaign))

    sent_to = set(SimulatedDelivery.objects.values_list("to", flat=True))
    assert numbers[1] not in sent_to and numbers[5] not in sent_to and len(sent_to) == 6
    for number in (numbers[1], numbers[5]):
        attempt = Attempt.objects.get(run=run, recipient__number=number)
        assert (attempt.status, attempt.error, attempt.charged, attempt.released) == ("failed", "dnc", 0, 1)
        recipient = attempt.recipient
        assert (recipient.status, recipient.last_error, recipient.attempts, recipient.credit_consumed) == (
            "failed",
            "dnc",
            0,
            0,
        )
    books_balanced(user)
    # Six calls made: numbers ending 0-6 delivered/undelivered are charged (1 each), none for DNC.
    assert user.credits == 100 - 6
    outcomes = {e["data"]["number"]: e["data"] for e in events(user, "recipient.outcome")}
    assert len(outcomes) == 8
    assert outcomes[numbers[1]]["status"] == "failed" and outcomes[numbers[1]]["error"] == "dnc"
    assert outcomes[numbers[1]]["credits_charged"] == 0


def test_tling_message_to_a_dnc_number_is_failed_and_released(celery_worker):
    user = UserFactory(credits=10)
    dnc_add(user=user, numbers=["+9779801234561"])
    response = key_client_for(user).post(
        "/api/v0/messages", {"text": "Hi", "to": ["+9779801234561", "+9779801234560"]}, format="json"
    )
    assert response.status_code == 204
    wait_until(lambda: Message.objects.filter(owner=user, status__in=["failed", "delivered"]).count() == 2)
    blocked = Message.objects.get(owner=user, phone_national="9801234561")
    assert (blocked.status, blocked.error, blocked.billing) == ("failed", "dnc", "released")
    assert list(SimulatedDelivery.objects.values_list("to", flat=True)) == ["+9779801234560"]
    books_balanced(user)
    assert user.credits == 9


# --- Calling hours ---------------------------------------------------------------------------


def closed_window(user) -> None:
    """A calling window that opens in two hours (local time) and lasts an hour."""
    local = timezone.now().astimezone(ZoneInfo(user.time_zone))
    start = (local + timedelta(hours=2)).strftime("%H:%M")
    end = (local + timedelta(hours=3)).strftime("%H:%M")
    response = client_for(user).put(
        "/api/accounts/settings/", {"calling_hours": {"start": start, "end": end}}, format="json"
    )
    assert response.status_code == 200, response.content


def test_voice_run_waits_outside_calling_hours_and_sends_when_the_window_opens(celery_worker, chunk_of_5):
    user = UserFactory(credits=100)
    closed_window(user)
    campaign = campaign_with_recipients(user, 6, services=Campaign.Services.PHONE)
    assert_envelope(
        client_for(user).post(begin_url(campaign), {"aud_file": wav_upload(20)}, format="multipart"), status=200
    )
    run = Run.objects.get(campaign=campaign)
    wait_until(
        lambda: not Attempt.objects.filter(run=run, next_attempt_at__isnull=True).exists(),
        message="attempts deferred to the window",
    )
    waiting = Attempt.objects.filter(run=run)
    assert {a.status for a in waiting} == {"queued"} and SimulatedDelivery.objects.count() == 0
    opens = {a.next_attempt_at for a in waiting}
    assert len(opens) == 1 and timezone.now() + timedelta(hours=1) < opens.pop() <= timezone.now() + timedelta(hours=2)
    # A sweep before the window opens publishes nothing; nothing is re-published as "lost" either.
    assert runs_sweep()["due"] == 0
    assert runs_sweep(stale_after=timedelta(0))["republished"] == 0

    # The window opens (whole day now) and the time comes: the sweeper re-publishes.
    assert (
        client_for(user)
        .put("/api/accounts/settings/", {"calling_hours": {"start": "00:00", "end": "00:00"}}, format="json")
        .status_code
        == 200
    )
    Attempt.objects.filter(run=run).update(next_attempt_at=timezone.now())
    assert runs_sweep()["due"] == 2
    run = wait_finished(run)
    assert SimulatedDelivery.objects.filter(channel="voice").count() == 6
    books_balanced(user)


# --- Retries -----------------------------------------------------------------------------------


def test_unanswered_calls_are_retried_per_policy_then_settled_once(celery_worker, chunk_of_5):
    user = UserFactory(credits=100)
    with_webhooks(user)
    client = client_for(user)
    assert (
        client.put(
            "/api/accounts/settings/",
            {"retry_policy": {"unanswered": {"count": 2, "delay_seconds": 60}}},
            format="json",
        ).status_code
        == 200
    )
    campaign = campaign_with_recipients(user, 10, services=Campaign.Services.PHONE)  # ...8 unanswered, ...9 failed
    assert_envelope(client.post(begin_url(campaign), {"aud_file": wav_upload(20)}, format="multipart"), status=200)
    run = Run.objects.get(campaign=campaign)
    unanswered = Attempt.objects.get(run=run, recipient__number__endswith="8")
    wait_until(lambda: Attempt.objects.filter(pk=unanswered.pk, retries=1).exists(), message="first retry")
    unanswered.refresh_from_db()
    assert unanswered.status == "queued" and unanswered.next_attempt_at > timezone.now() + timedelta(seconds=50)
    # A late report of the first call changes nothing now.
    attempt_record_report(
        StatusReport(f"attempt:{unanswered.pk}", "CAold", "completed", timezone.now(), duration=20, playback=20)
    )
    unanswered.refresh_from_db()
    assert (unanswered.status, unanswered.charged) == ("queued", 0)

    for retry in (1, 2):  # time passes: each retry is due, the sweeper re-publishes it
        wait_until(lambda r=retry: Attempt.objects.filter(pk=unanswered.pk, retries=r, status="queued").exists())
        Attempt.objects.filter(pk=unanswered.pk).update(next_attempt_at=timezone.now())
        runs_sweep()
    run = wait_finished(run)

    unanswered.refresh_from_db()
    assert (unanswered.status, unanswered.retries, unanswered.charged, unanswered.released) == (
        "unanswered",
        2,
        0,
        unanswered.share,
    )
    calls = sorted(SimulatedDelivery.objects.filter(to=unanswered.recipient.number).values_list("reference", flat=True))
    assert calls == [f"attempt:{unanswered.pk}", f"attempt:{unanswered.pk}:1", f"attempt:{unanswered.pk}:2"]
    recipient = Recipient.objects.get(pk=unanswered.recipient_id)
    assert (recipient.status, recipient.attempts, recipient.credit_consumed) == ("unanswered", 3, 0)
    # 'failed' has no retries by default: one call.
    assert SimulatedDelivery.objects.filter(to__endswith="9").count() == 1
    books_balanced(user)
    consumed = Recipient.objects.filter(campaign=campaign).aggregate(n=Sum("credit_consumed"))["n"]
    assert user.credits == 100 - consumed
    # One webhook per recipient, for the final outcome only.
    outcome = [e for e in events(user, "recipient.outcome") if e["object"]["id"] == str(recipient.pk)]
    assert len(outcome) == 1 and outcome[0]["data"]["attempts"] == 3 and outcome[0]["object"]["sequence"] == 1
    assert len(events(user, "recipient.outcome")) == 10


# --- Status webhooks ---------------------------------------------------------------------------


def test_recipient_outcome_webhook_payload(celery_worker, chunk_of_5):
    user = UserFactory(credits=100)
    with_webhooks(user)
    campaign = campaign_with_recipients(user, 10, services=Campaign.Services.PHONE)
    assert_envelope(
        client_for(user).post(begin_url(campaign), {"aud_file": wav_upload(65)}, format="multipart"), status=200
    )
    run = wait_finished(Run.objects.get(campaign=campaign))
    by_number = {e["data"]["number"]: e for e in events(user, "recipient.outcome")}
    assert len(by_number) == 10
    first = Recipient.objects.get(campaign=campaign, number__endswith="0")
    body = by_number[first.number]
    assert body["event"] == "recipient.outcome"
    assert body["object"] == {"type": "recipient", "id": str(first.pk), "sequence": 1}
    data = body["data"]
    assert data.pop("finished_at")
    assert data == {
        "campaign_id": campaign.pk,
        "run_id": run.pk,
        "recipient_id": first.pk,
        "number": first.number,
        "status": "completed",
        "error": None,
        "duration": 65,
        "playback": 65,
        "credits_charged": 3,
        "credit_consumed": 3,
        "attempts": 1,
    }
    assert by_number[campaign.recipients.get(number__endswith="9").number]["data"]["status"] == "failed"


def test_tling_message_status_changes_each_emit_one_webhook_in_order(celery_worker):
    user = UserFactory(credits=10)
    with_webhooks(user)
    response = key_client_for(user).post(
        "/api/v0/messages", {"text": "Hi", "to": ["+9779801234560", "+9779801234569"]}, format="json"
    )
    assert response.status_code == 204
    wait_until(lambda: Message.objects.filter(owner=user, status__in=["failed", "delivered"]).count() == 2)
    delivered = Message.objects.get(owner=user, phone_national="9801234560")
    refused = Message.objects.get(owner=user, phone_national="9801234569")
    for message, statuses in ((delivered, ["queued", "sent", "delivered"]), (refused, ["queued", "failed"])):
        mine = [e for e in events(user, "message.status") if e["object"]["id"] == str(message.id)]
        assert [e["data"]["status"] for e in mine] == statuses
        assert [e["object"]["sequence"] for e in mine] == list(range(1, len(statuses) + 1))
        assert all(e["data"]["to"] == message.e164 and e["data"]["id"] == str(message.id) for e in mine)
    assert [e for e in events(user, "message.status") if e["object"]["id"] == str(refused.id)][-1]["data"][
        "error"
    ] == "simulated: rejected by carrier"
    # A replayed report changes nothing and emits nothing.
    before = WebhookEvent.objects.count()
    from tling.services import message_record_report

    message_record_report(StatusReport(delivered.reference, "x", "delivered", timezone.now()))
    assert WebhookEvent.objects.count() == before


# --- Rate limits ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_never_exceed_the_provider_rate(purge_broker, settings):
    settings.RUN_CHUNK_SIZE = 3
    rate = 5
    env = {"RATE_PROVIDER_SMS_PER_SECOND": str(rate)}
    user = UserFactory(credits=100)
    campaign = campaign_with_recipients(user, 30, name="Rate")
    with running_worker(env=env, concurrency=2), running_worker(env=env, concurrency=2):
        assert_envelope(client_for(user).post(begin_url(campaign), {"message": "Hi"}, format="json"), status=200)
        wait_finished(Run.objects.get(campaign=campaign), timeout=120)
    times = sorted(SimulatedDelivery.objects.values_list("created_at", flat=True))
    assert len(times) == 30
    # Tokens are >= 1/rate apart on Redis' clock; created_at is written just after,
    # so allow a little scheduling jitter per window but no extra message.
    for i in range(len(times) - rate):
        assert (times[i + rate] - times[i]).total_seconds() >= 1.0 - 0.15, (i, times[i], times[i + rate])
    achieved = (len(times) - 1) / (times[-1] - times[0]).total_seconds()
    assert achieved <= rate * 1.05
    books_balanced(user)


# --- Twilio voice end to end ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_campaign_call_over_twilio_is_completed_by_the_signed_callback(purge_broker, settings, client):
    from tests.support.fake_vendors import TWILIO_SID, FakeTwilio
    from tests.support.twilio import PUBLIC, VOICE, callback, vendor_settings
    from tingting.providers import reset_backends

    user = UserFactory(credits=100)
    with_webhooks(user)
    campaign = campaign_with_recipients(user, 1, services=Campaign.Services.PHONE)
    with FakeTwilio() as twilio:
        vendor = vendor_settings(twilio, VOICE_BACKEND=VOICE)  # the worker's environment too
        for name, value in vendor.items():
            setattr(settings, name, value)
        reset_backends()
        with running_worker(env=vendor):
            assert_envelope(
                client_for(user).post(begin_url(campaign), {"aud_file": wav_upload(40)}, format="multipart"), status=200
            )
            run = Run.objects.get(campaign=campaign)
            attempt = Attempt.objects.get(run=run)
            wait_until(
                lambda: Attempt.objects.filter(pk=attempt.pk, status="ringing").exists(),
                message="the call placed at the fake Twilio",
            )
        (request,) = twilio.posts()
        form = request["form"]
        assert form["To"] == [attempt.recipient.number] and form["From"] == ["+15005550006"]
        url = form["StatusCallback"][0]
        assert url == f"{PUBLIC}/webhooks/twilio/voice/?ref=attempt%3A{attempt.pk}"
        sid = next(iter(twilio.calls))
        attempt.refresh_from_db()
        assert (attempt.provider_id, attempt.backend) == (sid, "twilio-voice")

        forged = callback(
            client, url, {"CallSid": sid, "CallStatus": "completed", "CallDuration": "40"}, token="guessed"
        )
        assert forged.status_code == 403
        assert Attempt.objects.get(pk=attempt.pk).status == "ringing"
        params = {"CallSid": sid, "AccountSid": TWILIO_SID, "CallStatus": "completed", "CallDuration": "40"}
        assert callback(client, url, params).status_code == 204
        assert callback(client, url, params).status_code == 204  # replayed: no change
    reset_backends()

    run = wait_finished(run)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.duration, attempt.charged) == ("completed", 40, 2)
    recipient = attempt.recipient
    recipient.refresh_from_db()
    assert (recipient.status, recipient.credit_consumed, recipient.attempts) == ("completed", 2, 1)
    assert [e["data"]["status"] for e in events(user, "recipient.outcome")] == ["completed"]
    books_balanced(user)
    assert user.credits == 98
