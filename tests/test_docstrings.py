"""The docstrings of the public API pass numpydoc's validation.

As scikit-learn's ``test_docstring_parameters.py`` does for scikit-learn: every public class
and function of ``sparsefit``, ``sparsefit.penalties`` and ``sparsefit.plot``, and every
public method and property of those classes (inherited ones included, as ``help()`` shows
them), goes through ``numpydoc.validate.validate``. Among its checks, the documented
parameters must be exactly the signature's, in its order (PR01, PR02, PR03), each with a type
and a description (PR04, PR07), and every documented return value needs a description
(RT03). On top of numpydoc's checks, every parameter and every attribute of a class needs a
description (PR07, AT01). Only the checks in ``IGNORED`` and, for methods and properties,
``IGNORED_FOR_MEMBERS`` are not applied; each says why.

The API reference (``docs/api.rst``) must list every public name, and a deliberately wrong
docstring must fail the validation (the test of the test).

Needs ``numpydoc`` (in the ``test`` extra); skipped without it.
"""

import inspect
import re
from pathlib import Path

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")
from numpydoc.docscrape import get_doc_object  # noqa: E402

import sparsefit  # noqa: E402
import sparsefit.penalties  # noqa: E402
import sparsefit.plot  # noqa: E402

MODULES = (sparsefit, sparsefit.penalties, sparsefit.plot)

#: numpydoc checks not applied anywhere, with the reason.
IGNORED = {
    "RT02": (
        "A Returns entry may name its value before the type (``self : object``, "
        "``display : RegularizationPathDisplay``), as scikit-learn's docstrings do; numpydoc "
        "wants the type alone unless several values are returned."
    ),
}

#: checks applied to the public classes and functions but not to methods and properties.
IGNORED_FOR_MEMBERS = {
    "ES01": (
        "A method's or property's one-line summary and its sections are enough; the class "
        "docstring holds the extended description (scikit-learn's rule)."
    ),
    "SA01": (
        "The See Also section belongs to the class (scikit-learn's rule); a See Also on "
        "``fit``, ``predict`` or a property would repeat it."
    ),
    "EX01": (
        "The class docstring's Examples show the methods in use (scikit-learn's rule), and "
        "the gallery shows the rest."
    ),
}


def _public_objects():
    """Qualified names of the public classes and functions, with their public methods and
    properties: ``(name, is_member)`` pairs."""
    names = []
    for module in MODULES:
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.ismodule(obj) or not callable(obj):  # sparsefit.penalties, __version__
                continue
            qualname = f"{obj.__module__}.{obj.__qualname__}"
            names.append((qualname, False))
            if not inspect.isclass(obj):
                continue
            for member in sorted(dir(obj)):
                if member.startswith("_"):
                    continue
                raw = inspect.getattr_static(obj, member)
                if isinstance(raw, property) or callable(getattr(obj, member)):
                    names.append((f"{qualname}.{member}", True))
    return names


PUBLIC = _public_objects()


def docstring_errors(name, is_member):
    """numpydoc's errors for the object named ``name``, less the ignored checks."""
    ignored = IGNORED.keys() | (IGNORED_FOR_MEMBERS.keys() if is_member else set())
    errors = list(numpydoc_validate.validate(name)["errors"])
    # numpydoc skips the description check (PR07) of a parameter whose type is a set of
    # options ("selection : {'cyclic', 'random'}"): check every parameter here
    doc = numpydoc_validate.Validator(get_doc_object(numpydoc_validate.Validator._load_obj(name)))
    for param, (_, desc) in doc.doc_all_parameters.items():
        missing = numpydoc_validate.error("PR07", param_name=param)
        if not "".join(desc).strip() and missing not in errors:
            errors.append(missing)
    # numpydoc does not look at the Attributes section: each attribute needs a description
    if inspect.isclass(doc.obj):
        for attribute in doc.doc["Attributes"]:
            if not "".join(attribute.desc).strip():
                errors.append(("AT01", f'Attribute "{attribute.name}" has no description'))
    return [f"{code}: {message}" for code, message in errors if code not in ignored]


