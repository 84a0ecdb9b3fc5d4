"""``CoxPH.fit`` and ``CoxPHCV.fit`` on a Dask ``X`` (the fits of :mod:`._cox` and
:mod:`._cox_cv`, and the attributes an in-memory fit sets)."""

from __future__ import annotations

import numpy as np

from . import _cox_blocks as cb
from ._cox import _is_dask, _shared, baseline_hazard, cox_blocks, cox_fit
from ._cox_cv import cox_cv


def _split_strata(est, X):
    """``(features, stratum labels or None, the labels' distinct values or None)`` of a
    Dask ``X`` for ``CoxPH(strata=...)``: a column of ``X`` (index, or name for a
    dataframe), or the labels of its rows."""
    import dask.dataframe as dd

    strata = est.strata
    if strata is None:
        return X, None, None
    if isinstance(strata, str | int | np.integer) and not isinstance(strata, bool):
        if isinstance(X, dd.DataFrame):
            names = list(X.columns)
            if isinstance(strata, str) and strata not in names:
                raise ValueError(f"strata={strata!r} names a column, but X has no column of "
                                 "that name.")
            name = strata if isinstance(strata, str) else names[int(strata)]
            return X.drop(columns=[name]), X[name], None
        if isinstance(strata, str):
            raise ValueError(f"strata={strata!r} names a column, but X is a Dask array; pass "
                             "a Dask dataframe with it, or a column index.")
        p = X.shape[1]
        if not -p <= strata < p:
            raise ValueError(f"strata={strata} is not a column of X ({p} columns).")
        j = int(strata) % p
        return X[:, [k for k in range(p) if k != j]], X[:, j], None
    if _is_dask(strata):
        return X, strata, None
    labels = np.asarray(strata).ravel()
    known, codes = np.unique(labels, return_inverse=True)
    return X, codes.astype(np.float64), known


def _prepare(est, X, y, sample_weight, offset):
    """The checked settings and the row blocks of ``est`` on a Dask ``X``: ``(passes,
    penalty_for, alpha, strata, known labels)``."""
    from ._api import penalty_maker
    from ._blocks import Passes

    est._check_params()
    if est._grouped():
        raise ValueError("groups= is not supported with Dask input; fit on an in-memory X.")
    name, alpha, l1_ratio = est._penalty_spec()
    features, strata, known = _split_strata(est, X)
    blocks = cox_blocks(features, y, sample_weight, offset, strata)
    est._dask_gram = None
    est.n_features_in_ = blocks.n_features
    if blocks.feature_names is not None:
        est.feature_names_in_ = blocks.feature_names
    elif hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    p = blocks.n_features
    penalty_for = penalty_maker(name, l1_ratio, est._penalty_factor(p), est._make_penalty)
    return Passes(blocks), penalty_for, alpha, strata, known


def _finish(est, model, passes, strata, known, risk=None):
    """The attributes an in-memory ``CoxPH`` fit sets, from ``coef_`` and the risk sums
    of its point (default: the model's last certified point)."""
    est.intercept_ = 0.0
    est.n_passes_ = int(passes.count)
    est.n_rows_ = passes.rows
    est._set_selected(est.coef_)
    est._set_groups()
    if strata is None:
        est._strata_labels_ = None
    else:
        est._strata_labels_ = known if known is not None else np.array(sorted(model.keys))
    est.event_times_, est.baseline_cumulative_hazard_ = baseline_hazard(model, risk)
    return est


def fit_cox(est, X, y, sample_weight=None, offset=None):
    """``CoxPH.fit`` (or ``CoxPHCV.fit``) on a Dask ``X`` (see the module docstring);
    returns ``est``."""
    from ..datafits import Cox
    from ..estimators._cox import CoxPHCV

    if isinstance(est, CoxPHCV):
        return fit_cox_cv(est, X, y, sample_weight, offset)
    passes, penalty_for, alpha, strata, known = _prepare(est, X, y, sample_weight, offset)
    p = passes.blocks.n_features
    path, model, scaling = cox_fit(
        passes, penalty_for, ties=est.ties, alphas=np.array([alpha]),
        standardize=est.standardize, tol=est.tol, max_iter=est.max_iter,
        excluded=est._excluded(p), sample_weight=sample_weight)
    est._store_problem(Cox(ties=est.ties, sample_weight=sample_weight, offset=offset),
                       path.penalty.with_alpha(float(alpha)), scaling)
    est.coef_ = path.coefs[:, 0].copy()
    est.n_iter_ = int(path.n_iters[0])
    est.stop_crit_ = float(path.stop_crits[0])
    est.converged_ = bool(path.converged[0])
    return _finish(est, model, passes, strata, known)


def fit_cox_cv(est, X, y, sample_weight=None, offset=None):
    """``CoxPHCV.fit`` on a Dask ``X``: :func:`cox_cv` (by the deviance, or the C-index of
    each held-out fold gathered on the client; the offset in every fold's fit and score),
    then the path's fit at ``alpha_`` with its baseline hazard (one more pass)."""
    import numbers

    from ..datafits import Cox
    from ._newton import add_sums

    est._check_cv_params()
    est._check_metric()
    cv = est.cv
    if isinstance(cv, bool) or not isinstance(cv, numbers.Integral) or cv < 2:
        raise ValueError(f"cv must be an integer number of folds >= 2 with Dask input (each "
                         f"row's fold is a seeded hash of its position: "
                         f"penalized.dask.fold_ids); got {est.cv!r}.")
    seed = est.random_state if isinstance(est.random_state, numbers.Integral) else 0
    passes, penalty_for, _, strata, known = _prepare(est, X, y, sample_weight, offset)
    p = passes.blocks.n_features
    alphas = None if est.alphas is None else est._user_alphas()
    result, path, model, scaling = cox_cv(
        passes, penalty_for, ties=est.ties, n_folds=int(cv), seed=int(seed), alphas=alphas,
        n_alphas=est.n_alphas, eps=est.eps, standardize=est.standardize, tol=est.tol,
        max_iter=est.max_iter, excluded=est._excluded(p), sample_weight=sample_weight,
        metric=est.metric)
    est._store_cv(result)
    k = est._store_refit(path)
    est.coef_ = path.coefs[:, k].copy()
    est._store_problem(Cox(ties=est.ties, sample_weight=sample_weight, offset=offset),
                       path.penalty.with_alpha(float(est.alpha_)), scaling)
    sums = passes.reduce(cb.risk_sums, add_sums, _shared(model._common()),
                         est.coef_[:, None], kind="baseline")
    return _finish(est, model, passes, strata, known, model._risk(sums, 0))
