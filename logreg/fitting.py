r"""Fitting: minimise the objective of `logreg.model` with Newton's method, BFGS or L-BFGS.

The solvers only ever see "the objective, its gradient and (for Newton) its Hessian as functions of
one parameter vector"; the formulas live in `logreg.model`.

All three solvers work in *standardised coordinates*: with column means $\mu_j$ and scales
$c_j$, the parameters $(\phi, \beta)$ map to $w_j = \phi_j / c_j$ and
$b = \beta - \mu^\top w$. That is an exact change of variables (the objective, penalty
included, is unchanged), but it turns a problem whose columns differ in scale by $10^6$ into
a well-conditioned one, so a quasi-Newton method does not crawl and a Cholesky factorisation does
not lose digits. The convergence test is on the gradient in these coordinates:
$\lVert T^\top \nabla E\rVert_\infty \le \mathrm{tol}\cdot N$.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from . import _validation as v
from .model import (
    _gradient_from_residual,
    _hessian_blocks,
    _nll_and_residual,
    _objective,
    _penalty_diagonal,
    _penalty_terms,
)
from .warnings import ConvergenceWarning, SeparationWarning

__all__ = ["fit", "FitResult", "METHODS", "is_separable", "predict_proba", "predict", "gradient_descent"]

Array = NDArray[np.float64]
Method = Literal["newton", "bfgs", "lbfgs"]

#: The available ``method`` names for `fit`.
METHODS: tuple[str, ...] = ("newton", "bfgs", "lbfgs")


@dataclass(frozen=True)
class FitResult:
    """The result of `fit`: a fitted model that can also predict.

    Attributes:
        weights: shape ``(n_features,)``.
        bias: the intercept.
        objective: $E(w, b)$ at the solution, computed by the same code as
            `logreg.objective`.
        n_iter: iterations the solver took.
        converged: whether the convergence test passed. ``False`` on separable data with
            ``l2 = 0``, where no finite optimum exists.
        method: the solver used.
        l2: the penalty strength.
        penalize_bias: whether the bias was penalised.
        history: the objective after each iteration, starting with the initial point.
        separable: whether the training data were found linearly separable (checked only when
            ``l2 = 0``; ``None`` otherwise).
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

    def decision_function(self, X: ArrayLike) -> Array:
        r"""The activation $a = Xw + b$ for new data ``X`` of shape ``(n, n_features)``."""
        Xa = v.check_X(X)
        if Xa.shape[1] != self.weights.shape[0]:
            raise ValueError(
                f"X has {Xa.shape[1]} features but the model was fitted with {self.weights.shape[0]}"
            )
        return Xa @ self.weights + self.bias

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
        return expit(self.decision_function(X))

    def predict(self, X: ArrayLike, threshold: float = 0.5) -> Array:
        """0/1 predictions: 1.0 where `predict_proba` is above ``threshold``."""
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold!r}")
        return (self.predict_proba(X) > threshold).astype(np.float64)


def predict_proba(weights: ArrayLike, bias: float, X: ArrayLike) -> Array:
    r"""$\sigma(Xw + b)$, shape ``(n_samples,)``: the probability of class 1 for each row.

    Examples:
        >>> from logreg import predict_proba
        >>> predict_proba([1.0, -1.0], 0.0, [[0.0, 0.0]]).tolist()
        [0.5]
    """
    Xa = v.check_X(X)
    w, b = v.check_weights(weights, bias, Xa.shape[1])
    return expit(Xa @ w + b)


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

    Xa, ya = v.check_Xy(X, y)
    # Separability is unchanged by shifting and rescaling the columns, but the LP's box and
    # tolerances are not: standardise first, so the answer does not depend on units or origin.
    scale = Xa.std(axis=0)
    Xs = np.where(scale > 0, (Xa - Xa.mean(axis=0)) / np.where(scale > 0, scale, 1.0), 1.0)
    signs = 2.0 * ya - 1.0
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


