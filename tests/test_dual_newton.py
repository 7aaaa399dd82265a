"""The Lasso and the elastic net on wide data through a dual (``_dual_newton``): the fits it
starts are judged by the independent certificates, by the optimality conditions written out
in ``_certificates`` and by scikit-learn; a spy checks which fits it served."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.linear_model import ElasticNet, Lasso

import sparsefit._cd as cd
from sparsefit import ElasticNetCD, LassoCD

from ._certificates import assert_enet_certified, factor_kkt, factor_objective


def wide_problem(seed, n=40, p=300, duplicate=False):
    """Correlated wide data with a sparse signal (and an offset, so the intercept matters)."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, p))
    X = Z + 0.6 * np.roll(Z, 1, axis=1) + 3.0
    if duplicate:
        X[:, 1] = X[:, 0]
        X[:, 2] = 0.0  # a constant column: zero once centred
    w = np.zeros(p)
    w[rng.choice(p, 8, replace=False)] = rng.normal(scale=2.0, size=8)
    return X, X @ w + rng.normal(size=n) + 5.0


def alpha_at(X, y, l1_ratio, divisor):
    Xc, yc = X - X.mean(0), y - y.mean()
    return np.abs(Xc.T @ yc).max() / X.shape[0] / l1_ratio / divisor


@pytest.fixture
def spy(monkeypatch):
    """Records the outcome of every dual Newton run: the point, or None."""
    runs = []
    original = cd.dual_newton_fit

    def record(*args, **kwargs):
        out = original(*args, **kwargs)
        runs.append(out[0])
        return out

    monkeypatch.setattr(cd, "dual_newton_fit", record)
    return runs


