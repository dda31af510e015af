from django.contrib import admin

from otp.models import Otp
from tingting.admin_base import ViewOnlyAdmin


@admin.register(Otp)
class OtpAdmin(ViewOnlyAdmin):
    """OTP sends for the operator. The code is never shown: only its HMAC is
    stored, and even that stays out of the admin."""

    list_display = ["created_at", "user", "number", "channel", "status", "billing", "price", "attempts", "verified_at"]
    list_filter = ["channel", "status", "billing"]
    search_fields = ["number", "user__email", "provider_id"]
    list_select_related = ["user"]
    fields = [
        "user",
        "number",
        "channel",
        "otp_options",
        "message_template",
        "code_length",
        "status",
        "provider_id",
        "error",
        "duration",
        "price",
        "billing",
        "attempts",
        "created_at",
        "expires_at",
        "sent_at",
        "verified_at",
    ]
    readonly_fields = fields
