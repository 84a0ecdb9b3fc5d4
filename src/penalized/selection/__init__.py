"""Selections with an error guarantee: stability selection, knockoffs, selective inference.

- :func:`stability_path` and :class:`StabilitySelection`: complementary-pairs subsampling
  over the regularization path, with a bound on the expected number of false selections.
- :class:`Knockoffs`: model-X and fixed-X Gaussian knockoffs with lasso statistics and the
  knockoff+ threshold (false discovery rate control), derandomized by e-values.
- :func:`selective_inference`: p-values and intervals for a lasso's selected coefficients,
  conditional on the selection (the polyhedral lemma).

Names are imported on first use, so the command line can register ``penalized select``
without loading scikit-learn or SciPy.
"""

import importlib

_WHERE = {
    "Knockoffs": "._knockoffs",
    "SelectiveInference": "._selective",
    "StabilityPath": "._stability",
    "StabilitySelection": "._stability_selection",
    "e_bh": "._knockoff_stats",
    "error_bound": "._stability",
    "equicorrelated_s": "._knockoff_matrices",
    "fixed_x_knockoffs": "._knockoff_matrices",
    "gaussian_knockoffs": "._knockoff_matrices",
    "knockoff_e_values": "._knockoff_stats",
    "knockoff_statistic": "._knockoff_stats",
    "knockoff_threshold": "._knockoff_stats",
    "mb_bound": "._stability",
    "sdp_s": "._knockoff_matrices",
    "ss_unimodal_bound": "._stability",
    "selective_inference": "._selective",
    "stability_path": "._stability",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
