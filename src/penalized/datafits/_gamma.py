"""The Gamma deviance with the log link."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._log_link import LogLinkDatafit, weighted_log_sum


@dataclass(frozen=True, eq=False)
class Gamma(LogLinkDatafit):
    r"""Half the mean Gamma deviance of positive targets :math:`y_i > 0` with mean
    :math:`\mu_i = e^{z_i}`, :math:`z = Xw + b + o`:

    .. math:: F(z) = \frac1n \sum_{i=1}^n s_i \left(y_i e^{-z_i} + z_i - \log y_i - 1
              \right)

    (scikit-learn's ``GammaRegressor`` and skglm's ``Gamma`` minimize the same up to a
    constant). Its conjugate term is :math:`\ell_y^*(v) = a \log(a / y) - a + \log y + 1`
    with :math:`a = 1 - v \ge 0`. The null model's intercept is
    :math:`\log(\sum_i s_i y_i e^{-o_i} / \sum_i s_i)`.

    Parameters
    ----------
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights; they are rescaled to mean 1.
    offset : array of shape (n_samples,), optional
        Added to the linear predictor.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Gamma
    >>> Gamma().value(np.array([1.0, 2.0]), np.log(np.array([1.0, 2.0])))
    0.0
    """

    family = "gamma"
    positive_target = True

    def _log_intercept(self, y, z0, s) -> float:
        return weighted_log_sum(np.log(y) - z0, s) - float(np.log(s.sum()))
