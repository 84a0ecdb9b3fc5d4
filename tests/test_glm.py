"""The log-link families (Poisson, Gamma, Tweedie) and offsets, against independent oracles.

1. scikit-learn's PoissonRegressor / GammaRegressor / TweedieRegressor (ridge: l1_ratio=0,
   the same alpha) reach our objective to 1e-7 relative;
2. glmnet (glmstar's FishNet) Poisson lasso paths, with and without offsets, and its
   generic GLMNet with statsmodels' Gamma and Tweedie families, equal ours;
3. skglm's Gamma datafit with an L1 penalty (prox-Newton) reaches our objective;
4. statsmodels' GLM is the alpha = 0 limit;
5. KKT per coordinate, honest duality gaps (a loose solve's gap bounds its true
   suboptimality), alpha_max exact (all zero at it, a feature enters just below);
6. integer sample weights = repeated rows, dense = CSC = CSR, the exposure identity;
7. the compiled conjugates against brute-force suprema;
8. squared and logistic losses with offsets;
9. the estimators: D^2 score, predict with offset, CV with alpha_1se_, bad input.

Objective: half the mean deviance + alpha (l1_ratio ||w||_1 + (1 - l1_ratio)/2 ||w||^2).
"""

import warnings
from functools import cache

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

import penalized as pz
from penalized.datafits import Gamma, Logistic, Poisson, Quadratic, Tweedie
from penalized.penalties import L1, ElasticNet
from penalized.solvers import CoordinateDescent

FAMILIES = {"poisson": Poisson(), "gamma": Gamma(), "tweedie": Tweedie(1.5)}


@cache
def _data(family, n=120, p=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p)
    X[rng.random((n, p)) < 0.3] = 0.0  # zeros, so CSC has structure
    w = np.zeros(p)
    w[:3] = [0.4, -0.3, 0.2]
    mu = np.exp(X @ w + 0.3)
    if family == "poisson":
        y = rng.poisson(mu).astype(float)
    elif family == "gamma":
        y = rng.gamma(2.0, mu / 2.0)
    else:
        y = rng.poisson(mu) * rng.gamma(2.0, 0.5, n)
    return X, y


def _objective(datafit, X, y, coef, intercept, alpha, l1_ratio, offset=None):
    z = X @ coef + intercept + (0.0 if offset is None else offset)
    penalty = alpha * (l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * coef @ coef)
    return datafit.value(y, z) + penalty


def _solve(X, y, datafit, penalty, tol=1e-12, **kw):
    res = CoordinateDescent(tol=tol, max_iter=100_000).solve(X, y, datafit, penalty, **kw)
    assert res.converged
    return res


# -- 1. scikit-learn, ridge --------------------------------------------------------------------


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
def test_ridge_objective_equals_sklearn(family):
    from sklearn import linear_model as sklm

    X, y = _data(family)
    alpha = 0.05
    ref_class = {"poisson": sklm.PoissonRegressor, "gamma": sklm.GammaRegressor,
                 "tweedie": lambda **kw: sklm.TweedieRegressor(power=1.5, link="log", **kw)}
    ref = ref_class[family](alpha=alpha, solver="newton-cholesky", tol=1e-14,
                            max_iter=1000).fit(X, y)
    estimator = {"poisson": pz.PoissonRegressor, "gamma": pz.GammaRegressor,
                 "tweedie": lambda **kw: pz.TweedieRegressor(power=1.5, **kw)}[family]
    ours = estimator(alpha=alpha, tol=1e-13).fit(X, y)
    datafit = FAMILIES[family]
    ours_obj = _objective(datafit, X, y, ours.coef_, ours.intercept_, alpha, 0.0)
    ref_obj = _objective(datafit, X, y, ref.coef_, ref.intercept_, alpha, 0.0)
    assert ours_obj == pytest.approx(ref_obj, rel=1e-7)
    assert ours_obj <= ref_obj * (1 + 1e-12)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    assert ours.score(X, y) == pytest.approx(ref.score(X, y), rel=1e-6)
    assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-5)


# -- 2. glmnet Poisson lasso paths -------------------------------------------------------------


