"""Exact Lasso paths by homotopy (sparsefit._homotopy), checked against scikit-learn at a
tight tolerance, the independent certificate, and coordinate descent on the same problems;
and the hand-over to coordinate descent where the homotopy cannot go on."""

import numpy as np
import pytest
from sklearn.linear_model import lasso_path as sk_lasso_path

import sparsefit._tuning as tuning
from sparsefit import LassoCDCV, lasso_path

from ._certificates import factor_kkt, factor_objective
from .test_cv import assert_point_certified


def tall(n=400, p=12, seed=0, scales=None):
    rng = np.random.default_rng(seed)
    X = (
        rng.normal(size=(n, p))
        @ np.linalg.cholesky(0.4 ** np.abs(np.subtract.outer(range(p), range(p)))).T
    )
    if scales is not None:
        X = X * scales
    coef = np.zeros(p)
    coef[: p // 3] = rng.normal(size=p // 3) / (1.0 if scales is None else scales[: p // 3])
    y = X @ coef + 0.5 * rng.normal(size=n)
    return X - X.mean(axis=0), y - y.mean()


def assert_path_certified(X, y, alphas, coefs, tol):
    """Every point of a Lasso path (no intercept) certified by the independent oracle."""
    for i, alpha in enumerate(alphas):
        assert_point_certified(
            X,
            y,
            coefs[:, i],
            alpha,
            l1_ratio=1.0,
            sw=None,
            fit_intercept=False,
            positive=False,
            tol=tol,
        )


def test_path_is_exact_and_certified():
    X, y = tall()
    alphas, coefs, gaps, n_iter = lasso_path(X, y, tol=1e-4, return_n_iter=True)
    assert np.all(np.asarray(n_iter) == 1)  # every point from the homotopy, one evaluation
    _, ref, _ = sk_lasso_path(X, y, alphas=alphas, tol=1e-14, max_iter=100000)
    np.testing.assert_allclose(coefs, ref, rtol=1e-7, atol=1e-9)
    assert_path_certified(X, y, alphas, coefs, tol=1e-10)


@pytest.mark.parametrize("seed", [35, 95, 117])
def test_a_leaving_feature_may_reenter_with_the_other_sign(seed):
    """Correlated designs where a feature leaves the support and its correlation, on the
    boundary, crosses at once to the other side: it re-enters with the opposite sign at the
    next breakpoint (only a re-entry on the side it left is excluded); the homotopy serves
    the whole path, equal to scikit-learn's at a tight tolerance."""
    rng = np.random.default_rng(seed)
    n, p = int(rng.integers(30, 120)), int(rng.integers(4, 12))
    X = rng.normal(size=(n, p)) @ rng.normal(size=(p, p))
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    X, y = X - X.mean(axis=0), y - y.mean()
    alphas, coefs, _, n_iter = lasso_path(X, y, tol=1e-10, return_n_iter=True)
    assert np.all(np.asarray(n_iter) == 1)
    _, ref, _ = sk_lasso_path(X, y, alphas=alphas, tol=1e-14, max_iter=100000)
    np.testing.assert_allclose(coefs, ref, rtol=1e-6, atol=1e-8 * np.abs(ref).max())


def test_badly_scaled_features():
    """Raw features whose scales differ by 1e5 (the solves run on the scaled Gram matrix)."""
    scales = np.logspace(-2, 3, 10)
    X, y = tall(p=10, seed=1, scales=scales)
    alphas, coefs, _, n_iter = lasso_path(X, y, tol=1e-8, return_n_iter=True)
    assert_path_certified(X, y, alphas, coefs, tol=1e-8)


def test_factors_match_coordinate_descent(monkeypatch):
    X, y = tall(p=9, seed=2)
    pf = np.array([0.0, 1.0, 2.0, np.inf, 0.5, 1.0, 3.0, 0.0, 1.0])
    alphas, coefs, _ = lasso_path(X, y, penalty_factor=pf, tol=1e-12)
    monkeypatch.setattr(tuning, "HOMOTOPY_MAX_FEATURES", 0)  # coordinate descent only
    alphas_cd, coefs_cd, _ = lasso_path(X, y, penalty_factor=pf, tol=1e-12)
    np.testing.assert_allclose(alphas, alphas_cd, rtol=1e-12)
    # (coordinate descent certified at tol=1e-12 is accurate to about 1e-6 here)
    np.testing.assert_allclose(coefs, coefs_cd, rtol=1e-5, atol=1e-8)
    for i, alpha in enumerate(alphas):  # and the homotopy's objective is never above
        ours = factor_objective(
            X, y, coefs[:, i], 0.0, alpha=alpha, l1_ratio=1.0, penalty_factor=pf
        )
        cd = factor_objective(
            X, y, coefs_cd[:, i], 0.0, alpha=alpha, l1_ratio=1.0, penalty_factor=pf
        )
        assert ours <= cd * (1 + 1e-12)
    assert np.all(coefs[3] == 0.0)
    for i, alpha in enumerate(alphas):
        viol, checked, col = factor_kkt(
            X, y, coefs[:, i], alpha=alpha, l1_ratio=1.0, penalty_factor=pf, fit_intercept=False
        )
        assert np.all(viol[checked] <= 1e-8 * (1 + col[checked]))


@pytest.mark.parametrize("case", ["duplicate_columns", "no_budget"])
def test_hand_over_to_coordinate_descent(case, monkeypatch):
    """Duplicated columns (ties: one of the twins enters, the other stays on the boundary,
    an optimal solution among many) and a spent breakpoint budget (the rest of the path
    comes from coordinate descent): every point certified."""
    X, y = tall(p=8, seed=3)
    if case == "duplicate_columns":
        X = np.column_stack([X, X[:, 0], X[:, 1]])
    else:
        monkeypatch.setattr(tuning, "HOMOTOPY_STEPS_PER_FEATURE", 0)
    alphas, coefs, gaps, n_iter = lasso_path(X, y, tol=1e-10, return_n_iter=True)
    if case == "no_budget":
        assert np.any(np.asarray(n_iter) > 1)  # coordinate descent took over
    assert_path_certified(X, y, alphas, coefs, tol=1e-10)


def one_hot(seed, levels, n=500):
    """Categories one-hot encoded with every level (the centred columns of each sum to
    zero: singular supports), levels of unequal frequencies, and two continuous
    features."""
    rng = np.random.default_rng(seed)
    columns, effects = [], []
    for k in levels:
        codes = rng.choice(k, size=n, p=rng.dirichlet(np.full(k, 0.7)))
        columns.append(np.eye(k)[codes])
        effects.append(rng.normal(size=k)[codes])
    cont = rng.normal(size=(n, 2))
    X = np.column_stack(columns + [cont])
    y = sum(effects) + cont @ np.array([1.0, -0.5]) + 0.3 * rng.normal(size=n)
    return X - X.mean(axis=0), y - y.mean()


@pytest.mark.parametrize("seed, levels", [(32, (6, 6)), (7, (2, 2, 3, 4))])
def test_one_hot_path_goes_through_singular_supports(seed, levels):
    """Every level of a category enters the support at some alpha, whose system is then
    singular: the entry of a level whose column is in the span of the support's is taken
    back (it stays on the boundary, optimal at zero), and the homotopy serves the whole path
    (it used to stop there, at the 45th and the 21st of the 100 points, and hand over to
    coordinate descent); every point certified."""
    X, y = one_hot(seed, levels)
    alphas, coefs, gaps, n_iter = lasso_path(X, y, tol=1e-10, return_n_iter=True)
    assert np.all(np.asarray(n_iter) == 1)  # every point from the homotopy
    assert_path_certified(X, y, alphas, coefs, tol=1e-10)


def test_cv_with_homotopy_matches_scikit_learn():
    from sklearn.linear_model import LassoCV

    X, y = tall(n=600, p=15, seed=4)
    ours = LassoCDCV(cv=5, tol=1e-10).fit(X, y)
    theirs = LassoCV(cv=5, tol=1e-12, max_iter=100000).fit(X, y)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-7)


