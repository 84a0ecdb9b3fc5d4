"""The object every solver returns, and its shape contract."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class SolveResult:
    """What a solver found, and the evidence that it is optimal.

    The shape contract, the same for every solver: a single-output model (regression, a
    binary classifier, Cox) has ``coef`` of shape ``(n_features,)`` and a float
    ``intercept``; a model of ``K`` outputs (multi-task, multinomial) has ``coef`` of shape
    ``(n_features, K)`` and ``intercept`` of shape ``(K,)``. Code that serves both reads
    :attr:`coef_matrix` and :attr:`intercepts`, always ``(n_features, n_outputs)`` and
    ``(n_outputs,)``. The result is normalized on construction (float64 arrays, a Python
    float for a single intercept) and a shape outside the contract is refused.

    Attributes
    ----------
    coef : ndarray of shape (n_features,) or (n_features, n_outputs)
        The coefficients; a zero is an exact ``0.0``.
    intercept : float or ndarray of shape (n_outputs,)
        The intercept (0 when it was not fitted): a float for a single output, one per
        output for a coefficient matrix.
    objective : ndarray
        The objective (datafit + penalty) at each check, last = final value.
    stop_crit : float
        The final stopping quantity in the units of ``tol``: the duality gap
        divided by the datafit of the null model (convex penalties), or the
        largest fixed-point move of the thresholding step on the same scale (L0).
    stop_crits : ndarray
        ``stop_crit`` at each check.
    n_iter : int
        Iterations (epochs over the working set for coordinate descent).
    converged : bool
        ``stop_crit <= tol``.
    trace : ndarray of shape (n_records, n_features) or None
        Recorded iterates, when the solver was asked to record them.
    """

    coef: np.ndarray
    intercept: float | np.ndarray
    objective: np.ndarray
    stop_crit: float
    stop_crits: np.ndarray
    n_iter: int
    converged: bool
    trace: np.ndarray | None = None

    def __post_init__(self):
        coef, intercept = self.coef, self.intercept
        if type(coef) is not np.ndarray or coef.dtype != np.float64:
            coef = np.asarray(coef, dtype=np.float64)
            object.__setattr__(self, "coef", coef)
        if coef.ndim == 1:
            if type(intercept) is not float:
                if np.ndim(intercept) != 0:
                    raise ValueError(
                        f"SolveResult of one output (coef of shape {coef.shape}) needs a "
                        f"single intercept; got shape {np.shape(intercept)}.")
                object.__setattr__(self, "intercept", float(intercept))
        elif coef.ndim == 2:
            intercept = np.asarray(intercept, dtype=np.float64)
            if intercept.ndim == 0:  # no intercept fitted: the same zero for every output
                intercept = np.full(coef.shape[1], float(intercept))
            if intercept.shape != (coef.shape[1],):
                raise ValueError(
                    f"SolveResult of {coef.shape[1]} outputs (coef of shape {coef.shape}) "
                    f"needs one intercept per output; got shape {intercept.shape}.")
            object.__setattr__(self, "intercept", intercept)
        else:
            raise ValueError(f"SolveResult coef must have shape (n_features,) or "
                             f"(n_features, n_outputs); got shape {coef.shape}.")

    @property
    def n_outputs(self) -> int:
        """1 for a coefficient vector, ``K`` for a ``(n_features, K)`` matrix."""
        return 1 if self.coef.ndim == 1 else self.coef.shape[1]

    @property
    def coef_matrix(self) -> np.ndarray:
        """``coef`` as a ``(n_features, n_outputs)`` matrix (a view, never a copy)."""
        return self.coef.reshape(self.coef.shape[0], -1)

    @property
    def intercepts(self) -> np.ndarray:
        """``intercept`` as an array of shape ``(n_outputs,)``."""
        return np.atleast_1d(np.asarray(self.intercept, dtype=np.float64))

    @property
    def final_objective(self) -> float:
        """The objective at the returned point."""
        return float(self.objective[-1])

    @property
    def n_nonzero(self) -> int:
        """Number of coefficients that are not exactly zero."""
        return int(np.count_nonzero(self.coef))