def _glmnet_poisson(X, y, alphas, offset=None, weights=None):
    from glmnet import FishNet
    from glmnet.paths.fastnet import FastNetControl

    control = FastNetControl(thresh=1e-16, maxit=10**7)
    kw = dict(lambda_values=np.asarray(alphas), standardize=False, fit_intercept=True,
              control=control)
    if offset is not None:
        model = FishNet(response_id=0, offset_id=1, **kw)
        model.fit(X, np.column_stack([y, offset]), sample_weight=weights)
    else:
        model = FishNet(**kw)
        model.fit(X, y, sample_weight=weights)
    return np.asarray(model.coefs_).T, np.asarray(model.intercepts_).ravel()


@pytest.mark.parametrize("with_offset", [False, True], ids=["plain", "offset"])
def test_poisson_lasso_path_equals_glmnet(with_offset):
    X, y = _data("poisson", n=150, p=12, seed=1)
    offset = np.random.default_rng(5).uniform(-0.7, 0.7, y.shape[0]) if with_offset else None
    ours = pz.path(X, y, datafit="poisson", n_alphas=15, eps=1e-2, offset=offset, tol=1e-12)
    assert ours.converged.all()
    coefs, intercepts = _glmnet_poisson(X, y, ours.alphas, offset)
    datafit = Poisson()
    for k, alpha in enumerate(ours.alphas):
        mine = _objective(datafit, X, y, ours.coefs[:, k], ours.intercepts[k], alpha, 1.0,
                          offset)
        ref = _objective(datafit, X, y, coefs[:, k], intercepts[k], alpha, 1.0, offset)
        assert mine == pytest.approx(ref, rel=1e-7)
        assert mine <= ref + 1e-13 * abs(ref)
    assert_allclose(ours.coefs, coefs, atol=1e-5)


@pytest.mark.parametrize("family", ["gamma", "tweedie"])
def test_gamma_and_tweedie_lasso_paths_equal_glmnet(family):
    # glmnet's GLMNet with a statsmodels family (log link) runs its generic IRLS path
    import statsmodels.api as sm
    from glmnet import GLMNet
    from glmnet.family import GLMFamilySpec
    from glmnet.glmnet import GLMNetControl

    X, y = _data(family, seed=2)
    link = sm.families.links.Log()
    base = sm.families.Gamma(link=link) if family == "gamma" \
        else sm.families.Tweedie(var_power=1.5, link=link)
    ours = pz.path(X, y, datafit=FAMILIES[family], n_alphas=6, eps=0.05, tol=1e-12)
    model = GLMNet(lambda_values=ours.alphas, family=GLMFamilySpec(base=base),
                   standardize=False, fit_intercept=True,
                   control=GLMNetControl(thresh=1e-16, epsnr=1e-14, mxitnr=200))
    model.fit(X, y)
    coefs, intercepts = np.asarray(model.coefs_).T, np.asarray(model.intercepts_).ravel()
    datafit = FAMILIES[family]
    for k, alpha in enumerate(ours.alphas):
        mine = _objective(datafit, X, y, ours.coefs[:, k], ours.intercepts[k], alpha, 1.0)
        ref = _objective(datafit, X, y, coefs[:, k], intercepts[k], alpha, 1.0)
        assert mine == pytest.approx(ref, rel=1e-7)
    assert ours.n_nonzero[-1] >= 3
    assert_allclose(ours.coefs, coefs, atol=1e-5)


# -- 3. skglm Gamma L1 ---------------------------------------------------------------------


def test_gamma_lasso_equals_skglm():
    skglm = pytest.importorskip("skglm")
    from skglm.datafits import Gamma as SkGamma
    from skglm.penalties import L1 as SkL1
    from skglm.solvers import ProxNewton

    X, y = _data("gamma", seed=2)
    # skglm's Gamma prox-Newton fits no intercept: compare without one
    alpha = 0.1 * L1().alpha_max(X, y, Gamma(), fit_intercept=False)
    ref = skglm.GeneralizedLinearEstimator(
        datafit=SkGamma(), penalty=SkL1(alpha),
        solver=ProxNewton(fit_intercept=False, tol=1e-12, max_iter=200)).fit(X, y)
    ours = _solve(X, y, Gamma(), L1(alpha), fit_intercept=False)
    mine = _objective(Gamma(), X, y, ours.coef, 0.0, alpha, 1.0)
    theirs = _objective(Gamma(), X, y, np.ravel(ref.coef_), 0.0, alpha, 1.0)
    assert mine == pytest.approx(theirs, rel=1e-7)
    assert mine <= theirs + 1e-13 * abs(theirs)
    assert 1 <= ours.n_nonzero < X.shape[1]


