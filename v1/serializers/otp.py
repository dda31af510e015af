"""v1 OTP (docs/api/API_CONTRACT_V1.md §6): the seed send plus ``company_name`` and ``voice_input``."""

from __future__ import annotations

from rest_framework import serializers

from otp.serializers import OtpSendInput
from tingting.phones import national_display
from v1.serializers.fields import VoiceField

COMPANY_PLACEHOLDER = "{company_name}"
MASK = "••••"


class V1OtpSendInput(OtpSendInput):
    company_name = serializers.CharField(max_length=60)
    voice_input = VoiceField(help_text="voice of a voice OTP: id or internal name (default: the OTP voice)")

    def send_kwargs(self) -> dict:
        """The seed send's arguments: ``{company_name}`` filled in, the voice by internal name."""
        data = dict(self.validated_data)
        company = data.pop("company_name")
        data["message"] = data["message"].replace(COMPANY_PLACEHOLDER, company)
        data["voice"] = data.pop("voice_input", None) or ""
        return data


def otp_row_output(otp) -> dict:
    return {
        "id": otp.pk,
        "phone_number": national_display(otp.number),
        "message": otp.message_template,
        "otp": MASK,
        "otp_options": otp.otp_options,
        "sms_send_options": otp.channel,
        "created_at": otp.created_at.isoformat(),
    }
