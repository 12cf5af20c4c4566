"""Bad input: a ValueError or TypeError that names the problem, raised before any optimisation,
never an error from deep inside NumPy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import logreg
import logreg.fitting

# Messages that mean a check was missing and NumPy or SciPy tripped over the input instead.
NUMPY_INTERNALS = [
    "operands could not be broadcast",
    "could not convert string to float",
    "setting an array element with a sequence",
    "invalid value encountered",
    "not aligned",
    "matmul: Input operand",
    "ufunc",
    "unsupported operand type",
    "object of type",
    "index 0 is out of bounds",
]


def base_data():
    X, y = logreg.make_blobs(20, seed=1)  # 20 overlapping points: not separable
    return X.copy(), y.copy()


@dataclass
class Bad:
    """A bad input: how to break (X, y), which errors are acceptable, and what the message says."""

    id: str
    make: Callable[[np.ndarray, np.ndarray], tuple[object, object]]
    match: str
    exc: tuple = (ValueError, TypeError)
    kwargs: dict = field(default_factory=dict)


def with_value(X, idx, value, dtype=float):
    X = np.array(X, dtype=dtype)
    X[idx] = value
    return X


def object_X(X, y):
    Xo = X.astype(object)
    Xo[3, 1] = "abc"
    return Xo, y


def none_X(X, y):
    rows = X.tolist()
    rows[5][0] = None
    return rows, y


BAD_X = [
    Bad("X-nan", lambda X, y: (with_value(X, (2, 1), np.nan), y), "NaN"),
    Bad("X-posinf", lambda X, y: (with_value(X, (0, 0), np.inf), y), "inf"),
    Bad("X-neginf", lambda X, y: (with_value(X, (7, 1), -np.inf), y), "inf"),
    Bad("X-1d", lambda X, y: (X[:, 0], y), "2-D|2D|two-dimensional|dimension"),
    Bad("X-3d", lambda X, y: (X[:, :, None], y), "2-D|2D|two-dimensional|dimension"),
    Bad("X-empty", lambda X, y: (np.empty((0, 2)), np.empty(0)), "empty|no samples|at least one"),
    Bad("X-no-features", lambda X, y: (np.empty((len(y), 0)), y), "feature"),
    Bad("X-strings", lambda X, y: (X.astype(str), y), "real|numeric|number|dtype"),
    Bad("X-object", object_X, "real|numeric|number|dtype"),
    Bad("X-None", none_X, "real|numeric|number|dtype|None"),
    Bad("X-complex", lambda X, y: (X + 1j, y), "complex|real"),
]

BAD_Y = [
    Bad("y-nan", lambda X, y: (X, with_value(y, 4, np.nan)), "NaN"),
    Bad("y-inf", lambda X, y: (X, with_value(y, 4, np.inf)), "inf"),
    Bad("y-label-2", lambda X, y: (X, with_value(y, 1, 2.0)), "label|0 and 1|0/1"),
    Bad("y-label-minus1", lambda X, y: (X, with_value(y, 1, -1.0)), "label|0 and 1|0/1"),
    Bad("y-label-half", lambda X, y: (X, with_value(y, 1, 0.5)), "label|0 and 1|0/1"),
    Bad("y-labels-1-2", lambda X, y: (X, y + 1.0), "label|0 and 1|0/1"),
    Bad("y-2d", lambda X, y: (X, y[:, None]), "1-D|1D|one-dimensional|dimension"),
    Bad("y-too-short", lambda X, y: (X, y[:-1]), "samples|length|mismatch|number"),
    Bad("y-too-long", lambda X, y: (X, np.r_[y, 1.0]), "samples|length|mismatch|number"),
    Bad("y-strings", lambda X, y: (X, np.where(y == 1, "yes", "no")), "real|numeric|number|dtype|label"),
    Bad("y-complex", lambda X, y: (X, y + 0j), "complex|real"),
]

BAD_FIT_ONLY = [
    Bad("one-class-zeros", lambda X, y: (X, np.zeros_like(y)), "one class|both"),
    Bad("one-class-ones", lambda X, y: (X, np.ones_like(y)), "one class|both"),
    Bad("method-unknown", lambda X, y: (X, y), "method", kwargs={"method": "sgd"}),
    Bad("method-case", lambda X, y: (X, y), "method", kwargs={"method": "Newton"}),
    Bad("max_iter-0", lambda X, y: (X, y), "max_iter", kwargs={"max_iter": 0}),
    Bad("max_iter-float", lambda X, y: (X, y), "max_iter", kwargs={"max_iter": 2.5}),
    Bad("tol-negative", lambda X, y: (X, y), "tol", kwargs={"tol": -1e-8}),
    Bad("tol-nan", lambda X, y: (X, y), "tol", kwargs={"tol": float("nan")}),
]

BAD_L2 = [
    Bad("l2-negative", lambda X, y: (X, y), "l2", kwargs={"l2": -0.1}),
    Bad("l2-nan", lambda X, y: (X, y), "l2", kwargs={"l2": float("nan")}),
    Bad("l2-inf", lambda X, y: (X, y), "l2", kwargs={"l2": float("inf")}),
    Bad("l2-string", lambda X, y: (X, y), "l2", kwargs={"l2": "0.1"}),
    Bad("l2-none", lambda X, y: (X, y), "l2", kwargs={"l2": None}),
]


def assert_good_message(excinfo, match: str) -> None:
    """The message is ours (not leaked from NumPy) and says something; ``match`` was checked by
    ``pytest.raises`` already."""
    msg = str(excinfo.value)
    for internal in NUMPY_INTERNALS:
        assert internal not in msg, f"internal error message leaked: {msg!r}"
    assert len(msg) > 10, msg


@pytest.fixture
def no_optimisation(monkeypatch):
    """Make any step past validation fail loudly, so a bad input that is not rejected up front (but
    only later, by the solver or the separability LP) is caught."""

    class OptimisationStarted(AssertionError):
        pass

    def boom(*args, **kwargs):
        raise OptimisationStarted("optimisation started before the input was validated")

    monkeypatch.setattr(logreg.fitting, "_Problem", boom)
    monkeypatch.setattr(logreg._separation, "is_separable", boom)
    monkeypatch.setattr("scipy.optimize.linprog", boom)
    monkeypatch.setattr("scipy.optimize.minimize", boom)
    return OptimisationStarted


def test_no_optimisation_fixture_is_effective(no_optimisation):
    X, y = base_data()
    with pytest.raises(no_optimisation):
        logreg.fit(X, y)
    with pytest.raises(no_optimisation):
        logreg.fit(X, y, l2=1.0)


def ids(cases):
    return [c.id for c in cases]


# --------------------------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_X + BAD_Y + BAD_FIT_ONLY + BAD_L2, ids=ids(BAD_X + BAD_Y + BAD_FIT_ONLY + BAD_L2))
def test_fit_rejects(bad, no_optimisation):
    X, y = bad.make(*base_data())
    with pytest.raises(bad.exc, match=f"(?i){bad.match}") as excinfo:
        logreg.fit(X, y, **bad.kwargs)
    assert_good_message(excinfo, bad.match)


@pytest.mark.parametrize("method", logreg.METHODS)
@pytest.mark.parametrize("bad", BAD_X[:3] + BAD_Y[:4], ids=ids(BAD_X[:3] + BAD_Y[:4]))
def test_fit_rejects_for_every_method(bad, method, no_optimisation):
    X, y = bad.make(*base_data())
    with pytest.raises(bad.exc, match=f"(?i){bad.match}"):
        logreg.fit(X, y, method=method, l2=0.5)


@pytest.mark.parametrize("bad", BAD_X, ids=ids(BAD_X))
def test_fit_rejects_lists(bad, no_optimisation):
    # The same problems arriving as nested lists (where they can be written as lists).
    X, y = bad.make(*base_data())
    if isinstance(X, np.ndarray):
        X = X.tolist()
    match = bad.match
    if bad.id == "X-empty":  # [] reads as a 1-D list; either complaint names the problem
        match += "|2-D"
    with pytest.raises(bad.exc, match=f"(?i){match}"):
        logreg.fit(X, list(y), l2=0.1)


def test_fit_rejects_ragged_lists():
    X = [[0.0, 1.0], [1.0], [2.0, 3.0]]
    with pytest.raises((ValueError, TypeError), match=r"(?i)X"):
        logreg.fit(X, [0, 1, 0])


# --------------------------------------------------------------------------------------------
# objective, gradient, hessian
# --------------------------------------------------------------------------------------------

MODEL_FUNCTIONS = [logreg.objective, logreg.gradient, logreg.hessian]


@pytest.mark.parametrize("func", MODEL_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", BAD_X + BAD_Y + BAD_L2, ids=ids(BAD_X + BAD_Y + BAD_L2))
def test_model_functions_reject(func, bad):
    X, y = bad.make(*base_data())
    with pytest.raises(bad.exc, match=f"(?i){bad.match}") as excinfo:
        func(np.zeros(2), 0.0, X, y, **bad.kwargs)
    assert_good_message(excinfo, bad.match)


BAD_PARAMS = [
    Bad("weights-too-long", lambda X, y: (np.zeros(3), 0.0), "weights|shape"),
    Bad("weights-too-short", lambda X, y: (np.zeros(1), 0.0), "weights|shape"),
    Bad("weights-2d", lambda X, y: (np.zeros((2, 1)), 0.0), "weights|shape"),
    Bad("weights-nan", lambda X, y: (np.array([0.0, np.nan]), 0.0), "weights|NaN"),
    Bad("weights-strings", lambda X, y: (np.array(["a", "b"]), 0.0), "weights|real|dtype"),
    Bad("bias-nan", lambda X, y: (np.zeros(2), float("nan")), "bias"),
    Bad("bias-inf", lambda X, y: (np.zeros(2), float("inf")), "bias"),
    Bad("bias-string", lambda X, y: (np.zeros(2), "0"), "bias"),
    Bad("bias-array", lambda X, y: (np.zeros(2), np.zeros(2)), "bias"),
]


@pytest.mark.parametrize("func", [*MODEL_FUNCTIONS, logreg.predict_proba, logreg.predict], ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", BAD_PARAMS, ids=ids(BAD_PARAMS))
def test_bad_weights_or_bias(func, bad):
    X, y = base_data()
    w, b = bad.make(X, y)
    args = (w, b, X) if func in (logreg.predict_proba, logreg.predict) else (w, b, X, y)
    with pytest.raises(bad.exc, match=f"(?i){bad.match}") as excinfo:
        func(*args)
    assert_good_message(excinfo, bad.match)


# --------------------------------------------------------------------------------------------
# prediction and is_separable
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_X, ids=ids(BAD_X))
def test_predict_rejects_bad_X(bad):
    X, y = base_data()
    model = logreg.fit(X, y, l2=0.1)
    Xb, _ = bad.make(X, y)
    for func in (model.predict_proba, model.predict, lambda Z: logreg.predict_proba(model.weights, model.bias, Z)):
        with pytest.raises(bad.exc, match=f"(?i){bad.match}") as excinfo:
            func(Xb)
        assert_good_message(excinfo, bad.match)


@pytest.mark.parametrize("n_features", [1, 3, 10])
def test_predict_wrong_number_of_features(n_features):
    X, y = base_data()
    model = logreg.fit(X, y, l2=0.1)
    with pytest.raises(ValueError, match=r"(?i)feature") as excinfo:
        model.predict_proba(np.zeros((4, n_features)))
    assert_good_message(excinfo, "feature")
    with pytest.raises(ValueError, match=r"(?i)feature|weights|shape"):
        logreg.predict_proba(model.weights, model.bias, np.zeros((4, n_features)))


@pytest.mark.parametrize("bad", BAD_X + BAD_Y, ids=ids(BAD_X + BAD_Y))
def test_is_separable_rejects(bad):
    X, y = bad.make(*base_data())
    with pytest.raises(bad.exc, match=f"(?i){bad.match}") as excinfo:
        logreg.is_separable(X, y)
    assert_good_message(excinfo, bad.match)


# --------------------------------------------------------------------------------------------
# Error types and messages
# --------------------------------------------------------------------------------------------


def test_error_types():
    X, y = base_data()
    # Values that are the wrong kind of thing are TypeErrors; right kind but wrong value ValueErrors.
    with pytest.raises(TypeError):
        logreg.fit(X.astype(str), y)
    with pytest.raises(TypeError):
        logreg.fit(X + 1j, y)
    with pytest.raises(ValueError):
        logreg.fit(with_value(X, (0, 0), np.nan), y)
    with pytest.raises(ValueError):
        logreg.fit(X, with_value(y, 0, 2.0))
    with pytest.raises(ValueError):
        logreg.fit(X, y, l2=-1.0)


def test_messages_name_the_argument():
    X, y = base_data()
    with pytest.raises(ValueError) as ex_x:
        logreg.fit(with_value(X, (0, 0), np.nan), y)
    assert "X" in str(ex_x.value)
    with pytest.raises(ValueError) as ex_y:
        logreg.fit(X, with_value(y, 0, np.nan))
    assert "y" in str(ex_y.value)
    with pytest.raises(ValueError) as ex_lab:
        logreg.fit(X, with_value(y, 0, 2.0))
    assert "2" in str(ex_lab.value)  # the offending label is shown
    with pytest.raises(ValueError) as ex_m:
        logreg.fit(X, y, method="sgd")
    assert "sgd" in str(ex_m.value) and all(m in str(ex_m.value) for m in logreg.METHODS)


def test_valid_edge_inputs_are_accepted():
    # The checks must not reject legitimate input: bool X, int X, float32, Fortran order, l2 as int
    # or numpy scalar, two samples.
    X, y = base_data()
    for Xv in (X.astype(np.float32), np.asfortranarray(X), (X > 0).astype(int), X > 0):
        assert logreg.fit(Xv, y, l2=0.1).converged
    for l2 in (1, np.float64(0.5), np.int64(2), 0):
        logreg.fit(X, y, l2=l2)
    res = logreg.fit([[0.0], [1.0]], [0, 1], l2=1.0)
    assert res.converged


def test_finite_check_on_large_x_names_the_problem_and_tolerates_huge_values():
    """A large X is checked in one sum or, as `fit` does, in blocks on all cores: +inf in one
    block and -inf in another must still be reported as infinite (not as an error from the
    summation), and finite values whose sum overflows must pass without a warning."""
    from logreg import checks
    from logreg._passes import map_row_blocks

    for map_rows in (None, map_row_blocks):
        X = np.zeros((300_000, 4))
        X[5, 1], X[-5, 2] = np.inf, -np.inf
        with pytest.raises(ValueError, match="X contains infinite values"):
            checks.check_finite(X, "X", map_rows)
        X[5, 1] = np.nan
        with pytest.raises(ValueError, match="X contains NaN values"):
            checks.check_finite(X, "X", map_rows)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            checks.check_finite(np.full((300_000, 4), 1e308), "X", map_rows)
    with pytest.raises(ValueError, match="X contains infinite values"):
        checks.check_X(np.full((3, 2), np.inf))  # the public checks' default: one sum


@pytest.mark.parametrize("bad,word", [(np.nan, "NaN"), (np.inf, "infinite"), (-np.inf, "infinite")])
@pytest.mark.parametrize("n", [40, 120_000])
def test_fit_checks_x_in_the_read_of_its_first_gradient(bad, word, n):
    """`fit` checks that X is finite in the same read of X as its first gradient (on a large X,
    in blocks on the thread pool); the error is the same as everywhere else, and is raised
    before any optimisation, whatever the method."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n, 3)), (rng.random(n) < 0.5).astype(float)
    X[n - 7, 2] = bad
    for method in logreg.METHODS:
        with pytest.raises(ValueError, match=f"X contains {word} values"):
            logreg.fit(X, y, l2=1.0, method=method)


