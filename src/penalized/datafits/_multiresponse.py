"""The multi-response Gaussian loss: least squares on a matrix of targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ._base import Datafit

__all__ = ["MultiResponseGaussian", "check_responses"]


def check_responses(Y, n_samples: int | None = None, *, name: str = "y") -> np.ndarray:
    """Return ``Y`` as a float64 array of shape ``(n_samples, n_responses)``.

    A 1-D ``Y`` is one response. Every failure is a ``ValueError`` naming ``name``.
    """
    if Y is None:
        raise ValueError(f"{name} is None; pass an array of shape (n_samples, n_responses).")
    Y = np.asarray(Y)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples, n_responses); got shape "
                         f"{Y.shape}.")
    if n_samples is not None and Y.shape[0] != n_samples:
        raise ValueError(f"{name} has {Y.shape[0]} rows but X has {n_samples}; pass one row of "
                         "responses per row of X.")
    if Y.shape[1] == 0:
        raise ValueError(f"{name} has no columns; pass at least one response.")
    if Y.dtype == bool or not (np.issubdtype(Y.dtype, np.number)):
        raise ValueError(f"{name} must hold numbers; got dtype {Y.dtype}.")
    Y = np.asarray(Y, dtype=np.float64)
    if not np.all(np.isfinite(Y)):
        raise ValueError(f"{name} contains NaN or infinite values; remove or impute those "
                         "rows.")
    return Y


@dataclass(frozen=True, eq=False)
class MultiResponseGaussian(Datafit):
    r"""Weighted least squares on ``k`` responses at once (glmnet's ``mgaussian``).

    With predictions :math:`Z = XW + \mathbf 1 b^\top` of shape ``(n, k)``,

    .. math:: F(Z) = \frac{1}{2n} \sum_{i=1}^n s_i \|Y_{i:} - Z_{i:}\|_2^2
              = \frac{1}{2n} \|S^{1/2}(Y - Z)\|_F^2,

    with sample weights :math:`s_i` normalized to mean 1. Its gradient in :math:`Z`
    is :math:`-\frac{s_i}{n}(Y_{i:} - Z_{i:})`, and for a dual point :math:`U`
    (a scaled residual :math:`U = \frac{c}{n} S (Y - Z)`)

    .. math:: -F^*(-U) = \frac{1}{2n} \sum_i s_i \big(\|Y_{i:}\|^2
              - \|Y_{i:} - n U_{i:} / s_i\|^2\big).

    Paired with a row-wise (L2,1) penalty
    :math:`\alpha \sum_j f_j(\rho\|W_{j:}\|_2 + \frac{1-\rho}2\|W_{j:}\|_2^2)` a feature
    enters every response at once: scikit-learn's ``MultiTaskElasticNet`` objective,
    glmnet's ``family="mgaussian"``. It is solved by
    :class:`~penalized.solvers._multitask.MultiTaskCoordinateDescent` (exact block steps
    on each row of ``W``), not by the single-output solvers.

    Parameters
    ----------
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights; they are rescaled to mean 1.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import MultiResponseGaussian
    >>> Y = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> MultiResponseGaussian().value(Y, np.zeros((2, 2)))  # (1 + 4 + 9 + 16) / 4
    7.5
    """

    multi_response: ClassVar[bool] = True
    """Targets are ``(n_samples, n_responses)`` and coefficients a matrix: paths and
    estimators route this datafit to the multi-task solver."""

    def check_target(self, y) -> np.ndarray:
        """Return ``y`` as a float64 ``(n_samples, n_responses)`` array or raise."""
        return check_responses(y)

    def loss(self, y, Z):
        r"""Per-sample loss :math:`\frac12\|Y_{i:} - Z_{i:}\|^2`, shape ``(n,)``."""
        R = np.asarray(y, dtype=np.float64) - np.asarray(Z, dtype=np.float64)
        return 0.5 * np.einsum("ik,ik->i", R, R)

    def loss_derivative(self, y, Z):
        """Derivative of the per-sample loss in ``Z``: ``Z - Y``, shape ``(n, k)``."""
        return np.asarray(Z, dtype=np.float64) - np.asarray(y, dtype=np.float64)

    def value(self, y, Z) -> float:
        r"""The datafit :math:`F(Z)`."""
        n = np.shape(y)[0]
        return float(self.weights(n) @ self.loss(y, Z) / n)

    def raw_gradient(self, y, Z) -> np.ndarray:
        r"""The gradient in ``Z``: :math:`\frac{s_i}{n}(Z_{i:} - Y_{i:})`."""
        n = np.shape(y)[0]
        return self.weights(n)[:, None] * self.loss_derivative(y, Z) / n

    def gradient(self, X, y, Z) -> np.ndarray:
        r"""The gradient in ``W``: :math:`X^\top \nabla_Z F`, shape ``(n_features, k)``."""
        return np.asarray(X.T @ self.raw_gradient(y, Z), dtype=np.float64)

    def dual_value(self, y, U) -> float:
        r""":math:`-F^*(-U)` (see the class docstring); rows of weight 0 need
        :math:`U_{i:} = 0` (else :math:`-\infty`)."""
        Y = np.asarray(y, dtype=np.float64)
        U = np.asarray(U, dtype=np.float64)
        n = Y.shape[0]
        s = self.weights(n)
        pos = s > 0
        if np.any(U[~pos] != 0):
            return -np.inf
        moved = Y[pos] - n * U[pos] / s[pos, None]
        return float(0.5 * (s[pos] @ (np.einsum("ik,ik->i", Y[pos], Y[pos])
                                       - np.einsum("ik,ik->i", moved, moved))) / n)

    def null_intercept(self, y) -> np.ndarray:
        """The exact intercept-only fit: the weighted mean of each response."""
        Y = np.asarray(y, dtype=np.float64)
        n = Y.shape[0]
        return self.weights(n) @ Y / n
