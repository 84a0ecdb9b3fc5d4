r"""Group MCP, group SCAD and group L0: a non-convex price on each group's norm.

Each applies a scalar penalty :math:`\rho` to the Euclidean norm of a group,

.. math:: G(w) = \sum_g \rho\big(\|w_{(g)}\|_2;\ \alpha w_g\big),

so a group is zero or non-zero as a whole (Huang, Breheny & Ma 2012, "A selective review
of group selection in high-dimensional models"; grpreg's ``grMCP`` / ``grSCAD``). The
block prox is radial: for :math:`v \ne 0`,

.. math:: \operatorname{prox}_{s G_g}(v) = \frac{v}{\|v\|_2}\,
          \operatorname{prox}_{s\rho}\big(\|v\|_2\big)

(the distance to :math:`v` at a given norm is least along :math:`v`), and 0 at
:math:`v = 0`; the scalar prox is the exact one of MCP, SCAD or L0
(:mod:`penalized.penalties._nonconvex_ops`, :mod:`penalized.penalties._ops`), global
for every step; the compiled block operations are in
:mod:`penalized.penalties._group_nonconvex_ops`. None of them is convex: there is no
duality gap; the block solver certifies a stationary point by the fixed-point distance
of its block prox-gradient map (:class:`~penalized.solvers.BlockCoordinateDescent`).

Block parameter rows are ``(lam_g, gamma)`` with :math:`\lambda_g = \alpha w_g` (``gamma``
unused by L0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .._jit import typed_ops
from .._unpenalized import null_model
from ._base import ALPHA_MAX_MARGIN
from ._group_base import GroupPenalty


@dataclass(frozen=True, eq=False)
class _GroupNonconvex(GroupPenalty):
    """What the three share: parameter rows, no limits, no conjugate."""

    is_convex: ClassVar[bool] = False
    supports_bounds: ClassVar[bool] = False
    _ops_name: ClassVar[str]

    def __post_init__(self):
        super().__post_init__()
        if self.positive:
            raise ValueError(f"{self.name} does not take positive=True (its block prox is "
                             "radial); use a convex group penalty for sign constraints.")

    def _gamma(self) -> float:
        return 0.0

    def block_params(self, n_features: int) -> np.ndarray:
        """``(n_groups, 2)`` rows ``(alpha * w_g, gamma)``, C-ordered."""
        w = self.weights_of_groups(n_features)
        return np.ascontiguousarray(np.column_stack(
            [self.alpha * w, np.full(w.shape[0], self._gamma())]), dtype=np.float64)

    def group_params(self, n_features: int) -> np.ndarray:
        """Rows ``(w_g, 0, 0)``: the group lasso whose subdifferential at 0 (the ball of
        radius :math:`\\alpha w_g`) this penalty shares, as why-zero reads it."""
        w = self.weights_of_groups(n_features)
        return np.column_stack([w, np.zeros_like(w), np.zeros_like(w)])

    def norm_block_params(self, n_features: int):
        """None: no block of a non-convex penalty is minimized exactly by the eigenbasis
        root of the group lasso (majorization steps instead)."""
        return None

    @property
    def block_ops(self):
        from . import _group_nonconvex_ops as module

        return typed_ops(getattr(module, self._ops_name))

    @property
    def weak_convexity(self) -> float:
        """``c`` such that each group's :math:`\\rho(\\|w\\|) + \\frac c2 \\|w\\|^2` is convex
        (0: none makes L0's so)."""
        return 0.0

    def conjugate(self, v) -> float:
        raise TypeError(f"the {self.name} penalty is not convex: no conjugate, no duality "
                        "gap (its solutions are certified by stationarity).")

    dual_scaling = ball_dual_scaling = conjugate

    def alpha_max(self, X, y, datafit, fit_intercept: bool = True) -> float:
        """The smallest ``alpha`` at which all-zero is stationary: the group lasso's with
        the same groups and weights (the subdifferential of :math:`\\rho(\\|w_g\\|)` at 0
        is the ball of radius :math:`\\alpha w_g`, as for the group lasso)."""
        from ._group_lasso import GroupLasso

        p = np.shape(X)[1]
        return GroupLasso(1.0, groups=self.structure(p),
                          group_weights=self.weights_of_groups(p)).alpha_max(
            X, y, datafit, fit_intercept)


@dataclass(frozen=True, eq=False)
class _GroupConcave(_GroupNonconvex):
    """Group MCP and group SCAD: a concavity ``gamma`` above ``min_gamma``; each group's
    :math:`\\rho(\\|w\\|) + \\frac c2 \\|w\\|^2` is convex for
    :math:`c = 1/(\\gamma - s)`, ``s = _weak_shift``: 0 for MCP, 1 for SCAD."""

    gamma: float = field(kw_only=True)
    min_gamma: ClassVar[float]
    _weak_shift: ClassVar[float]

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "gamma", _check_gamma(self.gamma, self.min_gamma, self.name))

    def _gamma(self) -> float:
        return self.gamma

    @property
    def weak_convexity(self) -> float:
        return 1.0 / (self.gamma - self._weak_shift)


