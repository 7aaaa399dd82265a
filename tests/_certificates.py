"""Independent optimality certificates for the tests.

Everything here is a deliberately plain, dense NumPy re-implementation written from the
scikit-learn definitions (``/work/shared/reference/sklearn_surface.md`` sections 1.6-1.8). It
does **not** import anything from ``sparsefit``: the tests use it to judge sparsefit's answers,
so it must not share code (or bugs) with them. Sparse inputs are densified with ``toarray()``;
that is fine for the small test problems.

Conventions
-----------
Lasso / ElasticNet (scikit-learn ``ElasticNet``)::

    1/(2 sum(s)) sum_i s_i (y_i - x_i w - b)^2 + alpha rho ||w||_1 + alpha (1 - rho)/2 ||w||^2

scikit-learn rescales ``s`` to sum to ``n``, centres with weighted means, multiplies rows by
``sqrt(s)`` and solves the *sum form* ``1/2 ||yt - Xt w||^2 + l1 ||w||_1 + l2/2 ||w||^2`` with
``l1 = n alpha rho`` and ``l2 = n alpha (1 - rho)``. The reported ``dual_gap_`` is the sum-form
gap divided by ``n``, and convergence means ``gap <= tol ||yt||^2``.

Ridge (scikit-learn ``Ridge``)::

    sum_i s_i (y_i - x_i w - b)^2 + alpha ||w||^2          (weights *not* normalised)

Its duality gap (of this very objective, i.e. twice the sum form ``1/2 ||yt - Xt w||^2 +
alpha/2 ||w||^2``) is evaluated at the dual point ``theta = R = yt - Xt w``.
"""

import math

import numpy as np
import scipy.sparse as sp

__all__ = [
    "alpha_max",
    "center",
    "enet_alpha_max",
    "enet_certificate",
    "enet_gap_sum_form",
    "enet_kkt",
    "enet_objective",
    "ridge_certificate",
    "ridge_exact",
    "ridge_gap_sum_form",
    "ridge_objective",
]


def _dense(X):
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    return np.asarray(X, dtype=np.float64)


def _weights(sample_weight, n, normalize):
    if sample_weight is None:
        return np.ones(n)
    s = np.asarray(sample_weight, dtype=np.float64).copy()
    assert s.shape == (n,)
    if normalize:
        s = s * (n / s.sum())
    return s


def center(X, y, sample_weight=None, fit_intercept=True, normalize=True):
    """Weighted centring and sqrt-weight scaling, written out by hand.

    Returns ``Xt, yt, x_offset, y_offset, s`` with ``Xt = sqrt(s) (X - x_offset)``,
    ``yt = sqrt(s) (y - y_offset)``; ``s`` is normalised to sum to ``n`` if ``normalize``.
    ``y`` may be 1-D or 2-D (columns = targets).
    """
    X = _dense(X)
    y = np.asarray(y, dtype=np.float64)
    n, p = X.shape
    s = _weights(sample_weight, n, normalize)
    if fit_intercept:
        # weighted means summed exactly (math.fsum): with offsets far above the spread of a
        # column, a rounded mean shifts the centred column by a visible amount
        total = math.fsum(s)
        x_offset = np.array([math.fsum(s * X[:, j]) for j in range(p)]) / total
        if y.ndim == 1:
            y_offset = np.float64(math.fsum(s * y) / total)
        else:
            y_offset = np.array([math.fsum(s * y[:, k]) for k in range(y.shape[1])]) / total
    else:
        x_offset = np.zeros(p)
        y_offset = np.zeros(y.shape[1:])
    root = np.sqrt(s)
    Xt = root[:, None] * (X - x_offset)
    yc = y - y_offset
    yt = root[:, None] * yc if y.ndim == 2 else root * yc
    if y.ndim == 1:
        y_offset = float(y_offset)
    return Xt, yt, x_offset, y_offset, s


