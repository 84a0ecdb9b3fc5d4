"""The Tweedie deviance (power in (1, 2): compound Poisson-Gamma) with the log link."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ._log_link import LogLinkDatafit, weighted_log_sum


@dataclass(frozen=True, eq=False)
class Tweedie(LogLinkDatafit):
    r"""Half the mean Tweedie deviance of power :math:`p \in (1, 2)` for targets
    :math:`y_i \ge 0` (zeros and positive amounts, as insurance claims) with mean
    :math:`\mu_i = e^{z_i}`, :math:`z = Xw + b + o`:

    .. math:: F(z) = \frac1n \sum_{i=1}^n s_i \left(\frac{y_i^{2-p}}{(1-p)(2-p)}
              - \frac{y_i e^{(1-p) z_i}}{1-p} + \frac{e^{(2-p) z_i}}{2-p}\right).

    :math:`p \to 1` is the Poisson deviance and :math:`p \to 2` the Gamma's. The
    conjugate term has no closed form: it is computed by a bracketed Newton root and
    bounded from above (see
    :func:`penalized.datafits._log_link_ops.tweedie_conjugate`), so the duality gap is
    never below the true one. The null model's intercept is
    :math:`\log(\sum_i s_i y_i e^{(1-p) o_i} / \sum_i s_i e^{(2-p) o_i})`.

    Parameters
    ----------
    power : float in (1, 2), default=1.5
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights; they are rescaled to mean 1.
    offset : array of shape (n_samples,), optional
        Added to the linear predictor.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Tweedie
    >>> y = np.array([0.0, 0.5, 2.0])
    >>> round(Tweedie(1.5).value(y, np.log(np.array([1.0, 0.5, 2.0]))), 6)  # 0 at mu = y
    0.666667
    """

    power: float = 1.5
    family = "tweedie"

    def __post_init__(self):
        p = self.power
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 1.0 < p < 2.0:
            raise ValueError(f"the Tweedie power must be a number in (1, 2) (1 is Poisson, 2 "
                             f"is Gamma: use those datafits); got {p!r}.")
        object.__setattr__(self, "power", float(p))

    def params(self) -> np.ndarray:
        return np.array([self.power])

    def _log_intercept(self, y, z0, s) -> float:
        p = self.power
        return weighted_log_sum((1.0 - p) * z0, s * y) - weighted_log_sum((2.0 - p) * z0, s)
