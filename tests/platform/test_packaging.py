"""The runtime install (`pip install .`, what the Dockerfile does): a wheel with the templates, the licence,
and no dev tools among its requirements."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_templates_and_license_and_keeps_dev_tools_optional(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = tmp_path.glob("tingting-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for template in (
        "tingting/templates/tingting/index.html",
        "accounts/templates/admin/accounts/top_up.html",
        "phonenumbers_app/templates/admin/phonenumbers_app/phonenumber/import_csv.html",
    ):
        assert template in names, template
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: AGPL-3.0-or-later" in text
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    requirements = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    for tool in ("pytest", "ruff", "selenium", "schemathesis"):
        assert all(tool not in line or 'extra == "dev"' in line for line in requirements), tool
