"""Recording provider outcomes of attempts one by one: the final outcome (charge what
was used from the hold, release the rest of the share), the in-flight marks
(``sent`` / ``ringing``), and the parsing of status reports (``attempt:<id>[:<n>]``).

The same outcomes for many attempts at once — one statement and one charge per run
of the batch — are in ``outcomes_batch``; both follow the rules of
``attempt_record_outcome`` (a test holds them to identical rows).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from functools import lru_cache

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import ledger
from campaigns.models import Attempt, Recipient, Run
from campaigns.services import guards
from campaigns.services.run import run_finish_if_done
from tingting.api.errors import InsufficientCreditsError
from tingting.providers.base import StatusReport

logger = logging.getLogger(__name__)

S = Attempt.Status
# Provider statuses (tingting.providers.base.StatusReport) → (our status, charged?).
SMS_FINAL = {
    "delivered": (S.COMPLETED, True),
    "undelivered": (S.FAILED, True),
    "expired": (S.FAILED, True),
    "failed": (S.FAILED, False),
    "rejected": (S.FAILED, False),
}
VOICE_FINAL = {
    "completed": (S.COMPLETED, True),
    "hungup": (S.HUNGUP, True),
    "unanswered": (S.UNANSWERED, False),
    "busy": (S.UNANSWERED, False),
    "no-answer": (S.UNANSWERED, False),
    "failed": (S.FAILED, False),
    "canceled": (S.FAILED, False),
}
FINAL_BY_KIND = {Run.Kind.SMS: SMS_FINAL, Run.Kind.VOICE: VOICE_FINAL}
IN_FLIGHT_STATUS = {
    "accepted": S.SENT,
    "sending": S.SENT,
    "sent": S.SENT,
    "initiated": S.RINGING,
    "ringing": S.RINGING,
    "in-progress": S.RINGING,
    "answered": S.RINGING,
}


@lru_cache(maxsize=256)
def run_prices(run_id: int) -> Run:
    """The fields of a run that never change after begin (owner, kind, prices)."""
    return Run.objects.only("id", "owner_id", "kind", "pulse_seconds", "voice_rate").get(pk=run_id)


def _charge_for(*, run: Run, attempt: Attempt, charged: bool, duration: int | None) -> int:
    if not charged:
        return 0
    if run.kind == Run.Kind.SMS:
        return attempt.share
    return run.voice_share(duration or 0)


def attempt_record_outcome(
    *,
    attempt_id: int,
    provider_status: str,
    provider_id: str = "",
    duration: int | None = None,
    playback: int | None = None,
    error: str = "",
    reference: str | None = None,
) -> Attempt | None:
    """Record a final provider outcome: the attempt and its recipient get the
    contract status, duration and playback; what was used is charged from the
    hold and the rest of the share released. Safe to repeat and to race: the
    attempt row lock and the final-status check make the second call a no-op.
    ``reference`` (from a status report) must be the attempt's current call: a
    late report of an earlier call (before a retry) changes nothing."""
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().filter(pk=attempt_id).first()
        if attempt is None or attempt.is_final or (reference is not None and reference != attempt.reference):
            return attempt
        run = run_prices(attempt.run_id)
        status, is_charged = FINAL_BY_KIND[run.kind].get(provider_status, (S.FAILED, False))
        # Guardrails: retries left under the owner's policy → queued again, nothing settled.
        if guards.retry_schedule(
            run=run,
            attempt=attempt,
            status=status,
            provider_status=provider_status,
            provider_id=provider_id,
            error=error,
            now=timezone.now(),
        ):
            return attempt
        if status in (S.UNANSWERED, S.FAILED) or run.kind == Run.Kind.SMS:
            duration = playback = None
        used = _charge_for(run=run, attempt=attempt, charged=is_charged, duration=duration)
        from_hold = min(used, attempt.share)
        released = attempt.share - from_hold
        extra = used - from_hold
        key = f"attempt:{attempt.pk}"
        if from_hold:
            ledger.charge(
                user_id=run.owner_id, amount=from_hold, from_held=True, idempotency_key=f"{key}:charge", reference=key
            )
        if released:
            ledger.release(user_id=run.owner_id, amount=released, idempotency_key=f"{key}:release", reference=key)
        if extra and not _charge_extra(run=run, attempt_id=attempt.pk, extra=extra):
            extra = 0
        now = timezone.now()
        attempt.status, attempt.provider_status = status, provider_status
        attempt.provider_id = attempt.provider_id or provider_id
        attempt.charged, attempt.released, attempt.extra_charged = from_hold, released, extra
        attempt.duration, attempt.playback = duration, playback
        attempt.error = (error or ("" if status in (S.COMPLETED, S.HUNGUP) else provider_status))[:255]
        attempt.finished_at = now
        attempt.submitted_at = attempt.submitted_at or now
        attempt.save(
            update_fields=[
                "status",
                "provider_status",
                "provider_id",
                "charged",
                "released",
                "extra_charged",
                "duration",
                "playback",
                "error",
                "finished_at",
                "submitted_at",
            ]
        )
        Recipient.objects.filter(pk=attempt.recipient_id).update(
            status=status,
            duration=duration,
            playback=playback,
            credit_consumed=F("credit_consumed") + from_hold + extra,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            last_error=attempt.error,
        )
        # Guardrails: status webhook in this transaction; the call's concurrency slot freed.
        guards.outcome_emit(run=run, attempt=attempt)
        guards.call_finished(run=run, reference=attempt.reference)
        run_id = run.pk
        transaction.on_commit(lambda: run_finish_if_done(run_id=run_id))
    return attempt


def attempt_mark_in_flight(
    *, attempt_id: int, status: str, provider_id: str = "", backend: str = "", retries: int | None = None
) -> bool:
    """The provider accepted the message / placed the call: ``sent`` / ``ringing``.
    Never moves a final attempt back; safe to repeat. ``retries`` (from a report's
    reference) limits it to that call; ``backend`` records who took it (failover)."""
    changes = {"status": status, "submitted_at": timezone.now()}
    if provider_id:
        changes["provider_id"] = provider_id
    if backend:
        changes["backend"] = backend[:64]
    rows = Attempt.objects.filter(pk=attempt_id, status__in=(S.QUEUED, S.SENDING))
    if retries is not None:  # guardrails: a report of an earlier call never moves a retry
        rows = rows.filter(retries=retries, claimed_at__isnull=False)
    updated = rows.update(**changes)
    if updated:
        Recipient.objects.filter(run_attempts__pk=attempt_id, status=Recipient.Status.QUEUED).update(status=status)
    return bool(updated)


def attempt_record_report(report: StatusReport) -> None:
    """Handler for status reports with references ``attempt:<id>`` (registered in
    ``CampaignsConfig.ready``). Reports may arrive twice, late, out of order, or
    before the submission was recorded; none moves a status backwards."""
    finals, marks, _ = attempt_reports_parse([report])
    for outcome in finals:
        outcome.record()
    for attempt_id, status, provider_id, _, retries in marks:
        attempt_mark_in_flight(attempt_id=attempt_id, status=status, provider_id=provider_id, retries=retries)


@dataclass(frozen=True)
class Outcome:
    """A final provider outcome of one attempt, as ``attempt_record_outcome`` takes it."""

    attempt_id: int
    provider_status: str
    provider_id: str = ""
    duration: int | None = None
    playback: int | None = None
    error: str = ""
    reference: str | None = None  # of the report, when it came from one

    @classmethod
    def of_report(cls, attempt_id: int, report: StatusReport, *, reference: str | None = None) -> Outcome:
        return cls(
            attempt_id,
            report.status.lower(),
            report.provider_id,
            report.duration,
            report.playback,
            report.error,
            reference=reference,
        )

    def record(self) -> Attempt | None:
        return attempt_record_outcome(**asdict(self))


def attempt_reports_parse(
    reports: list[StatusReport],
) -> tuple[list[Outcome], list[tuple[int, str, str]], list[StatusReport]]:
    """Split reports into final outcomes and in-flight marks of attempts (first
    of each per attempt), and the reports that are not about attempts."""
    finals: list[Outcome] = []
    marks: dict[int, tuple[int, str, str, str, int]] = {}
    others: list[StatusReport] = []
    for report in reports:
        prefix, _, rest = report.reference.partition(":")
        if prefix != "attempt":
            others.append(report)
            continue
        try:
            # ``attempt:<id>`` or, for retry n of the guardrails' retry policy, ``attempt:<id>:<n>``.
            number, _, retry = rest.partition(":")
            attempt_id, retries = int(number), int(retry or 0)
        except ValueError:
            logger.warning("Malformed attempt reference %r", report.reference)
            continue
        status = report.status.lower()
        # The status alone says what it is: the SMS and voice vocabularies share only
        # "failed" (the same outcome for both) and "queued" (nothing to record).
        if status in SMS_FINAL or status in VOICE_FINAL:
            finals.append(Outcome.of_report(attempt_id, report, reference=report.reference))
        elif status in IN_FLIGHT_STATUS:
            marks.setdefault(attempt_id, (attempt_id, IN_FLIGHT_STATUS[status], report.provider_id, "", retries))
        elif status != "queued":
            logger.warning("Unknown status %r for attempt %s", report.status, attempt_id)
    return finals, list(marks.values()), others


def _charge_extra(*, run: Run, attempt_id: int, extra: int) -> bool:
    key = f"attempt:{attempt_id}"
    try:
        ledger.charge(
            user_id=run.owner_id, amount=extra, from_held=False, idempotency_key=f"{key}:extra", reference=key
        )
    except InsufficientCreditsError:
        logger.warning("attempt %s used %s credits beyond its hold; balance too low", key, extra)
        return False
    return True
