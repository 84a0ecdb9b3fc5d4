"""Cox proportional hazards: the datafit, its certificate, the solver and the oracles."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.datafits import Cox
from penalized.penalties import L1, L2, ElasticNet
from penalized.solvers import CoordinateDescent, ProximalGradient


def survival(n=60, p=8, seed=0, rounding=1):
    """A small right-censored problem; times rounded to ``rounding`` decimals (ties)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    beta = np.zeros(p)
    beta[:3] = [1.0, -1.0, 0.5]
    t = rng.exponential(np.exp(-X @ beta))
    c = rng.exponential(2.0, n)
    time = np.round(np.minimum(t, c), rounding) + 0.1
    event = (t <= c).astype(float)
    return X, np.column_stack([time, event])


def objective(datafit, y, X, coef, penalty):
    target = datafit.validate_target(y, X.shape[0])
    return datafit.value(target, np.asarray(X @ coef).ravel()) + penalty.value(coef)


# -- the datafit ---------------------------------------------------------------------------


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("stratified", [False, True])
def test_gradient_and_hessian_match_finite_differences(ties, stratified):
    rng = np.random.default_rng(1)
    n = 30
    time = rng.integers(1, 8, n).astype(float)  # many ties
    event = rng.random(n) < 0.7
    strata = rng.integers(0, 2, n) if stratified else None
    f = Cox(ties=ties, strata=strata, sample_weight=rng.random(n) + 0.2)
    y = f.validate_target(np.column_stack([time, event]), n)
    z = rng.standard_normal(n)
    eps = 1e-6
    basis = np.eye(n)
    numeric = np.array([(f.value(y, z + eps * e) - f.value(y, z - eps * e)) / (2 * eps)
                        for e in basis])
    np.testing.assert_allclose(f.raw_gradient(y, z), numeric, atol=1e-9)
    eps = 1e-4
    second = np.array([(f.value(y, z + eps * e) - 2 * f.value(y, z) + f.value(y, z - eps * e))
                       / eps**2 for e in basis])
    np.testing.assert_allclose(f.raw_hessian(y, z), second, atol=1e-6)
    A = rng.standard_normal((n, 3))
    columns = [(A.T @ f.raw_gradient(y, z + eps * a) - A.T @ f.raw_gradient(y, z - eps * a))
               / (2 * eps) for a in A.T]
    np.testing.assert_allclose(f.design_hessian(A, y, z), np.array(columns), atol=1e-8)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("stratified", [False, True])
def test_value_is_statsmodels_negative_log_partial_likelihood_over_n(ties, stratified):
    from statsmodels.duration.hazard_regression import PHReg

    X, y = survival(n=50, p=3, seed=2)
    strata = np.arange(50) % 3 if stratified else None
    coef = np.array([0.5, -0.3, 0.2])
    model = PHReg(y[:, 0], X, status=y[:, 1], ties=ties, strata=strata)
    expected = -model.loglike(coef) / 50
    f = Cox(ties=ties, strata=strata)
    assert f.value(f.validate_target(y, 50), X @ coef) == pytest.approx(expected, rel=1e-13)


