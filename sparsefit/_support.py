"""The exact finish's linear algebra: one Cholesky factorization serving a changing support.

Numeric core: imports NumPy and SciPy only.
"""

import numpy as np
from scipy.linalg import blas, lapack

from . import _tuning as tuning

__all__ = ["SupportSystem", "symmetric_product"]

#: block size of the triangular-pentagonal QR that deletes a column (``dtpqrt``; measured
#: 0.12 against 0.21 ms unblocked for a tail of 150)
_QR_BLOCK = 32
#: the factor's buffer has room for ``1 / _ROOM_DIVISOR`` more features (at least
#: ``_ROOM_MIN`` in all): the triangular solves run over the whole buffer (a view of its
#: leading block would be copied), so its spare room costs every solve, where growing it
#: copies the factor once
_ROOM_DIVISOR = 4
_ROOM_MIN = 32


def symmetric_product(G, v):
    """``G @ v`` for a symmetric ``G``: BLAS's symmetric product for float64, which reads
    one triangle (half the memory of a general product: measured on 1000 features, 0.11
    against 0.17 ms). A Gram matrix is symmetric up to the rounding of its entries, which
    the certificates' error model already allows for."""
    if G.dtype == np.float64 and v.ndim == 1 and v.dtype == np.float64:
        if G.flags.f_contiguous:
            return blas.dsymv(1.0, G, v)
        if G.flags.c_contiguous:
            return blas.dsymv(1.0, G.T, v)  # (its transpose: itself, in Fortran order)
    return G @ v


