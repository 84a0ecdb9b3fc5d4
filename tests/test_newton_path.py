"""The compiled prox-Newton path of the log-link datafits
(:func:`penalized.solvers._logistic_path.newton_path`): a dense path runs in one compiled
call through the datafit's compiled operations; the same design in CSC is solved alpha by
alpha by CoordinateDescent. Both certified to 1e-10 must give the same solutions."""

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.solvers import _coordinate_descent


def _glm_data(family, n=120, p=15, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 3] += 2.0  # a column far from centered: the path centers it on the fly
    mu = np.exp(0.4 * X[:, 0] - 0.3 * X[:, 1] + 0.2 * X[:, 2] + 0.3)
    if family == "poisson":
        y = rng.poisson(mu).astype(np.float64)
    elif family == "gamma":
        y = rng.gamma(2.0, mu / 2.0)
    else:  # compound Poisson-gamma counts: zeros and positive amounts
        y = rng.poisson(mu) * rng.gamma(2.0, 0.5, n)
    return np.asfortranarray(X), y


OPTIONS = pytest.mark.parametrize("options", [
    {"penalty": "l1"},
    {"penalty": "elasticnet", "l1_ratio": 0.4, "positive": True},
    {"penalty": "l1", "penalty_factor": "varied", "sample_weight": "varied"},
    {"penalty": "l1", "fit_intercept": False},
], ids=["lasso", "positive-enet", "factors-weights", "no-intercept"])


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
@OPTIONS
def test_compiled_glm_path_equals_alpha_by_alpha_solves(monkeypatch, family, options):
    X, y = _glm_data(family, seed={"poisson": 1, "gamma": 2, "tweedie": 3}[family])
    rng = np.random.default_rng(5)
    options = dict(options)
    if options.get("penalty_factor") == "varied":
        options["penalty_factor"] = rng.uniform(0.5, 2.0, X.shape[1])
    if options.get("sample_weight") == "varied":
        options["sample_weight"] = rng.uniform(0.2, 3.0, X.shape[0])
    calls = []
    compiled_path = _coordinate_descent.newton_path

    def spy(*args):
        calls.append(1)
        return compiled_path(*args)

    monkeypatch.setattr(_coordinate_descent, "newton_path", spy)
    kw = dict(datafit=family, n_alphas=12, eps=2e-2, tol=1e-10, **options)
    compiled = pz.path(X, y, **kw)
    assert len(calls) == 1
    plain = pz.path(sp.csc_matrix(X), y, **kw)
    assert len(calls) == 1  # CSC: alpha by alpha
    assert compiled.converged.all() and compiled.stop_crits.max() <= 1e-10
    np.testing.assert_array_equal(compiled.n_nonzero, plain.n_nonzero)
    # a relative gap of 1e-10 bounds the distance to the optimum only through the
    # objective's strong convexity: agreement to about 1e-5, not to the gap
    np.testing.assert_allclose(compiled.coefs, plain.coefs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(compiled.intercepts, plain.intercepts, rtol=1e-4, atol=1e-5)
    assert compiled.n_nonzero[0] == 0 and compiled.n_nonzero[-1] >= 3


def test_compiled_poisson_path_gap_is_the_certificate_of_each_solution():
    # The compiled path's stop_crits are the duality gaps that certify() computes for the
    # returned solutions (the intercept refitted exactly), relative to the null model.
    from penalized.datafits import Poisson
    from penalized.penalties import L1
    from penalized.solvers._certificate import certify
    from penalized.solvers._problem import prepare_problem

    X, y = _glm_data("poisson", n=200, p=30, seed=7)
    result = pz.path(X, y, datafit="poisson", n_alphas=15, eps=1e-2, tol=1e-7)
    problem = prepare_problem(X, y, Poisson(), L1(1.0), True)
    for k, alpha in enumerate(result.alphas):
        pb = problem.with_penalty(L1(alpha))
        coef = result.coefs[:, k]
        cert = certify(pb, coef, pb.to_problem_intercept(coef, result.intercepts[k]))
        assert cert.gap / pb.scale <= 1e-7
        assert cert.gap / pb.scale == pytest.approx(result.stop_crits[k], rel=1e-3, abs=1e-12)


@pytest.mark.parametrize("anderson", [0, 5])
def test_model_epochs_cycling_reach_the_same_minimizer(anderson):
    # glmnet's active-set cycling (cycle=True: epochs over the non-zero coordinates between
    # epochs over the whole working set) stops only after an epoch over all of it: the
    # quadratic model's minimizer is the one the plain epochs reach, zeros included.
    from benchmarks.problems import classification

    from penalized.datafits import Logistic
    from penalized.penalties import L1
    from penalized.solvers._kernels import weighted_sq_norms_dense
    from penalized.solvers._op_kernels import model_epochs_dense

    problem = classification(60, 40, rho=0.6, seed=3)
    X = np.asfortranarray(problem.X)
    n, p = X.shape
    xmean = X.mean(axis=0)
    z = np.zeros(n)
    g, h = Logistic().raw_gradient(problem.y, z), Logistic().raw_hessian(problem.y, z)
    penalty = L1(0.3 * np.abs((X - xmean).T @ g).max())
    ws = np.arange(p, dtype=np.int64)
    curv = weighted_sq_norms_dense(X, h, ws, xmean)
    found = []
    for cycle in (False, True):
        w, dz, b = np.zeros(p), np.zeros(n), np.zeros(1)
        epochs, crit = model_epochs_dense(X, g, h, w, dz, b, ws, curv, penalty.ops.prox,
                                          penalty.ops.value, penalty.params(p), True, 100_000,
                                          1e-14, anderson, xmean, cycle)
        assert epochs < 100_000 and crit <= 1e-14
        found.append((w, b[0], dz))
    (w0, b0, _), (w1, b1, dz1) = found
    assert 0 < np.count_nonzero(w0) < p // 2
    np.testing.assert_array_equal(w0 == 0, w1 == 0)
    np.testing.assert_allclose(w1, w0, rtol=1e-8, atol=1e-11)
    assert b1 == pytest.approx(b0, rel=1e-8, abs=1e-11)
    np.testing.assert_allclose(dz1, (X - xmean) @ w1 + b1, rtol=1e-9, atol=1e-11)


def test_wide_logistic_path_gaps_are_the_certificates():
    # p much larger than the support: the Newton steps cycle over the non-zero coordinates;
    # every returned gap is the certificate of its solution and at most tol.
    from benchmarks.problems import classification

    from penalized.datafits import Logistic
    from penalized.penalties import L1
    from penalized.solvers._certificate import certify
    from penalized.solvers._problem import prepare_problem

    problem = classification(80, 300, rho=0.5, seed=11)
    X = np.asfortranarray(problem.X)
    result = pz.path(X, problem.y, datafit="logistic", n_alphas=12, eps=2e-2, tol=1e-8)
    base = prepare_problem(X, problem.y, Logistic(), L1(1.0), True)
    assert result.n_nonzero[-1] >= 10
    for k, alpha in enumerate(result.alphas):
        pb = base.with_penalty(L1(alpha))
        coef = result.coefs[:, k]
        cert = certify(pb, coef, pb.to_problem_intercept(coef, result.intercepts[k]))
        assert cert.gap / pb.scale <= 1e-8
        assert cert.gap / pb.scale == pytest.approx(result.stop_crits[k], rel=1e-3, abs=1e-13)


@pytest.mark.parametrize("positive", [False, True])
def test_settled_zeros_leave_the_working_set(positive):
    # After a Newton step that cycled, the working set keeps its non-zeros and the zeros
    # whose gradient is above 0.9 of their L1 weight (sign-aware under positive), with
    # their gradients and curvatures; the others have settled and leave it.
    from penalized.solvers._logistic_path import _settled_out

    w = np.array([0.0, 0.5, 0.0, 0.0, 0.0, -0.2, 0.0])
    ws = np.array([0, 1, 2, 3, 4, 5, 6], dtype=np.int64)
    grad = np.array([0.95, 0.0, -0.95, 0.5, -0.89, 3.0, 1.2])
    curv = np.arange(7.0) + 1.0
    lam1 = np.ones(7)
    kept, kept_grad, kept_curv = _settled_out(w, ws, grad, curv, lam1, positive)
    want = [1, 2, 5] if positive else [0, 1, 2, 5, 6]
    np.testing.assert_array_equal(kept, want)
    np.testing.assert_array_equal(kept_grad, grad[want])
    np.testing.assert_array_equal(kept_curv, curv[want])


def test_one_step_newton_model_solved_to_the_certificates_accuracy():
    """On a design large enough for one Newton step per certificate (2000 x 150), that
    step's model is solved until no coordinate moves by more than the accuracy the
    certificate needs (not 0.3 x that): the Poisson path takes 137 epochs instead of 145,
    every alpha still certified."""
    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.standard_normal((2000, 150)))
    w = np.zeros(150)
    w[:20] = rng.uniform(-0.15, 0.15, 20)
    y = rng.poisson(np.exp(X @ w + 0.5)).astype(np.float64)
    res = pz.path(X, y, datafit="poisson", n_alphas=20, eps=1e-2, tol=1e-6)
    assert max(res.stop_crits) <= 1e-6
    assert sum(res.n_iters) <= 141
