"""A single fit on tall, narrow dense data forms the full Gram matrix only where it pays:
when the features violating their optimality conditions at zero (its first working set)
are few enough, their block is formed instead (``_data.gram_pays_for_fit``). Either way the
answer is scikit-learn's, certified by its duality gap."""

import re
import warnings

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, Lasso

import sparsefit._pipeline as pipeline
from sparsefit import ElasticNetCD, LassoCD
from sparsefit._data import center_data, gram_pays_for_fit

from ._certificates import assert_enet_certified, enet_objective, factor_kkt, factor_objective


def tall(seed=0, n=1200, p=120, informative=30, offset=3.0):
    """Tall data with correlated columns whose target depends on a few of them: at
    ``alpha_max / 10`` about a quarter of the features violate at zero."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 0.5 * rng.normal(size=(n, 1))
    X = np.asfortranarray(offset + X * rng.uniform(0.5, 2.0, size=p))
    coef = np.zeros(p)
    coef[rng.choice(p, informative, replace=False)] = rng.normal(size=informative)
    y = X @ coef + rng.normal(size=n)
    return X, y


def alpha_at(X, y, ratio, l1_ratio=1.0):
    Xc, yc = X - X.mean(0), y - y.mean()
    return float(np.abs(Xc.T @ yc).max()) / X.shape[0] / l1_ratio / ratio


@pytest.fixture
def decisions(monkeypatch):
    """Whether each fit's judge formed the full Gram matrix (True) or declined it."""
    made = []
    judge = pipeline._GramJudge.__call__

    def record(self, product):
        made.append(judge(self, product))
        return made[-1]

    monkeypatch.setattr(pipeline._GramJudge, "__call__", record)
    return made


def test_the_gram_matrix_pays_beyond_two_thirds_and_on_few_features():
    p = 164
    # the blocks would complete the full matrix beyond two thirds of the features
    assert gram_pays_for_fit(p, 2 * p // 3 + 1)
    # its cost grows with the violators: from some count on, always the full matrix
    pays = [gram_pays_for_fit(p, m) for m in range(p + 1)]
    first = pays.index(True)
    assert all(pays[first:]) and not any(pays[:first])
    # on a few features the passes over X cost more than the whole product
    assert all(gram_pays_for_fit(8, m) for m in range(9))
    # California's design at alpha_max / 10 (84 violators): the block (measured 16.0
    # against 21.3 ms for the fit)
    assert not gram_pays_for_fit(p, 84)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_a_fit_that_declines_the_gram_matrix_is_scikit_learns(decisions, fit_intercept, l1_ratio):
    X, y = tall(offset=3.0 if fit_intercept else 0.0)  # (without: columns near mean zero)
    X0, y0 = X.copy(), y.copy()
    alpha = alpha_at(X, y, 10, l1_ratio)
    est = ElasticNetCD(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-8)
    est.fit(X, y)
    assert decisions == [False]  # (the route under test)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert_enet_certified(est, X, y)
    ref = ElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-12, max_iter=10**5
    ).fit(X, y)
    problem = dict(alpha=alpha, l1_ratio=l1_ratio)
    ours = enet_objective(X, y, est.coef_, est.intercept_, **problem)
    theirs = enet_objective(X, y, ref.coef_, ref.intercept_, **problem)
    assert ours <= theirs + 1e-12 * abs(theirs)
    # the same fit with the full Gram matrix formed (scikit-learn's ``precompute``)
    gram = ElasticNetCD(
        alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-8, precompute=True
    ).fit(X, y)
    assert decisions == [False]  # (not judged: formed as asked)
    np.testing.assert_allclose(est.coef_, gram.coef_, rtol=1e-6, atol=1e-8)


def test_many_violators_keep_the_full_gram_matrix(decisions):
    X, y = tall()
    est = LassoCD(alpha=alpha_at(X, y, 1000), tol=1e-8).fit(X, y)
    assert decisions == [True]
    assert_enet_certified(est, X, y)


def test_declined_gram_with_penalty_factors_and_bounds(decisions):
    """The violators at zero by the penalty itself: unpenalized features always count,
    the bounds decide which side may move. Optimality is checked written out (KKT) and
    against the same fit with the full Gram matrix."""
    X, y = tall(seed=1)
    p = X.shape[1]
    factors = np.ones(p)
    factors[:3] = 0.0
    alpha = alpha_at(X, y, 10)
    problem = dict(alpha=alpha, l1_ratio=1.0, penalty_factor=factors, positive=True)
    est = LassoCD(alpha=alpha, tol=1e-10, positive=True, penalty_factor=factors).fit(X, y)
    assert decisions == [False]
    gram = LassoCD(alpha=alpha, tol=1e-10, positive=True, penalty_factor=factors)
    gram.set_params(precompute=True).fit(X, y)
    assert est.coef_.min() >= 0.0
    viol, _, scale = factor_kkt(X, y, est.coef_, **problem)
    n, yc = X.shape[0], y - y.mean()
    delta = est.tol * (yc @ yc) / n  # (the gap the fit was stopped at, at most)
    assert np.all(viol <= scale * np.sqrt(2.0 * delta * n) * (1 + 1e-6) + 1e-12)
    ours = factor_objective(X, y, est.coef_, est.intercept_, **problem)
    theirs = factor_objective(X, y, gram.coef_, gram.intercept_, **problem)
    assert ours <= theirs + 1e-12 * abs(theirs)


