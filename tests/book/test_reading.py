"""Reading aids of issue 15, checked on the built book: chapter numbers, equation previews and
the small things a careful reader met (see each test's docstring).

Static checks read the built HTML (the ``site`` fixture: a strict build, or $LOGREG_SITE_DIR);
the others open it in headless Chromium, as ``tests/book/test_browser.py`` does.
"""

from __future__ import annotations

import html as htmllib
import posixpath
import re

import pytest

from tests.book._browser import DESKTOP, PHONE, Tab, built_file, nav_pages, new_context
from tests.book._site import ROOT, load_config

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


# --------------------------------------------------------------------------------------------
# Item 11: the smaller ones
# --------------------------------------------------------------------------------------------


def _own(text: str) -> str:
    """A page's HTML without the equation previews' template (copies, not the page's own)."""
    return re.sub(r'<template id="book-equation-previews">.*?</template>', "", text, flags=re.S)


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_no_duplicate_element_ids(site, page):
    """Line anchors of code blocks used to restart at block 0 in every executed output and
    docstring (``__codelineno-0-1`` 55 times on the API page)."""
    ids = re.findall(r'\sid="([^"]+)"', _own(built_file(site, page).read_text(encoding="utf-8")))
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"{page.src}: duplicate ids {dupes[:10]}"


def test_no_pyodide_assets_and_no_cdn_names(site):
    """No page runs pyodide, so markdown-exec's pyodide CSS (which names a CDN) and JS must not
    be built or loaded."""
    assert not list(site.rglob("*pyodide*")), list(site.rglob("*pyodide*"))
    for page in PAGES:
        text = built_file(site, page).read_text(encoding="utf-8")
        assert "pyodide" not in text, page.src
    for css in site.rglob("*.css"):
        assert not re.search(r"cdn\.|jsdelivr|unpkg|googleapis", css.read_text(encoding="utf-8")), css


def test_numbers_in_scientific_notation_do_not_break(site):
    """ "2.9 × 10⁻¹⁶" is one number: no breakable space around its × (book/results.py)."""
    found = 0
    for page in PAGES:
        text = built_file(site, page).read_text(encoding="utf-8")
        # A formula's hidden text for the search index (book/mathml.py) is never laid out.
        text = re.sub(r'<span class="math-text" hidden>.*?</span>', "", text, flags=re.S)
        found += len(re.findall(r"\d\u00a0×\u00a010<sup>", text))
        bad = re.findall(r"\d[ \t\n]×[ \t\n]?10<sup>|\d\u00a0×[ \t\n]10<sup>", text)
        assert not bad, (page.src, bad[:3])
    assert found >= 3, "no number in scientific notation found: the test is looking at the wrong text"


def test_the_404_page_has_the_contents_and_search(site):
    text = (site / "404.html").read_text(encoding="utf-8")
    article = re.search(r"<article\b.*?</article>", text, re.S)[0]
    assert 'for="__search"' in article, "no way into the search on the 404 page"
    hrefs = {posixpath.normpath(h) for h in re.findall(r'href="([^"]+)"', article)}
    for page in PAGES:
        assert posixpath.normpath("/" + page.path) in hrefs, f"the 404 page's contents miss {page.src}"


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_contents_entries_are_told_apart(site, page):
    """The sidebar of a page never lists two entries with the same name ("predict" twice), nor
    a module's name under the section that already names it ("The model", then "model")."""
    text = built_file(site, page).read_text(encoding="utf-8")
    m = re.search(r'<nav class="md-nav md-nav--secondary".*?</nav>\s*</div>', text, re.S)
    if not m:
        return
    titles = [_text(t) for t in re.findall(r'<span class="md-ellipsis">(.*?)</span>', m[0], re.S)]
    titles = titles[1:] if titles and titles[0] == "Table of contents" else titles
    assert len(titles) == len(set(titles)), sorted({t for t in titles if titles.count(t) > 1})
    lower = [t.lower() for t in titles]
    for i, t in enumerate(lower[:-1]):
        assert not t.endswith(" " + lower[i + 1]), (titles[i], titles[i + 1])


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_permalinks_stay_with_their_heading_word(site, page):
    text = built_file(site, page).read_text(encoding="utf-8")
    links = text.count('<a class="headerlink"')
    kept = len(
        re.findall(
            r'<span class="book-nowrap">(?:(?!</?span).)*?<a class="headerlink"[^>]*>[^<]*</a></span>', text, re.S
        )
    )
    assert kept == links, f"{page.src}: {links - kept} of {links} permalinks not kept with their last word"


LINK_FACTS_JS = """() => {
  const a = [...document.querySelectorAll("article p a[href]:not(.headerlink)")]
    .find(a => a.textContent.trim().length > 3);
  return a ? getComputedStyle(a).textDecorationLine : null;
}"""


def test_links_are_underlined(desktop):
    """Links differ from the text by more than colour (WCAG 1.4.1): they are underlined."""
    for path in ("", "likelihood/", "references/"):
        with desktop.visit(path, settle=False):
            assert "underline" in (desktop.page.evaluate(LINK_FACTS_JS) or ""), path


COPY_BUTTON_JS = """() => {
  const bad = []; let n = 0;
  for (const pre of document.querySelectorAll("article pre")) {
    const btn = pre.querySelector(".md-code__button, .md-clipboard")
      || pre.parentElement.querySelector(".md-code__button, .md-clipboard");
    const code = pre.querySelector("code");
    if (!btn || !code) continue;
    n++;
    const b = btn.getBoundingClientRect();
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    let t;
    while ((t = walker.nextNode())) {
      if (!t.textContent.trim()) continue;
      const r = document.createRange();
      r.selectNodeContents(t);
      for (const q of r.getClientRects())
        if (q.width > 0 && q.bottom > b.top + 1 && q.top < b.bottom - 1 && q.right > b.left + 1 && q.left < b.right - 1)
          bad.push(code.textContent.slice(0, 60));
    }
  }
  return {n, bad: [...new Set(bad)]};
}"""


@pytest.mark.parametrize("page", [p for p in PAGES if not p.is_notebook], ids=lambda p: p.id)
def test_copy_button_covers_no_code(desktop, phone, page):
    """Material's copy button sits over the top right corner of a listing; no character of the
    listing may be under it, at desktop or phone width."""
    for tab in (desktop, phone):
        with tab.visit(page.path, settle=False):
            tab.page.wait_for_timeout(200)  # book.js marks the wide listings after layout
            facts = tab.page.evaluate(COPY_BUTTON_JS)
        assert not facts["bad"], f"/{page.path}: the copy button covers code in {facts['bad'][:3]}"


def test_permalink_on_the_same_line_as_the_last_word_on_a_phone(phone):
    with phone.visit("likelihood/", settle=False):
        lines = phone.page.evaluate("""() => [...document.querySelectorAll("article .book-nowrap")]
          .map(s => s.getClientRects().length)""")
    assert lines and all(n == 1 for n in lines), lines
