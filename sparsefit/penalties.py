"""Penalties as small value objects, and their vector form for the solvers.

Every penalty here is a separable function of the coefficients,

.. math::

    \\Omega(w) = \\sum_j \\big( a_{1j} |w_j| + \\tfrac{1}{2} a_{2j} w_j^2 \\big)
    + \\iota_{[\\ell_j, u_j]}(w_j),

with per-feature weights ``a_1 = l1_weight``, ``a_2 = l2_weight`` and bounds
``lower <= w <= upper`` (``lower <= 0 <= upper``, so ``w = 0`` is always feasible). The public
classes only differ by how they map their user-facing ``alpha`` (and ``l1_ratio``) to the
weights; a ``penalty_factor`` multiplies the whole penalty of each feature, as glmnet's
``penalty.factor`` does:

=====================  ==================================================  ==============
class                  value(w) (without factors and bounds)               matches
=====================  ==================================================  ==============
``L1(alpha)``          ``alpha * ||w||_1``                                 ``Lasso``
``L2(alpha)``          ``alpha * ||w||_2^2``                               ``Ridge``
``L1L2(alpha, rho)``   ``alpha*rho*||w||_1 + alpha*(1-rho)/2*||w||_2^2``   ``ElasticNet``
=====================  ==================================================  ==============

``L2(alpha)`` is the textbook ridge term (no one half), as in scikit-learn's ``Ridge``, while
the L2 part of ``L1L2`` carries the one half, as in ``ElasticNet``. A factor of 0 leaves a
feature unpenalized; a factor of ``inf`` excludes it (its coefficient is held at 0).
``positive=True`` is ``bounds=(0, inf)``.

``value`` and ``prox`` compute in the namespace of the array they are given (NumPy, or any
array-API array: PyTorch through ``array-api-compat`` when installed, CuPy, ...), so that
``L1(0.01)(model.weight)`` can be added to a loss and ``prox`` applied after an optimizer
step gives exact zeros.

The solvers never see these classes' user units: a datafit converts a penalty into a
:class:`SeparablePenalty` (``to_solver``), the vectors of weights and bounds in the solver's
sum form, which provides the few operations coordinate descent and the duality gap need.

This module is part of the numeric core: it imports NumPy only.
"""

import math

import numpy as np

__all__ = ["L1", "L2", "L1L2", "SeparablePenalty", "soft_threshold"]


