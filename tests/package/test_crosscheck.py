"""Cross-checks: every solver against scikit-learn, statsmodels and an independent scipy
minimisation, on the same objective, over data sets chosen to be awkward.

Requirement, for every (method, data set, l2, reference):

* relative objective gap ``|E_ours - E_ref| / |E_ref| <= 1e-9`` and
* ``max |coef_ours - coef_ref| <= 1e-6 * max |coef_ref|`` (coefs = weights and bias together),

with both objectives computed by ``logreg.objective``. Where the reference is itself the less
accurate of the two (its objective is higher and its Newton step, H^-1 g from an independent
implementation, is longer than ours), the verdict is on the objective alone: ours must not be
worse than the reference by more than the allowed gap.

scikit-learn's ``LogisticRegression`` minimises ``C * sum(loss) + ||w||^2 / 2``, which is our
``E`` divided by ``C`` when ``C = 1 / (2 l2)``; it never penalises the intercept. statsmodels'
``Logit`` is the unpenalised maximum likelihood (l2 = 0, non-separable data only).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import logreg

REL_GAP = 1e-9
COEF_REL = 1e-6


# --------------------------------------------------------------------------------------------
# Data sets
# --------------------------------------------------------------------------------------------


@functools.cache
def dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = logreg.make_blobs(200, seed=1)
    if name == "blobs":
        return X, y
    if name == "badly_scaled":  # columns differ in scale by 10^6
        return X * np.array([1e-3, 1e3]), y
    if name == "imbalanced":  # 2% positives: 10 of 500
        rng = np.random.default_rng(7)
        X1 = rng.standard_normal((10, 2)) + np.array([-1.0, -1.0])
        X0 = rng.standard_normal((490, 2)) + np.array([0.5, 0.5])
        Xi = np.vstack([X1, X0])
        yi = np.r_[np.ones(10), np.zeros(490)]
        order = rng.permutation(500)
        return Xi[order], yi[order]
    if name == "collinear":  # third column a linear combination of the first two
        return np.column_stack([X, 2.0 * X[:, 0] - X[:, 1]]), y
    if name == "duplicated":  # third column a copy of the first
        return np.column_stack([X, X[:, 0]]), y
    if name == "tiny":  # 5 points, not separable: (0.5, 0.5) lies inside the triangle of the 1s
        Xt = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [0.5, 0.5], [3.0, 3.0]])
        return Xt, np.array([1.0, 1.0, 1.0, 0.0, 0.0])
    if name == "offset":  # far from the origin, where a penalised bias matters
        return X + np.array([4.0, -2.5]), y
    raise KeyError(name)


FULL_RANK = ["blobs", "badly_scaled", "imbalanced", "tiny"]
COLLINEAR = ["collinear", "duplicated"]

# (data set, l2, penalize_bias): the unique-optimum problems.
CASES = (
    [(name, l2, False) for name in FULL_RANK for l2 in (0.0, 0.1, 10.0)]
    + [(name, l2, False) for name in COLLINEAR for l2 in (0.1, 10.0)]
    + [("offset", l2, pb) for l2 in (0.5, 5.0) for pb in (False, True)]
    + [(name, 1.0, True) for name in ("blobs", "badly_scaled", "tiny")]
)


def case_id(case) -> str:
    name, l2, pb = case
    return f"{name}-l2={l2:g}" + ("-penbias" if pb else "")


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------


def sklearn_reference(X, y, l2):
    from sklearn.linear_model import LogisticRegression

    C = np.inf if l2 == 0 else 1.0 / (2.0 * l2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its own convergence chatter; accuracy is judged below
        model = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=10_000).fit(X, y)
    return model.coef_.ravel().astype(float), float(model.intercept_[0])


def statsmodels_reference(X, y):
    import statsmodels.api as sm

    design = sm.add_constant(X, has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.Logit(y, design).fit(method="newton", tol=1e-14, maxiter=200, disp=0)
    params = np.asarray(res.params, dtype=float)
    return params[1:], float(params[0])


def references_for(case) -> list[str]:
    _name, l2, pb = case
    refs = ["scipy"]
    if not pb:
        refs.append("sklearn")
        if l2 == 0.0:
            refs.append("statsmodels")
    return refs


PARAMS = [
    pytest.param(case, refname, id=f"{case_id(case)}-{refname}") for case in CASES for refname in references_for(case)
]


_REFERENCES: dict = {}


def reference(case, refname: str, minimise) -> tuple[np.ndarray, float]:
    """The reference solution, computed once per (case, reference) and shared by the methods."""
    key = (case, refname)
    if key not in _REFERENCES:
        name, l2, pb = case
        X, y = dataset(name)
        if refname == "sklearn":
            _REFERENCES[key] = sklearn_reference(X, y, l2)
        elif refname == "statsmodels":
            _REFERENCES[key] = statsmodels_reference(X, y)
        else:  # scipy, through the independent minimiser in conftest
            _REFERENCES[key] = minimise(X, y, l2, pb)
    return _REFERENCES[key]


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------


def assert_as_good_as(res, X, y, l2, pb, w_ref, b_ref, ref):
    E_ours = logreg.objective(res.weights, res.bias, X, y, l2=l2, penalize_bias=pb)
    E_ref = logreg.objective(w_ref, b_ref, X, y, l2=l2, penalize_bias=pb)
    gap = (E_ours - E_ref) / abs(E_ref)
    ours = np.append(res.weights, res.bias)
    theirs = np.append(w_ref, b_ref)
    coef_err = float(np.max(np.abs(ours - theirs)))
    coef_tol = COEF_REL * float(np.max(np.abs(theirs)))
    detail = f"gap={gap:.3g}, coef_err={coef_err:.3g} (tol {coef_tol:.3g}), ours={ours}, ref={theirs}"

    # Never worse than the reference by more than the allowed gap.
    assert gap <= REL_GAP, detail
    if abs(gap) <= REL_GAP and coef_err <= coef_tol:
        return
    # They disagree: acceptable only if the reference is demonstrably the less accurate one.
    step_ours = float(np.max(np.abs(ref.newton_step(ours, X, y, l2, pb))))
    step_ref = float(np.max(np.abs(ref.newton_step(theirs, X, y, l2, pb))))
    assert E_ours <= E_ref and step_ours < step_ref, f"{detail}; Newton steps ours={step_ours:.3g} ref={step_ref:.3g}"
    assert step_ours <= COEF_REL * float(np.max(np.abs(ours))), detail


@pytest.mark.parametrize("case, refname", PARAMS)
def test_matches_reference(method, case, refname, ref):
    name, l2, pb = case
    X, y = dataset(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning of any kind on these well-posed problems
        res = logreg.fit(X, y, l2=l2, penalize_bias=pb, method=method)
    assert res.converged
    w_ref, b_ref = reference(case, refname, ref.minimise)
    assert_as_good_as(res, X, y, l2, pb, w_ref, b_ref, ref)
    assert res.objective == pytest.approx(
        logreg.objective(res.weights, res.bias, X, y, l2=l2, penalize_bias=pb), rel=1e-13, abs=0
    )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_self_certified_accuracy(method, case, ref):
    # Independently of any reference: the Newton step from our solution, i.e. our distance from the
    # optimum to second order, is below the coefficient tolerance.
    name, l2, pb = case
    X, y = dataset(name)
    res = logreg.fit(X, y, l2=l2, penalize_bias=pb, method=method)
    theta = np.append(res.weights, res.bias)
    step = ref.newton_step(theta, X, y, l2, pb)
    assert np.max(np.abs(step)) <= COEF_REL * np.max(np.abs(theta))


@pytest.mark.parametrize("name", FULL_RANK)
def test_unpenalised_data_sets_are_not_separable(name):
    # Precondition of the l2 = 0 cases (a finite unpenalised optimum exists).
    assert logreg.is_separable(*dataset(name)) is False


def test_imbalanced_is_imbalanced():
    _, y = dataset("imbalanced")
    assert y.mean() == pytest.approx(0.02)


@pytest.mark.parametrize("name, reduced", [("collinear", "blobs"), ("duplicated", "blobs")])
def test_collinear_unpenalised(method, name, reduced):
    # With l2 = 0 the optimum is not unique (any split of the weight between dependent columns
    # gives the same activations), so compare only what is unique: the optimal objective and the
    # activations, which equal those of the problem without the redundant column (statsmodels).
    X, y = dataset(name)
    Xr, yr = dataset(reduced)
    res = logreg.fit(X, y, method=method)
    w_ref, b_ref = statsmodels_reference(Xr, yr)
    E_ref = logreg.objective(w_ref, b_ref, Xr, yr)
    assert (res.objective - E_ref) / abs(E_ref) <= REL_GAP
    a_ours = X @ res.weights + res.bias
    a_ref = Xr @ w_ref + b_ref
    np.testing.assert_allclose(a_ours, a_ref, rtol=0, atol=COEF_REL * np.abs(a_ref).max())
