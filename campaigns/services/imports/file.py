"""Recipient import from an uploaded .xlsx or .csv (docs/api/API_CONTRACT.md §2 "Recipients on create").

The file is checked before anything parses it (size, type by content, zip member
count / inflation / total size, XML with defusedxml), then read row by row:
the number column is found from the header, other columns become tags, invalid
rows are reported with the row number a spreadsheet shows, duplicates collapse
(first row wins). Rows are written in batches with COPY on PostgreSQL (bulk_create
elsewhere), never one INSERT per row. The upload checks and readers live in
``tingting.spreadsheets``, the header in ``header``, the phone fast path and the COPY
writer in ``rows``, the worker's resumable side in ``process``.

Small files import inside the create request; files over ``IMPORT_SYNC_ROWS``
rows import in a Celery task (``campaigns.import_recipients``) that commits one
batch at a time together with its progress, so a redelivered task resumes where
the last committed batch ended and two concurrent runs cannot both write.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from campaigns.models import Campaign, Recipient
from campaigns.services.imports.header import SAMPLE_ROWS, Header, cell_text, detect_header
from campaigns.services.imports.rows import NumberParser, RecipientWriter, copy_escape
from tingting.errors import InvalidInputError
from tingting.phones import UNLISTED_WARNING, InvalidPhoneNumber, ParsedNumber
from tingting.spreadsheets import CheckedFile, file_error, read_rows, too_many_rows

_encode_str = json.encoder.encode_basestring  # the C encoder when available; no ASCII escaping
INVALID_LIST_CAP = 100


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


# --- The import itself -----------------------------------------------------------------------------


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    duplicates: int = 0
    invalid: list[dict] = field(default_factory=list)
    invalid_count: int = 0
    # Numbers accepted outside the ranges phonenumbers lists (tingting.phones.parse).
    warnings: list[dict] = field(default_factory=list)
    warnings_count: int = 0
    # Which column held the number and which became which tag (files only).
    columns: dict | None = None

    def as_dict(self, state: str, **extra: object) -> dict:
        report = {
            "state": state,
            "rows": self.rows,
            "added": self.added,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "invalid_count": self.invalid_count,
            "warnings": self.warnings,
            "warnings_count": self.warnings_count,
            **extra,
        }
        if self.columns is not None:
            report["columns"] = self.columns
        return report

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        return cls(
            data.get("rows", 0),
            data.get("added", 0),
            data.get("duplicates", 0),
            list(data.get("invalid", [])),
            data.get("invalid_count", 0),
            list(data.get("warnings", [])),
            data.get("warnings_count", 0),
            data.get("columns"),
        )

    def warn(self, row: int, value: object) -> None:
        self.warnings_count += 1
        if len(self.warnings) < INVALID_LIST_CAP:
            self.warnings.append({"row": row, "value": cell_text(value)[:64], "warning": UNLISTED_WARNING})

    def reject(self, row: int, value: object, error: str) -> None:
        self.invalid_count += 1
        if len(self.invalid) < INVALID_LIST_CAP:
            # phonenumbers prefixes its reasons with an error number: "(1) The string ..."
            error = re.sub(r"^\(\d+\)\s*", "", error)
            self.invalid.append({"row": row, "value": cell_text(value)[:64], "error": error})


def _tag_json(value: Any) -> str | None:
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
    on_batch: Callable[[RecipientWriter, ImportReport, int, Header], None] | None = None,
    skip_existing: bool = False,
) -> tuple[Header, ImportReport]:
    """Read the file and write its recipients. Without ``on_batch`` everything is written
    in the caller's transaction. With it, ``on_batch(writer, report, rows_done, header)`` is
    called for each full batch and at the end, and must flush the writer and commit (the
    task's resumable mode); ``resume`` is the last committed report, whose rows are skipped.
    ``skip_existing``: the campaign has recipients already (a file added later, v1 face);
    their numbers count as duplicates."""
    parser = NumberParser()
    parse = parser.parse_number
    report = ImportReport.from_dict(resume) if resume else ImportReport()
    skip_until = resume.get("rows_done", 0) if resume else 0
    seen: set[int] = set()
    if skip_until or skip_existing:
        seen = {int(n[1:]) for n in Recipient.objects.filter(campaign=campaign).values_list("number", flat=True)}
    writer = RecipientWriter(campaign, stream=on_batch is None)
    batch_rows = settings.IMPORT_BATCH_ROWS
    max_rows = settings.IMPORT_MAX_ROWS
    source = read_rows(path, checked)
    header: Header | None = None
    rows_done = 0  # data rows consumed (blank ones too), for resuming
    try:
        for first in source:
            # The first data rows tell the number column when no header names it.
            sample = list(itertools.islice(source, SAMPLE_ROWS))
            header = detect_header(first, sample)
            break
        if header is None:
            raise file_error("The file has no rows.", "empty_file")
        rows = itertools.chain(sample, source)
        report.columns = header.columns
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
            value: Any = row[number_index] if number_index < width else None  # a cell: str, float, int, ...
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
                    parsed = parse(value)
                except InvalidPhoneNumber as exc:
                    report.reject(rows_done + 1, value, str(exc))
                    continue
                e164 = parsed.e164
                if not parsed.is_valid and int(e164[1:]) not in seen:
                    report.warn(rows_done + 1, value)
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
        close = getattr(source, "close", None)
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


def import_inline(*, campaign: Campaign, numbers: list[ParsedNumber], values: list) -> ImportReport:
    """``individual_number`` (already parsed; ``values`` as sent): duplicates collapse,
    first wins; a number outside the listed ranges is a warning whose ``row`` is its
    1-based position in the list."""
    report = ImportReport(rows=len(numbers))
    for position, (number, value) in enumerate(zip(numbers, values, strict=True), start=1):
        if not number.is_valid:
            report.warn(position, value)
    unique = list(dict.fromkeys(n.e164 for n in numbers))
    report.duplicates = len(numbers) - len(unique)
    writer = RecipientWriter(campaign)
    for e164 in unique:
        writer.add(e164, "{}")
    report.added = writer.flush()
    return report
