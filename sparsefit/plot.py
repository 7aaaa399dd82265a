"""Plots of regularization paths and cross-validation curves (scikit-learn's Display API).

Two display classes, built like scikit-learn's ``PredictionErrorDisplay``: the constructor
stores the data, :meth:`plot` draws it (on a given ``ax`` or a new figure) and returns the
display with the artists as attributes, and ``from_*`` class methods compute the data first.

* :class:`RegularizationPathDisplay`: every coefficient against ``alpha``
  (``from_estimator`` solves the path with :func:`sparsefit.enet_path`).
* :class:`CVCurveDisplay`: the mean cross-validated error of :class:`sparsefit.LassoCDCV` or
  :class:`sparsefit.ElasticNetCDCV` against ``alpha``, one standard error either side, with
  ``alpha_min_`` and ``alpha_1se_`` marked.

``alpha`` is on a log scale and **decreases from left to right** (as in glmnet's plots and
scikit-learn's path examples): the model grows from all-zero coefficients on the left to the
least regularized fit on the right. Pass ``decreasing=False`` to :meth:`plot` for the other
way round.

matplotlib is an optional dependency (``pip install "sparsefit[plot]"``), imported only
when something is drawn: ``import sparsefit.plot`` does not import it.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array

__all__ = ["CVCurveDisplay", "RegularizationPathDisplay"]

_INSTALL_HINT = 'pip install "sparsefit[plot]"'


def _pyplot(caller):
    """Import and return ``matplotlib.pyplot``, or raise an ImportError naming the extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, an optional dependency of sparsefit. "
            f"Install it with: {_INSTALL_HINT}"
        ) from exc
    return plt


