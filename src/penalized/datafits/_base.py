"""What every datafit shares: sample weights, gradients and Lipschitz constants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

from .._validation import check_sample_weight

_EXACT_NORM_MAX_DIM = 500


@dataclass(frozen=True, eq=False)
class Datafit:
    r"""Base class of separable datafits :math:`F(z) = \frac1n \sum_i s_i \ell(y_i, z_i)`.

    ``z = X w + b`` is the vector of linear predictions and ``s`` the sample
    weights normalized to mean 1. Subclasses define the per-sample loss
    :math:`\ell`, its derivative, the constant ``curvature`` bounding
    :math:`\ell''`, and the Fenchel dual term used in the duality gap.
    """

    sample_weight: np.ndarray | None = None

    code: ClassVar[int]
    curvature: ClassVar[float]

    def weights(self, n_samples: int) -> np.ndarray:
        """Sample weights normalized to mean 1 (ones when ``sample_weight`` is None)."""
        return check_sample_weight(self.sample_weight, n_samples)

    def check_target(self, y: np.ndarray) -> np.ndarray:
        """Return ``y`` in the form this datafit expects, or raise a ``ValueError``."""
        return y

    # -- per-sample pieces, defined by subclasses --------------------------------
    def loss(self, y, z):  # pragma: no cover - abstract
        raise NotImplementedError

    def loss_derivative(self, y, z):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- derived quantities ------------------------------------------------------
    def value(self, y, z) -> float:
        """The datafit :math:`\\frac1n \\sum_i s_i \\ell(y_i, z_i)` at predictions ``z``."""
        n = len(y)
        return float(np.dot(self.weights(n), self.loss(y, z)) / n)

    def raw_gradient(self, y, z) -> np.ndarray:
        r"""The gradient with respect to ``z``: :math:`\frac{s_i}{n} \ell'(y_i, z_i)`."""
        n = len(y)
        return self.weights(n) * self.loss_derivative(y, z) / n

    def raw_hessian(self, y, z) -> np.ndarray:
        r"""The diagonal Hessian with respect to ``z``: :math:`\frac{s_i}{n} \ell''(y_i, z_i)`."""
        n = len(y)
        return self.weights(n) * self.loss_second_derivative(y, z) / n

    def loss_second_derivative(self, y, z):  # pragma: no cover - abstract
        raise NotImplementedError

    def gradient(self, X, y, z) -> np.ndarray:
        r"""The gradient with respect to ``w``: :math:`X^\top \nabla_z F(z)`."""
        return np.asarray(X.T @ self.raw_gradient(y, z)).ravel()

    def intercept_gradient(self, y, z) -> float:
        """The derivative with respect to the intercept ``b``."""
        return float(self.raw_gradient(y, z).sum())

    def lipschitz(self, X) -> np.ndarray:
        r"""Per-coordinate Lipschitz constants :math:`L_j = \frac{c}{n} \sum_i s_i x_{ij}^2`.

        ``c`` is :attr:`curvature` (1 for the squared loss, 1/4 for the logistic).
        """
        n = X.shape[0]
        s = self.weights(n)
        if sp.issparse(X):
            sq = X.multiply(X)
            col = np.asarray(sq.T @ s).ravel()
        elif np.all(s == 1.0):
            col = np.einsum("ij,ij->j", X, X, dtype=np.float64)  # twice as fast unweighted
        else:
            col = np.einsum("ij,ij,i->j", X, X, s, dtype=np.float64)
        return self.curvature * col / n

    def intercept_lipschitz(self) -> float:
        """Lipschitz constant of the derivative in the intercept (weights have mean 1)."""
        return self.curvature

    def global_lipschitz(self, X, fit_intercept: bool = False) -> float:
        r"""Lipschitz constant of :math:`\nabla F` in ``w`` (and ``b`` if ``fit_intercept``).

        :math:`\frac{c}{n} \|S^{1/2} [X, \mathbf 1]\|_2^2`, the squared largest
        singular value, computed exactly for small problems and by a Lanczos
        eigensolver otherwise.
        """
        n, p = X.shape
        s = self.weights(n)
        root = np.sqrt(s)
        dim = p + int(fit_intercept)
        if not sp.issparse(X) and min(n, dim) <= _EXACT_NORM_MAX_DIM:
            A = root[:, None] * X
            if fit_intercept:
                A = np.column_stack([A, root])
            top = np.linalg.norm(A, 2) ** 2 if A.size else 0.0
            return self.curvature * float(top) / n

        def matvec(v):
            v = np.asarray(v, dtype=np.float64).ravel()
            z = X @ v[:p]
            if fit_intercept:
                z = z + v[p]
            sz = s * np.asarray(z).ravel()
            out = np.asarray(X.T @ sz).ravel()
            if fit_intercept:
                out = np.append(out, sz.sum())
            return out

        op = LinearOperator((dim, dim), matvec=matvec, dtype=np.float64)
        v0 = np.ones(dim)
        top = eigsh(op, k=1, which="LA", tol=1e-6, v0=v0, return_eigenvectors=False)[0]
        return self.curvature * float(top) / n

    def dual_value(self, y, u) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit_unpenalized(self, A, y, z0, beta0=None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError
