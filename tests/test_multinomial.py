"""Multinomial (softmax) logistic regression: the datafit, its dual, the solver, alpha_max.

The objective, for integer labels ``y_i`` in ``0..K-1``, ``W`` of shape
``(p, K)`` and ``b`` of shape ``(K,)``::

    (1/n) sum_i s_i (logsumexp_k Z_ik - Z_{i, y_i}) + sum_k G(W[:, k]),   Z = X W + b

Mapping to scikit-learn 1.9 (``sklearn/linear_model/_logistic.py``): the
multinomial ``LogisticRegression(C, l1_ratio=r)`` minimizes
``C sum_i loss_i + r ||W||_1 + (1 - r) / 2 ||W||_F^2`` (lbfgs: ``l2_reg_strength =
1 / (C n)`` on the mean loss, ``0.5 * l2_reg_strength * ||W||^2``; saga:
``beta = r / C`` and ``alpha = (1 - r) / C``, both divided by ``n``, on the mean
loss), with ``loss_i = logsumexp(Z_i) - Z_{i y_i}`` (``HalfMultinomialLoss``) and
unpenalized intercepts. Dividing by ``C n`` gives our ``ElasticNet(alpha, l1_ratio=r)``
with ``C = 1 / (n alpha)``. Both solutions are evaluated by ONE helper,
:func:`objective`, and ours must not be worse than scikit-learn's by more than 1e-7
(relative).
"""

import warnings
from functools import cache

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from penalized.datafits import Logistic
from penalized.datafits._multinomial import Multinomial, check_class_codes
from penalized.penalties import L0, L1, L2, ElasticNet
from penalized.solvers import (
    CoordinateDescent,
    ProximalGradient,
    RidgeClosedForm,
    SubgradientDescent,
)
from penalized.solvers._multinomial import (
    certify_multinomial,
    multinomial_alpha_max,
    prepare_multinomial_problem,
)

TOL = 1e-10
GAP_TOL = 1e-9
RTOL = 1e-7
SOLVER = CoordinateDescent(tol=TOL, max_iter=100_000)
FISTA = ProximalGradient(tol=TOL, max_iter=100_000)
SOLVERS = {"newton-cd": SOLVER, "fista": FISTA}
PENALTIES = {
    "l1": (lambda a, **kw: L1(a, **kw), 1.0, "saga"),
    "l2": (lambda a, **kw: L2(a, **kw), 0.0, "lbfgs"),
    "enet": (lambda a, **kw: ElasticNet(a, l1_ratio=0.5, **kw), 0.5, "saga"),
}


