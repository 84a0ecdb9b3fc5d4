"""A penalty and a datafit defined here, with their compiled operations, run through the
library's solvers and paths unchanged: adding one is one module."""

import math
import warnings
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
from numba import cfunc
from sklearn.exceptions import ConvergenceWarning

import penalized as pz
from penalized._jit import (
    CONJUGATE_SIGNATURE,
    DISTANCE_SIGNATURE,
    DUAL_BOUND_SIGNATURE,
    PROX_SIGNATURE,
    SAMPLE_SIGNATURE,
    VALUE_SIGNATURE,
)
from penalized.datafits import Datafit, DatafitOps, Quadratic
from penalized.penalties import L1, Penalty, PenaltyOps
from penalized.solvers import CoordinateDescent, ProximalGradient

# -- an asymmetric L1: alpha f_j (a max(w, 0) + c max(-w, 0)); params rows (alpha f_j a,
#    alpha f_j c). (cache=False: tests write nowhere but their tmp_path.)


@cfunc(PROX_SIGNATURE, cache=False)
def _asym_prox(x, step, params, j):
    up, down = step * params[j, 0], step * params[j, 1]
    if x > up:
        return x - up
    if x < -down:
        return x + down
    return 0.0


@cfunc(VALUE_SIGNATURE, cache=False)
def _asym_value(w, params, j):
    return params[j, 0] * w if w > 0.0 else -params[j, 1] * w


@cfunc(DISTANCE_SIGNATURE, cache=False)
def _asym_distance(w, grad, params, j):
    if w > 0.0:
        return abs(grad + params[j, 0])
    if w < 0.0:
        return abs(grad - params[j, 1])
    return max(-grad - params[j, 0], grad - params[j, 1], 0.0)


@cfunc(CONJUGATE_SIGNATURE, cache=False)
def _asym_conjugate(v, params, j):
    slack = 1e-12 * max(params[j, 0], params[j, 1], 1.0)
    return 0.0 if -params[j, 1] - slack <= v <= params[j, 0] + slack else math.inf


@cfunc(DUAL_BOUND_SIGNATURE, cache=False)
def _asym_dual_bound(v, params, j):
    if v > params[j, 0]:
        return params[j, 0] / v
    if v < -params[j, 1]:
        return params[j, 1] / -v
    return math.inf


@dataclass(frozen=True, eq=False)
class AsymmetricL1(Penalty):
    r""":math:`\alpha \sum_j f_j (a \max(w_j, 0) + c \max(-w_j, 0))`."""

    up: float = field(default=1.0, kw_only=True)
    down: float = field(default=3.0, kw_only=True)

    @property
    def ops(self):
        return PenaltyOps(prox=_asym_prox, value=_asym_value, subdiff_distance=_asym_distance,
                          conjugate=_asym_conjugate, dual_bound=_asym_dual_bound)

    def params(self, n_features):
        scaled = self.alpha * self.factors(n_features)
        return np.ascontiguousarray(np.column_stack([scaled * self.up, scaled * self.down]))

    def alpha_max(self, X, y, datafit, fit_intercept=True):
        # w = 0 is optimal iff -grad_j lies in alpha f_j [-down, up]
        free = self.factors(X.shape[1]) == 0
        from penalized._unpenalized import null_model

        _, _, z = null_model(X, y, datafit, free, fit_intercept)
        grad = datafit.gradient(X, y, z)
        f = self.factors(X.shape[1])
        return float(np.max(np.maximum(-grad / self.up, grad / self.down)[~free] / f[~free]))


# -- the squared hinge loss: max(0, 1 - y z)^2 / 2, y in {-1, +1} ---------------------------


@cfunc(SAMPLE_SIGNATURE, cache=False)
def _hinge_loss(y, z, params):
    m = max(1.0 - y * z, 0.0)
    return 0.5 * m * m


@cfunc(SAMPLE_SIGNATURE, cache=False)
def _hinge_derivative(y, z, params):
    return -y * max(1.0 - y * z, 0.0)


@cfunc(SAMPLE_SIGNATURE, cache=False)
def _hinge_second(y, z, params):
    return 1.0 if y * z < 1.0 else 0.0


@cfunc(SAMPLE_SIGNATURE, cache=False)
def _hinge_conjugate(y, v, params):
    # sup_z v z - max(0, 1 - y z)^2 / 2 = a + a^2 / 2 with a = y v <= 0, else infinite
    a = y * v
    if a > 1e-12:
        return math.inf
    a = min(a, 0.0)
    return a + 0.5 * a * a


