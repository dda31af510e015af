"""Scheduled messages: create, change or cancel while waiting, and the sweep that
sends due ones exactly once (docs/api/API_CONTRACT.md §3)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from tingting.errors import ConflictError, DomainError
from tling import selectors
from tling.models import ScheduledMessage, ScheduleState
from tling.services.messages import messages_create_in_transaction

logger = logging.getLogger(__name__)
_UNSET = object()


def schedule_create(
    *, owner: User, send_at: datetime, text: str, to: list[str], api_key_id: int | None = None
) -> ScheduledMessage:
    """Store a message to send at ``send_at``. Credits are checked and held when it
    is due, not now (the balance may change until then)."""
    return ScheduledMessage.objects.create(owner=owner, api_key_id=api_key_id, send_at=send_at, text=text, to=to)


def _locked_waiting(owner: User, schedule_id: object) -> ScheduledMessage:
    # Waits for a sweep holding the row; then sees its new state.
    schedule = selectors.schedule_locked(owner=owner, schedule_id=schedule_id)
    if schedule.state != ScheduleState.CREATED:
        raise ConflictError(
            f"The scheduled message is {schedule.state}; only a waiting (created) one can change.",
            code="schedule_not_waiting",
        )
    return schedule


def schedule_update(
    *, owner: User, schedule_id: object, send_at: Any = _UNSET, text: Any = _UNSET, to: Any = _UNSET
) -> ScheduledMessage:
    """Change date, text or recipients while ``created``; ConflictError (409) after.
    NotFoundError (404) for an unknown or foreign id. Repeat-safe."""
    with transaction.atomic():
        schedule = _locked_waiting(owner, schedule_id)
        fields = ["updated_at"]
        for name, value in (("send_at", send_at), ("text", text), ("to", to)):
            if value is not _UNSET:
                setattr(schedule, name, value)
                fields.append(name)
        schedule.save(update_fields=fields)
    return schedule


def schedule_cancel(*, owner: User, schedule_id: object) -> ScheduledMessage:
    """Cancel a waiting schedule; ConflictError (409) once it is sending or done."""
    with transaction.atomic():
        schedule = _locked_waiting(owner, schedule_id)
        schedule.state = ScheduleState.CANCELLED
        schedule.save(update_fields=["state", "updated_at"])
    return schedule


def schedules_sweep(*, limit: int = 200, now: datetime | None = None) -> int:
    """Send due schedules, one transaction each: the row is taken with
    ``FOR UPDATE SKIP LOCKED`` and moved ``created`` → ``active`` with its messages
    created (and credits held) in the same transaction, so concurrent sweepers
    never send one twice. Not enough credits → ``failed``. Returns how many were
    taken. Repeat-safe."""
    taken = 0
    while taken < limit:
        with transaction.atomic():
            schedule = (
                ScheduledMessage.objects.select_for_update(skip_locked=True)
                .filter(state=ScheduleState.CREATED, send_at__lte=now or timezone.now())
                .select_related("owner")
                .order_by("send_at")
                .first()
            )
            if schedule is None:
                break
            _start(schedule)
        taken += 1
    return taken


def _start(schedule: ScheduledMessage) -> None:
    try:
        with transaction.atomic():
            messages_create_in_transaction(
                owner=schedule.owner,
                text=schedule.text,
                to=list(schedule.to),
                api_key_id=schedule.api_key_id,
                schedule=schedule,
            )
            schedule.state = ScheduleState.ACTIVE
    except DomainError as exc:
        logger.info("Scheduled message %s failed: %s", schedule.pk, exc.message)
        schedule.state, schedule.error = ScheduleState.FAILED, exc.message[:255]
    schedule.save(update_fields=["state", "error", "updated_at"])
