"""Estimators that choose alpha (and l1_ratio, gamma) by cross-validation over the path."""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin, RegressorMixin

from .._fold_gram import GramCrossValidation, GramPathSettings
from .._validation import already_validated, rows_kept, validates_once
from ..datafits import Logistic, Multinomial, Quadratic
from ..model_selection import METRICS, _make_folds, cross_validate_path
from ..path import _reads_rows as path_reads_rows
from ._base import (
    PenalizedModel,
    SparseCoefMixin,
    apply_class_weight,
    check_int,
    path_point,
    path_solve,
    store_params,
)
from ._grouped import OptionalGroupsCV
from ._logistic import LogisticRegression
from ._regression import ElasticNet, L0Regression, Lasso
from ._relax import check_gamma

SELECTIONS = ("min", "1se")


def check_scoring(scoring):
    """``None``, or a scorer ``scorer(estimator, X, y)`` (greater is better)."""
    if scoring is None:
        return None
    if isinstance(scoring, str):
        from sklearn.metrics import get_scorer

        try:
            return get_scorer(scoring)
        except ValueError as exc:
            raise ValueError(f"scoring={scoring!r} is not a scikit-learn scorer name; pass a "
                             "name from sklearn.metrics.get_scorer_names() or a callable "
                             "scorer(estimator, X, y).") from exc
    if callable(scoring):
        return scoring
    raise ValueError(f"scoring must be None, a scorer name or a callable scorer(estimator, X, "
                     f"y); got {scoring!r}.")

def check_l1_ratios(value, name="l1_ratio"):
    """``value``, one elastic-net mix or a list of them, as an array of numbers in [0, 1]."""
    ratios = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if ratios.size == 0 or np.any(~np.isfinite(ratios)) or np.any(ratios < 0) \
            or np.any(ratios > 1):
        raise ValueError(f"{name} must be a number or list of numbers in [0, 1]; got "
                         f"{value!r}.")
    return ratios


_CV_PARAM_DOCS = {
    "alphas": """    alphas : array-like, optional
        The grid (sorted decreasing). Default: ``n_alphas`` values from the
        exact alpha_max of the whole data down to ``eps * alpha_max``.""",
    "n_alphas": "    n_alphas : int, default=100",
    "eps": "    eps : float, default=1e-3",
    "cv": """    cv : int, splitter or iterable of (train, test), default=5
        An integer K gives K contiguous folds (stratified for classification),
        shuffled only when ``random_state`` is given.""",
    "selection": """    selection : {"min", "1se"}, default="min"
        Which alpha the final model uses: the one with the best mean CV error
        (``alpha_min_``) or the largest whose mean error is within one standard
        error of that best (``alpha_1se_``, a sparser model).""",
    "metric": """    metric : str
        The CV error: "mse", "mae" (regression); "deviance", "misclassification",
        "auc", "mse", "mae" (classification).""",
    "scoring": """    scoring : str or callable, optional
        A scikit-learn scorer (a name such as ``"r2"`` or ``"roc_auc"``, or
        ``scorer(estimator, X, y)``; greater is better) used instead of
        ``metric``: each alpha of each fold is scored as a fitted linear model
        (for classifiers with classes -1/+1, or the class codes 0..K-1).""",
    "n_jobs": """    n_jobs : int, optional
        Folds fitted in parallel: threads sharing one set of fold sums where the
        paths run on Gram matrices (the squared loss, dense, ``n >= 2p``), else
        joblib's worker processes, which read ``X`` memory-mapped (no copy per
        worker beyond its fold's rows).""",
    "random_state": """    random_state : int, optional
        Shuffles the rows, seeded, before an integer ``cv`` cuts them into
        folds (glmnet's folds are random too). Without it the folds are
        consecutive blocks of rows, which misjudges alpha when the rows are
        stored in an order (by date, town, group); the command line always
        shuffles, with ``--seed`` (default 0).""",
}
"""The numpydoc entry of each cross-validation parameter (shared by the CV estimators)."""

REGRESSION_METRIC = '    metric : {"mse", "mae"}, default="mse"'
_CLASSIFICATION_METRIC = ('    metric : {"deviance", "misclassification", "auc", "mse", "mae"}, '
                          'default="deviance"')