def _new_axes(plt, ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _set_alpha_axis(ax, alphas, decreasing):
    ax.set_xscale("log")
    low, high = float(np.min(alphas)), float(np.max(alphas))
    if low == high:  # a single alpha: give the log axis some room
        low, high = low / 2.0, high * 2.0
    else:
        pad = (high / low) ** 0.02
        low, high = low / pad, high * pad
    if decreasing:
        ax.set_xlim(high, low)
        ax.set_xlabel("alpha (log scale, decreasing: less regularization to the right)")
    else:
        ax.set_xlim(low, high)
        ax.set_xlabel("alpha (log scale)")


def _format_alpha(alpha):
    return f"{alpha:.3g}"


# -- regularization paths -------------------------------------------------------------------


class RegularizationPathDisplay:
    """Coefficients along a regularization path, against ``alpha`` on a log axis.

    Create it with :meth:`from_estimator` (solves the path of a Lasso / Elastic Net
    estimator) or :meth:`from_path` (the output of :func:`sparsefit.lasso_path`,
    :func:`sparsefit.enet_path` or their scikit-learn counterparts), then call
    :meth:`plot`. The constructor only stores its arguments.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        The regularization strengths, any order.
    coefs : array-like of shape (n_features, n_alphas)
        ``coefs[j, i]`` is the coefficient of feature ``j`` at ``alphas[i]`` (the layout
        returned by ``enet_path``).
    feature_names : array-like of str of shape (n_features,), default=None
        Used to label the lines; ``x0, x1, ...`` if None.
    alpha_marks : dict of {str: float} or sequence of float, default=None
        ``alpha`` values to mark with a vertical line (dict keys are the legend labels).
    estimator_name : str, default=None
        Shown in the title.

    Attributes
    ----------
    lines_ : list of matplotlib.lines.Line2D
        One line per feature, in feature order: ``lines_[j].get_ydata()`` is ``coefs[j]``
        and ``lines_[j].get_xdata()`` is ``alphas``.
    alpha_mark_lines_ : dict of {str: matplotlib.lines.Line2D}
        The vertical line of each entry of ``alpha_marks``.
    labelled_features_ : list of int
        The features named in the legend.
    ax_ : matplotlib.axes.Axes
        The axes drawn on.
    figure_ : matplotlib.figure.Figure
        The figure of ``ax_``.

    See Also
    --------
    CVCurveDisplay : The cross-validation curve of a CV estimator.
    sparsefit.enet_path : The path this display draws.
    sklearn.linear_model.enet_path : The scikit-learn path, also accepted by :meth:`from_path`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sparsefit import LassoCDCV
    >>> from sparsefit.plot import RegularizationPathDisplay
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 6))
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.5 * rng.standard_normal(50)
    >>> model = LassoCDCV(cv=3, alphas=30).fit(X, y)
    >>> display = RegularizationPathDisplay.from_estimator(model, X, y)
    >>> len(display.lines_), sorted(display.alpha_mark_lines_)
    (6, ['alpha_1se_', 'alpha_min_'])
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """

    def __init__(
        self, alphas, coefs, *, feature_names=None, alpha_marks=None, estimator_name=None
    ):
        self.alphas = alphas
        self.coefs = coefs
        self.feature_names = feature_names
        self.alpha_marks = alpha_marks
        self.estimator_name = estimator_name

    def plot(
        self,
        ax=None,
        *,
        n_labels=10,
        decreasing=True,
        title=None,
        legend=True,
        line_kwargs=None,
        mark_kwargs=None,
    ):
        """Draw the path.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure (constrained layout) if None.
        n_labels : int, default=10
            How many features to name in the legend: the first to enter the model (the
            largest ``alpha`` at which they are non-zero; ties broken by the size of the
            least regularized coefficient). The others are drawn as thin grey lines. All are
            named when there are at most ``n_labels`` features.
        decreasing : bool, default=True
            ``alpha`` decreases from left to right (glmnet's orientation).
        title : str, default=None
            Defaults to ``"Regularization path"`` plus the estimator's name.
        legend : bool, default=True
            Whether to draw the legend (the named features and the marks).
        line_kwargs : dict, default=None
            Passed to ``ax.plot`` for every coefficient line.
        mark_kwargs : dict, default=None
            Passed to ``ax.axvline`` for the marks.

        Returns
        -------
        display : RegularizationPathDisplay
            This display, with the fitted attributes ``lines_``, ``ax_``, ... set.
        """
        plt = _pyplot("RegularizationPathDisplay.plot")
        alphas, coefs = _checked_path(self.alphas, self.coefs)
        n_features = coefs.shape[0]
        names = _feature_names(self.feature_names, n_features)
        order = np.argsort(alphas)[::-1]  # draw from the largest alpha on
        alphas, coefs = alphas[order], coefs[:, order]

        labelled = _entry_order(alphas, coefs)[: max(int(n_labels), 0)]
        ax = _new_axes(plt, ax, figsize=(8, 5))
        ax.axhline(0.0, color="0.5", linewidth=0.8, zorder=1)
        colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
        lines = _coefficient_lines(ax, alphas, coefs, names, labelled, colors, line_kwargs)
        marks = _marks_dict(self.alpha_marks)
        mark_lines = _mark_lines(ax, marks, mark_kwargs)

        _set_alpha_axis(ax, np.concatenate([alphas, list(marks.values())]), decreasing)
        ax.set_ylabel("coefficient")
        _set_title(ax, title, "Regularization path", self.estimator_name)
        if legend and (labelled or mark_lines):
            _path_legend(ax, lines, labelled, n_features, mark_lines)

        self.lines_ = lines
        self.alpha_mark_lines_ = mark_lines
        self.labelled_features_ = [int(j) for j in labelled]
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_path(
        cls,
        alphas,
        coefs,
        *,
        feature_names=None,
        alpha_marks=None,
        estimator_name=None,
        ax=None,
        **kwargs,
    ):
        """Plot a path already computed, e.g. by :func:`sparsefit.enet_path`.

        Parameters
        ----------
        alphas : array-like of shape (n_alphas,)
            The regularization strengths, any order.
        coefs : array-like of shape (n_features, n_alphas)
            ``coefs[j, i]`` is the coefficient of feature ``j`` at ``alphas[i]``.
        feature_names : array-like of str of shape (n_features,), default=None
            Used to label the lines; ``x0, x1, ...`` if None.
        alpha_marks : dict of {str: float} or sequence of float, default=None
            ``alpha`` values to mark with a vertical line (dict keys are the legend labels).
        estimator_name : str, default=None
            Shown in the title.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure if None.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : RegularizationPathDisplay
            The display, drawn.
        """
        _pyplot("RegularizationPathDisplay.from_path")
        display = cls(
            alphas,
            coefs,
            feature_names=feature_names,
            alpha_marks=alpha_marks,
            estimator_name=estimator_name,
        )
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        alphas=None,
        eps=1e-3,
        n_alphas=100,
        sample_weight=None,
        feature_names=None,
        ax=None,
        **kwargs,
    ):
        """Solve and plot the regularization path of a Lasso / Elastic Net estimator.

        The path is computed by :func:`sparsefit.enet_path` on ``X`` and ``y`` centred as
        the estimator centres them (when ``fit_intercept=True``), with the estimator's
        ``l1_ratio``, ``positive``, ``tol`` and ``max_iter``, so each point is the
        ``coef_`` the estimator would fit at that ``alpha``.

        Parameters
        ----------
        estimator : LassoCD, ElasticNetCD, LassoCDCV or ElasticNetCDCV, or a Pipeline ending in one
            Fitted or not. A cross-validated estimator is marked at its ``alpha_min_`` and
            ``alpha_1se_`` and its path is solved on its own grid ``alphas_`` (for the chosen
            ``l1_ratio_``); an unfitted one is first fitted (a clone, on ``X, y``). A plain
            estimator is marked at its ``alpha``, which is added to the grid. A pipeline
            must be fitted: ``X`` goes through its transformers first.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Sparse ``X`` stays sparse (centred implicitly, as the estimator does).
        y : array-like of shape (n_samples,)
            Target values.
        alphas : array-like, default=None
            The grid; by default the estimator's CV grid, or ``n_alphas`` values from
            ``alpha_max`` down to ``eps * alpha_max``.
        eps : float, default=1e-3
            Length of the default grid: ``alpha_min / alpha_max``.
        n_alphas : int, default=100
            Number of points of the default grid.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, as in the estimator's ``fit``.
        feature_names : array-like of str, default=None
            By default the estimator's ``feature_names_in_``, the pipeline's output names or
            the columns of a DataFrame ``X``.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure if None.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : RegularizationPathDisplay
            The display, drawn.
        """
        _pyplot("RegularizationPathDisplay.from_estimator")
        from sklearn.base import clone

        from ._cv import ElasticNetCDCV
        from .linear_model import ElasticNetCD

        estimator, X, feature_names = _unwrap_pipeline(estimator, X, feature_names)
        if not isinstance(estimator, (ElasticNetCD, ElasticNetCDCV)):
            raise TypeError(
                "from_estimator expects a LassoCD, ElasticNetCD, LassoCDCV or ElasticNetCDCV "
                f"(or a fitted Pipeline ending in one), got {type(estimator).__name__}. For "
                "another path use RegularizationPathDisplay.from_path."
            )
        is_cv = isinstance(estimator, ElasticNetCDCV)
        if is_cv and not hasattr(estimator, "alpha_1se_"):
            estimator = clone(estimator).fit(X, y, sample_weight=sample_weight)
        if feature_names is None and hasattr(estimator, "feature_names_in_"):
            feature_names = estimator.feature_names_in_
        problem, penalty = _path_problem(estimator, X, y, sample_weight)
        l1_ratio = getattr(penalty, "l1_ratio", 1.0)
        if is_cv:
            marks = {"alpha_min_": estimator.alpha_min_, "alpha_1se_": estimator.alpha_1se_}
            if alphas is None:
                alphas = _cv_grid(estimator, l1_ratio)
        else:
            marks = {"alpha": float(estimator.alpha)}
            if alphas is None:
                alphas = _default_grid(problem, penalty, marks["alpha"], eps, n_alphas)
        if not marks.get("alpha", 1.0) > 0:
            del marks["alpha"]
        alphas = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
        coefs, _ = problem.path(penalty, alphas, tol=estimator.tol, max_iter=estimator.max_iter)
        name = type(estimator).__name__
        if l1_ratio < 1:
            name = f"{name} (l1_ratio={l1_ratio:g})"
        display = cls(
            alphas, coefs, feature_names=feature_names, alpha_marks=marks, estimator_name=name
        )
        return display.plot(ax=ax, **kwargs)


