"""The model: sigmoid and friends, the objective, its gradient and Hessian, and check_gradient.

Reference values are computed here independently of the package (closed forms, ``math.log1p``
formulas, or 50-digit ``decimal`` arithmetic), never copied from the package's own output.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import logreg

# Any RuntimeWarning (overflow in exp, divide by zero in log, ...) is a failure in this module.
pytestmark = pytest.mark.filterwarnings("error")

EPS = float(np.finfo(np.float64).eps)
FMAX = float(np.finfo(np.float64).max)


# --------------------------------------------------------------------------------------------
# Strategies and helpers
# --------------------------------------------------------------------------------------------


def finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@dataclass
class Problem:
    """A random logistic-regression objective, seen as a function of theta = (w, b)."""

    X: np.ndarray
    y: np.ndarray
    theta: np.ndarray
    other: np.ndarray  # a second point, for convexity along the segment theta -> other
    l2: float
    penalize_bias: bool

    @property
    def kw(self) -> dict:
        return {"l2": self.l2, "penalize_bias": self.penalize_bias}

    def f(self, t: np.ndarray) -> float:
        return logreg.objective(t[:-1], t[-1], self.X, self.y, **self.kw)

    def g(self, t: np.ndarray) -> np.ndarray:
        gw, gb = logreg.gradient(t[:-1], t[-1], self.X, self.y, **self.kw)
        return np.append(gw, gb)

    def H(self, t: np.ndarray) -> np.ndarray:
        return logreg.hessian(t[:-1], t[-1], self.X, self.y, **self.kw)

    @property
    def Xt(self) -> np.ndarray:
        """X with the bias column of ones appended (the Hessian's layout: bias last)."""
        return np.hstack([self.X, np.ones((self.X.shape[0], 1))])


@st.composite
def problems(draw, max_x: float = 5.0, max_theta: float = 3.0, max_d: int = 4, max_n: int = 12):
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    X = draw(arrays(np.float64, (n, d), elements=finite(-max_x, max_x)))
    y = draw(arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0])))
    theta = draw(arrays(np.float64, (d + 1,), elements=finite(-max_theta, max_theta)))
    other = draw(arrays(np.float64, (d + 1,), elements=finite(-max_theta, max_theta)))
    l2 = draw(st.one_of(st.just(0.0), finite(0.0, 10.0)))
    penalize_bias = draw(st.booleans())
    return Problem(X, y, theta, other, l2, penalize_bias)


def softplus(z: float) -> float:
    """log(1 + e^z) for moderate z, by the textbook formula (independent of the package)."""
    return math.log1p(math.exp(z))


def naive_objective(w, b, X, y, l2, penalize_bias) -> float:
    """E(w, b) written out term by term: sum_n y log(1+e^-a) + (1-y) log(1+e^a) + penalty."""
    terms = []
    for xn, yn in zip(X.tolist(), y.tolist(), strict=True):
        a = math.fsum(wi * xi for wi, xi in zip(w.tolist(), xn, strict=True)) + b
        terms.append(yn * softplus(-a) + (1.0 - yn) * softplus(a))
    penalty = l2 * (math.fsum(wi * wi for wi in w.tolist()) + (b * b if penalize_bias else 0.0))
    return math.fsum(terms) + penalty


