from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenRefreshSerializer

from accounts import selectors
from accounts.api_keys import api_key_create, api_key_revoke
from accounts.serializers import (
    ApiKeyCreateInput,
    ApiKeyOutput,
    CreditsOutput,
    LoginInput,
    TokenRefreshInput,
    UserDataOutput,
    UserDetailsOutput,
)
from accounts.services import user_login
from tingting.api.envelope import ok, token_refresh_body
from tingting.api.errors import InvalidInputError
from tingting.api.idempotency import idempotent
from tingting.api.schema import envelope_of, tingting_responses


class LoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=LoginInput,
        responses=tingting_responses({200: envelope_of("LoginEnvelope", {
            "token": inline_serializer("TokenPair", {"refresh": serializers.CharField(), "access": serializers.CharField()}),
            "user_data": UserDataOutput(),
        })}),
        tags=["accounts"],
    )
    def post(self, request):
        payload = LoginInput(data=request.data)
        payload.is_valid(raise_exception=True)
        user, tokens = user_login(request=request, **payload.validated_data)
        return ok({"token": tokens, "user_data": UserDataOutput(user).data}, message="Successfully logged in")


class UserDetailsView(APIView):
    @extend_schema(
        responses=tingting_responses({200: envelope_of("UserDetailsEnvelope", {
            "user_details": UserDetailsOutput(), "credits": CreditsOutput(),
        })}),
        tags=["accounts"],
    )
    def get(self, request):
        return ok({"user_details": UserDetailsOutput(request.user).data, "credits": CreditsOutput(request.user).data})


class TokenRefreshView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRefreshInput,
        responses=tingting_responses({200: inline_serializer("TokenRefresh", {
            "access": serializers.CharField(), "refresh": serializers.CharField(),
        })}),
        tags=["accounts"],
    )
    def post(self, request):
        TokenRefreshInput(data=request.data).is_valid(raise_exception=True)
        refresh = TokenRefreshSerializer(data={"refresh": request.data["refresh"]})
        refresh.is_valid(raise_exception=True)
        return Response(token_refresh_body(refresh.validated_data))


class ApiKeysView(APIView):
    @extend_schema(responses=tingting_responses({200: envelope_of("ApiKeyListEnvelope", {"api_keys": ApiKeyOutput(many=True)})}), tags=["accounts"])
    def get(self, request):
        return ok({"api_keys": ApiKeyOutput(selectors.api_key_list(user=request.user), many=True).data})

    @extend_schema(
        request=ApiKeyCreateInput,
        responses=tingting_responses({201: envelope_of("ApiKeyCreateEnvelope", {"api_key": ApiKeyOutput(), "key": serializers.CharField()})}),
        tags=["accounts"],
    )
    @idempotent
    def post(self, request):
        payload = ApiKeyCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        key, raw = api_key_create(user=request.user, name=payload.validated_data["name"])
        return ok({"api_key": ApiKeyOutput(key).data, "key": raw},
                  message="API key created; store it now, it is not shown again.", status=201)

    @extend_schema(request=inline_serializer("ApiKeyRevokeInput", {"id": serializers.IntegerField()}),
                   responses=tingting_responses({200: envelope_of("ApiKeyRevokeEnvelope")}), tags=["accounts"])
    def delete(self, request):
        raw_id = request.data.get("id") if isinstance(request.data, dict) else None
        if isinstance(raw_id, bool) or not isinstance(raw_id, int | str) or not str(raw_id).isdigit():
            raise InvalidInputError("A key id (integer) is required.", code="required", field="id")
        api_key_revoke(key=selectors.api_key_get(user=request.user, key_id=int(raw_id)))
        return ok(message="API key revoked.")


class ApiKeyDetailView(APIView):
    @extend_schema(operation_id="accounts_api_key_revoke", responses=tingting_responses({200: envelope_of("ApiKeyRevokeEnvelope")}), tags=["accounts"])
    def delete(self, request, key_id: int):
        api_key_revoke(key=selectors.api_key_get(user=request.user, key_id=key_id))
        return ok(message="API key revoked.")