def _checked_alphas(alphas):
    """``alphas`` as a float array: positive and finite (they go on a log axis)."""
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    if alphas.size == 0 or np.any(alphas <= 0) or not np.all(np.isfinite(alphas)):
        raise ValueError("alphas must be positive and finite (they go on a log axis).")
    return alphas


def _checked_path(alphas, coefs):
    """``(alphas, coefs)`` of a path display as float arrays, ``coefs`` of shape
    (n_features, n_alphas), or a ValueError naming what is wrong."""
    n_alphas = np.asarray(alphas).size
    values = np.asarray(coefs, dtype=np.float64)
    if values.ndim == 1:
        values = values.reshape(1, -1)
    if values.ndim != 2 or values.shape[1] != n_alphas:
        raise ValueError(
            f"coefs must have shape (n_features, n_alphas) = (n_features, {n_alphas}), "
            f"got {np.shape(coefs)}."
        )
    return _checked_alphas(alphas), values


def _checked_cv_curve(alphas, mse_path):
    """``(alphas, mse)`` of a CV curve display as float arrays, ``mse`` of shape
    (n_alphas, n_folds), or a ValueError naming what is wrong."""
    n_alphas = np.asarray(alphas).size
    mse = np.asarray(mse_path, dtype=np.float64)
    if mse.ndim == 1:
        mse = mse.reshape(-1, 1)
    if mse.ndim != 2 or mse.shape[0] != n_alphas:
        raise ValueError(
            f"mse_path must have shape (n_alphas, n_folds) = ({n_alphas}, n_folds), "
            f"got {np.shape(mse_path)}."
        )
    return _checked_alphas(alphas), mse


