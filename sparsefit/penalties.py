"""Penalties as small value objects: value, proximal operator, subdifferential distance.

Every penalty here is a separable function of the coefficients of the form

.. math::

    \\Omega(w) = a_1 \\|w\\|_1 + \\tfrac{1}{2} a_2 \\|w\\|_2^2 \\;(+\\, \\iota_{w \\ge 0}),

with ``a_1 = l1_weight`` and ``a_2 = l2_weight``. The classes only differ by how they map
their user-facing ``alpha`` (and ``l1_ratio``) to ``(a_1, a_2)``:

=====================  ==========================================  =======================
class                  value(w)                                    matches
=====================  ==========================================  =======================
``L1(alpha)``          ``alpha * ||w||_1``                         ``Lasso``
``L2(alpha)``          ``alpha * ||w||_2^2``                       ``Ridge``
``L1L2(alpha, rho)``   ``alpha*rho*||w||_1 + alpha*(1-rho)/2*||w||_2^2``  ``ElasticNet``
=====================  ==========================================  =======================

Note that ``L2(alpha)`` is the textbook ridge term (no one half), as in scikit-learn's
``Ridge``, while the L2 part of ``L1L2`` carries the one half, as in ``ElasticNet``.

This module is part of the numeric core: it imports NumPy only.
"""

import numpy as np

__all__ = ["L1", "L2", "L1L2", "soft_threshold"]


def soft_threshold(z, threshold):
    """Soft-thresholding ``sign(z) * max(|z| - threshold, 0)``.

    Works on Python floats (returns a float) and on arrays (elementwise, returns an array).

    Examples
    --------
    >>> soft_threshold(3.0, 1.0)
    2.0
    >>> soft_threshold(-0.5, 1.0)
    0.0
    >>> soft_threshold(np.array([-3.0, 0.2, 2.0]), 1.0)
    array([-2.,  0.,  1.])
    """
    if isinstance(z, float):
        if z > threshold:
            return z - threshold
        if z < -threshold:
            return z + threshold
        return 0.0
    z = np.asarray(z, dtype=float)
    return np.maximum(z - threshold, 0.0) + np.minimum(z + threshold, 0.0)


class _SeparablePenalty:
    """Shared implementation of ``a1 * ||w||_1 + a2 / 2 * ||w||^2`` (optionally w >= 0)."""

    positive = False

    @property
    def l1_weight(self):
        raise NotImplementedError

    @property
    def l2_weight(self):
        raise NotImplementedError

    def value(self, w):
        """Penalty value at ``w`` (any shape; summed over all entries).

        With ``positive=True`` the constraint ``w >= 0`` is part of the penalty: a point
        outside it has the value ``inf``.
        """
        w = np.asarray(w, dtype=float)
        if self.positive and np.any(w < 0):
            return np.inf
        val = 0.0
        if self.l1_weight:
            val += self.l1_weight * np.abs(w).sum()
        if self.l2_weight:
            val += 0.5 * self.l2_weight * np.square(w).sum()
        return float(val)

    __call__ = value

    def prox(self, z, step=1.0):
        """Proximal operator ``argmin_x 1/2 ||x - z||^2 + step * penalty(x)`` (vectorized)."""
        z = np.asarray(z, dtype=float)
        if self.positive:
            out = np.maximum(z - step * self.l1_weight, 0.0)
        else:
            out = soft_threshold(z, step * self.l1_weight)
        return out / (1.0 + step * self.l2_weight)

    def prox_1d(self, z, step=1.0):
        """Proximal operator of one coordinate; ``z`` and the result are Python floats."""
        z = float(z)
        if self.positive:
            out = max(z - step * self.l1_weight, 0.0)
        else:
            out = soft_threshold(z, step * self.l1_weight)
        return out / (1.0 + step * self.l2_weight)

    def subdiff_distance(self, w, grad):
        """Distance of ``-grad`` to the subdifferential of the penalty at ``w``, per coordinate.

        ``grad`` is the gradient of the smooth (data-fit) part. The result is zero exactly at
        coordinates satisfying the optimality (KKT) conditions.
        """
        w = np.asarray(w, dtype=float)
        g = np.asarray(grad, dtype=float) + self.l2_weight * w
        a1 = self.l1_weight
        dist = np.empty_like(g)
        nz = w != 0
        dist[nz] = np.abs(g[nz] + a1 * np.sign(w[nz]))
        if self.positive:
            # at w_j = 0 the subdifferential of a1|w| + indicator(w >= 0) is (-inf, a1]
            dist[~nz] = np.maximum(-g[~nz] - a1, 0.0)
        else:
            dist[~nz] = np.maximum(np.abs(g[~nz]) - a1, 0.0)
        return dist

    def alpha_max(self, grad0):
        """Smallest ``alpha`` for which ``w = 0`` is optimal.

        ``grad0`` is the gradient of the data-fit at ``w = 0`` (for the least-squares fit of
        scikit-learn's ``Lasso``: ``-X^T y / n_samples`` on centred data). Returns ``inf`` when
        no finite ``alpha`` zeroes every coefficient (pure L2).
        """
        grad0 = np.asarray(grad0, dtype=float)
        # the l1 weight equals alpha times this factor
        factor = self.l1_weight / self.alpha if self.alpha else self._l1_factor()
        if factor == 0:
            return np.inf
        if grad0.size == 0:
            return 0.0
        top = max(float(np.max(-grad0)), 0.0) if self.positive else float(np.max(np.abs(grad0)))
        return top / factor

    def _l1_factor(self):
        return 1.0

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self._params() == other._params()

    def __hash__(self):
        return hash((type(self).__name__, tuple(self._params().items())))

    def _params(self):
        raise NotImplementedError


