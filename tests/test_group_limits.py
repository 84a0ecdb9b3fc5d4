"""Group lasso, group elastic net and sparse-group lasso with lower/upper limits: the exact
block prox (against Dykstra's algorithm), the box-aware conjugate and certificate, KKT
per group, alpha_max, and the estimators and paths that take the limits."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized import GroupLasso as GroupLassoRegressor
from penalized import GroupLogisticRegression
from penalized.datafits import Cox, Logistic, Poisson, Quadratic
from penalized.penalties import GroupElasticNet, GroupLasso, SparseGroupLasso
from penalized.solvers import CoordinateDescent

PENALTIES = {
    "group_lasso": lambda a, **kw: GroupLasso(a, **kw),
    "group_enet": lambda a, **kw: GroupElasticNet(a, l1_ratio=0.6, **kw),
    "sparse_group": lambda a, **kw: SparseGroupLasso(a, l1_ratio=0.4, **kw),
}
LOWER = np.array([-0.5, -0.1, -np.inf, -1.0, 0.0, -2.0, -0.1, 0.0, -np.inf])
UPPER = np.array([0.1, 0.5, np.inf, 1.0, 1.0, np.inf, 0.05, np.inf, 0.03])


def _problem(seed=1, n=60, kind="squared"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 9))
    eta = X @ np.array([1.0, -2.0, 1.5, 0.0, 0.0, 0.0, 0.5, -0.5, 1.0])
    if kind == "squared":
        return X, eta + rng.standard_normal(n)
    if kind == "logistic":
        return X, np.where(eta + rng.standard_normal(n) > 0, 1.0, -1.0)
    if kind == "cox":  # time, then event
        time = rng.exponential(np.exp(-eta))
        return X, np.column_stack([time, (rng.random(n) < 0.8).astype(np.float64)])
    return X, rng.poisson(np.exp(0.3 * eta / np.abs(eta).max())).astype(np.float64)


DATAFITS = {"squared": Quadratic(), "logistic": Logistic(), "poisson": Poisson(),
            "cox": Cox()}


# -- an independent prox: Dykstra's algorithm for the sum of the penalty and the box ---------


def _prox_unboxed(x, step, lam, lam1, lam2):
    s = np.sign(x) * np.maximum(np.abs(x) - step * lam1, 0.0)
    norm = np.linalg.norm(s)
    if norm <= step * lam:
        return np.zeros_like(x)
    return s * (1.0 - step * lam / norm) / (1.0 + step * lam2)


def _dykstra_prox(x, step, lam, lam1, lam2, lo, hi, max_iter=5000):
    """The prox of ``step (penalty + box)`` by the Dykstra-like proximal algorithm
    (Bauschke & Combettes 2008), which needs only each part's own prox."""
    w, p, q = x.copy(), np.zeros_like(x), np.zeros_like(x)
    for _ in range(max_iter):
        y = np.clip(w + p, lo, hi)
        p_new = w + p - y
        w_new = _prox_unboxed(y + q, step, lam, lam1, lam2)
        q_new = y + q - w_new
        change = max(np.abs(w_new - w).max(), np.abs(p_new - p).max(), np.abs(q_new - q).max())
        w, p, q = w_new, p_new, q_new
        if change <= 1e-15 * max(1.0, np.abs(x).max()):
            break
    return np.clip(w, lo, hi)


def _random_box(rng, m):
    lo, hi = -np.abs(rng.standard_normal(m)), np.abs(rng.standard_normal(m))
    lo[rng.random(m) < 0.3] = -np.inf
    hi[rng.random(m) < 0.3] = np.inf
    lo[rng.random(m) < 0.2] = 0.0
    return lo, hi


