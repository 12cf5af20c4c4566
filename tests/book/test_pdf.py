"""The print edition (``make pdf``, ``book/pdf.py``): the whole book in one PDF, by Chromium.

Printed from the site the browser tests build (or $LOGREG_SITE_DIR), into a temporary folder.
Strictness is tested too: a site with a figure missing must not give a PDF.
"""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from book import pdf
from tests.book._browser import nav_pages


def _print(site, out):
    """pdf.build_pdf in a thread of its own: Playwright's sync API refuses to start in a thread
    whose asyncio loop the session's browser fixture (tests/book/_browser.py) already runs."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(pdf.build_pdf, site, out).result()


@pytest.fixture(scope="module")
def printed(site, chromium, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / pdf.PDF_NAME
    result = _print(site, out)
    return out, result


def test_the_pdf_holds_every_page_of_the_nav_with_an_outline_and_links(printed):
    out, result = printed
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert result["chapters"] == len(nav_pages()), result
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages >= 4 * len(nav_pages()), f"only {pages} pages"
    assert b"/Outlines" in data, "no outline (bookmarks) in the PDF"
    assert b"/StructTreeRoot" in data, "not a tagged PDF"
    links = len(re.findall(rb"/Subtype\s*/Link", data))
    assert links >= 100, f"only {links} link annotations: cross-references were lost"
    assert result["links"] >= 500, result


def test_a_missing_figure_stops_the_print(site, chromium, tmp_path):
    broken = tmp_path / "site"
    shutil.copytree(site, broken, ignore=shutil.ignore_patterns("*.pdf"))
    victim = sorted((broken / "figures").glob("*-light.svg"))[0]
    victim.unlink()
    with pytest.raises(pdf.PrintError, match=re.escape(victim.name)):
        _print(broken, tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()


def test_nav_urls_follow_the_nav():
    urls = pdf.nav_urls()
    assert [path for _, path in urls] == [p.path for p in nav_pages()]
