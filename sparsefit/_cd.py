"""Coordinate descent with soft-thresholding for the lasso and the elastic net.

The solver minimises the sum form (see ``_objective.py``)::

    P(w) = 1/2 ||yt - Xt w||^2 + sum_j (l1_j |w_j| + l2_j/2 w_j^2),   lower <= w <= upper

for a design (``_data.py``: dense, sparse or Gram-only) and a penalty in the solver's units
(``penalties.SeparablePenalty``): it never sees the user's ``alpha``.

Design (why it is fast in pure Python):

* **Working sets.** Each outer iteration costs one pass over all features (``Xt^T R``, or
  ``b - G w`` from the Gram matrix): it computes the duality gap (the stopping certificate)
  and ranks features by how much they violate the optimality conditions. Coordinate descent
  then runs only on a small working set: the current support plus the worst violators,
  about twice the support size.
* **Gram updates.** On a working set ``W`` of size ``k`` the subproblem is solved from
  ``G = Xt_W^T Xt_W`` and ``b = Xt_W^T yt``: a coordinate update costs one BLAS ``daxpy`` of
  length ``k``, independent of ``n_samples``, and the subproblem's own duality gap costs
  ``O(k)``. Gram blocks are cached in the workspace (``Workspace.gram``); for dense X whose
  working sets span nearly all features, or that is tall and narrow, the full Gram matrix is
  formed once and the gap evaluations use it too.
* **Anderson extrapolation.** Every few epochs the last iterates of a subproblem are
  extrapolated; the result is kept only if it lowers the subproblem's objective.
* **Exact finish** (``_finish.py``). Once the signs of the support are stable, a
  feature-sign search solves the working-set problem exactly on one Cholesky factorization
  that grows by appends and shrinks by constrained solves (``_support.py``); on the full
  Gram matrix it persists between subproblems and along a path.
* **Never a worse point.** Every candidate (extrapolation, exact finish) is kept only if it
  lowers the objective by more than the rounding error of its evaluation; the outer loop
  returns to its best point if a subproblem ever raised the objective.
* **Certificates below the Gram matrix's rounding.** When the tolerance asks for more digits
  than Gram-based summaries hold (tight ``tol``, heavy offsets), a stalled fit polishes with
  explicit residuals on centred columns (``_residual_cd``), and the stopping rule is verified
  from centred columns.

Stopping rule (scikit-learn's): ``gap <= tol_abs`` (``tol * ||yt||^2``); a second rule stops
the fit when ``STALL_ITERATIONS`` outer iterations in a row did not halve the gap (rounding,
not the budget, then limits what the gap can certify).

Numeric core: imports NumPy and SciPy only.
"""

from dataclasses import dataclass

import numpy as np
from scipy.linalg import blas

from . import _tuning as tuning
from ._dual_newton import dual_newton_applies, dual_newton_fit
from ._finish import solve_on_support
from ._homotopy import fit_homotopy_applies, lasso_homotopy_fit
from ._objective import duality_gap, primal_objective
from ._support import SupportSystem, symmetric_product

__all__ = ["CDResult", "Rounding", "Target", "certified_gap", "enet_coordinate_descent"]


@dataclass
class CDResult:
    """What the solvers (coordinate descent and the ridge solvers) return."""

    w: np.ndarray
    gap: float
    tol_abs: float
    #: outer iterations run: coordinate descent, working-set subproblems solved (0 when the
    #: starting point met the tolerance, as scikit-learn counts); the ridge solvers, their
    #: iterations
    n_iter: int
    n_epochs: int
    #: ``(Xt^T R, R^T R, R^T yt)`` at ``w``, when the solver computed them
    summaries: tuple = None

    @property
    def converged(self):
        """Whether the returned point meets the stopping rule ``gap <= tol_abs``."""
        return bool(self.gap <= self.tol_abs)


class Target:
    """One target as the solvers need it: ``yt`` itself when the design has samples (None
    for a Gram-only design), ``Xt^T yt`` and ``||yt||^2``.

    ``Xty`` may be given as a callable: it is then computed on first use (a pass over X
    that the dual ridge solvers never need)."""

    __slots__ = ("yt", "_Xty", "yty")

    def __init__(self, yt, Xty, yty):
        self.yt, self._Xty, self.yty = yt, Xty, yty

    @property
    def Xty(self):
        if callable(self._Xty):
            self._Xty = np.asarray(self._Xty(), dtype=np.float64)
        return self._Xty

    @classmethod
    def of(cls, design, yt, Xty=None):
        yt = np.asarray(yt, dtype=np.float64)
        Xty = design.rmatvec(yt) if Xty is None else np.asarray(Xty, dtype=np.float64)
        return cls(yt, Xty, float(yt @ yt))


def enet_coordinate_descent(
    workspace,
    target,
    penalty,
    *,
    tol_abs,
    max_iter=1000,
    w0=None,
    rng=None,
    min_iter=1,
    summaries0=None,
    finish_warm=True,
):
    """Solve the (sum-form) elastic net by working-set coordinate descent.

    Parameters
    ----------
    workspace : Workspace
        The design and the fit's Gram cache (``_data.Workspace``).
    target : Target
    penalty : SeparablePenalty
        In the solver's units.
    tol_abs : float
        Stop when the duality gap is at most ``tol_abs``.
    max_iter : int
        Maximum number of outer (working-set) iterations.
    w0 : ndarray of shape (n_features,), optional
        Starting point (warm start), projected onto the bounds.
    rng : numpy random generator or RandomState, optional
        If given, coordinates are visited in a random order each epoch.
    min_iter : int
        Evaluations of the gap before one may stop the fit (1: the starting point may already
        meet the tolerance; 2: at least one subproblem is solved, as along a path, where the
        previous solution often meets a loose tolerance at the next ``alpha``).
    summaries0 : tuple, optional
        ``(Xt^T R, R^T R, R^T yt)`` at ``w0`` (they do not depend on the penalty): along a
        path, the previous solve's ``CDResult.summaries`` save the first evaluation.
    finish_warm : bool
        Whether the first subproblem from ``w0`` tries the exact finish before coordinate
        descent: a previous solution along a path usually has the right support; a point
        the batched search of several targets (``_batched``) stopped at, often far from
        the solution, does not (measured: 10 targets of 3000 x 1000 data with supports of
        about 620, stopped at about 155, 1.65 against 1.30 s).

    Returns
    -------
    CDResult
    """
    options = dict(
        tol_abs=tol_abs, max_iter=max_iter, w0=w0, rng=rng, min_iter=min_iter, warm=finish_warm
    )
    result = _descend(workspace, target, penalty, summaries0=summaries0, **options)
    if result is None:  # single-precision blocks cannot serve this design: afresh without
        result = _descend(workspace, target, penalty, summaries0=summaries0, **options)
    return result


