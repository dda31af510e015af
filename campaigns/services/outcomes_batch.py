"""Recording the outcomes of many attempts at once (a chunk task's round, a batch of
status reports): two SQL writers — the final outcomes with their recipients in one
statement, the in-flight marks in another — and one charge and one release per run
of the batch. Same rules as ``outcomes.attempt_record_outcome`` for an SMS; what the
guardrails act on one by one (voice, accounts with a status webhook) goes through it.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerEntry
from campaigns.models import Attempt, Recipient, Run
from campaigns.models.run import run_ledger_key
from campaigns.services.outcomes import (
    SMS_FINAL,
    Outcome,
    attempt_mark_in_flight,
    attempt_reports_parse,
    run_prices,
)
from campaigns.services.run import run_finish_if_done
from tingting.outbound_webhooks import webhook_subscribers
from tingting.providers.base import StatusReport
from tingting.sqlrows import ids_param, index_joins, rows_param, rows_table
from tingting.transactions import retry_transient

S = Attempt.Status


def _needs_single_path(outcomes: list[Outcome]) -> set[int]:
    """Attempts whose outcome the guardrails act on one by one (voice: retry
    policy, call slots, per-call references; accounts with a status webhook):
    they go through ``attempt_record_outcome``; the rest are recorded as a batch."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, run_id FROM {Attempt._meta.db_table} WHERE id = ANY(%s::bigint[])",  # noqa: S608 - table name only
            [ids_param(o.attempt_id for o in outcomes)],
        )
        run_of = dict(cursor.fetchall())
    runs = {run_id: run_prices(run_id) for run_id in set(run_of.values())}
    hooked = webhook_subscribers(r.owner_id for r in runs.values())
    return {
        attempt_id
        for attempt_id, run_id in run_of.items()
        if runs[run_id].kind != Run.Kind.SMS or runs[run_id].owner_id in hooked
    }


@retry_transient
def attempts_record_outcomes(outcomes: list[Outcome]) -> int:
    """``attempt_record_outcome`` for many attempts in one transaction: the
    attempts and their recipients are written in one statement, and the credits
    move once per run of the batch: one charge from the hold and one release,
    keyed ``run:<id>:chunk:<n>:charge|release:<first attempt id>``. Each attempt
    keeps its own ``charged`` / ``released`` and each recipient its exact
    ``credit_consumed``. Attempts already final (a single report got there first)
    are skipped — the UPDATE waits for a concurrent recording's row lock and
    re-checks — and an attempt recorded here is final for every later report, so
    the per-attempt and the batch paths never charge one attempt twice. A key is
    reused only by a batch whose first attempt is the same, which is then final:
    a repeat finds nothing to record. Returns how many attempts it recorded."""
    wanted: dict[int, Outcome] = {}
    for outcome in outcomes:
        wanted.setdefault(outcome.attempt_id, outcome)
    if not wanted:
        return 0
    single = set(wanted) if connection.vendor != "postgresql" else _needs_single_path(list(wanted.values()))
    recorded_one_by_one = sum(o.record() is not None for o in wanted.values() if o.attempt_id in single)
    wanted = {attempt_id: o for attempt_id, o in wanted.items() if attempt_id not in single}
    if not wanted:
        return recorded_one_by_one
    rows = [_outcome_row(outcome) for outcome in wanted.values()]
    now = timezone.now()
    with transaction.atomic():
        recorded = _write_outcomes(rows, now)
        if not recorded:
            return recorded_one_by_one
        groups: dict[int, list[tuple]] = {}
        for row in recorded:
            groups.setdefault(row[1], []).append(row)
        for run_id, group in groups.items():
            run = run_prices(run_id)
            group.sort()
            first, chunk = group[0][0], group[0][2]
            charged = sum(row[3] for row in group)
            released = sum(row[4] for row in group)
            # The ledger last: the account row is locked only for the end of the transaction.
            key = f"chunk:{chunk}"
            reference, note = run_ledger_key(run_id, f"{key}:batch:{first}"), f"{len(group)} outcomes"
            if charged:
                _checked(
                    ledger.charge(
                        user_id=run.owner_id,
                        amount=charged,
                        from_held=True,
                        idempotency_key=run_ledger_key(run_id, f"{key}:charge:{first}"),
                        reference=reference,
                        note=note,
                    ),
                    charged,
                )
            if released:
                _checked(
                    ledger.release(
                        user_id=run.owner_id,
                        amount=released,
                        idempotency_key=run_ledger_key(run_id, f"{key}:release:{first}"),
                        reference=reference,
                        note=note,
                    ),
                    released,
                )
        run_ids = list(groups)
        transaction.on_commit(lambda: [run_finish_if_done(run_id=run_id) for run_id in run_ids])
    return recorded_one_by_one + len(recorded)


def _outcome_row(outcome: Outcome) -> tuple:
    """What ``attempt_record_outcome`` derives from the provider status of an SMS:
    (id, status, charged?, provider status, provider id, error)."""
    status, charged = SMS_FINAL.get(outcome.provider_status, (S.FAILED, False))
    return (outcome.attempt_id, str(status), charged, outcome.provider_status, outcome.provider_id, outcome.error)


