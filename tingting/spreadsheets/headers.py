"""Header cells as names (docs/nepali-input.md): the same normalisation and the same
number-column vocabulary for every spreadsheet the apps read (campaign recipients,
the number inventory).

A header is normalised with ``tingting.text.word_slug``: NFC, case-folded, the
letters, marks and digits of every script kept, the rest turned into ``_``. So
``जिल्ला`` stays ``जिल्ला`` and ``फोन नम्बर`` becomes ``फोन_नम्बर``.
"""

from __future__ import annotations

from tingting.text import word_slug

# Normalised names that mark the number column, English and Nepali (Devanagari and the
# common romanised "nambar"). Checked in column order; the first match wins.
NUMBER_HEADERS = frozenset(
    {
        "number",
        "phone",
        "phone_number",
        "phone_no",
        "mobile",
        "mobile_number",
        "mobile_no",
        "contact",
        "contact_number",
        "contact_no",
        "msisdn",
        "nambar",
        "phone_nambar",
        "mobile_nambar",
        "फोन",
        "फोन_नम्बर",
        "फोन_नं",
        "मोबाइल",
        "मोबाइल_नम्बर",
        "मोबाइल_नं",
        "मोबाईल",
        "मोबाईल_नम्बर",
        "नम्बर",
        "सम्पर्क",
        "सम्पर्क_नम्बर",
        "सम्पर्क_नं",
    }
)


def header_name(cell: object) -> str:
    """A header cell as a name: ``" फोन नम्बर "`` → ``फोन_नम्बर``; "" for an empty cell.
    A whole float (a number typed as a header) reads as its digits."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return word_slug(cell)


def is_number_header(name: str) -> bool:
    return name in NUMBER_HEADERS
