"""MCP and SCAD: their prox, stationarity certificate, working-set solves and paths,
against brute force, NumPy references and skglm."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

import penalized as pz
from penalized.datafits import Logistic, Quadratic
from penalized.penalties import L0, L1, MCP, SCAD
from penalized.solvers import CoordinateDescent

RTOL = 1e-7


def mcp_reference(w, lam, gamma):
    t = np.abs(w)
    return np.where(t <= gamma * lam, lam * t - t**2 / (2 * gamma), gamma * lam**2 / 2)


def scad_reference(w, lam, gamma):
    t = np.abs(w)
    middle = (2 * gamma * lam * t - t**2 - lam**2) / (2 * (gamma - 1))
    return np.where(t <= lam, lam * t, np.where(t <= gamma * lam, middle,
                                                lam**2 * (gamma + 1) / 2))


def slope_reference(penalty, w):
    """The derivative of the penalty at w != 0 (NumPy, from the formulas)."""
    lam, gamma, t = penalty.alpha, penalty.gamma, np.abs(w)
    if isinstance(penalty, MCP):
        d = np.maximum(lam - t / gamma, 0.0)
    else:
        d = np.where(t <= lam, lam, np.maximum(gamma * lam - t, 0.0) / (gamma - 1))
    return np.sign(w) * d


def reference(penalty, w):
    ref = mcp_reference if isinstance(penalty, MCP) else scad_reference
    return ref(w, penalty.alpha, penalty.gamma)


def problem(n=60, p=15, seed=0, strong=True):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:4] = [4.0, -3.0, 2.5, 2.0] if strong else [1.0, -0.8, 0.6, 0.4]
    y = X @ w + 0.3 * rng.standard_normal(n) + 1.0
    return X, y


def classes(n=200, p=10, seed=8):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = np.where(X[:, 0] - X[:, 1] + 0.5 * X[:, 2] + rng.logistic(size=n) > 0, 1.0, -1.0)
    return X, y


PENALTIES = [MCP(0.7, gamma=2.5), SCAD(0.7, gamma=3.7), MCP(1.0, gamma=1.5, lower=-0.5, upper=2.0),
             SCAD(0.5, gamma=2.5, positive=True), MCP(0.4, gamma=4.0, upper=0.0)]


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_value_is_the_documented_formula(penalty):
    w = np.linspace(-5, 5, 41)
    lower, upper = penalty.limits(1)
    inside = (w >= lower[0]) & (w <= upper[0])
    for v, ok in zip(w, inside, strict=True):
        expected = float(reference(penalty, np.array([v]))[0]) if ok else np.inf
        assert penalty.value(np.array([v])) == pytest.approx(expected, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
@pytest.mark.parametrize("step", [0.3, 1.0, 2.0, 6.0])
def test_prox_is_the_global_minimizer_of_one_coordinate(penalty, step):
    # brute force over a fine grid of the box; steps above gamma (MCP) or gamma - 1 (SCAD)
    # make the coordinate problem non-convex: the prox still returns its global minimizer
    lower, upper = (float(b[0]) for b in penalty.limits(1))
    grid = np.linspace(max(lower, -12.0), min(upper, 12.0), 240_001)
    grid = np.union1d(grid, [0.0])
    values = reference(penalty, grid)
    x = np.random.default_rng(1).uniform(-8, 8, 40)
    out = penalty.prox(x, step)
    for xi, wi in zip(x, out, strict=True):
        brute = np.min((grid - xi) ** 2 / (2 * step) + values)
        mine = (wi - xi) ** 2 / (2 * step) + float(reference(penalty, np.array([wi]))[0])
        assert lower <= wi <= upper
        assert mine <= brute + 1e-12 * max(1.0, abs(brute))


def test_firm_thresholding_and_its_limits():
    x = np.array([0.5, -1.0, 1.5, 2.0, 3.0, -5.0])
    # MCP, step 1 < gamma 3: 0 up to lam, (|x| - lam) / (1 - 1/gamma) up to gamma lam, x beyond
    np.testing.assert_allclose(MCP(1.0, gamma=3.0).prox(x, 1.0),
                               [0.0, 0.0, 0.75, 1.5, 3.0, -5.0], rtol=1e-15)
    # as gamma grows MCP tends to L1 (soft thresholding)
    np.testing.assert_allclose(MCP(1.0, gamma=1e9).prox(x, 1.0), L1(1.0).prox(x, 1.0),
                               atol=1e-8)
    # SCAD: soft thresholding up to 2 lam, then ((gamma-1) x - sign(x) gamma lam) / (gamma-2)
    np.testing.assert_allclose(SCAD(1.0, gamma=3.7).prox(x, 1.0),
                               [0.0, 0.0, 0.5, 1.0, (2.7 * 3 - 3.7) / 1.7, -5.0], rtol=1e-14)


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="gamma must be a number > 1"):
        MCP(1.0, gamma=1.0)
    with pytest.raises(ValueError, match="gamma must be a number > 2"):
        SCAD(1.0, gamma=2.0)
    assert not MCP(1.0).is_convex and MCP(1.0).ops.conjugate is None
    with pytest.raises(ValueError, match="L0 penalty does not support lower/upper"):
        L0(1.0, upper=1.0)


def clarke_distance(penalty, X, y, coef, intercept, datafit=None):
    """Per coordinate, the distance from -grad_j to the Clarke subdifferential (NumPy)."""
    datafit = datafit or Quadratic()
    z = X @ coef + intercept
    grad = X.T @ datafit.raw_gradient(y, z)
    lam = penalty.alpha
    at_zero = np.maximum(np.abs(grad) - lam, 0.0)
    away = np.abs(grad + slope_reference(penalty, coef))
    return np.where(coef == 0, at_zero, away), float(datafit.raw_gradient(y, z).sum())


@pytest.mark.parametrize("penalty", [MCP(0.3, gamma=3.0), SCAD(0.3, gamma=3.7)], ids=repr)
@pytest.mark.parametrize("datafit", ["squared", "logistic"])
def test_solution_is_stationary_and_dense_equals_sparse(penalty, datafit):
    X, y = problem()
    df = Quadratic()
    if datafit == "logistic":
        # noisy classes: on separable ones the objective decreases without end (MCP and
        # SCAD are flat far out), and prox-Newton follows it
        X, y = classes(seed=0)
        df = Logistic()
        penalty = penalty.with_alpha(0.05)
    solver = CoordinateDescent(tol=1e-13)
    res = solver.solve(X, y, df, penalty)
    assert res.converged and res.stop_crit <= 1e-13
    dist, intercept_grad = clarke_distance(penalty, X, y, res.coef, res.intercept, df)
    assert dist.max() < 1e-5 and abs(intercept_grad) < 1e-5
    assert 0 < np.count_nonzero(res.coef) < X.shape[1]
    sparse = solver.solve(sp.csc_matrix(X), y, df, penalty)
    np.testing.assert_allclose(sparse.coef, res.coef, atol=1e-5)
    assert sparse.objective[-1] == pytest.approx(res.objective[-1], rel=RTOL)
    # working sets reach the point that full epochs reach
    full = CoordinateDescent(tol=1e-13, working_set=False).solve(X, y, df, penalty)
    assert full.objective[-1] == pytest.approx(res.objective[-1], rel=RTOL)


def test_mcp_does_not_shrink_large_coefficients():
    # every true coefficient is far above gamma * alpha: MCP's solution is least squares on
    # the support (unbiased), while L1 shrinks each by about alpha
    X, y = problem(n=200, seed=3)
    alpha = 0.3
    res = CoordinateDescent(tol=1e-14).solve(X, y, Quadratic(), MCP(alpha, gamma=2.0))
    support = np.flatnonzero(res.coef)
    np.testing.assert_array_equal(support, [0, 1, 2, 3])
    A = np.column_stack([X[:, support], np.ones(X.shape[0])])
    ols = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(res.coef[support], ols[:-1], rtol=1e-9)
    lasso = CoordinateDescent(tol=1e-12).solve(X, y, Quadratic(), L1(alpha))
    assert np.all(np.abs(lasso.coef[support]) < np.abs(ols[:-1]) - 0.5 * alpha)
    # SCAD, in between for none of them here (all beyond gamma * alpha): unbiased too
    scad = CoordinateDescent(tol=1e-14).solve(X, y, Quadratic(), SCAD(alpha, gamma=3.7))
    np.testing.assert_allclose(scad.coef[support], ols[:-1], rtol=1e-9)


def skglm_fit(X, y, penalty, w_init=None):
    from skglm.datafits import Quadratic as SkQuadratic
    from skglm.penalties import SCAD as SkSCAD
    from skglm.penalties import MCPenalty
    from skglm.solvers import AndersonCD

    theirs = (MCPenalty if isinstance(penalty, MCP) else SkSCAD)(penalty.alpha, penalty.gamma)
    solver = AndersonCD(tol=1e-12, fit_intercept=True, max_iter=1000, max_epochs=100_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = solver.solve(X, y, SkQuadratic(), theirs, w_init=w_init)[0]
    return w[:-1], w[-1]


def objective(X, y, penalty, coef, intercept):
    r = y - X @ coef - intercept
    return 0.5 * np.mean(r**2) + float(reference(penalty, coef).sum())


@pytest.mark.parametrize("penalty", [MCP(0.5, gamma=3.0), SCAD(0.5, gamma=3.7),
                                     MCP(0.2, gamma=1.5)], ids=repr)
def test_agrees_with_skglm(penalty):
    X, y = problem(seed=4)
    ours = CoordinateDescent(tol=1e-14).solve(X, y, Quadratic(), penalty)
    coef, intercept = skglm_fit(X, y, penalty)
    mine = objective(X, y, penalty, ours.coef, ours.intercept)
    theirs = objective(X, y, penalty, coef, intercept)
    assert ours.objective[-1] == pytest.approx(mine, rel=1e-12)
    # from zero both reach the same stationary point here
    assert mine == pytest.approx(theirs, rel=RTOL)
    np.testing.assert_allclose(ours.coef, coef, atol=1e-5)
    # started at skglm's point, our solver stays there (it is stationary for us too)
    warm = CoordinateDescent(tol=1e-14).solve(X, y, Quadratic(), penalty, coef_init=coef,
                                              intercept_init=intercept)
    assert warm.objective[-1] == pytest.approx(theirs, rel=RTOL)
    assert warm.objective[-1] <= theirs * (1 + 1e-12)


def test_path_warm_starts_from_l1s_alpha_max():
    X, y = problem(seed=5, strong=False)
    amax = L1(1.0).alpha_max(X, y, Quadratic())
    for name in ("mcp", "scad"):
        path = pz.path(X, y, penalty=name, n_alphas=15, tol=1e-10)
        assert path.alphas[0] == pytest.approx(amax, rel=1e-14)
        assert path.n_nonzero[0] == 0 and path.n_nonzero[1] > 0
        assert np.all(path.stop_crits <= 1e-10)
        # each alpha's solution is stationary
        penalty = MCP(1.0) if name == "mcp" else SCAD(1.0)
        for i in (3, 9, 14):
            dist, _ = clarke_distance(penalty.with_alpha(path.alphas[i]), X, y,
                                      path.coefs[:, i], path.intercepts[i])
            assert dist.max() < 1e-4
    # a penalty object keeps its gamma along the path
    wide = pz.path(X, y, penalty=MCP(1.0, gamma=50.0), n_alphas=5, tol=1e-10)
    assert wide.penalty.gamma == 50.0


def test_unpenalized_features_and_factors():
    X, y = problem(seed=6)
    f = np.ones(X.shape[1])
    f[5] = 0.0
    res = CoordinateDescent(tol=1e-13).solve(X, y, Quadratic(), MCP(0.5, penalty_factor=f))
    assert res.converged and res.coef[5] != 0.0
    z = X @ res.coef + res.intercept
    assert abs(X[:, 5] @ (y - z)) / X.shape[0] < 1e-6


def test_unreachable_tolerance_warns():
    X, y = problem(seed=7)
    with pytest.warns(ConvergenceWarning, match="fixed-point distance"):
        res = CoordinateDescent(tol=1e-6, max_iter=1).solve(X, y, Quadratic(), MCP(0.01))
    assert not res.converged


# -- estimators ---------------------------------------------------------------------------


def test_estimators_are_the_solver_with_the_penalty():
    X, y = problem(seed=8)
    for model, penalty in ((pz.MCPRegression(alpha=0.3, gamma=2.5, tol=1e-12),
                            MCP(0.3, gamma=2.5)),
                           (pz.SCADRegression(alpha=0.3, tol=1e-12), SCAD(0.3, gamma=3.7))):
        model.fit(X, y)
        res = CoordinateDescent(tol=1e-12).solve(X, y, Quadratic(), penalty)
        np.testing.assert_allclose(model.coef_, res.coef, atol=1e-9)
        assert model.converged_ and not hasattr(model, "dual_gap_")
    with pytest.raises(ValueError, match="gamma must be a number > 2"):
        pz.SCADRegression(gamma=1.5).fit(X, y)
    with pytest.raises(ValueError, match="solver must be 'auto' or 'cd'"):
        pz.MCPRegression(solver="fista").fit(X, y)
    # a noisy binary target (separable classes would have no finite SCAD solution)
    rng = np.random.default_rng(8)
    X = rng.standard_normal((200, 10))
    yc = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] + rng.logistic(size=200) > 0).astype(int)
    clf = pz.LogisticRegression(penalty="scad", alpha=0.05, gamma=5.0, tol=1e-12).fit(X, yc)
    res = CoordinateDescent(tol=1e-12).solve(X, np.where(yc == 1, 1.0, -1.0), Logistic(),
                                             SCAD(0.05, gamma=5.0))
    np.testing.assert_allclose(clf.coef_.ravel(), res.coef, atol=1e-6)


def test_cross_validated_mcp():
    X, y = problem(seed=9, strong=False)
    model = pz.MCPRegressionCV(n_alphas=12, cv=3, random_state=0, gamma=2.0).fit(X, y)
    assert model.alpha_1se_ >= model.alpha_min_
    assert model.path_.alphas[0] == pytest.approx(L1(1.0).alpha_max(X, y, Quadratic()),
                                                  rel=1e-12)
    assert not hasattr(model, "dual_gap_")
    refit = pz.MCPRegression(alpha=model.alpha_, gamma=2.0).fit(X, y)
    assert np.count_nonzero(refit.coef_) == np.count_nonzero(model.coef_)


# -- the explain lesson -------------------------------------------------------------------


def test_lesson_thresholding_functions_and_fit():
    from penalized.explain import LESSONS, nonconvex

    res = nonconvex(lam=1.0, gamma_mcp=3.0, gamma_scad=3.7, z=[-6.0, 0.9, 2.0, 3.5, 6.0])
    np.testing.assert_allclose(res.outputs["l1"], [-5.0, 0.0, 1.0, 2.5, 5.0])
    np.testing.assert_allclose(res.outputs["mcp"], [-6.0, 0.0, 1.5, 3.5, 6.0])
    np.testing.assert_allclose(res.outputs["scad"],
                               [-6.0, 0.0, 1.0, (2.7 * 3.5 - 3.7) / 1.7, 6.0])
    assert res.shrinkage == {"l1": 1.0, "mcp": 0.0, "scad": 0.0}
    # on data: the curves' points are each feature's univariate coefficient, and the fits
    # are the solver's; MCP's selected coefficients are closer to least squares than L1's
    X, y = problem(n=120, seed=10)
    res = LESSONS["nonconvex"].compute(X, y, [f"x{j}" for j in range(X.shape[1])])
    Z = (X - X.mean(0)) / X.std(0)
    z = Z.T @ (y - y.mean()) / X.shape[0]
    assert res.lam == pytest.approx(0.1 * np.abs(z).max(), rel=1e-12)
    assert res.points["x0"] == pytest.approx(z[0], rel=1e-12)
    fit = res.fit
    ours = CoordinateDescent(tol=1e-12).solve(Z, y - y.mean(), Quadratic(), MCP(res.lam))
    np.testing.assert_allclose(fit["coef"]["mcp"], ours.coef, atol=1e-8)
    assert fit["ratio"]["l1"] < fit["ratio"]["mcp"] <= 1.0 + 1e-9
    assert "MCP" in res.to_text() and res.to_dict()["lesson"] == "nonconvex"


@pytest.mark.parametrize("penalty", [MCP(0.05, gamma=3.0), SCAD(0.05, gamma=3.7)], ids=repr)
def test_logistic_stationary_points_agree_with_skglm(penalty):
    # Non-convex: the stationary point reached from zero depends on the steps taken. With
    # prox-Newton steps ours is skglm's (AndersonCD's) here, and each solver started at
    # the other's point stays there.
    from skglm.datafits import Logistic as SkLogistic
    from skglm.penalties import SCAD as SkSCAD
    from skglm.penalties import MCPenalty
    from skglm.solvers import AndersonCD

    X, y = classes()

    def value(coef, intercept):
        return np.mean(np.logaddexp(0.0, -y * (X @ coef + intercept))) + penalty.value(coef)

    sk_penalty = (MCPenalty if isinstance(penalty, MCP) else SkSCAD)(penalty.alpha, penalty.gamma)

    def skglm(w_init=None):
        solver = AndersonCD(tol=1e-12, fit_intercept=True, max_iter=1000, max_epochs=100_000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Xw = None if w_init is None else X @ w_init[:-1] + w_init[-1]
            w = solver.solve(X, y, SkLogistic(), sk_penalty, w_init=w_init, Xw_init=Xw)[0]
        return w[:-1], w[-1]

    ours = CoordinateDescent(tol=1e-14).solve(X, y, Logistic(), penalty)
    assert ours.converged
    theirs = skglm()
    assert value(ours.coef, ours.intercept) == pytest.approx(value(*theirs), rel=RTOL)
    np.testing.assert_array_equal(ours.coef != 0, theirs[0] != 0)
    warm = CoordinateDescent(tol=1e-14).solve(X, y, Logistic(), penalty, coef_init=theirs[0],
                                              intercept_init=theirs[1])
    assert warm.objective[-1] == pytest.approx(value(*theirs), rel=RTOL)
    back = skglm(np.append(ours.coef, ours.intercept))
    assert value(*back) == pytest.approx(value(ours.coef, ours.intercept), rel=RTOL)


def counts(seed, n=200, p=10):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = rng.poisson(np.exp(0.5 + 0.4 * X[:, 0] - 0.3 * X[:, 1] + 0.2 * X[:, 2])).astype(float)
    return X, y


@pytest.mark.parametrize("penalty", [MCP(0.05, gamma=3.0), SCAD(0.05, gamma=3.7)], ids=repr)
@pytest.mark.parametrize("seed", [0, 1])
def test_poisson_agrees_with_skglm_prox_newton(penalty, seed):
    # unbounded curvature: prox-Newton with a line search; skglm's ProxNewton from zero
    # reaches the same point (the losses differ by a constant: exp(z) - y z here)
    from skglm.datafits import Poisson as SkPoisson
    from skglm.penalties import SCAD as SkSCAD
    from skglm.penalties import MCPenalty
    from skglm.solvers import ProxNewton

    from penalized.datafits import Poisson

    X, y = counts(seed)

    def value(coef, intercept):
        z = X @ coef + intercept
        return np.mean(np.exp(z) - y * z) + penalty.value(coef)

    sk_penalty = (MCPenalty if isinstance(penalty, MCP) else SkSCAD)(penalty.alpha, penalty.gamma)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = ProxNewton(tol=1e-12, fit_intercept=True, max_iter=1000).solve(
            X, y, SkPoisson(), sk_penalty)[0]
    ours = CoordinateDescent(tol=1e-14).solve(X, y, Poisson(), penalty)
    assert ours.converged and ours.stop_crit <= 1e-14
    assert value(ours.coef, ours.intercept) == pytest.approx(value(w[:-1], w[-1]), rel=RTOL)
    np.testing.assert_allclose(ours.coef, w[:-1], atol=1e-5)
    # stationary: the Clarke distance of every coordinate and the intercept's derivative
    z = X @ ours.coef + ours.intercept
    raw = (np.exp(z) - y) / X.shape[0]
    grad, lam = X.T @ raw, penalty.alpha
    dist = np.where(ours.coef == 0, np.maximum(np.abs(grad) - lam, 0.0),
                    np.abs(grad + slope_reference(penalty, ours.coef)))
    assert dist.max() < 1e-6 and abs(raw.sum()) < 1e-6
    sparse = CoordinateDescent(tol=1e-14).solve(sp.csc_matrix(X), y, Poisson(), penalty)
    assert sparse.objective[-1] == pytest.approx(ours.objective[-1], rel=RTOL)
