"""Benchmark sparsefit against scikit-learn and the installed peers, side by side.

Usage::

    python benchmarks/run.py [--data-dir DIR] [--problems leukemia,news20] [--repeat 3]
                             [--solvers sparsefit,sklearn,celer,skglm] [--quick]
                             [--tasks enet,ridge] [--memory] [--output results.md]

For every problem, estimator (Lasso, ElasticNet with l1_ratio=0.5) and alpha, each solver is
first calibrated (untimed warm-up fits down its tolerance ladder until the shared relative
duality gap of ``gap.py`` is at most ``--target``), then all solvers are timed ``--repeat``
times, interleaved. Times are medians. Ridge compares ``RidgeGD`` with ``Ridge(solver='auto')``
at matched relative objective suboptimality.
"""

import argparse
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extra import (  # noqa: E402
    LATENCY_REPEAT,
    bench_multitarget,
    is_small,
    latency_report,
    phase_breakdown,
)
from gap import (  # noqa: E402
    CenteredDesign,
    alpha_max,
    relative_enet_gap,
    ridge_objective,
    ridge_suboptimality_bound,  # noqa: E402
)
from problems import get_problems  # noqa: E402
from solvers import available_solvers  # noqa: E402
from timing import Entry, HostProbe, calibrate, time_alternating  # noqa: E402

MODELS = (("Lasso", 1.0), ("ElasticNet", 0.5))
RIDGE_ALPHAS = (1.0, 100.0)
RIDGE_LADDER = [10.0**-k for k in range(2, 15)]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def fmt_time(seconds):
    return f"{seconds:.3g} s" if seconds >= 0.01 else f"{seconds * 1e3:.2g} ms"


def geometric_mean(values):
    values = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")


# --- Lasso / ElasticNet -----------------------------------------------------------------------


def bench_enet(problem, X, y, solvers, args):
    design = CenteredDesign(X, y)
    rows = []
    for model, l1_ratio in MODELS:
        a_max = alpha_max(design, l1_ratio)
        for divisor in problem.divisors:
            alpha = a_max / divisor

            def accuracy(est, alpha=alpha, l1_ratio=l1_ratio):
                return relative_enet_gap(design, est.coef_, alpha, l1_ratio)

            entries = []
            for solver in solvers:
                entry = Entry(
                    solver.name,
                    make=lambda tol, s=solver, a=alpha, r=l1_ratio: s.make(a, r, tol),
                    ladder=solver.tol_ladder(args.target, y),
                    accuracy=accuracy,
                    target=args.target,
                )
                calibrate(entry, X, y, args.slow_limit)
                entries.append(entry)
            time_alternating(entries, X, y, args.repeat)
            row = {
                "problem": problem.name,
                "model": model,
                "divisor": divisor,
                "entries": {e.name: e for e in entries},
            }
            rows.append(row)
            log(
                f"  {model:10s} alpha_max/{divisor:<5d} "
                + "  ".join(f"{e.name}={e.time:.3g}s/{e.error:.1e}" for e in entries)
            )
    return rows


def bench_latency(problem, X, y, solvers, args):
    """``bench_enet`` with at least ``LATENCY_REPEAT`` timed runs, and sparsefit's phases."""
    repeat = args.repeat
    args.repeat = max(repeat, LATENCY_REPEAT)
    try:
        rows = bench_enet(problem, X, y, solvers, args)
    finally:
        args.repeat = repeat
    design = CenteredDesign(X, y)
    for row in rows:
        l1_ratio = dict(MODELS)[row["model"]]
        alpha = alpha_max(design, l1_ratio) / row["divisor"]
        row["phases"] = phase_breakdown(X, y, alpha, l1_ratio, args.target, LATENCY_REPEAT)
    return rows


def enet_cell(entry, show_tol):
    text = f"{fmt_time(entry.time)} · {entry.error:.1e}"
    if show_tol:
        text += f" · tol {entry.tol:.0e}"
    if not entry.reached:
        text += " ✗"
    if entry.warned:
        text += " ⚠"
    if entry.single_run:
        text += " (1 run)"
    return text


