"""Owned routes of the accounts app, for the isolation matrix."""

from accounts.api_keys import api_key_create
from tests.isolation import owned_route


@owned_route("api key revoke", "DELETE")
def _api_key_revoke(owner):
    key, _ = api_key_create(user=owner, name="mine")
    return f"/api/accounts/api-keys/{key.pk}/", None


@owned_route("api key revoke by body", "DELETE")
def _api_key_revoke_body(owner):
    key, _ = api_key_create(user=owner, name="mine")
    return "/api/accounts/api-keys/", {"id": key.pk}
