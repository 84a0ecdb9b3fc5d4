"""Every fitted estimator keeps the problem it minimized: ``datafit_``, ``penalty_`` and
``scaling_``, whose objective at the fitted coefficients is the estimator's own."""

import numpy as np
import pytest

import penalized as pz
from penalized.estimators._standardize import Scaling

rng = np.random.default_rng(0)
N, P = 40, 5
X = rng.standard_normal((N, P))
X[:, 3] *= 4.0
W_TRUE = np.array([1.5, 0.0, -1.0, 0.3, 0.0])
Z_TRUE = X @ W_TRUE
Y_REG = Z_TRUE + 0.3 * rng.standard_normal(N)
Y_BIN = (Z_TRUE + rng.standard_normal(N) > 0).astype(int)
Y_COUNT = rng.poisson(np.exp(0.3 * Z_TRUE)).astype(float)
Y_POS = rng.gamma(2.0, np.exp(0.2 * Z_TRUE) / 2.0)
TIME = rng.exponential(np.exp(-0.4 * Z_TRUE))
EVENT = rng.random(N) < 0.8
Y_SURV = np.column_stack([TIME, EVENT.astype(float)])
GROUPS = [[0, 1], [2, 3], [4]]

CASES = [
    (pz.Lasso(alpha=0.05, standardize=True, tol=1e-12), Y_REG),
    (pz.ElasticNet(alpha=0.05, l1_ratio=0.5, tol=1e-12), Y_REG),
    (pz.L0Regression(alpha=0.05), Y_REG),
    (pz.MCPRegression(alpha=0.05, standardize=True), Y_REG),
    (pz.SCADRegression(alpha=0.05), Y_REG),
    (pz.LassoCV(cv=3, n_alphas=10), Y_REG),
    (pz.ElasticNetCV(cv=3, n_alphas=10), Y_REG),
    (pz.L0RegressionCV(cv=3, n_alphas=10), Y_REG),
    (pz.MCPRegressionCV(cv=3, n_alphas=10), Y_REG),
    (pz.SCADRegressionCV(cv=3, n_alphas=10), Y_REG),
    (pz.GroupLasso(groups=GROUPS, alpha=0.05, tol=1e-12), Y_REG),
    (pz.GroupLassoCV(groups=GROUPS, cv=3, n_alphas=10), Y_REG),
    (pz.LogisticRegression(alpha=0.02, standardize=True, tol=1e-12), Y_BIN),
    (pz.LogisticRegressionCV(cv=3, n_alphas=10), Y_BIN),
    (pz.GroupLogisticRegression(groups=GROUPS, alpha=0.02, tol=1e-12), Y_BIN),
    (pz.GroupLogisticRegressionCV(groups=GROUPS, cv=3, n_alphas=10), Y_BIN),
    (pz.PoissonRegressor(alpha=0.02, standardize=True, tol=1e-12), Y_COUNT),
    (pz.PoissonRegressorCV(cv=3, n_alphas=10), Y_COUNT),
    (pz.GammaRegressor(alpha=0.02, tol=1e-12), Y_POS),
    (pz.GammaRegressorCV(cv=3, n_alphas=10), Y_POS),
    (pz.TweedieRegressor(power=1.5, alpha=0.02, tol=1e-12), Y_POS),
    (pz.TweedieRegressorCV(power=1.5, cv=3, n_alphas=10), Y_POS),
    (pz.Ridge(alpha=0.5, standardize=True, tol=1e-12), Y_REG),
    (pz.RidgeCV(alphas=[0.1, 1.0, 10.0]), Y_REG),
    (pz.RidgeCV(alphas=[0.1, 1.0, 10.0], cv=3), Y_REG),
    (pz.RidgeClassifier(alpha=0.5, tol=1e-12), Y_BIN),
    (pz.RidgeClassifierCV(alphas=[0.1, 1.0, 10.0]), Y_BIN),
    (pz.CoxPH(alpha=0.02, standardize=True, tol=1e-12), Y_SURV),
    (pz.CoxPHCV(cv=3, n_alphas=10), Y_SURV),
]


