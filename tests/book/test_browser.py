"""The built book in a real browser: every page, as a reader on a desktop, a phone and at night.

The site is built once (``mkdocs build --strict`` into a temporary folder), served on 127.0.0.1
and opened in the system's headless Chromium. Every page in the nav is checked for:

* no traffic to any other host, no failed request, no HTTP error, no console error;
* images that decode and have alt text; figures with captions;
* mathematics rendered as MathML (no raw LaTeX, no error markers, laid out), equation links that
  land on their equation;
* no sideways scrolling at phone width (390 px);
* the figure variant that matches the palette, and dark figures drawn in light ink;
* a page weight of at most 1 MB (everything downloaded: HTML, CSS, JS, fonts, images, search);
* headings in order and controls with labels.

Plus: the site's pages are exactly the nav's, the notebook page offers its ``.ipynb``, and the
search works offline. Weights and load times land in ``test-results/browser-summary.json``.

Without Chromium these tests skip, saying how to install it; with ``LOGREG_REQUIRE_BROWSER=1``
(CI) they fail instead. Helpers and the JavaScript they run are in ``tests/book/_browser.py``.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.book._browser import (
    CLS_JS,
    DESKTOP,
    EQUATIONS_JS,
    FACTS_JS,
    MAX_PAGE_BYTES,
    OVERFLOW_JS,
    PHONE,
    NavPage,
    Tab,
    Visit,
    built_file,
    built_page_paths,
    eqref_hrefs,
    heading_problems,
    illegible_inks,
    nav_pages,
    new_context,
    parse_css_colour,
    raw_tex,
    summary_lines,
    write_summary,
)

ROOT = Path(__file__).resolve().parents[2]
PAGES = nav_pages()
NOTEBOOKS = [p for p in PAGES if p.is_notebook]
each_page = pytest.mark.parametrize("nav_page", PAGES, ids=[p.id for p in PAGES])


# --------------------------------------------------------------------------------------------
# Fixtures: one browser, one build, one server per session; one context per palette/viewport
# --------------------------------------------------------------------------------------------


def _tab(browser, server, **options):
    context = new_context(browser, server.netloc, **options)
    tab = Tab(context, server)
    yield tab
    tab.close()
    context.close()


@pytest.fixture(scope="session")
def light(browser, server):
    """A tab in the light palette on a desktop screen."""
    yield from _tab(browser, server, color_scheme="light", viewport=DESKTOP)


@pytest.fixture(scope="session")
def dark(browser, server):
    """A tab in the dark palette (prefers-color-scheme: dark) on a desktop screen."""
    yield from _tab(browser, server, color_scheme="dark", viewport=DESKTOP)


@pytest.fixture(scope="session")
def phone(browser, server):
    """A tab on a phone: 390 x 844 CSS pixels, touch, mobile viewport rules."""
    yield from _tab(browser, server, color_scheme="light", viewport=PHONE, mobile=True)


class _Summary:
    """Prints the page weights at the end of the run (registered as a plugin by ``visits``)."""

    def __init__(self, visits: dict[str, Visit]):
        self.visits = visits

    def pytest_terminal_summary(self, terminalreporter):  # also writes browser-summary.json
        if self.visits:
            data = write_summary(self.visits)
            terminalreporter.section("browser: page weight")
            for line in summary_lines(data):
                terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def visits(request) -> dict[str, Visit]:
    """Each page's first load (light palette, desktop), shared by the checks that only read it."""
    data: dict[str, Visit] = {}
    request.config.pluginmanager.register(_Summary(data), "logreg-browser-summary")
    return data


@pytest.fixture
def visit(nav_page: NavPage, light, visits) -> Visit:
    """The page's first load in the light palette: everything measured, then read by many checks."""
    if nav_page.path not in visits:
        with light.visit(nav_page.path) as v:
            v.facts = light.page.evaluate(FACTS_JS)
            v.facts["layout_shift"] = light.page.evaluate(CLS_JS)
        visits[nav_page.path] = v
    return visits[nav_page.path]


@pytest.fixture(scope="session")
def dark_visits() -> dict[str, Visit]:
    return {}


