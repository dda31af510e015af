"""Reading the first sheet of an .xlsx: python-calamine for small sheets, a streaming
reader for large ones.

python-calamine builds the whole sheet in memory before it returns the first row (its
``iter_rows`` walks a finished range; upstream dimastbk/python-calamine#42), about 1.7×
the sheet's XML size on top of the process: ~250 MB for a million rows of three columns.
The streaming reader inflates the sheet part out of the zip and parses it with expat as it
goes, so its memory is the shared strings plus one row. calamine parses in Rust and is
about twice as fast, so it keeps the sheets whose whole-sheet load is cheap; the switch
is the sheet part's inflated size, which the upload checks have already verified (the
row count may be missing or wrong: ``<dimension>`` is optional).

Both give the same rows: from the sheet's first row to its last non-empty one (blank
rows as empty rows), from the leftmost non-empty column on, numbers
as floats, dates / times / durations as Python objects by the cell's number format,
shared and inline strings as text, booleans, formula results, error cells as "".
The streaming reader does not pad a row on the right (a missing cell reads as empty), so
it finds a row wider than ``IMPORT_MAX_COLUMNS`` when it reaches it rather than up front;
it refuses rows or cells out of order (the format requires ascending order; calamine
sorts them) as a damaged file.
Its XML is refused if it has a DTD, the only place an entity can be declared; defusedxml
cannot be used for it since it forces the pure-Python ElementTree parser, several
times slower, and expat already fails on any undeclared entity.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import posixpath
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

import python_calamine
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from django.conf import settings

from tingting.errors import PayloadTooLargeError
from tingting.spreadsheets.checks import file_error, parse_workbook, read_small_part, too_many_rows

__all__ = ["iter_xlsx_rows", "iter_calamine_rows", "iter_streamed_rows", "count_xlsx_rows", "uses_streaming"]

_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CHUNK = 1 << 16


def uses_streaming(sheet_bytes: int | None, strings_bytes: int = 0) -> bool:
    """Stream sheets whose XML, with the shared strings calamine loads beside it,
    inflates past ``IMPORT_STREAM_SHEET_BYTES``: calamine would hold ~1.7× that in
    memory (32 MB of XML ≈ 220,000 rows of three columns)."""
    return sheet_bytes is not None and sheet_bytes + strings_bytes > settings.IMPORT_STREAM_SHEET_BYTES


def iter_xlsx_rows(path: Path, *, sheet_bytes: int | None, strings_bytes: int = 0) -> Iterator[list]:
    if uses_streaming(sheet_bytes, strings_bytes):
        return iter_streamed_rows(path)
    return iter_calamine_rows(path)


def count_xlsx_rows(path: Path, *, sheet_bytes: int | None, strings_bytes: int = 0) -> int:
    """Data rows of the first sheet (without the header)."""
    if uses_streaming(sheet_bytes, strings_bytes):
        return max(_streamed_height(path) - 1, 0)
    with _calamine_errors():
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            return max(workbook.get_sheet_by_index(0).height - 1, 0)
        finally:
            workbook.close()


class _calamine_errors:
    """calamine's exceptions → the import's 400s."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None:
            return False
        if isinstance(exc, python_calamine.PasswordError):
            raise file_error("The workbook is encrypted; save it without a password.", "encrypted_file") from exc
        if isinstance(exc, python_calamine.CalamineError | ValueError | OSError):
            raise file_error(f"The .xlsx file cannot be read: {str(exc)[:200]}", "broken_file") from exc
        if kind.__name__ == "PanicException":  # pyo3 raises calamine's panics as a BaseException
            raise file_error("The .xlsx file is damaged.", "broken_file") from exc
        return False


