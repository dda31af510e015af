"""Dispatch: chunk tasks that claim attempts and call the provider, and the sweeper.

Exactly-once sending rests on one rule: an attempt is sent only by whoever moved
it ``queued → sending`` with a conditional UPDATE, committed before the provider
is called. A redelivered or duplicated chunk task claims nothing. What the
broker loses, the sweeper re-publishes (queued too long); what a dead worker
leaves in ``sending``, the sweeper reconciles by asking the provider about our
reference — re-queued only when the provider says it never saw it, recorded as
``failed`` ("outcome unknown") when the backend cannot answer, never blindly
sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from campaigns.models import Attempt, Run
from campaigns.services import guards
from campaigns.services.run import (
    SMS_FINAL,
    VOICE_FINAL,
    attempt_mark_in_flight,
    attempt_record_outcome,
    run_finish_if_done,
    run_start,
)
from tingting.providers import sms_backend, voice_backend
from tingting.providers.base import (
    OutboundCall,
    OutboundSms,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
    SmsBackend,
    VoiceBackend,
)

logger = logging.getLogger(__name__)
S = Attempt.Status


def chunks_publish(*, run_id: int, chunks: Iterable[int], countdown: int | None = None) -> int:
    """Publish one dispatch task per chunk. A broker error is logged, not raised:
    the rows stay queued and the sweeper re-publishes them."""
    from campaigns.tasks import dispatch_chunk_task

    published = 0
    for chunk in chunks:
        try:
            dispatch_chunk_task.apply_async(args=[run_id, chunk], countdown=countdown)
            published += 1
        except Exception:  # noqa: BLE001 - any broker failure: the sweeper recovers
            logger.exception("Could not publish chunk %s of run %s; the sweeper will", chunk, run_id)
    return published


def attempt_claim(*, attempt_id: int) -> bool:
    """queued → sending, only while the run is running. True for the one caller
    that wins; every other caller (a duplicate task, a paused run) gets False."""
    running = Run.objects.filter(pk=OuterRef("run_id"), state=Run.State.RUNNING)
    return bool(
        Attempt.objects.filter(pk=attempt_id, status=S.QUEUED)
        .filter(guards.waiting_or_due(timezone.now()))  # guardrails: not while waiting (hours, retry delay)
        .filter(Exists(running))
        .update(status=S.SENDING, claimed_at=timezone.now(), tries=F("tries") + 1)
    )


def _in_flight(run: Run) -> str:
    return S.SENT if run.kind == Run.Kind.SMS else S.RINGING


def _audio_url(name: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{default_storage.url(name)}" if name else ""


def chunk_dispatch(*, run_id: int, chunk: int) -> int:
    """Send every queued attempt of one chunk of a running run; returns how many
    attempts it claimed. Safe to run twice or concurrently with itself (claims)."""
    run = Run.objects.select_related("campaign").filter(pk=run_id).first()
    if run is None or run.state != Run.State.RUNNING:
        return 0
    # One read for the whole chunk; each row is then claimed on its own just
    # before its provider call, so a crash leaves at most one row in doubt.
    attempts = list(Attempt.objects.filter(run_id=run_id, chunk=chunk, status=S.QUEUED)
                    .filter(guards.waiting_or_due(timezone.now()))  # guardrails: skip rows that wait
                    .select_related("recipient")
                    .only("id", "run_id", "chunk", "text", "tries", "retries", "recipient__number")
                    .order_by("id"))
    if not attempts:
        return 0
    sender = run.campaign.user_phone.values_list("phone_number", flat=True).first() or ""
    backend = sms_backend() if run.kind == Run.Kind.SMS else voice_backend()
    # Guardrails (guards.py): DNC numbers settle without a provider call; each
    # claim waits for calling hours, rate-limit tokens and a concurrency slot.
    guard = guards.ChunkGuard(run, sender, backend)
    attempts = guard.skip_dnc(attempts)
    claimed, retry, countdown = 0, False, None
    for index, attempt in enumerate(attempts):
        countdown = guard.admit(attempt, pending=[a.pk for a in attempts[index:]])
        if countdown is not None:
            break
        if not attempt_claim(attempt_id=attempt.pk):
            guard.claim_lost(attempt)
            continue
        attempt.tries += 1
        outcome = _send(run=run, attempt=attempt, backend=backend, sender=sender)
        claimed += 1
        retry |= outcome == "retry"
        if outcome == "retry":
            guard.call_ended(attempt)
    if countdown is not None and countdown >= 0:  # guardrails: throttled, come back later
        chunks_publish(run_id=run_id, chunks=[chunk], countdown=countdown)
    elif retry:
        chunks_publish(run_id=run_id, chunks=[chunk], countdown=30)
    return claimed


def _send(*, run: Run, attempt: Attempt, backend, sender: str) -> str:
    """Call the provider for one claimed attempt and record what it answered."""
    reference = attempt.reference
    try:
        if run.kind == Run.Kind.SMS:
            submission = backend.send(OutboundSms(
                to=attempt.recipient.number, body=attempt.text or run.message, reference=reference,
                sender=sender))
        else:
            audio_name, seconds = run.audio_name, run.audio_seconds or 0
            if run.is_personalised:
                from tingting.voice.render import render_cached

                render = render_cached(text=attempt.text, voice=run.voice_input, length_factor=run.length_factor)
                audio_name, seconds = render.audio.name, render.duration
            submission = backend.place_call(OutboundCall(
                to=attempt.recipient.number, reference=reference, audio_url=_audio_url(audio_name),
                audio_seconds=seconds, caller_id=sender))
    except ProviderTimeoutError as exc:
        # It may have been accepted: leave it in ``sending`` for reconciliation.
        Attempt.objects.filter(pk=attempt.pk, status=S.SENDING).update(error=f"timeout: {exc}"[:255])
        return "in_doubt"
    except ProviderTemporaryError as exc:
        if attempt.tries < settings.RUN_MAX_TRIES:
            Attempt.objects.filter(pk=attempt.pk, status=S.SENDING).update(
                status=S.QUEUED, queued_at=timezone.now(), error=f"retrying: {exc}"[:255])
            return "retry"
        attempt_record_outcome(attempt_id=attempt.pk, provider_status="failed", error=str(exc))
        return "failed"
    except ProviderPermanentError as exc:
        attempt_record_outcome(attempt_id=attempt.pk, provider_status="failed", error=str(exc))
        return "failed"
    except Exception:
        # A bug or an unexpected vendor answer: we cannot tell whether it was
        # sent, so the sweeper reconciles it like a crash.
        logger.exception("Unexpected error sending %s", reference)
        return "in_doubt"
    if not submission.accepted:
        attempt_record_outcome(attempt_id=attempt.pk, provider_status="failed",
                               provider_id=submission.provider_id, error=submission.error)
        return "failed"
    # The simulated providers report before send() returns: the attempt may be
    # final already, and then this changes nothing.
    attempt_mark_in_flight(attempt_id=attempt.pk, status=_in_flight(run), provider_id=submission.provider_id,
                           backend=submission.backend or getattr(backend, "name", ""),  # failover record
                           retries=attempt.retries)  # guardrails: not if its outcome already queued a retry
    return "sent"


# --- Sweeper ------------------------------------------------------------------------


def _lookup_is_authoritative(backend) -> bool:
    """A backend that implements ``lookup`` answers None only for what it never got."""
    base = SmsBackend if isinstance(backend, SmsBackend) else VoiceBackend
    return type(backend).lookup is not base.lookup


def attempt_reconcile(*, attempt: Attempt, run: Run, give_up: bool = False) -> str:
    """Settle an attempt left in flight (worker died, timeout after acceptance, no
    final report) from the provider's own record. Never sends anything: an attempt
    is re-queued only when the provider says it never received it. ``give_up``
    records an accepted attempt with no final outcome as failed ("no final report")."""
    backend = sms_backend() if run.kind == Run.Kind.SMS else voice_backend()
    try:
        report = backend.lookup(attempt.reference)
    except Exception:  # noqa: BLE001 - vendor down: try again next sweep
        logger.warning("lookup of %s failed; retrying next sweep", attempt.reference, exc_info=True)
        return "lookup_failed"
    final = SMS_FINAL if run.kind == Run.Kind.SMS else VOICE_FINAL
    if report is not None and report.status in final:
        attempt_record_outcome(attempt_id=attempt.pk, provider_status=report.status,
                               provider_id=report.provider_id, duration=report.duration,
                               playback=report.playback, error=report.error)
        return "recorded"
    if attempt.status != S.SENDING:  # accepted earlier, still no final outcome
        if give_up:
            attempt_record_outcome(attempt_id=attempt.pk, provider_status="failed",
                                   error="no final report from the provider")
            return "unknown"
        return "waiting"
    if report is not None:
        attempt_mark_in_flight(attempt_id=attempt.pk, status=_in_flight(run), provider_id=report.provider_id)
        return "in_flight"
    if _lookup_is_authoritative(backend) and attempt.tries < settings.RUN_MAX_TRIES:
        requeued = Attempt.objects.filter(pk=attempt.pk, status=S.SENDING, claimed_at=attempt.claimed_at).update(
            status=S.QUEUED, queued_at=timezone.now(), error="requeued: the provider never received it")
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
            due = list(Run.objects.select_for_update(skip_locked=True)
                       .filter(state=Run.State.SCHEDULED, scheduled_for__lte=now)
                       .order_by("scheduled_for", "id")[:batch])
            for run in due:
                run_start(run=run)
        started += len(due)
        if len(due) < batch:
            return started


def runs_sweep(
    *,
    now: datetime | None = None,
    stale_after: timedelta | None = None,
    stuck_after: timedelta | None = None,
    recheck_after: timedelta | None = None,
    give_up_after: timedelta | None = None,
) -> dict[str, int]:
    """The periodic sweep (beat, every RUN_SWEEP_SECONDS): start due runs,
    re-publish queued work nobody claimed (the broker lost it), reconcile attempts
    stuck in flight, and finish runs with nothing pending. Idempotent; safe to run
    in two beat processes at once."""
    now = now or timezone.now()
    def seconds(value: timedelta | None, setting: str) -> timedelta:
        return value if value is not None else timedelta(seconds=getattr(settings, setting))

    stale_after = seconds(stale_after, "RUN_STALE_QUEUED_SECONDS")
    stuck_after = seconds(stuck_after, "RUN_STUCK_SENDING_SECONDS")
    recheck_after = seconds(recheck_after, "RUN_RECHECK_IN_FLIGHT_SECONDS")
    give_up_after = seconds(give_up_after, "RUN_GIVE_UP_IN_FLIGHT_SECONDS")
    counts = {"started": runs_start_due(now=now), "republished": 0, "reconciled": 0, "finished": 0}
    # Guardrails: rows waiting for calling hours or a retry delay that are now due.
    counts["due"] = guards.waiting_publish(now=now)

    cutoff = now - stale_after
    stale = (Attempt.objects.filter(status=S.QUEUED, queued_at__lt=cutoff, run__state=Run.State.RUNNING)
             .filter(guards.stale_filter())  # guardrails: waiting rows are not lost
             .values_list("run_id", "chunk").distinct().order_by())
    for run_id, chunk in list(stale[:1000]):
        # Bumping queued_at first means a second sweeper finds nothing to re-publish.
        if Attempt.objects.filter(run_id=run_id, chunk=chunk, status=S.QUEUED, queued_at__lt=cutoff,
                                  next_attempt_at__isnull=True).update(
            queued_at=timezone.now()
        ):
            counts["republished"] += chunks_publish(run_id=run_id, chunks=[chunk])

    # Claimed but unresolved (the worker died, or the provider timed out after
    # accepting), then accepted but with no final report for a long while.
    stuck = (Attempt.objects.filter(status=S.SENDING, claimed_at__lt=now - stuck_after)
             | Attempt.objects.filter(status__in=(S.SENT, S.RINGING), claimed_at__lt=now - recheck_after))
    runs: dict[int, Run] = {}
    for attempt in list(stuck.order_by("claimed_at", "id")[:500]):
        run = runs.get(attempt.run_id) or runs.setdefault(attempt.run_id, Run.objects.get(pk=attempt.run_id))
        give_up = attempt.claimed_at < now - give_up_after
        counts["reconciled"] += attempt_reconcile(attempt=attempt, run=run, give_up=give_up) != "waiting"

    pending = Attempt.objects.filter(run_id=OuterRef("pk"), status__in=Attempt.PENDING)
    idle = (Run.objects.filter(finished_at__isnull=True).exclude(state=Run.State.SCHEDULED)
            .exclude(Exists(pending)).values_list("id", flat=True))
    for run_id in list(idle[:200]):
        counts["finished"] += run_finish_if_done(run_id=run_id)
    return counts

