"""Benchmark tasks beyond the main suite (``run.py --tasks latency,multitarget``).

* ``latency``: small data (n <= 200, p <= 10,000), where a fit is over in milliseconds and
  fixed costs count: the main suite's Lasso/ElasticNet comparison with at least
  ``LATENCY_REPEAT`` timed runs per fit, and sparsefit's time split into its phases
  (validation, centring and design, solve, attributes).
* ``multitarget``: ``y`` with ``K_TARGETS`` columns: on a tall dense problem, sparsefit's
  ``LassoCD`` against scikit-learn's ``Lasso`` on the same ``y`` (at the targets' median
  ``alpha_max`` over 10 and over 100); on a wide dense one,
  ``RidgeGD`` against ``Ridge``; both calibrated so that every target reaches the shared
  accuracy.
"""

import statistics
import time

import numpy as np
from gap import (
    CenteredDesign,
    alpha_max,
    relative_enet_gap,
    ridge_objective,
    ridge_suboptimality_bound,
)
from problems import make_correlated
from timing import Entry, calibrate, time_alternating

LATENCY_REPEAT = 20
K_TARGETS = 50
MULTI_SHAPE = (5000, 300)
RIDGE_MULTI_SHAPE = (200, 5000)


def is_small(X):
    return X.shape[0] <= 200 and X.shape[1] <= 10_000


def phase_breakdown(X, y, alpha, l1_ratio, tol, repeat):
    """Median seconds of each phase of ``ElasticNetCD.fit`` (through its own steps)."""
    from sparsefit import ElasticNetCD
    from sparsefit._pipeline import FitProblem

    phases = {"validate": [], "centre + design": [], "solve": [], "attributes": []}
    for _ in range(repeat):
        est = ElasticNetCD(alpha=alpha, l1_ratio=l1_ratio, tol=tol)
        t0 = time.perf_counter()
        Xv, yv, sw = est._validate_fit_data(X, y, None)
        t1 = time.perf_counter()
        problem = FitProblem(Xv, yv, sw, fit_intercept=True)
        t2 = time.perf_counter()
        results = problem.fit(est._penalty(X.shape[1]), tol=tol, max_iter=est.max_iter)
        t3 = time.perf_counter()
        est._set_results(Xv, yv, problem, results)
        t4 = time.perf_counter()
        for name, seconds in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            phases[name].append(seconds)
    return {name: statistics.median(v) for name, v in phases.items()}


def latency_report(rows, target):
    """The small-data rows (from ``run.bench_enet``) with sparsefit's phases."""
    lines = [
        "| problem | model | α | sparsefit | celer | sparsefit/celer | validate | centre + "
        "design | solve | attributes |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        sf, ce = row["entries"]["sparsefit"], row["entries"].get("celer")
        phases = row["phases"]
        ratio = f"{sf.time / ce.time:.2f}" if ce is not None else "–"
        cells = [
            row["problem"],
            row["model"],
            f"α_max/{row['divisor']}",
            f"{sf.time * 1e3:.2f} ms{'' if sf.reached else ' ✗'}",
            f"{ce.time * 1e3:.2f} ms{'' if ce.reached else ' ✗'}" if ce else "–",
            ratio,
        ] + [f"{phases[k] * 1e3:.2f} ms" for k in phases]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"Median of at least {LATENCY_REPEAT} runs; every timed fit reached relative gap "
        f"{target:g} unless marked ✗. Phases: sparsefit's own steps, timed separately."
    )
    return lines


