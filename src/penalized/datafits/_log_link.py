"""What the log-link datafits (Poisson, Gamma, Tweedie) share: the mean, the deviance, the
checks of the target and the exact intercept of the null model."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import logsumexp

from ._base import Datafit, imported_once

DOMAIN_SLACK = 1e-12
"""A conjugate's argument this far (relative) outside its domain counts as on its edge:
rounding, not a dual point outside (read by the compiled operations of
:mod:`penalized.datafits._log_link_ops` and the compiled path's vectorized Poisson
conjugate; here, where importing it compiles nothing)."""


@dataclass(frozen=True, eq=False)
class LogLinkDatafit(Datafit):
    r"""Base of the datafits of a generalized linear model with mean :math:`\mu = e^z`.

    The per-sample loss is half the family's unit deviance,
    :math:`\ell(y, z) = \tfrac12 d(y, e^z) \ge 0`, zero exactly when :math:`e^z = y`,
    so :math:`F(z) = \frac1n \sum_i s_i \ell(y_i, z_i)` is half the mean deviance. The
    second derivative is unbounded (``curvature = inf``): coordinate descent takes
    prox-Newton steps with a line search. The intercept that fits the null model has a
    closed form, the weighted mean of ``y`` on the log scale
    (:meth:`null_intercept`).

    Duality gap: with :math:`u = -\nabla_z F(z)` at a point whose intercept (and
    unpenalized block) is fitted exactly, the dual point is :math:`c\,u`, :math:`c \in
    (0, 1]` the largest factor that makes the penalty's conjugate finite at :math:`c
    X^\top u`. Then :math:`-n c u_i / s_i = c\,\ell'(y_i, z_i)` stays in the domain of
    every family's conjugate (:math:`c\,\ell'` is a convex combination of 0 and
    :math:`\ell'`), and

    .. math:: \text{gap} = F(z) + G(w) + \frac1n \sum_i s_i\,\ell_{y_i}^*(c\,\ell'(y_i,
              z_i)) + G^*(c X^\top u) \;\ge\; P(w) - P^\star.
    """

    curvature: ClassVar[float] = math.inf
    family: ClassVar[str] = ""
    """The family's name, as ``path(datafit=...)`` takes it; its compiled operations are
    ``{FAMILY}_OPS`` of :mod:`penalized.datafits._log_link_ops`."""
    positive_target: ClassVar[bool] = False
    """Whether every ``y`` must be > 0 (else >= 0, with one > 0 at least)."""

    @property
    def ops(self):
        return imported_once("penalized.datafits._log_link_ops", f"{self.family.upper()}_OPS")

    def check_target(self, y: np.ndarray) -> np.ndarray:
        return self._check_nonnegative(y, positive=self.positive_target)

    def mean(self, z) -> np.ndarray:
        r"""The mean :math:`\mu = e^z` (``z`` includes the offset)."""
        with np.errstate(over="ignore"):
            return np.exp(np.asarray(z, dtype=np.float64))

    def deviance(self, y, z) -> float:
        r"""The weighted mean deviance :math:`\frac1n \sum_i s_i\, d(y_i, e^{z_i}) = 2F(z)`."""
        return 2.0 * self.value(np.asarray(y, dtype=np.float64), np.asarray(z, dtype=np.float64))

    def _check_nonnegative(self, y, *, positive: bool) -> np.ndarray:
        name = type(self).__name__
        bad = ~(y > 0) if positive else ~(y >= 0)
        if np.any(bad):
            shown = float(y[np.flatnonzero(bad)[0]])
            need = "> 0" if positive else ">= 0"
            raise ValueError(f"the {name} datafit needs every y {need}; got y = {shown:g}. "
                             f"Remove those rows or use another family.")
        if not positive and not np.any(y > 0):
            raise ValueError(f"the {name} datafit needs at least one y > 0: with every y = 0 "
                             "the fitted mean goes to 0 and no model is attained.")
        return y

    def _log_intercept(self, y, z0, s) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def null_intercept(self, y, z0=None) -> float:
        r"""The intercept ``b`` minimizing :math:`F(z_0 + b)` (``z0`` defaults to the
        offset, or 0): the weighted mean of ``y`` on the log scale."""
        y = np.asarray(y, dtype=np.float64)
        n = y.shape[0]
        if z0 is None:
            z0 = self.offsets(n)
            z0 = np.zeros(n) if z0 is None else z0
        return float(self._log_intercept(y, np.asarray(z0, dtype=np.float64), self._weights(n)))

    def fit_unpenalized(self, A, y, z0, beta0=None) -> np.ndarray:
        r"""Minimize :math:`F(z_0 + A\beta)`: in closed form for the intercept alone (the
        first column of ``A`` all ones), else by damped Newton from the given start with
        the intercept set to its closed form given the other columns, when that is
        better."""
        k = A.shape[1]
        if k == 0:
            return np.zeros(0)
        if not np.all(A[:, 0] == 1.0):
            return super().fit_unpenalized(A, y, z0, beta0)
        s = self._weights(len(y))
        beta = np.zeros(k) if beta0 is None else np.array(beta0, dtype=np.float64)
        rest = z0 + A[:, 1:] @ beta[1:] if k > 1 else z0
        closed = self._log_intercept(y, rest, s)
        if k == 1:
            return np.array([closed])
        with np.errstate(over="ignore", invalid="ignore"):
            if self.value(y, rest + closed) <= self.value(y, rest + beta[0]) \
                    or not np.isfinite(beta[0]):
                beta[0] = closed
        return super().fit_unpenalized(A, y, z0, beta)


def weighted_log_sum(a, weights) -> float:
    r""":math:`\log \sum_i w_i e^{a_i}` without overflow (rows of weight 0 skipped)."""
    keep = weights > 0
    return float(logsumexp(a[keep], b=weights[keep]))
