r"""Fast passes over the data: the arithmetic of `logreg.model`, arranged for speed.

`logreg.model` states the formulas; the solvers in `logreg.fitting` evaluate them at every
iteration, and on a tall ``X`` a direct transcription spends most of its time re-reading ``X``,
on one core, allocating temporaries. Three things make the difference, and none of them changes
what is computed:

* **One read of X per iteration.** A Newton step needs the new activations ``a + X dw + db``,
  the loss and residuals there, and the gradient ``X^T r``: two matrix-vector products with the
  element-wise work between them. `step_pass` does all of it one block of rows at a time, so each
  block of ``X`` is read from memory once and used twice while it is in cache.
* **All the cores the user allows.** NumPy's element-wise functions run on one core. Blocks go
  to a thread pool (NumPy releases the GIL in its loops and in BLAS calls) of as many threads as
  `thread_count` allows: the user's limits (threadpoolctl's, ``OMP_NUM_THREADS`` and its kin, the
  CPU affinity, a container's CPU quota) or `logreg.fit`'s ``n_threads``. One thread means no
  pool: the blocks run on the calling thread. BLAS's own thread count is left as the user set it
  (see `logreg._blas.blas_note`).
* **Small temporaries.** The element-wise work of a block uses block-sized temporaries; a pass
  allocates only its three results of ``n`` elements, not one per operation, which on a million
  rows would cost more than the arithmetic.

The blocks have a fixed size that depends only on the number of features, and partial sums are
added in block order, so the result is the same on any number of cores.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
import numbers
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from ._blas import _LIBRARIES, single_threaded_blas

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


#: The environment variables that limit the threads of a numerical library (OpenMP, OpenBLAS,
#: MKL, BLIS, Apple's Accelerate, numexpr); joblib's worker processes set them, so a fit inside a
#: ``GridSearchCV(n_jobs=...)`` worker takes its share of the machine and no more.
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def check_n_threads(n_threads: object) -> int | None:
    """``n_threads`` as ``None`` or a positive int, with an error that says what is accepted."""
    if n_threads is None:
        return None
    if isinstance(n_threads, (bool, np.bool_)) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(
            f"n_threads must be None (follow the limits the environment sets) or a positive "
            f"integer, got {type(n_threads).__name__} {n_threads!r}"
        )
    if int(n_threads) < 1:
        raise ValueError(
            f"n_threads must be None (follow the limits the environment sets) or a positive "
            f"integer, got {n_threads!r}; for 'all the cores allowed' pass None"
        )
    return int(n_threads)


def _env_limit(environ=os.environ) -> int | None:
    """The smallest positive integer among `THREAD_ENV_VARS` that are set (``OMP_NUM_THREADS``
    may be a list for nested levels, ``"4,2"``: its first entry counts), or ``None``."""
    found = []
    for name in THREAD_ENV_VARS:
        text = environ.get(name, "").split(",")[0].strip()
        if text.isdigit() and int(text) > 0:
            found.append(int(text))
    return min(found) if found else None


def _affinity_limit() -> int:
    """The CPUs this process may run on: its affinity mask where the OS has one, else all."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except OSError:  # pragma: no cover - seen on some sandboxes
            pass
    return os.cpu_count() or 1


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, ValueError):
        return None


