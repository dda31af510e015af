"""The v1 API token (docs/api/API_CONTRACT_V1.md §2): generate (revokes the previous one), authenticate."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.api_keys import hash_secret
from accounts.models import User
from tingting.errors import ConflictError
from v1.models import ApiToken

TOKEN_PREFIX = "ttv1_"  # noqa: S105 - the format prefix, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_generate(*, user: User) -> tuple[ApiToken, str]:
    """A new token for ``user``; the previous active one stops working in the same
    transaction. Returns the row and the raw token (shown once, never stored).
    Two concurrent calls serialise on the user row; the partial unique index is the
    backstop (409). Not idempotent: each call makes a new token."""
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
            token = ApiToken.objects.create(
                user=user, prefix=prefix, key_hash=hash_secret(raw), length=len(raw), last4=raw[-4:]
            )
    except IntegrityError as exc:
        raise ConflictError("A token is being generated already; try again.", code="token_conflict") from exc
    return token, raw


def is_v1_token(raw: str) -> bool:
    return raw.startswith(TOKEN_PREFIX)


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token matching ``raw`` with its user, or None. One query;
    ``last_used_at`` is written at most once a minute."""
    body = raw[len(TOKEN_PREFIX) :]
    if not is_v1_token(raw) or "_" not in body:
        return None
    prefix = body.split("_", 1)[0]
    token = next(
        iter(ApiToken.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).order_by()[:1]),
        None,
    )
    if token is None or not hmac.compare_digest(token.key_hash, hash_secret(raw)) or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
