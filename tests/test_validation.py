"""Bad input is refused with a ValueError that says what is wrong; warnings say why."""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from sparsefit import ElasticNetCD, LassoCD, RidgeGD

from ._certificates import assert_enet_certified, assert_ridge_certified, center

ALL = [LassoCD, ElasticNetCD, RidgeGD]
ALL_IDS = ["lasso", "enet", "ridge"]


def data(seed=0, n=20, p=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    return X, y


# ---------------------------------------------------------------------------------------------
# X and y
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
@pytest.mark.parametrize(
    "where, value, match",
    [
        ("X", np.nan, "Input X contains NaN"),
        ("X", np.inf, "Input X contains infinity"),
        ("X", -np.inf, "Input X contains infinity"),
        ("y", np.nan, "Input y contains NaN"),
        ("y", np.inf, "Input y contains infinity"),
    ],
)
@pytest.mark.parametrize("sparse", [False, True])
def test_non_finite_input(cls, where, value, match, sparse):
    X, y = data()
    if where == "X":
        X[3, 1] = value
    else:
        y[5] = value
    Xin = sp.csr_matrix(X) if sparse else X
    with pytest.raises(ValueError, match=match):
        cls().fit(Xin, y)


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_tall_input_found_by_the_gram_matrix(cls, value, monkeypatch):
    """Tall, narrow dense X has its NaN/infinity scan left to the Gram matrix the fit forms
    first (a non-finite entry makes its column's diagonal entry non-finite): the error is
    scikit-learn's, word for word, and nothing warns before it; finite data are not
    scanned at all, and squares that overflow are not taken for infinity."""
    from sklearn.linear_model import ElasticNet, Lasso, Ridge

    import sparsefit._base as base

    X, y = data(n=80, p=4)
    scans = []
    scan = base._assert_all_finite
    monkeypatch.setattr(
        base, "_assert_all_finite", lambda *a, **k: (scans.append(1), scan(*a, **k))
    )
    cls().fit(X, y)
    assert scans == []
    X[3, 1] = value
    theirs = {LassoCD: Lasso, ElasticNetCD: ElasticNet, RidgeGD: Ridge}[cls]
    with pytest.raises(ValueError) as expected:
        theirs().fit(X, y)
    message = str(expected.value).replace(theirs.__name__, cls.__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=re.escape(message)):
            cls().fit(X, y)
    assert scans == [1]
    X[3, 1] = 1e200  # (finite: its square overflows; what follows is not validation's)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls().fit(X, y)
    except ValueError as error:
        assert "contains" not in str(error)


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
def test_non_finite_input_at_predict(cls):
    X, y = data()
    est = cls().fit(X, y)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.predict(X)


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
def test_complex_X(cls):
    X, y = data()
    with pytest.raises(ValueError, match="Complex data not supported"):
        cls().fit(X + 1j, y)


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
def test_string_X(cls):
    _, y = data()
    X = np.array([["a", "b"]] * len(y))
    with pytest.raises(ValueError, match="could not convert string to float"):
        cls().fit(X, y)


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
def test_empty_X(cls):
    with pytest.raises(ValueError, match=r"0 sample\(s\) \(shape=\(0, 3\)\)"):
        cls().fit(np.empty((0, 3)), np.empty(0))
    with pytest.raises(ValueError, match=r"0 feature\(s\) \(shape=\(5, 0\)\)"):
        cls().fit(np.empty((5, 0)), np.ones(5))


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
def test_inconsistent_lengths(cls):
    X, y = data()
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[20, 19\]"):
        cls().fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"sample_weight\.shape == \(19,\), expected \(20,\)"):
        cls().fit(X, y, sample_weight=np.ones(19))
    with pytest.raises(ValueError, match=r"(?i)sample.weight.*1D"):
        cls().fit(X, y, sample_weight=np.ones((20, 2)))


# ---------------------------------------------------------------------------------------------
# sample_weight values
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
def test_negative_sample_weight(cls):
    """Documented choice: unlike scikit-learn (which accepts them silently), refuse."""
    X, y = data()
    sw = np.ones(len(y))
    sw[2] = -0.5
    with pytest.raises(ValueError, match=r"(?i)negative.*sample.weight"):
        cls().fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_sample_weight(cls, bad):
    X, y = data()
    sw = np.ones(len(y))
    sw[1] = bad
    with pytest.raises(ValueError, match=r"(?i)sample.weight.*(nan|inf)"):
        cls().fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
def test_all_zero_sample_weight(cls):
    X, y = data()
    with pytest.raises(
        ValueError, match="Sample weights must contain at least one non-zero number."
    ):
        cls().fit(X, y, sample_weight=np.zeros(len(y)))


