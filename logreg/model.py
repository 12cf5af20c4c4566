r"""The model: the logistic sigmoid, the penalised negative log-likelihood and its derivatives.

Conventions, stated once:

* ``X`` has shape ``(n_samples, n_features)``: one row per data point. (The post the book
  starts from stores ``X`` as ``(D, N)`` in places and ``(N, D)`` in others; here it is always
  rows = samples.)
* ``y`` has shape ``(n_samples,)`` and holds 0.0 or 1.0.
* ``weights`` has shape ``(n_features,)`` and ``bias`` is a float. They are kept apart, so the
  penalty can leave the bias alone (``penalize_bias=False``, the default).
* The activation of sample $n$ is $a_n = w^\top x_n + b$.

The objective (the book's eq. ``obj``, chapter *Regularisation*) is the summed negative
log-likelihood plus an L2 penalty,

$$
E_\lambda(w, b) = -\sum_n \bigl[y_n \log\sigma(a_n) + (1 - y_n)\log\sigma(-a_n)\bigr]
          + \lambda \lVert w \rVert^2 \; [+\, \lambda b^2],
$$

and each function below sits next to its derivative, micrograd-style: the sigmoid with its
derivative, the objective with its gradient and Hessian.

This is the teaching path: plain single-threaded NumPy, a few lines per formula, and what the
chapters print. ``X`` may also be a ``scipy.sparse`` matrix (``X @ w`` and ``X.T @ r`` are then
sparse products). The fast block-parallel versions that `logreg.fit` runs at every iteration are
in the engine (`logreg._passes`, `logreg._sparse`), tested against these functions.

Why no epsilon: $\log\sigma(a) = -\log(1 + e^{-a})$ is evaluated as ``log_sigmoid``,
which is exact for every finite ``a``, so nothing ever takes the log of 0 and no offset is
needed. The post's offset, ``log(p + delta)`` with ``delta = 1e-9``, changes the objective: it
caps each point's loss at $-\log\delta$ and makes the loss of a confidently right point negative
(the book draws it in "Beyond the post", from ``book/post.py``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, log_expit

from .checks import as_float_array, check_problem

__all__ = [
    "gradient",
    "hessian",
    "log_sigmoid",
    "objective",
    "sigmoid",
    "sigmoid_derivative",
]

Array = NDArray[np.float64]


def sigmoid(z: ArrayLike) -> Array:
    r"""The logistic sigmoid $\sigma(z) = 1 / (1 + e^{-z})$ (book eq. ``sigmoid``).

    Evaluated without overflow for every finite ``z``: ``sigmoid(-1e4) == 0.0`` and
    ``sigmoid(1e4) == 1.0`` exactly, with no warning. (The textbook formula overflows
    ``exp(-z)`` for ``z < -709``; this uses ``exp(-|z|)``, which never does.)

    For $z < 0$ it is $e^{z} / (1 + e^{z})$, so a value as small as $e^{-745}$ comes out as
    the subnormal number it is instead of 0 (``1 / (1 + exp(720))`` overflows to ``1 / inf``).

    Args:
        z: any array of real numbers (a scalar gives a 0-d array); $\pm\infty$ give 0 and 1.

    Returns:
        $\sigma(z)$, same shape as ``z``, in ``[0, 1]``.

    Raises:
        TypeError: ``z`` is not real numbers (``None``, strings, complex values).
        ValueError: ``z`` contains NaN.

    Examples:
        >>> from logreg import sigmoid
        >>> sigmoid([-1e4, 0.0, 1e4]).tolist()
        [0.0, 0.5, 1.0]
    """
    return _sigmoid(_check_z(z))


def _check_z(z: ArrayLike) -> Array:
    """``z`` as a float array, checked as `logreg.fit` checks its input (infinities allowed)."""
    arr = as_float_array(z, "z")
    if np.isnan(arr).any():
        raise ValueError("z contains NaN values")
    return arr


def _sigmoid(z: Array) -> Array:
    """`sigmoid` of a checked float array: ``exp`` only ever of ``-|z|``, which cannot overflow."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z: ArrayLike) -> Array:
    r"""The derivative $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$ (book eq. ``dsigmoid``).

    Computed as $\sigma(z)\,\sigma(-z)$, which is the same number but does not lose all
    its digits to cancellation when $\sigma(z)$ is close to 1.

    Args:
        z: any array of real numbers.

    Returns:
        $\sigma'(z)$, same shape as ``z``, in ``[0, 1/4]``.

    Examples:
        >>> from logreg import sigmoid_derivative
        >>> float(sigmoid_derivative(0.0))
        0.25
    """
    z = _check_z(z)
    return _sigmoid(z) * _sigmoid(-z)


