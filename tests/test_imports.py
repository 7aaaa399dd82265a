"""Architecture rules checked by parsing the sources (no import side effects involved)."""

import ast
from pathlib import Path

import pytest

import sparsefit

PACKAGE = Path(sparsefit.__file__).resolve().parent
CORE = [
    "penalties.py",
    "_objective.py",
    "_cd.py",
    "_finish.py",
    "_support.py",
    "_tuning.py",
    "_ridge.py",
    "_data.py",
    "_path.py",
    "_moments.py",
    "_homotopy.py",
    "_dual_newton.py",
]
#: optional packages the core may use when installed (never required): the penalties'
#: array-API support for namespaces without a standard __array_namespace__ (PyTorch)
OPTIONAL = {"array_api_compat"}
COMPILED = {"numba", "cython", "Cython", "pythran", "cffi", "ctypes"}


def imported_modules(path):
    """(absolute module names, relative module names) imported anywhere in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    absolute, relative = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            absolute.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.module:
                    relative.add(node.module)
                else:  # "from . import x"
                    relative.update(alias.name for alias in node.names)
            else:
                absolute.add(node.module)
        elif isinstance(node, ast.Call):
            # importlib.import_module("...") / __import__("...") with a literal name
            func = node.func
            name = getattr(func, "attr", None) or getattr(func, "id", None)
            if (
                name in {"import_module", "__import__"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                absolute.add(node.args[0].value)
    return absolute, relative


def test_imported_modules_helper_can_see_sklearn(tmp_path):
    """The parser below must detect every import form (otherwise the tests are vacuous)."""
    src = tmp_path / "m.py"
    src.write_text(
        "import os\nimport sklearn.base\nfrom sklearn import linear_model\n"
        "def f():\n    from sklearn.utils import check_array\n"
        "    import importlib; importlib.import_module('numba')\n"
        "from . import _cd\nfrom ._data import center_data\n"
    )
    absolute, relative = imported_modules(src)
    assert {"sklearn.base", "sklearn", "sklearn.utils", "numba", "os"} <= absolute
    assert relative == {"_cd", "_data"}


@pytest.mark.parametrize("name", CORE)
def test_core_module_imports_no_sklearn(name):
    path = PACKAGE / name
    assert path.exists(), f"core module {name} is missing"
    absolute, relative = imported_modules(path)
    offenders = sorted(m for m in absolute if m.split(".")[0] == "sklearn")
    assert not offenders, f"{name} imports {offenders}"
    # only numpy / scipy / the standard library
    third_party = {m.split(".")[0] for m in absolute} - {"numpy", "scipy"} - OPTIONAL
    import sys

    not_stdlib = sorted(m for m in third_party if m not in sys.stdlib_module_names)
    assert not not_stdlib, f"{name} imports {not_stdlib}"
    # and, transitively, only other core modules of the package
    stems = {c[:-3] for c in CORE}
    outside = sorted(m.split(".")[0] for m in relative if m.split(".")[0] not in stems)
    assert not outside, f"{name} imports non-core sparsefit modules {outside}"


def test_no_compiled_code_anywhere():
    py_files = sorted(PACKAGE.rglob("*.py"))
    assert len(py_files) >= len(CORE) + 1
    for path in py_files:
        absolute, _ = imported_modules(path)
        used = sorted(m for m in absolute if m.split(".")[0] in COMPILED)
        assert not used, f"{path.name} imports {used}"
    compiled = [
        p.name
        for ext in ("*.pyx", "*.pxd", "*.c", "*.cpp", "*.so", "*.pyd")
        for p in PACKAGE.rglob(ext)
    ]
    assert not compiled, compiled


def test_public_surface():
    assert isinstance(sparsefit.__all__, list)
    assert all(isinstance(name, str) for name in sparsefit.__all__)
    for name in ("LassoCD", "ElasticNetCD", "RidgeGD"):
        assert name in sparsefit.__all__
        assert isinstance(getattr(sparsefit, name), type)
    for name in sparsefit.__all__:
        assert hasattr(sparsefit, name), name
    assert isinstance(sparsefit.__version__, str) and sparsefit.__version__


def test_optional_packages_are_imported_lazily():
    """An optional package is imported inside a function (guarded), never at module level."""
    for name in CORE:
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                modules = names + ([node.module] if getattr(node, "module", None) else [])
                assert not any(m.split(".")[0] in OPTIONAL for m in modules), (name, modules)


def test_penalties_module_surface():
    from sparsefit import penalties

    for name in ("L1", "L2", "L1L2", "soft_threshold"):
        assert hasattr(penalties, name)


def test_in_memory_fits_never_import_dask():
    """dask is imported only when a dask collection is handed to an estimator."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from sparsefit import LassoCD, LassoCDCV, RidgeGD, RidgeGDCV\n"
        "X = np.random.default_rng(0).normal(size=(60, 4)); y = X[:, 0]\n"
        "for est in (LassoCD(), LassoCDCV(cv=3), RidgeGD(), RidgeGDCV()):\n"
        "    est.fit(X, y).predict(X)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
