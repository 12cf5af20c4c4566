"""Choosing the penalty (`logreg.selection`) and warm starts (`fit(init=...)`)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

import logreg
from logreg import selection

GRID = np.logspace(2, -3, 12)


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X, y.astype(float)


# --- fit(init=...) --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", logreg.METHODS)
def test_init_reaches_the_same_optimum_from_anywhere(blobs, method):
    X, y = blobs
    cold = logreg.fit(X, y, l2=0.1, method=method, tol=1e-10)
    for start in [(np.array([5.0, -3.0]), 2.0), cold, (cold.weights, cold.bias)]:
        warm = logreg.fit(X, y, l2=0.1, method=method, tol=1e-10, init=start)
        np.testing.assert_allclose(warm.weights, cold.weights, rtol=1e-6)
        assert warm.history[0] == pytest.approx(
            logreg.objective(
                *((start.weights, start.bias) if isinstance(start, logreg.FitResult) else start), X, y, l2=0.1
            ),
            rel=1e-12,
        )
    at_optimum = logreg.fit(X, y, l2=0.1, method=method, tol=1e-10, init=cold)
    assert at_optimum.n_iter <= 1


def test_init_is_checked(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"weights must have shape \(2,\)"):
        logreg.fit(X, y, init=(np.zeros(3), 0.0))
    with pytest.raises(TypeError, match="init must be a FitResult or a \\(weights, bias\\) pair"):
        logreg.fit(X, y, init=np.zeros(3))
    with pytest.raises(ValueError, match="weights contains NaN"):
        logreg.fit(X, y, init=(np.array([np.nan, 0.0]), 0.0))


def test_init_does_not_alias_the_start(blobs):
    X, y = blobs
    w0 = np.array([1.0, 1.0])
    logreg.fit(X, y, l2=0.1, init=(w0, 0.0))
    assert w0.tolist() == [1.0, 1.0]


# --- the regularisation path ---------------------------------------------------------------------


@pytest.mark.parametrize("method", logreg.METHODS)
def test_warm_path_matches_cold_fits_with_fewer_iterations(cancer, method):
    X, y = cancer
    warm = selection.regularization_path(X, y, GRID, method=method)
    # Cold L-BFGS needs up to ~370 iterations here at the smallest penalties (measured).
    cold = selection.regularization_path(X, y, GRID, method=method, warm_start=False, max_iter=2000)
    for a, b, l2 in zip(warm, cold, GRID, strict=False):
        assert a.l2 == b.l2 == l2 and a.converged and b.converged
        assert abs(a.objective - b.objective) <= 1e-8 * b.objective
    assert sum(r.n_iter for r in warm) < sum(r.n_iter for r in cold)


def test_path_keeps_the_order_given(blobs):
    X, y = blobs
    grid = [0.1, 10.0, 1.0]
    path = selection.regularization_path(X, y, grid)
    assert [r.l2 for r in path] == grid
    norms = {r.l2: np.linalg.norm(r.weights) for r in path}
    assert norms[10.0] < norms[1.0] < norms[0.1]


@pytest.mark.parametrize(
    "grid, match", [([], "non-empty"), ([[1.0]], "1-D"), ([1.0, -1.0], "l2 must be"), ([1.0, 1.0], "twice")]
)
def test_bad_grid(blobs, grid, match):
    with pytest.raises(ValueError, match=match):
        selection.regularization_path(*blobs, grid)


# --- k-fold cross-validation ---------------------------------------------------------------------


def test_folds_partition_and_stratify():
    y = np.r_[np.zeros(37), np.ones(13)]
    folds = selection.kfold_indices(y, k=5, seed=4)
    tests = np.concatenate([t for _, t in folds])
    assert sorted(tests.tolist()) == list(range(50))
    for train, test in folds:
        assert set(train).isdisjoint(test) and len(train) + len(test) == 50
        assert y[test].sum() in (2, 3)  # 13 ones dealt into 5 folds
    again = selection.kfold_indices(y, k=5, seed=4)
    assert all((a[1] == b[1]).all() for a, b in zip(folds, again, strict=False))
    other = selection.kfold_indices(y, k=5, seed=5)
    assert any((a[1] != b[1]).any() for a, b in zip(folds, other, strict=False))


def test_fold_errors():
    with pytest.raises(ValueError, match="k must be an integer >= 2"):
        selection.kfold_indices(np.r_[np.zeros(5), np.ones(5)], k=1)
    with pytest.raises(ValueError, match="at least k points of each class"):
        selection.kfold_indices(np.r_[np.zeros(9), np.ones(2)], k=3)


def test_log_loss_is_scikit_learns(cancer):
    from sklearn.metrics import log_loss

    X, y = cancer
    res = logreg.fit(X[:400], y[:400], l2=1.0)
    assert selection.log_loss(res, X[400:], y[400:]) == pytest.approx(
        log_loss(y[400:], res.predict_proba(X[400:])), rel=1e-10
    )


def test_cross_validation_scores_each_fold(cancer):
    X, y = cancer
    grid = np.logspace(2, -2, 5)
    cv = selection.cross_validate(X, y, grid, k=4, seed=0)
    assert cv.fold_losses.shape == (4, 5)
    # Each entry is the held-out log-loss of a fit on the other folds: recompute one.
    train, test = selection.kfold_indices(y, 4, seed=0)[2]
    res = logreg.fit(X[train], y[train], l2=grid[3])
    assert cv.fold_losses[2, 3] == pytest.approx(selection.log_loss(res, X[test], y[test]), rel=1e-6)
    np.testing.assert_allclose(cv.mean, cv.fold_losses.mean(axis=0))
    best = int(np.argmin(cv.mean))
    assert cv.best_l2 == grid[best]
    within = [l2 for l2, m in zip(grid, cv.mean, strict=False) if m <= cv.mean[best] + cv.standard_error[best]]
    assert cv.one_se_l2 == max(within) >= cv.best_l2


# --- the evidence ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def line():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 1))
    y = (rng.random(60) < 1 / (1 + np.exp(-(2.0 * x[:, 0] - 0.5)))).astype(float)
    return x, y


@pytest.mark.parametrize("penalize_bias", [True, False])
@pytest.mark.parametrize("l2", [0.05, 1.0, 10.0])
def test_evidence_against_a_brute_force_integral(line, l2, penalize_bias):
    """log int exp(-E(w, b)) prior-normaliser dw db, by 2-D quadrature, against the Laplace value.

    With the bias unpenalised its prior is flat with density 1, the constant the formula uses."""
    X, y = line
    res = logreg.fit(X, y, l2=l2, penalize_bias=penalize_bias, method="newton")
    sd = res.standard_errors
    alpha = 2 * l2
    k = 2 if penalize_bias else 1

    def integrand(b, w):
        e = logreg.objective([w], b, X, y, l2=l2, penalize_bias=penalize_bias)
        return math.exp(res.objective - e)

    value, _ = integrate.dblquad(
        integrand,
        res.weights[0] - 10 * sd[0],
        res.weights[0] + 10 * sd[0],
        res.bias - 10 * sd[1],
        res.bias + 10 * sd[1],
        epsabs=1e-10,
        epsrel=1e-8,
    )
    exact = -res.objective + math.log(value) + 0.5 * k * math.log(alpha / (2 * math.pi))
    laplace = selection.log_evidence(res)
    # The Laplace approximation is not exact (the posterior is skewed), but on 60 points it is close;
    # a factor of 2 in alpha would be off by 0.35 per parameter.
    assert abs(laplace - exact) < 0.05


def test_evidence_needs_a_penalty(blobs):
    with pytest.raises(ValueError, match="l2 must be > 0"):
        selection.log_evidence(logreg.fit(*blobs))


def test_evidence_has_an_interior_maximum_on_the_cancer_data(cancer):
    X, y = cancer
    path = selection.regularization_path(X, y, np.logspace(3, -4, 15))
    ev = [selection.log_evidence(r) for r in path]
    best = int(np.argmax(ev))
    assert 0 < best < len(ev) - 1