def test_public_objects_found():
    names = {name for name, _ in PUBLIC}
    for expected in (
        "sparsefit.linear_model.LassoCD",
        "sparsefit.linear_model.LassoCD.fit",
        "sparsefit._cv.LassoCDCV.get_metadata_routing",
        "sparsefit.linear_model.ElasticNetCD.sparse_coef_",  # a property
        "sparsefit._cv.enet_path",
        "sparsefit.penalties.L1L2.prox",
        "sparsefit.penalties.soft_threshold",
        "sparsefit.plot.CVCurveDisplay.from_estimator",
    ):
        assert expected in names
    assert len(names) == len(PUBLIC) > 100


@pytest.mark.parametrize(("name", "is_member"), PUBLIC, ids=[name for name, _ in PUBLIC])
def test_docstring(name, is_member):
    errors = docstring_errors(name, is_member)
    assert not errors, f"{name}:\n" + "\n".join(errors)


def test_ignored_checks_have_reasons():
    for code, reason in {**IGNORED, **IGNORED_FOR_MEMBERS}.items():
        assert code in numpydoc_validate.ERROR_MSGS
        assert len(reason.split()) >= 10


# -- the test of the test -------------------------------------------------------------------
def _missing_parameter(X, y, sample_weight=None):
    """Fit something.

    A fixture of the test of the test.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training data.
    y : ndarray of shape (n_samples,)
        Target values.

    Returns
    -------
    float
        Something.

    See Also
    --------
    sparsefit.LassoCD : An estimator.

    Examples
    --------
    >>> _missing_parameter(1, 2)
    """


def _wrong_order(y, X):
    """Fit something.

    A fixture of the test of the test.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training data.
    y : ndarray of shape (n_samples,)
        Target values.

    Returns
    -------
    float
        Something.

    See Also
    --------
    sparsefit.LassoCD : An estimator.

    Examples
    --------
    >>> _wrong_order(1, 2)
    """


def _correct(X, y, sample_weight=None):
    """Fit something.

    A fixture of the test of the test.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training data.
    y : ndarray of shape (n_samples,)
        Target values.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights.

    Returns
    -------
    float
        Something.

    See Also
    --------
    sparsefit.LassoCD : An estimator.

    Examples
    --------
    >>> _correct(1, 2)
    """


def _options_without_description(X, selection="cyclic"):
    """Fit something.

    A fixture of the test of the test.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training data.
    selection : {'cyclic', 'random'}, default='cyclic'

    Returns
    -------
    float
        Something.

    See Also
    --------
    sparsefit.LassoCD : An estimator.

    Examples
    --------
    >>> _options_without_description(1)
    """


class _AttributeWithoutDescription:
    """Fit something.

    A fixture of the test of the test.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)

    See Also
    --------
    sparsefit.LassoCD : An estimator.

    Examples
    --------
    >>> _AttributeWithoutDescription()  # doctest: +ELLIPSIS
    <...>
    """


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (_missing_parameter, "PR01"),
        (_wrong_order, "PR03"),
        (_options_without_description, "PR07"),
        (_AttributeWithoutDescription, "AT01"),
        (_correct, None),
    ],
)
def test_validation_catches_a_wrong_docstring(function, expected):
    errors = docstring_errors(f"{function.__module__}.{function.__qualname__}", False)
    if expected is None:
        assert errors == []
    else:
        assert [e[:4] for e in errors] == [expected]
        name = {"PR01": "sample_weight", "PR03": "X", "PR07": "selection", "AT01": "coef_"}
        assert name[expected] in errors[0]


# -- the API reference ------------------------------------------------------------------------
def test_api_reference_lists_every_public_name():
    api = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
    if not api.exists():
        pytest.skip("docs/api.rst is not in this tree")
    listed, module = set(), None
    for line in api.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"\.\. currentmodule:: ([\w.]+)$", line):
            module = m[1]
        elif m := re.match(r"   (\w+)$", line):
            listed.add(f"{module}.{m[1]}")
    public = {
        f"{module.__name__}.{attr}"
        for module in MODULES
        for attr in module.__all__
        if not inspect.ismodule(getattr(module, attr)) and attr != "__version__"
    }
    assert public - listed == set()
