"""Checks on an uploaded recipient file before any parser sees it (docs/api/API_CONTRACT.md §2).

Size, type by content (never by name), zip member count / inflation ratio / real
inflated size, XML entity declarations (defusedxml), and the cheap row count that
decides between importing in the request and in a worker.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from django.conf import settings

from tingting.errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError

XLSX, CSV = "xlsx", "csv"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGICS = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"ID3",
    b"RIFF",
    b"OggS",
    b"\x7fELF",
    b"MZ",
)


class ImportFileError(InvalidInputError):
    default_code = "invalid_file"


def file_error(message: str, code: str = "invalid_file") -> ImportFileError:
    return ImportFileError(message, code=code, field="send_to_number_file")


# --- Checking the upload, before any parser sees it ----------------------------------------------


@dataclass
class CheckedFile:
    kind: str  # XLSX or CSV
    expected_rows: int | None  # data rows (without header) when cheaply known
    delimiter: str = ","
    sheet_bytes: int | None = None  # the first sheet part's inflated size (xlsx)
    strings_bytes: int = 0  # the shared strings part's inflated size (xlsx)


def check_upload(path: Path) -> CheckedFile:
    """Size, type by content, zip-bomb and XML checks. Raises 400/413/415 domain errors."""
    size = path.stat().st_size
    if size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise PayloadTooLargeError(
            f"The file is larger than {settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            field="send_to_number_file",
        )
    if size == 0:
        raise file_error("The file is empty.", "empty_file")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _check_xlsx(path)
    if head.startswith(_OLE_MAGIC):
        # An OLE container: a password-protected .xlsx (it holds an "EncryptedPackage"
        # stream) or a legacy binary file such as .xls.
        if "EncryptedPackage".encode("utf-16-le") in path.read_bytes():
            raise file_error(
                "The workbook is encrypted (password protected); save it without a password.", "encrypted_file"
            )
        raise UnsupportedMediaTypeError(
            "Legacy .xls (and other binary Office) files are not supported; save the sheet as .xlsx or as CSV.",
            field="send_to_number_file",
        )
    if head.startswith(b"PK") or head.startswith(_BINARY_MAGICS):
        raise UnsupportedMediaTypeError(
            "send_to_number_file must be an .xlsx workbook or a UTF-8 .csv file.", field="send_to_number_file"
        )
    return _check_csv(path)


def _check_xlsx(path: Path) -> CheckedFile:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise file_error("The .xlsx file is damaged (not a readable zip archive).", "broken_file") from exc
    with zf:
        members = zf.infolist()
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise UnsupportedMediaTypeError(
                "The zip archive is not an .xlsx workbook; send an .xlsx or a UTF-8 .csv file.",
                field="send_to_number_file",
            )
        _check_zip_inflation(zf, members)
        rows, sheet_bytes = _xlsx_first_sheet(zf)
        return CheckedFile(XLSX, rows, sheet_bytes=sheet_bytes, strings_bytes=_shared_strings_bytes(zf))


def _shared_strings_bytes(zf: zipfile.ZipFile) -> int:
    """The shared strings part's inflated size (verified by the inflation check), refused
    past IMPORT_MAX_SHARED_STRINGS_BYTES: every reader loads the whole part, so a small
    upload whose strings inflate to hundreds of MB would grow the process by as much,
    and a worker keeps what it grew."""
    _, rels = parse_workbook(zf)
    names = set(zf.namelist())
    size = 0
    for rel in rels.iter():
        target = rel.get("Target") or ""
        if rel.get("Type", "").endswith("/sharedStrings") and target:
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if member in names:
                size += zf.getinfo(member).file_size
    limit = settings.IMPORT_MAX_SHARED_STRINGS_BYTES
    if size > limit:
        raise PayloadTooLargeError(
            f"The workbook's shared strings inflate to more than {limit // (1024 * 1024)} MB"
            " (IMPORT_MAX_SHARED_STRINGS_BYTES); split the file or save it as CSV.",
            code="too_many_strings",
            field="send_to_number_file",
        )
    return size


def _check_zip_inflation(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    """Zip-bomb checks on the declared sizes, then a bounded streaming inflate of every
    member that verifies the real sizes (a header that lies fails the CRC / end check)."""
    if len(members) > settings.IMPORT_MAX_ZIP_MEMBERS:
        raise file_error(f"The workbook has more than {settings.IMPORT_MAX_ZIP_MEMBERS} parts.", "zip_bomb")
    total = sum(m.file_size for m in members)
    if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise PayloadTooLargeError(
            "The workbook inflates to more than the allowed size.", code="zip_bomb", field="send_to_number_file"
        )
    for member in members:
        if member.flag_bits & 0x1:
            raise file_error("The workbook is encrypted; save it without a password.", "encrypted_file")
        if member.file_size > 1024 * 1024 and member.file_size > settings.IMPORT_MAX_ZIP_RATIO * max(
            member.compress_size, 1
        ):
            raise PayloadTooLargeError(
                "The workbook inflates far more than a real spreadsheet does.",
                code="zip_bomb",
                field="send_to_number_file",
            )
    inflated = 0
    try:
        for member in members:
            with zf.open(member) as fh:
                while chunk := fh.read(1 << 20):
                    inflated += len(chunk)
                    if inflated > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
                        raise PayloadTooLargeError(
                            "The workbook inflates to more than the allowed size.",
                            code="zip_bomb",
                            field="send_to_number_file",
                        )
                decompressor = getattr(fh, "_decompressor", None)
                if (
                    member.compress_type == zipfile.ZIP_DEFLATED
                    and decompressor is not None
                    and not getattr(decompressor, "eof", True)
                ):
                    raise PayloadTooLargeError(
                        "A workbook part is larger than its header says.", code="zip_bomb", field="send_to_number_file"
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise file_error("The .xlsx file is damaged.", "broken_file") from exc


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+(?::[A-Z]+(\d+))?\"")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _xlsx_first_sheet(zf: zipfile.ZipFile) -> tuple[int | None, int | None]:
    """Data rows of the first sheet from its ``<dimension>`` (cheap: no full parse), or None,
    and the sheet part's inflated size (verified by the inflation check), or None.
    Parses workbook.xml and its rels with defusedxml: a DTD / entity bomb is refused here."""
    workbook, rels = parse_workbook(zf)
    sheet = next((el for el in workbook.iter() if el.tag.endswith("}sheet") or el.tag == "sheet"), None)
    if sheet is None:
        raise file_error("The workbook has no sheet.", "empty_file")
    rel_id = sheet.get(_REL_NS)
    target = next((el.get("Target") for el in rels.iter() if el.get("Id") == rel_id), None)
    if not target:
        return None, None
    member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    try:
        sheet_bytes = zf.getinfo(member).file_size
        with zf.open(member) as fh:
            head = fh.read(64 * 1024)
    except KeyError:
        return None, None
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise file_error(
            "The workbook contains XML entity declarations, which are not allowed.", "xml_entities_forbidden"
        )
    match = _DIMENSION.search(head)
    if not match:
        return None, sheet_bytes
    last_row = int(match.group(1) or 1)
    return max(last_row - 1, 0), sheet_bytes


def parse_workbook(zf: zipfile.ZipFile):
    """workbook.xml and its rels, parsed with defusedxml (both readers start here):
    a DTD or entity declaration is a 400, and so is a missing or unreadable part."""
    try:
        return (
            SafeET.fromstring(read_small_part(zf, "xl/workbook.xml")),
            SafeET.fromstring(read_small_part(zf, "xl/_rels/workbook.xml.rels")),
        )
    except DefusedXmlException as exc:
        raise file_error(
            "The workbook contains XML entity declarations, which are not allowed.", "xml_entities_forbidden"
        ) from exc
    except (SafeET.ParseError, KeyError, ValueError) as exc:
        raise file_error("The .xlsx file is damaged (its workbook part is unreadable).", "broken_file") from exc


def read_small_part(zf: zipfile.ZipFile, name: str, limit: int = 4 * 1024 * 1024) -> bytes:
    """A workbook part that should be small, read whole; larger than ``limit`` is a damaged file."""
    with zf.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise file_error(f"The workbook part {name} is unreasonably large.", "broken_file")
    return data


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0c") + b"\x7f"


def _looks_binary(head: bytes) -> bool:
    """Text in any encoding has almost no control bytes; binary data has many."""
    return len(head.translate(None, _CONTROL_BYTES)) < len(head) * 0.98


def _check_csv(path: Path) -> CheckedFile:
    """Decode the whole file as UTF-8 (BOM allowed) and count its lines."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    lines = 0
    first_line = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            if b"\x00" in chunk or (not lines and _looks_binary(chunk[:8192])):
                raise UnsupportedMediaTypeError(
                    "send_to_number_file must be an .xlsx workbook or a UTF-8 .csv file.", field="send_to_number_file"
                )
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise file_error('The CSV file is not UTF-8 text; save it as "CSV UTF-8".', "not_utf8") from exc
            if len(first_line) < 64 * 1024:
                first_line += chunk[: 64 * 1024]
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise file_error('The CSV file is not UTF-8 text; save it as "CSV UTF-8".', "not_utf8") from exc
    header = first_line.split(b"\n", 1)[0]
    delimiter = max(",;\t|", key=lambda d: header.count(d.encode()))
    if header.count(delimiter.encode()) == 0:
        delimiter = ","
    ends_with_newline = first_line.endswith(b"\n") or lines > 0
    return CheckedFile(CSV, max(lines - (1 if ends_with_newline else 0), 0), delimiter)


def too_many_rows() -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The file has more than {settings.IMPORT_MAX_ROWS:,} rows.", code="too_many_rows", field="send_to_number_file"
    )
