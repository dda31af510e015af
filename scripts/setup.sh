# Sourced by scripts/run, scripts/test and scripts/manage: a virtualenv in .venv
# with the project installed from pyproject.toml; reinstalls only when that file
# changes, and rebuilds a .venv that a failed earlier run left broken.
set -euo pipefail

# The first Python >= 3.11 of: $PYTHON, python3.13 ... python3.
pick_python() {
  local candidate
  for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! PYTHON=$(pick_python); then
  echo "Python 3.11 or newer is needed (python3 is $(python3 --version 2>&1 || echo missing))." >&2
  echo "  Debian/Ubuntu: apt-get install python3 python3-venv   (or set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

# A .venv is usable when its interpreter runs and has pip; anything else (a venv
# made without ensurepip, an interpreter upgraded away) is rebuilt from scratch.
if [ -e .venv ] && ! .venv/bin/python -c 'import pip' >/dev/null 2>&1; then
  if [ ! -O .venv ]; then
    echo ".venv does not work for $(id -un) and belongs to another user: run as its owner, or remove it" >&2
    exit 1
  fi
  echo "setup: .venv is broken (no working python or pip in it); rebuilding it" >&2
  rm -rf .venv
fi
if [ ! -e .venv ]; then
  if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    version=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    echo "$PYTHON has no venv/ensurepip module, needed to create .venv." >&2
    echo "  Debian/Ubuntu: apt-get install python${version}-venv   (the python3-venv package)" >&2
    exit 1
  fi
  if ! "$PYTHON" -m venv .venv; then
    rm -rf .venv
    echo "could not create .venv with $PYTHON -m venv" >&2
    exit 1
  fi
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project and its dev extras into .venv (pyproject.toml changed or new)" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  rm -f .venv/.installed-* && touch "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
