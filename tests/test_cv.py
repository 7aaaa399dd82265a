"""Regularization paths and cross-validated estimators: lasso_path, enet_path, LassoCDCV,
ElasticNetCDCV.

* against scikit-learn (``lasso_path``, ``enet_path``, ``LassoCV``, ``ElasticNetCV``) at tight
  tolerance on both sides, dense and sparse, with and without sample weights;
* every path point and every CV refit certified with the independent duality gap / KKT
  oracle of ``_certificates.py``;
* the one-standard-error rule against a hand computation;
* metadata routing of ``groups`` to the CV splitter, validation, verbosity, convergence.

As in ``test_reference.py``: sparsefit runs at ``TOL = 1e-13`` (a gap of ``tol ||yt||^2``
only bounds the prediction error by about ``sqrt(2 tol)``, so 1e-13 is what makes the 1e-6
agreement a consequence of convergence) and scikit-learn at ``REF_TOL = 1e-14`` with a large
``max_iter``; scikit-learn's ConvergenceWarnings are turned into errors, so a comparison is
never made against an unconverged reference.
"""

import warnings
import zlib

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.linear_model import ElasticNetCV, LassoCV
from sklearn.linear_model import enet_path as sk_enet_path
from sklearn.linear_model import lasso_path as sk_lasso_path
from sklearn.model_selection import GroupKFold, KFold

from sparsefit import ElasticNetCDCV, LassoCD, LassoCDCV, enet_path, lasso_path
from sparsefit._cv import one_standard_error_index

from ._certificates import enet_certificate, enet_kkt

FORMATS = ["dense", "csr", "csc"]
TOL = 1e-13
REF_TOL = 1e-14
MAX_ITER = 100_000
N, P = 60, 6


def make_problem(seed, n=N, p=P, weights=False):
    """A well-conditioned problem (p < n, a few structural zeros, offsets, noise)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + rng.uniform(-1, 1, size=p)
    X[rng.uniform(size=X.shape) < 0.2] = 0.0
    w = rng.normal(size=p) * 2.0
    w[rng.uniform(size=p) < 0.4] = 0.0
    w[0] = 2.5  # at least one clearly positive feature (for positive=True)
    y = X @ w + 1.5 * rng.normal(size=n) + rng.uniform(-3, 3)
    sw = rng.uniform(0.2, 3.0, size=n) if weights else None
    return X, y, sw


def as_format(X, fmt):
    return X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)


def seed_of(*key):
    return zlib.crc32(repr(key).encode())


def sklearn_call(func, *args, **kwargs):
    """Run a scikit-learn reference with its ConvergenceWarnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return func(*args, **kwargs)


def assert_cv_matches(est, ref, X_test):
    assert_allclose(est.alphas_, ref.alphas_, rtol=1e-12, atol=0)
    assert est.mse_path_.shape == ref.mse_path_.shape
    assert_allclose(est.mse_path_, ref.mse_path_, rtol=1e-6, atol=0)
    assert np.isclose(est.alpha_, ref.alpha_, rtol=1e-10, atol=0), (est.alpha_, ref.alpha_)
    if hasattr(ref, "l1_ratio_") and isinstance(ref, ElasticNetCV):
        assert est.l1_ratio_ == ref.l1_ratio_
    scale = max(np.abs(ref.coef_).max(), 1e-300)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-6 * scale)
    pred, pred_ref = est.predict(X_test), ref.predict(X_test)
    assert_allclose(pred, pred_ref, rtol=1e-6, atol=1e-6 * np.abs(pred_ref).max())


