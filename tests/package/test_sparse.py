"""Sparse input (`logreg._sparse`): the same answers as on the dense copy of the same data, for
every method, format, penalty and sample weight, without ever forming that dense copy; clear
errors for what is not supported."""

from __future__ import annotations

import dataclasses
import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import logreg
from logreg import _hessians, _sparse
from logreg._coordinates import _Problem
from logreg._options import DEFAULT_OPTIONS


def _data(n: int, d: int, density: float, seed: int, *, values: str = "exponential"):
    """A seeded sparse problem (CSR) whose labels follow a logistic model, so it is not separable."""
    rng = np.random.default_rng(seed)
    X = sp.random(
        n,
        d,
        density=density,
        format="csr",
        rng=rng,
        data_rvs=(lambda k: rng.exponential(1.0, k))
        if values == "exponential"
        else (lambda k: rng.standard_normal(k) * 3.0),
    )
    w = rng.standard_normal(d)
    a = X @ w - 0.3
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-a))).astype(np.float64)
    return X, y


#: (n, d, density): tall and sparse, square-ish and dense-ish, wide (more features than rows).
SHAPES = [(2000, 30, 0.05), (400, 60, 0.3), (150, 200, 0.05)]

FORMATS = {
    "csr_matrix": sp.csr_matrix,
    "csc_matrix": sp.csc_matrix,
    "csr_array": sp.csr_array,
    "csc_array": sp.csc_array,
    "coo_matrix": sp.coo_matrix,
    "coo_array": sp.coo_array,
    "lil_matrix": sp.lil_matrix,
    "dok_matrix": sp.dok_matrix,
    "bsr_matrix": sp.bsr_matrix,
    "dia_matrix": sp.dia_matrix,
}


def _reference(X, y, **kwargs):
    """Newton's optimum on the dense copy, to working precision."""
    return logreg.fit(X.toarray(), y, method="newton", tol=1e-12, **kwargs)


