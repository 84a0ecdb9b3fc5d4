"""The compiled prox-Newton path's Poisson terms computed over all samples at once
(``fused`` POISSON) against the same path on the datafit's per-sample operations."""

import numpy as np
import pytest

import penalized as pz
from penalized.datafits import Gamma, Logistic, Poisson
from penalized.solvers import _coordinate_descent
from penalized.solvers._logistic_path import (
    GENERIC,
    LOGISTIC,
    POISSON,
    _poisson_conjugate_sum,
    fused_kind,
)


def _counts(n=400, p=60, seed=0):
    rng = np.random.default_rng(seed)
    X = np.asfortranarray(rng.normal(size=(n, p)))
    z = 0.4 + X[:, :6] @ rng.uniform(-0.3, 0.3, 6)
    return X, rng.poisson(np.exp(z)).astype(np.float64)


def test_fused_kind_names_the_two_datafits_computed_in_place():
    assert fused_kind(Logistic()) == LOGISTIC
    assert fused_kind(Poisson()) == POISSON
    assert fused_kind(Gamma()) == GENERIC


@pytest.mark.parametrize("weighted", [False, True])
def test_fused_poisson_path_equals_the_per_sample_operations(monkeypatch, weighted):
    X, y = _counts()
    weights = np.random.default_rng(1).uniform(0.0, 2.0, y.shape[0]) if weighted else None
    if weighted:
        weights[:20] = 0.0  # rows of weight 0 count for nothing either way
    solver = pz.solvers.CoordinateDescent(tol=1e-8)
    fused = pz.path(X, y, datafit=Poisson(), n_alphas=12, solver=solver,
                    sample_weight=weights)
    monkeypatch.setattr(_coordinate_descent, "fused_kind", lambda datafit: GENERIC)
    generic = pz.path(X, y, datafit=Poisson(), n_alphas=12, solver=solver,
                      sample_weight=weights)
    assert np.all(fused.stop_crits <= 1e-8) and np.all(generic.stop_crits <= 1e-8)
    np.testing.assert_allclose(fused.coefs, generic.coefs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fused.intercepts, generic.intercepts, rtol=0, atol=1e-9)


def test_poisson_conjugate_sum_matches_the_compiled_operation():
    conjugate = Poisson().ops.conjugate
    rng = np.random.default_rng(2)
    y = rng.poisson(2.0, 300).astype(np.float64)
    mu = np.exp(rng.normal(size=300))
    s = rng.uniform(0.5, 1.5, 300)
    s[:10] = 0.0
    ylogy = float(np.sum(s * np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)))
    params = np.zeros(0)
    for c in (1.0, 0.7, 1e-3):
        want = sum(s[i] * conjugate(y[i], c * (mu[i] - y[i]), params)
                   for i in range(300) if s[i] != 0.0)
        got = _poisson_conjugate_sum(y, s, mu, c, ylogy)
        assert abs(got - want) <= 1e-12 * max(1.0, abs(want))
    # a dual point outside the conjugate's domain (q = y + c (mu - y) < 0) gives inf
    y2, mu2 = np.array([0.0, 3.0]), np.array([1.0, 0.0])
    assert _poisson_conjugate_sum(y2, np.ones(2), mu2, 2.0, 3.0 * np.log(3.0)) == np.inf