def enet_report(rows, solvers, target):
    names = [s.name for s in solvers]
    peers = [n for n in names if n != "sparsefit"]
    ladder_solvers = {s.name for s in solvers if len(s.tol_ladder(target, np.ones(2))) > 1}
    head = ["problem", "model", "α"] + names
    if "sparsefit" in names:
        head += [f"sparsefit/{p}" for p in peers]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    ratios = {p: [] for p in peers}
    slower = []
    for row in rows:
        entries = row["entries"]
        cells = [row["problem"], row["model"], f"α_max/{row['divisor']}"]
        cells += [enet_cell(entries[n], n in ladder_solvers) for n in names]
        if "sparsefit" in names:
            sf = entries["sparsefit"]
            for p in peers:
                ratio = sf.time / entries[p].time
                both = sf.reached and entries[p].reached
                cells.append(f"{ratio:.3g}" + ("" if both else " (✗)"))
                if both:
                    ratios[p].append((row["model"], ratio))
                    if ratio > 1:
                        slower.append(
                            f"{row['problem']} {row['model']} α_max/{row['divisor']}: "
                            f"{ratio:.2f}× slower than {p}"
                        )
        lines.append("| " + " | ".join(cells) + " |")

    lines += [
        "",
        "Cells: median time · achieved relative duality gap (shared formula, "
        f"target {target:g}) [· the peer's own `tol` that reached it, or the tightest "
        "tried]. ✗ = target gap not reached; ⚠ = the solver raised a ConvergenceWarning. "
        "Ratios are sparsefit time / peer time "
        "(< 1: sparsefit faster).",
    ]
    if "sparsefit" in names and peers:
        lines += [
            "",
            "Geometric mean of sparsefit/peer time ratios "
            "(rows where both solvers reached the target gap):",
            "",
            "| peer | all | Lasso | ElasticNet | rows |",
            "|---|---|---|---|---|",
        ]
        for p in peers:
            by = {m: [r for mm, r in ratios[p] if mm == m] for m, _ in MODELS}
            lines.append(
                f"| {p} | {geometric_mean([r for _, r in ratios[p]]):.2f} | "
                f"{geometric_mean(by['Lasso']):.2f} | "
                f"{geometric_mean(by['ElasticNet']):.2f} | {len(ratios[p])} |"
            )
        lines += ["", "Where sparsefit is slower than a peer:", ""]
        lines += [f"- {s}" for s in slower] or ["- nowhere"]
    return lines


# --- Ridge --------------------------------------------------------------------------------------


def ridge_reference(X, y, alpha):
    """A tight solution: Cholesky for dense X, a very tight sparse_cg run for sparse X."""
    from sklearn.linear_model import Ridge

    if sparse.issparse(X):
        ref = Ridge(alpha=alpha, solver="sparse_cg", tol=1e-14, max_iter=200_000)
        return ref.fit(X, y), "sparse_cg tol=1e-14"
    return Ridge(alpha=alpha, solver="cholesky").fit(X, y), "cholesky"


def bench_ridge(problem, X, y, args):
    from sklearn.linear_model import Ridge

    from sparsefit import RidgeGD

    design = CenteredDesign(X, y)
    rows = []
    for alpha in RIDGE_ALPHAS:
        ref, ref_name = ridge_reference(X, y, alpha)
        p_ref = ridge_objective(design, ref.coef_, alpha)
        ref_bound = ridge_suboptimality_bound(design, ref.coef_, alpha) / p_ref

        def accuracy(est, alpha=alpha, p_ref=p_ref):
            return (ridge_objective(design, est.coef_, alpha) - p_ref) / p_ref

        entries = [
            Entry(
                "RidgeGD",
                make=lambda tol, a=alpha: RidgeGD(alpha=a, tol=tol),
                ladder=RIDGE_LADDER,
                accuracy=accuracy,
                target=args.target,
            ),
            Entry(
                "sklearn",
                make=lambda tol, a=alpha: Ridge(alpha=a, solver="auto", tol=tol),
                ladder=RIDGE_LADDER,
                accuracy=accuracy,
                target=args.target,
            ),
        ]
        for entry in entries:
            est = calibrate(entry, X, y, args.slow_limit)
            entry.extra["solver"] = getattr(est, "solver_", "?")
        time_alternating(entries, X, y, args.repeat)
        rows.append(
            {
                "problem": problem.name,
                "alpha": alpha,
                "entries": entries,
                "ref": f"{ref_name}, certified ≤ {max(ref_bound, 0):.0e}",
            }
        )
        log(
            f"  Ridge alpha={alpha:g} "
            + "  ".join(f"{e.name}={e.time:.3g}s/{e.error:.1e}" for e in entries)
        )
    return rows


