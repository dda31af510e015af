"""The error-code registry (``tingting.errors.ERROR_CODES``) names every code the source can send.

Clients branch on ``code``; a code used in the source but not registered (nor
listed in docs/architecture.md) fails here. The scan reads the source (AST), so
it sees codes on paths no other test reaches.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tingting.errors import ERROR_CODE_GROUPS, ERROR_CODES

ROOT = Path(__file__).resolve().parents[2]
APPS = ("tingting", "accounts", "phonenumbers_app", "campaigns", "otp", "tling", "surveys", "v1", "bench")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else None


def _error_helpers(tree: ast.AST) -> dict[str, int]:
    """Functions named ``*_error`` that take a ``code``: name → its positional index."""
    helpers = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.endswith("_error"):
            names = [a.arg for a in node.args.posonlyargs + node.args.args]
            if "code" in names:
                helpers[node.name] = names.index("code")
    return helpers


def codes_in(sources: dict[str, str]) -> dict[str, str]:
    """Every literal error code in ``sources`` (name → text) → where it is first seen:
    ``code="..."`` keywords, ``default_code = "..."``, ``code`` parameter defaults,
    ``FieldError(field, "code", ...)`` and ``*_error(..., "code")`` helper calls."""
    trees = {name: ast.parse(text, name) for name, text in sources.items()}
    helpers = {"FieldError": 1}
    for tree in trees.values():
        helpers.update(_error_helpers(tree))
    found: dict[str, str] = {}

    def add(code: str | None, name: str, node: ast.AST) -> None:
        if code:  # "" is "no code" (a parameter's empty default)
            found.setdefault(code, f"{name}:{node.lineno}")

    for name, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        add(_literal(keyword.value), name, node)
                index = helpers.get(_call_name(node) or "")
                if index is not None and len(node.args) > index:
                    add(_literal(node.args[index]), name, node)
            elif isinstance(node, ast.ClassDef):  # class NotFoundError(DomainError, code="not_found")
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        add(_literal(keyword.value), name, node)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "default_code" for t in node.targets
            ):
                add(_literal(node.value), name, node)
            elif isinstance(node, ast.FunctionDef):
                positional = node.args.posonlyargs + node.args.args
                pairs = list(
                    zip(positional[len(positional) - len(node.args.defaults) :], node.args.defaults, strict=True)
                )
                pairs += list(zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True))
                for arg, default in pairs:
                    if arg.arg == "code":
                        add(_literal(default), name, node)
    return found


def _project_sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text()
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    }


def test_every_error_code_in_the_source_is_registered():
    unregistered = {code: where for code, where in codes_in(_project_sources()).items() if code not in ERROR_CODES}
    assert unregistered == {}, "register these codes (with their meaning) in tingting/errors.py"


def test_the_scan_sees_each_way_a_code_is_written():
    found = codes_in(_project_sources())
    # keyword, default_code, FieldError positional, *_error helper positional, parameter default,
    # class keyword (tingting.errors' kinds)
    assert {
        "campaign_not_found",
        "otp_expired",
        "unknown_tag",
        "invalid_sort",
        "invalid_parameter",
        "idempotency_key_reused",
    } <= set(found)


def test_an_unregistered_code_is_reported():
    source = (
        "def thing_error(message, code='helper_default'):\n    pass\n"
        "raise ConflictError('x', code='brand_new_code')\n"
        "errors.append(FieldError('f', 'field_code', 'm'))\n"
        "raise thing_error('m', 'helper_code')\n"
        "class E(DomainError):\n    default_code = 'class_code'\n"
        "class K(DomainError, status=409, code='class_keyword_code'): ...\n"
    )
    found = codes_in({"probe.py": source})
    assert set(found) == {
        "helper_default",
        "brand_new_code",
        "field_code",
        "helper_code",
        "class_code",
        "class_keyword_code",
    }
    assert not set(found) & set(ERROR_CODES)


def test_codes_are_snake_case_registered_once_and_explained():
    listed = [code for group in ERROR_CODE_GROUPS.values() for code in group]
    assert len(listed) == len(set(listed)) == len(ERROR_CODES)
    assert [code for code in listed if not SNAKE.match(code)] == []
    assert [code for code, meaning in ERROR_CODES.items() if not meaning.strip()] == []


def test_the_architecture_doc_lists_every_registered_code():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    assert [code for code in ERROR_CODES if f"| `{code}` |" not in doc] == []
