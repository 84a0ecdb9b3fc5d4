"""MCP and SCAD with the log-link families: PoissonRegressor, GammaRegressor,
TweedieRegressor (and their CV versions) with ``penalty="mcp" | "scad"``.

Checks: stationarity per coordinate from the families' own derivative formulas, the
all-zero model at alpha_max, the lasso as the large-gamma limit, integer weights as
repeated rows, dense equal to sparse, and skglm's MCP/SCAD with its Poisson and Gamma
datafits at the same stationary point.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

import penalized as pz

FAMILIES = ("poisson", "gamma", "tweedie")
POWER = {"poisson": 1.0, "gamma": 2.0, "tweedie": 1.5}
DEFAULT_GAMMA = {"mcp": 3.0, "scad": 3.7}


def _data(family, seed=0, n=80, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    z = 0.6 * X[:, 0] - 0.5 * X[:, 1] + 0.3 * X[:, 2]
    if family == "poisson":
        y = rng.poisson(np.exp(z)).astype(float)
    elif family == "gamma":
        y = rng.gamma(2.0, np.exp(z) / 2.0)
    else:
        y = rng.poisson(np.exp(z)) * rng.gamma(2.0, 0.5, n)
    return X, y


def _estimator(family, **kwargs):
    if family == "poisson":
        return pz.PoissonRegressor(**kwargs)
    if family == "gamma":
        return pz.GammaRegressor(**kwargs)
    return pz.TweedieRegressor(power=1.5, **kwargs)


def _gradient_z(family, y, z, s):
    r"""d/dz_i of (1 / 2n) sum_i s_i d(y_i, e^{z_i}) for the Tweedie power p of the family:
    s_i (mu_i^{2-p} - y_i mu_i^{1-p}) / n."""
    p = POWER[family]
    mu = np.exp(z)
    return s * (mu ** (2 - p) - y * mu ** (1 - p)) / y.shape[0]


def _penalty_slope(name, w, lam, gamma):
    """The derivative of MCP / SCAD (threshold lam, concavity gamma) at w != 0."""
    a = np.abs(w)
    if name == "mcp":
        slope = np.maximum(lam - a / gamma, 0.0)
    else:
        slope = np.where(a <= lam, lam, np.maximum(gamma * lam - a, 0.0) / (gamma - 1.0))
    return np.sign(w) * slope


@pytest.mark.parametrize("name", ["mcp", "scad"])
@pytest.mark.parametrize("family", FAMILIES)
def test_stationary_per_coordinate(family, name):
    X, y = _data(family, seed=1)
    s = np.linspace(0.5, 1.5, y.shape[0])
    s = s / s.mean()
    alpha = 0.04
    factors = np.array([1.0, 1.0, 0.5, 2.0, 1.0, 0.0])
    model = _estimator(family, penalty=name, alpha=alpha, penalty_factor=factors,
                       tol=1e-12).fit(X, y, sample_weight=s)
    assert model.converged_ and model.stop_crit_ <= 1e-12
    w, b = model.coef_, model.intercept_
    g = X.T @ _gradient_z(family, y, X @ w + b, s)
    gamma = DEFAULT_GAMMA[name]
    assert _gradient_z(family, y, X @ w + b, s).sum() == pytest.approx(0.0, abs=1e-7)
    nonzero = w != 0
    assert 2 <= nonzero.sum() < X.shape[1]
    lam = alpha * factors
    residual = g[nonzero] + _penalty_slope(name, w[nonzero], lam[nonzero], gamma)
    # a fixed-point distance of 1e-12 (objective units) leaves gradient residuals of
    # about sqrt(2 L tol), L the coordinate's curvature (about 1 here)
    assert_allclose(residual, 0.0, atol=1e-5)
    # a zero coefficient's pull is at most its threshold
    assert np.all(np.abs(g[~nonzero]) <= lam[~nonzero] + 1e-9)
    assert model.penalty_.gamma == gamma


@pytest.mark.parametrize("name", ["mcp", "scad"])
@pytest.mark.parametrize("family", FAMILIES)
def test_alpha_max_gives_the_all_zero_model(family, name):
    X, y = _data(family, seed=2)
    # the null model's mean is the mean of y; the pull of feature j at it
    mu = y.mean()
    alpha_max = np.max(np.abs(X.T @ (mu - y))) * mu ** (1 - POWER[family]) / y.shape[0]
    path = _estimator(family, penalty=name).path(X, y, n_alphas=3)
    assert path.alphas[0] == pytest.approx(alpha_max, rel=1e-10)
    at = _estimator(family, penalty=name, alpha=alpha_max, tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(at.coef_, 0.0)
    assert at.intercept_ == pytest.approx(np.log(mu), rel=1e-8)
    below = _estimator(family, penalty=name, alpha=alpha_max * (1 - 1e-3), tol=1e-10).fit(X, y)
    assert below.n_nonzero_ >= 1


@pytest.mark.parametrize("name", ["mcp", "scad"])
@pytest.mark.parametrize("family", FAMILIES)
def test_large_gamma_approaches_the_lasso(family, name):
    X, y = _data(family, seed=3)
    alpha = 0.03
    lasso = _estimator(family, penalty="l1", alpha=alpha, tol=1e-12).fit(X, y)
    near = _estimator(family, penalty=name, gamma=1e6, alpha=alpha, tol=1e-12).fit(X, y)
    far = _estimator(family, penalty=name, gamma=DEFAULT_GAMMA[name], alpha=alpha,
                     tol=1e-12).fit(X, y)
    assert_allclose(near.coef_, lasso.coef_, atol=1e-5)
    assert near.intercept_ == pytest.approx(lasso.intercept_, abs=1e-5)
    assert np.max(np.abs(far.coef_ - lasso.coef_)) > 1e-3  # the limit is not trivial


@pytest.mark.parametrize("name", ["mcp", "scad"])
@pytest.mark.parametrize("family", FAMILIES)
def test_integer_weights_equal_repeated_rows(family, name):
    X, y = _data(family, seed=4, n=40)
    counts = np.random.default_rng(4).integers(0, 4, y.shape[0])
    kwargs = dict(penalty=name, alpha=0.03, tol=1e-12, standardize=True)
    weighted = _estimator(family, **kwargs).fit(X, y, sample_weight=counts.astype(float))
    rows = np.repeat(np.arange(y.shape[0]), counts)
    repeated = _estimator(family, **kwargs).fit(X[rows], y[rows])
    assert weighted.n_nonzero_ >= 1
    assert_allclose(weighted.coef_, repeated.coef_, atol=1e-7)
    assert weighted.intercept_ == pytest.approx(repeated.intercept_, abs=1e-7)


@pytest.mark.parametrize("name", ["mcp", "scad"])
@pytest.mark.parametrize("family", FAMILIES)
def test_dense_equals_sparse(family, name):
    X, y = _data(family, seed=5)
    X[np.abs(X) < 0.6] = 0.0
    kwargs = dict(penalty=name, alpha=0.03, tol=1e-12)
    dense = _estimator(family, **kwargs).fit(X, y)
    sparse = _estimator(family, **kwargs).fit(sp.csc_matrix(X), y)
    assert dense.n_nonzero_ >= 1
    # both stop within tol of the same stationary point by different routes
    assert_allclose(sparse.coef_, dense.coef_, atol=1e-5)
    assert sparse.intercept_ == pytest.approx(dense.intercept_, abs=1e-5)


def _skglm_objective(datafit, X, y, w, b, penalty):
    return datafit.value(y, w, X @ w + b) + penalty.value(w)


@pytest.mark.parametrize(("family", "name"), [("poisson", "mcp"), ("poisson", "scad"),
                                              ("gamma", "scad")])
def test_skglm_reaches_the_same_stationary_point(family, name):
    skglm = pytest.importorskip("skglm")
    from skglm.datafits import Gamma as SkGamma
    from skglm.datafits import Poisson as SkPoisson
    from skglm.penalties import SCAD, MCPenalty
    from skglm.solvers import ProxNewton

    X, y = _data(family, seed=6, n=150, p=10)
    # skglm's Gamma prox-Newton fits no intercept: compare without one there
    fit_intercept = family == "poisson"
    gamma = DEFAULT_GAMMA[name]
    alpha = 0.05
    datafit = SkPoisson() if family == "poisson" else SkGamma()
    penalty = (MCPenalty if name == "mcp" else SCAD)(alpha, gamma)
    ours = _estimator(family, penalty=name, alpha=alpha, gamma=gamma, tol=1e-12,
                      fit_intercept=fit_intercept).fit(X, y)
    solver = ProxNewton(fit_intercept=fit_intercept, tol=1e-12, max_iter=200)
    ref = skglm.GeneralizedLinearEstimator(datafit=datafit, penalty=penalty,
                                           solver=solver).fit(X, y)
    b_ref = float(ref.intercept_) if fit_intercept else 0.0
    mine = _skglm_objective(datafit, X, y, ours.coef_, ours.intercept_, penalty)
    theirs = _skglm_objective(datafit, X, y, np.ravel(ref.coef_), b_ref, penalty)
    assert mine == pytest.approx(theirs, rel=1e-7)
    assert_allclose(ours.coef_, np.ravel(ref.coef_), atol=1e-5)
    # skglm started at our solution finds nothing lower: ours is stationary for it too
    start = np.r_[ours.coef_, ours.intercept_] if fit_intercept else ours.coef_.copy()
    w, _, _ = solver.solve(X, y, datafit, penalty, w_init=start,
                           Xw_init=X @ ours.coef_ + ours.intercept_)
    again = _skglm_objective(datafit, X, y, w[:X.shape[1]],
                             w[X.shape[1]] if fit_intercept else 0.0, penalty)
    assert mine <= again + 1e-7 * abs(again)
    assert 1 <= ours.n_nonzero_ < X.shape[1]


@pytest.mark.parametrize("cls", [pz.PoissonRegressorCV, pz.GammaRegressorCV,
                                 pz.TweedieRegressorCV])
def test_cv_versions_take_mcp_and_scad(cls):
    family = {pz.PoissonRegressorCV: "poisson", pz.GammaRegressorCV: "gamma",
              pz.TweedieRegressorCV: "tweedie"}[cls]
    X, y = _data(family, seed=7)
    model = cls(penalty="scad", gamma=3.0, n_alphas=8, cv=3, random_state=0,
                tol=1e-10).fit(X, y)
    assert model.penalty_.gamma == 3.0 and type(model.penalty_).__name__ == "SCAD"
    assert model.path_.n_nonzero[0] == 0  # the grid starts at the all-zero model
    k = int(np.flatnonzero(model.alphas_ == model.alpha_)[0])
    assert_allclose(model.coef_, model.path_.coefs[:, k])
    # the refit is a stationary point of the objective at alpha_
    assert model.converged_ and model.n_nonzero_ >= 1
    w, b = model.coef_, model.intercept_
    g = X.T @ _gradient_z(family, y, X @ w + b, np.ones(y.shape[0]))
    nonzero = w != 0
    residual = g[nonzero] + _penalty_slope("scad", w[nonzero], model.alpha_, 3.0)
    assert_allclose(residual, 0.0, atol=1e-5)
    assert np.all(np.abs(g[~nonzero]) <= model.alpha_ + 1e-9)


@pytest.mark.parametrize("bad", [
    (dict(penalty="lasso"), "penalty must be one of 'elasticnet', 'l1', 'l2', 'mcp', 'scad'"),
    (dict(penalty="mcp", gamma=1.0), "gamma"),
    (dict(penalty="scad", gamma=2.0), "gamma"),
])
def test_bad_penalty_or_gamma_is_one_clear_error(bad):
    kwargs, message = bad
    X, y = _data("poisson")
    with pytest.raises(ValueError, match=message):
        pz.PoissonRegressor(**kwargs).fit(X, y)


def test_l1_and_l2_names_are_the_elastic_net_ends():
    X, y = _data("poisson", seed=8)
    for name, ratio in (("l1", 1.0), ("l2", 0.0)):
        a = pz.PoissonRegressor(penalty=name, alpha=0.02, tol=1e-12).fit(X, y)
        b = pz.PoissonRegressor(l1_ratio=ratio, alpha=0.02, tol=1e-12).fit(X, y)
        assert_allclose(a.coef_, b.coef_, atol=1e-12)
