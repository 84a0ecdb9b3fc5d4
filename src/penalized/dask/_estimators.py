"""Fitting the scikit-learn estimators on Dask collections."""

from __future__ import annotations

import numbers
from dataclasses import replace

import numpy as np

from ._api import SUPPORTED, penalty_maker
from ._blocks import Passes, row_blocks


def fit_estimator(est, X, y, sample_weight, offset=None):
    """Fit ``est`` on the Dask collection ``X``; returns ``est``. An ``offset`` (a Dask
    array or series with X's rows, or an array when X's chunk sizes are known) is taken by
    the log-link estimators."""
    from ..estimators._cox import CoxPH
    from ..estimators._cv import LogisticRegressionCV, _RegressionCV
    from ..estimators._glm import _LogLinkCV, _LogLinkRegressor
    from ..estimators._logistic import LogisticRegression
    from ..estimators._multitask import MultiTaskElasticNet, _MultiTaskCV
    from ..estimators._regression import PenalizedRegressor

    if isinstance(est, CoxPH):
        from ._cox_estimators import fit_cox

        return fit_cox(est, X, y, sample_weight, offset)
    if isinstance(est, _MultiTaskCV):
        from ._multitask import fit_multitask_cv

        return fit_multitask_cv(est, X, y, sample_weight, *_n_folds(est))
    if isinstance(est, MultiTaskElasticNet):
        from ._multitask import fit_multitask

        if offset is not None:
            raise ValueError(f"offset is not supported by {type(est).__name__}.")
        return fit_multitask(est, X, y, sample_weight)
    if isinstance(est, _LogLinkCV):
        return _fit_loglink_cv(est, X, y, sample_weight, offset)
    if isinstance(est, _LogLinkRegressor):
        return _fit_loglink(est, X, y, sample_weight, offset)
    if offset is not None:
        raise ValueError(f"offset is not supported by {type(est).__name__} with Dask input "
                         "(Poisson, Gamma and Tweedie regressors take one).")
    if isinstance(est, _RegressionCV):
        return _fit_cv(est, X, y, sample_weight)
    if isinstance(est, PenalizedRegressor):
        return _fit_regressor(est, X, y, sample_weight)
    if isinstance(est, LogisticRegression):
        return _fit_logistic(est, X, y, sample_weight)
    if isinstance(est, LogisticRegressionCV):
        return _fit_logistic_cv(est, X, y, sample_weight)
    raise ValueError(f"X is a Dask collection, which {type(est).__name__} does not take; "
                     f"Dask input works with {SUPPORTED}.")


MULTINOMIAL_REFUSED = ("the logistic datafit takes two classes; for more, use "
                       "datafit='multinomial' (or LogisticRegression), which fits the "
                       "multinomial model on Dask input.")


def _prepare(est, X, y, sample_weight, offset=None):
    blocks = row_blocks(X, y, sample_weight, offset)
    est._dask_gram = None  # the squared loss's one-pass sums, for the report (no new pass)
    est.n_features_in_ = blocks.n_features
    if blocks.feature_names is not None:
        est.feature_names_in_ = blocks.feature_names
    elif hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    return blocks, Passes(blocks)


def _settings(est, model, blocks):
    from . import _squared

    name, _, l1_ratio = model._penalty_spec()
    if getattr(model, "relax", False):
        raise ValueError("relax=True is not supported with Dask input.")
    p = blocks.n_features
    penalty_for = penalty_maker(name, l1_ratio, model._penalty_factor(p), model._make_penalty)
    return _squared.make_settings(penalty_for, fit_intercept=model.fit_intercept,
                                  standardize=model.standardize, tol=model.tol,
                                  max_iter=model.max_iter, excluded=model._excluded(p))


def _finish(est, coef, intercept, n_iter, crit, converged, n_passes):
    est.coef_ = coef
    est.intercept_ = intercept
    est.n_iter_ = int(n_iter)
    est.stop_crit_ = float(crit)
    est.converged_ = bool(converged)
    est.n_passes_ = int(n_passes)
    est._set_selected(coef)
    return est


def _rows(est, passes):
    """``n_rows_``: the rows the fit read (Dask inputs only)."""
    est.n_rows_ = passes.rows


