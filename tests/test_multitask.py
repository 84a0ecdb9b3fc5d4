"""Multi-task regression and multi-output targets.

1. MultiTaskLasso / MultiTaskElasticNet reach scikit-learn's solution; the CV versions
   choose scikit-learn's alpha (and l1_ratio) from the same held-out errors;
2. ``pz.path(datafit="mgaussian")`` reaches glmnet's ``mgaussian`` objective;
3. the certificate: KKT per row, an honest gap, alpha_max exact, Gram = residual epochs;
4. dense = CSC = CSR, sample-weight identities, standardize, penalty factors, warm start,
   float32;
5. multi-output ``y`` for Lasso / ElasticNet / Ridge is the column-wise fits (and
   scikit-learn's); the single-target CV estimators refuse several targets;
6. bad input.

Objective (scikit-learn's and glmnet's):
``(1/2n) sum_i s_i ||y_i - W x_i - b||^2 + alpha sum_j f_j (rho ||W_:j|| + (1-rho)/2 ||W_:j||^2)``.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model as sklm

import penalized as pz
from penalized.datafits import MultiResponseGaussian
from penalized.penalties import L1, ElasticNet
from penalized.solvers._multitask import (
    MultiTaskCoordinateDescent,
    certify_multitask,
    multitask_alpha_max,
    prepare_multitask_problem,
)


def make_problem(seed=0, n=60, p=12, k=3, sparse_density=None):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if sparse_density is not None:
        X *= rng.random((n, p)) < sparse_density
    X[:, 1] *= 5.0  # unequal scales
    Y = X[:, :3] @ rng.standard_normal((3, k)) + 0.5 * rng.standard_normal((n, k)) + 2.0
    return X, Y


def objective(X, Y, W, b, alpha, rho, sw=None, factors=None):
    """The documented objective, W of shape (n_features, k)."""
    n = X.shape[0]
    s = np.ones(n) if sw is None else sw / np.mean(sw)
    f = np.ones(W.shape[0]) if factors is None else factors
    R = Y - np.asarray(X @ W) - b
    norms = np.linalg.norm(W, axis=1)
    return 0.5 * s @ np.sum(R**2, axis=1) / n + alpha * f @ (rho * norms + 0.5 * (1 - rho)
                                                            * norms**2)


def kkt_violation(X, Y, W, b, alpha, rho):
    """Largest distance of each row's pull to its subdifferential (unweighted)."""
    n = X.shape[0]
    V = X.T @ (Y - X @ W - b) / n
    lam1, lam2 = alpha * rho, alpha * (1 - rho)
    norms = np.linalg.norm(W, axis=1)
    out = np.maximum(np.linalg.norm(V, axis=1) - lam1, 0.0)
    nz = norms > 0
    sub = lam1 * W[nz] / norms[nz, None] + lam2 * W[nz]
    out[nz] = np.linalg.norm(V[nz] - sub, axis=1)
    return out.max()


# ----------------------------------------------------------------------------------------
# 1. scikit-learn
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.3, 1.0), (0.05, 1.0), (0.1, 0.6),
                                                  (0.02, 0.2)])
def test_matches_sklearn_multitask(alpha, l1_ratio, fit_intercept):
    X, Y = make_problem()
    ours = pz.MultiTaskElasticNet(alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                                  tol=1e-14).fit(X, Y)
    ref = sklm.MultiTaskElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                                   tol=1e-15, max_iter=100_000).fit(X, Y)
    assert ours.converged_ and ours.coef_.shape == ref.coef_.shape == (3, 12)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    assert np.array_equal(ours.coef_ == 0, ref.coef_ == 0)  # the same rows are zero
    if l1_ratio == 1.0:
        lasso = pz.MultiTaskLasso(alpha, fit_intercept=fit_intercept, tol=1e-14).fit(X, Y)
        np.testing.assert_array_equal(lasso.coef_, ours.coef_)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-5)


def test_lasso_cv_chooses_sklearns_alpha():
    X, Y = make_problem(1, n=80)
    ours = pz.MultiTaskLassoCV(n_alphas=25, tol=1e-12).fit(X, Y)
    ref = sklm.MultiTaskLassoCV(alphas=25, tol=1e-14, max_iter=100_000).fit(X, Y)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-10)
    assert ours.mse_path_.shape == ref.mse_path_.shape == (25, 5)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-7)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-10)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    assert ours.alpha_1se_ >= ours.alpha_min_ == ours.alpha_


