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
import logreg.fitting
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
    """The separable data fitted by Newton's method with ``l2``; with 0 the SeparationWarning is
    expected and kept. (With l2 = 0 the weights are wherever the iterations stop, and the chapter
    describes Newton's.)"""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", logreg.SeparationWarning)
        return logreg.fit(*separable(), l2=l2, method="newton", max_iter=1000)


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
    return logreg.fit(*blobs(), l2=BLOBS_L2, method="newton", tol=1e-14).objective


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
        # the L-BFGS settings "Beyond the post" describes, read from the package
        "lbfgs_memory": str(logreg.fitting.LBFGS_MEMORY),
        "subsample_stride": str(logreg.fitting.SUBSAMPLE_STRIDE),
        "certified_gap_per_tol": fmt(logreg.fitting.CERTIFIED_GAP_PER_TOL),
        "condition_test_rows": str(logreg.fitting.CONDITION_TEST_ROWS_PER_PARAMETER),
        "condition_test_iter": str(logreg.fitting.CONDITION_TEST_ITER),
        "hessian_rows": str(logreg.fitting.HESSIAN_ROWS_PER_PARAMETER),
        "hessian_min_rows": f"{logreg.fitting.HESSIAN_MIN_ROWS:,}",
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
    out.update(_chapter_values(X, y))
    out["comparison_table"], gap = comparison_table()
    out["comparison_max_gap"] = fmt(gap, 2)
    out.update(_part2_values())
    return out


def _chapter_values(X: np.ndarray, y: np.ndarray) -> dict[str, str]:
    """Values of the chapters *The data* to *Regularisation*."""
    import inspect

    from scipy.optimize import check_grad

    from logreg.data import BLOB_CENTRES
    from logreg.gradcheck import EPS, SAFETY

    out: dict[str, str] = {}
    # The data: the class centres, and the Bayes posterior of the model that generated them
    # (shared identity covariance): sigma(w.x + b), w = mu_A - mu_B,
    # b = (|mu_B|^2 - |mu_A|^2) / 2 + log(n_A / n_B).
    mu_a, mu_b = np.array(BLOB_CENTRES[1]), np.array(BLOB_CENTRES[0])
    out["centre_a"] = "(" + ", ".join(fmt(c) for c in mu_a) + ")"
    out["centre_b"] = "(" + ", ".join(fmt(c) for c in mu_b) + ")"
    bayes_w = mu_a - mu_b
    bayes_b = (mu_b @ mu_b - mu_a @ mu_a) / 2 + math.log(y.sum() / (1 - y).sum())
    out["bayes_w1"], out["bayes_w2"], out["bayes_b"] = fmt(bayes_w[0]), fmt(bayes_w[1]), fmt(bayes_b)
    # The sigmoid chapter's code listing needs the terrible boundary as Python literals.
    out["terrible_w_code"] = repr([float(v) for v in TERRIBLE_W])
    out["terrible_b_code"] = repr(float(TERRIBLE_B))
    # Finite differences: machine epsilon, the best steps and errors, scipy's default step.
    out["machine_eps"] = fmt(EPS, 3)
    out["fd_h_central"] = fmt(EPS ** (1 / 3), 2)
    out["fd_err_central"] = fmt(EPS ** (2 / 3), 1)
    out["fd_h_forward"] = fmt(EPS**0.5, 2)
    out["scipy_check_grad_step"] = fmt(float(inspect.signature(check_grad).parameters["epsilon"].default), 2)
    out["gradcheck_safety"] = fmt(SAFETY)
    # Regularisation: scikit-learn's C, and the fuzzy data shifted along x1 (translation test).
    shift = 5.0
    out["blobs_C"] = fmt(1 / (2 * BLOBS_L2))
    out["shift_x1"] = fmt(shift)
    moved = X + np.array([shift, 0.0])
    for penalize_bias, key in ((False, "free"), (True, "penalised")):
        before = logreg.fit(X, y, l2=BLOBS_L2, penalize_bias=penalize_bias)
        after = logreg.fit(moved, y, l2=BLOBS_L2, penalize_bias=penalize_bias)
        dp = float(np.max(np.abs(before.predict_proba(X) - after.predict_proba(moved))))
        out[f"shift_dp_{key}"] = fmt(dp, 2)
        out[f"shift_labels_{key}"] = str(int(np.sum(before.predict(X) != after.predict(moved))))
    return out


@cache
def comparison_table() -> tuple[str, float]:
    """The last chapter's comparison with scikit-learn and statsmodels: a Markdown table, and the
    largest relative objective gap in it.

    Every row fits the fuzzy data; its objective is evaluated by ``logreg.objective`` at that
    row's parameters, so all rows are measured on one scale, and the gap is relative to
    ``logreg``'s Newton fit at the same penalty. scikit-learn minimises
    ``C * sum(loss) + ||w||^2 / 2``, which is the book's objective with ``C = 1 / (2 * l2)``;
    statsmodels' ``Logit`` has no penalty, so it is compared at ``l2 = 0`` (the fuzzy data are
    not separable, so that optimum is finite).
    """
    import statsmodels.api as sm
    from sklearn.linear_model import LogisticRegression

    X, y = blobs()
    rows, gaps = [], []
    for l2 in (BLOBS_L2, 0.0):
        methods = logreg.METHODS if l2 > 0 else ("newton",)
        fits = [(f"`logreg`, {m}", *_wb(logreg.fit(X, y, l2=l2, method=m))) for m in methods]
        if l2 > 0:
            for solver in ("newton-cholesky", "lbfgs"):
                model = LogisticRegression(C=1 / (2 * l2), solver=solver, tol=1e-10, max_iter=1000)
                model.fit(X, y)
                fits.append((f"scikit-learn, {solver}", model.coef_[0], float(model.intercept_[0])))
        else:
            params = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-10).params
            fits.append(("statsmodels, `Logit`", params[1:], float(params[0])))
        ours = logreg.objective(fits[0][1], fits[0][2], X, y, l2=l2)
        for name, w, b in fits:
            value = logreg.objective(w, b, X, y, l2=l2)
            gaps.append(abs(value - ours) / ours)
            rows.append(f"| {name} | {fmt(l2)} | {fmt(w[0], 7)} | {fmt(w[1], 7)} | {fmt(b, 7)} "
                        f"| {fmt(value, 12)} | {fmt((value - ours) / ours, 2)} |")
    head = ("| implementation | $\\lambda$ | $w_1$ | $w_2$ | $b$ | objective $E$ | relative gap |\n"
            "|:--|--:|--:|--:|--:|--:|--:|")
    return "\n".join([head, *rows]), max(gaps)


def _wb(result: logreg.FitResult) -> tuple[np.ndarray, float]:
    return result.weights, result.bias


def _part2_values() -> dict[str, str]:
    """The numbers of Part II (`book.part2`), merged in."""
    from . import part2

    return part2.values()
