"""Dispatch and outcomes: real worker end to end, then the services' rules one by one."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry, User
from campaigns.models import Attempt, Campaign, Recipient, Run
from campaigns.services.dispatch import attempt_claim, chunk_dispatch
from campaigns.services.outcomes import attempt_record_report
from campaigns.services.sweep import runs_sweep
from tests.support.campaign_helpers import begin_url, wav_upload
from tests.support.clients import client_for
from tests.support.envelope import assert_envelope, assert_error
from tests.support.factories import UserFactory
from tests.support.factories_campaigns import campaign_with_recipients
from tests.support.runs_checks import assert_settled, wait_finished
from tingting.models import SimulatedDelivery
from tingting.providers import reports, reset_backends
from tingting.providers.base import StatusReport


def progress(client, campaign) -> dict:
    body = assert_envelope(client.get(f"/api/system/campaigns/{campaign.pk}/progress/"), status=200)
    return body["data"]["progress"]


def test_sms_run_reaches_simulated_outcomes_and_charges_per_contract(celery_worker, chunk_of_5):
    user = UserFactory(credits=100)
    client = client_for(user)
    campaign = campaign_with_recipients(user, 20, name="Tihar")
    response = client.post(begin_url(campaign), {"message": "Happy Tihar"}, format="json")
    assert_envelope(response, status=200, message="Campaign is running!!")
    run = wait_finished(Run.objects.get(campaign=campaign))

    statuses = assert_settled(run, user)
    assert statuses == {"completed": 14, "failed": 6}
    by_digit = {r.number[-1]: r for r in Recipient.objects.filter(campaign=campaign)}
    assert [by_digit[d].status for d in "0679"] == ["completed", "completed", "failed", "failed"]
    # Accepted messages are charged (delivered, undelivered, expired); rejected ones are not.
    assert [by_digit[d].credit_consumed for d in "06789"] == [1, 1, 1, 1, 0]
    assert by_digit["9"].last_error == "simulated: rejected by carrier"
    assert all(r.attempts == 1 and r.duration is None for r in by_digit.values())
    assert SimulatedDelivery.objects.filter(body="Happy Tihar").count() == 20
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (100 - 18, 0)

    data = progress(client, campaign)
    assert data["state"] == "completed" and data["total"] == 20
    assert data["status_counts"] == {
        "queued": 0,
        "sent": 0,
        "ringing": 0,
        "completed": 14,
        "hungup": 0,
        "unanswered": 0,
        "failed": 6,
        "terminated": 0,
    }
    assert data["credits"] == {"estimate": 20, "held": 0, "charged": 18, "released": 2}
    assert data["finished_at"] and data["started_at"] and data["rate_per_minute"] > 0


def test_voice_run_charges_answered_calls_per_started_pulse(celery_worker, chunk_of_5):
    user = UserFactory(credits=100)
    client = client_for(user)
    campaign = campaign_with_recipients(user, 10, services=Campaign.Services.PHONE)
    response = client.post(begin_url(campaign), {"aud_file": wav_upload(65)}, format="multipart")
    assert_envelope(response, status=200)
    run = wait_finished(Run.objects.get(campaign=campaign))

    assert assert_settled(run, user) == {"completed": 7, "hungup": 1, "unanswered": 1, "failed": 1}
    by_digit = {r.number[-1]: r for r in Recipient.objects.filter(campaign=campaign)}
    assert (by_digit["0"].duration, by_digit["0"].playback, by_digit["0"].credit_consumed) == (65, 65, 3)
    assert (by_digit["7"].status, by_digit["7"].duration, by_digit["7"].credit_consumed) == ("hungup", 32, 2)
    assert (by_digit["8"].status, by_digit["8"].duration, by_digit["8"].credit_consumed) == ("unanswered", None, 0)
    assert (by_digit["9"].status, by_digit["9"].credit_consumed) == ("failed", 0)
    user.refresh_from_db()
    assert user.credits == 100 - (7 * 3 + 2)
    assert SimulatedDelivery.objects.filter(channel="voice").count() == 10


def test_personalised_voice_renders_each_text_in_the_worker(celery_worker):
    user = UserFactory(credits=100)
    campaign = campaign_with_recipients(
        user,
        3,
        services=Campaign.Services.PHONE,
        usable_tags=["tags_name"],
        tags=lambda i: {"tags_name": "Ram" * (i + 1)},
    )
    response = client_for(user).post(begin_url(campaign), {"message": "Namaste {tags_name}"}, format="json")
    assert_envelope(response, status=200)
    run = wait_finished(Run.objects.get(campaign=campaign))
    assert_settled(run, user)
    urls = set(SimulatedDelivery.objects.values_list("audio_url", flat=True))
    assert len(urls) == 3 and all(url.endswith(".wav") for url in urls)


# --- Services directly (no worker): the rules the API cannot reach ----------------


def _begin(user, campaign, **body) -> Run:
    body.setdefault("message", "hello")
    assert_envelope(client_for(user).post(begin_url(campaign), body, format="json"), status=200)
    return Run.objects.filter(campaign=campaign).order_by("-id").first()


@pytest.fixture
def quiet_broker(transactional_db, purge_broker):
    """Transactional tests publish chunks after commit; no worker picks them up here."""


def test_running_a_chunk_twice_sends_once(quiet_broker, chunk_of_5):
    user = UserFactory(credits=100)
    campaign = campaign_with_recipients(user, 8)
    run = _begin(user, campaign)
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 5
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 0
    assert chunk_dispatch(run_id=run.pk, chunk=1) == 3
    assert chunk_dispatch(run_id=run.pk, chunk=1) == 0
    assert_settled(run, user)


def test_claim_is_won_once(quiet_broker):
    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 1))
    attempt = Attempt.objects.get(run=run)
    assert attempt_claim(attempt_id=attempt.pk) is True
    assert attempt_claim(attempt_id=attempt.pk) is False


def test_replayed_and_late_reports_change_nothing(quiet_broker):
    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 1))
    chunk_dispatch(run_id=run.pk, chunk=0)
    attempt = Attempt.objects.get(run=run)
    entries = LedgerEntry.objects.filter(user=user).count()
    now = datetime.now(UTC)
    for status in ("delivered", "sent", "undelivered", "failed"):
        attempt_record_report(StatusReport(attempt.reference, attempt.provider_id, status, now))
    attempt.refresh_from_db()
    assert (attempt.status, attempt.provider_status, attempt.charged) == ("completed", "delivered", 1)
    assert LedgerEntry.objects.filter(user=user).count() == entries
    assert Recipient.objects.get().status == "completed"
    assert_settled(run, user)


def test_report_before_the_claim_prevents_a_send(quiet_broker):
    """A final report for a queued attempt (it arrived before we recorded anything)
    settles it; no chunk task sends it afterwards."""
    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 1))
    attempt = Attempt.objects.get(run=run)
    reports.deliver(StatusReport(attempt.reference, "SMx", "delivered", datetime.now(UTC)))
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 0
    attempt.refresh_from_db()
    assert (attempt.status, attempt.provider_id) == ("completed", "SMx")
    run.refresh_from_db()
    assert run.finished_at is not None
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (99, 0)


def test_report_for_unknown_attempt_is_dropped(db):
    assert reports.deliver(StatusReport("attempt:999999", "x", "delivered", datetime.now(UTC))) is True
    attempt_record_report(StatusReport("attempt:oops", "x", "delivered", datetime.now(UTC)))


def test_pause_stops_claims_and_resume_continues(quiet_broker, chunk_of_5):
    user = UserFactory(credits=100)
    client = client_for(user)
    campaign = campaign_with_recipients(user, 10)
    run = _begin(user, campaign)
    chunk_dispatch(run_id=run.pk, chunk=0)
    body = assert_envelope(
        client.post(f"/api/system/campaigns/{campaign.pk}/pause/"), status=200, message="Campaign paused."
    )
    assert body["data"]["progress"]["state"] == "paused"
    assert body["data"]["progress"]["status_counts"]["queued"] == 5
    assert chunk_dispatch(run_id=run.pk, chunk=1) == 0
    assert_error(client.post(f"/api/system/campaigns/{campaign.pk}/pause/"), status=409, code="invalid_state")
    # Campaign list/details keep working: progress answers during the run.
    assert progress(client, campaign)["state"] == "paused"

    body = assert_envelope(
        client.post(f"/api/system/campaigns/{campaign.pk}/resume"), status=200, message="Campaign resumed."
    )
    assert body["data"]["progress"]["state"] == "running"
    assert_error(client.post(f"/api/system/campaigns/{campaign.pk}/resume/"), status=409)
    assert chunk_dispatch(run_id=run.pk, chunk=1) == 5
    assert assert_settled(run, user) == {"completed": 7, "failed": 3}


def test_cancel_terminates_pending_recipients_and_releases_their_hold(quiet_broker, chunk_of_5):
    user = UserFactory(credits=100)
    client = client_for(user)
    campaign = campaign_with_recipients(user, 10)
    run = _begin(user, campaign, message="x" * 200)  # 2 segments each
    chunk_dispatch(run_id=run.pk, chunk=0)
    body = assert_envelope(
        client.post(f"/api/system/campaigns/{campaign.pk}/cancel/"), status=200, message="Campaign cancelled."
    )
    data = body["data"]["progress"]
    assert data["state"] == "cancelled" and data["status_counts"]["terminated"] == 5
    assert data["credits"] == {"estimate": 20, "held": 0, "charged": 10, "released": 10}
    assert chunk_dispatch(run_id=run.pk, chunk=1) == 0
    assert assert_settled(run, user) == {"completed": 5, "terminated": 5}
    assert Recipient.objects.filter(status="terminated").count() == 5
    assert LedgerEntry.objects.get(user=user, idempotency_key=f"run:{run.pk}:cancel").amount == 10
    assert_error(client.post(f"/api/system/campaigns/{campaign.pk}/cancel/"), status=409, code="no_active_run")
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (90, 0)


def test_actions_without_a_run_are_409_and_progress_is_empty(auth_client, user):
    campaign = campaign_with_recipients(user, 1)
    for action in ("pause", "resume", "cancel"):
        assert_error(
            auth_client.post(f"/api/system/campaigns/{campaign.pk}/{action}/"), status=409, code="no_active_run"
        )
    data = progress(auth_client, campaign)
    assert data["state"] == "not started" and data["run_id"] is None


def test_progress_costs_one_query_at_one_and_many_recipients(auth_client, user, django_assert_num_queries):
    from campaigns.selectors import run_progress

    for count in (1, 300):
        campaign = campaign_with_recipients(user, count)
        auth_client.post(begin_url(campaign), {"message": "x"}, format="json")
        with django_assert_num_queries(1):
            data = run_progress(user=user, campaign_id=campaign.pk)
        assert data["total"] == count and data["status_counts"]["queued"] == count


def test_due_scheduled_run_starts_on_sweep(quiet_broker, chunk_of_5):
    user = UserFactory(credits=100)
    campaign = campaign_with_recipients(user, 7)
    later = (timezone.now() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    run = _begin(user, campaign, schedule_date=later)
    assert runs_sweep()["started"] == 0
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 0  # not started yet: nothing is claimed
    Run.objects.filter(pk=run.pk).update(scheduled_for=timezone.now() - timedelta(seconds=1))
    assert runs_sweep()["started"] == 1
    assert runs_sweep()["started"] == 0
    run.refresh_from_db()
    assert run.state == "running" and run.started_at is not None
    assert set(Recipient.objects.values_list("status", flat=True)) == {"queued"}
    chunk_dispatch(run_id=run.pk, chunk=0)
    chunk_dispatch(run_id=run.pk, chunk=1)
    assert_settled(run, user)


def test_the_sweep_logs_one_line_with_each_jobs_count_and_time(quiet_broker, caplog):
    user = UserFactory(credits=100)
    later = (timezone.now() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    run = _begin(user, campaign_with_recipients(user, 3), schedule_date=later)
    Run.objects.filter(pk=run.pk).update(scheduled_for=timezone.now() - timedelta(seconds=1))
    with caplog.at_level(logging.INFO, logger="campaigns.services.sweep"):
        counts = runs_sweep()
    assert counts == {
        "started": 1,
        "due": 0,
        "republished": 0,
        "reconciled": 0,
        "failover_republished": 0,
        "failover_reconciled": 0,
        "finished": 0,
        "imports": 0,
    }
    [line] = [record.getMessage() for record in caplog.records if record.name == "campaigns.services.sweep"]
    jobs = ", ".join(rf"{name}={count} \(\d+ ms\)" for name, count in counts.items())
    assert re.fullmatch(f"runs sweep: {jobs}", line), line


def test_cancel_of_a_scheduled_run_releases_everything(quiet_broker):
    user = UserFactory(credits=100)
    client = client_for(user)
    campaign = campaign_with_recipients(user, 4)
    later = (timezone.now() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    run = _begin(user, campaign, schedule_date=later)
    assert_envelope(client.post(f"/api/system/campaigns/{campaign.pk}/cancel/"), status=200)
    Run.objects.filter(pk=run.pk).update(scheduled_for=timezone.now() - timedelta(seconds=1))
    assert runs_sweep()["started"] == 0
    assert assert_settled(run, user) == {"terminated": 4}
    user.refresh_from_db()
    assert user.credits == 100


@pytest.fixture
def sms_backend_as(settings):
    def use(path: str) -> None:
        settings.SMS_BACKEND = path
        reset_backends()

    yield use
    reset_backends()


def test_timeout_after_acceptance_is_reconciled_not_resent(quiet_broker, sms_backend_as):
    sms_backend_as("tests.support.fake_providers.TimeoutAfterAcceptSmsBackend")
    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 10))
    chunk_dispatch(run_id=run.pk, chunk=0)
    assert set(Attempt.objects.values_list("status", flat=True)) == {"sending"}
    assert runs_sweep(stuck_after=timedelta(hours=1))["reconciled"] == 0
    assert runs_sweep(stuck_after=timedelta(0))["reconciled"] == 10
    assert assert_settled(run, user) == {"completed": 7, "failed": 3}
    user.refresh_from_db()
    assert user.credits == 100 - 9  # the rejected one (digit 9) is not charged


def test_claimed_but_never_sent_is_requeued_and_sent_once(quiet_broker):
    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 2))
    first = Attempt.objects.filter(run=run).order_by("id").first()
    assert attempt_claim(attempt_id=first.pk)  # the worker died right after its claim
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 1  # the redelivered task skips the claimed one
    assert runs_sweep(stuck_after=timedelta(0))["reconciled"] == 1
    first.refresh_from_db()
    assert first.status == "queued" and first.error.startswith("requeued")
    assert chunk_dispatch(run_id=run.pk, chunk=0) == 1
    assert_settled(run, user)


def test_backend_without_lookup_marks_lost_sends_unknown_not_resent(quiet_broker, sms_backend_as):
    sms_backend_as("tests.support.fake_providers.NoLookupSmsBackend")
    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 3))
    chunk_dispatch(run_id=run.pk, chunk=0)
    runs_sweep(stuck_after=timedelta(0))
    assert assert_settled(run, user) == {"failed": 3}
    assert set(Attempt.objects.values_list("error", flat=True)) == {"outcome unknown"}
    user.refresh_from_db()
    assert user.credits == 100


def test_stale_queued_work_is_republished_once(quiet_broker):
    from tingting.celery import app

    user = UserFactory(credits=100)
    run = _begin(user, campaign_with_recipients(user, 3))
    app.control.purge()  # the broker lost the chunk
    Attempt.objects.update(queued_at=timezone.now() - timedelta(minutes=10))
    assert runs_sweep()["republished"] == 1
    assert runs_sweep()["republished"] == 0
    with app.connection_for_read() as conn:
        assert conn.default_channel.client.llen("celery") == 1
    chunk_dispatch(run_id=run.pk, chunk=0)
    assert_settled(run, user)


def _accepted_with_record(user, *, provider_id: str, outcome: str) -> tuple[Run, Attempt]:
    """A one-recipient run whose attempt was claimed and reported "sent"; the
    provider's own record of it says ``outcome``."""
    run = _begin(user, campaign_with_recipients(user, 1))
    attempt = Attempt.objects.get(run=run)
    assert attempt_claim(attempt_id=attempt.pk)
    SimulatedDelivery.objects.create(
        channel="sms",
        provider_id=provider_id,
        reference=attempt.reference,
        to="+9779800000000",
        body="hello",
        outcome=outcome,
    )
    attempt_record_report(StatusReport(attempt.reference, provider_id, "sent", datetime.now(UTC)))
    return run, attempt