# --------------------------------------------------------------------------------------------
# Elastic net / lasso
# --------------------------------------------------------------------------------------------
def enet_gap_sum_form(Xt, yt, w, l1, l2, positive=False):
    """scikit-learn's ``gap_enet`` on the sum form (formulations A, B and OLS)."""
    w = np.asarray(w, dtype=np.float64)
    R = yt - Xt @ w
    XtR = Xt.T @ R
    RtR = R @ R
    w2 = w @ w if l2 else 0.0  # (no L2 term: w^2 may be beyond float64, times zero)
    if l1 > 0:  # formulation A: rescale the residual into the dual feasible set
        XtA = XtR - l2 * w
        dnorm = (np.max(XtA) if positive else np.max(np.abs(XtA))) if XtA.size else 0.0
        scale = l1 / dnorm if dnorm > l1 else 1.0
        primal = 0.5 * (RtR + l2 * w2) + l1 * np.abs(w).sum()
        dual = -0.5 * scale**2 * (RtR + l2 * w2) + scale * (R @ yt)
        return float(primal - dual)
    if l2 > 0:  # formulation B: exact ridge gap at theta = R
        v = np.maximum(XtR, 0.0) if positive else XtR
        return float(RtR + 0.5 * l2 * w2 - R @ yt + (v @ v) / (2.0 * l2))
    # OLS: the first-order condition
    if positive:
        v = np.where(w > 0, XtR, np.maximum(XtR, 0.0))
        return float(v @ v)
    return float(XtR @ XtR)


def enet_certificate(
    X,
    y,
    coef,
    intercept=None,
    *,
    alpha,
    l1_ratio=1.0,
    sample_weight=None,
    fit_intercept=True,
    positive=False,
    tol=1e-4,
):
    """Certificate of one fitted (single-target) Lasso/ElasticNet solution.

    Returns a dict with ``gap`` (in ``dual_gap_`` units: sum-form gap / n), ``tol`` (the
    stopping threshold ``tol ||yt||^2 / n`` in the same units), ``yt_norm2 = ||yt||^2``,
    ``intercept`` (the optimal intercept given ``coef``: ``y_offset - x_offset . coef``),
    ``n`` and the sum-form ``l1``, ``l2``.
    """
    X = _dense(X)
    n = X.shape[0]
    Xt, yt, x_offset, y_offset, _ = center(X, y, sample_weight, fit_intercept, normalize=True)
    l1 = n * alpha * l1_ratio
    l2 = n * alpha * (1.0 - l1_ratio)
    coef = np.asarray(coef, dtype=np.float64)
    gap = enet_gap_sum_form(Xt, yt, coef, l1, l2, positive)
    yt2 = float(yt @ yt)
    b = float(y_offset - x_offset @ coef) if fit_intercept else 0.0
    return {
        "gap": gap / n,
        "tol": tol * yt2 / n,
        "yt_norm2": yt2,
        "intercept": b,
        "n": n,
        "l1": l1,
        "l2": l2,
        "Xt": Xt,
        "yt": yt,
        "intercept_scale": float(abs(y_offset) + np.abs(x_offset) @ np.abs(coef)),
    }


def enet_objective(X, y, coef, intercept, *, alpha, l1_ratio=1.0, sample_weight=None):
    """scikit-learn's ElasticNet objective (mean form) at ``(coef, intercept)``."""
    X = _dense(X)
    y = np.asarray(y, dtype=np.float64)
    s = _weights(sample_weight, X.shape[0], normalize=False)
    r = y - X @ coef - intercept
    return float(
        0.5 * (s @ r**2) / s.sum()
        + alpha * l1_ratio * np.abs(coef).sum()
        + 0.5 * alpha * (1.0 - l1_ratio) * (coef @ coef)
    )


