"""The solvers compared, all on scikit-learn's objective scaling, and their tolerance mappings.

Every solver here minimizes exactly::

    1 / (2 n) ||y - X w - b||^2 + alpha * l1_ratio * ||w||_1 + alpha * (1 - l1_ratio) / 2 * ||w||^2

with the same ``alpha`` and ``l1_ratio`` (checked against each library's documentation and
source: celer's and skglm's ``Lasso``/``ElasticNet`` use scikit-learn's scaling).

Their stopping rules differ, so ``tol`` values are never compared. Instead each solver gets a
ladder of tolerances, loosest first, and the benchmark uses the first one whose returned
solution reaches the shared relative duality gap (see ``gap.py``):

* sparsefit, scikit-learn: ``tol`` is exactly the shared relative gap -> one rung, ``target``.
* celer: stops when its gap is below ``tol * ||y_c||^2 / n`` (the same rule, scikit-learn
  centres ``y`` before calling celer's path), but the gap is that of celer's own (extrapolated)
  dual point -> starts at ``target``, tightens if needed.
* skglm: ``tol`` bounds the largest violation of the optimality conditions, in units of the
  gradient ``X^T (X w - y) / n`` (so it scales with ``y``) -> starts at ``target * std(y)``
  (= ``target`` for a +-1 target) and tightens by 10x until the gap is reached.
"""

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TIGHTENINGS = 6  # at most 10**-6 below the first rung


@dataclass
class Solver:
    name: str
    make: Callable  # make(alpha, l1_ratio, tol) -> unfitted estimator
    tol_ladder: Callable  # tol_ladder(target, y) -> list of tolerances, loosest first
    note: str = ""


def _fixed(target, y):
    return [target]


def _tightening(start):
    return [start * 10.0**-k for k in range(TIGHTENINGS + 1)]


def _make_sparsefit(alpha, l1_ratio, tol):
    from sparsefit import ElasticNetCD, LassoCD

    if l1_ratio == 1.0:
        return LassoCD(alpha=alpha, tol=tol, fit_intercept=True)
    return ElasticNetCD(alpha=alpha, l1_ratio=l1_ratio, tol=tol, fit_intercept=True)


def _make_sklearn(max_iter):
    def make(alpha, l1_ratio, tol):
        from sklearn.linear_model import ElasticNet, Lasso

        if l1_ratio == 1.0:
            return Lasso(alpha=alpha, tol=tol, max_iter=max_iter, fit_intercept=True)
        return ElasticNet(
            alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=max_iter, fit_intercept=True
        )

    return make


def _make_celer(alpha, l1_ratio, tol):
    from celer import ElasticNet, Lasso

    if l1_ratio == 1.0:
        return Lasso(alpha=alpha, tol=tol, max_iter=1000, fit_intercept=True)
    return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=1000, fit_intercept=True)


def _make_skglm(alpha, l1_ratio, tol):
    from skglm import ElasticNet, Lasso

    if l1_ratio == 1.0:
        return Lasso(alpha=alpha, tol=tol, max_iter=1000, fit_intercept=True)
    return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=1000, fit_intercept=True)


def available_solvers(names=None, sklearn_max_iter=100_000):
    """Return ``(solvers, notes)`` for the requested names that are installed."""
    candidates = {
        "sparsefit": Solver("sparsefit", _make_sparsefit, _fixed),
        "sklearn": Solver(
            "sklearn", _make_sklearn(sklearn_max_iter), _fixed, note=f"max_iter={sklearn_max_iter}"
        ),
        "celer": Solver("celer", _make_celer, lambda target, y: _tightening(target)),
        "skglm": Solver(
            "skglm", _make_skglm, lambda target, y: _tightening(target * float(np.std(y)))
        ),
    }
    names = list(candidates) if names is None else names
    solvers, notes = [], []
    for name in names:
        if name not in candidates:
            raise ValueError(f"unknown solver {name!r}; choose from {sorted(candidates)}")
        module = "sklearn" if name == "sklearn" else name
        if importlib.util.find_spec(module) is None:
            notes.append(f"{name} is not installed: column omitted")
            continue
        solvers.append(candidates[name])
    return solvers, notes
