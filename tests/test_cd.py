"""The coordinate-descent core (``sparsefit._cd.enet_coordinate_descent``) used directly.

Every returned solution is re-certified with the independent gap of ``_certificates.py``.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.linear_model import ElasticNet

from sparsefit._cd import Target, enet_coordinate_descent
from sparsefit._data import Workspace, center_data
from sparsefit._objective import LeastSquares
from sparsefit.penalties import L1, L1L2

from ._certificates import center, enet_gap_sum_form


def problem(seed=0, n=40, p=30):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    w = np.zeros(p)
    w[:6] = rng.normal(size=6) * 3
    y = X @ w + 0.3 * rng.normal(size=n) + 1.0
    return X, y


def cd(design, yt, penalty, tol, workspace=None, **kwargs):
    """The solver on the problem of ``penalty`` in the user's units (the datafit converts)."""
    workspace = Workspace(design) if workspace is None else workspace
    datafit = LeastSquares(design.n_samples)
    target = Target.of(design, yt)
    return enet_coordinate_descent(
        workspace,
        target,
        datafit.solver_penalty(penalty, design.n_features),
        tol_abs=datafit.tol_abs(tol, target.yty),
        **kwargs,
    )


def solve(X, y, penalty, fmt="dense", tol=1e-10, max_iter=1000, w0=None, rng=None, gram=False):
    Xin = X if fmt == "dense" else sp.csc_matrix(X)
    design, yt, _, _ = center_data(Xin, y, None, fit_intercept=True)
    workspace = Workspace(design)
    if gram:
        workspace.precompute_gram()
    res = cd(design, yt, penalty, tol, workspace, max_iter=max_iter, w0=w0, rng=rng)
    return res, yt


@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("gram", [False, True])
@pytest.mark.parametrize("pen", ["l1", "l1l2", "l1_pos", "ridge"])
def test_result_is_certified(fmt, gram, pen):
    X, y = problem()
    n = X.shape[0]
    a = 0.05
    penalty = {
        "l1": L1(a),
        "l1l2": L1L2(a, 0.4),
        "l1_pos": L1(a, positive=True),
        "ridge": L1L2(a, 0.0),
    }[pen]
    res, yt = solve(X, y, penalty, fmt=fmt, gram=gram)
    Xt, yt_ref, *_ = center(X, y)
    assert_allclose(yt, yt_ref, rtol=1e-12)
    l1, l2 = n * penalty.l1_weight, n * penalty.l2_weight
    gap = enet_gap_sum_form(Xt, yt_ref, res.w, l1, l2, penalty.positive)
    yy = yt_ref @ yt_ref
    assert_allclose(res.tol_abs, 1e-10 * yy, rtol=1e-12)
    assert res.converged
    assert gap <= res.tol_abs + 1e-13 * yy
    assert abs(res.gap - gap) <= 1e-10 * yy
    assert res.n_iter >= 1
    assert isinstance(res.n_iter, int) and isinstance(res.n_epochs, int)
    if penalty.positive:
        assert np.all(res.w >= 0)
    # the same problem solved by scikit-learn (closed reference at tight tol)
    ref = ElasticNet(
        alpha=a,
        l1_ratio=penalty.l1_weight / a,
        positive=penalty.positive,
        tol=1e-13,
        max_iter=100_000,
    ).fit(X, y)
    assert_allclose(res.w, ref.coef_, rtol=1e-6, atol=1e-7 * np.abs(ref.coef_).max())


def test_warm_start_at_solution_stops_at_first_check():
    """Starting from a certified point, the first gap evaluation must accept it."""
    X, y = problem(1)
    res, _ = solve(X, y, L1(0.05))
    again, _ = solve(X, y, L1(0.05), w0=res.w.copy())
    assert again.n_iter == 0  # no subproblem solved, as scikit-learn counts
    assert again.converged
    assert_allclose(again.w, res.w, rtol=0, atol=0)


def test_w0_is_not_modified():
    X, y = problem(2)
    w0 = np.full(X.shape[1], 0.1)
    w0_copy = w0.copy()
    solve(X, y, L1(0.05), w0=w0)
    assert np.array_equal(w0, w0_copy)


def test_max_iter_bounds_outer_iterations_and_reports_non_convergence():
    X, y = problem(3, n=50, p=40)
    res, yt = solve(X, y, L1(1e-3), tol=1e-14, max_iter=1)
    assert res.n_iter == 1
    assert not res.converged
    Xt, yt_ref, *_ = center(X, y)
    gap = enet_gap_sum_form(Xt, yt_ref, res.w, X.shape[0] * 1e-3, 0.0)
    # the reported gap is the true gap of the returned iterate, and it is above tolerance
    assert_allclose(res.gap, gap, rtol=1e-8, atol=1e-12 * (yt @ yt))
    assert res.gap > res.tol_abs


