"""Weighted moments of data rows, merged pairwise: the sufficient statistics of a fit.

A least-squares fit with an intercept needs only, over the rows ``z_i = [x_i | y_i]`` with
weights ``s_i``: the weight sum ``W``, the weighted means ``m`` and the centred
cross-products ``C = sum_i s_i (z_i - m)(z_i - m)^T``. They are computed per block of rows
(two passes over the block: the mean, then the cross-products of the deviations) and
merged pairwise (Chan, Golub and LeVeque)::

    W = Wa + Wb,   m = ma + d Wb / W,   C = Ca + Cb + d d^T Wa Wb / W,   d = mb - ma

which never subtracts two large numbers: a feature with offset 1e6 keeps its digits, where
raw moments ``sum s z z^T - W m m^T`` lose about ``2 log10(offset / spread)`` of them. The
means are kept as unevaluated sums ``mean + mean_lo`` (the two-pass mean's first estimate
and its correction, exactly as computed): the differences ``d`` of large means are then
accurate to the last digit of the deviations, not of the means (a rounded mean of 1e6
carries an absolute error of 1e-10, which the merge would multiply by the weights).
Without an intercept the moments are left uncentred (``m = 0``, ``C = sum s z z^T``), and
merging adds them.

From the moments of all the data, the centred Gram matrix, ``Xt^T yt`` and ``||yt||^2``
of :class:`~sparsefit._data.GramDesign`; from those of one fold, its validation error.
Moments of disjoint sets of rows (folds) merge into those of their union (training sets).

Numeric core: imports NumPy only.
"""

import numpy as np

__all__ = ["Moments", "merge_all"]


