"""L-BFGS (Nocedal & Wright, Algorithms 7.4 and 7.5) in standardised coordinates, with its
certificate (a Newton decrement from a Hessian estimate) and its preconditioner, and the warm start
on a subsample."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import numpy as np
from numpy.typing import NDArray

from ._coordinates import _Problem, warm_starts
from ._hessians import (
    _condition_estimate,
    _factorize_psd,
    _hessian_estimate,
    _hessian_operator,
    _matrix_free_certificate,
)

Array = NDArray[np.float64]


def lbfgs(problem: _Problem, tol: float, max_iter: int):
    r"""Limited-memory BFGS (Nocedal & Wright, Algorithms 7.4 and 7.5) with a backtracking line search.

    The inverse Hessian is approximated from the last ``options.lbfgs_memory`` steps and gradient changes
    (the two-loop recursion), starting from a multiple of the identity: in standardised
    coordinates the identity is already a fair guess. Each iteration costs one pass over the data
    (`_Problem.step`), which also brings the gradient; shorter steps, if the line search needs
    them, cost no product with ``X``.

    A small gradient alone does not prove that L-BFGS is done: on ill-conditioned data (nearly
    collinear columns, a tiny ``l2``) the gradient can be small while the objective is still
    measurably above its minimum along a flat direction. So the answer is certified: with an
    estimate $\hat H$ of the Hessian (`_hessian_estimate`: exact on small data, otherwise from
    every k-th row, at a k-th of the cost), the Newton decrement $g^\top \hat H^{-1} g$, twice the
    predicted remaining decrease of $E_\lambda$, must be at most $2 \cdot 10^{-5}\,\mathrm{tol}\,\max(|E_\lambda|, 1)$.
    If it is not, the iterations go on with $\hat H^{-1}$ as the starting matrix of the
    two-loop recursion (a preconditioner), which removes the ill-conditioning.

    Where forming $\hat H$ would cost more than a few dozen products with its rows (many
    features for the rows: `_hessians._matrix_free_certificate`), the certificate is first
    tried without it, by conjugate gradients on Hessian-vector products with the same rows
    (`_hessians.HessianOperator.certifies`, a rigorous upper bound on $g^\top \hat H^{-1} g$): a
    proof there is one with $\hat H$ too, and without one $\hat H$ is formed at the same point,
    so the answer is the same either way, only cheaper.

    On large data the iterations warm-start from the same method run on a subsample (as in
    `_newton`), and keep the curvature it learnt, scaled up to the full data; but only when the
    subsample has at least ``options.warm_start_rows_per_parameter`` rows per parameter. The subsample's
    optimum is off by a relative error of about $\sqrt{D/\text{rows}}$; with fewer rows it
    saves no full iteration.
    """
    w, b = problem.start()
    sub = problem.subproblem(copy=False)
    preconditioner = None
    pairs: list[tuple[Array, Array, float]] = []
    test_at = None  # the iteration at which to test the conditioning, if not at the start
    options = problem.options
    if not warm_starts("lbfgs", None if sub is None else sub.n, problem.d, options):
        # Ill-conditioning that standardising does not remove (correlated columns, polynomial
        # features) would make L-BFGS crawl; a Hessian estimate then preconditions it. The
        # test costs ~D^3: with many features for the rows, more than a well-conditioned fit,
        # so it is then left for the iterations that have not converged by ``options.condition_test_iter``.
        if _start_test_is_cheap(problem) and _ill_conditioned_at_start(problem):
            preconditioner = _factorize_psd(_hessian_estimate(problem, w, b))
        # Either way the conditioning is tested again where the fit has not converged by
        # ``options.condition_test_iter``: the Hessian at the start (every sigma' equal) can be far from
        # the one near the optimum, where on nearly separable data most sigma' are tiny.
        test_at = options.condition_test_iter
    else:
        sub = cast(_Problem, problem.subproblem())  # a contiguous copy: the warm start reads it many times
        # The warm start also tells whether the problem is ill-conditioned: if it does not
        # converge within a few dozen cheap iterations, the full run is preconditioned.
        w, b, _, sub_converged, _, pairs = _lbfgs_iterations(
            sub,
            w,
            b,
            options.warm_start_tol,
            min(max_iter, options.warm_start_max_iter),
            pairs=pairs,
            preconditioner=None,
            certify=False,
        )
        scale = problem.total / sub.total  # curvature grows with the number of rows
        sub = None  # its copy of the rows is not held through the full iterations
        pairs = [(s_vec, y_vec * scale, rho / scale) for s_vec, y_vec, rho in pairs]
        if not sub_converged:
            preconditioner = _factorize_psd(_hessian_estimate(problem, w, b))
            pairs = []
    return _lbfgs_iterations(
        problem,
        w,
        b,
        tol,
        max_iter,
        pairs=pairs,
        preconditioner=preconditioner,
        certify=True,
        condition_test_at=test_at,
        refresh_every=_refresh_interval(problem),
    )[:5]


def _refresh_interval(problem: _Problem) -> int:
    """How many L-BFGS iterations a Hessian estimate is kept as the preconditioner before it is
    made again at the current point: ``options.condition_test_iter``, or more where an estimate costs more
    than half that many passes over the data (`_hessian_estimate` reads every k-th row and forms
    a (D+1) x (D+1) matrix, ~m (D+1)^2 / 2 multiply-adds from m rows; a pass costs ~2 N D)."""
    rows = len(range(0, problem.n, problem.hessian_stride))
    passes = rows * (problem.d + 1) ** 2 / 2 / (2 * problem.n * problem.d)
    return max(problem.options.condition_test_iter, math.ceil(2 * passes))


def _lbfgs_iterations(
    problem: _Problem,
    w: Array,
    b: float,
    tol: float,
    max_iter: int,
    *,
    pairs: list[tuple[Array, Array, float]],
    preconditioner,
    certify: bool,
    condition_test_at: int | None = None,
    refresh_every: int | None = None,
):
    """L-BFGS iterations from ``(w, b)`` with the given (s, y, 1/s^T y) pairs, oldest first, and
    optionally a ``preconditioner`` (a solver for a Hessian estimate); also returns the pairs it
    ends with. At iteration ``condition_test_at``, if there is no preconditioner yet, the Hessian
    is estimated there and becomes the preconditioner if it is ill-conditioned; with
    ``refresh_every``, a preconditioner in use is then made again, at the current point, every that
    many iterations until the fit converges (the curvature near the optimum can differ from the
    curvature where the estimate was made by orders of magnitude on nearly separable data)."""
    point = problem.evaluate(w, b)
    g = problem.gradient(point)
    history = [point.f]
    gtol = problem.gtol(tol)
    pairs = list(pairs)
    # Before any curvature is known: the Newton step for the Hessian at the start, whose
    # diagonal in these coordinates is about N p (1 - p), with p the class balance.
    rate = problem.rate
    first_scale = 1.0 / (problem.total * rate * (1.0 - rate))
    options = problem.options
    precision = options.rounding_level

    estimate_at = None  # the point of the certificate's Hessian estimate, and its test
    certificate = None
    precondition_from_certificate = True
    # Dense X with many features for its rows: the certificate first tries to prove itself with
    # Hessian-vector products on the estimate's rows (at most this many CG iterations), and
    # forms the dense estimate only if they do not (then exactly as without them).
    matrix_free = _matrix_free_certificate(problem) if certify else 0

    def certified(level: float, fresh: bool = False) -> bool:
        """Whether the certificate passes at ``point``; ``fresh``: with an estimate made there."""
        nonlocal preconditioner, estimate_at, certificate
        if not certify:
            return True
        limit = level * max(abs(point.f), 1.0)
        if estimate_at is None or (fresh and estimate_at is not point):
            # The Hessian at the first candidate answer, not at the start.
            if matrix_free and _hessian_operator(problem, point.w, point.b, matrix_free).certifies(g, limit):
                return True  # a proof: the answer is final, so no estimate is needed after it
            estimate = _hessian_estimate(problem, point.w, point.b)
            estimate_at = point
            if isinstance(estimate, np.ndarray):
                solver = _factorize_psd(estimate)
                certificate = _decrement_test(solver)
                if precondition_from_certificate:
                    if preconditioner is None:
                        pairs.clear()  # the estimate is the better starting matrix from now on
                    preconditioner = solver
            else:
                # An operator (sparse data, many features) runs conjugate gradients: as a
                # preconditioner it would cost ~20 passes per iteration, so it certifies only.
                certificate = estimate.certifies
        return cast(Callable[[Array, float], bool], certificate)(g, limit)

    level = 2 * options.certified_gap_per_tol * tol
    for it in range(1, max_iter + 1):
        g_norm = float(np.max(np.abs(g)))
        if g_norm <= gtol and certified(level):
            return point.w, point.b, it - 1, True, history, pairs
        if it == condition_test_at and precondition_from_certificate:
            estimate = _hessian_estimate(problem, point.w, point.b)
            if preconditioner is not None or _condition_estimate(estimate) > options.well_conditioned:
                preconditioner = _factorize_psd(estimate)  # the certificate still estimates anew
                pairs.clear()
            if refresh_every is not None and preconditioner is not None:
                condition_test_at = it + refresh_every
        step_psi = -_two_loop(g, pairs, preconditioner, first_scale)
        slope = float(g @ step_psi)  # directional derivative, < 0 for a descent direction
        if not slope < 0:  # rounding has spoilt the approximation: restart without the pairs
            if not pairs:
                return point.w, point.b, it - 1, False, history, pairs
            pairs.clear()
            continue
        if -slope <= precision * max(abs(point.f), 1.0):
            # The predicted decrease is below the rounding error of E: working precision,
            # if the certificate agrees.
            had_estimate = estimate_at is not None
            if certified(max(level, precision), fresh=had_estimate):
                return point.w, point.b, it - 1, True, history, pairs
            if had_estimate and not pairs:
                # This direction promises nothing, and the certificate, with an estimate made
                # here, still sees a decrease: stop, without claiming convergence.
                return point.w, point.b, it - 1, False, history, pairs
            pairs.clear()
            continue
        # The point's residuals are not needed again (its gradient is known; a Hessian estimate
        # recomputes them): one length-N vector less held while the step reads X.
        point.residual = None
        trial, t = problem.line_search(point, step_psi, slope)
        if trial is None:  # no step decreases E measurably
            if pairs:  # the approximation may be poor: forget it and retry
                pairs.clear()
                continue
            if preconditioner is not None:
                # A Hessian estimated far from the optimum can be nearly singular (every point
                # classified confidently: the bias's curvature vanishes). Go on without it; the
                # next candidate gets a fresh estimate for its certificate.
                preconditioner, estimate_at, precondition_from_certificate = None, None, False
                continue
            # Rounding error stops every step: done, if the gradient and the certificate agree.
            return point.w, point.b, it - 1, bool(g_norm <= 10 * gtol and certified(level)), history, pairs
        g_new = problem.gradient(trial)
        s_vec, y_vec = t * step_psi, g_new - g
        curvature = float(s_vec @ y_vec)
        if curvature > np.finfo(float).eps * float(np.linalg.norm(s_vec) * np.linalg.norm(y_vec)):
            pairs.append((s_vec, y_vec, 1.0 / curvature))
            del pairs[: -options.lbfgs_memory]
        point, g = trial, g_new
        history.append(point.f)
    g_norm = float(np.max(np.abs(g)))
    return point.w, point.b, max_iter, bool(g_norm <= gtol and certified(level)), history, pairs


def _decrement_test(solver: Callable[[Array], Array]) -> Callable[[Array, float], bool]:
    """The certificate's test with a factorised estimate: the Newton decrement at most the limit."""
    return lambda g, limit: float(g @ solver(g)) <= limit


