"""TingTing views of campaigns, recipients, runs and reports (docs/api/API_CONTRACT.md §2, §7). Thin:
parse, call one service or selector, render; the OpenAPI envelopes are in ``campaigns.schema``."""

from campaigns.views.campaigns import (
    CampaignDeleteView,
    CampaignDetailsView,
    CampaignsView,
    CampaignUpdateView,
    UploadLimitHandler,
)
from campaigns.views.recipients import CampaignNumbersView, NumberDeleteView, NumberDetailView
from campaigns.views.reports import XLSX_TYPE, CampaignReportDownloadView, CampaignReportSummaryView
from campaigns.views.runs import (
    CampaignBeginView,
    CampaignCancelView,
    CampaignPauseView,
    CampaignProgressView,
    CampaignResumeView,
)

__all__ = [
    "XLSX_TYPE",
    "CampaignBeginView",
    "CampaignCancelView",
    "CampaignDeleteView",
    "CampaignDetailsView",
    "CampaignNumbersView",
    "CampaignPauseView",
    "CampaignProgressView",
    "CampaignReportDownloadView",
    "CampaignReportSummaryView",
    "CampaignResumeView",
    "CampaignUpdateView",
    "CampaignsView",
    "NumberDeleteView",
    "NumberDetailView",
    "UploadLimitHandler",
]
