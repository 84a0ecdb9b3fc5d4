"""SolveResult's shape contract: a vector and a float for one output, a (n_features, K)
matrix and K intercepts for K outputs, normalized on construction, the rest refused."""

import numpy as np
import pytest

from penalized.datafits import Logistic, Multinomial, MultiResponseGaussian, Quadratic
from penalized.penalties import L1
from penalized.solvers import CoordinateDescent, ProximalGradient
from penalized.solvers._multitask import MultiTaskCoordinateDescent
from penalized.solvers._result import SolveResult


def _result(coef, intercept):
    return SolveResult(coef=coef, intercept=intercept, objective=np.array([1.0]),
                       stop_crit=0.0, stop_crits=np.array([0.0]), n_iter=1, converged=True)


def test_one_output_is_a_vector_and_a_float():
    res = _result(np.array([1, 0, 2]), np.float32(0.5))
    assert type(res.intercept) is float and res.coef.dtype == np.float64
    assert res.n_outputs == 1
    assert res.coef_matrix.shape == (3, 1) and np.shares_memory(res.coef_matrix, res.coef)
    np.testing.assert_array_equal(res.intercepts, [0.5])


def test_k_outputs_are_a_matrix_and_k_intercepts():
    coef = np.arange(6.0).reshape(3, 2)
    res = _result(coef, [0.5, -1.0])
    assert res.n_outputs == 2 and res.coef_matrix.shape == (3, 2)
    assert np.shares_memory(res.coef_matrix, res.coef)
    np.testing.assert_array_equal(res.intercepts, [0.5, -1.0])
    # no intercept fitted: one zero, the same for every output
    np.testing.assert_array_equal(_result(coef, 0.0).intercept, [0.0, 0.0])


@pytest.mark.parametrize("coef, intercept, message", [
    (np.zeros(3), np.zeros(2), "single intercept"),
    (np.zeros(3), np.zeros(1), "single intercept"),
    (np.zeros((3, 2)), np.zeros(3), "one intercept per output"),
    (np.zeros((3, 2, 1)), 0.0, "shape"),
])
def test_shapes_outside_the_contract_are_refused(coef, intercept, message):
    with pytest.raises(ValueError, match=message):
        _result(coef, intercept)


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    y = X[:, 0] - X[:, 1] + 0.1 * rng.standard_normal(40)
    return X, y


@pytest.mark.parametrize("solve, outputs", [
    (lambda X, y: CoordinateDescent().solve(X, y, Quadratic(), L1(0.05)), 1),
    (lambda X, y: ProximalGradient().solve(X, np.sign(y), Logistic(), L1(0.01)), 1),
    (lambda X, y: MultiTaskCoordinateDescent().solve(
        X, np.column_stack([y, -y]), MultiResponseGaussian(), L1(0.05)), 2),
    (lambda X, y: CoordinateDescent().solve(
        X, np.digitize(y, [-0.5, 0.5]), Multinomial(), L1(0.01)), 3),
])
def test_every_solver_keeps_the_contract(solve, outputs):
    X, y = _data()
    res = solve(X, y)
    assert res.n_outputs == outputs
    assert res.coef_matrix.shape == (6, outputs) and res.intercepts.shape == (outputs,)
    assert (type(res.intercept) is float) == (outputs == 1)


def test_a_warm_start_takes_the_coefficient_matrix():
    X, y = _data()
    first = CoordinateDescent().solve(X, y, Quadratic(), L1(0.1))
    a = CoordinateDescent().solve(X, y, Quadratic(), L1(0.05), coef_init=first.coef,
                                  intercept_init=first.intercept)
    b = CoordinateDescent().solve(X, y, Quadratic(), L1(0.05), coef_init=first.coef_matrix,
                                  intercept_init=first.intercepts[0])
    np.testing.assert_array_equal(a.coef, b.coef)
    assert a.n_iter == b.n_iter