def decimal_nll(activations, labels, digits: int = 60) -> float:
    """sum_n log(1 + exp(-(2y-1) a)) in 60-digit decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = digits
        total = Decimal(0)
        for a, y in zip(activations, labels, strict=True):
            m = Decimal(a) * (1 if y == 1 else -1)  # the signed margin
            total += (Decimal(1) + (-m).exp()).ln()
        return float(total)


def hessian_fd_tolerance(p: Problem, h: np.ndarray) -> float:
    """Error budget of a central difference of the gradient, derived from the two error sources.

    Truncation: h^2/6 times a third derivative of E, which is sum_n sigma''(a_n) x~ x~ x~ with
    |sigma''| <= 1/(6 sqrt 3) < 0.1. Rounding: a gradient component is a sum of n + 2 terms each of
    size at most ||x~_n|| (|sigma - y| <= 1), plus 2 l2 |theta|; a sum of k terms is off by about
    k eps times their magnitudes, and the difference quotient divides that by h. A factor of 10 as
    headroom, as check_gradient uses.
    """
    Xt = p.Xt
    row = np.abs(Xt).max(axis=1)
    n, k = Xt.shape
    third = 0.1 * float(np.sum(row**3))
    hmax, hmin = float(h.max()), float(h.min())
    # the activation is itself off by ~k eps sum|x w|, which moves sigma by a quarter of that
    act_err = k * EPS * float(np.sum(np.abs(Xt) @ (np.abs(p.theta) + h)))
    grad_mag = float(np.sum(row)) * (1.0 + act_err) + 2.0 * p.l2 * (float(np.abs(p.theta).max()) + hmax)
    rounding = (n + k + 2) * EPS * grad_mag / hmin
    return 10.0 * (hmax**2 / 6.0 * third + rounding) + 1e-300


def fd_hessian(p: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of the package's gradient, one column per parameter."""
    t = p.theta
    k = t.size
    H = np.empty((k, k))
    steps = np.empty(k)
    for j in range(k):
        h = EPS ** (1 / 3) * max(1.0, abs(t[j]))
        tp, tm = t.copy(), t.copy()
        tp[j] += h
        tm[j] -= h
        steps[j] = (tp[j] - tm[j]) / 2.0  # the step actually taken, after rounding
        H[:, j] = (p.g(tp) - p.g(tm)) / (tp[j] - tm[j])
    return H, steps


# --------------------------------------------------------------------------------------------
# sigmoid, sigmoid_derivative, log_sigmoid
# --------------------------------------------------------------------------------------------


def test_sigmoid_exact_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert logreg.sigmoid(-1e4) == 0.0
        assert logreg.sigmoid(1e4) == 1.0
        assert logreg.sigmoid(0.0) == 0.5
        assert logreg.log_sigmoid(-1e4) == -1e4
        assert logreg.log_sigmoid(1e4) == 0.0
        assert logreg.log_sigmoid(0.0) == pytest.approx(-math.log(2.0), rel=1e-15, abs=0)
        assert logreg.sigmoid_derivative(0.0) == 0.25
        assert logreg.sigmoid_derivative(1e4) == 0.0
        assert logreg.sigmoid_derivative(-1e4) == 0.0


@pytest.mark.parametrize("z", [1e308, -1e308, FMAX, -FMAX, 1e300, -1e300, 710.0, -710.0, 746.0, -746.0])
def test_no_warning_and_exact_at_huge_finite(z):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = float(logreg.sigmoid(z))
        ls = float(logreg.log_sigmoid(z))
        ds = float(logreg.sigmoid_derivative(z))
    # sigma(z) = e^z / (1 + e^z) is e^z for z << 0: a subnormal number down to about -745, not 0.
    assert s == (1.0 if z > 0 else pytest.approx(math.exp(z), rel=1e-6, abs=5e-324))
    # log sigma(z) = z - log(1 + e^z) rounds to z for z << 0, and to -e^-z (0 once that
    # underflows) for z >> 0.
    if z < 0:
        assert ls == z
    else:
        assert ls == pytest.approx(-math.exp(-z), rel=1e-6, abs=1e-322)
    assert ds == pytest.approx(math.exp(-abs(z)), rel=1e-6, abs=5e-324)


@pytest.mark.parametrize("z", [-720.0, -745.0, -709.5, 720.0])
def test_sigmoid_keeps_subnormal_values(z):
    """sigma(-720) = e^-720 = 2.0e-313 is a representable (subnormal) float; 1 / (1 + e^720)
    flushes it to 0. The derivative keeps it too."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(logreg.sigmoid(-abs(z))) == math.exp(-abs(z)) > 0.0
        assert float(logreg.sigmoid_derivative(z)) == math.exp(-abs(z))


@pytest.mark.parametrize(
    "func", [logreg.sigmoid, logreg.sigmoid_derivative, logreg.log_sigmoid], ids=lambda f: f.__name__
)
@pytest.mark.parametrize(
    "z,error,match",
    [
        (None, TypeError, "real numbers.*object"),
        ("2", TypeError, "real numbers.*dtype <U"),
        (["0.5", "1"], TypeError, "real numbers"),
        (1 + 2j, TypeError, "complex"),
        (np.array([1.0, 2.0]) + 0j, TypeError, "complex"),
        ([0.0, float("nan")], ValueError, "NaN"),
    ],
)
def test_sigmoid_family_validates_like_fit(func, z, error, match):
    """None, strings and complex numbers are refused as fit refuses them, not turned into NaN,
    0.88 or a ComplexWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=f"z .*{match}|{match}"):
            func(z)


