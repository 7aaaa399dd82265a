"""Per-feature penalty factors and coefficient bounds (glmnet's ``penalty.factor``,
``exclude``, ``lower.limits``, ``upper.limits``), in every estimator, path and CV.

Judged by the independent oracles of ``_certificates.py``: the optimality conditions
written out, and a generic bound-constrained solver (SciPy's L-BFGS-B on the split-variable
form); and by equivalences with closed forms or with scikit-learn on transformed data.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.linear_model import Lasso, LinearRegression

from sparsefit import (
    ElasticNetCD,
    ElasticNetCDCV,
    LassoCD,
    LassoCDCV,
    RidgeGD,
    RidgeGDCV,
    enet_path,
    lasso_path,
)

from ._certificates import (
    assert_ridge_certified,
    center,
    factor_kkt,
    factor_objective,
    lbfgsb_reference,
)


def _data(seed=0, n=50, p=12, n_targets=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + rng.normal(size=p)
    coef = rng.normal(size=(p,) if n_targets is None else (p, n_targets))
    coef[rng.uniform(size=p) < 0.4] = 0.0
    y = X @ coef
    y = y + 0.5 * rng.normal(size=y.shape)
    return X, y


MIXED_FACTORS = np.array([0.0, 1.0, 2.0, np.inf, 0.5, 1.0, 3.0, 0.0, 1.0, np.inf, 1.0, 0.2])
MIXED_BOUNDS = (
    np.array([-np.inf, -0.5, 0.0, -1.0, -np.inf, 0.0, -2.0, -0.1, -np.inf, 0.0, -0.3, 0.0]),
    np.array([np.inf, 0.5, np.inf, 1.0, 0.2, 0.0, np.inf, np.inf, 0.0, 1.0, 0.3, 0.5]),
)


def _as(X, fmt):
    return X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)


def _check_optimal(est, X, y, sw, alpha, l1_ratio, pf, bounds):
    """The returned solution of every target meets the written-out optimality conditions
    (zero and at-bound coordinates, within the radius its certified suboptimality allows)
    and is no worse than L-BFGS-B's."""
    Y = np.asarray(y).reshape(X.shape[0], -1)
    coefs = np.atleast_2d(est.coef_)
    intercepts = np.broadcast_to(np.asarray(est.intercept_, dtype=float), (Y.shape[1],))
    gaps = np.broadcast_to(np.asarray(est.dual_gap_, dtype=float), (Y.shape[1],))
    n = X.shape[0]
    kw = dict(alpha=alpha, l1_ratio=l1_ratio, penalty_factor=pf, bounds=bounds, sample_weight=sw)
    for k in range(Y.shape[1]):
        w, b, gap = coefs[k], intercepts[k], max(float(gaps[k]), 0.0)
        # the certified suboptimality: the reported gap is at most the tolerance
        _, yt, *_ = center(X, Y[:, k], sw, est.fit_intercept)
        assert gap <= est.tol * (yt @ yt) / n * (1 + 1e-9)
        viol, checked, col = factor_kkt(X, Y[:, k], w, fit_intercept=est.fit_intercept, **kw)
        a2 = alpha * (1 - l1_ratio) * np.where(np.isinf(pf), 0.0, pf if pf is not None else 1.0)
        slack = col * np.sqrt(2.0 * gap * n) + np.sqrt(2.0 * a2 * gap) + 1e-12
        assert np.all(viol[checked] <= slack[checked] * (1 + 1e-6)), (viol - slack).max()
        excluded = np.isinf(pf) if pf is not None else np.zeros(w.size, bool)
        assert np.all(w[excluded] == 0.0)
        if bounds is not None:
            assert np.all(w >= np.broadcast_to(bounds[0], w.shape))
            assert np.all(w <= np.broadcast_to(bounds[1], w.shape))
        ours = factor_objective(X, Y[:, k], w, b, **kw)
        _, _, theirs = lbfgsb_reference(X, Y[:, k], fit_intercept=est.fit_intercept, **kw)
        assert ours <= theirs + 1e-9 * abs(theirs) + 1e-12, (ours, theirs)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
