"""Speed, accuracy and memory of ``logreg.fit`` against scikit-learn and glum on the same objective.

Run it with ``make bench`` (which runs ``.venv/bin/python benchmarks/bench_fit.py``) or directly::

    python benchmarks/bench_fit.py                         # the four default sizes, 5 repeats
    python benchmarks/bench_fit.py --repeats 3
    python benchmarks/bench_fit.py --sizes 200000x50       # any sizes, as NxD, comma-separated
    python benchmarks/bench_fit.py --sizes 5000x50@1e-4    # NxD@L2: another penalty than l2 = 1
    python benchmarks/bench_fit.py --quick                 # small smoke run, a few seconds
    python benchmarks/bench_fit.py --memory-size none      # skip the float32 peak-memory table

The default sizes are 1,000,000 x 20, 100,000 x 200 and 20,000 x 1,000 at ``l2 = 1``, and
5,000 x 50 at ``l2 = 1e-4``, nearly unpenalised: the penalty no longer bounds the Hessian's
smallest eigenvalue. (On these isotropic Gaussian classes that is a mild case: L-BFGS needed 9
iterations there, about as many as at ``l2 = 1``; the real data of ``bench_real.py`` are the
hard ones.)

What it measures. Every solver minimises the same objective: the summed negative log-likelihood
plus ``l2 * ||w||^2`` with an unpenalised intercept. scikit-learn's ``LogisticRegression`` gets
``C = 1 / (2 * l2)`` and ``tol=1e-8`` (not its default 1e-4), glum's
``GeneralizedLinearRegressor(family="binomial", alpha=2 * l2 / n, l1_ratio=0)`` minimises the same
objective divided by ``n`` (its intercept is not penalised), with ``gradient_tol=1e-8`` on that
scaled gradient (its default 1e-4 stops about 4e-9 above the optimum) and its default solver
(``irls-ls`` for a pure L2 penalty). ``logreg.fit`` runs at its default ``tol``. The data are two
overlapping Gaussian classes (dense float64, seeded; ``_harness.gaussian_classes``), written once
to ``.npy`` files in a temporary directory. Each timed run is a fresh Python process (this script
re-invoked with ``--worker``, see ``_harness.py``) that loads the data, imports its solver, and
times only the fit; the parent also times the whole process, start to exit, and the worker
reports its peak resident memory (``VmHWM``: data, libraries and the fit's own arrays). Solvers
alternate within each repetition, in an order rotated every repetition.

Accuracy is the relative objective gap ``(E - E*) / |E*|``, with ``E`` evaluated by
``logreg.objective`` and ``E*`` from ``logreg.fit(..., tol=1e-13, method="newton")`` in the parent,
checked by its Newton decrement. Every solver is reported at the gap it reached, whatever it is;
the verdict names the fastest solver among those within ``1e-10``. The PASS/FAIL lines are a
target, for information; the exit status is 0.

Memory. A last table fits a float32 X (1,000,000 x 20, 76 MB, by default) once per solver in
fresh processes, each reporting its resident memory before the fit (data loaded, solver imported)
and its peak after it: what the fit adds, the median of up to 3 processes, with the median fit
and whole-process times.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h

DEFAULT_SIZES = "1000000x20,100000x200,20000x1000,5000x50@1e-4"
QUICK_SIZES = "20000x20,5000x100"
L2 = 1.0
SK_TOL, SK_MAX_ITER = 1e-8, 10_000
GLUM_TOL, GLUM_MAX_ITER = 1e-8, 1000
STAR_TOL = 1e-13
TARGET_RATIO, TARGET_GAP = 0.7, 1e-10
SOLVERS = {  # row label -> (library, keyword arguments)
    "logreg default": ("logreg", {}),
    "logreg newton": ("logreg", {"method": "newton"}),
    "sklearn lbfgs": ("sklearn", {"solver": "lbfgs"}),
    "sklearn newton-cholesky": ("sklearn", {"solver": "newton-cholesky"}),
    "glum irls": ("glum", {}),
}


def glum_available() -> bool:
    try:
        import glum  # noqa: F401
    except ImportError:
        return False
    return True


def make_fit(label: str, X: np.ndarray, y: np.ndarray, l2: float):
    """The solver ``label`` imported, and a function that fits it once: ``-> (w, b, n_iter, method)``."""
    library, kwargs = SOLVERS[label]
    if library == "logreg":
        h.use_repo_logreg()
        import logreg

        def fit():
            r = logreg.fit(X, y, l2=l2, **kwargs)
            return r.weights, r.bias, r.n_iter, r.method
    elif library == "sklearn":
        from sklearn.linear_model import LogisticRegression

        def fit():
            m = LogisticRegression(C=1.0 / (2.0 * l2), tol=SK_TOL, max_iter=SK_MAX_ITER, **kwargs).fit(X, y)
            return m.coef_[0], m.intercept_[0], m.n_iter_.max(), kwargs["solver"]
    else:
        from glum import GeneralizedLinearRegressor

        def fit():
            m = GeneralizedLinearRegressor(
                family="binomial",
                alpha=2.0 * l2 / X.shape[0],
                l1_ratio=0,
                gradient_tol=GLUM_TOL,
                max_iter=GLUM_MAX_ITER,
                **kwargs,
            ).fit(X, y)
            return m.coef_, m.intercept_, m.n_iter_, "irls-ls"

    return fit


def worker(label: str, data_dir: str, l2: str, x_file: str) -> None:
    """One timed fit in this (fresh) process; prints the result as JSON on stdout."""
    X = np.load(os.path.join(data_dir, x_file))
    y = np.load(os.path.join(data_dir, "y.npy"))
    fit = make_fit(label, X, y, float(l2))
    with h.Timer() as t:
        w, b, n_iter, method = fit()
    h.emit(
        {
            "fit_seconds": t.seconds,
            **t.memory,
            "weights": np.asarray(w).tolist(),
            "bias": float(b),
            "n_iter": int(n_iter),
            "method": method,
            "X_bytes": X.nbytes,
        }
    )


def optimum(X: np.ndarray, y: np.ndarray, l2: float) -> tuple[float, float]:
    """E* from a very tight logreg fit, and its Newton decrement 0.5 g^T H^-1 g (~ E - E_min)."""
    import logreg

    star = logreg.fit(X, y, l2=l2, tol=STAR_TOL, method="newton")
    gw, gb = logreg.gradient(star.weights, star.bias, X, y, l2=l2)
    g = np.append(gw, gb)
    H = logreg.hessian(star.weights, star.bias, X, y, l2=l2)
    decrement = 0.5 * float(g @ np.linalg.solve(H, g))
    E = logreg.objective(star.weights, star.bias, X, y, l2=l2)
    return E, decrement


def bench_size(n: int, d: int, l2: float, labels: list[str], repeats: int, seed: int) -> None:
    import logreg

    print(f"\n=== {n:,} x {d}  (l2={l2:g}, seed={seed}) ===")
    X, y = h.gaussian_classes(n, d, seed)
    with tempfile.TemporaryDirectory(prefix="bench_fit_") as data_dir:
        np.save(os.path.join(data_dir, "X.npy"), X)
        np.save(os.path.join(data_dir, "y.npy"), y)
        t0 = time.perf_counter()
        E_star, decrement = optimum(X, y, l2)
        print(
            f"E* = {E_star:.15g}: logreg.fit(X, y, l2={l2:g}, tol={STAR_TOL:g}, method='newton') in the parent "
            f"({time.perf_counter() - t0:.1f} s); Newton decrement there = {decrement:.2g} "
            f"(relative {decrement / abs(E_star):.1e})"
        )
        with h.Load() as load:
            runs = h.alternate(
                labels, repeats, lambda label: h.run_worker(__file__, label, data_dir, repr(l2), "X.npy")
            )

    rows = {}
    for label, results in runs.items():
        gaps = [
            h.relative_gap(logreg.objective(np.array(r["weights"]), r["bias"], X, y, l2=l2), E_star) for r in results
        ]
        fits = [r["fit_seconds"] for r in results]
        rows[label] = dict(
            fit=h.median(results, "fit_seconds"),
            lo=min(fits),
            hi=max(fits),
            proc=h.median(results, "process_seconds"),
            peak=h.median(results, "peak_rss") / h.MIB,
            added=h.median([{"a": r["peak_rss"] - r["rss_before"]} for r in results], "a") / h.MIB,
            gap=max(gaps, key=abs),
            n_iter="/".join(sorted({str(r["n_iter"]) for r in results})),
            method=results[0]["method"],
            notes=h.warnings_in(results),
        )
    best_sk = min((lab for lab in rows if lab.startswith("sklearn")), key=lambda lab: rows[lab]["fit"])
    exact = [lab for lab in rows if rows[lab]["gap"] <= TARGET_GAP]
    fastest = min(exact, key=lambda lab: rows[lab]["fit"]) if exact else None

    columns = [
        h.Column("fit median", 11, ".3f", "s"),
        h.Column("(min-max)", 16),
        h.Column("process", 10, ".2f", "s"),
        h.Column("fit/best-sk", 13, ".2f", "x"),
        h.Column("fit/fastest", 13, ".2f", "x"),
        h.Column("rel. gap", 11, ".1e"),
        h.Column("peak RSS", 11, ".0f", " MiB"),
        h.Column("fit adds", 11, ".0f", " MiB"),
        h.Column("n_iter", 8),
    ]
    fastest_fit = rows[fastest]["fit"] if fastest else float("nan")
    print(
        h.table(
            "solver",
            26,
            columns,
            {
                (f"{label} ({r['method']})" if label == "logreg default" else label): [
                    r["fit"],
                    f"({r['lo']:.3f}-{r['hi']:.3f})",
                    r["proc"],
                    r["fit"] / rows[best_sk]["fit"],
                    r["fit"] / fastest_fit,
                    r["gap"],
                    r["peak"],
                    r["added"],
                    r["n_iter"],
                ]
                for label, r in rows.items()
            },
        )
    )
    print(
        f"(medians of {repeats}; 'fit' is the fit call timed in the worker, 'process' the worker's "
        f"whole life timed by the parent; best scikit-learn solver here: {best_sk}; fastest within a gap of "
        f"{TARGET_GAP:g}: {fastest}; rel. gap = (E - E*)/|E*|, the largest over repeats; 'peak RSS' the "
        f"worker's high-water mark with X ({X.nbytes / h.MIB:.0f} MiB) loaded, 'fit adds' its peak minus its "
        f"memory just before the fit)"
    )
    for label, r in rows.items():
        for note in sorted(r["notes"]):
            print(f"note, {label}: {note}")
    print(load.summary())

    ours = rows["logreg default"]
    ratio = ours["fit"] / rows[best_sk]["fit"]
    ok = ratio <= TARGET_RATIO and ours["gap"] <= TARGET_GAP
    print(
        f"{'PASS' if ok else 'FAIL'} {n}x{d}: logreg default fit = {ratio:.2f}x {best_sk} "
        f"(target <= {TARGET_RATIO}x), gap {ours['gap']:.1e} (target <= {TARGET_GAP:g})"
    )
    if fastest == "logreg default":
        print(f"FASTEST {n}x{d}: logreg default is the fastest solver within a gap of {TARGET_GAP:g}")
    elif fastest is not None:
        print(
            f"NOT FASTEST {n}x{d}: {fastest} is fastest within a gap of {TARGET_GAP:g}; logreg default "
            f"takes {ours['fit'] / fastest_fit:.2f}x its time (gap {ours['gap']:.1e})"
        )
    for label, r in rows.items():
        if r["gap"] > TARGET_GAP:
            print(f"GAP {n}x{d}: {label} stopped at a relative gap of {r['gap']:.1e}, above {TARGET_GAP:g}")


def bench_memory(n: int, d: int, labels: list[str], repeats: int, seed: int) -> None:
    """Peak resident memory of a fit on float32 X, against the peers' (Linux only)."""
    if not os.path.exists("/proc/self/statm"):
        print("\n(peak-memory comparison skipped: it reads /proc/self/statm, Linux only)")
        return
    print(f"\n=== peak memory, float32 X of {n:,} x {d} ({n * d * 4 / h.MIB:.0f} MiB), l2={L2:g}, seed={seed} ===")
    X, y = h.gaussian_classes(n, d, seed)
    with tempfile.TemporaryDirectory(prefix="bench_mem_") as data_dir:
        np.save(os.path.join(data_dir, "X32.npy"), X.astype(np.float32))
        np.save(os.path.join(data_dir, "y.npy"), y)
        del X
        runs = h.alternate(labels, repeats, lambda label: h.run_worker(__file__, label, data_dir, repr(L2), "X32.npy"))
    columns = [
        h.Column("RSS before", 12, ".0f", " MiB"),
        h.Column("peak RSS", 11, ".0f", " MiB"),
        h.Column("added by fit", 14, ".0f", " MiB"),
        h.Column("fit median", 12, ".3f", "s"),
        h.Column("process", 10, ".2f", "s"),
    ]
    print(
        h.table(
            "solver",
            26,
            columns,
            {
                label: [
                    h.median(rs, "rss_before") / h.MIB,
                    h.median(rs, "peak_rss") / h.MIB,
                    h.median([{"a": r["peak_rss"] - r["rss_before"]} for r in rs], "a") / h.MIB,
                    h.median(rs, "fit_seconds"),
                    h.median(rs, "process_seconds"),
                ]
                for label, rs in runs.items()
            },
        )
    )
    print(
        f"(medians of {repeats} fresh processes each; 'RSS before' is resident memory with the data "
        f"loaded and the solver imported, 'peak RSS' the process's high-water mark (VmHWM) after the "
        f"fit, 'added by fit' their difference; X itself is {runs[labels[0]][0]['X_bytes'] / h.MIB:.0f} MiB)"
    )


