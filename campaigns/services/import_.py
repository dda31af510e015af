"""Recipient import from an uploaded .xlsx or .csv (API_CONTRACT §2 "Recipients on create").

The file is checked before anything parses it (size, type by content, zip member
count / inflation / total size, XML with defusedxml), then read row by row:
the number column is found from the header, other columns become tags, invalid
rows are reported with the row number a spreadsheet shows, duplicates collapse
(first row wins). Rows are written in batches with COPY on PostgreSQL (bulk_create
elsewhere), never one INSERT per row.

Small files import inside the create request; files over ``IMPORT_SYNC_ROWS``
rows import in a Celery task (``campaigns.import_recipients``) that commits one
batch at a time together with its progress, so a redelivered task resumes where
the last committed batch ended and two concurrent runs cannot both write.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import json
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
import python_calamine
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, Recipient
from tingting.api.errors import (
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from tingting.phones import InvalidPhoneNumber, to_e164

_encode_str = json.encoder.encode_basestring  # the C encoder when available; no ASCII escaping
NUMBER_HEADERS = ("number", "phone", "phone_number", "mobile", "contact")
INVALID_LIST_CAP = 100
XLSX, CSV = "xlsx", "csv"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGICS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf", b"ID3",
                  b"RIFF", b"OggS", b"\x7fELF", b"MZ")


class ImportFileError(InvalidInputError):
    default_code = "invalid_file"


def _file_error(message: str, code: str = "invalid_file") -> ImportFileError:
    return ImportFileError(message, code=code, field="send_to_number_file")


# --- Checking the upload, before any parser sees it ----------------------------------------------


@dataclass
class CheckedFile:
    kind: str  # XLSX or CSV
    expected_rows: int | None  # data rows (without header) when cheaply known
    delimiter: str = ","


def check_upload(path: Path) -> CheckedFile:
    """Size, type by content, zip-bomb and XML checks. Raises 400/413/415 domain errors."""
    size = path.stat().st_size
    if size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise PayloadTooLargeError(
            f"The file is larger than {settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            field="send_to_number_file")
    if size == 0:
        raise _file_error("The file is empty.", "empty_file")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _check_xlsx(path)
    if head.startswith(_OLE_MAGIC):
        # An OLE container: a password-protected .xlsx (it holds an "EncryptedPackage"
        # stream) or a legacy binary file such as .xls.
        if "EncryptedPackage".encode("utf-16-le") in path.read_bytes():
            raise _file_error("The workbook is encrypted (password protected); save it without a password.",
                              "encrypted_file")
        raise UnsupportedMediaTypeError("Legacy .xls (and other binary Office) files are not supported; "
                                        "save the sheet as .xlsx or as CSV.", field="send_to_number_file")
    if head.startswith(b"PK") or head.startswith(_BINARY_MAGICS):
        raise UnsupportedMediaTypeError("send_to_number_file must be an .xlsx workbook or a UTF-8 .csv file.",
                                        field="send_to_number_file")
    return _check_csv(path)


def _check_xlsx(path: Path) -> CheckedFile:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _file_error("The .xlsx file is damaged (not a readable zip archive).", "broken_file") from exc
    with zf:
        members = zf.infolist()
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise UnsupportedMediaTypeError(
                "The zip archive is not an .xlsx workbook; send an .xlsx or a UTF-8 .csv file.",
                field="send_to_number_file")
        _check_zip_inflation(zf, members)
        return CheckedFile(XLSX, _xlsx_first_sheet_rows(zf))


def _check_zip_inflation(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    """Zip-bomb checks on the declared sizes, then a bounded streaming inflate of every
    member that verifies the real sizes (a header that lies fails the CRC / end check)."""
    if len(members) > settings.IMPORT_MAX_ZIP_MEMBERS:
        raise _file_error(f"The workbook has more than {settings.IMPORT_MAX_ZIP_MEMBERS} parts.", "zip_bomb")
    total = sum(m.file_size for m in members)
    if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise PayloadTooLargeError("The workbook inflates to more than the allowed size.", code="zip_bomb",
                                   field="send_to_number_file")
    for member in members:
        if member.flag_bits & 0x1:
            raise _file_error("The workbook is encrypted; save it without a password.", "encrypted_file")
        if member.file_size > 1024 * 1024 and member.file_size > settings.IMPORT_MAX_ZIP_RATIO * max(
                member.compress_size, 1):
            raise PayloadTooLargeError("The workbook inflates far more than a real spreadsheet does.",
                                       code="zip_bomb", field="send_to_number_file")
    inflated = 0
    try:
        for member in members:
            with zf.open(member) as fh:
                while chunk := fh.read(1 << 20):
                    inflated += len(chunk)
                    if inflated > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
                        raise PayloadTooLargeError("The workbook inflates to more than the allowed size.",
                                                   code="zip_bomb", field="send_to_number_file")
                decompressor = getattr(fh, "_decompressor", None)
                if member.compress_type == zipfile.ZIP_DEFLATED and decompressor is not None and not getattr(
                        decompressor, "eof", True):
                    raise PayloadTooLargeError("A workbook part is larger than its header says.",
                                               code="zip_bomb", field="send_to_number_file")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise _file_error("The .xlsx file is damaged.", "broken_file") from exc


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+(?::[A-Z]+(\d+))?\"")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _xlsx_first_sheet_rows(zf: zipfile.ZipFile) -> int | None:
    """Data rows of the first sheet from its ``<dimension>`` (cheap: no full parse), or None.
    Parses workbook.xml and its rels with defusedxml: a DTD / entity bomb is refused here."""
    try:
        workbook = SafeET.fromstring(_read_small(zf, "xl/workbook.xml"))
        sheet = next((el for el in workbook.iter() if el.tag.endswith("}sheet") or el.tag == "sheet"), None)
        if sheet is None:
            raise _file_error("The workbook has no sheet.", "empty_file")
        rel_id = sheet.get(_REL_NS)
        rels = SafeET.fromstring(_read_small(zf, "xl/_rels/workbook.xml.rels"))
        target = next((el.get("Target") for el in rels.iter() if el.get("Id") == rel_id), None)
    except DefusedXmlException as exc:
        raise _file_error("The workbook contains XML entity declarations, which are not allowed.",
                          "xml_entities_forbidden") from exc
    except (SafeET.ParseError, KeyError, ValueError) as exc:
        raise _file_error("The .xlsx file is damaged (its workbook part is unreadable).", "broken_file") from exc
    if not target:
        return None
    member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    try:
        with zf.open(member) as fh:
            head = fh.read(64 * 1024)
    except KeyError:
        return None
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise _file_error("The workbook contains XML entity declarations, which are not allowed.",
                          "xml_entities_forbidden")
    match = _DIMENSION.search(head)
    if not match:
        return None
    last_row = int(match.group(1) or 1)
    return max(last_row - 1, 0)


def _read_small(zf: zipfile.ZipFile, name: str, limit: int = 4 * 1024 * 1024) -> bytes:
    with zf.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _file_error(f"The workbook part {name} is unreasonably large.", "broken_file")
    return data


def _check_csv(path: Path) -> CheckedFile:
    """Decode the whole file as UTF-8 (BOM allowed) and count its lines."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    lines = 0
    first_line = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            if b"\x00" in chunk:
                raise UnsupportedMediaTypeError("send_to_number_file must be an .xlsx workbook or a UTF-8 .csv file.",
                                                field="send_to_number_file")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise _file_error("The CSV file is not UTF-8 text; save it as \"CSV UTF-8\".", "not_utf8") from exc
            if len(first_line) < 64 * 1024:
                first_line += chunk[:64 * 1024]
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _file_error("The CSV file is not UTF-8 text; save it as \"CSV UTF-8\".", "not_utf8") from exc
    header = first_line.split(b"\n", 1)[0]
    delimiter = max(",;\t|", key=lambda d: header.count(d.encode()))
    if header.count(delimiter.encode()) == 0:
        delimiter = ","
    ends_with_newline = first_line.endswith(b"\n") or lines > 0
    return CheckedFile(CSV, max(lines - (1 if ends_with_newline else 0), 0), delimiter)