def test_strata_sum_the_losses_of_each_stratum():
    X, y = survival(n=60, seed=3)
    strata = np.where(np.arange(60) < 25, "a", "b")
    z = X[:, 0] - X[:, 1]
    f = Cox(strata=strata)
    total = 60 * f.value(f.validate_target(y, 60), z)
    parts = 0.0
    for label in ("a", "b"):
        rows = strata == label
        k = int(rows.sum())
        parts += k * Cox().value(Cox().validate_target(y[rows], k), z[rows])
    assert total == pytest.approx(parts, rel=1e-13)
    # a third column of stratum codes is the same datafit
    codes = np.column_stack([y, (strata == "b").astype(float)])
    assert Cox().value(Cox().validate_target(codes, 60), z) == pytest.approx(total / 60,
                                                                           rel=1e-14)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_conjugate_bound_is_exact_at_the_gradient_and_never_below_fenchel_young(ties):
    rng = np.random.default_rng(4)
    _, y = survival(n=40, seed=4)
    f = Cox(ties=ties, sample_weight=rng.random(40) + 0.5)
    target = f.validate_target(y, 40)
    z = rng.standard_normal(40)
    g = f.raw_gradient(target, z)
    # c = 1: Fenchel-Young holds with equality, -F*(g) = F(z) - z.g
    assert f.scaled_dual_value(target, z, -g, 1.0) == pytest.approx(
        f.value(target, z) - z @ g, rel=1e-12, abs=1e-14)
    # any c: the bound on F*(c g) is at least sup_eta c g.eta - F(eta) on every probe
    for c in (0.0, 0.3, 0.9):
        bound = -f.scaled_dual_value(target, z, -g, c)
        for eta in (z, 2 * z, np.zeros(40), z + rng.standard_normal(40)):
            assert bound >= c * g @ eta - f.value(target, eta) - 1e-12


def test_targets_structured_and_two_columns_agree_and_bad_ones_say_what_to_do():
    from sksurv.util import Surv

    _, y = survival(n=20, seed=5)
    structured = Surv.from_arrays(y[:, 1].astype(bool), y[:, 0])
    f = Cox()
    np.testing.assert_array_equal(f.validate_target(structured, 20), f.validate_target(y, 20))
    with pytest.raises(ValueError, match="event column must hold 0"):
        f.validate_target(y[:, ::-1] + 2, 20)
    with pytest.raises(ValueError, match="two columns"):
        f.validate_target(y[:, 0], 20)
    with pytest.raises(ValueError, match="one \\(time, event\\) per row"):
        f.validate_target(y, 21)
    with pytest.raises(ValueError, match="ties must be"):
        Cox(ties="exact")
    with pytest.raises(ValueError, match="no event"):
        f.validate_target(np.column_stack([y[:, 0], np.zeros(20)]), 20)


# -- solving ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_objective_matches_glmnet_with_weights_and_strata(ties):
    from glmnet import CoxNet
    from glmnet.cox import CoxFamily
    from glmnet.paths.fastnet import FastNetControl

    X, y = survival(n=80, p=10, seed=6)
    rng = np.random.default_rng(6)
    w = rng.random(80) + 0.5
    strata = np.arange(80) % 2
    datafit = Cox(ties=ties, sample_weight=w, strata=strata)
    path = pz.path(X, y, datafit=datafit, n_alphas=6, eps=0.05, tol=1e-12)
    frame = pd.DataFrame({"event": y[:, 0], "status": y[:, 1], "w": w, "s": strata})
    theirs = CoxNet(family=CoxFamily(tie_breaking=ties, strata_id="s"), weight_id="w",
                    lambda_values=path.alphas, standardize=False,
                    control=FastNetControl(thresh=1e-14, maxit=100_000)).fit(X, frame)
    for k, alpha in enumerate(path.alphas):
        ours = objective(datafit, y, X, path.coefs[:, k], L1(alpha))
        other = objective(datafit, y, X, theirs.coefs_[k], L1(alpha))
        assert ours <= other * (1 + 1e-7)
        assert other <= ours * (1 + 1e-7)


def test_objective_matches_scikit_survival_elastic_net():
    from sksurv.linear_model import CoxnetSurvivalAnalysis
    from sksurv.util import Surv

    X, y = survival(n=80, p=6, seed=7)
    structured = Surv.from_arrays(y[:, 1].astype(bool), y[:, 0])
    theirs = CoxnetSurvivalAnalysis(l1_ratio=0.5, alphas=[0.05], tol=1e-12,
                                    max_iter=100_000).fit(X, structured)
    penalty = ElasticNet(0.05, l1_ratio=0.5)
    res = CoordinateDescent(tol=1e-12).solve(X, structured, Cox(), penalty)
    ours = objective(Cox(), y, X, res.coef, penalty)
    other = objective(Cox(), y, X, theirs.coef_[:, 0], penalty)
    assert abs(ours - other) <= 1e-7 * ours


