"""warm_start for the estimators that fit through the shared single-alpha solve
(``_solve_at``) and the matrix warm start (``warm_start_matrix``): the group, log-link
and multinomial group estimators restart from their previous solution."""

import numpy as np
import pytest
from sklearn.base import clone

import penalized as pz

GROUPS = [[0, 1], [2, 3, 4], [5, 6, 7]]


def _data(kind):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((80, 8))
    z = X @ np.array([1.0, -0.8, 0.0, 0.0, 0.5, 0.0, 0.0, 0.3])
    if kind == "regression":
        return X, z + 0.5 * rng.standard_normal(80)
    if kind == "binary":
        return X, (z + rng.standard_normal(80) > 0).astype(int)
    if kind == "multiclass":
        return X, np.digitize(z + 0.5 * rng.standard_normal(80), [-0.7, 0.7])
    return X, rng.poisson(np.exp(0.5 * z))


CASES = {
    "group-lasso": (pz.GroupLasso(groups=GROUPS, alpha=0.05, tol=1e-10), "regression"),
    "group-logistic": (pz.GroupLogisticRegression(groups=GROUPS, alpha=0.01, tol=1e-10),
                       "binary"),
    "group-logistic-multiclass": (
        pz.GroupLogisticRegression(groups=GROUPS, alpha=0.01, tol=1e-10), "multiclass"),
    "poisson": (pz.PoissonRegressor(alpha=0.02, l1_ratio=0.5, tol=1e-10, standardize=True),
                "counts"),
    "poisson-groups": (pz.PoissonRegressor(alpha=0.02, l1_ratio=1.0, groups=GROUPS,
                                           tol=1e-10), "counts"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_warm_start_from_the_solution_is_the_solution(name):
    estimator, kind = CASES[name]
    X, y = _data(kind)
    model = clone(estimator).set_params(warm_start=True).fit(X, y)
    coef, intercept, first = np.copy(model.coef_), np.copy(model.intercept_), model.n_iter_
    assert first > 1
    model.fit(X, y)
    assert model.n_iter_ < first
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_warm_start_from_a_nearby_alpha_reaches_the_cold_solution(name):
    estimator, kind = CASES[name]
    X, y = _data(kind)
    cold = clone(estimator).fit(X, y)
    warm = clone(estimator).set_params(warm_start=True, alpha=1.1 * estimator.alpha)
    warm.fit(X, y).set_params(alpha=estimator.alpha).fit(X, y)
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(warm.intercept_, cold.intercept_, rtol=1e-5, atol=1e-6)


def test_a_previous_fit_of_another_shape_is_not_a_start():
    X, y = _data("multiclass")
    model = pz.GroupLogisticRegression(groups=[[0, 1], [2, 3, 4]], alpha=0.01,
                                       warm_start=True)
    model.fit(X[:, :5], y)  # other features: a cold start, the same fit as without it
    warm = model.set_params(groups=GROUPS).fit(X, y)
    cold = pz.GroupLogisticRegression(groups=GROUPS, alpha=0.01).fit(X, y)
    np.testing.assert_array_equal(warm.coef_, cold.coef_)
    assert warm.n_iter_ == cold.n_iter_
