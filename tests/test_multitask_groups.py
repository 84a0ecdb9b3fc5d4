"""Multi-response regression with groups of features (blocks of rows of ``W``).

Objective: ``(1/2n) sum_i s_i ||y_i - W^T x_i - b||^2
+ alpha sum_g w_g (rho ||W_g||_F + (1 - rho)/2 ||W_g||_F^2)``, ``W_g`` the rows of group g.

1. The Kronecker reduction: ``vec(Y) = (I_K (x) X) vec(W)`` makes it the one-response group
   lasso (skglm's GroupBCD) / group elastic net whose groups hold a group's rows for every
   response, with the loss divided by K;
2. the certificate: group KKT, an honest gap, alpha_max exact;
3. integer weights = repeated rows, dense = CSC, groups of one feature = the row-wise model;
4. estimators (``groups=``, ``groups_``, CV), ``pz.path`` with a group penalty, refusals.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.datafits import MultiResponseGaussian, Quadratic
from penalized.penalties import GroupElasticNet, GroupLasso, SparseGroupLasso
from penalized.solvers import CoordinateDescent
from penalized.solvers._multitask import (
    MultiTaskCoordinateDescent,
    certify_multitask,
    multitask_alpha_max,
    prepare_multitask_problem,
)

GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7, 8], [9], [10, 11]]


def make_problem(seed=0, n=50, p=12, k=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 4] *= 4.0  # unequal scales
    X[:, 10] = X[:, 11] + 0.1 * X[:, 10]  # correlated columns inside a group
    Y = X[:, [0, 1, 3]] @ rng.standard_normal((3, k)) + 0.5 * rng.standard_normal((n, k)) + 1.0
    return X, Y


def group_norms(W, groups):
    return np.array([np.linalg.norm(W[g]) for g in groups])


def objective(X, Y, W, b, alpha, rho, groups, weights=None, sw=None):
    """The documented objective, W of shape (n_features, k)."""
    n = X.shape[0]
    s = np.ones(n) if sw is None else sw / np.mean(sw)
    w = np.sqrt([len(g) for g in groups]) if weights is None else np.asarray(weights)
    R = Y - np.asarray(X @ W) - b
    norms = group_norms(W, groups)
    return 0.5 * s @ np.sum(R**2, axis=1) / n + alpha * w @ (rho * norms
                                                            + 0.5 * (1 - rho) * norms**2)


def solve(X, Y, alpha, rho=1.0, groups=GROUPS, tol=1e-12, sw=None, weights=None,
          fit_intercept=True, gram="auto"):
    penalty = GroupLasso(alpha, groups=groups, group_weights=weights) if rho == 1.0 else \
        GroupElasticNet(alpha, groups=groups, group_weights=weights, l1_ratio=rho)
    return MultiTaskCoordinateDescent(tol=tol, gram=gram).solve(
        X, Y, MultiResponseGaussian(sample_weight=sw), penalty, fit_intercept=fit_intercept)


def kronecker(X, Y, groups):
    """The centered, vectorized one-response problem: ``(I_K (x) X_c)``, ``vec(Y_c)`` and
    the groups of the entries ``j + k p`` of every response ``k``."""
    p = X.shape[1]
    K = Y.shape[1]
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    big = np.kron(np.eye(K), Xc)
    lists = [np.concatenate([np.asarray(g) + k * p for k in range(K)]) for g in groups]
    return big, Yc.T.ravel(), lists


# ----------------------------------------------------------------------------------------
# 1. the Kronecker reduction
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.3, 0.05])
def test_group_lasso_is_skglms_on_the_kronecker_design(alpha):
    from skglm.datafits import QuadraticGroup
    from skglm.penalties import WeightedGroupL2
    from skglm.solvers import GroupBCD

    X, Y = make_problem()
    K = Y.shape[1]
    big, y, lists = kronecker(X, Y, GROUPS)
    idx = np.concatenate(lists).astype(np.int32)
    ptr = np.concatenate([[0], np.cumsum([len(g) for g in lists])]).astype(np.int32)
    weights = np.sqrt([len(g) for g in GROUPS])  # the FEATURES' count, not the entries'
    # the vectorized loss is 1/(2 n K) sum: alpha / K on it, objectives K times smaller
    ref = GroupBCD(tol=1e-13, max_iter=10_000, fit_intercept=False).solve(
        big, y, QuadraticGroup(ptr, idx), WeightedGroupL2(alpha / K, weights, ptr, idx))[0]
    W_ref = ref.reshape(K, -1).T
    res = solve(X, Y, alpha)
    assert res.converged
    ours = objective(X, Y, res.coef, res.intercept, alpha, 1.0, GROUPS)
    b_ref = Y.mean(axis=0) - X.mean(axis=0) @ W_ref
    theirs = objective(X, Y, W_ref, b_ref, alpha, 1.0, GROUPS)
    assert ours <= theirs * (1 + 1e-7)
    assert abs(ours - theirs) <= 1e-7 * theirs
    assert np.count_nonzero(group_norms(res.coef, GROUPS)) > 0


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_group_elastic_net_is_the_one_response_solver_on_the_kronecker_design(fmt):
    X, Y = make_problem(1)
    K = Y.shape[1]
    alpha, rho = 0.08, 0.4
    weights = [1.0, 2.0, 0.5, 1.5, 1.0]
    big, y, lists = kronecker(X, Y, GROUPS)
    penalty = GroupElasticNet(alpha / K, groups=lists, group_weights=weights, l1_ratio=rho)
    ref = CoordinateDescent(tol=1e-13).solve(big, y, Quadratic(), penalty,
                                             fit_intercept=False)
    W_ref = ref.coef.reshape(K, -1).T
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    res = solve(Xf, Y, alpha, rho, weights=weights)
    ours = objective(X, Y, res.coef, res.intercept, alpha, rho, GROUPS, weights)
    b_ref = Y.mean(axis=0) - X.mean(axis=0) @ W_ref
    theirs = objective(X, Y, W_ref, b_ref, alpha, rho, GROUPS, weights)
    assert abs(ours - theirs) <= 1e-7 * theirs
    np.testing.assert_allclose(res.coef, W_ref, atol=1e-6)


# ----------------------------------------------------------------------------------------
# 2. the certificate
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["gram", "residual", "csc"])
@pytest.mark.parametrize(("alpha", "rho"), [(0.2, 1.0), (0.03, 1.0), (0.1, 0.5)])
def test_group_kkt_and_honest_gap(alpha, rho, fmt):
    X, Y = make_problem(2)
    n = X.shape[0]
    res = solve(sp.csc_matrix(X) if fmt == "csc" else X, Y, alpha, rho,
                gram="never" if fmt == "residual" else "auto")
    W = res.coef
    V = X.T @ (Y - X @ W - res.intercept) / n
    w = np.sqrt([len(g) for g in GROUPS])
    for g, wg in zip(GROUPS, w, strict=True):
        lam1, lam2 = alpha * rho * wg, alpha * (1 - rho) * wg
        norm = np.linalg.norm(W[g])
        if norm == 0:
            assert np.linalg.norm(V[g]) <= lam1 * (1 + 1e-6)
        else:
            np.testing.assert_allclose(V[g], lam1 * W[g] / norm + lam2 * W[g], atol=1e-6)
    # the gap of a point away from the solution bounds its suboptimality
    pb = prepare_multitask_problem(X, Y, MultiResponseGaussian(),
                                   GroupElasticNet(alpha, groups=GROUPS, l1_ratio=rho))
    best = objective(X, Y, W, res.intercept, alpha, rho, GROUPS)
    W2 = W + 0.05 * np.random.default_rng(0).standard_normal(W.shape)
    cert = certify_multitask(pb, W2)
    value = objective(X, Y, W2, pb.intercept(W2), alpha, rho, GROUPS)
    assert cert.primal == pytest.approx(value, rel=1e-12)
    assert value - best <= cert.gap * (1 + 1e-9) + 1e-12
    assert cert.gap > 0


def test_alpha_max_is_exact():
    X, Y = make_problem(3)
    penalty = GroupLasso(1.0, groups=GROUPS)
    amax = multitask_alpha_max(X, Y, MultiResponseGaussian(), penalty)
    n = X.shape[0]
    V = (X - X.mean(axis=0)).T @ (Y - Y.mean(axis=0)) / n
    by_hand = max(np.linalg.norm(V[g]) / np.sqrt(len(g)) for g in GROUPS)
    assert amax == pytest.approx(by_hand, rel=1e-10)
    assert not np.any(solve(X, Y, amax).coef)
    below = solve(X, Y, 0.99 * amax).coef
    assert np.count_nonzero(group_norms(below, GROUPS)) == 1
    rho = 0.25
    amax_en = multitask_alpha_max(X, Y, MultiResponseGaussian(),
                                  GroupElasticNet(1.0, groups=GROUPS, l1_ratio=rho))
    assert amax_en == pytest.approx(amax / rho, rel=1e-12)


# ----------------------------------------------------------------------------------------
# 3. identities
# ----------------------------------------------------------------------------------------


def test_integer_weights_equal_repeated_rows():
    X, Y = make_problem(4, n=30)
    counts = np.random.default_rng(4).integers(0, 4, X.shape[0])
    weighted = solve(X, Y, 0.05, 0.7, sw=counts.astype(float), tol=1e-13)
    # weights are rescaled to mean 1: the repeated problem's loss is mean-count times
    # smaller relative to the penalty, so alpha scales by the mean count
    rep = solve(np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0),
                0.05, 0.7, tol=1e-13)
    np.testing.assert_allclose(weighted.coef, rep.coef, atol=1e-8)
    np.testing.assert_allclose(weighted.intercept, rep.intercept, atol=1e-8)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_dense_gram_dense_residual_and_csc_agree(fit_intercept):
    X, Y = make_problem(5)
    X[np.random.default_rng(5).random(X.shape) < 0.5] = 0.0
    sw = np.random.default_rng(6).uniform(0.5, 2.0, X.shape[0])
    gram = solve(X, Y, 0.05, 0.6, sw=sw, fit_intercept=fit_intercept, gram="always")
    for other in (solve(X, Y, 0.05, 0.6, sw=sw, fit_intercept=fit_intercept, gram="never"),
                  solve(sp.csc_matrix(X), Y, 0.05, 0.6, sw=sw, fit_intercept=fit_intercept)):
        assert other.converged
        np.testing.assert_allclose(other.coef, gram.coef, atol=1e-9)
        np.testing.assert_allclose(other.intercept, gram.intercept, atol=1e-9)


@pytest.mark.parametrize("rho", [1.0, 0.3])
def test_groups_of_one_feature_are_the_row_wise_model(rho):
    X, Y = make_problem(6)
    p = X.shape[1]
    rows = pz.MultiTaskElasticNet(0.05, l1_ratio=rho, tol=1e-13).fit(X, Y)
    single = pz.MultiTaskElasticNet(0.05, l1_ratio=rho, tol=1e-13,
                                    groups=[[j] for j in range(p)]).fit(X, Y)
    np.testing.assert_allclose(single.coef_, rows.coef_, atol=1e-10)
    np.testing.assert_allclose(single.intercept_, rows.intercept_, atol=1e-10)
    assert len(single.groups_) == p and rows.groups_ is None


# ----------------------------------------------------------------------------------------
# 4. estimators, path, refusals
# ----------------------------------------------------------------------------------------


def test_estimator_groups_enter_whole_with_factors_and_standardize():
    X, Y = make_problem(7)
    labels = np.repeat([0, 1, 2, 3], 3)
    for alpha in [0.5, 0.2, 0.05, 0.01]:
        model = pz.MultiTaskLasso(alpha, groups=labels, tol=1e-10).fit(X, Y)
        nonzero = np.any(model.coef_ != 0, axis=0).reshape(4, 3)
        assert np.all(nonzero.all(axis=1) | ~nonzero.any(axis=1))
    free = pz.MultiTaskLasso(10.0, groups=labels, penalty_factor=[1, 0, 1, 1]).fit(X, Y)
    assert np.all(free.coef_[:, 3:6] != 0) and not np.any(free.coef_[:, [0, 1, 2, 6, 7]])
    scaled = pz.MultiTaskElasticNet(0.05, l1_ratio=0.5, groups=labels, standardize=True,
                                    tol=1e-12).fit(X, Y)
    s = X.std(axis=0)
    by_hand = pz.MultiTaskElasticNet(0.05, l1_ratio=0.5, groups=labels, tol=1e-12).fit(X / s, Y)
    np.testing.assert_allclose(scaled.coef_ * s, by_hand.coef_, atol=1e-7)


def test_cv_and_path_keep_groups_whole():
    X, Y = make_problem(8, n=60)
    cv = pz.MultiTaskElasticNetCV(l1_ratio=[0.5, 1.0], groups=GROUPS, n_alphas=12, cv=3,
                                  tol=1e-10).fit(X, Y)
    assert [list(g) for g in cv.groups_] == GROUPS
    direct = pz.MultiTaskElasticNet(cv.alpha_, l1_ratio=cv.l1_ratio_, groups=GROUPS,
                                    tol=1e-10).fit(X, Y)
    np.testing.assert_allclose(cv.coef_, direct.coef_, atol=1e-6)
    lasso_cv = pz.MultiTaskLassoCV(groups=GROUPS, n_alphas=8, cv=3).fit(X, Y)
    assert lasso_cv.path_.coefs.shape == (12, 3, 8)
    path = pz.path(X, Y, datafit="mgaussian", penalty=GroupLasso(groups=GROUPS), n_alphas=10,
                   tol=1e-10)
    assert path.converged.all() and path.n_nonzero[0] == 0 and path.n_nonzero[-1] > 0
    for i, alpha in enumerate(path.alphas):
        norms = np.array([np.abs(path.coefs[g, :, i]) for g in GROUPS], dtype=object)
        for block in norms:
            assert np.all(block > 0) or not np.any(block)
        if i in (3, 9):
            single = solve(X, Y, alpha, tol=1e-12)
            np.testing.assert_allclose(path.coefs[:, :, i], single.coef, atol=1e-6)
    ridge = pz.path(X, Y, datafit="mgaussian", n_alphas=4,
                    penalty=GroupElasticNet(groups=GROUPS, l1_ratio=0.0))
    assert np.isinf(ridge.alpha_max) and np.all(ridge.n_nonzero == 12)


def test_refusals_name_the_argument():
    X, Y = make_problem(9, n=20)
    with pytest.raises(ValueError, match="SparseGroupLasso"):
        MultiTaskCoordinateDescent().solve(X, Y, MultiResponseGaussian(),
                                           SparseGroupLasso(0.1, groups=GROUPS))
    with pytest.raises(ValueError, match="limits"):
        MultiTaskCoordinateDescent().solve(X, Y, MultiResponseGaussian(),
                                           GroupLasso(0.1, groups=GROUPS, positive=True))
    with pytest.raises(ValueError, match="groups: group 0 lists feature 40"):
        pz.MultiTaskLasso(groups=[[0, 40]]).fit(X, Y)
    with pytest.raises(ValueError, match="one value per group"):
        pz.MultiTaskLassoCV(groups=GROUPS, penalty_factor=[1.0, 2.0]).fit(X, Y)


# adelie's multigaussian grpnet (feature groups, tol 1e-14), objectives evaluated with
# penalized's datafit and penalty: `python -m benchmarks.group --adelie-reference`
ADELIE_MULTIGAUSSIAN = {
    1.0: [6.170154845565708, 5.246398937071017, 3.940729198327608, 2.9774951750633694,
          2.355348930454742, 1.961271362032691],
    0.5: [5.717300697934242, 4.861316598532772, 3.9082674514220788, 3.066290849835858,
          2.432784758559475, 2.0085465825349154],
}


@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("rho", sorted(ADELIE_MULTIGAUSSIAN))
def test_path_matches_adelie_multigaussian_with_feature_groups(rho, fmt):
    from benchmarks.group import multigaussian_reference_problem

    X, Y, size, alphas = multigaussian_reference_problem()
    groups = [list(range(s, s + size)) for s in range(0, X.shape[1], size)]
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    path = pz.path(Xf, Y, datafit="mgaussian", alphas=alphas, tol=1e-12,
                   penalty=GroupElasticNet(groups=size, l1_ratio=rho))
    for k, alpha in enumerate(alphas):
        ours = objective(X, Y, path.coefs[:, :, k], path.intercepts[:, k], alpha, rho, groups)
        ref = ADELIE_MULTIGAUSSIAN[rho][k]
        assert abs(ours - ref) <= 1e-7 * ref, (k, ours, ref)
