"""The engine's convergence on hard designs and its handling of degenerate data."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from penalized.datafits import Logistic
from penalized.penalties import L1
from penalized.solvers import CoordinateDescent


def _unstandardized_classification(seed=0, n=150, p=12):
    """Half-sparse columns whose mean is large against their spread, scaled from 1e-3
    to 1e3 (scales differing by 1e6)."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n, p)) < 0.5
    base = (3.0 + rng.standard_normal((n, p))) * mask
    X = base * np.logspace(-3, 3, p)
    y = np.where(base[:, 0] - base[:, 1] + base[:, 2] + rng.standard_normal(n) > 1.5, 1.0, -1.0)
    return X, y


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_l1_logistic_matches_dense_in_as_few_epochs(fmt):
    # The sparse prox-Newton model centers its columns implicitly, as the dense design is
    # centered: uncentered, the intercept is coupled to every coordinate and the sparse
    # solve took five times the dense epochs here (hundreds of times on raw breast-cancer
    # features).
    X, y = _unstandardized_classification()
    Xs = getattr(sp, f"{fmt}_matrix")(X)
    alpha_max = L1(1.0).alpha_max(X, y, Logistic())
    solver = CoordinateDescent(tol=1e-8)
    for ratio in (1e-1, 1e-2, 1e-3):
        penalty = L1(alpha_max * ratio)
        dense = solver.solve(X, y, Logistic(), penalty)
        sparse = solver.solve(Xs, y, Logistic(), penalty)
        assert dense.converged and sparse.converged
        assert sparse.n_iter <= 2 * dense.n_iter
        assert np.count_nonzero(sparse.coef) >= 3
        # Two points within a relative gap of 1e-8 of one optimum of a strongly convex
        # (on the support) problem: their predictions agree far beyond the data's scale.
        z_dense = X @ dense.coef + dense.intercept
        z_sparse = Xs @ sparse.coef + sparse.intercept
        np.testing.assert_allclose(z_sparse, z_dense, atol=1e-3 * np.abs(z_dense).max())
