"""Request and response shapes of the campaign endpoints: campaigns, recipients, runs, reports."""

from campaigns.serializers.campaigns import (
    CAMPAIGN_STATES,
    CampaignCreateInput,
    CampaignListQuery,
    CampaignOutput,
    CampaignUpdateInput,
    ImportReportOutput,
    RawField,
    ServicesField,
    TagsField,
)
from campaigns.serializers.recipients import (
    RecipientAddInput,
    RecipientListQuery,
    RecipientOutput,
    RecipientUpdateInput,
    number_display,
    recipient_output,
)
from campaigns.serializers.reports import ReportDownloadInput, ReportSummaryInput
from campaigns.serializers.runs import RunBeginInput, RunCreditsOutput, RunProgressOutput

__all__ = [
    "CAMPAIGN_STATES",
    "CampaignCreateInput",
    "CampaignListQuery",
    "CampaignOutput",
    "CampaignUpdateInput",
    "ImportReportOutput",
    "RawField",
    "RecipientAddInput",
    "RecipientListQuery",
    "RecipientOutput",
    "RecipientUpdateInput",
    "ReportDownloadInput",
    "ReportSummaryInput",
    "RunBeginInput",
    "RunCreditsOutput",
    "RunProgressOutput",
    "ServicesField",
    "TagsField",
    "number_display",
    "recipient_output",
]
