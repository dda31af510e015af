"""The Tling messages sweep (beat): nothing a crash, a broker outage or a lost
task leaves behind stays ``created``/``queued`` with its credits held.

- ``created`` past TLING_STALE_SECONDS: the after-commit enqueue never ran or
  failed (broker down, the process died between commit and publish) → the
  batch is enqueued now (``messages_enqueue`` is repeat-safe).
- ``queued``, unclaimed, untouched past TLING_STALE_SECONDS: its task was lost
  → published again; ``message_send`` claims conditionally, so a duplicate of a
  task that is merely late sends nothing twice. ``updated_at`` is bumped so one
  message is re-published at most once per window.
- claimed but not ``sent`` past TLING_STUCK_SENDING_SECONDS: the worker died
  around the provider call → reconciled from the provider's record, never
  blindly sent again: reported → recorded (and charged); a provider that keeps
  records and has none → unclaimed and re-published; one that cannot tell →
  ``failed`` "outcome unknown" (credits released). A lookup that fails (the
  vendor is down) leaves the message held and asks again next sweep, until
  PROVIDER_UNKNOWN_DEADLINE_SECONDS after the claim: then ``failed`` (released).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from tingting.providers import sms_backend
from tingting.providers.base import SmsBackend
from tling.models import STATUS_RANK, Message, MessageStatus
from tling.services.messages import (
    SEND_CHUNK,
    message_record_report,
    message_record_status,
    messages_enqueue,
    send_publish,
)

logger = logging.getLogger(__name__)
SENT_RANK = STATUS_RANK[MessageStatus.SENT]


def messages_sweep(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Re-queue, re-publish or reconcile stuck messages (see the module docstring);
    returns how many of each. Repeat-safe and safe to run concurrently with itself."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.TLING_STALE_SECONDS)
    stuck = now - timedelta(seconds=settings.TLING_STUCK_SENDING_SECONDS)
    counts = {"enqueued": 0, "republished": 0, "reconciled": 0}

    batches = (
        Message.objects.filter(status=MessageStatus.CREATED, created_at__lt=stale)
        .order_by()
        .values_list("batch", flat=True)
        .distinct()[:limit]
    )
    for batch in list(batches):
        counts["enqueued"] += messages_enqueue(batch=batch)

    lost = list(
        Message.objects.filter(status=MessageStatus.QUEUED, claimed_at__isnull=True, updated_at__lt=stale)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    # Conditional: a message claimed or re-published meanwhile is left to that run.
    Message.objects.filter(pk__in=lost, claimed_at__isnull=True, updated_at__lt=stale).update(updated_at=now)
    for start in range(0, len(lost), SEND_CHUNK):
        send_publish(lost[start : start + SEND_CHUNK])
    counts["republished"] = len(lost)

    claimed = Message.objects.filter(claimed_at__lt=stuck, status_rank__lt=SENT_RANK).order_by("claimed_at")
    for message in list(claimed.only("id", "claimed_at")[:limit]):
        counts["reconciled"] += message_reconcile(message=message, now=now)
    return counts


def message_reconcile(*, message: Message, now: datetime) -> int:
    """Settle one message claimed long ago and never recorded as sent from the
    provider's own record; returns 1 when something changed."""
    backend = sms_backend()
    try:
        report = backend.lookup(message.reference)
    except Exception:  # noqa: BLE001 - vendor down: the next sweep asks again, up to the deadline
        deadline = now - timedelta(seconds=settings.PROVIDER_UNKNOWN_DEADLINE_SECONDS)
        if message.claimed_at is None or message.claimed_at >= deadline:
            logger.warning("lookup of %s failed; retrying next sweep", message.reference, exc_info=True)
            return 0
        logger.error("lookup of %s failed past the deadline; recorded failed, credits released", message.reference)
        message_record_status(
            message_id=message.pk,
            status=MessageStatus.FAILED,
            occurred_at=now,
            error="outcome unknown: the provider could not be asked",
        )
        return 1
    if report is not None:
        message_record_report(report)
        message_record_status(
            message_id=message.pk, status=MessageStatus.SENT, occurred_at=now, provider_id=report.provider_id
        )
        return 1
    if type(backend).lookup is not SmsBackend.lookup:  # it keeps records: it never got this one
        unclaimed = Message.objects.filter(
            pk=message.pk, claimed_at=message.claimed_at, status_rank__lt=SENT_RANK
        ).update(claimed_at=None, updated_at=now)
        if unclaimed:
            send_publish([message.pk])
        return unclaimed
    message_record_status(message_id=message.pk, status=MessageStatus.FAILED, occurred_at=now, error="outcome unknown")
    return 1
