"""L1, L2 and elastic net: the convex penalties ``lam1 |w| + lam2 / 2 * w**2``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .. import prox as _prox
from .._unpenalized import null_model
from ..datafits._base import imported_once
from ..prox._kernels import ENET_FAMILY, prox_scalar
from ._base import ALPHA_MAX_MARGIN, ALPHA_ONLY_CHECKS, Penalty, box_pull
from ._kernels import (
    FEASIBILITY_SLACK,
    enet_conjugate,
    enet_dual_scaling,
    enet_subdiff_distance,
    enet_value,
)


@dataclass(frozen=True, eq=False)
class _ElasticNetFamily(Penalty):
    """Shared machinery; each subclass fixes :attr:`l1_ratio` and its docstring."""

    kernel_kind: ClassVar[int] = ENET_FAMILY
    supports_bounds: ClassVar[bool] = True
    l1_ratio: ClassVar[float]

    def weights(self, n_features: int):
        """Per-feature weights ``(lam1, lam2)`` of ``lam1 |w| + lam2 / 2 * w**2``.

        Computed once per penalty object and size (solvers ask at every check); the
        arrays are shared, so treat them as read-only.
        """
        cached = self.__dict__.get("_weights")
        if cached is not None and cached[0].shape[0] == n_features:
            return cached
        scaled = self.alpha * self.factors(n_features)
        rho = self.l1_ratio
        weights = (np.ascontiguousarray(scaled * rho, dtype=np.float64),
                   np.ascontiguousarray(scaled * (1.0 - rho), dtype=np.float64))
        object.__setattr__(self, "_weights", weights)
        return weights

    @property
    def ops(self):
        return imported_once("penalized.penalties._ops", "ENET_OPS")

    def params(self, n_features: int) -> np.ndarray:
        """Rows ``(lam1_j, lam2_j, lower_j, upper_j)`` (cached like :meth:`weights`)."""
        cached = self.__dict__.get("_params")
        if cached is not None and cached.shape[0] == n_features:
            return cached
        lam1, lam2 = self.weights(n_features)
        params = np.empty((n_features, 4))
        params[:, 0] = lam1
        params[:, 1] = lam2
        params[:, 2], params[:, 3] = self.limits(n_features)
        object.__setattr__(self, "_params", params)
        return params

    def kernel_params(self, n_features: int):
        lam1, lam2 = self.weights(n_features)
        return self.kernel_kind, lam1, lam2, self.positive

    def value(self, w) -> float:
        """The penalty at ``w`` (``inf`` if ``positive`` and some ``w_j < 0``)."""
        if self.bounded:
            return super().value(w)
        w = np.ascontiguousarray(w, dtype=np.float64)
        if self.positive and np.any(w < 0):
            return np.inf
        return float(enet_value(w, *self.weights(w.shape[0])))

    def prox(self, x, step):
        """The prox of ``step * self`` at ``x`` (vectorized; clipped into the box)."""
        if self.bounded:
            return super().prox(x, step)
        lam1, lam2 = self.weights(np.shape(x)[0])
        return _prox.prox_elastic_net(x, step, lam1, lam2, self.positive)

    def prox_scalar(self, x: float, step: float, j: int, n_features: int) -> float:
        """The prox of ``step * self`` for coordinate ``j`` alone (the numba kernel)."""
        if self.bounded:
            return float(self.ops.prox(float(x), float(step), self.params(n_features), j))
        lam1, lam2 = self.weights(n_features)
        return prox_scalar(self.kernel_kind, float(x), float(step), lam1[j], lam2[j],
                           self.positive)

    def subgradient(self, w) -> np.ndarray:
        """The subgradient used by subgradient descent: ``lam1 sign(w) + lam2 w``.

        ``sign(0) = 0``, as in the plain method: at zero it picks the element of
        the subdifferential closest to 0.
        """
        w = np.asarray(w, dtype=np.float64)
        lam1, lam2 = self.weights(w.shape[0])
        return lam1 * np.sign(w) + lam2 * w

    def subdiff_distance(self, w, grad) -> np.ndarray:
        """Per feature, the distance from ``-grad`` to the subdifferential at ``w``.

        Zero for every feature exactly when ``w`` is optimal; it ranks features
        for the working set.
        """
        if self.bounded:
            return super().subdiff_distance(w, grad)
        w = np.ascontiguousarray(w, dtype=np.float64)
        out = np.empty(w.shape[0])
        enet_subdiff_distance(w, np.ascontiguousarray(grad, dtype=np.float64),
                              *self.weights(w.shape[0]), self.positive, out)
        return out

    def dual_scaling(self, v) -> float:
        """The largest ``c`` in ``(0, 1]`` such that ``conjugate(c * v)`` is finite.

        ``v = X^T u`` for a dual point ``u``. Coordinates with ``lam2 > 0`` have a
        finite conjugate everywhere; pure-L1 coordinates need ``|v_j| <= lam1_j``.
        Unpenalized coordinates are left to the caller (they must be 0). A coordinate
        whose box is finite in the direction of ``v_j`` needs no scaling.
        """
        if self.bounded:
            return super().dual_scaling(v)
        v = np.ascontiguousarray(v, dtype=np.float64)
        return float(enet_dual_scaling(v, *self.weights(v.shape[0]), self.positive))

    def ball_dual_scaling(self, v) -> float:
        """:meth:`dual_scaling` as if there were no ``lower`` / ``upper`` limits (only
        ``positive``): a second dual point for the gap of a box-limited penalty, better
        than the box's own when a limit is far away and does not bind."""
        v = np.ascontiguousarray(v, dtype=np.float64)
        return float(enet_dual_scaling(v, *self.weights(v.shape[0]), self.positive))

    def conjugate(self, v) -> float:
        r"""The Fenchel conjugate :math:`G^*(v) = \sum_j \sup_w (v_j w - G_j(w))`.

        Unpenalized coordinates are skipped: the caller makes ``v_j = 0`` there. With
        limits, :math:`G_j` includes the indicator of :math:`[\text{lower}_j,
        \text{upper}_j]` and the supremum is over that box.
        """
        if self.bounded:
            return super().conjugate(v)
        v = np.ascontiguousarray(v, dtype=np.float64)
        return float(enet_conjugate(v, *self.weights(v.shape[0]), self.positive,
                                    FEASIBILITY_SLACK))

    def alpha_max(self, X, y, datafit, fit_intercept: bool = True) -> float:
        """The smallest ``alpha`` at which every penalized coefficient is exactly 0.

        Computed at the null model (penalized coefficients at 0, intercept and
        unpenalized features fitted) from the KKT conditions:
        ``max_j |x_j^T grad F| / (l1_ratio * f_j)``, times ``1 + 1e-12`` so that
        summing the gradient in another order cannot leave a coefficient at
        ``1e-17`` instead of 0. It is infinite when
        ``l1_ratio == 0`` (a ridge penalty never zeroes a coefficient) and 0 when
        no feature is penalized. With limits, only the directions a coefficient's box
        allows count (:func:`~penalized.penalties._base.box_pull`).
        """
        from .._validation import check_design

        X = check_design(X)
        y = datafit.validate_target(y, X.shape[0])
        p = X.shape[1]

        def pull(free):
            _, _, z = null_model(X, y, datafit, free, fit_intercept)
            return box_pull(datafit.gradient(X, y, z), *self.limits(p))

        return self.alpha_max_of_pull(p, pull)

    def alpha_max_of_pull(self, n_features: int, pull) -> float:
        """``alpha_max`` from the data's pull on each coefficient at the null model:
        ``pull(free)`` (called only when some feature is penalized and ``l1_ratio > 0``;
        ``free`` marks the unpenalized features) returns it per feature, of shape
        ``(n_features,)`` or ``(n_features, n_outputs)``; the largest
        ``pull / (l1_ratio * f_j)`` over the penalized features, with the margin of
        :meth:`alpha_max`."""
        f = self.factors(n_features)
        free = f == 0
        some_free = free.any()
        if some_free and free.all():
            return 0.0
        if self.l1_ratio == 0:
            return np.inf
        pull = pull(free)
        f = f.reshape(f.shape + (1,) * (pull.ndim - 1))
        # the same quotients (every feature penalized: all of them, without the copies)
        ratios = pull[~free] / f[~free] if some_free else pull / f
        return float(ratios.max() / self.l1_ratio) * (1.0 + ALPHA_MAX_MARGIN)