def test_random_order_is_seeded_and_certified():
    X, y = problem(4)
    r1, _ = solve(X, y, L1L2(0.05, 0.7), rng=np.random.default_rng(0))
    r2, _ = solve(X, y, L1L2(0.05, 0.7), rng=np.random.default_rng(0))
    assert np.array_equal(r1.w, r2.w)
    assert r1.converged and r1.gap <= r1.tol_abs


def test_alpha_above_alpha_max_returns_zero_in_one_iteration():
    X, y = problem(5)
    Xt, yt, *_ = center(X, y)
    n = X.shape[0]
    amax = np.max(np.abs(Xt.T @ yt)) / n
    res, _ = solve(X, y, L1(1.01 * amax), tol=1e-4)
    assert np.all(res.w == 0)
    assert res.n_iter == 0 and res.converged  # w = 0 accepted before any subproblem


@pytest.mark.parametrize("gram", [False, True])
def test_returned_summaries_describe_the_returned_point(gram):
    """``CDResult.summaries`` are the residual summaries at ``w`` (checked against an explicit
    residual): a path hands them to the next alpha in place of a pass over X."""
    X, y = problem(3)
    res, yt = solve(X, y, L1(0.05), gram=gram)
    Xt, yt_ref, *_ = center(X, y)
    R = yt_ref - Xt @ res.w
    XtR, RtR, Rty = res.summaries
    scale = yt_ref @ yt_ref
    assert_allclose(XtR, Xt.T @ R, atol=1e-10 * np.sqrt(scale) * np.abs(Xt).max())
    assert_allclose([RtR, Rty], [R @ R, R @ yt_ref], atol=1e-10 * scale)


def test_summaries_of_a_changed_start_are_ignored():
    """A start that the solver must change makes the given summaries stale. Here the start is
    the unconstrained lasso solution (with negative entries) and its true summaries, which
    certify it at once; under positive=True the solver clips the start, so it must ignore
    them and solve: the result is certified for the constrained problem."""
    X, y = problem(4)
    design, yt, _, _ = center_data(X, y, None, fit_intercept=True)
    n, p = X.shape
    free = cd(design, yt, L1(0.05), 1e-12)
    assert np.any(free.w < 0)
    res = cd(design, yt, L1(0.05, positive=True), 1e-10, w0=free.w, summaries0=free.summaries)
    Xt, yt_ref, *_ = center(X, y)
    assert np.all(res.w >= 0)
    assert enet_gap_sum_form(Xt, yt_ref, res.w, n * 0.05, 0.0, True) <= 1e-10 * yt_ref @ yt_ref


def test_flat_optimum_takes_the_exact_point_with_the_smaller_gap():
    """Near an optimum the objective stops telling points apart (its differences are
    second order, below its rounding) while the duality gap still does (first order): the
    exact solution must then replace the current point because its gap is smaller, and a
    point higher beyond rounding must never replace it."""
    from sparsefit._cd import _GramSubproblem

    X, y = problem(3, n=60, p=25)
    Xt, yt, *_ = center(X, y)
    n = X.shape[0]
    G, b, yty = Xt.T @ Xt, Xt.T @ yt, float(yt @ yt)
    penalty = LeastSquares(n).solver_penalty(L1(0.05), X.shape[1])
    ref = ElasticNet(alpha=0.05, l1_ratio=1.0, tol=1e-14, max_iter=100_000).fit(X, y)
    sub = _GramSubproblem(G, b, np.zeros(X.shape[1]), yty, penalty)
    exact = sub.finish(ref.coef_, np.inf)  # the solution on the reference's support/signs
    assert exact is not None
    # the gap of the exact point certifies it (independent formula)
    l1 = n * 0.05
    assert enet_gap_sum_form(Xt, yt, exact, l1, 0.0, False) <= 1e-12 * yty
    near = exact * (1.0 + 1e-8)  # same support and signs, first-order off in the gradient
    q_exact, q_near = G @ exact, G @ near
    at_exact, at_near = sub.primal_of(exact, q_exact), sub.primal_of(near, q_near)
    gap_exact, gap_near = sub.gap_of(exact, q_exact), sub.gap_of(near, q_near)
    assert gap_exact < gap_near
    # the objective cannot tell them apart...
    assert not sub.lower(at_exact, exact, at_near)
    assert not sub.higher(at_exact, exact, at_near)
    # ...the gap does
    assert sub.improves(at_exact, exact, q_exact, at_near, gap_near)
    # a point higher beyond rounding is never taken, whatever its gap
    far = exact * 1.1
    q_far = G @ far
    assert sub.higher(sub.primal_of(far, q_far), far, at_exact)
    assert not sub.improves(sub.primal_of(far, q_far), far, q_far, at_exact, np.inf)
    # with no gap of the current point, only a lower objective counts
    assert not sub.improves(at_exact, exact, q_exact, at_near, None)
