"""Threads that obey the user's limits, BLAS left alone, and float32 input not copied whole
(issue 14, item 4).

The pool's size is decided by one function, `logreg._passes.thread_count`; these tests check
each limit it reads, that one thread starts no pool, that a fit does not change BLAS's thread
count where another thread of the program would see it, and that a float32 ``X`` is converted
block by block (memory measured with tracemalloc) to the same result as its float64 copy.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import textwrap
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import logreg
from logreg import _blas
from logreg import _passes as P

REPO = Path(__file__).resolve().parents[2]


def _data(n, d, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) * 0.3 + rng.standard_normal(n) > 0).astype(float)
    return X.astype(dtype), y


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def _run(code: str, env: dict | None = None) -> str:
    """``code`` in a fresh interpreter (the package from this tree), its stdout."""
    full_env = {k: v for k, v in os.environ.items() if k not in P.THREAD_ENV_VARS}
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
        check=True,
    ).stdout.strip()


# --- the rule: each limit it reads ---------------------------------------------------------


def test_threadpool_limits_of_one_means_one_thread():
    with threadpool_limits(1):
        assert P.thread_count() == 1
    assert P.thread_count() == min(
        P._affinity_limit(), P._container_limit() or 10**9, P._env_limit() or 10**9, P._library_limit() or 10**9
    )


def test_an_explicit_n_threads_wins_over_every_limit():
    with threadpool_limits(1):
        assert P.thread_count(3) == 3
    assert P.thread_count(np.int64(2)) == 2


@pytest.mark.parametrize("name", ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"])
def test_thread_environment_variables_are_obeyed(name):
    code = """
        from logreg import _passes
        print(_passes.thread_count(), _passes._env_limit())
    """
    assert _run(code, {name: "1"}) == "1 1"


def test_environment_values_are_read_as_the_user_meant():
    assert P._env_limit({}) is None
    assert P._env_limit({"OMP_NUM_THREADS": "4,2"}) == 4  # nested levels: the outer one
    assert P._env_limit({"OMP_NUM_THREADS": "6", "MKL_NUM_THREADS": "3"}) == 3
    assert P._env_limit({"OMP_NUM_THREADS": "", "OPENBLAS_NUM_THREADS": "zero"}) is None
    assert P._env_limit({"OMP_NUM_THREADS": "0"}) is None  # not a limit: ignored


def test_cpu_affinity_is_obeyed(monkeypatch):
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    monkeypatch.setattr(P.os, "sched_getaffinity", lambda pid: {0})
    assert P._affinity_limit() == 1
    assert P.thread_count() == 1


def test_a_process_pinned_to_one_cpu_fits_without_a_pool():
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no CPU affinity on this platform")
    code = """
        import os, threading, numpy as np
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        import logreg
        from logreg import _passes
        rng = np.random.default_rng(0)
        X = rng.standard_normal((200_000, 10)); y = (rng.random(200_000) < 0.5).astype(float)
        logreg.fit(X, y, l2=1.0)
        print(_passes.thread_count(), sum(t.name.startswith("logreg") for t in threading.enumerate()))
    """
    assert _run(code) == "1 0"


def _cgroup(tmp_path, files: dict[str, str], self_cgroup: str) -> int | None:
    for rel, text in files.items():
        path = tmp_path / "fs" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    (tmp_path / "self").write_text(self_cgroup)
    return P.cgroup_cpu_limit(tmp_path / "fs", tmp_path / "self")


def test_cgroup_v2_quota_is_rounded_up_to_whole_cpus(tmp_path):
    assert _cgroup(tmp_path, {"cpu.max": "150000 100000"}, "0::/\n") == 2


def test_cgroup_v2_without_a_quota_is_no_limit(tmp_path):
    assert _cgroup(tmp_path, {"cpu.max": "max 100000"}, "0::/\n") is None


def test_cgroup_v2_the_smallest_quota_of_the_cgroup_and_its_parents_counts(tmp_path):
    files = {"cpu.max": "max 100000", "a/cpu.max": "100000 100000", "a/b/cpu.max": "400000 100000"}
    assert _cgroup(tmp_path, files, "0::/a/b\n") == 1


def test_cgroup_v1_cfs_quota(tmp_path):
    files = {"cpu,cpuacct/cpu.cfs_quota_us": "250000", "cpu,cpuacct/cpu.cfs_period_us": "100000"}
    assert _cgroup(tmp_path, files, "4:memory:/x\n2:cpu,cpuacct:/\n") == 3
    files = {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}
    assert _cgroup(tmp_path / "none", files, "1:cpu:/\n") is None


def test_no_cgroup_files_is_no_limit(tmp_path):
    (tmp_path / "fs").mkdir()
    assert P.cgroup_cpu_limit(tmp_path / "fs", tmp_path / "missing") is None


# --- n_threads: validated, and it decides the threads that do the work ---------------------


@pytest.mark.parametrize(
    "bad,error",
    [
        (0, ValueError),
        (-1, ValueError),
        (1.5, TypeError),
        (True, TypeError),
        ("2", TypeError),
        (np.bool_(True), TypeError),
    ],
)
def test_n_threads_is_validated_with_a_clear_error(bad, error):
    X, y = _data(200, 3)
    with pytest.raises(error, match=r"n_threads must be None .* or a positive integer"):
        logreg.fit(X, y, n_threads=bad)


def test_the_estimator_takes_n_threads():
    pytest.importorskip("sklearn")
    from sklearn.base import clone

    X, y = _data(2_000, 4)
    model = logreg.LogisticRegression(n_threads=1).fit(X, y)
    assert clone(model).get_params()["n_threads"] == 1
    assert model.result_ == logreg.fit(X, y, l2=0.5)
    with pytest.raises(ValueError, match="n_threads"):
        logreg.LogisticRegression(n_threads=0).fit(X, y)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_blocks_run_on_exactly_the_threads_allowed(count):
    """``count`` blocks, each waiting for all ``count`` to be running at once: they are."""
    barrier = threading.Barrier(count)

    def work(block):
        barrier.wait(timeout=30)
        return threading.get_ident()

    with P.using_threads(count):
        seen = P.map_blocks(work, count, 1)
        assert len(set(P.map_blocks(lambda b: threading.get_ident(), 1000, 1))) <= count
    assert seen[0] == threading.get_ident()  # the calling thread works too
    assert len(set(seen)) == count


def test_one_thread_starts_no_pool_thread():
    """In a fresh process: ``n_threads=1``, ``threadpool_limits(1)`` and ``OMP_NUM_THREADS=1``
    each fit a large X without starting any thread; the default does start the pool."""
    code = """
        import threading, numpy as np
        from threadpoolctl import threadpool_limits
        import logreg
        rng = np.random.default_rng(0)
        X = rng.standard_normal((300_000, 10)); y = (rng.random(300_000) < 0.5).astype(float)
        def pool_threads():
            return sum(t.name.startswith("logreg") for t in threading.enumerate())
        for method in ("lbfgs", "newton", "bfgs"):
            logreg.fit(X, y, l2=1.0, method=method, n_threads=1)
        with threadpool_limits(1):
            logreg.fit(X, y, l2=1.0)
        before = pool_threads()
        logreg.fit(X, y, l2=1.0, n_threads=2)
        print(before, pool_threads())
    """
    assert _run(code) == "0 1"
    assert _run(code.replace("n_threads=2", "n_threads=None"), {"OMP_NUM_THREADS": "1"}) == "0 0"


def test_results_do_not_depend_on_n_threads():
    X, y = _data(150_000, 12)
    fits = [logreg.fit(X, y, l2=1.0, method=method, n_threads=k) for method in ("lbfgs", "newton") for k in (1, 2, 3)]
    assert fits[0] == fits[1] == fits[2]
    assert fits[3] == fits[4] == fits[5]


# --- BLAS: not changed where another thread would see it -----------------------------------


class _Watcher:
    """Another thread of "the user's program", asked for BLAS's thread counts on demand."""

    def __init__(self):
        self.requests, self.answers = queue.Queue(), queue.Queue()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.requests.get() is not None:
            self.answers.put(blas_threads())

    def read(self) -> list[int]:
        self.requests.put(True)
        return self.answers.get(timeout=30)

    def stop(self):
        self.requests.put(None)
        self.thread.join()


