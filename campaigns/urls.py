"""Paths of API_CONTRACT.md §2 Campaigns / Campaign actions, plus the run endpoints."""

from campaigns import views
from campaigns.urls_runs import urlpatterns as run_urlpatterns
from tingting.api.routing import both

urlpatterns: list = [
    *both("api/system/campaigns", views.CampaignsView.as_view(), "campaigns"),
    *both("api/system/campaigns/<int:campaign_id>/update", views.CampaignUpdateView.as_view(), "campaign-update"),
    *both("api/system/campaigns/<int:campaign_id>/delete", views.CampaignDeleteView.as_view(), "campaign-delete"),
    *both("api/system/campaigns/<int:campaign_id>/details", views.CampaignDetailsView.as_view(), "campaign-details"),
    *both("api/system/campaigns/number/<int:campaign_id>", views.CampaignNumbersView.as_view(), "campaign-numbers"),
    *both("api/system/campaigns/number/<int:number_id>/delete", views.NumberDeleteView.as_view(), "number-delete"),
    *both("api/system/number/<int:number_id>", views.NumberDetailView.as_view(), "number-detail"),
    *run_urlpatterns,
]
