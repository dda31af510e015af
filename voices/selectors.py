"""Catalogue reads. The whole active catalogue is small: it is read in one query and kept
in the shared cache (``CACHE_SECONDS``; the admin's changes drop it at once)."""

from __future__ import annotations

from django.core.cache import cache

from tingting.errors import InvalidInputError
from tingting.voice import catalogue
from tingting.voice.catalogue import VoiceSpec
from voices.models import Voice

CACHE_KEY = "voices:catalogue:1"
CACHE_SECONDS = 60


def _spec(voice: Voice) -> VoiceSpec:
    return VoiceSpec(
        voice.internal_name,
        voice.espeak_voice,
        voice.espeak_rate,
        voice.espeak_pitch,
        voice.espeak_range,
        voice.azure_voice,
        voice.azure_pitch,
        voice.azure_rate,
    )


def voice_rows() -> list[Voice]:
    """Every voice of the table (active or not), by id; cached."""
    rows = cache.get(CACHE_KEY)
    if rows is None:
        rows = list(Voice.objects.order_by("id"))
        cache.set(CACHE_KEY, rows, CACHE_SECONDS)
    return rows


def voice_list() -> list[Voice]:
    """The active voices, by id (``voice-models/``)."""
    return [row for row in voice_rows() if row.is_active]


def catalogue_source() -> tuple[dict[str, VoiceSpec | None], dict[str, str]]:
    """What the kernel's catalogue adds (tingting.voice.catalogue.register)."""
    specs, aliases = {}, {}
    for row in voice_rows():
        specs[row.internal_name] = _spec(row) if row.is_active else None
        for alias in row.aliases or []:
            aliases[str(alias).lower()] = row.internal_name
    return specs, aliases


def voice_by_name(name: str) -> Voice | None:
    """The active row of an internal name or alias (any case)."""
    canonical = catalogue.canonical(name)
    return next((row for row in voice_list() if row.internal_name == canonical), None)


def voice_resolve(value: object, *, field: str = "voice") -> Voice:
    """An active voice from an id, an internal name or alias, or an object with ``id`` /
    ``voice_internal_name`` (what the SDK sends). 400 naming ``field`` otherwise."""
    if isinstance(value, dict):
        value = value.get("id") or value.get("voice_internal_name") or value.get("voice_display_name")
    found = None
    if isinstance(value, int) and not isinstance(value, bool):
        found = next((row for row in voice_list() if row.pk == value), None)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.isdigit() and len(text) < 19:
            found = next((row for row in voice_list() if row.pk == int(text)), None)
        else:
            found = voice_by_name(text[:64])
    if found is None:
        names = ", ".join(f"{row.pk} ({row.internal_name})" for row in voice_list())
        raise InvalidInputError(
            f"Unknown voice {str(value)[:40]!r}: use one of {names}.", field=field, code="invalid_choice"
        )
    return found
