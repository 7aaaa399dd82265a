"""Dask input: fits, cross-validation and predictions on data never gathered into one process.

Imported only when an estimator is handed a dask collection (``is_dask`` recognises one
without importing dask).

**Tall data** (``n_features <= GRAM_LIMIT``): one pass over the row blocks computes, per
block, the weighted moments of ``[X | y]`` (``_moments.Moments``: weight sum, means,
centred cross-products), validating the block on the way, and merges them pairwise in a
balanced tree; the fit then runs on the Gram-only design those moments give, certified by
the duality gap computed from them. Cross-validation computes the moments of every fold
in the same pass: each training set's moments are the merge of the other folds', each
fold's validation error follows from its own.

**Wide data** (more features): :class:`DaskDesign` keeps the rows on the cluster; a first
pass computes the means, column norms, ``Xt^T yt`` and ``||yt||^2``, and the solver then
asks for Gram columns of the features it works on (one pass for each batch of new ones)
and, for ridge, for products ``Xt^T Xt v`` (one pass each).

The client holds ``O(n_folds (n_features + n_targets)^2)`` numbers (tall) or the Gram
columns of the working sets (wide); each worker one block at a time.
"""

import contextlib
from numbers import Integral, Real

import dask
import dask.array as da
import numpy as np
from dask import delayed

from ._base import _is_dask as is_dask
from ._base import single_threaded_blas
from ._moments import Moments

__all__ = ["GRAM_LIMIT", "DaskData", "DaskDesign", "is_dask"]

#: most features for which the moments (a Gram matrix per block and per fold) are formed:
#: 4096 features make a 128 MiB matrix per block in flight; beyond, the wide mode
GRAM_LIMIT = 4096


# -- input ----------------------------------------------------------------------------------
def _as_array(obj, name):
    """A dask array of a dask array, DataFrame or Series (lazy; no data read)."""
    if isinstance(obj, da.Array):
        return obj
    if hasattr(obj, "to_dask_array"):
        return obj.to_dask_array()
    raise TypeError(f"{name} must be a dask array or dask DataFrame/Series, got {type(obj)}.")


def _numeric_dtype(dtype, name):
    """float32 and float64 are kept; other numeric types become float64."""
    dtype = np.dtype(dtype)
    if dtype in (np.float32, np.float64):
        return dtype
    if dtype.kind in "biu" or dtype.kind == "f":
        return np.dtype(np.float64)
    raise ValueError(f"{name} must be numeric, got dtype {dtype}.")


