"""Fields the v1 requests share: lists sent as JSON lists, repeated form fields or one value;
schedules; voices by id, name or object."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tingting.api.fields import ChoiceField
from tingting.errors import InvalidInputError
from tingting.moments import to_utc
from voices.selectors import voice_resolve


def account_zone(user) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class ListOrOneField(serializers.Field):
    """A JSON list, repeated form fields, one JSON-list string, or a single value → a list
    of scalars (strings or integers). Empty and null → []."""

    def __init__(self, *, max_items: int = 100, **kwargs) -> None:
        self.max_items = max_items
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            values = dictionary.getlist(self.field_name)
            return values if len(values) != 1 else values[0]
        return super().get_value(dictionary)

    def validate_empty_values(self, data):
        if data is None or data == "":
            return True, []
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip().startswith("["):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError("Not a valid JSON list.", code="invalid") from None
        if not isinstance(data, list):
            data = [data]
        if len(data) > self.max_items:
            raise serializers.ValidationError(f"At most {self.max_items} items.", code="max_length")
        errors = {
            index: ["Must be a string or a number."]
            for index, item in enumerate(data)
            if isinstance(item, bool) or not isinstance(item, str | int)
        }
        if errors:
            raise serializers.ValidationError(errors)
        return [item.strip() if isinstance(item, str) else item for item in data if item != ""]

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.DATETIME)
class ScheduleField(serializers.Field):
    """ISO datetime (``Z``, an offset, or naive = the account's time zone) or a date
    (its midnight there); null or "" clears."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data == "":
            return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 40:
            raise serializers.ValidationError("Use an ISO 8601 date and time or a date.", code="invalid")
        text = data.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            try:
                moment = datetime.combine(date.fromisoformat(text), time())
            except ValueError:
                raise serializers.ValidationError("Use an ISO 8601 date and time or a date.", code="invalid") from None
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=account_zone(self.context.get("user")))
        try:
            return to_utc(moment)
        except ValueError:
            raise serializers.ValidationError("Not a valid date and time.", code="invalid") from None

    def to_representation(self, value):
        return value.isoformat() if value else None


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}, {"type": "object"}]})
class VoiceField(serializers.Field):
    """A voice by id, internal name (or alias), or ``{"id"|"voice_internal_name"}`` → its internal name."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data == "":
            return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        try:
            return voice_resolve(data, field=self.field_name).internal_name
        except InvalidInputError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None

    def to_representation(self, value):
        return value


class CaseChoiceField(ChoiceField):
    """A choice matched in any letter case, answered in its canonical spelling."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            wanted = data.strip().lower()
            data = next((choice for choice in self.choices if str(choice).lower() == wanted), data)
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.OBJECT)
class VariablesField(serializers.Field):
    """``other_variables``: an object of names to strings or numbers (a JSON string in forms).
    Anything else a client sends there (the SDK's form encoding sends the keys only) → None,
    which the services read as "not given"."""

    MAX_KEYS, MAX_LENGTH = 50, 1000

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is None or data == "":
            return True, {}
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip().startswith("{"):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError("Not a valid JSON object.", code="invalid") from None
        if not isinstance(data, dict):
            return None
        if len(data) > self.MAX_KEYS:
            raise serializers.ValidationError(f"At most {self.MAX_KEYS} variables.", code="max_length")
        errors = {}
        for key, value in data.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float) or len(str(key)) > 64:
                errors[str(key)[:64]] = ["A variable is a string or a number."]
            elif isinstance(value, str) and len(value) > self.MAX_LENGTH:
                errors[str(key)] = [f"At most {self.MAX_LENGTH} characters."]
        if errors:
            raise serializers.ValidationError(errors)
        return {str(key): value for key, value in data.items()}

    def to_representation(self, value):
        return value


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that stays absent when a form or query string leaves it out (DRF's
    BooleanField reads an absent form field as False, an unticked checkbox)."""

    default_empty_html = serializers.empty
