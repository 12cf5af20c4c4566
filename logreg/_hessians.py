"""Linear algebra on Hessians in standardised coordinates: factorising (Cholesky, or least
squares when singular), a cheap condition estimate, the estimate from every k-th row that
L-BFGS and BFGS certify and precondition with, and the same estimate as an operator
(`HessianOperator`: Hessian-vector products and conjugate gradients, never formed), with which
L-BFGS certifies where forming it would cost too much. BLAS is held to one thread in each
(`logreg._blas`)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ._blas import _one_blas_thread
from ._coordinates import _Problem
from ._options import DEFAULT_OPTIONS, SolverOptions
from ._passes import activations, as_float64, gradient_terms, map_row_blocks, nll_and_residual

Array = NDArray[np.float64]


@_one_blas_thread
def _factorize_psd(H: Array):
    """A solver for ``H x = rhs``, with ``H`` symmetric positive semidefinite.

    Cholesky when ``H`` is positive definite (the usual case, and always when ``l2 > 0``); a
    least-squares solve when it is singular, e.g. collinear columns with ``l2 = 0``. NumPy's
    ``linalg`` is used rather than SciPy's because the two bring separate OpenBLAS thread pools,
    and calling SciPy's right after a large NumPy product can stall while threads hand over.
    An operator (`HessianOperator`) is solved by conjugate gradients.
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
    and unless ``dense``, the same estimate comes as a `HessianOperator` (`_hessian_operator`),
    which `_factorize_psd` turns into a conjugate-gradient solver.
    """
    if problem.sparse and not dense and not problem.passes.dense_hessian_ok(problem.X, problem.options):
        # Too many features for a dense matrix: the same estimate as an operator.
        return _hessian_operator(problem, w, b)  # type: ignore[return-value]
    k = problem.hessian_stride
    _, residual = nll_and_residual(
        activations(problem.X[::k], w, b), problem.minus_signs[::k], None if problem.sw is None else problem.sw[::k]
    )
    return problem.hessian_psi(residual, stride=k)


def _hessian_operator(problem: _Problem, w: Array, b: float, max_iter: int | None = None) -> HessianOperator:
    """`_hessian_estimate` at ``(w, b)`` as a `HessianOperator` (the same rows, the same
    estimate), for dense or sparse ``X``: its products read the rows, it is never formed."""
    k = problem.hessian_stride
    X = problem.X[::k]
    _, residual = nll_and_residual(
        activations(X, w, b), problem.minus_signs[::k], None if problem.sw is None else problem.sw[::k]
    )
    q = np.abs(residual)  # sigma(a) or 1 - sigma(a), so sigma'(a) = q (1 - q)
    if problem.sw is None:
        weights = q * (1.0 - q)
    else:  # the residual is weighted, s_n (sigma(a_n) - y_n): divide the weight out, and back in
        sw = problem.sw[::k]
        q = np.divide(q, sw, out=np.zeros_like(q), where=sw > 0)
        weights = sw * q * (1.0 - q)
    return HessianOperator(
        X,
        weights,
        problem.penalty_vector(),
        problem.c,
        mu=None if problem.sparse else problem.mu,
        scale=problem.n / X.shape[0] if k > 1 else 1.0,
        options=problem.options,
        max_iter=max_iter,
    )


def _matrix_free_certificate(problem: _Problem) -> int:
    """How many conjugate-gradient iterations L-BFGS's certificate may spend on a dense ``X``
    (`HessianOperator.certifies`) before it forms the dense estimate after all; 0 where it forms
    the estimate at once: where that costs fewer than
    ``options.matrix_free_certificate_min_iterations`` CG iterations, or where the operator's
    bound is not rigorous (``l2 = 0``: no floor under the Hessian's eigenvalues).

    From m rows, the estimate costs ~m (D+1)^2 / 2 multiply-adds and its Cholesky (D+1)^3 / 3;
    a CG iteration, two matrix-vector products, 2 m (D+1), each ``options.cg_cost_per_multiply_add``
    times as dear."""
    options = problem.options
    if problem.sparse or not problem.l2 > 0:
        return 0
    rows = len(range(0, problem.n, problem.hessian_stride))
    size = problem.d + 1
    estimate = rows * size**2 / 2 + size**3 / 3
    iterations = estimate / (options.cg_cost_per_multiply_add * 2 * rows * size)
    if iterations < options.matrix_free_certificate_min_iterations:
        return 0
    return max(1, min(options.cg_max_iter, math.floor(options.cg_share_of_estimate * iterations)))


class HessianOperator:
    r"""A Hessian (estimate) in the solvers' psi coordinates as a linear operator, never formed:
    $H = \kappa\,\tilde X_\psi^\top S\,\tilde X_\psi + T^\top P\,T$, where
    $\tilde X_\psi = [(X - \mathbf 1\mu^\top) C^{-1} \;\; \mathbf 1]$ holds the rows read in psi
    coordinates (``mu`` ``None``: no centre, as for sparse ``X``), $S = \operatorname{diag}(s)$
    their weights $\sigma'(a_n)$ (times the sample weights), $\kappa$ (``scale``) the factor that
    scales an estimate from every k-th row up to all rows, and $P = \operatorname{diag}$
    (``penalty``) the penalty's Hessian in (w, b), $\theta = T\psi$. A product $Hv$ reads the rows
    twice: two sparse products, or, for dense rows, blocks on the pool (`_passes.activations`,
    `_passes.gradient_terms`), with no copy of them.

    `certifies` decides whether the Newton decrement $g^\top H^{-1} g$ is at most a limit, from
    a rigorous upper bound (conjugate gradients, preconditioned by the exact diagonal of $H$);
    `solve` approximates $H^{-1} g$.
    """

    def __init__(
        self,
        X,
        s: Array,
        penalty: Array,
        c: Array,
        scale: float = 1.0,
        options: SolverOptions = DEFAULT_OPTIONS,
        *,
        mu: Array | None = None,
        max_iter: int | None = None,
    ):
        d = X.shape[1]
        self.options = options
        self.max_iter = options.cg_max_iter if max_iter is None else max_iter
        self.s, self.scale, self.c = s, scale, c
        self.sparse = not isinstance(X, np.ndarray)
        self.products = 0  # Hessian-vector products made, for tests and measurements
        diag = np.empty(d + 1)
        if self.sparse:
            from ._sparse import scale_columns

            if mu is not None and np.any(mu != 0):
                raise ValueError("HessianOperator: a sparse X has no centre (mu must be None)")
            self.X = scale_columns(X, 1.0 / c)  # X C^{-1}: no under- or overflow in its squares
            self.mu = None
            self.penalty = np.append(penalty[:d] / c / c, penalty[d])  # T^T P T, diagonal here
            sq = self.X.multiply(self.X)
            diag[:d] = scale * (sq.T @ s) + self.penalty[:d]
        else:
            centre = np.zeros(d) if mu is None else mu
            self.X, self.mu, self.penalty = X, centre, penalty
            inv_c = 1.0 / c

            def squares(rows: slice) -> Array:
                Z = (as_float64(X[rows]) - centre) * inv_c
                return s[rows] @ (Z * Z)

            data = np.zeros(d)
            for part in map_row_blocks(squares, X):
                data += part
            u = centre * inv_c  # (T^T P T)_jj = p_j / c_j^2 + p_b (mu_j / c_j)^2
            diag[:d] = scale * data + penalty[:d] * inv_c * inv_c + penalty[d] * u * u
        diag[d] = scale * math.fsum(s) + penalty[d]
        self.diag = np.where(diag > 0, diag, 1.0)
        # For the bound of `certifies`: the bias's column of H, and the floor under the Schur
        # complement of the bias, diag(p_j / c_j^2) (zero without a penalty: then no bound).
        bias = self.matvec(np.append(np.zeros(d), 1.0))
        self.bias_column, self.bias_curvature = bias[:d], float(bias[d])
        self.floor = penalty[:d] / c / c

    def matvec(self, v: Array) -> Array:
        """``H v``."""
        self.products += 1
        d = self.X.shape[1]
        out = np.empty(d + 1)
        if self.mu is None:  # sparse, columns already scaled: H is X_c^T S X_c + diag
            t = self.s * (self.X @ v[:d] + v[d])
            out[:d] = self.scale * (self.X.T @ t) + self.penalty[:d] * v[:d]
            out[d] = self.scale * float(np.sum(t)) + self.penalty[d] * v[d]
            return out
        w = v[:d] / self.c  # theta = T v ...
        b = float(v[d] - self.mu @ w)
        t = self.s * activations(self.X, w, b)
        xt, st = gradient_terms(self.X, t)
        gw = self.scale * xt + self.penalty[:d] * w  # ... the Hessian in (w, b) ...
        gb = self.scale * st + self.penalty[d] * b
        out[:d] = (gw - self.mu * gb) / self.c  # ... and T^T back
        out[d] = gb
        return out

    def remainder_bound(self, r: Array) -> float:
        r"""An upper bound on $r^\top H^{-1} r$ (``inf`` if there is none: no penalty).

        With the bias last, $H = \begin{pmatrix} A & v \\ v^\top & h \end{pmatrix}$ and
        $r = (r_w, r_b)$, exactly $r^\top H^{-1} r = r_b^2 / h + u^\top S^{-1} u$ with
        $u = r_w - v\,r_b / h$ and $S = A - v v^\top / h$, the Schur complement of the bias. A
        Schur complement is concave in the matrix (it is a minimum of quadratic forms), so $S$
        is at least that of the data term, a weighted covariance ($\succeq 0$), plus that of the
        penalty, $\operatorname{diag}(p_j / c_j^2)$ whether or not the bias is penalised; hence
        $u^\top S^{-1} u \le \sum_j u_j^2 c_j^2 / p_j$. The unpenalised bias, whose direction the
        penalty does not bound, is taken exactly.
        """
        h = self.bias_curvature
        if not h > 0:
            return math.inf
        d = self.X.shape[1]
        u = r[:d] - self.bias_column * (r[d] / h)
        if np.any((self.floor <= 0) & (u != 0)):
            return math.inf
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(self.floor > 0, u * u / self.floor, 0.0)
        return float(r[d] * r[d] / h + np.sum(share))

    def certifies(self, g: Array, limit: float) -> bool:
        r"""Whether $g^\top H^{-1} g \le$ ``limit``, proven by an upper bound.

        For any $x$, with $r = g - Hx$, exactly
        $g^\top H^{-1} g = (2 g^\top x - x^\top H x) + r^\top H^{-1} r = g^\top x + x^\top r + r^\top H^{-1} r$;
        the first part is at most $g^\top H^{-1} g$ (and approaches it), the last is bounded by
        `remainder_bound`. Conjugate gradients (preconditioned by the diagonal of $H$, from
        $x = 0$) make $r$ small; once the bound computed with their running residual is below
        ``limit``, it is computed again with the true residual $g - Hx$ (one more product, so
        that CG's rounding cannot make the proof), and that decides. ``False`` as soon as the
        lower part exceeds ``limit`` (no proof can follow), or when the bound does not reach
        ``limit`` within ``max_iter`` iterations, or without a bound (no penalty).

        Where there is no bound (no penalty: ``l2 = 0``), it falls back to the decrement CG
        builds up, $g^\top x_k$, which approaches $g^\top H^{-1} g$ from below: not a proof, and
        said so (`solve`).
        """
        if not np.all(self.floor > 0) or not self.bias_curvature > 0:
            return float(g @ self.solve(g)) <= limit
        x = np.zeros_like(g)
        r = g.copy()
        z = r / self.diag
        p = z.copy()
        rz = float(r @ z)
        if rz == 0.0:
            return limit >= 0.0
        for _ in range(self.max_iter):
            Hp = self.matvec(p)
            curvature = float(p @ Hp)
            if not curvature > 0:
                return False
            alpha = rz / curvature
            x += alpha * p
            r -= alpha * Hp
            lower = float(g @ x + x @ r)
            if lower > limit:
                return False
            if lower + self.remainder_bound(r) <= limit:
                r = g - self.matvec(x)  # the true residual: the proof does not trust CG's recursion
                if float(g @ x + x @ r) + self.remainder_bound(r) <= limit:
                    return True
            z = r / self.diag
            rz_new = float(r @ z)
            p = z + (rz_new / rz) * p
            rz = rz_new
        return False

    def solve(self, g: Array) -> Array:
        r"""Preconditioned conjugate gradients for ``H x = g`` from ``x = 0``, to a relative
        residual of ``options.cg_rtol``, or until the Newton decrement $g^\top x_k$ they build up
        (from below: each step adds $\alpha_k r_k^\top z_k \ge 0$) grows by less than
        ``options.cg_decrement_rtol`` of itself in a step: an approximation of $H^{-1} g$ (and of the
        decrement, from below), not a bound (`certifies` gives one)."""
        x = np.zeros_like(g)
        r = g.copy()
        z = r / self.diag
        p = z.copy()
        rz = float(r @ z)
        stop = self.options.cg_rtol * float(np.linalg.norm(g))
        decrement = 0.0
        for _ in range(self.max_iter):
            if float(np.linalg.norm(r)) <= stop:
                break
            Hp = self.matvec(p)
            curvature = float(p @ Hp)
            if not curvature > 0:  # a singular direction (l2 = 0): stop with what is converged
                break
            alpha = rz / curvature
            x += alpha * p
            decrement += alpha * rz
            if alpha * rz <= self.options.cg_decrement_rtol * decrement:
                break
            r -= alpha * Hp
            z = r / self.diag
            rz_new = float(r @ z)
            p = z + (rz_new / rz) * p
            rz = rz_new
        return x


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
