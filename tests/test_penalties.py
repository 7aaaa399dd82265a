"""Penalties: values, proximal operators, subdifferential distances, alpha_max.

Reference answers are closed forms written here, or brute-force 1-D minimisation (scipy's
bounded scalar minimiser), never sparsefit's own output.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.optimize import minimize_scalar

from sparsefit.penalties import L1, L1L2, L2, soft_threshold

HYP = settings(max_examples=60, deadline=None, derandomize=True)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def closed_form_value(kind, alpha, rho, w):
    w = np.asarray(w, dtype=float)
    if kind == "l1":
        return alpha * np.abs(w).sum()
    if kind == "l2":
        return alpha * (w**2).sum()  # Ridge scaling: no 1/2
    return alpha * rho * np.abs(w).sum() + 0.5 * alpha * (1 - rho) * (w**2).sum()


def make(kind, alpha, rho=0.5, positive=False):
    if kind == "l1":
        return L1(alpha, positive=positive)
    if kind == "l2":
        return L2(alpha, positive=positive)
    return L1L2(alpha, l1_ratio=rho, positive=positive)


def prox_closed_form(kind, alpha, rho, z, step, positive):
    """argmin_x 1/2 (x - z)^2 + step * pen(x), written from the calculus."""
    z = np.asarray(z, dtype=float)
    if kind == "l1":
        a1, a2 = alpha, 0.0
    elif kind == "l2":
        a1, a2 = 0.0, 2.0 * alpha  # d/dx alpha x^2 = 2 alpha x
    else:
        a1, a2 = alpha * rho, alpha * (1 - rho)
    t = step * a1
    if positive:
        num = np.maximum(z - t, 0.0)
    else:
        num = np.where(z > t, z - t, np.where(z < -t, z + t, 0.0))
    return num / (1.0 + step * a2)


KINDS = ["l1", "l2", "l1l2"]


# ---------------------------------------------------------------------------------------------
# soft_threshold
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "z, t, expected",
    [
        (3.0, 1.0, 2.0),
        (-3.0, 1.0, -2.0),
        (0.5, 1.0, 0.0),
        (-0.5, 1.0, 0.0),
        (1.0, 1.0, 0.0),
        (2.5, 0.0, 2.5),
        (0.0, 0.0, 0.0),
    ],
)
def test_soft_threshold_scalar(z, t, expected):
    out = soft_threshold(z, t)
    assert isinstance(out, float)
    assert out == expected


def test_soft_threshold_array_matches_formula():
    rng = np.random.default_rng(0)
    z = rng.normal(size=50) * 3
    for t in (0.0, 0.3, 1.7, 10.0):
        out = soft_threshold(z, t)
        assert isinstance(out, np.ndarray) and out.shape == z.shape
        assert_allclose(out, np.sign(z) * np.maximum(np.abs(z) - t, 0.0), rtol=0, atol=0)
    # the input is not modified
    z2 = z.copy()
    soft_threshold(z, 1.0)
    assert np.array_equal(z, z2)


@HYP
@given(seed=seeds, t=st.floats(0.0, 5.0))
def test_soft_threshold_is_prox_of_abs(seed, t):
    """soft_threshold(z, t) minimises 1/2 (x - z)^2 + t |x| (brute force)."""
    z = float(np.random.default_rng(seed).normal() * 3)
    x = soft_threshold(z, t)
    res = minimize_scalar(
        lambda v: 0.5 * (v - z) ** 2 + t * abs(v),
        bounds=(-20, 20),
        method="bounded",
        options={"xatol": 1e-12},
    )
    h = lambda v: 0.5 * (v - z) ** 2 + t * abs(v)  # noqa: E731
    assert h(x) <= h(res.x) + 1e-12
    assert abs(x - res.x) <= 1e-5


# ---------------------------------------------------------------------------------------------
# values and weights
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("alpha", [0.0, 0.3, 2.0])
def test_value_matches_closed_form(kind, alpha):
    rng = np.random.default_rng(1)
    w = rng.normal(size=7)
    pen = make(kind, alpha, rho=0.3)
    expected = closed_form_value(kind, alpha, 0.3, w)
    assert_allclose(pen.value(w), expected, rtol=1e-14, atol=1e-15)
    assert_allclose(pen(w), expected, rtol=1e-14, atol=1e-15)
    assert pen.value(np.zeros(4)) == 0.0


@pytest.mark.parametrize("kind", KINDS)
def test_weights_describe_the_value(kind):
    """value(w) = l1_weight ||w||_1 + l2_weight / 2 ||w||^2 (the documented convention)."""
    rng = np.random.default_rng(2)
    w = rng.normal(size=5)
    pen = make(kind, 0.7, rho=0.25)
    assert_allclose(
        pen.value(w),
        pen.l1_weight * np.abs(w).sum() + 0.5 * pen.l2_weight * (w**2).sum(),
        rtol=1e-14,
    )
    expected = {"l1": (0.7, 0.0), "l2": (0.0, 1.4), "l1l2": (0.7 * 0.25, 0.7 * 0.75)}[kind]
    assert_allclose((pen.l1_weight, pen.l2_weight), expected, rtol=1e-15)


def test_l1l2_limits():
    rng = np.random.default_rng(3)
    w = rng.normal(size=6)
    assert_allclose(L1L2(0.4, l1_ratio=1.0).value(w), L1(0.4).value(w), rtol=1e-15)
    # l1_ratio = 0 is half the Ridge-scaled L2 (ElasticNet carries a 1/2)
    assert_allclose(L1L2(0.4, l1_ratio=0.0).value(w), 0.5 * L2(0.4).value(w), rtol=1e-15)


# ---------------------------------------------------------------------------------------------
# prox
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("step", [0.1, 1.0, 3.0])
def test_prox_closed_form(kind, positive, step):
    rng = np.random.default_rng(4)
    z = rng.normal(size=40) * 2
    pen = make(kind, 0.8, rho=0.6, positive=positive)
    out = pen.prox(z, step)
    assert out.shape == z.shape
    assert_allclose(
        out, prox_closed_form(kind, 0.8, 0.6, z, step, positive), rtol=1e-13, atol=1e-15
    )
    for zj, oj in zip(z[:10], out[:10], strict=True):
        o1 = pen.prox_1d(float(zj), step)
        assert isinstance(o1, float)
        assert_allclose(o1, oj, rtol=1e-13, atol=1e-15)
    if positive:
        assert np.all(out >= 0)


@HYP
@given(
    seed=seeds,
    kind=st.sampled_from(KINDS),
    positive=st.booleans(),
    step=st.floats(0.01, 10.0),
    alpha=st.floats(0.0, 3.0),
    rho=st.floats(0.0, 1.0),
)
def test_prox_minimises_by_brute_force(seed, kind, positive, step, alpha, rho):
    z = float(np.random.default_rng(seed).normal() * 3)
    pen = make(kind, alpha, rho=rho, positive=positive)
    x = pen.prox_1d(z, step)

    def h(v):
        return 0.5 * (v - z) ** 2 + step * pen.value(np.array([v]))

    lo = 0.0 if positive else -20.0
    res = minimize_scalar(h, bounds=(lo, 20.0), method="bounded", options={"xatol": 1e-12})
    candidates = [res.x, lo] if positive else [res.x]
    best = min(candidates, key=h)
    assert h(x) <= h(best) + 1e-10
    if positive:
        assert x >= 0.0


@HYP
@given(seed=seeds, kind=st.sampled_from(KINDS), positive=st.booleans(), step=st.floats(0.01, 10.0))
def test_prox_satisfies_optimality(seed, kind, positive, step):
    """x = prox(z) iff (z - x)/step is in the subdifferential at x: subdiff distance is 0."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=8) * 3
    pen = make(kind, 0.9, rho=0.4, positive=positive)
    x = pen.prox(z, step)
    # gradient of the smooth part 1/(2 step) (x - z)^2 is (x - z)/step
    dist = pen.subdiff_distance(x, (x - z) / step)
    assert dist.shape == z.shape
    assert_allclose(dist, 0.0, atol=1e-10 * (1 + np.abs(z).max() / step))


