"""Paths on the full Gram matrix by exact steps (sparsefit._path._ExactStep): from the previous
``alpha``'s solution, the feature-sign search over every feature ends on the new solution.
Checked against scikit-learn at a tight tolerance and the independent certificates, with
the steps counted (they must serve the path), on singular designs, with factors and bounds,
and with a step that would raise the objective (it must not be kept)."""

import re
import warnings

import numpy as np
import pytest
from sklearn.linear_model import enet_path as sk_enet_path

import sparsefit._path as path_module
from sparsefit import LassoCDCV, enet_path

from ._certificates import enet_objective
from .test_cv import assert_path_certified
from .test_penalty_factors import _check_optimal


class _Counted:
    """Wraps ``_ExactStep.__call__``: how many steps were tried and how many served."""

    def __init__(self, monkeypatch):
        self.tried = self.served = 0
        call = path_module._ExactStep.__call__

        def counted(step, *args):
            out = call(step, *args)
            self.tried += 1
            self.served += out[0] is not None
            return out

        monkeypatch.setattr(path_module._ExactStep, "__call__", counted)


def correlated(seed, n=300, p=60, duplicates=0, one_hot=0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, p))
    X = Z + 0.7 * np.roll(Z, 1, axis=1)
    if duplicates:
        X[:, :duplicates] = X[:, p - duplicates :]
    if one_hot:
        X[:, :one_hot] = 0.0
        X[np.arange(n), rng.integers(0, one_hot, size=n)] = 1.0
    y = X @ (rng.normal(size=p) * (rng.random(p) < 0.5)) + rng.normal(size=n)
    return X - X.mean(axis=0), y - y.mean()


def assert_no_worse_than_sklearn(X, y, alphas, coefs, l1_ratio, positive=False):
    """Every point's objective at most scikit-learn's at a tight tolerance (rounding aside)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (its own convergence warnings at 1e-13)
        _, ref, _ = sk_enet_path(
            X, y, l1_ratio=l1_ratio, alphas=alphas, tol=1e-13, max_iter=100_000,
            positive=positive,
        )  # fmt: skip
    for k, alpha in enumerate(alphas):
        kw = dict(alpha=alpha, l1_ratio=l1_ratio)
        ours = enet_objective(X, y, coefs[:, k], 0.0, **kw)
        theirs = enet_objective(X, y, ref[:, k], 0.0, **kw)
        assert ours <= theirs * (1 + 1e-12) + 1e-15, (k, ours, theirs)


@pytest.mark.parametrize("positive", [False, True], ids=["signed", "positive"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.9, 0.3])
def test_exact_steps_serve_the_path(l1_ratio, positive, monkeypatch):
    """Nearly every ``alpha`` after the first is served by one exact step, each point
    certified and no worse than scikit-learn's (the Lasso's homotopy is turned off: its
    path would not reach the steps)."""
    monkeypatch.setattr(path_module, "homotopy_applies", lambda *args: False)
    counted = _Counted(monkeypatch)
    X, y = correlated(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alphas, coefs, gaps = enet_path(
            X, y, l1_ratio=l1_ratio, alphas=40, eps=1e-3, positive=positive, tol=1e-8
        )
    assert counted.tried == 39
    assert counted.served >= 35, counted.served
    assert np.count_nonzero(coefs[:, -1]) > 10
    assert_path_certified(
        X, y, alphas, coefs, gaps, l1_ratio=l1_ratio, sw=None, positive=positive, tol=1e-8
    )
    assert_no_worse_than_sklearn(X, y, alphas, coefs, l1_ratio, positive)


@pytest.mark.parametrize("design", ["duplicates", "one_hot"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.95, 0.5])
def test_singular_supports(design, l1_ratio, monkeypatch):
    """Duplicated columns and a one-hot block (whose columns sum to a constant, zero once
    centred): singular support systems along the path, certified, no warning."""
    monkeypatch.setattr(path_module, "homotopy_applies", lambda *args: False)
    counted = _Counted(monkeypatch)
    X, y = correlated(1, n=200, p=30, **{design: 6})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alphas, coefs, gaps = enet_path(X, y, l1_ratio=l1_ratio, alphas=30, tol=1e-8)
    assert counted.tried == 29 and counted.served > 0
    assert_path_certified(
        X, y, alphas, coefs, gaps, l1_ratio=l1_ratio, sw=None, positive=False, tol=1e-8
    )
    assert_no_worse_than_sklearn(X, y, alphas, coefs, l1_ratio)


def test_factors_bounds_and_weights(monkeypatch):
    """Unpenalized and excluded features, boxes and sample weights: every point optimal by
    the written-out conditions and no worse than L-BFGS-B's."""
    counted = _Counted(monkeypatch)
    X, y = correlated(2, n=120, p=14)
    rng = np.random.default_rng(3)
    sw = rng.uniform(0.2, 2.0, size=X.shape[0])
    pf = np.array([0.0, 0.5, 1.0, 2.0, np.inf, 1.0, 1.0, 0.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0])
    bounds = (
        np.r_[[-np.inf] * 7, [-0.2, 0.0, -1.0] * 2, -np.inf],
        np.r_[[np.inf] * 10, [0.5] * 4],
    )
    Xc = X - np.average(X, axis=0, weights=sw)
    yc = y - np.average(y, weights=sw)
    alphas, coefs, gaps = enet_path(
        Xc, yc, l1_ratio=0.8, penalty_factor=pf, bounds=bounds, alphas=15, tol=1e-10,
        sample_weight=sw,
    )  # fmt: skip
    assert counted.served >= 10, counted.served
    for k, alpha in enumerate(alphas):
        est = LassoCDCV(fit_intercept=False, tol=1e-10)  # (carries tol, fit_intercept)
        est.coef_, est.intercept_, est.dual_gap_ = coefs[:, k], 0.0, gaps[k]
        _check_optimal(est, Xc, yc, sw, alpha, 0.8, pf, bounds)


