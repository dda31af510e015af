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

import contextvars
import logging
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, connections, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from campaigns.models import Attempt, Run
from campaigns.services import guards
from campaigns.services.run import (
    FINAL_BY_KIND,
    SURVEY,
    Outcome,
    attempt_mark_in_flight,
    attempt_record_outcome,
    attempt_reports_parse,
    attempts_mark_in_flight,
    attempts_record_outcomes,
    index_joins,
    run_finish_if_done,
    run_start,
)
from tingting.providers import reports, scripts, sms_backend, voice_backend
from tingting.providers.base import (
    OutboundCall,
    OutboundSms,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
    SmsBackend,
    StatusReport,
    VoiceBackend,
    each,
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


@dataclass
class Claimed:
    """An attempt this task moved queued → sending: what the provider call needs."""

    pk: int
    tries: int
    text: str
    number: str
    retries: int = 0

    @property
    def reference(self) -> str:
        # As Attempt.reference: each retry of the guardrails' policy is its own call.
        return f"attempt:{self.pk}:{self.retries}" if self.retries else f"attempt:{self.pk}"


def attempts_claim(*, run_id: int, chunk: int, limit: int) -> list[Claimed]:
    """queued → sending for up to ``limit`` attempts of a chunk, only while the run
    is running, in one conditional UPDATE … RETURNING on PostgreSQL. Rows another
    transaction holds (a copy of this task, a cancel) are skipped (SKIP LOCKED)
    and the UPDATE still requires ``queued``, so an attempt is claimed once: two
    copies of a chunk task share it, never repeat it. Whoever else locks queued
    rows either settles them (cancel, an early report) or re-publishes the chunk
    (start, resume, the sweeper). Elsewhere (SQLite) one claim per row, as
    ``attempt_claim``."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        attempts, runs = Attempt._meta.db_table, Run._meta.db_table
        recipients = Attempt._meta.get_field("recipient").related_model._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor, index_joins(cursor):
            # The pick is a CTE: evaluated once, so the LIMIT holds (a sub-select
            # inside IN may be re-scanned by a nested loop).
            cursor.execute(
                f"WITH picked AS MATERIALIZED (SELECT id FROM {attempts} "  # noqa: S608 - table names and placeholders only
                "  WHERE run_id = %s AND chunk = %s AND status = %s "
                "  AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "  # guardrails: not while waiting
                "  ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) "
                f"UPDATE {attempts} AS a SET status = %s, claimed_at = %s, tries = a.tries + 1 "
                f"FROM picked, {recipients} AS r WHERE a.id = picked.id AND r.id = a.recipient_id "
                f"AND a.status = %s AND EXISTS (SELECT 1 FROM {runs} WHERE id = %s AND state = %s) "
                "RETURNING a.id, a.tries, a.text, r.number, a.retries",
                [run_id, chunk, S.QUEUED, now, limit, S.SENDING, now, S.QUEUED, run_id, Run.State.RUNNING],
            )
            return sorted((Claimed(*row) for row in cursor.fetchall()), key=lambda c: c.pk)
    rows = (
        Attempt.objects.filter(run_id=run_id, chunk=chunk, status=S.QUEUED)
        .filter(guards.waiting_or_due(now))
        .values_list("id", "tries", "text", "recipient__number", "retries")
        .order_by("id")[:limit]
    )
    return [
        Claimed(pk, tries + 1, text, number, retries)
        for pk, tries, text, number, retries in rows
        if attempt_claim(attempt_id=pk)
    ]


def attempts_unclaim(attempts: list[Claimed]) -> None:
    """Give back claimed attempts that were not sent (a rate limit said wait)."""
    if attempts:
        Attempt.objects.filter(pk__in=[a.pk for a in attempts], status=S.SENDING).update(
            status=S.QUEUED, claimed_at=None, tries=F("tries") - 1, queued_at=timezone.now()
        )


def _in_flight(run: Run) -> str:
    return S.SENT if run.kind == Run.Kind.SMS else S.RINGING


def _audio_url(name: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{default_storage.url(name)}" if name else ""


def chunk_dispatch(*, run_id: int, chunk: int) -> int:
    """Send every queued attempt of one chunk of a running run; returns how many
    attempts it claimed. Safe to run twice or concurrently with itself (claims).

    Rounds: claim a batch (one UPDATE), call the provider for it (one batch call
    when the backend has a batch API, else one call per message on
    ``RUN_PROVIDER_CONCURRENCY`` threads), then record the round's answers and
    reports together (``attempts_record_outcomes``). A round claims at most
    ``RUN_SEND_BATCH`` attempts for a batch backend and 4 × the concurrency
    otherwise, so what is claimed is sent within a few provider timeouts — long
    before the sweeper looks at claims (``RUN_STUCK_SENDING_SECONDS``) — and a
    pause or a crash stops the chunk within a round."""
    run = Run.objects.select_related("campaign").filter(pk=run_id).first()
    if run is None or run.state != Run.State.RUNNING:
        return 0
    sender = run.campaign.user_phone.values_list("phone_number", flat=True).first() or ""
    backend = sms_backend() if run.kind == Run.Kind.SMS else voice_backend()
    # Guardrails (guards.py): DNC numbers settle without a provider call; voice
    # waits for calling hours; each call takes rate-limit tokens and a slot.
    guard = guards.ChunkGuard(run, sender, backend)
    if guard.wait_for_hours(run_id=run_id, chunk=chunk):
        return 0
    guard.skip_dnc(run_id=run_id, chunk=chunk)
    size = max(1, settings.RUN_PROVIDER_CONCURRENCY)
    if guard.paces:  # rate limits: each message when its token comes (guardrails)
        size, limit = 1, 1
    else:
        limit = settings.RUN_SEND_BATCH if backend.has_batch() else 4 * size
    threads = ProviderThreads(size) if size > 1 and not backend.has_batch() else None
    claimed, retry, pending, countdown = 0, False, None, None
    try:
        while True:
            batch = attempts_claim(run_id=run_id, chunk=chunk, limit=limit) if countdown is None else []
            if batch:
                admitted, countdown = guard.admit_batch(batch)
                attempts_unclaim(batch[len(admitted) :])
                batch = admitted
            claimed += len(batch)
            # On threads, the next round's calls run while this one is recorded.
            sent = (
                _start_round(run=run, batch=batch, backend=backend, sender=sender, threads=threads) if batch else None
            )
            if pending is not None:
                retry |= _finish_round(run=run, sent=pending, guard=guard)
            if threads is None and sent is not None:
                retry |= _finish_round(run=run, sent=sent, guard=guard)
                sent = None
            pending = sent
            if not batch:
                break
    finally:
        if pending is not None:
            pending.results.result()  # let the calls in flight end before the threads go
        if threads is not None:
            threads.close()
    if countdown is not None and countdown >= 0:  # guardrails: throttled, come back later
        chunks_publish(run_id=run_id, chunks=[chunk], countdown=countdown)
    elif countdown == -1:  # guardrails: calling hours closed during the chunk
        guard.wait_for_hours(run_id=run_id, chunk=chunk)
    elif retry:
        chunks_publish(run_id=run_id, chunks=[chunk], countdown=30)
    return claimed


def _message(*, run: Run, attempt: Claimed, sender: str) -> OutboundSms | OutboundCall:
    if run.kind == Run.Kind.SMS:
        return OutboundSms(
            to=attempt.number, body=attempt.text or run.message, reference=attempt.reference, sender=sender
        )
    if run.campaign.services == SURVEY:
        return _survey_call(run=run, attempt=attempt, sender=sender)
    audio_name, seconds = run.audio_name, run.audio_seconds or 0
    if run.is_personalised:
        from tingting.voice.render import account_scope, render_cached

        render = render_cached(
            text=attempt.text, voice=run.voice_input, length_factor=run.length_factor, scope=account_scope(run.owner_id)
        )
        audio_name, seconds = render.audio.name, render.duration
    return OutboundCall(
        to=attempt.number,
        reference=attempt.reference,
        audio_url=_audio_url(audio_name),
        audio_seconds=seconds,
        caller_id=sender,
    )


def _survey_call(*, run: Run, attempt: Claimed, sender: str) -> OutboundCall:
    """A survey's call: its script, built once per chunk task (the steps cannot
    change while the run is in progress; the prompts come from the render cache)."""
    script = getattr(run, "survey_script", None)
    if script is None:
        script = run.survey_script = scripts.script_for(f"run:{run.pk}")
    if not script:
        raise ValueError(f"run {run.pk}: the survey has no steps")
    return OutboundCall(
        to=attempt.number,
        reference=attempt.reference,
        audio_url=script[0].audio_url,
        audio_seconds=scripts.script_seconds(script),
        caller_id=sender,
        script=script,
    )


class ProviderThreads:
    """The threads one chunk task calls a per-message backend on. Each thread has
    its own database connection (the backend records what it sends); ``close``
    closes them, one job per thread, before the threads go."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="provider")
        self.lock = threading.Lock()

    def submit(self, call, items: list) -> Future:
        """``call`` on every item on the threads; a future of the results in order.
        Each call runs in a copy of the caller's context, so the reports it
        delivers land in the caller's round buffer (reports.collecting)."""
        futures = [self.pool.submit(contextvars.copy_context().run, _call_in_thread, call, item) for item in items]
        done: Future = Future()
        if not futures:
            done.set_result([])

        def gather(_: Future) -> None:
            if all(future.done() for future in futures) and not done.done():
                with self.lock:
                    if not done.done():
                        done.set_result([future.result() for future in futures])

        for future in futures:
            future.add_done_callback(gather)
        return done

    def close(self) -> None:
        started = len(self.pool._threads)  # noqa: SLF001 - how many threads exist to close a connection in
        if started:
            barrier = threading.Barrier(started)

            def close_connection() -> None:
                barrier.wait(timeout=30)  # every thread takes exactly one of these
                connections.close_all()

            for future in [self.pool.submit(close_connection) for _ in range(started)]:
                future.result()
        self.pool.shutdown(wait=True)