def test_huge_finite_x_whose_sums_overflow_is_called_extreme_not_infinite():
    """Sums of 1e308s overflow to inf; that must not be reported as infinite data, nor fitted
    silently wrong (issue 16, item 1): the error names the columns and their units."""
    X = np.array([[1e308, 1e308], [-1e308, -1e308], [1e308, -1e308], [-1e308, 1e308]])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match=r"column\(s\) 0 \(spread .*\), 1 .*too extreme") as info:
        logreg.fit(X, y, l2=1.0, max_iter=3)
    assert "infinite" not in str(info.value) and "NaN" not in str(info.value)


# --------------------------------------------------------------------------------------------
# Inputs whose conversion used to hide the problem (issue 16, items 3 and 12)
# --------------------------------------------------------------------------------------------


def masked(X, y):
    Xm = np.ma.masked_array(X, mask=np.zeros_like(X, dtype=bool))
    Xm[3, 1] = np.ma.masked
    return Xm, y


def test_masked_arrays_with_masked_values_are_refused_everywhere(no_optimisation):
    """np.asarray drops a mask and the hidden values would be used: refused, saying so."""
    X, y = base_data()
    Xm, _ = masked(X, y)
    ym = np.ma.masked_array(y, mask=np.arange(len(y)) == 4)
    with pytest.raises(ValueError, match="X is a masked array with 1 masked value"):
        logreg.fit(Xm, y)
    with pytest.raises(ValueError, match="y is a masked array with 1 masked value"):
        logreg.fit(X, ym)


