from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.api_keys import api_key_create, api_key_revoke
from accounts.login import login_from_request, token_pair_fields
from accounts.serializers import (
    AccountSettingsOutput,
    AccountSettingsUpdateInput,
    ApiKeyCreateInput,
    ApiKeyOutput,
    CreditsOutput,
    DncNumbersInput,
    DncOutput,
    LoginInput,
    TokenRefreshChecked,
    TokenRefreshInput,
    UserDataOutput,
    UserDetailsOutput,
)
from accounts.services import (
    account_settings_get,
    account_settings_update,
    dnc_add,
    dnc_remove,
)
from tingting import phones
from tingting.api.envelope import ok, token_refresh_body
from tingting.api.idempotency import idempotent
from tingting.api.pagination import PageQuery, page_of, pagination_body
from tingting.api.schema import envelope_of, tingting_responses
from tingting.errors import InvalidInputError

KEY_SHOWN_ONCE = "API key created; the key was shown once, in the first answer, and is not shown again."


def _without_key(body: dict) -> dict:
    """The stored Idempotency-Key answer of an API key creation: everything but the
    secret, so neither the idempotency table nor the admin ever holds it."""
    return {**body, "message": KEY_SHOWN_ONCE, "data": {**body["data"], "key": None}}


class LoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=LoginInput,
        responses=tingting_responses(
            {
                200: envelope_of(
                    "LoginEnvelope",
                    {
                        "token": inline_serializer("TokenPair", token_pair_fields()),
                        "user_data": UserDataOutput(),
                    },
                )
            }
        ),
        tags=["accounts"],
    )
    def post(self, request):
        user, tokens = login_from_request(request)
        return ok({"token": tokens, "user_data": UserDataOutput(user).data}, message="Successfully logged in")


class UserDetailsView(APIView):
    @extend_schema(
        responses=tingting_responses(
            {
                200: envelope_of(
                    "UserDetailsEnvelope",
                    {
                        "user_details": UserDetailsOutput(),
                        "credits": CreditsOutput(),
                    },
                )
            }
        ),
        tags=["accounts"],
    )
    def get(self, request):
        return ok({"user_details": UserDetailsOutput(request.user).data, "credits": CreditsOutput(request.user).data})


class TokenRefreshView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRefreshInput,
        responses=tingting_responses({200: inline_serializer("TokenRefresh", token_pair_fields())}),
        tags=["accounts"],
    )
    def post(self, request):
        TokenRefreshInput(data=request.data).is_valid(raise_exception=True)
        refresh = TokenRefreshChecked(data={"refresh": request.data["refresh"]})
        refresh.is_valid(raise_exception=True)
        return Response(token_refresh_body(refresh.validated_data))


class ApiKeysView(APIView):
    @extend_schema(
        responses=tingting_responses({200: envelope_of("ApiKeyListEnvelope", {"api_keys": ApiKeyOutput(many=True)})}),
        tags=["accounts"],
    )
    def get(self, request):
        return ok({"api_keys": ApiKeyOutput(selectors.api_key_list(user=request.user), many=True).data})

    @extend_schema(
        request=ApiKeyCreateInput,
        responses=tingting_responses(
            {201: envelope_of("ApiKeyCreateEnvelope", {"api_key": ApiKeyOutput(), "key": serializers.CharField()})}
        ),
        tags=["accounts"],
    )
    @idempotent(store=_without_key)
    def post(self, request):
        payload = ApiKeyCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        key, raw = api_key_create(user=request.user, name=payload.validated_data["name"])
        return ok(
            {"api_key": ApiKeyOutput(key).data, "key": raw},
            message="API key created; store it now, it is not shown again.",
            status=201,
        )

    @extend_schema(
        request=inline_serializer("ApiKeyRevokeInput", {"id": serializers.IntegerField()}),
        responses=tingting_responses({200: envelope_of("ApiKeyRevokeEnvelope")}),
        tags=["accounts"],
    )
    def delete(self, request):
        raw_id = request.data.get("id") if isinstance(request.data, dict) else None
        if isinstance(raw_id, bool) or not isinstance(raw_id, int | str) or not str(raw_id).isdigit():
            raise InvalidInputError("A key id (integer) is required.", code="required", field="id")
        api_key_revoke(key=selectors.api_key_get(user=request.user, key_id=int(raw_id)))
        return ok(message="API key revoked.")


class ApiKeyDetailView(APIView):
    @extend_schema(
        operation_id="accounts_api_key_revoke",
        responses=tingting_responses({200: envelope_of("ApiKeyRevokeEnvelope")}),
        tags=["accounts"],
    )
    def delete(self, request, key_id: int):
        api_key_revoke(key=selectors.api_key_get(user=request.user, key_id=key_id))
        return ok(message="API key revoked.")


