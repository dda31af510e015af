"""API clients for tests: a JWT (TingTing face) or an API key (Tling face) for a user."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.api_keys import api_key_create


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def key_client_for(user) -> APIClient:
    """A Tling client: a fresh API key of ``user`` in ``X-API-Key``."""
    _, raw = api_key_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return client