# --- Reading rows ----------------------------------------------------------------------------------


def _iter_xlsx_rows(path: Path) -> Iterator[list]:
    workbook = None
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        if sheet.start is None or sheet.height == 0:
            raise _file_error("The file has no rows.", "empty_file")
        if sheet.height > settings.IMPORT_MAX_ROWS + 1:
            raise _too_many_rows()
        yield from sheet.iter_rows()
    except python_calamine.PasswordError as exc:
        raise _file_error("The workbook is encrypted; save it without a password.",
                          "encrypted_file") from exc
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        raise _file_error(f"The .xlsx file cannot be read: {str(exc)[:200]}", "broken_file") from exc
    except BaseException as exc:
        # calamine panics on some damaged sheets; pyo3 raises that as a BaseException.
        if type(exc).__name__ == "PanicException":
            raise _file_error("The .xlsx file is damaged.", "broken_file") from exc
        raise
    finally:
        if workbook is not None:
            workbook.close()


def _iter_csv_rows(path: Path, delimiter: str) -> Iterator[list]:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        try:
            yield from csv.reader(fh, delimiter=delimiter)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise _file_error(f"The CSV file cannot be read: {exc}", "broken_file") from exc


def _too_many_rows() -> PayloadTooLargeError:
    return PayloadTooLargeError(f"The file has more than {settings.IMPORT_MAX_ROWS:,} rows.",
                                code="too_many_rows", field="send_to_number_file")


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
        raise PayloadTooLargeError(f"The file has more than {settings.IMPORT_MAX_COLUMNS} columns.",
                                   code="too_many_columns", field="send_to_number_file")
    names = [normalise_column(cell) for cell in row]
    number_index = next((i for i, n in enumerate(names) if n in NUMBER_HEADERS), 0)
    if not any(names):
        raise _file_error("The first row must be a header naming the columns (e.g. number, name).",
                          "header_required")
    try:
        to_e164(_cell_text(row[number_index]))
    except InvalidPhoneNumber:
        pass
    else:
        raise _file_error("The first row must be a header naming the columns (e.g. number, name); "
                          "it holds a phone number.", "header_required")
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