def _start_test_is_cheap(problem: _Problem) -> bool:
    """Whether `_ill_conditioned_at_start` costs at most ``options.condition_test_max_passes`` passes: it
    forms a (D+1) x (D+1) matrix from about 8 (D+1) rows, ~4 (D+1)^3 multiply-adds, where a
    pass costs ~2 N D. (100,000 x 200: 0.2 passes; 20,000 x 1,000: 100.) Never, for sparse
    data too wide for a dense Hessian (`_sparse.dense_hessian_ok`)."""
    if problem.sparse and not problem.passes.dense_hessian_ok(problem.X, problem.options):
        return False
    options = problem.options
    rows = min(problem.n, options.condition_test_rows_per_parameter * (problem.d + 1))
    return rows * (problem.d + 1) ** 2 / 2 <= options.condition_test_max_passes * 2 * problem.n * problem.d


def _ill_conditioned_at_start(problem: _Problem) -> bool:
    r"""Whether the Hessian at `_Problem.start` (psi coordinates) has a Cholesky pivot ratio
    (`_condition_estimate`) above ``options.well_conditioned``.

    There every $\sigma'(a_n)$ is $p(1 - p)$, $p$ the class balance, so the Hessian is
    $p(1 - p)\,\tilde X^\top \tilde X$ plus the penalty, and every $k$-th row estimates it, with
    $k$ chosen for about ``options.condition_test_rows_per_parameter`` rows per parameter: a column that is
    nearly a combination of others is nearly one on any rows. Reading all rows would cost a
    Newton iteration's Hessian.
    """
    options = problem.options
    stride = max(1, problem.n // (options.condition_test_rows_per_parameter * (problem.d + 1)))
    rate = problem.rate
    weights = np.full(len(range(0, problem.n, stride)), rate * (1.0 - rate))
    if problem.sw is not None:
        weights *= problem.sw[::stride]
    return _condition_estimate(problem.hessian_psi_from_weights(weights, stride)) > options.well_conditioned


def _two_loop(g: Array, pairs: list[tuple[Array, Array, float]], preconditioner, first_scale: float) -> Array:
    r"""``H g`` for the L-BFGS inverse-Hessian approximation ``H`` (Nocedal & Wright, Alg. 7.4).

    The starting matrix is the ``preconditioner`` (a solver for a Hessian estimate) if there is
    one; otherwise the identity scaled by $s^\top y / y^\top y$ of the latest pair, or by
    ``first_scale`` before there are pairs.
    """
    q = g.copy()
    alphas = []
    for s_vec, y_vec, rho in reversed(pairs):
        alpha = rho * float(s_vec @ q)
        q -= alpha * y_vec
        alphas.append(alpha)
    if preconditioner is not None:
        q = preconditioner(q)
    elif pairs:
        s_vec, y_vec, rho = pairs[-1]
        q *= 1.0 / (rho * float(y_vec @ y_vec))
    else:
        q *= first_scale
    for (s_vec, y_vec, rho), alpha in zip(pairs, reversed(alphas), strict=True):
        beta = rho * float(y_vec @ q)
        q += (alpha - beta) * s_vec
    return q