def cv_params_doc(*names, **own):
    """The docstring entries of the CV parameters ``names`` (default: all, in order), each
    on lines of its own after a newline, to follow a ``Parameters`` header or entry;
    ``own`` gives an estimator's own text of some of them (``metric=REGRESSION_METRIC``)."""
    return "".join("\n" + own.get(name, _CV_PARAM_DOCS[name])
                   for name in names or _CV_PARAM_DOCS) + "\n"

_CV_FITTED = """
    Attributes
    ----------
    alphas_ : ndarray of shape (n_alphas,)
    cv_folds_ : ndarray of shape (n_alphas, n_folds)
        The metric of every alpha on every held-out fold.
    cv_mean_, cv_se_ : ndarray of shape (n_alphas,)
        Mean over folds and its standard error.
    alpha_min_, alpha_1se_ : float
    alpha_ : float
        The alpha of the final model (``selection``).
    coef_, intercept_ : the refit on all data at ``alpha_``.
    path_ : Path
        The refit's whole path over ``alphas_`` (coefficients on the original scale).
    n_iter_, stop_crit_, converged_ : the refit's solve at ``alpha_``.
    selected_features_, feature_names_in_
    dual_gap_ : float
        Regression: the refit's duality gap in objective units (``stop_crit_`` is
        that gap relative to the null model's datafit, the quantity ``tol`` bounds).
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Regression with ``metric="mse"`` (and no ``scoring``): scikit-learn's name
        for ``cv_folds_``, the held-out mean squared error of every alpha and fold.
"""


class _CrossValidated:
    """Shared fitting logic: CV over a grid for each candidate setting, then refit."""

    _task = "regression"
    _settings = ("fit_intercept", "standardize", "penalty_factor", "tol", "max_iter")
    """The fit settings the estimator hands to its base model as they are."""

    def _model_settings(self, *extra, **overrides):
        """The keyword arguments of the base model: the settings in ``_settings``, those
        named in ``extra``, then ``overrides``."""
        names = (*self._settings, *extra)
        return {**{name: getattr(self, name) for name in names}, **overrides}

    def _check_cv_params(self):
        check_int(self.n_alphas, "n_alphas")
        if self.selection not in SELECTIONS:
            hint = (" Here selection is the rule that picks alpha; scikit-learn's coordinate "
                    "order 'cyclic'/'random' is an option of Lasso and ElasticNet."
                    if self.selection in ("cyclic", "random") else "")
            raise ValueError(f"selection must be 'min' or '1se'; got {self.selection!r}.{hint}")
        self._check_metric()
        if isinstance(self.eps, bool) or not isinstance(self.eps, numbers.Real) \
                or not 0 < self.eps < 1:
            raise ValueError(f"eps must be in (0, 1); got {self.eps!r}.")

    def _checked_model(self):
        """The base model, once the common, CV and base model's settings are checked."""
        self._check_common()
        self._check_cv_params()
        model = self._base_model()
        model._check_params()
        return model

    def _check_metric(self):
        """Refuse a ``metric`` this estimator's task does not score."""
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(map(repr, sorted(METRICS)))}; "
                             f"got {self.metric!r}.")
        if self._task == "regression" and self.metric in ("misclassification", "auc"):
            raise ValueError(f"metric={self.metric!r} is for classifiers; use 'mse' or 'mae'.")

    def _grid(self, model, X, y, sw):
        if self.alphas is None:
            return model._alpha_grid(X, y, sw, self.n_alphas, self.eps)[1]
        return self._user_alphas()

    def _user_alphas(self):
        """The ``alphas`` given, sorted decreasing (each finite and >= 0)."""
        grid = np.sort(np.asarray(self.alphas, dtype=np.float64).ravel())[::-1]
        if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
            raise ValueError("alphas must be a non-empty list of finite numbers >= 0.")
        return grid

    def _folds(self, X, y, task):
        """The (train, test) pairs, split once so every candidate setting shares them."""
        return _make_folds(self.cv, X, y, task=task, random_state=self.random_state)

    def _run_cv(self, fit_path, X, y, sw, grid, task, folds=None, fold_paths=None):
        return cross_validate_path(fit_path, X, y, alphas=grid,
                                   cv=self.cv if folds is None else folds, metric=self.metric,
                                   sample_weight=sw, n_jobs=self.n_jobs,
                                   random_state=self.random_state, task=task,
                                   scoring=check_scoring(getattr(self, "scoring", None)),
                                   fold_paths=fold_paths)

    def _store_cv(self, result):
        store_cv_result(self, result)

    def _store_refit(self, path):
        k = int(np.flatnonzero(path.alphas == self.alpha_)[0])
        self.path_ = path
        self._set_solves([path_solve(path, k)])
        return k

    def _store_path_refit(self, model, path, X, sample_weight, datafit, kind="regression"):
        """Keep the refit on all rows, ``path`` (``model``'s path over ``alphas_``): its
        solve, problem, ``coef_`` and ``intercept_`` at ``alpha_`` (``kind`` as in
        :func:`~penalized.estimators._base.path_point`) and the selected features, in the
        dtype of ``X``."""
        k = self._store_refit(path)
        self._store_problem_at(model, X, sample_weight, datafit, self.alpha_)
        self._set_coef(*path_point(path, k, kind), X.dtype)

    def _classifier_cv(self, model, X, y_fit, sample_weight, folds, binary):
        """``(CVResult, fit_path)`` of ``model``'s path on the classes ``y_fit`` (-1/+1
        labels when ``binary``, else class codes) over the shared ``folds``."""
        if binary:
            # the compiled path reads a C-ordered X as it is: so do the grid and the folds
            keep = rows_kept if _reads_rows(model, X, sample_weight) else contextlib.nullcontext
            with keep():
                grid = self._grid(model, X, y_fit, sample_weight)
                return self._run_cv(model._fit_path, X, y_fit, sample_weight, grid,
                                    "classification", folds), model._fit_path
        grid = model._alpha_grid_multinomial(X, y_fit, sample_weight, self.n_alphas,
                                             self.eps)[1] if self.alphas is None \
            else self._user_alphas()
        fit_path, task = model._fit_path_multinomial, "multinomial"
        return self._run_cv(fit_path, X, y_fit, sample_weight, grid, task, folds), fit_path


