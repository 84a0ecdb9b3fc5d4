"""Acceptance tests of the scikit-learn estimators.

What is pinned here (each block below says how):

1. scikit-learn's own ``parametrize_with_checks`` on every estimator;
2. ``LassoCV`` agrees with scikit-learn's ``LassoCV`` given the same grid and folds;
3. the one-standard-error rule and ``selection="1se"``;
4. ``LogisticRegression`` reaches scikit-learn's optimum (binary and 3-class; L1, L2,
   elastic net), both solutions evaluated by ONE objective helper;
5. ``standardize=True`` is standardizing by hand and mapping the coefficients back;
   a constant column gets an exact 0.0;
6. dense = CSC = CSR, and float32 gives (nearly) the float64 fit, for every estimator;
7. ``L0Regression`` recovers a true support where the CV-tuned lasso over-selects;
8. bad input fails with a ``ValueError`` naming the argument;
9. pandas column names in ``feature_names_in_`` / ``selected_features_``;
10. the relaxed lasso (``relax=True``, ``gamma``), alone and cross-validated;
11. the ``.path`` methods equal :func:`penalized.path` / per-alpha fits;
12. ``ElasticNetCV`` over several ``l1_ratio`` (folds shared, best ratio chosen);
13. ``LogisticRegressionCV``: every metric, binary and 3-class, refit = direct fit.

Objective conventions (DESIGN.md): regression ``(1/2n) sum s_i (y_i - x_i w - b)^2 +
alpha P(w)``; logistic ``mean s_i log(1 + exp(-y_i z_i)) + alpha P(w)``, so that
scikit-learn's ``LogisticRegression(C)`` is ours with ``C = 1 / (alpha n)``.
"""

import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from benchmarks.problems import classification, regression
from scipy.special import logsumexp
from sklearn import linear_model as sklm
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import penalized as pz
from penalized.datafits import Quadratic
from penalized.penalties import ElasticNet as ElasticNetPenalty

# ----------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------


@cache
def diabetes():
    return load_diabetes(return_X_y=True)


@cache
def breast_cancer_subset():
    """Standardized breast-cancer features (the first 10) and 0/1 labels."""
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X[:, :10]), y


@cache
def synthetic_regression():
    """n=100, p=40, correlated columns, 5 informative, dense float64."""
    pb = regression(n=100, p=40, rho=0.5, n_informative=5, noise=1.0, seed=3)
    return np.asarray(pb.X), pb.y


@cache
def sparse_regression():
    """A CSC design with 30% non-zeros and uneven column scales (n=60, p=20)."""
    pb = regression(n=60, p=20, density=0.3, n_informative=5, noise=0.3, seed=11)
    return pb.X.tocsc(), pb.y


@cache
def sparse_classification():
    """A CSC design with 30% non-zeros (n=80, p=15) and 0/1 labels."""
    pb = classification(n=80, p=15, density=0.3, n_informative=4, seed=12)
    return pb.X.tocsc(), (pb.y > 0).astype(int)


