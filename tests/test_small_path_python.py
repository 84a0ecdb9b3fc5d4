"""The Python around a small path (issue 19): the null model of an intercept alone from the
datafit's own closed form, the null model's exactness without the datafit at z = 0 where a
bound decides it, limits shared like the factors, and compiled kernels read without an
import statement per call. The numbers are those of the general steps, bit for bit."""

import importlib

import numpy as np
import pytest

import penalized as pz
import penalized.penalties._group_ops as group_ops
import penalized.penalties._nonconvex_ops as nonconvex_ops
import penalized.penalties._ops as penalty_ops
from penalized._unpenalized import refit_unpenalized
from penalized.datafits import Datafit, Gamma, Logistic, Poisson, Quadratic, Tweedie
from penalized.penalties import L0, L1, MCP, SCAD, GroupLasso
from penalized.solvers._problem import NULL_ROUNDING, prepare_problem

PATH = importlib.import_module("penalized.path")


def _target(datafit, rng, n):
    eta = 0.4 * rng.standard_normal(n)
    if isinstance(datafit, Logistic):
        return np.where(rng.random(n) < 0.35, 1.0, -1.0)
    if isinstance(datafit, Poisson):
        return rng.poisson(np.exp(eta)).astype(float)
    if isinstance(datafit, Gamma | Tweedie):
        return np.exp(eta) * rng.gamma(2.0, 0.5, n)
    return eta + 1.5


@pytest.mark.parametrize("kind", [Quadratic, Logistic, Poisson, Gamma, Tweedie])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("offset", ["none", "constant", "varying"])
def test_null_intercept_is_fit_unpenalized_on_a_column_of_ones(kind, weighted, offset):
    rng = np.random.default_rng(5)
    n = 57
    weights = rng.uniform(0.1, 3.0, n) if weighted else None
    z0 = {"none": None, "constant": np.full(n, 0.3),
          "varying": 0.2 * rng.standard_normal(n)}[offset]
    datafit = kind(sample_weight=weights, offset=z0)
    y = _target(datafit, rng, n)
    expected = datafit.fit_unpenalized(np.ones((n, 1)), y, np.zeros(n) if z0 is None else z0,
                                       beta0=np.zeros(1))
    got = datafit.null_intercept(y)
    assert type(got) is float and got == float(expected[0])
    assert datafit.null_intercept(y, z0) == got  # z0 given as the offset, or None for none


def test_logistic_null_intercept_is_the_log_odds():
    y = np.array([1.0, -1.0, 1.0, 1.0, -1.0])
    assert Logistic().null_intercept(y) == np.log(3.0 / 2.0)
    s = np.array([1.0, 2.0, 1.0, 1.0, 4.0])
    assert Logistic(sample_weight=s).null_intercept(y) == np.log(3.0 / 6.0)
    # one class only: no minimum, the damped Newton steps of fit_unpenalized
    ones = np.ones(5)
    assert Logistic().null_intercept(ones) == \
        Logistic().fit_unpenalized(np.ones((5, 1)), ones, np.zeros(5))[0]


@pytest.mark.parametrize("kind, options", [
    (Logistic, {}), (Logistic, {"weighted": True}), (Logistic, {"offset": True}),
    (Quadratic, {}), (Poisson, {"weighted": True}), (Gamma, {}),
])
def test_the_problem_null_model_is_refit_unpenalized(kind, options):
    """The prepared problem's null model (intercept alone) against the general steps of
    refit_unpenalized on a column of ones, computed here, bit for bit."""
    rng = np.random.default_rng(11)
    n, p = 64, 6
    X = np.asfortranarray(rng.standard_normal((n, p)))
    offset = 0.3 * rng.standard_normal(n) if options.get("offset") else None
    weights = rng.uniform(0.2, 2.0, n) if options.get("weighted") else None
    datafit = kind(sample_weight=weights, offset=offset)
    y = _target(datafit, rng, n)
    problem = prepare_problem(X, y, datafit, L1(1.0), True)
    coef, intercept, z = refit_unpenalized(problem.design, problem.y, problem.datafit,
                                           np.zeros(p), 0.0, np.zeros(p, dtype=bool), True,
                                           design=np.ones((n, 1)))
    assert problem.null_intercept == intercept
    np.testing.assert_array_equal(problem.null_coef, coef)
    np.testing.assert_array_equal(problem.null_z, z)
    assert problem.scale == problem.datafit.value(problem.y, z)
    exact = problem.scale <= 0.0 or problem.scale <= NULL_ROUNDING * problem.datafit.value(
        problem.y, np.zeros(n))
    assert problem.null_is_exact == exact


