"""Part II of the book, computed: the fits, experiments and numbers of its chapters.

`book.results.values` merges `values` below into the ``{{ name }}`` table, and the figures of
Part II in `book.figures` draw from the same cached functions, so a number in the prose and the
figure beside it come from one computation.
"""

from __future__ import annotations

import math
import warnings
from functools import cache

import numpy as np

import logreg

#: The truth behind the blobs (chapter *The data*): w = mu_A - mu_B, b = 0 for equal classes.
BLOBS_TRUE_W = (-2.0, -2.0)
BLOBS_TRUE_B = 0.0
#: The coverage experiment: this many data sets of this many points, seeds from COVERAGE_SEED.
COVERAGE_REPS = 1000
COVERAGE_N = 100
COVERAGE_SEED = 1000
#: ... and the bootstrap's share of it: its data sets, and resamples per data set.
BOOTSTRAP_REPS = 40
BOOTSTRAP_RESAMPLES = 100
#: A strong penalty, to show what it does to the intervals.
STRONG_L2 = 10.0


def fmt(x: float, digits: int = 4) -> str:
    from .results import fmt as _fmt

    return _fmt(x, digits)


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


@cache
def spector() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """statsmodels' spector data (32 students; GPA, TUCE, PSI; did the grade improve)."""
    import statsmodels.api as sm

    data = sm.datasets.spector.load_pandas()
    return data.exog.to_numpy(float), data.endog.to_numpy(float), [str(c) for c in data.exog.columns]


@cache
def spector_fit() -> logreg.FitResult:
    X, y, _ = spector()
    return logreg.fit(X, y)


@cache
def spector_statsmodels():
    import statsmodels.api as sm

    X, y, _ = spector()
    return sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)


