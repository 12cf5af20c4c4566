"""Standardised coordinates: the objective as a function of ``psi = (phi, beta)``, with
``w = phi / c`` and ``b = beta - mu^T w`` (an exact change of variables that conditions the
problem), its evaluation in one pass over the data, the line search along the activations, and
the subsample for the warm starts. `_Problem` is the ``problem`` every solver takes."""

from __future__ import annotations

import math
import types
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from . import _passes
from . import checks as v
from ._blas import _one_blas_thread
from ._options import DEFAULT_OPTIONS, SolverOptions
from ._passes import Pass, column_stats_and_strided_variation, first_pass, nll_and_residual
from .model import _nll_from_activation, _penalised_gradient, _penalty_diagonal, _penalty_terms, _residual

Array = NDArray[np.float64]


@dataclass(eq=False)
class _Point:
    """A point ``(w, b)`` with its activations ``a``, objective ``f`` and residuals ``sigma(a) - y``;
    the gradient (in (w, b)) once computed; the activation change of the step that led here, while
    the line search that made the point may still need it (``None`` once it is accepted)."""

    w: Array
    b: float
    a: Array
    f: float
    residual: Array | None  # None once a solver that needs it no more has dropped it
    direction: Array | None = None
    grad_w: Array | None = None
    grad_b: float = math.nan


def _some_weight_off(sample_weight: Array | None) -> bool:
    """Whether there are weights and none is positive (such rows are measured unweighted)."""
    return sample_weight is not None and not np.any(sample_weight > 0)


def _every(sample_weight: Array | None, k: int) -> Array | None:
    return None if sample_weight is None else sample_weight[::k]


def _column_stats(
    X: Array, sample_weight: Array | None, columns: NDArray[Any] | None = None, stride: int = 0
) -> tuple[Array, Array, NDArray[np.bool_] | None]:
    """Mean and standard deviation of the columns (weighted when there are weights), and, with
    a ``stride`` k, whether each takes more than one value on every k-th row (the rows the
    Hessian estimates read), from the same read of ``X``
    (`_passes.column_stats_and_strided_variation`)."""
    if sample_weight is None or not np.any(sample_weight > 0):
        return column_stats_and_strided_variation(X, None, columns, stride)
    # Weighted, so that integer weights give the coordinates of the repeated rows.
    return column_stats_and_strided_variation(X, sample_weight, columns, stride)


#: The largest column magnitude (spread, or the value of a constant column) `fit` accepts, and
#: the smallest spread: beyond these, sums of products of two values in the Hessian over- or
#: underflow double precision (its range is about 1e-308 to 1e308), and the answer would be wrong.
MAX_COLUMN_MAGNITUDE, MIN_COLUMN_SCALE = 1e100, 1e-100


def _check_magnitudes(mean: Array, scale: Array) -> None:
    """Raise ``ValueError`` naming every column whose units `fit` cannot work in exactly."""
    magnitude = np.where(scale > 0, np.maximum(scale, np.abs(mean)), np.abs(mean))
    bad = np.flatnonzero(
        ~np.isfinite(magnitude) | (magnitude > MAX_COLUMN_MAGNITUDE) | ((scale > 0) & (scale < MIN_COLUMN_SCALE))
    )
    if bad.size:
        shown = ", ".join(f"{j} (spread {scale[j]:.3g}, mean {mean[j]:.3g})" for j in bad[:5])
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise ValueError(
            f"column(s) {shown}{more} of X are in units too extreme to fit in double precision: "
            f"each column's spread must lie within [{MIN_COLUMN_SCALE:g}, {MAX_COLUMN_MAGNITUDE:g}] "
            f"and its values below {MAX_COLUMN_MAGNITUDE:g} in magnitude. Rescale the column (for "
            "example divide it by its standard deviation); that changes only its weight's units."
        )


