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
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h

CASES = ("fit l2=0", "fit l2=0, no check", "fit l2=1", "full LP", "sklearn lbfgs")


def make_data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-X @ rng.standard_normal(d)))).astype(np.float64)
    return X, y


def worker(case: str, data_dir: str) -> None:
    X = np.load(os.path.join(data_dir, "X.npy"))
    y = np.load(os.path.join(data_dir, "y.npy"))
    h.use_repo_logreg()
    import logreg

    if case == "sklearn lbfgs":
        from sklearn.linear_model import LogisticRegression
    answer = None
    with h.Timer() as t:
        if case == "fit l2=0":
            answer = logreg.fit(X, y).separable
        elif case == "fit l2=0, no check":
            logreg.fit(X, y, check_separation=False)
        elif case == "fit l2=1":
            logreg.fit(X, y, l2=1.0)
        elif case == "full LP":
            answer = logreg.is_separable(X, y)
        else:
            LogisticRegression(C=np.inf, tol=1e-8, max_iter=10_000).fit(X, y)
    h.emit({"seconds": t.seconds, **t.memory, "separable": answer})


def bench(n: int, d: int, repeats: int, seed: int, cases: tuple[str, ...]) -> None:
    print(f"\n=== {n:,} x {d}, overlapping classes (seed {seed}), median of {repeats} ===")
    X, y = make_data(n, d, seed)
    with tempfile.TemporaryDirectory(prefix="bench_sep_") as tmp:
        np.save(os.path.join(tmp, "X.npy"), X)
        np.save(os.path.join(tmp, "y.npy"), y)
        with h.Load() as load:
            runs = h.alternate(cases, repeats, lambda case: h.run_worker(__file__, case, tmp))
    base = h.median(runs["fit l2=0, no check"], "seconds")
    columns = [
        h.Column("call s", 9, ".3f"),
        h.Column("process s", 11, ".3f"),
        h.Column("x no check", 12, ".2f"),
        h.Column("peak MB", 9, ".0f"),
        h.Column("  separable", 11),
    ]
    print(
        h.table(
            "case",
            22,
            columns,
            {
                case: [
                    h.median(rs, "seconds"),
                    h.median(rs, "process_seconds"),
                    h.median(rs, "seconds") / base,
                    h.median(rs, "peak_rss") / h.MIB,
                    "" if rs[0]["separable"] is None else str(rs[0]["separable"]),
                ]
                for case, rs in runs.items()
            },
        )
    )
    print("(peak MB: the worker's high-water mark (VmHWM), data and libraries included)")
    print(load.summary())


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
    if repeats < 1:
        raise SystemExit("error: --repeats must be at least 1")
    for i, (n, d) in enumerate(h.parse_sizes(sizes)):
        bench(n, d, repeats, seed=i, cases=cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
