"""OpenAPI descriptions of the campaign endpoints: the envelopes their views answer."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from campaigns.serializers import CampaignOutput, ImportReportOutput, RecipientOutput, RunProgressOutput
from tingting.api.schema import envelope_of

CAMPAIGN_LIST_SCHEMA = inline_serializer(
    "CampaignList",
    {
        "pagination": inline_serializer(
            "CampaignListPagination",
            {
                "total_items": serializers.IntegerField(),
                "total_pages": serializers.IntegerField(),
                "page_number": serializers.IntegerField(),
                "has_next": serializers.BooleanField(),
                "has_previous": serializers.BooleanField(),
                "links": inline_serializer(
                    "PageLink", {"page_number": serializers.IntegerField(), "url": serializers.URLField()}, many=True
                ),
            },
        ),
        "result": inline_serializer(
            "CampaignListResult", {"messages": serializers.CharField(), "campaign-lists": CampaignOutput(many=True)}
        ),
    },
)

CampaignCreateEnvelope = envelope_of(
    "CampaignCreateEnvelope", {"details": CampaignOutput(many=True), "import": ImportReportOutput()}
)

CampaignUpdateEnvelope = envelope_of("CampaignUpdateEnvelope", {"details": CampaignOutput(many=True)})

CampaignDeleteEnvelope = envelope_of("CampaignDeleteEnvelope", {"camaign": serializers.CharField()})

CampaignDetailsEnvelope = envelope_of(
    "CampaignDetailsEnvelope",
    {
        "messages": serializers.CharField(),
        "details": CampaignOutput(many=True),
        "import": ImportReportOutput(required=False),
    },
)

NumberListEnvelope = envelope_of(
    "NumberListEnvelope",
    {
        "messages": serializers.CharField(),
        "number-lists": RecipientOutput(many=True),
        "truncated": serializers.BooleanField(required=False),
        "import": ImportReportOutput(required=False),
    },
)

NumberAddEnvelope = envelope_of("NumberAddEnvelope", {"details": RecipientOutput()})

NumberDeleteEnvelope = envelope_of("NumberDeleteEnvelope", {"campaign-details": serializers.CharField()})

NumberDetailEnvelope = envelope_of(
    "NumberDetailEnvelope", {"messages": serializers.CharField(), "number-detail": RecipientOutput()}
)

NumberUpdateEnvelope = envelope_of("NumberUpdateEnvelope", {"details": RecipientOutput()})


class TagGapRowOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    empty_tags = serializers.ListField(child=serializers.CharField())


class TagGapsOutput(serializers.Serializer):
    """Recipients whose tag the personalised message uses is empty (the first ten listed)."""

    count = serializers.IntegerField()
    rows = TagGapRowOutput(many=True)


RunBeginEnvelope = envelope_of(
    "RunBeginEnvelope", {"hold amount": serializers.CharField(), "empty_tags": TagGapsOutput(required=False)}
)

ReportSummaryEnvelope = envelope_of(
    "ReportSummaryEnvelope",
    {
        "summary": serializers.ListField(child=serializers.DictField()),
        "totals": serializers.DictField(),
    },
)

RunProgressEnvelope = envelope_of("RunProgressEnvelope", {"progress": RunProgressOutput()})
