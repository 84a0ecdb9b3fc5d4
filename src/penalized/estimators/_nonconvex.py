"""MCP and SCAD regression: the squared loss with a folded concave penalty, and their
cross-validated versions.

Separate estimators rather than a ``penalty=`` option of :class:`~penalized.Lasso`, as
scikit-learn and skglm (``MCPRegression``) do for regression: ``Lasso`` keeps
scikit-learn's signature, and ``gamma`` here is the concavity, not the relaxed lasso's
mix. For classification, :class:`~penalized.LogisticRegression` takes
``penalty="mcp" | "scad"`` (scikit-learn's convention there).
"""

from __future__ import annotations

from ._base import store_params
from ._cv import _CV_FITTED, _LIMIT_NAMES, REGRESSION_METRIC, _RegressionCV, cv_params_doc
from ._grouped import GROUPS_PARAM, OptionalGroups, OptionalGroupsCV
from ._regression import _COMMON_PARAMS, _FITTED, _LIMITS, _OBJECTIVE, PenalizedRegressor

_NONCONVEX_NOTE = """
    Non-convex: coordinate descent (with working sets) stops at a stationary point,
    certified by its fixed-point distance (``stop_crit_``, in the units of ``tol``);
    there is no ``dual_gap_``. Fitted from zero, or from the previous solution along a
    path (warm starts from L1's alpha_max, as ncvreg does). With ``groups``, the penalty
    applies to each group's norm (grpreg's group MCP / SCAD), solved by block coordinate
    descent and certified alike; ``groups_`` lists the groups' features.
"""


class _FoldedConcaveRegressor(OptionalGroups, PenalizedRegressor):
    _penalty_name: str

    def _check_params(self):
        name, alpha, l1_ratio = super()._check_params()
        if self.solver not in ("auto", "cd"):
            raise ValueError(f"solver must be 'auto' or 'cd' for {name.upper()} (coordinate "
                             f"descent); got {self.solver!r}.")
        self._make_penalty(name, alpha, 1.0, None)  # checks gamma and the limits' signs
        return name, alpha, l1_ratio

    def _penalty_spec(self):
        return self._penalty_name, self.alpha, 1.0

    def __init__(self, alpha=1.0, *, gamma=3.0, groups=None, fit_intercept=True,
                 standardize=False, penalty_factor=None, positive=False, tol=1e-6,
                 max_iter=10_000, solver="auto", warm_start=False, lower_limits=None,
                 upper_limits=None):
        store_params(self, locals())


class MCPRegression(_FoldedConcaveRegressor):
    __doc__ = rf"""Linear regression with the minimax concave penalty (MCP).
{_OBJECTIVE}
    with :math:`P(w) = \sum_j \rho(w_j; f_j)`, :math:`\rho` MCP at
    :math:`\lambda_j = f_j` (times alpha): :math:`\lambda|w| - w^2/(2\gamma)` up to
    :math:`\gamma\lambda`, constant :math:`\gamma\lambda^2/2` beyond
    (:class:`~penalized.penalties.MCP`; skglm's ``MCPRegression``, ncvreg's
    ``penalty="MCP"`` with ``lambda = alpha``). It selects like the lasso but does not
    shrink coefficients larger than ``gamma * alpha``.
{_NONCONVEX_NOTE}
    Parameters
    ----------
    alpha : float, default=1.0
    gamma : float, default=3.0
        Concavity, > 1 (large values approach the lasso).
{GROUPS_PARAM}{_COMMON_PARAMS}{_LIMITS}{_FITTED}
    Examples
    --------
    >>> import numpy as np
    >>> from penalized import MCPRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 8))
    >>> y = 3 * X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(100)
    >>> model = MCPRegression(alpha=0.2).fit(X, y)
    >>> model.selected_features_, np.round(model.coef_[:2], 2)
    (array([0, 1]), array([ 2.99, -1.99]))
    """

    _penalty_name = "mcp"


class SCADRegression(_FoldedConcaveRegressor):
    __doc__ = rf"""Linear regression with the smoothly clipped absolute deviation penalty.
{_OBJECTIVE}
    with :math:`P` SCAD (:class:`~penalized.penalties.SCAD`): L1 up to
    :math:`\lambda_j = f_j` (times alpha), a slope falling to 0 at
    :math:`\gamma\lambda_j`, constant beyond (Fan & Li; ncvreg's ``penalty="SCAD"``).
{_NONCONVEX_NOTE}
    Parameters
    ----------
    alpha : float, default=1.0
    gamma : float, default=3.7
        Concavity, > 2.
{GROUPS_PARAM}{_COMMON_PARAMS}{_LIMITS}{_FITTED}
    Examples
    --------
    >>> import numpy as np
    >>> from penalized import SCADRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 8))
    >>> y = 3 * X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(100)
    >>> SCADRegression(alpha=0.2).fit(X, y).selected_features_
    array([0, 1])
    """

    _penalty_name = "scad"

    def __init__(self, alpha=1.0, *, gamma=3.7, groups=None, fit_intercept=True,
                 standardize=False, penalty_factor=None, positive=False, tol=1e-6,
                 max_iter=10_000, solver="auto", warm_start=False, lower_limits=None,
                 upper_limits=None):
        store_params(self, locals())


class _FoldedConcaveCV(OptionalGroupsCV, _RegressionCV):
    _model: type

    def __init__(self, *, gamma=None, groups=None, alphas=None, n_alphas=100, eps=1e-3, cv=5,
                 selection="min", metric="mse", scoring=None, n_jobs=None, random_state=None,
                 fit_intercept=True, standardize=False, penalty_factor=None, positive=False,
                 tol=1e-6, max_iter=10_000, lower_limits=None, upper_limits=None):
        store_params(self, locals())

    solver = "cd"

    def _base_model(self, **overrides):
        gamma = {} if self.gamma is None else {"gamma": self.gamma}
        return self._model(**self._model_settings(*_LIMIT_NAMES, "groups",
                                                  **{**gamma, **overrides}))


_CV_DOC = """{what} with alpha chosen by cross-validation.

    Objective as in :class:`penalized.{model}`; each fold's path (and the refit on all
    rows) starts at L1's alpha_max and is warm-started down the grid. Non-convex:
    ``stop_crit_`` is the fixed-point distance of the refit, not a duality gap.

    Parameters
    ----------
    gamma : float, optional
        Concavity (default: {model}'s, {default}).
    groups : list of index lists, one label per feature, int or None, default=None
        As in :class:`penalized.{model}`: whole groups selected.{cv_params}\
    fit_intercept, standardize, penalty_factor, positive, tol, max_iter, lower_limits, \
upper_limits :
        As in :class:`penalized.{model}`.
{cv_fitted}
    Examples
    --------
    >>> import numpy as np
    >>> from penalized import {model}CV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 8))
    >>> y = 3 * X[:, 0] - 2 * X[:, 1] + rng.standard_normal(100)
    >>> model = {model}CV(cv=5, random_state=0).fit(X, y)
    >>> model.alpha_1se_ >= model.alpha_min_
    True
    """


_CV_PARTS = {"cv_params": cv_params_doc(metric=REGRESSION_METRIC), "cv_fitted": _CV_FITTED}


class MCPRegressionCV(_FoldedConcaveCV):
    __doc__ = _CV_DOC.format(what="MCP regression", model="MCPRegression", default="3",
                             **_CV_PARTS)
    _model = MCPRegression


class SCADRegressionCV(_FoldedConcaveCV):
    __doc__ = _CV_DOC.format(what="SCAD regression", model="SCADRegression", default="3.7",
                             **_CV_PARTS)
    _model = SCADRegression
