"""The estimators: LassoCD, ElasticNetCD and RidgeGD."""

import numpy as np
import scipy.sparse as sp

from ._base import (
    UNUSED,
    Integral,
    Interval,
    LinearRegressorBase,
    Real,
    StrOptions,
    _fit_context,
    check_random_state,
    warn_user,
)
from ._pipeline import fit_problem
from .penalties import L1, L1L2, L2, check_bounds, check_penalty_factor

__all__ = ["ElasticNetCD", "LassoCD", "RidgeGD"]

_RIDGE_MAX_ITER = 15000


class ElasticNetCD(LinearRegressorBase):
    r"""Elastic net by coordinate descent: a drop-in for :class:`sklearn.linear_model.ElasticNet`.

    Minimizes, over ``w`` and the (unpenalized) intercept ``b``,

    .. math::

        \frac{1}{2 \sum_i s_i} \sum_i s_i (y_i - x_i^\top w - b)^2
        + \alpha \rho \|w\|_1 + \frac{\alpha (1 - \rho)}{2} \|w\|_2^2

    with :math:`\rho` = ``l1_ratio`` and :math:`s` the sample weights (all ones by default).
    This is exactly scikit-learn's ``ElasticNet`` objective: the same ``alpha`` and
    ``l1_ratio`` give the same solution. With ``penalty_factor`` the penalty is
    :math:`\alpha \sum_j pf_j (\rho |w_j| + \frac{1 - \rho}{2} w_j^2)`, and ``bounds``
    restrict each :math:`w_j` to an interval containing 0.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularization strength, ``>= 0``. ``alpha=0`` is ordinary least squares (a warning
        suggests a better-suited estimator).
    l1_ratio : float, default=0.5
        Mixing parameter in ``[0, 1]``: 1 is the lasso, 0 is ridge.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept (data are centred implicitly; sparse X stays sparse).
    precompute : bool or array-like of shape (n_features, n_features), default=False
        Use the Gram matrix ``X^T X`` (computed once, or given) for every product. Pays off
        when ``n_samples >> n_features``. As in scikit-learn, a given matrix must be that of
        the data as the solver sees them (rows scaled by the square roots of the sample
        weights normalized to sum to ``n_samples``); it is used when the data need no
        centring (``fit_intercept=False``, or columns with zero mean) after a check on a
        random vector (a ``ValueError`` if it fails), and otherwise recomputed with a
        warning.
    copy_X : bool, default=True
        Kept for compatibility: ``X`` is never modified whatever its value.
    max_iter : int, default=1000
        Maximum number of outer iterations. Each evaluates the duality gap on all features,
        then solves a working-set subproblem by coordinate descent.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol * ||y_c||^2 / n_samples`` (see Notes).
    warm_start : bool, default=False
        Start from the previous ``coef_`` when its shape still fits the data.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state : int, RandomState instance or None, default=None
        Seed for the coordinate order when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Visit coordinates in order, or in a random permutation every epoch.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors ``pf_j >= 0`` multiplying the whole penalty of each feature, as
        glmnet's ``penalty.factor``: ``0`` leaves a feature unpenalized, ``inf`` excludes it
        (its coefficient is 0, the other features as if its column were absent). No
        rescaling (glmnet rescales the factors to sum to ``n_features``).
    bounds : tuple (lower, upper), default=None
        Box constraints ``lower <= coef_ <= upper``, each a scalar or an array of shape
        ``(n_features,)``, with ``lower <= 0 <= upper`` (glmnet's ``lower.limits`` and
        ``upper.limits``); ``+-inf`` allowed. ``positive=True`` is ``bounds=(0, inf)``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients (one row per target when ``y`` has several columns).
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept (``0.0`` when ``fit_intercept=False``).
    n_iter_ : int or list of int
        Outer iterations run (at least 1: the gap at the starting point is evaluated).
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gap of the returned solution, in the units of the objective above.
    sparse_coef_ : scipy.sparse.csr_matrix of shape (1, n_features) or (n_targets, n_features)
        ``coef_`` as a sparse CSR matrix.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` has string column names.

    See Also
    --------
    LassoCD : The Lasso, ``l1_ratio=1``.
    ElasticNetCDCV : ``alpha`` and ``l1_ratio`` chosen by cross-validation.
    enet_path : The solutions along a grid of ``alpha``.
    sklearn.linear_model.ElasticNet : The scikit-learn estimator of the same objective.

    Notes
    -----
    Stopping rule, identical to scikit-learn's: with :math:`\tilde y` the centred target
    scaled by :math:`\sqrt{s}` (weights rescaled to sum to ``n_samples``), the solver stops
    when the duality gap of the problem multiplied by ``n_samples`` is at most
    ``tol * ||ỹ||^2``; equivalently ``dual_gap_ <= tol * ||ỹ||^2 / n_samples``. Multi-output
    ``y`` fits each column as its own problem.

    A second rule stops the fit early when 10 outer iterations in a row have not halved the
    duality gap: this happens only when rounding keeps the gap above a very small ``tol``
    (near-duplicate columns, ``tol`` near machine precision). The best point seen is
    returned and a ``ConvergenceWarning`` reports its gap and the tolerance, as when
    ``max_iter`` is reached.

    The solver is coordinate descent with soft-thresholding on working sets of features (the
    support and the worst violators of the optimality conditions), with Gram-matrix updates
    and an exact solve on the identified support.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsefit import ElasticNetCD
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 5.0, 6.0])
    >>> model = ElasticNetCD(alpha=0.1, l1_ratio=0.5).fit(X, y)
    >>> model.predict([[4.0, 1.0]]).round(2)
    array([8.21])
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "precompute": ["boolean", "array-like"],
        "copy_X": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "positive": ["boolean"],
        "random_state": ["random_state"],
        "selection": [StrOptions({"cyclic", "random"})],
        "penalty_factor": ["array-like", None],
        "bounds": ["array-like", None],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=0.5,
        fit_intercept=True,
        precompute=False,
        copy_X=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        positive=False,
        random_state=None,
        selection="cyclic",
        penalty_factor=None,
        bounds=None,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.penalty_factor = penalty_factor
        self.bounds = bounds

    def _penalty(self, n_features):
        """The penalty object, its factors and bounds checked against ``n_features``."""
        return L1L2(self.alpha, self.l1_ratio, **self._penalty_options(n_features))

    def _penalty_options(self, n_features):
        pf = check_penalty_factor(self.penalty_factor, n_features)
        bounds = check_bounds(self.bounds, self.positive, n_features)
        if self.positive:  # (bounds checked against positive above)
            bounds = None if self.bounds is None else bounds
        return {"penalty_factor": pf, "bounds": bounds, "positive": self.positive}

    # check_input is an option of fit, not metadata to route (as in scikit-learn)
    __metadata_request__fit = {"check_input": UNUSED}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, check_input=True):
        """Fit the model by coordinate descent.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (kept sparse when sparse).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative weights (at least one positive); scaling them changes nothing.
        check_input : bool, default=True
            As in scikit-learn: ``False`` skips the validation of ``X`` and ``y`` (no pass
            over the data), for callers that validated them already. ``X`` must then be a
            float32 or float64 2-D ndarray (any memory order) or a CSR/CSC matrix, else a
            ValueError; it is never modified either way.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        given = not isinstance(self.precompute, (str, bool, np.bool_))
        if given:
            X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, check_input)
            check_finite = None
        else:  # (tall, narrow dense data: the solver forms the Gram matrix, which scans X)
            X, y, sample_weight, check_finite = self._validate_fit_data_gram_first(
                X, y, sample_weight, check_input
            )
        if self.alpha == 0:
            warn_user(
                "With alpha=0, this algorithm does not converge well. You are advised to use "
                f"the LinearRegression estimator (or RidgeGD with a small alpha): "
                f"{type(self).__name__} then fits ordinary least squares by coordinate "
                "descent.",
                UserWarning,
            )
        n_samples, n_features = X.shape
        penalty = self._penalty(n_features)
        problem = fit_problem(
            X,
            y,
            sample_weight,
            fit_intercept=self.fit_intercept,
            gram_first=not given,
            check_finite=check_finite,
            penalty=penalty if self.precompute is False and not self.warm_start else None,
        )
        auto = problem.workspace.gram_pays_along_path and n_samples > n_features
        problem.precompute(self.precompute, X.dtype, self.fit_intercept, auto)
        rng = check_random_state(self.random_state) if self.selection == "random" else None
        warm = self._warm_start_coef(problem.n_targets, n_features)
        results = problem.fit(penalty, tol=self.tol, max_iter=self.max_iter, warm=warm, rng=rng)
        self._set_results(X, y, problem, results)
        return self

    def _warm_start_coef(self, n_targets, n_features):
        if not self.warm_start or not hasattr(self, "coef_"):
            return None
        coef = (
            np.asarray(self.coef_, dtype=np.float64).reshape(-1, n_features)
            if np.size(self.coef_) == n_targets * n_features
            else None
        )
        if coef is None or coef.shape != (n_targets, n_features):
            return None  # the data changed shape: start cold
        return coef

    @property
    def sparse_coef_(self):
        """``coef_`` as a scipy.sparse CSR matrix."""
        return sp.csr_matrix(np.atleast_2d(self.coef_))


