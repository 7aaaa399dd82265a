"""Regularization paths: the alpha grid, warm-started solves along it, fold Grams.

Along a decreasing grid of ``alpha`` values every solve starts from the previous solution
and its residual summaries, and the workspace (its Gram blocks, the full Gram matrix and its
support factorization) persists from one ``alpha`` to the next, so a feature pair is
multiplied at most once per path. The working sets of the solver play the part of
sequential strong rules: each solve starts from the previous support plus the features that
violate the optimality conditions most at the new ``alpha``, and the final duality-gap check
over all features certifies every point of the path.

Cross-validation folds share their statistics: for dense data the moments of ``[X | y]``
over each test fold are computed once, and those of each training set are merged from the
other folds' (``fold_moments``).

Numeric core: imports NumPy (and the moments of ``_moments``) only.
"""

import numpy as np

from . import _tuning as tuning
from ._cd import CDResult, Rounding, certified_gap, enet_coordinate_descent
from ._finish import path_step
from ._homotopy import homotopy_applies, lasso_homotopy
from ._moments import Moments, merge_all
from ._objective import duality_gaps_plain, primal_objective
from ._support import SupportSystem, symmetric_product

__all__ = ["alpha_grid", "fold_moments", "solve_lasso_path", "solve_path"]

#: a feature is predicted to join at the next ``alpha`` when its extrapolated correlation
#: exceeds its L1 weight by this factor
_PREDICTED_MARGIN = 1.0


def alpha_grid(alpha_max, eps=1e-3, n_alphas=100):
    """scikit-learn's grid: ``n_alphas`` values from ``alpha_max`` down to ``eps * alpha_max``
    (geometric); all equal to the float resolution when ``alpha_max`` is below it."""
    resolution = np.finfo(np.float64).resolution
    if not alpha_max > resolution:
        return np.full(n_alphas, resolution)
    return np.geomspace(alpha_max, alpha_max * eps, num=n_alphas)


def solve_path(
    workspace, target, penalties, tol_abs, *, max_iter=1000, w0=None, rng=None, callback=None
):
    """Solve the problem for every penalty in turn, each solve warm-started.

    Parameters
    ----------
    workspace : Workspace
    target : Target
    penalties : sequence of SeparablePenalty
        In the solver's units, solved in the order given (decreasing ``alpha`` is fastest).
    tol_abs : float
        As for ``enet_coordinate_descent``, at every point.
    max_iter : int
    w0 : ndarray of shape (n_features,), optional
        Starting point of the first solve.
    rng : random generator, optional
    callback : callable, optional
        Called as ``callback(i, result)`` after the ``i``-th solve.

    Returns
    -------
    coefs : ndarray of shape (n_features, n_penalties)
    results : list of CDResult
    """
    n_features = workspace.design.n_features
    w = np.zeros(n_features) if w0 is None else np.array(w0, dtype=np.float64)
    coefs = np.empty((n_features, len(penalties)))
    results = []
    known = None  # residual summaries at w, carried from one alpha to the next
    step = _ExactStep(workspace, target, tol_abs)
    for i, penalty in enumerate(penalties):
        result = None
        if known is not None and step.applies:
            result, w, known = step(penalty, w, known)
        if result is None:
            result = _descend(workspace, target, penalty, tol_abs, max_iter, w, rng, 2, known)
        w, known = result.w, result.summaries
        step.record(penalty, known)
        coefs[:, i] = w
        results.append(result)
        if callback is not None:
            callback(i, result)
    return coefs, results


def _descend(workspace, target, penalty, tol_abs, max_iter, w0, rng, min_iter, known):
    """One point of a path by coordinate descent, from ``w0`` and its summaries ``known``."""
    return enet_coordinate_descent(
        workspace,
        target,
        penalty,
        tol_abs=tol_abs,
        max_iter=max_iter,
        w0=w0,
        rng=rng,
        min_iter=min_iter,
        summaries0=known,
    )


