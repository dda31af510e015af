"""Account writes: creation, login."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import ledger
from accounts.models import User
from tingting.api import throttling
from tingting.api.errors import ConflictError, DomainError


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
                email=email, password=password, first_name=first_name, last_name=last_name,
                is_staff=is_staff, is_superuser=is_staff,
            )
            if credits > 0:
                ledger.top_up(user_id=user.pk, amount=credits, note="opening balance")
    except IntegrityError as exc:
        raise ConflictError(f"An account with email {email} already exists.", code="email_taken", field="email") from exc
    user.refresh_from_db()
    return user


def user_login(*, request, email: str, password: str) -> tuple[User, dict[str, str]]:
    """Check credentials and issue a token pair.

    Throttled per email and per client IP (429 with Retry-After). Unknown email and
    wrong password answer the same error, and both run the password hasher."""
    throttling.enforce("login_ip", throttling.client_ip(request))
    throttling.enforce("login_email", email.strip().lower())
    user = authenticate(request, email=email.strip(), password=password)
    if user is None:
        raise InvalidCredentialsError()
    refresh = RefreshToken.for_user(user)
    return user, {"refresh": str(refresh), "access": str(refresh.access_token)}
