"""Part II, chapters 4 and 5 computed: *Bayesian logistic regression* and *Where next*.

`book.part2.values` merges `values` below into the ``{{ name }}`` table; the figures of these
two chapters (`book.figures_bayes`) and the predictive explorer (`book.explorers`) draw from the
same cached functions, so a number in the prose and the picture beside it are one computation.
"""

from __future__ import annotations

import math
import warnings
from functools import cache

import numpy as np
from scipy.special import expit

import logreg
from logreg import inference

from . import results as r

#: The view of the predictive figures: wider than the data, to show what happens away from them.
PREDICTIVE_EXTENT = (-7.0, 7.0)
#: Points of the plane where the chapter quotes the MAP and the predictive probability.
PROBES = {"centre": (0.0, 0.0), "far": (-6.0, 2.0)}
#: Monte Carlo draws for the comparison with the probit approximation, and the seed.
MC_DRAWS = 100_000
MC_SEED = 0
MC_STRIDE = 4
#: Gauss-Hermite nodes of the brute-force reference integral (exact far beyond 1e-12 here).
QUADRATURE_NODES = 200
#: The separable limit: penalties down to where the direction is compared with the max margin.
MARGIN_L2S = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8)
#: Basis functions: sklearn's circles, this many points, this noise and seed, this penalty.
CIRCLES_N, CIRCLES_NOISE, CIRCLES_FACTOR, CIRCLES_SEED = 200, 0.15, 0.4, 0
CIRCLES_L2 = 0.1


def fmt(x: float, digits: int = 4) -> str:
    return r.fmt(x, digits)


# --------------------------------------------------------------------------------------------
# Chapter 4: the Laplace posterior and its predictive
# --------------------------------------------------------------------------------------------


@cache
def map_fit(which: str) -> logreg.FitResult:
    """The MAP fit of the fuzzy (``"blobs"``) or the separable data, with the book's λ = 0.1."""
    X, y = r.blobs() if which == "blobs" else r.separable()
    return logreg.fit(X, y, l2=r.BLOBS_L2, method="newton", tol=1e-12)


def predictive_quadrature(mu: np.ndarray, s2: np.ndarray, nodes: int = QUADRATURE_NODES) -> np.ndarray:
    r"""$\int \sigma(a)\,\mathcal N(a \mid \mu, s^2)\,da$ by Gauss-Hermite quadrature: the
    reference both approximations are measured against."""
    z, wts = np.polynomial.hermite_e.hermegauss(nodes)  # weight exp(-z^2 / 2)
    wts = wts / math.sqrt(2 * math.pi)
    mu, s = np.asarray(mu, float), np.sqrt(np.asarray(s2, float))
    return expit(mu[:, None] + s[:, None] * z[None, :]) @ wts


