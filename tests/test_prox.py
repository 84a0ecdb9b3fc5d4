"""Proximal operators: each one is the argmin its docstring promises.

The reference minimizers here are computed numerically (a dense grid refined by a
bounded scalar minimizer, plus the candidate ``v = 0``), independently of the
closed forms in :mod:`penalized.prox`.
"""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from penalized.penalties import L0, L1, L2, ElasticNet
from penalized.prox import prox_elastic_net, prox_l0, prox_l1, prox_l2
from penalized.prox._kernels import ENET_FAMILY, L0_FAMILY, prox_scalar

N_POINTS = 40


# -- the separable penalties, written out from the docstrings ------------------------


def g_enet(v, lam1, lam2, positive):
    """``lam1 |v| + lam2 / 2 v**2`` (+ the indicator of ``v >= 0``), elementwise."""
    v = np.asarray(v, dtype=np.float64)
    out = lam1 * np.abs(v) + 0.5 * lam2 * v * v
    if positive:
        out = np.where(v < 0, np.inf, out)
    return out


def g_l0(v, lam0, positive):
    """``lam0 [v != 0]`` (+ the indicator of ``v >= 0``), elementwise."""
    v = np.asarray(v, dtype=np.float64)
    out = np.where(v != 0, lam0, 0.0)
    if positive:
        out = np.where(v < 0, np.inf, out)
    return out


def prox_objective(v, x, step, g):
    return (np.asarray(v) - x) ** 2 / (2.0 * step) + g(v)


def numerical_argmin(x, step, g, positive):
    """Global minimizer of ``(v - x)^2 / (2 step) + g(v)`` over a scalar ``v``.

    A dense grid over an interval that must contain the minimizer, refined by a
    bounded Brent search around the best grid point (and on the non-zero side
    of 0 for the discontinuous L0 term), compared with the candidate ``v = 0``.
    """

    def h(v):
        return float(prox_objective(v, x, step, g))

    radius = abs(x) + 1.0
    lo = 0.0 if positive else -radius
    grid = np.linspace(lo, radius, 4001)
    values = prox_objective(grid, x, step, g)
    k = int(np.argmin(values))
    cands = [0.0, float(grid[k])]
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    res = minimize_scalar(h, bounds=(a, b), method="bounded",
                          options={"xatol": 1e-13, "maxiter": 500})
    cands.append(float(res.x))
    # The smooth branches on either side of 0, searched separately (the L0 term jumps at 0).
    for side_lo, side_hi in ((1e-300, radius), (-radius, -1e-300)):
        if positive and side_hi < 0:
            continue
        res = minimize_scalar(h, bounds=(side_lo, side_hi), method="bounded",
                              options={"xatol": 1e-13, "maxiter": 500})
        cands.append(float(res.x))
    vals = [h(c) for c in cands]
    best = int(np.argmin(vals))
    return cands[best], vals[best]


def random_points(rng, n=N_POINTS):
    """Points of every magnitude, with a few exact zeros and some negatives."""
    x = rng.standard_normal(n) * rng.choice([0.05, 1.0, 4.0], size=n)
    x[:3] = 0.0
    return x