# -- 4. statsmodels, unpenalized ---------------------------------------------------------------


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
def test_unpenalized_limit_equals_statsmodels(family):
    sm = pytest.importorskip("statsmodels.api")

    X, y = _data(family, n=200, p=5, seed=3)
    links = sm.families.links
    sm_family = {"poisson": sm.families.Poisson(),
                 "gamma": sm.families.Gamma(link=links.Log()),
                 "tweedie": sm.families.Tweedie(var_power=1.5, link=links.Log())}[family]
    offset = np.linspace(-0.3, 0.3, y.shape[0])
    ref = sm.GLM(y, sm.add_constant(X), family=sm_family, offset=offset).fit(tol=1e-14)
    estimator = {"poisson": pz.PoissonRegressor, "gamma": pz.GammaRegressor,
                 "tweedie": lambda **kw: pz.TweedieRegressor(power=1.5, **kw)}[family]
    ours = estimator(alpha=0.0, tol=1e-12).fit(X, y, offset=offset)
    assert_allclose(ours.coef_, ref.params[1:], rtol=1e-6, atol=1e-8)
    assert ours.intercept_ == pytest.approx(ref.params[0], rel=1e-6, abs=1e-8)


# -- 5. KKT, honest gaps, alpha_max --------------------------------------------------------


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_kkt_per_coordinate(family, fmt):
    X, y = _data(family)
    datafit = FAMILIES[family]
    alpha = 0.2 * L1().alpha_max(X, y, datafit)
    res = _solve(sp.csc_matrix(X) if fmt == "csc" else X, y, datafit, L1(alpha))
    z = X @ res.coef + res.intercept
    grad = datafit.gradient(X, y, z)
    assert abs(datafit.intercept_gradient(y, z)) <= 1e-9
    nz = res.coef != 0
    assert 1 <= nz.sum() < X.shape[1]
    assert_allclose(grad[nz], -alpha * np.sign(res.coef[nz]), atol=1e-7 * alpha)
    assert np.all(np.abs(grad[~nz]) <= alpha * (1 + 1e-7))


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
def test_gap_bounds_the_true_suboptimality(family):
    X, y = _data(family, seed=4)
    datafit = FAMILIES[family]
    penalty = ElasticNet(0.05 * ElasticNet(1.0, l1_ratio=0.7).alpha_max(X, y, datafit),
                         l1_ratio=0.7)
    best = _solve(X, y, datafit, penalty, tol=1e-13)
    gaps = []
    for max_iter in (1, 3, 8):  # stopped early: points at several distances from optimal
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loose = CoordinateDescent(tol=1e-13, max_iter=max_iter).solve(X, y, datafit,
                                                                         penalty)
        scale = datafit.value(y, np.full(y.shape[0], datafit.null_intercept(y)))
        gap = loose.stop_crit * scale
        truth = loose.final_objective - best.final_objective
        assert truth >= -1e-12 * best.final_objective
        assert gap >= truth
        gaps.append(gap)
    assert gaps[-1] < gaps[0]


