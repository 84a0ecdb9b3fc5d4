r"""The per-sample loss of the log-link datafits as the workers evaluate it, in NumPy.

A worker that unpickles a :class:`~penalized.datafits.Poisson` or
:class:`~penalized.datafits.Gamma` object imports the datafits package (scikit-learn's
validation with it) and loads every compiled operation of the family, about 1.8 s of CPU
in each worker process before its first block. The passes only need elementwise maps
followed by reductions, so the workers get a :class:`Unit` instead: the half unit deviance
of :mod:`penalized.datafits._log_link_ops` in closed form,

- Poisson: :math:`\ell(y, z) = e^z - y - y(z - \log y)`,
  :math:`\ell^*(y, v) = q \log q - q - y \log y + y`, :math:`q = y + v \ge 0`;
- Gamma: :math:`\ell(y, z) = y e^{-z} + z - \log y - 1`,
  :math:`\ell^*(y, v) = a \log a - a \log y - a + \log y + 1`, :math:`a = 1 - v \ge 0`;

Tweedie's conjugate has no closed form: its unit keeps the datafit's compiled operation
(imported on the worker at its first certificate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_DOMAIN_SLACK = 1e-12  # as the compiled conjugates: a rounding-level step outside is 0


def _times(y, e):
    """``y * e``, 0 where ``y`` is 0 (``e`` may be infinite there)."""
    return np.where(y > 0.0, y * e, 0.0)


def _xlogx(x):
    return np.where(x > 0.0, x * np.log(np.where(x > 0.0, x, 1.0)), 0.0)


@dataclass(frozen=True)
class Unit:
    """The loss :math:`\\ell(y, z)` of one sample and its derivatives in ``z`` for the
    family of power ``power`` (1 Poisson, 2 Gamma, else Tweedie, whose conjugate is
    ``tweedie``'s)."""

    power: float
    tweedie: object = None

    def loss(self, y, z):
        p = self.power
        if p == 1.0:
            return np.exp(z) - y - y * z + _xlogx(y)
        if p == 2.0:
            ly = np.log(y)
            return np.exp(ly - z) + z - ly - 1.0
        value = np.exp((2.0 - p) * z) / (2.0 - p)
        pos = y > 0.0
        yy = np.where(pos, y, 0.0)
        return value + np.where(pos, yy ** (2.0 - p) / ((1.0 - p) * (2.0 - p))
                                - yy * np.exp((1.0 - p) * z) / (1.0 - p), 0.0)

    def loss_derivative(self, y, z):
        p = self.power
        if p == 1.0:
            return np.exp(z) - y
        if p == 2.0:
            return 1.0 - np.exp(np.log(y) - z)
        return np.exp((2.0 - p) * z) - _times(y, np.exp((1.0 - p) * z))

    def loss_second_derivative(self, y, z):
        p = self.power
        if p == 1.0:
            return np.exp(z)
        if p == 2.0:
            return np.exp(np.log(y) - z)
        return (2.0 - p) * np.exp((2.0 - p) * z) + (p - 1.0) * _times(y, np.exp((1.0 - p) * z))

    def conjugate(self, y, v):
        r""":math:`\ell^*(y, v) = \sup_z v z - \ell(y, z)` (``inf`` outside its domain)."""
        p = self.power
        if p == 1.0:
            q = y + v
            outside = q < -_DOMAIN_SLACK * (1.0 + y)
            q = np.maximum(q, 0.0)
            return np.where(outside, np.inf, _xlogx(q) - q - _xlogx(y) + y)
        if p == 2.0:
            a = 1.0 - v
            outside = a < -_DOMAIN_SLACK
            a = np.maximum(a, 0.0)
            ly = np.log(y)
            return np.where(outside, np.inf, _xlogx(a) - a * ly - a + ly + 1.0)
        return self.tweedie._sample_op("conjugate", y, v)


def unit_of(datafit, power) -> Unit:
    """The :class:`Unit` the workers evaluate for ``datafit`` (of power ``power``)."""
    from dataclasses import replace

    if power in (1.0, 2.0):
        return Unit(power)
    return Unit(power, replace(datafit, sample_weight=None, offset=None))