def _standard_errors(mse, mse_std_path):
    """The standard error of the mean CV error at each alpha: the given standard deviations
    (or the folds' own) over ``sqrt(n_folds)``."""
    n_folds = mse.shape[1]
    if mse_std_path is not None:
        std = np.asarray(mse_std_path, dtype=np.float64).ravel()
    elif n_folds > 1:
        std = mse.std(axis=1, ddof=1)
    else:
        std = np.zeros(mse.shape[0])
    return std / np.sqrt(n_folds)


def _set_title(ax, title, default, estimator_name):
    """The given title, else ``default`` plus the estimator's name; and a light grid."""
    if title is None:
        title = default + (f" of {estimator_name}" if estimator_name else "")
    ax.set_title(title)
    ax.grid(alpha=0.3)


def _coefficient_lines(ax, alphas, coefs, names, labelled, colors, line_kwargs):
    """One line per feature: the ``labelled`` ones in colour (dashed once the colours run
    out), the others thin and grey. Returns the lines in feature order."""
    rank = {j: k for k, j in enumerate(labelled)}
    lines = []
    for j in range(coefs.shape[0]):
        if j in rank:
            style = {"color": colors[rank[j] % len(colors)], "linewidth": 1.8, "zorder": 3}
            label = names[j]
        else:
            style = {"color": "0.7", "linewidth": 0.8, "zorder": 2}
            label = "_nolegend_"
        if rank.get(j, 0) >= len(colors):
            style["linestyle"] = "--"
        style.update(line_kwargs or {})
        (line,) = ax.plot(alphas, coefs[j], label=label, **style)
        lines.append(line)
    return lines


def _mark_lines(ax, marks, mark_kwargs):
    """A vertical line per mark (``{label: alpha}``), in black with distinct dashes."""
    styles = ["--", ":", "-.", (0, (5, 1))]
    mark_lines = {}
    for k, (label, alpha) in enumerate(marks.items()):
        style = {"color": "black", "linestyle": styles[k % len(styles)], "linewidth": 1.2}
        style.update(mark_kwargs or {})
        mark_lines[label] = ax.axvline(alpha, label=f"{label} = {_format_alpha(alpha)}", **style)
    return mark_lines


