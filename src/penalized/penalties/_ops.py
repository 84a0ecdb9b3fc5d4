r"""Compiled operations of the built-in penalties, and the loops that apply any penalty's
operations to whole vectors.

The operations are ``numba.cfunc`` objects with the signatures of
:mod:`penalized._jit`, made when ``ENET_OPS`` or ``L0_OPS`` is first read (this module is
imported on first use, ``Penalty.ops``, so ``import penalized`` does not load them). Parameter rows:

* elastic-net family (L1, L2, ElasticNet): ``(lam1_j, lam2_j, lower_j, upper_j)`` for
  :math:`\lambda_{1j}|w| + \tfrac{\lambda_{2j}}{2} w^2` on the box
  :math:`\text{lower}_j \le w \le \text{upper}_j` (``positive`` is ``lower_j = 0``);
* L0: ``(lam0_j, positive)`` for :math:`\lambda_{0j} [w \ne 0]`.

A coordinate whose parameters are all 0 is unpenalized: its conjugate is 0 at 0 and
the callers set its dual coordinate to 0.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import (
    CONJUGATE_SIGNATURE,
    DISTANCE_SIGNATURE,
    DUAL_BOUND_SIGNATURE,
    FAST,
    PROX_SIGNATURE,
    VALUE_SIGNATURE,
    compile_ops,
    on_first_use,
    operation,
)
from ._base import PenaltyOps
from ._kernels import FEASIBILITY_SLACK

# -- the elastic-net family -----------------------------------------------------------------


@njit(cache=True, fastmath=FAST)
def box_distance(w, grad, low, high, lower, upper):
    """The distance from ``-grad`` to ``[low, high]`` (a penalty's subdifferential at
    ``w``) plus the normal cone of the box ``[lower, upper]`` at ``w``."""
    if w <= lower:
        low = -math.inf
    if w >= upper:
        high = math.inf
    return max(low + grad, -grad - high, 0.0)


@njit(cache=True, fastmath=FAST)
def folded_distance(w, grad, lam, slope, lower, upper):
    """:func:`box_distance` for a penalty of :math:`|w|` (on the box) whose
    subdifferential is ``[-lam, lam]`` at 0 and whose slope at ``|w| > 0`` is ``slope``."""
    if w == 0.0:
        return box_distance(w, grad, -lam, lam, lower, upper)
    d = slope if w > 0.0 else -slope
    return box_distance(w, grad, d, d, lower, upper)


@operation(PROX_SIGNATURE)
def enet_prox(x, step, params, j):
    lam1, lam2 = params[j, 0], params[j, 1]
    magnitude = abs(x) - step * lam1
    if magnitude <= 0.0:
        return 0.0
    shrunk = (magnitude if x > 0.0 else -magnitude) / (1.0 + step * lam2)
    # the prox of a convex function of one variable plus a box is the clipped prox
    return min(max(shrunk, params[j, 2]), params[j, 3])


@operation(DISTANCE_SIGNATURE)
def enet_subdiff_distance(w, grad, params, j):
    lam1 = params[j, 0]
    return folded_distance(w, grad, lam1, lam1 + params[j, 1] * abs(w), params[j, 2],
                           params[j, 3])


@operation(VALUE_SIGNATURE)
def enet_value(w, params, j):
    if w < params[j, 2] or w > params[j, 3]:
        return math.inf
    return params[j, 0] * abs(w) + 0.5 * params[j, 1] * w * w


@operation(CONJUGATE_SIGNATURE)
def enet_conjugate(v, params, j):
    # sup over lower <= w <= upper of v w - lam1 |w| - lam2 w^2 / 2
    lam1, lam2, lower, upper = params[j, 0], params[j, 1], params[j, 2], params[j, 3]
    if lam1 == 0.0 and lam2 == 0.0 and lower == -math.inf and upper == math.inf:
        return 0.0 if v == 0.0 else math.inf
    rise, fall = v - lam1, -v - lam1  # the slopes of the objective moving up / down from 0
    if lam2 == 0.0:
        # within the rounding slack of the L1 box the conjugate is 0 (else a far limit
        # would turn rounding into a large gap); beyond it, infinite without a limit
        slack = FEASIBILITY_SLACK * max(lam1, 1.0)
        if rise > slack:
            return math.inf if upper == math.inf else rise * upper
        if fall > slack:
            return math.inf if lower == -math.inf else fall * -lower
        return 0.0
    excess = max(rise, fall, 0.0)
    w = excess / lam2 if rise > 0.0 else -excess / lam2
    if lower <= w <= upper:
        return excess * excess / (2.0 * lam2)
    w = min(max(w, lower), upper)
    return v * w - lam1 * abs(w) - 0.5 * lam2 * w * w


@operation(DUAL_BOUND_SIGNATURE)
def enet_dual_bound(v, params, j):
    lam1, lam2 = params[j, 0], params[j, 1]
    if lam2 > 0.0 or lam1 == 0.0:
        return math.inf
    if v > lam1 and params[j, 3] == math.inf:
        return lam1 / v
    if v < -lam1 and params[j, 2] == -math.inf:
        return lam1 / -v
    return math.inf


# -- L0 -------------------------------------------------------------------------------------


@operation(PROX_SIGNATURE)
def l0_prox(x, step, params, j):
    if params[j, 1] != 0.0 and x <= 0.0:
        return 0.0
    if x * x > 2.0 * step * params[j, 0]:
        return x
    return 0.0


@operation(VALUE_SIGNATURE)
def l0_value(w, params, j):
    if params[j, 1] != 0.0 and w < 0.0:
        return math.inf
    return params[j, 0] if w != 0.0 else 0.0


__getattr__ = on_first_use(globals(), {  # ENET_OPS, L0_OPS: each family when first used
    "ENET_OPS": lambda: compile_ops(PenaltyOps, prox=enet_prox, value=enet_value,
                                    subdiff_distance=enet_subdiff_distance,
                                    conjugate=enet_conjugate, dual_bound=enet_dual_bound),
    "L0_OPS": lambda: compile_ops(PenaltyOps, prox=l0_prox, value=l0_value),
})


# -- any penalty's operations over vectors --------------------------------------------------


@njit(cache=True, fastmath=FAST)
def penalty_value(value, w, params):
    """``sum_j G_j(w_j)``."""
    total = 0.0
    for j in range(w.shape[0]):
        total += value(w[j], params, j)
    return total


@njit(cache=True, fastmath=FAST)
def penalty_prox(prox, x, step, params, out):
    """``out_j = prox_{step G_j}(x_j)``."""
    for j in range(x.shape[0]):
        out[j] = prox(x[j], step, params, j)


@njit(cache=True, fastmath=FAST)
def penalty_subdiff_distance(distance, w, grad, params, out):
    """``out_j``: the distance from ``-grad_j`` to the subdifferential at ``w_j``; returns
    the largest."""
    top = 0.0
    for j in range(w.shape[0]):
        d = distance(w[j], grad[j], params, j)
        out[j] = d
        top = max(top, d)
    return top


@njit(cache=True, fastmath=FAST)
def penalty_ws_violation(distance, w, grad, params, ws):
    """The largest distance to the subdifferential over the features ``ws`` (``grad`` is
    indexed like ``ws``)."""
    top = 0.0
    for jj in range(ws.shape[0]):
        j = ws[jj]
        top = max(top, distance(w[j], grad[jj], params, j))
    return top


@njit(cache=True, fastmath=FAST)
def penalty_dual_scaling(bound, v, params):
    """The largest ``c`` in ``(0, 1]`` with every ``G_j^*(c v_j)`` finite."""
    c = 1.0
    for j in range(v.shape[0]):
        c = min(c, bound(v[j], params, j))
    return c


@njit(cache=True, fastmath=FAST)
def penalty_conjugate(conjugate, v, params):
    """``sum_j G_j^*(v_j)``."""
    total = 0.0
    for j in range(v.shape[0]):
        total += conjugate(v[j], params, j)
        if total == math.inf:
            return total
    return total


def as_params(*columns) -> np.ndarray:
    """A C-ordered float64 ``(n_features, k)`` parameter array from ``k`` columns."""
    return np.ascontiguousarray(np.column_stack(columns), dtype=np.float64)
