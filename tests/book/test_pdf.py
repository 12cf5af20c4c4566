"""The print edition (``make pdf``, ``book/pdf.py``): the whole book in one PDF, by Chromium.

Printed from the site the browser tests build (or $LOGREG_SITE_DIR), into a temporary folder.
Strictness is tested too: a site with a figure missing must not give a PDF.
"""

from __future__ import annotations

import html
import re
import shutil
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import pytest

from book import pdf
from tests.book._browser import built_file, nav_pages


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


def _words(text: str) -> str:
    """Text as a comparable run of words: ligatures (ﬁ) and math letters (𝐱) as plain letters."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_the_contents_give_the_page_where_each_chapter_starts(printed, site):
    """Every page of the nav has an entry in the contents with a page number, and that page of
    the PDF (as its footer counts) begins with the page's title. Chromium cannot number pages
    in CSS; book/pdf.py prints, reads where each title landed, and prints again."""
    from pypdf import PdfReader

    out, result = printed
    reader = PdfReader(str(out))
    texts = [_words(page.extract_text()) for page in reader.pages]
    first_chapter = min(result["pages"].values())
    toc = [_words(line) for page in reader.pages[: first_chapter - 1] for line in page.extract_text().splitlines()]
    entries = [(m[1], int(m[2])) for line in toc if (m := re.fullmatch(r"(.*\S)\s+(\d+)", line))]
    assert entries, "the contents show no page numbers"
    problems = []
    for nav_page in nav_pages():
        h1 = re.search(r"<h1\b[^>]*>(.*?)</h1>", built_file(site, nav_page).read_text(encoding="utf-8"), re.S)
        title = _words(html.unescape(re.sub(r"<[^>]+>", " ", h1[1])).replace("¶", ""))
        numbers = [n for text, n in entries if text == title]
        if not numbers:
            problems.append(f"{title!r}: no entry with a page number in the contents")
            continue
        start = texts[numbers[0] - 1]
        if not start.startswith(title):
            problems.append(f"{title!r}: the contents say page {numbers[0]}, which begins {start[:60]!r}")
    assert not problems, "\n".join(problems)
    # Every entry's number is the page its target is on, sections too.
    assert all(1 <= n <= len(reader.pages) for n in result["pages"].values()), result["pages"]


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