def log_sigmoid(z: ArrayLike) -> Array:
    r"""The log of the sigmoid, $\log\sigma(z) = -\log(1 + e^{-z})$ (book eq. ``logsigmoid``).

    Exact at the extremes, with no epsilon: ``log_sigmoid(-1e4) == -1e4`` (the textbook
    ``log(sigmoid(z))`` gives ``-inf`` there) and ``log_sigmoid(1e4) == 0.0``. Its derivative is
    $\sigma(-z) = 1 - \sigma(z)$.

    Args:
        z: any array of real numbers.

    Returns:
        $\log\sigma(z)$, same shape as ``z``, always $\le 0$.

    Examples:
        >>> from logreg import log_sigmoid
        >>> float(log_sigmoid(-1e4))
        -10000.0
    """
    return log_expit(_check_z(z))


def _activation(weights: Array, bias: float, X: Array) -> Array:
    return X @ weights + bias


def _penalty_terms(weights: Array, bias: float, l2: float, penalize_bias: bool) -> float:
    if l2 == 0.0:  # no penalty, whatever the weights: 0 * inf would be NaN for huge ones
        return 0.0
    with np.errstate(over="ignore"):  # a penalty too large for a float is inf, not a warning
        value = float(weights @ weights)
        if penalize_bias:
            value += bias * bias
        return l2 * value


def _nll_from_activation(a: Array, y: Array, sample_weight: Array | None = None) -> float:
    # With labels in {0, 1}, y log s(a) + (1-y) log s(-a) is log s(a) or log s(-a): one exact
    # log-sigmoid of the signed activation (2y - 1) a. Writing it as softplus(a) - y a instead
    # would subtract two large numbers whenever a confident prediction is right.
    terms = log_expit((2.0 * y - 1.0) * a)
    return -float(np.sum(terms) if sample_weight is None else sample_weight @ terms)


def _residual(a: Array, y: Array) -> Array:
    r"""The residual $\sigma(a_n) - y_n$, without cancellation.

    For $y_n = 1$ it is $-\sigma(-a_n)$, for $y_n = 0$ it is $\sigma(a_n)$:
    with $s_n = 2y_n - 1$, $-s_n\,\sigma(-s_n a_n)$. Subtracting ``sigmoid(a) - 1``
    instead would lose every digit of a confidently right point's tiny residual.
    """
    signs = 2.0 * y - 1.0
    return -signs * expit(-signs * a)


def objective(
    weights: ArrayLike,
    bias: float,
    X: ArrayLike,
    y: ArrayLike,
    *,
    l2: float = 0.0,
    penalize_bias: bool = False,
    sample_weight: ArrayLike | None = None,
) -> float:
    r"""The penalised negative log-likelihood $E_\lambda(w, b)$ (book eq. ``obj``).

    $$
    E_\lambda(w, b) = -\sum_{n=1}^{N} \bigl[y_n \log\sigma(a_n) + (1 - y_n)\log\sigma(-a_n)\bigr]
              + \lambda\,\lVert w\rVert^2 \;[+\,\lambda b^2],
    \qquad a_n = w^\top x_n + b.
    $$

    The loss is *summed*, not averaged, as in the book; so ``l2`` is comparable to
    scikit-learn's ``C`` through ``C = 1 / (2 * l2)``.

    Args:
        weights: shape ``(n_features,)``.
        bias: the intercept $b$.
        X: shape ``(n_samples, n_features)``; a ``scipy.sparse`` matrix or array too (never
            made dense; see `logreg.fit`).
        y: shape ``(n_samples,)``, 0/1 labels.
        l2: the penalty strength $\lambda \ge 0$.
        penalize_bias: add $\lambda b^2$ too (the post's folded-bias code does).
        sample_weight: shape ``(n_samples,)``, a weight $s_n \ge 0$ per row (all 1 if
            ``None``): the loss becomes $-\sum_n s_n [y_n \log\sigma(a_n) + (1 - y_n)
            \log\sigma(-a_n)]$, so an integer weight counts its row that many times. The
            gradient and Hessian take the same weights: $s_n$ multiplies each row's term.

    Returns:
        $E_\lambda(w, b)$ as a float.

    Examples:
        >>> import numpy as np
        >>> from logreg import objective
        >>> X = np.array([[0.0], [1.0]]); y = np.array([0.0, 1.0])
        >>> round(objective(np.zeros(1), 0.0, X, y), 6)  # two points at p = 1/2: 2 log 2
        1.386294
    """
    w, b, X, y, l2, sw = check_problem(weights, bias, X, y, l2, sample_weight)
    a = X @ w + b  # the activations
    return _nll_from_activation(a, y, sw) + _penalty_terms(w, b, l2, penalize_bias)


