"""Rate limits and concurrency caps shared by every worker process.

Token buckets (``acquire``) and leased slots (``slot_acquire``) live in Redis
(``REDIS_URL``) and change only inside Lua scripts, so each check-and-take is
atomic across processes and machines. The scripts read the clock with Redis'
``TIME``: every worker measures against the same clock.

Keys are free-form; the dispatcher uses ``sender:<E.164>``, ``provider:<backend
name>``, ``account:<id>:calls`` (buckets) and ``account:<id>:concurrent``
(slots).

Bucket semantics: ``rate_per_second`` tokens are added continuously up to
``burst``; each acquisition takes one. With ``burst=1`` acquisitions are at
least ``1 / rate`` apart, so no window of any length ever holds more than
``rate × length + 1`` of them (and no window aligned on an acquisition more
than ``rate × length``). A larger burst lets an idle key send ``burst`` at once.

Slots cap how many calls run at once: ``slot_acquire`` takes a slot under a
token (the attempt's reference) with a lease; ``slot_release`` frees it when
the call ends (from any process, e.g. the webhook that reports the outcome).
A worker that dies holding a slot cannot release it: the lease runs out and
the slot frees itself. Long calls renew with ``slot_renew``.

Without ``REDIS_URL`` (the embedded default) buckets and slots are kept in the
process's memory: each process enforces the limits on its own, so N worker
processes may together reach N × the rate. Set ``REDIS_URL`` in production.
"""

from __future__ import annotations

import math
import threading
import time
from functools import cache

import redis
from django.conf import settings

PREFIX = "tt:rl:"

_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000000)
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - cost
else
  wait = (1 - tokens) / rate
end
if cost > 0 or state[1] then
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.9f', tokens), 'ts', string.format('%.0f', math.max(now, ts)))
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 60000)
end
return {string.format('%.9f', wait), string.format('%.0f', now)}
"""

_SLOT_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]) + 1000)
  return 1
end
return 0
"""

_SLOT_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]) + 1000)
return 1
"""

_SLOT_COUNT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""


@cache
def _client(url: str):
    return redis.Redis.from_url(url)


@cache
def _script(url: str, source: str):
    return _client(url).register_script(source)


def _run(source: str, key: str, *args) -> object:
    return _script(settings.REDIS_URL, source)(keys=[PREFIX + key], args=list(args))


def _check(rate_per_second: float, burst: int) -> None:
    if not rate_per_second > 0 or burst < 1:
        raise ValueError("rate_per_second must be > 0 and burst >= 1")


# --- Token buckets ---------------------------------------------------------------------


def _take(key: str, rate_per_second: float, burst: int, cost: int) -> tuple[float, float]:
    """(seconds to wait, or 0 when a token was taken; the limiter's clock in epoch seconds)."""
    _check(rate_per_second, burst)
    if not settings.REDIS_URL:
        return _local.take(key, rate_per_second, burst, cost)
    wait, now_us = _run(_BUCKET, key, repr(float(rate_per_second)), int(burst), int(cost))
    return float(wait), int(now_us) / 1_000_000


def acquire_timed(
    key: str, rate_per_second: float, burst: int = 1, *, block_until: float | None = None
) -> float | None:
    """Like ``acquire``; returns the limiter's clock (epoch seconds) at the moment the
    token was taken, or None when none was."""
    while True:
        wait, now = _take(key, rate_per_second, burst, 1)
        if wait <= 0:
            return now
        if block_until is None or time.time() + wait > block_until:
            return None
        time.sleep(wait)


def acquire(key: str, rate_per_second: float, burst: int = 1, *, block_until: float | None = None) -> bool:
    """Take one token from the bucket ``key``. Without ``block_until`` it answers at
    once; with it (an epoch time, ``time.time()`` scale) it sleeps for the next token
    as long as that comes before the deadline. True when a token was taken."""
    return acquire_timed(key, rate_per_second, burst, block_until=block_until) is not None


def wait_time(key: str, rate_per_second: float, burst: int = 1) -> float:
    """Seconds until ``acquire`` on ``key`` would succeed (0: now); takes nothing.
    For a task that re-queues itself instead of sleeping (``countdown=wait_time(...)``)."""
    wait, _ = _take(key, rate_per_second, burst, 0)
    return wait


# --- Concurrency slots -------------------------------------------------------------------


def slot_acquire(key: str, limit: int, token: str, *, lease_seconds: float) -> bool:
    """Take one of ``limit`` slots of ``key`` for ``token`` (e.g. the attempt's
    reference) for ``lease_seconds``. Taking a slot the token already holds renews
    it. False when all slots are taken (try again later)."""
    if limit < 1 or lease_seconds <= 0:
        raise ValueError("limit must be >= 1 and lease_seconds > 0")
    if not settings.REDIS_URL:
        return _local.slot_acquire(key, limit, token, lease_seconds)
    return bool(_run(_SLOT_ACQUIRE, key, int(limit), math.ceil(lease_seconds * 1000), token))


def slot_renew(key: str, token: str, *, lease_seconds: float) -> bool:
    """Extend the lease of a held slot; False when it was released or had expired."""
    if not settings.REDIS_URL:
        return _local.slot_renew(key, token, lease_seconds)
    return bool(_run(_SLOT_RENEW, key, math.ceil(lease_seconds * 1000), token))


def slot_release(key: str, token: str) -> bool:
    """Free the slot ``token`` holds; False when it held none (safe to repeat)."""
    if not settings.REDIS_URL:
        return _local.slot_release(key, token)
    return bool(_client(settings.REDIS_URL).zrem(PREFIX + key, token))


def slots_in_use(key: str) -> int:
    if not settings.REDIS_URL:
        return _local.slots_in_use(key)
    return int(_run(_SLOT_COUNT, key))


# --- Process-local fallback (no REDIS_URL) --------------------------------------------------


class _LocalLimiter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}
        self.slots: dict[str, dict[str, float]] = {}

    def take(self, key: str, rate: float, burst: int, cost: int) -> tuple[float, float]:
        with self.lock:
            now = time.time()
            tokens, ts = self.buckets.get(key, (float(burst), now))
            tokens = min(burst, tokens + max(0.0, now - ts) * rate)
            if tokens >= 1:
                self.buckets[key] = (tokens - cost, now)
                return 0.0, now
            self.buckets[key] = (tokens, now)
            return (1 - tokens) / rate, now

    def _live(self, key: str) -> dict[str, float]:
        now = time.time()
        held = {t: until for t, until in self.slots.get(key, {}).items() if until > now}
        self.slots[key] = held
        return held

    def slot_acquire(self, key: str, limit: int, token: str, lease: float) -> bool:
        with self.lock:
            held = self._live(key)
            if token in held or len(held) < limit:
                held[token] = time.time() + lease
                return True
            return False

    def slot_renew(self, key: str, token: str, lease: float) -> bool:
        with self.lock:
            held = self._live(key)
            if token not in held:
                return False
            held[token] = time.time() + lease
            return True

    def slot_release(self, key: str, token: str) -> bool:
        with self.lock:
            return self._live(key).pop(token, None) is not None

    def slots_in_use(self, key: str) -> int:
        with self.lock:
            return len(self._live(key))


_local = _LocalLimiter()
