"""The plotting functions of the evaluation chapter: they draw what they are given, and refuse
input that is not an ROC curve or a reliability diagram."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_auc_score, roc_curve

from logreg.plotting import plot_reliability, plot_roc


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _scores(seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300).astype(float)
    p = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1.5, 300))))
    return y, p


def test_plot_roc_draws_sklearns_curve_and_the_diagonal(ax):
    y, p = _scores()
    fpr, tpr, _ = roc_curve(y, p)
    auc = roc_auc_score(y, p)
    drawn = plot_roc(ax, fpr, tpr, auc=auc, label="m")
    np.testing.assert_array_equal(drawn["curve"].get_xdata(), fpr)
    np.testing.assert_array_equal(drawn["curve"].get_ydata(), tpr)
    assert drawn["curve"].get_label() == f"m (AUC = {auc:.3f})"
    assert list(drawn["chance"].get_xdata()) == [0, 1] == list(drawn["chance"].get_ydata())
    # The area under what was drawn is the AUC that was passed.
    assert np.isclose(np.trapezoid(drawn["curve"].get_ydata(), drawn["curve"].get_xdata()), auc)


@pytest.mark.parametrize(
    ("fpr", "tpr", "message"),
    [
        ([0.0, 0.5, 0.4, 1.0], [0.0, 0.5, 0.6, 1.0], "non-decreasing"),
        ([0.0, 1.0], [0.0, 0.5, 1.0], "one shape"),
        ([0.0], [0.0], "at least 2"),
    ],
)
def test_plot_roc_rejects_what_is_not_a_curve(ax, fpr, tpr, message):
    with pytest.raises(ValueError, match=message):
        plot_roc(ax, fpr, tpr)


def test_plot_reliability_draws_the_bins(ax):
    y, p = _scores(1)
    frac, mean = calibration_curve(y, p, n_bins=5)
    drawn = plot_reliability(ax, mean, frac, label="m")
    np.testing.assert_array_equal(drawn["curve"].get_xdata(), mean)
    np.testing.assert_array_equal(drawn["curve"].get_ydata(), frac)
    assert drawn["diagonal"].get_label() == "calibrated"


@pytest.mark.parametrize(
    ("mean", "frac", "message"),
    [
        ([0.2, 1.2], [0.1, 0.9], r"\[0, 1\]"),
        ([0.2, 0.8], [0.1], "one non-empty shape"),
        ([], [], "one non-empty shape"),
    ],
)
def test_plot_reliability_rejects_what_is_not_probabilities(ax, mean, frac, message):
    with pytest.raises(ValueError, match=message):
        plot_reliability(ax, mean, frac)
