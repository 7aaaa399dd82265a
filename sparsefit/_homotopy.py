"""Exact Lasso paths by homotopy, on a formed Gram matrix (small, tall problems) or through
the data (single fits with far more features than samples).

Along a decreasing ``alpha`` the Lasso solution is piecewise linear: between two breakpoints
the support ``A`` and its signs ``s`` are fixed and ``G_AA w_A = b_A - alpha c_A s_A``
(``c`` the L1 weights at ``alpha = 1``), so ``w_A`` moves along ``d = G_AA^{-1} (c s)_A``.
A breakpoint is where an inactive feature's correlation ``|b_j - G_jA w_A|`` reaches
``alpha c_j`` (it enters) or an active coefficient reaches zero (it leaves). Following the
breakpoints (the Lasso modification of least-angle regression, Efron et al. 2004) gives the
exact solution at every ``alpha`` of a grid by linear interpolation, at the cost of one
support solve per breakpoint (``SupportSystem``: one factorization, updated) instead of
coordinate-descent epochs at every grid point. On problems with few features this is far
cheaper than any iterative method, whatever the tolerance.

The solves run on the Gram matrix scaled to unit diagonal. A feature whose entry would
make the support system singular or ill-conditioned (a column in the span of the support's,
as the last level of a one-hot encoded category) stays out, on the boundary, until a
feature of that dependence leaves. Every grid point is then certified by the duality gap
like any other solution; a point that fails (rounding, a system that cannot be solved, the
breakpoint budget spent) is handed back to coordinate descent, warm-started from the
homotopy's point.

The same path serves single fits with far more features than samples
(``lasso_homotopy_fit``), followed through the data rather than a formed Gram matrix
(``_DataGram``: the entries the support's factor needs, and one product with the data per
breakpoint), once coordinate descent's support has grown past the number of samples.

Where several features are predicted to enter or leave before the next grid point, the
path leaps there: those entering join the factor, those leaving are held at zero, and the
point is solved on the new support, kept only if it is the solution (signs held, no other
feature beyond the boundary); otherwise the breakpoints are followed one by one.

Applies to pure L1 penalties (factors allowed, unpenalized and excluded features
included), without finite bounds.

Numeric core: imports NumPy only (SciPy's through the support system).
"""

import math

import numpy as np

from . import _tuning as tuning
from ._support import SupportSystem, symmetric_product

#: a support feature counts in a blocked feature's dependence when its coefficient in the
#: fit of that column is above this fraction of the largest (exact dependences, as a one-hot
#: category's last level or a duplicated column, leave the others at rounding level)
_DEPENDENCE = 1e-6
#: a leap's point is the solution when no feature outside its support has a correlation
#: beyond ``t1 c_j`` by more than this factor (rounding: such a feature would have entered
#: within a relative distance of about ``1e-10`` of ``t1``, where the gap certifies either)
_LEAP_SLACK = 1.0 + 1e-10
#: a leap is tried when at least this many features are predicted to enter before the next
#: grid point (one entry costs a breakpoint no more than a leap; measured on one-hot Ames,
#: its 100-point path: 1 as the minimum 1.03 times the time of 2, 3 the same as 2)
_LEAP_MIN = 2
#: a leap goes at most this factor below the current ``alpha`` (the default grid's step,
#: ``1e-3 ** (1 / 99)``): towards a distant grid point (a refit at one ``alpha``) by way of
#: intermediate points, where the prediction of a whole distance would fail
_LEAP_STEP = 0.933
#: a leap whose point has features beyond the boundary takes them in and solves again, at
#: most this many times in all
_LEAP_ROUNDS = 3
#: no features (a leap's leaving features when none leave)
_NONE = np.zeros(0, dtype=np.intp)

__all__ = ["fit_homotopy_applies", "homotopy_applies", "lasso_homotopy", "lasso_homotopy_fit"]


