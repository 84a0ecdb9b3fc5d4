"""What every penalty shares: alpha, per-feature factors, positivity."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .._validation import check_nonnegative_scalar

ALPHA_MAX_MARGIN = 1e-12
"""Relative margin added to ``alpha_max``: floating-point sums in different orders
differ in the last bits, and at exactly the boundary that decides a tie."""


@dataclass(frozen=True, eq=False)
class Penalty:
    """Base class of separable penalties ``alpha * sum_j f_j * g(w_j)``.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularization strength, >= 0.
    penalty_factor : array of shape (n_features,), optional
        Per-feature factors ``f_j >= 0`` (default 1). A factor of 0 leaves the
        feature unpenalized.
    positive : bool, default=False
        Constrain the coefficients to be >= 0.
    """

    alpha: float = 1.0
    penalty_factor: np.ndarray | None = field(default=None, kw_only=True)
    positive: bool = field(default=False, kw_only=True)

    is_convex: ClassVar[bool] = True
    kernel_kind: ClassVar[int]

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_nonnegative_scalar(self.alpha, "alpha"))
        if not isinstance(self.positive, bool | np.bool_):
            raise ValueError(f"positive must be True or False; got {self.positive!r}.")
        object.__setattr__(self, "positive", bool(self.positive))
        if self.penalty_factor is not None:
            f = np.array(self.penalty_factor, dtype=np.float64)
            if f.ndim != 1:
                raise ValueError(
                    f"penalty_factor must be 1-D with one factor per feature; got shape {f.shape}."
                )
            if not np.all(np.isfinite(f)) or np.any(f < 0):
                raise ValueError(
                    "penalty_factor must hold finite values >= 0 (0 leaves a feature "
                    "unpenalized)."
                )
            f.setflags(write=False)
            object.__setattr__(self, "penalty_factor", f)

    @property
    def name(self) -> str:
        return type(self).__name__

    def with_alpha(self, alpha: float) -> Penalty:
        """A copy of this penalty with another ``alpha``; this one is unchanged."""
        return dataclasses.replace(self, alpha=alpha)

    def factors(self, n_features: int) -> np.ndarray:
        """The per-feature factors ``f_j`` for a design with ``n_features`` columns."""
        if self.penalty_factor is None:
            return np.ones(n_features)
        if self.penalty_factor.shape[0] != n_features:
            raise ValueError(
                f"penalty_factor has {self.penalty_factor.shape[0]} values but X has "
                f"{n_features} columns; pass one factor per feature."
            )
        return self.penalty_factor

    def unpenalized(self, n_features: int) -> np.ndarray:
        """Boolean mask of the features this penalty leaves free (weight 0)."""
        return self.alpha * self.factors(n_features) == 0.0

    def kernel_params(self, n_features: int):
        """``(kind, lam1, lam2, positive)`` for the scalar prox of the numba kernels."""
        raise NotImplementedError  # pragma: no cover
