from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Q
from django.utils import timezone

from otp.models import Otp
from tingting.admin_base import ViewOnlyAdmin, register_panel


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


def otp_panel(request) -> dict:
    """The operator's front page: today's OTP sends and those stuck queued or sending
    past ``OTP_STUCK_SECONDS`` (what ``otp_sweep`` settles)."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    before = timezone.now() - timedelta(seconds=settings.OTP_STUCK_SECONDS)
    waiting = (Otp.Status.QUEUED, Otp.Status.SENDING)
    figures = Otp.objects.filter(Q(created_at__gte=today) | Q(status__in=waiting)).aggregate(
        sent=Count("id", filter=Q(created_at__gte=today)),
        verified=Count("id", filter=Q(created_at__gte=today, verified_at__isnull=False)),
        stuck=Count("id", filter=Q(status__in=waiting, created_at__lt=before)),
    )
    return {
        "title": "OTP",
        "rows": [
            ("OTPs today", figures["sent"], "tt-figure"),
            ("OTPs verified", figures["verified"], ""),
            (
                f"OTPs queued or sending > {settings.OTP_STUCK_SECONDS} s",
                figures["stuck"],
                "tt-bad" if figures["stuck"] else "tt-good",
            ),
        ],
    }


register_panel("otp", otp_panel, order=64)
