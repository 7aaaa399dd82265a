"""Regularization paths and cross-validated estimators: lasso_path, enet_path, LassoCDCV,
ElasticNetCDCV."""

import sys
import time
from concurrent.futures import as_completed
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import delayed, effective_n_jobs
from joblib.externals.loky import get_reusable_executor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import check_cv
from sklearn.utils import check_array, check_scalar
from sklearn.utils.validation import _assert_all_finite, column_or_1d

from . import _tuning as tuning
from ._base import (
    Hidden,
    Interval,
    LinearRegressorBase,
    MetadataRouter,
    MethodMapping,
    StrOptions,
    _fit_context,
    _raise_for_params,
    _routing_enabled,
    check_random_state,
    check_sample_weight,
    process_routing,
    single_threaded_blas,
    validate_params,
    warn_not_converged,
    warn_user,
)
from ._path import alpha_grid, fold_moments
from ._pipeline import FitProblem
from .penalties import L1L2, check_bounds, check_penalty_factor

__all__ = ["ElasticNetCDCV", "LassoCDCV", "enet_path", "lasso_path", "one_standard_error_index"]

#: the per-fold Gram matrices of dense data are shared when they hold at most this many
#: numbers altogether (about 400 MB)
_MAX_FOLD_GRAM_ENTRIES = 5e7


# -- paths ----------------------------------------------------------------------------------


_PATH_CONSTRAINTS = {
    "X": ["array-like", "sparse matrix"],
    "y": ["array-like", "sparse matrix"],
    "eps": [Interval(Real, 0.0, None, closed="neither")],
    "n_alphas": [Interval(Integral, 1, None, closed="left"), Hidden(StrOptions({"deprecated"}))],
    "alphas": [Interval(Integral, 1, None, closed="left"), "array-like", None],
    "precompute": [StrOptions({"auto"}), "boolean", "array-like"],
    "Xy": ["array-like", None],
    "copy_X": ["boolean"],
    "coef_init": ["array-like", None],
    "verbose": ["verbose"],
    "return_n_iter": ["boolean"],
    "positive": ["boolean"],
    "penalty_factor": ["array-like", None],
    "bounds": ["array-like", None],
}


