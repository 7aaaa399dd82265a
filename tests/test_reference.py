"""Reference tests: sparsefit vs scikit-learn at tight tolerance.

sparsefit runs at ``tol=TOL``; the references run at ``tol=REF_TOL`` with a large
``max_iter`` (Lasso/ElasticNet), or are exact (``Ridge(solver='cholesky')``, and NNLS on the
augmented system for the non-negative ridge, since ``Ridge(positive=True)`` uses L-BFGS and is
inexact). The reference always receives the dense ``X`` (same problem, and exact solvers).

Problems have ``p < n`` (with a full-rank weighted design) so the solutions are unique and the
coefficients themselves can be compared; every sparsefit fit is also certified with the
independent duality gap of ``_certificates.py``.

Why ``TOL = 1e-13`` and not 1e-10: the duality gap bounds the *squared* distance to the optimum
(``1/2 ||Xt (w - w*)||^2 <= gap``), so ``gap <= tol ||yt||^2`` only guarantees a relative error
of about ``sqrt(2 tol)`` in the predictions: 1.4e-5 at tol=1e-10, which does not imply the 1e-6
agreement asserted here (and correct solvers did differ by ~5e-6 there). At 1e-13 it does.
"""

import warnings
import zlib

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Ridge

from sparsefit import ElasticNetCD, LassoCD, RidgeGD

from ._certificates import (
    assert_enet_certified,
    assert_ridge_certified,
    enet_alpha_max,
    enet_objective,
    ridge_exact,
    ridge_objective,
)

FORMATS = ["dense", "csr", "csc"]
WEIGHTS = [None, "random", "zeros"]
N, P = 40, 8
TOL = 1e-13
REF_TOL = 1e-14


def make_problem(seed, n_targets=None, weights=None, positive=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, P)) + rng.uniform(-1, 1, size=P)
    X[rng.uniform(size=X.shape) < 0.3] = 0.0  # some structural zeros for the sparse formats
    k = 1 if n_targets is None else n_targets
    W = rng.normal(size=(P, k)) * 2.0
    W[rng.uniform(size=W.shape) < 0.4] = 0.0
    if positive:  # mixed signs (active constraints) but a clearly positive first feature
        W[0] = 3.0
    Y = X @ W + 0.5 * rng.normal(size=(N, k)) + rng.uniform(-3, 3, size=k)
    y = Y[:, 0] if n_targets is None else Y
    sw = None
    if weights is not None:
        sw = rng.uniform(0.2, 3.0, size=N)
        if weights == "zeros":
            sw[rng.choice(N, size=8, replace=False)] = 0.0
    X_test = rng.normal(size=(15, P))
    return X, y, sw, X_test


def as_format(X, fmt):
    return X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)


def columns(y):
    return [y] if y.ndim == 1 else [y[:, k] for k in range(y.shape[1])]


def assert_same_solution(coef, coef_ref, pred, pred_ref):
    scale_c = max(np.abs(coef_ref).max(), 1e-300)
    assert_allclose(coef, coef_ref, rtol=1e-6, atol=1e-6 * scale_c)
    assert_allclose(pred, pred_ref, rtol=1e-6, atol=1e-6 * np.abs(pred_ref).max())


def check_output_shapes(est, y):
    if y.ndim == 1:
        assert est.coef_.shape == (P,)
        assert isinstance(est.intercept_, (float, np.floating))
        assert isinstance(est.dual_gap_, (float, np.floating))
        assert isinstance(est.n_iter_, (int, np.integer)) and est.n_iter_ >= 0
    else:
        k = y.shape[1]
        assert est.coef_.shape == (k, P)
        assert isinstance(est.intercept_, np.ndarray) and est.intercept_.shape == (k,)
        assert isinstance(est.dual_gap_, np.ndarray) and est.dual_gap_.shape == (k,)
        if isinstance(est, RidgeGD):  # like Ridge's n_iter_ for its iterative solvers
            assert isinstance(est.n_iter_, np.ndarray) and est.n_iter_.shape == (k,)
        else:  # like Lasso / ElasticNet
            assert isinstance(est.n_iter_, list) and len(est.n_iter_) == k
        assert all(int(i) >= 0 for i in est.n_iter_)
    if not est.fit_intercept:
        assert np.all(np.asarray(est.intercept_) == 0.0)


