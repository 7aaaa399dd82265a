"""Invariances that follow from the objectives, independently of any reference solver.

Each comparison runs at a tolerance tight enough for the asserted agreement to follow from the
certificates (see the note in ``test_reference.py``), and every fit is certified.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.linear_model import Lasso

from sparsefit import ElasticNetCD, LassoCD, RidgeGD

from ._certificates import (
    assert_enet_certified,
    assert_ridge_certified,
    enet_alpha_max,
    ridge_exact,
)

TIGHT = 1e-13


def make(seed=0, n=40, p=10, n_targets=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + rng.uniform(-2, 2, size=p)
    X[rng.uniform(size=X.shape) < 0.3] = 0.0
    k = 1 if n_targets is None else n_targets
    W = rng.normal(size=(p, k)) * 2
    W[rng.uniform(size=W.shape) < 0.4] = 0.0
    Y = X @ W + 0.5 * rng.normal(size=(n, k)) + 1.5
    return X, (Y[:, 0] if n_targets is None else Y), rng


def as_format(X, fmt):
    return {
        "dense": lambda A: A,
        "csr": sp.csr_matrix,
        "csc": sp.csc_matrix,
        "coo": sp.coo_matrix,
        "csr_array": sp.csr_array,
        "csc_array": sp.csc_array,
        "coo_array": sp.coo_array,
    }[fmt](X)


def certify(est, X, y, sw=None, **kw):
    if isinstance(est, RidgeGD):
        return assert_ridge_certified(est, X, y, sw, **kw)
    return assert_enet_certified(est, X, y, sw, **kw)


def close(a, b, rtol=1e-6):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert_allclose(a, b, rtol=rtol, atol=rtol * max(np.abs(b).max(initial=0.0), 1e-300))


def estimators(tol=TIGHT, **kw):
    return [
        LassoCD(alpha=0.05, tol=tol, max_iter=10_000, **kw),
        ElasticNetCD(alpha=0.05, l1_ratio=0.6, tol=tol, max_iter=10_000, **kw),
        RidgeGD(alpha=2.0, tol=tol, **kw),
    ]


EST_IDS = ["lasso", "enet", "ridge"]


# ---------------------------------------------------------------------------------------------
# alpha_max
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_alpha_max(fmt, fit_intercept, weights, positive, l1_ratio):
    X, y, rng = make(1)
    sw = rng.uniform(0.1, 4.0, size=len(y)) if weights else None
    amax = enet_alpha_max(X, y, sw, fit_intercept, l1_ratio, positive)
    assert amax > 0

    def fit(alpha, tol=1e-4):
        cls_kw = dict(fit_intercept=fit_intercept, positive=positive, tol=tol, max_iter=10_000)
        est = (
            LassoCD(alpha=alpha, **cls_kw)
            if l1_ratio == 1.0
            else ElasticNetCD(alpha=alpha, l1_ratio=l1_ratio, **cls_kw)
        )
        return est.fit(as_format(X, fmt), y, sample_weight=sw)

    for alpha in (amax * (1 + 1e-9), 2 * amax, 100 * amax):
        est = fit(alpha)
        assert np.all(est.coef_ == 0), alpha / amax
        assert est.n_iter_ == 0  # w = 0 meets the tolerance at once (scikit-learn: 0)
        s = np.ones(len(y)) if sw is None else sw
        b = (s @ y) / s.sum() if fit_intercept else 0.0
        assert_allclose(est.intercept_, b, rtol=1e-12, atol=1e-12)
        assert_enet_certified(est, X, y, sw)
    # exactly at alpha_max: zero up to the rounding of the threshold comparison
    est = fit(amax)
    assert np.abs(est.coef_).max() <= 1e-10 * np.abs(y).max()
    # just below it (and with a tolerance that cannot accept w = 0, whose relative gap is
    # (1 - 0.99)^2 / 2 = 5e-5) the solution is not zero
    est = fit(0.99 * amax, tol=1e-10)
    assert np.count_nonzero(est.coef_) >= 1
    assert_enet_certified(est, X, y, sw)


# ---------------------------------------------------------------------------------------------
# equivalences between estimators
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("positive", [False, True])
def test_elasticnet_l1_ratio_one_is_lasso(fmt, weights, positive):
    X, y, rng = make(2, n_targets=2)
    sw = rng.uniform(0.1, 4.0, size=len(y)) if weights else None
    kw = dict(alpha=0.03, positive=positive, tol=TIGHT, max_iter=10_000)
    enet = ElasticNetCD(l1_ratio=1.0, **kw).fit(as_format(X, fmt), y, sw)
    lasso = LassoCD(**kw).fit(as_format(X, fmt), y, sw)
    assert_enet_certified(enet, X, y, sw)
    assert_enet_certified(lasso, X, y, sw)
    close(enet.coef_, lasso.coef_)
    close(enet.intercept_, lasso.intercept_)
    close(enet.predict(X), lasso.predict(X))


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("weights", [None, "random", "zeros"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("positive", [False, True])
def test_elasticnet_l1_ratio_zero_is_ridge(fmt, weights, fit_intercept, positive):
    """Ridge(alpha=a) == ElasticNet(alpha=a / sum(s), l1_ratio=0) (Sigma s = n without s)."""
    X, y, rng = make(3)
    sw = None
    if weights is not None:
        sw = rng.uniform(0.5, 5.0, size=len(y))  # deliberately not summing to n
        if weights == "zeros":
            sw[::5] = 0.0
    a = 7.0
    total = len(y) if sw is None else sw.sum()
    if positive:
        y = y - 4 * X[:, 0]  # make a constraint active
    ridge = RidgeGD(alpha=a, fit_intercept=fit_intercept, positive=positive, tol=TIGHT)
    ridge.fit(as_format(X, fmt), y, sw)
    enet = ElasticNetCD(
        alpha=a / total,
        l1_ratio=0.0,
        fit_intercept=fit_intercept,
        positive=positive,
        tol=TIGHT,
        max_iter=10_000,
    )
    enet.fit(as_format(X, fmt), y, sw)
    assert_ridge_certified(ridge, X, y, sw)
    assert_enet_certified(enet, X, y, sw)
    close(enet.coef_, ridge.coef_)
    close(enet.predict(X), ridge.predict(X))
    if positive:
        w_ex, _ = ridge_exact(
            X, y, alpha=a, sample_weight=sw, fit_intercept=fit_intercept, positive=True
        )
        assert np.any(w_ex == 0)
        close(ridge.coef_, w_ex)
    else:
        # the ridge solution is dense (nothing here is sparse by accident)
        assert np.all(ridge.coef_ != 0)


@pytest.mark.parametrize("est", estimators(), ids=EST_IDS)
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_weight_scaling(est, fmt):
    """Lasso/ENet are invariant to s -> c s; Ridge with (c s, c alpha) equals (s, alpha)."""
    est = clone(est)  # parametrized instances are shared between cases
    X, y, rng = make(4)
    sw = rng.uniform(0.1, 2.0, size=len(y))
    a = est.fit(as_format(X, fmt), y, sw)
    coef_a = a.coef_.copy()
    c = 13.0
    b = est.set_params(alpha=est.alpha * c) if isinstance(est, RidgeGD) else est
    b.fit(as_format(X, fmt), y, c * sw)
    certify(b, X, y, c * sw)
    close(b.coef_, coef_a)


# ---------------------------------------------------------------------------------------------
# weights == repetitions
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("est", estimators(), ids=EST_IDS)
@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("n_targets", [None, 2])
def test_integer_weights_equal_repeated_rows(est, fmt, n_targets):
    est = clone(est)  # parametrized instances are shared between cases
    X, y, rng = make(5, n_targets=n_targets)
    sw = rng.integers(0, 4, size=len(y))
    sw[0] = 0
    sw[1] = 3
    Xr, yr = np.repeat(X, sw, axis=0), np.repeat(y, sw, axis=0)
    weighted = est.fit(as_format(X, fmt), y, sample_weight=sw)
    coef_w = weighted.coef_.copy()
    pred_w = weighted.predict(X)
    certify(weighted, X, y, sw.astype(float))
    repeated = est.fit(as_format(Xr, fmt), yr)
    certify(repeated, Xr, yr)
    close(repeated.coef_, coef_w)
    close(repeated.predict(X), pred_w)


@pytest.mark.parametrize("est", estimators(tol=1e-4), ids=EST_IDS)
def test_integer_weights_equal_repeated_rows_at_default_tol(est):
    """The documented design goal: all constants come from the weighted, sum-normalised
    problem, so weighting and repeating produce the same iterates (up to rounding) even at a
    loose tolerance, as scikit-learn's sample-weight equivalence check demands."""
    est = clone(est)  # parametrized instances are shared between cases
    X, y, rng = make(6, p=8)
    sw = rng.integers(0, 4, size=len(y))
    weighted = est.fit(X, y, sample_weight=sw)
    pred_w = weighted.predict(X)
    repeated = est.fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    assert_allclose(repeated.predict(X), pred_w, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# feature permutation, warm start, randomness
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("est", estimators(), ids=EST_IDS)
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_feature_permutation_permutes_coef(est, fmt):
    est = clone(est)  # parametrized instances are shared between cases
    X, y, rng = make(7, n_targets=2)
    perm = rng.permutation(X.shape[1])
    est.fit(as_format(X, fmt), y)
    coef = est.coef_.copy()
    intercept = np.copy(est.intercept_)
    est.fit(as_format(X[:, perm], fmt), y)
    certify(est, X[:, perm], y)
    close(est.coef_, coef[:, perm])
    close(est.intercept_, intercept)


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD])
@pytest.mark.parametrize("n_targets", [None, 2])
def test_warm_start(cls, n_targets):
    X, y, _ = make(8, n_targets=n_targets)
    kw = dict(tol=TIGHT, max_iter=10_000)
    cold = cls(alpha=0.02, **kw).fit(X, y)
    warm = cls(alpha=0.2, warm_start=True, **kw).fit(X, y)
    warm.set_params(alpha=0.02).fit(X, y)
    assert_enet_certified(warm, X, y)
    close(warm.coef_, cold.coef_)
    # refitting from a certified solution on the same problem: the first gap evaluation
    # accepts the starting point, so no subproblem is solved (n_iter_ == 0, as scikit-learn
    # counts) and nothing moves
    coef = warm.coef_.copy()
    warm.fit(X, y)
    n_iter = np.atleast_1d(warm.n_iter_)
    assert np.all(n_iter == 0), warm.n_iter_
    assert np.array_equal(warm.coef_, coef)
    # without warm_start the same refit starts from zero and needs more work
    cold.fit(X, y)
    assert np.all(np.atleast_1d(cold.n_iter_) >= 1)


