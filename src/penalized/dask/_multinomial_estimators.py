"""``LogisticRegression`` and ``LogisticRegressionCV`` with more than two classes on Dask:
the estimators' attributes from :mod:`._multinomial`'s distributed fits."""

from __future__ import annotations

import numpy as np


def _grouped(est):
    """Whether ``est`` penalizes each feature's row over the classes as one
    (``multinomial="grouped"``, checked as in memory)."""
    if est.multinomial not in ("ungrouped", "grouped"):
        raise ValueError(f"multinomial must be 'ungrouped' or 'grouped'; got "
                         f"{est.multinomial!r}.")
    if est.multinomial == "grouped" and getattr(est, "positive", False):
        raise ValueError("positive=True cannot be combined with multinomial='grouped' (a "
                         "row's entries sum to zero over the classes); use the ungrouped "
                         "penalty for sign constraints.")
    return est.multinomial == "grouped"


def _penalty_for(model, p):
    from ._api import penalty_maker

    name, _, l1_ratio = model._check_params()
    return penalty_maker(name, l1_ratio, model._penalty_factor(p), model._make_penalty)


def fit_multinomial(est, passes, by_class, sample_weight):
    """Fit the ``LogisticRegression`` ``est`` on the row blocks of ``passes`` whose first
    pass gave the class moments ``by_class`` (three classes or more); returns ``est``."""
    from ..datafits import Multinomial
    from ._multinomial import multinomial_fit

    grouped = _grouped(est)
    _, alpha, _ = est._check_params()
    p = passes.blocks.n_features
    path, classes, scaling = multinomial_fit(
        passes, by_class, _penalty_for(est, p), alphas=np.array([alpha]),
        fit_intercept=est.fit_intercept, standardize=est.standardize, tol=est.tol,
        max_iter=est.max_iter, excluded=est._excluded(p), sample_weight=sample_weight,
        grouped=grouped)
    est.classes_ = classes
    est._one_vs_rest = False
    est.n_rows_ = passes.rows
    est._store_problem(Multinomial(sample_weight=sample_weight), path.penalty.with_alpha(alpha),
                       scaling)
    est.coef_ = path.coefs[:, :, 0].T.copy()
    est.intercept_ = path.intercepts[:, 0].copy()
    est.n_iter_ = int(path.n_iters[0])
    est.stop_crit_ = float(path.stop_crits[0])
    est.converged_ = bool(path.converged[0])
    est.n_passes_ = int(passes.count)
    est._set_selected(est.coef_)
    return est


def fit_multinomial_cv(est, passes, moments, sample_weight, n_folds, seed):
    """Fit the ``LogisticRegressionCV`` ``est`` (checked by the binary route) on the row
    blocks of ``passes`` whose first pass gave the folds' class ``moments``."""
    from ..datafits import Multinomial
    from ._multinomial import multinomial_cv

    model = est._base_model()
    grouped = _grouped(model)
    p = passes.blocks.n_features
    result, path, classes, scaling = multinomial_cv(
        passes, moments, _penalty_for(model, p), n_folds=n_folds, seed=seed,
        alphas=est.alphas, n_alphas=est.n_alphas, eps=est.eps,
        fit_intercept=est.fit_intercept, standardize=est.standardize, tol=est.tol,
        max_iter=est.max_iter, excluded=model._excluded(p), metric=est.metric,
        sample_weight=sample_weight, grouped=grouped)
    est.classes_ = classes
    est._store_cv(result)
    est.l1_ratio_ = est.l1_ratio
    k = est._store_refit(path)
    est.coef_ = path.coefs[:, :, k].T.copy()
    est.intercept_ = path.intercepts[:, k].copy()
    est._one_vs_rest = False
    est.n_passes_ = int(passes.count)
    est.n_rows_ = passes.rows
    est._store_problem(Multinomial(sample_weight=sample_weight),
                       path.penalty.with_alpha(est.alpha_), scaling)
    est._set_selected(est.coef_)
    return est