# ---------------------------------------------------------------------------------------------
# LassoCD / ElasticNetCD vs Lasso / ElasticNet
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_targets", [None, 2], ids=["y1d", "y2d"])
@pytest.mark.parametrize("positive", [False, True], ids=["signed", "positive"])
@pytest.mark.parametrize("weights", WEIGHTS, ids=["sw_none", "sw_random", "sw_zeros"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "noicpt"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["lasso", "enet"])
def test_enet_matches_sklearn(l1_ratio, fmt, fit_intercept, weights, positive, n_targets):
    seed = zlib.crc32(repr((l1_ratio, fmt, fit_intercept, weights, positive, n_targets)).encode())
    X, y, sw, X_test = make_problem(seed, n_targets, weights, positive)
    y0 = y if y.ndim == 1 else y[:, 0]
    # an alpha with both zero and non-zero coefficients at the solution
    alpha = 0.1 * enet_alpha_max(X, y0, sw, fit_intercept, l1_ratio, positive=positive)
    kw = dict(
        alpha=alpha, fit_intercept=fit_intercept, positive=positive, tol=TOL, max_iter=10_000
    )
    est = LassoCD(**kw) if l1_ratio == 1.0 else ElasticNetCD(l1_ratio=l1_ratio, **kw)
    est.fit(as_format(X, fmt), y, sample_weight=sw)
    check_output_shapes(est, y)
    certs = assert_enet_certified(est, X, y, sw)

    coefs = np.atleast_2d(est.coef_)
    intercepts = np.atleast_1d(est.intercept_)
    pred = est.predict(as_format(X_test, fmt)).reshape(len(X_test), -1)
    for k, yk in enumerate(columns(y)):
        ref = ElasticNet(
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            positive=positive,
            tol=REF_TOL,
            max_iter=1_000_000,
        )
        ref.fit(X, yk, sample_weight=sw)
        assert_same_solution(coefs[k], ref.coef_, pred[:, k], ref.predict(X_test))
        assert_allclose(
            intercepts[k], ref.intercept_, rtol=1e-6, atol=1e-6 * (1 + np.abs(ref.intercept_))
        )
        # objective values: each is within its own certified gap of the optimum
        f = enet_objective(
            X, yk, coefs[k], intercepts[k], alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw
        )
        f_ref = enet_objective(
            X, yk, ref.coef_, ref.intercept_, alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw
        )
        yt2 = certs[k]["yt_norm2"] / N
        assert f <= f_ref + certs[k]["gap"] + 1e-12 * yt2
    if positive:
        assert np.all(est.coef_ >= 0)
    # not a vacuous comparison of two zero vectors
    assert np.count_nonzero(coefs[0]) > 0


@pytest.mark.parametrize("precompute", [False, True, "gram"])
@pytest.mark.parametrize("selection", ["cyclic", "random"])
def test_enet_precompute_and_selection_match_sklearn(precompute, selection):
    X, y, sw, X_test = make_problem(11)
    alpha = 0.05 * enet_alpha_max(X, y, None, False, 0.7)
    if precompute == "gram":
        precompute = X.T @ X  # valid only without intercept and weights
    est = ElasticNetCD(
        alpha=alpha,
        l1_ratio=0.7,
        fit_intercept=False,
        precompute=precompute,
        selection=selection,
        random_state=0,
        tol=TOL,
        max_iter=10_000,
    )
    est.fit(X, y)
    assert_enet_certified(est, X, y)
    ref = ElasticNet(
        alpha=alpha, l1_ratio=0.7, fit_intercept=False, tol=REF_TOL, max_iter=1_000_000
    ).fit(X, y)
    assert_same_solution(est.coef_, ref.coef_, est.predict(X_test), ref.predict(X_test))


def test_sparse_coef_matches_coef():
    X, y, _, _ = make_problem(12, n_targets=3)
    est = LassoCD(alpha=0.05, tol=1e-8).fit(X, y)
    sc = est.sparse_coef_
    assert sp.issparse(sc) and sc.format == "csr"
    assert sc.shape == (3, P)
    assert np.array_equal(sc.toarray(), est.coef_)
    est1 = LassoCD(alpha=0.05, tol=1e-8).fit(X, y[:, 0])
    assert est1.sparse_coef_.shape == (1, P)
    assert est1.sparse_coef_.format == "csr"
    assert np.array_equal(est1.sparse_coef_.toarray().ravel(), est1.coef_)
    assert_enet_certified(est, X, y)
    assert_enet_certified(est1, X, y[:, 0])


# ---------------------------------------------------------------------------------------------
# RidgeGD vs Ridge (exact references)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_targets", [None, 2], ids=["y1d", "y2d"])
@pytest.mark.parametrize("positive", [False, True], ids=["signed", "positive"])
@pytest.mark.parametrize("weights", WEIGHTS, ids=["sw_none", "sw_random", "sw_zeros"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "noicpt"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_ridge_matches_sklearn(fmt, fit_intercept, weights, positive, n_targets):
    seed = zlib.crc32(repr(("ridge", fmt, fit_intercept, weights, positive, n_targets)).encode())
    X, y, sw, X_test = make_problem(seed, n_targets, weights, positive)
    alpha = 3.0 if n_targets is None else np.array([3.0, 0.5])
    est = RidgeGD(alpha=alpha, fit_intercept=fit_intercept, positive=positive, tol=TOL)
    est.fit(as_format(X, fmt), y, sample_weight=sw)
    check_output_shapes(est, y)
    certs = assert_ridge_certified(est, X, y, sw)

    coefs = np.atleast_2d(est.coef_)
    intercepts = np.atleast_1d(est.intercept_)
    pred = est.predict(as_format(X_test, fmt)).reshape(len(X_test), -1)
    alphas = np.broadcast_to(alpha, (len(columns(y)),))
    if not positive:
        ref = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky")
        ref.fit(X, y, sample_weight=sw)
        ref_coef = np.atleast_2d(ref.coef_)
        ref_pred = ref.predict(X_test).reshape(len(X_test), -1)
        for k in range(len(alphas)):
            assert_same_solution(coefs[k], ref_coef[k], pred[:, k], ref_pred[:, k])
    for k, yk in enumerate(columns(y)):
        # exact solution written independently (normal equations / NNLS)
        w_ex, b_ex = ridge_exact(
            X,
            yk,
            alpha=alphas[k],
            sample_weight=sw,
            fit_intercept=fit_intercept,
            positive=positive,
        )
        assert_same_solution(coefs[k], w_ex, pred[:, k], X_test @ w_ex + b_ex)
        if positive:
            # L-BFGS is inexact: sparsefit must be at least as good, up to its own gap
            lb = Ridge(
                alpha=alphas[k],
                fit_intercept=fit_intercept,
                positive=True,
                solver="lbfgs",
                tol=1e-12,
                max_iter=100_000,
            )
            with warnings.catch_warnings():
                # L-BFGS may stop on its own iteration limit; only its objective is used
                warnings.simplefilter("ignore", ConvergenceWarning)
                lb.fit(X, yk, sample_weight=sw)
            f = ridge_objective(X, yk, coefs[k], intercepts[k], alpha=alphas[k], sample_weight=sw)
            f_lb = ridge_objective(
                X, yk, lb.coef_, lb.intercept_, alpha=alphas[k], sample_weight=sw
            )
            assert f <= f_lb + certs[k]["gap"] + 1e-12 * certs[k]["yt_norm2"]
            assert np.all(coefs[k] >= 0)
    if positive:
        # the constraint is active somewhere, otherwise this would just repeat the above
        assert np.any(coefs == 0)


@pytest.mark.parametrize("solver", ["auto", "cg", "gd", "agd"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("weights", [None, "zeros"])
def test_ridge_solvers_match_sklearn(solver, fmt, weights):
    X, y, sw, X_test = make_problem(21, weights=weights)
    est = RidgeGD(alpha=1.5, solver=solver, tol=TOL).fit(as_format(X, fmt), y, sw)
    assert_ridge_certified(est, X, y, sw)
    ref = Ridge(alpha=1.5, solver="cholesky").fit(X, y, sw)
    assert_same_solution(
        est.coef_, ref.coef_, est.predict(as_format(X_test, fmt)), ref.predict(X_test)
    )


@pytest.mark.parametrize("solver", ["auto", "gd", "agd"])
def test_positive_ridge_solvers(solver):
    X, y, sw, X_test = make_problem(22, weights="random")
    est = RidgeGD(alpha=1.5, solver=solver, positive=True, tol=TOL).fit(X, y, sw)
    assert_ridge_certified(est, X, y, sw)
    w_ex, b_ex = ridge_exact(X, y, alpha=1.5, sample_weight=sw, positive=True)
    assert np.any(w_ex == 0)
    assert_same_solution(est.coef_, w_ex, est.predict(X_test), X_test @ w_ex + b_ex)


def test_default_tolerance_fits_are_certified():
    """At the default tol the stopping rule itself (not just closeness) is honoured."""
    X, y, sw, _ = make_problem(23, n_targets=2, weights="random")
    for est in (LassoCD(alpha=0.05), ElasticNetCD(alpha=0.05), LassoCD(alpha=0.05, positive=True)):
        est.fit(X, y, sw)
        assert_enet_certified(est, X, y, sw)
    ridge = RidgeGD(alpha=2.0).fit(X, y, sw)
    assert_ridge_certified(ridge, X, y, sw)


@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("kind", ["lasso", "enet", "ridge"])
def test_wide_problems_match_sklearn(kind, fmt):
    """p >> n: coefficients need not be unique for the lasso, but the fitted values X w and
    the objective value are; compare those (and the coefficients for the strictly convex
    ridge / elastic net)."""
    rng = np.random.default_rng(31)
    n, p = 30, 200
    X = rng.normal(size=(n, p))
    y = X[:, :5] @ np.array([2.0, -1.0, 1.5, 1.0, -2.0]) + 0.2 * rng.normal(size=n)
    if kind == "ridge":
        est = RidgeGD(alpha=5.0, tol=TOL)
        ref = Ridge(alpha=5.0, solver="cholesky")
    else:
        rho = 1.0 if kind == "lasso" else 0.6
        alpha = 0.05 * enet_alpha_max(X, y, l1_ratio=rho)
        est = ElasticNetCD(alpha=alpha, l1_ratio=rho, tol=TOL, max_iter=10_000)
        ref = ElasticNet(alpha=alpha, l1_ratio=rho, tol=REF_TOL, max_iter=1_000_000)
    est.fit(as_format(X, fmt), y)
    ref.fit(X, y)
    fitted = est.predict(as_format(X, fmt))
    assert_allclose(fitted, ref.predict(X), rtol=1e-6, atol=1e-6 * np.abs(y).max())
    if kind == "ridge":
        (cert,) = assert_ridge_certified(est, X, y)
        # with p > n, X^T X is singular and only alpha controls the error in its null space:
        # strong convexity (modulus alpha in the sum form, whose gap is half the Ridge gap)
        # gives ||w - w*||^2 <= 2 (gap / 2) / alpha. At TOL that is ~1e-6, not 1e-6 relative.
        bound = np.sqrt(max(cert["gap"], 0.0) / 5.0)
        assert np.linalg.norm(est.coef_ - ref.coef_) <= bound + 1e-9
        return
    assert_enet_certified(est, X, y)
    f = enet_objective(X, y, est.coef_, est.intercept_, alpha=est.alpha, l1_ratio=rho)
    f_ref = enet_objective(X, y, ref.coef_, ref.intercept_, alpha=est.alpha, l1_ratio=rho)
    assert_allclose(f, f_ref, rtol=1e-9)
    if kind == "enet":  # strictly convex
        assert_same_solution(est.coef_, ref.coef_, fitted, ref.predict(X))
    else:
        assert np.count_nonzero(est.coef_) <= n  # a lasso solution with at most n non-zeros


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "ours, ref",
    [
        (LassoCD(alpha=0.05, tol=TOL), "Lasso"),
        (ElasticNetCD(alpha=0.05, tol=TOL), "ElasticNet"),
        (RidgeGD(alpha=1.0, tol=TOL), "Ridge"),
    ],
    ids=["lasso", "enet", "ridge"],
)
def test_column_vector_y_has_sklearn_shapes(ours, ref, fit_intercept):
    """y of shape (n, 1): the shapes of coef_, intercept_ and predict match scikit-learn's."""
    import sklearn.linear_model as sklm

    X, y, _, _ = make_problem(7)
    Y = y[:, None]
    kw = {"alpha": ours.alpha, "fit_intercept": fit_intercept}
    if ref != "Ridge":
        kw.update(tol=REF_TOL, max_iter=100_000)
    theirs = getattr(sklm, ref)(**kw).fit(X, Y)
    mine = clone(ours).set_params(fit_intercept=fit_intercept).fit(X, Y)
    assert mine.coef_.shape == theirs.coef_.shape
    assert np.shape(mine.intercept_) == np.shape(theirs.intercept_)
    assert mine.predict(X).shape == theirs.predict(X).shape
    assert np.ndim(mine.n_iter_) == 0 and np.ndim(mine.dual_gap_) == 0
    assert_allclose(mine.predict(X), theirs.predict(X), rtol=1e-6)
