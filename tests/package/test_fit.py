"""Fitting: the FitResult, optimality, agreement of the solvers, warnings, separability,
prediction, and how inputs are treated."""

from __future__ import annotations

import copy
import dataclasses
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import logreg
from logreg import _coordinates, _hessians, _lbfgs
from logreg._options import DEFAULT_OPTIONS
from logreg.fitting import auto_method

L2_VALUES = [0.0, 0.1, 3.0]


def params(result) -> np.ndarray:
    return np.append(result.weights, result.bias)


# --------------------------------------------------------------------------------------------
# The result object
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("l2", L2_VALUES)
@pytest.mark.parametrize("penalize_bias", [False, True])
def test_fit_result_fields(blobs, method, l2, penalize_bias):
    X, y = blobs
    res = logreg.fit(X, y, l2=l2, penalize_bias=penalize_bias, method=method)
    assert isinstance(res, logreg.FitResult)
    assert isinstance(res.weights, np.ndarray) and res.weights.shape == (2,)
    assert res.weights.dtype == np.float64
    assert isinstance(res.bias, float)
    assert isinstance(res.objective, float)
    assert isinstance(res.converged, bool) and res.converged is True
    assert isinstance(res.n_iter, int) and res.n_iter >= 1
    assert res.method == method
    # The reported objective is E at the reported parameters.
    E = logreg.objective(res.weights, res.bias, X, y, l2=l2, penalize_bias=penalize_bias)
    assert res.objective == pytest.approx(E, rel=1e-13, abs=0)
    # History: one value for the start and one per iteration, not increasing, ending at the result.
    hist = np.asarray(res.history, dtype=float)
    assert hist.ndim == 1 and len(hist) == res.n_iter + 1
    assert np.all(np.diff(hist) <= 1e-12 * abs(hist[0]))
    assert hist[-1] == pytest.approx(res.objective, rel=1e-13, abs=0)
    assert hist[0] > hist[-1]


