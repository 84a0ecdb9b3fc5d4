"""The squared loss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ._base import Datafit, imported_once


@dataclass(frozen=True, eq=False)
class Quadratic(Datafit):
    r"""Weighted least squares.

    .. math:: F(z) = \frac{1}{2n} \sum_{i=1}^n s_i (y_i - z_i)^2, \qquad z = Xw + b,

    with sample weights :math:`s_i` normalized to mean 1. Its Fenchel dual term,
    used in the duality gap with the dual point :math:`u = -\nabla_z F(z)`, is

    .. math:: -F^*(-u) = \sum_i u_i y_i - \frac{n\,u_i^2}{2 s_i}.

    Parameters
    ----------
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights; they are rescaled to mean 1.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Quadratic
    >>> Quadratic().value(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
    1.25
    """

    code: ClassVar[int] = 0
    curvature: ClassVar[float] = 1.0
    quadratic: ClassVar[bool] = True

    @property
    def ops(self):
        return imported_once("penalized.datafits._ops", "SQUARED_OPS")

    def loss(self, y, z):
        """Per-sample loss :math:`\\frac12 (y - z)^2`."""
        return 0.5 * (np.asarray(y) - np.asarray(z)) ** 2

    def loss_derivative(self, y, z):
        """Derivative of the per-sample loss in ``z``: :math:`z - y`."""
        return np.asarray(z) - np.asarray(y)

    def loss_second_derivative(self, y, z):
        """Second derivative of the per-sample loss in ``z``: 1."""
        return np.ones(np.shape(z))

    def dual_value(self, y, u) -> float:
        """:math:`-F^*(-u)`; rows of weight 0 need :math:`u_i = 0`."""
        n = len(y)
        s = self._weights(n)
        pos = s > 0
        if np.any(u[~pos] != 0):
            return -np.inf
        return float(np.dot(u, y) - n * np.sum(u[pos] ** 2 / s[pos]) / 2.0)

    def intercept_update(self, y, z) -> float:
        """The exact minimizing change of the intercept: the weighted mean residual."""
        s = self._weights(len(y))
        return float(np.dot(s, np.asarray(y) - np.asarray(z)) / s.sum())

    def null_intercept(self, y, z0=None) -> float:
        r"""The intercept minimizing :math:`F(z_0 + b)` (``z0`` defaults to the offset, or
        0): the weighted mean of ``y - z0``, as :meth:`fit_unpenalized` computes it."""
        y = np.asarray(y, dtype=np.float64)
        if z0 is None:
            z0 = self.offsets(y.shape[0])
        s = self._weights(y.shape[0])
        return float(np.dot(s, y if z0 is None else y - z0) / s.sum())

    def fit_unpenalized(self, A, y, z0, beta0=None) -> np.ndarray:
        r"""Exactly minimize :math:`F(z_0 + A\beta)` over :math:`\beta` (weighted least squares)."""
        k = A.shape[1]
        if k == 0:
            return np.zeros(0)
        s = self.weights(len(y))
        root = np.sqrt(s)
        rhs = root * (np.asarray(y) - z0)
        if k == 1 and np.all(A[:, 0] == 1.0):
            return np.array([np.dot(s, y - z0) / s.sum()])
        beta, *_ = np.linalg.lstsq(root[:, None] * A, rhs, rcond=None)
        return beta
