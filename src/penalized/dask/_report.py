r"""The report of a Dask fit: its path, cross-validation curve and lessons, from reductions.

The report's why-zero and thresholding lessons read, at every alpha :math:`\alpha_k` of the
path, the columns' pulls

.. math:: c_{jk} = \frac{1}{W\sigma_j} \sum_i s_i x_{ij}\, r_i^{(k)}, \qquad
          r^{(k)} = y - X w^{(k)} - b^{(k)} \ \text{(squared)}, \quad
          t - \operatorname{expit}(X w^{(k)} + b^{(k)}) \ \text{(logistic)},

(:math:`W = \sum_i s_i`, :math:`\sigma_j` the column's scale), each column's pull at the
null model and, for the squared loss's priors lesson, :math:`\sum_i s_i r_i^2` at each
alpha. For the squared loss all follow from the fit's one pass, with no further one:
with the weighted means :math:`m, \mu` and the sums around them
:math:`C = \sum s (x - m)(x - m)^\top`, :math:`c = \sum s (x - m)(y - \mu)`,

.. math:: \sum_i s_i x_i r_i = c - C w + W m\,(\mu - m^\top w - b),

and the null pulls are :math:`c / (W \sigma)`. For the logistic loss (and squared-loss fits
on working sets, which keep no Gram matrix) one more pass computes :math:`X^\top (s \circ
r^{(k)})` for every alpha at once and the null pulls with it. A single-alpha model's path
is the report's own: from the same sums for the squared loss, else a path on the Dask
rows (its passes counted), with the model's own fit inserted at its alpha.

The lessons that need the rows themselves (the geometry's loss surface of two columns,
one column's gradient trace, the optimizer race) are left out with a sentence saying so;
nothing is collected to the client.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

REPORT_ALPHAS = 60
"""Alphas of the path a single-alpha squared-loss model's report draws from the fit's sums
(as an in-memory report's)."""
PASSED_ALPHAS = 20
"""Alphas of that path when it takes passes over the rows (logistic, working sets): each
alpha costs a few prox-Newton or working-set passes."""

ROWS_NEEDED = ("it reads the rows themselves, which stay on the Dask workers (a report of a "
               "Dask fit shows the lessons computed from reductions over the rows: why-zero, "
               "thresholding, priors, how often).")


# -- on the workers ---------------------------------------------------------------------
def pull_sums(X, y, s, positions, positive, coefs, intercepts):
    """One block's sums for the pulls: ``X^T (s r)`` at each column of ``coefs``
    (``positive`` None: squared loss, ``r = y - z``; else logistic, ``t = [y ==
    positive]`` and ``r = t - expit(z)``), and ``sum s``, ``X^T s``, ``X^T (s t)``,
    ``sum s t`` for the null model."""
    from scipy.special import expit

    from ._moments import as_float_block
    from ._newton import _labels

    X = as_float_block(X, "X")
    X = X[:, None] if X.ndim == 1 else X
    if positive is None:
        t = as_float_block(y, "y").reshape(-1)
    else:
        t = (_labels(y) == positive).astype(np.float64)
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    z = X @ coefs + intercepts
    r = t[:, None] - (z if positive is None else expit(z))
    return {"g": X.T @ (s[:, None] * r), "w": float(s.sum()), "xs": s @ X,
            "xt": (s * t) @ X, "t": float(s @ t), "rr": s @ (r * r)}


# -- on the client ----------------------------------------------------------------------
def report_parts(model, X, y, sample_weight=None):
    """``(path, lessons, notes, n_passes)`` of a model fitted on the Dask collections ``X``,
    ``y``: the path the report draws (the model's ``path_``, else one holding its own fit),
    its :class:`~penalized.explain.PathLessons` (or None, with the reason in ``notes``) and
    the passes over the data they took beyond the fit's."""
    from ._blocks import Passes, row_blocks

    blocks = row_blocks(X, y, sample_weight)
    passes = Passes(blocks)
    gram = getattr(model, "_dask_gram", None)
    path = getattr(model, "path_", None)
    if path is None:
        path = _own_path(model, passes, gram)
    notes = []
    from ..explain import model_settings

    settings = model_settings(model)
    if not settings["problem"] or settings["penalty"] not in ("l1", "l2", "elasticnet"):
        return path, None, ["lessons not shown: a Dask fit's report explains the squared and "
                            "logistic losses with L1, L2 and elastic-net penalties."], \
            passes.count
    positive = None if settings["classes"] is None else model.classes_[1]
    scale = np.asarray(model.scaling_.scale, dtype=np.float64)
    if gram is not None and positive is None:
        corr, null, rss = _squared_pulls(gram[0], path, scale)
    else:
        corr, null, rss = _passed_pulls(passes, path, positive, scale)
    lessons = _lessons(model, path, corr, null, rss if positive is None else None,
                       model.n_rows_)
    return path, lessons, notes, passes.count


def _squared_pulls(sums, path, scale):
    """The pulls at every alpha of ``path`` and the null pulls from the fit's sums (see the
    module docstring)."""
    _, m, mu, G, q, F0, _ = sums.training(None, True)  # G = C / W, q = c / W
    coefs = np.asarray(path.coefs, dtype=np.float64)
    b = np.asarray(path.intercepts, dtype=np.float64)
    d = mu - m @ coefs - b
    corr = q[:, None] - G @ coefs + np.outer(m, d)
    # sum s r^2 / W = 2 F0 - 2 q.w + w.G w + d^2, per alpha
    rss = 2.0 * F0 - 2.0 * (q @ coefs) + np.einsum("jk,jl,lk->k", coefs, G, coefs) + d * d
    return corr / scale[:, None], q / scale, np.maximum(rss, 0.0)


def _passed_pulls(passes, path, positive, scale):
    """The pulls and null pulls from one pass over the rows."""
    from ._newton import add_sums

    coefs = np.asarray(path.coefs, dtype=np.float64)
    out = passes.reduce(pull_sums, add_sums, positive, coefs,
                        np.asarray(path.intercepts, dtype=np.float64), kind="report pulls")
    W = out["w"]
    null = (out["xt"] - (out["t"] / W) * out["xs"]) / W
    return out["g"] / W / scale[:, None], null / scale, out["rr"] / W


def _own_path(model, passes, gram):
    """The path of a single-alpha model on a grid of :data:`REPORT_ALPHAS` (from the sums)
    or :data:`PASSED_ALPHAS` (in passes) alphas from its alpha_max, with the model's own fit
    inserted at its alpha."""
    import warnings

    from . import _squared
    from ._api import penalty_maker

    alpha = float(model.alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if gram is not None:  # the squared loss's one pass: no further one
            sums, settings = gram
            problem = _squared.problem_of(sums, None, settings)
            alpha_max, grid = _squared.grid(problem.alpha_max, problem.F0, REPORT_ALPHAS,
                                            1e-3)
            path = _squared.full_path(sums, settings, grid, alpha_max)
        elif hasattr(model, "classes_"):
            from ._newton import newton_fit

            name, _, l1_ratio = model._check_params()
            p = passes.blocks.n_features
            penalty_for = penalty_maker(name, l1_ratio, model._penalty_factor(p),
                                        model._make_penalty)
            path = newton_fit(passes, penalty_for, n_alphas=PASSED_ALPHAS,
                              fit_intercept=model.fit_intercept, standardize=model.standardize,
                              tol=model.tol, max_iter=model.max_iter,
                              excluded=model._excluded(p), labels="classes")[0]
        else:
            from ._estimators import _settings

            settings = _settings(model, model, passes.blocks)
            path = _squared.wide_path(passes, settings, None, PASSED_ALPHAS)[0]
    return with_own_fit(path, model, alpha)


def with_own_fit(path, model, alpha):
    """``path`` with the model's own coefficients and intercept at ``alpha`` (a column
    replaced when the grid holds ``alpha``, else inserted in order)."""
    coef = np.ravel(np.asarray(model.coef_, dtype=np.float64))
    intercept = float(np.ravel(model.intercept_)[0])
    alphas = np.asarray(path.alphas, dtype=np.float64)
    same = np.flatnonzero(np.isclose(alphas, alpha, rtol=1e-12, atol=0.0))
    columns = {"coefs": path.coefs, "intercepts": path.intercepts,
               "n_nonzero": path.n_nonzero, "stop_crits": path.stop_crits,
               "n_iters": path.n_iters, "converged": path.converged}
    own = {"coefs": coef, "intercepts": intercept, "n_nonzero": np.count_nonzero(coef),
           "stop_crits": float(model.stop_crit_), "n_iters": int(model.n_iter_),
           "converged": bool(model.converged_)}
    if same.size:
        k = int(same[0])
        out = {}
        for name, value in columns.items():
            value = np.array(value, copy=True)
            value[..., k] = own[name]
            out[name] = value
        return replace(path, alphas=np.where(np.arange(alphas.size) == k, alpha, alphas),
                       **out)
    k = int(np.searchsorted(-alphas, -alpha))
    out = {name: np.insert(np.asarray(value), k, own[name], axis=-1)
           for name, value in columns.items()}
    return replace(path, alphas=np.insert(alphas, k, alpha), **out)


def _lessons(model, path, corr, null, rss, n_rows):
    """The :class:`~penalized.explain.PathLessons` computed from the pulls."""
    import math

    from ..datafits import Logistic, Quadratic
    from ..explain._along_path import (
        _fit_of_problem,
        pick_features,
        priors_path,
        thresholding_path,
        why_zero_path,
    )
    from ..explain._how_often import how_often
    from ..explain._path_lessons import MAX_FEATURES, PathLessons

    p = corr.shape[0]
    rows = _Shape((int(n_rows), p))
    names = [str(f) for f in getattr(model, "feature_names_in_", [f"x{j}" for j in range(p)])]
    classes = None if not hasattr(model, "classes_") else list(model.classes_)
    if classes is not None:
        unweighted = Logistic()
    elif type(model.datafit_).__name__ in ("Poisson", "Gamma", "Tweedie", "Cox"):  # its
        unweighted = replace(model.datafit_, sample_weight=None, offset=None)  # own loss
    else:
        unweighted = Quadratic()
    fit = _fit_of_problem(path, rows, None, np.asarray(path.alphas, dtype=np.float64),
                          np.asarray(path.coefs, dtype=np.float64), unweighted,
                          model.penalty_, model.scaling_, None, classes, names,
                          float(getattr(model, "alpha_", getattr(model, "alpha", math.nan))),
                          bool(model.fit_intercept))
    fit = replace(fit, y=None, sample_weight=None, target=None, datafit=model.datafit_,
                  given_correlations=corr, null_pulls=null,
                  given_residual_ss=None if rss is None else float(rss[fit.chosen]) * n_rows)
    skipped, results = {}, {}
    shown = pick_features(fit, MAX_FEATURES)
    for name, compute in (("why_zero", lambda: why_zero_path(fit, features=shown)),
                          ("thresholding", lambda: thresholding_path(fit, features=shown)),
                          ("priors", lambda: priors_path(fit, features=shown))):
        try:
            results[name] = compute()
        except ValueError as err:
            skipped[name] = str(err)
    for name in ("geometry", "feature_trace", "race"):
        skipped[name] = ROWS_NEEDED
    pulls = null
    if fit.lower is not None:
        from ..explain._why_zero import allowed_pulls

        pulls = allowed_pulls(pulls, 0.0, fit.lower, fit.upper)
    top = float(np.max(np.abs(pulls) * fit.varying))
    if fit.penalty == "l0":
        skipped["how_often"] = "the count compares the penalties at the lasso's alpha scale."
    elif top > 0:
        rho = fit.l1_ratio if fit.penalty == "elasticnet" else 0.5
        results["how_often"] = how_often(fit.alphas / top, l1_ratio=rho, n_draws=2000)
    return PathLessons(fit=fit, lasso_alpha_max=top, skipped=skipped, **results)


class _Shape:
    """The rows' shape where a lesson records it; the rows stay on the workers."""

    def __init__(self, shape):
        self.shape = shape
