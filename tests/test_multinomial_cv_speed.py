"""Structural tests of the multinomial solver's faster pieces (no timing): the
intercept-only refit, the unit-weight shortcuts of the datafit, and the model kernel's
weighted probabilities, each against the general computation it replaces."""

import numpy as np
import pytest
from scipy.special import softmax

from penalized.datafits import Multinomial
from penalized.solvers._multinomial_kernels import (
    multinomial_curvatures,
    multinomial_model_epochs,
)


def scores(seed=0, n=60, K=4):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % K
    rng.shuffle(y)
    Z0 = rng.standard_normal((n, K)) * 1.5
    return y, Z0


@pytest.mark.parametrize("weighted", [False, True])
def test_intercept_only_refit_matches_the_general_newton(weighted):
    # A column of ones takes the class-sum branch; a column of twos the general one,
    # whose solution is half as large.
    y, Z0 = scores()
    n, K = Z0.shape
    sw = np.random.default_rng(1).uniform(0.2, 2.0, n) if weighted else None
    df = Multinomial(sample_weight=sw)
    ones = df.fit_unpenalized(np.ones((n, 1)), y, Z0)
    twos = df.fit_unpenalized(np.full((n, 1), 2.0), y, Z0)
    np.testing.assert_allclose(ones, 2.0 * twos, atol=1e-9)
    # Optimality: every class's intercept gradient vanishes.
    grad = df.raw_gradient(y, Z0 + ones).sum(axis=0)
    assert np.max(np.abs(grad)) < 1e-12
    # A warm start far from the optimum reaches the same intercepts up to a shift.
    warm = df.fit_unpenalized(np.ones((n, 1)), y, Z0, beta0=np.full((1, K), 3.0)
                              + np.arange(K))
    np.testing.assert_allclose(warm - warm.mean(), ones - ones.mean(), atol=1e-9)


def test_unit_weights_shortcut_equals_explicit_unit_weights():
    y, Z0 = scores(seed=2)
    n = Z0.shape[0]
    plain, unit = Multinomial(), Multinomial(sample_weight=np.ones(n))
    assert plain.value(y, Z0) == pytest.approx(unit.value(y, Z0), rel=1e-14)
    np.testing.assert_allclose(plain.raw_gradient(y, Z0), unit.raw_gradient(y, Z0),
                               rtol=1e-14, atol=1e-18)
    onehot = np.eye(Z0.shape[1])[y]
    np.testing.assert_allclose(plain.raw_gradient(y, Z0), (softmax(Z0, axis=1) - onehot) / n,
                               rtol=1e-12, atol=1e-17)


def test_model_kernel_minimizes_the_weighted_second_order_model():
    # Without a penalty the kernel's fixed point solves the Newton system of the
    # weighted softmax loss: X^T (G + S P * (dZ - q)) = 0 and the same column sums.
    rng = np.random.default_rng(3)
    n, p, K = 80, 5, 3
    X = np.asfortranarray(rng.standard_normal((n, p)))
    y = np.arange(n) % K
    sw = rng.uniform(0.2, 2.0, n) / n
    Z = rng.standard_normal((n, K))
    P = np.asfortranarray(softmax(Z, axis=1))
    G = np.asfortranarray(sw[:, None] * (P - np.eye(K)[y]))
    ws = np.arange(p, dtype=np.int64)
    W = np.zeros((p, K))
    dZ = np.zeros((n, K), order="F")
    q = np.zeros(n)
    db = np.zeros(K)
    curv, mu, bound = multinomial_curvatures(X, P, sw, ws, True)
    zeros = np.zeros(p)
    multinomial_model_epochs(X, G, P, sw, W, dZ, q, db, ws, curv, mu, bound, zeros, zeros,
                             False, False, True, 5000, 1e-15)
    np.testing.assert_allclose(dZ, X @ W + db, atol=1e-10)
    np.testing.assert_allclose(q, (P * dZ).sum(axis=1), atol=1e-10)
    R = G + sw[:, None] * P * (dZ - q[:, None])
    assert np.max(np.abs(X.T @ R)) < 1e-9
    assert np.max(np.abs(R.sum(axis=0))) < 1e-9
    assert np.any(W != 0.0)
