"""Gradient-family solvers for ridge regression, stopped by the ridge duality gap.

They minimise the sum form (see ``_objective.py``)::

    P(w) = 1/2 ||yt - Xt w||^2 + 1/2 sum_j l2_j w_j^2        (lower <= w <= upper)

for a penalty in the solver's units (a ``SeparablePenalty`` without L1 part: ``RidgeGD``'s
datafit gives ``l2 = alpha * penalty_factor``, and scikit-learn's Ridge objective is
``2 P``).

* ``cg``: conjugate gradient on the normal equations ``(Xt^T Xt + diag(l2)) w = Xt^T yt``
  with a Jacobi (column-norm) preconditioner. It adapts to the spectrum and needs far fewer
  passes than gradient descent. When the workspace holds the Gram matrix, each iteration is
  one ``p x p`` product instead of two passes over the data.
* ``gd``: gradient descent with step ``1/L``, ``L = lambda_max(Xt^T Xt) + max(l2)``
  (projected onto the bounds).
* ``agd``: Nesterov's accelerated gradient with adaptive restart, projected.

All of them stop when the duality gap (formulation B) is at most ``tol_abs`` (``RidgeGD``:
``tol * P(0)``, with ``P(0) = 1/2 ||yt||^2`` the objective's value at ``w = 0``, a relative
gap, so the rule reads the same on ``2 P``), and return the same record as coordinate
descent.

Numeric core: imports NumPy and SciPy only.
"""

import contextlib

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.sparse.linalg import LinearOperator, eigsh

from . import _tuning as tuning
from ._cd import CDResult, Rounding, _to_project, certified_gap
from ._finish import solve_on_support
from ._objective import duality_gap

__all__ = ["ridge_solve", "ridge_solve_targets", "RIDGE_SOLVERS"]

RIDGE_SOLVERS = ("cg", "gd", "agd")
#: gap evaluations of the gradient methods happen every this many iterations
_GAP_EVERY = 10
#: the primal conjugate-gradient residual is recomputed from scratch every this many
#: iterations (the dual one is certified from the data when it meets the tolerance instead)
_CG_REFRESH = 50
#: wide problems (p > n) with at least _KERNEL_N[0] samples solve the dual system; its
#: kernel matrix is formed when n <= _KERNEL_N[1], else applied through X (forming a small
#: kernel costs about as much as a few primal iterations and then every iteration is tiny;
#: sparse X first iterates through X up to the price of its sparse product, see ridge_solve)
_KERNEL_N = (1, 4000)
#: formed Gram or kernel systems up to this size are first solved by a Cholesky factorization
_DIRECT_MAX = 1000
#: passes over a sparse X per dual conjugate-gradient iteration through X (two products and,
#: as the residual shrinks tenfold each iteration on well-conditioned data, one for the gap)
_PASSES_PER_DUAL_ITERATION = 3
#: conjugate gradient counts as stalled after this many times the system's size iterations
_CG_STALL_FACTOR = 10
#: a stalled conjugate gradient on dense data is finished by an SVD up to this many entries
_SVD_MAX_ENTRIES = 2e7


