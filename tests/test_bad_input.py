"""A matrix of awkward and bad inputs across LassoCD, ElasticNetCD and RidgeGD.

Every case either works -- and then gives the same answer as the plain C-contiguous float64
input holding the same numbers -- or raises a ValueError that says what is wrong. In both
cases nothing passed in is modified (compared bitwise after the fit). The plain NaN/inf,
complex-X, empty, length-mismatch and weight-value cases are in ``test_validation.py``.
"""

import copy

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone

from sparsefit import ElasticNetCD, LassoCD, RidgeGD
from sparsefit.penalties import L1, L1L2, L2

from ._certificates import assert_enet_certified, assert_ridge_certified

pd = pytest.importorskip("pandas")

ESTIMATORS = [
    LassoCD(alpha=0.05, tol=1e-12),
    ElasticNetCD(alpha=0.05, l1_ratio=0.4, tol=1e-12),
    RidgeGD(alpha=2.0, tol=1e-12),
]
EST_IDS = ["lasso", "enet", "ridge"]
N, P = 24, 6


def base_data():
    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(N, P)) * 4)  # integer-valued: exact in every dtype below
    X[X == 0] = 1.0
    X[rng.uniform(size=X.shape) < 0.3] = 0.0
    y = X @ rng.normal(size=P) + rng.normal(size=N)
    sw = rng.uniform(0.5, 2.0, size=N)
    return X, y, sw


def _readonly(a):
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def _sparse_int64(fmt):
    def convert(X):
        S = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
        S.indices = S.indices.astype(np.int64)
        S.indptr = S.indptr.astype(np.int64)
        assert S.indices.dtype == np.int64
        return S

    return convert


def _sparse_readonly(X):
    S = sp.csr_matrix(X)
    for name in ("data", "indices", "indptr"):
        getattr(S, name).flags.writeable = False
    return S


def _frame(names):
    def convert(X):
        cols = names(X.shape[1])
        return pd.DataFrame(X, columns=cols)

    return convert


# ---------------------------------------------------------------------------------------------
# inputs that must work: (transform X, transform y, transform sw)
# ---------------------------------------------------------------------------------------------
def _same(a):
    return a


WORKS = {
    "int64-X": (lambda X: X.astype(np.int64), _same, _same),
    "int32-X": (lambda X: X.astype(np.int32), _same, _same),
    "int8-X": (lambda X: X.astype(np.int8), _same, _same),
    "float16-X": (lambda X: X.astype(np.float16), _same, _same),
    "object-X": (lambda X: X.astype(object), _same, _same),
    "numeric-string-X": (lambda X: X.astype(str), _same, _same),
    "int-y": (_same, lambda y: np.round(y).astype(np.int64), _same),
    "object-y": (_same, lambda y: y.astype(object), _same),
    "numeric-string-y": (_same, lambda y: y.astype(str), _same),
    "int-sw": (_same, _same, lambda s: np.round(s * 3).astype(np.int64)),
    "list-inputs": (lambda X: X.tolist(), lambda y: y.tolist(), lambda s: s.tolist()),
    "fortran-X": (np.asfortranarray, _same, _same),
    "strided-columns-X": (lambda X: np.repeat(X, 2, axis=1)[:, ::2], _same, _same),
    "strided-rows": (
        lambda X: np.repeat(X, 2, axis=0)[::2],
        lambda y: np.repeat(y, 2)[::2],
        lambda s: np.repeat(s, 2)[::2],
    ),
    "negative-strides": (
        lambda X: X[::-1, ::-1][::-1, ::-1],
        lambda y: y[::-1][::-1],
        lambda s: s[::-1][::-1],
    ),
    "readonly": (_readonly, _readonly, _readonly),
    "csr-int64-indices": (_sparse_int64("csr"), _same, _same),
    "csc-int64-indices": (_sparse_int64("csc"), _same, _same),
    "csr-readonly": (_sparse_readonly, _same, _same),
    "csr-int-data": (lambda X: sp.csr_matrix(X.astype(np.int64)), _same, _same),
    "csr-array": (sp.csr_array, _same, _same),
    "lil": (sp.lil_matrix, _same, _same),
    "dok": (sp.dok_matrix, _same, _same),
    "bsr": (sp.bsr_matrix, _same, _same),
    "dataframe-str-names": (
        _frame(lambda p: [f"f{j}" for j in range(p)]),
        pd.Series,
        pd.Series,
    ),
    "dataframe-int-names": (_frame(lambda p: list(range(p))), _same, _same),
    "dataframe-nullable-Float64": (
        lambda X: pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])]).astype("Float64"),
        _same,
        _same,
    ),
    "dataframe-sparse": (
        lambda X: pd.DataFrame.sparse.from_spmatrix(
            sp.csr_matrix(X), columns=[f"f{j}" for j in range(X.shape[1])]
        ),
        _same,
        _same,
    ),
}


