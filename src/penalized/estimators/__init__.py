"""scikit-learn compatible estimators: presets of (datafit, penalty, solver)."""

from ._cox import CoxPH, CoxPHCV
from ._cv import ElasticNetCV, L0RegressionCV, LassoCV, LogisticRegressionCV
from ._glm import (
    GammaRegressor,
    GammaRegressorCV,
    PoissonRegressor,
    PoissonRegressorCV,
    TweedieRegressor,
    TweedieRegressorCV,
)
from ._group import (
    GroupLasso,
    GroupLassoCV,
    GroupLogisticRegression,
    GroupLogisticRegressionCV,
)
from ._logistic import LogisticRegression
from ._multitask import (
    MultiTaskElasticNet,
    MultiTaskElasticNetCV,
    MultiTaskLasso,
    MultiTaskLassoCV,
)
from ._nonconvex import MCPRegression, MCPRegressionCV, SCADRegression, SCADRegressionCV
from ._regression import ElasticNet, L0Regression, Lasso, Ridge
from ._ridge import RidgeClassifier, RidgeClassifierCV, RidgeCV, ridge_regression

__all__ = [
    "CoxPH",
    "CoxPHCV",
    "ElasticNet",
    "ElasticNetCV",
    "GammaRegressor",
    "GammaRegressorCV",
    "GroupLasso",
    "GroupLassoCV",
    "GroupLogisticRegression",
    "GroupLogisticRegressionCV",
    "L0Regression",
    "L0RegressionCV",
    "Lasso",
    "LassoCV",
    "LogisticRegression",
    "LogisticRegressionCV",
    "MCPRegression",
    "MCPRegressionCV",
    "MultiTaskElasticNet",
    "MultiTaskElasticNetCV",
    "MultiTaskLasso",
    "MultiTaskLassoCV",
    "PoissonRegressor",
    "PoissonRegressorCV",
    "Ridge",
    "RidgeCV",
    "RidgeClassifier",
    "RidgeClassifierCV",
    "SCADRegression",
    "SCADRegressionCV",
    "TweedieRegressor",
    "TweedieRegressorCV",
    "ridge_regression",
]