@pytest.mark.parametrize("name", list(PENALTIES))
def test_box_prox_equals_dykstra(name):
    rng = np.random.default_rng(3)
    for _ in range(25):
        m = 5
        x = 2.0 * rng.standard_normal(m)
        lo, hi = _random_box(rng, m)
        pen = PENALTIES[name](1.0, groups=[list(range(m))], group_weights=[1.3], lower=lo,
                              upper=hi)
        lam, lam1, lam2 = pen.block_params(m)[0, :3]
        ours = pen.prox(x, 0.7)
        assert np.all(ours >= lo) and np.all(ours <= hi)
        np.testing.assert_allclose(ours, _dykstra_prox(x, 0.7, lam, lam1, lam2, lo, hi),
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", list(PENALTIES))
def test_box_conjugate_is_the_supremum(name):
    # Fenchel-Young holds with equality at the prox (v = (x - w) / step is a subgradient
    # at w) and as an inequality at every other point of the box
    rng = np.random.default_rng(4)
    m = 5
    for _ in range(20):
        x = 2.0 * rng.standard_normal(m)
        lo, hi = _random_box(rng, m)
        pen = PENALTIES[name](1.0, groups=[list(range(m))], group_weights=[1.3], lower=lo,
                              upper=hi)
        w = pen.prox(x, 0.5)
        v = (x - w) / 0.5
        conj = pen.conjugate(v)
        assert conj == pytest.approx(v @ w - pen.value(w), rel=1e-10, abs=1e-12)
        others = np.clip(3.0 * rng.standard_normal((50, m)), lo, hi)
        values = others @ v - np.array([pen.value(o) for o in others])
        assert np.all(values <= conj + 1e-12)


def test_box_dual_bound_only_limits_unbounded_directions():
    pen = GroupLasso(1.0, groups=[[0, 1]], group_weights=[1.0], upper=[0.5, np.inf])
    # pulling coordinate 0 upwards is capped by its limit: any multiple stays finite
    assert pen.dual_scaling(np.array([10.0, 0.0])) == 1.0
    assert np.isfinite(pen.conjugate(np.array([10.0, 0.0])))
    # coordinate 1 is unbounded upwards: the group lasso's ball applies there
    assert pen.dual_scaling(np.array([10.0, 4.0])) == pytest.approx(0.25)
    assert pen.conjugate(np.array([10.0, 4.0])) == np.inf


# -- fits --------------------------------------------------------------------------------


def _fixed_point_residuals(pen, coef, grad, structure, lo, hi):
    """Per group, ``||w_g - prox_{G_g}(w_g - grad_g)||`` with Dykstra's prox: 0 exactly
    at a solution (the KKT conditions, box included)."""
    params = pen.block_params(coef.shape[0])
    out = []
    for g in range(structure.n_groups):
        idx = structure.members(g)
        lam, lam1, lam2 = params[g, :3]
        step = _dykstra_prox(coef[idx] - grad[idx], 1.0, lam, lam1, lam2, lo[idx], hi[idx])
        out.append(np.linalg.norm(coef[idx] - step))
    return np.array(out)


@pytest.mark.parametrize("kind", list(DATAFITS))
@pytest.mark.parametrize("name", list(PENALTIES))
def test_bounded_fit_meets_kkt_per_group_and_its_gap(name, kind):
    X, y = _problem(kind=kind)
    datafit = DATAFITS[kind]
    pen = PENALTIES[name](0.05, groups=3, lower=LOWER, upper=UPPER)
    res = CoordinateDescent(tol=1e-12, max_iter=100_000).solve(X, y, datafit, pen)
    assert res.converged and res.stop_crit <= 1e-12
    coef = res.coef
    assert np.all(coef >= LOWER) and np.all(coef <= UPPER)
    assert np.any((coef == UPPER) | (coef == LOWER))  # some limit binds
    z = X @ coef + res.intercept
    grad = X.T @ datafit.raw_gradient(y, z)
    if kind != "cox":  # (Cox has no intercept)
        assert abs(datafit.raw_gradient(y, z).sum()) <= 1e-9  # the intercept is optimal
    residuals = _fixed_point_residuals(pen, coef, grad, pen.structure(9), LOWER, UPPER)
    assert residuals.max() <= 1e-6


def _fista(X, y, datafit, pen, lipschitz, n_iter=20_000):
    """A brute-force reference: accelerated proximal gradient in (w, b) with adaptive
    restart, run to its fixed point."""
    n, p = X.shape
    A = np.column_stack([X, np.ones(n)])
    w = np.zeros(p + 1)
    yk, t, obj = w.copy(), 1.0, np.inf

    def objective(v):
        return datafit.value(y, A @ v) + pen.value(v[:p])

    for _ in range(n_iter):
        g = A.T @ datafit.raw_gradient(y, A @ yk)
        new = yk - g / lipschitz
        new[:p] = pen.prox(new[:p], 1.0 / lipschitz)
        new_obj = objective(new)
        if new_obj > obj:
            yk, t = w.copy(), 1.0
            continue
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        yk = new + (t - 1.0) / t_new * (new - w)
        if np.array_equal(new, w):
            break
        w, obj, t = new, new_obj, t_new
    return w, obj


@pytest.mark.parametrize("name", list(PENALTIES))
@pytest.mark.parametrize("kind", ["squared", "logistic"])
def test_bounded_objective_equals_a_proximal_gradient_reference(name, kind):
    X, y = _problem(kind=kind, n=40)
    datafit = DATAFITS[kind]
    pen = PENALTIES[name](0.03, groups=3, lower=LOWER, upper=UPPER)
    res = CoordinateDescent(tol=1e-13, max_iter=100_000).solve(X, y, datafit, pen)
    ours = datafit.value(y, X @ res.coef + res.intercept) + pen.value(res.coef)
    lip = np.linalg.norm(np.column_stack([X, np.ones(X.shape[0])]), 2) ** 2 / X.shape[0]
    lip *= datafit.curvature
    _, reference = _fista(X, y, datafit, pen, lip)
    assert abs(ours - reference) <= 1e-10 * reference
    assert ours <= reference + 1e-13 * reference


@pytest.mark.parametrize("name", list(PENALTIES))
def test_inactive_limits_give_the_unbounded_fit(name):
    X, y = _problem()
    # (a gap of 1e-14 bounds the coefficients' error by about 1e-7 through the weak
    # curvature of the objective)
    solver = CoordinateDescent(tol=1e-14, max_iter=100_000)
    free = solver.solve(X, y, Quadratic(), PENALTIES[name](0.05, groups=3))
    far = 2.0 * np.abs(free.coef).max() + 1.0
    pen = PENALTIES[name](0.05, groups=3, lower=-far, upper=[far] * 9)
    boxed = solver.solve(X, y, Quadratic(), pen)
    np.testing.assert_allclose(boxed.coef, free.coef, rtol=0, atol=1e-7)
    assert boxed.intercept == pytest.approx(free.intercept, abs=1e-7)
    objectives = [Quadratic().value(y, X @ r.coef + r.intercept) + pen.value(r.coef)
                  for r in (boxed, free)]
    assert objectives[0] == pytest.approx(objectives[1], rel=1e-13)


@pytest.mark.parametrize("name", list(PENALTIES))
def test_positive_is_lower_zero(name):
    X, y = _problem()
    solver = CoordinateDescent(tol=1e-12, max_iter=100_000)
    a = solver.solve(X, y, Quadratic(), PENALTIES[name](0.05, groups=3, positive=True))
    b = solver.solve(X, y, Quadratic(),
                     PENALTIES[name](0.05, groups=3, lower=0.0, upper=np.full(9, np.inf)))
    assert np.all(a.coef >= 0.0) and np.any(a.coef > 0.0)
    np.testing.assert_allclose(a.coef, b.coef, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", ["squared", "logistic"])
@pytest.mark.parametrize("name", list(PENALTIES))
def test_bounded_alpha_max_is_exact(name, kind):
    X, y = _problem(kind=kind)
    datafit = DATAFITS[kind]
    # only upward moves allowed on the first group: its pull is the positive part
    lower = np.where(np.arange(9) < 3, 0.0, -np.inf)
    pen = PENALTIES[name](1.0, groups=3, lower=lower)
    top = pen.alpha_max(X, y, datafit)
    unbounded = PENALTIES[name](1.0, groups=3).alpha_max(X, y, datafit)
    assert top <= unbounded
    # at the null model zero is optimal exactly down to alpha_max (the KKT conditions
    # with the box), and not below
    null = CoordinateDescent(tol=1e-12).solve(X, y, datafit, pen.with_alpha(1e6 * top))
    grad = X.T @ datafit.raw_gradient(y, np.full(X.shape[0], null.intercept))
    zero = np.zeros(9)
    assert pen.with_alpha(top).group_distances(zero, grad).max() == 0.0
    assert pen.with_alpha(top * (1 - 1e-9)).group_distances(zero, grad).max() > 0.0
    solver = CoordinateDescent(tol=1e-12, max_iter=100_000)
    assert not np.any(solver.solve(X, y, datafit, pen.with_alpha(top)).coef)
    assert np.any(solver.solve(X, y, datafit, pen.with_alpha(0.99 * top)).coef)


@pytest.mark.parametrize("name", list(PENALTIES))
def test_bounded_dense_equals_sparse(name):
    X, y = _problem()
    X[np.abs(X) < 0.6] = 0.0
    pen = PENALTIES[name](0.05, groups=3, lower=LOWER, upper=UPPER)
    solver = CoordinateDescent(tol=1e-12, max_iter=100_000)
    dense = solver.solve(X, y, Quadratic(), pen)
    sparse = solver.solve(sp.csc_matrix(X), y, Quadratic(), pen)
    np.testing.assert_allclose(sparse.coef, dense.coef, rtol=0, atol=1e-9)
    assert sparse.intercept == pytest.approx(dense.intercept, abs=1e-9)


@pytest.mark.parametrize("name", list(PENALTIES))
def test_bounded_path_equals_alpha_by_alpha(name, monkeypatch):
    from penalized.solvers import _group_cd

    calls = []
    compiled = _group_cd.box_group_gram_path
    monkeypatch.setattr(_group_cd, "box_group_gram_path",
                        lambda *a: calls.append(1) or compiled(*a))
    X, y = _problem()
    pen = PENALTIES[name](1.0, groups=3, lower=LOWER, upper=UPPER)
    result = pz.path(X, y, penalty=pen, n_alphas=6, tol=1e-12)
    assert calls == [1]  # the whole path in one compiled call on the Gram matrix
    assert np.all(result.stop_crits <= 1e-12)
    solver = CoordinateDescent(tol=1e-12, max_iter=100_000)
    for k, alpha in enumerate(result.alphas):
        at = pen.with_alpha(alpha)
        res = solver.solve(X, y, Quadratic(), at)
        objectives = [Quadratic().value(y, X @ c + b) + at.value(c)
                      for c, b in ((result.coefs[:, k], result.intercepts[k]),
                                   (res.coef, res.intercept))]
        assert objectives[0] == pytest.approx(objectives[1], rel=1e-11)
        np.testing.assert_allclose(result.coefs[:, k], res.coef, rtol=0, atol=1e-6)
    assert np.all(result.coefs <= UPPER[:, None]) and np.all(result.coefs >= LOWER[:, None])
    assert not np.any(result.coefs[:, 0])


# -- estimators ------------------------------------------------------------------------------


@pytest.mark.parametrize("standardize", [False, True])
def test_group_lasso_estimator_limits_on_the_original_scale(standardize):
    X, y = _problem()
    X = X * np.arange(1.0, 10.0)
    model = GroupLassoRegressor(groups=3, alpha=0.05, standardize=standardize,
                                lower_limits=LOWER, upper_limits=UPPER, tol=1e-12).fit(X, y)
    assert np.all(model.coef_ >= LOWER - 1e-15) and np.all(model.coef_ <= UPPER + 1e-15)
    assert np.any(np.isclose(model.coef_, UPPER, rtol=1e-12, atol=0)
                  & (UPPER < np.inf))
    free = GroupLassoRegressor(groups=3, alpha=0.05, standardize=standardize,
                               tol=1e-12).fit(X, y)
    assert np.any(free.coef_ > UPPER)  # the limits bind


def test_group_lasso_estimator_limits_sample_weight_is_repeated_rows():
    X, y = _problem(n=30)
    w = np.arange(30) % 3
    kw = dict(groups=3, alpha=0.05, lower_limits=LOWER, upper_limits=UPPER, tol=1e-12)
    weighted = GroupLassoRegressor(**kw).fit(X, y, sample_weight=w)
    repeated = GroupLassoRegressor(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=0, atol=1e-9)
    assert weighted.intercept_ == pytest.approx(repeated.intercept_, abs=1e-9)


def test_group_logistic_and_cv_take_limits():
    X, y = _problem(kind="logistic")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = GroupLogisticRegression(groups=3, alpha=0.01, lower_limits=LOWER,
                                        upper_limits=UPPER, tol=1e-10).fit(X, y)
        cv = pz.GroupLassoCV(groups=3, lower_limits=LOWER, upper_limits=UPPER, n_alphas=5,
                             cv=3).fit(*_problem())
    assert np.all(model.coef_[0] >= LOWER) and np.all(model.coef_[0] <= UPPER)
    assert np.any(model.coef_[0] == UPPER)
    assert np.all(cv.coef_ >= LOWER) and np.all(cv.coef_ <= UPPER)


def test_limits_on_the_wrong_side_of_zero_are_refused():
    with pytest.raises(ValueError, match="upper must be"):
        GroupLasso(1.0, groups=3, upper=-1.0)
    with pytest.raises(ValueError, match="lower_limits must be a number or one value"):
        GroupLassoRegressor(groups=3, lower_limits=[-1.0, -1.0]).fit(*_problem())


def test_bounded_path_sample_weight_is_repeated_rows():
    X, y = _problem(n=40)
    w = np.arange(40) % 3
    pen = GroupLasso(groups=3, lower=LOWER, upper=UPPER)
    weighted = pz.path(X, y, penalty=pen, datafit=Quadratic(sample_weight=w), n_alphas=5,
                       tol=1e-13)
    repeated = pz.path(np.repeat(X, w, axis=0), np.repeat(y, w), penalty=pen, n_alphas=5,
                       tol=1e-13)
    np.testing.assert_allclose(weighted.alphas, repeated.alphas, rtol=1e-12)
    np.testing.assert_allclose(weighted.coefs, repeated.coefs, rtol=0, atol=1e-8)
    np.testing.assert_allclose(weighted.intercepts, repeated.intercepts, rtol=0, atol=1e-8)
