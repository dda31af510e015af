"""Account writes: creation, login, settings (guardrails), the do-not-contact list."""

from __future__ import annotations

import secrets

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import ledger
from accounts.models import WEEKDAYS, AccountSettings, DoNotContact, User, email_key
from tingting import netguard
from tingting.api import throttling
from tingting.errors import ConflictError, DomainError, InvalidInputError, NotFoundError


class InvalidCredentialsError(DomainError):
    status_code = 401
    default_code = "invalid_credentials"
    default_message = "Invalid email or password"


def user_create(
    *, email: str, password: str, first_name: str = "", last_name: str = "", credits: int = 0, is_staff: bool = False
) -> User:
    """Create an account, with an opening top-up when ``credits`` > 0. Raises ConflictError
    when the email (case-insensitive) is taken."""
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise ConflictError(f"An account with email {email} already exists.", code="email_taken", field="email")
            user = User.objects.create_user(
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                is_staff=is_staff,
                is_superuser=is_staff,
            )
            if credits > 0:
                ledger.top_up(user_id=user.pk, amount=credits, note="opening balance")
    except IntegrityError as exc:
        raise ConflictError(
            f"An account with email {email} already exists.", code="email_taken", field="email"
        ) from exc
    user.refresh_from_db()
    return user


def login_throttle(*, client_ip: str, email: str) -> None:
    """Count one password attempt against the client IP's and the email's bucket
    (shared by every password form: API login and admin login). Raises
    RateLimitedError (429 with Retry-After) past either rate."""
    throttling.enforce("login_ip", client_ip)
    throttling.enforce("login_email", email_key(email))


def user_login(*, client_ip: str, email: str, password: str) -> tuple[User, dict[str, str]]:
    """Check credentials and issue a token pair.

    Throttled per email and per ``client_ip`` (429 with Retry-After; a view takes the
    address with ``throttling.client_ip``). Unknown email and wrong password answer
    the same error, and both run the password hasher. Takes no request, so a command
    or a test calls it as the views do."""
    login_throttle(client_ip=client_ip, email=email)
    user = authenticate(None, email=email.strip(), password=password)
    if user is None:
        raise InvalidCredentialsError()
    refresh = RefreshToken.for_user(user)
    return user, {"refresh": str(refresh), "access": str(refresh.access_token)}


# --- Settings ------------------------------------------------------------------


def account_settings_get(*, user: User) -> AccountSettings:
    """The account's settings, created with the defaults on first use. A repeat is safe."""
    row, _ = AccountSettings.objects.get_or_create(user=user)
    row.user = user
    return row


def account_settings_update(*, user: User, data: dict) -> tuple[AccountSettings, str | None]:
    """Apply the validated subset ``data`` of ``AccountSettingsUpdateInput``.

    Returns the row and the webhook secret when this call set or generated one (it
    is shown once and never again), else None. A webhook URL set while no secret
    exists gets a generated one. The URL must pass the SSRF guard (http/https, a
    public address) or InvalidInputError names ``webhook_url``. Safe to repeat."""
    url = data.get("webhook_url")
    if url:
        try:
            netguard.resolve_url(url)
        except netguard.UrlRefusedError as exc:
            raise InvalidInputError(f"webhook_url: {exc}", code=exc.code, field="webhook_url") from exc
    with transaction.atomic():
        account_settings_get(user=user)
        row = AccountSettings.objects.select_for_update().get(user=user)
        row.user = user
        changed: list[str] = []

        def put(field: str, value: object) -> None:
            setattr(row, field, value)
            changed.append(field)

        if "time_zone" in data and data["time_zone"] != user.time_zone:
            user.time_zone = data["time_zone"]
            user.save(update_fields=["time_zone"])
        hours = data.get("calling_hours") or {}
        if "start" in hours:
            put("calling_start", hours["start"].replace(second=0, microsecond=0))
        if "end" in hours:
            put("calling_end", hours["end"].replace(second=0, microsecond=0))
        if "weekdays" in hours:
            put("calling_days", sum(1 << WEEKDAYS.index(day) for day in hours["weekdays"]))
        for outcome, rule in (data.get("retry_policy") or {}).items():
            if "count" in rule:
                put(f"retry_{outcome}_count", rule["count"])
            if "delay_seconds" in rule:
                put(f"retry_{outcome}_delay", rule["delay_seconds"])
        for field in ("max_calls_per_second", "max_concurrent_calls"):
            if field in data:
                put(field, data[field])
        if "webhook_url" in data:
            put("webhook_url", data["webhook_url"])
        shown_secret = None
        if data.get("webhook_secret"):
            shown_secret = data["webhook_secret"]
        elif data.get("regenerate_webhook_secret") or (row.webhook_url and not row.webhook_secret):
            shown_secret = "whsec_" + secrets.token_urlsafe(32)
        if shown_secret is not None:
            put("webhook_secret", shown_secret)
        if changed:
            row.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
    return row, shown_secret


# --- Do-not-contact list ---------------------------------------------------------------


def dnc_add(
    *, user: User, numbers: list[str], reason: str = "", source: str = DoNotContact.Source.API
) -> tuple[int, int]:
    """Add E.164 ``numbers`` to the account's list; those already on it keep their
    first reason. Returns (added, already listed). Safe to repeat."""
    unique = list(dict.fromkeys(numbers))
    with transaction.atomic():
        listed = set(DoNotContact.objects.filter(user=user, number__in=unique).values_list("number", flat=True))
        fresh = [n for n in unique if n not in listed]
        # ignore_conflicts: a concurrent add of the same number is not an error.
        DoNotContact.objects.bulk_create(
            [DoNotContact(user=user, number=n, reason=reason[:200], source=source) for n in fresh],
            ignore_conflicts=True,
            batch_size=1000,
        )
    return len(fresh), len(listed)


def dnc_remove(*, user: User, numbers: list[str]) -> int:
    """Remove E.164 ``numbers`` from the account's list; returns how many were on it.
    Raises NotFoundError when none was (another account's numbers are not seen)."""
    removed, _ = DoNotContact.objects.filter(user=user, number__in=set(numbers)).delete()
    if not removed:
        raise NotFoundError("None of these numbers is on the do-not-contact list.")
    return removed


def dnc_add_from_inbound_stop(*, user: User, number: str) -> DoNotContact:
    """Record an inbound STOP keyword (reported by a provider) for ``number`` (E.164).
    A repeat or a number already listed changes nothing."""
    row, _ = DoNotContact.objects.get_or_create(
        user=user, number=number, defaults={"reason": "STOP keyword", "source": DoNotContact.Source.STOP}
    )
    return row