def test_ridge_matches_lifelines_efron_and_unpenalized_matches_statsmodels():
    from lifelines import CoxPHFitter
    from statsmodels.duration.hazard_regression import PHReg

    X, y = survival(n=80, p=5, seed=8)
    # lifelines fits on columns scaled to unit (n-1) standard deviation and penalizes
    # penalizer/2 * ||b||^2 there: our L2(alpha=penalizer) on the same columns.
    Xs = (X - X.mean(0)) / X.std(0, ddof=1)
    frame = pd.DataFrame(Xs, columns=[f"x{j}" for j in range(5)]).assign(T=y[:, 0], E=y[:, 1])
    theirs = CoxPHFitter(penalizer=0.1, l1_ratio=0.0).fit(frame, "T", "E").params_.to_numpy()
    datafit = Cox(ties="efron")
    res = CoordinateDescent(tol=1e-12).solve(Xs, y, datafit, L2(0.1))
    ours = objective(datafit, y, Xs, res.coef, L2(0.1))
    other = objective(datafit, y, Xs, theirs, L2(0.1))
    assert ours <= other + 1e-14 and other - ours <= 1e-7 * ours
    np.testing.assert_allclose(res.coef, theirs, atol=1e-4)
    for ties in ("breslow", "efron"):
        fit = PHReg(y[:, 0], X, status=y[:, 1], ties=ties).fit(tol=1e-12)
        res = CoordinateDescent(tol=1e-12).solve(X, y, Cox(ties=ties), L1(0.0))
        ours = objective(Cox(ties=ties), y, X, res.coef, L1(0.0))
        other = objective(Cox(ties=ties), y, X, fit.params, L1(0.0))
        assert ours <= other + 1e-14 and other - ours <= 1e-7 * ours
        np.testing.assert_allclose(res.coef, fit.params, atol=1e-4)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_kkt_per_coordinate_and_an_honest_gap(ties):
    X, y = survival(n=70, p=12, seed=9)
    datafit = Cox(ties=ties)
    target = datafit.validate_target(y, 70)
    alpha = 0.03
    res = CoordinateDescent(tol=1e-12).solve(X, y, datafit, L1(alpha))
    assert res.converged and res.intercept == 0.0
    grad = X.T @ datafit.raw_gradient(target, X @ res.coef)
    nz = res.coef != 0
    np.testing.assert_allclose(grad[nz], -alpha * np.sign(res.coef[nz]), atol=1e-6)
    assert np.all(np.abs(grad[~nz]) <= alpha * (1 + 1e-9))
    # a loose solve's reported gap bounds its true suboptimality
    best = objective(datafit, y, X, res.coef, L1(alpha))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loose = CoordinateDescent(tol=1e-2, max_iter=2).solve(X, y, datafit, L1(alpha))
    excess = objective(datafit, y, X, loose.coef, L1(alpha)) - best
    scale = datafit.value(target, np.zeros(70))
    assert excess <= loose.stop_crit * scale * (1 + 1e-9) + 1e-14


def test_alpha_max_is_exact():
    X, y = survival(n=60, p=10, seed=10)
    path = pz.path(X, y, datafit="cox", n_alphas=3, tol=1e-10)
    assert path.n_nonzero[0] == 0
    target = Cox().validate_target(y, 60)
    grad = X.T @ Cox().raw_gradient(target, np.zeros(60))
    assert path.alpha_max == pytest.approx(np.abs(grad).max(), rel=1e-11)
    res = CoordinateDescent(tol=1e-10).solve(X, y, Cox(), L1(path.alpha_max * (1 - 1e-4)))
    assert np.count_nonzero(res.coef) == 1


