"""Accounts, their credit balance, the append-only ledger and Tling API keys."""

from __future__ import annotations

import datetime
import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower


def email_key(email: str) -> str:
    """The one normalisation of a login email (NFKC + casefold): the throttle key
    and the account lookup both use it: a spelling reaches an account only when
    its key is the account's, so it counts against that account's bucket."""
    folded = unicodedata.normalize("NFKC", email.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username):
        # PostgreSQL's UPPER() folds more than Python does ("alıce" = "alice"):
        # it only narrows the candidates; the account is the one whose
        # email_key equals the given one, else there is none.
        key = email_key(username)
        for user in self.filter(email__iexact=username.strip()):
            if email_key(user.email) == key:
                return user
        raise self.model.DoesNotExist


class User(AbstractUser):
    """An account: logs in by email (case-insensitive), owns every object it creates.

    ``credits`` is what the account can spend now, ``credits_held`` what running
    work has reserved. Both change only through ``accounts.ledger``.
    """

    username = models.CharField(max_length=150, blank=True, default="")
    email = models.EmailField("email address", max_length=254)
    is_verified_email = models.BooleanField(default=False)
    contact_number = models.CharField(max_length=32, blank=True, default="")
    is_verified_phone = models.BooleanField(default=False)
    address = models.CharField(max_length=255, blank=True, default="")
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE)

    credits = models.BigIntegerField(default=0)
    credits_held = models.BigIntegerField(default=0)
    # Per-account prices; null means the settings default (docs/api/API_CONTRACT.md §5).
    sms_credits_per_segment = models.PositiveIntegerField(null=True, blank=True)
    voice_credits_per_pulse = models.PositiveIntegerField(null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(credits__gte=0), name="accounts_user_credits_gte_0"),
            models.CheckConstraint(condition=models.Q(credits_held__gte=0), name="accounts_user_held_gte_0"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def sms_rate(self) -> int:
        return self.sms_credits_per_segment or settings.SMS_CREDITS_PER_SEGMENT

    @property
    def voice_rate(self) -> int:
        return self.voice_credits_per_pulse or settings.VOICE_CREDITS_PER_PULSE


class LedgerEntry(models.Model):
    """One movement of credits. Rows are only ever inserted (docs/api/API_CONTRACT.md §5).

    Invariant per account:
    credits + held + Σcharge + Σpurchase = Σtopup + Σrefund.
    """

    class Kind(models.TextChoices):
        TOPUP = "topup"
        HOLD = "hold"
        CHARGE = "charge"
        RELEASE = "release"
        REFUND = "refund"
        PURCHASE = "purchase"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.BigIntegerField()
    # A retried task or request reuses its key, and the unique index turns the
    # repeat into a no-op instead of a second movement.
    idempotency_key = models.CharField(max_length=200, unique=True)
    reference = models.CharField(max_length=200, blank=True, default="", db_index=True)
    note = models.CharField(max_length=255, blank=True, default="")
    credits_after = models.BigIntegerField()
    held_after = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="accounts_ledger_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.user_id})"


class ApiKey(models.Model):
    """A Tling API key. Only a SHA-256 of the key is stored; ``prefix`` finds the row."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name or 'key'} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_WEEKDAYS_MASK = 0b1111111


class AccountSettings(models.Model):
    """Delivery guardrails of one account (docs/api/API_CONTRACT.md §7 ``/api/accounts/settings/``).

    Created lazily with the defaults on first read or write. The account's time
    zone is ``User.time_zone`` (one source of truth), not a column here.
    ``calling_days`` is a bit mask, bit 0 = Monday. ``calling_start == calling_end``
    means the whole day; ``start > end`` is a window crossing midnight, which
    belongs to the weekday it starts on. Null rates mean the operator's ceiling.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="guardrails")
    calling_start = models.TimeField(default=datetime.time(0, 0))
    calling_end = models.TimeField(default=datetime.time(0, 0))
    calling_days = models.PositiveSmallIntegerField(default=ALL_WEEKDAYS_MASK)
    retry_unanswered_count = models.PositiveSmallIntegerField(default=0)
    retry_unanswered_delay = models.PositiveIntegerField(default=600)
    retry_failed_count = models.PositiveSmallIntegerField(default=0)
    retry_failed_delay = models.PositiveIntegerField(default=600)
    max_calls_per_second = models.PositiveIntegerField(null=True, blank=True)
    max_concurrent_calls = models.PositiveIntegerField(null=True, blank=True)
    webhook_url = models.CharField(max_length=500, blank=True, default="")
    # Needed in clear to sign; never returned by the API after it is set.
    webhook_secret = models.CharField(max_length=128, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "account settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(calling_days__gt=0, calling_days__lte=ALL_WEEKDAYS_MASK),
                name="accounts_settings_days_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(retry_unanswered_count__lte=5, retry_failed_count__lte=5),
                name="accounts_settings_retry_count_lte_5",
            ),
            models.CheckConstraint(
                condition=models.Q(retry_unanswered_delay__gte=60, retry_failed_delay__gte=60),
                name="accounts_settings_retry_delay_gte_60",
            ),
        ]

    def __str__(self) -> str:
        return f"settings of {self.user_id}"

    @property
    def weekdays(self) -> list[str]:
        return [name for bit, name in enumerate(WEEKDAYS) if self.calling_days & (1 << bit)]

    def is_calling_day(self, weekday: int) -> bool:
        return bool(self.calling_days & (1 << weekday))

    @property
    def calls_per_second(self) -> int:
        return self.max_calls_per_second or settings.ACCOUNT_MAX_CALLS_PER_SECOND

    @property
    def concurrent_calls(self) -> int:
        return self.max_concurrent_calls or settings.ACCOUNT_MAX_CONCURRENT_CALLS


class DoNotContact(models.Model):
    """A number the account must never call or text (docs/api/API_CONTRACT.md §7 ``/api/system/dnc/``)."""

    class Source(models.TextChoices):
        API = "api"
        STOP = "stop"  # an inbound STOP keyword reported by a provider
        ADMIN = "admin"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="dnc_numbers")
    number = models.CharField(max_length=32)  # E.164
    reason = models.CharField(max_length=200, blank=True, default="")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "do-not-contact number"
        constraints = [models.UniqueConstraint(fields=["user", "number"], name="accounts_dnc_user_number")]

    def __str__(self) -> str:
        return f"{self.number} ({self.user_id})"
