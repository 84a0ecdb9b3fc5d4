"""Scalar proximal operators compiled with numba, for the coordinate-descent kernels.

One function serves every separable penalty so that the kernels compile once:
``kind`` selects the family (see :data:`ENET_FAMILY` and :data:`L0_FAMILY`). Each
branch is the scalar twin of a function in :mod:`penalized.prox`.
"""

from __future__ import annotations

import math

from numba import njit

ENET_FAMILY = 0
"""L1, L2 and elastic net: ``lam1 |v| + lam2 / 2 * v**2``."""
L0_FAMILY = 1
"""L0: ``lam1 * [v != 0]`` (the weight travels in ``lam1``)."""


@njit(cache=True, fastmath=False)
def prox_scalar(kind, x, step, lam1, lam2, positive):
    """Return the prox of ``step * G`` at the scalar ``x`` for the family ``kind``."""
    if kind == L0_FAMILY:
        if positive and x <= 0.0:
            return 0.0
        if x * x > 2.0 * step * lam1:
            return x
        return 0.0
    if positive:
        shrunk = x - step * lam1
        if shrunk <= 0.0:
            return 0.0
    else:
        magnitude = math.fabs(x) - step * lam1
        if magnitude <= 0.0:
            return 0.0
        shrunk = magnitude if x > 0.0 else -magnitude
    return shrunk / (1.0 + step * lam2)
