"""Reliability under faults, with real worker processes, Redis and PostgreSQL.

Each test runs a campaign of a few hundred recipients against a recording
provider and asserts (``assert_settled``): every recipient has exactly one
provider call and one final status, no one is charged twice, nothing stays held,
and the ledger invariant holds.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import LedgerEntry
from campaigns.models import Attempt, Run
from campaigns.services.publish import chunks_publish
from campaigns.services.run import run_cancel
from campaigns.services.sweep import runs_start_due, runs_sweep
from tests.support.campaign_helpers import begin_url
from tests.support.clients import client_for
from tests.support.factories import UserFactory
from tests.support.factories_campaigns import campaign_with_recipients
from tests.support.runs_checks import assert_settled, wait_finished
from tests.support.threads import race
from tests.support.workers import running_worker, start_worker, wait_until
from tingting.models import SimulatedDelivery

SLOW = {"SMS_BACKEND": "tests.support.fake_providers.SlowSmsBackend", "FAKE_PROVIDER_LATENCY": "0.02"}
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _small_chunks(settings, purge_broker):
    settings.RUN_CHUNK_SIZE = 25


def _begin(user, campaign, **body) -> Run:
    body.setdefault("message", "hello")
    response = client_for(user).post(begin_url(campaign), body, format="json")
    assert response.status_code == 200, response.json()
    return Run.objects.filter(campaign=campaign).order_by("-id").first()


def _final_count(run) -> int:
    return Attempt.objects.filter(run=run, status__in=Attempt.FINAL).count()


def _sweep_until_finished(run, *, timeout: float = 120) -> Run:
    """What beat does, faster: sweep every second with short thresholds."""

    def swept_and_done() -> bool:
        runs_sweep(
            stale_after=timedelta(seconds=5), stuck_after=timedelta(seconds=5), recheck_after=timedelta(seconds=5)
        )
        return Run.objects.filter(pk=run.pk, finished_at__isnull=False).exists()

    try:
        wait_until(swept_and_done, timeout=timeout, interval=1, message=f"run {run.pk} to finish with sweeps")
    except AssertionError:
        from collections import Counter

        print(Counter(Attempt.objects.filter(run=run).values_list("status", "error")))  # noqa: T201
        raise
    run.refresh_from_db()
    return run


def _broker_queue_length() -> int:
    return redis.Redis.from_url(django_settings.CELERY_BROKER_URL).llen("celery")


def test_worker_killed_mid_run_then_another_worker_finishes():
    user = UserFactory(credits=1000)
    campaign = campaign_with_recipients(user, 300)
    worker = start_worker(concurrency=2, env=SLOW)
    try:
        run = _begin(user, campaign)
        wait_until(lambda: _final_count(run) >= 60, timeout=90, message="60 outcomes")
    finally:
        worker.kill()  # SIGKILL, whole process group: its taken chunks stay unacked
    assert _final_count(run) < 300
    with running_worker(concurrency=2, env=SLOW):
        run = _sweep_until_finished(run)
    assert assert_settled(run, user) == {"completed": 210, "failed": 90}
    assert SimulatedDelivery.objects.count() == 300


def test_every_chunk_delivered_twice_sends_each_recipient_once():
    user = UserFactory(credits=1000)
    campaign = campaign_with_recipients(user, 200)
    run = _begin(user, campaign)  # no worker yet: the chunks wait on the broker
    chunks_publish(run_id=run.pk, chunks=range(run.chunks))
    assert _broker_queue_length() == 2 * run.chunks
    with running_worker(concurrency=2, env=SLOW):
        run = wait_finished(run)
    assert assert_settled(run, user) == {"completed": 140, "failed": 60}
    assert SimulatedDelivery.objects.count() == 200


def test_broker_flushed_mid_run_the_sweeper_recovers():
    user = UserFactory(credits=1000)
    campaign = campaign_with_recipients(user, 300)
    with running_worker(concurrency=2, env=SLOW):
        run = _begin(user, campaign)
        wait_until(lambda: _final_count(run) >= 30, timeout=90, message="30 outcomes")
        redis.Redis.from_url(django_settings.CELERY_BROKER_URL).flushdb()  # the queued chunks are gone
        time.sleep(3)
        assert _final_count(run) < 300
        run = _sweep_until_finished(run)
    assert assert_settled(run, user) == {"completed": 210, "failed": 90}


def test_timeout_after_acceptance_is_reconciled_not_resent():
    user = UserFactory(credits=1000)
    campaign = campaign_with_recipients(user, 200)
    with running_worker(
        concurrency=2, env={"SMS_BACKEND": "tests.support.fake_providers.TimeoutAfterAcceptSmsBackend"}
    ):
        run = _begin(user, campaign)
        wait_until(
            lambda: not Attempt.objects.filter(run=run, status="queued").exists(),
            timeout=90,
            message="every attempt to be tried",
        )
        assert set(Attempt.objects.filter(run=run).values_list("status", flat=True)) == {"sending"}
        run = _sweep_until_finished(run)
    assert assert_settled(run, user) == {"completed": 140, "failed": 60}
    assert SimulatedDelivery.objects.count() == 200  # reconciled from the provider's record, never resent
    user.refresh_from_db()
    assert user.credits == 1000 - 180


@pytest.mark.parametrize("same_key", [False, True])
def test_two_concurrent_begins_start_one_run_with_one_hold(same_key):
    user = UserFactory(credits=1000)
    campaign = campaign_with_recipients(user, 200)
    headers = {"HTTP_IDEMPOTENCY_KEY": "double-click"} if same_key else {}

    def begin():
        return client_for(user).post(begin_url(campaign), {"message": "once"}, format="json", **headers)

    first, second = race(begin, begin)
    codes = sorted([first.status_code, second.status_code])
    if same_key:
        # The loser either waited and got the replay, or arrived while the first ran.
        assert codes in ([200, 200], [200, 409])
        if codes == [200, 200]:
            assert first.json() == second.json()
    else:
        assert codes == [200, 409]
        loser = first if first.status_code == 409 else second
        assert loser.json()["errors"][0]["code"] == "campaign_running"
    assert Run.objects.filter(campaign=campaign).count() == 1
    assert LedgerEntry.objects.filter(user=user, kind="hold").count() == 1
    user.refresh_from_db()
    assert user.credits_held == 200


def test_two_sweepers_on_one_due_schedule_start_it_once():
    user = UserFactory(credits=1000)
    campaign = campaign_with_recipients(user, 200)
    later = (timezone.now() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    run = _begin(user, campaign, schedule_date=later)
    Run.objects.filter(pk=run.pk).update(scheduled_for=timezone.now() - timedelta(seconds=1))

    started = race(runs_start_due, runs_start_due)
    assert sorted(started) == [0, 1]
    assert _broker_queue_length() == run.chunks  # published once
    with running_worker(concurrency=2, env=SLOW):
        run = wait_finished(run)
    assert assert_settled(run, user) == {"completed": 140, "failed": 60}


def test_cancel_racing_the_scheduled_start_settles_cleanly():
    user = UserFactory(credits=3000)
    runs = []
    with running_worker(concurrency=2, env=SLOW):
        for index in range(3):
            campaign = campaign_with_recipients(user, 100, name=f"race {index}")
            later = (timezone.now() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            run = _begin(user, campaign, schedule_date=later)
            Run.objects.filter(pk=run.pk).update(scheduled_for=timezone.now() - timedelta(seconds=1))
            started, cancelled = race(runs_start_due, lambda c=campaign: run_cancel(user=user, campaign_id=c.pk))
            assert isinstance(cancelled, Run), cancelled
            runs.append(wait_finished(run))
    for run in runs:
        assert run.state == "cancelled"
        statuses = assert_settled(run, user)
        assert sum(statuses.values()) == 100
