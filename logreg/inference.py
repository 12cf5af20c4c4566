r"""How sure is the fit: covariance, standard errors, Wald tests and Laplace predictions.

Everything here starts from one matrix, the Hessian $H = \nabla^2 E_\lambda$ at the fitted
$\hat\theta = (\hat w, \hat b)$ (book chapter *How sure are the weights?*, eq. ``fisher``), with
the bias row and column last, as in `logreg.hessian`:

$$
H = \tilde X^\top S \tilde X + 2\lambda\,\operatorname{diag}(1, \dots, 1, [1 \text{ or } 0]),
\qquad S = \operatorname{diag}\bigl(\sigma(\hat a_n)(1 - \sigma(\hat a_n))\bigr).
$$

With ``l2 = 0`` it is the observed Fisher information of the maximum-likelihood estimate (for
the logistic model equal to the expected one, since $H$ does not depend on $y$), and
$H^{-1}$ is its asymptotic covariance: the numbers statsmodels' ``Logit(...).fit()`` reports.
With ``l2 > 0``, $H$ is the precision of the Laplace approximation to the posterior under the
Gaussian prior that the penalty is (chapter *Bayesian logistic regression*, eq. ``laplace``), so
$H^{-1}$ is a posterior covariance, not a frequentist standard error; the frequentist
covariance of the penalised estimate is the sandwich $H^{-1} J H^{-1}$ with
$J = \tilde X^\top S \tilde X$ (``kind="sandwich"``).

Cost: one Hessian, $O(N D^2)$, and one Cholesky factorisation, $O(D^3)$, per fit;
`FitResult` caches the covariance, so ``standard_errors``, ``conf_int`` and ``summary`` share it.
The predictive functions cost $O(D^2)$ per row on top.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, ndtr, ndtri

from . import checks as v
from ._passes import activations, hessian_terms
from .model import _penalty_diagonal, sigmoid_derivative
from .warnings import ConvergenceWarning

if TYPE_CHECKING:  # pragma: no cover
    from .fitting import FitResult

__all__ = [
    "conf_int",
    "covariance",
    "fitted_hessian",
    "p_values",
    "predictive_proba",
    "predictive_variance",
    "standard_errors",
    "summary",
    "z_values",
]

Array = NDArray[np.float64]
Kind = Literal["laplace", "sandwich"]

#: Above this condition number (largest over smallest eigenvalue) the Hessian is treated as
#: singular: its inverse would carry no correct digit, since rounding alone perturbs H by ~1e-16.
SINGULAR_CONDITION = 1e12


def _training(result: FitResult, X: ArrayLike | None, y: ArrayLike | None) -> tuple[Array, Array]:
    if X is None and y is None:
        data = getattr(result, "training_data", None)
        if data is None:
            raise ValueError("this FitResult does not hold its training data; pass X and y")
        if v._describe_sparse(data[0]) is not None:
            raise TypeError(
                f"this FitResult was fitted on a scipy.sparse {type(data[0]).__name__}; "
                "the inference methods need a dense X: pass X=X.toarray() and y, if it fits "
                "in memory (its (D+1) x (D+1) covariance would be dense too)"
            )
        return data
    if X is None or y is None:
        raise ValueError("pass both X and y (the data the model was fitted on), or neither")
    Xa, ya = v.check_Xy(X, y)
    if Xa.shape[1] != result.weights.shape[0]:
        raise ValueError(f"X has {Xa.shape[1]} features but the model was fitted with {result.weights.shape[0]}")
    return Xa, ya


def fitted_hessian(
    result: FitResult, X: ArrayLike | None = None, y: ArrayLike | None = None, *, penalised: bool = True
) -> Array:
    r"""The Hessian of $E_\lambda$ at the fit, shape ``(D + 1, D + 1)``, bias last (eq. ``fisher``).

    With ``penalised=False`` it is the Hessian of $E$, the negative log-likelihood alone.

    $\tilde X^\top S \tilde X$, plus the penalty's $2\lambda I$ when ``penalised``. ``X`` and
    ``y`` default to the data the result was fitted on. Cost: $O(N D^2)$.

    Examples:
        >>> from logreg import fit, make_blobs
        >>> from logreg.inference import fitted_hessian
        >>> result = fit(*make_blobs(100, seed=0))
        >>> fitted_hessian(result).shape
        (3, 3)
    """
    Xa, _ = _training(result, X, y)
    H = hessian_terms(Xa, sigmoid_derivative(activations(Xa, result.weights, result.bias)))
    if penalised:
        H = H + _penalty_diagonal(Xa.shape[1], result.l2, result.penalize_bias)
    return H


def _check_usable(result: FitResult) -> None:
    if result.separable:
        raise ValueError(
            "the training data are linearly separable and l2 = 0: the maximum-likelihood estimate "
            "does not exist (the weights grow without bound), so it has no standard errors. Fit "
            "with l2 > 0 for the Laplace posterior instead"
        )
    if not result.converged:
        warnings.warn(
            "the fit did not converge: its covariance describes a point that is not the optimum",
            ConvergenceWarning,
            stacklevel=3,
        )


def _inverse(H: Array, what: str) -> Array:
    """``H^{-1}`` for a symmetric positive definite ``H``, or a ValueError if it is singular."""
    eig = np.linalg.eigvalsh(H)
    if not eig[0] > eig[-1] / SINGULAR_CONDITION:
        raise ValueError(
            f"the {what} is singular (condition number {eig[-1] / max(eig[0], 0.0):.3g} > "
            f"{SINGULAR_CONDITION:g}): some columns of X (with the bias's column of ones) are "
            "collinear, or every point is fitted with certainty, so some combination of the "
            "parameters is not determined by the data; drop the redundant columns or use l2 > 0"
        )
    L = np.linalg.cholesky(H)
    L_inv = np.linalg.solve(L, np.eye(H.shape[0]))
    return L_inv.T @ L_inv


def covariance(
    result: FitResult, X: ArrayLike | None = None, y: ArrayLike | None = None, *, kind: Kind = "laplace"
) -> Array:
    r"""The covariance of $(\hat w, \hat b)$, shape ``(D + 1, D + 1)``, bias last (eq. ``cov``).

    ``kind="laplace"`` (default): $H^{-1}$, with $H$ the Hessian of the objective at the fit.
    With ``l2 = 0`` this is the asymptotic covariance of the maximum-likelihood estimate
    (statsmodels' ``cov_params()``); with ``l2 > 0`` it is the covariance of the Laplace
    approximation to the posterior, $\mathcal N(\hat\theta, H^{-1})$.

    ``kind="sandwich"``: $H^{-1} J H^{-1}$, $J = \tilde X^\top S \tilde X$ (the unpenalised
    information): the frequentist covariance of the *penalised* estimate. Equal to the Laplace
    one when ``l2 = 0``; smaller than it otherwise.

    Raises ``ValueError`` on separated data with ``l2 = 0`` and when $H$ is singular
    (collinear columns); warns with `ConvergenceWarning` if the fit did not converge.
    Cost: one Hessian, $O(N D^2 + D^3)$.

    Examples:
        >>> import numpy as np
        >>> from logreg import fit, make_blobs
        >>> from logreg.inference import covariance
        >>> result = fit(*make_blobs(100, seed=0))
        >>> C = covariance(result)
        >>> C.shape, bool(np.allclose(C, C.T))
        ((3, 3), True)
    """
    if kind not in ("laplace", "sandwich"):
        raise ValueError(f"unknown kind {kind!r}; choose 'laplace' or 'sandwich'")
    # On its own training data, a FitResult keeps the answer: one Hessian serves every method.
    cache = getattr(result, "_cache", None) if X is None and y is None else None
    if cache is not None and kind in cache:
        return cache[kind].copy()
    _check_usable(result)
    H = fitted_hessian(result, X, y)
    cov = _inverse(H, "Hessian of the objective at the fit")
    if kind == "sandwich":
        J = fitted_hessian(result, X, y, penalised=False)
        cov = cov @ J @ cov
    cov = 0.5 * (cov + cov.T)
    if cache is not None:
        cache[kind] = cov
    return cov.copy()


def standard_errors(
    result: FitResult, X: ArrayLike | None = None, y: ArrayLike | None = None, *, kind: Kind = "laplace"
) -> Array:
    r"""$\sqrt{\operatorname{diag} H^{-1}}$, shape ``(D + 1,)``, bias last (eq. ``se``)."""
    return np.sqrt(np.diag(covariance(result, X, y, kind=kind)))


def _estimates(result: FitResult) -> Array:
    return np.append(result.weights, result.bias)


def z_values(
    result: FitResult, X: ArrayLike | None = None, y: ArrayLike | None = None, *, kind: Kind = "laplace"
) -> Array:
    r"""The Wald statistics $z_j = \hat\theta_j / \mathrm{se}_j$, bias last (eq. ``wald``)."""
    return _estimates(result) / standard_errors(result, X, y, kind=kind)


def p_values(
    result: FitResult, X: ArrayLike | None = None, y: ArrayLike | None = None, *, kind: Kind = "laplace"
) -> Array:
    r"""Two-sided Wald p-values $2\,\Phi(-|z_j|)$ for $\theta_j = 0$, bias last (eq. ``pvalue``)."""
    return 2.0 * ndtr(-np.abs(z_values(result, X, y, kind=kind)))


def _check_level(level: float) -> float:
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.floating)):
        raise TypeError(f"level must be a number, got {type(level).__name__}")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1 (e.g. 0.95), got {level!r}")
    return float(level)


def conf_int(
    result: FitResult,
    X: ArrayLike | None = None,
    y: ArrayLike | None = None,
    *,
    level: float = 0.95,
    kind: Kind = "laplace",
) -> Array:
    r"""Wald intervals $\hat\theta_j \pm z_{(1+\ell)/2}\,\mathrm{se}_j$, shape ``(D + 1, 2)``
    (lower, upper), bias last (eq. ``ci``). With ``l2 > 0`` (``kind="laplace"``) these are
    credible intervals of the Laplace posterior.

    Examples:
        >>> from logreg import fit, make_blobs
        >>> from logreg.inference import conf_int
        >>> result = fit(*make_blobs(200, seed=1))
        >>> ci = conf_int(result)
        >>> bool((ci[:, 0] < result.weights.tolist() + [result.bias]).all())
        True
    """
    level = _check_level(level)
    half = ndtri(0.5 + level / 2) * standard_errors(result, X, y, kind=kind)
    est = _estimates(result)
    return np.column_stack([est - half, est + half])


def summary(
    result: FitResult,
    X: ArrayLike | None = None,
    y: ArrayLike | None = None,
    *,
    feature_names: Sequence[str] | None = None,
    level: float = 0.95,
) -> str:
    r"""A plain-text table like statsmodels' ``summary()``: estimate, standard error, z, p and
    the interval for each weight and the bias (last, named ``bias``).

    With ``l2 > 0`` the table says that its errors and intervals are those of the Laplace
    posterior, not frequentist ones.

    Examples:
        >>> from logreg import fit, make_blobs
        >>> from logreg.inference import summary
        >>> print(summary(fit(*make_blobs(100, seed=0)), feature_names=["x1", "x2"]))
        Logistic regression (maximum likelihood): N = 100, D = 2, method newton, converged
        E(w, b) = 24.3563 (l2 = 0)
        ================================================================================
                        coef     std err           z       P>|z|      [0.025      0.975]
        --------------------------------------------------------------------------------
        x1           -1.6697      0.4281     -3.9004     9.6e-05     -2.5088     -0.8307
        x2           -1.7685      0.4714     -3.7513    0.000176     -2.6924     -0.8445
        bias          0.1482      0.3834      0.3866       0.699     -0.6032      0.8997
        ================================================================================
    """
    level = _check_level(level)
    d = result.weights.shape[0]
    if feature_names is None:
        names = [f"x{j + 1}" for j in range(d)]
    else:
        names = [str(n) for n in feature_names]
        if len(names) != d:
            raise ValueError(f"feature_names has {len(names)} names but the model has {d} features")
    names.append("bias")
    Xa, _ = _training(result, X, y)
    se = standard_errors(result, X, y)
    est = _estimates(result)
    z = est / se
    p = 2.0 * ndtr(-np.abs(z))
    half = ndtri(0.5 + level / 2) * se
    lo_name, hi_name = f"[{(1 - level) / 2:.3f}", f"{(1 + level) / 2:.3f}]"
    width = max(8, max(map(len, names)) + 2)
    kind = "maximum likelihood" if result.l2 == 0 else "MAP with a Gaussian prior"
    status = "converged" if result.converged else "NOT converged"
    lines = [
        f"Logistic regression ({kind}): N = {Xa.shape[0]}, D = {d}, method {result.method}, {status}",
        # E is the negative log-likelihood, E_lambda the penalised objective (as in the book).
        f"{'E' if result.l2 == 0 else 'E_lambda'}(w, b) = {result.objective:.6g} (l2 = {result.l2:g}"
        + (", bias penalised)" if result.penalize_bias and result.l2 > 0 else ")"),
    ]
    header = f"{'':<{width}}" + "".join(f"{h:>12}" for h in ("coef", "std err", "z", "P>|z|", lo_name, hi_name))
    rule = len(header)
    lines += ["=" * rule, header, "-" * rule]
    for j, name in enumerate(names):
        cells = (est[j], se[j], z[j], p[j], est[j] - half[j], est[j] + half[j])
        lines.append(
            f"{name:<{width}}" + "".join(f"{c:>12.4f}" if k != 3 else f"{c:>12.3g}" for k, c in enumerate(cells))
        )
    lines.append("=" * rule)
    if result.l2 > 0:
        lines.append(
            "With l2 > 0 the errors, z, p and intervals are those of the Laplace posterior "
            "N(theta, H^-1), not frequentist ones (the sandwich covariance is)."
        )
    return "\n".join(lines)


# --- predictive probabilities under the Laplace posterior ------------------------------------

Posterior = Literal["probit", "monte-carlo"]


def predictive_variance(
    result: FitResult, X_new: ArrayLike, X: ArrayLike | None = None, y: ArrayLike | None = None
) -> tuple[Array, Array]:
    r"""The mean $\mu = \hat w^\top x + \hat b$ and variance $s^2 = \tilde x^\top H^{-1} \tilde x$
    of the activation under the Laplace posterior, for each row of ``X_new`` (eq. ``actvar``).

    Because $a = \tilde x^\top \theta$ is linear in $\theta$ and the posterior is Gaussian,
    $a \sim \mathcal N(\mu, s^2)$ exactly. Cost: $O(D^2)$ per row after the covariance.
    """
    Xn = v.check_X(X_new, "X_new")
    d = result.weights.shape[0]
    if Xn.shape[1] != d:
        raise ValueError(f"X_new has {Xn.shape[1]} features but the model was fitted with {d}")
    cov = covariance(result, X, y)
    Xt = np.hstack([Xn, np.ones((Xn.shape[0], 1))])
    mu = Xn @ result.weights + result.bias
    s2 = np.einsum("ij,jk,ik->i", Xt, cov, Xt)
    return mu, np.maximum(s2, 0.0)


def predictive_proba(
    result: FitResult,
    X_new: ArrayLike,
    X: ArrayLike | None = None,
    y: ArrayLike | None = None,
    *,
    method: Posterior = "probit",
    n_draws: int = 10_000,
    seed: int | None = 0,
) -> Array:
    r"""$p(y{=}1 \mid x) = \int \sigma(a)\,\mathcal N(a \mid \mu, s^2)\,da$ under the Laplace
    posterior, for each row of ``X_new`` (eq. ``predictive``).

    ``method="probit"`` (default): Bishop's (4.153), $\sigma\bigl(\kappa(s^2)\,\mu\bigr)$ with
    $\kappa(s^2) = (1 + \pi s^2 / 8)^{-1/2}$ (eq. ``probit``), from matching $\sigma$ with the
    probit function $\Phi(\sqrt{\pi/8}\,a)$, for which the integral is exact. Always between the
    MAP probability $\sigma(\mu)$ and 1/2: the less certain the activation, the closer to 1/2.

    ``method="monte-carlo"``: the average of $\sigma(\mu + s z_k)$ over ``n_draws`` standard
    normal draws $z_k$ (seeded; the same draws for every row). Exact as ``n_draws`` grows, with
    a standard error below $0.5 / \sqrt{n_\text{draws}}$. Cost: $O(n_\text{draws})$ per row.

    ``X`` and ``y`` default to the result's training data.

    Examples:
        >>> from logreg import fit, make_separable
        >>> from logreg.inference import predictive_proba
        >>> result = fit(*make_separable(50, seed=0), l2=0.1)
        >>> far = [[6.0, 6.0]]
        >>> p_map, p_pred = result.predict_proba(far)[0], predictive_proba(result, far)[0]
        >>> bool(abs(p_pred - 0.5) < abs(p_map - 0.5))  # less sure than the MAP fit
        True
    """
    if method not in ("probit", "monte-carlo"):
        raise ValueError(f"unknown method {method!r}; choose 'probit' or 'monte-carlo'")
    mu, s2 = predictive_variance(result, X_new, X, y)
    if method == "probit":
        return expit(mu / np.sqrt(1.0 + math.pi * s2 / 8.0))
    if isinstance(n_draws, (bool, np.bool_)) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}")
    z = np.random.default_rng(seed).standard_normal(int(n_draws))
    s = np.sqrt(s2)
    out = np.empty_like(mu)
    block = max(1, 2_000_000 // int(n_draws))  # rows at a time: memory stays O(block * n_draws)
    for start in range(0, mu.shape[0], block):
        sl = slice(start, start + block)
        out[sl] = expit(mu[sl, None] + s[sl, None] * z[None, :]).mean(axis=1)
    return out