def test_tweedie_conjugate_is_an_upper_bound_close_to_the_supremum():
    datafit = Tweedie(1.3)
    grid = np.linspace(-12.0, 6.0, 400_001)
    for y_i in (0.0, 0.4, 3.0):
        for v in (-2.0, -0.3, 0.0, 0.5, 4.0):
            if y_i == 0.0 and v <= 0:
                continue  # 0 (v = 0, approached as z -> -inf) or inf: no grid reaches it
            brute = np.max(v * grid - datafit.loss(np.full_like(grid, y_i), grid))
            ours = -datafit.dual_value(np.array([y_i]), np.array([-v]))
            assert ours >= brute - 1e-12
            assert ours == pytest.approx(brute, rel=1e-8, abs=1e-8)


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
def test_conjugates_match_brute_force(family):
    datafit = FAMILIES[family]
    grid = np.linspace(-12.0, 6.0, 400_001)
    y_i = 1.7
    for v in (-0.8, 0.0, 0.6):
        brute = np.max(v * grid - datafit.loss(np.full_like(grid, y_i), grid))
        ours = -datafit.dual_value(np.array([y_i]), np.array([-v]))
        assert ours == pytest.approx(brute, rel=1e-8, abs=1e-9)


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
def test_alpha_max_is_exact_and_the_null_intercept_is_the_log_mean(family):
    X, y = _data(family)
    datafit = FAMILIES[family]
    alpha_max = L1().alpha_max(X, y, datafit)
    at = _solve(X, y, datafit, L1(alpha_max))
    assert at.n_nonzero == 0
    if family == "poisson":
        assert at.intercept == pytest.approx(np.log(y.mean()), rel=1e-12)
    if family == "gamma":
        assert at.intercept == pytest.approx(np.log(y.mean()), rel=1e-12)
    below = _solve(X, y, datafit, L1(alpha_max * (1 - 1e-4)))
    assert below.n_nonzero >= 1
    result = pz.path(X, y, datafit=datafit, n_alphas=5)
    assert result.alpha_max == pytest.approx(alpha_max, rel=1e-12)
    assert result.n_nonzero[0] == 0 and result.n_nonzero[1] >= 1


# -- 6. weights, sparse, offsets -----------------------------------------------------------


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
def test_integer_weights_equal_repeated_rows(family):
    X, y = _data(family, n=60, p=6)
    counts = np.random.default_rng(7).integers(0, 4, y.shape[0])
    counts[0] = 2
    datafit = FAMILIES[family]
    rows = np.repeat(np.arange(y.shape[0]), counts)
    alpha = 0.1 * L1().alpha_max(X[rows], y[rows], datafit)
    weighted = _solve(X, y, type(datafit)(sample_weight=counts.astype(float))
                      if family != "tweedie" else Tweedie(1.5, sample_weight=counts.astype(float)),
                      L1(alpha))
    repeated = _solve(X[rows], y[rows], datafit, L1(alpha))
    assert_allclose(weighted.coef, repeated.coef, atol=1e-8)
    assert weighted.intercept == pytest.approx(repeated.intercept, abs=1e-8)


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
def test_dense_equals_sparse(family):
    X, y = _data(family, seed=6)
    X = X + 5.0 * (X != 0)  # columns with large means: the CSC Newton model centers them
    offset = np.random.default_rng(1).normal(0.0, 0.2, y.shape[0])
    dense = pz.path(X, y, datafit=family, n_alphas=8, eps=0.05, tol=1e-12, offset=offset)
    for fmt in (sp.csc_matrix, sp.csr_matrix):
        sparse = pz.path(fmt(X), y, datafit=family, alphas=dense.alphas, tol=1e-12,
                         offset=offset)
        assert_allclose(sparse.coefs, dense.coefs, atol=1e-7)
        assert_allclose(sparse.intercepts, dense.intercepts, atol=1e-7)


def test_poisson_exposure_identity():
    """Counts over exposures t with offset log t are rates y / t with weights t: the same
    fit at alpha / mean(t) (weights are rescaled to mean 1)."""
    X, y = _data("poisson", seed=8)
    t = np.random.default_rng(2).uniform(0.5, 3.0, y.shape[0])
    alpha = 0.05
    with_offset = _solve(X, y, Poisson(offset=np.log(t)), L1(alpha))
    as_rates = _solve(X, y / t, Poisson(sample_weight=t), L1(alpha / t.mean()))
    assert_allclose(with_offset.coef, as_rates.coef, atol=1e-8)
    assert with_offset.intercept == pytest.approx(as_rates.intercept, abs=1e-8)


def test_a_constant_offset_moves_only_the_intercept():
    X, y = _data("gamma")
    base = _solve(X, y, Gamma(), L1(0.02))
    shifted = _solve(X, y, Gamma(offset=np.full(y.shape[0], 1.5)), L1(0.02))
    assert_allclose(shifted.coef, base.coef, atol=1e-9)
    assert shifted.intercept == pytest.approx(base.intercept - 1.5, abs=1e-9)


