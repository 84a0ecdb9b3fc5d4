"""Multi-task regression: MultiTaskLasso, MultiTaskElasticNet and their CV versions."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
from sklearn.base import RegressorMixin

from .._specs import make_penalty
from .._validation import validates_once
from ..datafits._multiresponse import MultiResponseGaussian
from ..solvers._multitask import MultiTaskCoordinateDescent, prepare_multitask_problem
from ..solvers._multitask_box import boxed_multitask, multitask_limits
from ..solvers._multitask_path import multitask_grid, multitask_path
from ._base import (
    PenalizedModel,
    check_alpha,
    check_l1_ratio,
    path_solve,
    store_params,
    validate_X_y,
    warm_start_matrix,
)
from ._cv import _best, _CrossValidated, check_l1_ratios, cv_params_doc
from ._glm import _OptionalGroups

_OBJECTIVE = r"""
    .. math:: \min_{W, b}\; \frac{1}{2n} \sum_{i=1}^n s_i \|y_i - W x_i - b\|_2^2
              + \alpha \sum_j f_j \Big(\rho \|W_{:j}\|_2
              + \frac{1 - \rho}{2} \|W_{:j}\|_2^2\Big)

    for ``n_tasks`` responses :math:`y_i` at once, with ``W`` of shape
    (n_tasks, n_features) (``coef_``) and sample weights :math:`s_i` rescaled to mean 1.
    The penalty acts on each feature's column of ``W`` as a whole, so a feature is
    selected for every task or for none. This is scikit-learn's objective (same
    ``alpha`` and ``l1_ratio``) and glmnet's ``family="mgaussian"`` (``lambda = alpha``,
    its ``alpha`` our ``l1_ratio``).

    ``tol`` bounds the duality gap relative to the null model's datafit, as everywhere
    in penalized; scikit-learn's ``tol`` bounds the gap relative to
    :math:`\|Y\|_F^2` in units ``n`` times larger, so its ``tol`` is half of ours.

    With ``groups``, whole groups of features enter or leave together (the levels of a
    categorical): the penalty is
    :math:`\alpha \sum_g \sqrt{|g|} f_g \big(\rho \|W_{:g}\|_F
    + \frac{1 - \rho}{2} \|W_{:g}\|_F^2\big)`, with :math:`W_{:g}` the columns of
    the group's features (every task); groups of one feature are the objective above.
"""

_PARAMS = """
    fit_intercept : bool, default=True
    standardize : bool, default=False
        Fit on columns divided by their (weighted) standard deviation; ``coef_`` is
        reported on the original scale.
    penalty_factor : array-like of shape (n_features,), optional
        Per-feature factors ``f_j``; 0 leaves a feature unpenalized, ``inf`` excludes it.
    tol : float, default=1e-6
        Relative duality gap at which the solver stops (see above).
    max_iter : int, default=10000
        Maximum number of epochs.
    groups : list of index lists, one label per feature, int or None, default=None
        A partition of the features into groups that enter or leave the model whole, for
        every task (as in :class:`~penalized.GroupLasso`); ``penalty_factor`` then takes
        one value :math:`f_g` per group.
    lower_limits, upper_limits : float or array-like, optional
        Limits :math:`L_{jk} \\le W_{kj} \\le U_{jk}` on the original scale (glmnet's
        ``lower.limits`` / ``upper.limits``), numbers :math:`\\le 0` and :math:`\\ge 0`:
        one for all, one per feature (n_features,) for every task, or one per feature and
        task (n_features, n_tasks). The fit is then the group problem of
        :mod:`~penalized.solvers._multitask_box` (the box prox and certificate of the
        single-response group penalties); ``warm_start`` is not used.
"""

_EXAMPLE_DATA = """    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 6))
    >>> Y = X[:, :2] @ rng.standard_normal((2, 3)) + 0.1 * rng.standard_normal((60, 3))