def check_glum(n: int = 5000, d: int = 20, seed: int = 0) -> None:
    """Is glum's objective ours divided by n, with the intercept unpenalised, and which
    ``gradient_tol`` reaches a gap of 1e-10? Its gap at a ladder of tolerances, and our gradient
    at its tightest answer (the bias component is ~0 only if glum leaves the bias unpenalised)."""
    import warnings

    from glum import GeneralizedLinearRegressor

    import logreg

    X, y = h.gaussian_classes(n, d, seed)
    print(f"\n=== glum against logreg's objective: {n:,} x {d}, seed {seed} ===")
    for l2 in (1.0, 1e-4):
        E_star = logreg.fit(X, y, l2=l2, tol=STAR_TOL, method="newton").objective
        row = {}
        for solver in ("irls-ls", "lbfgs"):
            gaps = []
            for tol in (1e-4, 1e-6, 1e-8, 1e-10):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    m = GeneralizedLinearRegressor(
                        family="binomial",
                        alpha=2.0 * l2 / n,
                        l1_ratio=0,
                        solver=solver,
                        gradient_tol=tol,
                        max_iter=GLUM_MAX_ITER,
                    ).fit(X, y)
                gaps.append(h.relative_gap(logreg.objective(m.coef_, float(m.intercept_), X, y, l2=l2), E_star))
            gw, gb = logreg.gradient(m.coef_, float(m.intercept_), X, y, l2=l2)
            row[f"l2={l2:g} {solver}"] = [*gaps, float(np.max(np.abs(gw))), abs(float(gb))]
        columns = [h.Column(f"tol={t:g}", 11, ".1e") for t in (1e-4, 1e-6, 1e-8, 1e-10)]
        columns += [h.Column("max|dE/dw|", 12, ".1e"), h.Column("|dE/db|", 10, ".1e")]
        print(h.table("glum, relative gap at", 22, columns, row))
    print(
        "(gap (E - E*)/|E*| with E = logreg.objective at glum's answer; the gradients are logreg.gradient at "
        "its answer for gradient_tol=1e-10: a penalised intercept would leave dE/db far from 0)"
    )


