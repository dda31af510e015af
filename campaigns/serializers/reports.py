"""Query shapes of the report endpoints (docs/api/API_CONTRACT.md §2 Reports)."""

from __future__ import annotations

from rest_framework import serializers

from tingting.api.fields import ChoiceField


class ReportDownloadInput(serializers.Serializer):
    campaign_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    format = ChoiceField(choices=["xlsx", "csv"], default="xlsx")


class ReportSummaryInput(serializers.Serializer):
    campaign_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