def test_masked_arrays_are_refused_by_prediction_and_the_model_functions():
    X, y = base_data()
    model = logreg.fit(X, y, l2=0.1)
    Xm, _ = masked(X, y)
    for call in (
        model.predict_proba,
        model.predict,
        model.decision_function,
        lambda Z: logreg.predict_proba(model.weights, model.bias, Z),
        lambda Z: logreg.objective(model.weights, model.bias, Z, y),
    ):
        with pytest.raises(ValueError, match="masked"):
            call(Xm)


def test_a_masked_array_with_nothing_masked_is_its_data():
    X, y = base_data()
    plain = logreg.fit(X, y, l2=0.1)
    assert logreg.fit(np.ma.masked_array(X), np.ma.masked_array(y), l2=0.1) == plain


def test_nullable_pandas_columns_are_converted():
    pd = pytest.importorskip("pandas")
    X, y = base_data()
    ints = (X * 10).round()
    frame = pd.DataFrame(
        {"a": pd.array(ints[:, 0].astype(int), dtype="Int64"), "b": pd.array(X[:, 1], dtype="Float64")}
    )
    ref = logreg.fit(np.column_stack([ints[:, 0], X[:, 1]]), y, l2=0.1)
    got = logreg.fit(frame, pd.Series(y.astype(int), dtype="Int64"), l2=0.1)
    np.testing.assert_allclose(got.weights, ref.weights, rtol=1e-12)  # a frame's array is F-ordered
    np.testing.assert_allclose(got.predict_proba(frame), ref.predict_proba(frame.to_numpy(float)), rtol=1e-12)


