"""The book's worked story, computed: every fit and number the chapters and figures quote.

Chapters write ``{{ name }}`` and the build puts the formatted value in its place; a name that
is not here fails the build. Figures in :mod:`book.figures` draw from the same functions, so a
number in the prose and the figure next to it cannot disagree.
"""

from __future__ import annotations

import math
from functools import cache
from importlib.metadata import version

import numpy as np

import logreg
from logreg._options import DEFAULT_OPTIONS
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
#: The convergence figure: gradient-descent iterations, and the tolerance of BFGS and Newton.
CONVERGENCE_GD_ITER = 30
CONVERGENCE_TOL = 1e-10
#: A penalty large enough to show the limit lambda -> infinity (regularisation chapter).
HUGE_L2 = 1e6
#: The post's offset inside the log (its code calls it ``epsilon``; the book writes delta).
POST_EPSILON = 1e-9


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
def convergence_histories(n_iter: int = CONVERGENCE_GD_ITER) -> dict[str, list[float]]:
    X, y = blobs()
    _, _, gd = gradient_descent(X, y, l2=BLOBS_L2, n_iter=n_iter)
    tol = CONVERGENCE_TOL
    return {
        "gradient descent (step 1/L)": gd,
        "BFGS": list(logreg.fit(X, y, l2=BLOBS_L2, method="bfgs", tol=tol).history),
        "Newton (IRLS)": list(logreg.fit(X, y, l2=BLOBS_L2, method="newton", tol=tol).history),
    }


def gd_lipschitz(X: np.ndarray, l2: float) -> float:
    """L of the gradient-descent step 1/L: a bound on the Hessian's largest eigenvalue."""
    X_tilde = np.column_stack([X, np.ones(len(X))])
    return float(np.linalg.norm(X_tilde, 2) ** 2 / 4 + 2 * l2)


@cache
def optimum() -> float:
    return logreg.fit(*blobs(), l2=BLOBS_L2, method="newton", tol=1e-14).objective


def _post_sigmoid(a: float) -> float:
    """The post's formula, as it computes it: ``1 / (1 + exp(-a))`` in double precision."""
    with np.errstate(over="ignore"):
        return float(1 / (1 + np.exp(-np.float64(a))))


def _first_float_where(test, lo: float, hi: float) -> float:
    """The smallest double in ``(lo, hi]`` at which the monotone ``test`` holds (it holds at
    ``hi`` and not at ``lo``), by bisection on the doubles themselves."""
    assert not test(lo) and test(hi)
    while np.nextafter(lo, hi) < hi:
        mid = lo + (hi - lo) / 2
        if mid in (lo, hi):
            break
        lo, hi = (lo, mid) if test(mid) else (mid, hi)
    return hi


@cache
def sigma_rounds_to_zero_below() -> float:
    """The largest activation at which the post's sigmoid is exactly 0 (``exp(-a)`` overflows)."""
    return -_first_float_where(lambda t: _post_sigmoid(-t) == 0.0, 1.0, 1000.0)


@cache
def one_minus_sigma_rounds_to_zero_above() -> float:
    """The smallest activation at which ``1 - sigma(a)``, with the post's sigmoid, is exactly 0."""
    return _first_float_where(lambda a: 1.0 - _post_sigmoid(a) == 0.0, 1.0, 100.0)


def fmt(x: float, digits: int = 4) -> str:
    """A float for prose: ``digits`` significant digits, a real minus sign, no '-0'."""
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        # No-break spaces: "2.9 × 10⁻¹⁶" is one number and must not break across lines.
        text = f"{mant}\u00a0×\u00a010<sup>{int(exp)}</sup>"
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
        # the worked 2-D example: boundary x2 = slope * x1 + intercept, its distance from 0
        "terrible_slope": fmt(-TERRIBLE_W[0] / TERRIBLE_W[1]),
        "terrible_intercept": fmt(-TERRIBLE_B / TERRIBLE_W[1]),
        "terrible_norm": fmt(float(np.linalg.norm(TERRIBLE_W))),
        "terrible_distance": fmt(abs(TERRIBLE_B) / float(np.linalg.norm(TERRIBLE_W))),
        "terrible_sigma_origin": fmt(float(logreg.sigmoid(TERRIBLE_B)), 3),
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
        "gd_lipschitz": fmt(gd_lipschitz(X, BLOBS_L2)),
        "convergence_gd_iter": str(CONVERGENCE_GD_ITER),
        "convergence_tol": repr(CONVERGENCE_TOL),
        "offset_cap": fmt(-math.log(POST_EPSILON), 3),
        "post_epsilon": fmt(POST_EPSILON),
        # the versions the References page cites the documentation of
        **{
            f"{name}_version": version(dist)
            for name, dist in (("scipy", "scipy"), ("sklearn", "scikit-learn"), ("statsmodels", "statsmodels"))
        },
        # where the post's sigma = 1 / (1 + exp(-a)) rounds to exactly 0, and 1 - sigma to 0
        "sigma_zero_below": fmt(sigma_rounds_to_zero_below(), 4),
        "one_minus_sigma_zero_above": fmt(one_minus_sigma_rounds_to_zero_above(), 4),
        # the L-BFGS settings "Beyond the post" describes, read from the package
        "lbfgs_memory": str(DEFAULT_OPTIONS.lbfgs_memory),
        "auto_newton_max_work": fmt(DEFAULT_OPTIONS.auto_newton_max_work),
        "subsample_stride": str(DEFAULT_OPTIONS.subsample_stride),
        "certified_gap_per_tol": fmt(DEFAULT_OPTIONS.certified_gap_per_tol),
        "condition_test_rows": str(DEFAULT_OPTIONS.condition_test_rows_per_parameter),
        "condition_test_iter": str(DEFAULT_OPTIONS.condition_test_iter),
        "hessian_rows": str(DEFAULT_OPTIONS.hessian_rows_per_parameter),
        "hessian_min_rows": f"{DEFAULT_OPTIONS.hessian_min_rows:,}",
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
    out.update(_bfgs_values(X, y))
    out["comparison_table"], gap, step, allowed = comparison_table()
    out["comparison_max_gap"] = fmt(gap, 2)
    out["comparison_max_parameter_gap"] = fmt(step, 2)
    out["comparison_allowed_parameter_gap"] = fmt(allowed, 2)
    out.update(_part2_values())
    return out


