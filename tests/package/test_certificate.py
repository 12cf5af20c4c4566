"""L-BFGS's certificate by Hessian-vector products (`_hessians.HessianOperator.certifies`) on
dense and sparse X: a rigorous upper bound on the Newton decrement of the Hessian estimate, used
where the dense estimate costs too much, with results identical to the dense certificate's."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.sparse as sp

import logreg
from logreg import _coordinates, _hessians
from logreg._options import DEFAULT_OPTIONS

#: The dense certificate everywhere (the matrix-free one never selected).
DENSE_ONLY = dataclasses.replace(DEFAULT_OPTIONS, matrix_free_certificate_min_iterations=math.inf)


def _data(n, d, seed=0, separation=1.0, offset=0.0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * scale + offset
    w = rng.standard_normal(d) * separation / math.sqrt(d)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-((X - offset) / scale) @ w))).astype(float)
    return X, y


def _operator_and_dense(X, y, l2, penalize_bias, sw=None, seed=1):
    """The operator at a random point, and the estimate it stands for, formed densely from the
    centred, scaled rows in psi coordinates (accurate even where the columns' means are far
    from their spreads, where the engine's dense estimate, formed in the units of X and then
    transformed, loses digits)."""
    problem = _coordinates._Problem(X, y, l2, penalize_bias, sample_weight=sw)
    rng = np.random.default_rng(seed)
    n, d = X.shape
    w, b = rng.standard_normal(d) * 0.3 / math.sqrt(d), 0.2
    point = problem.evaluate(w, b)
    k = problem.hessian_stride
    rows = X[::k].toarray() if sp.issparse(X) else X[::k]
    s = logreg.sigmoid_derivative(rows @ w + b) * (1.0 if sw is None else sw[::k])
    Z = np.hstack([(rows - problem.mu) / problem.c, np.ones((rows.shape[0], 1))])
    dense = (n / rows.shape[0]) * (Z.T * s) @ Z
    T = np.eye(d + 1)  # theta = T psi
    T[:d, :d] = np.diag(1.0 / problem.c)
    T[d, :d] = -problem.mu / problem.c
    dense += T.T @ np.diag(problem.penalty_vector()) @ T
    op = _hessians._hessian_operator(problem, w, b, max_iter=10 * (d + 1))
    return problem, point, op, dense


@pytest.mark.parametrize("penalize_bias", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_operator_is_the_dense_estimate_and_its_bound_is_rigorous(penalize_bias, weighted, sparse):
    """The operator's products and diagonal are those of the dense estimate (centred, scaled
    columns far from unit units; penalised bias or not; weights); its remainder bound is above
    r^T H^-1 r for every r tried; and `certifies` passes a limit just above the exact Newton
    decrement and never one below it."""
    n, d = 12_000, 40
    X, y = _data(n, d, seed=3, offset=50.0, scale=0.01)
    if sparse:
        X = sp.random(n, d, density=0.2, format="csr", random_state=4) * 3.0
        y = (np.random.default_rng(5).random(n) < 0.4).astype(float)
    sw = np.random.default_rng(6).uniform(0.0, 2.0, n) if weighted else None
    problem, point, op, dense = _operator_and_dense(X, y, 0.05, penalize_bias, sw)
    assert problem.hessian_stride > 1  # an estimate from every k-th row, scaled up
    rng = np.random.default_rng(7)
    v = rng.standard_normal(d + 1)
    np.testing.assert_allclose(op.matvec(v), dense @ v, rtol=1e-9, atol=1e-9 * np.abs(dense @ v).max())
    np.testing.assert_allclose(op.diag, np.diag(dense), rtol=1e-9)
    for _ in range(20):
        r = rng.standard_normal(d + 1) * rng.choice([1e-3, 1.0, 1e3], d + 1)
        exact = float(r @ np.linalg.solve(dense, r))
        assert op.remainder_bound(r) >= exact * (1 - 1e-9)
    g = problem.gradient(point)
    decrement = float(g @ np.linalg.solve(dense, g))
    assert op.certifies(g, decrement * (1 + 1e-6))
    assert not op.certifies(g, decrement * (1 - 1e-6))
    assert not op.certifies(g, 0.5 * decrement)


def test_operator_without_a_penalty_claims_no_bound():
    X, y = _data(3_000, 20, seed=8)
    op = _operator_and_dense(X, y, 0.0, False)[2]
    assert op.remainder_bound(np.ones(21)) == math.inf


def _tight_minimum(X, y, l2, start):
    """E at its minimum, by exact Newton steps (the model's Hessian of all rows) from ``start``
    until the Newton decrement is below rounding."""
    w, b = start.weights.copy(), float(start.bias)
    for _ in range(30):
        gw, gb = logreg.gradient(w, b, X, y, l2=l2)
        H = logreg.hessian(w, b, X, y, l2=l2)
        g = np.append(gw, gb)
        step = np.linalg.solve(H, g)  # l2 > 0: positive definite
        t, E0 = 1.0, logreg.objective(w, b, X, y, l2=l2)
        while logreg.objective(w - t * step[:-1], b - t * step[-1], X, y, l2=l2) > E0 and t > 1e-6:
            t *= 0.5
        w, b = w - t * step[:-1], b - t * step[-1]
        if float(g @ step) <= 1e-15 * max(abs(E0), 1.0):
            break
    return logreg.objective(w, b, X, y, l2=l2)


def _spy(monkeypatch):
    """Record what each matrix-free certificate concluded (a spy: the method still runs)."""
    outcomes = []
    certifies = _hessians.HessianOperator.certifies

    def spy(self, g, limit):
        outcomes.append((not self.sparse, certifies(self, g, limit)))
        return outcomes[-1][1]

    monkeypatch.setattr(_hessians.HessianOperator, "certifies", spy)
    return outcomes


@pytest.mark.parametrize(
    "n,d,l2,separation,proved",
    [
        (9_000, 700, 1.0, 2.0, True),  # tall, many features for the estimate's rows: proved
        (500, 1_200, 100.0, 2.0, True),  # wide (more features than rows): proved
        # Wide, and its first candidate is not yet done: CG sees it at once (its lower part
        # exceeds the limit), and the dense estimate then preconditions, as before.
        (500, 1_200, 1.0, 2.0, False),
        (500, 1_200, 1e-4, 8.0, None),  # wide and separable, tiny l2
        (6_000, 700, 1e-4, 30.0, None),  # nearly separable, tiny l2
    ],
)
def test_default_fit_certifies_by_hessian_vector_products_where_the_estimate_is_dear(
    monkeypatch, n, d, l2, separation, proved
):
    """Where the dense estimate would cost more than ``matrix_free_certificate_min_iterations``
    CG iterations, the default fit certifies by CG, to the promised gap (checked against exact
    Newton steps from its answer), and its answer is bit-identical to the dense certificate's:
    a proof by CG is also one by the dense estimate, and where CG gives up, the dense estimate is
    formed at the same point as before. With a tiny l2 the bound (the penalty is the only floor
    under the Hessian) may be too loose to prove, and the dense estimate then decides."""
    X, y = _data(n, d, seed=9, separation=separation)
    problem = _coordinates._Problem(X, y, l2, False)
    assert _hessians._matrix_free_certificate(problem) > 0
    assert _hessians._matrix_free_certificate(_coordinates._Problem(X, y, l2, False, options=DENSE_ONLY)) == 0
    outcomes = _spy(monkeypatch)
    result = logreg.fit(X, y, l2=l2)  # a ConvergenceWarning would fail this test
    assert result.converged and outcomes and all(dense for dense, _ in outcomes)
    if proved is not None:
        assert outcomes[-1][1] is proved
    reference = logreg.fit(X, y, l2=l2, options=DENSE_ONLY)
    assert reference.n_iter == result.n_iter and reference.bias == result.bias
    assert np.array_equal(reference.weights, result.weights)
    E_min = _tight_minimum(X, y, l2, result)
    promised = DEFAULT_OPTIONS.certified_gap_per_tol * 1e-8 * max(abs(E_min), 1.0)
    assert result.objective - E_min <= promised + 1e-14 * abs(E_min)


@pytest.mark.parametrize("penalize_bias,offset", [(False, 100.0), (True, 0.0)])
def test_matrix_free_certificate_on_float32_weighted_offset_columns(monkeypatch, penalize_bias, offset):
    """float32 X (converted block by block in the products), sample weights, columns whose mean
    is 100 spreads from 0 (centred implicitly) or a penalised bias: CG proves, and the answer is
    bit-identical to the dense certificate's. (Both at once make a slow, ill-conditioned fit in
    these coordinates, whose first candidate is not done: the dense estimate then takes over.)"""
    X, y = _data(12_000, 800, seed=4, separation=2.0, offset=offset)
    X = X.astype(np.float32)
    sw = np.random.default_rng(3).uniform(0.0, 3.0, X.shape[0])
    outcomes = _spy(monkeypatch)
    result = logreg.fit(X, y, l2=0.3, penalize_bias=penalize_bias, sample_weight=sw)
    assert result.converged and [proved for _, proved in outcomes] == [True]
    reference = logreg.fit(X, y, l2=0.3, penalize_bias=penalize_bias, sample_weight=sw, options=DENSE_ONLY)
    assert np.array_equal(reference.weights, result.weights) and reference.bias == result.bias


def test_small_and_narrow_data_keep_the_dense_certificate():
    """Where the dense estimate is cheap (few features for the rows, or l2 = 0, where the
    operator has no bound), the certificate is the dense estimate's, as before."""
    for n, d, l2 in ((100_000, 200, 1.0), (1_000_000 // 50, 20, 1.0), (5_000, 50, 1e-4), (500, 1_200, 0.0)):
        X = np.zeros((n, d))  # the decision depends on the shape only
        X[0, :] = 1.0
        y = np.zeros(n)
        y[:2] = 1.0
        assert _hessians._matrix_free_certificate(_coordinates._Problem(X, y, l2, False)) == 0