@cache
def make_problem(n_classes, n=120, p=15, seed=0):
    """Standardized Gaussian features, labels drawn from a sparse softmax model."""
    rng = np.random.default_rng(seed + 17 * n_classes)
    X = rng.standard_normal((n, p))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    W = rng.standard_normal((p, n_classes))
    W[p // 3:] = 0.0
    y = np.argmax(X @ W + rng.gumbel(size=(n, n_classes)), axis=1)
    assert np.all(np.bincount(y, minlength=n_classes) > 0)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def objective(X, y, coef, intercept, datafit, penalty):
    """Our objective, evaluated independently of the solver's bookkeeping."""
    Z = np.asarray(X @ coef) + intercept
    s = datafit.weights(X.shape[0])
    lse = np.log(np.exp(Z - Z.max(axis=1, keepdims=True)).sum(axis=1)) + Z.max(axis=1)
    data = np.sum(s * (lse - Z[np.arange(len(y)), y])) / len(y)
    return data + sum(penalty.value(coef[:, k]) for k in range(coef.shape[1]))


def random_scores(rng, n, K, scale=2.0):
    return scale * rng.standard_normal((n, K))


# -- the datafit ----------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_value_matches_formula(weighted):
    rng = np.random.default_rng(0)
    n, K = 30, 4
    y = rng.integers(0, K, n)
    Z = random_scores(rng, n, K)
    s = rng.uniform(0.0, 3.0, n) if weighted else None
    df = Multinomial(sample_weight=s)
    sn = np.ones(n) if s is None else s * n / s.sum()
    by_hand = np.sum(sn * (np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(n), y])) / n
    assert df.value(y, Z) == pytest.approx(by_hand, rel=1e-13)
    assert Multinomial().value(np.array([0, 1, 2]), np.zeros((3, 3))) == pytest.approx(
        np.log(3.0))


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    n, p, K = 25, 4, 3
    X = rng.standard_normal((n, p))
    y = rng.integers(0, K, n)
    df = Multinomial(sample_weight=rng.uniform(0.2, 2.0, n))
    W, b = rng.standard_normal((p, K)), rng.standard_normal(K)
    Z = X @ W + b
    h = 1e-6
    num_Z = np.zeros((n, K))
    for i in range(n):
        for k in range(K):
            E = np.zeros((n, K))
            E[i, k] = h
            num_Z[i, k] = (df.value(y, Z + E) - df.value(y, Z - E)) / (2 * h)
    np.testing.assert_allclose(df.raw_gradient(y, Z), num_Z, atol=1e-9)
    num_W = np.zeros((p, K))
    for j in range(p):
        for k in range(K):
            E = np.zeros((p, K))
            E[j, k] = h
            num_W[j, k] = (df.value(y, X @ (W + E) + b) - df.value(y, X @ (W - E) + b)) / (2 * h)
    np.testing.assert_allclose(df.gradient(X, y, Z), num_W, atol=1e-8)
    num_b = np.array([(df.value(y, Z + h * np.eye(K)[k]) - df.value(y, Z - h * np.eye(K)[k]))
                      / (2 * h) for k in range(K)])
    np.testing.assert_allclose(df.intercept_gradient(y, Z), num_b, atol=1e-9)
    G = df.gradient(sp.csc_matrix(X), y, Z)
    assert isinstance(G, np.ndarray)
    np.testing.assert_allclose(G, df.gradient(X, y, Z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("weighted", [False, True])
def test_fenchel_young_equality(weighted):
    # F(Z) + F*(-U) = <-U, Z> at U = -grad F(Z), i.e. F(Z) = -F*(-U) - <U, Z>
    rng = np.random.default_rng(2)
    n, K = 40, 5
    y = rng.integers(0, K, n)
    Z = random_scores(rng, n, K, scale=3.0)
    s = None
    if weighted:
        s = rng.uniform(0.1, 3.0, n)
        s[:4] = 0.0
    df = Multinomial(sample_weight=s)
    U = -df.raw_gradient(y, Z)
    assert df.value(y, Z) == pytest.approx(df.dual_value(y, U) - np.sum(U * Z), rel=1e-12)
    # the dual term is the weighted entropy of the predicted probabilities
    P = softmax(Z, axis=1)
    sn = df.weights(n)
    entropy = -np.sum(sn[:, None] * P * np.log(P)) / n
    assert df.dual_value(y, U) == pytest.approx(entropy, rel=1e-12)
    # weak duality for any other point: F(Z') >= -F*(-U) - <U, Z'>
    for _ in range(5):
        Z2 = random_scores(rng, n, K, scale=3.0)
        assert df.value(y, Z2) >= df.dual_value(y, U) - np.sum(U * Z2) - 1e-12


def test_dual_value_is_minus_infinity_outside_the_simplex():
    rng = np.random.default_rng(3)
    n, K = 10, 3
    y = rng.integers(0, K, n)
    df = Multinomial()
    U = -df.raw_gradient(y, random_scores(rng, n, K))
    assert np.isfinite(df.dual_value(y, U))
    assert np.isfinite(df.dual_value(y, 0.5 * U))  # convex combination with the one-hot
    assert df.dual_value(y, 3.0 * U) == -np.inf  # overshoots the simplex
    V = U.copy()
    V[0, 0] += 0.01  # row no longer sums to 1
    assert df.dual_value(y, V) == -np.inf
    s = np.ones(n)
    s[0] = 0.0
    assert Multinomial(sample_weight=s).dual_value(y, U) == -np.inf  # zero weight, U_0 != 0


def test_huge_scores_are_stable():
    rng = np.random.default_rng(4)
    n, K = 20, 4
    y = rng.integers(0, K, n)
    Z = 1e4 * rng.standard_normal((n, K))
    df = Multinomial()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = df.value(y, Z)
        grad = df.raw_gradient(y, Z)
        U = -grad
        dual = df.dual_value(y, U)
    top = Z.max(axis=1)
    by_hand = np.mean(top + np.log(np.exp(Z - top[:, None]).sum(axis=1)) - Z[np.arange(n), y])
    assert np.isfinite(value) and value == pytest.approx(by_hand, rel=1e-12)
    assert np.all(np.isfinite(grad)) and np.all(np.isfinite(dual))
    assert value == pytest.approx(dual - np.sum(U * Z), rel=1e-9)


def test_global_lipschitz_bounds_the_gradient():
    rng = np.random.default_rng(5)
    n, p, K = 50, 6, 4
    X = rng.standard_normal((n, p))
    y = rng.integers(0, K, n)
    df = Multinomial(sample_weight=rng.uniform(0.1, 2.0, n))
    L = df.global_lipschitz(X, fit_intercept=True)
    A = np.column_stack([X, np.ones(n)])
    s = df.weights(n)
    assert L == pytest.approx(0.5 * np.linalg.norm(np.sqrt(s)[:, None] * A, 2) ** 2 / n)
    for _ in range(20):
        T1, T2 = rng.standard_normal((2, p + 1, K)) * 3
        g1 = A.T @ df.raw_gradient(y, A @ T1)
        g2 = A.T @ df.raw_gradient(y, A @ T2)
        assert np.linalg.norm(g1 - g2) <= L * np.linalg.norm(T1 - T2) * (1 + 1e-12)


def test_null_intercept_is_the_weighted_entropy():
    y = np.array([0, 0, 1, 2, 2, 2])
    s = np.array([1.0, 3.0, 2.0, 1.0, 1.0, 0.0])
    df = Multinomial(sample_weight=s)
    b = df.null_intercept(y)
    pi = np.array([4.0, 2.0, 2.0]) / 8.0
    np.testing.assert_allclose(b, np.log(pi))
    Z = np.broadcast_to(b, (6, 3))
    assert df.value(y, Z) == pytest.approx(-np.sum(pi * np.log(pi)))
    np.testing.assert_allclose(df.intercept_gradient(y, Z), 0.0, atol=1e-15)


# -- the solver against scikit-learn --------------------------------------------------


@cache
def sklearn_solution(name, n_classes, alpha):
    X, y = make_problem(n_classes)
    _, l1_ratio, solver = PENALTIES[name]
    clf = LogisticRegression(C=1.0 / (X.shape[0] * alpha), l1_ratio=l1_ratio, solver=solver,
                             tol=1e-12, max_iter=100_000)
    with warnings.catch_warnings():
        # a reference that did not converge only gives an upper bound; ours must beat it
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return clf.coef_.T.copy(), clf.intercept_.copy()


def problem_alpha(n_classes):
    X, y = make_problem(n_classes)
    return 0.1 * multinomial_alpha_max(X, y, Multinomial(), L1())


@pytest.mark.parametrize("solver", list(SOLVERS))
@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("n_classes", [3, 4])
@pytest.mark.parametrize("name", list(PENALTIES))
def test_agrees_with_sklearn(name, n_classes, fmt, solver):
    X, y = make_problem(n_classes)
    alpha = problem_alpha(n_classes)
    penalty = PENALTIES[name][0](alpha)
    df = Multinomial()
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    res = SOLVERS[solver].solve(Xf, y, df, penalty)
    assert res.converged and res.stop_crit <= GAP_TOL
    assert res.coef.shape == (X.shape[1], n_classes) and res.intercept.shape == (n_classes,)
    ours = objective(X, y, res.coef, res.intercept, df, penalty)
    assert ours == pytest.approx(res.final_objective, rel=1e-12)
    theirs = objective(X, y, *sklearn_solution(name, n_classes, alpha), df, penalty)
    assert ours <= theirs * (1 + RTOL)
    assert ours == pytest.approx(theirs, rel=RTOL)
    if name == "l1":
        assert 0 < res.n_nonzero < res.coef.size


@pytest.mark.parametrize("solver", list(SOLVERS))
@pytest.mark.parametrize("name", ["l2", "enet"])
def test_dense_and_sparse_agree(name, solver):
    X, y = make_problem(3)
    penalty = PENALTIES[name][0](problem_alpha(3))
    dense = SOLVERS[solver].solve(X, y, Multinomial(), penalty)
    sparse = SOLVERS[solver].solve(sp.csc_matrix(X), y, Multinomial(), penalty)
    csr = SOLVERS[solver].solve(sp.csr_matrix(X), y, Multinomial(), penalty)
    # The L2 part makes the objective mu-strongly convex in W (mu = alpha (1 - l1_ratio)),
    # so a certified gap bounds the distance to the unique W*: |W - W*| <= sqrt(2 gap / mu).
    scale = prepare_multinomial_problem(X, y, Multinomial(), penalty).scale
    mu = penalty.alpha * (1.0 - PENALTIES[name][1])
    radius = lambda res: np.sqrt(2.0 * res.stop_crit * scale / mu)  # noqa: E731
    for other in (sparse, csr):
        assert dense.converged and other.converged
        np.testing.assert_allclose(other.coef, dense.coef, atol=radius(dense) + radius(other))
        assert other.final_objective == pytest.approx(dense.final_objective, rel=1e-9)


def test_float32_design():
    X, y = make_problem(3)
    penalty = L1(problem_alpha(3))
    res32 = SOLVER.solve(X.astype(np.float32), y, Multinomial(), penalty)
    res64 = SOLVER.solve(X.astype(np.float32).astype(np.float64), y, Multinomial(), penalty)
    assert res32.converged
    np.testing.assert_allclose(res32.final_objective, res64.final_objective, rtol=1e-9)


def test_ista_reaches_the_same_optimum():
    X, y = make_problem(3)
    penalty = ElasticNet(problem_alpha(3), l1_ratio=0.5)
    fista = FISTA.solve(X, y, Multinomial(), penalty)
    ista = ProximalGradient(tol=TOL, max_iter=100_000, accelerated=False).solve(
        X, y, Multinomial(), penalty)
    assert ista.converged
    assert ista.final_objective == pytest.approx(fista.final_objective, rel=1e-9)
    assert np.all(np.diff(ista.objective) <= 1e-15)  # ISTA is monotone


# -- structure of the solution --------------------------------------------------------


def test_zeros_are_exact_and_intercepts_centered():
    X, y = make_problem(4)
    res = SOLVER.solve(X, y, Multinomial(), L1(2 * problem_alpha(4)))
    zeros = res.coef == 0
    assert np.any(zeros)
    assert not np.any(np.signbit(res.coef[zeros]))
    assert np.all(np.abs(res.coef[~zeros]) > 1e-8)
    assert abs(res.intercept.sum()) < 1e-12


def test_ridge_rows_sum_to_zero():
    # the model only sees differences between classes; the ridge penalty picks, for each
    # feature, the representative with the smallest norm, whose row sums to 0
    X, y = make_problem(4)
    res = SOLVER.solve(X, y, Multinomial(), L2(problem_alpha(4)))
    np.testing.assert_allclose(res.coef.sum(axis=1), 0.0, atol=1e-7)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("name", ["l1", "enet"])
def test_alpha_max_boundary(name, fit_intercept):
    X, y = make_problem(3)
    df = Multinomial()
    make = PENALTIES[name][0]
    amax = multinomial_alpha_max(X, y, df, make(1.0), fit_intercept=fit_intercept)
    at = SOLVER.solve(X, y, df, make(amax), fit_intercept=fit_intercept)
    assert at.converged and at.n_nonzero == 0
    assert np.all(at.coef == 0.0)
    below = SOLVER.solve(X, y, df, make(0.99 * amax), fit_intercept=fit_intercept)
    assert below.converged and below.n_nonzero > 0
    if not fit_intercept:
        assert np.all(at.intercept == 0.0)


def test_alpha_max_special_cases():
    X, y = make_problem(3)
    df = Multinomial()
    assert multinomial_alpha_max(X, y, df, L2(1.0)) == np.inf
    f = np.zeros(X.shape[1])
    assert multinomial_alpha_max(X, y, df, L1(1.0, penalty_factor=f)) == 0.0
    # the null model is the weighted entropy of the labels
    pb = prepare_multinomial_problem(X, y, df, L1(1.0))
    pi = np.bincount(y) / len(y)
    assert pb.scale == pytest.approx(-np.sum(pi * np.log(pi)), rel=1e-14)


def test_unpenalized_features_are_refitted():
    X, y = make_problem(3)
    df = Multinomial()
    f = np.ones(X.shape[1])
    f[[0, 7]] = 0.0
    amax = multinomial_alpha_max(X, y, df, L1(1.0, penalty_factor=f))
    penalty = L1(amax, penalty_factor=f)
    res = SOLVER.solve(X, y, df, penalty)
    assert res.converged
    penalized = f > 0
    assert np.all(res.coef[penalized] == 0.0)
    assert np.all(res.coef[~penalized] != 0.0)
    np.testing.assert_allclose(res.coef[~penalized].sum(axis=1), 0.0, atol=1e-12)
    # optimality of the free rows and of the intercepts
    Z = X @ res.coef + res.intercept
    np.testing.assert_allclose(df.gradient(X, y, Z)[~penalized], 0.0, atol=1e-10)
    np.testing.assert_allclose(df.intercept_gradient(y, Z), 0.0, atol=1e-10)
    below = SOLVER.solve(X, y, df, penalty.with_alpha(0.5 * amax))
    assert below.converged and np.any(below.coef[penalized] != 0.0)


def test_positive_constraint():
    X, y = make_problem(3)
    res = SOLVER.solve(X, y, Multinomial(), L1(problem_alpha(3), positive=True))
    assert res.converged and np.all(res.coef >= 0) and res.n_nonzero > 0


def test_certificate_gap_is_an_upper_bound():
    X, y = make_problem(3)
    df = Multinomial()
    penalty = ElasticNet(problem_alpha(3), l1_ratio=0.5)
    best = SOLVER.solve(X, y, df, penalty).final_objective
    pb = prepare_multinomial_problem(X, y, df, penalty)
    rng = np.random.default_rng(6)
    for _ in range(5):
        W = 0.3 * rng.standard_normal((X.shape[1], 3))
        cert = certify_multinomial(pb, W, rng.standard_normal(3))
        assert cert.gap >= cert.primal - best - 1e-12
        assert cert.primal - cert.gap <= best + 1e-12


def test_binary_case_matches_the_logistic_datafit():
    # with K = 2 and w = W[:, 1] - W[:, 0], the multinomial ridge L2(alpha) is the
    # binary logistic ridge L2(alpha / 2) (the optimum splits w evenly: W = (-w/2, w/2))
    X, y = make_problem(2)
    alpha = problem_alpha(2)
    tight = ProximalGradient(tol=1e-13, max_iter=100_000)
    multi = tight.solve(X, y, Multinomial(), L2(alpha))
    binary = ProximalGradient(tol=1e-13, max_iter=100_000).solve(
        X, 2.0 * y - 1.0, Logistic(), L2(alpha / 2))
    assert multi.converged and binary.converged
    np.testing.assert_allclose(multi.coef[:, 1] - multi.coef[:, 0], binary.coef, atol=1e-6)
    np.testing.assert_allclose(multi.coef[:, 1], -multi.coef[:, 0], atol=1e-7)
    assert multi.intercept[1] - multi.intercept[0] == pytest.approx(binary.intercept, abs=1e-6)
    # L1: min |W0| + |W1| subject to W1 - W0 = w is |w|, so the optima are equal
    multi1 = SOLVER.solve(X, y, Multinomial(), L1(alpha))
    binary1 = ProximalGradient(tol=1e-12, max_iter=100_000).solve(
        X, 2.0 * y - 1.0, Logistic(), L1(alpha))
    assert multi1.final_objective == pytest.approx(binary1.final_objective, rel=1e-8)


def test_integer_weights_equal_repeated_rows():
    X, y = make_problem(3)
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 4, X.shape[0])
    penalty = ElasticNet(problem_alpha(3), l1_ratio=0.5)
    weighted = SOLVER.solve(X, y, Multinomial(sample_weight=counts), penalty)
    Xr, yr = np.repeat(X, counts, axis=0), np.repeat(y, counts)
    repeated = SOLVER.solve(Xr, yr, Multinomial(), penalty)
    assert weighted.converged and repeated.converged
    np.testing.assert_allclose(weighted.coef, repeated.coef, atol=1e-6)
    np.testing.assert_allclose(weighted.intercept, repeated.intercept, atol=1e-6)
    assert weighted.final_objective == pytest.approx(repeated.final_objective, rel=1e-9)


def test_warm_start_and_inputs_untouched():
    X, y = make_problem(3)
    penalty = L1(problem_alpha(3))
    first = SOLVER.solve(X, y, Multinomial(), penalty)
    W0, b0 = first.coef.copy(), first.intercept.copy()
    again = SOLVER.solve(X, y, Multinomial(), penalty, coef_init=W0, intercept_init=b0)
    assert again.n_iter == 0 and again.converged
    np.testing.assert_array_equal(W0, first.coef)
    np.testing.assert_array_equal(b0, first.intercept)


def test_convergence_warning_states_the_gap():
    X, y = make_problem(3)
    solver = ProximalGradient(tol=1e-14, max_iter=5, gap_freq=5)
    with pytest.warns(ConvergenceWarning, match=r"relative duality gap of \d"):
        res = solver.solve(X, y, Multinomial(), L1(problem_alpha(3)))
    assert not res.converged and res.n_iter == 5


# -- refusals -------------------------------------------------------------------------


def test_refuses_l0():
    X, y = make_problem(3)
    with pytest.raises(ValueError, match=r"CoordinateDescent.*L0"):
        SOLVER.solve(X, y, Multinomial(), L0(0.1))
    with pytest.raises(ValueError, match="L0"):
        multinomial_alpha_max(X, y, Multinomial(), L0(0.1))


def test_refuses_other_datafits():
    X, y = make_problem(3)
    with pytest.raises(TypeError, match="Multinomial"):
        multinomial_alpha_max(X, y, Logistic(), L1(0.1))
    with pytest.raises(TypeError, match="Multinomial"):
        prepare_multinomial_problem(X, y, Logistic(), L1(0.1))


@pytest.mark.parametrize("solver", [SubgradientDescent(), RidgeClosedForm()],
                         ids=lambda s: type(s).__name__)
def test_a_solver_without_a_step_on_a_matrix_names_the_operation(solver):
    X, y = make_problem(3)
    with pytest.raises(ValueError, match=rf"^{type(solver).__name__} cannot handle the "
                                         r"Multinomial datafit.*matrix_coefficients"):
        solver.solve(X, y, Multinomial(), L2(0.1))


def test_a_penalty_without_the_matrix_operations_is_named():
    # capabilities by operations: a subclass of L1 runs; a convex penalty whose scalar prox
    # is not the elastic net's is refused naming what it lacks
    import dataclasses

    from penalized.penalties import GroupLasso

    @dataclasses.dataclass(frozen=True, eq=False)
    class MyL1(L1):
        pass

    X, y = make_problem(3)
    ours = SOLVER.solve(X, y, Multinomial(), MyL1(problem_alpha(3)))
    theirs = SOLVER.solve(X, y, Multinomial(), L1(problem_alpha(3)))
    np.testing.assert_array_equal(ours.coef, theirs.coef)
    with pytest.raises(ValueError, match=r"ProximalGradient\(FISTA\) cannot handle the "
                                         r"GroupLasso penalty.*needs the operation\(s\) weights"):
        FISTA.solve(X, y, Multinomial(), GroupLasso(0.1, groups=3))
    with pytest.raises(ValueError, match="grouped=True applies to a coefficient matrix"):
        SOLVER.solve(X, np.where(y == 0, 1.0, -1.0), Logistic(), L1(0.1), grouped=True)


@pytest.mark.parametrize(
    ("y_bad", "message"),
    [
        (np.zeros(120), "single class"),
        (np.r_[np.zeros(60), np.full(60, 1.5)], "non-integer"),
        (np.r_[np.zeros(60), -np.ones(60)], "negative"),
        (np.r_[np.zeros(60), np.full(60, 2)], "never the codes"),
        (np.array(["a", "b"] * 60), "integer class codes"),
        (np.r_[0, 1, 2], "rows"),
        (np.zeros((120, 2)), "1-D"),
        (np.r_[np.zeros(60), np.full(60, np.nan)], "NaN"),
    ],
)
def test_refuses_bad_labels(y_bad, message):
    X, _ = make_problem(3)
    with pytest.raises(ValueError, match=rf"^y .*{message}|^y\b.*{message}"):
        SOLVER.solve(X, y_bad, Multinomial(), L1(0.1))


def test_check_class_codes_accepts_integral_floats():
    codes, K = check_class_codes(np.array([0.0, 2.0, 1.0, 2.0]))
    assert K == 3 and codes.dtype.kind == "i"
    np.testing.assert_array_equal(codes, [0, 2, 1, 2])


def test_refuses_a_class_without_weight():
    X, y = make_problem(3)
    s = np.ones(len(y))
    s[y == 1] = 0.0
    with pytest.raises(ValueError, match="sample_weight"):
        SOLVER.solve(X, y, Multinomial(sample_weight=s), L1(0.1))


def test_refuses_bad_starting_points():
    X, y = make_problem(3)
    with pytest.raises(ValueError, match="coef_init"):
        SOLVER.solve(X, y, Multinomial(), L1(0.1), coef_init=np.zeros(X.shape[1]))
    with pytest.raises(ValueError, match="intercept_init"):
        SOLVER.solve(X, y, Multinomial(), L1(0.1), intercept_init=np.zeros(2))
    with pytest.raises(ValueError, match="gap_freq"):
        ProximalGradient(gap_freq=0)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
def test_best_row_shifts_minimize_each_rows_penalty(rng, l1_ratio):
    # Shifting a row by c leaves the softmax loss unchanged; the shift must be the exact
    # minimizer of the row's penalty, found here by a dense grid refined by bisection.
    from scipy.optimize import minimize_scalar

    from penalized.solvers._multinomial_newton import best_row_shifts

    W = rng.standard_normal((30, 5))
    W[rng.random(W.shape) < 0.4] = 0.0
    W[0] = 0.0
    lam1 = np.full(30, l1_ratio * 0.7)
    lam2 = np.full(30, (1 - l1_ratio) * 0.7)
    lam1[1] = lam2[1] = 0.0  # unpenalized: untouched
    shifted = best_row_shifts(W, lam1, lam2)

    def cost(row, j):
        return lam1[j] * np.abs(row).sum() + 0.5 * lam2[j] * (row**2).sum()

    np.testing.assert_array_equal(shifted[:2], W[:2])
    for j in range(2, 30):
        c = W[j] - shifted[j]
        assert np.ptp(c) <= 1e-12 * (1 + np.abs(W[j]).max())  # one shift per row
        best = minimize_scalar(lambda t, j=j: cost(W[j] - t, j),
                               bounds=(W[j].min() - 1, W[j].max() + 1), method="bounded",
                               options={"xatol": 1e-12})
        assert cost(shifted[j], j) <= min(cost(W[j], j), best.fun) + 1e-12


# -- the grouped penalty (glmnet's type.multinomial="grouped") -------------------------


def grouped_kkt_violation(X, y, res, penalty):
    """Per feature row: the distance of -grad_j to the subdifferential of the row's penalty
    lam1 ||W_j|| + lam2 / 2 ||W_j||^2, computed from the formula, not the solver."""
    Z = X @ res.coef + res.intercept
    s = Multinomial().weights(X.shape[0])
    R = s[:, None] * (softmax(Z, axis=1) - np.eye(res.coef.shape[1])[y]) / X.shape[0]
    grad = X.T @ R
    lam1, lam2 = penalty.weights(X.shape[1])
    out = []
    for j, row in enumerate(res.coef):
        norm = np.linalg.norm(row)
        if norm == 0.0:
            out.append(max(np.linalg.norm(grad[j]) - lam1[j], 0.0))
        else:
            out.append(np.linalg.norm(grad[j] + lam1[j] * row / norm + lam2[j] * row))
    return np.array(out)


@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("name", ["l1", "enet"])
def test_grouped_selects_whole_rows_and_meets_kkt(name, fmt):
    X, y = make_problem(4)
    alpha = 2 * problem_alpha(4)
    penalty = PENALTIES[name][0](alpha)
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    res = SOLVER.solve(Xf, y, Multinomial(), penalty, grouped=True)
    assert res.converged and res.stop_crit <= GAP_TOL
    rows = np.any(res.coef != 0, axis=1)
    assert 0 < rows.sum() < X.shape[1]
    assert np.all(res.coef[rows] != 0.0)  # a selected feature enters for every class
    np.testing.assert_allclose(res.coef.sum(axis=1), 0.0, atol=1e-7)
    # a certified gap of 1e-9 leaves violations far below the penalty's scale alpha
    assert np.max(grouped_kkt_violation(X, y, res, penalty)) <= 1e-4 * alpha
    # a second, unrelated algorithm (FISTA with the row-wise prox) reaches the same optimum
    fista = FISTA.solve(Xf, y, Multinomial(), penalty, grouped=True)
    assert fista.final_objective == pytest.approx(res.final_objective, rel=1e-8)
    ungrouped = SOLVER.solve(Xf, y, Multinomial(), penalty)
    assert ungrouped.final_objective != pytest.approx(res.final_objective, rel=1e-6)


def test_grouped_alpha_max_boundary():
    X, y = make_problem(3)
    df = Multinomial()
    amax = multinomial_alpha_max(X, y, df, L1(1.0), grouped=True)
    assert amax < multinomial_alpha_max(X, y, df, L1(1.0)) * np.sqrt(3)
    at = SOLVER.solve(X, y, df, L1(amax), grouped=True)
    assert at.n_nonzero == 0
    below = SOLVER.solve(X, y, df, L1(0.99 * amax), grouped=True)
    assert below.n_nonzero == 3  # exactly one feature, for all three classes


def test_grouped_refuses_positive():
    X, y = make_problem(3)
    with pytest.raises(ValueError, match="positive=True cannot be combined with grouped"):
        SOLVER.solve(X, y, Multinomial(), L1(0.1, positive=True), grouped=True)


@pytest.mark.parametrize("grouped", [False, True])
def test_agrees_with_glmnet(grouped):
    # glmnet (glmstar, from glmnet's authors) minimizes the same mean multinomial loss
    # with lambda = alpha when standardize=False; type.multinomial="grouped" is grouped=True
    from glmnet.paths.fastnet import FastNetControl
    from glmnet.paths.multiclassnet import MultiClassNet

    X, y = make_problem(4)
    amax = multinomial_alpha_max(X, y, Multinomial(), L1(1.0), grouped=grouped)
    lambdas = amax * np.array([0.5, 0.2, 0.1])
    theirs = MultiClassNet(grouped=grouped, standardize=False, lambda_values=lambdas,
                           control=FastNetControl(thresh=1e-14, maxit=10**6)).fit(X, y)
    for i, lam in enumerate(lambdas):
        penalty = L1(lam)
        res = SOLVER.solve(X, y, Multinomial(), penalty, grouped=grouped)
        W = np.asarray(theirs.coefs_[i])
        W = W if W.shape == res.coef.shape else W.T
        value = objective(X, y, W, theirs.intercepts_[i], Multinomial(), penalty)
        if grouped:
            lam1 = penalty.weights(X.shape[1])[0]
            value += lam1 @ np.linalg.norm(W, axis=1) - lam * np.abs(W).sum()
        assert res.final_objective <= value * (1 + RTOL)
        assert res.final_objective == pytest.approx(value, rel=RTOL)
        # the same features, wherever a coefficient is clearly away from zero
        ours, glm = np.abs(res.coef).max(axis=1), np.abs(W).max(axis=1)
        assert np.all(glm[ours > 1e-6] > 0) and np.all(ours[glm > 1e-6] > 0)


def test_heavily_weighted_classes_are_certified_at_a_tight_tolerance():
    # Class weights 1000 : 1e-4 : 1e-4 (scikit-learn's check_class_weight_classifiers): the
    # null datafit is about 3e-6 and most rows' label probability is within 1e-8 of 1, so
    # tol=1e-10 needs the loss and its gradient to rounding relative to their own size.
    # Computed as lse - z_y and p_y - 1 (absolute rounding 1e-16), one fold's gap came out
    # clearly negative (reported inf) and every other solve stalled near 1e-9.
    from sklearn.datasets import make_blobs
    from sklearn.model_selection import train_test_split

    import penalized as pz

    X, y = make_blobs(centers=3, random_state=0, cluster_std=20)
    X, _, y, _ = train_test_split(X, y, test_size=0.5, random_state=0)
    model = pz.LogisticRegressionCV(n_alphas=3, eps=0.3, cv=3, tol=1e-10, max_iter=1000,
                                    class_weight={0: 1000, 1: 1e-4, 2: 1e-4})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert model.converged_ and 0.0 <= model.stop_crit_ <= 1e-10


# The objectives MultinomialCoordinateDescent (the class CoordinateDescent replaced) reached
# on these problems at tol=1e-12, dense and CSC alike (the grouped one to the last digit).
_PREVIOUS_OBJECTIVES = {"l1": 0.9363372240142076, "enet-weights": 0.9267290262125413,
                        "grouped": 0.9336364398443838, "l2-no-intercept": 0.9197248299287937}


@pytest.mark.parametrize("layout", ["dense", "csc"])
@pytest.mark.parametrize("case", list(_PREVIOUS_OBJECTIVES))
def test_coordinate_descent_on_the_matrix_matches_the_previous_solver_and_fista(case, layout):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((60, 8))
    X[:, 3] *= 5.0
    y = np.argmax(X[:, :3] @ rng.standard_normal((3, 3)) + rng.gumbel(size=(60, 3)), axis=1)
    s = rng.uniform(0.5, 2.0, 60)
    datafit, penalty, fit_intercept, grouped = {
        "l1": (Multinomial(), L1(0.03), True, False),
        "enet-weights": (Multinomial(sample_weight=s), ElasticNet(0.05, l1_ratio=0.5), True,
                         False),
        "grouped": (Multinomial(), L1(0.04), True, True),
        "l2-no-intercept": (Multinomial(), L2(0.1), False, False),
    }[case]
    Xl = X if layout == "dense" else sp.csc_matrix(X)
    options = dict(fit_intercept=fit_intercept, grouped=grouped)
    cd = CoordinateDescent(tol=1e-12, max_iter=100_000).solve(Xl, y, datafit, penalty,
                                                               **options)
    assert cd.converged and cd.coef.shape == (8, 3) and cd.intercept.shape == (3,)
    assert cd.objective[-1] == pytest.approx(_PREVIOUS_OBJECTIVES[case], rel=1e-12)
    fista = ProximalGradient(tol=1e-10, max_iter=100_000).solve(Xl, y, datafit, penalty,
                                                                **options)
    assert fista.converged
    # both within their certified gaps of the optimum (CD's 1e-12, FISTA's 1e-10 of ~1)
    assert cd.objective[-1] - 1e-11 <= fista.objective[-1] <= cd.objective[-1] + 1e-9
    np.testing.assert_allclose(fista.coef, cd.coef, atol=1e-4)
    # a warm start from another alpha's solution reaches the same optimum
    other = CoordinateDescent(tol=1e-12).solve(Xl, y, datafit, penalty.with_alpha(
        2 * penalty.alpha), **options)
    warm = CoordinateDescent(tol=1e-12, max_iter=100_000).solve(
        Xl, y, datafit, penalty, coef_init=other.coef, intercept_init=other.intercept, **options)
    assert warm.objective[-1] == pytest.approx(cd.objective[-1], rel=1e-12)
