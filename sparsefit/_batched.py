"""Many targets at once: a batched active-set search on the Gram matrix, for warm starts.

A fit of ``k`` targets on one tall design shares the Gram matrix ``G``. Target by target,
each one costs a few outer iterations of coordinate descent (evaluations, working sets,
sweeps, an exact finish) whose time is mostly the interpreter's, while the arithmetic is
small. Here all targets take the rounds of one feature-sign search together: one product
``W G`` gives every target's gradient, and one batched linear solve every target's
solution on its active set ``A`` with the signs held,

    ``(G_AA + diag(l2_A)) u = b_A - l1_A sign_A``.

Each round the worst violators of the optimality conditions join a target's support (as
many as it holds, at least ``P0``: the working sets' growth) with the sign of their
gradient. If ``u`` keeps the signs it is the exact solution on ``A``; else the target
moves to the lower of ``u`` with the sign-changing coefficients set to zero and the point
where the first coefficient of the support reaches zero on the way to ``u``. A step is
taken only if it lowers the objective; where the joins made that impossible, a step that
always lowers it is taken instead (the search of Lee et al., 2007: from the exact solution
on the support only the worst violator joins, from any other point the support alone is
solved). A target is done once its point solves its active-set problem and no feature
violates the conditions: it is then the exact solution, up to rounding.

The result is only a starting point. Every target is then solved and certified by its own
coordinate descent, which from the exact solution needs one evaluation of the duality gap.
The objective never rises from round to round and starts at zero's, so a search that stops
early (its rounds spent, a nearly singular active set) costs time, never the answer. A
target whose active set would exceed ``BATCHED_MAX_ACTIVE`` features stops where it is:
each round solves the active-set systems afresh, while each target's own solver updates
one factorization of the Gram matrix that all targets share.

Numeric core: imports NumPy only.
"""

import numpy as np

from . import _tuning as tuning

__all__ = ["batched_starts"]

#: a zero coefficient joins only when its violation ``|g_j| - l1_j`` exceeds this fraction
#: of ``l1_j``: the gradient's rounding error is far below it, so that a target whose
#: optimality conditions hold up to rounding counts as done
_VIOLATION = 1e-9
#: entries of the padded active-set systems solved in one batched call (32 MB): targets are
#: taken in groups of similar active-set sizes so that no group exceeds it
_BATCH_ENTRIES = 4_000_000
#: a step is taken only if it lowers the objective by this fraction of its value at least
#: (a few hundred times the rounding of the objective: no step on rounding noise)
_DECREASE = 1e-13


def batched_starts(G, B, penalty, valid, max_rounds):
    """Starting points of all targets from a batched active-set search.

    Parameters
    ----------
    G : ndarray of shape (n_features, n_features)
        The Gram matrix, positive definite (tall data).
    B : ndarray of shape (n_features, n_targets)
        ``Xt^T yt`` of every target.
    penalty : SeparablePenalty
        In the solvers' units; ``applies(penalty)`` must hold.
    valid : ndarray of bool, shape (n_features,)
        The features that may be non-zero.
    max_rounds : int
        Most rounds (one batched solve each).

    Returns
    -------
    W : ndarray of shape (n_targets, n_features)
        The best point of each target (never worse than zero).
    rounds : ndarray of int, shape (n_targets,)
        The rounds in which each target took a step.
    done : ndarray of bool, shape (n_targets,)
        The targets whose point is the exact solution, up to rounding (the others stopped
        early: rounds spent, an active set over ``BATCHED_MAX_ACTIVE``, or no step that
        lowered the objective).
    """
    k = B.shape[1]
    BT = np.ascontiguousarray(B.T)
    W = np.zeros((k, B.shape[0]))
    best, best_f = W.copy(), np.zeros(k)  # (the objective at zero, up to 1/2 ||yt||^2)
    rounds = np.zeros(k, dtype=np.intp)
    kept = np.ones(k, dtype=bool)  # the last solve kept every sign (zero: no solve yet)
    done = np.zeros(k, dtype=bool)
    live = np.arange(k)
    inv_norms = 1.0 / np.sqrt(np.where(valid, np.diag(G), 1.0))
    with np.errstate(all="ignore"):
        for r in range(max_rounds + 1):
            if live.size == 0:
                break
            Wl = W[live]
            grad = BT[live] - _product(Wl, G)
            f = penalty_rows(Wl, penalty) - 0.5 * np.einsum("ij,ij->i", Wl, BT[live] + grad)
            better = f < best_f[live]
            best[live[better]], best_f[live[better]] = Wl[better], f[better]
            if r == max_rounds:
                break
            scores = _scores(Wl, grad, penalty, valid, inv_norms)
            # done: the point solves its active-set problem and nothing violates
            pending = ~kept[live] | (scores > -np.inf).any(axis=1)
            done[live[~pending]] = True
            live, grad, scores = live[pending], grad[pending], scores[pending]
            if live.size == 0:
                break
            moved, W_new, kept_new = _round(
                G, BT[live], W[live], kept[live], grad, scores, penalty
            )
            live = live[moved]  # (a row that could not lower its objective stops there)
            W[live], kept[live] = W_new[moved], kept_new[moved]
            rounds[live] += 1
    return best, rounds, done


