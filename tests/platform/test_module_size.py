"""House rule (docs/architecture.md): no module of the project over ~500 lines without a
reason in its docstring. A module past the limit becomes a package, or its docstring says
``past ~500 lines on purpose: <why>`` (tests and migrations are not counted)."""

import ast
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 500
REASON = re.compile(r"past ~500 lines on purpose: \w", re.IGNORECASE)


def project_modules() -> list[Path]:
    """The Python files git tracks, but tests and migrations."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [
        ROOT / name
        for name in tracked
        if not name.startswith("tests/") and "/migrations/" not in name and (ROOT / name).is_file()
    ]


def long_modules_without_a_reason(modules: list[Path]) -> list[tuple[Path, int]]:
    """Each module over LIMIT lines whose docstring gives no reason, with its length."""
    found = []
    for path in modules:
        source = path.read_text()
        lines = len(source.splitlines())
        docstring = " ".join((ast.get_docstring(ast.parse(source)) or "").split())
        if lines > LIMIT and not REASON.search(docstring):
            found.append((path, lines))
    return found


def test_every_module_over_500_lines_says_why_in_its_docstring():
    found = [
        f"{path.relative_to(ROOT)} ({lines} lines)" for path, lines in long_modules_without_a_reason(project_modules())
    ]
    assert found == [], "split these into a package, or say 'past ~500 lines on purpose: <why>' in the docstring"


def test_the_check_finds_a_long_module_and_accepts_a_reason(tmp_path):
    body = "x = 1\n" * (LIMIT + 1)
    silent = tmp_path / "silent.py"
    silent.write_text('"""A module."""\n' + body[6:])
    reasoned = tmp_path / "reasoned.py"
    reasoned.write_text('"""A module, past ~500 lines\non purpose: its two halves must agree."""\n' + body)
    short = tmp_path / "short.py"
    short.write_text('"""A module."""\nx = 1\n')
    found = long_modules_without_a_reason([silent, reasoned, short])
    assert found == [(silent, LIMIT + 1)]