class SupportSystem:
    """Solves ``(G_SS + diag(l2_S)) u = r`` for supports ``S``, sharing one Cholesky
    factorization.

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
    than ``SCHUR_MAX_RATIO``: updates would lose digits). A singular block's factor (of
    ``A + jitter I``: its solves are refined) is extended with the same jitter: along a path
    on one-hot data every support is singular. The factor lives in the upper
    triangle of a square buffer whose unused part is the identity, so a solve with the
    whole buffer needs no copy (the padding solves to zero) and an append writes in place.
    Kept by the caller, one object serves every subproblem of a fit and every ``alpha`` of
    a path with the same ``G`` and ``l2`` (``matches``).
    """

    def __init__(self, G, l2):
        self.G = G
        l2 = np.asarray(l2, dtype=np.float64)
        self.l2 = None if not np.any(l2) else np.broadcast_to(l2, (G.shape[0],)).copy()
        self.pos = np.full(G.shape[0], -1, dtype=np.intp)
        self.base = np.zeros(0, dtype=np.intp)
        self.buf = np.zeros((0, 0), order="F")
        self.exact = False
        #: the last factorization needed a jitter: the block ``S`` is (numerically) singular
        self.jittered = False
        self._jitter = 0.0  # (added to the diagonal of a jittered factor and its appendices)
        self._version = 0  # changes with the factor
        self._removed = None  # ((version, removed positions), R^{-T} E_D): ``_removed_half``
        self._singular = None  # the last block that needed a jitter
        self._span = None  # (version, min, max) of the factor's diagonal: ``_diagonal_span``
        self._last_forward = None  # (version, rhs, R^{-T} rhs) on base: ``_forward``
        self._grown = None  # (version before, version after, Z, Rc) of the last append

    def _block(self, a, b):
        if isinstance(self.G, np.ndarray):  # columns, then rows: 3x faster than ``np.ix_``
            return self.G[:, b][a]
        return self.G[np.ix_(a, b)]  # (a Gram matrix read by entries: ``_homotopy``)

    def _reset(self, S, factor, exact):
        """Make ``factor`` (upper, of ``S``) the one in use, in a buffer with spare room."""
        k = S.size
        cap = min(self.G.shape[0], max(k + k // _ROOM_DIVISOR, _ROOM_MIN))
        self._version += 1
        self.buf = np.eye(cap, order="F")
        # (only the upper triangle is ever read: the solves are triangular)
        self.buf[:k, :k] = factor
        self.pos[self.base] = -1
        self.base = S.copy()
        self.pos[S] = np.arange(k)
        self.exact = exact

    def _well_conditioned(self, diag):
        diag = np.abs(diag)
        return bool(diag.min() * tuning.SCHUR_MAX_RATIO > diag.max())

    def _system_block(self, S):
        """``G_SS + diag(l2_S)`` (a new array)."""
        A = self._block(S, S)
        if self.l2 is not None:
            A[np.diag_indices_from(A)] += self.l2[S]
        return A

    def _factorize(self, S):
        A = self._system_block(S)
        # LAPACK directly (upper Cholesky factor): these systems are often small, and the
        # checking wrappers would cost more than the factorization
        exact = False
        if not self._contains_singular(S):
            factor, info = lapack.dpotrf(A, lower=False, clean=False)
            exact = info == 0
        self.jittered = not exact
        if not exact:
            # (numerically) singular block, e.g. collinear columns: a tiny ridge still gives a
            # descent direction, and the caller keeps the result only if the objective decreases
            jitter = tuning.JITTER * float(np.mean(np.diag(A))) + np.finfo(float).tiny
            A[np.diag_indices_from(A)] += jitter
            self._jitter = jitter
            factor, info = lapack.dpotrf(A, lower=False, clean=False, overwrite_a=True)
            if info != 0 or not np.all(np.isfinite(np.diag(factor))):
                self.pos[self.base] = -1
                self.base = np.zeros(0, dtype=np.intp)
                self.exact = False
                return False
            self._singular = S.copy()
        self._reset(S, factor, exact and self._well_conditioned(np.diag(factor)))
        return True

    def _contains_singular(self, S):
        """Whether ``S`` contains the last block that needed a jitter: a matrix with a
        singular principal block is singular, so its plain factorization would fail too
        (after a partial factorization)."""
        K = self._singular
        return K is not None and K.size <= S.size and bool(np.isin(K, S).all())

    def _append(self, T):
        """Append the features ``T`` to the factor (False: they would make it ill-conditioned,
        or a factorization failed; the factor is then unchanged)."""
        if T.size == 1:
            return self._append_one(int(T[0]))
        k, m = self.base.size, T.size
        cap = self.buf.shape[0]
        rhs = np.zeros((cap, m), order="F")
        rhs[:k] = self._block(self.base, T)
        Z = self._trsm(rhs)  # R^T Z = G_BT
        if Z is None:
            return False
        Z = Z[:k]
        C = self._block(T, T) - Z.T @ Z
        if self.l2 is not None:
            C[np.diag_indices_from(C)] += self.l2[T]
        if self.jittered:  # the factor of the jittered block, extended
            C[np.diag_indices_from(C)] += self._jitter
        factor, info = lapack.dpotrf(C, lower=False, clean=True)
        diag = factor.diagonal()
        if info != 0 or not np.isfinite(factor).all():
            return False
        if not self.jittered:
            low, high = diag.min(), diag.max()
            if k:
                old_low, old_high = self._diagonal_span()
                low, high = min(low, old_low), max(high, old_high)
            if not low * tuning.SCHUR_MAX_RATIO > high:
                return False
        self._room(k + m)
        self._version += 1
        self.buf[:k, k : k + m] = Z
        self.buf[k : k + m, k : k + m] = factor
        self.pos[T] = np.arange(k, k + m)
        self.base = np.concatenate([self.base, T])
        if not self.jittered:
            self._span = (self._version, float(low), float(high))
        self._appended(self._version - 1, Z, factor)
        return True

    def _append_one(self, j):
        """``_append`` of one feature: a triangular solve for its column of the factor and
        a square root for its diagonal entry (no blocks gathered, no factorization called:
        the path of a homotopy appends one feature per breakpoint)."""
        k, cap = self.base.size, self.buf.shape[0]
        if not k:  # a factor of one feature: exact if it is positive
            self.exact, self.jittered = True, False
            z = np.zeros(0)
            c = float(self.G[j, j])
        else:
            g = np.zeros(cap)
            # (a column, then the rows: half the cost of indexing both at once)
            g[:k] = (
                self.G[:, j][self.base] if isinstance(self.G, np.ndarray) else self.G[self.base, j]
            )
            z = blas.dtrsv(self.buf, g, trans=1, overwrite_x=1)[:k]  # R^T z = G_Bj
            c = float(self.G[j, j]) - blas.ddot(z, z)
            if self.jittered:
                c += self._jitter
        if self.l2 is not None:
            c += float(self.l2[j])
        if not (c > 0.0 and c < np.inf):
            return False
        r = c**0.5
        span = None
        if k and not self.jittered:
            low, high = self._diagonal_span()  # (positive)
            span = min(low, r), max(high, r)
            if not span[0] * tuning.SCHUR_MAX_RATIO > span[1]:
                return False
        if k >= cap:
            self._room(k + 1)
        self._version += 1
        self.buf[:k, k] = z
        self.buf[k, k] = r
        self.pos[j] = k
        base = np.empty(k + 1, dtype=np.intp)  # (``np.append`` costs twice as much)
        base[:k] = self.base
        base[k] = j
        self.base = base
        if span is not None:
            self._span = (self._version, *span)
        self._appended(self._version - 1, z, r)
        return True

    def _diagonal_span(self):
        """``(min, max)`` of the factor's diagonal, kept from one append to the next."""
        if self._span is None or self._span[0] != self._version:
            diag = self.buf.diagonal()[: self.base.size]
            self._span = (self._version, float(diag.min()), float(diag.max()))
        return self._span[1], self._span[2]

    def _room(self, size):
        """A buffer for a factor of ``size`` features (more room, the factor copied once)."""
        if size <= self.buf.shape[0]:
            return
        k, old = self.base.size, self.buf
        self.buf = np.eye(
            min(self.G.shape[0], max(size + size // _ROOM_DIVISOR, _ROOM_MIN)), order="F"
        )
        self.buf[:k, :k] = old[:k, :k]

    # -- the factorized set itself, feature by feature (the homotopy's breakpoints) ---------
    def extend(self, j):
        """Append feature ``j`` to the factor (False: it would make it singular or
        ill-conditioned; the factor is then unchanged)."""
        return self._append_one(int(j))

    def remove(self, j):
        """Drop feature ``j`` from the factor; whether the factor is then exact.

        Deleting its column leaves the factor upper Hessenberg after it: one orthogonal
        reduction of that trailing block makes it triangular again (``_delete_column``;
        ``R^T R`` is the Gram block, and orthogonal transformations leave it unchanged),
        ``O(t^2)`` for a tail of ``t`` where the tail's refactorization costs ``O(k t^2)``
        (measured on 250 features: 0.05-0.07 ms for a tail of 2 to 30 against 0.14-0.41 ms,
        0.34 against 1.4 ms for a tail of 240). The tail is refactorized (or the rest
        afresh) when that does not keep a usable factor."""
        first = int(self.pos[j])
        if self._delete_column(first):
            return self.exact
        tail = self.base[first + 1 :]
        self._truncate(first)
        if tail.size and not self._append(tail):
            self._factorize(np.concatenate([self.base, tail]))
        return self.exact

    def _delete_column(self, first):
        """``remove`` by rotations (False: the factor is left as it was). Only the rows from
        the deleted column's down change: with the column deleted, that trailing block is
        the feature's row ``r`` over the triangle ``T`` after it, and the triangle of the
        QR factorization of ``[T; r]`` (LAPACK's triangular-pentagonal ``dtpqrt``: no
        orthogonal factor formed) has ``T'^T T' = T^T T + r r^T``, the block without the
        feature; the rows above only lose the column. ``O(t^2)`` for a tail of ``t``."""
        k = self.base.size
        t = k - first - 1  # (the tail after the deleted column)
        # (LAPACK reads and writes the upper triangles only: below them is not the factor)
        T = self.buf[first + 1 : k, first + 1 : k]
        if t:
            row = self.buf[first : first + 1, first + 1 : k].copy(order="F")
            T, _, _, info = lapack.dtpqrt(0, min(t, _QR_BLOCK), T, row)
            diag = T.diagonal()
            if info != 0 or not (np.isfinite(diag).all() and diag.all()):
                return False
            T *= np.sign(diag)[:, None]  # (rows of -T: the same T^T T, a positive diagonal)
            if self.exact:
                low, high = np.abs(diag).min(), np.abs(diag).max()
                if first:
                    head = self.buf.diagonal()[:first]
                    low, high = min(low, head.min()), max(high, head.max())
                if not low * tuning.SCHUR_MAX_RATIO > high:
                    return False
        self._version += 1
        self.buf[:first, first : k - 1] = self.buf[:first, first + 1 : k]
        self.buf[first : k - 1, first : k - 1] = T
        self.buf[:k, k - 1] = 0.0
        self.buf[k - 1, k - 1] = 1.0
        self.pos[self.base[first]] = -1
        self.base = np.concatenate((self.base[:first], self.base[first + 1 :]))
        self.pos[self.base[first:]] -= 1
        return True

    def extend_many(self, T):
        """Append the features ``T`` to the factor, in their order (False: they would make
        it singular or ill-conditioned; the factor is then unchanged)."""
        T = np.asarray(T, dtype=np.intp)
        if not self.base.size:
            return T.size == 0 or (self._factorize(T) and self.exact)
        return self._append(T)

    def shrink(self, k):
        """Keep the factor of the first ``k`` features of ``base`` only (those appended
        after them are dropped: what ``extend_many`` appended, taken back)."""
        if k < self.base.size:
            self._truncate(k)

    def solve_base(self, r):
        """``u`` with ``(G_BB + diag(l2_B)) u = r`` on the factorized set ``B`` itself
        (``r`` and ``u`` in its order: ``base``; ``r`` a vector or one column per right-hand
        side): two triangular solves."""
        k = r.shape[0]
        if not k:
            return np.zeros(r.shape)
        if r.ndim == 2:
            rhs = np.zeros((self.buf.shape[0], r.shape[1]), order="F")
            rhs[:k] = r
            half = blas.dtrsm(1.0, self.buf, rhs, trans_a=1, overwrite_b=1)
            return blas.dtrsm(1.0, self.buf, half, overwrite_b=1)[:k]
        rhs = np.zeros(self.buf.shape[0])
        rhs[:k] = r
        half = blas.dtrsv(self.buf, rhs, trans=1)
        return blas.dtrsv(self.buf, half, overwrite_x=1)[:k]

    def _split(self, S):
        """Positions in the factor of ``S`` and of the factorized features not in ``S``."""
        pos_S = self.pos[S]
        keep = np.zeros(self.buf.shape[0], dtype=bool)
        keep[pos_S] = True
        keep[self.base.size :] = True
        return pos_S, (~keep).nonzero()[0]

    def _truncate(self, first):
        """Keep the factor of ``base[:first]`` only (the rest of the buffer: identity)."""
        k = self.base.size
        self._version += 1
        self.buf[:k, first:k] = 0.0
        self.buf[first:k, first:k] = np.eye(k - first)
        self.pos[self.base[first:]] = -1
        self.base = self.base[:first]

    def _plan(self, S):
        """``(new, n_removed)`` if ``S`` can be served by the factor after appending ``new``,
        else None (``S`` must be factorized afresh)."""
        if self.base.size == 0:
            return None
        inside = self.pos[S] >= 0
        new = S[~inside]
        if not self.exact and not self.jittered and new.size:
            return None  # (an ill-conditioned factor is not extended: a jittered one is)
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

    @property
    def version(self):
        """A number that changes whenever the factor does."""
        return self._version

    def borrowed(self, S):
        """Whether solves on ``S`` go through the jittered or ill-conditioned factor of a
        larger block (constrained to ``S``): cheap, but only approximately ``S``'s own
        solution, and ``exact`` then says nothing about ``S``."""
        return not self.exact and self.base.size != np.asarray(S).size

    def solve(self, S, r, fresh=False):
        """``u`` on ``S``, or None if the system cannot be solved (``fresh``: from a
        factorization of ``S`` itself, not a borrowed one)."""
        S = np.asarray(S, dtype=np.intp)
        plan = None if fresh and self.borrowed(S) else self._plan(S)
        if plan is not None and plan[0].size and not self._append(plan[0]):
            plan = None
        if plan is None and not self._factorize(S):
            return None
        pos_S, pos_D = self._split(S)
        if pos_D.size and self.exact:
            first = int(pos_D.min())
            later = np.ones(self.base.size - first, dtype=bool)
            later[pos_D - first] = False
            tail = self.base[first:][later]  # (in factor order)
            if tail.size <= tuning.TAIL_PER_REMOVED * pos_D.size:
                # the removed features are among the last factorized (features that joined
                # and left again): drop them for good by refactorizing the short tail,
                # rather than constraining them in this and every later solve
                self._truncate(first)
                if tail.size and not self._append(tail) and not self._factorize(S):
                    return None
        return self._through_factor(S, r)

    def _through_factor(self, S, r):
        """``solve`` through the factor as it is (of a superset of ``S``)."""
        u = self._constrained(S, r)
        if u is not None and not self.exact:  # ill-conditioned or singular block
            u = self._refine(S, r, u)
        return u if u is not None and np.all(np.isfinite(u)) else None

    def solve_apart(self, S, r):
        """``u`` on ``S`` (None: none) leaving the factor as it is: through it when it holds
        ``S`` with few features removed, else from a factorization of ``S``'s own block,
        discarded after the solve (the feature-sign search tries the support without its
        sign-changing coefficients, often half of them, and then goes on with the whole
        support, whose factor the other solve would have replaced)."""
        S = np.asarray(S, dtype=np.intp)
        plan = self._plan(S)
        if plan is not None and not plan[0].size:
            return self._through_factor(S, r)
        factor, info = lapack.dpotrf(self._system_block(S), lower=False, clean=False)
        if info != 0 or not self._well_conditioned(np.diag(factor)):
            return self.solve(S, r)  # (singular or ill-conditioned: the shared machinery)
        u, info = lapack.dpotrs(factor, r, lower=False)
        return u if info == 0 and np.all(np.isfinite(u)) else None

    def _constrained(self, S, r):
        """``F^{-1} r`` on ``S`` through the factor ``F = R^T R`` of ``base``, a superset of
        ``S``: the solution of the ``base`` system constrained to zero on the features ``D``
        not in ``S`` (None if it cannot be computed). With ``h = R^{-T} r`` and ``Y = R^{-T}
        E_D`` it is ``R^{-1} (h - Y lam)``, ``lam`` solving ``Y^T Y lam = Y^T h`` (``h``
        projected orthogonally to ``Y``: then ``u_D = Y^T (h - Y lam) = 0``), so one forward
        and one backward solve serve any ``D``."""
        pos_S, pos_D = self._split(S)
        h = np.zeros(self.buf.shape[0])
        h[pos_S] = r
        h = self._forward(h)
        if pos_D.size:
            Y = self._removed_half(pos_D)
            if Y is None:
                return None
            k = Y.shape[0]
            # (LAPACK directly: NumPy's checking wrapper costs more than a small solve)
            _, _, lam, info = lapack.dgesv(Y.T @ Y, Y.T @ h[:k])
            if info != 0:
                return None
            h[:k] -= Y @ lam
        return blas.dtrsv(self.buf, h, overwrite_x=1)[pos_S]

    def _forward(self, rhs):
        """``R^{-T} rhs`` (``rhs`` of the buffer's length, zero beyond ``base``; a new
        array). Where the factor only grew by one append since the last forward solve and
        ``rhs`` agrees with that solve's on the old rows (a feature-sign search that let
        features join, at the same penalty and signs), the old rows' solution is the last
        one and only the new rows are solved, ``Rc^T h_T = r_T - Z^T h_B``: a small solve
        instead of a triangular solve with the whole factor."""
        k = self.base.size
        last = self._last_forward
        if last is not None:
            version, r_old, h_old = last
            kb = r_old.size
            if np.array_equal(rhs[:kb], r_old):
                h_T = self.extend_forward(version, h_old, rhs[kb:k])
                if h_T is not None:
                    h = np.zeros(rhs.shape[0])
                    h[:kb], h[kb:k] = h_old, h_T
                    self._last_forward = (self._version, rhs[:k].copy(), h[:k].copy())
                    return h
        h = blas.dtrsv(self.buf, rhs, trans=1)
        self._last_forward = (self._version, rhs[:k].copy(), h[:k].copy())
        return h

    def extend_forward(self, version, h, r_new):
        """The new rows of a forward solve ``R^{-T} r`` after the last append: ``h`` the
        forward solve of ``r``'s old rows with the factor of version ``version`` (the one
        before that append) and ``r_new`` its new rows, ``Rc^T h_T = r_new - Z^T h`` (a small
        solve instead of a triangular solve with the whole factor). None when the factor
        has changed otherwise since ``version``."""
        grown = self._grown
        if grown is None or grown[0] != version or grown[1] != self._version:
            return None
        _, _, Z, factor = grown
        if Z.shape[0] != h.size:
            return None
        if isinstance(factor, float):  # (one feature: a vector and a number)
            return (r_new - blas.ddot(Z, h)) / factor
        if Z.shape[0] != h.size:
            return None
        h_T, info = lapack.dtrtrs(factor, r_new - Z.T @ h, lower=False, trans=1)
        return h_T if info == 0 else None

    def forward_tail(self, k0, h, r):
        """The last rows of ``R^{-T} [r_0; r]`` when the factor has only been appended to
        since it held ``k0`` features: ``h = R_0^{-T} r_0`` its first rows (unchanged by
        appends; None for ``r_0 = 0``), and the rest ``Rc^T x = r - Z^T h`` with the appended
        columns ``[Z; Rc]`` (a small solve instead of one with the whole factor). None if
        LAPACK reports an error."""
        k = self.base.size
        rhs = r if h is None or not k0 else r - self.buf[:k0, k0:k].T @ h
        x, info = lapack.dtrtrs(self.buf[k0:k, k0:k], rhs, lower=False, trans=1)
        return x if info == 0 else None

    def forward(self, r):
        """``R^{-T} r`` on the factorized set (``r`` in the order of ``base``)."""
        rhs = np.zeros(self.buf.shape[0])
        rhs[: r.size] = r
        return blas.dtrsv(self.buf, rhs, trans=1, overwrite_x=1)[: r.size]

    def backward(self, h):
        """``R^{-1} h``: with ``h = forward(r)``, the solution on the factorized set."""
        rhs = np.zeros(self.buf.shape[0])
        rhs[: h.size] = h
        return blas.dtrsv(self.buf, rhs, overwrite_x=1)[: h.size]

    def _removed_half(self, pos_D):
        """``Y = R^{-T} E_D`` (rows of ``base``) for the removed positions ``pos_D``, kept
        until ``D`` changes or the factor does other than by appending (``_extend_removed``),
        or None."""
        key = pos_D.tobytes()
        if self._removed is None or self._removed[0] != (self._version, key):
            rhs = np.zeros((self.buf.shape[0], pos_D.size), order="F")
            rhs[pos_D, np.arange(pos_D.size)] = 1.0
            Y = self._trsm(rhs)
            if Y is None:
                return None
            self._removed = ((self._version, key), Y[: self.base.size])
        return self._removed[1]

    def _appended(self, version, Z, factor):
        """After an append to the factor of version ``version`` (new columns ``[Z; Rc]``;
        for one feature ``Z`` a vector and ``Rc`` a number): what the kept half solves need
        to follow it (``_forward``, ``_extend_removed``, ``extend_forward``)."""
        self._grown = (version, self._version, Z, factor)
        if self._removed is not None:
            if np.ndim(Z) == 1:
                Z, factor = Z[:, None], np.array([[factor]])
            self._extend_removed(version, Z, factor)

    def _extend_removed(self, version, Z, factor):
        """After an append to the factor of version ``version`` (new columns ``[Z; Rc]``,
        ``Z`` of shape ``(k, m)``): the kept ``Y`` extended by its new rows, ``Rc^T Y_T =
        -Z^T Y`` (the old rows do not change), so that solves with removed features cost no
        new triangular solves of ``E_D`` as features join along a path."""
        if self._removed is None or self._removed[0][0] != version:
            return
        (_, key), Y = self._removed
        Y_T, info = lapack.dtrtrs(factor, -(Z.T @ Y), lower=False, trans=1)
        if info != 0 or not np.all(np.isfinite(Y_T)):
            self._removed = None
            return
        self._removed = ((self._version, key), np.vstack([Y, Y_T]))

    def _refine(self, S, r, u):
        """Iterative refinement of a solution through the factor of an ill-conditioned or
        singular block (of ``S`` or of a superset, constrained): ``u += F^{-1} (r - A u)``.

        For an ill-conditioned block it recovers the digits that the factorization lost. For
        a jittered one (``F = A + jitter I``) the error on the range of ``A`` shrinks by
        ``jitter / lambda`` per step (``lambda`` the smallest non-zero eigenvalue), so the
        stationarity residual ``jitter * u`` the jitter left is removed; a component of ``r``
        in the null space grows along it (the problem is unbounded there with these signs,
        and the feature-sign search's breakpoints take over)."""
        for _ in range(tuning.REFINE_STEPS):
            delta = self._constrained(S, r - self.matvec(S, u))
            if delta is None:
                break
            u = u + delta
        return u

    def _trsm(self, rhs):
        """``R^{-T} rhs`` with the whole buffer (None if LAPACK reports an error)."""
        if rhs.shape[1] <= tuning.TRSV_COLUMNS:
            out = np.empty_like(rhs)
            for j in range(rhs.shape[1]):
                out[:, j] = blas.dtrsv(self.buf, rhs[:, j], trans=1)
            return out
        Z, info = lapack.dtrtrs(self.buf, rhs, lower=False, trans=1)
        return Z if info == 0 else None

    def matches(self, G, l2):
        """Whether this system is the one of ``G`` and ``l2`` (it may then be reused)."""
        if self.G is not G:
            return False
        l2 = np.asarray(l2, dtype=np.float64)
        if self.l2 is None:
            return not np.any(l2)
        return bool(np.all(np.broadcast_to(l2, self.l2.shape) == self.l2))

    def null_direction(self, S, r):
        """``F^{-1} r`` on ``S`` (scaled to unit max norm) when ``F`` is the factor of an
        ill-conditioned or singular block (of ``S``, or of a superset constrained to ``S``;
        with a jitter if need be), else None: inverse iteration, dominated by the near-null
        directions."""
        if self.exact or S.size == 0 or np.any(self.pos[S] < 0):
            return None
        z = self._constrained(S, r)
        if z is None:
            return None
        top = float(np.abs(z).max()) if z.size else 0.0
        return z / top if top > 0 and np.isfinite(top) else None

    def diag(self, S):
        """The diagonal of ``G_SS + diag(l2_S)``."""
        return self.G[S, S] if self.l2 is None else self.G[S, S] + self.l2[S]

    def matvec(self, S, v):
        """``(G_SS + diag(l2_S)) v``."""
        m = self.G.shape[0]
        if 4 * S.size >= m:  # one product with G beats gathering the block
            full = np.zeros(m)
            full[S] = v
            out = symmetric_product(self.G, full)[S]
        else:
            out = self._block(S, S) @ v
        return out if self.l2 is None else out + self.l2[S] * v
