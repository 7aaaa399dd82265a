"""Paths and cross-validation: sparsefit against scikit-learn, side by side.

Usage::

    python benchmarks/cv.py [--data-dir DIR] [--problems leukemia,california]
                            [--tols 1e-4,1e-6] [--repeat 3] [--gridsearch] [--output FILE]

For each problem and ``tol``: ``LassoCDCV`` against ``LassoCV`` (100 alphas, 5 folds) and
``sparsefit.lasso_path`` against ``sklearn.linear_model.lasso_path`` (100 alphas, on the
centred data), timed alternately (median of ``--repeat`` runs after a warm-up); with
``--gridsearch``, also ``GridSearchCV(LassoCD(), {'alpha': the same grid}, cv=5)`` (timed
once). Accuracy columns: whether both CV estimators chose the same alpha, the largest
relative difference of their ``mse_path_``, and the largest relative duality gap (shared
formula of ``gap.py``) over sparsefit's path.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gap import CenteredDesign, relative_enet_gap  # noqa: E402
from problems import get_problems  # noqa: E402

DEFAULT_PROBLEMS = "leukemia,california,synth_10000x1000,synth_200x20000"


def _time(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _alternate(fns, repeat):
    """Warm up each callable once, then time them ``repeat`` times, interleaved."""
    outs = [fn() for fn in fns]
    times = [[] for _ in fns]
    for round_ in range(repeat):
        order = list(range(len(fns)))
        order = order[round_ % len(fns) :] + order[: round_ % len(fns)]
        for i in order:
            seconds, outs[i] = _time(fns[i])
            times[i].append(seconds)
    return [statistics.median(t) for t in times], outs


def run_problem(name, X, y, tol, repeat, gridsearch):
    from sklearn.linear_model import LassoCV
    from sklearn.linear_model import lasso_path as sk_lasso_path
    from sklearn.model_selection import GridSearchCV, KFold

    from sparsefit import LassoCD, LassoCDCV, lasso_path

    rows = []
    (t_sf, t_sk), (m_sf, m_sk) = _alternate(
        [
            lambda: LassoCDCV(tol=tol, max_iter=10000).fit(X, y),
            lambda: LassoCV(tol=tol, max_iter=10000).fit(X, y),
        ],
        repeat,
    )
    same_alpha = np.isclose(m_sf.alpha_, m_sk.alpha_, rtol=1e-10)
    mse_diff = float(np.max(np.abs(m_sf.mse_path_ - m_sk.mse_path_) / m_sk.mse_path_))
    rows.append(
        (
            name,
            tol,
            "LassoCDCV vs LassoCV",
            t_sf,
            t_sk,
            f"same alpha_: {same_alpha}, mse_path_ rel. diff {mse_diff:.1e}",
        )
    )

    Xc = X if sparse.issparse(X) else X - X.mean(axis=0)
    yc = y - y.mean()
    alphas = m_sk.alphas_
    (t_sf, t_sk), ((_, coefs, _), (_, coefs_sk, _)) = _alternate(
        [
            lambda: lasso_path(Xc, yc, alphas=alphas, tol=tol, max_iter=10000),
            lambda: sk_lasso_path(Xc, yc, alphas=alphas, tol=tol, max_iter=10000),
        ],
        repeat,
    )
    design = CenteredDesign(Xc, yc)
    worst, worst_sk = (
        max(relative_enet_gap(design, c[:, i], a, 1.0) for i, a in enumerate(alphas))
        for c in (coefs, coefs_sk)
    )
    rows.append(
        (
            name,
            tol,
            "lasso_path",
            t_sf,
            t_sk,
            f"max rel. gap {worst:.1e} (scikit-learn's {worst_sk:.1e}; tol {tol})",
        )
    )

    if gridsearch:
        search = GridSearchCV(
            LassoCD(tol=tol, max_iter=10000),
            {"alpha": alphas},
            cv=KFold(5),
            scoring="neg_mean_squared_error",
        )
        t_gs, _ = _time(lambda: search.fit(X, y))
        rows.append(
            (
                name,
                tol,
                "LassoCDCV vs GridSearchCV(LassoCD)",
                rows[0][3],
                t_gs,
                f"grid-search alpha {search.best_params_['alpha']:.4g}, "
                f"LassoCDCV {m_sf.alpha_:.4g}",
            )
        )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--problems", default=DEFAULT_PROBLEMS)
    parser.add_argument("--tols", default="1e-4,1e-6")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gridsearch", action="store_true")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)

    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    warnings.simplefilter("ignore")
    problems, notes = get_problems(args.data_dir)
    wanted = args.problems.split(",")
    lines = [
        "| problem | tol | comparison | sparsefit | peer | ratio | accuracy |",
        "|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for problem in problems:
        if problem.name not in wanted:
            continue
        X, y = problem.load()
        for tol in (float(t) for t in args.tols.split(",")):
            for name, tol_, what, t_sf, t_peer, acc in run_problem(
                problem.name, X, y, tol, args.repeat, args.gridsearch
            ):
                line = (
                    f"| {name} | {tol_:g} | {what} | {t_sf:.3g} s | {t_peer:.3g} s | "
                    f"{t_sf / t_peer:.2f} | {acc} |"
                )
                lines.append(line)
                print(line, flush=True)
    for note in notes:
        print(f"note: {note}")
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