class _Problem:
    """The objective as a function of the standardised parameter vector ``psi = (phi, beta)``."""

    def __init__(
        self,
        X: Array,
        y: Array,
        l2: float,
        penalize_bias: bool,
        coordinates: tuple[Array, Array] | None = None,
        first: Pass | None = None,
        sample_weight: Array | None = None,
        options: SolverOptions = DEFAULT_OPTIONS,
    ):
        self.X, self.y, self.l2, self.penalize_bias = X, y, l2, penalize_bias
        self.options = options
        self.n, self.d = X.shape
        # A scipy.sparse X gets sparse passes (`logreg._sparse`: the same functions, sparse products).
        self.sparse = v._describe_sparse(X) is not None
        self.passes: types.ModuleType
        if self.sparse:
            from . import _sparse

            self.passes = _sparse
        else:
            self.passes = _passes
        self.minus_signs = 1.0 - 2.0 * y  # -(2y - 1), as `_passes.loss_and_residual` takes it
        # Sample weights (None: all 1). Every sum over rows is weighted, so an integer weight is
        # that many copies of its row: the total weight stands for N, the weighted class balance
        # for the plain one.
        self.sw = sample_weight
        self.total = float(self.n) if sample_weight is None else float(np.sum(sample_weight))
        self.rate = _positive_rate(y, sample_weight)
        self.first = first  # the pass at `start`, if the caller made it already (`_start_pass`)
        self.init: tuple[Array, float] | None = None  # `fit`'s ``init``: where `start` is
        # Any positive scales and any centre give an exact change of variables; they only need
        # to be about right to condition the problem. On a large X, every 16th row estimates
        # them well at a sixteenth of the cost (X.std alone would cost a full Newton iteration);
        # the solvers warm-start on the same rows (see `_newton`, `_lbfgs`).
        self.sample: tuple[Array, Array, Array | None] | None = None
        if coordinates is not None:  # another problem's (mu, c): same psi coordinates as it
            self.mu, self.c = coordinates
            self.hessian_stride = _hessian_stride(self.n, self.d, options)
            return
        if self.sparse:
            self._sparse_coordinates(sample_weight)
            return
        rows = X
        if self.n >= options.warm_start_min_samples:
            # Views: copied (see `subproblem`) only for a warm start, which reads them many times.
            k = options.subsample_stride
            self.sample = (X[::k], y[::k], None if sample_weight is None else sample_weight[::k])
            rows = self.sample[0]
        # A constant column has a scale of exactly 0 (`column_stats`): a rounding-error "scale"
        # would make the problem hopelessly ill-conditioned (``benchmarks/NOTES.md``).
        row_weights = sample_weight if self.sample is None else self.sample[2]
        self.hessian_stride = _hessian_stride(self.n, self.d, options)
        # Without a subsample, the estimates' rows (every k-th, a subset of those measured) are
        # checked in the same read of X: a column that varies on all rows but not on them is one
        # they cannot see.
        stride = self.hessian_stride if self.sample is None and self.hessian_stride > 1 else 0
        mean, scale, varies = _column_stats(rows, row_weights, stride=stride)
        # Constant on some rows is not constant: a rare event (an amount that is 0 on all but
        # a few rows) can miss every 16th row, which the warm start and the Hessian estimates
        # read. Those columns are measured on all rows (a scale of 1 in its place would leave
        # them badly scaled), and the fit then reads all rows: a subsample that cannot see a
        # column cannot warm-start or certify its weight.
        if self.sample is not None and np.any(scale == 0):
            cols = np.flatnonzero(scale == 0)
            mean[cols], scale[cols], _ = _column_stats(X, sample_weight, cols)
            blind = bool(np.any(scale[cols] > 0))
        elif varies is not None:
            blind = bool(np.any((scale > 0) & ~varies))
        elif self.sample is not None and self.hessian_stride > 1 and _some_weight_off(self.sample[2]):
            # The estimates' rows include the subsample's, on which every column varies; only
            # when none of the subsample's rows has weight (it is then measured unweighted)
            # can they still miss one.
            cols = np.flatnonzero(scale > 0)
            strided = _column_stats(X[:: self.hessian_stride], _every(sample_weight, self.hessian_stride), cols)[1]
            blind = bool(np.any(strided == 0))
        else:
            blind = False
        if blind:
            self.sample, self.hessian_stride = None, 1
        _check_magnitudes(mean, scale)
        self.c = np.where(scale > 0, scale, 1.0)
        # A constant column (on these rows) is centred too, to an exact zero: its standardised
        # weight then meets only the penalty, instead of a second intercept that the solvers
        # would have to tell apart from the first along a nearly flat direction.
        self.mu = mean

    def _sparse_coordinates(self, sample_weight: Array | None) -> None:
        r"""Scales only, for a sparse ``X``, and no centre (``mu = 0``; the bias absorbs it).

        Without a centre, the curvature of column $j$ at the start is
        $p(1 - p) \sum_n x_{nj}^2 + 2\lambda$ ($p$ the class balance), so the scale is
        $c_j = \sqrt{\overline{x_j^2} + 2\lambda / (N p (1 - p))}$, with
        $\overline{x_j^2} = \mu_j^2 + \sigma_j^2$ from the stored values
        (`_sparse.column_stats`, O(nnz): no subsample is needed): every weight's curvature is
        then $N p(1 - p)$, the bias's. (The standard deviation alone, as for dense data, leaves
        the penalty's curvature $2\lambda / c_j^2$ to vary by orders of magnitude between rare
        and common features, and L-BFGS to crawl.) The subsample is kept for the warm starts.
        """
        from ._sparse import column_stats as sparse_column_stats

        if self.n >= self.options.warm_start_min_samples:
            k = self.options.subsample_stride
            self.sample = (self.X[::k], self.y[::k], None if sample_weight is None else sample_weight[::k])
        counted = sample_weight is not None and np.any(sample_weight > 0)
        mean, std = sparse_column_stats(self.X, sample_weight if counted else None)
        rate = self.rate
        with np.errstate(divide="ignore", invalid="ignore"):
            penalty = math.sqrt(2.0 * self.l2 / (self.total * rate * (1.0 - rate)))
        scale = np.hypot(np.hypot(mean, std), penalty if math.isfinite(penalty) else 0.0)
        self.c = np.where(scale > 0, scale, 1.0)
        self.mu = np.zeros(self.d)
        # As for dense data: rows read by the warm start or the Hessian estimates that hold no
        # value of a column that has values elsewhere cannot see its weight; then read all rows.
        self.hessian_stride = _hessian_stride(self.n, self.d, self.options)
        stride = self.options.subsample_stride if self.sample is not None else self.hessian_stride
        if stride > 1:
            X: Any = self.X  # a scipy.sparse matrix here
            stored = X.getnnz(axis=0) > 0
            if np.any(stored & (X[::stride].getnnz(axis=0) == 0)):
                self.sample, self.hessian_stride = None, 1

    # --- the change of variables theta = T psi, with theta = (w, b) ----------------------
    def to_theta(self, psi: Array) -> tuple[Array, float]:
        w = psi[: self.d] / self.c
        return w, float(psi[self.d] - self.mu @ w)

    def to_psi(self, w: Array, b: float) -> Array:
        return np.append(w * self.c, b + self.mu @ w)

    def pull_back(self, gw: Array, gb: float) -> Array:
        """``T^T g``: a gradient in (w, b) expressed in psi coordinates."""
        return np.append((gw - self.mu * gb) / self.c, gb)

    def pull_back_matrix(self, H: Array) -> Array:
        r"""``T^T H T`` for a Hessian in (w, b), in $O(D^2)$.

        With $T = \begin{pmatrix} C^{-1} & 0 \\ -u^\top & 1 \end{pmatrix}$, $C = \mathrm{diag}(c)$,
        $u = \mu / c$, and $H = \begin{pmatrix} A & v \\ v^\top & h \end{pmatrix}$, the blocks are
        $C^{-1} A C^{-1} - C^{-1} v u^\top - u v^\top C^{-1} + h\,u u^\top$, $C^{-1} v - h u$ and $h$
        (two dense $(D+1)^3$ products would cost more than the rest of an L-BFGS certificate).
        """
        d = self.d
        inv_c, u = 1.0 / self.c, self.mu / self.c
        A, v, h = H[:d, :d], H[:d, d], H[d, d]
        vc = v * inv_c
        out = np.empty_like(H)
        out[:d, :d] = A * np.outer(inv_c, inv_c) - np.outer(vc, u) - np.outer(u, vc) + h * np.outer(u, u)
        out[:d, d] = out[d, :d] = vc - h * u
        out[d, d] = h
        return out

    # --- objective and derivatives in (w, b) -------------------------------------------
    def evaluate(self, w: Array, b: float) -> _Point:
        """The objective, residuals and gradient at ``(w, b)``, from one read of ``X`` (none at
        `start` when the pass there was given)."""
        if self.first is not None and not w.any() and b == _log_odds(self.rate):
            return self._point(w, b, self.first)
        return self._point(w, b, self.passes.step_pass(self.X, self.minus_signs, w, b, weights=self.sw))

    def step(self, point: _Point, dw: Array, db: float) -> _Point:
        """The full step to ``(w + dw, b + db)``, gradient included, from one read of ``X``.

        The activations move by ``X dw + db``; the result keeps that change as ``direction``.
        """
        moved = self.passes.step_pass(self.X, self.minus_signs, dw, db, base=point.a, weights=self.sw)
        return self._point(point.w + dw, point.b + db, moved)

    def line_search(self, point: _Point, step_psi: Array, slope: float) -> tuple[_Point | None, float]:
        r"""Backtracking (Armijo) along ``step_psi`` (psi coordinates) from ``point``.

        Tries $t = 1, 1/2, 1/4, \dots$ and accepts the first with
        $E_\lambda(\theta + t\Delta) \le E_\lambda(\theta) + 10^{-4}\,t\,\mathrm{slope}$; returns the accepted point,
        with its gradient, and ``t``, or ``None`` if no $t \ge 10^{-10}$ decreases $E_\lambda$ enough.
        The full step brings the gradient with it; shorter steps move along the same line of
        activations, so they need no product with ``X``; only the one accepted needs its gradient.
        """
        dw = step_psi[: self.d] / self.c
        db = float(step_psi[self.d] - self.mu @ dw)
        full = trial = self.step(point, dw, db)
        t = 1.0
        armijo, min_step = self.options.armijo, self.options.min_step
        while not trial.f <= point.f + armijo * t * slope and t >= min_step:
            t *= 0.5
            trial = self.shorter_step(point, full, dw, db, t)
        if not trial.f <= point.f + armijo * t * slope:
            return None, t
        full.direction = None  # the line is done with: one length-N vector less held from here on
        return self.with_gradient(trial), t

    def shorter_step(self, point: _Point, full: _Point, dw: Array, db: float, t: float) -> _Point:
        """``t`` times the step ``(dw, db)`` that led from ``point`` to ``full``, without touching ``X``.

        The activations lie on the line ``a + t * direction``; the gradient is left out (see
        `with_gradient`), since a line search may reject this point too.
        """
        a = point.a + t * cast(Array, full.direction)
        nll, residual = nll_and_residual(a, self.minus_signs, self.sw)
        w, b = point.w + t * dw, point.b + t * db
        return _Point(w, b, a, nll + _penalty_terms(w, b, self.l2, self.penalize_bias), residual)

    def with_gradient(self, point: _Point) -> _Point:
        """``point`` with its gradient, computed (one read of ``X``) if it is not there yet."""
        if point.grad_w is None:
            xtr, sum_r = self.passes.gradient_terms(self.X, cast(Array, point.residual))
            point.grad_w, point.grad_b = _penalised_gradient(xtr, sum_r, point.w, point.b, self.l2, self.penalize_bias)
        return point

    def _point(self, w: Array, b: float, done: Pass) -> _Point:
        f = done.nll + _penalty_terms(w, b, self.l2, self.penalize_bias)
        point = _Point(w, b, done.a, f, done.residual, done.direction)
        point.grad_w, point.grad_b = _penalised_gradient(done.xtr, done.sum_r, w, b, self.l2, self.penalize_bias)
        return point

    def gradient(self, point: _Point) -> Array:
        """The gradient at ``point`` in psi coordinates (`pull_back` of the gradient in (w, b))."""
        return self.pull_back(cast(Array, point.grad_w), point.grad_b)

    def value_and_grad_psi(self, psi: Array) -> tuple[float, Array]:
        point = self.evaluate(*self.to_theta(psi))
        return point.f, self.gradient(point)

    def subproblem(self, copy: bool = True) -> _Problem | None:
        """The same problem on every ``options.subsample_stride``-th row (large data only), in the same
        coordinates, with the penalty scaled by the fraction of rows kept, so that its objective
        estimates this one's divided by ``options.subsample_stride``. ``None`` when there is no subsample or
        it holds one class only. With ``copy=False`` its arrays are views of this problem's
        (strided rows: fine for one read, slower for the many of a warm start)."""
        if self.sample is None or not 0.0 < _positive_rate(self.sample[1], self.sample[2]) < 1.0:
            return None
        X_sub, y_sub, sw_sub = self.sample
        if copy:
            X_sub, y_sub = (X_sub if self.sparse else np.ascontiguousarray(X_sub)), y_sub.copy()
            sw_sub = None if sw_sub is None else sw_sub.copy()
        total_sub = float(len(y_sub)) if sw_sub is None else float(np.sum(sw_sub))
        return _Problem(
            X_sub,
            y_sub,
            self.l2 * total_sub / self.total,
            self.penalize_bias,
            coordinates=(self.mu, self.c),
            sample_weight=sw_sub,
            options=self.options,
        )

    def hessian_psi(self, residual: Array, stride: int = 1) -> Array:
        """The Hessian in psi coordinates, given the residuals ``sigma(a) - y`` at the point.

        With ``stride`` k, estimated from every k-th row (``residual`` given for those rows only)
        and scaled up by the fraction of rows read.
        """
        q = np.abs(residual)  # sigma(a) or 1 - sigma(a), so sigma'(a) = q (1 - q)
        if self.sw is None:
            return self.hessian_psi_from_weights(q * (1.0 - q), stride)
        # The residual is weighted, s_n (sigma(a_n) - y_n): divide the weight out, and back in.
        sw = self.sw[::stride]
        q = np.divide(q, sw, out=np.zeros_like(q), where=sw > 0)
        return self.hessian_psi_from_weights(sw * q * (1.0 - q), stride)

    @_one_blas_thread
    def hessian_psi_from_weights(self, s: Array, stride: int = 1) -> Array:
        """`hessian_psi` given the weights ``s = sigma'(a)`` (of every ``stride``-th row)."""
        X = self.X[::stride]
        if self.sparse:  # psi coordinates directly (no centre): no under/overflow in X^T S X
            H = self.passes.hessian_psi(
                X, s * (self.n / X.shape[0] if stride > 1 else 1.0), self.c, self.penalty_vector()
            )
            return H
        H = self.passes.hessian_terms(X, s)
        if stride > 1:
            H *= self.n / X.shape[0]
        return self.pull_back_matrix(H + _penalty_diagonal(self.d, self.l2, self.penalize_bias))

    def penalty_vector(self) -> Array:
        """The diagonal of the penalty's Hessian in (w, b) (`_penalty_diagonal`), as a vector."""
        penalty = np.full(self.d + 1, 2.0 * self.l2)
        if not self.penalize_bias:
            penalty[-1] = 0.0
        return penalty

    def gtol(self, tol: float) -> float:
        return tol * self.total

    def start(self) -> tuple[Array, float]:
        """`fit`'s ``init`` if given; otherwise w = 0 and the bias that fits the class balance,
        the optimum of the bias-only model."""
        if self.init is not None:
            return self.init[0].copy(), self.init[1]
        return np.zeros(self.d), _log_odds(self.rate)


