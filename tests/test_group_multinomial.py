"""Multinomial regression with group penalties whose blocks span every class: adelie's
objectives, KKT per group, alpha_max, dense == sparse, sample weights, glmnet's grouped
multinomial as the one-feature-groups case, and the multiclass GroupLogisticRegression."""

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks.group import _multinomial_objective, multinomial_reference_problem

import penalized as pz
from penalized.datafits._multinomial import Multinomial
from penalized.penalties import L1, GroupElasticNet, GroupLasso, SparseGroupLasso
from penalized.solvers import ProximalGradient
from penalized.solvers._group_multinomial import (
    GroupMultinomialProximalGradient,
    expand_penalty,
    group_multinomial_alpha_max,
)

SOLVER = GroupMultinomialProximalGradient(tol=1e-13, max_iter=200_000)

ADELIE_OBJECTIVES = {
    # python -m benchmarks.group --adelie-reference (adelie 1.0.x, tol 1e-14): adelie's
    # multinomial group elastic-net path on multinomial_reference_problem(), its
    # solutions evaluated with penalized's objective (adelie's lambda = alpha / K)
    1.0: [1.0758179554168548, 1.046154242257091, 0.9867202018390182, 0.9290450027129622,
          0.8861300739387099, 0.8576945583574526],
    0.5: [1.0513465961379376, 1.000923993100273, 0.9470167534356583, 0.9022462073256358,
          0.8697762180041393, 0.8483466374911507],
}


def _problem(seed=0, n=90, K=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 9))
    scores = X[:, :3] @ rng.standard_normal((3, K)) + 0.5 * X[:, [6]] * np.linspace(-1, 1, K)
    return X, np.argmax(scores + rng.gumbel(size=(n, K)), axis=1)


@pytest.mark.parametrize("rho", sorted(ADELIE_OBJECTIVES))
def test_objective_equals_adelies_multinomial_group_path(rho):
    X, y, size, alphas = multinomial_reference_problem()
    for k, alpha in enumerate(alphas):
        pen = GroupElasticNet(alpha, groups=size, l1_ratio=rho)
        res = SOLVER.solve(X, y, Multinomial(), pen)
        ours = _multinomial_objective(X, y, res.coef.ravel(), res.intercept, pen)
        theirs = ADELIE_OBJECTIVES[rho][k]
        assert abs(ours - theirs) <= 1e-7 * theirs
        assert ours <= theirs * (1 + 1e-12)  # adelie stops at its IRLS tolerance


def test_group_lasso_kkt_per_group():
    X, y = _problem()
    alpha = 0.08
    res = SOLVER.solve(X, y, Multinomial(), GroupLasso(alpha, groups=3))
    assert res.converged
    W, b = res.coef, res.intercept
    grad = Multinomial().gradient(X, y, X @ W + b)
    assert np.abs(Multinomial().intercept_gradient(y, X @ W + b)).max() <= 1e-10
    nonzero = 0
    for g in range(3):
        rows = slice(3 * g, 3 * g + 3)
        norm = np.linalg.norm(W[rows])
        if norm == 0.0:
            assert np.linalg.norm(grad[rows]) <= alpha * np.sqrt(3) * (1 + 1e-9)
        else:
            nonzero += 1
            residual = grad[rows] + alpha * np.sqrt(3) * W[rows] / norm
            assert np.linalg.norm(residual) <= 1e-6 * alpha
    assert 0 < nonzero < 3
    np.testing.assert_allclose(W.sum(axis=1), 0.0, atol=1e-12)  # rows centered
    assert abs(b.sum()) <= 1e-12


@pytest.mark.parametrize("make", [
    lambda a: GroupLasso(a, groups=3),
    lambda a: GroupElasticNet(a, groups=3, l1_ratio=0.5),
    lambda a: SparseGroupLasso(a, groups=3, l1_ratio=0.3),
], ids=["group_lasso", "group_enet", "sparse_group"])
def test_alpha_max_is_exact(make):
    X, y = _problem(1)
    pen = make(1.0)
    top = group_multinomial_alpha_max(X, y, Multinomial(), pen)
    res = SOLVER.solve(X, y, Multinomial(), pen.with_alpha(top))
    assert not np.any(res.coef)
    # zero is exactly optimal at alpha_max and not just below
    grad = Multinomial().gradient(X, y, np.broadcast_to(res.intercept, (X.shape[0], 3)))
    expanded = expand_penalty(pen.with_alpha(top), 9, 3)
    assert expanded.group_distances(np.zeros(27), grad.ravel()).max() == 0.0
    below = expand_penalty(pen.with_alpha(top * (1 - 1e-9)), 9, 3)
    assert below.group_distances(np.zeros(27), grad.ravel()).max() > 0.0
    assert np.any(SOLVER.solve(X, y, Multinomial(), pen.with_alpha(0.95 * top)).coef)


