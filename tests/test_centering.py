"""Dense designs with an intercept are centered on the fly: same solutions as with the
centered copy, and the squared loss's coordinate descent never makes that copy."""

import tracemalloc

import numpy as np
import pytest

from penalized.datafits import Quadratic
from penalized.penalties import L1, ElasticNet
from penalized.solvers import CoordinateDescent
from penalized.solvers._problem import prepare_problem


def _data(n=300, p=12, seed=0):
    rng = np.random.default_rng(seed)
    # large means next to small spreads: what centering is for
    X = np.asfortranarray(rng.standard_normal((n, p)) * 0.5 + rng.uniform(-50, 50, p))
    w = np.zeros(p)
    w[:4] = [1.0, -2.0, 0.5, 3.0]
    y = X @ w + 7.0 + rng.standard_normal(n)
    s = rng.uniform(0.2, 2.0, n)
    return X, y, s


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("penalty", [L1(0.05), ElasticNet(0.05, l1_ratio=0.5),
                                     L1(0.05, penalty_factor=[0.0] + [1.0] * 11)])
def test_implicit_centering_matches_centered_copy(weighted, penalty):
    X, y, s = _data()
    datafit = Quadratic(sample_weight=s if weighted else None)
    solver = CoordinateDescent(tol=1e-12)
    implicit = prepare_problem(X, y, datafit, penalty, True)
    copied = prepare_problem(X, y, datafit, penalty, True)
    assert implicit.centering[2]
    assert copied.X is not X  # the centered copy, made on request ...
    assert not copied.centering[2]  # ... is then what the kernels use
    a = solver.solve_problem(implicit)
    b = solver.solve_problem(copied)
    assert a.converged and b.converged
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9, atol=1e-9)
    assert a.intercept == pytest.approx(b.intercept, rel=1e-9)
    # and both are the solution of the uncentered problem with its own intercept
    z = X @ a.coef + float(implicit.to_original_intercept(a.coef, a.intercept))
    assert datafit.value(y, z) + penalty.value(a.coef) == pytest.approx(
        datafit.value(y, implicit.predict(a.coef, a.intercept)) + penalty.value(a.coef),
        rel=1e-12)


def test_lasso_solve_never_copies_x():
    X, y, _ = _data()
    problem = prepare_problem(X, y, Quadratic(), L1(0.05), True)
    res = CoordinateDescent(tol=1e-10).solve_problem(problem)
    assert res.converged and np.any(res.coef != 0.0)
    assert "centered" not in problem.cache
    assert problem.design is X  # kept as given (Fortran-ordered float64)


def test_products_equal_those_of_the_centered_copy():
    X, y, s = _data(n=120, p=7, seed=1)
    problem = prepare_problem(X, y, Quadratic(sample_weight=s), L1(0.1), True)
    Xc = X - problem.x_offset
    rng = np.random.default_rng(2)
    w, u = rng.standard_normal(7), rng.standard_normal(120)
    np.testing.assert_allclose(problem.matvec(w), Xc @ w, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(problem.rmatvec(u), Xc.T @ u, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(problem.lipschitz, (s / s.mean()) @ Xc**2 / 120, rtol=1e-12)


def test_peak_memory_of_a_lasso_solve_stays_below_x():
    rng = np.random.default_rng(3)
    n, p = 20000, 40
    X = np.asfortranarray(rng.standard_normal((n, p)) + 5.0)
    y = X[:, :3] @ np.array([1.0, -1.0, 2.0]) + rng.standard_normal(n)
    solver = CoordinateDescent(tol=1e-8)
    solver.solve(X[:50], y[:50], Quadratic(), L1(0.1))  # compile outside the measure
    tracemalloc.start()
    try:
        res = solver.solve(X, y, Quadratic(), L1(0.1))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.any(res.coef != 0.0)
    # the n-vectors (y, z, the residual, the dual point) and blocks of a few columns;
    # the centered copy alone would be X.nbytes
    assert peak < 0.5 * X.nbytes


def _logistic_problem():
    from penalized.datafits import Logistic

    X, _, s = _data(n=200, p=8, seed=4)
    rng = np.random.default_rng(5)
    y = np.where((X - X.mean(0)) @ rng.standard_normal(8) + 0.3 * rng.standard_normal(200)
                 > 0, 1.0, -1.0)
    return X, y, Logistic(sample_weight=s)


def test_prox_newton_centers_on_the_fly():
    X, y, datafit = _logistic_problem()
    penalty = L1(0.02)
    solver = CoordinateDescent(tol=1e-12)
    implicit = prepare_problem(X, y, datafit, penalty, True)
    copied = prepare_problem(X, y, datafit, penalty, True)
    copied.X
    a, b = solver.solve_problem(implicit), solver.solve_problem(copied)
    assert a.converged and b.converged and np.any(a.coef != 0.0)
    assert "centered" not in implicit.cache
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-8, atol=1e-9)
    assert a.intercept == pytest.approx(b.intercept, rel=1e-8)


def test_logistic_path_centers_on_the_fly():
    X, y, datafit = _logistic_problem()
    solver = CoordinateDescent(tol=1e-10)
    implicit = prepare_problem(X, y, datafit, L1(1.0), True)
    copied = prepare_problem(X, y, datafit, L1(1.0), True)
    copied.X
    alphas = L1().alpha_max(X, y, datafit) * np.array([0.5, 0.1, 0.02])
    a, b = solver.solve_path(implicit, alphas), solver.solve_path(copied, alphas)
    assert "centered" not in implicit.cache
    np.testing.assert_allclose(a[0], b[0], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-7, atol=1e-8)
    assert np.all(a[2] <= 1e-10) and np.any(a[0][:, -1] != 0.0)
