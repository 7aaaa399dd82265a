"""The exact finish: a feature-sign search on the support, through one factorization.

Once coordinate descent has identified the signs of a working-set problem's solution, that
solution solves a small linear system; the search here solves it exactly, letting features
leave (at zero), stop at a bound, or join (violators of the optimality conditions), and
ends on the exact solution of the working-set problem. Every step it takes lowers the
objective by more than its own rounding error; coordinate descent remains the engine that
finds the support and the safeguard.

Numeric core: imports NumPy (and the support system) only.
"""

import numpy as np

from . import _tuning as tuning
from ._support import SupportSystem, symmetric_product

__all__ = ["path_step", "solve_on_support"]

_EPS = np.finfo(np.float64).eps
#: a decrease counts only when it exceeds this many times its own rounding error
_NOISE_FACTOR = 64.0
#: solves of the support without its sign-changing coefficients, dropping those that change
#: sign in turn (``_FeatureSign._resolved``)
_RESOLVES = 4


def solve_on_support(
    G, b, w, support, penalty, *, system=None, coords=None, ceiling=np.inf, max_rounds=None
):
    """Exact finish by feature-sign search, starting from the support and signs of ``w``.

    The problem is ``1/2 w^T G w - b^T w + sum_j (l1_j |w_j| + l2_j/2 w_j^2)`` over the
    coordinates of ``G`` (``penalty`` a ``SeparablePenalty`` of the same length), with the
    penalty's bounds. Each round solves the smooth problem on the free support ``S`` (the
    non-zero coefficients strictly inside their bounds) with its signs held fixed and the
    coefficients at a bound ``B`` held there, ``(G_SS + diag(l2_S)) u = b_S - G_SB w_B -
    l1_S sign_S``. If ``u`` keeps the signs and the bounds it is the exact solution of the
    problem restricted to ``S``. Otherwise the objective is evaluated at ``u``, at every
    point of the segment ``[w_S, u]`` where a coefficient reaches zero or its bound, and at
    ``u`` with every sign-changing coefficient set to zero (clipped to the bounds); the best
    one becomes the next starting point (coefficients at zero leave the support, those at a
    bound join ``B``). A singular system (more features than samples, duplicated columns)
    first takes a step along its near-null direction that lowers the l1 norm
    (``_null_step``).

    With ``coords`` (the working set), a solution that keeps its signs is checked against
    the optimality conditions of the other coordinates of ``coords``: the worst violators
    (at zero, or at a bound that holds them back) join the free support and the search goes
    on, so that it ends on the exact solution of the whole working-set problem. Several may
    join at once; if that round cannot lower the objective, only the worst one joins.

    ``ceiling`` is the objective at ``w`` (with its rounding error): a point whose penalty
    alone exceeds what the objective has come down to cannot be better, whatever the
    (rounded) data-fit term says; such points, along near-null directions of singular
    systems, are never taken.

    The solves share one factorization (``system``, a ``SupportSystem`` of ``G`` and the
    L2 weights; a new one by default). The search stops after ``max_rounds`` rounds
    (default: ``NEWTON_ROUNDS``, twice that with ``coords``). Returns the new ``w`` (all
    coordinates of ``G``), or None when nothing was gained or the first system cannot be
    solved.
    """
    search = _FeatureSign(G, b, w, support, penalty, system, coords, ceiling)
    if max_rounds is None:
        max_rounds = tuning.NEWTON_ROUNDS if coords is None else 2 * tuning.NEWTON_ROUNDS
    for _ in range(max_rounds):
        if not search.round():
            break
    return search.w if search.improved else None


def path_step(G, b, w, support, penalty, *, system, coords, ceiling, joins=None):
    """``solve_on_support`` over the whole problem, with the gradient it ends on: from the
    previous solution ``w`` of a path at a new penalty, the search over the coordinates
    ``coords`` (the valid features) ends on the new solution when its last round finds
    no violator. Returns ``(w_new, grad)`` with ``grad = (G w_new - b)[coords]`` computed by
    that last check (the certificate needs no other product), ``(w_new, None)`` when the
    search stopped short of it (rounds spent, a system it could not solve), or None when
    it gained nothing. ``joins``: ``(features, signs)`` predicted to join, which join the
    support from the first round (as violators would after it)."""
    search = _FeatureSign(G, b, w, support, penalty, system, coords, ceiling)
    if joins is not None:
        search.join(*joins)
    for _ in range(2 * tuning.NEWTON_ROUNDS):
        if not search.round():
            break
    if not search.improved:
        return None
    return search.w, search.optimal_grad


