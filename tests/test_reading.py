"""Reading aids of issue 15, checked on the built book: chapter numbers, equation previews and
the small things a careful reader met (see each test's docstring).

Static checks read the built HTML (the ``site`` fixture: a strict build, or $LOGREG_SITE_DIR);
the others open it in headless Chromium, as ``tests/test_browser.py`` does.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest

from tests._browser import DESKTOP, PHONE, Tab, built_file, nav_pages, new_context
from tests._site import ROOT, load_config

PAGES = nav_pages()
UNNUMBERED = set((load_config(ROOT).get("extra") or {}).get("unnumbered") or ())
CHAPTERS = list(enumerate((p for p in PAGES if p.src not in UNNUMBERED), start=1))


def _text(fragment: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


@pytest.fixture(scope="module")
def desktop(browser, server):
    context = new_context(browser, server.netloc, color_scheme="light", viewport=DESKTOP)
    tab = Tab(context, server)
    yield tab
    tab.close()
    context.close()


@pytest.fixture(scope="module")
def phone(browser, server):
    context = new_context(browser, server.netloc, color_scheme="light", viewport=PHONE, mobile=True)
    tab = Tab(context, server)
    yield tab
    tab.close()
    context.close()


# --------------------------------------------------------------------------------------------
# Item 10: chapter numbers, and equation links that show their equation
# --------------------------------------------------------------------------------------------


def test_there_are_numbered_chapters():
    assert len(CHAPTERS) >= 8, CHAPTERS
    assert "index.md" in UNNUMBERED and PAGES[0].src == "index.md"


@pytest.mark.parametrize("k,page", CHAPTERS, ids=[p.id for _, p in CHAPTERS])
def test_chapter_number_in_title_heading_and_nav_matches_its_equations(site, k, page):
    """Chapter k is titled "k. ..." in the nav and <title>, its heading starts with k, and every
    numbered equation on it is (k.n): the number a reader sees is the one equations carry."""
    text = built_file(site, page).read_text(encoding="utf-8")
    h1 = re.search(r"<h1\b[^>]*>(.*?)</h1>", text, re.S)
    assert h1, f"{page.src}: no <h1>"
    number = re.match(r'\s*<span class="chapter-number">(\d+)</span>', h1[1])
    assert number and int(number[1]) == k, f"{page.src}: heading {_text(h1[1])!r} is not numbered {k}"
    title = re.search(r"<title>(.*?)</title>", text, re.S)[1]
    assert _text(title).startswith(f"{k}. "), title
    nav_titles = [_text(t) for t in re.findall(r'<span class="md-ellipsis">(.*?)</span>', text, re.S)]
    assert f"{k}. {page.title}" in nav_titles, nav_titles
    own = re.sub(r'<template id="book-equation-previews">.*?</template>', "", text, flags=re.S)
    eqnos = re.findall(r'<span class="eqno">\((\d+)\.\d+\)</span>', own)
    assert all(int(n) == k for n in eqnos), f"{page.src}: equation numbers {set(eqnos)} in chapter {k}"


@pytest.mark.parametrize("page", [p for p in PAGES if p.src in UNNUMBERED], ids=lambda p: p.id)
def test_front_and_back_matter_carry_no_number(site, page):
    text = built_file(site, page).read_text(encoding="utf-8")
    assert 'class="chapter-number"' not in text


def test_equation_links_preview_their_equation(desktop):
    """Hovering (or focusing) an equation link shows that equation, number included, for a link
    to another chapter (copied from the page's template) and within the chapter; Escape hides it."""
    page = desktop.page
    with desktop.visit("fitting/", settle=False) as v:
        links = page.locator("article a.eqref")
        hrefs = links.evaluate_all("els => els.map(a => a.getAttribute('href'))")
        assert any(h.startswith("../") for h in hrefs) and any(h.startswith("#") for h in hrefs), hrefs
        for kind in ("../", "#"):
            i = next(i for i, h in enumerate(hrefs) if h.startswith(kind))
            link = links.nth(i)
            link.scroll_into_view_if_needed()
            link.hover()
            box = page.locator(".book-eqpreview")
            box.wait_for(state="visible", timeout=3000)
            assert box.locator("math").count() >= 1
            assert box.locator(".eqno").inner_text() == link.inner_text(), (kind, hrefs[i])
            assert link.get_attribute("aria-describedby") == "book-eqpreview"
            assert box.evaluate("b => b.getBoundingClientRect().right") <= DESKTOP["width"]
            page.mouse.move(5, 5)
            box.wait_for(state="detached", timeout=3000)
        link = links.first
        link.focus()
        page.locator(".book-eqpreview").wait_for(state="visible", timeout=3000)
        page.keyboard.press("Escape")
        page.locator(".book-eqpreview").wait_for(state="detached", timeout=3000)
        assert not v.console_errors and not v.page_errors, (v.console_errors, v.page_errors)


def test_preview_templates_hold_only_equations_linked_from_the_page(site):
    for page in PAGES:
        text = built_file(site, page).read_text(encoding="utf-8")
        store = re.search(r'<template id="book-equation-previews">(.*?)</template>', text, re.S)
        foreign = {m for h, m in re.findall(r'<a class="eqref" href="([^"#]+)#(eq-[\w-]+)"', text)}
        held = set(re.findall(r'data-preview="(eq-[\w-]+)"', store[1])) if store else set()
        assert held == foreign, (page.src, held ^ foreign)


def test_every_page_links_the_print_edition(site):
    """The footer of every page links the one PDF, at the site's root (``make pdf`` writes it)."""
    for page in PAGES:
        text = built_file(site, page).read_text(encoding="utf-8")
        m = re.search(r'<div class="book-pdf-link"><a href="([^"]+)"', text)
        assert m, f"{page.src}: no link to the print edition"
        depth = page.path.count("/")
        assert m[1] == "../" * depth + "logreg-book.pdf", (page.src, m[1])
