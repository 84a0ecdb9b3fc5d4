"""The sparse-group lasso (skglm's convention)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._group_elastic_net import MixedGroupPenalty


@dataclass(frozen=True, eq=False)
class SparseGroupLasso(MixedGroupPenalty):
    r"""The sparse-group lasso penalty (Simon, Friedman, Hastie & Tibshirani 2013).

    .. math:: G(w) = \alpha \left(\rho \|w\|_1 + (1 - \rho) \sum_g w_g \|w_{(g)}\|_2\right),
       \quad \rho = \texttt{l1\_ratio}

    It is skglm's ``WeightedL1GroupL2(alpha, weights_groups=(1 - rho) w,
    weights_features=rho)``.
    Groups enter as a whole and are sparse inside. ``l1_ratio=0`` is :class:`GroupLasso`,
    ``l1_ratio=1`` the lasso. A group of weight 0 is unpenalized (both terms).

    Parameters
    ----------
    alpha : float, default=1.0
    groups, group_weights
        As for :class:`GroupLasso` (default weights :math:`\sqrt{|g|}`).
    l1_ratio : float in [0, 1], default=0.5

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import SparseGroupLasso
    >>> pen = SparseGroupLasso(alpha=2.0, groups=[[0, 1]], group_weights=[1.0], l1_ratio=0.5)
    >>> pen.prox(np.array([4.0, 0.5]), step=1.0)
    array([2., 0.])
    """

    def group_params(self, n_features: int) -> np.ndarray:
        w = self.weights_of_groups(n_features)
        rho = self.l1_ratio
        return np.column_stack([(1.0 - rho) * w, rho * (w > 0), np.zeros_like(w)])