class _Residuals:
    """Gap summaries of ``w`` from the data (explicit residual) or from the Gram matrix,
    and the gap itself (``certified_gap``: projected for unpenalized features)."""

    def __init__(self, workspace, target, penalty, tol_abs):
        self.workspace, self.design = workspace, workspace.design
        self.target, self.penalty = target, penalty
        self.yt, self.yty = target.yt, target.yty
        self.tol_abs = tol_abs
        self.G = workspace.full_gram
        self.errors = Rounding(self.design, self.yty)
        self.cache = workspace.ridge_cache  # (the kernel and a factorization, per design)
        #: uniform L2 weight (None when they differ: the dual system needs a uniform one)
        l2 = penalty.l2
        self.uniform_l2 = float(l2[0]) if l2.size and np.all(l2 == l2[0]) else None
        #: the least rounding error of the Gram summaries' gap at any ``w``: an entry of
        #: ``Xt^T R`` is accurate to ``e_j >= gamma c_j |yt|`` (``Rounding``), its term
        #: ``(Xt_j^T R)^2 / (2 l2_j)`` to ``e_j^2 / (2 l2_j)``, which ``Rounding``'s estimate
        #: (linear in ``Xt_j^T R``) misses where the entry cancels to exactly 0 (columns scaled
        #: by 1e150: ``Xty - G w`` is 0 or 1e135 as the BLAS kernels round)
        self.gram_floor = 0.0
        if self.G is not None and self.yt is not None:
            e = self.errors.gamma * self.errors.yt_norm * self.errors.scale
            floors = np.divide(0.5 * e * e, l2, out=np.zeros_like(e), where=l2 > 0)
            self.gram_floor = float(floors.sum())

    @property
    def Xty(self):
        return self.target.Xty  # (computed on first use: the dual route needs none)

    def summaries(self, w):
        """Return ``(XtR, RtR, Rty)`` at ``w``: from the Gram matrix when there is one and
        its rounding error stays well below ``tol_abs``, else from an explicit residual."""
        if self.G is not None:
            Gw = self.G @ w
            bw = float(self.Xty @ w)
            wGw = float(w @ Gw)
            XtR = self.Xty - Gw
            error = 0.0 if self.yt is None else self.errors(w, bw, wGw, XtR, self.penalty)
            if error + self.gram_floor <= tuning.RELIABLE * self.tol_abs:
                return XtR, self.yty - 2.0 * bw + wGw, self.yty - bw
        if self.yt is None:  # Gram on demand: one product with it
            Gw = self.design.gram_matvec(w)
            bw = float(self.Xty @ w)
            return self.Xty - Gw, self.yty - 2.0 * bw + float(w @ Gw), self.yty - bw
        R = self.yt - self.design.matvec(w)
        return self.design.rmatvec(R), float(R @ R), float(R @ self.yt)

    def gap(self, w, state=None):
        """``(gap, state)``: the gap at the residual (``certified_gap``), or, when that one
        does not meet ``tol_abs`` and some features' terms are rounding noise, the smaller
        of it and the gap at the residual projected off their columns (``projected_gap``)."""
        state = self.summaries(w) if state is None else state
        gap = certified_gap(self.workspace, self.target, self.penalty, w, state)
        if not gap <= self.tol_abs and self.yt is not None:
            projected = self.projected_gap(w, state)
            if projected is not None:
                gap = min(gap, projected)
        return gap, state

    def projected_gap(self, w, state):
        """The ridge gap at the dual point ``R - Xt_U c`` orthogonal to the columns ``U``
        whose dual term ``(Xt_j^T R)^2 / (2 l2_j)`` no computed residual makes small: the
        rounding error ``e_j`` of ``Xt_j^T R`` (``Rounding.entries``) alone puts it above
        ``RELIABLE tol_abs`` (columns scaled far above their L2 weight: scaled by 1e150,
        ``e_j ~ 1e135`` and a gap of 1e271 at the residual of any ``w``, however exact).

        The exact projection (``c`` solving ``G_UU c = Xt_U^T R``) has ``Xt_U^T theta = 0``:
        their terms are zero, every other quantity is of ordinary size, and the gap is
        ``P(w) - D(theta)`` as ``_projected_gap`` of ``_cd`` computes it for unpenalized
        features (projected with them): a valid certificate, the penalty of ``U`` counted in
        ``P(w)``. ``c`` is solved after a diagonal scaling (columns of any scale). None when
        no column is such, the scaled system is rank-deficient, or the gap's probable
        rounding error (``Rounding.explicit`` of the other entries and their terms' floors
        ``e_j^2 / (2 l2_j)``) is not well below ``tol_abs``."""
        XtR, RtR, Rty = state
        pen, reliable = self.penalty, tuning.RELIABLE * self.tol_abs
        entries = self.errors.entries(w, RtR)[0]
        inside = (w > pen.lower) & (w < pen.upper)  # (excluded features: never inside)
        with np.errstate(over="ignore"):  # (an entry's error beyond 1e154: an inf floor)
            floors = np.divide(
                0.5 * entries * entries, pen.l2, out=np.zeros_like(entries), where=pen.l2 > 0
            )
        noisy = inside & (floors > reliable)
        if not noisy.any():
            return None
        noisy[_to_project(w, pen)] = True
        U = noisy.nonzero()[0]
        G_cols = self.workspace.gram_columns(U)
        G_UU = G_cols[U]
        if not (np.all(np.isfinite(G_cols)) and np.all(np.isfinite(XtR[U]))):
            return None  # (columns beyond 1e154: the Gram matrix overflowed)
        d = np.sqrt(np.abs(np.diag(G_UU)))  # (abs: a diagonal corrected by the offsets)
        d[~(d > 0)] = 1.0
        scaled, _, rank, _ = np.linalg.lstsq(G_UU / np.outer(d, d), XtR[U] / d, rcond=None)
        if rank < U.size:
            return None
        c = scaled / d
        XtR_p = XtR - G_cols @ c
        XtR_p[U] = 0.0  # (their dual constraints hold by construction)
        cXtR, cGc = float(c @ XtR[U]), float(c @ (G_UU @ c))
        RtR_p, Rty_p = RtR - 2.0 * cXtR + cGc, Rty - float(c @ self.Xty[U])
        gap = duality_gap(XtR_p, RtR_p, Rty_p, w, pen, noisy) + max(cXtR - 0.5 * cGc, 0.0)
        error = self.errors.explicit(w, XtR_p, RtR, pen) + float(floors[~noisy].sum())
        if not (error <= reliable and np.isfinite(gap)):
            return None
        return max(gap, 0.0)

    def kernel(self):
        """``Xt Xt^T``, formed once (the Cholesky start and the dual iterations share it)."""
        if "kernel" not in self.cache:
            self.cache["kernel"] = self.design.kernel()
        return self.cache["kernel"]

    def kernel_gap(self, theta, w):
        """The ridge gap of ``w = Xt^T theta`` from the formed kernel alone, or None when
        its probable rounding error is not well below ``tol_abs`` (or ``w`` is worse than
        zero, or there is no L2 weight: the caller then computes it from the data).

        ``R = yt - K theta``, ``||w||^2 = theta^T K theta`` and ``||Xt^T R||^2 = R^T K R``:
        ``n^2`` work where the residual and ``Xt^T R`` cost two passes over X. The errors
        (``kernel_error``) cover the kernel's rounding and ``w``'s own (the gap is that of
        the exact ``Xt^T theta``)."""
        gap = self.kernel_gaps(theta[:, None], self.yt[:, None], [self.tol_abs])[0]
        return None if np.isnan(gap) else float(gap)

    def theta_gap(self, theta, w):
        """``(gap, R)``: the ridge gap of ``w = Xt^T theta`` at the dual point ``l2 theta``
        (a uniform ``l2``), with the residual ``R = yt - Xt w`` from the data:

            P(w) - D(l2 theta) = ||R||^2 / 2 + l2 ||w||^2 - l2 theta.yt + l2^2 ||theta||^2 / 2

        (``D(v) = v.yt - ||v||^2 / 2 - ||Xt^T v||^2 / (2 l2)``, ``||Xt^T theta|| = ||w||``).
        ``inf`` when its probable rounding error (that of the terms, and of ``w`` as the
        product ``Xt^T theta``, see ``kernel_error``) is not well below ``tol_abs``."""
        l2 = self.uniform_l2
        R = self.yt - self.design.matvec(w)
        if not l2 or not np.isfinite(l2):
            return np.inf, R
        RtR, wn2, ty, tt = float(R @ R), float(w @ w), float(theta @ self.yt), float(theta @ theta)
        gap = 0.5 * RtR + l2 * wn2 - l2 * ty + 0.5 * l2 * l2 * tt
        error = tuning.ROUNDING * R.size * (RtR + l2 * wn2 + l2 * abs(ty) + l2 * l2 * tt)
        dw = tuning.ROUNDING * np.sqrt(self.design.n_samples) * np.sqrt(tt)
        dw *= self._kernel_scales()[1]
        error += l2 * (np.sqrt(wn2) * dw + 0.5 * dw * dw)  # ||w||^2 for ||Xt^T theta||^2
        if not (error <= tuning.RELIABLE * self.tol_abs and np.isfinite(gap)):
            return np.inf, R
        return max(gap, 0.0), R

    def kernel_gaps(self, Theta, Yt, tol_abs):
        """``kernel_gap`` of several targets at once (the columns of ``Yt``, their dual
        points ``Theta`` and tolerances ``tol_abs``): three products of ``K`` with a block
        instead of three per target. NaN where the kernel cannot certify."""
        out = np.full(Theta.shape[1], np.nan)
        l2, K = self.uniform_l2, self.cache.get("kernel")
        if not l2 or K is None or not np.isfinite(l2):
            return out
        KT = K @ Theta
        R = Yt - KT
        KR = K @ R
        grad = l2 * Theta - R  # Xt^T (l2 theta - R) is the gradient at Xt^T theta
        KG = K @ grad
        RtR, Rty = np.einsum("ij,ij->j", R, R), np.einsum("ij,ij->j", R, Yt)
        wn2, XKX = np.einsum("ij,ij->j", Theta, KT), np.einsum("ij,ij->j", R, KR)
        yty = np.einsum("ij,ij->j", Yt, Yt)
        sizes = (
            np.sqrt(RtR),
            np.linalg.norm(Theta, axis=0),
            np.sqrt(np.maximum(np.einsum("ij,ij->j", grad, KG), 0.0)),
        )
        error = self.kernel_error(sizes, np.linalg.norm(KR, axis=0), float(np.trace(K)), l2, yty)
        error += tuning.ROUNDING * R.shape[0] * (RtR + l2 * wn2 + np.abs(Rty) + XKX / l2)
        gaps = RtR + 0.5 * l2 * wn2 - Rty + XKX / (2.0 * l2)  # (ridge_gap, elementwise)
        # (worse than w = 0: the data say)
        ok = (0.5 * RtR + 0.5 * l2 * wn2 < 0.5 * yty) & np.isfinite(gaps)
        ok &= error <= tuning.RELIABLE * np.asarray(tol_abs, dtype=np.float64)
        out[ok] = gaps[ok]
        return out

    def kernel_error(self, sizes, KR_norm, trace, l2, yty):
        """Probable error of the kernel gap: entries of ``K`` accurate to ``gamma r_i r_k``
        (``r``: the rows' error scales, ``||r||^2 = sum_j c_j^2`` over the columns' scales
        as the kernel was formed, ``gamma = 4 eps sqrt(n_features)``), so ``K v`` to ``gamma
        ||r||^2 ||v||``; ``w`` from ``Xt^T theta`` to ``4 eps sqrt(n) ||c|| ||theta||``
        (``error_scale``), which moves the objective by its gradient's norm times that.
        (Elementwise over targets: ``sizes``, ``KR_norm`` and ``yty`` may be arrays.)"""
        R_norm, theta_norm, grad_norm = sizes
        F2, c_norm = self._kernel_scales()
        gamma = tuning.ROUNDING * np.sqrt(self.design.n_features)
        dR = gamma * F2 * theta_norm  # in R = yt - K theta
        error = 2.0 * R_norm * dR + dR * dR + np.sqrt(yty) * dR  # R^T R and R^T yt
        error += 0.5 * l2 * gamma * F2 * theta_norm**2  # theta^T K theta
        error += (gamma * F2 * R_norm**2 + 2.0 * KR_norm * dR) / (2.0 * l2)  # R^T K R
        dw = tuning.ROUNDING * np.sqrt(self.design.n_samples) * theta_norm * c_norm
        return error + grad_norm * dw + 0.5 * (trace + l2) * dw * dw

    def _kernel_scales(self):
        """``(||r||^2, ||c||)`` of ``kernel_error`` (per design: kept in the cache)."""
        if "kernel_scales" not in self.cache:
            design = self.design
            F2 = float(np.sum(design.col_norms2))  # (centred columns: dense, heavy offsets)
            if design.x_offset is not None and (design.sparse or not design.heavy_offsets):
                # formed from uncentred X corrected by the offsets: the raw columns' scale
                F2 += design.weight_sum * float(design.x_offset @ design.x_offset)
            c_norm = float(np.sqrt(np.sum(design.error_scale**2)))
            self.cache["kernel_scales"] = (F2, c_norm)
        return self.cache["kernel_scales"]

    def normal_matvec(self, d, l2):
        """``(Xt^T Xt + diag(l2)) d``."""
        if self.G is not None:
            return self.G @ d + l2 * d
        if self.yt is None:
            return self.design.gram_matvec(d) + l2 * d
        return self.design.rmatvec(self.design.matvec(d)) + l2 * d


