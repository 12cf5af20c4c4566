"""The two data generators: shapes, class sizes, shuffling, reproducibility, geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import logreg

pytestmark = pytest.mark.filterwarnings("error")

GENERATORS = [logreg.make_blobs, logreg.make_separable]
gen_param = pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)


def n_runs(labels: np.ndarray) -> int:
    """Number of maximal blocks of equal consecutive labels."""
    return 1 + int(np.count_nonzero(labels[1:] != labels[:-1]))


@gen_param
@given(n=st.integers(min_value=2, max_value=301), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_shapes_dtypes_and_class_sizes(make, n, seed):
    X, y = make(n, seed=seed)
    assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    assert X.shape == (n, 2)
    assert y.shape == (n,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert np.all(np.isfinite(X))
    assert set(np.unique(y).tolist()) <= {0.0, 1.0}
    # Class 1 gets the extra point when n is odd; both classes always appear.
    assert int(np.count_nonzero(y == 1.0)) == math.ceil(n / 2)
    assert int(np.count_nonzero(y == 0.0)) == n // 2


@gen_param
@pytest.mark.parametrize("n", [2, 3, 4, 5, 7])
def test_small_n_has_both_classes(make, n):
    _, y = make(n, seed=3)
    assert np.count_nonzero(y == 1.0) == (n + 1) // 2
    assert np.count_nonzero(y == 0.0) == n // 2


@gen_param
@pytest.mark.parametrize("seed", [0, 1, 2, 12345])
def test_rows_are_shuffled(make, seed):
    _, y = make(100, seed=seed)
    # Not two blocks (ones then zeros, or the reverse) ...
    assert n_runs(y) > 2
    # ... and about as many runs as a random arrangement of 50 ones and 50 zeros has:
    # mean 1 + 2*50*50/100 = 51, standard deviation about 5. Require more than 4 sd below it.
    assert n_runs(y) >= 30
    # The first half should not be made of one class (it is for an unshuffled layout).
    assert 10 <= y[:50].sum() <= 40


@gen_param
@pytest.mark.parametrize("n", [2, 7, 100])
def test_same_seed_same_arrays(make, n):
    X1, y1 = make(n, seed=42)
    X2, y2 = make(n, seed=42)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    # Fresh arrays each time: writing into one result must not change the next.
    X1[:] = 0.0
    X3, _ = make(n, seed=42)
    np.testing.assert_array_equal(X3, X2)


@gen_param
def test_different_seeds_differ(make):
    X1, y1 = make(50, seed=0)
    X2, y2 = make(50, seed=1)
    assert not np.array_equal(X1, X2)
    assert not np.array_equal(y1, y2)  # permutations of 50 labels coincide with tiny probability


@gen_param
def test_seed_is_keyword_only(make):
    with pytest.raises(TypeError):
        make(10, 1)


@gen_param
def test_global_random_state_untouched(make):
    np.random.seed(2024)
    before = np.random.get_state()
    make(50, seed=5)
    after = np.random.get_state()
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]
    # And the global state does not influence the result.
    np.random.seed(1)
    Xa, ya = make(20, seed=5)
    np.random.seed(2)
    Xb, yb = make(20, seed=5)
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(ya, yb)


def test_blob_class_means():
    n = 20_000
    X, y = logreg.make_blobs(n, seed=7)
    # Each class has n/2 draws from N(centre, I): each coordinate of its sample mean has standard
    # deviation 1/sqrt(n/2). Allow 5 standard deviations.
    tol = 5.0 / math.sqrt(n / 2)
    np.testing.assert_allclose(X[y == 1.0].mean(axis=0), [-1.0, -1.0], atol=tol)
    np.testing.assert_allclose(X[y == 0.0].mean(axis=0), [1.0, 1.0], atol=tol)
    # Identity covariance: per-coordinate variance 1 (sd of the sample variance ~ sqrt(2/(n/2))).
    var_tol = 5.0 * math.sqrt(2.0 / (n / 2))
    for label in (0.0, 1.0):
        cov = np.cov(X[y == label].T)
        np.testing.assert_allclose(np.diag(cov), [1.0, 1.0], atol=var_tol)
        assert abs(cov[0, 1]) < var_tol


def test_blobs_overlap():
    # Two unit Gaussians 2*sqrt(2) apart overlap: a large sample is not linearly separable.
    X, y = logreg.make_blobs(200, seed=0)
    assert not logreg.is_separable(X, y)


@given(n=st.integers(min_value=2, max_value=300), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_separable_squares(n, seed):
    X, y = logreg.make_separable(n, seed=seed)
    ones, zeros = X[y == 1.0], X[y == 0.0]
    assert np.all((ones >= -4.0) & (ones <= 0.0))
    assert np.all((zeros >= 0.0) & (zeros <= 4.0))


def test_separable_fills_the_squares():
    # Uniform on the squares, not a degenerate corner: means near the centres, spread near 4/sqrt(12).
    n = 20_000
    X, y = logreg.make_separable(n, seed=11)
    sd = 4.0 / math.sqrt(12.0)
    tol = 5.0 * sd / math.sqrt(n / 2)
    np.testing.assert_allclose(X[y == 1.0].mean(axis=0), [-2.0, -2.0], atol=tol)
    np.testing.assert_allclose(X[y == 0.0].mean(axis=0), [2.0, 2.0], atol=tol)
    np.testing.assert_allclose(X[y == 1.0].std(axis=0), [sd, sd], rtol=0.05)


@gen_param
@pytest.mark.parametrize("n", [2.0, 10.5, "10", None, [10], np.float64(10.0), True])
def test_bad_n_type(make, n):
    with pytest.raises(TypeError, match="n"):
        make(n, seed=0)


@gen_param
@pytest.mark.parametrize("n", [1, 0, -5])
def test_bad_n_value(make, n):
    with pytest.raises(ValueError, match="n"):
        make(n, seed=0)


@gen_param
@pytest.mark.parametrize("seed", [1.5, "0", None, [1, 2]])
def test_bad_seed_type(make, seed):
    with pytest.raises(TypeError, match="seed"):
        make(10, seed=seed)


@gen_param
def test_bad_seed_value(make):
    with pytest.raises((TypeError, ValueError)):
        make(10, seed=-1)


@gen_param
def test_numpy_integers_accepted(make):
    X1, y1 = make(np.int64(9), seed=np.int32(4))
    X2, y2 = make(9, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
