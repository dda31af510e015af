"""``MessageTally``: messages per (owner, status, phone code, UTC creation day).

Every change goes through ``tally_add``, called in the transaction that creates
messages or moves their status, after the message rows are locked and after any
ledger lock, so it commits or rolls back with them. It is one upsert adding to
the counts (``n = n + delta``), with its keys in sorted order: concurrent
transactions add in the same order (no deadlock between them) and each waits for
the other's row lock, so no increment is lost.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDay

from tling.models import Message, MessageTally

TallyKey = tuple[int, str, str, datetime]


def created_day(created_at: datetime) -> datetime:
    """Midnight UTC of the day of ``created_at``."""
    return created_at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def tally_key(message: Message, status: str | None = None) -> TallyKey:
    return (message.owner_id, status or message.status, message.phone_code, created_day(message.created_at))


def tally_add(deltas: Counter[TallyKey] | dict[TallyKey, int]) -> None:
    """Add ``deltas`` to the tally: one upsert, and one delete of the rows it
    emptied when some went down."""
    items = sorted((key, n) for key, n in deltas.items() if n)
    if not items:
        return
    table = connection.ops.quote_name(MessageTally._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(items))
    params = [p for (owner_id, status, code, day), n in items for p in (owner_id, status, code, adapt(day), n)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (owner_id, status, phone_code, created_day, n) VALUES {values}"  # noqa: S608 - our table name
            f" ON CONFLICT (owner_id, status, phone_code, created_day) DO UPDATE SET n = {table}.n + EXCLUDED.n",
            params,
        )
        # Rows a status left empty go (the sums stay small: transient statuses
        # would otherwise leave a zero row per phone code and day). Still under
        # this transaction's row locks; a concurrent upsert waiting for one
        # inserts it afresh once this commits.
        emptied = [key for key, n in items if n < 0]
        if emptied:
            keys = " OR ".join(
                ["(owner_id = %s AND status = %s AND phone_code = %s AND created_day = %s)"] * len(emptied)
            )
            cursor.execute(
                f"DELETE FROM {table} WHERE n = 0 AND ({keys})",  # noqa: S608 - our table name
                [p for owner_id, status, code, day in emptied for p in (owner_id, status, code, adapt(day))],
            )


def tally_rebuild(*, owner_id: int) -> None:
    """Recount an owner's tally from its messages: for messages written around
    the services (data loads, the benchmark's seed). Run it while nothing else
    writes that owner's messages."""
    with transaction.atomic():
        MessageTally.objects.filter(owner_id=owner_id).delete()
        rows = (
            Message.objects.filter(owner_id=owner_id)
            .order_by()
            .values("status", "phone_code", day=TruncDay("created_at", tzinfo=UTC))
            .annotate(count=Count("pk"))
        )
        MessageTally.objects.bulk_create(
            [
                MessageTally(
                    owner_id=owner_id,
                    status=row["status"],
                    phone_code=row["phone_code"],
                    created_day=created_day(row["day"]),
                    n=row["count"],
                )
                for row in rows
            ]
        )