def snapshot(obj):
    """A deep, bitwise-comparable copy of an input."""
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        return obj.copy(deep=True)
    if sp.issparse(obj) and obj.format in ("csr", "csc", "bsr"):
        # obj.copy() may narrow int64 indices: keep the exact arrays
        before = copy.copy(obj)
        for name in ("data", "indices", "indptr"):
            setattr(before, name, getattr(obj, name).copy())
        return before
    if sp.issparse(obj):
        return obj.copy()
    if isinstance(obj, np.ndarray):
        before = obj.copy()
        before.flags.writeable = obj.flags.writeable  # a copy is always writeable
        return before
    return copy.deepcopy(obj)


def assert_unchanged(obj, before):
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        pd.testing.assert_frame_equal(obj, before) if isinstance(
            obj, pd.DataFrame
        ) else pd.testing.assert_series_equal(obj, before)
        return
    if sp.issparse(obj):
        assert type(obj) is type(before) and obj.format == before.format
        if obj.format == "dok":
            assert dict(obj.items()) == dict(before.items())
            return
        if obj.format == "lil":
            assert obj.rows.tolist() == before.rows.tolist()
            assert obj.data.tolist() == before.data.tolist()
            return
        for name in ("data", "indices", "indptr"):
            a, b = getattr(obj, name), getattr(before, name)
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
        return
    if isinstance(obj, np.ndarray):
        assert obj.dtype == before.dtype and obj.shape == before.shape
        if obj.dtype == object:
            assert obj.tolist() == before.tolist()
        else:
            assert np.ascontiguousarray(obj).tobytes() == np.ascontiguousarray(before).tobytes()
        assert obj.flags.writeable == before.flags.writeable
        return
    assert obj == before


def fit_checking_inputs(est, X, y, sw):
    saved = [snapshot(a) for a in (X, y, sw)]
    try:
        est.fit(X, y, sample_weight=sw)
        est.predict(X)
    finally:
        for a, b in zip((X, y, sw), saved, strict=True):
            if a is not None:
                assert_unchanged(a, b)
    return est


@pytest.mark.parametrize("est", ESTIMATORS, ids=EST_IDS)
@pytest.mark.parametrize("case", list(WORKS))
@pytest.mark.parametrize("weights", [False, True])
def test_accepted_inputs_give_the_plain_answer(est, case, weights):
    X, y, sw = base_data()
    tx, ty, ts = WORKS[case]
    Xin, yin = tx(X), ty(y)
    swin = ts(sw) if weights else None
    # the same numbers as plain C-contiguous float64 arrays
    X64 = np.asarray(Xin.toarray() if sp.issparse(Xin) else Xin, dtype=np.float64)
    y64 = np.asarray(yin, dtype=np.float64)
    sw64 = None if swin is None else np.asarray(swin, dtype=np.float64)
    X64 = np.ascontiguousarray(X64)

    got = fit_checking_inputs(clone(est), Xin, yin, swin)
    ref = clone(est).fit(X64, y64, sample_weight=sw64)
    if isinstance(est, RidgeGD):
        assert_ridge_certified(got, X64, y64, sw64)
    else:
        assert_enet_certified(got, X64, y64, sw64)
    assert got.coef_.dtype == (np.float32 if X64.dtype == np.float32 else np.float64)
    scale = np.abs(ref.coef_).max()
    assert_allclose(got.coef_, ref.coef_, rtol=1e-7, atol=1e-9 * scale)
    assert_allclose(got.predict(Xin), ref.predict(X64), rtol=1e-9, atol=1e-9)
    if isinstance(Xin, pd.DataFrame) and all(isinstance(c, str) for c in Xin.columns):
        assert list(got.feature_names_in_) == [f"f{j}" for j in range(P)]
    else:
        assert not hasattr(got, "feature_names_in_")
    assert got.n_features_in_ == P


