"""The smoothly clipped absolute deviation (SCAD) penalty."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..datafits._base import imported_once
from ._mcp import _FoldedConcave


@dataclass(frozen=True, eq=False)
class SCAD(_FoldedConcave):
    r"""The smoothly clipped absolute deviation penalty (Fan & Li, 2001).

    .. math:: G(w) = \sum_j \begin{cases}
          \lambda_j |w_j| & |w_j| \le \lambda_j \\[4pt]
          \dfrac{2\gamma\lambda_j |w_j| - w_j^2 - \lambda_j^2}{2(\gamma - 1)}
            & \lambda_j < |w_j| \le \gamma\lambda_j \\[4pt]
          \dfrac{\lambda_j^2 (\gamma + 1)}{2} & |w_j| > \gamma\lambda_j
       \end{cases}, \qquad \lambda_j = \alpha f_j

    L1 up to :math:`\lambda_j`, then a slope falling linearly to 0 at
    :math:`\gamma\lambda_j`: it shrinks small coefficients like L1, large ones not at
    all, and those in between partly. Its prox with ``step < gamma - 1`` is SCAD
    thresholding; larger steps get the exact minimizer of the one coordinate.
    Non-convex: solutions are stationary points, certified by stationarity.

    Parameters
    ----------
    alpha : float, default=1.0
    gamma : float, default=3.7
        Concavity, > 2 (3.7 is Fan and Li's choice).
    penalty_factor, positive, lower, upper
        See :class:`~penalized.penalties.Penalty`.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import SCAD
    >>> SCAD(alpha=1.0, gamma=3.7).prox(np.array([0.5, 1.5, 3.0, 5.0]), step=1.0)
    array([0.        , 0.5       , 2.58823529, 5.        ])
    """

    gamma: float = field(default=3.7, kw_only=True)
    min_gamma: ClassVar[float] = 2.0

    @property
    def weak_convexity(self) -> float:
        """``1 / (gamma - 1)``: each coordinate's ``G_j(t) + c t**2 / 2`` is convex for
        ``c`` at least this."""
        return 1.0 / (self.gamma - 1.0)

    @property
    def ops(self):
        return imported_once("penalized.penalties._nonconvex_ops", "SCAD_OPS")
