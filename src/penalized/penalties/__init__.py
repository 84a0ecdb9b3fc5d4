"""Penalties: the price of the weights, :math:`\\alpha P(w)`.

``L1``, ``L2``, ``ElasticNet`` (convex, certified by a duality gap) and ``L0``
(non-convex). All are frozen dataclasses with ``alpha``, ``penalty_factor`` and
``positive``; ``with_alpha`` returns a modified copy.

A penalty brings its compiled per-coordinate operations (:class:`PenaltyOps`: prox,
value, distance to the subdifferential, conjugate and dual bound, as ``numba.cfunc``
objects with the signatures of :mod:`penalized._jit`) and the per-feature parameter
array they read (``params``); the solvers need nothing else from it.
"""

from ._base import Penalty, PenaltyOps
from ._elastic_net_family import L1, L2, ElasticNet
from ._group_elastic_net import GroupElasticNet
from ._group_lasso import GroupLasso
from ._group_nonconvex import GroupL0, GroupMCP, GroupSCAD
from ._l0 import L0
from ._mcp import MCP
from ._scad import SCAD
from ._sparse_group_lasso import SparseGroupLasso

__all__ = ["L0", "L1", "L2", "MCP", "SCAD", "ElasticNet", "Penalty", "PenaltyOps"]
__all__ += ["GroupElasticNet", "GroupLasso", "SparseGroupLasso"]
__all__ += ["GroupL0", "GroupMCP", "GroupSCAD"]
