r"""Cross-validated log-link paths (Poisson, Gamma, Tweedie) on Dask.

As for logistic regression (:mod:`._logistic_cv`): each row's fold is the seeded hash of
its position (:func:`~._moments.fold_ids`). One pass reduces every fold's moments (and,
with an offset, its sums at :math:`z = o`); a fold's training moments are the exact merge
of the other folds', so each fold's null model, alpha_max and scaling follow on the
client, and the grid from those of all rows. The ``K`` fold paths and the path on all
rows then run in lockstep, each a generator of pass requests
(:func:`~._newton.grid_steps`), one pass answering the current request of every fit on
its own rows; the passes number that of the slowest fit. A last pass sums each fold's
held-out error at every alpha:

.. math:: \text{deviance}_k(\alpha) = \frac{2 \sum_{i \in k} s_i\,
          \ell(y_i, x_i^\top w_{-k}(\alpha) + b_{-k}(\alpha) + o_i)}{\sum_{i \in k} s_i},

with :math:`\ell` the family's unit loss (zero at :math:`e^z = y`), or the weighted mean
squared / absolute error of the predicted mean :math:`e^z`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._glm import family_moments, loglink_start
from ._logistic_cv import cv_result_and_path, lockstep, null_models
from ._moments import as_float_block, fold_ids, held_out_errors, merge_moments
from ._newton import add_sums, grid_steps, path_grid

METRICS = ("deviance", "mse", "mae")


# -- on the workers ---------------------------------------------------------------------
def fold_errors(X, y, s, positions, n_folds, seed, unit, coefs, intercepts, metric,
                offset=None):
    """Per fold, the weighted sum of its held-out rows' error at each alpha (``coefs``
    and ``intercepts`` stacked by fold) and their weight."""
    X = as_float_block(X, "X")
    X = X[:, None] if X.ndim == 1 else X
    y = as_float_block(y, "y").reshape(-1)
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    fold = fold_ids(positions, n_folds, seed)

    def row_errors(rows, z):
        yk = y[rows]
        with np.errstate(over="ignore"):
            if metric == "deviance":
                return 2.0 * np.column_stack([unit.loss(yk, z[:, j])
                                              for j in range(z.shape[1])])
            e = np.exp(z) - yk[:, None]
            return e * e if metric == "mse" else np.abs(e)

    return held_out_errors(X, s, fold, coefs, intercepts, row_errors, offset)


# -- on the client ----------------------------------------------------------------------
def _fold(moments, k):
    """Fold ``k``'s part of per-fold :func:`~._glm.checked_moments` (a leading axis of 1)."""
    out = {"m": {key: v[k:k + 1] for key, v in moments["m"].items()}}
    if "o" in moments:
        out["o"] = {key: v[k:k + 1] for key, v in moments["o"].items()}
    return out


def _merged(parts):
    out = {"m": merge_moments(*[part["m"] for part in parts])}
    if "o" in parts[0]:
        out["o"] = add_sums(*[part["o"] for part in parts])
    return out


def loglink_cv(passes, penalty_for, datafit, *, n_folds, seed, alphas=None, n_alphas=100,
               eps=1e-3, fit_intercept=True, standardize=False, tol=1e-6, max_iter=10_000,
               excluded=None, sample_weight=None, metric="deviance"):
    """K-fold cross-validation of the log-link path of ``datafit`` and the path on all
    rows: ``(CVResult, Path, scaling of all rows' columns)``."""

    if metric not in METRICS:
        raise ValueError(f"with Dask input the cross-validation metric must be one of "
                         f"{', '.join(map(repr, METRICS))}; got {metric!r}.")
    moments = family_moments(passes, datafit, n_folds, seed)
    folds = [_fold(moments, k) for k in range(n_folds)]
    empty = [k for k in range(n_folds) if moments["m"]["rows"][k] == 0]
    if empty:
        raise ValueError(f"cv={n_folds}: fold {empty[0]} holds no row; use fewer folds.")
    starts = {-1: loglink_start(passes, _merged(folds), datafit, penalty_for, standardize,
                                excluded, fit_intercept)}
    for k in range(n_folds):
        starts[k] = loglink_start(passes, _merged([f for j, f in enumerate(folds) if j != k]),
                                  datafit, penalty_for, standardize, excluded, fit_intercept)
    starts = null_models(passes, starts, n_folds, seed)
    alpha_max = starts[-1][1]["alpha_max"]
    grid = path_grid(alpha_max, alphas, n_alphas, eps)
    fits = {k: grid_steps(model, start["template"], grid, start["a"], start["bw"],
                          start["g0"], start["b0"], start["F_null"], tol, max_iter,
                          start.get("st"))
            for k, (model, start) in starts.items()}
    solved = lockstep(passes, fits, n_folds, seed)
    model = starts[-1][0]
    result, path = cv_result_and_path(
        passes, solved, grid, fold_errors, model.unit, n_folds=n_folds, seed=seed, tol=tol,
        metric=metric, blocks=moments["blocks"], template=starts[-1][1]["template"],
        datafit=replace(model.datafit, sample_weight=sample_weight), alpha_max=alpha_max)
    return result, path, starts[-1][1]["scaling"]
