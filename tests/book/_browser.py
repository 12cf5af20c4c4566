"""Helpers for the browser tests (``tests/book/test_browser.py``): build, serve, load, measure.

The browser tests read the book the way a reader does: a strict build of the site into a
temporary folder, served over loopback by :mod:`http.server`, opened in a real headless Chromium
through Playwright. Everything here is plain functions; the fixtures that tie them together live
in ``tests/book/test_browser.py``.

Chromium is the system one (Debian's ``chromium``): Playwright cannot download its own browser on
the machines this book is built on. Without it the browser tests skip, unless the environment sets
``LOGREG_REQUIRE_BROWSER=1`` (CI does), in which case they fail.

Two environment variables help when working on the tests themselves:

* ``LOGREG_SITE_DIR=/path/to/site``: test an already built site instead of building one;
* ``LOGREG_CHROMIUM=/path/to/chromium``: use another Chromium binary.

Playwright is imported lazily, so this module imports (and ``--doctest-modules`` collects it)
on a machine without Playwright.
"""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import itertools
import json
import os
import posixpath
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from tests.book._site import load_config, results_dir
from tests.book._site import nav_pages as site_nav_pages

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = results_dir() / "browser-summary.json"

INSTALL_HINT = (
    "apt-get install chromium (Debian) — the browser tests need a system Chromium; Playwright cannot download one here"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MAX_PAGE_BYTES = 1_000_000


# --------------------------------------------------------------------------------------------
# Finding Chromium, reading the nav, building and serving the site
# --------------------------------------------------------------------------------------------


def find_chromium() -> str | None:
    """The system Chromium: ``$LOGREG_CHROMIUM``, ``chromium`` on the PATH, or /usr/bin/chromium."""
    explicit = os.environ.get("LOGREG_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def browser_required() -> bool:
    """True where a missing browser is a failure, not a skip (CI sets LOGREG_REQUIRE_BROWSER=1)."""
    return os.environ.get("LOGREG_REQUIRE_BROWSER", "").strip() not in ("", "0")


def _load_mkdocs_yml() -> dict:
    return load_config(ROOT)


def src_to_url(src: str, use_directory_urls: bool = True) -> str:
    """The site path of a docs file, as MkDocs writes it: ``likelihood.md`` -> ``likelihood/``.

    >>> src_to_url("index.md"), src_to_url("likelihood.md"), src_to_url("walkthrough.ipynb")
    ('', 'likelihood/', 'walkthrough/')
    >>> src_to_url("part/index.md"), src_to_url("data.md", use_directory_urls=False)
    ('part/', 'data.html')
    """
    stem, _ = posixpath.splitext(src)
    if not use_directory_urls:
        return stem + ".html"
    if posixpath.basename(stem) in ("index", "README"):
        parent = posixpath.dirname(stem)
        return parent + "/" if parent else ""
    return stem + "/"


@dataclass(frozen=True)
class NavPage:
    title: str
    src: str  # path under docs/
    path: str  # site path, relative to the site root ('' for the home page)

    @property
    def id(self) -> str:
        return self.path.strip("/") or "index"

    @property
    def is_notebook(self) -> bool:
        return self.src.endswith(".ipynb")


def nav_pages() -> list[NavPage]:
    """Every page in the nav of ``mkdocs.yml``, in reading order (read at collection time)."""
    config = _load_mkdocs_yml()
    directory_urls = config.get("use_directory_urls", True)
    return [NavPage(t, s, src_to_url(s, directory_urls)) for t, s in site_nav_pages(config)]


def built_page_paths(site: Path) -> tuple[set[str], set[str]]:
    """Site paths of the pages in a built site: (from sitemap.xml, from the *.html files)."""
    base = None
    sitemap: set[str] = set()
    sitemap_file = site / "sitemap.xml"
    if sitemap_file.exists():
        locs = re.findall(r"<loc>\s*([^<]+?)\s*</loc>", sitemap_file.read_text(encoding="utf-8"))
        site_url = _load_mkdocs_yml().get("site_url") or ""
        base = urlsplit(site_url).path or "/"
        for loc in locs:
            path = urlsplit(loc).path
            sitemap.add(path[len(base) :] if path.startswith(base) else path.lstrip("/"))
    html: set[str] = set()
    for f in site.rglob("*.html"):
        rel = f.relative_to(site).as_posix()
        if rel == "404.html" or rel.startswith(("search/", "assets/")):
            continue
        html.add(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return sitemap, html


def built_file(site: Path, page: NavPage) -> Path:
    """The HTML file a nav page was built to."""
    return site / (page.path + "index.html" if page.path.endswith("/") or not page.path else page.path)


EQREF_TAG = re.compile(r"<a\b[^>]*\bclass=\"(?:[^\"]*\s)?eqref(?:\s[^\"]*)?\"[^>]*>")


def eqref_hrefs(html_text: str) -> list[str]:
    """The distinct hrefs of the equation links (``<a class="eqref">``) in built HTML, in order.

    >>> eqref_hrefs('<a class="eqref" href="../likelihood/#eq-nll">(4.1)</a> <a href="x">'
    ...             '<a href="#eq-a" class="eqref">(1.1)</a><a class="eqref" href="#eq-a">')
    ['../likelihood/#eq-nll', '#eq-a']
    """
    out = []
    for tag in EQREF_TAG.findall(html_text):
        m = re.search(r"\bhref=\"([^\"]*)\"", tag)
        if m:
            out.append(html.unescape(m.group(1)))
    return list(dict.fromkeys(out))


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a tab that moved on: not news
            super().handle_error(request, client_address)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".woff2": "font/woff2",
        ".svg": "image/svg+xml",
        ".json": "application/json",
        ".ipynb": "application/x-ipynb+json",
        ".js": "text/javascript",
    }

    def log_message(self, format, *args):
        pass


class SiteServer:
    """The built site over loopback (127.0.0.1, a free port), in a daemon thread."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.netloc = urlsplit(self.base_url).netloc
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="site-server", daemon=True)

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")


# --------------------------------------------------------------------------------------------
# Loading a page with everything recorded
# --------------------------------------------------------------------------------------------


@dataclass
class Visit:
    """What happened while one page loaded: every request, error and byte."""

    path: str
    url: str
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    load_ms: float | None = None
    images: list[dict] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes.values())

    def traffic_problems(self) -> list[str]:
        return (
            [f"request to an outside host: {u}" for u in self.outside]
            + [f"request failed: {u}" for u in self.failed]
            + [f"HTTP error: {u}" for u in self.bad_status]
        )

    def weight_report(self, top: int = 8) -> str:
        biggest = sorted(self.sizes.items(), key=lambda kv: -kv[1])[:top]
        return "\n".join(f"  {n:>9,} B  {u}" for u, n in biggest)


def _local(url: str, netloc: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    return parts.scheme in ("http", "https") and parts.netloc == netloc


def new_context(browser, netloc: str, *, color_scheme: str, viewport: dict, mobile: bool = False):
    """A fresh context in one palette and viewport; requests to other hosts are refused.

    The page still records them (``page.on("request")`` sees a request before the route aborts
    it), so the test can name them; refusing them keeps the run offline and fast.
    """
    context = browser.new_context(
        color_scheme=color_scheme,
        viewport=viewport,
        is_mobile=mobile,
        has_touch=mobile,
        device_scale_factor=1,
        service_workers="block",
    )

    def route(r):
        if _local(r.request.url, netloc):
            r.continue_()
        else:
            r.abort("blockedbyclient")

    context.route("**/*", route)
    context.set_default_timeout(15_000)
    return context


class Tab:
    """One reusable browser tab in a context (opening a tab is slow; navigating is cheap).

    ``with tab.visit(path) as v:`` loads a page with every request, response and error recorded
    into ``v`` (a :class:`Visit`); on leaving the block the recorders come off and the tab goes
    back to ``about:blank``, so the next visit starts clean.
    """

    def __init__(self, context, server: SiteServer):
        self.context = context
        self.server = server
        self.page = context.new_page()

    def close(self) -> None:
        self.page.close()

    @contextlib.contextmanager
    def visit(self, path: str, *, settle: bool = True, eager: bool = True):
        """Load ``path``; with ``eager``, make every lazy image load and decode.

        With ``settle``, also wait for the network to go quiet (the search worker fetches its
        index after the load event) and read every response body, so the visit counts every byte a
        reader downloads.
        """
        page, server = self.page, self.server
        visit = Visit(path=path, url=server.url(path))
        responses = []

        def on_request(req):
            visit.requests.append(req.url)
            if not _local(req.url, server.netloc):
                visit.outside.append(req.url)

        def on_response(resp):
            responses.append(resp)
            if resp.status >= 400:
                visit.bad_status.append(f"{resp.status} {resp.url}")

        def on_failed(req):
            visit.failed.append(f"{req.url} ({req.failure})")

        def on_console(msg):
            if msg.type == "error":
                loc = msg.location or {}
                where = f" ({loc.get('url')}:{loc.get('lineNumber')})" if loc.get("url") else ""
                visit.console_errors.append(msg.text + where)

        def on_pageerror(exc):
            visit.page_errors.append(str(exc))

        handlers = {
            "request": on_request,
            "response": on_response,
            "requestfailed": on_failed,
            "console": on_console,
            "pageerror": on_pageerror,
        }
        for event, handler in handlers.items():
            page.on(event, handler)
        try:
            page.goto(visit.url, wait_until="load")
            if settle:
                # Read the page top to bottom as a reader would, so lazy images in view load
                # (and hidden ones, such as the other palette's figure, do not), then let the
                # network go quiet and count what came down.
                page.evaluate(SCROLL_THROUGH_JS)
                with contextlib.suppress(Exception):
                    page.wait_for_load_state("networkidle", timeout=10_000)
                visit.load_ms = page.evaluate(LOAD_TIME_JS)
                for resp in list(responses):
                    with contextlib.suppress(Exception):
                        visit.sizes[resp.url] = visit.sizes.get(resp.url, 0) + len(resp.body())
            if eager:
                visit.images = page.evaluate(EAGER_IMAGES_JS)
            yield visit
        finally:
            for event, handler in handlers.items():
                page.remove_listener(event, handler)
            try:
                page.goto("about:blank")
            except Exception:
                self.page = self.context.new_page()


SCROLL_THROUGH_JS = """async () => {
  const step = innerHeight + 600;  // Chromium starts lazy images ~1250 px before they show
  for (let y = 0; y < document.documentElement.scrollHeight; y += step) {
    window.scrollTo(0, y);
    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 30)));
  }
  window.scrollTo(0, 0);
}"""

LOAD_TIME_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  return nav ? nav.loadEventEnd - nav.startTime : null;
}"""