# --- Fast number parsing ---------------------------------------------------------------------------


class NumberParser:
    """``to_e164`` with a fast path for the common case: a national significant number of
    the default region written as plain digits. The fast path is one regular expression
    built from the same ``phonenumbers`` metadata (general pattern and lengths, then any
    number type's pattern and lengths) and only ever accepts what ``phonenumbers``
    accepts; everything else goes through ``to_e164``."""

    _TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
              "voicemail", "fixed_line", "mobile")

    def __init__(self, region: str | None = None) -> None:
        self.region = region or settings.DEFAULT_PHONE_REGION
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(self.region)
        self.prefix = f"+{metadata.country_code}"
        general = metadata.general_desc
        general_lengths = tuple(general.possible_length)
        # Inputs phonenumbers would rewrite (national / international prefix, country code
        # written without +, a leading zero) are left to it.
        excluded = ["0", str(metadata.country_code)]
        for pattern in (metadata.national_prefix_for_parsing, metadata.international_prefix):
            if pattern:
                excluded.append(f"(?:{pattern})")
        alternatives = []
        for name in self._TYPES:
            desc = getattr(metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue
            lengths = tuple(desc.possible_length) or general_lengths
            alternatives.append(f"(?={self._lengths(lengths)})(?:{desc.national_number_pattern})")
        self.fast = None  # fullmatch of plain national digits that phonenumbers accepts
        if general.national_number_pattern and alternatives:
            self.fast = re.compile(
                "".join(f"(?!{e})" for e in excluded)
                + f"(?={self._lengths(general_lengths)})(?=(?:{general.national_number_pattern})$)"
                + "(?:" + "|".join(alternatives) + ")"
            ).fullmatch

    @staticmethod
    def _lengths(lengths: tuple[int, ...]) -> str:
        if not lengths:
            return r"\d+$"
        return "(?:" + "|".join(rf"\d{{{n}}}$" for n in lengths) + ")"

    def parse(self, value) -> str:
        """E.164 or InvalidPhoneNumber."""
        if type(value) is float and value.is_integer():
            value = str(int(value))
        if type(value) is str and self.fast is not None and value.isascii() and self.fast(value):
            return self.prefix + value
        return to_e164(value, region=self.region)


# --- Writing rows ----------------------------------------------------------------------------------


def _copy_text(value) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    elif isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    return _copy_escape(str(value))


def _copy_escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class RecipientWriter:
    """Writes new recipients of one campaign in batches. On PostgreSQL a batch is one COPY
    (text format); when streaming it is fed every ``CHUNK`` rows while the file is still
    being read, so the server inserts while Python parses; ``flush`` ends the COPY. Elsewhere a batch is
    one bulk_create. The other columns and their values come from the model's defaults, so
    fields added later keep working."""

    CHUNK = 5000

    def __init__(self, campaign: Campaign, *, stream: bool = True) -> None:
        self.campaign = campaign
        self.now = timezone.now()
        self.pending: list[str] = []  # "number\ttags" (COPY text) per row, not yet sent
        self.batch_count = 0  # rows added since the last flush
        self.copying = connection.vendor == "postgresql"
        # Streaming keeps a COPY open between rows, so the caller's transaction must span
        # the whole batch; the worker, which opens one per batch at flush time, does not stream.
        self.streaming = stream and self.copying
        self._copy_cm = self._copy = self._cursor = None
        constant_columns, constant_values = [], []
        for f in Recipient._meta.concrete_fields:
            if f.primary_key or f.name in ("number", "tags"):
                continue
            if f.name == "campaign":
                value = campaign.pk
            elif f.name == "created_at":
                value = self.now
            else:
                value = f.get_default()
            constant_columns.append(f.column)
            constant_values.append(value)
        quote = connection.ops.quote_name
        columns = [Recipient._meta.get_field("number").column, Recipient._meta.get_field("tags").column,
                   *constant_columns]
        self.copy_sql = (f"COPY {quote(Recipient._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
                         "FROM STDIN")
        self.line_end = "".join("\t" + _copy_text(v) for v in constant_values) + "\n"

    def add(self, number: str, tags_json: str) -> None:
        self.pending.append(number + "\t" + _copy_escape(tags_json))
        self.batch_count += 1
        if self.streaming and len(self.pending) >= self.CHUNK:
            self._send()

    def _send(self) -> None:
        rows, self.pending = self.pending, []
        if not rows:
            return
        if self._copy is None:
            self._cursor = connection.cursor()
            self._copy_cm = self._cursor.cursor.copy(self.copy_sql)
            self._copy = self._copy_cm.__enter__()
        end = self.line_end
        self._copy.write(end.join(rows) + end)

    def _close(self, exc: BaseException | None = None) -> None:
        copy_cm, cursor = self._copy_cm, self._cursor
        self._copy_cm = self._copy = self._cursor = None
        try:
            if copy_cm is not None:
                copy_cm.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)
        finally:
            if cursor is not None:
                cursor.close()

    def flush(self) -> int:
        """Write what is left of the batch and end it; returns the batch's row count."""
        count, self.batch_count = self.batch_count, 0
        if self.copying:
            self._send()
            self._close()
        elif self.pending:
            rows, self.pending = self.pending, []
            Recipient.objects.bulk_create(
                [Recipient(campaign=self.campaign, number=n, tags=json.loads(_copy_unescape(t)))
                 for n, t in (line.split("\t", 1) for line in rows)],
                batch_size=2000)
        return count

    def abort(self, exc: BaseException) -> None:
        """End an open COPY after an error (the caller's transaction rolls back)."""
        self.pending, self.batch_count = [], 0
        if self._copy_cm is not None:
            with contextlib.suppress(Exception):  # the original error is what matters
                self._close(exc)


