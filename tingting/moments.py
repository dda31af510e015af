"""Client-supplied datetimes, made safe for PostgreSQL.

Python accepts UTC offsets up to ±23:59; PostgreSQL rejects any beyond ±15:59
(``time zone displacement out of range``, a 500 found by schema fuzzing). And a
moment near year 1 or 9999 with an offset overflows when shifted to UTC — or, if
stored as given, is written as year 10000 and cannot be read back. So every
aware client datetime goes to the database as UTC, and one that does not fit is
invalid input.
"""

from __future__ import annotations

from datetime import UTC, datetime


def to_utc(moment: datetime) -> datetime:
    """``moment`` (aware; naive means UTC) in UTC. ValueError when it falls outside
    years 1–9999 once in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("date and time out of range") from exc