# ---------------------------------------------------------------------------------------------
# single fits with far more features than samples: the homotopy through the data
# ---------------------------------------------------------------------------------------------
def wide(n=40, p=800, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, p // 8))
    X = np.repeat(Z, 8, axis=1) + 0.5 * rng.normal(size=(n, p)) + offset  # correlated blocks
    y = X[:, : p // 4] @ rng.normal(size=p // 4) + 0.1 * rng.normal(size=n)
    return X, y


def test_data_gram_reads_like_the_centred_gram():
    """``_DataGram``'s entries, blocks, diagonal and products equal those of the explicitly
    centred, weighted and scaled Gram matrix (offsets and weights in the design)."""
    from sparsefit._data import center_data
    from sparsefit._homotopy import _DataGram

    X, y = wide(n=30, p=96, seed=1, offset=3.0)
    sw = np.random.default_rng(2).uniform(0.5, 2.0, X.shape[0])
    design, *_ = center_data(X, y, sw, True)
    idx = np.arange(2, 96, 2)
    C = design.columns(idx)
    root = np.sqrt((C * C).sum(axis=0))
    G = (C / root).T @ (C / root)
    D = _DataGram(design, idx, root)
    a, b = np.array([3, 0, 7]), np.array([5, 1])
    np.testing.assert_allclose(D[np.ix_(a, b)], G[np.ix_(a, b)], atol=1e-12)
    np.testing.assert_allclose(D[a, 4], G[a, 4], atol=1e-12)
    assert D[6, 6] == 1.0 and abs(D[6, 9] - G[6, 9]) < 1e-12
    np.testing.assert_array_equal(D[a, a], np.ones(3))
    v = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(D.product(a, v), G[:, a] @ v, atol=1e-10)


def test_data_homotopy_equals_the_gram_homotopy():
    """The path followed through the data ends where the one on the formed Gram matrix
    does (penalty factors, an unpenalized and an excluded feature)."""
    from sparsefit._data import center_data
    from sparsefit._homotopy import lasso_homotopy, lasso_homotopy_fit
    from sparsefit.penalties import SeparablePenalty

    X, y = wide(n=35, p=296, seed=3)
    design, yt, *_ = center_data(X, y, None, True)
    p = X.shape[1]
    l1 = np.full(p, 0.01 * np.abs(design.rmatvec(yt)).max())
    l1[5] = 0.0  # unpenalized
    l1[10:20] *= 2.0
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    lower[9] = upper[9] = 0.0  # excluded
    pen = SeparablePenalty(l1, np.zeros(p), lower, upper)
    assert pen.excluded[9] and not pen.constrained
    free = design.col_norms2 > 0
    b = design.rmatvec(yt)
    w = lasso_homotopy_fit(design, b, pen, free)
    C = design.columns(np.arange(p))
    W = lasso_homotopy(C.T @ C, b, pen, np.ones(1), free)
    assert w is not None and W.shape[1] == 1
    np.testing.assert_allclose(w, W[:, 0], rtol=1e-8, atol=1e-10 * np.abs(w).max())
    assert w[9] == 0.0 and w[5] != 0.0


def _counted_homotopy(monkeypatch):
    """Record whether each call of the wide fits' homotopy returned a solution. The dual
    Newton method, which starts such cold fits first and leaves the homotopy to fits it
    does not settle, is turned off: these tests are about the homotopy's own path."""
    import sparsefit._cd as cd

    monkeypatch.setattr(cd, "dual_newton_applies", lambda *args: False)
    calls, original = [], cd.lasso_homotopy_fit

    def counted(*args):
        out = original(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(cd, "lasso_homotopy_fit", counted)
    return calls


@pytest.mark.parametrize("seed", [1, 2, 4])
def test_duplicated_columns_stay_blocked_only_while_their_twin_is_in(seed, monkeypatch):
    """Half the columns are copies (times -1) of the others: each copy's entry is refused
    while its twin is in the support, and it is let in again only when the twin leaves (not
    at every leave: re-trying every copy after each leave spent the homotopy's budget of
    breakpoints, and coordinate descent had to finish). The fit is certified."""
    from sparsefit import LassoCD

    from ._certificates import assert_enet_certified

    rng = np.random.default_rng(seed)
    n, p = 30, 330
    Z = rng.normal(size=(n, p - p // 2))
    X = np.column_stack([Z, -Z[:, : p // 2]]) + 5.0
    y = X @ (rng.normal(size=p) * (rng.random(p) < 0.3)) + 0.5 * rng.normal(size=n)
    calls = _counted_homotopy(monkeypatch)
    alpha = np.abs((X - X.mean(axis=0)).T @ (y - y.mean())).max() / n / 1000
    est = LassoCD(alpha=alpha, tol=1e-8).fit(X, y)
    assert calls == [True]
    assert_enet_certified(est, X, y)


@pytest.mark.parametrize("weights", [False, True], ids=["sw_none", "sw_random"])
def test_wide_fit_goes_to_the_homotopy_and_is_certified(weights, monkeypatch):
    """n << p at a small alpha: coordinate descent's support exceeds the number of samples,
    the fit takes the exact solution by homotopy through the data (counted), certified by
    the independent oracle and never above scikit-learn's objective."""
    from sklearn.linear_model import Lasso

    from sparsefit import LassoCD

    from ._certificates import assert_enet_certified, enet_objective

    X, y = wide(offset=2.0)
    sw = np.random.default_rng(4).uniform(0.5, 2.0, X.shape[0]) if weights else None
    calls = _counted_homotopy(monkeypatch)
    Xc = X - np.average(X, axis=0, weights=sw)
    alpha = np.abs(Xc.T @ (y - np.average(y, weights=sw))).max() / X.shape[0] / 1000
    est = LassoCD(alpha=alpha, tol=1e-8).fit(X, y, sample_weight=sw)
    assert calls == [True]
    assert_enet_certified(est, X, y, sw)
    ref = Lasso(alpha=alpha, tol=1e-10, max_iter=100_000).fit(X, y, sample_weight=sw)
    ours = enet_objective(X, y, est.coef_, est.intercept_, alpha=alpha, sample_weight=sw)
    theirs = enet_objective(X, y, ref.coef_, ref.intercept_, alpha=alpha, sample_weight=sw)
    assert ours <= theirs + 1e-12 * abs(theirs)


@pytest.mark.parametrize("seed", range(4))
def test_leaps_land_where_the_breakpoints_do(seed, monkeypatch):
    """On a coarse grid several features enter between grid points: the homotopy leaps to
    each grid point at once (``_Path.leap``) where the breakpoints would get there one entry
    at a time. The path equals the one without leaps and scikit-learn's at a tight
    tolerance, every point from the homotopy; leaps were taken, and refused leaps (a sign
    that would change, a feature beyond the boundary) left the path unchanged."""
    import sparsefit._homotopy as homotopy

    X, y = tall(n=300, p=40, seed=seed)
    alphas = np.geomspace(1.0, 1e-3, 8) * np.abs(X.T @ y).max() / X.shape[0]
    taken, refused = [], []
    leap = homotopy._Path.leap

    def counted(self, *args):
        out = leap(self, *args)
        (taken if out is not None else refused).append(1)
        return out

    monkeypatch.setattr(homotopy._Path, "leap", counted)
    _, coefs, _, n_iter = lasso_path(X, y, alphas=alphas, tol=1e-10, return_n_iter=True)
    assert np.all(np.asarray(n_iter) == 1) and taken
    monkeypatch.setattr(homotopy, "_LEAP_MIN", X.shape[1] + 1)  # (no leap is ever tried)
    _, stepwise, _ = lasso_path(X, y, alphas=alphas, tol=1e-10)
    np.testing.assert_allclose(coefs, stepwise, rtol=1e-9, atol=1e-12)
    _, ref, _ = sk_lasso_path(X, y, alphas=alphas, tol=1e-14, max_iter=100000)
    np.testing.assert_allclose(coefs, ref, rtol=1e-6, atol=1e-9)
    assert_path_certified(X, y, alphas, coefs, tol=1e-10)
    # one distant grid point (a refit): leaps by way of intermediate points, to the same end
    monkeypatch.setattr(homotopy, "_LEAP_MIN", 2)
    taken.clear()
    _, last, _, n_iter = lasso_path(X, y, alphas=alphas[-1:], tol=1e-10, return_n_iter=True)
    assert n_iter == [1] and taken
    np.testing.assert_allclose(last[:, 0], coefs[:, -1], rtol=1e-9, atol=1e-12)


def test_leaps_through_leaves_and_new_violators(monkeypatch):
    """Strongly correlated features (some leave): a leap predicted to pass a leave goes
    through it (the leaving feature held at zero in the solve, taken out of the factor if
    the point is the solution), and a leap whose point has features beyond the boundary
    takes them in and solves again. Both happen here, and the path is the one without
    leaps, scikit-learn's at a tight tolerance and certified."""
    import sparsefit._homotopy as homotopy

    rng = np.random.default_rng(0)
    p = 60
    corr = 0.9 ** np.abs(np.subtract.outer(range(p), range(p)))
    X = rng.normal(size=(300, p)) @ np.linalg.cholesky(corr).T
    y = X @ (rng.normal(size=p) * (rng.random(p) < 0.5)) + rng.normal(size=300)
    X, y = X - X.mean(axis=0), y - y.mean()
    alphas = np.geomspace(1.0, 1e-3, 15) * np.abs(X.T @ y).max() / X.shape[0]
    left, through = [], []
    leap, point = homotopy._Path.leap, homotopy._Path._point

    def counted_leap(self, t, t1, *args):
        self.rounds, before = [], self.in_active.copy()
        out = leap(self, t, t1, *args)
        if out is not None:
            left.append(bool((before & ~self.in_active).any()))
            through.append(any(not isinstance(r, tuple) and r is not None for r in self.rounds))
        return out

    def counted_point(self, *args):
        out = point(self, *args)
        self.rounds.append(out)
        return out

    monkeypatch.setattr(homotopy._Path, "leap", counted_leap)
    monkeypatch.setattr(homotopy._Path, "_point", counted_point)
    _, coefs, _, n_iter = lasso_path(X, y, alphas=alphas, tol=1e-10, return_n_iter=True)
    assert np.all(np.asarray(n_iter) == 1)
    assert any(left) and any(through), (left, through)
    monkeypatch.setattr(homotopy, "_LEAP_MIN", p + 1)  # (no leap is ever tried)
    _, stepwise, _ = lasso_path(X, y, alphas=alphas, tol=1e-10)
    np.testing.assert_allclose(coefs, stepwise, rtol=1e-9, atol=1e-12)
    _, ref, _ = sk_lasso_path(X, y, alphas=alphas, tol=1e-14, max_iter=100000)
    np.testing.assert_allclose(coefs, ref, rtol=1e-6, atol=1e-9)
    assert_path_certified(X, y, alphas, coefs, tol=1e-10)


@pytest.mark.parametrize("n_leaving", [1, 2])
def test_a_leap_solves_without_its_leaving_features(n_leaving):
    """The point and direction of a leap on its support without the features predicted to
    leave, through the factor of the support with them (``_Path._without``), are the
    solutions of the smaller system itself (closed form: its own solve)."""
    import sparsefit._homotopy as homotopy

    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 12))
    G, b = X.T @ X, X.T @ rng.normal(size=80)
    path = homotopy._Path(G, b, np.ones(12), np.ones(12, dtype=bool))
    A = np.array([4, 0, 7, 2, 9, 5])
    for j in A:
        assert path.system.extend(j)
    Gs = path.G  # (the scaled Gram matrix the path solves with)
    u, d = np.linalg.solve(Gs[np.ix_(A, A)], np.column_stack((b[A], np.ones(A.size)))).T
    L = A[[1, 4]][:n_leaving]
    A_kept, u_kept, d_kept = path._without(A, u, d, L)
    keep = ~np.isin(A, L)
    np.testing.assert_array_equal(A_kept, A[keep])
    ref = np.linalg.solve(
        Gs[np.ix_(A_kept, A_kept)], np.column_stack((b[A_kept], np.ones(keep.sum())))
    )
    np.testing.assert_allclose(u_kept, ref[:, 0], rtol=1e-10)
    np.testing.assert_allclose(d_kept, ref[:, 1], rtol=1e-10)


def test_a_leap_whose_leaving_feature_stays_beyond_the_boundary_is_not_taken(monkeypatch):
    """A feature predicted to leave before a leap's end whose correlation is beyond the
    boundary there, held at zero, does not leave: the leap is not taken (the feature is
    not taken in again as a new violator, which would append it to the factor twice). On
    this correlated design such leaps are tried, and every point of the path at
    ``tol=1e-4`` is exact: certified far below it."""
    import sparsefit._homotopy as homotopy

    rng = np.random.default_rng(7)
    p = int(rng.integers(20, 120))
    corr = rng.uniform(0.3, 0.95) ** np.abs(np.subtract.outer(range(p), range(p)))
    X = rng.normal(size=(400, p)) @ np.linalg.cholesky(corr).T
    y = X @ (rng.normal(size=p) * (rng.random(p) < 0.4)) + rng.normal(size=400)
    X, y = X - X.mean(axis=0), y - y.mean()
    refused = []
    point = homotopy._Path._point

    def counted_point(self, t, t1, k0, h0, held_out, L):
        out = point(self, t, t1, k0, h0, held_out, L)
        if L.size:
            refused.append(out is None)
        return out

    monkeypatch.setattr(homotopy._Path, "_point", counted_point)
    alphas, coefs, _, n_iter = lasso_path(X, y, alphas=100, tol=1e-4, return_n_iter=True)
    assert np.all(np.asarray(n_iter) == 1)
    assert any(refused) and not all(refused), refused
    assert_path_certified(X, y, alphas, coefs, tol=1e-10)


@pytest.mark.parametrize("seed", [1, 5])
def test_a_leap_holds_out_a_dependent_column_only_inside_the_boundary(seed, monkeypatch):
    """One-hot categories, standardized (every category's columns sum to a constant, zero
    once centred): a feature that a leap cannot append (its column is in the span of the
    support's) is held out of the factor, and the leap is kept only if that feature's
    correlation is inside the boundary at the leap's end (unlike a feature blocked at its
    own breakpoint, it is not tied there). Leaps held features out here, and every point
    of the path is exact: certified far below the path's ``tol``."""
    import sparsefit._homotopy as homotopy

    rng = np.random.default_rng(seed)
    n = 600
    blocks = [np.eye(levels)[rng.integers(0, levels, size=n)] for levels in (5, 4, 6, 3, 8)]
    X = np.hstack([*blocks, rng.normal(size=(n, 6))])
    y = X @ (rng.normal(size=X.shape[1]) * (rng.random(X.shape[1]) < 0.6)) + rng.normal(size=n)
    X, y = (X - X.mean(axis=0)) / X.std(axis=0), y - y.mean()
    held = []
    join = homotopy._Path._join

    def counted(self, E, s_E, held_out):
        before = len(held_out)
        join(self, E, s_E, held_out)
        held.append(len(held_out) - before)

    monkeypatch.setattr(homotopy._Path, "_join", counted)
    alphas, coefs, _, n_iter = lasso_path(X, y, alphas=100, tol=1e-4, return_n_iter=True)
    assert sum(held) > 0
    assert np.all(np.asarray(n_iter) == 1)
    assert_path_certified(X, y, alphas, coefs, tol=1e-10)
