"""The exact finish's linear algebra: one factorization serves a changing support.

``_SupportSystem`` solves ``(G_SS + l2 I) u = r`` for supports ``S`` that grow (appended to
the factor) and shrink (constrained solves, or the factor's tail refactorized); each answer is
compared with a direct solve of the ``S`` block (an independent computation). The
feature-sign search built on it is checked by the optimality conditions of the returned point,
on its support and, when features may join, on the whole working set.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sparsefit._finish import solve_on_support
from sparsefit._support import SupportSystem as _SupportSystem
from sparsefit.penalties import SeparablePenalty


def _penalty(k, l1, l2, positive=False):
    """Uniform weights over ``k`` coordinates, ``w >= 0`` when positive."""
    return SeparablePenalty(
        np.full(k, l1),
        np.full(k, l2),
        np.full(k, 0.0 if positive else -np.inf),
        np.full(k, np.inf),
    )


def _solve_on_support(G, b, w, support, l1, l2, max_rounds=None, coords=None, positive=False):
    return solve_on_support(
        G,
        b,
        w,
        support,
        _penalty(G.shape[0], l1, l2, positive),
        coords=coords,
        max_rounds=max_rounds,
    )


def _gram(seed, n=60, k=25, collinear=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    if collinear:
        X[:, 3] = X[:, 2]
    return np.asfortranarray(X.T @ X), X.T @ rng.normal(size=n), rng


def _count_factorizations(monkeypatch):
    """The sizes of the blocks LAPACK's Cholesky factorization is called on, from now."""
    import sparsefit._support as support

    calls = []
    dpotrf = support.lapack.dpotrf

    def counting(A, **kwargs):
        calls.append(A.shape[0])
        return dpotrf(A, **kwargs)

    monkeypatch.setattr(support.lapack, "dpotrf", counting)
    return calls