class AccountSettingsView(APIView):
    @extend_schema(
        responses=tingting_responses(
            {200: envelope_of("AccountSettingsEnvelope", {"settings": AccountSettingsOutput()})}
        ),
        tags=["accounts"],
    )
    def get(self, request):
        return ok({"settings": AccountSettingsOutput(account_settings_get(user=request.user)).data})

    @extend_schema(
        request=AccountSettingsUpdateInput,
        responses=tingting_responses(
            {
                200: envelope_of(
                    "AccountSettingsUpdateEnvelope",
                    {"settings": AccountSettingsOutput(), "webhook_secret": serializers.CharField(required=False)},
                )
            }
        ),
        tags=["accounts"],
    )
    def put(self, request):
        payload = AccountSettingsUpdateInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        row, secret = account_settings_update(user=request.user, data=payload.validated_data)
        data = {"settings": AccountSettingsOutput(row).data}
        message = "Settings updated."
        if secret is not None:
            data["webhook_secret"] = secret
            message = "Settings updated; store the webhook secret now, it is not shown again."
        return ok(data, message=message)


DNC_PAGE_SIZE = 50
DNC_MAX_PAGE_SIZE = 500


def _dnc_numbers(payload: DncNumbersInput, *, lookup: bool = False) -> list[str]:
    """E.164 of the ``number`` / ``numbers`` sent; with ``lookup`` every form a value may
    stand for (a listed number is found back in any form the list shows it)."""
    data = payload.validated_data
    values, field = ([data["number"]], "number") if "number" in data else (data["numbers"], "numbers")
    try:
        return (phones.lookup_many if lookup else phones.parse_many)(values, field=field)
    except InvalidInputError as exc:
        if field != "number":
            raise
        error = exc.errors[0]
        raise InvalidInputError(f"number: {error.message}", code="invalid_phone_number", field="number") from exc


class DncView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int), OpenApiParameter("number", str)],
        responses=tingting_responses(
            {
                200: envelope_of(
                    "DncListEnvelope",
                    {
                        "numbers": DncOutput(many=True),
                        "pagination": inline_serializer(
                            "DncPagination",
                            {
                                "total_items": serializers.IntegerField(),
                                "total_pages": serializers.IntegerField(),
                                "page_number": serializers.IntegerField(),
                                "page_size": serializers.IntegerField(),
                                "has_next": serializers.BooleanField(),
                                "has_previous": serializers.BooleanField(),
                            },
                        ),
                    },
                )
            }
        ),
        tags=["guardrails"],
    )
    def get(self, request):
        query = PageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        size = min(query.validated_data.get("page_size", DNC_PAGE_SIZE), DNC_MAX_PAGE_SIZE)
        number = request.query_params.get("number") or None
        if number:
            try:
                number = phones.lookup_many([number], field="number")
            except InvalidInputError as exc:
                message = exc.errors[0].message
                raise InvalidInputError(f"number: {message}", code="invalid_phone_number", field="number") from exc
        rows = selectors.dnc_list(user=request.user, numbers=number)
        page = page_of(rows, page=query.validated_data.get("page", 1), size=size, max_size=DNC_MAX_PAGE_SIZE)
        return ok(
            {
                "numbers": DncOutput(page.object_list, many=True).data,
                "pagination": pagination_body(page, page_size=size),
            }
        )

    @extend_schema(
        request=DncNumbersInput,
        responses=tingting_responses(
            {
                201: envelope_of(
                    "DncAddEnvelope",
                    {"added": serializers.IntegerField(), "already_listed": serializers.IntegerField()},
                )
            }
        ),
        tags=["guardrails"],
    )
    @idempotent
    def post(self, request):
        payload = DncNumbersInput(data=request.data)
        payload.is_valid(raise_exception=True)
        added, listed = dnc_add(
            user=request.user, numbers=_dnc_numbers(payload), reason=payload.validated_data["reason"]
        )
        return ok({"added": added, "already_listed": listed}, message="Added to the do-not-contact list.", status=201)

    @extend_schema(
        request=DncNumbersInput,
        responses=tingting_responses({200: envelope_of("DncRemoveEnvelope", {"removed": serializers.IntegerField()})}),
        tags=["guardrails"],
    )
    def delete(self, request):
        payload = DncNumbersInput(data=request.data)
        payload.is_valid(raise_exception=True)
        removed = dnc_remove(user=request.user, numbers=_dnc_numbers(payload, lookup=True))
        return ok({"removed": removed}, message="Removed from the do-not-contact list.")