@pytest.mark.parametrize("multi", [False, True])
def test_mixed_factors_and_bounds_are_optimal(fmt, weights, l1_ratio, multi):
    X, y = _data(seed=1, n_targets=2 if multi else None)
    sw = np.random.default_rng(2).uniform(0.2, 2.0, size=X.shape[0]) if weights else None
    alpha = 0.08
    est = ElasticNetCD(
        alpha=alpha,
        l1_ratio=l1_ratio,
        penalty_factor=MIXED_FACTORS,
        bounds=MIXED_BOUNDS,
        tol=1e-12,
        max_iter=5000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(_as(X, fmt), y, sample_weight=sw)
    _check_optimal(est, X, y, sw, alpha, l1_ratio, MIXED_FACTORS, MIXED_BOUNDS)


@pytest.mark.parametrize("seed", range(6))
def test_random_factors_and_bounds_against_lbfgsb(seed):
    rng = np.random.default_rng(100 + seed)
    X, y = _data(seed=seed, n=30, p=20)  # wider supports, some unpenalized
    pf = rng.choice([0.0, 0.5, 1.0, 2.0, np.inf], size=20, p=[0.15, 0.2, 0.4, 0.15, 0.1])
    lower = rng.choice([-np.inf, -1.0, -0.2, 0.0], size=20)
    upper = rng.choice([np.inf, 1.0, 0.2, 0.0], size=20)
    l1_ratio = float(rng.choice([1.0, 0.5]))
    alpha = float(rng.uniform(0.01, 0.3))
    est = ElasticNetCD(
        alpha=alpha,
        l1_ratio=l1_ratio,
        penalty_factor=pf,
        bounds=(lower, upper),
        tol=1e-12,
        max_iter=5000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    _check_optimal(est, X, y, None, alpha, l1_ratio, pf, (lower, upper))


def test_an_unpenalized_coefficient_off_its_optimum_is_not_certified():
    """Regression (found by a randomized path test): the gap of the dual point projected
    for the unpenalized features certified a point whose unpenalized, boxed coefficient was
    off its optimum (reported gap 2e-16, objective 2e-4 above L-BFGS-B's): that gap was the
    one of the point with the coefficient moved to its optimum."""
    rng = np.random.default_rng(258)  # (the randomized test's draws, in its order)
    n = int(rng.integers(20, 120))
    p = int(rng.integers(3, max(4, n // 3)))
    X = rng.standard_normal((n, p))
    if rng.random() < 0.3:
        X[:, rng.integers(0, p)] = X[:, rng.integers(0, p)]
    if rng.random() < 0.3:
        cats = rng.integers(0, 3, size=n)
        X[:, :3] = 0
        X[np.arange(n), cats] = 1.0
    y = X @ (rng.standard_normal(p) * (rng.random(p) < 0.4)) + rng.standard_normal(n) * 0.5
    pf = np.array([1.0, 1.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 2.0, 0.0])
    lower = np.array([-np.inf, 0.0, -np.inf, -np.inf, -0.2, -0.2, -1.0, 0.0, 0.0, 0.0])
    upper = np.array([0.2, 1.0, np.inf, 0.2, 0.0, 1.0, np.inf, 0.2, 0.2, np.inf])
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    alpha = 0.26902696721353603
    est = ElasticNetCD(
        alpha=alpha,
        l1_ratio=1.0,
        penalty_factor=pf,
        bounds=(lower, upper),
        fit_intercept=False,
        tol=1e-10,
    ).fit(Xc, yc)
    _check_optimal(est, Xc, yc, None, alpha, 1.0, pf, (lower, upper))


# -- equivalences --------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD])
def test_unit_factors_are_no_factors(cls):
    X, y = _data(seed=3)
    a = cls(alpha=0.05, tol=1e-12).fit(X, y)
    b = cls(alpha=0.05, tol=1e-12, penalty_factor=np.ones(X.shape[1])).fit(X, y)
    assert_allclose(b.coef_, a.coef_, rtol=1e-10, atol=1e-12)
    assert b.intercept_ == pytest.approx(a.intercept_, rel=1e-10, abs=1e-12)


def test_positive_factors_are_scikit_learns_lasso_on_rescaled_columns():
    """``alpha sum pf_j |w_j|`` on X is the plain lasso on ``X / pf`` in ``v = pf w``."""
    X, y = _data(seed=4)
    pf = np.random.default_rng(5).uniform(0.3, 3.0, size=X.shape[1])
    ours = LassoCD(alpha=0.05, penalty_factor=pf, tol=1e-12).fit(X, y)
    ref = Lasso(alpha=0.05, tol=1e-14, max_iter=100_000).fit(X / pf, y)
    assert_allclose(ours.coef_, ref.coef_ / pf, rtol=1e-7, atol=1e-9)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-7)


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_infinite_factor_is_the_column_removed(fmt):
    X, y = _data(seed=6)
    pf = np.ones(X.shape[1])
    pf[[2, 7]] = np.inf
    ours = ElasticNetCD(alpha=0.05, l1_ratio=0.7, penalty_factor=pf, tol=1e-12)
    ours.fit(_as(X, fmt), y)
    keep = np.isfinite(pf)
    ref = ElasticNetCD(alpha=0.05, l1_ratio=0.7, tol=1e-12).fit(_as(X[:, keep], fmt), y)
    assert np.all(ours.coef_[~keep] == 0.0)
    assert_allclose(ours.coef_[keep], ref.coef_, rtol=1e-8, atol=1e-10)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-8)


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD])
def test_positive_is_bounds_zero_to_inf(cls):
    X, y = _data(seed=7)
    a = cls(alpha=0.03, positive=True, tol=1e-12).fit(X, y)
    b = cls(alpha=0.03, bounds=(0.0, np.inf), tol=1e-12).fit(X, y)
    assert_allclose(b.coef_, a.coef_, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="positive=True means bounds"):
        cls(alpha=0.03, positive=True, bounds=(-1.0, 1.0)).fit(X, y)


def test_zero_factors_at_alpha_max():
    """At alpha_max (glmnet's: after fitting the unpenalized features) every penalized
    coefficient is zero and the unpenalized ones are least squares on their columns; just
    below it one penalized feature enters."""
    X, y = _data(seed=8, n=80)
    pf = np.ones(X.shape[1])
    pf[[0, 5]] = 0.0
    alphas, coefs, _ = lasso_path(
        X - X.mean(0), y - y.mean(), penalty_factor=pf, alphas=3, eps=0.999, tol=1e-12
    )
    at_max = coefs[:, 0]
    # exactly at alpha_max the entering feature's gradient equals its threshold: a
    # coefficient at rounding level (the exact finish of the unpenalized ones moves the
    # gradient by an ulp) is as optimal as 0; just above alpha_max all are exactly 0 (below)
    assert np.all(np.abs(at_max[pf > 0]) <= 1e-12 * np.abs(at_max).max())
    ls = LinearRegression(fit_intercept=False).fit((X - X.mean(0))[:, [0, 5]], y - y.mean())
    assert_allclose(at_max[[0, 5]], ls.coef_, rtol=1e-8)
    below = LassoCD(alpha=alphas[0] * (1 - 1e-4), penalty_factor=pf, tol=1e-14).fit(X, y)
    assert np.count_nonzero(below.coef_[pf > 0]) == 1
    at = LassoCD(alpha=alphas[0] * (1 + 1e-9), penalty_factor=pf, tol=1e-12).fit(X, y)
    assert np.count_nonzero(at.coef_[pf > 0]) == 0


# -- paths, CV, ridge --------------------------------------------------------------------------
def test_path_and_cv_with_factors_and_bounds_are_certified():
    X, y = _data(seed=9, n=60)
    pf, bounds = MIXED_FACTORS, MIXED_BOUNDS
    Xc, yc = X - X.mean(0), y - y.mean()
    alphas, coefs, gaps = enet_path(
        Xc, yc, l1_ratio=0.8, penalty_factor=pf, bounds=bounds, alphas=8, tol=1e-10
    )
    assert np.all(coefs[np.isinf(pf)] == 0.0)
    for i, alpha in enumerate(alphas):
        est = ElasticNetCD(
            alpha=alpha,
            l1_ratio=0.8,
            penalty_factor=pf,
            bounds=bounds,
            fit_intercept=False,
            tol=1e-10,
        )
        est.coef_, est.intercept_, est.dual_gap_ = coefs[:, i], 0.0, gaps[i]
        _check_optimal(est, Xc, yc, None, alpha, 0.8, pf, bounds)
    cv = LassoCDCV(cv=3, alphas=10, penalty_factor=pf, bounds=bounds).fit(X, y)
    assert np.all(cv.coef_[np.isinf(pf)] == 0.0)
    cv2 = ElasticNetCDCV(cv=3, l1_ratio=[0.5, 1.0], alphas=6, penalty_factor=pf).fit(X, y)
    assert np.all(cv2.coef_[np.isinf(pf)] == 0.0)


@pytest.mark.parametrize("cls", [RidgeGD])
def test_generalized_ridge(cls):
    """``alpha sum pf_j w_j^2`` is Ridge on ``X / sqrt(pf)`` in ``v = sqrt(pf) w``; a zero
    factor leaves the feature unpenalized, inf excludes it."""
    X, y = _data(seed=10)
    pf = np.random.default_rng(11).uniform(0.2, 4.0, size=X.shape[1])
    ours = cls(alpha=3.0, penalty_factor=pf, tol=1e-12).fit(X, y)
    ref = RidgeGD(alpha=3.0, tol=1e-12).fit(X / np.sqrt(pf), y)
    assert_allclose(ours.coef_, ref.coef_ / np.sqrt(pf), rtol=1e-8)
    pf[[1, 4]] = 0.0
    pf[6] = np.inf
    ours = cls(alpha=3.0, penalty_factor=pf, tol=1e-12).fit(X, y)
    assert ours.coef_[6] == 0.0
    Xt, yt, *_ = center(X, y, normalize=False)
    keep = np.isfinite(pf)
    D = np.diag(3.0 * pf[keep])
    exact = np.linalg.solve(Xt[:, keep].T @ Xt[:, keep] + D, Xt[:, keep].T @ yt)
    assert_allclose(ours.coef_[keep], exact, rtol=1e-8, atol=1e-10)
    cv = RidgeGDCV(alphas=[0.3, 3.0, 30.0], penalty_factor=pf).fit(X, y)
    assert cv.coef_[6] == 0.0
    assert_ridge_certified(RidgeGD(alpha=cv.alpha_, tol=1e-10).fit(X, y), X, y)


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"penalty_factor": -np.ones(12)}, "penalty_factor must be >= 0"),
        ({"penalty_factor": np.full(12, np.nan)}, "penalty_factor must not contain NaN"),
        ({"penalty_factor": np.ones(5)}, "penalty_factor has 5 entries, but X has 12"),
        ({"penalty_factor": np.full(12, np.inf)}, "every feature is excluded"),
        ({"bounds": (0.5, 1.0)}, "lower bounds must be <= 0"),
        ({"bounds": (-1.0, -0.5)}, "upper bounds must be >= 0"),
        ({"bounds": (np.zeros(5), 1.0)}, "one entry per feature"),
        ({"bounds": (-1.0, np.ones(3))}, "one entry per feature"),
        ({"bounds": (np.nan, 1.0)}, "must not contain NaN"),
        ({"bounds": (1.0,)}, "pair"),
    ],
)
@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD, LassoCDCV])
def test_bad_factors_and_bounds_are_refused(cls, kwargs, match):
    X, y = _data(seed=12)
    with pytest.raises(ValueError, match=match):
        cls(**kwargs).fit(X, y)