def homotopy_applies(workspace, unit):
    """Whether the homotopy serves a path of ``unit`` (the penalty at ``alpha = 1``)."""
    return (
        workspace.full_gram is not None
        and workspace.design.n_features <= tuning.HOMOTOPY_MAX_FEATURES
        and unit.formulation == "l1"
        and not np.any(unit.l2)
        and not unit.constrained
    )


class _DataGram:
    """The scaled Gram matrix ``Xt_a^T Xt_b / (root_a root_b)`` of a design's features
    ``idx``, never formed: its entries from the centred columns, cached as they are first
    read (what ``SupportSystem`` reads: blocks, one column of the support, the diagonal),
    and its products with a vector through the data (``product``)."""

    def __init__(self, design, idx, root):
        self.design, self.idx, self.root = design, idx, root
        m = idx.size
        self.shape = (m, m)
        self.cols = np.empty((design.n_samples, m), order="F")  # (scaled, centred)
        self.cached = np.zeros(m, dtype=bool)
        self.every = m == design.n_features

    def columns(self, S):
        S = np.atleast_1d(S)
        new = S[~self.cached[S]]
        if new.size:
            self.cols[:, new] = self.design.columns(self.idx[new]) / self.root[new]
            self.cached[new] = True
        return self.cols[:, S]

    def __getitem__(self, key):
        a, b = key
        if np.ndim(a) == 0 and np.ndim(b) == 0:
            return 1.0 if a == b else float(self.columns(a)[:, 0] @ self.columns(b)[:, 0])
        if np.ndim(a) == 1 and np.ndim(b) == 1:  # (the diagonal of a block)
            if not np.array_equal(a, b):
                raise IndexError("only the diagonal is read entry by entry")
            return np.ones(len(a))
        out = self.columns(np.ravel(a)).T @ self.columns(np.ravel(b))
        return out[:, 0] if np.ndim(b) == 0 else out

    def product(self, S, v):
        """``G[:, S] @ v`` through the data: ``Xt^T (Xt_S v)``, scaled."""
        out = self.design.rmatvec(self.columns(S) @ v)
        return (out if self.every else out[self.idx]) / self.root