# ---------------------------------------------------------------------------------------------
# CV estimators vs scikit-learn
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("weights", [False, True], ids=["sw_none", "sw_random"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_lasso_cv_matches_sklearn(fmt, weights):
    X, y, sw = make_problem(seed_of("lassocv", fmt, weights), weights=weights)
    kw = dict(alphas=15, cv=4, max_iter=MAX_ITER)
    est = LassoCDCV(tol=TOL, **kw).fit(as_format(X, fmt), y, sample_weight=sw)
    ref = sklearn_call(LassoCV(tol=REF_TOL, **kw).fit, as_format(X, fmt), y, sample_weight=sw)
    assert est.alphas_.shape == (15,) and est.mse_path_.shape == (15, 4)
    assert not hasattr(est, "l1_ratio_")  # as LassoCV
    assert_cv_matches(est, ref, X[:10] + 0.5)
    assert est.alpha_ == est.alpha_min_


@pytest.mark.parametrize("weights", [False, True], ids=["sw_none", "sw_random"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_enet_cv_l1_ratio_list_matches_sklearn(fmt, weights):
    X, y, sw = make_problem(seed_of("enetcv", fmt, weights), weights=weights)
    kw = dict(l1_ratio=[0.3, 0.7, 1.0], alphas=12, cv=3, max_iter=MAX_ITER)
    est = ElasticNetCDCV(tol=TOL, **kw).fit(as_format(X, fmt), y, sample_weight=sw)
    ref = sklearn_call(ElasticNetCV(tol=REF_TOL, **kw).fit, as_format(X, fmt), y, sample_weight=sw)
    assert est.alphas_.shape == (3, 12) and est.mse_path_.shape == (3, 12, 3)
    assert est.mse_std_path_.shape == (3, 12)
    assert_cv_matches(est, ref, X[:10] - 0.5)


@pytest.mark.parametrize(
    "options",
    [
        dict(fit_intercept=False),
        dict(positive=True),
        dict(positive=True, fit_intercept=False, l1_ratio=0.5),
        dict(l1_ratio=0.6, eps=1e-2),
    ],
    ids=repr,
)
def test_cv_options_match_sklearn(options):
    X, y, sw = make_problem(seed_of("options", sorted(options.items())), weights=True)
    kw = dict(alphas=10, cv=3, max_iter=MAX_ITER, **options)
    if "l1_ratio" in options:
        Est, Ref = ElasticNetCDCV, ElasticNetCV
    else:
        Est, Ref = LassoCDCV, LassoCV
    est = Est(tol=TOL, **kw).fit(X, y, sample_weight=sw)
    ref = sklearn_call(Ref(tol=REF_TOL, **kw).fit, X, y, sample_weight=sw)
    assert_cv_matches(est, ref, X[:10] * 1.1)
    if options.get("positive"):
        assert np.all(est.coef_ >= 0)
    if not options.get("fit_intercept", True):
        assert est.intercept_ == 0.0


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_explicit_unsorted_alphas(fmt):
    X, y, _ = make_problem(seed_of("explicit", fmt))
    alphas = [0.01, 0.5, 0.1, 0.05, 1.0]
    expected = np.array([1.0, 0.5, 0.1, 0.05, 0.01])
    est = LassoCDCV(alphas=alphas, cv=3, tol=TOL, max_iter=MAX_ITER).fit(as_format(X, fmt), y)
    ref = sklearn_call(LassoCV(alphas=alphas, cv=3, tol=REF_TOL, max_iter=MAX_ITER).fit, X, y)
    assert_array_equal(est.alphas_, expected)
    assert_cv_matches(est, ref, X[:5])
    # an explicit grid is shared by every l1_ratio (1-D alphas_, as scikit-learn)
    enet = ElasticNetCDCV(l1_ratio=[0.5, 0.9], alphas=alphas, cv=3, tol=TOL, max_iter=MAX_ITER)
    enet.fit(as_format(X, fmt), y)
    enet_ref = ElasticNetCV(
        l1_ratio=[0.5, 0.9], alphas=alphas, cv=3, tol=REF_TOL, max_iter=MAX_ITER
    )
    sklearn_call(enet_ref.fit, X, y)
    assert_array_equal(enet.alphas_, expected)
    assert enet.mse_path_.shape == (2, 5, 3)
    assert_cv_matches(enet, enet_ref, X[:5])
    # the path functions sort too
    path_alphas, coefs, _ = lasso_path(X, y, alphas=alphas, tol=TOL, max_iter=MAX_ITER)
    assert_array_equal(path_alphas, expected)
    assert coefs.shape == (P, 5)


def test_cv_splitter_forms_agree():
    """cv as an int, a KFold and a list of splits give the same folds, hence the same CV."""
    X, y, sw = make_problem(seed_of("cvforms"), weights=True)
    kw = dict(alphas=10, tol=1e-10, max_iter=MAX_ITER)
    by_int = LassoCDCV(cv=3, **kw).fit(X, y, sample_weight=sw)
    by_kfold = LassoCDCV(cv=KFold(3), **kw).fit(X, y, sample_weight=sw)
    by_list = LassoCDCV(cv=list(KFold(3).split(X)), **kw).fit(X, y, sample_weight=sw)
    for other in (by_kfold, by_list):
        assert_allclose(other.mse_path_, by_int.mse_path_, rtol=1e-12)
        assert other.alpha_ == by_int.alpha_
        assert_allclose(other.coef_, by_int.coef_, rtol=1e-12, atol=1e-14)
    # a shuffled splitter (and a generator of splits) against scikit-learn
    shuffled = KFold(4, shuffle=True, random_state=0)
    est = LassoCDCV(cv=shuffled, alphas=10, tol=TOL, max_iter=MAX_ITER)
    est.fit(X, y, sample_weight=sw)
    ref = LassoCV(cv=shuffled.split(X), alphas=10, tol=REF_TOL, max_iter=MAX_ITER)
    sklearn_call(ref.fit, X, y, sample_weight=sw)
    assert est.mse_path_.shape == (10, 4)
    assert_cv_matches(est, ref, X[:5])
    unshuffled = LassoCDCV(cv=4, alphas=10, tol=TOL, max_iter=MAX_ITER)
    unshuffled.fit(X, y, sample_weight=sw)
    assert not np.allclose(est.mse_path_, unshuffled.mse_path_, rtol=1e-3)  # other folds


# ---------------------------------------------------------------------------------------------
# paths vs scikit-learn
# ---------------------------------------------------------------------------------------------
def _sqrt_weighted(X, y, sw):
    """scikit-learn's path has no usable dense sample_weight: give it the sqrt-weighted data
    (weights normalised to sum to n), which defines the same objective."""
    if sw is None:
        return X, y
    s = np.sqrt(sw * (len(sw) / sw.sum()))
    return X * s[:, None], y * s


@pytest.mark.parametrize("positive", [False, True], ids=["signed", "positive"])
@pytest.mark.parametrize("weights", [False, True], ids=["sw_none", "sw_random"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["lasso", "enet"])
def test_path_matches_sklearn(l1_ratio, fmt, weights, positive):
    X, y, sw = make_problem(seed_of("path", l1_ratio, fmt, weights, positive), weights=weights)
    kw = dict(alphas=12, eps=1e-2, positive=positive)
    params = {} if sw is None else {"sample_weight": sw}
    if l1_ratio == 1.0:
        alphas, coefs, gaps = lasso_path(
            as_format(X, fmt), y, tol=TOL, max_iter=MAX_ITER, **kw, **params
        )
    else:
        alphas, coefs, gaps = enet_path(
            as_format(X, fmt), y, l1_ratio=l1_ratio, tol=TOL, max_iter=MAX_ITER, **kw, **params
        )
    Xr, yr = _sqrt_weighted(X, y, sw)
    if l1_ratio == 1.0:
        ref = sklearn_call(sk_lasso_path, Xr, yr, tol=REF_TOL, max_iter=MAX_ITER, **kw)
    else:
        ref = sklearn_call(
            sk_enet_path, Xr, yr, l1_ratio=l1_ratio, tol=REF_TOL, max_iter=MAX_ITER, **kw
        )
    alphas_ref, coefs_ref, _ = ref
    assert alphas.shape == (12,) and coefs.shape == (P, 12) and gaps.shape == (12,)
    assert_allclose(alphas, alphas_ref, rtol=1e-12, atol=0)
    assert np.all(np.diff(alphas) < 0)
    assert_array_equal(coefs[:, 0], 0.0)  # alpha_max
    assert np.count_nonzero(coefs[:, -1]) > 1
    for k in range(alphas.size):
        scale = max(np.abs(coefs_ref[:, k]).max(), 1e-3)
        assert_allclose(coefs[:, k], coefs_ref[:, k], rtol=1e-6, atol=1e-6 * scale)
    if positive:
        assert np.all(coefs >= 0)


def test_path_explicit_alphas_and_return_n_iter():
    X, y, _ = make_problem(seed_of("path-explicit"))
    grid = [0.3, 0.02, 1.0, 0.1]
    out = enet_path(
        X, y, l1_ratio=0.7, alphas=grid, tol=TOL, max_iter=MAX_ITER, return_n_iter=True
    )
    assert len(out) == 4
    alphas, coefs, gaps, n_iters = out
    ref_alphas, ref_coefs, _ = sklearn_call(
        sk_enet_path, X, y, l1_ratio=0.7, alphas=grid, tol=REF_TOL, max_iter=MAX_ITER
    )
    assert_array_equal(alphas, [1.0, 0.3, 0.1, 0.02])
    assert_array_equal(alphas, ref_alphas)
    assert_allclose(coefs, ref_coefs, rtol=1e-6, atol=1e-6 * np.abs(ref_coefs).max())
    assert len(n_iters) == 4 and all(int(k) >= 0 for k in n_iters)


# ---------------------------------------------------------------------------------------------
# certificates: every path point and the CV refit
# ---------------------------------------------------------------------------------------------
def assert_point_certified(
    X,
    y,
    coef,
    alpha,
    *,
    l1_ratio,
    sw,
    fit_intercept,
    positive,
    tol,
    reported_gap=None,
    intercept=None,
):
    problem = dict(
        alpha=alpha,
        l1_ratio=l1_ratio,
        sample_weight=sw,
        fit_intercept=fit_intercept,
        positive=positive,
    )
    cert = enet_certificate(X, y, coef, tol=tol, **problem)
    scale = cert["yt_norm2"] / cert["n"]
    assert cert["gap"] <= cert["tol"] + 1e-13 * scale, (alpha, cert["gap"], cert["tol"])
    if reported_gap is not None:
        assert abs(reported_gap - cert["gap"]) <= 1e-6 * abs(cert["gap"]) + 1e-10 * scale
    viol, bound = enet_kkt(X, y, coef, **problem)
    zero = np.asarray(coef) == 0
    assert np.all(viol[zero] <= bound * (1 + 1e-6) + 1e-12 * (1 + np.sqrt(scale)))
    if positive:
        assert np.all(np.asarray(coef) >= 0)
    if intercept is not None:
        if fit_intercept:
            atol = 1e-9 * (1.0 + cert["intercept_scale"])
            assert abs(float(intercept) - cert["intercept"]) <= atol
        else:
            assert intercept == 0.0
    return cert


def assert_refit_certified(est, X, y, sw):
    """A CV estimator's refit certified, with the gap and intercept it reported."""
    return assert_point_certified(
        X,
        y,
        est.coef_,
        est.alpha_,
        l1_ratio=getattr(est, "l1_ratio_", 1.0),
        sw=sw,
        fit_intercept=est.fit_intercept,
        positive=est.positive,
        tol=est.tol,
        reported_gap=est.dual_gap_,
        intercept=est.intercept_,
    )


def assert_path_certified(X, y, alphas, coefs, gaps, *, l1_ratio, sw, positive, tol):
    """Every point of a path (no intercept) certified, with the gap it reported."""
    for k, alpha in enumerate(alphas):
        assert_point_certified(
            X,
            y,
            coefs[:, k],
            alpha,
            l1_ratio=l1_ratio,
            sw=sw,
            fit_intercept=False,
            positive=positive,
            tol=tol,
            reported_gap=gaps[k],
        )


@pytest.mark.parametrize("tol", [1e-4, 1e-8])
@pytest.mark.parametrize("positive", [False, True], ids=["signed", "positive"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.4], ids=["lasso", "enet"])
def test_path_points_certified(l1_ratio, fmt, positive, tol):
    X, y, sw = make_problem(
        seed_of("cert-path", l1_ratio, fmt, positive, tol), n=50, p=15, weights=True
    )
    alphas, coefs, gaps = enet_path(
        as_format(X, fmt),
        y,
        l1_ratio=l1_ratio,
        alphas=25,
        positive=positive,
        tol=tol,
        sample_weight=sw,
    )
    assert np.count_nonzero(coefs[:, -1]) > 2
    assert_path_certified(
        X, y, alphas, coefs, gaps, l1_ratio=l1_ratio, sw=sw, positive=positive, tol=tol
    )


@pytest.mark.parametrize("positive", [False, True], ids=["signed", "positive"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["lasso", "enet"])
def test_long_path_on_the_full_gram_certified(l1_ratio, positive):
    """A path long enough for the support factorization of the full Gram matrix to live
    through many supports (features joining, a few leaving, the factor's tail refactorized):
    correlated features, most of them active at the end; every point certified."""
    rng = np.random.default_rng(seed_of("long-path", l1_ratio, positive))
    n, p = 300, 120
    Z = rng.normal(size=(n, p))
    X = Z + 0.8 * np.roll(Z, 1, axis=1) + rng.uniform(-1, 1, size=p)  # neighbours correlated
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    alphas, coefs, gaps = enet_path(
        X, y, l1_ratio=l1_ratio, alphas=40, eps=1e-4, positive=positive, tol=1e-8
    )
    assert np.count_nonzero(coefs[:, -1]) > (30 if positive else 80)
    assert_path_certified(
        X, y, alphas, coefs, gaps, l1_ratio=l1_ratio, sw=None, positive=positive, tol=1e-8
    )


@pytest.mark.parametrize("alpha_rule", ["min", "1se"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "noicpt"])
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_cv_refit_certified(fmt, fit_intercept, alpha_rule):
    X, y, sw = make_problem(
        seed_of("cert-cv", fmt, fit_intercept, alpha_rule), n=50, p=15, weights=True
    )
    for est in (
        LassoCDCV(alphas=15, cv=3, alpha_rule=alpha_rule, fit_intercept=fit_intercept),
        ElasticNetCDCV(
            l1_ratio=[0.2, 0.8],
            alphas=15,
            cv=3,
            tol=1e-8,
            positive=True,
            alpha_rule=alpha_rule,
            fit_intercept=fit_intercept,
        ),
    ):
        est.fit(as_format(X, fmt), y, sample_weight=sw)
        assert_refit_certified(est, X, y, sw)


# ---------------------------------------------------------------------------------------------
# the one-standard-error rule
# ---------------------------------------------------------------------------------------------
def test_one_standard_error_index_by_hand():
    alphas = np.array([8.0, 4.0, 2.0, 1.0, 0.5])
    mse = np.array(
        [
            [9.0, 9.0, 9.0],  # mean 9
            [4.0, 4.4, 4.6],  # mean 4.333...
            [3.6, 4.2, 4.5],  # mean 4.1
            [3.0, 4.0, 5.0],  # mean 4.0 (best); std(ddof=1) = 1, se = 1/sqrt(3) = 0.577
            [3.5, 4.2, 5.0],  # mean 4.2333...
        ]
    )
    # within 4.0 + 0.577 = 4.577: indices 1, 2, 3, 4; the largest alpha among them is 4.0
    assert one_standard_error_index(alphas, mse) == 1
    # a tighter spread at the best alpha: se = 0.1/sqrt(3) = 0.0577, threshold 4.0577
    tight = mse.copy()
    tight[3] = [3.9, 4.0, 4.1]  # mean 4.0, std 0.1
    # means 9, 4.333, 4.1, 4.0, 4.233: only index 3 is within 4.0577
    assert one_standard_error_index(alphas, tight) == 3
    # the order of the grid does not matter: the largest alpha is taken, not the first index
    order = np.array([4, 2, 0, 3, 1])
    assert alphas[order][one_standard_error_index(alphas[order], mse[order])] == 4.0


def test_one_standard_error_index_ties_and_single_fold():
    alphas = np.array([3.0, 2.0, 1.0, 0.5])
    # two alphas tie for the least mean (2.0): the first (largest alpha) is the minimum, and
    # its standard error (std [1, 3] = sqrt(2), se = 1) makes alpha=3 (mean 2.9) eligible
    mse = np.array([[2.9, 2.9], [1.0, 3.0], [2.0, 2.0], [2.5, 2.5]])
    assert one_standard_error_index(alphas, mse) == 0
    # tie with the *second* having the spread: se at the first minimum (index 1) is 0 -> the
    # rule returns the minimum itself, not index 0
    mse2 = np.array([[2.9, 2.9], [2.0, 2.0], [1.0, 3.0], [2.5, 2.5]])
    assert one_standard_error_index(alphas, mse2) == 1
    # identical means everywhere: the largest alpha
    assert one_standard_error_index(alphas, np.full((4, 3), 1.5)) == 0
    # a single fold: no standard error, the rule is the plain minimum (the first one on ties)
    single = np.array([[5.0], [2.0], [2.0], [3.0]])
    assert one_standard_error_index(alphas, single) == 1


def test_one_standard_error_rule_in_cv():
    X, y, _ = make_problem(seed_of("1se"), n=80, p=12)
    kw = dict(alphas=30, cv=5, tol=1e-12, max_iter=MAX_ITER)
    est = LassoCDCV(alpha_rule="1se", **kw).fit(X, y)
    est_min = LassoCDCV(**kw).fit(X, y)
    # same CV either way; only the refit differs
    assert_array_equal(est.mse_path_, est_min.mse_path_)
    assert_allclose(est.mse_std_path_, np.std(est.mse_path_, axis=-1, ddof=1), rtol=1e-12)
    assert est.mse_std_path_.shape == (30,)
    mean = est.mse_path_.mean(axis=1)
    best = int(np.argmin(mean))
    se = np.std(est.mse_path_[best], ddof=1) / np.sqrt(5)
    expected_1se = est.alphas_[np.flatnonzero(mean <= mean[best] + se)].max()
    assert est.alpha_min_ == est_min.alpha_ == est.alphas_[best]
    assert est.alpha_1se_ == expected_1se
    assert est.alpha_ == est.alpha_1se_ > est.alpha_min_  # a sparser model on this problem
    assert est_min.alpha_1se_ == est.alpha_1se_
    # the refit is the LassoCD solution at alpha_1se_
    ref = LassoCD(alpha=est.alpha_1se_, tol=1e-12, max_iter=MAX_ITER).fit(X, y)
    scale = np.abs(ref.coef_).max()
    assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-6 * scale)
    assert np.isclose(est.intercept_, ref.intercept_, rtol=1e-6, atol=1e-6 * abs(y).max())
    assert np.count_nonzero(est.coef_) <= np.count_nonzero(est_min.coef_)


def test_one_standard_error_rule_enet_l1_ratios():
    X, y, sw = make_problem(seed_of("1se-enet"), n=80, p=12, weights=True)
    ratios = [0.1, 0.5, 0.95]
    est = ElasticNetCDCV(l1_ratio=ratios, alphas=20, cv=4, alpha_rule="1se", tol=1e-10)
    est.fit(X, y, sample_weight=sw)
    assert est.mse_path_.shape == (3, 20, 4) and est.mse_std_path_.shape == (3, 20)
    assert_allclose(est.mse_std_path_, np.std(est.mse_path_, axis=-1, ddof=1), rtol=1e-12)
    mean = est.mse_path_.mean(axis=-1)
    r = int(np.argmin(mean.min(axis=1)))
    best = int(np.argmin(mean[r]))
    se = np.std(est.mse_path_[r, best], ddof=1) / 2.0
    within = np.flatnonzero(mean[r] <= mean[r, best] + se)
    assert est.l1_ratio_ == ratios[r]
    assert est.alpha_min_ == est.alphas_[r, best]
    assert est.alpha_1se_ == est.alphas_[r, within].max()  # within the best l1_ratio's grid
    assert est.alpha_ == est.alpha_1se_
    assert_point_certified(
        X,
        y,
        est.coef_,
        est.alpha_1se_,
        l1_ratio=est.l1_ratio_,
        sw=sw,
        fit_intercept=True,
        positive=False,
        tol=1e-10,
        intercept=est.intercept_,
    )


def test_mse_std_path_single_l1_ratio_and_default_rule():
    X, y, _ = make_problem(seed_of("std"))
    est = ElasticNetCDCV(l1_ratio=0.5, alphas=8, cv=3).fit(X, y)
    assert est.mse_path_.shape == (8, 3) and est.alphas_.shape == (8,)
    assert_allclose(est.mse_std_path_, np.std(est.mse_path_, axis=-1, ddof=1), rtol=1e-12)
    assert est.alpha_ == est.alpha_min_ <= est.alpha_1se_
    assert est.l1_ratio_ == 0.5


# ---------------------------------------------------------------------------------------------
# metadata routing
# ---------------------------------------------------------------------------------------------
def test_groups_routed_to_splitter():
    X, y, _ = make_problem(seed_of("groups"), n=60)
    groups = np.repeat(np.arange(12), 5)[np.random.default_rng(0).permutation(60)]
    kw = dict(alphas=10, tol=1e-10)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = LassoCDCV(cv=GroupKFold(3), **kw).fit(X, y, groups=groups)
        routed_w = LassoCDCV(cv=GroupKFold(3), **kw).fit(
            X, y, sample_weight=np.linspace(0.5, 2, 60), groups=groups
        )
    splits = list(GroupKFold(3).split(X, y, groups))
    explicit = LassoCDCV(cv=splits, **kw).fit(X, y)
    assert_allclose(routed.mse_path_, explicit.mse_path_, rtol=1e-12)
    assert routed.alpha_ == explicit.alpha_
    plain = LassoCDCV(cv=3, **kw).fit(X, y)
    assert not np.allclose(routed.mse_path_, plain.mse_path_, rtol=1e-3)
    explicit_w = LassoCDCV(cv=splits, **kw).fit(X, y, sample_weight=np.linspace(0.5, 2, 60))
    assert_allclose(routed_w.mse_path_, explicit_w.mse_path_, rtol=1e-12)


def test_groups_without_routing_raises():
    X, y, _ = make_problem(seed_of("groups-off"), n=30)
    groups = np.repeat(np.arange(6), 5)
    msg = "Passing extra keyword arguments to LassoCDCV.fit is only supported if"
    with sklearn.config_context(enable_metadata_routing=False):
        with pytest.raises(ValueError, match=msg):
            LassoCDCV(cv=GroupKFold(3), alphas=5).fit(X, y, groups=groups)
        with pytest.raises(ValueError, match="ElasticNetCDCV.fit is only supported if"):
            ElasticNetCDCV(cv=GroupKFold(3), alphas=5).fit(X, y, groups=groups)


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------
def test_multi_column_y_raises():
    X, y, _ = make_problem(seed_of("y2d"), n=30)
    Y = np.c_[y, 2 * y]
    for est in (LassoCDCV(alphas=5), ElasticNetCDCV(alphas=5)):
        with pytest.raises(ValueError, match="2 columns"):
            est.fit(X, Y)
    with pytest.raises(ValueError, match="1-D"):
        lasso_path(X, Y, alphas=5)
    with pytest.raises(ValueError, match="1-D"):
        enet_path(X, Y, alphas=5)


def test_column_vector_y_warns_and_works():
    X, y, _ = make_problem(seed_of("ycol"), n=40)
    flat = LassoCDCV(alphas=8, cv=3).fit(X, y)
    with pytest.warns(DataConversionWarning):
        col = LassoCDCV(alphas=8, cv=3).fit(X, y[:, None])
    assert_array_equal(col.mse_path_, flat.mse_path_)
    assert_array_equal(col.coef_, flat.coef_)
    assert col.coef_.shape == (P,) and col.predict(X).shape == (40,)


def test_l1_ratio_zero_with_automatic_grid_raises():
    X, y, _ = make_problem(seed_of("l1zero"), n=30)
    for l1_ratio in (0, 0.0, [0.0, 0.5]):
        with pytest.raises(ValueError, match="l1_ratio"):
            ElasticNetCDCV(l1_ratio=l1_ratio, alphas=5).fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio"):
        enet_path(X, y, l1_ratio=0.0, alphas=5)
    # with explicit alphas l1_ratio=0 (ridge) is allowed, and matches scikit-learn
    grid = [1.0, 0.1]
    est = ElasticNetCDCV(l1_ratio=0.0, alphas=grid, cv=3, tol=TOL, max_iter=MAX_ITER).fit(X, y)
    ref = ElasticNetCV(l1_ratio=0.0, alphas=grid, cv=3, tol=REF_TOL, max_iter=MAX_ITER)
    sklearn_call(ref.fit, X, y)
    assert_cv_matches(est, ref, X[:5])


def test_negative_alphas_raise():
    X, y, _ = make_problem(seed_of("negalpha"), n=30)
    for bad in ([1.0, -0.1], [-1.0], [0.5, np.nan]):
        with pytest.raises(ValueError, match="alphas"):
            LassoCDCV(alphas=bad, cv=3).fit(X, y)
        with pytest.raises(ValueError, match="alphas"):
            lasso_path(X, y, alphas=bad)
        with pytest.raises(ValueError, match="alphas"):
            enet_path(X, y, alphas=bad)


def test_unknown_path_params_raise():
    X, y, _ = make_problem(seed_of("params"), n=30)
    with pytest.raises(ValueError, match="foo"):
        enet_path(X, y, alphas=3, foo=1)
    with pytest.warns(FutureWarning, match="n_alphas"):  # deprecated, not unknown
        lasso_path(X, y, alphas=3, n_alphas=3)
    # the accepted ones are accepted
    enet_path(X, y, alphas=3, tol=1e-6, max_iter=50, random_state=0, selection="random")


@pytest.mark.parametrize("fmt", FORMATS)
def test_inputs_not_modified(fmt):
    X, y, sw = make_problem(seed_of("nomod", fmt), n=40, weights=True)
    Xf = as_format(np.asfortranarray(X), fmt)
    X_copy = Xf.copy()
    y_copy, sw_copy = y.copy(), sw.copy()

    def unchanged():
        if sp.issparse(Xf):
            assert_array_equal(Xf.toarray(), X_copy.toarray())
            assert_array_equal(Xf.indices, X_copy.indices)
            assert_array_equal(Xf.indptr, X_copy.indptr)
        else:
            assert_array_equal(Xf, X_copy)
        assert_array_equal(y, y_copy)
        assert_array_equal(sw, sw_copy)

    LassoCDCV(alphas=5, cv=3).fit(Xf, y, sample_weight=sw)
    unchanged()
    ElasticNetCDCV(l1_ratio=[0.5, 1.0], alphas=5, cv=3, copy_X=False).fit(Xf, y, sample_weight=sw)
    unchanged()
    lasso_path(Xf, y, alphas=5, sample_weight=sw, copy_X=False)
    unchanged()
    enet_path(Xf, y, alphas=5, precompute=True, sample_weight=sw)
    unchanged()


# ---------------------------------------------------------------------------------------------
# verbose
# ---------------------------------------------------------------------------------------------
def _lines(text):
    return [line for line in text.replace("\r", "\n").splitlines() if line.strip()]


def test_verbose_levels(capsys):
    X, y, _ = make_problem(seed_of("verbose"), n=40)
    LassoCDCV(alphas=6, cv=4, verbose=0).fit(X, y)
    lasso_path(X, y, alphas=6, verbose=0)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""

    model = LassoCDCV(alphas=6, cv=4, verbose=1).fit(X, y)
    out = capsys.readouterr()
    assert out.out == ""
    lines = _lines(out.err)
    assert len(lines) == 5, lines
    assert [line.split(" done")[0] for line in lines[:4]] == [
        f"[LassoCDCV] fold {k}/4" for k in range(1, 5)
    ]
    assert lines[4].startswith(f"[LassoCDCV] chose alpha={model.alpha_:.4g} ")

    model = ElasticNetCDCV(l1_ratio=[0.5, 1.0], alphas=6, cv=3, verbose=2).fit(X, y)
    out = capsys.readouterr()
    assert out.out == ""
    lines = _lines(out.err)
    alpha_lines = [line for line in lines if " alpha " in line]
    done_lines = [line for line in lines if " done " in line]
    assert len(alpha_lines) == 3 * 2 * 6, lines  # per fold, l1_ratio and alpha
    assert len(done_lines) == 3
    assert len(lines) == len(alpha_lines) + len(done_lines) + 1
    # every alpha line names its fold, its l1_ratio (when not the lasso) and its alpha
    for k in range(3):
        for ratio, grid in zip([0.5, 1.0], model.alphas_, strict=True):
            where = f"fold {k + 1}/3" + (", l1_ratio=0.5" if ratio < 1 else "")
            mine = [line for line in alpha_lines if f"] {where}, alpha " in line]
            assert [line.split(" = ")[1].split(":")[0] for line in mine] == [
                f"{a:.4g}" for a in grid
            ]
    assert "chose alpha=" in lines[-1] and f"l1_ratio={model.l1_ratio_:g}" in lines[-1]

    enet_path(X, y, alphas=6, verbose=2)
    out = capsys.readouterr()
    assert out.out == ""
    assert len(_lines(out.err)) == 6


# ---------------------------------------------------------------------------------------------
# convergence
# ---------------------------------------------------------------------------------------------
def _hard_problem():
    rng = np.random.default_rng(7)
    n, p = 60, 40
    base = rng.normal(size=(n, 1))
    X = 0.95 * base + 0.3 * rng.normal(size=(n, p))  # strongly correlated features
    y = X @ rng.normal(size=p) + 0.1 * rng.normal(size=n)
    return X, y


def test_max_iter_one_warns_path():
    X, y = _hard_problem()
    with pytest.warns(ConvergenceWarning):
        alphas, coefs, gaps = lasso_path(X, y, alphas=4, eps=1e-4, tol=1e-14, max_iter=1)
    assert np.all(np.isfinite(alphas)) and np.all(np.isfinite(coefs))
    assert np.all(np.isfinite(gaps))
    with pytest.warns(ConvergenceWarning):
        _, coefs, _ = enet_path(X, y, l1_ratio=0.5, alphas=4, eps=1e-4, tol=1e-14, max_iter=1)
    assert np.all(np.isfinite(coefs))


def test_max_iter_one_warns_cv():
    X, y = _hard_problem()
    with pytest.warns(ConvergenceWarning):
        est = LassoCDCV(alphas=4, eps=1e-4, cv=2, tol=1e-14, max_iter=1).fit(X, y)
    assert np.all(np.isfinite(est.mse_path_)) and np.all(np.isfinite(est.coef_))
    assert np.isfinite(est.intercept_) and np.isfinite(est.alpha_)
    assert np.all(np.isfinite(est.predict(X)))


# ---------------------------------------------------------------------------------------------
# found while writing these tests
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_positive_tiny_alpha_grid_converges(fmt):
    """scikit-learn's estimator-check data with ``positive=True``: every feature correlates
    negatively with ``y``, so ``alpha_max = 0`` and the grid is 1e-15 repeated (near-OLS
    non-negative fits). Dense data converges at once, as does scikit-learn on sparse data;
    the sparse fits must too (and without RuntimeWarnings), with the same CV errors."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(40, 3))
    X[X < 0.6] = 0
    y = (4 * rng.uniform(size=40)).astype(np.int32)
    kw = dict(alphas=10, cv=3, positive=True, max_iter=50)  # scikit-learn needs 2
    dense = LassoCDCV(**kw).fit(X, y)
    assert_array_equal(dense.alphas_, np.full(10, np.finfo(np.float64).resolution))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = LassoCDCV(**kw).fit(as_format(X, fmt), y)
    assert_allclose(est.mse_path_, dense.mse_path_, rtol=1e-6)
    assert_allclose(est.coef_, dense.coef_, atol=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "noicpt"])
def test_refit_takes_the_merged_fold_gram(fit_intercept, monkeypatch):
    """With shared fold Gram matrices the refit's Gram matrix is the merge of the folds'
    moments, not a product of X: none is formed during the fit, and the refit (weighted,
    offset columns) is certified by the independent oracle."""
    from sparsefit._data import DenseDesign

    X, y, sw = make_problem(seed_of("merged-gram", fit_intercept), n=120, p=12, weights=True)
    X = X + 5.0

    def formed(self):
        raise AssertionError("a Gram matrix formed from X")

    monkeypatch.setattr(DenseDesign, "full_gram", formed)
    est = LassoCDCV(alphas=10, cv=4, tol=1e-8, precompute=True, fit_intercept=fit_intercept)
    assert_refit_certified(est.fit(X, y, sample_weight=sw), X, y, sw)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "noicpt"])
def test_folds_are_solved_from_their_moments(fit_intercept, monkeypatch):
    """With shared fold statistics no training set is gathered and centred: the only
    problem built from rows is the refit's, and the CV errors are the plain solver's
    (``precompute=False``: every fold from its rows)."""
    import sparsefit._cv as cv_module

    X, y, sw = make_problem(seed_of("fold-moments", fit_intercept), n=120, p=12, weights=True)
    X = X + 5.0
    kw = dict(alphas=10, cv=4, tol=1e-8, fit_intercept=fit_intercept)
    plain = LassoCDCV(precompute=False, **kw).fit(X, y, sample_weight=sw)
    built = []
    original = cv_module.FitProblem

    class Counted(original):
        def __init__(self, X, *args, **kwargs):
            built.append(X.shape[0])
            super().__init__(X, *args, **kwargs)

    monkeypatch.setattr(cv_module, "FitProblem", Counted)
    est = LassoCDCV(precompute=True, **kw).fit(X, y, sample_weight=sw)
    assert built == [X.shape[0]]  # (the refit's)
    assert_allclose(est.mse_path_, plain.mse_path_, rtol=1e-9)
    assert est.alpha_ == plain.alpha_
    assert_refit_certified(est, X, y, sw)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "noicpt"])
@pytest.mark.parametrize("weights", [False, True], ids=["sw_none", "sw_random"])
def test_precompute_does_not_change_the_cv(weights, fit_intercept):
    """Shared fold Gram matrices (dense, n_train >= p, precompute 'auto' or True) are only a
    speed-up: the CV errors are those of the plain solver, with or without an intercept
    (non-centred columns, so a centred Gram would be wrong without one)."""
    X, y, sw = make_problem(seed_of("precompute", weights, fit_intercept), weights=weights)
    X = X + 3.0
    kw = dict(alphas=8, cv=3, tol=TOL, max_iter=MAX_ITER, fit_intercept=fit_intercept)
    plain = LassoCDCV(precompute=False, **kw).fit(X, y, sample_weight=sw)
    for precompute in ("auto", True):
        est = LassoCDCV(precompute=precompute, **kw).fit(X, y, sample_weight=sw)
        assert_allclose(est.mse_path_, plain.mse_path_, rtol=1e-6)
        assert est.alpha_ == plain.alpha_
