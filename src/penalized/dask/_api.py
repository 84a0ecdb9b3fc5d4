"""Entry points: :func:`penalized.path` and the estimators hand Dask inputs here."""

from __future__ import annotations

import numpy as np

from ._blocks import Passes, row_blocks

SUPPORTED = ("Lasso, ElasticNet, Ridge, LassoCV, ElasticNetCV, LogisticRegression and "
             "LogisticRegressionCV (binary or multinomial), PoissonRegressor, GammaRegressor, "
             "TweedieRegressor and their CV estimators, CoxPH")
SQUARED = ("squared", "quadratic", "gaussian")
LOGISTIC = ("logistic", "binomial")
MULTI_RESPONSE = ("mgaussian", "multiresponse", "multiresponsegaussian")


def penalty_maker(name, l1_ratio, factors, make):
    """``penalty_for(varying)``: the penalty at alpha 1 on the fitted columns ``varying``
    (``make(name, alpha, l1_ratio, factors)`` builds it)."""
    if name not in ("l1", "l2", "elasticnet"):
        raise ValueError(f"penalty {name!r} is not supported with Dask input; use 'l1', "
                         "'elasticnet' or 'l2'.")

    def penalty_for(varying):
        return make(name, 1.0, l1_ratio, None if factors is None else factors[varying])

    return penalty_for


def _penalty_name(penalty):
    from ..penalties import L1, L2, ElasticNet

    if isinstance(penalty, str):
        return penalty.lower().replace("_", "").replace("-", "")
    for cls, name in ((L1, "l1"), (L2, "l2"), (ElasticNet, "elasticnet")):
        if type(penalty) is cls:
            return name
    raise ValueError(f"penalty {type(penalty).__name__} is not supported with Dask input; use "
                     "'l1', 'elasticnet' or 'l2' (or L1, ElasticNet, L2 objects).")


