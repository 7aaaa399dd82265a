"""Randomized differential test: sparsefit against scikit-learn on many small problems.

Each problem is drawn from a seed (the problem's index): a small design, ``n_samples`` and
``n_features`` from 2 to 60 (wide and tall), of one of several kinds -- Gaussian,
duplicated and nearly duplicated columns, wildly scaled columns with large offsets,
constant columns --, ``alpha`` from ``1e-6`` to ``1`` times ``alpha_max``, with and without
intercept, sample weights (some zero) and ``positive``, dense (C or Fortran order) or sparse
(CSR or CSC), lasso or elastic net.

Every problem is solved by scikit-learn's coordinate descent at a tight tolerance (its
objective ``P_sk``, an upper bound on the optimum), then by sparsefit at a tolerance whose
certificate implies a suboptimality of at most ``1e-10 P_sk``. The checks:

* sparsefit's objective is never worse than scikit-learn's by more than ``1e-9`` relative
  (plus the rounding of the objective's own evaluation);
* the returned solution is certified by the independent oracle of ``_certificates.py``
  (duality gap within the tolerance, optimal intercept, KKT conditions of the zeros);
* no warning escapes, except a ConvergenceWarning where scikit-learn, at the same tolerance,
  cannot certify its answer either (the tolerance is beyond double precision); the point
  returned then still meets the objective check.

``SPARSEFIT_DIFF_PROBLEMS`` sets how many problems are tried (default: a few hundred, a few
seconds); ``SPARSEFIT_DIFF_START`` the first index (to split a large local run).
"""

import os
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet

from sparsefit import ElasticNetCD

from ._certificates import (
    assert_enet_certified,
    center,
    enet_alpha_max,
    enet_gap_sum_form,
    enet_objective,
)

N_PROBLEMS = int(os.environ.get("SPARSEFIT_DIFF_PROBLEMS", "150"))
START = int(os.environ.get("SPARSEFIT_DIFF_START", "0"))
#: relative objective excess allowed over scikit-learn's (the issue's acceptance bound)
RELATIVE_EXCESS = 1e-9
#: sparsefit's certified suboptimality, as a fraction of scikit-learn's objective: ten
#: times tighter than the bound checked, so that a certified fit always passes
CERTIFIED_FRACTION = 1e-10
#: scikit-learn's tolerance and budget for the reference solution
REFERENCE_TOL = 1e-13
REFERENCE_MAX_ITER = 200_000
#: tolerances asked of sparsefit are kept in this range. The lower end is double
#: precision's: the gap is a difference of terms of the size of ||yt||^2, computed to a few
#: eps of it; where the tolerance the check needs is below the rounding level of this
#: problem's gap, a ConvergenceWarning is justified (see ``check_problem``)
TOL_RANGE = (np.finfo(float).eps, 1e-4)
#: points sampled to measure the gap's rounding level, and the multiple of their spread
#: taken as that level (a few samples see only part of the range)
NOISE_SAMPLES = 8
NOISE_FLOOR = 4.0
#: rounding of an objective's evaluation, relative to the objective at ``w = 0``
OBJECTIVE_ROUNDING = 8 * np.finfo(float).eps
KINDS = ("gaussian", "duplicated", "near_duplicated", "scaled_offsets", "constant_columns")


