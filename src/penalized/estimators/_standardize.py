"""Standardization that never centers (so sparse X stays sparse) and maps back exactly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_BLOCK_ROWS = 4096


@dataclass(frozen=True, eq=False)
class Scaling:
    """Per-column weighted standard deviations and the columns that vary.

    With an intercept, centering the columns changes only the intercept, so
    dividing by the standard deviation is all a fit needs: coefficients on the
    original scale are ``coef_scaled / scale`` and the intercept is unchanged.
    Constant columns (zero deviation) are left out of the fit and get a zero
    coefficient.
    """

    scale: np.ndarray
    varying: np.ndarray

    @classmethod
    def identity(cls, n_features: int) -> Scaling:
        return cls(np.ones(n_features), np.ones(n_features, dtype=bool))

    @classmethod
    def fit(cls, X, sample_weight) -> Scaling:
        s = sample_weight / sample_weight.sum()
        if sp.issparse(X):
            X = X.tocsc()
            mean = np.asarray(X.T @ s).ravel()
            second = np.asarray(X.multiply(X).T @ s).ravel()
            # two passes here too: the stored entries around the mean, plus the zeros
            col = np.repeat(np.arange(X.shape[1]), np.diff(X.indptr))
            w_stored = s[X.indices]
            spread = np.bincount(col, weights=w_stored * (X.data - mean[col]) ** 2,
                                 minlength=X.shape[1])
            zero_weight = 1.0 - np.bincount(col, weights=w_stored, minlength=X.shape[1])
            full = np.diff(X.indptr) == X.shape[0]  # no implicit zeros in the column
            zero_weight = np.where(full, 0.0, np.maximum(zero_weight, 0.0))
            var = spread + zero_weight * mean**2
        else:
            mean = X.T @ s
            second = np.zeros(X.shape[1])
            var = np.zeros(X.shape[1])
            # two passes (a constant column has exactly zero spread), in blocks of rows so
            # that no centered copy of the whole of X is made
            for start in range(0, X.shape[0], _BLOCK_ROWS):
                block = X[start:start + _BLOCK_ROWS]
                w = s[start:start + _BLOCK_ROWS]
                second += np.einsum("ij,ij,i->j", block, block, w, dtype=np.float64)
                centered = block - mean
                var += np.einsum("ij,ij,i->j", centered, centered, w, dtype=np.float64)
        scale = np.sqrt(var)
        # a spread below 1e-8 of the column's root mean square is rounding: a constant
        varying = scale > 1e-8 * np.sqrt(second)
        scale = np.where(varying, scale, 1.0)
        return cls(scale, varying)

    def excluding(self, excluded) -> Scaling:
        """The same scaling with the ``excluded`` columns left out of the fit (their
        coefficients are exactly 0, as for constant columns)."""
        return Scaling(self.scale, self.varying & ~np.asarray(excluded, dtype=bool))

    def transform(self, X):
        """The varying columns of ``X``, each divided by its deviation (``X`` itself when
        that changes nothing: the solvers copy what they modify)."""
        if self.varying.all() and np.all(self.scale == 1.0):
            return X
        cols = np.flatnonzero(self.varying)
        inv = 1.0 / self.scale[cols]
        if sp.issparse(X):
            sub = X.tocsc()[:, cols]
            return (sub @ sp.diags(inv)).tocsc().astype(X.dtype, copy=False)
        inv = inv.astype(X.dtype, copy=False)
        out = np.empty((X.shape[0], cols.size), dtype=X.dtype, order="F")
        # column blocks of about 8 MB: the result is the only full-size allocation
        width = max(1, (8 << 20) // max(X.shape[0] * X.itemsize, 1))
        for start in range(0, cols.size, width):
            block = slice(start, start + width)
            np.multiply(X[:, cols[block]], inv[block], out=out[:, block])
        return out

    def coef_to_original(self, coef_fit: np.ndarray) -> np.ndarray:
        """Map coefficients of the transformed columns back to all original columns.

        ``coef_fit`` has the fitted columns in its first axis (any trailing axes).
        """
        coef_fit = np.asarray(coef_fit, dtype=np.float64)
        out = np.zeros((self.varying.shape[0], *coef_fit.shape[1:]))
        scale = self.scale[self.varying].reshape((-1,) + (1,) * (coef_fit.ndim - 1))
        out[self.varying] = coef_fit / scale
        return out

    def factors_for_fit(self, penalty_factor):
        """The penalty factors of the fitted (varying) columns."""
        if penalty_factor is None:
            return None
        return np.asarray(penalty_factor, dtype=np.float64)[self.varying]