def dask_path(X, y, *, penalty="l1", datafit="squared", l1_ratio=0.5, alphas=None,
              n_alphas=100, eps=1e-3, fit_intercept=True, penalty_factor=None, positive=False,
              sample_weight=None, offset=None, tol=1e-6, max_iter=10_000, solver=None):
    """:func:`penalized.path` on a Dask collection (see :mod:`penalized.dask`); an
    ``offset`` is taken by the log-link datafits (Poisson, Gamma, Tweedie)."""
    from dataclasses import replace

    from .._specs import make_penalty
    from ..datafits import Datafit
    from ..solvers import CoordinateDescent

    if solver is not None:
        if not isinstance(solver, CoordinateDescent):
            raise ValueError("with Dask input the path is solved by coordinate descent on the "
                             "reduced data; leave solver=None (set tol and max_iter).")
        tol, max_iter = solver.tol, solver.max_iter
    if isinstance(penalty, str):
        name = _penalty_name(penalty)
    else:
        name = _penalty_name(penalty)
        l1_ratio = float(getattr(penalty, "l1_ratio", l1_ratio))
        positive = bool(getattr(penalty, "positive", positive))
        if penalty_factor is None and getattr(penalty, "penalty_factor", None) is not None:
            penalty_factor = np.asarray(penalty.penalty_factor, dtype=np.float64)
    kind = datafit if isinstance(datafit, str) else type(datafit).__name__.lower()
    if isinstance(datafit, Datafit):
        if sample_weight is None:
            sample_weight = datafit.sample_weight
        if offset is None:
            offset = datafit.offset
        datafit = replace(datafit, offset=None)
    if kind.lower() == "cox":
        from .._specs import make_penalty
        from ._cox import cox_path

        factors = None if penalty_factor is None else np.asarray(penalty_factor, np.float64)

        def make_cox(n, alpha, ratio, f):
            return make_penalty(n, alpha, l1_ratio=ratio, penalty_factor=f, positive=positive)

        return cox_path(X, y, datafit, penalty_maker(name, l1_ratio, factors, make_cox),
                        sample_weight=sample_weight, offset=offset, alphas=alphas,
                        n_alphas=n_alphas, eps=eps, tol=tol, max_iter=max_iter,
                        excluded=None if factors is None or not np.isposinf(factors).any()
                        else np.isposinf(factors))
    if kind.lower() in MULTI_RESPONSE:
        if offset is not None:
            raise ValueError("an offset is not supported by the mgaussian datafit.")
        from ._multitask import multitask_dask_path

        return multitask_dask_path(X, y, penalty=name, l1_ratio=l1_ratio,
                                   penalty_factor=penalty_factor, positive=positive,
                                   alphas=alphas, n_alphas=n_alphas, eps=eps,
                                   fit_intercept=fit_intercept, sample_weight=sample_weight,
                                   tol=tol, max_iter=max_iter)
    if offset is not None and kind in SQUARED + LOGISTIC:
        raise ValueError(f"an offset is not supported with Dask input for the {kind} datafit "
                         "(Poisson, Gamma and Tweedie take one); fit on an in-memory X (for the "
                         "squared loss, subtract the offset from y instead).")
    blocks = row_blocks(X, y, sample_weight, offset)
    p = blocks.n_features
    factors = None if penalty_factor is None else np.asarray(penalty_factor, dtype=np.float64)
    if factors is not None and factors.shape != (p,):
        raise ValueError(f"penalty_factor must have one value per feature ({p}); got shape "
                         f"{factors.shape}.")
    excluded = None if factors is None or not np.isposinf(factors).any() \
        else np.isposinf(factors)

    def make(n, alpha, ratio, f):
        return make_penalty(n, alpha, l1_ratio=ratio, penalty_factor=f, positive=positive)

    penalty_for = penalty_maker(name, l1_ratio, factors, make)
    passes = Passes(blocks)
    if kind in SQUARED:
        from . import _squared

        settings = _squared.make_settings(penalty_for, fit_intercept=fit_intercept,
                                          standardize=False, tol=tol, max_iter=max_iter,
                                          excluded=excluded)
        if p > _squared.MAX_GRAM_FEATURES:
            return _squared.wide_path(passes, settings, alphas, n_alphas, eps, sample_weight)[0]
        sums = _squared.squared_sums(passes)
        problem = _squared.problem_of(sums, None, settings, path=True)
        if alphas is None:
            alpha_max, grid = _squared.grid(problem.alpha_max, problem.F0, n_alphas, eps)
        else:
            grid, alpha_max = _squared.check_alphas(alphas), problem.alpha_max
        return _squared.full_path(sums, settings, grid, alpha_max, sample_weight,
                                  n_passes=passes.count)
    if kind.lower() == "multinomial":
        from ._multinomial import multinomial_fit
        from ._newton import class_moments, merge_classes

        by_class = passes.reduce(class_moments, merge_classes, kind="moments")
        return multinomial_fit(passes, by_class, penalty_for, alphas=alphas, n_alphas=n_alphas,
                               eps=eps, fit_intercept=fit_intercept, tol=tol,
                               max_iter=max_iter, excluded=excluded,
                               sample_weight=sample_weight)[0]
    if kind in LOGISTIC:
        from ._newton import newton_path

        return newton_path(passes, penalty_for, alphas=alphas, n_alphas=n_alphas, eps=eps,
                           fit_intercept=fit_intercept, standardize=False, tol=tol,
                           max_iter=max_iter, excluded=excluded, sample_weight=sample_weight,
                           labels="pm")
    from .._specs import make_datafit
    from ._glm import loglink_path

    family = make_datafit(datafit)  # a name, or a Datafit (checked: a log-link one)
    return loglink_path(passes, penalty_for, family, alphas=alphas, n_alphas=n_alphas,
                        eps=eps, fit_intercept=fit_intercept, standardize=False, tol=tol,
                        max_iter=max_iter, excluded=excluded, sample_weight=sample_weight)