def _descend(
    workspace, target, penalty, *, tol_abs, max_iter, w0, rng, min_iter, summaries0, warm
):
    """The fit of ``enet_coordinate_descent``, or None when it left single-precision
    blocks (``_Fit.double_blocks``): it is then to be redone."""
    design = workspace.design
    if workspace.full_gram is None and workspace.gram_is_cheap:
        workspace.precompute_gram()
    valid = (design.col_norms2 > 0.0) & ~penalty.excluded
    # n << p: once coordinate descent's support exceeds n (the solution's does not, in
    # general position) the exact solution by homotopy through the data takes over
    homotopy = None if w0 is None and fit_homotopy_applies(workspace, penalty) else False
    w = np.zeros(design.n_features) if w0 is None else np.array(w0, dtype=np.float64)
    w[~valid] = 0.0
    penalty.project(w)
    if summaries0 is not None and not (w0 is not None and np.array_equal(w, w0)):
        summaries0 = None  # they describe a point that was changed above
    fit = _Fit(workspace, target, penalty, tol_abs, valid, rng)
    fit.warm = warm and w0 is not None and bool(np.any(w))
    n_iter = 0  # subproblems solved (0: the starting point met the tolerance)
    if w0 is None and dual_newton_applies(workspace, penalty, valid, max_iter):
        # its iterations count as outer ones; a point short of the tolerance is coordinate
        # descent's warm start
        start, n_iter, state = dual_newton_fit(design, target, penalty, valid, tol_abs)
        if start is not None:
            w, summaries0 = start, state
    for iteration in range(n_iter + 1, max_iter + 1):
        evaluation = fit.evaluate_best(w, summaries0)
        summaries0 = None  # (they describe the first point only)
        if fit.restart:
            break
        w = fit.w_best if evaluation is None else w
        gap, state = evaluation if evaluation is not None else fit.best[2]
        if iteration >= min_iter or gap <= 0.0:
            gap, state = fit.verified(w, (gap, state))
            if gap <= tol_abs:
                break
        if fit.stalled_out(gap):
            if fit.double_blocks():
                break
            merged = fit.merge_parallel(w)
            if merged is None:
                break
            w = merged  # mass split over nearly parallel columns, moved onto one of them
            continue
        ws, tol_in = fit.working_set(w, gap, state)
        if ws is None:
            break  # optimal up to rounding: nothing left to improve
        fit.solve_subproblem(w, ws, tol_in, gap, state)
        if fit.restart:
            break
        n_iter = iteration
        if homotopy is None and _crowded(w, design):
            start = lasso_homotopy_fit(design, target.Xty, penalty, valid)
            homotopy = start is not None
            w = w if start is None else start  # (evaluated and certified like any point)
    else:
        # max_iter subproblems solved without a certificate yet: certify the last iterate,
        # unless it is worse than the best one seen
        gap, state = fit.evaluate(w)
        if primal_objective(state[1], w, penalty) > fit.best[0]:
            w, (gap, state) = fit.best[1], fit.best[2]
    if fit.restart:
        return None
    return CDResult(
        w=w, gap=gap, tol_abs=tol_abs, n_iter=n_iter, n_epochs=fit.n_epochs, summaries=state
    )


def _crowded(w, design):
    """Whether the support exceeds ``FIT_HOMOTOPY_SUPPORT`` times the number of samples."""
    return np.count_nonzero(w) > tuning.FIT_HOMOTOPY_SUPPORT * design.n_samples