def _call_in_thread(call, item):
    try:
        return call(item)
    except Exception as exc:  # noqa: BLE001 - handed back per message
        return exc


@dataclass
class Round:
    """A claimed batch whose provider calls were made (or are being made on threads)."""

    ready: list[tuple[Claimed, object]]
    results: list | Future
    reported: list[StatusReport]


def _start_round(*, run: Run, batch: list[Claimed], backend, sender: str, threads: ProviderThreads | None) -> Round:
    """Call the provider for a claimed batch: one batch call, one call after the
    other, or on the threads (then the results are a future)."""
    ready = []
    for attempt in batch:
        try:
            ready.append((attempt, _message(run=run, attempt=attempt, sender=sender)))
        except Exception:  # noqa: BLE001 - e.g. a render failed: leave it for reconciliation
            logger.exception("Could not prepare %s", attempt.reference)
    messages = [message for _, message in ready]
    is_sms = run.kind == Run.Kind.SMS
    with reports.collecting() as reported:
        if backend.has_batch():
            try:
                results = backend.send_many(messages) if is_sms else backend.place_calls(messages)
            except Exception as exc:  # noqa: BLE001 - the same answer for every message of the batch
                results = [exc] * len(messages)
        elif threads is None:
            results = each(backend.send if is_sms else backend.place_call, messages)
        else:
            results = threads.submit(backend.send if is_sms else backend.place_call, messages)
    return Round(ready=ready, results=results, reported=reported)