def bench_multitarget(args):
    """sparsefit vs scikit-learn's Lasso on ``K_TARGETS`` targets at once, at the median
    ``alpha_max`` over 10 and over 100 (supports of about 17 and 55 of 300 features)."""
    n, p = MULTI_SHAPE
    X, _ = make_correlated(n, p, seed=5)
    rng = np.random.default_rng(5)
    W = np.zeros((p, K_TARGETS))
    for k in range(K_TARGETS):
        W[rng.choice(p, 20, replace=False), k] = rng.normal(size=20)
    Y = X @ W + rng.normal(size=(n, K_TARGETS))
    designs = [CenteredDesign(X, Y[:, k]) for k in range(K_TARGETS)]
    median_max = float(np.median([alpha_max(d, 1.0) for d in designs]))
    return [
        "| problem | model | targets | α | sparsefit | sklearn | sparsefit/sklearn | worst "
        "accuracy (sparsefit / sklearn) |",
        "|---|---|---|---|---|---|---|---|",
        *(_lasso_multitarget_row(args, X, Y, designs, median_max, d) for d in (10, 100)),
        _ridge_multitarget_row(args),
        "",
        "Accuracy: the largest relative duality gap over the targets (Lasso), the largest "
        "relative suboptimality bound ||grad||^2 / (4 α) / objective (Ridge).",
    ]


def _lasso_multitarget_row(args, X, Y, designs, median_max, divisor):
    """LassoCD against scikit-learn's Lasso on every column of ``Y`` at ``median_max /
    divisor``."""
    from sklearn.linear_model import Lasso

    from sparsefit import LassoCD

    alpha = median_max / divisor

    def accuracy(est):
        coef = np.atleast_2d(est.coef_)
        return max(relative_enet_gap(d, c, alpha, 1.0) for d, c in zip(designs, coef, strict=True))

    entries = [
        Entry(
            "sparsefit",
            make=lambda tol: LassoCD(alpha=alpha, tol=tol),
            ladder=[args.target],
            accuracy=accuracy,
            target=args.target,
        ),
        Entry(
            "sklearn",
            make=lambda tol: Lasso(alpha=alpha, tol=tol, max_iter=args.sklearn_max_iter),
            ladder=[args.target],
            accuracy=accuracy,
            target=args.target,
        ),
    ]
    for entry in entries:
        calibrate(entry, X, Y, args.slow_limit)
    time_alternating(entries, X, Y, args.repeat)
    sf, sk = entries
    n, p = X.shape
    return (
        f"| synth {n}x{p} | Lasso | {len(designs)} | median α_max/{divisor} | {sf.time:.3f} s | "
        f"{sk.time:.3f} s | {sf.time / sk.time:.2f} | {sf.error:.1e} / {sk.error:.1e} |"
    )


def _ridge_multitarget_row(args):
    """RidgeGD against scikit-learn's Ridge(solver='auto') on ``K_TARGETS`` targets of a
    wide dense problem (``RIDGE_MULTI_SHAPE``, α = 1)."""
    from sklearn.linear_model import Ridge

    from sparsefit import RidgeGD

    n, p = RIDGE_MULTI_SHAPE
    X, _ = make_correlated(n, p, seed=6)
    rng = np.random.default_rng(6)
    Y = X[:, :20] @ rng.normal(size=(20, K_TARGETS)) + rng.normal(size=(n, K_TARGETS))
    designs = [CenteredDesign(X, Y[:, k]) for k in range(K_TARGETS)]
    alpha = 1.0

    def accuracy(est):
        return max(
            ridge_suboptimality_bound(d, c, alpha) / ridge_objective(d, c, alpha)
            for d, c in zip(designs, est.coef_, strict=True)
        )

    entries = [
        Entry(
            "sparsefit",
            lambda tol: RidgeGD(alpha=alpha, tol=tol),
            [1e-2, 1e-4, 1e-6, 1e-8],
            accuracy,
            args.target,
        ),
        Entry("sklearn", lambda tol: Ridge(alpha=alpha, tol=tol), [1e-4], accuracy, args.target),
    ]
    for entry in entries:
        calibrate(entry, X, Y, args.slow_limit)
    time_alternating(entries, X, Y, args.repeat)
    sf, sk = entries
    return (
        f"| synth {n}x{p} | Ridge | {K_TARGETS} | 1 | {sf.time:.3f} s | {sk.time:.3f} s | "
        f"{sf.time / sk.time:.2f} | {sf.error:.1e} / {sk.error:.1e} |"
    )