class DaskData:
    """``X``, ``y`` and the sample weights of a fit as aligned blocks of rows.

    ``X`` (a dask array chunked along rows, or a dask DataFrame), ``y`` (dask array, Series
    or DataFrame, or an in-memory array when ``X``'s chunk sizes are known) and
    ``sample_weight`` (None, a positive scalar, or like ``y``). Nothing is computed here;
    the blocks are read by the passes, which validate them.
    """

    is_distributed = True

    def __init__(self, X, y, sample_weight=None):
        meta = getattr(X, "_meta", None)
        self.frame_meta = meta if hasattr(meta, "columns") else None
        if self.frame_meta is not None:
            for name, dtype in X.dtypes.items():
                _numeric_dtype(dtype, f"column {name!r} of X")
        X = _as_array(X, "X")
        if X.ndim != 2:
            raise ValueError(
                f"Expected 2D array, got {X.ndim}D array instead. Reshape your data either "
                "using array.reshape(-1, 1) if your data has a single feature or "
                "array.reshape(1, -1) if it contains a single sample."
            )
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})  # whole rows per block (blockwise, never gathered)
        self.dtype = _numeric_dtype(X.dtype, "X")
        self.n_features = int(X.shape[1])
        self.X = X
        self.y = self._aligned(y, "y")
        if self.y.ndim not in (1, 2):
            raise ValueError(f"y must be 1D or 2D, got {self.y.ndim}D.")
        _numeric_dtype(self.y.dtype, "y")
        self.n_targets = 1 if self.y.ndim == 1 else int(self.y.shape[1])
        self.constant_weight = None
        self.sample_weight = None
        if isinstance(sample_weight, Real) and not isinstance(sample_weight, bool):
            if not (np.isfinite(sample_weight) and sample_weight > 0):
                raise ValueError("sample_weight must be a positive finite number or an array.")
            self.constant_weight = float(sample_weight)
        elif sample_weight is not None:
            self.sample_weight = self._aligned(sample_weight, "sample_weight")
            if self.sample_weight.ndim != 1:
                raise ValueError("Sample weights must be 1D array or scalar")

    @property
    def shape(self):
        return self.X.shape

    @property
    def lengths(self):
        """Rows per block, or None when unknown (dask DataFrame partitions)."""
        chunks = self.X.chunks[0]
        return None if any(np.isnan(c) for c in chunks) else tuple(int(c) for c in chunks)

    def _aligned(self, v, name):
        """``v`` as a dask array with the row blocks of X."""
        rows = self.X.chunks[0]
        known = not any(np.isnan(c) for c in rows)
        if not is_dask(v):
            v = np.asarray(v)
            if not known:
                raise ValueError(
                    f"{name} must be a dask collection partitioned like X when X's chunk "
                    "sizes are unknown (a dask DataFrame): pass a dask Series."
                )
            if v.shape[0] != self.X.shape[0]:
                raise ValueError(
                    "Found input variables with inconsistent numbers of samples: "
                    f"[{self.X.shape[0]}, {v.shape[0]}]"
                )
            return da.from_array(v, chunks=(rows,) + v.shape[1:])
        v = _as_array(v, name)
        if v.ndim == 2 and v.numblocks[1] > 1:
            v = v.rechunk({1: -1})
        if v.numblocks[0] != self.X.numblocks[0] or (known and v.chunks[0] != rows):
            if known and not any(np.isnan(c) for c in v.chunks[0]):
                if v.shape[0] != self.X.shape[0]:
                    raise ValueError(
                        "Found input variables with inconsistent numbers of samples: "
                        f"[{self.X.shape[0]}, {v.shape[0]}]"
                    )
                return v.rechunk({0: rows})
            raise ValueError(
                f"{name} must have the row partitions of X ({self.X.numblocks[0]} blocks)."
            )
        return v

    def blocks(self):
        """``(x, y, w)`` delayed blocks of rows (``w`` None when unweighted)."""
        xs = self.X.to_delayed(optimize_graph=False).ravel()
        ys = self.y.to_delayed(optimize_graph=False).ravel()
        ws = (
            self.sample_weight.to_delayed(optimize_graph=False).ravel()
            if self.sample_weight is not None
            else [None] * len(xs)
        )
        return list(zip(xs, ys, ws, strict=True))

    def problem(self, fit_intercept, mean=True):
        """The fit's :class:`~sparsefit._pipeline.FitProblem`, from one pass: Gram-only
        (tall), or on a :class:`DaskDesign` (wide)."""
        from ._pipeline import FitProblem

        p = self.n_features
        if p <= GRAM_LIMIT:
            (moments,) = moments_pass(self, fit_intercept)
            self.n_samples = moments.count
            return FitProblem.from_moments(moments, p, mean)
        (moments,) = moments_pass(self, fit_intercept, columns=np.arange(p, p + self.n_targets))
        self.n_samples = moments.count
        design = DaskDesign(self, moments, mean)
        offsets = moments.means if fit_intercept else np.zeros(p + self.n_targets)
        return FitProblem.from_design(
            design,
            moments.cross[:p] * design.scale,
            moments.diag[p:] * design.scale,
            offsets[:p],
            offsets[p:],
            mean,
        )

    def block_lengths(self):
        """Rows per block: from the chunks, or counted (a pass over X's partitions)."""
        if self.lengths is not None:
            return self.lengths
        return tuple(int(n) for n in dask.compute(*[delayed(len)(x) for x, *_ in self.blocks()]))


# -- the moments pass -----------------------------------------------------------------------
def _checked_block(a, name, dtype=np.float64):
    """``a`` as an array of ``dtype``, or scikit-learn's ValueError for NaN or infinity.

    A finite sum proves every entry finite (NaN and infinities propagate to it), in one pass
    without the temporary of ``np.isfinite``; only a sum that is not finite (a bad value,
    or an overflow of the sum alone) needs the entrywise check."""
    a = np.asarray(a, dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(a)
    if np.isfinite(total):
        return a
    if not np.all(np.isfinite(a)):
        if np.any(np.isnan(a)):
            raise ValueError(f"Input {name} contains NaN.")
        raise ValueError(f"Input {name} contains infinity or a value too large for {a.dtype!r}.")
    return a


def _block_rows(x, y, w, constant_weight):
    """A validated block: ``(Z = [x | y] in float64, weights or None)``."""
    x = _checked_block(x, "X")
    y = _checked_block(y, "y")
    if y.shape[0] != x.shape[0]:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{x.shape[0]}, {y.shape[0]}] in a block"
        )
    s = None
    if w is not None:
        s = _checked_block(w, "sample_weight")
        if np.any(s < 0):
            raise ValueError("Negative values in data passed to `sample_weight`")
    if constant_weight is not None:
        s = np.full(x.shape[0], constant_weight) if s is None else s * constant_weight
    return np.column_stack([x, y.reshape(x.shape[0], -1)]), s