def _path_legend(ax, lines, labelled, n_features, mark_lines):
    """The legend of a path: features in order of entry, then the unnamed ones as one
    entry, then the marks; outside the axes when it is long."""
    handles = [lines[j] for j in labelled]
    if n_features > len(labelled) and labelled:
        from matplotlib.lines import Line2D

        others = f"{n_features - len(labelled)} others"
        handles.append(Line2D([], [], color="0.7", linewidth=0.8, label=others))
    handles += list(mark_lines.values())
    if len(handles) > 6:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            frameon=False,
        )
    else:
        ax.legend(handles=handles, loc="best", fontsize="small")


def _fold_lines(ax, alphas, mse):
    """Each fold's error as a thin dotted line (one legend entry for all)."""
    lines = []
    for k in range(mse.shape[1]):
        label = "each fold" if k == 0 else "_nolegend_"
        (line,) = ax.plot(
            alphas, mse[:, k], color="0.6", linewidth=0.7, linestyle=":", label=label
        )
        lines.append(line)
    return lines


def _cv_choice_lines(ax, alpha_min, alpha_1se, refitted):
    """The vertical lines of ``alpha_min_`` and ``alpha_1se_``; the one the estimator
    refitted at (``refitted``) says so."""
    refit = "" if refitted is None else " (refitted)"
    min_line = ax.axvline(
        alpha_min,
        color="tab:blue",
        linestyle="--",
        linewidth=1.3,
        label=f"alpha_min_ = {_format_alpha(alpha_min)}"
        + (refit if refitted == alpha_min else ""),
    )
    se_line = ax.axvline(
        alpha_1se,
        color="tab:green",
        linestyle="-.",
        linewidth=1.3,
        label=f"alpha_1se_ = {_format_alpha(alpha_1se)}"
        + (refit if refitted == alpha_1se and alpha_1se != alpha_min else ""),
    )
    return min_line, se_line


def _unwrap_pipeline(estimator, X, feature_names):
    """``(final estimator, X transformed by the pipeline, feature names)``."""
    from sklearn.pipeline import Pipeline

    if feature_names is None and hasattr(X, "columns"):
        feature_names = [str(c) for c in X.columns]
    if not isinstance(estimator, Pipeline):
        return estimator, X, feature_names
    _check_fitted(estimator[-1], "a Pipeline passed to from_estimator")
    X = estimator[:-1].transform(X)
    if feature_names is not None:
        try:
            feature_names = estimator[:-1].get_feature_names_out(feature_names)
        except Exception:  # not every transformer knows its output names
            feature_names = None
    elif hasattr(estimator[-1], "feature_names_in_"):
        feature_names = estimator[-1].feature_names_in_
    else:
        try:
            feature_names = estimator[:-1].get_feature_names_out()
        except Exception:
            feature_names = None
    return estimator[-1], X, feature_names


def _path_problem(estimator, X, y, sample_weight):
    """The fit pipeline's problem of ``X, y`` as the estimator fits it (sparse X stays
    sparse), and the estimator's penalty at ``alpha = 1`` (a CV estimator's for its chosen
    ``l1_ratio_``)."""
    from ._base import check_sample_weight
    from ._cv import ElasticNetCDCV
    from ._pipeline import FitProblem

    X = check_array(X, accept_sparse=("csr", "csc", "coo"), dtype=[np.float64, np.float32])
    X = X.tocsc() if sp.issparse(X) and X.format == "coo" else X
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"from_estimator plots the path of one target; y has shape {y.shape}.")
    if sample_weight is not None:
        sample_weight = check_sample_weight(sample_weight, X)
    n_features = X.shape[1]
    if isinstance(estimator, ElasticNetCDCV):
        penalties = estimator._penalties(n_features)
        ratio = float(getattr(estimator, "l1_ratio_", 1.0))
        penalty = min(penalties, key=lambda pen: abs(pen.l1_ratio - ratio))
    else:
        penalty = estimator._penalty(n_features).with_alpha(1.0)
    problem = FitProblem(X, y, sample_weight, fit_intercept=estimator.fit_intercept)
    return problem, penalty


