from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _voice_catalogue(db):
    """The seeded voices (a transactional test elsewhere may have flushed the table)."""
    from voices.services import voice_seed_ensure

    voice_seed_ensure()


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
