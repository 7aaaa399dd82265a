"""Pickle and clone round-trips, and fits from several threads at once.

* A pickled and unpickled fitted estimator predicts exactly as the original and keeps every
  fitted attribute; ``sklearn.base.clone`` gives an unfitted estimator with the same
  parameters whose fit reproduces the original bit for bit.
* Fitting from two threads at once (``joblib.Parallel(backend='threading', n_jobs=2)``) gives
  the results of sequential fits: the estimators share no mutable state (the coordinate-descent
  fits also limit BLAS to one thread through a process-wide controller while they run).
"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from joblib import Parallel, delayed
from numpy.testing import assert_allclose
from sklearn.base import clone

from sparsefit import ElasticNetCD, LassoCD, RidgeGD

from ._certificates import assert_enet_certified, assert_ridge_certified

FITTED = ("coef_", "intercept_", "n_iter_", "dual_gap_", "n_features_in_")


def estimators():
    return [
        LassoCD(alpha=0.05),
        ElasticNetCD(alpha=0.05, l1_ratio=0.3, positive=True),
        LassoCD(alpha=0.02, selection="random", random_state=3, fit_intercept=False),
        RidgeGD(alpha=3.0),
        RidgeGD(alpha=3.0, solver="agd", positive=True),
    ]


IDS = ["lasso", "enet-positive", "lasso-random", "ridge", "ridge-agd-positive"]


def problem(seed, n=60, p=30, n_targets=None, fmt="dense", dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + rng.uniform(-1, 1, size=p)
    X[rng.uniform(size=X.shape) < 0.4] = 0.0
    W = rng.normal(size=(p, n_targets or 1)) * (rng.uniform(size=(p, n_targets or 1)) < 0.3)
    Y = X @ W + 0.3 * rng.normal(size=(n, n_targets or 1))
    y = Y[:, 0] if n_targets is None else Y
    X, y = X.astype(dtype), y.astype(dtype)
    Xin = X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)
    return Xin, X, y


def assert_same_fit(a, b):
    for name in FITTED:
        assert np.array_equal(np.asarray(getattr(a, name)), np.asarray(getattr(b, name))), name
        assert np.asarray(getattr(a, name)).dtype == np.asarray(getattr(b, name)).dtype, name


@pytest.mark.parametrize("est", estimators(), ids=IDS)
@pytest.mark.parametrize(
    "fmt, n_targets, dtype",
    [("dense", None, np.float64), ("csr", 2, np.float64), ("csc", None, np.float32)],
    ids=["dense-1d", "csr-2targets", "csc-float32"],
)
def test_pickle_round_trip(est, fmt, n_targets, dtype):
    Xin, X, y = problem(0, n_targets=n_targets, fmt=fmt, dtype=dtype)
    est = clone(est).fit(Xin, y)
    pred = est.predict(Xin)
    restored = pickle.loads(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(restored) is type(est)
    assert restored.get_params() == est.get_params()
    assert_same_fit(restored, est)
    assert np.array_equal(restored.predict(Xin), pred)
    if hasattr(est, "sparse_coef_"):
        assert (restored.sparse_coef_ != est.sparse_coef_).nnz == 0
    # the restored estimator can be refitted, and gives the same answer again
    restored.fit(Xin, y)
    assert_same_fit(restored, est)


@pytest.mark.parametrize("est", estimators(), ids=IDS)
def test_clone_round_trip(est):
    Xin, X, y = problem(1, n_targets=2, fmt="csr")
    fitted = clone(est).fit(Xin, y)
    twin = clone(fitted)
    assert twin.get_params() == fitted.get_params()
    assert not any(hasattr(twin, name) for name in FITTED)  # clone is unfitted
    twin.fit(Xin, y)
    assert_same_fit(twin, fitted)
    assert np.array_equal(twin.predict(Xin), fitted.predict(Xin))
    # refitting the original on other data does not touch the clone
    fitted.fit(Xin[:30], y[:30])
    assert not np.array_equal(np.asarray(twin.coef_), np.asarray(fitted.coef_))
    assert np.array_equal(twin.predict(Xin), clone(est).fit(Xin, y).predict(Xin))


def _fit(est, Xin, y, sw):
    return clone(est).fit(Xin, y, sample_weight=sw)


def test_threaded_fits_equal_sequential_fits():
    """16 fits (every estimator on dense and sparse problems, with weights) run two at a time
    from threads: each equals its sequential twin and is certified."""
    jobs = []
    for i, est in enumerate(estimators()):
        for fmt in ("dense", "csc"):
            Xin, X, y = problem(10 + i, n=80, p=120, fmt=fmt)
            sw = np.random.default_rng(i).uniform(0.0, 2.0, size=len(y))
            jobs.append((est, Xin, X, y, sw))
    sequential = [_fit(est, Xin, y, sw) for est, Xin, _, y, sw in jobs]
    threaded = Parallel(n_jobs=2, backend="threading")(
        delayed(_fit)(est, Xin, y, sw) for est, Xin, _, y, sw in jobs
    )
    for (est, Xin, X, y, sw), a, b in zip(jobs, sequential, threaded, strict=True):
        # BLAS may use a different number of threads in the two runs: equal up to rounding
        assert_allclose(b.coef_, a.coef_, rtol=1e-9, atol=1e-12 * np.abs(a.coef_).max())
        assert_allclose(b.predict(Xin), a.predict(Xin), rtol=1e-9, atol=1e-9)
        if isinstance(est, RidgeGD):
            assert_ridge_certified(b, X, y, sw)
        else:
            assert_enet_certified(b, X, y, sw)


def test_one_estimator_per_thread_with_warm_start():
    """Each thread owns a warm-started estimator walking down its own alpha path; the final
    solutions equal those of the same paths walked sequentially."""
    problems = [problem(20 + k, n=50, p=80) for k in range(4)]

    def path(Xin, y):
        est = LassoCD(warm_start=True, tol=1e-10)
        for alpha in (0.5, 0.2, 0.1, 0.05, 0.02):
            est.set_params(alpha=alpha).fit(Xin, y)
        return est

    sequential = [path(Xin, y) for Xin, _, y in problems]
    threaded = Parallel(n_jobs=2, backend="threading")(
        delayed(path)(Xin, y) for Xin, _, y in problems
    )
    for (Xin, X, y), a, b in zip(problems, sequential, threaded, strict=True):
        assert_allclose(b.coef_, a.coef_, rtol=1e-9, atol=1e-12)
        assert_enet_certified(b, X, y)
