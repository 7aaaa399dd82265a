"""RidgeGDCV: estimator checks, parity with scikit-learn's RidgeCV, optimality certificates."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparsefit._ridge_cv import RidgeGDCV

from ._certificates import center, ridge_exact

ALPHAS = np.logspace(-3, 3, 13)
#: k-fold fits run one RidgeGD per fold and alpha: a shorter grid keeps them fast
KFOLD_ALPHAS = np.logspace(-2, 2, 5)


@parametrize_with_checks([RidgeGDCV(), RidgeGDCV(cv=3)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _problem(n, p, n_targets, sparse, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 0] += 3.0  # a column with a large mean: the intercept matters
    if sparse:
        X = sp.csr_matrix(X * (rng.uniform(size=X.shape) < 0.4))
    w = rng.standard_normal((p, n_targets))
    Xd = X.toarray() if sparse else X
    y = Xd @ w + 0.5 * rng.standard_normal((n, n_targets)) + 2.0
    y = y[:, 0] if n_targets == 1 else y
    sw = rng.uniform(0.2, 3.0, n)
    return X, y, sw


def _assert_same(ours, ref, store=False):
    assert np.shape(ours.alpha_) == np.shape(ref.alpha_)
    np.testing.assert_array_equal(ours.alpha_, ref.alpha_)
    assert np.shape(ours.best_score_) == np.shape(ref.best_score_)
    np.testing.assert_allclose(ours.best_score_, ref.best_score_, rtol=1e-6, atol=0)
    assert ours.coef_.shape == ref.coef_.shape
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=1e-6)
    assert np.shape(ours.intercept_) == np.shape(ref.intercept_)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=0, atol=1e-6)
    if store:
        assert ours.cv_results_.shape == ref.cv_results_.shape
        np.testing.assert_allclose(ours.cv_results_, ref.cv_results_, rtol=1e-6, atol=1e-9)


# cv=None: every combination (each fit takes milliseconds)
@pytest.mark.parametrize("shape", [(40, 8), (15, 30)], ids=["n>p", "n<p"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "targets, per_target", [(1, False), (3, False), (3, True)], ids=["1", "3", "3-per-target"]
)
def test_loo_matches_sklearn(shape, sparse, weighted, fit_intercept, targets, per_target):
    X, y, sw = _problem(*shape, targets, sparse, seed=shape[0] + targets)
    sw = sw if weighted else None
    kw = dict(
        alphas=ALPHAS,
        fit_intercept=fit_intercept,
        alpha_per_target=per_target,
        store_cv_results=True,  # compared too; it does not change the fit
    )
    ref = RidgeCV(**kw).fit(X, y, sample_weight=sw)
    ours = RidgeGDCV(**kw).fit(X, y, sample_weight=sw)
    _assert_same(ours, ref, store=True)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [
        dict(gcv_mode="svd"),
        dict(gcv_mode="eigen"),
        dict(scoring="r2"),
        dict(scoring="neg_mean_absolute_error", store_cv_results=True),
        dict(scoring="r2", alpha_per_target=True, store_cv_results=True),
    ],
    ids=repr,
)
@pytest.mark.parametrize("shape", [(40, 8), (15, 30)], ids=["n>p", "n<p"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_loo_options_match_sklearn(kw, shape, weighted):
    X, y, sw = _problem(*shape, 2, False, seed=7)
    sw = sw if weighted else None
    ref = RidgeCV(alphas=ALPHAS, **kw).fit(X, y, sample_weight=sw)
    ours = RidgeGDCV(alphas=ALPHAS, **kw).fit(X, y, sample_weight=sw)
    _assert_same(ours, ref, kw.get("store_cv_results", False))


@pytest.mark.parametrize(
    "shape, sparse, weighted, fit_intercept, targets",
    [
        ((40, 8), False, False, True, 1),
        ((40, 8), False, True, True, 2),
        ((40, 8), True, True, False, 1),
        ((15, 30), False, True, True, 1),
        ((15, 30), True, False, True, 2),
    ],
)
def test_kfold_matches_sklearn(shape, sparse, weighted, fit_intercept, targets):
    X, y, sw = _problem(*shape, targets, sparse, seed=3)
    sw = sw if weighted else None
    kw = dict(alphas=KFOLD_ALPHAS, fit_intercept=fit_intercept, cv=5)
    ours = RidgeGDCV(**kw).fit(X, y, sample_weight=sw)
    # scikit-learn's RidgeCV solves sparse folds with sparse_cg at its default tol=1e-4, which
    # is not accurate to 1e-6: compare with its exact (dense) solution of the same problem
    ref = RidgeCV(**kw).fit(X.toarray() if sparse else X, y, sample_weight=sw)
    _assert_same(ours, ref)


def test_kfold_splitter_and_iterable():
    X, y, _ = _problem(30, 6, 1, False, seed=5)
    splitter = KFold(4, shuffle=True, random_state=0)
    for cv in (splitter, list(splitter.split(X))):
        kw = dict(alphas=KFOLD_ALPHAS, cv=cv, scoring="neg_mean_squared_error")
        _assert_same(RidgeGDCV(**kw).fit(X, y), RidgeCV(**kw).fit(X, y))


def _assert_optimal(est, X, y, sw):
    """Gradient of ``sum s (y - Xw - b)^2 + alpha ||w||^2`` at the returned solution ~ 0."""
    Y = y.reshape(len(y), -1)
    coef = np.atleast_2d(est.coef_)
    alphas = np.broadcast_to(np.asarray(est.alpha_, dtype=float), (Y.shape[1],))
    intercepts = np.broadcast_to(np.asarray(est.intercept_, dtype=float), (Y.shape[1],))
    for k in range(Y.shape[1]):
        Xt, yt, x_off, y_off, _ = center(X, Y[:, k], sw, est.fit_intercept, normalize=False)
        grad = -2.0 * Xt.T @ (yt - Xt @ coef[k]) + 2.0 * alphas[k] * coef[k]
        scale = 2.0 * np.linalg.norm(Xt, 2) * np.linalg.norm(yt)
        assert np.linalg.norm(grad) <= 1e-10 * scale, np.linalg.norm(grad) / scale
        expected_b = y_off - x_off @ coef[k] if est.fit_intercept else 0.0
        assert abs(intercepts[k] - expected_b) <= 1e-10 * (1 + abs(expected_b))
        w_exact, _ = ridge_exact(
            X, Y[:, k], alpha=alphas[k], sample_weight=sw, fit_intercept=est.fit_intercept
        )
        np.testing.assert_allclose(coef[k], w_exact, rtol=1e-8, atol=1e-10)
        gap = np.broadcast_to(np.asarray(est.dual_gap_, dtype=float), (Y.shape[1],))[k]
        assert 0 <= gap <= 1e-12 * (yt @ yt)


@pytest.mark.parametrize("cv", [None, 3])
@pytest.mark.parametrize("shape", [(40, 8), (15, 30)], ids=["n>p", "n<p"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_solution_is_optimal(cv, shape, sparse, fit_intercept):
    X, y, sw = _problem(*shape, 2, sparse, seed=11)
    per_target = cv is None
    alphas = ALPHAS if cv is None else [0.1, 10.0]
    est = RidgeGDCV(alphas=alphas, cv=cv, fit_intercept=fit_intercept, alpha_per_target=per_target)
    est.fit(X, y, sample_weight=sw)
    _assert_optimal(est, X, y, sw)


def test_loo_is_brute_force_leave_one_out():
    """cv_results_ and best_score_ against n explicit refits without each sample."""
    X, y, sw = _problem(12, 5, 1, False, seed=2)
    alphas = [0.3, 3.0]
    est = RidgeGDCV(alphas=alphas, store_cv_results=True).fit(X, y, sample_weight=sw)
    scored = RidgeGDCV(alphas=alphas, scoring="neg_mean_squared_error", store_cv_results=True)
    scored.fit(X, y, sample_weight=sw)
    for j, alpha in enumerate(alphas):
        pred = np.empty(len(y))
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            w, b = ridge_exact(X[keep], y[keep], alpha=alpha, sample_weight=sw[keep])
            pred[i] = X[i] @ w + b
        np.testing.assert_allclose(est.cv_results_[:, j], sw * (y - pred) ** 2, rtol=1e-9)
        np.testing.assert_allclose(scored.cv_results_[:, j], pred, rtol=1e-9)
    errors = sw[:, None] * (y[:, None] - scored.cv_results_) ** 2
    assert est.best_score_ == pytest.approx((-errors.mean(axis=0)).max(), rel=1e-9)


def test_zero_weight_sample_with_scorer_is_a_removed_sample():
    X, y, sw = _problem(20, 4, 1, False, seed=4)
    sw[3] = 0.0
    keep = sw > 0
    kw = dict(alphas=ALPHAS, scoring="r2")
    ours = RidgeGDCV(**kw).fit(X, y, sample_weight=sw)
    ref = RidgeCV(**kw).fit(X[keep], y[keep], sample_weight=sw[keep])
    _assert_same(ours, ref)


def test_float32_preserved():
    X, y, _ = _problem(30, 5, 1, False, seed=6)
    for cv in (None, 3):
        est = RidgeGDCV(cv=cv).fit(X.astype(np.float32), y)
        assert est.coef_.dtype == np.float32
        assert est.predict(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(alphas=[1.0, -1.0]), r"alphas\[1\] == -1.0, must be > 0.0."),
        (dict(alphas=[1.0, 0.0]), r"alphas\[1\] == 0.0, must be > 0.0."),
        (dict(alphas=[-2.0]), r"alphas == -2.0, must be > 0.0."),
        (dict(alphas=[1.0, -1.0], cv=3), r"alphas\[1\] == -1.0, must be >= 0.0."),
        (dict(cv=3, store_cv_results=True), "cv!=None and store_cv_results=True"),
        (dict(cv=3, alpha_per_target=True), "cv!=None and alpha_per_target=True"),
    ],
)
def test_errors_as_sklearn(params, message):
    X, y, _ = _problem(20, 3, 1, False, seed=0)
    with pytest.raises(ValueError, match=message):
        RidgeCV(**params).fit(X, y)
    with pytest.raises(ValueError, match=message):
        RidgeGDCV(**params).fit(X, y)


def test_alpha_zero_allowed_with_cv():
    X, y, _ = _problem(30, 4, 1, False, seed=8)
    est = RidgeGDCV(alphas=[0.0], cv=3).fit(X, y)
    ref = RidgeCV(alphas=[0.0], cv=3).fit(X, y)
    assert est.alpha_ == 0.0
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-6)


def test_svd_on_sparse_warns_and_falls_back():
    X, y, _ = _problem(20, 5, 1, True, seed=9)
    with pytest.warns(FutureWarning, match="'svd' mode is not supported for sparse X"):
        est = RidgeGDCV(gcv_mode="svd").fit(X, y)
    _assert_same(est, RidgeCV(gcv_mode="eigen").fit(X, y))


def test_loo_needs_two_weighted_samples():
    X, y, _ = _problem(5, 3, 1, False, seed=1)
    with pytest.raises(ValueError, match="at least 2 samples with non-zero weight; got 1 sample"):
        RidgeGDCV().fit(X, y, sample_weight=[0, 0, 1.0, 0, 0])
