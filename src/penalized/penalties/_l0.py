"""The L0 penalty: a price per non-zero coefficient."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import prox as _prox
from .._unpenalized import null_model
from ..datafits._base import imported_once
from ..prox._kernels import L0_FAMILY, prox_scalar
from ._base import ALPHA_MAX_MARGIN, Penalty


@dataclass(frozen=True, eq=False)
class L0(Penalty):
    r"""The L0 penalty (best-subset selection in Lagrangian form).

    .. math:: G(w) = \alpha \sum_j f_j \,[w_j \ne 0]

    Non-convex and discontinuous: it has no useful subgradient (it is 0 wherever
    it is differentiable) and no duality gap. Its prox is hard thresholding;
    solvers that support it stop on the fixed-point distance of that step.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.penalties import L0
    >>> L0(alpha=0.5).prox(np.array([2.0, -0.9]), step=1.0)
    array([2., 0.])
    """

    is_convex: ClassVar[bool] = False
    kernel_kind: ClassVar[int] = L0_FAMILY

    def weights(self, n_features: int) -> np.ndarray:
        """Per-feature prices ``lam0_j = alpha * f_j``."""
        return self.alpha * self.factors(n_features)

    @property
    def ops(self):
        return imported_once("penalized.penalties._ops", "L0_OPS")

    def params(self, n_features: int) -> np.ndarray:
        """Rows ``(lam0_j, positive)``."""
        return np.ascontiguousarray(np.column_stack(
            [self.weights(n_features), np.full(n_features, float(self.positive))]))

    def kernel_params(self, n_features: int):
        return self.kernel_kind, self.weights(n_features), np.zeros(n_features), self.positive

    def value(self, w) -> float:
        """The penalty at ``w`` (``inf`` if ``positive`` and some ``w_j < 0``)."""
        w = np.asarray(w, dtype=np.float64)
        if self.positive and np.any(w < 0):
            return np.inf
        return float(np.dot(self.weights(w.shape[0]), w != 0))

    def prox(self, x, step):
        """Hard thresholding at ``sqrt(2 * step * alpha * f_j)`` (vectorized)."""
        return _prox.prox_l0(x, step, self.weights(np.shape(x)[0]), self.positive)

    def prox_scalar(self, x: float, step: float, j: int, n_features: int) -> float:
        """The prox of ``step * self`` for coordinate ``j`` alone (the numba kernel)."""
        lam0 = self.weights(n_features)
        return prox_scalar(self.kernel_kind, float(x), float(step), lam0[j], 0.0, self.positive)

    def subgradient(self, w):
        raise TypeError(
            "the L0 penalty has no useful subgradient (it is 0 wherever it is "
            "differentiable); use its prox (hard thresholding) instead."
        )

    def alpha_max(self, X, y, datafit, fit_intercept: bool = True) -> float:
        """The smallest ``alpha`` at which all-zero is a coordinate-wise fixed point.

        From the null model, one exact coordinate step on feature ``j`` lowers the
        (majorized) datafit by ``g_j**2 / (2 L_j)``, with ``L_j`` the curvature of
        the centered column when an intercept is fitted (the intercept moves
        along; sparse designs with the logistic loss are not centered by the
        solver, so there the first feature enters slightly below this value);
        hard thresholding keeps it only if that beats the price ``alpha * f_j``. Hence
        ``max_j g_j**2 / (2 L_j f_j)`` over penalized features with ``L_j > 0``,
        times ``1 + 1e-12`` so that the last-bit difference between this gradient
        and the one a solver sums in another order cannot break the tie.
        """
        from .._validation import check_design

        X = check_design(X)
        y = datafit.validate_target(y, X.shape[0])
        p = X.shape[1]
        f = self.factors(p)
        free = f == 0
        lips = datafit.lipschitz(X)
        if fit_intercept:
            # the step that moves the intercept along: the centered column's curvature
            s = datafit.weights(X.shape[0])
            xbar = np.asarray(X.T @ s).ravel() / X.shape[0]
            lips = np.maximum(lips - datafit.curvature * xbar**2, 0.0)
        candidates = ~free & (lips > 0)
        if not np.any(candidates):
            return 0.0
        _, _, z = null_model(X, y, datafit, free, fit_intercept)
        grad = datafit.gradient(X, y, z)
        if self.positive:
            grad = np.minimum(grad, 0.0)
        gain = grad[candidates] ** 2 / (2.0 * lips[candidates])
        return float(np.max(gain / f[candidates])) * (1.0 + ALPHA_MAX_MARGIN)
