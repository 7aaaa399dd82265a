"""Choosing alpha: LassoCDCV's path versus GridSearchCV, and the one-standard-error rule.

The diabetes data of scikit-learn (442 patients, 10 measurements) with all degree-2
interactions (65 standardized features) is a problem where the Lasso has to pick both the
penalty and the features. Two ways to choose ``alpha`` by 5-fold cross-validation, on the
same folds and the same grid of ``alpha`` values:

* ``GridSearchCV(LassoCD(), {"alpha": grid}, cv=folds)`` fits every ``(alpha, fold)`` pair
  from scratch: ``len(grid) * 5`` independent solves, plus scikit-learn's bookkeeping.
* ``LassoCDCV(alphas=grid, cv=folds)`` solves one warm-started path per fold (each solve
  starts from the previous ``alpha``'s solution) with the folds' Gram matrices shared.

Both minimize the same objective to the same duality-gap tolerance, so they find the same
``alpha_min_``; the script prints both choices and both times.

``LassoCDCV`` also gives the one-standard-error rule (glmnet's ``lambda.1se``):
``alpha_1se_`` is the largest ``alpha`` whose mean CV error is within one standard error of
the minimum, a sparser model that the folds cannot tell apart from the best one. The figure
shows the CV curve with both choices (``sparsefit.plot.CVCurveDisplay``, with GridSearchCV's
scores on top) and the Lasso path with the same two marks
(``sparsefit.plot.RegularizationPathDisplay``).

(The features are expanded and standardized once, before the split, so that both methods
see exactly the same matrices; in a real analysis put the scaler in a pipeline.)

Writes ``choosing_alpha.png``::

    python examples/plot_choosing_alpha.py [--output-dir DIR] [--quick]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sparsefit import LassoCD, LassoCDCV

HERE = Path(__file__).resolve().parent
FIGURES = ("choosing_alpha.png",)


def load_data():
    data = load_diabetes()
    poly = PolynomialFeatures(degree=2, include_bias=False)
    X = StandardScaler().fit_transform(poly.fit_transform(data.data))
    names = list(poly.get_feature_names_out(data.feature_names))
    return X, data.target, names


def choose(X, y, n_alphas):
    """Run both searches on the same folds and grid; return the fitted objects and times."""
    folds = list(KFold(n_splits=5, shuffle=True, random_state=0).split(X))
    yc = y - y.mean()
    alpha_max = np.max(np.abs(X.T @ yc)) / len(y)
    grid = np.geomspace(alpha_max, alpha_max * 1e-3, n_alphas)

    start = time.perf_counter()
    cv_model = LassoCDCV(alphas=grid, cv=folds).fit(X, y)
    time_path = time.perf_counter() - start

    start = time.perf_counter()
    search = GridSearchCV(
        LassoCD(), {"alpha": grid}, cv=folds, scoring="neg_mean_squared_error"
    ).fit(X, y)
    time_grid = time.perf_counter() - start
    return {
        "cv_model": cv_model,
        "search": search,
        "grid": grid,
        "time_path": time_path,
        "time_grid": time_grid,
    }


def summary(result, X, y):
    cv_model, search = result["cv_model"], result["search"]
    lasso_1se = LassoCD(alpha=cv_model.alpha_1se_).fit(X, y)
    n_features = X.shape[1]
    n_grid = len(result["grid"])
    rows = [
        f"grid: {n_grid} alphas x 5 folds = {5 * n_grid} Lasso fits per method",
        f"LassoCDCV     alpha_min_ = {cv_model.alpha_min_:.4g}   time {result['time_path']:.2f} s",
        f"GridSearchCV  best alpha = {search.best_params_['alpha']:.4g}   "
        f"time {result['time_grid']:.2f} s   "
        f"({result['time_grid'] / result['time_path']:.1f}x the path's time)",
        f"one-standard-error rule: alpha_1se_ = {cv_model.alpha_1se_:.4g}",
        f"non-zero coefficients: {np.count_nonzero(cv_model.coef_)} of {n_features} at "
        f"alpha_min_, {np.count_nonzero(lasso_1se.coef_)} at alpha_1se_",
    ]
    return rows


def plot(result, X, y, names, output_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sparsefit.plot import CVCurveDisplay, RegularizationPathDisplay

    cv_model, search = result["cv_model"], result["search"]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.2), layout="constrained")
    curve = CVCurveDisplay.from_estimator(cv_model, ax=axes[0])
    grid_mse = -search.cv_results_["mean_test_score"]
    curve.ax_.plot(
        search.cv_results_["param_alpha"].astype(float),
        grid_mse,
        linestyle="none",
        marker="x",
        markersize=6,
        color="black",
        label="GridSearchCV(LassoCD) mean",
    )
    curve.ax_.legend(loc="upper right", fontsize="small")
    # the interesting part is near the minimum: clip the top of the curve
    low = grid_mse.min()
    curve.ax_.set_ylim(low * 0.97, low * 1.6)
    curve.ax_.set_title(
        f"5-fold CV error: LassoCDCV {result['time_path']:.2f} s, "
        f"GridSearchCV {result['time_grid']:.2f} s"
    )
    RegularizationPathDisplay.from_estimator(cv_model, X, y, feature_names=names, ax=axes[1])
    axes[1].set_title("Lasso path on all the data, with the two choices")
    fig.suptitle("Choosing alpha for the Lasso: diabetes, 65 degree-2 features")

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    out = output_dir / FIGURES[0]
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return [out]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=str(HERE), help="default: %(default)s")
    parser.add_argument("--quick", action="store_true", help="a coarser grid (for tests)")
    args = parser.parse_args(argv)

    X, y, names = load_data()
    result = choose(X, y, n_alphas=8 if args.quick else 30)
    for row in summary(result, X, y):
        print(row)
    for out in plot(result, X, y, names, args.output_dir):
        print(f"plot written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