class _Path:
    """The homotopy's state in scaled coordinates ``u = w * sqrt(diag G)``."""

    def __init__(self, G, b, l1, free, design=None):
        """On the Gram matrix ``G``, or on ``design`` itself (``G`` None: its scaled Gram
        matrix by entries on demand, ``_DataGram``)."""
        root = np.sqrt(design.col_norms2 if G is None else np.diag(G))
        free = free & (root > 0)
        self.idx = free.nonzero()[0]
        r = root[self.idx]
        self.root = r
        #: products cost a pass over the data: the correlations are recomputed every
        #: ``HOMOTOPY_REFRESH`` breakpoints only (on the Gram matrix also after a leave)
        self.through_data = G is None
        if G is None:
            self.G = _DataGram(design, self.idx, r)
        else:
            every = self.idx.size == G.shape[0]
            scaled = (G if every else G[np.ix_(self.idx, self.idx)]) / np.outer(r, r)
            # (exactly symmetric: its transpose is itself, in Fortran order)
            self.G = scaled.T if scaled.flags.c_contiguous else np.asfortranarray(scaled)
        self.b = b[self.idx] / r
        self.c = l1[self.idx] / r
        self.penalized = self.c > 0
        self.any_unpenalized = not self.penalized.all()
        self.system = SupportSystem(self.G, 0.0)
        m = self.idx.size
        self.u = np.zeros(m)
        self.sign = np.zeros(m)
        self.in_active = ~self.penalized  # unpenalized features: always free
        self.corr = self.b.copy()
        #: the feature that left at the last breakpoint: its correlation sits on the
        #: boundary and moves inside (in exact arithmetic); it may not re-enter at once
        self.left = -1
        #: the feature that entered at the last breakpoint (-1: none)
        self.entered = -1
        #: features whose entry made the support system singular or ill-conditioned: they
        #: stay out until a feature of their dependence leaves (see ``block_entry``)
        self.blocked = np.zeros(m, dtype=bool)
        self.involved = {}  # blocked feature -> the support's features it depends on (None: any)
        self.half = None  # (factor version, R^{-T} (c s)_A): ``_half``
        self._num, self._rate = np.empty((2, m)), np.empty((2, m))  # (``next_event``'s)

    def start(self):
        """Fit the unpenalized features; return ``alpha_max`` (None: a singular system)."""
        U = self.in_active.nonzero()[0]
        if U.size:
            u_U = self.system.solve(U, self.b[U])
            if u_U is None or not self.system.exact:
                return None
            self.u[U] = u_U
            self.corr = self.b - self.product(U, u_U)
        P = self.penalized.nonzero()[0]
        if P.size == 0:
            return 0.0
        ratios = np.abs(self.corr[P]) / self.c[P]
        return float(ratios.max())

    def w(self, p, u=None):
        out = np.zeros(p)
        out[self.idx] = (self.u if u is None else u) / self.root
        return out

    def direction(self):
        """``(active, d, a)``: the support (in the factor's order), ``du/d(-alpha)`` on it
        and ``dcorr/d(-alpha)`` on every feature; None when the feature that entered last
        would make the support system singular or ill-conditioned (the factor is kept: see
        ``block_entry``), or the system is not exact."""
        system = self.system
        if self.entered >= 0 and not system.extend(self.entered):
            return None
        if not system.exact:
            return None
        active = system.base
        d = system.backward(self._half(active))
        if not math.isfinite(d.sum()):  # (an overflow of the sum: given up too)
            return None
        return active, d, self.product(active, d)

    def _half(self, active):
        """``R^{-T} (c s)_A``, the forward half of the direction's solve, kept: the signs
        of the support do not change while it is in the factor, so after an append only
        the new rows are solved (``SupportSystem.extend_forward``)."""
        system = self.system
        if self.half is not None:
            version, h = self.half
            if version == system.version:
                return h
            new = active[h.size :]
            h_T = system.extend_forward(version, h, self.c[new] * self.sign[new])
            if h_T is not None:
                h = np.concatenate((h, h_T))
                self.half = system.version, h
                return h
        h = system.forward(self.c[active] * self.sign[active])
        self.half = system.version, h
        return h

    def product(self, S, v):
        """``G[:, S] @ v``: one product with the whole matrix when ``S`` is a quarter of the
        features or more (gathering the columns would copy more than the product reads)."""
        if isinstance(self.G, _DataGram):
            return self.G.product(S, v)
        if 4 * S.size < self.G.shape[0]:
            return self.G[:, S] @ v
        full = np.zeros(self.G.shape[0])
        full[S] = v
        return symmetric_product(self.G, full)

    def block_entry(self):
        """Take back the entry of the last breakpoint, whose feature made the support
        system singular or ill-conditioned (False: the last breakpoint was no entry).

        Such a feature's column is (numerically) in the span of the support's, e.g. the
        last level of a one-hot encoded category, whose centred column is minus the sum of
        the others: its correlation then moves with theirs, and its entry is a rounding
        artefact of a tie on the boundary, where ``w_j = 0`` meets the optimality conditions
        as well. It stays out until a feature of that dependence leaves (``unblock``; every
        other leave keeps its column in the span); the duality gap of every grid point
        checks the result."""
        j = self.entered
        if j < 0:
            return False
        self.in_active[j], self.sign[j], self.blocked[j] = False, 0.0, True
        self.entered = -1
        self.involved[j] = self._dependence(j)
        return True

    def _dependence(self, j):
        """The support's features whose columns combine into (nearly) ``j``'s: those with a
        coefficient above ``_DEPENDENCE`` of the largest in the least-squares fit of its
        column on the support's (None when the factor is not exact: any leave counts)."""
        system = self.system
        if not system.exact or not system.base.size:
            return None
        x = np.abs(system.solve_base(self.G[system.base, j]))
        if not np.isfinite(x.sum()):
            return None
        return frozenset(system.base[x > _DEPENDENCE * x.max()].tolist())

    def unblock(self, left):
        """After ``left`` left the support: the blocked features whose dependence involved it
        may enter again."""
        for j, involved in list(self.involved.items()):
            if involved is None or left in involved:
                self.blocked[j] = False
                del self.involved[j]

    def next_event(self, t, active, d, a):
        """``(delta, feature, enters)`` of the next breakpoint below ``t``."""
        c, corr = self.c, self.corr
        tc = t * c
        # |corr_j - delta a_j| = (t - delta) c_j, reached from below (row 0) or from above
        # (row 1): the distances to the boundary (non-negative up to rounding) over the rates
        # of approach, on every feature at once and then masked (gathering the candidates
        # costs more); where the boundary is not approached the division is discarded (the
        # caller silences its warnings: masked divisions cost more)
        num, rate = self._num, self._rate
        np.subtract(tc, corr, out=num[0])
        np.add(tc, corr, out=num[1])
        np.subtract(c, a, out=rate[0])
        np.add(c, a, out=rate[1])
        np.maximum(num, 0.0, out=num)
        np.divide(num, rate, out=num)
        num[rate <= 0] = np.inf
        if self.left >= 0:  # (it may cross to the other side: the opposite sign)
            num[1 if corr[self.left] < 0 else 0, self.left] = np.inf
        steps = np.minimum(num[0], num[1])
        steps[self.in_active | self.blocked] = np.inf  # (unpenalized features are active)
        feature = int(steps.argmin())
        best, enters = float(steps[feature]), True
        zero_at = -self.u[active] / d
        # only those shrinking (``u d < 0``: a positive ratio; a zero, negative or undefined
        # one never reaches zero), and penalized
        zero_at[~(zero_at > 0)] = np.inf
        if self.any_unpenalized:
            zero_at[~self.penalized[active]] = np.inf
        leave = np.inf
        if zero_at.size:
            k = int(zero_at.argmin())
            leave = float(zero_at[k])
            if leave < best:
                best, feature, enters = leave, int(active[k]), False
        self.events = steps, zero_at, leave  # (every feature's, and the first leave: ``leap``)
        return best, feature, enters

    def leap(self, t, t1, active, d, a):
        """Go from ``t`` straight to the grid point ``t1`` below it when the segment's
        prediction (``next_event``'s, along ``d``) has ``_LEAP_MIN`` or more features
        entering or leaving before ``t1``: those entering join the factor, those leaving
        are held at zero (``_without``), and the solution at ``t1`` is solved on the new
        support, with the new direction. It is taken if it is the Lasso solution there
        (every sign held, no other feature's correlation beyond ``t1``, the leaving ones
        included), which the breakpoints would have reached one event at a time (a solve, a
        product and a search per event); the leaving features then leave the factor.
        Otherwise the factor is cut back and nothing changes (None). A leave that would
        unblock a feature (``unblock``) is not leapt over: the leap stops half-way from the
        last entry before it. Returns ``(t1, (active, d, a))``, the new segment's."""
        steps, zero_at, leave = self.events
        span = t - t1
        if self.through_data or not span > 0:
            return None
        L = _NONE
        if leave <= span:
            L = self._leaving(active[zero_at <= span])
            if L is None:  # (then only as far as half-way from the last entry to it)
                E = (steps < leave).nonzero()[0]
                if E.size < _LEAP_MIN:
                    return None
                span = 0.5 * (steps[E].max() + leave)
                t1 = t - span
                L = _NONE
        E = (steps <= span).nonzero()[0]
        if E.size + L.size < _LEAP_MIN:  # (one event: a breakpoint costs no more)
            return None
        s_E = np.sign(self.corr[E] - steps[E] * a[E])  # (the side each one reaches)
        if not s_E.all():
            return None
        system, k0 = self.system, active.size
        h0 = self.half[1] if self.half and self.half[0] == system.version else None
        found, held_out = None, []
        for _ in range(_LEAP_ROUNDS):
            self._join(E, s_E, held_out)
            if system.base.size == k0 and not L.size:
                break
            found = self._point(t, t1, k0, h0, held_out, L)
            if found is None or isinstance(found, tuple):
                break
            # features beyond the boundary at t1: they join too, on their side
            E = found
            s_E = np.sign(self.corr_at_t1[E])
            found = None
        if found is None:
            self.sign[system.base[k0:]] = 0.0
            system.shrink(k0)
            for j in held_out:  # (blocked for this leap only)
                self.blocked[j] = False
                del self.involved[j]
            return None
        A, d, u, half, corr = found
        for j in L:  # (now out of the factor: ``A`` is the rest, in its order)
            self.u[j], self.sign[j], self.in_active[j] = 0.0, 0.0, False
            system.remove(j)
        self.u[A] = u
        self.in_active[A] = True
        self.corr = corr
        self.half = None if half is None else (system.version, half)
        self.left = self.entered = -1
        return t1, (A, d, self.product(A, d))

    def _signs_held(self, A, u):
        """Whether ``u`` on ``A`` has the support's signs (unpenalized features: any)."""
        if self.any_unpenalized:
            return bool((np.sign(u) == self.sign[A])[self.penalized[A]].all())
        return bool((u * self.sign[A] > 0.0).all())

    def _without(self, A, u, d, L):
        """``(A', u', d')``: the factor's support ``A`` without ``L`` and the solution and
        direction ``u``, ``d`` on it constrained to zero on ``L``: with ``Z = G_AA^{-1}
        E_L``, ``u' = u - Z Z_LL^{-1} u_L`` (two triangular solves per feature of ``L``;
        the factor is not changed); None if it cannot be solved."""
        pos = self.system.pos[L]
        if L.size == 1:
            e = np.zeros(A.size)
            e[pos] = 1.0
            z = self.system.solve_base(e)
            u, d = u - z * (u[pos] / z[pos]), d - z * (d[pos] / z[pos])
        else:
            e = np.zeros((A.size, L.size))
            e[pos, np.arange(L.size)] = 1.0
            Z = self.system.solve_base(e)
            try:
                lam = np.linalg.solve(Z[pos], np.column_stack((u[pos], d[pos])))
            except np.linalg.LinAlgError:  # (a singular block of the inverse: rounding)
                return None
            u, d = (np.column_stack((u, d)) - Z @ lam).T
        keep = np.ones(A.size, dtype=bool)
        keep[pos] = False
        return A[keep], u[keep], d[keep]

    def _leaving(self, L):
        """The features ``L`` predicted to leave before a leap's end, if the leap may go
        past them: no blocked feature's dependence involves them (their leave would unblock
        it, see ``unblock``), else None."""
        for involved in self.involved.values():
            if involved is None or not involved.isdisjoint(L.tolist()):
                return None
        return L

    def _join(self, E, s_E, held_out):
        """Append ``E`` to the factor with the signs ``s_E`` (tentative). A feature that
        would make it singular or ill-conditioned stays out, blocked as at a breakpoint
        (``block_entry``), and is listed in ``held_out``."""
        self.sign[E] = s_E
        for j in E:  # (one at a time: cheaper than a block append of a few)
            if not self.system.extend(j):
                self.sign[j] = 0.0
                self.blocked[j] = True
                self.involved[j] = self._dependence(j)
                held_out.append(j)

    def _point(self, t, t1, k0, h0, held_out, L):
        """The solution at ``t1`` on the factor's support with its signs (the support at
        ``t`` and the features appended after its ``k0``): ``(A, d, u, half, corr)`` if it is
        the Lasso solution there; the features beyond the boundary if only they stop it;
        None if a sign did not hold or a feature held out of the factor by this leap is
        beyond the boundary (``h0``: the forward half at ``t``, if kept). The features ``L``
        (predicted to leave) are held at zero and are not part of ``A``; one beyond the
        boundary at ``t1`` does not leave, and the point is refused (``half`` is None when
        ``L`` is not empty: the factor will change). (A feature blocked at its breakpoint
        stays on the boundary, tied; one held out by a leap is not tied at ``t1``: a zero
        coefficient is optimal for it only inside.)"""
        system, A = self.system, self.system.base
        if h0 is None:  # the direction and the point at t1, from scratch
            half = system.forward(self.c[A] * self.sign[A])
            d = system.backward(half)
            u = system.backward(system.forward(self.b[A]) - t1 * half)
        else:  # the same from the point at t: only the new rows solved forward
            E, cs = A[k0:], self.c[A[k0:]] * self.sign[A[k0:]]
            h_E = system.forward_tail(k0, h0, cs)
            # (the system's residual at t: zero on the old support, ``corr - t c s`` on E)
            x_E = system.forward_tail(k0, None, self.corr[E] - t * cs)
            if h_E is None or x_E is None:
                return None
            half = np.concatenate((h0, h_E))
            d = system.backward(half)
            rhs = (t - t1) * half
            rhs[k0:] += x_E
            u = system.backward(rhs)
            u[:k0] += self.u[A[:k0]]
        if L.size:  # the leaving features held at zero
            kept = self._without(A, u, d, L)
            if kept is None:
                return None
            (A, u, d), half = kept, None
        if not (system.exact and math.isfinite(u @ d)):
            return None
        if not self._signs_held(A, u):
            return None
        corr = self.b - self.product(A, u)
        over = np.abs(corr) > (t1 * _LEAP_SLACK) * self.c
        over[A] = False
        if (held_out and over[held_out].any()) or over[L].any():
            return None  # (a leaving feature beyond it: it does not leave before t1)
        over &= ~self.blocked
        if over.any():
            self.corr_at_t1 = corr
            return over.nonzero()[0]
        return A, d, u, half, corr


