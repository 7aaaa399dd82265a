"""Least-squares objectives and duality gaps, exactly as scikit-learn's coordinate descent.

Everything here works on the *sum form* of the problem, over the centred and sqrt-weighted
design ``Xt`` and target ``yt`` (see ``_data.py``)::

    P(w) = 1/2 ||yt - Xt w||^2 + l1 ||w||_1 + l2/2 ||w||^2        (w >= 0 if positive)

For scikit-learn's ``ElasticNet`` objective with weights renormalised to sum to ``n``,
``l1 = n * alpha * l1_ratio`` and ``l2 = n * alpha * (1 - l1_ratio)``; for ``Ridge``,
``l1 = 0`` and ``l2 = alpha`` (the Ridge objective is twice ``P``).

The gap only needs three summaries of the residual ``R = yt - Xt w``: ``XtR = Xt^T R``,
``RtR = R^T R`` and ``Rty = R^T yt``. This lets the same formula certify the full problem
(from an explicit residual) and a working-set subproblem (from a Gram matrix).

Numeric core: imports NumPy only.
"""

import numpy as np

__all__ = ["duality_gap", "gram_summaries_reliable", "primal_objective", "ridge_gap"]


def primal_objective(RtR, w, l1, l2):
    """``1/2 RtR + l1 ||w||_1 + l2/2 ||w||^2``."""
    return 0.5 * RtR + l1 * float(np.abs(w).sum()) + 0.5 * l2 * float(np.dot(w, w))


def duality_gap(XtR, RtR, Rty, w, l1, l2, positive=False, slack=0.0):
    """Duality gap of the (elastic-net / lasso / ridge) least-squares problem at ``w``.

    Formulation A (``l1 > 0``) rescales the residual into the dual feasible set
    ``{theta : |Xt^T theta - l2 w|_inf <= l1}`` (one-sided when ``positive``), which is the
    lasso gap of the problem augmented with ``sqrt(l2) * I`` rows. Formulation B (``l1 = 0``,
    ``l2 > 0``) is the exact ridge gap at ``theta = R``. With ``l1 = l2 = 0`` the gap is
    ``||Xt^T R||^2`` (the first-order condition), as in scikit-learn.

    Parameters
    ----------
    XtR : ndarray of shape (n_features,)
    RtR, Rty : float
    w : ndarray of shape (n_features,)
    l1, l2 : float
        Weights of ``||w||_1`` and ``1/2 ||w||^2`` in the sum form.
    positive : bool
    slack : float, default=0.0
        Rounding error of the entries of ``XtR`` (formulation A): a dual point violating the
        constraint by at most ``slack`` is not rescaled. When ``l1`` is at the level of the
        rounding error of ``Xt^T R`` (``alpha`` near zero), rescaling by ``l1 / dnorm`` would
        turn rounding noise into a large gap that no iterate can reduce.

    Returns
    -------
    gap : float
    """
    w_norm2 = float(np.dot(w, w))
    # penalty terms of a zero w are zero even for an infinite weight (alpha near the float
    # maximum times n_samples overflows; w = 0 is then the solution)
    l2_w = l2 * w if w_norm2 else np.zeros_like(w)
    l2_w_norm2 = l2 * w_norm2 if w_norm2 else 0.0
    if l1 > 0:
        XtA = XtR - l2_w
        if XtA.size == 0:
            dnorm = 0.0
        else:
            dnorm = float(np.max(XtA)) if positive else float(np.max(np.abs(XtA)))
        scale = l1 / dnorm if dnorm > l1 + slack else 1.0
        aug = RtR + l2_w_norm2
        w_norm1 = float(np.abs(w).sum())
        primal = 0.5 * aug + (l1 * w_norm1 if w_norm1 else 0.0)
        dual = -0.5 * scale * scale * aug + scale * Rty
        return primal - dual
    if l2 > 0:
        v = np.maximum(XtR, 0.0) if positive else XtR
        return ridge_gap(RtR, Rty, w_norm2, float(np.dot(v, v)), l2)
    if positive:
        # squared violation of the KKT conditions of non-negative least squares
        v = np.where(w > 0, XtR, np.maximum(XtR, 0.0))
        return float(np.dot(v, v))
    return float(np.dot(XtR, XtR))


def gram_summaries_reliable(yty, bw, wGw, n_features, tol_abs):
    """Whether ``RtR = yty - 2 bw + wGw`` (from a Gram matrix) is accurate enough to certify.

    Its rounding error is about ``eps * n_features * (yty + 2|bw| + |wGw|)``; when that is
    not far below the tolerance (tight ``tol``, or a huge ``w`` from extreme conditioning)
    the summaries must come from an explicit residual instead.
    """
    error = np.finfo(np.float64).eps * n_features * (yty + 2.0 * abs(bw) + abs(wGw))
    return error <= 0.01 * tol_abs


def ridge_gap(RtR, Rty, w_norm2, XtR_norm2, l2):
    """Formulation B from scalars: the ridge gap at the dual point ``theta = R``.

    ``P(w) - D(R)`` with ``D(theta) = theta^T yt - 1/2 ||theta||^2 - ||Xt^T theta||^2 / (2 l2)``
    (for ``positive``, pass the squared norm of the positive part of ``Xt^T R``).
    """
    penalty = 0.5 * l2 * w_norm2 if w_norm2 else 0.0  # 0 even when l2 overflowed to inf
    return RtR + penalty - Rty + XtR_norm2 / (2.0 * l2)