def test_default_method_is_newton_on_small_dense_data_and_lbfgs_beyond(blobs):
    """``method="auto"`` (the default) follows the measured rule N D^2 <= 2e6 (bench_default.py)."""
    X, y = blobs
    assert logreg.fit(X, y).method == "newton"
    assert set(logreg.METHODS) == {"newton", "bfgs", "lbfgs"}
    limit = DEFAULT_OPTIONS.auto_newton_max_work
    assert auto_method((int(limit) // 100, 10)) == "newton"  # N D^2 = limit exactly
    assert auto_method((int(limit) // 100 + 1, 10)) == "lbfgs"
    assert auto_method((1_000, 10), sparse=True) == "lbfgs"  # Newton refuses wide sparse data
    wide = np.random.default_rng(0).standard_normal((3_000, 30))  # N D^2 = 2.7e6
    labels = (wide[:, 0] + np.random.default_rng(1).logistic(size=3_000) > 0).astype(float)
    assert logreg.fit(wide, labels, l2=1.0).method == "lbfgs"
    raised = dataclasses.replace(DEFAULT_OPTIONS, auto_newton_max_work=3e6)
    assert logreg.fit(wide, labels, l2=1.0, options=raised).method == "newton"


def test_auto_and_explicit_method_reach_the_same_optimum(blobs):
    X, y = blobs
    auto = logreg.fit(X, y, l2=0.1)
    assert auto.method == "newton"
    explicit = logreg.fit(X, y, l2=0.1, method="newton")
    assert auto == explicit
    with pytest.raises(ValueError, match="'auto', 'newton', 'bfgs', 'lbfgs'"):
        logreg.fit(X, y, method="irls")


# --------------------------------------------------------------------------------------------
# Optimality
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("l2", L2_VALUES)
@pytest.mark.parametrize("penalize_bias", [False, True])
def test_gradient_vanishes_at_solution(blobs, method, l2, penalize_bias, ref):
    X, y = blobs
    res = logreg.fit(X, y, l2=l2, penalize_bias=penalize_bias, method=method)
    theta = params(res)
    g = ref.gradient(theta, X, y, l2, penalize_bias)
    # Each gradient component is a sum of N terms of size ~|x| ~ 1-3: at the optimum it cancels.
    assert np.max(np.abs(g)) <= 1e-6 * len(y)
    # The Newton step from the solution (the distance to the true optimum, to second order) is tiny.
    step = np.linalg.solve(ref.hessian(theta, X, y, l2, penalize_bias), g)
    assert np.max(np.abs(step)) <= 1e-6 * np.max(np.abs(theta))
    # And no nearby point is lower (up to rounding of E).
    rng = np.random.default_rng(0)
    E = ref.objective(theta, X, y, l2, penalize_bias)
    for _ in range(20):
        delta = rng.standard_normal(theta.size) * 1e-4
        assert ref.objective(theta + delta, X, y, l2, penalize_bias) >= E - 1e-12 * abs(E)


@pytest.mark.parametrize("l2", [0.0, 0.5])
def test_unpenalised_bias_matches_class_balance(blobs, method, l2):
    # With the bias unpenalised, dE/db = sum(sigma_n - y_n) = 0: the predicted probabilities sum to
    # the number of positives. A property of the optimum the solvers know nothing about.
    X, y = blobs
    X = X + np.array([1.5, -0.5])  # an intercept far from 0
    y = y.copy()
    y[:30] = 1.0  # unbalanced classes
    res = logreg.fit(X, y, l2=l2, method=method)
    p = res.predict_proba(X)
    assert p.sum() == pytest.approx(y.sum(), abs=1e-6 * len(y))


@pytest.mark.parametrize("l2", L2_VALUES)
@pytest.mark.parametrize("penalize_bias", [False, True])
def test_methods_agree(blobs, l2, penalize_bias):
    X, y = blobs
    fits = {m: logreg.fit(X, y, l2=l2, penalize_bias=penalize_bias, method=m) for m in logreg.METHODS}
    newton = fits["newton"]
    for m, res in fits.items():
        assert res.objective == pytest.approx(newton.objective, rel=1e-10, abs=0), m
        np.testing.assert_allclose(
            params(res), params(newton), rtol=0, atol=1e-6 * np.abs(params(newton)).max(), err_msg=m
        )


@pytest.mark.parametrize("l2", [0.1, 1.0, 10.0])
def test_penalize_bias(blobs, method, l2, ref):
    X, y = blobs
    X = X + np.array([3.0, 2.0])  # move the data away from the origin so the bias is large
    free = logreg.fit(X, y, l2=l2, method=method)
    pen = logreg.fit(X, y, l2=l2, penalize_bias=True, method=method)
    assert pen.penalize_bias is True and free.penalize_bias is False
    # Penalising the bias pulls it towards zero, and so changes the fit.
    assert abs(pen.bias) < abs(free.bias) - 1e-3
    # Both match a direct minimisation of the same objective.
    for res, pb in ((free, False), (pen, True)):
        w_ref, b_ref = ref.minimise(X, y, l2, pb)
        theta_ref = np.append(w_ref, b_ref)
        E_ref = ref.objective(theta_ref, X, y, l2, pb)
        assert ref.objective(params(res), X, y, l2, pb) <= E_ref + 1e-10 * abs(E_ref)
        np.testing.assert_allclose(params(res), theta_ref, rtol=0, atol=1e-6 * np.abs(theta_ref).max())
    # And at the penalised optimum dE/db = sum(sigma - y) + 2 l2 b = 0.
    p = pen.predict_proba(X)
    assert (p - y).sum() == pytest.approx(-2 * l2 * pen.bias, abs=1e-6 * len(y))


@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_rescaling_features_rescales_weights(blobs, method, scale):
    # With l2 = 0, E(w, b; X) = E(w / c, b; c X): the fit on scaled columns has scaled weights.
    X, y = blobs
    c = np.array([scale, 1.0 / scale])
    base = logreg.fit(X, y, method=method)
    scaled = logreg.fit(X * c, y, method=method)
    np.testing.assert_allclose(scaled.weights * c, base.weights, rtol=1e-6)
    assert scaled.bias == pytest.approx(base.bias, rel=1e-6, abs=1e-8)
    assert scaled.objective == pytest.approx(base.objective, rel=1e-10, abs=0)


@pytest.mark.parametrize("l2", [0.0, 1.0])
def test_shifting_features_moves_only_the_bias(blobs, method, l2):
    # With an unpenalised bias, shifting every x by s changes only b -> b - s.w: the predictions
    # are the same. (The reason penalize_bias defaults to False.)
    X, y = blobs
    s = np.array([5.0, -3.0])
    base = logreg.fit(X, y, l2=l2, method=method)
    moved = logreg.fit(X + s, y, l2=l2, method=method)
    np.testing.assert_allclose(moved.weights, base.weights, rtol=1e-6)
    assert moved.bias == pytest.approx(base.bias - s @ base.weights, rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(moved.predict_proba(X + s), base.predict_proba(X), atol=1e-7)


def test_deterministic(blobs, method):
    X, y = blobs
    a = logreg.fit(X, y, l2=0.2, method=method)
    b = logreg.fit(X, y, l2=0.2, method=method)
    np.testing.assert_array_equal(params(a), params(b))


# --------------------------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------------------------


def test_warning_classes_exported():
    for cls in (logreg.SeparationWarning, logreg.ConvergenceWarning):
        assert issubclass(cls, Warning)
        assert issubclass(cls, logreg.LogregWarning)
        assert cls.__name__ in logreg.__all__
    assert logreg.SeparationWarning is not logreg.ConvergenceWarning
    assert not issubclass(logreg.SeparationWarning, logreg.ConvergenceWarning)
    assert not issubclass(logreg.ConvergenceWarning, logreg.SeparationWarning)


def test_separation_warning(separable, method):
    X, y = separable
    with pytest.warns(logreg.SeparationWarning, match="separab"):
        res = logreg.fit(X, y, method=method)
    assert res.converged is False
    # The fitted direction does separate the data, and the weights are large.
    assert np.all(res.predict(X) == y)
    assert np.linalg.norm(res.weights) > 5.0


@pytest.mark.parametrize("l2", [1e-3, 0.1, 10.0])
def test_no_separation_warning_with_penalty(separable, method, l2, ref):
    X, y = separable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = logreg.fit(X, y, l2=l2, method=method)
    assert res.converged is True
    # The penalised optimum is finite and stationary.
    g = ref.gradient(params(res), X, y, l2, False)
    assert np.max(np.abs(g)) <= 1e-6 * len(y)


def test_no_warning_on_overlapping_data(blobs, method):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = logreg.fit(X, y, method=method)
    assert res.converged is True


def test_convergence_warning(blobs, method):
    X, y = blobs
    with pytest.warns(logreg.ConvergenceWarning, match="max_iter|converge"):
        res = logreg.fit(X, y, method=method, max_iter=1)
    assert res.converged is False
    assert res.n_iter <= 1
    # It is an ordinary warning: filtering it lets the call return normally.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", logreg.ConvergenceWarning)
        res2 = logreg.fit(X, y, method=method, max_iter=1)
    assert res2.converged is False


def test_convergence_warning_can_be_escalated(blobs):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error", logreg.ConvergenceWarning)
        with pytest.raises(logreg.ConvergenceWarning):
            logreg.fit(X, y, max_iter=1)


# --------------------------------------------------------------------------------------------
# is_separable
# --------------------------------------------------------------------------------------------

# Quasi-complete separation: x >= 0 holds every 1 and x <= 0 every 0, with a 0 and a 1 both on
# the boundary x = 0. No hyperplane separates strictly, yet the likelihood has no maximum.
QUASI_X = np.array([[0.0], [0.0], [1.0], [2.0], [-1.0], [-3.0]])
QUASI_Y = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 0.0])
# Not separable: the labels alternate along the line.
MIXED_X = np.array([[0.0], [1.0], [2.0], [3.0]])
MIXED_Y = np.array([0.0, 1.0, 0.0, 1.0])


def test_is_separable_on_the_book_data(blobs, separable):
    assert logreg.is_separable(*separable) is True
    assert logreg.is_separable(*blobs) is False


def test_is_separable_small_cases():
    assert logreg.is_separable(QUASI_X, QUASI_Y) is True
    assert logreg.is_separable(MIXED_X, MIXED_Y) is False
    # Strictly separated in 2-D with an offset boundary, and the same with one point crossing it.
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [3.0, 3.0], [4.0, 3.0], [3.0, 4.0]])
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    assert logreg.is_separable(X, y) is True
    y_cross = y.copy()
    y_cross[[0, 3]] = y[[3, 0]]  # swap the labels of (0, 0) and (3, 3): the hulls now intersect
    assert logreg.is_separable(X, y_cross) is False
    # Lists and labels flipped.
    assert logreg.is_separable(QUASI_X.tolist(), (1 - QUASI_Y).tolist()) is True


def test_quasi_separated_data_warns(method):
    with pytest.warns(logreg.SeparationWarning):
        res = logreg.fit(QUASI_X, QUASI_Y, method=method)
    assert res.converged is False


AFFINE = pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda X: X + 1e4, id="shift+1e4"),
        pytest.param(lambda X: X * 1e-8, id="scale1e-8"),
        pytest.param(lambda X: X * 1e6, id="scale1e6"),
        pytest.param(lambda X: X * np.array([1e-4, 1e4]), id="mixed-scales"),
    ],
)


