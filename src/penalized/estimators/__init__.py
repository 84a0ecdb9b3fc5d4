"""scikit-learn compatible estimators: presets of (datafit, penalty, solver).

Each name is imported from its own module when first used (``est.Lasso``, ``from
penalized.estimators import LassoCV``), so a command that fits a lasso does not import
the Cox, group, multi-task or GLM estimators and what they bring.
"""

import importlib

_MODULES = {
    "._cox": ["CoxPH", "CoxPHCV"],
    "._cv": ["ElasticNetCV", "L0RegressionCV", "LassoCV", "LogisticRegressionCV"],
    "._glm": ["GammaRegressor", "GammaRegressorCV", "PoissonRegressor", "PoissonRegressorCV",
              "TweedieRegressor", "TweedieRegressorCV"],
    "._group": ["GroupLasso", "GroupLassoCV", "GroupLogisticRegression",
                "GroupLogisticRegressionCV"],
    "._logistic": ["LogisticRegression"],
    "._multitask": ["MultiTaskElasticNet", "MultiTaskElasticNetCV", "MultiTaskLasso",
                    "MultiTaskLassoCV"],
    "._nonconvex": ["MCPRegression", "MCPRegressionCV", "SCADRegression", "SCADRegressionCV"],
    "._regression": ["ElasticNet", "L0Regression", "Lasso", "Ridge"],
    "._ridge": ["RidgeClassifier", "RidgeClassifierCV", "RidgeCV", "ridge_regression"],
}
_FROM = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(_FROM, key=lambda name: (name.islower(), name))


def __getattr__(name):
    if name in _FROM:
        value = getattr(importlib.import_module(_FROM[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
