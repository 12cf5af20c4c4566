"""The engine's fused kernels compute what the teaching path (`logreg.model`) states.

`logreg.model` is the plain NumPy formula the book prints; the engine (`logreg._passes` for dense
``X``, `logreg._sparse` for sparse ``X``, `logreg._coordinates._Problem` in standardised coordinates)
rearranges the same arithmetic for speed. Each kernel must give `logreg.model`'s value to
rounding, with and without sample weights, on one block and on many (the larger shape is split
over the thread pool).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import logreg
from logreg import _hessians, _passes, _sparse
from logreg._coordinates import _Problem
from logreg.fitting import _objective

# The second shape is large enough for several blocks on the thread pool.
SHAPES = [(60, 3), (150_000, 10)]


def _problem(n, d, seed=0, weighted=False, sparse=False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(float)
    X = rng.standard_normal((n, d)) + 0.4 * (2 * y[:, None] - 1)
    if sparse:
        X[rng.random((n, d)) < 0.8] = 0.0
        X = sp.csr_matrix(X)
    w, b = 0.4 * rng.standard_normal(d), -0.3
    sw = rng.integers(0, 4, n).astype(float) if weighted else None
    return X, y, w, b, sw


def _model(X, y, w, b, sw, l2=0.7, penalize_bias=False):
    kw = dict(l2=l2, penalize_bias=penalize_bias, sample_weight=sw)
    return (logreg.objective(w, b, X, y, **kw), logreg.gradient(w, b, X, y, **kw), logreg.hessian(w, b, X, y, **kw))


@pytest.mark.parametrize("n,d", SHAPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_step_pass_and_hessian_terms_are_the_model_formulas(n, d, weighted, sparse):
    if sparse and n > 10_000:
        n = 20_000  # sparse passes are one product: no blocks to test
    X, y, w, b, sw = _problem(n, d, weighted=weighted, sparse=sparse)
    passes = _sparse if sparse else _passes
    E, (gw, gb), H = _model(X, y, w, b, sw)
    done = passes.step_pass(X, 1.0 - 2.0 * y, w, b, weights=sw)
    penalty = 0.7 * float(w @ w)
    assert done.nll + penalty == pytest.approx(E, rel=1e-13)
    np.testing.assert_allclose(done.xtr + 1.4 * w, gw, rtol=1e-11, atol=1e-10 * np.abs(gw).max())
    assert done.sum_r == pytest.approx(gb, rel=1e-10, abs=1e-9)
    xtr, _sum_r = passes.gradient_terms(X, done.residual)
    np.testing.assert_allclose(xtr + 1.4 * w, gw, rtol=1e-11, atol=1e-10 * np.abs(gw).max())
    s = logreg.sigmoid_derivative(X @ w + b) * (1.0 if sw is None else sw)
    H_engine = passes.hessian_terms(X, s)
    H_engine[np.arange(d), np.arange(d)] += 1.4
    np.testing.assert_allclose(H_engine, H, rtol=1e-11, atol=1e-11 * np.abs(H).max())


@pytest.mark.parametrize("n,d", SHAPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_the_objective_fit_reports_is_the_model_objective_on_any_number_of_cores(n, d, weighted):
    """`fit` reports E summed in blocks of rows on the thread pool: the same value as
    `logreg.objective` to rounding (exactly, on one block), and bit for bit the same on 1, 2 or 8
    cores."""
    X, y, w, b, sw = _problem(n, d, weighted=weighted)
    values = set()
    for cores in (1, 2, 8):
        with _passes.using_threads(cores):
            values.add(_objective(w, b, X, y, 0.7, False, sw))
    assert len(values) == 1
    expected = logreg.objective(w, b, X, y, l2=0.7, sample_weight=sw)
    if n * d < _passes.THREADING_MIN_ELEMENTS:
        assert values.pop() == expected
    else:
        assert values.pop() == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("penalize_bias", [False, True])
def test_standardised_coordinates_are_an_exact_change_of_variables(sparse, penalize_bias):
    """`_Problem` works in psi = T^-1 (w, b): its objective is the model's, its gradient is
    T^T times the model's, and its Hessian (exact, or as an operator for wide sparse X) is
    T^T H T."""
    X, y, w, b, sw = _problem(3_000, 6, seed=4, weighted=True, sparse=sparse)
    problem = _Problem(X, y, 0.7, penalize_bias, sample_weight=sw)
    E, (gw, gb), H = _model(X, y, w, b, sw, penalize_bias=penalize_bias)
    point = problem.evaluate(w, b)
    assert point.f == pytest.approx(E, rel=1e-13)
    psi = problem.to_psi(w, b)
    w_back, b_back = problem.to_theta(psi)
    np.testing.assert_allclose(w_back, w, rtol=1e-14)
    assert b_back == pytest.approx(b, rel=1e-14, abs=1e-14)
    d = X.shape[1]
    T = np.zeros((d + 1, d + 1))  # theta = T psi
    T[:d, :d] = np.diag(1.0 / problem.c)
    T[d, :d] = -problem.mu / problem.c
    T[d, d] = 1.0
    g = np.append(gw, gb)
    np.testing.assert_allclose(
        problem.pull_back(point.grad_w, point.grad_b), T.T @ g, rtol=1e-10, atol=1e-10 * np.abs(g).max()
    )
    H_psi = T.T @ H @ T
    np.testing.assert_allclose(problem.hessian_psi(point.residual), H_psi, rtol=1e-10, atol=1e-10 * np.abs(H_psi).max())
    if sparse:
        s = logreg.sigmoid_derivative(X @ w + b) * sw
        op = _hessians.HessianOperator(X, s, problem.penalty_vector(), problem.c)
        v = np.random.default_rng(5).standard_normal(d + 1)
        np.testing.assert_allclose(op.matvec(v), H_psi @ v, rtol=1e-10, atol=1e-10 * np.abs(H_psi @ v).max())


def test_shorter_steps_along_the_activations_are_the_model_objective():
    """The line search's shorter steps reuse the activation line a + t (X dw + db) and touch no
    X: each is the model's objective at (w + t dw, b + t db)."""
    X, y, w, b, sw = _problem(2_000, 5, seed=6, weighted=True)
    problem = _Problem(X, y, 0.7, False, sample_weight=sw)
    point = problem.evaluate(w, b)
    dw, db = np.linspace(-0.3, 0.3, 5), 0.2
    full = problem.step(point, dw, db)
    for t in (1.0, 0.5, 0.125):
        trial = problem.shorter_step(point, full, dw, db, t)
        expected = logreg.objective(w + t * dw, b + t * db, X, y, l2=0.7, sample_weight=sw)
        assert trial.f == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_the_start_pass_is_the_model_at_the_start(weighted, sparse):
    """`_start_pass` evaluates the model's loss and residuals once per class (every row of a class
    has the same activation at w = 0); its numbers are `logreg.model`'s at the start point."""
    from logreg._coordinates import _start_bias, _start_pass

    X, y, _, _, sw = _problem(500, 6, seed=3, weighted=weighted, sparse=sparse)
    b = _start_bias(y, sw)
    done = _start_pass(X, y, sw)
    w = np.zeros(X.shape[1])
    assert done.nll == pytest.approx(logreg.objective(w, b, X, y, sample_weight=sw), rel=1e-13)
    gw, gb = logreg.gradient(w, b, X, y, sample_weight=sw)
    np.testing.assert_allclose(done.xtr, gw, rtol=1e-12, atol=1e-12 * np.abs(gw).max())
    assert done.sum_r == pytest.approx(gb, rel=1e-12, abs=1e-12 * len(y))
