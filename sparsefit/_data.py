"""Weighted centring of the data, implicit: X is never copied whole, sparse never densified.

Solvers work on the centred, sqrt-weighted design and target::

    Xt = diag(sqrt(s)) (X - 1 x_offset^T),      yt = sqrt(s) * (y - y_offset)

with ``x_offset``/``y_offset`` the weighted means (zero when there is no intercept).
``Xt`` is never formed: products apply the offset and the weights to vectors, so each costs
one pass over ``X`` (``O(nnz)`` when sparse). Gram blocks of a few columns are formed from
an explicitly centred copy of those columns when ``X`` is dense (no cancellation for columns
with a large mean), and through the rank-one correction when it is sparse.

Numeric core: imports NumPy and SciPy only.
"""

import numpy as np
import scipy.sparse as sp

__all__ = ["Design", "center_data"]

#: rows per block when a pass over dense X must centre explicitly
_CHUNK_ROWS = 4096


class Design:
    """The centred, sqrt-weighted design ``Xt`` as a small linear operator.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Kept by reference (float64 dense input is not copied) and never modified.
    x_offset : ndarray of shape (n_features,) or None
    sqrt_sw : ndarray of shape (n_samples,) or None
    """

    def __init__(self, X, x_offset=None, sqrt_sw=None):
        self.n_samples, self.n_features = X.shape
        self.sparse = sp.issparse(X)
        if self.sparse:
            if X.format not in ("csr", "csc"):
                X = X.tocsc()
            if X.dtype != np.float64:
                X = X.astype(np.float64)  # once, rather than an upcast in every product
        else:
            X = np.asarray(X, dtype=np.float64)
        self.X = X
        self.x_offset = None
        if x_offset is not None and np.any(x_offset != 0):
            self.x_offset = np.asarray(x_offset, dtype=np.float64)
        self.sqrt_sw = None if sqrt_sw is None else np.asarray(sqrt_sw, dtype=np.float64)
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
        out = np.asarray(X @ w).ravel()
        if off is not None:
            out -= float(off @ w)
        if self.sqrt_sw is not None:
            out *= self.sqrt_sw
        return out

    def rmatvec(self, v):
        """``Xt^T @ v`` for a vector (or a 2-D block of columns) ``v``."""
        if self.sqrt_sw is not None:
            v = (self.sqrt_sw * v.T).T
        out = np.asarray(self.X.T @ v)
        if self.x_offset is not None:
            out = out - np.multiply.outer(self.x_offset, v.sum(axis=0))
        return out

    def columns(self, idx):
        """Dense ``Xt[:, idx]`` (dense X only: a centred, weighted copy of those columns)."""
        Xi = self.X[:, np.asarray(idx, dtype=np.intp)]  # integer indexing: always a copy
        if self.x_offset is not None:
            Xi -= self.x_offset[idx]
        if self.sqrt_sw is not None:
            Xi *= self.sqrt_sw[:, None]
        return Xi

    def gram(self, idx=None):
        """``Xt[:, idx]^T Xt[:, idx]`` as a dense Fortran-ordered float64 array."""
        if self._gram is not None:
            G = self._gram if idx is None else self._gram[np.ix_(idx, idx)]
            return np.asfortranarray(G)
        if idx is None and not self.sparse:
            return np.asfortranarray(self._chunked_gram())
        if not self.sparse:
            Xi = self.columns(idx)
            return np.asfortranarray(Xi.T @ Xi)
        X = self.X if idx is None else self.X[:, idx]
        if self.sqrt_sw is not None:
            X = sp.csc_matrix(sp.diags(self.sqrt_sw) @ X)
        G = X.T @ X
        G = G.toarray() if sp.issparse(G) else np.asarray(G)
        if self.x_offset is not None:
            off = self.x_offset if idx is None else self.x_offset[idx]
            sq = np.ones(self.n_samples) if self.sqrt_sw is None else self.sqrt_sw
            u = np.asarray(X.T @ sq).ravel()
            ss = float(sq @ sq)
            G = G - np.outer(u, off) - np.outer(off, u) + ss * np.outer(off, off)
        return np.asfortranarray(G)

    def _row_blocks(self):
        """Centred, weighted blocks of rows of dense ``Xt`` (bounded extra memory)."""
        for start in range(0, self.n_samples, _CHUNK_ROWS):
            block = self.X[start:start + _CHUNK_ROWS]
            if self.x_offset is not None:
                block = block - self.x_offset
            if self.sqrt_sw is not None:
                block = block * self.sqrt_sw[start:start + _CHUNK_ROWS, None]
            yield block

    def _chunked_gram(self):
        G = np.zeros((self.n_features, self.n_features))
        for block in self._row_blocks():
            G += block.T @ block
        return G

    def _dense_norms2(self):
        """Column norms in one pass without a copy; columns that cancel are redone exactly."""
        X = self.X
        sw = None if self.sqrt_sw is None else self.sqrt_sw**2
        raw = np.einsum("ij,ij->j", X, X) if sw is None else np.einsum("ij,i,ij->j", X, sw, X)
        if self.x_offset is None:
            return raw
        total = float(self.n_samples if sw is None else sw.sum())
        norms2 = raw - total * self.x_offset**2
        # raw - total * mean^2 loses digits when a column's mean dwarfs its spread
        bad = np.flatnonzero(norms2 <= 1e-6 * raw)
        if bad.size:
            Xb = self.columns(bad)
            norms2[bad] = np.einsum("ij,ij->j", Xb, Xb)
        return norms2

    def precompute_gram(self, gram=None):
        """Keep the full Gram matrix (given, or computed once) for later ``gram`` calls."""
        self._gram = self.gram() if gram is None else np.asfortranarray(gram, dtype=np.float64)
        self._norms2 = None
        return self._gram

    @property
    def col_norms2(self):
        """Squared Euclidean norms of the columns of ``Xt``."""
        if self._norms2 is None:
            if self._gram is not None:
                self._norms2 = np.diag(self._gram).copy()
            elif not self.sparse:
                self._norms2 = self._dense_norms2()
            else:
                sw = np.ones(self.n_samples) if self.sqrt_sw is None else self.sqrt_sw**2
                raw = np.asarray(self.X.power(2).T @ sw).ravel()  # one temporary copy of X
                norms2 = raw
                if self.x_offset is not None:
                    u = np.asarray(self.X.T @ sw).ravel()
                    norms2 = raw - 2.0 * u * self.x_offset + float(sw.sum()) * self.x_offset**2
                self._norms2 = np.maximum(norms2, 0.0)
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