def test_sigmoid_family_accepts_infinities():
    assert logreg.sigmoid([-np.inf, np.inf]).tolist() == [0.0, 1.0]
    assert logreg.sigmoid_derivative([-np.inf, np.inf]).tolist() == [0.0, 0.0]


def test_arrays_keep_their_shape():
    z = np.array([[-1e4, 0.0], [1.0, 1e4]])
    for f in (logreg.sigmoid, logreg.sigmoid_derivative, logreg.log_sigmoid):
        assert np.shape(f(z)) == (2, 2)
    assert logreg.sigmoid([-1e4, 0.0, 1e4]).tolist() == [0.0, 0.5, 1.0]


@given(z=st.floats(allow_nan=False, allow_infinity=False))
def test_sigmoid_family_on_every_finite_float(z):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = float(logreg.sigmoid(z))
        sm = float(logreg.sigmoid(-z))
        ls = float(logreg.log_sigmoid(z))
        ds = float(logreg.sigmoid_derivative(z))
    assert 0.0 <= s <= 1.0
    assert s + sm == pytest.approx(1.0, abs=2 * EPS)
    # log sigma(z) = min(0, z) - log(1 + e^-|z|), which lies in [min(0, z) - log 2, min(0, z)].
    assert math.isfinite(ls)
    assert ls <= min(0.0, z)
    assert ls >= min(0.0, z) - math.log(2.0) * (1 + 4 * EPS)
    # sigma(z) sigma(-z) <= 1/4 exactly; the two rounded factors may overshoot by an ulp or so.
    assert 0.0 <= ds <= 0.25 * (1 + 2 * EPS)
    if z != 0.0:  # monotone: the sigmoid of a larger number is not smaller
        assert float(logreg.sigmoid(z * (1 + 1e-3) if z > 0 else z * (1 - 1e-3))) >= s


@given(z=finite(-700.0, 700.0))
def test_sigmoid_family_against_closed_forms(z):
    e = math.exp(-abs(z))  # never overflows
    sigma = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)
    assert float(logreg.sigmoid(z)) == pytest.approx(sigma, rel=4 * EPS, abs=0)
    assert float(logreg.sigmoid_derivative(z)) == pytest.approx(e / (1.0 + e) ** 2, rel=1e-14, abs=0)
    log_sig = -math.log1p(e) if z >= 0 else z - math.log1p(e)
    assert float(logreg.log_sigmoid(z)) == pytest.approx(log_sig, rel=1e-14, abs=1e-300)


@given(z=finite(-30.0, 30.0))
def test_sigmoid_derivative_matches_difference_quotient(z):
    h = 1e-5
    fd = (float(logreg.sigmoid(z + h)) - float(logreg.sigmoid(z - h))) / (2 * h)
    assert float(logreg.sigmoid_derivative(z)) == pytest.approx(fd, rel=1e-7, abs=1e-11)


# --------------------------------------------------------------------------------------------
# The objective
# --------------------------------------------------------------------------------------------


def test_objective_closed_form_two_log_two():
    X = np.array([[0.0], [1.0]])
    y = np.array([0.0, 1.0])
    assert logreg.objective(np.zeros(1), 0.0, X, y) == pytest.approx(2 * math.log(2), rel=1e-15, abs=0)


@given(p=problems())
def test_objective_at_zero_is_n_log_two(p):
    # w = 0, b = 0: every point has probability 1/2, so E = N log 2 whatever X and y are.
    zero = np.zeros(p.X.shape[1])
    value = logreg.objective(zero, 0.0, p.X, p.y, **p.kw)
    assert value == pytest.approx(p.X.shape[0] * math.log(2.0), rel=1e-14, abs=0)