def test_a_step_that_raises_the_objective_is_not_kept(monkeypatch):
    """A step whose point is worse than the previous one (as rounding on a nearly singular
    support could make it) is refused: coordinate descent solves that ``alpha``, and the
    path is the same as without steps."""
    X, y = correlated(4, n=200, p=20)
    kw = dict(l1_ratio=0.7, alphas=12, tol=1e-10)
    _, expected, _ = enet_path(X, y, **kw)
    counted = _Counted(monkeypatch)

    def worse(G, b, w, support, penalty, **kwargs):
        return w + 0.5, None  # (every coefficient moved: a higher objective)

    monkeypatch.setattr(path_module, "path_step", worse)
    alphas, coefs, gaps = enet_path(X, y, **kw)
    assert counted.tried == 11 and counted.served == 0
    assert_path_certified(
        X, y, alphas, coefs, gaps, l1_ratio=0.7, sw=None, positive=False, tol=1e-10
    )
    np.testing.assert_allclose(coefs, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_path_scans_x_through_its_gram_matrix(value, monkeypatch):
    """A path that forms the Gram matrix (dense, tall) forms it first: its diagonal gives
    the columns' norms and shows a NaN or infinity, X itself is scanned only then (with
    ``check_array``'s message), and finite data are not scanned at all."""
    from sklearn.utils import check_array

    import sparsefit._cv as cv_module

    X, y = correlated(5, n=120, p=10)
    scans, scan = [], cv_module._assert_all_finite
    monkeypatch.setattr(cv_module, "_assert_all_finite", lambda *a: (scans.append(1), scan(*a)))
    alphas, coefs, gaps = enet_path(X, y, l1_ratio=0.5, alphas=5, tol=1e-10)
    assert scans == []
    assert_path_certified(
        X, y, alphas, coefs, gaps, l1_ratio=0.5, sw=None, positive=False, tol=1e-10
    )
    X[7, 2] = value
    with pytest.raises(ValueError) as expected:
        check_array(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=re.escape(str(expected.value))):
            enet_path(X, y, l1_ratio=0.5, alphas=5)
    assert scans == [1]


def _record_predictions(monkeypatch):
    """Wraps ``_ExactStep._predicted_joins`` (called once per step, in the order of the
    path): its output at each call."""
    made, predict = [], path_module._ExactStep._predicted_joins

    def recorded(step, penalty, w, coords):
        out = predict(step, penalty, w, coords)
        made.append(out)
        return out

    monkeypatch.setattr(path_module._ExactStep, "_predicted_joins", recorded)
    return made


def test_predicted_joins_are_exact_on_an_orthogonal_design(monkeypatch):
    """Orthogonal centred columns (``X^T X = n I``): the Lasso solution is soft-thresholding,
    ``w_j = sign(b_j) max(|b_j| - alpha, 0)`` with ``b = X^T y / n``, so the correlations
    are linear in ``alpha`` on every stretch and the features predicted to join at each
    ``alpha`` (from the third on) are exactly those with ``alpha < |b_j| <= the previous
    alpha``, with the signs of ``b_j``."""
    monkeypatch.setattr(path_module, "homotopy_applies", lambda *args: False)
    made = _record_predictions(monkeypatch)
    rng = np.random.default_rng(7)
    n, p = 200, 40
    Z = rng.normal(size=(n, p))
    X, _ = np.linalg.qr(Z - Z.mean(axis=0))  # (orthonormal, and centred: in 1's complement)
    X *= np.sqrt(n)
    y = X @ (rng.normal(size=p) * (rng.random(p) < 0.6)) + rng.normal(size=n)
    y -= y.mean()
    b = X.T @ y / n
    alphas, coefs, gaps = enet_path(X, y, l1_ratio=1.0, alphas=30, eps=1e-2, tol=1e-12)
    assert len(made) == alphas.size - 1  # (every alpha after the first)
    assert sum(out is not None for out in made) >= 5
    for i, out in enumerate(made[1:], start=2):
        expected = ((np.abs(b) > alphas[i]) & (np.abs(b) <= alphas[i - 1])).nonzero()[0]
        J, signs = (np.zeros(0, dtype=int), np.zeros(0)) if out is None else out
        assert sorted(J.tolist()) == expected.tolist(), (i, J, expected)
        np.testing.assert_array_equal(signs, np.sign(b[J]))
    assert_path_certified(
        X, y, alphas, coefs, gaps, l1_ratio=1.0, sw=None, positive=False, tol=1e-12
    )


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_wrong_predictions_cost_rounds_only(l1_ratio, monkeypatch):
    """Predictions that are mostly wrong (every feature at zero, with random signs) leave
    the path as it is: each step drops or keeps them by its own search, every point is
    certified and no worse than scikit-learn's, and the steps still serve the path."""
    monkeypatch.setattr(path_module, "homotopy_applies", lambda *args: False)
    rng = np.random.default_rng(11)

    def everything(step, penalty, w, coords):
        idx = coords[w[coords] == 0.0]
        return (idx, rng.choice([-1.0, 1.0], size=idx.size)) if idx.size else None

    monkeypatch.setattr(path_module._ExactStep, "_predicted_joins", everything)
    counted = _Counted(monkeypatch)
    X, y = correlated(8, n=200, p=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alphas, coefs, gaps = enet_path(X, y, l1_ratio=l1_ratio, alphas=20, tol=1e-10)
    assert counted.served >= 15, counted.served
    assert_path_certified(
        X, y, alphas, coefs, gaps, l1_ratio=l1_ratio, sw=None, positive=False, tol=1e-10
    )
    assert_no_worse_than_sklearn(X, y, alphas, coefs, l1_ratio)
