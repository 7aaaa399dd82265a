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
  solves a small positive-definite system ``(G_SS + l2 I) w_S = b_S - l1 sign(w_S)``: a
  feature-sign search (line search over the breakpoints where a sign would flip, features
  leave at zero, violators of the working set join) ends on the exact solution of the
  working-set problem. It is kept only if it lowers the objective, so coordinate descent
  remains the engine that finds the support and the safeguard.
* **One factorization, updated.** The finish's systems share a Cholesky factor that grows by
  appends and shrinks by constrained solves or a refactorized tail (``_SupportSystem``); on
  the full Gram matrix it persists between subproblems and along a path, so a warm-started
  ``alpha`` whose support changes by a few features costs a few triangular solves, no
  epoch.
* **Working sets that fill up grow fourfold** instead of twofold; once one holds every
  violator, its subproblem is solved to a tenth of the final tolerance.

Stopping rule (scikit-learn's): ``gap <= tol * ||yt||^2``.

Numeric core: imports NumPy and SciPy only.
"""

from dataclasses import dataclass

import numpy as np
from scipy.linalg import blas, lapack

from ._objective import duality_gap, primal_objective
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
#: removed features are dropped from the factor (its tail refactorized) when the tail after
#: the first of them is at most this many features per removed one
_TAIL_PER_REMOVED = 8
#: right-hand sides up to which two BLAS-2 triangular solves each beat LAPACK's ``dpotrs``
_TRSV_COLUMNS = 4
#: refinement steps of a solve through a jittered (singular) factorization
_REFINE_STEPS = 3
#: the fit stops early after this many outer iterations without halving the gap
_STALL_ITERATIONS = 10
#: rounding error of a length-n dot product, relative to sqrt(n) |x| |R| (see ``duality_gap``)
_ROUNDING = 4.0 * np.finfo(np.float64).eps


#: summaries computed through a Gram matrix certify only while their probable rounding error
#: is below this fraction of the tolerance (else: an explicit residual)
_RELIABLE = 0.01
#: a stalled fit polishes with explicit residuals (``_residual_cd``) once its gap is within
#: this factor of the rounding level of Gram-based summaries (farther away, the stall is
#: the optimization's, and the exact finish on the Gram matrix is the better tool)
_POLISH_RANGE = 1e3
#: most entries (256 MB of float64) of the centred working-set columns of a residual
#: subproblem (``_residual_cd``); beyond, the subproblem stays on its Gram matrix
_MAX_RESIDUAL_ENTRIES = 2**25
#: a verified gap recomputes every entry of ``Xt^T R`` from centred columns (by blocks) up to
#: this size of X (a pass of dense products); beyond, only the entries near the constraint
_VERIFY_ALL_ENTRIES = 1e8


class _GramError:
    """Probable rounding errors of the gap's summaries, from a design's error scales.

    With ``c`` the design's ``error_scale`` (``Design.error_scale``), a product ``Xt^T v``
    is accurate to about ``gamma c_j |v|`` and a Gram entry to ``gamma c_j c_k``, where
    ``gamma = 4 eps sqrt(n_samples)``. Summaries through the Gram matrix at ``w`` then have
    errors ``gamma (c.|w|)(c.|w| + 2 |yt|)`` in ``R^T R`` (plus the rounding of
    ``yty - 2 b.w + w.G w`` itself) and ``gamma c_j (|yt| + c.|w|)`` in ``(Xt^T R)_j``; the
    gap moves by about ``|w|_1`` times the error of the dual norm.
    """

    def __init__(self, design, yty):
        self.scale = design.error_scale
        self.gram_scale = design.gram_error_scale
        self.top = float(self.scale.max()) if self.scale.size else 0.0
        self.gram_top = float(self.gram_scale.max()) if self.scale.size else 0.0
        self.gamma = _ROUNDING * np.sqrt(design.n_samples)
        self.yty = yty
        self.yt_norm = float(np.sqrt(yty))
        self.n_features = design.n_features

    def __call__(self, w, bw, wGw):
        """Probable error of the gap computed from Gram summaries (``b.w``, ``w.G w``; ``b``
        from a product with the data, ``G`` with the Gram matrix's own error scale)."""
        absw = np.abs(w)
        cw, gw = float(self.scale @ absw), float(self.gram_scale @ absw)
        rtr = _ROUNDING * self.n_features * (self.yty + 2.0 * abs(bw) + abs(wGw))
        rtr += self.gamma * (gw * gw + 2.0 * self.yt_norm * cw)
        xtr = self.gamma * (self.top * self.yt_norm + self.gram_top * gw)
        return 0.5 * rtr + float(absw.sum()) * xtr

    def entry(self, w, RtR):
        """Probable error of the entries of ``Xt^T R`` computed from products with the data
        at ``w``: ``R`` is accurate to about ``4 eps c.|w|``, the entry ``j`` to ``c_j`` times
        that plus ``gamma c_j |R|``."""
        dR = _ROUNDING * float(self.scale @ np.abs(w))
        return self.top * (self.gamma * np.sqrt(max(RtR, 0.0)) + dR), dR

    def objective(self, w, RtR, value):
        """Probable error of the objective ``value`` at ``w`` computed from the data."""
        _, dR = self.entry(w, RtR)
        return _ROUNDING * (self.yty + abs(value)) + (np.sqrt(max(RtR, 0.0)) + dR) * dR

    def explicit(self, w, XtR, RtR, l1, l2):
        """Probable error of the gap computed from products with the data at ``w``."""
        entry, dR = self.entry(w, RtR)
        R_norm = np.sqrt(max(RtR, 0.0))
        error = float(np.abs(w).sum()) * entry + 3.0 * (R_norm + self.yt_norm) * dR
        if l1 == 0 and l2 > 0:  # formulation B: ||Xt^T R||^2 / (2 l2)
            error += float(np.linalg.norm(XtR)) * entry * np.sqrt(self.n_features) / l2
        return error


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

    gram_error = _GramError(design, yty)

    def summaries(w, exact=False, Gw=None):
        S = np.flatnonzero(w)
        if design.full_gram is not None and not exact:
            # (``Gw``: the product when the subproblem already computed it)
            wS = w[S]
            if Gw is None:
                # one product with the whole matrix beats gathering the support's columns
                Gw = design.full_gram @ w if 4 * S.size >= n_features else None
            GwS = design.full_gram[:, S] @ wS if Gw is None else Gw
            XtR = Xty - GwS
            bw = float(Xty[S] @ wS)
            wGw = float(wS @ GwS[S])
            RtR = yty - 2.0 * bw + wGw
            Rty = yty - bw
            if gram_error(w, bw, wGw) > _RELIABLE * tol_abs:
                return summaries(w, exact=True)
            return XtR, RtR, Rty
        R = yt - design.matvec(w[S], S)
        return design.rmatvec(R), float(R @ R), float(R @ yt)

    def evaluate(w, known=None, Gw=None):
        XtR, RtR, Rty = summaries(w, Gw=Gw) if known is None else known
        # rounding error of Xt^T R, but never more than a tenth of l1: beyond that the gap
        # is left to fail (and the fit to warn) rather than certify a different problem
        return duality_gap(XtR, RtR, Rty, w, l1, l2, positive), (XtR, RtR, Rty)

    def verified(w, evaluation):
        """The evaluation redone from explicitly centred columns where the rounding of the
        products could decide the stopping rule (large offsets, tight tolerances): the
        residual from the support's columns, and ``Xt^T R`` for the support and for every
        feature whose dual constraint the rounding could make active."""
        gap, (XtR, RtR, _) = evaluation
        error = gram_error.explicit(w, XtR, RtR, l1, l2)
        if error <= _RELIABLE * tol_abs or gap > tol_abs + error:
            return evaluation  # accurate enough, or above the tolerance whatever the rounding
        S = np.flatnonzero(w)
        R = yt - design.centred_matvec(w[S], S)
        if l1 > 0 and design.n_samples * n_features > _VERIFY_ALL_ENTRIES:
            margin = 2.0 * gram_error.entry(w, RtR)[0]
            J = np.union1d(S, np.flatnonzero(np.abs(XtR - l2 * w) >= l1 - margin))
        else:  # every entry (formulation B: they all count)
            J = np.arange(n_features)
        XtR = XtR.copy()
        XtR[J] = design.centred_rmatvec(R, J)
        return evaluate(w, (XtR, float(R @ R), float(R @ yt)))

    n_iter = 0
    n_epochs = 0
    best_gap, stalled = np.inf, 0
    best = None  # (objective, w, evaluation) of the best point seen: never returned worse
    careful = False  # set once a subproblem raised the objective: plain coordinate descent
    ws_min = 0
    prev_ws_size = _P0
    prev_gap = np.inf
    gap = np.inf
    Gw = None  # G @ w from the last subproblem on the full Gram matrix
    for n_iter in range(1, max_iter + 1):
        evaluation = evaluate(w, summaries0 if n_iter == 1 else None, Gw)
        value = primal_objective(evaluation[1][1], w, l1, l2)
        noise = gram_error.objective(w, evaluation[1][1], value)
        if best is not None and value > best[0] + best[3] + noise:
            # the last subproblem raised the objective (rounding in a nearly singular
            # system): back to the best point, and no more extrapolation or exact finish
            value, w, evaluation, noise = best[0], best[1].copy(), best[2], best[3]
            careful, Gw = True, None
        if best is None or value <= best[0]:
            best = (value, w.copy(), evaluation, noise)
        gap, state = evaluation
        XtR = state[0]
        if n_iter >= min_iter or gap <= 0.0:
            gap, state = evaluation = verified(w, evaluation)
            XtR = state[0]
            if gap <= tol_abs:
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
        bw = yty - state[2]
        floor = gram_error(w, bw, state[1] - yty + 2.0 * bw) if stalled else 0.0
        if (
            _RELIABLE * tol_in < floor
            and gap < _POLISH_RANGE * floor
            and design.n_samples * ws.size <= _MAX_RESIDUAL_ENTRIES
        ):
            # no progress, the gap near the rounding level of Gram-based summaries and the
            # tolerance below it (a tolerance near the limits of double precision, or products
            # that lose digits to large offsets): coordinate descent on the working set's
            # explicitly centred columns and residual polishes the last digits
            w_ws, epochs = _residual_cd(
                design.centred_columns(ws), yt, w[ws], l1, l2, positive, tol_in, rng
            )
            n_epochs += epochs
            w[ws] = w_ws
            Gw = None
            continue
        if design.full_gram is None or 4 * ws.size < n_features:
            G = design.gram(ws)  # (may form the full Gram matrix)
        if design.full_gram is not None and 4 * ws.size >= n_features:
            # the full Gram matrix itself, no block copy; its support factorization persists
            # from one subproblem (and one alpha of a path) to the next
            G, w_in, coords = design.full_gram, w, ws
            system = design.support_system
            if system is None or system.G is not G or system.l2 != l2:
                system = design.support_system = _SupportSystem(G, l2)
        else:
            w_in, coords, system = w[ws], None, None
        b = Xty if coords is not None else Xty[ws]
        w_ws, epochs, q = _gram_cd(
            G,
            b,
            w_in,
            yty,
            l1,
            l2,
            positive,
            tol_in,
            rng,
            finish_first=warm and n_epochs == 0,
            coords=coords,
            system=system,
            careful=careful,
        )
        n_epochs += epochs
        w[ws] = w_ws
        Gw = q if coords is not None else None
    else:
        # max_iter subproblems solved without a certificate yet: certify the last iterate,
        # unless it is worse than the best one seen
        gap, state = evaluate(w)
        if primal_objective(state[1], w, l1, l2) > best[0]:
            w, (gap, state) = best[1], best[2]
    return CDResult(
        w=w, gap=gap, tol_abs=tol_abs, n_iter=n_iter, n_epochs=n_epochs, summaries=state
    )


def _residual_cd(C, yt, w, l1, l2, positive, tol_in, rng=None):
    """Coordinate descent on the columns ``C`` (dense, centred) with an explicit residual.

    scikit-learn's algorithm on a working set: each update costs two passes over a column
    (``O(n_samples)``), but every quantity comes from the data rather than from a Gram
    matrix, so the subproblem's gap can certify tolerances below the Gram matrix's rounding
    level. Returns the new ``w`` and the number of epochs.
    """
    k = C.shape[1]
    C = np.asfortranarray(C)
    w = np.array(w, dtype=np.float64)
    R = yt - C @ w
    norms2 = np.einsum("ij,ij->j", C, C)
    cols = [C[:, i] for i in range(k)]
    inv = [1.0 / v if v > 0 else 0.0 for v in norms2.tolist()]
    thr = [l1 * v for v in inv]
    den = [1.0 + l2 * v for v in inv]
    wl = w.tolist()
    ddot, daxpy = blas.ddot, blas.daxpy
    epoch = 0
    for epoch in range(1, _MAX_EPOCHS + 1):
        order = range(k) if rng is None else rng.permutation(k).tolist()
        for i in order:
            if not inv[i]:
                continue  # a zero column never moves from zero
            wi = wl[i]
            z = wi + ddot(cols[i], R) * inv[i]
            new = (max(z - thr[i], 0.0) if positive else soft_threshold(z, thr[i])) / den[i]
            if new != wi:
                daxpy(cols[i], R, a=wi - new)
                wl[i] = new
        w = np.array(wl)
        gap = duality_gap(C.T @ R, float(R @ R), float(R @ yt), w, l1, l2, positive)
        if gap <= tol_in:
            break
    return w, epoch


def _subproblem_gap(b, q, w, yty, l1, l2, positive):
    """Duality gap of the working-set problem from its Gram summaries (``q = G w``)."""
    bw = float(b @ w)
    RtR = yty - 2.0 * bw + float(w @ q)
    return duality_gap(b - q, RtR, yty - bw, w, l1, l2, positive)


def _subproblem_primal(b, q, w, yty, l1, l2):
    """Objective of the working-set problem (``q = G w``), including the constant."""
    return primal_objective(yty - 2.0 * float(b @ w) + float(w @ q), w, l1, l2)


def _gram_objective_error(b, root_diag, w, yty):
    """Probable rounding error of ``_subproblem_primal`` at ``w`` (``root_diag``: square
    roots of the diagonal of ``G``).

    ``w^T G w`` is a sum of ``k^2`` terms each at most ``|w_i| |w_j| sqrt(G_ii G_jj)`` (``G``
    is positive semi-definite); their sum can cancel to nothing (``w`` along a near-null
    direction of a singular block, as when ``k`` exceeds ``n_samples``) while the rounding
    error stays of order ``eps sqrt(k) (sum_i |w_i| sqrt(G_ii))^2`` (``sqrt(k)``: rounding
    errors of a blocked sum add up like a random walk; the worst case, ``k``, would refuse
    genuine progress at tight tolerances). An objective decrease below this bound is
    rounding noise, not progress.
    """
    scaled = float(np.abs(w) @ root_diag)
    terms = yty + 2.0 * float(np.abs(b) @ np.abs(w)) + scaled * scaled
    return _ROUNDING * np.sqrt(w.size) * terms


def _penalty_value(w, l1, l2):
    """``l1 ||w||_1 + l2/2 ||w||^2``: a lower bound on the objective at ``w`` that needs no
    product with ``G`` (the data-fit term is a non-negative square)."""
    return l1 * float(np.abs(w).sum()) + 0.5 * l2 * float(w @ w)


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
    finish_first=False,
    coords=None,
    system=None,
    careful=False,
):
    """Coordinate descent on ``1/2 w^T G w - b^T w + l1 |w|_1 + l2/2 |w|^2`` (+ const).

    Only the coordinates ``coords`` (default: all) move; ``w`` must be zero elsewhere, so
    that ``G`` may be the Gram matrix of more features than the working set (the full one,
    without a block copy). Every epoch ends with the subproblem's duality gap (``O(k)``);
    every ``_ANDERSON_K`` epochs the iterates are extrapolated (Anderson); once the signs are
    stable, the subproblem is solved exactly by a feature-sign search from the support
    (``_solve_on_support``, on the factorization ``system`` when one is passed in to be
    kept). Both are accepted only if they lower the objective. With ``finish_first`` (a warm
    start, e.g. the previous ``alpha`` of a path, whose support and signs are usually nearly
    right), the search is tried before the first epoch. With ``careful``, neither is tried
    (plain coordinate descent: every update lowers the objective). Returns the new
    ``w[coords]``, the number of epochs run and ``G[:, coords] @ w[coords]`` (None when it
    was accumulated by coordinate updates rather than computed).
    """
    m = b.shape[0]
    whole = coords is None
    coords = np.arange(m) if whole else np.asarray(coords, dtype=np.intp)
    k = coords.size
    system = _SupportSystem(G, l2) if system is None else system
    w_full = np.array(w, dtype=np.float64)
    w = w_full[coords]
    bc = b[coords]

    def prod(wc):
        """``G[:, coords] @ wc`` (length ``m``)."""
        if whole:
            return G @ wc
        v = np.zeros(m)
        v[coords] = wc
        return G @ v

    def gap_of(wc, q):
        return _subproblem_gap(bc, q[coords], wc, yty, l1, l2, positive)

    root_diag = np.sqrt(np.maximum(G[coords, coords], 0.0))

    def primal_of(wc, q):
        """The objective at ``wc`` and its probable rounding error."""
        value = _subproblem_primal(bc, q[coords], wc, yty, l1, l2)
        return value, _gram_objective_error(bc, root_diag, wc, yty)

    def lower(new, wc_new, old):
        """Whether the objective ``new`` (at ``wc_new``) is lower than ``old``, beyond the
        rounding error of both (and, exactly, its penalty part alone is not above ``old``)."""
        if _penalty_value(wc_new, l1, l2) > old[0] + old[1]:
            return False
        return new[0] + new[1] + old[1] < old[0]

    def finish(wc, ceiling):
        """The feature-sign search from the support and signs of ``wc`` (None: no gain)."""
        full = np.zeros(m)
        full[coords] = wc
        out = _solve_on_support(
            G,
            b,
            full,
            coords[np.flatnonzero(wc)],
            l1,
            l2,
            system=system,
            coords=coords,
            positive=positive,
            ceiling=ceiling,
        )
        return None if out is None else out[coords]

    q = prod(w)
    wl = w.tolist()
    history = []
    last_tried = prev_signature = None
    support = np.flatnonzero(w)
    if finish_first and support.size and not careful:
        cost = system.cost(coords[support])
        if _finish_pays(k, m, cost, _TYPICAL_EPOCHS):
            last_tried = (support.tobytes(), np.signbit(w[support]).tobytes())
            current = primal_of(w, q)
            w_new = finish(w, sum(current))
            if w_new is not None:
                q_new = prod(w_new)
                if lower(primal_of(w_new, q_new), w_new, current):
                    w, q, wl = w_new, q_new, w_new.tolist()
                    # often already optimal for the whole working set: no epoch needed
                    if gap_of(w, q) <= tol_in:
                        return w, 0, q
    diag = G[coords, coords].astype(np.float64)
    diag[~(diag > 0)] = np.inf  # a zero column never moves from zero
    cols = [G[:, j] for j in coords.tolist()]  # contiguous (G is Fortran-ordered)
    rows = coords.tolist()
    inv = (1.0 / diag).tolist()
    thr = (l1 / diag).tolist()
    den = (1.0 + l2 / diag).tolist()
    bl = bc.tolist()
    daxpy = blas.daxpy
    prev_gap = np.inf
    epoch = 0
    fresh = True  # q is a product, not updates accumulated by daxpy
    for epoch in range(1, max_epochs + 1):
        order = range(k) if rng is None else rng.permutation(k).tolist()
        for i in order:
            wi = wl[i]
            z = wi - (q.item(rows[i]) - bl[i]) * inv[i]
            if positive:
                new = max(z - thr[i], 0.0) / den[i]
            else:
                new = soft_threshold(z, thr[i]) / den[i]
            if new != wi:
                daxpy(cols[i], q, a=new - wi)
                wl[i] = new
                fresh = False
        w = np.array(wl)
        gap = gap_of(w, q)
        if gap <= tol_in:
            break
        # epochs still needed at the rate just observed (unknown after the first)
        rate = gap / prev_gap if np.isfinite(prev_gap) and prev_gap > 0 else 1.0
        if 0.0 < rate < 1.0 and tol_in > 0.0:
            epochs_left = np.log(tol_in / gap) / np.log(rate)
        else:
            epochs_left = np.inf
        prev_gap = gap
        if careful:
            continue
        candidates = []
        history.append(w)
        if len(history) == _ANDERSON_K + 1:
            candidates.append(_anderson(history, positive))
            history = []
        # exact finish: with the signs identified, solve the subproblem from the support
        support = np.flatnonzero(w)
        signature = (support.tobytes(), np.signbit(w[support]).tobytes())
        stable = signature == prev_signature and signature != last_tried
        best = None
        if (
            stable
            and support.size
            and _finish_pays(k, m, system.cost(coords[support]), epochs_left)
        ):
            last_tried = signature
            best = primal_of(w, q)
            candidates.append(finish(w, sum(best)))
        prev_signature = signature
        candidates = [c for c in candidates if c is not None]
        if candidates:
            best = primal_of(w, q) if best is None else best
            accepted = False
            for w_new in candidates:
                q_new = prod(w_new)
                value = primal_of(w_new, q_new)
                if lower(value, w_new, best):
                    best, w, q, accepted = value, w_new, q_new, True
                    fresh = True
            if accepted:
                # no stop here: the next sweep re-thresholds (an extrapolated point is not
                # sparse) and certifies
                wl = w.tolist()
    return w, epoch, q if fresh else None


def _finish_pays(k, length, flops, epochs_left):
    """Whether an exact finish costing ``flops`` costs less than the sweeps over ``k``
    coordinates (``daxpy`` of ``length``) it would save, in units of one coordinate update
    (about 1.5 us): a sweep costs ``k`` of them plus its ``daxpy`` work, the finish its flops
    at about 20 GFlop/s plus a fixed overhead."""
    sweep = k * (1.0 + length / _AXPY_PER_UNIT)
    finish = _FINISH_OVERHEAD + flops / _FLOPS_PER_UNIT
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


def _solve_on_support(
    G,
    b,
    w,
    support,
    l1,
    l2,
    max_rounds=None,
    *,
    system=None,
    coords=None,
    positive=False,
    ceiling=np.inf,
):
    """Exact finish by feature-sign search, starting from the support and signs of ``w``.

    Each round solves the smooth problem on the current support ``S`` with its signs held
    fixed, ``(G_SS + l2 I) u = b_S - l1 sign_S``. If ``u`` keeps the signs it is the exact
    solution of the problem restricted to ``S``. Otherwise the objective is evaluated at
    ``u``, at every point of the segment ``[w_S, u]`` where a coefficient reaches zero, and
    at ``u`` with every sign-changing coefficient set to zero; the best one becomes the next
    starting point (coefficients at zero leave the support).

    With ``coords`` (the working set), a sign-consistent solution is checked against the
    optimality conditions of the other coordinates of ``coords``: the worst violators
    (``|b_j - (G w)_j| > l1``; one-sided when ``positive``) join the support with the
    sign of their gradient and the search goes on, so that it ends on the exact solution of
    the whole working-set problem. Several violators may join at once; if that round cannot
    lower the objective, only the worst one joins (one always can). Without ``coords`` the
    supports only shrink.

    ``ceiling`` is the objective at ``w`` (with its rounding error): a point whose penalty
    alone exceeds what the objective has come down to cannot be better, whatever the
    (rounded) data-fit term says. Such points arise from nearly singular systems (supports
    larger than ``n_samples``, duplicated columns), whose solution runs off along a
    near-null direction; they are never taken.

    Every round lowers the objective by more than its rounding error, so the search ends; it
    stops after ``max_rounds`` rounds (default: ``_NEWTON_ROUNDS``, twice that with
    ``coords``). The solves share one factorization (``system``, a ``_SupportSystem`` of
    ``G`` and ``l2``; a new one by default). Returns the new ``w`` (all coordinates of ``G``)
    or None when nothing was gained or the first system cannot be solved.
    """
    if max_rounds is None:
        max_rounds = _NEWTON_ROUNDS if coords is None else 2 * _NEWTON_ROUNDS
    system = _SupportSystem(G, l2) if system is None else system
    w_new = np.array(w, dtype=np.float64)
    S = np.asarray(support, dtype=np.intp)
    sign = np.sign(w_new[S])
    improved = False
    joined = 0  # features that joined in the last round (0: none)
    fallback = None  # (S, sign, the worst violator, its sign): the retry after a failed join
    eps = np.finfo(np.float64).eps

    def join(Gw):
        """Let the worst violators of the working set join ``S`` (False: there are none)."""
        nonlocal S, sign, joined, fallback
        grad = (b - Gw)[coords]
        if l2:
            grad -= l2 * w_new[coords]
        excess = (grad if positive else np.abs(grad)) - l1
        excess[w_new[coords] != 0.0] = 0.0
        violators = np.flatnonzero(excess > 0.0)
        if violators.size == 0:
            return False
        n_join = min(violators.size, max(4, S.size // 4))
        if n_join < violators.size:
            violators = violators[np.argpartition(-excess[violators], n_join - 1)[:n_join]]
        worst = violators[np.argmax(excess[violators])]
        fallback = (S, sign, coords[worst], np.sign(grad[worst]))
        S = np.concatenate([S, coords[violators]])
        sign = np.concatenate([sign, np.sign(grad[violators])])
        joined = violators.size
        return True

    def penalty(P):  # l1 |P|_1 + l2/2 |P|^2 of each column
        return l1 * np.abs(P).sum(axis=0) + 0.5 * l2 * (P * P).sum(axis=0)

    for _ in range(max_rounds):
        w_S = w_new[S]
        u = system.solve(S, b[S] - l1 * sign) if S.size else np.zeros(0)
        if u is None:
            break
        crossed = np.flatnonzero(np.sign(u) != sign)
        step = None if system.exact else _null_step(system, S, w_S, sign, b[S], l1)
        if step is not None:
            # a (nearly) singular system, e.g. more features than samples: u runs off along
            # a near-null direction, where the data fit stays and the l1 norm goes down to
            # a breakpoint; there one feature leaves
            P, change = step
            w_new[S] = P
            ceiling += change
            improved = True
            keep = P != 0.0
            S, sign, joined = S[keep], sign[keep], 0
            continue
        if crossed.size == 0:
            if penalty(u[:, None])[0] > ceiling:
                break  # rounding: not the solution
            # (the objective at u is not above the one at w_S: the caller checks it)
            w_new[S] = u
            improved = improved or joined > 0 or not np.array_equal(u, w_S)
            # done, unless other coordinates of the working set violate optimality
            if coords is None or not join(G @ w_new):
                break
            continue
        # candidates: u, the breakpoints where a crossing coefficient is exactly zero (along
        # w_S + t d the smooth part changes by c1 t + c2 t^2 / 2), and u with every crossing
        # coefficient set to zero (all of them leave at once, where the breakpoints would
        # let one leave per round)
        d = u - w_S
        grad_S = system.matvec(S, w_S) - b[S]
        c1 = float(grad_S @ d)
        c2 = float(d @ system.matvec(S, d))
        # a crossing coefficient reaches zero at t = w / (w - u); both are zero for a feature
        # that just joined and whose solution is exactly zero: it is zero at u itself (t = 1)
        num, den = w_S[crossed], w_S[crossed] - u[crossed]
        t = np.append(np.divide(num, den, out=np.ones_like(num), where=den != 0.0), 1.0)
        P = w_S[:, None] + d[:, None] * t
        P[crossed, np.arange(crossed.size)] = 0.0
        step = np.where(np.sign(u) == sign, u, 0.0) - w_S
        P = np.column_stack([P, w_S + step])
        smooth = c1 * t + 0.5 * c2 * t * t
        c2_step = float(step @ system.matvec(S, step))
        smooth = np.append(smooth, grad_S @ step + 0.5 * c2_step)
        norm1 = np.abs(P).sum(axis=0)
        change = smooth + l1 * (norm1 - np.abs(w_S).sum())
        if positive:  # past its breakpoint a coefficient is negative: not a candidate
            change[np.any(P < 0.0, axis=0)] = np.inf
        change[penalty(P) > ceiling] = np.inf  # cannot be better than w_S
        # a decrease at the level of its own rounding error would let the search cycle: the
        # error of c1 t + c2 t^2 / 2 (c2 a sum of |S|^2 terms that may cancel) and of the norms
        root = np.sqrt(np.maximum(system.diag(S), 0.0))
        spread = np.append(float(np.abs(d) @ root) ** 2 * t * t, float(np.abs(step) @ root) ** 2)
        scale = np.append(abs(c1) * t + 0.5 * abs(c2) * t * t, abs(c1) + abs(c2_step))
        noise = 64.0 * eps * (scale + np.sqrt(S.size) * spread + l1 * (norm1 + np.abs(w_S).sum()))
        change[~(change < -noise)] = np.inf
        best = int(np.argmin(change))
        if not np.isfinite(change[best]):
            if joined > 1:
                # several joined at once and no step lowers the objective: the worst alone
                S, sign, j, s_j = fallback
                S, sign = np.append(S, j), np.append(sign, s_j)
                joined = 1
                continue
            break
        joined = 0
        w_new[S] = P[:, best]
        ceiling += change[best]
        improved = True
        keep = P[:, best] != 0.0
        S, sign = S[keep], np.sign(P[keep, best])
    return w_new if improved else None


def _null_step(system, S, w_S, sign, b_S, l1):
    """From ``w_S`` along the near-null direction of a singular support system that lowers
    ``l1 |w|_1`` most, to the first coefficient that reaches zero: ``(point, objective
    change)``, or None (a regular system, no decrease beyond rounding).

    ``(A + jitter I)^{-1} sign`` is dominated by the null space of ``A = G_SS + l2 I`` (inverse
    iteration), where the data fit does not change; along ``d = -(A + jitter I)^{-1} sign``
    the l1 term decreases at rate ``l1 sign.d < 0`` until a coefficient reaches zero.
    """
    z = system.null_direction(S, sign)
    if z is None:
        return None
    d = -z
    shrinking = np.flatnonzero(w_S * d < 0.0)
    if shrinking.size == 0:
        return None
    ratios = -w_S[shrinking] / d[shrinking]
    first = int(np.argmin(ratios))
    t = float(ratios[first])
    P = w_S + t * d
    P[shrinking[first]] = 0.0
    grad = system.matvec(S, w_S) - b_S
    quad = float(d @ system.matvec(S, d))
    change = t * float(grad @ d) + 0.5 * t * t * quad + l1 * (np.abs(P).sum() - np.abs(w_S).sum())
    root = np.sqrt(np.maximum(system.diag(S), 0.0))
    eps = np.finfo(np.float64).eps
    noise = (
        64.0
        * eps
        * (
            t * abs(float(grad @ d))
            + t * t * (abs(quad) + np.sqrt(S.size) * float(np.abs(d) @ root) ** 2)
            + l1 * (np.abs(P).sum() + np.abs(w_S).sum())
        )
    )
    return (P, change) if change < -noise else None


class _SupportSystem:
    """Solves ``(G_SS + l2 I) u = r`` for supports ``S``, sharing one Cholesky factorization.

    The factorized set ``B`` (``base``) changes as little as possible:

    * features of ``S`` outside ``B`` are **appended** to the factor (a block triangular
      solve and the factorization of the small Schur complement, ``O(|B|^2 m)`` for ``m`` new
      features instead of ``O(|B|^3)``);
    * for the features ``D`` of ``B`` not in ``S`` the solution is the one of the ``B``
      system constrained to ``u_D = 0``: with ``Z = A_B^{-1} E_D``,
      ``u = x - Z (Z_D)^{-1} x_D`` where ``x = A_B^{-1} r`` (``r`` zero on ``D``), costing
      ``|D| + 1`` triangular solve pairs instead of a new factorization.

    ``S`` is factorized afresh beyond ``max(16, |B| / 8)`` removed features, when more than a
    third of ``S`` is new, or when the factor is nearly singular (its diagonal spans more
    than ``_SCHUR_MAX_RATIO``: updates would lose digits). The factor lives in the upper
    triangle of a square buffer whose unused part is the identity, so a solve with the
    whole buffer needs no copy (the padding solves to zero) and an append writes in place.
    Kept by the caller, one object serves every subproblem of a fit and every ``alpha`` of
    a path with the same ``G`` and ``l2``.
    """

    def __init__(self, G, l2):
        self.G = G
        self.l2 = l2
        self.pos = np.full(G.shape[0], -1, dtype=np.intp)
        self.base = np.zeros(0, dtype=np.intp)
        self.buf = np.zeros((0, 0), order="F")
        self.exact = False
        #: the last factorization needed a jitter: the block ``S`` is (numerically) singular
        self.jittered = False

    def _block(self, a, b):
        return self.G[np.ix_(a, b)]

    def _reset(self, S, factor, exact):
        """Make ``factor`` (upper, of ``S``) the one in use, in a buffer with spare room."""
        k = S.size
        cap = min(self.G.shape[0], max(k + k // 2, 32))
        self.buf = np.eye(cap, order="F")
        self.buf[:k, :k] = np.triu(factor)
        self.pos[self.base] = -1
        self.base = S.copy()
        self.pos[S] = np.arange(k)
        self.exact = exact

    def _well_conditioned(self, diag):
        diag = np.abs(diag)
        return bool(diag.min() * _SCHUR_MAX_RATIO > diag.max())

    def _factorize(self, S):
        A = self._block(S, S)
        if self.l2:
            A[np.diag_indices_from(A)] += self.l2
        # LAPACK directly (upper Cholesky factor): these systems are often small, and the
        # checking wrappers would cost more than the factorization
        factor, info = lapack.dpotrf(A, lower=False, clean=False)
        exact = info == 0
        self.jittered = not exact
        if not exact:
            # (numerically) singular block, e.g. collinear columns: a tiny ridge still gives a
            # descent direction, and the caller keeps the result only if the objective decreases
            jitter = 1e-10 * float(np.mean(np.diag(A))) + np.finfo(float).tiny
            factor, info = lapack.dpotrf(A + jitter * np.eye(S.size), lower=False, clean=False)
            if info != 0 or not np.all(np.isfinite(np.diag(factor))):
                self.pos[self.base] = -1
                self.base = np.zeros(0, dtype=np.intp)
                self.exact = False
                return False
        self._reset(S, factor, exact and self._well_conditioned(np.diag(factor)))
        return True

    def _append(self, T):
        """Append the features ``T`` to the factor (False: they would make it ill-conditioned,
        or a factorization failed; the factor is then unchanged)."""
        k, m = self.base.size, T.size
        cap = self.buf.shape[0]
        rhs = np.zeros((cap, m), order="F")
        rhs[:k] = self._block(self.base, T)
        Z = self._trsm(rhs)  # R^T Z = G_BT
        if Z is None:
            return False
        Z = Z[:k]
        C = self._block(T, T) - Z.T @ Z
        if self.l2:
            C[np.diag_indices_from(C)] += self.l2
        factor, info = lapack.dpotrf(C, lower=False, clean=True)
        if info != 0:
            return False
        diag = np.concatenate([np.diag(self.buf)[:k], np.diag(factor)])
        if not (np.all(np.isfinite(factor)) and self._well_conditioned(diag)):
            return False
        if k + m > cap:  # more room, copied once
            old = self.buf
            new_cap = min(self.G.shape[0], max(k + m + (k + m) // 2, 32))
            self.buf = np.eye(new_cap, order="F")
            self.buf[:k, :k] = old[:k, :k]
        self.buf[:k, k : k + m] = Z
        self.buf[k : k + m, k : k + m] = factor
        self.pos[T] = np.arange(k, k + m)
        self.base = np.concatenate([self.base, T])
        return True

    def _split(self, S):
        """Positions in the factor of ``S`` and of the factorized features not in ``S``."""
        pos_S = self.pos[S]
        keep = np.zeros(self.buf.shape[0], dtype=bool)
        keep[pos_S] = True
        keep[self.base.size :] = True
        return pos_S, np.flatnonzero(~keep)

    def _truncate(self, first):
        """Keep the factor of ``base[:first]`` only (the rest of the buffer: identity)."""
        k = self.base.size
        self.buf[:k, first:k] = 0.0
        self.buf[first:k, first:k] = np.eye(k - first)
        self.pos[self.base[first:]] = -1
        self.base = self.base[:first]

    def _plan(self, S):
        """``(new, n_removed)`` if ``S`` can be served by the factor after appending ``new``,
        else None (``S`` must be factorized afresh)."""
        if self.base.size == 0 or not self.exact:
            return None
        inside = self.pos[S] >= 0
        new = S[~inside]
        n_removed = self.base.size - (S.size - new.size)
        if n_removed > max(16, (self.base.size + new.size) // 8) or 3 * new.size > S.size:
            return None
        return new, n_removed

    def cost(self, S):
        """Flops of ``solve(S, r)`` (for the solvers' cost model)."""
        plan = self._plan(S)
        if plan is None:
            return S.size**3 / 3.0
        new, n_removed = plan
        cap = max(self.buf.shape[0], self.base.size + new.size)
        return cap * cap * (2.0 + n_removed + new.size) + new.size**3 / 3.0

    def solve(self, S, r):
        """``u`` on ``S``, or None if the system cannot be solved."""
        S = np.asarray(S, dtype=np.intp)
        plan = self._plan(S)
        if plan is not None and plan[0].size and not self._append(plan[0]):
            plan = None
        if plan is None and not self._factorize(S):
            return None
        pos_S, pos_D = self._split(S)
        if pos_D.size:
            first = int(pos_D.min())
            tail = np.setdiff1d(self.base[first:], self.base[pos_D], assume_unique=True)
            if tail.size <= _TAIL_PER_REMOVED * pos_D.size:
                # the removed features are among the last factorized (features that joined
                # and left again): drop them for good by refactorizing the short tail,
                # rather than constraining them in this and every later solve
                self._truncate(first)
                if tail.size and not self._append(tail) and not self._factorize(S):
                    return None
                pos_S, pos_D = self._split(S)
        rhs = np.zeros((self.buf.shape[0], 1 + pos_D.size), order="F")
        rhs[pos_S, 0] = r
        rhs[pos_D, 1 + np.arange(pos_D.size)] = 1.0
        X = self._potrs(rhs)
        if X is None:
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
        if not self.exact:  # ill-conditioned or singular block (then factorized afresh)
            u = self._refine(S, r, u)
        return u if np.all(np.isfinite(u)) else None

    def _refine(self, S, r, u):
        """Iterative refinement of a solution through the factor of an ill-conditioned or
        singular block (``S`` factorized afresh): ``u += F^{-1} (r - A u)``.

        For an ill-conditioned block it recovers the digits that the factorization lost. For
        a jittered one (``F = A + jitter I``) the error on the range of ``A`` shrinks by
        ``jitter / lambda`` per step (``lambda`` the smallest non-zero eigenvalue), so the
        stationarity residual ``jitter * u`` the jitter left is removed; a component of ``r``
        in the null space grows along it (the problem is unbounded there with these signs,
        and the feature-sign search's breakpoints take over)."""
        rhs = np.zeros((self.buf.shape[0], 1), order="F")
        for _ in range(_REFINE_STEPS):
            rhs[: S.size, 0] = r - self.matvec(S, u)
            delta = self._potrs(rhs)
            if delta is None:
                break
            u = u + delta[: S.size, 0]
        return u

    def _trsm(self, rhs):
        """``R^{-T} rhs`` with the whole buffer (None if LAPACK reports an error)."""
        if rhs.shape[1] <= _TRSV_COLUMNS:
            out = np.empty_like(rhs)
            for j in range(rhs.shape[1]):
                out[:, j] = blas.dtrsv(self.buf, rhs[:, j], trans=1)
            return out
        Z, info = lapack.dtrtrs(self.buf, rhs, lower=False, trans=1)
        return Z if info == 0 else None

    def _potrs(self, rhs):
        """``(R^T R)^{-1} rhs`` with the whole buffer (None if LAPACK reports an error)."""
        if rhs.shape[1] <= _TRSV_COLUMNS:
            # triangular solves column by column: OpenBLAS's blocked routines cost several
            # times more than two BLAS-2 solves on a few right-hand sides
            out = np.empty_like(rhs)
            for j in range(rhs.shape[1]):
                half = blas.dtrsv(self.buf, rhs[:, j], trans=1)
                out[:, j] = blas.dtrsv(self.buf, half, overwrite_x=1)
            return out
        X, info = lapack.dpotrs(self.buf, rhs, lower=False)
        return X if info == 0 else None

    def null_direction(self, S, r):
        """``F^{-1} r`` on ``S`` (scaled to unit max norm) when ``F`` is the factor of an
        ill-conditioned or singular block ``S`` (factorized afresh, with a jitter if need
        be), else None: inverse iteration, dominated by the near-null directions."""
        if self.exact or not np.array_equal(self.base, S):
            return None
        rhs = np.zeros((self.buf.shape[0], 1), order="F")
        rhs[: S.size, 0] = r
        z = self._potrs(rhs)
        if z is None:
            return None
        z = z[: S.size, 0]
        top = float(np.abs(z).max()) if z.size else 0.0
        return z / top if top > 0 and np.isfinite(top) else None

    def diag(self, S):
        """The diagonal of ``G_SS + l2 I``."""
        return self.G[S, S] + self.l2

    def matvec(self, S, v):
        """``(G_SS + l2 I) v``."""
        m = self.G.shape[0]
        if 4 * S.size >= m:  # one product with G beats gathering the block
            full = np.zeros(m)
            full[S] = v
            out = (self.G @ full)[S]
        else:
            out = self._block(S, S) @ v
        return out + self.l2 * v if self.l2 else out