def test_objective_return_types_and_lists():
    value = logreg.objective([0.5], 0.25, [[0.0], [1.0]], [0, 1])
    assert isinstance(value, float)
    gw, gb = logreg.gradient([0.5], 0.25, [[0.0], [1.0]], [0, 1])
    assert isinstance(gw, np.ndarray) and gw.shape == (1,)
    assert isinstance(gb, float)
    H = logreg.hessian([0.5], 0.25, [[0.0], [1.0]], [0, 1])
    assert isinstance(H, np.ndarray) and H.shape == (2, 2)


@given(p=problems(max_x=3.0, max_theta=2.0, max_d=3))
def test_objective_matches_naive_formula(p):
    # |a| <= 3 * 3 * 2 + 2 = 20: the textbook log(1 + e^a) is accurate there.
    w, b = p.theta[:-1], float(p.theta[-1])
    expected = naive_objective(w, b, p.X, p.y, p.l2, p.penalize_bias)
    assert logreg.objective(w, b, p.X, p.y, **p.kw) == pytest.approx(expected, rel=1e-12, abs=0)


def test_objective_with_textbook_probabilities():
    # A small case with the post's formula -sum[y log p + (1-y) log(1-p)] at moderate activations.
    X = np.array([[0.5, -1.0], [2.0, 0.3], [-1.5, 1.2], [0.1, 0.1]])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    w, b = np.array([0.7, -0.4]), 0.2
    a = X @ w + b
    p = 1.0 / (1.0 + np.exp(-a))
    expected = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.3 * (w @ w)
    assert logreg.objective(w, b, X, y, l2=0.3) == pytest.approx(expected, rel=1e-13, abs=0)


@pytest.mark.parametrize("a", [800.0, 1e4, 1e300])
def test_objective_exact_for_huge_activations(a):
    X = np.array([[a], [a]])
    w = np.array([1.0])
    # Label 1 at activation a is right: loss log(1 + e^-a), i.e. about e^-a = 0 in floating point.
    assert logreg.objective(w, 0.0, X[:1], [1.0]) == pytest.approx(0.0, abs=1e-300)
    # Label 0 at activation a is wrong: loss log(1 + e^a) = a + log(1 + e^-a), i.e. a.
    assert logreg.objective(w, 0.0, X[1:], [0.0]) == a
    assert logreg.objective(w, 0.0, X, [1.0, 0.0]) == a
    # Flip the sign of the activation: the roles swap.
    assert logreg.objective(-w, 0.0, X, [1.0, 0.0]) == a
    # A moderate point next to the huge ones is not swamped.
    X3 = np.array([[a], [1.0], [-a]])
    y3 = np.array([1.0, 1.0, 0.0])
    assert logreg.objective(w, 0.0, X3, y3) == pytest.approx(math.log1p(math.exp(-1.0)), rel=1e-15, abs=0)


def test_objective_against_high_precision_at_large_activations():
    a = np.array([-800.0, -60.0, -35.5, -1.0, 0.0, 2.5, 36.0, 60.0, 800.0])
    X = a[:, None]
    for y in (np.array([1, 0, 1, 0, 1, 0, 1, 0, 1], float), np.array([0, 1, 0, 1, 0, 1, 0, 1, 0], float)):
        expected = decimal_nll(a.tolist(), y.tolist())
        assert logreg.objective([1.0], 0.0, X, y) == pytest.approx(expected, rel=1e-14, abs=0)
    # All points confidently right: E is tiny but must keep its relative accuracy.
    big = np.array([[40.0], [-45.0], [50.0]])
    yb = np.array([1.0, 0.0, 1.0])
    assert logreg.objective([1.0], 0.0, big, yb) == pytest.approx(
        decimal_nll([40.0, -45.0, 50.0], yb.tolist()), rel=1e-13, abs=0
    )


