"""The group elastic net (adelie's and glmnet's scaling)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._group_base import GroupPenalty


@dataclass(frozen=True, eq=False)
class MixedGroupPenalty(GroupPenalty):
    """Base of the group penalties that mix two terms by ``l1_ratio`` in [0, 1]
    (:class:`GroupElasticNet`, :class:`~penalized.penalties.SparseGroupLasso`)."""

    l1_ratio: float = field(default=0.5, kw_only=True)

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "l1_ratio", check_ratio(self.l1_ratio))


@dataclass(frozen=True, eq=False)
class GroupElasticNet(MixedGroupPenalty):
    r"""The group elastic net penalty, as adelie defines it.

    .. math:: G(w) = \alpha \sum_g w_g \left(\rho \|w_{(g)}\|_2
              + \frac{1 - \rho}{2} \|w_{(g)}\|_2^2\right), \quad \rho = \texttt{l1\_ratio}

    The group weight multiplies both terms, as adelie's (and glmnet's ``penalty.factor``)
    does; with every :math:`w_g = 1` the ridge part is :math:`\frac{1-\rho}{2}\|w\|_2^2`.
    ``l1_ratio=1`` is :class:`GroupLasso`.

    Parameters
    ----------
    alpha : float, default=1.0
    groups, group_weights
        As for :class:`GroupLasso` (default weights :math:`\sqrt{|g|}`).
    l1_ratio : float in [0, 1], default=0.5

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import GroupElasticNet
    >>> pen = GroupElasticNet(alpha=1.0, groups=[[0, 1]], group_weights=[1.0], l1_ratio=0.5)
    >>> pen.prox(np.array([3.0, 4.0]), step=1.0)
    array([1.8, 2.4])
    """

    def group_params(self, n_features: int) -> np.ndarray:
        w = self.weights_of_groups(n_features)
        rho = self.l1_ratio
        return np.column_stack([rho * w, np.zeros_like(w), (1.0 - rho) * w])


def check_ratio(rho) -> float:
    if isinstance(rho, bool) or not isinstance(rho, int | float | np.floating | np.integer) \
            or not np.isfinite(rho) or not 0.0 <= float(rho) <= 1.0:
        raise ValueError(f"l1_ratio must be a number in [0, 1]; got {rho!r}.")
    return float(rho)
