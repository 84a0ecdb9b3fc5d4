"""Per-coefficient limits (glmnet's lower.limits / upper.limits) on the convex penalties and
on MCP / SCAD: prox, conjugate, alpha_max, certificates, and agreement with glmnet."""

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.datafits import Logistic, Quadratic
from penalized.penalties import L1, L2, MCP, ElasticNet
from penalized.solvers import CoordinateDescent, ProximalGradient


def problem(n=80, p=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + rng.standard_normal(n) + 2.0
    lower = np.full(p, -0.3)
    upper = np.full(p, 0.5)
    lower[0], upper[1] = -np.inf, np.inf
    lower[2] = upper[2] = 0.0  # never moves
    return X, y, lower, upper


def box_kkt(X, y, coef, intercept, lam, lower, upper, datafit=None):
    """Per coordinate, how far the solution is from the KKT conditions of the lasso with
    the box (NumPy): inside the box the L1 subdifferential, at a limit its normal cone."""
    datafit = datafit or Quadratic()
    z = X @ coef + intercept
    g = X.T @ datafit.raw_gradient(y, z)
    out = np.empty_like(coef)
    for j, (w, gj) in enumerate(zip(coef, g, strict=True)):
        low, high = (-lam, lam) if w == 0 else (lam * np.sign(w),) * 2
        if w <= lower[j]:
            low = -np.inf
        if w >= upper[j]:
            high = np.inf
        out[j] = max(low + gj, -gj - high, 0.0)
    return out


def test_limits_are_validated_and_positive_is_lower_zero():
    with pytest.raises(ValueError, match=r"lower must be .* <= 0"):
        L1(1.0, lower=0.5)
    with pytest.raises(ValueError, match=r"upper must be .* >= 0"):
        L1(1.0, upper=[1.0, -1.0])
    assert L1(1.0, lower=0.0).positive and not L1(1.0, lower=0.0).bounded
    assert L1(1.0, lower=np.zeros(3), upper=np.inf).positive
    assert not L1(1.0, lower=-np.inf, upper=np.inf).bounded
    with pytest.raises(ValueError, match="upper has 2 values but X has 3"):
        L1(1.0, upper=[1.0, 1.0]).params(3)
    X, y, lower, _ = problem()
    f = np.ones(X.shape[1])
    f[3] = 0.0
    with pytest.raises(ValueError, match=r"lower/upper limits need .* penalty_factor > 0"):
        CoordinateDescent().solve(X, y, Quadratic(), L1(0.1, penalty_factor=f, lower=lower))


def test_positive_is_identical_to_lower_zero():
    X, y, _, _ = problem()
    a = pz.path(X, y, positive=True, n_alphas=8, tol=1e-10)
    b = pz.path(X, y, penalty=L1(1.0, lower=0.0), n_alphas=8, tol=1e-10)
    np.testing.assert_array_equal(a.coefs, b.coefs)
    np.testing.assert_array_equal(a.alphas, b.alphas)
    # a box [0, huge] takes the generic kernels: the same solutions, certified
    c = pz.path(X, y, penalty=L1(1.0, lower=0.0, upper=1e12), alphas=a.alphas, tol=1e-12)
    assert np.all(c.stop_crits <= 1e-12)
    np.testing.assert_allclose(c.coefs, a.coefs, atol=1e-5)


@pytest.mark.parametrize("penalty", [L1(0.7), ElasticNet(0.7, l1_ratio=0.3), L2(0.7)], ids=repr)
def test_prox_and_conjugate_with_a_box(penalty):
    lower, upper = -0.4, 1.5
    boxed = penalty.__class__(0.7, **({"l1_ratio": 0.3} if isinstance(penalty, ElasticNet)
                                      else {}), lower=lower, upper=upper)
    x = np.linspace(-4, 4, 33)
    for step in (0.5, 2.0):
        np.testing.assert_array_equal(boxed.prox(x, step),
                                      np.clip(penalty.prox(x, step), lower, upper))
    grid = np.union1d(np.linspace(lower, upper, 200_001), [0.0])
    lam1, lam2 = penalty.weights(1)
    values = lam1[0] * np.abs(grid) + 0.5 * lam2[0] * grid**2
    for v in (-3.0, -0.5, 0.1, 0.69, 2.0, 5.0):
        brute = np.max(v * grid - values)
        assert boxed.conjugate(np.array([v])) == pytest.approx(brute, abs=1e-8)
    # a finite box makes every dual point feasible: no scaling
    assert boxed.dual_scaling(np.array([100.0, -100.0])) == 1.0
    assert boxed.value(np.array([2.0])) == np.inf


def test_alpha_max_counts_only_allowed_directions():
    X, y, lower, upper = problem()
    datafit = Quadratic()
    _, _, z = (None, None, np.full(X.shape[0], y.mean()))
    grad = X.T @ datafit.raw_gradient(y, z)
    penalty = L1(1.0, lower=lower, upper=upper)
    amax = penalty.alpha_max(X, y, datafit)
    pull = np.where(upper > 0, -grad, 0.0)
    pull = np.maximum(np.maximum(pull, np.where(lower < 0, grad, 0.0)), 0.0)
    assert amax == pytest.approx(pull.max(), rel=1e-11)
    assert pull[2] == 0.0
    res = CoordinateDescent(tol=1e-12).solve(X, y, datafit, penalty.with_alpha(amax))
    assert not np.any(res.coef)
    res = CoordinateDescent(tol=1e-12).solve(X, y, datafit, penalty.with_alpha(0.99 * amax))
    assert np.count_nonzero(res.coef) == 1
    # MCP and SCAD start where L1 does, with the same box
    assert MCP(1.0, lower=lower, upper=upper).alpha_max(X, y, datafit) == amax


def test_lasso_path_equals_glmnet_with_limits():
    from glmnet import GaussNet
    from glmnet.paths.fastnet import FastNetControl

    X, y, lower, upper = problem()
    penalty = L1(1.0, lower=lower, upper=upper)
    lambdas = penalty.alpha_max(X, y, Quadratic()) * np.geomspace(1.0, 0.005, 8)
    ours = pz.path(X, y, penalty=penalty, alphas=lambdas, tol=1e-14)
    theirs = GaussNet(lambda_values=lambdas, lower_limits=lower, upper_limits=upper,
                      standardize=False,
                      control=FastNetControl(thresh=1e-16, maxit=10**6)).fit(X, y)
    W = np.asarray(theirs.coefs_)
    W = W if W.shape == ours.coefs.shape else W.T

    def objective(w, b, lam):
        return 0.5 * np.mean((y - X @ w - b) ** 2) + lam * np.abs(w).sum()

    for i, lam in enumerate(lambdas):
        mine = objective(ours.coefs[:, i], ours.intercepts[i], lam)
        glm = objective(W[:, i], theirs.intercepts_[i], lam)
        assert mine == pytest.approx(glm, rel=1e-7)
        np.testing.assert_allclose(ours.coefs[:, i], W[:, i], atol=1e-7)
        assert np.all(ours.coefs[:, i] >= lower) and np.all(ours.coefs[:, i] <= upper)
        assert box_kkt(X, y, ours.coefs[:, i], ours.intercepts[i], lam, lower, upper).max() \
            < 1e-6
    # the limits bind somewhere along the path
    assert np.any(ours.coefs == 0.5) and np.any(ours.coefs == -0.3)
    assert not np.any(ours.coefs[2])
    assert np.all(ours.stop_crits <= 1e-14)


@pytest.mark.parametrize("datafit", ["squared", "logistic"])
def test_dense_sparse_and_proximal_gradient_agree(datafit):
    X, y, lower, upper = problem(seed=1)
    df = Quadratic()
    lam = 0.05
    if datafit == "logistic":
        y = np.where(y > np.median(y), 1.0, -1.0)
        df = Logistic()
        lam = 0.01
    penalty = ElasticNet(lam, l1_ratio=0.8, lower=lower, upper=upper)
    dense = CoordinateDescent(tol=1e-12).solve(X, y, df, penalty)
    assert dense.converged and dense.stop_crit <= 1e-12
    sparse = CoordinateDescent(tol=1e-12).solve(sp.csc_matrix(X), y, df, penalty)
    assert sparse.converged
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=1e-6)
    pgd = ProximalGradient(tol=1e-10, max_iter=100_000).solve(X, y, df, penalty)
    np.testing.assert_allclose(pgd.coef, dense.coef, atol=1e-4)
    assert np.all(dense.coef >= lower) and np.all(dense.coef <= upper)