@pytest.mark.parametrize("a", [800.0, 1e5, 1e300])
def test_derivatives_finite_at_huge_activations(a):
    X = np.array([[a / 10], [-a / 10], [1.0]])
    y = np.array([0.0, 1.0, 1.0])
    w = np.array([10.0])
    gw, gb = logreg.gradient(w, 0.0, X, y)
    assert np.all(np.isfinite(gw)) and math.isfinite(gb)
    # The two misclassified points have sigma - y = +1 and -1: they contribute x_n each.
    expected_r = np.array([1.0, -1.0, -math.exp(-10.0) / (1 + math.exp(-10.0))])
    np.testing.assert_allclose(gw, X.T @ expected_r, rtol=1e-12)
    assert gb == pytest.approx(expected_r.sum(), rel=1e-12, abs=0)
    H = logreg.hessian(w, 0.0, X, y)
    assert np.all(np.isfinite(H))
    s = math.exp(-10.0) / (1 + math.exp(-10.0)) ** 2  # only the moderate point contributes
    np.testing.assert_allclose(H, s * np.array([[1.0, 1.0], [1.0, 1.0]]), rtol=1e-12, atol=1e-300)


@given(p=problems())
def test_penalty_terms(p):
    w, b = p.theta[:-1], float(p.theta[-1])
    bare = logreg.objective(w, b, p.X, p.y)
    pen = logreg.objective(w, b, p.X, p.y, **p.kw)
    expected = p.l2 * (float(w @ w) + (b * b if p.penalize_bias else 0.0))
    assert pen - bare == pytest.approx(expected, rel=1e-12, abs=8 * EPS * (abs(bare) + abs(pen)))
    # The gradient and Hessian of the penalty: 2 l2 (w, [b]) and 2 l2 diag(1, ..., 1, [1]).
    gw0, gb0 = logreg.gradient(w, b, p.X, p.y)
    gw1, gb1 = logreg.gradient(w, b, p.X, p.y, **p.kw)
    scale = 1.0 + float(np.abs(gw0).max()) + abs(gb0) + 2 * p.l2 * float(np.abs(p.theta).max())
    np.testing.assert_allclose(gw1 - gw0, 2 * p.l2 * w, rtol=0, atol=1e-13 * scale)
    assert gb1 - gb0 == pytest.approx(2 * p.l2 * b if p.penalize_bias else 0.0, abs=1e-13 * scale)
    H0 = logreg.hessian(w, b, p.X, p.y)
    H1 = logreg.hessian(w, b, p.X, p.y, **p.kw)
    diag = np.full(w.size + 1, 2 * p.l2)
    if not p.penalize_bias:
        diag[-1] = 0.0
    np.testing.assert_allclose(H1 - H0, np.diag(diag), rtol=0, atol=1e-13 * (1 + np.abs(H1).max()))


def test_penalize_bias_default_is_false():
    X, y = np.array([[1.0], [-1.0], [0.5]]), np.array([1.0, 0.0, 0.0])
    w, b = np.array([0.3]), 1.7
    assert logreg.objective(w, b, X, y, l2=2.0) == logreg.objective(w, b, X, y, l2=2.0, penalize_bias=False)
    assert logreg.objective(w, b, X, y, l2=2.0, penalize_bias=True) - logreg.objective(
        w, b, X, y, l2=2.0
    ) == pytest.approx(2.0 * b * b, rel=1e-12, abs=0)


# --------------------------------------------------------------------------------------------
# Symmetry
# --------------------------------------------------------------------------------------------


@given(p=problems())
def test_label_flip_symmetry(p):
    # y -> 1 - y with (w, b) -> (-w, -b) negates every activation and swaps every label: each
    # point's loss is unchanged, the penalty is even, and the gradient is odd.
    t = p.theta
    flipped = Problem(p.X, 1.0 - p.y, -t, -p.other, p.l2, p.penalize_bias)
    f, ff = p.f(t), flipped.f(-t)
    assert ff == pytest.approx(f, rel=1e-13, abs=1e-300)
    g, gf = p.g(t), flipped.g(-t)
    scale = float(np.sum(np.abs(p.Xt))) + 2 * p.l2 * float(np.abs(t).max()) + 1.0
    np.testing.assert_allclose(gf, -g, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(flipped.H(-t), p.H(t), rtol=0, atol=1e-13 * scale * (1 + np.abs(p.Xt).max()))


@given(p=problems())
def test_hessian_does_not_depend_on_labels(p):
    t = p.theta
    H = p.H(t)
    H_other = logreg.hessian(t[:-1], t[-1], p.X, 1.0 - p.y, **p.kw)
    np.testing.assert_array_equal(H, H_other)


# --------------------------------------------------------------------------------------------
# Derivatives against finite differences
# --------------------------------------------------------------------------------------------


def test_gradient_closed_form_at_zero():
    X = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -1.0]])
    y = np.array([1.0, 0.0, 1.0])
    gw, gb = logreg.gradient(np.zeros(2), 0.0, X, y)
    # sigma(0) = 1/2: grad_w = sum (1/2 - y_n) x_n, grad_b = sum (1/2 - y_n).
    np.testing.assert_allclose(gw, X.T @ (0.5 - y), rtol=1e-15)
    assert gb == pytest.approx(float(np.sum(0.5 - y)), abs=1e-15)


