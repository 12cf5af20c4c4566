r"""Fitting: minimise the objective of `logreg.model` with Newton's method, BFGS or L-BFGS.

The solvers only ever see "the objective, its gradient and (for Newton) its Hessian as functions of
one parameter vector"; the formulas live in `logreg.model`.

All three solvers work in *standardised coordinates*: with column means $\mu_j$ and scales
$c_j$, the parameters $(\phi, \beta)$ map to $w_j = \phi_j / c_j$ and
$b = \beta - \mu^\top w$. That is an exact change of variables (the objective, penalty
included, is unchanged), but it turns a problem whose columns differ in scale by $10^6$ into
a well-conditioned one, so a quasi-Newton method does not crawl and a Cholesky factorisation does
not lose digits. The convergence test is on the gradient in these coordinates:
$\lVert T^\top \nabla E_\lambda\rVert_\infty \le \mathrm{tol}\cdot N$.

Newton's method and L-BFGS evaluate the objective, the residuals and the gradient in one pass over
the data, on all cores (`logreg._passes`); BFGS goes through `scipy.optimize.minimize`.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, log_expit

from . import _passes
from . import _validation as v
from ._passes import (Pass, column_stats, first_pass, gradient_terms, hessian_terms, nll_and_residual,
                      step_pass, weighted_column_stats)
from ._passes import activations, check_n_threads, single_threaded_blas, thread_count, using_threads
from ._options import DEFAULT_OPTIONS, SolverOptions
from .newton import newton
from .model import (_activation as _model_activation, _nll_from_activation, _penalised_gradient,
                    _penalty_diagonal, _penalty_terms, _sigmoid)
from .warnings import ConvergenceWarning, SeparationWarning

__all__ = ["fit", "FitResult", "METHODS", "is_separable", "predict_proba", "predict", "gradient_descent"]

Array = NDArray[np.float64]
Method = Literal["newton", "bfgs", "lbfgs"]

#: The available ``method`` names for `fit`.
METHODS: tuple[str, ...] = ("newton", "bfgs", "lbfgs")


@dataclass(frozen=True, eq=False)
class FitResult:
    r"""The result of `fit`: a fitted model that can also predict.

    Attributes:
        weights: shape ``(n_features,)``.
        bias: the intercept.
        objective: $E_\lambda(w, b)$ at the solution: `logreg.objective`'s formula, summed in
            blocks of rows on all cores (equal to it to rounding, and exactly on small data).
        n_iter: iterations the solver took.
        converged: whether the convergence test passed. ``False`` on separable data with
            ``l2 = 0``, where no finite optimum exists.
        method: the solver used.
        l2: the penalty strength.
        penalize_bias: whether the bias was penalised.
        history: the objective after each iteration, starting with the initial point.
        separable: whether the training data were found linearly separable (checked only when
            ``l2 = 0``; ``None`` otherwise).
        training_data: ``(X, y)`` as fitted (a reference, not a copy), for the inference methods
            below (`covariance`, `standard_errors`, `summary`, ...), which need the Hessian there;
            ``None`` if not kept.

    The inference methods delegate to `logreg.inference` and share one cached covariance (one
    Hessian, $O(ND^2)$). With ``l2 > 0`` they describe the Laplace posterior, not the sampling
    distribution of the estimate (see `logreg.inference`).
    """

    weights: Array
    bias: float
    objective: float
    n_iter: int
    converged: bool
    method: str
    l2: float = 0.0
    penalize_bias: bool = False
    history: tuple[float, ...] = field(default=(), repr=False)
    separable: bool | None = None
    training_data: tuple[Array, Array] | None = field(default=None, repr=False, compare=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def covariance(self, kind: str = "laplace") -> Array:
        r"""$H^{-1}$ at the fit, shape ``(D + 1, D + 1)``, bias last (`logreg.inference.covariance`).

        Examples:
            >>> from logreg import fit, make_blobs
            >>> fit(*make_blobs(100, seed=0)).covariance().shape
            (3, 3)
        """
        from . import inference

        return inference.covariance(self, kind=kind)  # cached in ``_cache``

    @property
    def standard_errors(self) -> Array:
        r"""$\sqrt{\operatorname{diag} H^{-1}}$, shape ``(D + 1,)``, bias last (`logreg.inference.standard_errors`)."""
        return np.sqrt(np.diag(self.covariance()))

    @property
    def z_values(self) -> Array:
        r"""Wald statistics $\hat\theta_j / \mathrm{se}_j$, bias last (`logreg.inference.z_values`)."""
        return np.append(self.weights, self.bias) / self.standard_errors

    @property
    def p_values(self) -> Array:
        r"""Two-sided Wald p-values $2\Phi(-|z_j|)$, bias last (`logreg.inference.p_values`)."""
        from scipy.special import ndtr

        return 2.0 * ndtr(-np.abs(self.z_values))

    def conf_int(self, level: float = 0.95) -> Array:
        """Wald intervals, shape ``(D + 1, 2)``, bias last (`logreg.inference.conf_int`)."""
        from . import inference

        return inference.conf_int(self, level=level)

    def summary(self, feature_names: list[str] | None = None, level: float = 0.95) -> str:
        """A statsmodels-like table of estimates, errors, z, p and intervals (`logreg.inference.summary`)."""
        from . import inference

        return inference.summary(self, feature_names=feature_names, level=level)

    def predictive_proba(self, X: ArrayLike, method: str = "probit", n_draws: int = 10_000,
                         seed: int | None = 0) -> Array:
        r"""$p(y{=}1 \mid x)$ averaged over the Laplace posterior (`logreg.inference.predictive_proba`)."""
        from . import inference

        return inference.predictive_proba(self, X, method=method, n_draws=n_draws, seed=seed)

    def __eq__(self, other: object) -> bool:
        """Equal when every field is: the weights element by element (NaN equal to NaN), the
        rest as values. (The dataclass default compared tuples holding arrays, which raised
        numpy's "truth value of an array is ambiguous".)"""
        if not isinstance(other, FitResult):
            return NotImplemented
        return all(
            np.array_equal(np.asarray(getattr(self, f.name)), np.asarray(getattr(other, f.name)),
                           equal_nan=True)
            if f.name in ("weights", "history") else _same(getattr(self, f.name), getattr(other, f.name))
            for f in fields(self) if f.compare)

    __hash__ = None  # type: ignore[assignment]  # equal by value, and holds an array: unhashable

    def decision_function(self, X: ArrayLike) -> Array:
        r"""The activation $a = Xw + b$ for new data ``X`` of shape ``(n, n_features)``."""
        Xa = v.check_X(X, n_features=self.weights.shape[0], sparse=True)
        if Xa.shape[1] != self.weights.shape[0]:
            raise ValueError(
                f"X has {Xa.shape[1]} features but the model was fitted with {self.weights.shape[0]}"
            )
        return _activation(Xa, self.weights, self.bias)

    def predict_proba(self, X: ArrayLike) -> Array:
        r"""The probability of class 1, $\sigma(w^\top x + b)$, for each row of ``X``.

        Named after scikit-learn's method, but it returns shape ``(n_samples,)`` (the book's
        $p(y{=}1 \mid x)$) rather than a two-column array.

        Examples:
            >>> from logreg import fit, make_blobs
            >>> X, y = make_blobs(100, seed=0)
            >>> model = fit(X, y, l2=0.1)
            >>> model.predict_proba([[-1.0, -1.0], [1.0, 1.0]]).round(2).tolist()
            [0.97, 0.04]
        """
        return _sigmoid(self.decision_function(X))

    def predict(self, X: ArrayLike, threshold: float = 0.5) -> Array:
        """0/1 predictions: 1.0 where `predict_proba` is above ``threshold``."""
        threshold = v.check_threshold(threshold)
        return (self.predict_proba(X) > threshold).astype(np.float64)


def _activation(X: Array, w: Array, b: float) -> Array:
    """``X @ w + b``, with an activation too large for a float given as the infinity of its sign.

    With huge weights the product can overflow, and ``inf - inf`` in its sums is NaN, whose
    sigmoid is NaN: the rows affected are computed again with ``w`` and ``b`` divided by their
    largest magnitude, whose sign is the activation's. A row whose activation cannot be
    computed even so (``X`` itself near the largest float) is an error that says so.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        a = X @ w + b
    bad = ~np.isfinite(a)
    if bad.any():
        scale = max(float(np.max(np.abs(w))), abs(b))
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = X[bad] @ (w / scale) + b / scale
            if not np.all(np.isfinite(scaled)):
                row = int(np.flatnonzero(bad)[np.flatnonzero(~np.isfinite(scaled))[0]])
                raise ValueError(
                    f"the activation X @ weights + bias of row {row} cannot be computed in floating "
                    "point: it overflows even with the weights rescaled")
            a[bad] = scaled * scale  # +-inf where it overflows, which the sigmoid maps to 0 or 1
    return a


def _objective(w: Array, b: float, X: Array, y: Array, l2: float, penalize_bias: bool,
               sample_weight: Array | None = None) -> float:
    """`logreg.objective` on checked arrays, as `fit` reports it: on a large dense ``X`` in blocks
    of rows on the thread pool (`_passes.map_row_blocks`), summed with ``fsum`` in block order, so
    the value is the same on any number of cores (tested against `logreg.objective`)."""
    sw = sample_weight
    if v._describe_sparse(X) is not None:  # a sparse X: one sparse product
        return _nll_from_activation(_model_activation(w, b, X), y, sw) + _penalty_terms(w, b, l2, penalize_bias)
    parts = _passes.map_row_blocks(lambda rows: _nll_from_activation(
        _model_activation(w, b, X[rows]), y[rows], None if sw is None else sw[rows]), X)
    return math.fsum(parts) + _penalty_terms(w, b, l2, penalize_bias)


def _same(a: object, b: object) -> bool:
    """``a == b`` for the scalar fields of `FitResult`, with NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def _length(weights: ArrayLike) -> int | None:
    """The number of features ``weights`` has, if it looks like a vector (for an error's hint)."""
    try:
        shape = np.shape(weights)
    except ValueError:
        return None
    return shape[0] if len(shape) == 1 else None


def predict_proba(weights: ArrayLike, bias: float, X: ArrayLike) -> Array:
    r"""$\sigma(Xw + b)$, shape ``(n_samples,)``: the probability of class 1 for each row.

    ``X`` may be a ``scipy.sparse`` matrix or array (one sparse product, no dense copy).

    Examples:
        >>> from logreg import predict_proba
        >>> predict_proba([1.0, -1.0], 0.0, [[0.0, 0.0]]).tolist()
        [0.5]
    """
    Xa = v.check_X(X, n_features=_length(weights), sparse=True)
    w, b = v.check_weights(weights, bias, Xa.shape[1])
    return _sigmoid(_activation(Xa, w, b))


def predict(weights: ArrayLike, bias: float, X: ArrayLike) -> Array:
    r"""0/1 predictions, 1.0 where $\sigma(Xw + b) > 1/2$, i.e. where $Xw + b > 0$.

    Examples:
        >>> from logreg import predict
        >>> predict([1.0], 0.0, [[-2.0], [3.0]]).tolist()
        [0.0, 1.0]
    """
    return (predict_proba(weights, bias, X) > 0.5).astype(np.float64)


def is_separable(X: ArrayLike, y: ArrayLike) -> bool:
    r"""Whether a hyperplane separates the classes, so that the unpenalised likelihood has no maximum.

    Decided exactly by a linear program: find a direction $(w, b)$ in the box
    $[-1, 1]^{D+1}$ with every signed margin $m_n = (2y_n - 1)(w^\top x_n + b) \ge 0$,
    maximising $\sum_n m_n$. Zero is always feasible; the optimum is positive exactly when the
    data are completely or quasi-completely separated, which is exactly when moving along that
    direction lowers the negative log-likelihood forever (Albert & Anderson, 1984).

    Examples:
        >>> from logreg import is_separable, make_blobs, make_separable
        >>> is_separable(*make_separable(50, seed=0)), is_separable(*make_blobs(50, seed=0))
        (True, False)
    """
    from scipy.optimize import linprog

    Xa, ya = v.check_Xy(X, y, sparse=True)
    signs = 2.0 * ya - 1.0
    if v._describe_sparse(Xa) is not None:
        return _is_separable_sparse(Xa, signs, linprog)
    # Separability is unchanged by shifting and rescaling the columns, but the LP's box and
    # tolerances are not: standardise first, so the answer does not depend on units or origin.
    scale = Xa.std(axis=0)
    Xs = np.where(scale > 0, (Xa - Xa.mean(axis=0)) / np.where(scale > 0, scale, 1.0), 1.0)
    margins = np.hstack([Xs, np.ones((Xa.shape[0], 1))]) * signs[:, None]
    res = linprog(
        c=-margins.sum(axis=0),
        A_ub=-margins,
        b_ub=np.zeros(Xa.shape[0]),
        bounds=[(-1.0, 1.0)] * margins.shape[1],
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - HiGHS solves this bounded, feasible LP
        raise RuntimeError(f"separability check failed: {res.message}")
    # The optimum is a sum of margins; allow the LP's feasibility tolerance on each of them.
    scale = float(np.abs(margins).max(axis=1).sum())
    return -res.fun > 1e-7 * max(scale, 1.0)


def _separable_after_fit(X: Array, y: Array, w: Array, b: float, options: SolverOptions) -> bool:
    """`is_separable`, decided with the help of a fit's ``(w, b)``.

    A subset of the rows that no hyperplane separates proves that none separates them all. The
    rows nearest the fitted model's boundary (smallest ``|w.x + b|``, on both of its sides) are
    where the classes overlap, if they do: the linear program on those few is tried first, and
    the one on every row only when they are separable (always so for separable data, where the
    answer is then exact as ever). (Not the misclassified rows: the flipped boundary separates
    those.)
    """
    n, d = X.shape
    k = max(options.separation_subset_min, options.separation_subset_per_parameter * (d + 1))
    if n > 2 * k:
        hardest = np.argpartition(np.abs(activations(X, w, b)), k)[:k]
        if 0.0 < y[hardest].mean() < 1.0 and not is_separable(X[hardest], y[hardest]):
            return False
    return is_separable(X, y)


def _one_blas_thread(func):
    """Run ``func`` with BLAS held to one thread: the solvers' dense linear algebra (Hessians,
    their factorisations and solves, the Hessian estimate), and nothing else of a fit.

    OpenBLAS splits a ``syrk`` or a Cholesky factorisation over its threads even at these
    sizes, and its idle threads then spin for a while; measured at 100,000 x 200 on 2 cores,
    that made Newton's fit 2-4x slower (and L-BFGS's 1.5-3x) than with these steps on one
    BLAS thread. Its thread count is process-wide, so for the duration of these steps only,
    another thread's BLAS calls run on one thread too (`_passes.blas_note`).
    """
    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        with single_threaded_blas():
            return func(*args, **kwargs)
    return wrapped


def _is_separable_sparse(X, signs: Array, linprog) -> bool:
    """`is_separable`'s linear program for a sparse ``X``, with a sparse constraint matrix: the
    columns scaled (not centred, which would fill them in; the bias column absorbs the shift)."""
    import scipy.sparse as sp

    from ._sparse import column_stats as sparse_column_stats

    _, scale = sparse_column_stats(X)
    Xs = sp.csr_matrix(X @ sp.diags(1.0 / np.where(scale > 0, scale, 1.0)))
    margins = sp.csr_matrix(sp.diags(signs) @ sp.hstack([Xs, sp.csr_matrix(np.ones((X.shape[0], 1)))]))
    res = linprog(c=-np.asarray(margins.sum(axis=0)).ravel(), A_ub=-margins, b_ub=np.zeros(X.shape[0]),
                  bounds=[(-1.0, 1.0)] * margins.shape[1], method="highs")
    if res.status != 0:  # pragma: no cover - HiGHS solves this bounded, feasible LP
        raise RuntimeError(f"separability check failed: {res.message}")
    row_scale = float(np.sum(abs(margins).max(axis=1).toarray()))
    return -res.fun > 1e-7 * max(row_scale, 1.0)


@dataclass(eq=False)
class _Point:
    """A point ``(w, b)`` with its activations ``a``, objective ``f`` and residuals ``sigma(a) - y``;
    the gradient (in (w, b)) once computed; the activation change of the step that led here."""

    w: Array
    b: float
    a: Array
    f: float
    residual: Array
    direction: Array | None = None
    grad_w: Array | None = None
    grad_b: float = math.nan


def _every(sample_weight: Array | None, k: int) -> Array | None:
    return None if sample_weight is None else sample_weight[::k]


def _column_stats(X: Array, sample_weight: Array | None, columns: Array | None = None) -> tuple[Array, Array]:
    """Mean and standard deviation of the columns (weighted when there are weights)."""
    if sample_weight is None or not np.any(sample_weight > 0):
        return column_stats(X, columns)
    # Weighted, so that integer weights give the coordinates of the repeated rows.
    return weighted_column_stats(X, sample_weight, columns)


#: The largest column magnitude (spread, or the value of a constant column) `fit` accepts, and
#: the smallest spread: beyond these, sums of products of two values in the Hessian over- or
#: underflow double precision (its range is about 1e-308 to 1e308), and the answer would be wrong.
MAX_COLUMN_MAGNITUDE, MIN_COLUMN_SCALE = 1e100, 1e-100


def _check_magnitudes(mean: Array, scale: Array) -> None:
    """Raise ``ValueError`` naming every column whose units `fit` cannot work in exactly."""
    magnitude = np.where(scale > 0, np.maximum(scale, np.abs(mean)), np.abs(mean))
    bad = np.flatnonzero(~np.isfinite(magnitude) | (magnitude > MAX_COLUMN_MAGNITUDE)
                         | ((scale > 0) & (scale < MIN_COLUMN_SCALE)))
    if bad.size:
        shown = ", ".join(f"{j} (spread {scale[j]:.3g}, mean {mean[j]:.3g})" for j in bad[:5])
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise ValueError(
            f"column(s) {shown}{more} of X are in units too extreme to fit in double precision: "
            f"each column's spread must lie within [{MIN_COLUMN_SCALE:g}, {MAX_COLUMN_MAGNITUDE:g}] "
            f"and its values below {MAX_COLUMN_MAGNITUDE:g} in magnitude. Rescale the column (for "
            "example divide it by its standard deviation); that changes only its weight's units.")


class _Problem:
    """The objective as a function of the standardised parameter vector ``psi = (phi, beta)``."""

    def __init__(self, X: Array, y: Array, l2: float, penalize_bias: bool,
                 coordinates: tuple[Array, Array] | None = None, first: Pass | None = None,
                 sample_weight: Array | None = None, options: SolverOptions = DEFAULT_OPTIONS):
        self.X, self.y, self.l2, self.penalize_bias = X, y, l2, penalize_bias
        self.options = options
        self.n, self.d = X.shape
        # A scipy.sparse X gets sparse passes (`logreg._sparse`: the same functions, sparse products).
        self.sparse = v._describe_sparse(X) is not None
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
        self.sample: tuple[Array, Array] | None = None
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
        # A constant column has a scale of exactly 0 (`column_stats`). (A rounding-error "scale"
        # of 1e-14 for a column of 0.1s once made the problem hopelessly ill-conditioned: BFGS
        # stopped at the start, and with l2 = 0 Newton and L-BFGS stopped 2e-8 above the minimum.)
        row_weights = sample_weight if self.sample is None else self.sample[2]
        mean, scale = _column_stats(rows, row_weights)
        self.hessian_stride = _hessian_stride(self.n, self.d, options)
        # Constant on some rows is not constant: a rare event (an amount that is 0 on all but
        # a few rows) can miss every 16th row, which the warm start and the Hessian estimates
        # read. Those columns are measured on all rows (a scale of 1 in its place once cost
        # L-BFGS 100 times the iterations, and a false warning), and the fit then reads all
        # rows: a subsample that cannot see a column cannot warm-start or certify its weight.
        if self.sample is not None and np.any(scale == 0):
            cols = np.flatnonzero(scale == 0)
            mean[cols], scale[cols] = _column_stats(X, sample_weight, cols)
            blind = bool(np.any(scale[cols] > 0))
        elif self.hessian_stride > 1:  # the estimates' rows, a subset of those measured
            cols = np.flatnonzero(scale > 0)
            strided = _column_stats(X[::self.hessian_stride], _every(sample_weight, self.hessian_stride), cols)[1]
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
        and common features: measured on 20,000 x 100,000 with one value per column, L-BFGS
        did not converge in 200 iterations.) The subsample is kept for the warm starts.
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
            stored = self.X.getnnz(axis=0) > 0
            if np.any(stored & (self.X[::stride].getnnz(axis=0) == 0)):
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
        return self.with_gradient(trial), t

    def shorter_step(self, point: _Point, full: _Point, dw: Array, db: float, t: float) -> _Point:
        """``t`` times the step ``(dw, db)`` that led from ``point`` to ``full``, without touching ``X``.

        The activations lie on the line ``a + t * direction``; the gradient is left out (see
        `with_gradient`), since a line search may reject this point too.
        """
        a = point.a + t * full.direction
        nll, residual = nll_and_residual(a, self.minus_signs, self.sw)
        w, b = point.w + t * dw, point.b + t * db
        return _Point(w, b, a, nll + _penalty_terms(w, b, self.l2, self.penalize_bias), residual)

    def with_gradient(self, point: _Point) -> _Point:
        """``point`` with its gradient, computed (one read of ``X``) if it is not there yet."""
        if point.grad_w is None:
            xtr, sum_r = self.passes.gradient_terms(self.X, point.residual)
            point.grad_w, point.grad_b = _penalised_gradient(
                xtr, sum_r, point.w, point.b, self.l2, self.penalize_bias)
        return point

    def _point(self, w: Array, b: float, done: Pass) -> _Point:
        f = done.nll + _penalty_terms(w, b, self.l2, self.penalize_bias)
        point = _Point(w, b, done.a, f, done.residual, done.direction)
        point.grad_w, point.grad_b = _penalised_gradient(
            done.xtr, done.sum_r, w, b, self.l2, self.penalize_bias)
        return point

    def gradient(self, point: _Point) -> Array:
        """The gradient at ``point`` in psi coordinates (`pull_back` of the gradient in (w, b))."""
        return self.pull_back(point.grad_w, point.grad_b)

    def value_and_grad_psi(self, psi: Array) -> tuple[float, Array]:
        point = self.evaluate(*self.to_theta(psi))
        return point.f, self.pull_back(point.grad_w, point.grad_b)

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
        return _Problem(X_sub, y_sub, self.l2 * total_sub / self.total, self.penalize_bias,
                        coordinates=(self.mu, self.c), sample_weight=sw_sub, options=self.options)

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
            H = self.passes.hessian_psi(X, s * (self.n / X.shape[0] if stride > 1 else 1.0), self.c,
                                        self.penalty_vector())
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


def _first_pass_is_at_start(method: str, y: Array, n_features: int, sample_weight: Array | None = None,
                            options: SolverOptions = DEFAULT_OPTIONS) -> bool:
    """Whether ``method``'s first pass over all of ``X`` is at `_Problem.start`: yes unless it
    warm-starts on the subsample (`_newton`, `_lbfgs`; tested against them)."""
    if method == "bfgs" or y.shape[0] < options.warm_start_min_samples:
        return True
    k = options.subsample_stride
    sample = y[::k]
    sample_rate = _positive_rate(sample, None if sample_weight is None else sample_weight[::k])
    if not 0.0 < sample_rate < 1.0:  # no subproblem (`_Problem.subproblem`)
        return True
    return method == "lbfgs" and sample.shape[0] < options.warm_start_rows_per_parameter * (n_features + 1)


def _start_pass(X: Array, y: Array, sample_weight: Array | None = None) -> Pass:
    r"""The data terms of the objective at `_Problem.start`, from a read of ``X`` that also checks
    that it is finite (raising ``ValueError`` if not), before any optimisation.

    With ``w = 0`` every activation is the start bias $b_0$, so the loss and the residuals need
    only the labels: $r_n = \sigma(b_0)$ for $y_n = 0$, $-\sigma(-b_0)$ for $y_n = 1$; only
    $X^\top r$ reads ``X`` (`first_pass`, with the check).
    """
    b = _start_bias(y, sample_weight)
    residual = np.where(y == 1.0, -expit(-b), expit(b))
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
    nll = -(n_pos * float(log_expit(b)) + (n_all - n_pos) * float(log_expit(-b)))
    return Pass(np.full(y.shape[0], b), None, nll, residual, xtr, float(np.sum(residual)))


def fit(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l2: float = 0.0,
    penalize_bias: bool = False,
    method: Method = "lbfgs",
    tol: float = 1e-8,
    max_iter: int = 200,
    init: FitResult | tuple[ArrayLike, float] | None = None,
    sample_weight: ArrayLike | None = None,
    check_separation: bool = True,
    n_threads: int | None = None,
    options: SolverOptions | None = None,
) -> FitResult:
    r"""Fit binary logistic regression by minimising $E_\lambda(w, b)$ (book eq. ``obj``).

    $$
    E_\lambda(w, b) = -\sum_n \bigl[y_n \log\sigma(w^\top x_n + b) + (1 - y_n)\log\sigma(-(w^\top x_n + b))\bigr]
              + \lambda\lVert w\rVert^2 \;[+\,\lambda b^2]
    $$

    Args:
        X: shape ``(n_samples, n_features)``; lists are accepted, and so are ``scipy.sparse``
            matrices and arrays (see *Sparse input* below). A float32 (or integer, or bool)
            dense ``X`` is not copied: the passes convert one block of rows to float64 at a
            time, so the fit computes in double precision what it would on
            ``X.astype(np.float64)``, at little more memory than ``X`` itself.
        y: shape ``(n_samples,)``, labels 0/1 (bools and ints are fine). Both classes must appear.
        l2: penalty strength $\lambda \ge 0$. scikit-learn's ``C`` is ``1 / (2 * l2)``.
        penalize_bias: also add $\lambda b^2$. Off by default, as in scikit-learn's
            `LogisticRegression`: penalising the bias would make the fit depend on where the origin
            of the features is (shift every ``x`` by a constant and the predictions change), and the prior
            reading of the penalty ("weights are probably small") says nothing about the base rate.
            The post folds the bias into ``w`` and so penalises it; pass ``True`` to reproduce it.
        method: ``"lbfgs"`` (the default: limited-memory BFGS, one pass over the data per
            iteration and no ``(D+1) x (D+1)`` Hessian; its answer is certified with a Hessian
            estimate, see ``tol``), ``"newton"`` (Newton's method, i.e. IRLS, with the exact
            Hessian and a backtracking line search: the fewest iterations and the answer to
            working precision, but each iteration forms the Hessian, $O(ND^2)$) or ``"bfgs"``
            (the post's choice: scipy's BFGS with the analytic gradient). L-BFGS is the default
            because it was the fastest on large data in ``benchmarks/bench_fit.py`` (at 100,000 x
            200 Newton's Hessians cost more than all of L-BFGS's passes), and because its
            certificate and preconditioner make it reach Newton's optimum on badly scaled,
            imbalanced, collinear and polynomial features (tested). On a few thousand rows the
            two take a few milliseconds either way; Newton needs fewer iterations on
            ill-conditioned data.
        tol: stop when the gradient in standardised coordinates has
            $\lVert T^\top\nabla E_\lambda\rVert_\infty \le \mathrm{tol}\cdot N$. Newton's method also
            stops, converged, when its predicted decrease of $E_\lambda$ is below the rounding error of
            $E_\lambda$: no tolerance can ask for more than working precision. L-BFGS must also pass a
            certificate: its Newton decrement, computed with a Hessian estimate (exact on small
            data, otherwise from every k-th row; the fields ``hessian_min_rows`` and
            ``hessian_rows_per_parameter`` of ``options`` set k), must predict a remaining decrease of $E_\lambda$
            of at most $10^{-5}\,\mathrm{tol}\,\max(|E_\lambda|, 1)$, because on ill-conditioned data a small
            gradient alone can leave $E_\lambda$ measurably above its minimum.
        max_iter: iteration limit.
        init: where the solver starts: a previous `FitResult` or a ``(weights, bias)`` pair (a
            warm start, as `logreg.selection.regularization_path` uses from one penalty to the
            next). By default, ``w = 0`` and the bias that fits the class balance. The optimum
            does not depend on it (the objective is convex), only the iterations spent.
        sample_weight: shape ``(n_samples,)``: a finite weight $s_n \ge 0$ per row (all 1 if
            ``None``), multiplying that row's term of the loss, gradient and Hessian (see
            `logreg.objective`). An integer weight is exactly that many copies of the row (tested
            for every method); the tolerance's $N$ becomes the total weight. A row of weight 0
            does not count, also in the separability check; each class needs a positive weight.
        check_separation: with ``l2 == 0``, decide whether the classes are linearly separable
            (`is_separable`, exact) and warn if they are. Decided after the fit, and cheaply
            when the fit shows a finite optimum: a linear program on the few hundred rows the
            fitted model finds hardest proves overlap if those rows overlap (a subset that no
            hyperplane separates means the whole cannot be separated); only otherwise is the
            linear program solved on every row, which on a million rows costs far more than the
            fit. Pass ``False`` to skip the question (``separable`` is then ``None``).
        n_threads: how many threads the passes over the data run on (the calling thread among
            them). ``None`` (the default) follows the limits the environment sets: the CPU
            affinity, a container's CPU quota, ``OMP_NUM_THREADS`` and its kin, and
            ``threadpoolctl.threadpool_limits`` (see `logreg._passes.thread_count`, where the
            rule lives). ``1`` starts no thread at all. The result does not depend on it. BLAS's
            own thread count is left as it is, except while a Hessian is formed, factorised
            or solved with (`logreg._passes.blas_note` says why).
        options: the solvers' tunables, a `logreg._options.SolverOptions` (private, for tests and
            the book's experiments: ``dataclasses.replace(DEFAULT_OPTIONS, well_conditioned=np.inf)``);
            ``None`` means ``logreg._options.DEFAULT_OPTIONS``. They change the work spent, not
            the optimum.

    Returns:
        A `FitResult` with ``weights``, ``bias``, ``objective``, ``n_iter``, ``converged``,
        ``method`` and the objective ``history``.

    Warns:
        SeparationWarning: ``l2 == 0`` and the classes are linearly separable, so no finite
            optimum exists (the weights grow without bound); pass ``l2 > 0``.
        ConvergenceWarning: the solver stopped at ``max_iter`` before converging.

    Raises:
        ValueError, TypeError: for bad input (NaN, wrong shapes, labels other than 0/1, one class,
            negative ``l2``, unknown ``method``, ...), before any optimisation.

    Sparse input:
        A ``scipy.sparse`` ``X`` (text, counts, one-hot data) is fitted without a dense copy:
        CSR and CSC matrices and arrays as they are, COO, BSR, DIA, LIL and DOK converted to
        CSR (a copy of the stored values, not of the zeros); other dtypes than float64 are
        converted likewise. The standardised coordinates then scale the columns without centring
        them (the bias absorbs the centre), with scales computed from the stored values, and
        every pass is a pair of sparse products, ``X @ v`` and ``X.T @ r``. The answer is the
        dense fit's (tested for every method, with and without ``l2`` and sample weights).
        L-BFGS takes any number of features; above 4,096 features (or where a dense Hessian
        estimate would cost more than 50 passes over the stored values) its certificate uses
        Hessian-vector products with conjugate gradients instead.
        ``"newton"`` and ``"bfgs"`` need a dense $(D+1) \times (D+1)$ matrix and refuse more
        than 4,096 features with an error that says so (use ``"lbfgs"``). ``predict``,
        ``predict_proba``, `logreg.objective`, `logreg.gradient` and `logreg.hessian` take
        sparse ``X`` too; ``FitResult``'s inference methods need a dense ``X``.

    Examples:
        >>> from logreg import fit, make_blobs
        >>> X, y = make_blobs(100, seed=0)
        >>> result = fit(X, y, l2=0.1)
        >>> result.converged, result.weights.shape
        (True, (2,))

        Sparse data, here 2,000 x 5,000 with 0.2 % of the values stored:

        >>> import numpy as np, scipy.sparse as sp
        >>> rng = np.random.default_rng(0)
        >>> X = sp.random(2000, 5000, density=0.002, format="csr", rng=rng)
        >>> y = (X @ rng.standard_normal(5000) + 0.1 * rng.standard_normal(2000) > 0).astype(float)
        >>> model = fit(X, y, l2=1.0)
        >>> model.converged, model.predict_proba(X[:3]).shape
        (True, (3,))
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(map(repr, METHODS))}")
    Xa = v.check_X(X, finite=False, keep_dtype=True, sparse=True)  # finiteness: below, with the first gradient
    if options is None:
        options = DEFAULT_OPTIONS
    elif not isinstance(options, SolverOptions):
        raise TypeError(f"options must be a SolverOptions (logreg._options), got {type(options).__name__}")
    if method in ("newton", "bfgs") and v._describe_sparse(Xa) is not None:
        from ._sparse import refuse_dense_hessian

        refuse_dense_hessian(method, Xa, options)
    threads = thread_count(check_n_threads(n_threads))
    ya = v.check_y(y, Xa.shape[0])
    l2 = v.check_l2(l2)
    if isinstance(max_iter, (bool, np.bool_)) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    tol = v.check_tol(tol)
    n_pos = int(ya.sum())
    if n_pos == 0 or n_pos == ya.shape[0]:
        raise ValueError(f"y holds only one class (all {int(ya[0])}); both 0 and 1 must appear")
    start = None
    if init is not None:
        if isinstance(init, FitResult):
            w0, b0 = init.weights, init.bias
        elif isinstance(init, tuple) and len(init) == 2:
            w0, b0 = init
        else:
            raise TypeError(f"init must be a FitResult or a (weights, bias) pair, got {type(init).__name__}")
        start = v.check_weights(w0, b0, Xa.shape[1])
    sw = v.check_sample_weight(sample_weight, ya.shape[0])
    if sw is not None:
        for label in (0.0, 1.0):
            if not np.any(sw[ya == label] > 0):
                raise ValueError(f"every row of class {int(label)} has sample_weight 0, so y holds "
                                 "only one class where it counts; both classes need a positive weight")
    with using_threads(threads):
        return _fit(Xa, ya, l2, penalize_bias, method, tol, max_iter, start, sw, bool(check_separation),
                    options)


def _fit(Xa: Array, ya: Array, l2: float, penalize_bias: bool, method: str, tol: float, max_iter: int,
         start: tuple[Array, float] | None, sw: Array | None, check_separation: bool,
         options: SolverOptions) -> FitResult:
    """`fit` on checked arguments, inside its `using_threads` context."""
    if _first_pass_is_at_start(method, ya, Xa.shape[1], sw, options):
        first = _start_pass(Xa, ya, sw)  # checks that X is finite too
    else:  # a warm start: the full data are first evaluated elsewhere
        if v._describe_sparse(Xa) is not None:
            from ._sparse import check_finite as check_sparse_finite

            check_sparse_finite(Xa, "X")
        else:
            v.check_finite(Xa, "X")
        first = None

    solver = {"newton": _newton, "bfgs": _scipy_bfgs, "lbfgs": _lbfgs}[method]
    # The solvers' parallel work runs on `_passes`' thread pool, on the threads `fit` allowed;
    # BLAS keeps its own setting (see `_passes.blas_note`).
    problem = _Problem(Xa, ya, l2, bool(penalize_bias), first=first, sample_weight=sw, options=options)
    problem.init = start
    w, b, n_iter, converged, history = solver(problem, tol, int(max_iter))
    value = _objective(w, b, Xa, ya, l2, bool(penalize_bias), sw)
    separable = None
    if l2 == 0.0 and check_separation:
        # A row of weight 0 is not in the objective, so not in the question either.
        rows = slice(None) if sw is None or np.all(sw > 0) else sw > 0
        separable = _separable_after_fit(Xa[rows], ya[rows], w, b, options)
        if separable:
            warnings.warn(
                "the classes are linearly separable, so with l2=0 the likelihood has no finite "
                "maximum: the weights grow without bound and the fit stops only at the tolerance. "
                "Pass l2 > 0 for a finite, unique solution.",
                SeparationWarning,
                stacklevel=3,
            )
    if not converged and not separable:
        if n_iter >= max_iter:
            why = f"did not converge within max_iter={max_iter} iterations; raise max_iter"
        else:
            why = (f"stopped after {n_iter} iterations without meeting tol={tol:g}: no step it "
                   "tried decreased the objective measurably (rounding error, or a problem too "
                   "ill-conditioned for this method); use a larger tol or method='newton'")
        warnings.warn(f"{method} {why}. The result may be inaccurate.", ConvergenceWarning, stacklevel=3)
    return FitResult(
        weights=w,
        bias=b,
        objective=value,
        n_iter=n_iter,
        converged=bool(converged and not separable),
        method=method,
        l2=l2,
        penalize_bias=bool(penalize_bias),
        history=tuple(history),
        separable=separable,
        training_data=(Xa, ya),
    )


def _newton(problem: _Problem, tol: float, max_iter: int):
    r"""``fit(method="newton")``: the book's loop, `logreg.newton.newton`, with two economies
    wrapped around it on large data (more than ``options.warm_start_min_samples`` rows), neither
    of which changes the answer, only the work spent reaching it:

    * a warm start: most Newton iterations are spent far from the optimum, where a step computed
      from a fraction of the rows is as good as one from all of them. So the same loop first runs
      on every ``options.subsample_stride``-th row (the penalty scaled by the same fraction, so
      that objective estimates the full one) to ``options.warm_start_tol``, and the full
      iterations start from there, with the subsample's last Hessian scaled up;
    * a Hessian that is kept while it works (`_NewtonHessians`): forming $X^\top S X$ costs far
      more than a gradient, and near the optimum it hardly changes.

    ``n_iter`` counts the full-data iterations.
    """
    options = problem.options
    w, b = problem.start()
    hessian = None
    sub = problem.subproblem()
    if sub is not None:
        on_sub = _NewtonHessians(sub, reuse=False)
        point, *_ = newton(sub, w, b, tol=options.warm_start_tol, max_iter=max_iter, hessians=on_sub,
                           options=options)
        w, b = point.w, point.b
        if on_sub.hessian is not None:  # the subsample's Hessian, scaled up, starts the full run
            hessian = on_sub.hessian * (problem.total / sub.total)
    hessians = _NewtonHessians(problem, reuse=sub is not None, hessian=hessian)
    point, n_iter, converged, history = newton(problem, w, b, tol=tol, max_iter=max_iter,
                                               hessians=hessians, options=options)
    return point.w, point.b, n_iter, bool(converged), history


class _NewtonHessians:
    """Where `logreg.newton.newton` gets its Hessians (psi coordinates): formed at the current
    point, or, with ``reuse``, the last one kept while the gradient's largest component keeps
    shrinking by ``options.hessian_reuse_shrink`` per step (a chord step, still with a line
    search); a given ``hessian`` starts as the kept one. ``hessian`` is the last one formed.
    (Measured: each chord step shrinks the gradient 25- to 40-fold at 1,000,000 x 20, 3- to
    4-fold at 100,000 x 200; see ``benchmarks/NOTES-engine.md``.)"""

    def __init__(self, problem: _Problem, *, reuse: bool, hessian: Array | None = None):
        self.problem, self.reuse, self.hessian = problem, reuse, hessian
        self.kept = None if hessian is None else _factorize_psd(hessian)
        self.g_prev = np.inf

    def at(self, point: _Point, g_norm: float):
        """A solver for the Hessian to use at ``point``, and whether it was formed there."""
        shrink = self.problem.options.hessian_reuse_shrink
        fresh = self.kept is None or not self.reuse or g_norm > shrink * self.g_prev
        if fresh:
            self.hessian = self.problem.hessian_psi(point.residual)
            self.kept = _factorize_psd(self.hessian)
        self.g_prev = g_norm
        return self.kept, fresh

    def forget(self) -> None:
        """Drop the kept Hessian: the next `at` forms one."""
        self.kept, self.g_prev = None, np.inf


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


def _scipy_bfgs(problem: _Problem, tol: float, max_iter: int):
    r"""The post's method: scipy's BFGS with the analytic gradient, in standardised coordinates.

    Its stopping test alone (the gradient's largest component below ``tol * N``) can stop it
    measurably above the minimum where the problem is ill-conditioned, and on such problems it can
    crawl into ``max_iter`` from the identity it starts with. So its answer must also pass the
    certificate L-BFGS uses (`_hessian_estimate`'s Newton decrement); where it does not, BFGS is
    restarted from where it stopped with that estimate's inverse as its starting matrix
    (``hess_inv0``), until the certificate passes, ``max_iter`` iterations have been spent in all,
    or a restart makes no progress.
    """
    from scipy.optimize import minimize

    psi = problem.to_psi(*problem.start())
    history = [problem.value_and_grad_psi(psi)[0]]

    def record(intermediate_result):
        history.append(float(intermediate_result.fun))

    gtol = problem.gtol(tol)
    level = 2 * problem.options.certified_gap_per_tol * tol
    chunk = _refresh_interval(problem)
    hess_inv0 = None
    n_iter, converged = 0, False
    while True:
        # A restart goes on until rounding stops it (gtol=0): its gradient test has passed already.
        res = minimize(problem.value_and_grad_psi, psi, jac=True, method="BFGS", callback=record,
                       options={"maxiter": min(chunk, max_iter - n_iter), "norm": np.inf,
                                "gtol": gtol if hess_inv0 is None else 0.0, "hess_inv0": hess_inv0})
        n_iter += int(res.nit)
        f, g = problem.value_and_grad_psi(res.x)
        w, b = problem.to_theta(res.x)
        estimate = _hessian_estimate(problem, w, b, dense=True)  # also for hess_inv0 below
        solve = _factorize_psd(estimate)
        decrement = float(g @ solve(g))
        converged = bool(np.max(np.abs(g)) <= gtol and decrement <= level * max(abs(f), 1.0)
                         # below the rounding error of E (as Newton's test): working precision,
                         # e.g. a start that is already optimal, where BFGS takes no step
                         or decrement <= problem.options.rounding_level * max(abs(f), 1.0))
        if converged or n_iter >= max_iter or res.nit == 0:
            return w, b, n_iter, converged, history
        psi = res.x
        hess_inv0 = solve(np.eye(problem.d + 1))
        hess_inv0 = (hess_inv0 + hess_inv0.T) / 2  # symmetric to rounding, as BFGS requires


def _lbfgs(problem: _Problem, tol: float, max_iter: int):
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

    On large data the iterations warm-start from the same method run on a subsample (as in
    `_newton`), and keep the curvature it learnt, scaled up to the full data; but only when the
    subsample has at least ``options.warm_start_rows_per_parameter`` rows per parameter. The subsample's
    optimum is off by a relative error of about $\sqrt{D/\text{rows}}$; with fewer rows it
    saves no full iteration (measured at 100,000 x 200: eight full steps either way).
    """
    w, b = problem.start()
    sub = problem.subproblem(copy=False)
    preconditioner = None
    pairs: list[tuple[Array, Array, float]] = []
    test_at = None  # the iteration at which to test the conditioning, if not at the start
    options = problem.options
    if sub is None or sub.n < options.warm_start_rows_per_parameter * (problem.d + 1):
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
        sub = problem.subproblem()  # a contiguous copy: the warm start reads it many times
        # The warm start also tells whether the problem is ill-conditioned: if it does not
        # converge within a few dozen cheap iterations, the full run is preconditioned.
        w, b, _, sub_converged, _, pairs = _lbfgs_iterations(
            sub, w, b, options.warm_start_tol, min(max_iter, options.warm_start_max_iter), pairs=pairs,
            preconditioner=None, certify=False)
        scale = problem.total / sub.total  # curvature grows with the number of rows
        pairs = [(s_vec, y_vec * scale, rho / scale) for s_vec, y_vec, rho in pairs]
        if not sub_converged:
            preconditioner = _factorize_psd(_hessian_estimate(problem, w, b))
            pairs = []
    return _lbfgs_iterations(problem, w, b, tol, max_iter, pairs=pairs,
                             preconditioner=preconditioner, certify=True, condition_test_at=test_at,
                             refresh_every=_refresh_interval(problem))[:5]


def _refresh_interval(problem: _Problem) -> int:
    """How many L-BFGS iterations a Hessian estimate is kept as the preconditioner before it is
    made again at the current point: ``options.condition_test_iter``, or more where an estimate costs more
    than half that many passes over the data (`_hessian_estimate` reads every k-th row and forms
    a (D+1) x (D+1) matrix, ~m (D+1)^2 / 2 multiply-adds from m rows; a pass costs ~2 N D)."""
    rows = len(range(0, problem.n, problem.hessian_stride))
    passes = rows * (problem.d + 1) ** 2 / 2 / (2 * problem.n * problem.d)
    return max(problem.options.condition_test_iter, math.ceil(2 * passes))




def _lbfgs_iterations(problem: _Problem, w: Array, b: float, tol: float, max_iter: int,
                      *, pairs: list[tuple[Array, Array, float]], preconditioner, certify: bool,
                      condition_test_at: int | None = None, refresh_every: int | None = None):
    """L-BFGS iterations from ``(w, b)`` with the given (s, y, 1/s^T y) pairs, oldest first, and
    optionally a ``preconditioner`` (a solver for a Hessian estimate); also returns the pairs it
    ends with. At iteration ``condition_test_at``, if there is no preconditioner yet, the Hessian
    is estimated there and becomes the preconditioner if it is ill-conditioned; with
    ``refresh_every``, a preconditioner in use is then made again, at the current point, every that
    many iterations until the fit converges (the curvature near the optimum can differ from the
    curvature where the estimate was made by orders of magnitude on nearly separable data)."""
    point = problem.evaluate(w, b)
    g = problem.pull_back(point.grad_w, point.grad_b)
    history = [point.f]
    gtol = problem.gtol(tol)
    pairs = list(pairs)
    # Before any curvature is known: the Newton step for the Hessian at the start, whose
    # diagonal in these coordinates is about N p (1 - p), with p the class balance.
    rate = problem.rate
    first_scale = 1.0 / (problem.total * rate * (1.0 - rate))
    options = problem.options
    precision = options.rounding_level

    estimate_at = None  # the point of the certificate's Hessian estimate, and its solver
    certificate_solver = None
    precondition_from_certificate = True

    def certified(level: float, fresh: bool = False) -> bool:
        """Whether the certificate passes at ``point``; ``fresh``: with an estimate made there."""
        nonlocal preconditioner, estimate_at, certificate_solver
        if not certify:
            return True
        if estimate_at is None or (fresh and estimate_at is not point):
            # The Hessian at the first candidate answer, not at the start.
            estimate = _hessian_estimate(problem, point.w, point.b)
            certificate_solver = _factorize_psd(estimate)
            estimate_at = point
            # An operator's solver (sparse data, many features) runs conjugate gradients: as a
            # preconditioner it would cost ~20 passes per iteration (measured at 20,000 x 2,000,
            # 0.5 %: 0.46 s, 21 solves, against ~0.1 s without), so it certifies only.
            if precondition_from_certificate and isinstance(estimate, np.ndarray):
                if preconditioner is None:
                    pairs.clear()  # the estimate is the better starting matrix from now on
                preconditioner = certificate_solver
        return float(g @ certificate_solver(g)) <= level * max(abs(point.f), 1.0)

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
        trial, t = problem.line_search(point, step_psi, slope)
        if trial is None:  # no step decreases E measurably
            if pairs:  # the approximation may be poor: forget it and retry
                pairs.clear()
                continue
            if preconditioner is not None:
                # A Hessian estimated far from the optimum can be nearly singular: with every
                # point classified confidently, the bias's curvature sum(sigma') was 1e-31
                # where the penalised weights' was 2e-4, and its steps 1e26 long. Go on
                # without it; the next candidate gets a fresh estimate for its certificate.
                preconditioner, estimate_at, precondition_from_certificate = None, None, False
                continue
            # Rounding error stops every step: done, if the gradient and the certificate agree.
            return point.w, point.b, it - 1, bool(g_norm <= 10 * gtol and certified(level)), history, pairs
        g_new = problem.pull_back(trial.grad_w, trial.grad_b)
        s_vec, y_vec = t * step_psi, g_new - g
        curvature = float(s_vec @ y_vec)
        if curvature > np.finfo(float).eps * float(np.linalg.norm(s_vec) * np.linalg.norm(y_vec)):
            pairs.append((s_vec, y_vec, 1.0 / curvature))
            del pairs[:-options.lbfgs_memory]
        point, g = trial, g_new
        history.append(point.f)
    g_norm = float(np.max(np.abs(g)))
    return point.w, point.b, max_iter, bool(g_norm <= gtol and certified(level)), history, pairs




def _hessian_stride(n: int, d: int, options: SolverOptions = DEFAULT_OPTIONS) -> int:
    """The k of `_hessian_estimate` for ``n`` rows and ``d`` features: a power of two, so that
    its rows include the subsample's (every ``options.subsample_stride``-th row)."""
    rows = max(options.hessian_rows_per_parameter * (d + 1), options.hessian_min_rows)
    k = min(options.subsample_stride, max(1, n // rows))
    return 1 << (k.bit_length() - 1)


@_one_blas_thread
def _hessian_estimate(problem: _Problem, w: Array, b: float, dense: bool = False) -> Array:
    r"""The Hessian at ``(w, b)`` in psi coordinates, from every k-th row (`_hessian_stride`):
    exact on small data, otherwise an unbiased estimate, scaled up by the fraction of rows read.

    Forming the Hessian costs about $D/4$ passes over the rows it reads; on all of 50,000 x 500
    that was 0.42 s, more than the rest of the fit. From $m$ rows, the estimate is the exact
    Hessian up to factors of about $(1 \pm \sqrt{D/m})^2$ in every direction, 0.25 to 2.25 at
    4 rows per parameter (the fewest it reads; below 1,250 features the 5,000-row minimum gives
    more): ample for a certificate whose level is $10^{-5}$ times the tolerance, and for a
    preconditioner.

    For a sparse ``X`` with too many features for a dense matrix (`_sparse.dense_hessian_ok`),
    and unless ``dense``, the same estimate comes as a `_sparse.HessianOperator`, which
    `_factorize_psd` turns into a conjugate-gradient solver.
    """
    k = problem.hessian_stride
    _, residual = nll_and_residual(activations(problem.X[::k], w, b), problem.minus_signs[::k],
                                   None if problem.sw is None else problem.sw[::k])
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
        return problem.passes.HessianOperator(X, weights, problem.penalty_vector(), problem.c,
                                              scale=problem.n / X.shape[0], options=problem.options)
    return problem.hessian_psi(residual, stride=k)




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
    nearly a combination of others is nearly one on any rows. (Measured on the benchmark's
    100,000 x 200 data: a ratio of 1.26 from the 1,613 rows it reads, 1.04 from 6,250; the
    threshold is 10.) Reading all rows would cost a Newton iteration's Hessian.
    """
    options = problem.options
    stride = max(1, problem.n // (options.condition_test_rows_per_parameter * (problem.d + 1)))
    rate = problem.rate
    weights = np.full(len(range(0, problem.n, stride)), rate * (1.0 - rate))
    if problem.sw is not None:
        weights *= problem.sw[::stride]
    return _condition_estimate(problem.hessian_psi_from_weights(weights, stride)) > options.well_conditioned


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
    for (s_vec, y_vec, rho), alpha in zip(pairs, reversed(alphas)):
        beta = rho * float(y_vec @ q)
        q += (alpha - beta) * s_vec
    return q


def gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l2: float = 0.0,
    penalize_bias: bool = False,
    n_iter: int = 100,
) -> tuple[Array, float, list[float]]:
    r"""Plain gradient descent with the fixed step $1/L$, for comparison in the book.

    $L = \lVert \tilde X\rVert_2^2 / 4 + 2\lambda$ bounds the largest eigenvalue of the
    Hessian (because $\sigma' \le 1/4$), so the step $1/L$ decreases $E_\lambda$ at every
    iteration. It is slow (linear convergence, at a rate set by the condition number), which is the
    point of showing it next to Newton's method; `fit` does not offer it.

    Returns:
        ``(weights, bias, history)``, with the objective at each iterate (``n_iter + 1`` values).

    Examples:
        >>> from logreg import make_blobs
        >>> from logreg.fitting import gradient_descent
        >>> w, b, hist = gradient_descent(*make_blobs(50, seed=0), l2=0.1, n_iter=20)
        >>> len(hist), hist[-1] < hist[0]
        (21, True)
    """
    Xa, ya = v.check_Xy(X, y)
    l2 = v.check_l2(l2)
    problem = _Problem(Xa, ya, l2, bool(penalize_bias))
    lipschitz = np.linalg.norm(np.hstack([Xa, np.ones((Xa.shape[0], 1))]), 2) ** 2 / 4 + 2 * l2
    point = problem.evaluate(*problem.start())
    history = [point.f]
    for _ in range(n_iter):
        point = problem.evaluate(point.w - point.grad_w / lipschitz, point.b - point.grad_b / lipschitz)
        history.append(point.f)
    return point.w, point.b, history
