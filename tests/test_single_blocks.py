"""Gram blocks in single precision (``Workspace.single_blocks``) with iterative refinement.

Tall dense designs above ``SINGLE_BLOCK_MIN_ENTRIES`` form their cached Gram blocks in
single precision; each working-set solve then takes its linear term from the data's exact
gradient (``_cd.refined_linear_term``). The tests lower the threshold so that small designs
take that path, and judge the fits by the independent certificate and scikit-learn's
objective.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet

import sparsefit._cd as cd_module
from sparsefit import ElasticNetCD, LassoCD
from sparsefit import _tuning as tuning
from sparsefit._data import Workspace, center_data

from ._certificates import enet_certificate, enet_objective


@pytest.fixture
def single(monkeypatch):
    """Every dense design with at least as many samples as features takes the path."""
    monkeypatch.setattr(tuning, "SINGLE_BLOCK_MIN_ENTRIES", 1)
    monkeypatch.setattr(tuning, "CHEAP_GRAM_FEATURES", 0)  # (no full Gram matrix up front)


def tall(seed, n=400, p=120, offset=0.0, scales=False):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, p))
    X = Z + 0.7 * np.roll(Z, 1, axis=1)  # correlated neighbours
    if scales:
        X *= 10.0 ** rng.uniform(-3, 3, size=p)
    X += offset
    w = np.zeros(p)
    w[rng.choice(p, 15, replace=False)] = rng.normal(size=15)
    y = X @ w + 0.5 * rng.normal(size=n) + 3.0
    return X, y


def alpha_max(X, y, l1_ratio):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    return float(np.max(np.abs(Xc.T @ yc))) / (X.shape[0] * l1_ratio)


def test_blocks_are_single_precision_and_exact_requests_are_not(single):
    X, y = tall(0)
    design = center_data(X, y, None, fit_intercept=True)[0]
    workspace = Workspace(design)
    assert workspace.single_blocks
    Xc = X - X.mean(axis=0)
    idx = np.array([3, 50, 7, 90])
    exact = Xc[:, idx].T @ Xc[:, idx]
    block = workspace.block(idx)
    error = np.abs(block - exact).max() / np.abs(exact).max()
    assert 0.0 < error < 1e-6  # single precision: neither exact nor worse than float32
    assert np.array_equal(block, block.T)
    # an extension is formed against the cached columns' single-precision copy
    more = np.array([3, 11, 90, 100, 5])
    exact_more = Xc[:, more].T @ Xc[:, more]
    assert_allclose(
        workspace.block(more), exact_more, rtol=0, atol=1e-6 * np.abs(exact_more).max()
    )
    # ``gram`` keeps its contract: double precision (not from the approximate cache)
    assert_allclose(workspace.gram(idx), exact, rtol=1e-12, atol=1e-12 * np.abs(exact).max())
    assert workspace.full_gram is None  # never completed from single-precision blocks


@pytest.mark.parametrize(
    "seed, l1_ratio, divisor, tol, weights, offset, scales",
    [
        (1, 1.0, 10, 1e-4, False, 0.0, False),
        (2, 1.0, 100, 1e-8, True, 0.0, False),
        (3, 0.5, 100, 1e-12, False, 1e4, False),
        (4, 1.0, 1000, 1e-12, True, 0.0, True),
        (5, 0.2, 1000, 1e-10, False, -50.0, True),
    ],
)
def test_fits_are_certified_and_not_above_sklearn(
    single, seed, l1_ratio, divisor, tol, weights, offset, scales
):
    """Tight tolerances need the refinement: the single-precision blocks alone are off by
    about 1e-7 of the columns' norms, and without it the fits at 1e-10 and 1e-12 stall
    above their tolerance (checked by replacing ``refined_linear_term`` with the plain
    ``Xt_W^T yt``)."""
    X, y = tall(seed, offset=offset, scales=scales)
    sw = np.random.default_rng(seed).uniform(0.2, 3.0, size=len(y)) if weights else None
    alpha = alpha_max(X, y, l1_ratio) / divisor
    calls = []
    refined = cd_module.refined_linear_term
    cd_module.refined_linear_term = lambda *a: calls.append(1) or refined(*a)
    try:
        est = ElasticNetCD(alpha=alpha, l1_ratio=l1_ratio, tol=tol).fit(X, y, sample_weight=sw)
    finally:
        cd_module.refined_linear_term = refined
    assert calls  # the path was taken
    cert = enet_certificate(
        X, y, est.coef_, alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw, tol=tol
    )
    assert cert["gap"] <= cert["tol"]
    assert_allclose(
        est.intercept_, cert["intercept"], rtol=1e-9, atol=1e-9 * cert["intercept_scale"]
    )
    ref = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=min(tol, 1e-10), max_iter=100000)
    ref.fit(X, y, sample_weight=sw)
    ours = enet_objective(
        X, y, est.coef_, est.intercept_, alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw
    )
    theirs = enet_objective(
        X, y, ref.coef_, ref.intercept_, alpha=alpha, l1_ratio=l1_ratio, sample_weight=sw
    )
    # not above scikit-learn's, beyond the tolerance's own slack (the gap bounds the excess)
    assert ours <= theirs + cert["tol"]


def test_small_designs_keep_double_precision_blocks():
    """Below ``SINGLE_BLOCK_MIN_ENTRIES`` (and for wide or extreme-scale data) the blocks are
    double precision: weights and repeated rows agree to rounding at the default tolerance."""
    X, y = tall(7, n=200, p=50)
    assert not Workspace(center_data(X, y, None, fit_intercept=True)[0]).single_blocks
    wide = np.random.default_rng(8).normal(size=(50, 200))
    assert not Workspace(center_data(wide, y[:50], None, fit_intercept=True)[0]).single_blocks


def test_extreme_scales_keep_double_precision(single):
    X, y = tall(9)
    X[:, 4] *= 1e140  # its square would overflow single precision
    assert not Workspace(center_data(X, y, None, fit_intercept=True)[0]).single_blocks
    X, y = tall(9)
    X[:, 4] *= 1e-140
    assert not Workspace(center_data(X, y, None, fit_intercept=True)[0]).single_blocks


def test_an_ill_conditioned_design_falls_back_to_double_precision(single, monkeypatch):
    """Columns dominated by large offsets without an intercept are nearly collinear: the
    refinement through single-precision blocks stops gaining (without the fallback this
    fit ends with a ConvergenceWarning, its gap far above tol); the fit is then redone from
    its start on double-precision blocks (on such designs the solver's trajectory matters:
    continued from where single precision left it, a random design of this kind ended
    with a ConvergenceWarning where the double-precision fit converges)."""
    rng = np.random.default_rng(18)
    Z = rng.normal(size=(300, 120))
    X = Z + 0.9 * np.roll(Z, 1, axis=1) + 1e3 * rng.normal(size=120)
    y = X[:, :10] @ rng.normal(size=10) + rng.normal(size=300)
    drops = []
    drop = Workspace.drop_single_blocks
    monkeypatch.setattr(
        Workspace,
        "drop_single_blocks",
        lambda ws: (drops.append(1) if ws.single_blocks else None) or drop(ws),
    )
    alpha = alpha_max(X, y, 1.0) / 300
    est = ElasticNetCD(alpha=alpha, l1_ratio=1.0, tol=1e-12, fit_intercept=False).fit(X, y)
    cert = enet_certificate(X, y, est.coef_, alpha=alpha, tol=1e-12, fit_intercept=False)
    assert drops == [1]
    assert cert["gap"] <= cert["tol"]
    # redone from its start in double precision: the double-precision fit itself
    monkeypatch.setattr(tuning, "SINGLE_BLOCK_MIN_ENTRIES", 2**62)
    double = ElasticNetCD(alpha=alpha, l1_ratio=1.0, tol=1e-12, fit_intercept=False).fit(X, y)
    assert np.array_equal(est.coef_, double.coef_)


def test_a_full_gram_matrix_ends_single_precision(single):
    """With the full Gram matrix formed (``precompute=True`` here; also narrow tall data,
    paths, cross-validation and many targets) no single-precision block is used, and the
    fallback's triggers must not fire either: the fit is the one without single blocks
    (this design stalls; a first stall absorbed by a needless fallback cost ten more outer
    iterations)."""
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(120, 40))
    X = np.c_[Z, Z[:, :20] + 1e-8 * rng.normal(size=(120, 20))]  # near-duplicate columns
    y = X[:, :5] @ rng.normal(size=5) + 0.3 * X[:, 41] + 0.01 * rng.normal(size=120)
    alpha = alpha_max(X, y, 1.0) * 1e-5
    design = center_data(X, y, None, fit_intercept=True)[0]
    workspace = Workspace(design)
    assert workspace.single_blocks
    workspace.precompute_gram()
    assert not workspace.single_blocks
    fits = []
    for entries in (1, 2**62):
        tuning.SINGLE_BLOCK_MIN_ENTRIES = entries  # (restored by the fixture's monkeypatch)
        with pytest.warns(ConvergenceWarning, match="stopped making progress"):  # (tol 1e-18)
            fits.append(LassoCD(alpha=alpha, tol=1e-18, precompute=True).fit(X, y))
    assert fits[0].n_iter_ == fits[1].n_iter_
    assert np.array_equal(fits[0].coef_, fits[1].coef_)


@pytest.mark.parametrize("single_precision", [True, False])
def test_a_cache_past_its_limit_starts_afresh_with_the_whole_block(
    single, monkeypatch, single_precision
):
    """Past ``MAX_CACHE`` features the cache restarts from the block asked for, all of it
    (the features cached before lost their place: they were read from the wrong rows)."""
    monkeypatch.setattr(tuning, "MAX_CACHE", 60)
    monkeypatch.setattr(tuning, "MAX_FULL_GRAM", 100)  # (p = 120: never completed)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 120))
    workspace = Workspace(center_data(X, rng.normal(size=400), None, fit_intercept=True)[0])
    if not single_precision:
        workspace.drop_single_blocks()
    workspace.block(np.arange(40))
    idx = np.concatenate([np.arange(10), np.arange(50, 80)])  # 10 cached + 30 new > 60
    Xc = X - X.mean(axis=0)
    exact = Xc[:, idx].T @ Xc[:, idx]
    rtol = 1e-6 if single_precision else 1e-12
    assert_allclose(workspace.block(idx), exact, rtol=0, atol=rtol * np.abs(exact).max())


def test_the_final_working_set_is_padded_with_the_closest_features():
    """With single-precision blocks a working set holding every violator takes
    ``SINGLE_PAD`` of its size more: the features closest to violating (smallest
    ``(l1_j - |Xt_j^T R|) / ||Xt_j||``), never a violator or an invalid feature again."""
    from types import SimpleNamespace

    from sparsefit.penalties import L1

    p = 60
    rng = np.random.default_rng(3)
    XtR = rng.uniform(-1.0, 1.0, size=p)
    norms = rng.uniform(0.5, 2.0, size=p)
    valid = np.ones(p, dtype=bool)
    valid[7] = False
    fit = SimpleNamespace(penalty=L1(1.0).to_solver(1.0, p), inv_norms=1.0 / norms, valid=valid)
    ws = np.arange(0, 40, 2)  # 20 features: the violators
    score = np.zeros(p)
    score[ws] = 1.0
    padded = cd_module._Fit._padded(fit, ws, score, XtR, ws_size=100)
    extra = np.setdiff1d(padded, ws)
    assert extra.size == int(tuning.SINGLE_PAD * ws.size) == 2
    margin = (1.0 - np.abs(XtR)) / norms
    others = np.setdiff1d(np.flatnonzero(valid), ws)
    assert np.array_equal(np.sort(extra), np.sort(others[np.argsort(margin[others])[:2]]))
    # capped by the working-set size
    assert cd_module._Fit._padded(fit, ws, score, XtR, ws_size=21).size == 21


def test_single_block_fits_pad_their_final_working_set(single, monkeypatch):
    X, y = tall(11)
    sizes = []
    padded = cd_module._Fit._padded

    def record(self, ws, *args):
        out = padded(self, ws, *args)
        sizes.append((ws.size, out.size))
        return out

    monkeypatch.setattr(cd_module._Fit, "_padded", record)
    alpha = alpha_max(X, y, 1.0) / 100
    est = ElasticNetCD(alpha=alpha, l1_ratio=1.0, tol=1e-8).fit(X, y)
    assert sizes and any(after > before for before, after in sizes)
    cert = enet_certificate(X, y, est.coef_, alpha=alpha, tol=1e-8)
    assert cert["gap"] <= cert["tol"]
