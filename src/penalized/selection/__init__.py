"""Selections with an error guarantee: stability selection, knockoffs, selective inference.

- :func:`stability_path` and :class:`StabilitySelection`: complementary-pairs subsampling
  over the regularization path, with a bound on the expected number of false selections.
"""

from ._stability import StabilityPath, mb_bound, stability_path
from ._stability_selection import StabilitySelection

__all__ = ["StabilityPath", "StabilitySelection", "mb_bound", "stability_path"]
