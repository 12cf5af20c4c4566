"""The fast passes of `logreg._passes` compute what `logreg.model` states, on any number of cores."""

from __future__ import annotations

from decimal import Decimal, getcontext

import numpy as np
import pytest
from scipy.special import expit, log_expit

from logreg import _passes as P

EPS = np.finfo(float).eps


def _exact_loss_and_residual(z: float) -> tuple[float, float]:
    """-log sigma(z) and the residual sigma(-z) for label 1, to 400 digits."""
    getcontext().prec = 400
    D = Decimal(float(z))
    return float((1 + (-D).exp()).ln()), float(-1 / (1 + D.exp()))


def test_loss_and_residual_within_an_ulp_or_two_everywhere():
    rng = np.random.default_rng(0)
    z = np.concatenate(
        [
            -np.logspace(-20, 4, 120),
            [0.0, 1e-300, -1e-300],
            np.logspace(-20, np.log10(700), 120),
            rng.uniform(-40, 40, 120),
            [-699.9, -700.0, -700.1, -745.0, -1e4],
        ]
    )
    residual = np.empty(z.size)
    for k, zk in enumerate(z):
        loss = P.loss_and_residual(np.array([zk]), -np.ones(1), residual[k : k + 1])  # label 1
        exact_loss, exact_residual = _exact_loss_and_residual(zk)
        assert abs(loss - exact_loss) <= 2 * EPS * abs(exact_loss), zk
        assert abs(residual[k] - exact_residual) <= 2 * EPS * abs(exact_residual), zk


def test_loss_and_residual_for_label_zero_is_the_mirror_image():
    a = np.array([-800.0, -3.0, 0.0, 2.5, 800.0])
    r1, r0 = np.empty(5), np.empty(5)
    loss1 = P.loss_and_residual(a, -np.ones(5), r1)  # label 1
    loss0 = P.loss_and_residual(-a, np.ones(5), r0)  # label 0
    assert loss1 == loss0
    np.testing.assert_array_equal(r0, -r1)


def _data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(float)
    X = rng.standard_normal((n, d)) + 0.3 * (2 * y[:, None] - 1)
    return X, y, 2 * y - 1


# The second shape is large enough for several blocks on the thread pool.
SHAPES = [(50, 3), (70_000, 20)]


