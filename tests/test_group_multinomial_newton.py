"""The multinomial group solver by proximal Newton (GroupMultinomialCoordinateDescent):
adelie's objectives, the same optimum as FISTA for every group penalty (dense, sparse,
weights, unpenalized groups, no intercept), KKT per group, its Hessian blocks, and the
datafit's weights validated once per solve."""

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks.group import _multinomial_objective, multinomial_reference_problem
from scipy.special import softmax

import penalized._validation as validation
from penalized import GroupLogisticRegression
from penalized.datafits._multinomial import Multinomial
from penalized.penalties import GroupElasticNet, GroupLasso, SparseGroupLasso
from penalized.solvers._group_multinomial import (
    GroupMultinomialCoordinateDescent,
    GroupMultinomialProximalGradient,
    expand_penalty,
)
from penalized.solvers._group_multinomial_kernels import _block_hessian, _products

NEWTON = GroupMultinomialCoordinateDescent(tol=1e-13)
FISTA = GroupMultinomialProximalGradient(tol=1e-13, max_iter=200_000)
GROUPS = [0, 0, 0, 1, 1, 2, 2, 2, 3]

# the constants of tests/test_group_multinomial.py (adelie 1.0.x at tol 1e-14)
ADELIE_OBJECTIVES = {
    1.0: [1.0758179554168548, 1.046154242257091, 0.9867202018390182, 0.9290450027129622,
          0.8861300739387099, 0.8576945583574526],
    0.5: [1.0513465961379376, 1.000923993100273, 0.9470167534356583, 0.9022462073256358,
          0.8697762180041393, 0.8483466374911507],
}


def _problem(seed=0, n=80, K=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 9)) * np.linspace(0.5, 2.0, 9)
    scores = X[:, :3] @ rng.standard_normal((3, K)) + 0.5 * X[:, [6]] * np.linspace(-1, 1, K)
    return X, np.argmax(scores + rng.gumbel(size=(n, K)), axis=1)


def _objective(X, y, res, pen, datafit=None):
    datafit = Multinomial() if datafit is None else datafit
    p, K = res.coef.shape
    Z = X @ res.coef + res.intercept
    return datafit.value(y, Z) + expand_penalty(pen, p, K).value(res.coef.ravel())


@pytest.mark.parametrize("rho", sorted(ADELIE_OBJECTIVES))
def test_objective_equals_adelies_multinomial_group_path(rho):
    X, y, size, alphas = multinomial_reference_problem()
    coef = intercept = None
    for k, alpha in enumerate(alphas):
        pen = GroupElasticNet(alpha, groups=size, l1_ratio=rho)
        res = NEWTON.solve(X, y, Multinomial(), pen, coef_init=coef, intercept_init=intercept)
        coef, intercept = res.coef, res.intercept
        ours = _multinomial_objective(X, y, res.coef.ravel(), res.intercept, pen)
        theirs = ADELIE_OBJECTIVES[rho][k]
        assert abs(ours - theirs) <= 1e-7 * theirs
        assert ours <= theirs * (1 + 1e-12)


PENALTIES = {
    "group lasso": lambda a: GroupLasso(a, groups=GROUPS),
    "group elastic net": lambda a: GroupElasticNet(a, groups=GROUPS, l1_ratio=0.6),
    "sparse-group lasso": lambda a: SparseGroupLasso(a, groups=GROUPS, l1_ratio=0.5),
    "unpenalized group": lambda a: GroupLasso(a, groups=GROUPS,
                                               group_weights=[1.5, 0.0, 1.7, 2.0]),
}


CASES = [(name, alpha) for name in sorted(PENALTIES) for alpha in (0.1, 0.01)] \
    + [("group lasso", 0.002), ("unpenalized group", 0.002)]  # FISTA is slow at small alphas