def test_hessian_closed_form_bias_last():
    X = np.array([[0.0], [1.0]])
    y = np.array([0.0, 1.0])
    # s_n = 1/4 at w = b = 0: [[sum s x^2, sum s x], [sum s x, sum s]] = [[1/4, 1/4], [1/4, 1/2]].
    np.testing.assert_allclose(logreg.hessian(np.zeros(1), 0.0, X, y), [[0.25, 0.25], [0.25, 0.5]], rtol=1e-15)
    np.testing.assert_allclose(
        logreg.hessian(np.zeros(1), 0.0, X, y, l2=1.5, penalize_bias=True), [[3.25, 0.25], [0.25, 3.5]], rtol=1e-15
    )
    np.testing.assert_allclose(logreg.hessian(np.zeros(1), 0.0, X, y, l2=1.5), [[3.25, 0.25], [0.25, 0.5]], rtol=1e-15)


@given(p=problems())
def test_hessian_explicit_formula(p):
    # X~^T diag(s) X~ + 2 l2 diag(1, ..., 1, [1]), with s computed from an independent formula.
    t = p.theta
    a = p.X @ t[:-1] + t[-1]
    e = np.exp(-np.abs(a))
    s = e / (1.0 + e) ** 2
    expected = (p.Xt * s[:, None]).T @ p.Xt + 2 * p.l2 * np.diag(
        np.r_[np.ones(t.size - 1), 1.0 if p.penalize_bias else 0.0]
    )
    np.testing.assert_allclose(p.H(t), expected, rtol=1e-12, atol=1e-14 * (1 + np.abs(expected).max()))


@given(p=problems())
def test_gradient_matches_finite_differences(p):
    # The right gradient never fails; it passes unless it is too small next to the finite
    # differences' error budget for them to tell a 1 % error (near a stationary point).
    check = logreg.check_gradient(p.f, p.g, p.theta)
    assert check.verdict != "failed", (
        f"worst error/tolerance = {check.worst_ratio:.3g}; analytic {check.analytic}, numeric {check.numeric}"
    )
    size = max(np.abs(check.analytic).max(), np.abs(check.numeric).max())
    if size > 1e-6 * max(1.0, abs(p.f(p.theta))):
        assert check.passed, f"{check.verdict}: tolerance {check.tolerance}, gradient {check.analytic}"


@given(p=problems())
def test_hessian_matches_finite_differences_of_gradient(p):
    H = p.H(p.theta)
    H_fd, steps = fd_hessian(p)
    tol = hessian_fd_tolerance(p, steps)
    err = float(np.max(np.abs(H - H_fd)))
    assert err <= tol, f"max |H - H_fd| = {err:.3g} > {tol:.3g}"


@pytest.mark.parametrize("a", [20.0, 30.0, 40.0])
@pytest.mark.parametrize("label", [1.0, 0.0])
def test_gradient_accurate_when_points_are_confidently_right(a, label):
    # One point classified right with activation +-a: the gradient is -(2y-1) sigma(-a) (x, 1).
    # sigma(-a) = e^-a / (1 + e^-a) is tiny but perfectly representable, so a stable
    # implementation returns it to full relative precision; sigma(a) - y cancels catastrophically.
    sign = 1.0 if label == 1.0 else -1.0
    X = np.array([[sign * 1.0]])
    y = np.array([label])
    w = np.array([a])
    true = -sign * math.exp(-a) / (1.0 + math.exp(-a))
    gw, gb = logreg.gradient(w, 0.0, X, y)
    assert gw[0] == pytest.approx(true * sign, rel=1e-12, abs=0)
    assert gb == pytest.approx(true, rel=1e-12, abs=0)
    # And so check_gradient, whose finite differences are accurate here, accepts it.
    p = Problem(X, y, np.array([a, 0.0]), np.zeros(2), 0.0, False)
    assert logreg.check_gradient(p.f, p.g, p.theta).passed


