"""Property-based tests (hypothesis) over random small problems.

Each example draws a problem -- dense, CSR or CSC ``X``; float32 or float64; 1-D or multi-output
``y``; no weights, random weights with zeros, or integer weights -- and an estimator (LassoCD,
ElasticNetCD or RidgeGD, with or without intercept, ``positive`` on or off, cyclic or seeded
random selection, ``tol`` 1e-4 or 1e-8). Every fit must

* return finite coefficients, intercepts, gaps and predictions, with ``0 <= n_iter_ <= max_iter``;
* pass its stopping rule *recomputed independently* (``_certificates.py``: duality gap at the
  requested ``tol``, KKT conditions of the zero coordinates, optimal intercept);
* refit bit for bit (same data, same parameters, same ``random_state``);
* give the same predictions when the rows are shuffled, and when integer weights are replaced by
  repeated rows.

The last two comparisons are rigorous, not tuned: the objectives are strongly convex in the
(weighted, centred) predictions, so a point whose gap is ``g`` has predictions within
``sqrt(2 sum(s) g)`` (Lasso/ENet, ``g`` in ``dual_gap_`` units) or ``sqrt(g)`` (Ridge) of the
unique optimal ones, in the norm ``||v||_s = sqrt(sum_i s_i v_i^2)``. Two certified fits of the
same problem are therefore within the sum of their two radii, whatever the solver did.

Profiles (``tests/conftest.py``): ``ci`` by default (few examples, small problems);
``HYPOTHESIS_PROFILE=thorough`` for many more examples on larger problems. ``STATS`` counts
what ran; the terminal summary prints it.
"""

import os
import warnings

import numpy as np
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sparsefit import ElasticNetCD, LassoCD, RidgeGD

from ._certificates import assert_enet_certified, assert_ridge_certified, enet_alpha_max

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
MAX_N = 250 if THOROUGH else 40
MAX_P = 300 if THOROUGH else 30

#: what ran, for the terminal summary (tests/conftest.py)
STATS = {"examples": 0, "fits": 0, "max_n": 0, "max_p": 0, "max_size": (0, 0)}


def _record(n, p, fits):
    STATS["examples"] += 1
    STATS["fits"] += fits
    STATS["max_n"] = max(STATS["max_n"], n)
    STATS["max_p"] = max(STATS["max_p"], p)
    if n * p > STATS["max_size"][0] * STATS["max_size"][1]:
        STATS["max_size"] = (n, p)


# ---------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------
@st.composite
def problems(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(1, MAX_N))
    p = draw(st.integers(1, MAX_P))
    k = draw(st.sampled_from([None, 2, 3]))  # None: 1-D y
    X = rng.normal(size=(n, p)) * rng.uniform(0.1, 10.0, size=p) + rng.normal(size=p)
    X[rng.uniform(size=X.shape) < draw(st.floats(0.0, 0.8))] = 0.0
    if p >= 3 and draw(st.booleans()):
        X[:, 1] = X[:, 0]  # duplicated column: the coefficients are not unique
        X[:, 2] = -2.0  # constant column: zero once centred
    W = rng.normal(size=(p, k or 1)) * (rng.uniform(size=(p, k or 1)) < 0.5)
    Y = X @ W + rng.normal(size=(n, k or 1)) + rng.normal(size=k or 1)
    y = Y[:, 0] if k is None else Y
    weights = draw(st.sampled_from(["none", "random", "integer"]))
    sw = None
    if weights == "random":
        sw = rng.uniform(0.0, 3.0, size=n)
        sw[rng.uniform(size=n) < 0.25] = 0.0
    elif weights == "integer":
        sw = rng.integers(0, 4, size=n).astype(np.float64)
    if sw is not None and not np.any(sw > 0):
        sw[rng.integers(n)] = 1.0
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    fmt = draw(st.sampled_from(["dense", "csr", "csc"]))
    return {
        "X": X.astype(dtype),
        "y": y.astype(dtype),
        "sw": sw,
        "fmt": fmt,
        "rng": rng,
    }


@st.composite
def estimators(draw):
    kind = draw(st.sampled_from(["lasso", "enet", "ridge"]))
    common = dict(
        fit_intercept=draw(st.booleans()),
        positive=draw(st.booleans()),
        tol=draw(st.sampled_from([1e-4, 1e-8])),
    )
    if kind == "ridge":
        solver = draw(st.sampled_from(["auto", "cg", "agd"]))
        if common["positive"] and solver == "cg":
            solver = "agd"
        alpha = 10.0 ** draw(st.floats(-2, 2))
        return RidgeGD(alpha=alpha, solver=solver, **common)
    selection = draw(st.sampled_from(["cyclic", "random"]))
    common.update(selection=selection, random_state=draw(st.integers(0, 2**16)))
    # alpha as a fraction of alpha_max, resolved once the data are known
    frac = draw(st.floats(0.01, 1.5))
    if kind == "lasso":
        est = LassoCD(**common)
    else:
        est = ElasticNetCD(l1_ratio=draw(st.sampled_from([0.1, 0.5, 0.9])), **common)
    est._alpha_frac = frac  # read by _resolve_alpha, dropped by clone()
    return est


def _resolve_alpha(est, X64, y64, sw):
    frac = est.__dict__.pop("_alpha_frac", None)
    if frac is None:
        return est
    rho = getattr(est, "l1_ratio", 1.0)
    cols = [y64] if y64.ndim == 1 else list(y64.T)
    amax = max(enet_alpha_max(X64, yk, sw, est.fit_intercept, rho) for yk in cols)
    return est.set_params(alpha=frac * amax if amax > 0 else 0.1)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _as_format(X, fmt):
    return X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)


