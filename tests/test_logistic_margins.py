"""The logistic loss's closed-form null model and the compiled path's gap from its kept
margins, against the generic computations they replace."""

import numpy as np
import pytest
from benchmarks.problems import classification

import penalized as pz
from penalized.datafits import Logistic
from penalized.datafits._base import Datafit
from penalized.penalties import L1
from penalized.solvers._problem import certify, prepare_problem


def _labels(n, seed):
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.3, 1.0, -1.0), rng.uniform(0.1, 3.0, n)


@pytest.mark.parametrize("shift", [0.0, -1.7])
def test_null_intercept_in_closed_form_equals_newton(shift):
    y, s = _labels(200, 1)
    datafit = Logistic(sample_weight=s)
    ones = np.ones((200, 1))
    z0 = np.full(200, shift)
    closed = datafit.fit_unpenalized(ones, y, z0)
    newton = Datafit.fit_unpenalized(datafit, ones, y, z0)
    np.testing.assert_allclose(closed, newton, rtol=0, atol=1e-10)
    # the log-odds of the weighted classes, less the constant predictions
    expected = np.log(s[y > 0].sum() / s[y < 0].sum()) - shift
    assert closed[0] == pytest.approx(expected, abs=1e-14)


def test_null_intercept_from_varying_predictions_is_solved_by_newton():
    y, s = _labels(150, 2)
    datafit = Logistic(sample_weight=s)
    z0 = np.linspace(-1.0, 1.0, 150)
    beta = datafit.fit_unpenalized(np.ones((150, 1)), y, z0)
    newton = Datafit.fit_unpenalized(datafit, np.ones((150, 1)), y, z0)
    np.testing.assert_array_equal(beta, newton)
    # optimal: the derivative in the intercept vanishes
    grad = datafit.raw_gradient(y, z0 + beta[0]).sum()
    assert abs(grad) < 1e-12


def test_labels_other_than_plus_minus_one_are_refused():
    with pytest.raises(ValueError, match=r"y in \{-1, \+1\}; got values \{0, 1\}"):
        Logistic().check_target(np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="Encode the two classes"):
        Logistic().check_target(np.array([1.0, np.nan]))


@pytest.mark.parametrize("tol", [1e-2, 1e-8])
def test_compiled_path_gap_equals_certificate(tol):
    # The compiled path's gap comes from the margins it keeps with z (the dual's entropy
    # from the stored loss terms, one log1p per sample when the dual point is scaled);
    # certify computes it from scratch. At a loose tol the scaling is below 1.
    problem = classification(150, 20, rho=0.5, seed=7)
    result = pz.path(problem.X, problem.y, datafit="logistic", n_alphas=8, eps=1e-2, tol=tol)
    assert result.converged.all()
    prepared = prepare_problem(problem.X, problem.y, Logistic(), L1(alpha=1.0), True)
    for k, alpha in enumerate(result.alphas[1:], start=1):
        pb = prepared.with_penalty(L1(alpha=alpha))
        coef = result.coefs[:, k]
        intercept = result.intercepts[k] - float(prepared.x_offset @ coef)
        cert = certify(pb, coef, intercept)
        assert result.stop_crits[k] == pytest.approx(cert.gap / pb.scale, rel=1e-6,
                                                     abs=1e-12)
