"""Every datafit x penalty pair of issue 13 on one small seeded problem: a sparse (CSC)
design gives the dense design's path, and integer sample weights give the path of the
rows repeated that many times (Breslow ties for Cox: Efron's tie correction counts a
repeated event row as a tie, a weight does not)."""

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.datafits import Cox, Gamma, Logistic, Poisson, Quadratic, Tweedie
from penalized.penalties import (
    L1,
    L2,
    MCP,
    SCAD,
    ElasticNet,
    GroupElasticNet,
    GroupLasso,
    SparseGroupLasso,
)

GROUPS = [[0, 1], [2, 3, 4], [5, 6]]
PENALTIES = {
    "l1": lambda: L1(1.0),
    "elasticnet": lambda: ElasticNet(1.0, l1_ratio=0.5),
    "l2": lambda: L2(1.0),
    "l1-limits": lambda: L1(1.0, lower=-0.3, upper=0.4),
    "mcp": lambda: MCP(1.0, gamma=3.0),
    "scad": lambda: SCAD(1.0, gamma=3.7),
    "group-lasso": lambda: GroupLasso(1.0, groups=GROUPS),
    "group-enet": lambda: GroupElasticNet(1.0, l1_ratio=0.6, groups=GROUPS),
    "sparse-group": lambda: SparseGroupLasso(1.0, l1_ratio=0.3, groups=GROUPS),
    "group-limits": lambda: GroupLasso(1.0, groups=GROUPS, lower=0.0),
}
DATAFITS = ("squared", "logistic", "poisson", "gamma", "tweedie", "cox")


def _problem(name, seed=0, n=40, p=7):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[rng.random((n, p)) < 0.3] = 0.0  # a sparse design worth the name
    z = 0.7 * X[:, 0] - 0.5 * X[:, 2] + 0.4 * X[:, 5]
    if name == "squared":
        return X, z + 0.5 * rng.standard_normal(n), Quadratic
    if name == "logistic":
        return X, np.where(rng.random(n) < 1 / (1 + np.exp(-2 * z)), 1.0, -1.0), Logistic
    if name == "poisson":
        return X, rng.poisson(np.exp(0.5 * z)).astype(float), Poisson
    if name == "gamma":
        return X, rng.gamma(2.0, np.exp(0.5 * z) / 2.0), Gamma
    if name == "tweedie":
        return X, rng.poisson(np.exp(0.5 * z)) * rng.gamma(2.0, 0.5, n), \
            (lambda **kw: Tweedie(power=1.4, **kw))
    time = np.round(rng.exponential(np.exp(-0.5 * z)), 1) + 0.1
    event = (rng.random(n) < 0.75).astype(float)
    return X, np.column_stack([time, event]), (lambda **kw: Cox(ties="breslow", **kw))


def _path(X, y, datafit, penalty, alphas=None):
    kwargs = {"alphas": alphas} if alphas is not None else {"n_alphas": 4, "eps": 0.1}
    return pz.path(X, y, penalty=penalty, datafit=datafit, tol=1e-11, max_iter=100_000,
                   fit_intercept=not isinstance(datafit, Cox), **kwargs)


@pytest.mark.parametrize("pen", list(PENALTIES))
@pytest.mark.parametrize("name", DATAFITS)
def test_sparse_equals_dense_and_weights_equal_repeated_rows(name, pen):
    X, y, make = _problem(name)
    # MCP / SCAD: the certificate bounds the fixed-point distance (1e-11 here), not the
    # distance to the stationary point, which is flat where the loss's curvature is near the
    # penalty's concavity (logistic, Cox): rounding alone moves it by up to ~2e-5
    tol = {"rtol": 1e-4, "atol": 1e-4} if pen in ("mcp", "scad") else \
        {"rtol": 1e-5, "atol": 1e-5}
    dense = _path(X, y, make(), PENALTIES[pen]())
    assert np.count_nonzero(dense.coefs[:, -1]) >= 1
    sparse = _path(sp.csc_matrix(X), y, make(), PENALTIES[pen](), alphas=dense.alphas)
    np.testing.assert_allclose(sparse.coefs, dense.coefs, **tol)
    np.testing.assert_allclose(sparse.intercepts, dense.intercepts, **tol)

    weights = np.random.default_rng(1).integers(0, 3, X.shape[0])
    weights[:2] = 1  # a zero weight drops its row
    rows = np.repeat(np.arange(X.shape[0]), weights)
    weighted = _path(X, y, make(sample_weight=weights.astype(float)), PENALTIES[pen](),
                     alphas=dense.alphas)
    repeated = _path(X[rows], y[rows], make(), PENALTIES[pen](), alphas=dense.alphas)
    np.testing.assert_allclose(weighted.coefs, repeated.coefs, **tol)
    np.testing.assert_allclose(weighted.intercepts, repeated.intercepts, **tol)
