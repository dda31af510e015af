"""Services over ``ProviderMessage``: what we handed to a real vendor and what it said.

The backends call these around every vendor request (never inside a
transaction that spans the request), and the webhooks call
``provider_message_report`` to turn a verified callback into the
``StatusReport`` that ``reports.deliver`` routes to the owning app.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from tingting.models import ProviderMessage
from tingting.providers.base import StatusReport

logger = logging.getLogger(__name__)

State = ProviderMessage.State

# Statuses in the order they happen; a status never replaces one of a higher rank.
STATUS_RANK = {
    "queued": 1,
    "ringing": 1,
    "sent": 2,
    "answered": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "expired": 3,
    "completed": 3,
    "hungup": 3,
    "unanswered": 3,
    "terminated": 3,
}


def provider_message_begin(
    *,
    backend: str,
    reference: str,
    to: str,
    sender: str = "",
    body: str = "",
    audio_seconds: float | None = None,
    callback_token: str = "",
) -> tuple[ProviderMessage, bool]:
    """Record a submission about to be made; returns (row, created).

    An existing row for (backend, reference) is returned unchanged: the caller
    decides from its ``state`` whether sending again is safe. Repeat-safe."""
    defaults = {
        "to": to,
        "sender": sender,
        "body": body,
        "audio_seconds": audio_seconds,
        "callback_token": callback_token,
    }
    try:
        with transaction.atomic():
            return ProviderMessage.objects.get_or_create(backend=backend, reference=reference, defaults=defaults)
    except IntegrityError:  # a concurrent begin won the race
        return ProviderMessage.objects.get(backend=backend, reference=reference), False


def provider_message_retry(*, row: ProviderMessage, callback_token: str = "") -> ProviderMessage:
    """Put a rejected row back to ``submitting`` before sending it again."""
    row.state = State.SUBMITTING
    row.error = ""
    update_fields = ["state", "error", "updated_at"]
    if callback_token:
        row.callback_token = callback_token
        update_fields.append("callback_token")
    row.save(update_fields=update_fields)
    return row


def provider_message_accepted(*, row: ProviderMessage, provider_id: str) -> ProviderMessage:
    """The vendor answered with its id."""
    row.state, row.provider_id, row.submitted_at, row.error = State.ACCEPTED, provider_id, timezone.now(), ""
    row.save(update_fields=["state", "provider_id", "submitted_at", "error", "updated_at"])
    return row


def provider_message_failed(*, row: ProviderMessage, error: str, maybe_accepted: bool) -> ProviderMessage:
    """The request failed: ``unknown`` when it may have reached the vendor, else ``rejected``."""
    row.state = State.UNKNOWN if maybe_accepted else State.REJECTED
    row.error = error[:500]
    row.save(update_fields=["state", "error", "updated_at"])
    return row


def provider_message_reconciled(*, row: ProviderMessage, provider_id: str) -> ProviderMessage:
    """A lookup or a callback found the vendor's id of a submission whose answer was lost.

    Only fills an empty id: a row already bound to an id keeps it."""
    updated = ProviderMessage.objects.filter(pk=row.pk, provider_id="").update(
        provider_id=provider_id, state=State.ACCEPTED, submitted_at=timezone.now(), updated_at=timezone.now()
    )
    row.refresh_from_db()
    if updated:
        logger.info("%s %s reconciled to %s", row.backend, row.reference, provider_id)
    return row


def provider_message_find(
    *, backend: str, reference: str = "", provider_id: str = "", callback_token: str = ""
) -> ProviderMessage | None:
    """The row for a reference, else for the vendor's id, else for a callback token."""
    rows = ProviderMessage.objects.filter(backend=backend)
    if reference:
        return rows.filter(reference=reference).first()
    if provider_id:
        return rows.filter(provider_id=provider_id).first()
    if callback_token:
        return rows.filter(callback_token=callback_token).first()
    return None


def provider_message_status(*, row: ProviderMessage, status: str) -> bool:
    """Move the row's last status forward; False (and nothing written) for a
    replayed or out-of-order report."""
    rank = STATUS_RANK.get(status, 0)
    lower = [name for name, value in STATUS_RANK.items() if value < rank] + [""]
    return bool(
        ProviderMessage.objects.filter(pk=row.pk, status__in=lower).update(status=status, updated_at=timezone.now())
    )


def provider_message_report(
    *,
    backend: str,
    reference: str,
    provider_id: str,
    status: str,
    duration: int | None = None,
    playback: int | None = None,
    error: str = "",
    row: ProviderMessage | None = None,
) -> StatusReport | None:
    """Turn a verified vendor callback into a ``StatusReport`` (None when it names
    nothing of ours). Fills the vendor id of a timed-out submission, records the
    status monotonically. Repeat-safe: a replay writes nothing and returns the
    same report, which the owning app's handler ignores."""
    if row is None:
        row = provider_message_find(backend=backend, reference=reference, provider_id=provider_id)
    if row is not None:
        reference = row.reference
        if provider_id and not row.provider_id:
            row = provider_message_reconciled(row=row, provider_id=provider_id)
        elif provider_id and row.provider_id != provider_id:
            logger.warning(
                "%s %s: callback for %s but %s was recorded", backend, reference, provider_id, row.provider_id
            )
        provider_message_status(row=row, status=status)
    if not reference:
        logger.warning("%s callback for unknown id %r dropped", backend, provider_id)
        return None
    return StatusReport(
        reference=reference,
        provider_id=provider_id,
        status=status,
        occurred_at=timezone.now(),
        duration=duration,
        playback=playback,
        error=error,
    )