# ---------------------------------------------------------------------------------------------
# subdifferential distance
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("positive", [False, True])
def test_subdiff_distance_l1_closed_form(positive):
    a = 0.5
    pen = L1(a, positive=positive)
    w = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 2.0, -1.0])
    grad = np.array([0.2, -0.7, 0.9, -0.5, -0.5, 0.1, 0.3])
    if positive:
        w[6] = 0.0  # keep w feasible
    expected = []
    for wj, gj in zip(w, grad, strict=True):
        if wj != 0:
            expected.append(abs(gj + a * np.sign(wj)))
        elif positive:  # subdifferential of a|w| + indicator(w >= 0) at 0 is (-inf, a]
            expected.append(max(-gj - a, 0.0))
        else:  # [-a, a]
            expected.append(max(abs(gj) - a, 0.0))
    assert_allclose(pen.subdiff_distance(w, grad), expected, rtol=1e-14, atol=1e-15)


def test_subdiff_distance_l2_and_l1l2_closed_form():
    rng = np.random.default_rng(5)
    w = rng.normal(size=6)
    w[:2] = 0.0
    grad = rng.normal(size=6)
    # L2(alpha) = alpha ||w||^2 is differentiable: distance is |grad + 2 alpha w|
    assert_allclose(L2(0.3).subdiff_distance(w, grad), np.abs(grad + 0.6 * w), rtol=1e-13)
    a, rho = 0.8, 0.25
    dist = L1L2(a, l1_ratio=rho).subdiff_distance(w, grad)
    g = grad + a * (1 - rho) * w
    expected = np.where(
        w != 0, np.abs(g + a * rho * np.sign(w)), np.maximum(np.abs(g) - a * rho, 0.0)
    )
    assert_allclose(dist, expected, rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# alpha_max
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("rho", [1.0, 0.5, 0.1])
def test_alpha_max(positive, rho):
    rng = np.random.default_rng(6)
    grad0 = rng.normal(size=9)
    pen_cls = (
        (lambda a: L1(a, positive=positive))
        if rho == 1.0
        else (lambda a: L1L2(a, l1_ratio=rho, positive=positive))
    )
    amax = pen_cls(1.0).alpha_max(grad0)
    top = max(np.max(-grad0), 0.0) if positive else np.max(np.abs(grad0))
    assert_allclose(amax, top / rho, rtol=1e-14)
    # defining property: w = 0 satisfies the optimality conditions iff alpha >= alpha_max
    zero = np.zeros_like(grad0)
    assert np.all(pen_cls(amax * (1 + 1e-12)).subdiff_distance(zero, grad0) == 0)
    assert np.any(pen_cls(0.99 * amax).subdiff_distance(zero, grad0) > 0)


def test_alpha_max_of_pure_l2_is_infinite():
    """No finite alpha zeroes every coefficient under an L2 penalty alone."""
    grad0 = np.array([0.5, -1.0])
    for pen in (L2(1.0), L1L2(1.0, l1_ratio=0.0)):
        try:
            amax = pen.alpha_max(grad0)
        except (ValueError, NotImplementedError):
            continue  # refusing is an acceptable answer too
        assert amax == np.inf


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_penalties_reject_bad_alpha(bad):
    for cls in (L1, L2, L1L2):
        with pytest.raises(ValueError, match="alpha"):
            cls(bad)


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_l1l2_rejects_bad_l1_ratio(bad):
    with pytest.raises(ValueError, match="l1_ratio"):
        L1L2(1.0, l1_ratio=bad)


# ---------------------------------------------------------------------------------------------
# array API: values and proxes in the namespace of the array given
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make_penalty",
    [
        lambda: L1(0.3),
        lambda: L2(0.3, positive=True),
        lambda: L1L2(0.8, l1_ratio=0.4, penalty_factor=[1.0, 0.0, 2.0, np.inf, 0.5]),
        lambda: L1(0.2, bounds=(-1.0, [0.5, 2.0, 0.0, 1.0, np.inf])),
    ],
)
@pytest.mark.parametrize("step", [0.5, 2.0])
def test_array_api_namespaces(make_penalty, step):
    xp = pytest.importorskip("array_api_strict")
    penalty = make_penalty()
    rng = np.random.default_rng(14)
    for _ in range(5):
        z = rng.normal(size=5) * 2
        z[3] = 0.0 if rng.uniform() < 0.5 else z[3]  # excluded feature: sometimes feasible
        zx = xp.asarray(z)
        value = penalty(zx)
        assert isinstance(value, type(zx)) and value.shape == ()
        expected = penalty(z)
        assert (float(value) == expected) or np.isclose(float(value), expected, rtol=1e-14)
        prox = penalty.prox(zx, step)
        assert isinstance(prox, type(zx)) and prox.dtype == zx.dtype
        assert_allclose(np.asarray(prox), penalty.prox(z, step), rtol=1e-15, atol=0)


