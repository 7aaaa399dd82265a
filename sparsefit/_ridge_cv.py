"""RidgeGDCV: ridge regression with the regularization chosen by cross-validation.

With ``cv=None`` (the default) every alpha is scored by exact leave-one-out (LOO)
cross-validation at the cost of one symmetric eigendecomposition (or one SVD), as in
scikit-learn's ``RidgeCV``; with a ``cv`` it runs a grid search of :class:`RidgeGD`.

LOO algebra (Rifkin & Lippert, "Notes on regularized least squares", 2007). On the centred,
sqrt-weighted data ``Xt``, ``yt`` (see ``_data.py``), with ``K = Xt Xt^T``,
``G = K + alpha I`` and ``c = G^{-1} yt``, the leave-one-out residuals are ``c / diag(G^{-1})``
(scaled by ``sqrt(s)``). An unpenalized intercept subtracts ``s_i / (alpha sum(s))`` from
the diagonal. Two representations of ``G^{-1}`` cost ``O(n r)`` per alpha after the
decomposition:

* dual (``n <= p``, or ``gcv_mode='svd'`` on wide data): ``K = Q diag(L) Q^T`` and
  ``G^{-1} = Q diag(1 / (L + alpha)) Q^T``;
* primal (``n > p``): ``C = Xt^T Xt = V diag(L) V^T``, ``B = Xt V`` and
  ``alpha G^{-1} = I - B diag(1 / (L + alpha)) B^T`` (with ``gcv_mode='svd'``,
  ``B = U diag(sigma)``).

The returned coefficients are the closed-form ridge solution at the selected alpha, certified
by the ridge duality gap ``||Xt^T (yt - Xt w) - alpha w||^2 / alpha`` (the gap at the dual point
``theta = yt - Xt w``, in the units of the Ridge objective) and polished by iterative
refinement when that gap is not tiny.
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import check_scoring, get_scorer, get_scorer_names
from sklearn.model_selection import GridSearchCV
from sklearn.utils import check_scalar

from ._base import (
    Interval,
    LinearRegressorBase,
    MetadataRouter,
    MethodMapping,
    StrOptions,
    _fit_context,
    _raise_for_params,
    _routing_enabled,
    process_routing,
    warn_user,
)
from ._data import center_data, make_design
from ._moments import Moments
from ._pipeline import FitProblem
from .linear_model import _RIDGE_MAX_ITER as _RIDGE_REFIT_ITER
from .linear_model import RidgeGD
from .penalties import L2, check_penalty_factor

__all__ = ["RidgeGDCV"]

#: the returned solution is refined until ``dual_gap_ <= _GAP_TOL * sum_i s_i (y_i - ybar)^2``
#: (at most ``_MAX_REFINE`` refinement steps), and RidgeGD refits with ``tol=_GAP_TOL``
_GAP_TOL = 1e-12
_MAX_REFINE = 3


def _moment_score(test, n_features, coefs, intercepts, scoring):
    """The score of the models on a test fold from its moments (uniform average over
    targets): R^2, or minus the mean squared error."""
    p = n_features
    mse = np.array(
        [
            _target_moments(test, p, j).mean_squared_errors(p, coefs[j : j + 1], intercepts[j])[0]
            for j in range(coefs.shape[0])
        ]
    )
    if scoring == "neg_mean_squared_error":
        return -float(mse.mean())
    sst = np.diag(test.cross)[p:] / test.weight
    r2 = np.where(sst > 0, 1.0 - mse / np.where(sst > 0, sst, 1.0), np.where(mse > 0, 0.0, 1.0))
    return float(r2.mean())


def _target_moments(moments, p, j):
    """The moments of ``[X | y_j]`` of the moments of ``[X | Y]``."""
    keep = np.r_[np.arange(p), p + j]
    m = moments
    return Moments(
        m.count,
        m.weight,
        m.mean[keep],
        m.cross[np.ix_(keep, keep)],
        m.diag[keep],
        None,
        m.centred,
        m.mean_lo[keep],
    )


class _IdentityRegressor(RegressorMixin, BaseEstimator):
    """Stand-in estimator whose ``predict`` returns its input: lets a scorer score
    leave-one-out predictions."""

    def predict(self, y_predict):
        return y_predict


class _Partialled:
    """A design with the (centred, weighted) columns spanned by ``Q`` (orthonormal) projected
    out, ``M Xt`` with ``M = I - Q Q^T``: the unpenalized features of a generalized ridge,
    fitted exactly at every alpha, leave the others this problem (Frisch-Waugh-Lovell)."""

    sparse = False

    def __init__(self, design, Q):
        self.base, self.Q = design, Q
        self.n_samples, self.n_features = design.n_samples, design.n_features

    def _project(self, V):
        return V - self.Q @ (self.Q.T @ V)

    def matmat(self, W):
        return self._project(self.base.matmat(W))

    def rmatvec(self, v):
        return self.base.rmatvec(self._project(v))

    def kernel(self):
        K, Q = self.base.kernel(), self.Q
        KQ = K @ Q
        return K - Q @ KQ.T - KQ @ Q.T + Q @ (Q.T @ KQ) @ Q.T

    def full_gram(self):
        XtQ = self.base.rmatvec(self.Q)
        return self.base.full_gram() - XtQ @ XtQ.T


class _Factors:
    """The generalized ridge ``alpha sum_j pf_j w_j^2`` as a standard one: the penalized
    columns scaled by ``1 / sqrt(pf_j)``, the excluded ones (``inf``) dropped, the
    unpenalized ones (0) projected out (``_Partialled``); ``coef`` maps a solution back."""

    def __init__(self, design, Yt, pf):
        self.pf, self.p = pf, design.n_features
        self.P = np.flatnonzero(np.isfinite(pf) & (pf > 0))
        self.U = np.flatnonzero(pf == 0)
        self.root = np.sqrt(pf[self.P])
        X = design.X[:, self.P]
        X = X @ sp.diags(1.0 / self.root) if sp.issparse(X) else X / self.root
        offset = None if design.x_offset is None else design.x_offset[self.P] / self.root
        self.scaled = make_design(X, offset, design.sqrt_sw)
        self.design, self.Yt, self.hat = self.scaled, Yt, None
        if self.U.size:
            self.Q, self.R = np.linalg.qr(design.centred_columns(self.U))
            self.design = _Partialled(self.scaled, self.Q)
            self.Yt = Yt - self.Q @ (self.Q.T @ Yt)
            self.hat = np.einsum("ij,ij->i", self.Q, self.Q)  # diagonal of Q Q^T
        self.Yt_full = Yt

    def coef(self, W):
        """The coefficients of all features (p, n_targets) from the reduced problem's."""
        out = np.zeros((self.p, W.shape[1]))
        out[self.P] = W / self.root[:, None]
        if self.U.size:  # least squares on the unpenalized columns given the others
            rest = self.Yt_full - self.scaled.matmat(W)
            out[self.U] = np.linalg.lstsq(self.R, self.Q.T @ rest, rcond=None)[0]
        return out


