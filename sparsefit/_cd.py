"""Coordinate descent with soft-thresholding for the lasso and the elastic net.

The solver minimises the sum form (see ``_objective.py``)::

    P(w) = 1/2 ||yt - Xt w||^2 + l1 ||w||_1 + l2/2 ||w||^2        (w >= 0 if positive)

with ``l1 = scale * penalty.l1_weight`` and ``l2 = scale * penalty.l2_weight``.

Design (why it is fast in pure Python):

* **Working sets.** Each outer iteration costs one pass over all features (``Xt^T R``): it
  computes the duality gap (the stopping certificate) and ranks features by how much they
  violate the optimality conditions. Coordinate descent then runs only on a small working
  set: the current support plus the worst violators, about twice the support size.
* **Gram updates.** On a working set ``W`` of size ``k`` the subproblem is solved from
  ``G = Xt_W^T Xt_W`` and ``b = Xt_W^T yt``: a coordinate update costs one BLAS ``daxpy`` of
  length ``k``, independent of ``n_samples``, and the subproblem's own duality gap costs
  ``O(k)``.
* **Gram cache.** Gram blocks are cached across outer iterations (``Design.gram``); for dense
  X whose working sets span nearly all features, or that is tall and narrow, the full Gram
  matrix is formed once and the gap evaluations use it too.
* **Anderson extrapolation.** Every few epochs the last iterates of a subproblem are
  extrapolated; the result is kept only if it lowers the subproblem's objective.
* **Exact finish.** Once the signs of the support are stable, the subproblem's solution
  solves a small positive-definite system ``(G_SS + l2 I) w_S = b_S - l1 sign(w_S)`` (a
  Newton step; if a sign would flip, the step stops where the first coefficient reaches
  zero). It is kept only if it lowers the objective, so coordinate descent remains the
  engine that finds the support and the safeguard.
* **Working sets that fill up grow fourfold** instead of twofold; once one holds every
  violator, its subproblem is solved to a tenth of the final tolerance.

Stopping rule (scikit-learn's): ``gap <= tol * ||yt||^2``.

Numeric core: imports NumPy and SciPy only.
"""

from dataclasses import dataclass

import numpy as np
from scipy.linalg import blas, lapack

from ._objective import duality_gap, gram_summaries_reliable, primal_objective
from .penalties import soft_threshold

__all__ = ["CDResult", "enet_coordinate_descent"]

#: initial working-set size
_P0 = 10
#: coordinate-descent epochs allowed per working-set subproblem
_MAX_EPOCHS = 1000
#: the subproblem is solved to this fraction of the current outer duality gap
_INNER_RATIO = 0.3
#: Anderson extrapolation uses this many past iterates
_ANDERSON_K = 5
#: cost model of ``_finish_pays``, in units of one coordinate update (about 1.5 us):
#: elements of an in-cache ``daxpy``, flops of a factorization, and the fixed overhead of
#: an exact finish, per unit
_AXPY_PER_UNIT = 3750.0
_FLOPS_PER_UNIT = 30000.0
_FINISH_OVERHEAD = 40.0
#: epochs a warm-started subproblem typically needs (cost model of the exact solve tried first)
_TYPICAL_EPOCHS = 5
#: most feature-sign rounds (one factorization each) per exact finish
_NEWTON_ROUNDS = 10
#: one factorization serves smaller supports while its Cholesky diagonal spans less than this
_SCHUR_MAX_RATIO = 1e4
#: the fit stops early after this many outer iterations without halving the gap
_STALL_ITERATIONS = 10
#: rounding error of a length-n dot product, relative to sqrt(n) |x| |R| (see ``duality_gap``)
_ROUNDING = 4.0 * np.finfo(np.float64).eps