# Figures load lazily: make every image eager, bring it into view, and wait for it to decode.
EAGER_IMAGES_JS = """async () => {
  const imgs = [...document.images];
  for (const img of imgs) img.loading = 'eager';
  const out = [];
  for (const img of imgs) {
    let error = null;
    img.scrollIntoView({block: 'center'});
    try {
      await Promise.race([
        img.decode(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 10 s')), 10000)),
      ]);
    } catch (e) { error = String(e); }
    out.push({
      src: img.getAttribute('src') || '',
      current: img.currentSrc || img.src,
      alt: img.getAttribute('alt'),
      naturalWidth: img.naturalWidth,
      naturalHeight: img.naturalHeight,
      error,
      inFigure: !!img.closest('figure.book-figure'),
    });
  }
  window.scrollTo(0, 0);
  return out;
}"""

# Everything the per-page checks need, gathered in one pass over the rendered page.
FACTS_JS = r"""async () => {
  await document.fonts.ready;
  const visible = el => el.checkVisibility({visibilityProperty: true});
  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = (el.getAttribute('class') || '').trim().split(/\s+/).filter(Boolean).slice(0, 2);
    if (cls.length) s += '.' + cls.join('.');
    return s;
  };

  // Figures and their captions.
  const figures = [...document.querySelectorAll('figure.book-figure')].map(f => {
    const cap = f.querySelector('figcaption');
    return {id: f.id, caption: cap ? cap.innerText.trim() : null,
            imgs: [...f.querySelectorAll('img')].map(i => ({src: i.getAttribute('src'), shown: visible(i)}))};
  });

  // Math: how much, whether it laid out, and any error markers.
  const maths = [...document.querySelectorAll('math')];
  const mathBoxes = maths.filter(visible).map(m => {
    const r = m.getBoundingClientRect();
    return {display: m.getAttribute('display') === 'block', width: r.width, height: r.height,
            text: m.textContent.trim().slice(0, 40)};
  });
  // A fraction laid out as MathML has its numerator above its denominator.
  const fractions = [...document.querySelectorAll('mfrac')].filter(visible).map(f => {
    const [num, den] = f.children;
    if (!num || !den) return {ok: false, text: f.textContent.slice(0, 40)};
    const a = num.getBoundingClientRect(), b = den.getBoundingClientRect();
    return {ok: a.bottom <= b.top + 1, text: f.textContent.slice(0, 40)};
  });
  const mathFont = [...document.fonts].filter(f => /Latin Modern Math/.test(f.family)).map(f => f.status);
  const mathErrors = [...document.querySelectorAll('merror, .katex-error, mjx-merror, .MathJax_Error')]
      .map(e => describe(e) + ': ' + e.textContent.trim().slice(0, 80));

  // The visible text outside code: hide code while reading innerText, then put it back.
  const style = document.createElement('style');
  style.textContent = 'pre, code, kbd, samp, script, style, textarea { display: none !important; }';
  document.head.appendChild(style);
  const proseText = document.body.innerText;
  style.remove();

  // Equation references.
  const eqrefs = [...new Set([...document.querySelectorAll('a.eqref')].map(a => a.getAttribute('href')))];

  // Headings in the article.
  const headings = [...document.querySelectorAll('.md-content h1, .md-content h2, .md-content h3, '
      + '.md-content h4, .md-content h5, .md-content h6')]
      .map(h => ({level: +h.tagName[1], id: h.id, text: h.textContent.replace('¶', '').trim().slice(0, 60)}));

  // Controls and their accessible labels.
  const hasText = el => !!(el && ((el.innerText || el.textContent || '').trim()
      || (el.getAttribute('aria-label') || '').trim()));
  const labelOf = el => {
    if ((el.getAttribute('aria-label') || '').trim()) return 'aria-label';
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
    if (ids.some(id => hasText(document.getElementById(id)))) return 'aria-labelledby';
    if (el.id && [...document.querySelectorAll('label')].some(l => l.htmlFor === el.id)) return 'label[for]';
    if (el.closest('label')) return 'wrapping label';
    if ((el.getAttribute('title') || '').trim()) return 'title';
    const tag = el.tagName.toLowerCase(), type = (el.getAttribute('type') || '').toLowerCase();
    if (tag === 'button' && (el.innerText || el.textContent || '').trim()) return 'text';
    if (tag === 'button' && [...el.querySelectorAll('img[alt], svg title')]
        .some(x => (x.getAttribute('alt') || x.textContent || '').trim())) return 'image text';
    if (tag === 'input' && ['button', 'submit', 'reset'].includes(type) && (el.value || '').trim()) return 'value';
    if (tag === 'input' && type === 'image' && (el.getAttribute('alt') || '').trim()) return 'alt';
    return null;
  };
  const controls = [...document.querySelectorAll(
      'input:not([type=hidden]), select, textarea, button, [role=slider]')]
      .map(el => ({control: describe(el), label: labelOf(el)}));

  const scheme = document.body.getAttribute('data-md-color-scheme');

  // The colour a figure sits on: the first opaque background from the article up.
  let background = null;
  for (let el = document.querySelector('figure.book-figure') || document.querySelector('.md-content');
       el; el = el.parentElement) {
    const c = getComputedStyle(el).backgroundColor;
    if (c && !/^rgba\(.*,\s*0\)$/.test(c) && c !== 'transparent') { background = c; break; }
  }

  // Links that download a notebook.
  const ipynbLinks = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
      .filter(h => /\.ipynb([?#].*)?$/.test(h));

  return {scheme, background, ipynbLinks, figures, mathCount: maths.length, mathBoxes, fractions, mathFont, mathErrors,
          proseText, eqrefs, headings, controls};
}"""