class _Problem:
    """The objective as a function of the standardised parameter vector ``psi = (phi, beta)``."""

    def __init__(self, X: Array, y: Array, l2: float, penalize_bias: bool,
                 coordinates: tuple[Array, Array] | None = None):
        self.X, self.y, self.l2, self.penalize_bias = X, y, l2, penalize_bias
        self.n, self.d = X.shape
        self.signs = 2.0 * y - 1.0
        # Any positive scales and any centre give an exact change of variables; they only need
        # to be about right to condition the problem. On a large X, every 16th row estimates
        # them well at a sixteenth of the cost (X.std alone would cost a full Newton iteration).
        if coordinates is not None:  # another problem's (mu, c): same psi coordinates as it
            self.mu, self.c = coordinates
            return
        sample = np.ascontiguousarray(X[::16]) if self.n >= WARM_START_MIN_SAMPLES else X
        self.mu = sample.mean(axis=0)
        scale = sample.std(axis=0)
        self.c = np.where(scale > 0, scale, 1.0)
        # For constant columns the mean is not removed: they act like a second intercept,
        # and leaving them as they are keeps the change of variables well defined.
        self.mu = np.where(scale > 0, self.mu, 0.0)

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
        """``T^T H T`` for a Hessian in (w, b)."""
        d = self.d
        T = np.zeros((d + 1, d + 1))
        T[:d, :d] = np.diag(1.0 / self.c)
        T[d, :d] = -self.mu / self.c
        T[d, d] = 1.0
        return T.T @ H @ T

    # --- objective and derivatives in (w, b) -------------------------------------------
    def value_and_residual(self, a: Array, w: Array, b: float) -> tuple[float, Array]:
        """The objective at activation ``a`` and the residuals ``sigma(a) - y`` it shares work with."""
        nll, r = _nll_and_residual(a, self.signs)
        return nll + _penalty_terms(w, b, self.l2, self.penalize_bias), r

    def gradient(self, r: Array, w: Array, b: float) -> tuple[Array, float]:
        return _gradient_from_residual(self.X, r, w, b, self.l2, self.penalize_bias)

    def value_and_grad_psi(self, psi: Array) -> tuple[float, Array]:
        w, b = self.to_theta(psi)
        f, r = self.value_and_residual(self.X @ w + b, w, b)
        return f, self.pull_back(*self.gradient(r, w, b))

    def gtol(self, tol: float) -> float:
        return tol * self.n

    def start(self) -> tuple[Array, float]:
        """w = 0 and the bias that fits the class balance, the optimum of the bias-only model."""
        rate = float(self.y.mean())
        return np.zeros(self.d), math.log(rate) - math.log1p(-rate)


