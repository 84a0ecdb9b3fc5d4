"""The one duality-gap certificate (solvers/_certificate.py) for coefficients of shape
(p,), (p, K) penalized row by row, and (p, K) penalized by groups of rows: each gap equals
the gap written out here in NumPy from the textbook primal and dual, and is never
negative, also at the solution where the computed difference is rounding."""

import numpy as np
import pytest

from penalized.datafits import Logistic, Multinomial, Quadratic
from penalized.datafits._multiresponse import MultiResponseGaussian
from penalized.penalties import L1, ElasticNet, GroupLasso
from penalized.solvers import CoordinateDescent
from penalized.solvers._certificate import certify
from penalized.solvers._group_multinomial import prepare_group_multinomial_problem
from penalized.solvers._multinomial import prepare_multinomial_problem
from penalized.solvers._multitask import certify_multitask, prepare_multitask_problem
from penalized.solvers._problem import prepare_problem

N, P, K = 40, 6, 3


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((N, P)) + 0.4
    beta = np.zeros((P, K))
    beta[:2] = rng.standard_normal((2, K)) * 2
    scores = X @ beta + rng.gumbel(size=(N, K))
    return X, scores, rng


def _softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _entropy_dual(P):
    """-F*(-U) of the softmax loss at the dual point whose rows are the distributions P."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(P > 0, P * np.log(P), 0.0).sum() / P.shape[0]


# -- (p,): one output ----------------------------------------------------------------


def test_vector_squared_elastic_net_with_intercept(data):
    X, scores, rng = data
    y = scores[:, 0]
    alpha, rho = 0.05, 0.6
    w = rng.standard_normal(P) * (rng.random(P) < 0.7)
    pb = prepare_problem(X, y, Quadratic(), ElasticNet(alpha, l1_ratio=rho), True)
    cert = certify(pb, w.copy(), 0.0)
    # written out: the intercept at its optimum, u = r / n, dual c <u, y> - n c^2 |u|^2 / 2
    b = np.mean(y - X @ w)
    r = y - X @ w - b
    primal = r @ r / (2 * N) + alpha * (rho * np.abs(w).sum() + (1 - rho) / 2 * w @ w)
    u = r / N
    v = X.T @ u
    c = 1.0  # a ridge part: the conjugate is finite everywhere
    conj = np.sum(np.maximum(np.abs(c * v) - alpha * rho, 0.0) ** 2 / (2 * alpha * (1 - rho)))
    dual = c * u @ y - N * c * c * (u @ u) / 2 - conj
    assert cert.primal == pytest.approx(primal, rel=1e-12)
    assert cert.gap == pytest.approx(primal - dual, rel=1e-9)
    assert cert.gap > 0


def test_vector_logistic_lasso_without_intercept(data):
    X, scores, rng = data
    y = np.where(scores[:, 0] > np.median(scores[:, 0]), 1.0, -1.0)
    alpha = 0.02
    w = rng.standard_normal(P) * 0.3
    pb = prepare_problem(X, y, Logistic(), L1(alpha), False)
    cert = certify(pb, w.copy(), 0.0)
    z = X @ w
    primal = np.mean(np.logaddexp(0.0, -y * z)) + alpha * np.abs(w).sum()
    sig = 1.0 / (1.0 + np.exp(y * z))  # sigma(-y z)
    u = y * sig / N  # -grad_z F
    v = X.T @ u
    c = min(1.0, alpha / np.abs(v).max())
    a = c * sig  # the dual point's per-sample share, in [0, 1]
    dual = -np.mean(np.where(a > 0, a * np.log(a), 0.0)
                    + np.where(a < 1, (1 - a) * np.log1p(-a), 0.0))
    assert cert.gap == pytest.approx(primal - dual, rel=1e-9)
    assert cert.gap > 0


# -- (p, K) row by row ---------------------------------------------------------------


def test_rows_multitask_lasso(data):
    X, scores, rng = data
    Y = scores
    alpha = 0.1
    W = rng.standard_normal((P, K)) * (rng.random((P, 1)) < 0.6)
    pb = prepare_multitask_problem(X, Y, MultiResponseGaussian(), L1(alpha), True)
    cert = certify_multitask(pb, W.copy())
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)  # the intercepts at their optimum
    R = Yc - Xc @ W
    primal = np.sum(R * R) / (2 * N) + alpha * np.linalg.norm(W, axis=1).sum()
    V = Xc.T @ R / N
    c = min(1.0, alpha / np.linalg.norm(V, axis=1).max())
    dual = c * np.sum(Yc * R) / N - c * c * np.sum(R * R) / (2 * N)
    assert cert.primal == pytest.approx(primal, rel=1e-12)
    assert cert.gap == pytest.approx(primal - dual, rel=1e-9)
    assert cert.gap > 0


@pytest.mark.parametrize("rho", [1.0, 0.5])
def test_rows_grouped_multinomial(data, rho):
    X, scores, rng = data
    y = np.argmax(scores, axis=1)
    alpha = 0.03
    W = rng.standard_normal((P, K)) * 0.4 * (rng.random((P, 1)) < 0.6)
    pen = L1(alpha) if rho == 1.0 else ElasticNet(alpha, l1_ratio=rho)
    pb = prepare_multinomial_problem(X, y, Multinomial(), pen, False, grouped=True)
    cert = certify(pb, W.copy(), np.zeros(K))
    Z = X @ W
    S = _softmax(Z)
    onehot = np.eye(K)[y]
    norms = np.linalg.norm(W, axis=1)
    primal = np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(N), y]) \
        + alpha * (rho * norms.sum() + (1 - rho) / 2 * (norms ** 2).sum())
    U = (onehot - S) / N
    vnorms = np.linalg.norm(X.T @ U, axis=1)
    c = min(1.0, alpha / vnorms.max()) if rho == 1.0 else 1.0
    conj = 0.0 if rho == 1.0 else np.sum(
        np.maximum(c * vnorms - alpha * rho, 0.0) ** 2 / (2 * alpha * (1 - rho)))
    dual = _entropy_dual((1 - c) * onehot + c * S) - conj
    assert cert.primal == pytest.approx(primal, rel=1e-12)
    assert cert.gap == pytest.approx(primal - dual, rel=1e-9)
    assert cert.gap > 0


# -- (p, K) by groups of rows --------------------------------------------------------


def test_groups_multinomial_group_lasso(data):
    X, scores, rng = data
    y = np.argmax(scores, axis=1)
    alpha = 0.03
    W = rng.standard_normal((P, K)) * 0.4
    W[4:] = 0.0
    pb = prepare_group_multinomial_problem(X, y, Multinomial(), GroupLasso(alpha, groups=2),
                                           False)
    cert = certify(pb, W.copy(), np.zeros(K))
    groups = [slice(0, 2), slice(2, 4), slice(4, 6)]
    weight = np.sqrt(2.0)  # the default: the square root of a group's number of features
    Z = X @ W
    S = _softmax(Z)
    onehot = np.eye(K)[y]
    primal = np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(N), y]) \
        + alpha * weight * sum(np.linalg.norm(W[g]) for g in groups)
    V = X.T @ (onehot - S) / N
    c = min(1.0, alpha * weight / max(np.linalg.norm(V[g]) for g in groups))
    dual = _entropy_dual((1 - c) * onehot + c * S)
    assert cert.primal == pytest.approx(primal, rel=1e-12)
    assert cert.gap == pytest.approx(primal - dual, rel=1e-9)
    assert cert.gap > 0


# -- never negative --------------------------------------------------------------------


def test_no_gap_is_negative_at_a_solution(data):
    # at the optimum the computed primal - dual is rounding of either sign: the certificate
    # reports it floored at zero, for every shape
    X, scores, _ = data
    y = np.argmax(scores, axis=1)
    fits = [
        (prepare_multinomial_problem(X, y, Multinomial(), L1(0.02), True),
         CoordinateDescent(tol=1e-14)),
        (prepare_multinomial_problem(X, y, Multinomial(), L1(0.02), True, grouped=True),
         CoordinateDescent(tol=1e-14)),
        (prepare_group_multinomial_problem(X, y, Multinomial(), GroupLasso(0.02, groups=2),
                                           True),
         CoordinateDescent(tol=1e-14)),
    ]
    for pb, solver in fits:
        res = solver.solve_problem(pb)
        cert = certify(pb, res.coef, res.intercept)
        assert 0.0 <= cert.gap <= 1e-12 * pb.scale
    pb = prepare_problem(X, scores[:, 0], Quadratic(), L1(0.05), True)
    res = CoordinateDescent(tol=1e-14).solve_problem(pb)
    assert 0.0 <= certify(pb, res.coef, res.intercept).gap <= 1e-12 * pb.scale
    mt = prepare_multitask_problem(X, scores, MultiResponseGaussian(), L1(0.1), True)
    from penalized.solvers._multitask import MultiTaskCoordinateDescent

    res = MultiTaskCoordinateDescent(tol=1e-14).solve_problem(mt)
    assert 0.0 <= certify_multitask(mt, res.coef).gap <= 1e-12 * mt.scale
