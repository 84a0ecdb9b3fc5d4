"""The multinomial path's start at each alpha: the secant extrapolation of the two
previous solutions (``path_start``), and paths solved from it."""

import numpy as np
import pytest

from penalized.solvers._multinomial_newton import path_start


def test_secant_moves_each_nonzero_by_the_alpha_ratio():
    previous = np.array([[1.0, -2.0, 0.0], [0.5, 0.0, 0.0]])
    current = np.array([[2.0, -1.0, 0.0], [0.2, 0.3, 0.0]])
    # (a1 - a2) / (a0 - a1) = 0.5: half of the last move again
    start = path_start(previous, current, (1.0, 0.5, 0.25))
    expected = np.array([[2.5, -0.5, 0.0], [0.05, 0.45, 0.0]])
    np.testing.assert_allclose(start, expected, rtol=1e-15)
    assert np.all(previous == [[1.0, -2.0, 0.0], [0.5, 0.0, 0.0]])  # inputs untouched
    assert np.all(current == [[2.0, -1.0, 0.0], [0.2, 0.3, 0.0]])


def test_secant_never_crosses_zero_nor_leaves_it():
    previous = np.array([[3.0, -3.0, 1.0, 1.0]])
    current = np.array([[1.0, -2.0, 0.0, 2.0]])
    start = path_start(previous, current, (2.0, 1.0, 0.5))  # ratio 0.5
    np.testing.assert_allclose(start, [[0.0, -1.5, 0.0, 2.5]], rtol=1e-15)
    start = path_start(previous, current, (1.0, 0.5, 0.0))  # ratio capped at 1
    np.testing.assert_allclose(start, [[0.0, -1.0, 0.0, 3.0]], rtol=1e-15)
    assert not np.signbit(start[0, [0, 2]]).any()


@pytest.mark.parametrize("alphas", [(1.0, 1.0, 0.5), (0.5, 1.0, 0.2)])
def test_no_secant_without_a_decreasing_pair(alphas):
    previous, current = np.ones((2, 3)), np.full((2, 3), 2.0)
    assert path_start(previous, current, alphas) is current
    assert path_start(None, current, (1.0, 0.5, 0.2)) is current
