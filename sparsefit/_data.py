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

import contextlib

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

__all__ = ["Design", "center_data", "gram_product", "gram_upper", "symmetrize"]

#: rows per block when a pass over dense X must centre explicitly
_CHUNK_ROWS = 4096
#: dense column means are refined by a second pass when one exceeds this many times the
#: deviations from it of the first ``_MEAN_SAMPLE_ROWS`` rows (a one-pass mean loses
#: about ``log10(mean / spread)`` digits of the centred column)
_MEAN_SPREAD_RATIO = 1e3
_MEAN_SAMPLE_ROWS = 8
#: elements (32 MiB of float64) per block of columns centred explicitly for the kernel
_CHUNK_ELEMENTS = 4 * 1024 * 1024
#: largest n_features for which the full Gram matrix may be formed (dense X)
_MAX_FULL_GRAM = 4000
#: up to this many features, tall dense data get their full Gram matrix up front
_CHEAP_GRAM_FEATURES = 256
#: most features whose Gram block is cached
_MAX_CACHE = 4000
#: a given Gram matrix is checked on a random vector from this seed, each of its elements
#: to this absolute tolerance (plus a relative one), as scikit-learn checks one element
_GRAM_CHECK_SEED = 0
_GRAM_ATOL = 1e-5
#: products of at least this many multiply-adds may use every BLAS thread (``Design.parallel``)
_PARALLEL_FLOPS = 5e7


def gram_product(A):
    """``A^T A`` for a dense 2-D array, by SciPy's symmetric rank-k update (``dsyrk``).

    SciPy's BLAS rather than NumPy's: the solvers' own small calls (and their Cholesky
    factorizations, and scikit-learn's coordinate descent) run in SciPy's, so a large product
    finds that library's threads awake instead of competing with them for the cores
    (measured: NumPy's product of the 20640 x 164 California design took 18-24 ms right
    after a scikit-learn fit, 8 ms alone; ``dsyrk`` took 9 ms in both cases).

    Over blocks, accumulate ``gram_upper`` and ``symmetrize`` once.
    """
    return symmetrize(gram_upper(A))


def gram_upper(A, upper=None):
    """The upper triangle of ``A^T A`` (plus ``upper``, accumulated in place when given)."""
    if A.flags.c_contiguous:
        a, trans = A.T, 0  # A^T is Fortran-ordered: no copy
    else:
        a, trans = np.asfortranarray(A), 1
    if upper is None:
        return blas.dsyrk(1.0, a, trans=trans)
    return blas.dsyrk(1.0, a, beta=1.0, c=upper, trans=trans, overwrite_c=1)


