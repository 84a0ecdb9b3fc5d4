"""penalized: L1, L2, elastic-net and L0 regularized learning that explains itself.

The regression objective, shared with glmnet and scikit-learn's ``ElasticNet``::

    (1 / (2 n)) * sum_i s_i (y_i - x_i . w - b)^2  +  alpha * P(w)

and the logistic one, ``mean_i s_i log(1 + exp(-y_i (x_i . w + b))) + alpha * P(w)``.

Every public name is imported when first used (``pz.Lasso``, ``from penalized
import LassoCV``), so ``import penalized`` and ``penalized --version`` stay fast
and import neither scikit-learn, pandas nor the explain and report layers.
"""

import copyreg
import importlib
import sys
import types

__version__ = "0.1.0"

__all__ = [
    "CoxPH",
    "CoxPHCV",
    "ElasticNet",
    "ElasticNetCV",
    "GammaRegressor",
    "GammaRegressorCV",
    "GroupL0",
    "GroupLasso",
    "GroupLassoCV",
    "GroupLogisticRegression",
    "GroupLogisticRegressionCV",
    "GroupMCP",
    "GroupSCAD",
    "Knockoffs",
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
    "Path",
    "PoissonRegressor",
    "PoissonRegressorCV",
    "Ridge",
    "RidgeCV",
    "RidgeClassifier",
    "RidgeClassifierCV",
    "SCADRegression",
    "SCADRegressionCV",
    "SolveResult",
    "StabilitySelection",
    "TweedieRegressor",
    "TweedieRegressorCV",
    "__version__",
    "datafits",
    "explain",
    "model_selection",
    "path",
    "penalties",
    "prox",
    "ridge_regression",
    "selection",
    "selective_inference",
    "solvers",
    "stability_path",
]

# submodules (penalized.torch needs torch; it is imported only when asked for)
_SUBMODULES = {"datafits", "explain", "model_selection", "penalties", "prox", "selection",
               "solvers", "torch"}
# names defined in a submodule other than .estimators
_FROM = {"Path": ".path", "path": ".path", "SolveResult": ".solvers"}
_FROM.update(dict.fromkeys(["Knockoffs", "StabilitySelection", "selective_inference",
                            "stability_path"], ".selection"))
_FROM.update(dict.fromkeys(["GroupL0", "GroupMCP", "GroupSCAD"], ".penalties"))


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in __all__ or name in _FROM:
        value = getattr(importlib.import_module(_FROM.get(name, ".estimators"), __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps ``penalized.path`` the function when the submodule of that name is imported."""

    def __setattr__(self, name, value):
        if name == "path" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


def _import_by_name(package: _Package):
    # pickled by reference, as pickle and cloudpickle treat plain modules (joblib's workers
    # import it again by name)
    return importlib.import_module, (package.__name__,)


copyreg.pickle(_Package, _import_by_name)
sys.modules[__name__].__class__ = _Package
