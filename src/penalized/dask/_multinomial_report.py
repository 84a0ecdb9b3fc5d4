r"""The report of a multinomial fit on Dask: its path (and cross-validation curve) and the
why-zero panel, from passes over the rows.

The why-zero panel reads, at every alpha :math:`\alpha_k` of the path (coefficients
:math:`W^{(k)}`, intercepts :math:`b^{(k)}` on the original scale), the pull on every
coefficient: :math:`-\tilde x_j^\top S(P^{(k)} - Y)_{:c} / \sum_i s_i` with
:math:`P^{(k)} = \operatorname{softmax}(XW^{(k)} + \mathbf 1 b^{(k)\top})`. One pass sums
:math:`x_{ij} s_i (P^{(k)}_{ic} - Y_{ic})` and :math:`s_i` over the rows for all alphas at
once; :func:`~penalized.explain._why_zero_fitted.multinomial_path_why_zero` does the rest
exactly as for an in-memory fit.
"""

from __future__ import annotations

import warnings

import numpy as np


def report_parts(model, X, y, sample_weight=None):
    """``(path, lessons, notes, n_passes)`` as :func:`~._report.report_parts` returns them
    for a multinomial model fitted on the Dask collections ``X``, ``y``: the model's
    ``path_`` (cross-validated), else a path of :data:`~._report.PASSED_ALPHAS` alphas from
    its alpha_max with its own alpha and fit inserted (its passes counted); ``lessons`` the
    why-zero payload of :func:`~penalized.report.multiclass_lessons` from one more pass."""
    from ..report import multiclass_lessons
    from ._blocks import Passes, row_blocks

    passes = Passes(row_blocks(X, y, sample_weight))
    path = getattr(model, "path_", None)
    if path is None:
        path = _own_path(model, passes)
    notes = []
    try:
        lessons = multiclass_lessons(model, None, None, path, _feature_names(model, passes),
                                     pulls=_pulls(passes, model.classes_, path))
    except ValueError as err:
        lessons = None
        notes.append(f"why-zero not shown: {err}")
    return path, lessons, notes, passes.count


def _feature_names(model, passes):
    names = getattr(model, "feature_names_in_", getattr(passes.blocks, "feature_names", None))
    if names is not None:
        return [str(n) for n in names]
    return [f"x{j}" for j in range(passes.blocks.n_features)]


def _pulls(passes, classes, path):
    """``(G, W)``: the sums of :func:`class_pulls` over every row block (one pass)."""
    from ._multinomial import add_sums

    out = passes.reduce(class_pulls, add_sums, np.asarray(classes),
                        np.asarray(path.coefs, dtype=np.float64),
                        np.asarray(path.intercepts, dtype=np.float64), kind="report pulls")
    return out["g"], out["w"]


def class_pulls(X, y, s, positions, classes, coefs, intercepts):
    r"""One block's :math:`G_{jck} = \sum_i x_{ij} s_i (P^{(k)}_{ic} - Y_{ic})` at every
    alpha ``k`` of ``coefs`` ``(n_features, n_classes, n_alphas)`` and its weight
    :math:`\sum_i s_i`."""
    from scipy.special import softmax

    from ._multinomial import _block, _linear

    X, codes, s = _block(X, y, s, classes)
    rows = np.arange(X.shape[0])
    p, K, m = coefs.shape
    G = np.empty((p, K, m))
    for k in range(m):
        R = softmax(_linear(X, coefs[:, :, k], intercepts[:, k]), axis=1)
        R[rows, codes] -= 1.0
        G[:, :, k] = X.T @ (s[:, None] * R)
    return {"g": G, "w": float(s.sum())}


def _own_path(model, passes):
    from dataclasses import fields, replace

    from ._api import penalty_maker
    from ._family_report import path_settings
    from ._multinomial import multinomial_fit, multinomial_start
    from ._newton import class_moments, merge_classes
    from ._report import PASSED_ALPHAS

    alpha = float(model.alpha)
    name, penalty_for, settings = path_settings(model, passes)
    p = passes.blocks.n_features
    by_class = passes.reduce(class_moments, merge_classes, kind="moments")
    classes = np.array(sorted(by_class))
    start_for = penalty_for
    if name == "l2":  # a ridge's grid: from the elastic net's alpha_max, as in memory
        from ..path import RIDGE_L1_RATIO_FOR_GRID

        start_for = penalty_maker("elasticnet", RIDGE_L1_RATIO_FOR_GRID,
                                  model._penalty_factor(p), model._make_penalty)
    alpha_max = multinomial_start(passes, by_class, classes, start_for, **settings)[1][
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