def _check_gcv_mode(X, gcv_mode):
    """scikit-learn's choice: 'svd' for dense X when asked, else 'gram' (n <= p) or 'cov'."""
    if gcv_mode == "svd":
        if not sp.issparse(X):
            return "svd"
        warn_user(
            "The 'svd' mode is not supported for sparse X, we fallback to "
            "`gcv_mode='eigen'`. Passing `gcv_mode='svd'` on sparse X will raise "
            "an error in 1.11, use the default or pass `gcv_mode='eigen'` to "
            "suppress this warning.",
            FutureWarning,
        )
    n_samples, n_features = X.shape
    return "gram" if n_samples <= n_features else "cov"


class _Spectrum:
    """One decomposition of the centred, weighted design; ridge quantities for any alpha.

    ``kind='dual'``: ``basis = Q`` (n x n), ``K = Q diag(L) Q^T``.
    ``kind='primal'``: ``basis = V`` (p x r), ``C = V diag(L) V^T``, ``B = Xt V`` (n x r).
    """

    def __init__(self, design, Yt, mode, intercept_corr, removed=None):
        self.design = design
        self.Yt = Yt
        self.corr = intercept_corr  # s / sum(s) when fitting an intercept, else None
        n, p = design.n_samples, design.n_features
        if mode == "svd":
            Xt = design.matmat(np.eye(p)) if p else np.zeros((n, 0))
            U, sigma, Vt = np.linalg.svd(Xt, full_matrices=False)
            if n <= p:
                self.kind, self.Q, L = "dual", U, sigma**2
            else:
                self.kind, self.V, self.B, L = "primal", Vt.T, U * sigma, sigma**2
        elif mode == "gram":
            L, self.Q = _eigh_deflated(design.kernel(), removed)
            self.kind = "dual"
            if removed is not None:
                self.corr = None  # the removed directions are out of the basis, exactly
        else:
            L, self.V = np.linalg.eigh(design.full_gram())
            self.B = design.matmat(self.V)
            self.kind = "primal"
        self.L = np.maximum(L, 0.0)  # K and C are positive semi-definite
        if self.kind == "dual":
            self.QtY = self.Q.T @ Yt
            self.diag_basis = self.Q**2
        else:
            self.BtY = self.B.T @ Yt
            self.diag_basis = self.B**2

    def loo_residuals(self, alpha):
        """Leave-one-out residuals ``sqrt(s_i) (y_i - yhat_(-i))``, shape (n, n_targets)."""
        D = 1.0 / (self.L + alpha)
        if self.kind == "dual":
            c = self.Q @ (D[:, None] * self.QtY)
            d = self.diag_basis @ D
            if self.corr is not None:
                d = d - self.corr / alpha
        else:  # alpha c and alpha d
            c = self.Yt - self.B @ (D[:, None] * self.BtY)
            d = 1.0 - self.diag_basis @ D
            if self.corr is not None:
                d = d - self.corr
        with np.errstate(divide="ignore", invalid="ignore"):  # as scikit-learn: inf/nan
            return c / d[:, None]

    def coef(self, alpha, cols=slice(None)):
        """Ridge coefficients (p, n_targets) of the targets ``cols`` at ``alpha``."""
        D = 1.0 / (self.L + alpha)
        if self.kind == "dual":
            return self.design.rmatvec(self.Q @ (D[:, None] * self.QtY[:, cols]))
        return self.V @ (D[:, None] * self.BtY[:, cols])

    def solve(self, alpha, G):
        """``(Xt^T Xt + alpha I)^{-1} G`` for a block ``G`` of shape (p, k)."""
        D = 1.0 / (self.L + alpha)
        if self.kind == "dual":  # Woodbury: (G - Xt^T (K + alpha I)^{-1} Xt G) / alpha
            XG = self.design.matmat(G)
            return (G - self.design.rmatvec(self.Q @ (D[:, None] * (self.Q.T @ XG)))) / alpha
        VtG = self.V.T @ G
        out = self.V @ (D[:, None] * VtG)
        if self.V.shape[1] < self.V.shape[0]:
            out += (G - self.V @ VtG) / alpha
        return out