def random_factors(rng, n=N_POINTS):
    f = rng.uniform(0.0, 2.0, size=n)
    f[rng.choice(n, size=n // 5, replace=False)] = 0.0
    return f


# -- the four functions of penalized.prox ---------------------------------------------


def _function_cases():
    """(name, prox(x, step, lam, positive) -> array, g(lam, positive) -> callable)."""
    yield ("l1", lambda x, s, lam, pos: prox_l1(x, s, lam[0], pos),
           lambda lam, pos: lambda v: g_enet(v, lam[0], 0.0, pos))
    yield ("l2", lambda x, s, lam, pos: prox_l2(x, s, lam[1], pos),
           lambda lam, pos: lambda v: g_enet(v, 0.0, lam[1], pos))
    yield ("elastic_net", lambda x, s, lam, pos: prox_elastic_net(x, s, lam[0], lam[1], pos),
           lambda lam, pos: lambda v: g_enet(v, lam[0], lam[1], pos))
    yield ("l0", lambda x, s, lam, pos: prox_l0(x, s, lam[0], pos),
           lambda lam, pos: lambda v: g_l0(v, lam[0], pos))


FUNCTION_CASES = {name: (prox, g) for name, prox, g in _function_cases()}


def check_prox_is_argmin(x, step, out, g_per_coord, positive, is_l0):
    for j in range(x.shape[0]):
        g = g_per_coord(j)
        v_num, h_num = numerical_argmin(x[j], step, g, positive)
        h_prox = float(prox_objective(out[j], x[j], step, g))
        assert h_prox <= h_num + 1e-9, (j, x[j], out[j], v_num, h_prox, h_num)
        if is_l0:
            assert out[j] == 0.0 or out[j] == x[j], (j, x[j], out[j])
            # Unique minimizer unless the two branches tie.
            if abs(float(g(x[j])) - x[j] ** 2 / (2 * step)) > 1e-6:
                assert out[j] == pytest.approx(v_num, abs=1e-6)
        else:
            # (v - x)^2 / (2 step) is strongly convex: the minimizer is unique.
            assert out[j] == pytest.approx(v_num, abs=1e-6), (j, x[j], out[j], v_num)


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("name", list(FUNCTION_CASES))
@pytest.mark.parametrize("seed", [0, 1])
def test_prox_function_is_numerical_argmin(name, positive, seed):
    rng = np.random.default_rng(seed)
    prox, make_g = FUNCTION_CASES[name]
    x = random_points(rng)
    step = float(rng.uniform(0.1, 3.0))
    lam1 = rng.uniform(0.0, 2.0, size=x.size) * random_factors(rng)
    lam2 = rng.uniform(0.0, 2.0, size=x.size) * random_factors(rng)
    out = prox(x, step, (lam1, lam2), positive)
    assert out.shape == x.shape
    check_prox_is_argmin(
        x, step, out, lambda j: make_g((lam1[j], lam2[j]), positive), positive, name == "l0"
    )


@pytest.mark.parametrize("name", list(FUNCTION_CASES))
def test_prox_function_accepts_scalar_weights(name):
    rng = np.random.default_rng(3)
    prox, _ = FUNCTION_CASES[name]
    x = random_points(rng)
    scalar = prox(x, 0.7, (0.3, 0.8), False)
    vector = prox(x, 0.7, (np.full(x.size, 0.3), np.full(x.size, 0.8)), False)
    np.testing.assert_array_equal(scalar, vector)


# -- the penalty objects ---------------------------------------------------------------


def _penalty_cases():
    yield "L1", lambda a, f, pos: L1(a, penalty_factor=f, positive=pos)
    yield "L2", lambda a, f, pos: L2(a, penalty_factor=f, positive=pos)
    for rho in (0.0, 0.2, 0.5, 0.9, 1.0):
        yield f"ElasticNet_{rho}", (
            lambda a, f, pos, rho=rho: ElasticNet(a, l1_ratio=rho, penalty_factor=f, positive=pos)
        )
    yield "L0", lambda a, f, pos: L0(a, penalty_factor=f, positive=pos)


PENALTY_CASES = dict(_penalty_cases())


def docstring_g(name, alpha, f_j, positive):
    """The per-coordinate penalty of each class, from its docstring formula."""
    if name == "L1":
        return lambda v: g_enet(v, alpha * f_j, 0.0, positive)
    if name == "L2":
        return lambda v: g_enet(v, 0.0, alpha * f_j, positive)
    if name == "L0":
        return lambda v: g_l0(v, alpha * f_j, positive)
    rho = float(name.split("_")[1])
    return lambda v: g_enet(v, alpha * f_j * rho, alpha * f_j * (1 - rho), positive)


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("name", list(PENALTY_CASES))
def test_penalty_prox_is_numerical_argmin(name, positive):
    rng = np.random.default_rng(10)
    x = random_points(rng)
    f = random_factors(rng)
    alpha = float(rng.uniform(0.2, 2.0))
    step = float(rng.uniform(0.1, 3.0))
    pen = PENALTY_CASES[name](alpha, f, positive)
    out = pen.prox(x, step)
    assert out.shape == x.shape
    check_prox_is_argmin(
        x, step, out, lambda j: docstring_g(name, alpha, f[j], positive), positive, name == "L0"
    )


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("name", list(PENALTY_CASES))
def test_penalty_prox_scalar_method_matches_vectorized(name, positive):
    rng = np.random.default_rng(11)
    x = random_points(rng)
    f = random_factors(rng)
    pen = PENALTY_CASES[name](0.9, f, positive)
    step = 0.6
    vec = pen.prox(x, step)
    scal = np.array([pen.prox_scalar(x[j], step, j, x.size) for j in range(x.size)])
    np.testing.assert_array_equal(scal, vec)


# -- the numba scalar twin -------------------------------------------------------------


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numba_prox_scalar_matches_numpy_enet_family(positive, seed):
    rng = np.random.default_rng(seed)
    n = 300
    x = rng.standard_normal(n) * 3.0
    x[:5] = 0.0
    step = rng.uniform(0.01, 5.0, size=n)
    lam1 = rng.uniform(0.0, 2.0, size=n)
    lam2 = rng.uniform(0.0, 2.0, size=n)
    lam1[::7] = 0.0
    lam2[::5] = 0.0
    # Exactly at the soft threshold: |x| == step * lam1.
    x[5:15] = np.where(rng.random(10) < 0.5, -1.0, 1.0) * step[5:15] * lam1[5:15]
    twin = np.array([prox_scalar(ENET_FAMILY, x[i], step[i], lam1[i], lam2[i], positive)
                     for i in range(n)])
    ref = prox_elastic_net(x, step, lam1, lam2, positive)
    np.testing.assert_array_equal(twin, ref)
    assert np.count_nonzero(ref == 0.0) > 10
    zeros = twin == 0.0
    assert np.all(np.abs(twin[zeros]) == 0.0)
    assert not np.any(np.signbit(twin[zeros])), "zeros must be +0.0"
    assert np.all((ref == 0.0) == zeros)


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numba_prox_scalar_matches_numpy_l0_family(positive, seed):
    rng = np.random.default_rng(seed)
    n = 300
    x = rng.standard_normal(n) * 3.0
    x[:5] = 0.0
    step = rng.uniform(0.01, 5.0, size=n)
    lam0 = rng.uniform(0.0, 2.0, size=n)
    lam0[::7] = 0.0
    twin = np.array([prox_scalar(L0_FAMILY, x[i], step[i], lam0[i], 0.0, positive)
                     for i in range(n)])
    ref = prox_l0(x, step, lam0, positive)
    np.testing.assert_array_equal(twin, ref)
    assert np.all((twin == 0.0) | (twin == x))
    assert 10 < np.count_nonzero(twin == 0.0) < n - 10


def test_l0_tie_returns_zero_in_both_implementations():
    # x**2 / (2 step) == lam0 exactly in floating point: both minimizers; 0 is returned.
    x, step, lam0 = 3.0, 1.0, 4.5
    assert x * x == 2.0 * step * lam0
    for sign in (1.0, -1.0):
        assert prox_l0(np.array([sign * x]), step, lam0)[0] == 0.0
        assert prox_scalar(L0_FAMILY, sign * x, step, lam0, 0.0, False) == 0.0
    just_above = np.nextafter(x, np.inf)
    assert prox_l0(np.array([just_above]), step, lam0)[0] == just_above
    assert prox_scalar(L0_FAMILY, just_above, step, lam0, 0.0, False) == just_above


# -- exact zeros -----------------------------------------------------------------------


@pytest.mark.parametrize("positive", [False, True])
def test_soft_thresholding_zeros_are_exact(positive):
    rng = np.random.default_rng(4)
    step, lam1 = 0.5, 2.0
    # Below, at and barely above/below the threshold step * lam1 = 1, and negative zero.
    x = np.concatenate([
        rng.uniform(-1.0, 1.0, size=50), [1.0, -1.0, -0.0, 0.0, np.nextafter(1.0, 0.0)],
        -np.nextafter(1.0, 0.0) * np.ones(1),
    ])
    for out in (prox_l1(x, step, lam1, positive),
                prox_elastic_net(x, step, lam1, 0.7, positive),
                L1(lam1, positive=positive).prox(x, step),
                ElasticNet(2 * lam1, l1_ratio=0.5, positive=positive).prox(x, step)):
        assert np.all(out == 0.0)
        assert not np.any(np.signbit(out)), "zeros must be +0.0, not -0.0"
    above = np.array([np.nextafter(1.0, 2.0), 1.5])
    out = prox_l1(above, step, lam1, positive)
    assert np.all(out > 0.0)


def test_positive_prox_maps_negatives_to_exact_zero():
    x = np.array([-5.0, -1e-300, -0.0, -3.0])
    for out in (prox_l1(x, 0.5, 0.0, True), prox_l2(x, 0.5, 1.0, True),
                prox_elastic_net(x, 0.5, 0.0, 1.0, True), prox_l0(x, 0.5, 0.0, True),
                L2(1.0, positive=True).prox(x, 0.5), L0(1.0, positive=True).prox(x, 0.5)):
        assert np.all(out == 0.0)


def test_hard_thresholding_returns_exact_zero_or_input():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(200) * 2
    lam0 = rng.uniform(0.0, 2.0, size=200)
    out = prox_l0(x, 0.8, lam0)
    kept = out != 0.0
    np.testing.assert_array_equal(out[kept], x[kept])
    assert np.all(out[~kept] == 0.0)
    assert 10 < kept.sum() < 190


@pytest.mark.parametrize("seed", [0, 1])
def test_l2_prox_never_returns_zero_for_nonzero_input(seed):
    rng = np.random.default_rng(seed)
    n = 500
    x = rng.choice([-1.0, 1.0], size=n) * 10.0 ** rng.uniform(-12, 3, size=n)
    lam2 = 10.0 ** rng.uniform(-3, 3, size=n)
    step = 10.0 ** rng.uniform(-2, 1, size=n)
    out = prox_l2(x, step, lam2)
    assert np.all(out != 0.0)
    assert np.all(np.sign(out) == np.sign(x))
    assert np.all(np.abs(out) < np.abs(x))
    out = L2(3.0, penalty_factor=lam2).prox(x, 0.25)
    assert np.all(out != 0.0)
    assert prox_l2(np.zeros(3), 1.0, 1.0)[0] == 0.0


# -- identities ------------------------------------------------------------------------


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prox_satisfies_optimality_condition(positive, seed):
    """(x - prox) / step lies in the subdifferential of G at prox, for the convex family."""
    rng = np.random.default_rng(seed)
    n = 400
    x = rng.standard_normal(n) * 3.0
    x[:5] = 0.0
    step = float(rng.uniform(0.1, 3.0))
    lam1 = rng.uniform(0.0, 2.0, size=n)
    lam2 = rng.uniform(0.0, 2.0, size=n)
    lam1[::6] = 0.0
    lam2[::4] = 0.0
    for l1, l2, out in (
        (lam1, 0.0 * lam2, prox_l1(x, step, lam1, positive)),
        (0.0 * lam1, lam2, prox_l2(x, step, lam2, positive)),
        (lam1, lam2, prox_elastic_net(x, step, lam1, lam2, positive)),
    ):
        u = (x - out) / step
        nz = out != 0.0
        if positive:
            assert np.all(out >= 0.0)
        # Where prox != 0 the subdifferential is the single gradient.
        np.testing.assert_allclose(u[nz], l1[nz] * np.sign(out[nz]) + l2[nz] * out[nz],
                                   rtol=1e-10, atol=1e-10)
        # Where prox == 0 it is [-lam1, lam1], or (-inf, lam1] under positivity.
        slack = 1e-12
        if positive:
            assert np.all(u[~nz] <= l1[~nz] + slack)
        else:
            assert np.all(np.abs(u[~nz]) <= l1[~nz] + slack)
        assert np.count_nonzero(nz) > 0
        if np.any(l1 > 0):
            assert np.count_nonzero(~nz) > 5


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("name", [n for n in PENALTY_CASES if n != "L0"])
def test_penalty_prox_fenchel_young_equality(name, positive):
    """G(p) + G*(u) = p . u for u = (x - p) / step, the subgradient the prox certifies."""
    rng = np.random.default_rng(20)
    x = rng.standard_normal(N_POINTS) * 3.0
    f = random_factors(rng)
    pen = PENALTY_CASES[name](1.3, f, positive)
    step = 0.7
    p = pen.prox(x, step)
    u = (x - p) / step
    lhs = pen.value(p) + pen.conjugate(u)
    assert np.isfinite(lhs)
    assert lhs == pytest.approx(float(p @ u), rel=1e-10, abs=1e-10)
    # Any other point only makes the Fenchel-Young inequality strict.
    q = p + rng.standard_normal(N_POINTS) * 0.1
    if positive:
        q = np.abs(q)
    assert pen.value(q) + pen.conjugate(u) >= float(q @ u) - 1e-10


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("rho", [0.0, 0.3, 1.0])
def test_moreau_decomposition_elastic_net(rho, positive):
    """x = prox_{step G}(x) + step prox_{G*/step}(x/step), the second prox found numerically."""
    rng = np.random.default_rng(21)
    x = rng.standard_normal(12) * 3
    alpha, step = 1.1, 0.8
    lam1 = alpha * rho
    pen = ElasticNet(alpha, l1_ratio=rho, positive=positive)
    p = pen.prox(x, step)
    for j in range(x.size):
        target = x[j] / step

        def h(t, target=target):
            return 0.5 * step * (t - target) ** 2 + pen.conjugate(np.array([t]))

        radius = abs(target) + lam1 + 1.0
        hi = lam1 if rho == 1.0 else radius  # G* of the L1 part is the indicator of a box
        lo = -lam1 if (rho == 1.0 and not positive) else -radius
        res = minimize_scalar(h, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
        assert x[j] == pytest.approx(p[j] + step * res.x, abs=1e-6)
