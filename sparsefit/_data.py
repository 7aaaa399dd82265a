"""The data seam: the centred, weighted design as a small operator, and the solver's workspace.

Solvers work on the centred, sqrt-weighted design and target::

    Xt = diag(sqrt(s)) (X - 1 x_offset^T),      yt = sqrt(s) * (y - y_offset)

with ``x_offset``/``y_offset`` the weighted means (zero when there is no intercept).

**The design protocol.** What the solvers need of ``Xt``, implemented three times:
:class:`DenseDesign` (in-memory dense X), :class:`SparseDesign` (CSR/CSC, centred
implicitly, never densified whole) and :class:`GramDesign` (sufficient statistics only: the
centred Gram matrix; the target enters as ``Xt^T yt`` and ``||yt||^2``, which is what a
user-supplied Gram matrix gives and what one distributed pass over the data gives).

========================  =========================================================  ========
member                    meaning                                                    Gram-only
========================  =========================================================  ========
``n_samples``             sum of the normalized weights (``n_samples``)               yes
``n_features``                                                                        yes
``has_samples``           whether products with ``Xt`` itself are available          False
``col_norms2``            squared column norms of ``Xt``                              yes
``error_scale``           per column, the scale of the products' rounding errors      yes
``gram_error_scale``      the same for the entries of the Gram matrix                 yes
``cross_gram(a, b)``      ``Xt[:, a]^T Xt[:, b]``                                     yes
``full_gram()``           ``Xt^T Xt``, formed (or given)                              yes
``matvec``, ``rmatvec``   ``Xt[:, idx] @ w``, ``Xt^T @ v``                            no
``centred_columns(idx)``  dense, explicitly centred columns (polishing, certificates)  no
``kernel()``              ``Xt Xt^T`` (the ridge dual)                               no
``gram_on_demand``        the Gram matrix is never formed whole: the solvers use its  False
                          columns (``cross_gram``) and ``gram_matvec(v)`` (``Xt^T Xt
                          v``), as the distributed design of ``_dask`` provides them
========================  =========================================================  ========

``Xt`` is never formed: products apply the offset and the weights to vectors, so each costs
one pass over ``X`` (``O(nnz)`` when sparse), unless the offsets are heavy (a column whose
mean dwarfs its spread): dense X then has those columns centred explicitly (one copy of
them) when they are few, else all of X centred explicitly by blocks of rows. The column
means are refined by a second pass over the columns whose mean dwarfs its standard
deviation (the raw second moments of the same pass say which).
Designs are immutable but for caches of values they compute anyway (norms, error scales).
Large products use every BLAS thread through the ``parallel`` context given at
construction.

**The workspace** (:class:`Workspace`) holds a fit's mutable state: the Gram blocks computed
so far, the full Gram matrix once formed, and the solver's support factorization; it
decides when the full Gram matrix pays. One workspace serves every target of a fit and
every ``alpha`` of a path.

Numeric core: imports NumPy and SciPy only.
"""

import contextlib

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from . import _tuning as tuning

__all__ = [
    "DenseDesign",
    "GramDesign",
    "SparseDesign",
    "Workspace",
    "center_data",
    "gram_product",
    "gram_upper",
    "make_design",
    "symmetrize",
]

#: rows per block when a pass over dense X must centre explicitly
_CHUNK_ROWS = 4096
#: column means are refined by a second pass when one exceeds this many times its
#: column's standard deviation (a one-pass mean loses about ``log10(mean / spread)``
#: digits of the centred column)
_MEAN_SPREAD_RATIO = 1e3
#: elements (32 MiB of float64) per block of columns centred explicitly
_CHUNK_ELEMENTS = 4 * 1024 * 1024
#: a given Gram matrix is checked on a random vector from this seed, each of its elements
#: to this absolute tolerance (plus a relative one), as scikit-learn checks one element
_GRAM_CHECK_SEED = 0
_GRAM_ATOL = 1e-5
#: offsets are heavy when ``n x_j^2`` exceeds this many times ``||Xt_j||^2`` for a column:
#: products corrected by them would lose more than about two digits
_HEAVY_OFFSET_RATIO = 1e4


#: a product with a design's columns ``idx`` gathers them when they are at most this
#: fraction (inverted) of the features, else multiplies the whole of X (zeros elsewhere)
_FEW = 4
_FEW_C_ORDER = 16
#: NumPy's vectorized dot product (NumPy 2)
_VECDOT = hasattr(np, "vecdot")

#: multiply-adds from which a block of the Gram matrix with itself is formed by the
#: symmetric product (below, the general one and no symmetrizing copies)
_SYRK_MIN = 1e6


def gram_product(A, threaded=True):
    """``A^T A`` for a dense 2-D array, exactly symmetric.

    On several BLAS threads (``threaded``), by SciPy's symmetric rank-k update (``dsyrk``)
    rather than NumPy's product: the solvers' own small calls (and their Cholesky
    factorizations, and scikit-learn's coordinate descent) run in SciPy's BLAS, so a large
    product finds that library's threads awake instead of competing with them for the cores
    (measured: NumPy's product of the 20640 x 164 California design took 18-24 ms right
    after a scikit-learn fit, 8 ms alone; ``dsyrk`` took 9 ms in both cases; two threads,
    1000 x 2500: 43-54 ms against 27 ms). On one thread, by NumPy's product (its own
    ``dsyrk``, symmetrized), which was measured 10-15% faster than SciPy's plus
    ``symmetrize`` (one thread: 10000 x 1000, 185 against 207 ms; 2500 x 1000, 48 against
    55 ms) and has no threads to contend.

    Over blocks, accumulate ``gram_upper`` and ``symmetrize`` once.
    """
    return symmetrize(gram_upper(A)) if threaded else A.T @ A


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


