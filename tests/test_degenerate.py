"""Degenerate data: every fit either converges with an independent certificate, or warns.

The contract, for LassoCD, ElasticNetCD and RidgeGD alike: never NaN or infinity in the fitted
attributes, never more than ``max_iter`` iterations, and either a solution that passes its
stopping rule recomputed by ``_certificates.py``, or a ``ConvergenceWarning`` whose returned
point is still a valid partial result (finite, optimal intercept for its coefficients, an
objective no worse than at ``w = 0``, and a reported gap above the tolerance). Each test's
name and docstring say which of the two is expected. Reference answers are closed forms
(least squares, one-feature formulas) or scikit-learn, never sparsefit's own output.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso

from sparsefit import ElasticNetCD, LassoCD, RidgeGD
from sparsefit.penalties import SeparablePenalty

from ._certificates import (
    assert_enet_certified,
    assert_ridge_certified,
    center,
    enet_alpha_max,
    enet_certificate,
    enet_objective,
    ridge_certificate,
    ridge_exact,
    ridge_objective,
)

ALL = [LassoCD, ElasticNetCD, RidgeGD]
IDS = ["lasso", "enet", "ridge"]


def make(seed=0, n=30, p=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + rng.uniform(-1, 1, size=p)
    y = X @ rng.normal(size=p) + 0.3 * rng.normal(size=n) + 1.0
    return X, y


def certify(est, X, y, sw=None, **kw):
    if isinstance(est, RidgeGD):
        return assert_ridge_certified(est, X, y, sw, **kw)
    return assert_enet_certified(est, X, y, sw, **kw)


def fit_recording(est, X, y, sw=None):
    """Fit and return the ConvergenceWarnings; any other warning but a UserWarning fails."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est.fit(X, y, sample_weight=sw)
    unexpected = [
        r for r in record if not issubclass(r.category, (ConvergenceWarning, UserWarning))
    ]
    assert not unexpected, [(r.category.__name__, str(r.message)) for r in unexpected]
    return [r for r in record if issubclass(r.category, ConvergenceWarning)]


def assert_finite_and_bounded(est, X):
    for name in ("coef_", "intercept_", "dual_gap_"):
        assert np.all(np.isfinite(getattr(est, name))), (name, getattr(est, name))
    assert np.all(np.isfinite(est.predict(X)))
    max_iter = 15000 if est.max_iter is None else est.max_iter
    n_iter = np.atleast_1d(est.n_iter_)
    assert np.all((n_iter >= 0) & (n_iter <= max_iter)), est.n_iter_


def objective(est, X, y, coef, intercept, sw=None):
    if isinstance(est, RidgeGD):
        return ridge_objective(X, y, coef, intercept, alpha=est.alpha, sample_weight=sw)
    rho = getattr(est, "l1_ratio", 1.0)
    return enet_objective(X, y, coef, intercept, alpha=est.alpha, l1_ratio=rho, sample_weight=sw)


def independent_certificate(est, X, y, sw=None):
    kw = dict(
        sample_weight=sw, fit_intercept=est.fit_intercept, positive=est.positive, tol=est.tol
    )
    if isinstance(est, RidgeGD):
        return ridge_certificate(X, y, est.coef_, alpha=est.alpha, **kw)
    rho = getattr(est, "l1_ratio", 1.0)
    return enet_certificate(X, y, est.coef_, alpha=est.alpha, l1_ratio=rho, **kw)


def assert_certified_or_warned(est, X, y, sw=None, X_fit=None):
    """The contract above, for a single-target fit. Returns True if it warned."""
    X_fit = X if X_fit is None else X_fit
    warned = fit_recording(est, X_fit, y, sw)
    assert_finite_and_bounded(est, X_fit)
    if not warned:
        certify(est, X, y, sw)
        return False
    assert len(warned) == 1, [str(r.message) for r in warned]
    cert = independent_certificate(est, X, y, sw)
    # the reported gap is above the tolerance: the warning is consistent with the attributes
    assert float(est.dual_gap_) > cert["tol"], (float(est.dual_gap_), cert["tol"])
    # a valid partial result: optimal intercept for coef_, no worse than the start w = 0
    if est.fit_intercept:
        assert abs(float(est.intercept_) - cert["intercept"]) <= 1e-8 * (
            1 + cert["intercept_scale"]
        )
    s = np.ones(len(y)) if sw is None else sw
    b0 = (s @ y) / s.sum() if est.fit_intercept else 0.0
    f = objective(est, X, y, est.coef_, est.intercept_, sw)
    f0 = objective(est, X, y, np.zeros(X.shape[1]), b0, sw)
    assert f <= f0 * (1 + 1e-12), (f, f0)
    return True


