"""How to cite the book, and its changelog: ``CITATION.cff``, the home page's BibTeX block and
``docs/changelog.md`` say the same thing, and the citation file is well-formed CFF 1.2.0."""

from __future__ import annotations

import datetime as dt
import re
import tomllib

import yaml

from tests.book._site import ROOT, load_config, nav_pages

CFF = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
HOME = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
CHANGELOG = (ROOT / "docs" / "changelog.md").read_text(encoding="utf-8")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
MKDOCS = load_config(ROOT)
# CFF 1.2.0: the required keys, and the keys of the schema's top level this file may use.
REQUIRED = {"cff-version", "message", "title", "authors"}
KNOWN = REQUIRED | {
    "abstract",
    "commit",
    "contact",
    "date-released",
    "doi",
    "identifiers",
    "keywords",
    "license",
    "license-url",
    "preferred-citation",
    "references",
    "repository",
    "repository-artifact",
    "repository-code",
    "type",
    "url",
    "version",
}


def bibtex() -> dict[str, str]:
    block = re.search(r"## Cite this book.*?```bibtex\n(?P<bib>.*?)```", HOME, re.S)
    assert block, "docs/index.md has no '## Cite this book' section with a ```bibtex block"
    bib = block["bib"]
    assert re.match(r"@(book|misc|online)\{[\w-]+,", bib), bib
    return {k: v.strip("{} ") for k, v in re.findall(r"^\s*(\w+)\s*=\s*(.+?),?\s*$", bib, re.M)}


def test_citation_file_is_cff_1_2_0():
    assert CFF["cff-version"] == "1.2.0"
    assert set(CFF) >= REQUIRED, REQUIRED - set(CFF)
    assert set(CFF) <= KNOWN, set(CFF) - KNOWN
    assert CFF["type"] in ("software", "dataset")
    assert isinstance(CFF["message"], str) and CFF["message"].strip()
    assert isinstance(CFF["authors"], list) and CFF["authors"]
    for author in CFF["authors"]:  # an entity (name) or a person (family-names): here no invented person
        assert set(author) == {"name"} and author["name"] == "The logreg book authors", author
    assert isinstance(CFF["date-released"], (str, dt.date))
    dt.date.fromisoformat(str(CFF["date-released"]))
    assert CFF["version"] == PROJECT["version"], (CFF["version"], PROJECT["version"])
    assert CFF["license"] == PROJECT["license"]
    assert CFF["title"] == MKDOCS["site_name"]
    assert CFF["url"] == MKDOCS["site_url"].rstrip("/") + "/"


def test_home_page_bibtex_agrees_with_the_citation_file():
    bib = bibtex()
    assert bib["title"] == CFF["title"]
    assert bib["author"] == CFF["authors"][0]["name"]
    assert bib["version"] == CFF["version"]
    assert bib["url"] == CFF["url"]
    assert bib["year"] == str(CFF["date-released"])[:4]


def test_changelog_is_in_the_nav_dated_newest_first_and_names_the_release():
    assert "changelog.md" in [src for _, src in nav_pages(MKDOCS)]
    editions = re.findall(r"^## (\w+) edition, (\d{1,2} \w+ \d{4})$", CHANGELOG, re.M)
    assert len(editions) >= 2, editions
    dates = [dt.datetime.strptime(d, "%d %B %Y").date() for _, d in editions]
    assert dates == sorted(dates, reverse=True), dates
    assert dates[0] == dt.date.fromisoformat(str(CFF["date-released"]))
    assert editions[0][0].lower() == bibtex()["edition"].lower()