class LassoCD(ElasticNetCD):
    r"""Lasso by coordinate descent: a drop-in for :class:`sklearn.linear_model.Lasso`.

    Minimizes, over ``w`` and the (unpenalized) intercept ``b``,

    .. math::

        \frac{1}{2 \sum_i s_i} \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha \|w\|_1

    with :math:`s` the sample weights (all ones by default): exactly scikit-learn's ``Lasso``
    objective, so the same ``alpha`` gives the same solution. ``LassoCD`` is
    :class:`ElasticNetCD` with ``l1_ratio=1``.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularization strength, ``>= 0``. For ``alpha >= alpha_max =
        max_j |x_j^T y_c| / n_samples`` (centred data) every coefficient is zero.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept (data are centred implicitly).
    precompute : bool or array-like of shape (n_features, n_features), default=False
        Use the Gram matrix ``X^T X`` (computed once, or given); see :class:`ElasticNetCD`.
    copy_X : bool, default=True
        Kept for compatibility: ``X`` is never modified.
    max_iter : int, default=1000
        Maximum number of outer (working-set) iterations.
    tol : float, default=1e-4
        Stop when ``dual_gap_ <= tol * ||y_c||^2 / n_samples`` (scikit-learn's rule).
    warm_start : bool, default=False
        Start from the previous ``coef_`` when its shape still fits the data.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state : int, RandomState instance or None, default=None
        Seed for the coordinate order when ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Visit coordinates in order, or in a random permutation every epoch.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors of the penalty (glmnet's ``penalty.factor``; see
        :class:`ElasticNetCD`).
    bounds : tuple (lower, upper), default=None
        Box constraints on the coefficients (see :class:`ElasticNetCD`).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients (one row per target when ``y`` has several columns).
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept (``0.0`` when ``fit_intercept=False``).
    n_iter_ : int or list of int
        Outer iterations run (one per target when ``y`` has several columns).
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gap of the returned solution, in the units of the objective above.
    sparse_coef_ : scipy.sparse.csr_matrix
        ``coef_`` as a sparse CSR matrix.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``; only when ``X`` has string column names.

    See Also
    --------
    LassoCDCV : ``alpha`` chosen by cross-validation.
    lasso_path : The solutions along a grid of ``alpha``.
    sklearn.linear_model.Lasso : The scikit-learn estimator of the same objective.

    Notes
    -----
    See :class:`ElasticNetCD` for the stopping rule and the solver.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsefit import LassoCD
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 3.0, 5.0, 7.0])
    >>> model = LassoCD(alpha=0.1).fit(X, y)
    >>> model.coef_.round(3)
    array([1.92, 0.  ])
    """

    _parameter_constraints: dict = {
        k: v for k, v in ElasticNetCD._parameter_constraints.items() if k != "l1_ratio"
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        precompute=False,
        copy_X=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        positive=False,
        random_state=None,
        selection="cyclic",
        penalty_factor=None,
        bounds=None,
    ):
        super().__init__(
            alpha=alpha,
            l1_ratio=1.0,
            fit_intercept=fit_intercept,
            precompute=precompute,
            copy_X=copy_X,
            max_iter=max_iter,
            tol=tol,
            warm_start=warm_start,
            positive=positive,
            random_state=random_state,
            selection=selection,
            penalty_factor=penalty_factor,
            bounds=bounds,
        )

    def _penalty(self, n_features):
        return L1(self.alpha, **self._penalty_options(n_features))


