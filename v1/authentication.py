"""v1 authentication (docs/api/API_CONTRACT_V1.md §2): ``Authorization: Bearer`` with the v1 API
token or a JWT access token (seed or v1 login), or the ``access`` cookie."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication

from v1.services.tokens import is_v1_token, token_authenticate

ACCESS_COOKIE, REFRESH_COOKIE = "access", "refresh"


class V1TokenAuthentication(authentication.BaseAuthentication):
    """Claims Bearer values that look like a v1 token (``ttv1_…``); the JWT class takes the rest."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        raw = parts[1].decode("latin-1")
        if not is_v1_token(raw):
            return None
        token = token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.", code="invalid_token")
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class AccessCookieAuthentication(JWTAuthentication):
    """The HttpOnly ``access`` cookie set by v1 login, when no Authorization header is sent.
    The cookie is SameSite=Strict, so another site's page cannot make a browser send it."""

    def authenticate(self, request):
        if authentication.get_authorization_header(request):
            return None
        raw = request.COOKIES.get(ACCESS_COOKIE)
        if not raw:
            return None
        validated = self.get_validated_token(raw.encode())
        return self.get_user(validated), validated


AUTHENTICATION_CLASSES = [V1TokenAuthentication, JWTAuthentication, AccessCookieAuthentication]


class V1TokenScheme(OpenApiAuthenticationExtension):
    target_class = "v1.authentication.V1TokenAuthentication"
    name = "V1Token"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "v1 API token (ttv1_…) or a JWT access token"}


class AccessCookieScheme(OpenApiAuthenticationExtension):
    target_class = "v1.authentication.AccessCookieAuthentication"
    name = "AccessCookie"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": ACCESS_COOKIE}
