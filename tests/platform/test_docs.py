"""The documentation a clone carries: every relative link resolves inside the repo, every docs/ page is indexed,
and every reference to the API contracts (in code and docs) names a file and section the clone has."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def inside_repo(path: Path) -> bool:
    return path.exists() and path.resolve().is_relative_to(ROOT)


def relative_links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    return [link for link in LINK.findall(text) if not re.match(r"^(?:[a-z]+:|#)", link)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = [link for link in relative_links(page) if not inside_repo(page.parent / link.split("#")[0])]
    assert broken == [], f"{page.relative_to(ROOT)} links to missing {broken}"


def test_the_docs_index_lists_every_page():
    index = ROOT / "docs" / "README.md"
    listed = {(index.parent / link.split("#")[0]).resolve() for link in relative_links(index)}
    pages = {page.resolve() for page in (ROOT / "docs").glob("*.md") if page != index}
    pages |= {page.resolve() for page in (ROOT / "docs" / "api").glob("*.md")}
    assert sorted(str(page.relative_to(ROOT)) for page in pages - listed) == [], "add these to docs/README.md"


def test_the_readme_is_a_quickstart():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    first_block = FENCE.search(readme).group(0).splitlines()[1:-1]
    assert [line.split("#")[0].strip() for line in first_block] == ["./scripts/run", "./scripts/test"]


# A contract reference: the path in front of the name (``docs/api/`` in code, page-relative in Markdown), then the
# sections cited right after it (``§2``, ``§1–2``, ``§5, §9``).
CONTRACT = re.compile(r"([\w./-]*)(API_CONTRACT(?:_V1)?)(\.md)?`?((?:,?\s*§\s*\d+(?:[–-]\d+)?)*)")
SECTION_NUMBER = re.compile(r"§\s*(\d+)(?:[–-](\d+))?")
TEXT_SUFFIXES = {".py", ".md", ".html", ".txt", ".toml", ".yml", ".yaml", ".sh", ".cfg", ".conf", ".js", ".css", ""}
# Also what builds and runs leave in a checkout (all gitignored): `pip install .` writes build/.
GENERATED = {"__pycache__", "node_modules", "staticfiles", "media", "build", "dist", "var", "artifacts"}
THIS_FILE = Path(__file__).resolve()


def repo_text_files() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*"))
        if path.is_file()
        and path.suffix in TEXT_SUFFIXES
        and path.resolve() != THIS_FILE
        and not any(
            part.startswith(".") or part.endswith(".egg-info") or part in GENERATED
            for part in path.relative_to(ROOT).parts[:-1]
        )
    ]


def contract_sections(contract: Path) -> set[int]:
    return {int(number) for number in re.findall(r"^## (\d+)\.", contract.read_text(), re.MULTILINE)}


def contract_references(path: Path) -> list[tuple[Path, str, str]]:
    """(the file the reference points to, how it was written, its sections) for each reference in path."""
    text = path.read_text(errors="replace")
    if path.suffix == ".md":  # a Markdown reference is a link: keep its target where the text was
        text = re.sub(r"\[[^\]]*\]\(([^)\s]+)\)", r"\1", text)
        base = path.parent
    else:
        base = ROOT
    return [
        (base / f"{prefix}{name}.md", match.group(0), sections)
        for match in CONTRACT.finditer(text)
        for prefix, name, _suffix, sections in [match.groups()]
    ]


def test_every_contract_reference_names_an_in_repo_file_and_section():
    broken = []
    for path in repo_text_files():
        for target, written, sections in contract_references(path):
            if not written.split("§")[0].rstrip("`, ").endswith(".md") or not inside_repo(target):
                broken.append(f"{path.relative_to(ROOT)}: {written!r} names no file of the repo")
                continue
            known = contract_sections(target)
            for first, last in SECTION_NUMBER.findall(sections):
                missing = set(range(int(first), int(last or first) + 1)) - known
                if missing:
                    broken.append(f"{path.relative_to(ROOT)}: {written!r} cites no section {sorted(missing)}")
    assert broken == [], "\n".join(broken)


def test_code_cites_the_contracts_by_their_path_in_the_repo():
    """Code names a contract as docs/api/<name>.md, so a reader of any file finds it from the repo root."""
    loose = [
        f"{path.relative_to(ROOT)}: {written!r}"
        for path in repo_text_files()
        if path.suffix != ".md"
        for target, written, _ in contract_references(path)
        if not written.startswith("docs/api/API_CONTRACT")
    ]
    assert loose == [], "\n".join(loose)


def test_nothing_cites_files_outside_the_repo():
    outside = re.compile(r"\.\./shared/|/work/(?:shared|notes)\b")
    cited = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in repo_text_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if outside.search(line)
    ]
    assert cited == [], cited


ENV_READERS = {"env", "env_bool", "env_int", "env_list", "getenv", "get"}


def environment_reads(module: Path) -> set[str]:
    """Names the module reads from the environment: ``env*("NAME", ...)``, ``os.environ.get``, ``os.getenv``."""
    names = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            environ = not isinstance(func, ast.Attribute) or name != "get" or ast.unparse(func.value) == "os.environ"
            if name in ENV_READERS and environ and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


def test_every_setting_read_from_the_environment_is_documented():
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / "docs" / "configuration.md").read_text()))
    read = environment_reads(ROOT / "tingting" / "settings.py") | environment_reads(ROOT / "tingting" / "beat.py")
    assert {"SECRET_KEY", "PHONE_VALIDATION", "RUN_SWEEP_SECONDS"} <= read  # the parser sees every form used
    assert sorted(read - documented) == [], "document these in docs/configuration.md"