# Display equations after landing on each numbered one's anchor: is its number in view, is any
# formula clipped top or bottom by its scroller, and does each scroller that overflows take focus?
EQUATIONS_JS = r"""async () => {
  await document.fonts.ready;
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)));
  const out = {numbers: [], clipped: [], unfocusable: [], wide: []};
  const text = el => el.textContent.replace(/\s+/g, ' ').trim().slice(0, 40);
  for (const eq of document.querySelectorAll('.md-typeset .equation')) {
    const body = eq.querySelector('.equation-body') || eq;
    // What the box shows (inside its borders, above a horizontal scrollbar) against where the
    // formula's parts are laid out: a part above or below that band is cut off.
    const b = body.getBoundingClientRect();
    const top = b.top + body.clientTop, bottom = top + body.clientHeight;
    let lo = Infinity, hi = -Infinity;
    for (const el of body.querySelectorAll('math, math *')) {
      const r = el.getBoundingClientRect();
      if (r.height === 0) continue;
      lo = Math.min(lo, r.top); hi = Math.max(hi, r.bottom);
    }
    if (lo < top - 0.5 || hi > bottom + 0.5) {
      out.clipped.push(`${eq.id || 'unnumbered'} "${text(body)}" (laid out from ${Math.round(lo - top)} ` +
                       `to ${Math.round(hi - top)} px in a box ${body.clientHeight} px tall)`);
    }
    if (body.scrollWidth > body.clientWidth + 1) {
      out.wide.push(
        `${eq.id || 'unnumbered'} "${text(body)}" (${body.scrollWidth} px in ${body.clientWidth} px)`);
    }
    if (body.scrollWidth > body.clientWidth + 1 && body.tabIndex < 0) {
      out.unfocusable.push(
        `${eq.id || 'unnumbered'} "${text(body)}" (${body.scrollWidth} px in ${body.clientWidth} px)`);
    }
  }
  for (const eq of document.querySelectorAll('.md-typeset .equation[id]')) {
    const no = eq.querySelector('.eqno');
    if (!no) { out.numbers.push(`#${eq.id}: no .eqno`); continue; }
    location.hash = eq.id;
    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
    const r = no.getBoundingClientRect();
    const width = document.documentElement.clientWidth;
    if (!(r.width > 0 && r.left >= 0 && r.right <= width + 0.5 && r.bottom > 0 && r.top < innerHeight)) {
      out.numbers.push(`#${eq.id}: its number ${no.textContent} is at ` +
                       `x ${Math.round(r.left)}-${Math.round(r.right)}, ` +
                       `y ${Math.round(r.top)} px (viewport ${width} x ${innerHeight})`);
    }
  }
  return out;
}"""

