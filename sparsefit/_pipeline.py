"""One fit pipeline: centre -> design -> solve -> attributes and warnings.

Every estimator, ``lasso_path``/``enet_path``, every cross-validation fold and refit, and the
regularization-path display fit through a :class:`FitProblem`: the data centred and
weighted once (``_data.center_data``), a design (dense, sparse or Gram-only) and its
workspace, the targets, and the :class:`~sparsefit._objective.LeastSquares` datafit that
converts the user's ``alpha``, ``tol`` and ``dual_gap_`` to and from the solvers' units.
Validation of the user's input happens before (``_base``); the solvers never see user
units.
"""

import numpy as np

from . import _tuning as tuning
from ._base import parallel_blas, single_threaded_blas, warn_user
from ._batched import applies as batched_applies
from ._batched import batched_starts
from ._cd import Target, enet_coordinate_descent
from ._data import GramDesign, Workspace, center_data, gram_pays_for_fit
from ._objective import LeastSquares
from ._path import alpha_grid, solve_lasso_path, solve_path
from ._ridge import ridge_solve_targets
from .penalties import SeparablePenalty

__all__ = ["FitProblem", "apply_precompute", "fit_problem"]

#: the unpenalized features are fitted to this relative gap before ``alpha_max`` is read
#: off their residual (the grid's first point must zero every penalized coefficient)
_UNPENALIZED_TOL = 1e-12