@AFFINE
def test_separability_is_affine_invariant(separable, blobs, transform):
    # Whether a hyperplane separates the classes does not depend on the units or the origin of the
    # features: the hyperplane moves with the data.
    Xs, ys = separable
    Xb, yb = blobs
    assert logreg.is_separable(transform(Xs), ys) is True, "separable data reported as not separable"
    assert logreg.is_separable(transform(Xb), yb) is False, "overlapping data reported as separable"


@AFFINE
def test_separation_warning_after_change_of_units(separable, transform):
    # The same data in other units or from another origin: still no finite optimum, so the fit
    # must warn and must not report convergence.
    Xs, ys = separable
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = logreg.fit(transform(Xs), ys)
    kinds = [w.category.__name__ for w in caught]
    assert "SeparationWarning" in kinds, f"no SeparationWarning (got {kinds}, converged={res.converged})"
    assert res.converged is False


# --------------------------------------------------------------------------------------------
# Prediction
# --------------------------------------------------------------------------------------------


def test_predict_proba_and_predict(blobs):
    X, y = blobs
    res = logreg.fit(X, y, l2=0.5)
    p = res.predict_proba(X)
    assert isinstance(p, np.ndarray) and p.shape == (len(y),)
    assert np.all((p >= 0.0) & (p <= 1.0))
    a = X @ res.weights + res.bias
    np.testing.assert_allclose(p, 1.0 / (1.0 + np.exp(-a)), rtol=1e-14)
    pred = res.predict(X)
    assert pred.shape == (len(y),)
    assert set(np.unique(pred).tolist()) <= {0.0, 1.0}
    np.testing.assert_array_equal(pred, (p > 0.5).astype(float))
    # The module functions give the same answers from (weights, bias).
    np.testing.assert_array_equal(logreg.predict_proba(res.weights, res.bias, X), p)
    np.testing.assert_array_equal(logreg.predict(res.weights, res.bias, X), pred)
    # Blobs are mostly separated by the fit: accuracy well above chance.
    assert np.mean(pred == y) > 0.85
    # Points deep in either class.
    assert res.predict([[-3.0, -3.0], [3.0, 3.0]]).tolist() == [1.0, 0.0]


