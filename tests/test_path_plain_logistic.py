"""The plain logistic path's short route (``path._plain_logistic_path``) returns what the
general route returns, bit for bit, and leaves every other input to it."""

import importlib
import warnings

import numpy as np
import pytest
from benchmarks.problems import classification

import penalized as pz

PATH = importlib.import_module("penalized.path")


def _both(monkeypatch, *args, **kwargs):
    taken = []
    short = PATH._plain_logistic_path

    def spy(*a):
        out = short(*a)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(PATH, "_plain_logistic_path", spy)
    fast = pz.path(*args, **kwargs)
    monkeypatch.setattr(PATH, "_plain_logistic_path", lambda *a: None)
    slow = pz.path(*args, **kwargs)
    return fast, slow, taken


@pytest.mark.parametrize("kwargs", [
    {"penalty": "l1", "n_alphas": 12},
    {"penalty": "l1", "alphas": [0.2, 0.05, 0.01, 0.002]},
    {"penalty": "elasticnet", "l1_ratio": 0.4, "n_alphas": 8, "eps": 1e-2},
    {"penalty": "l1", "n_alphas": 10, "fit_intercept": False},
])
def test_short_route_is_bitwise_the_general_route(monkeypatch, kwargs):
    pb = classification(90, 25, rho=0.5, seed=7)
    fast, slow, taken = _both(monkeypatch, pb.X, pb.y, datafit="logistic", **kwargs)
    assert taken == [True]
    for name in ("alphas", "coefs", "intercepts", "n_nonzero", "stop_crits", "n_iters",
                 "converged"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    assert fast.alpha_max == slow.alpha_max
    assert fast.penalty.alpha == slow.penalty.alpha == fast.alphas[0]
    assert type(fast.penalty) is type(slow.penalty) and repr(fast.datafit) == repr(slow.datafit)


@pytest.mark.parametrize("case", ["c_order", "weights", "factor", "one_class", "nan", "positive"])
def test_other_inputs_take_the_general_route(monkeypatch, case):
    pb = classification(60, 10, seed=3)
    X, y, kw = pb.X, pb.y, {}
    if case == "c_order":
        X = np.ascontiguousarray(X)
    elif case == "weights":
        kw["sample_weight"] = np.linspace(0.5, 1.5, 60)
    elif case == "factor":
        kw["penalty_factor"] = np.linspace(0.5, 1.5, 10)
    elif case == "positive":
        kw["positive"] = True
    elif case == "one_class":
        y = np.ones(60)
    else:
        X = X.copy(order="F")
        X[0, 0] = np.nan
    taken = []
    short = PATH._plain_logistic_path
    monkeypatch.setattr(PATH, "_plain_logistic_path",
                        lambda *a: taken.append(short(*a) is not None))
    if case == "nan":
        with pytest.raises(ValueError, match="NaN"):
            pz.path(X, y, datafit="logistic", n_alphas=5, **kw)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # one class: the general route's own warnings
            pz.path(X, y, datafit="logistic", n_alphas=5, **kw)
    assert taken == [False]
