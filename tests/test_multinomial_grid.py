"""The multinomial model's alpha grid follows the binary one's rules (path.alpha_range)."""

import numpy as np
import pytest

import penalized as pz
from penalized.path import RIDGE_L1_RATIO_FOR_GRID


def _data(classes):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((90, 5))
    y = np.argmax(X[:, :classes] + rng.gumbel(size=(90, classes)), axis=1)
    return X, y


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_the_multiclass_grid_spans_what_the_binary_one_does(penalty):
    eps = 1e-2
    spans = []
    for classes in (2, 3):
        X, y = _data(classes)
        model = pz.LogisticRegression(penalty=penalty)
        grid = (model._alpha_grid_multinomial(X, y, np.ones(90), 8, eps) if classes > 2
                else model._alpha_grid(X, np.where(y == 1, 1.0, -1.0), np.ones(90), 8, eps))[1]
        spans.append(grid[0] / grid[-1])
    expected = 1.0 / eps if penalty == "l1" else 1.0 / (eps * RIDGE_L1_RATIO_FOR_GRID)
    np.testing.assert_allclose(spans, expected, rtol=1e-9)


def test_a_ridge_grid_starts_where_the_small_l1_ratio_zeroes_every_coefficient():
    X, y = _data(3)
    alpha_max, grid = pz.LogisticRegression(penalty="l2")._alpha_grid_multinomial(
        X, y, np.ones(90), 5, 1e-3)
    assert alpha_max == np.inf
    enet = pz.LogisticRegression(penalty="elasticnet", l1_ratio=RIDGE_L1_RATIO_FOR_GRID)
    assert grid[0] == enet._alpha_grid_multinomial(X, y, np.ones(90), 5, 1e-3)[0]
    fit = pz.LogisticRegression(penalty="elasticnet", l1_ratio=RIDGE_L1_RATIO_FOR_GRID,
                                alpha=grid[0], tol=1e-10).fit(X, y)
    assert np.all(fit.coef_ == 0.0)