# Cumulative layout shift since the page started loading (Chromium keeps the entries for a
# buffered observer): the largest burst of shifts, in session windows as web-vitals counts them
# (gaps under 1 s, at most 5 s long), with what moved in the worst shifts.
CLS_JS = r"""async () => {
  const entries = await new Promise(resolve => {
    const seen = [];
    const po = new PerformanceObserver(list => seen.push(...list.getEntries()));
    po.observe({type: 'layout-shift', buffered: true});
    setTimeout(() => { po.disconnect(); resolve(seen); }, 200);
  });
  const describe = n => {
    if (!n || n.nodeType !== 1) return n ? n.nodeName : '?';
    let s = n.tagName.toLowerCase() + (n.id ? '#' + n.id : '');
    const cls = (n.getAttribute('class') || '').trim().split(/\s+/).filter(Boolean).slice(0, 2);
    return cls.length ? s + '.' + cls.join('.') : s;
  };
  let worst = 0, current = 0, start = -Infinity, last = -Infinity;
  const shifts = [];
  for (const e of entries) {
    if (e.hadRecentInput) continue;
    if (e.startTime - last > 1000 || e.startTime - start > 5000) { current = 0; start = e.startTime; }
    current += e.value; last = e.startTime; worst = Math.max(worst, current);
    shifts.push({value: e.value, at: Math.round(e.startTime),
                 moved: (e.sources || []).map(s => describe(s.node)).slice(0, 3)});
  }
  shifts.sort((a, b) => b.value - a.value);
  return {cls: worst, shifts: shifts.slice(0, 5)};
}"""