def fit(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l2: float = 0.0,
    penalize_bias: bool = False,
    method: Method = "newton",
    tol: float = 1e-8,
    max_iter: int = 200,
) -> FitResult:
    r"""Fit binary logistic regression by minimising $E(w, b)$ (book eq. ``obj``).

    $$
    E(w, b) = -\sum_n \bigl[y_n \log\sigma(w^\top x_n + b) + (1 - y_n)\log\sigma(-(w^\top x_n + b))\bigr]
              + \lambda\lVert w\rVert^2 \;[+\,\lambda b^2]
    $$

    Args:
        X: shape ``(n_samples, n_features)``; lists are accepted.
        y: shape ``(n_samples,)``, labels 0/1 (bools and ints are fine). Both classes must appear.
        l2: penalty strength $\lambda \ge 0$. scikit-learn's ``C`` is ``1 / (2 * l2)``.
        penalize_bias: also add $\lambda b^2$. Off by default, as in scikit-learn's
            `LogisticRegression`: penalising the bias would make the fit depend on where the origin
            of the features is (shift every ``x`` by a constant and the predictions change), and the prior
            reading of the penalty ("weights are probably small") says nothing about the base rate.
            The post folds the bias into ``w`` and so penalises it; pass ``True`` to reproduce it.
        method: ``"newton"`` (the default: Newton's method, i.e. IRLS, with the exact Hessian and a
            backtracking line search; quadratic convergence makes it the fastest here for up to a
            few hundred features), ``"bfgs"`` (the post's choice: scipy's BFGS with the analytic
            gradient) or ``"lbfgs"`` (scipy's L-BFGS-B, for many features, where a
            ``(D+1) x (D+1)`` Hessian is too costly).
        tol: stop when the gradient in standardised coordinates has
            $\lVert T^\top\nabla E\rVert_\infty \le \mathrm{tol}\cdot N$. Newton's method also
            stops, converged, when its predicted decrease of $E$ is below the rounding error of
            $E$: no tolerance can ask for more than working precision.
        max_iter: iteration limit.

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

    Examples:
        >>> from logreg import fit, make_blobs
        >>> X, y = make_blobs(100, seed=0)
        >>> result = fit(X, y, l2=0.1)
        >>> result.converged, result.weights.shape
        (True, (2,))
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(map(repr, METHODS))}")
    Xa, ya = v.check_Xy(X, y)
    l2 = v.check_l2(l2)
    if isinstance(max_iter, (bool, np.bool_)) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive finite number, got {tol!r}")
    n_pos = int(ya.sum())
    if n_pos == 0 or n_pos == ya.shape[0]:
        raise ValueError(f"y holds only one class (all {int(ya[0])}); both 0 and 1 must appear")

    separable = None
    if l2 == 0.0:
        separable = is_separable(Xa, ya)
        if separable:
            warnings.warn(
                "the classes are linearly separable, so with l2=0 the likelihood has no finite "
                "maximum: the weights grow without bound and the fit stops only at the tolerance. "
                "Pass l2 > 0 for a finite, unique solution.",
                SeparationWarning,
                stacklevel=2,
            )

    problem = _Problem(Xa, ya, l2, bool(penalize_bias))
    solver = {"newton": _newton, "bfgs": _scipy_bfgs, "lbfgs": _scipy_lbfgs}[method]
    w, b, n_iter, converged, history = solver(problem, tol, int(max_iter))
    value = _objective(w, b, Xa, ya, l2, bool(penalize_bias))
    if not converged and not separable:
        if n_iter >= max_iter:
            why = f"did not converge within max_iter={max_iter} iterations; raise max_iter"
        else:
            why = (f"stopped after {n_iter} iterations without meeting tol={tol:g}: rounding "
                   "error limits the accuracy it can reach; use a larger tol or method='newton'")
        warnings.warn(f"{method} {why}. The result may be inaccurate.", ConvergenceWarning, stacklevel=2)
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
    )


def _newton(problem: _Problem, tol: float, max_iter: int):
    """Newton's method (IRLS) with the exact Hessian and a backtracking (Armijo) line search.

    The line search moves along the activation: ``a(t) = a + t * (X dw + db)`` costs one
    matrix-vector product per iteration, however many step lengths are tried.

    Large data sets (more than `WARM_START_MIN_SAMPLES` rows) get two economies, neither of
    which changes the answer, only the work spent reaching it:

    * a warm start: most Newton iterations are spent far from the optimum, where a step computed
      from a fraction of the rows is as good as one from all of them. So the problem is first
      solved on every 16th row (the penalty scaled by the same fraction, so that objective
      estimates the full one) to a loose tolerance, and the full iterations start from there;
    * a Hessian that is kept while it works: forming $X^\top S X$ costs far more than a
      gradient, and near the optimum it hardly changes. It is recomputed only when the
      gradient's largest component failed to halve in the last step; otherwise the Cholesky
      factor of the previous one is reused (a chord step, still with a line search). On the
      benchmark's data each chord step shrinks the gradient about 25-fold.

    ``n_iter`` counts the full-data iterations.
    """
    w, b = problem.start()
    hessian = None
    large = problem.n >= WARM_START_MIN_SAMPLES
    if large:
        stride = 16
        sub = _Problem(problem.X[::stride].copy(), problem.y[::stride].copy(),
                       problem.l2 * len(range(0, problem.n, stride)) / problem.n,
                       problem.penalize_bias, coordinates=(problem.mu, problem.c))
        if 0.0 < sub.y.mean() < 1.0:
            w, b, *_, sub_hessian = _newton_iterations(sub, w, b, 1e-6, max_iter, reuse_hessian=False)
            if sub_hessian is not None:  # the subsample's Hessian, scaled up, starts the full run
                hessian = sub_hessian * (problem.n / sub.n)
    return _newton_iterations(problem, w, b, tol, max_iter, reuse_hessian=large,
                              hessian=hessian)[:5]


#: Above this many samples, Newton's method warm-starts and reuses Hessians (see `_newton`).
WARM_START_MIN_SAMPLES = 100_000


def _newton_iterations(problem: _Problem, w: Array, b: float, tol: float, max_iter: int,
                       *, reuse_hessian: bool, hessian: Array | None = None):
    """Newton iterations from ``(w, b)``; also returns the last Hessian (psi coordinates) formed.

    With ``reuse_hessian``, a given ``hessian`` (psi coordinates) is used until it stops working.
    """
    X = problem.X
    a = X @ w + b
    f, r = problem.value_and_residual(a, w, b)
    history = [f]
    gtol = problem.gtol(tol)
    penalty = _penalty_diagonal(problem.d, problem.l2, problem.penalize_bias)
    factor = None if hessian is None else _factorize_psd(hessian)
    g_prev = np.inf
    for it in range(1, max_iter + 1):
        g = problem.pull_back(*problem.gradient(r, w, b))
        g_norm = float(np.max(np.abs(g)))
        if g_norm <= gtol:
            return w, b, it - 1, True, history, hessian
        fresh = factor is None or not reuse_hessian or g_norm > 0.5 * g_prev
        if fresh:
            q = np.abs(r)  # sigma(a) or 1 - sigma(a), so sigma'(a) = q (1 - q)
            H = _hessian_blocks(X, q * (1.0 - q)) + penalty
            hessian = problem.pull_back_matrix(H)
            factor = _factorize_psd(hessian)
        g_prev = g_norm
        step_psi = factor(-g)
        dw = step_psi[: problem.d] / problem.c
        db = float(step_psi[problem.d] - problem.mu @ dw)
        slope = float(g @ step_psi)  # directional derivative, < 0 for a descent direction
        if not slope < 0:
            return w, b, it - 1, False, history, hessian
        if fresh and -slope <= 64 * np.finfo(float).eps * max(abs(f), 1.0):
            # The Newton decrement -slope (twice the predicted decrease of E) is below the
            # rounding error of E itself: no step can improve E measurably. This is the
            # optimum to working precision, whatever tol asked for.
            return w, b, it - 1, True, history, hessian
        da = X @ dw + db
        t = 1.0
        while True:  # backtracking; the residuals at the accepted point serve the next gradient
            w_new, b_new = w + t * dw, b + t * db
            a_new = a + t * da
            f_new, r_new = problem.value_and_residual(a_new, w_new, b_new)
            if f_new <= f + 1e-4 * t * slope:
                break
            if t < 1e-10:  # no step decreases E measurably
                break
            t *= 0.5
        if not f_new <= f + 1e-4 * t * slope:
            if not fresh:  # a kept Hessian may have gone stale: retry with a new one
                factor, g_prev = None, np.inf
                continue
            # With an exact Newton direction, only rounding error stops every step from
            # decreasing E: this is the optimum to working precision.
            return w, b, it - 1, bool(g_norm <= 10 * gtol), history, hessian
        w, b, a, f, r = w_new, b_new, a_new, f_new, r_new
        history.append(f)
    g = problem.pull_back(*problem.gradient(r, w, b))
    return w, b, max_iter, bool(np.max(np.abs(g)) <= gtol), history, hessian


def _factorize_psd(H: Array):
    """A solver for ``H x = rhs``, with ``H`` symmetric positive semidefinite.

    Cholesky when ``H`` is positive definite (the usual case, and always when ``l2 > 0``); a
    least-squares solve when it is singular, e.g. collinear columns with ``l2 = 0``. NumPy's
    ``linalg`` is used rather than SciPy's because the two bring separate OpenBLAS thread pools,
    and calling SciPy's right after a large NumPy product can stall while threads hand over.
    """
    try:
        L = np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        return lambda rhs: np.linalg.lstsq(H, rhs, rcond=None)[0]
    return lambda rhs: np.linalg.solve(L.T, np.linalg.solve(L, rhs))


def _scipy_minimize(problem: _Problem, tol: float, max_iter: int, method: str, options: dict):
    from scipy.optimize import minimize

    w0, b0 = problem.start()
    psi0 = problem.to_psi(w0, b0)
    history = [problem.value_and_grad_psi(psi0)[0]]

    def record(intermediate_result):
        history.append(float(intermediate_result.fun))

    res = minimize(
        problem.value_and_grad_psi,
        psi0,
        jac=True,
        method=method,
        callback=record,
        options={"maxiter": max_iter, **options},
    )
    _, g = problem.value_and_grad_psi(res.x)
    converged = bool(np.max(np.abs(g)) <= problem.gtol(tol))
    w, b = problem.to_theta(res.x)
    return w, b, int(res.nit), converged, history


def _scipy_bfgs(problem: _Problem, tol: float, max_iter: int):
    return _scipy_minimize(problem, tol, max_iter, "BFGS", {"gtol": problem.gtol(tol), "norm": np.inf})


def _scipy_lbfgs(problem: _Problem, tol: float, max_iter: int):
    # ftol is set near machine precision so that L-BFGS-B stops on the gradient test, not on a
    # small relative decrease of the objective, which can come well before the optimum.
    return _scipy_minimize(
        problem, tol, max_iter, "L-BFGS-B",
        {"gtol": problem.gtol(tol), "ftol": 64 * np.finfo(float).eps, "maxcor": 20},
    )


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
    Hessian (because $\sigma' \le 1/4$), so the step $1/L$ decreases $E$ at every
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
    w, b = problem.start()
    f, r = problem.value_and_residual(Xa @ w + b, w, b)
    history = [f]
    for _ in range(n_iter):
        gw, gb = problem.gradient(r, w, b)
        w, b = w - gw / lipschitz, b - gb / lipschitz
        f, r = problem.value_and_residual(Xa @ w + b, w, b)
        history.append(f)
    return w, b, history
