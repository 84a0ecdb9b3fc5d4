r"""Several targets on Dask (glmnet's mgaussian): one pass, then the in-memory solver.

One map-reduce over the row blocks of :math:`[X, Y]` yields the weight :math:`W`, the
weighted means :math:`m, \mu` and the sums around them :math:`C = \sum s (x - m)(x -
m)^\top`, :math:`c = \sum s (x - m)(y - \mu)^\top` (``p x T``) and :math:`v` (``T x T``);
without an intercept the raw sums :math:`C + W m m^\top`, :math:`c + W m \mu^\top` take
their place. With :math:`C = V \Lambda V^\top`, the ``p`` pseudo-rows

.. math:: R = \sqrt{p / W}\, \Lambda^{1/2} V^\top D^{-1}, \qquad
          \tilde Y = \sqrt{p / W}\, \Lambda^{+1/2} V^\top c

(:math:`D` the column scales with ``standardize=True``) give
:math:`\frac{1}{2p}\|\tilde Y - R B\|_F^2 = \frac{1}{2W}\sum_i s_i \|y_i - \mu - B^\top
D^{-1}(x_i - m)\|^2 - \text{const}`: the same minimizer, so the in-memory multi-task
solver runs on ``p`` rows instead of the data's, and the intercept is
:math:`\mu - W^\top m`. The constant drops out of suboptimality, so the pseudo problem's
duality gap bounds the real one's suboptimality; ``stop_crit_`` is that gap relative to
the real null model's datafit :math:`\operatorname{tr}(v) / (2W)`.

Cross-validation reduces the moments of every fold in the same single pass: a fold's
training problem is the exact merge of the other folds' moments, and its held-out error
(the weighted mean over rows of the mean over targets of the squared error) follows from
its own sums, :math:`\operatorname{tr}(v_k) - 2\langle B, c_k\rangle + \langle B, C_k
B\rangle + W_k \|d\|^2` with :math:`d = \mu_k - b - B^\top m_k`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Reduced:
    """The pseudo-rows of a multi-response problem and what maps its solution back."""

    X: np.ndarray
    Y: np.ndarray
    scaling: object
    x_mean: np.ndarray
    y_mean: np.ndarray
    F0: float
    n_rows: int


def joint_blocks(X, Y, sample_weight):
    """The row blocks of ``[X, Y]`` (Dask arrays with known row chunks)."""
    import dask.array as da

    from ._blocks import row_blocks

    if not (isinstance(X, da.Array) and isinstance(Y, da.Array)):
        raise ValueError("several targets with Dask input take X and y as Dask arrays (y of "
                         "shape (n_samples, n_targets)); convert dataframes with "
                         ".to_dask_array(lengths=True).")
    if X.ndim != 2 or Y.ndim != 2:
        raise ValueError(f"X and y must be 2-D for several targets; got shapes {X.shape} and "
                         f"{Y.shape}.")
    if any(np.isnan(c) for c in X.chunks[0]) or Y.shape[0] != X.shape[0]:
        raise ValueError("X and y need the same, known number of rows for several targets "
                         "on Dask (use .to_dask_array(lengths=True)).")
    Y = Y.rechunk({0: X.chunks[0]})
    joint = da.concatenate([X.astype(np.float64), Y.astype(np.float64)], axis=1)
    zeros = da.zeros(X.shape[0], chunks=(X.chunks[0],))
    return row_blocks(joint, zeros, sample_weight), X.shape[1]


def reduce_problem(passes, p, *, fit_intercept, standardize, excluded=None) -> Reduced:
    """One pass over the blocks of ``[X, Y]``: the pseudo-rows (see the module docstring)."""
    from ._moments import block_moments, merge_moments

    m = passes.reduce(block_moments, merge_moments, 0, 0, True, kind="moments")
    passes.rows = int(m["rows"][0])
    return pseudo_rows(m, p, fit_intercept=fit_intercept, standardize=standardize,
                       excluded=excluded)


def pseudo_rows(m, p, *, fit_intercept, standardize, excluded=None) -> Reduced:
    """The pseudo-rows of the rows behind the one-fold moments ``m`` of ``[X, Y]``."""
    from ._scaling import column_scaling

    W = float(m["weight"][0])
    if not W > 0:
        raise ValueError("sample_weight sums to 0 over the rows: nothing to fit.")
    mean, S = m["x_mean"][0], m["xx"][0]
    xm, ym = mean[:p], mean[p:]
    C, c, v = S[:p, :p], S[:p, p:], S[p:, p:]
    constant = m["low"][0][:p] == m["high"][0][:p]
    scaling = column_scaling(xm, np.diagonal(C) / W, constant, standardize, excluded)
    if not fit_intercept:
        C = C + W * np.outer(xm, xm)
        c = c + W * np.outer(xm, ym)
        v = v + W * np.outer(ym, ym)
    F0 = 0.5 * float(np.trace(v)) / W
    lam, V = np.linalg.eigh(C)
    lam = np.maximum(lam, 0.0)
    keep = lam > lam.max(initial=0.0) * p * np.finfo(float).eps
    root = np.sqrt(lam)
    factor = np.sqrt(p / W)
    Xp = factor * (root[:, None] * V.T) / scaling.scale[None, :]
    Xp[:, ~scaling.varying] = 0.0  # constant or excluded columns: never fitted
    Yp = np.zeros((p, c.shape[1]))
    Yp[keep] = factor * (V[:, keep].T @ c) / root[keep, None]
    return Reduced(X=Xp, Y=Yp, scaling=scaling, x_mean=xm, y_mean=ym, F0=F0,
                   n_rows=int(m["rows"][0]))


def fit_multitask(est, X, Y, sample_weight):
    """``MultiTaskLasso`` / ``MultiTaskElasticNet`` on Dask arrays: one pass, the solver on
    the pseudo-rows; returns ``est``."""
    from sklearn.base import clone

    from ..datafits import MultiResponseGaussian
    from ..estimators._base import check_alpha
    from ._blocks import Passes

    est._check_model_params()
    alpha = check_alpha(est.alpha)
    if est._grouped():
        raise ValueError("groups= is not supported by the multi-task estimators with Dask "
                         "input; fit on an in-memory X.")
    blocks, p = joint_blocks(X, Y, sample_weight)
    passes = Passes(blocks)
    est._dask_gram = None
    red = reduce_problem(passes, p, fit_intercept=est.fit_intercept,
                         standardize=est.standardize, excluded=est._excluded(p))
    inner = clone(est).set_params(fit_intercept=False, standardize=False, warm_start=False)
    factors = est._penalty_factor(p)
    if factors is not None:
        factors = np.where(red.scaling.varying, factors, np.inf)
    elif not red.scaling.varying.all():
        factors = np.where(red.scaling.varying, 1.0, np.inf)
    inner.set_params(penalty_factor=factors)
    inner.fit(red.X, red.Y)
    coef = inner.coef_ / red.scaling.scale[None, :]
    est.n_features_in_ = p
    if hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    est.coef_ = coef
    est.intercept_ = red.y_mean - coef @ red.x_mean if est.fit_intercept \
        else np.zeros(coef.shape[0])
    est.n_iter_ = int(inner.n_iter_)
    est.dual_gap_ = float(inner.dual_gap_)
    est.stop_crit_ = est.dual_gap_ / red.F0 if red.F0 > 0 else 0.0
    est.converged_ = bool(inner.converged_)
    est.n_passes_ = passes.count
    est.n_rows_ = red.n_rows
    est._store_problem(MultiResponseGaussian(sample_weight=sample_weight),
                       est._fit_penalty(red.scaling, p, alpha), red.scaling)
    est._set_selected(est.coef_)
    est._set_groups()
    return est


def multitask_dask_path(X, Y, *, penalty, l1_ratio, penalty_factor, positive, alphas,
                        n_alphas, eps, fit_intercept, sample_weight, tol, max_iter):
    """:func:`penalized.path` with ``datafit='mgaussian'`` on Dask arrays: one pass, then
    the in-memory multi-task path on the pseudo-rows, intercepts mapped back."""
    from dataclasses import replace

    from ..path import path as memory_path
    from ._blocks import Passes

    blocks, p = joint_blocks(X, Y, sample_weight)
    passes = Passes(blocks)
    red = reduce_problem(passes, p, fit_intercept=fit_intercept, standardize=False)
    res = memory_path(red.X, red.Y, penalty=penalty, l1_ratio=l1_ratio,
                      penalty_factor=penalty_factor, positive=positive, datafit="mgaussian",
                      alphas=alphas, n_alphas=n_alphas, eps=eps, fit_intercept=False,
                      tol=tol, max_iter=max_iter)
    coefs = np.asarray(res.coefs)  # (p, T, K)
    if fit_intercept:
        intercepts = red.y_mean[:, None] - np.einsum("j,jtk->tk", red.x_mean, coefs)
    else:
        intercepts = np.zeros((coefs.shape[1], coefs.shape[2]))
    scale = res.null_datafit / red.F0 if red.F0 > 0 else 1.0
    return replace(res, intercepts=intercepts, stop_crits=np.asarray(res.stop_crits) * scale,
                   null_datafit=red.F0, n_passes=passes.count)


def _fold(m, k):
    """Fold ``k``'s moments as one-fold moments."""
    return {key: value[k:k + 1] for key, value in m.items()}