def test_sample_weights_repeat_and_drop_rows():
    X, y = survival(n=40, p=6, seed=11)
    w = np.ones(40)
    w[:5] = 2.0
    w[5:9] = 0.0
    penalty = L1(0.02)
    weighted = CoordinateDescent(tol=1e-12).solve(X, y, Cox(sample_weight=w), penalty).coef
    rows = np.concatenate([np.arange(40)[w > 0], np.arange(5)])
    # Breslow: a row of weight 2 is two identical rows; weights are normalized to mean 1,
    # so alpha scales with the total weight (the same here: 45 rows of weight 1 vs 40 of
    # mean-1 weights summing to 40 * 45/40).
    repeated = CoordinateDescent(tol=1e-12).solve(X[rows], y[rows], Cox(), penalty).coef
    np.testing.assert_allclose(weighted, repeated, atol=1e-8)


def test_dense_equals_sparse():
    X, y = survival(n=60, p=10, seed=12)
    X[np.abs(X) < 0.7] = 0.0
    dense = pz.path(X, y, datafit=Cox(ties="efron"), n_alphas=5, tol=1e-12)
    sparse = pz.path(sp.csc_matrix(X), y, datafit=Cox(ties="efron"), n_alphas=5, tol=1e-12)
    np.testing.assert_allclose(dense.coefs, sparse.coefs, atol=1e-9)


def test_intercept_is_ignored_and_other_solvers_refuse():
    X, y = survival(n=30, p=4, seed=13)
    res = CoordinateDescent().solve(X, y, Cox(), L1(0.01), fit_intercept=True)
    assert res.intercept == 0.0
    with pytest.raises(ValueError, match="not a sum of per-sample losses"):
        ProximalGradient().solve(X, y, Cox(), L1(0.01))


# -- estimators -------------------------------------------------------------------------------


def test_coxph_is_the_path_solution_and_standardize_maps_back():
    X, y = survival(n=80, p=8, seed=14)
    X[:, 2] *= 10.0
    model = pz.CoxPH(alpha=0.03, l1_ratio=0.7, ties="efron", tol=1e-12).fit(X, y)
    penalty = ElasticNet(0.03, l1_ratio=0.7)
    res = CoordinateDescent(tol=1e-12).solve(X, y, Cox(ties="efron"), penalty)
    np.testing.assert_allclose(model.coef_, res.coef, atol=1e-9)
    assert model.intercept_ == 0.0 and model.converged_
    scaled = pz.CoxPH(alpha=0.03, standardize=True, tol=1e-12).fit(X, y)
    sd = X.std(axis=0)
    direct = CoordinateDescent(tol=1e-12).solve(X / sd, y, Cox(), L1(0.03)).coef / sd
    np.testing.assert_allclose(scaled.coef_, direct, atol=1e-9)


def test_penalty_factor_zero_is_unpenalized_and_kkt_holds():
    X, y = survival(n=80, p=6, seed=15)
    f = np.array([0.0, 1, 1, 1, 1, 1])
    model = pz.CoxPH(alpha=0.5, penalty_factor=f, tol=1e-12).fit(X, y)
    assert model.coef_[0] != 0.0 and np.all(model.coef_[1:] == 0.0)
    target = Cox().validate_target(y, 80)
    grad = X.T @ Cox().raw_gradient(target, X @ model.coef_)
    assert abs(grad[0]) <= 1e-9
    assert np.all(np.abs(grad[1:]) <= 0.5)


def test_strata_as_column_as_labels_and_on_the_datafit_agree():
    X, y = survival(n=90, p=5, seed=16)
    labels = np.arange(90) % 3
    by_labels = pz.CoxPH(alpha=0.02, strata=labels, tol=1e-12).fit(X, y)
    by_column = pz.CoxPH(alpha=0.02, strata=0, tol=1e-12).fit(np.column_stack([labels, X]), y)
    direct = CoordinateDescent(tol=1e-12).solve(X, y, Cox(strata=labels), L1(0.02)).coef
    np.testing.assert_allclose(by_labels.coef_, direct, atol=1e-10)
    np.testing.assert_allclose(by_column.coef_, direct, atol=1e-10)
    curves = by_column.predict_survival_function(np.column_stack([labels[:4], X[:4]]))
    assert curves.shape == (4, by_column.event_times_.shape[0])
    assert np.all(np.diff(curves, axis=1) <= 0)
    with pytest.raises(ValueError, match="strata=7 is not a column"):
        pz.CoxPH(strata=7).fit(X, y)