@pytest.fixture
def dark_visit(nav_page: NavPage, dark, dark_visits) -> Visit:
    """The page in the dark palette, with a greyscale histogram of each visible figure image."""
    if nav_page.path not in dark_visits:
        with dark.visit(nav_page.path, settle=False) as v:
            v.facts = dark.page.evaluate(FACTS_JS)
            v.facts["shots"] = _figure_histograms(dark.page)
        dark_visits[nav_page.path] = v
    return dark_visits[nav_page.path]


def _figure_histograms(page) -> list[dict]:
    try:
        from PIL import Image
    except ImportError:  # Pillow comes with Matplotlib; without it the SVG check stands alone
        return []
    shots = []
    imgs = page.locator("figure.book-figure img")
    for i in range(imgs.count()):
        img = imgs.nth(i)
        if not img.is_visible():
            continue
        img.scroll_into_view_if_needed()
        grey = Image.open(io.BytesIO(img.screenshot())).convert("L")
        shots.append({"src": img.get_attribute("src"), "histogram": grey.histogram()})
    return shots


def _lines(items) -> str:
    return "\n".join(f"  - {x}" for x in items)


# --------------------------------------------------------------------------------------------
# The site as a whole
# --------------------------------------------------------------------------------------------


def test_every_built_page_is_in_the_nav(site):
    """The pages tested (the nav) are exactly the pages built (sitemap.xml and *.html)."""
    nav = {p.path for p in PAGES}
    sitemap, html = built_page_paths(site)
    problems = []
    if not (site / "sitemap.xml").exists():
        problems.append("the site has no sitemap.xml")
    for name, found in (("sitemap.xml", sitemap), ("the built *.html files", html)):
        if found - nav:
            problems.append(f"in {name} but not in the nav (so not tested): {sorted(found - nav)}")
        if nav - found:
            problems.append(f"in the nav but not in {name}: {sorted(nav - found)}")
    assert not problems, "\n".join(problems)


def test_search_works_offline(light):
    """Typing "Hessian" into Material's search box finds the maximum-likelihood chapter."""
    target = next((p for p in PAGES if p.src == "likelihood.md"), None)
    assert target is not None, "the nav has no likelihood.md (the maximum-likelihood chapter)"
    with light.visit("", settle=False, eager=False) as v:
        tab = light.page
        box = tab.locator("input.md-search__input")
        box.click()
        box.press_sequentially("Hessian", delay=20)
        try:
            tab.wait_for_selector(".md-search-result__item", timeout=10_000)
        except Exception:
            meta = tab.locator(".md-search-result__meta").inner_text(timeout=1000)
            pytest.fail(f"no search results for 'Hessian' (search says: {meta!r})", pytrace=False)
        tab.wait_for_timeout(300)  # let the result list settle
        hrefs = tab.evaluate("""() => [...document.querySelectorAll(
            '.md-search-result__item a[href]')].map(a => a.href)""")
        problems = v.traffic_problems() + [f"console error: {e}" for e in v.console_errors + v.page_errors]
    paths = sorted({urlsplit(h).path for h in hrefs})
    assert not problems, "the search made outside or failing requests:\n" + _lines(problems)
    assert "/" + target.path in paths, (
        f"searching 'Hessian' gives no result in the maximum-likelihood chapter (/{target.path}); "
        f"results link to: {paths}"
    )


@pytest.mark.parametrize("nav_page", NOTEBOOKS or [None], ids=[p.id for p in NOTEBOOKS] or ["none"])
def test_notebook_page_offers_the_ipynb(nav_page, light, request):
    """The notebook page links to its .ipynb, which is an executed nbformat-4 notebook."""
    assert nav_page is not None, "the nav lists no notebook (*.ipynb) page"
    v = request.getfixturevalue("visit")
    hrefs = v.facts["ipynbLinks"]
    assert hrefs, (
        f"/{nav_page.path}: the notebook page has no link to download the notebook "
        f"(no <a href> ending in .ipynb); add one, e.g. [Download the notebook](walkthrough.ipynb)"
    )
    for href in sorted(set(hrefs)):
        url = urljoin(v.url, href)
        resp = light.context.request.get(url)
        assert resp.ok, f"/{nav_page.path}: the download link {href!r} gives HTTP {resp.status}"
        try:
            nb = json.loads(resp.body())
        except ValueError as exc:
            pytest.fail(f"{href!r} is not JSON: {exc}", pytrace=False)
        assert nb.get("nbformat") == 4, f"{href!r}: nbformat is {nb.get('nbformat')!r}, want 4"
        code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        assert code, f"{href!r} has no code cells"
        unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
        assert not unexecuted, f"{href!r}: code cells {unexecuted} were not executed"
        assert any(c.get("outputs") for c in code), f"{href!r}: no code cell has any output"


