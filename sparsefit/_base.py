"""Shared estimator skeleton: validation, the fit template's glue, predict and tags.

This is the only module that touches scikit-learn's private helpers (``_fit_context``,
``_check_sample_weight``, the parameter-constraint classes).
"""

import contextlib
import functools
import sys
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Hidden, Interval, StrOptions, validate_params
from sklearn.utils.metadata_routing import (
    UNUSED,
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import (
    _assert_all_finite,
    _check_feature_names,
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._data import gram_is_cheap_shape

__all__ = [
    "Hidden",
    "single_threaded_blas",
    "parallel_blas",
    "Interval",
    "Integral",
    "LinearRegressorBase",
    "MetadataRouter",
    "MethodMapping",
    "Real",
    "StrOptions",
    "UNUSED",
    "_fit_context",
    "_raise_for_params",
    "_routing_enabled",
    "check_random_state",
    "check_sample_weight",
    "process_routing",
    "validate_params",
    "warn_not_converged",
    "warn_user",
]

_SPARSE_FORMATS = ("csr", "csc", "coo")


def _is_dask(obj):
    """Whether ``obj`` is a dask collection (checked without importing dask)."""
    return type(obj).__module__.split(".")[0] == "dask"


_DTYPES = [np.float64, np.float32]


class LinearRegressorBase(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Validation and prediction shared by the sparsefit estimators."""

    #: what produced the coefficients, for the error on non-finite ones (scikit-learn's
    #: sentence for coordinate descent)
    _iterations_name = "Coordinate descent iterations"

    def _validate_fit_data(self, X, y, sample_weight, check_input=True, ensure_all_finite=True):
        """Validate ``X``, ``y`` and ``sample_weight``; none of them is ever modified
        (``ensure_all_finite=False``: ``X`` not scanned for NaN and infinity).

        Returns ``X`` (float32 or float64, sparse kept sparse), ``y`` (float64) and the
        weights (float64 array, or None). With ``check_input=False`` (scikit-learn's
        ``fit(..., check_input=False)``, for callers that validated already) the scans of
        ``X`` and ``y`` are skipped (``_trusted_fit_data``).
        """
        if not check_input and not _is_dask(X):
            return self._trusted_fit_data(X, y, sample_weight)
        if _is_dask(X):
            from ._dask import DaskData

            # (n_features_in_ and the feature names are set with the solution, after the
            # pass that validates the blocks: a failed fit leaves no fitted attribute)
            data = DaskData(X, y, sample_weight)
            return data, data.y, None
        if sp.issparse(y):
            # validate_data(multi_output=True) lets a sparse y through; refuse it with
            # scikit-learn's TypeError (rather than fail on np.asarray below)
            raise TypeError(
                "Sparse data was passed for y, but dense data is required. Use '.toarray()' "
                "to convert to a dense numpy array."
            )
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=_SPARSE_FORMATS,
            dtype=_DTYPES,
            multi_output=True,
            y_numeric=True,
            ensure_all_finite=ensure_all_finite,
        )
        if sp.issparse(X) and X.format == "coo":
            X = X.tocsc()
        y = np.asarray(y, dtype=np.float64)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
        return X, y, sample_weight

    def _validate_fit_data_gram_first(self, X, y, sample_weight, check_input=True):
        """``_validate_fit_data`` for a fit that forms the Gram matrix of tall, narrow dense
        data first (``center_data(gram_first=True)``): ``(X, y, sample_weight,
        check_finite)``. Where that product will be formed, the scan of ``X`` for NaN and
        infinity is left to it: a non-finite entry makes its column's diagonal entry
        non-finite, and only then is ``check_finite`` (scikit-learn's check, with its
        message) run, before any other arithmetic on ``X`` (measured: 2.1 ms of a 26 ms
        fit on 20640 x 164 data). Elsewhere ``X`` is scanned here and ``check_finite`` is
        None."""
        if not check_input or _is_dask(X) or sample_weight is not None:
            return (*self._validate_fit_data(X, y, sample_weight, check_input), None)
        try:
            X, y, _ = self._validate_fit_data(X, y, None, ensure_all_finite=False)
        except ValueError:
            # (scikit-learn scans X before y: validated again with the scan, whose error
            # about X comes first)
            self._validate_fit_data(X, y, None)
            raise
        name = type(self).__name__

        def check_finite():
            _assert_all_finite(
                X.data if sp.issparse(X) else X, input_name="X", estimator_name=name
            )

        if sp.issparse(X) or X.dtype != np.float64 or not gram_is_cheap_shape(*X.shape):
            check_finite()
            return X, y, None, None
        return X, y, None, check_finite

    def _trusted_fit_data(self, X, y, sample_weight):
        """``X``, ``y`` and the weights of a caller that validated them (``check_input=False``).

        No pass over the data: ``X`` must already be what validation returns, a float32 or
        float64 2-D ndarray or a CSR/CSC matrix (any memory order: the solvers need no
        particular one), else a ValueError; ``y`` is taken as float64 and only its length
        is checked. The weights are still checked (one pass over ``n_samples`` numbers). As
        with validation, ``n_features_in_`` is set (and feature names, which an array does
        not carry, forgotten).
        """
        dense = isinstance(X, np.ndarray) and X.ndim == 2
        sparse = sp.issparse(X) and X.format in ("csr", "csc")
        if not (dense or sparse) or X.dtype not in _DTYPES:
            raise ValueError(
                "With check_input=False, X must be what validation returns: a 2-D float32 or "
                f"float64 ndarray or a CSR/CSC sparse matrix, got {type(X).__name__} of "
                f"dtype {getattr(X, 'dtype', None)}. Use check_input=True."
            )
        y = np.asarray(y, dtype=np.float64)
        if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {X.shape[0]} and "
                f"{y.shape[0] if y.ndim else 'a scalar'} (y of shape {y.shape})."
            )
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
        self.n_features_in_ = X.shape[1]
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return X, y, sample_weight

    def _set_results(self, X, y, problem, results, max_iter=None):
        """Store the solutions of every target (``results``, solver records) in scikit-learn's
        attributes, in the user's units (``problem.datafit``); warn if one did not converge."""
        coefs = np.array([res.w for res in results])
        intercepts = problem.intercepts(coefs) if self.fit_intercept else None
        user_gap = problem.datafit.user_gap
        self._set_solution(
            X,
            coefs,
            intercepts,
            [res.n_iter for res in results],
            [user_gap(res.gap) for res in results],
            y.ndim,
        )
        failed = [res for res in results if not res.converged]
        if failed:
            worst = max(failed, key=lambda res: res.gap)
            warn_not_converged(
                type(self).__name__,
                user_gap(worst.gap),
                user_gap(worst.tol_abs),
                self.max_iter if max_iter is None else max_iter,
                n_iter=worst.n_iter,
            )

    def _set_solution(self, X, coefs, intercepts, n_iters, gaps, y_ndim):
        """Store fitted attributes in scikit-learn's shapes and the input's float dtype."""
        dtype = X.dtype
        if getattr(X, "is_distributed", False):
            _check_feature_names(
                self, X.frame_meta if X.frame_meta is not None else X.X[:0], reset=True
            )
            self.n_features_in_ = X.n_features
        coefs = np.asarray(coefs, dtype=dtype)
        gaps = np.asarray(gaps, dtype=dtype)
        if coefs.shape[0] == 1:
            # one target: 1-D coef_, scalar n_iter_/dual_gap_ (as scikit-learn, even for a
            # column-vector y, where intercept_ keeps shape (1,))
            self.coef_ = coefs[0]
            if not self.fit_intercept:
                self.intercept_ = 0.0
            elif y_ndim == 1:
                self.intercept_ = dtype.type(intercepts[0])
            else:
                self.intercept_ = np.asarray(intercepts, dtype=dtype)
            self.n_iter_ = int(n_iters[0])
            self.dual_gap_ = gaps[0]
        else:
            self.coef_ = coefs
            self.intercept_ = (
                np.asarray(intercepts, dtype=dtype)
                if self.fit_intercept
                else np.zeros(coefs.shape[0], dtype=dtype)
            )
            self.n_iter_ = [int(k) for k in n_iters]
            self.dual_gap_ = gaps
        if not (np.all(np.isfinite(self.coef_)) and np.all(np.isfinite(self.intercept_))):
            raise ValueError(
                f"{self._iterations_name} resulted in non-finite parameter values. The input "
                "data may contain large values and need to be preprocessed (standardize X, "
                "e.g. with StandardScaler), or alpha is too small."
            )

    def predict(self, X):
        """Predict using the linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples (a dask array gives a lazy dask array).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            ``X @ coef_.T + intercept_``.
        """
        check_is_fitted(self)
        if _is_dask(X):  # lazy: a dask array, computed block by block when asked
            from ._dask import predict

            meta = getattr(X, "_meta", None)
            _check_feature_names(self, meta if hasattr(meta, "columns") else X[:0], reset=False)
            return predict(X, self.coef_, self.intercept_, self.n_features_in_)
        X = validate_data(self, X, accept_sparse=_SPARSE_FORMATS, dtype=_DTYPES, reset=False)
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 of the predictions.

        As scikit-learn's ``RegressorMixin.score``; on dask input, a lazy dask scalar.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            True values for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            R^2 of ``self.predict(X)`` against ``y``.
        """
        if _is_dask(X):
            from ._dask import r2_score

            return r2_score(y, self.predict(X), sample_weight)
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def check_sample_weight(sample_weight, X):
    """Validated float64 weights: finite, non-negative, not all zero, one per sample."""
    if sp.issparse(sample_weight):  # scikit-learn's TypeError, with a clearer message
        raise TypeError(
            "Sparse data was passed for sample_weight, but dense data is required. Use "
            "'.toarray()' to convert to a dense numpy array."
        )
    sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError("sample_weight must contain only finite values (no NaN/inf).")
    if np.any(sample_weight < 0):
        raise ValueError(
            "Negative values in data passed to sample_weight: sparsefit requires "
            "non-negative sample weights."
        )
    if not np.any(sample_weight > 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


@functools.cache
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return None
    return ThreadpoolController()


#: BLAS thread counts in force when the enclosing ``single_threaded_blas`` blocks began
_THREADS_BEFORE = []


@contextlib.contextmanager
def single_threaded_blas():
    """Context manager limiting BLAS to one thread (a no-op without threadpoolctl).

    Coordinate descent makes many small BLAS/LAPACK calls (``k x k`` products and Cholesky
    factorizations on working sets; matrix-vector passes), for which a second thread only
    adds synchronization: measured, it made fits slower and their times erratic, and it
    slows them by orders of magnitude when the cores are shared with other processes. The
    few large products (a full Gram matrix) get the threads back through ``parallel_blas``.
    """
    controller = _blas_controller()
    if controller is None:
        yield
        return
    blas = [lib["num_threads"] for lib in controller.info() if lib["user_api"] == "blas"]
    _THREADS_BEFORE.append(max(blas, default=1))
    try:
        with controller.limit(limits=1, user_api="blas"):
            yield
    finally:
        _THREADS_BEFORE.pop()


def parallel_blas():
    """Inside ``single_threaded_blas``: the BLAS thread count from before it, for one large
    product (BLAS-3 on big blocks scales with the cores). A no-op elsewhere."""
    controller = _blas_controller()
    if controller is None or not _THREADS_BEFORE or _THREADS_BEFORE[-1] <= 1:
        return contextlib.nullcontext()
    return controller.limit(limits=_THREADS_BEFORE[-1], user_api="blas")


def warn_not_converged(name, gap, tol_abs, max_iter, extra="", n_iter=None):
    """Raise the ConvergenceWarning in the user's units (those of ``dual_gap_``).

    ``n_iter`` below ``max_iter`` means the solver stopped making progress before its budget
    ran out (rounding limits what the duality gap can certify): the message says so.
    """
    if n_iter is not None and n_iter < max_iter:
        what = (
            f"stopped making progress after {n_iter} iterations (max_iter={max_iter}): "
            "the data are too ill-conditioned for the duality gap to certify the solution in "
            "floating point"
        )
        advice = "Standardize the features (e.g. StandardScaler) or increase alpha."
    else:
        what = f"did not converge in max_iter={max_iter} iterations"
        advice = (
            "Increase max_iter, standardize the features (e.g. StandardScaler) or increase alpha."
        )
    warn_user(
        f"{name} {what}: duality gap {gap:.3e} > tolerance {tol_abs:.3e} (both in the units "
        f"of dual_gap_). {advice}{extra}",
        ConvergenceWarning,
    )


#: modules whose frames stand between a user's call and sparsefit's code: the decorators
#: scikit-learn wraps public methods and functions in (``_fit_context``, ``validate_params``)
_WRAPPER_MODULES = frozenset({"sklearn.base", "sklearn.utils._param_validation"})


def warn_user(message, category):
    """``warnings.warn`` pointing at the line that called sparsefit: the first frame
    outside sparsefit and scikit-learn's decorators, however deep the call that warns (a
    fit, a path, a fold of a cross-validation, the plotting helpers)."""
    frame, level = sys._getframe(0), 1
    while frame.f_back is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] != "sparsefit" and module not in _WRAPPER_MODULES:
            break
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
