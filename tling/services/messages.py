"""Tling messages: create (hold), queue after commit, submit at most once, record
the delivery timeline, charge or release exactly once (docs/api/API_CONTRACT.md §3, §9).

Credits: one ``hold`` per request for all its messages, in the transaction that
creates them; then per message exactly one ``charge`` (the provider accepted it:
sent, delivered, undelivered, expired) or one ``release`` (refused at
submission, or never queued), claimed by the message's ``billing`` column under
the row lock and keyed ``tmsg:<id>:charge`` / ``tmsg:<id>:release`` in the ledger.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import ledger
from accounts.models import User
from accounts.selectors import dnc_numbers_among
from tingting import ratelimit
from tingting.outbound_webhooks import webhook_emit, webhook_wanted
from tingting.phones import split_country_code
from tingting.providers import sms_backend
from tingting.providers.base import (
    OutboundSms,
    ProviderError,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
    StatusReport,
)
from tingting.publish import task_publish
from tingting.segments import segment_count, sms_credits
from tingting.transactions import retry_transient
from tling.models import (
    CHARGED_STATUSES,
    FINAL_RANK,
    RELEASED_STATUSES,
    STATUS_RANK,
    Billing,
    Message,
    MessageEvent,
    MessageStatus,
    ScheduledMessage,
    ScheduleState,
)
from tling.services.tally import TallyKey, tally_add, tally_key

logger = logging.getLogger(__name__)
SEND_CHUNK = 100
SEND_TASK = "tling.message_send"
SEND_TOKEN_BLOCK_SECONDS = 30.0
# Vendor words for "accepted, waiting in the vendor's queue" → Tling's status.
_REPORT_ALIASES = {
    "accepted": MessageStatus.BUFFERED,
    "queued": MessageStatus.BUFFERED,
    "sending": MessageStatus.BUFFERED,
    "scheduled": MessageStatus.BUFFERED,
}


def message_cost(*, owner: User, text: str, to: list[str]) -> int:
    """Credits a message to these recipients costs: segments × recipients × rate.
    The same function prices the hold and the charges."""
    return sms_credits(text, recipients=len(to), rate=owner.sms_rate)


@retry_transient
def messages_create(
    *, owner: User, text: str, to: list[str], api_key_id: int | None = None, schedule: ScheduledMessage | None = None
) -> list[Message]:
    """One message per recipient (``to`` already deduplicated E.164), the credits
    held in the same transaction; queued for sending after commit.

    Raises InsufficientCreditsError (402): nothing created, nothing sent.
    Not idempotent by itself; the view honours ``Idempotency-Key``. Durable: the
    entry of a request, committed when it returns; the schedule sweep, which holds
    its schedule row locked around it, calls ``messages_create_in_transaction``."""
    with transaction.atomic(durable=True):
        return messages_create_in_transaction(owner=owner, text=text, to=to, api_key_id=api_key_id, schedule=schedule)


def messages_create_in_transaction(
    *, owner: User, text: str, to: list[str], api_key_id: int | None = None, schedule: ScheduledMessage | None = None
) -> list[Message]:
    """``messages_create`` inside the caller's transaction (same rules and errors)."""
    per_message = sms_credits(text, recipients=1, rate=owner.sms_rate)
    segments = segment_count(text)
    batch = uuid.uuid4()
    with transaction.atomic():
        ledger.hold(
            user_id=owner.pk,
            amount=per_message * len(to),
            idempotency_key=f"tbatch:{batch}:hold",
            reference=f"tbatch:{batch}",
            note=f"{len(to)} Tling message(s)",
        )
        messages = []
        for number in to:
            code, national = split_country_code(number)
            messages.append(
                Message(
                    owner_id=owner.pk,
                    api_key_id=api_key_id,
                    schedule=schedule,
                    batch=batch,
                    phone_code=code,
                    phone_national=national,
                    text=text,
                    segments=segments,
                    credits=per_message,
                )
            )
        Message.objects.bulk_create(messages)
        tally_add(Counter(tally_key(m) for m in messages))
        now = timezone.now()
        MessageEvent.objects.bulk_create(
            [MessageEvent(message=m, status=MessageStatus.CREATED, rank=0, occurred_at=now) for m in messages]
        )
        # robust: the send is committed whatever happens next; a batch the
        # broker or the database could not take now is re-queued by the sweep.
        transaction.on_commit(lambda: messages_enqueue(batch=batch), robust=True)
    return messages