def test_warm_start_is_ignored_when_shapes_change():
    X, y, _ = make(9)
    est = LassoCD(alpha=0.05, warm_start=True, tol=1e-10).fit(X, y)
    est.fit(X[:, :6], y)  # fewer features: must start cold and still be right
    assert est.coef_.shape == (6,)
    assert_enet_certified(est, X[:, :6], y)


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD])
def test_random_selection_is_seeded(cls):
    X, y, _ = make(10, p=25)
    fits = [
        cls(alpha=0.02, selection="random", random_state=seed, tol=1e-6).fit(X, y)
        for seed in (0, 0, 1)
    ]
    assert np.array_equal(fits[0].coef_, fits[1].coef_)
    for f in fits:
        assert_enet_certified(f, X, y)
    # a RandomState instance works too
    est = cls(alpha=0.02, selection="random", random_state=np.random.RandomState(3), tol=1e-6)
    assert_enet_certified(est.fit(X, y), X, y)


# ---------------------------------------------------------------------------------------------
# dtypes, inputs untouched, sparse never densified, read-only memory maps
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("est", estimators(tol=1e-4), ids=EST_IDS)
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("n_targets", [None, 2])
def test_float32_in_float32_out(est, fmt, n_targets):
    est = clone(est)  # parametrized instances are shared between cases
    X, y, _ = make(11, n_targets=n_targets)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    est.fit(as_format(X32, fmt), y32)
    assert est.coef_.dtype == np.float32
    if np.ndim(est.intercept_):
        assert est.intercept_.dtype == np.float32
    else:
        assert np.asarray(est.intercept_).dtype == np.float32
    pred = est.predict(as_format(X32, fmt))
    assert pred.dtype == np.float32
    # certified on the float32 data (the solution stored in float32 moves the gap by at most
    # ~1e-7 ||yt||^2 relative to tol ||yt||^2 = 1e-4 ||yt||^2)
    certify(est, X32.astype(np.float64), y32.astype(np.float64), slack=1e-6)
    # float64 input still gives float64
    est.fit(as_format(X, fmt), y)
    assert est.coef_.dtype == np.float64
    assert est.predict(X).dtype == np.float64


