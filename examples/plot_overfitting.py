"""Overfitting, and how L2 and L1 regularization fight it.

The truth is a straight line, ``y = 2x + 1``, observed with Gaussian noise at 20 points in
[0, 10]. We hand each model far too much freedom: the 15 features ``x, x**2, ..., x**15``
(``PolynomialFeatures(15)``, then ``StandardScaler`` so that one ``alpha`` treats every power
alike), and compare three estimators on a held-out test set of 200 points drawn from the same
law.

* ``LinearRegression`` (no regularization) uses all 15 powers to chase the noise: it bends
  towards individual training points and dives off the chart past the last one. Its training
  error is well below the noise variance (1.0), its test error more than ten times above it.
  That is overfitting: a small training error that does not generalize.
* ``RidgeGD(alpha=0.1)`` (L2, ``||y - Xw - b||^2 + alpha ||w||^2``) shrinks every coefficient
  towards zero. All 15 stay non-zero, but they are small and the curve is smooth.
* ``LassoCD(alpha=0.01)`` (L1, ``1/(2n) ||y - Xw - b||^2 + alpha ||w||_1``) sets most
  coefficients exactly to zero: it selects a handful of powers and drops the rest.

Both regularized models cut the test error of the unregularized fit by an order of magnitude.

The script prints a table (non-zero coefficients, train and test MSE) and writes a PNG of the
three fitted curves. matplotlib is optional; without it only the table is printed::

    pip install -e ".[plot]"
    python examples/plot_overfitting.py [--output PATH | --output-dir DIR] [--no-plot]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sparsefit import LassoCD, RidgeGD

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "overfitting.png"
FIGURES = (DEFAULT_OUTPUT.name,)

DEGREE = 15
N_TRAIN = 20
N_TEST = 200
NOISE = 1.0


def make_data(n_samples, rng):
    """Draw ``n_samples`` points of ``y = 2x + 1 + N(0, NOISE^2)``, ``x ~ U[0, 10]`` sorted."""
    x = np.sort(rng.uniform(0.0, 10.0, size=n_samples))
    y = 2.0 * x + 1.0 + rng.normal(0.0, NOISE, size=n_samples)
    return x.reshape(-1, 1), y


def make_models():
    """The three pipelines, by display name, in plotting order."""

    def pipeline(estimator):
        # include_bias=False: the constant column would be redundant with the intercept.
        return make_pipeline(
            PolynomialFeatures(DEGREE, include_bias=False), StandardScaler(), estimator
        )

    return {
        "LinearRegression (none)": pipeline(LinearRegression()),
        "RidgeGD(alpha=0.1) (L2)": pipeline(RidgeGD(alpha=0.1)),
        # A tight tol so that the count of zeros is that of the exact solution, not an artefact
        # of stopping early; it still converges in a handful of outer iterations.
        "LassoCD(alpha=0.01) (L1)": pipeline(LassoCD(alpha=0.01, max_iter=100_000, tol=1e-8)),
    }


def fit_models(seed=0):
    """Generate the data, fit the three pipelines and score them.

    Returns a dict with the data (``X_train``, ``y_train``, ``X_test``, ``y_test``) and
    ``results``: a list of dicts with keys ``name``, ``model``, ``n_nonzero``, ``n_coef``,
    ``train_mse`` and ``test_mse``.
    """
    rng = np.random.default_rng(seed)
    X_train, y_train = make_data(N_TRAIN, rng)
    X_test, y_test = make_data(N_TEST, rng)

    results = []
    for name, model in make_models().items():
        model.fit(X_train, y_train)
        coef = model[-1].coef_
        results.append(
            {
                "name": name,
                "model": model,
                "n_nonzero": int(np.count_nonzero(coef)),
                "n_coef": int(coef.size),
                "train_mse": mean_squared_error(y_train, model.predict(X_train)),
                "test_mse": mean_squared_error(y_test, model.predict(X_test)),
            }
        )
    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_test": X_test,
        "y_test": y_test,
        "results": results,
    }


def format_table(results):
    """An aligned plain-text table of the results."""
    header = ("model (regularization)", "non-zero coefs", "train MSE", "test MSE")
    rows = [
        (
            r["name"],
            f"{r['n_nonzero']} / {r['n_coef']}",
            f"{r['train_mse']:.3f}",
            f"{r['test_mse']:.3f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def plot(data, output):
    """Save the data and the fitted curves to ``output``; return False if matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")  # headless: write the file, never open a window
    import matplotlib.pyplot as plt

    X_train, y_train = data["X_train"], data["y_train"]
    X_test, y_test = data["X_test"], data["y_test"]
    grid = np.linspace(0.0, 10.0, 1000).reshape(-1, 1)

    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    ax.scatter(X_test, y_test, s=10, color="0.75", label=f"test data ({len(y_test)} points)")
    ax.scatter(
        X_train, y_train, s=40, color="black", zorder=3, label=f"training data ({len(y_train)})"
    )
    ax.plot(
        grid,
        2.0 * grid + 1.0,
        color="0.4",
        linestyle=":",
        linewidth=1.5,
        label="truth: y = 2x + 1",
    )
    styles = [
        {"color": "tab:red", "linewidth": 1.5},
        {"color": "tab:blue", "linewidth": 2.5},
        {"color": "tab:green", "linewidth": 2.5, "linestyle": "--"},
    ]
    for r, style in zip(data["results"], styles, strict=True):
        label = f"{r['name']}: {r['n_nonzero']} non-zero, test MSE {r['test_mse']:.2f}"
        ax.plot(grid, r["model"].predict(grid), label=label, **style)

    # Clip to the data's range with a margin: the unregularized curve shoots far outside it.
    y_all = np.concatenate([y_train, y_test])
    low, high = y_all.min(), y_all.max()
    margin = 0.25 * (high - low)
    ax.set_ylim(low - margin, high + margin)
    ax.set_xlim(0.0, 10.0)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"Degree-{DEGREE} polynomial fits to {len(y_train)} noisy points of y = 2x + 1")
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=120)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        "-o",
        default=str(DEFAULT_OUTPUT),
        help="where to write the PNG (default: %(default)s)",
    )
    parser.add_argument(
        "--output-dir",
        default=None,
        help=f"write {DEFAULT_OUTPUT.name} into this directory instead (overrides --output)",
    )
    parser.add_argument("--no-plot", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    if args.output_dir is not None:
        args.output = str(Path(args.output_dir) / DEFAULT_OUTPUT.name)

    data = fit_models()
    print(format_table(data["results"]))

    if not args.no_plot:
        if plot(data, args.output):
            print(f"\nplot written to {args.output}")
        else:
            print(
                "\nmatplotlib is not installed, so no plot was written; "
                'install it with: pip install -e ".[plot]"'
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
