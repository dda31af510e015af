"""Tling API keys: created once, stored as prefix + SHA-256, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiKey, User

KEY_PREFIX = "tt_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(raw_key: str) -> str:
    """SHA-256 hex of a key or token: what is stored instead of it (also the v1 tokens)."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, user: User, name: str = "") -> tuple[ApiKey, str]:
    """Create a key; returns the row and the raw key, which is never stored nor shown again."""
    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(user=user, name=name[:100], prefix=prefix, key_hash=hash_secret(raw))
    return key, raw


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key`` with its user, or None. One query;
    ``last_used_at`` is written at most once a minute."""
    if not raw_key.startswith(KEY_PREFIX) or raw_key.count("_") < 2:
        return None
    prefix = raw_key[len(KEY_PREFIX) :].split("_", 1)[0]
    # prefix is unique: no ORDER BY (first() would add the model's ordering).
    key = next(
        iter(ApiKey.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).order_by()[:1]), None
    )
    if key is None or not hmac.compare_digest(key.key_hash, hash_secret(raw_key)) or not key.user.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key; repeating it is harmless."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