def enet_kkt(
    X, y, coef, *, alpha, l1_ratio=1.0, sample_weight=None, fit_intercept=True, positive=False
):
    """Per-coordinate KKT violation (mean-form units) and the bound the gap implies for it.

    Violation of coordinate ``j`` = distance of ``-grad_j`` (gradient of the smooth part,
    ``-Xt^T R / n + alpha (1 - rho) w``) to the subdifferential of ``alpha rho |w_j|``
    (restricted to ``w_j >= 0`` when ``positive``).

    The returned ``bound`` holds rigorously for every coordinate with ``w_j = 0`` (and for
    coordinates whose sign agrees with the exact solution): since the data-fit is strongly
    convex in ``Xt w``, ``1/2 ||Xt (w - w*)||^2 <= gap`` (sum form), so every entry of the
    gradient is within ``max_j ||Xt_j|| sqrt(2 gap) / n`` of its value at the optimum.
    """
    X = _dense(X)
    n = X.shape[0]
    Xt, yt, _, _, _ = center(X, y, sample_weight, fit_intercept, normalize=True)
    coef = np.asarray(coef, dtype=np.float64)
    a1 = alpha * l1_ratio
    a2 = alpha * (1.0 - l1_ratio)
    grad = -(Xt.T @ (yt - Xt @ coef)) / n + a2 * coef
    viol = np.empty_like(grad)
    nz = coef != 0
    viol[nz] = np.abs(grad[nz] + a1 * np.sign(coef[nz]))
    if positive:
        viol[~nz] = np.maximum(-grad[~nz] - a1, 0.0)
    else:
        viol[~nz] = np.maximum(np.abs(grad[~nz]) - a1, 0.0)
    gap_sum = max(enet_gap_sum_form(Xt, yt, coef, n * a1, n * a2, positive), 0.0)
    col = np.sqrt((Xt**2).sum(axis=0))
    bound = float(col.max() * np.sqrt(2.0 * gap_sum) / n) if col.size else 0.0
    return viol, bound


def enet_alpha_max(X, y, sample_weight=None, fit_intercept=True, l1_ratio=1.0, positive=False):
    """``max_j |sum_i s_i (x_ij - xbar_j)(y_i - ybar)| / (sum(s) rho)`` (raw weights)."""
    X = _dense(X)
    y = np.asarray(y, dtype=np.float64)
    s = _weights(sample_weight, X.shape[0], normalize=False)
    if fit_intercept:
        xbar = (s @ X) / s.sum()
        ybar = (s @ y) / s.sum()
    else:
        xbar, ybar = np.zeros(X.shape[1]), 0.0
    Xy = ((X - xbar) * (s * (y - ybar))[:, None]).sum(axis=0)
    top = max(Xy.max(), 0.0) if positive else np.abs(Xy).max()
    return float(top / (s.sum() * l1_ratio))


alpha_max = enet_alpha_max


# --------------------------------------------------------------------------------------------
# Ridge
# --------------------------------------------------------------------------------------------
def ridge_gap_sum_form(Xt, yt, w, alpha, positive=False):
    """Gap of ``1/2 ||yt - Xt w||^2 + alpha/2 ||w||^2`` at ``theta = R``.

    Dual: ``D(theta) = theta.yt - 1/2 ||theta||^2 - 1/(2 alpha) ||Xt^T theta||^2`` (with
    ``max(Xt^T theta, 0)`` in place of ``Xt^T theta`` when ``w >= 0`` is imposed).
    """
    w = np.asarray(w, dtype=np.float64)
    R = yt - Xt @ w
    primal = 0.5 * (R @ R) + 0.5 * alpha * (w @ w)
    v = Xt.T @ R
    if positive:
        v = np.maximum(v, 0.0)
    dual = R @ yt - 0.5 * (R @ R) - (v @ v) / (2.0 * alpha)
    return float(primal - dual)


