"""Campaign dispatch throughput against the task rate of the same broker and worker pool.

(a) no-op Celery tasks/s (one cache INCR each), same broker, pool and concurrency
as (b); (b) recipients/s from begin to every recipient final, simulated SMS
provider at zero latency; (c) recipients/s through a provider that answers after
50 ms, with a thread pool of C workers, as a fraction of the ideal C / 0.05 s.
Needs PostgreSQL and a real broker (DATABASE_URL, CELERY_BROKER_URL, REDIS_URL).
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache
from django.db import connection

from accounts import ledger
from accounts.models import LedgerEntry, User
from bench.tasks import bench_noop_task
from campaigns.models import Attempt, Campaign, Recipient, Run
from campaigns.services.begin import run_begin
from tingting.models import SimulatedDelivery
from tingting.providers.base import OutboundSms, Submission
from tingting.providers.simulated import SimulatedSmsBackend

LATENCY = 0.05


class LatencySmsBackend(SimulatedSmsBackend):
    """The simulated SMS provider, answering after 50 ms like a remote API."""

    def send(self, message: OutboundSms) -> Submission:
        time.sleep(LATENCY)
        return super().send(message)


def _worker(**kwargs):
    from tests.support.workers import start_worker  # noqa: PLC0415 - tests/ is in a checkout, not the package

    return start_worker(ready_timeout=120, **kwargs)


def _noop_rate(count: int, concurrency: int) -> float:
    from tests.support.workers import wait_until  # noqa: PLC0415 - tests/ is in a checkout, not the package

    cache.set("bench:noop", 0, timeout=3600)
    worker = _worker(concurrency=concurrency, include="bench.tasks")
    try:
        started = time.perf_counter()
        for _ in range(count):
            bench_noop_task.delay()
        wait_until(lambda: (cache.get("bench:noop") or 0) >= count, timeout=600, interval=0.05, message="no-op tasks")
        return count / (time.perf_counter() - started)
    finally:
        worker.kill()


def _campaign(user, count: int) -> Campaign:
    campaign = Campaign.objects.create(owner=user, name=f"bench {count}", services=Campaign.Services.SMS)
    Recipient.objects.bulk_create(
        [Recipient(campaign=campaign, number=f"+97798{index:08d}") for index in range(count)], batch_size=5000
    )
    return campaign


def _run_rate(user, count: int, *, chunk_size: int, worker_kwargs: dict) -> float:
    from tests.support.workers import wait_until  # noqa: PLC0415 - tests/ is in a checkout, not the package

    campaign = _campaign(user, count)
    worker = _worker(**worker_kwargs)
    try:
        started = time.perf_counter()
        run = run_begin(user=user, campaign_id=campaign.pk, message="Bench message", chunk_size=chunk_size)
        wait_until(
            lambda: Run.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
            timeout=3600,
            interval=0.2,
            message="the run to finish",
        )
        elapsed = time.perf_counter() - started
    finally:
        worker.kill()
    assert not Attempt.objects.filter(run=run).exclude(status__in=Attempt.FINAL).exists()
    return count / elapsed


def _cleanup(user) -> None:
    ids = list(Attempt.objects.filter(run__owner=user).values_list("id", flat=True))
    for start in range(0, len(ids), 5000):
        SimulatedDelivery.objects.filter(reference__in=[f"attempt:{i}" for i in ids[start : start + 5000]]).delete()
    Campaign.objects.filter(owner=user).delete()
    LedgerEntry.objects.filter(user=user).delete()
    user.delete()


def run(quick: bool, out) -> None:
    if connection.vendor != "postgresql":
        out.write("dispatch: skipped, needs PostgreSQL and a real broker (DATABASE_URL, CELERY_BROKER_URL)")
        return
    noops, recipients, slow_recipients = (300, 500, 640) if quick else (20_000, 50_000, 4_000)
    concurrency, per_worker = 2, 8 if quick else 16
    threads = concurrency * per_worker
    user = User.objects.create_user(email=f"bench-dispatch-{time.time_ns()}@bench.local", password=None)
    ledger.top_up(user_id=user.pk, amount=10 * (recipients + slow_recipients))
    try:
        noop_rate = _noop_rate(noops, concurrency)
        fast = _run_rate(user, recipients, chunk_size=1000, worker_kwargs={"concurrency": concurrency})
        slow = _run_rate(
            user,
            slow_recipients,
            chunk_size=math.ceil(slow_recipients / concurrency),
            worker_kwargs={
                "concurrency": concurrency,
                "env": {"SMS_BACKEND": "bench.dispatch.LatencySmsBackend", "RUN_PROVIDER_CONCURRENCY": str(per_worker)},
            },
        )
    finally:
        _cleanup(user)
    ideal = threads / LATENCY
    out.write(
        f"dispatch: (a) no-op tasks {noop_rate:,.0f}/s (prefork x{concurrency}); "
        f"(b) {recipients:,} recipients begin→final {fast:,.0f}/s, ratio {fast / noop_rate:.2f}x the no-op rate; "
        f"(c) 50 ms provider, C = {threads} calls in flight (prefork x{concurrency} x "
        f"RUN_PROVIDER_CONCURRENCY {per_worker}): {slow:,.0f}/s of ideal {ideal:,.0f}/s, ratio {slow / ideal:.2f}"
    )