def _check_alpha(alpha):
    alpha = float(alpha)
    if not alpha >= 0 or not np.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}.")
    return alpha


class L1(_SeparablePenalty):
    """Lasso penalty ``alpha * ||w||_1`` (with ``positive=True``: also ``w >= 0``).

    Examples
    --------
    >>> pen = L1(0.5)
    >>> pen([1.0, -2.0, 0.0])
    1.5
    >>> pen.prox([1.0, -0.2], step=1.0)
    array([0.5, 0. ])
    """

    def __init__(self, alpha, positive=False):
        self.alpha = _check_alpha(alpha)
        self.positive = bool(positive)

    @property
    def l1_weight(self):
        return self.alpha

    @property
    def l2_weight(self):
        return 0.0

    def _params(self):
        return {"alpha": self.alpha, "positive": self.positive}


class L2(_SeparablePenalty):
    """Ridge penalty ``alpha * ||w||_2^2`` (scikit-learn ``Ridge`` scaling, no one half).

    Examples
    --------
    >>> L2(0.5)([1.0, -2.0])
    2.5
    """

    def __init__(self, alpha, positive=False):
        self.alpha = _check_alpha(alpha)
        self.positive = bool(positive)

    @property
    def l1_weight(self):
        return 0.0

    @property
    def l2_weight(self):
        return 2.0 * self.alpha

    def _l1_factor(self):
        return 0.0

    def _params(self):
        return {"alpha": self.alpha, "positive": self.positive}


class L1L2(_SeparablePenalty):
    """Elastic-net penalty ``alpha * l1_ratio * ||w||_1 + alpha * (1 - l1_ratio) / 2 * ||w||^2``.

    Examples
    --------
    >>> L1L2(1.0, l1_ratio=0.5)([2.0, 0.0])
    2.0
    """

    def __init__(self, alpha, l1_ratio=0.5, positive=False):
        self.alpha = _check_alpha(alpha)
        l1_ratio = float(l1_ratio)
        if not 0.0 <= l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}.")
        self.l1_ratio = l1_ratio
        self.positive = bool(positive)

    @property
    def l1_weight(self):
        return self.alpha * self.l1_ratio

    @property
    def l2_weight(self):
        return self.alpha * (1.0 - self.l1_ratio)

    def _l1_factor(self):
        return self.l1_ratio

    def _params(self):
        return {"alpha": self.alpha, "l1_ratio": self.l1_ratio, "positive": self.positive}