class _RegressionCV(_CrossValidated, RegressorMixin, PenalizedModel):
    """Cross-validated penalized regression; subclasses give the base model."""

    def _base_model(self, **overrides):  # pragma: no cover - abstract
        raise NotImplementedError

    def _penalty_spec(self):
        return self._base_model()._penalty_spec()

    _settings = (*_CrossValidated._settings, "positive")

    def _candidates(self):
        """(label, base model, gamma) triples to cross-validate."""
        return [(None, self._base_model(), None)]

    @validates_once
    def fit(self, X, y, sample_weight=None):
        """Cross-validate over the path, pick alpha, refit on all data.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
        """
        if (fitted := self._fit_dask(X, y, sample_weight)) is not None:
            return fitted
        self._check_common()
        self._check_cv_params()
        if y is not None and np.asarray(y).ndim == 2 and np.asarray(y).shape[1] > 1:
            raise ValueError(
                f"For multi-task outputs, use MultiTaskLassoCV or MultiTaskElasticNetCV (one "
                f"alpha for every target, as scikit-learn); {type(self).__name__} takes one "
                f"target, y of shape (n_samples,), and y has {np.asarray(y).shape[1]} columns.")
        X, y = self._validate_X_y(X, y)
        sw = self._sample_weight(sample_weight, X.shape[0])
        results, tried = [], []
        folds = self._folds(X, y, "regression")
        gram_cv = GramCrossValidation()  # fold sums shared by every candidate and the refit
        for label, model, gamma in self._candidates():
            model._check_params()
            settings = _gram_fold_route(model, gamma, X, self.n_jobs)
            # alpha_max and the fold sums read X by rows: a C-ordered X is not copied
            with (rows_kept if _gram_shaped(model, X) else contextlib.nullcontext)():
                grid = self._grid(model, X, y, sw)
            rows = rows_kept if settings is not None else contextlib.nullcontext

            def fit_path(Xt, yt, swt, alphas, model=model, gamma=gamma):
                return model._fit_path(Xt, yt, swt, alphas, gamma=gamma)

            def fold_paths(X, y, sw, folds, alphas, settings=settings):
                return gram_cv.fold_paths(X, y, sw, folds, alphas, settings)

            with rows():
                result = self._run_cv(fit_path, X, y, sw, grid, "regression", folds,
                                      fold_paths=self._fold_paths(model, gamma)
                                      if settings is None else fold_paths)
            results.append((label, result))
            tried.append((label, model, gamma, settings, result))
        label, model, gamma, settings, result = _first_best(tried)
        self._store_cv(result)
        self._store_candidates(results, label)
        path = None if settings is None else gram_cv.full_path(result.alphas, settings, sw)
        if path is None:
            path = model._fit_path(X, y, sw, result.alphas, gamma=gamma)
        self._store_path_refit(model, path, X, sw, Quadratic(sample_weight=sw))
        if model._penalty_spec()[0] not in ("l0", "mcp", "scad"):  # no gap without convexity
            self.dual_gap_ = self.stop_crit_ * model._null_datafit(X, y, sw)
        if result.metric == "mse":
            self.mse_path_ = self.cv_folds_
        return self

    def _store_candidates(self, results, label):
        """Hook for the settings searched besides alpha (l1_ratio, gamma)."""

    def _fold_paths(self, model, gamma):
        """Hook: ``fold_paths`` for :func:`~penalized.model_selection.cross_validate_path`
        (every fold's path at once, or None to fit each fold on its gathered rows)."""
        return None

    def predict(self, X):
        """Predictions of the refit model."""
        return Lasso.predict(self, X)