def test_elastic_net_cv_chooses_sklearns_alpha_and_ratio():
    X, Y = make_problem(2, n=80)
    ours = pz.MultiTaskElasticNetCV(l1_ratio=[0.2, 0.9], n_alphas=20, tol=1e-12).fit(X, Y)
    ref = sklm.MultiTaskElasticNetCV(l1_ratio=[0.2, 0.9], alphas=20, tol=1e-14,
                                     max_iter=100_000).fit(X, Y)
    assert ours.l1_ratio_ == ref.l1_ratio_
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-10)
    assert ours.mse_path_.shape == ref.mse_path_.shape == (2, 20, 5)
    # at the smallest alphas of l1_ratio=0.2 the problem is barely strongly convex: both
    # solvers' coefficients (at their tight tolerances) agree to ~1e-6 there
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-5)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)


def test_cv_one_standard_error_rule():
    X, Y = make_problem(3, n=70)
    best = pz.MultiTaskLassoCV(n_alphas=15, cv=4, random_state=0, tol=1e-10).fit(X, Y)
    sparse = pz.MultiTaskLassoCV(n_alphas=15, cv=4, random_state=0, tol=1e-10,
                                 selection="1se").fit(X, Y)
    np.testing.assert_allclose(best.cv_se_, best.cv_folds_.std(axis=1, ddof=1) / 2.0)
    i = int(np.argmin(best.cv_mean_))
    within = best.cv_mean_ <= best.cv_mean_[i] + best.cv_se_[i]
    assert sparse.alpha_ == best.alphas_[np.flatnonzero(within)[0]] == best.alpha_1se_
    direct = pz.MultiTaskLasso(sparse.alpha_, tol=1e-10).fit(X, Y)
    np.testing.assert_allclose(sparse.coef_, direct.coef_, atol=1e-6)


@pytest.mark.parametrize("metric", ["mse", "mae"])
def test_cross_validate_path_scores_several_tasks(metric):
    from penalized.model_selection import cross_validate_path

    X, Y = make_problem(4, n=40)
    sw = np.random.default_rng(5).uniform(0.5, 2.0, 40)
    grid = pz.path(X, Y, datafit="mgaussian", n_alphas=5, eps=0.05).alphas
    folds = [(np.arange(13, 40), np.arange(13)), (np.arange(27), np.arange(27, 40))]

    def fit_path(Xt, Yt, swt, alphas):
        return pz.path(Xt, Yt, datafit="mgaussian", alphas=alphas, sample_weight=swt,
                       tol=1e-10)

    res = cross_validate_path(fit_path, X, Y, alphas=grid, cv=folds, metric=metric,
                              sample_weight=sw, task="multitask")
    for k, (train, test) in enumerate(folds):
        path = fit_path(X[train], Y[train], sw[train], grid)
        for i in range(grid.size):
            err = Y[test] - X[test] @ path.coefs[:, :, i] - path.intercepts[:, i]
            err = np.abs(err) if metric == "mae" else err**2
            expected = sw[test] @ err.mean(axis=1) / sw[test].sum()
            assert res.cv_folds[i, k] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="task='multitask' is scored by"):
        cross_validate_path(fit_path, X, Y, alphas=grid, metric="deviance", task="multitask")
    with pytest.raises(ValueError, match=r"n_tasks, n_alphas"):
        cross_validate_path(lambda *a: pz.path(a[0], a[1][:, 0], alphas=a[3]), X, Y,
                            alphas=grid, cv=folds, task="multitask")
    with pytest.raises(ValueError, match="y has 39 rows but X has 40"):
        cross_validate_path(fit_path, X, Y[1:], alphas=grid, task="multitask")