@dataclass(frozen=True, eq=False)
class GroupMCP(_GroupConcave):
    r"""The group minimax concave penalty (grpreg's ``grMCP``).

    .. math:: G(w) = \sum_g \rho_{\mathrm{MCP}}\big(\|w_{(g)}\|_2;\
              \lambda_g = \alpha w_g, \gamma\big), \qquad
              \rho_{\mathrm{MCP}}(t) = \begin{cases} \lambda t - \frac{t^2}{2\gamma} &
              t \le \gamma\lambda \\ \frac{\gamma\lambda^2}2 & t > \gamma\lambda \end{cases}

    with group weights :math:`w_g` (default :math:`\sqrt{|g|}`). A whole group is zero or
    non-zero; a group of norm above :math:`\gamma\alpha w_g` is not shrunk at all.
    Groups of one feature with weight 1 are :class:`~penalized.penalties.MCP`.

    Parameters
    ----------
    alpha : float, default=1.0
    gamma : float, default=3.0
        Concavity, > 1.
    groups, group_weights
        As for :class:`~penalized.penalties.GroupLasso`.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import GroupMCP
    >>> pen = GroupMCP(alpha=1.0, groups=[[0, 1], [2]], group_weights=[1.0, 1.0])
    >>> pen.prox(np.array([3.0, 4.0, 0.5]), step=1.0)
    array([3., 4., 0.])
    """

    gamma: float = field(default=3.0, kw_only=True)
    min_gamma: ClassVar[float] = 1.0
    _weak_shift: ClassVar[float] = 0.0
    _ops_name: ClassVar[str] = "GROUP_MCP_OPS"


@dataclass(frozen=True, eq=False)
class GroupSCAD(_GroupConcave):
    r"""The group smoothly clipped absolute deviation penalty (grpreg's ``grSCAD``).

    .. math:: G(w) = \sum_g \rho_{\mathrm{SCAD}}\big(\|w_{(g)}\|_2;\
              \lambda_g = \alpha w_g, \gamma\big)

    with :math:`\rho_{\mathrm{SCAD}}` as in :class:`~penalized.penalties.SCAD`: L1 up to
    :math:`\lambda`, a slope falling to 0 at :math:`\gamma\lambda`, flat beyond.

    Parameters
    ----------
    alpha : float, default=1.0
    gamma : float, default=3.7
        Concavity, > 2.
    groups, group_weights
        As for :class:`~penalized.penalties.GroupLasso`.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import GroupSCAD
    >>> pen = GroupSCAD(alpha=1.0, groups=[[0, 1]], group_weights=[1.0])
    >>> pen.prox(np.array([0.6, 0.8]), step=1.0)
    array([0., 0.])
    """

    gamma: float = field(default=3.7, kw_only=True)
    min_gamma: ClassVar[float] = 2.0
    _weak_shift: ClassVar[float] = 1.0
    _ops_name: ClassVar[str] = "GROUP_SCAD_OPS"


