"""Feasibility of a single-precision Gram matrix refined in double precision (issue 16).

On tall dense data the solvers form ``Xt^T Xt`` once (``n p^2 / 2`` multiply-adds): on one
thread that product alone is most of a fit's time (California 20640 x 164: 14-17 ms of
23-27; synth 10000 x 1000: about 200 ms). In single precision the product costs half. Its
entries are then off by about 1e-7 relative, so the solution on it is the solution of a
nearby problem; one pass over the double-precision data gives the exact gradient
``g = Xt^T (yt - Xt w)`` at that point, and the problem solved again on the same matrix
with ``b = g + G32 w`` (whose gradient at ``w`` is then exactly the data's) converges to
the exact solution (iterative refinement), each round gaining about as many digits as the
single-precision matrix holds relative to the conditioning of the support.

This script measures, per problem and alpha, with the solver's own Gram-only fit
(``GramDesign``, a fresh workspace per solve: no factorization is reused across rounds,
so the rounds' times are upper bounds): the double- and single-precision products (the
latter including the conversion of the centred data), the rounds of refinement needed for
the shared relative gap (``gap.py``) to meet ``--target``, and the solve on the
double-precision matrix for comparison. Nothing here is used by the library::

    python benchmarks/gram32.py --problems california,synth_10000x1000 --threads 1
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gap import CenteredDesign, alpha_max, relative_enet_gap  # noqa: E402
from problems import DEFAULT_DATA_DIR, get_problems  # noqa: E402

from sparsefit._cd import Target, enet_coordinate_descent  # noqa: E402
from sparsefit._data import GramDesign, Workspace  # noqa: E402
from sparsefit.penalties import L1L2  # noqa: E402

#: refinement rounds tried before the single-precision matrix is declared not enough
MAX_ROUNDS = 6
#: each solve on a Gram matrix is asked for this fraction of the target gap (its own
#: certificate is the matrix's, not the data's)
INNER = 0.1


def _timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def _solve(G, b, yty, n, penalty, tol_abs, w0):
    workspace = Workspace(GramDesign(G, n))
    target = Target(None, b, yty)
    return enet_coordinate_descent(workspace, target, penalty, tol_abs=tol_abs, w0=w0).w


def measure(X, y, alpha, l1_ratio, target):
    """One row: the products' times, the refinement's rounds and time, the gaps."""
    n, p = X.shape
    design = CenteredDesign(X, y)
    Xc = np.asfortranarray(X - design.X_mean)
    yc = design.y_c
    yty = design.y_norm2
    b0 = Xc.T @ yc
    penalty = L1L2(alpha, l1_ratio).to_solver(n, p)
    tol_abs = INNER * target * yty
    G64, t64 = _timed(lambda: Xc.T @ Xc)
    X32, t_conv = _timed(lambda: np.asfortranarray(Xc, dtype=np.float32))
    G32, t32 = _timed(lambda: (X32.T @ X32).astype(np.float64))
    w64, t_solve64 = _timed(lambda: _solve(G64, b0, yty, n, penalty, tol_abs, None))
    start = time.perf_counter()
    w, b, rounds, gap = None, b0, 0, np.inf
    while rounds < MAX_ROUNDS:
        w = _solve(G32, b, yty, n, penalty, tol_abs, w)
        rounds += 1
        gap = relative_enet_gap(design, w, alpha, l1_ratio)
        if gap <= target:
            break
        b = Xc.T @ (yc - Xc @ w) + G32 @ w  # the data's gradient at w, through G32
    t_refined = time.perf_counter() - start
    return {
        "gram64": t64,
        "gram32": t_conv + t32,
        "solve64": t_solve64,
        "refined": t_refined,
        "rounds": rounds,
        "gap32": gap,
        "gap64": relative_enet_gap(design, w64, alpha, l1_ratio),
        "entries": float(np.abs(G32 - G64).max() / np.abs(G64).max()),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--problems", default="california,synth_10000x1000")
    parser.add_argument("--divisors", default="10,100,1000")
    parser.add_argument("--target", type=float, default=1e-6)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    problems = {p.name: p for p in get_problems(args.data_dir)[0]}
    limit = None
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(args.threads)
    print(
        "| problem | model | α | Gram float64 | Gram float32 (+ conversion) | solve on "
        "float64 | float32 + refinement | rounds | gap float32 / float64 | max entry error |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.problems.split(","):
        X, y = problems[name].load()
        if not isinstance(X, np.ndarray):
            print(f"| {name} | skipped: not dense |")
            continue
        for model, l1_ratio in (("Lasso", 1.0), ("ElasticNet", 0.5)):
            amax = alpha_max(CenteredDesign(X, y), l1_ratio)
            for div in args.divisors.split(","):
                r = measure(X, y, amax / float(div), l1_ratio, args.target)
                print(
                    f"| {name} | {model} | α_max/{div} | {r['gram64'] * 1e3:.1f} ms | "
                    f"{r['gram32'] * 1e3:.1f} ms | {r['solve64'] * 1e3:.1f} ms | "
                    f"{r['refined'] * 1e3:.1f} ms | {r['rounds']} | "
                    f"{r['gap32']:.1e} / {r['gap64']:.1e} | {r['entries']:.1e} |",
                    flush=True,
                )
    if limit is not None:
        limit.unregister()


if __name__ == "__main__":
    main()
