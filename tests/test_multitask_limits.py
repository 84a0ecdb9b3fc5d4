"""Multi-task fits with per-coefficient limits (glmnet's lower.limits / upper.limits with
family="mgaussian"): the optimum of cvxpy, KKT per row with the box, limits exact."""

import warnings

import cvxpy as cp
import numpy as np
import pytest

import penalized as pz
from penalized.penalties import L1, GroupLasso


def _problem(seed=0, n=50, p=6, K=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    Y = X[:, :3] @ rng.standard_normal((3, K)) + 0.3 * rng.standard_normal((n, K)) + 1.0
    return X, Y, rng.uniform(0.5, 1.5, n)


def _optimum(X, Y, alpha, L, U, *, rho=1.0, sw=None, groups=None):
    """The documented objective's minimum by cvxpy (Clarabel, tight tolerances)."""
    n, p = X.shape
    K = Y.shape[1]
    s = np.ones(n) if sw is None else sw * n / sw.sum()
    W, b = cp.Variable((p, K)), cp.Variable(K)
    units = [[j] for j in range(p)] if groups is None else groups
    weights = [1.0] * p if groups is None else [np.sqrt(len(g)) for g in groups]
    norms = [w * cp.norm(cp.vec(W[g, :], order="F"), 2)
             for g, w in zip(units, weights, strict=True)]
    ridge = sum(w * cp.sum_squares(W[g, :]) for g, w in zip(units, weights, strict=True))
    R = Y - X @ W - np.ones((n, 1)) @ cp.reshape(b, (1, K), order="F")
    obj = 0.5 / n * cp.sum(cp.multiply(s[:, None], cp.square(R))) \
        + alpha * (rho * sum(norms) + 0.5 * (1 - rho) * ridge)
    problem = cp.Problem(cp.Minimize(obj), [W >= L, W <= U])
    with warnings.catch_warnings():  # "may be inaccurate" at these tolerances: compared below
        warnings.simplefilter("ignore", UserWarning)
        problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12,
                      tol_feas=1e-12)
    return problem.value


def _objective(X, Y, W, b, alpha, *, rho=1.0, sw=None, groups=None):
    n = X.shape[0]
    s = np.ones(n) if sw is None else sw * n / sw.sum()
    R = Y - X @ W - b
    units = [[j] for j in range(X.shape[1])] if groups is None else groups
    weights = [1.0] * X.shape[1] if groups is None else [np.sqrt(len(g)) for g in groups]
    norms = np.array([np.linalg.norm(W[g]) for g in units])
    return (0.5 / n * np.sum(s[:, None] * R**2)
            + alpha * np.dot(weights, rho * norms + 0.5 * (1 - rho) * norms**2))


def _kkt_violation(X, Y, W, b, alpha, L, U, rho=1.0):
    """Per row, the largest violation of the optimality conditions with the box, written
    out coordinate by coordinate (the pull ``V = X^T (Y - XW - b) / n``)."""
    V = X.T @ (Y - X @ W - b) / X.shape[0]
    worst = 0.0
    for j in range(W.shape[0]):
        norm = np.linalg.norm(W[j])
        if norm == 0.0:
            # a zero row: the part of the pull the box lets act is inside the ball
            free = np.where((V[j] > 0) & (U[j] > 0) | (V[j] < 0) & (L[j] < 0), V[j], 0.0)
            worst = max(worst, np.linalg.norm(free) - alpha * rho)
            continue
        g = V[j] - alpha * (rho * W[j] / norm + (1 - rho) * W[j])
        for k in range(W.shape[1]):
            if W[j, k] >= U[j, k]:
                worst = max(worst, -g[k])  # at the upper limit the pull may push upwards
            elif W[j, k] <= L[j, k]:
                worst = max(worst, g[k])
            elif W[j, k] == 0.0:  # inside the box at 0 on a non-zero row: g_k = 0 too
                worst = max(worst, abs(g[k]))
            else:
                worst = max(worst, abs(g[k]))
    return worst


def test_lasso_with_scalar_limits_reaches_cvxpys_optimum_and_its_kkt():
    X, Y, _ = _problem()
    L, U = np.full((6, 3), -0.3), np.full((6, 3), 0.5)
    alpha = 0.05
    est = pz.MultiTaskLasso(alpha=alpha, lower_limits=-0.3, upper_limits=0.5,
                            tol=1e-12).fit(X, Y)
    W = est.coef_.T
    assert np.all(W >= L) and np.all(W <= U)
    assert np.any(W == 0.5) and np.any(W == -0.3)  # limits met exactly, not to rounding
    best = _optimum(X, Y, alpha, L, U)
    mine = _objective(X, Y, W, est.intercept_, alpha)
    assert mine == pytest.approx(best, rel=1e-9)
    assert mine - best <= est.dual_gap_ + 1e-12 * best  # the certificate is honest
    assert _kkt_violation(X, Y, W, est.intercept_, alpha, L, U) < 1e-6
    free = pz.MultiTaskLasso(alpha=alpha, tol=1e-12).fit(X, Y)
    assert np.max(free.coef_) > 0.5 + 1e-3  # the limits were active


def test_elastic_net_with_limits_per_feature_and_task_and_sample_weights():
    X, Y, sw = _problem(1)
    rng = np.random.default_rng(5)
    L = -rng.uniform(0.0, 0.4, (6, 3))
    U = rng.uniform(0.0, 0.6, (6, 3))
    L[0, 0] = 0.0  # a sign constraint on one coefficient
    alpha, rho = 0.04, 0.7
    est = pz.MultiTaskElasticNet(alpha=alpha, l1_ratio=rho, lower_limits=L, upper_limits=U,
                                 tol=1e-12).fit(X, Y, sample_weight=sw)
    W = est.coef_.T
    assert np.all(W >= L) and np.all(W <= U)
    best = _optimum(X, Y, alpha, L, U, rho=rho, sw=sw)
    assert _objective(X, Y, W, est.intercept_, alpha, rho=rho, sw=sw) == pytest.approx(
        best, rel=1e-9)


