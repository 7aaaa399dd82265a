"""RidgeGD's conjugate-gradient modes all reach the same certified solution.

``solver='cg'`` works in the primal (data products or a formed Gram matrix) when
``n_samples >= n_features``, and on the dual (kernel) system for wide data, with the kernel
formed or applied through X; a formed system of moderate size is first solved by a
Cholesky factorization. The thresholds are moved here so that every mode runs on small
problems; each fit is certified and compared with scikit-learn's exact ``Ridge``.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import Ridge

import sparsefit._ridge as ridge_module
from sparsefit import RidgeGD

from ._certificates import assert_ridge_certified

MODES = {  # (_KERNEL_N, _DIRECT_MAX)
    "dual-kernel": ((10, 1000), 0),  # n >= 10 and n <= 1000: kernel matrix formed
    "dual-implicit": ((10, 20), 0),  # n > 20: kernel applied through X
    "primal": ((10**9, 10**9), 0),  # dual disabled
    "dual-direct": ((10, 1000), 1000),  # kernel formed and factorized
}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("weights", [None, "zeros"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_cg_modes_agree_with_sklearn(mode, fmt, weights, fit_intercept, monkeypatch):
    monkeypatch.setattr(ridge_module, "_KERNEL_N", MODES[mode][0])
    monkeypatch.setattr(ridge_module, "_DIRECT_MAX", MODES[mode][1])
    rng = np.random.default_rng(3)
    n, p = 30, 70  # wide: the dual modes apply
    X = rng.normal(size=(n, p)) + rng.uniform(-2, 2, size=p)
    y = X[:, :5] @ rng.normal(size=5) + rng.normal(size=n) + 4.0
    sw = None
    if weights:
        sw = rng.uniform(0.5, 2.0, size=n)
        sw[:4] = 0.0
    Xf = X if fmt == "dense" else sp.csr_matrix(X)
    est = RidgeGD(alpha=2.0, tol=1e-14, fit_intercept=fit_intercept).fit(Xf, y, sample_weight=sw)
    assert_ridge_certified(est, X, y, sw)
    ref = Ridge(alpha=2.0, solver="cholesky", fit_intercept=fit_intercept).fit(X, y, sw)
    # gap <= tol ||yt||^2 bounds the prediction error by about sqrt(tol) ||yt||
    assert_allclose(est.predict(X), ref.predict(X), rtol=1e-6, atol=1e-6 * np.abs(y).max())


@pytest.mark.parametrize("mode", ["dual-kernel", "dual-direct"])
def test_dual_route_makes_no_pass_for_xty(mode, monkeypatch):
    """The dual route solves for ``theta`` from ``yt`` alone: ``Xt^T yt`` (a pass over X)
    is never formed there, and the fit is still certified and equal to scikit-learn's."""
    import sparsefit._pipeline as pipeline

    monkeypatch.setattr(ridge_module, "_KERNEL_N", MODES[mode][0])
    monkeypatch.setattr(ridge_module, "_DIRECT_MAX", MODES[mode][1])

    def refuse(self):
        raise AssertionError("Xt^T yt formed on the dual route")

    monkeypatch.setattr(pipeline.FitProblem, "Xty", property(refuse))
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 70)) + 3.0
    y = X[:, :4] @ rng.normal(size=4) + rng.normal(size=30)
    est = RidgeGD(alpha=2.0, tol=1e-12).fit(X, y)
    assert_ridge_certified(est, X, y, None)
    ref = Ridge(alpha=2.0, solver="cholesky").fit(X, y)
    assert_allclose(est.predict(X), ref.predict(X), rtol=1e-6, atol=1e-6 * np.abs(y).max())


def test_dual_mode_weights_equal_repetition(monkeypatch):
    """On the dual system (no preconditioner), integer weights act as repeated rows."""
    monkeypatch.setattr(ridge_module, "_KERNEL_N", (5, 1000))
    rng = np.random.default_rng(4)
    X = rng.normal(size=(12, 40))
    y = rng.normal(size=12)
    sw = rng.integers(1, 4, size=12)
    est = RidgeGD(alpha=1.0, tol=1e-4).fit(X, y, sample_weight=sw)
    rep = RidgeGD(alpha=1.0, tol=1e-4).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    assert_allclose(est.predict(X), rep.predict(X), rtol=1e-9, atol=1e-12)
    assert_ridge_certified(est, X, y, sw)


