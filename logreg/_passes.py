r"""Fast passes over the data: the arithmetic of `logreg.model`, arranged for speed.

`logreg.model` states the formulas; the solvers in `logreg.fitting` evaluate them at every
iteration, and on a tall ``X`` a direct transcription spends most of its time re-reading ``X``,
on one core, allocating temporaries. Three things make the difference, and none of them changes
what is computed:

* **One read of X per iteration.** A Newton step needs the new activations ``a + X dw + db``,
  the loss and residuals there, and the gradient ``X^T r``: two matrix-vector products with the
  element-wise work between them. `step_pass` does all of it one block of rows at a time, so each
  block of ``X`` is read from memory once and used twice while it is in cache.
* **All cores.** NumPy's element-wise functions run on one core. Blocks go to a thread pool
  (NumPy releases the GIL in its loops and in BLAS calls), with BLAS itself held to one thread
  meanwhile, so the two levels of threading do not compete.
* **Small temporaries.** The element-wise work of a block uses block-sized temporaries; a pass
  allocates only its three results of ``n`` elements, not one per operation, which on a million
  rows would cost more than the arithmetic.

The blocks have a fixed size that depends only on the number of features, and partial sums are
added in block order, so the result is the same on any number of cores.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

Array = NDArray[np.float64]
T = TypeVar("T")

#: Elements of work per block: a block of ``X`` holds about this many numbers (2 MiB), small
#: enough to stay in cache between the two products, large enough that NumPy's per-call overhead
#: is negligible.
BLOCK_ELEMENTS = 1 << 18

#: Below this many elements of ``X`` the work runs on the calling thread: handing blocks to a pool
#: costs more than it saves.
THREADING_MIN_ELEMENTS = 1 << 20

#: Elements per block for purely element-wise work (no ``X``): its few temporaries stay in cache.
VECTOR_BLOCK = 1 << 15

#: Activations below ``-CLIP`` are clipped before ``exp(-z)``: ``exp(700)`` is finite, and there
#: $\sigma(-z) = 1$ to double precision.
CLIP = 700.0


def block_rows(n_features: int) -> int:
    """Rows per block for data with ``n_features`` columns."""
    return max(64, BLOCK_ELEMENTS // max(n_features, 1))


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="logreg")


def _after_fork_in_child() -> None:
    """A process forked after a fit inherits the pool object but not its threads: work handed to
    it would wait forever. The child starts a pool of its own instead, and a fresh count of BLAS
    limits (`single_threaded_blas`): a fork during another thread's fit copies a count that no
    thread of the child will bring back to zero, and perhaps a held lock."""
    global _limit_lock, _limit_users, _limiter
    _pool.cache_clear()
    _limit_lock, _limit_users, _limiter = threading.Lock(), 0, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# NumPy's BLAS, found once, at import (about 10 ms: threadpoolctl scans the loaded libraries),
# rather than inside the first fit. Only NumPy's BLAS is called from the pool's threads.
_BLAS = ThreadpoolController().select(user_api="blas")


_limit_lock = threading.Lock()
_limit_users = 0
_limiter = None


@contextlib.contextmanager
def single_threaded_blas():
    """A context in which BLAS uses one thread, so that it does not compete with the pool's threads.

    `logreg.fit` runs its solvers in it, not only the pool's work: after a call on several
    threads, OpenBLAS's idle threads keep spinning for a while, and measured at 100,000 x 200
    they made the next two passes over ``X`` 15-20 ms slower each.

    The limit is process-wide, so it is shared: the first context in sets it, the last one out
    restores BLAS's own setting. (One limit per context, each restoring what it found, left BLAS
    at one thread for good when fits ran in several threads at once: the last to finish restored
    another's limit.)
    """
    global _limit_users, _limiter
    with _limit_lock:
        if _limit_users == 0:
            _limiter = _BLAS.limit(limits=1)
        _limit_users += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit_users -= 1
            if _limit_users == 0:
                _limiter.restore_original_limits()
                _limiter = None


def map_blocks(func: Callable[[slice], T], n_rows: int, rows: int) -> list[T]:
    """``[func(block) for block in blocks]`` over blocks of ``rows`` rows, in order, on all cores.

    Each thread takes one contiguous run of blocks (handing each block to the pool separately
    would cost more than a small block's work).
    """
    blocks = [slice(i, min(i + rows, n_rows)) for i in range(0, n_rows, rows)]
    threads = min(len(blocks), os.cpu_count() or 1)
    if threads == 1:
        return [func(block) for block in blocks]
    bounds = [len(blocks) * k // threads for k in range(threads + 1)]
    runs = [blocks[bounds[k] : bounds[k + 1]] for k in range(threads)]
    with single_threaded_blas():
        results = list(_pool().map(lambda run: [func(block) for block in run], runs))
    return [result for run in results for result in run]


def map_row_blocks(func: Callable[[slice], T], X: Array, threading_min: int = THREADING_MIN_ELEMENTS,
                   min_rows: int = 0) -> list[T]:
    """`map_blocks` over the rows of ``X``, in blocks of `block_rows` rows (at least ``min_rows``);
    one call on the calling thread when ``X`` has fewer than ``threading_min`` elements."""
    n, d = X.shape
    if n * d < threading_min:
        return [func(slice(0, n))]
    return map_blocks(func, n, max(block_rows(d), min_rows))


def loss_and_residual(a: Array, minus_signs: Array, residual: Array, weights: Array | None = None) -> float:
    r"""The negative log-likelihood of activations ``a``; writes $\sigma(a_n) - y_n$ into ``residual``.

    With signs $s_n = 2y_n - 1$ (the caller passes ``minus_signs``, $-s_n = 1 - 2y_n$, which
    saves two operations per call), the signed activation $z_n = s_n a_n$ and $u_n = e^{-z_n}$,

    $$
    -\log\sigma(z_n) = \log(1 + u_n), \qquad \sigma(-z_n) = \frac{u_n}{1 + u_n},
    \qquad \sigma(a_n) - y_n = -s_n\,\sigma(-z_n).
    $$

    Both are accurate for every activation. $u_n / (1 + u_n)$ has no cancellation whether
    $u_n$ is large or small. $\log(1 + u_n)$ is taken as $\log v_n + (u_n - (v_n - 1)) / v_n$
    with $v_n = 1 + u_n$ rounded: the second term is the first-order correction for the rounding
    of $v_n$, so a tiny $u_n$ (a confidently right point) keeps its digits, as with ``log1p``,
    at the price of a ``log``, which is about half that of ``log1p``. So that $u_n$ cannot
    overflow, $-z_n$ is clipped at $700$ first (only if some value needs it); there
    $\sigma(-z_n) = 1$ to double precision, and the loss, $-z_n$ to double precision, is restored
    by adding back what was clipped. One exponential serves the loss and the residual.

    The blocks this runs on are small and the thread pool's threads share Python's lock, which
    each NumPy call takes and releases: every call saved is worth more than its arithmetic.

    With sample ``weights`` $s_n$, the loss is $\sum_n s_n (-\log\sigma(z_n))$ and the residual
    written is $s_n(\sigma(a_n) - y_n)$, so that ``r^T X`` is the weighted gradient's data term.
    """
    if weights is not None:
        return _weighted_loss_and_residual(a, minus_signs, residual, weights)
    x = np.multiply(minus_signs, a)  # -z
    restored = 0.0
    if x.max() > CLIP:
        restored = float(np.sum(np.maximum(x - CLIP, 0.0)))
        np.minimum(x, CLIP, out=x)
    u = np.exp(x, out=x)
    v = np.add(u, 1.0)
    nll = float(np.sum(np.log(v, out=residual))) + restored
    correction = np.subtract(v, 1.0, out=residual)
    np.subtract(u, correction, out=correction)
    nll += float(np.sum(np.divide(correction, v, out=correction)))
    np.divide(u, v, out=residual)
    np.multiply(residual, minus_signs, out=residual)
    return nll


def _weighted_loss_and_residual(a: Array, minus_signs: Array, residual: Array, weights: Array) -> float:
    """`loss_and_residual` with sample weights: the same arithmetic, each row's loss and residual
    multiplied by its weight (a separate function, so the unweighted path keeps its few calls)."""
    x = np.multiply(minus_signs, a)  # -z
    excess = np.maximum(x - CLIP, 0.0) if x.max() > CLIP else None
    if excess is not None:
        np.minimum(x, CLIP, out=x)
    u = np.exp(x, out=x)
    v = np.add(u, 1.0)
    loss = np.log(v)
    correction = np.subtract(v, 1.0, out=residual)
    np.subtract(u, correction, out=correction)
    loss += np.divide(correction, v, out=correction)
    if excess is not None:
        loss += excess
    nll = float(weights @ loss)
    np.divide(u, v, out=residual)
    np.multiply(residual, minus_signs, out=residual)
    np.multiply(residual, weights, out=residual)
    return nll


def nll_and_residual(a: Array, minus_signs: Array, weights: Array | None = None) -> tuple[float, Array]:
    """`loss_and_residual` over all of ``a``, on all cores: the loss and the residuals."""
    residual = np.empty_like(a)
    parts = map_blocks(lambda b: loss_and_residual(a[b], minus_signs[b], residual[b],
                                                   None if weights is None else weights[b]), a.size, VECTOR_BLOCK)
    return math.fsum(parts), residual


class Pass:
    r"""What one pass over the data computed at the activations ``a``.

    ``nll``: the negative log-likelihood; ``residual``: $\sigma(a) - y$; ``xtr``:
    $X^\top r$ and ``sum_r``: $\sum_n r_n$ (the gradient's data terms); ``direction``: the
    activation change ``X v + c`` the pass added (kept so a line search can try shorter steps
    along it without touching ``X``).
    """

    __slots__ = ("a", "direction", "nll", "residual", "xtr", "sum_r")

    def __init__(self, a, direction, nll, residual, xtr, sum_r):
        self.a, self.direction, self.nll = a, direction, nll
        self.residual, self.xtr, self.sum_r = residual, xtr, sum_r


def step_pass(X: Array, minus_signs: Array, v: Array, c: float, base: Array | None = None,
              weights: Array | None = None) -> Pass:
    """Move the activations to ``base + X v + c`` (or ``X v + c``) and evaluate there, in one read of X
    (with sample ``weights``, the weighted loss and residuals: see `loss_and_residual`).

    Per block of rows: the product ``X_b v``, the loss and residuals (`loss_and_residual`), and
    ``r_b^T X_b``, while ``X_b`` is still in cache.
    """
    n, d = X.shape
    direction = np.empty(n)
    a = direction if base is None else np.empty(n)
    residual = np.empty(n)

    def work(b: slice) -> tuple[float, Array]:
        Xb, db = X[b], direction[b]
        np.matmul(Xb, v, out=db)
        db += c
        if base is not None:
            np.add(base[b], db, out=a[b])
        nll = loss_and_residual(a[b], minus_signs[b], residual[b], None if weights is None else weights[b])
        return nll, residual[b] @ Xb

    parts = map_row_blocks(work, X)
    xtr = np.zeros(d)
    for part in parts:
        xtr += part[1]
    return Pass(a, direction, math.fsum(p[0] for p in parts), residual, xtr, float(np.sum(residual)))


def first_pass(X: Array, residual: Array) -> tuple[Array, bool]:
    """``X^T r``, and whether every element of ``X`` is finite, from one read of ``X``.

    Per block of rows: the sum of ``X_b``, NaN or infinite whenever an element of the block is
    (or when huge finite values overflow), and ``r_b^T X_b`` while ``X_b`` is still in cache.
    So a fit's first gradient comes with the check that ``X`` is finite, for little more than
    the cost of the check alone.
    """
    def work(b: slice) -> tuple[bool, Array]:
        Xb = X[b]
        with np.errstate(over="ignore", invalid="ignore"):
            finite = math.isfinite(float(np.sum(Xb)))
            return finite, residual[b] @ Xb

    parts = map_row_blocks(work, X)
    xtr = np.zeros(X.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):  # +inf and -inf in different blocks
        for part in parts:
            xtr += part[1]
    return xtr, all(part[0] for part in parts)


def column_stats(X: Array, columns: Array | None = None) -> tuple[Array, Array]:
    """The mean and the standard deviation of each column of ``X`` (or of ``X[:, columns]``), in
    one read, without a copy of ``X``.

    Deviations are measured from the first row, so that a constant column is exactly zero: its
    standard deviation is exactly 0 and its mean exactly its value (measured from a computed
    mean instead, a column of 0.1s has a "deviation" of about 1e-14). Each block of rows is
    centred on its own mean, and the blocks are combined with the update of Chan, Golub and
    LeVeque, which adds each block's squared deviations and its mean's offset from the overall
    mean; a single block gives exactly the two-pass result.

    No column's scale under- or overflows, whatever its units: each block's deviations are
    divided by a power of two near their largest magnitude before they are squared (squares of
    values below about 1e-154 are 0 in double precision, of values above 1e154 infinite). A power
    of two changes no digit, so in the usual range the result is the same to the last bit.
    """
    origin = np.asarray(X[0] if columns is None else X[0, columns], dtype=np.float64)

    def work(rows: slice) -> tuple[float, Array, Array, Array, Array]:
        block = X[rows] if columns is None else X[rows, columns]
        dev = block - origin
        return _block_moments(dev, None)

    return _pooled_stats(map_row_blocks(work, X), float(X.shape[0]), origin)


def weighted_column_stats(X: Array, weights: Array, columns: Array | None = None) -> tuple[Array, Array]:
    """`column_stats` with sample weights: the weighted mean and standard deviation of each
    column, the same numbers as `column_stats` of ``X`` with each row repeated as often as its
    (integer) weight says. Rows of weight 0 do not count; deviations are measured from the first
    row of positive weight, so a column constant on those rows has a scale of exactly 0."""
    first = int(np.flatnonzero(weights > 0)[0])
    origin = np.asarray(X[first] if columns is None else X[first, columns], dtype=np.float64)

    def work(rows: slice) -> tuple[float, Array, Array, Array, Array]:
        dev = (X[rows] if columns is None else X[rows, columns]) - origin
        return _block_moments(dev, weights[rows])

    parts = map_row_blocks(work, X)
    return _pooled_stats(parts, math.fsum(part[0] for part in parts), origin)


def _block_moments(dev: Array, sw: Array | None) -> tuple[float, Array, Array, Array, Array]:
    """One block's ``(mass, sum, mean, sum of squares about the mean, exponent)`` of the
    deviations ``dev`` (modified in place), all but the mass and the exponent in units of
    ``2**exponent``, a power of two per column at the block's largest deviation."""
    # Deviations that overflowed (values near 1e308 of both signs) give an infinite or NaN
    # scale, which `fit` reports as a column in units too extreme.
    with np.errstate(invalid="ignore", over="ignore"):
        largest = np.maximum(dev.max(axis=0), -dev.min(axis=0))
        exponent = np.frexp(largest)[1]
        dev *= np.ldexp(1.0, -exponent)
        if sw is None:
            mass = float(dev.shape[0])
            total = dev.sum(axis=0)
        else:
            mass = float(np.sum(sw))
            total = sw @ dev
        block_mean = total / mass if mass > 0 else np.zeros_like(total)
        dev -= block_mean
        np.multiply(dev, dev, out=dev)
        squares = dev.sum(axis=0) if sw is None else sw @ dev
    return mass, total, block_mean, squares, exponent


def _pooled_stats(parts: list, mass: float, origin: Array) -> tuple[Array, Array]:
    """Mean and standard deviation of all rows from per-block ``(mass, sum of deviations, block
    mean, sum of squared deviations from the block mean, exponent)`` (`_block_moments`),
    deviations taken from ``origin`` (Chan, Golub & LeVeque's pairwise update: each block's
    squares plus its mass times the squared distance of its mean from the overall one), brought
    to one power of two per column, the largest of the blocks'."""
    top = np.max([part[4] for part in parts], axis=0)
    total = np.zeros(origin.shape[0])
    for part in parts:
        total += np.ldexp(part[1], part[4] - top)
    shift = total / mass
    squares = np.zeros(origin.shape[0])
    for block_mass, _, block_mean, block_squares, exponent in parts:
        squares += np.ldexp(block_squares, 2 * (exponent - top))
        if len(parts) > 1:
            squares += block_mass * (np.ldexp(block_mean, exponent - top) - shift) ** 2
    return origin + np.ldexp(shift, top), np.ldexp(np.sqrt(squares / mass), top)


def gradient_terms(X: Array, residual: Array) -> tuple[Array, float]:
    """``(X^T r, sum(r))`` in blocks, on all cores."""
    xtr = np.zeros(X.shape[1])
    for part in map_row_blocks(lambda b: residual[b] @ X[b], X):
        xtr += part
    return xtr, float(np.sum(residual))


def hessian_terms(X: Array, s: Array) -> Array:
    r"""$\tilde X^\top S \tilde X$ with $\tilde X = [X \;\; \mathbf 1]$, without building $\tilde X$.

    Per block of rows, ``Z = sqrt(s) * X_b`` turns ``X_b^T diag(s) X_b`` into ``Z^T Z``, a product
    of an array with its own transpose, for which BLAS (``syrk``) computes one triangle: half the
    work of a general product. (Measured: blocks on the pool beat one BLAS call with BLAS's own
    threads on these tall, narrow blocks, whose small output BLAS does not split well.) A block
    has at least ``D`` rows: its product costs (rows) x D^2 and adding up its D x D result D^2,
    and with the cache-sized blocks of a pass, 262 rows of 1,000 features, the adding and the
    small products took 320 ms where blocks of 1,000 rows take 176 ms (10,000 x 1,000).
    """
    n, d = X.shape
    root = np.sqrt(s)

    def work(b: slice) -> tuple[Array, Array, float]:
        Xb, sb = X[b], s[b]
        Z = np.multiply(Xb, root[b][:, None])
        return Z.T @ Z, sb @ Xb, float(np.sum(sb))

    parts = map_row_blocks(work, X, min_rows=d)
    xtx, xts = np.zeros((d, d)), np.zeros(d)
    for part in parts:
        xtx += part[0]
        xts += part[1]
    H = np.empty((d + 1, d + 1))
    H[:d, :d] = xtx
    H[:d, d] = H[d, :d] = xts
    H[d, d] = math.fsum(p[2] for p in parts)
    return H
