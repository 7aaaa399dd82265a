"""Correlated features: the Lasso picks one of a group, the Elastic Net keeps the group.

Synthetic data (100 samples) with three groups of four strongly correlated features (each
feature is its group's latent factor plus a little noise: correlation about 0.99 within a
group) and four independent noise features. The target depends on two latent factors::

    y = 2 * factor_A - 1.5 * factor_B + noise         (group C and the x_noise are irrelevant)

so every member of group A (and of B) carries the same signal.

Both models choose ``alpha`` by 5-fold CV with the one-standard-error rule.

* ``LassoCDCV``: the L1 penalty is indifferent between spreading a weight over near-copies
  and putting it on one of them, so the data's small accidents decide: along the path one
  member of a group enters first and the others follow much later, and at the chosen
  ``alpha`` the weights within a group are uneven. **Which members are kept changes from
  one half of the data to the other**: each is selected only about half of the time, and
  its coefficient jumps between 0 and more than the group's whole effect.
* ``ElasticNetCDCV(l1_ratio=0.2)``: the L2 part of the penalty makes spreading strictly
  cheaper, so correlated features **enter together with similar coefficients**, and every
  member of the relevant groups is selected on every half-sample, with stable coefficients.
  The price: irrelevant features also slip in, with small coefficients, on some
  half-samples.

The figure shows both regularization paths (features coloured by group) and, over 30 random
half-samples of the data, how often each feature is selected (non-zero) at the ``alpha``
chosen on all the data.

Writes ``correlated.png``::

    python examples/plot_correlated.py [--output-dir DIR] [--quick]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.preprocessing import StandardScaler

from sparsefit import ElasticNetCD, ElasticNetCDCV, LassoCD, LassoCDCV

HERE = Path(__file__).resolve().parent
FIGURES = ("correlated.png",)

GROUP_SIZE = 4
GROUPS = {"A (relevant)": "tab:red", "B (relevant)": "tab:blue", "C (irrelevant)": "tab:olive"}
L1_RATIO = 0.2


def make_data(n_samples, rng):
    factors = rng.standard_normal((n_samples, 3))
    blocks = [
        factors[:, [k]] + 0.1 * rng.standard_normal((n_samples, GROUP_SIZE)) for k in range(3)
    ]
    noise = rng.standard_normal((n_samples, GROUP_SIZE))
    X = StandardScaler().fit_transform(np.hstack([*blocks, noise]))
    y = 2.0 * factors[:, 0] - 1.5 * factors[:, 1] + rng.standard_normal(n_samples)
    names = [f"{g[0]}{i + 1}" for g in GROUPS for i in range(GROUP_SIZE)]
    names += [f"x_noise{i + 1}" for i in range(GROUP_SIZE)]
    return X, y, names


def feature_colors():
    colors = [c for c in GROUPS.values() for _ in range(GROUP_SIZE)]
    return colors + ["0.6"] * GROUP_SIZE


def fit(n_subsamples, n_alphas, seed=0):
    rng = np.random.default_rng(seed)
    X, y, names = make_data(100, rng)
    lasso = LassoCDCV(cv=5, alphas=n_alphas, alpha_rule="1se").fit(X, y)
    enet = ElasticNetCDCV(l1_ratio=L1_RATIO, cv=5, alphas=n_alphas, alpha_rule="1se").fit(X, y)
    # selection frequency over random half-samples, each model at its CV alpha
    coefs = {"lasso": [], "enet": []}
    for _ in range(n_subsamples):
        idx = rng.choice(len(y), size=len(y) // 2, replace=False)
        coefs["lasso"].append(LassoCD(alpha=lasso.alpha_).fit(X[idx], y[idx]).coef_)
        enet_half = ElasticNetCD(alpha=enet.alpha_, l1_ratio=L1_RATIO).fit(X[idx], y[idx])
        coefs["enet"].append(enet_half.coef_)
    freq = {key: np.mean(np.array(c) != 0, axis=0) for key, c in coefs.items()}
    spread = {key: np.std(np.array(c), axis=0) for key, c in coefs.items()}
    return {
        "X": X,
        "y": y,
        "names": names,
        "lasso": lasso,
        "enet": enet,
        "freq": freq,
        "spread": spread,
        "n_subsamples": n_subsamples,
    }


def summary(out):
    names = out["names"]
    rows = [f"{'feature':9s} {'LassoCDCV':>10s} {'ElasticNetCDCV':>15s}   (coefficients)"]
    for j, name in enumerate(names):
        rows.append(f"{name:9s} {out['lasso'].coef_[j]:10.3f} {out['enet'].coef_[j]:15.3f}")
    for key, label in (("lasso", "LassoCDCV"), ("enet", f"ElasticNetCDCV(l1_ratio={L1_RATIO})")):
        coef = out[key].coef_
        per_group = [
            int(np.count_nonzero(coef[k * GROUP_SIZE : (k + 1) * GROUP_SIZE]))
            for k in range(len(GROUPS) + 1)
        ]
        relevant = slice(0, 2 * GROUP_SIZE)
        rows.append(
            f"{label}: alpha_ = {out[key].alpha_:.3g}, non-zero per group A/B/C/noise = "
            f"{'/'.join(map(str, per_group))}; over {out['n_subsamples']} half-samples: "
            f"groups A and B selected {100 * out['freq'][key][relevant].mean():.0f}% of the "
            f"time, coefficient sd {out['spread'][key][relevant].mean():.2f}"
        )
    return rows


def plot(out, output_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from sparsefit.plot import RegularizationPathDisplay

    X, y, names = out["X"], out["y"], out["names"]
    colors = feature_colors()
    fig, axes = plt.subplots(1, 3, figsize=(16, 5), layout="constrained")
    for ax, key, title in (
        (axes[0], "lasso", "LassoCDCV path"),
        (axes[1], "enet", f"ElasticNetCDCV(l1_ratio={L1_RATIO}) path"),
    ):
        display = RegularizationPathDisplay.from_estimator(
            out[key], X, y, feature_names=names, ax=ax, legend=False
        )
        for line, color in zip(display.lines_, colors, strict=True):  # colour by group
            line.set_color(color)
            line.set_linewidth(1.5)
        display.alpha_mark_lines_["alpha_min_"].remove()  # alpha_ is alpha_1se_ here
        display.alpha_mark_lines_["alpha_1se_"].set_linestyle("--")
        ax.set_title(title)
    handles = [Line2D([], [], color=c, label=f"group {g}") for g, c in GROUPS.items()]
    handles.append(Line2D([], [], color="0.6", label="independent noise"))
    handles.append(
        Line2D([], [], color="black", linestyle="--", label="alpha_ chosen by CV (1-SE rule)")
    )
    axes[0].legend(handles=handles, loc="upper left", fontsize="small")

    ax = axes[2]
    width = 0.4
    xpos = np.arange(len(names))
    ax.bar(xpos - width / 2, out["freq"]["lasso"], width, color="tab:gray", label="LassoCD")
    ax.bar(
        xpos + width / 2,
        out["freq"]["enet"],
        width,
        color="tab:green",
        label=f"ElasticNetCD(l1_ratio={L1_RATIO})",
    )
    ax.set_xticks(xpos, names, rotation=90, fontsize="small")
    for tick, color in zip(ax.get_xticklabels(), colors, strict=True):
        tick.set_color(color if color != "0.6" else "0.3")
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("share of half-samples where the feature is selected")
    ax.set_title(f"Selection frequency over {out['n_subsamples']} half-samples (alpha_ fixed)")
    ax.legend(loc="upper right", fontsize="small", ncol=2)
    ax.grid(axis="y", alpha=0.3)
    fig.suptitle(
        "Groups of correlated features: the Lasso's picks within a group are unstable, "
        "the Elastic Net keeps the whole group"
    )

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / FIGURES[0]
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return [path]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=str(HERE), help="default: %(default)s")
    parser.add_argument(
        "--quick", action="store_true", help="fewer half-samples and alphas (for tests)"
    )
    args = parser.parse_args(argv)

    out = fit(n_subsamples=8 if args.quick else 30, n_alphas=30 if args.quick else 100)
    for row in summary(out):
        print(row)
    for path in plot(out, args.output_dir):
        print(f"plot written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