class _DataDesign:
    """What dense and sparse designs share: the data, the offsets and weights, the norms
    and the error scales.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Kept by reference (float64 input is not copied) and never modified.
    x_offset : ndarray of shape (n_features,) or None
    sqrt_sw : ndarray of shape (n_samples,) or None
    parallel : callable returning a context manager, optional
        Entered around large products (Gram matrices and blocks, the kernel): the BLAS
        thread policy of the fit (see ``_base.parallel_blas``).
    """

    has_samples = True
    gram_on_demand = False

    def __init__(self, X, x_offset=None, sqrt_sw=None, parallel=None, raw_moments=None):
        self.n_samples, self.n_features = X.shape
        self.X = X
        self.x_offset = None
        if x_offset is not None and np.any(x_offset != 0):
            self.x_offset = np.asarray(x_offset, dtype=np.float64)
        self.sqrt_sw = None if sqrt_sw is None else np.asarray(sqrt_sw, dtype=np.float64)
        self.parallel = contextlib.nullcontext if parallel is None else parallel
        self._norms2 = None
        self._scales = None
        self._heavy = None
        #: ``X^T X`` of the uncentred, unweighted X when centring formed it (dense only),
        #: taken by the first ``full_gram``
        self.raw_gram = None
        # (sum_i s_i X_ij, sum_i s_i X_ij^2) when the caller has them (centring does)
        self._raw_moments = raw_moments

    def _parallel_if(self, flops):
        """The ``parallel`` context for products of at least ``PARALLEL_FLOPS`` multiply-adds."""
        return self.parallel() if flops >= tuning.PARALLEL_FLOPS else contextlib.nullcontext()

    @property
    def weight_sum(self):
        return float(self.n_samples if self.sqrt_sw is None else self.sqrt_sw @ self.sqrt_sw)

    @property
    def col_norms2(self):
        """Squared Euclidean norms of the columns of ``Xt``."""
        if self._norms2 is None:
            self._norms2 = self._compute_norms2()
        return self._norms2

    def _offsets_mild(self, norms2=None):
        """Whether products of uncentred X corrected by the offsets lose at most about two
        digits to cancellation (about ``log10(n x_j^2 / ||Xt_j||^2) / 2`` for column ``j``;
        ``norms2``: the squared column norms if known)."""
        return self.x_offset is None or not np.any(self._heavy_mask(norms2))

    def _heavy_mask(self, norms2=None):
        """The columns whose offset is not mild (see ``_offsets_mild``)."""
        norms2 = self.col_norms2 if norms2 is None else norms2
        limit = _HEAVY_OFFSET_RATIO * np.maximum(norms2, np.finfo(float).tiny)
        return self.n_samples * _square(self.x_offset) > limit

    @property
    def heavy_offsets(self):
        """Whether the offsets are not mild: correcting products of uncentred X by them
        would lose digits. Dense X is then centred explicitly in every product (by blocks of
        rows); sparse X in its Gram blocks (by blocks of columns, densified one block at a
        time), its other products staying corrected (``error_scale`` says how accurate)."""
        if self._heavy is None:
            self._heavy = self.x_offset is not None and not self._offsets_mild()
        return self._heavy

    def _error_scales(self):
        norms = np.sqrt(self.col_norms2)
        raw = norms
        if self.x_offset is not None:
            raw = np.sqrt(self.col_norms2 + self.weight_sum * _square(self.x_offset))
        products = raw if self.sparse or not self.heavy_offsets else norms
        gram = raw if not self.heavy_offsets else norms
        return products, gram

    @property
    def error_scale(self):
        """Per column ``c_j``: the products of this design are accurate to about
        ``eps sqrt(n_samples) c_j`` times the other factor's norm (``X^T v``, ``X w``).

        ``c_j`` is the norm of the centred column when products centre explicitly, and of the
        uncentred one when they are corrected by the offsets (sparse X, mild offsets): the
        correction cancels digits of that size.
        """
        if self._scales is None:
            self._scales = self._error_scales()
        return self._scales[0]

    @property
    def gram_error_scale(self):
        """As ``error_scale``, for the entries of the Gram matrix and its blocks (``eps
        sqrt(n_samples) c_j c_k``; centred explicitly when the offsets are heavy)."""
        if self._scales is None:
            self._scales = self._error_scales()
        return self._scales[1]

    def centred_rmatvec(self, v, idx):
        """``Xt[:, idx]^T v`` from explicitly centred columns, by blocks (bounded memory)."""
        idx = np.asarray(idx, dtype=np.intp)
        out = np.empty(idx.size)
        for start, block in self._column_blocks(idx):
            out[start : start + block.size] = self.centred_columns(block).T @ v
        return out

    def centred_matvec(self, w, idx):
        """``Xt[:, idx] @ w`` from explicitly centred columns, by blocks (bounded memory)."""
        idx = np.asarray(idx, dtype=np.intp)
        out = np.zeros(self.n_samples)
        for start, block in self._column_blocks(idx):
            out += self.centred_columns(block) @ w[start : start + block.size]
        return out

    def _column_blocks(self, idx):
        step = max(1, _CHUNK_ELEMENTS // max(self.n_samples, 1))
        for start in range(0, idx.size, step):
            yield start, idx[start : start + step]

    def _centred_cross_gram(self, a, b):
        """``Xt[:, a]^T Xt[:, b]`` from explicitly centred columns, by blocks."""
        out = np.empty((a.size, b.size))
        for i, block_a in self._column_blocks(a):
            Ca = self.centred_columns(block_a)
            for j, block_b in self._column_blocks(b):
                same = np.array_equal(block_a, block_b)
                Cb = Ca if same else self.centred_columns(block_b)
                with self._parallel_if(Ca.shape[1] * Cb.shape[1] * self.n_samples):
                    out[i : i + block_a.size, j : j + block_b.size] = Ca.T @ Cb
        return out

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


class DenseDesign(_DataDesign):
    """The centred, sqrt-weighted design of a dense ``X`` (see the module docstring)."""

    sparse = False

    def __init__(self, X, x_offset=None, sqrt_sw=None, parallel=None, raw_moments=None):
        X = np.asarray(X, dtype=np.float64)
        super().__init__(X, x_offset, sqrt_sw, parallel, raw_moments)
        self._centred_copy = None  # Xt itself, formed on the first explicitly centred pass
        self._split = None

    @property
    def heavy_columns(self):
        """``(idx, Xt[:, idx])``: the columns with heavy offsets and their explicitly
        centred copy, when they are few (``HEAVY_COLUMNS_FRACTION`` of the columns, a copy
        within ``CENTRED_COPY_BYTES``): products correct the other columns by the offsets
        and take these from the copy. ``None`` when there are none or too many."""
        if self._split is None:
            self._split = (None,)
            if self.heavy_offsets:
                idx = np.flatnonzero(self._heavy_mask())
                few = idx.size <= tuning.HEAVY_COLUMNS_FRACTION * self.n_features
                if few and 8 * idx.size * self.n_samples <= tuning.CENTRED_COPY_BYTES:
                    self._split = (idx, self.columns(idx))
        return None if self._split[0] is None else self._split

    @property
    def centres_rows(self):
        """Whether products centre all of X explicitly, by blocks of rows (heavy offsets on
        more than a few columns)."""
        return self.heavy_offsets and self.heavy_columns is None

    def _error_scales(self):
        products, gram = super()._error_scales()
        split = self.heavy_columns
        if split is not None:  # products corrected by the offsets except on the split
            raw = np.sqrt(self.col_norms2 + self.weight_sum * _square(self.x_offset))
            products, gram = raw.copy(), raw.copy()
            products[split[0]] = gram[split[0]] = np.sqrt(self.col_norms2[split[0]])
        return products, gram

    def _row_blocks(self):
        """Centred, weighted blocks of rows of ``Xt``: with heavy offsets (every product
        centres), views of one centred copy when it fits ``CENTRED_COPY_BYTES``; else
        centred block by block (bounded extra memory)."""
        small = self.X.nbytes <= tuning.CENTRED_COPY_BYTES
        if self._centred_copy is None and self.centres_rows and small:
            Xt = self.X - self.x_offset if self.x_offset is not None else self.X.copy()
            if self.sqrt_sw is not None:
                Xt *= self.sqrt_sw[:, None]
            self._centred_copy = Xt
        if self._centred_copy is not None:
            for start in range(0, self.n_samples, _CHUNK_ROWS):
                yield self._centred_copy[start : start + _CHUNK_ROWS]
            return
        for start in range(0, self.n_samples, _CHUNK_ROWS):
            block = self.X[start : start + _CHUNK_ROWS]
            if self.x_offset is not None:
                block = block - self.x_offset
            if self.sqrt_sw is not None:
                block = block * self.sqrt_sw[start : start + _CHUNK_ROWS, None]
            yield block

    def matvec(self, w, idx=None):
        """``Xt[:, idx] @ w`` (all columns when ``idx`` is None)."""
        # (gathered columns when few: a quarter of the features; of C-ordered X, whose rows
        # gathered touch about all of it, a sixteenth: measured 5.0 against 2.7 ms for 57 of
        # 245 columns of 16049 rows)
        few = _FEW_C_ORDER if self.X.flags.c_contiguous else _FEW
        if idx is not None and few * len(idx) <= self.n_features:
            if len(idx) == 0:
                return np.zeros(self.n_samples)
            if self.heavy_offsets:
                return self.columns(idx) @ w
            out = self.X[:, idx] @ w
            off = None if self.x_offset is None else self.x_offset[idx]
        else:
            if idx is not None:  # a full product beats gathering many columns
                w_full = np.zeros(self.n_features)
                w_full[idx] = w
                w = w_full
            if self.centres_rows:
                return np.concatenate([block @ w for block in self._row_blocks()])
            split = self.heavy_columns
            if split is not None:  # the split columns from their centred copy
                w = w.copy()
                w_split = w[split[0]]
                w[split[0]] = 0.0
                return self._corrected_matvec(w, self.x_offset) + split[1] @ w_split
            out, off = self.X @ w, self.x_offset
        return self._corrected_matvec(w, off, out)

    def _corrected_matvec(self, w, off, out=None):
        """``X w`` (or the given ``out``) corrected by the offsets ``off`` and weighted."""
        out = self.X @ w if out is None else out
        if off is not None:
            out = out - float(off @ w)
        if self.sqrt_sw is not None:
            out = out * self.sqrt_sw
        return out

    def rmatvec(self, v, product=None):
        """``Xt^T @ v`` for a vector (or a 2-D block of columns) ``v`` (``product``: ``X^T
        v`` of X itself when already formed, without weights)."""
        if self.centres_rows:
            out = 0.0
            starts = range(0, self.n_samples, _CHUNK_ROWS)
            for start, block in zip(starts, self._row_blocks(), strict=True):
                out = out + block.T @ v[start : start + _CHUNK_ROWS]
            return np.asarray(out)
        vw = v if self.sqrt_sw is None else (self.sqrt_sw * v.T).T
        if product is not None and self.sqrt_sw is None:
            out = np.asarray(product)
        elif vw.ndim == 2:  # (as ``(V^T X)^T``: measured 1.2-1.9x faster for 2-120 columns)
            out = (vw.T @ self.X).T
        else:
            out = self.X.T @ vw
        if self.x_offset is not None:
            out = out - np.multiply.outer(self.x_offset, vw.sum(axis=0))
        split = self.heavy_columns
        if split is not None:  # the split columns from their centred copy
            out[split[0]] = split[1].T @ v
        return out

    def matmat(self, W):
        """``Xt @ W`` for a 2-D block ``W`` (X centred explicitly, by blocks of rows)."""
        return np.vstack([block @ W for block in self._row_blocks()])

    def columns(self, idx):
        """Columns ``idx`` of ``Xt``, centred and weighted (a copy)."""
        idx = np.asarray(idx, dtype=np.intp)
        # (a copy either way; ``take`` gathers rows of C-ordered X 4x faster than indexing
        # does, indexing the columns of Fortran-ordered X 10x faster than ``take``)
        Xi = self.X.take(idx, axis=1) if self.X.flags.c_contiguous else self.X[:, idx]
        if self.x_offset is not None:
            Xi -= self.x_offset[idx]
        if self.sqrt_sw is not None:
            Xi *= self.sqrt_sw[:, None]
        return Xi

    centred_columns = columns

    def cross_gram(self, a, b, Xa=None, Xb=None):
        """``Xt[:, a]^T Xt[:, b]`` from centred columns (``Xa``/``Xb``: ``columns(a)``/``(b)``)."""
        # one large block with itself: a symmetric product (half the multiply-adds; small
        # ones lose more to the symmetrizing copies)
        same = Xa is not None and Xa is Xb and len(a) ** 2 * self.n_samples >= _SYRK_MIN
        Xa = self.columns(a) if Xa is None else Xa
        Xb = Xa if same else self.columns(b) if Xb is None else Xb
        with self._parallel_if(len(a) * len(b) * self.n_samples) as threads:
            # (``threads``: None when the product runs on one BLAS thread)
            return gram_product(Xa, threads is not None) if same else Xa.T @ Xb

    def full_gram(self):
        """``Xt^T Xt``: one symmetric product of X itself (no copy), corrected by the offsets
        when that keeps the digits (judged from its own diagonal); else of centred blocks of
        rows."""
        with self._parallel_if(self.n_samples * self.n_features**2) as threads:
            if self.sqrt_sw is None:
                G, self.raw_gram = self.raw_gram, None
                with _beyond():  # (see ``_raw_gram``)
                    G = gram_product(self.X, threads is not None) if G is None else G
                    if self.x_offset is None:
                        return G
                    G -= self.n_samples * np.outer(self.x_offset, self.x_offset)
                split = self.heavy_columns
                if split is not None:  # rows and columns of the split from their copy
                    cols = self.rmatvec(split[1])
                    G[:, split[0]] = cols
                    G[split[0], :] = cols.T
                    return G
                if self._offsets_mild(np.diag(G)):
                    return G
            upper = None
            for block in self._row_blocks():
                upper = gram_upper(block, upper)
            return symmetrize(upper)

    def kernel(self):
        """``Xt Xt^T`` (n_samples x n_samples)."""
        with self._parallel_if(self.n_samples**2 * self.n_features) as threads:
            # (``threads``: None when the product runs on one BLAS thread)
            if self.sqrt_sw is None and self._offsets_mild():
                # X X^T with a rank-two centring correction: no copy of X
                K = gram_product(self.X.T, threads is not None)
                if self.x_offset is not None:
                    u = self.X @ self.x_offset
                    K -= np.add.outer(u, u)
                    K += float(self.x_offset @ self.x_offset)
                return K
            K = None  # (on several threads: the upper triangle, symmetrized once)
            for _, block in self._column_blocks(np.arange(self.n_features)):
                C = self.columns(block)
                if threads is not None:
                    K = gram_upper(C.T, K)
                else:
                    K = C @ C.T if K is None else np.add(K, C @ C.T, out=K)
            return K if threads is None else symmetrize(K)

    def _compute_norms2(self):
        """Column norms in one pass without a copy; columns that cancel are redone exactly."""
        X = self.X
        sw = None if self.sqrt_sw is None else self.sqrt_sw**2
        if self._raw_moments is not None:
            raw = self._raw_moments[1]
        else:
            raw = _dense_weighted_sq_col_sums(X, sw)
        if self.x_offset is None:
            return raw
        with _beyond():  # (inf - inf: squares beyond float64, redone below)
            norms2 = raw - self.weight_sum * _square(self.x_offset)
        # raw - total * mean^2 loses digits when a column's mean dwarfs its spread, all of
        # them where the squares are beyond float64 (an empty column's zero is exact)
        bad = np.flatnonzero(~(norms2 > 1e-6 * raw) & (raw > 0))
        if bad.size:
            Xb = self.columns(bad)
            norms2[bad] = np.einsum("ij,ij->j", Xb, Xb)
        return norms2


class SparseDesign(_DataDesign):
    """The centred, sqrt-weighted design of a CSR/CSC ``X``, centred implicitly (see the
    module docstring): products correct for the offsets; never densified whole."""

    sparse = True

    def __init__(self, X, x_offset=None, sqrt_sw=None, parallel=None, raw_moments=None):
        if X.format not in ("csr", "csc"):
            X = X.tocsc()
        if X.dtype != np.float64:
            X = X.astype(np.float64)  # once, rather than an upcast in every product
        super().__init__(X, x_offset, sqrt_sw, parallel, raw_moments)

    @property
    def nnz(self):
        """Stored entries of ``X``: what a product costs."""
        return self.X.nnz

    def _sq(self):
        return np.ones(self.n_samples) if self.sqrt_sw is None else self.sqrt_sw

    def kernel_passes(self, floor=False):
        """The cost of forming ``Xt Xt^T`` and factorizing it, in passes over the stored
        entries (matrix-vector products): a sparse product's fixed cost, its multiply-adds
        ``sum_j nnz_j^2``, its ``n^2`` dense output, then ``n^3 / 3`` factorization flops.
        With ``floor``, a lower bound without the multiply-adds (whose count takes a pass
        over the indices of a CSR matrix)."""
        X, n = self.X, self.n_samples
        nnz = max(X.nnz, 1)
        dense_flops = n * n + n**3 / 3 / tuning.FLOPS_PER_PASS_ENTRY
        floor_passes = tuning.KERNEL_FIXED_PASSES + dense_flops / nnz
        if floor:
            return floor_passes
        if X.format == "csc":
            counts = np.diff(X.indptr)
        else:
            counts = np.bincount(X.indices, minlength=self.n_features)
        counts = counts.astype(np.float64)
        return floor_passes + float(counts @ counts) / nnz

    def matvec(self, w, idx=None):
        """``Xt[:, idx] @ w`` (all columns when ``idx`` is None; ``O(nnz)`` either way)."""
        if idx is not None:
            w_full = np.zeros(self.n_features)
            w_full[idx] = w
            w = w_full
        out = np.asarray(self.X @ w).ravel()
        if self.x_offset is not None:
            out -= float(self.x_offset @ w)
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

    def matmat(self, W):
        """``Xt @ W`` for a 2-D block ``W``."""
        out = np.asarray(self.X @ W)
        if self.x_offset is not None:
            out = out - self.x_offset @ W
        if self.sqrt_sw is not None:
            out = out * self.sqrt_sw[:, None]
        return out

    def columns(self, idx):
        """The weighted, uncentred columns ``diag(sqrt(s)) X[:, idx]`` (sparse, a copy)."""
        Xi = self.X[:, np.asarray(idx, dtype=np.intp)]
        return Xi if self.sqrt_sw is None else sp.csc_matrix(sp.diags(self.sqrt_sw) @ Xi)

    def centred_columns(self, idx):
        """Columns ``idx`` of ``Xt``, dense and explicitly centred before weighting (a copy
        of these columns only)."""
        idx = np.asarray(idx, dtype=np.intp)
        Xi = self.X[:, idx].toarray()
        if self.x_offset is not None:
            Xi -= self.x_offset[idx]
        if self.sqrt_sw is not None:
            Xi *= self.sqrt_sw[:, None]
        return Xi

    def cross_gram(self, a, b, Xa=None, Xb=None):
        """``Xt[:, a]^T Xt[:, b]`` (dense): a sparse product corrected by the offsets, or, with
        heavy offsets, products of explicitly centred columns densified by blocks."""
        if self.heavy_offsets:
            return self._centred_cross_gram(np.asarray(a, np.intp), np.asarray(b, np.intp))
        Xa = self.columns(a) if Xa is None else Xa
        Xb = self.columns(b) if Xb is None else Xb
        with self._parallel_if(len(a) * len(b) * self.n_samples):
            P = Xa.T @ Xb
        P = P.toarray() if sp.issparse(P) else np.asarray(P)
        if self.x_offset is not None:
            sq = self._sq()
            ua, ub = np.asarray(Xa.T @ sq).ravel(), np.asarray(Xb.T @ sq).ravel()
            oa, ob = self.x_offset[a], self.x_offset[b]
            P = P - np.outer(ua, ob) - np.outer(oa, ub) + float(sq @ sq) * np.outer(oa, ob)
        return P

    def full_gram(self):
        all_idx = np.arange(self.n_features)
        return self.cross_gram(all_idx, all_idx)

    def kernel(self):
        """``Xt Xt^T`` (n_samples x n_samples), from the sparse product and the offsets."""
        with self._parallel_if(self.n_samples**2 * self.n_features):
            Xs = self.X if self.sqrt_sw is None else sp.diags(self.sqrt_sw) @ self.X
            K = Xs @ Xs.T
            K = K.toarray() if sp.issparse(K) else np.asarray(K)
            if self.x_offset is not None:
                sq = self._sq()
                u = np.asarray(Xs @ self.x_offset).ravel()
                off2 = float(self.x_offset @ self.x_offset)
                K = K - np.outer(u, sq) - np.outer(sq, u) + off2 * np.outer(sq, sq)
            return K

    def _compute_norms2(self):
        sw = self._sq() ** 2
        if self._raw_moments is None:
            u, raw = None, _sparse_weighted_sq_col_sums(self.X, sw)
        else:
            u, raw = self._raw_moments
        if self.x_offset is None:
            return raw
        if u is None:
            u = np.asarray(self.X.T @ sw).ravel()
        with _beyond():  # (beyond float64: redone below)
            norms2 = raw - 2.0 * u * self.x_offset + float(sw.sum()) * _square(self.x_offset)
        norms2 = np.maximum(norms2, 0.0)
        # the correction loses digits when a column's mean dwarfs its spread: redo exactly
        # (an empty column's zero is exact: raw == 0)
        bad = np.flatnonzero(~(norms2 > 1e-6 * raw) & (raw > 0))
        for start, block in self._column_blocks(bad):
            C = self.centred_columns(block)
            norms2[bad[start : start + block.size]] = np.einsum("ij,ij->j", C, C)
        return norms2


class GramDesign:
    """A design known by its sufficient statistics only: the centred, weighted Gram matrix
    ``Xt^T Xt`` (the target enters the solvers as ``Xt^T yt`` and ``||yt||^2``).

    What a user-supplied Gram matrix gives, and what one distributed pass over the data
    gives. The duality gap is then computed from the statistics alone (``||R||^2 = yt^T yt -
    2 b^T w + w^T G w``, ``Xt^T R = b - G w``), exact up to a rounding floor of about
    ``eps * ||yt||^2``.

    Parameters
    ----------
    gram : ndarray of shape (n_features, n_features)
        Symmetrized on entry (the upper and lower triangles averaged).
    n_samples : float
        The sum of the (normalized) weights.
    """

    has_samples = False
    sparse = False
    heavy_offsets = False
    gram_on_demand = False

    def __init__(self, gram, n_samples, parallel=None):
        gram = np.asarray(gram, dtype=np.float64)
        self.gram = np.asfortranarray(0.5 * (gram + gram.T))
        self.n_samples = float(n_samples)
        self.n_features = self.gram.shape[0]
        self.parallel = contextlib.nullcontext if parallel is None else parallel
        self.col_norms2 = np.maximum(np.diag(self.gram).copy(), 0.0)
        self.error_scale = self.gram_error_scale = np.sqrt(self.col_norms2)

    def cross_gram(self, a, b, Xa=None, Xb=None):
        return self.gram[np.ix_(np.asarray(a, np.intp), np.asarray(b, np.intp))]

    def full_gram(self):
        return self.gram


class Workspace:
    """A fit's mutable state over one design: Gram blocks, the full Gram matrix, and the
    coordinate-descent solver's support factorization.

    Gram blocks are cached: a pair of features is multiplied once per fit (and along a
    path), so the blocks never cost more than the full Gram matrix. For dense X with at most
    ``MAX_FULL_GRAM`` features, once the cache would span two thirds of them the full Gram
    matrix is formed instead (one symmetric product); gap evaluations then cost
    ``O(p |support|)``. A Gram-only design is its full Gram matrix.

    Large dense X (``SINGLE_BLOCK_MIN_ENTRIES`` entries or more) with at least as many
    samples as features (``single_blocks``; never once the full Gram matrix is formed) has
    its blocks formed in single precision, from a single-precision copy of the centred columns kept
    for the fit: the products take half the time, and their entries are off by about
    ``1e-7`` of the columns' norms. The solver then makes each working-set solve a step of
    iterative refinement (its linear term from the data's exact gradient,
    ``_cd.refined_linear_term``) and certifies from the data; the full Gram matrix is then
    never completed from such blocks (the gap evaluations stay passes over X, cheaper than
    the product for these shapes: ``p / 10`` passes).
    """

    def __init__(self, design):
        self.design = design
        formed = not design.has_samples and not design.gram_on_demand
        self.full_gram = design.full_gram() if formed else None
        #: the coordinate-descent solver's factorization of ``full_gram``, kept from one
        #: subproblem (and one alpha of a path) to the next
        self.support_system = None
        #: a single fit judged its working sets' blocks cheaper than the full Gram matrix of
        #: this tall, narrow design (``_data.gram_pays_for_fit``): not formed up front
        self.gram_declined = False
        #: the ridge solver's formed kernel ``Xt Xt^T`` and last factorization, shared by
        #: the targets (and penalties) fitted on this design
        self.ridge_cache = {}
        self._cache_idx = np.zeros(0, dtype=np.intp)
        self._cache_pos = np.full(design.n_features, -1, dtype=np.intp)
        self._cache_G = np.zeros((0, 0))
        self._columns = {}
        #: Gram blocks in single precision (see the class docstring), and the columns'
        #: single-precision copy in cache order
        self.single_blocks = _single_blocks(design)
        self._single_columns = None

    @property
    def may_form_full_gram(self):
        d = self.design
        return not (d.sparse or d.gram_on_demand) and d.n_features <= tuning.MAX_FULL_GRAM

    @property
    def gram_is_cheap(self):
        """Dense, tall and narrow: forming ``Xt^T Xt`` costs about as much as a few passes.

        Then every later product (Gram blocks, gap evaluations) costs ``O(n_features^2)``
        instead of a pass over X. (Not for a fit that declined it: ``gram_declined``.)
        """
        d = self.design
        if d.sparse or d.gram_on_demand or self.gram_declined:
            return False
        return gram_is_cheap_shape(d.n_samples, d.n_features)

    @property
    def gram_pays_along_path(self):
        """Dense and at least as tall as wide (scikit-learn's ``precompute='auto'`` rule).

        Along a path the working sets end up covering most features, so the Gram matrix,
        formed once by one symmetric product, is cheaper than its blocks.
        """
        d = self.design
        return self.may_form_full_gram and d.n_samples >= d.n_features

    def precompute_gram(self, gram=None):
        """Form (or take, symmetrized) the full Gram matrix; later products use it (never
        for a design whose Gram matrix is only available by columns: None)."""
        if self.design.gram_on_demand:
            return None
        if gram is not None:
            gram = np.asarray(gram, dtype=np.float64)
            self.full_gram = np.asfortranarray(0.5 * (gram + gram.T))  # exactly symmetric
        elif self.full_gram is None:
            self.full_gram = np.asfortranarray(self.design.full_gram())
        self.drop_single_blocks()  # every block from the full matrix now
        return self.full_gram

    def gram(self, idx=None):
        """``Xt[:, idx]^T Xt[:, idx]`` (all features when None), dense, Fortran-ordered."""
        p = self.design.n_features
        idx = np.arange(p) if idx is None else np.asarray(idx, dtype=np.intp)
        if self.single_blocks:  # (the cache is approximate)
            X_idx = self.design.columns(idx)
            return np.asfortranarray(self.design.cross_gram(idx, idx, X_idx, X_idx))
        return self._cached_block(idx)

    def block(self, idx):
        """The working-set solver's block of the Gram matrix: ``gram(idx)``, or, with
        ``single_blocks``, its cached single-precision approximation."""
        idx = np.asarray(idx, dtype=np.intp)
        return self._cached_block(idx) if self.single_blocks else self.gram(idx)

    def _cached_block(self, idx):
        """``gram(idx)`` through the cache (see the class docstring)."""
        p = self.design.n_features
        if self.full_gram is None:
            new = idx[self._cache_pos[idx] < 0]
            if new.size:
                cached = self._cache_idx
                complete = self.may_form_full_gram and not self.single_blocks
                if complete and 3 * (cached.size + new.size) > 2 * p:
                    # two thirds of the features: one product for all of them costs less
                    # than the blocks still to come
                    self._complete_gram(cached)
                    self._cache_G = None
                else:
                    if cached.size + new.size > tuning.MAX_CACHE:
                        # afresh rather than grow without bound: with every feature of idx
                        self._cache_pos[cached] = -1
                        cached, new = np.zeros(0, dtype=np.intp), idx
                    self._extend_cache(cached, new)
        # (the blocks are symmetric: the transposed C-ordered copy is the Fortran-ordered one)
        if self.full_gram is not None:
            if idx.size == p and np.array_equal(idx, np.arange(p)):
                return self.full_gram  # read-only use by the solvers: no copy
            return self.full_gram[np.ix_(idx, idx)].T
        pos = self._cache_pos[idx]
        return self._cache_G[np.ix_(pos, pos)].T

    def _complete_gram(self, cached):
        """Form the full Gram matrix: from the cached block and one product ``Xt^T
        Xt[:, missing]`` for the other columns when more than half are cached (it costs
        ``n p |missing|`` multiply-adds against ``n p^2 / 2`` for a symmetric product of
        all of X), else by that symmetric product."""
        design = self.design
        p = design.n_features
        if 2 * cached.size <= p or not design.has_samples:
            self.precompute_gram()
            return
        missing = np.flatnonzero(self._cache_pos < 0)
        with design._parallel_if(design.n_samples * p * missing.size):
            cols = np.asarray(design.rmatvec(design.columns(missing)))
        G = np.empty((p, p), order="F")
        G[np.ix_(cached, cached)] = self._cache_G
        G[:, missing] = cols
        G[missing, :] = cols.T
        block = cols[missing]
        G[np.ix_(missing, missing)] = 0.5 * (block + block.T)  # (exactly symmetric)
        self.full_gram = G

    def _extend_cache(self, cached, new):
        """Add the rows and columns of ``new`` to the cached block of ``cached`` (the
        cache itself when it is empty)."""
        design = self.design
        p = design.n_features
        Xn = design.columns(new) if design.has_samples else None
        if self.single_blocks:
            G_nn, G_cn = self._single_products(cached.size, Xn)
        elif Xn is not None and not design.sparse and 3 * cached.size >= p > 3 * new.size:
            # a few dense columns against many cached: their products with every feature,
            # one pass over X, rather than the cached columns gathered again
            cols = np.asarray(design.rmatvec(Xn))
            G_cn, block = cols[cached], cols[new]
            G_nn = 0.5 * (block + block.T)  # (exactly symmetric)
        else:
            G_nn = design.cross_gram(new, new, Xn, Xn)
            G_cn = design.cross_gram(cached, new, None, Xn) if cached.size else None
        if cached.size:
            c = cached.size
            G = np.empty((c + new.size, c + new.size))  # (np.block costs 5x this)
            G[:c, :c] = self._cache_G
            G[:c, c:] = G_cn
            G[c:, :c] = G_cn.T
            G[c:, c:] = G_nn
        else:
            G = G_nn
        self._cache_idx = np.concatenate([cached, new])
        self._cache_pos[new] = np.arange(cached.size, self._cache_idx.size)
        self._cache_G = G

    def drop_single_blocks(self):
        """Form Gram blocks in double precision from now on (the cache emptied)."""
        if not self.single_blocks:
            return
        self.single_blocks = False
        self._single_columns = None
        self._cache_pos[self._cache_idx] = -1
        self._cache_idx = np.zeros(0, dtype=np.intp)
        self._cache_G = np.zeros((0, 0))

    def _single_products(self, c, Xn):
        """``(G_nn, G_cn)`` for the new centred columns ``Xn`` in single precision, against
        themselves and against the ``c`` cached ones (None if none), from the kept
        single-precision copy (the new columns stored after the cached ones)."""
        m = Xn.shape[1]
        store = self._single_columns
        if store is None:  # (room for every column: pages are touched as columns arrive)
            shape = (Xn.shape[0], self.design.n_features)
            store = self._single_columns = np.empty(shape, dtype=np.float32, order="F")
        new = store[:, c : c + m]
        new[...] = Xn
        with self.design._parallel_if(Xn.shape[0] * m * (c + m)):
            G_nn = (new.T @ new).astype(np.float64)
            G_cn = (store[:, :c].T @ new).astype(np.float64) if c else None
        return 0.5 * (G_nn + G_nn.T), G_cn

    def gram_columns(self, idx):
        """``Xt^T Xt[:, idx]`` (n_features x |idx|), cached per ``idx`` (the unpenalized
        features, whose few columns the duality gap needs at every evaluation)."""
        idx = np.asarray(idx, dtype=np.intp)
        key = idx.tobytes()
        if key not in self._columns:
            if self.full_gram is not None:
                block = self.full_gram[:, idx]
            else:
                block = self.design.cross_gram(np.arange(self.design.n_features), idx)
            self._columns = {key: np.asarray(block)}
        return self._columns[key]


#: single-precision Gram blocks only for centred columns whose norm is at most this (their
#: entries then at most this, their products far from float32's overflow at 3.4e38) and
#: whose root mean square is at least its inverse (far from its underflow at 1.2e-38)
_SINGLE_SCALE = 1e15


def _single_blocks(design):
    """Whether ``Workspace`` forms this design's Gram blocks in single precision: dense,
    at least as many samples as features, at least ``SINGLE_BLOCK_MIN_ENTRIES`` entries,
    the single-precision copy of its columns within ``SINGLE_BLOCK_BYTES``, the columns'
    scales within ``_SINGLE_SCALE``."""
    if not design.has_samples or design.sparse or design.gram_on_demand:
        return False
    n, p = design.X.shape
    if n < p or not tuning.SINGLE_BLOCK_MIN_ENTRIES <= n * p <= tuning.SINGLE_BLOCK_BYTES / 4:
        return False
    norms2 = design.col_norms2[design.col_norms2 > 0.0]
    if not norms2.size:
        return False
    return bool(
        np.sqrt(norms2.max()) <= _SINGLE_SCALE and np.sqrt(norms2.min() / n) >= 1.0 / _SINGLE_SCALE
    )


def make_design(X, x_offset=None, sqrt_sw=None, parallel=None, raw_moments=None):
    """The design of ``X``: sparse or dense (``raw_moments``: the weighted column sums and
    sums of squares of ``X``, when known)."""
    cls = SparseDesign if sp.issparse(X) else DenseDesign
    return cls(X, x_offset, sqrt_sw, parallel, raw_moments)


def _square(v):
    """``v**2``, infinite where it is beyond float64 (without a warning: such a scale is
    handled as infinite, e.g. an offset that is heavy whatever the spread)."""
    with _beyond():
        return np.square(v)


def _beyond():
    """Products of uncentred X whose entries may be beyond float64 (a column shifted by
    more than about 1e154): infinite, and ``inf - inf`` not a number, without warnings
    (the offsets of such a column are heavy: its products are formed again centred)."""
    return np.errstate(over="ignore", invalid="ignore")


def _dense_weighted_sq_col_sums(X, sw):
    """``sum_i sw_i X_ij^2`` for dense ``X`` (float64 accumulation, no copy of X)."""
    if sw is None and X.dtype == np.float64 and X.flags.f_contiguous and _VECDOT:
        # (contiguous columns: one dot product each, measured 2-4x faster than ``einsum``;
        # for rows, ``einsum`` is the faster)
        return np.vecdot(X, X, axis=0)
    if sw is None:
        return np.einsum("ij,ij->j", X, X, dtype=np.float64)
    return np.einsum("ij,i,ij->j", X, sw, X, dtype=np.float64)


def _stored_entries(X, block=2**22):
    """The stored entries of CSR/CSC ``X`` by blocks of at most ``block`` (bounded extra
    memory, no conversion of format): ``(rows, cols, values)`` per block."""
    csr, indptr = X.format == "csr", X.indptr
    for lo in range(0, X.nnz, block):
        hi = min(lo + block, X.nnz)
        first = int(np.searchsorted(indptr, lo, side="right")) - 1
        last = int(np.searchsorted(indptr, hi - 1, side="right")) - 1
        counts = np.diff(np.clip(indptr[first : last + 2], lo, hi))
        major = np.repeat(np.arange(first, last + 1), counts)
        minor = X.indices[lo:hi]
        values = np.asarray(X.data[lo:hi], dtype=np.float64)
        yield (major, minor, values) if csr else (minor, major, values)


def _sparse_weighted_sq_col_sums(X, sw, block=2**22):
    """``sum_i sw_i X_ij^2`` for CSR/CSC ``X``: squared entries by blocks of at most
    ``block`` stored entries (rows of CSR, columns of CSC; bounded extra memory, no
    conversion of format), each block's weighted sums by a sparse product."""
    out = np.zeros(X.shape[1])
    csr, indptr = X.format == "csr", X.indptr
    n_major = indptr.size - 1
    lo = 0
    while lo < n_major:
        hi = int(np.searchsorted(indptr, indptr[lo] + block, side="right")) - 1
        hi = min(max(hi, lo + 1), n_major)
        a, b = indptr[lo], indptr[hi]
        with _beyond():
            squares = np.square(X.data[a:b], dtype=np.float64)
        structure = (squares, X.indices[a:b], indptr[lo : hi + 1] - a)
        if csr:
            out += sp.csr_matrix(structure, shape=(hi - lo, X.shape[1])).T @ sw[lo:hi]
        else:
            out[lo:hi] = sp.csc_matrix(structure, shape=(X.shape[0], hi - lo)).T @ sw
        lo = hi
    return out


def center_data(
    X,
    y,
    sample_weight=None,
    fit_intercept=True,
    normalize_weights=True,
    parallel=None,
    gram_first=False,
    check_finite=None,
):
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
    parallel : callable returning a context manager, optional
        The design's thread policy for large products.
    gram_first : bool, 'always' or callable, default=False
        The caller forms the Gram matrix of a design whose Gram is cheap
        (``gram_is_cheap_shape``), or of any shape (``'always'``: a path that forms it): for
        dense X without weights, ``X^T X`` is then formed here, and its diagonal gives the
        columns' raw second moments (one pass over X fewer); the design keeps it for
        ``full_gram``. A callable (a single fit's judgement, for a 1-D ``y``) is given
        ``X^T yt`` first and says whether the Gram matrix is to be formed (it keeps the
        product: the target's ``Xt^T yt`` follows from it, ``DenseDesign.rmatvec``).
    check_finite : callable, optional
        The scan of ``X`` for NaN and infinity (raising validation's error), left here by
        validation: run unless the columns' sums of squares (the diagonal of ``X^T X`` when
        it was formed) are finite (a NaN or infinite entry makes its column's sum
        non-finite), before any other arithmetic on ``X`` (a product for ``gram_first``
        before it runs without floating-point warnings).

    Returns
    -------
    design : DenseDesign or SparseDesign
    yt : ndarray, float64, same shape as ``y``
    x_offset : ndarray of shape (n_features,)
    y_offset : float or ndarray of shape (n_targets,)
    """
    n_samples, n_features = X.shape
    y = np.asarray(y, dtype=np.float64)
    sw = _weights(sample_weight, n_samples, normalize_weights)
    sqrt_sw = None if sw is None else np.sqrt(sw)
    raw_moments = None
    if sp.issparse(X) and X.format not in ("csr", "csc"):
        X = X.tocsc()  # (as the design would: its passes read the compressed structure)
    # (before X is scanned, without floating-point warnings: they follow the scan)
    with np.errstate(all="ignore") if check_finite is not None else contextlib.nullcontext():
        y_offset = _y_offset(y, sw, fit_intercept)
        yt = y - y_offset
    raw_gram = raw = None
    if gram_first and sw is None and not sp.issparse(X) and X.dtype == np.float64:
        if gram_first == "always" or gram_is_cheap_shape(n_samples, n_features):
            raw_gram, raw = _gram_first(X, yt, gram_first, parallel, check_finite)
    if check_finite is not None:
        if raw is None or not np.isfinite(raw.sum()):
            # (a NaN or infinite entry makes its column's sum of squares non-finite: only
            # then is X scanned; squares that overflow pass it)
            check_finite()
        if not np.all(np.isfinite(yt)):  # (the same, now with its warnings)
            y_offset = _y_offset(y, sw, fit_intercept)
            yt = y - y_offset
    if fit_intercept:
        x_offset, raw_moments = _column_means(X, sw, raw)
    else:
        x_offset = np.zeros(n_features)
        if raw is not None:  # (the columns' norms)
            raw_moments = (None, raw)
    if sqrt_sw is not None:
        yt = yt * (sqrt_sw[:, None] if y.ndim > 1 else sqrt_sw)
    offset = x_offset if fit_intercept else None
    design = make_design(X, offset, sqrt_sw, parallel, raw_moments)
    if raw_gram is not None:
        design.raw_gram = raw_gram
    return design, yt, x_offset, y_offset


def _weights(sample_weight, n_samples, normalize):
    """The weights as float64, normalized to sum to ``n_samples`` (``normalize``)."""
    if sample_weight is None:
        return None
    sw = np.asarray(sample_weight, dtype=np.float64)
    if normalize:
        total = sw.sum()
        if not (np.isfinite(total) and total > n_samples / np.finfo(np.float64).max):
            # the sum overflows, or n / sum does (subnormal weights): the normalized
            # weights do not depend on the scale, so bring the largest weight to 1 first
            sw = sw / sw.max()
            total = sw.sum()
        sw = sw * (n_samples / total)
    return sw


def _y_offset(y, sw, fit_intercept):
    """The (weighted) mean of ``y``, refined by a second pass (zero without intercept)."""
    if not fit_intercept:
        return np.zeros(y.shape[1:]) if y.ndim > 1 else 0.0
    y_offset = y.mean(axis=0) if sw is None else sw @ y / sw.sum()
    return y_offset + _mean_correction(y - y_offset, sw)


def _gram_first(X, yt, gram_first, parallel, check_finite):
    """``(X^T X or None, the columns' sums of squares or None)`` for ``center_data``: the
    product formed first unless ``gram_first`` is a single fit's judgement of ``X^T yt``
    that declines it (the product formed here without floating-point warnings: X may not
    have been scanned for NaN and infinity yet); then the sums of squares are formed when
    they are to scan X (``check_finite``)."""
    if callable(gram_first):
        with np.errstate(all="ignore"):
            wanted = bool(gram_first(X.T @ yt))
    else:
        wanted = True
    if wanted:
        raw_gram = _raw_gram(X, parallel)
        return raw_gram, np.diag(raw_gram).copy()
    if check_finite is None:
        return None, None
    with np.errstate(all="ignore"):
        return None, _dense_weighted_sq_col_sums(X, None)


def gram_pays_for_fit(n_features, violators):
    """Whether a single fit on tall, narrow dense data (``gram_is_cheap_shape``) forms the
    full Gram matrix, given the number of features violating their optimality conditions
    at zero (its first working set, then formed as one block: ``tuning.GATHER_UNITS``).
    Near two thirds of the features the blocks would complete the full matrix anyway
    (``Workspace``; ``tuning.BLOCK_GROWTH``)."""
    p, m = n_features, violators
    if tuning.BLOCK_GROWTH * 3 * m > 2 * p:
        return True
    passes = tuning.PASS_UNITS * tuning.BLOCK_PASSES * p
    return 0.5 * m * m + tuning.GATHER_UNITS * m + passes >= 0.5 * p * p


def gram_is_cheap_shape(n_samples, n_features):
    """Dense data this tall and narrow have their Gram matrix formed for every fit: it costs
    about as much as a few passes, and every later product then costs ``O(p^2)``."""
    return n_features <= tuning.CHEAP_GRAM_FEATURES and n_samples >= 8 * n_features


def _raw_gram(X, parallel):
    """``X^T X`` of dense float64 ``X`` itself (no copy), on every BLAS thread when large."""
    n, p = X.shape
    big = parallel is not None and n * p * p >= tuning.PARALLEL_FLOPS
    # (entries beyond float64 are infinite, without a warning: a column that large has a
    # heavy offset, its Gram entries formed again from the centred column, or is refused)
    with parallel() if big else contextlib.nullcontext() as threads, _beyond():
        return gram_product(X, threads is not None)


def _mean_correction(centred, sw):
    """``sum_i s_i c_i / sum(s)`` for rows ``c_i`` already centred by a first estimate."""
    if sw is None:
        return centred.mean(axis=0)
    return sw @ centred / sw.sum()


def _column_means(X, sw, raw=None):
    """Weighted column means of ``X`` and its raw moments ``(sum_i s_i X_ij, sum_i s_i
    X_ij^2)``, accumulated in float64 whatever the dtype of X (products that correct for
    the offsets instead of centring assume the exact means). ``raw``: the sums of squares,
    when known (the diagonal of ``X^T X``).

    A one-pass mean loses about ``log10(mean / spread)`` digits, and a centred column
    shifted by that error is a different column: the means of the columns whose mean
    dwarfs their spread (the second moment says which) are refined by a second pass over
    those columns (the corrected two-pass algorithm).
    """
    weights = np.ones(X.shape[0]) if sw is None else sw
    total = float(weights.sum())
    if sp.issparse(X):
        sums = np.asarray(X.T @ weights, dtype=np.float64).ravel()
        raw = _sparse_weighted_sq_col_sums(X, weights)
    else:
        # pairwise summation without weights (error growing as log n, not n)
        sums = X.sum(axis=0, dtype=np.float64) if sw is None else X.T @ sw
        raw = _dense_weighted_sq_col_sums(X, sw) if raw is None else raw
    means = sums / total
    with _beyond():  # (inf - inf: squares beyond float64, refined)
        spread2 = raw / total - _square(means)
    bad = np.flatnonzero(~(spread2 * _MEAN_SPREAD_RATIO**2 > _square(means)) & (means != 0))
    if bad.size:
        means[bad] += _mean_correction_columns(X, weights, bad, means[bad]) / total
    return means, (sums, raw)


def _mean_correction_columns(X, weights, idx, means):
    """``sum_i s_i (X_ij - mean_j)`` for the columns ``idx`` (deviations formed before
    they are summed; for sparse X the implicit zeros deviate by ``-mean_j``)."""
    Xb = X[:, idx]
    if not sp.issparse(X):
        return weights @ (np.asarray(Xb, dtype=np.float64) - means)
    stored, stored_weight = np.zeros(idx.size), np.zeros(idx.size)
    counts = np.zeros(idx.size, dtype=np.int64)
    for rows, cols, values in _stored_entries(Xb):
        deviations = weights[rows] * (values - means[cols])
        stored += np.bincount(cols, weights=deviations, minlength=idx.size)
        stored_weight += np.bincount(cols, weights=weights[rows], minlength=idx.size)
        counts += np.bincount(cols, minlength=idx.size)
    # the weight of the implicit zeros: exactly none in a fully stored column (there the
    # difference of two sums of the same weights is their rounding, times a large mean)
    implicit = np.where(counts < X.shape[0], float(weights.sum()) - stored_weight, 0.0)
    return stored - means * implicit