def _positive_rate(y: Array, sample_weight: Array | None = None) -> float:
    """The (weighted) fraction of rows with label 1."""
    if sample_weight is None:
        return float(y.mean())
    total = float(np.sum(sample_weight))
    return float(sample_weight @ y) / total if total > 0 else math.nan


def _log_odds(rate: float) -> float:
    """The bias of `_Problem.start`: the log-odds of the class balance."""
    return math.log(rate) - math.log1p(-rate)


def _start_bias(y: Array, sample_weight: Array | None = None) -> float:
    return _log_odds(_positive_rate(y, sample_weight))


def warm_starts(method: str, sub_rows: int | None, n_features: int, options: SolverOptions) -> bool:
    """Whether ``method`` first solves on the subsample, which has ``sub_rows`` rows (``None``:
    there is no subproblem, see `_Problem.subproblem`). The one rule `fit` (whether to make the
    start's pass over all rows) and the solvers (whether to warm-start) both ask.

    Newton always does, where there is a subsample; L-BFGS only with at least
    ``options.warm_start_rows_per_parameter`` rows per parameter (with fewer, the subsample's
    optimum is too far off to save a full iteration); BFGS never.
    """
    if sub_rows is None or method == "bfgs":
        return False
    return method == "newton" or sub_rows >= options.warm_start_rows_per_parameter * (n_features + 1)


