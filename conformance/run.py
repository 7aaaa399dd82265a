#!/usr/bin/env python
"""Run scikit-learn's own linear-model test modules against sparsefit.

Usage (from the repository root, with sparsefit's dependencies and pytest installed)::

    python conformance/run.py                       # all three modules
    python conformance/run.py --modules cd,ridge    # a subset (cd, sparse_cd, ridge)
    python conformance/run.py -k enet --junit out.xml
    python conformance/run.py --list-failures       # every failure, listed or not

Modules (loaded from the *installed* scikit-learn at run time, never copied)::

    cd         sklearn.linear_model.tests.test_coordinate_descent
    sparse_cd  sklearn.linear_model.tests.test_sparse_coordinate_descent
    ridge      sklearn.linear_model.tests.test_ridge

How the rebinding works
-----------------------
For each selected module, a wrapper file named like the scikit-learn module
(``<tmp>/test_ridge.py``, ...) is generated in a fresh temporary directory, so test ids read
``test_ridge.py::test_name[params]``. It contains only::

    from conformance import rebind
    _module = rebind.load("sklearn.linear_model.tests.test_ridge", "<tmp>/ridge.bindings.json")
    globals().update(rebind.exports(_module))

(the record path is the wrapper's directory joined with ``ridge.bindings.json``).

``rebind.load`` imports the installed test module (with pytest's assertion rewriting
registered for it), then rebinds, *in that module's own namespace only*, every name of
``rebind.COUNTERPARTS`` that the module imported from scikit-learn -- ``Lasso -> LassoCD``,
``ElasticNet -> ElasticNetCD``, ``Ridge -> RidgeGD``, ``LassoCV -> LassoCDCV``,
``ElasticNetCV -> ElasticNetCDCV``, ``RidgeCV -> RidgeGDCV``, ``lasso_path``, ``enet_path``
-- by assigning ``module.__dict__[name]``. Test bodies resolve those globals when they run,
so they build sparsefit objects. ``sklearn.linear_model`` is not modified, so scikit-learn's
own code (``MultiTaskLassoCV``, ``RidgeClassifierCV``, ``GridSearchCV``...) keeps using
scikit-learn's classes. Values that were captured when the module was imported, i.e. the
arguments of ``@pytest.mark.parametrize`` (``[Lasso, ElasticNet]``, ``[Ridge(solver="svd")]``),
are substituted in the test functions' marks: classes/functions by identity, estimator
instances by an instance of the sparsefit class with the same non-default parameters. What
was rebound and substituted is recorded per module, and any reference to a scikit-learn
counterpart still reachable from the module afterwards (containers, defaults, marks) is
printed as a leftover. ``rebind.exports`` then copies the module's ``test*`` functions,
``Test*`` classes, fixtures, ``pytestmark`` and xunit hooks into the wrapper's namespace, so
pytest collects the original functions, with their parametrizations, from the wrapper.
See ``conformance/rebind.py`` for the details.

Tests that cannot reach a sparsefit object at all (found statically by
``rebind.sklearn_only_tests``: their code, the module helpers and fixtures they use and
their parametrize values name no rebound object) test scikit-learn only; the ``record``
plugin deselects them (summary column ``sk-only``) unless ``--all`` is given. ``--probe``
checks that classification by profiling every test.

pytest runs on the wrappers in a subprocess per module (two at a time by default), from the
temporary directory with an empty ``pytest.ini`` there (so neither the repository's nor any
other pytest configuration applies), and with:

* ``-p sklearn.conftest``: scikit-learn's conftest loaded as a plugin. It provides the
  ``global_random_seed`` parametrization (42 unless ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED`` is
  set), the ``global_dtype`` fixture (float32 skipped unless ``SKLEARN_RUN_FLOAT32_TESTS=1``),
  the network-test skips and the thread limits, exactly as in scikit-learn's own runs;
* ``-p conformance.record``: writes each test's outcome and one-line message to JSON;
* ``-p no:cacheprovider``, ``--import-mode=importlib``, ``--disable-warnings``,
  ``--junitxml`` (per module; merged into ``--junit FILE`` when given), ``--tb=line``
  (the default traceback style spends over a minute formatting the solver-name failures;
  ``--pytest-args=--tb=short`` brings it back);
* no ``-W`` options and no ``filterwarnings``: warnings never become errors, as in
  scikit-learn's default configuration. Tests that need a warning to be an error say so
  themselves (``warnings.simplefilter("error", ...)`` or ``pytest.warns``);
* ``PYTEST_XDIST_WORKER_COUNT`` set to the number of module processes running at once:
  scikit-learn's conftest divides the BLAS/OpenMP threads by it, so two processes share two
  cores instead of oversubscribing them.

``PYTHONPATH`` puts this repository first, so ``import sparsefit`` is the copy next to this
file (its path is printed), and ``PYTHONDONTWRITEBYTECODE=1`` keeps pytest from writing
rewritten ``.pyc`` files into scikit-learn's installation.

Outcome
-------
The run's failures and errors are compared with ``conformance/deviations.txt`` (one entry a
line: ``<test id pattern> | <reason>``, optionally ``| <message regex>``; in the pattern ``*``
and ``?`` are wildcards and everything else, brackets included, is literal; the regex, when
given, must also be found in the failure's one-line message). The first matching entry
claims a failure. The run fails (exit status 1) on

* a failure or error that no entry matches (an *unlisted failure*), and
* an entry that matches no failure (a *stale entry*: the tests it names now pass, or no
  longer exist). With ``-k`` or a subset of modules, only entries without a message regex
  that match tests which ran and passed (and no failure) count as stale.

Exit status 2 means the runner itself could not run (bad arguments, pytest internal error,
nothing collected).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
DEFAULT_DEVIATIONS = HERE / "deviations.txt"

#: short key -> (installed test module, wrapper file name)
MODULES = {
    "cd": "sklearn.linear_model.tests.test_coordinate_descent",
    "sparse_cd": "sklearn.linear_model.tests.test_sparse_coordinate_descent",
    "ridge": "sklearn.linear_model.tests.test_ridge",
}
# Longest first: with two workers the largest module starts at once.
_RUN_ORDER = ("ridge", "cd", "sparse_cd")

WRAPPER = '''"""Generated by conformance/run.py: {module} with sparsefit bound to its names."""
import os

from conformance import rebind

_module = rebind.load({module!r}, os.path.join(os.path.dirname(__file__), {record!r}))
globals().update(rebind.exports(_module))
'''

FAILING = ("failed", "error")


# ---------------------------------------------------------------- deviations


class Entry:
    """One line of the deviation list: ``<id pattern> | <reason> [| <message regex>]``."""

    def __init__(self, pattern, reason, message, line):
        self.pattern = pattern
        self.reason = reason
        self.line = line
        self.regex = re.compile(
            "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
            + r"\Z"
        )
        self.message = re.compile(message) if message else None
        self.matched_failures = []
        self.matched_passes = []

    def matches_module(self, wrapper_file):
        """Whether the module part of the pattern (before ``::``) matches ``wrapper_file``."""
        module = self.pattern.split("::", 1)[0]
        return Entry(module, "", None, 0).matches_id(wrapper_file)

    def matches_id(self, test_id):
        return self.regex.match(test_id) is not None

    def matches_failure(self, test_id, message):
        if not self.matches_id(test_id):
            return False
        return self.message is None or self.message.search(message) is not None


def read_deviations(path):
    entries = []
    for lineno, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split(" | ")]
        if len(parts) not in (2, 3) or not all(parts):
            raise SystemExit(
                f"{path}:{lineno}: expected '<pattern> | <reason> [| <message regex>]', "
                f"got {raw!r}"
            )
        try:
            entries.append(
                Entry(parts[0], parts[1], parts[2] if len(parts) == 3 else None, lineno)
            )
        except re.error as exc:
            raise SystemExit(f"{path}:{lineno}: bad message regex: {exc}") from None
    return entries


# ---------------------------------------------------------------- running


def wrapper_name(key):
    return MODULES[key].rsplit(".", 1)[1] + ".py"


def run_module(key, workdir, args):
    module = MODULES[key]
    wrapper = workdir / wrapper_name(key)
    record = workdir / f"{key}.bindings.json"
    outcomes = workdir / f"{key}.outcomes.json"
    junit = workdir / f"{key}.junit.xml"
    log = workdir / f"{key}.log"
    wrapper.write_text(WRAPPER.format(module=module, record=record.name))
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(wrapper),
        "-p",
        "sklearn.conftest",
        "-p",
        "conformance.record",
        f"--conformance-record={outcomes}",
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "--disable-warnings",
        f"--junitxml={junit}",
        "-o",
        f"junit_suite_name=conformance.{key}",
        "-q",
        "-rN",
        "--tb=line",
        "--no-header",
    ]
    if args.k:
        cmd += ["-k", args.k]
    if args.all:
        cmd.append("--conformance-all")
    if args.probe:
        cmd.append("--conformance-probe")
    cmd += shlex.split(args.pytest_args or "")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if args.ridge_solver_alias:
        env["CONFORMANCE_RIDGE_SOLVER_ALIAS"] = "1"
    # scikit-learn's conftest limits BLAS/OpenMP threads to the physical cores divided by
    # PYTEST_XDIST_WORKER_COUNT: with several pytest processes at once, share the cores
    # instead of oversubscribing them (measured on 2 cores: 94 s -> 54 s for the full run).
    if args.concurrent > 1 and "PYTEST_XDIST_WORKER_COUNT" not in env:
        env["PYTEST_XDIST_WORKER_COUNT"] = str(args.concurrent)
    start = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, cwd=workdir, env=env, stdout=fh, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    result = {"key": key, "returncode": proc.returncode, "seconds": elapsed, "log": log}
    result["outcomes"] = json.loads(outcomes.read_text()) if outcomes.exists() else None
    result["bindings"] = json.loads(record.read_text()) if record.exists() else None
    result["junit"] = junit if junit.exists() else None
    return result


def merge_junit(results, target):
    root = ET.Element("testsuites")
    for res in results:
        if res["junit"] is None:
            continue
        tree = ET.parse(res["junit"])
        top = tree.getroot()
        suites = [top] if top.tag == "testsuite" else list(top)
        root.extend(suites)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


# ---------------------------------------------------------------- reporting


def _short(text, width=150):
    return text if len(text) <= width else text[: width - 3] + "..."


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run scikit-learn's linear-model tests against sparsefit.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--modules",
        default=",".join(MODULES),
        help=f"comma-separated subset of {', '.join(MODULES)} (default: all)",
    )
    parser.add_argument("--junit", help="write a merged JUnit XML report to this file")
    parser.add_argument("-k", help="pytest -k expression, passed on to every module")
    parser.add_argument(
        "--deviations",
        default=str(DEFAULT_DEVIATIONS),
        help="deviation list (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="modules run at once"
    )
    parser.add_argument(
        "--list-failures",
        action="store_true",
        help="also print the failures that a deviation entry matches",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="also run the tests that cannot reach sparsefit (scikit-learn-only tests)",
    )
    parser.add_argument(
        "--probe",
        action="store_true",
        help="run everything, profiling whether each test runs sparsefit code (slow); checks "
        "the scikit-learn-only classification",
    )
    parser.add_argument(
        "--ridge-solver-alias",
        action="store_true",
        help="diagnostic: run scikit-learn solver names RidgeGD lacks as solver='auto', to "
        "see what the solver-name deviations hide (the verdict is then meaningless)",
    )
    parser.add_argument(
        "--pytest-args", help="extra pytest arguments for every module, e.g. '--durations=20'"
    )
    parser.add_argument("--keep", help="copy the work directory (wrappers, logs) to this path")
    args = parser.parse_args(argv)

    keys = [k.strip() for k in args.modules.split(",") if k.strip()]
    unknown = [k for k in keys if k not in MODULES]
    if unknown or not keys:
        parser.error(f"unknown module(s) {unknown}; choose from {', '.join(MODULES)}")
    keys = [k for k in _RUN_ORDER if k in keys]
    entries = read_deviations(args.deviations)
    full_run = not args.k and set(keys) == set(MODULES) and not args.ridge_solver_alias
    args.concurrent = min(max(1, args.jobs), len(keys))

    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="sparsefit-conformance-"))
    try:
        (workdir / "pytest.ini").write_text("[pytest]\n")
        with ThreadPoolExecutor(max_workers=args.concurrent) as pool:
            results = list(pool.map(lambda key: run_module(key, workdir, args), keys))
        if args.junit:
            merge_junit(results, args.junit)
        status = report(results, entries, args, full_run, time.perf_counter() - start)
        if args.keep:
            shutil.copytree(workdir, args.keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return status


def report(results, entries, args, full_run, wall):
    status = 0
    dev_name = Path(args.deviations).name
    any_bindings = next((r["bindings"] for r in results if r["bindings"]), None)
    if any_bindings:
        print(f"sparsefit: {any_bindings['sparsefit_file']}")
    import sklearn

    print(f"scikit-learn {sklearn.__version__}: {Path(sklearn.__file__).parent}")
    rows = []
    unlisted = []
    listed = []
    misclassified = []  # --probe: classified scikit-learn-only, but ran sparsefit code
    untouched = []  # --probe: may reach sparsefit, but did not run sparsefit code
    for res in results:
        key = res["key"]
        wrapper = wrapper_name(key)
        bindings = res["bindings"]
        if bindings:
            rebound = ", ".join(f"{k}->{v.split('.')[-1]}" for k, v in bindings["rebound"].items())
            print(
                f"[{key}] rebound {rebound}; {len(bindings['substituted'])} parametrize "
                "value(s) substituted"
            )
            for name, tests in bindings.get("references", {}).items():
                users = ", ".join(tests)
                print(f"[{key}]   kept as scikit-learn's reference: {name} (in {users})")
            for leftover in bindings["leftovers"]:
                print(f"[{key}]   leftover scikit-learn reference: {leftover}")
        outcomes = res["outcomes"]
        if outcomes is None or res["returncode"] not in (0, 1):
            print(
                f"[{key}] pytest exited with status {res['returncode']} "
                f"(see the log below)\n{_tail(res['log'])}"
            )
            status = 2
            if outcomes is None:
                continue
        counts = dict.fromkeys(
            ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "sklearn_only"), 0
        )
        n_listed = n_unlisted = n_sk_only = 0
        for test_id, info in outcomes.items():
            outcome = info["outcome"] or "error"
            counts[outcome] = counts.get(outcome, 0) + 1
            full_id = test_id if test_id.startswith(wrapper) else f"{wrapper}::{test_id}"
            if outcome == "sklearn_only" or info.get("sklearn_only"):
                n_sk_only += 1
            if "touched_sparsefit" in info:
                only = outcome == "sklearn_only" or info.get("sklearn_only", False)
                if only and info["touched_sparsefit"]:
                    misclassified.append(full_id)
                elif not only and not info["touched_sparsefit"]:
                    untouched.append(full_id)
            if outcome in FAILING:
                message = info["message"]
                entry = next((e for e in entries if e.matches_failure(full_id, message)), None)
                if entry is None:
                    n_unlisted += 1
                    unlisted.append((full_id, outcome, info["message"]))
                else:
                    n_listed += 1
                    entry.matched_failures.append(full_id)
                    listed.append((full_id, entry))
            elif outcome in ("passed", "xpassed"):
                for entry in entries:
                    if entry.matches_id(full_id):
                        entry.matched_passes.append(full_id)
        rows.append(
            (
                key,
                counts["passed"],
                counts["failed"] + counts["error"],
                counts["skipped"] + counts["xfailed"],
                n_sk_only,
                n_listed,
                n_unlisted,
                res["seconds"],
            )
        )
    # Full run: an entry that claims no failure is stale. Partial run (-k, a subset of the
    # modules, the diagnostic alias): only an entry without a message regex whose pattern
    # matches tests that ran and passed, and no failure, is known to be stale.
    stale = [
        entry
        for entry in entries
        if not entry.matched_failures
        and (full_run or (entry.message is None and entry.matched_passes))
    ]
    stale_by_module = {}
    for entry in stale:
        for res in results:
            if entry.matches_module(wrapper_name(res["key"])):
                key = wrapper_name(res["key"])
                stale_by_module[key] = stale_by_module.get(key, 0) + 1

    if args.list_failures and listed:
        print("\nListed deviations:")
        for full_id, entry in listed:
            print(f"  {full_id}  [{dev_name}:{entry.line}]")
    if unlisted:
        print("\nUnlisted failures:")
        for full_id, outcome, message in unlisted:
            print(f"  {outcome.upper():6} {full_id}\n         {_short(message)}")
    if stale:
        print("\nStale deviation entries (no failing test matches them):")
        for entry in stale:
            extra = f"; matches {len(entry.matched_passes)} passing test(s)"
            extra = extra if entry.matched_passes else ""
            print(f"  {dev_name}:{entry.line}: {entry.pattern}{extra}")
    broad = [e for e in entries if e.matched_failures and e.matched_passes and not e.message]
    if broad:
        print("\nNote: entries that also match passing tests (consider narrowing them):")
        for entry in broad:
            print(
                f"  {dev_name}:{entry.line}: {entry.pattern} "
                f"({len(entry.matched_failures)} failing, {len(entry.matched_passes)} passing)"
            )

    if args.probe:
        print(f"\nProbe: {len(untouched)} test(s) that may reach sparsefit ran no sparsefit code")
        if misclassified:
            print("Probe: classified scikit-learn-only but ran sparsefit code (runner bug):")
            for test_id in misclassified:
                print(f"  {test_id}")
            status = 2

    columns = ("passed", "failed", "skipped", "sk-only", "listed", "unlisted", "stale")
    header = f"{'module':<10}" + "".join(f" {c:>8}" for c in columns) + f" {'time':>7}"
    print("\n" + header)
    print("-" * len(header))
    totals = [0] * len(columns)
    for key, *values, seconds in rows:
        values.append(stale_by_module.get(wrapper_name(key), 0))
        print(f"{key:<10}" + "".join(f" {v:>8}" for v in values) + f" {seconds:>6.1f}s")
        totals = [t + v for t, v in zip(totals, values, strict=True)]
    totals[-1] = len(stale)  # an entry with a wildcard module counts once
    print("-" * len(header))
    print(f"{'total':<10}" + "".join(f" {v:>8}" for v in totals) + f" {wall:>6.1f}s")
    print(
        "(failed includes errors; skipped includes xfailed; sk-only: tests that cannot reach "
        "sparsefit, " + ("run anyway)" if args.all or args.probe else "not run; --all runs them)")
    )
    if any(r[1] + r[2] == 0 for r in rows) and not args.k:
        print("no test ran in at least one module")
        status = 2
    if status == 0 and (unlisted or stale):
        status = 1
    verdict = {0: "OK", 1: "FAILED", 2: "RUNNER ERROR"}[status]
    if args.ridge_solver_alias:
        verdict += " (diagnostic run with --ridge-solver-alias: not a conformance verdict)"
    print(
        f"\nconformance: {verdict} ({len(unlisted)} unlisted failure(s), "
        f"{len(stale)} stale entr{'y' if len(stale) == 1 else 'ies'})"
    )
    return status


def _tail(path, lines=30):
    try:
        text = Path(path).read_text().splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


if __name__ == "__main__":
    sys.exit(main())
