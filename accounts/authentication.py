"""``X-API-Key`` authentication for the Tling face (docs/api/API_CONTRACT.md §3).

It lives with the keys it checks, so the kernel (``tingting/``) imports no app;
the views of a face name it in ``authentication_classes``. Importing this module
registers the OpenAPI scheme (drf-spectacular finds extensions by subclassing).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.api_keys import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    header = "X-API-Key"

    def authenticate(self, request):
        raw = request.headers.get(self.header)  # header names are case-insensitive
        if raw is None:
            return None
        key = api_key_authenticate(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.", code="invalid_api_key")
        return key.user, key

    def authenticate_header(self, request) -> str:
        return self.header


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}
