"""Recipient import from an uploaded .xlsx or .csv (API_CONTRACT §2 "Recipients on create").

The file is checked before anything parses it (size, type by content, zip member
count / inflation / total size, XML with defusedxml), then read row by row:
the number column is found from the header, other columns become tags, invalid
rows are reported with the row number a spreadsheet shows, duplicates collapse
(first row wins). Rows are written in batches with COPY on PostgreSQL (bulk_create
elsewhere), never one INSERT per row. The upload checks live in ``import_checks``,
the phone fast path and the COPY writer in ``import_rows``.

Small files import inside the create request; files over ``IMPORT_SYNC_ROWS``
rows import in a Celery task (``campaigns.import_recipients``) that commits one
batch at a time together with its progress, so a redelivered task resumes where
the last committed batch ended and two concurrent runs cannot both write.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from campaigns.models import Campaign, Recipient
from campaigns.services.import_checks import (
    CSV,
    XLSX,
    CheckedFile,
    ImportFileError,
    check_upload,
    file_error,
    too_many_rows,
)
from campaigns.services.import_rows import NumberParser, RecipientWriter, copy_escape
from campaigns.services.import_xlsx import iter_xlsx_rows
from tingting.api.errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError
from tingting.phones import InvalidPhoneNumber, to_e164

__all__ = [
    "CSV",
    "XLSX",
    "CheckedFile",
    "ImportFileError",
    "NumberParser",
    "RecipientWriter",
    "check_upload",
    "campaign_import_process",
    "import_file",
    "import_inline",
    "too_many_rows",
]

_encode_str = json.encoder.encode_basestring  # the C encoder when available; no ASCII escaping
NUMBER_HEADERS = ("number", "phone", "phone_number", "mobile", "contact")
INVALID_LIST_CAP = 100


# --- Reading rows ----------------------------------------------------------------------------------


def _iter_csv_rows(path: Path, delimiter: str) -> Iterator[list]:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        try:
            yield from csv.reader(fh, delimiter=delimiter)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise file_error(f"The CSV file cannot be read: {exc}", "broken_file") from exc


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _tag_value(value):
    """Cell → JSON tag value (string or number); None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, int):
        return value
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    text = str(value).strip()
    return text or None


def normalise_column(name) -> str:
    """``" First Name "`` → ``first_name``; a leading ``tags_`` is dropped (it is added back)."""
    text = re.sub(r"[^0-9a-z]+", "_", _cell_text(name).lower()).strip("_")
    return text[5:] if text.startswith("tags_") else text


@dataclass
class Header:
    number_index: int
    tags: list[tuple[int, str]]  # (column index, "tags_<name>")

    @property
    def usable_tags(self) -> list[str]:
        return [name for _, name in self.tags]


def detect_header(row: list) -> Header:
    """The first header named like a number column, else the first column; other named
    columns become tags. Refuses a first row that is data (a valid number where the
    number header should be)."""
    if len(row) > settings.IMPORT_MAX_COLUMNS:
        raise PayloadTooLargeError(
            f"The file has more than {settings.IMPORT_MAX_COLUMNS} columns.",
            code="too_many_columns",
            field="send_to_number_file",
        )
    names = [normalise_column(cell) for cell in row]
    number_index = next((i for i, n in enumerate(names) if n in NUMBER_HEADERS), 0)
    if not any(names):
        raise file_error("The first row must be a header naming the columns (e.g. number, name).", "header_required")
    try:
        to_e164(_cell_text(row[number_index]))
    except InvalidPhoneNumber:
        pass
    else:
        raise file_error(
            "The first row must be a header naming the columns (e.g. number, name); it holds a phone number.",
            "header_required",
        )
    tags: list[tuple[int, str]] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        if index == number_index or not name:
            continue
        tag, suffix = f"tags_{name}", 2
        while tag in seen:
            tag, suffix = f"tags_{name}_{suffix}", suffix + 1
        seen.add(tag)
        tags.append((index, tag))
    return Header(number_index, tags)


