"""Inference: covariance, standard errors, Wald tests and Laplace predictions (`logreg.inference`).

Cross-checked against statsmodels' ``Logit(...).fit()`` on several real data sets that ship with
statsmodels and scikit-learn, and the predictive probabilities against a brute-force integral.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate
from scipy.special import expit
from scipy.stats import norm

import logreg
from logreg import inference


def _spector():
    import statsmodels.api as sm

    data = sm.datasets.spector.load_pandas()
    return data.exog.to_numpy(float), data.endog.to_numpy(float), list(data.exog.columns)


def _iris():
    """Versicolor against virginica, all four measurements: the classes overlap (not separable)."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    keep = y > 0
    return X[keep], (y[keep] == 2).astype(float), ["sepal length", "sepal width", "petal length", "petal width"]


def _breast_cancer():
    """Four of the 30 features (mean radius, texture, smoothness, concavity): not separable, and in
    very different units."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    cols = [0, 1, 4, 6]
    return data.data[:, cols], data.target.astype(float), [data.feature_names[c] for c in cols]


def _blobs():
    X, y = logreg.make_blobs(200, seed=1)
    return X, y, ["x1", "x2"]


DATASETS = {"spector": _spector, "iris": _iris, "breast-cancer": _breast_cancer, "blobs": _blobs}


@pytest.fixture(scope="module", params=list(DATASETS))
def dataset(request):
    return DATASETS[request.param]()


def _statsmodels(X, y):
    import statsmodels.api as sm

    res = sm.Logit(y, sm.add_constant(X, has_constant="add")).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    order = [*range(1, X.shape[1] + 1), 0]  # statsmodels' constant first; ours last
    return (
        np.asarray(res.params)[order],
        np.asarray(res.bse)[order],
        np.asarray(res.tvalues)[order],
        np.asarray(res.pvalues)[order],
        np.asarray(res.conf_int(0.05))[order],
        np.asarray(res.cov_params())[np.ix_(order, order)],
    )


@pytest.mark.parametrize("method", logreg.METHODS)
def test_agrees_with_statsmodels(dataset, method):
    X, y, _ = dataset
    params, bse, z, p, ci, cov = _statsmodels(X, y)
    res = logreg.fit(X, y, method=method, tol=1e-10, max_iter=1000)
    assert res.converged
    est = np.append(res.weights, res.bias)
    np.testing.assert_allclose(est, params, rtol=1e-6)
    np.testing.assert_allclose(res.covariance(), cov, rtol=1e-6)
    np.testing.assert_allclose(res.standard_errors, bse, rtol=1e-6)
    np.testing.assert_allclose(res.z_values, z, rtol=1e-6)
    np.testing.assert_allclose(res.p_values, p, rtol=1e-6)
    np.testing.assert_allclose(res.conf_int(0.95), ci, rtol=1e-6)


def test_summary_shows_statsmodels_numbers():
    X, y, names = _spector()
    res = logreg.fit(X, y)
    text = res.summary(feature_names=names)
    params, bse, z, _p, ci, _ = _statsmodels(X, y)
    for name in [*names, "bias"]:
        assert name in text
    row = next(line for line in text.splitlines() if line.startswith("PSI"))
    cells = [float(c) for c in row.split()[1:]]
    np.testing.assert_allclose(cells[:3], [params[2], bse[2], z[2]], atol=1e-4)
    np.testing.assert_allclose(cells[4:], ci[2], atol=1e-4)
    assert "Laplace" not in text
    penalised = logreg.fit(X, y, l2=0.5).summary(feature_names=names)
    assert "Laplace posterior" in penalised and "MAP" in penalised


def test_covariance_is_the_inverse_of_the_reference_hessian(blobs, ref):
    X, y = blobs
    for l2, pb in [(0.0, False), (0.3, False), (0.3, True)]:
        res = logreg.fit(X, y, l2=l2, penalize_bias=pb, method="newton")
        H = ref.hessian(np.append(res.weights, res.bias), X, y, l2, pb)
        np.testing.assert_allclose(inference.fitted_hessian(res), H, rtol=1e-12)
        np.testing.assert_allclose(res.covariance() @ H, np.eye(3), atol=1e-10)


def test_sandwich_equals_laplace_without_penalty_and_is_smaller_with_one(blobs):
    X, y = blobs
    res = logreg.fit(X, y, method="newton")
    np.testing.assert_allclose(res.covariance("sandwich"), res.covariance(), rtol=1e-10)
    pen = logreg.fit(X, y, l2=5.0, method="newton")
    # H = J + P with P = 2 lambda diag(1, 1, 0), so H^-1 - H^-1 J H^-1 = H^-1 P H^-1: positive
    # semidefinite, singular along the unpenalised bias's direction.
    cov = pen.covariance()
    gap = cov - pen.covariance("sandwich")
    np.testing.assert_allclose(gap, cov @ np.diag([10.0, 10.0, 0.0]) @ cov, atol=1e-15, rtol=1e-9)
    eig = np.linalg.eigvalsh(gap)
    assert eig[0] > -1e-12 * eig[-1] and eig[1] > 0


def test_explicit_data_gives_the_same_as_the_stored(blobs):
    X, y = blobs
    res = logreg.fit(X, y, l2=0.1)
    np.testing.assert_allclose(inference.covariance(res, X, y), res.covariance(), rtol=1e-14)
    np.testing.assert_allclose(inference.conf_int(res, X, y, level=0.9), res.conf_int(0.9), rtol=1e-14)
    np.testing.assert_allclose(inference.p_values(res, X, y), res.p_values, rtol=1e-12)
    np.testing.assert_allclose(inference.z_values(res, X, y), res.z_values, rtol=1e-12)


def test_interval_level_sets_its_width(blobs):
    res = logreg.fit(*blobs)
    ci90, ci99 = res.conf_int(0.90), res.conf_int(0.99)
    np.testing.assert_allclose(
        (ci99[:, 1] - ci99[:, 0]) / (ci90[:, 1] - ci90[:, 0]), norm.ppf(0.995) / norm.ppf(0.95), rtol=1e-12
    )


def test_separated_fit_is_an_error_not_an_infinity(separable):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", logreg.SeparationWarning)
        res = logreg.fit(*separable)
    with pytest.raises(ValueError, match="separable"):
        _ = res.standard_errors  # a property: reading it raises
    assert np.all(np.isfinite(logreg.fit(*separable, l2=0.1).standard_errors))


def test_collinear_columns_are_an_error(blobs):
    X, y = blobs
    res = logreg.fit(np.column_stack([X, 2.0 * X[:, 0]]), y, method="newton")
    with pytest.raises(ValueError, match=r"singular.*collinear"):
        res.covariance()


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1])
def test_bad_level(blobs, level):
    with pytest.raises(ValueError, match="level"):
        logreg.fit(*blobs).conf_int(level)


def test_bad_arguments(blobs):
    X, y = blobs
    res = logreg.fit(X, y)
    with pytest.raises(ValueError, match="feature_names has 1 names"):
        res.summary(feature_names=["only one"])
    with pytest.raises(ValueError, match="unknown kind"):
        res.covariance("fisher")
    with pytest.raises(ValueError, match="both X and y"):
        inference.covariance(res, X)
    with pytest.raises(ValueError, match="3 features"):
        inference.covariance(res, np.column_stack([X, X[:, 0]]), y)
    bare = logreg.FitResult(res.weights, res.bias, res.objective, res.n_iter, True, "lbfgs")
    with pytest.raises(ValueError, match="does not hold its training data"):
        bare.covariance()
    np.testing.assert_allclose(inference.standard_errors(bare, X, y), res.standard_errors, rtol=1e-14)


def test_unconverged_fit_warns(blobs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", logreg.ConvergenceWarning)
        res = logreg.fit(*blobs, method="newton", max_iter=1)
    assert not res.converged
    with pytest.warns(logreg.ConvergenceWarning, match="did not converge"):
        inference.covariance(res)


# --- the predictive probability -----------------------------------------------------------------


def _brute_force(mu: float, s2: float) -> float:
    """int sigma(a) N(a | mu, s2) da by adaptive quadrature."""
    s = math.sqrt(s2)
    value, _ = integrate.quad(
        lambda a: expit(a) * norm.pdf(a, mu, s), mu - 12 * s, mu + 12 * s, epsabs=1e-13, epsrel=1e-12, limit=200
    )
    return value


@pytest.fixture(scope="module")
def one_dimensional():
    """A 1-D problem with few points, so the posterior is wide: x on a line, labels noisy."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 1))
    y = (rng.random(30) < expit(1.5 * x[:, 0])).astype(float)
    return x, y