def test_missing_values_in_a_pandas_frame_are_named():
    pd = pytest.importorskip("pandas")
    X, y = base_data()
    frame = pd.DataFrame({"a": pd.array(X[:, 0], dtype="Float64"), "b": pd.array(X[:, 1], dtype="Float64")})
    frame.loc[2, "b"] = pd.NA
    with pytest.raises(ValueError, match=r"X contains 1 missing value\(s\) \(pd.NA\)"):
        logreg.fit(frame, y)


@pytest.mark.parametrize("kind", ["csr_matrix", "csc_matrix", "csr_array", "coo_matrix"])
def test_sparse_input_says_sparse(kind):
    """fit and prediction take sparse input (tests/package/test_sparse.py); a function that needs dense
    data says that it got a sparse matrix and what to pass."""
    sparse = pytest.importorskip("scipy.sparse")
    from logreg.fitting import gradient_descent

    X, y = base_data()
    Xs = getattr(sparse, kind)(X)
    model = logreg.fit(Xs, y, l2=0.1)
    np.testing.assert_array_equal(model.predict(Xs), model.predict(X))
    with pytest.raises(TypeError, match=f"X is a scipy.sparse {kind}, which this function does not accept") as ex:
        gradient_descent(Xs, y)
    assert "toarray()" in str(ex.value)


