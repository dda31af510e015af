"""The documentation a clone carries: every relative link resolves inside the repo, every docs/ page is indexed."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def relative_links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    return [link for link in LINK.findall(text) if not re.match(r"^(?:[a-z]+:|#)", link)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = [link for link in relative_links(page) if not (page.parent / link.split("#")[0]).exists()]
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