def test_accepted_without_a_final_report_is_settled_from_the_provider_record(quiet_broker):
    user = UserFactory(credits=100)
    # The worker died after the "sent" report, before the final one.
    run, _ = _accepted_with_record(user, provider_id="SMlate", outcome="delivered")
    assert Recipient.objects.get().status == "sent"
    assert runs_sweep(recheck_after=timedelta(hours=1))["reconciled"] == 0
    assert runs_sweep(recheck_after=timedelta(0))["reconciled"] == 1
    assert assert_settled(run, user) == {"completed": 1}


def test_an_attempt_whose_lookup_fails_stays_held_until_the_deadline_then_is_released(quiet_broker, sms_backend_as):
    # issue 18: the outcome is unknown while the provider cannot be asked: never
    # settled blindly, never held forever.
    user = UserFactory(credits=100)
    _, attempt = _accepted_with_record(user, provider_id="SMdown", outcome="sent")
    sms_backend_as("tests.support.fake_providers.LookupDownSmsBackend")
    assert runs_sweep(recheck_after=timedelta(0))["reconciled"] == 0
    attempt.refresh_from_db()
    assert attempt.status == "sent"
    assert User.objects.get(pk=user.pk).credits_held == 1
    assert runs_sweep(recheck_after=timedelta(0), give_up_after=timedelta(0))["reconciled"] == 1
    attempt.refresh_from_db()
    assert (attempt.status, attempt.error) == ("failed", "outcome unknown: the provider could not be asked")
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (100, 0)


def test_accepted_with_no_outcome_ever_is_given_up_as_failed(quiet_broker, sms_backend_as):
    sms_backend_as("tests.support.fake_providers.NoLookupSmsBackend")
    user = UserFactory(credits=100)
    _, attempt = _accepted_with_record(user, provider_id="SMgone", outcome="sent")
    assert runs_sweep(recheck_after=timedelta(0))["reconciled"] == 0
    assert runs_sweep(recheck_after=timedelta(0), give_up_after=timedelta(0))["reconciled"] == 1
    attempt.refresh_from_db()
    assert (attempt.status, attempt.error) == ("failed", "no final report from the provider")
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (100, 0)
