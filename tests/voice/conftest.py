from pathlib import Path

import pytest


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Rendered and uploaded audio go to a fresh MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