@pytest.mark.parametrize("est", estimators(tol=1e-4), ids=EST_IDS)
@pytest.mark.parametrize("fmt", ["dense_c", "dense_f", "csr", "csc"])
@pytest.mark.parametrize("copy_X", [True, False])
@pytest.mark.parametrize("n_targets", [None, 2])
def test_inputs_not_modified(est, fmt, copy_X, n_targets):
    est = clone(est)  # parametrized instances are shared between cases
    X, y, rng = make(12, n_targets=n_targets)
    sw = rng.uniform(0.2, 2.0, size=len(y))
    if fmt == "dense_f":
        X = np.asfortranarray(X)
    Xin = X if fmt.startswith("dense") else as_format(X, fmt)
    X0 = Xin.copy()
    y0, sw0 = y.copy(), sw.copy()
    est.set_params(copy_X=copy_X).fit(Xin, y, sample_weight=sw)
    est.predict(Xin)
    if sp.issparse(Xin):
        assert np.array_equal(Xin.data, X0.data)
        assert np.array_equal(Xin.indices, X0.indices)
        assert np.array_equal(Xin.indptr, X0.indptr)
    else:
        assert np.array_equal(Xin, X0)
    assert np.array_equal(y, y0)
    assert np.array_equal(sw, sw0)


class _Densified(AssertionError):
    pass