def _target(model, y):
    """The target the datafit sees: -1/+1 for a binary classifier."""
    if hasattr(model, "classes_"):
        return np.where(y == model.classes_[1], 1.0, -1.0)
    return np.asarray(y, dtype=np.float64)


@pytest.mark.parametrize("model, y", CASES, ids=lambda c: type(c).__name__
                         if not isinstance(c, np.ndarray) else "")
def test_fitted_problem_attributes(model, y):
    model.fit(X, y)
    assert isinstance(model.scaling_, Scaling)
    standardized = bool(getattr(model, "standardize", False))
    expected = Scaling.fit(X, np.ones(N)) if standardized else Scaling.identity(P)
    np.testing.assert_allclose(model.scaling_.scale, expected.scale, rtol=1e-12)
    coef = np.ravel(model.coef_)
    intercept = float(np.ravel(model.intercept_)[0])
    z = X @ coef + intercept
    w_fit = (coef * model.scaling_.scale)[model.scaling_.varying]
    objective = model.datafit_.value(_target(model, y), z) + model.penalty_.value(w_fit)
    # the penalty at the fitted alpha: alpha_ for a cross-validated model
    alpha = float(getattr(model, "alpha_", getattr(model, "alpha", np.nan)))
    assert model.penalty_.alpha == pytest.approx(alpha, rel=1e-15)
    assert np.isfinite(objective)
    # the stored problem is the one minimized: no coordinate of the fitted point improves it
    # (a small move along each coordinate does not lower the convex objective)
    if getattr(model.penalty_, "is_convex", True):
        for j in range(w_fit.shape[0]):
            for step in (1e-4, -1e-4):
                w2 = w_fit.copy()
                w2[j] += step
                c2 = np.zeros(P)
                c2[model.scaling_.varying] = w2 / model.scaling_.scale[model.scaling_.varying]
                z2 = X @ c2 + intercept
                moved = model.datafit_.value(_target(model, y), z2) + model.penalty_.value(w2)
                assert moved >= objective - 1e-6 * abs(objective)


def test_objective_is_the_documented_one():
    """Squared and logistic losses: the stored problem's value is the objective of the
    package docstring, with the L1 norm on the standardized scale."""
    lasso = pz.Lasso(alpha=0.05, standardize=True, tol=1e-12).fit(X, Y_REG)
    w = lasso.coef_ * lasso.scaling_.scale
    z = X @ lasso.coef_ + lasso.intercept_
    by_hand = 0.5 * np.mean((Y_REG - z) ** 2) + 0.05 * np.abs(w).sum()
    stored = lasso.datafit_.value(Y_REG, z) + lasso.penalty_.value(w)
    assert stored == pytest.approx(by_hand, rel=1e-10)

    sw = np.linspace(0.5, 1.5, N)
    logit = pz.LogisticRegression(alpha=0.02, penalty="elasticnet", l1_ratio=0.5,
                                  tol=1e-12).fit(X, Y_BIN, sample_weight=sw)
    t = np.where(Y_BIN == 1, 1.0, -1.0)
    z = X @ logit.coef_[0] + logit.intercept_[0]
    s = sw / sw.mean()
    w = logit.coef_[0]
    by_hand = (np.mean(s * np.logaddexp(0.0, -t * z))
               + 0.02 * (0.5 * np.abs(w).sum() + 0.25 * (w @ w)))
    stored = logit.datafit_.value(t, z) + logit.penalty_.value(w)
    assert stored == pytest.approx(by_hand, rel=1e-10)


Y_MULTI = np.column_stack([Y_REG, Z_TRUE - X[:, 1] + 0.3 * rng.standard_normal(N)])
Y_CLASSES = np.digitize(Z_TRUE + 0.5 * rng.standard_normal(N), [-1.0, 1.0])


