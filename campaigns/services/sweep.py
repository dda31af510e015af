"""The periodic sweep (beat, every ``RUN_SWEEP_SECONDS``): the engine's safety net.

Named jobs, each logged with its count and time:

- ``started``: scheduled runs whose time came start (FOR UPDATE SKIP LOCKED: two
  sweepers never start one run twice);
- ``due``: rows that waited for calling hours or a retry delay are published again
  (guardrails);
- ``republished``: queued work nobody claimed for ``RUN_STALE_QUEUED_SECONDS`` (the
  broker lost it) is published again;
- ``reconciled``: attempts stuck in ``sending`` (a dead worker) or in flight with no
  final report are settled from the provider's own record — re-queued only when the
  provider says it never received it, never blindly sent again;
- ``failover_republished``: failover SMS of ``SMS & PHONE`` calls queued for
  ``RUN_STALE_QUEUED_SECONDS`` with nobody sending them (the task was lost, or the
  worker died between the call's outcome and the send) are published again; those
  queued past ``RUN_GIVE_UP_IN_FLIGHT_SECONDS`` fail, unsent and uncharged;
- ``failover_reconciled``: failover SMS stuck in ``sending`` or with no final report
  are settled from the provider's record like attempts (never sent twice);
- ``finished``: runs with nothing pending release the rest of their hold and finish;
- ``imports``: recipient imports committed but not moving for ``IMPORT_STALE_SECONDS``
  (the task never reached the broker, or the worker died mid-file) are published
  again and resume from their committed progress.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from campaigns.models import Attempt, Campaign, FailoverSms, Run
from campaigns.services import failover, guards
from campaigns.services.dispatch import in_flight_status
from campaigns.services.outcomes import (
    FINAL_BY_KIND,
    SMS_FINAL,
    Outcome,
    attempt_mark_in_flight,
    attempt_record_outcome,
)
from campaigns.services.publish import chunks_publish, import_publish
from campaigns.services.run import run_finish_if_done, run_start
from tingting.providers import sms_backend, voice_backend
from tingting.providers.base import SmsBackend, VoiceBackend

logger = logging.getLogger(__name__)
S = Attempt.Status


def _lookup_is_authoritative(backend: SmsBackend | VoiceBackend) -> bool:
    """A backend that implements ``lookup`` answers None only for what it never got."""
    base = SmsBackend if isinstance(backend, SmsBackend) else VoiceBackend
    return type(backend).lookup is not base.lookup


def attempt_reconcile(*, attempt: Attempt, run: Run, give_up: bool = False) -> str:
    """Settle an attempt left in flight (worker died, timeout after acceptance, no
    final report) from the provider's own record. Never sends anything: an attempt
    is re-queued only when the provider says it never received it. ``give_up``
    records an accepted attempt with no final outcome as failed ("no final report"),
    and one whose lookup fails (kept held, asked again every sweep until then) as
    failed "outcome unknown"."""
    backend = sms_backend() if run.kind == Run.Kind.SMS else voice_backend()
    try:
        report = backend.lookup(attempt.reference)
    except Exception:  # noqa: BLE001 - vendor down: try again next sweep, up to the deadline
        if not give_up:
            logger.warning("lookup of %s failed; retrying next sweep", attempt.reference, exc_info=True)
            return "lookup_failed"
        logger.error("lookup of %s failed past the deadline; recorded failed", attempt.reference)
        attempt_record_outcome(
            attempt_id=attempt.pk, provider_status="failed", error="outcome unknown: the provider could not be asked"
        )
        return "unknown"
    if report is not None and report.status in FINAL_BY_KIND[run.kind]:
        Outcome.of_report(attempt.pk, report).record()
        return "recorded"
    if attempt.status != S.SENDING:  # accepted earlier, still no final outcome
        if give_up:
            attempt_record_outcome(
                attempt_id=attempt.pk, provider_status="failed", error="no final report from the provider"
            )
            return "unknown"
        return "waiting"
    if report is not None:
        attempt_mark_in_flight(attempt_id=attempt.pk, status=in_flight_status(run), provider_id=report.provider_id)
        return "in_flight"
    if _lookup_is_authoritative(backend) and attempt.tries < settings.RUN_MAX_TRIES:
        requeued = Attempt.objects.filter(pk=attempt.pk, status=S.SENDING, claimed_at=attempt.claimed_at).update(
            status=S.QUEUED, queued_at=timezone.now(), error="requeued: the provider never received it"
        )
        if requeued:
            chunks_publish(run_id=run.pk, chunks=[attempt.chunk])
        return "requeued"
    attempt_record_outcome(attempt_id=attempt.pk, provider_status="failed", error="outcome unknown")
    return "unknown"


def runs_start_due(*, now: datetime | None = None, batch: int = 20) -> int:
    """Start scheduled runs whose time has come. Two sweepers never start one run
    twice: rows are taken with FOR UPDATE SKIP LOCKED and change state."""
    now = now or timezone.now()
    started = 0
    while True:
        with transaction.atomic():
            due = list(
                Run.objects.select_for_update(skip_locked=True)
                .filter(state=Run.State.SCHEDULED, scheduled_for__lte=now)
                .order_by("scheduled_for", "id")[:batch]
            )
            for run in due:
                run_start(run=run)
        started += len(due)
        if len(due) < batch:
            return started


def sweep_republish_stale(*, now: datetime, stale_after: timedelta) -> int:
    """Re-publish the chunks whose queued rows nobody claimed since ``now - stale_after``
    (the broker lost the task). Bumping ``queued_at`` first means a second sweeper
    finds nothing to re-publish. Returns how many chunks it published."""
    cutoff = now - stale_after
    stale = (
        Attempt.objects.filter(status=S.QUEUED, queued_at__lt=cutoff, run__state=Run.State.RUNNING)
        .filter(guards.stale_filter())  # guardrails: waiting rows are not lost
        .values_list("run_id", "chunk")
        .distinct()
        .order_by()
    )
    republished = 0
    for run_id, chunk in list(stale[:1000]):
        if Attempt.objects.filter(
            run_id=run_id, chunk=chunk, status=S.QUEUED, queued_at__lt=cutoff, next_attempt_at__isnull=True
        ).update(queued_at=timezone.now()):
            republished += chunks_publish(run_id=run_id, chunks=[chunk])
    return republished


def sweep_reconcile_stuck(
    *, now: datetime, stuck_after: timedelta, recheck_after: timedelta, give_up_after: timedelta
) -> int:
    """Reconcile what was claimed but never resolved (the worker died, or the provider
    timed out after accepting), then what was accepted but has had no final report for
    a long while. Returns how many attempts it settled or moved."""
    stuck = Attempt.objects.filter(status=S.SENDING, claimed_at__lt=now - stuck_after) | Attempt.objects.filter(
        status__in=(S.SENT, S.RINGING), claimed_at__lt=now - recheck_after
    )
    runs: dict[int, Run] = {}
    reconciled = 0
    for attempt in list(stuck.order_by("claimed_at", "id")[:500]):
        run = runs.get(attempt.run_id) or runs.setdefault(attempt.run_id, Run.objects.get(pk=attempt.run_id))
        give_up = attempt.claimed_at is not None and attempt.claimed_at < now - give_up_after
        reconciled += attempt_reconcile(attempt=attempt, run=run, give_up=give_up) not in ("waiting", "lookup_failed")
    return reconciled


def failover_reconcile(*, sms: FailoverSms, now: datetime, give_up: bool = False) -> str:
    """Settle a failover SMS left in ``sending`` (worker died around the provider call)
    or ``sent`` with no final report, from the SMS provider's record, by the rules of
    ``attempt_reconcile``: re-queued only when the provider says it never received it
    (and it has tries left), never sent blindly again. Safe to repeat."""
    backend = sms_backend()
    try:
        report = backend.lookup(sms.reference)
    except Exception:  # noqa: BLE001 - vendor down: try again next sweep
        logger.warning("lookup of %s failed; retrying next sweep", sms.reference, exc_info=True)
        return "lookup_failed"
    if report is not None and report.status in SMS_FINAL:
        failover.failover_settle(sms_id=sms.pk, provider_status=report.status, provider_id=report.provider_id)
        return "recorded"
    if sms.status != FailoverSms.Status.SENDING:  # accepted earlier, still no final outcome
        if give_up:
            failover.failover_settle(sms_id=sms.pk, provider_status="failed", error="no final report from the provider")
            return "unknown"
        return "waiting"
    if report is not None:
        FailoverSms.objects.filter(pk=sms.pk, status=FailoverSms.Status.SENDING).update(
            status=FailoverSms.Status.SENT, provider_id=report.provider_id
        )
        return "in_flight"
    if _lookup_is_authoritative(backend) and sms.tries < settings.RUN_MAX_TRIES:
        requeued = FailoverSms.objects.filter(
            pk=sms.pk, status=FailoverSms.Status.SENDING, claimed_at=sms.claimed_at
        ).update(status=FailoverSms.Status.QUEUED, queued_at=now, error="requeued: the provider never received it")
        if requeued:
            failover.failover_publish(sms.pk)
        return "requeued"
    failover.failover_settle(sms_id=sms.pk, provider_status="failed", error="outcome unknown")
    return "unknown"


def sweep_failover_republish(*, now: datetime, stale_after: timedelta, give_up_after: timedelta) -> int:
    """Publish again the failover SMS queued since ``now - stale_after`` (bumping
    ``queued_at`` first, so a second sweeper finds nothing); fail those queued since
    ``now - give_up_after``. Returns how many rows it published or failed."""
    cutoff = now - stale_after
    stale = FailoverSms.objects.filter(status=FailoverSms.Status.QUEUED, queued_at__lt=cutoff)
    moved = 0
    for sms_id, created_at in list(stale.order_by("queued_at", "id").values_list("id", "created_at")[:1000]):
        if created_at < now - give_up_after:
            moved += failover.failover_give_up(sms_id=sms_id, error="not sent: no worker took it in time")
        elif FailoverSms.objects.filter(pk=sms_id, status=FailoverSms.Status.QUEUED, queued_at__lt=cutoff).update(
            queued_at=timezone.now()
        ):
            failover.failover_publish(sms_id)
            moved += 1
    return moved


def sweep_failover_reconcile(
    *, now: datetime, stuck_after: timedelta, recheck_after: timedelta, give_up_after: timedelta
) -> int:
    """Reconcile the failover SMS claimed but never resolved, then those accepted with
    no final report for a long while. Returns how many it settled or moved."""
    stuck = FailoverSms.objects.filter(
        status=FailoverSms.Status.SENDING, claimed_at__lt=now - stuck_after
    ) | FailoverSms.objects.filter(status=FailoverSms.Status.SENT, claimed_at__lt=now - recheck_after)
    reconciled = 0
    for sms in list(stuck.order_by("claimed_at", "id")[:500]):
        give_up = sms.claimed_at is not None and sms.claimed_at < now - give_up_after
        reconciled += failover_reconcile(sms=sms, now=now, give_up=give_up) not in ("waiting", "lookup_failed")
    return reconciled


def sweep_finish_idle() -> int:
    """Finish the runs (not scheduled) with no attempt pending; returns how many."""
    pending = Attempt.objects.filter(run_id=OuterRef("pk"), status__in=Attempt.PENDING)
    idle = (
        Run.objects.filter(finished_at__isnull=True)
        .exclude(state=Run.State.SCHEDULED)
        .exclude(Exists(pending))
        .values_list("id", flat=True)
    )
    return sum(run_finish_if_done(run_id=run_id) for run_id in list(idle[:200]))


def sweep_republish_imports(*, now: datetime, stale_after: timedelta) -> int:
    """Publish again the recipient imports (pending or running) whose campaign row has
    not moved since ``now - stale_after``: every committed batch touches it, so a live
    import never looks stale. Touching it first means a second sweeper finds nothing;
    a duplicate task is harmless (the import resumes from, or stops at, what is
    committed). Returns how many it published."""
    cutoff = now - stale_after
    active = (Campaign.ImportState.PENDING, Campaign.ImportState.RUNNING)
    stalled = Campaign.objects.filter(import_state__in=active, updated_at__lt=cutoff).values_list("pk", flat=True)
    republished = 0
    for campaign_id in list(stalled.order_by("updated_at")[:100]):
        if Campaign.objects.filter(pk=campaign_id, import_state__in=active, updated_at__lt=cutoff).update(
            updated_at=timezone.now()
        ):
            republished += import_publish(campaign_id=campaign_id)
    return republished


def runs_sweep(
    *,
    now: datetime | None = None,
    stale_after: timedelta | None = None,
    stuck_after: timedelta | None = None,
    recheck_after: timedelta | None = None,
    give_up_after: timedelta | None = None,
    import_stale_after: timedelta | None = None,
) -> dict[str, int]:
    """The periodic sweep: its jobs in order (module docstring), each one's count in
    the answer and, with its time, in one log line. Idempotent; safe to run in two
    beat processes at once."""
    now = now or timezone.now()

    def seconds(value: timedelta | None, setting: str) -> timedelta:
        return value if value is not None else timedelta(seconds=getattr(settings, setting))

    stale_after = seconds(stale_after, "RUN_STALE_QUEUED_SECONDS")
    stuck_after = seconds(stuck_after, "RUN_STUCK_SENDING_SECONDS")
    recheck_after = seconds(recheck_after, "RUN_RECHECK_IN_FLIGHT_SECONDS")
    give_up_after = seconds(give_up_after, "RUN_GIVE_UP_IN_FLIGHT_SECONDS")
    import_stale_after = seconds(import_stale_after, "IMPORT_STALE_SECONDS")
    jobs: list[tuple[str, Callable[[], int]]] = [
        ("started", lambda: runs_start_due(now=now)),
        ("due", lambda: guards.waiting_publish(now=now)),  # guardrails: calling hours, retry delays
        ("republished", lambda: sweep_republish_stale(now=now, stale_after=stale_after)),
        (
            "reconciled",
            lambda: sweep_reconcile_stuck(
                now=now, stuck_after=stuck_after, recheck_after=recheck_after, give_up_after=give_up_after
            ),
        ),
        (
            "failover_republished",
            lambda: sweep_failover_republish(now=now, stale_after=stale_after, give_up_after=give_up_after),
        ),
        (
            "failover_reconciled",
            lambda: sweep_failover_reconcile(
                now=now, stuck_after=stuck_after, recheck_after=recheck_after, give_up_after=give_up_after
            ),
        ),
        ("finished", sweep_finish_idle),
        ("imports", lambda: sweep_republish_imports(now=now, stale_after=import_stale_after)),
    ]
    counts: dict[str, int] = {}
    timings: list[str] = []
    for name, job in jobs:
        began = time.perf_counter()
        counts[name] = job()
        timings.append(f"{name}={counts[name]} ({(time.perf_counter() - began) * 1000:.0f} ms)")
    logger.info("runs sweep: %s", ", ".join(timings))
    return counts