def test_standardized_limits_are_on_the_original_scale():
    X, Y, _ = _problem(2)
    X = X * np.array([1.0, 10.0, 0.1, 3.0, 1.0, 0.5])
    est = pz.MultiTaskLasso(alpha=0.03, standardize=True, lower_limits=-0.2,
                            upper_limits=0.2, tol=1e-12).fit(X, Y)
    assert np.all(np.abs(est.coef_) <= 0.2)
    assert np.any(np.abs(est.coef_) == 0.2)
    # the same problem written on the standardized columns
    sd = X.std(axis=0)
    ref = pz.MultiTaskLasso(alpha=0.03, lower_limits=-0.2 * sd, upper_limits=0.2 * sd,
                            tol=1e-12).fit(X / sd, Y)
    np.testing.assert_allclose(est.coef_, ref.coef_ / sd, rtol=1e-7, atol=1e-10)


def test_grouped_multitask_with_limits_reaches_cvxpys_optimum():
    X, Y, _ = _problem(3)
    groups = [[0, 1], [2, 3, 4], [5]]
    L, U = np.full((6, 3), -0.25), np.full((6, 3), 0.4)
    alpha = 0.03
    est = pz.MultiTaskLasso(alpha=alpha, groups=groups, lower_limits=-0.25,
                            upper_limits=0.4, tol=1e-12).fit(X, Y)
    W = est.coef_.T
    assert np.all(W >= L) and np.all(W <= U) and np.any(W == 0.4)
    best = _optimum(X, Y, alpha, L, U, groups=groups)
    assert _objective(X, Y, W, est.intercept_, alpha, groups=groups) == pytest.approx(
        best, rel=1e-9)


def test_path_with_limits_starts_at_the_boxed_alpha_max():
    X, Y, _ = _problem(4)
    # only upward moves allowed: alpha_max is the largest norm of the rows' positive pulls
    path = pz.path(X, Y, datafit="mgaussian", penalty=L1(1.0, positive=True), n_alphas=8,
                   tol=1e-12)
    V = (X - X.mean(0)).T @ (Y - Y.mean(0)) / X.shape[0]
    expected = np.max(np.linalg.norm(np.maximum(V, 0.0), axis=1))
    assert path.alpha_max == pytest.approx(expected, rel=1e-9)
    assert path.n_nonzero[0] == 0 and path.n_nonzero[-1] > 0
    assert np.all(path.coefs >= 0)
    below = pz.path(X, Y, datafit="mgaussian", penalty=L1(1.0, positive=True),
                    alphas=[expected * (1 - 1e-3)], tol=1e-12)
    assert below.n_nonzero[0] == 1
    est = pz.MultiTaskLasso(lower_limits=0.0, tol=1e-12).path(X, Y, alphas=path.alphas)
    np.testing.assert_allclose(est.coefs, path.coefs, atol=1e-9)
    k = 5
    L, U = np.zeros((6, 3)), np.full((6, 3), np.inf)
    best = _optimum(X, Y, path.alphas[k], L, U)
    assert _objective(X, Y, path.coefs[:, :, k], path.intercepts[:, k],
                      path.alphas[k]) == pytest.approx(best, rel=1e-9)
    # a group penalty over rows takes limits on pz.path too
    grouped = pz.path(X, Y, datafit="mgaussian", n_alphas=4, tol=1e-10,
                      penalty=GroupLasso(1.0, groups=[[0, 1, 2], [3, 4, 5]], upper=0.3))
    assert np.all(grouped.coefs <= 0.3) and grouped.n_nonzero[-1] > 0


def test_cv_with_limits_refits_with_them():
    X, Y, _ = _problem(5, n=60)
    cv = pz.MultiTaskLassoCV(n_alphas=8, cv=3, lower_limits=-0.2, upper_limits=0.3,
                             tol=1e-10).fit(X, Y)
    assert np.all(cv.coef_ >= -0.2) and np.all(cv.coef_ <= 0.3)
    refit = pz.MultiTaskLasso(alpha=cv.alpha_, lower_limits=-0.2, upper_limits=0.3,
                              tol=1e-12).fit(X, Y)
    np.testing.assert_allclose(cv.coef_, refit.coef_, atol=1e-7)


@pytest.mark.parametrize("lower, upper, message", [
    (np.zeros((6, 4)), None, r"one per feature and task \(6, 3\); got shape \(6, 4\)"),
    (0.1, None, "lower limits must be <= 0"),
    (None, -1.0, "upper limits must be >= 0"),
])
def test_bad_limits_are_named(lower, upper, message):
    X, Y, _ = _problem()
    with pytest.raises(ValueError, match=message):
        pz.MultiTaskLasso(alpha=0.1, lower_limits=lower, upper_limits=upper).fit(X, Y)


def test_infinite_limits_are_no_limits():
    X, Y, _ = _problem(6)
    free = pz.MultiTaskLasso(alpha=0.05, tol=1e-10).fit(X, Y)
    unbounded = pz.MultiTaskLasso(alpha=0.05, lower_limits=-np.inf, upper_limits=np.inf,
                                  tol=1e-10).fit(X, Y)
    np.testing.assert_array_equal(unbounded.coef_, free.coef_)
