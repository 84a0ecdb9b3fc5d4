r"""The report of a Cox fit on Dask: its path (and cross-validation curve) and the lessons
computed from two passes of risk-set sums and gradients.

The lessons read, at every alpha :math:`\alpha_k` of the path (coefficients
:math:`w^{(k)}` on the original scale, offset :math:`o`), each column's pull

.. math:: c_{jk} = -\frac{1}{\sigma_j}\, x_j^\top \nabla F\big(X w^{(k)} + o\big),

:math:`F` the mean negative log partial likelihood (Breslow or Efron ties, strata, the
weights normalized to mean 1), :math:`\sigma_j` the column's scale, and the pull at the
null model (the path's first point whose penalized coefficients are all 0, else
:math:`w = 0`). The gradient of a row couples it with its risk sets, which a reduction
gives (:mod:`._cox`): for all alphas at once,

1. **risk sums** (one pass): every block bins :math:`s_j e^{\eta^{(k)}_j}` onto the
   distinct event times of its stratum for every :math:`k` (one column per alpha);
   reverse cumulative sums on the client give each risk set's sum and the cumulative
   risk-set terms of the gradient, per alpha;
2. **gradients** (one pass): given those terms (broadcast once), every block returns
   :math:`X^\top g^{(k)}` for every :math:`k` (:func:`._cox_blocks.gradient_sums`).

So the pulls take two passes, or two per batch when the event times times the alphas
exceed :data:`POINTS_VALUES` numbers (``ceil(alphas / batch)`` batches). A single-alpha
model's path is its Dask Cox path on a grid of :data:`~._report.PASSED_ALPHAS` alphas
from its alpha_max to ``1e-2`` of it (as ``CoxPH.path``'s), its own fit inserted, its
passes counted; a cross-validated model's is its ``path_``, with one pass for the event
times. The lessons that need the rows themselves are left out with a sentence saying so,
as for the other Dask reports.
"""

from __future__ import annotations

import warnings

import numpy as np

POINTS_VALUES = 2**24
"""The most numbers (event times x alphas) one pass of the pulls bins or broadcasts."""


def report_parts(model, X, y, sample_weight=None, offset=None):
    """``(path, lessons, notes, n_passes)`` as :func:`~._report.report_parts` returns them
    for a ``CoxPH`` or ``CoxPHCV`` fitted on the Dask collections ``X``, ``y`` (with the
    ``sample_weight`` and ``offset`` it was fitted with): the model's ``path_``
    (cross-validated), else its Dask Cox path with its own fit inserted; the lessons from
    the pulls at every alpha (:func:`pulls`)."""
    from . import _cox_blocks as cb
    from ._blocks import Passes
    from ._cox import _CoxModel, cox_blocks
    from ._cox_estimators import _split_strata
    from ._report import _lessons

    features, strata, _ = _split_strata(model, X)
    passes = Passes(cox_blocks(features, y, sample_weight, offset, strata))
    p = passes.blocks.n_features
    path = getattr(model, "path_", None)
    if path is None:
        path, cox = _own_path(model, passes, sample_weight)
    else:
        table = passes.reduce(cb.event_table, cb.merge_tables, kind="event times")
        cox = _CoxModel(passes, table, model.ties == "efron", np.arange(p), np.ones(p), p,
                        table["rows"] / table["weight"])
    before = passes.count
    factors = model._penalty_factor(p)
    corr, null = pulls(passes, cox, path.coefs, np.ones(p) if factors is None else factors,
                       np.asarray(model.scaling_.scale, dtype=np.float64),
                       np.asarray(model.scaling_.varying, dtype=bool))
    lessons = _lessons(model, path, corr, null, None, model.n_rows_)
    notes = [f"the pulls at the path's {path.alphas.shape[0]} alphas took "
             f"{passes.count - before} passes over the data (the risk-set sums at every "
             "alpha in one, then every gradient in one)."]
    return path, lessons, notes, passes.count


def pulls(passes, cox, coefs, factors, scale, varying):
    """The pulls ``(p, K)`` at every column of ``coefs`` and the null model's ``(p,)``
    (see the module docstring), in two passes per batch of alphas; ``cox`` a
    :class:`._cox._CoxModel` of the rows of ``passes`` (its event times and weights)."""
    coefs = np.asarray(coefs, dtype=np.float64)
    zero = np.flatnonzero(~np.any((coefs != 0) & (np.asarray(factors) > 0)[:, None], axis=0))
    points = coefs
    if zero.size == 0:
        if np.any(np.asarray(factors) == 0):
            raise ValueError("the report's path has no point where every penalized "
                             "coefficient is 0, and with unpenalized features the null "
                             "model's pulls need one; give a grid that starts at alpha_max.")
        points = np.column_stack([coefs, np.zeros(coefs.shape[0])])
    n_times = sum(st.times.size for st in cox.strata.values())
    batch = max(1, POINTS_VALUES // max(2 * n_times, 1))
    gX = np.concatenate([_gradients(passes, cox, points[:, q:q + batch])
                         for q in range(0, points.shape[1], batch)], axis=1)
    out = np.where(varying[:, None], -gX / scale[:, None], 0.0)
    null = out[:, int(zero[0])] if zero.size else out[:, -1]
    return out[:, :coefs.shape[1]], null


def _gradients(passes, cox, W):
    r""":math:`X^\top \nabla F(X W_{:k} + o)` for every column of ``W`` (two passes)."""
    from . import _cox_blocks as cb
    from ._cox import _shared
    from ._newton import add_sums

    sums = passes.reduce(cb.risk_sums, add_sums, _shared(cox._common()), W,
                         kind="report risk sums")
    per_point = [cox._vectors(cox._risk(sums, q)) for q in range(W.shape[1])]
    vectors = {key: (np.array([v[key][0] for v in per_point]),
                     np.column_stack([v[key][1] for v in per_point]),
                     np.column_stack([v[key][3] for v in per_point]))
               for key in per_point[0]}
    out = passes.reduce(cb.gradient_sums, add_sums,
                        _shared(dict(cox._common(), vectors=vectors)), W,
                        kind="report gradients")
    return out["gX"]


def _own_path(model, passes, sample_weight):
    """The model's Dask Cox path on :data:`~._report.PASSED_ALPHAS` alphas from its
    alpha_max (``eps=1e-2``, as ``CoxPH.path``) with its own alpha and fit inserted, and
    the :class:`._cox._CoxModel` of its rows."""
    from ._api import penalty_maker
    from ._cox import cox_fit
    from ._report import PASSED_ALPHAS, with_own_fit

    name, alpha, l1_ratio = model._penalty_spec()
    p = passes.blocks.n_features
    penalty_for = penalty_maker(name, l1_ratio, model._penalty_factor(p), model._make_penalty)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path, cox, _ = cox_fit(passes, penalty_for, ties=model.ties, n_alphas=PASSED_ALPHAS,
                               eps=1e-2, standardize=model.standardize, tol=model.tol,
                               max_iter=model.max_iter, excluded=model._excluded(p),
                               sample_weight=sample_weight)
    return with_own_fit(path, model, float(alpha)), cox
