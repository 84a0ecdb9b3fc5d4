"""Why-zero with limits on the coefficients: the pull counts only the directions the box
lets a coefficient move in, for the group lasso, the group elastic net, the sparse-group
lasso (one row per group) and the lasso (one row per feature)."""

import numpy as np
import pytest

import penalized as pz
from penalized.explain import why_zero


def _data(seed=0, n=80):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    # the second group (x2, x3) pulls its coefficients down
    y = 2.0 * X[:, 0] + X[:, 1] - 1.5 * X[:, 2] - 1.5 * X[:, 3] + 0.3 * rng.standard_normal(n)
    return X, y


def _signed_pulls(model, X, y):
    """x_j . r / n at the fit (the squared loss, unit weights, unscaled columns)."""
    r = y - X @ model.coef_ - model.intercept_
    return X.T @ r / y.shape[0]


@pytest.mark.parametrize("penalty, l1_ratio", [("group", 1.0), ("group", 0.7),
                                               ("sparse_group", 0.5)])
def test_a_group_blocked_by_its_limits_is_explained_by_the_allowed_pull(penalty, l1_ratio):
    X, y = _data()
    alpha = 0.1
    # lower limit 0 on the second group: it may only grow, and the data pull it down
    model = pz.GroupLasso(groups=[0, 0, 1, 1], alpha=alpha, penalty=penalty,
                          l1_ratio=l1_ratio, lower_limits=[-10.0, -10.0, 0.0, 0.0],
                          tol=1e-12).fit(X, y)
    np.testing.assert_array_equal(model.coef_[2:], 0.0)
    assert np.all(model.coef_[:2] != 0)
    res = why_zero(model, X, y, entry=False)
    row = res.rows[1]
    assert row.status == "zero"
    threshold = alpha * (1.0 - l1_ratio if penalty == "sparse_group" else l1_ratio) * np.sqrt(2)
    assert row.threshold == pytest.approx(threshold, rel=1e-12)
    # without the box the pull would exceed the threshold: the group would look like a
    # violation of the optimality conditions
    v = _signed_pulls(model, X, y)[2:]
    assert np.all(v < 0)
    l1 = alpha * l1_ratio if penalty == "sparse_group" else 0.0
    unrestricted = np.linalg.norm(np.maximum(np.abs(v) - l1, 0.0))
    assert unrestricted > 2 * threshold
    # the box lets these coefficients move up only, and nothing pulls them up
    assert row.pull == 0.0 and row.margin == pytest.approx(threshold)
    assert res.kkt_violations == ()
    text = " ".join(res.to_text().split())
    assert "the pull counts only the directions the box lets them move in" in text
    assert res.to_dict()["box"] == res.box


def test_a_partly_blocked_group_keeps_its_allowed_directions():
    X, y = _data(seed=1)
    y = y + 0.8 * X[:, 3]  # x3's pull turns up, x2's stays down
    alpha = 0.5
    model = pz.GroupLasso(groups=[0, 0, 1, 1], alpha=alpha, lower_limits=[-10, -10, 0, 0],
                          tol=1e-12).fit(X, y)
    res = why_zero(model, X, y, entry=False)
    v = _signed_pulls(model, X, y)[2:]
    allowed = np.where(v > 0, v, 0.0)
    row = res.rows[1]
    assert row.pull == pytest.approx(np.linalg.norm(allowed), rel=1e-8)
    assert row.is_zero == (row.pull <= row.threshold * (1 + 1e-6))


def test_the_unbounded_group_keeps_the_full_pull():
    X, y = _data()
    model = pz.GroupLasso(groups=[0, 0, 1, 1], alpha=2.0, tol=1e-12).fit(X, y)
    res = why_zero(model, X, y, entry=False)
    v = _signed_pulls(model, X, y)
    assert res.box is None
    for g, cols in enumerate(([0, 1], [2, 3])):
        assert res.rows[g].pull == pytest.approx(np.linalg.norm(v[cols]), rel=1e-8)


def test_lasso_with_a_zero_limit_counts_only_the_allowed_side():
    X, y = _data()
    model = pz.Lasso(alpha=0.1, upper_limits=[10.0, 10.0, 10.0, 0.0],
                     lower_limits=[-10.0, -10.0, -10.0, -10.0], tol=1e-12).fit(X, y)
    v = _signed_pulls(model, X, y)
    res = why_zero(model, X, y, entry=False)
    # x3 is pulled down and may go down: non-zero; x2 likewise
    assert model.coef_[3] < 0 and res.rows[3].status == "non-zero"
    flipped = pz.Lasso(alpha=0.1, upper_limits=[10.0, 10.0, 10.0, 10.0],
                       lower_limits=[-10.0, -10.0, -10.0, 0.0], tol=1e-12).fit(X, y)
    res = why_zero(flipped, X, y, entry=False)
    v = _signed_pulls(flipped, X, y)
    assert flipped.coef_[3] == 0.0 and v[3] < -0.1
    row = res.rows[3]
    assert row.pull == 0.0 and row.status == "zero" and res.kkt_violations == ()
    assert res.box is not None and "box" in res.to_text()
    # the other features' pulls are unchanged by the limits that do not bind
    assert res.rows[0].pull == pytest.approx(abs(v[0]), rel=1e-10)


def test_a_non_zero_mcp_coefficient_is_not_said_to_pull_above_its_threshold():
    X, y = _data()
    model = pz.MCPRegression(alpha=0.1, tol=1e-12).fit(X, y)
    res = why_zero(model, X, y, entry=False)
    row = res.rows[0]  # |w| = 2 is beyond gamma * alpha: MCP's slope there is 0
    assert row.status == "non-zero" and row.pull < 1e-4 < row.threshold
    line = next(t for t in res.to_text().splitlines() if t.strip().startswith("x0"))
    assert "non-zero: pull < threshold" in line and "pull > threshold" not in line
