"""Recipient ("campaign action") writes: add one, edit, delete."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from campaigns import extensions
from campaigns.models import Campaign, Recipient
from campaigns.selectors import recipient_get
from tingting.errors import ConflictError, FieldError, InvalidInputError
from tingting.phones import InvalidPhoneNumber, to_e164

MAX_TAG_LENGTH = 1000


def _parse_number(value: object) -> str:
    try:
        return to_e164(value)
    except InvalidPhoneNumber as exc:
        raise InvalidInputError(f"{value!r} {exc}.", code="invalid_phone_number", field="number") from exc


def validate_tags(*, campaign: Campaign, tags: object) -> dict:
    """Keys must be in the campaign's ``usable_tags``; values strings or numbers.
    400 naming ``available_tags.<key>`` for each bad entry."""
    if not isinstance(tags, dict):
        raise InvalidInputError("available_tags must be an object of tag names to values.", field="available_tags")
    errors = []
    for key, value in tags.items():
        if key not in campaign.usable_tags:
            allowed = ", ".join(campaign.usable_tags) or "none"
            errors.append(
                FieldError(
                    f"available_tags.{key}",
                    "unknown_tag",
                    f"{key!r} is not one of this campaign's usable_tags ({allowed}).",
                )
            )
        elif isinstance(value, bool) or not isinstance(value, str | int | float):
            errors.append(FieldError(f"available_tags.{key}", "invalid", "A tag value must be a string or a number."))
        elif isinstance(value, str) and len(value) > MAX_TAG_LENGTH:
            errors.append(
                FieldError(
                    f"available_tags.{key}", "max_length", f"A tag value has at most {MAX_TAG_LENGTH} characters."
                )
            )
    if errors:
        raise InvalidInputError(errors[0].message, code=errors[0].code, errors=errors)
    return dict(tags)


def _duplicate(number: str, campaign: Campaign) -> ConflictError:
    return ConflictError(f"{number} is already in campaign {campaign.name}.", code="number_exists", field="number")


def recipient_add(*, campaign: Campaign, number: object, available_tags: dict | None = None) -> Recipient:
    """Add one number to an owner-checked campaign; 400 bad number/tags, 409 already there."""
    e164 = _parse_number(number)
    tags = validate_tags(campaign=campaign, tags=available_tags) if available_tags is not None else {}
    try:
        with transaction.atomic():
            recipient = Recipient.objects.create(campaign=campaign, number=e164, tags=tags)
    except IntegrityError as exc:
        raise _duplicate(e164, campaign) from exc
    recipient.campaign = campaign
    return recipient


def _lock_editable(*, user: User, recipient_id: int) -> Recipient:
    recipient = recipient_get(user=user, recipient_id=recipient_id, for_update=True)
    if recipient.status in Recipient.IN_FLIGHT:
        raise ConflictError(
            f"This number is {recipient.status} right now; try again when its call or message has finished.",
            code="number_in_flight",
        )
    return recipient


def recipient_update(*, user: User, recipient_id: int, **changes: Any) -> Recipient:
    """Change ``number`` and/or replace ``available_tags``; 409 while in flight or when the
    new number is already in the campaign."""
    with transaction.atomic():
        recipient = _lock_editable(user=user, recipient_id=recipient_id)
        fields = []
        if "number" in changes:
            e164 = _parse_number(changes["number"])
            if e164 != recipient.number:
                recipient.number = e164
                fields.append("number")
        if "available_tags" in changes:
            recipient.tags = validate_tags(campaign=recipient.campaign, tags=changes["available_tags"])
            fields.append("tags")
        if fields:
            try:
                with transaction.atomic():
                    recipient.save(update_fields=fields)
            except IntegrityError as exc:
                raise _duplicate(recipient.number, recipient.campaign) from exc
    return recipient


def recipient_delete(*, user: User, recipient_id: int) -> Recipient:
    """Delete one recipient, with what other apps keep of it (``campaigns.extensions``);
    409 while in flight. Returns the deleted row (unsaved)."""
    with transaction.atomic():
        recipient = _lock_editable(user=user, recipient_id=recipient_id)
        campaign = recipient.campaign
        extensions.recipients_forget(campaign, [recipient.pk])
        recipient.delete()
    recipient.campaign = campaign
    return recipient