def _assert_same_optimum(result, ref, rtol_objective=1e-10):
    assert result.converged
    assert abs(result.objective - ref.objective) <= rtol_objective * abs(ref.objective)
    scale = max(float(np.max(np.abs(ref.weights))), 1.0)
    assert np.max(np.abs(result.weights - ref.weights)) <= 1e-4 * scale
    assert abs(result.bias - ref.bias) <= 1e-4 * scale


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("method", logreg.METHODS)
@pytest.mark.parametrize("l2", [0.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_sparse_fit_equals_the_dense_fit(shape, method, l2, weighted):
    n, d, density = shape
    X, y = _data(n, d, density, seed=n + d)
    if l2 == 0.0 and d > n / 4:
        l2 = 0.05  # few rows per feature: l2 = 0 would be (nearly) separable, with no finite optimum
    sw = np.random.default_rng(1).uniform(0.0, 3.0, n) if weighted else None
    dense = logreg.fit(X.toarray(), y, l2=l2, method=method, sample_weight=sw, max_iter=1000)
    ours = logreg.fit(X, y, l2=l2, method=method, sample_weight=sw, max_iter=1000)
    ref = _reference(X, y, l2=l2, sample_weight=sw)
    _assert_same_optimum(ours, ref)
    _assert_same_optimum(dense, ref)
    if method == "newton":  # the exact Hessian either way: the same point to rounding
        np.testing.assert_allclose(ours.weights, dense.weights, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_scipy_format_gives_the_same_fit(fmt):
    X, y = _data(600, 12, 0.2, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sp.SparseEfficiencyWarning)  # DIA of random data: it is a test
        Xf = FORMATS[fmt](X)
    before = Xf.copy()
    ours = logreg.fit(Xf, y, l2=0.1, method="newton")
    ref = _reference(X, y, l2=0.1)
    np.testing.assert_allclose(ours.weights, ref.weights, rtol=1e-9, atol=1e-12)
    assert abs(ours.bias - ref.bias) <= 1e-9 * max(1.0, abs(ref.bias))
    np.testing.assert_array_equal((Xf != before).toarray(), False)  # the caller's matrix is untouched
    np.testing.assert_allclose(ours.predict_proba(Xf), ref.predict_proba(X.toarray()), rtol=1e-12, atol=1e-15)


def test_duplicate_entries_are_summed_on_a_copy():
    rng = np.random.default_rng(5)
    n, d = 300, 6
    rows = np.concatenate([rng.integers(0, n, 900), np.arange(10)])
    cols = np.concatenate([rng.integers(0, d, 900), np.zeros(10, dtype=int)])
    vals = rng.standard_normal(rows.size)
    X = sp.coo_matrix((vals, (rows, cols)), shape=(n, d))
    csr = sp.csr_matrix((vals, (rows, cols)), shape=(n, d))  # keeps the duplicates until summed
    y = (rng.random(n) < 0.4).astype(float)
    data_before = csr.data.copy()
    ref = logreg.fit(X.toarray(), y, l2=0.2, method="newton")
    for given in (X, csr):
        ours = logreg.fit(given, y, l2=0.2, method="newton")
        np.testing.assert_allclose(ours.weights, ref.weights, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(csr.data, data_before)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int8, np.bool_])
def test_other_dtypes_are_converted(dtype):
    rng = np.random.default_rng(2)
    X = sp.random(800, 10, density=0.3, format="csr", rng=rng, data_rvs=lambda k: rng.integers(1, 4, k)).astype(dtype)
    y = (rng.random(800) < 0.5).astype(float)
    ours = logreg.fit(X, y, l2=0.3, method="newton")
    ref = logreg.fit(X.toarray().astype(np.float64), y, l2=0.3, method="newton")
    np.testing.assert_allclose(ours.weights, ref.weights, rtol=1e-9, atol=1e-12)


def test_the_model_functions_accept_sparse_input():
    X, y = _data(500, 20, 0.1, seed=7)
    Xd = X.toarray()
    rng = np.random.default_rng(0)
    w, b, sw = rng.standard_normal(20), 0.3, rng.uniform(0, 2, 500)
    for kwargs in ({}, {"l2": 0.7, "penalize_bias": True}, {"sample_weight": sw}):
        assert logreg.objective(w, b, X, y, **kwargs) == pytest.approx(
            logreg.objective(w, b, Xd, y, **kwargs), rel=1e-13
        )
        gs, gd = logreg.gradient(w, b, X, y, **kwargs), logreg.gradient(w, b, Xd, y, **kwargs)
        np.testing.assert_allclose(gs[0], gd[0], rtol=1e-11, atol=1e-11)
        assert gs[1] == pytest.approx(gd[1], rel=1e-11)
        np.testing.assert_allclose(
            logreg.hessian(w, b, X, y, **kwargs), logreg.hessian(w, b, Xd, y, **kwargs), rtol=1e-11, atol=1e-11
        )
    np.testing.assert_allclose(logreg.predict_proba(w, b, X), logreg.predict_proba(w, b, Xd), rtol=1e-13)
    np.testing.assert_array_equal(logreg.predict(w, b, X), logreg.predict(w, b, Xd))
    model = logreg.fit(X, y, l2=0.5)
    np.testing.assert_array_equal(model.predict(X), model.predict(Xd))
    np.testing.assert_allclose(model.decision_function(X), model.decision_function(Xd), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
def test_column_stats_from_stored_values(fmt, weighted):
    rng = np.random.default_rng(4)
    X = sp.random(400, 9, density=0.2, format=fmt, rng=rng, data_rvs=lambda k: rng.standard_normal(k) + 2.0)
    X = sp.hstack([X, sp.csr_matrix((400, 1)), sp.csr_matrix(np.full((400, 1), 0.1))], format=fmt)
    sw = rng.integers(0, 4, 400).astype(float) if weighted else None
    mean, std = _sparse.column_stats(X, sw)
    Xd = X.toarray()
    ref_mean = np.average(Xd, axis=0, weights=sw)
    ref_std = np.sqrt(np.average((Xd - ref_mean) ** 2, axis=0, weights=sw))
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(std[:-1], ref_std[:-1], rtol=1e-12, atol=1e-15)
    assert std[-2] == 0.0 and std[-1] == 0.0  # empty and constant columns: exactly 0


@pytest.mark.parametrize("factor", [1e-200, 1e-160, 1e154, 1e200])
def test_column_scales_neither_underflow_nor_overflow(factor):
    X, y = _data(1000, 5, 0.3, seed=9, values="normal")
    _, std = _sparse.column_stats(X * factor)
    _, ref = _sparse.column_stats(X)
    np.testing.assert_allclose(std, ref * factor, rtol=1e-13)
    ours = logreg.fit(X * factor, y, l2=0.0, method="newton")
    base = logreg.fit(X, y, l2=0.0, method="newton")
    assert ours.converged
    np.testing.assert_allclose(ours.weights * factor, base.weights, rtol=1e-8)
    assert ours.objective == pytest.approx(base.objective, rel=1e-12)


def test_scales_only_and_from_every_row_even_on_large_data():
    """No centre (the bias absorbs it) and the scale of a rare column right (every stored value
    counts, no subsample)."""
    n = 120_000
    rng = np.random.default_rng(0)
    rare = np.zeros(n)
    rare[[1, 2, 3, 5, 7, 11, 13, 17, 19, 23]] = 1000.0  # none on the every-16th-row subsample
    X = sp.csr_matrix(np.column_stack([rng.standard_normal(n) * (rng.random(n) < 0.1), rare]))
    y = (rng.random(n) < 0.5).astype(float)
    problem = _Problem(X, y, 0.5, False)
    assert np.all(problem.mu == 0.0)
    p = y.mean()
    expected = np.sqrt(np.mean(X.toarray() ** 2, axis=0) + 2 * 0.5 / (n * p * (1 - p)))
    np.testing.assert_allclose(problem.c, expected, rtol=1e-10)


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
def test_warm_start_on_the_subsample(method):
    """The solvers' warm start on every 16th row (large data) works on sparse rows too."""
    X, y = _data(8000, 10, 0.3, seed=11)
    ours = logreg.fit(
        X, y, l2=0.5, method=method, options=dataclasses.replace(DEFAULT_OPTIONS, warm_start_min_samples=2000)
    )
    _assert_same_optimum(ours, _reference(X, y, l2=0.5))


def test_hessian_operator_matches_the_dense_hessian():
    X, y = _data(700, 40, 0.1, seed=12)
    for penalize_bias, sw in ((False, None), (True, np.random.default_rng(0).uniform(0, 2, 700))):
        problem = _Problem(X, y, 0.3, penalize_bias, sample_weight=sw)
        rng = np.random.default_rng(1)
        w, b = rng.standard_normal(40) * 0.3, 0.2
        s = logreg.sigmoid_derivative(X @ w + b)
        if sw is not None:
            s = s * sw
        dense = problem.hessian_psi_from_weights(s)
        op = _hessians.HessianOperator(X, s, problem.penalty_vector(), problem.c)
        v = rng.standard_normal(41)
        np.testing.assert_allclose(op.matvec(v), dense @ v, rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(op.diag, np.diag(dense), rtol=1e-11)
        g = rng.standard_normal(41)
        exact = np.linalg.solve(dense, g)
        assert float(g @ op.solve(g)) == pytest.approx(float(g @ exact), rel=1e-3)


@pytest.mark.parametrize("l2", [1e-3, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_lbfgs_certificate_by_conjugate_gradients_when_too_wide_for_a_dense_hessian(l2, weighted):
    """Above ``dense_hessian_max_features``, L-BFGS certifies with Hessian-vector products; the
    answer is the same optimum."""
    narrow = dataclasses.replace(DEFAULT_OPTIONS, dense_hessian_max_features=8)
    X, y = _data(1500, 60, 0.05, seed=13)
    sw = np.random.default_rng(2).integers(0, 3, 1500).astype(float) if weighted else None
    assert _sparse.dense_hessian_ok(X) and not _sparse.dense_hessian_ok(X, narrow)
    ours = logreg.fit(X, y, l2=l2, sample_weight=sw, options=narrow)
    _assert_same_optimum(ours, _reference(X, y, l2=l2, sample_weight=sw))


@pytest.mark.parametrize("method", ["newton", "bfgs"])
def test_methods_needing_a_dense_matrix_refuse_too_many_features(method):
    narrow = dataclasses.replace(DEFAULT_OPTIONS, dense_hessian_max_features=8)
    X, y = _data(200, 20, 0.1, seed=14)
    with pytest.raises(ValueError, match=rf"method='{method}' needs a dense .*D = 20 features.*method='lbfgs'"):
        logreg.fit(X, y, l2=0.5, method=method, options=narrow)


def test_no_dense_copy_is_made():
    """A problem whose dense copy would need 16 GB fits in a few MB of Python allocations."""
    n, d = 20_000, 100_000
    rng = np.random.default_rng(3)
    nnz = 100_000
    X = sp.csr_matrix((rng.exponential(1.0, nnz), (rng.integers(0, n, nnz), rng.integers(0, d, nnz))), shape=(n, d))
    y = (rng.random(n) < 0.3).astype(float)
    tracemalloc.start()
    try:
        model = logreg.fit(X, y, l2=1.0)
        model.predict_proba(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert model.converged
    assert peak < 60e6, f"peak {peak / 1e6:.0f} MB"


def test_sample_weights_are_repeated_rows():
    X, y = _data(500, 8, 0.3, seed=15)
    counts = np.random.default_rng(0).integers(0, 4, 500)
    repeated = sp.csr_matrix(X.toarray().repeat(counts, axis=0))
    for method in logreg.METHODS:
        weighted = logreg.fit(X, y, l2=0.2, method=method, sample_weight=counts.astype(float))
        copies = logreg.fit(repeated, y.repeat(counts), l2=0.2, method=method)
        assert weighted.objective == pytest.approx(copies.objective, rel=1e-10)
        if method == "newton":
            np.testing.assert_allclose(weighted.weights, copies.weights, rtol=1e-9, atol=1e-12)
        else:
            np.testing.assert_allclose(weighted.weights, copies.weights, rtol=0, atol=1e-4)


def test_separability_on_sparse_data():
    rng = np.random.default_rng(6)
    X = sp.random(300, 5, density=0.5, format="csr", rng=rng)
    w = rng.standard_normal(5)
    y_sep = (X @ w > np.median(X @ w)).astype(float)
    y_mixed = (rng.random(300) < 0.5).astype(float)
    assert logreg.is_separable(X, y_sep) == logreg.is_separable(X.toarray(), y_sep) is True
    assert logreg.is_separable(X, y_mixed) == logreg.is_separable(X.toarray(), y_mixed) is False
    with pytest.warns(logreg.SeparationWarning):
        logreg.fit(X, y_sep)


def test_clear_errors_for_bad_sparse_input():
    X, y = _data(100, 4, 0.5, seed=16)
    bad = X.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        logreg.fit(bad, y)
    bad.data[0] = np.inf
    with pytest.raises(ValueError, match="X contains infinite"):
        logreg.predict_proba(np.zeros(4), 0.0, bad)
    with pytest.raises(TypeError, match="complex"):
        logreg.fit(X.astype(np.complex128), y)
    with pytest.raises(ValueError, match=r"must be 2-D.*1-D scipy\.sparse coo_array"):
        logreg.fit(sp.coo_array(np.ones(100)), y)
    with pytest.raises(ValueError, match="no samples"):
        logreg.fit(sp.csr_matrix((0, 4)), np.zeros(0))
    with pytest.raises(ValueError, match="different numbers of samples"):
        logreg.fit(X, y[:-1])
    model = logreg.fit(X, y, l2=1.0)
    with pytest.raises(ValueError, match="X has 3 features but the model was fitted with 4"):
        model.predict(X[:, :3])


def test_functions_that_need_dense_data_say_so():
    X, y = _data(100, 3, 0.5, seed=17)
    from logreg.fitting import gradient_descent

    with pytest.raises(TypeError, match=r"scipy.sparse csr_matrix.*X.toarray\(\).*fit, predict"):
        gradient_descent(X, y)


def test_inference_on_a_sparse_fit_asks_for_dense_data():
    X, y = _data(300, 5, 0.4, seed=18)
    model = logreg.fit(X, y, l2=0.5)
    with pytest.raises(TypeError, match=r"fitted on a scipy\.sparse csr_matrix.*X=X\.toarray\(\)"):
        _ = model.standard_errors  # a property: reading it raises
    dense = logreg.fit(X.toarray(), y, l2=0.5)
    np.testing.assert_allclose(
        logreg.inference.standard_errors(model, X.toarray(), y), dense.standard_errors, rtol=1e-6
    )


def test_the_fit_result_of_sparse_data_pickles():
    X, y = _data(300, 5, 0.4, seed=18)
    model = logreg.fit(X, y, l2=0.5)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


# --- the scikit-learn estimator ---------------------------------------------------------------


def test_estimator_on_sparse_input_equals_dense():
    pytest.importorskip("sklearn")
    from logreg import LogisticRegression

    X, y = _data(1000, 25, 0.1, seed=19)
    labels = np.where(y == 1, "spam", "ham")
    sparse_model = LogisticRegression(l2=0.5, tol=1e-10).fit(X, labels)
    dense_model = LogisticRegression(l2=0.5, tol=1e-10).fit(X.toarray(), labels)
    scale = float(np.max(np.abs(dense_model.coef_)))
    np.testing.assert_allclose(sparse_model.coef_, dense_model.coef_, rtol=0, atol=1e-4 * scale)
    np.testing.assert_allclose(
        sparse_model.predict_proba(X.tocsc()), dense_model.predict_proba(X.toarray()), rtol=0, atol=1e-5
    )
    exact = LogisticRegression(l2=0.5, method="newton").fit(X, labels)
    np.testing.assert_allclose(
        exact.predict_proba(X),
        LogisticRegression(l2=0.5, method="newton").fit(X.toarray(), labels).predict_proba(X.toarray()),
        rtol=1e-10,
        atol=1e-14,
    )
    np.testing.assert_array_equal(sparse_model.predict(sp.coo_matrix(X)), dense_model.predict(X.toarray()))


@pytest.mark.parametrize(
    "check_name",
    [
        "check_estimator_sparse_tag",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_sample_weight_equivalence_on_sparse_data",
    ],
)
def test_scikit_learns_sparse_checks(check_name):
    pytest.importorskip("sklearn")
    from sklearn.utils import estimator_checks

    from logreg import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("error", estimator_checks.SkipTestWarning)
        getattr(estimator_checks, check_name)("LogisticRegression", LogisticRegression())


@pytest.mark.parametrize("l2", [0.0, 1.0])
def test_a_matrix_with_no_stored_value(l2):
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    for X in (sp.csr_matrix((5, 3)), sp.csc_matrix((5, 3))):
        model = logreg.fit(X, y, l2=l2)
        dense = logreg.fit(X.toarray(), y, l2=l2)
        np.testing.assert_array_equal(model.weights, 0.0)
        assert model.bias == pytest.approx(dense.bias, rel=1e-12)
