"""The header row of a recipient file: which column holds the number, which become tags.

Header cells are normalised by ``tingting.spreadsheets.headers`` (any script: ``जिल्ला``
becomes the tag ``tags_जिल्ला``). The number column is the first one named like a
number (English or Nepali: ``number``, ``mobile``, ``फोन``, ``फोन नम्बर``, ``मोबाइल``,
``नम्बर`` ...); without one, the first column whose cells in the first data rows are
phone numbers. ``Header.columns`` tells the import report which was used and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from tingting.errors import PayloadTooLargeError
from tingting.phones import InvalidPhoneNumber, to_e164
from tingting.spreadsheets import file_error
from tingting.spreadsheets.headers import header_name, is_number_header

# Data rows looked at to find the number column when no header names it.
SAMPLE_ROWS = 20


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def normalise_column(name: object) -> str:
    """``" First Name "`` → ``first_name``, ``"फोन नम्बर"`` → ``फोन_नम्बर``; a leading
    ``tags_`` is dropped (it is added back)."""
    text = header_name(cell_text(name))
    return text[5:] if text.startswith("tags_") else text


@dataclass
class Header:
    number_index: int
    tags: list[tuple[int, str]]  # (column index, "tags_<name>")
    # For the import report: the number column and how it was found, each tag's header.
    columns: dict = field(default_factory=dict)

    @property
    def usable_tags(self) -> list[str]:
        return [name for _, name in self.tags]


def _is_phone(value: object) -> bool:
    text = cell_text(value)
    if not text:
        return False
    try:
        to_e164(text)
    except InvalidPhoneNumber:
        return False
    return True


def _column_of_numbers(sample: list[list]) -> int | None:
    """The first column where most non-empty cells of ``sample`` are phone numbers."""
    width = max((len(row) for row in sample), default=0)
    for index in range(width):
        cells = [row[index] for row in sample if index < len(row) and cell_text(row[index])]
        if cells and sum(_is_phone(cell) for cell in cells) * 2 > len(cells):
            return index
    return None


def detect_header(row: list, sample: list[list] | None = None) -> Header:
    """The first header named like a number column, else the first column of numbers in
    ``sample`` (the first data rows), else the first column; other named columns become
    tags. Refuses a first row that is data (a phone number where the number header
    should be)."""
    if len(row) > settings.IMPORT_MAX_COLUMNS:
        raise PayloadTooLargeError(
            f"The file has more than {settings.IMPORT_MAX_COLUMNS} columns.",
            code="too_many_columns",
            field="send_to_number_file",
        )
    names = [normalise_column(cell) for cell in row]
    if not any(names):
        raise file_error("The first row must be a header naming the columns (e.g. number, name).", "header_required")
    number_index = next((i for i, n in enumerate(names) if is_number_header(n)), None)
    found_by = "header"
    if number_index is None:
        number_index, found_by = _column_of_numbers(sample or []), "content"
        if number_index is None:
            number_index, found_by = 0, "first_column"
    if _is_phone(row[number_index]) if number_index < len(row) else False:
        raise file_error(
            "The first row must be a header naming the columns (e.g. number, name); it holds a phone number.",
            "header_required",
        )
    tags: list[tuple[int, str]] = []
    seen: set[str] = set()
    tag_columns = []
    for index, name in enumerate(names):
        if index == number_index or not name:
            continue
        tag, suffix = f"tags_{name}", 2
        while tag in seen:
            tag, suffix = f"tags_{name}_{suffix}", suffix + 1
        seen.add(tag)
        tags.append((index, tag))
        tag_columns.append({"column": index + 1, "header": cell_text(row[index]), "tag": tag})
    number_header = cell_text(row[number_index]) if number_index < len(row) else ""
    columns = {
        "number": {"column": number_index + 1, "header": number_header, "found_by": found_by},
        "tags": tag_columns,
    }
    return Header(number_index, tags, columns)