def ridge_solve(workspace, target, penalty, *, solver="cg", tol_abs, max_iter=15000, w0=None):
    """Solve the ridge problem with a gradient-family method.

    Parameters
    ----------
    workspace : Workspace
    target : Target
    penalty : SeparablePenalty
        Without L1 part, in the solver's units.
    solver : {'cg', 'gd', 'agd'}
    tol_abs : float
        Stop when the duality gap is at most ``tol_abs``.
    max_iter : int
    w0 : ndarray, optional

    Returns
    -------
    CDResult
    """
    if np.any(penalty.l1):
        raise ValueError("ridge_solve only handles penalties without an L1 part.")
    if solver not in RIDGE_SOLVERS:
        raise ValueError(f"solver must be one of {RIDGE_SOLVERS}, got {solver!r}.")
    if penalty.constrained and solver == "cg":
        raise ValueError("solver='cg' does not support bounds (positive=True); use 'gd' or 'agd'.")
    res = _Residuals(workspace, target, penalty, tol_abs)
    design = workspace.design
    w = np.zeros(design.n_features) if w0 is None else np.array(w0, dtype=np.float64)
    penalty.project(w)
    l2 = penalty.l2
    if solver != "cg":
        result = _gradient(res, w, penalty, solver == "agd", tol_abs, max_iter)
        return _bounded_finish(res, result) if penalty.constrained else result
    n, p = design.n_samples, design.n_features
    # in exact arithmetic conjugate gradient ends within dim iterations; far beyond that,
    # rounding rules (extreme conditioning) and the exact finish takes over
    uniform = res.uniform_l2
    dual = w0 is None and _dual_route(design, penalty, uniform)
    budget = min(max_iter, _CG_STALL_FACTOR * min(n if dual else p, p) + 100)
    if dual and design.sparse and n <= _KERNEL_N[1]:
        # a sparse kernel costs many passes over X (scipy's sparse product) where well-
        # conditioned data need a handful: iterate through X until the passes made reach
        # the kernel's price, then form it (at most twice the cost of the better choice)
        # (heavy offsets: a kernel corrected by them loses the digits that products through
        # X keep, and it is never formed)
        heavy = design.heavy_offsets
        rent = None if heavy else _KernelRent(design)
        result = _cg_dual(res, uniform, tol_abs, budget, formed=False, rent=rent)
        if result.converged or heavy:
            return result
    start = _direct_start(res, l2, tol_abs, dual) if w0 is None else None
    if start is not None and start.converged:
        return start
    if dual:
        result = _cg_dual(res, uniform, tol_abs, budget, formed=n <= _KERNEL_N[1])
    else:
        w = start.w if start is not None else w
        result = _cg(res, w, l2, design.col_norms2, tol_abs, budget)
    if not result.converged and result.n_iter < max_iter:  # stalled, not out of budget
        result = _direct_finish(design, res, l2, result)
    # (the direct start may stay the better point: conjugate gradient on the dual system
    # starts afresh, and under extreme conditioning can end far worse)
    return start if start is not None and start.gap < result.gap else result


