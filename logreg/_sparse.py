r"""Sparse input: `logreg.fit`, prediction and the model functions on ``scipy.sparse`` data.

Text, counts and one-hot data are mostly zeros; stored densely, 200,000 x 20,000 at 0.05 %
density is 32 GB where its 2,000,000 non-zeros take 24 MB. Nothing here forms a dense copy of
``X``:

* **Input.** CSR and CSC matrices and arrays are used as they are (their values converted to
  float64 when they are not, which copies the non-zeros only); COO, BSR, DIA, LIL and DOK are
  converted to CSR once, which has the fast row slices and products the solvers need.
  Duplicate entries are summed (on a copy) so that every column statistic counts each value once.
* **Coordinates.** The solvers' change of variables (`logreg.fitting`) uses scales only here,
  $w_j = \phi_j / c_j$ with the centre left at 0 (the bias absorbs it), and the scales come from
  the stored values: `column_stats`.
* **Passes** are sparse products: ``X @ v`` and ``X.T @ r``, each $O(\mathrm{nnz})$.
  (They run on one core: SciPy's sparse products are single-threaded, and at a few
  milliseconds per product on the benchmark's data a pool would not pay for itself.)
* **Hessians.** $X^\top S X$ is a $(D+1) \times (D+1)$ dense matrix. It is formed (from a
  sparse product) only while that is affordable (`dense_hessian_ok`); above that, L-BFGS's
  certificate uses Hessian-vector products and conjugate gradients instead
  (`logreg._hessians.HessianOperator`), and Newton's method and BFGS, which need the dense matrix, refuse with an
  error that says so and points to L-BFGS.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ._options import DEFAULT_OPTIONS, SolverOptions
from ._passes import Pass, loss_and_residual
from .checks import NATIVE_FORMATS, check_sparse_finite, check_sparse_X, issparse  # noqa: F401 (used here and by callers of _sparse)

Array = NDArray[np.float64]

#: The checks of sparse input live with the other input checks (`logreg.checks`).
check_finite = check_sparse_finite


def _columns_of_entries(X) -> tuple[NDArray[np.intp], NDArray[np.intp] | None]:
    """For each stored value of ``X`` (in storage order): its column, and its row (``None`` for
    CSR, where only the columns are needed unless rows carry weights; see `_rows_of_entries`)."""
    if X.format == "csr":
        return X.indices, None
    return np.repeat(np.arange(X.shape[1]), np.diff(X.indptr)), X.indices


def _rows_of_entries(X) -> NDArray[np.intp]:
    if X.format == "csr":
        return np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    return X.indices


def column_stats(X, weights: Array | None = None) -> tuple[Array, Array]:
    r"""The (weighted) mean and standard deviation of each column of a sparse ``X``, from its
    stored values, without forming a dense column.

    With $m_j$ stored values $x_{nj}$ in column $j$ of $N$ rows (the other $N - m_j$ are 0),
    the mean is $\mu_j = \sum x_{nj} / N$ and the variance is exact in two passes over the stored
    values:

    $$
    \sigma_j^2 = \frac{1}{N}\Bigl(\sum_{\text{stored}} (x_{nj} - \mu_j)^2 + (N - m_j)\,\mu_j^2\Bigr),
    $$

    with weights $s_n$ in place of the counts (``N`` the total weight, $m_j$ the weight of the
    stored rows). The deviations are divided by each column's largest magnitude first, so that
    neither squares of tiny values underflow nor squares of huge ones overflow. A column with no
    stored value, or one value everywhere, has a scale of exactly 0. Each call reads every
    stored value (no subsample: that costs $O(\mathrm{nnz})$, and a rare feature is then never
    missed).
    """
    n, d = X.shape
    cols, rows = _columns_of_entries(X)
    data = X.data
    if weights is None:
        entry_w = None
        mass = float(n)
        col_mass = np.bincount(cols, minlength=d).astype(np.float64)
    else:
        entry_w = weights[rows if rows is not None else _rows_of_entries(X)]
        mass = math.fsum(weights)
        col_mass = np.bincount(cols, weights=entry_w, minlength=d).astype(np.float64)
        keep = entry_w > 0  # a value on a row of weight 0 does not count, not even in the range
        if not np.all(keep):
            cols, data, entry_w = cols[keep], data[keep], entry_w[keep]
    top = np.zeros(d)
    np.maximum.at(top, cols, np.abs(data))  # each column's largest magnitude
    unit = np.where(top > 0, top, 1.0)
    scaled = data / unit[cols]
    mean_scaled = np.bincount(cols, weights=scaled if entry_w is None else scaled * entry_w, minlength=d) / mass
    dev = scaled - mean_scaled[cols]
    np.multiply(dev, dev, out=dev)
    if entry_w is not None:
        dev *= entry_w
    # (np.bincount of no values is an integer array: the sum below makes a float one.)
    squares = np.bincount(cols, weights=dev, minlength=d) + np.maximum(mass - col_mass, 0.0) * mean_scaled**2
    std = unit * np.sqrt(np.maximum(squares, 0.0) / mass)
    # A column equal to one value on every (counted) row has an exact scale of 0.
    full = col_mass >= mass
    if np.any(full):
        lo = np.full(d, np.inf)
        np.minimum.at(lo, cols, data)
        hi = np.full(d, -np.inf)
        np.maximum.at(hi, cols, data)
        std[full & (lo == hi)] = 0.0
    std[top == 0] = 0.0
    return mean_scaled * unit, std


def step_pass(
    X, minus_signs: Array, v: Array, c: float, base: Array | None = None, weights: Array | None = None
) -> Pass:
    """`logreg._passes.step_pass` for a sparse ``X``: two sparse products, ``X v`` and ``X^T r``."""
    direction = X @ v
    direction += c
    a = direction if base is None else base + direction
    residual = np.empty_like(a)
    nll = loss_and_residual(a, minus_signs, residual, weights)
    return Pass(a, direction, nll, residual, X.T @ residual, float(np.sum(residual)))


def first_pass(X, residual: Array) -> tuple[Array, bool]:
    """`logreg._passes.first_pass` for a sparse ``X``: ``X^T r`` and whether the stored values
    are finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        finite = math.isfinite(float(np.sum(X.data)))
        return X.T @ residual, finite