def _cv_grid(estimator, l1_ratio):
    grid = np.asarray(estimator.alphas_, dtype=np.float64)
    if grid.ndim == 2:
        ratios = np.atleast_1d(np.asarray(estimator.l1_ratio, dtype=np.float64))
        grid = grid[int(np.flatnonzero(ratios == l1_ratio)[0])]
    return grid


def _default_grid(problem, penalty, alpha, eps, n_alphas):
    """The default grid (from ``alpha_max``, as the paths'), plus the estimator's own
    ``alpha`` so that its ``coef_`` is on the path; around ``alpha`` for a pure L2."""
    alpha_max = problem.alpha_max(penalty)[0] if getattr(penalty, "l1_ratio", 1.0) > 0 else 0.0
    if np.isfinite(alpha_max) and alpha_max > np.finfo(np.float64).resolution:
        alphas = np.geomspace(alpha_max, alpha_max * eps, int(n_alphas))
    elif alpha > 0:  # ridge (l1_ratio=0): a grid around the estimator's alpha
        alphas = alpha * np.geomspace(1.0 / np.sqrt(eps), np.sqrt(eps), int(n_alphas))
    else:
        alphas = np.geomspace(1.0, eps, int(n_alphas))
    return np.unique(np.append(alphas, alpha)) if alpha > 0 else alphas


def _feature_names(names, n_features):
    if names is None:
        return [f"x{j}" for j in range(n_features)]
    names = [str(n) for n in np.asarray(names, dtype=object).ravel()]
    if len(names) != n_features:
        raise ValueError(f"feature_names has {len(names)} entries for {n_features} features.")
    return names


def _entry_order(alphas, coefs):
    """Features by the largest alpha at which they are non-zero (alphas sorted decreasing),
    ties by the absolute coefficient at the smallest alpha; never non-zero ones last."""
    nonzero = coefs != 0
    first = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), alphas.size)
    last = np.abs(coefs[:, -1]) if alphas.size else np.zeros(coefs.shape[0])
    return [int(j) for j in np.lexsort((-last, first))]


def _marks_dict(marks):
    if marks is None:
        return {}
    if isinstance(marks, dict):
        items = marks.items()
    else:
        values = np.atleast_1d(np.asarray(marks, dtype=np.float64))
        items = ((f"alpha #{k}" if values.size > 1 else "alpha", v) for k, v in enumerate(values))
    out = {}
    for label, value in items:
        value = float(value)
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"alpha mark {label!r} must be positive and finite, got {value}.")
        out[str(label)] = value
    return out


def _check_fitted(estimator, what):
    if not any(k.endswith("_") and not k.startswith("_") for k in vars(estimator)):
        raise ValueError(f"{what} must be fitted first.")


# -- cross-validation curves ----------------------------------------------------------------


