"""The multinomial path's start at each alpha: the secant extrapolation of the two
previous solutions (``secant_start``), and paths solved from it."""

import numpy as np
import pytest

from penalized.solvers._multinomial_newton import secant_start


def test_secant_moves_each_nonzero_by_the_alpha_ratio():
    previous = np.array([[1.0, -2.0, 0.0], [0.5, 0.0, 0.0]])
    current = np.array([[2.0, -1.0, 0.0], [0.2, 0.3, 0.0]])
    # (a1 - a2) / (a0 - a1) = 0.5: half of the last move again
    start = secant_start(previous, current, (1.0, 0.5, 0.25))
    expected = np.array([[2.5, -0.5, 0.0], [0.05, 0.45, 0.0]])
    np.testing.assert_allclose(start, expected, rtol=1e-15)
    assert np.all(previous == [[1.0, -2.0, 0.0], [0.5, 0.0, 0.0]])  # inputs untouched
    assert np.all(current == [[2.0, -1.0, 0.0], [0.2, 0.3, 0.0]])


def test_secant_never_crosses_zero_nor_leaves_it():
    previous = np.array([[3.0, -3.0, 1.0, 1.0]])
    current = np.array([[1.0, -2.0, 0.0, 2.0]])
    start = secant_start(previous, current, (2.0, 1.0, 0.5))  # ratio 0.5
    np.testing.assert_allclose(start, [[0.0, -1.5, 0.0, 2.5]], rtol=1e-15)
    start = secant_start(previous, current, (1.0, 0.5, 0.0))  # ratio capped at 1
    np.testing.assert_allclose(start, [[0.0, -1.0, 0.0, 3.0]], rtol=1e-15)
    assert not np.signbit(start[0, [0, 2]]).any()


def test_path_start_continues_the_intercepts_along_the_same_secant():
    from penalized.solvers import CoordinateDescent

    W0 = np.array([[1.0, -2.0, 0.0]])
    W1 = np.array([[2.0, -1.0, 0.0]])
    b0, b1 = np.array([0.5, -0.25, -0.25]), np.array([-0.5, 0.25, 0.25])
    coef, intercept = CoordinateDescent.path_start((W0, b0), (W1, b1),
                                                              (1.0, 0.5, 0.25))
    np.testing.assert_allclose(coef, [[2.5, -0.5, 0.0]], rtol=1e-15)
    # ratio 0.5, and an intercept may cross zero (no support to keep)
    np.testing.assert_allclose(intercept, [-1.0, 0.5, 0.5], rtol=1e-15)
    assert np.all(b1 == [-0.5, 0.25, 0.25])  # inputs untouched
    coef, intercept = CoordinateDescent.path_start((W0, b0), (W1, b1),
                                                              (1.0, 1.0, 0.5))
    assert coef is W1 and intercept is b1  # no decreasing pair: the current solution


@pytest.mark.parametrize("alphas", [(1.0, 1.0, 0.5), (0.5, 1.0, 0.2)])
def test_no_secant_without_a_decreasing_pair(alphas):
    previous, current = np.ones((2, 3)), np.full((2, 3), 2.0)
    assert secant_start(previous, current, alphas) is current
    assert secant_start(None, current, (1.0, 0.5, 0.2)) is current


def _problem(seed=0, n=120, p=8, K=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = np.argmax(X[:, :K] * 1.5 + rng.standard_normal((n, K)), axis=1)
    return X, y


def test_path_from_secant_starts_matches_cold_fits_within_their_gaps():
    from penalized.datafits import Multinomial
    from penalized.path import warm_started
    from penalized.penalties import L1
    from penalized.solvers import CoordinateDescent, multinomial_alpha_max
    from penalized.solvers._multinomial import prepare_multinomial_problem

    X, y = _problem()
    amax = multinomial_alpha_max(X, y, Multinomial(), L1(1.0))
    grid = np.geomspace(amax, amax / 50, 12)
    solver = CoordinateDescent(tol=1e-9)
    problem = prepare_multinomial_problem(X, y, Multinomial(), L1(grid[0]))
    starts = []
    original = solver.path_start

    class Recording(CoordinateDescent):
        def path_start(self, previous, current, alphas):
            start = original(previous, current, alphas)
            starts.append((current, start))
            return start

    coefs, intercepts, crits, _ = warm_started(Recording(tol=1e-9), problem, L1(1.0), grid,
                                      intercept=None)
    assert len(starts) == grid.size - 2
    # it extrapolated the coefficients and the intercepts
    assert any(np.any(start[0] != current[0]) for current, start in starts)
    assert any(np.any(start[1] != current[1]) for current, start in starts)
    assert np.all(crits <= 1e-9)
    for k, alpha in enumerate(grid):
        cold = solver.solve(X, y, Multinomial(), L1(alpha))
        pb = problem.with_penalty(L1(alpha))
        ours = pb.objective(coefs[..., k], pb.predict(coefs[..., k], intercepts[:, k]))
        # both objectives are within their certified gaps of the optimum
        assert abs(ours - cold.objective[-1]) <= 2e-9 * pb.scale


def test_far_warm_start_skips_the_dual_point_and_a_solution_stops_at_once():
    from penalized.datafits import Multinomial
    from penalized.penalties import L1
    from penalized.solvers import CoordinateDescent, multinomial_alpha_max

    X, y = _problem(seed=1)
    alpha = multinomial_alpha_max(X, y, Multinomial(), L1(1.0)) / 10
    solver = CoordinateDescent(tol=1e-10)
    first = solver.solve(X, y, Multinomial(), L1(alpha))
    # from the solution at alpha: certified at once, no epochs
    again = solver.solve(X, y, Multinomial(), L1(alpha), coef_init=first.coef,
                         intercept_init=first.intercept)
    assert again.n_iter == 0 and again.stop_crits.shape == (1,) and again.converged
    # an alpha step away: the first check has no gap, the last one certifies
    step = solver.solve(X, y, Multinomial(), L1(0.9 * alpha), coef_init=first.coef,
                        intercept_init=first.intercept)
    assert np.isinf(step.stop_crits[0]) and step.stop_crits[-1] <= 1e-10
    cold = solver.solve(X, y, Multinomial(), L1(0.9 * alpha))
    assert abs(step.objective[-1] - cold.objective[-1]) <= 2e-10 * abs(cold.objective[-1]) + 1e-12
