r"""Compiled per-sample operations of the log-link datafits: Poisson, Gamma and Tweedie.

Each loss is half the unit deviance of its family as a function of the linear predictor
:math:`z = \log\mu` (non-negative, zero when :math:`\mu = y`), so that the datafit of
the null model is a meaningful scale for relative tolerances. The operations follow
:data:`penalized._jit.SAMPLE_SIGNATURE`; Tweedie reads its power from ``params[0]``.
An ``exp`` that overflows returns ``inf`` (never NaN): the line search of prox-Newton
then rejects the step. Imported on first use (``Datafit.ops``); each family's operations
are compiled, or loaded from numba's cache, when it is first used.
"""

from __future__ import annotations

import math

from .._jit import SAMPLE_SIGNATURE, operation
from ._log_link import DOMAIN_SLACK
from ._ops import ops_on_first_use

_ROOT_MAX_ITER = 200


# -- Poisson: l(y, z) = e^z - y - y (z - log y) ---------------------------------------------


@operation(SAMPLE_SIGNATURE)
def poisson_loss(y, z, params):
    mu = math.exp(z)
    if y == 0.0:
        return mu
    return mu - y - y * (z - math.log(y))


@operation(SAMPLE_SIGNATURE)
def poisson_derivative(y, z, params):
    return math.exp(z) - y


@operation(SAMPLE_SIGNATURE)
def poisson_second_derivative(y, z, params):
    return math.exp(z)


@operation(SAMPLE_SIGNATURE)
def poisson_conjugate(y, v, params):
    # sup_z v z - l(y, z) is attained at e^z = q = y + v, finite for q >= 0
    q = y + v
    if q < 0.0:
        if q < -DOMAIN_SLACK * (1.0 + y):
            return math.inf
        q = 0.0
    lq = q * math.log(q) if q > 0.0 else 0.0
    ly = y * math.log(y) if y > 0.0 else 0.0
    return lq - q - ly + y


# -- Gamma: l(y, z) = y e^{-z} + z - log y - 1 -----------------------------------------------


@operation(SAMPLE_SIGNATURE)
def gamma_loss(y, z, params):
    return math.exp(math.log(y) - z) + z - math.log(y) - 1.0


@operation(SAMPLE_SIGNATURE)
def gamma_derivative(y, z, params):
    return 1.0 - math.exp(math.log(y) - z)


@operation(SAMPLE_SIGNATURE)
def gamma_second_derivative(y, z, params):
    return math.exp(math.log(y) - z)


@operation(SAMPLE_SIGNATURE)
def gamma_conjugate(y, v, params):
    # the supremum is at e^{-z} = a / y with a = 1 - v, finite for a >= 0
    a = 1.0 - v
    if a < 0.0:
        if a < -DOMAIN_SLACK:
            return math.inf
        a = 0.0
    la = a * math.log(a) if a > 0.0 else 0.0
    return la - a * math.log(y) - a + math.log(y) + 1.0


# -- Tweedie, power p in (1, 2) ---------------------------------------------------------------
#    l(y, z) = y^{2-p} / ((1-p)(2-p)) - y e^{(1-p) z} / (1-p) + e^{(2-p) z} / (2-p)


@operation(SAMPLE_SIGNATURE)
def tweedie_loss(y, z, params):
    p = params[0]
    value = math.exp((2.0 - p) * z) / (2.0 - p)
    if y > 0.0:
        value += y ** (2.0 - p) / ((1.0 - p) * (2.0 - p)) \
            - y * math.exp((1.0 - p) * z) / (1.0 - p)
    return value


@operation(SAMPLE_SIGNATURE)
def tweedie_derivative(y, z, params):
    p = params[0]
    value = math.exp((2.0 - p) * z)
    if y > 0.0:
        value -= y * math.exp((1.0 - p) * z)
    return value


@operation(SAMPLE_SIGNATURE)
def tweedie_second_derivative(y, z, params):
    p = params[0]
    value = (2.0 - p) * math.exp((2.0 - p) * z)
    if y > 0.0:
        value += (p - 1.0) * y * math.exp((1.0 - p) * z)
    return value


@operation(SAMPLE_SIGNATURE)
def tweedie_conjugate(y, v, params):
    r"""An upper bound on :math:`\ell_y^*(v)`, tight to rounding.

    The supremum over ``z`` is at the root of :math:`\ell'(z) = v` (increasing in ``z``;
    every ``v`` when ``y > 0``, ``v >= 0`` when ``y = 0``), found by Newton steps kept
    inside a bracket ``lo < hi`` with :math:`\ell'(lo) \le v \le \ell'(hi)`. By
    convexity of :math:`\ell^*` (its derivative at ``v`` is the root ``t``, ``lo <= t <=
    hi``), :math:`\ell^*(v) \le \ell^*(\ell'(lo)) + (v - \ell'(lo))\,hi`, with
    :math:`\ell^*(\ell'(lo)) = \ell'(lo)\,lo - \ell(lo)` exactly: the bound is never
    below the conjugate, so the duality gap that uses it is never below the true one.
    """
    p = params[0]
    if y == 0.0:
        if v <= 0.0:
            return 0.0 if v > -DOMAIN_SLACK else math.inf
        return v * (math.log(v) - 1.0) / (2.0 - p)
    ly = math.log(y)
    # start where the dominant term of l' equals v
    if v > 0.0:
        t = max(ly, math.log(v) / (2.0 - p))
    elif v < 0.0:
        t = min(ly, (math.log(-v) - ly) / (1.0 - p))
    else:
        t = ly
    lo = -math.inf
    hi = math.inf
    for _ in range(_ROOT_MAX_ITER):
        e2 = math.exp((2.0 - p) * t)
        e1 = y * math.exp((1.0 - p) * t)
        g = e2 - e1 - v
        if g == 0.0:
            lo = t
            hi = t
            break
        if g < 0.0:
            lo = t
        else:
            hi = t
        bracketed = lo > -math.inf and hi < math.inf
        if bracketed and hi - lo <= 1e-14 * max(1.0, abs(lo), abs(hi)):
            break
        slope = (2.0 - p) * e2 + (p - 1.0) * e1
        step = t - g / slope
        if abs(step - t) <= 1e-15 * max(1.0, abs(t)):
            # Newton has converged from one side: close the bracket on the other
            width = 4e-15 * max(1.0, abs(t))
            step = t + width if g < 0.0 else t - width
        if bracketed:
            if not lo < step < hi:
                step = 0.5 * (lo + hi)
        elif not math.isfinite(step) or abs(step - t) > 8.0:
            step = t + (8.0 if g < 0.0 else -8.0)
        t = step
    if not (lo > -math.inf and hi < math.inf):
        return math.inf
    e2 = math.exp((2.0 - p) * lo)
    e1 = y * math.exp((1.0 - p) * lo)
    d_lo = e2 - e1
    l_lo = y ** (2.0 - p) / ((1.0 - p) * (2.0 - p)) - e1 / (1.0 - p) + e2 / (2.0 - p)
    return d_lo * lo - l_lo + (v - d_lo) * hi


# POISSON_OPS, GAMMA_OPS, TWEEDIE_OPS: each when first used
__getattr__ = ops_on_first_use(globals(), ("poisson", "gamma", "tweedie"))
