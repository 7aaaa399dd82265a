"""L1 versus L2: the Lasso sets coefficients exactly to zero, Ridge only shrinks them.

On the prostate cancer data of *The Elements of Statistical Learning* (§3.4: 97 men, 8
clinical measurements, target ``lpsa`` = log prostate-specific antigen; the file
``prostate.csv`` of the shared data directory), with standardized features, we follow every
coefficient as the regularization strength ``alpha`` goes from "everything is zero" to
"hardly regularized":

* ``LassoCD`` (L1 penalty ``alpha ||w||_1``): coefficients enter one at a time and every
  coefficient is **exactly** zero above its own threshold. The count of zeros falls in steps
  from 8 to 0: the Lasso selects features.
* ``RidgeGD`` (L2 penalty ``alpha ||w||_2^2``): every coefficient is non-zero at every
  ``alpha``; they all shrink smoothly towards zero together, none reaches it. Ridge never
  selects.

The two penalties have their own ``alpha`` scales, so the third panel compares them on a
common axis, the shrinkage factor ``||w(alpha)||_2 / ||w_OLS||_2`` (0: everything shrunk to
zero, 1: least squares), and counts exact zeros along it.

Without the data directory, scikit-learn's bundled diabetes data (442 patients, 10
features) is used instead. The script prints the count of zeros at a few points of each path
and writes ``l1_vs_l2.png``::

    python examples/plot_l1_vs_l2.py [--output-dir DIR] [--data-dir DIR] [--quick]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.preprocessing import StandardScaler

from sparsefit import RidgeGD, lasso_path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = HERE.parent.parent / "shared" / "datasets"
FIGURES = ("l1_vs_l2.png",)


def load_data(data_dir):
    """(X, y, feature names, description): prostate.csv if present, else sklearn's diabetes."""
    path = Path(data_dir) / "prostate.csv"
    if path.exists():
        names = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        table = np.loadtxt(path, delimiter=",", skiprows=1)
        return table[:, :8], table[:, 8], names[:8], "prostate cancer (ESL), target lpsa"
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    return data.data, data.target, list(data.feature_names), "diabetes (scikit-learn)"


def compute_paths(X, y, n_alphas):
    """Both paths on standardized X and centred y (so no intercept is needed)."""
    Xs = StandardScaler().fit_transform(X)
    yc = y - y.mean()
    n_samples = Xs.shape[0]
    lasso_alphas, lasso_coefs, _ = lasso_path(Xs, yc, alphas=n_alphas, eps=1e-3, tol=1e-8)
    # Ridge's alpha multiplies ||w||^2 without the 1/n of the Lasso's loss: a grid from
    # "shrunk to almost nothing" to "almost least squares" spans n * [1e-3, 1e4].
    ridge_alphas = n_samples * np.geomspace(1e4, 1e-3, n_alphas)
    ridge_coefs = np.column_stack(
        [RidgeGD(alpha=a, fit_intercept=False, tol=1e-10).fit(Xs, yc).coef_ for a in ridge_alphas]
    )
    ols = np.linalg.lstsq(Xs, yc, rcond=None)[0]
    return {
        "lasso": (lasso_alphas, lasso_coefs),
        "ridge": (ridge_alphas, ridge_coefs),
        "ols_norm": float(np.linalg.norm(ols)),
    }


def summary(paths, names):
    lines = []
    n_features = len(names)
    for key, label in (("lasso", "LassoCD"), ("ridge", "RidgeGD")):
        alphas, coefs = paths[key]
        zeros = (coefs == 0).sum(axis=0)
        shrink = np.linalg.norm(coefs, axis=0) / paths["ols_norm"]
        picks = [int(np.argmin(np.abs(shrink - s))) for s in (0.1, 0.5, 0.9)]
        cells = ", ".join(f"shrinkage {shrink[i]:.2f}: {zeros[i]} zeros" for i in picks)
        lines.append(f"{label:8s} {cells}")
        lines.append(
            f"{'':8s} fewest zeros anywhere on the path: {zeros.min()} of {n_features}; "
            f"most: {zeros.max()}"
        )
    return "\n".join(lines)


def plot(paths, names, description, output_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sparsefit.plot import RegularizationPathDisplay

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), layout="constrained")
    legend_kwargs = {"legend": False, "n_labels": len(names)}
    lasso = RegularizationPathDisplay.from_path(
        *paths["lasso"],
        feature_names=names,
        ax=axes[0],
        estimator_name="LassoCD (L1)",
        **legend_kwargs,
    )
    ridge = RegularizationPathDisplay.from_path(
        *paths["ridge"],
        feature_names=names,
        ax=axes[1],
        estimator_name="RidgeGD (L2)",
        **legend_kwargs,
    )
    # same colour for the same feature in both panels
    for line_l, line_r in zip(lasso.lines_, ridge.lines_, strict=True):
        line_r.set_color(line_l.get_color())
    axes[0].set_xlabel("LassoCD alpha (log scale, decreasing)")
    axes[1].set_xlabel("RidgeGD alpha (log scale, decreasing)")
    axes[1].set_ylabel("")
    fig.legend(
        handles=lasso.lines_,
        labels=names,
        loc="outside right center",
        title="feature",
        fontsize="small",
    )

    ax = axes[2]
    for key, label, style in (
        ("lasso", "LassoCD (L1)", {"color": "tab:green", "drawstyle": "steps-post"}),
        ("ridge", "RidgeGD (L2)", {"color": "tab:blue", "linestyle": "--"}),
    ):
        _, coefs = paths[key]
        shrink = np.linalg.norm(coefs, axis=0) / paths["ols_norm"]
        zeros = (coefs == 0).sum(axis=0)
        ax.plot(shrink, zeros, linewidth=2, label=label, **style)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(-0.3, len(names) + 0.3)
    ax.set_xlabel("shrinkage factor ||w(alpha)|| / ||w_OLS||  (0: all shrunk, 1: least squares)")
    ax.set_ylabel("coefficients exactly zero")
    ax.set_title("Exact zeros along each path")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    fig.suptitle(f"L1 selects, L2 only shrinks: {description}, standardized features")

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    out = output_dir / FIGURES[0]
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return [out]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=str(HERE), help="default: %(default)s")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="default: %(default)s")
    parser.add_argument("--quick", action="store_true", help="a coarser grid (for tests)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    X, y, names, description = load_data(args.data_dir)
    paths = compute_paths(X, y, n_alphas=25 if args.quick else 100)
    print(f"data: {description}, {X.shape[0]} samples x {X.shape[1]} features")
    print(summary(paths, names))
    for out in plot(paths, names, description, args.output_dir):
        print(f"plot written to {out}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