# --------------------------------------------------------------------------------------------
# Convexity and the Hessian's structure
# --------------------------------------------------------------------------------------------


@given(p=problems(), frac=finite(0.0, 1.0))
def test_convex_along_random_lines(p, frac):
    t0, t1 = p.theta, p.other
    f0, f1 = p.f(t0), p.f(t1)
    mid = p.f(0.5 * (t0 + t1))
    slack = 1e-12 * (abs(f0) + abs(f1)) + 1e-300
    assert mid <= 0.5 * (f0 + f1) + slack
    # And at any point of the segment (Jensen with weights frac, 1 - frac).
    ft = p.f((1 - frac) * t0 + frac * t1)
    assert ft <= (1 - frac) * f0 + frac * f1 + slack
    # Second directional derivative d^T H d >= 0 at both ends.
    d = t1 - t0
    for t in (t0, t1):
        H = p.H(t)
        assert d @ H @ d >= -1e-12 * np.abs(H).max() * (d @ d)
    # Monotone gradient: (g(t1) - g(t0)) . (t1 - t0) >= 0.
    g_scale = float(np.sum(np.abs(p.Xt))) + 2 * p.l2 * float(np.abs(p.theta).max() + np.abs(p.other).max())
    assert (p.g(t1) - p.g(t0)) @ d >= -1e-12 * g_scale * float(np.abs(d).sum())


@given(p=problems())
def test_hessian_symmetric_positive_semidefinite(p):
    H = p.H(p.theta)
    k = p.theta.size
    assert H.shape == (k, k)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-14 * np.abs(H).max())
    eig = np.linalg.eigvalsh(H)
    assert eig.min() >= -1e-12 * max(eig.max(), 0.0) - 1e-300
    # With l2 > 0 (and the bias penalised) it is positive definite: the smallest eigenvalue is at
    # least 2 l2, up to eigvalsh's rounding, about eps times the largest (at l2 = 1e-92 the
    # computed smallest eigenvalue is 0.0 for a matrix whose largest is 0.5).
    if p.penalize_bias and p.l2 > 0:
        assert eig.min() >= 2 * p.l2 * (1 - 1e-9) - 1e-12 * max(eig.max(), 0.0)


# --------------------------------------------------------------------------------------------
# check_gradient itself
# --------------------------------------------------------------------------------------------


def test_check_gradient_on_a_quadratic():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    f = lambda x: float(0.5 * x @ A @ x - x[0])
    g = lambda x: A @ x - np.array([1.0, 0.0])
    x = np.array([0.7, -1.3])
    assert logreg.check_gradient(f, g, x).passed
    assert not logreg.check_gradient(f, lambda x: g(x) * (1 + 1e-6), x).passed
    assert not logreg.check_gradient(f, lambda x: g(x)[::-1], x).passed


def test_check_gradient_does_not_modify_the_point():
    x = np.array([0.5, -2.0])
    before = x.copy()
    logreg.check_gradient(lambda t: float(t @ t), lambda t: 2 * t, x)
    np.testing.assert_array_equal(x, before)


@given(p=problems())
def test_check_gradient_rejects_relative_error_of_1e6(p):
    g0 = p.g(p.theta)
    f0 = p.f(p.theta)
    # Only where the gradient is not negligible next to the objective's own rounding error:
    # a relative change of 1e-6 to a gradient of size 1e-20 is not observable by any test.
    assume(np.abs(g0).max() >= 0.1 * max(abs(f0), 1.0))
    # Scale the whole gradient, and separately perturb the largest component alone.
    assert not logreg.check_gradient(p.f, lambda t: p.g(t) * (1 + 1e-6), p.theta).passed
    assert not logreg.check_gradient(p.f, lambda t: p.g(t) * (1 - 1e-6), p.theta).passed
    j = int(np.argmax(np.abs(g0)))
    bump = np.zeros_like(g0)
    bump[j] = 1e-6 * abs(g0[j])
    assert not logreg.check_gradient(p.f, lambda t: p.g(t) + bump, p.theta).passed
    # The derived tolerance is far below 1e-6 relative: at least 100 times smaller.
    check = logreg.check_gradient(p.f, p.g, p.theta)
    assert check.tolerance[j] <= 1e-8 * abs(g0[j])


