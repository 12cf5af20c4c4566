"""The book's worked story, computed: every fit and number the chapters and figures quote.

Chapters write ``{{ name }}`` and the build puts the formatted value in its place; a name that
is not here fails the build. Figures in :mod:`book.figures` draw from the same functions, so a
number in the prose and the figure next to it cannot disagree.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

import logreg
from logreg.fitting import gradient_descent

#: The data of the story: the seed and size are the only "choices" the book makes.
SEED = 0
N_POINTS = 100
#: The "terrible boundary" of the sigmoid chapter.
TERRIBLE_W = np.array([1.5, -2.0])
TERRIBLE_B = 2.0
#: The penalty used for the fuzzy blobs, and the three penalties of the separable chapter.
BLOBS_L2 = 0.1
SEPARABLE_L2 = (0.0, 0.1, 10.0)
#: The post's epsilon offset inside the log.
POST_EPSILON = 1e-10


@cache
def blobs() -> tuple[np.ndarray, np.ndarray]:
    return logreg.make_blobs(N_POINTS, seed=SEED)


@cache
def separable() -> tuple[np.ndarray, np.ndarray]:
    return logreg.make_separable(N_POINTS, seed=SEED)


@cache
def blobs_fit(method: str = "newton") -> logreg.FitResult:
    return logreg.fit(*blobs(), l2=BLOBS_L2, method=method)


@cache
def separable_fit(l2: float) -> logreg.FitResult:
    """The separable data fitted with ``l2``; with 0 the SeparationWarning is expected and kept."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", logreg.SeparationWarning)
        return logreg.fit(*separable(), l2=l2, max_iter=1000)


@cache
def convergence_histories(n_iter: int = 30) -> dict[str, list[float]]:
    X, y = blobs()
    _, _, gd = gradient_descent(X, y, l2=BLOBS_L2, n_iter=n_iter)
    return {
        "gradient descent (step 1/L)": gd,
        "BFGS": list(logreg.fit(X, y, l2=BLOBS_L2, method="bfgs", tol=1e-10).history),
        "Newton (IRLS)": list(logreg.fit(X, y, l2=BLOBS_L2, method="newton", tol=1e-10).history),
    }


@cache
def optimum() -> float:
    return logreg.fit(*blobs(), l2=BLOBS_L2, tol=1e-14).objective


def fmt(x: float, digits: int = 4) -> str:
    """A float for prose: ``digits`` significant digits, a real minus sign, no '-0'."""
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant} × 10<sup>{int(exp)}</sup>"
    return text.replace("-", "−")


def values() -> dict[str, str]:
    """Every ``{{ name }}`` the chapters may use, formatted for the page."""
    X, y = blobs()
    fit = blobs_fit()
    terrible = logreg.objective(TERRIBLE_W, TERRIBLE_B, X, y)
    terrible_acc = float(np.mean(logreg.predict(TERRIBLE_W, TERRIBLE_B, X) == y))
    fit_acc = float(np.mean(fit.predict(X) == y))
    out = {
        "seed": str(SEED),
        "n_points": str(N_POINTS),
        "n_class_a": str(int(y.sum())),
        "n_class_b": str(int((1 - y).sum())),
        "terrible_w1": fmt(TERRIBLE_W[0]),
        "terrible_w2": fmt(TERRIBLE_W[1]),
        "terrible_b": fmt(TERRIBLE_B),
        "terrible_objective": fmt(terrible),
        "terrible_accuracy": f"{terrible_acc:.0%}".replace("%", " %"),
        "blobs_l2": fmt(BLOBS_L2),
        "fit_w1": fmt(fit.weights[0]),
        "fit_w2": fmt(fit.weights[1]),
        "fit_b": fmt(fit.bias),
        "fit_objective": fmt(fit.objective, 8),
        "fit_n_iter": str(fit.n_iter),
        "fit_accuracy": f"{fit_acc:.0%}".replace("%", " %"),
        "log_2_n": fmt(N_POINTS * math.log(2)),
        "offset_cap": fmt(-math.log(POST_EPSILON), 3),
        "post_epsilon": fmt(POST_EPSILON),
    }
    for method in logreg.METHODS:
        out[f"fit_{method}_n_iter"] = str(blobs_fit(method).n_iter)
    for l2 in SEPARABLE_L2:
        res = separable_fit(l2)
        key = f"{l2:g}".replace(".", "_")
        out[f"sep_norm_{key}"] = fmt(float(np.linalg.norm(res.weights)), 3)
        out[f"sep_n_iter_{key}"] = str(res.n_iter)
        out[f"sep_objective_{key}"] = fmt(res.objective, 3)
    out["sep_l2_mid"], out["sep_l2_large"] = fmt(SEPARABLE_L2[1]), fmt(SEPARABLE_L2[2])
    return out
