"""The offline edition (``make offline``, ``mkdocs-offline.yml``) read from disk, as a reader would.

Opened as ``file://.../index.html`` in headless Chromium, with no server: every link of the
nav must open a page (not a folder listing), search must find a word, the math font must load
(fonts from file:// fail in CORS mode unless inlined), and nothing may be fetched from anywhere
but the disk. ``LOGREG_OFFLINE_SITE_DIR`` tests an offline edition already built.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.book._browser import DESKTOP, nav_pages

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def offline_site(chromium, tmp_path_factory) -> Path:
    given = os.environ.get("LOGREG_OFFLINE_SITE_DIR")
    if given:
        return Path(given).resolve()
    site = tmp_path_factory.mktemp("offline") / "site"
    log = site.parent / "build.log"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    with log.open("wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs-offline.yml", "--site-dir", str(site)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=900,
        )
    if done.returncode != 0:
        pytest.fail(
            f"the offline build failed (exit {done.returncode}); log: {log}\n"
            + log.read_text(errors="replace")[-4000:],
            pytrace=False,
        )
    return site


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on(
        "request",
        lambda r: (
            urlsplit(r.url).scheme not in ("file", "data", "about", "blob")
            and page.problems.append(f"request to {r.url}")
        ),
    )
    yield page
    context.close()


def test_offline_build_names_files_and_inlines_search(offline_site):
    assert (offline_site / "index.html").is_file()
    assert (offline_site / "data.html").is_file(), "the offline edition must link files, not folders"
    assert not (offline_site / "data").exists()
    script = offline_site / "search" / "search_index.js"
    assert script.is_file() and script.read_text(encoding="utf-8").startswith("var __index = {")
    index = (offline_site / "index.html").read_text(encoding="utf-8")
    assert "unpkg.com" not in index and "iframe-worker.js" in index


def test_every_nav_link_opens_a_page_from_disk(offline_site, tab):
    tab.goto((offline_site / "index.html").as_uri())
    hrefs = tab.eval_on_selector_all("nav.md-nav--primary a.md-nav__link[href]", "els => els.map(a => a.href)")
    targets = sorted({h.split("#")[0] for h in hrefs})
    assert len(targets) >= len(nav_pages()), targets
    for url in targets:
        path = Path(unquote(urlsplit(url).path))
        assert urlsplit(url).scheme == "file" and path.is_file(), f"{url} is not a file on disk"
    # Follow one by clicking, as a reader does: the page opens with its title and its formulas.
    tab.click("nav.md-nav--primary a.md-nav__link[href$='likelihood.html']")
    tab.wait_for_load_state("load")
    assert tab.url.endswith("/likelihood.html"), tab.url
    assert tab.locator("article h1").count() == 1
    assert tab.locator("article math").count() > 10
    tab.evaluate("document.fonts.ready")
    assert tab.evaluate("document.fonts.check('16px \"Latin Modern Math\"')"), "the math font did not load from disk"
    loaded = tab.evaluate("[...document.fonts].filter(f => f.family.includes('Latin Modern Math')).map(f => f.status)")
    assert loaded and all(s == "loaded" for s in loaded), loaded
    assert not tab.problems, tab.problems


def test_search_works_from_disk(offline_site, tab):
    tab.goto((offline_site / "sigmoid.html").as_uri())
    tab.keyboard.press("/")
    tab.keyboard.type("Hessian")
    tab.wait_for_selector(".md-search-result__item", timeout=20_000)
    titles = tab.locator(".md-search-result__item h1, .md-search-result__item h2").all_inner_texts()
    assert any("Hessian" in t or "likelihood" in t.lower() for t in titles), titles
    first = tab.locator(".md-search-result__item a").first.get_attribute("href")
    tab.locator(".md-search-result__item a").first.click()
    tab.wait_for_load_state("load")
    assert tab.url.startswith("file://") and ".html" in tab.url, (first, tab.url)
    assert not tab.problems, tab.problems


@pytest.mark.parametrize("query", ["regularization", "λ"])
def test_search_from_disk_finds_spellings_and_symbols(offline_site, tab, query):
    """The offline edition's index (a script, search_index.js) has the US spellings and the
    symbols' names that book/hooks.py adds, as the served one does: "regularization" and a lone
    "λ" (inserted as an input method would, without a keyup) find the Regularisation chapter."""
    tab.goto((offline_site / "index.html").as_uri())
    tab.keyboard.press("/")
    tab.keyboard.insert_text(query)
    tab.wait_for_selector(".md-search-result__item", timeout=20_000)
    hrefs = [a.get_attribute("href") for a in tab.locator(".md-search-result__item > a").all()]
    assert any("regularisation.html" in h for h in hrefs), (query, hrefs)
    assert not tab.problems, tab.problems
