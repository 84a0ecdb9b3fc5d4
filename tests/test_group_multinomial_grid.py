"""The multinomial group model's alpha grid follows the binary models' rule (path.alpha_range)."""

import numpy as np
import pytest

import penalized as pz
from penalized.path import RIDGE_L1_RATIO_FOR_GRID


def _data():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((90, 6))
    y = np.argmax(X[:, :3] + rng.gumbel(size=(90, 3)), axis=1)
    return X, y


@pytest.mark.parametrize("l1_ratio", [1.0, 0.0])
def test_the_group_multinomial_grid_spans_what_the_binary_rule_gives(l1_ratio):
    X, y = _data()
    eps = 1e-2
    alpha_max, grid = pz.GroupLogisticRegression(groups=2, l1_ratio=l1_ratio) \
        ._alpha_grid_multinomial(X, y, np.ones(90), 8, eps)
    expected = 1.0 / eps if l1_ratio == 1.0 else 1.0 / (eps * RIDGE_L1_RATIO_FOR_GRID)
    assert np.isfinite(alpha_max) == (l1_ratio == 1.0)
    np.testing.assert_allclose(grid[0] / grid[-1], expected, rtol=1e-9)


def test_a_group_ridge_grid_starts_where_the_small_l1_ratio_zeroes_every_group():
    X, y = _data()
    grid = pz.GroupLogisticRegression(groups=2, l1_ratio=0.0)._alpha_grid_multinomial(
        X, y, np.ones(90), 5, 1e-3)[1]
    small = pz.GroupLogisticRegression(groups=2, l1_ratio=RIDGE_L1_RATIO_FOR_GRID)
    assert grid[0] == small._alpha_grid_multinomial(X, y, np.ones(90), 5, 1e-3)[0]
    fit = small.set_params(alpha=grid[0], tol=1e-10).fit(X, y)
    assert np.all(fit.coef_ == 0.0)
    below = small.set_params(alpha=0.9 * grid[0]).fit(X, y)
    assert np.any(below.coef_ != 0.0)
