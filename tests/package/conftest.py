"""Fixtures of the package tests: small seeded data sets and reference formulas."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import minimize

import logreg


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