def parse_sizes(text: str) -> list[tuple[int, int, float]]:
    """``"1000000x20,5000x50@1e-4"`` -> ``[(1000000, 20, 1.0), (5000, 50, 1e-4)]``."""
    sizes = []
    for item in text.split(","):
        size, _, l2 = item.partition("@")
        try:
            penalty = float(l2) if l2 else L2
        except ValueError:
            raise SystemExit(f"error: penalty {l2!r} in {item!r} is not a number") from None
        if not penalty > 0:
            raise SystemExit(f"error: penalty in {item!r} must be > 0 (an unpenalised fit may have no optimum)")
        sizes.extend((n, d, penalty) for n, d in h.parse_sizes(size))
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", help=f"comma-separated NxD or NxD@L2, default {DEFAULT_SIZES}")
    parser.add_argument("--repeats", type=int, help="timed runs per solver and size (default 5)")
    parser.add_argument("--quick", action="store_true", help=f"small smoke run: {QUICK_SIZES}, 2 repeats")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--memory-size", help="NxD of the float32 peak-memory comparison (default 1000000x20; 'none' to skip it)"
    )
    parser.add_argument("--no-glum", action="store_true", help="leave glum out")
    parser.add_argument("--check-glum", action="store_true", help="only check glum's objective against ours (small)")
    parser.add_argument("--worker", nargs=4, metavar=("SOLVER", "DATA_DIR", "L2", "X_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    sizes = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES))
    repeats = args.repeats or (2 if args.quick else 5)
    if repeats < 1:
        raise SystemExit("error: --repeats must be at least 1")
    labels = list(SOLVERS)
    if args.no_glum or not glum_available():
        labels.remove("glum irls")
    h.use_repo_logreg()
    if args.check_glum:
        if not glum_available():
            raise SystemExit("error: glum is not installed (pip install -r requirements.lock)")
        check_glum()
        return 0
    h.print_environment(
        [
            f"peers:    LogisticRegression(C=1/(2*l2), tol={SK_TOL:g}, max_iter={SK_MAX_ITER}); "
            + (
                f"glum GeneralizedLinearRegressor(family='binomial', alpha=2*l2/n, l1_ratio=0, "
                f"gradient_tol={GLUM_TOL:g}, max_iter={GLUM_MAX_ITER})"
                if "glum irls" in labels
                else "glum left out" + ("" if args.no_glum else " (not installed: pip install -r requirements.lock)")
            )
            + "; logreg.fit(l2=l2) at its default tol"
        ]
    )
    for i, (n, d, l2) in enumerate(sizes):
        bench_size(n, d, l2, labels, repeats, seed=args.seed + i)
    memory = args.memory_size or ("20000x20" if args.quick else "1000000x20")
    if memory.lower() != "none":
        for n, d in h.parse_sizes(memory):
            bench_memory(n, d, labels, min(repeats, 3), seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
