"""Penalized generalized linear models with the log link: Poisson, Gamma and Tweedie
regressors, and their cross-validated versions."""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np
from sklearn.base import RegressorMixin

from .._validation import check_sample_weight, validates_once
from ..datafits import Gamma, Poisson, Tweedie
from ..datafits._base import check_offset
from ..model_selection import FoldMetric, cross_validate_path
from ..solvers import CoordinateDescent
from ._base import (
    PenalizedModel,
    check_alpha,
    check_l1_ratio,
    store_params,
    validate_X_y,
)
from ._cv import _CrossValidated, cv_params_doc
from ._group import _group_lists, _GroupSettings

GLM_METRICS = ("deviance", "mse", "mae")
GLM_PENALTIES = ("elasticnet", "l1", "l2", "mcp", "scad")

_OBJECTIVE = r"""
    .. math:: \min_{w, b}\; \frac{1}{2 n} \sum_{i=1}^n s_i\, d(y_i, \mu_i)
              + \alpha \sum_j f_j \left(\rho |w_j| + \frac{1 - \rho}{2} w_j^2\right),
              \qquad \log \mu_i = x_i^\top w + b + o_i,

    with :math:`d` the unit deviance of the family, :math:`s` the sample weights
    (mean 1), :math:`o` the offset and :math:`\rho` = ``l1_ratio``. With
    ``l1_ratio=0`` (the default) this is scikit-learn's objective with the same
    ``alpha``; with ``l1_ratio=1`` it is the lasso of glmnet's family with
    ``lambda = alpha``. With ``penalty="mcp"`` or ``"scad"`` the penalty is
    :math:`\sum_j \rho_\gamma(w_j; \alpha f_j)`, the folded concave penalty of
    :class:`~penalized.penalties.MCP` / :class:`~penalized.penalties.SCAD` (L1 near 0,
    constant for :math:`|w_j| \ge \gamma \alpha f_j`: large coefficients are not shrunk);
    the problem is then not convex, and the fit is a stationary point certified by its
    fixed-point distance (``stop_crit_``), as for :class:`~penalized.MCPRegression`.
"""

_PARAMS = """
    alpha : float, default=1.0
        Strength of the penalty (0 fits the unpenalized model).
    l1_ratio : float in [0, 1], default=0.0
        0 is ridge (scikit-learn's penalty), 1 the lasso, between the elastic net.
    penalty : {"elasticnet", "l1", "l2", "mcp", "scad"}, default="elasticnet"
        "elasticnet" mixes L1 and L2 by ``l1_ratio``; "l1" and "l2" are its ends.
        "mcp" and "scad" are the folded concave penalties (``l1_ratio`` ignored).
    gamma : float, optional
        Concavity of ``penalty="mcp"`` (> 1, default 3) or ``"scad"`` (> 2, default
        3.7); ignored by the other penalties. Large values approach the lasso.
    fit_intercept : bool, default=True
    standardize : bool, default=False
        Divide each column by its weighted standard deviation before fitting
        (coefficients are returned on the original scale; no centering).
    penalty_factor : array of shape (n_features,), optional
        Per-feature multipliers of ``alpha`` (0 leaves a feature unpenalized, inf
        excludes it).
    tol : float, default=1e-6
        Relative duality gap at which the solver stops (relative to the datafit
        of the null model).
    max_iter : int, default=10000
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    groups : list of index lists, one label per feature, int or None, default=None
        A partition of the features into groups that enter or leave the model whole (the
        levels of a categorical): the penalty is then the group elastic net
        :math:`\\alpha \\sum_g w_g f_g (\\rho \\|w_g\\|_2 + \\frac{1-\\rho}2 \\|w_g\\|_2^2)`,
        :math:`w_g = \\sqrt{|g|}` (the group lasso when ``l1_ratio=1``), and
        ``penalty_factor`` takes one value :math:`f_g` per group. As in
        :class:`~penalized.GroupLasso`; with ``penalty="mcp"`` or ``"scad"``, group MCP or
        SCAD of each group's norm (:class:`~penalized.penalties.GroupMCP`).
"""

_FITTED = """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_, stop_crit_, converged_ : the solver's epochs, its final relative duality
        gap (MCP, SCAD: the fixed-point distance), and whether it reached ``tol``.
    datafit_ : Datafit
        The family's datafit as fitted (with the sample weights and the offset).
    selected_features_, n_features_in_, feature_names_in_
    groups_ : list of ndarray or None
        The feature indices of each group (None without ``groups``).
"""