class FitProblem:
    """The centred, weighted least-squares problem of one dataset, ready for the solvers.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Validated (float32/float64, CSR/CSC).
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,) or None
    fit_intercept : bool
    mean : bool, default=True
        ``1/(2 sum(s)) sum s r^2`` (Lasso, ElasticNet; weights normalized to sum to
        ``n_samples``), or ``sum s r^2`` (Ridge; weights as given).
    parallel : bool, default=True
        Whether large products may use every BLAS thread (False inside parallel folds).
    gram_first : bool, default=False
        The fit forms the Gram matrix of tall, narrow dense data itself (not given one):
        centring forms it first and takes the columns' second moments from its diagonal
        (``center_data``).
    check_finite : callable, optional
        The scan of ``X`` for NaN and infinity that validation left to centring
        (``center_data``).
    penalty : penalty, optional
        With ``gram_first``, the penalty of a single fit of a 1-D ``y``: the Gram matrix is
        then formed only if it costs less than the fit's first working set as a block
        (``_GramJudge``).
    """

    def __init__(
        self,
        X,
        y,
        sample_weight,
        *,
        fit_intercept,
        mean=True,
        parallel=True,
        gram_first=False,
        check_finite=None,
        penalty=None,
    ):
        judge = None
        if gram_first is True and penalty is not None and np.ndim(y) == 1:
            # (not where the full matrix pays even with no violator: few features)
            if not gram_pays_for_fit(X.shape[1], 0):
                judge = gram_first = _GramJudge(penalty, *X.shape, mean)
        design, yt, x_offset, y_offset = center_data(
            X,
            y,
            sample_weight,
            fit_intercept,
            normalize_weights=mean,
            parallel=parallel_blas if parallel else None,
            gram_first=gram_first,
            check_finite=check_finite,
        )
        self._setup(design, yt.reshape(X.shape[0], -1), x_offset, y_offset, mean)
        if judge is not None and judge.product is not None:  # (``Xt^T yt`` from it)
            self._Xty = design.rmatvec(yt, product=judge.product).reshape(-1, 1)
            self.workspace.gram_declined = not judge.pays

    @classmethod
    def from_gram(cls, gram, Xty, yty, n_samples, x_offset, y_offset, mean=True):
        """A problem known by its statistics only (a Gram-only design)."""
        design = GramDesign(gram, n_samples, parallel_blas)
        return cls.from_design(design, Xty, yty, x_offset, y_offset, mean)

    @classmethod
    def from_design(cls, design, Xty, yty, x_offset, y_offset, mean=True):
        """A problem whose design has no samples here (Gram-only, or distributed): the
        targets enter by ``Xt^T yt`` (n_features, n_targets) and ``||yt||^2``."""
        self = cls.__new__(cls)
        self._setup(design, None, x_offset, y_offset, mean)
        self._Xty = np.asarray(Xty, dtype=np.float64).reshape(design.n_features, -1)
        self._yty = np.atleast_1d(np.asarray(yty, dtype=np.float64))
        return self

    @classmethod
    def from_moments(cls, moments, n_features, mean=True):
        """The problem of the rows summarized by ``moments`` (``_moments.Moments`` of
        ``[X | Y]``, the targets in the columns after ``n_features``)."""
        gram, Xty, yty, x_offset, y_offset = moments.least_squares(n_features, mean)
        if not moments.centred:
            x_offset, y_offset = np.zeros_like(x_offset), np.zeros_like(y_offset)
        return cls.from_gram(gram, Xty, yty, moments.count, x_offset, y_offset, mean)

    def _setup(self, design, Yt, x_offset, y_offset, mean):
        self.design = design
        self.workspace = Workspace(design)
        self.Yt = Yt
        self.x_offset, self.y_offset = x_offset, y_offset
        self.datafit = LeastSquares(design.n_samples, mean)
        self._Xty = None
        self._yty = None if Yt is None else np.einsum("ij,ij->j", Yt, Yt)

    @property
    def n_features(self):
        return self.design.n_features

    @property
    def n_targets(self):
        return self._yty.size

    @property
    def Xty(self):
        """``Xt^T yt`` for every target (one pass over X for all of them)."""
        if self._Xty is None:
            self._Xty = np.asarray(self.design.rmatvec(self.Yt)).reshape(self.n_features, -1)
        return self._Xty

    def target(self, k):
        yt = None if self.Yt is None else self.Yt[:, k]
        return Target(yt, lambda: self.Xty[:, k], float(self._yty[k]))

    def intercepts(self, coefs):
        """The optimal intercepts of coefficients ``coefs`` (n_targets, n_features)."""
        return np.atleast_1d(self.y_offset - np.asarray(coefs) @ self.x_offset)

    def precompute(self, precompute, dtype, fit_intercept, auto):
        """Form or take the Gram matrix as ``precompute`` asks (``apply_precompute``)."""
        apply_precompute(self.workspace, precompute, self.x_offset, fit_intercept, dtype, auto)

    # -- coordinate descent ----------------------------------------------------------------------
    def fit(self, penalty, *, tol, max_iter, warm=None, rng=None):
        """Solve every target at ``penalty`` (a ``sparsefit.penalties`` object): a list of
        ``CDResult`` (``warm``: starting points, one row per target, or None)."""
        solver_penalty = self.datafit.solver_penalty(penalty, self.n_features)
        if self.n_targets > 1 and self.workspace.gram_pays_along_path:
            # the targets' working sets together cover most features: one symmetric
            # product serves them all (blocks would be formed again and again)
            self.workspace.precompute_gram()
        with single_threaded_blas():
            rounds = np.zeros(self.n_targets, dtype=np.intp)
            batched = warm is None and max_iter > 1 and self._batch_applies(solver_penalty)
            if batched:
                warm, rounds = self._batched_starts(solver_penalty, max_iter - 1)
            results = [
                enet_coordinate_descent(
                    self.workspace,
                    self.target(k),
                    solver_penalty,
                    tol_abs=self.datafit.tol_abs(tol, self._yty[k]),
                    max_iter=max_iter - int(rounds[k]),  # (the batched rounds count)
                    w0=None if warm is None else warm[k],
                    rng=rng,
                    finish_warm=not batched,
                )
                for k in range(self.n_targets)
            ]
        for result, shared in zip(results, rounds, strict=True):
            result.n_iter += int(shared)  # (the batched rounds are outer iterations too)
        return results

    def _batch_applies(self, penalty):
        """Whether the targets start from the batched active-set search (``_batched``):
        several targets, tall data with the Gram matrix formed, an L1 weight on every
        feature and no bounds."""
        design = self.design
        return (
            self.n_targets > 1
            and self.workspace.full_gram is not None
            and design.n_samples >= design.n_features
            and batched_applies(penalty)
        )

    def _batched_starts(self, penalty, max_rounds):
        """The batched search's starting points (one row per target) and the rounds in
        which each target moved."""
        valid = (self.design.col_norms2 > 0.0) & ~penalty.excluded
        max_rounds = min(max_rounds, tuning.BATCHED_ROUNDS)
        W, rounds, _ = batched_starts(
            self.workspace.full_gram, self.Xty, penalty, valid, max_rounds
        )
        return W, rounds

    def path(self, penalty, alphas, *, tol, max_iter, k=0, w0=None, rng=None, callback=None):
        """The path of target ``k`` at every ``alpha`` (``penalty``: the penalty at
        ``alpha=1``, scaled along the grid): ``(coefs of shape (n_features, n_alphas),
        results)``."""
        unit = self.datafit.solver_penalty(penalty, self.n_features)
        tol_abs = self.datafit.tol_abs(tol, self._yty[k])
        with single_threaded_blas():
            exact = solve_lasso_path(
                self.workspace,
                self.target(k),
                unit,
                alphas,
                tol_abs,
                max_iter=max_iter,
                rng=rng,
                callback=callback,
            )
            if exact is not None:
                return exact
            penalties = [_scaled(unit, alpha) for alpha in alphas]
            return solve_path(
                self.workspace,
                self.target(k),
                penalties,
                self.datafit.tol_abs(tol, self._yty[k]),
                max_iter=max_iter,
                w0=w0,
                rng=rng,
                callback=callback,
            )

    def alpha_max(self, penalty, k=0):
        """glmnet's ``alpha_max`` of target ``k`` for ``penalty`` (its ``alpha`` is ignored):
        the smallest ``alpha`` at which every penalized coefficient is zero, after fitting
        the unpenalized features. Returns ``(alpha_max, w0)``, ``w0`` the point where only
        the unpenalized features are fitted (the path's natural start)."""
        unit = self.datafit.solver_penalty(penalty, self.n_features)
        target = self.target(k)
        w0 = np.zeros(self.n_features)
        pull = target.Xty
        if np.any(unit.unpenalized):
            penalized = ~unit.unpenalized
            lower, upper = unit.lower.copy(), unit.upper.copy()
            lower[penalized] = upper[penalized] = 0.0  # only the unpenalized features move
            free = SeparablePenalty(np.zeros_like(lower), np.zeros_like(lower), lower, upper)
            with single_threaded_blas():
                result = enet_coordinate_descent(
                    self.workspace,
                    target,
                    free,
                    tol_abs=self.datafit.tol_abs(_UNPENALIZED_TOL, target.yty),
                    max_iter=1000,
                )
            w0, pull = result.w, result.summaries[0]
        return self.datafit.alpha_max(penalty, pull), w0

    def alpha_grid(self, penalty, eps, n_alphas, k=0):
        """scikit-learn's grid of ``n_alphas`` values from ``alpha_max`` down (``eps``)."""
        alpha_max, _ = self.alpha_max(penalty, k)
        return alpha_grid(alpha_max, eps, n_alphas)

    # -- ridge -----------------------------------------------------------------------------------
    def fit_ridge(self, penalties, *, solver, tol, max_iter):
        """Solve target ``k`` at ``penalties[k]`` with the ridge solvers (targets at equal
        penalties together: ``ridge_solve_targets``)."""
        converted, keys, groups = {}, {}, {}  # (per penalty object: targets often share one)
        solver_penalties = []
        for k, pen in enumerate(penalties):
            if id(pen) not in converted:
                solved = self.datafit.solver_penalty(pen, self.n_features)
                converted[id(pen)] = solved
                keys[id(pen)] = tuple(v.tobytes() for v in (solved.l2, solved.lower, solved.upper))
            solver_penalties.append(converted[id(pen)])
            groups.setdefault(keys[id(pen)], []).append(k)
        results = [None] * self.n_targets
        with single_threaded_blas():
            for ks in groups.values():
                solved = ridge_solve_targets(
                    self.workspace,
                    [self.target(k) for k in ks],
                    solver_penalties[ks[0]],
                    solver=solver,
                    tol_abs=[self.datafit.tol_abs(tol, self._yty[k]) for k in ks],
                    max_iter=max_iter,
                )
                for k, result in zip(ks, solved, strict=True):
                    results[k] = result
        return results