def make_problem(index):
    """The problem of seed ``index``: a dict of data and estimator parameters."""
    rng = np.random.default_rng([20261202, index])
    n = int(rng.integers(2, 61))
    p = int(rng.integers(2, 61))
    kind = KINDS[index % len(KINDS)]
    X = rng.normal(size=(n, p))
    if kind == "duplicated":
        k = int(rng.integers(1, p))
        X[:, rng.choice(p, k)] = X[:, rng.choice(p, k)]
    elif kind == "near_duplicated":
        k = int(rng.integers(1, p))
        src = rng.choice(p, k)
        X[:, rng.choice(p, k)] = X[:, src] + 10.0 ** rng.uniform(-10, -4) * rng.normal(size=(n, k))
    elif kind == "scaled_offsets":
        X = X * 10.0 ** rng.uniform(-3, 3, size=p) + 10.0 ** rng.uniform(-2, 4, size=p)
    elif kind == "constant_columns":
        constant = rng.uniform(size=p) < 0.3
        constant[0] = False  # (with every column constant, alpha_max is rounding noise)
        X[:, constant] = rng.normal()
    if rng.uniform() < 0.3:
        X[rng.uniform(size=X.shape) < 0.5] = 0.0  # a sparse-looking design
    truth = rng.normal(size=p) * (rng.uniform(size=p) < min(1.0, 3.0 / p + 0.1))
    # every column contributes on the same scale, whatever its units
    y = X @ (truth / np.maximum(np.abs(X).max(axis=0), 1e-300))
    y = y + rng.normal(size=n) * 10.0 ** rng.uniform(-3, 0) + 5.0 * rng.normal()
    sw = None
    if rng.uniform() < 0.4:
        sw = rng.uniform(0.0, 3.0, size=n)
        sw[rng.uniform(size=n) < 0.2] = 0.0
        if not np.any(sw > 0):
            sw[0] = 1.0
    fit_intercept = bool(rng.uniform() < 0.7)
    positive = bool(rng.uniform() < 0.15)
    l1_ratio = 1.0 if rng.uniform() < 0.5 else float(rng.uniform(0.05, 1.0))
    fmt = str(rng.choice(["C", "F", "csr", "csc"]))
    frac = 10.0 ** rng.uniform(-6, 0)
    return dict(
        index=index,
        kind=kind,
        X=X,
        y=y,
        sample_weight=sw,
        fit_intercept=fit_intercept,
        positive=positive,
        l1_ratio=l1_ratio,
        fmt=fmt,
        frac=frac,
    )


def _as_format(X, fmt):
    if fmt == "C":
        return np.ascontiguousarray(X)
    if fmt == "F":
        return np.asfortranarray(X)
    return getattr(sp, f"{fmt}_matrix")(X)