class RidgeGD(LinearRegressorBase):
    r"""Ridge regression by gradient-family solvers, a drop-in for sklearn.linear_model.Ridge.

    Minimizes, over ``w`` and the (unpenalized) intercept ``b``,

    .. math::

        \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha \|w\|_2^2

    (scikit-learn's ``Ridge`` scaling: no ``1/n``, weights not normalized), so the same
    ``alpha`` gives the same solution. ``Ridge(alpha=a)`` equals
    ``ElasticNetCD(alpha=a / sum(s), l1_ratio=0)``.

    Parameters
    ----------
    alpha : float or ndarray of shape (n_targets,), default=1.0
        Regularization strength ``>= 0``; an array gives one penalty per target.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept (data are centred implicitly).
    copy_X : bool, default=True
        Kept for compatibility: ``X`` is never modified.
    max_iter : int or None, default=None
        Maximum number of iterations (None: 15000).
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol`` times the objective at ``w = 0``.
    solver : {'auto', 'cg', 'gd', 'agd'}, default='auto'
        'cg': conjugate gradient on the normal equations with a Jacobi preconditioner;
        'gd': gradient descent with step 1/L; 'agd': Nesterov's accelerated gradient with
        adaptive restart. 'auto' picks 'cg', or 'agd' (projected) when ``positive=True``.
        When ``n_samples >= n_features`` and ``n_features <= 2000`` the Gram matrix is formed
        once and every iteration costs ``O(n_features^2)``; wide data use the dual (kernel)
        system. With 'cg', a formed system of at most 1000 unknowns is first solved by a
        Cholesky factorization, kept when its duality gap meets ``tol``.
    positive : bool, default=False
        Constrain the coefficients to be non-negative (projected gradient; not with 'cg').
    random_state : int, RandomState instance or None, default=None
        Unused; kept for compatibility with ``Ridge``. The solvers are deterministic.
    penalty_factor : array-like of shape (n_features,), default=None
        Per-feature factors ``pf_j >= 0`` of the penalty, ``alpha * sum_j pf_j w_j^2``
        (generalized ridge): ``0`` leaves a feature unpenalized, ``inf`` excludes it.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients (one row per target when ``y`` has several columns).
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept (``0.0`` when ``fit_intercept=False``).
    n_iter_ : int or ndarray of shape (n_targets,)
        Iterations run (per target when ``y`` has several columns).
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gap of the returned solution in the units of the objective above.
    solver_ : str
        The solver used.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``; only when ``X`` has string column names.

    See Also
    --------
    RidgeGDCV : ``alpha`` chosen by leave-one-out or k-fold cross-validation.
    ElasticNetCD : With ``l1_ratio=0``, the same estimator in other units of ``alpha``.
    sklearn.linear_model.Ridge : The scikit-learn estimator of the same objective.

    Notes
    -----
    Stopping rule: ``dual_gap_ <= tol * sum_i s_i (y_i - ybar)^2`` (the objective at
    ``w = 0``), with the ridge duality gap at the dual point ``theta = residual``.

    Examples
    --------
    >>> import numpy as np
    >>> from sparsefit import RidgeGD
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 3.0, 5.0, 7.0])
    >>> RidgeGD(alpha=1.0, tol=1e-10).fit(X, y).coef_.round(3)
    array([ 1.636, -0.182])
    """

    _iterations_name = "The ridge solver's iterations"

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "fit_intercept": ["boolean"],
        "copy_X": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"auto", "cg", "gd", "agd"})],
        "positive": ["boolean"],
        "random_state": ["random_state"],
        "penalty_factor": ["array-like", None],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        copy_X=True,
        max_iter=None,
        tol=1e-4,
        solver="auto",
        positive=False,
        random_state=None,
        penalty_factor=None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state
        self.penalty_factor = penalty_factor

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the ridge model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (kept sparse when sparse).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : float or array-like of shape (n_samples,), default=None
            Non-negative weights (at least one positive).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y, sample_weight, check_finite = self._validate_fit_data_gram_first(X, y, sample_weight)
        solver = self.solver
        if solver == "auto":
            solver = "agd" if self.positive else "cg"
        elif solver == "cg" and self.positive:
            raise ValueError(
                "solver='cg' does not support positive=True; use solver='auto', 'gd' or 'agd'."
            )
        n_samples, n_features = X.shape
        Yt_shape_targets = 1 if y.ndim == 1 else y.shape[1]
        alphas = np.asarray(self.alpha, dtype=np.float64).ravel()
        if alphas.size == 1:
            alphas = np.repeat(alphas, Yt_shape_targets)
        elif alphas.size != Yt_shape_targets:
            raise ValueError(
                "Number of targets and number of penalties do not correspond: "
                f"{alphas.size} != {Yt_shape_targets}"
            )
        if np.any(alphas < 0) or not np.all(np.isfinite(alphas)):
            raise ValueError(f"alpha values must be finite and >= 0, got {self.alpha!r}.")
        # the iterative solvers multiply by X and X^T hundreds of times: sparse X goes to
        # CSR once (measured on news20: X @ v 0.77 ms against 1.34 ms for CSC, X^T @ u 0.87
        # against 1.14 ms), as scikit-learn's Ridge does; X itself is left as it is
        X_ops = X.tocsr() if sp.issparse(X) and X.format != "csr" else X
        problem = fit_problem(
            X_ops,
            y,
            sample_weight,
            fit_intercept=self.fit_intercept,
            mean=False,
            gram_first=True,
            check_finite=check_finite,
        )
        if n_samples >= n_features and n_features <= 2000:
            problem.workspace.precompute_gram()
        pf = check_penalty_factor(self.penalty_factor, n_features)
        # (one penalty object per distinct alpha: targets sharing it are solved together)
        distinct = {a: L2(a, penalty_factor=pf, positive=self.positive) for a in set(alphas)}
        penalties = [distinct[a] for a in alphas]
        max_iter = _RIDGE_MAX_ITER if self.max_iter is None else self.max_iter
        results = problem.fit_ridge(penalties, solver=solver, tol=self.tol, max_iter=max_iter)
        # dual_gap_ is in the units of the Ridge objective, twice the sum form
        self._set_results(X, y, problem, results, max_iter)
        if isinstance(self.n_iter_, list):
            self.n_iter_ = np.asarray(self.n_iter_)
        self.solver_ = solver
        return self
