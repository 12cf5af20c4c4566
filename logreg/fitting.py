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

import math
import warnings
from dataclasses import dataclass, field, fields
from typing import Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _passes
from . import checks as v
from ._coordinates import _Point, _positive_rate, _Problem, _start_pass, warm_starts
from ._hessians import _factorize_psd, _hessian_estimate
from ._lbfgs import _refresh_interval
from ._lbfgs import lbfgs as _lbfgs
from ._options import DEFAULT_OPTIONS, SolverOptions
from ._passes import check_n_threads, thread_count, using_threads
from ._separation import _separable_after_fit, is_separable
from .model import _activation as _model_activation
from .model import _nll_from_activation, _penalty_terms, _sigmoid
from .newton import newton
from .warnings import ConvergenceWarning, SeparationWarning

__all__ = ["METHODS", "FitResult", "auto_method", "fit", "gradient_descent", "is_separable", "predict", "predict_proba"]

Array = NDArray[np.float64]
Method = Literal["auto", "newton", "bfgs", "lbfgs"]

#: The solvers `fit` can run, by ``method`` name (``method="auto"``, the default, picks one of
#: the first and last: `auto_method`).
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

    def covariance(self, kind: Literal["laplace", "sandwich"] = "laplace") -> Array:
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

    def predictive_proba(
        self,
        X: ArrayLike,
        method: Literal["probit", "monte-carlo"] = "probit",
        n_draws: int = 10_000,
        seed: int | None = 0,
    ) -> Array:
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
            np.array_equal(np.asarray(getattr(self, f.name)), np.asarray(getattr(other, f.name)), equal_nan=True)
            if f.name in ("weights", "history")
            else _same(getattr(self, f.name), getattr(other, f.name))
            for f in fields(self)
            if f.compare
        )

    __hash__ = None  # type: ignore[assignment]  # equal by value, and holds an array: unhashable

    def decision_function(self, X: ArrayLike) -> Array:
        r"""The activation $a = Xw + b$ for new data ``X`` of shape ``(n, n_features)``."""
        Xa = v.check_X(X, n_features=self.weights.shape[0], sparse=True)
        if Xa.shape[1] != self.weights.shape[0]:
            raise ValueError(f"X has {Xa.shape[1]} features but the model was fitted with {self.weights.shape[0]}")
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
                    "point: it overflows even with the weights rescaled"
                )
            a[bad] = scaled * scale  # +-inf where it overflows, which the sigmoid maps to 0 or 1
    return a


def _objective(
    w: Array, b: float, X: Array, y: Array, l2: float, penalize_bias: bool, sample_weight: Array | None = None
) -> float:
    """`logreg.objective` on checked arrays, as `fit` reports it: on a large dense ``X`` in blocks
    of rows on the thread pool (`_passes.map_row_blocks`), summed with ``fsum`` in block order, so
    the value is the same on any number of cores (tested against `logreg.objective`)."""
    sw = sample_weight
    if v._describe_sparse(X) is not None:  # a sparse X: one sparse product
        return _nll_from_activation(_model_activation(w, b, X), y, sw) + _penalty_terms(w, b, l2, penalize_bias)
    parts = _passes.map_row_blocks(
        lambda rows: _nll_from_activation(_model_activation(w, b, X[rows]), y[rows], None if sw is None else sw[rows]),
        X,
    )
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


def auto_method(shape: tuple[int, int], *, sparse: bool = False, options: SolverOptions = DEFAULT_OPTIONS) -> Method:
    """The method ``fit(method="auto")`` runs on data of this ``(n_samples, n_features)`` shape.

    Newton when $N D^2$ (the cost of one Hessian) is at most ``options.auto_newton_max_work``
    and ``X`` is dense, L-BFGS otherwise (see `fit`'s ``method``).

    >>> auto_method((569, 30)), auto_method((1_000_000, 20))
    ('newton', 'lbfgs')
    """
    n, d = shape
    return "newton" if not sparse and n * d * d <= options.auto_newton_max_work else "lbfgs"


