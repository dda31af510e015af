"""Catalogue writes (the admin's)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from voices.models import Voice
from voices.seed import seed_rows
from voices.selectors import CACHE_KEY


def voice_catalogue_changed() -> None:
    """Drop the cached catalogue now (this transaction reads its own change) and again
    after commit (another process may have cached the old rows meanwhile)."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def voice_save(*, voice: Voice) -> Voice:
    """Save an edited or new voice; its renders are keyed anew (tingting.voice.catalogue)."""
    voice.aliases = [str(alias).strip().lower() for alias in voice.aliases or [] if str(alias).strip()]
    voice.internal_name = voice.internal_name.strip().lower()
    voice.save()
    voice_catalogue_changed()
    return voice


def voice_delete(*, voice: Voice) -> None:
    voice.delete()
    voice_catalogue_changed()


def voice_seed_ensure() -> int:
    """Insert the seeded voices that are missing (by internal name); returns how many. Safe to repeat."""
    present = set(Voice.objects.values_list("internal_name", flat=True))
    missing = [row for row in seed_rows(Voice) if row.internal_name not in present]
    Voice.objects.bulk_create(missing)
    if missing:
        voice_catalogue_changed()
    return len(missing)