def grid(n: int = 121) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square grid over `PREDICTIVE_EXTENT`: the axes arrays and the points, ``(n * n, 2)``."""
    lo, hi = PREDICTIVE_EXTENT
    x1, x2 = np.meshgrid(np.linspace(lo, hi, n), np.linspace(lo, hi, n))
    return x1, x2, np.column_stack([x1.ravel(), x2.ravel()])


@cache
def predictive_fields(which: str, n: int = 121) -> dict[str, np.ndarray]:
    """MAP probability, activation mean and variance, and the probit, Monte Carlo and quadrature
    predictive probabilities over `grid`, each shaped like the grid."""
    res = map_fit(which)
    x1, x2, pts = grid(n)
    mu, s2 = inference.predictive_variance(res, pts)
    out = {
        "x1": x1,
        "x2": x2,
        "map": res.predict_proba(pts),
        "mu": mu,
        "s2": s2,
        "probit": inference.predictive_proba(res, pts),
        "exact": predictive_quadrature(mu, s2),
    }
    out = {k: v.reshape(x1.shape) if v.ndim == 1 else v for k, v in out.items()}
    # Monte Carlo is the expensive one (MC_DRAWS sigmoids per point): every MC_STRIDE-th point.
    sub = np.column_stack([x1[::MC_STRIDE, ::MC_STRIDE].ravel(), x2[::MC_STRIDE, ::MC_STRIDE].ravel()])
    out["mc"] = inference.predictive_proba(res, sub, method="monte-carlo", n_draws=MC_DRAWS, seed=MC_SEED)
    out["mc_exact"] = out["exact"][::MC_STRIDE, ::MC_STRIDE].ravel()
    return out


def _chapter4_values() -> dict[str, str]:
    out: dict[str, str] = {}
    _X, _y = r.blobs()
    for which in ("blobs", "separable"):
        res = map_fit(which)
        cov = res.covariance()
        tag = "bl" if which == "blobs" else "sep"
        out[f"bayes_{tag}_w1"], out[f"bayes_{tag}_w2"] = (fmt(v) for v in res.weights)
        out[f"bayes_{tag}_b"] = fmt(res.bias)
        out[f"bayes_{tag}_sd_w1"] = fmt(math.sqrt(cov[0, 0]), 3)
        f = predictive_fields(which)
        probit_gap = np.abs(f["probit"] - f["exact"])
        mc_gap = np.abs(f["mc"] - f["mc_exact"])
        out[f"bayes_{tag}_probit_gap"] = fmt(float(probit_gap.max()), 2)
        out[f"bayes_{tag}_mc_gap"] = fmt(float(mc_gap.max()), 2)
        out[f"bayes_{tag}_map_gap"] = fmt(float(np.abs(f["map"] - f["exact"]).max()), 3)
        for probe, x in PROBES.items():
            pt = np.array([x])
            mu, s2 = inference.predictive_variance(res, pt)
            out[f"bayes_{tag}_{probe}_map"] = f"{float(res.predict_proba(pt)[0]):.4f}"
            out[f"bayes_{tag}_{probe}_pred"] = f"{float(inference.predictive_proba(res, pt)[0]):.4f}"
            out[f"bayes_{tag}_{probe}_mu"] = fmt(float(mu[0]), 3)
            out[f"bayes_{tag}_{probe}_s"] = fmt(float(math.sqrt(s2[0])), 3)
            out[f"bayes_{tag}_{probe}_kappa"] = fmt(float(1 / math.sqrt(1 + math.pi * s2[0] / 8)), 3)
    sd = [math.sqrt(map_fit(w).covariance()[0, 0]) for w in ("blobs", "separable")]
    out["bayes_sd_ratio"] = fmt(sd[1] / sd[0], 2)
    out["bayes_l2"] = fmt(r.BLOBS_L2)
    out["bayes_prior_sd"] = fmt(1 / math.sqrt(2 * r.BLOBS_L2), 3)
    out["bayes_grid_n"] = f"{predictive_fields('blobs')['map'].size:,}"
    out["bayes_mc_points"] = f"{predictive_fields('blobs')['mc'].size:,}"
    out["bayes_mc_draws"] = f"{MC_DRAWS:,}"
    out["bayes_mc_se"] = fmt(0.5 / math.sqrt(MC_DRAWS), 2)
    out["bayes_nodes"] = str(QUADRATURE_NODES)
    out["bayes_extent"] = fmt(PREDICTIVE_EXTENT[1])
    for probe, (a, b) in PROBES.items():
        out[f"bayes_probe_{probe}"] = f"({fmt(a)}, {fmt(b)})"
    return out


# --------------------------------------------------------------------------------------------
# The predictive explorer's fits: the blobs, N points and a grid of λ
# --------------------------------------------------------------------------------------------

#: The explorer's data set: the first N rows of one larger draw (rows are shuffled, so any prefix
#: has both classes in about equal numbers), and its grid of penalties.
EXPLORER_POOL = 400
EXPLORER_NS = (10, 20, 50, 100, 200, 400)
EXPLORER_STEPS_PER_DECADE = 4
EXPLORER_EXPONENTS = range(-3 * EXPLORER_STEPS_PER_DECADE, 2 * EXPLORER_STEPS_PER_DECADE + 1)
EXPLORER_START = (100, 0.1)


def explorer_pool() -> tuple[np.ndarray, np.ndarray]:
    return logreg.make_blobs(EXPLORER_POOL, seed=r.SEED)


def explorer_l2s() -> list[float]:
    return [float(10.0 ** (k / EXPLORER_STEPS_PER_DECADE)) for k in EXPLORER_EXPONENTS]


@cache
def explorer_fits() -> list[list[dict]]:
    """``fits[i][j]``: the MAP fit and Laplace covariance for ``EXPLORER_NS[i]`` points and the
    ``j``-th penalty of `explorer_l2s`."""
    X, y = explorer_pool()
    table = []
    for n in EXPLORER_NS:
        row, init = [], None
        for l2 in reversed(explorer_l2s()):  # warm starts from the strong penalty down
            with warnings.catch_warnings():
                warnings.simplefilter("error", logreg.LogregWarning)  # every fit must converge
                res = logreg.fit(X[:n], y[:n], l2=l2, method="newton", tol=1e-12, max_iter=500, init=init)
            init = res
            cov = res.covariance()
            row.append(
                {
                    "l2": l2,
                    "w": res.weights.tolist(),
                    "b": float(res.bias),
                    "cov": [cov[0, 0], cov[0, 1], cov[0, 2], cov[1, 1], cov[1, 2], cov[2, 2]],
                }
            )
        table.append(row[::-1])
    return table


# --------------------------------------------------------------------------------------------
# Chapter 5: basis functions and the separable limit
# --------------------------------------------------------------------------------------------


def quadratic_features(X: np.ndarray) -> np.ndarray:
    """(x1, x2) -> (x1, x2, x1^2, x1 x2, x2^2): a quadratic boundary is a line in these."""
    x1, x2 = X[:, 0], X[:, 1]
    return np.column_stack([x1, x2, x1**2, x1 * x2, x2**2])


@cache
def circles() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_circles

    X, y = make_circles(CIRCLES_N, noise=CIRCLES_NOISE, factor=CIRCLES_FACTOR, random_state=CIRCLES_SEED)
    return X.astype(float), y.astype(float)


@cache
def circles_fits() -> dict[str, logreg.FitResult]:
    X, y = circles()
    return {
        "linear": logreg.fit(X, y, l2=CIRCLES_L2, method="newton"),
        "quadratic": logreg.fit(quadratic_features(X), y, l2=CIRCLES_L2, method="newton"),
    }


@cache
def max_margin() -> tuple[np.ndarray, float]:
    r"""The hard-margin separator of the separable data: minimise $\lVert w\rVert^2$ subject to
    $s_n (w^\top x_n + b) \ge 1$, a quadratic programme, solved by SciPy's SLSQP."""
    from scipy.optimize import minimize

    X, y = r.separable()
    s = 2 * y - 1
    Xt = np.hstack([X, np.ones((len(y), 1))])
    cons = {"type": "ineq", "fun": lambda t: s * (Xt @ t) - 1, "jac": lambda t: s[:, None] * Xt}
    d = X.shape[1]
    res = minimize(
        lambda t: t[:d] @ t[:d],
        np.append(-np.ones(d), 0.0),
        jac=lambda t: np.append(2 * t[:d], 0.0),
        constraints=[cons],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    if not res.success:
        raise RuntimeError(f"the max-margin QP failed: {res.message}")
    return res.x[:d], float(res.x[d])


@cache
def margin_path() -> list[dict[str, float]]:
    """For each λ of `MARGIN_L2S`: ‖w‖ and the angle between w/‖w‖ and the max-margin direction."""
    X, y = r.separable()
    w_svm, _b_svm = max_margin()
    u = w_svm / np.linalg.norm(w_svm)
    rows, init = [], None
    for l2 in MARGIN_L2S:
        with warnings.catch_warnings():
            warnings.simplefilter("error", logreg.LogregWarning)
            res = logreg.fit(X, y, l2=l2, method="newton", tol=1e-12, max_iter=500, init=init)
        init = res
        norm = float(np.linalg.norm(res.weights))
        cos = float(np.clip(res.weights @ u / norm, -1.0, 1.0))
        rows.append(
            {
                "l2": l2,
                "norm": norm,
                "angle": math.degrees(math.acos(cos)),
                "offset": float(res.bias / norm),
                "margin": float(np.min((2 * y - 1) * (X @ res.weights + res.bias)) / norm),
            }
        )
    return rows


def _margin_table() -> str:
    head = (
        "| $\\lambda$ | $\\lVert\\vw\\rVert$ | angle to the max-margin $\\vw$ | "
        "$b / \\lVert\\vw\\rVert$ | smallest distance of a point to the boundary |\n"
        "|--:|--:|--:|--:|--:|"
    )
    rows = [
        f"| {fmt(p['l2'])} | {fmt(p['norm'], 3)} | {p['angle']:.2f}° | {fmt(p['offset'], 4)} | {fmt(p['margin'], 4)} |"
        for p in margin_path()
    ]
    return "\n".join([head, *rows])


def _chapter5_values() -> dict[str, str]:
    from sklearn.svm import SVC

    out: dict[str, str] = {}
    X, y = circles()
    fits = circles_fits()
    out["circles_n"] = str(CIRCLES_N)
    out["circles_l2"] = fmt(CIRCLES_L2)
    out["circles_acc_linear"] = f"{np.mean(fits['linear'].predict(X) == y):.0%}".replace("%", " %")
    out["circles_acc_quadratic"] = f"{np.mean(fits['quadratic'].predict(quadratic_features(X)) == y):.0%}".replace(
        "%", " %"
    )
    wq = fits["quadratic"].weights
    out["circles_w_sq1"], out["circles_w_cross"], out["circles_w_sq2"] = (fmt(v, 3) for v in wq[2:])
    # The separable limit against the max-margin separator (and scikit-learn's SVM for the QP).
    w_svm, b_svm = max_margin()
    Xs, ys = r.separable()
    svc = SVC(kernel="linear", C=1e8, tol=1e-12).fit(Xs, ys)
    theirs = np.append(svc.coef_[0], svc.intercept_[0])
    out["svm_gap"] = fmt(float(np.max(np.abs(np.append(w_svm, b_svm) - theirs) / np.abs(theirs))), 2)
    out["svm_w1"], out["svm_w2"] = (fmt(v) for v in w_svm)
    out["svm_b"] = fmt(b_svm)
    out["svm_margin"] = fmt(1 / float(np.linalg.norm(w_svm)), 4)
    out["svm_offset"] = fmt(b_svm / float(np.linalg.norm(w_svm)), 4)
    out["margin_table"] = _margin_table()
    path = margin_path()
    out["margin_first_angle"] = f"{path[0]['angle']:.2f}°"
    out["margin_last_angle"] = f"{path[-1]['angle']:.2f}°"
    out["margin_first_l2"] = fmt(path[0]["l2"])
    out["margin_last_l2"] = fmt(path[-1]["l2"])
    return out


def values() -> dict[str, str]:
    """Every ``{{ name }}`` of Part II's chapters 4 and 5."""
    return {**_chapter4_values(), **_chapter5_values()}