def fit_homotopy_applies(workspace, penalty):
    """Whether a single Lasso fit (``penalty`` in solver units) starts from its exact
    solution by homotopy through the data: few samples and many more features (the
    supports come near ``n``, where coordinate descent converges slowly and its exact
    finishes meet singular systems), a design whose products stay in cache, pure L1."""
    design = workspace.design
    n, p = design.n_samples, design.n_features
    return (
        workspace.full_gram is None
        and design.has_samples
        and not design.sparse
        and n <= tuning.FIT_HOMOTOPY_MAX_SAMPLES
        and p >= tuning.FIT_HOMOTOPY_MIN_RATIO * n
        and n * p <= tuning.FIT_HOMOTOPY_MAX_ENTRIES
        and penalty.formulation == "l1"
        and not penalty.has_l2
        and not penalty.constrained
    )


def lasso_homotopy_fit(design, b, penalty, free):
    """The exact solution at ``penalty`` (solver units: the path's end at ``alpha = 1``),
    followed through the data (``_DataGram``), or None: the path ran out of breakpoints
    (``FIT_HOMOTOPY_STEPS_PER_SAMPLE`` times the number of samples) or met a system it
    cannot solve."""
    budget = tuning.FIT_HOMOTOPY_STEPS_PER_SAMPLE * design.n_samples
    W = lasso_homotopy(None, b, penalty, np.ones(1), free, design=design, budget=budget)
    return W[:, 0] if W.shape[1] else None