@dataclass
class CDResult:
    """What the solvers (coordinate descent and the ridge solvers) return."""

    w: np.ndarray
    gap: float
    tol_abs: float
    n_iter: int
    n_epochs: int
    #: ``(Xt^T R, R^T R, R^T yt)`` at ``w``, when the solver computed them
    summaries: tuple = None

    @property
    def converged(self):
        """Whether the returned point meets the stopping rule ``gap <= tol_abs``."""
        return bool(self.gap <= self.tol_abs)


def enet_coordinate_descent(
    design,
    yt,
    penalty,
    scale=1.0,
    *,
    tol=1e-4,
    max_iter=1000,
    w0=None,
    rng=None,
    Xty=None,
    min_iter=1,
    summaries0=None,
):
    """Solve the (sum-form) elastic net by working-set coordinate descent.

    Parameters
    ----------
    design : Design
        The centred, sqrt-weighted design (``_data.Design``).
    yt : ndarray of shape (n_samples,)
        Centred, sqrt-weighted target.
    penalty : L1, L1L2 or L2
        Penalty object; its weights are multiplied by ``scale``.
    scale : float
        ``n_samples`` for scikit-learn's ``1/(2n)`` data-fit scaling.
    tol : float
        Stop when the duality gap is at most ``tol * ||yt||^2``.
    max_iter : int
        Maximum number of outer (working-set) iterations.
    w0 : ndarray of shape (n_features,), optional
        Starting point (warm start).
    rng : numpy random generator or RandomState, optional
        If given, coordinates are visited in a random order each epoch.
    Xty : ndarray of shape (n_features,), optional
        ``design.rmatvec(yt)`` when already known (along a path: one pass over X saved per
        alpha).
    min_iter : int
        Outer iterations run even if the starting point already meets the tolerance (1: the
        first evaluation may stop; 2: at least one subproblem is solved, as along a path,
        where the previous solution often meets a loose tolerance at the next ``alpha``).
    summaries0 : tuple, optional
        ``(Xt^T R, R^T R, R^T yt)`` at ``w0`` (they do not depend on the penalty): along a
        path, the previous solve's ``CDResult.summaries`` save the first evaluation.

    Returns
    -------
    CDResult
    """
    l1 = scale * penalty.l1_weight
    l2 = scale * penalty.l2_weight
    positive = penalty.positive
    n_features = design.n_features

    if design.full_gram is None and design.gram_is_cheap:
        design.precompute_gram()
    norms2 = design.col_norms2
    max_norm2 = float(norms2.max()) if norms2.size else 0.0
    valid = norms2 > 0.0
    n_valid = int(valid.sum())
    inv_norms = np.zeros(n_features)
    inv_norms[valid] = 1.0 / np.sqrt(norms2[valid])

    yt = np.asarray(yt, dtype=np.float64)
    Xty = design.rmatvec(yt) if Xty is None else Xty
    yty = float(yt @ yt)
    tol_abs = tol * yty

    w = np.zeros(n_features) if w0 is None else np.array(w0, dtype=np.float64)
    w[~valid] = 0.0
    if positive:
        np.maximum(w, 0.0, out=w)
    warm = w0 is not None and bool(np.any(w))
    if summaries0 is not None and not (w0 is not None and np.array_equal(w, w0)):
        summaries0 = None  # they describe a point that was changed above

    def summaries(w, exact=False):
        S = np.flatnonzero(w)
        if design.full_gram is not None and not exact:
            wS = w[S]
            GwS = design.full_gram[:, S] @ wS
            XtR = Xty - GwS
            bw = float(Xty[S] @ wS)
            wGw = float(wS @ GwS[S])
            RtR = yty - 2.0 * bw + wGw
            Rty = yty - bw
            if not gram_summaries_reliable(yty, bw, wGw, n_features, tol_abs):
                return summaries(w, exact=True)
            return XtR, RtR, Rty
        R = yt - design.matvec(w[S], S)
        return design.rmatvec(R), float(R @ R), float(R @ yt)

    def evaluate(w, known=None):
        XtR, RtR, Rty = summaries(w) if known is None else known
        # rounding error of Xt^T R, but never more than a tenth of l1: beyond that the gap
        # is left to fail (and the fit to warn) rather than certify a different problem
        slack = min(_ROUNDING * np.sqrt(design.n_samples * max_norm2 * max(RtR, 0.0)), 0.1 * l1)
        gap = duality_gap(XtR, RtR, Rty, w, l1, l2, positive, slack)
        return gap, (XtR, RtR, Rty), slack

    n_iter = 0
    n_epochs = 0
    best_gap, stalled = np.inf, 0
    ws_min = 0
    prev_ws_size = _P0
    prev_gap = np.inf
    gap = np.inf
    for n_iter in range(1, max_iter + 1):
        gap, state, slack = evaluate(w, summaries0 if n_iter == 1 else None)
        XtR = state[0]
        if gap <= tol_abs and (n_iter >= min_iter or gap <= 0.0):
            break
        # rounding can keep the gap above tol (extreme conditioning): stop when it has not
        # improved for a while rather than spend the whole budget
        if gap <= 0.5 * best_gap:
            best_gap, stalled = gap, 0
        else:
            stalled += 1
            if stalled >= _STALL_ITERATIONS:
                break
        # rank features by their violation of the optimality conditions
        score = penalty.subdiff_distance(w, -XtR / scale) * inv_norms
        support = w != 0
        score[support] = np.inf
        score[~valid] = 0.0
        candidates = np.flatnonzero(score > 0)
        if candidates.size == 0:
            break  # optimal up to rounding: nothing left to improve
        if gap > 0.5 * prev_gap:  # slow progress: let the working set grow
            ws_min = min(n_valid, 2 * ws_min if ws_min else 2 * _P0)
        prev_gap = gap
        nnz = int(support.sum())
        # twice the support; four times when the last subproblem filled its whole working set
        growth = 4 if nnz >= 0.9 * prev_ws_size else 2
        ws_size = min(n_valid, max(_P0, growth * nnz, ws_min))
        prev_ws_size = ws_size
        if candidates.size > ws_size:
            top = np.argpartition(-score[candidates], ws_size - 1)[:ws_size]
            ws = np.sort(candidates[top])
            tol_in = _INNER_RATIO * gap
        else:
            # every violator is in: solving this subproblem accurately usually ends the fit
            ws = candidates
            tol_in = min(_INNER_RATIO * gap, 0.1 * tol_abs)
        G = design.gram(ws)
        w_ws, epochs = _gram_cd(
            G,
            Xty[ws],
            w[ws],
            yty,
            l1,
            l2,
            positive,
            tol_in,
            rng,
            slack=slack,
            finish_first=warm and n_epochs == 0,
        )
        n_epochs += epochs
        w[ws] = w_ws
    else:
        # max_iter subproblems solved without a certificate yet: certify the last iterate
        gap, state, _ = evaluate(w)
    return CDResult(
        w=w, gap=gap, tol_abs=tol_abs, n_iter=n_iter, n_epochs=n_epochs, summaries=state
    )


