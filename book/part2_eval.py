"""Part II, chapters *Is the model any good?* and *Choosing lambda*, computed.

The breast-cancer data of scikit-learn (569 tumours, 30 measurements each), split once into a
training and a test set with a fixed seed; every fit, curve and number of the two chapters, and
the figures beside them (``FIGURES``, merged into `book.figures.REGISTRY`), come from the cached
functions here. `book.part2.values` merges `values` into the ``{{ name }}`` table.
"""

from __future__ import annotations

import math
import time
import warnings
from functools import cache

import numpy as np

import logreg
from logreg import selection

#: The split: this share of the rows is held out as the test set, stratified, with this seed.
TEST_SIZE = 0.3
SEED = 0
#: The penalty of the evaluation chapter (on standardised features): a round value near what the
#: next chapter's cross-validation picks (its values say which).
EVAL_L2 = 1.0
#: A strong penalty and the unpenalised fit, to show where calibration breaks.
STRONG_L2 = 100.0
#: The costs of the two errors: calling a malignant tumour benign (a false negative) is taken to
#: be this many times as bad as sending a benign one to a biopsy (a false positive).
COST_FN = 10.0
COST_FP = 1.0
#: Bins of the reliability diagram.
CALIBRATION_BINS = 5
#: Folds of the k-fold estimates, and the grid of penalties of the choosing-lambda chapter.
FOLDS = 5
GRID = np.logspace(-3, 3, 25)
#: Timing: each path is fitted this many times and the fastest run counts.
TIMING_REPEATS = 5


def fmt(x: float, digits: int = 4) -> str:
    from .results import fmt as _fmt

    return _fmt(x, digits)


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


def measured(text: str) -> str:
    """A wall-clock measurement for the page. It differs from build to build (the only numbers
    in the book that do), so it is marked: the reproducibility tests (tests/book/test_site.py) compare
    builds with these spans blanked, and the search index leaves them out."""
    return f'<span class="measured" data-search-exclude>{text}</span>'


def claim(holds: bool, text: str) -> None:
    """The prose states ``text``; stop the build if the computed numbers no longer bear it out."""
    if not holds:
        raise AssertionError(f"a claim of the evaluation/choosing-lambda chapters no longer holds: {text}")


def ms(seconds: float) -> str:
    """A measured time in milliseconds, plain digits (no markup inside the `measured` span)."""
    value = 1000 * seconds
    return measured(f"{value:,.0f}" if value >= 10 else f"{value:.1f}")


# --- the data ----------------------------------------------------------------------------------


@cache
def breast_cancer() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """X (569 x 30) and y with y = 1 for a malignant tumour (scikit-learn codes malignant as 0)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return data.data.astype(float), 1.0 - data.target.astype(float), [str(n) for n in data.feature_names]


def standardiser(X_train: np.ndarray):
    """``z(X) = (X - mean) / sd`` with the mean and sd of ``X_train`` only (so no test row leaks in)."""
    mean, sd = X_train.mean(axis=0), X_train.std(axis=0)
    return lambda X: (X - mean) / sd


@cache
def split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardised (Z_train, Z_test, y_train, y_test): a stratified, seeded split."""
    from sklearn.model_selection import train_test_split

    X, y, _ = breast_cancer()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=TEST_SIZE, stratify=y, random_state=SEED)
    z = standardiser(X_tr)
    return z(X_tr), z(X_te), y_tr, y_te


@cache
def eval_fit(l2: float = EVAL_L2, penalize_bias: bool = False) -> logreg.FitResult:
    Z, _, y, _ = split()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", logreg.SeparationWarning)  # l2 = 0: expected, and the point
        return logreg.fit(Z, y, l2=l2, penalize_bias=penalize_bias, method="newton", max_iter=100)


