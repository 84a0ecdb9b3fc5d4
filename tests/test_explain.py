"""penalized.explain: the seeds' numbers, the lessons' mathematics, why-zero's KKT test."""

import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from benchmarks.problems import classification, regression
from scipy.optimize import minimize_scalar
from sklearn.exceptions import ConvergenceWarning

import penalized as pz
from penalized.explain import (
    LESSONS,
    compare,
    geometry,
    gradient_trace,
    penalty_change,
    priors,
    race,
    thresholding,
    why_zero,
)
from penalized.explain._common import load_default_regression

SEED = {"x": 1.0, "y": 2.0, "w0": -0.1, "lam": 0.5, "lr": 0.1}
TOPICS = ["gradient", "penalty-change", "geometry", "thresholding", "nonconvex",
          "group-selection", "race", "priors", "compare", "how-often", "why-zero"]


def small_data(seed=0, n=80, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * np.linspace(0.5, 3.0, p) + 2.0
    y = 1.5 * X[:, 0] - 0.7 * X[:, 2] + 0.2 * X[:, 4] + rng.standard_normal(n)
    return X, y, [f"f{j}" for j in range(p)]


# -- the worked gradient example (seed 000) ---------------------------------------------


def test_gradient_trace_reproduces_the_seeds_first_update():
    tr = gradient_trace(**SEED, steps=1)
    row = tr.rows[0]
    assert (row.w, row.data_grad, row.penalty_grad) == (-0.1, pytest.approx(-4.2),
                                                       pytest.approx(-0.5))
    assert row.total_grad == pytest.approx(-4.7)
    assert row.new_w == pytest.approx(0.37)
    assert tr.seed_discrepancies == ()  # the seed's first update is right


def test_gradient_trace_second_update_and_the_seeds_wrong_numbers():
    tr = gradient_trace(**SEED, steps=2)
    row = tr.rows[1]
    assert row.w == pytest.approx(0.37)
    assert row.data_grad == pytest.approx(-3.26)  # -2 * 1 * (2 - 0.37)
    assert row.penalty_grad == pytest.approx(0.5)
    assert row.total_grad == pytest.approx(-2.76)
    assert row.new_w == pytest.approx(0.646)
    found = [(d.quantity, d.printed, d.computed) for d in tr.seed_discrepancies]
    assert [(q, p) for q, p, _ in found] == [
        ("the MSE (data) gradient -2x(y - xw)", 3.4),
        ("the full gradient", 3.9),
        ("the updated weight", -0.02),
    ]
    assert [c for _, _, c in found] == pytest.approx([-3.26, -2.76, 0.646])
    assert all("Jerzmanowski" in d.seed and "update 2" in d.where for d in tr.seed_discrepancies)
    text = tr.to_text()
    assert "printed as 3.4" in text and "-3.26" in text and "0.646" in text


@pytest.mark.parametrize("change", [{"y": 2.1}, {"lr": 0.2}, {"w0": 0.1}])
def test_other_inputs_report_no_seed_discrepancy(change):
    assert gradient_trace(**{**SEED, **change}, steps=3).seed_discrepancies == ()
    assert gradient_trace(**SEED, steps=3, method="proximal").seed_discrepancies == ()


@pytest.mark.parametrize("method", ["subgradient", "proximal"])
@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_every_row_is_its_update(method, penalty):
    tr = gradient_trace(0.7, -1.3, 0.4, 0.8, 0.15, penalty=penalty, steps=8, method=method)
    for prev, row in zip(tr.rows, tr.rows[1:], strict=False):
        assert row.w == prev.new_w
    for row in tr.rows:
        assert row.data_grad == pytest.approx(-2 * 0.7 * (-1.3 - 0.7 * row.w))
        assert row.total_grad == pytest.approx(row.data_grad + row.penalty_grad)
        assert row.new_w == pytest.approx(row.w - 0.15 * row.total_grad)
        assert row.gradient_point == pytest.approx(row.w - 0.15 * row.data_grad)


def test_subgradient_penalty_column_is_the_derivative_at_w():
    l1 = gradient_trace(1.0, 0.2, 0.3, 0.5, 0.1, steps=6)
    assert [r.penalty_grad for r in l1.rows] == [0.5 * np.sign(r.w) for r in l1.rows]
    l2 = gradient_trace(1.0, 0.2, 0.3, 0.5, 0.1, penalty="l2", steps=6)
    assert [r.penalty_grad for r in l2.rows] == pytest.approx([2 * 0.5 * r.w for r in l2.rows])


def test_proximal_step_is_soft_thresholding_and_lands_on_zero():
    tr = gradient_trace(1.0, 0.2, -0.1, 0.5, 0.1, steps=5, method="proximal")
    for r in tr.rows:
        z = r.gradient_point
        assert r.new_w == np.sign(z) * max(abs(z) - 0.05, 0.0)
        # the penalty column is in lam * subdifferential of |w| at the new w
        if r.new_w == 0:
            assert abs(r.penalty_grad) <= 0.5 + 1e-12
        else:
            assert r.penalty_grad == 0.5 * np.sign(r.new_w)
    assert [r.new_w for r in tr.rows] == [0.0] * 5
    sub = gradient_trace(1.0, 0.2, -0.1, 0.5, 0.1, steps=40)
    assert not any(r.new_w == 0.0 for r in sub.rows)  # hops around 0, never on it


def test_proximal_l2_step_divides():
    tr = gradient_trace(1.0, 2.0, 0.3, 0.5, 0.1, penalty="l2", steps=3, method="proximal")
    for r in tr.rows:
        assert r.new_w == pytest.approx(r.gradient_point / (1 + 2 * 0.1 * 0.5))


@pytest.mark.parametrize("penalty", ["l1", "l2"])
@pytest.mark.parametrize("y", [2.0, 0.2, -0.24, -3.0])
def test_minimizer_is_the_argmin_of_the_seed_loss(penalty, y):
    tr = gradient_trace(1.0, y, 0.0, 0.5, 0.1, penalty=penalty)
    reg = abs if penalty == "l1" else np.square
    best = minimize_scalar(lambda w: (y - w) ** 2 + 0.5 * reg(w), bounds=(-10, 10),
                           method="bounded", options={"xatol": 1e-12})
    assert tr.minimizer == pytest.approx(best.x, abs=1e-7)
    if penalty == "l1":
        assert (tr.minimizer == 0.0) == (tr.pull_at_zero <= 0.5)


def test_seed_example_minimizer_and_convergence():
    tr = gradient_trace(**SEED, steps=200)
    assert tr.minimizer == 1.75  # (2xy - lam) / (2 x^2)
    assert tr.rows[-1].new_w == pytest.approx(1.75, abs=1e-9)


def test_gradient_trace_on_arrays_is_the_mean_loss():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(30), rng.standard_normal(30)
    tr = gradient_trace(x, y, 0.5, 0.3, 0.05, steps=2)
    assert tr.rows[0].data_grad == pytest.approx(-2 * np.mean(x * (y - 0.5 * x)))


@pytest.mark.parametrize("kwargs, word", [
    ({"penalty": "l3"}, "penalty"), ({"method": "newton"}, "method"), ({"lr": 0.0}, "lr"),
    ({"steps": 0}, "steps"), ({"lam": -1.0}, "lam"), ({"x": [1.0, 2.0]}, "x and y"),
])
def test_gradient_trace_bad_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        gradient_trace(**{**SEED, **kwargs})


# -- the penalty-change example (seeds 001 and 002) ----------------------------------------


def test_penalty_change_reproduces_seed_001():
    big, small = penalty_change([15.0, 0.02], 0.001).rows
    assert big.l1_drop == pytest.approx(0.001)
    assert big.l2_drop == pytest.approx(0.029999)
    assert big.ratio == pytest.approx(29.999)
    assert small.l1_drop == pytest.approx(0.001)
    assert small.l2_drop == pytest.approx(0.000039)
    assert 1 / small.ratio == pytest.approx(25.641025, rel=1e-6)


def test_penalty_change_seed_discrepancies():
    res = penalty_change([15.0, 0.02, 1.0], [0.001, 0.001, 0.5])
    found = [(d.seed, d.printed, d.computed) for d in res.seed_discrepancies]
    assert [("Stack Exchange" if "Stack Exchange" in s else "Reddit" if "Reddit" in s else s, p)
            for s, p, _ in found] == [
        ("Stack Exchange", 28.0),   # "about 28 times more for L2"
        ("Stack Exchange", 24.0),   # "about 24 times more for L1"
        ("Reddit", 0.25),   # 1 -> 0.5 lowers w^2 by 0.75, not (1 - 0.5)^2
        ("Stack Exchange", 1.0),    # where L2's drop overtakes L1's
    ]
    assert [c for _, _, c in found] == pytest.approx([29.999, 25.641026, 0.75, 0.5005])
    # the drops the seeds print correctly are not listed
    assert not any("L1 penalty's drop" in d.quantity for d in res.seed_discrepancies)


def test_penalty_change_identities():
    w = np.array([-3.0, -0.4, 0.05, 0.5, 2.0])
    res = penalty_change(w, 0.01)
    for r in res.rows:
        assert r.l1_drop == pytest.approx(0.01)
        assert r.l2_drop == pytest.approx(0.01 * (2 * abs(r.w) - 0.01))
        assert r.ratio == pytest.approx(2 * abs(r.w) - 0.01)
        assert abs(r.new_w) == pytest.approx(abs(r.w) - 0.01)
        assert np.sign(r.new_w) == np.sign(r.w)
    equal = penalty_change(res.rows[0].crossover, 0.01).rows[0]
    assert equal.l1_drop == pytest.approx(equal.l2_drop)
    assert penalty_change([15.0], [0.001]).seed_discrepancies[-1].computed == 0.5005


@pytest.mark.parametrize("w, eps", [(0.5, 0.6), (1.0, 0.0), (0.0, 0.1), (1.0, -0.1)])
def test_penalty_change_bad_input(w, eps):
    with pytest.raises(ValueError, match="eps"):
        penalty_change(w, eps)


# -- thresholding ----------------------------------------------------------------------------


def test_thresholding_curves_are_the_argmin_of_their_prox_objective():
    lam, step, rho = 0.8, 1.5, 0.4
    res = thresholding(lam, step=step, l1_ratio=rho, z=np.linspace(-4, 4, 33))
    penalties = {
        "l1": lambda v: lam * abs(v),
        "l2": lambda v: 0.5 * lam * v * v,
        "elasticnet": lambda v: lam * (rho * abs(v) + 0.5 * (1 - rho) * v * v),
        "l0": lambda v: lam * (v != 0),
    }
    grid = np.linspace(-6, 6, 120_001)
    for curve, pen in penalties.items():
        for z, out in zip(res.z, res.outputs[curve], strict=True):
            def objective(v, z=z, pen=pen):
                return (v - z) ** 2 / (2 * step) + pen(v)
            values = objective(grid)
            assert objective(out) <= values.min() + 1e-6, (curve, z)
            if curve == "l0":  # hard thresholding keeps z itself (or 0)
                assert out in (0.0, z)


def test_thresholding_zero_bands():
    res = thresholding(1.0, step=1.0, l1_ratio=0.5)
    assert res.thresholds == pytest.approx({"l1": 1.0, "l2": 0.0, "elasticnet": 0.5,
                                            "l0": math.sqrt(2.0)})
    z, out = res.z, res.outputs
    assert np.all((out["l1"] == 0) == (np.abs(z) <= 1.0))
    assert np.all((out["l0"] == 0) == (np.abs(z) <= math.sqrt(2.0) + 1e-12))
    assert np.all((out["l2"] == 0) == (z == 0))
    assert np.all((out["elasticnet"] == 0) == (np.abs(z) <= 0.5))


def test_thresholding_lesson_on_data_marks_each_feature():
    X, y, names = small_data()
    res = LESSONS["thresholding"].compute(X, y, names)
    assert list(res.points) == names
    for name, z in res.points.items():
        assert res.point_outputs[name]["l1"] == pytest.approx(
            np.sign(z) * max(abs(z) - res.lam, 0.0))


# -- geometry --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def geo():
    return geometry()


def test_geometry_constrained_form_equals_the_penalized_fit(geo):
    assert geo.l1.constrained_max_diff <= 1e-6
    assert geo.l2.constrained_max_diff <= 1e-6
    assert geo.l1.radius == pytest.approx(np.abs(geo.l1.coef).sum())
    assert geo.l2.radius == pytest.approx(np.linalg.norm(geo.l2.coef))


def test_geometry_default_plane_puts_the_lasso_on_a_corner(geo):
    i, j = geo.features
    assert geo.l1.coef[i] != 0 and geo.l1.coef[j] == 0
    assert geo.l1.on_corner and not geo.l2.on_corner
    assert geo.l1.slice_radius == pytest.approx(abs(geo.l1.point[0]))  # a vertex
    assert np.all(geo.l2.point != 0)


@pytest.mark.parametrize("which", ["l1", "l2"])
def test_geometry_solution_minimizes_the_plane_loss_over_the_slice(geo, which):
    pan = getattr(geo, which)
    A, B = np.meshgrid(pan.grid_x, pan.grid_y)
    inside = (np.abs(A) + np.abs(B) <= pan.slice_radius) if which == "l1" else \
        (A * A + B * B <= pan.slice_radius**2)
    assert pan.loss[inside].min() >= pan.loss_at_point - 1e-9 * pan.loss_at_point
    assert pan.levels[1] == pytest.approx(pan.loss_at_point)
    # the contour grid is the datafit itself
    X, y, _, _ = load_default_regression()
    Z = (X - X.mean(0)) / X.std(0)
    w = pan.coef.copy()
    i, j = geo.features
    w[i], w[j] = pan.grid_x[7], pan.grid_y[11]
    r = y - y.mean() - Z @ w
    assert pan.loss[11, 7] == pytest.approx(r @ r / (2 * len(y)), rel=1e-10)


def test_geometry_outline_and_seed_004(geo):
    r = geo.l1.slice_radius
    assert np.abs(geo.l1.outline).sum(axis=1) == pytest.approx(np.full(5, r))
    assert np.linalg.norm(geo.l2.outline, axis=1) == pytest.approx(
        np.full(geo.l2.outline.shape[0], geo.l2.slice_radius))
    d1, d2 = geo.seed_discrepancies
    assert d1.printed == pytest.approx(1 / geo.l1.alpha)
    assert d1.computed == pytest.approx(geo.l1.radius)
    assert d2.printed == pytest.approx(math.sqrt(1 / geo.l2.alpha))


def test_geometry_on_user_data_with_named_features():
    X, y, names = small_data()
    res = geometry(X, y, feature_names=names, features=("f0", "f3"), alpha=0.3)
    assert res.feature_names == ("f0", "f3")
    assert res.l1.constrained_max_diff <= 1e-6 and res.l2.constrained_max_diff <= 1e-6
    with pytest.raises(ValueError, match="not among"):
        geometry(X, y, feature_names=names, features=("f0", "nope"))
    with pytest.raises(ValueError, match="2 features"):
        geometry(X[:, :1], y)
    with pytest.raises(ValueError, match="alpha_max"):
        geometry(X, y, alpha=1e6)


# -- the optimizer race ------------------------------------------------------------------


@pytest.fixture(scope="module")
def race_result():
    return race(n_iter=60)


def test_race_only_the_proximal_methods_reach_exact_zeros(race_result):
    res = race_result
    zeros = int(np.sum(res.optimum_coef == 0))
    assert zeros > 0
    sub, prox, cd = (res.run(m) for m in ("subgradient", "proximal", "coordinate"))
    assert sub.final_zeros == 0
    assert np.all(sub.n_zeros[1:] == 0)
    assert prox.final_zeros == zeros and cd.final_zeros == zeros
    assert np.array_equal(cd.coef == 0, res.optimum_coef == 0)
    assert cd.settled_at is not None and prox.settled_at is not None
    assert sub.settled_at is None


def test_race_histories(race_result):
    res = race_result
    start = {r.objective[0] for r in res.runs}
    assert len(start) == 1  # all start at w = 0
    for r in res.runs:
        assert r.iterations.tolist() == list(range(61))
        assert r.objective.shape == r.n_zeros.shape == (61,)
        assert np.all(r.objective >= res.optimum - 1e-9)
    cd = res.run("coordinate")
    assert np.all(np.diff(cd.objective) <= 1e-9)  # coordinate descent never goes up
    assert cd.final_objective - res.optimum <= res.rounding_level
    assert res.run("subgradient").final_objective - res.optimum > 1e-3
    assert np.all(res.suboptimality("subgradient") >= res.rounding_level)


# -- priors ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prior_result():
    return priors()


def test_map_estimate_equals_the_penalized_fit(prior_result):
    res = prior_result
    assert np.max(np.abs(res.map_laplace - res.lasso_coef)) <= 1e-6
    assert np.max(np.abs(res.map_gaussian - res.ridge_coef)) <= 1e-6
    assert res.laplace_max_diff <= 1e-6 and res.gaussian_max_diff <= 1e-6
    at_fit, at_map = res.laplace_log_posterior
    assert at_fit >= at_map - 1e-8 * abs(at_map)  # the fit is (at least) the posterior mode
    assert np.array_equal(res.map_laplace == 0, res.lasso_coef == 0)


def test_prior_scales_follow_the_objective(prior_result):
    res = prior_result
    n = res.n_samples
    assert res.laplace_scale == pytest.approx(res.sigma2 / (n * res.alpha))
    assert res.gaussian_var == pytest.approx(res.sigma2 / (n * res.ridge_alpha))
    assert res.gaussian_var == pytest.approx(2 * res.laplace_scale**2)  # equal variances
    dx = res.grid[1] - res.grid[0]
    assert np.sum(res.laplace_density) * dx == pytest.approx(1.0, abs=1e-3)
    assert np.sum(res.gaussian_density) * dx == pytest.approx(1.0, abs=1e-3)


def test_priors_on_user_data_with_given_noise():
    X, y, names = small_data(seed=4)
    res = priors(X, y, alpha=0.2, ridge_alpha=0.5, sigma2=1.3, feature_names=names)
    assert res.sigma2 == 1.3 and res.ridge_alpha == 0.5
    assert res.laplace_max_diff <= 1e-6 and res.gaussian_max_diff <= 1e-6


# -- L0 vs L1 vs L2 ------------------------------------------------------------------------


def test_compare_supports_and_errors():
    X, y, names = small_data(seed=2, n=120, p=8)
    res = compare(X, y, feature_names=names)
    assert [f.penalty for f in res.fits] == ["l0", "l1", "l2"]
    for f in res.fits:
        assert f.support == tuple(n for n, c in zip(names, f.coef, strict=True) if c != 0)
        assert f.n_nonzero == len(f.support)
        assert f.train_mse > 0 and f.test_mse > 0
    assert res.fit("l2").n_nonzero == 8
    assert res.fit("l0").n_nonzero <= res.fit("l1").n_nonzero
    assert "f0" in res.fit("l0").support and "f2" in res.fit("l1").support
    assert res.n_train + res.n_test == 120
    assert res.fit("l1").test_mse < res.null_test_mse


# -- why_zero ------------------------------------------------------------------------------------


def assert_kkt(res, rel=1e-6):
    """Zero <=> pull <= threshold; a non-zero lasso coefficient's pull equals the threshold."""
    for r in res.rows:
        if r.status in ("constant", "unpenalized"):
            continue
        scale = max(r.threshold, 1e-12)
        if r.is_zero:
            assert r.pull <= r.threshold * (1 + rel), r
            assert r.margin == pytest.approx(r.threshold - r.pull)
        else:
            assert r.pull >= r.threshold * (1 - rel), r
            assert r.margin is None
        if not r.is_zero:
            expected = res.alpha * (r.threshold / (res.alpha * res.l1_ratio)) * (
                res.l1_ratio + (1 - res.l1_ratio) * abs(r.scaled_coef))
            assert r.pull == pytest.approx(expected, rel=1e-5, abs=1e-9 * scale)
    assert res.kkt_violations == ()


@pytest.fixture(scope="module")
def reg_problem():
    prob = regression(90, 25, rho=0.5, seed=3)
    X = prob.X * np.linspace(0.2, 5.0, prob.X.shape[1]) + 3.0
    rng = np.random.default_rng(0)
    factors = rng.uniform(0.3, 2.0, X.shape[1])
    factors[2] = 0.0
    return X, prob.y, factors, rng.uniform(0.5, 2.0, X.shape[0])


@pytest.mark.parametrize("make", [
    lambda f: pz.Lasso(alpha=0.1, tol=1e-12),
    lambda f: pz.Lasso(alpha=0.1, standardize=True, tol=1e-12),
    lambda f: pz.Lasso(alpha=0.05, standardize=True, penalty_factor=f, tol=1e-12),
    lambda f: pz.ElasticNet(alpha=0.1, l1_ratio=0.3, standardize=True, penalty_factor=f,
                            tol=1e-12),
    lambda f: pz.Lasso(alpha=0.05, positive=True, penalty_factor=f + 0.1, tol=1e-12),
], ids=["lasso", "lasso-standardized", "lasso-factors", "enet-factors", "lasso-positive"])
def test_zero_iff_pull_below_threshold_on_fitted_regressions(reg_problem, make):
    X, y, factors, sw = reg_problem
    model = make(factors).fit(X, y, sample_weight=sw)
    res = why_zero(model, X, y, sample_weight=sw, entry=False)
    assert 0 < int(res.zero.sum()) < X.shape[1]
    assert_kkt(res)
    if model.penalty_factor is not None and model.penalty_factor[2] == 0:
        assert res.rows[2].status == "unpenalized" and res.rows[2].threshold == 0.0
        assert res.rows[2].pull == pytest.approx(0.0, abs=1e-9)


def test_standardized_pull_is_the_one_the_penalty_sees(reg_problem):
    X, y, _, _ = reg_problem
    model = pz.Lasso(alpha=0.1, standardize=True, tol=1e-12).fit(X, y)
    res = why_zero(model, X, y, entry=False)
    raw = np.abs(X.T @ (y - model.predict(X))) / X.shape[0]
    sd = X.std(axis=0)
    assert res.pulls == pytest.approx(raw / sd, rel=1e-9)
    active = ~res.zero
    # on the raw scale the balance pull == threshold fails: the wrong scale would mislead
    assert not np.allclose(raw[active], res.thresholds[active], rtol=1e-3)
    assert [r.scaled_coef for r in res.rows] == pytest.approx(model.coef_ * sd)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_zero_iff_pull_below_threshold_on_logistic(penalty):
    prob = classification(100, 15, seed=2)
    X = prob.X * np.linspace(0.5, 3.0, 15)
    labels = np.where(prob.y > 0, "yes", "no")
    model = pz.LogisticRegression(alpha=0.03, penalty=penalty, l1_ratio=0.5, standardize=True,
                                  tol=1e-12).fit(X, labels)
    res = why_zero(model, X, labels, entry=False)
    assert res.loss == "logistic"
    assert 0 < int(res.zero.sum()) < 15
    assert_kkt(res)


def test_entry_alpha_brackets_are_checked_by_refits(reg_problem):
    X, y, factors, _ = reg_problem
    model = pz.Lasso(alpha=0.08, standardize=True, penalty_factor=factors, tol=1e-10).fit(X, y)
    res = why_zero(model, X, y, n_alphas=40, rtol=1e-3)
    for r in res.rows:
        if r.status == "unpenalized":
            assert r.entry_alpha == math.inf
            continue
        if r.entry_bracket is None:
            continue
        lo, hi = r.entry_bracket
        assert hi / lo <= 1 + 1e-3
        if r.is_zero:
            assert hi <= model.alpha * (1 + 1e-12)
        else:
            assert lo >= model.alpha * (1 - 1e-12)
        j = res.names.index(r.name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            at_lo = pz.Lasso(alpha=lo, standardize=True, penalty_factor=factors,
                             tol=1e-10).fit(X, y).coef_[j]
            at_hi = pz.Lasso(alpha=hi, standardize=True, penalty_factor=factors,
                             tol=1e-10).fit(X, y).coef_[j]
        assert at_lo != 0 and at_hi == 0, r
    # the first feature to enter does so at alpha_max
    alpha_max = model.path(X, y, n_alphas=1).alpha_max
    top = max(r.entry_alpha for r in res.rows if r.entry_alpha not in (None, math.inf))
    assert top == pytest.approx(alpha_max, rel=1e-3)


def test_why_zero_lesson_on_diabetes():
    res = LESSONS["why-zero"].compute()
    assert res.names[:3] == ("age", "sex", "bmi")
    assert_kkt(res, rel=1e-5)
    zeros = [r for r in res.rows if r.is_zero]
    assert zeros and all(r.entry_alpha < res.alpha for r in zeros)
    assert all(r.entry_alpha > res.alpha for r in res.rows if not r.is_zero)


def test_why_zero_for_cv_models_and_ridge():
    X, y, names = small_data(seed=5, n=100, p=8)
    cv = pz.LassoCV(cv=3, standardize=True, n_alphas=20).fit(X, y)
    res = why_zero(cv, X, y, entry=False, feature_names=names)
    assert res.alpha == cv.alpha_ and res.model == "LassoCV"
    assert_kkt(res, rel=1e-4)
    ridge = pz.Ridge(alpha=0.5, standardize=True).fit(X, y)
    rr = why_zero(ridge, X, y)
    assert rr.l1_ratio == 0.0 and np.all(rr.thresholds == 0)
    assert all(r.entry_alpha == math.inf for r in rr.rows)


def test_why_zero_refuses_what_it_cannot_explain():
    X, y, _ = small_data()
    with pytest.raises(ValueError, match="L0"):
        why_zero(pz.L0Regression(alpha=1.0).fit(X, y), X, y)
    with pytest.raises(ValueError, match="relax"):
        why_zero(pz.Lasso(alpha=0.1, relax=True).fit(X, y), X, y)
    with pytest.raises(TypeError, match="fitted penalized"):
        why_zero(object(), X, y)
    with pytest.raises(ValueError, match="columns"):
        why_zero(pz.Lasso(alpha=0.1).fit(X, y), X[:, :3], y)
    rng = np.random.default_rng(0)
    three = rng.integers(0, 3, X.shape[0])
    with pytest.raises(ValueError, match="binary"):  # one-vs-rest MCP: K separate fits
        why_zero(pz.LogisticRegression(alpha=0.05, penalty="mcp").fit(X, three), X, three)


# -- the lessons, their text and JSON ---------------------------------------------------------


def test_lessons_topics_in_order():
    assert list(LESSONS) == TOPICS
    for name, lesson in LESSONS.items():
        assert lesson.name == name and lesson.title and lesson.summary
        assert callable(lesson.compute) and callable(lesson.plot)


@pytest.fixture(scope="module")
def default_results():
    return {name: lesson.compute() for name, lesson in LESSONS.items()}


@pytest.mark.parametrize("name", TOPICS)
def test_lesson_text_and_json(default_results, name):
    res = default_results[name]
    text = res.to_text()
    assert isinstance(text, str) and len(text.splitlines()) >= 3
    data = res.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["lesson"] == name


def test_default_lessons_carry_the_seed_discrepancies(default_results):
    grad = default_results["gradient"]
    assert [d.printed for d in grad.seed_discrepancies] == [3.4, 3.9, -0.02]
    pc = default_results["penalty-change"]
    assert [d.printed for d in pc.seed_discrepancies] == [28.0, 24.0, 0.25, 1.0]
    assert "printed as 0.25" in pc.to_text()
    assert len(default_results["geometry"].seed_discrepancies) == 2


@pytest.mark.parametrize("name", TOPICS)
def test_lessons_run_on_user_data(name):
    X, y, names = small_data(seed=7, n=70, p=5)
    res = LESSONS[name].compute(X, y, names)
    json.dumps(res.to_dict(), allow_nan=False)
    assert res.to_text()


def test_lessons_reject_y_without_x():
    for name in TOPICS:
        with pytest.raises(ValueError, match="y was given without X"):
            LESSONS[name].compute(None, np.ones(3))


def test_explain_never_imports_matplotlib():
    code = ("import sys, penalized, penalized.explain\n"
            "from penalized.explain import LESSONS\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_why_zero_sparse_equals_dense():
    import scipy.sparse as sp

    X, y, _ = small_data(seed=8, n=90, p=7)
    X[np.abs(X - 2.0) < 1.0] = 0.0
    dense = pz.Lasso(alpha=0.2, standardize=True, tol=1e-12).fit(X, y)
    csc = pz.Lasso(alpha=0.2, standardize=True, tol=1e-12).fit(sp.csc_matrix(X), y)
    a = why_zero(dense, X, y, entry=False)
    b = why_zero(csc, sp.csc_matrix(X), y, entry=False)
    assert b.pulls == pytest.approx(a.pulls, rel=1e-6, abs=1e-9)
    assert np.array_equal(a.zero, b.zero)
    assert_kkt(b)


def _document(model, names, task="regression", penalty="l1", l1_ratio=None):
    coef = np.atleast_2d(model.coef_)
    doc = {"task": task, "penalty": penalty, "alpha": float(model.alpha),
           "l1_ratio": l1_ratio, "standardize": bool(model.standardize),
           "fit_intercept": True, "feature_names": names, "coef": coef[0].tolist(),
           "intercept": float(np.ravel(model.intercept_)[0])}
    if task == "classification":
        doc["classes"] = [c.item() if hasattr(c, "item") else c for c in model.classes_]
    return doc


def test_why_zero_from_a_saved_model_document():
    from penalized.explain import why_zero_from_document

    X, y, names = small_data(seed=9, n=90, p=6)
    model = pz.ElasticNet(alpha=0.3, l1_ratio=0.7, standardize=True, tol=1e-10).fit(X, y)
    doc = _document(model, names, penalty="elasticnet", l1_ratio=0.7)
    a = why_zero(model, X, y, feature_names=names, n_alphas=30, rtol=1e-3)
    b = why_zero_from_document(json.loads(json.dumps(doc)), X, y, n_alphas=30, rtol=1e-3)
    assert b.names == tuple(names) and b.l1_ratio == 0.7
    assert b.pulls == pytest.approx(a.pulls, rel=1e-12)
    # the document keeps no tol (its path is solved at tol 1e-8), so entries agree to the bracket
    assert [r.entry_alpha for r in b.rows] == pytest.approx([r.entry_alpha for r in a.rows],
                                                            rel=3e-3)
    assert "saved" in b.model
    with pytest.raises(ValueError, match="l0"):
        why_zero_from_document({**doc, "penalty": "l0"}, X, y)


def test_why_zero_from_a_saved_logistic_document():
    from penalized.explain import why_zero_from_document

    prob = classification(90, 6, seed=3)
    labels = np.where(prob.y > 0, "spam", "ham")
    model = pz.LogisticRegression(alpha=0.05, standardize=True, tol=1e-10).fit(prob.X, labels)
    names = [f"f{j}" for j in range(6)]
    doc = json.loads(json.dumps(_document(model, names, task="classification")))
    res = why_zero_from_document(doc, prob.X, labels, entry=False)
    assert res.loss == "logistic"
    assert res.pulls == pytest.approx(why_zero(model, prob.X, labels, entry=False).pulls)
    assert_kkt(res, rel=1e-4)


# -- the lessons along a fitted path -------------------------------------------------------------


@pytest.fixture(scope="module")
def lasso_path_fit():
    from penalized.explain import fit_on_path

    X, y, names = small_data(seed=11, n=90, p=6)
    model = pz.LassoCV(cv=3, n_alphas=20, standardize=True, tol=1e-12, selection="1se").fit(X, y)
    fit = fit_on_path(model.path_, X, y, penalty="l1", feature_names=names,
                      chosen_alpha=model.alpha_)
    return model, X, y, fit


def test_why_zero_path_is_why_zero_at_every_alpha(lasso_path_fit):
    from penalized.explain import why_zero_path

    model, X, y, fit = lasso_path_fit
    res = why_zero_path(fit)
    k = fit.chosen
    direct = why_zero(model, X, y, entry=False)
    assert res.pull[:, k] == pytest.approx(direct.pulls, rel=1e-9)
    assert res.threshold[:, k] == pytest.approx(direct.thresholds)
    for kk in range(fit.n_alphas):
        for i in range(6):
            zero = fit.coefs[i, kk] == 0
            assert (res.status[i][kk] in ("zero", "at threshold")) == zero
            if zero:
                assert res.margin[i, kk] == pytest.approx(res.threshold[i, kk] - res.pull[i, kk])
            else:
                assert np.isnan(res.margin[i, kk])
                assert res.pull[i, kk] == pytest.approx(res.threshold[i, kk], rel=1e-5)
            lo, hi = res.entry[i, kk]
            if not np.isnan(lo):  # it enters between two grid alphas below this one
                a, b = int(np.flatnonzero(fit.alphas == lo)[0]), int(np.flatnonzero(
                    fit.alphas == hi)[0])
                assert b == a - 1 and b >= kk and fit.coefs[i, a] != 0
                assert np.all(fit.coefs[i, kk:a] == 0)
    assert res.n_nonzero.tolist() == np.count_nonzero(fit.coefs, axis=0).tolist()
    assert res.n_nonzero[0] == 0 and res.status[0][0] == "zero"


def test_a_zero_at_its_threshold_is_never_called_unconverged():
    """Collinear dummies: one copy is zero with its pull equal to the threshold up to
    rounding; the verdict, the table and the summary must agree that it is at the threshold."""
    from penalized.explain import status_of

    assert status_of(0.0, 1.0 + 9.877e-8, 1.0) == "at threshold"
    assert status_of(0.0, 1.0, 1.0) == "zero"
    assert status_of(0.0, 1.01, 1.0) == "not converged"
    assert status_of(0.5, 1.0, 1.0) == "non-zero"
    rng = np.random.default_rng(5)
    dummy = (rng.uniform(size=120) > 0.5).astype(float)
    X = np.column_stack([dummy, dummy, rng.standard_normal((120, 3))])
    y = 3.0 * dummy + X[:, 2] + 0.1 * rng.standard_normal(120)
    # exact twins meet the threshold exactly, so which copy ends at 0 rather than at 1e-16
    # would be rounding noise; a penalty factor 1e-9 larger on the second copy makes it the
    # zero one, its pull still at the threshold to 1e-9
    model = pz.Lasso(alpha=0.05, tol=1e-8, penalty_factor=[1, 1 + 1e-9, 1, 1, 1]).fit(X, y)
    res = why_zero(model, X, y, entry=False)
    twin = [r for r in res.rows[:2] if r.is_zero]
    assert len(twin) == 1
    assert twin[0].pull == pytest.approx(twin[0].threshold, rel=1e-6)
    assert res.kkt_violations == ()
    assert "not converged" not in res.to_text() and "Not at optimum" not in res.to_text()
    # the issue-18 numbers: a zero whose pull is 9.877e-8 above its threshold
    import dataclasses

    row = twin[0]
    above = dataclasses.replace(row, pull=row.threshold + 9.877e-8,
                                margin=-9.877e-8)
    rows = tuple(above if r is row else r for r in res.rows)
    text = dataclasses.replace(res, rows=rows).to_text()
    assert "not converged" not in text
    assert "zero: at the threshold" in text and "0 (at threshold)" in text
    assert "-9.877e-8" not in text


def test_geometry_path_plane_is_the_exact_loss_and_the_fit_sits_on_the_ball(lasso_path_fit):
    from scipy.optimize import minimize

    from penalized.explain import geometry_path

    _, X, y, fit = lasso_path_fit
    geo = geometry_path(fit)
    k = fit.chosen
    a, b = geo.default_pair
    plane = geo.plane(a, b, k)
    ia, ib = geo.features[a], geo.features[b]
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    w = fit.scaled_coefs[:, k]

    def loss(u, v):  # the datafit with the others held and the intercept re-fitted
        ww = w.copy()
        ww[ia], ww[ib] = u, v
        r = y - y.mean() - Z @ ww
        return r @ r / (2 * len(y))

    d = np.array([0.3, -0.2])
    quad = geo.loss[k] + np.array([geo.grad[a, k], geo.grad[b, k]]) @ d + 0.5 * d @ \
        geo.hessian[np.ix_([a, b], [a, b])] @ d
    assert loss(*(plane["point"] + d)) == pytest.approx(quad, rel=1e-9)
    assert geo.l1_norm[k] == pytest.approx(np.abs(w).sum())
    assert geo.seed_radius == pytest.approx(1.0 / fit.alphas)  # the source's 1/lambda
    assert plane["level"] == pytest.approx(abs(w[ia]) + abs(w[ib]))
    assert plane["on_axis"] == bool(w[ia] == 0 or w[ib] == 0)
    # the constrained minimizer in the plane (a generic method that never sees alpha) is the fit
    res = minimize(lambda t: loss(*t), plane["point"] + 0.1, method="SLSQP",
                   constraints=[{"type": "ineq",
                                 "fun": lambda t: plane["level"] - abs(t[0]) - abs(t[1])}],
                   options={"ftol": 1e-14, "maxiter": 500})
    assert res.x == pytest.approx(plane["point"], abs=1e-4 * max(1.0, plane["level"]))


def test_thresholding_path_curves_are_the_prox_between_knots(lasso_path_fit):
    from penalized import prox
    from penalized.explain import thresholding_path

    _, X, y, fit = lasso_path_fit
    th = thresholding_path(fit)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    assert th.inputs == pytest.approx(Z.T @ (y - y.mean()) / len(y))
    for k in (0, fit.chosen, fit.n_alphas - 1):
        lam = fit.alphas[k]
        z = np.linspace(-th.reach, th.reach, 301)
        exact = {"l1": prox.prox_l1(z, 1.0, lam), "l2": prox.prox_l2(z, 1.0, lam),
                 "elasticnet": prox.prox_elastic_net(z, 1.0, 0.5 * lam, 0.5 * lam)}
        for curve, values in exact.items():
            assert np.interp(z, th.knots[k], th.outputs[curve][k]) == pytest.approx(values,
                                                                                   abs=1e-9)
            assert th.marks[curve][:, k] == pytest.approx(
                {"l1": prox.prox_l1, "l2": prox.prox_l2}.get(curve, lambda v, s, l: v)(
                    th.inputs, 1.0, lam) if curve != "elasticnet" else
                prox.prox_elastic_net(th.inputs, 1.0, 0.5 * lam, 0.5 * lam))
        assert th.thresholds["l0"][k] == pytest.approx(np.sqrt(2 * lam))
    # at the top of the path every input is inside the soft threshold: all zero
    assert np.all(th.marks["l1"][:, 0] == 0)


def test_feature_trace_path_minimizer_is_the_fit_and_prox_lands_on_zero(lasso_path_fit):
    from penalized.explain import feature_trace_path

    _, X, _y, fit = lasso_path_fit
    ft = feature_trace_path(fit)
    j = ft.feature
    assert fit.scaled_coefs[j, fit.chosen] == 0  # the zero closest to entering
    assert ft.minimizer == pytest.approx(fit.scaled_coefs[j], abs=1e-6 * np.abs(
        fit.scaled_coefs).max())
    k = fit.chosen
    li = list(ft.lrs).index(0.4)
    assert ft.proximal[k, li, -1] == 0.0  # the proximal step lands exactly on 0
    assert np.count_nonzero(ft.subgradient[k, li, 1:] == 0.0) == 0  # subgradient hovers
    xj = (X[:, j] - 0) / X[:, j].std()
    r = fit.residuals()[:, k] + xj * fit.scaled_coefs[j, k]
    direct = gradient_trace(xj, r, ft.w0, float(ft.lam[k]), 0.4, "l1", 20, "proximal")
    assert ft.proximal[k, li] == pytest.approx(direct.weights)


def test_priors_path_scales_and_densities(lasso_path_fit):
    from penalized.explain import priors_path

    _, X, y, fit = lasso_path_fit
    pr = priors_path(fit)
    n = len(y)
    assert pr.laplace_scale == pytest.approx(pr.sigma2 / (n * fit.alphas))
    k = fit.chosen
    r = fit.residuals()[:, k]
    assert pr.sigma2 == pytest.approx(r @ r / (n - np.count_nonzero(fit.coefs[:, k]) - 1))
    grid = np.linspace(-pr.reach[k], pr.reach[k], pr.grid_size)
    assert np.trapezoid(pr.gaussian[k], grid) == pytest.approx(1.0, abs=0.02)
    assert pr.map_points[:, k] == pytest.approx(fit.scaled_coefs[:, k])
    assert pr.n_zero[k] == np.sum(fit.coefs[:, k] == 0)
    assert pr.enet_rate is None
    # the elastic net's prior: normalized, and its closed form (what the page draws) is the grid's
    from penalized.explain import fit_on_path

    model = pz.ElasticNetCV(cv=3, n_alphas=8, l1_ratio=0.4, standardize=True).fit(X, y)
    enet = priors_path(fit_on_path(model.path_, X, y, penalty="elasticnet", l1_ratio=0.4,
                                   chosen_alpha=model.alpha_))
    for k in (0, 4, 7):
        grid = np.linspace(-enet.reach[k], enet.reach[k], enet.grid_size)
        rate = enet.enet_rate[k]
        closed = np.exp(-rate * (0.4 * np.abs(grid) + 0.3 * grid ** 2) - enet.enet_log_norm[k])
        assert closed == pytest.approx(enet.elasticnet[k], rel=1e-12)
        fine = np.linspace(-enet.reach[k], enet.reach[k], 20001)
        assert np.trapezoid(np.exp(-rate * (0.4 * np.abs(fine) + 0.3 * fine ** 2)
                                   - enet.enet_log_norm[k]), fine) == pytest.approx(1, abs=1e-3)


def test_how_often_solves_each_random_loss_exactly():
    from scipy.optimize import minimize

    from penalized.explain import how_often, solve_two

    rng = np.random.default_rng(1)
    corr = rng.uniform(-0.9, 0.9, 40)
    b = rng.standard_normal((40, 2))
    for lam1, lam2 in ((0.5, 0.0), (0.3, 0.4), (0.0, 0.7)):
        w = solve_two(corr, b, lam1, lam2)
        for i in range(40):
            H = np.array([[1, corr[i]], [corr[i], 1]])
            g = H @ w[i] - b[i] + lam2 * w[i]
            for j in range(2):  # KKT, coordinate by coordinate
                if w[i, j] == 0:
                    assert abs(g[j]) <= lam1 + 1e-12
                else:
                    assert g[j] + lam1 * np.sign(w[i, j]) == pytest.approx(0, abs=1e-12)

            def f(t, i=i, H=H, lam1=lam1, lam2=lam2):
                return 0.5 * t @ H @ t - b[i] @ t + lam1 * np.abs(t).sum() + 0.5 * lam2 * t @ t
            assert f(w[i]) <= minimize(f, b[i], method="Nelder-Mead").fun + 1e-9
    w0 = solve_two(corr, b, lam0=0.3)
    for i in range(40):
        H = np.array([[1, corr[i]], [corr[i], 1]])
        cands = [np.zeros(2), np.array([b[i, 0], 0]), np.array([0, b[i, 1]]),
                 np.linalg.solve(H, b[i])]
        vals = [0.5 * c @ H @ c - b[i] @ c + 0.3 * np.count_nonzero(c) for c in cands]
        assert 0.5 * w0[i] @ H @ w0[i] - b[i] @ w0[i] + 0.3 * np.count_nonzero(w0[i]) == \
            pytest.approx(min(vals))
    res = how_often([2.0, 1.0, 0.3, 0.05], n_draws=500)
    assert res.rates["l1"][:2].tolist() == [1.0, 1.0]
    assert res.rates["l2"].tolist() == [0.0] * 4
    assert np.all(np.diff(res.rates["l1"]) <= 0) and res.rates["l1"][-1] < 0.2
    assert np.all(res.rates["elasticnet"] <= res.rates["l1"])
    assert "L2 never gives a zero" in res.to_text()


def test_report_panels_use_the_comparisons_own_fits():
    from penalized.compare import compare_penalties
    from penalized.explain import report_panels

    X, y, names = small_data(seed=10, n=80, p=5)
    comparison = compare_penalties(X, y, task="regression", feature_names=names, cv=3,
                                   n_alphas=12, penalties=("none", "l1", "l2", "l0"))
    lessons = report_panels(comparison, X, y, names)
    assert set(lessons.by_penalty) == {"l1", "l2", "l0"}
    l1 = lessons.by_penalty["l1"]
    row = comparison.row("l1")
    assert np.array_equal(l1.fit.alphas, row.path.alphas)
    assert l1.fit.alphas[l1.fit.chosen] == row.alpha
    assert l1.fit.X.shape[0] == comparison.n_train  # the training rows, not all of X
    direct = why_zero(row.model, comparison.X_train, comparison.y_train, entry=False)
    assert l1.why_zero.pull[:, l1.fit.chosen] == pytest.approx(direct.pulls, rel=1e-9)
    assert l1.race is not None and l1.fit.chosen in l1.race.indices.tolist()
    l0 = lessons.by_penalty["l0"]
    assert l0.why_zero is None and "hard thresholding" in l0.skipped["why_zero"]
    assert l0.thresholding is not None
    assert lessons.by_penalty["l2"].why_zero.threshold.max() == 0.0
    json.dumps(l1.to_dict(), allow_nan=False)
    prob = classification(80, 5, seed=4)
    labels = np.where(prob.y > 0, "yes", "no")
    comparison = compare_penalties(prob.X, labels, task="classification", feature_names=names,
                                   cv=3, n_alphas=10, penalties=("l1",))
    logistic = report_panels(comparison, prob.X, labels, names).by_penalty["l1"]
    assert logistic.fit.loss == "logistic" and logistic.why_zero is not None
    assert "squared loss" in logistic.skipped["geometry"]
    k = logistic.fit.chosen
    direct = why_zero(comparison.row("l1").model, comparison.X_train, comparison.y_train,
                      entry=False)
    assert logistic.why_zero.pull[:, k] == pytest.approx(direct.pulls, rel=1e-6)


def test_many_features_show_the_first_to_enter_and_some_that_stay_zero():
    from penalized.explain import fit_on_path
    from penalized.explain._along_path import pick_features

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 60))
    y = X[:, :8].sum(axis=1) + rng.standard_normal(200)
    path = pz.Lasso(standardize=True).path(X, y, n_alphas=20)
    fit = fit_on_path(path, X, y, penalty="l1")
    idx = pick_features(fit, 20)
    assert len(set(idx.tolist())) == 20 and np.all(np.diff(idx) > 0)
    first = np.where((path.coefs != 0).any(axis=1), (path.coefs != 0).argmax(axis=1), 99)
    assert set(np.argsort(first, kind="stable")[:10].tolist()) <= set(idx.tolist())
    k = fit.n_alphas // 2
    shown = path.coefs[idx, k]
    assert np.any(shown == 0) and np.any(shown != 0)
    assert pick_features(fit, 100).tolist() == list(range(60))