# --------------------------------------------------------------------------------------------
# Every page, first load (light palette, desktop)
# --------------------------------------------------------------------------------------------


@each_page
def test_no_outside_traffic_and_no_failed_requests(visit):
    problems = visit.traffic_problems()
    assert not problems, f"/{visit.path}:\n" + _lines(problems)


@each_page
def test_no_console_errors(visit):
    errors = [f"console: {e}" for e in visit.console_errors] + [f"uncaught: {e}" for e in visit.page_errors]
    assert not errors, f"/{visit.path}:\n" + _lines(errors)


@each_page
def test_images_decode_and_have_alt_text(visit):
    problems = []
    for img in visit.images:
        name = img["src"] if not img["src"].startswith("data:") else img["src"][:40] + "..."
        if img["error"] or not img["naturalWidth"]:
            problems.append(f"does not decode ({img['error'] or 'naturalWidth 0'}): {name}")
        if not (img["alt"] or "").strip():
            problems.append(f"no alt text: {name}")
    assert not problems, f"/{visit.path}: {len(problems)} image problem(s):\n" + _lines(problems)


@each_page
def test_figures_have_captions(visit):
    problems = []
    for fig in visit.facts["figures"]:
        if not fig["caption"]:
            problems.append(f"figure #{fig['id']} has no (or an empty) <figcaption>")
        if not fig["imgs"]:
            problems.append(f"figure #{fig['id']} has no image")
    assert not problems, f"/{visit.path}:\n" + _lines(problems)


@each_page
def test_math_is_rendered(nav_page, visit, site):
    f = visit.facts
    problems = [f"raw TeX in the visible text: {x}" for x in raw_tex(f["proseText"])]
    problems += [f"math error marker: {x}" for x in f["mathErrors"]]
    built = built_file(site, nav_page).read_text(encoding="utf-8")
    # The equation previews' <template> (book/hooks.py) holds copies that are not in the page's DOM.
    built = re.sub(r'<template id="book-equation-previews">.*?</template>', "", built, flags=re.S)
    built_math = len(re.findall(r"<math[\s>]", built))
    if f["mathCount"] != built_math:
        problems.append(f"the built HTML has {built_math} <math> element(s), the rendered page {f['mathCount']}")
    for box in f["mathBoxes"]:
        if box["height"] <= 0 or box["width"] <= 0:
            kind = "display" if box["display"] else "inline"
            problems.append(f"{kind} <math> not laid out ({box['width']:.0f}x{box['height']:.0f} px): {box['text']!r}")
    problems += [
        f"<mfrac> numerator not above its denominator: {fr['text']!r}" for fr in f["fractions"] if not fr["ok"]
    ]
    if built_math and "loaded" not in f["mathFont"]:
        problems.append(f"the math font (Latin Modern Math) did not load: {f['mathFont']}")
    assert not problems, f"/{visit.path}:\n" + _lines(problems)


@pytest.fixture(scope="session")
def followed_eqrefs(light, site) -> dict[str, str | None]:
    """Every equation link in the book, clicked once per distinct target.

    Returns ``{absolute target: None if it landed, else the problem}``. The walk clicks a pending
    link on whatever page the last click landed on (loading another page only when the current
    one has nothing left to click), so each target costs about one page load.
    """
    results: dict[str, str | None] = {}
    pending: dict[str, dict[str, str]] = {}  # page path -> {target: href}
    for p in PAGES:
        for href in eqref_hrefs(built_file(site, p).read_text(encoding="utf-8")):
            pending.setdefault(p.path, {}).setdefault(urljoin(light.server.url(p.path), href), href)
    if not pending:
        return results
    first = next(iter(pending))
    with light.visit(first, settle=False, eager=False) as v:
        tab = light.page
        while True:
            here = urlsplit(tab.url).path.lstrip("/")
            todo = {t: h for t, h in pending.get(here, {}).items() if t not in results}
            if not todo:
                left = [p for p, links in pending.items() if any(t not in results for t in links)]
                if not left:
                    break
                tab.goto(light.server.url(left[0]), wait_until="load")
                continue
            target, href = next(iter(todo.items()))
            results[target] = _follow_eqref(tab, v, href, target)
    return results


