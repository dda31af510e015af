"""Request and response shapes of begin / pause / resume / cancel / progress."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.services.begin import RERUN_STATUSES, AudioUpload, BeginArgs
from tingting.api.fields import ChoiceField
from tingting.moments import to_utc
from tingting.voice.serializers import LengthFactorField, VoiceInputField
from tingting.voice.uploads import inspect_audio_upload

SCHEDULE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?")


def _split(values) -> list[str]:
    """["failed, hungup", "completed"] → ["failed", "hungup", "completed"]."""
    if isinstance(values, str | int):
        values = [values]
    out: list[str] = []
    for value in values:
        out += [part.strip() for part in str(value).split(",") if part.strip()]
    return out


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class CommaListField(serializers.Field):
    """A list whose elements may themselves be comma-joined; a bare string is one element."""

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            return dictionary.getlist(self.field_name)
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if not isinstance(data, list | str | int) or isinstance(data, bool):
            raise serializers.ValidationError("Expected a list.", code="not_a_list")
        return _split(data)

    def to_representation(self, value):
        return value


class RunBeginInput(serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=10000)
    aud_file = serializers.FileField(required=False, allow_empty_file=False)
    # Absent: the campaign's stored voice and length factor (see _create_run).
    voice_input = VoiceInputField(keep_absent=True)
    length_factor = LengthFactorField(keep_absent=True)
    schedule_date = serializers.CharField(required=False, allow_blank=True)
    individual = CommaListField(required=False)
    status = CommaListField(required=False)
    priority = ChoiceField(choices=["audio", "message"], required=False)

    def validate_schedule_date(self, value: str) -> datetime | None:
        value = value.strip()
        if not value:
            return None
        if not SCHEDULE_FORMAT.fullmatch(value):
            raise serializers.ValidationError(
                "Use YYYY-MM-DDTHH:MM[:SS], optionally with an offset.", code="invalid_format"
            )
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise serializers.ValidationError("Not a valid date and time.", code="invalid_date") from exc
        if timezone.is_naive(moment):
            try:
                zone = ZoneInfo(getattr(self.context.get("user"), "time_zone", "") or settings.TIME_ZONE)
            except (ZoneInfoNotFoundError, ValueError):
                zone = ZoneInfo(settings.TIME_ZONE)
            moment = moment.replace(tzinfo=zone)
        try:
            moment = to_utc(moment)
        except ValueError as exc:
            raise serializers.ValidationError("Not a valid date and time.", code="invalid_date") from exc
        if moment <= timezone.now():
            raise serializers.ValidationError("Must be in the future.", code="in_past")
        return moment

    def validate_individual(self, values: list[str]) -> list[int]:
        ids, errors = [], {}
        for index, value in enumerate(values):
            if re.fullmatch(r"\d{1,18}", value):
                ids.append(int(value))
            else:
                errors[index] = [f"{value!r} is not an action id."]
        if errors:
            raise serializers.ValidationError(errors)
        return ids

    def validate_status(self, values: list[str]) -> list[str]:
        errors = {
            index: [f"{value!r} is not one of {', '.join(RERUN_STATUSES)}."]
            for index, value in enumerate(values)
            if value not in RERUN_STATUSES
        }
        if errors:
            raise serializers.ValidationError(errors)
        return list(dict.fromkeys(values))

    def validate_aud_file(self, upload) -> AudioUpload:
        info = inspect_audio_upload(upload, field="aud_file")
        return AudioUpload(file=upload, seconds=info.duration)

    def begin_kwargs(self) -> BeginArgs:
        data = self.validated_data
        return {
            "message": data.get("message") or None,
            "audio": data.get("aud_file"),
            "voice_input": data.get("voice_input"),
            "length_factor": data.get("length_factor"),
            "schedule_at": data.get("schedule_date"),
            "individual": data.get("individual") or None,
            "statuses": data.get("status") or None,
            "priority": data.get("priority"),
        }


class RunCreditsOutput(serializers.Serializer):
    estimate = serializers.IntegerField()
    held = serializers.IntegerField()
    charged = serializers.IntegerField()
    released = serializers.IntegerField()


class RunProgressOutput(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    campaign_name = serializers.CharField()
    run_id = serializers.IntegerField(allow_null=True)
    state = serializers.CharField()
    total = serializers.IntegerField()
    status_counts = serializers.DictField(child=serializers.IntegerField())
    credits = RunCreditsOutput()
    scheduled_for = serializers.CharField(allow_null=True)
    started_at = serializers.CharField(allow_null=True)
    finished_at = serializers.CharField(allow_null=True)
    rate_per_minute = serializers.FloatField(allow_null=True)
