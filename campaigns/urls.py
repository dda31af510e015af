"""Paths of API_CONTRACT.md §2 Campaigns / Campaign actions, plus the run endpoints."""

from campaigns.urls_runs import urlpatterns as run_urlpatterns

urlpatterns: list = [
    *run_urlpatterns,
]
