"""Dense linear algebra on Hessians in standardised coordinates: factorising (Cholesky, or least
squares when singular), a cheap condition estimate, and the estimate from every k-th row that
L-BFGS and BFGS certify and precondition with. BLAS is held to one thread in each (`logreg._blas`)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ._blas import _one_blas_thread
from ._coordinates import _Problem
from ._passes import activations, nll_and_residual

Array = NDArray[np.float64]


@_one_blas_thread
def _factorize_psd(H: Array):
    """A solver for ``H x = rhs``, with ``H`` symmetric positive semidefinite.

    Cholesky when ``H`` is positive definite (the usual case, and always when ``l2 > 0``); a
    least-squares solve when it is singular, e.g. collinear columns with ``l2 = 0``. NumPy's
    ``linalg`` is used rather than SciPy's because the two bring separate OpenBLAS thread pools,
    and calling SciPy's right after a large NumPy product can stall while threads hand over.
    An operator (`_sparse.HessianOperator`) is solved by conjugate gradients.
    """
    if not isinstance(H, np.ndarray):
        return H.solve
    try:
        L = np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        return _one_blas_thread(lambda rhs: np.linalg.lstsq(H, rhs, rcond=None)[0])
    return _one_blas_thread(lambda rhs: np.linalg.solve(L.T, np.linalg.solve(L, rhs)))


@_one_blas_thread
def _hessian_estimate(problem: _Problem, w: Array, b: float, dense: bool = False) -> Array:
    r"""The Hessian at ``(w, b)`` in psi coordinates, from every k-th row (`_hessian_stride`):
    exact on small data, otherwise an unbiased estimate, scaled up by the fraction of rows read.

    Forming the Hessian costs about $D/4$ passes over the rows it reads: on all rows, more than
    the rest of an L-BFGS fit. From $m$ rows, the estimate is the exact
    Hessian up to factors of about $(1 \pm \sqrt{D/m})^2$ in every direction, 0.25 to 2.25 at
    4 rows per parameter (the fewest it reads; below 1,250 features the 5,000-row minimum gives
    more): ample for a certificate whose level is $10^{-5}$ times the tolerance, and for a
    preconditioner.

    For a sparse ``X`` with too many features for a dense matrix (`_sparse.dense_hessian_ok`),
    and unless ``dense``, the same estimate comes as a `_sparse.HessianOperator`, which
    `_factorize_psd` turns into a conjugate-gradient solver.
    """
    k = problem.hessian_stride
    _, residual = nll_and_residual(
        activations(problem.X[::k], w, b), problem.minus_signs[::k], None if problem.sw is None else problem.sw[::k]
    )
    if problem.sparse and not dense and not problem.passes.dense_hessian_ok(problem.X, problem.options):
        # Too many features for a dense matrix: the same estimate as an operator (`_sparse`).
        q = np.abs(residual)
        if problem.sw is None:
            weights = q * (1.0 - q)
        else:
            sw = problem.sw[::k]
            q = np.divide(q, sw, out=np.zeros_like(q), where=sw > 0)
            weights = sw * q * (1.0 - q)
        X = problem.X[::k]
        return problem.passes.HessianOperator(
            X, weights, problem.penalty_vector(), problem.c, scale=problem.n / X.shape[0], options=problem.options
        )
    return problem.hessian_psi(residual, stride=k)


@_one_blas_thread
def _condition_estimate(H: Array) -> float:
    """A cheap estimate of the condition number of a symmetric positive semidefinite ``H``: the
    ratio of the largest to the smallest pivot of its Cholesky factorisation (``inf`` if it has
    none). A column that is nearly a combination of others gets a tiny pivot. A Hessian given
    as an operator (sparse data, many features) is taken as well-conditioned: the test would
    cost a dense factorisation."""
    if not isinstance(H, np.ndarray):
        return 0.0
    try:
        pivots = np.diag(np.linalg.cholesky(H)) ** 2
    except np.linalg.LinAlgError:
        return math.inf
    return float(pivots.max() / pivots.min()) if pivots.min() > 0 else math.inf