def _dual_route(design, penalty, uniform):
    """Whether the dual system serves: wide data with one L2 weight (the dual system has no
    room for excluded features: ``w = Xt^T theta``; without penalty, ``w = Xt^T theta`` lies
    in the row space of Xt, so the dual route gives the minimum-norm least-squares solution,
    as scikit-learn's ``Ridge(alpha=0)`` does)."""
    n, p = design.n_samples, design.n_features
    return (
        design.has_samples
        and uniform is not None
        and not np.any(penalty.excluded)
        and p > n >= _KERNEL_N[0]
    )


def ridge_solve_targets(workspace, targets, penalty, *, solver, tol_abs, max_iter):
    """``ridge_solve`` for several targets at one penalty (``tol_abs``: one per target).

    Dense wide data whose kernel system is small (the dual route's Cholesky start) solve
    every target at once: one kernel, one factorization, one product ``Xt^T Theta``; each
    target is certified by its own gap from the kernel, and any that is not goes through
    ``ridge_solve`` alone, as every target does otherwise.
    """
    results = [None] * len(targets)
    res = _Residuals(workspace, targets[0], penalty, tol_abs[0])
    design, uniform = workspace.design, res.uniform_l2
    batched = (
        solver == "cg"
        and len(targets) > 1
        and not design.sparse
        and bool(uniform)
        and _dual_route(design, penalty, uniform)
        and design.n_samples <= min(_DIRECT_MAX, _KERNEL_N[1])
    )
    if batched:
        Yt = np.column_stack([t.yt for t in targets])
        key = (True, penalty.l2.tobytes(), None)
        Theta = _cholesky_solve(res.kernel(), Yt, uniform, design, res.cache, key)
        W = None if Theta is None else design.rmatvec(Theta)
        if W is not None and np.all(np.isfinite(W)):
            gaps = res.kernel_gaps(Theta, Yt, tol_abs)
            for j in np.flatnonzero(~np.isnan(gaps)):
                results[j] = _result(np.ascontiguousarray(W[:, j]), gaps[j], tol_abs[j], 1)
    for j, target in enumerate(targets):
        if results[j] is None:
            results[j] = ridge_solve(
                workspace, target, penalty, solver=solver, tol_abs=tol_abs[j], max_iter=max_iter
            )
    return results