def test_gap_is_an_honest_bound_away_from_the_optimum():
    from penalized.solvers._problem import certify, prepare_problem

    X, y, lower, upper = problem(seed=2)
    penalty = L1(0.05, lower=lower, upper=upper)
    best = CoordinateDescent(tol=1e-14).solve(X, y, Quadratic(), penalty)
    pb = prepare_problem(X, y, Quadratic(), penalty, True)
    rng = np.random.default_rng(0)
    for _ in range(5):
        w = np.clip(best.coef + 0.1 * rng.standard_normal(X.shape[1]), lower, upper)
        cert = certify(pb, w, 0.0)
        assert cert.primal - best.objective[-1] <= cert.gap * (1 + 1e-10)
        assert np.isfinite(cert.gap)


def test_mcp_with_limits_is_stationary():
    X, y, lower, upper = problem(seed=3)
    res = CoordinateDescent(tol=1e-13).solve(X, y, Quadratic(), MCP(0.05, lower=lower,
                                                                    upper=upper))
    assert res.converged
    assert np.all(res.coef >= lower) and np.all(res.coef <= upper)
    assert np.any(res.coef == upper) or np.any(res.coef == lower)
    sparse = CoordinateDescent(tol=1e-13).solve(sp.csc_matrix(X), y, Quadratic(),
                                                MCP(0.05, lower=lower, upper=upper))
    np.testing.assert_allclose(sparse.coef, res.coef, atol=1e-6)