def _finish_round(*, run: Run, sent: Round, guard: guards.ChunkGuard) -> bool:
    """Record what the provider answered and reported for a round; True when
    some attempt was re-queued for a retry."""
    results = sent.results.result() if isinstance(sent.results, Future) else sent.results
    failures, marks, retry = [], [], False
    for (attempt, _), result in zip(sent.ready, results, strict=True):
        if isinstance(result, ProviderTimeoutError):
            # It may have been accepted: leave it in ``sending`` for reconciliation.
            Attempt.objects.filter(pk=attempt.pk, status=S.SENDING).update(error=f"timeout: {result}"[:255])
        elif isinstance(result, ProviderTemporaryError):
            if attempt.tries < settings.RUN_MAX_TRIES:
                Attempt.objects.filter(pk=attempt.pk, status=S.SENDING).update(
                    status=S.QUEUED, queued_at=timezone.now(), error=f"retrying: {result}"[:255]
                )
                guard.call_ended(attempt)  # guardrails: its concurrency slot
                retry = True
            else:
                failures.append(Outcome(attempt.pk, "failed", error=str(result)))
        elif isinstance(result, ProviderPermanentError):
            failures.append(Outcome(attempt.pk, "failed", error=str(result)))
        elif isinstance(result, Exception):
            # A bug or an unexpected vendor answer: we cannot tell whether it was
            # sent, so the sweeper reconciles it like a crash.
            logger.error("Unexpected error sending %s", attempt.reference, exc_info=result)
        elif not result.accepted:
            failures.append(Outcome(attempt.pk, "failed", provider_id=result.provider_id, error=result.error))
        else:
            marks.append(
                (attempt.pk, _in_flight(run), result.provider_id, result.backend or guard.backend_name, attempt.retries)
            )
    # What the provider reported during the calls (the simulated ones report at
    # once), then the answers: accepted → in flight unless already final,
    # refused → failed; the outcomes in one batch (one charge, one release).
    finals, report_marks, others = attempt_reports_parse(sent.reported)
    done = {outcome.attempt_id for outcome in finals}
    attempts_mark_in_flight([mark for mark in [*report_marks, *marks] if mark[0] not in done])
    attempts_record_outcomes([*finals, *failures])
    if others:
        reports.deliver_many(others)
    return retry


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
        attempt_mark_in_flight(attempt_id=attempt.pk, status=_in_flight(run), provider_id=report.provider_id)
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
    stale = (
        Attempt.objects.filter(status=S.QUEUED, queued_at__lt=cutoff, run__state=Run.State.RUNNING)
        .filter(guards.stale_filter())  # guardrails: waiting rows are not lost
        .values_list("run_id", "chunk")
        .distinct()
        .order_by()
    )
    for run_id, chunk in list(stale[:1000]):
        # Bumping queued_at first means a second sweeper finds nothing to re-publish.
        if Attempt.objects.filter(
            run_id=run_id, chunk=chunk, status=S.QUEUED, queued_at__lt=cutoff, next_attempt_at__isnull=True
        ).update(queued_at=timezone.now()):
            counts["republished"] += chunks_publish(run_id=run_id, chunks=[chunk])

    # Claimed but unresolved (the worker died, or the provider timed out after
    # accepting), then accepted but with no final report for a long while.
    stuck = Attempt.objects.filter(status=S.SENDING, claimed_at__lt=now - stuck_after) | Attempt.objects.filter(
        status__in=(S.SENT, S.RINGING), claimed_at__lt=now - recheck_after
    )
    runs: dict[int, Run] = {}
    for attempt in list(stuck.order_by("claimed_at", "id")[:500]):
        run = runs.get(attempt.run_id) or runs.setdefault(attempt.run_id, Run.objects.get(pk=attempt.run_id))
        give_up = attempt.claimed_at < now - give_up_after
        counts["reconciled"] += attempt_reconcile(attempt=attempt, run=run, give_up=give_up) != "waiting"

    pending = Attempt.objects.filter(run_id=OuterRef("pk"), status__in=Attempt.PENDING)
    idle = (
        Run.objects.filter(finished_at__isnull=True)
        .exclude(state=Run.State.SCHEDULED)
        .exclude(Exists(pending))
        .values_list("id", flat=True)
    )
    for run_id in list(idle[:200]):
        counts["finished"] += run_finish_if_done(run_id=run_id)
    return counts
