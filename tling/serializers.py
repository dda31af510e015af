"""Tling request shapes (DRF serializers) and response shapes (plain functions:
the list endpoints render up to 100 rows and these stay cheap)."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tingting.errors import NotFoundError
from tingting.moments import to_utc
from tingting.phones import InvalidPhoneNumber, to_e164
from tling.envelope import timestamp
from tling.models import Contact, ContactList, ScheduledMessage

MAX_TEXT = 1600
MAX_RECIPIENTS = 1000
MAX_IDS = 1000
# Output-only UUIDs for integer-keyed rows of other apps (users, API keys):
# the Tling face shows every id as a UUID (docs/api/API_CONTRACT.md §3).
_PUBLIC_ID_NAMESPACE = uuid.UUID("6f1d5a52-5a5e-4f0c-9a43-7f6b0c2d9e11")


@functools.lru_cache(maxsize=1024)
def public_id(kind: str, pk: int | None) -> str | None:
    return None if pk is None else str(uuid.uuid5(_PUBLIC_ID_NAMESPACE, f"{kind}:{pk}"))


def e164(value: object) -> str:
    """An E.164 number with its ``+`` (docs/api/API_CONTRACT.md §3); raises InvalidPhoneNumber."""
    if not isinstance(value, str) or not value.strip().startswith("+"):
        raise InvalidPhoneNumber("must be an E.164 number starting with +")
    return to_e164(value)


# --- input ----------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class PhoneNumberField(serializers.Field):
    default_error_messages = {"invalid": "{value!r} {reason}."}

    def to_internal_value(self, data):
        try:
            return e164(data)
        except InvalidPhoneNumber as exc:
            self.fail("invalid", value=data, reason=str(exc))

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.DATETIME)
class BirthDateField(serializers.Field):
    """An ISO date or datetime (the seed sends ``2000-01-01T00:00:00.000Z``); the date is kept."""

    default_error_messages = {"invalid": "Use an ISO 8601 date (2000-01-01) or datetime."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            parsed = parse_datetime(data.strip())
            day = (
                parsed.astimezone(UTC).date()
                if parsed and parsed.tzinfo
                else (parsed.date() if parsed else parse_date(data.strip()))
            )
        except ValueError:
            day = None
        if day is None:
            self.fail("invalid")
        return day

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.DATETIME)
class FutureDateTimeField(serializers.Field):
    """ISO 8601; UTC when it has no offset; must be in the future."""

    default_error_messages = {
        "invalid": "Use an ISO 8601 datetime such as 2030-01-01T12:30:00.000Z.",
        "past": "The date must be in the future.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            parsed = parse_datetime(data.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        try:
            parsed = to_utc(parsed)
        except ValueError:
            self.fail("invalid")
        if parsed <= timezone.now():
            self.fail("past")
        return parsed

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class RecipientsField(serializers.Field):
    """1–1,000 E.164 numbers; every invalid one named by its index (``to.3``);
    duplicates collapse, first occurrence order kept."""

    default_error_messages = {
        "not_a_list": "Expected an array of phone numbers.",
        "empty": "At least one recipient is required.",
        "too_many": f"At most {MAX_RECIPIENTS} recipients per message.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list")
        if not data:
            self.fail("empty")
        if len(data) > MAX_RECIPIENTS:
            self.fail("too_many")
        numbers, errors = [], {}
        for index, value in enumerate(data):
            try:
                numbers.append(e164(value))
            except InvalidPhoneNumber as exc:
                errors[str(index)] = [serializers.ErrorDetail(f"{value!r} {exc}.", code="invalid_phone_number")]
        if errors:
            raise serializers.ValidationError(errors)
        return list(dict.fromkeys(numbers))

    def to_representation(self, value):
        return value


def text_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(min_length=1, max_length=MAX_TEXT, trim_whitespace=False, **kwargs)


class ContactInput(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    phoneNumber = PhoneNumberField()  # noqa: N815 - the API's field name
    email = serializers.EmailField(max_length=254, required=False, allow_null=True)
    birthDate = BirthDateField(required=False, allow_null=True)  # noqa: N815


class ListInput(serializers.Serializer):
    name = serializers.CharField(max_length=255)


class MessageInput(serializers.Serializer):
    text = text_field()
    to = RecipientsField()


class ScheduleInput(serializers.Serializer):
    date = FutureDateTimeField()
    text = text_field()
    to = RecipientsField()


def id_array(data: object) -> list[uuid.UUID]:
    """A JSON array of 1–1,000 ids. A non-UUID id cannot be one of the caller's
    objects, so it answers 404 like any unknown id."""
    if not isinstance(data, list):
        raise serializers.ValidationError({"non_field_errors": ["Expected a JSON array of ids."]})
    if not data:
        raise serializers.ValidationError({"non_field_errors": ["Expected at least one id."]})
    if len(data) > MAX_IDS:
        raise serializers.ValidationError({"non_field_errors": [f"At most {MAX_IDS} ids per request."]})
    ids = []
    for index, value in enumerate(data):
        try:
            if not isinstance(value, str):
                raise ValueError("not a string")
            ids.append(uuid.UUID(value))
        except ValueError as exc:
            raise NotFoundError(f"No such object: {value!r}.", field=str(index)) from exc
    return list(dict.fromkeys(ids))


# --- output ---------------------------------------------------------------------------


def contact_out(contact: Contact) -> dict:
    return {
        "birthDate": timestamp(contact.birth_date),
        "createdAt": timestamp(contact.created_at),
        "email": contact.email,
        "id": str(contact.id),
        "listsCount": str(getattr(contact, "lists_count", 0)),
        "name": contact.name,
        "phoneCode": contact.phone_code,
        "phoneNumber": contact.phone_national,
        "updatedAt": timestamp(contact.updated_at),
    }


def list_out(contact_list: ContactList, *, with_count: bool = True) -> dict:
    out = {
        "contactsCount": str(getattr(contact_list, "contacts_count", 0)),
        "createdAt": timestamp(contact_list.created_at),
        "id": str(contact_list.id),
        "name": contact_list.name,
        "updatedAt": timestamp(contact_list.updated_at),
    }
    if not with_count:
        del out["contactsCount"]
    return out


def message_out(row: dict) -> dict:
    """A message row of ``tling.selectors``: its fields, timestamps and ``report``
    timeline already rendered by the database."""
    return {
        "apiKeyId": public_id("api-key", row["api_key_id"]),
        "createdAt": row["created"],
        "error": row["error"],
        "id": str(row["id"]),
        "phoneCode": row["phone_code"],
        "phoneNumber": row["phone_national"],
        "report": row["report"],
        "updatedAt": row["updated"],
    }


def schedule_out(schedule: ScheduledMessage) -> dict:
    return {
        "id": str(schedule.id),
        "name": schedule.name,
        "data": {
            "to": list(schedule.to),
            "text": schedule.text,
            "userId": public_id("user", schedule.owner_id),
            "apiKeyId": public_id("api-key", schedule.api_key_id),
        },
        "state": schedule.state,
        "createdon": timestamp(schedule.created_at),
    }
