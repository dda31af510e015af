"""Owned routes of the v1 face, for the isolation matrix."""

from tests.support.campaign_helpers import make_campaign, upload
from tests.support.isolation import owned_route


def _campaign(owner):
    return make_campaign(owner, services="PHONE").pk


def _empty_campaign(owner):
    return make_campaign(owner, services="PHONE", recipients=0).pk


def _contact(owner):
    return make_campaign(owner, services="PHONE").recipients.get().pk


def _route(url: str, make, body):
    return lambda owner: (url.format(make(owner)), body)


P = "/api/v1/"
# (name, method, URL with {} for the id of the owner's object, how that object is made, body)
ROUTES = [
    ("v1 campaign get", "GET", P + "campaign/{}/", _campaign, None),
    ("v1 campaign patch", "PATCH", P + "campaign/{}/", _campaign, {"name": "x"}),
    ("v1 campaign put", "PUT", P + "campaign/{}/", _campaign, {"name": "x"}),
    ("v1 campaign post", "POST", P + "campaign/{}/", _campaign, {"name": "x"}),
    ("v1 campaign delete", "DELETE", P + "campaign/{}/", _campaign, None),
    ("v1 message settings patch", "PATCH", P + "campaign/create/{}/message/", _campaign, {"message": "x"}),
    ("v1 message settings put", "PUT", P + "campaign/create/{}/message/", _campaign, {"message": "x"}),
    ("v1 message settings post", "POST", P + "campaign/create/{}/message/", _campaign, {"message": "x"}),
    ("v1 add contact", "POST", P + "campaign/{}/add-contact/", _empty_campaign, {"number": "9801000001"}),
    ("v1 campaign detail", "GET", P + "campaign-detail/{}/", _campaign, None),
    ("v1 contact update", "PATCH", P + "phone-number/update/{}/", _contact, {"number": "9801000009"}),
    ("v1 contact put", "PUT", P + "phone-number/update/{}/", _contact, {"number": "9801000009"}),
    ("v1 contact delete", "DELETE", P + "phone-number/delete/{}/", _contact, None),
    ("v1 attributes get", "GET", P + "campaign/{}/attributes/", _contact, None),
    ("v1 attributes patch", "PATCH", P + "campaign/{}/attributes/", _contact, {"a": "b"}),
]
for name, method, url, make, body in ROUTES:
    owned_route(name, method, face="v1")(_route(url, make, body))


def _bulk_file(owner):
    csv = b"number,name\n9801000007,Ram\n"
    return P + f"campaign/create/{_campaign(owner)}/detail/", {"bulk_file": upload("c.csv", csv, "text/csv")}


for method in ("PATCH", "POST"):
    owned_route(f"v1 bulk file {method}", method, face="v1", format="multipart")(_bulk_file)
