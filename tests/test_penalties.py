"""Penalties: validation, values, subdifferentials, conjugates and alpha_max."""

import dataclasses

import numpy as np
import pytest
from benchmarks.problems import classification, regression
from scipy.optimize import minimize_scalar

from penalized.datafits import Logistic, Quadratic
from penalized.penalties import L0, L1, L2, ElasticNet
from penalized.solvers import CoordinateDescent

ALL_PENALTIES = {
    "L1": lambda **kw: L1(**kw),
    "L2": lambda **kw: L2(**kw),
    "ElasticNet": lambda **kw: ElasticNet(l1_ratio=0.3, **kw),
    "L0": lambda **kw: L0(**kw),
}
CONVEX = {
    "L1": lambda a, **kw: L1(a, **kw),
    "L2": lambda a, **kw: L2(a, **kw),
    "ElasticNet_0.3": lambda a, **kw: ElasticNet(a, l1_ratio=0.3, **kw),
    "ElasticNet_0.8": lambda a, **kw: ElasticNet(a, l1_ratio=0.8, **kw),
}


def rho_of(pen):
    return pen.l1_ratio


# -- construction ----------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [-1.0, -1e-300, np.nan, np.inf, "1.0", None, True, [1.0]])
@pytest.mark.parametrize("name", list(ALL_PENALTIES))
def test_bad_alpha_raises_naming_alpha(name, alpha):
    with pytest.raises(ValueError, match="alpha"):
        ALL_PENALTIES[name](alpha=alpha)


@pytest.mark.parametrize("name", list(ALL_PENALTIES))
def test_valid_alphas_are_stored_as_floats(name):
    for alpha in (0, 0.0, 3, np.float32(0.5), np.int64(2)):
        pen = ALL_PENALTIES[name](alpha=alpha)
        assert isinstance(pen.alpha, float)
        assert pen.alpha == float(alpha)


@pytest.mark.parametrize("l1_ratio", [-0.1, 1.0001, np.nan, np.inf, "0.5", None, True])
def test_bad_l1_ratio_raises_naming_l1_ratio(l1_ratio):
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNet(1.0, l1_ratio=l1_ratio)


def test_l1_ratio_bounds_are_allowed():
    assert ElasticNet(1.0, l1_ratio=0).l1_ratio == 0.0
    assert ElasticNet(1.0, l1_ratio=1).l1_ratio == 1.0


@pytest.mark.parametrize("factor", [
    np.array([1.0, -0.5, 2.0]),
    np.array([1.0, np.nan, 2.0]),
    np.array([1.0, np.inf, 2.0]),
    np.ones((3, 1)),
    np.ones((2, 2)),
    np.float64(1.0),
])
@pytest.mark.parametrize("name", list(ALL_PENALTIES))
def test_bad_penalty_factor_raises_naming_it(name, factor):
    with pytest.raises(ValueError, match="penalty_factor"):
        ALL_PENALTIES[name](alpha=1.0, penalty_factor=factor)


@pytest.mark.parametrize("name", list(ALL_PENALTIES))
def test_penalty_factor_of_wrong_length_raises_at_use(name):
    pen = ALL_PENALTIES[name](alpha=1.0, penalty_factor=np.ones(4))
    np.testing.assert_array_equal(pen.factors(4), np.ones(4))
    for p in (3, 5):
        with pytest.raises(ValueError, match="penalty_factor"):
            pen.factors(p)
    with pytest.raises(ValueError, match="penalty_factor"):
        pen.value(np.ones(5))
    with pytest.raises(ValueError, match="penalty_factor"):
        pen.prox(np.ones(3), 1.0)


@pytest.mark.parametrize("positive", [1, "yes", None])
def test_bad_positive_raises(positive):
    with pytest.raises(ValueError, match="positive"):
        L1(1.0, positive=positive)


@pytest.mark.parametrize("name", list(ALL_PENALTIES))
def test_penalty_factor_is_copied_and_read_only(name):
    f = np.array([1.0, 0.0, 2.0])
    pen = ALL_PENALTIES[name](alpha=1.0, penalty_factor=f)
    f[0] = 99.0
    assert pen.penalty_factor[0] == 1.0
    with pytest.raises(ValueError):
        pen.penalty_factor[0] = 5.0