# ---------------------------------------------------------------------------------------------
# inputs that must be refused: a clear ValueError (nothing modified either)
# ---------------------------------------------------------------------------------------------
def _with_none(X):
    Xo = X.astype(object)
    Xo[2, 3] = None
    return Xo


def _frame_with_na(X):
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])]).astype("Float64")
    df.iloc[3, 1] = pd.NA
    return df


def _frame_with_strings(X):
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    df["f1"] = ["a", "b"] * (len(df) // 2)
    return df


def _frame_with_category(X):
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    df["f1"] = pd.Categorical(["u", "v"] * (len(df) // 2))
    return df


def _nan_in(kind, value):
    def convert(a):
        a = np.array(a, dtype=np.float64, copy=True)
        a.flat[3] = value
        return a

    return convert


REFUSED = {
    # (transform X, transform y, transform sw, message pattern)
    "complex-X-sparse": (lambda X: sp.csr_matrix(X + 1j), _same, _same, "Complex data"),
    "complex-y": (_same, lambda y: y + 0j, _same, "Complex data"),
    "complex-sw": (_same, _same, lambda s: s + 0j, "Complex data"),
    "object-X-with-None": (_with_none, _same, _same, "NaN"),
    "object-X-with-strings": (
        lambda X: np.where(X > 1, "big", X.astype(object)),
        _same,
        _same,
        "could not convert string to float",
    ),
    "string-X-letters": (lambda X: np.full(X.shape, "x"), _same, _same, "could not convert"),
    "string-y-letters": (_same, lambda y: np.full(y.shape, "x"), _same, "could not convert"),
    "string-sw-letters": (_same, _same, lambda s: np.full(s.shape, "x"), "could not convert"),
    "nan-y-2d": (_same, lambda y: _nan_in("y", np.nan)(np.c_[y, y]), _same, "NaN"),
    "inf-X-float32": (
        lambda X: _nan_in("X", np.inf)(X).astype(np.float32),
        _same,
        _same,
        "infinity",
    ),
    "neg-inf-sw": (_same, _same, _nan_in("sw", -np.inf), "(?i)sample.weight"),
    "negative-sw-sparse-X": (
        sp.csr_matrix,
        _same,
        lambda s: s - 1.0,
        "(?i)negative.*sample.weight",
    ),
    "negative-scalar-sw": (_same, _same, lambda s: -1.0, "(?i)negative.*sample.weight"),
    "zero-scalar-sw": (_same, _same, lambda s: 0.0, "non-zero"),
    "X-1d": (lambda X: X[:, 0], _same, _same, "Expected 2D array"),
    "X-3d": (lambda X: X[:, :, None], _same, _same, "dim 3"),
    "y-3d": (_same, lambda y: y[:, None, None], _same, "dim 3"),
    "y-no-columns": (_same, lambda y: np.empty((len(y), 0)), _same, r"0 feature\(s\)"),
    "y-none": (_same, lambda y: None, _same, "requires y to be passed"),
    "X-shorter-than-sw": (lambda X: X[:-2], lambda y: y[:-2], _same, "sample_weight"),
    "sw-2d": (_same, _same, lambda s: np.c_[s, s], "(?i)sample.weight"),
    "ragged-X": (
        lambda X: [list(r) for r in X[:-1]] + [list(X[-1, :-1])],
        _same,
        _same,
        "inhomogeneous",
    ),
    "dataframe-with-NA": (_frame_with_na, _same, _same, "NaN"),
    "dataframe-string-column": (_frame_with_strings, _same, _same, "could not convert"),
    "dataframe-categorical-column": (_frame_with_category, _same, _same, "could not convert"),
}


@pytest.mark.parametrize("est", ESTIMATORS, ids=EST_IDS)
@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_inputs_raise_a_clear_value_error(est, case):
    X, y, sw = base_data()
    tx, ty, ts, match = REFUSED[case]
    Xin, yin, swin = tx(X), ty(y), ts(sw)
    with pytest.raises(ValueError, match=match):
        fit_checking_inputs(clone(est), Xin, yin, swin)


@pytest.mark.parametrize("est", ESTIMATORS, ids=EST_IDS)
@pytest.mark.parametrize("which", ["y", "sample_weight"])
def test_sparse_y_or_weights_raise_scikit_learns_type_error(est, which):
    """A sparse ``y`` or ``sample_weight`` is a TypeError in scikit-learn's estimators (the
    message of its check_array); sparsefit raises the same, naming the argument."""
    X, y, sw = base_data()
    if which == "y":
        y = sp.csr_matrix(y[:, None])
    else:
        sw = sp.csr_matrix(sw)
    with pytest.raises(TypeError, match=f"Sparse data was passed for {which}, but dense"):
        fit_checking_inputs(clone(est), X, y, sw)


@pytest.mark.parametrize("est", ESTIMATORS, ids=EST_IDS)
def test_dataframe_with_mixed_column_name_types(est):
    """scikit-learn's own rule, kept as is: column names of mixed types are a TypeError
    (it is raised by scikit-learn's validate_data, with a message saying how to fix it)."""
    X, y, _ = base_data()
    df = pd.DataFrame(X, columns=["a", 1, "c", "d", "e", "f"])
    with pytest.raises(TypeError, match="Feature names are only supported if all input"):
        clone(est).fit(df, y)
    df.columns = [str(c) for c in df.columns]  # the suggested fix works
    assert clone(est).fit(df, y).n_features_in_ == P


@pytest.mark.parametrize("est", ESTIMATORS, ids=EST_IDS)
@pytest.mark.parametrize(
    "make_X, match",
    [
        (lambda X: X[:, :-1], "X has 5 features, but"),
        (lambda X: X[0], "Expected 2D array"),
        (lambda X: X + 1j, "Complex data"),
        (lambda X: np.where(X > 1, np.inf, X), "infinity"),
        (lambda X: sp.csr_matrix(np.where(X > 1, np.nan, X)), "NaN"),
        (lambda X: np.full(X.shape, "x"), "could not convert"),
    ],
    ids=["n_features", "1d", "complex", "inf", "sparse-nan", "strings"],
)
def test_predict_refuses_bad_X(est, make_X, match):
    X, y, _ = base_data()
    est = clone(est).fit(X, y)
    coef = est.coef_.copy()
    bad = make_X(X)
    with pytest.raises(ValueError, match=match):
        est.predict(bad)
    assert np.array_equal(est.coef_, coef)


@pytest.mark.parametrize("est", ESTIMATORS, ids=EST_IDS)
def test_dataframe_predict_needs_matching_names(est):
    X, y, _ = base_data()
    cols = [f"f{j}" for j in range(P)]
    est = clone(est).fit(pd.DataFrame(X, columns=cols), y)
    with pytest.raises(ValueError, match="feature names should match"):
        est.predict(pd.DataFrame(X, columns=cols[::-1]))
    # same names, same order: same predictions as the array (which warns, as in scikit-learn)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        pred = est.predict(X)
    assert_allclose(est.predict(pd.DataFrame(X, columns=cols)), pred, rtol=1e-12)


@pytest.mark.parametrize("est", ESTIMATORS[:2], ids=EST_IDS[:2])
@pytest.mark.parametrize("scale", [1e-320, 1e-200, 1e200])
def test_extreme_weight_scale_is_irrelevant_for_cd(est, scale):
    """The Lasso/ENet objective normalizes the weights, so multiplying them by any positive
    constant changes nothing -- even when their sum would overflow or be subnormal."""
    X, y, sw = base_data()
    sw = np.round(sw * 4)  # few significant bits: exact after scaling by 1e-320
    ref = clone(est).fit(X, y, sample_weight=sw)
    got = fit_checking_inputs(clone(est), X, y, sw * scale)
    assert_enet_certified(got, X, y, sw)
    assert_allclose(got.coef_, ref.coef_, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# the public value objects in sparsefit.penalties
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [L1, L2, L1L2])
@pytest.mark.parametrize("bad", ["abc", None, 1j, [1.0, 2.0], -np.inf])
def test_penalties_refuse_non_numbers(cls, bad):
    """A number is required; Python's own TypeError for objects that are not numbers at all
    (None, complex, lists) is as clear as a ValueError."""
    with pytest.raises((ValueError, TypeError)):
        cls(bad)


@pytest.mark.parametrize("cls", [L1, L2, L1L2])
def test_penalties_accept_numpy_scalars_and_do_not_modify_input(cls):
    pen = cls(np.float32(0.5))
    assert pen == cls(0.5)
    w = np.array([1.0, -2.0, 0.0])
    w_ro = _readonly(w)
    before = w_ro.copy()
    pen.prox(w_ro, step=0.5)
    pen.subdiff_distance(w_ro, w_ro)
    pen(w_ro)
    assert np.array_equal(w_ro, before)