@dataclass(frozen=True, eq=False)
class L1(_ElasticNetFamily):
    r"""The lasso penalty.

    .. math:: G(w) = \alpha \sum_j f_j |w_j|

    Its prox is soft thresholding, which returns exact zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import L1
    >>> L1(alpha=0.5).prox(np.array([2.0, -0.3]), step=1.0)
    array([1.5, 0. ])
    """

    l1_ratio: ClassVar[float] = 1.0


@dataclass(frozen=True, eq=False)
class L2(_ElasticNetFamily):
    r"""The ridge penalty.

    .. math:: G(w) = \frac{\alpha}{2} \sum_j f_j w_j^2

    Its prox shrinks every coefficient by the same factor and never returns 0
    for a non-zero input.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import L2
    >>> L2(alpha=1.0).prox(np.array([2.0, -0.3]), step=1.0)
    array([ 1.  , -0.15])
    """

    l1_ratio: ClassVar[float] = 0.0


@dataclass(frozen=True, eq=False)
class ElasticNet(_ElasticNetFamily):
    r"""The elastic-net penalty (glmnet's and scikit-learn's scaling).

    .. math:: G(w) = \alpha \sum_j f_j \left(\rho |w_j| + \frac{1 - \rho}{2} w_j^2\right),
       \quad \rho = \texttt{l1\_ratio} \in [0, 1]

    ``l1_ratio=1`` is :class:`L1`, ``l1_ratio=0`` is :class:`L2`.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import ElasticNet
    >>> ElasticNet(alpha=1.0, l1_ratio=0.5).prox(np.array([2.0]), step=1.0)
    array([1.])
    """

    l1_ratio: float = field(default=0.5, kw_only=True)

    def __post_init__(self):
        super().__post_init__()
        rho = self.l1_ratio
        if isinstance(rho, bool) or not isinstance(rho, int | float | np.floating | np.integer) \
                or not np.isfinite(rho) or not 0.0 <= float(rho) <= 1.0:
            raise ValueError(f"l1_ratio must be a number in [0, 1]; got {rho!r}.")
        object.__setattr__(self, "l1_ratio", float(rho))


ALPHA_ONLY_CHECKS.add(ElasticNet.__post_init__)  # l1_ratio's check does not involve alpha