def test_module_predict_functions_closed_form():
    X = np.array([[0.0, 0.0], [1.0, 2.0], [-3.0, 1.0], [1e4, 0.0], [-1e4, 0.0]])
    w, b = np.array([1.0, -0.5]), 0.25
    a = X @ w + b
    expected = np.array([1.0 / (1.0 + np.exp(-ai)) if ai > -700 else 0.0 for ai in a])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = logreg.predict_proba(w, b, X)
        pred = logreg.predict(w, b, X)
    np.testing.assert_allclose(p, expected, rtol=1e-14)
    assert p[3] == 1.0 and p[4] == 0.0
    np.testing.assert_array_equal(pred, (a > 0).astype(float))
    # Lists are accepted.
    np.testing.assert_array_equal(logreg.predict_proba(w.tolist(), b, X.tolist()), p)
    np.testing.assert_array_equal(logreg.predict(w.tolist(), b, X.tolist()), pred)


def test_predict_threshold_at_half():
    # Activation exactly 0 gives probability 1/2, which is not > 1/2: class 0.
    assert logreg.predict([1.0], 0.0, [[0.0], [1e-3], [-1e-3]]).tolist() == [0.0, 1.0, 0.0]
    X = np.linspace(-1e-6, 1e-6, 41)[:, None]
    np.testing.assert_array_equal(
        logreg.predict([1.0], 0.0, X), (logreg.predict_proba([1.0], 0.0, X) > 0.5).astype(float)
    )


def test_result_predict_wrong_features(blobs):
    X, y = blobs
    res = logreg.fit(X, y, l2=0.1)
    with pytest.raises(ValueError, match="feature"):
        res.predict_proba(np.ones((3, 3)))
    with pytest.raises(ValueError, match="feature"):
        res.predict(np.ones((3, 1)))


# --------------------------------------------------------------------------------------------
# Inputs: not modified, lists, label types, imports
# --------------------------------------------------------------------------------------------


def test_inputs_not_modified(blobs, method):
    X0, y0 = blobs
    X, y = X0.copy(), y0.copy()
    X_before, y_before = X.copy(), y.copy()
    logreg.fit(X, y, l2=0.1, method=method)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    # Non-contiguous views and integer arrays too.
    Xv = np.asfortranarray(X)[::2]
    yv = y[::2]
    Xv_before, yv_before = Xv.copy(), yv.copy()
    logreg.fit(Xv, yv, l2=0.1, method=method)
    np.testing.assert_array_equal(Xv, Xv_before)
    np.testing.assert_array_equal(yv, yv_before)
    yi = y.astype(int)
    logreg.fit(X, yi, method=method)
    np.testing.assert_array_equal(yi, y_before.astype(int))
    # Read-only arrays (the session fixtures are read-only) are accepted: nothing writes to them.
    logreg.fit(X0, y0, method=method)


