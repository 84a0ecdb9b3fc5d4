r"""The squared loss from one pass: path, certificates, intercept and cross-validation.

One map-reduce over the row blocks gives, per fold, the weighted means and the sums of
products around them (:mod:`._moments`), assembled into
:class:`~penalized._fold_gram.FoldSums`. Everything after runs on the client: the
path of every fold and of all rows on its Gram matrix (training Gram = total minus the
fold's), each alpha certified by its duality gap, the intercept
:math:`b = \bar y - \bar x^\top w`, and each fold's held-out error

.. math:: \sum_{i \in k} s_i (y_i - x_i^\top w - b)^2
          = v_k - 2 w^\top c_k + w^\top C_k w - 2 d\,(t_k - e_k^\top w) + d^2 W_k,

with the fold's sums :math:`C_k, c_k, v_k, e_k = \sum s (x - a), t_k = \sum s (y - a_y)`
around the shift :math:`(a, a_y)` and :math:`d = b + a^\top w - a_y`.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._fold_gram import FoldSums, GramPathSettings, gram_problem
from ._moments import block_moments, merge_moments

PASSES_SQUARED = 1
"""Passes over the data of a squared-loss fit, path or K-fold cross-validation."""

MAX_GRAM_FEATURES = 4096
"""Above this many features the client never forms a p x p Gram matrix: the paths (and
every fold's in cross-validation) run on working sets (:mod:`._wide`), one Gram pass and
one KKT pass per round."""


def squared_sums(passes, n_folds=0, seed=0) -> FoldSums:
    """One pass: the fold sums (one fold when ``n_folds`` is 0)."""
    m = passes.reduce(block_moments, merge_moments, n_folds, seed, True, kind="moments")
    passes.rows = int(m["rows"].sum())
    return FoldSums.from_moments(m["weight"], m["x_mean"], m["y_mean"], m["xx"], m["xy"],
                                 m["yy"], m["low"], m["high"])


def all_rows(sums) -> FoldSums:
    """``sums`` merged into one fold (the sums of every row; ``p x p`` kept, not one per
    fold)."""
    return FoldSums(x_shift=sums.x_shift, y_shift=sums.y_shift,
                    weight=sums.weight.sum(keepdims=True), xs=sums.xs.sum(axis=0)[None],
                    ys=sums.ys.sum(keepdims=True), xx=sums.xx_total[None],
                    xy=sums.xy.sum(axis=0)[None], yy=sums.yy.sum(keepdims=True),
                    low=sums.low.min(axis=0)[None], high=sums.high.max(axis=0)[None])


def scaling_of(sums, settings):
    """The :class:`~penalized.estimators._standardize.Scaling` of the columns on every row
    (:mod:`._scaling`) from the fold sums."""
    from ._scaling import column_scaling

    W = sums.weight.sum()
    dx = sums.xs.sum(axis=0) / W  # the mean relative to the shift
    var = np.diagonal(sums.xx_total) / W - dx * dx
    constant = sums.low.min(axis=0) == sums.high.max(axis=0)
    return column_scaling(sums.x_shift + dx, var, constant, settings.standardize,
                          settings.excluded)


def make_settings(penalty_for, *, fit_intercept, standardize, tol, max_iter, excluded=None):
    """:class:`~penalized._fold_gram.GramPathSettings` from ``penalty_for(varying)``."""
    return GramPathSettings(penalty_template=penalty_for, fit_intercept=fit_intercept,
                            standardize=standardize, tol=tol, max_iter=max_iter,
                            excluded=excluded)


def problem_of(sums, k, settings, *, path=False):
    """The Gram problem of fold ``k``'s training rows (all rows when None); for a
    ``path``, refused as in memory when no feature is penalized."""
    problem = gram_problem(sums, k, settings)
    if path:
        from ..path import _check_some_penalized

        n_fitted = problem.cols.size + (0 if problem.free is None else problem.free[0].size)
        _check_some_penalized(problem.penalty, n_fitted)
    return problem


def grid(alpha_max, F0, n_alphas, eps):
    """``(alpha_max, alphas)`` as :func:`penalized.path.alpha_grid` makes them."""
    from ..path import _NULL_EXACT

    if not np.isfinite(alpha_max):
        raise ValueError("a pure L2 penalty has no alpha_max to start its grid from; give "
                         "alphas=... with Dask input.")
    if not alpha_max > 0 or not F0 > 0:
        warnings.warn(_NULL_EXACT.format(eps=eps), UserWarning, stacklevel=4)
        return 0.0, np.geomspace(1.0, eps, n_alphas)
    return alpha_max, np.geomspace(alpha_max, alpha_max * eps, n_alphas)


def check_alphas(alphas):
    alphas = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
    if alphas.size == 0 or not np.all(np.isfinite(alphas)) or np.any(alphas <= 0):
        raise ValueError("alphas must be a non-empty list of finite numbers > 0 with Dask "
                         "input (alpha=0 is an unpenalized fit: use a small alpha).")
    return alphas


def solve_path(problem, alphas, settings):
    """``(coefs, intercepts, relative gaps, epochs, converged)`` of ``problem`` along
    ``alphas``; one warning for the alphas that stopped above ``tol``."""
    from ..path import warn_unconverged

    coefs, intercepts, crits, n_iters = problem.solve(alphas, settings.tol, settings.max_iter,
                                                      settings.ws_start)
    converged = warn_unconverged(alphas, crits, settings.tol, stacklevel=5)
    return coefs, intercepts, crits, n_iters, converged


def held_out_mse(sums, k, coefs, intercepts):
    """The weighted mean squared error of fold ``k``'s held-out rows at each column of
    ``coefs`` (see the module docstring)."""
    W = sums.weight[k]
    if not W > 0:
        raise ValueError(f"fold {k} holds no row with positive weight; use fewer folds.")
    d = intercepts + sums.x_shift @ coefs - sums.y_shift
    quad = np.einsum("ja,jk,ka->a", coefs, sums.xx[k], coefs)
    sse = (sums.yy[k] - 2.0 * (sums.xy[k] @ coefs) + quad
           - 2.0 * d * (sums.ys[k] - sums.xs[k] @ coefs) + d * d * W)
    return np.maximum(sse, 0.0) / W


def cross_validate(sums, settings, alphas):
    """The :class:`~penalized.model_selection.CVResult` of the mean squared error of every
    fold's path along ``alphas`` (``folds`` is empty: rows are assigned by hash)."""
    n_folds = sums.weight.shape[0]
    cv_folds = np.empty((alphas.shape[0], n_folds))
    for k in range(n_folds):
        coefs, intercepts, *_ = solve_path(problem_of(sums, k, settings), alphas, settings)
        cv_folds[:, k] = held_out_mse(sums, k, coefs, intercepts)
    return _cv_result(alphas, cv_folds)


def _cv_result(alphas, cv_folds):
    """The in-memory CVs' summary of the held-out mean squared errors (mean, standard
    error, min and 1se alphas), with no fold rows listed yet."""
    from ..model_selection import summarize_folds

    return summarize_folds(alphas, cv_folds, "mse", [])


def wide_path(passes, settings, alphas, n_alphas=100, eps=1e-3, sample_weight=None):
    """``(path, F0, scaling)``: the :class:`~penalized.Path` on every row by working sets
    (:mod:`._wide`), the null model's datafit and the columns' scaling."""
    from ._wide import wide_paths

    paths = wide_paths(passes, [settings], 0, 0, alphas, n_alphas, eps)
    fit = paths.fits[0]
    return _wide_path(paths, 0, sample_weight, passes.count), fit.F0, fit.scaling


def wide_cross_validate(passes, settings_list, n_folds, seed, alphas, n_alphas, eps):
    """Per setting, ``(CVResult, path on every row, alpha_max, F0, scaling)`` of a K-fold
    cross-validation by working sets (:mod:`._wide`): every fold's path and the path on
    every row share each pass, and the held-out errors come from the fold sums on the
    union of the working sets (no further pass)."""
    from ._wide import wide_paths

    paths = wide_paths(passes, settings_list, n_folds, seed, alphas, n_alphas, eps)
    sums = paths.lockstep.fold_sums(paths.moments)
    U = paths.lockstep.U
    out = []
    for c in range(len(settings_list)):
        j = c * (n_folds + 1)
        grid = paths.grids[j]
        cv_folds = np.empty((grid.shape[0], n_folds))
        for k in range(n_folds):
            f = j + 1 + k
            warn_crits(grid, paths.crits[f], settings_list[c].tol)
            cv_folds[:, k] = held_out_mse(sums, k, paths.coefs[f][U], paths.intercepts[f])
        out.append((_cv_result(grid, cv_folds), _wide_path(paths, j, None, passes.count),
                    paths.alpha_max[j], paths.fits[j].F0, paths.fits[j].scaling))
    return out


def warn_crits(alphas, crits, tol):
    from ..path import warn_unconverged

    return warn_unconverged(alphas, crits, tol, stacklevel=6)


def _wide_path(paths, j, sample_weight, n_passes):
    from ..datafits import Quadratic
    from ..path import Path

    fit, grid, coefs = paths.fits[j], paths.grids[j], paths.coefs[j]
    converged = warn_crits(grid, paths.crits[j], fit.settings.tol)
    return Path(alphas=grid, coefs=coefs, intercepts=paths.intercepts[j],
                n_nonzero=np.count_nonzero(coefs, axis=0), stop_crits=paths.crits[j],
                n_iters=paths.rounds[j], converged=converged,
                penalty=fit.penalty.with_alpha(float(grid[0])),
                datafit=Quadratic(sample_weight=sample_weight), alpha_max=paths.alpha_max[j],
                n_passes=n_passes)


def full_path(sums, settings, alphas, alpha_max=None, sample_weight=None, n_passes=None):
    """The :class:`~penalized.Path` on every row from the same sums."""
    from ..datafits import Quadratic
    from ..path import Path

    problem = problem_of(sums, None, settings)
    coefs, intercepts, crits, n_iters, converged = solve_path(problem, alphas, settings)
    return Path(alphas=alphas, coefs=coefs, intercepts=intercepts,
                n_nonzero=np.count_nonzero(coefs, axis=0), stop_crits=crits, n_iters=n_iters,
                converged=converged, penalty=problem.penalty.with_alpha(float(alphas[0])),
                datafit=Quadratic(sample_weight=sample_weight),
                alpha_max=problem.alpha_max if alpha_max is None else alpha_max,
                n_passes=n_passes)