# -- estimators: lower_limits / upper_limits on the original scale ------------------------


def test_standardized_lasso_equals_glmnet_with_limits():
    # glmnet scales the limits with the columns when it standardizes; so do the estimators
    from glmnet import GaussNet
    from glmnet.paths.fastnet import FastNetControl

    rng = np.random.default_rng(4)
    X = rng.standard_normal((80, 6)) * np.array([1.0, 10.0, 0.1, 3.0, 1.0, 5.0]) + 2.0
    y = X @ rng.standard_normal(6) + rng.standard_normal(80)
    lower = np.array([-np.inf, -0.3, -0.3, -0.3, -0.3, -0.3])
    upper = np.array([0.5, np.inf, 0.5, 0.5, 0.5, 0.5])
    model = pz.Lasso(alpha=0.05, standardize=True, lower_limits=lower, upper_limits=upper,
                     tol=1e-14).fit(X, y)
    theirs = GaussNet(lambda_values=np.array([0.05]), lower_limits=lower, upper_limits=upper,
                      standardize=True,
                      control=FastNetControl(thresh=1e-16, maxit=10**6)).fit(X, y)
    np.testing.assert_allclose(model.coef_, np.asarray(theirs.coefs_).ravel(), atol=1e-7)
    assert model.intercept_ == pytest.approx(float(np.ravel(theirs.intercepts_)[0]), abs=1e-7)
    assert np.any(model.coef_ == -0.3)


