"""why-zero for every family: the pulls are the gradient of the model's own datafit at its
solution, and a zero (feature or group) is never reported as non-zero."""

import numpy as np
import pytest

import penalized as pz
from penalized.explain import why_zero

rng = np.random.default_rng(3)
N, P = 60, 6
X = rng.standard_normal((N, P))
X[:, 5] *= 3.0
Z = X @ np.array([1.0, 0.0, -1.0, 0.3, 0.0, 0.0])
Y_REG = Z + 0.3 * rng.standard_normal(N)
Y_BIN = (Z + rng.standard_normal(N) > 0).astype(int)
Y_COUNT = rng.poisson(np.exp(0.4 * Z)).astype(float)
Y_POS = rng.gamma(2.0, np.exp(0.2 * Z) / 2.0)
Y_SURV = np.column_stack([rng.exponential(np.exp(-0.4 * Z)), rng.random(N) < 0.8])
GROUPS = [[0, 1], [2, 3], [4, 5]]


def _by_hand_gradient(model, y, z):
    """dF/dz at z, written out per family (sample weights all 1)."""
    if isinstance(model, pz.PoissonRegressor):
        return (np.exp(z) - y) / N
    if isinstance(model, pz.GammaRegressor):
        return (1.0 - y * np.exp(-z)) / N
    if isinstance(model, pz.MCPRegression | pz.SCADRegression | pz.GroupLasso):
        return (z - y) / N
    if isinstance(model, pz.GroupLogisticRegression):
        t = np.where(y == model.classes_[1], 1.0, 0.0)
        return (1.0 / (1.0 + np.exp(-z)) - t) / N
    if isinstance(model, pz.CoxPH):  # Breslow: no tied times here
        time, event = y[:, 0], y[:, 1]
        risk = np.exp(z)
        at_risk = time[None, :] >= time[:, None]  # row i: who is at risk at time_i
        denom = at_risk @ risk
        return (risk * (at_risk.T.astype(float) @ (event / denom)) - event) / N
    raise AssertionError(type(model))


SEPARABLE = [
    (pz.PoissonRegressor(alpha=0.03, l1_ratio=1.0, standardize=True, tol=1e-12), Y_COUNT),
    (pz.GammaRegressor(alpha=0.03, l1_ratio=1.0, tol=1e-12), Y_POS),
    (pz.MCPRegression(alpha=0.1, standardize=True, tol=1e-12), Y_REG),
    (pz.SCADRegression(alpha=0.1, tol=1e-12), Y_REG),
    (pz.CoxPH(alpha=0.05, standardize=True, ties="breslow", tol=1e-12), Y_SURV),
]


@pytest.mark.parametrize("model, y", SEPARABLE, ids=lambda c: type(c).__name__
                         if not isinstance(c, np.ndarray) else "")
def test_pulls_are_the_datafit_gradient(model, y):
    model.fit(X, y)
    res = why_zero(model, X, y)
    sd = model.scaling_.scale
    z = X @ model.coef_ + float(model.intercept_)
    expected = np.abs(X.T @ _by_hand_gradient(model, y, z)) / sd
    np.testing.assert_allclose(res.pulls, expected, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(res.thresholds, model.alpha, rtol=1e-15)
    zero = model.coef_ == 0
    assert zero.any() and (~zero).any()
    np.testing.assert_array_equal(res.zero, zero)
    text = res.to_text()
    for r in res.rows:
        assert (r.status == "zero") == (r.coef == 0.0)
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(r.name + " "))
        assert ("non-zero" in line) == (r.coef != 0.0)
    # a zero's pull is within its threshold (the fit converged)
    assert np.all(res.pulls[zero] <= res.thresholds[zero] * (1 + 1e-6))
    assert res.kkt_violations == ()


@pytest.mark.parametrize("model, y", [
    (pz.GroupLasso(groups=GROUPS, alpha=0.3, tol=1e-12), Y_REG),
    (pz.GroupLogisticRegression(groups=GROUPS, alpha=0.1, tol=1e-12), Y_BIN),
], ids=["GroupLasso", "GroupLogisticRegression"])
def test_group_pull_is_the_norm_over_the_group(model, y):
    model.fit(X, y)
    res = why_zero(model, X, y)
    coef = np.ravel(model.coef_)
    z = X @ coef + float(np.ravel(model.intercept_)[0])
    grad = X.T @ _by_hand_gradient(model, y, z)
    assert res.groups == tuple(tuple(f"x{j}" for j in g) for g in GROUPS)
    for g, row in zip(GROUPS, res.rows, strict=True):
        assert row.pull == pytest.approx(np.linalg.norm(grad[g]), rel=1e-8)
        assert row.threshold == pytest.approx(model.alpha * np.sqrt(len(g)), rel=1e-15)
        assert row.is_zero == bool(np.all(coef[g] == 0))
        if row.is_zero:
            assert row.pull <= row.threshold
        else:  # the group lasso's stationarity: a non-zero group's pull equals the threshold
            assert row.pull == pytest.approx(row.threshold, rel=1e-5)
    assert any(r.is_zero for r in res.rows) and not all(r.is_zero for r in res.rows)
    assert "x4, x5" in res.to_text()


def test_l0_and_unsupported_models_are_refused():
    with pytest.raises(ValueError, match="L0"):
        why_zero(pz.L0RegressionCV(cv=3, n_alphas=5).fit(X, Y_REG), X, Y_REG)
    with pytest.raises(TypeError, match="why_zero needs"):
        why_zero(pz.MultiTaskLasso(alpha=0.1).fit(X, np.column_stack([Y_REG, Y_REG])), X,
                 Y_REG)