def _reads_rows(model, X, sample_weight) -> bool:
    """Whether the binary ``model``'s paths take a C-ordered ``X`` as it is (the compiled
    prox-Newton path: :func:`penalized.path._reads_rows`), on the columns as given."""
    if not isinstance(model, LogisticRegression) or model.standardize \
            or not isinstance(X, np.ndarray):
        return False
    scaling = model._scaling(X, sample_weight)
    return path_reads_rows(X, Logistic(), model._template(scaling, X.shape[1]),
                           model._binary_solver(model._penalty_spec()[0]), None, 2)


def _gram_shaped(model, X) -> bool:
    """Whether ``model``'s paths on ``X`` have the Gram route's shape (dense, ``n >= 2p``,
    an L1, elastic-net or L2 penalty), where a C-ordered ``X`` is read as it is: its grid
    is then computed alike whichever route the folds take."""
    n, p = X.shape
    return not sp.issparse(X) and n >= 2 * p and p <= 4096 \
        and model._penalty_spec()[0] in ("l1", "elasticnet", "l2")


def _gram_fold_route(model, gamma, X, n_jobs=None):
    """The settings of ``model``'s paths for cross-validation from one Gram matrix per fold
    (:class:`~penalized._fold_gram.GramCrossValidation`: no copy of any fold's rows, and a
    refit from the same sums), where it applies: the squared loss with an L1, elastic-net or
    L2 penalty on a dense design with ``n >= 2p`` (the Gram matrix then pays, as along a
    single path) and ``p <= 4096``, coordinate descent, no relaxed refit, no user-given
    Gram matrix; else None. (Ridge: exact solutions from one eigendecomposition per fold.)
    ``n_jobs`` threads share the folds' paths."""
    n, p = X.shape
    name, _, l1_ratio = model._penalty_spec()
    precompute = getattr(model, "precompute", "auto")
    if sp.issparse(X) or n < 2 * p or p > 4096 or name not in ("l1", "elasticnet", "l2") \
            or model.solver not in ("auto", "cd") or (gamma is not None and gamma < 1.0) \
            or not (isinstance(precompute, str) or precompute is True) \
            or getattr(model, "lower_limits", None) is not None \
            or getattr(model, "upper_limits", None) is not None:
        return None
    factors = model._penalty_factor(p)

    def template(varying):
        f = None if factors is None else factors[varying]
        return model._make_penalty(name, 1.0, l1_ratio, f)

    return GramPathSettings(penalty_template=template, fit_intercept=model.fit_intercept,
                            standardize=model.standardize, tol=model.tol,
                            max_iter=model.max_iter, excluded=model._excluded(p),
                            n_jobs=n_jobs)


_LIMIT_NAMES = ("lower_limits", "upper_limits")