@validate_params(
    {
        **_PATH_CONSTRAINTS,
        "l1_ratio": [Interval(Real, 0.0, 1.0, closed="both")],
        "check_input": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def enet_path(
    X,
    y,
    *,
    l1_ratio=0.5,
    eps=1e-3,
    n_alphas="deprecated",
    alphas=100,
    precompute="auto",
    Xy=None,
    copy_X=True,
    coef_init=None,
    verbose=False,
    return_n_iter=False,
    positive=False,
    check_input=True,
    penalty_factor=None,
    bounds=None,
    **params,
):
    r"""Elastic-net path by coordinate descent, as :func:`sklearn.linear_model.enet_path`.

    Solves, at every ``alpha`` of a decreasing grid, each solve warm-started from the
    previous one,

    .. math::

        \frac{1}{2 \sum_i s_i} \sum_i s_i (y_i - x_i^\top w)^2
        + \alpha \rho \|w\|_1 + \frac{\alpha (1 - \rho)}{2} \|w\|_2^2

    with :math:`\rho` = ``l1_ratio`` and :math:`s` the sample weights (all ones by default).
    As in scikit-learn there is no intercept: centre ``X`` and ``y`` first if you need one
    (the CV estimators do).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        One target (scikit-learn treats a 2-D ``y`` as a multi-task problem, a different
        penalty, which sparsefit does not provide).
    l1_ratio : float, default=0.5
        In ``(0, 1]`` (``0`` is allowed with an explicit ``alphas`` array).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    n_alphas : int, default='deprecated'
        Deprecated in scikit-learn 1.9 (removed in 1.11): the number of values of the
        automatic grid, now given by ``alphas``. Still honoured, with a ``FutureWarning``.
    alphas : int or array-like, default=100
        Number of values of the automatic grid (geometric, from ``alpha_max`` down), or the
        values themselves (solved in decreasing order). ``None`` (deprecated in
        scikit-learn 1.9) is the grid of 100 values, with a ``FutureWarning``.
    precompute : 'auto', bool or array-like of shape (n_features, n_features), default='auto'
        Use the Gram matrix (computed once, or the one given). ``'auto'`` lets the solver
        decide (it caches Gram blocks of its working sets along the path).
    Xy : array-like of shape (n_features,), default=None
        ``X^T y`` (weighted if ``sample_weight`` is given), used for the automatic grid.
    copy_X : bool, default=True
        Kept for compatibility: ``X`` is never modified.
    coef_init : array-like of shape (n_features,), default=None
        Starting point of the first solve.
    verbose : bool or int, default=False
        Report progress (one line per ``alpha`` when ``verbose > 1``).
    return_n_iter : bool, default=False
        Also return the number of iterations of every solve.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    check_input : bool, default=True
        Kept for compatibility: inputs are always validated.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors of the penalty (glmnet's ``penalty.factor``, see
        :class:`ElasticNetCD`); the automatic grid starts at the ``alpha_max`` of the
        penalized features, after the unpenalized ones are fitted.
    bounds : tuple (lower, upper), default=None
        Box constraints on the coefficients (see :class:`ElasticNetCD`).
    **params : dict
        ``tol`` (default 1e-4), ``max_iter`` (1000), ``random_state``, ``selection``
        (``'cyclic'`` or ``'random'``) and ``sample_weight``, as for :class:`ElasticNetCD`.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_features, n_alphas)
        The coefficients at each ``alpha``.
    dual_gaps : ndarray of shape (n_alphas,)
        In the units of the objective above (as ``ElasticNetCD.dual_gap_``).
    n_iters : list of int
        Only when ``return_n_iter=True``.

    See Also
    --------
    lasso_path : The path with ``l1_ratio=1``.
    ElasticNetCDCV : Paths on cross-validation folds, to choose ``alpha``.
    sparsefit.plot.RegularizationPathDisplay : Plot a path.

    Notes
    -----
    Each solve stops when its duality gap is at most ``tol * ||y||^2 / n_samples`` (with
    weights: of the sqrt-weighted ``y``, weights rescaled to sum to ``n_samples``), the
    stopping rule of scikit-learn.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsefit import enet_path
    >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0], [4.0, 3.0]])
    >>> y = np.array([1.0, 2.0, 3.5, 4.0])
    >>> alphas, coefs, gaps = enet_path(X, y, l1_ratio=0.5, alphas=3)
    >>> coefs.shape
    (2, 3)
    >>> bool(np.all(coefs[:, 0] == 0))
    True
    """
    alphas = _deprecated_grid_size(n_alphas, alphas)
    tol = params.pop("tol", 1e-4)
    max_iter = params.pop("max_iter", 1000)
    random_state = params.pop("random_state", None)
    selection = params.pop("selection", "cyclic")
    sample_weight = params.pop("sample_weight", None)
    if params:
        raise ValueError(f"Unexpected parameters in params: {sorted(params)}")
    _check_path_params(tol, max_iter, selection)
    X, y, sample_weight, problem = _path_problem(X, y, sample_weight, precompute)
    n_features = X.shape[1]
    penalty = L1L2(
        1.0,
        l1_ratio,
        penalty_factor=check_penalty_factor(penalty_factor, n_features),
        bounds=check_bounds(bounds, positive, n_features) if bounds is not None else None,
        positive=positive,
    )
    auto = problem.workspace.gram_pays_along_path
    problem.precompute(precompute, X.dtype, False, auto)
    w0 = None
    if isinstance(alphas, Integral):
        alpha_max, w0 = _path_alpha_max(problem, penalty, l1_ratio, Xy, sample_weight)
        alphas = alpha_grid(alpha_max, eps, alphas)
    else:
        alphas = _checked_alpha_array(alphas)
    if coef_init is not None:
        w0 = np.asarray(coef_init, dtype=np.float64).ravel()
        if w0.shape != (n_features,):
            raise ValueError(
                f"coef_init has shape {np.shape(coef_init)}; expected ({n_features},)."
            )
    rng = check_random_state(random_state) if selection == "random" else None
    progress = _Progress("enet_path", verbose, n_alphas=alphas.size)
    coefs, results = problem.path(
        penalty,
        alphas,
        tol=tol,
        max_iter=max_iter,
        w0=w0,
        rng=rng,
        callback=progress.path_callback("", alphas),
    )
    progress.close()
    _warn_path_not_converged("enet_path", results, problem.datafit, max_iter)
    coefs = coefs.astype(X.dtype, copy=False)
    dual_gaps = np.array([problem.datafit.user_gap(res.gap) for res in results])
    if return_n_iter:
        return alphas, coefs, dual_gaps, [res.n_iter for res in results]
    return alphas, coefs, dual_gaps


def _path_problem(X, y, sample_weight, precompute):
    """The validated ``(X, y, sample_weight)`` of a path and its ``FitProblem`` (no
    intercept). A path that forms the Gram matrix forms it first (``_forms_gram_first``):
    X is then scanned for NaN and infinity only if its diagonal is not finite."""
    X = check_array(
        X, accept_sparse=("csc", "csr"), dtype=[np.float64, np.float32], ensure_all_finite=False
    )
    gram_first = _forms_gram_first(X, sample_weight, precompute)
    if not gram_first:
        _assert_all_finite(X.data if sp.issparse(X) else X)  # (check_array's own message)
    y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    if y.ndim != 1:
        raise ValueError(
            f"y must be 1-D (one target), got shape {y.shape}: sparsefit's paths fit one "
            "target; for several targets sharing a support use "
            "sklearn.linear_model.MultiTaskElasticNet."
        )
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {X.shape[0]} and {y.shape[0]}."
        )
    if sample_weight is not None:
        sample_weight = check_sample_weight(sample_weight, X)
    problem = FitProblem(
        X,
        y,
        sample_weight,
        fit_intercept=False,
        gram_first="always" if gram_first else False,
        check_finite=(lambda: _assert_all_finite(X)) if gram_first else None,
    )
    return X, y, sample_weight, problem


def _forms_gram_first(X, sample_weight, precompute):
    """Whether a path forms the Gram matrix of ``X`` (dense float64, no weights, at least as
    tall as wide or ``precompute=True``, at most ``MAX_FULL_GRAM`` features): then as its
    first product, whose diagonal gives the columns' norms and shows any NaN or infinity
    (``center_data``'s ``gram_first='always'``: a pass over X fewer, and X scanned only if
    the diagonal is not finite)."""
    if sp.issparse(X) or X.dtype != np.float64 or sample_weight is not None:
        return False
    if isinstance(precompute, str):
        wanted = precompute == "auto" and X.shape[0] >= X.shape[1]
    else:
        wanted = isinstance(precompute, (bool, np.bool_)) and bool(precompute)
    return wanted and X.shape[1] <= tuning.MAX_FULL_GRAM


def _path_alpha_max(problem, penalty, l1_ratio, Xy=None, sample_weight=None):
    """``(alpha_max, w0)`` of a path's automatic grid: from a given ``Xy`` when there are no
    unpenalized features, else after fitting them (``FitProblem.alpha_max``)."""
    if l1_ratio == 0:
        raise ValueError(
            "Automatic alpha grid generation is not supported for l1_ratio=0. Please supply "
            "a grid by providing your estimator with the appropriate `alphas=` argument."
        )
    unit = problem.datafit.solver_penalty(penalty, problem.n_features)
    if Xy is None or np.any(unit.unpenalized):
        return problem.alpha_max(penalty)
    Xty = np.asarray(Xy, dtype=np.float64).ravel()
    if sample_weight is not None:  # Xy is X^T (s y) with the weights as given
        Xty = Xty * (problem.design.n_samples / sample_weight.sum())
    return problem.datafit.alpha_max(penalty, Xty), None


@validate_params(_PATH_CONSTRAINTS, prefer_skip_nested_validation=True)
def lasso_path(
    X,
    y,
    *,
    eps=1e-3,
    n_alphas="deprecated",
    alphas=100,
    precompute="auto",
    Xy=None,
    copy_X=True,
    coef_init=None,
    verbose=False,
    return_n_iter=False,
    positive=False,
    penalty_factor=None,
    bounds=None,
    **params,
):
    r"""Lasso path by coordinate descent, as :func:`sklearn.linear_model.lasso_path`.

    :func:`enet_path` with ``l1_ratio=1``: at every ``alpha`` of a decreasing grid it solves

    .. math::

        \frac{1}{2 \sum_i s_i} \sum_i s_i (y_i - x_i^\top w)^2 + \alpha \|w\|_1

    (no intercept, as in scikit-learn). Parameters and return values are those of
    :func:`enet_path`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        One target.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    n_alphas : int, default='deprecated'
        Deprecated in scikit-learn 1.9 (removed in 1.11): the number of values of the
        automatic grid, now given by ``alphas``. Still honoured, with a ``FutureWarning``.
    alphas : int or array-like, default=100
        Number of values of the automatic grid (geometric, from ``alpha_max`` down), or the
        values themselves (solved in decreasing order).
    precompute : 'auto', bool or array-like of shape (n_features, n_features), default='auto'
        Use the Gram matrix (computed once, or the one given); ``'auto'`` lets the solver
        decide.
    Xy : array-like of shape (n_features,), default=None
        ``X^T y`` (weighted if ``sample_weight`` is given), used for the automatic grid.
    copy_X : bool, default=True
        Kept for compatibility: ``X`` is never modified.
    coef_init : array-like of shape (n_features,), default=None
        Starting point of the first solve.
    verbose : bool or int, default=False
        Report progress (one line per ``alpha`` when ``verbose > 1``).
    return_n_iter : bool, default=False
        Also return the number of iterations of every solve.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors of the penalty (glmnet's ``penalty.factor``).
    bounds : tuple (lower, upper), default=None
        Box constraints on the coefficients.
    **params : dict
        ``tol``, ``max_iter``, ``random_state``, ``selection``, ``check_input`` and
        ``sample_weight``, as for :func:`enet_path`.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_features, n_alphas)
        The coefficients at each ``alpha``.
    dual_gaps : ndarray of shape (n_alphas,)
        In the units of the objective above.
    n_iters : list of int
        Only when ``return_n_iter=True``.

    See Also
    --------
    enet_path : The Elastic Net path.
    LassoCDCV : Paths on cross-validation folds, to choose ``alpha``.
    sparsefit.plot.RegularizationPathDisplay : Plot a path.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsefit import lasso_path
    >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0], [4.0, 3.0]])
    >>> y = np.array([1.0, 2.0, 3.5, 4.0])
    >>> alphas, coefs, _ = lasso_path(X, y, alphas=[1.0, 0.1])
    >>> alphas
    array([1. , 0.1])
    >>> coefs.shape
    (2, 2)
    """
    return enet_path(
        X,
        y,
        l1_ratio=1.0,
        eps=eps,
        alphas=_deprecated_grid_size(n_alphas, alphas),
        precompute=precompute,
        Xy=Xy,
        copy_X=copy_X,
        coef_init=coef_init,
        verbose=verbose,
        return_n_iter=return_n_iter,
        positive=positive,
        penalty_factor=penalty_factor,
        bounds=bounds,
        **params,
    )


def _check_path_params(tol, max_iter, selection):
    """The ``**params`` of the path functions (the named ones are checked declaratively)."""
    if not (isinstance(tol, Real) and tol >= 0):
        raise ValueError(f"tol must be a non-negative float, got {tol!r}.")
    if not (isinstance(max_iter, Integral) and max_iter >= 1):
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}.")
    if selection not in ("cyclic", "random"):
        raise ValueError("selection should be either random or cyclic.")


