"""Every method on the real-data grid of ``tests/package/test_real_data.py``: data sets that ship with
scikit-learn and statsmodels, in three units, for ``l2`` from 1e-4 to 100, with glum as a peer.

Run it with ``make bench`` or directly::

    python benchmarks/bench_real.py              # 3 repeats
    python benchmarks/bench_real.py --repeats 5
    python benchmarks/bench_real.py --methods lbfgs,newton

For each method, each repeat is a fresh Python process (``_harness.run_worker``) that fits the
whole grid (7 data sets x 3 units x 4 penalties = 84 fits) and reports, per fit, the in-process
time, whether it converged without a warning, and its relative objective gap to the best of two
tight references (our Newton at ``tol=1e-14`` and scikit-learn's ``newton-cholesky`` at
``tol=1e-12``, as the test computes it), and its peak resident memory. The table gives the median
whole-process time, the median summed fit time, the slowest fit, the largest gap and how many
fits failed (not converged, a warning, or a gap above 1e-9). The default method must have no
failures, and should be the fastest that has none.

``glum`` is ``GeneralizedLinearRegressor(family="binomial", alpha=2 * l2 / n, l1_ratio=0,
gradient_tol=1e-10)``, the same objective divided by ``n``, on the same rows; it is a peer, not a
method of ``fit``, so the "fastest method" line leaves it out and a separate line compares it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h

METHODS = ("lbfgs", "newton", "bfgs")
PEERS = ("glum",)
GLUM_TOL, GLUM_MAX_ITER = 1e-10, 1000


def grid():
    h.use_repo_logreg()
    from tests.package import test_real_data as t

    return t, [(name, unit, l2) for name in t.DATASETS for unit in t.UNITS for l2 in t.L2_VALUES]


def make_fit(method: str):
    """``fit(X, y, l2) -> (objective, converged)`` for ``method`` (a method of ``logreg.fit``, or glum)."""
    import logreg

    if method == "glum":
        from glum import GeneralizedLinearRegressor

        def fit(X, y, l2):
            m = GeneralizedLinearRegressor(
                family="binomial",
                alpha=2.0 * l2 / X.shape[0],
                l1_ratio=0,
                gradient_tol=GLUM_TOL,
                max_iter=GLUM_MAX_ITER,
            ).fit(X, y)
            return logreg.objective(m.coef_, float(m.intercept_), X, y, l2=l2), m.n_iter_ < GLUM_MAX_ITER
    else:

        def fit(X, y, l2):
            res = logreg.fit(X, y, l2=l2, method=method)
            return res.objective, res.converged

    return fit


def worker(method: str) -> None:
    t, cases = grid()
    data = {name: t.real_dataset(name) for name in t.DATASETS}
    fit = make_fit(method)
    out = []
    for name, unit, l2 in cases:
        X, y = data[name]
        X = X * unit
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            objective, converged = fit(X, y, l2)
            seconds = time.perf_counter() - t0
        out.append(
            {
                "case": [name, unit, l2],
                "seconds": seconds,
                "objective": float(objective),
                "ok": bool(converged and not caught),
                "warnings": sorted({f"{w.category.__name__}: {w.message}"[:160] for w in caught}),
            }
        )
    h.emit({"fits": out, "peak_rss": h.peak_rss_bytes()})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--methods",
        default=",".join(METHODS + PEERS),
        help=f"comma-separated, from {', '.join(METHODS + PEERS)} (default: all)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return 0
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS + PEERS]
    if unknown or not methods:
        raise SystemExit(f"error: unknown method(s) {unknown}; choose from {', '.join(METHODS + PEERS)}")
    if args.repeats < 1:
        raise SystemExit("error: --repeats must be at least 1")
    if "glum" in methods:
        try:
            import glum  # noqa: F401
        except ImportError:
            print("glum left out: not installed (pip install -r requirements.lock)")
            methods.remove("glum")
    t, cases = grid()
    best = {tuple(c): t.reference_objective(*c) for c in cases}
    print(f"real-data grid: {len(cases)} fits per method, median of {args.repeats} fresh processes")
    columns = [
        h.Column("process s", 10, ".2f"),
        h.Column("fits s", 9, ".3f"),
        h.Column("slowest ms", 12, ".1f"),
        h.Column("max gap", 10, ".1e"),
        h.Column("failed", 8, "d"),
        h.Column("peak RSS", 10, ".0f", " MiB"),
    ]
    rows, summary, failures = {}, {}, {}
    with h.Load() as load:
        for method in methods:
            runs = [h.run_worker(__file__, method) for _ in range(args.repeats)]
            totals = [sum(r["seconds"] for r in run["fits"]) for run in runs]
            last = runs[-1]["fits"]
            gaps = [(r["objective"] - best[tuple(r["case"])]) / max(abs(best[tuple(r["case"])]), 1.0) for r in last]
            bad = [(r, g) for r, g in zip(last, gaps, strict=True) if not r["ok"] or g > t.REL_GAP]
            slowest = max(statistics.median(run["fits"][i]["seconds"] for run in runs) for i in range(len(cases)))
            summary[method], failures[method] = statistics.median(totals), bad
            rows[method] = [
                h.median(runs, "process_seconds"),
                statistics.median(totals),
                1e3 * slowest,
                max(gaps),
                len(bad),
                h.median(runs, "peak_rss") / h.MIB,
            ]
    print(h.table("method", 8, columns, rows))
    print(
        f"(process s: a worker's whole life; fits s: the {len(cases)} fit calls summed; gaps relative to "
        f"max(|E*|, 1); failed: not converged, a warning, or a gap above {t.REL_GAP:g})"
    )
    for method, bad in failures.items():
        for r, g in bad[:5]:
            name, unit, l2 = r["case"]
            why = "; ".join(r["warnings"]) or ("not converged" if not r["ok"] else "")
            print(f"failed, {method}: {name} x {unit:g}, l2={l2:g}: gap {g:.1e} {why}".rstrip())
        if len(bad) > 5:
            print(f"failed, {method}: ... and {len(bad) - 5} more")
    print(load.summary())
    sound = [m for m in methods if m in METHODS and not failures[m]]
    if sound:
        fastest = min(sound, key=lambda m: summary[m])
        print(f"fastest method without a failure: {fastest}")
        for peer in (m for m in methods if m in PEERS):
            print(
                f"{peer}: {summary[peer] / summary[fastest]:.2f}x the time of {fastest}, {len(failures[peer])} failures"
            )
    else:
        print("every method failed somewhere")
    return 0


if __name__ == "__main__":
    sys.exit(main())
