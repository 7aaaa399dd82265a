"""Tolerance calibration and side-by-side timing shared by the benchmark tasks."""

import statistics
import time
import warnings
from dataclasses import dataclass, field

from sklearn.exceptions import ConvergenceWarning


@dataclass
class Entry:
    """One solver on one problem: its calibrated tolerance, timings and accuracy."""

    name: str
    make: object  # make(tol) -> unfitted estimator
    ladder: list
    accuracy: object  # accuracy(fitted estimator) -> float, smaller is better
    target: float
    tol: float = None
    error: float = float("inf")
    times: list = field(default_factory=list)
    warned: bool = False
    single_run: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def reached(self):
        return self.error <= self.target

    @property
    def time(self):
        return statistics.median(self.times) if self.times else float("nan")


def timed_fit(estimator, X, y):
    """Fit and return ``(seconds, caught ConvergenceWarning?)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
        seconds = time.perf_counter() - start
    return seconds, any(issubclass(w.category, ConvergenceWarning) for w in caught)


def calibrate(entry, X, y, slow_limit):
    """Warm-up: walk the tolerance ladder until the solution reaches the target accuracy.

    The first fit also pays one-off costs (numba compilation in skglm, imports), so these
    fits are never timed, except that a solver whose last warm-up fit took longer than
    ``slow_limit`` seconds keeps that single time instead of being repeated; such a fit also
    ends the ladder (reported with a ✗ if it missed the target).
    """
    for tol in entry.ladder:
        estimator = entry.make(tol)
        seconds, warned = timed_fit(estimator, X, y)
        entry.tol, entry.warned = tol, warned
        entry.error = entry.accuracy(estimator)
        if entry.reached or seconds > slow_limit:  # tighter tolerances would only be slower
            break
    if seconds > slow_limit:
        entry.times, entry.single_run = [seconds], True
    return estimator


def time_alternating(entries, X, y, repeat):
    """Time every entry ``repeat`` times, interleaved, rotating who goes first each round."""
    active = [e for e in entries if not e.single_run]
    for round_ in range(repeat):
        shift = round_ % max(len(active), 1)
        for entry in active[shift:] + active[:shift]:
            estimator = entry.make(entry.tol)
            seconds, warned = timed_fit(estimator, X, y)
            entry.times.append(seconds)
            entry.warned |= warned
            entry.error = max(entry.error, entry.accuracy(estimator))


#: the host probe's workloads: a dense product (BLAS-3) and a loop of coordinate updates
#: (an interpreter-bound ``daxpy`` per update, as in the solvers' sweeps)
PROBE_MATRIX = 600
PROBE_UPDATES = 20_000
PROBE_LENGTH = 200


class HostProbe:
    """Two fixed reference workloads, timed before each problem and at the end of a run:
    how fast the host ran, so that runs (and parts of one run) can be compared. This
    machine's host drifts by 10-50% between runs and up to 2x within one; a ratio of two
    solvers timed side by side moves less, but not by nothing (memory-bound and
    interpreter-bound code slow down differently)."""

    def __init__(self):
        import numpy as np

        rng = np.random.default_rng(0)
        self._A = rng.standard_normal((PROBE_MATRIX, PROBE_MATRIX))
        self._cols = [rng.standard_normal(PROBE_LENGTH) for _ in range(8)]
        self.blas, self.interpreter = [], []

    def sample(self):
        from scipy.linalg import blas

        start = time.perf_counter()
        self._A @ self._A
        self.blas.append(time.perf_counter() - start)
        q, cols, daxpy = self._cols[0].copy(), self._cols, blas.daxpy
        start = time.perf_counter()
        for i in range(PROBE_UPDATES):
            daxpy(cols[i & 7], q, a=1e-9)
        self.interpreter.append(time.perf_counter() - start)

    def line(self):
        def spread(values):
            ms = [1e3 * v for v in values]
            return f"{min(ms):.1f} / {statistics.median(ms):.1f} / {max(ms):.1f} ms"

        return (
            f"Host probe (min / median / max of {len(self.blas)} samples, before each problem "
            f"and at the end): {PROBE_MATRIX}x{PROBE_MATRIX} product {spread(self.blas)}; "
            f"{PROBE_UPDATES:,} coordinate updates (daxpy of {PROBE_LENGTH}) "
            f"{spread(self.interpreter)}."
        )