def iter_calamine_rows(path: Path) -> Iterator[list]:
    workbook = None
    with _calamine_errors():
        try:
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
            sheet = workbook.get_sheet_by_index(0)
            if sheet.start is None or sheet.height == 0:
                raise file_error("The file has no rows.", "empty_file")
            if sheet.height > settings.IMPORT_MAX_ROWS + 1:
                raise too_many_rows()
            yield from sheet.iter_rows()
        finally:
            if workbook is not None:
                workbook.close()


# --- The streaming reader --------------------------------------------------------------------------


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise file_error("The .xlsx file is damaged (not a readable zip archive).", "broken_file") from exc


def iter_streamed_rows(path: Path, *, check_width: bool = True) -> Iterator[list]:
    """Rows of the first sheet, parsed while its part is inflated (see the module doc)."""
    with _open_zip(path) as zf:
        parts = _workbook_parts(zf)
        shared = _shared_strings(zf, parts.shared_strings) if parts.shared_strings else []
        formats = _cell_formats(zf, parts.styles) if parts.styles else []
        reader = _SheetReader(shared, formats, parts.is_1904)
        max_columns = settings.IMPORT_MAX_COLUMNS if check_width else math.inf
        rows = reader.rows(zf, parts.sheet)
        leading = 0  # blank rows before the first non-empty one
        first = next(rows, None)
        while first == []:
            leading += 1
            first = next(rows, None)
        if first is None:
            raise file_error("The file has no rows.", "empty_file")
        # Columns start at the leftmost non-empty cell of the whole sheet: column A when the
        # first non-empty row has a cell there, else a counting pass finds it (rare).
        offset = 0
        if first[0] == "":
            starts: list[int] = []
            for _ in reader.rows(zf, parts.sheet, starts):
                pass
            offset = min(starts)
        for row in itertools.chain(([] for _ in range(leading)), (first,), rows):
            if offset:
                row = row[offset:]
            if len(row) > max_columns:
                raise PayloadTooLargeError(
                    f"The file has more than {settings.IMPORT_MAX_COLUMNS} columns.",
                    code="too_many_columns",
                    field="send_to_number_file",
                )
            yield row


def _streamed_height(path: Path) -> int:
    """Rows from the first non-empty one to the last, as calamine's ``height``. Only which
    cells hold something matters here, so the shared strings are not loaded."""
    with _open_zip(path) as zf:
        parts = _workbook_parts(zf)
        total = leading = 0
        for row in _SheetReader(_AnyString(), [], parts.is_1904).rows(zf, parts.sheet):
            total += 1
            if row == [] and leading == total - 1:
                leading = total
        return total - leading


class _AnyString:
    """Stands in for the shared strings when only a cell's presence counts."""

    def __getitem__(self, index: int) -> str:
        return ""


_MISSING = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()


class _Parts:
    sheet: str
    shared_strings: str | None = None
    styles: str | None = None
    is_1904: bool = False


def _part_path(target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def _workbook_parts(zf: zipfile.ZipFile) -> _Parts:
    """The first sheet, shared strings and styles parts from workbook.xml and its rels
    (small parts: defusedxml parses them)."""
    parts = _Parts()
    workbook, rels = parse_workbook(zf)
    sheet = next((el for el in workbook.iter() if _local(el.tag) == "sheet"), None)
    if sheet is None:
        raise file_error("The workbook has no sheet.", "empty_file")
    pr = next((el for el in workbook.iter() if _local(el.tag) == "workbookPr"), None)
    parts.is_1904 = pr is not None and pr.get("date1904", "").lower() in ("1", "true")
    targets = {el.get("Id"): el for el in rels.iter() if _local(el.tag) == "Relationship"}
    sheet_rel = targets.get(sheet.get(_REL_ID))
    if sheet_rel is None or not sheet_rel.get("Target"):
        raise file_error("The .xlsx file is damaged (its first sheet is missing).", "broken_file")
    parts.sheet = _part_path(sheet_rel.get("Target"))
    for rel in targets.values():
        kind, target = rel.get("Type", ""), rel.get("Target")
        if target and kind.endswith("/sharedStrings"):
            parts.shared_strings = _part_path(target)
        elif target and kind.endswith("/styles"):
            parts.styles = _part_path(target)
    names = set(zf.namelist())
    for attr in ("shared_strings", "styles"):
        if getattr(parts, attr) not in names:
            setattr(parts, attr, None)
    return parts


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# Number formats python-calamine reads as dates (its rules, so both readers agree).
_BUILTIN_DATETIME = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47}
_BUILTIN_DURATION = {46}
_DATETIME, _DURATION = 1, 2