@cache
def coverage() -> dict[str, np.ndarray]:
    """Wald intervals from `COVERAGE_REPS` fresh blob data sets (``l2 = 0``, 95 %): lower and
    upper ends and estimates, shape ``(R, 3)`` each (w1, w2, b)."""
    lower, upper, est, separable = [], [], [], []
    for r in range(COVERAGE_REPS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", logreg.SeparationWarning)
            res = logreg.fit(*logreg.make_blobs(COVERAGE_N, seed=COVERAGE_SEED + r), method="newton")
        if res.separable:  # no estimate exists, so no interval: counted, and left out
            separable.append(r)
            continue
        ci = res.conf_int(0.95)
        lower.append(ci[:, 0])
        upper.append(ci[:, 1])
        est.append(np.append(res.weights, res.bias))
    return {
        "lower": np.array(lower),
        "upper": np.array(upper),
        "estimates": np.array(est),
        "separable": np.array(separable, dtype=int),
    }


def _truth() -> np.ndarray:
    return np.array([*BLOBS_TRUE_W, BLOBS_TRUE_B])


@cache
def bootstrap() -> dict[str, np.ndarray]:
    """Percentile-bootstrap 95 % intervals on the first `BOOTSTRAP_REPS` data sets of `coverage`,
    and the bootstrap standard errors next to the Wald ones."""
    lower, upper, se_boot, se_wald = [], [], [], []
    for r in _usable_seeds()[:BOOTSTRAP_REPS]:
        X, y = logreg.make_blobs(COVERAGE_N, seed=COVERAGE_SEED + r)
        full = logreg.fit(X, y, method="newton")
        rng = np.random.default_rng(r)
        draws = []
        with warnings.catch_warnings():
            # A resample can come out separable (rarely, on 100 points); its fit then has no
            # finite optimum, and the bootstrap would count a huge weight: skip such resamples.
            warnings.simplefilter("ignore", logreg.SeparationWarning)
            while len(draws) < BOOTSTRAP_RESAMPLES:
                rows = rng.integers(0, COVERAGE_N, COVERAGE_N)
                if not 0 < y[rows].sum() < COVERAGE_N:
                    continue
                res = logreg.fit(X[rows], y[rows], method="newton", init=full)
                if not res.separable:
                    draws.append(np.append(res.weights, res.bias))
        draws = np.array(draws)
        lower.append(np.percentile(draws, 2.5, axis=0))
        upper.append(np.percentile(draws, 97.5, axis=0))
        se_boot.append(draws.std(axis=0, ddof=1))
        se_wald.append(full.standard_errors)
    return {
        "lower": np.array(lower),
        "upper": np.array(upper),
        "se_boot": np.array(se_boot),
        "se_wald": np.array(se_wald),
    }


def _usable_seeds() -> list[int]:
    """The repetitions of `coverage` whose data were not separable, in order."""
    skip = set(coverage()["separable"].tolist())
    return [r for r in range(COVERAGE_REPS) if r not in skip]


def _covered(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    truth = _truth()
    return ((lower <= truth) & (truth <= upper)).mean(axis=0)


def _statsmodels_gaps() -> dict[str, float]:
    """The largest relative difference between logreg and statsmodels on spector, per quantity."""
    ours, sm_res = spector_fit(), spector_statsmodels()
    order = [1, 2, 3, 0]  # statsmodels' constant comes first, ours last

    def gap(a, b):
        a, b = np.asarray(a, float), np.asarray(b, float)
        return float(np.max(np.abs(a - b) / np.abs(b)))

    return {
        "coef": gap(np.append(ours.weights, ours.bias), np.asarray(sm_res.params)[order]),
        "se": gap(ours.standard_errors, np.asarray(sm_res.bse)[order]),
        "z": gap(ours.z_values, np.asarray(sm_res.tvalues)[order]),
        "p": gap(ours.p_values, np.asarray(sm_res.pvalues)[order]),
        "ci": gap(ours.conf_int(), np.asarray(sm_res.conf_int())[order]),
    }


def _inference_values() -> dict[str, str]:
    out: dict[str, str] = {}
    fit = spector_fit()
    X, _, names = spector()
    out["spector_n"] = str(X.shape[0])
    out["spector_names"] = ", ".join(f"`{n}`" for n in names)
    se = fit.standard_errors
    for j, name in enumerate([*names, "bias"]):
        key = name.lower()
        out[f"spector_{key}_coef"] = fmt(np.append(fit.weights, fit.bias)[j])
        out[f"spector_{key}_se"] = fmt(se[j])
        out[f"spector_{key}_p"] = fmt(fit.p_values[j], 2)
    gaps = _statsmodels_gaps()
    out["spector_max_gap"] = fmt(max(gaps.values()), 2)
    cov = coverage()
    rate = _covered(cov["lower"], cov["upper"])
    out["coverage_reps"] = f"{COVERAGE_REPS:,}"
    out["coverage_separable"] = str(len(cov["separable"]))
    out["coverage_used"] = f"{len(cov['estimates']):,}"
    out["coverage_n"] = str(COVERAGE_N)
    out["coverage_w1"], out["coverage_w2"], out["coverage_b"] = (pct(r) for r in rate)
    out["coverage_mc_se"] = pct(math.sqrt(0.95 * 0.05 / len(cov["estimates"])))
    est = cov["estimates"]
    out["coverage_mean_w1"] = fmt(float(est[:, 0].mean()), 3)
    out["coverage_median_w1"] = fmt(float(np.median(est[:, 0])), 3)
    out["coverage_sd_w1"] = fmt(float(est[:, 0].std(ddof=1)), 3)
    out["coverage_mean_se_w1"] = fmt(float(((cov["upper"] - cov["lower"])[:, 0] / (2 * 1.959963984540054)).mean()), 3)
    boot = bootstrap()
    brate = _covered(boot["lower"], boot["upper"])
    wald_same = _covered(cov["lower"][:BOOTSTRAP_REPS], cov["upper"][:BOOTSTRAP_REPS])
    out["bootstrap_reps"], out["bootstrap_resamples"] = str(BOOTSTRAP_REPS), str(BOOTSTRAP_RESAMPLES)
    out["bootstrap_coverage_w1"], out["bootstrap_coverage_w2"], out["bootstrap_coverage_b"] = (pct(r, 0) for r in brate)
    out["wald_same_coverage_w1"], out["wald_same_coverage_w2"], out["wald_same_coverage_b"] = (
        pct(r, 0) for r in wald_same
    )
    ratio = boot["se_boot"] / boot["se_wald"]
    out["bootstrap_se_ratio_w1"] = fmt(float(np.median(ratio[:, 0])), 3)
    out["bootstrap_se_ratio_b"] = fmt(float(np.median(ratio[:, 2])), 3)
    out["bootstrap_mc_se"] = pct(math.sqrt(0.95 * 0.05 / BOOTSTRAP_REPS), 0)
    # A penalty: the Laplace (posterior) and the sandwich (sampling) standard errors.
    strong = logreg.fit(*logreg.make_blobs(COVERAGE_N, seed=COVERAGE_SEED), l2=STRONG_L2, method="newton")
    out["strong_l2"] = fmt(STRONG_L2)
    out["strong_se_laplace_w1"] = fmt(float(strong.standard_errors[0]), 3)
    out["strong_se_sandwich_w1"] = fmt(float(np.sqrt(strong.covariance("sandwich")[0, 0])), 3)
    out["strong_w1"] = fmt(float(strong.weights[0]), 3)
    return out


def values() -> dict[str, str]:
    """Every ``{{ name }}`` of Part II."""
    from . import (
        part2_bayes,  # chapters 4 and 5
        part2_eval,  # the evaluation and choosing-lambda chapters
    )

    return {**_inference_values(), **part2_eval.values(), **part2_bayes.values()}