class _Fit:
    """The state of one run of ``enet_coordinate_descent``: evaluations, the best point,
    the stall count, the working-set policy and the subproblems."""

    def __init__(self, workspace, target, penalty, tol_abs, valid, rng):
        self.workspace, self.design = workspace, workspace.design
        self.target, self.penalty, self.tol_abs = target, penalty, tol_abs
        self.valid, self.rng = valid, rng
        self.n_valid = int(valid.sum())
        norms = np.sqrt(self.design.col_norms2)
        self.inv_norms = np.divide(1.0, norms, out=np.zeros_like(norms), where=valid)
        self.errors = Rounding(self.design, target.yty)
        self.best = None  # (objective, w, evaluation, noise): never returned worse
        self.careful = False  # once a subproblem raised the objective: plain coordinate descent
        self.warm = False
        self.n_epochs = 0
        self.best_gap, self.stall_value, self.stalled = np.inf, np.inf, 0
        self.ws_min, self.prev_ws_size, self.prev_gap = 0, tuning.P0, np.inf
        self.Gw = None  # G @ w from the last subproblem on the full Gram matrix
        self.final = False  # the last working set holds every violator
        self.merged = False  # merge_parallel tried
        self.restart = False  # single-precision blocks left: the fit is to be redone

    @property
    def w_best(self):
        return self.best[1].copy()

    # -- evaluations -------------------------------------------------------------------------
    def summaries(self, w, exact=False):
        """``(Xt^T R, R^T R, R^T yt)`` at ``w``: from the full Gram matrix when there is one
        and its rounding stays well below the tolerance, else from an explicit residual."""
        G, t = self.workspace.full_gram, self.target
        if G is not None and (not exact or t.yt is None):
            S = (w != 0).nonzero()[0]
            wS = w[S]
            Gw = self.Gw
            if Gw is None:  # one product with the whole matrix beats gathering columns
                Gw = symmetric_product(G, w) if 4 * S.size >= w.size else G[:, S] @ wS
            bw = float(t.Xty[S] @ wS)
            wGw = float(wS @ Gw[S])
            XtR = t.Xty - Gw
            error = 0.0 if t.yt is None else self.errors(w, bw, wGw, XtR, self.penalty)
            if error <= tuning.RELIABLE * self.tol_abs:
                return XtR, t.yty - 2.0 * bw + wGw, t.yty - bw
        S = (w != 0).nonzero()[0]
        if not S.size:  # (the residual is yt itself)
            return t.Xty.copy(), t.yty, t.yty
        if t.yt is None:  # Gram columns on demand: those of the support
            Gw = self.design.cross_gram(np.arange(w.size), S) @ w[S]
            bw, wGw = float(t.Xty[S] @ w[S]), float(w[S] @ Gw[S])
            return t.Xty - Gw, t.yty - 2.0 * bw + wGw, t.yty - bw
        R = t.yt - self.design.matvec(w[S], S)
        return self.design.rmatvec(R), float(R @ R), float(R @ t.yt)

    def evaluate(self, w, known=None):
        """``(gap, summaries)`` at ``w`` (unpenalized features: the dual point projected)."""
        state = self.summaries(w) if known is None else known
        return self.gap(w, state), state

    def gap(self, w, state):
        return certified_gap(self.workspace, self.target, self.penalty, w, state)

    def evaluate_best(self, w, known):
        """Evaluate ``w`` and keep the best point: None (and back to the best point, with
        plain coordinate descent from then on, or double-precision blocks if it ran on
        single-precision ones) if the last subproblem raised the objective beyond rounding
        (a nearly singular system)."""
        evaluation = self.evaluate(w, known)
        RtR = evaluation[1][1]
        value = primal_objective(RtR, w, self.penalty)
        noise = self.errors.objective(w, RtR, value)
        self.Gw = None
        if self.best is not None and value > self.best[0] + self.best[3] + noise:
            # (after a subproblem on single-precision blocks: their error, not a nearly
            # singular system; the fit is redone in double precision)
            self.careful = not self.double_blocks()
            return None
        if self.best is None or value <= self.best[0]:
            self.best = (value, w.copy(), evaluation, noise)
        return evaluation

    def verified(self, w, evaluation):
        """The evaluation redone from explicitly centred columns where the rounding of the
        products could decide the stopping rule (large offsets, tight tolerances): the
        residual from the support's columns, and ``Xt^T R`` for every feature (for the
        support and the features whose dual constraint rounding could make active, when X
        is too large)."""
        gap, (XtR, RtR, _) = evaluation
        if not self.design.has_samples:
            return evaluation  # statistics only: the gap is as accurate as they are
        error = self.errors.explicit(w, XtR, RtR, self.penalty)
        if error <= tuning.RELIABLE * self.tol_abs or gap > self.tol_abs + error:
            return evaluation  # accurate enough, or above the tolerance whatever the rounding
        design, yt, pen = self.design, self.target.yt, self.penalty
        S = (w != 0).nonzero()[0]
        R = yt - design.centred_matvec(w[S], S)
        J = np.arange(design.n_features)
        if pen.formulation == "l1" and design.n_samples * J.size > tuning.VERIFY_ALL_ENTRIES:
            margin = 2.0 * self.errors.entries(w, RtR)[0]
            near = np.abs(XtR - pen.l2 * w) >= pen.l1 - margin
            J = np.union1d(S, (near | pen.unpenalized).nonzero()[0])
        XtR = XtR.copy()
        XtR[J] = design.centred_rmatvec(R, J)
        return self.evaluate(w, (XtR, float(R @ R), float(R @ yt)))

    def stalled_out(self, gap):
        """The second stopping rule: ``STALL_ITERATIONS`` outer iterations in a row without
        halving the gap or lowering the objective by ``STALL_DESCENT`` of the gap (beyond its
        rounding): rounding can keep the gap above tol under extreme conditioning; a slow but
        real descent is not a stall (measured: a positive Lasso on 8 x 54 data at 2e-6
        alpha_max needed 66 outer iterations and stopped at 12, 25% above the optimum, under
        the gap rule alone)."""
        value, noise = self.best[0], self.best[3]
        descent = max(noise, tuning.STALL_DESCENT * gap)
        if gap <= 0.5 * self.best_gap or value < self.stall_value - descent:
            self.best_gap, self.stall_value, self.stalled = min(gap, self.best_gap), value, 0
            return False
        self.stalled += 1
        return self.stalled >= tuning.STALL_ITERATIONS

    def double_blocks(self):
        """Leave single-precision Gram blocks (``Workspace.single_blocks``) when a
        subproblem on them needs too many epochs or meets a singular support, raises the
        objective, or the fit stalls: on an ill-conditioned design the refinement through
        them stops gaining, and the fit is redone in double precision from its start (its
        trajectory, not only its blocks, then the double-precision fit's: on such designs
        the solver is sensitive to it). False if they were not in use."""
        if not self.workspace.single_blocks:
            return False
        self.workspace.drop_single_blocks()
        self.restart = True
        return True

    def merge_parallel(self, w):
        """Once per fit, when it stalls: move the mass that ``w`` splits over nearly parallel
        columns of the support onto one of each pair. There the optimum puts it on one column
        (the data fit tells them apart only at the scale of their tiny difference), while
        coordinate descent moves mass between them at a rate of that difference squared and
        their support system is singular in floating point. Each move (``w_a += k w_b``,
        ``w_b = 0`` with ``x_b ~ k x_a``, in either direction) is kept when it does not
        raise the objective beyond rounding: exact twins with equal signs tie (the merge
        costs nothing and leaves a support whose system is no longer singular, where the
        exact finish then works). Returns the new point, or None (no move kept, or already
        tried)."""
        if self.merged:
            return None
        self.merged = True
        w, pen, noise = self.best[1].copy(), self.penalty, self.best[3]
        S = (w != 0).nonzero()[0]
        if S.size < 2 or S.size > tuning.MERGE_MAX_SUPPORT:
            return None
        G = self.design.cross_gram(S, S)
        d = np.sqrt(np.maximum(np.diag(G), 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = np.abs(G) / np.outer(d, d)
        a_idx, b_idx = np.nonzero(np.triu(cos > 1.0 - tuning.PARALLEL_COSINE, k=1))
        value, moved = self.best[0], False
        for a, b in zip(a_idx, b_idx, strict=True):
            trials = []  # both directions: the lower one is kept
            for keep, drop in ((a, b), (b, a)):
                j, i = S[keep], S[drop]
                if w[i] == 0.0 or w[j] == 0.0 or G[keep, keep] <= 0.0:
                    continue
                trial = w.copy()
                trial[j] += G[keep, drop] / G[keep, keep] * w[i]
                trial[i] = 0.0
                if trial[j] < pen.lower[j] or trial[j] > pen.upper[j]:
                    continue
                trials.append((primal_objective(self.summaries(trial)[1], trial, pen), trial))
            if trials:
                trial_value, trial = min(trials, key=lambda t: t[0])
                if trial_value <= min(value, self.best[0]) + noise:
                    w, value, moved = trial, min(value, trial_value), True
        if not moved:
            return None
        self.best_gap, self.stall_value, self.stalled, self.careful = np.inf, np.inf, 0, False
        return w

    # -- working sets and subproblems ----------------------------------------------------------
    def working_set(self, w, gap, state):
        """The working set (the support, unpenalized features, and the worst violators of
        the optimality conditions) and its subproblem's tolerance; ``(None, None)`` when no
        feature violates them."""
        score = self.penalty.subdiff_distance(w, -state[0]) * self.inv_norms
        support = w != 0
        score[support | self.penalty.unpenalized] = np.inf
        score[~self.valid] = 0.0
        candidates = (score > 0).nonzero()[0]
        if candidates.size == 0:
            return None, None
        if gap > 0.5 * self.prev_gap:  # slow progress: let the working set grow
            self.ws_min = min(self.n_valid, 2 * self.ws_min if self.ws_min else 2 * tuning.P0)
        if self.workspace.gram_declined and not support.any():
            # every violator at once: the fit declined the full Gram matrix for this block
            # (``_data.gram_pays_for_fit``), where growing it costs a block and a pass each
            self.ws_min = candidates.size
        self.prev_gap = gap
        nnz = int(support.sum())
        # twice the support; four times when the last subproblem filled its whole working set
        growth = 4 if nnz >= 0.9 * self.prev_ws_size else 2
        ws_size = min(self.n_valid, max(tuning.P0, growth * nnz, self.ws_min))
        self.prev_ws_size = ws_size
        self.final = candidates.size <= ws_size
        if not self.final:
            top = np.argpartition(-score[candidates], ws_size - 1)[:ws_size]
            return np.sort(candidates[top]), tuning.INNER_RATIO * gap
        # every violator is in: solving this subproblem accurately usually ends the fit
        blocks = self.workspace.single_blocks or self.workspace.gram_declined
        if blocks and ws_size > candidates.size:
            candidates = self._padded(candidates, score, state[0], ws_size)
        return candidates, min(tuning.INNER_RATIO * gap, 0.1 * self.tol_abs)

    def _padded(self, ws, score, XtR, ws_size):
        """The final working set ``ws`` with up to ``SINGLE_PAD`` of its size more features,
        those closest to violating their optimality conditions (celer's rule: ``l1_j -
        |Xt_j^T R|`` over the column's norm, smallest first): where every outer evaluation
        is a pass over X (single-precision blocks), the next iteration's new violators are
        often among them."""
        margin = (self.penalty.l1 - np.abs(XtR)) * self.inv_norms
        margin[(score != 0) | ~self.valid] = np.inf
        near = np.isfinite(margin).nonzero()[0]
        pad = min(ws_size - ws.size, near.size, int(tuning.SINGLE_PAD * ws.size))
        if pad <= 0:
            return ws
        extra = near[np.argpartition(margin[near], pad - 1)[:pad]]
        return np.sort(np.concatenate([ws, extra]))

    def solve_subproblem(self, w, ws, tol_in, gap, state):
        """Solve the working-set problem, updating ``w[ws]`` in place."""
        if self._polish(w, ws, tol_in, gap, state):
            C = self.design.centred_columns(ws)
            w_ws, epochs = _residual_cd(
                C, self.target.yt, w[ws], self.penalty.restrict(ws), tol_in, self.rng
            )
            self.n_epochs += epochs
            w[ws] = w_ws
            return
        ws_, G, coords, system = self._subproblem_gram(ws)
        b = self.target.Xty if coords is not None else self.target.Xty[ws]
        yty = self.target.yty
        single = self.workspace.single_blocks  # (then no full Gram matrix: blocks only)
        if single:
            b, yty = refined_linear_term(G, w[ws], state[0][ws], state[1])
        pen = self.penalty if coords is not None else self.penalty.restrict(ws)
        w_in = w if coords is not None else w[ws]
        sub = _GramSubproblem(G, b, w_in, yty, pen, coords, system)
        w_ws, epochs, q = sub.solve(
            tol_in,
            self.rng,
            finish_first=self.warm and self.n_epochs == 0,
            careful=self.careful,
            max_epochs=tuning.SINGLE_MAX_EPOCHS if single else None,
        )
        self.n_epochs += epochs
        if single and (epochs >= tuning.SINGLE_MAX_EPOCHS or sub.singular):
            self.double_blocks()  # an ill-conditioned block: single precision cannot serve
            return
        if self.final and not self.careful and epochs:
            w_ws, q = self._finish_final(sub, w_ws, q, epochs)
        w[ws] = w_ws
        self.Gw = q if coords is not None else None

    def _finish_final(self, sub, wc, q, epochs):
        """The exact finish from the solution ``wc`` of the final subproblem (every violator
        in the working set), tried once when it costs less than the epochs the subproblem
        ran plus the outer evaluation that follows: coordinate descent stopped as soon as
        the gap met ``tol``, its point only as accurate as that, while the solution on its
        support is exact. Returns the new ``(w[ws], q)``.

        The finish is kept if it lowers the objective beyond rounding, or, where the
        objective cannot tell the two points apart (a flat optimum: heavy L2, tight ``tol``),
        if it is not higher beyond rounding, its system was well-conditioned and it meets
        the optimality conditions better.
        """
        support = sub.coords[(wc != 0).nonzero()[0]]
        if not (support.size or sub.U.size) or sub.finished:
            return wc, q
        sweeps = epochs * _sweep_units(wc.size, sub.m)
        if _finish_units(sub.system.cost(support)) > sweeps + self._evaluation_units(support):
            return wc, q
        q = sub.prod(wc) if q is None else q
        old = sub.primal_of(wc, q)
        w_new = sub.finish(wc, sum(old))
        if w_new is None:
            return wc, q
        q_new = sub.prod(w_new)
        new = sub.primal_of(w_new, q_new)
        if sub.lower(new, w_new, old):
            return w_new, q_new
        if sub.higher(new, w_new, old) or not sub.system.exact:
            return wc, q
        if sub.violation(w_new, q_new) < sub.violation(wc, q):
            return w_new, q_new
        return wc, q

    def _evaluation_units(self, support):
        """The cost of the outer evaluation that follows a subproblem, in units of one
        coordinate update: its fixed overhead and one product with the data (``Xt^T R``), or
        with the Gram matrix's columns of the support."""
        design = self.design
        if self.workspace.full_gram is not None or not design.has_samples:
            entries = design.n_features * max(support.size, 1)
        else:
            entries = getattr(design, "nnz", design.n_samples * design.n_features)
        return tuning.EVALUATION_OVERHEAD + entries / tuning.AXPY_PER_UNIT

    def _polish(self, w, ws, tol_in, gap, state):
        """Whether to polish with explicit residuals: no progress, the gap near the rounding
        level of Gram-based summaries and the tolerance below it (a tolerance near the
        limits of double precision, or products that lose digits to large offsets)."""
        if not self.stalled or not self.design.has_samples:
            return False
        yty = self.target.yty
        bw = yty - state[2]
        floor = self.errors(w, bw, state[1] - yty + 2.0 * bw, state[0], self.penalty)
        return (
            tuning.RELIABLE * tol_in < floor
            and gap < tuning.POLISH_RANGE * floor
            and self.design.n_samples * ws.size <= tuning.MAX_RESIDUAL_ENTRIES
        )

    def _subproblem_gram(self, ws):
        """``(ws, G, coords, system)``: a Gram block of the working set, or the full Gram
        matrix itself (no block copy) when the working set covers a quarter of the features
        or more; its support factorization then persists from one subproblem (and one alpha
        of a path) to the next."""
        ws_ = self.workspace
        p = self.design.n_features
        if ws_.full_gram is None or 4 * ws.size < p:
            G = ws_.block(ws)  # (may form the full Gram matrix)
            if ws_.full_gram is None or 4 * ws.size < p:
                return ws, G, None, None
        G = ws_.full_gram
        system = ws_.support_system
        if system is None or not system.matches(G, self.penalty.l2):
            system = ws_.support_system = SupportSystem(G, self.penalty.l2)
        return ws, G, ws, system


def refined_linear_term(G, w_ws, XtR_ws, RtR):
    """``(b, ||yt||^2)`` of a working-set subproblem on an approximate Gram block ``G``
    (single precision: ``Workspace.single_blocks``), from the data's exact ``Xt_W^T R`` and
    ``||R||^2`` at the current point: ``b = Xt_W^T R + G w_W`` makes the subproblem's
    gradient there the exact one, and ``||R||^2 + 2 b^T w_W - w_W^T G w_W`` its objective
    there the exact one, so that solving it is a step of iterative refinement (with an
    exact ``G`` they are ``Xt_W^T yt`` and ``||yt||^2``, up to rounding). Each step gains
    about the digits the block holds (``1e-7`` of the columns' norms) over the conditioning
    of the support."""
    Gw = G @ w_ws
    b = XtR_ws + Gw
    return b, RtR + 2.0 * float(b @ w_ws) - float(w_ws @ Gw)


def certified_gap(workspace, target, penalty, w, state):
    """The duality gap at ``w`` from its summaries ``state = (Xt^T R, R^T R, R^T yt)``, the
    dual point projected orthogonally to the unpenalized features strictly inside their
    bounds (their constraint ``Xt_j^T theta = 0`` cannot be met by a scaling)."""
    XtR, RtR, Rty = state
    U = _to_project(w, penalty)
    if U.size == 0:
        return duality_gap(XtR, RtR, Rty, w, penalty)
    G_cols = workspace.gram_columns(U)
    return _projected_gap(XtR, RtR, Rty, w, penalty, U, G_cols, target.Xty)


def _to_project(w, penalty):
    """The unpenalized features whose dual constraint ``Xt_j^T theta = 0`` the gap must
    impose by projection: those strictly inside their bounds (at a finite bound, the
    conjugate of the box makes the constraint one-sided and finite); none for least
    squares, whose gap is the first-order condition."""
    if penalty.formulation == "ols" or not penalty.any_unpenalized:
        return np.zeros(0, dtype=np.intp)  # (least squares: the gap is ||Xt^T R||^2)
    inside = (w > penalty.lower) & (w < penalty.upper)
    return (penalty.unpenalized & inside).nonzero()[0]


def _projected_gap(XtR, RtR, Rty, w, penalty, U, G_cols, Xty):
    """The gap at the dual point ``R - Xt_U c`` orthogonal to the unpenalized columns ``U``
    (``c`` solves ``G_UU c = Xt_U^T R``), from Gram statistics: ``G_cols = Xt^T Xt_U``.

    ``duality_gap`` given the projected summaries takes ``||R - Xt_U c||^2`` for the primal's
    ``||R||^2`` too: it is then the gap of ``w + c`` on ``U`` (the unpenalized coefficients
    moved to their best values, the residual ``R - Xt_U c``), not of ``w``. The primal at
    ``w`` itself is higher by ``(||R||^2 - ||R - Xt_U c||^2) / 2 = c.Xt_U^T R - c.G_UU c /
    2``, which is added: a point whose unpenalized coefficients are off their optimum is not
    certified by the optimum's gap."""
    G_UU = G_cols[U]
    c = np.linalg.lstsq(G_UU, XtR[U], rcond=None)[0]
    XtR_p = XtR - G_cols @ c
    cXtR, cGc = float(c @ XtR[U]), float(c @ (G_UU @ c))
    RtR_p = RtR - 2.0 * cXtR + cGc
    Rty_p = Rty - float(c @ Xty[U])
    fixed = np.zeros(XtR.shape[0], dtype=bool)
    fixed[U] = True
    return duality_gap(XtR_p, RtR_p, Rty_p, w, penalty, fixed) + max(cXtR - 0.5 * cGc, 0.0)


class Rounding:
    """Probable rounding errors of the gap's summaries, from a design's error scales.

    With ``c`` the design's ``error_scale`` (``_data``), a product ``Xt^T v`` is accurate
    to about ``gamma c_j |v|`` and a Gram entry to ``gamma c_j c_k`` (``gram_error_scale``),
    where ``gamma = 4 eps sqrt(n_samples)``. Summaries through the Gram matrix at ``w`` then
    have errors ``gamma (g.|w|)^2 + 2 gamma |yt| (c.|w|)`` in ``R^T R`` (plus the rounding of
    ``yty - 2 b.w + w.G w`` itself) and ``e_j = gamma (c_j |yt| + g_j (g.|w|))`` in
    ``(Xt^T R)_j``. The gap moves with the entries of ``Xt^T R`` as its formulation says:
    by ``(l1.|w|) max_j e_j / l1_j`` through the dual scaling (formulation A), by
    ``sum_j |Xt_j^T R| e_j / l2_j`` (B), ``2 sum_j |Xt_j^T R| e_j`` (least squares).
    """

    def __init__(self, design, yty):
        self.scale = design.error_scale
        self.gram_scale = design.gram_error_scale
        self.gamma = tuning.ROUNDING * np.sqrt(design.n_samples)
        self.yty = yty
        self.yt_norm = float(np.sqrt(yty))
        self.n_features = design.n_features
        self.max_scale = None  # max_j c_j (found on first use)

    def __call__(self, w, bw, wGw, XtR, penalty):
        """Probable error of the gap computed from Gram summaries (``b.w``, ``w.G w``; ``b``
        from a product with the data, ``G`` with the Gram matrix's own error scale)."""
        absw = np.abs(w)
        cw, gw = float(self.scale @ absw), float(self.gram_scale @ absw)
        rtr = tuning.ROUNDING * self.n_features * (self.yty + 2.0 * abs(bw) + abs(wGw))
        rtr += self.gamma * (gw * gw + 2.0 * self.yt_norm * cw)
        entries = self.gamma * (self.scale * self.yt_norm + self.gram_scale * gw)
        return 0.5 * rtr + _entry_effect(w, XtR, entries, penalty)

    def plain(self, W, bw, wGw):
        """``__call__`` for many points at once (the columns of ``W``, their ``b.w`` and
        ``w.G w``), for plain Lasso penalties (``duality_gaps_plain``)."""
        absW = np.abs(W)
        cw, gw = self.scale @ absW, self.gram_scale @ absW
        rtr = tuning.ROUNDING * self.n_features * (self.yty + 2.0 * np.abs(bw) + np.abs(wGw))
        rtr += self.gamma * (gw * gw + 2.0 * self.yt_norm * cw)
        if not W.shape[0]:
            return 0.5 * rtr
        entries = self.scale[:, None] * self.yt_norm + self.gram_scale[:, None] * gw
        return 0.5 * rtr + self.gamma * entries.max(axis=0) * absW.sum(axis=0)

    def entries(self, w, RtR):
        """Probable errors of the entries of ``Xt^T R`` computed from products with the data
        at ``w`` (``R`` is accurate to about ``dR = 4 eps c.|w|``; the entry ``j`` to ``c_j``
        times ``dR + gamma |R|``), and ``dR``."""
        factor, dR = self._entry_factor(w, RtR)
        return self.scale * factor, dR

    def _entry_factor(self, w, RtR):
        """``(f, dR)``: the entries' errors are ``c f`` (see ``entries``)."""
        S = (w != 0).nonzero()[0]
        dR = tuning.ROUNDING * float(self.scale[S] @ np.abs(w[S]))
        return self.gamma * np.sqrt(max(RtR, 0.0)) + dR, dR

    def objective(self, w, RtR, value):
        """Probable error of the objective ``value`` at ``w`` computed from the data."""
        _, dR = self._entry_factor(w, RtR)
        return tuning.ROUNDING * (self.yty + abs(value)) + (np.sqrt(max(RtR, 0.0)) + dR) * dR

    def explicit(self, w, XtR, RtR, penalty):
        """Probable error of the gap computed from products with the data at ``w``."""
        factor, dR = self._entry_factor(w, RtR)
        R_norm = np.sqrt(max(RtR, 0.0))
        base = 3.0 * (R_norm + self.yt_norm) * dR
        if penalty.uniform_l1 is not None and not penalty.bounded:
            # one L1 weight: the effect through the dual scaling, from the largest entry error
            if self.max_scale is None:
                self.max_scale = float(np.max(self.scale)) if self.scale.size else 0.0
            S = (w != 0).nonzero()[0]
            return base + float(np.abs(w[S]).sum()) * self.max_scale * factor
        return base + _entry_effect(w, XtR, self.scale * factor, penalty)


def _entry_effect(w, XtR, entries, penalty):
    """How far errors ``entries`` in ``Xt^T R`` move the gap (see ``Rounding``)."""
    if penalty.formulation == "l1":
        if penalty.uniform_l1 is not None:  # one weight for all (no unpenalized feature)
            return float(entries.max()) * float(np.abs(w).sum()) if w.size else 0.0
        l1 = penalty.l1
        weighted = l1 > 0
        ratio = float((entries[weighted] / l1[weighted]).max()) if weighted.any() else 0.0
        effect = float(l1[w != 0] @ np.abs(w[w != 0])) * ratio if ratio else 0.0
        # unpenalized features enter the projected dual point directly
        free = penalty.unpenalized
        return effect + 2.0 * float(np.abs(XtR[free]) @ entries[free])
    if penalty.formulation == "l2":
        smooth = penalty.l2 > 0
        effect = float((np.abs(XtR[smooth]) / penalty.l2[smooth]) @ entries[smooth])
        free = ~smooth & ~penalty.excluded
        return effect + 2.0 * float(np.abs(XtR[free]) @ entries[free])
    return 2.0 * float(np.abs(XtR) @ entries)


def _residual_cd(C, yt, w, penalty, tol_in, rng=None):
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
    thr, den, lower, upper = penalty.coordinate_constants(np.arange(k), norms2)
    inv = [1.0 / v if v > 0 else 0.0 for v in norms2.tolist()]
    wl = w.tolist()
    ddot, daxpy = blas.ddot, blas.daxpy
    bounded = penalty.bounded
    epoch = 0
    for epoch in range(1, tuning.MAX_EPOCHS + 1):
        order = range(k) if rng is None else rng.permutation(k).tolist()
        for i in order:
            if not inv[i]:
                continue  # a zero column never moves from zero
            wi = wl[i]
            z, t = wi + ddot(cols[i], R) * inv[i], thr[i]
            new = ((z - t) if z > t else (z + t) if z < -t else 0.0) / den[i]  # soft-threshold
            if bounded:
                new = min(max(new, lower[i]), upper[i])
            if new != wi:
                daxpy(cols[i], R, a=wi - new)
                wl[i] = new
        w = np.array(wl)
        gap = duality_gap(C.T @ R, float(R @ R), float(R @ yt), w, penalty)
        if gap <= tol_in:
            break
    return w, epoch


class _GramSubproblem:
    """Coordinate descent on ``1/2 w^T G w - b^T w + penalty(w)`` (+ const).

    Only the coordinates ``coords`` (default: all) move; ``w`` must be zero elsewhere, so
    that ``G`` may be the Gram matrix of more features than the working set (the full one,
    without a block copy; ``penalty`` then covers all of its coordinates). Every epoch ends
    with the subproblem's duality gap (``O(k)``); every ``ANDERSON_K`` epochs the iterates
    are extrapolated (Anderson); once the signs are stable, the subproblem is solved exactly
    by a feature-sign search from the support (on the factorization ``system`` when one is
    passed in to be kept). Both are accepted only if they lower the objective beyond the
    rounding error of its evaluation.
    """

    def __init__(self, G, b, w, yty, penalty, coords=None, system=None):
        m = b.shape[0]
        self.whole = coords is None
        self.coords = np.arange(m) if self.whole else np.asarray(coords, dtype=np.intp)
        self.G, self.b, self.yty, self.m = G, b, yty, m
        self.penalty = penalty
        self.sub_penalty = penalty if self.whole else penalty.restrict(self.coords)
        self._system = system  # (formed on first use: many subproblems need no finish)
        self.bc = b[self.coords]
        self.w = np.array(w, dtype=np.float64)[self.coords]
        diag = G[self.coords, self.coords].astype(np.float64)
        self.root_diag = np.sqrt(np.maximum(diag, 0.0))
        self.diag = diag
        unpen = self.sub_penalty.unpenalized.nonzero()[0]
        self.U = unpen
        self.state = None  # the coordinate-descent state of the last solve

    @property
    def system(self):
        """The support factorization of ``G`` (``SupportSystem``) that the finishes share."""
        if self._system is None:
            self._system = SupportSystem(self.G, self.penalty.l2)
        return self._system

    def prod(self, wc):
        """``G[:, coords] @ wc`` (length ``m``)."""
        if self.whole:
            return symmetric_product(self.G, wc)
        v = np.zeros(self.m)
        v[self.coords] = wc
        return symmetric_product(self.G, v)

    def gap_of(self, wc, q):
        """The subproblem's duality gap at ``wc`` (``q = G[:, coords] @ wc``)."""
        qc = q[self.coords]
        bw = float(self.bc @ wc)
        state = (self.bc - qc, self.yty - 2.0 * bw + float(wc @ qc), self.yty - bw)
        U = _to_project(wc, self.sub_penalty)
        if U.size == 0:
            return duality_gap(*state, wc, self.sub_penalty)
        G_cols = self.G[np.ix_(self.coords, self.coords[U])]
        return _projected_gap(*state, wc, self.sub_penalty, U, G_cols, self.bc)

    def primal_of(self, wc, q):
        """The objective at ``wc`` and its probable rounding error: ``w^T G w`` is a sum of
        ``k^2`` terms each at most ``|w_i| |w_j| sqrt(G_ii G_jj)`` (``G`` is positive
        semi-definite); their sum can cancel to nothing along a near-null direction of a
        singular block while its rounding stays of order ``eps sqrt(k) (sum_i |w_i|
        sqrt(G_ii))^2`` (``sqrt(k)``: blocked sums round like a random walk)."""
        qc = q[self.coords]
        value = primal_objective(
            self.yty - 2.0 * float(self.bc @ wc) + float(wc @ qc), wc, self.sub_penalty
        )
        scaled = float(np.abs(wc) @ self.root_diag)
        terms = self.yty + 2.0 * float(np.abs(self.bc) @ np.abs(wc)) + scaled * scaled
        return value, tuning.ROUNDING * np.sqrt(wc.size) * terms

    def violation(self, wc, q):
        """The norm of the optimality conditions' violations at ``wc`` (``q = G[:, coords]
        @ wc``): the distances of minus the gradient to the subdifferential."""
        grad = q[self.coords] - self.bc
        return float(np.linalg.norm(self.sub_penalty.subdiff_distance(wc, grad)))

    def lower(self, new, wc_new, old):
        """Whether the objective ``new`` (at ``wc_new``) is lower than ``old``, beyond the
        rounding error of both (and, exactly, its penalty part alone is not above ``old``:
        the data-fit term is a non-negative square)."""
        if self.sub_penalty.value(wc_new) > old[0] + old[1]:
            return False
        return new[0] + new[1] + old[1] < old[0]

    def higher(self, new, wc_new, old):
        """Whether the objective ``new`` (at ``wc_new``) is higher than ``old`` beyond the
        rounding error of both (or its penalty part alone is)."""
        if self.sub_penalty.value(wc_new) > old[0] + old[1]:
            return True
        return new[0] - new[1] > old[0] + old[1]

    def improves(self, new, wc_new, q_new, old, gap_old):
        """Whether ``wc_new`` (objective ``new``, ``q_new = G[:, coords] @ wc_new``) is to
        replace the current point (objective ``old``, duality gap ``gap_old``): it lowers
        the objective beyond rounding or, where the objective cannot tell the two apart (an
        optimum flat to the last digits, reached before the gap says so), it is not higher
        beyond rounding and has the smaller duality gap."""
        if self.lower(new, wc_new, old):
            return True
        if gap_old is None or self.higher(new, wc_new, old):
            return False
        return self.gap_of(wc_new, q_new) < gap_old

    def finish(self, wc, ceiling):
        """The feature-sign search from the support and signs of ``wc`` (None: no gain)."""
        full = np.zeros(self.m)
        full[self.coords] = wc
        support = self.coords[(wc != 0).nonzero()[0]]
        if self.U.size:
            support = np.union1d(support, self.coords[self.U])  # unpenalized: always free
        out = solve_on_support(
            self.G,
            self.b,
            full,
            support,
            self.penalty,
            system=self.system,
            coords=self.coords,
            ceiling=ceiling,
        )
        return None if out is None else out[self.coords]

    def solve(self, tol_in, rng=None, finish_first=False, careful=False, max_epochs=None):
        """Run coordinate descent to the subproblem gap ``tol_in``.

        With ``finish_first`` (a warm start, e.g. the previous ``alpha`` of a path, whose
        support and signs are usually nearly right), the exact finish is tried before the
        first epoch; with ``careful``, neither the finish nor extrapolation is tried (plain
        coordinate descent: every update lowers the objective). Returns the new
        ``w[coords]``, the number of epochs run (at most ``max_epochs``, default
        ``MAX_EPOCHS``) and ``G[:, coords] @ w[coords]`` (None when it was accumulated by
        coordinate updates rather than computed).
        """
        state = _EpochState(self)
        self.state = state  # (``finished``: whether its point is the exact finish's)
        if finish_first and not careful and self._finish_first(state, tol_in):
            return state.w, 0, state.q
        epoch = 0
        for epoch in range(1, (max_epochs or tuning.MAX_EPOCHS) + 1):
            state.sweep(rng)
            gap = self.gap_of(state.w_array(), state.q)
            if gap <= tol_in:
                break
            if not careful:
                state.accelerate(gap, tol_in)
        return state.w, epoch, state.q if state.fresh else None

    @property
    def singular(self):
        """Whether the exact finish met a singular (or, in floating point, indefinite)
        support block."""
        return self._system is not None and self._system.jittered

    @property
    def finished(self):
        """Whether the last solve ended on the exact finish's point (support and signs kept
        by the sweeps since): a finish from there would find it again."""
        return self.state is not None and self.state.exact()

    def _finish_first(self, state, tol_in):
        q = state.q
        support = (state.w != 0).nonzero()[0]
        if not support.size:
            return False
        cost = self.system.cost(self.coords[support])
        if not _finish_pays(self.w.size, self.m, cost, tuning.TYPICAL_EPOCHS):
            return False
        state.last_tried = state.signature(state.w)
        current = self.primal_of(state.w, q)
        w_new = self.finish(state.w, sum(current))
        if w_new is None:
            return False
        q_new = self.prod(w_new)
        new = self.primal_of(w_new, q_new)
        if self.lower(new, w_new, current):
            state.take(w_new, q_new, finished=True)
            # often already optimal for the whole working set: no epoch needed
            return self.gap_of(state.w, state.q) <= tol_in
        # a warm start already optimal to the last digits: certified as it is, or not taken
        if self.higher(new, w_new, current) or not self.gap_of(w_new, q_new) <= tol_in:
            return False
        state.take(w_new, q_new, finished=True)
        return True


class _EpochState:
    """Coordinate descent's iterate on a subproblem, kept as Python floats between epochs,
    with the bookkeeping of extrapolation and the exact finish."""

    def __init__(self, sub):
        self.sub = sub
        self.w = sub.w
        self.q = sub.prod(self.w)
        self.wl = self.w.tolist()
        self.fresh = True  # q is a product, not updates accumulated by daxpy
        self.history = []
        self.last_tried = self.prev_signature = self.finished = None
        self.prev_gap = np.inf
        self.coordinates = None  # the sweeps' per-coordinate constants (on the first sweep:
        # along a path the warm start's exact finish often ends the subproblem before one)

    def _coordinates(self):
        """Each coordinate's constants as one tuple ``(i, column of G, its row, 1 / G_ii,
        threshold, denominator, b_i, lower, upper)``, Python objects: a sweep unpacks one
        tuple per coordinate instead of indexing eight lists (measured: 10-15% of an epoch
        on 300 coordinates)."""
        sub = self.sub
        diag = sub.diag.copy()
        diag[~(diag > 0)] = np.inf  # a zero column never moves from zero
        G, coords = sub.G, sub.coords
        thr, den, lo, hi = sub.sub_penalty.coordinate_constants(np.arange(coords.size), diag)
        cols = [G[:, j] for j in coords.tolist()]  # contiguous (G is Fortran-ordered)
        inv, bl = (1.0 / diag).tolist(), sub.bc.tolist()
        rows = coords.tolist()
        return list(zip(range(len(rows)), cols, rows, inv, thr, den, bl, lo, hi, strict=True))

    @staticmethod
    def signature(w):
        support = (w != 0).nonzero()[0]
        return support.tobytes(), np.signbit(w[support]).tobytes()

    def w_array(self):
        self.w = np.array(self.wl)
        return self.w

    def take(self, w, q, finished=False):
        self.w, self.q, self.wl, self.fresh = w, q, w.tolist(), True
        # the signature of a point taken from the exact finish (None: the last taken was not)
        self.finished = self.signature(w) if finished else None

    def exact(self):
        """Whether the current point is the exact finish's last point, up to the sweeps since
        (which kept its support and signs): a finish from it would find it again."""
        return self.finished is not None and self.finished == self.signature(self.w_array())

    def sweep(self, rng):
        """One epoch of coordinate updates (cyclic, or in a random order)."""
        if self.coordinates is None:
            self.coordinates = self._coordinates()
        packed = self.coordinates
        if rng is not None:
            packed = [packed[i] for i in rng.permutation(len(packed)).tolist()]
        wl, q, bounded = self.wl, self.q, self.sub.sub_penalty.bounded
        # (positional arguments: ``daxpy``'s keyword parsing costs a third of its call)
        daxpy, item, m = blas.daxpy, q.item, q.shape[0]
        moved = False
        for i, col, row, inv, t, den, b, lo, hi in packed:
            wi = wl[i]
            z = wi - (item(row) - b) * inv
            # soft-thresholding written out: a function call would cost as much as the update
            new = ((z - t) if z > t else (z + t) if z < -t else 0.0) / den
            if bounded:
                new = min(max(new, lo), hi)
            if new != wi:
                daxpy(col, q, m, new - wi)
                wl[i] = new
                moved = True
        if moved:
            self.fresh = False

    def accelerate(self, gap, tol_in):
        """Anderson extrapolation every ``ANDERSON_K`` epochs, and the exact finish once the
        signs are stable and it costs less than the epochs it would save; a candidate is
        taken only if it lowers the objective beyond rounding."""
        sub, w = self.sub, self.w
        # epochs still needed at the rate just observed (unknown after the first)
        rate = gap / self.prev_gap if np.isfinite(self.prev_gap) and self.prev_gap > 0 else 1.0
        epochs_left = (
            np.log(tol_in / gap) / np.log(rate) if 0 < rate < 1 and tol_in > 0 else np.inf
        )
        self.prev_gap = gap
        candidates = []  # (point, from the exact finish)
        self.history.append(w)
        if len(self.history) == tuning.ANDERSON_K + 1:
            candidates.append((_anderson(self.history, sub.sub_penalty), False))
            self.history = []
        signature = self.signature(w)
        stable = signature == self.prev_signature and signature != self.last_tried
        self.prev_signature = signature
        best = None
        support = (w != 0).nonzero()[0]
        if stable and support.size:
            cost = sub.system.cost(sub.coords[support])
            if _finish_pays(w.size, sub.m, cost, epochs_left):
                self.last_tried = signature
                best = sub.primal_of(w, self.q)
                candidates.append((sub.finish(w, sum(best)), True))
        candidates = [c for c in candidates if c[0] is not None]
        if not candidates:
            return
        best = sub.primal_of(w, self.q) if best is None else best
        best_gap = gap  # (None once a candidate replaced the point it was measured at)
        for w_new, finished in candidates:
            q_new = sub.prod(w_new)
            value = sub.primal_of(w_new, q_new)
            if sub.improves(value, w_new, q_new, best, best_gap):
                # no stop here: the next sweep re-thresholds (an extrapolated point is not
                # sparse) and certifies
                best, best_gap = value, None
                self.take(w_new, q_new, finished)


def _finish_pays(k, length, flops, epochs_left):
    """Whether an exact finish costing ``flops`` costs less than the sweeps over ``k``
    coordinates (``daxpy`` of ``length``) it would save, in units of one coordinate update
    (see ``_tuning.AXPY_PER_UNIT``): a sweep costs ``k`` of them plus its ``daxpy`` work,
    the finish its flops at about 20 GFlop/s plus a fixed overhead."""
    return epochs_left * _sweep_units(k, length) > _finish_units(flops)


def _sweep_units(k, length):
    """The cost of one epoch over ``k`` coordinates (``daxpy`` of ``length``), in units of
    one coordinate update."""
    return k * (1.0 + length / tuning.AXPY_PER_UNIT)


def _finish_units(flops):
    """The cost of an exact finish of ``flops`` flops, in units of one coordinate update."""
    return tuning.FINISH_OVERHEAD + flops / tuning.FLOPS_PER_UNIT


def _anderson(history, penalty):
    """Anderson extrapolation of the last iterates (None if ill-posed or out of bounds)."""
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
    if not np.all(np.isfinite(w_acc)):
        return None
    if penalty.bounded and np.any((w_acc < penalty.lower) | (w_acc > penalty.upper)):
        return None
    return w_acc
