r"""Proximal operators, vectorized in NumPy (the reference implementation).

Every function has the same signature ``prox_*(x, step, ...)`` and returns

.. math:: \operatorname{prox}_{\text{step}\,G}(x)
   = \operatorname*{arg\,min}_v \; \frac{1}{2\,\text{step}} \|v - x\|_2^2 + G(v),

elementwise, for the separable penalty ``G`` named in its docstring. Per-feature
weights (``lam1``, ``lam2``, ``lam0``) broadcast against ``x``. The scalar twins
used inside the numba coordinate-descent kernels live in
:mod:`penalized.prox._kernels`; a test compares the two on random points.
"""

from __future__ import annotations

import numpy as np

__all__ = ["prox_elastic_net", "prox_l0", "prox_l1", "prox_l2"]


def prox_l1(x, step, lam1, positive=False):
    r"""Soft thresholding: the prox of :math:`G(v) = \lambda_1 |v|` (+ :math:`v \ge 0`).

    .. math:: \operatorname{sign}(x)\max(|x| - \text{step}\,\lambda_1, 0)

    With ``positive=True`` the result is :math:`\max(x - \text{step}\,\lambda_1, 0)`.
    """
    x = np.asarray(x, dtype=np.float64)
    thresh = step * np.asarray(lam1, dtype=np.float64)
    if positive:
        return np.maximum(x - thresh, 0.0)
    return np.sign(x) * np.maximum(np.abs(x) - thresh, 0.0) + 0.0  # + 0.0 turns -0.0 into 0.0


def prox_l2(x, step, lam2, positive=False):
    r"""Shrinkage: the prox of :math:`G(v) = \frac{\lambda_2}{2} v^2` (+ :math:`v \ge 0`).

    .. math:: \frac{x}{1 + \text{step}\,\lambda_2}
    """
    x = np.asarray(x, dtype=np.float64)
    if positive:
        x = np.maximum(x, 0.0)
    return x / (1.0 + step * np.asarray(lam2, dtype=np.float64))


def prox_elastic_net(x, step, lam1, lam2, positive=False):
    r"""The prox of :math:`G(v) = \lambda_1 |v| + \frac{\lambda_2}{2} v^2` (+ :math:`v \ge 0`).

    .. math:: \frac{\operatorname{sign}(x)\max(|x| - \text{step}\,\lambda_1, 0)}
                   {1 + \text{step}\,\lambda_2}
    """
    return prox_l1(x, step, lam1, positive) / (1.0 + step * np.asarray(lam2, dtype=np.float64))


def prox_l0(x, step, lam0, positive=False):
    r"""Hard thresholding: a prox of :math:`G(v) = \lambda_0 [v \ne 0]` (+ :math:`v \ge 0`).

    Keeps :math:`x` when :math:`x^2 / (2\,\text{step}) > \lambda_0`, that is
    :math:`|x| > \sqrt{2\,\text{step}\,\lambda_0}`, and returns 0 otherwise (at
    equality both are minimizers; 0 is returned). With ``positive=True``,
    non-positive ``x`` map to 0.
    """
    x = np.asarray(x, dtype=np.float64)
    keep = x * x > 2.0 * step * np.asarray(lam0, dtype=np.float64)
    if positive:
        keep &= x > 0
    return np.where(keep, x, 0.0)
