"""Owned routes of the campaigns app, for the isolation matrix."""

from tests.campaign_helpers import make_campaign
from tests.isolation import owned_route


@owned_route("campaign update", "PUT")
def _campaign_update(owner):
    return f"/api/system/campaigns/{make_campaign(owner).pk}/update", {"name": "renamed"}


@owned_route("campaign delete", "DELETE")
def _campaign_delete(owner):
    return f"/api/system/campaigns/{make_campaign(owner).pk}/delete/", None


@owned_route("campaign details", "GET")
def _campaign_details(owner):
    return f"/api/system/campaigns/{make_campaign(owner).pk}/details", None


@owned_route("campaign number list", "GET")
def _number_list(owner):
    return f"/api/system/campaigns/number/{make_campaign(owner).pk}", None


@owned_route("campaign number add", "POST")
def _number_add(owner):
    return f"/api/system/campaigns/number/{make_campaign(owner, recipients=0).pk}/", {"number": "9843818700"}


@owned_route("campaign number delete", "DELETE")
def _number_delete(owner):
    return f"/api/system/campaigns/number/{make_campaign(owner).recipients.get().pk}/delete", None


@owned_route("number detail", "GET")
def _number_detail(owner):
    return f"/api/system/number/{make_campaign(owner).recipients.get().pk}", None


@owned_route("number update", "PUT")
def _number_update(owner):
    return f"/api/system/number/{make_campaign(owner).recipients.get().pk}/", {"number": "9843818700"}


@owned_route("campaign update (PATCH)", "PATCH")
def _campaign_patch(owner):
    return f"/api/system/campaigns/{make_campaign(owner).pk}/update/", {"name": "renamed"}


@owned_route("number update (PATCH)", "PATCH")
def _number_patch(owner):
    return f"/api/system/number/{make_campaign(owner).recipients.get().pk}/", {"number": "9843818700"}