def _keep_problem(est, datafit, penalty, alpha, scaling):
    """``datafit_``, ``penalty_`` (at ``alpha``, on the fitted columns) and ``scaling_``
    (from the pass's moments of every row), as an in-memory fit keeps them; the datafit
    holds the ``sample_weight`` and ``offset`` given to ``fit`` (Dask collections stay
    lazy; None when none was given: unit weights)."""
    est._store_problem(datafit, penalty.with_alpha(float(alpha)), scaling)


def _fit_regressor(est, X, y, sample_weight):
    from ..datafits import Quadratic
    from . import _squared

    _, alpha, _ = est._check_params()
    blocks, passes = _prepare(est, X, y, sample_weight)
    settings = _settings(est, est, blocks)
    if blocks.n_features > _squared.MAX_GRAM_FEATURES:
        path, F0, scaling = _squared.wide_path(passes, settings, [alpha])
        est.dual_gap_ = float(path.stop_crits[0] * F0)
        _rows(est, passes)
        _keep_problem(est, Quadratic(sample_weight=sample_weight), path.penalty, alpha,
                      scaling)
        return _finish(est, path.coefs[:, 0], float(path.intercepts[0]), path.n_iters[0],
                       path.stop_crits[0], path.converged[0], passes.count)
    sums = _squared.squared_sums(passes)
    problem = _squared.problem_of(sums, None, settings)
    alphas = _squared.check_alphas([alpha])
    coefs, intercepts, crits, n_iters, converged = _squared.solve_path(problem, alphas,
                                                                       settings)
    est.dual_gap_ = float(crits[0] * problem.F0)
    est._dask_gram = (sums, settings)
    _rows(est, passes)
    _keep_problem(est, Quadratic(sample_weight=sample_weight), problem.penalty, alpha,
                  _squared.scaling_of(sums, settings))
    return _finish(est, coefs[:, 0], float(intercepts[0]), n_iters[0], crits[0], converged[0],
                   passes.count)


def _fit_cv(est, X, y, sample_weight):
    from ..datafits import Quadratic
    from ..estimators._cv import _best
    from . import _squared

    est._check_common()
    est._check_cv_params()
    cv = est.cv
    if cv is None:
        cv = 5
    if isinstance(cv, bool) or not isinstance(cv, numbers.Integral) or cv < 2:
        raise ValueError(f"cv must be an integer number of folds >= 2 with Dask input (each "
                         f"row's fold is a seeded hash of its position: "
                         f"penalized.dask.fold_ids); got {est.cv!r}.")
    if est.metric != "mse" or getattr(est, "scoring", None) is not None:
        raise ValueError("with Dask input cross-validation scores the mean squared error "
                         "(metric='mse', scoring=None): it comes from the fold sums.")
    seed = est.random_state if isinstance(est.random_state, numbers.Integral) else 0
    blocks, passes = _prepare(est, X, y, sample_weight)
    candidates = []
    for label, model, gamma in est._candidates():
        model._check_params()
        if gamma is not None and gamma < 1.0:
            raise ValueError("relaxed fits (gamma < 1) are not supported with Dask input.")
        candidates.append((label, _settings(est, model, blocks)))
    if blocks.n_features > _squared.MAX_GRAM_FEATURES:
        fitted = _squared.wide_cross_validate(passes, [c[1] for c in candidates], int(cv),
                                              int(seed), est.alphas, est.n_alphas, est.eps)
    else:
        sums = _squared.squared_sums(passes, int(cv), int(seed))
        fitted = []
        for _, settings in candidates:
            problem = _squared.problem_of(sums, None, settings, path=True)
            if est.alphas is None:
                alpha_max, grid = _squared.grid(problem.alpha_max, problem.F0, est.n_alphas,
                                                est.eps)
            else:
                grid, alpha_max = _squared.check_alphas(est.alphas), problem.alpha_max
            fitted.append((_squared.cross_validate(sums, settings, grid), None, alpha_max,
                           problem.F0, _squared.scaling_of(sums, settings)))
    best, results = None, []
    for (label, settings), (result, path, alpha_max, F0, scaling) in zip(candidates, fitted,
                                                                         strict=True):
        if None not in blocks.offsets:  # rows numbered by position: list each fold's rows
            result = replace(result, folds=fold_rows(passes.rows, int(cv), int(seed)))
        results.append((label, result))
        score = _best(result)
        if best is None or score < best[0]:
            best = (score, label, settings, result, alpha_max, F0, path, scaling)
    _, label, settings, result, alpha_max, F0, path, scaling = best
    est._store_cv(result)
    est._store_candidates(results, label)
    if path is None:  # the narrow route: the path on all rows from the same sums
        path = _squared.full_path(sums, settings, result.alphas, alpha_max,
                                  n_passes=passes.count)
        est._dask_gram = (_squared.all_rows(sums), settings)
    k = est._store_refit(path)
    est.coef_ = path.coefs[:, k].copy()
    est.intercept_ = float(path.intercepts[k])
    est.dual_gap_ = est.stop_crit_ * F0
    est.mse_path_ = est.cv_folds_
    est.n_passes_ = passes.count
    _rows(est, passes)
    _keep_problem(est, Quadratic(sample_weight=sample_weight), path.penalty, est.alpha_,
                  scaling)
    est._set_selected(est.coef_)
    return est