def gradient_terms(X, residual: Array) -> tuple[Array, float]:
    """``(X^T r, sum(r))`` for a sparse ``X``."""
    return X.T @ residual, float(np.sum(residual))


def hessian_terms(X, s: Array) -> Array:
    r"""$\tilde X^\top S \tilde X$ with $\tilde X = [X \;\; \mathbf 1]$ for a sparse ``X``, as a
    dense $(D+1) \times (D+1)$ array (a sparse product, then made dense)."""
    d = X.shape[1]
    H = np.empty((d + 1, d + 1))
    weighted = sp.csr_matrix(X.multiply(s[:, None]))  # S X, as sparse as X
    H[:d, :d] = (X.T @ weighted).toarray()
    xts = X.T @ s
    H[:d, d] = H[d, :d] = xts
    H[d, d] = math.fsum(s)
    return H


def hessian_bytes(n_features: int) -> int:
    return 8 * (n_features + 1) ** 2


def dense_hessian_ok(X, options: SolverOptions = DEFAULT_OPTIONS) -> bool:
    """Whether L-BFGS may form dense Hessian estimates of the sparse ``X``: a factorisation costs
    ~(D+1)^3 / 3, a pass ~4 nnz (``options.dense_hessian_max_passes``)."""
    d = X.shape[1]
    if d > options.dense_hessian_max_features:
        return False
    return (d + 1) ** 3 / 3 <= options.dense_hessian_max_passes * 4 * max(X.nnz, 1)


def refuse_dense_hessian(method: str, X, options: SolverOptions = DEFAULT_OPTIONS) -> None:
    """Raise for a method that needs a dense (D+1) x (D+1) matrix when D is too large
    (``options.dense_hessian_max_features``)."""
    d = X.shape[1]
    if d > options.dense_hessian_max_features:
        what = "the Hessian" if method == "newton" else "the inverse-Hessian approximation"
        raise ValueError(
            f"method={method!r} needs a dense (D+1) x (D+1) matrix ({what}), "
            f"and this sparse X has D = {d:,} features: {hessian_bytes(d) / 1e9:.2g} GB and "
            f"~{(d + 1) ** 3 / 3:.1e} operations per factorisation. Use method='lbfgs', which "
            f"works on sparse X with any number of features (sparse input allows {method!r} up to "
            f"{options.dense_hessian_max_features:,} features)"
        )


def scale_columns(X, factors: Array):
    """``X`` with column ``j`` multiplied by ``factors[j]``: a new matrix of the same format that
    shares ``X``'s index arrays (only the stored values are copied)."""
    cols = X.indices if X.format == "csr" else np.repeat(np.arange(X.shape[1]), np.diff(X.indptr))
    return type(X)((X.data * factors[cols], X.indices, X.indptr), shape=X.shape)


def hessian_psi(X, s: Array, c: Array, penalty: Array) -> Array:
    r"""The Hessian in the solvers' psi coordinates (scales ``c``, no centre) as a dense array:
    $\tilde X_c^\top S \tilde X_c + \operatorname{diag}(p_j / c_j^2)$ with $X_c = X C^{-1}$,
    computed from $X_c$, so that neither tiny nor huge columns under- or overflow in
    $X^\top S X$ (``penalty``: the diagonal of the penalty's Hessian in (w, b))."""
    H = hessian_terms(scale_columns(X, 1.0 / c), s)
    d = X.shape[1]
    H[np.arange(d), np.arange(d)] += penalty[:d] / c / c  # not c ** 2, which can underflow
    H[d, d] += penalty[d]
    return H