@each_page
def test_equation_references_land_on_their_equation(visit, light, followed_eqrefs):
    """Clicking each equation link (a.eqref) lands on an existing equation, scrolled into view."""
    problems = []
    for href in visit.facts["eqrefs"]:
        target = urljoin(visit.url, href)
        if target not in followed_eqrefs:  # in the page but not in the built HTML: follow it here
            with light.visit(visit.path, settle=False, eager=False) as v:
                followed_eqrefs[target] = _follow_eqref(light.page, v, href, target)
        if followed_eqrefs[target]:
            problems.append(f"{href}: {followed_eqrefs[target]}")
    assert not problems, f"/{visit.path}:\n" + _lines(problems)


BOOK_PATHS = {"/" + p.path for p in PAGES}
IN_VIEW_JS = """id => { const el = document.getElementById(id); if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.bottom > 0 && r.top < innerHeight; }"""
WHERE_JS = """id => { const el = document.getElementById(id);
    if (!el) return 'no element has that id on the page';
    const r = el.getBoundingClientRect();
    return `the element is at ${Math.round(r.top)} px, the viewport ${innerHeight} px tall`; }"""


def _follow_eqref(tab, v: Visit, href: str, target: str) -> str | None:
    """Click the link ``href`` on the current page; None if it landed on its equation."""
    want = urlsplit(target).fragment
    v.bad_status.clear()
    tab.locator(f'a.eqref[href="{href}"]').first.click()  # scrolls it into view first
    try:
        tab.wait_for_function("h => location.hash === h", arg="#" + want, timeout=5000)
        tab.wait_for_load_state("load")
    except Exception:
        return f"clicking did not go to #{want} (now at {tab.url})"
    landed = urlsplit(tab.url).path
    if landed not in BOOK_PATHS:
        status = f" ({'; '.join(v.bad_status)})" if v.bad_status else ""
        return f"lands on {landed}, which is not a page of the book{status}"
    try:
        tab.wait_for_function(IN_VIEW_JS, arg=want, timeout=3000)
    except Exception:
        return f"#{want} is not in view on {landed} after the click ({tab.evaluate(WHERE_JS, want)})"
    return None


@each_page
def test_page_weight_at_most_1MB(visit):
    """Everything a reader downloads reading the page top to bottom, with an empty cache: HTML,
    CSS, JS, fonts, the search index, and the images that come into view (lazy figures of the
    other palette stay hidden and unloaded). Decoded bytes, at most 1,000,000."""
    assert visit.total_bytes <= MAX_PAGE_BYTES, (
        f"/{visit.path} downloads {visit.total_bytes:,} bytes in {len(visit.sizes)} responses "
        f"(limit {MAX_PAGE_BYTES:,}); the largest:\n{visit.weight_report()}"
    )


MAX_LAYOUT_SHIFT = 0.1  # the threshold of "good" cumulative layout shift (web.dev/cls)


def _shift_report(measured: dict) -> str:
    return _lines(
        f"{s['value']:.3f} at {s['at']} ms, moved: {', '.join(s['moved']) or '?'}" for s in measured["shifts"]
    )


@each_page
def test_no_layout_shift_while_reading(visit):
    """Loading the page and reading it top to bottom (lazy figures arriving, the math font
    loading) moves the text by less than a cumulative layout shift of 0.1: figures reserve their
    height before they load, and formulas are laid out in their own font from the start."""
    measured = visit.facts["layout_shift"]
    assert measured["cls"] < MAX_LAYOUT_SHIFT, (
        f"/{visit.path}: cumulative layout shift {measured['cls']:.3f} (limit {MAX_LAYOUT_SHIFT}); "
        f"the largest shifts:\n" + _shift_report(measured)
    )


@each_page
def test_headings_in_order(visit):
    """In the article: exactly one h1, first, and no heading skips a level going down."""
    problems = heading_problems(visit.facts["headings"])
    assert not problems, f"/{visit.path}:\n" + _lines(problems)


