"""sparsefit on dask input: out-of-core cross-validation, and against dask-ml (issue 14).

Usage::

    python benchmarks/dask_scale.py --quick                     # smoke run, a few seconds
    python benchmarks/dask_scale.py --output results_dask.md    # full run (about 15 min)
    python benchmarks/dask_scale.py --parts outofcore --rows 2e7 --repeat 1

All data are generated from a seed, block by block: block ``i`` of ``[X | y]`` comes from
``np.random.default_rng((seed, i))`` in one block function, so ``y`` always comes from the
same rows as ``X``. Features are independent standard normals; the true coefficient vector
has a quarter of the features nonzero (feature 0 among them), an intercept of 3, noise of
standard deviation 1; feature 0 then gets an offset (``--offset``, 1e3) so that exact
centring matters. No data directory is read.

Parts (``--parts``, comma-separated):

``outofcore``
    ``X`` of ``--rows`` x ``--features`` (default 2e8 x 20 float64: 32 GB, never held),
    generated in blocks of ``--block-rows`` rows by ``da.map_blocks``. ``LassoCDCV(cv=5)``
    on it with dask's local threaded scheduler, against one bare pass over the same ``X``
    (``X.sum().compute()``), the floor. The two alternate (bare, fit, bare, fit, ...;
    ``--repeat`` rounds). For each run: wall time, peak RSS of this process during the run
    (``VmHWM`` after resetting it through ``/proc/self/clear_refs``, as ``memory.py``), and
    the number of passes over the data (block-function calls / number of blocks).
``check``
    The same generator on ``--check-rows`` rows (blocks of ``--check-block-rows``, which do
    not line up with the fold boundaries), computed into memory: ``LassoCDCV(cv=5)`` on the
    dask array against the in-memory estimator on the same numbers (``alpha_``,
    ``mse_path_``, ``coef_``, ``intercept_``) and both solutions' relative duality gaps
    (``gap.py``).
``daskml``
    ``--vs-rows`` x ``--vs-features`` (default 1e6 x 100) from the same generator, computed
    into memory and standardized column by column (mean 0, std 1), then wrapped as a dask
    array in blocks of ``--vs-block-rows`` rows (``da.from_array``). Lasso at
    ``alpha = alpha_max / --vs-divisor``: sparsefit ``LassoCD(tol=--target)`` on the dask
    array and on the NumPy array (alternating, median of ``--vs-repeat`` runs after a
    warm-up), and dask-ml ``LinearRegression(penalty='l1')`` with the solvers that accept
    an L1 penalty, ``admm`` (its default) and ``proximal_grad``, at their default
    tolerances and iteration limits (timed once each, after an untimed warm-up on a small
    problem). Every solution is scored by the relative duality gap of ``gap.py`` for
    ``1/(2n)||y - Xw - b||^2 + alpha ||w||_1`` with ``b`` the optimal (unpenalized)
    intercept for its ``w``.

Mapping dask-ml's regularization (dask-ml 2025.1 / dask-glm 0.4, read from their source):
``LinearRegression`` appends a column of ones to X and passes ``lamduh = 1/C`` to the
dask-glm solver, which minimizes ``||y - X1 beta||^2 + lamduh ||beta||_1`` (sum of squares,
not halved, not averaged) where ``beta`` includes the intercept, **so the intercept is
penalized** too. The solvers are wrapped in ``dask_glm.utils.normalize``: they solve on
``(X - mean) / std`` and map the solution back, so in X's units the penalty on ``w_j`` is
``lamduh * std_j``. With X standardized beforehand that wrapper is the identity, and
dividing by ``2n`` gives sparsefit's problem with ``alpha = lamduh / (2n)``, i.e.
``C = 1 / (2 n alpha)``, except for the penalized intercept (whose optimum is shifted by
``alpha`` towards 0; the shared gap ignores the returned intercept).
"""

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gap import CenteredDesign, alpha_max, relative_enet_gap  # noqa: E402
from memory import peak_rss, reset_peak_rss  # noqa: E402

