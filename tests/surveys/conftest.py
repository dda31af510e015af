import subprocess
import sys

import pytest

from tests.support.surveys import survey_campaign


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded prompts, renders and recordings go to a fresh MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = "https://tingting.example.org"
    return tmp_path


@pytest.fixture
def survey(user):
    return survey_campaign(user)


SDK_VERSION = "1.0.1"


@pytest.fixture(scope="session")
def sdk_python():
    """The interpreter of a virtualenv holding only the official SDK (``tingting`` from the
    package index, whose import name is this project's too): ``var/sdk/venv``, made once."""
    from tests.support.workers import ROOT

    venv = ROOT / "var" / "sdk" / "venv"
    python = venv / "bin" / "python"
    marker = venv / f".tingting-{SDK_VERSION}"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"tingting=={SDK_VERSION}"],
            check=True,
            timeout=600,
        )
        marker.touch()
    return python