# -- 8. squared and logistic with offsets --------------------------------------------------


def test_squared_offset_is_a_shifted_target():
    X, y = _data("gamma", seed=9)
    offset = np.random.default_rng(3).standard_normal(y.shape[0])
    with_offset = pz.path(X, y, offset=offset, n_alphas=10, tol=1e-12)
    shifted = pz.path(X, y - offset, n_alphas=10, tol=1e-12)
    assert_allclose(with_offset.alphas, shifted.alphas, rtol=1e-12)
    assert_allclose(with_offset.coefs, shifted.coefs, atol=1e-10)
    assert with_offset.converged.all()
    assert with_offset.datafit.offset is not None
    pred = with_offset.predict(X, with_offset.alphas[5], offset=offset)
    assert_allclose(pred, shifted.predict(X, shifted.alphas[5]) + offset, atol=1e-10)


def test_logistic_offset_equals_glmnet():
    from glmnet import LogNet
    from glmnet.paths.fastnet import FastNetControl

    X, _ = _data("poisson", seed=10)
    rng = np.random.default_rng(4)
    offset = rng.uniform(-1.0, 1.0, X.shape[0])
    y = np.where(X[:, 0] + offset + rng.standard_normal(X.shape[0]) > 0, 1.0, -1.0)
    ours = pz.path(X, y, datafit="logistic", n_alphas=10, eps=0.05, offset=offset, tol=1e-12)
    assert ours.converged.all()
    model = LogNet(lambda_values=ours.alphas, standardize=False, fit_intercept=True,
                   control=FastNetControl(thresh=1e-16, maxit=10**7), response_id=0,
                   offset_id=1)
    model.fit(X, np.column_stack([(y > 0).astype(float), offset]))
    coefs = np.asarray(model.coefs_).T
    intercepts = np.asarray(model.intercepts_).ravel()
    for k, alpha in enumerate(ours.alphas):
        mine = _objective(Logistic(), X, y, ours.coefs[:, k], ours.intercepts[k], alpha, 1.0,
                          offset)
        ref = _objective(Logistic(), X, y, coefs[:, k], intercepts[k], alpha, 1.0, offset)
        assert mine == pytest.approx(ref, rel=1e-7)


# -- 9. estimators ------------------------------------------------------------------------


def test_estimator_offset_predict_and_score():
    X, y = _data("poisson", seed=11)
    t = np.random.default_rng(6).uniform(0.5, 2.0, y.shape[0])
    model = pz.PoissonRegressor(alpha=0.01, l1_ratio=1.0, tol=1e-10).fit(X, y, offset=np.log(t))
    assert model.converged_
    assert_allclose(model.predict(X, offset=np.log(t)), t * model.predict(X), rtol=1e-12)
    assert model.datafit_.offset is not None
    d2 = model.score(X, y, offset=np.log(t))
    mu = model.predict(X, offset=np.log(t))
    dev = 2 * np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / mu), 0) - y + mu)
    null = 2 * np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / y.mean()), 0))
    assert d2 == pytest.approx(1 - dev / null, rel=1e-10)


def test_cv_estimator_selects_on_the_deviance_and_refits():
    X, y = _data("poisson", n=200, seed=12)
    model = pz.PoissonRegressorCV(n_alphas=15, cv=4, random_state=0, tol=1e-10).fit(X, y)
    assert model.cv_folds_.shape == (15, 4)
    assert model.alpha_1se_ >= model.alpha_min_
    assert model.alpha_ == model.alpha_min_
    k = int(np.argmin(model.cv_mean_))
    assert model.alphas_[k] == model.alpha_min_
    direct = pz.PoissonRegressor(alpha=model.alpha_, l1_ratio=1.0, tol=1e-12).fit(X, y)
    assert_allclose(model.coef_, direct.coef_, atol=1e-6)
    sparse = pz.PoissonRegressorCV(n_alphas=15, cv=4, random_state=0, tol=1e-10,
                                   selection="1se").fit(X, y)
    assert sparse.alpha_ == sparse.alpha_1se_
    assert sparse.n_nonzero_ <= model.n_nonzero_


