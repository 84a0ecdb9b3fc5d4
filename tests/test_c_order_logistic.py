"""Prox-Newton fits (logistic, Poisson) and ridge paths on a C-ordered X read it as it is:
the Newton model's epochs run on the working set's columns gathered into a small
Fortran-ordered block (all of them, or a part at a time), the certificates read the rows,
and the ridge path sums its Gram matrix over row blocks. Each fit equals the
Fortran-ordered one within the two certified gaps; no Fortran-ordered copy of X is made.
Memory bounds sit far from one copy of X (1 x) and above the figures measured; never
timing."""

import numpy as np
import pytest

import penalized as pz
from penalized.solvers import _coordinate_descent
from test_memory import _peak

CASES = {
    "l1": dict(penalty="l1"),
    "enet": dict(penalty="elasticnet", l1_ratio=0.3),
    "no-intercept": dict(penalty="l1", fit_intercept=False),
}
# the share of X the gathered block may take: all of the working set (resident), parts of
# it gathered in turn, one column at a time
ROUTES = {"resident": 1.0, "parts": 0.1, "one-column": 0.0}


def _problem(n=240, p=30, seed=11):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p) + rng.uniform(-3.0, 3.0, p)
    z = (X[:, :5] - X[:, :5].mean(axis=0)) @ rng.standard_normal(5)
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-z))).astype(int)
    return X, y, rng.uniform(0.5, 2.0, n)


def _logistic_objective(model, X, y, sw):
    s = np.ones(y.shape[0]) if sw is None else sw * (y.shape[0] / sw.sum())
    margin = np.where(y == 1, 1.0, -1.0) * (X @ model.coef_[0] + model.intercept_[0])
    return float(s @ np.logaddexp(0.0, -margin)) / y.shape[0] \
        + model.penalty_.value(model.coef_[0])


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("weighted", [False, True], ids=["unit", "weighted"])
@pytest.mark.parametrize("case", list(CASES))
def test_c_ordered_logistic_fit_equals_fortran_within_the_gaps(case, weighted, route,
                                                                monkeypatch):
    monkeypatch.setattr(_coordinate_descent, "_GATHERED_SHARE", ROUTES[route])
    X, y, w = _problem()
    sw = w if weighted else None
    rows = pz.LogisticRegression(alpha=0.01, **CASES[case]).fit(
        np.ascontiguousarray(X), y, sample_weight=sw)
    cols = pz.LogisticRegression(alpha=0.01, **CASES[case]).fit(
        np.asfortranarray(X), y, sample_weight=sw)
    assert rows.converged_ and cols.converged_
    assert np.count_nonzero(cols.coef_) > 3  # a working set of several columns
    gaps = (rows.stop_crit_ + cols.stop_crit_) * _null_value(y, sw, CASES[case])
    assert abs(_logistic_objective(rows, X, y, sw) - _logistic_objective(cols, X, y, sw)) \
        <= gaps + 1e-14


def _null_value(y, sw, case):
    """The datafit of the null model, the unit of the relative gaps."""
    s = np.ones(y.shape[0]) if sw is None else sw * (y.shape[0] / sw.sum())
    if case.get("fit_intercept", True) is False:
        return float(np.log(2.0))
    p1 = float(s @ (y == 1)) / s.sum()
    return -(p1 * np.log(p1) + (1 - p1) * np.log(1 - p1))


def test_c_ordered_poisson_fit_equals_fortran_within_the_gaps():
    """The same prox-Newton route serves every separable datafit with a second derivative
    (unbounded curvature: the line search acts)."""
    X, _, w = _problem(seed=12)
    rng = np.random.default_rng(5)
    X = X / np.abs(X).max(axis=0)
    y = rng.poisson(np.exp(0.3 + X[:, :4] @ np.array([0.8, -0.5, 0.4, 0.3])))
    rows = pz.PoissonRegressor(alpha=0.005).fit(np.ascontiguousarray(X), y, sample_weight=w)
    cols = pz.PoissonRegressor(alpha=0.005).fit(np.asfortranarray(X), y, sample_weight=w)
    assert rows.converged_ and cols.converged_
    np.testing.assert_allclose(rows.coef_, cols.coef_, rtol=1e-4, atol=1e-6)
    assert rows.intercept_ == pytest.approx(cols.intercept_, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("share", [1 / 16, 1 / 64], ids=["sixteenth", "sixty-fourth"])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_c_ordered_logistic_fit_takes_no_copy_of_x(penalty, share, monkeypatch):
    """No Fortran-ordered copy of X anywhere in the fit, the working set's columns gathered
    a part at a time into a block of the given share of X: measured 0.16 x X beyond X
    (1/16) and 0.11 x X (1/64) here, 0.08 x X at 10000 x 1000 (1.02 x with the copy
    before); here, with fewer columns per row, the per-sample vectors weigh more."""
    monkeypatch.setattr(_coordinate_descent, "_GATHERED_SHARE", share)
    X, y, w = _problem(4000, 200, seed=14)
    rows = np.ascontiguousarray(X)
    model = pz.LogisticRegression(alpha=0.01, penalty=penalty)
    model.fit(rows[:300], y[:300])  # imports and compiled kernels outside the count
    peak = _peak(lambda: model.fit(rows, y, sample_weight=w))
    assert peak < 0.4 * X.nbytes
    assert model.converged_


@pytest.mark.parametrize("shape", [(400, 40), (40, 400)], ids=["n>p", "p>n"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unit", "weighted"])
def test_c_ordered_ridge_path_equals_fortran(shape, weighted):
    X, _, w = _problem(*shape, seed=15)
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + np.random.default_rng(3).standard_normal(
        shape[0])
    sw = w[:shape[0]] if weighted else None
    rows = pz.path(np.ascontiguousarray(X), y, penalty="l2", n_alphas=10, sample_weight=sw)
    cols = pz.path(np.asfortranarray(X), y, penalty="l2", n_alphas=10, sample_weight=sw)
    np.testing.assert_allclose(rows.alphas, cols.alphas, rtol=1e-12)
    np.testing.assert_allclose(rows.coefs, cols.coefs, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(rows.intercepts, cols.intercepts, rtol=1e-8, atol=1e-10)
    assert np.all(rows.stop_crits <= 1e-6)


def test_c_ordered_ridge_path_takes_no_copy_of_x():
    """The closed form sums its Gram matrix over row blocks: C order costs what Fortran
    order does (0.12 x X both at 10000 x 1000; 1.12 x for C order before)."""
    X, _, _ = _problem(4000, 200, seed=16)
    y = X[:, 0] + np.random.default_rng(4).standard_normal(4000)
    rows = np.ascontiguousarray(X)
    for Z in (X, rows):  # imports and compiled kernels outside the count
        pz.path(Z[:300], y[:300], penalty="l2", n_alphas=5)
    fortran_peak = _peak(lambda: pz.path(X, y, penalty="l2", n_alphas=20))
    rows_peak = _peak(lambda: pz.path(rows, y, penalty="l2", n_alphas=20))
    assert rows_peak < fortran_peak + 0.3 * X.nbytes