def ridge_certificate(
    X, y, coef, *, alpha, sample_weight=None, fit_intercept=True, positive=False, tol=1e-4
):
    """Certificate of one (single-target) Ridge solution.

    ``gap`` is the duality gap of ``sum s (y - Xw - b)^2 + alpha ||w||^2`` (twice the sum-form
    gap) and ``tol`` is ``tol * sum s (y - ybar_s)^2`` (the objective at ``w = 0``).
    """
    Xt, yt, x_offset, y_offset, _ = center(X, y, sample_weight, fit_intercept, normalize=False)
    coef = np.asarray(coef, dtype=np.float64)
    gap = 2.0 * ridge_gap_sum_form(Xt, yt, coef, alpha, positive)
    yt2 = float(yt @ yt)
    b = float(y_offset - x_offset @ coef) if fit_intercept else 0.0
    return {
        "gap": gap,
        "tol": tol * yt2,
        "yt_norm2": yt2,
        "intercept": b,
        "Xt": Xt,
        "yt": yt,
        "intercept_scale": float(abs(y_offset) + np.abs(x_offset) @ np.abs(coef)),
    }


def ridge_objective(X, y, coef, intercept, *, alpha, sample_weight=None):
    """scikit-learn's Ridge objective at ``(coef, intercept)``."""
    X = _dense(X)
    s = _weights(sample_weight, X.shape[0], normalize=False)
    r = np.asarray(y, dtype=np.float64) - X @ coef - intercept
    return float(s @ r**2 + alpha * (coef @ coef))


def ridge_exact(X, y, *, alpha, sample_weight=None, fit_intercept=True, positive=False):
    """Exact (single-target) Ridge solution: normal equations, or NNLS when ``positive``.

    Returns ``(coef, intercept)``.
    """
    from scipy.optimize import nnls

    Xt, yt, x_offset, y_offset, _ = center(X, y, sample_weight, fit_intercept, normalize=False)
    p = Xt.shape[1]
    if positive:
        A = np.vstack([Xt, np.sqrt(alpha) * np.eye(p)])
        b = np.concatenate([yt, np.zeros(p)])
        coef, _ = nnls(A, b, maxiter=50 * p)
    else:
        coef = np.linalg.solve(Xt.T @ Xt + alpha * np.eye(p), Xt.T @ yt)
    intercept = float(y_offset - x_offset @ coef) if fit_intercept else 0.0
    return coef, intercept


# --------------------------------------------------------------------------------------------
# assertions shared by the test modules
# --------------------------------------------------------------------------------------------
def _targets(y, coef, intercept, gaps, alphas=None):
    """Split a possibly multi-target fit into per-target tuples."""
    y = np.asarray(y)
    if y.ndim == 1:
        return [(y, np.asarray(coef), intercept, gaps, None if alphas is None else alphas)]
    coef = np.atleast_2d(coef)
    out = []
    k = y.shape[1]
    intercept = np.broadcast_to(np.asarray(intercept, dtype=float), (k,))
    alphas = None if alphas is None else np.broadcast_to(np.asarray(alphas, float), (k,))
    gaps = None if gaps is None else np.asarray(gaps, dtype=float).reshape(k)
    for t in range(k):
        out.append(
            (
                y[:, t],
                coef[t],
                intercept[t],
                None if gaps is None else gaps[t],
                None if alphas is None else alphas[t],
            )
        )
    return out


def _assert_intercept(b, cert, slack):
    # exact in exact arithmetic; float64 rounding is ~1e-16 of the terms, float32 ~1e-7
    rel = 1e-5 if slack else 1e-9
    atol = rel * (1.0 + cert["intercept_scale"])
    assert abs(float(b) - cert["intercept"]) <= atol, (float(b), cert["intercept"])


def _assert_gap_and_intercept(est, cert, scale, reported, w, b, slack, check_reported_gap):
    """Checks shared by both certificates: gap within tol, reported gap, intercept, sign."""
    assert cert["gap"] <= cert["tol"] + (slack + 1e-13) * scale, (
        f"duality gap {cert['gap']:.3e} > tolerance {cert['tol']:.3e}"
    )
    if check_reported_gap:
        # both are the same quantity; rounding of primal - dual is ~1e-16 ||yt||^2
        assert (
            abs(float(reported) - cert["gap"]) <= 1e-6 * abs(cert["gap"]) + (slack + 1e-10) * scale
        ), (float(reported), cert["gap"])
    if est.fit_intercept:
        _assert_intercept(b, cert, slack)
    else:
        assert float(b) == 0.0
    if est.positive:
        assert np.all(np.asarray(w) >= 0)