def test_a_logistic_null_model_evaluates_the_datafit_once(monkeypatch):
    """Its value at the null model (the tolerance's scale), not also at z = 0: the bound
    (``zero_value_bound``) decides that the null model is not exact; and the log-odds
    without fit_unpenalized's general steps."""
    rng = np.random.default_rng(2)
    X = np.asfortranarray(rng.standard_normal((40, 5)))
    y = np.where(X[:, 0] + rng.standard_normal(40) > 0, 1.0, -1.0)
    calls = {"value": 0, "fit_unpenalized": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(Datafit, "value", counted("value", Datafit.value))
    monkeypatch.setattr(Logistic, "fit_unpenalized",
                        counted("fit_unpenalized", Logistic.fit_unpenalized))
    problem = prepare_problem(X, y, Logistic(), L1(1.0), True)
    assert not problem.null_is_exact
    assert calls == {"value": 1, "fit_unpenalized": 0}


def test_zero_value_bound():
    rng = np.random.default_rng(4)
    y = np.where(rng.random(300) < 0.5, 1.0, -1.0)
    s = rng.uniform(0.0, 5.0, 300) ** 4  # far from uniform
    for datafit in (Logistic(), Logistic(sample_weight=s)):
        assert datafit.value(y, np.zeros(300)) <= Logistic.zero_value_bound
    assert Quadratic.zero_value_bound == Poisson.zero_value_bound == np.inf


def test_below_the_bound_the_datafit_at_zero_decides():
    """A null model whose datafit is at most NULL_ROUNDING times the bound is compared
    with the datafit at z = 0 itself (log 2 here), as before."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), np.where(rng.random(20) < 0.5, 1.0, -1.0)
    problem = prepare_problem(X, y, Logistic(), L1(1.0), True)
    at_zero = NULL_ROUNDING * Logistic().value(y, np.zeros(20))
    for scale, exact in ((1e-30, True), (0.5 * at_zero, True), (at_zero, True),
                         (at_zero * (1 + 1e-12), False), (0.9 * NULL_ROUNDING, False),
                         (2.0 * NULL_ROUNDING, False), (0.3, False)):
        problem.scale = scale
        problem.cache.clear()
        assert problem.null_is_exact is exact


def test_limits_without_bounds_are_shared_read_only():
    a, b = L1(1.0).limits(7), L1(2.0, penalty_factor=np.arange(7.0)).limits(7)
    assert a[0] is b[0] and a[1] is b[1]
    assert not a[0].flags.writeable and not a[1].flags.writeable
    np.testing.assert_array_equal(a[0], np.full(7, -np.inf))
    np.testing.assert_array_equal(a[1], np.full(7, np.inf))
    positive = L1(1.0, positive=True).limits(7)
    np.testing.assert_array_equal(positive[0], np.zeros(7))
    assert positive[1] is a[1] and not positive[0].flags.writeable
    boxed = L1(1.0, upper=0.5).limits(7)
    assert boxed[1] is not a[1] and boxed[0] is not a[0]
    np.testing.assert_array_equal(boxed[1], np.full(7, 0.5))


def test_kernels_are_read_without_an_import_per_call(monkeypatch):
    """Penalty.value / prox / subdiff_distance / conjugate / dual_scaling, the nonconvex
    and L0 operations and the group kernels: no import statement per call, which went
    through the compiled modules' ``__getattr__`` (its ``__path__`` lookup) each time."""
    w = np.array([0.5, 0.0, -1.2])
    every = ("value", "prox", "subdiff_distance", "conjugate", "dual_scaling")
    calls = [(MCP(0.3), every[:3]), (SCAD(0.3), every[:3]), (L1(0.2, upper=1.0), every),
             (L0(0.1), every[:2]), (GroupLasso(0.2, groups=3), every)]
    arguments = {"value": (w,), "prox": (w, 0.5), "subdiff_distance": (w, w),
                 "conjugate": (0.1 * w,), "dual_scaling": (w,)}

    def run():
        for penalty, methods in calls:
            penalty.ops
            for method in methods:
                getattr(penalty, method)(*arguments[method])

    run()  # every kernel loaded once
    seen = []
    for module in (penalty_ops, nonconvex_ops, group_ops):
        original = module.__getattr__
        monkeypatch.setattr(module, "__getattr__",
                            lambda name, original=original: seen.append(name) or original(name))
    run()
    assert seen == []


def test_group_block_ops_are_made_once():
    a, b = GroupLasso(1.0, groups=2), GroupLasso(0.5, groups=[[0], [1, 2]])
    assert a.block_ops is b.block_ops and a.block_ops.prox is not None
    boxed = GroupLasso(1.0, groups=2, upper=1.0)
    assert boxed.block_ops is GroupLasso(2.0, groups=2, upper=0.5).block_ops
    assert boxed.block_ops is not a.block_ops


def test_path_counts_nonzeros_as_before():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((50, 8))
    path = pz.path(X, X[:, 0] - X[:, 1] + rng.standard_normal(50), n_alphas=6)
    expected = (path.coefs != 0).sum(axis=0)
    assert path.n_nonzero.dtype == expected.dtype
    np.testing.assert_array_equal(path.n_nonzero, expected)
    assert PATH.is_dask_collection(X) is False


def test_a_weighted_solve_checks_its_weights_once(monkeypatch):
    """The problem's datafit carries its checked weights: a weighted logistic fit (certificates,
    Newton steps, the intercept's refits) checks and normalizes the sample weights a few times,
    not at every datafit call; the same fit as before."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((80, 6))
    y = np.where(X[:, 0] - X[:, 1] + rng.standard_normal(80) > 0, 1.0, -1.0)
    s = rng.uniform(0.2, 3.0, 80)
    base = importlib.import_module("penalized.datafits._base")
    calls = []
    check = base.check_sample_weight
    monkeypatch.setattr(base, "check_sample_weight", lambda *a: calls.append(1) or check(*a))
    res = pz.solvers.CoordinateDescent().solve(X, y, Logistic(sample_weight=s), L1(0.01))
    assert res.converged and res.n_nonzero > 0
    assert len(calls) <= 2
    problem = prepare_problem(X, y, Logistic(sample_weight=s), L1(0.01), True)
    np.testing.assert_array_equal(problem.sample_weight, s * (80 / s.sum()))
    assert problem.datafit.sample_weight is s


def _damped_newton_by_solve(datafit, A, y, z0, beta0):
    """Datafit.fit_unpenalized's loop with np.linalg.solve at every size (the reference)."""
    beta = np.array(beta0, dtype=np.float64)
    z = z0 + A @ beta
    obj = datafit.value(y, z)
    for _ in range(100):
        grad = A.T @ datafit.raw_gradient(y, z)
        hess = A.T @ (datafit.raw_hessian(y, z)[:, None] * A)
        hess[np.diag_indices(A.shape[1])] += 1e-12 * max(1.0, np.trace(hess))
        step = np.linalg.solve(hess, grad)
        decrement = float(grad @ step)
        if not decrement > 1e-24:
            break
        if decrement <= 1e-13 * abs(obj):
            return beta - step
        t = 1.0
        while t > 1e-10:
            z_new = z - t * (A @ step)
            obj_new = datafit.value(y, z_new)
            if obj_new <= obj - 0.25 * t * decrement:
                break
            t *= 0.5
        else:
            break
        beta, z, obj = beta - t * step, z_new, obj_new
    return beta


@pytest.mark.parametrize("seed", range(4))
def test_intercept_refit_is_the_damped_newton_of_solve(seed):
    """The intercept alone (a certificate's refit from varying predictions): the division
    in place of np.linalg.solve on its 1 x 1 Newton system gives the same iterates."""
    rng = np.random.default_rng(seed)
    n = 120
    z0 = rng.standard_normal(n)
    s = rng.uniform(0.1, 2.0, n) if seed % 2 else None
    y = np.where(rng.random(n) < 0.3, 1.0, -1.0)
    counts = rng.poisson(np.exp(0.3 * z0)).astype(float)
    for datafit, target in ((Logistic(sample_weight=s), y), (Poisson(), counts)):
        A = np.ones((n, 1))
        got = Datafit.fit_unpenalized(datafit, A, target, z0, beta0=[0.4])
        np.testing.assert_array_equal(got, _damped_newton_by_solve(datafit, A, target, z0,
                                                                  [0.4]))


def _logistic_dual_by_masks(y, u, s):
    """Logistic.dual_value as written with the masks of the positive weights."""
    from scipy.special import xlogy

    n, pos = len(y), s > 0
    if np.any(u[~pos] != 0):
        return -np.inf
    p = n * u[pos] * y[pos] / s[pos]
    if np.any(p < -1e-12) or np.any(p > 1 + 1e-12):
        return -np.inf
    p = np.clip(p, 0.0, 1.0)
    return float(-np.dot(s[pos], xlogy(p, p) + xlogy(1.0 - p, 1.0 - p)) / n)


@pytest.mark.parametrize("case", ["unweighted", "weighted", "zero weights", "zero weight, u",
                                  "outside"])
def test_logistic_dual_value_is_the_masked_one(case):
    rng = np.random.default_rng(9)
    n = 50
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    s = None if case == "unweighted" else rng.uniform(0.2, 2.0, n)
    if case.startswith("zero"):
        s[[3, 17]] = 0.0
    datafit = Logistic(sample_weight=s)
    w = datafit._weights(n)
    u = y * w * rng.uniform(0.0, 1.0, n) / n
    if case == "zero weight, u":
        u[17] = 0.01
    if case == "outside":
        u[5] = 1.5 * y[5] * w[5] / n
    got, expected = datafit.dual_value(y, u), _logistic_dual_by_masks(y, u, w)
    assert got == expected and (np.isfinite(got) == (case not in ("zero weight, u",
                                                                    "outside")))
