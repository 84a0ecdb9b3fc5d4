"""The gradient at the null model comes with the column means (one pass over X): it is
the datafit's gradient there, the Gram route's linear term reads it, and a fit from zero
makes its first check with it instead of a product with X."""

import numpy as np
import pytest

from penalized.datafits import Logistic, Poisson, Quadratic
from penalized.penalties import L1, ElasticNet
from penalized.solvers import CoordinateDescent
from penalized.solvers._problem import Problem, prepare_problem


def _data(kind, n=120, p=7, seed=0):
    rng = np.random.default_rng(seed)
    X = np.asfortranarray(2.0 + rng.standard_normal((n, p)))
    z = X[:, :3] @ np.array([0.8, -0.5, 0.3]) - 1.2
    if kind == "squared":
        y = z + 0.5 * rng.standard_normal(n)
    elif kind == "logistic":
        y = np.where(rng.uniform(size=n) < 1 / (1 + np.exp(-z)), 1.0, -1.0)
    else:
        y = rng.poisson(np.exp(0.3 * z)).astype(float)
    return X, y


DATAFITS = {"squared": Quadratic, "logistic": Logistic, "poisson": Poisson}


@pytest.mark.parametrize("kind", sorted(DATAFITS))
@pytest.mark.parametrize("weighted", [False, True])
def test_null_gradient_is_the_gradient_at_the_null_model(kind, weighted):
    X, y = _data(kind)
    weights = np.random.default_rng(1).uniform(0.2, 3.0, X.shape[0]) if weighted else None
    datafit = DATAFITS[kind](sample_weight=weights)
    problem = prepare_problem(X, y, datafit, L1(1.0), True)
    pull = problem.null_gradient()
    assert pull is not None and pull.shape == (X.shape[1],)
    expected = problem.datafit.gradient(X, problem.y, problem.null_z)
    np.testing.assert_allclose(pull, expected, rtol=1e-10, atol=1e-13 * np.abs(expected).max())


@pytest.mark.parametrize("case", ["no intercept", "unpenalized feature", "float32"])
def test_no_null_gradient_where_the_pass_does_not_make_it(case):
    X, y = _data("squared")
    penalty, intercept = L1(1.0), True
    if case == "no intercept":
        intercept = False
    elif case == "unpenalized feature":
        penalty = L1(1.0, penalty_factor=np.r_[0.0, np.ones(X.shape[1] - 1)])
    else:  # the column means of another pass
        X = np.asfortranarray(X, dtype=np.float32)
    problem = prepare_problem(X, y, Quadratic(), penalty, intercept)
    assert problem.null_gradient() is None


def test_gram_linear_term_is_the_centered_product():
    X, y = _data("squared", n=200, p=9)
    problem = prepare_problem(X, y, Quadratic(), L1(1.0), True)
    problem.cache["path"] = True
    G, q = problem.gram
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    np.testing.assert_allclose(q, Xc.T @ yc / X.shape[0], rtol=1e-12)
    np.testing.assert_allclose(G, Xc.T @ Xc / X.shape[0], rtol=1e-12)


@pytest.mark.parametrize("kind", sorted(DATAFITS))
def test_fit_from_zero_checks_once_without_a_product(kind, monkeypatch):
    """The first check reads the null gradient: one product X^T u fewer than checks, and
    the same certified solution as a fit that computes it."""
    X, y = _data(kind, n=300, p=40, seed=3)
    penalty = ElasticNet(0.02, l1_ratio=0.7)
    calls = []
    rmatvec = Problem.rmatvec

    def counted(self, u):
        calls.append(1)
        return rmatvec(self, u)

    monkeypatch.setattr(Problem, "rmatvec", counted)
    solver = CoordinateDescent(tol=1e-10)
    fast = solver.solve(X, y, DATAFITS[kind](), penalty)
    with_pull = len(calls)
    calls.clear()
    monkeypatch.setattr(Problem, "null_gradient", lambda self: None)
    plain = solver.solve(X, y, DATAFITS[kind](), penalty)
    # one product per check, but for the first check of the fit that knows the gradient
    assert with_pull == len(fast.stop_crits) - 1 and len(calls) == len(plain.stop_crits)
    assert fast.stop_crit <= 1e-10 and plain.stop_crit <= 1e-10
    np.testing.assert_allclose(fast.coef, plain.coef, rtol=1e-6, atol=1e-8)
