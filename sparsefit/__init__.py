"""sparsefit: exact, scikit-learn compatible Lasso, ElasticNet and Ridge in pure NumPy/SciPy."""

from . import penalties
from .linear_model import ElasticNetCD, LassoCD, RidgeGD

__version__ = "0.1.0"

__all__ = ["ElasticNetCD", "LassoCD", "RidgeGD", "penalties", "__version__"]