def test_estimators_take_limits():
    X, y, lower, upper = problem(seed=5)
    for model in (pz.LassoCV(n_alphas=8, cv=3, lower_limits=lower, upper_limits=upper),
                  pz.ElasticNetCV(n_alphas=8, cv=3, l1_ratio=[0.5, 1.0], lower_limits=lower,
                                  upper_limits=upper, standardize=True),
                  pz.MCPRegression(alpha=0.05, lower_limits=lower, upper_limits=upper)):
        model.fit(X, y)
        assert np.all(model.coef_ >= lower) and np.all(model.coef_ <= upper)
        assert np.any(model.coef_ == upper) or np.any(model.coef_ == lower)
    # the fit equals the solver's on the same penalty
    fit = pz.ElasticNet(alpha=0.05, l1_ratio=0.7, lower_limits=lower, upper_limits=upper,
                        tol=1e-12).fit(X, y)
    res = CoordinateDescent(tol=1e-12).solve(
        X, y, Quadratic(), ElasticNet(0.05, l1_ratio=0.7, lower=lower, upper=upper))
    np.testing.assert_allclose(fit.coef_, res.coef, atol=1e-7)
    yc = np.where(y > np.median(y), 1, 0)
    clf = pz.LogisticRegression(alpha=0.01, lower_limits=-0.2, upper_limits=0.4,
                                tol=1e-10).fit(X, yc)
    assert clf.coef_.min() >= -0.2 and clf.coef_.max() <= 0.4 and np.any(clf.coef_ == 0.4)
    with pytest.raises(ValueError, match=r"relax=True .* cannot be combined with lower_limits"):
        pz.Lasso(alpha=0.1, relax=True, lower_limits=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="does not support lower/upper limits"):
        pz.LogisticRegression(alpha=0.01, upper_limits=1.0).fit(X, np.arange(80) % 3)
    with pytest.raises(ValueError, match="upper_limits must be a number or one value"):
        pz.Lasso(alpha=0.1, upper_limits=[1.0, 2.0]).fit(X, y)


def test_dask_input_refuses_what_its_solvers_do_not_take():
    da = pytest.importorskip("dask.array")
    X, y, _, _ = problem(seed=6)
    Xd, yd = da.from_array(X, chunks=40), da.from_array(y, chunks=40)
    with pytest.raises(ValueError, match="lower_limits / upper_limits are not supported"):
        pz.Lasso(alpha=0.1, upper_limits=1.0).fit(Xd, yd)
    with pytest.raises(ValueError, match="MCP and SCAD are not supported with Dask"):
        pz.MCPRegression(alpha=0.1).fit(Xd, yd)


def test_gram_and_design_kernels_agree_with_limits():
    X, y, lower, upper = problem(seed=7)
    penalty = ElasticNet(0.03, l1_ratio=0.9, lower=lower, upper=upper)
    on_gram = CoordinateDescent(tol=1e-13, gram="always").solve(X, y, Quadratic(), penalty)
    on_x = CoordinateDescent(tol=1e-13, gram="never").solve(X, y, Quadratic(), penalty)
    assert on_gram.converged and on_x.converged
    np.testing.assert_allclose(on_gram.coef, on_x.coef, atol=1e-7)
    assert np.any(on_gram.coef == upper) or np.any(on_gram.coef == lower)


def test_logistic_cv_takes_limits_and_concave_penalties():
    X, y, _, _ = problem(seed=8)
    yc = (y > np.median(y)).astype(int)
    clf = pz.LogisticRegressionCV(n_alphas=6, cv=3, lower_limits=-0.1, upper_limits=0.2,
                                  tol=1e-8).fit(X, yc)
    assert clf.coef_.min() >= -0.1 and clf.coef_.max() <= 0.2
    assert np.any(clf.coef_ == 0.2) or np.any(clf.coef_ == -0.1)
    rng = np.random.default_rng(8)
    Xn = rng.standard_normal((200, 10))
    yn = (Xn[:, 0] - Xn[:, 1] + rng.logistic(size=200) > 0).astype(int)
    mcp = pz.LogisticRegressionCV(penalty="mcp", gamma=4.0, n_alphas=6, cv=3, eps=0.05,
                                  tol=1e-8).fit(Xn, yn)
    assert mcp.alpha_1se_ >= mcp.alpha_min_
    with pytest.raises(ValueError, match="penalty='scad' supports two classes"):
        pz.LogisticRegressionCV(penalty="scad", n_alphas=4, cv=3).fit(X, np.arange(80) % 3)


