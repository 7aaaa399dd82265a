"""The duality gap formula (``sparsefit._objective.duality_gap``).

Checked against the independent implementation in ``_certificates.py`` (written from
scikit-learn's ``gap_enet``), against weak duality (gap >= 0 at any feasible point) and
against scikit-learn's own optimum (gap ~ 0 there).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.linear_model import ElasticNet, Lasso, Ridge

from sparsefit._objective import duality_gap as _duality_gap
from sparsefit.penalties import SeparablePenalty

from ._certificates import center, enet_gap_sum_form, ridge_gap_sum_form

HYP = settings(max_examples=60, deadline=None, derandomize=True)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def problem(seed, n=30, p=12, weights=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X[:, :3] @ np.array([1.5, -2.0, 1.0]) + 0.5 * rng.normal(size=n) + 3.0
    sw = rng.uniform(0.2, 2.0, size=n) if weights else None
    return X, y, sw


def summaries(Xt, yt, w):
    R = yt - Xt @ w
    return Xt.T @ R, float(R @ R), float(R @ yt)


def duality_gap(XtR, RtR, Rty, w, l1, l2, positive=False):
    """The gap of a uniform penalty (scikit-learn's formulations), through the solver's
    vector penalty."""
    p = np.shape(w)[0]
    lower = np.full(p, 0.0 if positive else -np.inf)
    penalty = SeparablePenalty(np.full(p, l1), np.full(p, l2), lower, np.full(p, np.inf))
    return _duality_gap(XtR, RtR, Rty, w, penalty)


def sk_gap(Xt, yt, w, l1, l2, positive):
    return duality_gap(*summaries(Xt, yt, w), w, l1, l2, positive)


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("l1, l2", [(5.0, 0.0), (5.0, 3.0), (0.0, 3.0), (0.0, 0.0), (1e3, 1.0)])
def test_gap_matches_independent_formula(l1, l2, positive):
    """Formulations A (l1 > 0), B (l1 = 0 < l2) and OLS against _certificates."""
    X, y, sw = problem(0, weights=True)
    Xt, yt, *_ = center(X, y, sw)
    rng = np.random.default_rng(1)
    for _ in range(5):
        w = rng.normal(size=X.shape[1]) * rng.choice([0.0, 1.0], size=X.shape[1])
        if positive:
            w = np.abs(w)
        expected = enet_gap_sum_form(Xt, yt, w, l1, l2, positive)
        got = sk_gap(Xt, yt, w, l1, l2, positive)
        assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * (yt @ yt))


def test_formulation_a_closed_form_at_zero():
    """At w = 0, formulation A is known in closed form.

    R = yt, so primal = ||yt||^2/2 and, with s = min(1, l1 / ||Xt^T yt||_inf), the dual is
    s ||yt||^2 - s^2 ||yt||^2 / 2; gap = (1 - s)^2 ||yt||^2 / 2.
    """
    X, y, _ = problem(2)
    Xt, yt, *_ = center(X, y)
    yy = yt @ yt
    zmax = np.max(np.abs(Xt.T @ yt))
    w = np.zeros(X.shape[1])
    for l1 in (0.1 * zmax, 0.5 * zmax, zmax, 2 * zmax):
        s = min(1.0, l1 / zmax)
        assert_allclose(
            sk_gap(Xt, yt, w, l1, 0.0, False), 0.5 * (1 - s) ** 2 * yy, rtol=1e-12, atol=1e-12 * yy
        )
    # l1 >= ||Xt^T yt||_inf: zero is optimal and certified exactly
    assert abs(sk_gap(Xt, yt, w, 2 * zmax, 0.0, False)) <= 1e-12 * yy


def test_formulation_b_is_exact_ridge_gap():
    """With l1 = 0 the gap equals P(w) - P(w*) + D(theta*) - D(R), computed from the exact
    ridge solution w* (closed form): P(w*) = D(theta*) by strong duality."""
    X, y, _ = problem(3)
    Xt, yt, *_ = center(X, y)
    l2 = 4.0
    p = X.shape[1]
    w_star = np.linalg.solve(Xt.T @ Xt + l2 * np.eye(p), Xt.T @ yt)

    def P(w):
        r = yt - Xt @ w
        return 0.5 * r @ r + 0.5 * l2 * w @ w

    def D(theta):
        v = Xt.T @ theta
        return theta @ yt - 0.5 * theta @ theta - 0.5 * (v @ v) / l2

    assert_allclose(P(w_star), D(yt - Xt @ w_star), rtol=1e-12)
    rng = np.random.default_rng(4)
    for _ in range(3):
        w = w_star + rng.normal(size=p)
        assert_allclose(sk_gap(Xt, yt, w, 0.0, l2, False), P(w) - D(yt - Xt @ w), rtol=1e-10)
    assert abs(sk_gap(Xt, yt, w_star, 0.0, l2, False)) <= 1e-10 * (yt @ yt)
    # same number as _certificates' ridge gap (sum form, alpha = l2)
    assert_allclose(
        sk_gap(Xt, yt, w, 0.0, l2, False), ridge_gap_sum_form(Xt, yt, w, l2), rtol=1e-10
    )


@HYP
@given(
    seed=seeds,
    positive=st.booleans(),
    l1=st.floats(0.0, 50.0),
    l2=st.floats(0.0, 20.0),
    sparsity=st.floats(0.0, 1.0),
)
def test_weak_duality_gap_is_nonnegative(seed, positive, l1, l2, sparsity):
    """Any feasible w has gap >= 0 (up to rounding)."""
    X, y, _ = problem(seed % 1000, n=20, p=8)
    Xt, yt, *_ = center(X, y)
    rng = np.random.default_rng(seed)
    w = rng.normal(size=X.shape[1]) * (rng.uniform(size=X.shape[1]) > sparsity)
    if positive:
        w = np.abs(w)
    gap = sk_gap(Xt, yt, w, l1, l2, positive)
    assert gap >= -1e-10 * (1 + yt @ yt + np.abs(w).sum())


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_gap_vanishes_at_sklearn_optimum(l1_ratio, weights, positive):
    X, y, sw = problem(5, weights=weights)
    n = X.shape[0]
    alpha = 0.05
    est = (
        Lasso(alpha=alpha, tol=1e-14, max_iter=100_000, positive=positive)
        if l1_ratio == 1.0
        else ElasticNet(
            alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=100_000, positive=positive
        )
    )
    est.fit(X, y, sample_weight=sw)
    Xt, yt, *_ = center(X, y, sw)
    l1, l2 = n * alpha * l1_ratio, n * alpha * (1 - l1_ratio)
    gap = sk_gap(Xt, yt, est.coef_, l1, l2, positive)
    yy = yt @ yt
    assert abs(gap) <= 1e-11 * yy
    # sklearn's reported dual_gap_ is the same quantity divided by n
    assert_allclose(gap / n, est.dual_gap_, rtol=1e-3, atol=1e-12 * yy / n)
    # and a perturbed point has a clearly positive gap
    w = est.coef_.copy()
    w[0] += 0.1 if not positive else abs(w[0]) + 0.1
    assert sk_gap(Xt, yt, w, l1, l2, positive) > 1e-6 * yy


def test_gap_vanishes_at_sklearn_ridge_optimum():
    X, y, sw = problem(6, weights=True)
    alpha = 2.5
    ridge = Ridge(alpha=alpha, solver="cholesky").fit(X, y, sample_weight=sw)
    Xt, yt, *_ = center(X, y, sw, normalize=False)
    assert abs(sk_gap(Xt, yt, ridge.coef_, 0.0, alpha, False)) <= 1e-11 * (yt @ yt)


def test_positive_ridge_gap_uses_positive_part():
    """Positive ridge (l1 = 0): the dual penalises max(Xt^T theta, 0) only.

    At the exact non-negative solution (NNLS on the augmented system) the gap is ~0, whereas
    the unconstrained formula would report a large gap whenever a constraint is active.
    """
    from scipy.optimize import nnls

    X, y, _ = problem(7)
    y = y - 4 * X[:, 0]  # make the first coefficient want to be negative
    Xt, yt, *_ = center(X, y)
    l2 = 2.0
    p = X.shape[1]
    w, _ = nnls(np.vstack([Xt, np.sqrt(l2) * np.eye(p)]), np.concatenate([yt, np.zeros(p)]))
    assert np.any(w == 0)
    yy = yt @ yt
    assert abs(sk_gap(Xt, yt, w, 0.0, l2, True)) <= 1e-10 * yy
    assert sk_gap(Xt, yt, w, 0.0, l2, False) > 1e-6 * yy


def test_gap_with_no_features():
    """An empty working set / zero features: gap is the primal value minus dual at 0."""
    yt = np.array([1.0, -2.0, 0.5])
    w = np.zeros(0)
    XtR = np.zeros(0)
    RtR = Rty = float(yt @ yt)
    # dual norm is 0 <= l1 so scale = 1: primal = ||y||^2/2, dual = -||y||^2/2 + ||y||^2
    assert_allclose(duality_gap(XtR, RtR, Rty, w, 1.0, 0.0), 0.0, atol=1e-15)


@pytest.mark.parametrize("l2", [0.0, 0.7])
@pytest.mark.parametrize("seed", range(4))
def test_projected_gap_bounds_the_suboptimality(seed, l2):
    """With unpenalized features the gap is taken at the dual point projected orthogonally
    to their columns; it must still bound ``P(w) - P*`` at any ``w``, in particular at a
    point whose unpenalized coefficients are off their optimum (the projected residual's
    norm is the primal of ``w`` with them moved to it, not of ``w``)."""
    from scipy.optimize import minimize

    from sparsefit._cd import _projected_gap

    n, p = 40, 8
    X, y, _ = problem(seed, n=n, p=p)
    Xt, yt = X - X.mean(0), y - y.mean()
    l1 = np.full(p, 3.0)
    l1[[1, 5]] = 0.0  # unpenalized (with l2 = 0 for them: no penalty at all)
    l2v = np.where(l1 > 0, l2, 0.0)
    pen = SeparablePenalty(l1, l2v, np.full(p, -np.inf), np.full(p, np.inf))

    def primal(w):
        r = yt - Xt @ w
        return 0.5 * r @ r + l1 @ np.abs(w) + 0.5 * l2v @ (w * w)

    # the optimum, to the last digits: a smooth reformulation w = u - v, u, v >= 0
    G = Xt.T @ Xt
    best = minimize(
        lambda z: primal(z[:p] - z[p:]),
        np.zeros(2 * p),
        jac=lambda z: np.r_[
            (G @ (z[:p] - z[p:]) - Xt.T @ yt) + l1 + l2v * (z[:p] - z[p:]),
            -(G @ (z[:p] - z[p:]) - Xt.T @ yt) + l1 - l2v * (z[:p] - z[p:]),
        ],
        bounds=[(0, None)] * (2 * p),
        method="L-BFGS-B",
        options=dict(ftol=1e-15, gtol=1e-12, maxiter=20000),
    )
    p_star = best.fun
    w_star = best.x[:p] - best.x[p:]
    U = np.array([1, 5])
    for shift in (0.0, 0.05, 0.5):
        w = w_star.copy()
        w[U] += shift * np.array([1.0, -2.0])  # unpenalized coefficients moved off
        XtR, RtR, Rty = summaries(Xt, yt, w)
        gap = _projected_gap(XtR, RtR, Rty, w, pen, U, G[:, U], Xt.T @ yt)
        assert gap >= primal(w) - p_star - 1e-9 * abs(p_star), (shift, gap, primal(w) - p_star)


@pytest.mark.parametrize("seed", range(4))
def test_gaps_of_many_points_equal_the_gap_point_by_point(seed):
    """``duality_gaps_plain`` and ``Rounding.plain`` (a homotopy's points certified at once)
    are ``duality_gap`` and ``Rounding.__call__`` column by column, on points whose scaling
    is active (correlations above the weight) or not, including the zero point."""
    from sparsefit._cd import Rounding
    from sparsefit._data import make_design
    from sparsefit._objective import duality_gaps_plain

    rng = np.random.default_rng(seed)
    n, p, k = 40, 9, 6
    X, y = center(rng.normal(size=(n, p)), rng.normal(size=n))[:2]
    W = rng.normal(size=(p, k)) * (rng.random((p, k)) < 0.5)
    W[:, 0] = 0.0
    l1 = np.abs(X.T @ y).max() * rng.uniform(0.01, 2.0, size=k)
    R = y[:, None] - X @ W
    XtR, RtR, Rty = X.T @ R, (R * R).sum(axis=0), R.T @ y
    G, b, yty = X.T @ X, X.T @ y, float(y @ y)
    bw, wGw = b @ W, np.einsum("ij,ij->j", W, G @ W)
    rounding = Rounding(make_design(X), yty)
    gaps = duality_gaps_plain(XtR, RtR, Rty, W, l1)
    errors = rounding.plain(W, bw, wGw)
    for i in range(k):
        penalty = SeparablePenalty(np.full(p, l1[i]), np.zeros(p), None, None)
        assert_allclose(gaps[i], _duality_gap(XtR[:, i], RtR[i], Rty[i], W[:, i], penalty))
        expected = rounding(W[:, i], bw[i], wGw[i], XtR[:, i], penalty)
        assert_allclose(errors[i], expected, rtol=1e-12)
    assert np.all(gaps >= -1e-9 * yty)
