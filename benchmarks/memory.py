"""Peak memory of one news20 Lasso fit, measured in a fresh process.

Prints ``key=value`` lines: ``x_bytes`` (X's data + indices + indptr), ``peak`` (tracemalloc
peak of Python/NumPy allocations during ``fit``) and ``rss_growth`` (peak resident set size during
``fit`` minus the resident set size just before it; Linux only, the kernel's peak is reset
through ``/proc/self/clear_refs`` so the loading of the data does not hide it). Run by
``run.py --memory``; also usable on its own::

    python benchmarks/memory.py --estimator LassoCD
"""

import argparse
import resource
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gap import CenteredDesign, alpha_max, x_nbytes  # noqa: E402
from problems import DEFAULT_DATA_DIR, load_news20  # noqa: E402


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def reset_peak_rss():
    """Reset the kernel's peak-RSS counter and return the current RSS in bytes."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_kib("VmRSS")
    except OSError:  # not Linux, or not permitted: fall back to the lifetime peak
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss():
    try:
        return _status_kib("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def make_estimator(name, alpha):
    if name == "LassoCD":
        from sparsefit import LassoCD

        return LassoCD(alpha=alpha, tol=1e-6)
    if name == "sklearn.Lasso":
        from sklearn.linear_model import Lasso

        return Lasso(alpha=alpha, tol=1e-6, max_iter=100_000)
    raise ValueError(f"unknown estimator {name!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--estimator", default="LassoCD", choices=["LassoCD", "sklearn.Lasso"])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--divisor", type=float, default=100.0)
    args = parser.parse_args()

    X, y = load_news20(args.data_dir)
    alpha = alpha_max(CenteredDesign(X, y), 1.0) / args.divisor
    estimator = make_estimator(args.estimator, alpha)

    rss_before = reset_peak_rss()
    tracemalloc.start()
    estimator.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = peak_rss()

    print(f"x_bytes={x_nbytes(X)}")
    print(f"peak={peak}")
    print(f"rss_growth={rss_after - rss_before}")


if __name__ == "__main__":
    main()
