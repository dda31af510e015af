"""SMS encoding and segment counting: the one function cost, hold and charge use.

GSM-7 (3GPP TS 23.038): 160 septets in one message, 153 per part of a
concatenated one; characters of the extension table take two septets (ESC +
char) and a pair is never split across parts. Anything outside GSM-7 is sent as
UCS-2: 70 UTF-16 code units alone, 67 per part; a surrogate pair (emoji) is
never split.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def _pack(unit_sizes: list[int], single: int, part: int) -> int:
    total = sum(unit_sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in unit_sizes:
        if used + size > part:
            segments += 1
            used = 0
        used += size
    return segments


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def segment_info(text: str) -> SegmentInfo:
    if is_gsm7(text):
        sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SegmentInfo("GSM-7", sum(sizes), _pack(sizes, GSM7_SINGLE, GSM7_PART))
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentInfo("UCS-2", sum(sizes), _pack(sizes, UCS2_SINGLE, UCS2_PART))


def segment_count(text: str) -> int:
    return segment_info(text).segments


def sms_credits(text: str, *, recipients: int = 1, rate: int) -> int:
    """credits = segments × recipients × rate (docs/api/API_CONTRACT.md §3, §5)."""
    return segment_count(text) * recipients * rate
