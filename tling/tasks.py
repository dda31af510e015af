"""Celery entry points of the Tling API: thin, each calls a service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tingting.retry import retry_or_give_up
from tling.services.messages import RetryLater, message_record_status, message_send
from tling.services.recovery import messages_sweep
from tling.services.schedules import schedules_sweep

MAX_SEND_RETRIES = 5


@shared_task(name="tling.message_send", bind=True, acks_late=True, max_retries=MAX_SEND_RETRIES)
def message_send_task(self, message_ids: list[str]) -> int:
    """Submit these messages; each is claimed once, so a redelivered or duplicated
    task sends nothing twice. Temporary provider errors retry with backoff, then
    the message is recorded ``failed`` (credits released)."""
    retry = []
    for message_id in message_ids:
        try:
            message_send(message_id=message_id)
        except RetryLater:
            retry.append(message_id)
    if retry:
        # Only the messages that met a temporary error are retried.
        retry_or_give_up(self, first=10, args=[retry], give_up=lambda: _give_up(retry))
    return len(message_ids) - len(retry)


def _give_up(message_ids: list[str]) -> None:
    for message_id in message_ids:
        message_record_status(
            message_id=message_id, status="failed", occurred_at=timezone.now(), error="provider unavailable"
        )


@shared_task(name="tling.schedules_sweep")
def schedules_sweep_task() -> int:
    """Send due scheduled messages (beat, every 15 s)."""
    return schedules_sweep()


@shared_task(name="tling.messages_sweep")
def messages_sweep_task() -> dict[str, int]:
    """Re-queue, re-publish or reconcile stuck Tling messages (beat, every 60 s)."""
    return messages_sweep()