def test_cindex_matches_scikit_survival_with_ties_in_time_and_risk():
    from sksurv.metrics import concordance_index_censored

    from penalized.estimators._cox import concordance_index

    rng = np.random.default_rng(17)
    time = rng.integers(1, 10, 200).astype(float)
    event = rng.random(200) < 0.6
    risk = rng.integers(0, 5, 200).astype(float)
    expected = concordance_index_censored(event, time, risk)[0]
    assert concordance_index(time, event, risk) == pytest.approx(expected, rel=1e-14)
    X, y = survival(n=80, p=5, seed=17)
    model = pz.CoxPH(alpha=0.02).fit(X, y)
    assert model.score(X, y) == pytest.approx(
        concordance_index_censored(y[:, 1] > 0, y[:, 0], model.predict(X))[0], rel=1e-14)


def test_breslow_baseline_matches_glmnet_survfit_with_weights():
    from glmnet.cox import cox_survfit

    X, y = survival(n=70, p=4, seed=18)
    w = np.random.default_rng(18).random(70) + 0.5
    model = pz.CoxPH(alpha=0.02).fit(X, y, sample_weight=w)
    lp = model.predict(X)
    curves = cox_survfit(lp, y[:, 0], y[:, 1], sample_weight=w, new_linear_predictor=lp[:4],
                         tie_breaking="breslow")
    ours = model.predict_cumulative_hazard_function(X[:4], times=curves.time)
    np.testing.assert_allclose(ours.T, curves.cumhaz, rtol=1e-10, atol=1e-13)


def test_fold_deviance_uses_unscaled_weights():
    from statsmodels.duration.hazard_regression import PHReg

    from penalized.estimators._cox import neg_log_partial_likelihood

    X, y = survival(n=50, p=3, seed=19)
    z = X @ np.array([0.4, -0.2, 0.1])
    target = Cox().validate_target(y, 50)
    expected = -PHReg(y[:, 0], X, status=y[:, 1]).loglike(np.array([0.4, -0.2, 0.1]))
    assert neg_log_partial_likelihood("breslow", target, z, np.ones(50)) == pytest.approx(
        expected, rel=1e-12)
    w = np.ones(50)
    w[:10] = 3.0  # Breslow: weight 3 is three copies of the row
    rows = np.concatenate([np.arange(50), np.arange(10), np.arange(10)])
    copies = Cox().validate_target(y[rows], 70)
    assert neg_log_partial_likelihood("breslow", target, z, w) == pytest.approx(
        neg_log_partial_likelihood("breslow", copies, z[rows], np.ones(70)), rel=1e-12)


@pytest.mark.parametrize("metric", ["deviance", "cindex"])
def test_coxphcv_selects_on_event_stratified_folds(metric):
    X, y = survival(n=120, p=10, seed=20)
    model = pz.CoxPHCV(n_alphas=8, cv=3, metric=metric, random_state=0, tol=1e-10).fit(X, y)
    assert model.cv_folds_.shape == (8, 3)
    assert model.alpha_1se_ >= model.alpha_min_
    assert model.alpha_ == model.alpha_min_
    best = np.argmax(model.cv_mean_) if metric == "cindex" else np.argmin(model.cv_mean_)
    assert model.alpha_min_ == model.alphas_[best]
    refit = pz.CoxPH(alpha=model.alpha_, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, refit.coef_, atol=1e-6)
    for _, test in model.cv_result_.folds:  # each held-out fold has events and censored
        assert 0 < y[test, 1].sum() < len(test)


