"""sparsefit: exact, scikit-learn compatible Lasso, ElasticNet and Ridge in pure NumPy/SciPy."""

from . import penalties
from ._cv import ElasticNetCDCV, LassoCDCV, enet_path, lasso_path
from ._ridge_cv import RidgeGDCV
from .linear_model import ElasticNetCD, LassoCD, RidgeGD

__version__ = "0.1.0"

__all__ = [
    "ElasticNetCD",
    "ElasticNetCDCV",
    "LassoCD",
    "LassoCDCV",
    "RidgeGD",
    "RidgeGDCV",
    "enet_path",
    "lasso_path",
    "penalties",
    "__version__",
]
