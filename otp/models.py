"""One-time passwords sent by SMS or voice call, and their verification.

The code itself is never stored: only an HMAC-SHA256 of it under a key derived
from the server secret, with a per-row salt (docs/api/API_CONTRACT.md §2 "OTP").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Otp(models.Model):
    class Channel(models.TextChoices):
        TEXT = "text"
        VOICE = "voice"

    class Option(models.TextChoices):
        GENERATED = "generated"
        PERSONNEL = "personnel"

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        # Accepted by the provider (SMS submitted / call placed).
        SENT = "sent"
        RINGING = "ringing"
        # SMS outcomes.
        DELIVERED = "delivered"
        UNDELIVERED = "undelivered"
        EXPIRED = "expired"
        # Voice outcomes.
        COMPLETED = "completed"
        HUNGUP = "hungup"
        UNANSWERED = "unanswered"
        # Either: refused at submission, or the call / message failed.
        FAILED = "failed"

    class Billing(models.TextChoices):
        HELD = "held"
        CHARGED = "charged"
        RELEASED = "released"
        REFUNDED = "refunded"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="otps")
    number = models.CharField(max_length=32, help_text="E.164")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    otp_options = models.CharField(max_length=16, choices=Option.choices)
    # The client's message with its "{otp}" placeholder, never the rendered text.
    message_template = models.TextField()
    code_length = models.PositiveSmallIntegerField()
    code_salt = models.CharField(max_length=32)
    code_hmac = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    provider_id = models.CharField(max_length=64, blank=True, default="")
    error = models.CharField(max_length=255, blank=True, default="")
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="voice: seconds connected")
    price = models.PositiveIntegerField(help_text="credits held at request time")
    billing = models.CharField(max_length=16, choices=Billing.choices, default=Billing.HELD)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="wrong verification tries")
    # The catalogue voice of a voice OTP ("": the OTP_VOICE setting); the v1 face's voice_input.
    voice = models.CharField(max_length=32, blank=True, default="")
    # The voice render speaks the code: deleted once the call is over.
    audio_render_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "OTP send"
        indexes = [
            models.Index(fields=["user", "number", "-id"], name="otp_user_number_idx"),
            models.Index(fields=["user", "created_at"], name="otp_user_created_idx"),
            models.Index(fields=["status", "created_at"], name="otp_status_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code_length__gte=4, code_length__lte=10), name="otp_code_length_4_10"
            ),
        ]

    def __str__(self) -> str:
        return f"OTP {self.pk} {self.channel} to {self.number}: {self.status}"
