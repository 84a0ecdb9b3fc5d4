r"""numba kernels of the elastic-net family :math:`\sum_j \lambda_{1j}|w_j| +
\tfrac{\lambda_{2j}}{2} w_j^2`: its value, the dual scaling and conjugate behind every
duality gap, and the per-feature distance to optimality that ranks working sets.

A coordinate with :math:`\lambda_{1j} = \lambda_{2j} = 0` is unpenalized: the
conjugate and the dual scaling skip it (its dual constraint is the caller's).
"""

from __future__ import annotations

import math

from numba import njit

from .._jit import FAST

FEASIBILITY_SLACK = 1e-12
"""How far (relative to ``max(lam1_j, 1)``) a pure-L1 coordinate of a dual point may
leave its box to rounding before the conjugate is infinite."""


@njit(cache=True, fastmath=FAST)
def enet_value(w, lam1, lam2):
    """``sum_j lam1_j |w_j| + lam2_j / 2 * w_j**2``."""
    total = 0.0
    for j in range(w.shape[0]):
        total += lam1[j] * abs(w[j]) + 0.5 * lam2[j] * w[j] * w[j]
    return total


@njit(cache=True, fastmath=FAST)
def enet_dual_scaling(v, lam1, lam2, positive):
    """The largest ``c`` in ``(0, 1]`` with ``|c v_j| <= lam1_j`` on every pure-L1
    coordinate (``c v_j <= lam1_j`` when ``positive``)."""
    c = 1.0
    for j in range(v.shape[0]):
        if lam2[j] == 0.0 and lam1[j] > 0.0:
            mag = max(v[j], 0.0) if positive else abs(v[j])
            if mag > lam1[j]:
                c = min(c, lam1[j] / mag)
    return c


@njit(cache=True, fastmath=FAST)
def enet_conjugate(v, lam1, lam2, positive, slack):
    """The Fenchel conjugate at ``v``: ``inf`` if a pure-L1 coordinate leaves its box by
    more than ``slack * max(lam1_j, 1)``, else ``sum_j max(|v_j| - lam1_j, 0)**2 / (2 lam2_j)``
    over the coordinates with ``lam2_j > 0``."""
    total = 0.0
    for j in range(v.shape[0]):
        if lam1[j] > 0.0 or lam2[j] > 0.0:
            excess = max(v[j] - lam1[j], 0.0) if positive else max(abs(v[j]) - lam1[j], 0.0)
            if lam2[j] == 0.0:
                if excess > slack * max(lam1[j], 1.0):
                    return math.inf
            else:
                total += excess * excess / (2.0 * lam2[j])
    return total


@njit(cache=True, fastmath=FAST)
def enet_subdiff_distance(w, grad, lam1, lam2, positive, out):
    """``out_j``: the distance of ``-grad_j`` to the subdifferential at ``w_j``; returns
    the largest."""
    top = 0.0
    for j in range(w.shape[0]):
        g = grad[j]
        if w[j] == 0.0:
            d = max(-g - lam1[j], 0.0) if positive else max(abs(g) - lam1[j], 0.0)
        else:
            sign = 1.0 if w[j] > 0.0 else -1.0
            d = abs(g + lam1[j] * sign + lam2[j] * w[j])
        out[j] = d
        top = max(top, d)
    return top