def _deprecated_grid_size(n_alphas, alphas):
    """``alphas`` after scikit-learn 1.9's deprecations: ``n_alphas`` and ``alphas=None``
    still give the automatic grid (of ``n_alphas`` or 100 values), with a FutureWarning."""
    if n_alphas != "deprecated":
        warn_user(
            "'n_alphas' was deprecated in 1.9 and will be removed in 1.11. 'alphas' now "
            "accepts an integer value (the number of values of the automatic grid), which "
            "removes the need to pass 'n_alphas'. Pass alphas=n_alphas and leave 'n_alphas' "
            "to its default value to silence this warning.",
            FutureWarning,
        )
        return n_alphas if alphas is None or isinstance(alphas, Integral) else alphas
    if alphas is None:
        warn_user(
            "'alphas=None' is deprecated and will be removed in 1.11; the default is the "
            "automatic grid of 100 values. Set 'alphas=100' to silence this warning.",
            FutureWarning,
        )
        return 100
    return alphas


def _checked_alpha_array(alphas):
    """An explicit grid: real numbers, finite and non-negative; returned as a float array in
    decreasing order. Each entry is checked as given, before any conversion, with
    scikit-learn's messages (a ``TypeError`` for an entry that is not a real number, such
    as a string)."""
    entries = np.ravel(alphas) if isinstance(alphas, np.ndarray) else list(alphas)
    if len(entries) == 0:
        raise ValueError("alphas must not be empty.")
    if isinstance(entries, np.ndarray) and entries.dtype.kind == "f":
        # (an array of floats: only its first bad entry, if any, is checked by itself)
        bad = (~(entries >= 0.0) | ~np.isfinite(entries)).nonzero()[0]
        entries = entries[bad[:1]] if bad.size else entries[:0]
        first = int(bad[0]) if bad.size else 0
    else:
        first = 0
    for index, alpha in enumerate(entries, start=first):
        name = f"alphas[{index}]"
        check_scalar(alpha, name, target_type=Real, min_val=0.0, include_boundaries="left")
        if not np.isfinite(alpha):
            raise ValueError(f"{name} == {alpha}, must be finite.")
    return np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]


def _warn_path_not_converged(name, results, datafit, max_iter):
    failed = [res for res in results if not res.converged]
    if failed:
        worst = max(failed, key=lambda res: res.gap)
        warn_not_converged(
            name,
            datafit.user_gap(worst.gap),
            datafit.user_gap(worst.tol_abs),
            max_iter,
            extra=f" ({len(failed)} of {len(results)} alphas of the path did not converge.)",
        )