def assert_enet_certified(
    est, X, y, sample_weight=None, *, l1_ratio=None, slack=0.0, check_reported_gap=True
):
    """The fitted Lasso/ElasticNet estimator's solution passes its own stopping rule.

    Checks, per target: independent gap <= tol ||yt||^2 / n (+ ``slack * ||yt||^2 / n``, for
    float32 rounding of the stored coefficients); the reported ``dual_gap_`` agrees with the
    independent gap; ``intercept_`` is the optimal intercept for ``coef_``; and the
    coordinates at zero satisfy the KKT conditions up to the gap-implied bound.
    """
    rho = getattr(est, "l1_ratio", 1.0) if l1_ratio is None else l1_ratio
    results = []
    for yk, w, b, reported, _ in _targets(y, est.coef_, est.intercept_, est.dual_gap_):
        problem = dict(
            alpha=est.alpha,
            l1_ratio=rho,
            sample_weight=sample_weight,
            fit_intercept=est.fit_intercept,
            positive=est.positive,
        )
        cert = enet_certificate(X, yk, w, tol=est.tol, **problem)
        scale = cert["yt_norm2"] / cert["n"]
        _assert_gap_and_intercept(est, cert, scale, reported, w, b, slack, check_reported_gap)
        viol, bound = enet_kkt(X, yk, w, **problem)
        zero = np.asarray(w) == 0
        assert np.all(viol[zero] <= bound * (1 + 1e-6) + 1e-12 * (1 + np.sqrt(scale))), (
            viol[zero].max(),
            bound,
        )
        results.append(cert)
    return results


def assert_ridge_certified(est, X, y, sample_weight=None, *, slack=0.0, check_reported_gap=True):
    """The fitted RidgeGD's solution passes its stopping rule (per target)."""
    results = []
    for yk, w, b, reported, a in _targets(y, est.coef_, est.intercept_, est.dual_gap_, est.alpha):
        cert = ridge_certificate(
            X,
            yk,
            w,
            alpha=float(a),
            sample_weight=sample_weight,
            fit_intercept=est.fit_intercept,
            positive=est.positive,
            tol=est.tol,
        )
        scale = cert["yt_norm2"]
        floor = ridge_suboptimality(cert["Xt"], cert["yt"], w, float(a), est.positive)
        cert["suboptimality"] = floor
        # a gap at any dual point bounds the suboptimality: RidgeGD's may be at another point
        # than the residual (conjugate gradient's own dual iterate), so the reported gap must
        # be at least the exact suboptimality, and within the tolerance
        assert floor <= cert["tol"] + (slack + 1e-13) * scale, (
            f"suboptimality {floor:.3e} > tolerance {cert['tol']:.3e}"
        )
        if check_reported_gap:
            reported = float(reported)
            assert floor - (slack + 1e-10) * scale <= reported, (floor, reported, cert["gap"])
            assert reported <= cert["tol"] + (slack + 1e-13) * scale, (reported, cert["tol"])
        # (the gap the checks below see: the reported one once shown valid, else the floor)
        best = min(cert["gap"], float(reported)) if check_reported_gap else floor
        _assert_gap_and_intercept(est, dict(cert, gap=best), scale, reported, w, b, slack, False)
        results.append(cert)
    return results


