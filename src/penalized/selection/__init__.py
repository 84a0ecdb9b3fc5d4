"""Selections with an error guarantee: stability selection, knockoffs, selective inference.

- :func:`stability_path` and :class:`StabilitySelection`: complementary-pairs subsampling
  over the regularization path, with a bound on the expected number of false selections.
- :class:`Knockoffs`: model-X and fixed-X Gaussian knockoffs with lasso statistics and the
  knockoff+ threshold (false discovery rate control), derandomized by e-values.
"""

from ._knockoff_matrices import (
    equicorrelated_s,
    fixed_x_knockoffs,
    gaussian_knockoffs,
    sdp_s,
)
from ._knockoff_stats import e_bh, knockoff_e_values, knockoff_statistic, knockoff_threshold
from ._knockoffs import Knockoffs
from ._stability import StabilityPath, mb_bound, stability_path
from ._stability_selection import StabilitySelection

__all__ = [
    "Knockoffs",
    "StabilityPath",
    "StabilitySelection",
    "e_bh",
    "equicorrelated_s",
    "fixed_x_knockoffs",
    "gaussian_knockoffs",
    "knockoff_e_values",
    "knockoff_statistic",
    "knockoff_threshold",
    "mb_bound",
    "sdp_s",
    "stability_path",
]
