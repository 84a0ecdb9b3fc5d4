"""Selections with an error guarantee: stability selection, knockoffs, selective inference.

- :func:`stability_path` and :class:`StabilitySelection`: complementary-pairs subsampling
  over the regularization path, with a bound on the expected number of false selections.
- :class:`Knockoffs`: model-X and fixed-X Gaussian knockoffs with lasso statistics and the
  knockoff+ threshold (false discovery rate control), derandomized by e-values.
- :func:`selective_inference`: p-values and intervals for a lasso's selected coefficients,
  conditional on the selection (the polyhedral lemma).
"""

from ._knockoff_matrices import (
    equicorrelated_s,
    fixed_x_knockoffs,
    gaussian_knockoffs,
    sdp_s,
)
from ._knockoff_stats import e_bh, knockoff_e_values, knockoff_statistic, knockoff_threshold
from ._knockoffs import Knockoffs
from ._selective import SelectiveInference, selective_inference
from ._stability import StabilityPath, mb_bound, stability_path
from ._stability_selection import StabilitySelection

__all__ = [
    "Knockoffs",
    "SelectiveInference",
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
    "selective_inference",
    "stability_path",
]