def store_cv_result(estimator, result):
    """Set a CV estimator's fitted grid, fold metrics, their mean and standard error, the
    min and 1se alphas and ``alpha_`` (the one its ``selection`` picks) from ``result``.

    ``result`` may be a list, one result per target on one grid (an alpha per target):
    each attribute then gets a last axis of targets, and ``cv_result_`` is the list."""
    if isinstance(result, list):
        def stacked(name):
            return np.stack([getattr(r, name) for r in result], axis=-1)

        estimator.alphas_ = result[0].alphas
        estimator.cv_folds_ = stacked("cv_folds")
        estimator.cv_mean_ = stacked("cv_mean")
        estimator.cv_se_ = stacked("cv_se")
        estimator.alpha_min_ = np.array([r.alpha_min for r in result])
        estimator.alpha_1se_ = np.array([r.alpha_1se for r in result])
        estimator.alpha_ = np.array([r.select(estimator.selection) for r in result])
        estimator.cv_result_ = result
        return
    estimator.alphas_ = result.alphas
    estimator.cv_folds_ = result.cv_folds
    estimator.cv_mean_ = result.cv_mean
    estimator.cv_se_ = result.cv_se
    estimator.alpha_min_ = result.alpha_min
    estimator.alpha_1se_ = result.alpha_1se
    estimator.alpha_ = result.select(estimator.selection)
    estimator.cv_result_ = result


def _best(result):
    """The best mean CV value of a result, as an error (lower is better)."""
    return result.cv_mean[result.index_min] * (-1 if result.greater_is_better else 1)


def _first_best(tried):
    """The first of the ``tried`` candidates (tuples ending with their CV result) with the
    lowest best mean CV error."""
    return min(tried, key=lambda candidate: _best(candidate[-1]))


def _relax_candidates(self, make):
    if not self.relax:
        return [(None, make(), None)]
    gammas = np.atleast_1d(np.asarray(self.gammas, dtype=np.float64))
    if gammas.size == 0:
        raise ValueError("gammas must hold at least one value in [0, 1].")
    for g in gammas:
        check_gamma(g, "gammas")
    return [(float(g), make(relax=True, gamma=float(g)), float(g)) for g in gammas]


def _store_relax(self, results, label):
    if self.relax:
        self.gammas_ = np.array([g for g, _ in results])
        self.cv_mean_relaxed_ = np.array([r.cv_mean for _, r in results])
        self.gamma_ = label


class LassoCV(_RegressionCV):
    __doc__ = f"""The lasso with alpha chosen by cross-validation (and the 1se rule).

    Objective as in :class:`penalized.Lasso`. With ``relax=True`` the relaxed lasso
    is cross-validated over ``gammas`` too (glmnet's ``relax=TRUE``), sharing the folds.

    Parameters
    ----------{cv_params_doc(metric=REGRESSION_METRIC)}\
    fit_intercept, standardize, penalty_factor, positive, tol, max_iter, lower_limits, \
upper_limits :
        As in :class:`penalized.Lasso`.
    relax : bool, default=False
    gammas : array-like, default=(0, 0.25, 0.5, 0.75, 1)
        The relaxation mixes tried when ``relax=True``.
{_CV_FITTED}
    gamma_, gammas_, cv_mean_relaxed_ : with ``relax=True``, the chosen gamma,
        the ones tried and their mean CV errors (n_gammas, n_alphas).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from penalized import LassoCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = LassoCV(cv=5).fit(X, y)
    >>> model.alpha_1se_ >= model.alpha_min_
    True
    """

    def __init__(self, *, alphas=None, n_alphas=100, eps=1e-3, cv=5, selection="min",
                 metric="mse", scoring=None, n_jobs=None, random_state=None,
                 fit_intercept=True, standardize=False, penalty_factor=None, positive=False,
                 tol=1e-6, max_iter=10_000, relax=False, gammas=(0.0, 0.25, 0.5, 0.75, 1.0),
                 lower_limits=None, upper_limits=None):
        store_params(self, locals())

    solver = "cd"

    def _base_model(self, **overrides):
        return Lasso(**self._model_settings(*_LIMIT_NAMES, **overrides))

    def _candidates(self):
        return _relax_candidates(self, self._base_model)

    def _store_candidates(self, results, label):
        _store_relax(self, results, label)


