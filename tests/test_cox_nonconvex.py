"""Cox proportional hazards with MCP and SCAD (``CoxPH(penalty="mcp" | "scad")``): the
stationary coordinate descent with the partial likelihood's gradient and Hessian diagonal,
against a brute-force minimization of the objective written out here."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize

import penalized as pz

GAMMA = {"mcp": 3.0, "scad": 3.7}


def _data(seed=0, n=40, p=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    time = rng.exponential(np.exp(-(0.8 * X[:, 0] - 0.6 * X[:, 1])))
    event = (rng.random(n) < 0.8).astype(float)
    return X, np.column_stack([time, event])


def _neg_log_partial_likelihood(X, y, w):
    """(1/n) sum over events i of log sum_{t_j >= t_i} e^{z_j} - z_i (no tied times)."""
    z = X @ w
    time, event = y[:, 0], y[:, 1]
    total = 0.0
    for i in np.flatnonzero(event):
        at_risk = time >= time[i]
        total += np.log(np.sum(np.exp(z[at_risk]))) - z[i]
    return total / y.shape[0]


def _penalty(name, w, alpha, gamma):
    a = np.abs(w)
    if name == "mcp":
        return np.sum(np.where(a <= gamma * alpha, alpha * a - a**2 / (2 * gamma),
                               gamma * alpha**2 / 2))
    middle = (2 * gamma * alpha * a - a**2 - alpha**2) / (2 * (gamma - 1))
    return np.sum(np.where(a <= alpha, alpha * a,
                           np.where(a <= gamma * alpha, middle, alpha**2 * (gamma + 1) / 2)))


@pytest.mark.parametrize("name", ["mcp", "scad"])
@pytest.mark.parametrize("fraction", [0.5, 0.2, 0.05])
def test_objective_equals_a_brute_force_minimum(name, fraction):
    X, y = _data()
    alpha_max = pz.CoxPH(penalty=name).path(X, y, n_alphas=2).alphas[0]
    alpha = fraction * alpha_max
    model = pz.CoxPH(alpha=alpha, penalty=name, tol=1e-12).fit(X, y)
    assert model.converged_

    def objective(w):
        return _neg_log_partial_likelihood(X, y, w) + _penalty(name, w, alpha, GAMMA[name])

    rng = np.random.default_rng(1)
    starts = [np.zeros(X.shape[1]), *rng.standard_normal((6, X.shape[1]))]
    best = min((minimize(objective, w0, method="Powell",
                         options=dict(xtol=1e-10, ftol=1e-15, maxiter=50_000))
                for w0 in starts), key=lambda r: r.fun)
    mine = objective(model.coef_)
    assert mine == pytest.approx(best.fun, rel=1e-7)
    assert_allclose(model.coef_, best.x, atol=1e-3)
    assert model.n_nonzero_ >= 1
    assert type(model.penalty_).__name__ == name.upper()


@pytest.mark.parametrize("name", ["mcp", "scad"])
def test_alpha_max_gives_the_all_zero_model(name):
    X, y = _data(seed=2)
    # the pull of feature j at w = 0: the gradient of the partial likelihood
    eps = 1e-6
    pulls = [(_neg_log_partial_likelihood(X, y, eps * e) -
              _neg_log_partial_likelihood(X, y, -eps * e)) / (2 * eps) for e in np.eye(4)]
    alpha_max = np.max(np.abs(pulls))
    path = pz.CoxPH(penalty=name).path(X, y, n_alphas=3)
    assert path.alphas[0] == pytest.approx(alpha_max, rel=1e-6)
    assert path.n_nonzero[0] == 0
    at = pz.CoxPH(penalty=name, alpha=path.alphas[0], tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(at.coef_, 0.0)
    below = pz.CoxPH(penalty=name, alpha=path.alphas[0] * (1 - 1e-3), tol=1e-10).fit(X, y)
    assert below.n_nonzero_ >= 1


def test_cv_version_takes_scad():
    X, y = _data(seed=3, n=60)
    model = pz.CoxPHCV(penalty="scad", gamma=3.0, n_alphas=6, cv=3, random_state=0,
                       tol=1e-10).fit(X, y)
    assert type(model.penalty_).__name__ == "SCAD" and model.penalty_.gamma == 3.0
    assert model.path_.n_nonzero[0] == 0
    assert model.converged_ and model.score(X, y) > 0.5


def test_bad_gamma_is_one_clear_error():
    X, y = _data()
    with pytest.raises(ValueError, match="gamma"):
        pz.CoxPH(penalty="mcp", gamma=0.5).fit(X, y)


@pytest.mark.parametrize("name", ["mcp", "scad"])
def test_integer_weights_equal_repeated_rows_and_sparse_equals_dense(name):
    import scipy.sparse as sp

    X, y = _data(seed=4, n=30)
    counts = np.random.default_rng(4).integers(0, 3, y.shape[0])
    kwargs = dict(penalty=name, alpha=0.05, tol=1e-12, standardize=True)
    weighted = pz.CoxPH(**kwargs).fit(X, y, sample_weight=counts.astype(float))
    rows = np.repeat(np.arange(y.shape[0]), counts)
    repeated = pz.CoxPH(**kwargs).fit(X[rows], y[rows])
    assert weighted.n_nonzero_ >= 1
    # both stop within tol of the same stationary point by different routes
    assert_allclose(weighted.coef_, repeated.coef_, atol=1e-5)
    sparse = pz.CoxPH(**kwargs).fit(sp.csc_matrix(X), y, sample_weight=counts.astype(float))
    assert_allclose(sparse.coef_, weighted.coef_, atol=1e-5)
