"""What scikit-learn's own test modules found (issue 15), each fixed and tested here.

The conformance run (``conformance/run.py``) runs scikit-learn's tests themselves; these tests
pin the fixes in the suite, against scikit-learn's answers, closed forms and the certificates
of ``_certificates``, without needing the conformance runner.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNetCV, LinearRegression, Ridge, RidgeCV

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

from ._certificates import assert_enet_certified, assert_ridge_certified


def _data(n=40, p=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X[:, :4] @ rng.normal(size=4) + 0.3 * rng.normal(size=n)
    return X, y


# -- fit(..., check_input=False) --------------------------------------------------------------
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_check_input_false_same_fit(order, dtype):
    X, y = _data()
    X = np.asarray(X, dtype=dtype, order=order)
    a = ElasticNetCD(alpha=0.05, l1_ratio=0.7).fit(X, y)
    b = ElasticNetCD(alpha=0.05, l1_ratio=0.7).fit(X, y, check_input=False)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.intercept_ == b.intercept_ and b.n_features_in_ == X.shape[1]
    assert_enet_certified(b, X, y, slack=1e-6 if dtype == np.float32 else 0.0)


def test_check_input_false_sparse_and_lasso():
    X, y = _data()
    X[np.abs(X) < 0.8] = 0.0
    Xs = sp.csc_matrix(X)
    a = LassoCD(alpha=0.02).fit(Xs, y)
    b = LassoCD(alpha=0.02).fit(Xs, y, check_input=False)
    np.testing.assert_array_equal(a.coef_, b.coef_)


@pytest.mark.parametrize(
    "X", [[[0.0, 1.0], [1.0, 0.0], [2.0, 1.0]], np.array([[0, 1], [1, 0], [2, 1]])]
)
def test_check_input_false_refuses_unvalidated_x(X):
    """A list or an integer array is not what validation returns: a clear error, not a
    wrong answer."""
    with pytest.raises(ValueError, match="check_input=False"):
        LassoCD(alpha=0.1).fit(X, [1.0, 2.0, 3.0], check_input=False)


def test_check_input_false_still_checks_lengths():
    X, y = _data()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LassoCD(alpha=0.1).fit(X, y[:-1], check_input=False)


# -- warm starts and n_iter_ ------------------------------------------------------------------
@pytest.mark.parametrize("Est", [LassoCD, ElasticNetCD])
def test_warm_refit_from_the_solution_runs_no_iteration(Est):
    """As in scikit-learn, the gap is checked before the first iteration: a warm refit from
    a certified solution runs none."""
    X, y = _data()
    model = Est(alpha=0.05, warm_start=True, tol=1e-8).fit(X, y)
    assert model.n_iter_ >= 1
    coef = model.coef_.copy()
    model.fit(X, y)
    assert model.n_iter_ == 0
    np.testing.assert_array_equal(model.coef_, coef)
    assert_enet_certified(model, X, y)


# -- explicit alpha grids ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "fit",
    [
        lambda X, y, alphas: LassoCDCV(alphas=alphas, cv=3).fit(X, y),
        lambda X, y, alphas: ElasticNetCDCV(alphas=alphas, cv=3).fit(X, y),
        lambda X, y, alphas: lasso_path(X, y, alphas=alphas),
        lambda X, y, alphas: enet_path(X, y, alphas=alphas),
    ],
)
def test_alphas_entries_validated_as_scikit_learn(fit):
    X, y = _data()
    with pytest.raises(ValueError, match=r"alphas\[1\] == -1, must be >= 0.0"):
        fit(X, y, [1.0, -1, 0.5])
    with pytest.raises(TypeError, match=r"alphas\[1\] must be an instance of float"):
        fit(X, y, [1.0, "1", 0.5])
    with pytest.raises(ValueError, match=r"alphas\[0\] == inf, must be finite"):
        fit(X, y, [np.inf, 1.0])


# -- accuracy at the edges --------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_enet_alpha0_matches_least_squares_with_weights(seed):
    """Acceptance 4: on an ill-conditioned design (effective rank 10) with weights,
    ElasticNetCD(alpha=0, tol=1e-15) predicts as LinearRegression to 1e-7."""
    X, y = make_regression(n_samples=300, n_features=100, effective_rank=10, random_state=seed)
    sw = np.random.default_rng(seed).uniform(0.5, 2.0, size=300)
    with pytest.warns(UserWarning, match="With alpha=0"):
        model = ElasticNetCD(alpha=0.0, tol=1e-15).fit(X, y, sample_weight=sw)
    reference = LinearRegression().fit(X, y, sample_weight=sw).predict(X)
    np.testing.assert_allclose(model.predict(X), reference, rtol=1e-7, atol=1e-7 * np.abs(y).max())


def test_enet_cv_weighted_mse_path_matches_scikit_learn():
    """Acceptance 4: with sample weights, ElasticNetCDCV's mse_path_ is scikit-learn's to
    1e-7 (both solved to a tolerance far below 1e-7; at the default tol=1e-4 scikit-learn's
    own path moves by 1e-4 relative)."""
    X, y = make_regression(n_samples=100, n_features=20, noise=5.0, random_state=0)
    sw = np.random.default_rng(0).integers(1, 4, size=100).astype(float)
    ours = ElasticNetCDCV(cv=5, l1_ratio=[0.5, 1.0], tol=1e-10).fit(X, y, sample_weight=sw)
    ref = ElasticNetCV(cv=5, l1_ratio=[0.5, 1.0], tol=1e-12, max_iter=100_000)
    ref.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-7)
    assert ours.alpha_ == pytest.approx(ref.alpha_) and ours.l1_ratio_ == ref.l1_ratio_


def test_dual_gap_is_scikit_learns_formula():
    """``dual_gap_`` is the gap of scikit-learn's formulation at the returned point (dual
    point: the residual, rescaled into the dual feasible set), shown where the gap is far
    above rounding (one outer iteration, loose tolerance)."""
    X, y = _data(n=50, p=200)
    n = y.size
    alpha = 0.01 * np.max(np.abs(X.T @ y)) / n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LassoCD(alpha=alpha, fit_intercept=False, tol=1e-1, max_iter=1).fit(X, y)
    w = model.coef_
    R = y - X @ w
    primal = 0.5 * np.mean(R**2) + alpha * np.abs(w).sum()
    theta = R / max(1.0, np.max(np.abs(X.T @ R)) / (n * alpha))
    dual = 0.5 * (np.mean(y**2) - np.mean((y - theta) ** 2))
    assert primal - dual > 1e-6 * primal  # far above rounding
    np.testing.assert_allclose(model.dual_gap_, primal - dual, rtol=1e-10)


# -- ridge -------------------------------------------------------------------------------------
def test_ridge_alpha_per_target_matches_scikit_learn():
    X, y = _data()
    Y = np.c_[y, 2 * y + 1.0, -y]
    alphas = np.array([0.1, 10.0, 1000.0])
    ours = RidgeGD(alpha=alphas, tol=1e-12).fit(X, Y)
    ref = Ridge(alpha=alphas, solver="svd").fit(X, Y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-8)
    assert_ridge_certified(ours, X, Y)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_alpha0_wide_is_minimum_norm(fit_intercept):
    """No penalty and more features than samples: the minimum-norm least-squares solution
    (scikit-learn's Ridge(alpha=0) answer), from the pseudo-inverse."""
    X, y = _data(n=15, p=40)
    model = RidgeGD(alpha=0.0, fit_intercept=fit_intercept).fit(X, y)
    Xc, yc = (X - X.mean(0), y - y.mean()) if fit_intercept else (X, y)
    np.testing.assert_allclose(model.coef_, np.linalg.pinv(Xc) @ yc, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [1e-3, 1.0])
def test_ridge_positive_with_collinear_columns(fit_intercept, alpha):
    """Two collinear columns (identical once centred) with positive=True: the exact finish
    of a bounded ridge meets a singular, empty support system and keeps the certified
    point (it used to crash in BLAS). scikit-learn's positive Ridge gives zeros here."""
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    y = X @ np.array([1.0, -10.0]) + (20.0 if fit_intercept else 0.0)
    model = RidgeGD(alpha=alpha, positive=True, fit_intercept=fit_intercept).fit(X, y)
    assert np.all(model.coef_ >= 0)
    assert_ridge_certified(model, X, y)


@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_cv_loo_wide_small_alpha_matches_scikit_learn(weighted):
    """Leave-one-out on wide data with an intercept (features offset by about 5) at tiny
    alphas: the intercept's direction is removed from the kernel's eigenbasis exactly (its
    rounding-level eigenvalue divided by alpha^2 used to move the weighted leave-one-out
    errors by several times their size)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(10, 50)) + 5 * rng.normal(size=50)
    y = X[:, :3] @ rng.normal(size=3) + 0.1 * rng.normal(size=10)
    sw = rng.uniform(0.5, 2.0, size=10) if weighted else None
    kw = dict(alphas=[1e-7, 1e-5, 1e-3], store_cv_results=True, scoring="neg_mean_squared_error")
    ours = RidgeGDCV(**kw).fit(X, y, sample_weight=sw)
    ref = RidgeCV(gcv_mode="svd", **kw).fit(X, y, sample_weight=sw)
    scale = np.abs(ref.cv_results_).max()
    np.testing.assert_allclose(ours.cv_results_, ref.cv_results_, rtol=0, atol=1e-5 * scale)
    assert ours.alpha_ == ref.alpha_


@pytest.mark.parametrize("cv", [None, 3])
def test_ridge_cv_sets_n_iter(cv):
    X, y = _data()
    model = RidgeGDCV(alphas=[0.1, 1.0], cv=cv).fit(X, y)
    assert isinstance(model.n_iter_, int) and model.n_iter_ >= 0
    assert RidgeGDCV(alphas=[0.0], cv=3).fit(X, y).n_iter_ >= 0


# -- warnings point at the caller --------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda X, y: LassoCD(alpha=1e-4, max_iter=1, tol=1e-14).fit(X, y),
        lambda X, y: lasso_path(X, y, alphas=[1e-4], max_iter=1, tol=1e-14),
        lambda X, y: enet_path(X, y, alphas=[1e-4], max_iter=1, tol=1e-14),
        lambda X, y: LassoCDCV(alphas=[1e-4], cv=2, max_iter=1, tol=1e-14).fit(X, y),
    ],
)
def test_convergence_warning_points_at_the_callers_line(call):
    """The ConvergenceWarning's stacklevel names the user's line (here: this file), for a
    fit, a path and a cross-validation alike."""
    X, y = _data(n=30, p=200, seed=5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(X, y)
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert convergence, "the setting must not converge in one iteration"
    assert {w.filename for w in convergence} == {__file__}