def _subproblem_gap(b, q, w, yty, l1, l2, positive, slack=0.0):
    """Duality gap of the working-set problem from its Gram summaries (``q = G w``)."""
    bw = float(b @ w)
    RtR = yty - 2.0 * bw + float(w @ q)
    return duality_gap(b - q, RtR, yty - bw, w, l1, l2, positive, slack)


def _subproblem_primal(b, q, w, yty, l1, l2):
    """Objective of the working-set problem (``q = G w``), including the constant."""
    return primal_objective(yty - 2.0 * float(b @ w) + float(w @ q), w, l1, l2)


def _gram_cd(
    G,
    b,
    w,
    yty,
    l1,
    l2,
    positive,
    tol_in,
    rng=None,
    max_epochs=_MAX_EPOCHS,
    slack=0.0,
    finish_first=False,
):
    """Coordinate descent on ``1/2 w^T G w - b^T w + l1 |w|_1 + l2/2 |w|^2`` (+ const).

    Every epoch ends with the subproblem's duality gap (``O(k)``); every ``_ANDERSON_K``
    epochs the iterates are extrapolated (Anderson); once the signs are stable, the smooth
    problem on the support is solved exactly. Both are accepted only if they lower the
    objective. With ``finish_first`` (a warm start, e.g. the previous ``alpha`` of a path,
    whose support and signs are usually still right), the exact solve is tried before the
    first epoch. Returns the new ``w`` and the number of epochs run.
    """
    k = b.shape[0]
    w = np.array(w, dtype=np.float64)
    q = G @ w
    diag = np.diag(G).copy()
    diag[~(diag > 0)] = np.inf  # a zero column never moves from zero
    cols = [G[:, j] for j in range(k)]  # contiguous (G is Fortran-ordered)
    inv = (1.0 / diag).tolist()
    thr = (l1 / diag).tolist()
    den = (1.0 + l2 / diag).tolist()
    wl = w.tolist()
    bl = b.tolist()
    daxpy = blas.daxpy
    history = []
    last_tried = prev_signature = None
    support = np.flatnonzero(w)
    if finish_first and support.size and _finish_pays(k, support.size, _TYPICAL_EPOCHS):
        last_tried = (support.tobytes(), np.signbit(w[support]).tobytes())
        w_new = _solve_on_support(G, b, w, support, l1, l2)
        if w_new is not None:
            q_new = G @ w_new
            if _subproblem_primal(b, q_new, w_new, yty, l1, l2) < _subproblem_primal(
                b, q, w, yty, l1, l2
            ):
                w, q, wl = w_new, q_new, w_new.tolist()
                # often already optimal for the whole working set: no epoch needed
                if _subproblem_gap(b, q, w, yty, l1, l2, positive, slack) <= tol_in:
                    return w, 0
    prev_gap = np.inf
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        order = range(k) if rng is None else rng.permutation(k).tolist()
        for j in order:
            wj = wl[j]
            z = wj - (q.item(j) - bl[j]) * inv[j]
            if positive:
                new = max(z - thr[j], 0.0) / den[j]
            else:
                new = soft_threshold(z, thr[j]) / den[j]
            if new != wj:
                daxpy(cols[j], q, a=new - wj)
                wl[j] = new
        w = np.array(wl)
        gap = _subproblem_gap(b, q, w, yty, l1, l2, positive, slack)
        if gap <= tol_in:
            break
        # epochs still needed at the rate just observed (unknown after the first)
        rate = gap / prev_gap if np.isfinite(prev_gap) and prev_gap > 0 else 1.0
        if 0.0 < rate < 1.0 and tol_in > 0.0:
            epochs_left = np.log(tol_in / gap) / np.log(rate)
        else:
            epochs_left = np.inf
        prev_gap = gap
        candidates = []
        history.append(w)
        if len(history) == _ANDERSON_K + 1:
            candidates.append(_anderson(history, positive))
            history = []
        # exact finish: with the signs identified, solve the smooth problem on the support
        support = np.flatnonzero(w)
        signature = (support.tobytes(), np.signbit(w[support]).tobytes())
        stable = signature == prev_signature and signature != last_tried
        if stable and support.size and _finish_pays(k, support.size, epochs_left):
            last_tried = signature
            candidates.append(_solve_on_support(G, b, w, support, l1, l2))
        prev_signature = signature
        candidates = [c for c in candidates if c is not None]
        if candidates:
            best = _subproblem_primal(b, q, w, yty, l1, l2)
            accepted = False
            for w_new in candidates:
                q_new = G @ w_new
                value = _subproblem_primal(b, q_new, w_new, yty, l1, l2)
                if value < best:
                    best, w, q, accepted = value, w_new, q_new, True
            if accepted:
                # no stop here: the next sweep re-thresholds (an extrapolated point is not
                # sparse) and certifies
                wl = w.tolist()
    return w, epoch