def ridge_suboptimality(Xt, yt, w, alpha, positive=False):
    """``P(w) - P(w*)`` of ``||yt - Xt w||^2 + alpha ||w||^2`` (the units of
    ``ridge_certificate``'s gap), the optimum ``w*`` solved directly: the dual system
    ``(Xt Xt^T + alpha I) theta = yt`` when wide, the normal equations when tall, NNLS on
    the augmented system when ``w >= 0``."""
    from scipy.optimize import nnls

    n, p = Xt.shape
    if positive:
        A = np.vstack([Xt, np.sqrt(alpha) * np.eye(p)])
        w_opt, _ = nnls(A, np.concatenate([yt, np.zeros(p)]), maxiter=50 * p)
    elif p > n and alpha > 0:
        w_opt = Xt.T @ np.linalg.solve(Xt @ Xt.T + alpha * np.eye(n), yt)
    else:
        w_opt = np.linalg.lstsq(
            np.vstack([Xt, np.sqrt(alpha) * np.eye(p)]), np.concatenate([yt, np.zeros(p)])
        )[0]

    def objective(v):
        r = yt - Xt @ v
        return float(r @ r + alpha * (v @ v))

    return objective(np.asarray(w, dtype=np.float64)) - objective(w_opt)


# --------------------------------------------------------------------------------------------
# per-feature penalty factors and bounds (glmnet's penalty.factor, lower/upper.limits)
# --------------------------------------------------------------------------------------------
def factor_weights(alpha, l1_ratio, penalty_factor, p):
    """Per-feature (mean-form) weights ``a1 = alpha rho pf``, ``a2 = alpha (1 - rho) pf`` and
    the mask of excluded features (``pf = inf``), written from glmnet's definition."""
    pf = np.ones(p) if penalty_factor is None else np.asarray(penalty_factor, dtype=float)
    excluded = np.isinf(pf)
    finite = np.where(excluded, 0.0, pf)
    return alpha * l1_ratio * finite, alpha * (1.0 - l1_ratio) * finite, excluded


def box(bounds, p, excluded=None, positive=False):
    """``(lower, upper)`` vectors; excluded features get the box {0}."""
    lower, upper = (0.0 if positive else -np.inf), np.inf
    if bounds is not None:
        lower, upper = bounds
    lower = np.broadcast_to(np.asarray(lower, dtype=float), (p,)).copy()
    upper = np.broadcast_to(np.asarray(upper, dtype=float), (p,)).copy()
    if excluded is not None:
        lower[excluded] = upper[excluded] = 0.0
    return lower, upper


def factor_objective(
    X,
    y,
    coef,
    intercept,
    *,
    alpha,
    l1_ratio,
    penalty_factor=None,
    bounds=None,
    sample_weight=None,
    positive=False,
):
    """The penalized objective (mean form) ``1/(2 sum s) sum s r^2 + alpha sum pf (rho |w| +
    (1-rho)/2 w^2)``, ``inf`` outside the bounds or for a non-zero excluded coefficient."""
    X = _dense(X)
    p = X.shape[1]
    a1, a2, excluded = factor_weights(alpha, l1_ratio, penalty_factor, p)
    lower, upper = box(bounds, p, excluded, positive)
    coef = np.asarray(coef, dtype=float)
    if np.any(coef < lower - 1e-12 * (1 + np.abs(lower))) or np.any(
        coef > upper + 1e-12 * (1 + np.abs(upper))
    ):
        return np.inf
    s = _weights(sample_weight, X.shape[0], normalize=False)
    r = np.asarray(y, dtype=float) - X @ coef - intercept
    return float(0.5 * (s @ r**2) / s.sum() + a1 @ np.abs(coef) + 0.5 * a2 @ (coef * coef))


