"""Randomised problems (hypothesis, derandomised): every returned solution is certified.

Small, awkward problems -- p > n, duplicated and constant columns, zero weights, constant
targets -- at the default tolerance: whatever the solver does internally, the stopping rule
it reports must hold for the independent gap of ``_certificates.py``.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sparsefit import ElasticNetCD, LassoCD, RidgeGD

from ._certificates import (
    assert_enet_certified,
    assert_ridge_certified,
    enet_alpha_max,
    ridge_certificate,
)

FUZZ = settings(max_examples=150, deadline=None, derandomize=True)


@st.composite
def problems(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(3, 30))
    p = draw(st.integers(1, 25))
    X = rng.normal(size=(n, p)) * rng.uniform(0.1, 10.0, size=p) + rng.normal(size=p)
    X[rng.uniform(size=X.shape) < draw(st.floats(0.0, 0.7))] = 0.0
    if p >= 3 and draw(st.booleans()):
        X[:, 1] = X[:, 0]  # duplicated column: the solution is not unique
        X[:, 2] = 3.0  # constant column: zero norm once centred
    y = X @ (rng.normal(size=p) * (rng.uniform(size=p) < 0.5)) + rng.normal(size=n)
    sw = None
    if draw(st.booleans()):
        sw = rng.uniform(0.0, 3.0, size=n)
        sw[rng.uniform(size=n) < 0.2] = 0.0
        if not np.any(sw > 0):
            sw[0] = 1.0
    fmt = draw(st.sampled_from(["dense", "csr", "csc"]))
    return X, y, sw, fmt


def as_format(X, fmt):
    return X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)


@FUZZ
@given(
    problem=problems(),
    frac=st.floats(1e-3, 1.5),
    l1_ratio=st.sampled_from([1.0, 0.7, 0.1]),
    positive=st.booleans(),
    fit_intercept=st.booleans(),
    tol=st.sampled_from([1e-4, 1e-8]),
)
def test_enet_solutions_are_certified(problem, frac, l1_ratio, positive, fit_intercept, tol):
    X, y, sw, fmt = problem
    amax = enet_alpha_max(X, y, sw, fit_intercept, l1_ratio)
    alpha = frac * amax if amax > 0 else 0.1
    est = ElasticNetCD(
        alpha=alpha,
        l1_ratio=l1_ratio,
        positive=positive,
        fit_intercept=fit_intercept,
        tol=tol,
        max_iter=10_000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # these must converge
        est.fit(as_format(X, fmt), y, sample_weight=sw)
    assert est.n_iter_ >= 0
    assert_enet_certified(est, X, y, sw)


@FUZZ
@given(
    problem=problems(),
    alpha=st.floats(1e-2, 1e3),
    positive=st.booleans(),
    fit_intercept=st.booleans(),
    solver=st.sampled_from(["auto", "cg", "gd", "agd"]),
)
def test_ridge_solutions_are_certified(problem, alpha, positive, fit_intercept, solver):
    X, y, sw, fmt = problem
    if positive and solver == "cg":
        solver = "agd"
    est = RidgeGD(
        alpha=alpha,
        positive=positive,
        fit_intercept=fit_intercept,
        solver=solver,
        tol=1e-6,
        max_iter=20_000,
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit(as_format(X, fmt), y, sample_weight=sw)
    assert est.n_iter_ >= 0
    warned = any(issubclass(r.category, ConvergenceWarning) for r in record)
    if not warned:
        assert_ridge_certified(est, X, y, sw)
        return
    # Plain gradient descent needs O(kappa) iterations, and kappa = (L + alpha) / alpha is
    # huge on these badly scaled, often rank-deficient problems: running out of iterations
    # is legitimate for 'gd' only (CG converges in <= p steps, AGD in O(sqrt(kappa))). The
    # warning must then be truthful: the returned point really is above the tolerance, and
    # the reported gap is its gap.
    assert solver == "gd", [str(r.message) for r in record]
    assert est.n_iter_ == 20_000
    cert = ridge_certificate(
        X,
        y,
        est.coef_,
        alpha=alpha,
        sample_weight=sw,
        fit_intercept=fit_intercept,
        positive=positive,
        tol=est.tol,
    )
    assert cert["gap"] > cert["tol"] * (1 - 1e-6)
    assert abs(float(est.dual_gap_) - cert["gap"]) <= 1e-6 * cert["gap"] + 1e-10 * cert["yt_norm2"]


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD, RidgeGD])
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_constant_target(cls, fmt):
    """||yt|| = 0 makes the tolerance 0: w = 0 has gap exactly 0 and must be accepted."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(15, 4))
    y = np.full(15, 3.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = cls(alpha=0.1).fit(as_format(X, fmt), y)
    assert np.all(est.coef_ == 0)
    assert est.intercept_ == pytest.approx(3.5, rel=1e-12)
    assert np.all(est.predict(X) == pytest.approx(3.5, rel=1e-12))


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD, RidgeGD])
def test_single_feature_and_zero_column(cls):
    rng = np.random.default_rng(1)
    X = np.c_[rng.normal(size=20), np.zeros(20)]
    y = 2 * X[:, 0] + 0.1 * rng.normal(size=20)
    est = cls(alpha=0.01, tol=1e-10).fit(X, y)
    assert est.coef_[1] == 0.0
    certify = assert_ridge_certified if cls is RidgeGD else assert_enet_certified
    certify(est, X, y)
    est = cls(alpha=0.01, tol=1e-10).fit(X[:, :1], y)
    certify(est, X[:, :1], y)
