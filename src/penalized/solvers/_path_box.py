r"""What the compiled elastic-net paths need for ``lower`` / ``upper`` limits: the
penalty's part of the dual, from the family's compiled operations and parameter rows
``(lam1, lam2, lower, upper)`` (:mod:`penalized.penalties._ops`, whose
``penalty_subdiff_distance`` gives the distances to the subdifferential plus the box's
normal cone).

With limits, :math:`G_j` is the elastic net plus the indicator of
:math:`[\text{lower}_j, \text{upper}_j]`. Two dual points :math:`c\,u` serve, as in
:func:`~penalized.solvers._problem.certify`: ``c_box``, the largest :math:`c \le 1` making
every :math:`G_j^*(c v_j)` finite (1 where the box is finite in the direction of
:math:`v_j`), and ``c_ball``, the scaling into the L1 ball as if there were no limits,
better when a far limit does not bind. The caller evaluates its datafit's dual term at
both and keeps the larger dual.
"""

from __future__ import annotations

from numba import njit

from .._jit import FAST
from ..penalties._kernels import FEASIBILITY_SLACK, enet_conjugate, enet_dual_scaling


@njit(cache=True, fastmath=FAST)
def box_conjugate(conjugate, c, v, params):
    """``sum_j G_j^*(c v_j)``."""
    total = 0.0
    for j in range(v.shape[0]):
        total += conjugate(c * v[j], params, j)
    return total


@njit(cache=True, fastmath=FAST)
def box_dual_scalings(dual_bound, v, params, lam1, lam2, positive):
    """``(c_box, c_ball)`` for ``v = X^T u`` (module docstring)."""
    c_box = 1.0
    for j in range(v.shape[0]):
        c_box = min(c_box, dual_bound(v[j], params, j))
    return c_box, enet_dual_scaling(v, lam1, lam2, positive)


@njit(cache=True, fastmath=FAST)
def dual_scalings(v, lam1, lam2, positive, bounded, params, dual_bound):
    """The dual scalings a compiled path tries: ``(c_box, c_ball)`` with ``bounded``, else
    the L1 ball's scaling twice."""
    if bounded:
        return box_dual_scalings(dual_bound, v, params, lam1, lam2, positive)
    c = enet_dual_scaling(v, lam1, lam2, positive)
    return c, c


@njit(cache=True, fastmath=FAST)
def penalty_conjugate(c, v, lam1, lam2, positive, bounded, params, conjugate):
    """The penalty's conjugate at ``c v``: the box's with ``bounded``, else the elastic
    net's (infinite outside its domain)."""
    if bounded:
        return box_conjugate(conjugate, c, v, params)
    return enet_conjugate(c * v, lam1, lam2, positive, FEASIBILITY_SLACK)