def _direct_start(res, l2, tol_abs, dual):
    """Cholesky solve of a formed system of at most ``_DIRECT_MAX`` unknowns, or None.

    Once the Gram (primal) or kernel (dual) matrix is formed, factorizing it costs ``dim^3/3``
    flops, a fraction of forming it and less than the conjugate-gradient iterations it saves.
    The point is certified by the same duality gap; when rounding keeps the gap above the
    tolerance (extreme conditioning), conjugate gradient continues from it (primal) or
    from zero (dual). Returns None when there is no small formed system or it cannot be
    factorized.
    """
    design = res.design
    if dual:
        if design.n_samples > min(_DIRECT_MAX, _KERNEL_N[1]):
            return None
        A, rhs, l2 = res.kernel(), res.yt, res.uniform_l2
    else:
        if res.G is None or design.n_features > _DIRECT_MAX:
            return None
        A, rhs = res.G, res.Xty
    keep = None if dual else ~res.penalty.excluded
    if keep is not None and not keep.all():  # excluded features: the system without them
        A, rhs, l2 = A[np.ix_(keep, keep)], rhs[keep], (l2 * np.ones(keep.size))[keep]
    if not np.any(l2):
        sol = _minimum_norm_solve(A, rhs, design)
    else:
        key = (
            dual,
            np.asarray(l2, dtype=np.float64).tobytes(),
            None if keep is None else keep.tobytes(),
        )
        sol = _cholesky_solve(A, rhs, l2, design, res.cache, key)
    if sol is None:
        return None
    if dual:
        w = design.rmatvec(sol)
    else:
        w = np.zeros(design.n_features)
        w[keep] = sol
    if not np.all(np.isfinite(w)):
        return None
    if dual:
        gap = res.kernel_gap(sol, w)
        if gap is not None:  # certified from the kernel: no pass over X
            return _result(w, gap, tol_abs, 1)
    state = res.summaries(w)
    if not 0.5 * state[1] + res.penalty.value(w) < 0.5 * res.yty:  # worse than w = 0
        return None
    return _result(w, res.gap(w, state)[0], tol_abs, 1)


def _cholesky_solve(A, rhs, l2, design, cache, key):
    """``(A + diag(l2))^{-1} rhs`` by a Cholesky factorization after a symmetric diagonal
    scaling (the factorization then ignores the columns' scales); None if it fails. The last
    factorization is kept in ``cache`` under ``key``: the other targets of a fit with the
    same penalty solve with it."""
    if cache.get("factor_key") != key:
        cache["factor_key"], cache["factor"] = key, _cholesky_factor(A, l2, design)
    if cache["factor"] is None:
        return None
    s, factor = cache["factor"]
    scale = s if rhs.ndim == 1 else s[:, None]  # (several right-hand sides: columns)
    return scale * cho_solve(factor, scale * rhs, check_finite=False)


