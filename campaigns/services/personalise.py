"""Personalised messages: ``{tags_x}`` placeholders filled from each recipient's tags.

A placeholder names one of the campaign's ``usable_tags`` (Devanagari names too:
``{tags_जिल्ला}``); an unknown one refuses the begin listing the usable ones. A tag
that is empty for a recipient renders as nothing, and the space it leaves is not
doubled ("नमस्ते {tags_नाम} जी" → "नमस्ते जी"); begin reports how many recipients
have such gaps and the first of them, so the sender can fix the sheet first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from campaigns.models import Recipient
from tingting.errors import InvalidInputError
from tingting.phones import national_display

# A placeholder with the spaces on either side (one each): an empty value takes one away.
PLACEHOLDER = re.compile(r"( ?)\{([^{}\s]*)\}( ?)")
GAP_ROWS = 10  # recipients listed in the begin answer


def placeholders(text: str) -> list[str]:
    return [match.group(2) for match in PLACEHOLDER.finditer(text)]


def _tag_value(tags: dict, name: str) -> str:
    found = tags.get(name, tags.get(name.removeprefix("tags_")))
    return "" if found is None else str(found).strip()


def render_message(text: str, tags: dict) -> str:
    """``{tags_x}`` → the recipient's tag value (keys stored as ``tags_x`` or ``x``);
    an empty value leaves one space where it had one on each side."""

    def value(match: re.Match) -> str:
        before, name, after = match.groups()
        found = _tag_value(tags, name)
        if found:
            return before + found + after
        # One space stays between the words on either side, unless one is already there.
        text, start, end = match.string, match.start(), match.end()
        spaced = (start > 0 and text[start - 1].isspace()) or (end < len(text) and text[end].isspace())
        return " " if before and after and not spaced else ""

    return PLACEHOLDER.sub(value, text)


def check_placeholders(*, usable_tags: list[str], text: str) -> None:
    """InvalidInputError naming the unknown placeholders and listing the usable ones."""
    usable = usable_tags or []
    unknown = [name for name in placeholders(text) if name not in usable]
    if unknown:
        names = ", ".join("{" + name + "}" for name in dict.fromkeys(unknown))
        allowed = ", ".join("{" + name + "}" for name in usable) or "none (the campaign has no tags)"
        raise InvalidInputError(
            f"message uses placeholders that are not usable tags of this campaign: {names}. Usable tags: {allowed}.",
            field="message",
            code="unknown_placeholder",
            data={"usable_tags": list(usable)},
        )


@dataclass
class TagGaps:
    """Recipients of a personalised run with an empty tag the message uses."""

    count: int = 0
    rows: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"count": self.count, "rows": self.rows}


def tag_gaps(*, text: str, targets: list[tuple]) -> TagGaps:
    """Scan ``(id, tags)`` targets for empty tags that ``text`` uses; the first
    ``GAP_ROWS`` are listed with their number (one query for those)."""
    names = list(dict.fromkeys(placeholders(text)))
    gaps = TagGaps()
    first: list[tuple[int, list[str]]] = []
    for recipient_id, tags in targets:
        missing = [name for name in names if not _tag_value(tags or {}, name)]
        if missing:
            gaps.count += 1
            if len(first) < GAP_ROWS:
                first.append((recipient_id, missing))
    if first:
        numbers = dict(Recipient.objects.filter(pk__in=[pk for pk, _ in first]).values_list("id", "number"))
        gaps.rows = [
            {"id": pk, "number": int(national_display(numbers[pk])), "empty_tags": missing} for pk, missing in first
        ]
    return gaps
