"""Paths of docs/api/API_CONTRACT.md §2 Campaigns / Campaign actions / Reports, and the run endpoints (§7)."""

from campaigns import views
from tingting.api.routing import both

urlpatterns: list = [
    *both(
        "api/system/campaigns/report/download",
        views.CampaignReportDownloadView.as_view(),
        "campaign-report-download",
    ),
    *both(
        "api/system/campaigns/report/summary",
        views.CampaignReportSummaryView.as_view(),
        "campaign-report-summary",
    ),
    *both("api/system/campaigns", views.CampaignsView.as_view(), "campaigns"),
    *both("api/system/campaigns/<int:campaign_id>/update", views.CampaignUpdateView.as_view(), "campaign-update"),
    *both("api/system/campaigns/<int:campaign_id>/delete", views.CampaignDeleteView.as_view(), "campaign-delete"),
    *both("api/system/campaigns/<int:campaign_id>/details", views.CampaignDetailsView.as_view(), "campaign-details"),
    *both("api/system/campaigns/number/<int:campaign_id>", views.CampaignNumbersView.as_view(), "campaign-numbers"),
    *both("api/system/campaigns/number/<int:number_id>/delete", views.NumberDeleteView.as_view(), "number-delete"),
    *both("api/system/number/<int:number_id>", views.NumberDetailView.as_view(), "number-detail"),
    *both("api/system/campaigns/<int:campaign_id>/begin", views.CampaignBeginView.as_view(), name="campaign-begin"),
    *both("api/system/campaigns/<int:campaign_id>/pause", views.CampaignPauseView.as_view(), name="campaign-pause"),
    *both("api/system/campaigns/<int:campaign_id>/resume", views.CampaignResumeView.as_view(), name="campaign-resume"),
    *both("api/system/campaigns/<int:campaign_id>/cancel", views.CampaignCancelView.as_view(), name="campaign-cancel"),
    *both(
        "api/system/campaigns/<int:campaign_id>/progress",
        views.CampaignProgressView.as_view(),
        name="campaign-progress",
    ),
]
