"""SMS & PHONE failover under faults (docs/api/API_CONTRACT_V1.md §4), with real worker processes, Redis
and PostgreSQL: the worker dies around the failover send, or the send task is lost; the
runs sweep (``failover_republished`` / ``failover_reconciled``) still sends each failover
SMS exactly once, charged once, nothing left held."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings

from accounts.ledger import invariant_gap
from accounts.models import LedgerEntry
from campaigns.models import Attempt, Campaign, FailoverSms, Recipient, Run
from campaigns.services.dispatch import chunk_dispatch
from campaigns.services.failover import failover_send
from campaigns.services.sweep import runs_sweep
from tests.support.clients import client_for
from tests.support.factories import UserFactory
from tests.support.workers import running_worker, start_worker, wait_until
from tingting.models import SimulatedDelivery

pytestmark = pytest.mark.django_db(transaction=True)

DYING = "tests.support.fake_providers.DyingOnFailoverSmsBackend"
SHORT = {"stale_after": timedelta(seconds=2), "stuck_after": timedelta(seconds=2), "recheck_after": timedelta(0)}
# Last digit 8 → unanswered, 9 → failed (tingting.providers.simulated): the failover targets.
NUMBERS = [f"+97798410000{n:02d}" for n in range(20)]
TARGETED = [n for n in NUMBERS if n[-1] in "89"]


@pytest.fixture(autouse=True)
def _clean_broker(purge_broker, media):
    pass


def _begin(user) -> tuple[Campaign, Run]:
    campaign = Campaign.objects.create(
        owner=user,
        name="Both",
        services=Campaign.Services.SMS_PHONE,
        message="call text",
        sms_message="We tried to call you",
        failover_target=["unanswered", "failed"],
    )
    Recipient.objects.bulk_create([Recipient(campaign=campaign, number=n) for n in NUMBERS])
    response = client_for(user).post(f"/api/v1/run-campaign/{campaign.pk}/", {}, format="json")
    assert response.status_code == 200, response.json()
    return campaign, Run.objects.get(campaign=campaign)


def _calls_final(run: Run) -> bool:
    return not Attempt.objects.filter(run=run).exclude(status__in=Attempt.FINAL).exists()


def _sweep_until_sent(run: Run, *, timeout: float = 120) -> None:
    """What beat does, faster: sweep every second with short thresholds."""

    def swept_and_done() -> bool:
        runs_sweep(**SHORT)
        return (
            Run.objects.filter(pk=run.pk, finished_at__isnull=False).exists()
            and FailoverSms.objects.count() == len(TARGETED)
            and not FailoverSms.objects.exclude(status__in=FailoverSms.FINAL).exists()
        )

    wait_until(swept_and_done, timeout=timeout, interval=1, message="every failover SMS settled by the sweep")


def _assert_sent_once(user, campaign: Campaign) -> None:
    sent = Counter(SimulatedDelivery.objects.filter(reference__startswith="failover:").values_list("to", flat=True))
    assert sent == Counter(TARGETED), sent
    charges = Counter(
        LedgerEntry.objects.filter(user=user, kind="charge", reference__startswith="failover:").values_list(
            "reference", flat=True
        )
    )
    assert all(count == 1 for count in charges.values()), charges
    recipients = {r.number: r for r in Recipient.objects.filter(campaign=campaign)}
    for number in TARGETED:
        assert recipients[number].sms_status in ("completed", "failed"), (number, recipients[number].sms_status)
    assert {r.sms_status for n, r in recipients.items() if n not in TARGETED} == {""}
    user.refresh_from_db()
    assert user.credits_held == 0 and invariant_gap(user_id=user.pk) == 0


def _replay_everything(user, campaign: Campaign) -> None:
    """Sweeps and redelivered send tasks after the fact change nothing."""
    credits = user.credits
    for _ in range(2):
        counts = runs_sweep(**SHORT)
        assert counts["failover_republished"] == 0 and counts["failover_reconciled"] == 0, counts
        for sms_id in FailoverSms.objects.values_list("id", flat=True):
            failover_send(sms_id=sms_id)
    _assert_sent_once(user, campaign)
    user.refresh_from_db()
    assert user.credits == credits


@pytest.mark.parametrize("dies", ["before", "after"])
def test_worker_dying_at_the_failover_send_the_sweep_sends_it_once(dies):
    user = UserFactory(credits=1000)
    worker = start_worker(concurrency=1, env={"SMS_BACKEND": DYING, "FAKE_DIE": dies})
    try:
        campaign, run = _begin(user)
        wait_until(lambda: worker.proc.poll() is not None, timeout=90, message="the worker to die at a failover send")
    finally:
        worker.kill()
    died_on = FailoverSms.objects.get(status="sending")  # the one it died on, its hold taken
    assert LedgerEntry.objects.filter(idempotency_key=f"{died_on.reference}:hold").exists()
    assert SimulatedDelivery.objects.filter(reference__startswith="failover:").count() == (dies == "after")
    with running_worker(concurrency=1):
        _sweep_until_sent(run)
    died_on.refresh_from_db()
    # Never received → re-queued and sent by a second claim; accepted → settled from the
    # provider's record, not sent again.
    assert died_on.tries == (2 if dies == "before" else 1)
    _assert_sent_once(user, campaign)
    _replay_everything(user, campaign)


def test_lost_failover_tasks_are_published_again_by_the_sweep():
    user = UserFactory(credits=1000)
    campaign, run = _begin(user)  # no worker: the chunk tasks wait on the broker
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    broker.flushdb()
    for chunk in range(run.chunks):  # the calls, as a worker runs them; their failover SMS are published
        chunk_dispatch(run_id=run.pk, chunk=chunk)
    assert _calls_final(run) and FailoverSms.objects.filter(status="queued").count() == len(TARGETED)
    assert broker.llen("celery") == len(TARGETED)
    broker.flushdb()  # ... and lost
    with running_worker(concurrency=1):
        _sweep_until_sent(run)
    _assert_sent_once(user, campaign)
    _replay_everything(user, campaign)
