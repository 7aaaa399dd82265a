"""The one accuracy measure every benchmark solution is judged by.

All solvers are scored on the same objective, scikit-learn's ``ElasticNet`` scaling::

    1 / (2 n) ||y - X w - b||^2 + alpha * rho * ||w||_1 + alpha * (1 - rho) / 2 * ||w||^2

The returned intercept is ignored: for a given ``w`` the optimal ``b`` is
``mean(y) - mean(X, axis=0) @ w``, which amounts to centring ``X`` and ``y``. The gap is
scikit-learn's duality gap (``gap_enet``, formulation A) of the problem multiplied by ``n``,
divided by ``||y_c||^2``, so that a solution meets scikit-learn's stopping rule exactly when
``relative_enet_gap(...) <= tol``.

Sparse ``X`` is never centred explicitly (news20 stays sparse): products with the centred
matrix are formed as ``X @ w - mean(X) @ w`` and ``X.T @ r - mean(X) * sum(r)``.
"""

import numpy as np
from scipy import sparse


class CenteredDesign:
    """``X - 1 mean(X)^T`` and ``y - mean(y)``, with products that keep sparse ``X`` sparse."""

    def __init__(self, X, y):
        self.X = X
        self.y = np.asarray(y, dtype=np.float64)
        self.X_mean = np.asarray(X.mean(axis=0)).ravel()
        self.y_c = self.y - self.y.mean()
        self.y_norm2 = float(self.y_c @ self.y_c)
        self.n_samples = X.shape[0]

    def matvec(self, w):
        """Return ``X_c @ w``."""
        return np.asarray(self.X @ w).ravel() - self.X_mean @ w

    def rmatvec(self, r):
        """Return ``X_c.T @ r``."""
        return np.asarray(self.X.T @ r).ravel() - self.X_mean * r.sum()

    def residual(self, w):
        """Return ``y_c - X_c @ w``, the residual at the optimal intercept for ``w``."""
        return self.y_c - self.matvec(w)


def relative_enet_gap(design, coef, alpha, l1_ratio):
    """Duality gap of ``coef`` for the elastic net, relative to ``||y_c||^2``.

    Parameters
    ----------
    design : CenteredDesign
    coef : ndarray of shape (n_features,)
    alpha, l1_ratio : float
        scikit-learn's ``ElasticNet`` parameters (``l1_ratio=1`` is the lasso).

    Returns
    -------
    float
        ``gap / ||y_c||^2`` where ``gap`` is formulation A of scikit-learn's ``gap_enet``
        (the objective multiplied by ``n_samples``). Zero at the optimum.
    """
    w = np.asarray(coef, dtype=np.float64).ravel()
    n = design.n_samples
    l1_reg = n * alpha * l1_ratio
    l2_reg = n * alpha * (1.0 - l1_ratio)

    R = design.residual(w)
    R_norm2 = float(R @ R)
    w_norm2 = float(w @ w)
    XtA = design.rmatvec(R) - l2_reg * w
    dual_norm = float(np.max(np.abs(XtA))) if XtA.size else 0.0
    scale = l1_reg / dual_norm if dual_norm > l1_reg else 1.0

    primal = 0.5 * (R_norm2 + l2_reg * w_norm2) + l1_reg * float(np.abs(w).sum())
    dual = -0.5 * scale**2 * (R_norm2 + l2_reg * w_norm2) + scale * float(R @ design.y_c)
    return (primal - dual) / design.y_norm2


def alpha_max(design, l1_ratio):
    """Smallest ``alpha`` whose solution is ``w = 0`` (with an intercept)."""
    return float(np.max(np.abs(design.rmatvec(design.y_c)))) / (design.n_samples * l1_ratio)


def ridge_objective(design, coef, alpha):
    """scikit-learn's ``Ridge`` objective ``||y_c - X_c w||^2 + alpha ||w||^2``.

    Evaluated at the optimal intercept for ``w``.
    """
    w = np.asarray(coef, dtype=np.float64).ravel()
    R = design.residual(w)
    return float(R @ R) + alpha * float(w @ w)


def ridge_suboptimality_bound(design, coef, alpha):
    """Upper bound on ``ridge_objective(w) - min``: ``||grad||^2 / (4 alpha)``.

    The objective is ``2 alpha``-strongly convex.
    """
    w = np.asarray(coef, dtype=np.float64).ravel()
    grad = -2.0 * design.rmatvec(design.residual(w)) + 2.0 * alpha * w
    return float(grad @ grad) / (4.0 * alpha)


def x_nbytes(X):
    """Bytes held by ``X``'s arrays (``data + indices + indptr`` when sparse)."""
    if sparse.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return np.asarray(X).nbytes