@pytest.mark.parametrize("shift", [0.0, 3.0, 1e6])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("threaded", [False, True])
def test_kernel_matches_explicit_centring(shift, weighted, threaded, monkeypatch):
    """The kernel matrix equals the product of the explicitly centred, weighted design, both
    when it is formed from uncentred X with a correction (mild offsets) and when the columns
    are centred first (offsets that would cancel digits); exactly symmetric, by NumPy's
    product on one BLAS thread and SciPy's on several."""
    import contextlib

    from sparsefit import _data, _tuning
    from sparsefit._data import center_data

    threads = []  # (the threaded flag of each symmetric product)
    original, upper = _data.gram_product, _data.gram_upper

    def product(A, threaded=True):
        threads.append(threaded)
        return original(A, threaded)

    monkeypatch.setattr(_data, "gram_product", product)
    monkeypatch.setattr(_data, "gram_upper", lambda A, *u: threads.append(True) or upper(A, *u))

    rng = np.random.default_rng(5)
    X = rng.normal(size=(15, 40)) + shift
    sw = rng.uniform(0.5, 2.0, size=15) if weighted else None
    design = center_data(X, np.zeros(15), sw, fit_intercept=True, normalize_weights=False)[0]
    if threaded:  # as if the product ran on several threads
        monkeypatch.setattr(_tuning, "PARALLEL_FLOPS", 0)
        design.parallel = lambda: contextlib.nullcontext("limiter")
    s = np.ones(15) if sw is None else sw
    Xt = np.sqrt(s)[:, None] * (X - np.average(X, axis=0, weights=s))
    K = Xt @ Xt.T
    formed = design.kernel()
    assert_allclose(formed, K, rtol=1e-9, atol=1e-9 * np.abs(K).max())
    assert_array_equal(formed, formed.T)
    if threaded or (shift < 1e6 and not weighted):  # (else NumPy's products of blocks)
        assert threads and all(t == threaded for t in threads)
    else:
        assert not threads


def _count_kernels(monkeypatch):
    from sparsefit._data import SparseDesign

    formed = []
    kernel = SparseDesign.kernel

    def counted(self):
        formed.append(self.n_samples)
        return kernel(self)

    monkeypatch.setattr(SparseDesign, "kernel", counted)
    return formed


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_wide_ridge_iterates_through_x_when_well_conditioned(fmt, monkeypatch):
    """Sparse binary wide data have a well-conditioned kernel: conjugate gradient through X
    certifies in a few passes, and the kernel (a sparse product costing dozens of passes)
    is never formed."""
    formed = _count_kernels(monkeypatch)
    rng = np.random.default_rng(11)
    X = sp.random(120, 3000, density=0.02, format=fmt, random_state=rng, data_rvs=np.ones)
    y = X[:, :10] @ rng.normal(size=10) + 0.1 * rng.normal(size=120)
    est = RidgeGD(alpha=1.0, tol=1e-14).fit(X, y)
    assert formed == []
    assert_ridge_certified(est, X, y)
    ref = Ridge(alpha=1.0, solver="cholesky").fit(X.toarray(), y)
    assert_allclose(est.predict(X), ref.predict(X.toarray()), rtol=1e-6, atol=1e-6)


def test_sparse_wide_ridge_forms_the_kernel_when_iterating_costs_more(monkeypatch):
    """Nearly repeated rows and a small alpha: the dual system is ill-conditioned, conjugate
    gradient through X spends the kernel's price (made small here) without certifying, and
    the fit goes on with the formed kernel, still certified and equal to scikit-learn's."""
    from sparsefit._data import SparseDesign

    formed = _count_kernels(monkeypatch)
    monkeypatch.setattr(SparseDesign, "kernel_passes", lambda self, floor=False: 6.0)
    rng = np.random.default_rng(12)
    base = sp.random(20, 400, density=0.05, random_state=rng, data_rvs=np.ones).toarray()
    X = np.repeat(base, 3, axis=0) + 1e-3 * rng.normal(size=(60, 400)) * (base.repeat(3, 0) > 0)
    y = X[:, :5] @ rng.normal(size=5) + 0.1 * rng.normal(size=60)
    Xs = sp.csr_matrix(X)
    est = RidgeGD(alpha=1e-6, tol=1e-12).fit(Xs, y)
    assert formed == [60]
    assert_ridge_certified(est, X, y)
    ref = Ridge(alpha=1e-6, solver="cholesky").fit(X, y)
    assert_allclose(est.predict(X), ref.predict(X), rtol=1e-5, atol=1e-5 * np.abs(y).max())


def test_kernel_price_counts_the_same_on_both_formats():
    """The kernel's price reads column counts from CSC's pointers or CSR's indices alike."""
    from sparsefit._data import center_data

    rng = np.random.default_rng(13)
    X = sp.random(50, 300, density=0.05, format="csr", random_state=rng)
    prices = [
        center_data(M, np.zeros(50), None, fit_intercept=True)[0].kernel_passes()
        for M in (X, X.tocsc())
    ]
    counts = np.diff(X.tocsc().indptr).astype(float)
    assert prices[0] == prices[1] > (counts @ counts) / X.nnz
    floor = center_data(X, np.zeros(50), None, fit_intercept=True)[0].kernel_passes(floor=True)
    assert_allclose(prices[0] - floor, (counts @ counts) / X.nnz)