def lasso_homotopy(G, b, unit, alphas, free, design=None, budget=None):
    """The exact Lasso solutions at the decreasing ``alphas``, by homotopy.

    Parameters
    ----------
    G : ndarray of shape (p, p)
        The full Gram matrix (solver units), ``b`` = ``Xt^T yt``.
    unit : SeparablePenalty
        The penalty at ``alpha = 1`` (``homotopy_applies``).
    alphas : ndarray, decreasing
    free : ndarray of bool
        The features that may be non-zero (others are held at zero).
    design : design, optional
        With ``G`` None: the path through the data (``_DataGram``).
    budget : int, optional
        The breakpoints allowed (default ``HOMOTOPY_STEPS_PER_FEATURE`` per feature).

    Returns
    -------
    W : ndarray of shape (p, n_done)
        The solutions at ``alphas[:n_done]``; ``n_done < len(alphas)`` when the homotopy
        stopped early (a singular support system, or ``HOMOTOPY_STEPS_PER_FEATURE`` times
        the number of features in breakpoints): coordinate descent takes over there.
    """
    p = b.shape[0]
    path = _Path(G, b, unit.l1, free & ~unit.excluded, design)
    alphas = np.asarray(alphas, dtype=np.float64)
    W = np.empty((p, alphas.size))
    t = path.start()
    if t is None:
        return W[:, :0]
    k = 0
    while k < alphas.size and alphas[k] >= t:
        W[:, k] = path.w(p)
        k += 1
    if k < alphas.size and t > 0:
        P = path.penalized.nonzero()[0]
        j = int(P[np.argmax(np.abs(path.corr[P]) / path.c[P])])
        path.in_active[j] = True
        path.sign[j] = np.sign(path.corr[j]) or 1.0
        path.entered = j
    with np.errstate(divide="ignore", invalid="ignore"):  # (see ``next_event``)
        if budget is None:
            budget = tuning.HOMOTOPY_STEPS_PER_FEATURE * path.idx.size
        k = _follow(path, t, alphas, W, k, budget)
    return W[:, :k]


