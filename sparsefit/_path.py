"""Regularization paths: the alpha grid, warm-started solves along it, fold Grams.

Along a decreasing grid of ``alpha`` values every solve starts from the previous solution
and its residual summaries, and the workspace (its Gram blocks, the full Gram matrix and its
support factorization) persists from one ``alpha`` to the next, so a feature pair is
multiplied at most once per path. The working sets of the solver play the part of
sequential strong rules: each solve starts from the previous support plus the features that
violate the optimality conditions most at the new ``alpha``, and the final duality-gap check
over all features certifies every point of the path.

Cross-validation folds share their Gram matrices: for dense data the per-fold products
``X_f^T S_f X_f`` are computed once, and the Gram matrix of each training set is their sum
over the other folds, centred by a rank-one correction (``fold_grams``).

Numeric core: imports NumPy (and the Gram products of ``_data``) only.
"""

import numpy as np

from ._cd import enet_coordinate_descent
from ._data import gram_product

__all__ = ["alpha_grid", "fold_grams", "solve_path"]


def alpha_grid(alpha_max, eps=1e-3, n_alphas=100):
    """scikit-learn's grid: ``n_alphas`` values from ``alpha_max`` down to ``eps * alpha_max``
    (geometric); all equal to the float resolution when ``alpha_max`` is below it."""
    resolution = np.finfo(np.float64).resolution
    if not alpha_max > resolution:
        return np.full(n_alphas, resolution)
    return np.geomspace(alpha_max, alpha_max * eps, num=n_alphas)


def solve_path(
    workspace, target, penalties, tol_abs, *, max_iter=1000, w0=None, rng=None, callback=None
):
    """Solve the problem for every penalty in turn, each solve warm-started.

    Parameters
    ----------
    workspace : Workspace
    target : Target
    penalties : sequence of SeparablePenalty
        In the solver's units, solved in the order given (decreasing ``alpha`` is fastest).
    tol_abs : float
        As for ``enet_coordinate_descent``, at every point.
    max_iter : int
    w0 : ndarray of shape (n_features,), optional
        Starting point of the first solve.
    rng : random generator, optional
    callback : callable, optional
        Called as ``callback(i, result)`` after the ``i``-th solve.

    Returns
    -------
    coefs : ndarray of shape (n_features, n_penalties)
    results : list of CDResult
    """
    n_features = workspace.design.n_features
    w = np.zeros(n_features) if w0 is None else np.array(w0, dtype=np.float64)
    coefs = np.empty((n_features, len(penalties)))
    results = []
    known = None  # residual summaries at w, carried from one alpha to the next
    for i, penalty in enumerate(penalties):
        result = enet_coordinate_descent(
            workspace,
            target,
            penalty,
            tol_abs=tol_abs,
            max_iter=max_iter,
            w0=w,
            rng=rng,
            min_iter=2,
            summaries0=known,
        )
        w, known = result.w, result.summaries
        coefs[:, i] = w
        results.append(result)
        if callback is not None:
            callback(i, result)
    return coefs, results


def fold_grams(X, folds, sample_weight=None, center=True):
    """The centred Gram matrix of every training set, from one product per fold.

    For each ``(train, test)`` in ``folds`` returns ``Xt^T Xt`` of the training set ``X[train]``
    (centred, sqrt-weighted, weights rescaled to sum to its size, as ``center_data`` does).
    The test sets must partition the samples: then ``X_f^T S_f X_f`` is computed once per test
    fold (together, one Gram matrix of ``X``) and each training set's Gram matrix is the sum
    over the other folds, centred by a rank-one correction. Returns None when that correction
    would lose digits (a column whose mean dwarfs its spread); then centre explicitly instead.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), dense
    folds : list of (train, test) index arrays
    sample_weight : ndarray of shape (n_samples,), optional
    center : bool, default=True
        Centre each training set (``fit_intercept``); if False the Gram matrices are
        uncentred.
    """
    X = np.asarray(X, dtype=np.float64)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    parts = []
    for _, test in folds:
        Xf = X[test]
        if sw is None:
            parts.append((gram_product(Xf), Xf.sum(axis=0), float(len(test))))
        else:
            s_f = sw[test]
            G_f = gram_product(Xf * np.sqrt(s_f)[:, None])  # X_f^T S_f X_f (weights >= 0)
            parts.append((G_f, s_f @ Xf, float(s_f.sum())))
    G_all = sum(part[0] for part in parts)
    u_all = sum(part[1] for part in parts)
    s_all = sum(part[2] for part in parts)
    grams = []
    for (train, _), (G_f, u_f, s_f) in zip(folds, parts, strict=True):
        s = s_all - s_f
        if not s > 0:
            return None
        mean = (u_all - u_f) / s if center else np.zeros_like(u_f)
        G = (G_all - G_f) - s * np.outer(mean, mean)
        tiny = np.finfo(np.float64).tiny
        if np.any(s * mean**2 > 1e4 * np.maximum(np.diag(G), tiny)):
            return None  # X^T S X - s m m^T would cancel most digits
        grams.append(np.asfortranarray(G * (len(train) / s)))
    return grams
