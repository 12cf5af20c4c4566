"""What the separability check costs a default fit (``l2 = 0``), against the fit itself.

Run it with ``make bench`` or directly::

    python benchmarks/bench_separation.py                  # 1,000,000 x 3, 200,000 x 20, 1,000,000 x 20
    python benchmarks/bench_separation.py --quick          # a small smoke run

With ``l2 = 0`` a fit must say whether the classes are linearly separable (then no finite optimum
exists). Deciding it exactly is a linear program; on every row of a large data set that LP cost
far more than the fit (34 s against 0.4 s at 1,000,000 x 20). ``fit`` now decides it after the
fit, from an LP on the few hundred rows nearest the fitted boundary, and solves the LP on every
row only when those rows are separable. This script times, each in a fresh process (median of
``--repeats``, whole process and the call alone, with the peak resident memory):

* ``fit l2=0``: the default fit, check included;
* ``fit l2=0, no check``: ``check_separation=False``;
* ``fit l2=1``: a penalised fit, which needs no check;
* ``full LP``: ``is_separable`` on every row, the check as it was made before every fit;
* ``sklearn lbfgs``: scikit-learn's unpenalised fit (``C=inf``), which makes no such check.

The data are two overlapping Gaussian classes (seeded), so the answer is "not separable".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CASES = ("fit l2=0", "fit l2=0, no check", "fit l2=1", "full LP", "sklearn lbfgs")


def make_data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-X @ rng.standard_normal(d)))).astype(np.float64)
    return X, y


def worker(case: str, data_dir: str) -> None:
    X = np.load(os.path.join(data_dir, "X.npy"))
    y = np.load(os.path.join(data_dir, "y.npy"))
    sys.path.insert(0, str(REPO))
    import logreg

    answer = None
    t0 = time.perf_counter()
    if case == "fit l2=0":
        answer = logreg.fit(X, y).separable
    elif case == "fit l2=0, no check":
        logreg.fit(X, y, check_separation=False)
    elif case == "fit l2=1":
        logreg.fit(X, y, l2=1.0)
    elif case == "full LP":
        answer = logreg.is_separable(X, y)
    else:
        from sklearn.linear_model import LogisticRegression

        LogisticRegression(C=np.inf, tol=1e-8, max_iter=10_000).fit(X, y)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "separable": answer}))


def run(case: str, data_dir: str) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--worker", case, data_dir], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{case!r} failed:\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process"] = time.perf_counter() - t0
    return out


def bench(n: int, d: int, repeats: int, seed: int, cases: tuple[str, ...]) -> None:
    print(f"\n=== {n:,} x {d}, overlapping classes (seed {seed}), median of {repeats} ===")
    X, y = make_data(n, d, seed)
    with tempfile.TemporaryDirectory(prefix="bench_sep_") as tmp:
        np.save(os.path.join(tmp, "X.npy"), X)
        np.save(os.path.join(tmp, "y.npy"), y)
        runs: dict[str, list[dict]] = {c: [] for c in cases}
        for r in range(repeats):
            for case in cases[r % len(cases):] + cases[: r % len(cases)]:  # rotate the order
                runs[case].append(run(case, tmp))
    base = statistics.median(x["seconds"] for x in runs["fit l2=0, no check"])
    print(f"{'case':22s} {'call s':>8s} {'process s':>10s} {'x no check':>11s} {'peak MB':>8s}  separable")
    for case in cases:
        call = statistics.median(x["seconds"] for x in runs[case])
        proc = statistics.median(x["process"] for x in runs[case])
        peak = statistics.median(x["peak_mb"] for x in runs[case])
        answer = runs[case][0]["separable"]
        print(f"{case:22s} {call:8.3f} {proc:10.3f} {call / base:11.2f} {peak:8.0f}  {'' if answer is None else answer}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", help="comma-separated NxD")
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--quick", action="store_true", help="20000x5, 1 repeat, without the full LP")
    parser.add_argument("--no-full-lp", action="store_true", help="skip the slow full LP")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    sizes = args.sizes or ("20000x5" if args.quick else "1000000x3,200000x20,1000000x20")
    repeats = args.repeats or (1 if args.quick else 3)
    cases = tuple(c for c in CASES if not (c == "full LP" and (args.quick or args.no_full_lp)))
    for i, item in enumerate(sizes.split(",")):
        n, d = (int(v) for v in item.lower().split("x"))
        bench(n, d, repeats, seed=i, cases=cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
