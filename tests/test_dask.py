"""Dask input: the same certified answers as in memory, from one pass over the blocks.

Reference answers are the in-memory fits of the same data (themselves certified against
the independent oracle elsewhere) and, for every dask fit, the oracle's certificate on the
in-memory data. The threaded scheduler runs most tests; one module-scoped LocalCluster (two
worker processes) runs the distributed ones.
"""

import threading

import numpy as np
import pytest

da = pytest.importorskip(
    "dask.array", reason="dask is an optional extra (pip install 'sparsefit[dask]')"
)
import dask  # noqa: E402

from sparsefit import (  # noqa: E402
    ElasticNetCD,
    ElasticNetCDCV,
    LassoCD,
    LassoCDCV,
    RidgeGD,
    RidgeGDCV,
)

from ._certificates import assert_enet_certified, assert_ridge_certified  # noqa: E402

OFFSET = 1e6  # a feature offset that raw (uncentred) moments would lose digits to


@pytest.fixture(autouse=True)
def threaded_scheduler():
    with dask.config.set(scheduler="threads"):
        yield


def make_data(n=1200, p=25, n_targets=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, 2] += OFFSET
    coef = np.zeros((p,) if n_targets is None else (p, n_targets))
    coef[:6] = rng.normal(size=coef[:6].shape)
    y = X @ coef + rng.normal(size=(n,) + coef.shape[1:])
    sw = rng.uniform(0.2, 2.0, size=n)
    return X, y, sw