@pytest.mark.parametrize("method", ["lbfgs", "newton", "bfgs"])
def test_blas_thread_count_is_unchanged_during_and_after_the_passes_of_a_fit(monkeypatch, method):
    """Another thread reads BLAS's thread count at every pass over the data of a fit: it is
    what it was before (the fit used to hold BLAS at one thread for all of its duration).
    Only the dense linear algebra (`logreg._blas._one_blas_thread`) may hold it, and it restores it."""
    before = blas_threads()
    if max(before) == 1:
        pytest.skip("BLAS runs on one thread here: nothing to tell apart")
    watcher = _Watcher()
    readings = []
    real = P.step_pass  # the dense passes, as `_Problem.passes` calls them

    def spying_step_pass(*args, **kwargs):
        readings.append(watcher.read())
        return real(*args, **kwargs)

    monkeypatch.setattr(P, "step_pass", spying_step_pass)
    X, y = _data(200_000, 20)
    try:
        logreg.fit(X, y, l2=1.0, method=method)
    finally:
        watcher.stop()
    assert len(readings) >= 2
    assert all(reading == before for reading in readings), readings
    assert blas_threads() == before


def test_a_fit_under_a_user_limit_leaves_it_alone():
    X, y = _data(150_000, 20)
    with threadpool_limits(1):
        logreg.fit(X, y, l2=1.0, method="newton")
        assert blas_threads() == [1] * len(blas_threads())
        assert _blas._limiter is None  # nothing to limit: none was set