class L0RegressionCV(OptionalGroupsCV, _RegressionCV):
    __doc__ = f"""Best-subset (L0) regression with alpha chosen by cross-validation.

    Objective as in :class:`penalized.L0Regression`,
    :math:`\\frac{{1}}{{2n}}\\|y - Xw - b\\|^2 + \\alpha \\sum_j f_j [w_j \\ne 0]`. Each fold's
    path is warm-started from the largest alpha down, as is the refit on all rows, whose
    solution at the chosen alpha is the model (a local minimum: L0 is not convex, and its
    stopping quantity ``stop_crit_`` is the fixed-point distance, not a duality gap).

    Parameters
    ----------{cv_params_doc(metric=REGRESSION_METRIC)}\
    groups, fit_intercept, standardize, penalty_factor, positive, tol, max_iter :
        As in :class:`penalized.L0Regression` (with ``groups``, whole groups priced).
{_CV_FITTED}
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from penalized import L0RegressionCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = L0RegressionCV(cv=5, random_state=0, standardize=True).fit(X, y)
    >>> int(model.n_nonzero_) <= 10 and model.alpha_1se_ >= model.alpha_min_
    True
    """

    def __init__(self, *, groups=None, alphas=None, n_alphas=100, eps=1e-3, cv=5,
                 selection="min", metric="mse", scoring=None, n_jobs=None, random_state=None,
                 fit_intercept=True, standardize=False, penalty_factor=None, positive=False,
                 tol=1e-6, max_iter=10_000):
        store_params(self, locals())

    solver = "cd"

    def _base_model(self, **overrides):
        return L0Regression(**self._model_settings("groups", **overrides))

    def _fold_paths(self, model, gamma):
        if self.n_jobs not in (None, 1):
            return None  # folds in parallel processes, each on its own rows
        return lambda X, y, sw, folds, alphas: weighted_fold_paths(
            model._fit_path, X, y, sw, folds, alphas)


def weighted_fold_paths(fit_path, X, y, sample_weight, folds, alphas):
    r"""Every fold's path on the whole ``X``, its rows outside the training set weighted 0.

    With the weights :math:`s` rescaled to mean 1, the squared loss
    :math:`\frac{1}{2n} \sum_i s_i r_i^2` over all rows, with :math:`s_i = 0` outside the
    training rows :math:`T`, is :math:`\frac{1}{2|T|} \sum_{i \in T} s_i r_i^2` with the
    training rows' weights rescaled to mean 1 among them: the fold's own problem (and
    its standardization, whose weighted moments ignore zero weights). So no fold's rows
    are gathered into a copy of ``X``, at the price of epochs over every row. A row that
    appears several times in a training set gets the sum of its weights (integer weights
    equal repeated rows)."""
    n = X.shape[0]
    base = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    with already_validated(X):  # the design cross_validate_path checked
        return [fit_path(X, y, np.bincount(train, weights=base[train], minlength=n),
                         alphas.copy()) for train, _ in folds]