def _eigh_deflated(K, removed):
    """Eigendecomposition of the kernel ``K`` of a design from which the orthonormal
    columns ``removed`` (n x m: the sqrt-weight direction of the intercept, the unpenalized
    columns) were projected out, on the orthogonal complement of ``removed`` only.

    In exact arithmetic those directions are eigenvectors of eigenvalue 0, and the
    leave-one-out formulas cancel their ``1 / alpha`` terms exactly. The formed kernel has
    them at its rounding level instead (about ``eps ||K||``), and the cancellation leaves
    ``L_0 / alpha^2``, which small alphas amplify (measured: 0.9 % of the leave-one-out
    predictions at ``alpha = 1e-5``, 10 x 50 data). Decomposing ``Z^T K Z`` (``Z`` an
    orthonormal basis of the complement) keeps them out of the basis. Returns ``(L, Q)``
    with ``Q`` of shape (n, n - m) (``(n, n)`` when nothing was removed).
    """
    if removed is None or removed.shape[1] == 0:
        return np.linalg.eigh(K)
    m = removed.shape[1]
    Z = np.linalg.qr(removed, mode="complete")[0][:, m:]
    L, U = np.linalg.eigh(Z.T @ K @ Z)
    return L, Z @ U


def _ridge_gradient(design, Yt, W, alphas):
    """``Xt^T (Yt - Xt W) - alpha W`` per column (minus half the Ridge gradient)."""
    R = Yt - design.matmat(W)
    return design.rmatvec(R) - W * alphas


