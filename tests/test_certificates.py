"""The test oracle itself: ``_certificates.py`` accepts exact solutions and rejects others.

Without this, a certificate that always passes would make every solver test vacuous.
"""

from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import ElasticNet, Ridge

from ._certificates import (
    assert_enet_certified,
    assert_ridge_certified,
    enet_alpha_max,
    enet_certificate,
    enet_kkt,
    ridge_certificate,
    ridge_exact,
)


def problem(seed=0, n=30, p=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 1.0
    y = X @ rng.normal(size=p) + rng.normal(size=n) + 2.0
    sw = rng.uniform(0.2, 3.0, size=n)
    return X, y, sw


def as_est(model, **extra):
    """The attributes the assertion helpers read, from a fitted sklearn model."""
    fields = dict(
        coef_=model.coef_,
        intercept_=model.intercept_,
        alpha=model.alpha,
        fit_intercept=model.fit_intercept,
        positive=model.positive,
        tol=1e-10,
        dual_gap_=getattr(model, "dual_gap_", None),
    )
    fields.update(extra)
    return SimpleNamespace(**fields)


@pytest.mark.parametrize(
    "l1_ratio, positive",
    [
        (1.0, False),
        (0.5, False),
        (0.0, False),
        (1.0, True),
        (0.5, True),
        # (0.0, True) is left out: scikit-learn's formulation-B gap ignores the sign constraint,
        # so its own solver cannot certify that case and is no reference for it (the positive
        # ridge oracle is NNLS, see test_ridge_certificate)
    ],
)
def test_enet_certificate_accepts_sklearn_and_rejects_perturbed(l1_ratio, positive):
    X, y, sw = problem()
    alpha = 0.05 * enet_alpha_max(X, y, sw, l1_ratio=max(l1_ratio, 1e-3))
    ref = ElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, positive=positive, tol=1e-14, max_iter=1_000_000
    ).fit(X, y, sample_weight=sw)
    cert = enet_certificate(
        X,
        y,
        ref.coef_,
        alpha=alpha,
        l1_ratio=l1_ratio,
        sample_weight=sw,
        positive=positive,
        tol=1e-10,
    )
    assert cert["gap"] <= cert["tol"]
    assert_allclose(cert["gap"], ref.dual_gap_, rtol=1e-3, atol=1e-14 * cert["yt_norm2"])
    assert_allclose(cert["intercept"], ref.intercept_, rtol=1e-10)
    est = as_est(ref, l1_ratio=l1_ratio, dual_gap_=cert["gap"])
    assert_enet_certified(est, X, y, sw)

    bad = as_est(ref, l1_ratio=l1_ratio, dual_gap_=cert["gap"], coef_=ref.coef_ * 1.01)
    with pytest.raises(AssertionError):
        assert_enet_certified(bad, X, y, sw)
    bad = as_est(ref, l1_ratio=l1_ratio, dual_gap_=cert["gap"], intercept_=ref.intercept_ + 0.01)
    with pytest.raises(AssertionError):
        assert_enet_certified(bad, X, y, sw)
    # reporting a gap that is not the gap of the returned point is caught too
    bad = as_est(ref, l1_ratio=l1_ratio, dual_gap_=cert["gap"] + 0.01 * cert["yt_norm2"])
    with pytest.raises(AssertionError):
        assert_enet_certified(bad, X, y, sw)
    # the ignored weights are caught
    with pytest.raises(AssertionError):
        assert_enet_certified(est, X, y, None)


def test_kkt_flags_a_wrongly_zeroed_coordinate():
    X, y, _ = problem(1)
    alpha = 0.05 * enet_alpha_max(X, y)
    ref = ElasticNet(alpha=alpha, l1_ratio=1.0, tol=1e-14, max_iter=100_000).fit(X, y)
    viol, bound = enet_kkt(X, y, ref.coef_, alpha=alpha)
    assert np.all(viol <= bound + 1e-10)
    j = int(np.argmax(np.abs(ref.coef_)))
    w = ref.coef_.copy()
    w[j] = 0.0
    viol, _ = enet_kkt(X, y, w, alpha=alpha)
    # at the optimum this coordinate's violation was ~0; now it is of the order of alpha
    assert viol[j] > 0.1 * alpha


@pytest.mark.parametrize("positive", [False, True])
def test_ridge_certificate(positive):
    X, y, sw = problem(2)
    y = y - 3 * X[:, 0]
    alpha = 5.0
    w, b = ridge_exact(X, y, alpha=alpha, sample_weight=sw, positive=positive)
    if not positive:
        ref = Ridge(alpha=alpha, solver="cholesky").fit(X, y, sw)
        assert_allclose(w, ref.coef_, rtol=1e-10)
        assert_allclose(b, ref.intercept_, rtol=1e-10)
    else:
        assert np.any(w == 0)
    cert = ridge_certificate(X, y, w, alpha=alpha, sample_weight=sw, positive=positive, tol=1e-12)
    assert abs(cert["gap"]) <= 1e-12 * cert["yt_norm2"]
    est = SimpleNamespace(
        coef_=w,
        intercept_=b,
        alpha=alpha,
        fit_intercept=True,
        positive=positive,
        tol=1e-12,
        dual_gap_=cert["gap"],
    )
    assert_ridge_certified(est, X, y, sw)
    est.coef_ = w + 1e-3
    with pytest.raises(AssertionError):
        assert_ridge_certified(est, X, y, sw)
    # Ridge does not normalise weights: scaling them changes the problem
    est.coef_ = w
    with pytest.raises(AssertionError):
        assert_ridge_certified(est, X, y, 10 * sw)