def _cholesky_factor(A, l2, design):
    """``(s, factor)``: the scaling and Cholesky factor of ``A + diag(l2)`` (None: fails)."""
    d = np.diag(A) + l2
    if not np.all((d > 0) & np.isfinite(d)):
        return None
    s = 1.0 / np.sqrt(d)
    try:
        A = s[:, None] * A * s + np.diag(l2 * s * s)
        with design.parallel() if A.shape[0] ** 3 / 3 >= tuning.PARALLEL_FLOPS else _noop():
            return s, cho_factor(A, check_finite=False)
    except (LinAlgError, ValueError):
        return None


def _minimum_norm_solve(A, rhs, design):
    """``A^+ rhs`` for a symmetric positive semi-definite ``A`` (a Gram or kernel matrix,
    no penalty): the minimum-norm least-squares solution, from the eigendecomposition, the
    eigenvalues below ``A``'s rounding level (``dim * eps`` times the largest) taken as 0.
    Then a rank-deficient design (duplicated columns, more features than samples, the
    constant direction removed by centring) gets scikit-learn's ``Ridge(alpha=0)`` answer;
    None if the decomposition fails."""
    try:
        with design.parallel() if 3 * A.shape[0] ** 3 >= tuning.PARALLEL_FLOPS else _noop():
            lam, V = np.linalg.eigh(A)
    except np.linalg.LinAlgError:
        return None
    top = float(lam[-1]) if lam.size else 0.0
    if not (top > 0 and np.isfinite(top)):
        return np.zeros_like(rhs)
    inverse = np.zeros_like(lam)
    kept = lam > A.shape[0] * np.finfo(np.float64).eps * top
    inverse[kept] = 1.0 / lam[kept]
    return V @ (inverse * (V.T @ rhs))


def _direct_finish(design, res, l2, result):
    """Exact finish when conjugate gradient stalls (extreme conditioning).

    Dense data of moderate size: the singular value decomposition of the centred design
    (``w = V diag(s / (s^2 + l2)) U^T yt``: the condition number enters as ``s``, not
    ``s^2``); otherwise, when the Gram matrix is formed, its Cholesky factorization. Sparse
    data are never densified. The result is kept only if its objective is smaller.
    """
    n, p = design.n_samples, design.n_features
    explicit = design.has_samples
    uniform = res.uniform_l2
    keep = ~res.penalty.excluded
    if (
        explicit
        and not design.sparse
        and uniform is not None
        and keep.all()
        and n * p <= _SVD_MAX_ENTRIES
    ):
        U, sv, Vt = np.linalg.svd(design.columns(np.arange(p)), full_matrices=False)
        inverse = np.zeros_like(sv)
        # without penalty, the pseudo-inverse: singular values at rounding level are zeros
        kept = sv > (max(n, p) * np.finfo(np.float64).eps * sv[0] if uniform == 0 else 0.0)
        inverse[kept] = sv[kept] / (sv[kept] * sv[kept] + uniform)
        w = Vt.T @ (inverse * (U.T @ res.yt))
    elif res.G is not None:
        try:
            A = (res.G + np.diag(l2 * np.ones(p)))[np.ix_(keep, keep)]
            w = np.zeros(p)
            w[keep] = cho_solve(
                cho_factor(A, check_finite=False), res.Xty[keep], check_finite=False
            )
        except LinAlgError:
            return result
    else:
        return result
    if not np.all(np.isfinite(w)):
        return result

    def summaries(v):  # from an explicit residual: a Gram-based value is rounding noise here
        if not explicit:
            return res.summaries(v)
        R = res.yt - design.matvec(v)
        return design.rmatvec(R), float(R @ R), float(R @ res.yt)

    new = summaries(w)
    old = summaries(result.w)
    if not 0.5 * new[1] + res.penalty.value(w) < 0.5 * old[1] + res.penalty.value(result.w):
        return result
    return _result(w, res.gap(w, new)[0], result.tol_abs, result.n_iter)