def _chapter_values(X: np.ndarray, y: np.ndarray) -> dict[str, str]:
    """Values of the chapters *The data* to *Regularisation*."""
    import inspect

    from scipy.optimize import check_grad

    from logreg.data import BLOB_CENTRES
    from logreg.gradcheck import EPS, RESOLUTION, SAFETY

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
    # The data and penalties of the fitting and separable chapters' listings, as Python literals.
    out["blobs_l2_code"] = repr(float(BLOBS_L2))
    out["separable_l2_code"] = repr(tuple(float(v) for v in SEPARABLE_L2))
    # Finite differences: machine epsilon, the best steps and errors, scipy's default step.
    out["machine_eps"] = fmt(EPS, 3)
    out["fd_h_central"] = fmt(EPS ** (1 / 3), 2)
    out["fd_err_central"] = fmt(EPS ** (2 / 3), 1)
    out["fd_h_forward"] = fmt(EPS**0.5, 2)
    out["scipy_check_grad_step"] = fmt(float(inspect.signature(check_grad).parameters["epsilon"].default), 2)
    out["gradcheck_safety"] = fmt(SAFETY)
    out["gradcheck_resolution_percent"] = fmt(100 * RESOLUTION)
    # Regularisation: scikit-learn's C, and the fuzzy data shifted along x1 (translation test).
    shift = 5.0
    out["blobs_C"] = fmt(1 / (2 * BLOBS_L2))
    from sklearn.linear_model import LogisticRegression

    out["sklearn_default_l2"] = fmt(1 / (2 * LogisticRegression().C))
    # A very large penalty: the weights vanish and sigma(b) tends to the base rate.
    # The fuzzy data are balanced, so this uses a real, unbalanced data set.
    from sklearn.datasets import load_breast_cancer

    Xc, yc = load_breast_cancer(return_X_y=True)
    Xc = (Xc - Xc.mean(axis=0)) / Xc.std(axis=0)  # standardised, as the chapter says
    huge = logreg.fit(Xc, yc, l2=HUGE_L2, method="newton", tol=1e-12)
    huge_pb = logreg.fit(Xc, yc, l2=HUGE_L2, method="newton", tol=1e-12, penalize_bias=True)
    out["cancer_n"], out["cancer_d"] = str(Xc.shape[0]), str(Xc.shape[1])
    out["cancer_n1"] = str(int(yc.sum()))
    out["huge_l2"] = fmt(HUGE_L2)
    out["huge_l2_norm"] = fmt(float(np.linalg.norm(huge.weights)), 2)
    out["huge_l2_sigma_b"] = fmt(float(logreg.sigmoid(huge.bias)), 4)
    out["huge_l2_sigma_b_penalised"] = fmt(float(logreg.sigmoid(huge_pb.bias)), 4)
    out["base_rate"] = fmt(float(yc.mean()), 4)
    out["shift_x1"] = fmt(shift)
    moved = X + np.array([shift, 0.0])
    for penalize_bias, key in ((False, "free"), (True, "penalised")):
        before = logreg.fit(X, y, l2=BLOBS_L2, penalize_bias=penalize_bias)
        after = logreg.fit(moved, y, l2=BLOBS_L2, penalize_bias=penalize_bias)
        dp = float(np.max(np.abs(before.predict_proba(X) - after.predict_proba(moved))))
        out[f"shift_dp_{key}"] = fmt(dp, 2)
        out[f"shift_labels_{key}"] = str(int(np.sum(before.predict(X) != after.predict(moved))))
    return out


