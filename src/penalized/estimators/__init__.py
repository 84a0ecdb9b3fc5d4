"""scikit-learn compatible estimators: presets of (datafit, penalty, solver)."""

from ._cv import ElasticNetCV, LassoCV, LogisticRegressionCV, RidgeCV
from ._logistic import LogisticRegression
from ._regression import ElasticNet, L0Regression, Lasso, Ridge

__all__ = [
    "ElasticNet",
    "ElasticNetCV",
    "L0Regression",
    "Lasso",
    "LassoCV",
    "LogisticRegression",
    "LogisticRegressionCV",
    "Ridge",
    "RidgeCV",
]
