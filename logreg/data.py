"""The book's two worked data sets, reproducible from a seed.

Both generators use their own ``numpy.random.Generator`` (PCG64) built from ``seed``, never the
global random state, so the same seed gives the same arrays on every machine and every run.
(The post draws from NumPy's global state without a seed, so its figures differ on each run.)
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import NDArray

__all__ = ["BLOB_CENTRES", "make_blobs", "make_separable"]

#: Centres of the two Gaussian classes: class A (label 1) and class B (label 0).
BLOB_CENTRES = {1: (-1.0, -1.0), 0: (1.0, 1.0)}


def _check_n_seed(n: int, seed: int) -> None:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an integer, got {type(n).__name__}")
    if n < 2:
        raise ValueError(f"n must be at least 2 so that both classes appear, got {n}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")


def _class_sizes(n: int) -> tuple[int, int]:
    """Split ``n`` into (class 1, class 0) sizes; an odd ``n`` gives class 1 the extra point."""
    n0 = n // 2
    return n - n0, n0


def _shuffled(rng: np.random.Generator, X: NDArray[np.float64], y: NDArray[np.float64]):
    order = rng.permutation(len(y))
    return X[order], y[order]


def make_blobs(n: int = 100, *, seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Two fuzzy classes: Gaussians with identity covariance (book chapter *The data*).

    Class A (label 1) is $\mathcal N((-1, -1), I)$ and class B (label 0) is
    $\mathcal N((1, 1), I)$. ``n`` can be any integer from 2 up; when it is odd, class A gets
    the extra point. The rows are shuffled, so the labels are not in blocks.

    Args:
        n: number of samples.
        seed: seed for the generator; the same seed gives the same arrays everywhere.

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)`` and ``y`` of shape ``(n,)`` holding 0.0/1.0.

    Examples:
        >>> from logreg import make_blobs
        >>> X, y = make_blobs(5, seed=1)
        >>> X.shape, int(y.sum())
        ((5, 2), 3)
    """
    _check_n_seed(n, seed)
    rng = np.random.default_rng(seed)
    n1, n0 = _class_sizes(n)
    X = np.vstack(
        [
            rng.standard_normal((n1, 2)) + BLOB_CENTRES[1],
            rng.standard_normal((n0, 2)) + BLOB_CENTRES[0],
        ]
    )
    y = np.concatenate([np.ones(n1), np.zeros(n0)])
    return _shuffled(rng, X, y)


def make_separable(n: int = 100, *, seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Two linearly separable classes on opposite squares (book chapter *Separable data*).

    Class A (label 1) is uniform on $[-4, 0]^2$ and class B (label 0) uniform on
    $[0, 4]^2$, so the line $x_1 + x_2 = 0$ separates them. With ``l2 = 0`` the
    likelihood then has no finite maximiser (see `logreg.SeparationWarning`).

    Args:
        n: number of samples (odd is fine; class A gets the extra point).
        seed: seed for the generator.

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)`` and ``y`` of shape ``(n,)`` holding 0.0/1.0.

    Examples:
        >>> from logreg import make_separable
        >>> X, y = make_separable(4, seed=0)
        >>> bool((X[y == 1] <= 0).all() and (X[y == 0] >= 0).all())
        True
    """
    _check_n_seed(n, seed)
    rng = np.random.default_rng(seed)
    n1, n0 = _class_sizes(n)
    X = np.vstack([rng.uniform(-4.0, 0.0, (n1, 2)), rng.uniform(0.0, 4.0, (n0, 2))])
    y = np.concatenate([np.ones(n1), np.zeros(n0)])
    return _shuffled(rng, X, y)
