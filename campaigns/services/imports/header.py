"""The header row of a recipient file: which column holds the number, which become tags."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from tingting.api.errors import PayloadTooLargeError
from tingting.phones import InvalidPhoneNumber, to_e164
from tingting.spreadsheets import file_error

NUMBER_HEADERS = ("number", "phone", "phone_number", "mobile", "contact")


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def normalise_column(name) -> str:
    """``" First Name "`` → ``first_name``; a leading ``tags_`` is dropped (it is added back)."""
    text = re.sub(r"[^0-9a-z]+", "_", cell_text(name).lower()).strip("_")
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
        to_e164(cell_text(row[number_index]))
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
