"""Run state transitions: start (a scheduled run whose time came), pause, resume,
cancel, and finish (when no attempt is pending).

Credit flow of one run (docs/api/API_CONTRACT.md §2 begin, §5, §9 "What is charged"):
``hold(estimate)`` in the transaction that creates the run (``begin``); each
attempt owns a ``share`` of that hold; its final outcome charges what it used from
the hold (``attempt:<id>:charge``) and releases the rest of its share
(``attempt:<id>:release``; ``outcomes``); cancel releases the shares of every
attempt it terminates (``run:<id>:cancel``); the run's end releases whatever is left
(``run:<id>:end``). Every movement has its idempotency key, so a repeated report
or a redelivered task never moves credits twice.

The engine's modules import in one direction (an import-linter contract in
``pyproject.toml``): tasks → sweep → dispatch → outcomes_batch → outcomes → guards →
begin | run → publish → models.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts import ledger
from accounts.models import User
from campaigns.models import Attempt, Campaign, Recipient, Run
from campaigns.models.run import run_ledger_key
from campaigns.services.publish import chunks_publish_after_commit
from tingting.errors import ConflictError, NotFoundError

S = Attempt.Status


def run_start(*, run: Run) -> Run:
    """Scheduled → running for a run locked by the caller (the sweeper). Publishes
    its chunks after commit."""
    now = timezone.now()
    run.state, run.started_at = Run.State.RUNNING, now
    run.save(update_fields=["state", "started_at"])
    Attempt.objects.filter(run=run, status=S.QUEUED).update(queued_at=now)
    Recipient.objects.filter(run_attempts__run=run, status=Recipient.Status.SCHEDULED).update(
        status=Recipient.Status.QUEUED
    )
    chunks_publish_after_commit(run.pk, range(run.chunks))
    return run


def _active_run_locked(*, user: User, campaign_id: int) -> Run:
    if not Campaign.objects.filter(owner=user, pk=campaign_id).exists():
        raise NotFoundError("Campaign not found.")
    run = (
        Run.objects.select_for_update()
        .filter(campaign_id=campaign_id, finished_at__isnull=True)
        .order_by("-id")
        .first()
    )
    if run is None:
        raise ConflictError("The campaign has no run in progress.", code="no_active_run")
    return run


def run_pause(*, user: User, campaign_id: int) -> Run:
    """Running → paused: no new attempt is claimed; calls in flight finish.
    Raises NotFoundError, ConflictError (no running run). Not repeatable (409)."""
    with transaction.atomic(durable=True):  # an entry service (see begin.run_begin)
        run = _active_run_locked(user=user, campaign_id=campaign_id)
        if run.state != Run.State.RUNNING:
            raise ConflictError(f"The run is {run.state}; only a running run can be paused.", code="invalid_state")
        run.state = Run.State.PAUSED
        run.save(update_fields=["state"])
    return run


def run_resume(*, user: User, campaign_id: int) -> Run:
    """Paused → running; re-publishes the chunks that still have queued attempts.
    Raises NotFoundError, ConflictError (not paused)."""
    with transaction.atomic(durable=True):  # an entry service (see begin.run_begin)
        run = _active_run_locked(user=user, campaign_id=campaign_id)
        if run.state != Run.State.PAUSED:
            raise ConflictError(f"The run is {run.state}; only a paused run can be resumed.", code="invalid_state")
        run.state = Run.State.RUNNING
        run.save(update_fields=["state"])
        pending = Attempt.objects.filter(run=run, status=S.QUEUED)
        chunks = sorted(set(pending.values_list("chunk", flat=True)))
        pending.update(queued_at=timezone.now())
        chunks_publish_after_commit(run.pk, chunks)
    transaction.on_commit(lambda: run_finish_if_done(run_id=run.pk))
    return run


def run_cancel(*, user: User, campaign_id: int) -> Run:
    """Cancel the campaign's run in progress (scheduled, running or paused): every
    attempt not yet claimed becomes ``terminated`` and its share is released now;
    attempts in flight finish and are charged as usual. Raises NotFoundError,
    ConflictError (nothing to cancel, or already cancelled)."""
    with transaction.atomic(durable=True):  # an entry service (see begin.run_begin)
        run = _active_run_locked(user=user, campaign_id=campaign_id)
        return _cancel_locked(run)


def _cancel_locked(run: Run) -> Run:
    if run.state == Run.State.CANCELLED:
        raise ConflictError("The run is already cancelled.", code="invalid_state")
    now = timezone.now()
    # Only unclaimed attempts: a chunk task's claim (queued → sending) and this
    # update exclude each other on the row.
    Attempt.objects.filter(run=run, status=S.QUEUED).update(
        status=S.TERMINATED, released=F("share"), finished_at=now, error="cancelled"
    )
    Recipient.objects.filter(run_attempts__run=run, run_attempts__status=S.TERMINATED).update(
        status=Recipient.Status.TERMINATED
    )
    released = Attempt.objects.filter(run=run, status=S.TERMINATED).aggregate(n=Sum("share"))["n"] or 0
    if released:
        ledger.release(
            user_id=run.owner_id,
            amount=released,
            idempotency_key=run_ledger_key(run.pk, "cancel"),
            reference=f"run:{run.pk}",
            note="run cancelled",
        )
    run.state, run.cancelled_at = Run.State.CANCELLED, now
    run.save(update_fields=["state", "cancelled_at"])
    run_id = run.pk
    transaction.on_commit(lambda: run_finish_if_done(run_id=run_id))
    return run


def run_finish_if_done(*, run_id: int) -> bool:
    """When no attempt of the run is pending: release what is left of the hold and
    mark the run finished (completed, or cancelled). Safe to call any number of
    times, concurrently: the run row lock and ``finished_at`` make it happen once."""
    pending = Attempt.objects.filter(run_id=run_id, status__in=Attempt.PENDING)
    if pending.exists():
        return False
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id, finished_at__isnull=True).first()
        if run is None or run.state == Run.State.SCHEDULED or pending.exists():
            return False
        sums = Attempt.objects.filter(run_id=run_id).aggregate(charged=Sum("charged"), released=Sum("released"))
        rest = run.hold_amount - (sums["charged"] or 0) - (sums["released"] or 0)
        if rest > 0:
            ledger.release(
                user_id=run.owner_id,
                amount=rest,
                idempotency_key=run_ledger_key(run.pk, "end"),
                reference=f"run:{run.pk}",
                note="run finished",
            )
        run.end_release = max(rest, 0)
        run.finished_at = timezone.now()
        if run.state != Run.State.CANCELLED:
            run.state = Run.State.COMPLETED
        run.save(update_fields=["end_release", "finished_at", "state"])
    return True
