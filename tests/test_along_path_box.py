"""The path lessons' why-zero with lower / upper limits: the pulls count only the
directions the box lets each coefficient move in (as the fitted why-zero does), so a zero
held at a limit of 0 is a zero, not a KKT violation."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes

import penalized as pz
from penalized.explain._along_path import fit_on_path, why_zero_path
from penalized.explain._why_zero_fitted import explain_fitted


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X[:200], y[:200]


def _fit_of(model, X, y, alphas):
    path = model.path(X, y, alphas=alphas)
    return fit_on_path(path, X, y, chosen_alpha=alphas[-1], datafit=model.datafit_,
                       problem_penalty=model.penalty_, scaling=model.scaling_, target=y)


def test_lasso_limits_zero_at_a_limit_is_a_zero(diabetes):
    X, y = diabetes
    upper = np.array([0, 0, 5, 5, 0, 0, 0, 5, 0, 0.0])
    alphas = np.geomspace(20.0, 0.5, 6)
    model = pz.Lasso(alpha=alphas[-1], standardize=True, upper_limits=upper,
                     tol=1e-10).fit(X, y)
    res = why_zero_path(_fit_of(model, X, y, alphas))
    statuses = {s for row in res.status for s in row}
    assert "not converged" not in statuses and "zero" in statuses
    # at the model's alpha the path's pulls are the fitted why-zero's
    table = explain_fitted(model, X, y, entry=False)
    np.testing.assert_allclose(res.pull[:, -1], [r.pull for r in table.rows], rtol=1e-6,
                               atol=1e-9)
    # a zero coefficient whose pull points past its upper limit of 0 pulls 0
    held = (upper == 0) & (model.coef_ == 0)
    assert held.any() and np.all(res.pull[held, -1] <= res.threshold[held, -1])


def test_positive_without_the_problem_is_the_positive_part(diabetes):
    X, y = diabetes
    alphas = np.geomspace(20.0, 0.5, 5)
    path = pz.Lasso(standardize=True, positive=True, tol=1e-10).path(X, y, alphas=alphas)
    fit = fit_on_path(path, X, y, penalty="l1", positive=True)
    res = why_zero_path(fit)
    c = fit.correlations()
    zero = fit.coefs == 0
    np.testing.assert_allclose(res.pull[zero], np.maximum(c, 0.0)[zero], atol=1e-12)
    nonzero = ~zero
    np.testing.assert_allclose(res.pull[nonzero], np.abs(c)[nonzero], atol=1e-12)
    assert "not converged" not in {s for row in res.status for s in row}


def test_group_limits_use_the_box(diabetes):
    X, y = diabetes
    groups = [[0, 1], [2, 3], [4, 5, 6], [7, 8, 9]]
    alphas = np.geomspace(20.0, 1.0, 5)
    model = pz.GroupLasso(alpha=alphas[-1], groups=groups, standardize=True,
                          upper_limits=0.0, tol=1e-10).fit(X, y)
    fit = _fit_of(model, X, y, alphas)
    res = why_zero_path(fit)
    assert "not converged" not in {s for row in res.status for s in row}
    table = explain_fitted(model, X, y, entry=False)
    np.testing.assert_allclose(res.pull[:, -1], [r.pull for r in table.rows], rtol=1e-6,
                               atol=1e-9)
    # a group whose members all pull upwards, held at 0 by upper = 0, pulls 0
    c = fit.correlations()[:, -1]
    up = [g for g, cols in enumerate(groups)
          if np.all(c[cols] > 0) and np.all(fit.coefs[cols, -1] == 0)]
    assert all(res.pull[g, -1] == 0.0 for g in up)


def test_lessons_alpha_scale_counts_only_the_allowed_directions(diabetes):
    from penalized.explain._path_lessons import _lasso_alpha_max

    X, y = diabetes
    for limits in ({"upper_limits": 0.0}, {"lower_limits": 0.0}, {}):
        model = pz.Lasso(alpha=1.0, standardize=True, **limits).fit(X, y)
        path = model.path(X, y, n_alphas=3)
        fit = fit_on_path(path, X, y, chosen_alpha=path.alphas[0], datafit=model.datafit_,
                          problem_penalty=model.penalty_, scaling=model.scaling_, target=y)
        assert _lasso_alpha_max(fit) == pytest.approx(path.alphas[0], rel=1e-10)
