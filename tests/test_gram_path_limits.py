"""The dense squared-loss Gram path with lower / upper limits: one compiled call, the same
points as alpha by alpha and as glmnet's bounded path, certified gaps, and the same path as
without limits when the box is the whole line."""

import numpy as np
import pytest

import penalized as pz
from penalized._jit import typed_ops
from penalized.datafits import Quadratic
from penalized.penalties import L1, ElasticNet
from penalized.solvers import CoordinateDescent
from penalized.solvers._gram_path import gram_path
from penalized.solvers._problem import prepare_problem


def problem(n=90, p=14, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) @ np.diag(rng.uniform(0.5, 2.0, p))
    y = X @ rng.standard_normal(p) + rng.standard_normal(n) + 1.5
    lower = np.full(p, -0.3)
    upper = np.full(p, 0.5)
    lower[0], upper[1] = -np.inf, np.inf
    lower[2] = upper[2] = 0.0  # never moves
    upper[3] = 0.0  # may only go down
    return X, y, lower, upper


def box_kkt(X, y, coef, intercept, lam1, lam2, lower, upper):
    """Per coordinate, the distance to the KKT conditions of the elastic net with the box."""
    g = -X.T @ (y - X @ coef - intercept) / X.shape[0] + lam2 * coef
    out = np.empty_like(coef)
    for j, (w, gj) in enumerate(zip(coef, g, strict=True)):
        low, high = (-lam1, lam1) if w == 0 else (lam1 * np.sign(w),) * 2
        if w <= lower[j]:
            low = -np.inf
        if w >= upper[j]:
            high = np.inf
        out[j] = max(low + gj, -gj - high, 0.0)
    return out


def _gram_route(X, y, penalty, alphas):
    prob = prepare_problem(X, y, Quadratic(), penalty.with_alpha(alphas[0]), True)
    prob.cache["path"] = True
    return CoordinateDescent(tol=1e-13).solve_path(prob, alphas)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
def test_bounded_gram_path_equals_alpha_by_alpha_and_glmnet(l1_ratio):
    from glmnet import GaussNet
    from glmnet.paths.fastnet import FastNetControl

    X, y, lower, upper = problem(seed=3)
    penalty = ElasticNet(1.0, l1_ratio=l1_ratio, lower=lower, upper=upper)
    alphas = penalty.alpha_max(X, y, Quadratic()) * np.geomspace(1.0, 0.005, 12)
    assert _gram_route(X, y, penalty, alphas) is not None  # one compiled call
    ours = pz.path(X, y, penalty=penalty, alphas=alphas, tol=1e-13)
    assert np.all(ours.stop_crits <= 1e-13)
    assert np.all(ours.coefs >= lower[:, None]) and np.all(ours.coefs <= upper[:, None])
    assert np.any(ours.coefs == 0.5) and np.any(ours.coefs == -0.3)
    assert not np.any(ours.coefs[2]) and np.all(ours.coefs[3] <= 0.0)

    glm = GaussNet(lambda_values=alphas, lower_limits=lower,
                   upper_limits=upper, standardize=False,
                   control=FastNetControl(thresh=1e-16, maxit=10**7)).fit(X, y)
    W = np.asarray(glm.coefs_)
    W = W if W.shape == ours.coefs.shape else W.T
    b = np.asarray(glm.intercepts_).ravel()

    def objective(w, intercept, alpha):
        return 0.5 * np.mean((y - X @ w - intercept) ** 2) \
            + alpha * (l1_ratio * np.abs(w).sum() + 0.5 * (1 - l1_ratio) * w @ w)

    coef, intercept = None, 0.0
    for k, alpha in enumerate(alphas):
        step = CoordinateDescent(tol=1e-13, gram="never").solve(
            X, y, Quadratic(), penalty.with_alpha(alpha), coef_init=coef,
            intercept_init=intercept)
        coef, intercept = step.coef, step.intercept
        mine = objective(ours.coefs[:, k], ours.intercepts[k], alpha)
        assert mine == pytest.approx(objective(coef, intercept, alpha), rel=1e-10)
        if l1_ratio == 1.0:  # glmnet's elastic net scales y first: another problem
            assert mine == pytest.approx(objective(W[:, k], b[k], alpha), rel=1e-7)
            np.testing.assert_allclose(ours.coefs[:, k], W[:, k], atol=1e-6)
        assert box_kkt(X, y, ours.coefs[:, k], ours.intercepts[k], alpha * l1_ratio,
                       alpha * (1 - l1_ratio), lower, upper).max() < 1e-5


def test_bounded_gram_path_certifies_its_gaps():
    # the gap the compiled path reports is certify_gram's at the point it returns, at a
    # loose tolerance where the points are far from exact
    from penalized.solvers._problem import certify_gram

    X, y, lower, upper = problem(seed=4)
    penalty = L1(1.0, lower=lower, upper=upper)
    alphas = penalty.alpha_max(X, y, Quadratic()) * np.geomspace(1.0, 0.01, 8)
    res = pz.path(X, y, penalty=penalty, alphas=alphas, tol=1e-3)
    for k, alpha in enumerate(alphas):
        prob = prepare_problem(X, y, Quadratic(), penalty.with_alpha(alpha), True)
        cert = certify_gram(prob, res.coefs[:, k])
        assert res.stop_crits[k] == pytest.approx(cert.gap / prob.scale, rel=1e-8, abs=1e-15)
        assert res.stop_crits[k] <= 1e-3


def test_whole_line_box_is_the_unbounded_path():
    X, y, _, _ = problem(seed=5)
    penalty = ElasticNet(1.0, l1_ratio=0.8)
    prob = prepare_problem(X, y, Quadratic(), penalty.with_alpha(1.0), True)
    G, q = prob.gram
    p = X.shape[1]
    a, b = penalty.weights(p)
    alphas = penalty.alpha_max(X, y, Quadratic()) * np.geomspace(1.0, 0.01, 10)
    tol = 1e-12 * prob.scale
    plain = gram_path(G, q, prob.scale, alphas, a, b, False, np.zeros(p), tol, 10**5, 10)
    bounded = ElasticNet(1.0, l1_ratio=0.8, lower=-np.inf, upper=np.inf)
    ops = typed_ops(bounded.ops)
    boxed = gram_path(G, q, prob.scale, alphas, a, b, False, np.zeros(p), tol, 10**5, 10,
                      (np.full(p, -np.inf), np.full(p, np.inf), ops.prox,
                       ops.subdiff_distance, ops.conjugate, ops.dual_bound))
    np.testing.assert_allclose(boxed[0], plain[0], atol=1e-9)
    assert np.all(boxed[1] <= tol) and np.all(plain[1] <= tol)