# What sticks out sideways on a narrow screen (ignoring what its own scroller contains).
OVERFLOW_JS = r"""() => {
  const width = document.documentElement.clientWidth;
  const clipped = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
    }
    return false;
  };
  const culprits = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 0.5 || clipped(el)) continue;
    if (!el.checkVisibility()) continue;
    let s = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
    const cls = (el.getAttribute('class') || '').trim().split(/\s+/).filter(Boolean).slice(0, 2);
    if (cls.length) s += '.' + cls.join('.');
    const text = (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 50);
    culprits.push(`${s} (right edge ${Math.round(r.right)} px)` + (text ? ` "${text}"` : ''));
    if (culprits.length >= 8) break;
  }
  return {scrollWidth: document.documentElement.scrollWidth, clientWidth: width,
          bodyScrollWidth: document.body.scrollWidth, culprits};
}"""


# --------------------------------------------------------------------------------------------
# Checks that are plain functions of data
# --------------------------------------------------------------------------------------------

RAW_TEX = [
    ("$$", re.compile(r"\$\$")),
    (r"\(", re.compile(r"\\\(")),
    (r"\[", re.compile(r"\\\[")),
    (r"\begin{", re.compile(r"\\begin\{")),
    ("$...\\command...$", re.compile(r"\$[^$\n]*\\[A-Za-z]+[^$\n]*\$")),
]


