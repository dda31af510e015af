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
from tingting.spreadsheets.delimited import iter_csv_rows
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
    "iter_xlsx_rows",
    "read_rows",
    "too_many_rows",
    "uses_streaming",
]


def read_rows(path: Path, checked: CheckedFile) -> Iterator[list]:
    """The rows of a file ``check_upload`` accepted, header included, as lists of cells."""
    if checked.kind == XLSX:
        return iter_xlsx_rows(path, sheet_bytes=checked.sheet_bytes)
    return iter_csv_rows(path, checked.delimiter)
