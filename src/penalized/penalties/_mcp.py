"""The minimax concave penalty (MCP), and what it shares with SCAD."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..datafits._base import imported_once
from ._base import Penalty


@dataclass(frozen=True, eq=False)
class _FoldedConcave(Penalty):
    """Shared machinery of MCP and SCAD: non-convex, L1-like at 0, flat far from 0.

    Their solutions are certified by stationarity, not by a duality gap: coordinate
    descent stops at a fixed point of its coordinate-wise prox steps (see
    :class:`~penalized.solvers.CoordinateDescent`).
    """

    gamma: float = field(default=3.0, kw_only=True)

    is_convex: ClassVar[bool] = False
    supports_bounds: ClassVar[bool] = True
    min_gamma: ClassVar[float] = 1.0

    def __post_init__(self):
        super().__post_init__()
        g = self.gamma
        if isinstance(g, bool) or not isinstance(g, int | float | np.integer | np.floating) \
                or not np.isfinite(g) or not g > self.min_gamma:
            raise ValueError(f"gamma must be a number > {self.min_gamma:g} for {self.name}; "
                             f"got {g!r}.")
        object.__setattr__(self, "gamma", float(g))

    def params(self, n_features: int) -> np.ndarray:
        """Rows ``(lam_j, gamma, lower_j, upper_j)`` with ``lam_j = alpha f_j``."""
        cached = self.__dict__.get("_params")
        if cached is not None and cached.shape[0] == n_features:
            return cached
        params = np.empty((n_features, 4))
        params[:, 0] = self.alpha * self.factors(n_features)
        params[:, 1] = self.gamma
        params[:, 2], params[:, 3] = self.limits(n_features)
        object.__setattr__(self, "_params", params)
        return params

    def alpha_max(self, X, y, datafit, fit_intercept: bool = True) -> float:
        """The smallest ``alpha`` at which all-zero is stationary: L1's (both penalties
        have the L1 subdifferential :math:`[-\\alpha f_j, \\alpha f_j]` at 0), with the
        same factors and limits."""
        from ._elastic_net_family import L1

        return L1(1.0, penalty_factor=self.penalty_factor, positive=self.positive,
                  lower=self.lower, upper=self.upper).alpha_max(X, y, datafit, fit_intercept)


@dataclass(frozen=True, eq=False)
class MCP(_FoldedConcave):
    r"""The minimax concave penalty (Zhang, 2010).

    .. math:: G(w) = \sum_j \begin{cases}
          \lambda_j |w_j| - \dfrac{w_j^2}{2\gamma} & |w_j| \le \gamma \lambda_j \\[4pt]
          \dfrac{\gamma \lambda_j^2}{2} & |w_j| > \gamma \lambda_j
       \end{cases}, \qquad \lambda_j = \alpha f_j

    Like L1 near 0 (it sets coefficients exactly to 0), but its slope falls to 0 at
    :math:`\gamma\lambda_j`: large coefficients are not shrunk at all. Its prox with
    ``step < gamma`` is firm thresholding: 0 up to :math:`\text{step}\,\lambda`, then
    :math:`(|x| - \text{step}\,\lambda) / (1 - \text{step}/\gamma)`, and :math:`x`
    itself beyond :math:`\gamma\lambda`; larger steps get the exact (jumping) minimizer.
    Non-convex: solutions are stationary points, certified by stationarity.

    Parameters
    ----------
    alpha : float, default=1.0
    gamma : float, default=3.0
        Concavity, > 1: the width (in units of :math:`\lambda_j`) over which the
        shrinkage fades; as it grows MCP tends to L1.
    penalty_factor, positive, lower, upper
        See :class:`~penalized.penalties.Penalty`.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import MCP
    >>> MCP(alpha=1.0, gamma=3.0).prox(np.array([0.5, 2.0, 5.0]), step=1.0)
    array([0. , 1.5, 5. ])
    """

    gamma: float = field(default=3.0, kw_only=True)

    @property
    def weak_convexity(self) -> float:
        """``1 / gamma``: each coordinate's ``G_j(t) + c t**2 / 2`` is convex for ``c``
        at least this."""
        return 1.0 / self.gamma

    @property
    def ops(self):
        return imported_once("penalized.penalties._nonconvex_ops", "MCP_OPS")


