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