def _bounded_finish(res, result):
    """Exact finish of a bounded problem (``positive=True``) on a formed Gram matrix of at
    most ``_DIRECT_MAX`` features: the active-set search of the coordinate-descent solvers
    (``solve_on_support``: the coefficients off their bounds solve their linear system, the
    others stay at their bounds unless the gradient pulls them in). Projected gradient meets
    the gap of ``tol`` with coefficients only as accurate as that; this point is exact.

    Kept if the objective is lower beyond rounding, or, where rounding cannot tell (a flat
    optimum), not higher and the optimality conditions hold better; then certified by the
    same duality gap, and kept only if that gap still meets the tolerance (or is not above
    the gap of the point it replaces).
    """
    G, b, pen = res.G, res.Xty, res.penalty
    if G is None or G.shape[0] > _DIRECT_MAX:
        return result
    w = result.w
    p = w.size
    free = ~pen.excluded
    support = np.flatnonzero((w != 0) & free)
    w_new = solve_on_support(G, b, w, support, pen, coords=np.flatnonzero(free))
    if w_new is None or not np.all(np.isfinite(w_new)):
        return result

    def value_and_violation(v):
        Gv = G @ v
        RtR = res.yty - 2.0 * float(b @ v) + float(v @ Gv)
        value = 0.5 * RtR + pen.value(v)
        scale = res.yty + 2.0 * float(np.abs(b) @ np.abs(v)) + float(np.abs(v) @ np.abs(Gv))
        noise = tuning.ROUNDING * np.sqrt(p) * scale
        return value, noise, float(np.linalg.norm(pen.subdiff_distance(v, Gv - b)[free]))

    old, old_noise, old_kkt = value_and_violation(w)
    new, new_noise, new_kkt = value_and_violation(w_new)
    lower = new + new_noise < old - old_noise
    if not lower and (new - new_noise > old + old_noise or new_kkt >= old_kkt):
        return result
    finished = _result(w_new, res.gap(w_new)[0], result.tol_abs, result.n_iter)
    # never trade the certificate: the gap of the point returned must still meet the
    # tolerance (or not exceed the gap of the point it replaces)
    return finished if finished.gap <= max(result.gap, result.tol_abs) else result


def _noop():
    return contextlib.nullcontext()


def _result(w, gap, tol_abs, n_iter):
    return CDResult(w=w, gap=gap, tol_abs=tol_abs, n_iter=n_iter, n_epochs=n_iter)


def _cg(res, w, l2, norms2, tol_abs, max_iter):
    """Jacobi-preconditioned conjugate gradient on the normal equations."""
    precond = norms2 + l2
    precond[precond <= 0] = 1.0
    gap, (XtR, RtR, Rty) = res.gap(w)
    n_iter = 0
    if gap <= tol_abs:
        return _result(w, gap, tol_abs, 1)
    free = ~res.penalty.excluded  # conjugate gradient on the subspace of the others
    r = (XtR - l2 * w) * free  # minus the gradient
    z = r / precond
    d = z.copy()
    rz = float(r @ z)
    for n_iter in range(1, max_iter + 1):
        Ad = res.normal_matvec(d, l2)
        dAd = float(d @ Ad)
        if not dAd > 0:  # zero search direction: w solves the normal equations
            gap = res.gap(w)[0]
            break
        step = rz / dAd
        w += step * d
        if n_iter % _CG_REFRESH == 0:
            XtR, RtR, Rty = res.summaries(w)
            r = (XtR - l2 * w) * free
        else:
            r -= step * Ad * free
        # cheap gap from the recurrence residual: Xt^T R = r + l2 w; verify exactly on success
        gap = _ridge_gap_from_normal_residual(res, w, r, l2)
        if gap <= tol_abs:
            gap, (XtR, RtR, Rty) = res.gap(w)
            if gap <= tol_abs:
                break
            r = (XtR - l2 * w) * free  # recurrence drifted: restart from the true residual
            z = r / precond
            d = z.copy()
            rz = float(r @ z)
            continue
        z = r / precond
        rz_new = float(r @ z)
        d = z + (rz_new / rz) * d
        rz = rz_new
    else:
        gap = res.gap(w)[0]
    return _result(w, gap, tol_abs, max(n_iter, 1))


class _KernelRent:
    """Whether the iterations through X have cost the sparse kernel's price (its exact
    price counted only once they reach a lower bound of it: most fits end before)."""

    def __init__(self, design):
        self.design = design
        self.price = design.kernel_passes(floor=True) / _PASSES_PER_DUAL_ITERATION
        self.exact = False

    def paid(self, n_iter):
        if n_iter < int(self.price):
            return False
        if not self.exact:
            self.exact = True
            self.price = self.design.kernel_passes() / _PASSES_PER_DUAL_ITERATION
        return n_iter >= int(self.price)