@each_page
def test_controls_have_labels(visit):
    """Every input, select, textarea, button and slider in the page has an accessible label:
    aria-label, aria-labelledby, <label for>, a wrapping <label>, a title, or (buttons) text."""
    unlabelled = [c["control"] for c in visit.facts["controls"] if not c["label"]]
    assert not unlabelled, f"/{visit.path}: controls without an accessible label:\n" + _lines(unlabelled)


# --------------------------------------------------------------------------------------------
# Every page on a phone, and in both palettes
# --------------------------------------------------------------------------------------------


@each_page
def test_no_sideways_scrolling_on_a_phone(nav_page, phone):
    """At 390 x 844 the page itself never scrolls sideways (wide equations and code blocks may
    scroll inside their own box), and bringing every figure into view shifts the layout by less
    than 0.1 (cumulative layout shift) there too."""
    with phone.visit(nav_page.path, settle=False) as v:
        o = phone.page.evaluate(OVERFLOW_JS)
        shift = phone.page.evaluate(CLS_JS)
    problems = [f"request to an outside host: {u}" for u in v.outside]
    if o["scrollWidth"] > PHONE["width"]:
        problems.append(
            f"the page is {o['scrollWidth']} px wide (scrolls sideways); sticking out: "
            + "; ".join(o["culprits"] or ["(no single element found)"])
        )
    if shift["cls"] >= MAX_LAYOUT_SHIFT:
        problems.append(
            f"cumulative layout shift {shift['cls']:.3f} (limit {MAX_LAYOUT_SHIFT}):\n" + _shift_report(shift)
        )
    assert not problems, f"/{nav_page.path} at {PHONE['width']}x{PHONE['height']}:\n" + _lines(problems)


