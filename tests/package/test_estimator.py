"""`logreg.LogisticRegression`: scikit-learn's own estimator checks, its tools, and the same
answer as scikit-learn's LogisticRegression on the same objective."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import logreg
from logreg import LogisticRegression

#: The checks of `check_estimator` that cannot apply to this estimator, each with its reason.
#: README.md lists the same ones (tested below).
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@parametrize_with_checks([LogisticRegression()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_the_readme_lists_the_expected_failures():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using it with scikit-learn", 1)[1].split("\n## ", 1)[0]
    for name in EXPECTED_FAILED_CHECKS:
        assert f"`{name}`" in section, f"README's scikit-learn section does not list {name}"


def test_import_logreg_does_not_import_scikit_learn():
    code = (
        "import sys, logreg; assert 'sklearn' not in sys.modules; "
        "logreg.LogisticRegression; assert 'sklearn' in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("method", logreg.METHODS)
@pytest.mark.parametrize("l2", [0.5, 5.0])
def test_same_answer_as_scikit_learn_on_the_same_objective(method, l2):
    """scikit-learn's C = 1 / (2 l2) is the same objective: the same optimum, to solver accuracy."""
    X, y = _breast_cancer()
    ours = LogisticRegression(l2=l2, method=method, max_iter=1000).fit(X, y)
    theirs = SkLogisticRegression(C=1 / (2 * l2), tol=1e-12, max_iter=10_000, solver="newton-cholesky").fit(X, y)
    ours_E = logreg.objective(ours.coef_[0], ours.intercept_[0], X, y, l2=l2)
    theirs_E = logreg.objective(theirs.coef_[0], theirs.intercept_[0], X, y, l2=l2)
    assert ours_E == pytest.approx(ours.result_.objective, rel=1e-12)
    assert ours_E <= theirs_E * (1 + 1e-9)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)


@pytest.mark.parametrize("labels", [("benign", "malignant"), (-1, 1), (1, 2), (False, True)])
def test_any_two_labels_in_scikit_learns_order(labels):
    X, y01 = _breast_cancer()
    y = np.asarray(labels, dtype=object if isinstance(labels[0], str) else None)[y01]
    model = LogisticRegression().fit(X, y)
    reference = LogisticRegression().fit(X, y01)
    assert model.classes_.tolist() == sorted(labels)
    np.testing.assert_array_equal(
        model.predict(X), np.asarray(sorted(labels), dtype=model.classes_.dtype)[reference.predict(X)]
    )
    np.testing.assert_allclose(model.coef_, reference.coef_)
    proba = model.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-9, atol=1e-12)
    assert model.decision_function(X).shape == (X.shape[0],)


def test_attributes_and_the_fit_result():
    X, y = _breast_cancer()
    model = LogisticRegression(l2=2.0).fit(X, y)
    assert model.coef_.shape == (1, X.shape[1]) and model.intercept_.shape == (1,)
    assert model.n_features_in_ == X.shape[1] and model.n_iter_.shape == (1,)
    assert isinstance(model.result_, logreg.FitResult) and model.result_.converged
    direct = logreg.fit(X, y.astype(float), l2=2.0)
    np.testing.assert_array_equal(model.coef_[0], direct.weights)
    assert model.result_.objective == direct.objective
    assert not hasattr(model, "feature_names_in_")


def test_more_than_two_classes_is_an_error_that_says_so():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=r"Only binary classification is supported.*multiclass"):
        LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="unknown method 'sag'"):
        LogisticRegression(method="sag").fit(X[y < 2], y[y < 2])
    with pytest.raises(NotFittedError):
        LogisticRegression().predict_proba(X)


def test_pipeline_cross_validation_grid_search_clone_and_pickle():
    X, y = load_wine(return_X_y=True)
    X, y = X[y < 2], y[y < 2]  # two of the three cultivars
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    scores = cross_val_score(pipe, X, y, cv=5)
    assert scores.shape == (5,) and scores.mean() > 0.9
    search = GridSearchCV(pipe, {"logisticregression__l2": [0.05, 0.5, 5.0]}, cv=3).fit(X, y)
    assert search.best_params_["logisticregression__l2"] in (0.05, 0.5, 5.0)
    fresh = clone(search.best_estimator_)
    assert fresh.get_params()["logisticregression__l2"] == search.best_params_["logisticregression__l2"]
    assert not hasattr(fresh[-1], "coef_")
    fitted = pipe.fit(X, y)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    assert again[-1].result_.objective == fitted[-1].result_.objective


def test_dataframe_feature_names_are_kept_and_checked():
    data = load_breast_cancer(as_frame=True)
    X = pd.DataFrame(StandardScaler().fit_transform(data.data), columns=data.data.columns)
    model = LogisticRegression().fit(X, data.target)
    assert model.feature_names_in_.tolist() == X.columns.tolist()
    with pytest.warns(UserWarning, match="does not have valid feature names"):  # scikit-learn's own
        np.testing.assert_array_equal(model.predict(X), model.predict(X.to_numpy()))
    reordered = X[X.columns[::-1]]
    with pytest.raises(ValueError, match="same order"):
        model.predict(reordered)
    renamed = X.rename(columns={"mean radius": "radius"})
    with pytest.raises(ValueError, match="radius"):
        model.predict_proba(renamed)
