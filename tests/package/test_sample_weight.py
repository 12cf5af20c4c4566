"""Sample weights: an integer weight is that many copies of its row, in the objective, its
derivatives and every fitting method; bad weights are refused with a message naming them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler

import logreg
from logreg import SeparationWarning


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    counts = np.random.default_rng(0).integers(0, 4, size=y.shape[0])  # 0 drops a row
    return StandardScaler().fit_transform(X), y.astype(float), counts


def _repeated(X, y, counts):
    return np.repeat(X, counts, axis=0), np.repeat(y, counts)


@pytest.mark.parametrize("method", logreg.METHODS)
def test_integer_weights_are_repeated_rows_for_every_method(cancer, method):
    X, y, counts = cancer
    weighted = logreg.fit(X, y, l2=0.5, method=method, sample_weight=counts)
    repeated = logreg.fit(*_repeated(X, y, counts), l2=0.5, method=method)
    assert weighted.converged and repeated.converged
    # The exact claim is the objective's: both runs minimise the same function. The weights are
    # two points each certified near the minimum, so they agree only as far as the certificate
    # allows: E ~ 54 here, a certified gap of at most 1e-5 * tol * E ~ 5e-12, and E is
    # 2 * l2 = 1 strongly convex in w, so each is within sqrt(2 * 5e-12) ~ 3e-6 of the optimum.
    # (BFGS, whose path depends on the rows' order and on rounding, put them 2e-8 apart here.)
    assert weighted.objective == pytest.approx(repeated.objective, rel=1e-13)
    np.testing.assert_allclose(weighted.weights, repeated.weights, rtol=0, atol=1e-5)
    assert weighted.bias == pytest.approx(repeated.bias, rel=0, abs=1e-5)


@pytest.mark.parametrize("method", logreg.METHODS)
def test_integer_weights_are_repeated_rows_on_large_data(method):
    """Above 100,000 rows the solvers warm-start on a subsample and estimate Hessians from every
    k-th row: weighted there too (the subsamples differ, the optimum does not)."""
    rng = np.random.default_rng(1)
    n, d = 120_000, 8
    X = rng.standard_normal((n, d)) * np.linspace(0.1, 10, d) + 3.0
    y = (X @ rng.standard_normal(d) / 5 + rng.logistic(size=n) > 0).astype(float)
    counts = rng.integers(0, 3, size=n)
    weighted = logreg.fit(X, y, l2=1.0, method=method, sample_weight=counts)
    repeated = logreg.fit(*_repeated(X, y, counts), l2=1.0, method=method)
    assert weighted.converged and repeated.converged
    assert weighted.objective == pytest.approx(repeated.objective, rel=1e-13)
    # Not bit-for-bit here: the two runs warm-start on different subsamples and stop at different
    # points within the tolerance (measured: each 1e-7 to 4e-7 from a tol=1e-13 Newton optimum).
    np.testing.assert_allclose(weighted.weights, repeated.weights, rtol=0, atol=1e-6)


def test_weighted_objective_gradient_and_hessian_are_those_of_repeated_rows(cancer):
    X, y, counts = cancer
    Xr, yr = _repeated(X, y, counts)
    w, b = np.linspace(-0.3, 0.3, X.shape[1]), 0.2
    assert logreg.objective(w, b, X, y, l2=0.7, sample_weight=counts) == pytest.approx(
        logreg.objective(w, b, Xr, yr, l2=0.7), rel=1e-13
    )
    gw, gb = logreg.gradient(w, b, X, y, l2=0.7, sample_weight=counts)
    rw, rb = logreg.gradient(w, b, Xr, yr, l2=0.7)
    np.testing.assert_allclose(gw, rw, rtol=1e-11, atol=1e-11)
    assert gb == pytest.approx(rb, rel=1e-11, abs=1e-11)
    np.testing.assert_allclose(
        logreg.hessian(w, b, X, y, l2=0.7, sample_weight=counts),
        logreg.hessian(w, b, Xr, yr, l2=0.7),
        rtol=1e-11,
        atol=1e-10,
    )


def test_fractional_weights_match_scikit_learn(cancer):
    """scikit-learn's C * sum(s_n loss_n) + ||w||^2 / 2 is the same objective at C = 1 / (2 l2)."""
    X, y, _ = cancer
    s = np.random.default_rng(2).gamma(0.5, 2.0, size=y.shape[0])
    ours = logreg.fit(X, y, l2=2.0, method="newton", sample_weight=s)
    theirs = SkLogisticRegression(C=0.25, tol=1e-12, solver="newton-cholesky", max_iter=1000).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(ours.weights, theirs.coef_[0], rtol=1e-6, atol=1e-8)
    assert ours.objective <= logreg.objective(theirs.coef_[0], theirs.intercept_[0], X, y, l2=2.0, sample_weight=s) * (
        1 + 1e-12
    )


def test_a_row_of_weight_zero_is_not_in_the_separability_check():
    X, y = logreg.make_separable(40, seed=0)
    X = np.vstack([X, X[:1]])
    y = np.append(y, 1.0 - y[0])  # a copy of the first point with the other label: not separable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logreg.fit(X, y)  # no warning: the data overlap
    weights = np.ones(y.shape[0])
    weights[-1] = 0.0
    with pytest.warns(SeparationWarning):
        result = logreg.fit(X, y, sample_weight=weights)
    assert result.separable


def test_the_callers_weights_are_not_modified(cancer):
    X, y, counts = cancer
    s = counts.astype(float)
    s.setflags(write=False)
    logreg.fit(X, y, l2=1.0, sample_weight=s)
    np.testing.assert_array_equal(s, counts)


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        (lambda n: -np.ones(n), ValueError, "sample_weight must be >= 0"),
        (lambda n: np.full(n, np.nan), ValueError, "sample_weight contains NaN"),
        (lambda n: np.full(n, np.inf), ValueError, "sample_weight contains infinite"),
        (lambda n: np.ones(n - 1), ValueError, r"sample_weight must have shape \(569,\)"),
        (lambda n: np.ones((n, 1)), ValueError, r"sample_weight must have shape \(569,\)"),
        (lambda n: 2.0, TypeError, "one weight per row"),
        (lambda n: ["a"] * n, TypeError, "sample_weight must hold real numbers"),
    ],
)
def test_bad_weights_are_refused_with_a_clear_message(cancer, weights, error, message):
    X, y, _ = cancer
    with pytest.raises(error, match=message):
        logreg.fit(X, y, sample_weight=weights(y.shape[0]))


def test_a_class_with_no_weight_is_refused(cancer):
    X, y, _ = cancer
    with pytest.raises(ValueError, match="every row of class 1 has sample_weight 0"):
        logreg.fit(X, y, sample_weight=np.where(y == 1.0, 0.0, 1.0))