def gradient(
    weights: ArrayLike,
    bias: float,
    X: ArrayLike,
    y: ArrayLike,
    *,
    l2: float = 0.0,
    penalize_bias: bool = False,
    sample_weight: ArrayLike | None = None,
) -> tuple[Array, float]:
    r"""The gradient of $E_\lambda$ (book eqs. ``grad`` and ``gradpen``).

    $$
    \nabla_w E_\lambda = \sum_n (\sigma(a_n) - y_n)\, x_n + 2\lambda w = X^\top(\sigma - y) + 2\lambda w,
    \qquad
    \frac{\partial E_\lambda}{\partial b} = \sum_n (\sigma(a_n) - y_n) \;[+\, 2\lambda b].
    $$

    (With sample weights $s_n$, each residual $\sigma(a_n) - y_n$ is multiplied by $s_n$.)

    With $\lambda = 0$ this is minus the log-likelihood gradient $\sum_n (y_n - \sigma_n) x_n$
    derived in the book, because $E$ is the *negative* log-likelihood.

    The arguments are those of `objective`.

    Returns:
        ``(grad_w, grad_b)``: an array of shape ``(n_features,)`` and a float.

    Examples:
        >>> import numpy as np
        >>> from logreg import gradient
        >>> X = np.array([[0.0], [1.0]]); y = np.array([0.0, 1.0])
        >>> gw, gb = gradient(np.zeros(1), 0.0, X, y)
        >>> gw.tolist(), gb
        ([-0.5], 0.0)
    """
    w, b, X, y, l2, sw = check_problem(weights, bias, X, y, l2, sample_weight)
    r = _residual(X @ w + b, y)
    return _gradient_from_residual(X, r if sw is None else sw * r, w, b, l2, penalize_bias)


def _gradient_from_residual(
    X: Array, r: Array, w: Array, b: float, l2: float, penalize_bias: bool
) -> tuple[Array, float]:
    """:func:`gradient` given the residuals ``r = sigma(a) - y``."""
    return _penalised_gradient(X.T @ r, float(np.sum(r)), w, b, l2, penalize_bias)


def _penalised_gradient(
    xtr: Array, sum_r: float, w: Array, b: float, l2: float, penalize_bias: bool
) -> tuple[Array, float]:
    r"""The gradient from its data terms $X^\top r$ and $\sum_n r_n$; the solvers call this too."""
    # 2 (l2 w), not (2 l2) w: with l2 near the largest float, 2 l2 overflows and inf * 0 is NaN.
    return xtr + 2.0 * (l2 * w), sum_r + (2.0 * (l2 * b) if penalize_bias else 0.0)


def hessian(
    weights: ArrayLike,
    bias: float,
    X: ArrayLike,
    y: ArrayLike,
    *,
    l2: float = 0.0,
    penalize_bias: bool = False,
    sample_weight: ArrayLike | None = None,
) -> Array:
    r"""The Hessian of $E_\lambda$ with respect to $(w, b)$ (book eqs. ``hess`` and ``hesspen``).

    With $\tilde X = [X \;\; \mathbf 1]$ (the bias as a last column of ones) and
    $S = \operatorname{diag}(\sigma(a_n)(1-\sigma(a_n)))$,

    $$
    \nabla^2 E_\lambda = \tilde X^\top S\, \tilde X + 2\lambda\, \operatorname{diag}(1, \dots, 1, [1\text{ or }0]).
    $$

    (With sample weights $s_n$, $S = \operatorname{diag}(s_n\,\sigma(a_n)(1-\sigma(a_n)))$.)

    It does not depend on ``y``, and it is positive semidefinite, so $E_\lambda$ is convex.

    The arguments are those of `objective`.

    Returns:
        Array of shape ``(n_features + 1, n_features + 1)``; the last row and column belong
        to the bias.

    Examples:
        >>> import numpy as np
        >>> from logreg import hessian
        >>> X = np.array([[0.0], [1.0]]); y = np.array([0.0, 1.0])
        >>> hessian(np.zeros(1), 0.0, X, y).tolist()
        [[0.25, 0.25], [0.25, 0.5]]
    """
    w, b, X, y, l2, sw = check_problem(weights, bias, X, y, l2, sample_weight)
    s = sigmoid_derivative(X @ w + b)  # the diagonal of S
    if sw is not None:
        s *= sw
    Xt = _with_ones(X)  # X~ = [X 1]: the bias as a last column of ones
    H = Xt.T @ (sp.diags(s) @ Xt)  # X~^T S X~, with S never formed as a dense N x N matrix
    H = H.toarray() if sp.issparse(H) else H
    return H + _penalty_diagonal(X.shape[1], l2, penalize_bias)


def _with_ones(X: Array) -> Array:
    r"""$\tilde X = [X \;\; \mathbf 1]$, sparse if ``X`` is."""
    ones = np.ones((X.shape[0], 1))
    return sp.hstack([X, ones], format="csr") if sp.issparse(X) else np.hstack([X, ones])


def _penalty_diagonal(n_features: int, l2: float, penalize_bias: bool) -> Array:
    diag = np.full(n_features + 1, 2.0 * l2)
    if not penalize_bias:
        diag[-1] = 0.0
    return np.diag(diag)
