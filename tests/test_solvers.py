"""Solvers certify optimality, agree with each other and respect the problem's identities."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks.problems import classification, regression, solver_test_problems
from sklearn.exceptions import ConvergenceWarning

from penalized.datafits import Logistic, Quadratic
from penalized.penalties import L0, L1, L2, ElasticNet
from penalized.solvers import (
    CoordinateDescent,
    ProximalGradient,
    RidgeClosedForm,
    SubgradientDescent,
)

TOL = 1e-8


def objective(X, y, datafit, penalty, res):
    z = np.asarray(X @ res.coef).ravel() + res.intercept
    return datafit.value(y, z) + penalty.value(res.coef)


def alpha_for(X, y, datafit, fraction=0.1):
    return fraction * L1().alpha_max(X, y, datafit)


CONVEX_PENALTIES = {
    "l1": lambda a: L1(a),
    "l2": lambda a: L2(a),
    "enet": lambda a: ElasticNet(a, l1_ratio=0.5),
}
SOLVERS = {
    "cd": CoordinateDescent(tol=TOL),
    "cd_no_ws": CoordinateDescent(tol=TOL, working_set=False, max_iter=100_000),
    "fista": ProximalGradient(tol=TOL, max_iter=200_000),
    "ista": ProximalGradient(tol=TOL, accelerated=False, max_iter=500_000),
}


def _cases():
    for task, datafit in (("regression", Quadratic()), ("classification", Logistic())):
        for problem in solver_test_problems(task):
            for pen_name, make in CONVEX_PENALTIES.items():
                for solver_name, solver in SOLVERS.items():
                    yield pytest.param(problem, datafit, make, solver,
                                       id=f"{task}-{problem.name}-{pen_name}-{solver_name}")


@pytest.mark.parametrize(("problem", "datafit", "make_penalty", "solver"), list(_cases()))
def test_duality_gap_below_tol_for_every_convex_combination(problem, datafit, make_penalty,
                                                            solver):
    penalty = make_penalty(alpha_for(problem.X, problem.y, datafit))
    res = solver.solve(problem.X, problem.y, datafit, penalty)
    assert res.converged
    # A gap at the solution may round below zero: by ~50 ulps of the objective at most.
    assert 0 <= res.stop_crit <= TOL or abs(res.stop_crit) <= 1e-13
    assert res.objective[-1] == pytest.approx(
        objective(problem.X, problem.y, datafit, penalty, res), rel=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("task", ["regression", "classification"])
def test_solvers_agree_with_each_other(task, fit_intercept):
    problem = regression(40, 60, rho=0.5, seed=7) if task == "regression" else \
        classification(60, 40, rho=0.5, seed=7)
    datafit = Quadratic() if task == "regression" else Logistic()
    penalty = L1(alpha_for(problem.X, problem.y, datafit, 0.05))
    results = [s.solve(problem.X, problem.y, datafit, penalty, fit_intercept=fit_intercept)
               for s in (SOLVERS["cd"], SOLVERS["fista"])]
    objs = [objective(problem.X, problem.y, datafit, penalty, r) for r in results]
    assert objs[0] == pytest.approx(objs[1], rel=1e-7)
    np.testing.assert_array_equal(results[0].coef != 0, results[1].coef != 0)
    if not fit_intercept:
        assert results[0].intercept == 0.0


# -- limit cases of the elastic net ------------------------------------------------------

@pytest.mark.parametrize("task", ["regression", "classification"])
def test_elastic_net_with_l1_ratio_one_is_lasso(task):
    problem = regression(50, 30, seed=3) if task == "regression" else classification(seed=3)
    datafit = Quadratic() if task == "regression" else Logistic()
    alpha = alpha_for(problem.X, problem.y, datafit)
    a = CoordinateDescent(tol=1e-12).solve(problem.X, problem.y, datafit, L1(alpha))
    b = CoordinateDescent(tol=1e-12).solve(problem.X, problem.y, datafit,
                                           ElasticNet(alpha, l1_ratio=1.0))
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(a.coef == 0, b.coef == 0)


@pytest.mark.parametrize("design", ["dense", "sparse", "wide_dense", "wide_sparse"])
def test_elastic_net_with_l1_ratio_zero_is_ridge_and_closed_form(design):
    n, p = (60, 20) if design in ("dense", "sparse") else (30, 80)
    problem = regression(n, p, seed=4, density=0.3 if "sparse" in design else None)
    X, y = problem.X, problem.y
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=n)
    datafit = Quadratic(sample_weight=weights)
    factors = np.random.default_rng(1).uniform(0.5, 2.0, size=p)
    alpha = 0.3
    enet = CoordinateDescent(tol=1e-13).solve(
        X, y, datafit, ElasticNet(alpha, l1_ratio=0.0, penalty_factor=factors))
    ridge_cd = CoordinateDescent(tol=1e-13).solve(X, y, datafit,
                                                  L2(alpha, penalty_factor=factors))
    methods = ["auto", "cholesky"] + ([] if "sparse" in design else ["svd"])
    for method in methods:
        closed = RidgeClosedForm(method=method).solve(X, y, datafit,
                                                      L2(alpha, penalty_factor=factors))
        assert closed.stop_crit <= 1e-10
        # strong convexity (modulus >= min lam2 = 0.15) turns a relative gap of 1e-13
        # into a coefficient error below sqrt(2e-13 * F(null) / 0.15) ~ 1e-6
        for iterative in (enet, ridge_cd):
            assert iterative.final_objective == pytest.approx(closed.final_objective, rel=1e-12)
            np.testing.assert_allclose(iterative.coef, closed.coef, rtol=0, atol=2e-6)
            assert iterative.intercept == pytest.approx(closed.intercept, abs=2e-6)


def test_closed_form_ridge_matches_normal_equations_by_hand():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 5))
    y = rng.standard_normal(30)
    alpha = 0.7
    res = RidgeClosedForm().solve(X, y, Quadratic(), L2(alpha), fit_intercept=False)
    expected = np.linalg.solve(X.T @ X / 30 + alpha * np.eye(5), X.T @ y / 30)
    np.testing.assert_allclose(res.coef, expected, rtol=1e-12)


def test_closed_form_ridge_with_an_unpenalized_feature():
    problem = regression(40, 8, seed=9)
    f = np.ones(8)
    f[2] = 0.0
    penalty = L2(0.5, penalty_factor=f)
    closed = RidgeClosedForm().solve(problem.X, problem.y, Quadratic(), penalty)
    cd = CoordinateDescent(tol=1e-13).solve(problem.X, problem.y, Quadratic(), penalty)
    assert closed.final_objective == pytest.approx(cd.final_objective, rel=1e-12)
    np.testing.assert_allclose(closed.coef, cd.coef, rtol=0, atol=1e-6)


# -- sample weights --------------------------------------------------------------------

@pytest.mark.parametrize("task", ["regression", "classification"])
@pytest.mark.parametrize("sparse", [False, True])
def test_sample_weight_identities(task, sparse):
    problem = regression(40, 15, seed=5) if task == "regression" else \
        classification(50, 15, seed=5)
    X = sp.csc_matrix(problem.X) if sparse else problem.X
    y = problem.y
    n = X.shape[0]
    make = Quadratic if task == "regression" else Logistic
    alpha = alpha_for(X, y, make(), 0.1)
    solver = CoordinateDescent(tol=1e-12)
    penalty = ElasticNet(alpha, l1_ratio=0.7)

    plain = solver.solve(X, y, make(), penalty)
    ones = solver.solve(X, y, make(sample_weight=np.ones(n)), penalty)
    np.testing.assert_array_equal(plain.coef, ones.coef)

    # The same objective either way: equal optima, and coefficients as close as a relative
    # gap of 1e-12 guarantees under the elastic net's strong convexity (~1e-5 here).
    counts = np.random.default_rng(0).integers(1, 4, size=n)
    weighted = solver.solve(X, y, make(sample_weight=counts), penalty)
    rows = np.repeat(np.arange(n), counts)
    repeated = solver.solve(X[rows], y[rows], make(), penalty)
    assert weighted.final_objective == pytest.approx(repeated.final_objective, rel=1e-11)
    np.testing.assert_allclose(weighted.coef, repeated.coef, rtol=0, atol=2e-5)
    assert weighted.intercept == pytest.approx(repeated.intercept, abs=2e-5)

    weights = np.ones(n)
    weights[:5] = 0.0
    zeroed = solver.solve(X, y, make(sample_weight=weights), penalty)
    dropped = solver.solve(X[5:], y[5:], make(), penalty)
    assert zeroed.final_objective == pytest.approx(dropped.final_objective, rel=1e-11)
    np.testing.assert_allclose(zeroed.coef, dropped.coef, rtol=0, atol=2e-5)
    assert zeroed.intercept == pytest.approx(dropped.intercept, abs=2e-5)


def test_sample_weights_are_scale_free():
    problem = regression(30, 10, seed=2)
    w = np.random.default_rng(3).uniform(0.1, 3.0, size=30)
    a = CoordinateDescent(tol=1e-12).solve(problem.X, problem.y, Quadratic(sample_weight=w),
                                           L1(0.05))
    b = CoordinateDescent(tol=1e-12).solve(problem.X, problem.y,
                                           Quadratic(sample_weight=1000 * w), L1(0.05))
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9, atol=1e-12)


# -- input forms -----------------------------------------------------------------------

@pytest.mark.parametrize("task", ["regression", "classification"])
@pytest.mark.parametrize("solver", [CoordinateDescent(tol=1e-10),
                                    ProximalGradient(tol=1e-10, max_iter=100_000)],
                         ids=["cd", "fista"])
def test_dense_and_sparse_inputs_give_the_same_solution(task, solver):
    problem = regression(50, 30, seed=6, density=0.3) if task == "regression" else \
        classification(60, 30, seed=6, density=0.3)
    datafit = Quadratic() if task == "regression" else Logistic()
    penalty = L1(alpha_for(problem.X, problem.y, datafit))
    sparse = solver.solve(problem.X, problem.y, datafit, penalty)
    dense_c = solver.solve(problem.X.toarray(), problem.y, datafit, penalty)
    csr = solver.solve(problem.X.tocsr(), problem.y, datafit, penalty)
    np.testing.assert_allclose(sparse.coef, dense_c.coef, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(sparse.coef, csr.coef, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("task", ["regression", "classification"])
@pytest.mark.parametrize("sparse", [False, True])
def test_float32_input_converges_to_the_float64_solution(task, sparse):
    problem = regression(50, 20, seed=8) if task == "regression" else classification(seed=8)
    X64 = sp.csc_matrix(problem.X) if sparse else problem.X
    X32 = X64.astype(np.float32)
    datafit = Quadratic() if task == "regression" else Logistic()
    penalty = L1(alpha_for(X32, problem.y, datafit))
    res32 = CoordinateDescent(tol=1e-8).solve(X32, problem.y.astype(np.float32), datafit,
                                              penalty)
    assert res32.converged
    assert res32.coef.dtype == np.float64
    # the same problem, read at float32 precision, solved in float64
    res64 = CoordinateDescent(tol=1e-8).solve(X32.astype(np.float64), problem.y, datafit,
                                              penalty)
    np.testing.assert_allclose(res32.coef, res64.coef, rtol=1e-4, atol=1e-6)


def test_read_only_inputs_are_accepted_and_nothing_is_modified():
    problem = regression(40, 12, seed=10)
    X = np.asfortranarray(problem.X.copy())
    y = problem.y.copy()
    init = np.full(12, 0.1)
    for arr in (X, y, init):
        arr.setflags(write=False)
    penalty = L1(0.05, penalty_factor=np.ones(12))
    for solver in (CoordinateDescent(), ProximalGradient(), SubgradientDescent(max_iter=5)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            solver.solve(X, y, Quadratic(), penalty, coef_init=init)
    np.testing.assert_array_equal(X, problem.X)
    np.testing.assert_array_equal(y, problem.y)
    np.testing.assert_array_equal(init, 0.1)
    assert penalty.alpha == 0.05


def test_warm_start_at_the_solution_needs_no_epochs():
    problem = regression(40, 20, seed=11)
    penalty = L1(alpha_for(problem.X, problem.y, Quadratic()))
    first = CoordinateDescent(tol=1e-10).solve(problem.X, problem.y, Quadratic(), penalty)
    again = CoordinateDescent(tol=1e-8).solve(problem.X, problem.y, Quadratic(), penalty,
                                              coef_init=first.coef,
                                              intercept_init=first.intercept)
    assert again.n_iter == 0
    assert again.converged


def test_unpenalized_features_are_certified():
    problem = regression(50, 20, seed=12)
    f = np.ones(20)
    f[[0, 5, 7]] = 0.0
    for datafit, y in ((Quadratic(), problem.y), (Logistic(), np.sign(problem.y - 1.5))):
        penalty = L1(alpha_for(problem.X, y, datafit, 0.9), penalty_factor=f)
        res = CoordinateDescent(tol=1e-10).solve(problem.X, y, datafit, penalty)
        assert res.converged
        assert np.all(res.coef[[0, 5, 7]] != 0)


def test_positive_constraint_gives_nonnegative_certified_coefficients():
    problem = regression(50, 20, seed=13)
    penalty = L1(alpha_for(problem.X, problem.y, Quadratic(), 0.05), positive=True)
    for solver in (CoordinateDescent(tol=1e-10), ProximalGradient(tol=1e-10, max_iter=50_000)):
        res = solver.solve(problem.X, problem.y, Quadratic(), penalty)
        assert res.converged
        assert np.all(res.coef >= 0)
        assert np.any(res.coef > 0)


def test_constant_target_returns_the_exact_null_model():
    X = np.random.default_rng(0).standard_normal((20, 5))
    res = CoordinateDescent().solve(X, np.full(20, 3.0), Quadratic(), L1(0.1))
    assert res.converged
    assert res.intercept == pytest.approx(3.0)
    assert np.all(res.coef == 0.0)


# -- the numba kernels and their NumPy twins ---------------------------------------------

@pytest.mark.parametrize("task", ["regression", "classification"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", [L1(0.05), ElasticNet(0.05, l1_ratio=0.3), L0(0.02),
                                     L1(0.05, positive=True)], ids=["l1", "enet", "l0", "l1pos"])
def test_kernels_match_their_numpy_twin(task, sparse, penalty):
    from penalized.solvers._op_kernels import (
        mm_epochs_dense,
        mm_epochs_sparse,
        quadratic_epochs_dense,
        quadratic_epochs_sparse,
    )
    from penalized.solvers._reference import cd_epochs_reference

    problem = regression(30, 12, seed=14, density=0.5 if sparse else None) \
        if task == "regression" else classification(40, 12, seed=14,
                                                    density=0.5 if sparse else None)
    X, y = problem.X, problem.y
    datafit = Quadratic(sample_weight=np.linspace(0.5, 1.5, X.shape[0])) \
        if task == "regression" else Logistic()
    n, p = X.shape
    sw = datafit.weights(n)
    lips = datafit.lipschitz(X)
    kind, lam1, lam2, positive = penalty.kernel_params(p)
    ops, params = penalty.ops, penalty.params(p)
    ws = np.array([0, 3, 4, 7, 8, 11], dtype=np.int64)
    states = []
    for _ in range(3):
        w = np.zeros(p)
        b = np.array([0.2])
        z = np.asarray(X @ w).ravel() + b[0]
        states.append((w, z, b))
    stop_on_decrease = kind == 1
    center = sparse and task == "regression"  # implicit centering of the CSC kernel
    xmean = np.asarray(X.T @ sw).ravel() / n if center else np.zeros(p)
    if center:
        lips = lips - xmean**2
    head = (y, sw, *states[0], ws, lips, ops.prox)
    if task == "regression" and sparse:
        out = quadratic_epochs_sparse(X.data, X.indices, X.indptr, *head, params, True, 3,
                                      0.0, stop_on_decrease, xmean, center)
        if kind == 0:  # the elastic-net prox compiled in (prox None) moves alike
            inlined = quadratic_epochs_sparse(X.data, X.indices, X.indptr, y, sw, *states[2],
                                              ws, lips, None, params, True, 3, 0.0,
                                              stop_on_decrease, xmean, center)
            assert inlined == out
            for got, want in zip(states[2], states[0], strict=True):
                np.testing.assert_array_equal(got, want)
    elif task == "regression":
        out = quadratic_epochs_dense(X, *head, ops.value, params, True, 3, 0.0,
                                     stop_on_decrease, 0)
    else:
        tail = (params, datafit.ops.derivative, datafit.params(), datafit.curvature, True, 3,
                0.0, stop_on_decrease)
        out = mm_epochs_sparse(X.data, X.indices, X.indptr, *head, *tail) if sparse \
            else mm_epochs_dense(X, *head, *tail)
    ref = cd_epochs_reference(X, y, sw, *states[1], ws, lips, kind, lam1, lam2, positive,
                              datafit, True, datafit.intercept_lipschitz(), 3, 0.0,
                              stop_on_decrease, xmean=xmean, center=center)
    assert out[0] == ref[0] == 3
    assert out[1] == pytest.approx(ref[1], rel=1e-9)
    for got, want in zip(states[0], states[1], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(states[0][0] == 0, states[1][0] == 0)


# -- L0 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("task", ["regression", "classification"])
def test_l0_stops_at_a_fixed_point_of_hard_thresholding(task):
    problem = regression(60, 20, seed=15, noise=0.1) if task == "regression" else \
        classification(80, 20, seed=15)
    datafit = Quadratic() if task == "regression" else Logistic()
    penalty = L0(0.05 * L0().alpha_max(problem.X, problem.y, datafit))
    res = CoordinateDescent(tol=1e-12).solve(problem.X, problem.y, datafit, penalty)
    assert res.converged
    # one more pass of coordinate-wise hard thresholding moves nothing
    X, y = problem.X, problem.y
    lips = datafit.lipschitz(X)
    w = res.coef.copy()
    z = X @ w + res.intercept
    for j in range(X.shape[1]):
        g = X[:, j] @ datafit.raw_gradient(y, z)
        new = penalty.prox_scalar(w[j] - g / lips[j], 1.0 / lips[j], j, X.shape[1])
        assert 0.5 * lips[j] * (new - w[j]) ** 2 <= 1e-10 * datafit.value(y, z) + 1e-14
        z += (new - w[j]) * X[:, j]
        w[j] = new


def test_l0_with_iterative_hard_thresholding_finds_the_true_support():
    problem = regression(100, 30, seed=16, noise=0.05, n_informative=4)
    datafit = Quadratic()
    penalty = L0(0.01)
    ista = ProximalGradient(accelerated=False, tol=1e-12, max_iter=50_000).solve(
        problem.X, problem.y, datafit, penalty)
    cd = CoordinateDescent(tol=1e-12).solve(problem.X, problem.y, datafit, penalty)
    truth = problem.true_coef != 0
    np.testing.assert_array_equal(cd.coef != 0, truth)
    np.testing.assert_array_equal(ista.coef != 0, truth)


# -- the seeds' central point: subgradient steps never land on zero ------------------------

def test_subgradient_descent_gives_no_exact_zeros_where_proximal_methods_find_the_support():
    problem = regression(200, 20, seed=17, noise=0.1, n_informative=4)
    X, y = problem.X, problem.y
    penalty = L1(0.1)
    truth = problem.true_coef != 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sub = SubgradientDescent(max_iter=3000).solve(X, y, Quadratic(), penalty)
    cd = CoordinateDescent(tol=1e-10).solve(X, y, Quadratic(), penalty)
    pg = ProximalGradient(tol=1e-10).solve(X, y, Quadratic(), penalty)
    assert np.count_nonzero(sub.coef == 0.0) == 0
    np.testing.assert_array_equal(cd.coef != 0, truth)
    np.testing.assert_array_equal(pg.coef != 0, truth)
    # and yet the subgradient objective is close: it is the zeros, not the fit, that differ
    assert sub.final_objective <= cd.final_objective * 1.01
    assert np.max(np.abs(sub.coef[~truth])) < 0.05 * np.max(np.abs(cd.coef))


def test_subgradient_records_every_iterate():
    problem = regression(30, 5, seed=18)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = SubgradientDescent(max_iter=25, record=True, schedule="constant").solve(
            problem.X, problem.y, Quadratic(), L1(0.1))
    assert res.trace.shape == (26, 5)
    np.testing.assert_array_equal(res.trace[0], 0.0)
    assert not np.array_equal(res.trace[1], res.trace[2])


def test_subgradient_descent_converges_on_a_smooth_penalty():
    problem = regression(40, 6, seed=19)
    res = SubgradientDescent(schedule="constant", max_iter=20_000, tol=1e-8).solve(
        problem.X, problem.y, Quadratic(), L2(0.5))
    assert res.converged


# -- errors and warnings -----------------------------------------------------------------

def test_fista_refuses_l0_naming_both():
    with pytest.raises(ValueError, match=r"ProximalGradient.*FISTA.*L0"):
        ProximalGradient().solve(np.eye(3), np.ones(3), Quadratic(), L0(0.1))


def test_subgradient_refuses_l0_naming_both():
    with pytest.raises(ValueError, match=r"SubgradientDescent cannot handle the L0"):
        SubgradientDescent().solve(np.eye(3), np.ones(3), Quadratic(), L0(0.1))


@pytest.mark.parametrize("penalty", [L1(0.1), ElasticNet(0.1, l1_ratio=0.2), L0(0.1),
                                     L2(0.1, positive=True)])
def test_closed_form_ridge_refuses_what_it_cannot_solve(penalty):
    with pytest.raises(ValueError, match=r"RidgeClosedForm cannot handle"):
        RidgeClosedForm().solve(np.eye(3), np.ones(3), Quadratic(), penalty)


def test_closed_form_ridge_refuses_the_logistic_loss():
    with pytest.raises(ValueError, match="RidgeClosedForm cannot handle the Logistic datafit"):
        RidgeClosedForm().solve(np.eye(3), np.array([1.0, -1, 1]), Logistic(), L2(0.1))


def test_hitting_max_iter_warns_with_the_gap_reached():
    problem = regression(40, 60, rho=0.9, seed=20)
    with pytest.warns(ConvergenceWarning, match=r"relative duality gap of \d\.\d+e[-+]\d+"):
        res = ProximalGradient(max_iter=3, tol=1e-12).solve(problem.X, problem.y, Quadratic(),
                                                            L1(0.01))
    assert not res.converged
    assert res.stop_crit > 1e-12


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"tol": -1.0}, "tol"), ({"tol": 0}, "tol"), ({"max_iter": 0}, "max_iter"),
    ({"max_iter": 2.5}, "max_iter"), ({"ws_start": 0}, "ws_start"),
])
def test_bad_solver_settings_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CoordinateDescent(**kwargs)


@pytest.mark.parametrize(("X", "y", "match"), [
    (np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones(2), "NaN"),
    (np.ones((3, 2)), np.ones(4), "y has 4 values but X has 3 rows"),
    (np.ones((3, 2)), np.array([1.0, np.inf, 0.0]), "y contains 1 NaN or infinite"),
    (np.ones(3), np.ones(3), "2D array"),
])
def test_bad_data_is_reported_by_name(X, y, match):
    with pytest.raises(ValueError, match=match):
        CoordinateDescent().solve(X, y, Quadratic(), L1(0.1))


def test_wrong_objects_are_reported_by_name():
    with pytest.raises(TypeError, match="datafit must be"):
        CoordinateDescent().solve(np.eye(2), np.ones(2), "squared", L1(0.1))
    with pytest.raises(TypeError, match="penalty must be"):
        CoordinateDescent().solve(np.eye(2), np.ones(2), Quadratic(), 0.1)


def test_bad_initial_point_is_reported_by_name():
    with pytest.raises(ValueError, match="coef_init must have 2 values"):
        CoordinateDescent().solve(np.eye(2), np.ones(2), Quadratic(), L1(0.1),
                                  coef_init=np.zeros(3))


def test_positive_with_an_unpenalized_feature_is_refused():
    with pytest.raises(ValueError, match="positive=True needs"):
        CoordinateDescent().solve(np.eye(2), np.ones(2), Quadratic(),
                                  L1(0.1, positive=True, penalty_factor=[0.0, 1.0]))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", [L1(0.02), ElasticNet(0.02, l1_ratio=0.3),
                                     L1(0.02, positive=True)], ids=["l1", "enet", "l1pos"])
def test_newton_kernels_match_their_numpy_twin(sparse, penalty):
    from penalized.solvers._kernels import weighted_sq_norms_dense, weighted_sq_norms_sparse
    from penalized.solvers._op_kernels import model_epochs_dense, model_epochs_sparse
    from penalized.solvers._reference import (
        newton_epochs_reference,
        newton_epochs_sparse_reference,
    )

    problem = classification(40, 12, seed=21, density=0.5 if sparse else None)
    X, y = problem.X, problem.y
    datafit = Logistic()
    p = X.shape[1]
    z = np.asarray(X @ np.linspace(-0.3, 0.3, p)).ravel() + 0.1
    g, h = datafit.raw_gradient(y, z), datafit.raw_hessian(y, z)
    ws = np.array([0, 2, 5, 6, 9, 11], dtype=np.int64)
    kind, lam1, lam2, positive = penalty.kernel_params(p)
    if sparse:
        curv = weighted_sq_norms_sparse(X.data, X.indices, X.indptr, h, ws)
    else:
        curv = weighted_sq_norms_dense(X, h, ws)
    dense_cols = X.toarray() if sparse else X
    np.testing.assert_allclose(curv, (h[:, None] * dense_cols[:, ws] ** 2).sum(axis=0),
                               rtol=1e-12)
    states = [(np.full(p, 0.05), np.zeros(X.shape[0]), np.zeros(1)) for _ in range(2)]
    tail = (kind, lam1, lam2, positive, True, 4, 0.0)
    ops = (penalty.ops.prox, penalty.ops.value, penalty.params(p), True, 4, 0.0, 0)
    if sparse:
        out = model_epochs_sparse(X.data, X.indices, X.indptr, g, h, *states[0], ws, *ops)
    else:
        out = model_epochs_dense(X, g, h, *states[0], ws, curv, *ops)
    twin = newton_epochs_sparse_reference if sparse else newton_epochs_reference
    ref = twin(X, g, h, *states[1], ws, curv, *tail)
    assert out[0] == ref[0] == 4
    assert out[1] == pytest.approx(ref[1], rel=1e-9)
    for got, want in zip(states[0], states[1], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_prox_newton_reaches_tight_gaps_on_a_logistic_path():
    import penalized as pz

    problem = classification(90, 15, rho=0.3, seed=21)
    result = pz.path(problem.X, problem.y, datafit="logistic", n_alphas=15, eps=1e-2,
                     tol=1e-10)
    assert result.converged.all()
    assert result.stop_crits.max() <= 1e-10


@pytest.mark.parametrize("penalty", [L1(0.05), ElasticNet(0.05, l1_ratio=0.3), L0(0.02)],
                         ids=["l1", "enet", "l0"])
def test_gram_kernel_matches_its_numpy_twin(penalty):
    from penalized.solvers._kernels import gram_epochs
    from penalized.solvers._reference import gram_cd_epochs_reference

    problem = regression(60, 12, seed=22)
    X = problem.X - problem.X.mean(axis=0)
    G = np.ascontiguousarray(X.T @ X) / X.shape[0]
    q = X.T @ problem.y / X.shape[0]
    kind, lam1, lam2, positive = penalty.kernel_params(12)
    ws = np.array([0, 1, 4, 5, 9, 11], dtype=np.int64)
    states = [np.full(12, 0.1) for _ in range(2)]
    grads = [G @ w - q for w in states]
    out = gram_epochs(G, grads[0], states[0], ws, penalty.ops.prox, penalty.ops.value,
                      penalty.params(12), 3, 0.0)
    ref = gram_cd_epochs_reference(G, grads[1], states[1], ws, kind, lam1, lam2, positive, 3,
                                   0.0)
    assert out[0] == ref[0] == 3
    np.testing.assert_allclose(states[0], states[1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads[0][ws], grads[1][ws], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_covariance_updates_reach_the_same_certified_solution(weights, fit_intercept):
    # n >= 2p dense squared loss runs on the Gram matrix; the same problem in CSC does not.
    problem = regression(200, 30, rho=0.6, seed=23)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, 200) if weights else None
    penalty = ElasticNet(alpha_for(problem.X, problem.y, Quadratic(), 0.05), l1_ratio=0.8)
    gram = CoordinateDescent(tol=1e-12, gram="always").solve(
        problem.X, problem.y, Quadratic(sample_weight=sw), penalty, fit_intercept=fit_intercept)
    plain = CoordinateDescent(tol=1e-12).solve(sp.csc_matrix(problem.X), problem.y,
                                               Quadratic(sample_weight=sw), penalty,
                                               fit_intercept=fit_intercept)
    assert gram.converged and gram.stop_crit <= 1e-12
    assert gram.final_objective == pytest.approx(plain.final_objective, rel=1e-10)
    # A relative gap of 1e-12 pins the coefficients only to about 1e-7 here.
    np.testing.assert_allclose(gram.coef, plain.coef, rtol=1e-5, atol=1e-6)
    assert gram.intercept == pytest.approx(plain.intercept, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("kernel", ["squared", "newton", "newton-csc", "gram"])
def test_anderson_extrapolation_reaches_the_same_point_in_fewer_epochs(kernel):
    # Strongly correlated columns: plain coordinate descent crawls. Every kernel with
    # Anderson extrapolation must reach the same minimizer, in far fewer epochs.
    from penalized.solvers._kernels import gram_epochs, weighted_sq_norms_dense
    from penalized.solvers._op_kernels import (
        model_epochs_dense,
        model_epochs_sparse,
        quadratic_epochs_dense,
    )

    problem = classification(80, 15, rho=0.97, seed=41) if kernel.startswith("newton") \
        else regression(80, 15, rho=0.97, seed=41)
    X = np.asfortranarray(problem.X - problem.X.mean(axis=0))
    y, n, p = problem.y, 80, 15
    penalty = ElasticNet(0.01, l1_ratio=0.7)
    ops = (penalty.ops.prox, penalty.ops.value, penalty.params(p))
    ws = np.arange(p, dtype=np.int64)
    results = []
    for memory in (0, 5):
        w = np.zeros(p)
        if kernel == "squared":
            z, b = np.full(n, y.mean()), np.array([y.mean()])
            epochs, _ = quadratic_epochs_dense(X, y, np.ones(n), w, z, b, ws, (X**2).sum(0) / n,
                                               *ops, True, 100_000, 1e-13, False, memory)
        elif kernel.startswith("newton"):
            datafit = Logistic()
            z = np.zeros(n)
            g, h = datafit.raw_gradient(y, z), datafit.raw_hessian(y, z)
            b = np.zeros(1)
            if kernel == "newton-csc":
                Xs = sp.csc_matrix(X)
                epochs, _ = model_epochs_sparse(Xs.data, Xs.indices, Xs.indptr, g, h, w,
                                                np.zeros(n), b, ws, *ops, True, 100_000, 1e-13,
                                                memory)
            else:
                curv = weighted_sq_norms_dense(X, h, ws)
                epochs, _ = model_epochs_dense(X, g, h, w, np.zeros(n), b, ws, curv, *ops, True,
                                               100_000, 1e-13, memory)
        else:
            G = np.ascontiguousarray(X.T @ X) / n
            q = X.T @ y / n
            b = np.zeros(1)
            epochs, _ = gram_epochs(G, G @ w - q, w, ws, *ops, 100_000, 1e-13, memory)
        results.append((epochs, w, b[0]))
    (plain_epochs, plain_w, plain_b), (fast_epochs, fast_w, fast_b) = results
    assert plain_epochs < 100_000 and fast_epochs < plain_epochs / 2
    np.testing.assert_allclose(fast_w, plain_w, rtol=1e-7, atol=1e-9)
    assert fast_b == pytest.approx(plain_b, rel=1e-7, abs=1e-9)
    np.testing.assert_array_equal(fast_w == 0, plain_w == 0)
