"""sparsefit.plot: what is drawn is the path / CV curve, and matplotlib stays optional."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sparsefit import ElasticNetCD, ElasticNetCDCV, LassoCD, LassoCDCV, RidgeGD, enet_path

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sparsefit.plot import CVCurveDisplay, RegularizationPathDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 7)) * np.array([1, 2, 3, 1, 1, 5, 1]) + 3.0
    y = X[:, 0] - 2 * X[:, 1] + 0.5 * X[:, 5] + rng.standard_normal(60) + 10.0
    return X, y


@pytest.fixture(scope="module")
def lasso_cv(data):
    X, y = data
    return LassoCDCV(cv=4, alphas=25).fit(X, y)


def ydata(display):
    return np.array([line.get_ydata() for line in display.lines_])


def test_from_path_lines_are_the_coefficients():
    alphas = np.array([0.01, 1.0, 0.1])  # any order
    coefs = np.array([[3.0, 0.0, 1.0], [2.0, 0.0, 0.0]])
    display = RegularizationPathDisplay.from_path(alphas, coefs, feature_names=["a", "b"])
    assert len(display.lines_) == 2
    order = np.argsort(alphas)[::-1]
    for line, coef in zip(display.lines_, coefs, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), alphas[order])
        np.testing.assert_array_equal(line.get_ydata(), coef[order])
    assert display.ax_.get_xscale() == "log"
    left, right = display.ax_.get_xlim()
    assert left > right  # alpha decreases from left to right
    assert display.figure_ is display.ax_.figure
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == ["a", "b"]
    assert display.ax_.get_xlabel() and display.ax_.get_ylabel() and display.ax_.get_title()


def test_plot_on_given_axes_and_increasing_option():
    fig, ax = plt.subplots()
    display = RegularizationPathDisplay([1.0, 0.1], [[0.0, 1.0]]).plot(ax=ax, decreasing=False)
    assert display.ax_ is ax and display.figure_ is fig
    left, right = ax.get_xlim()
    assert left < right


def test_from_estimator_matches_enet_path_on_centred_data(data):
    X, y = data
    est = ElasticNetCD(alpha=0.05, l1_ratio=0.7)
    display = RegularizationPathDisplay.from_estimator(est, X, y, n_alphas=20)
    alphas = display.lines_[0].get_xdata()
    _, coefs, _ = enet_path(X - X.mean(axis=0), y - y.mean(), l1_ratio=0.7, alphas=alphas)
    np.testing.assert_allclose(ydata(display), coefs, rtol=1e-12, atol=1e-12)
    # the estimator's alpha is on the grid and marked; the path goes through its coef_
    assert display.alpha_mark_lines_["alpha"].get_xdata()[0] == 0.05
    i = int(np.flatnonzero(alphas == 0.05)[0])
    fitted = ElasticNetCD(alpha=0.05, l1_ratio=0.7, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ydata(display)[:, i], fitted.coef_, atol=1e-4)
    assert "l1_ratio=0.7" in display.ax_.get_title()


def test_from_estimator_cv_marks_and_grid(data, lasso_cv):
    X, y = data
    display = RegularizationPathDisplay.from_estimator(lasso_cv, X, y)
    marks = display.alpha_mark_lines_
    assert set(marks) == {"alpha_min_", "alpha_1se_"}
    assert marks["alpha_min_"].get_xdata()[0] == lasso_cv.alpha_min_
    assert marks["alpha_1se_"].get_xdata()[0] == lasso_cv.alpha_1se_
    np.testing.assert_array_equal(display.lines_[0].get_xdata(), lasso_cv.alphas_)
    _, coefs, _ = enet_path(
        X - X.mean(axis=0), y - y.mean(), l1_ratio=1.0, alphas=lasso_cv.alphas_
    )
    np.testing.assert_allclose(ydata(display), coefs, rtol=1e-12, atol=1e-12)
    # the refit is the path's point at alpha_
    i = int(np.flatnonzero(lasso_cv.alphas_ == lasso_cv.alpha_)[0])
    np.testing.assert_allclose(ydata(display)[:, i], lasso_cv.coef_, atol=1e-3)


def test_from_estimator_unfitted_cv_and_pipeline(data):
    X, y = data
    est = LassoCDCV(cv=3, alphas=10)
    display = RegularizationPathDisplay.from_estimator(est, X, y)
    assert not hasattr(est, "alpha_")  # a clone was fitted
    assert len(display.alpha_mark_lines_) == 2

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), LassoCDCV(cv=3, alphas=10)).fit(X, y)
    display = RegularizationPathDisplay.from_estimator(pipe, X, y, feature_names=list("abcdefg"))
    i = int(np.flatnonzero(pipe[-1].alphas_ == pipe[-1].alpha_)[0])
    np.testing.assert_allclose(ydata(display)[:, i], pipe[-1].coef_, atol=1e-3)
    assert display.ax_.get_legend() is not None


def test_from_estimator_enet_cv_uses_chosen_l1_ratio(data):
    X, y = data
    est = ElasticNetCDCV(l1_ratio=[0.3, 1.0], cv=3, alphas=15).fit(X, y)
    display = RegularizationPathDisplay.from_estimator(est, X, y)
    k = [0.3, 1.0].index(est.l1_ratio_)
    np.testing.assert_array_equal(display.lines_[0].get_xdata(), est.alphas_[k])
    assert display.alpha_mark_lines_["alpha_1se_"].get_xdata()[0] == est.alpha_1se_


def test_many_features_label_the_first_to_enter():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 30))
    y = 3 * X[:, 4] + X[:, 7] + 0.1 * rng.standard_normal(40)
    display = RegularizationPathDisplay.from_estimator(LassoCD(alpha=0.01), X, y, n_labels=3)
    assert len(display.lines_) == 30
    assert display.labelled_features_[:2] == [4, 7]
    texts = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert texts[:2] == ["x4", "x7"] and "27 others" in texts


def test_from_estimator_rejects_other_estimators(data):
    X, y = data
    with pytest.raises(TypeError, match="from_path"):
        RegularizationPathDisplay.from_estimator(RidgeGD(), X, y)
    with pytest.raises(TypeError, match="LassoCDCV"):
        CVCurveDisplay.from_estimator(LassoCD().fit(X, y))
    with pytest.raises(ValueError, match="not fitted"):
        CVCurveDisplay.from_estimator(LassoCDCV())


def test_cv_curve_is_mean_mse_with_standard_error_band(lasso_cv):
    display = CVCurveDisplay.from_estimator(lasso_cv)
    mean = lasso_cv.mse_path_.mean(axis=-1)
    np.testing.assert_array_equal(display.line_.get_xdata(), lasso_cv.alphas_)
    np.testing.assert_allclose(display.line_.get_ydata(), mean, rtol=1e-15)
    se = lasso_cv.mse_std_path_ / np.sqrt(lasso_cv.mse_path_.shape[1])
    band = display.fill_.get_paths()[0].vertices
    assert np.isclose(band[:, 1].max(), (mean + se).max())
    assert np.isclose(band[:, 1].min(), (mean - se).min())
    assert display.alpha_min_line_.get_xdata()[0] == lasso_cv.alpha_min_
    assert display.alpha_1se_line_.get_xdata()[0] == lasso_cv.alpha_1se_
    i = int(np.argmin(mean))
    assert display.threshold_line_.get_ydata()[0] == pytest.approx(mean[i] + se[i])
    ax = display.ax_
    assert ax.get_xscale() == "log" and ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert ax.get_legend() is not None
    assert display.figure_ is ax.figure and display.fold_lines_ == []


def test_cv_curve_enet_several_l1_ratios(data):
    X, y = data
    est = ElasticNetCDCV(l1_ratio=[0.2, 0.6, 1.0], cv=3, alphas=12).fit(X, y)
    k = [0.2, 0.6, 1.0].index(est.l1_ratio_)
    display = CVCurveDisplay.from_estimator(est, show_folds=True)
    np.testing.assert_allclose(display.line_.get_ydata(), est.mse_path_[k].mean(axis=-1))
    np.testing.assert_array_equal(display.line_.get_xdata(), est.alphas_[k])
    assert display.alpha_1se_line_.get_xdata()[0] == est.alpha_1se_
    assert len(display.fold_lines_) == 3
    # another l1_ratio: its own curve and its own marks
    other = [r for r in (0.2, 0.6, 1.0) if r != est.l1_ratio_][0]
    j = [0.2, 0.6, 1.0].index(other)
    display = CVCurveDisplay.from_estimator(est, l1_ratio=other)
    mean = est.mse_path_[j].mean(axis=-1)
    np.testing.assert_allclose(display.line_.get_ydata(), mean)
    assert display.alpha_min_line_.get_xdata()[0] == est.alphas_[j][np.argmin(mean)]
    with pytest.raises(ValueError, match="not one of"):
        CVCurveDisplay.from_estimator(est, l1_ratio=0.9)


def test_cv_curve_from_arrays_computes_the_one_se_rule():
    from sparsefit._cv import one_standard_error_index

    rng = np.random.default_rng(2)
    alphas = np.geomspace(1, 1e-3, 20)
    mse = (np.log(alphas)[:, None] + 3) ** 2 + rng.uniform(0, 2, (20, 5))
    display = CVCurveDisplay(alphas, mse).plot()
    expected = alphas[one_standard_error_index(alphas, mse)]
    assert display.alpha_1se_line_.get_xdata()[0] == expected
    assert display.alpha_min_line_.get_xdata()[0] == alphas[np.argmin(mse.mean(axis=1))]


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_import_does_not_import_matplotlib():
    result = _run(
        """
        import sys
        import sparsefit, sparsefit.plot
        from sparsefit.plot import CVCurveDisplay, RegularizationPathDisplay
        RegularizationPathDisplay([1.0], [[0.0]])  # constructing draws nothing
        print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_missing_matplotlib_names_the_extra():
    result = _run(
        """
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        sys.modules["matplotlib.pyplot"] = None
        import numpy as np
        from sparsefit import LassoCDCV
        from sparsefit.plot import CVCurveDisplay, RegularizationPathDisplay
        X = np.random.default_rng(0).standard_normal((20, 3)); y = X[:, 0]
        calls = [
            lambda: RegularizationPathDisplay([1.0], [[0.0]]).plot(),
            lambda: RegularizationPathDisplay.from_path([1.0], [[0.0]]),
            lambda: RegularizationPathDisplay.from_estimator(LassoCDCV(cv=2), X, y),
            lambda: CVCurveDisplay([1.0, 0.1], [[1.0, 2.0], [3.0, 4.0]]).plot(),
            lambda: CVCurveDisplay.from_estimator(LassoCDCV(cv=2)),
        ]
        for call in calls:
            try:
                call()
            except ImportError as exc:
                print(exc)
            else:
                print("no error")
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 5
    for line in lines:
        assert 'pip install "sparsefit[plot]"' in line and "matplotlib" in line, line


def test_cv_curve_refuses_an_l1_ratio_the_estimator_did_not_fit(data, lasso_cv):
    """A LassoCDCV was fitted at l1_ratio=1 only: asking for another curve is an error, not
    a silently different picture."""
    with pytest.raises(ValueError, match="l1_ratio=0.5: the estimator was fitted with"):
        CVCurveDisplay.from_estimator(lasso_cv, l1_ratio=0.5)
    CVCurveDisplay.from_estimator(lasso_cv, l1_ratio=1.0)  # its own: drawn
    X, y = data
    enet = ElasticNetCDCV(l1_ratio=0.7, cv=3, alphas=5).fit(X, y)
    with pytest.raises(ValueError, match="fitted with l1_ratio=0.7 only"):
        CVCurveDisplay.from_estimator(enet, l1_ratio=0.5)


def test_path_display_keeps_sparse_x_sparse(data):
    """The display solves the path through the fit pipeline: sparse X is centred implicitly,
    as the estimator does, never densified (a matrix whose densification fails is used),
    and the path equals the dense one."""
    import scipy.sparse as sp

    X, y = data
    X = X.copy()
    X[np.abs(X) < 2.5] = 0.0

    class Undensifiable(sp.csc_matrix):
        def toarray(self, *args, **kwargs):
            if self.shape == X.shape:  # (a few columns may be: the certificates do that)
                raise AssertionError("the whole sparse X was densified")
            return super().toarray(*args, **kwargs)

        todense = toarray

    Xs = Undensifiable(X)
    est = LassoCD(alpha=0.05, tol=1e-9)  # both paths near the exact one
    sparse_display = RegularizationPathDisplay.from_estimator(est, Xs, y, n_alphas=15)
    dense_display = RegularizationPathDisplay.from_estimator(est, X, y, n_alphas=15)
    np.testing.assert_allclose(sparse_display.alphas, dense_display.alphas, rtol=1e-12)
    np.testing.assert_allclose(sparse_display.coefs, dense_display.coefs, rtol=1e-6, atol=1e-8)
