"""Codes: generation, the stored HMAC, the rendered texts, and sealing for transit.

The code reaches the worker that sends it inside the task arguments, sealed
(Fernet, key derived from the server secret) so the broker never holds it in
clear either; the same seal protects the stored ``Idempotency-Key`` answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PLACEHOLDER = "{otp}"
HMAC_PURPOSE = "tingting.otp.code"
SEAL_PURPOSE = b"tingting.otp.seal"


def generate_code(length: int) -> str:
    """``length`` random decimal digits from the OS CSPRNG (leading zeros allowed)."""
    return "".join(secrets.choice("0123456789") for _ in range(length))


def new_salt() -> str:
    return secrets.token_hex(16)


def _secrets() -> list[str]:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def code_hmac(*, code: str, salt: str, user_id: int, number: str, secret: str | None = None) -> str:
    """HMAC-SHA256 of the code, bound to its account, number and row salt."""
    key = hashlib.sha256(f"{HMAC_PURPOSE}\x1f{secret or settings.SECRET_KEY}".encode()).digest()
    message = "\x1f".join([str(user_id), number, salt, code]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def code_matches(*, code: str, salt: str, user_id: int, number: str, stored: str) -> bool:
    """Constant-time comparison, also under the previous secrets (SECRET_KEY_FALLBACKS)."""
    matched = False
    for secret in _secrets():
        candidate = code_hmac(code=code, salt=salt, user_id=user_id, number=number, secret=secret)
        matched |= hmac.compare_digest(candidate, stored)
    return matched


def spaced(code: str) -> str:
    """ "12345" → "1 2 3 4 5": what the response shows and the voice speaks."""
    return " ".join(code)


def render(template: str, code: str) -> str:
    return template.replace(PLACEHOLDER, code)


def _fernet() -> MultiFernet:
    keys = []
    for secret in _secrets():
        digest = hashlib.sha256(SEAL_PURPOSE + b"\x1f" + secret.encode()).digest()
        keys.append(Fernet(base64.urlsafe_b64encode(digest)))
    return MultiFernet(keys)


def seal(value: object) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def unseal(token: str, *, ttl: int | None = None) -> object:
    """The sealed value; raises ``ValueError`` when the token is forged, or older than ``ttl``."""
    try:
        return json.loads(_fernet().decrypt(token.encode(), ttl=ttl))
    except InvalidToken as exc:
        raise ValueError("invalid or expired seal") from exc
