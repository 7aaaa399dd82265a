"""The elastic net on few samples by a semismooth Newton method on its dual.

With an L2 weight ``l2_j > 0`` on every feature, the dual of the (sum-form) elastic net

    P(w) = 1/2 ||yt - Xt w||^2 + sum_j (l1_j |w_j| + l2_j / 2 w_j^2)

is smooth and strongly concave, a function of ``theta`` in sample space:

    D(theta) = theta^T yt - 1/2 ||theta||^2 - sum_j S(Xt_j^T theta, l1_j)^2 / (2 l2_j)

(``S`` soft-thresholding), maximized at the residual ``theta = yt - Xt w*``, with
``w*_j = S(Xt_j^T theta, l1_j) / l2_j``. Its gradient is ``yt - theta - Xt w(theta)`` and
its generalized Hessian ``-(I + Xt_A diag(1 / l2_A) Xt_A^T)``, ``A`` the features with
``|Xt_j^T theta| > l1_j`` (those of ``w(theta)``'s support): an ``n x n`` system whose
eigenvalues are at least one. D is piecewise quadratic, so once ``A`` is the solution's
support a full Newton step lands on the exact maximizer: the method ends in a few
iterations (5-30 on the benchmark's wide problems), each a product with the data and one
factorization of size ``min(n, |A|)``, where coordinate descent needs tens of epochs over
supports larger than ``n`` (measured on 100 x 5000 data at alpha_max/100, l1_ratio 0.5:
whole fits of 6.4 ms against 47 ms).

Every point is certified afterwards like any other (``_cd``): a point that does not meet the
tolerance is handed back to coordinate descent as a warm start.

Numeric core: imports NumPy and SciPy only.
"""

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from . import _tuning as tuning

__all__ = ["dual_newton_applies", "dual_newton_fit"]

#: Armijo's sufficient-increase fraction and the backtracking factor of the line search
_ARMIJO, _BACKTRACK = 1e-4, 0.5
#: steps shorter than this stop the method (no further progress above rounding)
_MIN_STEP = 1e-10


def dual_newton_applies(workspace, penalty, valid, max_iter):
    """Whether a cold-started fit begins with the dual Newton method: dense data with few
    samples and many more features (no Gram matrix), an L2 weight on every feature that may
    move of at least ``DUAL_NEWTON_MIN_L2`` times its L1 weight, some L1 weight, no bounds,
    and an outer-iteration budget ``max_iter`` of more than twice its own: a run that does
    not settle leaves coordinate descent at least half of it (with a budget of a few
    iterations, two fits of ``max_iter`` each from a warm start then do what one fit of
    twice that does, as scikit-learn's ``warm_start`` promises)."""
    design = workspace.design
    n, p = design.n_samples, design.n_features
    free = valid & ~penalty.excluded
    return (
        max_iter > 2 * tuning.DUAL_NEWTON_MAX_ITER
        and workspace.full_gram is None
        and design.has_samples
        and not design.sparse
        and n <= tuning.DUAL_NEWTON_MAX_SAMPLES
        and p >= tuning.DUAL_NEWTON_MIN_RATIO * n
        and penalty.formulation == "l1"
        and not penalty.constrained
        and bool(np.any(free))
        and bool(np.all(penalty.l2[free] >= tuning.DUAL_NEWTON_MIN_L2 * penalty.l1[free]))
        and bool(np.all(penalty.l2[free] > 0))
    )


class _Dual:
    """``D`` and ``w(theta)`` at one ``theta`` (see the module docstring)."""

    def __init__(self, design, yt, l1, l2, free, theta):
        self.theta = theta
        v = design.rmatvec(theta)
        s = np.abs(v) - l1
        s[~free] = 0.0
        self.A = (s > 0).nonzero()[0]
        self.w_A = np.copysign(s[self.A], v[self.A]) / l2[self.A]
        self.value = float(
            theta @ yt - 0.5 * (theta @ theta) - 0.5 * (l2[self.A] * self.w_A) @ self.w_A
        )


def dual_newton_fit(design, target, penalty, valid, tol_abs):
    """A point near the elastic net's solution (its gap at most ``tol_abs`` in exact
    arithmetic, by the dual's own gap), and the Newton iterations run; ``(None, k)`` when
    a system could not be factorized or no progress was possible."""
    yt = target.yt
    free = valid & ~penalty.excluded
    l1, l2 = penalty.l1, np.where(free, penalty.l2, 1.0)
    # start where (about) no feature is active: yt scaled into the dual's flat region,
    # from which the steps add features as they enter (from yt itself, every feature of
    # thousands would be active at once)
    v = np.abs(target.Xty) / np.where(l1 > 0, l1, np.inf)
    v[~free] = 0.0
    top = float(v.max())
    dual = _Dual(design, yt, l1, l2, free, yt * (1.0 / top if top > 1.0 else 1.0))
    prev, prev_gap, k = None, np.inf, 0
    for k in range(1, tuning.DUAL_NEWTON_MAX_ITER + 1):
        X_A = design.columns(dual.A)
        r = yt - X_A @ dual.w_A
        grad = r - dual.theta
        l2_A = l2[dual.A]
        primal = 0.5 * float(r @ r) + float(l1[dual.A] @ np.abs(dual.w_A))
        gap = primal + 0.5 * float((l2_A * dual.w_A) @ dual.w_A) - dual.value
        # the same support twice: the last step was exact on it (D is quadratic there), up
        # to rounding; stop once that meets the tolerance or rounding stops the descent
        if np.array_equal(prev, dual.A) and (gap <= tol_abs or gap >= prev_gap):
            break
        prev, prev_gap = dual.A, gap
        step = _newton_step(X_A, l2_A, grad)
        if step is None:
            return None, k
        trial = _line_search(design, yt, l1, l2, free, dual, step, float(grad @ step))
        if trial is None:
            break
        dual = trial
    else:
        return None, k  # not settled: its point may be a poor start (a large support)
    w = np.zeros(design.n_features)
    w[dual.A] = dual.w_A
    return w, k


def _newton_step(X_A, l2_A, grad):
    """``(I + X_A diag(1 / l2_A) X_A^T)^{-1} grad``, through an ``n x n`` factorization or,
    with fewer active features than samples, an ``|A| x |A|`` one (Woodbury); None when
    it fails."""
    n, m = X_A.shape
    try:
        if m >= n:
            Z = X_A / np.sqrt(l2_A)
            M = Z @ Z.T
            M.flat[:: n + 1] += 1.0
            return cho_solve(cho_factor(M, check_finite=False), grad, check_finite=False)
        K = X_A.T @ X_A
        K.flat[:: m + 1] += l2_A
        inner = cho_solve(cho_factor(K, check_finite=False), X_A.T @ grad, check_finite=False)
        return grad - X_A @ inner
    except (LinAlgError, ValueError):
        return None


def _line_search(design, yt, l1, l2, free, dual, step, slope):
    """The first of ``t = 1, 1/2, ...`` whose point raises ``D`` by Armijo's fraction of
    ``t slope`` (None: steps below ``_MIN_STEP``, no progress above rounding)."""
    t = 1.0
    while t >= _MIN_STEP:
        trial = _Dual(design, yt, l1, l2, free, dual.theta + t * step)
        if trial.value >= dual.value + _ARMIJO * t * slope:
            return trial
        t *= _BACKTRACK
    return None