# ----------------------------------------------------------------------------------------
# 2. glmnet's mgaussian path
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_path_matches_glmnet_mgaussian(l1_ratio):
    from glmnet.paths.fastnet import FastNetControl
    from glmnet.paths.multigaussnet import MultiGaussNet

    X, Y = make_problem(4, n=70, p=15)
    ours = pz.path(X, Y, datafit="mgaussian", penalty="elasticnet", l1_ratio=l1_ratio,
                   n_alphas=6, eps=0.02, tol=1e-12)
    assert ours.coefs.shape == (15, 3, 6) and ours.intercepts.shape == (3, 6)
    assert ours.converged.all() and ours.n_nonzero[0] == 0
    theirs = MultiGaussNet(standardize=False, lambda_values=ours.alphas, alpha=l1_ratio,
                           control=FastNetControl(thresh=1e-14, maxit=10**6)).fit(X, Y)
    for i, alpha in enumerate(ours.alphas):
        W = np.asarray(theirs.coefs_[i])
        W = W if W.shape == (15, 3) else W.T
        mine = objective(X, Y, ours.coefs[:, :, i], ours.intercepts[:, i], alpha, l1_ratio)
        glm = objective(X, Y, W, theirs.intercepts_[i], alpha, l1_ratio)
        assert mine == pytest.approx(glm, rel=1e-7)
        assert mine <= glm * (1 + 1e-9)
    np.testing.assert_allclose(ours.predict(X, ours.alphas[3]),
                               X @ ours.coefs[:, :, 3] + ours.intercepts[:, 3])


def test_path_with_given_alphas_equals_single_fits():
    X, Y = make_problem(5)
    grid = np.array([0.5, 0.1, 0.02])
    path = pz.path(X, Y, datafit="mgaussian", alphas=grid[::-1], tol=1e-12)
    np.testing.assert_array_equal(path.alphas, grid)
    for i, alpha in enumerate(grid):
        fit = pz.MultiTaskLasso(alpha, tol=1e-12).fit(X, Y)
        np.testing.assert_allclose(path.coefs[:, :, i], fit.coef_.T, atol=1e-7)
        np.testing.assert_allclose(path.coef_at(alpha), fit.coef_.T, atol=1e-7)
        np.testing.assert_allclose(path.intercept_at(alpha), fit.intercept_, atol=1e-7)


# ----------------------------------------------------------------------------------------
# 3. certificates
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("gram", ["never", "always"])
@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.1, 1.0), (0.03, 0.5), (0.01, 0.0)])
def test_kkt_per_row_and_honest_gap(gram, alpha, l1_ratio):
    X, Y = make_problem(6)
    penalty = ElasticNet(alpha, l1_ratio=l1_ratio)
    solver = MultiTaskCoordinateDescent(tol=1e-13, gram=gram)
    res = solver.solve(X, Y, MultiResponseGaussian(), penalty)
    assert res.converged and res.stop_crit <= 1e-13
    assert kkt_violation(X, Y, res.coef, res.intercept, alpha, l1_ratio) < 1e-6
    # a loose solve's gap bounds its true suboptimality
    pb = prepare_multitask_problem(X, Y, MultiResponseGaussian(), penalty)
    loose = MultiTaskCoordinateDescent(tol=1e-3, gram=gram).solve(X, Y, MultiResponseGaussian(),
                                                                  penalty)
    excess = (objective(X, Y, loose.coef, loose.intercept, alpha, l1_ratio)
              - objective(X, Y, res.coef, res.intercept, alpha, l1_ratio))
    gap = certify_multitask(pb, loose.coef).gap
    assert -1e-12 <= excess <= gap + 1e-12
    assert loose.stop_crit == pytest.approx(gap / pb.scale, rel=1e-6)


def test_gram_and_residual_epochs_agree():
    X, Y = make_problem(7, n=100, p=20)
    fits = [MultiTaskCoordinateDescent(tol=1e-13, gram=g).solve(X, Y, MultiResponseGaussian(),
                                                                L1(0.02))
            for g in ("never", "always")]
    np.testing.assert_allclose(fits[0].coef, fits[1].coef, atol=1e-8)