# --- float32: converted block by block, the same result -----------------------------------


@pytest.mark.parametrize("method", ["lbfgs", "newton", "bfgs"])
def test_float32_fits_like_its_float64_copy(method):
    X32, y = _data(120_000, 15, dtype=np.float32)
    weights = np.random.default_rng(3).integers(0, 3, y.shape[0]).astype(float)
    for sw in (None, weights):
        r32 = logreg.fit(X32, y, l2=1.0, method=method, sample_weight=sw)
        r64 = logreg.fit(X32.astype(np.float64), y, l2=1.0, method=method, sample_weight=sw)
        np.testing.assert_allclose(r32.weights, r64.weights, rtol=1e-12, atol=1e-14)
        assert r32.bias == pytest.approx(r64.bias, rel=1e-12, abs=1e-14)
        assert r32.objective == pytest.approx(r64.objective, rel=1e-13)


def test_integer_and_bool_x_fit_like_their_float64_copy():
    rng = np.random.default_rng(4)
    X = rng.integers(-3, 4, (60_000, 6)).astype(np.int8)
    y = (X @ rng.standard_normal(6) + rng.standard_normal(60_000) > 0).astype(float)
    for data in (X, X > 0):
        r, r64 = logreg.fit(data, y, l2=1.0), logreg.fit(data.astype(np.float64), y, l2=1.0)
        np.testing.assert_allclose(r.weights, r64.weights, rtol=1e-12)
        assert r.objective == pytest.approx(r64.objective, rel=1e-13)


def test_float32_x_is_not_copied_whole():
    """tracemalloc sees NumPy's allocations: a float64 copy of X would be twice X's size (and
    was: +225 MB at 1,000,000 x 20); the fit's peak stays below 3/4 of X's own (the vectors of
    length n and, per thread, a converted block and the Hessian's scaled copy of it)."""
    X32, y = _data(50_000, 200, dtype=np.float32)
    logreg.fit(X32[:2_000], y[:2_000], l2=1.0)  # imports and first-use caches, outside the count
    for method in ("lbfgs", "newton"):
        tracemalloc.start()
        try:
            result = logreg.fit(X32, y, l2=1.0, method=method)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result.converged
        assert peak < 0.75 * X32.nbytes, (method, peak / 1e6, X32.nbytes / 1e6)


def test_the_estimator_keeps_float32_and_agrees_with_float64():
    pytest.importorskip("sklearn")
    X32, y = _data(30_000, 8, dtype=np.float32)
    m32 = logreg.LogisticRegression(l2=1.0).fit(X32, y)
    m64 = logreg.LogisticRegression(l2=1.0).fit(X32.astype(np.float64), y)
    assert m32.result_.training_data[0].dtype == np.float32  # kept, not copied
    np.testing.assert_allclose(m32.coef_, m64.coef_, rtol=1e-12)


@pytest.mark.parametrize("method, vectors", [("lbfgs", 6.5), ("newton", 7.5)])
def test_the_solver_state_holds_few_length_n_vectors(method, vectors):
    """On the large-data path (warm start on a subsample) the solvers' state holds few float64
    vectors of length n: the point being left keeps its activations only (L-BFGS) or its
    activations and residuals (Newton, for a retry with a fresh Hessian), a point's step direction
    is dropped once the line search accepts it, and the subsample's copy of the rows is released
    before the full iterations. It used to be 8.3 vectors for both (67 MiB at 1,000,000 x 20);
    now about 5.9 (L-BFGS) and 6.9 (Newton) here, one converted block of X included."""
    n, d = 400_000, 5
    X32, y = _data(n, d, dtype=np.float32)
    logreg.fit(X32[:2_000], y[:2_000], l2=1.0, method=method)  # imports, outside the count
    tracemalloc.start()
    try:
        result = logreg.fit(X32, y, l2=1.0, method=method, n_threads=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.converged
    assert peak <= vectors * 8 * n, (method, peak / (8 * n))
