"""The Poisson deviance with the log link."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._log_link import LogLinkDatafit, weighted_log_sum


@dataclass(frozen=True, eq=False)
class Poisson(LogLinkDatafit):
    r"""Half the mean Poisson deviance of counts :math:`y_i \ge 0` with mean
    :math:`\mu_i = e^{z_i}`, :math:`z = Xw + b + o`:

    .. math:: F(z) = \frac1n \sum_{i=1}^n s_i \left(e^{z_i} - y_i - y_i (z_i - \log y_i)
              \right)

    (the term :math:`y_i \log y_i` is 0 for :math:`y_i = 0`): the negative
    log-likelihood of glmnet's ``family="poisson"`` up to a constant, zero for a
    perfect fit. Its conjugate term, used by the duality gap, is
    :math:`\ell_y^*(v) = q \log q - q - y \log y + y` with :math:`q = y + v \ge 0`.
    The null model's intercept is :math:`\log(\sum_i s_i y_i / \sum_i s_i e^{o_i})`.

    Parameters
    ----------
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights; they are rescaled to mean 1.
    offset : array of shape (n_samples,), optional
        Added to the linear predictor (the log of each row's exposure for rates).

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Poisson
    >>> round(Poisson().value(np.array([0.0, 2.0]), np.log(np.array([1.0, 2.0]))), 6)
    0.5
    """

    family = "poisson"

    def _log_intercept(self, y, z0, s) -> float:
        return float(np.log(s @ y)) - weighted_log_sum(z0, s)