def test_the_judged_product_gives_the_designs_own_xty():
    """``Xt^T yt`` from the product the judge was given is the design's, bit for bit (the
    offsets' correction, the columns split for their large offsets)."""
    X, y = tall(seed=2)
    X[:, 5] += 1e7  # (an offset large enough to split the column)
    seen = []
    design, yt, _, _ = center_data(
        X, y, None, True, gram_first=lambda product: seen.append(product) or False
    )
    assert len(seen) == 1
    assert getattr(design, "raw_gram", None) is None  # (declined)
    np.testing.assert_array_equal(design.rmatvec(yt, product=seen[0]), design.rmatvec(yt))


def test_lasso_scikit_learn_agrees_on_a_declined_route(decisions):
    X, y = tall(seed=3)
    alpha = alpha_at(X, y, 3)
    est = LassoCD(alpha=alpha, tol=1e-10).fit(X, y)
    assert decisions == [False]
    ref = Lasso(alpha=alpha, tol=1e-12, max_iter=10**5).fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-7)
    assert_enet_certified(est, X, y)


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD], ids=["lasso", "enet"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_input_found_by_the_norms_on_a_declined_route(
    decisions, cls, value, monkeypatch
):
    """Where the fit declines the Gram matrix, the columns' sums of squares (needed for
    their norms) find a NaN or infinity as the Gram matrix's diagonal would: the error is
    scikit-learn's, word for word, nothing warns before it, and finite data are not scanned."""
    import sparsefit._base as base

    X, y = tall()
    alpha = alpha_at(X, y, 10)
    scans = []
    scan = base._assert_all_finite
    monkeypatch.setattr(
        base, "_assert_all_finite", lambda *a, **k: (scans.append(1), scan(*a, **k))
    )
    cls(alpha=alpha).fit(X, y)
    assert decisions == [False] and scans == []
    X[7, 3] = value
    theirs = {LassoCD: Lasso, ElasticNetCD: ElasticNet}[cls]
    with pytest.raises(ValueError) as expected:
        theirs(alpha=alpha).fit(X, y)
    message = str(expected.value).replace(theirs.__name__, cls.__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=re.escape(message)):
            cls(alpha=alpha).fit(X, y)
    assert scans == [1] and decisions == [False, False]


@pytest.mark.parametrize("shape", [(1200, 120), (80, 4)], ids=["judged", "gram-first"])
def test_no_warning_comes_before_the_scan_of_x(shape):
    """The mean of ``y`` is formed before X is scanned (the judge needs ``X^T yt``): where
    it overflows (finite values near the largest float), its warnings may not come before
    X's NaN error, which is scikit-learn's."""
    X = np.random.default_rng(0).normal(size=shape)
    X[3, 1] = np.nan
    y = np.full(shape[0], 1e308)
    y[::2] = 1.5e308
    with pytest.raises(ValueError) as expected:
        Lasso().fit(X, y)
    message = str(expected.value).replace("Lasso", "LassoCD")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=re.escape(message)):
            LassoCD().fit(X, y)


def test_a_large_declined_fit_runs_on_single_precision_blocks(decisions, monkeypatch):
    """Large enough (``SINGLE_BLOCK_MIN_ENTRIES``), the declined fit's blocks are formed in
    single precision (``Workspace``), refined against the data: the answer is the one with
    the full Gram matrix, certified."""
    import sparsefit._data as data

    products = []
    single = data.Workspace._single_products
    monkeypatch.setattr(
        data.Workspace, "_single_products", lambda *a: products.append(1) or single(*a)
    )
    X, y = tall(n=40_000, p=120)
    alpha = alpha_at(X, y, 5)  # (27 violators at zero)
    est = LassoCD(alpha=alpha, tol=1e-8).fit(X, y)
    assert decisions == [False] and products
    assert_enet_certified(est, X, y)
    gram = LassoCD(alpha=alpha, tol=1e-8, precompute=True).fit(X, y)
    problem = dict(alpha=alpha, l1_ratio=1.0)
    ours = enet_objective(X, y, est.coef_, est.intercept_, **problem)
    theirs = enet_objective(X, y, gram.coef_, gram.intercept_, **problem)
    assert ours <= theirs + 1e-12 * abs(theirs)
