"""Fixtures of the book tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# --------------------------------------------------------------------------------------------
# The built book, a server and a browser: shared by the site, browser and explorer tests, so the
# suite builds the site once (tests/book/_site.py builds it twice, in parallel, to compare bytes) and
# starts one Chromium.
# --------------------------------------------------------------------------------------------
from tests.book._browser import (
    CHROMIUM_ARGS,
    INSTALL_HINT,
    SiteServer,
    browser_required,
    find_chromium,
)
from tests.book._site import built_site, built_source, second_site, site_builds, warm_site  # noqa: F401


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system Chromium, or a skip (a failure where LOGREG_REQUIRE_BROWSER=1) saying how to get it."""
    problem = None
    path = find_chromium()
    if path is None:
        problem = f"no Chromium found: {INSTALL_HINT}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = (
                "the Python package `playwright` is not installed (it is in the `test` extra: "
                "pip install -e '.[test]'); " + INSTALL_HINT
            )
    if problem:
        if browser_required():
            pytest.fail(f"LOGREG_REQUIRE_BROWSER is set: {problem}", pytrace=False)
        pytest.skip(problem)
    return path


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def site(chromium, request) -> Path:
    """The built book: a fresh strict build, or $LOGREG_SITE_DIR if set (to test a given build)."""
    given = os.environ.get("LOGREG_SITE_DIR")
    if given:
        return Path(given).resolve()
    return request.getfixturevalue("built_site")


@pytest.fixture(scope="session")
def server(site):
    with SiteServer(site) as s:
        yield s
