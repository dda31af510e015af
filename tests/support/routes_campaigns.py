"""Owned routes of the campaigns app, for the isolation matrix."""

from tests.support.campaign_helpers import make_campaign
from tests.support.isolation import owned_route

RENAMED = {"name": "renamed"}
NUMBER = {"number": "9843818700"}


def _campaign(owner):
    return make_campaign(owner).pk


def _empty_campaign(owner):
    return make_campaign(owner, recipients=0).pk


def _recipient(owner):
    return make_campaign(owner).recipients.get().pk


def _route(url: str, make, body):
    return lambda owner: (url.format(make(owner)), body)


# (name, method, URL with {} for the id of the owner's object, how that object is made, body)
ROUTES = [
    ("campaign update", "PUT", "/api/system/campaigns/{}/update", _campaign, RENAMED),
    ("campaign delete", "DELETE", "/api/system/campaigns/{}/delete/", _campaign, None),
    ("campaign details", "GET", "/api/system/campaigns/{}/details", _campaign, None),
    ("campaign number list", "GET", "/api/system/campaigns/number/{}", _campaign, None),
    ("campaign number add", "POST", "/api/system/campaigns/number/{}/", _empty_campaign, NUMBER),
    ("campaign number delete", "DELETE", "/api/system/campaigns/number/{}/delete", _recipient, None),
    ("number detail", "GET", "/api/system/number/{}", _recipient, None),
    ("number update", "PUT", "/api/system/number/{}/", _recipient, NUMBER),
    ("campaign update (PATCH)", "PATCH", "/api/system/campaigns/{}/update/", _campaign, RENAMED),
    ("number update (PATCH)", "PATCH", "/api/system/number/{}/", _recipient, NUMBER),
]
for name, method, url, make, body in ROUTES:
    owned_route(name, method)(_route(url, make, body))
