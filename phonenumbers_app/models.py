"""The operator's phone number inventory; a number is owned by one account or none."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

CAPABILITY_ORDER = ("Voice", "SMS", "MMS", "Fax")


def new_sid() -> str:
    return secrets.token_hex(16)


def validate_whole_credits(value: Decimal) -> None:
    """Credits are whole numbers in the ledger, so a number's rate is too."""
    if value is not None and value != value.to_integral_value():
        raise ValidationError("Rate must be a whole number of credits.", code="whole_number")


class PhoneNumber(models.Model):
    phone_number = models.CharField(max_length=20, unique=True, help_text="E.164, e.g. +9779801234567")
    # 32-hex id clients buy and release by; stable across buy / release / buy again.
    sid = models.CharField(max_length=32, unique=True, default=new_sid)
    rate = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[validate_whole_credits],
        help_text="credits charged once when bought (a whole number)",
    )
    has_voice = models.BooleanField(default=True)
    has_sms = models.BooleanField(default=True)
    has_mms = models.BooleanField(default=False)
    has_fax = models.BooleanField(default=False)
    friendly_name = models.CharField(max_length=100, blank=True, default="")
    accept_incoming = models.CharField(max_length=50, null=True, blank=True)  # noqa: DJ001 - the contract shows null
    configure_with = models.CharField(max_length=100, blank=True, default="")
    call_comes_in = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 - the contract shows null
    call_url = models.URLField(null=True, blank=True)  # noqa: DJ001 - the contract shows null
    http_request = models.CharField(max_length=10, null=True, blank=True)  # noqa: DJ001 - the contract shows null
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="phone_numbers"
    )
    # The number provider's own id for it (e.g. Twilio's PN… sid), when it has one.
    vendor_id = models.CharField(max_length=64, blank=True, default="")
    bought_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every purchase: the ledger idempotency key of the n-th purchase of this number.
    purchases = models.PositiveIntegerField(default=0, editable=False)
    # Set when the provider took the purchase request but neither answered nor could be
    # asked afterwards: charged and assigned until the reconcile sweep settles it.
    purchase_unconfirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["phone_number"]
        indexes = [models.Index(fields=["owner", "phone_number"])]
        constraints = [models.CheckConstraint(condition=models.Q(rate__gte=0), name="phonenumber_rate_gte_0")]

    def __str__(self) -> str:
        return self.phone_number

    @property
    def capabilities(self) -> tuple[str, ...]:
        flags = (self.has_voice, self.has_sms, self.has_mms, self.has_fax)
        return tuple(name for name, on in zip(CAPABILITY_ORDER, flags, strict=True) if on)