# ---------------------------------------------------------------------------------------------
# hyper-parameters
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, params, name",
    [
        (LassoCD, {"alpha": -1.0}, "alpha"),
        (ElasticNetCD, {"alpha": -0.1}, "alpha"),
        (RidgeGD, {"alpha": -1.0}, "alpha"),
        (ElasticNetCD, {"l1_ratio": -0.1}, "l1_ratio"),
        (ElasticNetCD, {"l1_ratio": 1.5}, "l1_ratio"),
        (LassoCD, {"max_iter": 0}, "max_iter"),
        (ElasticNetCD, {"max_iter": -3}, "max_iter"),
        (RidgeGD, {"max_iter": 0}, "max_iter"),
        (LassoCD, {"tol": -1e-3}, "tol"),
        (ElasticNetCD, {"tol": -1.0}, "tol"),
        (RidgeGD, {"tol": -1e-3}, "tol"),
        (LassoCD, {"selection": "greedy"}, "selection"),
        (ElasticNetCD, {"selection": "Cyclic"}, "selection"),
        (RidgeGD, {"solver": "cholesky"}, "solver"),
        (LassoCD, {"precompute": "auto"}, "precompute"),
        (LassoCD, {"fit_intercept": "yes"}, "fit_intercept"),
        (RidgeGD, {"positive": 2}, "positive"),
    ],
)
def test_bad_hyperparameters(cls, params, name):
    X, y = data()
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter of {cls.__name__}"):
        cls(**params).fit(X, y)
    assert issubclass(InvalidParameterError, ValueError)


def test_ridge_alpha_array_of_wrong_length():
    X, y = data()
    Y = np.c_[y, -y]
    with pytest.raises(ValueError, match=r"(?i)(penalt|alpha).*3.*2|3 != 2"):
        RidgeGD(alpha=np.array([1.0, 2.0, 3.0])).fit(X, Y)
    with pytest.raises(ValueError, match=r"(?i)penalt|alpha"):
        RidgeGD(alpha=np.array([1.0, 2.0])).fit(X, y)


def test_ridge_alpha_array_must_be_nonnegative():
    X, y = data()
    with pytest.raises(ValueError, match="alpha"):
        RidgeGD(alpha=np.array([1.0, -2.0])).fit(X, np.c_[y, y])


def test_ridge_alpha_accepts_any_array_like():
    """scikit-learn's Ridge declares alpha as 'array-like': a list must work as a drop-in."""
    X, y = data()
    Y = np.c_[y, 2 * y]
    from_array = RidgeGD(alpha=np.array([0.5, 4.0]), tol=1e-12).fit(X, Y)
    from_list = RidgeGD(alpha=[0.5, 4.0], tol=1e-12).fit(X, Y)
    np.testing.assert_allclose(from_list.coef_, from_array.coef_, rtol=1e-10)


def test_ridge_cg_refuses_positive():
    X, y = data()
    with pytest.raises(ValueError, match=r"(?s)(cg.*positive|positive.*cg)"):
        RidgeGD(solver="cg", positive=True).fit(X, y)
    # the other solvers accept it
    for solver in ("auto", "gd", "agd"):
        assert_ridge_certified(RidgeGD(solver=solver, positive=True).fit(X, y), X, y)


def test_bad_precomputed_gram():
    X, y = data()
    with pytest.raises(ValueError, match=r"(?i)gram"):
        LassoCD(precompute=np.eye(X.shape[1] + 1), fit_intercept=False).fit(X, y)
    with pytest.raises(ValueError, match=r"(?i)gram"):
        LassoCD(precompute=3.0 * np.eye(X.shape[1]), fit_intercept=False).fit(X, y)


# ---------------------------------------------------------------------------------------------
# warnings
# ---------------------------------------------------------------------------------------------
_FLOAT = re.compile(r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def _numbers(message):
    return [float(m) for m in _FLOAT.findall(message)]


def _contains(numbers, value, rtol=2e-3):
    return any(abs(v - value) <= rtol * abs(value) for v in numbers)


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD])
def test_convergence_warning_cd(cls):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 40))
    y = X @ rng.normal(size=40) + 0.1 * rng.normal(size=60)
    tol = 1e-15
    est = cls(alpha=1e-3, max_iter=1, tol=tol)
    with pytest.warns(ConvergenceWarning) as record:
        est.fit(X, y)
    msgs = [str(r.message) for r in record if issubclass(r.category, ConvergenceWarning)]
    assert len(msgs) == 1
    msg = msgs[0]
    assert re.search(r"(?i)gap", msg) and re.search(r"(?i)tol", msg), msg
    nums = _numbers(msg)
    _, yt, *_ = center(X, y)
    n = len(y)
    gap, tol_abs = float(est.dual_gap_), tol * (yt @ yt) / n
    assert gap > tol_abs
    # the achieved gap and the tolerance, in dual_gap_ units or (as sklearn) both times n
    assert (_contains(nums, gap) and _contains(nums, tol_abs)) or (
        _contains(nums, gap * n) and _contains(nums, tol_abs * n)
    ), (msg, gap, tol_abs)
    assert est.n_iter_ == 1