def test_one_sample_hint_matches_the_model():
    X, y = base_data()
    two = logreg.fit(X, y, l2=0.1)
    with pytest.raises(ValueError, match=r"reshape\(1, -1\) for one sample of 2 features"):
        two.predict_proba(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"reshape\(1, -1\)"):
        logreg.predict(two.weights, two.bias, [0.5, 1.0])
    with pytest.raises(ValueError, match="the model has 2 features"):
        two.predict(np.zeros(5))
    one = logreg.fit(X[:, :1], y, l2=0.1)
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\) for one feature"):
        one.predict(np.zeros(5))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\) for one feature"):
        logreg.fit(X[:, 0], y)


# --------------------------------------------------------------------------------------------
# Scalars: one rule for l2, tol, threshold and bias (issue 16 item 13, issue 14 item 5)
# --------------------------------------------------------------------------------------------

REAL_SCALARS = [
    1,
    0.5,
    np.float64(0.5),
    np.float32(0.5),
    np.float16(0.5),
    np.int64(1),
    np.int8(1),
    np.uint16(1),
    np.array(0.5),
    np.array(1, dtype=np.int32),
    np.array(0.5, dtype=np.float32),
]
NOT_SCALARS = [
    True,
    False,
    np.bool_(True),
    np.array(True),
    "0.5",
    None,
    1 + 0j,
    np.complex64(1),
    np.array([0.5]),
    [0.5],
    np.array("0.5"),
]