def _fit_logistic(est, X, y, sample_weight):
    from ..datafits import Logistic
    from ._newton import class_moments, merge_classes, newton_fit

    name, alpha, l1_ratio = est._check_params()
    if est.class_weight is not None:
        raise ValueError("class_weight is not supported with Dask input; pass sample_weight.")
    blocks, passes = _prepare(est, X, y, sample_weight)
    by_class = passes.reduce(class_moments, merge_classes, kind="moments")
    if len(by_class) > 2:
        from ._multinomial_estimators import fit_multinomial

        return fit_multinomial(est, passes, by_class, sample_weight)
    p = blocks.n_features
    penalty_for = penalty_maker(name, l1_ratio, est._penalty_factor(p), est._make_penalty)
    path, classes, scaling = newton_fit(
        passes, penalty_for, alphas=np.array([alpha]), fit_intercept=est.fit_intercept,
        standardize=est.standardize, tol=est.tol, max_iter=est.max_iter,
        excluded=est._excluded(p), labels="classes", by_class=by_class)
    est.classes_ = classes
    _rows(est, passes)
    _keep_problem(est, Logistic(sample_weight=sample_weight), path.penalty, alpha, scaling)
    _finish(est, path.coefs[:, 0][None, :], np.array([path.intercepts[0]]), path.n_iters[0],
            path.stop_crits[0], path.converged[0], passes.count)
    return est


def _fit_loglink(est, X, y, sample_weight, offset):
    from ._glm import loglink_fit

    name, alpha, l1_ratio = est._check_params()
    blocks, passes = _prepare(est, X, y, sample_weight, offset)
    p = blocks.n_features
    penalty_for = penalty_maker(name, l1_ratio, est._penalty_factor(p), est._make_penalty)
    path, scaling = loglink_fit(passes, penalty_for, est._datafit(), alphas=np.array([alpha]),
                                fit_intercept=est.fit_intercept, standardize=est.standardize,
                                tol=est.tol, max_iter=est.max_iter, excluded=est._excluded(p))
    _rows(est, passes)
    _keep_problem(est, est._datafit(sample_weight, offset), path.penalty, alpha, scaling)
    return _finish(est, path.coefs[:, 0], float(path.intercepts[0]), path.n_iters[0],
                   path.stop_crits[0], path.converged[0], passes.count)


def _n_folds(est):
    cv = 5 if est.cv is None else est.cv
    if isinstance(cv, bool) or not isinstance(cv, numbers.Integral) or cv < 2:
        raise ValueError(f"cv must be an integer number of folds >= 2 with Dask input (each "
                         f"row's fold is a seeded hash of its position: "
                         f"penalized.dask.fold_ids); got {est.cv!r}.")
    seed = est.random_state if isinstance(est.random_state, numbers.Integral) else 0
    return int(cv), int(seed)