def fit_pair(X, y, alpha, l1_ratio, **kwargs):
    """Ours at tol 1e-10 (warnings as errors) and scikit-learn's at tol 1e-14."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if l1_ratio == 1.0:
            est = LassoCD(alpha=alpha, tol=1e-10, **kwargs).fit(X, y)
        else:
            est = ElasticNetCD(alpha=alpha, l1_ratio=l1_ratio, tol=1e-10, **kwargs).fit(X, y)
    ref = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=1_000_000)
    if l1_ratio == 1.0:
        ref = Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000)
    return est, ref.fit(X, y)


def assert_served_and_no_worse(spy, est, ref, X, y, alpha, l1_ratio):
    """One run, whose point is the answer (coordinate descent had nothing left to do),
    certified, its objective never above scikit-learn's (``ref``)."""
    assert len(spy) == 1 and spy[0] is not None
    assert_allclose(est.coef_, spy[0], rtol=0, atol=0)
    assert_enet_certified(est, X, y)
    problem = dict(alpha=alpha, l1_ratio=l1_ratio)
    ours = factor_objective(X, y, est.coef_, est.intercept_, **problem)
    assert ours <= factor_objective(X, y, ref.coef_, ref.intercept_, **problem) * (1 + 1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("l1_ratio", [0.1, 0.5, 0.8, 0.95, 1.0])
@pytest.mark.parametrize("divisor", [3, 30, 300])
def test_matches_sklearn_and_is_certified(spy, seed, l1_ratio, divisor):
    """The smooth dual (l1_ratio up to 0.8) and the proximal rounds (above, the Lasso)."""
    X, y = wide_problem(seed)
    alpha = alpha_at(X, y, l1_ratio, divisor)
    est, ref = fit_pair(X, y, alpha, l1_ratio)
    assert_served_and_no_worse(spy, est, ref, X, y, alpha, l1_ratio)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-7 * np.abs(ref.coef_).max())


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_weights_factors_and_degenerate_columns(spy, seed, l1_ratio):
    """Sample weights, positive and infinite penalty factors, a duplicated and a constant
    column: the certificate and the optimality conditions, written out, hold."""
    X, y = wide_problem(seed, duplicate=True)
    rng = np.random.default_rng(seed)
    sw = rng.uniform(0.2, 3.0, size=X.shape[0])
    pf = rng.uniform(0.5, 2.0, size=X.shape[1])
    pf[5] = np.inf  # excluded
    alpha = alpha_at(X, y, l1_ratio, 20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = ElasticNetCD(alpha=alpha, l1_ratio=l1_ratio, tol=1e-10, penalty_factor=pf)
        est.fit(X, y, sample_weight=sw)
    assert len(spy) == 1 and spy[0] is not None
    assert est.coef_[5] == 0.0 and est.coef_[2] == 0.0
    problem = dict(alpha=alpha, l1_ratio=l1_ratio, penalty_factor=pf, sample_weight=sw)
    viol, checked, _ = factor_kkt(X, y, est.coef_, **problem)
    scale = np.abs(X - X.mean(0)).max() * np.abs(y - y.mean()).max()
    assert viol.max() <= 1e-7 * scale


def test_sparse_input_gives_the_same_fit(spy):
    X, y = wide_problem(0)
    alpha = alpha_at(X, y, 0.5, 30)
    dense = ElasticNetCD(alpha=alpha, l1_ratio=0.5, tol=1e-10).fit(X, y)
    sparse = ElasticNetCD(alpha=alpha, l1_ratio=0.5, tol=1e-10).fit(sp.csc_matrix(X), y)
    assert spy[0] is not None and len(spy) == 1  # (sparse data: coordinate descent only)
    assert_enet_certified(sparse, X, y)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "case",
    ["lasso_zero_factor", "positive", "bounds", "zero_factor", "tall", "warm_start"],
)
def test_not_applied_outside_its_conditions(spy, case):
    """Where a feature has no penalty, there are bounds, or the data are not wide, coordinate
    descent alone serves the fit, still certified."""
    X, y = wide_problem(1)
    kwargs = dict(l1_ratio=0.5, tol=1e-10)
    if case == "tall":
        X, y = X[:, :20], y
    if case == "positive":
        kwargs["positive"] = True
    if case == "bounds":
        kwargs["bounds"] = (-1.0, 1.0)
    if case in ("zero_factor", "lasso_zero_factor"):
        kwargs["penalty_factor"] = np.r_[0.0, np.ones(X.shape[1] - 1)]
    alpha = alpha_at(X, y, kwargs["l1_ratio"], 30)
    if case == "lasso_zero_factor":
        est = LassoCD(alpha=alpha, tol=1e-10, penalty_factor=kwargs["penalty_factor"]).fit(X, y)
    else:
        est = ElasticNetCD(alpha=alpha, **kwargs)
        if case == "warm_start":
            est.set_params(warm_start=True).fit(X, y)
            spy.clear()
            est.set_params(alpha=0.8 * alpha)
        est.fit(X, y)
    assert spy == []
    if case not in ("bounds", "zero_factor", "lasso_zero_factor"):
        assert_enet_certified(est, X, y)


@pytest.mark.parametrize("offset", [-239, -235, 0, 1, 20])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_iterations_count_against_max_iter(spy, offset, l1_ratio):
    """Its iterations count as outer ones; it runs only with a budget of more than twice
    its own (``DUAL_NEWTON_MAX_ITER``), so that coordinate descent keeps half."""
    threshold = 2 * cd.tuning.DUAL_NEWTON_MAX_ITER
    max_iter = threshold + offset
    X, y = wide_problem(2)
    alpha = alpha_at(X, y, l1_ratio, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a small budget may end without convergence)
        est = ElasticNetCD(alpha=alpha, l1_ratio=l1_ratio, max_iter=max_iter).fit(X, y)
    assert 1 <= est.n_iter_ <= max_iter
    assert len(spy) == (1 if max_iter > threshold else 0)