def _fit(est, X, y, sw):
    """Fit, refusing any ConvergenceWarning: these small problems must all be certified."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return est.fit(X, y, sample_weight=sw)


def _certify(est, X64, y64, sw, float32):
    slack = 1e-6 if float32 else 0.0
    if isinstance(est, RidgeGD):
        return assert_ridge_certified(est, X64, y64, sw, slack=slack)
    return assert_enet_certified(est, X64, y64, sw, slack=slack)


def _check_finite_and_bounded(est, X):
    for name in ("coef_", "intercept_", "dual_gap_"):
        assert np.all(np.isfinite(getattr(est, name))), name
    assert np.all(np.isfinite(est.predict(X)))
    n_iter = np.atleast_1d(est.n_iter_)
    max_iter = est.max_iter if est.max_iter is not None else 15000
    assert np.all((n_iter >= 0) & (n_iter <= max_iter)), est.n_iter_


def _predictions_and_radii(est, X64, certs, total):
    """Per target: predictions on ``X64`` with the certified (optimal) intercept, and radius.

    The radius bounds ``||pred - pred*||_s`` (see the module docstring), ``total`` being the sum
    of the fitted problem's weights; the intercept is the one the certificate proved optimal
    for ``coef_`` (checked against ``intercept_`` there), so the bound is rigorous even for
    float32 results.
    """
    coefs = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    out = []
    for w, cert in zip(coefs, certs, strict=True):
        gap = max(cert["gap"], 0.0)
        radius = np.sqrt(gap) if isinstance(est, RidgeGD) else np.sqrt(2.0 * total * gap)
        out.append((X64 @ w + cert["intercept"], radius))
    return out


def _assert_same_predictions(a, b, y64, sw):
    s = np.ones(len(y64)) if sw is None else np.asarray(sw, dtype=np.float64)
    Y = y64.reshape(len(y64), -1)
    for k, ((pa, ra), (pb, rb)) in enumerate(zip(a, b, strict=True)):
        dist = np.sqrt(s @ (pa - pb) ** 2)
        # rounding of the gaps themselves (~1e-16 of ||y||_s^2)
        slack = 1e-7 * np.sqrt(s @ Y[:, k] ** 2) + 1e-300
        assert dist <= ra + rb + slack, (k, dist, ra, rb)


# ---------------------------------------------------------------------------------------------
# the properties
# ---------------------------------------------------------------------------------------------
@given(problem=problems(), est=estimators())
def test_fit_is_finite_certified_and_deterministic(problem, est):
    X, y, sw, fmt = problem["X"], problem["y"], problem["sw"], problem["fmt"]
    float32 = X.dtype == np.float32
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    est = _resolve_alpha(est, X64, y64, sw)
    Xin = _as_format(X, fmt)

    first = _fit(clone(est), Xin, y, sw)
    _check_finite_and_bounded(first, Xin)
    assert first.coef_.dtype == X.dtype
    _certify(first, X64, y64, sw, float32)

    # refit: a fresh clone and a refit of the same object are both bitwise identical
    # (selection='random' draws from the same integer random_state each time)
    attrs = ("coef_", "intercept_", "dual_gap_", "n_iter_")
    expected = {a: np.array(getattr(first, a), copy=True) for a in attrs}
    pred = first.predict(Xin)
    again = _fit(clone(est), Xin, y, sw)
    first_refit = _fit(first, Xin, y, sw)
    for other in (again, first_refit):
        for a in attrs:
            assert np.array_equal(np.asarray(getattr(other, a)), expected[a]), a
        assert np.array_equal(other.predict(Xin), pred)
    _record(*X.shape, fits=3)


@given(problem=problems(), est=estimators())
def test_row_order_and_weight_repetition(problem, est):
    X, y, sw, fmt, rng = (problem[k] for k in ("X", "y", "sw", "fmt", "rng"))
    float32 = X.dtype == np.float32
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    est = _resolve_alpha(est, X64, y64, sw)
    n = X.shape[0]

    total = float(n if sw is None else np.sum(sw))
    base = _fit(clone(est), _as_format(X, fmt), y, sw)
    ref = _predictions_and_radii(base, X64, _certify(base, X64, y64, sw, float32), total)

    # rows shuffled (weights with them): same problem, same optimal predictions
    perm = rng.permutation(n)
    sw_p = None if sw is None else sw[perm]
    shuffled = _fit(clone(est), _as_format(X[perm], fmt), y[perm], sw_p)
    _check_finite_and_bounded(shuffled, _as_format(X, fmt))
    certs = _certify(shuffled, X64[perm], y64[perm], sw_p, float32)
    _assert_same_predictions(ref, _predictions_and_radii(shuffled, X64, certs, total), y64, sw)
    fits = 2

    # integer weights == repeated rows (the zero-weight rows disappear)
    if sw is not None and np.array_equal(sw, np.round(sw)):
        rows = np.repeat(np.arange(n), sw.astype(np.intp))
        repeated = _fit(clone(est), _as_format(X[rows], fmt), y[rows], None)
        _check_finite_and_bounded(repeated, _as_format(X, fmt))
        certs = _certify(repeated, X64[rows], y64[rows], None, float32)
        # the repeated problem's sum of weights is len(rows) = sum(sw) = total
        radii = _predictions_and_radii(repeated, X64, certs, float(len(rows)))
        _assert_same_predictions(ref, radii, y64, sw)
        fits += 1
    _record(n, X.shape[1], fits=fits)