def test_list_inputs_not_modified_and_accepted(blobs):
    X, y = blobs
    X_list, y_list = X.tolist(), y.tolist()
    X_copy, y_copy = copy.deepcopy(X_list), copy.deepcopy(y_list)
    from_lists = logreg.fit(X_list, y_list, l2=0.1)
    assert X_list == X_copy and y_list == y_copy
    from_arrays = logreg.fit(X, y, l2=0.1)
    np.testing.assert_allclose(params(from_lists), params(from_arrays), rtol=1e-12)
    assert from_lists.objective == pytest.approx(from_arrays.objective, rel=1e-13, abs=0)


def test_model_functions_do_not_modify_inputs(blobs):
    X, y = (a.copy() for a in blobs)
    w, b = np.array([0.3, -0.2]), 0.1
    snap = (X.copy(), y.copy(), w.copy())
    logreg.objective(w, b, X, y, l2=0.5)
    logreg.gradient(w, b, X, y, l2=0.5)
    logreg.hessian(w, b, X, y, l2=0.5)
    logreg.predict_proba(w, b, X)
    logreg.is_separable(X, y)
    for now, before in zip((X, y, w), snap, strict=True):
        np.testing.assert_array_equal(now, before)


@pytest.mark.parametrize("dtype", [bool, int, np.int8, np.uint8, np.float32])
def test_label_dtypes_give_same_fit(blobs, dtype):
    X, y = blobs
    ref = logreg.fit(X, y, l2=0.1)
    other = logreg.fit(X, y.astype(dtype), l2=0.1)
    np.testing.assert_allclose(params(other), params(ref), rtol=1e-12)
    # Python lists of bools and ints too.
    other_list = logreg.fit(X, [bool(v) for v in y], l2=0.1)
    np.testing.assert_allclose(params(other_list), params(ref), rtol=1e-12)
    other_int = logreg.fit(X, [int(v) for v in y], l2=0.1)
    np.testing.assert_allclose(params(other_int), params(ref), rtol=1e-12)


def test_integer_features_accepted():
    X = np.array([[0, 1], [1, 0], [2, 2], [3, 1], [1, 3], [2, 0], [0, 0], [3, 3]])
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    res_int = logreg.fit(X, y, l2=0.1)
    res_float = logreg.fit(X.astype(float), y.astype(float), l2=0.1)
    np.testing.assert_allclose(params(res_int), params(res_float), rtol=1e-12)


def test_import_does_not_import_matplotlib():
    code = "import logreg, sys; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=root)
    assert proc.returncode == 0, proc.stderr


def test_public_api():
    for name in logreg.__all__:
        assert hasattr(logreg, name), name
    for name in (
        "fit",
        "predict",
        "predict_proba",
        "is_separable",
        "objective",
        "gradient",
        "hessian",
        "check_gradient",
        "make_blobs",
        "make_separable",
        "sigmoid",
        "sigmoid_derivative",
        "log_sigmoid",
        "FitResult",
        "METHODS",
        "SeparationWarning",
        "ConvergenceWarning",
    ):
        assert name in logreg.__all__, name


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
@pytest.mark.parametrize("scales", [(1.0, 1.0, 1.0), (1e-3, 1.0, 1e3)], ids=["unit", "badly-scaled"])
def test_large_data_path_reaches_the_same_optimum(scales, method):
    """Above ``warm_start_min_samples`` rows the solvers warm-start on a subsample (Newton also reuses
    Hessians, L-BFGS certifies with the subsample's Hessian); that may change only the work done,
    not the answer."""
    rng = np.random.default_rng(7)
    n = DEFAULT_OPTIONS.warm_start_min_samples + 3
    y = (rng.random(n) < 0.3).astype(float)
    X = (rng.standard_normal((n, 3)) + 0.4 * (2 * y[:, None] - 1)) * np.array(scales)
    fast = logreg.fit(X, y, l2=1.0, method=method)
    plain = logreg.fit(
        X, y, l2=1.0, method="newton", options=dataclasses.replace(DEFAULT_OPTIONS, warm_start_min_samples=10 * n)
    )
    assert fast.converged and plain.converged
    assert abs(fast.objective - plain.objective) <= 1e-12 * abs(plain.objective)
    coef_fast = np.append(fast.weights, fast.bias)
    coef_plain = np.append(plain.weights, plain.bias)
    # Newton ends at working precision; L-BFGS at a certified gap (about 3e-15 here, which
    # leaves the coefficients about 1.5e-7 apart): the standard, 1e-6, for it.
    rtol = 1e-7 if method == "newton" else 1e-6
    assert np.max(np.abs(coef_fast - coef_plain)) <= rtol * np.max(np.abs(coef_plain))


def _polynomial_features(n, degree, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-5 * np.sin(3 * x)))).astype(float)
    return np.vander(x, degree + 1, increasing=True)[:, 1:], y


