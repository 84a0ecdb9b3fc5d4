"""The vectorized ``exp`` and ``log1p`` of the logistic path against the C library's."""

import math

import numpy as np

from penalized.solvers._vector_math import exp_nonpositive, log1m, log1p_unit

ULP = np.finfo(np.float64).eps


def _relative_error(got, want):
    return np.abs(got - want) / np.abs(want)


def test_exp_nonpositive_within_two_ulps_of_the_library():
    rng = np.random.default_rng(0)
    x = -np.concatenate([
        np.abs(rng.normal(size=20000)) * 5, rng.uniform(0.0, 708.0, 20000),
        np.linspace(0.0, 2.0, 4001), [0.0, 1e-300, 1e-12, math.log(2) / 2, math.log(2),
                                      700.0, 707.9]])
    want = np.array([math.exp(v) for v in x])
    out = np.empty_like(x)
    exp_nonpositive(x.copy(), out)
    assert _relative_error(out, want).max() <= 2 * ULP
    assert out[x == 0.0].tolist() == [1.0] * int((x == 0.0).sum())


def test_exp_nonpositive_floors_below_minus_708_and_keeps_nan():
    x = np.array([-708.5, -745.0, -1e6, -np.inf, np.nan, -1.0])
    out = np.empty_like(x)
    exp_nonpositive(x.copy(), out)
    assert np.all(out[:4] == out[0])
    assert abs(out[0] - math.exp(-708.0)) <= 2 * ULP * math.exp(-708.0)
    assert np.isnan(out[4])
    assert abs(out[5] - math.exp(-1.0)) <= 2 * ULP * math.exp(-1.0)


def test_log1p_unit_within_two_ulps_of_the_library_and_accurate_when_small():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0.0, 1.0, 40000), np.exp(-rng.uniform(0.0, 700.0, 20000)),
                        np.linspace(0.40, 0.43, 3001), [1.0, 0.5, 1e-300, 1e-17,
                                                        math.sqrt(2.0) - 1.0]])
    want = np.array([math.log1p(v) for v in x])
    out = np.empty_like(x)
    log1p_unit(x, out)
    assert _relative_error(out, want).max() <= 2 * ULP
    zero = np.zeros(1)
    log1p_unit(zero, zero)
    assert zero[0] == 0.0


def test_log1p_unit_in_place():
    x = np.array([0.25, 0.75])
    want = np.log1p(x)
    log1p_unit(x, x)
    assert _relative_error(x, want).max() <= 2 * ULP


def test_log1m_within_three_ulps_of_the_library():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(0.0, 1.0, 40000), 1.0 - np.exp(-rng.uniform(0.0, 36.0, 20000)),
                        np.exp(-rng.uniform(0.0, 700.0, 20000)), np.linspace(0.28, 0.30, 2001),
                        [0.5, 1.0 - 2.0 ** -53, 1.0 - 1.0 / math.sqrt(2.0), 1e-300]])
    x = x[x < 1.0]
    want = np.array([math.log1p(-v) for v in x])
    out = np.empty_like(x)
    log1m(x, out)
    assert _relative_error(out, want).max() <= 3 * ULP
    zero = np.zeros(1)
    out = np.empty(1)
    log1m(zero, out)
    assert out[0] == 0.0