class RidgeGDCV(LinearRegressorBase):
    r"""Ridge regression with built-in cross-validation of ``alpha``.

    A drop-in for :class:`sklearn.linear_model.RidgeCV`. For each candidate
    :math:`\alpha` the model is the Ridge (and :class:`sparsefit.RidgeGD`) solution of

    .. math::

        \min_{w,\,b}\; \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha \|w\|_2^2

    with :math:`s` the sample weights (all ones by default) and the intercept :math:`b` not
    penalized. ``alpha`` means exactly what it means for ``Ridge`` and ``RidgeGD``:
    ``RidgeGDCV(alphas=a)`` chooses among the problems of ``Ridge(alpha=a_k)``.

    With ``cv=None`` (default), every alpha is scored by exact, efficient leave-one-out
    cross-validation: one eigendecomposition of ``X X^T`` (``n_samples <= n_features``) or of
    ``X^T X`` (otherwise) of the centred, sqrt-weighted data serves all alphas; sparse ``X``
    is centred implicitly and never densified. With a ``cv``, a grid search of
    :class:`sparsefit.RidgeGD` over ``alphas`` is run and the best alpha refitted on all data.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,) or float, default=(0.1, 1.0, 10.0)
        Values of alpha to try. Must be strictly positive with ``cv=None``, non-negative
        otherwise.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    scoring : str, callable or None, default=None
        Scorer used to compare alphas. ``None``: negative mean squared error of the
        (sqrt-weighted) leave-one-out residuals when ``cv=None``, the estimator's ``score``
        (:math:`R^2`) otherwise. With ``cv=None``, a scorer is evaluated on the leave-one-out
        predictions (and given ``sample_weight``), as in scikit-learn.
    cv : int, cross-validation generator, iterable or None, default=None
        ``None`` for efficient leave-one-out; otherwise any ``cv`` accepted by
        :class:`sklearn.model_selection.GridSearchCV` (an int means ``KFold``).
    gcv_mode : {'auto', 'svd', 'eigen'} or None, default=None
        Leave-one-out strategy: ``'auto'``/``'eigen'``/``None`` use the eigendecomposition
        of ``X X^T`` or ``X^T X`` (whichever is smaller), ``'svd'`` the SVD of (dense) ``X``;
        sparse ``X`` falls back to ``'eigen'`` with a ``FutureWarning``, as scikit-learn.
    store_cv_results : bool, default=False
        Store the leave-one-out values in ``cv_results_`` (only with ``cv=None``).
    alpha_per_target : bool, default=False
        Choose alpha for each target separately (only with ``cv=None``).
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors ``pf_j >= 0`` of the penalty, ``alpha * sum_j pf_j w_j^2``
        (generalized ridge): ``0`` leaves a feature unpenalized (with ``cv=None`` it is
        fitted exactly at every alpha, as the intercept is), ``inf`` excludes it.

    Attributes
    ----------
    alpha_ : float or ndarray of shape (n_targets,)
        Selected alpha (one per target when ``alpha_per_target=True`` and ``y`` has several
        columns).
    best_score_ : float or ndarray of shape (n_targets,)
        Cross-validation score of the selected alpha (per target likewise).
    cv_results_ : ndarray of shape (n_samples, n_alphas) or (n_samples, n_targets, n_alphas)
        Only when ``store_cv_results=True``: the squared (sqrt-weighted) leave-one-out errors
        if ``scoring=None``, else the leave-one-out predictions.
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Ridge solution at ``alpha_``.
    intercept_ : float or ndarray of shape (n_targets,)
        ``0.0`` when ``fit_intercept=False``.
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gap of the returned solution, in the units of the objective above (the
        certificate: at most ``1e-12`` times the objective at ``w = 0`` unless the data are
        numerically singular; for ``cv`` given, that of the :class:`RidgeGD` refit).
    n_iter_ : int or list of int
        Iterations spent on the returned solution: refinement steps of the closed form
        (``0`` when it was certified as computed), or the iterations of the :class:`RidgeGD`
        refit where one was run (``alpha_ == 0``, dask input: one per target there).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` has string column names.

    See Also
    --------
    RidgeGD : The estimator at a given ``alpha``.
    sklearn.linear_model.RidgeCV : The scikit-learn counterpart.

    Notes
    -----
    Leave-one-out scores follow scikit-learn exactly: with ``scoring=None`` the score is
    ``-mean_i s_i (y_i - yhat_(-i))^2`` (the mean over samples, the weights not normalized),
    so with sample weights the selected alpha may differ from that of a ``cv`` grid search,
    whose fold scores are unweighted. With ``cv=None`` the coefficients are the closed-form
    solution from the decomposition, refined until the duality gap is at most ``1e-12`` times
    the objective at zero; with a ``cv`` they come from ``RidgeGD(tol=1e-12)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsefit._ridge_cv import RidgeGDCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((15, 8))
    >>> y = X @ rng.standard_normal(8) + 2 * rng.standard_normal(15)
    >>> model = RidgeGDCV(alphas=[0.1, 1.0, 10.0, 100.0]).fit(X, y)
    >>> model.alpha_
    10.0
    >>> round(float(model.best_score_), 3)  # minus the mean squared leave-one-out error
    -7.398
    >>> bool(model.dual_gap_ < 1e-12 * np.sum((y - y.mean()) ** 2))  # certified solution
    True
    """

    _iterations_name = "The ridge solver's iterations"

    _parameter_constraints: dict = {
        "alphas": ["array-like", Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "cv": ["cv_object"],
        "gcv_mode": [StrOptions({"auto", "svd", "eigen"}), None],
        "store_cv_results": ["boolean"],
        "alpha_per_target": ["boolean"],
        "penalty_factor": ["array-like", None],
    }

    def __init__(
        self,
        alphas=(0.1, 1.0, 10.0),
        *,
        fit_intercept=True,
        scoring=None,
        cv=None,
        gcv_mode=None,
        store_cv_results=False,
        alpha_per_target=False,
        penalty_factor=None,
    ):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target
        self.penalty_factor = penalty_factor

    def _checked_alphas(self):
        """The alphas as floats, each checked with scikit-learn's messages."""
        raw = self.alphas
        values = [raw] if np.ndim(raw) == 0 else list(np.asarray(raw, dtype=object).ravel())
        if not values:
            raise ValueError("alphas must contain at least one value.")
        bounds = "neither" if self.cv is None else "left"  # LOO needs alpha > 0
        out = []
        for index, alpha in enumerate(values):
            name = "alphas" if len(values) == 1 else f"alphas[{index}]"
            check_scalar(alpha, name, target_type=Real, min_val=0.0, include_boundaries=bounds)
            if not np.isfinite(alpha):
                raise ValueError(f"{name} == {alpha}, must be finite.")
            out.append(float(alpha))
        return out

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Fit the ridge model, choosing alpha by cross-validation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (kept sparse when sparse).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative weights (at least one positive). With ``cv=None`` they also weight
            the leave-one-out score (see Notes).
        **params : dict
            With metadata routing enabled (``sklearn.set_config(enable_metadata_routing=
            True)``), passed to the CV splitter (e.g. ``groups``) and the scorer, as for
            scikit-learn's ``RidgeCV``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        _raise_for_params(params, self, "fit")
        alphas = self._checked_alphas()
        if self.cv is not None:
            if self.store_cv_results:
                raise ValueError("cv!=None and store_cv_results=True are incompatible")
            if self.alpha_per_target:
                raise ValueError("cv!=None and alpha_per_target=True are incompatible")
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight)
        if getattr(X, "is_distributed", False):
            self._fit_distributed(X, y, alphas, params)
            return self
        if self.cv is None:
            if _routing_enabled():
                routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
                score_params = routed.scorer.score
            else:
                score_params = {} if sample_weight is None else {"sample_weight": sample_weight}
            self._fit_loo(X, y, sample_weight, alphas, score_params)
        else:
            self._fit_grid(X, y, sample_weight, alphas, params)
        return self

    def get_metadata_routing(self):
        """Get the metadata routing of this estimator.

        ``fit`` parameters go to the CV splitter (e.g. ``groups``) and to the scorer, as
        for scikit-learn's ``RidgeCV``.

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
                scorer=self._get_scorer(),
                method_mapping=MethodMapping().add(caller="fit", callee="score"),
            )
            .add(
                splitter=self.cv,
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        )

    def _get_scorer(self):
        """The scorer; with routing and ``scoring=None``, R^2 requesting the sample weights
        (so that weights passed to ``fit`` weight the scores, as in scikit-learn)."""
        if _routing_enabled() and self.scoring is None:
            return get_scorer("r2").set_score_request(sample_weight=True)
        return check_scoring(self, scoring=self.scoring, allow_none=True)

    # -- k-fold: grid search of RidgeGD, then the exact solution at alpha_ --------------------
    def _fit_grid(self, X, y, sample_weight, alphas, params):
        estimator = RidgeGD(
            fit_intercept=self.fit_intercept, tol=_GAP_TOL, penalty_factor=self.penalty_factor
        )
        scoring = self.scoring
        if _routing_enabled():
            estimator.set_fit_request(sample_weight=True)
            scoring = self._get_scorer()
        search = GridSearchCV(
            estimator, {"alpha": alphas}, cv=self.cv, scoring=scoring, refit=False
        )
        fit_params = dict(params)
        if sample_weight is not None:
            fit_params["sample_weight"] = sample_weight
        search.fit(X, y, **fit_params)
        self.alpha_ = float(search.best_params_["alpha"])
        self.best_score_ = search.best_score_
        if self.alpha_ == 0.0:  # least squares: no closed form through (L + alpha)^-1
            best = RidgeGD(
                alpha=0.0,
                fit_intercept=self.fit_intercept,
                tol=_GAP_TOL,
                penalty_factor=self.penalty_factor,
            )
            best.fit(X, y, sample_weight=sample_weight)
            self.coef_ = best.coef_
            self.intercept_ = best.intercept_ if self.fit_intercept else 0.0
            self.dual_gap_ = best.dual_gap_
            self.n_iter_ = best.n_iter_
            return
        out_dtype = X.dtype
        if not sp.issparse(X):
            X = np.asarray(X, dtype=np.float64)
        design, yt, x_offset, y_offset = center_data(
            X, y, sample_weight, self.fit_intercept, normalize_weights=False
        )
        Yt = yt.reshape(X.shape[0], -1)
        factors = self._factors(design, Yt)
        if factors is not None:
            design, Yt = factors.design, factors.Yt
        spectrum = _Spectrum(design, Yt, _check_gcv_mode(X, None), None)
        self._set_solution_at(spectrum, Yt, self.alpha_, x_offset, y_offset, out_dtype, factors)

    # -- dask input: k-fold from one pass of moments -------------------------------------------
    def _fit_distributed(self, data, y, alphas, params):
        """k-fold cross-validation of dask input from the moments of every fold (one pass):
        each training set's ridge solved on its merged moments, scored from the test
        fold's moments (R^2 or mean squared error, weighted as ``GridSearchCV`` weights
        them), then the refit on all of them."""
        from ._dask import GRAM_LIMIT, check_cv_folds, moments_pass
        from ._moments import merge_all

        if self.cv is None:
            raise ValueError(
                "Leave-one-out (cv=None) is not available for dask input: it needs every "
                "sample's residual. Pass cv=5 (k-fold from one pass over the data)."
            )
        scoring = "r2" if self.scoring is None else self.scoring
        if scoring not in ("r2", "neg_mean_squared_error") or params:
            raise ValueError(
                "With dask input RidgeGDCV scores folds from their moments: scoring must be "
                f"None, 'r2' or 'neg_mean_squared_error' (got {self.scoring!r}), and no "
                "parameters can be routed."
            )
        p = data.n_features
        if p > GRAM_LIMIT:
            raise ValueError(
                f"RidgeGDCV on dask input needs n_features <= {GRAM_LIMIT}; X has {p}."
            )
        n_folds, specs = check_cv_folds(self.cv, data.block_lengths())
        folds = moments_pass(data, self.fit_intercept, specs)
        alphas = np.asarray(alphas, dtype=np.float64)
        scores = np.empty((alphas.size, n_folds))
        for k in range(n_folds):
            train = FitProblem.from_moments(merge_all(folds[:k] + folds[k + 1 :]), p, False)
            for i, alpha in enumerate(alphas):
                coefs, intercepts = self._moments_fit(train, alpha)
                scores[i, k] = _moment_score(folds[k], p, coefs, intercepts, scoring)
        mean = scores.mean(axis=1)
        best = int(np.argmax(mean))
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(mean[best])
        problem = FitProblem.from_moments(merge_all(folds), p, False)
        results = self._moments_fit(problem, self.alpha_, records=True)
        self._set_results(data, y, problem, results, max_iter=_RIDGE_REFIT_ITER)

    def _moments_fit(self, problem, alpha, records=False):
        """The ridge solution of every target of a Gram-only problem at ``alpha``: solver
        records, or ``(coefs (n_targets, n_features), intercepts)``."""
        pf = check_penalty_factor(self.penalty_factor, problem.n_features)
        penalties = [L2(alpha, penalty_factor=pf)] * problem.n_targets
        results = problem.fit_ridge(
            penalties, solver="cg", tol=_GAP_TOL, max_iter=_RIDGE_REFIT_ITER
        )
        if records:
            return results
        coefs = np.array([res.w for res in results])
        intercepts = problem.intercepts(coefs) if self.fit_intercept else np.zeros(len(coefs))
        return coefs, intercepts

    # -- leave-one-out -----------------------------------------------------------------------
    def _fit_loo(self, X, y, sample_weight, alphas, score_params):
        out_dtype = X.dtype
        if not sp.issparse(X):
            X = np.asarray(X, dtype=np.float64)
        n_samples = X.shape[0]
        if self.fit_intercept:
            n_used = n_samples if sample_weight is None else int(np.count_nonzero(sample_weight))
            if n_used < 2:
                raise ValueError(
                    "Leave-one-out cross-validation (cv=None) with fit_intercept=True needs "
                    "at least 2 samples with non-zero weight; got "
                    f"{n_used} sample{'s' if n_used != 1 else ''}."
                )
        mode = _check_gcv_mode(X, self.gcv_mode)
        design, yt, x_offset, y_offset = center_data(
            X, y, sample_weight, self.fit_intercept, normalize_weights=False
        )
        Yt = yt.reshape(n_samples, -1)
        n_y = Yt.shape[1]
        corr = removed = None  # the leave-one-out correction of unpenalized directions
        if self.fit_intercept:
            s = np.ones(n_samples) if sample_weight is None else sample_weight
            corr = s / s.sum()
            removed = np.sqrt(corr)[:, None]  # the intercept's direction, sqrt(s) / |sqrt(s)|
        factors = self._factors(design, Yt)
        if factors is not None:  # generalized ridge: a standard one on transformed columns
            design, Yt = factors.design, factors.Yt
            if factors.hat is not None:  # unpenalized columns: fitted like the intercept
                corr = factors.hat if corr is None else corr + factors.hat
                removed = factors.Q if removed is None else np.column_stack([removed, factors.Q])
        spectrum = _Spectrum(design, Yt, mode, corr, removed)
        scorer = None if self.scoring is None else check_scoring(self, scoring=self.scoring)
        per_target = self.alpha_per_target and n_y > 1

        cv_results = np.empty((n_samples, n_y, len(alphas))) if self.store_cv_results else None
        best_score = best_alpha = None
        for i, alpha in enumerate(alphas):
            looe = spectrum.loo_residuals(alpha)
            if scorer is None:
                values = looe**2
                score = -values.mean(axis=0) if self.alpha_per_target else -values.mean()
                if y.ndim == 1 and np.ndim(score):
                    score = score[0]
            else:
                values = self._loo_predictions(
                    X, Yt, looe, spectrum, alpha, factors, x_offset, y_offset, sample_weight
                )
                score = self._score(scorer, values, y, score_params)
            if cv_results is not None:
                cv_results[:, :, i] = values
            if best_score is None:
                best_score = np.reshape(score, -1).copy() if per_target else score
                best_alpha = np.full(n_y, alpha) if per_target else alpha
            elif per_target:
                better = score > best_score
                best_score[better] = score[better]
                best_alpha[better] = alpha
            elif score > best_score:
                best_score, best_alpha = score, alpha
        self.alpha_ = best_alpha
        self.best_score_ = best_score

        self._set_solution_at(spectrum, Yt, best_alpha, x_offset, y_offset, out_dtype, factors)
        if cv_results is not None:
            shape = (n_samples, len(alphas)) if y.ndim == 1 else cv_results.shape
            self.cv_results_ = cv_results.reshape(shape).astype(out_dtype)

    def _factors(self, design, Yt):
        """The ``_Factors`` reduction of a generalized ridge (None without factors)."""
        pf = check_penalty_factor(self.penalty_factor, design.n_features)
        return None if pf is None else _Factors(design, Yt, pf)

    def _set_solution_at(self, spectrum, Yt, alpha, x_offset, y_offset, out_dtype, factors):
        """Store the certified ridge solution at ``alpha`` (a float or one per target)."""
        design = spectrum.design
        n_y = Yt.shape[1]
        target_alphas = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (n_y,))
        W = np.empty((design.n_features, n_y))
        for a in np.unique(target_alphas):
            cols = np.flatnonzero(target_alphas == a)
            W[:, cols] = spectrum.coef(a, cols)
        W, gaps, self.n_iter_ = self._refine(spectrum, design, Yt, W, target_alphas)
        coef = (W if factors is None else factors.coef(W)).T
        if n_y == 1:
            coef = coef[0]
        if self.fit_intercept:
            self.intercept_ = (y_offset - x_offset @ coef.T).astype(out_dtype)
        else:
            self.intercept_ = 0.0
        self.coef_ = coef.astype(out_dtype)
        self.dual_gap_ = gaps.astype(out_dtype)[0] if n_y == 1 else gaps.astype(out_dtype)

    @staticmethod
    def _refine(spectrum, design, Yt, W, alphas):
        """Certify ``W`` by its duality gap; refine it while the gap is above ``_GAP_TOL``."""
        tol_abs = _GAP_TOL * np.einsum("ij,ij->j", Yt, Yt)
        grad = _ridge_gradient(design, Yt, W, alphas)
        gaps = np.einsum("ij,ij->j", grad, grad) / alphas
        steps = 0
        for _ in range(_MAX_REFINE):
            todo = np.flatnonzero(gaps > tol_abs)
            if todo.size == 0:
                break
            W_new = W.copy()
            for alpha in np.unique(alphas[todo]):
                cols = todo[alphas[todo] == alpha]
                W_new[:, cols] += spectrum.solve(alpha, grad[:, cols])
            grad_new = _ridge_gradient(design, Yt, W_new, alphas)
            gaps_new = np.einsum("ij,ij->j", grad_new, grad_new) / alphas
            better = gaps_new < gaps
            if not np.any(better):
                break
            W[:, better] = W_new[:, better]
            grad[:, better] = grad_new[:, better]
            gaps[better] = gaps_new[better]
            steps += 1
        # ||Xt^T R - alpha w||^2 / alpha: the gap in Ridge-objective units
        return W, gaps, steps

    @staticmethod
    def _loo_predictions(X, Yt, looe, spectrum, alpha, factors, x_offset, y_offset, sw):
        """Leave-one-out predictions on the original scale, shape (n, n_targets)."""
        pred = Yt - looe
        if sw is not None:
            positive = sw > 0
            pred[positive] /= np.sqrt(sw[positive])[:, None]
            zero = np.flatnonzero(~positive)
            if zero.size:  # a zero-weight sample's LOO model is the full model
                W = spectrum.coef(alpha)
                W = W if factors is None else factors.coef(W)
                pred[zero] = np.asarray(X[zero] @ W) - x_offset @ W
        return pred + y_offset

    def _score(self, scorer, pred, y, params):
        identity = _IdentityRegressor()
        if y.ndim == 1:
            return scorer(identity, pred[:, 0], y, **params)
        if self.alpha_per_target:
            return np.array(
                [scorer(identity, pred[:, j], y[:, j], **params) for j in range(y.shape[1])]
            )
        return scorer(identity, pred, y, **params)