class Moments:
    """Weighted moments of a set of rows of ``Z = [X | Y]`` (see the module docstring).

    Attributes
    ----------
    count : int
        Number of rows.
    weight : float
        Sum of their weights (``count`` when unweighted).
    mean, mean_lo : ndarray of shape (q,)
        Weighted means (zeros when uncentred) as the unevaluated sum ``mean + mean_lo``.
    cross : ndarray of shape (q, q)
        ``sum_i s_i (z_i - mean)(z_i - mean)^T``.
    diag : ndarray of shape (q,)
        The diagonal of the full cross-product matrix.
    columns : ndarray of int or None
        When given, ``cross`` holds only these columns of the cross-product matrix
        (``(q, len(columns))``: the wide mode needs the targets' columns and the diagonal).
    centred : bool
    """

    __slots__ = ("count", "weight", "mean", "mean_lo", "cross", "diag", "columns", "centred")

    def __init__(self, count, weight, mean, cross, diag, columns, centred, mean_lo=None):
        self.count = int(count)
        self.weight = float(weight)
        self.mean = mean
        self.mean_lo = np.zeros_like(mean) if mean_lo is None else mean_lo
        self.cross = cross
        self.diag = diag
        self.columns = columns
        self.centred = bool(centred)

    @classmethod
    def empty(cls, q, centred=True, columns=None):
        k = q if columns is None else len(columns)
        return cls(0, 0.0, np.zeros(q), np.zeros((q, k)), np.zeros(q), columns, centred)

    @classmethod
    def of_rows(cls, Z, sample_weight=None, centred=True, columns=None):
        """The moments of the rows of ``Z`` (n, q), in float64, by two passes over them
        (``columns``: only those columns of the cross-products, and the diagonal)."""
        Z = np.asarray(Z, dtype=np.float64)
        n, q = Z.shape
        if n == 0:
            return cls.empty(q, centred, columns)
        s = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        weight = float(n if s is None else s.sum())
        if not weight > 0:  # rows of zero weight only: nothing to add
            empty = cls.empty(q, centred, columns)
            empty.count = n
            return empty
        mean, mean_lo = np.zeros(q), np.zeros(q)
        dev = Z
        if centred:
            mean = (Z.sum(axis=0) if s is None else s @ Z) / weight
            dev = Z - mean
            # the corrected two-pass mean: the first pass's rounding, kept apart
            mean_lo = (dev.sum(axis=0) if s is None else s @ dev) / weight
            dev -= mean_lo
        if s is not None:
            dev = dev * np.sqrt(s)[:, None] if dev is Z else _scaled_rows(dev, np.sqrt(s))
        if columns is None:
            cross = dev.T @ dev
            diag = np.diag(cross).copy()
        else:
            cross = dev.T @ dev[:, columns]
            diag = np.einsum("ij,ij->j", dev, dev)
        return cls(n, weight, mean, cross, diag, columns, centred, mean_lo)

    @property
    def means(self):
        """The means, rounded to float64."""
        return self.mean + self.mean_lo

    def _with_count(self, count):
        return Moments(
            count,
            self.weight,
            self.mean,
            self.cross,
            self.diag,
            self.columns,
            self.centred,
            self.mean_lo,
        )

    def __add__(self, other):
        """The moments of the union of two disjoint sets of rows."""
        count = self.count + other.count
        if other.weight == 0.0:
            return self._with_count(count)
        if self.weight == 0.0:
            return other._with_count(count)
        weight = self.weight + other.weight
        cross = self.cross + other.cross
        diag = self.diag + other.diag
        mean, mean_lo = self.mean, self.mean_lo
        if self.centred:
            delta = (other.mean - self.mean) + (other.mean_lo - self.mean_lo)
            hi, lo = self.mean, self.mean_lo + delta * (other.weight / weight)
            mean = hi + lo  # renormalized: lo keeps what the rounded sum lost
            mean_lo = lo - (mean - hi)
            f = self.weight * other.weight / weight
            cols = delta if self.columns is None else delta[self.columns]
            cross = cross + np.outer(delta, cols * f)
            diag = diag + delta * delta * f
        return Moments(count, weight, mean, cross, diag, self.columns, self.centred, mean_lo)

    # -- what the solvers and the scores need ---------------------------------------------------
    def least_squares(self, n_features, normalize_weights=True):
        """The statistics of the centred, sqrt-weighted design of the first ``n_features``
        columns and the target(s) in the others, as ``_data.center_data`` would scale them
        (weights rescaled to sum to ``count`` when ``normalize_weights``):
        ``(gram, Xty of shape (n_features, n_targets), yty of shape (n_targets,),
        x_offset, y_offset of shape (n_targets,))``."""
        p = n_features
        scale = self.count / self.weight if normalize_weights else 1.0
        C = self.cross * scale
        gram = np.asfortranarray(0.5 * (C[:p, :p] + C[:p, :p].T))
        Xty = C[:p, p:]
        yty = np.diag(C[p:, p:]).copy()
        means = self.means
        return gram, Xty, yty, means[:p], means[p:]

    def mean_squared_errors(self, n_features, coefs, intercepts):
        """The weighted mean squared error of each model on these rows, from the moments
        alone: ``(C_yy - 2 w^T C_xy + w^T C_xx w) / W + (m_y - b - m_x^T w)^2``.

        Parameters
        ----------
        coefs : ndarray of shape (n_models, n_features)
        intercepts : ndarray of shape (n_models,)
            Models of the target in column ``n_features``.
        """
        p = n_features
        W = np.asarray(coefs, dtype=np.float64)
        C = self.cross
        spread = C[p, p] - 2.0 * (W @ C[:p, p]) + np.einsum("ij,jk,ik->i", W, C[:p, :p], W)
        means = self.means
        bias = means[p] - intercepts - W @ means[:p]
        return np.maximum(spread, 0.0) / self.weight + bias**2


def _scaled_rows(A, scale):
    """``A`` with its rows multiplied by ``scale``, in place (``A`` is a temporary)."""
    A *= scale[:, None]
    return A


def merge_all(parts):
    """The moments of the union of disjoint sets of rows, merged pairwise (a balanced tree:
    each result is the merge of two of about equal weight)."""
    parts = list(parts)
    if not parts:
        raise ValueError("no moments to merge")
    while len(parts) > 1:
        merged = [a + b for a, b in zip(parts[::2], parts[1::2], strict=False)]
        if len(parts) % 2:
            merged.append(parts[-1])
        parts = merged
    return parts[0]