class _Progress:
    """Progress reports for long paths and cross-validation (``verbose``).

    ``verbose >= 1``: one line per finished fold, written by the calling process as folds
    finish (on a terminal, a sequential path also shows a line that updates as it
    advances); ``verbose > 1``: also one line per ``alpha``, naming the fold, the
    ``l1_ratio`` and the ``alpha``. Every report is one whole line, written at once, so the
    lines of folds running in parallel processes never mix. A last line reports the
    choice of a cross-validation.
    """

    def __init__(self, name, verbose, n_alphas, n_tasks=1, sequential=True):
        self.name, self.verbose = name, int(verbose)
        self.n_alphas, self.n_tasks = n_alphas, n_tasks
        self.done = 0
        self.start = time.perf_counter()
        self.updating = sequential and bool(getattr(sys.stderr, "isatty", lambda: False)())

    def _write(self, text, end="\n"):
        sys.stderr.write(text + end)
        sys.stderr.flush()

    def path_callback(self, label, alphas):
        """The ``callback(i, result)`` of ``solve_path`` for the path of ``label``."""

        def alpha_done(i, result):
            where = f"{label}, " if label else ""
            if self.verbose > 1:
                self._write(
                    f"[{self.name}] {where}alpha {i + 1}/{self.n_alphas} = {alphas[i]:.4g}: "
                    f"{np.count_nonzero(result.w)} non-zero coefficients, "
                    f"{result.n_iter} iterations"
                )
            elif self.verbose and self.updating:
                self._write(f"\r[{self.name}] {where}alpha {i + 1}/{self.n_alphas}", end="")

        return alpha_done

    def task_done(self, label):
        self.done += 1
        if self.verbose:
            elapsed = time.perf_counter() - self.start
            prefix = "\r" if self.updating and self.verbose == 1 else ""
            self._write(
                f"{prefix}[{self.name}] {label} done ({self.done}/{self.n_tasks}, "
                f"{elapsed:.2f} s elapsed)"
            )

    def report(self, text):
        if self.verbose:
            self._write(f"[{self.name}] {text}")

    def close(self):
        if self.verbose == 1 and self.updating and self.n_tasks == 1 and self.done == 0:
            self._write("")


@dataclass(frozen=True)
class _FoldSettings:
    """What every fold of a cross-validation solves, the same for all of them."""

    fit_intercept: bool
    precompute: object  # 'auto', True or False
    #: the penalty of each l1_ratio, at alpha = 1 (scaled along the grid)
    penalties: list
    tol: float
    max_iter: int
    #: one seed per fold and one for the refit when ``selection='random'`` (each fold its
    #: own generator: the same coordinates whatever the number of jobs), else None
    seeds: object
    #: folds fitted one after the other may use every BLAS thread for large products
    parallel_products: bool


# -- cross-validation -----------------------------------------------------------------------


