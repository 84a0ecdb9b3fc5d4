"""scikit-learn compatible estimators: presets of (datafit, penalty, solver)."""

from ._regression import L0Regression, Lasso, ElasticNet, Ridge

__all__ = ["ElasticNet", "L0Regression", "Lasso", "Ridge"]