class _GramJudge:
    """Whether a single fit forms the Gram matrix of its tall, narrow dense data first
    (``center_data``'s ``gram_first``), judged from ``X^T yt``: the features violating
    their optimality conditions at zero are the fit's first working set, and their block
    may cost less than the full matrix (``_data.gram_pays_for_fit``; measured on
    California's 20640 x 164 design, ElasticNet at alpha_max / 10: 84 violators, the fit
    16.0 against 21.3 ms). Keeps the product (``Xt^T yt`` follows from it)."""

    def __init__(self, penalty, n_samples, n_features, mean):
        self.unit = LeastSquares(n_samples, mean).solver_penalty(penalty, n_features)
        self.product = None
        self.pays = True

    def __call__(self, product):
        self.product = product
        score = self.unit.subdiff_distance(np.zeros(product.size), -product)
        violators = int(np.count_nonzero(score > 0))
        self.pays = gram_pays_for_fit(product.size, violators)
        return self.pays


def fit_problem(
    X,
    y,
    sample_weight,
    *,
    fit_intercept,
    mean=True,
    gram_first=False,
    check_finite=None,
    penalty=None,
):
    """The :class:`FitProblem` of validated data: in memory, or distributed (``X`` a
    ``_dask.DaskData``, which builds it from one pass over the cluster's blocks)."""
    if getattr(X, "is_distributed", False):
        return X.problem(fit_intercept, mean)
    return FitProblem(
        X,
        y,
        sample_weight,
        fit_intercept=fit_intercept,
        mean=mean,
        gram_first=gram_first,
        check_finite=check_finite,
        penalty=penalty,
    )