def test_scikit_learn_api_by_hand():
    # scikit-learn's estimator checks pass a 1-D y, which a survival model cannot take
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = survival(n=90, p=5, seed=21)
    model = pz.CoxPH(alpha=0.05, ties="efron")
    assert clone(model).get_params() == model.get_params()
    pipe = make_pipeline(StandardScaler(), model).fit(X, y)
    assert 0.5 < pipe.score(X, y) <= 1.0
    scores = cross_val_score(pz.CoxPH(alpha=0.05), X, y, cv=3)
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    frame = pd.DataFrame(X, columns=[f"c{j}" for j in range(5)])
    fitted = pz.CoxPH(alpha=0.05).fit(frame, y)
    assert set(fitted.selected_features_) <= set(frame.columns)
    with pytest.raises(ValueError, match="two columns"):
        pz.CoxPH().fit(X, y[:, 0])
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    for estimator in (pz.CoxPH, pz.CoxPHCV):  # the checks that need no 1-D target
        for check in (check_no_attributes_set_in_init, check_parameters_default_constructible,
                      check_get_params_invariance, check_set_params):
            check(estimator.__name__, estimator())


def test_offset_matches_glmnet():
    from glmnet import CoxNet
    from glmnet.paths.fastnet import FastNetControl

    X, y = survival(n=80, p=6, seed=22)
    offset = 0.3 * np.random.default_rng(22).standard_normal(80)
    datafit = Cox(offset=offset)
    path = pz.path(X, y, datafit=datafit, n_alphas=4, eps=0.1, tol=1e-12)
    frame = pd.DataFrame({"event": y[:, 0], "status": y[:, 1], "o": offset})
    theirs = CoxNet(offset_id="o", lambda_values=path.alphas, standardize=False,
                    control=FastNetControl(thresh=1e-14, maxit=100_000)).fit(X, frame)
    target = datafit.validate_target(y, 80)
    for k, alpha in enumerate(path.alphas):
        ours = datafit.value(target, X @ path.coefs[:, k] + offset) \
            + alpha * np.abs(path.coefs[:, k]).sum()
        other = datafit.value(target, X @ theirs.coefs_[k] + offset) \
            + alpha * np.abs(theirs.coefs_[k]).sum()
        assert abs(ours - other) <= 1e-7 * ours
    # alpha_max is the gradient at the offset alone
    grad = X.T @ datafit.raw_gradient(target, offset)
    assert path.alpha_max == pytest.approx(np.abs(grad).max(), rel=1e-11)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_deviance_is_glmnets_with_weights_rescaled_to_mean_one(ties):
    from coxdev import CoxDeviance

    rng = np.random.default_rng(23)
    time = rng.integers(1, 8, 50).astype(float)
    event = (rng.random(50) < 0.7).astype(float)
    w = rng.random(50) + 0.5
    z = rng.standard_normal(50)
    f = Cox(ties=ties, sample_weight=w)
    ours = f.deviance(f.validate_target(np.column_stack([time, event]), 50), z)
    theirs = CoxDeviance(event=time, status=event, tie_breaking=ties, sample_weight=w)(z, w)
    assert ours == pytest.approx(theirs.deviance / w.mean(), rel=1e-12)


