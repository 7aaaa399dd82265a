"""The least-squares datafit, its units, and the duality gap: the single certificate.

Everything the solvers compute is in the *sum form*, over the centred and sqrt-weighted
design ``Xt`` and target ``yt`` (see ``_data.py``)::

    P(w) = 1/2 ||yt - Xt w||^2 + sum_j (l1_j |w_j| + l2_j/2 w_j^2),   lower <= w <= upper

with the penalty given as a :class:`~sparsefit.penalties.SeparablePenalty`. The
:class:`LeastSquares` datafit owns the conversion from the user's units, once: for
scikit-learn's ``ElasticNet`` objective (weights renormalised to sum to ``n``) the sum form
is ``n`` times the user's objective, so ``l1 = n * alpha * l1_ratio * pf``; for ``Ridge``
(no ``1/n``) the user's objective is twice the sum form, ``l2 = alpha * pf``.

The gap only needs three summaries of the residual ``R = yt - Xt w``: ``XtR = Xt^T R``,
``RtR = R^T R`` and ``Rty = R^T yt``. The same formula certifies the full problem (from an
explicit residual, or from Gram statistics alone) and a working-set subproblem.

Numeric core: imports NumPy only.
"""

import numpy as np

__all__ = ["LeastSquares", "duality_gap", "duality_gaps_plain", "primal_objective", "ridge_gap"]


class LeastSquares:
    """The (weighted) least-squares datafit and its units.

    Parameters
    ----------
    n_samples : float
        ``sum(s)`` after the weights are normalized (``n_samples`` for the mean form).
    mean : bool
        True for ``1/(2 sum(s)) sum s_i r_i^2`` (Lasso, ElasticNet), False for
        ``sum s_i r_i^2`` (Ridge).
    """

    def __init__(self, n_samples, mean=True):
        self.n_samples = float(n_samples)
        self.mean = bool(mean)
        #: the solvers' sum form is ``scale`` times the user's objective
        self.scale = self.n_samples if self.mean else 0.5

    def solver_penalty(self, penalty, n_features):
        """The penalty in the solvers' units (a ``SeparablePenalty``)."""
        return penalty.to_solver(self.scale, n_features)

    def tol_abs(self, tol, yty):
        """The stopping threshold of the sum-form gap: ``tol * ||yt||^2`` (scikit-learn's
        rule; for Ridge, ``tol`` times the objective at ``w = 0``, ``||yt||^2 / 2``)."""
        return tol * yty if self.mean else 0.5 * tol * yty

    def user_gap(self, gap):
        """A sum-form gap in the units of the user's objective (``dual_gap_``)."""
        return gap / self.scale

    def alpha_max(self, penalty, pull):
        """The smallest ``alpha`` at which every penalized coefficient is zero, from
        ``pull = Xt^T R0`` at the point ``w0`` where only the unpenalized features are
        fitted (``Xt^T yt`` when there are none): glmnet's definition."""
        return penalty.alpha_max(-np.asarray(pull, dtype=np.float64) / self.scale)


def primal_objective(RtR, w, penalty):
    """``1/2 RtR + penalty(w)`` (the sum form)."""
    return 0.5 * RtR + penalty.value(w)


def duality_gap(XtR, RtR, Rty, w, penalty, fixed=None):
    """Duality gap of the least-squares problem at ``w`` (scikit-learn's formulations).

    Formulation A (some ``l1_j > 0``) is the lasso gap of the problem augmented with
    ``sqrt(l2_j)`` rows, at the dual point ``s R`` where the scaling ``s <= 1`` meets the dual
    constraints ``|Xt_j^T theta - l2_j w_j| <= l1_j`` (a weighted dual norm; one-sided where a
    bound is finite, and then the conjugate of the box adds a finite term). Formulation B
    (``l1 = 0``, ``l2 > 0``: ridge) is the exact gap at ``theta = R``. With no penalty at all
    the gap is ``||Xt^T R||^2`` (the first-order condition, restricted to the box), as in
    scikit-learn. With a uniform penalty and no bounds these are scikit-learn's formulas.

    Parameters
    ----------
    XtR : ndarray of shape (n_features,)
    RtR, Rty : float
    w : ndarray of shape (n_features,)
    penalty : SeparablePenalty
    fixed : ndarray of bool, optional
        Features whose dual constraint holds by construction (unpenalized features, after
        the dual point was projected so that ``Xt_j^T theta = 0``).

    Returns
    -------
    gap : float
    """
    if penalty.formulation == "ols":
        return penalty.kkt_violation(XtR, w, fixed)
    nz = (w != 0).nonzero()[0]
    w_nz = w[nz]
    # penalty terms of zero coefficients are zero even for a weight that overflowed to inf
    l2_w = penalty.l2[nz] * w_nz if penalty.has_l2 else np.zeros(nz.size)
    l2_norm = float(l2_w @ w_nz)
    if penalty.formulation == "l2":
        primal = 0.5 * (RtR + l2_norm)
        return primal - (Rty - 0.5 * RtR - penalty.l2_conjugate(XtR, fixed))
    XtA = XtR
    if penalty.has_l2:
        XtA = XtR.copy()
        XtA[nz] -= l2_w
    scale = penalty.dual_scale(XtA, fixed)
    aug = RtR + l2_norm
    primal = 0.5 * aug + float(penalty.l1[nz] @ np.abs(w_nz))
    conj = penalty.l1_conjugate(scale * XtA, fixed) if penalty.bounded else 0.0
    dual = -0.5 * scale * scale * aug + scale * Rty - conj
    return primal - dual


def duality_gaps_plain(XtR, RtR, Rty, W, l1):
    """``duality_gap`` of many points at once, for plain Lasso penalties (one L1 weight
    ``l1[k]`` per point, no L2 weight, bound or unpenalized feature): the points are the
    columns of ``W``, their summaries the columns of ``XtR`` and the entries of ``RtR`` and
    ``Rty``. The same formula: the dual point ``s R``, ``s = min(1, l1 / ||Xt^T R||_inf)``."""
    top = np.abs(XtR).max(axis=0) if XtR.shape[0] else np.zeros(W.shape[1])
    scale = np.ones(W.shape[1])
    over = top > l1
    scale[over] = l1[over] / top[over]
    primal = 0.5 * RtR + l1 * np.abs(W).sum(axis=0)
    dual = -0.5 * scale * scale * RtR + scale * Rty
    return primal - dual


def ridge_gap(RtR, Rty, w_norm2, XtR_norm2, l2):
    """Formulation B from scalars: the ridge gap at the dual point ``theta = R`` for a
    uniform ``l2`` and no bounds (``P(w) - D(R)`` with ``D(theta) = theta^T yt -
    1/2 ||theta||^2 - ||Xt^T theta||^2 / (2 l2)``)."""
    penalty = 0.5 * l2 * w_norm2 if w_norm2 else 0.0  # 0 even when l2 overflowed to inf
    return RtR + penalty - Rty + XtR_norm2 / (2.0 * l2)