def _fit(est, X, y, sw):
    """Fit, returning the warnings raised (all of them recorded)."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est.fit(X, y, sample_weight=sw)
    return record


def check_problem(problem):
    """Run one differential check; returns ``(relative excess, beyond_precision, excess
    over scikit-learn's)``.

    The relative excess is ``(P_sf - P_sk) / P_sk`` for a certified fit; for a fit beyond
    double precision (sparsefit warns and scikit-learn, at the same tolerance on the same
    input, does not reach a certified point either) it is ``(P_sf - P_sk) / P(0)``. The last
    is ``(P_sf - P_sk) / P_sk`` in both cases (reported by the large run).
    """
    X, y, sw = problem["X"], problem["y"], problem["sample_weight"]
    rho, fit_intercept = problem["l1_ratio"], problem["fit_intercept"]
    amax = enet_alpha_max(X, y, sw, fit_intercept, rho, problem["positive"])
    alpha = problem["frac"] * (amax if amax > 0 else 1.0)
    params = dict(
        alpha=alpha, l1_ratio=rho, fit_intercept=fit_intercept, positive=problem["positive"]
    )
    objective = dict(alpha=alpha, l1_ratio=rho, sample_weight=sw)

    reference = ElasticNet(**params, tol=REFERENCE_TOL, max_iter=REFERENCE_MAX_ITER)
    _fit(reference, X, y, sw)
    p_sk = enet_objective(X, y, reference.coef_, reference.intercept_, **objective)
    zero = np.zeros(X.shape[1])
    p_zero = enet_objective(X, y, zero, _best_intercept(fit_intercept, y, sw), **objective)
    # gap <= tol ||yt||^2 / n = 2 tol P(0): a certified suboptimality of at most
    # CERTIFIED_FRACTION * P_sk
    tol = TOL_RANGE[1]
    if p_zero > 0:
        tol = float(np.clip(CERTIFIED_FRACTION * p_sk / (2.0 * p_zero), *TOL_RANGE))

    est = ElasticNetCD(**params, tol=tol, max_iter=10_000)
    record = _fit(est, _as_format(X, problem["fmt"]), y, sw)
    others = [r for r in record if not issubclass(r.category, ConvergenceWarning)]
    assert not others, [str(r.message) for r in others]
    p_sf = enet_objective(X, y, est.coef_, est.intercept_, **objective)
    rounding = OBJECTIVE_ROUNDING * p_zero  # of the objectives' own evaluation
    assert p_sf <= p_zero + rounding, (problem["index"], p_sf, p_zero)  # never worse than 0

    noise = NOISE_FLOOR * _gap_noise(est, X, y, sw, reference.coef_)
    if not record:  # certified: as good as scikit-learn's best, to 1e-9 relative
        noise = max(noise, NOISE_FLOOR * _gap_noise(est, X, y, sw, est.coef_))
        assert_enet_certified(est, X, y, sw, slack=noise)
        assert p_sf <= p_sk + RELATIVE_EXCESS * p_sk + rounding, (problem["index"], p_sf, p_sk)
        relative = (p_sf - p_sk) / max(p_sk, rounding, np.finfo(float).tiny)
        return relative, False, relative
    # a ConvergenceWarning is justified only where the tolerance is beyond double precision
    # for this problem: below the gap's own rounding level, within that level of the gap
    # at the returned point (sparsefit's point meets it up to rounding, which its own
    # computation of the gap could not tell), or out of scikit-learn's reach too (at the
    # same tolerance on the same input it does not reach a point the independent
    # certificate accepts). The objective must still match scikit-learn's best to 1e-9 of
    # the problem's scale P(0).
    noise = max(noise, NOISE_FLOOR * _gap_noise(est, X, y, sw, est.coef_))
    if tol > noise and not _certified(est, X, y, sw, noise):
        twin = ElasticNet(**params, tol=tol, max_iter=REFERENCE_MAX_ITER)
        _fit(twin, _as_format(X, problem["fmt"]), y, sw)
        assert not _certified(twin, X, y, sw, noise), (problem["index"], str(record[0].message))
    assert p_sf <= p_sk + RELATIVE_EXCESS * p_zero + rounding, (problem["index"], p_sf, p_sk)
    relative = (p_sf - p_sk) / max(p_sk, rounding, np.finfo(float).tiny)
    return (p_sf - p_sk) / max(p_zero, np.finfo(float).tiny), True, relative


def _gap_noise(est, X, y, sw, w):
    """Rounding level of the certificate's gap near ``w``, relative to ``||yt||^2`` (the unit
    of ``assert_enet_certified``'s ``slack``), measured: the spread of the independent gap
    over problems and points that differ from the given ones in the last bits only (``w``,
    and the column means that centre the data).

    The gap is computed from ``R = yt - Xt w`` and the dual norm of ``Xt^T R``; with badly
    scaled or nearly collinear columns their rounding moves it by much more than
    ``eps ||yt||^2``, and a column whose mean dwarfs its spread is only known, once
    centred, to ``eps * mean``. A tolerance below this spread cannot be certified by any
    solver, only met by chance.
    """
    Xt, yt, x_offset, _, s = center(X, y, sw, est.fit_intercept)
    n = X.shape[0]
    rho = est.l1_ratio
    l1, l2 = n * est.alpha * rho, n * est.alpha * (1.0 - rho)
    yy = float(yt @ yt)
    if yy == 0:
        return 0.0
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    rng = np.random.default_rng(0)
    eps = np.finfo(float).eps
    gaps = []
    for _ in range(NOISE_SAMPLES):
        offset = x_offset * (1.0 + 2.0 * eps * rng.standard_normal(x_offset.size))
        Xt_k = np.sqrt(s)[:, None] * (X - offset)
        w_k = w * (1.0 + 2.0 * eps * rng.standard_normal(w.size))
        gaps.append(enet_gap_sum_form(Xt_k, yt, w_k, l1, l2, est.positive))
    return float(max(gaps) - min(gaps)) / yy


def _certified(est, X, y, sw, noise):
    """Whether the independent certificate accepts the fitted estimator's solution (up to
    the gap's rounding level ``noise``)."""
    try:
        assert_enet_certified(est, X, y, sw, check_reported_gap=False, slack=noise)
    except AssertionError:
        return False
    return True


def _best_intercept(fit_intercept, y, sw):
    """The optimal intercept of ``w = 0`` (the weighted mean of y, or 0)."""
    return float(np.average(y, weights=sw)) if fit_intercept else 0.0


@pytest.mark.parametrize("start", range(START, START + N_PROBLEMS, 50))
def test_never_worse_than_scikit_learn(start):
    for index in range(start, min(start + 50, START + N_PROBLEMS)):
        check_problem(make_problem(index))


#: problems that failed a large local run, kept in the suite once fixed: mass split over
#: nearly duplicated columns, where coordinate descent stalled above a tight tolerance
#: (escaped ConvergenceWarning, objective up to 1.6e-9 above scikit-learn's); a slow but
#: real descent taken for a stall (96784: positive, 8 x 54, objective 25% above); tiny optima
#: (P_sk about 3e-6 P(0)) where this test asked no tolerance below 1e-13 and sparsefit
#: stopped, certified, 2e-9 above scikit-learn's objective (42512, 45807, 99247: asked the
#: tolerance the check needs, it certifies below it)
FOUND_BY_LARGE_RUNS = [23172, 24447, 42512, 45807, 58772, 59002, 66422, 68487, 72387, 96784, 99247]


@pytest.mark.parametrize("index", FOUND_BY_LARGE_RUNS)
def test_problems_found_by_large_runs(index):
    check_problem(make_problem(index))


@pytest.mark.parametrize(("index", "tol"), [(50561, 1e-12), (42512, 2.2e-16)])
def test_exact_twins_in_the_support_certify(index, tol):
    """Problem 50561 (24 x 50, exact twin columns in the support with equal signs, alpha
    3e-5 alpha_max, weights): the stall's merge of twins tied with the objective and was
    refused, the exact finish kept failing on the singular support, and the fit stopped
    with a ConvergenceWarning 2.3e-6 above scikit-learn's objective (1.8e-10 of P(0),
    inside the check for warned fits). Merging twins at a tie, it certifies below it.
    Problem 42512 (a nearly parallel pair): a merge that took the first direction within
    rounding rather than the lower of the two stalled 2.6e-9 above scikit-learn."""
    problem = make_problem(index)
    X, y, sw = problem["X"], problem["y"], problem["sample_weight"]
    rho = problem["l1_ratio"]
    amax = enet_alpha_max(X, y, sw, problem["fit_intercept"], rho, problem["positive"])
    params = dict(
        alpha=problem["frac"] * amax,
        l1_ratio=rho,
        fit_intercept=problem["fit_intercept"],
        positive=problem["positive"],
    )
    reference = ElasticNet(**params, tol=REFERENCE_TOL, max_iter=REFERENCE_MAX_ITER)
    _fit(reference, X, y, sw)
    est = ElasticNetCD(**params, tol=tol, max_iter=10_000)
    assert _fit(est, X, y, sw) == []
    assert_enet_certified(est, X, y, sw)
    objective = dict(alpha=params["alpha"], l1_ratio=rho, sample_weight=sw)
    p_sk = enet_objective(X, y, reference.coef_, reference.intercept_, **objective)
    p_sf = enet_objective(X, y, est.coef_, est.intercept_, **objective)
    assert p_sf <= p_sk * (1.0 + RELATIVE_EXCESS)


def main():  # pragma: no cover - the large local run
    """``python -m tests.test_differential START COUNT``: every failure listed, then a summary."""
    import sys
    import time

    start, count = int(sys.argv[1]), int(sys.argv[2])
    worst = {False: (-np.inf, None), True: (-np.inf, None), "all": (-np.inf, None)}
    counts = {False: 0, True: 0}
    failures = []
    began = time.perf_counter()
    for index in range(start, start + count):
        try:
            excess, beyond, relative = check_problem(make_problem(index))
        except AssertionError as exc:
            failures.append(index)
            print(f"FAIL {index}: {str(exc)[:300]}", flush=True)
            continue
        counts[beyond] += 1
        worst[beyond] = max(worst[beyond], (excess, index), key=lambda t: t[0])
        worst["all"] = max(worst["all"], (relative, index), key=lambda t: t[0])
    print(
        f"problems {start}..{start + count - 1}: {count} tried, {len(failures)} failed; "
        f"{counts[False]} certified, worst (P_sf - P_sk) / P_sk = {worst[False][0]:.3e} "
        f"(problem {worst[False][1]}); {counts[True]} beyond double precision (justified "
        f"ConvergenceWarning), worst (P_sf - P_sk) / P(0) = {worst[True][0]:.3e} (problem "
        f"{worst[True][1]}); all fits: worst (P_sf - P_sk) / P_sk = {worst['all'][0]:.3e} "
        f"(problem {worst['all'][1]}); {time.perf_counter() - began:.0f} s"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
