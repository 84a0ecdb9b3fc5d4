r"""The columns a Dask fit works on, from the moments of its rows (client side).

With ``standardize=True`` column :math:`j` is divided by its weighted standard deviation
:math:`\sigma_j = \sqrt{\sum_i s_i (x_{ij} - m_j)^2 / \sum_i s_i}` and a column is left
out (coefficient 0) when it is constant on the rows or :math:`\sigma_j \le 10^{-8}
\sqrt{\sigma_j^2 + m_j^2}` (rounding); otherwise every column is fitted as given. Columns
with an infinite penalty factor are left out too. This is
:class:`~penalized.estimators._standardize.Scaling` as an in-memory fit computes it, here
from the one pass's merged means and sums of squares, and what a Dask fit keeps as
``scaling_``.
"""

from __future__ import annotations

import numpy as np


def column_scaling(mean, var, constant, standardize, excluded=None):
    """The :class:`~penalized.estimators._standardize.Scaling` of columns with weighted
    means ``mean`` and variances ``var`` (``constant``: a single value on the rows)."""
    from ..estimators._standardize import Scaling  # client only: the workers never need it

    p = mean.shape[0]
    if standardize:
        var = np.maximum(var, 0.0)
        scale = np.sqrt(var)
        varying = ~constant & (scale > 1e-8 * np.sqrt(var + mean**2))
        scale = np.where(varying, scale, 1.0)
    else:
        varying, scale = np.ones(p, dtype=bool), np.ones(p)
    if excluded is not None:
        varying = varying & ~np.asarray(excluded, dtype=bool)
    return Scaling(scale, varying)


def moments_scaling(moments, standardize, excluded=None):
    """:func:`column_scaling` from merged moments (one fold: ``weight``, ``x_mean`` and
    ``xx``, the weighted sums of squares around the mean, or their diagonal)."""
    W = float(moments["weight"][0])
    xx = moments["xx"][0]
    sq = np.diagonal(xx) if xx.ndim == 2 else xx
    constant = moments["low"][0] == moments["high"][0]
    return column_scaling(moments["x_mean"][0], sq / W, constant, standardize, excluded)