@pytest.mark.parametrize("n", [3000, 100_003], ids=["small", "large-data-path"])
@pytest.mark.parametrize("l2", [1e-8, 1e-3])
def test_lbfgs_certified_on_ill_conditioned_data(n, l2):
    """Polynomial features of degree 10 have a condition number near 1e6 even standardised:
    plain L-BFGS stopped at max_iter 1e-3 above the minimum (measured). The preconditioner and
    the certificate bring it to Newton's answer."""
    X, y = _polynomial_features(n, 10, seed=1)
    newton = logreg.fit(X, y, l2=l2, method="newton")
    lbfgs = logreg.fit(X, y, l2=l2, method="lbfgs")  # a ConvergenceWarning would fail this test
    assert newton.converged and lbfgs.converged
    assert abs(lbfgs.objective - newton.objective) <= 1e-11 * abs(newton.objective)


def test_lbfgs_certificate_catches_a_small_gradient_far_from_the_minimum():
    """Without the certificate, L-BFGS stops on the gradient test about 1e-10 (relative) above the
    minimum on nearly collinear columns (measured); with it, it goes on to Newton's answer."""
    rng = np.random.default_rng(1)
    n = 3000
    common = rng.standard_normal((n, 1))
    X = 0.999999 * common + np.sqrt(1 - 0.999999**2) * rng.standard_normal((n, 30))
    y = (rng.random(n) < 1 / (1 + np.exp(-3 * (X[:, 0] - X[:, 1])))).astype(float)
    newton = logreg.fit(X, y, l2=1e-8, method="newton")
    no_preconditioner = dataclasses.replace(DEFAULT_OPTIONS, well_conditioned=np.inf)  # from the start
    certified = logreg.fit(X, y, l2=1e-8, method="lbfgs", options=no_preconditioner)
    assert abs(certified.objective - newton.objective) <= 1e-12 * abs(newton.objective)
    plain = dataclasses.replace(no_preconditioner, certified_gap_per_tol=np.inf)  # and no certificate
    uncertified = logreg.fit(X, y, l2=1e-8, method="lbfgs", options=plain)
    assert uncertified.objective - newton.objective > 1e-11 * abs(newton.objective)


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
@pytest.mark.parametrize("n", [200, 100_003], ids=["small", "large-data-path"])
def test_newton_stops_at_working_precision_whatever_tol_asks(n, method):
    """A tolerance below rounding level must not make Newton (or L-BFGS) spin to max_iter: it
    stops, converged, once its predicted decrease of E is below E's rounding error (a regression:
    Newton once ran 200 backtracking iterations on 1e6 rows)."""
    rng = np.random.default_rng(3)
    y = (rng.random(n) < 0.5).astype(float)
    X = rng.standard_normal((n, 3)) + 0.5 * (2 * y[:, None] - 1)
    result = logreg.fit(X, y, l2=1.0, tol=1e-16, method=method)  # a LogregWarning would fail this
    assert result.converged
    assert result.n_iter < 20
    reference = logreg.fit(X, y, l2=1.0, method="newton")
    assert result.objective <= reference.objective * (1 + 1e-15)


def test_lbfgs_without_warm_start_on_large_wide_ill_conditioned_data():
    """Large data with too few subsample rows per parameter for a useful warm start: L-BFGS checks
    the conditioning with the subsample's Hessian instead, and still reaches Newton's optimum on
    polynomial features padded with noise columns."""
    n = DEFAULT_OPTIONS.warm_start_min_samples + 3
    X_poly, y = _polynomial_features(n, 10, seed=2)
    X = np.hstack([X_poly, np.random.default_rng(3).standard_normal((n, 30))])
    sub_rows = len(range(0, n, DEFAULT_OPTIONS.subsample_stride))
    assert sub_rows < DEFAULT_OPTIONS.warm_start_rows_per_parameter * (X.shape[1] + 1)  # the path under test
    newton = logreg.fit(X, y, l2=1e-3, method="newton")
    lbfgs = logreg.fit(X, y, l2=1e-3, method="lbfgs")
    assert newton.converged and lbfgs.converged
    assert abs(lbfgs.objective - newton.objective) <= 1e-11 * abs(newton.objective)


