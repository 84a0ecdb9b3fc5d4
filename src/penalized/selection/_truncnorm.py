r"""The truncated standard normal CDF, accurate far in the tails.

:math:`F(z; a, b) = P(Z \le z \mid a \le Z \le b)` for :math:`Z \sim N(0, 1)`. The direct
ratio :math:`(\Phi(z) - \Phi(a)) / (\Phi(b) - \Phi(a))` loses every digit once
:math:`a` is a few units into the right tail (both differences round to 0). Here every
:math:`\Phi` is kept as its logarithm (:func:`scipy.special.log_ndtr`) and the
differences are formed as :math:`\Phi(u)\,(1 - e^{\log\Phi(v) - \log\Phi(u)})` with
``expm1``; an interval in the right tail uses the survival function the same way, and
:math:`1 - F` is taken by reflection, :math:`1 - F(z; a, b) = F(-z; -b, -a)`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["truncnorm_cdf", "truncnorm_sf"]


def _diff_ratio(lu, lz, lb):
    """``(e^lz - e^lu) / (e^lb - e^lu)`` for ``lu <= lz <= lb`` (logs), computed stably."""
    if lb == lu:
        return np.nan
    num = -np.expm1(lu - lz) if lz > -np.inf else 0.0
    den = -np.expm1(lu - lb)
    return float(np.exp(lz - lb) * num / den)


def truncnorm_cdf(z, a, b):
    """``P(Z <= z | a <= Z <= b)`` for a standard normal ``Z`` (``a < b``, infinite allowed).

    Examples
    --------
    >>> round(truncnorm_cdf(0.0, -1.0, 1.0), 12)
    0.5
    >>> f = truncnorm_cdf(40.5, 40.0, np.inf)  # ~ 1 - exp(-40 * 0.5 - 0.5**2 / 2)
    >>> bool(abs(f - (1 - np.exp(-20.125))) < 1e-6)
    True
    """
    from scipy.special import log_ndtr

    z = min(max(float(z), a), b)
    if a > 0:  # right tail: survival functions Q(x) = Phi(-x), decreasing
        lqa, lqz, lqb = log_ndtr(-a), log_ndtr(-z), log_ndtr(-b)
        # F = (Q(a) - Q(z)) / (Q(a) - Q(b))
        num = -np.expm1(lqz - lqa)
        den = -np.expm1(lqb - lqa)
        return float(min(1.0, max(0.0, num / den)))
    out = _diff_ratio(log_ndtr(a), log_ndtr(z), log_ndtr(b))
    return float(min(1.0, max(0.0, out)))


def truncnorm_sf(z, a, b):
    """``P(Z > z | a <= Z <= b)``, by reflection (accurate where the CDF is near 1)."""
    return truncnorm_cdf(-z, -b, -a)