def _custom_format_kind(code: str) -> int:
    escaped = is_quote = hms = ap = False
    brackets = 0
    prev = " "
    for s in code:
        if escaped:
            escaped = False
        elif s in "_\\":
            escaped = True
        elif is_quote:
            if s == '"':
                is_quote = False
        elif s == '"':
            is_quote = True
        elif s == ";":
            return 0
        elif s == "[":
            brackets += 1
        elif s == "]" and brackets == 1 and hms:
            return _DURATION
        elif s == "]":
            brackets = max(brackets - 1, 0)
        elif s in "aA" and not ap and brackets == 0:
            ap = True
        elif brackets == 0 and (s in "pm/PM" if ap else s in "dmhysDMHYS"):
            return _DATETIME
        elif not (hms and s.lower() == prev.lower()):
            hms = prev == "[" and s in "mhsMHS"
        prev = s
    return 0


def _cell_formats(zf: zipfile.ZipFile, name: str) -> list[int]:
    """Per cell style index (``s``): 0, _DATETIME or _DURATION."""
    try:
        root = SafeET.fromstring(read_small_part(zf, name, 16 * 1024 * 1024))
    except DefusedXmlException as exc:
        raise file_error(
            "The workbook contains XML entity declarations, which are not allowed.", "xml_entities_forbidden"
        ) from exc
    except SafeET.ParseError as exc:
        raise file_error("The .xlsx file is damaged (its styles part is unreadable).", "broken_file") from exc
    custom: dict[int, int] = {}
    kinds: list[int] = []
    for el in root:
        tag = _local(el.tag)
        if tag == "numFmts":
            for fmt in el:
                try:
                    custom[int(fmt.get("numFmtId", ""))] = _custom_format_kind(fmt.get("formatCode", ""))
                except ValueError:
                    continue
        elif tag == "cellXfs":
            for xf in el:
                try:
                    fmt_id = int(xf.get("numFmtId", "0"))
                except ValueError:
                    fmt_id = 0
                if fmt_id in custom:
                    kinds.append(custom[fmt_id])
                else:
                    kinds.append(
                        _DATETIME if fmt_id in _BUILTIN_DATETIME else _DURATION if fmt_id in _BUILTIN_DURATION else 0
                    )
    return kinds


class _NoDTD:
    """Feeds expat while refusing a DTD (the only place entities can be declared)."""

    def __init__(self, parser) -> None:
        parser.StartDoctypeDeclHandler = self._refuse
        parser.EntityDeclHandler = self._refuse

    @staticmethod
    def _refuse(*_args) -> None:
        raise file_error(
            "The workbook contains XML entity declarations, which are not allowed.", "xml_entities_forbidden"
        )


def _feed(zf: zipfile.ZipFile, name: str, parser) -> Iterator[None]:
    """Inflate ``name`` chunk by chunk into ``parser``; yields after each chunk."""
    _NoDTD(parser)
    try:
        with zf.open(name) as fh:
            while chunk := fh.read(_CHUNK):
                parser.Parse(chunk, False)
                yield
            parser.Parse(b"", True)
            yield
    except expat.ExpatError as exc:
        raise file_error(f"The .xlsx file is damaged ({name}: {exc}).", "broken_file") from exc
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise file_error("The .xlsx file is damaged.", "broken_file") from exc