@pytest.mark.parametrize("value", REAL_SCALARS, ids=repr)
def test_any_real_numpy_scalar_is_accepted_for_l2_and_tol(value):
    X, y = base_data()
    got, ref = logreg.fit(X, y, l2=value), logreg.fit(X, y, l2=float(value))
    assert got == ref and type(got.l2) is float
    # tol of 0.5 or 1 is legal (if loose): what matters is that its type is accepted
    assert logreg.fit(X, y, l2=0.1, tol=value) == logreg.fit(X, y, l2=0.1, tol=float(value))


def test_tol_as_float32_or_int64():
    X, y = base_data()
    assert logreg.fit(X, y, tol=np.float32(1e-6)) == logreg.fit(X, y, tol=float(np.float32(1e-6)))
    assert logreg.fit(X, y, tol=np.int64(1)).n_iter <= logreg.fit(X, y).n_iter


@pytest.mark.parametrize("name", ["l2", "tol"])
@pytest.mark.parametrize("value", NOT_SCALARS, ids=repr)
def test_bools_strings_and_arrays_are_refused_for_l2_and_tol(name, value, no_optimisation):
    X, y = base_data()
    with pytest.raises(TypeError, match=f"{name} must be a real number") as ex:
        logreg.fit(X, y, **{name: value})
    assert_good_message(ex, name)


@pytest.mark.parametrize("value", NOT_SCALARS, ids=repr)
def test_threshold_is_checked_like_the_other_scalars(value):
    X, y = base_data()
    model = logreg.fit(X, y, l2=0.1)
    with pytest.raises(TypeError, match="threshold must be a real number") as ex:
        model.predict(X, threshold=value)
    assert_good_message(ex, "threshold")
    for ok in (np.float32(0.3), np.array(0.3), 0.3):
        np.testing.assert_array_equal(model.predict(X, threshold=ok), model.predict(X, threshold=0.3))


def test_an_l2_whose_double_overflows_is_refused():
    X, y = base_data()
    with pytest.raises(ValueError, match="l2 is too large"):
        logreg.fit(X, y, l2=1e308)


def test_fit_results_compare_by_value():
    X, y = base_data()
    a, b, c = logreg.fit(X, y, l2=1.0), logreg.fit(X, y, l2=1.0), logreg.fit(X, y, l2=2.0)
    assert a == b and (a != b) is False
    assert a != c and (a == c) is False
    assert a != "a fit" and a != None  # noqa: E711
    with pytest.raises(TypeError, match="unhashable"):
        hash(a)
    import dataclasses

    assert dataclasses.replace(a, weights=a.weights.copy()) == a
    assert dataclasses.replace(a, weights=a.weights + 1e-12) != a
