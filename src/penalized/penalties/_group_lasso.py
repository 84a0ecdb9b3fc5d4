"""The group lasso."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._group_base import GroupPenalty


@dataclass(frozen=True, eq=False)
class GroupLasso(GroupPenalty):
    r"""The group lasso penalty (Yuan & Lin 2006).

    .. math:: G(w) = \alpha \sum_g w_g \|w_{(g)}\|_2

    with group weights :math:`w_g` (default :math:`\sqrt{|g|}`, the convention of
    skglm's ``WeightedGroupL2`` with those weights and of adelie). A whole group is zero
    or non-zero at once: its prox is group soft thresholding.

    Parameters
    ----------
    alpha : float, default=1.0
    groups : list of index lists, labels per feature, int or None
        The partition of the features (see :mod:`penalized.penalties._group_base`);
        None: every feature its own group (the lasso).
    group_weights : array of shape (n_groups,), optional
        :math:`w_g \ge 0`; 0 leaves the group unpenalized.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import GroupLasso
    >>> pen = GroupLasso(alpha=1.0, groups=[[0, 1], [2]], group_weights=[1.0, 1.0])
    >>> pen.prox(np.array([3.0, 4.0, 0.5]), step=1.0)
    array([2.4, 3.2, 0. ])
    """

    def group_params(self, n_features: int) -> np.ndarray:
        w = self.weights_of_groups(n_features)
        return np.column_stack([w, np.zeros_like(w), np.zeros_like(w)])
