"""Owned routes of the Tling API, for the isolation matrix (called with API keys)."""

from accounts import ledger
from tests.support.isolation import owned_route
from tling import services

V0 = "/api/v0"


def _contact(owner, number="+9779801234560"):
    return services.contact_create(owner=owner, name="Mine", phone_number=number)


def _list(owner):
    return services.list_create(owner=owner, name="Mine")


for method in ("GET", "PATCH", "DELETE"):
    owned_route(f"tling contact {method}", method, face="tling")(
        lambda owner, m=method: (f"{V0}/contacts/{_contact(owner).pk}", {"name": "x"} if m == "PATCH" else None)
    )
    owned_route(f"tling list {method}", method, face="tling")(
        lambda owner, m=method: (f"{V0}/lists/{_list(owner).pk}", {"name": "x"} if m == "PATCH" else None)
    )


@owned_route("tling contacts bulk delete with another's id", "DELETE", face="tling")
def _bulk_delete(owner):
    return f"{V0}/contacts", [str(_contact(owner).pk)]


for method in ("POST", "DELETE"):
    owned_route(f"tling list contacts {method}", method, face="tling")(
        lambda owner: (f"{V0}/lists/{_list(owner).pk}/contacts", [str(_contact(owner).pk)])
    )


@owned_route("tling message GET", "GET", face="tling")
def _message(owner):
    ledger.top_up(user_id=owner.pk, amount=10)
    message = services.messages_create(owner=owner, text="hi", to=["+9779801234561"])[0]
    return f"{V0}/messages/{message.pk}", None


def _schedule(owner):
    from datetime import timedelta

    from django.utils import timezone

    return services.schedule_create(
        owner=owner, send_at=timezone.now() + timedelta(hours=1), text="hi", to=["+9779801234562"]
    )


@owned_route("tling schedule PATCH", "PATCH", face="tling")
def _schedule_patch(owner):
    return f"{V0}/schedule/message/{_schedule(owner).pk}", {"text": "changed"}


@owned_route("tling schedule DELETE", "DELETE", face="tling")
def _schedule_delete(owner):
    return f"{V0}/schedule/message/{_schedule(owner).pk}", None
