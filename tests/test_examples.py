"""Every example script runs end to end and writes its PNG where it is told to."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def load(path):
    spec = importlib.util.spec_from_file_location(f"_example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # runs only the module body: main() is guarded
    return module


def test_examples_exist():
    names = {p.name for p in SCRIPTS}
    assert {
        "plot_overfitting.py",
        "plot_l1_vs_l2.py",
        "plot_feature_selection.py",
        "plot_choosing_alpha.py",
        "plot_standardize.py",
        "plot_correlated.py",
    } <= names


def _run_example(script, args, monkeypatch):
    pytest.importorskip(
        "matplotlib",
        reason="the examples write PNGs with matplotlib "
        "(optional extra: pip install -e '.[plot]')",
    )
    monkeypatch.setenv("MPLBACKEND", "Agg")
    shipped = {p: p.stat().st_mtime_ns for p in EXAMPLES.glob("*.png")}
    module = load(script)
    assert hasattr(module, "main"), f"{script.name} has no main(argv=None)"
    monkeypatch.setattr(sys, "argv", [str(script)])  # argv must come from the argument
    status = module.main(args)
    assert status in (None, 0)
    # the shipped figures were not overwritten by the test run
    assert {p: p.stat().st_mtime_ns for p in EXAMPLES.glob("*.png")} == shipped
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == [], f"{script.name} left figures open"
    plt.close("all")
    return module


def _assert_png(path):
    assert path.exists(), f"{path} was not written"
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert path.stat().st_size > 1000


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs_and_writes_pngs(script, tmp_path, monkeypatch, capsys):
    """Every example, in its small (--quick) setting, writes the PNGs it declares."""
    out_dir = tmp_path / "sub"
    args = ["--output-dir", str(out_dir)]
    if script.name != "plot_overfitting.py":  # already small
        args.append("--quick")
    module = _run_example(script, args, monkeypatch)
    figures = getattr(module, "FIGURES", None)
    assert figures, f"{script.name} does not declare FIGURES (the PNG names it writes)"
    for name in figures:
        _assert_png(out_dir / name)
    assert sorted(p.name for p in out_dir.glob("*.png")) == sorted(figures)
    printed = capsys.readouterr().out
    assert printed.strip(), f"{script.name} printed no summary"


def test_overfitting_output_option(tmp_path, monkeypatch, capsys):
    """The README's demo keeps its --output option."""
    out = tmp_path / "sub" / "demo.png"
    _run_example(EXAMPLES / "plot_overfitting.py", ["--output", str(out)], monkeypatch)
    _assert_png(out)
    capsys.readouterr()


@pytest.mark.parametrize("script", ["plot_l1_vs_l2.py", "plot_feature_selection.py"])
def test_example_falls_back_without_data_dir(script, tmp_path, monkeypatch, capsys):
    """Examples that read the shared datasets fall back to bundled data when they are absent."""
    out_dir = tmp_path / "out"
    args = ["--output-dir", str(out_dir), "--data-dir", str(tmp_path / "missing"), "--quick"]
    module = _run_example(EXAMPLES / script, args, monkeypatch)
    for name in module.FIGURES:
        _assert_png(out_dir / name)
    assert "scikit-learn" in capsys.readouterr().out


def test_overfitting_story_holds():
    """The claims of examples/plot_overfitting.py's docstring, checked on its own data."""
    from sparsefit import LassoCD, RidgeGD

    from ._certificates import assert_enet_certified, assert_ridge_certified

    module = load(EXAMPLES / "plot_overfitting.py")
    data = module.fit_models()
    from sklearn.linear_model import LinearRegression

    ols = [r for r in data["results"] if isinstance(r["model"][-1], LinearRegression)]
    assert len(ols) == 1
    ols = ols[0]
    reg = [r for r in data["results"] if r is not ols]
    assert len(reg) == 2
    for r in reg:
        # "Both regularized models cut the test error of the unregularized fit by an order of
        # magnitude."
        assert r["test_mse"] * 10 <= ols["test_mse"], (r["name"], r["test_mse"], ols["test_mse"])
        model = r["model"]
        Z = model[:-1].transform(data["X_train"])
        est = model[-1]
        if isinstance(est, RidgeGD):
            assert_ridge_certified(est, Z, data["y_train"])
            assert np.all(est.coef_ != 0)  # "All 15 stay non-zero"
        else:
            assert isinstance(est, LassoCD)
            assert_enet_certified(est, Z, data["y_train"])
            # "sets most coefficients exactly to zero"
            assert np.count_nonzero(est.coef_) < est.coef_.size / 2
    # overfitting: training error well below the noise variance (1.0), test error far above
    assert ols["train_mse"] < 1.0 < ols["test_mse"] / 10


def test_adaptive_lasso_story_holds():
    """The claims of examples/plot_adaptive_lasso.py's docstring, on a few draws of its data:
    fewer false positives, less shrinkage and a smaller coefficient error than the plain
    Lasso, the true features kept; and the weighted fit is optimal (written-out KKT)."""
    from sparsefit import LassoCDCV

    from ._certificates import factor_kkt

    module = load(EXAMPLES / "plot_adaptive_lasso.py")
    out = module.run(n_draws=6, n_alphas=30, seed=1)
    mean = {
        key: {f: np.mean([r[f] for r in rows]) for f in rows[0]}
        for key, rows in out["table"].items()
    }
    assert mean["adaptive"]["false_pos"] < 0.5 * mean["lasso"]["false_pos"], mean
    assert mean["adaptive"]["shrinkage"] < 0.5 * mean["lasso"]["shrinkage"], mean
    assert mean["adaptive"]["error"] < mean["lasso"]["error"], mean
    assert mean["adaptive"]["true_pos"] >= len(module.SUPPORT) - 0.5, mean

    X, y = module.make_data(np.random.default_rng(3))
    pf = module.adaptive_factors(X, y)
    est = LassoCDCV(cv=5, alphas=30, penalty_factor=pf, tol=1e-10).fit(X, y)
    viol, checked, col = factor_kkt(
        X, y, est.coef_, alpha=est.alpha_, l1_ratio=1.0, penalty_factor=pf
    )
    gap = max(float(est.dual_gap_), 0.0)
    assert np.all(viol[checked] <= col[checked] * np.sqrt(2 * gap * X.shape[0]) + 1e-12)