@pytest.mark.parametrize("width", ["desktop", "phone"])
@each_page
def test_equations_fit_and_keep_their_number_in_view(width, nav_page, request):
    r"""At 1280 px and at 390 px: landing on a numbered equation's anchor shows its number inside
    the viewport; no formula is clipped at the top or bottom by its box; and a formula wider than
    the column scrolls in a box that takes keyboard focus. No formula needs to scroll at 1280 px,
    nor in a chapter at 390 px (long ones break at a relation or wrap at a \qquad); the API
    pages' docstring formulas may scroll on a phone."""
    tab = request.getfixturevalue("light" if width == "desktop" else "phone")
    with tab.visit(nav_page.path, settle=False, eager=False):
        found = tab.page.evaluate(EQUATIONS_JS)
    problems = (
        [f"number out of view: {x}" for x in found["numbers"]]
        + [f"clipped vertically: {x}" for x in found["clipped"]]
        + [f"scrolls but takes no keyboard focus: {x}" for x in found["unfocusable"]]
    )
    if width == "desktop" or not nav_page.src.startswith("api"):
        problems += [f"wider than the column: {x}" for x in found["wide"]]
    viewport = DESKTOP if width == "desktop" else PHONE
    assert not problems, f"/{nav_page.path} at {viewport['width']} px:\n" + _lines(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@each_page
def test_figures_follow_the_palette(scheme, nav_page, request):
    """With prefers-color-scheme light/dark, each figure shows only its matching variant."""
    v = request.getfixturevalue("visit" if scheme == "light" else "dark_visit")
    want = {"light": "default", "dark": "slate"}[scheme]
    assert v.facts["scheme"] == want, (
        f"/{nav_page.path}: Material chose the palette {v.facts['scheme']!r}, want {want!r}"
    )
    other = "dark" if scheme == "light" else "light"
    problems = [f"request to an outside host: {u}" for u in v.outside]
    for fig in v.facts["figures"]:
        shown = [i["src"] for i in fig["imgs"] if i["shown"]]
        # A variant is its palette's SVG, or (the notebook's light figures) its PNG marked #only-light.
        if len(shown) != 1 or not (f"-{scheme}.svg" in shown[0] or shown[0].endswith(f"#only-{scheme}")):
            problems.append(f"figure #{fig['id']}: shows {shown}, want exactly the -{scheme}.svg variant")
        hidden_other = [i for i in fig["imgs"] if f"-{other}.svg" in i["src"] or i["src"].endswith(f"#only-{other}")]
        if not hidden_other:
            problems.append(f"figure #{fig['id']}: has no -{other}.svg variant for the other palette")
        problems += [
            f"figure #{fig['id']}: the {other} variant is visible: {i['src']}" for i in hidden_other if i["shown"]
        ]
    assert not problems, f"/{nav_page.path} ({scheme}):\n" + _lines(problems)


@each_page
def test_dark_figures_are_drawn_in_light_ink(nav_page, dark_visit, dark):
    """In the dark palette every figure is legible: the dark SVG's fills and strokes stand out
    from the page (no #222222 or black ink), and a screenshot of it shows light ink, not black."""
    srcs = sorted({i["src"] for f in dark_visit.facts["figures"] for i in f["imgs"] if "-dark.svg" in i["src"]})
    if not srcs:
        return
    bg = parse_css_colour(dark_visit.facts["background"] or "")
    assert bg is not None, f"cannot read the dark page's background colour ({dark_visit.facts['background']!r})"
    problems = []
    for src in srcs:
        resp = dark.context.request.get(urljoin(dark_visit.url, src))
        assert resp.ok, f"{src}: HTTP {resp.status}"
        bad = illegible_inks(resp.text(), bg)
        if bad:
            problems.append(
                f"{src}: inks that vanish on the dark page {dark_visit.facts['background']}: " + ", ".join(bad)
            )
    for shot in dark_visit.facts["shots"]:
        hist = shot["histogram"]
        total = sum(hist)
        light_ink, black_ink = sum(hist[180:]) / total, sum(hist[:16]) / total
        if light_ink < 0.001:
            problems.append(f"{shot['src']}: the screenshot shows no light ink ({light_ink:.2%} of pixels)")
        if black_ink > 0.002:
            problems.append(
                f"{shot['src']}: the screenshot shows black ink on the dark page ({black_ink:.2%} of pixels near black)"
            )
    assert not problems, f"/{nav_page.path} (dark):\n" + _lines(problems)


# --------------------------------------------------------------------------------------------
# Reading it (issue 15): listings and tables in their column, one figure per palette, search
# --------------------------------------------------------------------------------------------

WIDE_BOXES_JS = r"""() => {
  const column = document.querySelector('.md-content__inner');
  const right = column.getBoundingClientRect().right;
  const out = [];
  const boxes = document.querySelectorAll(
    '.md-typeset pre > code, .md-typeset .jp-OutputArea pre, .md-typeset .highlight-ipynb pre, ' +
    '.md-typeset table, .md-typeset .md-typeset__scrollwrap, .md-typeset .comparison');
  for (const el of boxes) {
    if (!el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    const hidden = el.scrollWidth - el.clientWidth;
    // Material's table scroller reaches into the padding on purpose: only its scrolling counts.
    const sticksOut = !el.classList.contains('md-typeset__scrollwrap') && r.right > right + 1;
    if (hidden > 1 || sticksOut) {
      const text = (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60);
      out.push(`${el.tagName.toLowerCase()}.${el.className || ''}: ${el.scrollWidth} px of content ` +
               `in ${el.clientWidth} px (right edge ${Math.round(r.right)}, column ${Math.round(right)}) "${text}"`);
    }
  }
  return out;
}"""


@each_page
def test_listings_and_tables_fit_their_column_at_desktop_width(nav_page, light):
    """At 1280 px no code listing, output or table in a chapter, the notebook or the API pages
    (signatures, doctests) needs sideways scrolling: what the prose discusses (a table's last
    column, the end of a line of output) is in view."""
    with light.visit(nav_page.path, settle=False, eager=False):
        wide = light.page.evaluate(WIDE_BOXES_JS)
    assert not wide, f"/{nav_page.path} at {DESKTOP['width']} px, wider than the column:\n" + _lines(wide)


@each_page
def test_the_dark_palette_downloads_only_dark_figures(nav_page, dark):
    """Reading a page top to bottom in the dark palette fetches no light figure (and the other
    way round is the light visit's business: Material hides the other variant, and a hidden
    lazy image is never fetched)."""
    with dark.visit(nav_page.path, settle=True, eager=False) as v:
        pass
    figures = [u.rsplit("/", 1)[-1] for u in v.requests if "/figures/" in u]
    light_ones = [f for f in figures if "-light.svg" in f]
    assert not light_ones, f"/{nav_page.path} (dark) fetched light figures: {light_ones}"


def _search(tab, query: str) -> list[dict]:
    box = tab.locator("input.md-search__input")
    box.click()
    box.fill("")
    box.press_sequentially(query, delay=20)
    try:
        tab.wait_for_selector(".md-search-result__item", timeout=10_000)
    except Exception:
        return []
    tab.wait_for_timeout(400)
    return tab.evaluate("""() => [...document.querySelectorAll('.md-search-result__item > a[href]')]
        .map(a => ({href: a.href, text: a.innerText}))""")


def _page_with_equation(site, number: str) -> str:
    for page in PAGES:
        path = site / page.path / "index.html" if page.path else site / "index.html"
        if path.exists() and f'<span class="eqno">({number})</span>' in path.read_text(encoding="utf-8"):
            return "/" + page.path
    raise AssertionError(f"no page shows equation ({number})")


MATH_ALPHABETS = re.compile("[\U0001d400-\U0001d7ff]")


@pytest.mark.parametrize(
    "query,want",
    [
        ("regularization", "/regularisation/"),  # the US spelling finds the British chapter
        ("λ =", "/regularisation/"),
        ("λ", "/regularisation/"),  # one symbol, typed without a keyup (book.js)
        ("σ", "/sigmoid/"),
        ("lambda", "/regularisation/"),
        ("(4.2)", None),  # an equation number: its page
        ("Hessian", "/likelihood/"),  # the chapter first, not the API
    ],
)
def test_search_finds_what_a_reader_types(query, want, light, site):
    if want is None:
        want = _page_with_equation(site, query.strip("()"))
    with light.visit("", settle=False, eager=False):
        results = _search(light.page, query)
    paths = [urlsplit(r["href"]).path for r in results]
    assert results, f"searching {query!r} finds nothing"
    assert want in paths, f"searching {query!r}: no result on {want}; results: {paths}"
    if query == "Hessian":
        assert not paths[0].startswith("/api"), f"searching 'Hessian' ranks the API first: {paths}"
    gibberish = [r["text"][:120] for r in results if MATH_ALPHABETS.search(r["text"])]
    assert not gibberish, "snippets show MathML text (glued math letters):\n" + _lines(gibberish)


def test_book_js_spells_the_symbols_hooks_py_indexes():
    """book.js searches a symbol typed alone ("λ") as the name book/hooks.py indexes it by."""
    from book.hooks import SYMBOL_NAMES

    js = (ROOT / "docs" / "assets" / "javascripts" / "book.js").read_text(encoding="utf-8")
    block = re.search(r"var NAMES = \{(.*?)\};", js, re.S)
    assert block, "no NAMES table in book.js"
    assert dict(re.findall(r'"([^"]+)": "([^"]+)"', block[1])) == SYMBOL_NAMES


def test_search_snippets_show_formulas_as_text(site):
    """The index holds each formula as readable text (book/mathml.py, plain_text), not the
    MathML's glued symbols: no mathematical alphanumerics, and "λ" a word of its own."""
    data = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    glued = [d["location"] for d in data["docs"] if MATH_ALPHABETS.search(d["text"] + d["title"])]
    assert not glued, f"index entries with MathML text in them: {glued[:10]}"
    assert any(re.search(r"(^|\s)λ(\s|$)", d["text"]) for d in data["docs"])
    assert any("regularization" in d.get("spellings", "") for d in data["docs"])


def test_comparison_table_is_whole_on_a_phone(phone):
    """At 390 px the comparison in "Beyond the post" shows every number of every row (a card per
    row), nothing hidden in a sideways scroller."""
    page = next((p for p in PAGES if p.src == "beyond.md"), None)
    assert page is not None, "the nav has no beyond.md"
    with phone.visit(page.path, settle=False, eager=False):
        box = phone.page.evaluate("""() => { const d = document.querySelector('.comparison');
            return d && {scroll: d.scrollWidth, client: d.clientWidth,
                         cells: d.querySelectorAll('tbody td').length}; }""")
    assert box, "no comparison table on the page"
    assert box["cells"] > 0 and box["scroll"] <= box["client"], f"the table scrolls sideways on a phone: {box}"
