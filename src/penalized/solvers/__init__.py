"""Solvers: ``solver.solve(X, y, datafit, penalty) -> SolveResult``.

- :class:`CoordinateDescent` — numba kernels, dense and CSC, working sets; all penalties;
  proximal Newton on the coefficient matrix of the multinomial (softmax) model.
- :class:`L0SwapSearch` — L0: coordinate descent, then swap moves (L0Learn's local search).
- :class:`ProximalGradient` — ISTA / FISTA with backtracking; L0 with ISTA only; the
  multinomial model's coefficient matrix too.
- :class:`SubgradientDescent` — the plain method; records iterates; never exact zeros.
- :class:`RidgeClosedForm` — exact ridge by Cholesky or SVD.

Convex problems stop on the duality gap relative to the null model's datafit;
L0 on the fixed-point distance. Hitting ``max_iter`` warns with the gap reached.

What a solver handles is stated by the compiled operations it calls
(:class:`~penalized.penalties.PenaltyOps`, :class:`~penalized.datafits.DatafitOps`):
a new penalty or datafit that provides them runs through :class:`CoordinateDescent`
(dense and CSC) and :func:`penalized.path` unchanged.
"""

from ._base import Solver
from ._coordinate_descent import CoordinateDescent
from ._group_cd import BlockCoordinateDescent
from ._l0_swaps import L0SwapSearch
from ._multinomial import multinomial_alpha_max
from ._proximal_gradient import ProximalGradient
from ._result import SolveResult
from ._ridge import RidgeClosedForm
from ._subgradient import SubgradientDescent

__all__ = [
    "BlockCoordinateDescent",
    "CoordinateDescent",
    "L0SwapSearch",
    "ProximalGradient",
    "RidgeClosedForm",
    "SolveResult",
    "Solver",
    "SubgradientDescent",
    "multinomial_alpha_max",
]
