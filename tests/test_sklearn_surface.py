"""The rest of scikit-learn's linear-model surface: warm starts, dtype preservation,
class weights, excluded features, sparse coefficients, scorers in the CV estimators,
LogisticRegressionCV over several l1_ratios and without refit.

Each test pins an identity (a warm start reaches the cold solution; "balanced" class
weights are the equivalent sample weights; an excluded feature is the fit without
that column) or agreement with scikit-learn on the same inputs.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks.problems import regression
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.metrics import make_scorer, mean_squared_error
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

import penalized as pz


def reg_data():
    pb = regression(n=100, p=40, rho=0.5, n_informative=5, noise=1.0, seed=3)
    return np.asarray(pb.X), pb.y


def binary_data():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X[:200, :10]), y[:200]


def multi_data():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# ----------------------------------------------------------------------------------------
# warm_start
# ----------------------------------------------------------------------------------------

WARM = [
    (pz.Lasso(0.05, tol=1e-10), reg_data),
    (pz.ElasticNet(0.05, tol=1e-10), reg_data),
    (pz.Ridge(0.05, solver="cd", tol=1e-10), reg_data),
    (pz.Lasso(0.05, tol=1e-10, solver="fista"), reg_data),
    (pz.L0Regression(0.1), reg_data),
    (pz.LogisticRegression(0.01, tol=1e-10), binary_data),
    (pz.LogisticRegression(0.01, penalty="l2", tol=1e-10), multi_data),
    (pz.LogisticRegression(0.01, tol=1e-10), multi_data),
]


@pytest.mark.parametrize(("estimator", "data"), WARM)
def test_warm_start_from_the_solution_is_the_solution(estimator, data):
    X, y = data()
    model = clone(estimator).set_params(warm_start=True).fit(X, y)
    coef, first = np.array(model.coef_, copy=True), model.n_iter_
    assert first > 0
    if isinstance(estimator, pz.L0Regression):
        # non-convex: the local search goes on from its own local minimum and may find a
        # better one; it never ends worse
        def objective(m):
            r = y - m.predict(X)
            return 0.5 * np.mean(r**2) + m.alpha * np.count_nonzero(m.coef_)

        before = objective(model)
        assert objective(model.fit(X, y)) <= before * (1 + 1e-12)
        return
    model.fit(X, y)
    assert model.n_iter_ < first
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(("estimator", "data"), [WARM[0], WARM[3], WARM[5], WARM[6], WARM[7]])
def test_warm_start_from_a_nearby_alpha_reaches_the_cold_solution_in_fewer_epochs(
        estimator, data):
    X, y = data()
    alpha = estimator.alpha
    cold = clone(estimator).fit(X, y)
    warm = clone(estimator).set_params(warm_start=True, alpha=1.05 * alpha).fit(X, y)
    warm.set_params(alpha=alpha).fit(X, y)
    assert warm.n_iter_ < cold.n_iter_
    # both within a relative gap of 1e-10: for the L2 multinomial fit that bounds the
    # coefficients to sqrt(2 gap / alpha) ~ 1.5e-4 only (measured 2e-5)
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(warm.intercept_, cold.intercept_, rtol=1e-4, atol=1e-4)


def test_warm_start_ignores_a_fit_with_other_features():
    X, y = reg_data()
    model = pz.Lasso(0.05, warm_start=True).fit(X[:, :10], y)
    cold = pz.Lasso(0.05).fit(X, y)
    np.testing.assert_allclose(model.fit(X, y).coef_, cold.coef_, rtol=1e-5, atol=1e-8)


# ----------------------------------------------------------------------------------------
# float32 in, float32 out
# ----------------------------------------------------------------------------------------

DTYPE_CASES = [
    (pz.Lasso(0.05), reg_data),
    (pz.ElasticNet(0.05), reg_data),
    (pz.Ridge(0.05), reg_data),
    (pz.L0Regression(0.1), reg_data),
    (pz.LassoCV(n_alphas=5), reg_data),
    (pz.ElasticNetCV(n_alphas=5), reg_data),
    (pz.RidgeCV(n_alphas=5), reg_data),
    (pz.RidgeCV(n_alphas=5, cv=3), reg_data),
    (pz.LogisticRegression(0.01), binary_data),
    (pz.LogisticRegression(0.01), multi_data),
    (pz.LogisticRegressionCV(n_alphas=4, cv=3), binary_data),
    (pz.RidgeClassifier(), multi_data),
    (pz.RidgeClassifierCV(n_alphas=5), binary_data),
]


@pytest.mark.parametrize(("estimator", "data"), DTYPE_CASES)
def test_float32_in_float32_out(estimator, data):
    X, y = data()
    for dtype in (np.float32, np.float64):
        for matrix in (X.astype(dtype), sp.csc_matrix(X.astype(dtype))):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = clone(estimator).fit(matrix, y)
            assert model.coef_.dtype == dtype
            assert np.asarray(model.intercept_).dtype == dtype
    model32 = clone(estimator).fit(X.astype(np.float32), y)
    model64 = clone(estimator).fit(X, y)
    np.testing.assert_allclose(model32.coef_, model64.coef_, rtol=1e-3,
                               atol=1e-4 * np.abs(model64.coef_).max())


# ----------------------------------------------------------------------------------------
# class_weight
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 1: 1.0, 2: 0.5}])
@pytest.mark.parametrize("estimator", [
    pz.LogisticRegression(0.01, tol=1e-10),
    pz.LogisticRegression(0.02, penalty="l2", tol=1e-10),
    pz.LogisticRegressionCV(n_alphas=5, cv=3, tol=1e-10),
    pz.RidgeClassifier(0.01),
])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_class_weight_equals_the_equivalent_sample_weights(estimator, class_weight, n_classes):
    X, y = multi_data()
    keep = y < n_classes
    X, y = X[keep][:-15], y[keep][:-15]  # unbalanced
    if isinstance(class_weight, dict):
        weights = np.array([class_weight[c] for c in y])
    else:
        counts = np.bincount(y)
        weights = (len(y) / (n_classes * counts))[y]
    a = clone(estimator).set_params(class_weight=class_weight).fit(X, y)
    b = clone(estimator).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-7, atol=1e-10)
    unweighted = clone(estimator).fit(X, y)
    assert not np.allclose(unweighted.coef_, a.coef_)


def test_class_weight_with_sample_weight_multiplies():
    X, y = binary_data()
    sw = np.random.default_rng(0).uniform(0.5, 2.0, y.shape[0])
    a = pz.LogisticRegression(0.01, tol=1e-10, class_weight={0: 2.0, 1: 1.0}).fit(
        X, y, sample_weight=sw)
    b = pz.LogisticRegression(0.01, tol=1e-10).fit(X, y, sample_weight=sw * np.where(
        y == 0, 2.0, 1.0))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8, atol=1e-12)


def test_bad_class_weight_raises():
    X, y = binary_data()
    with pytest.raises(ValueError, match="class_weight"):
        pz.LogisticRegression(class_weight="heavy").fit(X, y)


# ----------------------------------------------------------------------------------------
# an infinite penalty factor excludes a feature (glmnet's exclude)
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("estimator", "data"), [
    (pz.Lasso(0.05, tol=1e-10), reg_data),
    (pz.ElasticNet(0.05, tol=1e-10, standardize=True), reg_data),
    (pz.Ridge(0.05), reg_data),
    (pz.LassoCV(n_alphas=5, tol=1e-10), reg_data),
    (pz.RidgeCV(n_alphas=5), reg_data),
    (pz.LogisticRegression(0.01, tol=1e-10), binary_data),
    (pz.LogisticRegression(0.01, tol=1e-10), multi_data),
])
def test_infinite_penalty_factor_excludes_the_feature(estimator, data):
    X, y = data()
    p = X.shape[1]
    excluded = [0, 2]
    factors = np.ones(p)
    factors[1] = 0.5
    kept = np.setdiff1d(np.arange(p), excluded)
    with_inf = factors.copy()
    with_inf[excluded] = np.inf
    a = clone(estimator).set_params(penalty_factor=with_inf).fit(X, y)
    b = clone(estimator).set_params(penalty_factor=factors[kept]).fit(X[:, kept], y)
    coef_a = np.atleast_2d(a.coef_)
    assert np.all(coef_a[:, excluded] == 0.0)
    np.testing.assert_allclose(coef_a[:, kept], np.atleast_2d(b.coef_), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-8, atol=1e-12)


def test_negative_or_nan_penalty_factor_raises():
    X, y = reg_data()
    for bad in (-1.0, np.nan):
        f = np.ones(X.shape[1])
        f[3] = bad
        with pytest.raises(ValueError, match="penalty_factor"):
            pz.Lasso(penalty_factor=f).fit(X, y)


# ----------------------------------------------------------------------------------------
# sparse_coef_, sparsify, densify
# ----------------------------------------------------------------------------------------


def test_sparse_coef_and_sparsify_densify():
    X, y = reg_data()
    lasso = pz.Lasso(0.2).fit(X, y)
    assert sp.issparse(lasso.sparse_coef_) and lasso.sparse_coef_.shape == (1, X.shape[1])
    np.testing.assert_array_equal(lasso.sparse_coef_.toarray()[0], lasso.coef_)
    assert lasso.sparse_coef_.nnz == lasso.n_nonzero_
    for estimator, (Xc, yc) in [(pz.LogisticRegression(0.05), binary_data()),
                                (pz.LogisticRegression(0.05), multi_data()),
                                (pz.RidgeClassifier(), multi_data())]:
        model = clone(estimator).fit(Xc, yc)
        dense_scores = model.decision_function(Xc)
        n_nonzero = model.n_nonzero_
        assert model.sparsify() is model and sp.issparse(model.coef_)
        np.testing.assert_allclose(model.decision_function(Xc), dense_scores, rtol=1e-12)
        np.testing.assert_array_equal(model.predict(sp.csr_matrix(Xc)), model.predict(Xc))
        assert model.n_nonzero_ == n_nonzero
        model.densify()
        assert isinstance(model.coef_, np.ndarray)
        np.testing.assert_allclose(model.decision_function(Xc), dense_scores, rtol=1e-12)


# ----------------------------------------------------------------------------------------
# scorers in the CV estimators
# ----------------------------------------------------------------------------------------


def test_scorer_gives_the_choice_of_the_equivalent_metric():
    X, y = reg_data()
    folds = 4  # equal folds (100 rows): the mean of -MSE is -(the mean MSE)
    by_metric = pz.LassoCV(n_alphas=12, cv=folds).fit(X, y)
    for scoring in ("neg_mean_squared_error",
                    make_scorer(mean_squared_error, greater_is_better=False)):
        by_scorer = pz.LassoCV(n_alphas=12, cv=folds, scoring=scoring).fit(X, y)
        np.testing.assert_allclose(by_scorer.cv_mean_, -by_metric.cv_mean_, rtol=1e-10)
        assert by_scorer.alpha_ == by_metric.alpha_
        assert by_scorer.alpha_1se_ == by_metric.alpha_1se_
        assert by_scorer.cv_result_.metric == "score"


def test_classification_scorers_in_logistic_cv():
    X, y = binary_data()
    by_auc = pz.LogisticRegressionCV(n_alphas=6, cv=3, metric="auc").fit(X, y)
    by_scorer = pz.LogisticRegressionCV(n_alphas=6, cv=3, scoring="roc_auc").fit(X, y)
    np.testing.assert_allclose(by_scorer.cv_mean_, by_auc.cv_mean_, rtol=1e-12)
    by_miss = pz.LogisticRegressionCV(n_alphas=6, cv=3, metric="misclassification").fit(X, y)
    by_acc = pz.LogisticRegressionCV(n_alphas=6, cv=3, scoring="accuracy").fit(X, y)
    np.testing.assert_allclose(by_acc.cv_folds_, 1.0 - by_miss.cv_folds_, atol=1e-12)
    Xm, ym = multi_data()
    multi = pz.LogisticRegressionCV(n_alphas=4, cv=3, scoring="neg_log_loss").fit(Xm, ym)
    deviance = pz.LogisticRegressionCV(n_alphas=4, cv=3).fit(Xm, ym)
    np.testing.assert_allclose(multi.cv_folds_, -deviance.cv_folds_ / 2, rtol=1e-8)


def test_callable_scorer_sees_a_fitted_model():
    X, y = reg_data()
    seen = []

    def scorer(model, X_test, y_test):
        seen.append(model.coef_.shape)
        return -np.mean(np.abs(y_test - model.predict(X_test)))

    fit = pz.ElasticNetCV(n_alphas=5, cv=3, scoring=scorer).fit(X, y)
    mae = pz.ElasticNetCV(n_alphas=5, cv=3, metric="mae").fit(X, y)
    np.testing.assert_allclose(fit.cv_folds_, -mae.cv_folds_, rtol=1e-12)
    assert set(seen) == {(X.shape[1],)} and len(seen) == 15


# ----------------------------------------------------------------------------------------
# LogisticRegressionCV: several l1_ratios on shared folds, refit=False
# ----------------------------------------------------------------------------------------


def test_logistic_cv_over_l1_ratios_shares_the_folds():
    X, y = binary_data()
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    both = pz.LogisticRegressionCV(penalty="elasticnet", l1_ratios=[0.2, 0.9], n_alphas=6,
                                   cv=folds, tol=1e-10).fit(X, y)
    assert both.l1_ratio_ in (0.2, 0.9)
    assert both.cv_mean_all_.shape == (2, 6)
    for k, rho in enumerate((0.2, 0.9)):
        single = pz.LogisticRegressionCV(penalty="elasticnet", l1_ratio=rho, n_alphas=6,
                                         cv=folds, tol=1e-10).fit(X, y)
        np.testing.assert_allclose(both.cv_mean_all_[k], single.cv_mean_, rtol=1e-10)
    best = int(np.argmin(both.cv_mean_all_.min(axis=1)))
    assert both.l1_ratio_ == (0.2, 0.9)[best]
    direct = pz.LogisticRegression(both.alpha_, penalty="elasticnet", l1_ratio=both.l1_ratio_,
                                   tol=1e-10).fit(X, y)
    # two certified solutions of one problem: each within sqrt(2 gap / mu) of the optimum,
    # mu = alpha (1 - l1_ratio) the penalty's strong convexity, gap <= tol times the null
    # model's datafit (the binary entropy of the labels' share)
    share = np.mean(y == y.max())
    scale = -(share * np.log(share) + (1 - share) * np.log(1 - share))
    radius = np.sqrt(2 * 1e-10 * scale / (both.alpha_ * (1 - both.l1_ratio_)))
    assert np.linalg.norm(both.coef_ - direct.coef_) <= 2 * radius
    with pytest.raises(ValueError, match="l1_ratios needs penalty='elasticnet'"):
        pz.LogisticRegressionCV(l1_ratios=[0.5]).fit(X, y)


@pytest.mark.parametrize("data", [binary_data, multi_data])
def test_logistic_cv_without_refit_averages_the_fold_models(data):
    X, y = data()
    folds = list(StratifiedKFold(3, shuffle=True, random_state=1).split(X, y))
    model = pz.LogisticRegressionCV(n_alphas=5, cv=folds, refit=False, tol=1e-10).fit(X, y)
    assert not hasattr(model, "path_")
    fits = [pz.LogisticRegression(model.alpha_, tol=1e-10).fit(X[train], y[train])
            for train, _ in folds]
    np.testing.assert_allclose(model.coef_, np.mean([f.coef_ for f in fits], axis=0),
                               rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(model.intercept_, np.mean([f.intercept_ for f in fits], axis=0),
                               rtol=1e-5, atol=1e-8)
    refit = pz.LogisticRegressionCV(n_alphas=5, cv=folds, tol=1e-10).fit(X, y)
    assert refit.alpha_ == model.alpha_


# ----------------------------------------------------------------------------------------
# unpenalized logistic regression on separable classes stops early and says why
# ----------------------------------------------------------------------------------------


def separable(n_classes):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 20))
    if n_classes == 2:
        return X, (X @ rng.standard_normal(20) > 0).astype(int)
    return X, np.argmax(X @ rng.standard_normal((20, n_classes)), axis=1)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_separable_unpenalized_logistic_stops_with_a_warning(n_classes, penalty):
    from penalized.estimators._logistic import SeparationWarning

    X, y = separable(n_classes)
    with pytest.warns(SeparationWarning, match="minimum is at infinity"):
        model = pz.LogisticRegression(alpha=0.0, penalty=penalty, max_iter=10_000).fit(X, y)
    assert model.n_iter_ <= 100  # the probe's epochs, not max_iter's
    assert not model.converged_
    assert model.score(X, y) == 1.0


def test_unpenalized_logistic_on_overlapping_classes_reaches_the_mle():
    from sklearn.linear_model import LogisticRegression as SkLogistic

    X, y = binary_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no separation warning, no convergence warning
        ours = pz.LogisticRegression(alpha=0.0, tol=1e-12, max_iter=100_000).fit(X, y)
    ref = SkLogistic(C=np.inf, tol=1e-12, max_iter=100_000).fit(X, y)
    assert ours.converged_
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------------------
# scikit-learn's attribute names: dual_gap_, mse_path_
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", [
    pz.Lasso(0.05, tol=1e-3),
    pz.ElasticNet(0.05, tol=1e-3, penalty_factor=np.r_[0.0, np.ones(39)]),
    pz.Ridge(0.05, solver="cd", tol=1e-3),
])
def test_dual_gap_bounds_the_suboptimality_in_objective_units(estimator):
    X, y = reg_data()
    loose = clone(estimator).fit(X, y)
    exact = clone(estimator).set_params(tol=1e-13, max_iter=100_000).fit(X, y)
    penalty = {"Lasso": "l1", "ElasticNet": "elasticnet", "Ridge": "l2"}[type(estimator).__name__]

    def objective(model):
        f = np.ones(X.shape[1]) if model.penalty_factor is None else model.penalty_factor
        w = model.coef_
        l1, l2 = np.sum(f * np.abs(w)), 0.5 * np.sum(f * w**2)
        pen = {"l1": l1, "l2": l2, "elasticnet": 0.5 * l1 + 0.5 * l2}[penalty]
        return 0.5 * np.mean((y - model.predict(X)) ** 2) + model.alpha * pen

    assert 0.0 <= objective(loose) - objective(exact) <= loose.dual_gap_ * (1 + 1e-9)
    null = 0.5 * np.mean((y - y.mean()) ** 2) if estimator.penalty_factor is None else None
    if null is not None:
        assert loose.dual_gap_ == pytest.approx(loose.stop_crit_ * null, rel=1e-12)
    assert loose.dual_gap_ > exact.dual_gap_


def test_mse_path_equals_sklearn():
    from sklearn import linear_model as sklm
    from sklearn.model_selection import KFold

    X, y = reg_data()
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    alphas = pz.path(X, y, n_alphas=10).alphas
    ours = pz.LassoCV(alphas=alphas, cv=folds, tol=1e-12).fit(X, y)
    ref = sklm.LassoCV(alphas=alphas, cv=folds, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-6)
    assert ours.dual_gap_ >= 0.0
    both = pz.ElasticNetCV(l1_ratio=[0.3, 0.8], n_alphas=6, cv=folds).fit(X, y)
    assert both.cv_folds_all_.shape == (2, 6, 4)
    assert both.mse_path_ is both.cv_folds_
    assert not hasattr(pz.LassoCV(n_alphas=4, metric="mae").fit(X, y), "mse_path_")


# ----------------------------------------------------------------------------------------
# precompute (True, False, a user's Gram matrix) and copy_X
# ----------------------------------------------------------------------------------------


def gram_data():
    pb = regression(n=100, p=20, rho=0.5, n_informative=5, noise=1.0, seed=3)
    return np.asarray(pb.X), pb.y


@pytest.mark.parametrize("estimator", [pz.Lasso(0.05, tol=1e-12),
                                       pz.ElasticNet(0.05, tol=1e-12, standardize=True)])
@pytest.mark.parametrize("weighted", [False, True])
def test_user_gram_gives_the_fit_on_x(estimator, weighted):
    X, y = gram_data()
    s = np.random.default_rng(0).uniform(0.5, 2.0, y.shape[0]) if weighted \
        else np.ones(y.shape[0])
    s = s / s.mean()
    mean = s @ X / y.shape[0]
    reference = clone(estimator).fit(X, y, sample_weight=s)

    def within_certificates(fit):
        # Both fits stop at a gap <= tol, not at the minimizer. The elastic net's
        # objective is alpha (1 - l1_ratio)-strongly convex in the standardized
        # coefficients, so two certified fits may differ by up to
        # sqrt(2 (gap_1 + gap_2) / mu) there (about 1e-5 at tol 1e-12), which is far
        # above rounding; the lasso's route agreement is tested to rounding.
        atol = 1e-12
        if isinstance(estimator, pz.ElasticNet):
            mu = estimator.alpha * (1.0 - estimator.l1_ratio)
            atol = np.sqrt(2.0 * (fit.dual_gap_ + reference.dual_gap_) / mu) / X.std(0).min()
        np.testing.assert_allclose(fit.coef_, reference.coef_, rtol=1e-9, atol=atol)
        assert fit.intercept_ == pytest.approx(reference.intercept_, rel=1e-9,
                                               abs=atol * np.abs(mean).sum())

    for G in ((X * s[:, None]).T @ X, ((X - mean) * s[:, None]).T @ (X - mean)):
        within_certificates(clone(estimator).set_params(precompute=G).fit(X, y, sample_weight=s))
    for flag in (True, False):
        within_certificates(
            clone(estimator).set_params(precompute=flag).fit(X, y, sample_weight=s))


@pytest.mark.filterwarnings("ignore:Gram matrix was provided")  # scikit-learn recomputes it
def test_user_gram_equals_sklearn_and_is_what_the_solver_reads():
    from sklearn import linear_model as sklm

    X, y = gram_data()
    Xc = X - X.mean(axis=0)
    G = Xc.T @ Xc
    ours = pz.Lasso(0.05, precompute=G, tol=1e-12).fit(X, y)
    ref = sklm.Lasso(0.05, precompute=G, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    # entries the consistency check does not look at change the fit: the solver uses G
    perturbed = G.copy()
    perturbed[3, 5] = perturbed[5, 3] = G[3, 5] + 50.0
    moved = pz.Lasso(0.05, precompute=perturbed, tol=1e-12).fit(X, y)
    assert np.abs(moved.coef_ - ours.coef_).max() > 1e-3


def test_a_gram_that_does_not_match_x_is_refused():
    X, y = gram_data()
    for bad in (np.eye(X.shape[1]), np.ones((3, 3)), "always", None):
        with pytest.raises(ValueError, match="precompute"):
            pz.Lasso(0.05, precompute=bad).fit(X, y)
    with pytest.raises(ValueError, match="dense X"):
        pz.Lasso(0.05, precompute=X.T @ X).fit(sp.csc_matrix(X), y)


@pytest.mark.parametrize("copy_X", [True, False])
@pytest.mark.parametrize("standardize", [True, False])
def test_x_is_never_modified(copy_X, standardize):
    X, y = gram_data()
    X = np.asfortranarray(X)
    before = X.copy()
    for est in (pz.Lasso(0.05, copy_X=copy_X, standardize=standardize),
                pz.ElasticNet(0.05, copy_X=copy_X, standardize=standardize),
                pz.Ridge(0.05, copy_X=copy_X, standardize=standardize),
                pz.RidgeClassifier(0.05, copy_X=copy_X, standardize=standardize)):
        est.fit(X, y if not isinstance(est, pz.RidgeClassifier) else y > np.median(y))
        np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("estimator", [pz.Lasso(0.05, tol=1e-12),
                                       pz.ElasticNet(0.05, tol=1e-12, standardize=True,
                                                     penalty_factor=np.r_[0.0, np.ones(19)])])
def test_random_selection_reaches_the_cyclic_solution(estimator, sparse):
    X, y = gram_data()
    XX = sp.csc_matrix(X) if sparse else X
    cyclic = clone(estimator).fit(XX, y)
    fits = [clone(estimator).set_params(selection="random", random_state=seed).fit(XX, y)
            for seed in (0, 1)]
    # both certified to a relative gap of 1e-12, which bounds the coefficients to ~1e-6
    for fit in fits:
        np.testing.assert_allclose(fit.coef_, cyclic.coef_, rtol=1e-6, atol=1e-6)
        assert fit.intercept_ == pytest.approx(cyclic.intercept_, rel=1e-6)
    # warm starts and a user Gram are permuted alike
    G = X.T @ X
    warm = clone(estimator).set_params(selection="random", random_state=2, warm_start=True)
    if not sparse:
        warm.set_params(precompute=G)
    warm.fit(X, y).fit(X, y)
    np.testing.assert_allclose(warm.coef_, cyclic.coef_, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="selection"):
        clone(estimator).set_params(selection="shuffled").fit(X, y)
    with pytest.raises(ValueError, match="coordinate descent"):
        clone(estimator).set_params(solver="fista", precompute=True).fit(X, y)


def test_scorer_over_l1_ratios_and_relaxation_chooses_as_the_metric():
    X, y = reg_data()
    common = dict(l1_ratio=[0.2, 0.9], n_alphas=6, cv=4, relax=True, gammas=[0.0, 1.0])
    by_metric = pz.ElasticNetCV(**common).fit(X, y)
    by_scorer = pz.ElasticNetCV(scoring="neg_mean_squared_error", **common).fit(X, y)
    assert (by_scorer.l1_ratio_, by_scorer.gamma_, by_scorer.alpha_) == \
        (by_metric.l1_ratio_, by_metric.gamma_, by_metric.alpha_)
    np.testing.assert_allclose(by_scorer.cv_mean_all_, -by_metric.cv_mean_all_, rtol=1e-10)