@retry_transient
def messages_enqueue(*, batch: uuid.UUID) -> int:
    """Mark a batch ``queued`` and publish its send tasks; a chunk the broker refuses
    becomes ``queue failed`` and its credits are released. Repeat-safe: only
    messages still ``created`` are queued."""
    now = timezone.now()
    with transaction.atomic():
        # Locked first: the rows that move (still created) are the tally's change,
        # and a concurrent enqueue of the same batch finds none of them left.
        rows = list(
            Message.objects.select_for_update()
            .filter(batch=batch, status_rank__lt=STATUS_RANK[MessageStatus.QUEUED])
            .only(
                "id",
                "owner_id",
                "status",
                "phone_code",
                "phone_national",
                "error",
                "provider_id",
                "schedule_id",
                "batch",
                "created_at",
            )
        )
        ids = [message.pk for message in rows]
        moves: Counter[TallyKey] = Counter()
        for message in rows:
            moves[tally_key(message)] -= 1
            moves[tally_key(message, MessageStatus.QUEUED)] += 1
        if rows and webhook_wanted(user_id=rows[0].owner_id):
            # Guardrails: one status webhook per message that moves to queued, in this transaction.
            for message in rows:
                message.status = MessageStatus.QUEUED
                _emit_status(message, now)
        Message.objects.filter(pk__in=ids).update(
            status=MessageStatus.QUEUED, status_rank=STATUS_RANK[MessageStatus.QUEUED], updated_at=now
        )
        tally_add(moves)
        MessageEvent.objects.bulk_create(
            [MessageEvent(message_id=pk, status=MessageStatus.QUEUED, rank=1, occurred_at=now) for pk in ids],
            ignore_conflicts=True,
        )
    for start in range(0, len(ids), SEND_CHUNK):
        chunk = ids[start : start + SEND_CHUNK]
        try:
            send_publish(chunk)
        except Exception as exc:  # the broker is down or refused: tell the client, free the credits
            logger.exception("Could not queue %d Tling message(s) of batch %s", len(chunk), batch)
            for pk in chunk:
                message_record_status(
                    message_id=pk,
                    status=MessageStatus.QUEUE_FAILED,
                    occurred_at=timezone.now(),
                    error=f"queue failed: {type(exc).__name__}",
                )
    return len(ids)


def send_publish(message_ids: list[uuid.UUID]) -> None:
    """Publish one send task for these messages (at most SEND_CHUNK), by task name.
    Raises the broker's error."""
    task_publish(SEND_TASK, [[str(pk) for pk in message_ids]])


class RetryLater(Exception):
    """A temporary provider error: the message was unclaimed and may be sent again."""


def message_send(*, message_id: uuid.UUID | str) -> Message | None:
    """Submit one message to the SMS provider, at most once: the conditional UPDATE
    on ``claimed_at`` lets exactly one task run past it. Records ``sent`` (and
    charges) when accepted, ``failed`` (and releases) when refused. Raises
    RetryLater after unclaiming on a temporary provider error. A send whose answer
    was lost and whose lookup failed too stays claimed, credits held, for the
    messages sweep to reconcile. Repeat-safe."""
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id,
        claimed_at__isnull=True,
        status_rank__lt=STATUS_RANK[MessageStatus.SENT],
    ).update(claimed_at=now)
    if not claimed:
        return None
    message = Message.objects.only("id", "owner_id", "phone_code", "phone_national", "text").get(pk=message_id)
    # Guardrails: a number on the owner's do-not-contact list never reaches the
    # provider (failed, credits released); each send takes a provider token.
    if dnc_numbers_among(user=User(pk=message.owner_id), numbers=[message.e164]):
        return message_record_status(
            message_id=message.id, status=MessageStatus.FAILED, occurred_at=timezone.now(), error="dnc"
        )
    backend = sms_backend()
    rate = settings.RATE_PROVIDER_SMS_PER_SECOND
    key = f"provider:{getattr(backend, 'name', type(backend).__name__)}"
    if rate and not ratelimit.acquire(key, rate, block_until=time.time() + SEND_TOKEN_BLOCK_SECONDS):
        Message.objects.filter(pk=message.id, claimed_at=now).update(claimed_at=None)
        raise RetryLater("rate limited")
    outbound = OutboundSms(to=message.e164, body=message.text, reference=message.reference)
    try:
        submission = backend.send(outbound)
    except ProviderTimeoutError:
        # The vendor may have accepted it: reconcile instead of sending twice.
        try:
            report = sms_backend().lookup(message.reference)
        except ProviderError:
            # Neither the answer nor the lookup came: the outcome is unknown. The message
            # stays claimed (credits held) for the sweep to ask again (tling.services.recovery).
            logger.warning("send of %s unanswered and its lookup failed; left to the sweep", message.reference)
            return None
        if report is not None:
            message_record_report(report)
            return message_record_status(
                message_id=message.id,
                status=MessageStatus.SENT,
                occurred_at=timezone.now(),
                provider_id=report.provider_id,
            )
        return message_record_status(
            message_id=message.id, status=MessageStatus.FAILED, occurred_at=timezone.now(), error="provider timeout"
        )
    except ProviderTemporaryError as exc:
        Message.objects.filter(pk=message.id, claimed_at=now).update(claimed_at=None)
        raise RetryLater(str(exc)) from exc
    except ProviderPermanentError as exc:
        return message_record_status(
            message_id=message.id,
            status=MessageStatus.FAILED,
            occurred_at=timezone.now(),
            error=str(exc)[:255] or "refused",
        )
    if submission.accepted:
        return message_record_status(
            message_id=message.id,
            status=MessageStatus.SENT,
            occurred_at=timezone.now(),
            provider_id=submission.provider_id,
        )
    return message_record_status(
        message_id=message.id,
        status=MessageStatus.FAILED,
        occurred_at=timezone.now(),
        error=submission.error[:255] or "refused",
        provider_id=submission.provider_id,
    )


