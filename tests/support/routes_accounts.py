"""Owned routes of the accounts app, for the isolation matrix."""

from accounts.api_keys import api_key_create
from tests.support.isolation import owned_route


@owned_route("api key revoke", "DELETE")
def _api_key_revoke(owner):
    key, _ = api_key_create(user=owner, name="mine")
    return f"/api/accounts/api-keys/{key.pk}/", None


@owned_route("api key revoke by body", "DELETE")
def _api_key_revoke_body(owner):
    key, _ = api_key_create(user=owner, name="mine")
    return "/api/accounts/api-keys/", {"id": key.pk}


@owned_route("dnc remove by body", "DELETE")
def _dnc_remove(owner):
    # The DNC list takes numbers, not ids: another account's number is simply not on
    # the caller's list (404) and the owner's row stays.
    from accounts.services import dnc_add

    dnc_add(user=owner, numbers=["+9779843818700"])
    return "/api/system/dnc/", {"number": "9843818700"}
