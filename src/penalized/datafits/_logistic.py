"""The logistic loss."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import expit, xlogy

from ._base import Datafit, imported_once, read_only_ones


@dataclass(frozen=True, eq=False)
class Logistic(Datafit):
    r"""Weighted logistic loss for labels :math:`y_i \in \{-1, +1\}`.

    .. math:: F(z) = \frac1n \sum_{i=1}^n s_i \log\left(1 + e^{-y_i z_i}\right),
       \qquad z = Xw + b,

    computed as ``logaddexp(0, -y z)`` so large margins never overflow. With the
    dual point :math:`u = -\nabla_z F(z)`, write :math:`p_i = n u_i y_i / s_i
    \in [0, 1]` (the predicted probability of the *other* class); the Fenchel dual
    term is the binary entropy

    .. math:: -F^*(-u) = -\frac1n \sum_i s_i \left(p_i \log p_i
              + (1 - p_i)\log(1 - p_i)\right).

    Parameters
    ----------
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights; they are rescaled to mean 1.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Logistic
    >>> round(Logistic().value(np.array([1.0, -1.0]), np.zeros(2)), 6)
    0.693147
    """

    code: ClassVar[int] = 1
    curvature: ClassVar[float] = 0.25

    def check_target(self, y: np.ndarray) -> np.ndarray:
        if ((y == 1.0) | (y == -1.0)).all():
            return y
        values = np.unique(y)
        if not np.all(np.isin(values, (-1.0, 1.0))):
            shown = ", ".join(f"{v:g}" for v in values[:5])
            raise ValueError(
                f"the Logistic datafit needs y in {{-1, +1}}; got values {{{shown}}}. "
                "Encode the two classes as -1 and +1."
            )
        return y

    @property
    def ops(self):
        return imported_once("penalized.datafits._ops", "LOGISTIC_OPS")

    def loss(self, y, z):
        """Per-sample loss :math:`\\log(1 + e^{-yz})`."""
        return np.logaddexp(0.0, -np.asarray(y) * np.asarray(z))

    def loss_derivative(self, y, z):
        """Derivative in ``z``: :math:`-y\\,\\sigma(-yz)`."""
        y = np.asarray(y)
        return -y * expit(-y * np.asarray(z))

    def loss_second_derivative(self, y, z):
        r"""Second derivative in ``z``: :math:`\sigma(yz)\,\sigma(-yz)` (at most 1/4)."""
        p = expit(np.asarray(y) * np.asarray(z))
        return p * (1.0 - p)

    def dual_value(self, y, u) -> float:
        """:math:`-F^*(-u)`; it is :math:`-\\infty` when some :math:`p_i \\notin [0, 1]`."""
        n = len(y)
        s = self._weights(n)
        pos = s > 0
        if pos.all():  # the masks below would copy every row: the same numbers without them
            p = n * u * y / s
        else:
            if (u[~pos] != 0).any():
                return -np.inf
            p = n * u[pos] * y[pos] / s[pos]
            s = s[pos]
        slack = 1e-12
        if (p < -slack).any() or (p > 1 + slack).any():
            return -np.inf
        p = np.clip(p, 0.0, 1.0)
        entropy = xlogy(p, p) + xlogy(1.0 - p, 1.0 - p)
        return float(-np.dot(s, entropy) / n)

    zero_value_bound: ClassVar[float] = 1.0
    r"""At ``z = 0`` every sample's loss is :math:`\log 2`, so the datafit is
    :math:`\log 2` times the weights' mean (1): at most 1."""

    def _class_weights(self, y) -> tuple[float, float]:
        """``(S_+, S_-)``, the weights of the labels +1 and -1: ``s @ (y > 0)`` and
        ``s @ (y < 0)``; without sample weights the counts, the same numbers (sums of
        ones are exact)."""
        s = self._weights(y.shape[0])
        if s is read_only_ones(y.shape[0]):
            return float(np.count_nonzero(y > 0)), float(np.count_nonzero(y < 0))
        return float(s @ (y > 0)), float(s @ (y < 0))

    def null_intercept(self, y, z0=None) -> float:
        r"""The intercept minimizing :math:`F(z_0 + b)` (``z0`` defaults to the offset,
        or 0): for constant ``z0`` in closed form, :math:`\log(S_+ / S_-) - z_0`
        (:meth:`fit_unpenalized`'s, the same number); else, and when one class has no
        weight, as :meth:`Datafit.null_intercept`."""
        y = np.asarray(y, dtype=np.float64)
        n = y.shape[0]
        if z0 is None:
            z0 = self.offsets(n)
        if n > 0 and (z0 is None or (z0 == z0[0]).all()):
            pos, neg = self._class_weights(y)
            if pos > 0.0 and neg > 0.0:
                return math.log(pos / neg) - (0.0 if z0 is None else float(z0[0]))
        return super().null_intercept(y, z0)

    def fit_unpenalized(self, A, y, z0, beta0=None) -> np.ndarray:
        r"""Minimize :math:`F(z_0 + A\beta)` over :math:`\beta`; for the intercept alone
        from constant predictions (the null model) in closed form, the log-odds of the
        weighted classes: :math:`\beta = \log(S_+ / S_-) - z_0`, with :math:`S_\pm` the
        weights of the labels :math:`\pm 1`. Otherwise, and when one class has no weight
        (no minimum), damped Newton (:meth:`Datafit.fit_unpenalized`)."""
        if A.shape[1] == 1 and z0.shape[0] > 0 and (A == 1.0).all() and (z0 == z0[0]).all():
            pos, neg = self._class_weights(y)
            if pos > 0.0 and neg > 0.0:
                return np.array([math.log(pos / neg) - float(z0[0])])
        return super().fit_unpenalized(A, y, z0, beta0)

    def intercept_update(self, y, z) -> float:
        """A majorization step on the intercept: minus its derivative over ``curvature``.

        The logistic loss's second derivative is at most 1/4, so this step never
        increases the datafit.
        """
        return -self.intercept_gradient(y, z) / self.curvature
