"""Request and response shapes of docs/api/API_CONTRACT.md §2 "Campaigns" and "Campaign actions"."""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.models import Campaign
from campaigns.status import STATUSES, status_label, summary_of
from tingting.api.fields import ChoiceField
from tingting.api.pagination import PageQuery
from tingting.phones import national_display


class ServicesField(ChoiceField):
    """``PHONE`` or ``SMS``, any letter case (the seed face's two; the v1 face has more)."""

    def __init__(self, **kwargs):
        super().__init__(choices=[Campaign.Services.PHONE, Campaign.Services.SMS], **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.ANY)
class RawField(serializers.Field):
    """Passes a value through; the service validates it and names the index."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


def _flexible_list(value):
    """Multipart sends one field as one string: accept a JSON list or comma-separated values."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        text = value[0].strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError as exc:
                raise serializers.ValidationError("Not a valid JSON list.") from exc
            if isinstance(parsed, list):
                return parsed
        if "," in text:
            return [part.strip() for part in text.split(",") if part.strip()]
    return value


@extend_schema_field(OpenApiTypes.OBJECT)
class TagsField(RawField):
    """``available_tags``: checked against the campaign's ``usable_tags`` by the service."""


class CampaignCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    services = ServicesField()
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    individual_number = serializers.ListField(child=RawField(), required=False, max_length=100_000)
    user_phone = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=50)
    send_to_number_file = serializers.FileField(required=False, allow_empty_file=True)

    def validate_individual_number(self, value):
        return _flexible_list(value)

    def validate_user_phone(self, value):
        return _flexible_list(value)


class CampaignUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    services = ServicesField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    user_phone = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=50)

    def validate_user_phone(self, value):
        return _flexible_list(value)


class CampaignOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    user_phone = serializers.ListField(child=serializers.CharField())
    services = serializers.CharField()
    description = serializers.CharField()
    usable_tags = serializers.ListField(child=serializers.CharField())
    # Read by clients of the hosted seed API (docs/api/API_CONTRACT_V1.md §7): the v1 status and the recipients.
    status = ChoiceField(choices=STATUSES)
    number_count = serializers.IntegerField()

    def to_representation(self, campaign: Campaign) -> dict:
        campaign = summary_of(campaign)  # annotated by campaign_list; one query for a single campaign
        return {
            "id": campaign.pk,
            "name": campaign.name,
            "user_phone": [national_display(p.phone_number) for p in campaign.user_phone.all()],
            "services": campaign.services,
            "description": campaign.description,
            "usable_tags": list(campaign.usable_tags),
            "status": status_label(campaign),
            "number_count": campaign.number_count,
        }


CAMPAIGN_STATES = ["not started", "scheduled", "running", "paused", "completed", "cancelled"]


class CampaignListQuery(PageQuery):
    page = serializers.IntegerField(min_value=1, required=False, default=1)
    page_size = serializers.IntegerField(min_value=1, required=False, default=10)
    search = serializers.CharField(required=False, allow_blank=True, max_length=255)
    services = ServicesField(required=False)
    # The state of the campaign's latest run ("not started" when it has none).
    status = ChoiceField(choices=CAMPAIGN_STATES, required=False)


class ImportReportOutput(serializers.Serializer):
    state = serializers.CharField()
    rows = serializers.IntegerField()
    added = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    invalid = serializers.ListField(child=serializers.DictField())
    invalid_count = serializers.IntegerField()
    # Numbers accepted outside the ranges phonenumbers lists: {"row", "value", "warning"}.
    warnings = serializers.ListField(child=serializers.DictField())
    warnings_count = serializers.IntegerField()
    # Files: {"number": {"column", "header", "found_by"}, "tags": [{"column", "header", "tag"}]}.
    columns = serializers.DictField(required=False)
