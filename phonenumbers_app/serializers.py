"""Request and response shapes of the phone number endpoints (docs/api/API_CONTRACT.md §2)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError

from phonenumbers_app.models import PhoneNumber
from tingting.errors import InvalidInputError
from tingting.phones import national_display

SID_MAX_LENGTH = 64


class PhoneNumberOutput(serializers.Serializer):
    """The one object owned and available numbers share, keys in the contract's order."""

    phone_number = serializers.SerializerMethodField()
    rate = serializers.FloatField()
    available_capabilities = serializers.SerializerMethodField()
    phone_number_sid = serializers.CharField(source="sid")
    friendly_name = serializers.CharField()
    accept_incoming = serializers.CharField(allow_null=True)
    configure_with = serializers.CharField()
    call_comes_in = serializers.CharField(allow_null=True)
    call_url = serializers.CharField(allow_null=True)
    http_request = serializers.CharField(allow_null=True)

    @extend_schema_field(serializers.CharField(help_text='national digits, e.g. "9876565435"'))
    def get_phone_number(self, number: PhoneNumber) -> str:
        return national_display(number.phone_number)

    @extend_schema_field(serializers.CharField(help_text='"Voice", "SMS", "Voice, SMS", "Voice, SMS, MMS, Fax"'))
    def get_available_capabilities(self, number: PhoneNumber) -> str:
        return ", ".join(number.capabilities)


class PhoneSidInput(serializers.Serializer):
    """``{"phone_sid": "<32 hex>"}`` on buy (POST) and release (DELETE)."""

    phone_sid = serializers.CharField(max_length=SID_MAX_LENGTH, trim_whitespace=True)

    @classmethod
    def sid_from(cls, request) -> str:
        """The validated, lower-cased SID; a body that is not a JSON object is a
        400 on ``phone_sid`` like a missing one."""
        try:
            data = request.data
        except ParseError as exc:
            raise InvalidInputError(
                f"Send a JSON object with phone_sid ({exc.detail}).", code="parse_error", field="phone_sid"
            ) from exc
        if not isinstance(data, dict):
            raise InvalidInputError("Send a JSON object with phone_sid.", code="invalid", field="phone_sid")
        value = data.get("phone_sid")
        if value is not None and not isinstance(value, str):
            raise InvalidInputError("phone_sid must be a string.", code="invalid", field="phone_sid")
        payload = cls(data={"phone_sid": value} if value is not None else {})
        payload.is_valid(raise_exception=True)
        return payload.validated_data["phone_sid"].lower()