_FLAGS = ("bounded", "constrained", "formulation", "any_unpenalized", "uniform_l1", "has_l2")


def _flags(pen):
    out = {name: getattr(pen, name) for name in _FLAGS}
    out["excluded"] = pen.excluded.tolist()
    out["unpenalized"] = pen.unpenalized.tolist()
    return out


@pytest.mark.parametrize(
    "penalty",
    [
        L1(0.3),
        L1L2(0.3, 0.4),
        L1(0.3, positive=True),
        L1L2(0.3, 0.5, penalty_factor=[0.0, 1.0, 2.0, 1.0, np.inf, 1.0]),
        L1(0.3, penalty_factor=[1.0, 1.0, 0.0, 1.0, 1.0, 1.0]),
        L1L2(0.3, 0.0),
        L2(0.2),
    ],
    ids=["lasso", "enet", "positive", "factors", "unpenalized", "ridge-as-enet", "ridge"],
)
def test_restricted_and_scaled_penalties_have_the_flags_of_their_weights(penalty):
    """``restrict`` and ``scaled`` take flags from their parent where they cannot differ;
    they must equal the flags derived from the new weights and bounds from scratch."""
    from sparsefit.penalties import SeparablePenalty

    pen = penalty.to_solver(7.0, 6)
    fresh = lambda l1, l2, lo, up: SeparablePenalty(l1, l2, lo, up)  # noqa: E731
    for idx in (np.array([0, 2, 3]), np.array([1, 5]), np.arange(6), np.array([4])):
        sub = pen.restrict(idx)
        ref = fresh(pen.l1[idx], pen.l2[idx], pen.lower[idx], pen.upper[idx])
        assert _flags(sub) == _flags(ref)
    for factor in (0.0, 0.5, 3.0):
        out = pen.scaled(factor)
        ref = fresh(pen.l1 * factor, pen.l2 * factor, pen.lower, pen.upper)
        assert _flags(out) == _flags(ref)
        assert_allclose(out.l1, ref.l1) and assert_allclose(out.l2, ref.l2)