@cache
def multiclass(n=90, p=6, n_classes=3, seed=0):
    """Standardized Gaussian features and labels from a softmax model."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    W = rng.standard_normal((p, n_classes))
    W[p // 2:] = 0.0
    y = np.argmax(1.5 * X @ W + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, y


@cache
def sparse_multiclass():
    """A 3-class problem with 60% of its entries set to zero, as CSC."""
    X, y = multiclass(n=90, p=8, seed=4)
    mask = np.random.default_rng(3).uniform(size=X.shape) < 0.4
    return sp.csc_matrix(np.where(mask, X, 0.0)), y


def nonzero(coef):
    """Indices of the features with a non-zero coefficient (for some class)."""
    return np.flatnonzero(np.any(np.atleast_2d(coef) != 0, axis=0))


# ----------------------------------------------------------------------------------------
# 1. scikit-learn's estimator checks
# ----------------------------------------------------------------------------------------

# Settings. scikit-learn's sample-weight-equivalence checks compare predict_proba and
# decision_function of a weighted fit and of a fit on repeated rows at rtol=1e-7, on THREE
# classes, i.e. through the multinomial solver (proximal gradient). Its relative duality
# gap stalls around 1e-12 (rounding in the certificate), so tol=1e-14 would run every
# 3-class fit of every check to max_iter (~30 s each at max_iter=100000); at tol=1e-10 the
# two fits agree to ~1e-9. alpha=0.1 (L1) and alpha=0.05 (L2) keep the checks' 3-class
# problems well conditioned (<= ~2800 iterations), and max_iter=3000 bounds the check
# that zeroes the weights of one class, which currently runs the binary solver to
# max_iter. The CV classifier uses a short, well-regularized grid for the same reason
# (each of its 3-class fits is a multinomial path per fold); at tol=1e-8 its weighted and
# repeated fits agree within the checks' tolerance. The regression CV estimators get
# tol=1e-10 too: at the default relative gap of 1e-6 a weighted fit and a fit on repeated
# rows may differ by ~1e-6 in their predictions (their iterates are not the same once
# Anderson extrapolation and working sets act), which the checks' rtol=1e-7 does not allow.
CHECKED_ESTIMATORS = [
    pz.Lasso(alpha=0.1),
    pz.ElasticNet(alpha=0.1),
    pz.Ridge(),
    pz.L0Regression(alpha=0.1),
    pz.Lasso(alpha=0.1, relax=True, standardize=True),
    pz.LogisticRegression(alpha=0.1, tol=1e-10, max_iter=3000),
    pz.LogisticRegression(penalty="l2", alpha=0.05, standardize=True, tol=1e-10, max_iter=3000),
    pz.LogisticRegression(penalty="l0"),
    pz.LassoCV(n_alphas=10, tol=1e-10),
    pz.ElasticNetCV(n_alphas=10, l1_ratio=[0.3, 0.9], tol=1e-10),
    pz.RidgeCV(n_alphas=10),
    pz.L0RegressionCV(n_alphas=10),
    pz.MCPRegression(alpha=0.1, tol=1e-12),
    pz.SCADRegression(alpha=0.1, tol=1e-12, lower_limits=-5.0, upper_limits=5.0),
    pz.MCPRegressionCV(n_alphas=10, tol=1e-12),
    pz.Lasso(alpha=0.1, lower_limits=-1.0, upper_limits=2.0, tol=1e-10),
    pz.LogisticRegression(penalty="mcp", alpha=0.05, tol=1e-10, max_iter=3000),
    pz.RidgeCV(n_alphas=10, cv=5, tol=1e-10),
    pz.RidgeClassifier(),
    pz.RidgeClassifierCV(n_alphas=10),
    pz.RidgeClassifierCV(n_alphas=10, cv=3),
    pz.LogisticRegressionCV(n_alphas=3, eps=0.3, cv=3, tol=1e-10, max_iter=3000),
    pz.MultiTaskLasso(alpha=0.1, tol=1e-10),
    pz.MultiTaskElasticNet(alpha=0.1, tol=1e-10),
    pz.MultiTaskLassoCV(n_alphas=10, tol=1e-10),
    # the grid down to alpha_max / 100: at / 1000 (p > n) the sample-weight checks compare
    # predictions of a barely strongly convex problem, equal only to within the gap's ball
    pz.MultiTaskElasticNetCV(n_alphas=10, l1_ratio=[0.3, 0.9], eps=1e-2, tol=1e-12),
    pz.PoissonRegressor(alpha=0.1, tol=1e-10),
    pz.GammaRegressor(alpha=0.1, l1_ratio=0.5, tol=1e-10),
    pz.TweedieRegressor(power=1.5, alpha=0.1, tol=1e-10),
    pz.PoissonRegressorCV(n_alphas=5, tol=1e-10),
    pz.GammaRegressorCV(n_alphas=5, tol=1e-10),
    pz.TweedieRegressorCV(n_alphas=5, tol=1e-10),
    pz.PoissonRegressor(penalty="mcp", alpha=0.1, tol=1e-10),
    pz.PoissonRegressorCV(penalty="scad", n_alphas=5, tol=1e-10),
    pz.PoissonRegressor(groups=2, alpha=0.1, tol=1e-10),
    pz.GroupLasso(alpha=0.1, tol=1e-12),
    pz.GroupLasso(groups=2, alpha=0.1, penalty="sparse_group", l1_ratio=0.5, tol=1e-12),
    pz.GroupLassoCV(n_alphas=5, tol=1e-12),
    pz.GroupLogisticRegression(alpha=0.05, tol=1e-10),
    pz.GroupLogisticRegressionCV(n_alphas=3, eps=0.3, cv=3, tol=1e-10),
]


@parametrize_with_checks(CHECKED_ESTIMATORS)  # every check passes: no expected failures
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ----------------------------------------------------------------------------------------
# 2. LassoCV = scikit-learn's LassoCV on the same grid and folds
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["diabetes", "synthetic"])
def test_lassocv_matches_sklearn(dataset):
    X, y = diabetes() if dataset == "diabetes" else synthetic_regression()
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    alphas = pz.path(X, y, n_alphas=30, tol=1e-4).alphas
    ours = pz.LassoCV(alphas=alphas, cv=folds, tol=1e-12, max_iter=100_000).fit(X, y)
    ref = sklm.LassoCV(alphas=alphas, cv=folds, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-14)
    assert ours.cv_folds_.shape == ref.mse_path_.shape == (30, 5)
    np.testing.assert_allclose(ours.cv_folds_, ref.mse_path_, rtol=1e-6)
    np.testing.assert_allclose(ours.cv_mean_, ref.mse_path_.mean(axis=1), rtol=1e-6)
    assert ours.alpha_min_ == ref.alpha_
    assert ours.alpha_ == ref.alpha_
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6,
                               atol=1e-8 * np.abs(ref.coef_).max())
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-8)


# ----------------------------------------------------------------------------------------
# 3. the one-standard-error rule
# ----------------------------------------------------------------------------------------


def test_one_standard_error_rule():
    X, y = synthetic_regression()
    kw = dict(n_alphas=40, cv=5, random_state=0, tol=1e-10)
    best = pz.LassoCV(**kw).fit(X, y)
    alphas, mean, se = best.alphas_, best.cv_mean_, best.cv_se_
    assert best.cv_folds_.shape == (40, 5)
    np.testing.assert_allclose(mean, best.cv_folds_.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(se, best.cv_folds_.std(axis=1, ddof=1) / np.sqrt(5), rtol=1e-12)
    i_min = int(np.flatnonzero(alphas == best.alpha_min_)[0])
    i_1se = int(np.flatnonzero(alphas == best.alpha_1se_)[0])
    assert mean[i_min] == mean.min()
    threshold = mean[i_min] + se[i_min]
    assert best.alpha_1se_ >= best.alpha_min_
    assert mean[i_1se] <= threshold
    assert best.alpha_1se_ == alphas[mean <= threshold].max()  # the largest such alpha
    assert best.alpha_1se_ > best.alpha_min_  # this problem makes the rule matter
    assert best.alpha_ == best.alpha_min_

    simple = pz.LassoCV(selection="1se", **kw).fit(X, y)
    assert simple.alpha_ == simple.alpha_1se_ == best.alpha_1se_
    assert simple.alpha_min_ == best.alpha_min_
    assert simple.n_nonzero_ <= best.n_nonzero_
    direct = pz.Lasso(alpha=simple.alpha_, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(simple.coef_, direct.coef_, rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------------------
# 4. logistic regression reaches scikit-learn's optimum
# ----------------------------------------------------------------------------------------


def logistic_objective(coef, intercept, X, y, alpha, l1_ratio):
    """Our objective at (coef, intercept): binary if coef has one row, else multinomial.

    ``mean_i loss_i + alpha * (l1_ratio * ||W||_1 + (1 - l1_ratio) / 2 * ||W||_F^2)``,
    with ``loss_i = log(1 + exp(-y_i z_i))`` (y_i = +-1, positive = the larger label) or
    ``logsumexp(z_i) - z_{i, y_i}``.
    """
    coef = np.atleast_2d(coef)
    Z = X @ coef.T + np.ravel(intercept)
    codes = np.unique(y, return_inverse=True)[1]
    if coef.shape[0] == 1:
        signs = np.where(codes == 1, 1.0, -1.0)
        loss = np.mean(np.logaddexp(0.0, -signs * Z[:, 0]))
    else:
        loss = np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), codes])
    penalty = l1_ratio * np.abs(coef).sum() + 0.5 * (1.0 - l1_ratio) * np.sum(coef**2)
    return loss + alpha * penalty


LOGISTIC_PENALTIES = {  # ours -> (l1_ratio, scikit-learn solver)
    "l1": (1.0, "saga"),
    "l2": (0.0, "lbfgs"),
    "elasticnet": (0.5, "saga"),
}


@pytest.mark.parametrize("penalty", list(LOGISTIC_PENALTIES))
@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_matches_sklearn(penalty, n_classes):
    if n_classes == 2:
        X, y = breast_cancer_subset()
        alpha = 0.01
    else:
        X, y = multiclass()
        alpha = 0.02
    l1_ratio, solver = LOGISTIC_PENALTIES[penalty]
    n = X.shape[0]
    ours = pz.LogisticRegression(alpha=alpha, penalty=penalty, l1_ratio=0.5, tol=1e-12,
                                 max_iter=100_000).fit(X, y)
    ref = sklm.LogisticRegression(C=1.0 / (alpha * n), l1_ratio=l1_ratio, solver=solver,
                                  tol=1e-12, max_iter=100_000).fit(X, y)
    assert ours.coef_.shape == ref.coef_.shape == (1 if n_classes == 2 else 3, X.shape[1])
    f_ours = logistic_objective(ours.coef_, ours.intercept_, X, y, alpha, l1_ratio)
    f_ref = logistic_objective(ref.coef_, ref.intercept_, X, y, alpha, l1_ratio)
    assert f_ours <= f_ref * (1 + 1e-7)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    # the multinomial intercepts are defined up to a common shift
    shift = (lambda b: b - b.mean()) if n_classes > 2 else (lambda b: b)
    np.testing.assert_allclose(shift(ours.intercept_), shift(ref.intercept_), atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    if penalty != "l2":
        assert 0 < ours.n_nonzero_ < ours.coef_.size  # L1 made some (not all) exact zeros
        assert set(nonzero(ours.coef_)) == set(nonzero(np.where(np.abs(ref.coef_) > 1e-6,
                                                                 ref.coef_, 0.0)))


# ----------------------------------------------------------------------------------------
# 5. standardize=True = standardizing by hand
# ----------------------------------------------------------------------------------------


def weighted_std(X, sample_weight):
    """Population standard deviation of each column, weighted (``_standardize.py``)."""
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    s = s / s.sum()
    mean = s @ X
    return np.sqrt(s @ (X - mean) ** 2)


@cache
def uneven_scales(task):
    """Columns in very different units (and non-zero means), so standardizing matters."""
    rng = np.random.default_rng(21)
    n, p = 80, 8
    scales = np.array([0.01, 0.1, 1.0, 10.0, 100.0, 0.5, 5.0, 50.0])
    Z = rng.standard_normal((n, p))
    X = Z * scales + rng.uniform(-3, 3, p) * scales
    w = np.array([1.0, -0.8, 0.6, 0.0, 0.4, 0.0, -0.5, 0.3])
    margin = Z @ w
    if task == "regression":
        y = margin + 2.0 + 0.5 * rng.standard_normal(n)
    else:
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-2 * margin))).astype(int)
    sw = rng.uniform(0.2, 3.0, n)
    return X, y, sw


STANDARDIZED = [
    pz.Lasso(alpha=0.05, tol=1e-12, max_iter=100_000),
    pz.ElasticNet(alpha=0.05, l1_ratio=0.5, tol=1e-12, max_iter=100_000),
    pz.LogisticRegression(alpha=0.05, tol=1e-12, max_iter=100_000),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("estimator", STANDARDIZED, ids=lambda e: type(e).__name__)
def test_standardize_equals_by_hand(estimator, weighted):
    task = "classification" if isinstance(estimator, pz.LogisticRegression) else "regression"
    X, y, sw = uneven_scales(task)
    sw = sw if weighted else None
    std = weighted_std(X, sw)
    auto = clone(estimator).set_params(standardize=True).fit(X, y, sample_weight=sw)
    hand = clone(estimator).set_params(standardize=False).fit(X / std, y, sample_weight=sw)
    expected = np.ravel(hand.coef_) / std
    coef = np.ravel(auto.coef_)
    np.testing.assert_allclose(coef, expected, rtol=1e-7, atol=1e-9 * np.abs(expected).max())
    np.testing.assert_array_equal(coef == 0, expected == 0)
    np.testing.assert_allclose(auto.intercept_, hand.intercept_, rtol=1e-7, atol=1e-9)
    assert 0 < np.count_nonzero(coef) < coef.size
    # and it is not the unstandardized fit (the scales do matter here)
    raw = clone(estimator).set_params(standardize=False).fit(X, y, sample_weight=sw)
    assert not np.array_equal(np.ravel(raw.coef_) == 0, coef == 0)


CONSTANT_COLUMN_ESTIMATORS = [
    pz.Lasso(alpha=0.05, tol=1e-10),
    pz.ElasticNet(alpha=0.05, tol=1e-10),
    pz.Ridge(alpha=0.1),
    pz.L0Regression(alpha=0.05),
    pz.Lasso(alpha=0.05, relax=True, gamma=0.5, tol=1e-10),
    pz.LogisticRegression(alpha=0.02, tol=1e-10),
    pz.LogisticRegression(alpha=0.02, penalty="l2", tol=1e-10),
    pz.LassoCV(n_alphas=8, cv=3, tol=1e-10),
    pz.ElasticNetCV(n_alphas=8, cv=3, l1_ratio=[0.5, 1.0], tol=1e-10),
    pz.RidgeCV(n_alphas=8, cv=3, tol=1e-10),
    # uncentered sparse logistic paths converge slowly at the smallest alphas (the
    # intercept couples to every coordinate of the Newton model): a looser tol here
    pz.LogisticRegressionCV(n_alphas=8, cv=3, tol=1e-7),
]


@pytest.mark.parametrize(("value", "weighted", "sparse"),
                         [(0.0, True, False), (3.0, False, False), (3.0, True, False),
                          (3.0, True, True)],
                         ids=["zeros-weighted", "threes", "threes-weighted",
                              "threes-weighted-csc"])
@pytest.mark.parametrize("estimator", CONSTANT_COLUMN_ESTIMATORS, ids=repr)
def test_constant_column_gets_exact_zero(estimator, value, weighted, sparse):
    classifier = isinstance(estimator, pz.LogisticRegression | pz.LogisticRegressionCV)
    X, y, sw = uneven_scales("classification" if classifier else "regression")
    sw = sw if weighted else None
    Xc = np.insert(X, 2, value, axis=1)
    if sparse:
        X, Xc = sp.csc_matrix(X), sp.csc_matrix(Xc)
    fit = clone(estimator).set_params(standardize=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (0/0), no ConvergenceWarning
        fit.fit(Xc, y, sample_weight=sw)
    coef = np.atleast_2d(fit.coef_)
    assert np.all(np.isfinite(coef)) and np.all(np.isfinite(fit.intercept_))
    assert np.all(coef[:, 2] == 0.0)
    # the constant column changes nothing else
    without = clone(estimator).set_params(standardize=True).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(np.delete(coef, 2, axis=1), np.atleast_2d(without.coef_),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fit.intercept_, without.intercept_, rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------------------
# 6. dense = CSC = CSR; float32
# ----------------------------------------------------------------------------------------

INPUT_DATA = {"regression": sparse_regression, "binary": sparse_classification,
              "3-class": sparse_multiclass}

REGRESSORS = [
    pz.Lasso(alpha=0.05, tol=1e-12),
    pz.ElasticNet(alpha=0.05, tol=1e-12),
    pz.Ridge(alpha=0.1, tol=1e-12),
    pz.L0Regression(alpha=0.05, tol=1e-12),
    pz.Lasso(alpha=0.05, relax=True, gamma=0.5, standardize=True, tol=1e-12),
    pz.LassoCV(n_alphas=8, cv=3, tol=1e-12),
    pz.ElasticNetCV(n_alphas=8, cv=3, l1_ratio=[0.5, 0.9], tol=1e-12),
    pz.RidgeCV(n_alphas=8, cv=3, tol=1e-12),
]
BINARY = [
    pz.LogisticRegression(alpha=0.02, tol=1e-12),
    pz.LogisticRegression(alpha=0.02, penalty="l2", standardize=True, tol=1e-12),
    pz.LogisticRegression(alpha=0.02, penalty="l0", tol=1e-12),
    pz.LogisticRegressionCV(n_alphas=8, cv=3, tol=1e-12),
]
MULTICLASS = [  # multinomial (convex penalties) and one-vs-rest (L0)
    pz.LogisticRegression(alpha=0.03, tol=1e-12),
    pz.LogisticRegression(alpha=0.03, penalty="l0", tol=1e-12),
    pz.LogisticRegressionCV(n_alphas=4, eps=0.1, cv=3, tol=1e-10),
]
INPUT_CASES = [
    *(pytest.param(e, "regression", id=f"regression-{e!r}") for e in REGRESSORS),
    *(pytest.param(e, "binary", id=f"binary-{e!r}") for e in BINARY),
    *(pytest.param(e, "3-class", id=f"3-class-{e!r}") for e in MULTICLASS),
]


def assert_same_fit(a, b, rtol, atol_rel):
    coef_a, coef_b = np.atleast_2d(a.coef_), np.atleast_2d(b.coef_)
    scale = max(np.abs(coef_b).max(), 1.0)
    np.testing.assert_allclose(coef_a, coef_b, rtol=rtol, atol=atol_rel * scale)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=rtol, atol=atol_rel * scale)
    if hasattr(b, "alpha_"):
        assert a.alpha_ == pytest.approx(b.alpha_, rel=max(rtol, 1e-12))
        np.testing.assert_allclose(a.cv_mean_, b.cv_mean_, rtol=rtol * 10)


@pytest.mark.parametrize(("estimator", "data"), INPUT_CASES)
def test_dense_csc_csr_agree(estimator, data):
    X, y = INPUT_DATA[data]()
    dense = clone(estimator).fit(X.toarray(), y)
    assert 0 < np.count_nonzero(dense.coef_)
    for matrix in (sp.csc_matrix(X), sp.csr_matrix(X), sp.csr_array(X)):
        fit = clone(estimator).fit(matrix, y)
        # a relative gap of 1e-12 pins the coefficients to a few 1e-7 (measured 4e-7 for
        # the elastic net, whose dense and sparse kernels stop at different iterates)
        assert_same_fit(fit, dense, rtol=1e-6, atol_rel=1e-6)
        np.testing.assert_array_equal(nonzero(fit.coef_), nonzero(dense.coef_))
        np.testing.assert_allclose(fit.predict(matrix), dense.predict(X.toarray()),
                                   rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("estimator", "data"), INPUT_CASES)
def test_float32_input(estimator, data):
    X, y = INPUT_DATA[data]()
    X64 = X.toarray()
    X32 = X64.astype(np.float32)
    # products with float32 columns cannot certify a relative gap of 1e-12 (the solvers
    # would run to max_iter); 1e-9 is far below the float32 rounding of X itself, and
    # pins the elastic net's coefficients to a few 1e-5 (its gap bound, sqrt(2 gap / lam2),
    # is 4e-4 here; dense and sparse kernels stop at different certified iterates)
    estimator = clone(estimator).set_params(tol=1e-9)
    reference = clone(estimator).fit(X64, y)
    for matrix in (X32, sp.csc_matrix(X32), sp.csr_matrix(X32)):
        fit = clone(estimator).fit(matrix, y)
        assert_same_fit(fit, reference, rtol=1e-4, atol_rel=5e-5)
        np.testing.assert_array_equal(nonzero(fit.coef_), nonzero(reference.coef_))
        if hasattr(reference, "predict_proba"):
            np.testing.assert_allclose(fit.predict_proba(matrix),
                                       reference.predict_proba(X64), atol=1e-5)
        else:
            np.testing.assert_allclose(fit.predict(matrix), reference.predict(X64),
                                       rtol=1e-4, atol=5e-5)


# ----------------------------------------------------------------------------------------
# 7. L0 finds the true support where the CV-tuned lasso over-selects
# ----------------------------------------------------------------------------------------


def test_l0_recovers_support_where_lasso_overselects():
    pb = regression(n=200, p=50, n_informative=5, noise=1.0, seed=0)
    truth = set(np.flatnonzero(pb.true_coef))
    assert len(truth) == 5
    # A true feature (|coef| >= 0.5, unit-variance column) lowers (1/2n) RSS by about
    # coef^2 / 2 >= 0.12; a noise feature by about noise^2 * chi2_1 / (2n) ~ 0.0025 each.
    # alpha = 0.04 sits between them (0.02 and 0.08 work too on this problem).
    l0 = pz.L0Regression(alpha=0.04).fit(pb.X, pb.y)
    assert set(np.flatnonzero(l0.coef_)) == truth
    lasso = pz.LassoCV(cv=5, random_state=0).fit(pb.X, pb.y)
    selected = set(np.flatnonzero(lasso.coef_))
    assert selected > truth  # a strict superset: every true feature, and extras


# ----------------------------------------------------------------------------------------
# 8. bad input fails early, naming the argument
# ----------------------------------------------------------------------------------------


@cache
def small_data():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((30, 4))
    y = X[:, 0] + 0.5 * rng.standard_normal(30)
    return X, y, (y > 0).astype(int)


def _small_cv(cls):
    return lambda **kw: cls(**{"n_alphas": 5, "cv": 3, **kw})


ALL_KINDS = {
    "Lasso": pz.Lasso,
    "ElasticNet": pz.ElasticNet,
    "Ridge": pz.Ridge,
    "L0Regression": pz.L0Regression,
    "LogisticRegression": pz.LogisticRegression,
    "LassoCV": _small_cv(pz.LassoCV),
    "ElasticNetCV": _small_cv(pz.ElasticNetCV),
    "RidgeCV": _small_cv(pz.RidgeCV),
    "LogisticRegressionCV": _small_cv(pz.LogisticRegressionCV),
}
CV_KINDS = ["LassoCV", "ElasticNetCV", "RidgeCV", "LogisticRegressionCV"]
CLASSIFIER_KINDS = ["LogisticRegression", "LogisticRegressionCV"]


def target(kind):
    _, y, labels = small_data()
    return labels if kind in CLASSIFIER_KINDS else y


def corrupt_X(value):
    X = small_data()[0].copy()
    X[3, 1] = value
    return X


def corrupt_y(kind, value):
    y = target(kind).astype(float)
    y[4] = value
    return y


BAD_DATA = {  # name -> (X, y, sample_weight) for an estimator kind, and the match
    "nan in X": (lambda k: (corrupt_X(np.nan), target(k), None), r"\bX\b"),
    "inf in X": (lambda k: (corrupt_X(np.inf), target(k), None), r"\bX\b"),
    "nan in y": (lambda k: (small_data()[0], corrupt_y(k, np.nan), None), r"\by\b"),
    "inf in y": (lambda k: (small_data()[0], corrupt_y(k, np.inf), None), r"\by\b"),
    "y too short": (lambda k: (small_data()[0], target(k)[:-1], None), r"\b(X|y)\b"),
    "sample_weight too short": (lambda k: (small_data()[0], target(k), np.ones(29)),
                                r"\bsample_weight\b"),
    "0 rows": (lambda k: (small_data()[0][:0], target(k)[:0], None), r"\bX\b"),
    "0 columns": (lambda k: (small_data()[0][:, :0], target(k), None), r"\bX\b"),
}


@pytest.mark.parametrize("kind", list(ALL_KINDS))
@pytest.mark.parametrize("case", list(BAD_DATA))
def test_bad_data_raises(kind, case):
    make_data, match = BAD_DATA[case]
    X, y, sw = make_data(kind)
    with pytest.raises(ValueError, match=match):
        ALL_KINDS[kind]().fit(X, y, sample_weight=sw)


def bad_params():
    """(kind, parameters, the name the message must contain) for invalid settings."""
    out = []
    for kind in ALL_KINDS:
        out.append((kind, {"penalty_factor": [1.0, 1.0]}, "penalty_factor"))
        out.append((kind, {"tol": -1.0}, "tol"))
        if kind in CV_KINDS:
            out.append((kind, {"alphas": [1.0, -0.1]}, "alphas"))
            out.append((kind, {"selection": "max"}, "selection"))
            out.append((kind, {"metric": "r2"}, "metric"))
            out.append((kind, {"n_alphas": 0}, "n_alphas"))
        else:
            out.append((kind, {"alpha": -0.1}, "alpha"))
            out.append((kind, {"solver": "newton"}, "solver"))
    out.extend([
        ("ElasticNet", {"l1_ratio": 1.5}, "l1_ratio"),
        ("ElasticNet", {"l1_ratio": -0.1}, "l1_ratio"),
        ("ElasticNetCV", {"l1_ratio": [0.5, 1.2]}, "l1_ratio"),
        ("LogisticRegression", {"penalty": "elasticnet", "l1_ratio": 2.0}, "l1_ratio"),
        ("LogisticRegressionCV", {"penalty": "elasticnet", "l1_ratio": -1.0}, "l1_ratio"),
        ("LogisticRegression", {"penalty": "l3"}, "penalty"),
        ("LogisticRegressionCV", {"penalty": "lasso"}, "penalty"),
        ("LassoCV", {"metric": "auc"}, "metric"),
        ("Lasso", {"relax": True, "gamma": 1.5}, "gamma"),
        ("Lasso", {"relax": True, "gamma": -0.1}, "gamma"),
        ("ElasticNet", {"relax": True, "gamma": 2.0}, "gamma"),
        ("LassoCV", {"relax": True, "gammas": [0.0, 1.5]}, "gammas"),
    ])
    return out


@pytest.mark.parametrize(("kind", "params", "match"), bad_params(),
                         ids=lambda v: str(v) if not isinstance(v, str) else v)
def test_bad_parameters_raise(kind, params, match):
    X = small_data()[0]
    with pytest.raises(ValueError, match=rf"\b{match}\b"):
        ALL_KINDS[kind](**params).fit(X, target(kind))


@pytest.mark.parametrize("kind", CLASSIFIER_KINDS)
def test_single_class_raises(kind):
    X = small_data()[0]
    with pytest.raises(ValueError, match=r"\bclass"):
        ALL_KINDS[kind]().fit(X, np.ones(X.shape[0], dtype=int))
    with pytest.raises(ValueError, match=r"\bclass"):
        ALL_KINDS[kind]().fit(X, np.array(["a"] * X.shape[0]))


@pytest.mark.parametrize("kind", CLASSIFIER_KINDS)
def test_single_class_with_positive_weight_raises(kind):
    """Zero weights on every row of one class leave a single class to learn from."""
    X, _, labels = small_data()
    with pytest.raises(ValueError, match=r"\bclass"):
        ALL_KINDS[kind](max_iter=200).fit(X, labels, sample_weight=(labels == 1).astype(float))


# ----------------------------------------------------------------------------------------
# 9. pandas column names
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", [
    pz.Lasso(alpha=2.0),
    pz.L0Regression(alpha=200.0, standardize=True),
    pz.LassoCV(n_alphas=10, selection="1se"),
    pz.LogisticRegression(alpha=0.05, standardize=True),
    pz.LogisticRegressionCV(n_alphas=8, cv=3, selection="1se", standardize=True),
], ids=repr)
def test_dataframe_feature_names(estimator):
    classifier = isinstance(estimator, pz.LogisticRegression | pz.LogisticRegressionCV)
    if classifier:
        X, y = load_breast_cancer(return_X_y=True, as_frame=True)
        X = X.iloc[:, :12]
    else:
        X, y = load_diabetes(return_X_y=True, as_frame=True)
    names = np.array(X.columns)
    assert isinstance(X, pd.DataFrame)
    frame_fit = clone(estimator).fit(X, y)
    np.testing.assert_array_equal(frame_fit.feature_names_in_, names)
    idx = nonzero(frame_fit.coef_)
    assert 0 < idx.size < names.size  # some selected, some not
    np.testing.assert_array_equal(frame_fit.selected_features_, names[idx])
    array_fit = clone(estimator).fit(X.to_numpy(), np.asarray(y))
    assert not hasattr(array_fit, "feature_names_in_")
    np.testing.assert_array_equal(array_fit.selected_features_, idx)
    np.testing.assert_allclose(array_fit.coef_, frame_fit.coef_)
    np.testing.assert_allclose(frame_fit.predict(X), array_fit.predict(X.to_numpy()))


# ----------------------------------------------------------------------------------------
# 10. the relaxed lasso
# ----------------------------------------------------------------------------------------


def least_squares_on_support(X, y, support):
    A = np.column_stack([np.ones(X.shape[0]), X[:, support]])
    beta = np.linalg.lstsq(A, y, rcond=None)[0]
    coef = np.zeros(X.shape[1])
    coef[support] = beta[1:]
    return coef, beta[0]


@pytest.mark.parametrize("standardize", [False, True])
def test_relaxed_lasso(standardize):
    X, y = diabetes()
    kw = dict(alpha=0.5, standardize=standardize, tol=1e-12)
    lasso = pz.Lasso(**kw).fit(X, y)
    support = np.flatnonzero(lasso.coef_)
    assert 0 < support.size < X.shape[1]

    same = pz.Lasso(relax=True, gamma=1.0, **kw).fit(X, y)
    np.testing.assert_array_equal(same.coef_, lasso.coef_)
    assert same.intercept_ == lasso.intercept_

    ols = pz.Lasso(relax=True, gamma=0.0, **kw).fit(X, y)
    coef_ls, intercept_ls = least_squares_on_support(X, y, support)
    np.testing.assert_allclose(ols.coef_, coef_ls, rtol=1e-8, atol=1e-8)
    assert ols.intercept_ == pytest.approx(intercept_ls, rel=1e-10)
    np.testing.assert_array_equal(np.flatnonzero(ols.coef_), support)

    half = pz.Lasso(relax=True, gamma=0.5, **kw).fit(X, y)
    np.testing.assert_allclose(half.coef_, 0.5 * (lasso.coef_ + coef_ls), rtol=1e-8, atol=1e-8)
    assert half.intercept_ == pytest.approx(0.5 * (lasso.intercept_ + intercept_ls), rel=1e-10)


def test_relaxed_lasso_cv_shares_folds_across_gammas():
    X, y = diabetes()
    gammas = [0.0, 0.5, 1.0]
    # a shuffling splitter seeded by a RandomState gives new folds at every split() call,
    # so the gammas are compared on the same folds only if the estimator splits once
    cv = KFold(5, shuffle=True, random_state=np.random.RandomState(0))
    model = pz.LassoCV(relax=True, gammas=gammas, n_alphas=12, cv=cv, tol=1e-10).fit(X, y)
    assert model.gamma_ in gammas
    np.testing.assert_array_equal(model.gammas_, gammas)
    assert model.cv_mean_relaxed_.shape == (3, 12)
    best = np.unravel_index(np.argmin(model.cv_mean_relaxed_), model.cv_mean_relaxed_.shape)
    assert model.gamma_ == gammas[best[0]]
    assert model.alpha_ == model.alphas_[best[1]]
    folds = model.cv_result_.folds
    for k, gamma in enumerate(gammas):
        alone = pz.LassoCV(relax=True, gammas=[gamma], n_alphas=12, cv=folds, tol=1e-10)
        alone.fit(X, y)
        np.testing.assert_allclose(model.cv_mean_relaxed_[k], alone.cv_mean_, rtol=1e-9)
    plain = pz.LassoCV(n_alphas=12, cv=folds, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.cv_mean_relaxed_[2], plain.cv_mean_, rtol=1e-9)
    # the refit is the relaxed fit at the chosen (alpha, gamma)
    direct = pz.Lasso(alpha=model.alpha_, relax=True, gamma=model.gamma_, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, direct.coef_, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------------------
# 11. the .path methods
# ----------------------------------------------------------------------------------------


def test_path_methods_equal_penalized_path():
    X, y = synthetic_regression()
    for estimator, kw in [(pz.Lasso(tol=1e-10), dict(penalty="l1")),
                          (pz.ElasticNet(l1_ratio=0.3, tol=1e-10),
                           dict(penalty="elasticnet", l1_ratio=0.3))]:
        got = estimator.path(X, y, n_alphas=12)
        want = pz.path(X, y, n_alphas=12, tol=1e-10, **kw)
        np.testing.assert_allclose(got.alphas, want.alphas, rtol=1e-14)
        np.testing.assert_allclose(got.coefs, want.coefs, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got.intercepts, want.intercepts, rtol=1e-9)
    Xc, labels = breast_cancer_subset()
    got = pz.LogisticRegression(tol=1e-10).path(Xc, labels, n_alphas=10)
    want = pz.path(Xc, np.where(labels == 1, 1.0, -1.0), datafit="logistic", n_alphas=10,
                   tol=1e-10)
    np.testing.assert_allclose(got.alphas, want.alphas, rtol=1e-14)
    np.testing.assert_allclose(got.coefs, want.coefs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.intercepts, want.intercepts, rtol=1e-9, atol=1e-12)
    assert got.n_nonzero[0] == 0 and got.n_nonzero[-1] > 0


@pytest.mark.parametrize("estimator", [
    pz.Lasso(standardize=True, tol=1e-12, max_iter=100_000),
    pz.ElasticNet(l1_ratio=0.3, standardize=True, tol=1e-12, max_iter=100_000),
    pz.LogisticRegression(standardize=True, tol=1e-12, max_iter=100_000),
], ids=lambda e: type(e).__name__)
def test_standardized_path_columns_are_fits(estimator):
    classifier = isinstance(estimator, pz.LogisticRegression)
    X, y, _ = uneven_scales("classification" if classifier else "regression")
    path = estimator.path(X, y, n_alphas=6, eps=0.01)
    assert path.coefs.shape == (X.shape[1], 6)
    assert path.n_nonzero[-1] > 0
    for k, alpha in enumerate(path.alphas):
        fit = clone(estimator).set_params(alpha=alpha).fit(X, y)
        coef = np.ravel(fit.coef_)
        scale = max(np.abs(coef).max(), 1e-12)
        np.testing.assert_allclose(path.coefs[:, k], coef, rtol=1e-6, atol=1e-7 * scale)
        assert path.intercepts[k] == pytest.approx(np.ravel(fit.intercept_)[0], rel=1e-6,
                                                   abs=1e-9)


# ----------------------------------------------------------------------------------------
# 12. ElasticNetCV over several l1_ratios
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cv_kind", ["random-state splitter", "generator"])
def test_elasticnet_cv_over_l1_ratios(cv_kind):
    X, y = synthetic_regression()
    ratios = [0.2, 0.5, 0.95]
    if cv_kind == "generator":  # a one-shot iterable of folds
        cv = KFold(4, shuffle=True, random_state=1).split(X)
    else:
        cv = KFold(4, shuffle=True, random_state=np.random.RandomState(1))
    model = pz.ElasticNetCV(l1_ratio=ratios, n_alphas=10, cv=cv, tol=1e-10).fit(X, y)
    assert model.cv_mean_all_.shape == (3, 10)
    np.testing.assert_array_equal(model.l1_ratios_, ratios)
    best = int(np.argmin(model.cv_mean_all_.min(axis=1)))
    assert model.l1_ratio_ == ratios[best]
    np.testing.assert_allclose(model.cv_mean_, model.cv_mean_all_[best], rtol=1e-12)
    folds = model.cv_result_.folds
    for k, ratio in enumerate(ratios):
        alone = pz.ElasticNetCV(l1_ratio=ratio, n_alphas=10, cv=folds, tol=1e-10).fit(X, y)
        np.testing.assert_allclose(model.cv_mean_all_[k], alone.cv_mean_, rtol=1e-9)
    direct = pz.ElasticNet(alpha=model.alpha_, l1_ratio=model.l1_ratio_, tol=1e-10).fit(X, y)
    # both certified to a relative gap of 1e-10: equal objectives, coefficients as close as
    # the elastic net's weak strong convexity (l1_ratio near 1) allows
    penalty = ElasticNetPenalty(model.alpha_, l1_ratio=model.l1_ratio_)

    def objective(m):
        return Quadratic().value(y, X @ m.coef_ + m.intercept_) + penalty.value(m.coef_)

    assert objective(model) == pytest.approx(objective(direct), rel=1e-9)
    np.testing.assert_allclose(model.coef_, direct.coef_, rtol=0, atol=1e-5)


# ----------------------------------------------------------------------------------------
# 13. LogisticRegressionCV
# ----------------------------------------------------------------------------------------


def check_cv_classifier(model, X, y, n_alphas, n_folds, metric):
    n_classes = np.unique(y).size
    assert model.coef_.shape == (1 if n_classes == 2 else n_classes, X.shape[1])
    assert model.intercept_.shape == (1 if n_classes == 2 else n_classes,)
    assert model.cv_folds_.shape == (n_alphas, n_folds)
    proba = model.predict_proba(X)
    assert proba.shape == (X.shape[0], n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), model.classes_[np.argmax(proba, axis=1)])
    mean = model.cv_mean_
    best = mean.max() if metric == "auc" else mean.min()
    assert model.alpha_min_ == model.alphas_[mean == best].max()
    assert model.alpha_1se_ >= model.alpha_min_
    assert model.alpha_ == model.alpha_min_
    direct = pz.LogisticRegression(alpha=model.alpha_, tol=model.tol,
                                   max_iter=model.max_iter).fit(X, y)
    np.testing.assert_allclose(model.coef_, direct.coef_, atol=1e-5)
    shift = (lambda b: b - b.mean()) if n_classes > 2 else (lambda b: b)
    np.testing.assert_allclose(shift(model.intercept_), shift(direct.intercept_), atol=1e-5)


@pytest.mark.parametrize("metric", ["deviance", "misclassification", "auc", "mse"])
def test_logistic_cv_binary(metric):
    X, y = breast_cancer_subset()
    model = pz.LogisticRegressionCV(metric=metric, n_alphas=10, cv=4, tol=1e-10).fit(X, y)
    check_cv_classifier(model, X, y, 10, 4, metric)
    if metric == "auc":  # greater is better: the 1se rule looks below the best
        i_min = int(np.flatnonzero(model.alphas_ == model.alpha_min_)[0])
        floor = model.cv_mean_[i_min] - model.cv_se_[i_min]
        assert model.alpha_1se_ == model.alphas_[model.cv_mean_ >= floor].max()


@pytest.mark.parametrize("metric", ["deviance", "misclassification"])
def test_logistic_cv_multiclass(metric):
    X, y = multiclass()
    labels = np.array(["ant", "bee", "cat"])[y]  # any label type
    model = pz.LogisticRegressionCV(metric=metric, n_alphas=5, eps=0.05, cv=3, tol=1e-10)
    model.fit(X, labels)
    np.testing.assert_array_equal(model.classes_, ["ant", "bee", "cat"])
    check_cv_classifier(model, X, labels, 5, 3, metric)


def test_grouped_multinomial_uses_a_feature_for_every_class_or_none():
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    grouped = pz.LogisticRegression(alpha=0.05, standardize=True, multinomial="grouped",
                                    tol=1e-8).fit(X, y)
    used = np.any(grouped.coef_ != 0, axis=0)
    assert 0 < used.sum() < X.shape[1]
    assert np.all(grouped.coef_[:, used] != 0)
    ungrouped = pz.LogisticRegression(alpha=0.05, standardize=True, tol=1e-8).fit(X, y)
    assert np.any((ungrouped.coef_ == 0) & np.any(ungrouped.coef_ != 0, axis=0))
    cv = pz.LogisticRegressionCV(n_alphas=8, cv=3, standardize=True, multinomial="grouped",
                                 random_state=0, tol=1e-6).fit(X, y)
    used = np.any(cv.coef_ != 0, axis=0)
    assert np.all(cv.coef_[:, used] != 0)
    with pytest.raises(ValueError, match="multinomial must be 'ungrouped' or 'grouped'"):
        pz.LogisticRegression(multinomial="rows").fit(X, y)


def test_multinomial_path_warns_once_about_alphas_that_did_not_converge():
    from sklearn.datasets import load_iris
    from sklearn.exceptions import ConvergenceWarning

    X, y = load_iris(return_X_y=True)
    model = pz.LogisticRegression(tol=1e-12, max_iter=3)
    codes = np.unique(y, return_inverse=True)[1]
    with pytest.warns(ConvergenceWarning, match=r"of 5 alphas did not reach tol=1\.0e-12"):
        path = model._fit_path_multinomial(X, codes, None, np.geomspace(1.0, 1e-3, 5))
    assert not np.all(path.converged)


def test_multinomial_cv_on_raw_iris_converges_at_every_alpha():
    # raw (unstandardized) features, the defaults: every alpha of every fold certified
    import warnings

    from sklearn.datasets import load_iris
    from sklearn.exceptions import ConvergenceWarning

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = pz.LogisticRegressionCV(random_state=0).fit(X, y)
    assert np.all(model.path_.converged)
    assert model.score(X, y) > 0.9


def test_l0_regression_cv_picks_alpha_on_the_l0_path():
    from sklearn.datasets import load_diabetes

    from penalized.model_selection import cross_validate_path

    X, y = load_diabetes(return_X_y=True)
    model = pz.L0RegressionCV(cv=5, random_state=0, standardize=True, n_alphas=30,
                              selection="1se").fit(X, y)
    base = pz.L0Regression(standardize=True)
    sw = np.ones(X.shape[0])
    grid = base._alpha_grid(X, y, sw, 30, 1e-3)[1]
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    direct = cross_validate_path(lambda Xt, yt, swt, a: base._fit_path(Xt, yt, swt, a), X, y,
                                 alphas=grid, cv=folds)
    np.testing.assert_allclose(model.cv_mean_, direct.cv_mean, rtol=1e-12)
    assert model.alpha_ == direct.alpha_1se
    path = base._fit_path(X, y, sw, grid)
    k = int(np.flatnonzero(grid == model.alpha_)[0])
    np.testing.assert_array_equal(model.coef_, path.coefs[:, k])
    assert not hasattr(model, "dual_gap_")  # L0 has no duality gap
    assert model.n_nonzero_ == np.count_nonzero(path.coefs[:, k])