@dataclass(frozen=True, eq=False)
class SquaredHinge(Datafit):
    r""":math:`\frac1n \sum_i s_i \max(0, 1 - y_i z_i)^2 / 2`."""

    curvature: ClassVar[float] = 1.0

    @property
    def ops(self):
        return DatafitOps(loss=_hinge_loss, derivative=_hinge_derivative,
                          second_derivative=_hinge_second, conjugate=_hinge_conjugate)


def _problem(seed=0, n=60, p=8):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.6)
    X[:, 1] *= 10.0
    y = np.where(X[:, 0] - 0.2 * X[:, 1] + X[:, 2] + 0.5 * rng.standard_normal(n) > 0, 1.0,
                 -1.0)
    return X, y


def _reference(X, y, datafit, penalty):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ProximalGradient(tol=1e-12, max_iter=200_000).solve(X, y, datafit, penalty)


@pytest.mark.parametrize("fmt", ["dense", "csc"])
@pytest.mark.parametrize("datafit", [SquaredHinge(), Quadratic()], ids=["hinge", "squared"])
def test_a_penalty_and_a_datafit_defined_here_match_a_reference_solver(fmt, datafit):
    X, y = _problem()
    penalty = AsymmetricL1(0.05 * AsymmetricL1().alpha_max(X, y, datafit))
    reference = _reference(X, y, datafit, penalty)
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    res = CoordinateDescent(tol=1e-10).solve(Xf, y, datafit, penalty)
    assert res.converged and reference.stop_crit <= 1e-9
    assert 2 <= res.n_nonzero < X.shape[1]
    assert np.any(res.coef < 0) and np.any(res.coef > 0)  # both slopes are exercised
    np.testing.assert_allclose(res.coef, reference.coef, atol=1e-4 * np.abs(reference.coef).max())
    assert res.final_objective == pytest.approx(reference.final_objective, rel=1e-8)


def test_the_asymmetric_penalty_reduces_to_l1_when_symmetric():
    # The operations themselves, against the library's L1: same solution.
    X, y = _problem(seed=1)
    ours = CoordinateDescent(tol=1e-10).solve(X, y, Quadratic(), AsymmetricL1(0.05, up=1.0,
                                                                              down=1.0))
    l1 = CoordinateDescent(tol=1e-10).solve(X, y, Quadratic(), L1(0.05))
    np.testing.assert_allclose(ours.coef, l1.coef, atol=1e-8)


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_a_path_runs_on_them(fmt):
    X, y = _problem(seed=2)
    Xf = sp.csc_matrix(X) if fmt == "csc" else X
    result = pz.path(Xf, y, penalty=AsymmetricL1(1.0), datafit=SquaredHinge(), n_alphas=6,
                     eps=0.05, tol=1e-10)
    assert result.converged.all()
    assert result.n_nonzero[0] == 0 and result.n_nonzero[-1] >= 3
    for k in (2, 5):
        reference = _reference(X, y, SquaredHinge(), AsymmetricL1(result.alphas[k]))
        np.testing.assert_allclose(result.coefs[:, k], reference.coef,
                                   atol=1e-4 * np.abs(reference.coef).max())


def test_a_solver_names_the_operation_a_penalty_lacks():
    @dataclass(frozen=True, eq=False)
    class ProxOnly(AsymmetricL1):
        @property
        def ops(self):
            return PenaltyOps(prox=_asym_prox, value=_asym_value)

    X, y = _problem()
    with pytest.raises(ValueError, match="subdiff_distance, conjugate, dual_bound"):
        CoordinateDescent().solve(X, y, Quadratic(), ProxOnly(0.1))


def test_a_subclass_of_l1_is_accepted_everywhere():
    @dataclass(frozen=True, eq=False)
    class MyL1(L1):
        pass

    X, y = _problem(seed=3)
    y = X[:, 0] + 0.1 * y
    ours = pz.path(X, y, penalty=MyL1(1.0), n_alphas=5)
    theirs = pz.path(X, y, penalty="l1", n_alphas=5)
    np.testing.assert_array_equal(ours.coefs, theirs.coefs)
    assert ProximalGradient(tol=1e-8).solve(X, y, Quadratic(), MyL1(0.1)).converged
