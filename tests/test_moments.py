"""Pairwise-merged moments (sparsefit._moments) against direct, exactly rounded references."""

import math

import numpy as np
import pytest

from sparsefit._moments import Moments, merge_all


def exact_moments(Z, s):
    """Weighted means by math.fsum (exactly rounded, then refined), and the cross-products of
    the rows centred by them."""
    W = math.fsum(s)
    mean = np.array([math.fsum(s * Z[:, j]) / W for j in range(Z.shape[1])])
    mean += np.array([math.fsum(s * (Z[:, j] - mean[j])) / W for j in range(Z.shape[1])])
    D = (Z - mean) * np.sqrt(s)[:, None]
    return W, mean, D.T @ D


def blocks(n, sizes):
    edges = np.concatenate([[0], np.cumsum(sizes)])
    assert edges[-1] == n
    return list(zip(edges[:-1], edges[1:], strict=True))


@pytest.mark.parametrize("offset", [0.0, 1e6, -3e8])
@pytest.mark.parametrize("weighted", [False, True])
def test_merged_moments_match_the_exact_ones(offset, weighted):
    rng = np.random.default_rng(0)
    n = 1000
    Z = rng.normal(size=(n, 5))
    Z[:, 0] += offset
    Z[:, 3] = 0.5 * Z[:, 3] + 2.0
    s = rng.uniform(0.1, 2.0, n) if weighted else np.ones(n)
    parts = [
        Moments.of_rows(Z[a:b], s[a:b] if weighted else None)
        for a, b in blocks(n, [1, 36, 200, 63, 0, 300, 400])
    ]
    M = merge_all(parts)
    W, mean, C = exact_moments(Z, s)
    assert M.count == n and M.weight == pytest.approx(W, rel=1e-14)
    scale = np.sqrt(np.outer(np.diag(C), np.diag(C)))
    assert np.max(np.abs(M.cross - C) / scale) < 1e-13
    assert np.max(np.abs(M.means - mean) / (np.abs(mean) + 1.0)) < 1e-15
    np.testing.assert_allclose(M.diag, np.diag(C), rtol=1e-13)
    if offset:
        # raw moments sum(s z z^T) - W m m^T lose the offset's digits: the test can tell
        raw = (Z * s[:, None]).T @ Z - W * np.outer(mean, mean)
        assert abs(raw[0, 0] - C[0, 0]) / C[0, 0] > 1e-9


def test_uncentred_and_column_modes():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(300, 4)) + 3.0
    s = rng.uniform(0.5, 1.5, 300)
    raw = merge_all(
        [Moments.of_rows(Z[a:b], s[a:b], centred=False) for a, b in blocks(300, [100, 200])]
    )
    np.testing.assert_allclose(raw.cross, (Z * s[:, None]).T @ Z, rtol=1e-13)
    assert not np.any(raw.means)
    cols = np.array([3])
    part = merge_all(
        [Moments.of_rows(Z[a:b], s[a:b], columns=cols) for a, b in blocks(300, [7, 293])]
    )
    _, _, C = exact_moments(Z, s)
    np.testing.assert_allclose(part.cross, C[:, cols], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(part.diag, np.diag(C), rtol=1e-13)


def test_zero_weight_rows_count_but_weigh_nothing():
    Z = np.arange(12.0).reshape(6, 2)
    a = Moments.of_rows(Z[:3], np.zeros(3))
    b = Moments.of_rows(Z[3:], np.ones(3))
    M = a + b
    assert M.count == 6 and M.weight == 3.0
    np.testing.assert_allclose(M.means, Z[3:].mean(axis=0))
    with pytest.raises(ValueError, match="no moments"):
        merge_all([])


def test_least_squares_statistics_and_validation_errors():
    """The Gram-only statistics equal those of the centred, sqrt-weighted data, and the
    validation error of a model from the moments equals the weighted mean squared error."""
    rng = np.random.default_rng(2)
    n, p = 400, 6
    X = rng.normal(size=(n, p)) + 50.0
    y = rng.normal(size=n) + 7.0
    s = rng.uniform(0.2, 3.0, n)
    M = merge_all(
        [Moments.of_rows(np.column_stack([X, y])[a:b], s[a:b]) for a, b in blocks(n, [150, 250])]
    )
    gram, Xty, yty, x_off, y_off = M.least_squares(p, normalize_weights=True)
    sn = s * n / s.sum()
    Xt = (X - x_off) * np.sqrt(sn)[:, None]
    yt = (y - y_off) * np.sqrt(sn)
    np.testing.assert_allclose(gram, Xt.T @ Xt, rtol=1e-12)
    np.testing.assert_allclose(Xty[:, 0], Xt.T @ yt, rtol=1e-11, atol=1e-9)
    assert yty[0] == pytest.approx(yt @ yt, rel=1e-12)
    coefs = rng.normal(size=(3, p))
    intercepts = rng.normal(size=3)
    direct = [
        np.average((y - X @ w - b) ** 2, weights=s) for w, b in zip(coefs, intercepts, strict=True)
    ]
    np.testing.assert_allclose(M.mean_squared_errors(p, coefs, intercepts), direct, rtol=1e-11)


def test_fold_moments_give_each_training_sets_centred_statistics():
    """Training-set statistics from merged fold moments (the Gram matrix and ``Xt^T yt``)
    equal those of the explicitly centred training data, also with a large offset and a
    column constant on a training set (the cases where a rank-one downdate of raw sums
    loses every digit); so do the ones of all the data (every fold merged: the refit's)."""
    from sklearn.model_selection import KFold

    from sparsefit._data import center_data
    from sparsefit._path import fold_moments

    rng = np.random.default_rng(3)
    n, p = 250, 5
    X = rng.normal(size=(n, p))
    X[:, 1] += 1e6
    X[:, 4] = 0.0
    X[:50, 4] = 1.0  # a rare category: constant (zero) outside the first fold
    y = X[:, 0] - 2e-6 * X[:, 1] + rng.normal(size=n) + 50.0
    sw = rng.uniform(0.3, 2.0, n)
    folds = list(KFold(5).split(X))
    for weights in (None, sw):
        trains, full = fold_moments(X, y, folds, weights)
        pairs = [(train, M) for (train, _), M in zip(folds, trains, strict=True)]
        for k, (train, M) in enumerate(pairs + [(np.arange(n), full)]):
            G, Xty, yty, _, _ = M.least_squares(p)
            design, yt, *_ = center_data(
                X[train], y[train], None if weights is None else weights[train]
            )
            C = design.centred_columns(np.arange(p))
            ref = C.T @ C
            scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref))) + 1e-300
            assert np.max(np.abs(G - ref) / np.where(scale > 0, scale, 1.0)) < 1e-12
            ref_b = C.T @ yt
            b_scale = np.sqrt(np.diag(ref) * float(yt @ yt)) + 1e-300
            assert np.max(np.abs(Xty[:, 0] - ref_b) / b_scale) < 1e-12
            assert abs(yty[0] - yt @ yt) <= 1e-12 * (yt @ yt)
            if k == 0:  # the rare category is absent from this training set
                assert np.all(G[4] == 0.0) and np.all(G[:, 4] == 0.0)
