"""Report paths (API_CONTRACT §2 Reports)."""

from campaigns import views_reports
from tingting.api.routing import both

urlpatterns = [
    *both(
        "api/system/campaigns/report/download",
        views_reports.CampaignReportDownloadView.as_view(),
        "campaign-report-download",
    ),
    *both(
        "api/system/campaigns/report/summary",
        views_reports.CampaignReportSummaryView.as_view(),
        "campaign-report-summary",
    ),
]