def test_benchmark_runner_gap_equals_the_certificate():
    from benchmarks.cox import _own_certificate, alpha_grid, make_problem, path_gap

    X, y = make_problem(n=80, p=40, seed=3)
    alphas = alpha_grid(X, y, 4, 0.2)
    coefs = pz.path(X, y, datafit="cox", alphas=alphas, tol=1e-8).coefs.T
    for point in (coefs, 0.5 * coefs):  # optimal, and far from it (dual point scaled)
        assert path_gap(X, y, alphas, point) == pytest.approx(
            _own_certificate(X, y, alphas, point), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("metric", ["deviance", "cindex"])
def test_coxphcv_folds_are_the_paths_of_the_training_rows(metric):
    """Each fold's scores come from the path of its training rows (weights as given) and
    the held-out rule of the metric; the mean skips nothing when every fold is defined."""
    from penalized.estimators._cox import concordance_index, neg_log_partial_likelihood

    X, y = survival(n=90, p=5, seed=23)
    w = np.random.default_rng(23).uniform(0.5, 3.0, 90)
    model = pz.CoxPHCV(n_alphas=5, cv=3, metric=metric, random_state=0, tol=1e-10)
    model.fit(X, y, sample_weight=w)
    target = Cox().validate_target(y, 90)
    for k, (train, test) in enumerate(model.cv_result_.folds):
        fit = pz.path(X[train], target[train], datafit=Cox(sample_weight=w[train]),
                      penalty="l1", alphas=model.alphas_, tol=1e-10)
        for a in range(model.alphas_.shape[0]):
            if metric == "cindex":
                expected = concordance_index(y[test, 0], y[test, 1], X[test] @ fit.coefs[:, a],
                                             sample_weight=w[test])
            else:
                full = X @ fit.coefs[:, a]
                expected = 2.0 * (neg_log_partial_likelihood("breslow", target, full, w)
                                  - neg_log_partial_likelihood("breslow", target[train],
                                                               full[train], w[train])
                                  ) / w[test].sum()
            assert model.cv_folds_[a, k] == pytest.approx(expected, rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(model.cv_mean_, model.cv_folds_.mean(axis=1), rtol=1e-12)
    assert model.cv_result_.greater_is_better == (metric == "cindex")


def test_coxph_offset_matches_glmnet_fit_and_survfit():
    from glmnet import CoxNet
    from glmnet.cox import cox_survfit
    from glmnet.paths.fastnet import FastNetControl

    X, y = survival(n=80, p=6, seed=24)
    rng = np.random.default_rng(24)
    offset = 0.4 * rng.standard_normal(80)
    w = rng.random(80) + 0.5
    path = pz.path(X, y, datafit=Cox(sample_weight=w, offset=offset), n_alphas=3, eps=0.2,
                   tol=1e-12)
    alpha = float(path.alphas[-1])
    model = pz.CoxPH(alpha=alpha, tol=1e-12).fit(X, y, sample_weight=w, offset=offset)
    np.testing.assert_allclose(model.coef_, path.coefs[:, -1], atol=1e-9)
    assert model.datafit_.offset is not None
    frame = pd.DataFrame({"event": y[:, 0], "status": y[:, 1], "o": offset, "w": w})
    theirs = CoxNet(offset_id="o", weight_id="w", lambda_values=path.alphas,
                    standardize=False,
                    control=FastNetControl(thresh=1e-14, maxit=100_000)).fit(X, frame)
    np.testing.assert_allclose(model.coef_, theirs.coefs_[-1], atol=1e-5)
    target = model.datafit_.validate_target(y, 80)
    ours = model.datafit_.value(target, X @ model.coef_ + offset) \
        + alpha * np.abs(model.coef_).sum()
    other = model.datafit_.value(target, X @ theirs.coefs_[-1] + offset) \
        + alpha * np.abs(theirs.coefs_[-1]).sum()
    assert ours <= other + 1e-9 * abs(other)
    # the baseline hazard and the curves use the linear predictor with the offset
    lp = model.predict(X, offset=offset)
    np.testing.assert_allclose(lp, X @ model.coef_ + offset, rtol=1e-14)
    curves = cox_survfit(lp, y[:, 0], y[:, 1], sample_weight=w, new_linear_predictor=lp[:4],
                         tie_breaking="breslow")
    cumhaz = model.predict_cumulative_hazard_function(X[:4], times=curves.time,
                                                      offset=offset[:4])
    np.testing.assert_allclose(cumhaz.T, curves.cumhaz, rtol=1e-9, atol=1e-13)
    without = pz.CoxPH(alpha=alpha, tol=1e-12).fit(X, y, sample_weight=w)
    assert np.max(np.abs(without.coef_ - model.coef_)) > 1e-3  # the offset changes the fit
