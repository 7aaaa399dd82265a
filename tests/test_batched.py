"""Many targets at once: the batched active-set search that starts their fits (``_batched``).

Its points are judged by the optimality conditions written out here (not by sparsefit's
gap), and the fits it starts by the independent certificates and by scikit-learn.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import ElasticNet

import sparsefit._pipeline as pipeline
from sparsefit import ElasticNetCD, LassoCD
from sparsefit._batched import batched_starts
from sparsefit.penalties import SeparablePenalty

from ._certificates import enet_certificate


def tall_problem(seed, n=200, p=30, k=8):
    """Correlated tall data and ``k`` targets with different sparse supports, centred."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, p))
    X = Z + 0.5 * Z[:, [0]] + rng.normal(size=(1, p))
    W = rng.normal(size=(p, k)) * (rng.uniform(size=(p, k)) < 0.3)
    Y = X @ W + rng.normal(size=(n, k))
    return X, Y


def sum_form(X, Y):
    """``(G, B)`` of the centred data."""
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    return Xc.T @ Xc, Xc.T @ Yc


def kkt_violation(G, B, W, l1, l2):
    """The largest violation of the optimality conditions over every target, relative to
    ``l1``: ``b - G w - l2 w = l1 sign(w)`` on the support, ``|b - G w| <= l1`` off it."""
    grad = B.T - W @ G - l2 * W
    nz = W != 0
    viol = np.where(nz, np.abs(grad - l1 * np.sign(W)), np.maximum(np.abs(grad) - l1, 0.0))
    return viol.max() / l1


def objective(G, B, W, l1, l2):
    """``1/2 w^T G w - b^T w + l1 ||w||_1 + l2/2 ||w||^2`` of each row of ``W``."""
    quad = np.einsum("ij,jk,ik->i", W, G, W)
    return (
        0.5 * quad
        - np.einsum("ij,ji->i", W, B)
        + l1 * np.abs(W).sum(1)
        + 0.5 * l2 * (W * W).sum(1)
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("scale", [0.3, 0.03], ids=["sparse", "dense"])
def test_batched_points_meet_the_optimality_conditions(seed, l1_ratio, scale):
    X, Y = tall_problem(seed)
    G, B = sum_form(X, Y)
    p = G.shape[0]
    alpha_max = np.abs(B).max() / l1_ratio
    l1, l2 = scale * alpha_max * l1_ratio, scale * alpha_max * (1 - l1_ratio)
    pen = SeparablePenalty(np.full(p, l1), np.full(p, l2), np.full(p, -np.inf), np.full(p, np.inf))
    W, rounds, done = batched_starts(G, B, pen, np.ones(p, dtype=bool), max_rounds=50)
    # the exact solutions of every target (a point that only looks optimal would violate
    # them by far more than rounding)
    assert kkt_violation(G, B, W, l1, l2) < 1e-9
    assert done.all()
    moved = W.any(axis=1)  # (a target whose alpha_max is below l1 stays at zero)
    assert np.all(rounds[moved] >= 1) and np.all(rounds[~moved] == 0) and rounds.max() <= 50
    assert moved.sum() >= W.shape[0] // 2 and np.count_nonzero(W) < W.size


def test_batched_points_are_never_worse_than_zero():
    """Duplicated and nearly parallel columns (singular active sets), a zero column and
    targets at and beyond their alpha_max: no warning, no error, finite points whose
    objective is at most zero's."""
    X, Y = tall_problem(7, n=60, p=12, k=6)
    X = np.hstack([X, X[:, :3], X[:, 3:5] + 1e-12 * X[:, 5:7], np.zeros((60, 1))])
    Y[:, 0] = 1.0  # a constant target: zero is optimal
    G, B = sum_form(X, Y)
    p = G.shape[0]
    valid = np.diag(G) > 0
    l1 = 0.01 * np.abs(B).max()
    pen = SeparablePenalty(np.full(p, l1), np.zeros(p), np.full(p, -np.inf), np.full(p, np.inf))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        W, _, _ = batched_starts(G, B, pen, valid, max_rounds=20)
    assert np.all(np.isfinite(W))
    assert np.all(W[:, ~valid] == 0) and np.all(W[0] == 0)
    assert np.all(objective(G, B, W, l1, 0.0) <= 1e-12 * np.abs(B).max() ** 2)


def spy_on_batches(monkeypatch):
    calls = []

    def spy(*args, **kwargs):
        calls.append(args[1].shape[1])
        return batched_starts(*args, **kwargs)

    monkeypatch.setattr(pipeline, "batched_starts", spy)
    return calls


@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
def test_many_targets_are_certified_and_match_sklearn(monkeypatch, l1_ratio):
    calls = spy_on_batches(monkeypatch)
    X, Y = tall_problem(3, n=300, p=40, k=12)
    Y[:, 1] = 2.0 + 1e-3 * Y[:, 1]  # a target whose alpha_max is below alpha: all zero
    alpha = 0.05 * np.abs((X - X.mean(0)).T @ (Y[:, 0] - Y[:, 0].mean())).max() / 300
    est = ElasticNetCD(alpha=alpha, l1_ratio=l1_ratio, tol=1e-10).fit(X, Y)
    assert calls == [12]  # the batched search started them
    for k in range(Y.shape[1]):
        cert = enet_certificate(
            X, Y[:, k], est.coef_[k], est.intercept_[k], alpha=alpha, l1_ratio=l1_ratio, tol=1e-10
        )
        assert cert["gap"] <= cert["tol"]
        ref = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=100_000)
        ref.fit(X, Y[:, k])
        scale = max(np.abs(ref.coef_).max(), 1e-12)
        assert_allclose(est.coef_[k], ref.coef_, rtol=1e-5, atol=1e-5 * scale)
        assert 1 <= est.n_iter_[k] <= est.max_iter or not np.any(est.coef_[k])
    assert not np.any(est.coef_[1])


@pytest.mark.parametrize("max_iter", [1, 2, 3])
def test_batched_rounds_count_against_max_iter(max_iter):
    X, Y = tall_problem(5, n=200, p=40, k=6)
    alpha = 0.01 * np.abs((X - X.mean(0)).T @ (Y - Y.mean(0))).max() / 200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a small budget may end without a certificate)
        est = LassoCD(alpha=alpha, tol=1e-12, max_iter=max_iter).fit(X, Y)
    assert all(1 <= n <= max_iter for n in est.n_iter_)


@pytest.mark.parametrize(
    "options", [{"positive": True}, {"bounds": (-1.0, 1.0)}, {"penalty_factor": "one free"}]
)
def test_bounds_and_unpenalized_features_fit_target_by_target(monkeypatch, options):
    """The signs alone do not decide the active-set systems there: no batched search, and
    each target is still certified."""
    calls = spy_on_batches(monkeypatch)
    X, Y = tall_problem(9, n=150, p=20, k=4)
    if "penalty_factor" in options:
        options = {"penalty_factor": np.r_[0.0, np.ones(19)]}
    alpha = 0.02 * np.abs((X - X.mean(0)).T @ (Y - Y.mean(0))).max() / 150
    est = LassoCD(alpha=alpha, tol=1e-10, **options).fit(X, Y)
    assert calls == []
    assert np.all(est.dual_gap_ <= 1e-10 * ((Y - Y.mean(0)) ** 2).sum(0) / 150)