@pytest.fixture
def forbid_densifying(monkeypatch):
    """Make densifying any sparse matrix/array of a given shape raise.

    Patches ``toarray``/``todense`` on every scipy.sparse class that defines them (the input
    may be converted between formats and classes inside the estimator, so patching only the
    input object would not be enough). Densifying other shapes (e.g. a small Gram matrix of
    shape (p, p)) stays allowed.
    """
    forbidden = []

    def all_classes(cls):
        yield cls
        for sub in cls.__subclasses__():
            yield from all_classes(sub)

    for cls in set(all_classes(sp._base._spbase)):
        for name in ("toarray", "todense"):
            if name in cls.__dict__:
                orig = cls.__dict__[name]

                def patched(self, *args, _orig=orig, **kwargs):
                    if self.shape in forbidden:
                        raise _Densified(f"densified a sparse input of shape {self.shape}")
                    return _orig(self, *args, **kwargs)

                monkeypatch.setattr(cls, name, patched)
    return forbidden


@pytest.mark.parametrize("est", estimators(tol=1e-6), ids=EST_IDS)
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr_array", "csc_array", "coo_array"])
@pytest.mark.parametrize("weights", [False, True])
def test_sparse_input_never_densified(est, fmt, weights, forbid_densifying):
    est = clone(est)  # parametrized instances are shared between cases
    rng = np.random.default_rng(13)
    n, p = 37, 300  # p > n, and the shape of no Gram matrix
    Xs = sp.random(n, p, density=0.05, format="csc", random_state=rng, dtype=np.float64)
    y = Xs[:, :5] @ np.array([1.0, -2.0, 3.0, 1.5, -1.0]) + 0.1 * rng.normal(size=n)
    sw = rng.uniform(0.5, 2.0, size=n) if weights else None
    Xin = as_format(Xs, fmt)
    X_dense = Xin.toarray()  # reference copy made before the guard is armed
    forbid_densifying.append((n, p))
    with pytest.raises(_Densified):  # the guard works
        Xin.toarray()
    est.fit(Xin, y, sample_weight=sw)
    pred = est.predict(Xin)
    forbid_densifying.clear()
    certify(est, X_dense, y, sw)
    assert_allclose(pred, X_dense @ est.coef_ + est.intercept_, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("est", estimators(tol=1e-8), ids=EST_IDS)
@pytest.mark.parametrize("weights", [False, True])
def test_readonly_memmap_inputs(est, weights, tmp_path):
    est = clone(est)  # parametrized instances are shared between cases
    X, y, rng = make(14)
    sw = rng.uniform(0.2, 2.0, size=len(y)) if weights else None

    def memmap(name, a):
        path = tmp_path / f"{name}.dat"
        m = np.memmap(path, dtype=a.dtype, mode="w+", shape=a.shape)
        m[:] = a
        m.flush()
        del m
        return np.memmap(path, dtype=a.dtype, mode="r", shape=a.shape)

    Xm, ym = memmap("X", X), memmap("y", y)
    swm = None if sw is None else memmap("sw", sw)
    assert not Xm.flags.writeable
    est.fit(Xm, ym, sample_weight=swm)
    coef_m = est.coef_.copy()
    pred_m = est.predict(Xm)
    certify(est, X, y, sw)
    est.fit(X, y, sample_weight=sw)
    # same data, same deterministic algorithm
    assert_allclose(coef_m, est.coef_, rtol=1e-12, atol=1e-14)
    assert_allclose(pred_m, est.predict(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD, RidgeGD])
def test_n_iter_when_zero_is_accepted_at_once(cls):
    """alpha >> alpha_max: coordinate descent accepts w = 0 before solving any subproblem
    (n_iter_ == 0, as scikit-learn's Lasso reports); the ridge solvers count their direct
    solve as one iteration."""
    X, y, _ = make(15, n_targets=3)
    expected = 1 if cls is RidgeGD else Lasso(alpha=1e6).fit(X, y[:, 0]).n_iter_
    assert expected in (0, 1)
    est = cls(alpha=1e6).fit(X, y)
    assert [int(k) for k in est.n_iter_] == [expected] * 3
    certify(est, X, y)
    est = cls(alpha=1e6).fit(X, y[:, 0])
    assert int(est.n_iter_) == expected
    certify(est, X, y[:, 0])
