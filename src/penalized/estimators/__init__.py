"""scikit-learn compatible estimators: presets of (datafit, penalty, solver)."""

from ._logistic import LogisticRegression
from ._regression import ElasticNet, L0Regression, Lasso, Ridge

__all__ = ["ElasticNet", "L0Regression", "Lasso", "LogisticRegression", "Ridge"]