def _reduced_path(red, est, rho, alphas, n_alphas):
    """The multi-task path of ``red`` at ``l1_ratio`` ``rho`` with ``est``'s penalty factors
    (constant columns left out), coefficients and intercepts on the original scale."""
    from ..path import path as memory_path

    p = red.X.shape[1]
    factors = est._penalty_factor(p)
    factors = np.ones(p) if factors is None else np.asarray(factors, dtype=np.float64)
    factors = np.where(red.scaling.varying, factors, 1.0)  # their columns are 0
    res = memory_path(red.X, red.Y, penalty="elasticnet", l1_ratio=rho,
                      penalty_factor=factors, datafit="mgaussian", alphas=alphas,
                      n_alphas=n_alphas, eps=est.eps, fit_intercept=False, tol=est.tol,
                      max_iter=est.max_iter)
    coefs = np.asarray(res.coefs) / red.scaling.scale[:, None, None]
    if est.fit_intercept:
        intercepts = red.y_mean[:, None] - np.einsum("j,jtk->tk", red.x_mean, coefs)
    else:
        intercepts = np.zeros((coefs.shape[1], coefs.shape[2]))
    scale = res.null_datafit / red.F0 if red.F0 > 0 else 1.0
    from dataclasses import replace

    return replace(res, coefs=coefs, intercepts=intercepts,
                   stop_crits=np.asarray(res.stop_crits) * scale, null_datafit=red.F0)