def one_standard_error_index(alphas, mse_path):
    """Index of the largest ``alpha`` whose mean CV error is within one standard error of
    the minimum (the one-standard-error rule of glmnet's ``lambda.1se``).

    Parameters
    ----------
    alphas : ndarray of shape (n_alphas,)
    mse_path : ndarray of shape (n_alphas, n_folds)

    Returns
    -------
    int

    Notes
    -----
    The standard error of the mean over ``K`` folds is ``std(ddof=1) / sqrt(K)`` at the
    ``alpha`` of least mean error (zero with a single fold).

    Examples
    --------
    >>> import numpy as np
    >>> alphas = np.array([1.0, 0.5, 0.25])
    >>> mse = np.array([[5.0, 5.0], [3.0, 3.1], [2.9, 3.1]])  # means 5.0, 3.05, 3.0
    >>> int(one_standard_error_index(alphas, mse))  # 3.05 <= 3.0 + 0.1 (standard error)
    1
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    mse_path = np.asarray(mse_path, dtype=np.float64)
    mean = mse_path.mean(axis=1)
    best = int(np.argmin(mean))
    n_folds = mse_path.shape[1]
    se = float(mse_path[best].std(ddof=1) / np.sqrt(n_folds)) if n_folds > 1 else 0.0
    within = np.flatnonzero(mean <= mean[best] + se)
    return int(within[np.argmax(alphas[within])])


def _fold_task(k, n_folds, X, y, sample_weight, train, test, alphas, settings, moments, progress):
    """Mean squared test error along the path of each l1_ratio, for fold ``k``: returns
    ``(k, mse of shape (n_l1_ratio, n_alphas), number of unconverged fits)``. Runs in a
    worker process when folds run in parallel (hence its own BLAS thread policy)."""
    with single_threaded_blas():
        return k, *_fold_errors(
            k,
            n_folds,
            X,
            y,
            sample_weight,
            train,
            test,
            alphas,
            settings,
            moments,
            progress,
        )


def _fold_errors(
    k, n_folds, X, y, sample_weight, train, test, alphas, settings, moments, progress
):
    """``path_errors`` of fold ``k``: its training problem from the training set's moments
    when given (``fold_moments``: its statistics, no rows gathered), else from its rows."""
    if moments is not None:
        problem = FitProblem.from_moments(moments, X.shape[1])
    else:
        sw_train = None if sample_weight is None else sample_weight[train]
        problem = FitProblem(
            X[train],
            y[train],
            sw_train,
            fit_intercept=settings.fit_intercept,
            parallel=settings.parallel_products,
        )
        if settings.precompute is True or (
            settings.precompute == "auto" and problem.workspace.gram_pays_along_path
        ):
            problem.workspace.precompute_gram()
    X_test, y_test = X[test], y[test]
    sw_test = None if sample_weight is None else sample_weight[test]

    def test_errors(coefs, intercepts):
        residues = np.asarray(X_test @ coefs) + intercepts - y_test[:, None]
        return np.average(residues**2, axis=0, weights=sw_test)

    return path_errors(k, n_folds, problem, test_errors, alphas, settings, progress)


def path_errors(k, n_folds, problem, test_errors, alphas, settings, progress):
    """The test errors of fold ``k``'s paths (``problem``: its training set;
    ``test_errors(coefs, intercepts)``: the mean squared error of each model on its test
    set): ``(mse of shape (n_l1_ratio, n_alphas), number of unconverged fits)``."""
    mse, n_failed = [], 0
    for penalty, grid in zip(settings.penalties, alphas, strict=True):
        l1_ratio = getattr(penalty, "l1_ratio", 1.0)
        label = f"fold {k + 1}/{n_folds}" + (f", l1_ratio={l1_ratio:g}" if l1_ratio < 1 else "")
        coefs, results = problem.path(
            penalty,
            grid,
            tol=settings.tol,
            max_iter=settings.max_iter,
            rng=None if settings.seeds is None else check_random_state(settings.seeds[k]),
            callback=progress.path_callback(label, grid),
        )
        n_failed += sum(not res.converged for res in results)
        mse.append(test_errors(coefs, problem.intercepts(coefs.T)))
    return np.array(mse), n_failed


def _run_folds(tasks, n_jobs):
    """Run the fold tasks, yielding their outputs as they finish.

    With ``n_jobs`` > 1 the folds run in ``n_jobs - 1`` worker processes (joblib's default
    backend: the solver is a Python loop, which threads would serialize on the interpreter
    lock) and in this process, which would otherwise wait: one process fewer to start
    and to send the data to. Folds are dealt out in turn, this process taking the first.
    """
    n_total = min(effective_n_jobs(n_jobs), len(tasks))
    if n_total <= 1:
        for function, args, kwargs in tasks:
            yield function(*args, **kwargs)
        return
    # joblib's reusable pool of worker processes: started once, kept for later fits
    executor = get_reusable_executor(max_workers=n_total - 1)
    pending = [
        executor.submit(function, *args, **kwargs)
        for i, (function, args, kwargs) in enumerate(tasks)
        if i % n_total
    ]
    for function, args, kwargs in tasks[::n_total]:
        yield function(*args, **kwargs)
    for future in as_completed(pending):
        yield future.result()


class ElasticNetCDCV(LinearRegressorBase):
    r"""Elastic net with the regularization chosen by cross-validation along a path.

    A drop-in for :class:`sklearn.linear_model.ElasticNetCV`: for each ``l1_ratio``, the
    objective of :class:`ElasticNetCD`

    .. math::

        \frac{1}{2 \sum_i s_i} \sum_i s_i (y_i - x_i^\top w - b)^2
        + \alpha \rho \|w\|_1 + \frac{\alpha (1 - \rho)}{2} \|w\|_2^2

    is solved along a grid of ``alpha`` on every training fold (warm starts, working sets,
    Gram blocks kept along the path; for dense data the folds' Gram matrices come from one
    product per fold). The ``(alpha, l1_ratio)`` with the least mean test error — or, with
    ``alpha_rule='1se'``, the largest ``alpha`` within one standard error of it — is then
    refitted on all the data.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        Mixing parameter(s) in ``[0, 1]`` (1 is the lasso); each gets its own path.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        Number of values of the automatic grid (computed per ``l1_ratio`` on all the data,
        as scikit-learn does), or the values themselves.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept (data are centred implicitly, per fold).
    precompute : 'auto', bool or array-like of shape (n_features, n_features), default='auto'
        ``True``: Gram matrices on every fold; ``'auto'``: shared fold Grams for dense data
        with ``n_samples >= n_features``, else the solver's own Gram-block cache; ``False``:
        the solver's cache only. A Gram matrix of all the data is checked and used for the
        final refit when ``fit_intercept=False`` (the folds form their own, as with
        ``'auto'``); when the data need centring it is recomputed with a warning, as in
        scikit-learn.
    max_iter : int, default=1000
        Maximum outer iterations per ``alpha``.
    tol : float, default=1e-4
        Stopping tolerance of every solve (scikit-learn's duality-gap rule).
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn: ``None`` is 5-fold ``KFold``.
    copy_X : bool, default=True
        Kept for compatibility: ``X`` is never modified.
    verbose : bool or int, default=0
        Progress reports: one line per fold (a line updating along the path on a terminal);
        ``> 1`` adds one line per ``alpha``.
    n_jobs : int, default=None
        Number of folds solved at once: in this process and ``n_jobs - 1`` worker
        processes of joblib's reusable pool (the solver is a Python loop, which threads
        would serialize on the interpreter lock). ``None`` or 1: one after the other. The
        first parallel fit of a session starts the workers (about a second); later fits
        reuse them. Results do not depend on ``n_jobs``.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state : int, RandomState instance or None, default=None
        Seed for the coordinate order when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Visit coordinates in order, or in a random permutation every epoch.
    alpha_rule : {'min', '1se'}, default='min'
        Refit at the ``alpha`` of least mean CV error (scikit-learn's choice), or at the
        largest ``alpha`` whose mean error is within one standard error of that minimum
        (glmnet's ``lambda.1se``: a sparser model, statistically as good).
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors of the penalty (glmnet's ``penalty.factor``, see
        :class:`ElasticNetCD`); the grid starts at the ``alpha_max`` of the penalized
        features, after the unpenalized ones are fitted.
    bounds : tuple (lower, upper), default=None
        Box constraints on the coefficients (see :class:`ElasticNetCD`).

    Attributes
    ----------
    alpha_ : float
        The ``alpha`` refitted (chosen by ``alpha_rule``).
    l1_ratio_ : float
        The ``l1_ratio`` of least mean CV error.
    alpha_min_ : float
        The ``alpha`` of least mean CV error (for ``l1_ratio_``).
    alpha_1se_ : float
        The largest ``alpha`` whose mean CV error is within one standard error of the
        minimum (for ``l1_ratio_``).
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grid(s), decreasing.
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
        Mean squared test error (weighted by ``sample_weight``) per fold.
    mse_std_path_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        Standard deviation of the test error over folds (``ddof=1``); divided by
        ``sqrt(n_folds)`` it is the standard error used by the one-standard-error rule.
    coef_ : ndarray of shape (n_features,)
        Coefficients of the refit at ``alpha_``.
    intercept_ : float
        Intercept of the refit (``0.0`` when ``fit_intercept=False``).
    dual_gap_ : float
        Duality gap of the refitted solution.
    n_iter_ : int
        Outer iterations of the refit.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``; only when ``X`` has string column names.

    See Also
    --------
    ElasticNetCD : The estimator at a given ``alpha``.
    enet_path : The path of one fit.
    sparsefit.plot.CVCurveDisplay : Plot the cross-validation curve.
    sklearn.linear_model.ElasticNetCV : The scikit-learn counterpart.

    Notes
    -----
    As in scikit-learn, each training fold is centred with its own (weighted) means, its
    weights rescaled to sum to its size, and the test error is the ``sample_weight``-weighted
    mean squared error on the fold; the CV error is the plain mean over folds.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsefit import ElasticNetCDCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 8))
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(60)
    >>> model = ElasticNetCDCV(l1_ratio=[0.5, 1.0], alphas=20, cv=3).fit(X, y)
    >>> model.mse_path_.shape
    (2, 20, 3)
    >>> bool(model.alpha_1se_ >= model.alpha_min_)
    True
    """

    _parameter_constraints: dict = {
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
        "eps": [Interval(Real, 0, None, closed="neither")],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "fit_intercept": ["boolean"],
        "precompute": [StrOptions({"auto"}), "boolean", "array-like"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "cv": ["cv_object"],
        "copy_X": ["boolean"],
        "verbose": ["verbose"],
        "n_jobs": [Integral, None],
        "positive": ["boolean"],
        "random_state": ["random_state"],
        "selection": [StrOptions({"cyclic", "random"})],
        "alpha_rule": [StrOptions({"min", "1se"})],
        "penalty_factor": ["array-like", None],
        "bounds": ["array-like", None],
    }

    def __init__(
        self,
        *,
        l1_ratio=0.5,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        cv=None,
        copy_X=True,
        verbose=0,
        n_jobs=None,
        positive=False,
        random_state=None,
        selection="cyclic",
        alpha_rule="min",
        penalty_factor=None,
        bounds=None,
    ):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.alpha_rule = alpha_rule
        self.penalty_factor = penalty_factor
        self.bounds = bounds

    def _l1_ratios(self):
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=np.float64)).ravel()
        if ratios.size == 0 or not np.all((ratios >= 0) & (ratios <= 1)):
            raise ValueError(f"l1_ratio must be in [0, 1], got {self.l1_ratio!r}.")
        return ratios

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Choose ``alpha`` (and ``l1_ratio``) by cross-validation, then refit on all data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (kept sparse when sparse).
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Used in every fit and to weight each fold's test error.
        **params : dict
            Passed to the CV splitter (e.g. ``groups``) when metadata routing is enabled
            (``sklearn.set_config(enable_metadata_routing=True)``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        _raise_for_params(params, self, "fit")
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight)
        if y.ndim > 1:
            if y.shape[1] > 1:
                raise ValueError(
                    f"{type(self).__name__} fits one target; y has {y.shape[1]} columns. For "
                    "multi-task outputs, use sklearn.linear_model.MultiTaskElasticNetCV, or "
                    "fit one model per column."
                )
            if getattr(X, "is_distributed", False):
                y = X.y = X.y[:, 0]  # (lazy)
            else:
                y = column_or_1d(y, warn=True)
        penalties = self._penalties(X.shape[1])
        if getattr(X, "is_distributed", False):
            if params:
                raise ValueError(
                    "With dask input the folds are KFold(cv) ranges of the row order: "
                    f"{sorted(params)} cannot be routed to a splitter."
                )
            return self._fit_distributed(X, y, penalties)
        problem = FitProblem(X, y, sample_weight, fit_intercept=self.fit_intercept)
        alphas = self._grids(problem, penalties)
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            split_params = routed.splitter.split
        else:
            split_params = {}
        folds = list(check_cv(self.cv).split(X, y, **split_params))
        precompute = self._precompute_mode(problem, X.dtype)
        parallel = self.n_jobs not in (None, 1)
        settings = self._settings(penalties, len(folds), precompute, parallel)
        progress = _Progress(
            type(self).__name__,
            self.verbose,
            alphas.shape[1],
            n_tasks=len(folds),
            sequential=not parallel,
        )
        moments, full = self._fold_moments(X, y, folds, sample_weight, precompute)
        mse = self._cross_validate(X, y, sample_weight, folds, alphas, settings, moments, progress)
        if full is not None:  # (the folds' moments merged: no product for the refit)
            problem.workspace.precompute_gram(full.least_squares(X.shape[1])[0])
        return self._refit(X, y, problem, penalties, alphas, mse, settings, progress)

    def _settings(self, penalties, n_folds, precompute="auto", parallel=False):
        return _FoldSettings(
            fit_intercept=self.fit_intercept,
            precompute=precompute,
            penalties=penalties,
            tol=self.tol,
            max_iter=self.max_iter,
            seeds=self._seeds(n_folds),
            parallel_products=not parallel,
        )

    def _fit_distributed(self, data, y, penalties):
        """Cross-validation of dask input from one pass: the moments of every fold
        (``_dask``), each training set's problem from the others' merged moments, each
        fold's test errors from its own, the refit from all of them merged."""
        from ._dask import GRAM_LIMIT, check_cv_folds, moments_pass
        from ._moments import merge_all

        p = data.n_features
        if p > GRAM_LIMIT:
            raise ValueError(
                f"{type(self).__name__} on dask input needs n_features <= {GRAM_LIMIT} (the "
                f"moments of every fold are formed); X has {p}. Fit LassoCD/ElasticNetCD "
                "at given alphas instead (their wide mode)."
            )
        n_folds, specs = check_cv_folds(self.cv, data.block_lengths())
        folds = moments_pass(data, self.fit_intercept, specs)
        problem = FitProblem.from_moments(merge_all(folds), p)
        alphas = self._grids(problem, penalties)
        settings = self._settings(penalties, n_folds)
        progress = _Progress(type(self).__name__, self.verbose, alphas.shape[1], n_tasks=n_folds)
        mse = np.empty((len(penalties), alphas.shape[1], n_folds))
        n_failed = 0
        for k in range(n_folds):
            train = FitProblem.from_moments(merge_all(folds[:k] + folds[k + 1 :]), p)
            test = folds[k]
            if test.weight == 0.0:
                raise ValueError(f"Fold {k + 1} has no sample of positive weight.")
            mse[:, :, k], failed = path_errors(
                k,
                n_folds,
                train,
                lambda coefs, b, test=test: test.mean_squared_errors(p, coefs.T, b),
                alphas,
                settings,
                progress,
            )
            n_failed += failed
            progress.task_done(f"fold {k + 1}/{n_folds}")
        self._warn_folds_failed(n_failed, n_folds * alphas.size)
        return self._refit(data, y, problem, penalties, alphas, mse, settings, progress)

    def _refit(self, X, y, problem, penalties, alphas, mse, settings, progress):
        """Choose alpha from the test errors ``mse``, refit on all the data, report."""
        best_ratio, best_alpha = self._choose(mse, alphas, penalties)
        refit_seed = None if settings.seeds is None else check_random_state(settings.seeds[-1])
        _, (refit,) = problem.path(
            penalties[best_ratio],
            [self.alpha_],
            tol=self.tol,
            max_iter=self.max_iter,
            rng=refit_seed,
        )
        self._set_results(X, y, problem, [refit])
        ratio = ""
        if len(penalties) > 1 or self.l1_ratio_ < 1:
            ratio = f", l1_ratio={self.l1_ratio_:g}"
        progress.report(
            f"chose alpha={self.alpha_:.4g}{ratio} (alpha_rule={self.alpha_rule!r}, mean CV "
            f"error {mse[best_ratio, best_alpha].mean():.4g}); refit on all the data: "
            f"{np.count_nonzero(self.coef_)} non-zero coefficients"
        )
        return self

    def _penalties(self, n_features):
        """The penalty of each ``l1_ratio``, at ``alpha = 1`` (checked factors and bounds)."""
        pf = check_penalty_factor(self.penalty_factor, n_features)
        bounds = None
        if self.bounds is not None:
            bounds = check_bounds(self.bounds, self.positive, n_features)
        options = {"penalty_factor": pf, "bounds": bounds, "positive": self.positive}
        return [L1L2(1.0, float(r), **options) for r in self._l1_ratios()]

    def _grids(self, problem, penalties):
        """The alpha grid of each penalty (computed on all the data, as scikit-learn does)."""
        if isinstance(self.alphas, Integral):
            return np.array(
                [
                    alpha_grid(
                        _path_alpha_max(problem, pen, pen.l1_ratio)[0], self.eps, self.alphas
                    )
                    for pen in penalties
                ]
            )
        return np.tile(_checked_alpha_array(self.alphas), (len(penalties), 1))

    def _cross_validate(self, X, y, sample_weight, folds, alphas, settings, moments, progress):
        """The test error of every fold along every path: (n_l1_ratio, n_alphas, n_folds)."""
        tasks = [
            delayed(_fold_task)(
                k,
                len(folds),
                X,
                y,
                sample_weight,
                train,
                test,
                alphas,
                settings,
                None if moments is None else moments[k],
                progress,
            )
            for k, (train, test) in enumerate(folds)
        ]
        outputs = [None] * len(folds)
        for k, fold_mse, fold_failed in _run_folds(tasks, self.n_jobs):
            outputs[k] = (fold_mse, fold_failed)
            progress.task_done(f"fold {k + 1}/{len(folds)}")
        self._warn_folds_failed(sum(out[1] for out in outputs), len(folds) * alphas.size)
        # (n_folds, n_l1_ratio, n_alphas) -> (n_l1_ratio, n_alphas, n_folds)
        return np.moveaxis(np.array([out[0] for out in outputs]), 0, 2)

    def _warn_folds_failed(self, n_failed, n_fits):
        if n_failed:
            warn_user(
                f"{type(self).__name__}: {n_failed} of the {n_fits} path fits did not "
                f"converge in max_iter={self.max_iter} iterations; the CV errors may be "
                "inaccurate. Increase max_iter or tol, or standardize the features.",
                ConvergenceWarning,
            )

    def _choose(self, mse, alphas, penalties):
        """Set the choice and the CV attributes; ``(best_ratio, best_alpha)`` indices."""
        mean = mse.mean(axis=2)
        best_ratio = int(np.argmin(mean.min(axis=1)))  # first l1_ratio on ties
        best_alpha = int(np.argmin(mean[best_ratio]))
        index_1se = one_standard_error_index(alphas[best_ratio], mse[best_ratio])
        self.l1_ratio_ = np.float64(penalties[best_ratio].l1_ratio)
        self.alpha_min_ = np.float64(alphas[best_ratio, best_alpha])
        self.alpha_1se_ = np.float64(alphas[best_ratio, index_1se])
        self.alpha_ = self.alpha_1se_ if self.alpha_rule == "1se" else self.alpha_min_
        squeeze = len(penalties) == 1
        std = mse.std(axis=2, ddof=1) if mse.shape[2] > 1 else np.zeros(mean.shape)
        # scikit-learn's shapes: no l1_ratio axis for one l1_ratio, no alpha axis for one
        # alpha
        shape = (slice(None),) * (0 if squeeze else 1) + ((0,) if alphas.shape[1] == 1 else ())
        self.mse_path_ = (mse[0] if squeeze else mse)[shape]
        self.mse_std_path_ = (std[0] if squeeze else std)[shape]
        if isinstance(self.alphas, Integral) and not squeeze:
            self.alphas_ = alphas
        else:
            self.alphas_ = alphas[0]
        return best_ratio, best_alpha

    def _seeds(self, n_folds):
        """Seeds of the folds' and the refit's coordinate orders (``selection='random'``)."""
        if self.selection != "random":
            return None
        rng = check_random_state(self.random_state)
        return rng.randint(np.iinfo(np.int32).max, size=n_folds + 1).tolist()

    def _precompute_mode(self, problem, dtype):
        """``precompute`` for the folds: ``'auto'``, True or False.

        A given Gram matrix is that of all the data: with ``fit_intercept=False`` it is
        checked and used for the final refit (each fold forms its own); when the data need
        centring it is recomputed with a warning, as in scikit-learn.
        """
        if isinstance(self.precompute, (str, bool, np.bool_)):
            return self.precompute
        problem.precompute(self.precompute, dtype, self.fit_intercept, False)
        return "auto"

    def _fold_moments(self, X, y, folds, sample_weight, precompute):
        """The moments of every training set and of all the data (dense data, ``precompute``
        allowing: the folds are then solved on their Gram matrices), else ``(None,
        None)``."""
        n_samples, n_features = X.shape
        if sp.issparse(X) or precompute is False:
            return None, None
        if precompute == "auto" and n_samples < n_features:
            return None, None
        if len(folds) * n_features**2 > _MAX_FOLD_GRAM_ENTRIES:
            return None, None
        tests = np.concatenate([test for _, test in folds])
        if tests.size != n_samples or np.unique(tests).size != n_samples:
            return None, None  # the test sets do not partition the samples
        out = fold_moments(X, y, folds, sample_weight, center=self.fit_intercept)
        return (None, None) if out is None else out

    def get_metadata_routing(self):
        """Get the metadata routing of this estimator.

        ``fit`` parameters such as ``groups`` go to the CV splitter.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter` encapsulating the
            routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = False
        return tags


class LassoCDCV(ElasticNetCDCV):
    r"""Lasso with ``alpha`` chosen by cross-validation along a path.

    A drop-in for :class:`sklearn.linear_model.LassoCV`: :class:`ElasticNetCDCV` with
    ``l1_ratio=1``, i.e. the objective of :class:`LassoCD`

    .. math::

        \frac{1}{2 \sum_i s_i} \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha \|w\|_1

    solved along a grid of ``alpha`` on every training fold; the ``alpha`` of least mean test
    error (or, with ``alpha_rule='1se'``, the largest within one standard error of it) is
    refitted on all the data.

    Parameters
    ----------
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        Number of values of the automatic grid (geometric, from ``alpha_max`` down), or the
        values themselves.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept (data are centred implicitly, per fold).
    precompute : 'auto', bool or array-like of shape (n_features, n_features), default='auto'
        Gram matrices on the folds; see :class:`ElasticNetCDCV`.
    max_iter : int, default=1000
        Maximum outer iterations per ``alpha``.
    tol : float, default=1e-4
        Stopping tolerance of every solve (scikit-learn's duality-gap rule).
    copy_X : bool, default=True
        Kept for compatibility: ``X`` is never modified.
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn: ``None`` is 5-fold ``KFold``.
    verbose : bool or int, default=False
        Progress reports; see :class:`ElasticNetCDCV`.
    n_jobs : int, default=None
        Number of folds solved at once (worker processes); see :class:`ElasticNetCDCV`.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state : int, RandomState instance or None, default=None
        Seed for the coordinate order when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Visit coordinates in order, or in a random permutation every epoch.
    alpha_rule : {'min', '1se'}, default='min'
        See :class:`ElasticNetCDCV`.
    penalty_factor : array-like of shape (n_features,), default=None
        See :class:`ElasticNetCDCV`.
    bounds : tuple (lower, upper), default=None
        See :class:`ElasticNetCDCV`.

    Attributes
    ----------
    alpha_ : float
        The ``alpha`` refitted (chosen by ``alpha_rule``).
    alpha_min_ : float
        The ``alpha`` of least mean CV error.
    alpha_1se_ : float
        The largest ``alpha`` whose mean CV error is within one standard error of the minimum.
    alphas_ : ndarray of shape (n_alphas,)
        The grid, decreasing.
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Mean squared test error (weighted by ``sample_weight``) per fold.
    mse_std_path_ : ndarray of shape (n_alphas,)
        Standard deviation of the test error over folds (``ddof=1``).
    coef_ : ndarray of shape (n_features,)
        Coefficients of the refit at ``alpha_``.
    intercept_ : float
        Intercept of the refit (``0.0`` when ``fit_intercept=False``).
    dual_gap_ : float
        Duality gap of the refitted solution.
    n_iter_ : int
        Outer iterations of the refit.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``; only when ``X`` has string column names.

    See Also
    --------
    LassoCD : The estimator at a given ``alpha``.
    lasso_path : The path of one fit.
    sparsefit.plot.CVCurveDisplay : Plot the cross-validation curve.
    sklearn.linear_model.LassoCV : The scikit-learn counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsefit import LassoCDCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 8))
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(60)
    >>> model = LassoCDCV(cv=3, alpha_rule="1se").fit(X, y)
    >>> bool(model.alpha_ == model.alpha_1se_ >= model.alpha_min_)
    True
    >>> model.coef_[:2].round(1)
    array([ 1., -2.])
    """

    _parameter_constraints: dict = {
        k: v for k, v in ElasticNetCDCV._parameter_constraints.items() if k != "l1_ratio"
    }

    def __init__(
        self,
        *,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        copy_X=True,
        cv=None,
        verbose=False,
        n_jobs=None,
        positive=False,
        random_state=None,
        selection="cyclic",
        alpha_rule="min",
        penalty_factor=None,
        bounds=None,
    ):
        super().__init__(
            l1_ratio=1.0,
            eps=eps,
            alphas=alphas,
            fit_intercept=fit_intercept,
            precompute=precompute,
            max_iter=max_iter,
            tol=tol,
            cv=cv,
            copy_X=copy_X,
            verbose=verbose,
            n_jobs=n_jobs,
            positive=positive,
            random_state=random_state,
            selection=selection,
            alpha_rule=alpha_rule,
            penalty_factor=penalty_factor,
            bounds=bounds,
        )

    def fit(self, X, y, sample_weight=None, **params):
        """Choose ``alpha`` by cross-validation, then refit on all data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (kept sparse when sparse).
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Used in every fit and to weight each fold's test error.
        **params : dict
            Passed to the CV splitter when metadata routing is enabled.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        super().fit(X, y, sample_weight, **params)
        del self.l1_ratio_  # as scikit-learn's LassoCV
        return self