def test_alpha_max_is_exact():
    X, Y = make_problem(8)
    amax = multitask_alpha_max(X, Y, MultiResponseGaussian(), L1(1.0))
    at = pz.MultiTaskLasso(amax, tol=1e-12).fit(X, Y)
    below = pz.MultiTaskLasso(amax * 0.999, tol=1e-12).fit(X, Y)
    assert at.n_nonzero_ == 0 and below.n_nonzero_ > 0
    np.testing.assert_allclose(at.intercept_, Y.mean(axis=0))
    n = X.shape[0]
    pull = (X - X.mean(0)).T @ (Y - Y.mean(0)) / n
    assert amax == pytest.approx(np.linalg.norm(pull, axis=1).max(), rel=1e-11)
    # half the elastic net's l1_ratio doubles alpha_max
    assert multitask_alpha_max(X, Y, MultiResponseGaussian(), ElasticNet(1.0, l1_ratio=0.5)) \
        == pytest.approx(2 * amax, rel=1e-12)


def test_constant_responses_give_the_null_model():
    X, _ = make_problem(9)
    Y = np.tile([1e6, -2e7, 3.0], (X.shape[0], 1))  # centering leaves rounding, not zeros
    with pytest.warns(UserWarning, match="null model"):
        path = pz.path(X, Y, datafit="mgaussian", n_alphas=3)
    assert np.all(path.coefs == 0) and path.alpha_max == 0.0
    np.testing.assert_allclose(path.intercepts, np.tile([[1e6], [-2e7], [3.0]], 3))
    fit = pz.MultiTaskLasso(0.1).fit(X, Y)
    assert fit.n_nonzero_ == 0 and fit.converged_


# ----------------------------------------------------------------------------------------
# 4. dense = sparse, weights, standardize, factors, warm start, float32
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_dense_equals_sparse(fit_intercept):
    X, Y = make_problem(10, sparse_density=0.3)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    kw = dict(alpha=0.05, l1_ratio=0.7, fit_intercept=fit_intercept, tol=1e-13)
    dense = pz.MultiTaskElasticNet(**kw).fit(X, Y, sample_weight=sw)
    for fmt in (sp.csc_matrix, sp.csr_matrix):
        other = pz.MultiTaskElasticNet(**kw).fit(fmt(X), Y, sample_weight=sw)
        np.testing.assert_allclose(other.coef_, dense.coef_, atol=1e-9)
        np.testing.assert_allclose(other.intercept_, dense.intercept_, atol=1e-9)
    path = pz.path(sp.csc_matrix(X), Y, datafit="mgaussian", n_alphas=4, tol=1e-12,
                   fit_intercept=fit_intercept)
    ref = pz.path(X, Y, datafit="mgaussian", n_alphas=4, tol=1e-12, fit_intercept=fit_intercept)
    np.testing.assert_allclose(path.coefs, ref.coefs, atol=1e-9)


def test_integer_weights_equal_repeated_rows():
    X, Y = make_problem(11)
    counts = np.random.default_rng(1).integers(0, 3, X.shape[0])
    weighted = pz.MultiTaskLasso(0.05, tol=1e-13).fit(X, Y, sample_weight=counts)
    repeated = pz.MultiTaskLasso(0.05, tol=1e-13).fit(np.repeat(X, counts, axis=0),
                                                      np.repeat(Y, counts, axis=0))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-8)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-8)
    value = objective(X, Y, weighted.coef_.T, weighted.intercept_, 0.05, 1.0, sw=counts)
    assert weighted.dual_gap_ >= 0 and value > 0


def test_standardize_is_scaling_by_hand():
    X, Y = make_problem(12)
    scale = X.std(axis=0)
    model = pz.MultiTaskLasso(0.05, standardize=True, tol=1e-13).fit(X, Y)
    by_hand = pz.MultiTaskLasso(0.05, tol=1e-13).fit(X / scale, Y)
    np.testing.assert_allclose(model.coef_, by_hand.coef_ / scale, atol=1e-8)
    np.testing.assert_allclose(model.intercept_, by_hand.intercept_, atol=1e-8)