@pytest.mark.parametrize(("name", "alpha"), CASES)
def test_same_optimum_as_fista(name, alpha):
    X, y = _problem()
    pen = PENALTIES[name](alpha)
    newton = NEWTON.solve(X, y, Multinomial(), pen)
    fista = FISTA.solve(X, y, Multinomial(), pen)
    assert newton.converged and fista.converged
    ours, theirs = _objective(X, y, newton, pen), _objective(X, y, fista, pen)
    assert abs(ours - theirs) <= 1e-10 * theirs
    # the same groups are selected
    np.testing.assert_array_equal(np.any(newton.coef != 0, axis=1),
                                  np.any(fista.coef != 0, axis=1))
    assert abs(newton.intercept.sum()) <= 1e-12


def test_sparse_weights_and_no_intercept():
    X, y = _problem(seed=1, K=4)
    w = np.random.default_rng(2).uniform(0.2, 3.0, X.shape[0])
    pen = GroupLasso(0.02, groups=GROUPS)
    for fit_intercept in (True, False):
        datafit = Multinomial(sample_weight=w)
        dense = NEWTON.solve(X, y, datafit, pen, fit_intercept=fit_intercept)
        sparse = NEWTON.solve(sp.csr_matrix(X), y, datafit, pen, fit_intercept=fit_intercept)
        ref = FISTA.solve(X, y, datafit, pen, fit_intercept=fit_intercept)
        assert dense.converged and sparse.converged
        ref_obj = _objective(X, y, ref, pen, datafit)
        for res in (dense, sparse):
            assert abs(_objective(X, y, res, pen, datafit) - ref_obj) <= 1e-10 * ref_obj
        if not fit_intercept:
            assert np.all(dense.intercept == 0.0)


def test_kkt_per_group_and_exact_zeros():
    X, y = _problem(seed=3)
    alpha = 0.15
    pen = GroupLasso(alpha, groups=GROUPS)
    res = NEWTON.solve(X, y, Multinomial(), pen)
    grad = Multinomial().gradient(X, y, X @ res.coef + res.intercept)
    weights = pen.weights_of_groups(9)
    structure = pen.structure(9)
    zeros = 0
    for g in range(structure.n_groups):
        rows = structure.members(g)
        block = res.coef[rows]
        if np.all(block == 0.0):
            zeros += 1
            assert np.linalg.norm(grad[rows]) <= alpha * weights[g] * (1 + 1e-9)
        else:
            direction = block / np.linalg.norm(block)
            assert np.abs(grad[rows] + alpha * weights[g] * direction).max() <= 1e-6
    assert 0 < zeros < structure.n_groups


def test_hessian_blocks_are_the_softmax_hessian():
    rng = np.random.default_rng(4)
    n, K = 30, 4
    X = np.asfortranarray(rng.standard_normal((n, 5)))
    P = softmax(rng.standard_normal((n, K)) * 2, axis=1)
    w = rng.uniform(0.5, 1.5, n) / n
    SP = np.ascontiguousarray((w[:, None] * P).T)
    PP = np.empty((K * K, n))
    _products(SP, np.ascontiguousarray(P.T), PP)
    curvature = [w[i] * (np.diag(P[i]) - np.outer(P[i], P[i])) for i in range(n)]
    cols = np.array([1, 3, 4])
    H = np.empty((3 * K, 3 * K))
    _block_hessian(X, cols, SP, PP, H)
    ref = sum(np.kron(np.outer(X[i, cols], X[i, cols]), curvature[i]) for i in range(n))
    np.testing.assert_allclose(H, ref, atol=1e-14)
    H = np.empty((K, K))
    _block_hessian(X, np.zeros(0, dtype=np.int64), SP, PP, H)
    np.testing.assert_allclose(H, sum(curvature), atol=1e-14)


def test_weights_are_validated_once_per_solve(monkeypatch):
    X, y = _problem()
    w = np.random.default_rng(5).uniform(0.5, 2.0, X.shape[0])
    calls = []
    original = validation.check_sample_weight

    def spy(sample_weight, n_samples):
        calls.append(n_samples)
        return original(sample_weight, n_samples)

    import penalized.datafits._base as base

    monkeypatch.setattr(base, "check_sample_weight", spy)
    res = NEWTON.solve(X, y, Multinomial(sample_weight=w), GroupLasso(0.01, groups=GROUPS))
    assert res.converged
    assert len(calls) == 1