class _ExactStep:
    """One ``alpha`` of a path on the full Gram matrix by the exact finish alone: from the
    previous solution, the feature-sign search over every valid feature
    (``_finish.path_step``) through the support factorization the path keeps. Its point is
    taken when its duality gap (from the gradient of its last optimality check) meets the
    tolerance, that gap's rounding stays well below it, and its objective is not above the
    previous point's beyond rounding; otherwise coordinate descent solves this ``alpha``
    from the better of the two. Along a path the support changes by a few features per
    ``alpha``: one or two solves through the updated factor and one product with the Gram
    matrix each, where coordinate descent's subproblem, finish and evaluation take about
    five (measured on 10000 x 1000 correlated data: the Lasso path 0.67-0.72 of the time,
    ``LassoCDCV`` 0.62-0.65)."""

    def __init__(self, workspace, target, tol_abs):
        self.workspace, self.target, self.tol_abs = workspace, target, tol_abs
        self.applies = workspace.full_gram is not None
        design = workspace.design
        self.errors = Rounding(design, target.yty) if target.yt is not None else None
        self.valid = design.col_norms2 > 0.0
        self.history = []  # ((scale of the penalty, Xt^T R) of the last two points)

    def record(self, penalty, known):
        """Keep the correlations ``Xt^T R`` of the point solved at ``penalty``."""
        if self.applies:
            self.history = [*self.history[-1:], (float(penalty.l1.max()), known[0])]

    def _predicted_joins(self, penalty, w, coords):
        """The features predicted to join at ``penalty``: those at zero whose correlation,
        extrapolated linearly in ``alpha`` from the last two points (exact while the support
        holds), is beyond their L1 weight by ``_PREDICTED_MARGIN``; with the signs they
        take, likeliest first. None when there is no such prediction."""
        if len(self.history) < 2 or penalty.bounded or penalty.any_unpenalized:
            return None
        (a0, c0), (a1, c1) = self.history
        a2 = float(penalty.l1.max())
        if not (a0 > a1 > a2 > 0.0):
            return None
        idx = coords[w[coords] == 0.0]
        pred = c1[idx] + (c1[idx] - c0[idx]) * ((a1 - a2) / (a0 - a1))
        excess = np.abs(pred) - penalty.l1[idx] * _PREDICTED_MARGIN
        J = (excess > 0.0).nonzero()[0]
        if not J.size:
            return None
        J = J[np.argsort(-excess[J])]
        return idx[J], np.sign(pred[J])

    def _system(self, penalty):
        ws, G = self.workspace, self.workspace.full_gram
        if ws.support_system is None or not ws.support_system.matches(G, penalty.l2):
            ws.support_system = SupportSystem(G, penalty.l2)
        return ws.support_system

    def _noise(self, w, RtR, value):
        return 0.0 if self.errors is None else self.errors.objective(w, RtR, value)

    def __call__(self, penalty, w, known):
        """``(result or None, the point to go on from, its summaries)``."""
        G, b, yty = self.workspace.full_gram, self.target.Xty, self.target.yty
        coords = (self.valid & ~penalty.excluded).nonzero()[0]
        value = primal_objective(known[1], w, penalty)
        noise = self._noise(w, known[1], value)
        support = (w != 0).nonzero()[0]
        if penalty.any_unpenalized:  # (always free: ``_GramSubproblem.finish``)
            support = np.union1d(support, coords[penalty.unpenalized[coords]])
        out = path_step(
            G,
            b,
            w,
            support,
            penalty,
            system=self._system(penalty),
            coords=coords,
            ceiling=value + noise,
            joins=self._predicted_joins(penalty, w, coords),
        )
        if out is None:
            return None, w, known
        w_new, grad = out
        full = grad is None or coords.size < w.size
        Gw = symmetric_product(G, w_new) if full else grad + b
        bw, wGw = float(b @ w_new), float(w_new @ Gw)
        state = (b - Gw, yty - 2.0 * bw + wGw, yty - bw)
        new = primal_objective(state[1], w_new, penalty)
        if new > value + noise + self._noise(w_new, state[1], new):
            return None, w, known  # (rounding on a nearly singular support: not kept)
        if grad is None:
            return None, w_new, state
        gap = certified_gap(self.workspace, self.target, penalty, w_new, state)
        error = 0.0 if self.errors is None else self.errors(w_new, bw, wGw, state[0], penalty)
        if not (gap <= self.tol_abs and error <= tuning.RELIABLE * self.tol_abs):
            return None, w_new, state
        result = CDResult(
            w=w_new, gap=gap, tol_abs=self.tol_abs, n_iter=1, n_epochs=0, summaries=state
        )
        return result, w_new, state


