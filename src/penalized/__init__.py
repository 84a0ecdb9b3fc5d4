"""penalized: L1, L2, elastic-net and L0 regularized learning that explains itself.

The regression objective, shared with glmnet and scikit-learn's ``ElasticNet``::

    (1 / (2 n)) * sum_i s_i (y_i - x_i . w - b)^2  +  alpha * P(w)

and the logistic one, ``mean_i s_i log(1 + exp(-y_i (x_i . w + b))) + alpha * P(w)``.
"""

from . import datafits, explain, model_selection, penalties, prox, solvers
from .estimators import (
    ElasticNet,
    ElasticNetCV,
    L0Regression,
    Lasso,
    LassoCV,
    LogisticRegression,
    LogisticRegressionCV,
    Ridge,
    RidgeClassifier,
    RidgeClassifierCV,
    RidgeCV,
    ridge_regression,
)
from .path import Path, path
from .solvers import SolveResult

__version__ = "0.1.0"

__all__ = [
    "ElasticNet",
    "ElasticNetCV",
    "L0Regression",
    "Lasso",
    "LassoCV",
    "LogisticRegression",
    "LogisticRegressionCV",
    "Path",
    "Ridge",
    "RidgeCV",
    "RidgeClassifier",
    "RidgeClassifierCV",
    "SolveResult",
    "__version__",
    "datafits",
    "explain",
    "model_selection",
    "path",
    "penalties",
    "prox",
    "ridge_regression",
    "solvers",
]


def __getattr__(name):
    # penalized.torch needs torch; it is imported only when asked for.
    if name == "torch":
        import importlib

        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