def raw_tex(text: str) -> list[str]:
    r"""Leftover LaTeX in visible prose, as short excerpts.

    >>> raw_tex("costs $5 and $10")
    []
    >>> raw_tex(r"the loss $\sum_n \log \sigma(a_n)$ is")
    ['$...\\command...$: ...the loss $\\sum_n \\log \\sigma(a_n)$ is...']
    >>> raw_tex(r"see \begin{align} x")[0][:9]
    '\\begin{: '
    """
    found = []
    for name, pattern in RAW_TEX:
        for m in pattern.finditer(text):
            lo, hi = max(0, m.start() - 12), min(len(text), m.end() + 12)
            found.append(f"{name}: ...{text[lo:hi]}...".replace("\n", " "))
            break
    return found


def heading_problems(headings: list[dict]) -> list[str]:
    """One h1, and no heading more than one level below the one before it.

    >>> heading_problems([{"level": 1, "text": "A"}, {"level": 2, "text": "B"}, {"level": 3, "text": "C"},
    ...                   {"level": 2, "text": "D"}])
    []
    >>> heading_problems([{"level": 1, "text": "A"}, {"level": 3, "text": "B"}])
    ["h1 'A' is followed by h3 'B' (skips a level)"]
    >>> heading_problems([{"level": 2, "text": "A"}])
    ['1 heading(s) but 0 h1 (want exactly one)', "the first heading is h2 'A', not the h1"]
    """
    problems = []
    h1 = [h for h in headings if h["level"] == 1]
    if len(h1) != 1:
        problems.append(f"{len(headings)} heading(s) but {len(h1)} h1 (want exactly one)")
    if headings and headings[0]["level"] != 1:
        problems.append(f"the first heading is h{headings[0]['level']} {headings[0]['text']!r}, not the h1")
    for before, after in itertools.pairwise(headings):
        if after["level"] > before["level"] + 1:
            problems.append(
                f"h{before['level']} {before['text']!r} is followed by "
                f"h{after['level']} {after['text']!r} (skips a level)"
            )
    return problems