def test_predictive_against_brute_force_integral(one_dimensional):
    X, y = one_dimensional
    res = logreg.fit(X, y, l2=0.5)
    grid = np.linspace(-8, 8, 17)[:, None]
    mu, s2 = inference.predictive_variance(res, grid)
    exact = np.array([_brute_force(m, v) for m, v in zip(mu, s2, strict=False)])
    mc = res.predictive_proba(grid, method="monte-carlo", n_draws=200_000, seed=1)
    probit = res.predictive_proba(grid)
    # Monte Carlo: within 5 standard errors, sd(sigma(a)) / sqrt(n_draws) <= 0.5 / sqrt(n_draws).
    assert np.max(np.abs(mc - exact)) < 5 * 0.5 / math.sqrt(200_000)
    # The probit approximation: about 1e-2 at worst (Bishop, fig. 4.9); measured here below 0.02.
    assert np.max(np.abs(probit - exact)) < 0.02
    # ... and it does move from the MAP probability towards the exact value, towards 1/2.
    p_map = res.predict_proba(grid)
    assert np.all(np.abs(exact - 0.5) <= np.abs(p_map - 0.5) + 1e-12)
    assert np.all(np.abs(probit - 0.5) <= np.abs(p_map - 0.5) + 1e-12)


def test_activation_variance_is_the_quadratic_form(blobs):
    X, y = blobs
    res = logreg.fit(X, y, l2=0.1)
    new = np.array([[0.0, 0.0], [3.0, -1.0], [-5.0, 5.0]])
    mu, s2 = inference.predictive_variance(res, new)
    Xt = np.column_stack([new, np.ones(3)])
    np.testing.assert_allclose(s2, [x @ res.covariance() @ x for x in Xt], rtol=1e-12)
    np.testing.assert_allclose(mu, res.decision_function(new), rtol=1e-14)
    # Sampling theta from N(theta_hat, H^-1) gives the same activation variance.
    theta = np.random.default_rng(0).multivariate_normal(np.append(res.weights, res.bias), res.covariance(), 100_000)
    np.testing.assert_allclose((Xt @ theta.T).var(axis=1), s2, rtol=0.02)


def test_monte_carlo_is_seeded(blobs):
    res = logreg.fit(*blobs, l2=0.1)
    x = [[0.5, 0.2]]
    a = res.predictive_proba(x, method="monte-carlo", seed=5)
    assert a == res.predictive_proba(x, method="monte-carlo", seed=5)
    assert a != res.predictive_proba(x, method="monte-carlo", seed=6)


def test_predictive_bad_arguments(blobs):
    res = logreg.fit(*blobs, l2=0.1)
    with pytest.raises(ValueError, match="unknown method"):
        res.predictive_proba([[0.0, 0.0]], method="exact")
    with pytest.raises(ValueError, match="n_draws"):
        res.predictive_proba([[0.0, 0.0]], method="monte-carlo", n_draws=0)
    with pytest.raises(ValueError, match="X_new has 3 features"):
        res.predictive_proba([[0.0, 0.0, 0.0]])