def _copy_unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), text)


# --- The import itself -----------------------------------------------------------------------------


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    duplicates: int = 0
    invalid: list[dict] = field(default_factory=list)
    invalid_count: int = 0

    def as_dict(self, state: str, **extra) -> dict:
        return {"state": state, "rows": self.rows, "added": self.added, "duplicates": self.duplicates,
                "invalid": self.invalid, "invalid_count": self.invalid_count, **extra}

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        return cls(data.get("rows", 0), data.get("added", 0), data.get("duplicates", 0),
                   list(data.get("invalid", [])), data.get("invalid_count", 0))

    def reject(self, row: int, value, error: str) -> None:
        self.invalid_count += 1
        if len(self.invalid) < INVALID_LIST_CAP:
            # phonenumbers prefixes its reasons with an error number: "(1) The string ..."
            error = re.sub(r"^\(\d+\)\s*", "", error)
            self.invalid.append({"row": row, "value": _cell_text(value)[:64], "error": error})


def _read_rows(path: Path, checked: CheckedFile) -> Iterator[list]:
    if checked.kind == XLSX:
        return _iter_xlsx_rows(path)
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


def import_file(*, campaign: Campaign, path: Path, checked: CheckedFile, resume: dict | None = None,
                on_batch=None) -> tuple[Header, ImportReport]:
    """Read the file and write its recipients. Without ``on_batch`` everything is written
    in the caller's transaction. With it, ``on_batch(writer, report, rows_done, header)`` is
    called for each full batch and at the end, and must flush the writer and commit (the
    task's resumable mode); ``resume`` is the last committed report, whose rows are skipped."""
    parser = NumberParser()
    parse = parser.parse
    report = ImportReport.from_dict(resume) if resume else ImportReport()
    skip_until = resume.get("rows_done", 0) if resume else 0
    seen: set[int] = set()
    if skip_until:
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
            raise _file_error("The file has no rows.", "empty_file")
        number_index = header.number_index
        # Keys pre-encoded once: '"tags_name":'.
        tag_columns = [(index, _encode_str(name) + ":") for index, name in header.tags]
        row_number = 1
        duplicates = 0
        # The loop below runs once per row of files up to a million rows: the common case
        # (digits of the default region, string / number tags) is inlined on purpose.
        fast, prefix = parser.fast, parser.prefix
        chunk = writer.CHUNK if writer.streaming else batch_rows + 1
        pending = writer.pending
        reported_rows = report.rows
        for row in rows:
            row_number += 1
            rows_done += 1
            if rows_done <= skip_until:
                continue
            if rows_done > max_rows:
                raise _too_many_rows()
            width = len(row)
            value = row[number_index] if number_index < width else None
            if value is None or value == "":
                if any(cell is not None and cell != "" for cell in row):
                    reported_rows += 1
                    report.reject(row_number, "", "the number is empty")
                continue  # a blank line is not a row
            reported_rows += 1
            kind = type(value)
            if kind is float and value.is_integer():
                value = str(int(value))
                kind = str
            if kind is str and fast is not None and value.isascii() and fast(value):
                e164 = prefix + value
            else:
                try:
                    e164 = parse(value)
                except InvalidPhoneNumber as exc:
                    report.reject(row_number, value, str(exc))
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
                    tags_json = _copy_escape(tags_json)
                pending.append(e164 + "\t" + tags_json)
            else:
                pending.append(e164 + "\t{}")
            writer.batch_count += 1
            if len(pending) >= chunk:
                writer._send()
                pending = writer.pending
            if writer.batch_count >= batch_rows:
                report.rows = reported_rows
                report.duplicates += duplicates
                duplicates = 0
                if on_batch is not None:
                    on_batch(writer, report, rows_done, header)
                else:
                    report.added += writer.flush()
                pending = writer.pending
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
        raise InvalidInputError("The file has no valid phone number.", code="no_valid_numbers",
                                field="send_to_number_file",
                                data={"import": report.as_dict("failed")})
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
    if campaign is None or campaign.import_state not in (Campaign.ImportState.PENDING,
                                                         Campaign.ImportState.RUNNING):
        return campaign.import_state if campaign else "missing"
    Campaign.objects.filter(pk=campaign_id, import_state=Campaign.ImportState.PENDING).update(
        import_state=Campaign.ImportState.RUNNING,
        import_report={**campaign.import_report, "state": Campaign.ImportState.RUNNING})
    campaign.refresh_from_db()
    resume = campaign.import_report if campaign.import_report.get("rows_done") else None
    expected = campaign.import_report.get("rows_expected")
    progress = {"rows_done": resume["rows_done"] if resume else 0}

    def commit_batch(writer: RecipientWriter, report: ImportReport, rows_done: int, header: Header) -> None:
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
            if (locked is None or locked.import_state != Campaign.ImportState.RUNNING
                    or locked.import_report.get("rows_done", 0) != progress["rows_done"]):
                raise ImportSupersededError()
            report.added += writer.flush()
            locked.import_report = report.as_dict(Campaign.ImportState.RUNNING, rows_done=rows_done,
                                                  rows_expected=expected)
            locked.usable_tags = header.usable_tags
            locked.save(update_fields=["import_report", "usable_tags", "updated_at"])
        progress["rows_done"] = rows_done

    try:
        path = Path(campaign.import_file.path) if campaign.import_file else None
        if path is None or not path.exists():
            raise _file_error("The uploaded file is gone.", "file_missing")
        checked = check_upload(path)
        _, report = import_file(campaign=campaign, path=path, checked=checked, resume=resume,
                                on_batch=commit_batch)
    except ImportSupersededError:
        return "superseded" if Campaign.objects.filter(pk=campaign_id).exists() else "missing"
    except (InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError) as exc:
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
            if locked is None:  # deleted meanwhile
                return "missing"
            locked.import_state = Campaign.ImportState.FAILED
            locked.import_report = {**locked.import_report, "state": Campaign.ImportState.FAILED,
                                    "error": exc.message}
            locked.save(update_fields=["import_state", "import_report", "updated_at"])
        _discard_file(campaign_id)
        return Campaign.ImportState.FAILED
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if locked is None:
            return "missing"
        if locked.import_state == Campaign.ImportState.RUNNING:
            locked.import_state = Campaign.ImportState.DONE
            locked.import_report = report.as_dict(Campaign.ImportState.DONE, rows_done=progress["rows_done"],
                                                  rows_expected=expected)
            locked.save(update_fields=["import_state", "import_report", "updated_at"])
    _discard_file(campaign_id)
    return Campaign.ImportState.DONE


def _discard_file(campaign_id: int) -> None:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None and campaign.import_file:
        campaign.import_file.delete(save=False)
        Campaign.objects.filter(pk=campaign_id).update(import_file="")