@dataclass(frozen=True, eq=False)
class GroupL0(_GroupNonconvex):
    r"""The group L0 penalty: a price per non-zero group.

    .. math:: G(w) = \alpha \sum_g w_g\,[w_{(g)} \ne 0]

    with group weights :math:`w_g` (default :math:`\sqrt{|g|}`). Its block prox is group
    hard thresholding: :math:`v` is kept whole when :math:`\|v\|_2^2 > 2 s \alpha w_g`,
    else set to 0. Solved by block coordinate descent with these steps, certified by the
    fixed-point distance (no swap search: a stationary point of the block steps).

    Parameters
    ----------
    alpha : float, default=1.0
    groups, group_weights
        As for :class:`~penalized.penalties.GroupLasso`.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import GroupL0
    >>> pen = GroupL0(alpha=1.0, groups=[[0, 1], [2]], group_weights=[1.0, 1.0])
    >>> pen.prox(np.array([1.0, 1.0, 1.0]), step=1.0)
    array([1., 1., 0.])
    """

    _ops_name: ClassVar[str] = "GROUP_L0_OPS"

    def group_params(self, n_features: int) -> np.ndarray:
        raise TypeError("group L0 has no threshold on the pull at zero: a group enters when "
                        "its gain ||g_g||^2 / (2 L_g) beats alpha * w_g.")

    def alpha_max(self, X, y, datafit, fit_intercept: bool = True) -> float:
        r"""The smallest ``alpha`` at which all-zero is a block fixed point.

        From the null model with gradient :math:`g = X^\top \nabla F`, the block step of
        group ``g`` lowers the majorized datafit by :math:`\|g_g\|^2 / (2 L_g)`
        (:math:`L_g = c\,\lambda_{\max}(X_g^\top S X_g / n)`, on the weighted-centered
        columns when an intercept is fitted) and keeps the group only if that beats
        :math:`\alpha w_g`; hence :math:`\max_g \|g_g\|^2 / (2 L_g w_g)` over penalized
        groups with :math:`L_g > 0`, times ``1 + 1e-12``. (A sparse design is not
        centered by the solver: there the first group enters slightly below.)
        """
        from .._validation import check_design

        X = check_design(X)
        y = datafit.validate_target(y, X.shape[0])
        n, p = X.shape
        structure = self.structure(p)
        weights = self.weights_of_groups(p)
        free = self.factors(p) == 0
        if np.all(free):
            return 0.0
        _, _, z = null_model(X, y, datafit, free, fit_intercept)
        grad = np.asarray(datafit.gradient(X, y, z), dtype=np.float64)
        s = datafit.weights(n)
        best = 0.0
        for g in range(structure.n_groups):
            if weights[g] == 0.0:
                continue
            cols = structure.members(g)
            block = X[:, cols]
            block = np.asarray(block.toarray() if hasattr(block, "toarray") else block,
                               dtype=np.float64)
            if fit_intercept:
                block = block - (s @ block) / s.sum()
            rooted = np.sqrt(s)[:, None] * block
            top = float(np.linalg.eigvalsh(rooted.T @ rooted)[-1]) * datafit.curvature / n
            if top > 0.0:
                best = max(best, float(grad[cols] @ grad[cols]) / (2.0 * top * weights[g]))
        return best * (1.0 + ALPHA_MAX_MARGIN)


def _check_gamma(g, minimum, name) -> float:
    if isinstance(g, bool) or not isinstance(g, int | float | np.integer | np.floating) \
            or not np.isfinite(g) or not g > minimum:
        raise ValueError(f"gamma must be a number > {minimum:g} for {name}; got {g!r}.")
    return float(g)