def symmetrize(upper):
    """The symmetric matrix whose upper triangle is that of ``upper``."""
    G = np.triu(upper)
    G += np.triu(upper, 1).T
    return G


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
        self._error_scale = None
        self._centre_rows = None
        self.full_gram = None
        #: the coordinate-descent solver's support factorization of ``full_gram``, kept here
        #: from one subproblem (and one alpha of a path) to the next
        self.support_system = None
        self._cache_idx = np.zeros(0, dtype=np.intp)
        self._cache_pos = np.full(self.n_features, -1, dtype=np.intp)
        self._cache_G = np.zeros((0, 0))
        #: context entered around large matrix products (Gram blocks, the kernel); callers
        #: that limit BLAS to one thread set it to one that lifts the limit there
        self.parallel = contextlib.nullcontext

    # -- products ---------------------------------------------------------------------------
    @property
    def heavy_offsets(self):
        """Whether the offsets are not mild (``_offsets_mild``): correcting products of
        uncentred X by them would lose digits to cancellation. Dense X is then centred
        explicitly in every product (by blocks of rows); sparse X in its Gram blocks (by
        blocks of columns, densified one block at a time), its other products staying
        corrected (``error_scale`` says how accurate they are)."""
        if self._centre_rows is None:
            self._centre_rows = self.x_offset is not None and not self._offsets_mild()
        return self._centre_rows

    @property
    def centres_rows(self):
        """Whether products centre dense X explicitly, by blocks of rows."""
        return not self.sparse and self.heavy_offsets

    def matvec(self, w, idx=None):
        """``Xt[:, idx] @ w`` (all columns when ``idx`` is None)."""
        if self.centres_rows:
            if idx is not None and 4 * len(idx) <= self.n_features:
                return self.columns(idx) @ w
            if idx is not None:
                w_full = np.zeros(self.n_features)
                w_full[idx] = w
                w = w_full
            return np.concatenate([block @ w for block in self._row_blocks()])
        if idx is not None and (self.sparse or 4 * len(idx) > self.n_features):
            # a full product beats gathering columns (always for sparse: O(nnz) either way)
            w_full = np.zeros(self.n_features)
            w_full[idx] = w
            idx, w = None, w_full
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
        if self.centres_rows:
            out = 0.0
            for start, block in zip(
                range(0, self.n_samples, _CHUNK_ROWS), self._row_blocks(), strict=True
            ):
                out = out + block.T @ v[start : start + _CHUNK_ROWS]
            return np.asarray(out)
        if self.sqrt_sw is not None:
            v = (self.sqrt_sw * v.T).T
        out = np.asarray(self.X.T @ v)
        if self.x_offset is not None:
            out = out - np.multiply.outer(self.x_offset, v.sum(axis=0))
        return out

    def columns(self, idx):
        """Columns ``idx`` of the design, as a copy.

        Dense X: ``Xt[:, idx]`` itself (centred and weighted). Sparse X: the weighted but
        uncentred columns ``diag(sqrt(s)) X[:, idx]`` (centring is applied to products).
        """
        idx = np.asarray(idx, dtype=np.intp)
        Xi = self.X[:, idx]  # integer indexing: always a copy
        if self.sparse:
            return Xi if self.sqrt_sw is None else sp.csc_matrix(sp.diags(self.sqrt_sw) @ Xi)
        if self.x_offset is not None:
            Xi -= self.x_offset[idx]
        if self.sqrt_sw is not None:
            Xi *= self.sqrt_sw[:, None]
        return Xi

    def centred_columns(self, idx):
        """Columns ``idx`` of ``Xt``, dense and explicitly centred (a copy; for sparse X, of
        these columns only): their products carry no offset correction."""
        if not self.sparse:
            return self.columns(idx)
        idx = np.asarray(idx, dtype=np.intp)
        Xi = self.X[:, idx].toarray()
        if self.x_offset is not None:  # centred before weighting, as dense columns
            Xi -= self.x_offset[idx]
        if self.sqrt_sw is not None:
            Xi *= self.sqrt_sw[:, None]
        return Xi

    def centred_rmatvec(self, v, idx):
        """``Xt[:, idx]^T v`` from explicitly centred columns, by blocks (bounded memory)."""
        idx = np.asarray(idx, dtype=np.intp)
        out = np.empty(idx.size)
        step = max(1, _CHUNK_ELEMENTS // max(self.n_samples, 1))
        for start in range(0, idx.size, step):
            out[start : start + step] = self.centred_columns(idx[start : start + step]).T @ v
        return out

    def centred_matvec(self, w, idx):
        """``Xt[:, idx] @ w`` from explicitly centred columns, by blocks (bounded memory)."""
        idx = np.asarray(idx, dtype=np.intp)
        out = np.zeros(self.n_samples)
        step = max(1, _CHUNK_ELEMENTS // max(self.n_samples, 1))
        for start in range(0, idx.size, step):
            out += self.centred_columns(idx[start : start + step]) @ w[start : start + step]
        return out

    @property
    def error_scale(self):
        """Per column ``c_j``: the products of this design are accurate to about
        ``eps sqrt(n_samples) c_j`` times the other factor's norm (``X^T v``, ``X w``), and
        the Gram entries to ``eps sqrt(n_samples) c_j c_k``.

        ``c_j`` is the norm of the centred column when products centre explicitly, and of the
        uncentred one when they are corrected by the offsets (sparse X, mild offsets): the
        correction cancels digits of that size.
        """
        if self._error_scale is None:
            norms = np.sqrt(self.col_norms2)
            raw = norms
            if self.x_offset is not None:
                total = float(
                    self.n_samples if self.sqrt_sw is None else self.sqrt_sw @ self.sqrt_sw
                )
                raw = np.sqrt(self.col_norms2 + total * self.x_offset**2)
            products = raw if self.sparse or not self.heavy_offsets else norms
            gram = raw if not self.heavy_offsets else norms
            self._error_scale = (products, gram)
        return self._error_scale[0]

    @property
    def gram_error_scale(self):
        """As ``error_scale``, for the entries of the Gram matrix and its blocks (centred
        explicitly when the offsets are heavy, sparse X included)."""
        self.error_scale  # noqa: B018 - computes both
        return self._error_scale[1]

    def cross_gram(self, a, b, Xa=None, Xb=None):
        """``Xt[:, a]^T Xt[:, b]`` (dense array); ``Xa``/``Xb`` are ``columns(a)``/``(b)``."""
        if self.sparse and self.heavy_offsets:
            return self._centred_cross_gram(np.asarray(a, np.intp), np.asarray(b, np.intp))
        Xa = self.columns(a) if Xa is None else Xa
        Xb = self.columns(b) if Xb is None else Xb
        with self._parallel_if(len(a) * len(b) * self.n_samples):
            P = Xa.T @ Xb
        if not self.sparse:
            return P
        P = P.toarray() if sp.issparse(P) else np.asarray(P)
        if self.x_offset is not None:
            sq = np.ones(self.n_samples) if self.sqrt_sw is None else self.sqrt_sw
            ua, ub = np.asarray(Xa.T @ sq).ravel(), np.asarray(Xb.T @ sq).ravel()
            oa, ob = self.x_offset[a], self.x_offset[b]
            P = P - np.outer(ua, ob) - np.outer(oa, ub) + float(sq @ sq) * np.outer(oa, ob)
        return P

    def _centred_cross_gram(self, a, b):
        """``Xt[:, a]^T Xt[:, b]`` from explicitly centred columns, densified by blocks."""
        out = np.empty((a.size, b.size))
        step = max(1, _CHUNK_ELEMENTS // max(self.n_samples, 1))
        for i in range(0, a.size, step):
            Ca = self.centred_columns(a[i : i + step])
            for j in range(0, b.size, step):
                Cb = Ca if np.array_equal(a[i : i + step], b[j : j + step]) else None
                Cb = self.centred_columns(b[j : j + step]) if Cb is None else Cb
                with self._parallel_if(Ca.shape[1] * Cb.shape[1] * self.n_samples):
                    out[i : i + step, j : j + step] = Ca.T @ Cb
        return out

    def gram(self, idx=None):
        """``Xt[:, idx]^T Xt[:, idx]`` (all features when None), dense, Fortran-ordered.

        Blocks are cached: a pair of features is multiplied once per fit, so the blocks never
        cost more than the full Gram matrix. For dense X with at most ``_MAX_FULL_GRAM``
        features, once the cache would span two thirds of them the full Gram matrix is formed
        instead (one symmetric product) and kept in ``full_gram`` (gap evaluations then cost
        ``O(p |support|)``).
        """
        idx = np.arange(self.n_features) if idx is None else np.asarray(idx, dtype=np.intp)
        if self.full_gram is None:
            new = idx[self._cache_pos[idx] < 0]
            if new.size:
                cached = self._cache_idx
                if (
                    not self.sparse
                    and self.n_features <= _MAX_FULL_GRAM
                    and 3 * (cached.size + new.size) > 2 * self.n_features
                ):
                    # two thirds of the features: one symmetric product for all of them
                    # costs less than the blocks still to come
                    self.precompute_gram()
                    self._cache_G = None
                else:
                    self._extend_cache(cached, new)
        # (the blocks are symmetric: the transposed C-ordered copy is the Fortran-ordered one)
        if self.full_gram is not None:
            if idx.size == self.n_features and np.array_equal(idx, np.arange(idx.size)):
                return self.full_gram  # read-only use by the solvers: no copy
            return self.full_gram[np.ix_(idx, idx)].T
        pos = self._cache_pos[idx]
        return self._cache_G[np.ix_(pos, pos)].T

    def _extend_cache(self, cached, new):
        if cached.size + new.size > _MAX_CACHE:  # start afresh rather than grow without bound
            self._cache_pos[cached] = -1
            cached = np.zeros(0, dtype=np.intp)
            self._cache_G = np.zeros((0, 0))
        Xn = self.columns(new)
        G_nn = self.cross_gram(new, new, Xn, Xn)
        if cached.size:
            G_cn = self.cross_gram(cached, new, None, Xn)
            G = np.block([[self._cache_G, G_cn], [G_cn.T, G_nn]])
        else:
            G = G_nn
        self._cache_idx = np.concatenate([cached, new])
        self._cache_pos[new] = np.arange(cached.size, self._cache_idx.size)
        self._cache_G = G

    def kernel(self):
        """``Xt Xt^T`` (n_samples x n_samples), dense X centred explicitly by column blocks."""
        with self._parallel_if(self.n_samples**2 * self.n_features):
            return self._kernel()

    def _kernel(self):
        n = self.n_samples
        if self.sparse:
            Xs = self.X if self.sqrt_sw is None else sp.diags(self.sqrt_sw) @ self.X
            K = Xs @ Xs.T
            K = K.toarray() if sp.issparse(K) else np.asarray(K)
            if self.x_offset is not None:
                sq = np.ones(n) if self.sqrt_sw is None else self.sqrt_sw
                u = np.asarray(Xs @ self.x_offset).ravel()
                K = (
                    K
                    - np.outer(u, sq)
                    - np.outer(sq, u)
                    + (self.x_offset @ self.x_offset) * np.outer(sq, sq)
                )
            return K
        if self.sqrt_sw is None and self._offsets_mild():
            # X X^T with a rank-two centring correction: no copy of X
            K = gram_product(self.X.T)
            if self.x_offset is not None:
                u = self.X @ self.x_offset
                K -= np.add.outer(u, u)
                K += float(self.x_offset @ self.x_offset)
            return K
        upper = None
        step = max(1, _CHUNK_ELEMENTS // max(n, 1))
        for start in range(0, self.n_features, step):
            C = self.X[:, start : start + step]  # a slice: copied only by the centring
            if self.x_offset is not None:
                C = C - self.x_offset[start : start + step]
            if self.sqrt_sw is not None:
                C = C * self.sqrt_sw[:, None]
            upper = gram_upper(C.T, upper)
        return symmetrize(upper)

    def _row_blocks(self):
        """Centred, weighted blocks of rows of dense ``Xt`` (bounded extra memory)."""
        for start in range(0, self.n_samples, _CHUNK_ROWS):
            block = self.X[start : start + _CHUNK_ROWS]
            if self.x_offset is not None:
                block = block - self.x_offset
            if self.sqrt_sw is not None:
                block = block * self.sqrt_sw[start : start + _CHUNK_ROWS, None]
            yield block

    def _parallel_if(self, flops):
        """``self.parallel()`` for products of at least ``_PARALLEL_FLOPS`` multiply-adds."""
        return self.parallel() if flops >= _PARALLEL_FLOPS else contextlib.nullcontext()

    def _offsets_mild(self, norms2=None):
        """Whether products of uncentred X corrected by the offsets lose at most about four
        digits to cancellation (about ``log10(n x_j^2 / ||Xt_j||^2)`` for column ``j``;
        ``norms2``: the squared column norms if known)."""
        off = self.x_offset
        if off is None:
            return True
        norms2 = self.col_norms2 if norms2 is None else norms2
        tiny = np.finfo(float).tiny
        return bool(np.all(self.n_samples * off**2 <= 1e4 * np.maximum(norms2, tiny)))

    def _chunked_gram(self):
        with self._parallel_if(self.n_samples * self.n_features**2):
            return self._chunked_gram_unlimited()

    def _chunked_gram_unlimited(self):
        if self.sqrt_sw is None:
            # a symmetric product of X itself (no copy), corrected by the offsets when that
            # keeps the digits (judged from its own diagonal: no separate pass for the norms)
            G = gram_product(self.X)
            off = self.x_offset
            if off is None:
                return G
            G -= self.n_samples * np.outer(off, off)
            if self._offsets_mild(np.diag(G)):
                return G
        upper = None
        for block in self._row_blocks():
            upper = gram_upper(block, upper)
        return symmetrize(upper)

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

    @property
    def gram_is_cheap(self):
        """Dense, tall and narrow: forming ``Xt^T Xt`` costs about as much as a few passes.

        Then every later product (Gram blocks, gap evaluations) costs ``O(n_features^2)``
        instead of a pass over X.
        """
        p = self.n_features
        return not self.sparse and p <= _CHEAP_GRAM_FEATURES and self.n_samples >= 8 * p

    @property
    def gram_pays_along_path(self):
        """Dense and at least as tall as wide (scikit-learn's ``precompute='auto'`` rule).

        Along a path the working sets end up covering most features, so the Gram matrix,
        formed once by one symmetric product, is cheaper than its blocks.
        """
        p = self.n_features
        return not self.sparse and p <= _MAX_FULL_GRAM and self.n_samples >= p

    def precompute_gram(self, gram=None):
        """Form (or take) the full Gram matrix; later products use it."""
        if gram is not None:
            gram = np.asarray(gram, dtype=np.float64)
            self.full_gram = np.asfortranarray(0.5 * (gram + gram.T))  # exactly symmetric
        elif self.sparse:
            all_idx = np.arange(self.n_features)
            self.full_gram = np.asfortranarray(self.cross_gram(all_idx, all_idx))
        else:
            self.full_gram = np.asfortranarray(self._chunked_gram())
        self._norms2 = None
        self._error_scale = None
        return self.full_gram

    def gram_matches(self, gram, rtol, atol=_GRAM_ATOL):
        """Whether ``gram`` is this design's Gram matrix ``Xt^T Xt``, checked on one seeded
        random vector (one pass over X): every entry of ``gram @ v`` must match
        ``Xt^T (Xt v)`` within ``rtol`` of its magnitude plus ``atol`` per element (the
        per-element tolerances of scikit-learn's check of one element).
        """
        v = np.random.default_rng(_GRAM_CHECK_SEED).standard_normal(self.n_features)
        expected = self.rmatvec(self.matvec(v))
        actual = gram @ v
        bound = rtol * (np.abs(gram) @ np.abs(v)) + atol * float(np.abs(v).sum())
        return bool(np.all(np.abs(actual - expected) <= bound))

    @property
    def col_norms2(self):
        """Squared Euclidean norms of the columns of ``Xt``."""
        if self._norms2 is None:
            if self.full_gram is not None:
                self._norms2 = np.diag(self.full_gram).copy()
            elif not self.sparse:
                self._norms2 = self._dense_norms2()
            else:
                sw = np.ones(self.n_samples) if self.sqrt_sw is None else self.sqrt_sw**2
                raw = _sparse_weighted_sq_col_sums(self.X, sw)
                norms2 = raw
                if self.x_offset is not None:
                    u = np.asarray(self.X.T @ sw).ravel()
                    norms2 = raw - 2.0 * u * self.x_offset + float(sw.sum()) * self.x_offset**2
                self._norms2 = np.maximum(norms2, 0.0)
        return self._norms2


def _sparse_weighted_sq_col_sums(X, sw, block=8192):
    """``sum_i sw_i X_ij^2`` for CSR/CSC ``X``, by blocks (bounded extra memory)."""
    out = np.zeros(X.shape[1])
    if X.format == "csr":
        for start in range(0, X.shape[0], block):
            chunk = X[start : start + block]
            out += np.asarray(chunk.power(2).T @ sw[start : start + block]).ravel()
    else:
        for start in range(0, X.shape[1], block):
            chunk = X[:, start : start + block]
            out[start : start + block] = np.asarray(chunk.power(2).T @ sw).ravel()
    return out


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
            total = sw.sum()
            if not (np.isfinite(total) and total > n_samples / np.finfo(np.float64).max):
                # the sum overflows, or n / sum does (subnormal weights): the normalized
                # weights do not depend on the scale, so bring the largest weight to 1 first
                sw = sw / sw.max()
                total = sw.sum()
            sw = sw * (n_samples / total)
        sqrt_sw = np.sqrt(sw)
    if fit_intercept:
        # accumulated in float64 also for float32 X: products that correct for the offsets
        # instead of centring (Gram, kernel, sparse X) assume the exact means
        if sw is None:
            if sp.issparse(X):
                x_offset = np.asarray(X.T @ np.ones(n_samples)).ravel() / n_samples
            else:
                x_offset = X.mean(axis=0, dtype=np.float64)
            y_offset = y.mean(axis=0)
        else:
            total = sw.sum()
            x_offset = np.asarray(X.T @ sw, dtype=np.float64).ravel() / total
            y_offset = sw @ y / total
        x_offset = _refined_means(X, sw, x_offset)
        y_offset = y_offset + _mean_correction(y - y_offset, sw)
    else:
        x_offset = np.zeros(n_features)
        y_offset = np.zeros(y.shape[1:]) if y.ndim > 1 else 0.0
    yt = y - y_offset
    if sqrt_sw is not None:
        yt = yt * (sqrt_sw[:, None] if y.ndim > 1 else sqrt_sw)
    design = Design(X, x_offset if fit_intercept else None, sqrt_sw)
    return design, yt, x_offset, y_offset


def _mean_correction(centred, sw):
    """``sum_i s_i c_i / sum(s)`` for rows ``c_i`` already centred by a first estimate."""
    if sw is None:
        return centred.mean(axis=0)
    return sw @ centred / sw.sum()


def _refined_means(X, sw, means):
    """Column means corrected by a second pass over ``X - means`` (the corrected two-pass
    algorithm): a column whose mean dwarfs its spread loses digits in a one-pass sum, and
    a centred column shifted by that error is a different column.

    Sparse X: the deviations of the stored entries, summed per column, and those of the
    implicit zeros, ``-mean`` times their weight (``O(nnz)``). Dense X: only when a sample
    of rows suggests means far above the spread (one more pass, by blocks of rows).
    """
    n_samples = X.shape[0]
    weights = np.ones(n_samples) if sw is None else sw
    total = float(weights.sum())
    if sp.issparse(X):
        X = X.tocsr() if X.format != "csr" else X
        rows = np.repeat(np.arange(n_samples), np.diff(X.indptr))
        dev = weights[rows] * (X.data - means[X.indices])
        stored = np.bincount(X.indices, weights=dev, minlength=X.shape[1])
        stored_weight = np.bincount(X.indices, weights=weights[rows], minlength=X.shape[1])
        return means + (stored - means * (total - stored_weight)) / total
    # the deviations of a few rows from the mean: a lower estimate of the spread (a too
    # small one costs an unneeded pass, nothing else)
    sample = np.ascontiguousarray(X[:_MEAN_SAMPLE_ROWS], dtype=np.float64)
    spread = np.abs(sample - means).max(axis=0)
    if not np.any(np.abs(means) > _MEAN_SPREAD_RATIO * spread):
        return means
    correction = np.zeros(X.shape[1])
    for start in range(0, n_samples, _CHUNK_ROWS):
        block = np.asarray(X[start : start + _CHUNK_ROWS], dtype=np.float64) - means
        correction += weights[start : start + _CHUNK_ROWS] @ block
    return means + correction / total
