"""Campaign-agnostic spreadsheet reading: check an upload (``checks``), then read its rows
with ``read_rows`` whatever its kind (``xlsx`` for workbooks, ``delimited`` for CSV).

Apps own what a row means (campaign recipients, the number inventory); this package
only turns a file into lists of cells.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tingting.spreadsheets.checks import (
    CSV,
    XLSX,
    CheckedFile,
    ImportFileError,
    check_upload,
    file_error,
    too_many_rows,
)
from tingting.spreadsheets.delimited import iter_csv_rows, iter_csv_text
from tingting.spreadsheets.xlsx import count_xlsx_rows, iter_xlsx_rows, uses_streaming

__all__ = [
    "CSV",
    "XLSX",
    "CheckedFile",
    "ImportFileError",
    "check_upload",
    "count_xlsx_rows",
    "file_error",
    "iter_csv_rows",
    "iter_csv_text",
    "iter_xlsx_rows",
    "read_rows",
    "too_many_rows",
    "uses_streaming",
]


def read_rows(source: Path | str, checked: CheckedFile | None = None) -> Iterator[list]:
    """Rows, header included, as lists of cells: of a file ``check_upload`` accepted
    (``source`` a path, ``checked`` its verdict), or of CSV text already in memory
    (``source`` a str, as the number inventory import reads its upload)."""
    if isinstance(source, str):
        return iter_csv_text(source)
    if checked is None:
        raise TypeError("read_rows of a file needs the CheckedFile that check_upload returned")
    if checked.kind == XLSX:
        return iter_xlsx_rows(source, sheet_bytes=checked.sheet_bytes, strings_bytes=checked.strings_bytes)
    return iter_csv_rows(source, checked.delimiter)