@pytest.mark.parametrize("n,d", SHAPES)
@pytest.mark.parametrize("with_base", [False, True])
def test_step_pass_matches_the_direct_formulas(n, d, with_base):
    X, y, signs = _data(n, d)
    rng = np.random.default_rng(1)
    v, c = 0.3 * rng.standard_normal(d), -0.2
    base = rng.standard_normal(n) if with_base else None
    done = P.step_pass(X, -signs, v, c, base)
    direction = X @ v + c
    a = direction + (base if with_base else 0.0)
    residual = expit(a) - y
    np.testing.assert_allclose(done.direction, direction, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(done.a, a, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(done.residual, residual, rtol=1e-12, atol=1e-15)
    assert done.nll == pytest.approx(-np.sum(log_expit(signs * a)), rel=1e-13)
    np.testing.assert_allclose(done.xtr, X.T @ residual, rtol=1e-10, atol=1e-9)
    assert done.sum_r == pytest.approx(residual.sum(), rel=1e-10, abs=1e-9)
    xtr, sum_r = P.gradient_terms(X, done.residual)
    np.testing.assert_array_equal(xtr, done.xtr)
    assert sum_r == done.sum_r


@pytest.mark.parametrize("n,d", SHAPES)
def test_first_pass_is_the_gradient_product_and_the_finiteness_check(n, d):
    X, y, _ = _data(n, d)
    residual = np.where(y == 1.0, -0.6, 0.4)
    xtr, finite = P.first_pass(X, residual)
    assert finite
    np.testing.assert_allclose(xtr, X.T @ residual, rtol=1e-12, atol=1e-10)
    for bad in (np.nan, np.inf, -np.inf):
        Xbad = X.copy()
        Xbad[n // 2, d - 1] = bad
        assert not P.first_pass(Xbad, residual)[1]
    # +inf and -inf in different blocks: still reported, and without a warning.
    Xbad = X.copy()
    Xbad[0, 0], Xbad[-1, 0] = np.inf, -np.inf
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not P.first_pass(Xbad, residual)[1]


@pytest.mark.parametrize("n,d", SHAPES)
def test_hessian_terms_match_the_explicit_product(n, d):
    X, _, _ = _data(n, d)
    s = np.random.default_rng(2).random(n) * 0.25
    Xt = np.hstack([X, np.ones((n, 1))])
    np.testing.assert_allclose(P.hessian_terms(X, s), Xt.T @ (s[:, None] * Xt), rtol=1e-10, atol=1e-8)


def test_results_do_not_depend_on_the_number_of_cores(monkeypatch):
    """Fixed blocks, partial sums added in block order: bit-for-bit the same on 1 or 8 cores."""
    X, _, signs = _data(150_000, 10)
    v = np.linspace(-0.2, 0.2, 10)
    runs = {}
    for cores in (1, 2, 8):
        with P.using_threads(cores):
            done = P.step_pass(X, -signs, v, 0.1, None)
            nll, residual = P.nll_and_residual(done.a, -signs)
            runs[cores] = (
                done.nll,
                done.xtr.tobytes(),
                done.sum_r,
                nll,
                residual.tobytes(),
                P.hessian_terms(X, np.abs(residual)).tobytes(),
            )
    assert runs[1] == runs[2] == runs[8]
    assert len(P.map_blocks(lambda b: b, 10, 3)) == 4


def test_nll_and_residual_on_many_blocks_equals_one_block():
    rng = np.random.default_rng(3)
    a, signs = 5 * rng.standard_normal(300_000), np.where(rng.random(300_000) < 0.5, -1.0, 1.0)
    nll, residual = P.nll_and_residual(a, -signs)
    single = np.empty_like(a)
    assert nll == pytest.approx(P.loss_and_residual(a, -signs, single), rel=1e-13)
    np.testing.assert_array_equal(residual, single)


def test_a_forked_child_can_fit_after_the_parent_did():
    """The pool's threads do not survive fork(); a child that inherited the parent's pool object
    hung on its first large fit. The child now starts its own pool."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    import logreg

    X, y, _ = _data(120_000, 10)
    parent = logreg.fit(X, y, l2=1.0)  # creates the pool in this process
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        child = pool.apply_async(_fit_objective, (X, y)).get(timeout=60)
    assert child == pytest.approx(parent.objective, rel=1e-12)


def _fit_objective(X, y):
    import logreg

    return logreg.fit(X, y, l2=1.0).objective


def blas_threads() -> list[int]:
    """The thread count of every BLAS library loaded in this process."""
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_fit_leaves_the_blas_thread_count_as_it_found_it(monkeypatch):
    """`fit` does not change BLAS's thread count while it solves (it used to hold it to one
    thread for the whole fit, process-wide), and leaves it as it was, also when it raises."""
    import logreg
    from logreg import fitting

    before = blas_threads()
    X, y, _ = _data(2_000, 5)
    logreg.fit(X, y, l2=1.0)
    assert blas_threads() == before
    seen = []

    def interrupted(problem, tol, max_iter):
        seen.append(blas_threads())
        raise KeyboardInterrupt

    monkeypatch.setattr(fitting, "_lbfgs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        logreg.fit(X, y, l2=1.0, method="lbfgs")
    assert seen == [before]
    assert blas_threads() == before


def test_column_stats_match_numpy_and_keep_constant_columns_exact():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((200_000, 6)) * [1e-3, 1.0, 1e3, 1.0, 1.0, 1.0] + [0.0, 5.0, -7.0, 1e6, 0.0, 0.0]
    X[:, 4] = 0.1  # constant: the mean of 0.1s is not 0.1 in floating point, its scale must be 0
    X[:, 5] = 123.456
    mean, std = P.column_stats(X)  # many blocks on the pool
    np.testing.assert_allclose(mean[:4], X[:, :4].mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(std[:4], X[:, :4].std(axis=0), rtol=1e-10)
    assert mean[4] == 0.1 and mean[5] == 123.456
    assert std[4] == 0.0 and std[5] == 0.0
    # A strided view (the solvers' subsample) needs no copy of its own.
    _mean_s, std_s = P.column_stats(X[::16])
    np.testing.assert_allclose(std_s[:4], X[::16, :4].std(axis=0), rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_strided_variation_comes_with_the_column_stats_of_one_read(weighted, dtype):
    """The first read of X also says which columns vary on every k-th row (their positive-weight
    rows), exactly as a second `column_stats` of those rows would (a scale above 0), and the
    statistics themselves are bit-identical to `column_stats` / `weighted_column_stats`."""
    rng = np.random.default_rng(11)
    n, d, k = 150_000, 12, 4  # several blocks, on the pool
    X = rng.standard_normal((n, d)).astype(dtype)
    X[:, 0] = 0.0
    X[[5, 77_001], 0] = [1.5, -2.0]  # rows off the stride: varies, but not on every 4th row
    X[:, 1] = 0.0
    X[[8, 100_003], 1] = 3.0  # row 8 is on the stride
    X[:, 2] = 7.0  # constant everywhere
    X[:, 3] = 0.0
    X[1::k, 3] = 1.0  # varies, never on the stride
    weights = None
    if weighted:
        weights = rng.integers(0, 3, size=n).astype(np.float64)
        weights[8] = 0.0  # column 1's stride row does not count ...
        weights[[4, 12]] = [2.0, 1.0]
        X[12, 4] = 99.0  # ... and column 4 differs on a counted stride row only ...
        X[16, 5] = 99.0
        weights[16] = 0.0  # ... column 5 on an uncounted one
        X[:, 5][X[:, 5] != 99.0] = 0.25
    mean, std, varies = P.column_stats_and_strided_variation(X, weights, stride=k)
    ref = P.column_stats(X) if weights is None else P.weighted_column_stats(X, weights)
    assert np.array_equal(mean, ref[0]) and np.array_equal(std, ref[1])
    strided_std = P.column_stats(X[::k])[1] if weights is None else P.weighted_column_stats(X[::k], weights[::k])[1]
    np.testing.assert_array_equal(varies, strided_std > 0)
    assert not varies[0] and not varies[2] and not varies[3]
    assert varies[1] == (not weighted)
    if weighted:
        assert varies[4] and not varies[5]
    assert varies[6:].all()


def test_concurrent_fits_leave_the_blas_thread_count_as_they_found_it():
    """Two threads fitting at once: each holds BLAS to one thread while it solves. With a limit
    per call, the one that finished last restored the other's limit, 1, and left NumPy's BLAS
    single-threaded for the rest of the process. The limit is now shared and counted."""
    import threading

    import logreg

    before = blas_threads()
    X, y, _ = _data(120_000, 40)
    errors = []

    def fit_a_few():
        try:
            for _ in range(3):
                logreg.fit(X, y, l2=1.0)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fit_a_few) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert blas_threads() == before