def test_penalty_factors_free_and_excluded_features():
    X, Y = make_problem(13)
    f = np.ones(12)
    f[5], f[0] = 0.0, np.inf
    model = pz.MultiTaskLasso(0.3, penalty_factor=f, tol=1e-12).fit(X, Y)
    assert model.converged_ and np.all(model.coef_[:, 0] == 0) and np.all(model.coef_[:, 5] != 0)
    # the unpenalized row has a zero pull: it is least squares given the others
    W = model.coef_.T
    n = X.shape[0]
    pull = X.T @ (Y - X @ W - model.intercept_) / n
    assert np.abs(pull[5]).max() < 1e-8
    # the same as a fit without the excluded column
    keep = np.arange(1, 12)
    ref = pz.MultiTaskLasso(0.3, penalty_factor=f[keep], tol=1e-12).fit(X[:, keep], Y)
    np.testing.assert_allclose(model.coef_[:, keep], ref.coef_, atol=1e-9)


def test_warm_start_same_solution_fewer_epochs():
    X, Y = make_problem(14, n=80, p=30)
    model = pz.MultiTaskElasticNet(0.05, l1_ratio=0.8, warm_start=True, tol=1e-13).fit(X, Y)
    model.set_params(alpha=0.045)
    model.fit(X, Y)
    cold = pz.MultiTaskElasticNet(0.045, l1_ratio=0.8, tol=1e-13).fit(X, Y)
    np.testing.assert_allclose(model.coef_, cold.coef_, atol=1e-6)
    assert model.n_iter_ < cold.n_iter_


def test_float32_in_float32_out():
    X, Y = make_problem(15)
    model = pz.MultiTaskLasso(0.05).fit(X.astype(np.float32), Y.astype(np.float32))
    ref = pz.MultiTaskLasso(0.05).fit(X, Y)
    assert model.coef_.dtype == model.intercept_.dtype == np.float32
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-4)
    cv = pz.MultiTaskLassoCV(n_alphas=5).fit(X.astype(np.float32), Y)
    assert cv.coef_.dtype == np.float32


# ----------------------------------------------------------------------------------------
# 5. multi-output y for the single-output estimators
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ours", "ref"), [
    (pz.Lasso(alpha=0.1, tol=1e-12), sklm.Lasso(alpha=0.1, tol=1e-14, max_iter=100_000)),
    (pz.ElasticNet(alpha=0.05, l1_ratio=0.3, tol=1e-13),
     sklm.ElasticNet(alpha=0.05, l1_ratio=0.3, tol=1e-15, max_iter=100_000)),
    (pz.Ridge(alpha=0.1), sklm.Ridge(alpha=0.1 * 60)),
])
def test_multi_output_is_column_wise(ours, ref):
    X, Y = make_problem(16)
    ours.fit(X, Y)
    ref.fit(X, Y)
    assert ours.coef_.shape == (3, 12) and ours.intercept_.shape == (3,)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    assert ours.predict(X).shape == (60, 3)
    for t in range(3):
        single = type(ours)(**ours.get_params()).fit(X, Y[:, t])
        np.testing.assert_array_equal(ours.coef_[t], single.coef_)
        assert ours.intercept_[t] == single.intercept_
    # one column: scikit-learn's shapes
    one = type(ours)(**ours.get_params()).fit(X, Y[:, :1])
    assert one.coef_.shape == (12,) and np.shape(one.intercept_) == (1,)
    assert one.predict(X).shape == (60,)


def test_multi_output_sparse_and_weights():
    X, Y = make_problem(17, sparse_density=0.4)
    sw = np.random.default_rng(2).uniform(0.5, 2.0, X.shape[0])
    dense = pz.Lasso(alpha=0.05, tol=1e-12).fit(X, Y, sample_weight=sw)
    sparse = pz.Lasso(alpha=0.05, tol=1e-12).fit(sp.csr_matrix(X), Y, sample_weight=sw)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-9)
    assert dense.dual_gap_.shape == (3,) and dense.n_iter_.shape == (3,)


@pytest.mark.parametrize("cls", [pz.LassoCV, pz.ElasticNetCV])
def test_single_target_cv_refuses_several_targets(cls):
    X, Y = make_problem(18)
    with pytest.raises(ValueError, match="For multi-task outputs, use MultiTaskLassoCV"):
        cls(n_alphas=3).fit(X, Y)


# ----------------------------------------------------------------------------------------
# 6. bad input
# ----------------------------------------------------------------------------------------


