"""sparsefit estimators inside scikit-learn tools behave like the estimators they replace."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sparsefit import ElasticNetCD, LassoCD, RidgeGD

from ._certificates import assert_enet_certified, assert_ridge_certified


@pytest.fixture(scope="module")
def line_data():
    """y = 2x + 1 + noise on [0, 10]: a degree-15 polynomial overfits it badly."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, size=40)
    y = 2 * x + 1 + rng.normal(size=40)
    return x[:, None], y


CASES = [
    # (ours, reference, alpha grid); both sides at a tight tolerance
    (
        LassoCD(tol=1e-10, max_iter=100_000),
        Lasso(tol=1e-10, max_iter=1_000_000),
        [1e-3, 1e-2, 0.1, 0.3, 1.0],
    ),
    (
        ElasticNetCD(tol=1e-10, max_iter=100_000),
        ElasticNet(tol=1e-10, max_iter=1_000_000),
        [1e-3, 1e-2, 0.1, 0.3, 1.0],
    ),
    (RidgeGD(tol=1e-10), Ridge(), [1e-3, 1e-2, 0.1, 1.0, 10.0]),
]


def grid_search(est, grid, X, y):
    step = type(est).__name__.lower()
    pipe = make_pipeline(PolynomialFeatures(15), StandardScaler(), est)
    gs = GridSearchCV(pipe, {f"{step}__alpha": grid}, cv=5, n_jobs=2)
    return gs.fit(X, y), step


@pytest.mark.parametrize("ours, ref, grid", CASES, ids=["lasso", "enet", "ridge"])
def test_grid_search_picks_the_same_alpha(ours, ref, grid, line_data):
    X, y = line_data
    gs_ours, step_ours = grid_search(ours, grid, X, y)
    gs_ref, step_ref = grid_search(ref, grid, X, y)
    scores = gs_ours.cv_results_["mean_test_score"]
    scores_ref = gs_ref.cv_results_["mean_test_score"]
    assert_allclose(scores, scores_ref, rtol=0, atol=1e-6)
    assert gs_ours.best_params_[f"{step_ours}__alpha"] == gs_ref.best_params_[f"{step_ref}__alpha"]
    # the grid is informative: the scores differ across alphas by far more than 1e-6
    assert np.ptp(scores_ref) > 1e-3
    # the refitted model is certified on the data it actually saw (after the transformers)
    best = gs_ours.best_estimator_
    Z = best[:-1].transform(X)
    model = best[-1]
    if isinstance(model, RidgeGD):
        assert_ridge_certified(model, Z, y)
    else:
        assert_enet_certified(model, Z, y)
    assert_allclose(
        best.predict(X), gs_ref.best_estimator_.predict(X), rtol=1e-6, atol=1e-6 * np.abs(y).max()
    )


def test_select_from_model_selects_the_same_features():
    rng = np.random.default_rng(1)
    n, p = 60, 25
    X = rng.normal(size=(n, p))
    w = np.zeros(p)
    w[[1, 4, 7, 12, 20]] = [3.0, -2.0, 1.5, 2.5, -1.0]
    y = X @ w + 0.5 * rng.normal(size=n)
    alpha = 0.1
    ours = SelectFromModel(LassoCD(alpha=alpha, tol=1e-12, max_iter=10_000)).fit(X, y)
    ref = SelectFromModel(Lasso(alpha=alpha, tol=1e-12, max_iter=1_000_000)).fit(X, y)
    # "Lasso" in the class name gives the 1e-5 default threshold, as for sklearn's Lasso
    assert ours.threshold_ == ref.threshold_ == 1e-5
    support = ours.get_support()
    assert np.array_equal(support, ref.get_support())
    assert 0 < support.sum() < p
    assert set(np.flatnonzero(w)) <= set(np.flatnonzero(support))
    assert_enet_certified(ours.estimator_, X, y)
    assert np.array_equal(ours.transform(X), ref.transform(X))


def test_pipeline_with_sample_weight_routing(line_data):
    """Pipeline.fit(..., step__sample_weight=s) reaches the estimator (no routing needed)."""
    X, y = line_data
    sw = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y))
    pipe = make_pipeline(StandardScaler(), LassoCD(alpha=0.05, tol=1e-12))
    pipe.fit(X, y, lassocd__sample_weight=sw)
    ref = make_pipeline(StandardScaler(), Lasso(alpha=0.05, tol=1e-13, max_iter=100_000))
    ref.fit(X, y, lasso__sample_weight=sw)
    assert_allclose(pipe.predict(X), ref.predict(X), rtol=1e-6)
    assert_enet_certified(pipe[-1], pipe[0].transform(X), y, sw)
