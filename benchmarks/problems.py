"""Benchmark problems: real datasets from the shared data directory plus seeded synthetic ones.

Each :class:`Problem` loads ``(X, y)`` lazily and lists the ``alpha_max`` divisors it is
benchmarked at: ``alpha = alpha_max / d`` with ``alpha_max`` computed for the estimator's own
``l1_ratio`` and ``fit_intercept=True``.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.signal import lfilter

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = (REPO_ROOT / ".." / "shared" / "datasets").resolve()

STANDARD_DIVISORS = (10, 100)
TALL_DIVISORS = (10, 100, 1000)


@dataclass
class Problem:
    name: str
    load: Callable[[], tuple]
    divisors: tuple = STANDARD_DIVISORS
    real: bool = True
    quick: bool = False  # part of the --quick smoke test
    default: bool = True  # part of the full run
    tasks: tuple = ("enet", "ridge")  # the benchmark tasks it takes part in
    description: str = field(default="")


# --- real data ------------------------------------------------------------------------------


def load_leukemia(data_dir):
    d = np.load(Path(data_dir) / "leukemia_libsvm.npz")
    return np.asfortranarray(d["X"], dtype=np.float64), d["y"].astype(np.float64)


def load_gisette_test(data_dir):
    d = np.load(Path(data_dir) / "gisette_test.npz")
    return np.asfortranarray(d["X"], dtype=np.float64), d["y"].astype(np.float64)


def load_news20(data_dir):
    """20 Newsgroups word counts (sparse CSC); target +1 for classes 1-10, -1 for 11-20."""
    d = np.load(Path(data_dir) / "news20_multiclass.npz")
    X = sparse.csr_matrix(
        (d["data"].astype(np.float64), d["indices"], d["indptr"]), shape=tuple(d["shape"])
    ).tocsc()
    X.sort_indices()
    y = np.where(d["y"] <= 10, 1.0, -1.0)
    return X, y


def load_california(data_dir):
    """California housing: 8 raw features to degree-3 polynomials (164 columns), standardized."""
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    table = np.loadtxt(Path(data_dir) / "california_housing.csv", delimiter=",", skiprows=1)
    with open(Path(data_dir) / "california_housing.csv") as f:
        header = f.readline().strip().split(",")
    y = table[:, header.index("MedHouseVal")]
    X = PolynomialFeatures(degree=3, include_bias=False).fit_transform(table[:, :8])
    X = StandardScaler().fit_transform(X)
    return np.asfortranarray(X), y


def load_ames_onehot(data_dir):
    """Ames housing: every column one-hot encoded (pandas ``get_dummies``), standardized;
    target log sale price (the common first model on these data)."""
    import pandas as pd
    from sklearn.preprocessing import StandardScaler

    df = pd.read_csv(Path(data_dir) / "ames.csv", keep_default_na=False)
    X = pd.get_dummies(df.drop(columns="Sale_Price")).to_numpy(dtype=np.float64)
    X = X[:, X.std(axis=0) > 0]
    return np.asfortranarray(StandardScaler().fit_transform(X)), np.log(df["Sale_Price"].values)


def load_california_raw(data_dir):
    """California housing: the 8 raw features, unscaled (income in 10k$, population, ...)."""
    table = np.loadtxt(Path(data_dir) / "california_housing.csv", delimiter=",", skiprows=1)
    with open(Path(data_dir) / "california_housing.csv") as f:
        header = f.readline().strip().split(",")
    y = table[:, header.index("MedHouseVal")]
    keep = [j for j, name in enumerate(header) if name != "MedHouseVal"]
    return np.asfortranarray(table[:, keep]), y


# --- synthetic data -------------------------------------------------------------------------


def make_correlated(n_samples, n_features, *, rho=0.6, n_informative=None, snr=3.0, seed=0):
    """AR(1) design (corr(X_j, X_k) = rho^|j-k|), sparse true coef, Gaussian noise.

    ``n_informative`` nonzero coefficients (default ``min(50, n_features // 20)``) at evenly
    spread positions with random signs and magnitudes in [1, 2]; the noise level gives
    ``||X w*|| / ||noise|| = snr``.
    """
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_samples, n_features))
    Z[:, 0] /= np.sqrt(1.0 - rho**2)  # stationary start: Var(X_j) = 1 for every column
    X = lfilter([np.sqrt(1.0 - rho**2)], [1.0, -rho], Z, axis=1)

    if n_informative is None:
        n_informative = max(1, min(50, n_features // 20))
    support = np.linspace(0, n_features - 1, n_informative).astype(int)
    w_true = np.zeros(n_features)
    w_true[support] = rng.choice([-1.0, 1.0], n_informative) * rng.uniform(1, 2, n_informative)
    signal = X @ w_true
    noise = rng.standard_normal(n_samples)
    noise *= np.linalg.norm(signal) / (snr * np.linalg.norm(noise))
    return np.asfortranarray(X), signal + noise


def make_sparse_binary(n_samples, n_features, *, density=0.01, seed=0):
    """Sparse 0/1 features (CSR, each entry present with probability ``density``) and a
    target from 50 of them plus Gaussian noise (signal-to-noise 3)."""
    rng = np.random.default_rng(seed)
    X = sparse.random(
        n_samples,
        n_features,
        density=density,
        format="csr",
        random_state=rng,
        data_rvs=np.ones,
    )
    w = np.zeros(n_features)
    w[rng.choice(n_features, 50, replace=False)] = rng.normal(size=50)
    signal = X @ w
    noise = rng.standard_normal(n_samples)
    noise *= np.linalg.norm(signal) / (3.0 * np.linalg.norm(noise))
    return X, signal + noise


# --- registry -------------------------------------------------------------------------------


def get_problems(data_dir=None):
    """Return ``(problems, notes)``: every problem available, and notes on any skipped."""
    data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    notes = []
    problems = []
    if os.path.isdir(data_dir):
        problems += [
            Problem(
                "leukemia",
                lambda: load_leukemia(data_dir),
                quick=True,
                description="72 x 7129 dense, +-1 target",
            ),
            Problem(
                "gisette_test",
                lambda: load_gisette_test(data_dir),
                description="1000 x 5000 dense, +-1 target",
            ),
            Problem(
                "news20",
                lambda: load_news20(data_dir),
                description="15935 x 62061 sparse CSC, classes 1-10 vs 11-20",
            ),
            Problem(
                "california",
                lambda: load_california(data_dir),
                divisors=TALL_DIVISORS,
                description="20640 x 164 dense, degree-3 polynomials, standardized",
            ),
            Problem(
                "ames_onehot",
                lambda: load_ames_onehot(data_dir),
                default=False,
                description="2930 x 314 dense, one-hot, standardized, log price",
            ),
            Problem(
                "california_raw",
                lambda: load_california_raw(data_dir),
                default=False,
                description="20640 x 8 dense, raw features",
            ),
        ]
    else:
        notes.append(f"data directory {data_dir} not found: real-data problems skipped")
    problems += [
        Problem(
            "synth_10000x1000",
            lambda: make_correlated(10000, 1000, seed=0),
            divisors=TALL_DIVISORS,
            real=False,
            description="AR(1) rho=0.6, 50 nonzero coefs, SNR 3",
        ),
        Problem(
            "synth_200x20000",
            lambda: make_correlated(200, 20000, seed=1),
            real=False,
            description="AR(1) rho=0.6, 50 nonzero coefs, SNR 3",
        ),
        Problem(
            "synth_100x5000",
            lambda: make_correlated(100, 5000, seed=3),
            real=False,
            tasks=("enet",),
            description="small and wide (leukemia-like), AR(1) rho=0.6",
        ),
        Problem(
            "sparse_800x90000",
            lambda: make_sparse_binary(800, 90000, density=0.01, seed=4),
            real=False,
            tasks=("ridge",),
            description="sparse binary features, 1% density, n << p (ridge)",
        ),
        Problem(
            "synth_100x500",
            lambda: make_correlated(100, 500, seed=2),
            real=False,
            quick=True,
            default=False,
            description="small smoke-test problem",
        ),
    ]
    return problems, notes
