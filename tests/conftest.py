"""Hypothesis profiles for the property-based tests.

* ``ci`` (default): few examples per property, no deadline, derandomized, so the whole suite
  stays fast and reproducible.
* ``thorough``: many more examples (and, in ``test_properties.py``, larger problems); select
  it with ``HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_properties.py``.

Tests that pin their own ``@settings(max_examples=...)`` (e.g. ``test_certified_fuzz.py``)
keep them; the profile supplies everything they leave unset.

At the end of a run the terminal summary reports how many property examples ran and the
largest problem tried (``test_properties.STATS``).
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=400,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter):
    import sys

    module = sys.modules.get("tests.test_properties")
    stats = getattr(module, "STATS", None)
    if not stats or not stats.get("examples"):
        return
    terminalreporter.write_sep("-", "property-based tests")
    terminalreporter.write_line(
        f"hypothesis profile {os.environ.get('HYPOTHESIS_PROFILE', 'ci')}: "
        f"{stats['examples']} examples ({stats['fits']} fits); largest problem "
        f"n_samples={stats['max_n']}, n_features={stats['max_p']} "
        f"(largest n*p: {stats['max_size'][0]}x{stats['max_size'][1]})"
    )