def cgroup_cpu_limit(
    root: str | os.PathLike = "/sys/fs/cgroup", self_cgroup: str | os.PathLike = "/proc/self/cgroup"
) -> int | None:
    """The container's CPU quota, rounded up to whole CPUs, or ``None`` if there is none.

    cgroup v2: ``cpu.max`` holds ``"<quota> <period>"`` or ``"max <period>"``; cgroup v1:
    ``cpu.cfs_quota_us`` (``-1`` for none) over ``cpu.cfs_period_us``. Read in this process's
    own cgroup (from ``/proc/self/cgroup``) and in each parent up to the root, whose quotas
    apply as well; the smallest counts. A container often sees its own cgroup as the root, so
    the root itself is read too.
    """
    root = Path(root)
    v2, v1 = [], []
    for line in (_read(Path(self_cgroup)) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        rel = parts[2].lstrip("/")
        if parts[0] == "0" and parts[1] == "":
            v2.append(rel)
        elif "cpu" in parts[1].split(","):
            v1.append((parts[1], rel))

    def with_parents(base: Path, rel: str) -> list[Path]:
        dirs, here = [base], base
        for part in [p for p in rel.split("/") if p]:
            here = here / part
            dirs.append(here)
        return dirs

    quotas = []
    for rel in v2 or [""]:
        for directory in with_parents(root, rel):
            text = _read(directory / "cpu.max")
            if text:
                fields = text.split()
                if len(fields) == 2 and fields[0] != "max":
                    with contextlib.suppress(ValueError, ZeroDivisionError):
                        quotas.append(int(fields[0]) / int(fields[1]))
    for controllers, rel in v1 or [("cpu", "")]:
        for mount in {root / controllers, root / "cpu", root / "cpu,cpuacct", root / "cpuacct,cpu"}:
            for directory in with_parents(mount, rel):
                quota, period = _read(directory / "cpu.cfs_quota_us"), _read(directory / "cpu.cfs_period_us")
                try:
                    if quota is not None and period is not None and int(quota) > 0 and int(period) > 0:
                        quotas.append(int(quota) / int(period))
                except ValueError:
                    pass
    return max(1, math.ceil(min(quotas))) if quotas else None


@functools.cache
def _container_limit() -> int | None:
    """`cgroup_cpu_limit` of this process, read once (a container's quota is set when it starts)."""
    return cgroup_cpu_limit()


def _library_limit() -> int | None:
    """The smallest thread count among the native thread pools threadpoolctl found at import
    (NumPy's BLAS, and an OpenMP runtime if one was loaded): what ``threadpool_limits(1)`` sets."""
    counts = []
    for lib in _LIBRARIES.lib_controllers:
        try:
            counts.append(int(lib.num_threads))
        except Exception:  # pragma: no cover - a library that cannot report its count
            continue
    counts = [c for c in counts if c > 0]
    return min(counts) if counts else None


def thread_count(n_threads: int | None = None) -> int:
    """How many threads the passes of a fit run on: the one rule, decided here.

    * ``n_threads`` given (a positive integer): that many, whatever the environment says (it is
      the caller's explicit choice; it is not capped at the number of CPUs).
    * ``None`` (the default): the smallest of
        - the CPUs this process may run on (``os.sched_getaffinity``, else ``os.cpu_count()``);
        - the container's CPU quota, rounded up (`cgroup_cpu_limit`: cgroup v2 ``cpu.max``,
          v1 ``cpu.cfs_quota_us / cpu.cfs_period_us``);
        - every one of `THREAD_ENV_VARS` that is set (``OMP_NUM_THREADS=1`` means one thread);
        - the thread limits of the native libraries threadpoolctl sees, as
          ``threadpoolctl.threadpool_limits(1)`` sets them (read at each fit, so a ``with``
          block around the fit counts).

    One thread means no pool at all: every block runs on the calling thread. The number of
    threads never changes a result: blocks are fixed and summed in order.
    """
    explicit = check_n_threads(n_threads)
    if explicit is not None:
        return explicit
    limits = [_affinity_limit(), _container_limit(), _env_limit(), _library_limit()]
    return max(1, min(limit for limit in limits if limit is not None))


#: The thread count of the fit running in this context (`using_threads`); ``None`` outside a
#: fit, where each parallel pass asks `thread_count` itself.
_THREADS: contextvars.ContextVar[int | None] = contextvars.ContextVar("logreg_threads", default=None)


@contextlib.contextmanager
def using_threads(count: int):
    """Run the passes inside this context on ``count`` threads (the caller's among them)."""
    token = _THREADS.set(max(1, int(count)))
    try:
        yield
    finally:
        _THREADS.reset(token)


def current_threads() -> int:
    """The thread count the next pass will use: `using_threads`' or `thread_count`'s."""
    count = _THREADS.get()
    return thread_count() if count is None else count


_pool_lock = threading.Lock()
_pool_executor: ThreadPoolExecutor | None = None


def _pool(workers: int) -> ThreadPoolExecutor:
    """A thread pool with at least ``workers`` threads, started on first use (threads are only
    started as work arrives, so a larger pool than a pass needs costs nothing). A pool that is
    too small is replaced, not shut down: a fit in another thread may still be using it, and
    its threads end once it is no longer referenced."""
    global _pool_executor
    with _pool_lock:
        if _pool_executor is None or _pool_executor._max_workers < workers:
            _pool_executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="logreg")
        return _pool_executor


