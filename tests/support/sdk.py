"""The official Python SDK (``tingting`` from the package index) in a virtualenv of its own.

The SDK's import name ``tingting`` is this project's too, so tests drive it in a
subprocess of ``var/sdk/venv`` (created with ``python -m venv`` + pip, reused while it
holds this version). A pytest plugin (``pytest_plugins`` in tests/conftest.py): the
``sdk_python`` fixture is the interpreter of that virtualenv.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.workers import ROOT

SDK_VERSION = "1.0.1"
SDK_VENV = ROOT / "var" / "sdk" / "venv"


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    """The interpreter of a virtualenv holding only the official SDK, made once."""
    python = SDK_VENV / "bin" / "python"
    marker = SDK_VENV / f".tingting-{SDK_VERSION}"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(SDK_VENV)], check=True, timeout=300)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"tingting=={SDK_VERSION}"],
            check=True,
            timeout=600,
        )
        marker.touch()
    return python
