r"""Choosing the penalty: the regularisation path, k-fold cross-validation and the evidence.

Three small functions for the book's chapter *Choosing lambda*:

* `regularization_path` fits a grid of penalties, strongest first, each fit starting where the
  previous one stopped (a warm start, `logreg.fit`'s ``init``): neighbouring penalties have
  neighbouring optima, so each fit needs only a few iterations;
* `cross_validate` estimates the held-out log-loss of each penalty from ``k`` folds, and picks
  both the penalty with the smallest mean and the largest penalty within one standard error of
  it (the one-standard-error rule);
* `log_evidence` is the Laplace approximation of the marginal likelihood
  $p(y \mid X, \lambda)$ under the Gaussian prior that the penalty is (MacKay's evidence
  framework; Bishop, section 4.4.1): the Bayesian way to choose $\lambda$, from the
  training data alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import checks as v
from .model import _nll_from_activation

if TYPE_CHECKING:  # pragma: no cover
    from .fitting import FitResult, Method

__all__ = [
    "CrossValidation",
    "cross_validate",
    "kfold_indices",
    "log_evidence",
    "log_loss",
    "regularization_path",
]

Array = NDArray[np.float64]


def _check_grid(l2s: ArrayLike) -> Array:
    grid = v.as_float_array(l2s, "l2s")
    if grid.ndim != 1 or grid.shape[0] == 0:
        raise ValueError(f"l2s must be a non-empty 1-D sequence of penalties, got shape {grid.shape}")
    for value in grid:
        v.check_l2(float(value))
    if np.unique(grid).shape[0] != grid.shape[0]:
        raise ValueError("l2s holds the same penalty twice")
    return grid


def regularization_path(
    X: ArrayLike,
    y: ArrayLike,
    l2s: ArrayLike,
    *,
    warm_start: bool = True,
    penalize_bias: bool = False,
    method: Method = "auto",
    tol: float = 1e-8,
    max_iter: int = 200,
) -> list[FitResult]:
    r"""`logreg.fit` at every penalty in ``l2s``, returned in the order given (eq. ``path``).

    The fits run from the largest penalty to the smallest. With ``warm_start`` (default) each
    starts at the previous optimum, $\theta_0(\lambda_{k+1}) = \hat\theta(\lambda_k)$; since
    $\hat\theta(\lambda)$ is a smooth function of $\lambda$ (implicit function theorem on
    $\nabla E_\lambda = 0$: $d\hat\theta / d\lambda = -H^{-1}\, 2\hat w$), a log grid keeps each
    start close to its optimum. Cost: one fit per penalty, each a few iterations when warm.

    Examples:
        >>> from logreg import make_blobs
        >>> from logreg.selection import regularization_path
        >>> path = regularization_path(*make_blobs(100, seed=0), [10.0, 1.0, 0.1])
        >>> [round(float(abs(r.weights).sum()), 2) for r in path]  # weights grow as the penalty falls
        [1.3, 2.56, 3.28]
    """
    from .fitting import fit

    Xa, ya = v.check_Xy(X, y)
    grid = _check_grid(l2s)
    out: dict[int, FitResult] = {}
    previous = None
    for i in np.argsort(-grid, kind="stable"):
        previous = fit(
            Xa,
            ya,
            l2=float(grid[i]),
            penalize_bias=penalize_bias,
            method=method,
            tol=tol,
            max_iter=max_iter,
            init=previous if warm_start else None,
        )
        out[int(i)] = previous
    return [out[i] for i in range(grid.shape[0])]


def kfold_indices(y: ArrayLike, k: int = 5, *, seed: int | None = 0) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """``k`` seeded (train, test) index splits, stratified: each class is shuffled and dealt
    round-robin into the folds, so every fold has about the class balance of ``y`` and every
    training set holds both classes.

    Examples:
        >>> import numpy as np
        >>> from logreg.selection import kfold_indices
        >>> folds = kfold_indices(np.r_[np.zeros(6), np.ones(4)], k=2)
        >>> [len(test) for _, test in folds]
        [5, 5]
        >>> sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(10))
        True
    """
    arr = v.as_float_array(y, "y")
    ya = v.check_y(arr, arr.shape[0] if arr.ndim == 1 else 0)
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ValueError(f"k must be an integer >= 2, got {k!r}")
    counts = [int((ya == c).sum()) for c in (0.0, 1.0)]
    if min(counts) < k:
        raise ValueError(
            f"k = {k} folds need at least k points of each class; y has {counts[0]} zeros and {counts[1]} ones"
        )
    rng = np.random.default_rng(seed)
    fold = np.empty(ya.shape[0], dtype=np.intp)
    offset = 0
    for c in (0.0, 1.0):
        members = rng.permutation(np.flatnonzero(ya == c))
        fold[members] = (offset + np.arange(members.shape[0])) % k
        offset += members.shape[0]
    all_rows = np.arange(ya.shape[0])
    return [(all_rows[fold != j], all_rows[fold == j]) for j in range(k)]


def log_loss(result: FitResult, X: ArrayLike, y: ArrayLike) -> float:
    r"""The mean negative log-likelihood $-\frac1N \sum_n \log p(y_n \mid x_n)$ of ``result``
    on (new) data: $E/N$, the negative log-likelihood without the penalty (eq. ``testloss``).
    scikit-learn's ``log_loss``."""
    Xa, ya = v.check_Xy(X, y)
    a = result.decision_function(Xa)
    return _nll_from_activation(a, ya) / ya.shape[0]