def _first_pass_is_at_start(
    method: str, y: Array, n_features: int, sample_weight: Array | None = None, options: SolverOptions = DEFAULT_OPTIONS
) -> bool:
    """Whether ``method``'s first pass over all of ``X`` is at `_Problem.start`: yes unless it
    warm-starts on the subsample (`_newton`, `_lbfgs`; tested against them)."""
    if method == "bfgs" or y.shape[0] < options.warm_start_min_samples:
        return True
    k = options.subsample_stride
    sample = y[::k]
    sample_rate = _positive_rate(sample, None if sample_weight is None else sample_weight[::k])
    sub_rows = sample.shape[0] if 0.0 < sample_rate < 1.0 else None  # as `_Problem.subproblem`
    return not warm_starts(method, sub_rows, n_features, options)


def fit(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l2: float = 0.0,
    penalize_bias: bool = False,
    method: Method = "auto",
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
        method: ``"auto"`` (the default: ``"newton"`` when ``n_samples * n_features**2`` is at
            most ``options.auto_newton_max_work``, 2e6, and ``X`` is dense; ``"lbfgs"``
            otherwise), ``"newton"`` (Newton's method, i.e. IRLS, `logreg.newton.newton`, with the
            exact Hessian and a backtracking line search: the fewest iterations and the answer to
            working precision, but each iteration forms the Hessian, $O(ND^2)$), ``"lbfgs"``
            (limited-memory BFGS, one pass over the data per iteration and no ``(D+1) x (D+1)``
            Hessian; its answer is certified with a Hessian estimate, see ``tol``) or ``"bfgs"``
            (the post's choice: scipy's BFGS with the analytic gradient). The rule of ``"auto"``
            is measured (``benchmarks/bench_default.py``): below it Newton was as fast as
            L-BFGS or faster, and on every real data set tried faster; above it Newton's
            Hessians cost more than all of L-BFGS's passes. Both reach the same optimum (tested
            on real data in other units and across ``l2``). The result's ``method`` says which
            one ran.
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
            or solved with (`logreg._blas.blas_note` says why).
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
    if method != "auto" and method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(map(repr, ('auto', *METHODS)))}")
    Xa = v.check_X(X, finite=False, keep_dtype=True, sparse=True)  # finiteness: below, with the first gradient
    if options is None:
        options = DEFAULT_OPTIONS
    elif not isinstance(options, SolverOptions):
        raise TypeError(f"options must be a SolverOptions (logreg._options), got {type(options).__name__}")
    if method == "auto":
        method = auto_method(Xa.shape, sparse=v._describe_sparse(Xa) is not None, options=options)
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
        w0: ArrayLike
        b0: float
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
                raise ValueError(
                    f"every row of class {int(label)} has sample_weight 0, so y holds "
                    "only one class where it counts; both classes need a positive weight"
                )
    with using_threads(threads):
        return _fit(Xa, ya, l2, penalize_bias, method, tol, max_iter, start, sw, bool(check_separation), options)


def _fit(
    Xa: Array,
    ya: Array,
    l2: float,
    penalize_bias: bool,
    method: str,
    tol: float,
    max_iter: int,
    start: tuple[Array, float] | None,
    sw: Array | None,
    check_separation: bool,
    options: SolverOptions,
) -> FitResult:
    """`fit` on checked arguments, inside its `using_threads` context."""
    if _first_pass_is_at_start(method, ya, Xa.shape[1], sw, options):
        first = _start_pass(Xa, ya, sw)  # checks that X is finite too
    else:  # a warm start: the full data are first evaluated elsewhere
        if v._describe_sparse(Xa) is not None:
            from ._sparse import check_finite as check_sparse_finite

            check_sparse_finite(Xa, "X")
        else:
            v.check_finite(Xa, "X", _passes.map_row_blocks)  # in blocks, on all cores
        first = None

    solver = {"newton": _newton, "bfgs": _scipy_bfgs, "lbfgs": _lbfgs}[method]
    # The solvers' parallel work runs on `_passes`' thread pool, on the threads `fit` allowed;
    # BLAS keeps its own setting (see `logreg._blas.blas_note`).
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
            why = (
                f"stopped after {n_iter} iterations without meeting tol={tol:g}: no step it "
                "tried decreased the objective measurably (rounding error, or a problem too "
                "ill-conditioned for this method); use a larger tol or method='newton'"
            )
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
    warm = warm_starts("newton", None if sub is None else sub.n, problem.d, options)
    if sub is not None and warm:
        on_sub = _NewtonHessians(sub, reuse=False)
        point, *_ = newton(sub, w, b, tol=options.warm_start_tol, max_iter=max_iter, hessians=on_sub, options=options)
        w, b = point.w, point.b
        if on_sub.hessian is not None:  # the subsample's Hessian, scaled up, starts the full run
            hessian = on_sub.hessian * (problem.total / sub.total)
        del sub, on_sub, point  # the subsample's rows are not held through the full iterations
    hessians = _NewtonHessians(problem, reuse=warm, hessian=hessian)
    point, n_iter, converged, history = newton(
        problem, w, b, tol=tol, max_iter=max_iter, hessians=hessians, options=options
    )
    return point.w, point.b, n_iter, bool(converged), history


