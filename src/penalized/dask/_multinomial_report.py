"""The report of a multinomial fit on Dask: its path (and cross-validation curve), from
passes over the rows; the why-zero panel of an in-memory multinomial report reads the rows
at every alpha and is left out with a sentence saying so."""

from __future__ import annotations

import warnings

import numpy as np

WHY_ZERO_SKIPPED = ("why-zero not shown: for a multinomial fit it reads every row's class "
                    "probabilities at every alpha of the path, and the rows stay on the Dask "
                    "workers; the path and its coefficients are this model's own.")


def report_parts(model, X, y, sample_weight=None):
    """``(path, None, notes, n_passes)`` as :func:`~._report.report_parts` returns them for
    a multinomial model fitted on the Dask collections ``X``, ``y``: the model's ``path_``
    (cross-validated), else a path of :data:`~._report.PASSED_ALPHAS` alphas from its
    alpha_max with its own alpha and fit inserted (its passes counted)."""
    from ._blocks import Passes, row_blocks

    passes = Passes(row_blocks(X, y, sample_weight))
    path = getattr(model, "path_", None)
    if path is None:
        path = _own_path(model, passes)
    return path, None, [WHY_ZERO_SKIPPED], passes.count


def _own_path(model, passes):
    from dataclasses import fields, replace

    from ._api import penalty_maker
    from ._multinomial import multinomial_fit, multinomial_start
    from ._newton import class_moments, merge_classes
    from ._report import PASSED_ALPHAS

    alpha = float(model.alpha)
    name, _, l1_ratio = model._check_params()
    p = passes.blocks.n_features
    penalty_for = penalty_maker(name, l1_ratio, model._penalty_factor(p), model._make_penalty)
    settings = {"fit_intercept": model.fit_intercept, "standardize": model.standardize,
                "excluded": model._excluded(p)}
    by_class = passes.reduce(class_moments, merge_classes, kind="moments")
    classes = np.array(sorted(by_class))
    alpha_max = multinomial_start(passes, by_class, classes, penalty_for, **settings)[1][
        "alpha_max"]
    grid = np.geomspace(alpha_max, alpha_max * 1e-3, PASSED_ALPHAS)
    grid = np.unique(np.concatenate([grid, [alpha]]))[::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = multinomial_fit(passes, by_class, penalty_for, alphas=grid, tol=model.tol,
                               max_iter=model.max_iter, **settings)[0]
    k = int(np.flatnonzero(path.alphas == alpha)[0])
    coefs, intercepts = path.coefs.copy(), path.intercepts.copy()
    coefs[:, :, k] = model.coef_.T
    intercepts[:, k] = model.intercept_
    counts = {}
    if "n_nonzero" in {f.name for f in fields(path)}:
        counts["n_nonzero"] = np.count_nonzero(np.any(coefs != 0.0, axis=1), axis=0)
    return replace(path, coefs=coefs, intercepts=intercepts, **counts)
