"""Where one ``logreg.fit`` spends its time: cProfile of a single fit on ``bench_fit.py``'s data.

Run it directly (it is not part of ``make bench``)::

    python benchmarks/profile_fit.py --size 20000x1000 --seed 2        # bench_fit.py's third size
    python benchmarks/profile_fit.py --size 100000x200 --seed 1 --method newton --top 40

The data are ``_harness.gaussian_classes(N, D, seed)``, the same as ``bench_fit.py`` makes for
the size at position ``seed`` of its ``--sizes`` (seed 0 for the first size, 1 for the second, ...).
After a warm-up fit on a slice (imports, thread pools), it times one unprofiled fit of each of
``logreg``'s default, Newton and scikit-learn's ``lbfgs`` (``C = 1 / (2 * l2)``, ``tol=1e-8``) in this
process, then profiles one fit of ``--method`` and prints the functions by cumulative and by own
time. The profiler adds its own overhead (about 30 % here), so read shares, not seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="20000x1000", help="NxD (default 20000x1000)")
    parser.add_argument("--seed", type=int, default=2, help="data seed (default 2, bench_fit's for its third size)")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--method", default="lbfgs", choices=("lbfgs", "newton", "bfgs"), help="the fit profiled")
    parser.add_argument("--top", type=int, default=30, help="rows of each profile table (default 30)")
    parser.add_argument("--no-sklearn", action="store_true", help="do not time scikit-learn's lbfgs")
    args = parser.parse_args()
    ((n, d),) = h.parse_sizes(args.size)
    if not args.l2 > 0:
        raise SystemExit("error: --l2 must be > 0")
    h.use_repo_logreg()
    import logreg

    h.print_environment()
    X, y = h.gaussian_classes(n, d, args.seed)
    print(f"\n=== profile of logreg.fit(method={args.method!r}) on {n:,} x {d}, l2={args.l2:g}, seed {args.seed} ===")
    logreg.fit(X[: min(n, 2000)], y[: min(n, 2000)], l2=args.l2)  # warm-up: imports, thread pool
    for method in ("lbfgs", "newton"):
        t0 = time.perf_counter()
        r = logreg.fit(X, y, l2=args.l2, method=method)
        print(f"unprofiled logreg {method:7s} {time.perf_counter() - t0:7.3f} s, n_iter={r.n_iter}")
    if not args.no_sklearn:
        from sklearn.linear_model import LogisticRegression

        t0 = time.perf_counter()
        sk = LogisticRegression(C=1.0 / (2.0 * args.l2), tol=1e-8, max_iter=10_000).fit(X, y)
        print(f"unprofiled sklearn lbfgs {time.perf_counter() - t0:7.3f} s, n_iter={int(sk.n_iter_.max())}")
    with h.Load() as load:
        profile = cProfile.Profile()
        profile.enable()
        logreg.fit(X, y, l2=args.l2, method=args.method)
        profile.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(args.top)
        print(out.getvalue())
    print(load.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