class CVCurveDisplay:
    """Mean cross-validated error against ``alpha``, one standard error either side.

    Create it with :meth:`from_estimator` from a fitted :class:`sparsefit.LassoCDCV` or
    :class:`sparsefit.ElasticNetCDCV`, or from the arrays, then call :meth:`plot`.

    The standard error at each ``alpha`` is the standard deviation of the fold errors
    (``ddof=1``) divided by ``sqrt(n_folds)``: the quantity of the one-standard-error rule.
    The curve marks ``alpha_min`` (least mean error), ``alpha_1se`` (the largest ``alpha``
    whose mean error is at most the minimum plus its standard error) and that threshold.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        The regularization strengths, any order.
    mse_path : array-like of shape (n_alphas, n_folds)
        Test error of every fold at every ``alpha`` (``mse_path_`` of the CV estimators).
    mse_std_path : array-like of shape (n_alphas,), default=None
        Standard deviation over folds; computed from ``mse_path`` (``ddof=1``) if None.
    alpha_min, alpha_1se : float, default=None
        Marked with vertical lines; computed from the curve if None.
    alpha : float, default=None
        The ``alpha`` refitted by the estimator (named in the legend).
    estimator_name : str, default=None
        Shown in the title.

    Attributes
    ----------
    line_ : matplotlib.lines.Line2D
        The mean error: ``line_.get_ydata()`` is ``mse_path.mean(axis=-1)``.
    fill_ : matplotlib.collections.PolyCollection
        The band of one standard error either side.
    fold_lines_ : list of matplotlib.lines.Line2D
        The error of each fold (empty unless ``plot(show_folds=True)``).
    alpha_min_line_, alpha_1se_line_ : matplotlib.lines.Line2D
        The vertical marks.
    threshold_line_ : matplotlib.lines.Line2D
        The horizontal line at the minimum plus one standard error.
    ax_ : matplotlib.axes.Axes
        The axes drawn on.
    figure_ : matplotlib.figure.Figure
        The figure of ``ax_``.

    See Also
    --------
    RegularizationPathDisplay : The coefficients along the path.
    sparsefit.LassoCDCV : A cross-validated estimator whose curve this draws.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sparsefit import LassoCDCV
    >>> from sparsefit.plot import CVCurveDisplay
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 6))
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.5 * rng.standard_normal(50)
    >>> model = LassoCDCV(cv=3, alphas=30).fit(X, y)
    >>> display = CVCurveDisplay.from_estimator(model)
    >>> bool(display.alpha_1se_line_.get_xdata()[0] == model.alpha_1se_)
    True
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """

    def __init__(
        self,
        alphas,
        mse_path,
        *,
        mse_std_path=None,
        alpha_min=None,
        alpha_1se=None,
        alpha=None,
        estimator_name=None,
    ):
        self.alphas = alphas
        self.mse_path = mse_path
        self.mse_std_path = mse_std_path
        self.alpha_min = alpha_min
        self.alpha_1se = alpha_1se
        self.alpha = alpha
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, decreasing=True, show_folds=False, title=None, legend=True):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure (constrained layout) if None.
        decreasing : bool, default=True
            ``alpha`` decreases from left to right (as in :class:`RegularizationPathDisplay`).
        show_folds : bool, default=False
            Also draw each fold's error as a thin line.
        title : str, default=None
            Defaults to ``"Cross-validation curve"`` plus the estimator's name.
        legend : bool, default=True
            Whether to draw the legend.

        Returns
        -------
        display : CVCurveDisplay
            This display, with the fitted attributes ``line_``, ``ax_``, ... set.
        """
        plt = _pyplot("CVCurveDisplay.plot")
        alphas, mse = _checked_cv_curve(self.alphas, self.mse_path)
        n_folds = mse.shape[1]
        mean = mse.mean(axis=1)
        se = _standard_errors(mse, self.mse_std_path)
        best = int(np.argmin(mean))
        alpha_min = alphas[best] if self.alpha_min is None else float(self.alpha_min)
        if self.alpha_1se is None:
            within = np.flatnonzero(mean <= mean[best] + se[best])
            alpha_1se = float(alphas[within].max())
        else:
            alpha_1se = float(self.alpha_1se)
        i_min = int(np.argmin(np.abs(np.log(alphas / alpha_min))))
        threshold = mean[i_min] + se[i_min]

        ax = _new_axes(plt, ax, figsize=(8, 5))
        fold_lines = _fold_lines(ax, alphas, mse) if show_folds else []
        fill = ax.fill_between(
            alphas,
            mean - se,
            mean + se,
            color="tab:red",
            alpha=0.2,
            linewidth=0,
            label="± 1 standard error",
        )
        (line,) = ax.plot(
            alphas,
            mean,
            color="tab:red",
            marker="o",
            markersize=3,
            linewidth=1.5,
            label=f"mean CV error ({n_folds} folds)",
        )
        threshold_line = ax.axhline(
            threshold, color="0.4", linestyle=":", linewidth=1.0, label="minimum + 1 SE"
        )
        alpha_min_line, alpha_1se_line = _cv_choice_lines(ax, alpha_min, alpha_1se, self.alpha)
        _set_alpha_axis(ax, alphas, decreasing)
        ax.set_ylabel("mean squared error on held-out folds")
        _set_title(ax, title, "Cross-validation curve", self.estimator_name)
        if legend:
            ax.legend(loc="best", fontsize="small")

        self.line_ = line
        self.fill_ = fill
        self.fold_lines_ = fold_lines
        self.alpha_min_line_ = alpha_min_line
        self.alpha_1se_line_ = alpha_1se_line
        self.threshold_line_ = threshold_line
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, l1_ratio=None, ax=None, **kwargs):
        """Plot the CV curve of a fitted cross-validated Lasso or Elastic Net.

        Parameters
        ----------
        estimator : LassoCDCV or ElasticNetCDCV, or a Pipeline ending in one
            The fitted estimator (:class:`~sparsefit.LassoCDCV`,
            :class:`~sparsefit.ElasticNetCDCV`); its ``alphas_`` and ``mse_path_`` are
            drawn.
        l1_ratio : float, default=None
            For an :class:`~sparsefit.ElasticNetCDCV` fitted with several ``l1_ratio``
            values, the one whose curve to draw; by default the chosen ``l1_ratio_``. The
            marks of another ratio are computed from its own curve.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure if None.
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : CVCurveDisplay
            The display, drawn.
        """
        _pyplot("CVCurveDisplay.from_estimator")
        from sklearn.pipeline import Pipeline

        from ._cv import ElasticNetCDCV

        if isinstance(estimator, Pipeline):
            estimator = estimator[-1]
        if not isinstance(estimator, ElasticNetCDCV):
            raise TypeError(
                "CVCurveDisplay.from_estimator expects a fitted LassoCDCV or ElasticNetCDCV, "
                f"got {type(estimator).__name__}; for other error curves use "
                "CVCurveDisplay(alphas, mse_path)."
            )
        if not hasattr(estimator, "mse_path_"):
            raise ValueError(f"This {type(estimator).__name__} instance is not fitted yet.")
        name = type(estimator).__name__
        alphas = np.asarray(estimator.alphas_, dtype=np.float64)
        mse = np.asarray(estimator.mse_path_, dtype=np.float64)
        std = np.asarray(estimator.mse_std_path_, dtype=np.float64)
        marks = {
            "alpha_min": estimator.alpha_min_,
            "alpha_1se": estimator.alpha_1se_,
            "alpha": estimator.alpha_,
        }
        if mse.ndim == 3:
            ratios = np.atleast_1d(np.asarray(estimator.l1_ratio, dtype=np.float64)).ravel()
            chosen = float(estimator.l1_ratio_)
            wanted = chosen if l1_ratio is None else float(l1_ratio)
            matches = np.flatnonzero(np.isclose(ratios, wanted, rtol=0, atol=1e-12))
            if matches.size == 0:
                raise ValueError(f"l1_ratio={l1_ratio!r} is not one of {ratios.tolist()}.")
            k = int(matches[0])
            mse, std = mse[k], std[k]
            if alphas.ndim == 2:
                alphas = alphas[k]
            if wanted != chosen:
                marks = {"alpha_min": None, "alpha_1se": None, "alpha": None}
            name = f"{name} (l1_ratio={wanted:g})"
        elif l1_ratio is not None:
            # (LassoCDCV has no l1_ratio_: its l1_ratio is 1)
            fitted = float(getattr(estimator, "l1_ratio_", estimator.l1_ratio))
            if not np.isclose(float(l1_ratio), fitted):
                raise ValueError(
                    f"l1_ratio={l1_ratio!r}: the estimator was fitted with "
                    f"l1_ratio={fitted!r} only."
                )
        if hasattr(estimator, "l1_ratio_") and mse.ndim == 2 and "l1_ratio" not in name:
            name = f"{name} (l1_ratio={float(estimator.l1_ratio_):g})"
        display = cls(alphas, mse, mse_std_path=std, estimator_name=name, **marks)
        return display.plot(ax=ax, **kwargs)