def _finish_pays(k, n_support, epochs_left):
    """Whether an exact finish on ``n_support`` features costs less than the sweeps over ``k``
    coordinates it would save (in units of one coordinate update, about 1.5 us: a sweep costs
    ``k`` of them plus its ``daxpy`` work; a factorization ``n^3 / 3`` flops at about 20 GFlop/s
    plus a fixed overhead)."""
    sweep = k * (1.0 + k / _AXPY_PER_UNIT)
    finish = _FINISH_OVERHEAD + n_support**3 / (3.0 * _FLOPS_PER_UNIT)
    return epochs_left * sweep > finish


def _anderson(history, positive):
    """Anderson extrapolation of the last iterates (None if ill-posed)."""
    W = np.array(history)
    U = np.diff(W, axis=0)
    try:
        c = np.linalg.solve(U @ U.T, np.ones(U.shape[0]))
    except np.linalg.LinAlgError:
        return None
    total = c.sum()
    if not np.isfinite(total) or total == 0:
        return None
    w_acc = (c / total) @ W[1:]
    if not np.all(np.isfinite(w_acc)) or (positive and np.any(w_acc < 0)):
        return None
    return w_acc


def _solve_on_support(G, b, w, support, l1, l2, max_rounds=None):
    """Exact finish by feature-sign search, starting from the support and signs of ``w``.

    Each round solves the smooth problem on the current support ``S`` with its signs held
    fixed, ``(G_SS + l2 I) u = b_S - l1 sign(w_S)``. If ``u`` keeps the signs it is the exact
    solution of the subproblem restricted to ``S``, and is returned. Otherwise the objective
    is evaluated at ``u`` and at every point of the segment ``[w_S, u]`` where a coefficient
    reaches zero; the best one becomes the next starting point (coefficients at zero leave
    the support) and the next round begins. Every round lowers the objective (the first
    breakpoint always does), so the search ends; it stops after ``max_rounds`` rounds
    (default: ``_NEWTON_ROUNDS``). The supports only shrink, so one factorization serves
    every round (``_SupportSystem``). Returns None when nothing was gained or the first
    system cannot be solved.
    """
    max_rounds = _NEWTON_ROUNDS if max_rounds is None else max_rounds
    system = _SupportSystem(G, l2)
    w_new = np.array(w, dtype=np.float64)
    S = np.asarray(support)
    improved = False
    for _ in range(max_rounds):
        w_S = w_new[S]
        sign = np.sign(w_S)
        u = system.solve(S, b[S] - l1 * sign)
        if u is None:
            break
        crossed = np.flatnonzero(np.sign(u) != sign)
        if crossed.size == 0:
            w_new[S] = u
            return w_new
        # candidates: u, and the breakpoints where a crossing coefficient is exactly zero;
        # along w_S + t d the smooth part changes by c1 t + c2 t^2 / 2
        d = u - w_S
        c1 = float((system.matvec(S, w_S) - b[S]) @ d)
        c2 = float(d @ system.matvec(S, d))
        t = np.append(w_S[crossed] / (w_S[crossed] - u[crossed]), 1.0)
        P = w_S[:, None] + d[:, None] * t
        P[crossed, np.arange(crossed.size)] = 0.0
        change = c1 * t + 0.5 * c2 * t * t + l1 * (np.abs(P).sum(axis=0) - np.abs(w_S).sum())
        best = int(np.argmin(change))
        if not change[best] < 0.0:
            break
        w_new[S] = P[:, best]
        improved = True
        S = S[P[:, best] != 0.0]
        if S.size == 0:
            break
    return w_new if improved else None