def ridge_report(rows, target):
    lines = [
        "| problem | α | RidgeGD | sklearn Ridge(solver='auto') | RidgeGD/sklearn | reference |",
        "|---|---|---|---|---|---|",
    ]
    ratios = []
    for row in rows:
        gd, sk = row["entries"]
        cells = [row["problem"], f"{row['alpha']:g}"]
        for e in (gd, sk):
            solver = e.extra["solver"]
            tol = "" if solver in ("cholesky", "svd") else f" tol {e.tol:.0e}"
            cells.append(
                f"{fmt_time(e.time)} · {e.error:.1e} · {solver}{tol}"
                + ("" if e.reached else " ✗")
                + (" (1 run)" if e.single_run else "")
            )
        ratio = gd.time / sk.time
        if gd.reached and sk.reached:
            ratios.append(ratio)
        cells += [f"{ratio:.3g}" + ("" if gd.reached and sk.reached else " (✗)"), row["ref"]]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Cells: median time · relative suboptimality (P(w) − P_ref) / P_ref of "
        f"sklearn's Ridge objective (target {target:g}) · solver used · the loosest "
        "`tol` of 1e-2, 1e-3, … that reached the target (sklearn's cholesky ignores tol). "
        "The reference is certified by the strong-convexity bound ‖∇P‖²/(4α) / P_ref.",
        "",
        f"Geometric mean RidgeGD/sklearn: {geometric_mean(ratios):.2f} ({len(ratios)} rows)",
    ]
    return lines


# --- memory ---------------------------------------------------------------------------------


def memory_report(data_dir):
    """Peak memory of fitting news20 in fresh subprocesses (see memory.py)."""
    script = Path(__file__).resolve().parent / "memory.py"
    lines = [
        "| estimator | X arrays (data+indices+indptr) | tracemalloc peak during fit | "
        "peak / X | peak RSS − RSS before fit | RSS growth / X |",
        "|---|---|---|---|---|---|",
    ]
    for estimator in ("LassoCD", "sklearn.Lasso"):
        cmd = [sys.executable, str(script), "--estimator", estimator]
        if data_dir is not None:
            cmd += ["--data-dir", str(data_dir)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        res = dict(line.split("=", 1) for line in out.strip().splitlines() if "=" in line)
        x_mb, peak_mb, rss_mb = (float(res[k]) / 2**20 for k in ("x_bytes", "peak", "rss_growth"))
        lines.append(
            f"| {estimator} (α_max/100) | {x_mb:.1f} MiB | {peak_mb:.1f} MiB | "
            f"{peak_mb / x_mb:.2f} | {rss_mb:.1f} MiB | {rss_mb / x_mb:.2f} |"
        )
    return lines


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        default=None,
        help="directory with the shared datasets (default ../shared/datasets "
        "relative to the repository root)",
    )
    parser.add_argument("--problems", default=None, help="comma-separated problem names")
    parser.add_argument("--solvers", default="sparsefit,sklearn,celer,skglm")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per solver (median)")
    parser.add_argument("--quick", action="store_true", help="small problems only (smoke test)")
    parser.add_argument(
        "--tasks",
        default="enet,ridge,latency,multitarget",
        help="any of enet, ridge, latency (small data), multitarget",
    )
    parser.add_argument(
        "--target",
        type=float,
        default=1e-6,
        help="required relative duality gap / ridge suboptimality",
    )
    parser.add_argument(
        "--slow-limit",
        type=float,
        default=120.0,
        help="a solver whose warm-up fit takes longer is timed once only",
    )
    parser.add_argument("--sklearn-max-iter", type=int, default=100_000)
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also measure peak memory of fitting news20 with LassoCD",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit BLAS/OpenMP threads (threadpoolctl); default: library default",
    )
    parser.add_argument("--output", default=None, help="also write the markdown report here")
    return parser.parse_args(argv)