def _new_parser():
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = _CHUNK
    return parser


def _shared_strings(zf: zipfile.ZipFile, name: str) -> list[str]:
    """Each ``<si>``'s text: its ``<t>`` runs joined, phonetic runs (``<rPh>``) left out."""
    strings: list[str] = []
    parts: list[str] = []
    state = {"t": False, "rph": 0}

    def start(tag, _attrs):
        tag = tag.rpartition(":")[2]
        if tag == "t":
            state["t"] = not state["rph"]
        elif tag == "rPh":
            state["rph"] += 1

    def end(tag):
        tag = tag.rpartition(":")[2]
        if tag == "t":
            state["t"] = False
        elif tag == "rPh":
            state["rph"] -= 1
        elif tag == "si":
            strings.append("".join(parts))
            parts.clear()

    def data(text):
        if state["t"]:
            parts.append(text)

    parser = _new_parser()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    for _ in _feed(zf, name, parser):
        pass
    return strings


_COLUMNS: dict[str, int] = {}


def _column(letters: str) -> int:
    index = _COLUMNS.get(letters)
    if index is None:
        if not letters or not letters.isalpha() or not letters.isascii() or len(letters) > 3:
            raise file_error(f"The .xlsx file is damaged (cell reference {letters!r}).", "broken_file")
        index = 0
        for char in letters.upper():
            index = index * 26 + ord(char) - 64
        index -= 1
        _COLUMNS[letters] = index
    return index


_EPOCH = dt.datetime(1899, 12, 30)
_DIGITS = "0123456789"
_C, _V, _IS, _T, _ROW, _RPH, _OTHER = range(7)
_KINDS = {"c": _C, "v": _V, "is": _IS, "t": _T, "row": _ROW, "rPh": _RPH}


class _Kinds(dict):
    """Element name → kind, namespace prefix ignored (``x:c`` is ``c``)."""

    def __missing__(self, name: str) -> int:
        kind = _KINDS.get(name.rpartition(":")[2], _OTHER)
        self[name] = kind
        return kind


