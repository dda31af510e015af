"""Batched dispatch: one claim per round, providers taking a batch, outcomes and
credits recorded per batch — and the per-attempt path (webhooks) staying
idempotent against it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import ledger
from accounts.models import LedgerEntry
from campaigns.models import Attempt, Campaign, Recipient, Run
from campaigns.services.dispatch import attempts_claim, chunk_dispatch
from campaigns.services.outcomes import Outcome, attempt_record_report
from campaigns.services.outcomes_batch import attempts_record_outcomes
from tests.support.campaign_helpers import begin_url, wav_upload
from tests.support.clients import client_for
from tests.support.envelope import assert_envelope
from tests.support.factories import UserFactory
from tests.support.factories_campaigns import campaign_with_recipients
from tests.support.fake_providers import NoLookupSmsBackend, SlowSmsBackend
from tests.support.runs_checks import assert_settled
from tingting.models import SimulatedDelivery
from tingting.providers import reports, reset_backends
from tingting.providers.base import OutboundSms, ProviderTimeoutError, StatusReport, Submission
from tingting.providers.simulated import SimulatedSmsBackend

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quiet_broker(purge_broker):
    """Begin publishes chunks after commit; no worker takes them: the tests call the services."""


def _begin(user, campaign, **body) -> Run:
    body.setdefault("message", "hello")
    assert_envelope(client_for(user).post(begin_url(campaign), body, format="json"), status=200)
    return Run.objects.filter(campaign=campaign).order_by("-id").first()


def test_a_chunk_is_charged_once_per_batch_and_exactly_per_recipient():
    user = UserFactory(credits=100)
    campaign = campaign_with_recipients(user, 10)
    run = _begin(user, campaign, message="x" * 200)  # 2 segments each
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 10
    assert assert_settled(run, user) == {"completed": 7, "failed": 3}
    first = Attempt.objects.filter(run=run).order_by("id").first().pk
    entries = {e.idempotency_key: e.amount for e in LedgerEntry.objects.filter(user=user).exclude(kind="topup")}
    # Rejected at submission (digit 9) and accepted (0-8) are recorded together: one charge, one release.
    assert entries == {
        f"run:{run.pk}:hold": 20,
        f"run:{run.pk}:chunk:0:charge:{first}": 18,
        f"run:{run.pk}:chunk:0:release:{first}": 2,
    }
    by_digit = {r.number[-1]: r for r in Recipient.objects.filter(campaign=campaign)}
    assert [by_digit[d].credit_consumed for d in "06789"] == [2, 2, 2, 2, 0]
    assert [by_digit[d].status for d in "0789"] == ["completed", "failed", "failed", "failed"]
    assert by_digit["9"].last_error == "simulated: rejected by carrier"
    assert by_digit["7"].last_error == "undelivered" and by_digit["0"].last_error == ""
    attempt = Attempt.objects.get(recipient=by_digit["0"])
    assert (attempt.charged, attempt.released, attempt.provider_status) == (2, 0, "delivered")
    assert attempt.provider_id.startswith("SM") and attempt.submitted_at and attempt.finished_at
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (82, 0)


def test_replayed_single_reports_after_a_batch_change_nothing():
    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 5))
    chunk_dispatch(run_id=run.pk, chunk=0)
    entries = LedgerEntry.objects.filter(user=user).count()
    now = datetime.now(UTC)
    for attempt in Attempt.objects.filter(run=run):
        for status in ("delivered", "undelivered", "failed", "sent"):
            attempt_record_report(StatusReport(attempt.reference, attempt.provider_id, status, now))
    assert LedgerEntry.objects.filter(user=user).count() == entries
    assert assert_settled(run, user) == {"completed": 5}
    user.refresh_from_db()
    assert user.credits == 95


def test_a_batch_skips_what_a_single_report_recorded_and_repeats_record_nothing():
    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 4))
    claimed = attempts_claim(run_id=run.pk, chunk=0, limit=10)
    assert [c.tries for c in claimed] == [1, 1, 1, 1]
    first, *rest = claimed
    # A webhook for the first attempt arrives before the batch is recorded.
    attempt_record_report(StatusReport(first.reference, "SMweb", "delivered", datetime.now(UTC)))
    outcomes = [Outcome(c.pk, "delivered", f"SM{c.pk}") for c in claimed]
    assert attempts_record_outcomes(outcomes) == 3
    assert attempts_record_outcomes(outcomes) == 0
    charges = dict(LedgerEntry.objects.filter(user=user, kind="charge").values_list("idempotency_key", "amount"))
    assert charges == {f"attempt:{first.pk}:charge": 1, f"run:{run.pk}:chunk:0:charge:{rest[0].pk}": 3}
    assert Attempt.objects.get(pk=first.pk).provider_id == "SMweb"
    assert set(Attempt.objects.values_list("status", "charged", "released")) == {("completed", 1, 0)}
    assert list(Recipient.objects.values_list("attempts", "credit_consumed")) == [(1, 1)] * 4
    run.refresh_from_db()
    assert run.finished_at is not None and run.end_release == 0
    user.refresh_from_db()
    assert (user.credits, user.credits_held, ledger.invariant_gap(user_id=user.pk)) == (96, 0, 0)


def test_voice_batch_charges_started_pulses_and_nothing_for_unanswered():
    user = UserFactory(credits=100)
    campaign = campaign_with_recipients(user, 10, services=Campaign.Services.PHONE)
    assert_envelope(
        client_for(user).post(begin_url(campaign), {"aud_file": wav_upload(65)}, format="multipart"), status=200
    )
    run = Run.objects.get(campaign=campaign)
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 10
    assert assert_settled(run, user) == {"completed": 7, "hungup": 1, "unanswered": 1, "failed": 1}
    by_digit = {r.number[-1]: r for r in Recipient.objects.filter(campaign=campaign)}
    assert (by_digit["0"].duration, by_digit["0"].playback, by_digit["0"].credit_consumed) == (65, 65, 3)
    assert (by_digit["7"].duration, by_digit["7"].credit_consumed) == (32, 2)
    assert (by_digit["8"].status, by_digit["8"].duration, by_digit["8"].credit_consumed) == ("unanswered", None, 0)
    assert (by_digit["9"].last_error, by_digit["9"].credit_consumed) == ("simulated: call failed", 0)
    # Voice outcomes are recorded one by one (the guardrails' retry policy and call
    # slots act per call), each attempt charging under its own key.
    charges = LedgerEntry.objects.filter(user=user, kind="charge")
    assert sum(charges.values_list("amount", flat=True)) == 7 * 3 + 2
    assert charges.count() == 8


def test_queries_per_chunk_do_not_grow_with_its_size(settings):
    settings.RUN_CHUNK_SIZE = 1000
    user = UserFactory(credits=1000)
    counts = []
    for size in (10, 200):  # both with accepted and refused messages
        run = _begin(user, campaign_with_recipients(user, size, name=f"size {size}"))
        with CaptureQueriesContext(connection) as queries:
            assert chunk_dispatch(run_id=run.pk, chunk=0) == size
        counts.append(len(queries))
        assert_settled(run, user)
    assert counts[0] == counts[1], counts


@pytest.fixture
def slow_sms(settings, monkeypatch):
    monkeypatch.setenv("FAKE_PROVIDER_LATENCY", "0.01")
    settings.SMS_BACKEND = "tests.support.fake_providers.SlowSmsBackend"
    reset_backends()
    yield
    reset_backends()


def test_a_backend_without_batch_is_called_per_message_on_threads(settings, slow_sms):
    settings.RUN_PROVIDER_CONCURRENCY = 4
    assert not SlowSmsBackend.has_batch() and SimulatedSmsBackend.has_batch()
    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 30))
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 30
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 0
    assert assert_settled(run, user) == {"completed": 21, "failed": 9}
    assert SimulatedDelivery.objects.count() == 30
    # The reports the threads delivered were recorded in rounds of 4 × 4: one charge per round with one.
    assert LedgerEntry.objects.filter(user=user, kind="charge").count() == 2


def test_default_send_many_answers_per_message():
    messages = [
        OutboundSms(to="+9779800000001", body="a", reference="x:1"),
        OutboundSms(to="+9779800000002", body="b", reference="x:2"),
    ]
    results = NoLookupSmsBackend().send_many(messages)
    assert [type(r) for r in results] == [ProviderTimeoutError, ProviderTimeoutError]
    assert SimulatedDelivery.objects.count() == 2
    results = SimulatedSmsBackend().send_many([*messages, OutboundSms(to="+9779800000009", body="c", reference="x:3")])
    assert [(type(r), r.accepted) for r in results] == [(Submission, True), (Submission, True), (Submission, False)]


def test_deliver_many_routes_by_prefix_and_buffers_while_collecting():
    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 2))
    attempts = list(Attempt.objects.filter(run=run))
    now = datetime.now(UTC)
    batch = [StatusReport(a.reference, f"SM{a.pk}", "delivered", now) for a in attempts]
    with reports.collecting() as buffered:
        assert reports.deliver_many([*batch, StatusReport("nobody:1", "x", "sent", now)]) == 2
        assert reports.deliver(StatusReport(attempts[0].reference, "SM", "sent", now)) is True
    assert len(buffered) == 3 and Attempt.objects.filter(status="queued").count() == 2
    assert reports.deliver_many(batch) == 2  # the list handler: one batch
    assert set(Attempt.objects.values_list("status", flat=True)) == {"completed"}
    assert LedgerEntry.objects.filter(user=user, kind="charge").get().amount == 2
    user.refresh_from_db()
    assert (user.credits, user.credits_held, ledger.invariant_gap(user_id=user.pk)) == (98, 0, 0)