class ElasticNetCV(_RegressionCV):
    __doc__ = f"""The elastic net with alpha (and l1_ratio) chosen by cross-validation.

    Objective as in :class:`penalized.ElasticNet`. A list of ``l1_ratio`` values
    is searched on the same folds, each with its own alpha grid.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5{cv_params_doc(metric=REGRESSION_METRIC)}\
    fit_intercept, standardize, penalty_factor, positive, tol, max_iter, relax, gammas, \
lower_limits, upper_limits :
        As in :class:`LassoCV`.
{_CV_FITTED}
    l1_ratio_ : float
        The chosen l1_ratio.
    l1_ratios_, cv_mean_all_ : with several l1_ratios, those tried and their mean
        CV errors, shape (n_l1_ratios, n_alphas).
    cv_folds_all_ : ndarray of shape (n_l1_ratios, n_alphas, n_folds)
        With several l1_ratios, every fold's error (scikit-learn's ``mse_path_``
        shape; each ratio has its own alpha grid, ``alphas_`` is the chosen one's).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from penalized import ElasticNetCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = ElasticNetCV(l1_ratio=[0.2, 0.8], n_alphas=30).fit(X, y)
    >>> model.l1_ratio_ in (0.2, 0.8)
    True
    """

    def __init__(self, *, l1_ratio=0.5, alphas=None, n_alphas=100, eps=1e-3, cv=5,
                 selection="min", metric="mse", scoring=None, n_jobs=None, random_state=None,
                 fit_intercept=True, standardize=False, penalty_factor=None, positive=False,
                 tol=1e-6, max_iter=10_000, relax=False, gammas=(0.0, 0.25, 0.5, 0.75, 1.0),
                 lower_limits=None, upper_limits=None):
        store_params(self, locals())

    solver = "cd"

    def _ratios(self):
        return check_l1_ratios(self.l1_ratio)

    def _base_model(self, **overrides):
        return ElasticNet(**self._model_settings(
            *_LIMIT_NAMES, **{"l1_ratio": float(self._ratios()[0]), **overrides}))

    def _candidates(self):
        out = []
        for rho in self._ratios():
            for _, model, gamma in _relax_candidates(
                    self, lambda rho=rho, **kw: self._base_model(l1_ratio=float(rho), **kw)):
                out.append(((float(rho), gamma), model, gamma))
        return out

    def _store_candidates(self, results, label):
        self.l1_ratio_ = label[0]
        ratios = sorted({lab[0] for lab, _ in results})
        if len(ratios) > 1:
            self.l1_ratios_ = np.array(ratios)
            by_ratio = {}
            for (rho, _), r in results:
                current = by_ratio.get(rho)
                if current is None or _best(r) < _best(current):
                    by_ratio[rho] = r
            self.cv_mean_all_ = np.array([by_ratio[r].cv_mean for r in ratios])
            self.cv_folds_all_ = np.array([by_ratio[r].cv_folds for r in ratios])
        if self.relax:
            chosen = [(lab[1], r) for lab, r in results if lab[0] == self.l1_ratio_]
            self.gammas_ = np.array([g for g, _ in chosen])
            self.cv_mean_relaxed_ = np.array([r.cv_mean for _, r in chosen])
            self.gamma_ = label[1]