def message_record_report(report: StatusReport) -> Message | None:
    """Status report handler for references ``tmsg:<uuid>`` (registered in the app's
    ready()). Late, replayed and out-of-order reports are safe: see
    ``message_record_status``."""
    try:
        message_id = uuid.UUID(report.reference.split(":", 1)[1])
    except (IndexError, ValueError):
        logger.warning("Tling report with a malformed reference %r dropped", report.reference)
        return None
    status = _REPORT_ALIASES.get(report.status, report.status)
    if status not in STATUS_RANK:
        logger.warning("Tling report with unknown status %r for %s dropped", report.status, message_id)
        return None
    return message_record_status(
        message_id=message_id,
        status=status,
        occurred_at=report.occurred_at,
        error=report.error,
        provider_id=report.provider_id,
    )


@retry_transient
def message_record_status(
    *, message_id: uuid.UUID | str, status: str, occurred_at: datetime, error: str = "", provider_id: str = ""
) -> Message | None:
    """Record that a message reached ``status``, under its row lock.

    - The timeline gets one entry per status (unique (message, status)); a replay adds nothing.
    - The current status only moves forward (by rank); a late report of an earlier
      status fills the timeline without moving the status back. Final statuses
      share a rank: the first wins, a contradicting later one is dropped.
    - Credits: charged once the provider accepted it, released once when it was
      refused or never queued; each at most once.
    Returns the message, or None when it does not exist."""
    rank = STATUS_RANK[status]
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            logger.warning("Tling status %r for unknown message %s dropped", status, message_id)
            return None
        is_refused = message.status in RELEASED_STATUSES
        was = tally_key(message)
        changed = []
        if rank > message.status_rank:
            message.status, message.status_rank = status, rank
            if error:
                message.error = error[:255]
            if provider_id and not message.provider_id:
                message.provider_id = provider_id
            changed = ["status", "status_rank", "error", "provider_id", "updated_at"]
            _record_event(message, status, rank, occurred_at)
            if webhook_wanted(user_id=message.owner_id):  # guardrails: status webhook, same transaction
                _emit_status(message, occurred_at)
        elif rank < message.status_rank and not is_refused:
            _record_event(message, status, rank, occurred_at)
        if _settle_credits(message):
            changed.append("billing")
        if changed:  # one UPDATE for the status and the billing it settles
            message.save(update_fields=changed)
        if tally_key(message) != was:  # after the ledger lock, as in messages_create
            tally_add({was: -1, tally_key(message): 1})
        if message.status_rank == FINAL_RANK and message.schedule_id:
            _complete_schedule(message.schedule_id)
    return message


def _emit_status(message: Message, occurred_at: datetime) -> None:
    """``message.status`` webhook (docs/api/API_CONTRACT.md §7): one per status change of a message."""
    webhook_emit(
        user=User(pk=message.owner_id),
        event="message.status",
        object_type="message",
        object_id=message.id,
        payload={
            "id": str(message.id),
            "batch": str(message.batch),
            "to": message.e164,
            "status": message.status,
            "error": message.error or None,
            "schedule_id": str(message.schedule_id) if message.schedule_id else None,
            "occurred_at": occurred_at,
        },
    )


def _record_event(message: Message, status: str, rank: int, occurred_at: datetime) -> None:
    MessageEvent.objects.bulk_create(
        [MessageEvent(message=message, status=status, rank=rank, occurred_at=occurred_at)], ignore_conflicts=True
    )


def _settle_credits(message: Message) -> bool:
    """Charge or release the held credits once the status says which; True when
    ``message.billing`` changed (the caller saves it)."""
    if message.billing != Billing.HELD:
        return False
    if message.status in CHARGED_STATUSES:
        message.billing = Billing.CHARGED
        ledger.charge(
            user_id=message.owner_id,
            amount=message.credits,
            from_held=True,
            idempotency_key=f"tmsg:{message.id}:charge",
            reference=message.reference,
        )
    elif message.status in RELEASED_STATUSES:
        message.billing = Billing.RELEASED
        ledger.release(
            user_id=message.owner_id,
            amount=message.credits,
            idempotency_key=f"tmsg:{message.id}:release",
            reference=message.reference,
        )
    else:
        return False
    return True


def _complete_schedule(schedule_id: uuid.UUID) -> None:
    # The schedule row lock serialises the last reports of one schedule, so the
    # one that finishes it sees every other message's final status.
    schedule = ScheduledMessage.objects.select_for_update().filter(pk=schedule_id, state=ScheduleState.ACTIVE).first()
    if schedule is None:
        return
    if not Message.objects.filter(schedule_id=schedule_id, status_rank__lt=FINAL_RANK).exists():
        schedule.state = ScheduleState.COMPLETED
        schedule.save(update_fields=["state", "updated_at"])
