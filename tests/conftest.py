"""Shared configuration for the logreg test suite.

* A Hypothesis profile, ``ci``, that is reproducible (``derandomize=True``) and fast (modest
  ``max_examples``, no deadline, since the first call of a SciPy routine can be slow). It is loaded
  by default; set ``HYPOTHESIS_PROFILE=dev`` for a longer, randomised local run.
* Markers from where a test lives: ``tests/package/`` (the package: ``make test-fast``),
  ``tests/bench/`` (smoke runs of the benchmark scripts) and ``tests/book/`` (the build, the
  site and the browser), and ``browser`` on every test that
  starts Chromium, so that ``pytest -m "not browser"`` or ``-m package`` select by kind.
  The fixtures live beside the tests that use them: ``tests/package/conftest.py`` (data sets,
  reference formulas), ``tests/book/conftest.py`` (the built book, a server, a browser).
* Where a run writes: ``test-results/`` in the tree, or ``$LOGREG_TEST_RESULTS`` (see
  :func:`pytest_configure`), so that a read-only checkout can be tested.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=500,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DEFAULT_MPL_RESULTS = "test-results/mpl"  # as pyproject.toml's addopts has it


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """With ``$LOGREG_TEST_RESULTS`` set, write nothing into the tree: the image comparison's
    results go to ``$LOGREG_TEST_RESULTS/mpl`` (unless ``--mpl-results-path`` was given), and
    pytest's own cache to ``$LOGREG_TEST_RESULTS/pytest-cache``. This runs before pytest-mpl and
    the cache plugin read their settings."""
    from tests.book._site import RESULTS_ENV, results_dir

    if not os.environ.get(RESULTS_ENV, "").strip():
        return
    results = results_dir()
    if getattr(config.option, "mpl_results_path", None) == DEFAULT_MPL_RESULTS:
        config.option.mpl_results_path = str(results / "mpl")
    # pytest reads cache_dir through getini(), which memoises into _inicache; seeding it is the
    # only way to move the cache from a conftest (the ini option has no environment default).
    inicache = getattr(config, "_inicache", None)
    if isinstance(inicache, dict):
        inicache["cache_dir"] = str(results / "pytest-cache")


def pytest_collection_modifyitems(config, items):
    """``package``, ``bench`` or ``book`` from the test's directory; ``browser`` where Chromium is used."""
    root = Path(__file__).resolve().parent
    for item in items:
        path = Path(str(item.fspath)).resolve()
        if root / "book" in path.parents:
            item.add_marker(pytest.mark.book)
        elif root / "bench" in path.parents:
            item.add_marker(pytest.mark.bench)
        else:  # tests/package and the doctests of logreg/
            item.add_marker(pytest.mark.package)
        if {"browser", "chromium", "server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
