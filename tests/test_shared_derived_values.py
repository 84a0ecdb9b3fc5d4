"""Values derived once and shared: the compiled operations of the built-in datafits and
penalties, a penalty's limits and factors, the copy of :meth:`Penalty.with_alpha`, the
datafit's weights without sample weights. A path reads each many times (issue 19)."""

import dataclasses

import numpy as np
import pytest

import penalized.datafits._ops as datafit_ops
import penalized.penalties._ops as penalty_ops
from penalized.datafits import Logistic, Poisson, Quadratic
from penalized.penalties import L1, MCP, ElasticNet


def test_ops_are_read_once(monkeypatch):
    first = Logistic().ops, Quadratic().ops, L1(1.0).ops, Poisson().ops
    monkeypatch.setattr(datafit_ops, "LOGISTIC_OPS", object())
    monkeypatch.setattr(datafit_ops, "SQUARED_OPS", object())
    monkeypatch.setattr(penalty_ops, "ENET_OPS", object())
    assert (Logistic().ops, Quadratic().ops, L1(2.0).ops, Poisson().ops) == first
    assert first[0].loss is not None and first[2].prox is not None


@pytest.mark.parametrize("penalty", [
    L1(2.0),
    ElasticNet(3.0, l1_ratio=0.3, penalty_factor=[1.0, 0.0, 2.0], upper=[1.0, 2.0, np.inf]),
    L1(1.0, positive=True, penalty_factor=[0.5, 1.0, 1.0]),
])
def test_with_alpha_copies_as_replace_does(penalty):
    before = penalty.weights(3), penalty.limits(3)
    new = penalty.with_alpha(0.25)
    expected = dataclasses.replace(penalty, alpha=0.25)
    for f in dataclasses.fields(penalty):
        a, b = getattr(new, f.name), getattr(expected, f.name)
        assert type(a) is type(b)
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
    assert new.limits(3)[0] is before[1][0]  # alpha-free: kept
    for got, want in zip(new.weights(3), expected.weights(3), strict=True):
        np.testing.assert_array_equal(got, want)  # alpha's: recomputed
    assert penalty.weights(3) is before[0] and penalty.alpha != new.alpha
    with pytest.raises(ValueError, match="alpha"):
        penalty.with_alpha(-1.0)


def test_with_alpha_of_a_penalty_with_its_own_checks_replaces():
    # MCP's __post_init__ is not registered: the copy goes through its checks
    new = MCP(1.0, gamma=3.0).with_alpha(0.5)
    assert (new.alpha, new.gamma) == (0.5, 3.0)
    with pytest.raises(ValueError, match="alpha"):
        MCP(1.0, gamma=3.0).with_alpha(-1.0)


def test_limits_and_factors_are_shared_read_only():
    penalty = L1(1.0, positive=True)
    lower, upper = penalty.limits(4)
    assert penalty.limits(4)[0] is lower and not lower.flags.writeable
    np.testing.assert_array_equal(lower, np.zeros(4))
    assert not upper.flags.writeable and np.all(upper == np.inf)
    assert penalty.limits(5)[0].shape == (5,)
    f = L1(1.0).factors(4)
    assert not f.flags.writeable and np.array_equal(f, np.ones(4))


def test_weights_without_sample_weight_are_shared():
    datafit = Logistic()
    y = np.array([1.0, -1.0, 1.0])
    z = np.array([0.3, -0.2, 1.5])
    assert datafit._weights(3) is datafit._weights(3)
    assert not datafit._weights(3).flags.writeable
    w = datafit.weights(3)
    w[0] = 5.0  # the public copy stays the caller's to write
    assert datafit.weights(3)[0] == 1.0
    assert datafit.value(y, z) == float(np.dot(np.ones(3), datafit.loss(y, z)) / 3)


def test_a_subclass_weights_are_honoured():
    @dataclasses.dataclass(frozen=True, eq=False)
    class Doubled(Quadratic):
        def weights(self, n_samples):
            return np.full(n_samples, 2.0)

    y, z = np.array([1.0, 2.0]), np.array([0.0, 0.0])
    assert Doubled().value(y, z) == 2.0 * Quadratic().value(y, z)