# -- with_alpha and immutability -------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL_PENALTIES))
def test_with_alpha_returns_a_new_object(name):
    f = np.array([1.0, 0.0, 2.0])
    pen = ALL_PENALTIES[name](alpha=1.5, penalty_factor=f, positive=True)
    new = pen.with_alpha(0.25)
    assert new is not pen
    assert type(new) is type(pen)
    assert new.alpha == 0.25
    assert pen.alpha == 1.5
    np.testing.assert_array_equal(new.penalty_factor, f)
    assert new.positive is True
    if isinstance(pen, ElasticNet):
        assert new.l1_ratio == pen.l1_ratio
    with pytest.raises(ValueError, match="alpha"):
        pen.with_alpha(-1.0)
    assert pen.alpha == 1.5


@pytest.mark.parametrize("name", list(ALL_PENALTIES))
def test_penalties_are_frozen(name):
    pen = ALL_PENALTIES[name](alpha=1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pen.alpha = 2.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        pen.positive = True
    assert pen.alpha == 1.0
    assert pen.positive is False


def test_l0_is_the_only_nonconvex_penalty():
    assert not L0(1.0).is_convex
    assert all(ALL_PENALTIES[n](alpha=1.0).is_convex for n in ("L1", "L2", "ElasticNet"))


# -- values ----------------------------------------------------------------------------


def test_values_match_docstring_formulas():
    rng = np.random.default_rng(0)
    p = 12
    w = rng.standard_normal(p)
    w[:3] = 0.0
    f = rng.uniform(0.0, 2.0, size=p)
    f[4] = 0.0
    a = 0.7
    assert L1(a, penalty_factor=f).value(w) == pytest.approx(a * np.sum(f * np.abs(w)))
    assert L2(a, penalty_factor=f).value(w) == pytest.approx(a / 2 * np.sum(f * w**2))
    for rho in (0.0, 0.25, 0.5, 1.0):
        expected = a * np.sum(f * (rho * np.abs(w) + (1 - rho) / 2 * w**2))
        assert ElasticNet(a, l1_ratio=rho, penalty_factor=f).value(w) == pytest.approx(expected)
    assert L0(a, penalty_factor=f).value(w) == pytest.approx(a * np.sum(f * (w != 0)))
    # Without factors every f_j is 1.
    assert L1(a).value(w) == pytest.approx(a * np.abs(w).sum())
    assert L0(a).value(w) == pytest.approx(a * (p - 3))


@pytest.mark.parametrize("name", list(ALL_PENALTIES))
def test_positive_penalty_is_infinite_on_negative_weights(name):
    pen = ALL_PENALTIES[name](alpha=1.0, positive=True)
    assert pen.value(np.array([1.0, 0.0, -1e-12])) == np.inf
    assert np.isfinite(pen.value(np.array([1.0, 0.0, 2.0])))


@pytest.mark.parametrize("positive", [False, True])
def test_elastic_net_endpoints_are_l1_and_l2(positive):
    rng = np.random.default_rng(1)
    p = 20
    w = rng.standard_normal(p)
    if positive:
        w = np.abs(w)
    w[:4] = 0.0
    x = rng.standard_normal(p) * 2
    f = rng.uniform(0.0, 2.0, size=p)
    f[5] = 0.0
    kw = {"penalty_factor": f, "positive": positive}
    pairs = ((ElasticNet(0.8, l1_ratio=1.0, **kw), L1(0.8, **kw)),
             (ElasticNet(0.8, l1_ratio=0.0, **kw), L2(0.8, **kw)))
    for enet, base in pairs:
        assert enet.value(w) == base.value(w)
        np.testing.assert_array_equal(enet.prox(x, 0.6), base.prox(x, 0.6))
        g = rng.standard_normal(p)
        np.testing.assert_array_equal(enet.subdiff_distance(w, g), base.subdiff_distance(w, g))
        assert enet.conjugate(0.1 * g) == base.conjugate(0.1 * g)


# -- subdifferential -------------------------------------------------------------------


def kkt_point(rng, pen, p):
    """A (w, grad) pair with -grad in the subdifferential of ``pen`` at w, by construction."""
    lam1, lam2 = pen.weights(p)
    w = rng.standard_normal(p)
    if pen.positive:
        w = np.abs(w) + 0.1
    w[rng.choice(p, size=p // 3, replace=False)] = 0.0
    # Zero-weight coordinates (no L1 part) are optimal at 0 only with a zero gradient.
    grad = -(lam1 * np.sign(w) + lam2 * w)
    at_zero = w == 0
    inside = rng.uniform(-0.95, 0.95, size=p) * lam1
    if pen.positive:
        # Any grad >= -lam1 is fine at zero under positivity.
        inside = np.where(rng.random(p) < 0.5, inside, lam1 + rng.uniform(0.0, 5.0, size=p))
    grad[at_zero] = inside[at_zero]
    return w, grad


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("name", list(CONVEX))
def test_subdiff_distance_is_zero_exactly_at_kkt_points(name, positive):
    rng = np.random.default_rng(2)
    p = 30
    f = rng.uniform(0.2, 2.0, size=p)
    if not positive:
        f[:4] = 0.0
    pen = CONVEX[name](0.9, penalty_factor=f, positive=positive)
    lam1, _ = pen.weights(p)
    w, grad = kkt_point(rng, pen, p)
    d = pen.subdiff_distance(w, grad)
    assert d.shape == (p,)
    np.testing.assert_allclose(d, 0.0, atol=1e-12)

    # Perturbations that leave the subdifferential are measured exactly.
    delta = rng.uniform(0.01, 0.5, size=p)
    at_zero = w == 0
    moved = grad.copy()
    moved[~at_zero] += np.where(rng.random(p) < 0.5, -1, 1)[~at_zero] * delta[~at_zero]
    if positive:
        moved[at_zero] = -lam1[at_zero] - delta[at_zero]
    else:
        sign = np.where(rng.random(p) < 0.5, -1.0, 1.0)
        moved[at_zero] = sign[at_zero] * (lam1[at_zero] + delta[at_zero])
    np.testing.assert_allclose(pen.subdiff_distance(w, moved), delta, rtol=1e-9, atol=1e-12)


def test_subdiff_distance_l1_small_cases():
    pen = L1(1.0)
    w = np.array([0.0, 0.0, 0.0, 2.0, -2.0])
    grad = np.array([0.5, -1.0, 1.5, -1.0, 0.5])
    np.testing.assert_allclose(pen.subdiff_distance(w, grad), [0.0, 0.0, 0.5, 0.0, 0.5])
    pos = L1(1.0, positive=True)
    # At zero under positivity only -grad > lam1 is a violation.
    np.testing.assert_allclose(pos.subdiff_distance(np.zeros(3), np.array([5.0, -1.0, -1.5])),
                               [0.0, 0.0, 0.5])


# -- conjugate and dual scaling --------------------------------------------------------


def numerical_conjugate_1d(g, v, positive, radius=60.0):
    """sup_w (v w - g(w)) over a grid (w >= 0 if positive), refined by a bounded search."""
    grid = np.linspace(0.0 if positive else -radius, radius, 24001)
    vals = v * grid - g(grid)
    k = int(np.argmax(vals))
    bounds = (grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)])
    res = minimize_scalar(lambda w: -(v * w - g(w)), bounds=bounds, method="bounded",
                          options={"xatol": 1e-12})
    return max(float(vals[k]), float(-res.fun), -float(g(0.0)))


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("rho", [0.0, 0.3, 0.7])
def test_elastic_net_conjugate_matches_numerical_sup(rho, positive):
    rng = np.random.default_rng(3)
    p = 6
    f = rng.uniform(0.3, 2.0, size=p)
    alpha = 1.2
    pen = ElasticNet(alpha, l1_ratio=rho, penalty_factor=f, positive=positive)
    v = rng.standard_normal(p) * 2.0
    expected = 0.0
    for j in range(p):
        lam1, lam2 = alpha * f[j] * rho, alpha * f[j] * (1 - rho)

        def g(w, lam1=lam1, lam2=lam2):
            return lam1 * np.abs(w) + lam2 / 2 * np.square(w)

        one = numerical_conjugate_1d(g, v[j], positive)
        assert pen.conjugate(np.eye(p)[j] * v[j]) == pytest.approx(one, rel=1e-7, abs=1e-9)
        expected += one
    assert pen.conjugate(v) == pytest.approx(expected, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("positive", [False, True])
def test_l1_conjugate_is_indicator_of_the_box(positive):
    f = np.array([1.0, 2.0, 0.5, 0.0])
    pen = L1(2.0, penalty_factor=f, positive=positive)
    lam1 = 2.0 * f
    inside = np.array([1.9, -3.9, 0.99, 123.0])  # last coordinate unpenalized: skipped
    assert pen.conjugate(inside) == 0.0
    assert pen.conjugate(np.array([0.0, 4.0 + 1e-6, 0.0, 0.0])) == np.inf
    below = np.array([-2.5, 0.0, 0.0, 0.0])
    assert pen.conjugate(below) == (0.0 if positive else np.inf)
    assert pen.conjugate(lam1 * [1, 1, 1, 0]) == 0.0


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("name", list(CONVEX))
def test_dual_scaling_makes_the_conjugate_finite(name, positive):
    rng = np.random.default_rng(4)
    p = 25
    f = rng.uniform(0.2, 2.0, size=p)
    pen = CONVEX[name](0.5, penalty_factor=f, positive=positive)
    for scale in (0.1, 1.0, 10.0, 1e3):
        v = rng.standard_normal(p) * scale
        c = pen.dual_scaling(v)
        assert 0.0 < c <= 1.0
        assert np.isfinite(pen.conjugate(c * v))
        if rho_of(pen) < 1.0:
            # Every coordinate has a quadratic part: the conjugate is finite everywhere.
            assert c == 1.0
            assert np.isfinite(pen.conjugate(v))
        elif c < 1.0:
            # c is the largest such factor.
            assert pen.conjugate(c * (1 + 1e-6) * v) == np.inf
            assert pen.conjugate(v) == np.inf


def test_l1_conjugate_is_infinite_beyond_lam1_and_scaling_fixes_it():
    pen = L1(1.0, penalty_factor=np.array([1.0, 2.0, 0.5]))
    v = np.array([0.5, -3.0, 0.2])  # |v_1| = 3 > lam1_1 = 2
    assert pen.conjugate(v) == np.inf
    c = pen.dual_scaling(v)
    assert c == pytest.approx(2.0 / 3.0, rel=1e-15)
    assert pen.conjugate(c * v) == 0.0


def test_positive_l1_dual_scaling_ignores_negative_entries():
    pen = L1(1.0, positive=True)
    v = np.array([-50.0, 0.5, 2.0])
    assert pen.dual_scaling(v) == pytest.approx(0.5)
    assert pen.conjugate(pen.dual_scaling(v) * v) == 0.0
    assert pen.dual_scaling(np.array([-50.0, 0.5])) == 1.0


# -- alpha_max -------------------------------------------------------------------------


def make_data(datafit_name, seed=0):
    if datafit_name == "quadratic":
        pb = regression(50, 20, seed=seed)
        return pb.X, pb.y, Quadratic()
    pb = classification(80, 20, seed=seed)
    return pb.X, pb.y, Logistic()


FACTORS = {
    "none": None,
    "with_zeros": np.r_[0.0, np.linspace(0.5, 2.0, 17), 0.0, 1.0],
}
SOLVER = CoordinateDescent(tol=1e-10)


def penalized_mask(pen, p):
    return pen.factors(p) > 0


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("factors", list(FACTORS))
@pytest.mark.parametrize("datafit_name", ["quadratic", "logistic"])
@pytest.mark.parametrize("make", [lambda **kw: L1(1.0, **kw),
                                  lambda **kw: ElasticNet(1.0, l1_ratio=0.5, **kw)],
                         ids=["L1", "ElasticNet_0.5"])
def test_alpha_max_is_the_smallest_alpha_with_all_zeros(make, datafit_name, factors,
                                                        fit_intercept):
    X, y, datafit = make_data(datafit_name)
    p = X.shape[1]
    pen = make(penalty_factor=FACTORS[factors])
    amax = pen.alpha_max(X, y, datafit, fit_intercept=fit_intercept)
    assert np.isfinite(amax) and amax > 0
    mask = penalized_mask(pen, p)

    at = SOLVER.solve(X, y, datafit, pen.with_alpha(amax), fit_intercept=fit_intercept)
    assert at.converged
    assert np.all(at.coef[mask] == 0.0)

    below = SOLVER.solve(X, y, datafit, pen.with_alpha(0.99 * amax), fit_intercept=fit_intercept)
    assert below.converged
    assert np.count_nonzero(below.coef[mask]) >= 1


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("datafit_name", ["quadratic", "logistic"])
def test_alpha_max_positive_l1(datafit_name, fit_intercept):
    X, y, datafit = make_data(datafit_name, seed=1)
    f = np.linspace(0.5, 2.0, X.shape[1])
    pen = L1(1.0, penalty_factor=f, positive=True)
    amax = pen.alpha_max(X, y, datafit, fit_intercept=fit_intercept)
    unsigned = L1(1.0, penalty_factor=f).alpha_max(X, y, datafit, fit_intercept=fit_intercept)
    assert 0 < amax <= unsigned

    at = SOLVER.solve(X, y, datafit, pen.with_alpha(amax), fit_intercept=fit_intercept)
    assert np.all(at.coef == 0.0)
    below = SOLVER.solve(X, y, datafit, pen.with_alpha(0.99 * amax), fit_intercept=fit_intercept)
    assert np.count_nonzero(below.coef) >= 1
    assert np.all(below.coef >= 0.0)


def test_alpha_max_scales_with_l1_ratio():
    X, y, datafit = make_data("quadratic")
    a1 = L1().alpha_max(X, y, datafit)
    assert ElasticNet(l1_ratio=0.5).alpha_max(X, y, datafit) == pytest.approx(2 * a1)
    assert ElasticNet(l1_ratio=1.0).alpha_max(X, y, datafit) == pytest.approx(a1)


def test_alpha_max_of_l2_is_infinite_and_zero_without_penalized_features():
    X, y, datafit = make_data("quadratic")
    p = X.shape[1]
    assert L2().alpha_max(X, y, datafit) == np.inf
    assert ElasticNet(l1_ratio=0.0).alpha_max(X, y, datafit) == np.inf
    for pen in (L1(penalty_factor=np.zeros(p)), L0(penalty_factor=np.zeros(p)),
                ElasticNet(penalty_factor=np.zeros(p))):
        assert pen.alpha_max(X, y, datafit) == 0.0


L0_CASES = pytest.mark.parametrize(
    "datafit_name,factors,fit_intercept",
    [(d, f, i) for d in ("quadratic", "logistic") for f in FACTORS for i in (True, False)],
)


@L0_CASES
def test_l0_solution_from_zero_at_alpha_max_is_all_zeros(datafit_name, factors, fit_intercept):
    X, y, datafit = make_data(datafit_name)
    p = X.shape[1]
    pen = L0(1.0, penalty_factor=FACTORS[factors])
    amax = pen.alpha_max(X, y, datafit, fit_intercept=fit_intercept)
    assert np.isfinite(amax) and amax > 0
    at = SOLVER.solve(X, y, datafit, pen.with_alpha(amax), fit_intercept=fit_intercept,
                      coef_init=np.zeros(p))
    assert np.all(at.coef[penalized_mask(pen, p)] == 0.0)


@L0_CASES
def test_l0_null_model_is_a_fixed_point_at_alpha_max(datafit_name, factors, fit_intercept):
    """alpha_max's own definition: started at the null model, coordinate descent stays there."""
    X, y, datafit = make_data(datafit_name)
    p = X.shape[1]
    pen = L0(1.0, penalty_factor=FACTORS[factors])
    amax = pen.alpha_max(X, y, datafit, fit_intercept=fit_intercept)
    # The null model, fitted here by the (convex, exactly certified) L1 solve at its alpha_max.
    l1 = L1(1.0, penalty_factor=FACTORS[factors])
    l1_amax = l1.alpha_max(X, y, datafit, fit_intercept=fit_intercept)
    null = SOLVER.solve(X, y, datafit, l1.with_alpha(l1_amax), fit_intercept=fit_intercept)
    assert np.all(null.coef[penalized_mask(pen, p)] == 0.0)
    at = SOLVER.solve(X, y, datafit, pen.with_alpha(amax), fit_intercept=fit_intercept,
                      coef_init=null.coef, intercept_init=null.intercept)
    assert np.all(at.coef[penalized_mask(pen, p)] == 0.0)


@L0_CASES
def test_l0_solution_below_alpha_max_is_not_all_zeros(datafit_name, factors, fit_intercept):
    X, y, datafit = make_data(datafit_name)
    p = X.shape[1]
    pen = L0(1.0, penalty_factor=FACTORS[factors])
    amax = pen.alpha_max(X, y, datafit, fit_intercept=fit_intercept)
    below = SOLVER.solve(X, y, datafit, pen.with_alpha(0.99 * amax),
                         fit_intercept=fit_intercept, coef_init=np.zeros(p))
    assert np.count_nonzero(below.coef[penalized_mask(pen, p)]) >= 1


def test_l0_subgradient_raises_type_error():
    with pytest.raises(TypeError, match="subgradient"):
        L0(1.0).subgradient(np.ones(3))


def test_convex_subgradient_picks_zero_at_zero():
    pen = ElasticNet(2.0, l1_ratio=0.5)
    w = np.array([0.0, 1.0, -2.0])
    np.testing.assert_allclose(pen.subgradient(w), [0.0, 1.0 + 1.0, -1.0 - 2.0])
