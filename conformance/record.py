"""pytest plugin (``-p conformance.record``): outcomes to JSON, scikit-learn-only tests.

``--conformance-record=PATH`` names the file. Each entry maps a node id (relative to the
wrapper directory, e.g. ``test_ridge.py::test_ridge_regression[svd]``) to
``{"outcome": ..., "message": ...}`` where outcome is one of ``passed``, ``failed``,
``error`` (setup/teardown failure or a collection error), ``skipped``, ``xfailed``,
``xpassed`` or ``sklearn_only`` and message is the first line of the exception for failures
and errors.

Tests whose function name is in the wrapper module's ``CONFORMANCE_SKLEARN_ONLY`` (see
``rebind.sklearn_only_tests``: they cannot reach a sparsefit object) are deselected and
recorded as ``sklearn_only``, unless ``--conformance-all`` is given.

``--conformance-probe`` (implies ``--conformance-all``) profiles every test's setup and call
and adds ``"touched_sparsefit": true/false`` to its entry: whether any function defined in
sparsefit's source files ran. It checks the static classification and is slow.
"""

import json
import os
import sys
import threading

import pytest


def pytest_addoption(parser):
    parser.addoption("--conformance-record", default=None, help="JSON file of test outcomes")
    parser.addoption(
        "--conformance-all",
        action="store_true",
        help="also run the tests that cannot reach sparsefit",
    )
    parser.addoption(
        "--conformance-probe",
        action="store_true",
        help="record whether each test ran sparsefit code (implies --conformance-all)",
    )


def _message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        text = crash.message
    elif isinstance(report.longrepr, tuple):  # skip: (path, line, reason)
        text = str(report.longrepr[-1])
    else:
        text = str(report.longrepr or "")
        lines = [line for line in text.splitlines() if line.startswith("E ")]
        if lines:
            text = lines[-1][1:]
    text = " ".join(text.split())
    return text[:2000]


def _sklearn_only(item):
    names = getattr(getattr(item, "module", None), "CONFORMANCE_SKLEARN_ONLY", ())
    function = getattr(item, "function", None)
    return getattr(function, "__name__", None) in names and getattr(item, "cls", None) is None


class _Recorder:
    def __init__(self, path, run_all, probe):
        self.path = path
        self.run_all = run_all or probe
        self.probe = probe
        self.results = {}
        import sparsefit

        self.sparsefit_dir = os.path.dirname(os.path.abspath(sparsefit.__file__)) + os.sep

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        only = [item for item in items if _sklearn_only(item)]
        for item in only:
            self.results[item.nodeid] = {"outcome": "sklearn_only", "message": ""}
        if only and not self.run_all:
            keep = [item for item in items if not _sklearn_only(item)]
            config.hook.pytest_deselected(items=only)
            items[:] = keep

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if not self.probe:
            yield
            return
        touched = []
        prefix = self.sparsefit_dir

        def profile(frame, event, arg):
            if event == "call" and not touched and frame.f_code.co_filename.startswith(prefix):
                touched.append(True)

        sys.setprofile(profile)
        threading.setprofile(profile)
        try:
            yield
        finally:
            sys.setprofile(None)
            threading.setprofile(None)
        entry = self.results.setdefault(item.nodeid, {"outcome": None, "message": ""})
        entry["touched_sparsefit"] = bool(touched)

    def pytest_runtest_logreport(self, report):
        entry = self.results.setdefault(report.nodeid, {"outcome": None, "message": ""})
        if entry["outcome"] == "sklearn_only":  # run anyway (--conformance-all)
            entry["outcome"] = None
            entry["sklearn_only"] = True
        if report.when == "call":
            if hasattr(report, "wasxfail"):
                entry["outcome"] = "xfailed" if report.skipped else "xpassed"
                if report.failed:  # strict xfail that passed
                    entry["outcome"] = "failed"
            else:
                entry["outcome"] = report.outcome
            if report.failed:
                entry["message"] = _message(report)
        elif report.failed:  # setup or teardown
            if entry["outcome"] != "failed":
                entry["outcome"] = "error"
                entry["message"] = f"[{report.when}] " + _message(report)
        elif report.skipped and report.when == "setup":
            entry["outcome"] = "xfailed" if hasattr(report, "wasxfail") else "skipped"
            entry["message"] = _message(report)

    def pytest_collectreport(self, report):
        if report.failed:
            self.results[report.nodeid or "<collection>"] = {
                "outcome": "error",
                "message": "[collection] " + _message(report),
            }

    def pytest_sessionfinish(self, session):
        with open(self.path, "w") as fh:
            json.dump(self.results, fh, indent=0, sort_keys=True)


def pytest_configure(config):
    path = config.getoption("--conformance-record")
    if path:
        recorder = _Recorder(
            path, config.getoption("--conformance-all"), config.getoption("--conformance-probe")
        )
        config.pluginmanager.register(recorder, "conformance-recorder")
