"""Request and response shapes of the OTP endpoints (docs/api/API_CONTRACT.md §2 "OTP")."""

from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from otp.codes import PLACEHOLDER
from otp.models import Otp
from tingting import phones
from tingting.api.fields import ChoiceField
from tingting.phones import InvalidPhoneNumber, national_display, to_e164

DIGITS = re.compile(r"[0-9]{4,10}")
MESSAGE_MAX_LENGTH = 480


@extend_schema_field(OpenApiTypes.STR)
class PhoneNumberField(serializers.Field):
    """A number as string or integer, parsed like campaign numbers, to E.164."""

    default_error_messages = {"invalid_phone_number": "{value!r} {reason}."}

    def to_internal_value(self, data) -> str:
        try:
            return to_e164(data)
        except InvalidPhoneNumber as exc:
            self.fail("invalid_phone_number", value=data, reason=exc)

    def to_representation(self, value: str) -> str:
        return national_display(value)


def _digits_only(value: str) -> str:
    if not DIGITS.fullmatch(value):
        raise serializers.ValidationError("otp must be 4 to 10 digits (0-9).", code="invalid_otp")
    return value


class OtpSendInput(serializers.Serializer):
    number = PhoneNumberField()
    message = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)
    sms_send_options = ChoiceField(choices=Otp.Channel.choices)
    otp_options = ChoiceField(choices=Otp.Option.choices, default=Otp.Option.GENERATED)
    otp_length = serializers.IntegerField(min_value=4, max_value=10, default=6)
    otp = serializers.CharField(required=False, allow_null=True, max_length=10, validators=[_digits_only])

    def validate_message(self, value: str) -> str:
        count = value.count(PLACEHOLDER)
        if count != 1:
            raise serializers.ValidationError(
                f"message must contain {PLACEHOLDER} exactly once (found {count}).", code="otp_placeholder"
            )
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs["otp_options"] == Otp.Option.PERSONNEL and not attrs.get("otp"):
            raise serializers.ValidationError(
                {"otp": serializers.ErrorDetail("otp is required when otp_options is personnel.", code="required")}
            )
        if attrs["otp_options"] == Otp.Option.GENERATED:
            # A generated code ignores any otp the client sent, as the original service did.
            attrs.pop("otp", None)
        return attrs


class OtpDetailsOutput(serializers.Serializer):
    number = PhoneNumberField(source="otp.number")
    otp_options = serializers.CharField(source="otp.otp_options")
    message = serializers.CharField()
    otp = serializers.CharField(source="code")
    sms_send_options = serializers.CharField(source="otp.channel")


class NumberLookupField(PhoneNumberField):
    """A number that identifies an OTP already sent: every E.164 it may stand for
    (``tingting.phones.lookup_forms``), so it is found back in the form the API shows it."""

    def to_internal_value(self, data) -> list[str]:
        forms = phones.lookup_forms(data)
        return forms or [super().to_internal_value(data)]


class OtpVerifyInput(serializers.Serializer):
    number = NumberLookupField()
    otp = serializers.CharField(max_length=10, validators=[_digits_only])