class _FeatureSign:
    """The state of one feature-sign search (see ``solve_on_support``)."""

    def __init__(self, G, b, w, support, penalty, system, coords, ceiling):
        self.G, self.b, self.penalty, self.coords = G, b, penalty, coords
        self.system = SupportSystem(G, penalty.l2) if system is None else system
        self.w = np.array(w, dtype=np.float64)
        support = np.asarray(support, dtype=np.intp)
        at_bound = self._at_bound(support)
        self.S, self.B = support[~at_bound], support[at_bound]
        self.sign = np.sign(self.w[self.S])
        self.ceiling = ceiling
        self.improved = False
        self.joined = 0  # features that joined in the last round (0: none)
        self.fallback = None  # (S, sign, the worst violator, its sign): a retry after a join
        self.predicted = None  # mask of the features that joined by prediction (``join``)
        self._coords_penalty = None  # the penalty restricted to coords (formed once)
        #: the gradient at coords of the last check that found no violator (None: w has
        #: moved since, or no check found none)
        self.optimal_grad = None

    def _at_bound(self, idx):
        wi = self.w[idx]
        return (wi != 0) & ((wi == self.penalty.upper[idx]) | (wi == self.penalty.lower[idx]))

    def _rhs(self):
        S, B = self.S, self.B
        r = self.b[S] - self.penalty.l1[S] * self.sign
        if B.size:
            r = r - self.G[np.ix_(S, B)] @ self.w[B]
        return r

    def _grad(self, w_S):
        """Gradient of the smooth part on ``S`` at ``w_S`` (``B`` held)."""
        g = self.system.matvec(self.S, w_S) - self.b[self.S]
        if self.B.size:
            g = g + self.G[np.ix_(self.S, self.B)] @ self.w[self.B]
        return g

    def round(self):
        """One round; False when the search is over."""
        S = self.S
        w_S = self.w[S]
        u = self._solve(w_S, fresh=False)
        if u is None or u is True:
            return u is True
        events = self._events(u)
        if events.size and self._drop_predicted(events):
            return True
        if events.size == 0 and self.system.borrowed(S):
            # a solution through the factor of a larger singular block: S's own decides
            u = self._solve(w_S, fresh=True)
            if u is None or u is True:
                return u is True
            events = self._events(u)
        if events.size == 0:
            if self._penalty(u[:, None])[0] > self.ceiling:
                return False  # rounding: not the solution
            # (the objective at u is not above the one at w_S: the caller checks it)
            self.w[S] = u
            self.optimal_grad = None
            self.improved = self.improved or self.joined > 0 or not np.array_equal(u, w_S)
            # done, unless other coordinates of the working set violate optimality
            return self.coords is not None and self._join()
        return self._line_search(w_S, u, events)

    def _solve(self, w_S, fresh):
        """The solution on ``S`` (None: none), or True when a step along a near-null
        direction of a singular system was taken instead (``fresh``: see
        ``SupportSystem.solve``)."""
        S, system = self.S, self.system
        tried = None
        if not fresh and S.size and system.borrowed(S):
            # a near-null direction of the larger block's factor needs no solve on S
            tried = system.version
            if self._null_move(w_S):
                return True
        u = system.solve(S, self._rhs(), fresh=fresh) if S.size else np.zeros(0)
        if u is None:
            return None
        if not system.exact and system.version != tried and self._null_move(w_S):
            return True
        return u

    def _null_move(self, w_S):
        """Take the step along a near-null direction, if one lowers the objective."""
        step = _null_step(self, w_S)
        if step is None:
            return False
        self._move(*step)
        return True

    def _events(self, u):
        """The coordinates of ``u`` that changed sign or left their bounds."""
        S, pen = self.S, self.penalty
        # (an unpenalized coefficient has no breakpoint at zero: only its bounds stop it)
        flips = (np.sign(u) != self.sign) & (pen.l1[S] > 0)
        if pen.bounded:
            flips |= (u > pen.upper[S]) | (u < pen.lower[S])
        return flips.nonzero()[0]

    def _penalty(self, P, norm1=None):
        """``sum l1 |P| + l2/2 P^2`` of each column of ``P`` (values of ``S``), plus ``B``'s
        (``norm1``: ``l1 |P|`` when already known)."""
        S, pen = self.S, self.penalty
        value = pen.l1[S] @ np.abs(P) if norm1 is None else norm1
        if pen.has_l2:
            value = value + 0.5 * (pen.l2[S] @ (P * P))
        return value + pen.value(self.w[self.B]) if self.B.size else value

    def _line_search(self, w_S, u, events):
        """Candidates: the breakpoints on ``[w_S, u]`` where a coefficient reaches zero or
        its bound (along ``w_S + t d`` the smooth part changes by ``c1 t + c2 t^2 / 2``),
        ``u`` with every sign-changing coefficient set to zero and clipped to its bounds (all
        of them leave at once, where the breakpoints would let one leave per round), and the
        solution of the support without them (``_resolved``)."""
        S, pen, n = self.S, self.penalty, events.size
        l1_S = pen.l1[S]
        d = u - w_S
        grad = self._grad(w_S)
        c1, c2 = float(grad @ d), float(d @ self.system.matvec(S, d))
        # where each event's coefficient stops: zero when it changes sign, else its bound
        target = np.zeros(n)
        if pen.bounded:  # (without bounds every event is a sign change)
            lower, upper = pen.lower[S], pen.upper[S]
            crossing = (np.sign(u[events]) != self.sign[events]) & (l1_S[events] > 0)
            target = np.where(crossing, 0.0, np.clip(u[events], lower[events], upper[events]))
        num, den = target - w_S[events], d[events]
        # (den is zero for a feature that just joined and whose solution is exactly zero:
        # it is zero at u itself)
        t = np.ones(n + 1)
        np.divide(num, den, out=t[:n], where=den != 0.0)
        keeps = (np.sign(u) == self.sign) | (l1_S == 0)
        step = np.where(keeps, u, 0.0)
        if pen.bounded:
            np.clip(step, lower, upper, out=step)
        step -= w_S
        P = np.empty((S.size, n + 2))
        np.multiply(d[:, None], t, out=P[:, : n + 1])
        P[:, : n + 1] += w_S[:, None]
        P[events, np.arange(n)] = target
        P[:, n + 1] = w_S + step
        c2_step = float(step @ self.system.matvec(S, step))
        smooth = np.empty(n + 2)
        smooth[: n + 1] = c1 * t + 0.5 * c2 * t * t
        smooth[n + 1] = grad @ step + 0.5 * c2_step
        resolved = self._resolved(keeps)
        if resolved is not None:  # the solution without the sign-changing coefficients
            step2 = resolved - w_S
            c2_step2 = float(step2 @ self.system.matvec(S, step2))
            P = np.column_stack([P, resolved])
            smooth = np.append(smooth, grad @ step2 + 0.5 * c2_step2)
        # (the smooth part includes the L2 term: the system's matrix carries diag(l2_S))
        norm1 = l1_S @ np.abs(P)
        base1 = float(l1_S @ np.abs(w_S))
        change = smooth + (norm1 - base1)
        if pen.bounded:  # past its breakpoint a coefficient leaves its box
            change[np.any((P < lower[:, None]) | (P > upper[:, None]), axis=0)] = np.inf
        change[self._penalty(P, norm1) > self.ceiling] = np.inf  # cannot be better than w_S
        # a decrease at the level of its own rounding error would let the search cycle: the
        # error of c1 t + c2 t^2 / 2 (c2 a sum of |S|^2 terms that may cancel) and the norms
        root = np.sqrt(np.maximum(self.system.diag(S), 0.0))
        noise = np.empty(P.shape[1])
        noise[: n + 1] = (abs(c1) + np.sqrt(S.size) * float(np.abs(d) @ root) ** 2 * t) * t
        noise[: n + 1] += 0.5 * abs(c2) * t * t
        noise[n + 1] = abs(c1) + abs(c2_step) + np.sqrt(S.size) * float(np.abs(step) @ root) ** 2
        if resolved is not None:
            noise[n + 2] = (
                abs(float(grad @ step2))
                + abs(c2_step2)
                + np.sqrt(S.size) * float(np.abs(step2) @ root) ** 2
            )
        noise += norm1 + base1
        noise *= _NOISE_FACTOR * _EPS
        change[~(change < -noise)] = np.inf
        best = int(np.argmin(change))
        if np.isfinite(change[best]):
            self._move(P[:, best], change[best])
            return True
        if self.joined > 1:  # several joined at once and no step lowers the objective
            self._retry_worst()
            return True
        return False

    def _resolved(self, keeps):
        """The solution on the support without its sign-changing coefficients (``keeps``:
        the others), signs held, if it keeps them all (values of ``S``, zero where the
        signs changed), else None: where many signs change at once, the breakpoints let one
        coefficient leave per round. Unbounded problems only."""
        if self.penalty.bounded or self.B.size or keeps.all() or not keeps.any():
            return None
        S, rhs, keeps = self.S, self._rhs(), keeps.copy()
        held = (self.penalty.l1[S] == 0) | ~keeps  # (unpenalized: no sign to keep)
        for _ in range(_RESOLVES):
            u = self.system.solve_apart(S[keeps], rhs[keeps])
            if u is None or not np.all(np.isfinite(u)):
                return None
            flips = (np.sign(u) != self.sign[keeps]) & ~held[keeps]
            if not flips.any():
                out = np.zeros(S.size)
                out[keeps] = u
                return out
            keeps[keeps.nonzero()[0][flips]] = False  # these leave too, and again
            if not keeps.any():
                return None
        return None

    def _move(self, P, change):
        """Take the point ``P`` (values of ``S``): zeros leave, bounds join ``B``."""
        S, pen = self.S, self.penalty
        self.w[S] = P
        self.optimal_grad = None
        self.ceiling += change
        self.improved = True
        self.joined = 0
        keep = (P != 0.0) | (pen.l1[S] == 0)
        if pen.bounded:
            at_bound = self._at_bound(S)
            self.B = np.concatenate([self.B, S[at_bound]])
            keep &= ~at_bound
        self.S, self.sign = S[keep], np.sign(P[keep])

    def join(self, J, signs):
        """Let the features ``J`` (at zero, penalized, not at a bound) join ``S`` with the
        ``signs`` they are predicted to take, the first the likeliest (the one that joins
        alone if together they cannot lower the objective)."""
        self.fallback = (self.S, self.sign, int(J[0]), float(signs[0]))
        self.S = np.concatenate([self.S, J])
        self.sign = np.concatenate([self.sign, signs])
        self.joined = J.size
        self.predicted = np.zeros(self.w.size, dtype=bool)
        self.predicted[J] = True

    def _drop_predicted(self, events):
        """When every coefficient that changed sign is one predicted to join and still at
        zero, those leave again and the search goes on (True): their breakpoints are the
        start of the segment, so the line search could only take them out, at the cost of
        its evaluations."""
        if self.predicted is None:
            return False
        S = self.S
        E = S[events]
        if not (self.predicted[E].all() and not self.w[E].any()):
            return False
        keep = np.ones(S.size, dtype=bool)
        keep[events] = False
        self.S, self.sign = S[keep], self.sign[keep]
        self.predicted[E] = False
        left = self.predicted[self.S]
        if left.any():  # (the likeliest left: the one that joins alone, if it comes to it)
            first = int(left.nonzero()[0][0])
            self.fallback = (*self.fallback[:2], int(self.S[first]), float(self.sign[first]))
            self.joined = int(left.sum())
        else:
            self.fallback, self.joined = None, 0
        return True

    def _retry_worst(self):
        S, sign, j, s_j = self.fallback
        self.S, self.sign = np.append(S, j), np.append(sign, s_j)
        self.B = self.B[self.B != j]
        self.joined = 1

    def _fit_gradient(self, coords):
        """The data fit's gradient ``G w - b`` at ``coords`` (the L2 term is the penalty's),
        from the columns of the non-zero coefficients when they are few."""
        nz = (self.w != 0).nonzero()[0]
        if 4 * nz.size >= self.w.size:  # one product with G beats gathering its columns
            return symmetric_product(self.G, self.w)[coords] - self.b[coords]
        return (self.G[:, nz] @ self.w[nz])[coords] - self.b[coords]

    def _join(self):
        """Let the worst violators of the working set join ``S`` (False: there are none).

        A violator is a coordinate at zero whose gradient exceeds its L1 weight in a
        direction its bounds allow, or one held at a bound that the gradient pulls back
        inside; it joins with the sign it will take.
        """
        coords = self.coords
        pen = self.penalty
        w_c = self.w[coords]
        grad = self._fit_gradient(coords)
        if self._coords_penalty is None:
            m = self.w.shape[0]
            every = coords.size == m and np.array_equal(coords, np.arange(m))
            self._coords_penalty = pen if every else pen.restrict(coords)
        excess = self._coords_penalty.subdiff_distance(w_c, grad)
        free = np.zeros(self.w.shape[0], dtype=bool)
        free[self.S] = True
        excess[free[coords]] = 0.0
        violators = (excess > 0.0).nonzero()[0]
        if violators.size == 0:
            self.optimal_grad = grad
            return False
        n_join = min(violators.size, max(4, self.S.size // 4))
        if n_join < violators.size:
            violators = violators[np.argpartition(-excess[violators], n_join - 1)[:n_join]]
        signs = np.where(w_c[violators] != 0, np.sign(w_c[violators]), -np.sign(grad[violators]))
        worst = int(np.argmax(excess[violators]))
        self.fallback = (self.S, self.sign, coords[violators[worst]], signs[worst])
        self.S = np.concatenate([self.S, coords[violators]])
        self.sign = np.concatenate([self.sign, signs])
        if self.B.size:
            self.B = np.setdiff1d(self.B, coords[violators], assume_unique=True)
        self.joined = violators.size
        return True


def _null_step(search, w_S):
    """From ``w_S`` along the near-null direction of a singular support system that lowers
    the weighted l1 norm most, to the first coefficient that reaches zero or its bound:
    ``(point, objective change)``, or None (a regular system, no decrease beyond rounding).

    ``F^{-1} (l1 sign)`` through the factor ``F`` of the ill-conditioned block (inverse
    iteration) is dominated by the near-null directions of ``A = G_SS + diag(l2_S)``, where
    the data fit hardly changes; along ``d = -F^{-1} (l1 sign)`` the l1 term decreases at
    rate ``(l1 sign).d < 0`` until a coefficient reaches zero.
    """
    S, pen, system = search.S, search.penalty, search.system
    z = system.null_direction(S, pen.l1[S] * search.sign)
    if z is None:
        return None
    d = -z
    lower, upper = pen.lower[S], pen.upper[S]
    with np.errstate(divide="ignore", invalid="ignore"):
        to_zero = np.where(w_S * d < 0.0, -w_S / d, np.inf)
        to_bound = np.where(d > 0, (upper - w_S) / d, np.where(d < 0, (lower - w_S) / d, np.inf))
    t_each = np.minimum(to_zero, to_bound)
    first = int(np.argmin(t_each))
    t = float(t_each[first])
    if not np.isfinite(t):
        return None
    P = w_S + t * d
    if to_zero[first] <= to_bound[first]:
        P[first] = 0.0
    else:
        P[first] = upper[first] if d[first] > 0 else lower[first]
    grad = search._grad(w_S)
    quad = float(d @ system.matvec(S, d))
    l1 = pen.l1[S]
    change = t * float(grad @ d) + 0.5 * t * t * quad + float(l1 @ (np.abs(P) - np.abs(w_S)))
    root = np.sqrt(np.maximum(system.diag(S), 0.0))
    noise = (
        _NOISE_FACTOR
        * _EPS
        * (
            t * abs(float(grad @ d))
            + t * t * (abs(quad) + np.sqrt(S.size) * float(np.abs(d) @ root) ** 2)
            + float(l1 @ (np.abs(P) + np.abs(w_S)))
        )
    )
    return (P, change) if change < -noise else None
