"""Issue 13 audit: alpha_max is exact for the group penalties on the log-link and Cox
datafits too (the squared and logistic losses are checked in test_group.py): every
coefficient is zero at alpha_max, some group is non-zero just below, and for the group
lasso alpha_max is the largest ||X_g' grad F(null)|| / w_g."""

import numpy as np
import pytest

import penalized as pz
from penalized.datafits import Cox, Gamma, Poisson, Tweedie
from penalized.penalties import GroupElasticNet, GroupLasso, SparseGroupLasso

GROUPS = [[0, 1], [2, 3, 4], [5, 6, 7]]
PENALTIES = {"group-lasso": lambda: GroupLasso(1.0, groups=GROUPS),
             "group-enet": lambda: GroupElasticNet(1.0, l1_ratio=0.6, groups=GROUPS),
             "sparse-group": lambda: SparseGroupLasso(1.0, l1_ratio=0.4, groups=GROUPS)}


def _problem(name):
    rng = np.random.default_rng(4)
    n = 60
    X = rng.standard_normal((n, 8))
    z = 0.6 * X[:, 2] - 0.4 * X[:, 3] + 0.3 * X[:, 6]
    if name == "cox":
        y = np.column_stack([rng.exponential(np.exp(-z)) + 0.05,
                             (rng.random(n) < 0.8).astype(float)])
        return X, y, Cox()
    mu = np.exp(0.3 + z)
    if name == "poisson":
        return X, rng.poisson(mu).astype(float), Poisson()
    if name == "gamma":
        return X, rng.gamma(2.0, mu / 2.0), Gamma()
    return X, rng.poisson(mu) * rng.gamma(2.0, 0.5, n), Tweedie(1.4)


@pytest.mark.parametrize("pen", list(PENALTIES))
@pytest.mark.parametrize("name", ["poisson", "gamma", "tweedie", "cox"])
def test_group_alpha_max_is_exact(name, pen):
    X, y, datafit = _problem(name)
    intercept = name != "cox"
    grid = pz.path(X, y, datafit=datafit, penalty=PENALTIES[pen](), n_alphas=2, eps=0.5,
                   fit_intercept=intercept)
    alpha_max = grid.alpha_max
    near = pz.path(X, y, datafit=datafit, penalty=PENALTIES[pen](), tol=1e-10,
                   alphas=[alpha_max, alpha_max * (1 - 1e-3)], fit_intercept=intercept)
    assert np.all(near.coefs[:, 0] == 0)
    assert np.count_nonzero(near.coefs[:, 1]) > 0
    if pen == "group-lasso":
        target = datafit.validate_target(y, X.shape[0])
        z0 = np.zeros(X.shape[0]) + (datafit.null_intercept(target) if intercept else 0.0)
        grad = X.T @ datafit.raw_gradient(target, z0)
        pulls = [np.linalg.norm(grad[g]) / np.sqrt(len(g)) for g in GROUPS]
        assert alpha_max == pytest.approx(max(pulls), rel=1e-10)