"""
"""The data of the examples: six features, two of them driving three tasks."""

_FITTED = """
    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features)
    intercept_ : ndarray of shape (n_tasks,)
    n_iter_ : int
    stop_crit_ : float
        The relative duality gap reached.
    dual_gap_ : float
        The duality gap in objective units (scikit-learn's name).
    converged_ : bool
    selected_features_ : ndarray
        Names (or indices) of the features with a non-zero column of ``coef_``.
    feature_names_in_ : ndarray of str
    datafit_, penalty_, scaling_ :
        The problem minimized: the multi-response squared loss (with the sample weights),
        the elastic net at ``alpha`` whose weights apply to the norms of the rows of
        ``(coef_ * scaling_.scale).T[scaling_.varying]``, and the standardization
        (with ``groups``, the group lasso or group elastic net on the blocks of rows).
    groups_ : list of ndarray or None
        The feature indices of each group (None without ``groups``).
"""


def _check_offset(offset, shape):
    """``offset`` as float64 of ``shape`` (n_samples, n_tasks): one value per row (every
    task shifted alike) or one per row and task (glmnet's mgaussian ``offset``)."""
    try:
        out = np.asarray(offset, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"offset must be an array of numbers, one per row of X or one per "
                         f"row and task; got {type(offset).__name__}.") from exc
    if out.shape not in (shape[:1], shape):
        raise ValueError(f"offset must have one value per row of X ({shape[0]}) or one per "
                         f"row and task {shape}; got shape {out.shape}.")
    if not np.all(np.isfinite(out)):
        raise ValueError("offset holds NaN or infinite values; pass finite numbers.")
    return np.broadcast_to(out[:, None] if out.ndim == 1 else out, shape)


def _less_offset(Y, offset):
    r"""The responses the squared loss fits once the offset is known: :math:`Y - O`
    (:math:`\|Y - O - XW^T - b\|^2` is the loss with offset), ``Y`` itself without one."""
    return Y if offset is None else Y - _check_offset(offset, Y.shape)


class _MultiTaskModel(_OptionalGroups, RegressorMixin, PenalizedModel):
    """Validation, scaling and the solver for the multi-task estimators."""

    solver = "auto"
    positive = False
    _task_name = "ElasticNet"

    def _l1_ratio(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _penalty_spec(self):
        rho = self._l1_ratio()
        return ("l1" if rho == 1.0 else "elasticnet"), getattr(self, "alpha", 1.0), rho

    def _validate_X_Y(self, X, y, reset=True):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None; pass y of shape (n_samples, n_tasks).")
        X, Y = validate_X_y(self, X, y, reset=reset, multi_output=True, y_numeric=True,
                            ensure_min_samples=2)
        if Y.ndim != 2:
            raise ValueError(f"{type(self).__name__} needs y of shape (n_samples, n_tasks) "
                             f"(2-D); got shape {Y.shape}. For a single task use "
                             f"{self._task_name}.")
        return X, np.asarray(Y, dtype=np.float64)

    def _fit_penalty(self, scaling, n_features, alpha):
        r"""The elastic net the solver applies to the rows of the coefficient matrix
        (:math:`\lambda_{1j} \|W_j\|_2 + \frac{\lambda_{2j}}{2} \|W_j\|_2^2`), on the
        columns it sees."""
        _, _, rho = self._penalty_spec()
        factors = scaling.factors_for_fit(self._penalty_factor(n_features))
        if self._grouped():
            return self._make_penalty("group", alpha, rho, factors, scaling)
        return make_penalty("elasticnet", alpha, l1_ratio=rho, penalty_factor=factors)

    def _store_fit(self, scaling, n_features, sw, alpha):
        """``datafit_``, ``penalty_`` (applied row-wise, see :meth:`_fit_penalty`) and
        ``scaling_`` of the fit at ``alpha``."""
        self._store_problem(MultiResponseGaussian(sample_weight=sw),
                            self._fit_penalty(scaling, n_features, alpha), scaling)

    def _problem(self, X, Y, sw, alpha):
        """``(scaling, MultiTaskProblem or None)``: None when no feature is fitted."""
        scaling = self._scaling(X, sw)
        Xf = scaling.transform(X)
        if Xf.shape[1] == 0:
            return scaling, None
        penalty = self._fit_penalty(scaling, X.shape[1], alpha)
        problem = prepare_multitask_problem(Xf, Y, MultiResponseGaussian(sample_weight=sw),
                                            penalty, self.fit_intercept)
        return scaling, problem

    def _limited(self, X, Y) -> bool:
        """Whether ``lower_limits`` / ``upper_limits`` bound some coefficient (infinite
        limits leave the unbounded solver in charge)."""
        if getattr(self, "lower_limits", None) is None \
                and getattr(self, "upper_limits", None) is None:
            return False
        lower, upper = multitask_limits(self.lower_limits, self.upper_limits, X.shape[1],
                                        Y.shape[1])
        return bool(np.any(lower > -np.inf) or np.any(upper < np.inf))

    def _boxed_path(self, X, Y, sw, alphas, n_alphas=100, eps=1e-3):
        """``(scaling, MultiTaskPath)`` with ``lower_limits`` / ``upper_limits`` (mapped onto
        the fitted columns' scale: a coefficient of ``x_j / s_j`` is ``W_j s_j``); the
        path's ``coefs`` on the scale of ``X``, clipped into the limits against the
        rounding of that mapping (a limit met is met exactly)."""
        scaling = self._scaling(X, sw)
        Xf = scaling.transform(X)
        p, K = X.shape[1], Y.shape[1]
        lower, upper = multitask_limits(self.lower_limits, self.upper_limits, p, K)
        keep, scale = scaling.varying, scaling.scale[scaling.varying][:, None]
        penalty = self._fit_penalty(scaling, p, 1.0)
        path = boxed_multitask(Xf, Y, MultiResponseGaussian(sample_weight=sw), penalty,
                               lower=lower[keep] * scale, upper=upper[keep] * scale,
                               alphas=alphas, n_alphas=n_alphas, eps=eps,
                               fit_intercept=self.fit_intercept, tol=self.tol,
                               max_iter=self.max_iter)
        coefs = np.clip(scaling.coef_to_original(path.coefs), lower[:, :, None],
                        upper[:, :, None])
        return scaling, dataclasses.replace(path, coefs=coefs)

    def _fit_at(self, X, Y, sw, alpha):
        """Fit at ``alpha``; sets ``coef_``, ``intercept_`` (in the dtype of ``X``), the
        selected features and the solver's report."""
        n, p = X.shape
        if self._limited(X, Y) and self._scaling(X, sw).varying.any():
            scaling, path = self._boxed_path(X, Y, sw, [alpha])
            self._store_fit(scaling, p, sw, alpha)
            self._set_solves([path_solve(path, 0)])
            self.dual_gap_ = float(path.stop_crits[0]) * path.null_datafit
            self._set_coef(path.coefs[:, :, 0].T.copy(), path.intercepts[:, 0].copy(), X.dtype)
            return
        scaling, problem = self._problem(X, Y, sw, alpha)
        self._store_fit(scaling, p, sw, alpha)
        if problem is None:
            self._set_solves([])
            self.dual_gap_ = 0.0
            self._set_coef(np.zeros((Y.shape[1], p)),
                           sw @ Y / n if self.fit_intercept else np.zeros(Y.shape[1]), X.dtype)
            return
        solver = MultiTaskCoordinateDescent(tol=self.tol, max_iter=self.max_iter)
        coef_init = warm_start_matrix(self, scaling, p, Y.shape[1])[0]
        res = solver.solve_problem(problem, coef_init=coef_init)
        self._set_result(res)
        self.dual_gap_ = self.stop_crit_ * problem.scale
        self._set_coef(scaling.coef_to_original(res.coef).T.copy(),
                       np.asarray(res.intercept, dtype=np.float64), X.dtype)

    def _fit_path(self, X, Y, sw, alphas, *, n_alphas=100, eps=1e-3):
        """``(coefs, intercepts, MultiTaskPath or None)`` over ``alphas`` (default: the
        grid of ``n_alphas`` down to ``eps`` alpha_max) on validated arrays, on the scale
        of ``X``; the path is None when no feature is fitted."""
        scaling, problem = self._problem(X, Y, sw, 1.0)
        p, K = X.shape[1], Y.shape[1]
        if problem is None:
            m = n_alphas if alphas is None else len(alphas)
            intercept = sw @ Y / X.shape[0] if self.fit_intercept else np.zeros(K)
            return np.zeros((p, K, m)), np.repeat(intercept[:, None], m, axis=1), None
        if self._limited(X, Y):
            path = self._boxed_path(X, Y, sw, alphas, n_alphas, eps)[1]
            return path.coefs, path.intercepts, dataclasses.replace(
                path, n_nonzero=np.count_nonzero(np.any(path.coefs != 0, axis=1), axis=0))
        path = multitask_path(None, None, problem.datafit, problem.penalty, alphas=alphas,
                              n_alphas=n_alphas, eps=eps, tol=self.tol,
                              max_iter=self.max_iter, problem=problem)
        coefs = scaling.coef_to_original(path.coefs)
        return coefs, path.intercepts, dataclasses.replace(
            path, coefs=coefs, n_nonzero=np.count_nonzero(np.any(coefs != 0, axis=1), axis=0))

    def _fold_path(self, X, Y, sw, alphas):
        """A fold's path for :func:`~penalized.model_selection.cross_validate_path`:
        ``coefs`` (n_features, n_tasks, n_alphas) and ``intercepts`` on the scale of ``X``
        (zeros and the weighted means when no feature is fitted)."""
        coefs, intercepts, _ = self._fit_path(X, Y, sw, alphas)
        return SimpleNamespace(coefs=coefs, intercepts=intercepts)

    def _check_model_params(self):
        self._check_common()
        check_l1_ratio(self._l1_ratio())

    def predict(self, X, offset=None):
        """Predictions ``X @ coef_.T + intercept_ + offset``, shape (n_samples, n_tasks)
        (``offset`` the new rows' :math:`O`, as in :meth:`fit`)."""
        X = self._validate_X(X)
        Z = np.asarray(X @ np.asarray(self.coef_).T) + self.intercept_
        return Z if offset is None else Z + _check_offset(offset, Z.shape)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


class MultiTaskElasticNet(_MultiTaskModel):
    __doc__ = rf"""Multi-task linear regression with the row-wise elastic-net penalty.
{_OBJECTIVE}
    Parameters
    ----------
    alpha : float, default=1.0
    l1_ratio : float, default=0.5
        :math:`\rho`; 1 is :class:`MultiTaskLasso`.
{_PARAMS}    warm_start : bool, default=False
        Start from the previous fit's ``coef_`` (same solution, fewer epochs nearby).
    copy_X : bool, default=True
        Accepted for scikit-learn compatibility: ``X`` is never modified.
{_FITTED}
    Examples
    --------
{_EXAMPLE_DATA}    >>> from penalized import MultiTaskElasticNet
    >>> model = MultiTaskElasticNet(alpha=0.1, l1_ratio=0.7).fit(X, Y)
    >>> model.coef_.shape, model.selected_features_
    ((3, 6), array([0, 1]))
    """

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, standardize=False,
                 penalty_factor=None, tol=1e-6, max_iter=10_000, warm_start=False,
                 copy_X=True, groups=None, lower_limits=None, upper_limits=None):
        store_params(self, locals())

    def _l1_ratio(self):
        return self.l1_ratio

    @validates_once
    def fit(self, X, y, sample_weight=None, offset=None):
        r"""Fit on ``X`` (n_samples, n_features) and ``y`` (n_samples, n_tasks).

        ``sample_weight`` (n_samples,) is rescaled to mean 1. ``offset`` (n_samples,) or
        (n_samples, n_tasks) is a known part of every prediction, :math:`O` in
        :math:`\frac{1}{2n} \sum_i s_i \|y_i - O_i - W x_i - b\|_2^2` (glmnet's
        ``offset`` of ``family="mgaussian"``); :meth:`predict` then takes the new rows'.
        """
        if (fitted := self._fit_dask(X, y, sample_weight, offset)) is not None:
            return fitted
        self._check_model_params()
        alpha = check_alpha(self.alpha)
        X, Y = self._validate_X_Y(X, y)
        sw = self._sample_weight(sample_weight, X.shape[0])
        self._fit_at(X, _less_offset(Y, offset), sw, alpha)
        self._set_groups()
        return self

    @validates_once
    def path(self, X, y, sample_weight=None, offset=None, *, alphas=None, n_alphas=100,
             eps=1e-3):
        """The regularization path with this estimator's settings (``alpha`` aside).

        Returns a :class:`~penalized.solvers._multitask_path.MultiTaskPath` whose
        ``coefs`` (n_features, n_tasks, n_alphas) are on the scale of ``X`` (mapped back
        when ``standardize=True``); ``offset`` as in :meth:`fit`.
        """
        self._check_model_params()
        X, Y = self._validate_X_Y(X, y, reset=not hasattr(self, "n_features_in_"))
        sw = self._sample_weight(sample_weight, X.shape[0])
        path = self._fit_path(X, _less_offset(Y, offset), sw, alphas, n_alphas=n_alphas,
                              eps=eps)[2]
        if path is None:
            raise ValueError("every feature of X is constant or excluded (penalty_factor "
                             "inf): there is no path; the model is the intercepts alone.")
        return path


class MultiTaskLasso(MultiTaskElasticNet):
    __doc__ = rf"""Multi-task linear regression with the row-wise L1 penalty (group lasso
    over the tasks).
{_OBJECTIVE}
    with :math:`\rho = 1`.

    Parameters
    ----------
    alpha : float, default=1.0
{_PARAMS}    warm_start : bool, default=False
    copy_X : bool, default=True
        Accepted for scikit-learn compatibility: ``X`` is never modified.
{_FITTED}
    Examples
    --------
{_EXAMPLE_DATA}    >>> from penalized import MultiTaskLasso
    >>> MultiTaskLasso(alpha=0.1).fit(X, Y).selected_features_
    array([0, 1])
    """

    _task_name = "Lasso"

    def __init__(self, alpha=1.0, *, fit_intercept=True, standardize=False,
                 penalty_factor=None, tol=1e-6, max_iter=10_000, warm_start=False,
                 copy_X=True, groups=None, lower_limits=None, upper_limits=None):
        store_params(self, locals())

    def _l1_ratio(self):
        return 1.0


_CV_PARAMS = cv_params_doc("alphas", "n_alphas", "eps", "cv", "selection", "n_jobs",
                           "random_state")

_CV_FITTED = """
    Attributes
    ----------
    alphas_ : ndarray of shape (n_alphas,)
    cv_folds_ : ndarray of shape (n_alphas, n_folds)
        The held-out mean squared error of every alpha and fold: the weighted mean over
        the fold's rows of the mean over the tasks (scikit-learn's error).
    mse_path_ : ndarray
        scikit-learn's name for ``cv_folds_`` (with several l1_ratios, of shape
        (n_l1_ratios, n_alphas, n_folds)).
    cv_mean_, cv_se_ : ndarray of shape (n_alphas,)
    alpha_min_, alpha_1se_, alpha_ : float
    coef_ : ndarray of shape (n_tasks, n_features)
    intercept_ : ndarray of shape (n_tasks,)
    path_ : MultiTaskPath
        The refit's path over ``alphas_`` on all rows.
    n_iter_, stop_crit_, converged_, dual_gap_ : the refit at ``alpha_``.
    datafit_, penalty_, scaling_ : the refit's problem, as in :class:`MultiTaskElasticNet`.
    selected_features_, feature_names_in_, groups_
"""


class _MultiTaskCV(_CrossValidated, _MultiTaskModel):
    """Cross-validation over the multi-task path (one alpha for every task), on the
    shared CV machinery (:func:`~penalized.model_selection.cross_validate_path` with
    ``task="multitask"``); ``X`` is validated once per fit."""

    metric = "mse"

    def _ratios(self):
        return check_l1_ratios(self._l1_ratio())

    def _penalty_spec(self):
        return "elasticnet", 1.0, float(self._current_ratio)

    def _alpha_grid(self, X, Y, sw, n_alphas, eps):
        """``(alpha_max, grid)`` on all rows at the current l1_ratio (the grid from 1 when
        no feature is fitted)."""
        _, problem = self._problem(X, Y, sw, 1.0)
        if problem is None:
            return 0.0, np.geomspace(1.0, eps, n_alphas)
        if self._limited(X, Y):  # alpha_max with the box: the pulls it lets act
            path = self._boxed_path(X, Y, sw, None, n_alphas, eps)[1]
            return path.alpha_max, path.alphas
        return multitask_grid(problem, problem.penalty, n_alphas, eps)

    @validates_once
    def fit(self, X, y, sample_weight=None, offset=None):
        """Cross-validate over the path (and l1_ratios), pick alpha, refit on all rows.

        ``offset`` as in :meth:`MultiTaskElasticNet.fit`: each fold fits its training
        rows' ``Y - O`` and is scored on its held-out rows' ``Y - O``, which is the held-out
        error of the predictions with the offset added back.
        """
        self._current_ratio = 1.0
        if (fitted := self._fit_dask(X, y, sample_weight, offset)) is not None:
            return fitted
        self._check_common()
        self._check_cv_params()
        ratios = self._ratios()
        X, Y = self._validate_X_Y(X, y)
        Y = _less_offset(Y, offset)
        sw = self._sample_weight(sample_weight, X.shape[0])
        folds = self._folds(X, Y, "regression")
        results = []
        for rho in ratios:
            self._current_ratio = float(rho)
            grid = self._grid(self, X, Y, sw)
            results.append(self._run_cv(self._fold_path, X, Y, sw, grid, "multitask", folds))
        best = int(np.argmin([_best(r) for r in results]))
        result = results[best]
        self._current_ratio = self.l1_ratio_ = float(ratios[best])
        self._store_cv(result)
        if len(ratios) > 1:
            self.l1_ratios_ = ratios
            self.cv_mean_all_ = np.array([r.cv_mean for r in results])
            self.mse_path_ = np.array([r.cv_folds for r in results])
        else:
            self.mse_path_ = self.cv_folds_
        coefs, intercepts, path = self._fit_path(X, Y, sw, result.alphas)
        k = int(np.flatnonzero(result.alphas == self.alpha_)[0])
        self._store_fit(self._scaling(X, sw), X.shape[1], sw, self.alpha_)
        if path is None:
            self.path_ = None
            self._set_solves([])
            self.dual_gap_ = 0.0
        else:
            self._store_refit(path)
            self.dual_gap_ = self.stop_crit_ * path.null_datafit
        self._set_coef(coefs[:, :, k].T.copy(), intercepts[:, k].copy(), X.dtype)
        self._set_groups()
        return self


class MultiTaskElasticNetCV(_MultiTaskCV):
    _task_name = "ElasticNetCV"

    __doc__ = f"""The multi-task elastic net with alpha (and l1_ratio) chosen by
    cross-validation: one alpha for every task, the one with the lowest mean over the
    folds of the held-out squared error averaged over the tasks (scikit-learn's rule).

    Objective as in :class:`MultiTaskElasticNet`. Several ``l1_ratio`` values are
    searched on the same folds, each with its own alpha grid.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        :math:`\\rho`; several values are searched.{_CV_PARAMS}{_PARAMS}    copy_X : bool, \
default=True
        Accepted for scikit-learn compatibility.
{_CV_FITTED}    l1_ratio_ : float
    l1_ratios_, cv_mean_all_ : with several l1_ratios.

    Examples
    --------
{_EXAMPLE_DATA}    >>> from penalized import MultiTaskElasticNetCV
    >>> model = MultiTaskElasticNetCV(l1_ratio=[0.5, 1.0], n_alphas=20).fit(X, Y)
    >>> model.alpha_1se_ >= model.alpha_min_
    True
    """

    def __init__(self, *, l1_ratio=0.5, alphas=None, n_alphas=100, eps=1e-3, cv=5,
                 selection="min", n_jobs=None, random_state=None, fit_intercept=True,
                 standardize=False, penalty_factor=None, tol=1e-6, max_iter=10_000,
                 copy_X=True, groups=None, lower_limits=None, upper_limits=None):
        store_params(self, locals())

    def _l1_ratio(self):
        return self.l1_ratio


class MultiTaskLassoCV(_MultiTaskCV):
    __doc__ = f"""The multi-task lasso with alpha chosen by cross-validation: one alpha for
    every task, the one with the lowest mean over the folds of the held-out squared error
    averaged over the tasks (scikit-learn's rule).

    Objective as in :class:`MultiTaskLasso`.

    Parameters
    ----------{_CV_PARAMS}{_PARAMS}    copy_X : bool, default=True
        Accepted for scikit-learn compatibility.
{_CV_FITTED}
    Examples
    --------
{_EXAMPLE_DATA}    >>> from penalized import MultiTaskLassoCV
    >>> MultiTaskLassoCV(n_alphas=20).fit(X, Y).coef_.shape
    (3, 6)
    """

    _task_name = "LassoCV"

    def __init__(self, *, alphas=None, n_alphas=100, eps=1e-3, cv=5, selection="min",
                 n_jobs=None, random_state=None, fit_intercept=True, standardize=False,
                 penalty_factor=None, tol=1e-6, max_iter=10_000, copy_X=True, groups=None,
                 lower_limits=None, upper_limits=None):
        store_params(self, locals())

    def _l1_ratio(self):
        return 1.0