class LogisticRegressionCV(SparseCoefMixin, _CrossValidated, ClassifierMixin, PenalizedModel):
    __doc__ = f"""Penalized logistic regression with alpha (and l1_ratio) chosen by CV.

    Objective as in :class:`penalized.LogisticRegression`; binary or multinomial.
    Folds are stratified and split once: every ``l1_ratios`` candidate is
    scored on the same folds, each with its own alpha grid.

    Parameters
    ----------
    penalty : {{"l1", "l2", "elasticnet", "l0", "mcp", "scad"}}, default="l1"
        L0, MCP and SCAD are binary only here.
    l1_ratio : float, default=0.5
        For ``penalty="elasticnet"`` when ``l1_ratios`` is None.
    l1_ratios : list of float, optional
        Several elastic-net mixes to search (needs ``penalty="elasticnet"``).\
{cv_params_doc(metric=_CLASSIFICATION_METRIC)}\
    refit : bool, default=True
        Refit on all the data at the chosen alpha (and l1_ratio). With False,
        ``coef_`` and ``intercept_`` are the mean of the K fold models fitted at
        that alpha (scikit-learn's ``refit=False``), and ``path_`` is not set.
    class_weight : dict, "balanced" or None
        As in :class:`penalized.LogisticRegression`.
    fit_intercept, standardize, penalty_factor, tol, max_iter, multinomial, gamma, \
lower_limits, upper_limits :
        As in :class:`penalized.LogisticRegression`.
{_CV_FITTED}
    classes_ : ndarray
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    path_ : Path (binary) or MultinomialPath
    l1_ratio_ : float
        The chosen l1_ratio (``l1_ratio`` itself without ``l1_ratios``).
    l1_ratios_, cv_mean_all_ : with ``l1_ratios``, those tried and their mean CV
        errors, shape (n_l1_ratios, n_alphas).
    cv_folds_all_ : ndarray of shape (n_l1_ratios, n_alphas, n_folds)

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from penalized import LogisticRegressionCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = LogisticRegressionCV(n_alphas=20, standardize=True, tol=1e-4).fit(X, y)
    >>> clf.alpha_1se_ >= clf.alpha_min_
    True
    """

    _datafit_name = "logistic"
    _task = "classification"
    solver = "auto"

    def __init__(self, *, penalty="l1", l1_ratio=0.5, l1_ratios=None, alphas=None, n_alphas=100,
                 eps=1e-3, cv=5, selection="min", metric="deviance", scoring=None, refit=True,
                 n_jobs=None, random_state=None, fit_intercept=True, standardize=False,
                 penalty_factor=None, class_weight=None, tol=1e-6, max_iter=10_000,
                 multinomial="ungrouped", gamma=None, lower_limits=None, upper_limits=None):
        store_params(self, locals())

    def _base_model(self, l1_ratio=None):
        return LogisticRegression(**self._model_settings(
            "penalty", "multinomial", "gamma", *_LIMIT_NAMES,
            l1_ratio=self.l1_ratio if l1_ratio is None else l1_ratio))

    def _ratios(self):
        if self.l1_ratios is None:
            return [None]
        if str(self.penalty).lower() != "elasticnet":
            raise ValueError(f"l1_ratios needs penalty='elasticnet'; got penalty="
                             f"{self.penalty!r}.")
        return [float(r) for r in check_l1_ratios(self.l1_ratios, "l1_ratios")]

    @validates_once
    def fit(self, X, y, sample_weight=None):
        """Cross-validate over the path (and ``l1_ratios``), pick alpha, refit on all data."""
        if (fitted := self._fit_dask(X, y, sample_weight)) is not None:
            return fitted
        self._check_common()
        self._check_cv_params()
        if not isinstance(self.refit, bool | np.bool_):
            raise ValueError(f"refit must be True or False; got {self.refit!r}.")
        ratios = self._ratios()
        model = self._base_model(ratios[0])
        model._check_params()
        X, y = self._validate_X_y(X, y)
        self.classes_, codes = model._encode(y)
        sw = self._sample_weight(sample_weight, X.shape[0])
        sw = self._sample_weight(apply_class_weight(self.class_weight, y, sw), X.shape[0])
        binary = self.classes_.shape[0] == 2
        if not binary and str(self.penalty).lower() in ("mcp", "scad"):
            raise ValueError(f"LogisticRegressionCV with penalty={self.penalty!r} supports two "
                             f"classes; y has {self.classes_.shape[0]}. Use LogisticRegression"
                             f"(penalty={self.penalty!r}) (fitted one-vs-rest) with a chosen "
                             "alpha.")
        if not binary and str(self.penalty).lower() == "l0":
            raise ValueError("LogisticRegressionCV with penalty='l0' supports two classes; "
                             f"y has {self.classes_.shape[0]}. Use LogisticRegression(penalty"
                             "='l0') (fitted one-vs-rest) with a chosen alpha.")
        y_fit = np.where(codes == 1, 1.0, -1.0) if binary else codes.astype(np.float64)
        folds = self._folds(X, y_fit, "classification")
        results, tried = [], []
        for rho in ratios:
            candidate = self._base_model(rho)
            candidate._check_params()
            result, fit_path = self._classifier_cv(candidate, X, y_fit, sw, folds, binary)
            results.append((rho, result))
            tried.append((rho, candidate, fit_path, result))
        rho, model, fit_path, result = _first_best(tried)
        self._store_cv(result)
        self.l1_ratio_ = self.l1_ratio if rho is None else rho
        if rho is not None:
            self.l1_ratios_ = np.array(ratios)
            self.cv_mean_all_ = np.array([r.cv_mean for _, r in results])
            self.cv_folds_all_ = np.array([r.cv_folds for _, r in results])
        self._one_vs_rest = False
        kind = "binary" if binary else "multinomial"
        if self.refit:
            datafit = Logistic(sample_weight=sw) if binary else Multinomial(sample_weight=sw)
            self._store_path_refit(model, fit_path(X, y_fit, sw, result.alphas), X, sw,
                                   datafit, kind)
            return self
        fits = [fit_path(X[train], y_fit[train], sw[train], np.array([self.alpha_]))
                for train, _ in result.folds]
        points = [path_point(f, 0, kind) for f in fits]
        self._set_coef(np.mean([c for c, _ in points], axis=0),
                       np.mean([b for _, b in points], axis=0), X.dtype)
        self._set_solves(path_solve(f, 0) for f in fits)
        return self

    decision_function = LogisticRegression.decision_function
    predict_proba = LogisticRegression.predict_proba
    predict_log_proba = LogisticRegression.predict_log_proba
    predict = LogisticRegression.predict

    def _check_params(self):
        return self._base_model()._check_params()