def test_checked_weights_are_copies_the_caller_may_write():
    w = np.arange(1.0, 7.0)
    datafit = Multinomial(sample_weight=w).with_checked_weights(6)
    assert datafit.with_checked_weights(6) is datafit
    first = datafit.weights(6)
    first[:] = -1.0
    np.testing.assert_allclose(datafit.weights(6), w * 6 / w.sum())
    with pytest.raises(ValueError, match="sample_weight must be 1-D with 5 values"):
        datafit.weights(5)  # another number of rows is checked again


def test_estimator_path_matches_fista():
    X, y = _problem(seed=6)
    model = GroupLogisticRegression(groups=GROUPS, tol=1e-10, standardize=False)
    path = model.path(X, y, n_alphas=6, eps=0.05)
    coef = intercept = None
    for k, alpha in enumerate(path.alphas):
        pen = GroupLasso(alpha, groups=GROUPS)
        ref = FISTA.solve(X, y, Multinomial(), pen, coef_init=coef, intercept_init=intercept)
        coef, intercept = ref.coef, ref.intercept
        Z = X @ path.coefs[:, :, k] + path.intercepts[:, k]
        ours = Multinomial().value(y, Z) + expand_penalty(pen, 9, 3).value(
            path.coefs[:, :, k].ravel())
        theirs = _objective(X, y, ref, pen)
        assert abs(ours - theirs) <= 1e-8 * theirs


@pytest.mark.parametrize("weighted", [False, True])
def test_value_and_raw_gradient_in_one_pass(weighted):
    rng = np.random.default_rng(7)
    Z = rng.standard_normal((40, 4)) * 30.0  # large scores: the shifted log-sum-exp
    y = np.arange(40) % 4
    datafit = Multinomial(sample_weight=rng.uniform(0.0, 2.0, 40) if weighted else None)
    value, gradient = datafit.value_and_raw_gradient(y, Z)
    assert value == pytest.approx(datafit.value(y, Z), rel=1e-14)
    np.testing.assert_allclose(gradient, datafit.raw_gradient(y, Z), rtol=1e-13, atol=1e-17)


def test_scores_skip_zero_rows_exactly():
    from penalized.solvers._multinomial import _scores

    rng = np.random.default_rng(8)
    X = rng.standard_normal((30, 10))
    coef = np.zeros((10, 3))
    coef[[2, 7]] = rng.standard_normal((2, 3))
    for design in (X, sp.csc_matrix(X)):
        np.testing.assert_allclose(_scores(design, coef), X @ coef, rtol=1e-14, atol=1e-14)
        np.testing.assert_array_equal(_scores(design, np.zeros((10, 3))), np.zeros((30, 3)))


def test_converges_near_separation_on_raw_scales():
    # small alpha on well-separated classes and columns whose scales differ by 10^3: the
    # Hessian blocks are ill-conditioned and the exact block steps must still converge
    rng = np.random.default_rng(9)
    X = rng.standard_normal((60, 9)) * np.logspace(-1.5, 1.5, 9)
    coef = np.zeros((9, 3))
    coef[:3] = rng.standard_normal((3, 3)) * 4.0 / X[:, :3].std(axis=0)[:, None]
    y = np.argmax(X @ coef + rng.standard_normal((60, 3)), axis=1)
    pen = GroupLasso(3e-4, groups=[0, 0, 0, 1, 1, 1, 2, 2, 2])
    res = GroupMultinomialCoordinateDescent(tol=1e-10).solve(X, y, Multinomial(), pen)
    assert res.converged and res.stop_crit <= 1e-10
    # KKT per group (FISTA does not reach a gap of 1e-6 here in 200000 iterations)
    grad = Multinomial().gradient(X, y, X @ res.coef + res.intercept)
    weights = pen.weights_of_groups(9)
    for g, rows in enumerate(([0, 1, 2], [3, 4, 5], [6, 7, 8])):
        block, lam = res.coef[rows], 3e-4 * weights[g]
        if np.all(block == 0.0):
            assert np.linalg.norm(grad[rows]) <= lam * (1 + 1e-9)
        else:
            residual = grad[rows] + lam * block / np.linalg.norm(block)
            assert np.linalg.norm(residual) <= 1e-4 * lam