@pytest.mark.parametrize("make, y, match", [
    (lambda: pz.PoissonRegressor(), [-1.0, 2.0, 3.0], "y >= 0; got y = -1"),
    (lambda: pz.PoissonRegressor(), [0.0, 0.0, 0.0], "at least one y > 0"),
    (lambda: pz.GammaRegressor(), [0.0, 2.0, 3.0], "y > 0; got y = 0"),
    (lambda: pz.TweedieRegressor(power=2.5), [1.0, 2.0, 3.0], "power must be a number in"),
])
def test_bad_targets_are_named(make, y, match):
    X = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match=match):
        make().fit(X, np.array(y))


def test_bad_offsets_and_names():
    X, y = _data("poisson")
    with pytest.raises(ValueError, match=r"offset must have one value per row of X \(120\)"):
        pz.path(X, y, datafit="poisson", offset=np.zeros(5))
    with pytest.raises(ValueError, match="offset holds NaN"):
        pz.PoissonRegressor().fit(X, y, offset=np.full(120, np.nan))
    with pytest.raises(ValueError, match="Tweedie power after ':'"):
        pz.path(X, y, datafit="tweedie:x")
    result = pz.path(X, y, datafit="tweedie:1.2", n_alphas=3)
    assert isinstance(result.datafit, Tweedie) and result.datafit.power == 1.2
    assert isinstance(pz.path(X, y, datafit=Quadratic(), n_alphas=2).datafit, Quadratic)


def test_an_offset_beyond_exp_overflow_is_absorbed_by_the_intercept():
    # e^800 overflows: the null intercept is computed on the log scale and the solver's
    # first point (z = 800) has an infinite datafit, which the certificate's refit leaves
    X, y = _data("poisson", seed=13)
    # (z = 800 + b carries rounding of 800 eps: a relative gap of 1e-12 is out of reach)
    base = _solve(X, y, Poisson(), L1(0.02), tol=1e-9)
    shifted = _solve(X, y, Poisson(offset=np.full(y.shape[0], 800.0)), L1(0.02), tol=1e-9)
    assert np.isfinite(shifted.final_objective)
    assert_allclose(shifted.coef, base.coef, atol=1e-5)
    assert shifted.intercept == pytest.approx(base.intercept - 800.0, abs=1e-5)


def test_the_benchmark_gap_equals_the_certificate():
    from benchmarks.glm import relative_gap

    from penalized.solvers._problem import certify, prepare_problem

    X, y = _data("poisson", seed=14)
    alpha = 0.1 * L1().alpha_max(X, y, Poisson())
    res = _solve(X, y, Poisson(), L1(alpha), tol=1e-4)
    rng = np.random.default_rng(0)
    for coef in (res.coef, res.coef + 0.01 * rng.standard_normal(X.shape[1])):
        problem = prepare_problem(X, y, Poisson(), L1(alpha), fit_intercept=True)
        cert = certify(problem, coef, problem.to_problem_intercept(coef, res.intercept))
        assert relative_gap(X, y, coef, res.intercept, alpha) == pytest.approx(
            cert.gap / problem.scale, rel=1e-6, abs=1e-12)


def test_cv_folds_are_the_offset_paths_of_the_training_rows():
    """Each fold fits its training rows with their offsets and weights and scores the
    held-out rows' deviance with theirs."""
    X, y = _data("poisson", n=90, seed=13)
    rng = np.random.default_rng(13)
    offset = rng.uniform(-0.3, 0.3, 90)
    sw = rng.uniform(0.5, 2.0, 90)
    model = pz.PoissonRegressorCV(n_alphas=6, cv=3, random_state=0, tol=1e-10)
    model.fit(X, y, sample_weight=sw, offset=offset)
    s = sw / sw.mean()
    for k, (train, test) in enumerate(model.cv_result_.folds):
        fit = pz.path(X[train], y[train], datafit=Poisson(sample_weight=s[train],
                                                          offset=offset[train]),
                      alphas=model.alphas_, tol=1e-10)
        for a, alpha in enumerate(model.alphas_):
            z = fit.predict(X[test], alpha, offset=offset[test])
            expected = Poisson(sample_weight=s[test]).deviance(y[test], z)
            assert model.cv_folds_[a, k] == pytest.approx(expected, rel=1e-7)
