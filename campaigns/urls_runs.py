"""Begin / pause / resume / cancel / progress paths (API_CONTRACT §2, §7)."""

from campaigns import views_runs as views
from tingting.api.routing import both

urlpatterns: list = [
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