def _round(G, BT, W, kept, grad, scores, penalty):
    """One round of the rows: the worst violators join the support (as many as it holds,
    at least ``P0``). Where that cannot lower the objective, a step that always can: from
    a point that solves its active-set problem (``kept``), only the worst violator joins;
    from any other, the support alone is solved. ``(moved, W, kept)``."""
    nonzero = W != 0
    n_violators = (scores > -np.inf).sum(axis=1)
    n_join = np.minimum(n_violators, np.maximum(tuning.P0, nonzero.sum(axis=1)))
    active, theta = _active_sets(W, grad, scores, n_join)
    small = active.sum(axis=1) <= tuning.BATCHED_MAX_ACTIVE
    moved, W_new, kept_new = _solve_groups(G, BT, W, active, theta, penalty, small)
    retry = small & ~moved & ((n_join > 1) | ~kept & (n_join > 0))
    if retry.any():
        active, theta = _active_sets(W[retry], grad[retry], scores[retry], kept[retry] * 1)
        again = _solve_groups(G, BT[retry], W[retry], active, theta, penalty)
        moved[retry], W_new[retry], kept_new[retry] = again
    return moved, W_new, kept_new


def applies(penalty):
    """Whether the search applies to ``penalty``: an L1 weight on every feature that is not
    excluded, and no bound (the signs alone then decide each active-set system)."""
    active = ~penalty.excluded
    return not penalty.constrained and bool(np.all(penalty.l1[active] > 0))


def penalty_rows(W, penalty):
    """``sum_j l1_j |w_j| + l2_j / 2 w_j^2`` of each row of ``W``."""
    value = np.abs(W) @ penalty.l1
    if penalty.has_l2:
        value += 0.5 * ((W * W) @ penalty.l2)
    return value


def _product(W, G):
    """``W G`` through the columns of ``W`` that some row uses."""
    used = np.flatnonzero(W.any(axis=0))
    return W[:, used] @ G[used]


def _scores(W, grad, penalty, valid, inv_norms):
    """The violation of each zero coefficient, ``(|g_j| - l1_j) / ||x_j||`` (``-inf`` for
    the support, invalid features and violations within ``_VIOLATION`` of ``l1_j``)."""
    score = (np.abs(grad) - penalty.l1) * inv_norms
    score[(W != 0) | ~valid | (score <= _VIOLATION * penalty.l1 * inv_norms)] = -np.inf
    return score


def _active_sets(W, grad, scores, n_join):
    """Each row's active set, its support and its ``n_join`` worst violators, and the
    signs held on it: the coefficients', and the gradient's for those that join."""
    nonzero = W != 0
    active = nonzero.copy()
    n_join = np.broadcast_to(n_join, W.shape[:1])
    most = int(n_join.max())
    if most:
        top = np.argpartition(-scores, most - 1, axis=1)[:, :most]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        top = np.take_along_axis(top, order, axis=1)
        rows, ranks = np.nonzero(np.arange(most) < n_join[:, None])
        active[rows, top[rows, ranks]] = True
    theta = np.where(nonzero, np.sign(W), np.sign(grad)) * active
    return active, theta