def _after_fork_in_child() -> None:
    """A process forked after a fit inherits the pool object but not its threads: work handed to
    it would wait forever. The child starts a pool of its own instead (and `logreg._blas` a fresh
    count of BLAS limits)."""
    global _pool_lock, _pool_executor
    _pool_lock, _pool_executor = threading.Lock(), None
    _container_limit.cache_clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def map_blocks(func: Callable[[slice], T], n_rows: int, rows: int, blas_limit: bool = False) -> list[T]:
    """``[func(block) for block in blocks]`` over blocks of ``rows`` rows, in order, on
    `current_threads` threads: the calling thread takes the first run of blocks, the pool's
    threads the others (none with one thread).

    Each thread takes one contiguous run of blocks (handing each block to the pool separately
    would cost more than a small block's work). With ``blas_limit``, BLAS is held to one thread
    while the blocks run (`single_threaded_blas`; only the Hessian asks for it, see `logreg._blas.blas_note`).
    """
    blocks = [slice(i, min(i + rows, n_rows)) for i in range(0, n_rows, rows)]
    with single_threaded_blas() if blas_limit else contextlib.nullcontext():
        return _map_blocks(func, blocks)


def _map_blocks(func: Callable[[slice], T], blocks: list[slice]) -> list[T]:
    if len(blocks) == 1:
        return [func(blocks[0])]
    threads = min(len(blocks), current_threads())
    if threads == 1:
        return [func(block) for block in blocks]
    bounds = [len(blocks) * k // threads for k in range(threads + 1)]
    runs = [blocks[bounds[k] : bounds[k + 1]] for k in range(threads)]

    def do(run: list[slice]) -> list[T]:
        return [func(block) for block in run]

    futures = [_pool(threads - 1).submit(do, run) for run in runs[1:]]
    try:
        first = do(runs[0])
    finally:
        wait(futures)  # they write into the caller's arrays: never return before they are done
    results = [first] + [future.result() for future in futures]
    return [result for run in results for result in run]


def map_row_blocks(
    func: Callable[[slice], T],
    X: Array,
    threading_min: int = THREADING_MIN_ELEMENTS,
    min_rows: int = 0,
    blas_limit: bool = False,
) -> list[T]:
    """`map_blocks` over the rows of ``X``, in blocks of `block_rows` rows (at least ``min_rows``);
    one call on the calling thread when ``X`` has fewer than ``threading_min`` elements."""
    n, d = X.shape
    if n * d < threading_min:
        return [func(slice(0, n))]
    return map_blocks(func, n, max(block_rows(d), min_rows), blas_limit)


def as_float64(block: NDArray) -> Array:
    """A block of rows of ``X`` in float64: the block itself if it is float64, else a converted
    copy of this block alone. So a float32 (or integer, or bool) ``X`` is never copied whole:
    each pass converts one cache-sized block at a time, and computes in double precision
    exactly what it would on ``X.astype(np.float64)``."""
    return block if block.dtype == np.float64 else block.astype(np.float64)


def activations(X: NDArray, w: Array, b: float) -> Array:
    """``X @ w + b`` in blocks of rows, on the pool: for a float32 ``X`` (or a strided view of
    one), without the float64 copy of all of it that NumPy's mixed-type product would make.
    A ``scipy.sparse`` ``X`` gets its own (single) product."""
    if not isinstance(X, np.ndarray):
        return np.asarray(X @ w, dtype=np.float64).ravel() + b
    a = np.empty(X.shape[0])

    def work(rows: slice) -> None:
        np.matmul(as_float64(X[rows]), w, out=a[rows])
        a[rows] += b

    map_row_blocks(work, X)
    return a


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
    parts = map_blocks(
        lambda b: loss_and_residual(a[b], minus_signs[b], residual[b], None if weights is None else weights[b]),
        a.size,
        VECTOR_BLOCK,
    )
    return math.fsum(parts), residual


class Pass:
    r"""What one pass over the data computed at the activations ``a``.

    ``nll``: the negative log-likelihood; ``residual``: $\sigma(a) - y$; ``xtr``:
    $X^\top r$ and ``sum_r``: $\sum_n r_n$ (the gradient's data terms); ``direction``: the
    activation change ``X v + c`` the pass added (kept so a line search can try shorter steps
    along it without touching ``X``).
    """

    __slots__ = ("a", "direction", "nll", "residual", "sum_r", "xtr")

    def __init__(self, a, direction, nll, residual, xtr, sum_r):
        self.a, self.direction, self.nll = a, direction, nll
        self.residual, self.xtr, self.sum_r = residual, xtr, sum_r


def step_pass(
    X: Array, minus_signs: Array, v: Array, c: float, base: Array | None = None, weights: Array | None = None
) -> Pass:
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
        Xb, db = as_float64(X[b]), direction[b]
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
        Xb = as_float64(X[b])
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
    mean, std, _ = column_stats_and_strided_variation(X, None, columns)
    return mean, std


def weighted_column_stats(X: Array, weights: Array, columns: Array | None = None) -> tuple[Array, Array]:
    """`column_stats` with sample weights: the weighted mean and standard deviation of each
    column, the same numbers as `column_stats` of ``X`` with each row repeated as often as its
    (integer) weight says. Rows of weight 0 do not count; deviations are measured from the first
    row of positive weight, so a column constant on those rows has a scale of exactly 0."""
    mean, std, _ = column_stats_and_strided_variation(X, weights, columns)
    return mean, std


def column_stats_and_strided_variation(
    X: Array, weights: Array | None, columns: Array | None = None, stride: int = 0
) -> tuple[Array, Array, NDArray[np.bool_] | None]:
    """`column_stats` (``weights`` None) or `weighted_column_stats`, and, with a ``stride`` k,
    from the same read of ``X``: whether each column takes more than one value on every k-th
    row (rows 0, k, 2k, ...; of those, the rows of positive weight, or all of them if none has
    one). That is exactly when `column_stats` of those rows gives it a scale above 0 (a column
    equal to one value on them has deviations of exactly 0), without reading them again."""
    if weights is None:
        first = 0
    else:
        first = int(np.flatnonzero(weights > 0)[0])
    origin = np.asarray(X[first] if columns is None else X[first, columns], dtype=np.float64)
    strided_weights = None
    reference = None
    if stride > 0:
        if weights is not None:
            strided_weights = weights[::stride]
            if not np.any(strided_weights > 0):
                strided_weights = None  # `_column_stats` measures such rows unweighted
        at = 0 if strided_weights is None else stride * int(np.flatnonzero(strided_weights > 0)[0])
        reference = X[at] if columns is None else X[at, columns]

    def work(rows: slice) -> tuple[tuple[float, Array, Array, Array, Array], NDArray[np.bool_] | None]:
        block = X[rows] if columns is None else X[rows, columns]
        varies = None
        if reference is not None:
            offset = -rows.start % stride
            strided = block[offset::stride]
            if strided_weights is not None:
                strided = strided[strided_weights[(rows.start + offset) // stride :][: strided.shape[0]] > 0]
            varies = np.any(strided != reference, axis=0)
        dev = as_float64(block) - origin
        return _block_moments(dev, None if weights is None else weights[rows]), varies

    parts = map_row_blocks(work, X)
    moments = [part[0] for part in parts]
    mass = float(X.shape[0]) if weights is None else math.fsum(part[0] for part in moments)
    mean, std = _pooled_stats(moments, mass, origin)
    if reference is None:
        return mean, std, None
    varies = np.zeros(origin.shape[0], dtype=bool)
    for part in parts:
        varies |= cast(NDArray[np.bool_], part[1])
    return mean, std, varies


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
    for part in map_row_blocks(lambda b: residual[b] @ as_float64(X[b]), X):
        xtr += part
    return xtr, float(np.sum(residual))


def hessian_terms(X: Array, s: Array) -> Array:
    r"""$\tilde X^\top S \tilde X$ with $\tilde X = [X \;\; \mathbf 1]$, without building $\tilde X$.

    Per block of rows, ``Z = sqrt(s) * X_b`` turns ``X_b^T diag(s) X_b`` into ``Z^T Z``, a product
    of an array with its own transpose, for which BLAS (``syrk``) computes one triangle: half the
    work of a general product. Blocks on the pool beat one BLAS call with BLAS's own threads on
    these tall, narrow blocks, whose small output BLAS does not split well. A block has at least
    ``D`` rows: its product costs (rows) x D^2 and adding up its D x D result D^2, so fewer rows
    would spend more on the adding than on the products (``benchmarks/NOTES.md``).

    While its blocks run, BLAS is held to one thread (`logreg._blas.blas_note` says why).
    """
    _, d = X.shape
    root = np.sqrt(s)

    def work(b: slice) -> tuple[Array, Array, float]:
        Xb, sb = as_float64(X[b]), s[b]
        Z = np.multiply(Xb, root[b][:, None])
        return Z.T @ Z, sb @ Xb, float(np.sum(sb))

    parts = map_row_blocks(work, X, min_rows=d, blas_limit=True)  # see `logreg._blas.blas_note`
    xtx, xts = np.zeros((d, d)), np.zeros(d)
    for part in parts:
        xtx += part[0]
        xts += part[1]
    H = np.empty((d + 1, d + 1))
    H[:d, :d] = xtx
    H[:d, d] = H[d, :d] = xts
    H[d, d] = math.fsum(p[2] for p in parts)
    return H