GB = 1e9


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --- the generator -----------------------------------------------------------------------------
class BlockCounter:
    """Counts block-function calls (thread-safe: the threaded scheduler calls it from its
    worker threads)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.calls = 0

    def __call__(self):
        with self._lock:
            self.calls += 1

    def reset(self):
        with self._lock:
            self.calls = 0


def true_coef(n_features, seed):
    """A quarter of the features active (feature 0 always), coefficients +-U(0.5, 1.5)."""
    rng = np.random.default_rng((seed, 2**31))
    k = max(1, n_features // 4)
    active = np.concatenate([[0], rng.choice(np.arange(1, n_features), k - 1, replace=False)])
    coef = np.zeros(n_features)
    coef[active] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 1.5, k)
    return coef


def generate_block(index, n_rows, coef, seed, offset, intercept=3.0, noise=1.0):
    """Rows of block ``index`` of ``[X | y]``: one (n_rows, p + 1) array."""
    rng = np.random.default_rng((seed, index))
    Z = rng.standard_normal((n_rows, coef.size + 1))
    X = Z[:, :-1]
    y = Z[:, -1]
    y *= noise
    y += X @ coef
    y += intercept
    X[:, 0] += offset
    return Z


def dask_data(n_rows, n_features, block_rows, seed, offset, counter=None):
    """``(X, y, coef)``: X and y lazy dask arrays sliced from one generated ``[X | y]``."""
    import dask.array as da

    coef = true_coef(n_features, seed)
    n_blocks = math.ceil(n_rows / block_rows)
    rows = tuple(min(block_rows, n_rows - i * block_rows) for i in range(n_blocks))

    def block(block_info=None):
        info = block_info[None]
        if counter is not None:
            counter()
        return generate_block(
            info["chunk-location"][0], info["chunk-shape"][0], coef, seed, offset
        )

    XY = da.map_blocks(
        block,
        chunks=(rows, (n_features + 1,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
        name=f"gen-{seed}-{n_rows}-{n_features}-{block_rows}-{offset}",
    )
    return XY[:, :n_features], XY[:, n_features], coef


def numpy_data(n_rows, n_features, block_rows, seed, offset):
    """The same numbers as ``dask_data``, in memory (block by block, no dask)."""
    coef = true_coef(n_features, seed)
    XY = np.empty((n_rows, n_features + 1))
    for i, start in enumerate(range(0, n_rows, block_rows)):
        stop = min(start + block_rows, n_rows)
        XY[start:stop] = generate_block(i, stop - start, coef, seed, offset)
    return np.ascontiguousarray(XY[:, :n_features]), XY[:, n_features].copy(), coef


# --- measuring ---------------------------------------------------------------------------------
def measured(fn, counter, n_blocks):
    """Run ``fn`` and return ``(output, seconds, peak RSS in bytes, passes)``."""
    counter.reset()
    reset_peak_rss()
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    return out, seconds, peak_rss(), counter.calls / n_blocks


def fmt_bytes(b):
    return f"{b / GB:.2f} GB" if b >= 0.1 * GB else f"{b / 1e6:.0f} MB"


def fmt_time(seconds):
    return f"{seconds:.3g} s" if seconds >= 0.01 else f"{seconds * 1e3:.2g} ms"


# --- part 1: out of core -----------------------------------------------------------------------
BARE, FIT = "bare pass", "LassoCDCV(cv=5).fit"


def _alternate(X, y, counter, repeat):
    """``repeat`` rounds of a bare pass then a fit: ``({name: [(s, rss, passes)]}, model)``."""
    from sparsefit import LassoCDCV

    n_blocks = X.numblocks[0]
    fns = {BARE: lambda: X.sum().compute(), FIT: lambda: LassoCDCV(cv=5).fit(X, y)}
    runs = {name: [] for name in fns}
    model = None
    for round_ in range(repeat):
        for name, fn in fns.items():
            out, seconds, rss, passes = measured(fn, counter, n_blocks)
            runs[name].append((seconds, rss, passes))
            if name == FIT:
                model = out
            log(
                f"  round {round_ + 1}: {name}: {seconds:.1f} s, peak RSS "
                f"{fmt_bytes(rss)}, {passes:g} passes"
            )
    return runs, model


def _outofcore_summary(runs, model):
    """The acceptance table of the out-of-core part, and a line on the fitted model."""
    bare = statistics.median(v[0] for v in runs[BARE])
    fit = statistics.median(v[0] for v in runs[FIT])
    fit_rss = max(v[1] for v in runs[FIT])
    fit_passes = {v[2] for v in runs[FIT]}
    ratios = [f[0] / b[0] for b, f in zip(runs[BARE], runs[FIT], strict=True)]
    index = int(np.argmin(np.abs(model.alphas_ - model.alpha_)))
    return [
        "| quantity | measured | target | holds |",
        "|---|---|---|---|",
        f"| peak RSS of the fit (max over rounds) | {fmt_bytes(fit_rss)} | < 2 GB | "
        f"{'yes' if fit_rss < 2 * GB else 'no'} |",
        f"| passes over the data per fit | {', '.join(f'{p:g}' for p in sorted(fit_passes))} "
        f"| 1 | {'yes' if fit_passes == {1.0} else 'no'} |",
        f"| wall of the fit / bare pass (medians) | {fit:.3g} s / {bare:.3g} s = "
        f"{fit / bare:.2f} (per round: {', '.join(f'{r:.2f}' for r in ratios)}) | <= 1.5 | "
        f"{'yes' if fit / bare <= 1.5 else 'no'} |",
        "",
        f"Fitted: alpha_ = {model.alpha_:.6g} (index {index} of {model.alphas_.size}), "
        f"{np.count_nonzero(model.coef_)} nonzero coefficients, "
        f"intercept_ = {model.intercept_:.6g}, dual_gap_ = {model.dual_gap_:.3g}.",
    ]


def run_outofcore(args):
    import dask

    counter = BlockCounter()
    X, y, _ = dask_data(args.rows, args.features, args.block_rows, args.seed, args.offset, counter)
    n_blocks = X.numblocks[0]
    block_bytes = args.block_rows * (args.features + 1) * 8
    log(
        f"out of core: {args.rows:,} x {args.features} (X {X.nbytes / GB:.1f} GB), "
        f"{n_blocks} blocks of {args.block_rows:,} rows ({block_bytes / 1e6:.0f} MB of [X|y])"
    )
    rss_start = peak_rss()
    with dask.config.set(scheduler="threads"):
        runs, model = _alternate(X, y, counter, args.repeat)
    threads = dask.config.get("num_workers", None) or os.cpu_count()
    lines = [
        f"Out of core: X {args.rows:,} x {args.features} float64 "
        f"({X.nbytes / GB:.1f} GB) + y, generated in {n_blocks} blocks of "
        f"{args.block_rows:,} rows ({block_bytes / 1e6:.0f} MB of [X|y] each), dask threaded "
        f"scheduler ({threads} threads), {args.repeat} round(s) alternating bare pass and "
        f"fit; RSS of the process before the first run {fmt_bytes(rss_start)}.",
        "",
        "| run | round | wall | peak RSS | passes over the data |",
        "|---|---|---|---|---|",
    ]
    for name, values in runs.items():
        for i, (seconds, rss, passes) in enumerate(values):
            lines.append(
                f"| {name} | {i + 1} | {fmt_time(seconds)} | {fmt_bytes(rss)} | {passes:g} |"
            )
    return lines + [""] + _outofcore_summary(runs, model)


# --- part 1b: correctness on a small version ---------------------------------------------------
def run_check(args):
    import dask

    from sparsefit import LassoCDCV

    counter = BlockCounter()
    Xd, yd, _ = dask_data(
        args.check_rows, args.features, args.check_block_rows, args.seed, args.offset, counter
    )
    X, y, _ = numpy_data(
        args.check_rows, args.features, args.check_block_rows, args.seed, args.offset
    )
    with dask.config.set(scheduler="threads"):
        counter.reset()
        start = time.perf_counter()
        md = LassoCDCV(cv=5).fit(Xd, yd)
        t_dask = time.perf_counter() - start
        passes = counter.calls / Xd.numblocks[0]
    start = time.perf_counter()
    mm = LassoCDCV(cv=5).fit(X, y)
    t_mem = time.perf_counter() - start
    design = CenteredDesign(X, y)
    mse = float(np.max(np.abs(md.mse_path_ - mm.mse_path_) / np.abs(mm.mse_path_)))
    coef = float(np.max(np.abs(md.coef_ - mm.coef_)) / np.max(np.abs(mm.coef_)))
    icpt = abs(md.intercept_ - mm.intercept_) / max(abs(mm.intercept_), 1.0)
    alphas = float(np.max(np.abs(md.alphas_ - mm.alphas_) / mm.alphas_))
    same = int(np.argmin(np.abs(md.alphas_ - md.alpha_))) == int(
        np.argmin(np.abs(mm.alphas_ - mm.alpha_))
    )
    alpha_diff = abs(md.alpha_ - mm.alpha_) / mm.alpha_
    gap_d = relative_enet_gap(design, md.coef_, md.alpha_, 1.0)
    gap_m = relative_enet_gap(design, mm.coef_, mm.alpha_, 1.0)
    return [
        f"Correctness: the same generator on {args.check_rows:,} x {args.features} (offset "
        f"{args.offset:g} on feature 0), dask blocks of {args.check_block_rows:,} rows "
        f"({Xd.numblocks[0]} blocks), against the in-memory `LassoCDCV(cv=5)` on the same "
        "numbers.",
        "",
        "| quantity | dask vs in-memory | target |",
        "|---|---|---|",
        f"| same alpha_ (same grid index) | {same} (rel. diff of the values {alpha_diff:.1e}) "
        "| equal |",
        f"| alphas_ max rel. diff | {alphas:.1e} | |",
        f"| mse_path_ max rel. diff | {mse:.1e} | <= 1e-7 |",
        f"| coef_ max abs. diff / max abs coef | {coef:.1e} | |",
        f"| intercept_ rel. diff | {icpt:.1e} | |",
        f"| relative gap (gap.py) at alpha_ | {gap_d:.1e} vs {gap_m:.1e} | <= 1e-4 (tol) |",
        f"| passes over the data (dask fit) | {passes:g} | 1 |",
        f"| wall | {fmt_time(t_dask)} vs {fmt_time(t_mem)} | |",
    ]


# --- part 2: against dask-ml -------------------------------------------------------------------
def _dask_ml_fit(solver, Xd, yd, C, **params):
    from dask_ml.linear_model import LinearRegression

    model = LinearRegression(penalty="l1", C=C, solver=solver, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(Xd, yd)
    return np.asarray(model.coef_, dtype=np.float64), float(model.intercept_)


class VsProblem:
    """The standardized ``n x p`` problem of the dask-ml part, in memory and as dask arrays,
    with the shared gap and objective at ``alpha = alpha_max / divisor``."""

    def __init__(self, args):
        import dask.array as da

        n, p = args.vs_rows, args.vs_features
        X, y, _ = numpy_data(n, p, args.vs_block_rows, args.seed, 0.0)
        X -= X.mean(axis=0)
        X /= X.std(axis=0)
        self.X, self.y, self.n, self.p = X, y, n, p
        self.Xd = da.from_array(X, chunks=(args.vs_block_rows, p))
        self.yd = da.from_array(y, chunks=(args.vs_block_rows,))
        self.design = CenteredDesign(X, y)
        self.alpha = alpha_max(self.design, 1.0) / args.vs_divisor
        self.C = 1.0 / (2 * n * self.alpha)

    def gap(self, coef):
        return relative_enet_gap(self.design, coef, self.alpha, 1.0)

    def objective(self, coef):
        r = self.design.residual(np.asarray(coef))
        return float(r @ r) / (2 * self.n) + self.alpha * float(np.abs(coef).sum())


def _time_sparsefit(prob, args):
    """sparsefit on the dask and the NumPy array: a warm-up each, then ``--vs-repeat``
    alternating rounds (the first of the two changes every round). Rows of the table."""
    from sparsefit import LassoCD

    def fit(X, y):
        return lambda: LassoCD(alpha=prob.alpha, tol=args.target).fit(X, y)

    fns = {
        "sparsefit LassoCD, dask array": fit(prob.Xd, prob.yd),
        "sparsefit LassoCD, NumPy array (in memory)": fit(prob.X, prob.y),
    }
    outs = {name: fn() for name, fn in fns.items()}
    times = {name: [] for name in fns}
    for round_ in range(args.vs_repeat):
        names = list(fns)
        names = names[round_ % 2 :] + names[: round_ % 2]
        for name in names:
            start = time.perf_counter()
            outs[name] = fns[name]()
            times[name].append(time.perf_counter() - start)
            log(f"  {name}: {times[name][-1]:.2f} s")
    return [
        (
            name,
            statistics.median(times[name]),
            len(times[name]),
            outs[name].coef_,
            outs[name].intercept_,
            f"tol={args.target:g}",
        )
        for name in fns
    ]


def _time_dask_ml(prob, args):
    """dask-ml with each solver at its defaults: one untimed warm-up on a small problem,
    then one timed fit each. Rows of the table."""
    import dask.array as da

    solvers = [s for s in args.dask_ml_solvers.split(",") if s]
    if not solvers:
        return []
    try:
        import dask_ml
    except ImportError as exc:
        return [("dask-ml", float("nan"), 0, None, None, f"not installed: {exc}")]
    small = da.from_array(prob.X[:2000, :5], chunks=(500, 5))
    for solver in solvers:
        _dask_ml_fit(solver, small, prob.yd[:2000].rechunk(500), prob.C)
    rows = []
    for solver in solvers:
        start = time.perf_counter()
        coef, intercept = _dask_ml_fit(solver, prob.Xd, prob.yd, prob.C)
        seconds = time.perf_counter() - start
        log(f"  dask-ml {solver}: {seconds:.1f} s")
        note = (
            "defaults (admm: max_iter=100, abstol=1e-4, reltol=1e-2)"
            if solver == "admm"
            else "defaults (max_iter=100, tol=1e-4)"
        )
        name = f"dask-ml {dask_ml.__version__} LinearRegression(penalty='l1', solver='{solver}')"
        rows.append((name, seconds, 1, coef, intercept, note))
    return rows


def _daskml_tables(prob, rows, args):
    b_opt = float(prob.y.mean() - prob.X.mean(axis=0) @ rows[0][3])
    t_dask = rows[0][1]
    lines = [
        "| solver | settings | time | time / sparsefit on dask | relative gap | objective "
        "| nonzeros | intercept - b*(sparsefit) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, seconds, _, coef, intercept, note in rows:
        if coef is None:
            lines.append(f"| {name} | {note} | | | | | | |")
            continue
        lines.append(
            f"| {name} | {note} | {fmt_time(seconds)} | {seconds / t_dask:.3g} | "
            f"{prob.gap(coef):.1e} | {prob.objective(coef):.10g} | {np.count_nonzero(coef)} | "
            f"{intercept - b_opt:.1e} |"
        )
    sf_dask, sf_mem = rows[0], rows[1]
    gap = prob.gap(sf_dask[3])
    lines += ["", "| quantity | measured | target | holds |", "|---|---|---|---|"]
    lines.append(
        f"| sparsefit on dask: relative gap | {gap:.1e} | <= {args.target:g} | "
        f"{'yes' if gap <= args.target else 'no'} |"
    )
    for name, seconds, _, coef, _, _ in rows[2:]:
        if coef is None:
            continue
        speedup = seconds / t_dask
        solver = name.split("solver=")[-1].rstrip(")")
        lines.append(
            f"| speed-up over dask-ml solver={solver} | {speedup:.3g}x (dask-ml's gap "
            f"{prob.gap(coef):.1e}) | >= 10x | {'yes' if speedup >= 10 else 'no'} |"
        )
    ratio = t_dask / sf_mem[1]
    holds = "yes" if ratio <= 2 else "no"
    lines.append(f"| sparsefit dask / in-memory time | {ratio:.2f} | <= 2 | {holds} |")
    return lines


def run_daskml(args):
    import dask

    prob = VsProblem(args)
    log(
        f"dask-ml comparison: {prob.n:,} x {prob.p}, alpha = alpha_max/{args.vs_divisor:g} "
        f"= {prob.alpha:.4g}"
    )
    with dask.config.set(scheduler="threads"):
        rows = _time_sparsefit(prob, args) + _time_dask_ml(prob, args)
    header = [
        f"Against dask-ml: X {prob.n:,} x {prob.p} (standardized), y from the same rows, dask "
        f"blocks of {args.vs_block_rows:,} rows (`da.from_array` of the in-memory array), "
        f"Lasso at alpha = alpha_max/{args.vs_divisor:g} = {prob.alpha:.6g} (dask-ml: "
        f"C = 1/(2 n alpha) = {prob.C:.6g}). Relative gap: `gap.py` at that alpha, the "
        "returned intercept replaced by the optimal one. Objective: "
        "1/(2n)||y - Xw - b*||^2 + alpha||w||_1 at the optimal b*. sparsefit: median of "
        f"{args.vs_repeat} runs after a warm-up, alternating; dask-ml: one run each after a "
        "warm-up on a small problem.",
        "",
    ]
    return header + _daskml_tables(prob, rows, args)


# --- environment -------------------------------------------------------------------------------
def environment():
    import dask
    import scipy
    import sklearn

    import sparsefit

    versions = [
        f"sparsefit {sparsefit.__version__}",
        f"dask {dask.__version__}",
        f"numpy {np.__version__}",
        f"scipy {scipy.__version__}",
        f"scikit-learn {sklearn.__version__}",
    ]
    for name in ("dask_ml", "dask_glm"):
        try:
            versions.append(f"{name.replace('_', '-')} {__import__(name).__version__}")
        except ImportError:
            pass
    try:
        free = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.strip()
    except OSError:
        free = "(free not available)"
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--short", "--", "sparsefit"],
            capture_output=True,
            text=True,
        ).stdout.split()[1::2]
        head = f"commit {head}" + (
            f" (uncommitted changes in {', '.join(dirty)})" if dirty else ""
        )
    except OSError:
        head = "commit unknown"
    try:
        from threadpoolctl import threadpool_info

        pools = ", ".join(f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info())
    except ImportError:
        pools = "unknown"
    return [
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        + ", ".join(versions)
        + f"; sparsefit at {head}; native thread pools (threadpoolctl): {pools}.",
        "",
        "```",
        "$ free -g",
        free,
        "```",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="outofcore,check,daskml")
    parser.add_argument("--quick", action="store_true", help="smoke run of a few seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=float, default=2e8)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--block-rows", type=float, default=1e6)
    parser.add_argument("--offset", type=float, default=1e3)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of bare pass + fit")
    parser.add_argument("--check-rows", type=float, default=2e5)
    parser.add_argument("--check-block-rows", type=float, default=3e4)
    parser.add_argument("--vs-rows", type=float, default=1e6)
    parser.add_argument("--vs-features", type=int, default=100)
    parser.add_argument("--vs-block-rows", type=float, default=1e5)
    parser.add_argument("--vs-divisor", type=float, default=100.0, help="alpha_max / this")
    parser.add_argument("--vs-repeat", type=int, default=3)
    parser.add_argument(
        "--dask-ml-solvers", default="admm,proximal_grad", help="comma-separated; '' for none"
    )
    parser.add_argument("--target", type=float, default=1e-6, help="sparsefit's tol")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.block_rows, args.repeat = 2e5, 2e4, 1
        args.check_rows, args.check_block_rows = 2e4, 3e3
        args.vs_rows, args.vs_features, args.vs_block_rows, args.vs_repeat = 2e4, 20, 5e3, 1
    for name in ("rows", "block_rows", "check_rows", "check_block_rows", "vs_rows"):
        setattr(args, name, int(getattr(args, name)))
    args.vs_block_rows = int(args.vs_block_rows)

    load_start = os.getloadavg()[0]
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    lines = [f"`python benchmarks/dask_scale.py{' ' + argv_text if argv_text else ''}`", ""]
    lines += environment() + [""]
    print("\n".join(lines), flush=True)
    parts = {"outofcore": run_outofcore, "check": run_check, "daskml": run_daskml}
    for part in args.parts.split(","):
        out = parts[part](args) + [""]
        print("\n".join(out), flush=True)
        lines += out
    end = (
        f"Load average (1 min) at start {load_start:.1f}, at end {os.getloadavg()[0]:.1f} "
        f"(2-core machine shared with other jobs: timings are noisy)."
    )
    print(end)
    lines.append(end)
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
