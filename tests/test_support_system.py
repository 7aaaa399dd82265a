"""The exact finish's linear algebra: one factorization serves every smaller support.

``_SupportSystem`` solves ``(G_SS + l2 I) u = r`` for supports ``S`` inside a factorized one
by a constrained solve; each answer is compared with a direct solve of the ``S`` block (an
independent computation). The feature-sign search built on it is checked by its optimality
conditions on the returned support.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sparsefit._cd import _solve_on_support, _SupportSystem


def _gram(seed, n=60, k=25, collinear=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    if collinear:
        X[:, 3] = X[:, 2]
    return np.asfortranarray(X.T @ X), X.T @ rng.normal(size=n), rng


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
        direct = np.linalg.solve(G[np.ix_(S, S)] + l2 * np.eye(S.size), r)
        assert_allclose(u, direct, rtol=1e-9, atol=1e-12)
        assert_allclose(system.matvec(S, u), r, rtol=1e-9, atol=1e-12)
    assert system.base is S0 or np.array_equal(system.base, S0)  # never refactorized


def test_support_outside_the_factorized_one_is_refactorized():
    G, _, rng = _gram(1)
    system = _SupportSystem(G, 0.0)
    system.solve(np.arange(10), rng.normal(size=10))
    S = np.arange(5, 15)
    r = rng.normal(size=10)
    assert_allclose(system.solve(S, r), np.linalg.solve(G[np.ix_(S, S)], r), rtol=1e-9)
    assert np.array_equal(system.base, S)


def test_nearly_singular_block_refactorizes_subsets():
    """Duplicated columns: the base block is singular to working precision; removing one of
    the copies must give the exact solution of the (regular) remaining block."""
    G, _, rng = _gram(2, collinear=True)
    system = _SupportSystem(G, 0.0)
    S0 = np.arange(12)
    system.solve(S0, rng.normal(size=12))
    S = np.delete(S0, 3)
    r = rng.normal(size=S.size)
    assert_allclose(system.solve(S, r), np.linalg.solve(G[np.ix_(S, S)], r), rtol=1e-8)


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