def test_bad_ridge_factors_are_refused():
    X, y = _data(seed=12)
    with pytest.raises(ValueError, match="penalty_factor must be >= 0"):
        RidgeGD(penalty_factor=-np.ones(12)).fit(X, y)


@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_generalized_ridge_leave_one_out_is_exact(weights, fmt):
    """RidgeGDCV's leave-one-out errors with factors (zeros: fitted like the intercept; inf:
    excluded) equal a brute-force refit without each sample."""
    rng = np.random.default_rng(13)
    n, p = 25, 6
    X = rng.normal(size=(n, p)) + rng.normal(size=p)
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    sw = rng.uniform(0.5, 2.0, size=n) if weights else None
    s = np.ones(n) if sw is None else sw
    pf = np.array([0.0, 1.0, 2.0, np.inf, 0.5, 0.0])
    for alpha in (0.1, 10.0):
        model = RidgeGDCV(alphas=[alpha], penalty_factor=pf, store_cv_results=True)
        model.fit(_as(X, fmt), y, sample_weight=sw)
        errors = []
        for i in range(n):
            keep = np.arange(n) != i
            refit = RidgeGD(alpha=alpha, penalty_factor=pf, tol=1e-14).fit(
                X[keep], y[keep], sample_weight=None if sw is None else sw[keep]
            )
            errors.append(s[i] * (y[i] - refit.predict(X[i : i + 1])[0]) ** 2)
        assert_allclose(model.cv_results_[:, 0], errors, rtol=1e-7, atol=1e-12)
        full = RidgeGD(alpha=alpha, penalty_factor=pf, tol=1e-14).fit(X, y, sample_weight=sw)
        assert_allclose(model.coef_, full.coef_, rtol=1e-8, atol=1e-12)