def test_exact_kernel_price_counted_only_past_its_floor(monkeypatch):
    """The column counts of the kernel's price (a pass over CSR's indices) are taken only
    once the iterations through X reach the price's lower bound: well-conditioned data
    certify before."""
    from sparsefit._data import SparseDesign

    calls = []
    original = SparseDesign.kernel_passes

    def counted(self, floor=False):
        calls.append(floor)
        return original(self, floor=floor)

    monkeypatch.setattr(SparseDesign, "kernel_passes", counted)
    rng = np.random.default_rng(14)
    X = sp.random(60, 3000, density=0.02, format="csr", random_state=rng, data_rvs=np.ones)
    y = rng.normal(size=60)
    est = RidgeGD(alpha=1.0, tol=1e-8).fit(X, y)
    assert_ridge_certified(est, X.toarray(), y)
    assert calls == [True]


@pytest.mark.parametrize("shift", [0.0, 1e4])
@pytest.mark.parametrize("weighted", [False, True])
def test_dual_direct_certifies_from_the_kernel(shift, weighted, monkeypatch):
    """A formed kernel certifies the Cholesky point by itself (``R = yt - K theta``,
    ``||Xt^T R||^2 = R^T K R``): no product with X after ``w = Xt^T theta``; the independent
    certificate agrees, offsets that cancel digits included."""
    from sparsefit._data import DenseDesign

    def refuse(self, w, idx=None):
        raise AssertionError("a pass over X for the certificate")

    monkeypatch.setattr(DenseDesign, "matvec", refuse)
    rng = np.random.default_rng(14)
    X = rng.normal(size=(40, 300)) + shift
    y = X[:, :5] @ rng.normal(size=5) + rng.normal(size=40)
    sw = rng.uniform(0.5, 2.0, size=40) if weighted else None
    for alpha in (1e-2, 1.0, 100.0):
        est = RidgeGD(alpha=alpha, tol=1e-6).fit(X, y, sample_weight=sw)
        assert_ridge_certified(est, X, y, sw)
        ref = Ridge(alpha=alpha, solver="cholesky").fit(X, y, sw)
        assert_allclose(est.predict(X), ref.predict(X), rtol=1e-6, atol=1e-6 * np.abs(y).max())


def test_kernel_certificate_defers_to_the_data_below_its_rounding(monkeypatch):
    """At a tolerance below the kernel's rounding the gap comes from the data (two passes),
    and the fit is still certified."""
    import sparsefit._ridge as ridge

    used = []
    kernel_gap = ridge._Residuals.kernel_gap

    def spy(self, theta, w):
        used.append(kernel_gap(self, theta, w))
        return used[-1]

    monkeypatch.setattr(ridge._Residuals, "kernel_gap", spy)
    rng = np.random.default_rng(15)
    X = rng.normal(size=(30, 200)) + 50.0
    y = X[:, :3] @ rng.normal(size=3) + rng.normal(size=30)
    est = RidgeGD(alpha=1.0, tol=1e-15).fit(X, y)
    assert used == [None]
    assert_ridge_certified(est, X, y)


@pytest.mark.parametrize("shift", [0.0, 1e3, 1e6])
def test_sparse_kernel_with_offsets_certified(shift, monkeypatch):
    """A sparse kernel is formed from uncentred X corrected by the offsets: its rounding is
    that of the raw columns, which its certificate accounts for; columns whose offsets
    dwarf their spread (fully stored, mean 1e6) never get a kernel (the correction would
    cancel the digits that products through X keep). Every tolerance is met, by the
    independent certificate."""
    from sparsefit._data import SparseDesign

    formed = _count_kernels(monkeypatch)
    # the kernel at once
    monkeypatch.setattr(SparseDesign, "kernel_passes", lambda self, floor=False: 3.0)
    rng = np.random.default_rng(16)
    X = sp.random(40, 300, density=0.3, random_state=rng, format="csr")
    X.data += shift
    heavy = sp.csr_matrix(1e6 + rng.normal(size=(40, 300)))
    y = rng.normal(size=40)
    for tol in (1e-4, 1e-8, 1e-12):
        assert_ridge_certified(RidgeGD(alpha=1.0, tol=tol).fit(X, y), X, y)
    kernels = len(formed)
    for tol in (1e-2, 1e-4, 1e-8):
        assert_ridge_certified(RidgeGD(alpha=1.0, tol=tol).fit(heavy, y), heavy, y)
    assert len(formed) == kernels


