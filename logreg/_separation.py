"""Whether the classes are linearly separable: the exact linear program, and the cheap route
after a fit (the rows nearest its boundary first)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import checks as v
from ._options import SolverOptions
from ._passes import activations

__all__ = ["is_separable"]

Array = NDArray[np.float64]


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


def _is_separable_sparse(X, signs: Array, linprog) -> bool:
    """`is_separable`'s linear program for a sparse ``X``, with a sparse constraint matrix: the
    columns scaled (not centred, which would fill them in; the bias column absorbs the shift)."""
    import scipy.sparse as sp

    from ._sparse import column_stats as sparse_column_stats

    _, scale = sparse_column_stats(X)
    Xs = sp.csr_matrix(X @ sp.diags(1.0 / np.where(scale > 0, scale, 1.0)))
    margins = sp.csr_matrix(sp.diags(signs) @ sp.hstack([Xs, sp.csr_matrix(np.ones((X.shape[0], 1)))]))
    res = linprog(
        c=-np.asarray(margins.sum(axis=0)).ravel(),
        A_ub=-margins,
        b_ub=np.zeros(X.shape[0]),
        bounds=[(-1.0, 1.0)] * margins.shape[1],
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - HiGHS solves this bounded, feasible LP
        raise RuntimeError(f"separability check failed: {res.message}")
    row_scale = float(np.sum(abs(margins).max(axis=1).toarray()))
    return -res.fun > 1e-7 * max(row_scale, 1.0)