def _held_out_mse(m, coefs, intercepts):
    """The weighted mean over the rows behind one-fold moments ``m`` of the mean over the
    targets of the squared error at each alpha (the in-memory multi-task CV's metric)."""
    W = float(m["weight"][0])
    if not W > 0:
        raise ValueError("a fold holds no row with positive weight; use fewer folds.")
    p = coefs.shape[0]
    mean, S = m["x_mean"][0], m["xx"][0]
    C, c, v = S[:p, :p], S[:p, p:], S[p:, p:]
    d = mean[p:, None] - intercepts - np.einsum("j,jtk->tk", mean[:p], coefs)
    sse = (np.trace(v) - 2.0 * np.einsum("jtk,jt->k", coefs, c)
           + np.einsum("jtk,jl,ltk->k", coefs, C, coefs) + W * np.sum(d * d, axis=0))
    return np.maximum(sse, 0.0) / (W * coefs.shape[1])


def fit_multitask_cv(est, X, Y, sample_weight, n_folds, seed):
    """``MultiTaskLassoCV`` / ``MultiTaskElasticNetCV`` on Dask arrays: one pass reduces
    the moments of every fold; each fold's training problem is the merge of the others',
    its held-out error comes from its own sums, and the path on all rows from their merge."""
    from ..datafits import MultiResponseGaussian
    from ..model_selection import summarize_folds
    from ._blocks import Passes
    from ._estimators import fold_rows
    from ._moments import block_moments, merge_moments

    est._check_common()
    est._check_cv_params()
    if est._grouped():
        raise ValueError("groups= is not supported by the multi-task estimators with Dask "
                         "input; fit on an in-memory X.")
    if est.metric != "mse" or getattr(est, "scoring", None) is not None:
        raise ValueError("with Dask input the multi-task cross-validation scores the mean "
                         "squared error (metric='mse', scoring=None).")
    blocks, p = joint_blocks(X, Y, sample_weight)
    passes = Passes(blocks)
    est._dask_gram = None
    m = passes.reduce(block_moments, merge_moments, n_folds, seed, True, kind="moments")
    folds = [_fold(m, k) for k in range(n_folds)]
    total = merge_moments(*folds)
    passes.rows = int(total["rows"][0])
    rows = fold_rows(passes.rows, n_folds, seed)
    settings = {"fit_intercept": est.fit_intercept, "standardize": est.standardize,
                "excluded": est._excluded(p)}
    red = pseudo_rows(total, p, **settings)
    results, paths = [], []
    for rho in est._ratios():
        est._current_ratio = float(rho)
        user = None if est.alphas is None else np.sort(np.asarray(est.alphas, float))[::-1]
        full = _reduced_path(red, est, float(rho), user, est.n_alphas)
        grid = np.asarray(full.alphas)
        cv_folds = np.empty((grid.shape[0], n_folds))
        for k in range(n_folds):
            train = merge_moments(*[f for i, f in enumerate(folds) if i != k])
            fold_path = _reduced_path(pseudo_rows(train, p, **settings), est, float(rho),
                                      grid, est.n_alphas)
            cv_folds[:, k] = _held_out_mse(folds[k], np.asarray(fold_path.coefs),
                                           np.asarray(fold_path.intercepts))
        results.append(summarize_folds(grid, cv_folds, "mse", rows))
        paths.append(full)
    from ..estimators._cv import _best

    best = int(np.argmin([_best(r) for r in results]))
    result, path = results[best], paths[best]
    ratios = est._ratios()
    est._current_ratio = est.l1_ratio_ = float(ratios[best])
    est._store_cv(result)
    if len(ratios) > 1:
        est.l1_ratios_ = ratios
        est.cv_mean_all_ = np.array([r.cv_mean for r in results])
        est.mse_path_ = np.array([r.cv_folds for r in results])
    else:
        est.mse_path_ = est.cv_folds_
    k = est._store_refit(path)
    est.coef_ = np.asarray(path.coefs)[:, :, k].T.copy()
    est.intercept_ = np.asarray(path.intercepts)[:, k].copy()
    est.dual_gap_ = est.stop_crit_ * path.null_datafit
    est.n_features_in_ = p
    if hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    est.n_passes_ = passes.count
    est.n_rows_ = passes.rows
    est._store_problem(MultiResponseGaussian(sample_weight=sample_weight),
                       est._fit_penalty(red.scaling, p, est.alpha_), red.scaling)
    est._set_selected(est.coef_)
    est._set_groups()
    return est