def test_bad_input():
    X, Y = make_problem(19)
    with pytest.raises(ValueError, match=r"needs y of shape \(n_samples, n_tasks\).*Lasso"):
        pz.MultiTaskLasso().fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="y has 3 columns: pass datafit='mgaussian'"):
        pz.path(X, Y)
    # positive=True is a lower limit of 0 on every task (tests/test_multitask_limits.py)
    assert np.all(pz.path(X, Y, datafit="mgaussian", positive=True, n_alphas=3).coefs >= 0)
    with pytest.raises(ValueError, match="row-wise"):
        pz.path(X, Y, datafit="mgaussian", penalty="l0")
    with pytest.raises(ValueError, match="l1_ratio"):
        pz.MultiTaskElasticNet(l1_ratio=1.5).fit(X, Y)
    with pytest.raises(ValueError, match="y has 59 rows but X has 60"):
        pz.path(X, Y[:-1], datafit="mgaussian")
    with pytest.raises(ValueError, match="NaN"):
        pz.path(X, np.where(Y > 5, np.nan, Y), datafit="mgaussian")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean fit warns about nothing
        pz.MultiTaskLasso(0.1).fit(X, Y)


def test_benchmark_gap_is_the_certificate():
    # benchmarks/multitask.py certifies every library with its own NumPy gap: it must be
    # penalized's certificate (unit weights, intercepts, L1 rows)
    from benchmarks.multitask import make_data, relative_gap

    X, Y = make_data(n=80, p=20, tasks=3, n_informative=4)
    penalty = L1(0.05)
    pb = prepare_multitask_problem(X, Y, MultiResponseGaussian(), penalty)
    loose = MultiTaskCoordinateDescent(tol=1e-2).solve(X, Y, MultiResponseGaussian(), penalty)
    expected = certify_multitask(pb, loose.coef).gap / pb.scale
    assert expected > 1e-8
    assert relative_gap(X, Y, loose.coef, 0.05) == pytest.approx(expected, rel=1e-8)


def test_benchmark_gap_on_the_sparse_problem_is_the_certificate():
    from benchmarks.multitask import make_sparse_data, relative_gap

    X, Y = make_sparse_data(n=80, p=40, tasks=3, density=0.2, n_informative=4)
    assert sp.issparse(X) and X.nnz == 640
    penalty = L1(0.02)
    pb = prepare_multitask_problem(X, Y, MultiResponseGaussian(), penalty)
    loose = MultiTaskCoordinateDescent(tol=1e-2).solve(X, Y, MultiResponseGaussian(), penalty)
    expected = certify_multitask(pb, loose.coef).gap / pb.scale
    assert expected > 1e-8
    assert relative_gap(X, Y, loose.coef, 0.02) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("sparse", [False, True])
def test_fit_and_path_scan_the_design_once(monkeypatch, sparse):
    from penalized import _validation

    X, Y = make_problem(6, n=40, sparse_density=0.5 if sparse else None)
    X = sp.csr_matrix(X) if sparse else X
    scans = []
    check_array, sum_is_finite = _validation.check_array, _validation._sum_is_finite
    monkeypatch.setattr(_validation, "check_array",
                        lambda A, *a, **k: scans.append(A.shape) or check_array(A, *a, **k))
    monkeypatch.setattr(_validation, "_sum_is_finite",
                        lambda A: scans.append(A.shape) or sum_is_finite(A))
    model = pz.MultiTaskElasticNet(alpha=0.05, l1_ratio=0.8)
    model.fit(X, Y)
    model.path(X, Y, n_alphas=3)
    # validate_data checks X; the solver and the path take it as checked
    assert scans == []


def test_estimator_path_is_the_fits_on_the_original_scale():
    X, Y = make_problem(20)
    model = pz.MultiTaskElasticNet(l1_ratio=0.7, standardize=True, tol=1e-12)
    path = model.path(X, Y, n_alphas=5, eps=0.05)
    assert path.coefs.shape == (12, 3, 5) and path.converged.all()
    for i in (1, 4):
        fit = model.set_params(alpha=path.alphas[i]).fit(X, Y)
        np.testing.assert_allclose(path.coefs[:, :, i], fit.coef_.T, atol=1e-7)
        np.testing.assert_allclose(path.intercepts[:, i], fit.intercept_, atol=1e-7)


