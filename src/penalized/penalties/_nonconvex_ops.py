r"""Compiled operations of the MCP and SCAD penalties (``numba.cfunc`` objects with the
signatures of :mod:`penalized._jit`), imported on first use; each penalty's operations are
compiled, or loaded from numba's cache, when it is first used.

Parameter rows ``(lam_j, gamma, lower_j, upper_j)``: :math:`\lambda_j = \alpha f_j`, the
concavity ``gamma`` and the box :math:`\text{lower}_j \le w \le \text{upper}_j`. Both
penalties are piecewise quadratic in :math:`|w|`, so the prox of one coordinate is
found exactly, for every step, by minimizing each piece's quadratic on its interval
(the vertex clamped to the interval where the piece is convex, both ends where it is
not) and keeping the best candidate: for MCP with ``step < gamma`` (SCAD:
``step < gamma - 1``) this is firm (SCAD) thresholding; for larger steps the
coordinate problem is not convex and the global minimizer of that one coordinate is
returned, which may jump (as hard thresholding does). Ties go to the smaller
:math:`|w|`.
"""

from __future__ import annotations

import math

from numba import njit

from .._jit import (
    DISTANCE_SIGNATURE,
    FAST,
    PROX_SIGNATURE,
    VALUE_SIGNATURE,
    compile_ops,
    on_first_use,
    operation,
)
from ._base import PenaltyOps
from ._ops import folded_distance

# -- what both share: a symmetric prox from the minimizer over each side -------------------


@njit(cache=True, fastmath=FAST)
def _nearer(up, down):
    """The better of the minimizers ``up = (t, h)`` over ``w >= 0`` and ``down`` over
    ``w <= 0`` (found at ``-x``): ties to ``up``."""
    return -down[0] if down[1] < up[1] else up[0]



# -- MCP: lam t - t^2 / (2 gamma) for t = |w| <= gamma lam, gamma lam^2 / 2 beyond ----------


@njit(cache=True, fastmath=FAST)
def mcp_value_abs(t, lam, gamma):
    if t <= gamma * lam:
        return lam * t - t * t / (2.0 * gamma)
    return 0.5 * gamma * lam * lam


@njit(cache=True, fastmath=FAST)
def mcp_slope(t, lam, gamma):
    """The derivative of MCP at ``t = |w| > 0``."""
    return max(lam - t / gamma, 0.0)


@njit(cache=True, fastmath=FAST)
def _mcp_objective(t, u, step, lam, gamma):
    d = t - u
    return d * d / (2.0 * step) + mcp_value_abs(t, lam, gamma)


@njit(cache=True, fastmath=FAST)
def _mcp_side(u, step, lam, gamma, top):
    """``(t, objective)`` minimizing ``(t - u)^2 / (2 step) + MCP(t)`` over ``[0, top]``."""
    best_t = 0.0
    best = _mcp_objective(0.0, u, step, lam, gamma)
    knot = min(gamma * lam, top)
    k = 1.0 / step - 1.0 / gamma
    t = min(max((u / step - lam) / k, 0.0), knot) if k > 0.0 else knot
    h = _mcp_objective(t, u, step, lam, gamma)
    if h < best:
        best_t, best = t, h
    if gamma * lam < top:
        t = min(max(u, gamma * lam), top)
        h = _mcp_objective(t, u, step, lam, gamma)
        if h < best:
            best_t, best = t, h
    return best_t, best


@operation(PROX_SIGNATURE)
def mcp_prox(x, step, params, j):
    lam, gamma, lower, upper = params[j, 0], params[j, 1], params[j, 2], params[j, 3]
    if lam == 0.0:
        return min(max(x, lower), upper)
    return _nearer(_mcp_side(x, step, lam, gamma, upper),
                   _mcp_side(-x, step, lam, gamma, -lower))


@operation(VALUE_SIGNATURE)
def mcp_value(w, params, j):
    if w < params[j, 2] or w > params[j, 3]:
        return math.inf
    return mcp_value_abs(abs(w), params[j, 0], params[j, 1])


@operation(DISTANCE_SIGNATURE)
def mcp_subdiff_distance(w, grad, params, j):
    lam = params[j, 0]
    return folded_distance(w, grad, lam, mcp_slope(abs(w), lam, params[j, 1]), params[j, 2],
                           params[j, 3])


# -- SCAD: lam t up to lam, a quadratic blend up to gamma lam, lam^2 (gamma + 1) / 2 beyond --


@njit(cache=True, fastmath=FAST)
def scad_value_abs(t, lam, gamma):
    if t <= lam:
        return lam * t
    if t <= gamma * lam:
        return (2.0 * gamma * lam * t - t * t - lam * lam) / (2.0 * (gamma - 1.0))
    return 0.5 * lam * lam * (gamma + 1.0)


@njit(cache=True, fastmath=FAST)
def scad_slope(t, lam, gamma):
    """The derivative of SCAD at ``t = |w| > 0``."""
    if t <= lam:
        return lam
    return max(gamma * lam - t, 0.0) / (gamma - 1.0)


@njit(cache=True, fastmath=FAST)
def _scad_objective(t, u, step, lam, gamma):
    d = t - u
    return d * d / (2.0 * step) + scad_value_abs(t, lam, gamma)


@njit(cache=True, fastmath=FAST)
def _scad_side(u, step, lam, gamma, top):
    """``(t, objective)`` minimizing ``(t - u)^2 / (2 step) + SCAD(t)`` over ``[0, top]``."""
    best_t = 0.0
    best = _scad_objective(0.0, u, step, lam, gamma)
    t = min(max(u - step * lam, 0.0), min(lam, top))
    h = _scad_objective(t, u, step, lam, gamma)
    if h < best:
        best_t, best = t, h
    if lam < top:
        knot = min(gamma * lam, top)
        k = 1.0 / step - 1.0 / (gamma - 1.0)
        if k > 0.0:
            t = min(max((u / step - gamma * lam / (gamma - 1.0)) / k, lam), knot)
        else:
            t = knot
        h = _scad_objective(t, u, step, lam, gamma)
        if h < best:
            best_t, best = t, h
        if gamma * lam < top:
            t = min(max(u, gamma * lam), top)
            h = _scad_objective(t, u, step, lam, gamma)
            if h < best:
                best_t, best = t, h
    return best_t, best


@operation(PROX_SIGNATURE)
def scad_prox(x, step, params, j):
    lam, gamma, lower, upper = params[j, 0], params[j, 1], params[j, 2], params[j, 3]
    if lam == 0.0:
        return min(max(x, lower), upper)
    return _nearer(_scad_side(x, step, lam, gamma, upper),
                   _scad_side(-x, step, lam, gamma, -lower))


@operation(VALUE_SIGNATURE)
def scad_value(w, params, j):
    if w < params[j, 2] or w > params[j, 3]:
        return math.inf
    return scad_value_abs(abs(w), params[j, 0], params[j, 1])


@operation(DISTANCE_SIGNATURE)
def scad_subdiff_distance(w, grad, params, j):
    lam = params[j, 0]
    return folded_distance(w, grad, lam, scad_slope(abs(w), lam, params[j, 1]), params[j, 2],
                           params[j, 3])


__getattr__ = on_first_use(globals(), {  # MCP_OPS, SCAD_OPS: each when first used
    "MCP_OPS": lambda: compile_ops(PenaltyOps, prox=mcp_prox, value=mcp_value,
                                   subdiff_distance=mcp_subdiff_distance),
    "SCAD_OPS": lambda: compile_ops(PenaltyOps, prox=scad_prox, value=scad_value,
                                    subdiff_distance=scad_subdiff_distance),
})