def soft_threshold(z, threshold):
    """Soft-thresholding ``sign(z) * max(|z| - threshold, 0)``.

    The proximal operator of ``threshold * |z|``: the coordinate update of the Lasso.

    Parameters
    ----------
    z : float or array-like
        The point (a Python float, or an array of any shape, thresholded elementwise).
    threshold : float or array-like
        The threshold, ``>= 0`` (an array broadcasts against ``z``).

    Returns
    -------
    float or ndarray
        A float when ``z`` is a Python float, otherwise an array of the shape of ``z``.

    See Also
    --------
    L1.prox : The same operation with per-feature weights and bounds.

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


def _namespace(x):
    """The array namespace of ``x`` if it is not NumPy's (None for NumPy arrays, lists and
    scalars): the array's own ``__array_namespace__``, or array-api-compat's wrapper when
    that optional package is installed (PyTorch tensors)."""
    if isinstance(x, (np.ndarray, np.generic, list, tuple, int, float)):
        return None
    if hasattr(x, "__array_namespace__"):
        return x.__array_namespace__()
    try:
        import array_api_compat
    except ImportError:
        return None
    return array_api_compat.array_namespace(x) if array_api_compat.is_array_api_obj(x) else None


def _check_alpha(alpha):
    alpha = float(alpha)
    if not alpha >= 0 or not np.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}.")
    return alpha


def check_penalty_factor(penalty_factor, n_features=None):
    """``penalty_factor`` as a float64 vector (None stays None); a clear ValueError when it
    has NaN or negative entries, the wrong length, or excludes every feature."""
    if penalty_factor is None:
        return None
    pf = np.asarray(penalty_factor, dtype=np.float64)
    if pf.ndim != 1:
        raise ValueError(f"penalty_factor must be 1-D, got shape {pf.shape}.")
    if n_features is not None and pf.shape[0] != n_features:
        raise ValueError(
            f"penalty_factor has {pf.shape[0]} entries, but X has {n_features} features."
        )
    if np.any(np.isnan(pf)):
        raise ValueError("penalty_factor must not contain NaN.")
    if np.any(pf < 0):
        raise ValueError(
            "penalty_factor must be >= 0 (0: unpenalized, inf: excluded); got negative entries."
        )
    if pf.size and np.all(np.isinf(pf)):
        raise ValueError("penalty_factor is inf for every feature: every feature is excluded.")
    return pf


def check_bounds(bounds, positive=False, n_features=None):
    """``(lower, upper)`` as float64 scalars or vectors (None stays None unless ``positive``);
    a clear ValueError unless ``lower <= 0 <= upper`` (glmnet's requirement: 0 is feasible)
    and the lengths match; ``positive=True`` is ``bounds=(0, inf)`` and may not contradict
    given bounds."""
    if bounds is None:
        return (0.0, np.inf) if positive else None
    if isinstance(bounds, str) or len(bounds) != 2:
        raise ValueError("bounds must be a pair (lower, upper) of scalars or arrays.")
    out = []
    for name, value in zip(("lower", "upper"), bounds, strict=True):
        v = np.asarray(value, dtype=np.float64)
        if v.ndim > 1 or (v.ndim == 1 and n_features is not None and v.size != n_features):
            raise ValueError(
                f"the {name} bound must be a scalar or have one entry per feature "
                f"({n_features}), got shape {v.shape}."
            )
        if np.any(np.isnan(v)):
            raise ValueError(f"the {name} bound must not contain NaN.")
        out.append(float(v) if v.ndim == 0 else v)
    lower, upper = out
    if np.any(np.asarray(lower) > 0):
        raise ValueError("lower bounds must be <= 0 (so that w = 0 is feasible).")
    if np.any(np.asarray(upper) < 0):
        raise ValueError("upper bounds must be >= 0 (so that w = 0 is feasible).")
    if positive and np.any(np.asarray(lower) < 0):
        raise ValueError(
            "positive=True means bounds=(0, inf); it contradicts a negative lower bound. "
            "Give one of them only."
        )
    return lower, upper


class _Penalty:
    """Shared implementation: per-feature weights ``l1_weight``, ``l2_weight`` (scalars when
    there is no ``penalty_factor``) and bounds."""

    #: ``(l1, l2)`` per unit of ``alpha`` (before the penalty factors)
    _unit_weights = (0.0, 0.0)

    def __init__(self, alpha, *, penalty_factor=None, bounds=None, positive=False):
        self.alpha = _check_alpha(alpha)
        self.penalty_factor = check_penalty_factor(penalty_factor)
        self.positive = bool(positive)
        self.bounds = check_bounds(bounds, positive)

    # -- weights ----------------------------------------------------------------------------
    def _weight(self, unit):
        base = self.alpha * unit
        if self.penalty_factor is None:
            return base
        # an excluded feature (factor inf) has an infinite weight even at alpha = 0
        with np.errstate(invalid="ignore"):
            w = base * self.penalty_factor
        return np.where(np.isinf(self.penalty_factor), np.inf, w)

    @property
    def l1_weight(self):
        """Weight of ``|w_j|``: a float, or a vector with ``penalty_factor``."""
        return self._weight(self._unit_weights[0])

    @property
    def l2_weight(self):
        """Weight of ``w_j^2 / 2``: a float, or a vector with ``penalty_factor``."""
        return self._weight(self._unit_weights[1])

    def _box(self, n_features):
        lower, upper = (-np.inf, np.inf) if self.bounds is None else self.bounds
        lower = np.broadcast_to(np.asarray(lower, dtype=np.float64), (n_features,)).copy()
        upper = np.broadcast_to(np.asarray(upper, dtype=np.float64), (n_features,)).copy()
        if self.penalty_factor is not None:
            excluded = np.isinf(self.penalty_factor)
            lower[excluded] = upper[excluded] = 0.0
        return lower, upper

    def to_solver(self, scale, n_features):
        """The :class:`SeparablePenalty` of ``scale`` times this penalty.

        The solvers work with the penalty in their sum form (the least-squares term not
        divided by ``n_samples``), so a datafit passes ``scale = n_samples``.

        Parameters
        ----------
        scale : float
            Factor applied to the weights (not to the bounds).
        n_features : int
            Number of features; ``penalty_factor`` and vector bounds must have this length.

        Returns
        -------
        SeparablePenalty
            The weights and bounds as vectors of length ``n_features``.
        """
        pf = (
            np.ones(n_features)
            if self.penalty_factor is None
            else check_penalty_factor(self.penalty_factor, n_features)
        )
        finite = np.where(np.isinf(pf), 0.0, pf)
        u1, u2 = self._unit_weights
        lower, upper = self._box(n_features)
        return SeparablePenalty(
            scale * self.alpha * u1 * finite, scale * self.alpha * u2 * finite, lower, upper
        )

    # -- the value objects' own operations (any array namespace) -----------------------------
    def _vectors(self, xp, w):
        """Weights and bounds as arrays of ``w``'s namespace, dtype and shape (the bounds
        None when there are none)."""
        shape = w.shape
        n = shape[-1] if len(shape) else 1
        l1, l2 = self.l1_weight, self.l2_weight
        if self.penalty_factor is not None:  # excluded features: the box {0}, no weight
            excluded = np.isinf(self.penalty_factor)
            l1, l2 = np.where(excluded, 0.0, l1), np.where(excluded, 0.0, l2)

        def as_array(v):
            v = np.broadcast_to(np.asarray(v, dtype=np.float64), shape)
            return xp.asarray(np.ascontiguousarray(v), dtype=w.dtype)

        if self.bounds is None and self.penalty_factor is None:
            return as_array(l1), as_array(l2), None, None
        lower, upper = self._box(n)
        return as_array(l1), as_array(l2), as_array(lower), as_array(upper)

    def value(self, w):
        """Penalty value at ``w`` (any shape; summed over all entries).

        Calling the penalty, ``pen(w)``, is the same as ``pen.value(w)``.

        Parameters
        ----------
        w : array-like
            Coefficients: a list or NumPy array, or an array of another array-API namespace
            (an array-API array, a PyTorch tensor with array-api-compat installed). The last
            axis is the feature axis when there are penalty factors or vector bounds.

        Returns
        -------
        float or array
            A float for NumPy input; for an array of another namespace, a 0-d array of that
            namespace, so that it can be part of a differentiable loss. A point outside the
            bounds (``w < 0`` with ``positive=True``, a non-zero coefficient of an excluded
            feature) has the value ``inf``.
        """
        xp = _namespace(w)
        native = xp is not None
        if not native:
            xp, w = np, np.asarray(w, dtype=float)
        l1, l2, lower, upper = self._vectors(xp, w)
        zero = xp.zeros_like(w)
        nonzero = w != zero  # (0 * inf would be NaN for weights that overflowed)
        total = xp.sum(xp.where(nonzero, l1 * xp.abs(w), zero))
        total = total + 0.5 * xp.sum(xp.where(nonzero, l2 * w * w, zero))
        if lower is not None:
            outside = xp.any((w < lower) | (w > upper))
            total = xp.where(outside, xp.asarray(math.inf, dtype=total.dtype), total)
        return total if native else float(total)

    __call__ = value

    def prox(self, z, step=1.0):
        """Proximal operator ``argmin_x 1/2 ||x - z||^2 + step * penalty(x)``, elementwise.

        With bounds (``lower <= 0 <= upper``) the prox of the separable penalty is the
        clipped prox of its unconstrained part.

        Parameters
        ----------
        z : array-like
            The point, an array of any namespace (see :meth:`value`).
        step : float, default=1.0
            Step size multiplying the penalty.

        Returns
        -------
        array
            The proximal point, in the namespace and dtype of ``z`` (a float64 NumPy array
            for lists).
        """
        xp = _namespace(z)
        if xp is None:
            xp, z = np, np.asarray(z, dtype=float)
        l1, l2, lower, upper = self._vectors(xp, z)
        t = step * l1
        out = xp.where(z > t, z - t, xp.where(z < -t, z + t, xp.zeros_like(z)))
        out = out / (1.0 + step * l2)
        if lower is not None:
            out = xp.minimum(xp.maximum(out, lower), upper)
        return out

    def prox_1d(self, z, step=1.0, j=0):
        """The proximal operator of coordinate ``j`` on Python floats.

        Parameters
        ----------
        z : float
            The value of coordinate ``j``.
        step : float, default=1.0
            Step size multiplying the penalty.
        j : int, default=0
            The coordinate, whose penalty factor and bounds apply.

        Returns
        -------
        float
            The proximal point of coordinate ``j``.
        """
        n = self.penalty_factor.size if self.penalty_factor is not None else j + 1
        return float(self.prox(np.full(n, float(z)), step)[j])

    def subdiff_distance(self, w, grad):
        """Distance of ``-grad`` to the subdifferential of the penalty at ``w``, per coordinate.

        Parameters
        ----------
        w : array-like of shape (n_features,)
            Coefficients.
        grad : array-like of shape (n_features,)
            Gradient of the smooth (data-fit) part at ``w``.

        Returns
        -------
        ndarray of shape (n_features,)
            Zero exactly at the coordinates satisfying the optimality (KKT) conditions,
            bounds included.
        """
        w = np.asarray(w, dtype=float)
        n = w.shape[-1] if w.ndim else 1
        return self.to_solver(1.0, n).subdiff_distance(w, np.asarray(grad, dtype=float))

    def with_alpha(self, alpha):
        """The same penalty (factors, bounds) at another ``alpha``.

        Parameters
        ----------
        alpha : float
            The new regularization strength, ``>= 0``.

        Returns
        -------
        penalty : same type as self
            A new penalty; this one is unchanged.
        """
        return type(self)(alpha, **self._options())

    def alpha_max(self, grad0):
        """Smallest ``alpha`` for which ``w = 0`` is optimal.

        Only the directions the bounds allow count.

        Parameters
        ----------
        grad0 : array-like of shape (n_features,)
            Gradient of the data-fit at ``w = 0`` with the unpenalized features fitted (for
            the least-squares fit of scikit-learn's ``Lasso``: ``-X^T y / n_samples`` on
            centred data).

        Returns
        -------
        float
            The smallest such ``alpha``; ``inf`` when no finite ``alpha`` zeroes every
            penalized coefficient (pure L2).
        """
        grad0 = np.asarray(grad0, dtype=float)
        return self.with_alpha(1.0).to_solver(1.0, grad0.size).alpha_max_ratio(-grad0)

    def _options(self):
        return {
            "penalty_factor": self.penalty_factor,
            "bounds": self.bounds if not self.positive else None,
            "positive": self.positive,
        }

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))

    def _params(self):
        params = {"alpha": self.alpha, **self._extra_params()}
        if self.penalty_factor is not None:
            params["penalty_factor"] = self.penalty_factor.tolist()
        if self.bounds is not None and not (self.positive and self.bounds == (0.0, np.inf)):
            params["bounds"] = tuple(
                b.tolist() if isinstance(b, np.ndarray) else b for b in self.bounds
            )
        params["positive"] = self.positive
        return params

    def _extra_params(self):
        return {}


class L1(_Penalty):
    """Lasso penalty ``alpha * sum_j pf_j |w_j|`` (glmnet's factors ``pf``, bounds optional).

    The penalty of :class:`~sparsefit.LassoCD`, with its ``alpha``.

    Parameters
    ----------
    alpha : float
        Regularization strength, ``>= 0``.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors ``pf_j >= 0`` multiplying each feature's penalty (glmnet's
        ``penalty.factor``): 0 leaves a feature unpenalized, ``inf`` excludes it.
    bounds : tuple (lower, upper), default=None
        Box constraints ``lower <= w <= upper`` (scalars or vectors, ``lower <= 0 <=
        upper``).
    positive : bool, default=False
        Same as ``bounds=(0, inf)``.

    Attributes
    ----------
    l1_weight : float or ndarray of shape (n_features,)
        Weight of ``|w_j|``.
    l2_weight : float or ndarray of shape (n_features,)
        Weight of ``w_j^2 / 2``.

    See Also
    --------
    L1L2 : The elastic-net penalty.
    sparsefit.LassoCD : The estimator minimizing least squares plus this penalty.

    Examples
    --------
    >>> pen = L1(0.5)
    >>> pen([1.0, -2.0, 0.0])
    1.5
    >>> pen.prox([1.0, -0.2], step=1.0)
    array([0.5, 0. ])
    >>> L1(0.5, penalty_factor=[0.0, 1.0, 2.0])([1.0, -2.0, 1.0])
    2.0
    """

    _unit_weights = (1.0, 0.0)


class L2(_Penalty):
    """Ridge penalty ``alpha * sum_j pf_j w_j^2`` (scikit-learn ``Ridge`` scaling, no one half).

    The penalty of :class:`~sparsefit.RidgeGD`, with its ``alpha``; ``l2_weight`` is
    ``2 * alpha`` (times the factors).

    Parameters
    ----------
    alpha : float
        Regularization strength, ``>= 0``.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors ``pf_j >= 0`` multiplying each feature's penalty (glmnet's
        ``penalty.factor``): 0 leaves a feature unpenalized, ``inf`` excludes it.
    bounds : tuple (lower, upper), default=None
        Box constraints ``lower <= w <= upper`` (scalars or vectors, ``lower <= 0 <=
        upper``).
    positive : bool, default=False
        Same as ``bounds=(0, inf)``.

    Attributes
    ----------
    l1_weight : float or ndarray of shape (n_features,)
        Weight of ``|w_j|``.
    l2_weight : float or ndarray of shape (n_features,)
        Weight of ``w_j^2 / 2``.

    See Also
    --------
    L1L2 : The elastic-net penalty, whose L2 part carries a one half.
    sparsefit.RidgeGD : The estimator minimizing least squares plus this penalty.

    Examples
    --------
    >>> L2(0.5)([1.0, -2.0])
    2.5
    """

    _unit_weights = (0.0, 2.0)


class L1L2(_Penalty):
    """Elastic-net penalty ``alpha * sum_j pf_j (l1_ratio |w_j| + (1 - l1_ratio) / 2 w_j^2)``.

    The penalty of :class:`~sparsefit.ElasticNetCD`, with its ``alpha`` and ``l1_ratio``.

    Parameters
    ----------
    alpha : float
        Regularization strength, ``>= 0``.
    l1_ratio : float, default=0.5
        Share of the L1 term, in ``[0, 1]``.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors ``pf_j >= 0`` multiplying each feature's penalty (glmnet's
        ``penalty.factor``): 0 leaves a feature unpenalized, ``inf`` excludes it.
    bounds : tuple (lower, upper), default=None
        Box constraints ``lower <= w <= upper`` (scalars or vectors, ``lower <= 0 <=
        upper``).
    positive : bool, default=False
        Same as ``bounds=(0, inf)``.

    Attributes
    ----------
    l1_weight : float or ndarray of shape (n_features,)
        Weight of ``|w_j|``.
    l2_weight : float or ndarray of shape (n_features,)
        Weight of ``w_j^2 / 2``.

    See Also
    --------
    L1 : The Lasso penalty (``l1_ratio=1``).
    sparsefit.ElasticNetCD : The estimator minimizing least squares plus this penalty.

    Examples
    --------
    >>> L1L2(1.0, l1_ratio=0.5)([2.0, 0.0])
    2.0
    """

    def __init__(self, alpha, l1_ratio=0.5, *, penalty_factor=None, bounds=None, positive=False):
        super().__init__(alpha, penalty_factor=penalty_factor, bounds=bounds, positive=positive)
        l1_ratio = float(l1_ratio)
        if not 0.0 <= l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}.")
        self.l1_ratio = l1_ratio

    @property
    def _unit_weights(self):
        return (self.l1_ratio, 1.0 - self.l1_ratio)

    def _options(self):
        return {"l1_ratio": self.l1_ratio, **super()._options()}

    def _extra_params(self):
        return {"l1_ratio": self.l1_ratio}


class SeparablePenalty:
    """A separable penalty in vector form, in the solvers' units.

    The penalty ``sum_j l1_j |w_j| + l2_j / 2 w_j^2`` subject to ``lower_j <= w_j <=
    upper_j``: what the solvers consume (:meth:`L1.to_solver` builds it from a penalty).

    It provides what coordinate descent and the duality gap need: the coordinate update
    constants, the projection onto the box, the distance to the subdifferential (optimality
    scores), the dual scaling and the conjugate terms of the gap. Bounds satisfy
    ``lower <= 0 <= upper``; a feature whose box is ``{0}`` is excluded (held at 0).
    Unpenalized features (``l1_j = l2_j = 0``) have no dual norm constraint that a scaling
    can meet: the duality gap handles them by projecting the dual point (``fixed``).

    Parameters
    ----------
    l1 : array-like of shape (n_features,)
        Weights of ``|w_j|``, ``>= 0``.
    l2 : array-like of shape (n_features,)
        Weights of ``w_j^2 / 2``, ``>= 0``.
    lower : array-like of shape (n_features,)
        Lower bounds, ``<= 0`` (``-inf`` for none).
    upper : array-like of shape (n_features,)
        Upper bounds, ``>= 0`` (``inf`` for none).

    Attributes
    ----------
    excluded : ndarray of bool, shape (n_features,)
        Features whose box is ``{0}``.
    unpenalized : ndarray of bool, shape (n_features,)
        Features with neither weight that are not excluded.
    bounded : bool
        Whether some feature has a finite bound (excluded ones included).
    constrained : bool
        Whether some feature that is not excluded has a finite bound.
    formulation : {'l1', 'l2', 'ols'}
        The form of the duality gap: some ``l1_j > 0``, ridge only, or no penalty.

    See Also
    --------
    L1.to_solver : A penalty's vector form.

    Examples
    --------
    >>> pen = L1(0.5, penalty_factor=[0.0, 1.0]).to_solver(1.0, 2)
    >>> pen.l1
    array([0. , 0.5])
    >>> pen.value(np.array([3.0, -2.0]))
    1.0
    """

    def __init__(self, l1, l2, lower, upper):
        self.l1 = np.asarray(l1, dtype=np.float64)
        self.l2 = np.asarray(l2, dtype=np.float64)
        self.lower = np.asarray(lower, dtype=np.float64)
        self.upper = np.asarray(upper, dtype=np.float64)
        self._derive(None)

    def _derive(self, bounded):
        """The flags of the weights and bounds (``bounded``: False when known to have no
        finite bound, None to find out)."""
        finite = None
        if bounded is None:
            finite = np.isfinite(self.lower) | np.isfinite(self.upper)
            bounded = bool(np.any(finite))
        #: finite bounds on some feature (excluded ones included: their box is {0})
        self.bounded = bounded
        if bounded:
            if finite is None:
                finite = np.isfinite(self.lower) | np.isfinite(self.upper)
            self.excluded = (self.lower == 0) & (self.upper == 0)
            #: finite bounds on some feature that is not excluded
            self.constrained = bool(np.any(finite & ~self.excluded))
        else:
            self.excluded = np.zeros(self.l1.shape, dtype=bool)
            self.constrained = False
        active = ~self.excluded
        #: formulation of the gap: 'l1' (A, some l1 > 0), 'l2' (B, ridge) or 'ols'
        if np.any(self.l1[active] > 0):
            self.formulation = "l1"
        elif np.any(self.l2[active] > 0):
            self.formulation = "l2"
        else:
            self.formulation = "ols"
        #: features without any penalty (neither l1 nor l2), not excluded
        self.unpenalized = active & (self.l1 == 0) & (self.l2 == 0)
        # flags of the short formulas (a plain Lasso or elastic net): some L2 weight, some
        # unpenalized feature, and the L1 weight when it is one positive number for all
        self.has_l2 = bool(np.any(self.l2))
        self.any_unpenalized = bool(np.any(self.unpenalized))
        first = float(self.l1[0]) if self.l1.size else 0.0
        uniform = first > 0 and bool(np.all(self.l1 == first))
        self.uniform_l1 = first if uniform else None

    @property
    def n_features(self):
        """Number of features."""
        return self.l1.shape[0]

    def restrict(self, idx):
        """The penalty of the features ``idx``.

        Parameters
        ----------
        idx : array-like of int or bool
            The features to keep.

        Returns
        -------
        SeparablePenalty
            The weights and bounds of those features.
        """
        new = SeparablePenalty.__new__(SeparablePenalty)
        new.l1, new.l2 = self.l1[idx], self.l2[idx]
        new.lower, new.upper = self.lower[idx], self.upper[idx]
        if self._plain():  # the features of a plain Lasso / elastic net share its flags
            new._copy_flags(self, 1.0)
            new.has_l2 = bool(new.l2.any())
        else:
            new._derive(None if self.bounded else False)
        return new

    def scaled(self, factor):
        """Scale the weights by ``factor`` (the bounds stay).

        Parameters
        ----------
        factor : float
            Non-negative.

        Returns
        -------
        SeparablePenalty
            The weights multiplied by ``factor``, the same bounds.
        """
        if not factor > 0:
            return SeparablePenalty(self.l1 * factor, self.l2 * factor, self.lower, self.upper)
        new = SeparablePenalty.__new__(SeparablePenalty)
        new.l1, new.l2 = self.l1 * factor, self.l2 * factor
        new.lower, new.upper = self.lower, self.upper
        new._copy_flags(self, factor)  # (a positive factor changes none of them)
        new.has_l2 = self.has_l2
        return new

    def _plain(self):
        """One positive L1 weight for all, no bound and no unpenalized feature."""
        return self.uniform_l1 is not None and not self.bounded and not self.any_unpenalized

    def _copy_flags(self, other, factor):
        """The flags of ``other`` (whose features these are, weights times ``factor > 0``),
        but ``has_l2``; array flags taken at this penalty's length."""
        self.bounded, self.constrained = other.bounded, other.constrained
        self.formulation, self.any_unpenalized = other.formulation, other.any_unpenalized
        self.uniform_l1 = None if other.uniform_l1 is None else other.uniform_l1 * factor
        if self.l1.shape == other.l1.shape and self.lower is other.lower:
            self.excluded, self.unpenalized = other.excluded, other.unpenalized
        else:  # (a plain penalty: none of either)
            self.excluded = np.zeros(self.l1.shape, dtype=bool)
            self.unpenalized = self.excluded

    def with_l1(self, l1):
        """The same penalty with other L1 weights (a path's next ``alpha``).

        Parameters
        ----------
        l1 : array-like of shape (n_features,)
            The new weights of ``|w_j|``.

        Returns
        -------
        SeparablePenalty
            A new penalty with the same L2 weights and bounds.
        """
        return SeparablePenalty(l1, self.l2, self.lower, self.upper)

    # -- coordinate descent ------------------------------------------------------------------
    def project(self, w):
        """``w`` clipped into the box.

        Parameters
        ----------
        w : ndarray of shape (n_features,)
            Coefficients, clipped in place when they are a float64 array.

        Returns
        -------
        ndarray of shape (n_features,)
            The clipped coefficients.
        """
        if self.bounded:
            np.clip(w, self.lower, self.upper, out=w)
        return w

    def coordinate_constants(self, idx, diag):
        """The constants of the coordinate updates of the features ``idx``.

        One coordinate update is then a few operations on Python floats.

        Parameters
        ----------
        idx : array-like of int
            The coordinates.
        diag : ndarray of shape (len(idx),)
            Their curvatures ``d`` (the Gram matrix's diagonal entries).

        Returns
        -------
        thresholds, denominators, lower, upper : list of float
            The soft-threshold ``l1 / d``, the shrinkage denominator ``1 + l2 / d`` and the
            bounds, per coordinate (threshold 0 where ``d = 0``).
        """
        inv = np.zeros(diag.shape)
        np.divide(1.0, diag, out=inv, where=diag > 0)
        thr = (self.l1[idx] * inv).tolist()
        den = (1.0 + self.l2[idx] * inv).tolist() if self.has_l2 else [1.0] * inv.size
        return thr, den, self.lower[idx].tolist(), self.upper[idx].tolist()

    def value(self, w):
        """The penalty ``sum_j l1_j |w_j| + l2_j / 2 w_j^2`` at ``w`` (the box is not checked).

        Parameters
        ----------
        w : ndarray of shape (n_features,)
            Coefficients.

        Returns
        -------
        float
            The value; the terms of zero coefficients are zero even for weights that
            overflowed to ``inf``.
        """
        nz = (w != 0).nonzero()[0]
        if nz.size == 0:
            return 0.0
        wn = w[nz]
        value = float(self.l1[nz] @ np.abs(wn))
        if self.has_l2:  # (as ``(sqrt(l2) w)^2``: no square of a large ``w`` overflows alone)
            scaled = np.sqrt(self.l2[nz]) * wn
            value += 0.5 * float(scaled @ scaled)
        return value

    def subdiff_distance(self, w, grad):
        """Distance of ``-grad`` to the subdifferential at ``w``, bounds included.

        Parameters
        ----------
        w : ndarray of shape (n_features,)
            Coefficients.
        grad : ndarray of shape (n_features,)
            Gradient of the data-fit at ``w``.

        Returns
        -------
        ndarray of shape (n_features,)
            Zero at the coordinates meeting their optimality conditions.
        """
        g = grad + self.l2 * w if self.has_l2 else grad
        if not self.bounded:  # no box: the same formulas without the normal cones
            dist = np.abs(g)
            dist -= self.l1
            np.maximum(dist, 0.0, out=dist)
            nz = (w != 0).nonzero()[0]  # (the support: usually few)
            dist[nz] = np.abs(g[nz] + self.l1[nz] * np.sign(w[nz]))
            return dist
        sign = np.sign(w)
        at_upper = (w == self.upper) & (w != 0)
        at_lower = (w == self.lower) & (w != 0)
        dist = np.abs(g + self.l1 * sign)
        # at a bound the normal cone adds a half-line: only the outward pull is allowed
        dist = np.where(at_upper, np.maximum(g + self.l1 * sign, 0.0), dist)
        dist = np.where(at_lower, np.maximum(-(g + self.l1 * sign), 0.0), dist)
        zero = w == 0
        up = np.maximum(-g - self.l1, 0.0) * (self.upper > 0)  # room to increase
        down = np.maximum(g - self.l1, 0.0) * (self.lower < 0)  # room to decrease
        return np.where(zero, np.maximum(up, down), dist)

    def alpha_max_ratio(self, v):
        """The smallest multiple of the L1 weights for which every penalized coefficient is zero.

        It is ``max_j`` of the pull ``v_j`` on penalized feature ``j`` over its L1 weight, in
        the directions its bounds allow (unpenalized features are fitted, not zeroed).

        Parameters
        ----------
        v : ndarray of shape (n_features,)
            The pull on each feature: minus the data-fit's gradient at 0.

        Returns
        -------
        float
            The ratio: ``inf`` if a pulled feature has only an L2 weight, 0 when nothing
            pulls.
        """
        up = np.where(self.upper > 0, np.maximum(v, 0.0), 0.0)
        down = np.where(self.lower < 0, np.maximum(-v, 0.0), 0.0)
        pull = np.maximum(up, down)
        pull[self.excluded | self.unpenalized] = 0.0  # (unpenalized: fitted, never zeroed)
        if not np.any(pull > 0):
            return 0.0
        pulled = pull > 0
        if np.any(self.l1[pulled] == 0):
            return np.inf
        return float(np.max(pull[pulled] / self.l1[pulled]))

    # -- duality gap ---------------------------------------------------------------------------
    def dual_scale(self, v, fixed=None):
        """The dual scaling of the gap's formulation A (some L1 weight).

        Parameters
        ----------
        v : ndarray of shape (n_features,)
            The unscaled dual correlations ``X^T theta``.
        fixed : ndarray of bool, shape (n_features,), default=None
            Features whose constraint holds by construction (left out).

        Returns
        -------
        float
            The largest ``s <= 1`` for which ``s v`` meets the constraints ``v_j <= l1_j``
            (no upper bound) and ``v_j >= -l1_j`` (no lower bound).
        """
        if fixed is None and not self.bounded and self.uniform_l1 is not None:
            # one weight for all: the scaling of the largest correlation (the same number:
            # division is monotone)
            top = max(float(v.max()), -float(v.min())) if v.size else 0.0
            return 1.0 if not top > self.uniform_l1 else self.uniform_l1 / top
        if self.bounded:
            over = np.where(np.isinf(self.upper), np.maximum(v, 0.0), 0.0)
            under = np.where(np.isinf(self.lower), np.maximum(-v, 0.0), 0.0)
            pull = np.maximum(over, under)
        else:  # no box: both sides are met by the scaling
            pull = np.abs(v)
        if fixed is not None:
            pull[fixed] = 0.0
        viol = pull > self.l1
        if not np.any(viol):
            return 1.0
        return float(np.min(self.l1[viol] / pull[viol]))

    def l1_conjugate(self, v, fixed=None):
        """Sum of the conjugates of ``l1_j |w| + box_j`` at ``v_j``, finite sides only.

        The infinite sides are met by the scaling (:meth:`dual_scale`).

        Parameters
        ----------
        v : ndarray of shape (n_features,)
            The (scaled) dual correlations.
        fixed : ndarray of bool, shape (n_features,), default=None
            Features left out of the sum.

        Returns
        -------
        float
            The sum of ``upper_j (v_j - l1_j)_+`` and ``-lower_j (-v_j - l1_j)_+``.
        """
        if not self.bounded:
            return 0.0
        terms = np.zeros_like(v)
        up = np.isfinite(self.upper)
        terms[up] = self.upper[up] * np.maximum(v[up] - self.l1[up], 0.0)
        lo = np.isfinite(self.lower)
        terms[lo] -= self.lower[lo] * np.maximum(-v[lo] - self.l1[lo], 0.0)
        if fixed is not None:
            terms[fixed] = 0.0
        return float(terms.sum())

    def l2_conjugate(self, v, fixed=None):
        """Sum of the conjugates of ``l2_j / 2 w^2 + box_j`` at ``v_j`` (formulation B).

        Parameters
        ----------
        v : ndarray of shape (n_features,)
            The dual correlations.
        fixed : ndarray of bool, shape (n_features,), default=None
            Features left out of the sum.

        Returns
        -------
        float
            The sum; ``inf`` where an unpenalized feature's constraint fails.
        """
        smooth = self.l2 > 0
        if not self.bounded and smooth.all():  # (ridge: the maximizer is v / l2)
            terms = v / self.l2
            terms *= 0.5 * v  # (v c - l2 c^2 / 2 at c = v / l2, without overflow for huge l2)
            if fixed is not None:
                terms[fixed] = 0.0
            return float(terms.sum())
        # the maximizer of v c - l2/2 c^2 over the box (at a bound, or at infinity, where
        # l2 = 0 and the box is open on the side v pulls to)
        c = np.where(v > 0, np.inf, np.where(v < 0, -np.inf, 0.0))
        c[smooth] = v[smooth] / self.l2[smooth]
        c = np.clip(c, self.lower, self.upper)
        terms = np.zeros_like(v)
        nz = c != 0
        terms[nz] = v[nz] * c[nz]  # inf where an unpenalized feature's constraint fails
        quad = nz & smooth
        terms[quad] -= 0.5 * self.l2[quad] * c[quad] * c[quad]
        terms[self.excluded] = 0.0
        if fixed is not None:
            terms[fixed] = 0.0
        return float(terms.sum())

    def kkt_violation(self, XtR, w, fixed=None):
        """Squared norm of the violated first-order conditions of least squares in the box.

        The gap of scikit-learn's unpenalized case is ``||X^T R||^2``; this is its
        version with bounds.

        Parameters
        ----------
        XtR : ndarray of shape (n_features,)
            Correlations ``X^T R`` of the features with the residual.
        w : ndarray of shape (n_features,)
            Coefficients.
        fixed : ndarray of bool, shape (n_features,), default=None
            Features left out.

        Returns
        -------
        float
            The squared norm.
        """
        v = np.where(w >= self.upper, np.minimum(XtR, 0.0), XtR)
        v = np.where(w <= self.lower, np.maximum(v, 0.0), v)
        v[self.excluded] = 0.0
        if fixed is not None:
            v[fixed] = 0.0
        return float(v @ v)