def _start_pass(X: Array, y: Array, sample_weight: Array | None = None) -> Pass:
    r"""The data terms of the objective at `_Problem.start`, from a read of ``X`` that also checks
    that it is finite (raising ``ValueError`` if not), before any optimisation.

    With ``w = 0`` every activation is the start bias $b_0$, so the loss and the residuals need
    only the labels: every row of a class has the same residual and loss term, so `logreg.model`'s
    formulas are evaluated once per class, and the loss weighted by the class totals; only
    $X^\top r$ reads ``X`` (`first_pass`, with the check).
    """
    b = _start_bias(y, sample_weight)
    labels = np.array([1.0, 0.0])  # one row of each class, both at activation b
    at_start = np.full(2, b)
    r_pos, r_neg = _residual(at_start, labels)
    residual = np.where(y == 1.0, r_pos, r_neg)
    if sample_weight is not None:
        residual *= sample_weight
    sparse = v._describe_sparse(X) is not None
    if sparse:
        from . import _sparse

        xtr, finite = _sparse.first_pass(X, residual)
        if not finite:
            _sparse.check_finite(X, "X")
    else:
        xtr, finite = first_pass(X, residual)
    if not finite and not sparse:
        v.check_finite_elements(X, "X")  # raises, unless only a sum overflowed
    if sample_weight is None:
        n_pos, n_all = float(np.sum(y)), float(y.shape[0])
    else:
        n_pos, n_all = float(sample_weight @ y), float(np.sum(sample_weight))
    nll = _nll_from_activation(at_start, labels, np.array([n_pos, n_all - n_pos]))
    return Pass(np.full(y.shape[0], b), None, nll, residual, xtr, float(np.sum(residual)))


def _hessian_stride(n: int, d: int, options: SolverOptions = DEFAULT_OPTIONS) -> int:
    """The k of `_hessian_estimate` for ``n`` rows and ``d`` features: a power of two, so that
    its rows include the subsample's (every ``options.subsample_stride``-th row)."""
    rows = max(options.hessian_rows_per_parameter * (d + 1), options.hessian_min_rows)
    k = min(options.subsample_stride, max(1, n // rows))
    return 1 << (k.bit_length() - 1)