@pytest.mark.parametrize(("l2", "pb"), [(0.0, False), (0.5, False), (0.5, True)])
def test_check_gradient_on_logistic_objective_blobs(blobs, l2, pb):
    X, y = blobs
    f = lambda t: logreg.objective(t[:-1], t[-1], X, y, l2=l2, penalize_bias=pb)
    g = lambda t: np.append(*logreg.gradient(t[:-1], t[-1], X, y, l2=l2, penalize_bias=pb))
    for t in (np.array([0.3, -0.8, 0.1]), np.array([-2.0, -1.5, 0.4])):
        check = logreg.check_gradient(f, g, t)
        assert check.passed
        assert np.all(check.tolerance <= 1e-8 * np.abs(check.analytic).max())
        assert not logreg.check_gradient(f, lambda t: g(t) * (1 + 1e-6), t).passed


@pytest.mark.parametrize("w", [1e200, 1e300])
def test_objective_of_huge_weights_without_a_penalty_is_not_nan(w):
    """With l2 = 0 the penalty is 0 whatever the weights (0 * inf used to make E NaN)."""
    X, y = np.array([[1.0], [-2.0]]), np.array([1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = logreg.objective([w], 0.0, X, y, l2=0.0)
        assert value == 0.0  # both points confidently right
        if w < FMAX / 3:  # both points confidently wrong: losses w and 2 w
            assert logreg.objective([-w], 0.0, X, y, l2=0.0) == pytest.approx(3 * w)
        assert logreg.objective([w], 0.0, X, y, l2=1.0) == math.inf  # a penalty beyond any float


def test_check_gradient_says_inconclusive_when_f_does_not_resolve_the_step():
    """f = x.x + 1e10: its rounding (1e10 * eps) over the step swamps the change of x.x, so the
    budget is larger than the gradient and a 33 % wrong gradient is within it: not a pass."""
    f, x = (lambda x: float(x @ x + 1e10)), np.array([1.0, 1.0])
    wrong = logreg.check_gradient(f, lambda x: 1.33 * 2 * x, x)
    assert np.all(wrong.error <= wrong.tolerance)  # within budget, but the budget means nothing
    assert wrong.verdict == "inconclusive" and not wrong.passed and not wrong.conclusive
    right = logreg.check_gradient(f, lambda x: 2 * x, x)
    assert right.verdict == "inconclusive" and not right.passed
    clear = logreg.check_gradient(lambda x: float(x @ x), lambda x: 2 * x, x)
    assert clear.verdict == "passed" and clear.passed and clear.conclusive
    assert logreg.check_gradient(lambda x: float(x @ x), lambda x: 3 * x, x).verdict == "failed"


def test_check_gradient_refuses_what_it_cannot_check():
    f, g = (lambda x: float(x @ x)), (lambda x: 2 * x)
    with pytest.raises(ValueError, match="x is empty"):
        logreg.check_gradient(f, g, [])
    with pytest.raises(TypeError, match="fun must return one real number, got an array of shape \\(2,\\)"):
        logreg.check_gradient(lambda x: x * x, g, [1.0, 2.0])
    with pytest.raises(TypeError, match="fun returned must hold real numbers"):
        logreg.check_gradient(lambda x: "1.0", g, [1.0, 2.0])
    with pytest.raises(TypeError, match="grad returned must hold real numbers"):
        logreg.check_gradient(f, lambda x: None, [1.0, 2.0])
    with pytest.raises(ValueError, match="NaN or infinite"):
        logreg.check_gradient(f, g, [1.0, np.nan])
    # a one-element array from fun is one number
    assert logreg.check_gradient(lambda x: x[None, :] @ x[:, None], g, [1.0, 2.0]).passed