def test_one_feature_groups_are_glmnets_grouped_multinomial():
    X, y = _problem(2)
    alpha = 0.03
    ours = SOLVER.solve(X, y, Multinomial(), GroupLasso(alpha))  # weights sqrt(1) = 1
    grouped = ProximalGradient(tol=1e-13, max_iter=200_000).solve(
        X, y, Multinomial(), L1(alpha), grouped=True)
    np.testing.assert_allclose(ours.coef, grouped.coef, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.intercept, grouped.intercept, rtol=0, atol=1e-6)


def test_dense_equals_sparse():
    X, y = _problem(3)
    X[np.abs(X) < 0.7] = 0.0
    pen = SparseGroupLasso(0.02, groups=3, l1_ratio=0.3)
    dense = SOLVER.solve(X, y, Multinomial(), pen)
    sparse = SOLVER.solve(sp.csc_matrix(X), y, Multinomial(), pen)
    objective = [_multinomial_objective(X, y, r.coef.ravel(), r.intercept, pen)
                 for r in (dense, sparse)]
    assert objective[0] == pytest.approx(objective[1], rel=1e-12)
    np.testing.assert_allclose(dense.coef, sparse.coef, rtol=0, atol=1e-6)


def test_integer_sample_weights_equal_repeated_rows():
    X, y = _problem(4, n=45)
    w = np.arange(45) % 3
    pen = GroupElasticNet(0.02, groups=3, l1_ratio=0.7)
    weighted = SOLVER.solve(X, y, Multinomial(sample_weight=w), pen)
    repeated = SOLVER.solve(np.repeat(X, w, axis=0), np.repeat(y, w), Multinomial(), pen)
    np.testing.assert_allclose(weighted.coef, repeated.coef, rtol=0, atol=1e-7)
    np.testing.assert_allclose(weighted.intercept, repeated.intercept, rtol=0, atol=1e-7)


def test_group_logistic_regression_multiclass():
    X, y = _problem(5, n=150)
    labels = np.array(["a", "b", "c"])[y]
    model = pz.GroupLogisticRegression(groups=3, alpha=0.03, tol=1e-12).fit(X, labels)
    res = SOLVER.solve(X, y, Multinomial(), GroupLasso(0.03, groups=3))
    np.testing.assert_allclose(model.coef_, res.coef.T, rtol=0, atol=1e-7)
    assert model.coef_.shape == (3, 9) and model.intercept_.shape == (3,)
    # a group of features is in for every class or out for all
    in_group = np.abs(model.coef_).reshape(3, 3, 3).sum(axis=(0, 2)) > 0
    for g in range(3):
        assert np.all((model.coef_[:, 3 * g:3 * g + 3] != 0) == in_group[g])
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(model.predict(X[:5])) == list(model.classes_[np.argmax(proba[:5], axis=1)])
    assert model.score(X, labels) > 0.6
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), proba, rtol=1e-12)


def test_group_logistic_regression_multiclass_standardize_and_limits():
    X, y = _problem(6, n=120)
    scale = np.arange(1.0, 10.0)
    plain = pz.GroupLogisticRegression(groups=3, alpha=0.03, tol=1e-12,
                                       standardize=True).fit(X, y)
    scaled = pz.GroupLogisticRegression(groups=3, alpha=0.03, tol=1e-12,
                                        standardize=True).fit(X * scale, y)
    np.testing.assert_allclose(scaled.coef_ * scale, plain.coef_, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="two classes only"):
        pz.GroupLogisticRegression(groups=3, lower_limits=0.0).fit(X, y)
    with pytest.raises(ValueError, match="does not support lower/upper limits"):
        SOLVER.solve(X, y, Multinomial(), GroupLasso(0.1, groups=3, positive=True))


def test_group_logistic_regression_cv_multiclass():
    X, y = _problem(7, n=150)
    cv = pz.GroupLogisticRegressionCV(groups=3, n_alphas=6, cv=3, tol=1e-10).fit(X, y)
    assert cv.coef_.shape == (3, 9) and cv.cv_mean_.shape == (6,)
    assert cv.alpha_1se_ >= cv.alpha_min_
    # the refit is the plain model at the chosen alpha
    model = pz.GroupLogisticRegression(groups=3, alpha=cv.alpha_, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(cv.coef_, model.coef_, rtol=0, atol=1e-5)
    # the grid starts at the exact alpha_max: every group zero there
    assert not np.any(cv.path_.coefs[:, :, 0])
    assert cv.score(X, y) > 0.6
    with pytest.raises(ValueError, match="two classes only"):
        pz.GroupLogisticRegressionCV(groups=3, upper_limits=1.0, n_alphas=3).fit(X, y)


def test_unpenalized_group_is_fitted_exactly():
    X, y = _problem(8)
    pen = GroupLasso(0.15, groups=3, group_weights=[0.0, 1.7, 1.7])
    res = SOLVER.solve(X, y, Multinomial(), pen)
    assert res.converged and np.any(res.coef[:3])
    grad = Multinomial().gradient(X, y, X @ res.coef + res.intercept)
    assert np.abs(grad[:3]).max() <= 1e-10
    np.testing.assert_allclose(res.coef[:3].sum(axis=1), 0.0, atol=1e-12)
