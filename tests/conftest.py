"""Shared configuration for the logreg test suite.

* A Hypothesis profile, ``ci``, that is reproducible (``derandomize=True``) and fast (modest
  ``max_examples``, no deadline, since the first call of a SciPy routine can be slow). It is loaded
  by default; set ``HYPOTHESIS_PROFILE=dev`` for a longer, randomised local run.
* Small, seeded data sets used by several test modules.
* Where a run writes: ``test-results/`` in the tree, or ``$LOGREG_TEST_RESULTS`` (see
  :func:`pytest_configure`), so that a read-only checkout can be tested.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from scipy.optimize import minimize

import logreg

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
    from tests._site import RESULTS_ENV, results_dir

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


@pytest.fixture(scope="session")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """The book's fuzzy two-class data: overlapping, so the unpenalised optimum is finite."""
    X, y = logreg.make_blobs(200, seed=1)
    X.setflags(write=False)  # shared between tests: nobody may write to it
    y.setflags(write=False)
    return X, y


@pytest.fixture(scope="session")
def separable() -> tuple[np.ndarray, np.ndarray]:
    """The book's linearly separable data: no finite unpenalised optimum."""
    X, y = logreg.make_separable(100, seed=0)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@pytest.fixture(params=logreg.METHODS)
def method(request) -> str:
    """Every solver the package offers."""
    return request.param


# --------------------------------------------------------------------------------------------
# An independent reference: the objective, its derivatives and a minimiser written here, without
# any code from the package, for the fit and cross-check tests.
# --------------------------------------------------------------------------------------------


def _sigma(a: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def ref_objective(theta, X, y, l2, penalize_bias) -> float:
    """E(w, b) with theta = (w, b): log(1 + e^-m) per point, m = (2y - 1) a, via logaddexp."""
    w, b = theta[:-1], theta[-1]
    a = X @ w + b
    nll = np.sum(np.logaddexp(0.0, -(2.0 * y - 1.0) * a))
    return float(nll + l2 * (w @ w + (b * b if penalize_bias else 0.0)))


def ref_gradient(theta, X, y, l2, penalize_bias) -> np.ndarray:
    w, b = theta[:-1], theta[-1]
    r = _sigma(X @ w + b) - y
    pen = 2.0 * l2 * np.append(w, b if penalize_bias else 0.0)
    return np.append(X.T @ r, r.sum()) + pen


def ref_hessian(theta, X, y, l2, penalize_bias) -> np.ndarray:
    w, b = theta[:-1], theta[-1]
    a = X @ w + b
    e = np.exp(-np.abs(a))
    s = e / (1.0 + e) ** 2
    Xt = np.hstack([X, np.ones((X.shape[0], 1))])
    pen = 2.0 * l2 * np.append(np.ones(X.shape[1]), 1.0 if penalize_bias else 0.0)
    return (Xt * s[:, None]).T @ Xt + np.diag(pen)


def ref_minimise(X, y, l2, penalize_bias) -> tuple[np.ndarray, float]:
    """Minimise E with scipy's trust-region Newton method ("trust-exact") at a very tight
    tolerance, in coordinates standardised here (w = phi / c, b = beta - m . w), then polish with
    three exact Newton steps (least squares, so a singular Hessian is fine)."""
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    m, c = X.mean(axis=0), X.std(axis=0)
    c = np.where(c > 0, c, 1.0)
    d = X.shape[1]
    T = np.zeros((d + 1, d + 1))
    T[:d, :d] = np.diag(1.0 / c)
    T[d, :d] = -m / c
    T[d, d] = 1.0
    args = (X, y, l2, penalize_bias)

    def fun(psi):
        return ref_objective(T @ psi, *args)

    def jac(psi):
        return T.T @ ref_gradient(T @ psi, *args)

    def hess(psi):
        return T.T @ ref_hessian(T @ psi, *args) @ T

    res = minimize(fun, np.zeros(d + 1), jac=jac, hess=hess, method="trust-exact", options={"gtol": 1e-13})
    psi = res.x
    for _ in range(3):
        step = np.linalg.lstsq(hess(psi), -jac(psi), rcond=None)[0]
        if fun(psi + step) <= fun(psi):
            psi = psi + step
    theta = T @ psi
    return theta[:-1], float(theta[-1])


def ref_newton_step(theta, X, y, l2, penalize_bias) -> np.ndarray:
    """H^-1 g: to second order, theta minus the true optimum (needs a unique optimum)."""
    return np.linalg.solve(ref_hessian(theta, X, y, l2, penalize_bias), ref_gradient(theta, X, y, l2, penalize_bias))


@pytest.fixture(scope="session")
def ref() -> SimpleNamespace:
    """The independent reference implementation, as ``ref.objective(theta, X, y, l2, pb)`` etc."""
    return SimpleNamespace(
        objective=ref_objective,
        gradient=ref_gradient,
        hessian=ref_hessian,
        minimise=ref_minimise,
        newton_step=ref_newton_step,
    )


# --------------------------------------------------------------------------------------------
# The built book, a server and a browser: shared by the site, browser and explorer tests, so the
# suite builds the site once (tests/_site.py builds it twice, in parallel, to compare bytes) and
# starts one Chromium.
# --------------------------------------------------------------------------------------------

from tests._browser import (  # noqa: E402
    CHROMIUM_ARGS,
    INSTALL_HINT,
    SiteServer,
    browser_required,
    find_chromium,
)
from tests._site import built_site, built_source, second_site, site_builds, warm_site  # noqa: E402,F401


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
            problem = ("the Python package `playwright` is not installed (it is in the `test` extra: "
                       "pip install -e '.[test]'); " + INSTALL_HINT)
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


