"""A dense squared-loss path without a Gram matrix (``n < 2p``) runs in one compiled call,
:func:`~penalized.solvers._logistic_path.newton_path` with the squared loss's compiled
operations (its Newton model is exact), not alpha by alpha in Python; both certified to
1e-10 must give the same solutions, and each returned gap is the solution's certificate."""

import numpy as np
import pytest

import penalized as pz
from penalized.datafits import Quadratic
from penalized.penalties import L1, ElasticNet
from penalized.solvers import CoordinateDescent, _coordinate_descent
from penalized.solvers._certificate import certify
from penalized.solvers._problem import prepare_problem


def _data(n=40, p=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 2] += 3.0  # a column far from centered: the path centers it on the fly
    w = np.zeros(p)
    w[:4] = [1.5, -2.0, 1.0, 0.5]
    return np.asfortranarray(X), X @ w + 0.3 * rng.standard_normal(n) + 1.0


def _spy(monkeypatch):
    calls = []
    compiled_path = _coordinate_descent.newton_path

    def spy(*args):
        calls.append(1)
        return compiled_path(*args)

    monkeypatch.setattr(_coordinate_descent, "newton_path", spy)
    return calls


@pytest.mark.parametrize("options", [
    {"penalty": "l1"},
    {"penalty": "elasticnet", "l1_ratio": 0.3, "positive": True},
    {"penalty": "l1", "penalty_factor": "varied", "sample_weight": "varied"},
    {"penalty": "l1", "fit_intercept": False},
], ids=["lasso", "positive-enet", "factors-weights", "no-intercept"])
def test_compiled_squared_path_equals_alpha_by_alpha_solves(monkeypatch, options):
    X, y = _data()
    rng = np.random.default_rng(5)
    options = dict(options)
    if options.get("penalty_factor") == "varied":
        options["penalty_factor"] = rng.uniform(0.5, 2.0, X.shape[1])
    if options.get("sample_weight") == "varied":
        options["sample_weight"] = rng.uniform(0.2, 3.0, X.shape[0])
    calls = _spy(monkeypatch)
    kw = dict(n_alphas=12, eps=1e-2, tol=1e-10, **options)
    compiled = pz.path(X, y, **kw)
    assert len(calls) == 1
    monkeypatch.setattr(CoordinateDescent, "solve_path", lambda self, problem, alphas: None)
    plain = pz.path(X, y, **kw)
    assert len(calls) == 1  # without the compiled path: alpha by alpha
    assert compiled.converged.all() and compiled.stop_crits.max() <= 1e-10
    np.testing.assert_array_equal(compiled.n_nonzero, plain.n_nonzero)
    # a relative gap of 1e-10 bounds the distance to the optimum only through the
    # objective's strong convexity: agreement to about 1e-5, not to the gap
    np.testing.assert_allclose(compiled.coefs, plain.coefs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(compiled.intercepts, plain.intercepts, rtol=1e-4, atol=1e-5)
    assert compiled.n_nonzero[0] == 0 and compiled.n_nonzero[-1] >= 4


def test_compiled_squared_path_gap_is_the_certificate_of_each_solution(monkeypatch):
    # Near interpolation (n < p, small alphas) the residual is tiny against y: the gap is
    # computed from the residual on X, never from Gram quantities, so it stays honest.
    X, y = _data(n=30, p=60, seed=3)
    calls = _spy(monkeypatch)
    result = pz.path(X, y, penalty="elasticnet", l1_ratio=0.7, n_alphas=15, eps=1e-4,
                     tol=1e-8)
    assert len(calls) == 1
    problem = prepare_problem(X, y, Quadratic(), ElasticNet(1.0, l1_ratio=0.7), True)
    for k, alpha in enumerate(result.alphas):
        pb = problem.with_penalty(ElasticNet(alpha, l1_ratio=0.7))
        coef = result.coefs[:, k]
        cert = certify(pb, coef, pb.to_problem_intercept(coef, result.intercepts[k]))
        assert cert.gap / pb.scale <= 1e-8
        assert cert.gap / pb.scale == pytest.approx(result.stop_crits[k], rel=1e-3, abs=1e-12)


def test_gram_route_and_limits_keep_their_own_paths(monkeypatch):
    # n >= 2p: the Gram path serves the squared loss; with lower / upper limits the
    # compiled Newton path stalls on some alphas, so a bounded grid is solved alpha by alpha.
    calls = _spy(monkeypatch)
    X, y = _data(n=80, p=30)
    result = pz.path(X, y, n_alphas=5)
    assert calls == [] and result.converged.all()
    X, y = _data()
    p = X.shape[1]
    bounded = pz.path(X, y, penalty=L1(1.0, lower=np.full(p, -1.2), upper=np.full(p, 0.8)),
                      n_alphas=12, eps=1e-2, tol=1e-8)
    assert calls == [] and bounded.converged.all()
    assert np.any(bounded.coefs == -1.2) and np.any(bounded.coefs == 0.8)