def test_many_targets_share_one_kernel_and_factorization(monkeypatch):
    """Targets at the same alpha are solved together on dense wide data: one kernel, one
    penalty and one Cholesky factorization per distinct alpha, every target certified by its
    own gap (one block of kernel products for all) and equal to scikit-learn's."""
    import sparsefit._ridge as ridge
    from sparsefit._data import DenseDesign

    calls = {"kernel": 0, "factor": 0}
    kernel, factor = DenseDesign.kernel, ridge._cholesky_factor

    def counted_kernel(self):
        calls["kernel"] += 1
        return kernel(self)

    def counted_factor(*args):
        calls["factor"] += 1
        return factor(*args)

    monkeypatch.setattr(DenseDesign, "kernel", counted_kernel)
    monkeypatch.setattr(ridge, "_cholesky_factor", counted_factor)
    from sparsefit import penalties

    to_solver = penalties._Penalty.to_solver

    def counted_conversion(self, *args):
        calls["convert"] = calls.get("convert", 0) + 1
        return to_solver(self, *args)

    monkeypatch.setattr(penalties._Penalty, "to_solver", counted_conversion)
    rng = np.random.default_rng(17)
    X = rng.normal(size=(30, 120)) + 2.0
    Y = X[:, :4] @ rng.normal(size=(4, 6)) + rng.normal(size=(30, 6))
    alphas = np.array([1.0, 5.0, 1.0, 1.0, 5.0, 1.0])
    est = RidgeGD(alpha=alphas, tol=1e-8).fit(X, Y)
    assert calls == {"kernel": 1, "factor": 2, "convert": 2}  # (per distinct alpha)
    assert_ridge_certified(est, X, Y)
    ref = Ridge(alpha=alphas, solver="cholesky").fit(X, Y)
    assert_allclose(est.predict(X), ref.predict(X), rtol=1e-6, atol=1e-6 * np.abs(Y).max())


@pytest.mark.parametrize("tol", [1e-4, 1e-6])
def test_dual_conjugate_gradient_certified_at_its_own_dual_iterate(tol):
    """Conjugate gradient on the dual system stops once the gap at its own iterate
    ``alpha theta`` (half its squared residual) meets ``tol``, certified from the data; the
    gap at the residual is then still orders of magnitude larger (the point would not be
    certified by it), while the reported gap bounds the exact suboptimality."""
    from ._certificates import ridge_certificate

    rng = np.random.default_rng(21)
    X = sp.random(200, 4000, density=0.02, format="csr", random_state=rng)
    X = X @ sp.diags(np.logspace(0, 2, 4000))  # (a spread spectrum: many iterations)
    y = X[:, :10] @ rng.normal(size=10) + rng.normal(size=200)
    est = RidgeGD(alpha=1e-2, tol=tol).fit(X, y)
    at_residual = ridge_certificate(X, y, est.coef_, alpha=1e-2, tol=tol)
    assert at_residual["gap"] > 100 * at_residual["tol"]
    (cert,) = assert_ridge_certified(est, X.toarray(), y)
    assert cert["suboptimality"] <= est.dual_gap_ <= cert["tol"]


@pytest.mark.parametrize("seed", [0, 3])
def test_stalled_dual_iterations_never_replace_a_better_direct_start(seed):
    """Columns on scales 1 to 1e4 with a target of scale 1e-3 and a tight ``tol``: the
    Cholesky start on the formed kernel is near exact but cannot certify ``tol`` in floating
    point; conjugate gradient on the dual system, which starts afresh, then stalls far worse
    (it returned points up to 1900 times worse than ``w = 0``). The better point is kept:
    suboptimality at rounding level, no worse than scikit-learn's; at most a
    ConvergenceWarning (the gap cannot certify such a tol here)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from ._certificates import ridge_certificate, ridge_objective, ridge_suboptimality

    rng = np.random.default_rng(seed)
    X = sp.random(85, 92, density=0.25, format="csr", random_state=rng)
    X = sp.csr_matrix(X @ sp.diags(np.logspace(0, 4, 92)))
    y = 1e-3 * rng.normal(size=85) + 50.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = RidgeGD(alpha=0.27, tol=2e-10).fit(X, y)
    assert all(issubclass(w.category, ConvergenceWarning) for w in caught)
    cert = ridge_certificate(X, y, est.coef_, alpha=0.27, tol=2e-10)
    floor = ridge_suboptimality(cert["Xt"], cert["yt"], est.coef_, 0.27)
    assert floor <= 1e-12 * cert["yt_norm2"]
    ref = Ridge(alpha=0.27).fit(X, y)
    mine = ridge_objective(X, y, est.coef_, est.intercept_, alpha=0.27)
    theirs = ridge_objective(X, y, ref.coef_, ref.intercept_, alpha=0.27)
    assert mine <= theirs + 1e-12 * cert["yt_norm2"]
