"""Campaign reports: one row per recipient, streamed in constant memory.

CSV goes out row by row through a streaming response. XLSX is written by
xlsxwriter in ``constant_memory`` mode (each row is flushed to a temporary file
as it is written) into a temporary file that is then streamed and deleted.
"""

from __future__ import annotations

import csv
import itertools
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

import xlsxwriter
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from accounts.models import User
from campaigns import extensions
from campaigns.models import Attempt, Campaign, Recipient, Run
from tingting.phones import carrier_of, national_display
from tingting.text import word_slug

FIXED_COLUMNS = [
    "id",
    "number",
    "status",
    "duration",
    "playback",
    "credit_consumed",
    "attempts",
    "last_attempt_at",
    "error",
]
# A spreadsheet runs a cell as a formula when its text starts with one of these
# (after any leading line break: LF and CR count as well as TAB).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
# Plain numbers start with + or - too, and are no formula: they keep their value.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# The recipient fields behind the fixed columns (its "error" is ``last_error``), then the tags.
ROW_FIELDS = [*FIXED_COLUMNS[:-1], "last_error", "tags", "sms_credit_consumed", "sms_status"]
# SMS & PHONE campaigns add the failover SMS: its credits and its status.
FAILOVER_COLUMNS = ["credit_consumed_SMS", "sms_status"]
# Columns other apps add (campaigns.extensions) are fetched per batch of rows.
EXTRA_BATCH = 2000


def _has_failover(campaign: Campaign) -> bool:
    return campaign.services == Campaign.Services.SMS_PHONE


def escape_cell(value):
    """Text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def report_columns(campaign: Campaign, *, carrier: bool = False) -> list[str]:
    failover = FAILOVER_COLUMNS if _has_failover(campaign) else []
    tags = list(campaign.usable_tags or [])
    return FIXED_COLUMNS + failover + (["carrier"] if carrier else []) + tags + extensions.extra_columns(campaign)


def _with_extras(campaign: Campaign, rows: Iterator[tuple], extra: list[str]) -> Iterator[tuple[tuple, list]]:
    """Each row with the values other apps add (campaigns.extensions), fetched per batch."""
    if not extra:
        for row in rows:
            yield row, []
        return
    rows = iter(rows)
    while batch := list(itertools.islice(rows, EXTRA_BATCH)):
        values = extensions.extra_values(campaign, [row[0] for row in batch])
        for row in batch:
            found = values.get(row[0], {})
            yield row, [escape_cell(found.get(column)) for column in extra]


def report_rows(campaign: Campaign, *, carrier: bool = False) -> Iterator[list]:
    """Rows in recipient order, one query streamed with a server-side cursor (plus a
    query or two per batch of ``EXTRA_BATCH`` for columns other apps add). ``carrier``
    adds the number's operator after the fixed columns (the v1 face's report)."""
    tag_names = list(campaign.usable_tags or [])
    rows: QuerySet = Recipient.objects.filter(campaign=campaign).order_by("id").values_list(*ROW_FIELDS)
    zone = timezone.get_current_timezone()
    failover = _has_failover(campaign)
    added_columns = extensions.extra_columns(campaign)
    for row, added in _with_extras(campaign, rows.iterator(chunk_size=5000), added_columns):
        rid, number, status, duration, playback, credits, attempts, last_at, error, tags, sms_credits, sms_status = row
        tags = tags or {}
        extra = [sms_credits, sms_status or None] if failover else []
        if carrier:
            extra.append(carrier_of(number))
        yield [
            rid,
            national_display(number),
            status,
            duration,
            playback,
            credits,
            attempts,
            last_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if last_at else None,
            escape_cell(error or None),
            *extra,
            *(escape_cell(tags.get(name)) for name in tag_names),
            *added,
        ]


def report_filename(
    campaign: Campaign, extension: str, *, now: datetime | None = None, ascii_only: bool = False
) -> str:
    """``दशैं-अफर-5-report-2026-12-06.csv``: the campaign's name in its own script
    (``tingting.text.word_slug``); ``ascii_only`` for the plain ``filename`` fallback."""
    stamp = (now or timezone.localtime()).strftime("%Y-%m-%d")
    name = slugify(campaign.name) if ascii_only else word_slug(campaign.name, separator="-")
    return f"{name or 'campaign'}-{campaign.pk}-report-{stamp}.{extension}"


def report_disposition(campaign: Campaign, extension: str) -> str:
    """The attachment header (RFC 6266): ``filename*`` carries a Devanagari name
    (Django's ``content_disposition_header``), ``filename`` an ASCII fallback for
    clients that do not read ``filename*``."""
    now = timezone.localtime()
    name = report_filename(campaign, extension, now=now)
    header = content_disposition_header(True, name)
    if name.isascii():
        return header
    fallback = report_filename(campaign, extension, now=now, ascii_only=True)
    return f'attachment; filename="{fallback}"; {header.removeprefix("attachment; ")}'


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(campaign: Campaign, *, carrier: bool = False) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: spreadsheet programs then read UTF-8 (Devanagari tags) correctly
    yield writer.writerow(report_columns(campaign, carrier=carrier))
    for row in report_rows(campaign, carrier=carrier):
        yield writer.writerow(["" if cell is None else cell for cell in row])


def write_xlsx(campaign: Campaign, target: str | Path | IO[bytes]) -> None:
    """Write the report into ``target`` (a path or a seekable binary file)."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "tmpdir": tempfile.gettempdir(),
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    try:
        sheet = workbook.add_worksheet("Report")
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, report_columns(campaign), bold)
        for index, row in enumerate(report_rows(campaign), start=1):
            sheet.write_row(index, 0, row)
    finally:
        workbook.close()


