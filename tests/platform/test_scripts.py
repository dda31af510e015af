"""scripts/setup.sh on a machine whose Python has no venv/ensurepip (Debian without python3-venv), and
scripts/services.sh on a machine without a locale (a fresh Debian root)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def checkout_with_python_lacking_ensurepip(tmp_path: Path) -> tuple[Path, dict]:
    """A copy of the setup files, and a python3 that runs everything but cannot import ensurepip."""
    tree = tmp_path / "tree"
    (tree / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", tree / "scripts" / "setup.sh")
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python3"
    python.write_text(
        "#!/bin/sh\n"
        'case "$*" in *"import ensurepip"*) echo "No module named ensurepip" >&2; exit 1;; esac\n'
        f'exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)
    return tree, {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON": str(python)}


def source_setup(tree: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", "source scripts/setup.sh"], cwd=tree, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_python_without_ensurepip_is_named_with_its_package_and_no_venv_is_left(tmp_path):
    tree, env = checkout_with_python_lacking_ensurepip(tmp_path)
    result = source_setup(tree, env)
    assert result.returncode == 1
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"apt-get install python{version}-venv" in result.stderr
    assert not (tree / ".venv").exists()


def test_a_venv_without_pip_is_rebuilt(tmp_path):
    tree, env = checkout_with_python_lacking_ensurepip(tmp_path)
    # What `python3 -m venv .venv` leaves behind when ensurepip is missing.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tree / ".venv")], check=True, timeout=120)
    assert (tree / ".venv" / "bin" / "python").exists()
    result = source_setup(tree, env)
    assert "setup: .venv is broken (no working python or pip in it); rebuilding it" in result.stderr
    # The rebuild needs ensurepip, which this python lacks: it says so instead of leaving a half venv.
    assert result.returncode == 1 and "-venv" in result.stderr
    assert not (tree / ".venv").exists()


def test_postgresql_is_installed_and_clustered_in_utf8_on_a_machine_without_a_locale(tmp_path):
    """Without a locale initdb makes SQL_ASCII clusters, which refuse Nepali text."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    for name in ("apt-get", "pg_lsclusters", "pg_createcluster"):  # the Debian tools, recording how they are called
        (bin_dir / name).write_text(f'#!/bin/sh\necho "{name} LANG=$LANG $*" >> {calls}\n')
        (bin_dir / name).chmod(0o755)
    server = tmp_path / "lib" / "15" / "bin" / "postgres"  # what the postgresql package installs
    server.parent.mkdir(parents=True)
    server.touch()
    result = subprocess.run(
        ["bash", "-c", "source scripts/services.sh && install_packages postgresql && pg_cluster_for_port 18333"],
        cwd=ROOT,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "LANG": "C", "PG_LIB_DIR": str(tmp_path / "lib")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "15 tingting18333"
    assert calls.read_text().splitlines() == [
        "apt-get LANG=C update -qq",
        "apt-get LANG=C.UTF-8 install -y -qq postgresql",  # the package's own cluster takes this locale
        "pg_lsclusters LANG=C --no-header",
        "pg_createcluster LANG=C --encoding UTF8 --locale C.UTF-8 --port 18333 15 tingting18333",
    ]
