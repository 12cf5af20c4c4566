"""BLAS's threads: held to one only around the solvers' dense linear algebra, and why.

The passes over the data run on `logreg._passes`' own thread pool; BLAS keeps the thread count
the user set, except in short windows (`single_threaded_blas`) where OpenBLAS would otherwise
oversubscribe the cores (`blas_note`). The measurements are in ``benchmarks/NOTES.md``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading

from threadpoolctl import ThreadpoolController

# The native thread pools (NumPy's BLAS among them), found once, at import, rather than inside
# the first fit: threadpoolctl scans the loaded libraries.
_LIBRARIES = ThreadpoolController()
_BLAS = _LIBRARIES.select(user_api="blas")


_limit_lock = threading.Lock()


_limit_users = 0


_limiter = None


def blas_note() -> None:
    """What `logreg` does with BLAS's threads, and why (documentation only).

    A fit does not hold BLAS to one thread while it runs (it used to, for the whole fit,
    process-wide). It does so only in short windows around the solvers' dense linear algebra,
    where it cannot be avoided with NumPy's OpenBLAS. (The measurements behind each point are in
    ``benchmarks/NOTES.md``.)

    * The passes over the data (``X v``, ``r^T X`` per block: every L-BFGS iteration, most of
      a fit's time) call BLAS's ``gemv`` on blocks of ``_passes.BLOCK_ELEMENTS`` numbers, which
      OpenBLAS runs on the calling thread: it splits a ``gemv`` over its threads only above a size
      threshold that blocks of 2 MiB stay below. No limit is needed while they run, and none
      is set: another thread of the program keeps BLAS's threads meanwhile.
    * The Hessian (``_passes.hessian_terms``: a ``syrk`` per block), its Cholesky factorisation
      and solves, and the L-BFGS Hessian estimate are split by OpenBLAS over its threads at any
      size, and its idle threads then spin for a while: on the pool's threads that
      oversubscribes the cores and slows a fit several-fold. OpenBLAS's pthreads build, the one
      NumPy's wheels ship, has a single, process-wide thread count: its
      ``openblas_set_num_threads_local`` is not local there (called on one thread, it changed
      the count every other thread sees: tested). So BLAS is held to one thread
      (`single_threaded_blas`) while these steps run, and only then: for their duration,
      another thread's BLAS calls run on one thread too. When BLAS already runs on one
      thread (``threadpool_limits(1)``, ``OMP_NUM_THREADS=1``), nothing is changed at all.
    """


@contextlib.contextmanager
def single_threaded_blas():
    """A context in which BLAS uses one thread, so that it does not compete with the pool's threads.

    `hessian_terms` and the solvers' dense linear algebra use it, and nothing else (see `blas_note`).

    The limit is process-wide, so it is shared: the first context in sets it, the last one out
    restores BLAS's own setting. (One limit per context, each restoring what it found, left BLAS
    at one thread for good when fits ran in several threads at once: the last to finish restored
    another's limit.) When every BLAS already runs on one thread, nothing is changed.
    """
    global _limit_users, _limiter
    with _limit_lock:
        if _limit_users == 0 and _limiter is None and any(lib.num_threads > 1 for lib in _BLAS.lib_controllers):
            _limiter = _BLAS.limit(limits=1)
        _limit_users += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit_users -= 1
            if _limit_users == 0 and _limiter is not None:
                _limiter.restore_original_limits()
                _limiter = None


def _one_blas_thread(func):
    """Run ``func`` with BLAS held to one thread: the solvers' dense linear algebra (Hessians,
    their factorisations and solves, the Hessian estimate), and nothing else of a fit.

    OpenBLAS splits a ``syrk`` or a Cholesky factorisation over its threads even at these
    sizes, and its idle threads then spin, slowing a fit several-fold on the pool's threads. Its
    thread count is process-wide, so for the duration of these steps only, another thread's BLAS
    calls run on one thread too (`blas_note`; the measurements are in
    ``benchmarks/NOTES.md``).
    """

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        with single_threaded_blas():
            return func(*args, **kwargs)

    return wrapped


def _after_fork_in_child() -> None:
    """A fresh count of BLAS limits in a forked child: a fork during another thread's fit copies a
    count that no thread of the child will bring back to zero, and perhaps a held lock."""
    global _limit_lock, _limit_users, _limiter
    _limit_lock, _limit_users, _limiter = threading.Lock(), 0, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