@pytest.mark.parametrize("method", logreg.METHODS)
@pytest.mark.parametrize("n,d,balance", [(2_000, 3, 0.5), (120_000, 3, 0.5), (120_000, 40, 0.5), (120_000, 3, 1e-4)])
def test_the_start_pass_is_made_exactly_when_the_solver_starts_on_all_rows(method, n, d, balance, monkeypatch):
    """`fit` reads X once for the finiteness check and, when the solver's first full-data pass is
    at the start, for that pass's gradient too. Which solvers warm-start is decided in two places
    (`_first_pass_is_at_start` and the solvers); here they must agree."""
    from logreg import fitting

    rng = np.random.default_rng(0)
    y = (rng.random(n) < balance).astype(float)
    y[:2] = [0.0, 1.0]
    X = rng.standard_normal((n, d)) + (2 * y[:, None] - 1)
    full_at_start = []
    evaluate = _coordinates._Problem.evaluate

    def spy(problem, w, b):
        if problem.n == n and not full_at_start:  # the first full-data evaluation
            full_at_start.append(not w.any() and b == _coordinates._start_bias(problem.y))
        return evaluate(problem, w, b)

    monkeypatch.setattr(_coordinates._Problem, "evaluate", spy)
    logreg.fit(X, y, l2=1.0, method=method)
    assert full_at_start == [fitting._first_pass_is_at_start(method, y, d)]


def test_the_start_conditioning_test_sees_collinearity_on_few_rows():
    """`_ill_conditioned_at_start` reads about 8 rows per parameter; that is enough to tell
    polynomial or nearly collinear features (precondition) from independent ones (do not)."""

    def verdict(X, y, l2=1e-3):
        return _lbfgs._ill_conditioned_at_start(_coordinates._Problem(X, y, l2, False))

    rng = np.random.default_rng(4)
    n = 120_000
    X_poly, y = _polynomial_features(n, 10, seed=4)
    assert verdict(X_poly, y)
    common = rng.standard_normal((n, 1))
    assert verdict(common + 1e-3 * rng.standard_normal((n, 20)), y)
    assert not verdict(rng.standard_normal((n, 200)) + 0.5 * (2 * y[:, None] - 1), y)
    # Scales alone are removed by standardising (with l2 > 0 the penalty on a tiny-scale column's
    # standardised weight would itself be a stiff direction).
    assert not verdict(rng.standard_normal((300, 3)) * [1e-3, 1.0, 1e3], y[:300], l2=0.0)