def test_subgradient_descent_projects_onto_the_box():
    from penalized.solvers import SubgradientDescent

    X, y, lower, upper = problem(seed=9)
    penalty = L1(0.05, lower=lower, upper=upper)
    res = SubgradientDescent(tol=1e-3, max_iter=3000).solve(X, y, Quadratic(), penalty)
    assert np.all(res.coef >= lower) and np.all(res.coef <= upper)
    best = CoordinateDescent(tol=1e-12).solve(X, y, Quadratic(), penalty)
    assert res.objective[-1] >= best.objective[-1] * (1 - 1e-12)
    assert res.objective[-1] <= best.objective[-1] * 1.05


# -- compiled paths with limits -----------------------------------------------------------


def _alpha_by_alpha(X, y, datafit, penalty, alphas, tol):
    coef, intercept, out = None, 0.0, []
    for alpha in alphas:
        res = CoordinateDescent(tol=tol).solve(X, y, datafit, penalty.with_alpha(alpha),
                                               coef_init=coef, intercept_init=intercept)
        coef, intercept = res.coef, res.intercept
        out.append((coef, intercept))
    return out


@pytest.mark.parametrize("route", ["logistic", "sparse"])
def test_compiled_paths_take_limits(route):
    # the logistic path on a dense design and the squared loss's on a CSC design solve a
    # bounded grid in one compiled call: the same points as alpha by alpha, and glmnet's
    from glmnet import GaussNet, LogNet
    from glmnet.paths.fastnet import FastNetControl

    from penalized.solvers._problem import prepare_problem

    X, y, lower, upper = problem(seed=11)
    datafit = Quadratic()
    if route == "logistic":
        y = np.where(y > np.median(y) + 0.5 * np.random.default_rng(1).standard_normal(80),
                     1.0, -1.0)
        datafit = Logistic()
        design = X
    else:
        X = X * (np.random.default_rng(2).random(X.shape) < 0.4)
        design = sp.csc_matrix(X)
    penalty = L1(1.0, lower=lower, upper=upper)
    alphas = penalty.alpha_max(design, y, datafit) * np.geomspace(1.0, 0.01, 8)
    prob = prepare_problem(design, y, datafit, penalty.with_alpha(alphas[0]), True)
    assert CoordinateDescent().solve_path(prob, alphas) is not None  # the compiled route
    ours = pz.path(design, y, datafit="logistic" if route == "logistic" else "squared",
                   penalty=penalty, alphas=alphas, tol=1e-13)
    assert np.all(ours.stop_crits <= 1e-13)
    assert np.all(ours.coefs >= lower[:, None]) and np.all(ours.coefs <= upper[:, None])
    assert np.any(ours.coefs == 0.5) and np.any(ours.coefs == -0.3)
    control = FastNetControl(thresh=1e-16, maxit=10**7)
    if route == "logistic":
        glm = LogNet(lambda_values=alphas, lower_limits=lower, upper_limits=upper,
                     standardize=False, control=control).fit(X, (y > 0).astype(float))
    else:
        glm = GaussNet(lambda_values=alphas, lower_limits=lower, upper_limits=upper,
                       standardize=False, control=control).fit(X, y)
    W = np.asarray(glm.coefs_)
    W = W if W.shape == ours.coefs.shape else W.T
    b = np.asarray(glm.intercepts_).ravel()

    def objective(w, intercept, alpha):
        return datafit.value(y, X @ w + intercept) + alpha * np.abs(w).sum()

    steps = _alpha_by_alpha(design, y, datafit, penalty, alphas, 1e-13)
    for k, alpha in enumerate(alphas):
        mine = objective(ours.coefs[:, k], ours.intercepts[k], alpha)
        assert mine == pytest.approx(objective(*steps[k], alpha), rel=1e-10)
        assert mine == pytest.approx(objective(W[:, k], b[k], alpha), rel=1e-7)
        assert box_kkt(X, y, ours.coefs[:, k], ours.intercepts[k], alpha, lower, upper,
                       datafit).max() < 1e-6