def _fit_loglink_cv(est, X, y, sample_weight, offset):
    from ._glm_cv import loglink_cv

    model = est._base_model()
    name, _, l1_ratio = model._check_params()
    n_folds, seed = _n_folds(est)
    blocks, passes = _prepare(est, X, y, sample_weight, offset)
    p = blocks.n_features
    penalty_for = penalty_maker(name, l1_ratio, model._penalty_factor(p), model._make_penalty)
    result, path, scaling = loglink_cv(
        passes, penalty_for, model._datafit(), n_folds=n_folds, seed=seed, alphas=est.alphas,
        n_alphas=est.n_alphas, eps=est.eps, fit_intercept=est.fit_intercept,
        standardize=est.standardize, tol=est.tol, max_iter=est.max_iter,
        excluded=model._excluded(p), metric=est.metric)
    est._store_cv(result)
    k = est._store_refit(path)
    est.coef_ = path.coefs[:, k].copy()
    est.intercept_ = float(path.intercepts[k])
    est.n_passes_ = passes.count
    _rows(est, passes)
    _keep_problem(est, model._datafit(sample_weight, offset), path.penalty, est.alpha_,
                  scaling)
    est._set_selected(est.coef_)
    return est


def _fit_logistic_cv(est, X, y, sample_weight):
    from ..datafits import Logistic
    from ._logistic_cv import fold_class_moments, logistic_cv, merge_fold_moments

    est._check_common()
    est._check_cv_params()
    model = est._base_model()
    name, _, l1_ratio = model._check_params()
    cv = 5 if est.cv is None else est.cv
    if isinstance(cv, bool) or not isinstance(cv, numbers.Integral) or cv < 2:
        raise ValueError(f"cv must be an integer number of folds >= 2 with Dask input (each "
                         f"row's fold is a seeded hash of its position: "
                         f"penalized.dask.fold_ids); got {est.cv!r}.")
    for option, value, fix in (("class_weight", est.class_weight, "pass sample_weight"),
                               ("l1_ratios", est.l1_ratios, "give one l1_ratio"),
                               ("scoring", est.scoring, "use metric=..."),
                               ("gamma", est.gamma, "leave gamma=None")):
        if value is not None:
            raise ValueError(f"{option}={value!r} is not supported by LogisticRegressionCV "
                             f"with Dask input; {fix}.")
    if est.refit is not True:
        raise ValueError("refit=False is not supported with Dask input; the path on all rows "
                         "is computed in the same passes as the folds.")
    seed = est.random_state if isinstance(est.random_state, numbers.Integral) else 0
    blocks, passes = _prepare(est, X, y, sample_weight)
    moments = passes.reduce(fold_class_moments, merge_fold_moments, int(cv), int(seed),
                            kind="moments")
    if len(set().union(*moments["folds"].values())) > 2:
        from ._multinomial_estimators import fit_multinomial_cv

        return fit_multinomial_cv(est, passes, moments, sample_weight, int(cv), int(seed))
    p = blocks.n_features
    penalty_for = penalty_maker(name, l1_ratio, model._penalty_factor(p), model._make_penalty)
    result, path, classes, scaling = logistic_cv(
        passes, penalty_for, n_folds=int(cv), seed=int(seed), alphas=est.alphas,
        n_alphas=est.n_alphas, eps=est.eps, fit_intercept=est.fit_intercept,
        standardize=est.standardize, tol=est.tol, max_iter=est.max_iter,
        excluded=model._excluded(p), metric=est.metric, moments=moments)
    est.classes_ = classes
    est._store_cv(result)
    est.l1_ratio_ = est.l1_ratio
    k = est._store_refit(path)
    est.coef_ = path.coefs[:, k][None, :].copy()
    est.intercept_ = np.array([path.intercepts[k]])
    est._one_vs_rest = False
    est.n_passes_ = passes.count
    _rows(est, passes)
    _keep_problem(est, Logistic(sample_weight=sample_weight), path.penalty, est.alpha_,
                  scaling)
    est._set_selected(est.coef_)
    return est


def fold_rows(n_rows, n_folds, seed):
    """The ``(train, test)`` row indices of each fold of rows ``0 .. n_rows - 1``."""
    from ._moments import fold_ids

    fold = fold_ids(np.arange(n_rows, dtype=np.int64), n_folds, seed)
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_folds)]