def _solve_groups(G, BT, W, active, theta, penalty, rows=None):
    """The steps of the rows (all, or the mask ``rows``), in groups of similar active-set
    sizes: ``(moved, W, kept)``, whether each row took a step (the others are to stop), the
    new points and whether their signs held (the new point then solves the active-set
    problem)."""
    sizes = active.sum(axis=1)
    order = np.argsort(sizes, kind="stable")
    if rows is not None:
        order = order[rows[order]]
    moved = np.zeros(sizes.size, dtype=bool)
    W_new = W.copy()
    kept = np.zeros(sizes.size, dtype=bool)
    start = 0
    while start < order.size:
        stop = start + 1  # the largest group whose padded systems fit _BATCH_ENTRIES
        while stop < order.size and (stop + 1 - start) * sizes[order[stop]] ** 2 <= _BATCH_ENTRIES:
            stop += 1
        group = order[start:stop]
        system = _PaddedSystems(G, BT[group], active[group], theta[group], penalty)
        result = system.step(W[group])
        if result is not None:
            moved[group], W_new[group], kept[group] = result
        start = stop
    return moved, W_new, kept


class _PaddedSystems:
    """The active-set systems of a group of rows, padded to the largest with unit rows:
    ``A = G_AA + diag(l2_A)`` stacked, with ``b_A`` and the signs held."""

    def __init__(self, G, BT, active, theta, penalty):
        n_rows, sizes = active.shape[0], active.sum(axis=1)
        m = max(int(sizes.max()), 1)
        rows, cols = np.nonzero(active)  # (row-major: each row's features in order)
        slots = np.arange(rows.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        idx = np.zeros((n_rows, m), dtype=np.intp)
        idx[rows, slots] = cols
        real = np.arange(m) < sizes[:, None]
        A = G[idx[:, :, None], idx[:, None, :]]
        A *= real[:, :, None] & real[:, None, :]
        diag = np.arange(m)
        A[:, diag, diag] += np.where(real, penalty.l2[idx], 1.0)
        self.A, self.idx, self.real, self.where = A, idx, real, (rows, cols, slots)
        self.b = np.take_along_axis(BT, idx, axis=1) * real
        self.l1 = penalty.l1[idx] * real
        self.sign = np.take_along_axis(theta, idx, axis=1) * real

    def objective(self, x):
        """``1/2 x^T A x - b^T x + l1 |x|`` of each row (the objective up to a constant)."""
        return np.einsum("ij,ij->i", 0.5 * np.einsum("ijk,ik->ij", self.A, x) - self.b, x) + (
            np.einsum("ij,ij->i", self.l1, np.abs(x))
        )

    def step(self, W):
        """Each row's step from its point ``W``: the solution ``u`` with the signs held if it
        keeps them; else the lower of ``u`` with the sign-changing coefficients set to zero
        and the point where the first coefficient of the support reaches zero on the way to
        ``u`` (those that just joined and would change sign stay at zero). A row moves only
        if that lowers its objective. ``(moved, W, kept)``, or None when a system is
        exactly singular."""
        try:
            u = np.linalg.solve(self.A, (self.b - self.l1 * self.sign)[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            return None
        w = np.take_along_axis(W, self.idx, axis=1) * self.real
        flips = self.real & (np.sign(u) != self.sign)
        pruned = np.where(flips, 0.0, u)
        crossing = flips & (w != 0)
        t = np.ones(w.shape)
        np.divide(w, w - u, out=t, where=crossing)
        first = t.min(axis=1, keepdims=True)
        partial = np.where(flips & (w == 0), 0.0, w + first * (u - w))
        partial[crossing & (t <= first)] = 0.0  # (exactly: it leaves the support)
        f_now, f_pruned, f_partial = map(self.objective, (w, pruned, partial))
        take_pruned = f_pruned <= f_partial
        x = np.where(take_pruned[:, None], pruned, partial)
        f_new = np.where(take_pruned, f_pruned, f_partial)
        moved = np.isfinite(f_new) & (f_new < f_now - _DECREASE * np.abs(f_now))
        rows, cols, slots = self.where
        W_new = np.zeros(W.shape)
        W_new[rows, cols] = x[rows, slots]
        return moved, W_new, moved & ~flips.any(axis=1)