def _cg_dual(res, l2, tol_abs, max_iter, formed, rent=None):
    """Conjugate gradient on the dual system ``(K + l2 I) theta = yt``, ``K = Xt Xt^T``.

    For wide data (``p > n``) the dual system is the smaller one. ``K`` is formed once when
    ``formed`` (an iteration then costs ``n^2``), else applied as ``Xt (Xt^T v)`` (two
    passes over X). No preconditioner: the row-norm (Jacobi) one was measured to slow it down,
    and without one, weights are equivalent to repeated rows at every iteration.

    The primal point is ``w = Xt^T theta``. Its ridge gap at the dual point ``l2 theta`` (the
    iterate itself) is ``||rho||^2 / 2``, ``rho`` the dual system's residual, which the
    iterations carry: free, and orders of magnitude below the gap at the residual ``R = yt -
    K theta`` until convergence (measured on news20 at alpha = 1: 7e-7 against 4e-2 of the
    objective at zero, iteration 1400). Once it meets ``tol_abs`` the point is certified
    from the data (``theta_gap``: one more pass, for the residual), or the iterations go on
    from the true ``rho`` when the recurrence had drifted. With ``rent`` (a
    ``_KernelRent``), the iterations stop once they have cost the kernel's price.
    """
    design, yt = res.design, res.yt
    if formed:
        K_dot = res.kernel().__matmul__
    else:
        K_dot = lambda v: design.matvec(design.rmatvec(v))  # noqa: E731
    theta = np.zeros_like(yt)
    rho = yt.copy()  # residual of the dual system
    d = rho.copy()
    rr = float(rho @ rho)
    check_below = tol_abs  # (lowered after each failed check: a few checks, not one per step)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        Ad = K_dot(d) + l2 * d
        dAd = float(d @ Ad)
        if not dAd > 0:
            break
        step = rr / dAd
        theta += step * d
        rho -= step * Ad  # (not refreshed: replacing it would cost conjugacy; news20 at
        # alpha = 1: 1747 iterations with a refresh every 50, 1687 without)
        rr_new = float(rho @ rho)
        if 0.5 * rr_new <= check_below:
            w = design.rmatvec(theta)
            gap, R = _dual_certificate(res, theta, w, tol_abs)
            if gap <= tol_abs:
                return _result(w, gap, tol_abs, n_iter)
            rho = R - l2 * theta  # the recurrence drifted: on from the true residual
            rr_new = float(rho @ rho)
            d = rho.copy()
            check_below *= 0.25
        else:
            d = rho + (rr_new / rr) * d
        rr = rr_new
        if rent is not None and rent.paid(n_iter):
            break
    w = design.rmatvec(theta)
    gap = res.kernel_gap(theta, w) if formed else None
    if gap is None:
        gap = _dual_certificate(res, theta, w, tol_abs)[0]
    return _result(w, gap, tol_abs, max(n_iter, 1))


def _dual_certificate(res, theta, w, tol_abs):
    """``(gap, R)`` of ``w = Xt^T theta`` from the data: the gap at the dual point ``l2
    theta`` (``theta_gap``), or, when that one does not meet ``tol_abs`` (or its rounding
    cannot tell), the smaller of it and the gap at the residual ``R`` (one more pass)."""
    gap, R = res.theta_gap(theta, w)
    if not gap <= tol_abs:
        state = (res.design.rmatvec(R), float(R @ R), float(R @ res.yt))
        gap = min(gap, res.gap(w, state)[0])
    return gap, R


def _ridge_gap_from_normal_residual(res, w, r, l2):
    """Ridge gap when ``Xt^T R = r + l2 w`` is known but not ``R`` itself.

    Uses ``R^T R = yty - 2 w.Xty + w.(Xty - Xt^T R)`` (valid for any ``w``).
    """
    XtR = r + l2 * w
    bw = float(res.Xty @ w)
    RtR = res.yty - 2.0 * bw + float(w @ (res.Xty - XtR))
    return res.gap(w, (XtR, RtR, res.yty - bw))[0]


def _lipschitz(res, l2):
    """Largest eigenvalue of ``Xt^T Xt`` (upper-rounded) plus ``l2``."""
    design = res.design
    p = design.n_features
    if res.G is not None or p <= 500:
        all_idx = np.arange(p)
        G = res.G if res.G is not None else design.cross_gram(all_idx, all_idx)
        top = float(np.linalg.eigvalsh(G)[-1]) if p else 0.0
    else:
        op = LinearOperator(
            (p, p), matvec=lambda v: res.normal_matvec(np.ravel(v), 0.0), dtype=float
        )
        top = float(
            eigsh(op, k=1, which="LA", v0=np.ones(p), tol=1e-4, return_eigenvectors=False)[0]
        )
    top = max(top, 0.0) * (1.0 + 1e-3)
    L = top + float(np.max(l2, initial=0.0))
    return L if L > 0 else 1.0


def _gradient(res, w, penalty, accelerated, tol_abs, max_iter):
    """(Projected) gradient descent, optionally with Nesterov momentum and restart."""
    l2 = penalty.l2
    L = _lipschitz(res, l2)
    gap, (XtR, RtR, Rty) = res.gap(w)
    if gap <= tol_abs:
        return _result(w, gap, tol_abs, 1)
    v = w.copy()  # extrapolated point
    XtR_v = XtR
    t = 1.0
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        grad = l2 * v - XtR_v
        w_new = penalty.project(v - grad / L)
        if accelerated:
            if float(grad @ (w_new - w)) > 0:  # adaptive restart: momentum points uphill
                t = 1.0
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            v = w_new + ((t - 1.0) / t_new) * (w_new - w)
            t = t_new
        else:
            v = w_new
        w = w_new
        if n_iter % _GAP_EVERY == 0 or n_iter == max_iter:
            gap, (XtR, RtR, Rty) = res.gap(w)
            if gap <= tol_abs:
                break
            if v is w:
                XtR_v = XtR
                continue
        XtR_v = res.summaries(v)[0]
    return _result(w, gap, tol_abs, n_iter)
