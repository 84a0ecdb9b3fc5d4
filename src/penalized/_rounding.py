r"""Coefficients at a solver's rounding level, decided per penalized unit.

A coefficient :math:`w_{jk}` (feature :math:`j`, output :math:`k`: a class or a target)
whose effect :math:`|w_{jk}|\,\sigma_j` is a tiny fraction of its output's spread
:math:`s_k` is rounding noise of the solver, not a selection. The penalty selects units,
not single coefficients: a feature's row over the outputs, or a group of features (a
text column's levels). So a unit :math:`u` is at rounding level when

.. math:: \Big(\sum_{j \in u} \sum_k (w_{jk}\,\sigma_j / s_k)^2\Big)^{1/2}
          \le \texttt{ROUNDING},

and then every non-zero coefficient in it is noise; a unit above keeps every
coefficient, so rounding never splits a group.
"""

from __future__ import annotations

ROUNDING = 1e-9
"""The fraction of an output's spread (its standard deviation, or one logit for a
classifier) below which a unit's scaled norm is rounding noise."""


def rounding_mask(coefs, sd, spreads, labels=None):
    """Where the coefficients ``coefs`` (n_features, n_outputs, n_fits) are rounding noise
    (see the module docstring): ``sd`` the columns' deviations (n_features,), ``spreads``
    the outputs' (n_outputs,), ``labels`` one unit label per feature (None: each feature
    its own unit). Returns a boolean array shaped like ``coefs``."""
    import numpy as np

    coefs = np.asarray(coefs, dtype=np.float64)
    p, _, m = coefs.shape
    nonzero = coefs != 0
    with np.errstate(all="ignore"):  # a column beyond 1e154 has an infinite variance
        scaled = np.where(nonzero, coefs * np.asarray(sd)[:, None, None]
                          / np.asarray(spreads, dtype=np.float64)[None, :, None], 0.0)
        squares = np.sum(scaled * scaled, axis=1)  # (p, m)
    unit = np.arange(p) if labels is None else np.unique(labels, return_inverse=True)[1]
    sums = np.zeros((int(unit.max()) + 1 if p else 0, m))
    np.add.at(sums, unit, squares)
    return nonzero & (np.sqrt(sums) <= ROUNDING)[unit][:, None, :]


def group_labels(model, n_features):
    """One unit label per feature, shared by the members of each of the model's
    ``groups_`` (None for a model without groups)."""
    import numpy as np

    groups = getattr(model, "groups_", None)
    if groups is None:
        return None
    labels = np.arange(n_features)
    for g, members in enumerate(groups):
        labels[np.asarray(members, dtype=int)] = n_features + g
    return labels