def block_moments(x, y, w, constant_weight, centred, folds, columns=None):
    """The moments of one block of rows, one per fold: ``folds`` is None (one set) or
    ``("ranges", n_folds, [(fold, start, stop), ...])``, the block's rows of each fold."""
    Z, s = _block_rows(x, y, w, constant_weight)
    if folds is None:
        folds = ("ranges", 1, [(0, 0, Z.shape[0])])
    _, n_folds, ranges = folds
    out = [Moments.empty(Z.shape[1], centred, columns) for _ in range(n_folds)]
    for k, lo, hi in ranges:
        out[k] = Moments.of_rows(Z[lo:hi], None if s is None else s[lo:hi], centred, columns)
    return out


def merge_lists(a, b):
    return [u + v for u, v in zip(a, b, strict=True)]


def _tree(parts, merge):
    """A balanced binary tree of delayed merges."""
    while len(parts) > 1:
        nxt = [delayed(merge)(a, b) for a, b in zip(parts[::2], parts[1::2], strict=False)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    return parts[0]


def kfold_ranges(lengths, n_folds):
    """Per block, the ``(fold, start, stop)`` row ranges of ``KFold(n_folds)`` (no
    shuffling) on the global row order."""
    n = sum(lengths)
    if n_folds > n:
        raise ValueError(
            f"Cannot have number of splits n_splits={n_folds} greater than the number of "
            f"samples: n_samples={n}."
        )
    sizes = np.full(n_folds, n // n_folds)
    sizes[: n % n_folds] += 1
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    out, start = [], 0
    for length in lengths:
        stop = start + length
        ranges = []
        for k in range(n_folds):
            lo, hi = max(start, bounds[k]), min(stop, bounds[k + 1])
            if lo < hi:
                ranges.append((k, int(lo - start), int(hi - start)))
        out.append(("ranges", n_folds, ranges))
        start = stop
    return out


def _compute(graph):
    """``dask.compute`` with BLAS limited to one thread in this process for its duration.

    Dask already runs one task per core; the blocks' products (``Z^T Z`` of a block of rows)
    calling a multi-threaded BLAS from every task oversubscribe the cores: measured on
    2 cores, ``LassoCDCV(cv=5)`` on 8e6 x 20 in-memory blocks under the threaded scheduler
    took 61-84 s with OpenBLAS's 2 threads, 2.4-3.4 s with one. (Workers of a distributed
    cluster are separate processes, which Dask starts with one BLAS thread already.)
    """
    with single_threaded_blas():
        return dask.compute(graph)


def moments_pass(data, centred, fold_specs=None, columns=None):
    """One pass over the data: the merged moments, one per fold (a list)."""
    blocks = data.blocks()
    specs = [None] * len(blocks) if fold_specs is None else fold_specs
    parts = [
        delayed(block_moments)(x, y, w, data.constant_weight, centred, spec, columns)
        for (x, y, w), spec in zip(blocks, specs, strict=True)
    ]
    (result,) = _compute(_tree(parts, merge_lists))
    if sum(m.count for m in result) == 0:
        raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
    if not sum(m.weight for m in result) > 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return result


# -- the wide mode ----------------------------------------------------------------------------
def _centred_block(x, w, x_offset, scale, constant_weight):
    x = np.asarray(x, dtype=np.float64) - x_offset
    s = None if w is None else np.asarray(w, dtype=np.float64)
    if constant_weight is not None:
        s = np.full(x.shape[0], constant_weight) if s is None else s * constant_weight
    s = scale if s is None else s * scale
    return x * np.sqrt(s)[:, None] if np.ndim(s) else x * np.sqrt(s)


def block_columns(x, w, x_offset, scale, constant_weight, idx):
    """``Xt_b^T Xt_b[:, idx]`` of one block (explicitly centred and weighted)."""
    xt = _centred_block(x, w, x_offset, scale, constant_weight)
    return xt.T @ xt[:, idx]


def block_gram_matvec(x, w, x_offset, scale, constant_weight, v):
    """``Xt_b^T (Xt_b v)`` of one block."""
    xt = _centred_block(x, w, x_offset, scale, constant_weight)
    return xt.T @ (xt @ v)


class DaskDesign:
    """The centred, weighted design of data that stay on the cluster (the wide mode).

    A Gram-only design whose Gram matrix is never formed: its columns are computed on
    demand, one pass over the data for each batch of new features, and cached
    (``cross_gram``); ``gram_matvec`` is one pass. See ``_data`` for the protocol.
    """

    has_samples = False
    sparse = False
    heavy_offsets = False
    gram_on_demand = True

    def __init__(self, data, moments, normalize_weights):
        self.data = data
        p = data.n_features
        self.n_samples = float(moments.count)
        self.n_features = p
        self.scale = moments.count / moments.weight if normalize_weights else 1.0
        self.x_offset = moments.means[:p] if moments.centred else np.zeros(p)
        self.col_norms2 = np.maximum(moments.diag[:p] * self.scale, 0.0)
        self.error_scale = self.gram_error_scale = np.sqrt(self.col_norms2)
        self._cols = np.zeros((p, 0))
        self._pos = np.full(p, -1, dtype=np.intp)
        self.passes = 0

    parallel = staticmethod(contextlib.nullcontext)

    def _map(self, function, *args):
        """Sum over the blocks of ``function(x, w, x_offset, scale, constant_weight,
        *args)``: one pass."""
        d = self.data
        blocks = d.blocks()
        parts = [
            delayed(function)(x, w, self.x_offset, self.scale, d.constant_weight, *args)
            for x, _, w in blocks
        ]
        (total,) = _compute(_tree(parts, np.add))
        self.passes += 1
        return total

    def _columns(self, idx):
        """``Xt^T Xt[:, idx]``, new columns computed in one pass and cached."""
        idx = np.asarray(idx, dtype=np.intp)
        new = np.unique(idx[self._pos[idx] < 0])
        if new.size:
            block = self._map(block_columns, new)
            self._pos[new] = np.arange(self._cols.shape[1], self._cols.shape[1] + new.size)
            self._cols = np.hstack([self._cols, block])
        return self._cols[:, self._pos[idx]]

    def cross_gram(self, a, b, Xa=None, Xb=None):
        a, b = np.asarray(a, dtype=np.intp), np.asarray(b, dtype=np.intp)
        if b.size and np.all(self._pos[b] >= 0):
            return self._columns(b)[a]
        if a.size and np.all(self._pos[a] >= 0):
            return self._columns(a)[b].T
        return self._columns(b)[a]

    def full_gram(self):
        return None

    def gram_matvec(self, v):
        return self._map(block_gram_matvec, np.asarray(v, dtype=np.float64))


def check_cv_folds(cv, lengths):
    """The fold specification of ``cv`` for dask input: ``KFold(cv)`` (no shuffling) row
    ranges on the global row order for an integer ``cv`` or a non-shuffling ``KFold``."""
    from sklearn.model_selection import KFold

    if cv is None:
        cv = 5
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        n_folds = int(cv)
    elif isinstance(cv, KFold) and not cv.shuffle:
        n_folds = cv.get_n_splits()
    else:
        raise ValueError(
            "With dask input, cv must be an integer or KFold(shuffle=False): the folds are "
            f"ranges of the global row order, computed in one pass; got {cv!r}."
        )
    if n_folds < 2:
        raise ValueError(f"k-fold cross-validation requires at least two folds, got {cv!r}.")
    return n_folds, kfold_ranges(lengths, n_folds)


def predict(X, coef, intercept, n_features):
    """Lazy predictions: a dask array, blockwise."""
    X = _as_array(X, "X")
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1] if X.ndim == 2 else X.shape} features, but the model is "
            f"expecting {n_features} features as input."
        )
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    coef = np.asarray(coef)
    out_dtype = np.result_type(X.dtype, coef.dtype)
    if coef.ndim == 1:
        return X.map_blocks(
            _predict_block, coef, intercept, drop_axis=1, dtype=out_dtype, meta=np.array(())
        )
    return X.map_blocks(
        _predict_block,
        coef,
        intercept,
        chunks=(X.chunks[0], (coef.shape[0],)),
        dtype=out_dtype,
    )


def _predict_block(x, coef, intercept):
    return np.asarray(x) @ coef.T + intercept


def r2_score(y, pred, sample_weight=None):
    """Lazy coefficient of determination (uniform average over targets)."""
    y = _as_array(y, "y") if is_dask(y) else da.from_array(np.asarray(y))
    if y.ndim == 2 and pred.ndim == 1:
        pred = pred[:, None]
    if y.ndim == 1 and pred.ndim == 2:
        y = y[:, None]
    w = 1.0
    if sample_weight is not None:
        w = _as_array(sample_weight, "sample_weight") if is_dask(sample_weight) else sample_weight
        if y.ndim == 2:
            w = w[:, None]
    y = y.rechunk({0: pred.chunks[0]}) if y.chunks[0] != pred.chunks[0] else y
    total_w = (w * da.ones_like(y)).sum(axis=0)
    mean = (w * y).sum(axis=0) / total_w
    sse = (w * (y - pred) ** 2).sum(axis=0)
    sst = (w * (y - mean) ** 2).sum(axis=0)
    score = da.where(sst > 0, 1.0 - sse / da.where(sst > 0, sst, 1.0), da.where(sse > 0, 0.0, 1.0))
    return score.mean() if score.ndim else score