def _scaled(unit, alpha):
    """The solver penalty at ``alpha`` from its value at ``alpha = 1``."""
    return unit.scaled(alpha)


def apply_precompute(workspace, precompute, x_offset, fit_intercept, dtype, auto):
    """Give the workspace its Gram matrix as ``precompute`` asks, with scikit-learn's rules.

    ``True`` forms it, ``False`` does not, ``'auto'`` forms it when ``auto`` says so. A
    given matrix must be the Gram matrix of the centred, sqrt-weighted design: it is used
    when the data need no centring (``fit_intercept=False``, or column means already zero),
    after a check on a random vector (a ValueError if it fails); otherwise a UserWarning
    says it is recomputed (then as for ``'auto'``).
    """
    design = workspace.design
    if not design.has_samples:
        return  # statistics only: their Gram matrix is the data's (or formed on demand)
    if isinstance(precompute, str):
        if precompute != "auto":
            raise ValueError(
                f"precompute should be 'auto', a boolean or an array, got {precompute!r}."
            )
        if auto:
            workspace.precompute_gram()
        return
    if isinstance(precompute, (bool, np.bool_)):
        if precompute:
            workspace.precompute_gram()
        return
    gram = np.asarray(precompute, dtype=np.float64)
    p = design.n_features
    if gram.shape != (p, p):
        raise ValueError(
            f"precompute should be a Gram matrix of shape ({p}, {p}) (n_features, "
            f"n_features), got shape {gram.shape}."
        )
    if fit_intercept and not np.allclose(x_offset, 0.0):
        warn_user(
            "Gram matrix was provided but X was centered to fit intercept: recomputing "
            "Gram matrix.",
            UserWarning,
        )
        if auto:
            workspace.precompute_gram()
        return
    if not design.gram_matches(gram, rtol=1e-4 if dtype == np.float32 else 1e-7):
        raise ValueError(
            "Gram matrix passed in via 'precompute' parameter did not pass validation when "
            "checked against X on a random vector - please check that it was computed "
            "properly (X^T X of the centred X, rows scaled by the square roots of the "
            "sample weights normalized to sum to n_samples)."
        )
    workspace.precompute_gram(gram)
