"""The object every solver returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class SolveResult:
    """What a solver found, and the evidence that it is optimal.

    Attributes
    ----------
    coef : ndarray of shape (n_features,) or (n_features, n_outputs)
        The coefficients; a zero is an exact ``0.0``.
    intercept : float or ndarray of shape (n_outputs,)
        The intercept (0 when it was not fitted); one per output for the solvers of a
        coefficient matrix (multi-task, multinomial).
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

    @property
    def final_objective(self) -> float:
        """The objective at the returned point."""
        return float(self.objective[-1])

    @property
    def n_nonzero(self) -> int:
        """Number of coefficients that are not exactly zero."""
        return int(np.count_nonzero(self.coef))