class _SheetReader:
    """expat handlers that turn ``<sheetData>`` into rows of absolute columns; a column
    with no cell holds ``_MISSING``."""

    def __init__(self, shared: list[str], formats: list[int], is_1904: bool) -> None:
        self.shared, self.formats, self.is_1904 = shared, formats, is_1904

    def _number(self, text: str, style: str | None):
        try:
            value = float(text)
        except ValueError as exc:
            raise file_error(f"The .xlsx file is damaged (number {text[:20]!r}).", "broken_file") from exc
        if style is None or not self.formats:
            return value
        try:
            kind = self.formats[int(style)]
        except (ValueError, IndexError):
            return value
        if kind == _DATETIME:
            return self._datetime(value)
        if kind == _DURATION:
            try:
                return dt.timedelta(milliseconds=round(value * 86_400_000))
            except (OverflowError, ValueError):
                return value
        return value

    def _datetime(self, value: float):
        days = value + 1462 if self.is_1904 else value
        if days < 60:  # Excel's day 60 is 1900-02-29, which never was
            days += 1
        try:
            moment = _EPOCH + dt.timedelta(milliseconds=round(days * 86_400_000))
        except (OverflowError, ValueError):
            return value
        if value < 1:
            return moment.time()
        if math.isfinite(value) and value == int(value):
            return moment.date()
        return moment

    def _value(self, kind: str | None, text: str, style: str | None):
        if kind is None or kind == "n":
            return self._number(text, style) if text else _MISSING
        if kind == "s":
            try:
                return self.shared[int(text)]
            except (ValueError, IndexError) as exc:
                raise file_error("The .xlsx file is damaged (shared string index).", "broken_file") from exc
        if kind in ("str", "inlineStr"):
            return text
        if kind == "b":
            return text != "0" if text else _MISSING
        if kind == "e":
            return ""
        if kind == "d":
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                return text
            return moment.date() if moment.time() == dt.time() and "T" not in text else moment
        return self._number(text, style) if text else _MISSING

    def rows(self, zf: zipfile.ZipFile, name: str, starts: list[int] | None = None) -> Iterator[list]:
        """Rows from the sheet's first row to its last non-empty one, gaps filled with "",
        blank rows as [] (python-calamine's ``iter_rows`` also starts at the first row).
        ``starts`` collects each non-empty row's first column."""
        ready: list[list] = []
        kinds = _Kinds()
        value_of = self._value
        shared = self.shared
        plain_numbers = not self.formats  # no styles: a number is never a date
        columns = _COLUMNS
        # Parse state lives in the closures' cells: expat calls these per element.
        row: list = []
        row_index = emitted = col = row_start = -1  # emitted: index of the last row handed out
        cell_type = cell_style = text = None
        collecting = in_is = has_v = has_is = False
        rph = 0

        def start(tag, attrs):
            nonlocal row_index, col, cell_type, cell_style, collecting, in_is, has_v, has_is, rph, text
            kind = kinds[tag]
            if kind == _C:
                ref = attrs.get("r")
                if ref:
                    letters = ref.rstrip(_DIGITS)
                    col = columns.get(letters)
                    if col is None:
                        col = _column(letters)
                else:
                    col += 1
                cell_type = attrs.get("t")
                cell_style = attrs.get("s")
                text = None
                has_v = has_is = False
            elif kind == _V:
                collecting = has_v = True
            elif kind == _T:
                collecting = in_is and not rph
            elif kind == _IS:
                in_is = has_is = True
            elif kind == _ROW:
                ref = attrs.get("r")
                try:
                    row_index = int(ref) - 1 if ref else row_index + 1
                except ValueError as exc:
                    raise file_error(f"The .xlsx file is damaged (row {ref[:20]!r}).", "broken_file") from exc
                col = -1
            elif kind == _RPH:
                rph += 1

        def end(tag):
            nonlocal collecting, in_is, rph, row, emitted, row_start
            kind = kinds[tag]
            if kind in (_V, _T):
                collecting = False
            elif kind == _C:
                if cell_type is None and text is not None and (plain_numbers or cell_style is None):
                    try:
                        value = float(text)
                    except ValueError:
                        value = value_of(cell_type, text, cell_style)
                elif cell_type == "s" and text is not None:
                    try:
                        value = shared[int(text)]
                    except (ValueError, IndexError):
                        value = value_of(cell_type, text, cell_style)
                elif cell_type == "inlineStr":
                    value = (text or "") if has_is else _MISSING
                elif text is not None:
                    value = value_of(cell_type, text, cell_style)
                else:  # <v/>: an empty string for text types, nothing for the others
                    value = "" if has_v and cell_type in ("s", "str", "e") else _MISSING
                if value is not _MISSING:
                    width = len(row)
                    if col == width:
                        row.append(value)
                    elif col > width:
                        row.extend([""] * (col - width))
                        row.append(value)
                    else:
                        raise file_error("The .xlsx file is damaged (cells out of order).", "broken_file")
                    if row_start < 0:
                        row_start = col
            elif kind == _IS:
                in_is = False
            elif kind == _ROW:
                if row:
                    if row_index <= emitted:
                        raise file_error("The .xlsx file is damaged (rows out of order).", "broken_file")
                    ready.extend([] for _ in range(row_index - emitted - 1))
                    ready.append(row)
                    if starts is not None:
                        starts.append(row_start)
                    emitted = row_index
                    row = []
                row_start = -1
            elif kind == _RPH:
                rph -= 1

        def data(chunk):
            nonlocal text
            if collecting:
                text = chunk if text is None else text + chunk

        parser = _new_parser()
        parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
        for _ in _feed(zf, name, parser):
            if ready:
                yield from ready
                ready.clear()
