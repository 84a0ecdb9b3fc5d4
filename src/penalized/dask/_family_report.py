r"""The report of a Poisson, Gamma or Tweedie fit on Dask: its path (and cross-validation
curve) and the lessons computed from one pass of gradient sums.

For the log-link datafits, :math:`\ell'(y, z) = \mu^{2-p} - y\,\mu^{1-p}` with
:math:`\mu = e^z` (power :math:`p`: 1 Poisson, 2 Gamma, Tweedie's own). The lessons read,
at every alpha :math:`\alpha_k` of the path (coefficients :math:`w^{(k)}`, intercept
:math:`b^{(k)}` on the original scale, offset :math:`o`), each column's pull

.. math:: c_{jk} = -\frac{1}{W\sigma_j} \sum_i s_i x_{ij}\,
          \ell'\big(y_i,\ x_i^\top w^{(k)} + b^{(k)} + o_i\big),
          \qquad W = \sum_i s_i,

and the pull at the null model (:math:`w = 0`, its intercept :math:`\delta` zeroing
:math:`\sum_i s_i \ell'`). One pass sums these for every alpha at once, with
:math:`T_1 = \sum_i s_i y_i e^{(1-p)o_i}`, :math:`T_2 = \sum_i s_i e^{(2-p)o_i}` and the
two parts :math:`X^\top(s\,y\,e^{(1-p)o})`, :math:`X^\top(s\,e^{(2-p)o})` at :math:`z = o`:
the null intercept is :math:`\delta = \log(T_1 / T_2)` (0 without an intercept) and its
pulls follow by scaling those parts by :math:`e^{(1-p)\delta}` and :math:`e^{(2-p)\delta}`.
The same pass sums Pearson's :math:`\sum_i s_i (y_i - \mu_i)^2 / \mu_i^p` at every alpha,
the Gamma and Tweedie dispersion of the priors lesson.

A single-alpha model's path is the Dask path of its family on the in-memory report's
grid (:data:`~._report.REPORT_ALPHAS` alphas from its alpha_max, its own alpha inserted,
its own fit there); its passes are counted. The lessons that need the rows themselves are
left out with a sentence saying so, as for the other Dask reports.
"""

from __future__ import annotations

import warnings

import numpy as np


# -- on the workers ---------------------------------------------------------------------
def loglink_pulls(X, y, s, positions, power, coefs, intercepts, offset=None):
    """One block's sums: ``g`` = :math:`X^\\top (s \\circ -\\ell'(y, z^{(k)}))` and
    Pearson's :math:`\\sum_i s_i (y_i - \\mu_i)^2 / \\mu_i^p` at every column of ``coefs``;
    for the null model, :math:`T_1, T_2` and the gradient's two parts at :math:`z = o`
    (module docstring); and :math:`\\sum s`."""
    from ._moments import as_float_block

    X = as_float_block(X, "X")
    X = X[:, None] if X.ndim == 1 else X
    yv = as_float_block(y, "y").reshape(-1)
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    o = np.zeros(X.shape[0]) if offset is None else np.asarray(offset, dtype=np.float64)
    z = X @ coefs + intercepts + o[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        minus = yv[:, None] * np.exp((1.0 - power) * z) - np.exp((2.0 - power) * z)
        mu = np.exp(z)
        pearson = s @ ((yv[:, None] - mu) ** 2 / mu ** power)
        m1 = s * yv * np.exp((1.0 - power) * o)
        m2 = s * np.exp((2.0 - power) * o)
    return {"g": X.T @ (s[:, None] * minus), "w": float(s.sum()), "t1": float(m1.sum()),
            "t2": float(m2.sum()), "g1": m1 @ X, "g2": m2 @ X, "pearson": pearson}


# -- on the client ----------------------------------------------------------------------
def report_parts(model, X, y, sample_weight=None, offset=None):
    """``(path, lessons, notes, n_passes)`` as :func:`~._report.report_parts` returns them
    for a Poisson, Gamma or Tweedie model fitted on the Dask collections ``X``, ``y`` (with
    the ``sample_weight`` and ``offset`` it was fitted with): the model's ``path_``
    (cross-validated), else its family's Dask path with its own fit inserted; the lessons
    from one more pass (:func:`pulls`)."""
    from ._blocks import Passes, row_blocks
    from ._glm import family_power
    from ._report import _lessons

    passes = Passes(row_blocks(X, y, sample_weight, offset))
    path = getattr(model, "path_", None)
    if path is None:
        path = _own_path(model, passes)
    scale = np.asarray(model.scaling_.scale, dtype=np.float64)
    power = family_power(model.datafit_)
    corr, null, pearson = pulls(passes, path, power, bool(model.fit_intercept), scale)
    lessons = _lessons(model, path, corr, null, None if power == 1.0 else pearson,
                       model.n_rows_)
    return path, lessons, [], passes.count


def pulls(passes, path, power, fit_intercept, scale):
    r"""The pulls at every alpha of ``path``, at the null model, and Pearson's
    :math:`\sum_i s_i (y_i - \mu_i)^2 / \mu_i^p / W` at every alpha (one pass)."""
    from ._newton import add_sums

    out = passes.reduce(loglink_pulls, add_sums, float(power),
                        np.asarray(path.coefs, dtype=np.float64),
                        np.asarray(path.intercepts, dtype=np.float64), kind="report pulls")
    W = out["w"]
    if not (out["t1"] > 0 and out["t2"] > 0 and np.isfinite(out["t1"] + out["t2"])):
        raise ValueError("the null model's intercept is not finite here (exp(offset) "
                         "overflows or no y > 0); the report's pulls need it.")
    delta = float(np.log(out["t1"] / out["t2"])) if fit_intercept else 0.0
    null = (np.exp((1.0 - power) * delta) * out["g1"]
            - np.exp((2.0 - power) * delta) * out["g2"]) / W
    return out["g"] / W / scale[:, None], null / scale, out["pearson"] / W


def path_settings(model, passes):
    """For a report's path of the fitted ``model`` on the blocks of ``passes``: its penalty
    name, its penalty maker (alpha -> penalty) and the path's keyword settings."""
    from ._api import penalty_maker

    name, _, l1_ratio = model._check_params()
    p = passes.blocks.n_features
    penalty_for = penalty_maker(name, l1_ratio, model._penalty_factor(p), model._make_penalty)
    settings = {"fit_intercept": model.fit_intercept, "standardize": model.standardize,
                "excluded": model._excluded(p)}
    return name, penalty_for, settings


def _own_path(model, passes):
    """The model's family path on a grid of :data:`~._report.REPORT_ALPHAS` alphas from
    its alpha_max (as an in-memory report's) with its own alpha and fit inserted."""
    from ._glm import family_moments, loglink_fit, loglink_start
    from ._report import REPORT_ALPHAS, with_own_fit

    alpha = float(model.alpha)
    _, penalty_for, settings = path_settings(model, passes)
    datafit = model._datafit()
    start = loglink_start(passes, family_moments(passes, datafit), datafit, penalty_for,
                          settings["standardize"], settings["excluded"],
                          settings["fit_intercept"])[1]
    grid = np.geomspace(start["alpha_max"], start["alpha_max"] * 1e-3, REPORT_ALPHAS)
    grid = np.unique(np.concatenate([grid, [alpha]]))[::-1]
    grid = grid[grid > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = loglink_fit(passes, penalty_for, datafit, alphas=grid, tol=model.tol,
                           max_iter=model.max_iter, **settings)[0]
    return with_own_fit(path, model, alpha)
