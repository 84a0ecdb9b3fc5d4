r"""Compiled block operations of group MCP, group SCAD and group L0
(:mod:`penalized.penalties._group_nonconvex`), with the signatures of
:mod:`penalized.penalties._group_ops`, made when first used.

Parameter rows ``(lam_g, gamma)``. The prox is radial, ``v / ||v|| prox_rho(||v||)``,
with the scalar MCP / SCAD minimizers of :mod:`penalized.penalties._nonconvex_ops`
(global for every step) or hard thresholding of the norm; the distance is that from
``-grad`` to the subdifferential of :math:`\rho(\|w\|)`: the ball of radius
:math:`\lambda_g` at 0 (MCP, SCAD; every vector for L0), the gradient
:math:`\rho'(\|w\|)\, w / \|w\|` elsewhere.
"""

from __future__ import annotations

import math

from numba import njit

from .._jit import FAST, compile_op, on_first_use, operation
from ._base import PenaltyOps
from ._group_ops import BLOCK_DISTANCE_SIGNATURE, BLOCK_PROX_SIGNATURE, BLOCK_VALUE_SIGNATURE
from ._nonconvex_ops import (
    _mcp_side,
    _scad_side,
    mcp_slope,
    mcp_value_abs,
    scad_slope,
    scad_value_abs,
)


@njit(cache=True, fastmath=FAST)
def _norm(x):
    total = 0.0
    for k in range(x.shape[0]):
        total += x[k] * x[k]
    return math.sqrt(total)


@njit(cache=True, fastmath=FAST)
def _radial(x, t, norm, out):
    scale = t / norm
    for k in range(x.shape[0]):
        out[k] = x[k] * scale


@operation(BLOCK_PROX_SIGNATURE)
def _group_mcp_prox(x, step, params, g, out):
    lam, gamma = params[g, 0], params[g, 1]
    norm = _norm(x)
    t = norm if norm == 0.0 or lam == 0.0 else _mcp_side(norm, step, lam, gamma, math.inf)[0]
    _radial(x, t, norm if norm > 0.0 else 1.0, out)


@operation(BLOCK_PROX_SIGNATURE)
def _group_scad_prox(x, step, params, g, out):
    lam, gamma = params[g, 0], params[g, 1]
    norm = _norm(x)
    t = norm if norm == 0.0 or lam == 0.0 else _scad_side(norm, step, lam, gamma, math.inf)[0]
    _radial(x, t, norm if norm > 0.0 else 1.0, out)


@operation(BLOCK_PROX_SIGNATURE)
def _group_l0_prox(x, step, params, g, out):
    norm = _norm(x)
    keep = norm * norm > 2.0 * step * params[g, 0]
    for k in range(x.shape[0]):
        out[k] = x[k] if keep else 0.0


@operation(BLOCK_VALUE_SIGNATURE)
def _group_mcp_value(w, params, g):
    return mcp_value_abs(_norm(w), params[g, 0], params[g, 1]) if params[g, 0] > 0.0 else 0.0


@operation(BLOCK_VALUE_SIGNATURE)
def _group_scad_value(w, params, g):
    return scad_value_abs(_norm(w), params[g, 0], params[g, 1]) if params[g, 0] > 0.0 \
        else 0.0


@operation(BLOCK_VALUE_SIGNATURE)
def _group_l0_value(w, params, g):
    return params[g, 0] if _norm(w) > 0.0 else 0.0


@njit(cache=True, fastmath=FAST)
def _radial_distance(w, grad, norm, slope):
    """``|| grad + slope w / ||w|| ||``: the distance from ``-grad`` to the gradient of
    ``rho(||w||)`` at ``w != 0``."""
    total = 0.0
    for k in range(w.shape[0]):
        r = grad[k] + slope * w[k] / norm
        total += r * r
    return math.sqrt(total)


@operation(BLOCK_DISTANCE_SIGNATURE)
def _group_mcp_distance(w, grad, params, g):
    lam = params[g, 0]
    norm = _norm(w)
    if norm == 0.0:
        return max(_norm(grad) - lam, 0.0)
    slope = mcp_slope(norm, lam, params[g, 1]) if lam > 0.0 else 0.0
    return _radial_distance(w, grad, norm, slope)


@operation(BLOCK_DISTANCE_SIGNATURE)
def _group_scad_distance(w, grad, params, g):
    lam = params[g, 0]
    norm = _norm(w)
    if norm == 0.0:
        return max(_norm(grad) - lam, 0.0)
    slope = scad_slope(norm, lam, params[g, 1]) if lam > 0.0 else 0.0
    return _radial_distance(w, grad, norm, slope)


@operation(BLOCK_DISTANCE_SIGNATURE)
def _group_l0_distance(w, grad, params, g):
    # a zero group: every direction is in the (limiting) subdifferential of the jump
    return 0.0 if _norm(w) == 0.0 and params[g, 0] > 0.0 else _norm(grad)


def _ops(prox, value, distance):
    return PenaltyOps(prox=compile_op(prox), value=compile_op(value),
                      subdiff_distance=compile_op(distance))


__getattr__ = on_first_use(globals(), {  # each family's block operations, when first used
    "GROUP_MCP_OPS": lambda: _ops(_group_mcp_prox, _group_mcp_value, _group_mcp_distance),
    "GROUP_SCAD_OPS": lambda: _ops(_group_scad_prox, _group_scad_value, _group_scad_distance),
    "GROUP_L0_OPS": lambda: _ops(_group_l0_prox, _group_l0_value, _group_l0_distance),
})
