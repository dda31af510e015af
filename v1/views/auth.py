"""Login, refresh, the v1 API token and the profile (docs/api/API_CONTRACT_V1.md §2, §3)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.login import login_from_request, token_pair_fields
from accounts.serializers import TokenRefreshChecked
from v1.authentication import ACCESS_COOKIE, REFRESH_COOKIE
from v1.errors import V1MessageError
from v1.schema import v1_responses
from v1.selectors import token_active_get
from v1.serializers.auth import USER_PROFILE_SCHEMA, LoginInput, V1RefreshInput, V1TokenOutput, V1UserProfileOutput
from v1.services.tokens import token_generate
from v1.views.base import V1View

TAGS = ["v1 auth"]


def _set_cookies(response: Response, tokens: dict) -> Response:
    """HttpOnly, SameSite=Strict cookies with the JWT lifetimes."""
    lifetimes = {
        ACCESS_COOKIE: settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"],
        REFRESH_COOKIE: settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"],
    }
    for name, lifetime in lifetimes.items():
        if tokens.get(name):
            response.set_cookie(
                name,
                tokens[name],
                max_age=int(lifetime.total_seconds()),
                httponly=True,
                samesite="Strict",
                secure=settings.SESSION_COOKIE_SECURE,
            )
    return response


class LoginView(V1View):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=LoginInput,
        responses=v1_responses(
            {
                200: inline_serializer(
                    "V1Login",
                    {
                        "has_logged_in": serializers.BooleanField(),
                        "message": serializers.CharField(),
                        **token_pair_fields(),
                    },
                )
            }
        ),
        tags=TAGS,
    )
    def post(self, request):
        _, tokens = login_from_request(request)
        body = {"has_logged_in": True, "message": "Successfully logged in", **tokens}
        return _set_cookies(Response(body), tokens)


class RefreshView(V1View):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=V1RefreshInput,
        responses=v1_responses(
            {
                200: inline_serializer(
                    "V1Refresh", {"message": serializers.CharField(), "access": serializers.CharField()}
                )
            }
        ),
        tags=TAGS,
    )
    def post(self, request):
        payload = V1RefreshInput(data=request.data)
        payload.is_valid(raise_exception=True)
        raw = payload.validated_data.get("refresh") or request.COOKIES.get(REFRESH_COOKIE)
        if not raw:
            raise V1MessageError("No refresh token provided", status=400, code="no_refresh_token")
        # The seed face's check: refused once the password changed or the account is inactive.
        refresh = TokenRefreshChecked(data={"refresh": raw})
        refresh.is_valid(raise_exception=True)
        tokens = refresh.validated_data
        body = {"message": "Session Refreshed Successfully", **tokens}
        return _set_cookies(Response(body), tokens)


class GenerateTokenView(V1View):
    @extend_schema(
        request=None,
        responses=v1_responses(
            {
                200: inline_serializer(
                    "V1TokenGenerated", {"token": serializers.CharField(), "message": serializers.CharField()}
                )
            }
        ),
        tags=TAGS,
    )
    def post(self, request):
        _, raw = token_generate(user=request.user)
        return Response({"token": raw, "message": "New API token generated successfully"})


class GetTokenView(V1View):
    @extend_schema(responses=v1_responses({200: V1TokenOutput}), tags=TAGS)
    def get(self, request):
        return Response(V1TokenOutput(token_active_get(user=request.user)).data)


class UserProfileView(V1View):
    @extend_schema(
        responses=v1_responses({200: inline_serializer("V1UserProfile", USER_PROFILE_SCHEMA)}), tags=["v1 account"]
    )
    def get(self, request):
        return Response(V1UserProfileOutput(request.user).data)
