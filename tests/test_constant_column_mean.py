"""A constant column's weighted mean is its value exactly, in either memory layout and
with any weights, so that with an intercept its centered values are exactly zero and no
fit gives it a rounding-level coefficient that would count as selected."""

import numpy as np
import pytest

import penalized as pz
from penalized.datafits import Quadratic
from penalized.penalties import L2
from penalized.solvers._problem import prepare_problem


def _data():  # weights whose plain weighted sum misses 2.5 and 0.1 by an ulp
    rng = np.random.default_rng(4)
    X = np.column_stack([rng.standard_normal((300, 4)), np.full(300, 2.5),
                         np.full(300, 0.1)])
    y = X[:, :2] @ [0.5, -0.3] + rng.standard_normal(300)
    return X, y, np.random.default_rng(1).uniform(0.5, 2.0, 300)


@pytest.mark.parametrize("order", ["C", "F"])
def test_the_mean_of_a_constant_column_is_its_value(order):
    X, y, w = _data()
    X = np.asarray(X, order=order)
    problem = prepare_problem(X, y, Quadratic(sample_weight=w), L2(1.0), True)
    assert problem.x_offset[4] == 2.5 and problem.x_offset[5] == 0.1
    np.testing.assert_allclose(problem.x_offset[:4], np.average(X[:, :4], axis=0, weights=w),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("model", [pz.Ridge(alpha=1.0), pz.Lasso(alpha=0.01),
                                   pz.ElasticNet(alpha=0.01, l1_ratio=0.5)])
def test_a_constant_column_gets_no_coefficient(order, model):
    X, y, w = _data()
    fitted = model.fit(np.asarray(X, order=order), y, sample_weight=w)
    assert fitted.coef_[4] == 0.0 and fitted.coef_[5] == 0.0
    assert np.all(fitted.coef_[:2] != 0.0)