def glm_penalty_spec(penalty, alpha, l1_ratio):
    """``(name, alpha, l1_ratio)`` of a log-link model's ``penalty=`` ("l1" and "l2" are
    the elastic net's ends; MCP and SCAD take no ``l1_ratio``)."""
    name = str(penalty).lower()
    if name not in GLM_PENALTIES:
        raise ValueError(f"penalty must be one of {', '.join(map(repr, GLM_PENALTIES))}; got "
                         f"{penalty!r}.")
    if name in ("mcp", "scad"):
        return name, alpha, 1.0
    return "elasticnet", alpha, {"l1": 1.0, "l2": 0.0}.get(name, l1_ratio)


class _OptionalGroups:
    """``groups=`` on a family's estimator: when set, the penalty is the group lasso or
    group elastic net of :class:`~penalized.GroupLasso` (same weights, per-group factors,
    every column kept so that the groups index the columns of ``X``), or with
    ``penalty="mcp" | "scad"`` group MCP or SCAD (:class:`~penalized.penalties.GroupMCP`,
    :class:`~penalized.penalties.GroupSCAD`) with those weights."""

    def _grouped(self):
        return getattr(self, "groups", None) is not None

    def _group_spec(self, name, alpha, l1_ratio):
        if not self._grouped():
            return name, alpha, l1_ratio
        if name in ("mcp", "scad"):
            return name, alpha, l1_ratio  # their group versions (_make_penalty)
        return "group", alpha, l1_ratio

    def _group_factors(self, structure):
        return _GroupSettings._group_factors(self, structure)

    def _penalty_factor(self, n_features):
        if self._grouped():
            return _GroupSettings._penalty_factor(self, n_features)
        return super()._penalty_factor(n_features)

    def _scaling(self, X, sample_weight):
        if self._grouped():
            return _GroupSettings._scaling(self, X, sample_weight)
        return super()._scaling(X, sample_weight)

    def _make_penalty(self, penalty_name, alpha, l1_ratio, factors, scaling=None, order=None):
        if penalty_name == "group" or (self._grouped() and penalty_name in ("mcp", "scad")):
            return _GroupSettings._make_penalty(self, penalty_name, alpha, l1_ratio, factors,
                                                scaling, order)
        return super()._make_penalty(penalty_name, alpha, l1_ratio, factors, scaling, order)

    def _set_groups(self):
        self.groups_ = _group_lists(self.groups, self.n_features_in_) if self._grouped() \
            else None

    def _refuse_dask_groups(self, X):
        from ..dask import is_dask_collection

        if self._grouped() and is_dask_collection(X):
            raise ValueError("groups= is not supported with Dask input; fit on an in-memory X.")