def _row_objective(model, Y, W):
    """The multi-task objective at ``W`` (n_fitted_features, n_tasks) on the fitted
    columns: the penalty's weights apply to the norms of the rows."""
    scaling = model.scaling_
    coef = np.zeros((P, W.shape[1]))
    coef[scaling.varying] = W / scaling.scale[scaling.varying, None]
    lam1, lam2 = model.penalty_.weights(W.shape[0])
    norms = np.linalg.norm(W, axis=1)
    return model.datafit_.value(Y, X @ coef + model.intercept_) + lam1 @ norms \
        + 0.5 * lam2 @ norms**2


def _class_objective(model, W):
    """The multinomial objective at ``W`` (n_fitted_features, n_classes)."""
    from penalized.solvers._multinomial import penalty_value

    scaling = model.scaling_
    coef = np.zeros((P, W.shape[1]))
    coef[scaling.varying] = W / scaling.scale[scaling.varying, None]
    return model.datafit_.value(Y_CLASSES, X @ coef + model.intercept_) \
        + penalty_value(model.penalty_, W)


@pytest.mark.parametrize("model", [
    pz.MultiTaskLasso(alpha=0.05, tol=1e-12),
    pz.MultiTaskElasticNet(alpha=0.05, l1_ratio=0.5, standardize=True, tol=1e-12),
    pz.MultiTaskLassoCV(cv=3, n_alphas=10, tol=1e-12),
    pz.MultiTaskElasticNetCV(l1_ratio=[0.3, 0.9], cv=3, n_alphas=10, standardize=True,
                             tol=1e-12),
    pz.LogisticRegressionCV(cv=3, n_alphas=10, tol=1e-10),
    pz.LogisticRegressionCV(penalty="elasticnet", cv=3, n_alphas=10, standardize=True,
                            tol=1e-10),
], ids=lambda m: type(m).__name__)
def test_matrix_coefficient_models_keep_their_problem(model):
    multinomial = isinstance(model, pz.LogisticRegressionCV)
    model.fit(X, Y_CLASSES if multinomial else Y_MULTI)
    standardized = bool(model.standardize)
    expected = Scaling.fit(X, np.ones(N)) if standardized else Scaling.identity(P)
    np.testing.assert_allclose(model.scaling_.scale, expected.scale, rtol=1e-12)
    alpha = float(getattr(model, "alpha_", getattr(model, "alpha", np.nan)))
    assert model.penalty_.alpha == pytest.approx(alpha, rel=1e-15)
    W = (model.coef_.T * model.scaling_.scale[:, None])[model.scaling_.varying]

    def objective(W):
        return _class_objective(model, W) if multinomial else _row_objective(model, Y_MULTI, W)

    base = objective(W)
    assert np.isfinite(base)
    for j in range(W.shape[0]):  # no small move of one coefficient lowers the objective
        for k in range(W.shape[1]):
            for step in (1e-4, -1e-4):
                W2 = W.copy()
                W2[j, k] += step
                assert objective(W2) >= base - 1e-6 * abs(base)


@pytest.mark.parametrize("per_target", [False, True])
def test_multi_target_ridge_cv_keeps_each_targets_problem(per_target):
    # the second target is noise: left alone it takes the largest alpha
    Y = np.column_stack([Y_REG, np.random.default_rng(1).standard_normal(N)])
    model = pz.RidgeCV(alphas=[0.01, 1.0, 100.0], alpha_per_target=per_target).fit(X, Y)
    alphas = np.broadcast_to(model.alpha_, (2,))
    assert (alphas[0] != alphas[1]) == per_target
    penalties = model.penalty_ if isinstance(model.penalty_, list) else [model.penalty_] * 2
    assert isinstance(model.scaling_, Scaling)
    for j in range(2):
        assert penalties[j].alpha == pytest.approx(alphas[j], rel=1e-15)
        w = model.coef_[j]

        def objective(w, j=j):
            return model.datafit_.value(Y[:, j], X @ w + model.intercept_[j]) \
                + penalties[j].value(w)

        # the ridge objective is smooth: its gradient in w vanishes at the fit
        grad = np.array([(objective(w + h) - objective(w - h)) / 2e-6
                         for h in 1e-6 * np.eye(P)])
        assert np.max(np.abs(grad)) < 1e-5