def solve_lasso_path(
    workspace, target, unit, alphas, tol_abs, *, max_iter=1000, rng=None, callback=None
):
    """``solve_path`` for the penalties ``unit`` scaled by ``alphas`` (decreasing), the
    Lasso ones by homotopy where it applies (``_homotopy``): its points are certified by
    their duality gap from the Gram matrix, and any point that is not (or beyond where the
    homotopy stopped) is solved by coordinate descent, warm-started."""
    if workspace.full_gram is None and workspace.gram_is_cheap:
        workspace.precompute_gram()
    if not homotopy_applies(workspace, unit):
        return None
    design, G = workspace.design, workspace.full_gram
    W = lasso_homotopy(G, target.Xty, unit, alphas, design.col_norms2 > 0.0)
    XtR, RtR, Rty, gaps, errors = _homotopy_checks(workspace, target, unit, alphas, W)
    coefs = np.empty((design.n_features, len(alphas)))
    results, known = [], None
    for i, alpha in enumerate(alphas):
        result = None
        if i < W.shape[1]:
            state = (XtR[:, i], RtR[i], Rty[i])
            if gaps[i] <= tol_abs and errors[i] <= tuning.RELIABLE * tol_abs:
                result = CDResult(
                    w=W[:, i], gap=gaps[i], tol_abs=tol_abs, n_iter=1, n_epochs=0, summaries=state
                )
            known = None
        if result is None:
            w0 = W[:, i] if i < W.shape[1] else (results[-1].w if results else None)
            min_iter = 1 if i < W.shape[1] else 2
            penalty = unit.scaled(alpha)  # (no L2 weight: the L1 scaled)
            result = _descend(
                workspace, target, penalty, tol_abs, max_iter, w0, rng, min_iter, known
            )
        known = result.summaries
        coefs[:, i] = result.w
        results.append(result)
        if callback is not None:
            callback(i, result)
    return coefs, results


def _homotopy_checks(workspace, target, unit, alphas, W):
    """The summaries ``(Xt^T R, R^T R, R^T yt)`` of the homotopy's points (the columns of
    ``W``), their duality gaps and the probable rounding errors of those gaps, from the
    Gram matrix: for a plain Lasso all at once (``duality_gaps_plain``, ``Rounding.plain``),
    else point by point (``certified_gap``)."""
    design, G, b, yty = workspace.design, workspace.full_gram, target.Xty, target.yty
    Gw = G @ W
    bw = b @ W
    wGw = np.einsum("ij,ij->j", W, Gw)
    XtR, RtR, Rty = b[:, None] - Gw, yty - 2.0 * bw + wGw, yty - bw
    rounding = Rounding(design, yty) if target.yt is not None else None
    k = W.shape[1]
    plain = unit.uniform_l1 is not None and not (
        unit.bounded or unit.any_unpenalized or unit.has_l2
    )
    if plain:
        l1 = unit.uniform_l1 * np.asarray(alphas, dtype=np.float64)[:k]
        gaps = duality_gaps_plain(XtR, RtR, Rty, W, l1)
        errors = rounding.plain(W, bw, wGw) if rounding is not None else np.zeros(k)
        return XtR, RtR, Rty, gaps, errors
    gaps, errors = np.empty(k), np.zeros(k)
    for i in range(k):
        state, penalty = (XtR[:, i], RtR[i], Rty[i]), unit.scaled(alphas[i])
        gaps[i] = certified_gap(workspace, target, penalty, W[:, i], state)
        if rounding is not None:
            errors[i] = rounding(W[:, i], bw[i], wGw[i], state[0], penalty)
    return XtR, RtR, Rty, gaps, errors


def fold_moments(X, y, folds, sample_weight=None, center=True):
    """The moments of every training set, from one pass over each test fold.

    For each ``(train, test)`` in ``folds`` returns the moments (``_moments.Moments``) of
    ``[X | y]`` over ``train``: its weight, means and centred cross-products, from which the
    training problem is known by its statistics (``FitProblem.from_moments``: the Gram
    matrix ``Xt^T Xt`` and ``Xt^T yt`` as ``center_data`` would centre and weight them), so
    that no training set is gathered or centred. The test sets must partition the samples:
    the moments of each test fold are computed once, and those of each training set are the
    pairwise merge of the other folds' (no cancellation, whatever the offsets). Returns
    ``(trains, full)``, ``full`` the moments of all the samples (every fold merged: the
    refit's), or None if a training set has no positive weight.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dense
    y : ndarray of shape (n_samples,)
    folds : list of (train, test) index arrays
    sample_weight : ndarray of shape (n_samples,), optional
    center : bool, default=True
        Centre each training set (``fit_intercept``); if False the moments are uncentred.
    """
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    p = X.shape[1]
    parts = []
    for _, test in folds:
        rows = np.empty((test.size, p + 1), order="F")  # ([X | y] of the fold: one gather)
        rows[:, :p] = X[test]
        rows[:, p] = y[test]
        parts.append(Moments.of_rows(rows, None if sw is None else sw[test], centred=center))
    trains = []
    for k in range(len(folds)):
        moments = merge_all(parts[:k] + parts[k + 1 :])
        if not moments.weight > 0:
            return None
        trains.append(moments)
    return trains, merge_all(parts)
