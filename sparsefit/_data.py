"""Weighted centring of the data, without densifying sparse input.

Solvers work on the centred, sqrt-weighted design and target::

    Xt = diag(sqrt(s)) (X - 1 x_offset^T),      yt = sqrt(s) * (y - y_offset)

with ``x_offset``/``y_offset`` the weighted means (zero when there is no intercept).
For dense ``X`` the design is formed explicitly (one float64 copy, never written back). For
sparse ``X`` it stays implicit: ``Xt = Xs - sqrt(s) x_offset^T`` with ``Xs = diag(sqrt(s)) X``
sparse, so every product costs ``O(nnz)`` and the matrix is never densified.

Numeric core: imports NumPy and SciPy only.
"""

import numpy as np
import scipy.sparse as sp

__all__ = ["Design", "center_data"]


class Design:
    """The centred, sqrt-weighted design ``Xt`` as a small linear operator.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    x_offset : ndarray of shape (n_features,) or None
    sqrt_sw : ndarray of shape (n_samples,) or None
    """

    def __init__(self, X, x_offset=None, sqrt_sw=None):
        self.n_samples, self.n_features = X.shape
        self.sparse = sp.issparse(X)
        if self.sparse:
            Xs = X.tocsc()
            if sqrt_sw is not None:
                Xs = sp.csc_matrix(sp.diags(sqrt_sw) @ Xs)
            if Xs.dtype != np.float64:
                Xs = Xs.astype(np.float64)
            self.X = Xs
            self.x_offset = None
            if x_offset is not None and np.any(x_offset != 0):
                self.x_offset = np.asarray(x_offset, dtype=np.float64)
            self.sqrt_sw = (
                np.ones(self.n_samples) if sqrt_sw is None else np.asarray(sqrt_sw, float)
            )
        else:
            center = x_offset is not None and np.any(x_offset != 0)
            if center or sqrt_sw is not None:
                # one private float64 copy in Fortran order; the caller's X is never touched
                Xt = np.array(X, dtype=np.float64, order="F", copy=True)
                if center:
                    Xt -= x_offset
                if sqrt_sw is not None:
                    Xt *= sqrt_sw[:, None]
            else:
                Xt = np.asarray(X, dtype=np.float64)
            self.X = Xt
            self.x_offset = None
            self.sqrt_sw = None
        self._norms2 = None
        self._gram = None

    # -- products ---------------------------------------------------------------------------
    def matvec(self, w, idx=None):
        """``Xt[:, idx] @ w`` (all columns when ``idx`` is None)."""
        if idx is not None:
            if len(idx) == 0:
                return np.zeros(self.n_samples)
            X = self.X[:, idx]
            off = None if self.x_offset is None else self.x_offset[idx]
        else:
            X, off = self.X, self.x_offset
        out = X @ w
        if self.sparse:
            out = np.asarray(out).ravel()
            if off is not None:
                out -= float(off @ w) * self.sqrt_sw
        return out

    def rmatvec(self, v):
        """``Xt^T @ v`` for a vector (or a 2-D block of columns) ``v``."""
        out = self.X.T @ v
        if self.sparse:
            out = np.asarray(out)
            if self.x_offset is not None:
                out = out - np.multiply.outer(self.x_offset, self.sqrt_sw @ v)
        return out

    def gram(self, idx=None):
        """``Xt[:, idx]^T Xt[:, idx]`` as a dense Fortran-ordered float64 array."""
        if self._gram is not None:
            G = self._gram if idx is None else self._gram[np.ix_(idx, idx)]
            return np.asfortranarray(G)
        X = self.X if idx is None else self.X[:, idx]
        G = X.T @ X
        if self.sparse:
            G = G.toarray() if sp.issparse(G) else np.asarray(G)
            if self.x_offset is not None:
                off = self.x_offset if idx is None else self.x_offset[idx]
                u = np.asarray(X.T @ self.sqrt_sw).ravel()
                ss = float(self.sqrt_sw @ self.sqrt_sw)
                G = G - np.outer(u, off) - np.outer(off, u) + ss * np.outer(off, off)
        return np.asfortranarray(G)

    def precompute_gram(self, gram=None):
        """Keep the full Gram matrix (given, or computed once) for later ``gram`` calls."""
        self._gram = self.gram() if gram is None else np.asfortranarray(gram, dtype=np.float64)
        return self._gram

    @property
    def col_norms2(self):
        """Squared Euclidean norms of the columns of ``Xt``."""
        if self._norms2 is None:
            if self._gram is not None:
                self._norms2 = np.diag(self._gram).copy()
            elif self.sparse:
                sq = np.asarray(self.X.multiply(self.X).sum(axis=0)).ravel()
                if self.x_offset is not None:
                    u = np.asarray(self.X.T @ self.sqrt_sw).ravel()
                    ss = float(self.sqrt_sw @ self.sqrt_sw)
                    sq = sq - 2.0 * u * self.x_offset + ss * self.x_offset**2
                self._norms2 = np.maximum(sq, 0.0)
            else:
                self._norms2 = np.einsum("ij,ij->j", self.X, self.X)
        return self._norms2


def center_data(X, y, sample_weight=None, fit_intercept=True, normalize_weights=True):
    """Weighted centring and sqrt-weight scaling of ``X`` and ``y``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights; never modified.
    fit_intercept : bool
    normalize_weights : bool
        Rescale the weights to sum to ``n_samples`` (coordinate-descent objectives, where the
        weights enter as ``1/(2 sum(s)) sum s_i r_i^2``); keep them as given for Ridge.

    Returns
    -------
    design : Design
    yt : ndarray, float64, same shape as ``y``
    x_offset : ndarray of shape (n_features,)
    y_offset : float or ndarray of shape (n_targets,)
    """
    n_samples, n_features = X.shape
    y = np.asarray(y, dtype=np.float64)
    if sample_weight is None:
        sw = None
        sqrt_sw = None
    else:
        sw = np.asarray(sample_weight, dtype=np.float64)
        if normalize_weights:
            sw = sw * (n_samples / sw.sum())
        sqrt_sw = np.sqrt(sw)
    if fit_intercept:
        if sw is None:
            x_offset = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
            y_offset = y.mean(axis=0)
        else:
            total = sw.sum()
            x_offset = np.asarray(X.T @ sw, dtype=np.float64).ravel() / total
            y_offset = sw @ y / total
    else:
        x_offset = np.zeros(n_features)
        y_offset = np.zeros(y.shape[1:]) if y.ndim > 1 else 0.0
    yt = y - y_offset
    if sqrt_sw is not None:
        yt = yt * (sqrt_sw[:, None] if y.ndim > 1 else sqrt_sw)
    design = Design(X, x_offset if fit_intercept else None, sqrt_sw)
    return design, yt, x_offset, y_offset
