"""Calling hours and the retry policy: pure functions the dispatcher calls.

All of them take an ``AccountSettings`` row (with its ``user`` for the time zone)
and aware datetimes, and answer aware datetimes in UTC. They work on the local
wall clock of the account's time zone (``zoneinfo``), so a window such as
08:00–20:00 stays 08:00–20:00 across daylight-saving changes. A window start that
falls in a spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00)
opens at the first instant after the gap.

A window with ``start > end`` crosses midnight and belongs to the weekday it
starts on: Friday 22:00–06:00 with Friday enabled includes Saturday 03:00 even
when Saturday is not enabled. ``start == end`` is the whole day.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings

RETRY_OUTCOMES = ("unanswered", "failed")
UTC = dt.UTC


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_time_zone(name: object) -> bool:
    return isinstance(name, str) and name in _known_zones()


def account_zone(account_settings) -> ZoneInfo:
    """The account's time zone (``User.time_zone``), or the server's if it is not a known one."""
    name = getattr(account_settings.user, "time_zone", "") or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _require_aware(at: dt.datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("an aware datetime is required")


def calling_window_open(account_settings, at: dt.datetime) -> bool:
    """True when a call may start at ``at`` under the account's calling hours and weekdays."""
    _require_aware(at)
    local = at.astimezone(account_zone(account_settings))
    start, end = account_settings.calling_start, account_settings.calling_end
    now, weekday = local.time().replace(tzinfo=None), local.weekday()
    if start == end:
        return account_settings.is_calling_day(weekday)
    if start < end:
        return account_settings.is_calling_day(weekday) and start <= now < end
    # Crossing midnight: the evening part is today's window, the morning part yesterday's.
    if now >= start:
        return account_settings.is_calling_day(weekday)
    if now < end:
        return account_settings.is_calling_day((weekday - 1) % 7)
    return False


def _local_instant(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """``day`` at wall-clock ``at`` as a UTC instant; a time inside a DST gap moves past it."""
    naive = dt.datetime.combine(day, at)
    instant = naive.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        # Nonexistent wall time: the gap ends at the transition, which the fold=1
        # reading of the same wall time lands on or after.
        later = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        instant = min(instant, later)
        while not instant.astimezone(zone).replace(tzinfo=None) >= naive:
            instant += dt.timedelta(minutes=1)
    return instant


def next_window_start(account_settings, at: dt.datetime) -> dt.datetime:
    """``at`` itself (in UTC) when the window is open, else the next instant it opens."""
    _require_aware(at)
    if calling_window_open(account_settings, at):
        return at.astimezone(UTC)
    zone = account_zone(account_settings)
    today = at.astimezone(zone).date()
    start = account_settings.calling_start
    candidates = []
    for offset in range(0, 9):
        day = today + dt.timedelta(days=offset)
        if not account_settings.is_calling_day(day.weekday()):
            continue
        instant = _local_instant(day, start, zone)
        if instant > at and calling_window_open(account_settings, instant):
            candidates.append(instant)
    if not candidates:  # no weekday enabled: validation prevents it
        raise ValueError("the account has no calling day")
    return min(candidates)


def retry_policy(account_settings, outcome: str) -> tuple[int, int]:
    """(count, delay seconds) of the account's retry policy for ``outcome``; (0, 0) when it has none."""
    if outcome == "unanswered":
        return account_settings.retry_unanswered_count, account_settings.retry_unanswered_delay
    if outcome == "failed":
        return account_settings.retry_failed_count, account_settings.retry_failed_delay
    return 0, 0


def retry_due_at(account_settings, outcome: str, attempt_number: int, now: dt.datetime) -> dt.datetime | None:
    """When the next attempt after attempt ``attempt_number`` (1 = the first call) ended
    with ``outcome`` is due, or None when the policy allows no more retries.

    A recipient gets at most ``count`` retries, so ``count + 1`` attempts. The retry
    is due ``delay`` seconds later, moved to the next opening of the calling window
    when that falls outside it."""
    _require_aware(now)
    count, delay = retry_policy(account_settings, outcome)
    if attempt_number < 1 or attempt_number > count:
        return None
    return next_window_start(account_settings, now + dt.timedelta(seconds=delay))