def _bfgs_values(X: np.ndarray, y: np.ndarray) -> dict[str, str]:
    """SciPy's BFGS defaults, and how far its ``hess_inv`` is from the exact inverse Hessian
    (the fitting chapter runs the same call)."""
    import inspect

    from scipy.optimize import minimize
    from scipy.optimize._optimize import _minimize_bfgs

    defaults = inspect.signature(_minimize_bfgs).parameters

    def E(theta):
        return logreg.objective(theta[:2], theta[2], X, y, l2=BLOBS_L2)

    def grad_E(theta):
        return np.append(*logreg.gradient(theta[:2], theta[2], X, y, l2=BLOBS_L2))

    res = minimize(E, np.zeros(3), jac=grad_E, method="BFGS")
    exact = np.linalg.inv(logreg.hessian(res.x[:2], res.x[2], X, y, l2=BLOBS_L2))
    error = np.abs(res.hess_inv - exact).max() / np.abs(exact).max()
    norm = defaults["norm"].default
    return {
        "scipy_bfgs_gtol": fmt(defaults["gtol"].default),
        "scipy_bfgs_gtol_code": repr(defaults["gtol"].default),
        "scipy_bfgs_norm": "np.inf" if norm == np.inf else repr(norm),
        "bfgs_hess_inv_error": f"{error:.0%}".replace("%", " %") if error >= 0.01 else fmt(error, 2),
        "bfgs_hess_inv_nit": str(res.nit),
    }


@cache
def comparison_table() -> tuple[str, float, float, float]:
    """The last chapter's comparison with scikit-learn and statsmodels: a Markdown table, the
    largest relative objective gap in it, the largest difference in a parameter, and the size of
    parameter difference that an objective gap of one rounding error allows (see below).

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
    groups, gaps, steps, allowed = [], [], [], []
    for l2 in (BLOBS_L2, 0.0):
        methods = logreg.METHODS if l2 > 0 else ("newton",)
        fits = [(f"<code>logreg</code>, {m}", *_wb(logreg.fit(X, y, l2=l2, method=m))) for m in methods]
        if l2 > 0:
            for solver in ("newton-cholesky", "lbfgs"):
                model = LogisticRegression(C=1 / (2 * l2), solver=solver, tol=1e-10, max_iter=1000)
                model.fit(X, y)
                fits.append((f"scikit-learn, {solver}", model.coef_[0], float(model.intercept_[0])))
        else:
            params = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-10).params
            fits.append(("statsmodels, <code>Logit</code>", params[1:], float(params[0])))
        ours = logreg.objective(fits[0][1], fits[0][2], X, y, l2=l2)
        # Near the optimum E rises like (1/2) d^T H d, so objectives equal to within a rounding
        # error eps |E| allow parameters to differ by up to about sqrt(2 eps |E| / mu_min).
        mu_min = float(np.linalg.eigvalsh(logreg.hessian(fits[0][1], fits[0][2], X, y, l2=l2))[0])
        allowed.append(math.sqrt(2 * np.finfo(float).eps * abs(ours) / mu_min))
        rows = []
        for name, w, b in fits:
            value = logreg.objective(w, b, X, y, l2=l2)
            gaps.append(abs(value - ours) / ours)
            steps.append(float(np.max(np.abs(np.append(w, b) - np.append(fits[0][1], fits[0][2])))))
            rows.append([name, fmt(w[0], 7), fmt(w[1], 7), fmt(b, 7), fmt(value, 12), fmt((value - ours) / ours, 2)])
        groups.append((f"$\\lambda = {fmt(l2)}$", rows))
    return _comparison_html(groups), max(gaps), max(steps), max(allowed)


#: The comparison table's columns after the first; each cell repeats its label for the stacked
#: layout of a phone (``book.css``), where a row becomes a small card.
COMPARISON_COLUMNS = ("$w_1$", "$w_2$", "$b$", "objective $E_\\lambda$", "relative gap")


def _comparison_html(groups: list[tuple[str, list[list[str]]]]) -> str:
    """An HTML table (a Markdown table cannot group rows): one body per penalty, its rows."""
    head = "".join(f'<th scope="col">{c}</th>' for c in ("implementation", *COMPARISON_COLUMNS))
    bodies = []
    for title, rows in groups:
        trs = [f'<tr><th scope="colgroup" colspan="{len(COMPARISON_COLUMNS) + 1}">{title}</th></tr>']
        for name, *cells in rows:
            tds = "".join(
                f'<td><span class="cell-label" aria-hidden="true">{label}</span><span>{cell}</span></td>'
                for label, cell in zip(COMPARISON_COLUMNS, cells, strict=True)
            )
            trs.append(f'<tr><th scope="row">{name}</th>{tds}</tr>')
        bodies.append("<tbody>" + "".join(trs) + "</tbody>")
    return (
        f'<div class="comparison"><table class="comparison-table"><thead><tr>{head}</tr></thead>'
        + "".join(bodies)
        + "</table></div>"
    )


def _wb(result: logreg.FitResult) -> tuple[np.ndarray, float]:
    return result.weights, result.bias


def _part2_values() -> dict[str, str]:
    """The numbers of Part II (`book.part2`), merged in."""
    from . import part2

    return part2.values()