COLOUR = re.compile(
    r"""(?P<prop>fill|stroke|color|stop-color)\s*(?:=\s*["']|:\s*)\s*(?P<value>#[0-9a-fA-F]{3,8}\b|[a-zA-Z]+)""",
)
NAMED = {"black": "#000000", "white": "#ffffff"}


def parse_colour(value: str) -> tuple[float, float, float] | None:
    """An sRGB triple in 0..1 from ``#rgb``/``#rrggbb``(``aa``) or a few names; None otherwise."""
    value = NAMED.get(value.lower(), value)
    if not value.startswith("#"):
        return None
    h = value[1:]
    if len(h) in (3, 4):
        h = "".join(c * 2 for c in h[:3])
    if len(h) not in (6, 8):
        return None
    return tuple(int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG contrast ratio of two colours, 1 to 21.

    >>> round(contrast((0, 0, 0), (1, 1, 1)), 1)
    21.0
    """
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def illegible_inks(svg: str, background: tuple[float, float, float], minimum: float = 1.5) -> list[str]:
    """Fill and stroke colours in an SVG that nearly vanish on ``background``.

    >>> dark = (0.12, 0.13, 0.16)
    >>> illegible_inks('<path style="stroke: #222222; fill: #e6e6e6"/><text fill="black"/>', dark)
    ['stroke #222222 (contrast 1.0:1)', 'fill black (contrast 1.3:1)']
    """
    bad = {}
    for m in COLOUR.finditer(svg):
        rgb = parse_colour(m["value"])
        if rgb is None:
            continue
        ratio = contrast(rgb, background)
        if ratio < minimum:
            bad.setdefault(f"{m['prop']} {m['value']}", ratio)
    return [f"{k} (contrast {v:.1f}:1)" for k, v in bad.items()]


def parse_css_colour(css: str) -> tuple[float, float, float] | None:
    """``rgb(r, g, b)``/``rgba(...)`` from getComputedStyle, as 0..1 floats."""
    m = re.match(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:[,\s/]+([\d.]+))?", css)
    if not m:
        return None
    if m.group(4) is not None and float(m.group(4)) == 0:
        return None
    return tuple(float(m.group(i)) / 255 for i in (1, 2, 3))


# --------------------------------------------------------------------------------------------
# The summary a run leaves behind
# --------------------------------------------------------------------------------------------


def write_summary(visits: dict[str, Visit], path: Path = SUMMARY) -> dict:
    pages = {
        v.path or "/": {
            "url_path": "/" + v.path,
            "bytes": v.total_bytes,
            "requests": len(v.sizes),
            "load_ms": None if v.load_ms is None else round(v.load_ms, 1),
            "largest": [
                {"url": urlsplit(u).path, "bytes": n} for u, n in sorted(v.sizes.items(), key=lambda kv: -kv[1])[:5]
            ],
        }
        for v in visits.values()
    }
    heaviest = max(pages.items(), key=lambda kv: kv[1]["bytes"], default=(None, None))
    data = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "limit_bytes": MAX_PAGE_BYTES,
        "largest_page": heaviest[0],
        "largest_page_bytes": heaviest[1]["bytes"] if heaviest[1] else None,
        "pages": pages,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return data


def summary_lines(data: dict) -> list[str]:
    lines = [f"page weight and load time over loopback (limit {data['limit_bytes']:,} B; written to {SUMMARY}):"]
    for name, p in sorted(data["pages"].items(), key=lambda kv: -kv[1]["bytes"]):
        load = "-" if p["load_ms"] is None else f"{p['load_ms']:.0f} ms"
        flag = "  OVER" if p["bytes"] > data["limit_bytes"] else ""
        lines.append(f"  {p['bytes']:>10,} B  {p['requests']:>3} req  {load:>8}  /{name.lstrip('/')}{flag}")
    if data["largest_page"] is not None:
        lines.append(f"largest page: /{data['largest_page'].lstrip('/')} ({data['largest_page_bytes']:,} B)")
    return lines
