"""Login as the views of both faces take it (the seed face's ``/api/auth/login/``, the v1
face's ``/api/v1/auth/login/``): the same body, the same service, the same token pair.
Each face wraps the pair in its own answer."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request

from accounts.models import User
from accounts.serializers import LoginInput
from accounts.services import user_login
from tingting.api import throttling


def login_from_request(request: Request) -> tuple[User, dict[str, str]]:
    """Check the login body (``LoginInput``: 400 naming the field) and log in through
    ``user_login`` with the client's address: the account and its token pair
    (``{"refresh", "access"}``). Raises InvalidCredentialsError (wrong email or password)
    and RateLimitedError (429, per email and per address)."""
    payload = LoginInput(data=request.data)
    payload.is_valid(raise_exception=True)
    return user_login(client_ip=throttling.client_ip(request), **payload.validated_data)


def token_pair_fields() -> dict[str, serializers.Field]:
    """The OpenAPI fields of a token pair in an answer (a login's; a refresh's, whose
    ``refresh`` comes with rotation)."""
    return {"refresh": serializers.CharField(), "access": serializers.CharField()}
