"""Behaviours that must be scikit-learn's: the user-supplied Gram matrix, metadata routing
of RidgeGDCV, the path functions' deprecated parameters, the CV attributes' types and
shapes, and parallel folds that change nothing but the time."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import ElasticNet, ElasticNetCV, LassoCV, RidgeCV
from sklearn.model_selection import GroupKFold

from sparsefit import (
    ElasticNetCD,
    ElasticNetCDCV,
    LassoCD,
    LassoCDCV,
    RidgeGDCV,
    enet_path,
    lasso_path,
)
from sparsefit.penalties import L1, L1L2

from ._certificates import assert_enet_certified


def _data(n=40, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + rng.normal(size=p)
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    return X, y


# -- a user-supplied Gram matrix -------------------------------------------------------------
@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD])
def test_wrong_gram_is_refused(cls):
    """Same diagonal, wrong matrix: scikit-learn's ValueError, not a wrong answer."""
    X, y = _data()
    wrong = X[:, ::-1].T @ X[:, ::-1]
    assert np.allclose(np.diag(wrong)[::-1], np.diag(X.T @ X))
    with pytest.raises(ValueError, match="Gram matrix.*did not pass validation"):
        cls(alpha=0.1, precompute=wrong, fit_intercept=False).fit(X, y)
    with pytest.raises(ValueError, match="Gram matrix.*did not pass validation"):
        enet_path(X, y, alphas=3, precompute=wrong)
    right = cls(alpha=0.1, precompute=X.T @ X, fit_intercept=False).fit(X, y)
    plain = cls(alpha=0.1, fit_intercept=False, tol=right.tol).fit(X, y)
    assert_enet_certified(right, X, y)
    np.testing.assert_allclose(right.coef_, plain.coef_, rtol=1e-6, atol=1e-9)


def test_gram_of_weighted_centred_data_is_used():
    """scikit-learn's convention: the Gram of the centred data, rows scaled by the square
    roots of the weights normalized to sum to n_samples (its own test's data)."""
    X, y = _data(seed=1)
    sw = np.random.default_rng(0).lognormal(size=y.shape)
    w_norm = sw * (y.shape[0] / sw.sum())
    X_c = X - np.average(X, axis=0, weights=w_norm)
    X_r = X_c * np.sqrt(w_norm)[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # centred data: no "recomputing" warning
        ours = ElasticNetCD(alpha=0.01, precompute=X_r.T @ X_r, tol=1e-10)
        ours.fit(X_c, y, sample_weight=sw)
    theirs = ElasticNet(alpha=0.01, precompute=X_r.T @ X_r, tol=1e-10).fit(X_c, y, sw)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6)


def test_recomputing_warning_only_when_data_need_centring():
    X, y = _data(seed=2)
    G = X.T @ X
    with pytest.warns(UserWarning, match="Gram matrix was provided but X was centered"):
        ElasticNetCD(alpha=0.1, precompute=G).fit(X, y)
    Xc = X - X.mean(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ElasticNetCD(alpha=0.1, precompute=Xc.T @ Xc).fit(Xc, y)  # already centred
        ElasticNetCD(alpha=0.1, precompute=G, fit_intercept=False).fit(
            X, y, sample_weight=np.ones(len(y))
        )


def test_cv_accepts_a_gram_matrix_as_scikit_learn():
    X, y = _data(seed=3)
    for cls, ref in [(LassoCDCV, LassoCV)]:
        with pytest.warns(UserWarning, match="recomputing Gram matrix"):
            ours = cls(cv=3, precompute=X.T @ X).fit(X, y)
        with pytest.warns(UserWarning, match="recomputing Gram matrix"):
            theirs = ref(cv=3, precompute=X.T @ X).fit(X, y)
        assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    # without intercept the matrix is checked against the data, and used for the refit
    with pytest.raises(ValueError, match="did not pass validation"):
        LassoCDCV(cv=3, precompute=X[:, ::-1].T @ X[:, ::-1], fit_intercept=False).fit(X, y)
    gram = X.T @ X
    model = LassoCDCV(cv=3, precompute=gram, fit_intercept=False).fit(X, y)
    assert model.precompute is gram  # not replaced
    assert_enet_certified(LassoCD(alpha=model.alpha_, fit_intercept=False).fit(X, y), X, y)


# -- RidgeGDCV metadata routing ----------------------------------------------------------------
@pytest.fixture
def routing():
    sklearn.set_config(enable_metadata_routing=True)
    yield
    sklearn.set_config(enable_metadata_routing=False)


def test_ridge_cv_routes_groups_and_weights(routing):
    X, y = _data(n=30, p=4, seed=4)
    groups = np.repeat(np.arange(6), 5)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=30)
    for kwargs, fit_params in [
        ({"cv": GroupKFold(3)}, {"groups": groups}),
        ({"cv": 5}, {"sample_weight": sw}),
        ({}, {"sample_weight": sw}),
    ]:
        ours = RidgeGDCV(alphas=(0.01, 0.1, 1.0, 10.0), **kwargs).fit(X, y, **fit_params)
        theirs = RidgeCV(alphas=(0.01, 0.1, 1.0, 10.0), **kwargs).fit(X, y, **fit_params)
        assert ours.alpha_ == theirs.alpha_
        assert ours.best_score_ == pytest.approx(theirs.best_score_, rel=1e-8)