@pytest.mark.parametrize("method", logreg.METHODS)
@pytest.mark.parametrize("n", [1_000, 150_000], ids=["small", "large-data-path"])
@pytest.mark.parametrize("l2", [1.0, 0.0])
def test_a_constant_column_is_an_intercept_not_a_feature(method, n, l2):
    """A column of 0.1s (or 123.456s) once got a rounding-error "scale" of 1e-14 when
    standardised: BFGS stopped at the start (objective 19 % too high), and with l2 = 0 Newton and
    L-BFGS stopped 2e-8 above the minimum (measured). With the intercept unpenalised, the column
    changes nothing: the optimum is the fit without it, and with l2 > 0 its weight is zero."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 4))
    X[:, 1], X[:, 3] = 0.1, 123.456
    y = (rng.random(n) < 1 / (1 + np.exp(-X[:, 0] + X[:, 2]))).astype(float)
    without = logreg.fit(X[:, [0, 2]], y, l2=l2, method="newton")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        result = logreg.fit(X, y, l2=l2, method=method)
    assert result.converged
    assert result.objective == pytest.approx(without.objective, rel=1e-12, abs=0)
    if l2 > 0:
        scale = np.max(np.abs(without.weights))
        np.testing.assert_allclose(result.weights[[0, 2]], without.weights, rtol=0, atol=1e-6 * scale)
        assert np.all(np.abs(result.weights[[1, 3]]) <= 1e-6 * scale)


def test_hessian_estimate_reads_a_strided_sample_and_is_close():
    """L-BFGS's Hessian estimate (certificate, preconditioner) is exact on small data and reads
    every k-th row otherwise, k a power of two (so that its rows include the subsample's); on
    50,000 x 100 (k = 8) it is within about sqrt(D/m) of the exact Hessian in every direction."""

    assert _coordinates._hessian_stride(3_000, 31) == 1
    assert _coordinates._hessian_stride(50_000, 500) == 8
    assert _coordinates._hessian_stride(100_000, 200) == DEFAULT_OPTIONS.subsample_stride
    assert _coordinates._hessian_stride(1_000_000, 20) == DEFAULT_OPTIONS.subsample_stride
    rng = np.random.default_rng(6)
    n, d = 50_000, 100
    y = (rng.random(n) < 0.3).astype(float)
    X = rng.standard_normal((n, d)) + 0.4 * (2 * y[:, None] - 1)
    problem = _coordinates._Problem(X, y, 1.0, False)
    w, b = 0.05 * rng.standard_normal(d), -0.5
    estimate = _hessians._hessian_estimate(problem, w, b)
    exact = problem.hessian_psi(problem.evaluate(w, b).residual)
    L = np.linalg.cholesky(exact)
    Linv = np.linalg.inv(L)
    eig = np.linalg.eigvalsh(Linv @ estimate @ Linv.T)  # estimate relative to exact
    k = _coordinates._hessian_stride(n, d)
    ratio = np.sqrt((d + 1) / len(range(0, n, k)))
    assert (1 - ratio) ** 2 * 0.8 <= eig.min() and eig.max() <= (1 + ratio) ** 2 * 1.2


def test_lbfgs_tests_the_conditioning_late_when_testing_at_the_start_costs_too_much(monkeypatch):
    """With many features for the rows (here 3,000 x 300) the start's conditioning test would
    cost more than a well-conditioned fit; it is made at ``condition_test_iter`` instead, only if
    L-BFGS has not converged by then, and still brings polynomial features to Newton's optimum."""

    n = 3_000
    X_poly, y = _polynomial_features(n, 10, seed=5)
    X = np.hstack([X_poly, np.random.default_rng(6).standard_normal((n, 290))])
    problem = _coordinates._Problem(X, y, 1e-3, False)
    assert not _lbfgs._start_test_is_cheap(problem)
    assert _lbfgs._start_test_is_cheap(_coordinates._Problem(X[:, :40], y, 1e-3, False))
    started, estimates = [], []
    monkeypatch.setattr(_lbfgs, "_ill_conditioned_at_start", lambda p: started.append(p) or False)
    estimate = _hessians._hessian_estimate
    monkeypatch.setattr(_lbfgs, "_hessian_estimate", lambda p, w, b: estimates.append(1) or estimate(p, w, b))
    lbfgs = logreg.fit(X, y, l2=1e-3, method="lbfgs")  # a ConvergenceWarning would fail this test
    newton = logreg.fit(X, y, l2=1e-3, method="newton")
    assert not started and len(estimates) == 2  # at condition_test_iter, and the certificate
    assert lbfgs.converged and lbfgs.n_iter > DEFAULT_OPTIONS.condition_test_iter
    assert abs(lbfgs.objective - newton.objective) <= 1e-11 * abs(newton.objective)


def test_lbfgs_is_not_fooled_by_a_degenerate_hessian_estimate_on_nearly_separable_data():
    """Nearly separable data and a tiny l2: far from the optimum every point is classified
    confidently and the bias's curvature, sum sigma'(a_n), can be 1e-31 against the penalised
    weights' 2e-4. The certificate's Hessian estimate there made a useless preconditioner (steps
    1e26 long), the line search failed, and L-BFGS reported convergence after 3 iterations with
    E 11 times its minimum (measured). It now drops such a preconditioner and goes on."""

    rng = np.random.default_rng(7)
    n, d = 4_000, 300
    y = (rng.random(n) < 0.5).astype(float)
    X = rng.standard_normal((n, d)) + 0.5 * (2 * y[:, None] - 1) * rng.standard_normal(d)
    result = logreg.fit(X, y, l2=1e-5)  # a ConvergenceWarning would fail this test
    assert result.converged
    problem = _coordinates._Problem(X, y, 1e-5, False)
    point = problem.evaluate(result.weights, result.bias)
    g = problem.pull_back(point.grad_w, point.grad_b)
    decrement = float(g @ np.linalg.solve(problem.hessian_psi(point.residual), g))  # exact Hessian
    assert decrement <= 1e-8 * result.objective


@pytest.mark.parametrize(
    "w,b,x,expected",
    [
        ([1e308, 1e308, 1e308], 0.0, [2.0, -2.0, 1.0], 1.0),  # inf - inf in the product: was NaN
        ([1e308, 1e308], 0.0, [1.0, 1.0], 1.0),
        ([-1e308, -1e308, -1e308], 0.0, [2.0, -2.0, 1.0], 0.0),
        ([1e200, 1e200], 1.0, [1e200, -1e200], 1.0 / (1.0 + math.exp(-1.0))),  # 1e400 - 1e400 + 1
    ],
)
def test_prediction_when_the_activation_overflows(w, b, x, expected):
    """An activation beyond the largest float has the sigmoid of its sign's infinity; computed
    without numpy's overflow warning or a NaN."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = logreg.predict_proba(w, b, [x])
        assert p.tolist() == [pytest.approx(expected, rel=1e-15)]
        model = logreg.FitResult(np.array(w), b, 0.0, 0, True, "newton")
        assert model.predict_proba([x]).tolist() == p.tolist()
        assert model.predict([x]).tolist() == [float(expected > 0.5)]
        assert not np.isnan(model.decision_function([x])).any()


def test_an_activation_that_cannot_be_computed_is_an_error():
    with pytest.raises(ValueError, match=r"activation .* of row 1 cannot be computed"):
        logreg.predict_proba([1.0, 1.0], 0.0, [[0.0, 0.0], [1.7e308, 1.7e308]])
