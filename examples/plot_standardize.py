"""Standardize before the Lasso: the penalty charges by the unit, not by the importance.

The Lasso penalty ``alpha * sum_j |w_j|`` charges every coefficient the same price per unit,
but the unit of ``w_j`` is "target per unit of feature j". A feature measured in dollars
needs a tiny coefficient and is almost free to keep; a feature measured as a fraction needs
a large one and is expensive. So on raw features the Lasso selects by measurement unit.

A synthetic customer table makes it visible (300 customers, the target is a monthly
spending score):

=============  ====================  ===========  =============================
feature        unit                  spread (sd)  true effect per sd
=============  ====================  ===========  =============================
age            years                 ~12          +1.0
income         dollars               ~25 000      +1.0
debt_ratio     fraction of income    ~0.15        -1.0
n_children     count                 ~1.2         +0.5
postcode       5-digit number        ~26 000      0 (pure noise)
survey_score   fraction              ~0.3         0 (pure noise)
=============  ====================  ===========  =============================

The same ``LassoCDCV(alpha_rule="1se")`` (alpha chosen by 5-fold CV and the
one-standard-error rule) is fitted on the raw columns and after
``StandardScaler`` (in a pipeline). On raw columns, the two dollar-scale columns enter the
path first -- including ``postcode``, which is noise -- while ``age`` and ``debt_ratio``, as
important as income, do not enter at all before the grid ends: the chosen model keeps income
alone. After standardization the features enter in the order of their true effects, and the
chosen model keeps the four real ones and neither noise column. Coefficients
are shown per standard deviation of their feature (``coef * sd``) so that the panels are
comparable. The script prints both chosen models and their held-out R^2.

Writes ``standardize.png``::

    python examples/plot_standardize.py [--output-dir DIR] [--quick]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sparsefit import LassoCDCV, lasso_path

HERE = Path(__file__).resolve().parent
FIGURES = ("standardize.png",)

NAMES = ["age", "income", "debt_ratio", "n_children", "postcode", "survey_score"]
TRUE_EFFECT_PER_SD = np.array([1.0, 1.0, -1.0, 0.5, 0.0, 0.0])


def make_data(n_samples, rng):
    age = np.clip(rng.normal(45, 12, n_samples), 18, 85)
    income = rng.lognormal(np.log(55_000), 0.4, n_samples)
    debt_ratio = rng.beta(2, 6, n_samples)
    n_children = rng.poisson(1.5, n_samples).astype(float)
    postcode = rng.integers(10_000, 100_000, n_samples).astype(float)
    survey_score = rng.uniform(0, 1, n_samples)
    X = np.column_stack([age, income, debt_ratio, n_children, postcode, survey_score])
    # population spreads: the truth is stated per standard deviation of each feature
    sd = np.array([12.0, 23_000.0, 0.15, np.sqrt(1.5), 26_000.0, np.sqrt(1 / 12)])
    y = (X - X.mean(axis=0)) @ (TRUE_EFFECT_PER_SD / sd) + rng.normal(0, 1.0, n_samples)
    return X, y


def fit(seed=0, n_alphas=100):
    rng = np.random.default_rng(seed)
    X, y = make_data(600, rng)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    sd = X_train.std(axis=0)
    raw = LassoCDCV(cv=5, alphas=n_alphas, max_iter=10_000, alpha_rule="1se").fit(X_train, y_train)
    scaled = make_pipeline(
        StandardScaler(), LassoCDCV(cv=5, alphas=n_alphas, alpha_rule="1se")
    ).fit(X_train, y_train)
    # the raw path, from the raw model's own grid, in standardized units (coef * sd)
    Xc = X_train - X_train.mean(axis=0)
    alphas, coefs, _ = lasso_path(Xc, y_train - y_train.mean(), alphas=raw.alphas_)
    return {
        "raw": raw,
        "scaled": scaled,
        "raw_path": (alphas, coefs * sd[:, None]),
        "sd": sd,
        "X_train": X_train,
        "y_train": y_train,
        "r2_raw": raw.score(X_test, y_test),
        "r2_scaled": scaled.score(X_test, y_test),
    }


def entry_order(alphas, coefs):
    first = np.where((coefs != 0).any(axis=1), (coefs != 0).argmax(axis=1), alphas.size)
    return [NAMES[j] for j in np.argsort(first, kind="stable") if first[j] < alphas.size]


def summary(out):
    raw_std = out["raw"].coef_ * out["sd"]
    scaled_std = out["scaled"][-1].coef_
    rows = [f"{'feature':13s} {'truth':>6s} {'raw':>7s} {'scaled':>7s}   (coef per sd)"]
    for j, name in enumerate(NAMES):
        rows.append(
            f"{name:13s} {TRUE_EFFECT_PER_SD[j]:6.2f} {raw_std[j]:7.3f} {scaled_std[j]:7.3f}"
        )
    rows.append(f"held-out R^2: raw {out['r2_raw']:.3f}, standardized {out['r2_scaled']:.3f}")
    rows.append("order of entry, raw:          " + " > ".join(entry_order(*out["raw_path"])))
    scaled_alphas = out["scaled"][-1].alphas_
    from sparsefit import lasso_path as path

    Xs = out["scaled"][0].transform(out["X_train"])
    _, coefs, _ = path(Xs, out["y_train"] - out["y_train"].mean(), alphas=scaled_alphas)
    rows.append("order of entry, standardized: " + " > ".join(entry_order(scaled_alphas, coefs)))
    return rows


def plot(out, output_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sparsefit.plot import RegularizationPathDisplay

    fig, axes = plt.subplots(1, 3, figsize=(16, 5), layout="constrained")
    raw = out["raw"]
    kwargs = {"legend": False, "n_labels": len(NAMES)}
    left = RegularizationPathDisplay.from_path(
        *out["raw_path"],
        feature_names=NAMES,
        alpha_marks={"alpha_1se_": raw.alpha_1se_},
        ax=axes[0],
        **kwargs,
    )
    right = RegularizationPathDisplay.from_estimator(
        out["scaled"], out["X_train"], out["y_train"], feature_names=NAMES, ax=axes[1], **kwargs
    )
    # one colour per feature in both panels
    colors = dict(zip(NAMES, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for display in (left, right):
        for name, line in zip(NAMES, display.lines_, strict=True):
            line.set_color(colors[name])
            line.set_linestyle(":" if TRUE_EFFECT_PER_SD[NAMES.index(name)] == 0 else "-")
    right.alpha_mark_lines_.pop("alpha_min_").remove()  # one mark per panel, as on the left
    right.alpha_mark_lines_["alpha_1se_"].set_linestyle("--")
    axes[0].set_title("Raw features: LassoCDCV(alpha_rule='1se')")
    axes[1].set_title("StandardScaler + LassoCDCV(alpha_rule='1se')")
    for ax in axes[:2]:
        ax.set_ylabel("coefficient per standard deviation of the feature")
    fig.legend(
        handles=left.lines_ + [left.alpha_mark_lines_["alpha_1se_"]],
        labels=[*NAMES, "alpha chosen by CV (one-standard-error rule)"],
        loc="outside lower center",
        ncol=7,
        fontsize="small",
    )

    ax = axes[2]
    width = 0.27
    xpos = np.arange(len(NAMES))
    raw_std = raw.coef_ * out["sd"]
    scaled_std = out["scaled"][-1].coef_
    ax.bar(xpos - width, TRUE_EFFECT_PER_SD, width, color="0.6", label="truth")
    ax.bar(xpos, raw_std, width, color="tab:red", label=f"raw (R^2 {out['r2_raw']:.2f})")
    ax.bar(
        xpos + width,
        scaled_std,
        width,
        color="tab:green",
        label=f"standardized (R^2 {out['r2_scaled']:.2f})",
    )
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xticks(xpos, NAMES, rotation=20)
    ax.set_ylabel("coefficient per standard deviation")
    ax.set_title("Chosen models (held-out R^2 in the legend)")
    ax.legend(loc="upper right", fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.suptitle("The same Lasso on raw and on standardized features")

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / FIGURES[0]
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return [path]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=str(HERE), help="default: %(default)s")
    parser.add_argument("--quick", action="store_true", help="a coarser grid (for tests)")
    args = parser.parse_args(argv)

    out = fit(n_alphas=30 if args.quick else 100)
    for row in summary(out):
        print(row)
    for path in plot(out, args.output_dir):
        print(f"plot written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