def _checked(entry: LedgerEntry, amount: int) -> None:
    """A batch key is never reused for other amounts (see attempts_record_outcomes)."""
    if entry.amount != amount:
        raise RuntimeError(f"ledger key {entry.idempotency_key} already used for {entry.amount}, not {amount}")


def _write_outcomes(rows: list[tuple], now: datetime) -> list[tuple]:
    """One statement: the attempts not final yet take their outcome and their
    recipients follow, by the rules of ``attempt_record_outcome`` for an SMS (the
    share when charged, no duration). Only SMS attempts come here: voice outcomes
    go one by one (``_needs_single_path``). Returns (id, run, chunk, charged,
    released) of what it recorded. The rows are one JSON parameter
    (tingting.sqlrows) whatever the batch size."""
    columns = [
        ("id", "bigint"),
        ("status", "text"),
        ("charged", "boolean"),
        ("provider_status", "text"),
        ("provider_id", "text"),
        ("error", "text"),
    ]
    attempts, recipients = Attempt._meta.db_table, Recipient._meta.db_table
    final = [str(status) for status in Attempt.FINAL]
    with connection.cursor() as cursor, index_joins(cursor):
        cursor.execute(
            f"WITH v AS (SELECT * FROM {rows_table(columns)}), "  # noqa: S608 - table names only
            f"moved AS (UPDATE {attempts} AS a SET status = v.status, provider_status = v.provider_status, "
            "  provider_id = CASE WHEN a.provider_id = '' THEN v.provider_id ELSE a.provider_id END, "
            "  charged = CASE WHEN v.charged THEN a.share ELSE 0 END, "
            "  released = CASE WHEN v.charged THEN 0 ELSE a.share END, "
            "  extra_charged = 0, duration = NULL, playback = NULL, finished_at = %s, "
            "  error = LEFT(COALESCE(NULLIF(v.error, ''), CASE WHEN v.status IN ('completed', 'hungup') THEN '' "
            "               ELSE v.provider_status END), 255), "
            "  submitted_at = COALESCE(a.submitted_at, %s) "
            "  FROM v WHERE a.id = v.id AND NOT (a.status = ANY(%s::text[])) "
            "  RETURNING a.id, a.run_id, a.chunk, a.charged, a.released, a.recipient_id, a.status, a.error), "
            f"touched AS (UPDATE {recipients} AS rc SET status = moved.status, duration = NULL, playback = NULL, "
            "  credit_consumed = rc.credit_consumed + moved.charged, "
            "  attempts = rc.attempts + 1, last_attempt_at = %s, last_error = moved.error "
            "  FROM moved WHERE rc.id = moved.recipient_id) "
            "SELECT id, run_id, chunk, charged, released FROM moved",
            [rows_param(rows), now, now, final, now],
        )
        return cursor.fetchall()


def attempts_mark_in_flight(marks: list[tuple[int, str, str, str, int]]) -> int:
    """``attempt_mark_in_flight`` for many (attempt id, status, provider id,
    backend, retries), in one statement. Never moves a final attempt back, nor a
    later call of it (guardrails' retries); safe to repeat."""
    if not marks:
        return 0
    if connection.vendor != "postgresql":
        return sum(
            attempt_mark_in_flight(attempt_id=a, status=s, provider_id=p, backend=b, retries=n)
            for a, s, p, b, n in marks
        )
    columns = [
        ("id", "bigint"),
        ("status", "text"),
        ("provider_id", "text"),
        ("backend", "text"),
        ("retries", "integer"),
    ]
    with transaction.atomic(), connection.cursor() as cursor, index_joins(cursor):
        cursor.execute(
            f"WITH moved AS (UPDATE {Attempt._meta.db_table} AS a SET status = v.status, submitted_at = %s, "  # noqa: S608 - table names only
            "provider_id = CASE WHEN v.provider_id = '' THEN a.provider_id ELSE v.provider_id END, "
            "backend = CASE WHEN v.backend = '' THEN a.backend ELSE LEFT(v.backend, 64) END "
            f"FROM {rows_table(columns)} "
            "WHERE a.id = v.id AND a.status IN ('queued', 'sending') AND a.retries = v.retries "
            "  AND a.claimed_at IS NOT NULL "
            "RETURNING a.recipient_id, a.status) "
            f"UPDATE {Recipient._meta.db_table} AS r SET status = moved.status FROM moved "
            "WHERE r.id = moved.recipient_id AND r.status = 'queued'",
            [timezone.now(), rows_param((a, str(s), p, b, n) for a, s, p, b, n in marks)],
        )
        return cursor.rowcount


def attempt_record_reports(reports: list[StatusReport]) -> None:
    """List handler for ``attempt:<id>`` reports (``reports.deliver_many``): the
    final ones are recorded as one batch, the others mark attempts in flight.
    Same rules as ``attempt_record_report``."""
    finals, marks, _ = attempt_reports_parse(reports)
    done = {outcome.attempt_id for outcome in finals}
    attempts_mark_in_flight([mark for mark in marks if mark[0] not in done])
    attempts_record_outcomes(finals)