def select_problems(args):
    problems, notes = get_problems(args.data_dir)
    if args.problems:
        wanted = args.problems.split(",")
        unknown = set(wanted) - {p.name for p in problems}
        if unknown:
            raise SystemExit(
                f"unknown or unavailable problems {sorted(unknown)}; "
                f"available: {[p.name for p in problems]}"
            )
        problems = [p for p in problems if p.name in wanted]
    elif args.quick:
        problems = [p for p in problems if p.quick]
    else:
        problems = [p for p in problems if p.default]
    return problems, notes


def environment_lines(solvers):
    import sklearn

    import sparsefit

    versions = [
        f"sparsefit {sparsefit.__version__}",
        f"scikit-learn {sklearn.__version__}",
        f"numpy {np.__version__}",
    ]
    for s in solvers:
        if s.name in ("celer", "skglm"):
            versions.append(f"{s.name} {__import__(s.name).__version__}")
    return [
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs; " + ", ".join(versions)
    ]


def main(argv=None):
    args = parse_args(argv)
    tasks = set(args.tasks.split(","))
    problems, notes = select_problems(args)
    solvers, solver_notes = available_solvers(args.solvers.split(","), args.sklearn_max_iter)
    notes += solver_notes

    report = ["# sparsefit benchmarks", ""] + environment_lines(solvers)
    report += [f"Threads: {args.threads if args.threads else 'library default'}."]
    report += [
        "",
        f"Median of {args.repeat} timed runs after untimed warm-up fits; "
        "solvers interleaved, each round starting with a different solver.",
    ]
    report += [f"- note: {n}" for n in notes]
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)

    enet_rows, ridge_rows, latency_rows = [], [], []
    probe = HostProbe()
    for problem in problems:
        probe.sample()
        X, y = problem.load()
        log(
            f"{problem.name}: {X.shape[0]} x {X.shape[1]} "
            f"{'sparse' if sparse.issparse(X) else 'dense'}"
        )
        if "enet" in tasks and "enet" in problem.tasks:
            enet_rows += bench_enet(problem, X, y, solvers, args)
        if "ridge" in tasks and "ridge" in problem.tasks:
            ridge_rows += bench_ridge(problem, X, y, args)
        if "latency" in tasks and is_small(X) and "enet" in problem.tasks:
            latency_rows += bench_latency(problem, X, y, solvers, args)

    if enet_rows:
        report += ["", "## Lasso and ElasticNet (l1_ratio=0.5), fit_intercept=True", ""]
        report += enet_report(enet_rows, solvers, args.target)
    if ridge_rows:
        report += ["", "## Ridge, fit_intercept=True", ""] + ridge_report(ridge_rows, args.target)
    if latency_rows:
        report += ["", "## Small data: latency", ""] + latency_report(latency_rows, args.target)
    if "multitarget" in tasks:
        log("multi-target")
        report += ["", "## Many targets at once", ""] + bench_multitarget(args)
    if args.memory:
        report += ["", "## Peak memory, news20 Lasso", ""] + memory_report(args.data_dir)
    probe.sample()
    report += [
        "",
        probe.line(),
        "",
        f"Total wall time: {time.perf_counter() - started:.0f} s. "
        f"Load average (1 min) at start {load_start:.1f}, at end {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs (other processes share the machine if it exceeds "
        "the threads used).",
    ]

    text = "\n".join(report) + "\n"
    print(text)
    if args.output:
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