def _follow(path, t, alphas, W, k, budget):
    """Follow the path from ``t`` (the grid's ``alphas[:k]`` done) for at most ``budget``
    breakpoints, filling ``W``; the number of grid points done."""
    p = W.shape[0]
    found = None  # (the segment's direction, when a leap has solved it)
    retry_below = np.inf  # after a failed leap, none until the breakpoints pass its target
    for step in range(budget):
        if k == alphas.size:
            break
        found = found or path.direction()
        if found is None:
            if path.block_entry():
                continue
            break
        active, d, a = found
        found = None
        delta, feature, enters = path.next_event(t, active, d, a)
        end = t - delta
        while k < alphas.size and alphas[k] >= end:  # grid points on this segment
            u = path.u.copy()
            u[active] += (t - alphas[k]) * d
            W[:, k] = path.w(p, u)
            k += 1
        if k == alphas.size or not np.isfinite(delta):
            break
        # the next grid point, or a grid step below the last one passed (towards a distant
        # grid point by way of intermediate points): the breakpoint at ``end`` and those
        # after it up to there may be leapt over together
        target = max(alphas[k], min(t, alphas[k - 1] if k else t) * _LEAP_STEP)
        if enters and end > target and min(t, target / _LEAP_STEP) <= retry_below:
            found = path.leap(t, target, active, d, a)
            if found is None:
                retry_below = target  # (the breakpoints go on to it)
            else:
                t, found = found
                while k < alphas.size and alphas[k] >= t:
                    W[:, k] = path.w(p)
                    k += 1
                continue
        path.u[active] += delta * d
        t = end
        path.left = path.entered = -1
        if enters:
            path.in_active[feature] = True
            path.sign[feature] = np.sign(path.corr[feature] - delta * a[feature]) or 1.0
            path.entered = feature
        else:
            path.u[feature] = 0.0
            path.in_active[feature] = False
            path.sign[feature] = 0.0
            path.left = feature
            path.unblock(feature)  # (the blocked that depended on it may be independent now)
            path.system.remove(feature)
        if (enters or path.through_data) and step % tuning.HOMOTOPY_REFRESH:
            path.corr -= delta * a  # (linear along the segment)
        else:  # recomputed from the support now and then: no drift from the updates
            support = path.in_active.nonzero()[0]
            path.corr = path.b - path.product(support, path.u[support])
    return k
