"""Dispatch: chunk tasks that claim attempts, call the provider in rounds and record
what it answered (the sweeper that recovers lost work is ``sweep``).

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
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from campaigns.models import Attempt, Campaign, Run
from campaigns.models.run import attempt_reference
from campaigns.services import guards
from campaigns.services.outcomes import Outcome, attempt_reports_parse
from campaigns.services.outcomes_batch import attempts_mark_in_flight, attempts_record_outcomes
from campaigns.services.publish import chunks_publish
from tingting.providers import reports, scripts, sms_backend, voice_backend
from tingting.providers.base import (
    OutboundCall,
    OutboundSms,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
    SmsBackend,
    StatusReport,
    Submission,
    VoiceBackend,
    each,
)
from tingting.providers.threads import ProviderThreads
from tingting.sqlrows import index_joins
from tingting.voice.render import account_scope, render_cached

logger = logging.getLogger(__name__)
S = Attempt.Status


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
        return attempt_reference(self.pk, self.retries)


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


def in_flight_status(run: Run) -> str:
    """The status of an attempt the provider accepted: ``sent`` (SMS) or ``ringing`` (voice)."""
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
        if pending is not None and isinstance(pending.results, Future):
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
    if run.campaign.services == Campaign.Services.SURVEY:
        return _survey_call(run=run, attempt=attempt, sender=sender)
    audio_name: str | None = run.audio_name
    seconds = run.audio_seconds or 0
    if run.is_personalised:
        render = render_cached(
            text=attempt.text, voice=run.voice_input, length_factor=run.length_factor, scope=account_scope(run.owner_id)
        )
        audio_name, seconds = render.audio.name, render.duration
    return OutboundCall(
        to=attempt.number,
        reference=attempt.reference,
        audio_url=_audio_url(audio_name or ""),
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


@dataclass
class Round:
    """A claimed batch whose provider calls were made (or are being made on threads)."""

    ready: list[tuple[Claimed, OutboundSms | OutboundCall]]
    results: list | Future
    reported: list[StatusReport]


def _start_round(
    *, run: Run, batch: list[Claimed], backend: SmsBackend | VoiceBackend, sender: str, threads: ProviderThreads | None
) -> Round:
    """Call the provider for a claimed batch: one batch call, one call after the
    other, or on the threads (then the results are a future)."""
    ready = []
    for attempt in batch:
        try:
            ready.append((attempt, _message(run=run, attempt=attempt, sender=sender)))
        except Exception:  # noqa: BLE001 - e.g. a render failed: leave it for reconciliation
            logger.exception("Could not prepare %s", attempt.reference)
    messages: list[Any] = [message for _, message in ready]  # all OutboundSms, or all OutboundCall
    # The run's kind chose the backend (chunk_dispatch): an SMS run's messages go to an
    # SmsBackend, a voice run's to a VoiceBackend.
    one: Callable[[Any], Submission]
    many: Callable[[list[Any]], list]
    if run.kind == Run.Kind.SMS:
        sms = cast(SmsBackend, backend)
        one, many = sms.send, sms.send_many
    else:
        voice = cast(VoiceBackend, backend)
        one, many = voice.place_call, voice.place_calls
    results: list | Future
    with reports.collecting() as reported:
        if backend.has_batch():
            try:
                results = many(messages)
            except Exception as exc:  # noqa: BLE001 - the same answer for every message of the batch
                results = [exc] * len(messages)
        elif threads is None:
            results = each(one, messages)
        else:
            results = threads.submit(one, messages)
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
                (
                    attempt.pk,
                    in_flight_status(run),
                    result.provider_id,
                    result.backend or guard.backend_name,
                    attempt.retries,
                )
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