def ols_prediction_radius(Xt, yt, w):
    """Bound on ``||Xt (w - w*)||`` for a least-squares solution ``w*`` of ``Xt w = yt``.

    With ``R = yt - Xt w``: ``Xt^T Xt (w* - w) = Xt^T R`` and ``Xt (w* - w)`` lies in the range
    of ``Xt``, so its norm is at most ``||Xt^T R|| / sigma_min`` (smallest non-zero singular
    value).
    """
    sv = np.linalg.svd(Xt, compute_uv=False)
    sigma_min = sv[sv > sv[0] * 1e-10].min()
    return np.linalg.norm(Xt.T @ (yt - Xt @ w)) / sigma_min


# ---------------------------------------------------------------------------------------------
# zero, duplicated and collinear columns
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL, ids=IDS)
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_all_zero_columns_get_exactly_zero_coefficients(cls, fmt):
    """Converges with a certificate; zero columns (in sparse form: empty columns and columns of
    explicitly stored zeros) get coefficient exactly 0 and leave the rest unchanged."""
    X, y = make(1, p=5)
    Xz = np.c_[np.zeros(len(y)), X[:, :2], np.zeros(len(y)), X[:, 2:], np.zeros(len(y))]
    zero = [0, 3, 7]
    Xin = Xz
    if fmt != "dense":
        rows, cols = np.nonzero(Xz)
        # store explicit zeros in column 3 (a structurally non-empty all-zero column)
        rows, cols = np.r_[rows, np.arange(4)], np.r_[cols, np.full(4, 3)]
        Xin = sp.coo_matrix((Xz[rows, cols], (rows, cols)), shape=Xz.shape).asformat(fmt)
        assert Xin.nnz == np.count_nonzero(Xz) + 4
    est = cls(alpha=0.05, tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(Xin, y)
    assert np.all(est.coef_[zero] == 0.0)
    certify(est, Xz, y)
    # the zero columns change nothing: same solution as without them (unique here, p < n)
    ref = clone(est).fit(np.delete(Xz, zero, axis=1), y)
    assert_allclose(np.delete(est.coef_, zero), ref.coef_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_duplicated_columns_lasso_same_predictions(fmt):
    """Converges with a certificate. A duplicated column leaves the Lasso problem unchanged
    (|a| + |b| >= |a + b|), so the predictions and the summed coefficient are those of the
    problem without the copy; as in scikit-learn, CD gives the first copy all the weight."""
    X, y = make(2, p=5)
    Xd = np.c_[X, X[:, 0], X[:, 0]]
    kw = dict(alpha=0.02, tol=1e-13, max_iter=10_000)
    dup = LassoCD(**kw).fit(Xd if fmt == "dense" else sp.csr_matrix(Xd), y)
    certify(dup, Xd, y)
    ref = Lasso(**kw).fit(X, y)
    assert abs(ref.coef_[0]) > 0.1  # the duplicated feature matters
    assert_allclose(dup.predict(Xd), ref.predict(X), rtol=1e-6, atol=1e-6)
    assert_allclose(dup.coef_[[0, 5, 6]].sum(), ref.coef_[0], rtol=1e-6)


@pytest.mark.parametrize(
    "cls, factor",
    [(ElasticNetCD, 1.0), (ElasticNetCD, -1.0), (RidgeGD, 1.0), (RidgeGD, -3.0)],
    ids=["enet-dup", "enet-negated", "ridge-dup", "ridge-collinear"],
)
def test_collinear_columns_strictly_convex_split(cls, factor):
    """Converges with a certificate. With an L2 term the solution is unique. For a duplicated
    (or negated) column, c = +-1, symmetry then forces ``w_b = c w_a``: an even split. For
    Ridge it holds for any ``x_b = c x_a``, the solution lying in the row space of the design.
    (For the elastic net with |c| != 1 the L1 term favours the larger column: no such rule.)"""
    X, y = make(3, p=4)
    Xc = np.c_[X, factor * X[:, 1]]
    kw = dict(tol=1e-14)
    est = (
        ElasticNetCD(alpha=0.002, l1_ratio=0.5, max_iter=10_000, **kw)
        if cls is ElasticNetCD
        else RidgeGD(alpha=0.5, **kw)
    )
    fit_recording(est, Xc, y)
    certify(est, Xc, y)
    assert est.coef_[1] != 0
    assert_allclose(est.coef_[4], factor * est.coef_[1], rtol=1e-5)
    if cls is RidgeGD:
        w, b = ridge_exact(Xc, y, alpha=0.5)
        assert_allclose(est.coef_, w, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# degenerate targets and shapes
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL, ids=IDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_zero_target_gives_zero_model_without_warning(cls, fit_intercept, fmt):
    """y = 0 (also one column of a multi-output y): the tolerance is 0 and w = 0 has gap
    exactly 0, so the fit converges at once with coef_ = 0, intercept_ = 0, no warning."""
    X, y = make(4)
    Y = np.c_[np.zeros_like(y), y]
    Xin = X if fmt == "dense" else sp.csr_matrix(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = cls(alpha=0.1, fit_intercept=fit_intercept).fit(Xin, np.zeros_like(y))
        assert np.all(est.coef_ == 0.0) and est.intercept_ == 0.0
        assert np.all(est.predict(Xin) == 0.0)
        assert est.dual_gap_ == 0.0 and est.n_iter_ == (1 if cls is RidgeGD else 0)
        est.fit(Xin, Y)
    assert np.all(est.coef_[0] == 0.0) and est.intercept_[0] == 0.0
    assert np.any(est.coef_[1] != 0.0)
    certify(est, X, Y)


@pytest.mark.parametrize("cls", ALL, ids=IDS)
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_single_sample(cls, fmt):
    """n = 1. With an intercept the centred problem is empty: coef_ = 0 and the prediction is
    y itself (certified, gap 0). Without one it is a genuine one-row problem: certified, and
    equal to its closed form (RidgeGD; the normal equations of one row)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 4))
    y = np.array([2.5])
    Xin = x if fmt == "dense" else sp.csr_matrix(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = cls(alpha=0.1).fit(Xin, y)
    assert np.all(est.coef_ == 0.0)
    assert est.intercept_ == 2.5 and est.predict(Xin)[0] == 2.5
    certify(est, x, y)
    est = cls(alpha=0.1, fit_intercept=False, tol=1e-12)
    assert not fit_recording(est, Xin, y)
    assert_finite_and_bounded(est, Xin)
    certify(est, x, y)
    if cls is RidgeGD:
        w, _ = ridge_exact(x, y, alpha=0.1, fit_intercept=False)
        assert_allclose(est.coef_, w, rtol=1e-8)


def _one_feature_solution(x, y, alpha, rho, positive, fit_intercept, ridge):
    """Closed form with a single feature: soft-threshold, divide, (clip)."""
    if fit_intercept:
        x, y = x - x.mean(), y - y.mean()
    n = len(y)
    if ridge:
        w = (x @ y) / (x @ x + alpha)
    else:
        z = (x @ y) / n
        w = np.sign(z) * max(abs(z) - alpha * rho, 0.0) / ((x @ x) / n + alpha * (1 - rho))
    return max(w, 0.0) if positive else w


@pytest.mark.parametrize("cls", ALL, ids=IDS)
@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_single_feature_matches_closed_form(cls, positive, fit_intercept, sign):
    """p = 1: converges with a certificate, to the one-feature closed form."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=40) + 0.5
    y = sign * 1.5 * x + 0.3 * rng.normal(size=40) + 2.0
    kw = dict(positive=positive, fit_intercept=fit_intercept, tol=1e-14)
    if cls is RidgeGD:
        est, alpha, rho = RidgeGD(alpha=3.0, **kw), 3.0, 0.0
    elif cls is LassoCD:
        est, alpha, rho = LassoCD(alpha=0.1, **kw), 0.1, 1.0
    else:
        est, alpha, rho = ElasticNetCD(alpha=0.1, l1_ratio=0.3, **kw), 0.1, 0.3
    est.fit(x[:, None], y)
    certify(est, x[:, None], y)
    w = _one_feature_solution(x, y, alpha, rho, positive, fit_intercept, cls is RidgeGD)
    if positive and sign < 0:
        assert w == 0.0 and est.coef_[0] == 0.0  # the constraint is active: exact zero
    else:
        assert w != 0.0
        assert_allclose(est.coef_[0], w, rtol=1e-6)


@pytest.mark.parametrize("cls", ALL, ids=IDS)
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_very_wide_problem(cls, fmt):
    """n = 20, p = 50 000: converges with a certificate, quickly (working sets; Ridge through
    its 20 x 20 system), with at most n non-zero Lasso coefficients."""
    rng = np.random.default_rng(7)
    n, p = 20, 50_000
    if fmt == "dense":
        X = rng.normal(size=(n, p))
    else:
        rest = sp.random(n, p - 3, density=0.01, format="csc", random_state=rng) * 3.0
        # the informative columns are dense
        X = sp.hstack([sp.csc_matrix(rng.normal(size=(n, 3))), rest], format="csc")
    y = np.asarray(X[:, :3] @ np.array([1.0, -2.0, 3.0])).ravel() + 0.1 * rng.normal(size=n)
    kw = dict(alpha=0.5) if cls is RidgeGD else dict(alpha=0.05)
    est = cls(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    assert_finite_and_bounded(est, X)
    certify(est, X, y)
    if cls is LassoCD:
        assert 1 <= np.count_nonzero(est.coef_) <= n


# ---------------------------------------------------------------------------------------------
# extreme scaling and conditioning
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [LassoCD, RidgeGD], ids=["lasso", "ridge"])
@pytest.mark.parametrize("scale", [1e150, 1e-150])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_feature_scale_with_matching_alpha(cls, scale, fmt):
    """X scaled by c = 1e±150, with alpha scaled so the problem is the same (Lasso: alpha c,
    Ridge: alpha c^2): converges with a certificate on the scaled data, and coef_ * c and
    the predictions equal those of the unscaled problem (scikit-learn's Lasso / the exact
    ridge solution)."""
    X, y = make(8, n=25, p=5)
    Xs = X * scale
    Xin = Xs if fmt == "dense" else sp.csr_matrix(Xs)
    if cls is LassoCD:
        est = LassoCD(alpha=0.05 * scale, tol=1e-12)
        ref = Lasso(alpha=0.05, tol=1e-14, max_iter=100_000).fit(X, y)
        ref_coef, ref_pred = ref.coef_, ref.predict(X)
    else:
        est = RidgeGD(alpha=2.0 * scale**2, tol=1e-12)
        ref_coef, b = ridge_exact(X, y, alpha=2.0)
        ref_pred = X @ ref_coef + b
    assert not fit_recording(est, Xin, y)
    assert_finite_and_bounded(est, Xin)
    certify(est, Xs, y)
    assert_allclose(est.coef_ * scale, ref_coef, rtol=1e-5, atol=1e-8)
    assert_allclose(est.predict(Xin), ref_pred, rtol=1e-6, atol=1e-6)


def test_lasso_coefficients_whose_squares_overflow():
    """X scaled by 1e-100 and y by 1e100: the same Lasso problem at the same alpha, with
    coefficients 1e200 times those of the unscaled one, whose squares are beyond float64
    (the penalty had an L2 term ``0 * w^2``: an overflow warning and a NaN objective). No
    warning, certified, and coef_ / 1e200 is scikit-learn's on the unscaled data."""
    X, y = make(8, n=25, p=5)
    est = LassoCD(alpha=0.05, tol=1e-12)
    assert not fit_recording(est, X * 1e-100, y * 1e100)
    certify(est, X * 1e-100, y * 1e100)
    ref = Lasso(alpha=0.05, tol=1e-14, max_iter=100_000).fit(X, y)
    assert_allclose(est.coef_ / 1e200, ref.coef_, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("shift", [1e160, -1e300])
@pytest.mark.parametrize(
    "make_est, fmt",
    [
        (lambda: LassoCD(alpha=0.05, tol=1e-10), "dense"),
        (lambda: LassoCD(alpha=0.05, tol=1e-10, precompute=True), "dense"),
        (lambda: ElasticNetCD(alpha=0.05, tol=1e-10), "dense"),
        (lambda: LassoCD(alpha=0.05, tol=1e-10), "csr"),
    ],
    ids=["lasso", "lasso-gram", "enet", "lasso-csr"],
)
def test_a_column_shifted_beyond_the_squares_of_float64(make_est, fmt, shift):
    """A column shifted by more than about 1e154 (in float64 it is constant: its centred
    column is zero): its raw squares and Gram entries are beyond float64. No warning (the
    offsets are heavy: the products are formed again centred), certified, and the solution
    is scikit-learn's on the data with that column zero (scikit-learn's own Lasso warns at
    these shifts)."""
    X, y = make(8, n=60, p=6)
    Xs = X.copy()
    Xs[:, 2] += shift
    assert np.ptp(Xs[:, 2]) == 0.0  # (constant in float64)
    est = make_est()
    assert not fit_recording(est, Xs if fmt == "dense" else sp.csr_matrix(Xs), y)
    certify(est, Xs, y)
    X0 = X.copy()
    X0[:, 2] = 0.0
    rho = est.l1_ratio
    ref = ElasticNet(alpha=0.05, l1_ratio=rho, tol=1e-14, max_iter=100_000).fit(X0, y)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-9)


def test_penalty_value_with_squares_beyond_float64():
    """``l2 / 2 w^2`` with ``w^2`` beyond float64 but the term within it: the closed form,
    without a warning."""
    w = np.array([1e200, -3e200, 0.0])
    pen = SeparablePenalty(np.ones(3), np.full(3, 1e-300), -np.inf, np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = pen.value(w)
    assert_allclose(
        value, 4e200 + 0.5 * ((1e-150 * 1e200) ** 2 + (1e-150 * 3e200) ** 2), rtol=1e-14
    )


@pytest.mark.parametrize("cls", ALL, ids=IDS)
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_tiny_features_same_alpha_give_zero(cls, fmt):
    """X scaled by 1e-150 with an ordinary alpha: alpha is far above alpha_max, so Lasso and
    ElasticNet return exact zeros and Ridge coefficients with negligible predictions, all
    certified at once; the intercept is the mean of y."""
    X, y = make(9)
    Xs = X * 1e-150
    Xin = Xs if fmt == "dense" else sp.csc_matrix(Xs)
    est = cls(alpha=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(Xin, y)
    certify(est, Xs, y)
    if cls is RidgeGD:
        assert np.abs(est.coef_).max() * 1e-150 < 1e-250
    else:
        assert np.all(est.coef_ == 0.0)
    assert_allclose(est.predict(Xin), np.full(len(y), y.mean()), rtol=1e-12)


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_huge_features_same_alpha_warn_or_certify(cls):
    """X scaled by 1e150 with an ordinary alpha: the penalty is ~1e-150 of the data fit, so the
    solution is least squares, where the duality gap can no longer certify (like scikit-learn,
    whose Lasso warns too). Expected: certified or a ConvergenceWarning within max_iter, finite,
    with predictions equal to the least-squares ones."""
    X, y = make(10, n=25, p=4)
    Xs = X * 1e150
    est = cls(alpha=0.1, max_iter=5)
    assert_certified_or_warned(est, Xs, y)
    Xt, yt, *_ = center(X, y, normalize=False)
    w_ls = np.linalg.lstsq(Xt, yt, rcond=None)[0]
    b_ls = y.mean() - X.mean(axis=0) @ w_ls
    assert_allclose(est.predict(Xs), X @ w_ls + b_ls, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD], ids=["lasso", "enet"])
def test_mixed_feature_scales_cd(cls):
    """Columns scaled by 1e150, 1 and 1e-150 in one X, same alpha: the 1e150 columns are
    effectively unpenalized (least squares: the gap cannot certify), so a ConvergenceWarning
    is expected within max_iter; finite, valid partial result; the 1e-150 columns (far below
    their alpha_max) get exact zeros."""
    X, y = make(11, n=30, p=6)
    scales = np.array([1e150, 1.0, 1e-150, 1.0, 1e150, 1e-150])
    est = cls(alpha=0.1, max_iter=5)
    assert_certified_or_warned(est, X * scales, y)
    assert np.all(est.coef_[scales == 1e-150] == 0.0)


def test_mixed_feature_scales_ridge():
    """Columns scaled by 1e150, 1 and 1e-150 in one X: Jacobi-preconditioned conjugate
    gradient converges without warning, to the exact solution (closed form in the rescaled
    variables v = w * scale, whose penalty is alpha (v / scale)^2). The gap of the dense
    certificate is rounding noise here (|X^T R| ~ 1e150 |R|), hence the closed form."""
    X, y = make(11, n=30, p=6)
    scales = np.array([1e150, 1.0, 1e-150, 1.0, 1e150, 1e-150])
    est = RidgeGD(alpha=0.1)
    assert not fit_recording(est, X * scales, y)
    assert_finite_and_bounded(est, X * scales)
    Xt, yt, x_offset, y_offset, _ = center(X, y, normalize=False)
    v = np.linalg.solve(Xt.T @ Xt + np.diag(0.1 / scales**2), Xt.T @ yt)
    assert_allclose(est.coef_ * scales, v, rtol=1e-6, atol=1e-9 * np.abs(v).max())
    assert_allclose(est.predict(X * scales), X @ v + y_offset - x_offset @ v, rtol=1e-9)


def _polynomial(seed, high, degree=15, n=20):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, high, size=n))
    X = np.vander(x, degree + 1, increasing=True)[:, 1:]  # x, x^2, ..., x^15, unscaled
    y = 2.0 * x + 0.3 * rng.normal(size=n)
    return X, y


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_unscaled_polynomial_on_unit_interval_converges(cls):
    """Degree-15 powers of x in [0, 1] (the example's overfitting data, unscaled; condition
    number ~1e20): converges with a certificate at the default max_iter and tol."""
    X, y = _polynomial(12, 1.0)
    est = cls(alpha=1e-3)
    assert not assert_certified_or_warned(est, X, y)


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_unscaled_polynomial_extreme_conditioning(cls):
    """Degree-15 powers of x in [0, 10] (entries up to 1e15, condition number far beyond
    1/eps): certified or a ConvergenceWarning within max_iter; finite; never worse than w = 0.
    (A small max_iter keeps it fast: each outer CD iteration may run 1000 epochs.)"""
    X, y = _polynomial(13, 10.0)
    est = cls(alpha=1e-3, max_iter=10 if cls is not RidgeGD else 500)
    assert_certified_or_warned(est, X, y)


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD], ids=["lasso", "enet"])
def test_unscaled_polynomial_extreme_conditioning_default_budget(cls):
    """The same data at the default max_iter: the exact finish (feature-sign search on the
    support) ends the fit in a few iterations instead of running every CD epoch of the budget;
    certified or warned, finite, never worse than w = 0."""
    X, y = _polynomial(13, 10.0)
    est = cls(alpha=1e-3)
    assert_certified_or_warned(est, X, y)
    assert est.n_iter_ <= 50


def test_ridge_extreme_conditioning_reaches_the_svd_objective():
    """RidgeGD where conjugate gradient stalls (unscaled degree-15 powers of x in [0, 10]):
    the exact finish (an SVD of the centred design) reaches the objective of the closed-form
    solution computed independently here from numpy's SVD."""
    X, y = _polynomial(4, 10.0)
    alpha = 1e-3
    est = RidgeGD(alpha=alpha)
    assert_certified_or_warned(est, X, y)
    Xt, yt, *_ = center(X, y, normalize=False)
    U, sv, Vt = np.linalg.svd(Xt, full_matrices=False)
    w = Vt.T @ (sv / (sv**2 + alpha) * (U.T @ yt))

    def objective(coef):
        R = yt - Xt @ coef
        return R @ R + alpha * coef @ coef

    assert objective(est.coef_) <= objective(w) * (1 + 1e-6)


# ---------------------------------------------------------------------------------------------
# alpha at the extremes
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD], ids=["lasso", "enet"])
@pytest.mark.parametrize("shape", [(40, 5), (8, 20)], ids=["tall", "wide"])
def test_alpha_zero_warns_and_returns_least_squares(cls, shape):
    """alpha = 0 (as scikit-learn's Lasso(alpha=0)): a UserWarning suggesting a better-suited
    estimator, then a certified least-squares answer: on tall data the OLS predictions, on wide
    data (p > n) an interpolating one -- within the radius the OLS optimality residual
    implies."""
    X, y = make(14, *shape)
    X = np.c_[X, X[:, 0] + X[:, 1]]  # also rank deficient
    est = cls(alpha=0.0, tol=1e-12, max_iter=10_000)
    with pytest.warns(UserWarning, match="alpha=0") as record:
        est.fit(X, y)
    assert not [r for r in record if issubclass(r.category, ConvergenceWarning)]
    certify(est, X, y)
    Xt, yt, *_ = center(X, y)
    w_ls = np.linalg.lstsq(Xt, yt, rcond=None)[0]
    radius = ols_prediction_radius(Xt, yt, est.coef_)
    assert np.linalg.norm(Xt @ (est.coef_ - w_ls)) <= radius + 1e-9 * np.linalg.norm(yt)
    assert radius <= 1e-4 * np.linalg.norm(yt)
    if shape[1] > shape[0]:
        assert_allclose(est.predict(X), y, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(40, 5), (8, 20)], ids=["tall", "wide"])