def probabilities(l2: float = EVAL_L2, penalize_bias: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Predicted probabilities of malignancy on the training and the test set."""
    Z_tr, Z_te, _, _ = split()
    res = eval_fit(l2, penalize_bias)
    return res.predict_proba(Z_tr), res.predict_proba(Z_te)


def cost_threshold(c_fp: float = COST_FP, c_fn: float = COST_FN) -> float:
    """The threshold that minimises the expected cost (eq. ``threshold``)."""
    return c_fp / (c_fp + c_fn)


@cache
def kfold_test_losses(l2: float = EVAL_L2) -> np.ndarray:
    """The held-out log-loss of each of `FOLDS` folds of the training set, standardised inside
    each fold with that fold's training rows."""
    from sklearn.metrics import log_loss

    _, _, y, _ = split()
    X_raw = _raw_train()
    out = []
    for train, test in selection.kfold_indices(y, FOLDS, seed=SEED):
        z = standardiser(X_raw[train])
        res = logreg.fit(z(X_raw[train]), y[train], l2=l2, method="newton")
        out.append(log_loss(y[test], res.predict_proba(z(X_raw[test])), labels=[0, 1]))
    return np.array(out)


@cache
def _raw_train() -> np.ndarray:
    from sklearn.model_selection import train_test_split

    X, y, _ = breast_cancer()
    return train_test_split(X, y, test_size=TEST_SIZE, stratify=y, random_state=SEED)[0]


@cache
def roc() -> dict[float, tuple[np.ndarray, np.ndarray, float]]:
    """(fpr, tpr, AUC) on the test set, for the evaluation penalty and the unpenalised fit."""
    from sklearn.metrics import roc_auc_score, roc_curve

    y_te = split()[3]
    out = {}
    for l2 in (EVAL_L2, 0.0):
        p = probabilities(l2)[1]
        fpr, tpr, _ = roc_curve(y_te, p)
        out[l2] = (fpr, tpr, float(roc_auc_score(y_te, p)))
    return out


@cache
def out_of_fold(l2: float) -> np.ndarray:
    """Cross-validated probabilities on all rows: each row predicted by the fit on the other
    `FOLDS` - 1 folds (standardised with their statistics), as scikit-learn's
    ``cross_val_predict`` does; every prediction is a prediction on unseen data."""
    X, y, _ = breast_cancer()
    p = np.empty_like(y)
    for train, test in selection.kfold_indices(y, FOLDS, seed=SEED):
        z = standardiser(X[train])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", logreg.SeparationWarning)
            res = logreg.fit(z(X[train]), y[train], l2=l2, method="newton", max_iter=100)
        p[test] = res.predict_proba(z(X[test]))
    return p


@cache
def reliability() -> dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(mean predicted probability, fraction positive, count) per non-empty bin of
    `CALIBRATION_BINS` equal bins of the out-of-fold predictions, for three penalties."""
    from sklearn.calibration import calibration_curve

    y = breast_cancer()[1]
    out = {}
    for l2 in (0.0, EVAL_L2, STRONG_L2):
        p = out_of_fold(l2)
        frac, mean = calibration_curve(y, p, n_bins=CALIBRATION_BINS, strategy="uniform")
        counts = np.histogram(p, bins=CALIBRATION_BINS, range=(0.0, 1.0))[0]
        out[l2] = (mean, frac, counts[counts > 0])
    return out


def _evaluation_values() -> dict[str, str]:
    from sklearn.metrics import accuracy_score, brier_score_loss, confusion_matrix, log_loss, roc_auc_score

    out: dict[str, str] = {}
    X, y, names = breast_cancer()
    Z_tr, _Z_te, y_tr, y_te = split()
    out["bc_n"], out["bc_d"] = str(X.shape[0]), str(X.shape[1])
    out["bc_malignant"] = str(int(y.sum()))
    out["bc_n_train"], out["bc_n_test"] = str(len(y_tr)), str(len(y_te))
    out["bc_test_share"] = pct(TEST_SIZE, 0)
    out["bc_seed"] = str(SEED)
    out["bc_base_rate"] = fmt(float(y_tr.mean()), 3)
    sds = X.std(axis=0)
    out["bc_sd_max_name"], out["bc_sd_min_name"] = names[int(np.argmax(sds))], names[int(np.argmin(sds))]
    out["bc_sd_ratio"] = fmt(float(sds.max() / sds.min()), 2)
    out["eval_l2"], out["strong_eval_l2"] = fmt(EVAL_L2), fmt(STRONG_L2)

    res = eval_fit()
    p_tr, p_te = probabilities()
    out["eval_train_loss"] = fmt(float(selection.log_loss(res, Z_tr, y_tr)), 3)
    out["eval_test_loss"] = fmt(float(log_loss(y_te, p_te)), 3)
    folds = kfold_test_losses()
    out["eval_folds"] = str(FOLDS)
    out["eval_kfold_loss"] = fmt(float(folds.mean()), 3)
    out["eval_kfold_se"] = fmt(float(folds.std(ddof=1) / math.sqrt(FOLDS)), 2)
    out["eval_kfold_min"], out["eval_kfold_max"] = fmt(float(folds.min()), 3), fmt(float(folds.max()), 3)
    test_loss = float(log_loss(y_te, p_te))
    claim(folds.min() <= test_loss <= folds.max(), "the test loss is within the spread of the folds")
    claim(float(selection.log_loss(res, Z_tr, y_tr)) < test_loss, "the training loss is below the test loss")
    # Separation: the unpenalised fit.
    zero = eval_fit(0.0)
    _p0_tr, p0_te = probabilities(0.0)
    out["sep_train_separable"] = "separable" if zero.separable else "not separable"
    out["sep_train_loss"] = fmt(float(selection.log_loss(zero, Z_tr, y_tr)), 2)
    out["sep_test_loss"] = fmt(float(log_loss(y_te, p0_te)), 3)
    out["sep_loss_ratio"] = fmt(float(log_loss(y_te, p0_te) / log_loss(y_te, p_te)), 2)
    out["sep_weight_norm"] = fmt(float(np.linalg.norm(zero.weights)), 3)
    out["eval_weight_norm"] = fmt(float(np.linalg.norm(res.weights)), 3)
    extreme = np.minimum(p0_te, 1 - p0_te)
    out["sep_test_certain"] = str(int((extreme < 1e-3).sum()))
    wrong0 = (p0_te > 0.5) != (y_te == 1)
    out["sep_test_wrong"] = str(int(wrong0.sum()))
    out["sep_test_wrong_certain"] = str(int((wrong0 & (extreme < 1e-3)).sum()))

    # Accuracy and the confusion matrix at 1/2 and at the cost threshold.
    t = cost_threshold()
    out["cost_fn"], out["cost_fp"] = fmt(COST_FN), fmt(COST_FP)
    out["cost_threshold"] = fmt(t, 3)
    for key, thr in (("half", 0.5), ("cost", t)):
        pred = (p_te > thr).astype(float)
        tn, fp, fn, tp = confusion_matrix(y_te, pred, labels=[0, 1]).ravel()
        out[f"th_{key}_acc"] = pct(float(accuracy_score(y_te, pred)))
        out[f"th_{key}_tn"], out[f"th_{key}_fp"], out[f"th_{key}_fn"], out[f"th_{key}_tp"] = (
            str(int(c)) for c in (tn, fp, fn, tp)
        )
        out[f"th_{key}_cost"] = fmt(float(COST_FP * fp + COST_FN * fn), 3)
    claim(
        float(out["th_cost_fn"]) < float(out["th_half_fn"])
        and float(out["th_cost_acc"][:-2]) < float(out["th_half_acc"][:-2]),
        "the cost threshold misses fewer cancers at a lower accuracy",
    )
    claim(float(out["th_cost_cost"]) < float(out["th_half_cost"]), "the cost threshold costs less")
    out["test_malignant"] = str(int(y_te.sum()))
    out["test_benign"] = str(int((1 - y_te).sum()))

    # ROC.
    curves = roc()
    out["auc"] = fmt(curves[EVAL_L2][2], 4)
    out["auc_unpenalised"] = fmt(curves[0.0][2], 4)
    pos, neg = p_te[y_te == 1], p_te[y_te == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    out["auc_pairs"] = fmt(float(pairs), 4)
    out["auc_pairs_gap"] = fmt(float(abs(pairs - roc_auc_score(y_te, p_te))), 2)
    out["auc_n_pairs"] = f"{len(pos) * len(neg):,}"

    # Calibration.
    out["brier"] = fmt(float(brier_score_loss(y_te, p_te)), 3)
    out["brier_unpenalised"] = fmt(float(brier_score_loss(y_te, p0_te)), 3)
    out["brier_strong"] = fmt(float(brier_score_loss(y_te, probabilities(STRONG_L2)[1])), 3)
    out["brier_base_rate"] = fmt(float(brier_score_loss(y_te, np.full_like(y_te, y_tr.mean()))), 3)
    out["calibration_bins"] = str(CALIBRATION_BINS)
    rel = reliability()
    m0, f0, _c0 = rel[0.0]
    out["oof_zero_low_frac"], out["oof_zero_high_frac"] = pct(float(f0[0])), pct(float(f0[-1]))
    out["oof_zero_low_mean"], out["oof_zero_high_mean"] = fmt(float(m0[0]), 3), fmt(float(m0[-1]), 3)
    out["oof_zero_nonempty"] = str(len(m0))
    ms, fs, _ = rel[STRONG_L2]
    mid = int(np.argmin(np.abs(ms - 0.5)))
    out["oof_strong_mid_mean"], out["oof_strong_mid_frac"] = fmt(float(ms[mid]), 2), pct(float(fs[mid]), 0)
    out["oof_strong_top_mean"], out["oof_strong_top_frac"] = fmt(float(ms[-1]), 2), pct(float(fs[-1]), 0)
    out["oof_brier"] = fmt(float(brier_score_loss(y, out_of_fold(EVAL_L2))), 3)
    out["train_mean_p"] = fmt(float(p_tr.mean()), 6)
    out["train_base_rate"] = fmt(float(y_tr.mean()), 6)
    out["train_mean_gap"] = fmt(float(abs(p_tr.mean() - y_tr.mean())), 2)
    out["train_bias_gradient"] = fmt(float(abs(np.sum(p_tr - y_tr))), 2)
    out["test_mean_p"] = fmt(float(p_te.mean()), 3)
    out["test_base_rate"] = fmt(float(y_te.mean()), 3)
    strong_tr = probabilities(STRONG_L2)[0]
    out["strong_train_mean_gap"] = fmt(float(abs(strong_tr.mean() - y_tr.mean())), 2)
    out["strong_max_p"] = fmt(float(probabilities(STRONG_L2)[1].max()), 3)
    strong_pb = probabilities(STRONG_L2, penalize_bias=True)[0]
    out["strong_pb_mean_p"] = fmt(float(strong_pb.mean()), 3)
    out["strong_pb_bias"] = fmt(float(eval_fit(STRONG_L2, True).bias), 3)
    out["strong_bias"] = fmt(float(eval_fit(STRONG_L2).bias), 3)
    out["base_rate_logit"] = fmt(float(math.log(y_tr.mean() / (1 - y_tr.mean()))), 3)
    return out


# --- choosing lambda -----------------------------------------------------------------------------


@cache
def fit_validation_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The training set split again (70/30, stratified, seeded) into a part to fit and a part to
    validate on, standardised with the fitting part; the test set stays untouched."""
    from sklearn.model_selection import train_test_split

    X_raw, (_, _, y, _) = _raw_train(), split()
    X_f, X_v, y_f, y_v = train_test_split(X_raw, y, test_size=0.3, stratify=y, random_state=SEED)
    z = standardiser(X_f)
    return z(X_f), z(X_v), y_f, y_v


@cache
def path() -> dict[str, np.ndarray]:
    """The regularisation path on the fitting part: weights (len(GRID), D), training and
    validation log-loss per penalty."""
    Z_f, Z_v, y_f, y_v = fit_validation_split()
    fits = selection.regularization_path(Z_f, y_f, GRID)
    return {
        "weights": np.array([r.weights for r in fits]),
        "train": np.array([selection.log_loss(r, Z_f, y_f) for r in fits]),
        "validation": np.array([selection.log_loss(r, Z_v, y_v) for r in fits]),
    }


@cache
def path_timing() -> dict[tuple[str, bool], tuple[float, int]]:
    """(fastest of `TIMING_REPEATS` wall-clock times in s, total iterations) of the whole path on
    the training set, per (method, warm_start)."""
    Z, _, y, _ = split()
    times: dict[tuple[str, bool], list[float]] = {}
    iterations: dict[tuple[str, bool], int] = {}
    # Interleaved, so that a burst of load on the machine hits warm and cold runs alike.
    for _ in range(TIMING_REPEATS):
        for method in ("lbfgs", "newton"):
            for warm in (True, False):
                start = time.perf_counter()
                fits = selection.regularization_path(Z, y, GRID, warm_start=warm, method=method)
                times.setdefault((method, warm), []).append(time.perf_counter() - start)
                iterations[(method, warm)] = sum(r.n_iter for r in fits)
    return {key: (min(t), iterations[key]) for key, t in times.items()}


@cache
def cv() -> tuple[selection.CrossValidation, float]:
    """k-fold cross-validation over GRID on the (standardised) training set, and its time in s."""
    Z, _, y, _ = split()
    start = time.perf_counter()
    result = selection.cross_validate(Z, y, GRID, k=FOLDS, seed=SEED)
    return result, time.perf_counter() - start


@cache
def evidence() -> tuple[np.ndarray, float]:
    """The log evidence at each penalty of GRID on the training set, and the time in s of the
    path plus the evidences."""
    Z, _, y, _ = split()
    start = time.perf_counter()
    fits = selection.regularization_path(Z, y, GRID)
    ev = np.array([selection.log_evidence(r) for r in fits])
    return ev, time.perf_counter() - start


def evidence_l2() -> float:
    return float(GRID[int(np.argmax(evidence()[0]))])


def _choosing_values() -> dict[str, str]:
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    out: dict[str, str] = {}
    Z, Z_te, y, y_te = split()
    _Z_f, _Z_v, y_f, y_v = fit_validation_split()
    out["cl_n_fit"], out["cl_n_val"] = str(len(y_f)), str(len(y_v))
    out["grid_n"] = str(len(GRID))
    out["grid_lo"], out["grid_hi"] = fmt(float(GRID[0])), fmt(float(GRID[-1]))
    pth = path()
    best_val = int(np.argmin(pth["validation"]))
    out["path_best_l2"] = fmt(float(GRID[best_val]), 3)
    out["path_best_val"] = fmt(float(pth["validation"][best_val]), 3)
    out["path_small_train"], out["path_small_val"] = fmt(float(pth["train"][0]), 2), fmt(float(pth["validation"][0]), 3)
    out["path_big_train"], out["path_big_val"] = fmt(float(pth["train"][-1]), 3), fmt(float(pth["validation"][-1]), 3)
    claim(
        GRID[0] < GRID[best_val] < GRID[-1] and pth["train"][0] < pth["train"][-1],
        "validation loss has an interior minimum; training loss falls with the penalty",
    )
    claim(bool(np.all(np.diff(pth["train"]) > 0)), "training loss rises steadily with the penalty")
    tim = path_timing()
    for method in ("lbfgs", "newton"):
        (tw, iw), (tc, ic) = tim[(method, True)], tim[(method, False)]
        out[f"{method}_warm_ms"], out[f"{method}_cold_ms"] = ms(tw), ms(tc)
        out[f"{method}_warm_iter"], out[f"{method}_cold_iter"] = str(iw), str(ic)
        out[f"{method}_speedup"] = measured(f"{tc / tw:.1f}")
        out[f"{method}_iter_ratio"] = fmt(ic / iw, 2)
    claim(
        tim[("newton", False)][1] / tim[("newton", True)][1] > tim[("lbfgs", False)][1] / tim[("lbfgs", True)][1],
        "warm starts save Newton a larger share of its iterations than L-BFGS",
    )
    out["timing_repeats"] = str(TIMING_REPEATS)

    res, cv_time = cv()
    out["cv_best_l2"], out["cv_one_se_l2"] = fmt(res.best_l2, 3), fmt(res.one_se_l2, 3)
    i_best = int(np.flatnonzero(res.best_l2 == GRID)[0])
    i_1se = int(np.flatnonzero(res.one_se_l2 == GRID)[0])
    out["cv_best_loss"], out["cv_best_se"] = fmt(float(res.mean[i_best]), 3), fmt(float(res.standard_error[i_best]), 2)
    out["cv_one_se_loss"] = fmt(float(res.mean[i_1se]), 3)
    out["cv_fits"] = str(FOLDS * len(GRID))
    i_eval = int(np.flatnonzero(np.isclose(GRID, EVAL_L2))[0])  # the same folds as kfold_test_losses
    scaling_gap = abs(float(res.mean[i_eval]) - float(kfold_test_losses().mean()))
    claim(scaling_gap < float(res.standard_error[i_eval]), "standardising once changes CV by less than its error")
    out["cv_scaling_gap"] = fmt(scaling_gap, 2)
    out["cv_ms"] = ms(cv_time)
    out["cv_iter"] = str(res.iterations)
    ev, ev_time = evidence()
    lam_ev = evidence_l2()
    out["ev_l2"] = fmt(lam_ev, 3)
    out["ev_fits"] = str(len(GRID))
    out["ev_ms"] = ms(ev_time)
    out["ev_time_ratio"] = measured(f"{cv_time / ev_time:.0f}")
    out["ev_max"] = fmt(float(ev.max()), 4)
    claim(lam_ev < res.best_l2 <= res.one_se_l2, "the evidence picks a smaller penalty than either CV choice")
    out["choice_span"] = fmt(max(res.one_se_l2, lam_ev) / min(res.best_l2, lam_ev), 2)
    # The three choices on the test set, refitted on the whole training set.
    losses: list[float] = []
    for key, lam in (("best", res.best_l2), ("one_se", res.one_se_l2), ("ev", lam_ev)):
        fitted = logreg.fit(Z, y, l2=lam, method="newton")
        p = fitted.predict_proba(Z_te)
        out[f"choice_{key}_loss"] = fmt(float(log_loss(y_te, p)), 3)
        out[f"choice_{key}_acc"] = pct(float(accuracy_score(y_te, p > 0.5)))
        out[f"choice_{key}_auc"] = fmt(float(roc_auc_score(y_te, p)), 4)
        out[f"choice_{key}_norm"] = fmt(float(np.linalg.norm(fitted.weights)), 3)
        losses.append(float(log_loss(y_te, p)))
    claim(
        max(losses) - min(losses) < kfold_test_losses().std(ddof=1) / math.sqrt(FOLDS),
        "the three choices' test losses differ by less than the k-fold standard error",
    )
    return out


def values() -> dict[str, str]:
    """Every ``{{ name }}`` of the two chapters."""
    return {**_evaluation_values(), **_choosing_values()}
