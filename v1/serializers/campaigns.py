"""The v1 campaign object and its requests (docs/api/API_CONTRACT_V1.md §4)."""

from __future__ import annotations

from rest_framework import serializers

from campaigns.models import Campaign, Recipient
from campaigns.status import progress_percent, status_label
from tingting.api.fields import ChoiceField
from tingting.voice.serializers import LengthFactorField
from v1.serializers.account import voice_output
from v1.serializers.fields import CaseChoiceField, ListOrOneField, OptionalBooleanField, ScheduleField, VoiceField
from voices.selectors import voice_by_name

FAILOVER_STATUSES = ["not started", *Recipient.FINAL]
TEXT = {"required": False, "allow_blank": True, "allow_null": True, "trim_whitespace": False}


class _CampaignFields(serializers.Serializer):
    services = CaseChoiceField(choices=Campaign.Services.choices, required=False)
    user_phone = ListOrOneField(max_items=50)
    message = serializers.CharField(max_length=10_000, **TEXT)
    sms_message = serializers.CharField(max_length=2_000, **TEXT)
    description = serializers.CharField(max_length=10_000, **TEXT)
    schedule = ScheduleField()
    voice = VoiceField()
    category = CaseChoiceField(choices=Campaign.Category.choices, required=False)
    length_factor = LengthFactorField(keep_absent=True)
    draft = OptionalBooleanField(required=False)
    failover_target = ListOrOneField(max_items=10)
    credit_limit = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10**12)

    def validate_failover_target(self, values: list) -> list[str]:
        out, errors = [], {}
        for index, value in enumerate(values):
            status = str(value).strip().lower()
            if status not in FAILOVER_STATUSES:
                errors[index] = [f"{str(value)[:40]!r} is not one of {', '.join(FAILOVER_STATUSES)}."]
            elif status not in out:
                out.append(status)
        if errors:
            raise serializers.ValidationError(errors)
        return out

    def changes(self) -> dict:
        """What the client sent, nulls of text fields as "" (absent fields are left out)."""
        data = dict(self.validated_data)
        for name in ("message", "sms_message", "description"):
            if name in data and data[name] is None:
                data[name] = ""
        if data.get("credit_limit", 0) is None:
            data["credit_limit"] = 0
        if "length_factor" in data and data["length_factor"] is None:
            del data["length_factor"]
        return data


class V1CampaignCreateInput(_CampaignFields):
    name = serializers.CharField(max_length=255)


class V1CampaignUpdateInput(_CampaignFields):
    name = serializers.CharField(max_length=255, required=False)


class V1MessageSettingsInput(serializers.Serializer):
    voice = VoiceField()
    category = CaseChoiceField(choices=Campaign.Category.choices, required=False)
    length_factor = LengthFactorField(keep_absent=True)
    message = serializers.CharField(max_length=10_000, **TEXT)
    sms_message = serializers.CharField(max_length=2_000, **TEXT)

    changes = _CampaignFields.changes


def _url(request, field) -> str | None:
    if not field:
        return None
    return request.build_absolute_uri(field.url) if request is not None else field.url


def campaign_output(campaign: Campaign, *, request=None, voices: dict | None = None) -> dict:
    """The campaign object; ``campaign`` from ``campaigns.status.with_summary`` (or read here).
    ``voices`` (internal name → Voice, from one ``voice_list()``) saves a page a catalogue
    lookup per row."""
    voice = voices.get(campaign.voice_input) if voices is not None else voice_by_name(campaign.voice_input)
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "services": campaign.services,
        "status": status_label(campaign),
        "sms_message": campaign.sms_message,
        "message": campaign.message,
        "description": campaign.description,
        "schedule": campaign.schedule.isoformat() if campaign.schedule else None,
        "audio_file": _url(request, campaign.audio_file),
        "bulk_file": None,
        "category": campaign.category,
        "user_phone": [phone.pk for phone in campaign.user_phone.all()],
        "campaign_action_count": campaign.number_count,
        "progress_percent": progress_percent(campaign),
        "updated_at": campaign.updated_at.isoformat(),
        "credit_limit": campaign.credit_limit,
        "voice": voice_output(voice),
        "draft": campaign.draft,
        "failover_target": list(campaign.failover_target or []),
        "length_factor": f"{campaign.length_factor:.2f}",
    }


class V1CampaignOutput(serializers.Serializer):
    """Schema of the campaign object (``campaign_output`` builds it)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    services = ChoiceField(choices=Campaign.Services.choices)
    status = serializers.CharField()
    sms_message = serializers.CharField()
    message = serializers.CharField()
    description = serializers.CharField()
    schedule = serializers.DateTimeField(allow_null=True)
    audio_file = serializers.URLField(allow_null=True)
    bulk_file = serializers.URLField(allow_null=True)
    category = ChoiceField(choices=Campaign.Category.choices)
    user_phone = serializers.ListField(child=serializers.IntegerField())
    campaign_action_count = serializers.IntegerField()
    progress_percent = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    credit_limit = serializers.IntegerField()
    voice = serializers.DictField(allow_null=True)
    draft = serializers.BooleanField()
    failover_target = serializers.ListField(child=serializers.CharField())
    length_factor = serializers.CharField()

    def to_representation(self, campaign) -> dict:
        return campaign_output(campaign, request=self.context.get("request"))


class V1MessageSettingsOutput(serializers.Serializer):
    voice = serializers.DictField(allow_null=True)
    sms_message = serializers.CharField()
    message = serializers.CharField()
    category = serializers.CharField()
    draft = serializers.BooleanField()
    length_factor = serializers.CharField()

    def to_representation(self, campaign) -> dict:
        return {
            "voice": voice_output(voice_by_name(campaign.voice_input)),
            "sms_message": campaign.sms_message,
            "message": campaign.message,
            "category": campaign.category,
            "draft": campaign.draft,
            "length_factor": f"{campaign.length_factor:.2f}",
        }


class V1CampaignListQuery(serializers.Serializer):
    status = serializers.CharField(required=False, allow_blank=True, max_length=32)
    search = serializers.CharField(required=False, allow_blank=True, max_length=255)
    draft = OptionalBooleanField(required=False, allow_null=True)
    sort_by = CaseChoiceField(choices=["asc", "des", "desc"], required=False)
    from_date = serializers.IntegerField(required=False, min_value=0, max_value=253402300799)
    to_date = serializers.IntegerField(required=False, min_value=0, max_value=253402300799)
