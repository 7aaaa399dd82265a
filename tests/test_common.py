"""scikit-learn's estimator checks, with no expected failures."""

import os
import subprocess
import sys
import textwrap

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)

from sparsefit import ElasticNetCD, ElasticNetCDCV, LassoCD, LassoCDCV, RidgeGD


def estimators():
    return [
        LassoCD(),
        ElasticNetCD(),
        RidgeGD(),
        LassoCD(positive=True, fit_intercept=False),
        ElasticNetCD(selection="random", random_state=0),
    ]


@parametrize_with_checks(estimators())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def cv_estimators():
    """Small grids and cv=3 (as scikit-learn uses for its own CV estimators in these checks):
    the default 100 alphas x 5 folds costs 20-40 s per estimator for the same coverage."""
    return [
        LassoCDCV(alphas=20, cv=3),
        ElasticNetCDCV(l1_ratio=[0.2, 0.9], alphas=10, cv=3),
        LassoCDCV(alpha_rule="1se", alphas=10, cv=3, positive=True),
    ]


@parametrize_with_checks(cv_estimators())
def test_sklearn_compatible_cv_estimator(estimator, check):
    check(estimator)


def _ids(est):
    return repr(est)


@pytest.mark.parametrize("estimator", estimators(), ids=_ids)
def test_check_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", estimators(), ids=_ids)
def test_check_dataframe_column_names_consistency(estimator):
    pytest.importorskip("pandas", reason="the check builds pandas DataFrames")
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)


def test_array_api_input_numpy_namespace():
    """``check_array_api_input`` is skipped above unless SCIPY_ARRAY_API=1 was exported before
    scipy was imported (sklearn's own skip). Run it here, in a fresh interpreter that has it."""
    code = textwrap.dedent("""
        from sklearn.utils.estimator_checks import check_array_api_input
        from sparsefit import ElasticNetCD, LassoCD, RidgeGD
        for est in [LassoCD(), ElasticNetCD(), RidgeGD(),
                    LassoCD(positive=True, fit_intercept=False),
                    ElasticNetCD(selection="random", random_state=0)]:
            check_array_api_input(type(est).__name__, est, array_namespace="numpy",
                                  expect_only_array_outputs=False)
        print("checked")
    """)
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("checked")
