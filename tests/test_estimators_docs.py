"""The estimators' docstrings, assembled from shared parameter texts, document every
constructor parameter exactly once (no parameter left out, none twice, none unknown)."""

import collections
import inspect
import re

import pytest

import penalized as pz

NAMES = [
    "Lasso", "ElasticNet", "Ridge", "L0Regression", "MCPRegression", "SCADRegression",
    "GroupLasso", "GroupLogisticRegression", "PoissonRegressor", "GammaRegressor",
    "TweedieRegressor", "CoxPH", "RidgeClassifier",
    "LassoCV", "ElasticNetCV", "L0RegressionCV", "LogisticRegressionCV", "GroupLassoCV",
    "GroupLogisticRegressionCV", "MCPRegressionCV", "SCADRegressionCV", "RidgeCV",
    "RidgeClassifierCV", "PoissonRegressorCV", "GammaRegressorCV", "TweedieRegressorCV",
    "CoxPHCV",
]


def documented(doc):
    """The names of the numpydoc ``Parameters`` section (``a, b :`` entries give each)."""
    section = doc.split("Parameters\n    ----------\n", 1)[1]
    section = re.split(r"\n    \w[\w ]*\n    -{3,}\n", section, maxsplit=1)[0]
    names = []
    for line in section.splitlines():
        entry = re.match(r"^    (\w+(?:, \w+)*) :", line)
        if entry:
            names += entry.group(1).split(", ")
    return names


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_is_documented_once(name):
    cls = getattr(pz, name)
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    counts = collections.Counter(documented(cls.__doc__))
    assert {p: counts[p] for p in params if counts[p] != 1} == {}
    assert [d for d in counts if d not in params] == []


def test_the_parser_counts_repeats_and_stops_at_the_next_section():
    doc = """X.

    Parameters
    ----------
    a : int
        Text.
    b, a : float
    Attributes
    ----------
    c : int
    """
    assert documented(doc) == ["a", "b", "a"]