def _direct(G, S, r, l2):
    return np.linalg.solve(G[np.ix_(S, S)] + l2 * np.eye(S.size), r)


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_subsets_of_a_factorized_support_match_direct_solves(l2):
    G, _, rng = _gram(0)
    system = _SupportSystem(G, l2)
    S0 = np.sort(rng.choice(25, size=20, replace=False))
    S = S0
    for n_removed in [0, 1, 3, 6]:  # growing removals, all within the update limit
        S = np.sort(rng.choice(S0, size=S0.size - n_removed, replace=False)) if n_removed else S0
        r = rng.normal(size=S.size)
        u = system.solve(S, r)
        assert_allclose(u, _direct(G, S, r, l2), rtol=1e-9, atol=1e-12)
        assert_allclose(system.matvec(S, u), r, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_growing_and_shrinking_supports_match_direct_solves(l2):
    """A path's sequence of supports: features join (appended to the factor), a few leave
    (constrained, or dropped with the factor's tail refactorized), in any order; every
    solve equals a direct solve of its block, and appends never refactorize the base."""
    G, _, rng = _gram(3, n=80, k=40)
    system = _SupportSystem(G, l2)
    S = np.array([5, 17, 2])
    for step in range(30):
        r = rng.normal(size=S.size)
        assert_allclose(system.solve(S, r), _direct(G, S, r, l2), rtol=1e-8, atol=1e-11)
        out = np.setdiff1d(np.arange(40), S)
        if step % 3 == 2 and S.size > 3:
            S = np.delete(S, rng.choice(S.size, size=2, replace=False))
        elif out.size:
            S = np.append(S, rng.choice(out, size=min(out.size, 2), replace=False))
    # a join of features into a factorized support extends it in place
    base = system.base.copy()
    new = np.setdiff1d(np.arange(40), base)[:1]
    S = np.append(base, new)
    r = rng.normal(size=S.size)
    assert_allclose(system.solve(S, r), _direct(G, S, r, l2), rtol=1e-8, atol=1e-11)
    assert np.array_equal(system.base[: base.size], base)


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_removed_features_stay_served_as_features_join(l2, monkeypatch):
    """Features left out of the factorized support while others join, one and several at a
    time (a path's pattern): every solve equals a direct solve of its block, and the kept
    ``R^{-T} E_D`` of the removed ones is extended by each append, not solved again."""
    G, _, rng = _gram(5, n=150, k=100)
    system = _SupportSystem(G, l2)
    S0 = np.sort(rng.choice(100, size=60, replace=False))
    r = rng.normal(size=S0.size)
    assert_allclose(system.solve(S0, r), _direct(G, S0, r, l2), rtol=1e-9, atol=1e-12)
    # three removed near the factor's start (a long tail: not refactorized): constrained
    # solves from now on
    S = np.delete(S0, [1, 4, 6])
    r = rng.normal(size=S.size)
    assert_allclose(system.solve(S, r), _direct(G, S, r, l2), rtol=1e-9, atol=1e-12)
    trsm, solve = [], system._trsm

    def counted(rhs):
        trsm.append(rhs.shape[1])
        return solve(rhs)

    monkeypatch.setattr(system, "_trsm", counted)
    outside = np.setdiff1d(np.arange(100), S0)
    for joining in (outside[:1], outside[1:3], outside[3:4], outside[4:8]):
        S = np.append(S, joining)
        r = rng.normal(size=S.size)
        u = system.solve(S, r)
        assert_allclose(u, _direct(G, S, r, l2), rtol=1e-9, atol=1e-12)
    assert system.base.size == S0.size + 8  # (appended: the removed three still in it)
    assert [m for m in trsm if m == 3] == []  # (E_D never solved again)


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_joined_features_reuse_the_last_forward_solve(l2, monkeypatch):
    """A feature-sign search's joins: the support grows by an append and the right-hand side
    keeps its old rows. The forward solve's old rows are then the last one's and only the
    new rows are solved; every solve equals a direct one, also when the old rows change
    (then solved afresh)."""
    import sparsefit._support as support

    G, _, rng = _gram(6, n=150, k=100)
    system = _SupportSystem(G, l2)
    S = np.arange(40)
    r = rng.normal(size=S.size)
    assert_allclose(system.solve(S, r), _direct(G, S, r, l2), rtol=1e-9, atol=1e-12)
    full, dtrsv, forward = [], support.blas.dtrsv, system._forward
    inside = []

    def counted(a, x, **kwargs):
        if inside:  # (a triangular solve of the forward one, not of an append)
            full.append(kwargs.get("trans", 0))
        return dtrsv(a, x, **kwargs)

    def watched(rhs):
        inside.append(1)
        try:
            return forward(rhs)
        finally:
            inside.pop()

    monkeypatch.setattr(support.blas, "dtrsv", counted)
    monkeypatch.setattr(system, "_forward", watched)
    for m in (1, 3, 2):  # one feature (its column appended alone), then blocks
        S = np.append(S, np.arange(S.size, S.size + m))
        r = np.append(r, rng.normal(size=m))
        assert_allclose(system.solve(S, r), _direct(G, S, r, l2), rtol=1e-9, atol=1e-12)
    assert 1 not in full  # (no forward solve with the whole factor)
    r = r + 1.0  # (the old rows changed: a full forward solve)
    assert_allclose(system.solve(S, r), _direct(G, S, r, l2), rtol=1e-9, atol=1e-12)
    assert 1 in full


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_solve_apart_leaves_the_factor_as_it_was(l2):
    """The feature-sign search's trial solve of the support without half its features:
    it equals a direct solve of that block, and the factor still serves the whole support
    afterwards (no refactorization: the same version, the same base)."""
    G, _, rng = _gram(4, n=80, k=40)
    system = _SupportSystem(G, l2)
    S = np.sort(rng.choice(40, size=30, replace=False))
    system.solve(S, rng.normal(size=S.size))
    base, version = system.base.copy(), system.version
    for half in (S[::2], S[:3], S[1:]):  # many removed (own factor), few, one (the factor's)
        r = rng.normal(size=half.size)
        assert_allclose(system.solve_apart(half, r), _direct(G, half, r, l2), rtol=1e-9)
        assert system.version == version and np.array_equal(system.base, base)
    r = rng.normal(size=S.size)
    assert_allclose(system.solve(S, r), _direct(G, S, r, l2), rtol=1e-9)
    assert system.version == version


def test_solve_apart_of_a_singular_block_takes_the_shared_machinery():
    """A singular block (duplicated columns) cannot be factorized apart: its solve goes
    through the system's jittered factorization and refinement, as ``solve`` does."""
    G, _, rng = _gram(2, collinear=True)
    S = np.arange(12)  # holds the copies 2 and 3
    r = G[np.ix_(S, S)] @ rng.normal(size=12)  # (in the range: a solution exists)
    u = _SupportSystem(G, 0.0).solve_apart(S, r)
    assert_allclose(G[np.ix_(S, S)] @ u, r, rtol=1e-6, atol=1e-8)
    assert_allclose(u, _SupportSystem(G, 0.0).solve(S, r))


def test_support_outside_the_factorized_one_is_refactorized():
    G, _, rng = _gram(1)
    system = _SupportSystem(G, 0.0)
    system.solve(np.arange(10), rng.normal(size=10))
    S = np.arange(5, 15)
    r = rng.normal(size=10)
    assert_allclose(system.solve(S, r), np.linalg.solve(G[np.ix_(S, S)], r), rtol=1e-9)
    assert np.array_equal(system.base, S)


def test_nearly_singular_block_refactorizes_subsets():
    """Duplicated columns: the base block is singular to working precision; a subset is
    first served by that (jittered) factor, and says so (``borrowed``: the feature-sign
    search takes such solutions as directions only); asked ``fresh``, removing one of the
    copies gives the exact solution of the (regular) remaining block."""
    G, _, rng = _gram(2, collinear=True)
    system = _SupportSystem(G, 0.0)
    S0 = np.arange(12)
    system.solve(S0, rng.normal(size=12))
    assert not system.exact
    S = np.delete(S0, 3)
    r = rng.normal(size=S.size)
    assert system.solve(S, r) is not None and system.borrowed(S)
    assert_allclose(system.solve(S, r, fresh=True), np.linalg.solve(G[np.ix_(S, S)], r), rtol=1e-8)
    assert system.exact and not system.borrowed(S)


def test_supersets_of_a_singular_block_go_straight_to_the_jitter(monkeypatch):
    """A block containing a singular principal block is singular: once a block needed a
    jitter, a superset is factorized with the jitter at once (one factorization, not a
    failed one first); a block without it is tried plainly, and is exact."""
    G, _, rng = _gram(4, collinear=True)
    calls = _count_factorizations(monkeypatch)
    system = _SupportSystem(G, 0.0)
    K = np.array([1, 2, 3, 5])  # columns 2 and 3 are copies
    system.solve(K, rng.normal(size=K.size), fresh=True)
    assert system.jittered and calls == [4, 4]  # the plain attempt failed first
    calls.clear()
    S = np.array([0, 1, 2, 3, 5, 8, 9])
    system.solve(S, rng.normal(size=S.size), fresh=True)
    assert system.jittered and not system.exact and calls == [7]
    calls.clear()
    T = np.array([0, 2, 5, 8, 9])  # one copy only: regular
    r = rng.normal(size=T.size)
    assert_allclose(system.solve(T, r, fresh=True), np.linalg.solve(G[np.ix_(T, T)], r), rtol=1e-8)
    assert system.exact and calls == [5]


def test_a_jittered_factor_is_extended_not_refactorized(monkeypatch):
    """A singular block's (jittered) factor serves its supersets by appending the new
    features with the same jitter (a factorization of the small Schur complement only, as
    for a regular block): along a path of one-hot data every support is singular, and each
    new feature used to cost a factorization of the whole block. The solves stay solutions:
    for a right-hand side in the range, ``G_SS u = r`` to refinement accuracy.

    Columns 2 and 3 are copies: the plain factorization's pivot there is zero up to
    rounding, whose sign the BLAS kernels decide (a positive one gives an ill-conditioned
    factor, which is not extended); the data are the first whose plain factorization
    fails on this machine."""
    from scipy.linalg import lapack

    S0 = np.arange(12)
    for seed in range(5, 100):
        G, _, rng = _gram(seed, n=60, k=25, collinear=True)
        if lapack.dpotrf(G[np.ix_(S0, S0)], lower=False)[1] != 0:
            break
    else:
        raise AssertionError("no collinear block whose plain factorization fails")
    calls = _count_factorizations(monkeypatch)
    system = _SupportSystem(G, 0.0)
    system.solve(S0, G[np.ix_(S0, S0)] @ rng.normal(size=12))
    assert system.jittered
    calls.clear()
    S = np.arange(14)
    r = G[np.ix_(S, S)] @ rng.normal(size=S.size)  # consistent: in the range of the block
    u = system.solve(S, r)
    assert calls == [2]  # the two new features only
    assert system.jittered and not system.exact and np.array_equal(system.base, S)
    assert np.linalg.norm(G[np.ix_(S, S)] @ u - r) <= 1e-8 * np.linalg.norm(r)


def test_a_refused_extension_keeps_the_factor():
    """``extend``: a feature whose column is a copy of one in the factor is not appended
    (False), and the factor stays the exact one it was; a solve on the larger block
    factorizes it afresh (with a jitter)."""
    G, _, rng = _gram(6, collinear=True)  # columns 2 and 3 are copies
    system = _SupportSystem(G, 0.0)
    S0 = np.array([0, 1, 2, 4, 5, 6, 7, 8])
    system.solve(S0, rng.normal(size=S0.size))
    assert system.exact
    assert not system.extend(3)
    assert system.exact and np.array_equal(system.base, S0)
    r = rng.normal(size=S0.size)
    assert_allclose(system.solve(S0, r), np.linalg.solve(G[np.ix_(S0, S0)], r), rtol=1e-9)
    assert_allclose(system.solve_base(r), np.linalg.solve(G[np.ix_(S0, S0)], r), rtol=1e-9)
    S = np.append(S0, 3)
    assert system.solve(S, rng.normal(size=S.size)) is not None and system.jittered


def test_remove_drops_the_feature_from_the_factor():
    """``remove``: the feature leaves the factor (an early feature: the long tail after it
    reduced to a triangle again), where a solve on the smaller support keeps it, constrained
    to zero."""
    G, _, rng = _gram(7)
    S0 = np.arange(20)
    S = np.delete(S0, 1)  # an early feature: a long tail after it
    r = rng.normal(size=S.size)
    for dropped in (False, True):
        system = _SupportSystem(G, 0.0)
        system.solve(S0, rng.normal(size=S0.size))
        if dropped:
            assert system.remove(1)
            u = system.solve_base(r[np.searchsorted(S, system.base)])
            u = u[np.argsort(system.base)]
        else:
            u = system.solve(S, r)
        assert_allclose(u, _direct(G, S, r, 0.0), rtol=1e-9, atol=1e-12)
        assert np.array_equal(np.sort(system.base), S) == dropped


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_remove_rotates_the_factor_without_refactorizing(l2, monkeypatch):
    """``remove`` of an early feature deletes its column and restores the triangle by
    rotations: the buffer then holds an upper triangular factor with a positive diagonal of
    the remaining block (``R^T R = G_BB + l2 I``), identity padding after it, and no
    factorization or block append was run."""
    G, _, _ = _gram(9, n=70, k=30)
    system = _SupportSystem(G, l2)
    for j in [4, 9, 1, 22, 13, 7, 28, 0, 16, 3, 25, 11]:
        assert system.extend(j)

    def refused(*args, **kwargs):
        raise AssertionError("refactorized")

    monkeypatch.setattr(system, "_append", refused)
    monkeypatch.setattr(system, "_factorize", refused)
    for j in [9, 28, 4]:  # second, seventh (of the shorter factor), first
        assert system.remove(j) and system.exact
    B, k = system.base, system.base.size
    assert np.array_equal(B, [1, 22, 13, 7, 0, 16, 3, 25, 11])
    R = system.buf[:k, :k]
    assert np.all(np.diag(R) > 0)
    assert_allclose(np.triu(R).T @ np.triu(R), G[np.ix_(B, B)] + l2 * np.eye(k), atol=1e-10)
    pad = system.buf.copy()
    pad[:k, :k] = np.tril(pad[:k, :k], -1)  # (below the diagonal: never read)
    assert np.array_equal(np.triu(pad), np.diag(np.r_[np.zeros(k), np.ones(pad.shape[0] - k)]))


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_feature_by_feature_extend_remove_and_solve_base(l2):
    """The homotopy's use: features appended one at a time and dropped anywhere in the
    factor (early ones: a long tail reduced again); every solve on the factorized set, in its
    order, equals a direct solve; a copy of a factorized column is refused (the factor kept
    exact) when there is no L2 weight to make the block regular."""
    G, _, rng = _gram(8, n=80, k=30, collinear=True)  # columns 2 and 3 are copies
    system = _SupportSystem(G, l2)
    for j in [5, 2, 11, 0, 17, 8, 23, 14, 1, 29]:
        assert system.extend(j) and system.exact
    for j in [2, 29, 11]:
        assert system.remove(j)
    for j in [4, 2, 26]:
        assert system.extend(j)
    assert system.extend(3) == (l2 > 0)  # the copy of 2
    assert system.exact
    B = system.base
    r = rng.normal(size=B.size)
    assert_allclose(system.solve_base(r), _direct(G, B, r, l2), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_feature_sign_search_is_exact_on_its_support(seed):
    """When the search returns, the point lowers the objective; if its signs on the returned
    support are those the last solve assumed, it satisfies the optimality conditions of the
    problem restricted to that support: (G w + l2 w - b)_j = -l1 sign(w_j)."""
    G, b, rng = _gram(seed, collinear=seed % 5 == 0)
    l1 = float(rng.uniform(0.05, 0.5) * np.abs(b).max())
    l2 = float(rng.choice([0.0, 0.5]))
    w = rng.normal(size=25) * (rng.random(25) < 0.5)
    S = np.flatnonzero(w)

    def objective(v):
        return 0.5 * v @ G @ v - b @ v + l1 * np.abs(v).sum() + 0.5 * l2 * v @ v

    out = _solve_on_support(G, b, w, S, l1, l2, max_rounds=50)
    if out is None:
        return
    assert objective(out) < objective(w)
    assert np.all(out[np.setdiff1d(np.arange(25), S)] == 0.0)  # never leaves the support
    T = np.flatnonzero(out)
    grad = (G @ out + l2 * out - b)[T]
    if seed % 5:  # regular blocks: the search ends on an exact solution
        assert_allclose(grad, -l1 * np.sign(out[T]), rtol=1e-8, atol=1e-8 * np.abs(b).max())


@pytest.mark.parametrize("seed, frac", [(1, 0.1), (2, 0.1), (4, 0.05), (5, 0.1)])
def test_many_sign_changes_leave_together(seed, frac):
    """From the elastic-net solution without L1 on correlated features, the first solve
    changes many signs; the support without them, re-solved (dropping those that change
    sign in turn), is a candidate of each round: the search ends on an exact solution of
    its support within 2 rounds (with one coefficient leaving per round, these starts took
    8 to 12)."""
    rng = np.random.default_rng(seed)
    n, k = 80, 40
    cov = 0.5 ** np.abs(np.subtract.outer(range(k), range(k)))
    X = rng.normal(size=(n, k)) @ np.linalg.cholesky(cov).T
    G, b = np.asfortranarray(X.T @ X), X.T @ rng.normal(size=n)
    l1, l2 = frac * float(np.abs(b).max()), 0.5
    w = np.linalg.solve(G + l2 * np.eye(k), b)
    out = _solve_on_support(G, b, w, np.arange(k), l1, l2, max_rounds=2)
    T = np.flatnonzero(out)
    grad = (G @ out + l2 * out - b)[T]
    assert_allclose(grad, -l1 * np.sign(out[T]), rtol=1e-8, atol=1e-8 * np.abs(b).max())


@pytest.mark.parametrize("seed", range(20))
def test_feature_sign_search_with_joins_solves_the_working_set(seed):
    """With ``coords``, violators of the working set join the support: when the search ends
    within its rounds, the returned point satisfies the optimality conditions of the whole
    working-set problem (zero coordinates: |grad_j| <= l1), independently checked here."""
    G, b, rng = _gram(seed, n=80, k=30)
    l1 = float(rng.uniform(0.05, 0.5) * np.abs(b).max())
    l2 = float(rng.choice([0.0, 0.5]))
    positive = bool(seed % 2)
    coords = np.sort(rng.choice(30, size=20, replace=False))
    w = np.zeros(30)
    start = coords[np.argmax(np.abs(b[coords]))]
    w[start] = 1e-3 * np.sign(b[start]) if not positive else 1e-3
    out = _solve_on_support(
        G, b, w, np.array([start]), l1, l2, max_rounds=200, coords=coords, positive=positive
    )
    assert out is not None
    assert np.all(out[np.setdiff1d(np.arange(30), coords)] == 0.0)
    if positive:
        assert np.all(out >= 0.0)
    grad = (b - G @ out - l2 * out)[coords]
    wc = out[coords]
    scale = np.abs(b).max()
    on = wc != 0
    assert_allclose(grad[on], l1 * np.sign(wc[on]), rtol=1e-8, atol=1e-8 * scale)
    bound = grad[~on] if positive else np.abs(grad[~on])
    assert np.all(bound <= l1 * (1 + 1e-8))