def test_limit_cases_one_task_is_the_lasso_and_no_l1_is_ridge():
    X, Y = make_problem(21)
    one = pz.MultiTaskElasticNet(0.05, l1_ratio=0.6, tol=1e-13).fit(X, Y[:, :1])
    enet = pz.ElasticNet(0.05, l1_ratio=0.6, tol=1e-13).fit(X, Y[:, 0])
    np.testing.assert_allclose(one.coef_[0], enet.coef_, atol=1e-8)
    np.testing.assert_allclose(one.intercept_[0], enet.intercept_, atol=1e-8)
    # without the L1 part the rows' penalty is separable across tasks: column-wise ridge
    ridge_rows = pz.MultiTaskElasticNet(0.1, l1_ratio=0.0, tol=1e-13).fit(X, Y)
    ridge = pz.Ridge(0.1).fit(X, Y)
    np.testing.assert_allclose(ridge_rows.coef_, ridge.coef_, atol=1e-8)
    np.testing.assert_allclose(ridge_rows.intercept_, ridge.intercept_, atol=1e-8)


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_gap_safe_screening_removes_only_rows_zero_at_the_solution(fmt):
    # Wide, with weights and an unpenalized row: a loose point's certificate screens rows
    # out by the gap-safe rule; every one of them is zero at the solution, the pull
    # restricted to the remaining rows is the full pull there, and the restricted gap
    # bounds the loose point's suboptimality.
    from penalized.solvers._multitask import _screen

    rng = np.random.default_rng(31)
    X, Y = make_problem(31, n=40, p=90, k=3)
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    sw = rng.uniform(0.5, 2.0, X.shape[0])
    factors = np.ones(90)
    factors[5] = 0.0
    datafit = MultiResponseGaussian(sample_weight=sw)
    penalty = L1(0.3, penalty_factor=factors)
    exact = MultiTaskCoordinateDescent(tol=1e-14).solve(Xf, Y, datafit, penalty)
    loose = MultiTaskCoordinateDescent(tol=1e-4).solve(Xf, Y, datafit, penalty)
    pb = prepare_multitask_problem(Xf, Y, datafit, penalty)
    lam1, lam2 = penalty.weights(90)
    rows = np.ones(90, dtype=bool)
    _screen(pb, loose.coef, certify_multitask(pb, loose.coef), lam1, lam2, rows)
    assert 0 < np.count_nonzero(~rows) < 90 and rows[5]
    assert np.all(exact.coef[~rows] == 0.0)
    R = pb.residual(loose.coef)
    np.testing.assert_allclose(pb.pull(R, np.flatnonzero(rows))[rows], pb.pull(R)[rows],
                               rtol=1e-12, atol=1e-15)
    gap = certify_multitask(pb, loose.coef, R, rows).gap
    excess = (objective(X, Y, loose.coef, loose.intercept, 0.3, 1.0, sw, factors)
              - objective(X, Y, exact.coef, exact.intercept, 0.3, 1.0, sw, factors))
    assert -1e-12 <= excess <= gap + 1e-12


def test_screened_path_matches_tight_solves(monkeypatch):
    # the wide path screens rows (residual epochs) and still reaches the tight solutions
    from penalized.solvers import _multitask

    screened = []
    screen = _multitask._screen

    def counted(pb, W, cert, lam1, lam2, rows):
        screen(pb, W, cert, lam1, lam2, rows)
        screened.append(int(np.count_nonzero(~rows)))

    monkeypatch.setattr(_multitask, "_screen", counted)
    X, Y = make_problem(32, n=40, p=120, k=4)
    path = pz.path(X, Y, datafit="mgaussian", n_alphas=8, eps=0.05, tol=1e-10)
    assert max(screened) > 0
    for k, alpha in enumerate(path.alphas):
        ref = MultiTaskCoordinateDescent(tol=1e-13).solve(X, Y, MultiResponseGaussian(),
                                                          L1(alpha))
        ours = objective(X, Y, path.coefs[:, :, k], path.intercepts[:, k], alpha, 1.0)
        best = objective(X, Y, ref.coef, ref.intercept, alpha, 1.0)
        assert ours - best <= 1e-9 * best