def test_warm_start_rounds_add_up():
    """scikit-learn's warm-start contract (its ``test_warm_start``): two fits of a small
    budget from a warm start end where one fit of twice the budget does."""
    X, y = wide_problem(3, n=50, p=200)
    half = ElasticNetCD(alpha=0.1, max_iter=5, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        half.fit(X, y).fit(X, y)
        whole = ElasticNetCD(alpha=0.1, max_iter=10).fit(X, y)
    assert_allclose(half.coef_, whole.coef_, rtol=0, atol=1e-6)


def test_unsettled_run_hands_the_fit_to_coordinate_descent(spy, monkeypatch):
    """A run stopped before its support settles returns no point: coordinate descent fits
    from zero and certifies."""
    monkeypatch.setattr(cd.tuning, "DUAL_NEWTON_MAX_ITER", 1)
    X, y = wide_problem(0)
    alpha = alpha_at(X, y, 0.5, 30)
    est = ElasticNetCD(alpha=alpha, l1_ratio=0.5, tol=1e-10).fit(X, y)
    assert spy == [None]
    assert_enet_certified(est, X, y)


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
@pytest.mark.parametrize("divisor", [5, 50])
def test_working_set_grows_to_the_violators(spy, monkeypatch, l1_ratio, divisor):
    """With a working set of one feature per sample to start (``n p`` above the threshold),
    the rounds add the features whose optimality conditions fail until none does."""
    monkeypatch.setattr(cd.tuning, "DUAL_NEWTON_FULL_ENTRIES", 0)
    monkeypatch.setattr(cd.tuning, "DUAL_NEWTON_ROUNDS_FULL", 0)  # (the Lasso's rounds)
    monkeypatch.setattr(cd.tuning, "DUAL_NEWTON_WS_PER_SAMPLE", 1)
    X, y = wide_problem(4)
    alpha = alpha_at(X, y, l1_ratio, divisor)
    est, ref = fit_pair(X, y, alpha, l1_ratio)
    assert_served_and_no_worse(spy, est, ref, X, y, alpha, l1_ratio)


def test_proximal_rounds_only_on_few_samples(spy):
    """Above ``DUAL_NEWTON_ROUNDS_MAX_SAMPLES`` samples the Lasso is coordinate descent's
    (the rounds' systems grow with the support, near ``n``), the elastic net's smooth dual
    still served; both certified."""
    n = cd.tuning.DUAL_NEWTON_ROUNDS_MAX_SAMPLES + 10
    X, y = wide_problem(5, n=n, p=2 * n)
    lasso = LassoCD(alpha=alpha_at(X, y, 1.0, 30), tol=1e-10).fit(X, y)
    assert spy == []
    assert_enet_certified(lasso, X, y)
    enet = ElasticNetCD(alpha=alpha_at(X, y, 0.5, 30), l1_ratio=0.5, tol=1e-10).fit(X, y)
    assert len(spy) == 1 and spy[0] is not None
    assert_enet_certified(enet, X, y)


@pytest.mark.parametrize("seed", range(4))
def test_lasso_rounds_end_on_the_exact_solution(spy, seed):
    """At a loose tolerance the rounds stop as soon as it is met, and the support's exact
    solution replaces their point: the answer matches coordinate descent's on the same data
    given as a sparse matrix (whose exact finish ends on it too) and scikit-learn's at tol
    1e-14, far below the tolerance (scikit-learn's ``test_sparse_dense_equality``)."""
    X, y = wide_problem(seed, n=12, p=40)
    alpha = alpha_at(X, y, 1.0, 20)
    dense = LassoCD(alpha=alpha, tol=1e-6).fit(X, y)
    assert len(spy) == 1 and spy[0] is not None
    sparse = LassoCD(alpha=alpha, tol=1e-6).fit(sp.csc_matrix(X), y)
    ref = Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X, y)
    scale = np.abs(ref.coef_).max()
    assert_allclose(dense.coef_, ref.coef_, rtol=1e-7, atol=1e-9 * scale)
    assert_allclose(dense.coef_, sparse.coef_, rtol=1e-7, atol=1e-9 * scale)
    assert_enet_certified(dense, X, y)