def test_ridge_cv_extra_fit_params_need_routing():
    X, y = _data(n=30, p=4, seed=4)
    with pytest.raises(ValueError, match="only supported if enable_metadata_routing=True"):
        RidgeGDCV(cv=GroupKFold(3)).fit(X, y, groups=np.repeat(np.arange(6), 5))


# -- the path functions ------------------------------------------------------------------------
@pytest.mark.parametrize("path", [lasso_path, enet_path])
def test_path_deprecated_grid_parameters(path):
    X, y = _data(seed=5)
    reference = path(X, y, alphas=5)[0]
    with pytest.warns(FutureWarning, match="'n_alphas' was deprecated"):
        alphas = path(X, y, n_alphas=5)[0]
    np.testing.assert_array_equal(alphas, reference)
    with pytest.warns(FutureWarning, match="'alphas=None' is deprecated"):
        assert path(X, y, alphas=None)[0].shape == (100,)


def test_path_with_several_targets_points_to_the_multitask_estimators():
    X, y = _data(seed=6)
    with pytest.raises(ValueError, match="MultiTaskElasticNet"):
        lasso_path(X, np.c_[y, y])


# -- CV attributes -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "ours, theirs, kwargs",
    [
        (LassoCDCV, LassoCV, {"alphas": [0.1]}),
        (ElasticNetCDCV, ElasticNetCV, {"alphas": [0.1], "l1_ratio": [0.5, 1.0]}),
        (ElasticNetCDCV, ElasticNetCV, {"alphas": [0.1, 0.2], "l1_ratio": [0.5, 1.0]}),
        (ElasticNetCDCV, ElasticNetCV, {"alphas": 3, "l1_ratio": [0.5, 1.0]}),
        (LassoCDCV, LassoCV, {"alphas": 4}),
    ],
)
def test_cv_attribute_shapes_and_types(ours, theirs, kwargs):
    X, y = _data(seed=7)
    a = ours(cv=3, **kwargs).fit(X, y)
    b = theirs(cv=3, **kwargs).fit(X, y)
    assert a.mse_path_.shape == b.mse_path_.shape
    assert a.alphas_.shape == b.alphas_.shape
    assert type(a.alpha_) is type(b.alpha_) is np.float64
    if hasattr(b, "l1_ratio_"):
        assert type(a.l1_ratio_) is type(b.l1_ratio_)


# -- parallel folds --------------------------------------------------------------------------
@pytest.mark.parametrize("selection", ["cyclic", "random"])
def test_parallel_folds_change_nothing(selection):
    X, y = _data(n=60, p=30, seed=8)
    kwargs = dict(cv=4, alphas=8, l1_ratio=[0.5, 1.0], selection=selection, random_state=0)
    one = ElasticNetCDCV(**kwargs, n_jobs=1).fit(X, y)
    two = ElasticNetCDCV(**kwargs, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(one.mse_path_, two.mse_path_)
    np.testing.assert_array_equal(one.coef_, two.coef_)
    assert one.alpha_ == two.alpha_ and one.l1_ratio_ == two.l1_ratio_


# -- penalties as functions ----------------------------------------------------------------------
@pytest.mark.parametrize("penalty", [L1(0.1, positive=True), L1L2(0.1, 0.5, positive=True)])
def test_positive_penalty_is_infinite_outside_its_domain(penalty):
    assert penalty([1.0, -2.0, 0.0, 3.0]) == np.inf
    assert np.isfinite(penalty([1.0, 2.0, 0.0, 3.0]))
