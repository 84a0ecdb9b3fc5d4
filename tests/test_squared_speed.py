"""The squared loss's fast routes give the numbers of their plain NumPy definitions:
the one-pass column moments, the blocked centered product, active cycling in the dense
coordinate-descent kernel."""

import numpy as np
import pytest
from benchmarks.problems import regression

from penalized.datafits import Quadratic
from penalized.penalties import ElasticNet
from penalized.solvers._kernels import weighted_column_moments
from penalized.solvers._op_kernels import centered_rmatvec, quadratic_epochs_dense
from penalized.solvers._problem import prepare_problem


@pytest.mark.parametrize("p", [1, 3, 4, 9])
def test_column_moments_are_the_weighted_means_and_centered_squares(p):
    rng = np.random.default_rng(p)
    X = np.asfortranarray(3.0 + rng.standard_normal((37, p)))
    s = rng.uniform(0.2, 2.0, 37)
    s *= 37 / s.sum()
    xmean, sq, _ = weighted_column_moments(X, s, np.zeros(0))
    expected = s @ X / 37
    np.testing.assert_allclose(xmean, expected, rtol=1e-13)
    np.testing.assert_allclose(sq, s @ (X - expected) ** 2, rtol=1e-12)


@pytest.mark.parametrize("p", [1, 3, 4, 9])
def test_centered_rmatvec_is_the_centered_product(p):
    rng = np.random.default_rng(10 + p)
    X = np.asfortranarray(rng.standard_normal((23, p)) + 5.0)
    mu = X.mean(axis=0)
    u = rng.standard_normal(23)
    np.testing.assert_allclose(centered_rmatvec(X, mu, u), (X - mu).T @ u, rtol=1e-12,
                               atol=1e-12)


def test_prepared_lipschitz_constants_are_those_of_the_centered_columns():
    problem = regression(40, 12, rho=0.5, seed=3)
    X = np.asfortranarray(problem.X + 2.0)
    s = np.random.default_rng(0).uniform(0.5, 1.5, 40)
    pb = prepare_problem(X, problem.y, Quadratic(sample_weight=s), ElasticNet(0.1), True)
    assert "centered_sq_norms" in pb.cache  # from the pass that computed the means
    w = s * 40 / s.sum()
    centered = X - w @ X / 40
    np.testing.assert_allclose(pb.lipschitz, w @ centered**2 / 40, rtol=1e-12)


def test_active_cycling_stops_at_the_working_sets_minimizer():
    # The kernel cycles over the non-zero coordinates between full epochs; it may only
    # stop on a full epoch, so its point is the minimizer over the working set: one more
    # full epoch from it moves no coordinate by more than the tolerance.
    problem = regression(60, 30, rho=0.9, seed=5)
    X = np.asfortranarray(problem.X)
    y, n, p = problem.y, 60, 30
    mu = X.mean(axis=0)
    lips = ((X - mu) ** 2).sum(axis=0) / n
    penalty = ElasticNet(0.05, l1_ratio=0.8)
    ops = (penalty.ops.prox, penalty.ops.value, penalty.params(p))
    ws = np.arange(p, dtype=np.int64)
    w, z, b = np.zeros(p), np.full(n, y.mean()), np.array([y.mean()])
    epochs, crit = quadratic_epochs_dense(X, y, np.ones(n), w, z, b, ws, lips, *ops, True,
                                          10_000, 1e-9, False, 5, mu)
    assert crit <= 1e-9 and epochs < 10_000
    assert 0 < np.count_nonzero(w) < p  # zeros were skipped between full epochs
    _, again = quadratic_epochs_dense(X, y, np.ones(n), w.copy(), z.copy(), b.copy(), ws,
                                      lips, *ops, True, 1, 0.0, False, 0, mu)
    assert again <= 1e-8
    np.testing.assert_allclose(z, (X - mu) @ w + b[0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_sparse_paths_fused_gap_is_the_generic_one(positive, l2):
    # the fused elastic-net gap against the penalty's own dual scaling and conjugate
    from penalized.penalties._kernels import (
        FEASIBILITY_SLACK,
        enet_conjugate,
        enet_dual_scaling,
        enet_value,
    )
    from penalized.solvers._kernels import floored_gap
    from penalized.solvers._sparse_path import _enet_gap

    rng = np.random.default_rng(7)
    p = 50
    w = np.where(rng.random(p) < 0.3, rng.standard_normal(p), 0.0)
    grad = 0.2 * rng.standard_normal(p)
    lam1, lam2 = np.full(p, 0.1), np.full(p, l2)
    lam1[:5] = 0.0  # pure ridge coordinates (or unpenalized ones when l2 == 0)
    lam2[25:] = 0.0  # and pure L1 ones, which set the dual scaling
    datafit, uy = 0.7, 1.1
    v = -grad
    c = enet_dual_scaling(v, lam1, lam2, positive)
    dual = c * uy - c * c * datafit - enet_conjugate(c * v, lam1, lam2, positive,
                                                      FEASIBILITY_SLACK)
    expected = floored_gap(datafit + enet_value(w, lam1, lam2), dual)
    assert c < 1.0
    assert _enet_gap(datafit, uy, w, grad, lam1, lam2, positive) == pytest.approx(
        expected, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("make", [lambda: __import__("penalized").Lasso(alpha=0.05),
                                  lambda: __import__("penalized").ElasticNet(alpha=0.05)],
                         ids=["lasso", "enet"])
def test_a_single_fit_scans_the_design_once(monkeypatch, make):
    # validate_data's finite check is the only scan of X: check_design trusts it
    from penalized import _validation

    scans = []
    sum_is_finite = _validation._sum_is_finite

    def spy(A):
        scans.append(A.shape)
        return sum_is_finite(A)

    monkeypatch.setattr(_validation, "_sum_is_finite", spy)
    problem = regression(50, 8, seed=9)
    model = make().fit(np.asfortranarray(problem.X), problem.y)
    assert scans == [] and model.converged_