def test_convergence_warning_ridge():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 40)) @ np.diag(np.logspace(0, 3, 40))
    y = X @ rng.normal(size=40) + rng.normal(size=60)
    tol = 1e-15
    est = RidgeGD(alpha=1e-3, solver="gd", max_iter=1, tol=tol)
    with pytest.warns(ConvergenceWarning) as record:
        est.fit(X, y)
    msg = next(str(r.message) for r in record if issubclass(r.category, ConvergenceWarning))
    assert re.search(r"(?i)gap", msg) and re.search(r"(?i)tol", msg), msg
    _, yt, *_ = center(X, y, normalize=False)
    tol_abs = tol * (yt @ yt)  # tol times the Ridge objective at w = 0
    assert float(est.dual_gap_) > tol_abs
    assert _contains(_numbers(msg), float(est.dual_gap_)), msg
    assert _contains(_numbers(msg), tol_abs), msg


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
def test_no_warning_on_a_well_posed_problem(cls):
    X, y = data(3, n=50, p=6)
    certify = assert_ridge_certified if cls is RidgeGD else assert_enet_certified
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        certify(cls(alpha=0.1).fit(X, y), X, y)
        certify(cls(alpha=0.1, tol=1e-12).fit(sp.csc_matrix(X), y), X, y)


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD])
def test_alpha_zero_warns(cls):
    X, y = data(4, n=40, p=3)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = cls(alpha=0.0).fit(X, y)
    plain = [r for r in record if r.category is UserWarning]
    assert len(plain) == 1, [(r.category, str(r.message)) for r in record]
    assert "alpha=0" in str(plain[0].message) or "alpha" in str(plain[0].message)
    # it still solves least squares: the OLS certificate ||Xt^T R||^2 / n <= tol ||yt||^2 / n
    assert_enet_certified(est, X, y)


@pytest.mark.parametrize("cls", [LassoCD, ElasticNetCD])
def test_positive_alpha_does_not_warn(cls):
    X, y = data(5, n=40, p=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cls(alpha=1e-3).fit(X, y)


def test_precomputed_gram_with_intercept_is_recomputed():
    """As in scikit-learn: a Gram of the raw X cannot serve the centred problem; the fit
    must not use it blindly (it recomputes, possibly with a UserWarning) and stay exact."""
    X, y = data(6, n=40, p=5)
    X = X + 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = LassoCD(alpha=0.05, precompute=X.T @ X, tol=1e-10).fit(X, y)
    assert_enet_certified(est, X, y)


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
def test_integer_input_gives_float64(cls):
    X, y = data(7)
    Xi = np.round(X * 10).astype(np.int64)
    yi = np.round(y * 10).astype(np.int64)
    est = cls(alpha=0.5, tol=1e-8).fit(Xi, yi)
    assert est.coef_.dtype == np.float64
    assert est.predict(Xi).dtype == np.float64
    certify = assert_ridge_certified if cls is RidgeGD else assert_enet_certified
    certify(est, Xi.astype(float), yi.astype(float))


@pytest.mark.parametrize("cls", ALL, ids=ALL_IDS)
@pytest.mark.parametrize("n, p", [(80, 4), (20, 4)], ids=["tall", "small"])
def test_non_finite_x_and_y_name_x_as_scikit_learn_does(cls, n, p):
    """NaN in both X and y: scikit-learn scans X first and names it, also where the scan of
    tall X is left to the Gram matrix (y is validated before)."""
    from sklearn.linear_model import ElasticNet, Lasso, Ridge

    X, y = data(n=n, p=p)
    X[3, 1] = np.nan
    y[5] = np.nan
    theirs = {LassoCD: Lasso, ElasticNetCD: ElasticNet, RidgeGD: Ridge}[cls]
    with pytest.raises(ValueError) as expected:
        theirs().fit(X, y)
    message = str(expected.value).replace(theirs.__name__, cls.__name__)
    assert "Input X" in message
    with pytest.raises(ValueError, match=re.escape(message)):
        cls().fit(X, y)