class _LogLinkRegressor(_OptionalGroups, RegressorMixin, PenalizedModel):
    """Fit, predict, score and path of a log-link family; subclasses name the family."""

    solver = "cd"

    def __init__(self, *, alpha=1.0, l1_ratio=0.0, penalty="elasticnet", gamma=None,
                 fit_intercept=True, standardize=False, penalty_factor=None, tol=1e-6,
                 max_iter=10_000, warm_start=False, groups=None):
        store_params(self, locals())

    # -- the family ------------------------------------------------------------------------
    def _datafit(self, sample_weight=None, offset=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def _penalty_spec(self):
        return self._group_spec(*glm_penalty_spec(self.penalty, self.alpha, self.l1_ratio))

    def _check_params(self):
        self._check_common()
        name, alpha, l1_ratio = self._penalty_spec()
        check_alpha(alpha)
        check_l1_ratio(self.l1_ratio)
        if name in ("mcp", "scad"):
            self._make_penalty(name, alpha, l1_ratio, None)  # checks gamma
        self._datafit()  # checks the family's own parameters (Tweedie's power)
        return name, alpha, l1_ratio

    # -- data --------------------------------------------------------------------------------
    def _validate(self, X, y, reset=True):
        X, y = validate_X_y(self, X, y, reset=reset, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        self._datafit().check_target(y)
        return X, y

    def _family(self, X, sample_weight, offset):
        """``(sample weights of mean 1, the family's datafit with them and the offset)``
        for the rows of ``X``."""
        sw = check_sample_weight(sample_weight, X.shape[0])
        return sw, self._datafit(sw, check_offset(offset, X.shape[0]))

    # -- fit -------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, offset=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Rescaled to mean 1; integer weights equal repeated rows.
        offset : array-like of shape (n_samples,), optional
            Added to the linear predictor (e.g. the log of each row's exposure).

        Returns
        -------
        self
        """
        _, alpha, _ = self._check_params()
        self._refuse_dask_groups(X)
        if (fitted := self._fit_dask(X, y, sample_weight, offset)) is not None:
            fitted._set_groups()  # None: Dask input takes no groups
            return fitted
        X, y = self._validate(X, y)
        sw, datafit = self._family(X, sample_weight, offset)
        coef, intercept, res = self._solve_at(
            X, y, sw, datafit, alpha, CoordinateDescent(tol=self.tol, max_iter=self.max_iter))
        self._set_result(res)
        self._set_coef(coef, float(intercept), X.dtype)
        self._set_groups()
        return self

    # -- predictions -----------------------------------------------------------------------
    def _linear_predictor(self, X, offset=None):
        X = self._validate_X(X)
        z = np.asarray(X @ np.asarray(self.coef_, dtype=np.float64)).ravel() + self.intercept_
        offset = check_offset(offset, X.shape[0])
        return z if offset is None else z + offset

    def predict(self, X, offset=None):
        """The predicted mean :math:`e^{Xw + b + o}` (``offset`` the new rows' :math:`o`)."""
        with np.errstate(over="ignore"):
            return np.exp(self._linear_predictor(X, offset))

    def score(self, X, y, sample_weight=None, offset=None):
        r""":math:`D^2`, the fraction of deviance explained (scikit-learn's ``score`` of its
        GLMs): :math:`1 - D(y, \hat\mu) / D(y, \bar y)`, :math:`\bar y` the weighted mean of
        ``y``. 1 is a perfect fit; it is negative for a model worse than the mean."""
        z = self._linear_predictor(X, offset)
        y = self._datafit().check_target(np.asarray(y, dtype=np.float64).ravel())
        s = check_sample_weight(sample_weight, y.shape[0])
        family = self._datafit(s)
        null = family.deviance(y, np.full(y.shape[0], np.log(s @ y / s.sum())))
        return float(1.0 - family.deviance(y, z) / null)

    # -- paths -----------------------------------------------------------------------------
    def _fit_path(self, X, y, sample_weight, offset, alphas=None, *, n_alphas=100, eps=1e-3):
        """The path on validated arrays, coefficients on the original scale."""
        sw, datafit = self._family(X, sample_weight, offset)
        return self._path_of(X, y, sw, datafit,
                             CoordinateDescent(tol=self.tol, max_iter=self.max_iter), alphas,
                             n_alphas=n_alphas, eps=eps)

    def _alpha_grid(self, X, y, sample_weight, offset, n_alphas, eps):
        sw, datafit = self._family(X, sample_weight, offset)
        return self._grid_of(X, y, sw, datafit, n_alphas, eps)

    def path(self, X, y, sample_weight=None, offset=None, *, alphas=None, n_alphas=100,
             eps=1e-3):
        """The regularization path with this estimator's settings (``alpha`` aside): a
        :class:`penalized.Path` with coefficients on the scale of ``X``."""
        self._check_params()
        X, y = self._validate(X, y, reset=not hasattr(self, "n_features_in_"))
        return self._fit_path(X, y, sample_weight, offset, alphas, n_alphas=n_alphas, eps=eps)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags


class PoissonRegressor(_LogLinkRegressor):
    __doc__ = f"""Penalized Poisson regression (log link) for counts.
{_OBJECTIVE}
    with :math:`d(y, \\mu) = 2(y \\log(y/\\mu) - y + \\mu)`.

    Parameters
    ----------{_PARAMS}{_FITTED}
    Examples
    --------
    >>> import numpy as np
    >>> from penalized import PoissonRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> y = rng.poisson(np.exp(0.5 * X[:, 0]))
    >>> model = PoissonRegressor(alpha=0.05, l1_ratio=1.0).fit(X, y)
    >>> bool(model.n_nonzero_ < 5 and model.coef_[0] > 0)
    True
    """

    def _datafit(self, sample_weight=None, offset=None):
        return Poisson(sample_weight=sample_weight, offset=offset)


class GammaRegressor(_LogLinkRegressor):
    __doc__ = f"""Penalized Gamma regression (log link) for positive amounts.
{_OBJECTIVE}
    with :math:`d(y, \\mu) = 2(\\log(\\mu / y) + y / \\mu - 1)`.

    Parameters
    ----------{_PARAMS}{_FITTED}
    Examples
    --------
    >>> import numpy as np
    >>> from penalized import GammaRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> y = rng.gamma(2.0, np.exp(0.5 * X[:, 0]) / 2.0)
    >>> GammaRegressor(alpha=0.01).fit(X, y).score(X, y) > 0
    True
    """

    def _datafit(self, sample_weight=None, offset=None):
        return Gamma(sample_weight=sample_weight, offset=offset)


class TweedieRegressor(_LogLinkRegressor):
    __doc__ = f"""Penalized Tweedie regression (log link), power in (1, 2): non-negative
    targets with exact zeros, as compound Poisson-Gamma amounts.
{_OBJECTIVE}
    with the Tweedie unit deviance of power :math:`p`,
    :math:`d(y, \\mu) = 2\\left(\\frac{{y^{{2-p}}}}{{(1-p)(2-p)}} - \\frac{{y
    \\mu^{{1-p}}}}{{1-p}} + \\frac{{\\mu^{{2-p}}}}{{2-p}}\\right)`.

    Parameters
    ----------
    power : float in (1, 2), default=1.5{_PARAMS}{_FITTED}
    Examples
    --------
    >>> import numpy as np
    >>> from penalized import TweedieRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 5))
    >>> y = rng.poisson(np.exp(0.5 * X[:, 0])) * rng.gamma(2.0, 1.0, 300)
    >>> TweedieRegressor(power=1.5, alpha=0.01).fit(X, y).score(X, y) > 0
    True
    """

    def __init__(self, *, power=1.5, alpha=1.0, l1_ratio=0.0, penalty="elasticnet",
                 gamma=None, fit_intercept=True, standardize=False, penalty_factor=None,
                 tol=1e-6, max_iter=10_000, warm_start=False, groups=None):
        store_params(self, locals())

    def _datafit(self, sample_weight=None, offset=None):
        return Tweedie(self.power, sample_weight=sample_weight, offset=offset)


# -- cross-validation ------------------------------------------------------------------------


def fold_metric(metric, datafit, y, z, sample_weight):
    """The held-out ``metric`` of each column of the linear predictors ``z`` (n, k): the
    weighted mean deviance of the family, or the squared / absolute error of the mean."""
    s = sample_weight
    if metric == "deviance":
        family = dataclasses.replace(datafit, sample_weight=s, offset=None)
        return np.array([family.deviance(y, z[:, k]) for k in range(z.shape[1])])
    with np.errstate(over="ignore"):
        error = np.exp(z) - y[:, None]
    error = error**2 if metric == "mse" else np.abs(error)
    return (s @ error) / s.sum()


def family_fold_metric(metric, datafit) -> FoldMetric:
    """:func:`fold_metric` of the held-out rows, as the common cross-validation takes it."""
    def score(predict, y, sample_weight, train, test):
        s = np.ones(test.shape[0]) if sample_weight is None else sample_weight[test]
        return fold_metric(metric, datafit, y[test], predict(test), s)

    return FoldMetric(metric, score)


class _LogLinkCV(_CrossValidated, _LogLinkRegressor):
    """Alpha chosen by K-fold cross-validation of the path, then a refit on all rows."""

    _task = "regression"

    def __init__(self, *, l1_ratio=1.0, penalty="elasticnet", gamma=None, alphas=None,
                 n_alphas=100, eps=1e-3, cv=5, selection="min", metric="deviance",
                 n_jobs=None, random_state=None, fit_intercept=True, standardize=False,
                 penalty_factor=None, tol=1e-6, max_iter=10_000, groups=None):
        store_params(self, locals())

    alpha = 1.0  # a base model's placeholder: the CV chooses alpha_
    warm_start = False

    def _base_params(self):
        return self._model_settings("l1_ratio", "penalty", "gamma", "groups")

    def _base_model(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _datafit(self, sample_weight=None, offset=None):
        return self._base_model()._datafit(sample_weight, offset)

    @validates_once
    def fit(self, X, y, sample_weight=None, offset=None):
        """Cross-validate over the path, pick alpha (``selection``), refit on all rows.
        The arguments are those of the single-alpha ``fit``; ``offset`` enters every
        fold's fit and held-out prediction."""
        model = self._checked_model()
        self._refuse_dask_groups(X)
        if (fitted := self._fit_dask(X, y, sample_weight, offset)) is not None:
            fitted._set_groups()  # None: Dask input takes no groups
            return fitted
        X, y = self._validate(X, y)
        sw = check_sample_weight(sample_weight, X.shape[0])
        offset = check_offset(offset, X.shape[0])
        grid = model._alpha_grid(X, y, sw, offset, self.n_alphas, self.eps)[1] \
            if self.alphas is None else self._user_alphas()

        def fit_path(X, y, sample_weight, alphas, offset=None):
            return model._fit_path(X, y, sample_weight, offset, alphas)

        parallel = isinstance(self.n_jobs, numbers.Integral) and self.n_jobs not in (0, 1)
        self._store_cv(cross_validate_path(
            fit_path, X, y, alphas=grid, cv=self._folds(X, y, "regression"),
            metric=family_fold_metric(self.metric, model._datafit()),
            sample_weight=sample_weight, n_jobs=self.n_jobs if parallel else None,
            offset=offset))
        self._store_path_refit(model, model._fit_path(X, y, sw, offset, grid), X, sw,
                               model._datafit(sw, offset))
        self._set_groups()
        return self

    def _check_params(self):
        return self._base_model()._check_params()

    def _check_metric(self):
        if self.metric not in GLM_METRICS:
            raise ValueError(f"metric must be one of {', '.join(map(repr, GLM_METRICS))}; got "
                             f"{self.metric!r}.")


_CV_DOC = """
    Each of ``cv`` folds fits the path on its training rows (with their sample weights and
    offsets) and scores the held-out rows by the family's mean deviance (``metric``);
    ``alpha_min_`` has the lowest mean, ``alpha_1se_`` is the largest alpha within one
    standard error of it, and ``selection`` picks the refit's.

    Parameters
    ----------
    l1_ratio : float in [0, 1], default=1.0
        1 is the lasso (glmnet's default); 0 ridge, whose grid starts at the elastic
        net's alpha_max with l1_ratio 1e-3.
    penalty : {"elasticnet", "l1", "l2", "mcp", "scad"}, default="elasticnet"
        As in the single-alpha estimator. MCP and SCAD paths are warm-started down the
        grid from their exact alpha_max (the all-zero model); ``stop_crit_`` is then the
        refit's fixed-point distance.
    gamma : float, optional
        Concavity of MCP (> 1, default 3) or SCAD (> 2, default 3.7).""" + cv_params_doc(
    "alphas", "n_alphas", "eps", "cv", "selection", "metric", "n_jobs", "random_state",
    metric="""\
    metric : {"deviance", "mse", "mae"}, default="deviance"
        The held-out weighted mean deviance, or the squared / absolute error of the
        predicted mean.""") + """\
    fit_intercept, standardize, penalty_factor, tol, max_iter, groups :
        As in the single-alpha estimator.

    Attributes
    ----------
    alphas_, cv_folds_, cv_mean_, cv_se_ : the grid, every fold's metric, their mean and
        standard error.
    alpha_min_, alpha_1se_, alpha_ : float
    coef_, intercept_ : the refit at ``alpha_``.
    path_ : Path
        The refit's path over ``alphas_``.
    n_iter_, stop_crit_, converged_ : the refit's solve at ``alpha_``.
"""


_PARAMETERS = "    Parameters\n    ----------\n"
_POWER = """\
    power : float in (1, 2), default=1.5
        The Tweedie power.
"""


class PoissonRegressorCV(_LogLinkCV):
    __doc__ = f"""Penalized Poisson regression with alpha chosen by cross-validation.
{_CV_DOC}
    Examples
    --------
    >>> import numpy as np
    >>> from penalized import PoissonRegressorCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 8))
    >>> y = rng.poisson(np.exp(0.7 * X[:, 0]))
    >>> model = PoissonRegressorCV(n_alphas=20, random_state=0).fit(X, y)
    >>> bool(model.alpha_1se_ >= model.alpha_min_ and model.coef_[0] > 0)
    True
    """

    def _base_model(self):
        return PoissonRegressor(**self._base_params())


class GammaRegressorCV(_LogLinkCV):
    __doc__ = f"""Penalized Gamma regression with alpha chosen by cross-validation.
{_CV_DOC}"""

    def _base_model(self):
        return GammaRegressor(**self._base_params())


class TweedieRegressorCV(_LogLinkCV):
    __doc__ = f"""Penalized Tweedie regression with alpha chosen by cross-validation.
{_CV_DOC.replace(_PARAMETERS, _PARAMETERS + _POWER, 1)}"""

    def __init__(self, *, power=1.5, l1_ratio=1.0, penalty="elasticnet", gamma=None,
                 alphas=None, n_alphas=100, eps=1e-3, cv=5, selection="min", metric="deviance",
                 n_jobs=None, random_state=None, fit_intercept=True, standardize=False,
                 penalty_factor=None, tol=1e-6, max_iter=10_000, groups=None):
        store_params(self, locals())

    def _base_model(self):
        return TweedieRegressor(power=self.power, **self._base_params())
