"""Speed and accuracy of ``logreg.fit`` against scikit-learn's ``LogisticRegression``.

Run it with ``make bench`` (which runs ``.venv/bin/python benchmarks/bench_fit.py``) or directly::

    python benchmarks/bench_fit.py                         # 1,000,000 x 20 and 100,000 x 200, 5 repeats
    python benchmarks/bench_fit.py --repeats 3
    python benchmarks/bench_fit.py --sizes 200000x50       # any sizes, as NxD, comma-separated
    python benchmarks/bench_fit.py --quick                 # small smoke run, a few seconds
    python benchmarks/bench_fit.py --memory-size none      # skip the float32 peak-memory table

What it measures. Every solver minimises the same objective: the summed negative log-likelihood
plus ``l2 * ||w||^2`` with an unpenalised intercept, ``l2 = 1`` (scikit-learn's ``C = 1 / (2 * l2)``).
The data are two overlapping Gaussian classes (dense float64, seeded), written once to ``.npy``
files in a temporary directory. Each timed run is a fresh Python process (this script re-invoked
with ``--worker``) that loads the data with ``np.load``, imports its solver, and times only the
``fit`` call with ``time.perf_counter``; the parent also times the whole process, start to exit.
Solvers alternate within each repetition, in an order rotated every repetition. The reported
accuracy is the relative objective gap ``(E - E*) / |E*|``, with ``E`` evaluated by
``logreg.objective`` and ``E*`` from ``logreg.fit(..., tol=1e-13, method="newton")`` in the
parent, checked by its Newton decrement. scikit-learn runs at ``tol=1e-8`` (not its default 1e-4) so both sides aim at
a converged answer. The PASS/FAIL lines are a target, for information; the exit status is 0.

Memory. A last table fits a float32 X (1,000,000 x 20, 76 MB, by default) once per solver in
fresh processes, each reporting its resident memory before the fit (data loaded, solver imported)
and its peak (the kernel's ``VmHWM``, which is ``ru_maxrss`` without the parent's peak that
``ru_maxrss`` carries across ``exec``) after it: what the fit adds, the median of
up to 3 processes, with the median fit and whole-process times.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
L2 = 1.0
SK_TOL, SK_MAX_ITER = 1e-8, 10_000
STAR_TOL = 1e-13
TARGET_RATIO, TARGET_GAP = 0.7, 1e-10
SOLVERS = {  # row label -> how the worker fits
    "logreg default": ("logreg", {}),
    "logreg newton": ("logreg", {"method": "newton"}),
    "sklearn lbfgs": ("sklearn", {"solver": "lbfgs"}),
    "sklearn newton-cholesky": ("sklearn", {"solver": "newton-cholesky"}),
}


def make_data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes, identity covariance, means at +-0.5 along a random unit direction."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    y = rng.integers(0, 2, n).astype(np.float64)
    X = rng.standard_normal((n, d))
    X += np.outer(2.0 * y - 1.0, 0.5 * u)
    return X, y


def worker(label: str, data_dir: str) -> None:
    """One timed fit in this (fresh) process; prints the result as JSON on stdout."""
    X = np.load(os.path.join(data_dir, "X.npy"))
    y = np.load(os.path.join(data_dir, "y.npy"))
    library, kwargs = SOLVERS[label]
    if library == "logreg":
        sys.path.insert(0, str(REPO))
        import logreg

        t0 = time.perf_counter()
        result = logreg.fit(X, y, l2=L2, **kwargs)
        seconds = time.perf_counter() - t0
        w, b, n_iter, method = result.weights, result.bias, result.n_iter, result.method
    else:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1.0 / (2.0 * L2), tol=SK_TOL, max_iter=SK_MAX_ITER, **kwargs)
        t0 = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - t0
        w, b, n_iter, method = model.coef_[0], model.intercept_[0], model.n_iter_.max(), kwargs["solver"]
    print(json.dumps({"fit_seconds": seconds, "weights": w.tolist(), "bias": float(b),
                      "n_iter": int(n_iter), "method": method}))


def memory_worker(label: str, data_dir: str) -> None:
    """One fit of a float32 X in this (fresh) process; prints, as JSON, the resident memory
    before the fit (data loaded, solver imported) and the peak after it.

    The peak is the kernel's high-water mark of this process's memory, ``VmHWM``: the number
    ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` reports, except that ``ru_maxrss`` keeps the
    parent's peak across ``fork``/``exec`` (every worker reported the benchmark parent's 489 MB),
    and ``VmHWM`` starts afresh with the new program."""
    X = np.load(os.path.join(data_dir, "X32.npy"))
    y = np.load(os.path.join(data_dir, "y.npy"))
    library, kwargs = SOLVERS[label]
    if library == "logreg":
        sys.path.insert(0, str(REPO))
        import logreg

        def fit():
            return logreg.fit(X, y, l2=L2, **kwargs)
    else:
        from sklearn.linear_model import LogisticRegression

        def fit():
            return LogisticRegression(C=1.0 / (2.0 * L2), tol=SK_TOL, max_iter=SK_MAX_ITER, **kwargs).fit(X, y)
    with open("/proc/self/statm") as f:
        before = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    t0 = time.perf_counter()
    fit()
    seconds = time.perf_counter() - t0
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))  # kB
    print(json.dumps({"before": before, "peak": peak, "fit_seconds": seconds, "X_bytes": X.nbytes}))


def bench_memory(n: int, d: int, repeats: int, seed: int) -> None:
    """Peak resident memory of a fit on float32 X, against scikit-learn's (Linux only)."""
    if not os.path.exists("/proc/self/statm"):
        print("\n(peak-memory comparison skipped: it reads /proc/self/statm, Linux only)")
        return
    print(f"\n=== peak memory, float32 X of {n:,} x {d} ({n * d * 4 / 2**20:.0f} MiB), l2={L2}, seed={seed} ===")
    X, y = make_data(n, d, seed)
    with tempfile.TemporaryDirectory(prefix="bench_mem_") as data_dir:
        np.save(os.path.join(data_dir, "X32.npy"), X.astype(np.float32))
        np.save(os.path.join(data_dir, "y.npy"), y)
        del X
        labels = list(SOLVERS)
        runs: dict[str, list[dict]] = {label: [] for label in labels}
        for rep in range(repeats):
            k = rep % len(labels)
            for label in labels[k:] + labels[:k]:
                cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-worker", label, data_dir]
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True)
                wall = time.perf_counter() - t0
                if proc.returncode != 0:
                    raise RuntimeError(f"memory worker {label!r} failed:\n{proc.stderr}")
                result = json.loads(proc.stdout.strip().splitlines()[-1])
                result["process_seconds"] = wall
                runs[label].append(result)
    header = f"{'solver':<26}{'RSS before':>12}{'peak RSS':>11}{'added by fit':>14}{'fit median':>12}{'process':>10}"
    print(header + "\n" + "-" * len(header))
    for label, results in runs.items():
        mb = lambda key: statistics.median(r[key] for r in results) / 2**20  # noqa: E731
        added = statistics.median(r["peak"] - r["before"] for r in results) / 2**20
        print(f"{label:<26}{mb('before'):>8.0f} MiB{mb('peak'):>7.0f} MiB{added:>10.0f} MiB"
              f"{statistics.median(r['fit_seconds'] for r in results):>11.3f}s"
              f"{statistics.median(r['process_seconds'] for r in results):>9.2f}s")
    print(f"(medians of {repeats} fresh processes each; 'RSS before' is resident memory with the data "
          f"loaded and the solver imported, 'peak RSS' the process's high-water mark (VmHWM) after the "
          f"fit, 'added by fit' their difference; X itself is {runs[labels[0]][0]['X_bytes'] / 2**20:.0f} MiB)")


def run_worker(label: str, data_dir: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", label, data_dir]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"worker {label!r} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(process_seconds=wall, stderr=proc.stderr.strip())
    return result


def other_cpu_seconds() -> float:
    """CPU time used by the whole machine minus this process and its children (Linux; else nan)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return float("nan")
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle, iowait
    me = os.times()
    return busy - (me.user + me.system + me.children_user + me.children_system)


def optimum(X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """E* from a very tight logreg fit, and its Newton decrement 0.5 g^T H^-1 g (~ E - E_min)."""
    import logreg

    star = logreg.fit(X, y, l2=L2, tol=STAR_TOL, method="newton")
    gw, gb = logreg.gradient(star.weights, star.bias, X, y, l2=L2)
    g = np.append(gw, gb)
    H = logreg.hessian(star.weights, star.bias, X, y, l2=L2)
    decrement = 0.5 * float(g @ np.linalg.solve(H, g))
    E = logreg.objective(star.weights, star.bias, X, y, l2=L2)
    return E, decrement


def bench_size(n: int, d: int, repeats: int, seed: int) -> None:
    import logreg

    print(f"\n=== {n:,} x {d}  (l2={L2}, seed={seed}) ===")
    X, y = make_data(n, d, seed)
    with tempfile.TemporaryDirectory(prefix="bench_fit_") as data_dir:
        np.save(os.path.join(data_dir, "X.npy"), X)
        np.save(os.path.join(data_dir, "y.npy"), y)
        t0 = time.perf_counter()
        E_star, decrement = optimum(X, y)
        print(f"E* = {E_star:.15g}: logreg.fit(X, y, l2={L2}, tol={STAR_TOL:g}, method='newton') in the parent "
              f"({time.perf_counter() - t0:.1f} s); Newton decrement there = {decrement:.2g} "
              f"(relative {decrement / abs(E_star):.1e})")
        labels = list(SOLVERS)
        other0, wall0 = other_cpu_seconds(), time.perf_counter()
        runs: dict[str, list[dict]] = {label: [] for label in labels}
        for rep in range(repeats):
            k = rep % len(labels)
            for label in labels[k:] + labels[:k]:
                runs[label].append(run_worker(label, data_dir))
        other, wall = other_cpu_seconds() - other0, time.perf_counter() - wall0

    rows = {}
    for label, results in runs.items():
        gaps = [(logreg.objective(np.array(r["weights"]), r["bias"], X, y, l2=L2) - E_star) / abs(E_star)
                for r in results]
        fits = [r["fit_seconds"] for r in results]
        rows[label] = dict(
            fit=statistics.median(fits), lo=min(fits), hi=max(fits),
            proc=statistics.median(r["process_seconds"] for r in results),
            gap=max(gaps, key=abs),
            n_iter="/".join(sorted({str(r["n_iter"]) for r in results})),
            method=results[0]["method"],
            notes={line for r in results for line in r["stderr"].splitlines() if "Warning" in line},
        )
    best_sk = min((lab for lab in rows if lab.startswith("sklearn")), key=lambda lab: rows[lab]["fit"])

    header = (f"{'solver':<26}{'fit median':>11}{'(min-max)':>16}{'process':>10}"
              f"{'fit/best-sk':>13}{'rel. gap':>11}{'n_iter':>8}")
    print(header + "\n" + "-" * len(header))
    for label, r in rows.items():
        name = f"{label} ({r['method']})" if label == "logreg default" else label
        spread = f"({r['lo']:.3f}-{r['hi']:.3f})"
        print(f"{name:<26}{r['fit']:>10.3f}s{spread:>16}{r['proc']:>9.2f}s"
              f"{r['fit'] / rows[best_sk]['fit']:>12.2f}x{r['gap']:>11.1e}{r['n_iter']:>8}")
    print(f"(medians of {repeats}; 'fit' is the fit call timed in the worker, 'process' the worker's "
          f"whole life timed by the parent; best scikit-learn solver here: {best_sk}; "
          f"rel. gap = (E - E*)/|E*|, the largest over repeats)")
    for label, r in rows.items():
        for note in sorted(r["notes"]):
            print(f"note, {label}: {note.strip()}")

    ours = rows["logreg default"]
    ratio = ours["fit"] / rows[best_sk]["fit"]
    ok = ratio <= TARGET_RATIO and ours["gap"] <= TARGET_GAP
    print(f"other processes used {other:.1f} CPU-seconds during the {wall:.0f} s of timed runs "
          f"(more than a few makes the timings noisy)")
    print(f"{'PASS' if ok else 'FAIL'} {n}x{d}: logreg default fit = {ratio:.2f}x {best_sk} "
          f"(target <= {TARGET_RATIO}x), gap {ours['gap']:.1e} (target <= {TARGET_GAP:g})")


def print_environment() -> None:
    import scipy
    import sklearn

    cpu = platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"date:     {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"machine:  {cpu}; os.cpu_count() = {os.cpu_count()}")
    print(f"versions: python {platform.python_version()}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}")
    try:
        git = ["git", "-C", str(REPO)]
        commit = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "logreg"], capture_output=True, text=True).stdout.strip()
        print(f"logreg:   commit {commit}{' + uncommitted changes in logreg/' if dirty else ''}")
    except OSError:
        pass
    print(f"sklearn:  LogisticRegression(C={1 / (2 * L2)}, tol={SK_TOL:g}, max_iter={SK_MAX_ITER}); "
          f"logreg.fit(l2={L2}) at its default tol")


def parse_sizes(text: str) -> list[tuple[int, int]]:
    return [tuple(int(part) for part in item.lower().split("x")) for item in text.split(",")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", help="comma-separated NxD, default 1000000x20,100000x200")
    parser.add_argument("--repeats", type=int, help="timed runs per solver and size (default 5)")
    parser.add_argument("--quick", action="store_true", help="small smoke run: 20000x20,5000x100, 2 repeats")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-size", help="NxD of the float32 peak-memory comparison (default "
                        "1000000x20; 'none' to skip it)")
    parser.add_argument("--worker", nargs=2, metavar=("SOLVER", "DATA_DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--memory-worker", nargs=2, metavar=("SOLVER", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    if args.memory_worker:
        memory_worker(*args.memory_worker)
        return 0
    sizes = parse_sizes(args.sizes or ("20000x20,5000x100" if args.quick else "1000000x20,100000x200"))
    repeats = args.repeats or (2 if args.quick else 5)
    sys.path.insert(0, str(REPO))
    print_environment()
    for i, (n, d) in enumerate(sizes):
        bench_size(n, d, repeats, seed=args.seed + i)
    memory = args.memory_size or ("20000x20" if args.quick else "1000000x20")
    if memory.lower() != "none":
        for n, d in parse_sizes(memory):
            bench_memory(n, d, min(repeats, 3), seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