# --- The import itself -----------------------------------------------------------------------------


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    duplicates: int = 0
    invalid: list[dict] = field(default_factory=list)
    invalid_count: int = 0

    def as_dict(self, state: str, **extra) -> dict:
        return {
            "state": state,
            "rows": self.rows,
            "added": self.added,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "invalid_count": self.invalid_count,
            **extra,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        return cls(
            data.get("rows", 0),
            data.get("added", 0),
            data.get("duplicates", 0),
            list(data.get("invalid", [])),
            data.get("invalid_count", 0),
        )

    def reject(self, row: int, value, error: str) -> None:
        self.invalid_count += 1
        if len(self.invalid) < INVALID_LIST_CAP:
            # phonenumbers prefixes its reasons with an error number: "(1) The string ..."
            error = re.sub(r"^\(\d+\)\s*", "", error)
            self.invalid.append({"row": row, "value": _cell_text(value)[:64], "error": error})


def _read_rows(path: Path, checked: CheckedFile) -> Iterator[list]:
    if checked.kind == XLSX:
        return iter_xlsx_rows(path, sheet_bytes=checked.sheet_bytes)
    return _iter_csv_rows(path, checked.delimiter)


def _tag_json(value) -> str | None:
    """A tag cell as a JSON value (string or number); None for an empty cell."""
    kind = type(value)
    if kind is str:
        value = value.strip()
        return _encode_str(value) if value else None
    if kind is float:
        if value.is_integer():
            return str(int(value))
        return repr(value) if math.isfinite(value) else _encode_str(str(value))
    if kind is int:
        return str(value)
    value = _tag_value(value)
    return None if value is None else json.dumps(value, ensure_ascii=False)


def import_file(
    *,
    campaign: Campaign,
    path: Path,
    checked: CheckedFile,
    resume: dict | None = None,
    on_batch=None,
    skip_existing: bool = False,
) -> tuple[Header, ImportReport]:
    """Read the file and write its recipients. Without ``on_batch`` everything is written
    in the caller's transaction. With it, ``on_batch(writer, report, rows_done, header)`` is
    called for each full batch and at the end, and must flush the writer and commit (the
    task's resumable mode); ``resume`` is the last committed report, whose rows are skipped.
    ``skip_existing``: the campaign has recipients already (a file added later, v1 face);
    their numbers count as duplicates."""
    parser = NumberParser()
    parse = parser.parse
    report = ImportReport.from_dict(resume) if resume else ImportReport()
    skip_until = resume.get("rows_done", 0) if resume else 0
    seen: set[int] = set()
    if skip_until or skip_existing:
        seen = {int(n[1:]) for n in Recipient.objects.filter(campaign=campaign).values_list("number", flat=True)}
    writer = RecipientWriter(campaign, stream=on_batch is None)
    batch_rows = settings.IMPORT_BATCH_ROWS
    max_rows = settings.IMPORT_MAX_ROWS
    rows = _read_rows(path, checked)
    header: Header | None = None
    rows_done = 0  # data rows consumed (blank ones too), for resuming
    try:
        for first in rows:
            header = detect_header(first)
            break
        if header is None:
            raise file_error("The file has no rows.", "empty_file")
        number_index = header.number_index
        # Keys pre-encoded once: '"tags_name":'.
        tag_columns = [(index, _encode_str(name) + ":") for index, name in header.tags]
        duplicates = 0
        # The loop below runs once per row of files up to a million rows: the common case
        # (digits of the default region, string / number tags) is inlined on purpose.
        fast, prefix = parser.fast, parser.prefix
        chunk = writer.CHUNK if writer.streaming else batch_rows + 1
        pending = writer.pending
        reported_rows = report.rows
        if skip_until:  # rows a committed batch already holds
            rows_done = sum(1 for _ in itertools.islice(rows, skip_until))
        in_batch = 0  # rows added since the last flush
        for row in rows:
            rows_done += 1  # the spreadsheet's row number is rows_done + 1 (the header is row 1)
            if rows_done > max_rows:
                raise too_many_rows()
            width = len(row)
            value = row[number_index] if number_index < width else None
            kind = type(value)
            if kind is float:
                if value.is_integer():
                    value = str(int(value))
                    kind = str
            elif value is None or value == "":
                if any(cell is not None and cell != "" for cell in row):
                    reported_rows += 1
                    report.reject(rows_done + 1, "", "the number is empty")
                continue  # a blank line is not a row
            reported_rows += 1
            if kind is str and fast is not None and value.isascii() and fast(value):
                e164 = prefix + value
            elif (
                kind is str
                and fast is not None
                and value.startswith(prefix)
                and value.isascii()
                and fast(value, len(prefix))
            ):
                e164 = value  # already E.164 (see NumberParser.parse)
            else:
                try:
                    e164 = parse(value)
                except InvalidPhoneNumber as exc:
                    report.reject(rows_done + 1, value, str(exc))
                    continue
            key = int(e164[1:])
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            parts = []
            for index, name in tag_columns:
                if index < width:
                    tag = row[index]
                    kind = type(tag)
                    if kind is str:
                        tag = tag.strip()
                        if tag:
                            parts.append(name + _encode_str(tag))
                    elif kind is float and tag.is_integer():
                        parts.append(name + str(int(tag)))
                    elif tag is not None and tag != "":
                        tag = _tag_json(tag)
                        if tag is not None:
                            parts.append(name + tag)
            if parts:
                tags_json = "{" + ",".join(parts) + "}"
                if "\\" in tags_json:  # JSON escapes; COPY text doubles backslashes
                    tags_json = copy_escape(tags_json)
                pending.append(e164 + "\t" + tags_json)
            else:
                pending.append(e164 + "\t{}")
            in_batch += 1
            if len(pending) >= chunk:
                writer._send()
                pending = writer.pending
            if in_batch >= batch_rows:
                writer.batch_count += in_batch
                in_batch = 0
                report.rows = reported_rows
                report.duplicates += duplicates
                duplicates = 0
                if on_batch is not None:
                    on_batch(writer, report, rows_done, header)
                else:
                    report.added += writer.flush()
                pending = writer.pending
        writer.batch_count += in_batch
        report.rows = reported_rows
        report.duplicates += duplicates
        if on_batch is not None:
            on_batch(writer, report, rows_done, header)
        else:
            report.added += writer.flush()
    except BaseException as exc:
        writer.abort(exc)
        raise
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    if report.added == 0 and not skip_until and not Recipient.objects.filter(campaign=campaign).exists():
        raise InvalidInputError(
            "The file has no valid phone number.",
            code="no_valid_numbers",
            field="send_to_number_file",
            data={"import": report.as_dict("failed")},
        )
    return header, report


def import_inline(*, campaign: Campaign, numbers: list[str]) -> ImportReport:
    """``individual_number`` (already parsed to E.164): duplicates collapse, first wins."""
    report = ImportReport(rows=len(numbers))
    unique = list(dict.fromkeys(numbers))
    report.duplicates = len(numbers) - len(unique)
    writer = RecipientWriter(campaign)
    for number in unique:
        writer.add(number, "{}")
    report.added = writer.flush()
    return report


# --- The worker's side -----------------------------------------------------------------------------


class ImportSupersededError(Exception):
    """Another run of the same import committed further than this one."""


def campaign_import_process(*, campaign_id: int) -> str:
    """Import a pending campaign file (task entry point). Each batch commits with its
    progress under a lock on the campaign row; a repeat or a concurrent run resumes from
    the committed progress, or stops when another run got further. Returns the final
    state; safe to repeat."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.import_state not in (Campaign.ImportState.PENDING, Campaign.ImportState.RUNNING):
        return campaign.import_state if campaign else "missing"
    Campaign.objects.filter(pk=campaign_id, import_state=Campaign.ImportState.PENDING).update(
        import_state=Campaign.ImportState.RUNNING,
        import_report={**campaign.import_report, "state": Campaign.ImportState.RUNNING},
    )
    campaign.refresh_from_db()
    resume = campaign.import_report if campaign.import_report.get("rows_done") else None
    expected = campaign.import_report.get("rows_expected")
    progress = {"rows_done": resume["rows_done"] if resume else 0}

    def commit_batch(writer: RecipientWriter, report: ImportReport, rows_done: int, header: Header) -> None:
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
            if (
                locked is None
                or locked.import_state != Campaign.ImportState.RUNNING
                or locked.import_report.get("rows_done", 0) != progress["rows_done"]
            ):
                raise ImportSupersededError()
            report.added += writer.flush()
            locked.import_report = report.as_dict(
                Campaign.ImportState.RUNNING, rows_done=rows_done, rows_expected=expected
            )
            locked.usable_tags = header.usable_tags
            locked.save(update_fields=["import_report", "usable_tags", "updated_at"])
        progress["rows_done"] = rows_done

    try:
        path = Path(campaign.import_file.path) if campaign.import_file else None
        if path is None or not path.exists():
            raise file_error("The uploaded file is gone.", "file_missing")
        checked = check_upload(path)
        _, report = import_file(campaign=campaign, path=path, checked=checked, resume=resume, on_batch=commit_batch)
    except ImportSupersededError:
        return "superseded" if Campaign.objects.filter(pk=campaign_id).exists() else "missing"
    except (InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError) as exc:
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
            if locked is None:  # deleted meanwhile
                return "missing"
            locked.import_state = Campaign.ImportState.FAILED
            locked.import_report = {**locked.import_report, "state": Campaign.ImportState.FAILED, "error": exc.message}
            locked.save(update_fields=["import_state", "import_report", "updated_at"])
        _discard_file(campaign_id)
        return Campaign.ImportState.FAILED
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if locked is None:
            return "missing"
        if locked.import_state == Campaign.ImportState.RUNNING:
            locked.import_state = Campaign.ImportState.DONE
            locked.import_report = report.as_dict(
                Campaign.ImportState.DONE, rows_done=progress["rows_done"], rows_expected=expected
            )
            locked.save(update_fields=["import_state", "import_report", "updated_at"])
    _discard_file(campaign_id)
    return Campaign.ImportState.DONE


def _discard_file(campaign_id: int) -> None:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None and campaign.import_file:
        campaign.import_file.delete(save=False)
        Campaign.objects.filter(pk=campaign_id).update(import_file="")