def xlsx_file(campaign: Campaign) -> IO[bytes]:
    """A temporary file holding the report, positioned at its start; deleted when closed."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    try:
        write_xlsx(campaign, handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


SUMMARY_STATUSES = [choice.value for choice in Recipient.Status]


def campaign_summaries(*, user: User, campaign_id: int | None = None) -> list[dict]:
    """Per campaign: recipient counts by status, credits consumed and still held by
    runs in progress, and when the latest run started. One query whatever the number
    of campaigns (counts aggregated in the database; run figures as subqueries)."""
    open_runs = Run.objects.filter(campaign=OuterRef("pk"), finished_at__isnull=True)
    run_holds = (
        open_runs.order_by().values("campaign").annotate(total=Sum(F("hold_amount") - F("end_release"))).values("total")
    )
    used = (
        Attempt.objects.filter(run__campaign=OuterRef("pk"), run__finished_at__isnull=True)
        .order_by()
        .values("run__campaign")
        .annotate(total=Sum(F("charged") + F("released")))
        .values("total")
    )
    latest_start = Run.objects.filter(campaign=OuterRef("pk")).order_by("-id").values("started_at")[:1]
    campaigns = Campaign.objects.filter(owner=user)
    if campaign_id is not None:
        campaigns = campaigns.filter(pk=campaign_id)
    rows = (
        campaigns.order_by("-created_at", "-id")
        .annotate(
            total_numbers=Count("recipients"),
            consumed=Coalesce(Sum("recipients__credit_consumed"), Value(0)),
            held=Coalesce(Subquery(run_holds), Value(0)) - Coalesce(Subquery(used), Value(0)),
            last_run_at=Subquery(latest_start),
            **{
                f"n_{i}": Count("recipients", filter=Q(recipients__status=status))
                for i, status in enumerate(SUMMARY_STATUSES)
            },
        )
        .values(
            "pk",
            "name",
            "services",
            "total_numbers",
            "consumed",
            "held",
            "last_run_at",
            *(f"n_{i}" for i in range(len(SUMMARY_STATUSES))),
        )
    )
    return [
        {
            "campaign_id": row["pk"],
            "campaign_name": row["name"],
            "services": row["services"],
            "total_numbers": row["total_numbers"],
            "status_counts": {status: row[f"n_{i}"] for i, status in enumerate(SUMMARY_STATUSES)},
            "credit_consumed": row["consumed"],
            "credit_on_hold": max(row["held"], 0),
            "last_run_at": row["last_run_at"].isoformat() if row["last_run_at"] else None,
        }
        for row in rows
    ]


def summary_totals(summaries: list[dict]) -> dict:
    return {
        "campaigns": len(summaries),
        "total_numbers": sum(s["total_numbers"] for s in summaries),
        "status_counts": {status: sum(s["status_counts"][status] for s in summaries) for status in SUMMARY_STATUSES},
        "credit_consumed": sum(s["credit_consumed"] for s in summaries),
        "credit_on_hold": sum(s["credit_on_hold"] for s in summaries),
    }
