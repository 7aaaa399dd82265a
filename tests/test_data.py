"""Weighted centring (``sparsefit._data.center_data``) against the hand-written one."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sparsefit._data import Workspace, center_data

from ._certificates import center


def data(seed=0, n=25, p=7, n_targets=None, density=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + rng.uniform(-3, 3, size=p)
    if density is not None:
        X[rng.uniform(size=X.shape) > density] = 0.0
    y = rng.normal(size=(n,) if n_targets is None else (n, n_targets)) + 2.0
    return X, y, rng


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weights", [None, "random", "zeros"])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("n_targets", [None, 2])
def test_center_data_matches_reference(fmt, fit_intercept, weights, normalize, n_targets):
    X, y, rng = data(n_targets=n_targets, density=0.4 if fmt != "dense" else None)
    sw = None
    if weights is not None:
        sw = rng.uniform(0.1, 3.0, size=X.shape[0])
        if weights == "zeros":
            sw[::4] = 0.0
    Xin = X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)
    X_before, y_before = X.copy(), y.copy()
    sw_before = None if sw is None else sw.copy()

    design, yt, x_off, y_off = center_data(
        Xin, y, sw, fit_intercept=fit_intercept, normalize_weights=normalize
    )
    Xt_ref, yt_ref, x_ref, y_ref, _ = center(X, y, sw, fit_intercept, normalize=normalize)

    assert_allclose(x_off, x_ref, rtol=1e-12, atol=1e-13)
    assert_allclose(y_off, y_ref, rtol=1e-12, atol=1e-13)
    assert_allclose(yt, yt_ref, rtol=1e-12, atol=1e-13)
    # the (possibly implicit) design acts as the explicit centred, sqrt-weighted matrix
    w = rng.normal(size=X.shape[1])
    v = rng.normal(size=X.shape[0])
    assert_allclose(design.matvec(w), Xt_ref @ w, rtol=1e-11, atol=1e-11)
    assert_allclose(design.rmatvec(v), Xt_ref.T @ v, rtol=1e-11, atol=1e-11)
    every = np.arange(X.shape[1])
    assert_allclose(Workspace(design).gram(every), Xt_ref.T @ Xt_ref, rtol=1e-11, atol=1e-11)
    some = np.array([4, 0, 2])
    block = Xt_ref[:, some].T @ Xt_ref[:, some]
    assert_allclose(Workspace(design).gram(some), block, rtol=1e-11, atol=1e-11)
    assert_allclose(design.col_norms2, (Xt_ref**2).sum(axis=0), rtol=1e-11, atol=1e-11)
    # inputs untouched
    if fmt == "dense":
        assert np.array_equal(Xin, X_before)
    else:
        assert np.array_equal(Xin.toarray(), X_before)
    assert np.array_equal(y, y_before)
    if sw is not None:
        assert np.array_equal(sw, sw_before)


def test_weight_scaling_is_irrelevant_when_normalized():
    X, y, rng = data(1)
    sw = rng.uniform(0.5, 2.0, size=X.shape[0])
    d1, yt1, x1, y1 = center_data(X, y, sw, normalize_weights=True)
    d2, yt2, x2, y2 = center_data(X, y, 17.0 * sw, normalize_weights=True)
    assert_allclose(yt1, yt2, rtol=1e-12)
    assert_allclose(x1, x2, rtol=1e-12)
    every = np.arange(X.shape[1])
    assert_allclose(Workspace(d1).gram(every), Workspace(d2).gram(every), rtol=1e-12)
    # normalised weights sum to n: ||yt||^2 = sum_i (n s_i / sum s) (y_i - ybar)^2
    s = sw * X.shape[0] / sw.sum()
    assert_allclose(yt1 @ yt1, s @ (y - (s @ y) / s.sum()) ** 2, rtol=1e-12)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_weighted_column_norms_by_blocks(fmt):
    """The blockwise sparse computation equals the dense sum_i s_i x_ij^2, across blocks."""
    from sparsefit._data import _sparse_weighted_sq_col_sums

    rng = np.random.default_rng(5)
    X = rng.normal(size=(11, 7))
    X[rng.uniform(size=X.shape) < 0.4] = 0.0
    sw = rng.uniform(0.0, 2.0, size=11)
    Xs = getattr(sp, f"{fmt}_matrix")(X)
    expected = (sw[:, None] * X**2).sum(axis=0)
    np.testing.assert_allclose(_sparse_weighted_sq_col_sums(Xs, sw, block=3), expected)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_float32_offsets_are_exact_float64_means(fmt):
    """float32 X: the offsets are the means of the (exactly representable) float64 values,
    not float32 sums, so that Gram matrices corrected by the offsets equal those of the
    explicitly centred design."""
    rng = np.random.default_rng(7)
    X64 = (rng.normal(size=(500, 6)) + 3.0).astype(np.float32).astype(np.float64)
    X = X64.astype(np.float32)
    X = X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)
    design = center_data(X, np.zeros(500))[0]
    assert_allclose(design.x_offset, X64.mean(axis=0), rtol=1e-15)
    Xc = X64 - X64.mean(axis=0)
    assert_allclose(Workspace(design).precompute_gram(), Xc.T @ Xc, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("weights", [False, True])
def test_means_far_above_the_spread_are_refined(fmt, weights):
    """A column whose mean dwarfs its spread (1e8 + N(0, 1)) gets its mean to the rounding
    of the mean itself (exact reference by math.fsum), not to the error of a one-pass sum;
    ordinary columns in the same X to a small fraction of their spread."""
    import math

    rng = np.random.default_rng(11)
    n = 3000
    X = rng.normal(size=(n, 3))
    X[:, 0] += 1e8
    X[::2, 2] = 0.0
    sw = rng.uniform(0.5, 2.0, size=n) if weights else np.ones(n)
    sw = sw * (n / sw.sum())
    Xs = X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)
    design = center_data(Xs, np.zeros(n), sample_weight=sw if weights else None)[0]
    total = math.fsum(sw)
    for j in range(3):
        exact = math.fsum(sw * X[:, j]) / total
        spread = np.sqrt(math.fsum(sw * (X[:, j] - exact) ** 2) / total)
        assert abs(design.x_offset[j] - exact) <= 2 * np.spacing(abs(exact)) + 1e-14 * spread


@pytest.mark.parametrize("weights", [False, True])
def test_few_heavy_offset_columns_are_centred_alone(weights):
    """Dense X with two columns of heavy offsets among twenty (one constant, one 1e6 plus
    small noise): only those are centred explicitly, and every product equals that of the
    explicitly centred design."""
    rng = np.random.default_rng(3)
    n, p = 60, 20
    X = rng.normal(size=(n, p))
    X[:, 4] = 1e6
    X[:, 9] = 1e6 + 1e-3 * rng.normal(size=n)
    sw = rng.uniform(0.5, 2.0, size=n) if weights else None
    design = center_data(X, np.zeros(n), sample_weight=sw)[0]
    idx, _ = design.heavy_columns
    assert set(idx) == {4, 9} and not design.centres_rows
    s = np.ones(n) if sw is None else sw * (n / sw.sum())
    Xt = np.sqrt(s)[:, None] * (X - design.x_offset)
    scale = np.where(design.col_norms2 > 0, np.sqrt(design.col_norms2), 1.0)
    v, w = rng.normal(size=n), rng.normal(size=p)
    assert np.all(Xt[:, 4] == 0)
    assert_allclose(design.rmatvec(v) / scale, Xt.T @ v / scale, atol=1e-9)
    assert_allclose(design.matvec(w), Xt @ w, rtol=1e-9, atol=1e-9)
    assert_allclose(design.matvec(w[:3], np.array([4, 9, 1])), Xt[:, [4, 9, 1]] @ w[:3])
    G = Workspace(design).precompute_gram()
    assert_allclose(G / np.outer(scale, scale), Xt.T @ Xt / np.outer(scale, scale), atol=1e-9)


@pytest.mark.parametrize("fmt", ["coo", "lil", "dok", "bsr"])
def test_center_data_other_sparse_formats(fmt):
    """Sparse formats other than CSR/CSC are centred as their CSC conversion is."""
    rng = np.random.default_rng(2)
    X = sp.random(30, 8, density=0.5, random_state=0)
    y = rng.normal(size=30)
    sw = rng.uniform(0.5, 2.0, size=30)
    design, yt, x_offset, _ = center_data(X.asformat(fmt), y, sample_weight=sw)
    ref, yt_ref, x_ref, _ = center_data(X.tocsc(), y, sample_weight=sw)
    assert_allclose(x_offset, x_ref, rtol=1e-14)
    assert_allclose(design.col_norms2, ref.col_norms2, rtol=1e-12)
    assert_allclose(yt, yt_ref)


@pytest.mark.parametrize("offsets", ["mild", "heavy_few", "heavy_many"])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
def test_full_gram_completed_from_the_cached_block(offsets, weights, order):
    """When the cached Gram blocks span most features, the full Gram matrix is completed
    from them and one product for the other columns (not formed again whole): it equals
    the explicitly centred product and is exactly symmetric. (Wide: with at least as many
    samples as features the blocks are single-precision and never completed.)"""
    import sparsefit._data as data_module

    rng = np.random.default_rng(21)
    n, p = 40, 50
    X = rng.normal(size=(n, p)) + rng.uniform(-3, 3, size=p)
    if offsets == "heavy_few":
        X[:, :3] += 1e7
    elif offsets == "heavy_many":
        X += 1e7
    X = np.asarray(X, order=order)
    sw = rng.uniform(0.2, 2.0, size=n) if weights else None
    design = center_data(X, rng.normal(size=n), sw, fit_intercept=True)[0]
    Xt_ref = center(X, np.zeros(n), sw, True)[0]
    workspace = Workspace(design)
    assert not workspace.single_blocks
    workspace.gram(np.arange(30))  # 30 of 50 cached: more than half
    calls = []
    symmetric = data_module.gram_product
    data_module.gram_product = lambda A, *t: calls.append(A.shape) or symmetric(A, *t)
    try:
        G = workspace.gram(np.arange(p))  # past two thirds: the full matrix
    finally:
        data_module.gram_product = symmetric
    assert calls == [] and workspace.full_gram is G
    ref = Xt_ref.T @ Xt_ref
    assert_allclose(G, ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())
    assert np.array_equal(G, G.T)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("heavy", [False, True])
def test_gram_formed_first_gives_the_same_design(fit_intercept, heavy, monkeypatch):
    """Tall, narrow dense data whose Gram matrix the fit forms anyway: centring forms it
    first and reads the second moments off its diagonal. The means (refined where a mean
    dwarfs its spread: exact reference by math.fsum), the column norms and the Gram matrix
    match the explicitly centred data, and X^T X is formed once."""
    import math

    import sparsefit._data as data_module

    rng = np.random.default_rng(5)
    n, p = 400, 6
    X = rng.normal(size=(n, p)) + rng.uniform(-3, 3, size=p)
    if heavy:
        X[:, 0] += 1e8
    products = []
    original = data_module.gram_product

    def counted(*args, **kwargs):
        products.append(args[0].shape)
        return original(*args, **kwargs)

    monkeypatch.setattr(data_module, "gram_product", counted)
    design = center_data(X, np.zeros(n), fit_intercept=fit_intercept, gram_first=True)[0]
    assert products == [(n, p)]
    means = np.array([math.fsum(X[:, j]) / n for j in range(p)]) if fit_intercept else 0.0
    if fit_intercept:
        spread = X.std(axis=0)
        assert np.all(
            np.abs(design.x_offset - means) <= 2 * np.spacing(np.abs(means)) + 1e-14 * spread
        )
    Xc = X - means
    assert_allclose(design.col_norms2, (Xc**2).sum(axis=0), rtol=1e-9)
    G = Workspace(design).precompute_gram()
    assert products == [(n, p)]  # (the one formed first, taken)
    assert_allclose(G, Xc.T @ Xc, rtol=1e-9, atol=1e-9 * np.abs(Xc.T @ Xc).max())
