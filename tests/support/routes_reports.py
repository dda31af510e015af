"""Owned routes of the reports, for the isolation matrix."""

from tests.support.isolation import owned_route
from tests.support.reports import DOWNLOAD, make_campaign


@owned_route("report download", "GET")
def _report_download(owner):
    return f"{DOWNLOAD}?campaign_id={make_campaign(owner).pk}", None


@owned_route("report summary", "GET")
def _report_summary(owner):
    return f"/api/system/campaigns/report/summary/?campaign_id={make_campaign(owner).pk}", None