def to_dask(X, y, sw=None, rows=250):
    Xd = da.from_array(X, chunks=(rows, max(1, X.shape[1] // 2)))  # column chunks rejoined
    yd = da.from_array(y, chunks=(rows,) + y.shape[1:])
    return Xd, yd, None if sw is None else da.from_array(sw, chunks=rows)


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


SINGLE = [
    LassoCD(alpha=0.05, tol=1e-12),
    ElasticNetCD(alpha=0.05, l1_ratio=0.6, tol=1e-12),
    RidgeGD(alpha=3.0, tol=1e-12),
]


@pytest.mark.parametrize("est", SINGLE, ids=lambda e: type(e).__name__)
def test_single_fit_equals_in_memory(est):
    X, y, sw = make_data()
    memory = est.__class__(**est.get_params()).fit(X, y, sample_weight=sw)
    Xd, yd, swd = to_dask(X, y, sw)
    fitted = est.__class__(**est.get_params()).fit(Xd, yd, sample_weight=swd)
    assert rel(fitted.coef_, memory.coef_) <= 1e-8
    assert rel(fitted.intercept_, memory.intercept_) <= 1e-8
    assert fitted.n_features_in_ == X.shape[1]
    certify = assert_ridge_certified if isinstance(est, RidgeGD) else assert_enet_certified
    certify(fitted, X, y, sw)


def test_float32_and_multi_output():
    X, Y, sw = make_data(n_targets=2, seed=1)
    X32 = X.astype(np.float32)
    X32[:, 2] -= np.float32(OFFSET)  # float32 keeps no digits under an offset of 1e6
    for est in (ElasticNetCD(alpha=0.05, tol=1e-10), RidgeGD(alpha=3.0, tol=1e-10)):
        memory = est.__class__(**est.get_params()).fit(X32, Y, sample_weight=sw)
        fitted = est.__class__(**est.get_params()).fit(*to_dask(X32, Y, sw))
        assert fitted.coef_.dtype == np.float32 and fitted.coef_.shape == (2, X.shape[1])
        assert rel(fitted.coef_, memory.coef_) <= 1e-5
        assert rel(fitted.intercept_, memory.intercept_) <= 1e-5
        certify = assert_ridge_certified if isinstance(est, RidgeGD) else assert_enet_certified
        certify(fitted, X32.astype(np.float64), Y, sw, slack=1e-6)


def test_dataframe_input_keeps_column_names():
    pd = pytest.importorskip("pandas", reason="dask dataframes need pandas")
    dd = pytest.importorskip("dask.dataframe", reason="dask[dataframe] is not installed")
    X, y, _ = make_data(n=600, p=6)
    cols = [f"f{j}" for j in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=cols)
    frame["target"] = y
    ddf = dd.from_pandas(frame, npartitions=4)
    memory = LassoCD(alpha=0.05, tol=1e-12).fit(frame[cols], y)
    fitted = LassoCD(alpha=0.05, tol=1e-12).fit(ddf[cols], ddf["target"])
    assert list(fitted.feature_names_in_) == cols
    assert rel(fitted.coef_, memory.coef_) <= 1e-8
    pred = fitted.predict(ddf[cols])
    assert isinstance(pred, da.Array)
    np.testing.assert_allclose(pred.compute(), memory.predict(frame[cols]), rtol=1e-8)
    with pytest.raises(ValueError, match="feature names"):
        fitted.predict(ddf[cols[::-1]])
    # CV on partitions of unknown length: counted first, then the same folds as KFold
    cv_memory = LassoCDCV(cv=3, tol=1e-10).fit(frame[cols], y)
    cv_fitted = LassoCDCV(cv=3, tol=1e-10).fit(ddf[cols], ddf["target"])
    assert cv_fitted.alpha_ == pytest.approx(cv_memory.alpha_, rel=1e-10)
    assert rel(cv_fitted.mse_path_, cv_memory.mse_path_) <= 1e-7


def test_wide_mode_equals_in_memory():
    """More features than the Gram limit: Gram columns computed on the cluster."""
    rng = np.random.default_rng(3)
    n, p = 2000, 6000
    X = rng.normal(size=(n, p))
    X[:, 5] += 100.0
    y = X[:, :15] @ rng.normal(size=15) + rng.normal(size=n)
    est = LassoCD(alpha=0.05, tol=1e-10)
    memory = LassoCD(alpha=0.05, tol=1e-10).fit(X, y)
    fitted = est.fit(da.from_array(X, chunks=(500, p)), da.from_array(y, chunks=500))
    assert rel(fitted.coef_, memory.coef_) <= 1e-7
    assert rel(fitted.intercept_, memory.intercept_) <= 1e-7
    assert_enet_certified(fitted, X, y)


def test_wide_mode_ridge(monkeypatch):
    """Ridge in the wide mode: conjugate gradient with one pass per product (a small Gram
    limit makes a small problem wide)."""
    import sparsefit._dask as sd

    monkeypatch.setattr(sd, "GRAM_LIMIT", 10)
    X, y, sw = make_data(n=400, p=30, seed=4)
    memory = RidgeGD(alpha=3.0, tol=1e-13).fit(X, y, sample_weight=sw)
    fitted = RidgeGD(alpha=3.0, tol=1e-13).fit(*to_dask(X, y, sw, rows=100))
    assert rel(fitted.coef_, memory.coef_) <= 1e-7
    assert_ridge_certified(fitted, X, y, sw)


def test_predict_and_score_are_lazy():
    X, y, sw = make_data(n=500, p=5)
    Xd, yd, swd = to_dask(X, y, sw)
    est = LassoCD(alpha=0.01).fit(X, y)
    pred = est.predict(Xd)
    assert isinstance(pred, da.Array) and pred.shape == (500,)
    np.testing.assert_allclose(pred.compute(), est.predict(X), rtol=1e-12)
    score = est.score(Xd, yd, sample_weight=swd)
    assert isinstance(score, da.Array)
    assert float(score.compute()) == pytest.approx(est.score(X, y, sample_weight=sw), rel=1e-12)


CV = [
    LassoCDCV(cv=5, tol=1e-10),
    ElasticNetCDCV(cv=5, l1_ratio=[0.5, 1.0], tol=1e-10),
]


@pytest.mark.parametrize("est", CV, ids=lambda e: type(e).__name__)
def test_cv_equals_in_memory(est):
    X, y, sw = make_data(n=1500, p=20, seed=5)
    memory = est.__class__(**est.get_params()).fit(X, y, sample_weight=sw)
    fitted = est.__class__(**est.get_params()).fit(*to_dask(X, y, sw, rows=400))
    assert fitted.alpha_ == pytest.approx(memory.alpha_, rel=1e-12)
    assert rel(fitted.alphas_, memory.alphas_) <= 1e-12
    assert rel(fitted.mse_path_, memory.mse_path_) <= 1e-7
    assert rel(fitted.coef_, memory.coef_) <= 1e-8
    refit = ElasticNetCD(alpha=fitted.alpha_, l1_ratio=getattr(fitted, "l1_ratio_", 1.0))
    refit.set_params(tol=fitted.tol)
    refit.coef_, refit.intercept_, refit.dual_gap_ = (
        fitted.coef_,
        fitted.intercept_,
        fitted.dual_gap_,
    )
    assert_enet_certified(refit, X, y, sw)


@pytest.mark.parametrize("scoring", [None, "neg_mean_squared_error"])
def test_ridge_cv_equals_in_memory(scoring):
    X, Y, sw = make_data(n=1500, p=20, n_targets=2, seed=6)
    Y = Y * 5.0 + np.random.default_rng(0).normal(size=Y.shape) * 20.0  # alpha matters
    alphas = np.logspace(-2, 4, 13)
    memory = RidgeGDCV(alphas=alphas, cv=5, scoring=scoring).fit(X, Y, sample_weight=sw)
    fitted = RidgeGDCV(alphas=alphas, cv=5, scoring=scoring).fit(*to_dask(X, Y, sw, rows=400))
    assert fitted.alpha_ == memory.alpha_
    assert fitted.best_score_ == pytest.approx(memory.best_score_, rel=1e-9)
    assert rel(fitted.coef_, memory.coef_) <= 1e-8
    with pytest.raises(ValueError, match="[Ll]eave-one-out"):
        RidgeGDCV(alphas=alphas).fit(*to_dask(X, Y, sw))


def test_cv_reads_the_data_once():
    """Every block is generated (read) exactly once by a cross-validated fit."""
    loads = []
    lock = threading.Lock()
    n_blocks, rows, p = 6, 200, 8

    def block(block_id=None):
        with lock:
            loads.append(block_id[0])
        rng = np.random.default_rng(block_id[0])
        out = rng.normal(size=(rows, p + 1))
        out[:, -1] = out[:, :3] @ np.array([1.0, -2.0, 0.5]) + 0.1 * out[:, -1]
        return out

    Z = da.map_blocks(block, chunks=((rows,) * n_blocks, (p + 1,)), dtype=np.float64)
    est = LassoCDCV(cv=4, tol=1e-10).fit(Z[:, :p], Z[:, p])
    assert sorted(loads) == list(range(n_blocks))
    loads.clear()
    Z_mem = Z.compute()
    memory = LassoCDCV(cv=4, tol=1e-10).fit(Z_mem[:, :p], Z_mem[:, p])
    assert est.alpha_ == pytest.approx(memory.alpha_, rel=1e-12)
    assert rel(est.mse_path_, memory.mse_path_) <= 1e-7


@pytest.mark.parametrize(
    "est", [LassoCD(), RidgeGD(), LassoCDCV(cv=3)], ids=lambda e: type(e).__name__
)
def test_nan_in_one_block_raises_and_leaves_nothing_fitted(est):
    X, y, _ = make_data(n=600, p=5)
    X[450, 3] = np.nan  # in the second-to-last block
    with pytest.raises(ValueError, match="NaN"):
        est.fit(*to_dask(X, y, rows=150)[:2])
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]


def test_bad_dask_input():
    X, y, sw = make_data(n=300, p=4)
    Xd, yd, _ = to_dask(X, y)
    with pytest.raises(ValueError, match="2D"):
        LassoCD().fit(Xd[:, 0], yd)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LassoCD().fit(Xd, y[:-1])
    with pytest.raises(ValueError, match="Negative values"):
        LassoCD().fit(Xd, yd, sample_weight=da.from_array(-sw, chunks=250))
    with pytest.raises(ValueError, match="cv must be an integer or KFold"):
        from sklearn.model_selection import ShuffleSplit

        LassoCDCV(cv=ShuffleSplit(3)).fit(Xd, yd)


# -- a real cluster: two worker processes ----------------------------------------------------
@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip(
        "dask.distributed", reason="dask.distributed is an optional extra"
    )
    with (
        distributed.LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_distributed_cluster(client):
    """On a LocalCluster: CV equals the in-memory estimator, and GridSearchCV under joblib's
    dask backend chooses what it chooses without it."""
    import joblib
    from sklearn.model_selection import GridSearchCV

    X, y, sw = make_data(n=1200, p=12, seed=7)
    with dask.config.set(scheduler=client):  # (the fixture above set threads)
        fitted = LassoCDCV(cv=5, tol=1e-10).fit(*to_dask(X, y, sw, rows=300))
    memory = LassoCDCV(cv=5, tol=1e-10).fit(X, y, sample_weight=sw)
    assert fitted.alpha_ == pytest.approx(memory.alpha_, rel=1e-12)
    assert rel(fitted.mse_path_, memory.mse_path_) <= 1e-7

    grid = {"alpha": np.logspace(-3, 0, 8)}
    plain = GridSearchCV(LassoCD(), grid, cv=4).fit(X, y)
    with joblib.parallel_backend("dask"):
        on_dask = GridSearchCV(LassoCD(), grid, cv=4).fit(X, y)
    assert on_dask.best_params_ == plain.best_params_


def test_block_check_by_sum_is_exact():
    """The block check accepts finite values whose sum overflows, and refuses NaN and
    infinities wherever they are (also where they cancel in the sum: inf - inf)."""
    from sparsefit._dask import _checked_block

    huge = np.array([[1e308, 1e308], [1e308, -1.0]])
    assert _checked_block(huge, "X") is not None
    for bad, word in [(np.nan, "NaN"), (np.inf, "infinity")]:
        a = np.ones((3, 2))
        a[1, 1] = bad
        with pytest.raises(ValueError, match=word):
            _checked_block(a, "X")
    a = np.ones((3, 2))
    a[0, 0], a[2, 1] = np.inf, -np.inf
    with pytest.raises(ValueError, match="infinity"):
        _checked_block(a, "X")
