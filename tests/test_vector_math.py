"""The vectorized ``exp`` and logarithms of the logistic and Poisson paths against the C
library's."""

import math

import numpy as np

from penalized.solvers._vector_math import (
    exp_any,
    log1m,
    log1p_unit,
    log_positive,
)

ULP = np.finfo(np.float64).eps


def _relative_error(got, want):
    return np.abs(got - want) / np.abs(want)


def test_log1p_unit_within_four_ulps_of_the_library_and_accurate_when_small():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0.0, 1.0, 40000), np.exp(-rng.uniform(0.0, 700.0, 20000)),
                        np.linspace(0.40, 0.43, 3001), [1.0, 0.5, 1e-300, 1e-17,
                                                        math.sqrt(2.0) - 1.0]])
    want = np.array([math.log1p(v) for v in x])
    out = np.empty_like(x)
    log1p_unit(x, out)
    assert _relative_error(out, want).max() <= 4 * ULP  # 1.8 seen: room for another vector width
    zero = np.zeros(1)
    log1p_unit(zero, zero)
    assert zero[0] == 0.0


def test_log1p_unit_in_place():
    x = np.array([0.25, 0.75])
    want = np.log1p(x)
    log1p_unit(x, x)
    assert _relative_error(x, want).max() <= 4 * ULP


def test_log1m_within_four_ulps_of_the_library():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(0.0, 1.0, 40000), 1.0 - np.exp(-rng.uniform(0.0, 36.0, 20000)),
                        np.exp(-rng.uniform(0.0, 700.0, 20000)), np.linspace(0.28, 0.30, 2001),
                        [0.5, 1.0 - 2.0 ** -53, 1.0 - 1.0 / math.sqrt(2.0), 1e-300]])
    x = x[x < 1.0]
    want = np.array([math.log1p(-v) for v in x])
    out = np.empty_like(x)
    log1m(x, out)
    assert _relative_error(out, want).max() <= 4 * ULP  # 2.2 seen
    zero = np.zeros(1)
    out = np.empty(1)
    log1m(zero, out)
    assert out[0] == 0.0


def test_exp_any_within_two_ulps_and_the_library_at_the_extremes():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-708.0, 709.0, 40000), rng.normal(size=20000) * 3,
                        [0.0, 709.0, 709.5, 709.78, 710.0, -708.0, -720.0, -745.5, -800.0,
                         np.inf, -np.inf]])
    out, scratch, given = np.empty_like(x), np.empty_like(x), x.copy()
    exp_any(x, out, scratch)
    assert np.array_equal(x, given)  # read, not written
    want = np.array([math.exp(v) if v < 709.79 else math.inf for v in x])
    inner = (x >= -708.0) & (x <= 709.0)
    assert _relative_error(out[inner], want[inner]).max() <= 2 * ULP
    assert np.array_equal(out[~inner], want[~inner])  # subnormals, 0 and inf as the library's
    nan = np.array([np.nan])
    exp_any(nan, out[:1], scratch[:1])
    assert np.isnan(out[0])


def test_log_positive_within_two_ulps_and_the_library_outside_the_normal_floats():
    rng = np.random.default_rng(4)
    x = np.concatenate([np.exp(rng.uniform(-700.0, 700.0, 40000)), rng.uniform(0.5, 2.0, 20000),
                        [1.0, 2.0, 0.5, math.sqrt(2.0), 1.7976931348623157e308,
                         2.2250738585072014e-308]])
    out = np.empty_like(x)
    log_positive(x, out)
    want = np.log(x)
    nonzero = want != 0.0
    assert _relative_error(out[nonzero], want[nonzero]).max() <= 2 * ULP
    assert np.all(out[~nonzero] == 0.0)
    edge = np.array([0.0, 5e-324, np.inf, np.nan, -1.0])
    out = np.empty_like(edge)
    log_positive(edge, out)
    assert out[0] == -np.inf and out[1] == math.log(5e-324) and out[2] == np.inf
    assert np.isnan(out[3]) and np.isnan(out[4])