def factor_kkt(
    X,
    y,
    coef,
    *,
    alpha,
    l1_ratio,
    penalty_factor=None,
    bounds=None,
    sample_weight=None,
    fit_intercept=True,
    positive=False,
):
    """Per-coordinate violation of the optimality conditions (mean-form units), written out:
    the gradient ``g_j`` of the smooth part (data fit and L2 term) and the subdifferential of
    ``a1_j |w_j|`` plus the normal cone of the box ``[lower_j, upper_j]``:

    * strictly inside the box and non-zero: ``g_j + a1_j sign(w_j) = 0``;
    * at zero: ``-g_j <= a1_j`` if it may increase (upper > 0), ``g_j <= a1_j`` if it may
      decrease (lower < 0);
    * at a non-zero upper bound: ``g_j + a1_j <= 0``; at a non-zero lower bound:
      ``g_j - a1_j >= 0``.

    Also returns the bound on the violations of the zero and at-bound coordinates implied by
    the point's suboptimality ``delta`` (data fit strongly convex in ``Xt w``): every
    gradient entry is within ``|Xt_j| sqrt(2 delta n) / n`` of its optimal value.
    """
    X = _dense(X)
    n, p = X.shape
    Xt, yt, _, _, _ = center(X, y, sample_weight, fit_intercept, normalize=True)
    a1, a2, excluded = factor_weights(alpha, l1_ratio, penalty_factor, p)
    lower, upper = box(bounds, p, excluded, positive)
    w = np.asarray(coef, dtype=float)
    g = -(Xt.T @ (yt - Xt @ w)) / n + a2 * w
    viol = np.zeros(p)
    inside = (w != 0) & (w < upper) & (w > lower)
    viol[inside] = np.abs(g[inside] + a1[inside] * np.sign(w[inside]))
    zero = (w == 0) & ~excluded
    up = np.where(upper > 0, np.maximum(-g - a1, 0.0), 0.0)
    down = np.where(lower < 0, np.maximum(g - a1, 0.0), 0.0)
    viol[zero] = np.maximum(up, down)[zero]
    at_up = (w != 0) & (w >= upper)
    viol[at_up] = np.maximum(g[at_up] + a1[at_up], 0.0)
    at_low = (w != 0) & (w <= lower)
    viol[at_low] = np.maximum(a1[at_low] - g[at_low], 0.0)
    checked = zero | at_up | at_low
    return viol, checked, np.sqrt((Xt**2).sum(axis=0)) / n


def lbfgsb_reference(
    X,
    y,
    *,
    alpha,
    l1_ratio,
    penalty_factor=None,
    bounds=None,
    sample_weight=None,
    fit_intercept=True,
    positive=False,
):
    """A generic bound-constrained solver's answer (SciPy's L-BFGS-B on the split-variable
    form ``w = u - v``, ``0 <= u <= upper``, ``0 <= v <= -lower``, which makes the L1 term
    linear): ``(coef, intercept, objective)``. Independent of sparsefit's algorithms."""
    from scipy.optimize import minimize

    X = _dense(X)
    n, p = X.shape
    Xt, yt, x_offset, y_offset, _ = center(X, y, sample_weight, fit_intercept, normalize=True)
    a1, a2, excluded = factor_weights(alpha, l1_ratio, penalty_factor, p)
    lower, upper = box(bounds, p, excluded, positive)

    def fun(z):
        u, v = z[:p], z[p:]
        w = u - v
        r = yt - Xt @ w
        value = 0.5 * (r @ r) / n + a1 @ (u + v) + 0.5 * a2 @ (w * w)
        gw = -(Xt.T @ r) / n + a2 * w
        return value, np.concatenate([gw + a1, -gw + a1])

    limits = [(0.0, None if np.isinf(hi) else hi) for hi in upper]
    limits += [(0.0, None if np.isinf(lo) else -lo) for lo in lower]
    res = minimize(
        fun,
        np.zeros(2 * p),
        jac=True,
        method="L-BFGS-B",
        bounds=limits,
        options={
            "maxiter": 200_000,
            "maxfun": 400_000,
            "ftol": 1e-15,
            "gtol": 1e-12,
            "maxcor": 30,
        },
    )
    w = res.x[:p] - res.x[p:]
    b = float(y_offset - x_offset @ w) if fit_intercept else 0.0
    obj = factor_objective(
        X,
        y,
        w,
        b,
        alpha=alpha,
        l1_ratio=l1_ratio,
        penalty_factor=penalty_factor,
        bounds=bounds,
        sample_weight=sample_weight,
        positive=positive,
    )
    return w, b, obj