def test_ridge_alpha_zero_is_least_squares(shape):
    """RidgeGD(alpha=0), like scikit-learn's Ridge(alpha=0), does not warn: conjugate gradient
    solves least squares (converging in at most rank(X) steps), and the answer's predictions
    equal the least-squares ones within the radius its normal-equation residual implies."""
    X, y = make(15, *shape)
    X = np.c_[X, X[:, 0] - X[:, 2]]
    est = RidgeGD(alpha=0.0, tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    assert_finite_and_bounded(est, X)
    Xt, yt, *_ = center(X, y, normalize=False)
    w_ls = np.linalg.lstsq(Xt, yt, rcond=None)[0]
    radius = ols_prediction_radius(Xt, yt, est.coef_)
    assert radius <= 1e-4 * np.linalg.norm(yt)
    assert np.linalg.norm(Xt @ (est.coef_ - w_ls)) <= radius + 1e-9 * np.linalg.norm(yt)


@pytest.mark.parametrize("cls", ALL, ids=IDS)
@pytest.mark.parametrize("factor", [1e3, 1e12])
def test_alpha_far_above_alpha_max(cls, factor):
    """alpha = 1e3 and 1e12 times alpha_max (Ridge: times ||X||^2): exact zeros for Lasso and
    ElasticNet, certified in one iteration, intercept = mean of y; Ridge certified with
    coefficients shrunk by ~1/factor."""
    X, y = make(16)
    if cls is RidgeGD:
        est = RidgeGD(alpha=factor * np.linalg.norm(X) ** 2, tol=1e-15)
    else:
        rho = 1.0 if cls is LassoCD else 0.5
        est = clone(cls(alpha=factor * enet_alpha_max(X, y, l1_ratio=rho)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    certify(est, X, y)
    if cls is RidgeGD:
        w, _ = ridge_exact(X, y, alpha=est.alpha)
        assert_allclose(est.coef_, w, rtol=1e-6)
    else:
        assert np.all(est.coef_ == 0.0) and est.n_iter_ == 0  # as scikit-learn's Lasso
        assert est.intercept_ == pytest.approx(y.mean(), rel=1e-12)


@pytest.mark.parametrize("cls", ALL, ids=IDS)
def test_alpha_near_float_max(cls):
    """alpha = 1e308 passes parameter validation, so it must give w = 0 with a finite gap and
    no warning (or be refused with a ValueError)."""
    X, y = make(17, n=20, p=4)
    est = cls(alpha=1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            est.fit(X, y)
        except ValueError as exc:  # a clear refusal is acceptable
            assert "alpha" in str(exc)
            return
    assert np.all(est.coef_ == 0.0)
    assert np.isfinite(est.dual_gap_)
    # the generic certificate multiplies alpha * n_samples (inf) by zero: check optimality
    # directly. Lasso/ElasticNet: w = 0 is optimal iff max|Xt^T yt| / n <= alpha * l1_ratio.
    # Ridge: the solution has norm at most |Xt^T yt| / alpha (< 1e-300): zero in practice.
    Xt, yt, *_ = center(X, y)
    if cls is RidgeGD:
        assert np.linalg.norm(Xt.T @ yt) / 1e308 < 1e-300
    else:
        assert np.abs(Xt.T @ yt).max() / len(y) <= 1e308 * est.l1_ratio
    assert_allclose(est.intercept_, y.mean())


# ---------------------------------------------------------------------------------------------
# max_iter = 1
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "est",
    [
        LassoCD(alpha=1e-3, max_iter=1, tol=1e-15),
        ElasticNetCD(alpha=1e-3, max_iter=1, tol=1e-15),
        LassoCD(alpha=1e-3, max_iter=1, tol=1e-15, selection="random", random_state=0),
        RidgeGD(alpha=1e-3, max_iter=1, tol=1e-15, solver="cg"),
        RidgeGD(alpha=1e-3, max_iter=1, tol=1e-15, solver="gd"),
        RidgeGD(alpha=1e-3, max_iter=1, tol=1e-15, solver="agd", positive=True),
    ],
    ids=["lasso", "enet", "lasso-random", "ridge-cg", "ridge-gd", "ridge-agd-positive"],
)
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("weights", [False, True])
def test_max_iter_one_returns_valid_partial_result(est, fmt, weights, monkeypatch):
    """max_iter = 1 on a problem that needs more: exactly one ConvergenceWarning, n_iter_ = 1,
    finite attributes, the reported dual_gap_ is the independent gap of the returned point, the
    intercept is optimal for it, and its objective is below that of w = 0. (Conjugate
    gradient's Cholesky start, which solves this small problem outright, is turned off: the
    partial result of the iterations is what is tested.)"""
    import sparsefit._ridge

    monkeypatch.setattr(sparsefit._ridge, "_DIRECT_MAX", 0)
    est = clone(est)
    rng = np.random.default_rng(18)
    X = rng.normal(size=(60, 40)) @ np.diag(np.logspace(0, 2, 40))
    y = X @ rng.normal(size=40) + rng.normal(size=60)
    sw = rng.uniform(0.0, 2.0, size=60) if weights else None
    Xin = X if fmt == "dense" else sp.csr_matrix(X)
    assert assert_certified_or_warned(est, X, y, sw, X_fit=Xin)
    assert est.n_iter_ == 1
    cert = independent_certificate(est, X, y, sw)
    scale = cert["yt_norm2"] / (1 if isinstance(est, RidgeGD) else len(y))
    assert abs(float(est.dual_gap_) - cert["gap"]) <= 1e-6 * cert["gap"] + 1e-12 * scale


# ---------------------------------------------------------------------------------------------
# warm start after changes
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD], ids=["lasso", "enet"])
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_warm_start_survives_every_change(cls, fmt):
    """warm_start=True across a sequence of fits that change alpha, the number of features (up
    and down), the number of targets, positive (the old coefficients have negative entries),
    the dtype, and that follow a failed max_iter=1 fit: none crashes, each is certified and has
    the predictions of a cold fit of the same problem."""
    rng = np.random.default_rng(19)
    X = rng.normal(size=(40, 60))  # wide: one outer iteration cannot finish a fit
    Y = X[:, :10] @ rng.normal(size=(10, 2)) + 0.2 * rng.normal(size=(40, 2))
    fmt_ = (lambda A: A) if fmt == "dense" else sp.csc_matrix
    warm = cls(alpha=0.01, warm_start=True, tol=1e-12, max_iter=10_000)
    steps = [
        (dict(), X, Y[:, 0]),
        (dict(alpha=0.2), X, Y[:, 0]),  # alpha changed
        (dict(), X[:, :17], Y[:, 0]),  # fewer features
        (dict(), X, Y[:, 0]),  # more features again
        (dict(), X, Y),  # two targets
        (dict(), X, Y[:, 1]),  # one target again
        (dict(positive=True), X, Y[:, 1] - 5 * X[:, 0]),  # constraint now active
        (dict(positive=False), X.astype(np.float32), Y[:, 0].astype(np.float32)),
        (dict(max_iter=1, tol=1e-16, alpha=1e-4), X, Y[:, 0]),  # fails, leaves a partial coef
        (dict(max_iter=10_000, tol=1e-12, alpha=0.05), X, Y[:, 0]),
    ]
    for params, Xk, yk in steps:
        warm.set_params(**params)
        cold = clone(warm).set_params(warm_start=False)
        if warm.max_iter == 1:
            with pytest.warns(ConvergenceWarning):
                warm.fit(fmt_(Xk), yk)
            assert np.all(np.isfinite(warm.coef_))
            continue
        assert not fit_recording(warm, fmt_(Xk), yk)
        assert_finite_and_bounded(warm, fmt_(Xk))
        float32 = Xk.dtype == np.float32
        certify(warm, Xk.astype(float), yk.astype(float), slack=1e-6 if float32 else 0.0)
        cold.fit(fmt_(Xk), yk)
        assert_allclose(
            warm.predict(fmt_(Xk)),
            cold.predict(fmt_(Xk)),
            rtol=1e-4 if float32 else 1e-6,
            atol=1e-4 if float32 else 1e-6,
        )
