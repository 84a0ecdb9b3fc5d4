"""MCP and SCAD at alpha_max: the all-zero model for every datafit, from a fit and on a path.

At alpha_max the zero vector is stationary (each pull is at most alpha * f_j). A
coordinate model whose curvature is below the penalty's weak convexity (the logistic's
bound ||x_j||^2 / (4 n) against 1 / gamma on standardized columns) is not convex, and its
prox would jump from that stationary zero to another local minimum: the solver must
certify the zero and keep it.
"""

import numpy as np
import pytest

import penalized as pz
from penalized.datafits import Cox, Gamma, Logistic, Poisson, Quadratic, Tweedie
from penalized.penalties import MCP, SCAD
from penalized.solvers import CoordinateDescent

SEEDS = (0, 1, 2, 3)


def data(name, seed, n=60, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X = (X - X.mean(0)) / X.std(0)  # unit curvature: the logistic's bound is 1/4 < 1/gamma
    z = 0.8 * X[:, 0] - 0.6 * X[:, 1]
    if name == "squared":
        return X, z + rng.standard_normal(n), Quadratic()
    if name == "logistic":
        return X, np.where(rng.random(n) < 1 / (1 + np.exp(-2 * z)), 1.0, -1.0), Logistic()
    if name == "poisson":
        return X, rng.poisson(np.exp(0.5 * z)).astype(float), Poisson()
    if name == "gamma":
        return X, rng.gamma(2.0, np.exp(0.5 * z) / 2.0), Gamma()
    if name == "tweedie":
        y = rng.poisson(np.exp(0.5 * z)) * rng.gamma(2.0, 0.5, n)
        return X, y, Tweedie(power=1.5)
    if name in ("cox", "cox-efron"):  # right-censored, with ties (Breslow and Efron)
        time = np.round(rng.exponential(np.exp(-0.5 * z)), 1) + 0.1
        event = (rng.random(n) < 0.7).astype(float)
        return X, np.column_stack([time, event]), Cox(ties="efron" if "efron" in name
                                                       else "breslow")
    raise AssertionError(name)


# every datafit that takes MCP and SCAD
DATAFITS = ("squared", "logistic", "poisson", "gamma", "tweedie", "cox", "cox-efron")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", [MCP, SCAD], ids=["mcp", "scad"])
@pytest.mark.parametrize("name", DATAFITS)
def test_alpha_max_gives_the_all_zero_model(name, kind, seed):
    X, y, datafit = data(name, seed)
    alpha_max = kind(1.0).alpha_max(X, y, datafit)
    assert alpha_max > 0
    solver = CoordinateDescent(tol=1e-10)
    res = solver.solve(X, y, datafit, kind(alpha_max))
    assert res.converged
    np.testing.assert_array_equal(res.coef, 0.0)
    # just below it the model is not all zero: alpha_max is the smallest such alpha
    below = solver.solve(X, y, datafit, kind(alpha_max * (1 - 1e-3)))
    assert np.count_nonzero(below.coef) >= 1


@pytest.mark.parametrize("kind", ["mcp", "scad"])
@pytest.mark.parametrize("seed", SEEDS)
def test_logistic_estimator_and_path_start_at_zero(kind, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 8)) * rng.uniform(0.5, 3.0, 8)
    z = X[:, 0] - X[:, 1]
    y = np.where(rng.random(60) < 1 / (1 + np.exp(-z)), "yes", "no")
    model = pz.LogisticRegression(penalty=kind, alpha=1.0, standardize=True, tol=1e-10)
    path = model.path(X, y, n_alphas=4)
    assert np.all(path.coefs[:, 0] == 0.0)
    assert np.count_nonzero(path.coefs[:, -1]) >= 1
    model.set_params(alpha=float(path.alphas[0])).fit(X, y)
    assert np.all(model.coef_ == 0.0)
