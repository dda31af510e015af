"""Fixed-window counters in the shared cache (Redis in production).

``cache.add`` + ``cache.incr`` are atomic on Redis, so parallel requests in
several processes cannot slip past a limit together.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from tingting.errors import RateLimitedError

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/m' → (10, 60); '5/10m' → (5, 600)."""
    count, period = rate.split("/")
    unit = period[-1]
    multiplier = int(period[:-1] or 1)
    return int(count), multiplier * _PERIODS[unit]


def hit(scope: str, ident: str, rate: str) -> int | None:
    """Count one event; returns seconds to wait when the limit is exceeded, else None."""
    limit, window = parse_rate(rate)
    now = int(time.time())
    window_start = now - now % window
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"throttle:{scope}:{digest}:{window_start}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        return window_start + window - now
    return None


def enforce(scope: str, ident: str, *, rate: str | None = None, message: str | None = None) -> None:
    """Raise RateLimitedError (429 with Retry-After) when ``ident`` is over the scope's rate."""
    wait = hit(scope, ident, rate or settings.THROTTLE_RATES[scope])
    if wait is not None:
        raise RateLimitedError(message or "Too many requests; try again later.", retry_after=wait)


def client_ip(request) -> str:
    """The client's address. With TRUSTED_PROXY_COUNT = N > 0 (N reverse proxies
    in front of us, each appending to X-Forwarded-For) it is the N-th address from
    the right, which a client cannot forge; otherwise the peer address."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
