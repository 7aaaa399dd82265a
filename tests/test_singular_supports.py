"""Small wide problems whose support systems are singular (supports larger than
``n_samples``, duplicated columns): the exact finish must never take a step that raises the
objective, and the fit must match scikit-learn's objective.

The seeds are the ones on which an earlier solver accepted a point along a near-null
direction of a singular system (coefficients of order 1e15, an objective 1e13 where the
objective at ``w = 0`` is about 1) under a "did not converge" warning.
"""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from sparsefit import LassoCD, LassoCDCV

from ._certificates import assert_enet_certified, enet_objective

#: seeds of 9 x 24 Gaussian problems that blew up, and of the issue's reproducers
BLOW_UP_SEEDS = [121, 964, 1072, 1222, 1238, 1328, 1567, 1571, 1930, 1663, 496, 37]


def _problem(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(9, 24))
    y = X[:, :3] @ rng.normal(size=3) + rng.normal(size=9)
    if rng.random() < 0.5:
        X = np.asfortranarray(X)
    return X, y


def _alpha(X, y, frac):
    return frac * np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / X.shape[0]


@pytest.mark.parametrize("seed", BLOW_UP_SEEDS)
@pytest.mark.parametrize("frac", [1e-3, 1e-4])
def test_small_wide_problems_match_scikit_learn(seed, frac):
    X, y = _problem(seed)
    alpha = _alpha(X, y, frac)
    # default parameters: certified, no warning, never worse than w = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LassoCD(alpha=alpha).fit(X, y)
    assert_enet_certified(model, X, y)
    p_zero = 0.5 * np.var(y)
    assert enet_objective(X, y, model.coef_, model.intercept_, alpha=alpha) <= p_zero
    # tight tolerance: scikit-learn's objective to 1e-9 relative (or better)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tight = LassoCD(alpha=alpha, tol=1e-10).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn may not certify: its best point
        reference = Lasso(alpha=alpha, tol=1e-12, max_iter=200_000).fit(X, y)
    ours = enet_objective(X, y, tight.coef_, tight.intercept_, alpha=alpha)
    theirs = enet_objective(X, y, reference.coef_, reference.intercept_, alpha=alpha)
    assert ours <= theirs * (1 + 1e-9)


@pytest.mark.parametrize("seed, target", [(1, "sparse"), (0, "dense"), (1, "noise")])
def test_duplicated_columns_no_numerical_warning(seed, target):
    """Duplicated columns made the feature-sign search divide zero by zero (a joined feature
    whose solution is exactly zero): no RuntimeWarning may escape a fit."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 10))
    X = np.c_[X, X[:, :3]]
    if target == "sparse":
        y = X[:, 0] - 2 * X[:, 4] + 0.1 * rng.normal(size=60)
    elif target == "dense":
        y = X @ rng.normal(size=13) + rng.normal(size=60)
    else:
        y = rng.normal(size=60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LassoCDCV(cv=5).fit(X, y)
    assert np.all(np.isfinite(model.coef_))
