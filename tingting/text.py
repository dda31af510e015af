"""Names made from what people type, in any script (docs/nepali-input.md).

``word_slug`` is the one normaliser for spreadsheet headers (tag names) and file
names: Django's ``slugify`` and ``[0-9a-z]`` patterns drop Devanagari vowel signs and
the virama (``जिल्ला`` → ``जलल``), which are marks, not letters.
"""

from __future__ import annotations

import unicodedata

# Zero-width (non-)joiners shape Devanagari conjuncts; they are dropped, not separators,
# so a name typed with or without them gives the same slug.
_JOINERS = {"\u200c", "\u200d"}


def word_slug(value: object, *, separator: str = "_") -> str:
    """NFC, case-folded text with the letters, marks and digits of every script kept
    and every run of anything else (spaces, punctuation, symbols) turned into one
    ``separator``, none at either end: ``" फोन नम्बर "`` → ``फोन_नम्बर``,
    ``"First Name"`` → ``first_name``. Stable: a slug is its own slug."""
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", str(value)).casefold())
    out: list[str] = []
    gap = False
    for char in text:
        if char in _JOINERS:
            continue
        if unicodedata.category(char)[0] in "LMN":
            if gap and out:
                out.append(separator)
            gap = False
            out.append(char)
        else:
            gap = True
    return "".join(out)