@dataclass(frozen=True)
class CrossValidation:
    """The result of `cross_validate`.

    Attributes:
        l2s: the penalties, in the order given.
        fold_losses: shape ``(k, len(l2s))``, the held-out `log_loss` of each fold and penalty.
        mean: the mean over the folds, shape ``(len(l2s),)``.
        standard_error: the standard deviation over the folds divided by $\\sqrt k$.
        best_l2: the penalty with the smallest ``mean``.
        one_se_l2: the largest penalty whose ``mean`` is at most ``mean`` at ``best_l2`` plus its
            standard error: the simplest model that cross-validation cannot tell from the best.
        iterations: solver iterations spent, summed over all fits.
    """

    l2s: Array
    fold_losses: Array
    mean: Array
    standard_error: Array
    best_l2: float
    one_se_l2: float
    iterations: int


def cross_validate(
    X: ArrayLike,
    y: ArrayLike,
    l2s: ArrayLike,
    *,
    k: int = 5,
    seed: int | None = 0,
    penalize_bias: bool = False,
    method: Method = "auto",
    tol: float = 1e-8,
    warm_start: bool = True,
) -> CrossValidation:
    r"""k-fold cross-validation of the held-out log-loss over the penalties ``l2s`` (eq. ``cv``).

    For each fold $j$, the regularisation path is fitted on the other folds and scored on fold
    $j$: $\mathrm{CV}(\lambda) = \frac1k \sum_j L_j(\lambda)$, with standard error
    $\mathrm{sd}_j(L_j) / \sqrt k$. ``best_l2`` minimises $\mathrm{CV}$; ``one_se_l2`` is the
    largest $\lambda$ with $\mathrm{CV}(\lambda) \le \mathrm{CV}(\lambda^*) + \mathrm{se}(\lambda^*)$
    (Hastie, Tibshirani & Friedman, section 7.10). The folds are `kfold_indices` (seeded,
    stratified). Cost: ``k`` regularisation paths, i.e. ``k * len(l2s)`` warm-started fits.

    Examples:
        >>> from logreg import make_blobs
        >>> from logreg.selection import cross_validate
        >>> cv = cross_validate(*make_blobs(200, seed=1), [100.0, 10.0, 1.0, 0.1], k=5)
        >>> cv.fold_losses.shape, cv.one_se_l2 >= cv.best_l2
        ((5, 4), True)
    """
    Xa, ya = v.check_Xy(X, y)
    grid = _check_grid(l2s)
    folds = kfold_indices(ya, k, seed=seed)
    losses = np.empty((k, grid.shape[0]))
    iterations = 0
    for j, (train, test) in enumerate(folds):
        path = regularization_path(
            Xa[train], ya[train], grid, warm_start=warm_start, penalize_bias=penalize_bias, method=method, tol=tol
        )
        losses[j] = [log_loss(res, Xa[test], ya[test]) for res in path]
        iterations += sum(res.n_iter for res in path)
    mean = losses.mean(axis=0)
    se = losses.std(axis=0, ddof=1) / math.sqrt(k)
    best = int(np.argmin(mean))
    within = mean <= mean[best] + se[best]
    return CrossValidation(
        l2s=grid,
        fold_losses=losses,
        mean=mean,
        standard_error=se,
        best_l2=float(grid[best]),
        one_se_l2=float(grid[within].max()),
        iterations=iterations,
    )


def log_evidence(result: FitResult, X: ArrayLike | None = None, y: ArrayLike | None = None) -> float:
    r"""The Laplace approximation of the log marginal likelihood $\log p(y \mid X, \lambda)$ (eq. ``evidence``).

    The penalty $\lambda\lVert w\rVert^2$ is the prior $w \sim \mathcal N(0, \alpha^{-1} I)$
    with precision $\alpha = 2\lambda$. Approximating the posterior by a Gaussian at the fit
    $\hat\theta$ with precision $H$ (the Hessian of $E_\lambda$ there) gives

    $$
    \log p(y \mid X, \lambda) \approx -E_\lambda(\hat\theta) + \frac{K}{2}\log\alpha
      + \frac{D + 1 - K}{2}\log 2\pi - \frac12 \log\det H,
    $$

    with $K$ the number of penalised parameters ($D$, or $D + 1$ with ``penalize_bias``).
    With the bias unpenalised its prior is flat (improper), and the evidence is defined up to
    a constant that does not depend on $\lambda$: fine for comparing penalties, which is what it
    is for. Cost: one Hessian and its Cholesky factorisation.

    Raises ``ValueError`` for ``l2 = 0`` (the flat prior on $w$ has no evidence) and when $H$ is
    singular.

    Examples:
        >>> from logreg import fit, make_blobs
        >>> from logreg.selection import log_evidence
        >>> data = make_blobs(100, seed=0)
        >>> bool(log_evidence(fit(*data, l2=0.5)) > log_evidence(fit(*data, l2=500.0)))
        True
    """
    from .inference import _check_usable, fitted_hessian

    if result.l2 <= 0:
        raise ValueError("the evidence needs a proper prior on the weights: l2 must be > 0")
    _check_usable(result)
    H = fitted_hessian(result, X, y)
    try:
        L = np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        raise ValueError(
            "the Hessian at the fit is singular, so the Laplace evidence is undefined; "
            "with the bias unpenalised, every point may be fitted with certainty"
        ) from None
    logdet = 2.0 * float(np.sum(np.log(np.diag(L))))
    d = result.weights.shape[0]
    k = d + 1 if result.penalize_bias else d
    return (
        -result.objective
        + 0.5 * k * math.log(2.0 * result.l2)
        + 0.5 * (d + 1 - k) * math.log(2.0 * math.pi)
        - 0.5 * logdet
    )