class _SupportSystem:
    """Solves ``(G_SS + l2 I) u = r`` for supports ``S`` inside one factorized support ``S0``.

    ``S0`` is factorized once (Cholesky). For ``S`` inside it, with ``D`` the features of
    ``S0`` not in ``S``, the solution is the one of the ``S0`` system constrained to
    ``u_D = 0``: with ``Z = A0^{-1} E_D``, ``u = x - Z (Z_D)^{-1} x_D`` where
    ``x = A0^{-1} r`` (``r`` zero on ``D``), costing ``|D| + 1`` triangular solve pairs
    instead of a new factorization. Beyond ``max(16, |S0| / 8)`` removed features, outside
    ``S0``, or when ``S0`` was nearly singular, ``S`` is factorized afresh.
    """

    def __init__(self, G, l2):
        self.G = G
        self.l2 = l2
        self.pos = np.full(G.shape[0], -1, dtype=np.intp)
        self.base = None

    def _factorize(self, S):
        A = self.G[np.ix_(S, S)]
        if self.l2:
            A[np.diag_indices_from(A)] += self.l2
        self.exact = True
        # LAPACK directly (upper Cholesky factor): these systems are often small, and the
        # checking wrappers would cost more than the factorization
        factor, info = lapack.dpotrf(A, lower=False, clean=False)
        if info != 0:
            self.exact = False  # a regularized factor: smaller supports are factorized afresh
            # (numerically) singular block, e.g. collinear columns: a tiny ridge still gives a
            # descent direction, and the caller keeps the result only if the objective decreases
            jitter = 1e-10 * float(np.mean(np.diag(A))) + np.finfo(float).tiny
            factor, info = lapack.dpotrf(A + jitter * np.eye(S.size), lower=False, clean=False)
            if info != 0 or not np.all(np.isfinite(np.diag(factor))):
                self.base = None
                return False
        # a nearly singular block (the Cholesky diagonal spans many orders, a lower bound on
        # the condition number): updates would lose digits, so subsets are factorized afresh
        diag = np.abs(np.diag(factor))
        self.exact = self.exact and bool(diag.min() * _SCHUR_MAX_RATIO > diag.max())
        if self.base is not None:
            self.pos[self.base] = -1
        self.base, self.A, self.factor = S, A, factor
        self.pos[S] = np.arange(S.size)
        return True

    def _positions(self, S):
        """Positions in ``S0`` of ``S`` and of the features of ``S0`` not in ``S`` (None: the
        support must be factorized afresh)."""
        if self.base is None or not self.exact:
            return None
        pos_S = self.pos[S]
        if np.any(pos_S < 0) or self.base.size - S.size > max(16, self.base.size // 8):
            return None
        keep = np.zeros(self.base.size, dtype=bool)
        keep[pos_S] = True
        return pos_S, np.flatnonzero(~keep)

    def solve(self, S, r):
        """``u`` on ``S``, or None if the system cannot be solved."""
        positions = self._positions(S)
        if positions is None:
            if not self._factorize(S):
                return None
            positions = self.pos[S], np.zeros(0, dtype=np.intp)
        pos_S, pos_D = positions
        k0 = self.base.size
        rhs = np.zeros((k0, 1 + pos_D.size))
        rhs[pos_S, 0] = r
        rhs[pos_D, 1 + np.arange(pos_D.size)] = 1.0
        X, info = lapack.dpotrs(self.factor, rhs, lower=False)
        if info != 0:
            return None
        x = X[:, 0]
        if pos_D.size == 1:
            Z = X[:, 1]
            if not Z[pos_D[0]] > 0.0:  # a diagonal entry of a positive definite inverse
                return None
            x = x - Z * (x[pos_D[0]] / Z[pos_D[0]])
        elif pos_D.size:
            Z = X[:, 1:]
            try:
                lam = np.linalg.solve(Z[pos_D], x[pos_D])
            except np.linalg.LinAlgError:
                return None
            x = x - Z @ lam
        u = x[pos_S]
        return u if np.all(np.isfinite(u)) else None

    def matvec(self, S, v):
        """``(G_SS + l2 I) v`` for ``S`` inside the factorized support."""
        full = np.zeros(self.base.size)
        pos_S = self.pos[S]
        full[pos_S] = v
        return (self.A @ full)[pos_S]
