"""Reading a checked CSV (or other delimited text) file row by row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from tingting.spreadsheets.checks import file_error


def iter_csv_rows(path: Path, delimiter: str) -> Iterator[list]:
    """Rows as lists of strings; a byte-order mark is dropped. Raises ImportFileError
    (``broken_file``) when the text cannot be decoded or parsed."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        try:
            yield from csv.reader(fh, delimiter=delimiter)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise file_error(f"The CSV file cannot be read: {exc}", "broken_file") from exc


def iter_csv_text(text: str, delimiter: str = ",") -> Iterator[list]:
    """Rows of CSV text already in memory (a leading byte-order mark dropped)."""
    return csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
