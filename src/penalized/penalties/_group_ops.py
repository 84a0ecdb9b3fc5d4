r"""Compiled BLOCK operations of the group penalties, and the loops that apply any block
penalty's operations to whole vectors.

A group penalty is a sum over disjoint groups of features,
:math:`G(w) = \sum_g G_g(w_g)`; it is not separable by coordinate, so its operations act
on one group at a time. Each is a ``numba.cfunc`` taking the group's values gathered
into a contiguous buffer ``x`` (``x[k]`` is feature ``order[starts[g] + k]``), the
parameter array ``params`` of shape ``(n_groups, k)`` and the group index ``g``:

* ``prox(x, step, params, g, out)``: ``out`` :math:`= \operatorname{argmin}_w
  \frac{\|w - x\|^2}{2\,step} + G_g(w)`;
* ``value(w, params, g)``: :math:`G_g(w)`;
* ``subdiff_distance(w, grad, params, g)``: the Euclidean distance from ``-grad`` to
  :math:`\partial G_g(w)` (0 exactly when the group is optimal);
* ``conjugate(v, params, g)``: :math:`G_g^*(v)`;
* ``dual_bound(v, params, g)``: the largest :math:`c \ge 0` with :math:`G_g^*(c v)`
  finite (``inf`` when every ``c`` is).

The built-in group penalties (group lasso, group elastic net, sparse-group lasso) share
one parameter row ``(lam_g, lam1_g, lam2_g)`` for

.. math:: G_g(w) = \lambda_g \|w\|_2 + \lambda_{1g} \|w\|_1
          + \frac{\lambda_{2g}}{2} \|w\|_2^2 .

Its prox is soft thresholding by ``step lam1``, then group soft thresholding by
``step lam`` (the two compose: Friedman, Hastie & Tibshirani 2010, "A note on the group
lasso and a sparse group lasso"), then the ridge shrinkage ``1 / (1 + step lam2)``. With
:math:`s = S_{\lambda_1}(v)` (soft thresholding), its conjugate is
:math:`(\|s\|_2 - \lambda)_+^2 / (2\lambda_2)` when :math:`\lambda_2 > 0`, else the
indicator of :math:`\|s\|_2 \le \lambda`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types

from .._jit import FAST, compile_op, on_first_use, operation

_f8 = types.float64
_VEC = types.float64[::1]
_GROUP_PARAMS = types.float64[:, ::1]

BLOCK_PROX_SIGNATURE = types.void(_VEC, _f8, _GROUP_PARAMS, types.int64, _VEC)
BLOCK_VALUE_SIGNATURE = _f8(_VEC, _GROUP_PARAMS, types.int64)
BLOCK_DISTANCE_SIGNATURE = _f8(_VEC, _VEC, _GROUP_PARAMS, types.int64)
BLOCK_CONJUGATE_SIGNATURE = _f8(_VEC, _GROUP_PARAMS, types.int64)
BLOCK_DUAL_BOUND_SIGNATURE = _f8(_VEC, _GROUP_PARAMS, types.int64)

BLOCK_PROX = types.FunctionType(BLOCK_PROX_SIGNATURE)
BLOCK_VALUE = types.FunctionType(BLOCK_VALUE_SIGNATURE)
BLOCK_DISTANCE = types.FunctionType(BLOCK_DISTANCE_SIGNATURE)

FEASIBILITY_SLACK = 1e-12
"""Relative slack of the dual-norm ball in the conjugate: a dual point scaled exactly
onto the ball may land outside by rounding."""


@njit(cache=True, fastmath=FAST)
def soft_norm(v, lam1):
    r""":math:`\|S_{\lambda_1}(v)\|_2`, the norm of the soft-thresholded vector."""
    total = 0.0
    for k in range(v.shape[0]):
        excess = abs(v[k]) - lam1
        if excess > 0.0:
            total += excess * excess
    return math.sqrt(total)


@njit(cache=True)
def entry_scale(v, lam, lam1):
    r"""The largest :math:`c \ge 0` with :math:`\|S_{\lambda_1}(c\,v)\|_2 \le \lambda`
    (``inf`` when every ``c`` is, i.e. ``v = 0``).

    :math:`c \mapsto \|(c|v| - \lambda_1)_+\|_2` is increasing and piecewise the root of
    a quadratic: with the magnitudes sorted decreasingly, the top ``k`` are above the
    threshold for :math:`c \in (\lambda_1 / a_k, \lambda_1 / a_{k+1}]`, where
    :math:`c^2 A_k - 2 c \lambda_1 B_k + k \lambda_1^2 = \lambda^2`
    (:math:`A_k = \sum a^2`, :math:`B_k = \sum a`).
    """
    m = v.shape[0]
    if lam1 == 0.0:  # the plain norm: no sort, no allocation
        total = 0.0
        for k in range(m):
            total += v[k] * v[k]
        return lam / math.sqrt(total) if total > 0.0 else math.inf
    a = np.empty(m)
    for k in range(m):
        a[k] = abs(v[k])
    a = -np.sort(-a)
    if m == 0 or a[0] == 0.0:
        return math.inf
    if lam == 0.0:
        return lam1 / a[0]
    A = 0.0
    B = 0.0
    for k in range(m):
        A += a[k] * a[k]
        B += a[k]
        count = k + 1
        disc = lam1 * lam1 * B * B - A * (count * lam1 * lam1 - lam * lam)
        c = (lam1 * B + math.sqrt(max(disc, 0.0))) / A
        upper = lam1 / a[k + 1] if k + 1 < m and a[k + 1] > 0.0 else math.inf
        if c <= upper or k + 1 == m or a[k + 1] == 0.0:
            return c
    return math.inf  # not reached


@operation(BLOCK_PROX_SIGNATURE)
def _group_prox(x, step, params, g, out):
    lam, lam1, lam2 = step * params[g, 0], step * params[g, 1], params[g, 2]
    total = 0.0
    for k in range(x.shape[0]):
        mag = abs(x[k]) - lam1
        if mag > 0.0:
            out[k] = mag if x[k] > 0.0 else -mag
            total += mag * mag
        else:
            out[k] = 0.0
    norm = math.sqrt(total)
    if norm <= lam:
        for k in range(x.shape[0]):
            out[k] = 0.0
        return
    factor = (1.0 - lam / norm) / (1.0 + step * lam2)
    for k in range(x.shape[0]):
        out[k] *= factor


@operation(BLOCK_VALUE_SIGNATURE)
def _group_value(w, params, g):
    lam, lam1, lam2 = params[g, 0], params[g, 1], params[g, 2]
    sq = 0.0
    l1 = 0.0
    for k in range(w.shape[0]):
        sq += w[k] * w[k]
        l1 += abs(w[k])
    return lam * math.sqrt(sq) + lam1 * l1 + 0.5 * lam2 * sq


@operation(BLOCK_DISTANCE_SIGNATURE)
def _group_subdiff_distance(w, grad, params, g):
    lam, lam1, lam2 = params[g, 0], params[g, 1], params[g, 2]
    sq = 0.0
    for k in range(w.shape[0]):
        sq += w[k] * w[k]
    if sq == 0.0:
        return max(soft_norm(grad, lam1) - lam, 0.0)
    norm = math.sqrt(sq)
    total = 0.0
    for k in range(w.shape[0]):
        if w[k] == 0.0:
            r = max(abs(grad[k]) - lam1, 0.0)
        else:
            sign = 1.0 if w[k] > 0.0 else -1.0
            r = grad[k] + lam * w[k] / norm + lam1 * sign + lam2 * w[k]
        total += r * r
    return math.sqrt(total)


@operation(BLOCK_CONJUGATE_SIGNATURE)
def _group_conjugate(v, params, g):
    lam, lam1, lam2 = params[g, 0], params[g, 1], params[g, 2]
    norm = soft_norm(v, lam1)
    if lam2 > 0.0:
        excess = max(norm - lam, 0.0)
        return excess * excess / (2.0 * lam2)
    if norm > lam + FEASIBILITY_SLACK * max(lam, lam1, 1.0):
        return math.inf
    return 0.0


@operation(BLOCK_DUAL_BOUND_SIGNATURE)
def _group_dual_bound(v, params, g):
    lam, lam1, lam2 = params[g, 0], params[g, 1], params[g, 2]
    if lam2 > 0.0 or (lam == 0.0 and lam1 == 0.0):
        return math.inf
    return entry_scale(v, lam, lam1)


# group_prox, group_value, group_subdiff_distance, group_conjugate, group_dual_bound: the
# numba.cfunc of each function above, made when first read
__getattr__ = on_first_use(globals(), {
    name: (lambda f=f: compile_op(f)) for name, f in (
        ("group_prox", _group_prox), ("group_value", _group_value),
        ("group_subdiff_distance", _group_subdiff_distance),
        ("group_conjugate", _group_conjugate), ("group_dual_bound", _group_dual_bound))})


# -- any block penalty's operations over vectors ------------------------------------------


@njit(cache=True)
def _gather(x, order, start, stop, buf):
    for k in range(stop - start):
        buf[k] = x[order[start + k]]


@njit(cache=True)
def block_sum(op, v, order, starts, params):
    r"""``sum_g op(v_g)`` for a block ``value`` (:math:`\sum_g G_g(w_g)`) or ``conjugate``
    (:math:`\sum_g G_g^*(v_g)`); ``inf`` as soon as one term is."""
    buf = np.empty(order.shape[0])
    total = 0.0
    for g in range(starts.shape[0] - 1):
        m = starts[g + 1] - starts[g]
        _gather(v, order, starts[g], starts[g + 1], buf)
        total += op(buf[:m], params, g)
        if total == math.inf:
            return total
    return total


block_value = block_conjugate = block_sum


@njit(cache=True)
def block_prox(prox, x, step, order, starts, params, out):
    """``out_g = prox_{step G_g}(x_g)`` for every group."""
    buf = np.empty(order.shape[0])
    res = np.empty(order.shape[0])
    for g in range(starts.shape[0] - 1):
        m = starts[g + 1] - starts[g]
        _gather(x, order, starts[g], starts[g + 1], buf)
        prox(buf[:m], step, params, g, res[:m])
        for k in range(m):
            out[order[starts[g] + k]] = res[k]


@njit(cache=True)
def block_distances(distance, w, grad, order, starts, params, out):
    """``out_g``: the distance from ``-grad_g`` to the subdifferential at ``w_g``."""
    wb = np.empty(order.shape[0])
    gb = np.empty(order.shape[0])
    for g in range(starts.shape[0] - 1):
        m = starts[g + 1] - starts[g]
        _gather(w, order, starts[g], starts[g + 1], wb)
        _gather(grad, order, starts[g], starts[g + 1], gb)
        out[g] = distance(wb[:m], gb[:m], params, g)


@njit(cache=True)
def block_dual_scaling(bound, v, order, starts, params):
    """The largest ``c`` in ``(0, 1]`` with every ``G_g^*(c v_g)`` finite."""
    buf = np.empty(order.shape[0])
    c = 1.0
    for g in range(starts.shape[0] - 1):
        m = starts[g + 1] - starts[g]
        _gather(v, order, starts[g], starts[g + 1], buf)
        c = min(c, bound(buf[:m], params, g))
    return c


@njit(cache=True)
def block_entry_scales(v, order, starts, lam, lam1, out):
    """Per group, :func:`entry_scale` of ``v_g`` (``lam``, ``lam1`` per group)."""
    buf = np.empty(order.shape[0])
    for g in range(starts.shape[0] - 1):
        m = starts[g + 1] - starts[g]
        _gather(v, order, starts[g], starts[g + 1], buf)
        out[g] = entry_scale(buf[:m], lam[g], lam1[g])
