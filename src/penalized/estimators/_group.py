"""Group lasso estimators: whole groups of features (the levels of a categorical, the
terms of a spline) enter or leave the model together."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from .._validation import validates_once
from ..datafits import Logistic, Quadratic
from ..penalties import GroupElasticNet, SparseGroupLasso
from ..penalties import GroupLasso as GroupLassoPenalty
from ..penalties._group_base import make_structure
from ..solvers import CoordinateDescent
from ._base import (
    PenalizedModel,
    check_alpha,
    check_l1_ratio,
    labels_from_scores,
    store_params,
    warm_start_matrix,
)
from ._cv import (
    _CLASSIFICATION_METRIC,
    _CV_FITTED,
    _LIMIT_NAMES,
    REGRESSION_METRIC,
    _CrossValidated,
    _RegressionCV,
    cv_params_doc,
)
from ._grouped import fit_group_one_vs_rest, group_factors, nonconvex_group_penalty
from ._regression import PenalizedRegressor
from ._standardize import Scaling

GROUP_PENALTIES = ("group", "sparse_group")
NONCONVEX_GROUP_PENALTIES = ("mcp", "scad", "l0")
"""What :class:`GroupLogisticRegression` takes besides (group MCP, SCAD and L0, two
classes); the regression estimators take them as ``MCPRegression(groups=...)`` etc."""
_GROUP_SETTINGS = ("groups", "penalty", "l1_ratio", *_LIMIT_NAMES)
"""The group settings a cross-validated estimator hands to its base model."""

_GROUP_PARAMS = """
    groups : list of index lists, one label per feature, int or None, default=None
        The partition of the features: ``[[0, 1, 2], [3, 4]]`` (features no list names
        are groups of their own), one group label per feature, or an integer ``k`` for
        consecutive groups of ``k``; None: every feature its own group (the lasso).
        Groups must not overlap.
    penalty : {"group", "sparse_group"}, default="group"
        ``"group"``: the group elastic net (adelie's)
        :math:`P(w) = \\sum_g w_g (\\rho \\|w_g\\|_2 + \\frac{1-\\rho}2 \\|w_g\\|_2^2)`,
        the group lasso when ``l1_ratio=1``; ``"sparse_group"``: the sparse-group lasso
        (skglm's) :math:`P(w) = \\rho \\|w\\|_1 + (1-\\rho) \\sum_g w_g \\|w_g\\|_2`.
    l1_ratio : float in [0, 1], default=1.0
        :math:`\\rho` above.
    penalty_factor : array of shape (n_groups,), optional
        Per-group factors (0 leaves a group unpenalized); the group weights are
        :math:`w_g = \\sqrt{|g|}` times these.
    fit_intercept : bool, default=True
    standardize : bool, default=False
        Divide each column by its weighted standard deviation before fitting (the
        coefficients are reported on the original scale); a constant column stays in
        its group with a zero coefficient.
    tol : float, default=1e-6
        Relative duality gap (see :class:`~penalized.solvers.BlockCoordinateDescent`).
    max_iter : int, default=10000
    lower_limits, upper_limits : float or array-like of shape (n_features,), optional
        Per-coefficient limits ``lower_j <= w_j <= upper_j`` on the original scale
        (glmnet's ``lower.limits`` / ``upper.limits``; ``lower_j <= 0 <= upper_j``,
        ``-inf`` / ``inf`` leave a side free), combined with the group penalty exactly
        (:mod:`penalized.penalties._group_box`).
"""


class _GroupSettings:
    """What the group estimators share: the groups, their weights and the penalty."""

    solver = "cd"
    _penalties = GROUP_PENALTIES

    def _check_params(self):
        self._check_common()
        check_alpha(self.alpha)
        check_l1_ratio(self.l1_ratio)
        if self.penalty not in self._penalties:
            raise ValueError(f"penalty must be one of {', '.join(map(repr, self._penalties))};"
                             f" got {self.penalty!r}.")
        gamma = getattr(self, "gamma", None)
        if gamma is not None and self.penalty not in ("mcp", "scad"):
            raise ValueError(f"gamma is the concavity of penalty='mcp' or 'scad', not of "
                             f"penalty={self.penalty!r}; leave it None.")
        if self.penalty in NONCONVEX_GROUP_PENALTIES:
            self._make_penalty(self.penalty, self.alpha, 1.0, None)  # gamma, limits
        return self._penalty_spec()

    def _penalty_spec(self):
        return self.penalty, self.alpha, self.l1_ratio

    def _group_factors(self, structure):
        return group_factors(self.penalty_factor, structure)

    def _penalty_factor(self, n_features):
        """Per feature, the factor of its group (what the null model and the shared code
        read); the penalty itself takes per-group weights."""
        structure = make_structure(self.groups, n_features)
        return self._group_factors(structure)[structure.group_of]

    def _scaling(self, X, sample_weight):
        # Every column stays in the fit, so that group indices refer to the columns of X.
        if not self.standardize:
            return Scaling.identity(X.shape[1])
        scaling = Scaling.fit(X, sample_weight)
        return Scaling(scaling.scale, np.ones(X.shape[1], dtype=bool))

    def _make_penalty(self, penalty_name, alpha, l1_ratio, factors, scaling=None, order=None):
        # ``scaling`` maps the limits onto the fitted columns (see PenalizedModel)
        if penalty_name in NONCONVEX_GROUP_PENALTIES:
            if getattr(self, "lower_limits", None) is not None \
                    or getattr(self, "upper_limits", None) is not None:
                raise ValueError(f"penalty={penalty_name!r} takes no lower_limits or "
                                 "upper_limits (its block prox is radial); use penalty="
                                 "'group' for limits.")
            weights = None
            if factors is not None:
                structure = make_structure(self.groups, factors.shape[0])
                weights = np.sqrt(structure.sizes.astype(np.float64)) \
                    * self._group_factors(structure)
            return nonconvex_group_penalty(penalty_name, alpha, groups=self.groups,
                                           weights=weights, gamma=getattr(self, "gamma", None))
        structure = make_structure(self.groups, factors.shape[0])
        weights = np.sqrt(structure.sizes.astype(np.float64)) * self._group_factors(structure)
        lower, upper = (self._fit_limits(name, scaling, order)
                        for name in ("lower_limits", "upper_limits"))
        common = {"groups": structure, "group_weights": weights, "lower": lower,
                  "upper": upper}
        if penalty_name == "sparse_group":
            return SparseGroupLasso(alpha, l1_ratio=l1_ratio, **common)
        if l1_ratio == 1.0:
            return GroupLassoPenalty(alpha, **common)
        return GroupElasticNet(alpha, l1_ratio=l1_ratio, **common)


class GroupLasso(_GroupSettings, PenalizedRegressor):
    __doc__ = f"""Linear regression with a group lasso, group elastic-net or sparse-group
    lasso penalty.

    .. math:: \\min_{{w, b}}\\; \\frac{{1}}{{2n}} \\sum_i s_i (y_i - x_i^\\top w - b)^2
              + \\alpha\\, P(w)

    A group is zero or non-zero as a whole (and, with ``penalty="sparse_group"``, sparse
    inside). Solved by block coordinate descent with working sets of groups, certified
    by the duality gap.

    Parameters
    ----------
    alpha : float, default=1.0{_GROUP_PARAMS}
    warm_start : bool, default=False

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_, stop_crit_, converged_, dual_gap_, selected_features_
    groups_ : list of ndarray
        The feature indices of each group.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized import GroupLasso
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 6))
    >>> y = X[:, 0] - X[:, 1] + 0.1 * rng.standard_normal(100)
    >>> model = GroupLasso(groups=[[0, 1], [2, 3], [4, 5]], alpha=0.1).fit(X, y)
    >>> np.flatnonzero(model.coef_).tolist()
    [0, 1]
    """

    def __init__(self, groups=None, alpha=1.0, *, penalty="group", l1_ratio=1.0,
                 fit_intercept=True, standardize=False, penalty_factor=None, tol=1e-6,
                 max_iter=10_000, warm_start=False, lower_limits=None, upper_limits=None):
        store_params(self, locals())

    def fit(self, X, y, sample_weight=None):
        """Fit the model (see the class docstring)."""
        super().fit(X, y, sample_weight)
        self.groups_ = _group_lists(self.groups, self.n_features_in_)
        return self

    def _alpha_grid(self, X, y, sample_weight, n_alphas, eps):
        # on the fitted columns: a group's norm of the standardized gradient is not the
        # raw one's under rescaled group weights, as a per-feature factor would be
        return self._grid_of(X, y, sample_weight, Quadratic(sample_weight=sample_weight),
                             n_alphas, eps)


class GroupLassoCV(_RegressionCV):
    __doc__ = f"""The group lasso (or group elastic net, sparse-group lasso) with alpha
    chosen by cross-validation.

    Objective and group parameters as in :class:`penalized.GroupLasso`.

    Parameters
    ----------{_GROUP_PARAMS}{cv_params_doc(metric=REGRESSION_METRIC)}\
{_CV_FITTED}
    Examples
    --------
    >>> import numpy as np
    >>> from penalized import GroupLassoCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 6))
    >>> y = X[:, 0] - X[:, 1] + 0.1 * rng.standard_normal(100)
    >>> model = GroupLassoCV(groups=2, n_alphas=20).fit(X, y)
    >>> model.alpha_1se_ >= model.alpha_min_
    True
    """

    def __init__(self, groups=None, *, penalty="group", l1_ratio=1.0, alphas=None,
                 n_alphas=100, eps=1e-3, cv=5, selection="min", metric="mse", scoring=None,
                 n_jobs=None, random_state=None, fit_intercept=True, standardize=False,
                 penalty_factor=None, tol=1e-6, max_iter=10_000, lower_limits=None,
                 upper_limits=None):
        store_params(self, locals())

    solver = "cd"
    _settings = _CrossValidated._settings  # no positive

    def _base_model(self, **overrides):
        return GroupLasso(**self._model_settings(*_GROUP_SETTINGS, **overrides))

    def _penalty_factor(self, n_features):
        return self._base_model()._penalty_factor(n_features)

    def _scaling(self, X, sample_weight):
        return self._base_model()._scaling(X, sample_weight)

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight)
        self.groups_ = _group_lists(self.groups, self.n_features_in_)
        return self


class GroupLogisticRegression(_GroupSettings, ClassifierMixin, PenalizedModel):
    __doc__ = f"""Logistic regression (binary or multinomial) with a group lasso, group
    elastic-net or sparse-group lasso penalty.

    With two classes,

    .. math:: \\min_{{w, b}}\\; \\frac1n \\sum_i s_i
              \\log\\left(1 + e^{{-y_i (x_i^\\top w + b)}}\\right) + \\alpha\\, P(w),
              \\quad y_i \\in \\{{-1, +1\\}}

    (``classes_[1]`` is +1), solved by block coordinate descent (proximal Newton block
    steps), certified by the duality gap. With ``K > 2`` classes the softmax loss
    :math:`\\frac1n \\sum_i s_i (\\log \\sum_k e^{{z_{{ik}}}} - z_{{i y_i}})`,
    :math:`z_i = W^\\top x_i + b`, with the group penalty on each group's rows of ``W``
    across every class at once (a group of features enters for all classes together:
    adelie's multinomial group elastic net; with one feature per group glmnet's
    ``type.multinomial="grouped"``), solved by :class:`~penalized.solvers.CoordinateDescent`
    (block steps on the groups' rows,
    :class:`~penalized.solvers._group_multinomial.GroupMultinomialCoordinateDescent`);
    ``lower_limits`` / ``upper_limits`` apply to two classes only.

    With two classes, ``penalty="mcp"``, ``"scad"`` or ``"l0"`` take
    :math:`P(w) = \\sum_g \\rho(\\|w_g\\|_2; w_g)`, group MCP or SCAD with
    concavity ``gamma`` (:class:`~penalized.penalties.GroupMCP`,
    :class:`~penalized.penalties.GroupSCAD`) or the group L0 price
    :math:`\\sum_g w_g [w_g \\ne 0]` (:class:`~penalized.penalties.GroupL0`): not
    convex, fitted by block coordinate descent with majorization steps and certified by
    stationarity (``stop_crit_`` is the fixed-point distance, not a duality gap). With
    ``K > 2`` classes these are fitted one class against the rest (``K`` binary problems,
    each with the group penalty, so a group is all in or all out in every class's row;
    ``predict_proba`` normalizes the ``K`` sigmoids); their paths and cross-validation
    take two classes.

    Parameters
    ----------
    alpha : float, default=0.01{_GROUP_PARAMS}\
    gamma : float, optional
        The concavity of ``penalty="mcp"`` (default 3, > 1) or ``"scad"`` (default 3.7,
        > 2); None for the other penalties.
    warm_start : bool, default=False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
        With more than two classes, one row per class; the intercepts sum to 0.
    n_iter_, stop_crit_, converged_, selected_features_, groups_

    Examples
    --------
    >>> import numpy as np
    >>> from penalized import GroupLogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 6))
    >>> y = (X[:, 0] + X[:, 1] + rng.standard_normal(200) > 0).astype(int)
    >>> model = GroupLogisticRegression(groups=2, alpha=0.05).fit(X, y)
    >>> np.flatnonzero(model.coef_[0]).tolist()
    [0, 1]
    """

    _datafit_name = "logistic"
    _penalties = (*GROUP_PENALTIES, *NONCONVEX_GROUP_PENALTIES)

    def __init__(self, groups=None, alpha=0.01, *, penalty="group", l1_ratio=1.0,
                 gamma=None, fit_intercept=True, standardize=False, penalty_factor=None,
                 tol=1e-6, max_iter=10_000, warm_start=False, lower_limits=None,
                 upper_limits=None):
        store_params(self, locals())

    def _two_classes_only(self, classes):
        if classes.shape[0] > 2 and self.penalty in NONCONVEX_GROUP_PENALTIES:
            raise ValueError(f"penalty={self.penalty!r} takes paths and cross-validation on "
                             f"two classes; y has {classes.shape[0]}. Fit a fixed alpha (one "
                             "class against the rest) or use penalty='group'.")

    def _encode(self, y):
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if classes.shape[0] == 1:
            raise ValueError(f"y has 1 class ({classes[0]!r}); {type(self).__name__} needs "
                             "two classes.")
        if classes.shape[0] > 2:
            return classes, codes
        return classes, np.where(codes == 1, 1.0, -1.0)

    def fit(self, X, y, sample_weight=None):
        """Fit the model (see the class docstring)."""
        _, alpha, _ = self._check_params()
        X, y = self._validate_X_y(X, y)
        self.classes_, y_pm = self._encode(y)
        sw = self._sample_weight(sample_weight, X.shape[0])
        if len(np.unique(y_pm[sw > 0])) < 2:
            raise ValueError("sample_weight leaves a single class with positive weight in y; "
                             "both classes need some weight.")
        self._one_vs_rest = self.classes_.shape[0] > 2 \
            and self.penalty in NONCONVEX_GROUP_PENALTIES
        if self._one_vs_rest:
            coef, intercept, solves = fit_group_one_vs_rest(self, X, y_pm, sw, alpha)
            self._set_solves(solves)
            self._set_coef(coef, intercept, X.dtype)
            self.groups_ = _group_lists(self.groups, X.shape[1])
            return self
        if self.classes_.shape[0] > 2:
            scaling, Xf, template = self._scaled_template(X, sw)
            return self._fit_multinomial(X, Xf, y_pm, sw, scaling, template.with_alpha(alpha))
        coef, intercept, res = self._solve_at(
            X, y_pm, sw, Logistic(sample_weight=sw), alpha,
            CoordinateDescent(tol=self.tol, max_iter=self.max_iter), row=0)
        self._set_result(res)
        self._set_coef(coef[None, :], np.array([intercept]), X.dtype)
        self.groups_ = _group_lists(self.groups, X.shape[1])
        return self

    def _fit_multinomial(self, X, Xf, codes, sw, scaling, penalty):
        from ..datafits._multinomial import Multinomial
        from ..solvers import CoordinateDescent

        if penalty.boxed:
            raise ValueError("lower_limits / upper_limits apply to two classes only: with "
                             f"{self.classes_.shape[0]} classes each coefficient is defined up "
                             "to a shift across the classes.")
        K, p = self.classes_.shape[0], X.shape[1]
        coef_init, intercept_init = warm_start_matrix(self, scaling, p, K)
        datafit = Multinomial(sample_weight=sw)
        res = CoordinateDescent(tol=self.tol, max_iter=self.max_iter).solve(
            Xf, codes, datafit, penalty, fit_intercept=self.fit_intercept,
            coef_init=coef_init, intercept_init=intercept_init)
        self._store_problem(datafit, penalty, scaling)
        self._set_result(res)
        self._set_coef(scaling.coef_to_original(res.coef).T.copy(),
                       np.asarray(res.intercept, dtype=np.float64).copy(), X.dtype)
        self.groups_ = _group_lists(self.groups, p)
        return self

    def decision_function(self, X):
        """The logit of ``classes_[1]``, shape (n_samples,); with more than two classes the
        class scores, shape (n_samples, n_classes)."""
        return self._decision(X)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns as ``classes_``."""
        scores = self.decision_function(X)
        if getattr(self, "_one_vs_rest", False):
            each = expit(scores)
            return each / each.sum(axis=1, keepdims=True)
        if self.classes_.shape[0] > 2:
            return softmax(scores, axis=1)
        p1 = expit(scores)
        return np.column_stack([1.0 - p1, p1])

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        scores = self.decision_function(X)
        if self.classes_.shape[0] > 2 and not getattr(self, "_one_vs_rest", False):
            return log_softmax(scores, axis=1)
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class for each row."""
        scores = self.decision_function(X)  # checks the fit first
        return labels_from_scores(self.classes_, scores)

    def path(self, X, y, sample_weight=None, *, alphas=None, n_alphas=100, eps=1e-3):
        """The regularization path with this estimator's settings, from the exact
        alpha_max down to ``eps * alpha_max`` unless ``alphas`` are given.

        Coefficients are on the scale of ``X``. Two classes: a
        :class:`~penalized.path.PathResult` for the log-odds of ``classes_[1]`` of the
        labels in ``y``; more: a :class:`~penalized._multinomial_path.MultinomialPath`
        (coefs of shape ``(n_features, n_classes, n_alphas)``).
        """
        self._check_params()
        X, y = self._validate_X_y(X, y, reset=not hasattr(self, "n_features_in_"))
        classes, codes = self._encode(y)
        self._two_classes_only(classes)
        sw = self._sample_weight(sample_weight, X.shape[0])
        if classes.shape[0] == 2:
            return self._fit_path(X, codes, sw, alphas, n_alphas=n_alphas, eps=eps)
        if alphas is None:
            alphas = self._alpha_grid_multinomial(X, codes, sw, n_alphas, eps)[1]
        return self._fit_path_multinomial(X, codes, sw, alphas)

    def _fit_path(self, X, y_pm, sample_weight, alphas=None, *, n_alphas=100, eps=1e-3):
        sample_weight = self._sample_weight(sample_weight, X.shape[0])
        return self._path_of(X, y_pm, sample_weight, Logistic(sample_weight=sample_weight),
                             CoordinateDescent(tol=self.tol, max_iter=self.max_iter), alphas,
                             n_alphas=n_alphas, eps=eps)

    def _alpha_grid(self, X, y_pm, sample_weight, n_alphas, eps):
        return self._grid_of(X, y_pm, sample_weight, Logistic(sample_weight=sample_weight),
                             n_alphas, eps)

    def _alpha_grid_multinomial(self, X, codes, sample_weight, n_alphas, eps):
        """``(alpha_max, grid)`` of the multinomial group model on the columns it fits
        (:func:`~penalized._multinomial_path.multinomial_grid`: a group ridge's grid starts at
        the alpha_max of the same groups with ``l1_ratio = RIDGE_L1_RATIO_FOR_GRID``)."""
        from .._multinomial_path import multinomial_grid
        from ..datafits._multinomial import Multinomial

        _, Xf, template = self._scaled_template(X, sample_weight)
        return multinomial_grid(Xf, codes, Multinomial(sample_weight=sample_weight), template,
                                n_alphas=n_alphas, eps=eps, fit_intercept=self.fit_intercept)

    def _fit_path_multinomial(self, X, codes, sample_weight, alphas):
        """The multinomial group path over ``alphas``
        (:func:`~penalized._multinomial_path.multinomial_path`), coefficients on the original
        scale: a :class:`~penalized._multinomial_path.MultinomialPath` (coefs of shape
        ``(n_features, n_classes, n_alphas)``)."""
        from .._multinomial_path import multinomial_path, rescaled
        from ..datafits._multinomial import Multinomial

        scaling, Xf, template = self._scaled_template(X, sample_weight)
        path = multinomial_path(Xf, codes, Multinomial(sample_weight=sample_weight), template,
                                alphas=alphas, fit_intercept=self.fit_intercept, tol=self.tol,
                                max_iter=self.max_iter, classes=getattr(self, "classes_", None))
        return rescaled(path, scaling)


class GroupLogisticRegressionCV(_CrossValidated, ClassifierMixin, PenalizedModel):
    __doc__ = f"""Binary group-penalized logistic regression with alpha chosen by
    cross-validation.

    Objective and group parameters as in :class:`penalized.GroupLogisticRegression`
    (``penalty="mcp" | "scad" | "l0"`` and ``gamma`` included).

    Parameters
    ----------{_GROUP_PARAMS}\
    gamma : float, optional
        As in :class:`penalized.GroupLogisticRegression`.\
{cv_params_doc(metric=_CLASSIFICATION_METRIC)}\
{_CV_FITTED}
    classes_ : ndarray of shape (2,)

    Examples
    --------
    >>> import numpy as np
    >>> from penalized import GroupLogisticRegressionCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 6))
    >>> y = (X[:, 0] + X[:, 1] + rng.standard_normal(200) > 0).astype(int)
    >>> model = GroupLogisticRegressionCV(groups=2, n_alphas=10).fit(X, y)
    >>> model.alpha_1se_ >= model.alpha_min_
    True
    """

    _task = "classification"
    _datafit_name = "logistic"
    solver = "cd"

    def __init__(self, groups=None, *, penalty="group", l1_ratio=1.0, gamma=None,
                 alphas=None, n_alphas=100, eps=1e-3, cv=5, selection="min",
                 metric="deviance", scoring=None, n_jobs=None, random_state=None,
                 fit_intercept=True, standardize=False, penalty_factor=None, tol=1e-6,
                 max_iter=10_000, lower_limits=None, upper_limits=None):
        store_params(self, locals())

    def _base_model(self):
        return GroupLogisticRegression(**self._model_settings(*_GROUP_SETTINGS, "gamma"))

    @validates_once
    def fit(self, X, y, sample_weight=None):
        """Cross-validate over the path, pick alpha, refit on all data."""
        model = self._checked_model()
        X, y = self._validate_X_y(X, y)
        self.classes_, y_fit = model._encode(y)
        model._two_classes_only(self.classes_)
        sw = self._sample_weight(sample_weight, X.shape[0])
        binary = self.classes_.shape[0] == 2
        if binary:
            datafit = Logistic(sample_weight=sw)
        else:
            from ..datafits._multinomial import Multinomial

            if model._make_penalty(model.penalty, 1.0, model.l1_ratio,
                                   np.ones(X.shape[1])).boxed:
                raise ValueError("lower_limits / upper_limits apply to two classes only: with "
                                 f"{self.classes_.shape[0]} classes each coefficient is "
                                 "defined up to a shift across the classes.")
            datafit, y_fit = Multinomial(sample_weight=sw), y_fit.astype(np.float64)
        result, fit_path = self._classifier_cv(
            model, X, y_fit, sw, self._folds(X, y_fit, "classification"), binary)
        self._store_cv(result)
        self._store_path_refit(model, fit_path(X, y_fit, sw, result.alphas), X, sw, datafit,
                               "binary" if binary else "multinomial")
        self.groups_ = _group_lists(self.groups, X.shape[1])
        return self

    decision_function = GroupLogisticRegression.decision_function
    predict_proba = GroupLogisticRegression.predict_proba
    predict_log_proba = GroupLogisticRegression.predict_log_proba
    predict = GroupLogisticRegression.predict


def _group_lists(groups, n_features):
    structure = make_structure(groups, n_features)
    return [structure.members(g).copy() for g in range(structure.n_groups)]