class _NewtonHessians:
    """Where `logreg.newton.newton` gets its Hessians (psi coordinates): formed at the current
    point, or, with ``reuse``, the last one kept while the gradient's largest component keeps
    shrinking by ``options.hessian_reuse_shrink`` per step (a chord step, still with a line
    search); a given ``hessian`` starts as the kept one. ``hessian`` is the last one formed.
    Near the optimum a kept Hessian shrinks the gradient many-fold per step at a gradient's cost
    (``benchmarks/NOTES.md``)."""

    def __init__(self, problem: _Problem, *, reuse: bool, hessian: Array | None = None):
        self.problem, self.reuse, self.hessian = problem, reuse, hessian
        self.kept = None if hessian is None else _factorize_psd(hessian)
        self.g_prev = np.inf

    def at(self, point: _Point, g_norm: float):
        """A solver for the Hessian to use at ``point``, and whether it was formed there."""
        shrink = self.problem.options.hessian_reuse_shrink
        fresh = self.kept is None or not self.reuse or g_norm > shrink * self.g_prev
        if fresh:
            self.hessian = self.problem.hessian_psi(cast(Array, point.residual))
            self.kept = _factorize_psd(self.hessian)
        self.g_prev = g_norm
        return self.kept, fresh

    def forget(self) -> None:
        """Drop the kept Hessian: the next `at` forms one."""
        self.kept, self.g_prev = None, np.inf


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
        res = minimize(
            problem.value_and_grad_psi,
            psi,
            jac=True,
            method="BFGS",
            callback=record,
            options={
                "maxiter": min(chunk, max_iter - n_iter),
                "norm": np.inf,
                "gtol": gtol if hess_inv0 is None else 0.0,
                "hess_inv0": hess_inv0,
            },
        )
        n_iter += int(res.nit)
        f, g = problem.value_and_grad_psi(res.x)
        w, b = problem.to_theta(res.x)
        estimate = _hessian_estimate(problem, w, b, dense=True)  # also for hess_inv0 below
        solve = _factorize_psd(estimate)
        decrement = float(g @ solve(g))
        converged = bool(
            (np.max(np.abs(g)) <= gtol and decrement <= level * max(abs(f), 1.0))
            # below the rounding error of E (as Newton's test): working precision,
            # e.g. a start that is already optimal, where BFGS takes no step
            or decrement <= problem.options.rounding_level * max(abs(f), 1.0)
        )
        if converged or n_iter >= max_iter or res.nit == 0:
            return w, b, n_iter, converged, history
        psi = res.x
        hess_inv0 = solve(np.eye(problem.d + 1))
        hess_inv0 = (hess_inv0 + hess_inv0.T) / 2  # symmetric to rounding, as BFGS requires


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
        grad_w = cast(Array, point.grad_w)
        point = problem.evaluate(point.w - grad_w / lipschitz, float(point.b - point.grad_b / lipschitz))
        history.append(point.f)
    return point.w, point.b, history
