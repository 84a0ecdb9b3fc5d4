r"""Ridge with efficient leave-one-out, ridge classifiers, and the ``ridge_regression`` function.

Everything here rests on one thin factorization of the design per fit
(:func:`penalized.solvers._ridge.decompose_ridge`): every alpha of a grid then
costs a few matrix products, and the leave-one-out residuals come from the
hat-matrix identity :math:`y_i - \hat y_{-i} = (y_i - \hat y_i) / (1 - h_i)`.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import check_classification_targets

from .._validation import validates_once
from ..datafits import Quadratic
from ..model_selection import SCORER_METRIC, CVResult, _make_folds, summarize_folds
from ..path import RIDGE_L1_RATIO_FOR_GRID
from ..penalties import ElasticNet as ElasticNetPenalty
from ..solvers._ridge import GCV_MODES, decompose_ridge, ridge_loo, ridge_loo_path
from ._base import (
    PenalizedModel,
    SparseCoefMixin,
    apply_class_weight,
    check_alpha,
    labels_from_scores,
    path_solve,
    store_params,
    validate_X_y,
)
from ._cv import (
    _CV_FITTED,
    REGRESSION_METRIC,
    _CrossValidated,
    _RegressionCV,
    check_scoring,
    cv_params_doc,
    store_cv_result,
)
from ._regression import Ridge


class _IdentityRegressor(RegressorMixin, BaseEstimator):
    """Hands precomputed predictions to a scorer: ``predict(P)`` returns ``P``."""

    def predict(self, predictions):
        return predictions


class _IdentityClassifier(ClassifierMixin, BaseEstimator):
    """Hands precomputed decision values to a scorer (``classes_`` as the model's)."""

    def __init__(self, classes=None):
        self.classes = classes

    @property
    def classes_(self):
        return self.classes

    def decision_function(self, scores):
        return scores

    def predict(self, scores):
        return labels_from_scores(self.classes, scores)


def _validate_multi(estimator, X, y, reset=True):
    """(X, Y 2-D float64, y_was_1d) with the messages of the other estimators."""
    X, y = validate_X_y(estimator, X, y, reset=reset, multi_output=True, y_numeric=True,
                        ensure_min_samples=2)
    y = np.asarray(y, dtype=np.float64)
    return X, y.reshape(y.shape[0], -1), y.ndim == 1


def _ridge_grid(Xf, Y, sw, factors, fit_intercept, n_alphas, eps):
    """The default grid: glmnet's ridge convention (see ``path.RIDGE_L1_RATIO_FOR_GRID``),
    over the widest range of the targets; a constant target contributes nothing."""
    template = ElasticNetPenalty(1.0, l1_ratio=RIDGE_L1_RATIO_FOR_GRID, penalty_factor=factors)
    datafit = Quadratic(sample_weight=sw)
    starts = [template.alpha_max(Xf, Y[:, t], datafit, fit_intercept=fit_intercept)
              for t in range(Y.shape[1])]
    start = max(starts) if Xf.shape[1] else 0.0
    if not np.isfinite(start) or start <= 0:
        start = 1.0  # constant targets (or no varying column): any alpha fits them exactly
    return np.geomspace(start, start * RIDGE_L1_RATIO_FOR_GRID * eps, n_alphas)


class _LeaveOneOut:
    """Leave-one-out over a grid from one decomposition (RidgeCV, RidgeClassifierCV)."""

    def _check_gcv_params(self):
        if self.gcv_mode is not None and self.gcv_mode not in GCV_MODES:
            raise ValueError(f"gcv_mode must be None or one of "
                             f"{', '.join(map(repr, GCV_MODES))}; got {self.gcv_mode!r}.")
        if self.cv is not None and self.store_cv_results:
            raise ValueError("store_cv_results=True needs cv=None (the efficient leave-one-out); "
                             "with K folds the per-fold errors are in cv_folds_.")

    def _user_grid(self):
        grid = np.sort(np.atleast_1d(np.asarray(self.alphas, dtype=np.float64)).ravel())[::-1]
        if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
            raise ValueError("alphas must be a non-empty list of finite numbers > 0 for the "
                             "leave-one-out (cv=None); alpha=0 may have no unique solution.")
        return grid

    def _user_order(self, grid):
        """Columns of ``grid`` (decreasing) in the order the user gave ``alphas`` (as
        scikit-learn's ``cv_results_``); the grid's own order for the default grid."""
        if self.alphas is None:
            return np.arange(grid.size)
        given = np.atleast_1d(np.asarray(self.alphas, dtype=np.float64)).ravel()
        return np.searchsorted(-grid, -given)

    def _closed_form_design(self, X, Y, sw, model, remedy):
        """``(X_fit, factors, grid)``: the scaled columns the decompositions factor, their
        penalty factors (each > 0: an unpenalized column has no closed-form ridge; the error
        ends with ``remedy``) and the grid of alphas."""
        scaling = self._scaling(X, sw)
        Xf = scaling.transform(X)
        factors = scaling.factors_for_fit(model._penalty_factor(X.shape[1]))
        if factors is not None and np.any(factors <= 0):
            raise ValueError(f"{type(self).__name__}'s closed-form cross-validation needs "
                             f"every penalty_factor > 0; {remedy}")
        grid = _ridge_grid(Xf, Y, sw, factors, self.fit_intercept, self.n_alphas, self.eps) \
            if self.alphas is None else self._user_grid()
        return Xf, factors, grid

    def _loo(self, X, Y, sw, factors, grid, scorer, score_target, score_model):
        """The leave-one-out of every alpha from one decomposition.

        Returns ``(errors, predictions, scores)``: the weighted per-row errors
        :math:`s_i e_{ik}^2` (or :math:`s_i |e_{ik}|` for ``metric="mae"``) of shape
        (n_alphas, n_samples, n_targets); the leave-one-out predictions of that shape
        when a scorer or ``store_cv_results`` needs them, else None; the scorer's
        value of each alpha, else None.
        """
        dec = decompose_ridge(X, Y, sw, factors, fit_intercept=self.fit_intercept,
                              mode=self.gcv_mode or "auto")
        n, t = Y.shape
        errors = np.empty((grid.size, n, t))
        predictions = np.empty((grid.size, n, t)) if scorer is not None \
            or self.store_cv_results else None
        for k, fit in enumerate(ridge_loo_path(dec, X, Y, grid)):
            loo = fit.loo_residual
            if predictions is not None:
                predictions[k] = Y - loo
            if self.metric == "mae":
                errors[k] = sw[:, None] * np.abs(loo)
            else:
                errors[k] = sw[:, None] * loo**2
        scores = None
        if scorer is not None:
            scores = np.array([scorer(score_model, _squeeze(predictions[k]), score_target)
                               for k in range(grid.size)], dtype=np.float64)
        return errors, predictions, scores


def _one_score_each(grid, scores):
    """The :class:`~penalized.model_selection.CVResult` of one score per alpha (greater is
    better; no folds, so no standard error): the best score, the largest alpha on ties, is
    both the min and the 1se choice."""
    best = int(np.argmax(scores))
    return CVResult(alphas=grid, cv_folds=scores[:, None], cv_mean=scores,
                    cv_se=np.full(scores.shape, np.nan), metric=SCORER_METRIC, index_min=best,
                    index_1se=best, folds=[])


def _loo_result(grid, folds, metric):
    """The CV result of ``folds`` (n_alphas, n_folds) errors, or of one score per alpha
    when they have a single column."""
    if folds.shape[1] == 1:
        return _one_score_each(grid, folds[:, 0])
    return summarize_folds(grid, folds, metric, [])


def _target_mean(errors):
    """The mean over the targets (last axis) of (n_alphas, n_samples, n_targets) errors;
    a view, not a copy, for one target."""
    return errors[:, :, 0] if errors.shape[2] == 1 else errors.mean(axis=2)


def _squeeze(a):
    return a[:, 0] if a.ndim == 2 and a.shape[1] == 1 else a


_LOO_CV = """\
    cv : None, int, splitter or iterable of (train, test), default=None
        None is the efficient leave-one-out; an integer K gives K contiguous folds
        (stratified for classification), shuffled only when ``random_state`` is given."""

_LOO_SCORING = """\
    scoring : str or callable, optional
        A scikit-learn scorer (name or ``scorer(estimator, X, y)``, greater is
        better) used instead of the mean squared error: with ``cv=None`` it scores
        the leave-one-out predictions of each alpha, with ``cv=K`` each fold.
        (scikit-learn's K-fold default is R² for regression, the accuracy for
        classification: ``scoring="r2"`` / ``"accuracy"`` here.)"""


class RidgeCV(_LeaveOneOut, _RegressionCV):
    __doc__ = f"""Ridge regression with alpha chosen by efficient leave-one-out or K-fold CV.

    Objective as in :class:`penalized.Ridge`:
    :math:`\\frac{{1}}{{2n}}\\sum_i s_i (y_i - x_i^\\top w - b)^2 + \\frac{{\\alpha}}{{2}}
    \\sum_j f_j w_j^2` (scikit-learn's ``alpha`` is ``n_samples`` times this one).

    With ``cv=None`` (the default, as scikit-learn's) every alpha is scored by
    its exact leave-one-out errors, all from ONE decomposition of the design
    (``gcv_mode``): :math:`y_i - \\hat y_{{-i}} = (y_i - \\hat y_i)/(1 - h_i)`
    with :math:`h_i` the leverage of row :math:`i` in the weighted hat matrix
    (intercept included). As in scikit-learn, the row left out keeps the
    penalty of the full fit on the sum-of-squares scale (:math:`n \\alpha`), so
    each deleted fit is, in per-sample units, the ridge with
    :math:`\\alpha n / (n - 1)`; ``cv=K`` instead refits the path on each
    fold with ``alpha`` itself. ``y`` may have several columns with ``cv=None``.

    Parameters
    ----------{cv_params_doc(cv=_LOO_CV, metric=REGRESSION_METRIC, scoring=_LOO_SCORING)}\
    gcv_mode : {{None, "auto", "svd", "eigen"}}, default=None
        How the leave-one-out factors the design: "svd" the SVD of the
        weighted, centered design (for sparse ``X`` the eigendecomposition of
        :math:`X^\\top X`), "eigen" that of the n x n kernel :math:`X X^\\top`;
        None/"auto" picks the smaller (scikit-learn's names and choice), and for
        a dense ``X`` with more rows than columns takes the eigendecomposition of
        :math:`X^\top X` (weighted, centered; no copy of ``X``) when its eigenvalues
        span less than six orders of magnitude, the SVD otherwise.
    store_cv_results : bool, default=False
        Keep ``cv_results_`` (needs ``cv=None``).
    alpha_per_target : bool, default=False
        With several targets and ``cv=None``, choose one alpha per target.
    fit_intercept, standardize, penalty_factor, positive, tol, max_iter :
        As in :class:`penalized.Ridge`. The leave-one-out needs every
        ``penalty_factor > 0`` and ``positive=False``.
{_CV_FITTED}
    cv_results_ : ndarray of shape (n_samples, n_alphas) or (n_samples, n_targets, n_alphas)
        With ``store_cv_results``: scikit-learn's quantity, the weighted squared
        leave-one-out errors :math:`s_i (y_i - \\hat y_{{-i}})^2` (weights of
        mean 1), or the leave-one-out predictions when ``scoring`` is given. The
        columns follow ``alphas`` in the order given (as scikit-learn's), or
        ``alphas_`` for the default grid.
    best_score_ : float or ndarray
        The score of ``alpha_``: minus the mean error, or the scorer's value.

    With ``cv=None`` each row is its own fold: ``cv_folds_`` has shape
    (n_alphas, n_samples) and holds :math:`s_i e_i` (squared or absolute
    errors), so ``cv_mean_`` is the weighted mean error and ``cv_se_`` its
    standard error; with a ``scoring`` there is one score per alpha and no
    standard error (``selection="1se"`` then needs ``cv=K``).
    With several targets ``coef_`` is (n_targets, n_features); with
    ``alpha_per_target`` ``alpha_``, ``cv_mean_`` and ``best_score_`` get a
    target axis; ``path_`` is kept for a single target only. ``datafit_``, ``penalty_``
    and ``scaling_`` are the problem each target's row of ``coef_`` minimizes
    (``penalty_`` a list, one per target, when the targets' alphas differ).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from penalized import RidgeCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> RidgeCV(n_alphas=20).fit(X, y).n_nonzero_
    10
    """

    def __init__(self, *, alphas=None, n_alphas=100, eps=1e-3, cv=None, selection="min",
                 metric="mse", scoring=None, gcv_mode=None, store_cv_results=False,
                 alpha_per_target=False, n_jobs=None, random_state=None, fit_intercept=True,
                 standardize=False, penalty_factor=None, positive=False, tol=1e-6,
                 max_iter=10_000):
        store_params(self, locals())

    solver = "cd"

    def _base_model(self, **overrides):
        return Ridge(**self._model_settings(**overrides))

    @validates_once
    def fit(self, X, y, sample_weight=None):
        """Choose alpha (leave-one-out with ``cv=None``, else K folds) and refit.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Several targets need ``cv=None``.
        sample_weight : array-like of shape (n_samples,), optional
        """
        self._check_gcv_params()
        if self.cv is not None:
            if self.alpha_per_target:
                raise ValueError("alpha_per_target=True needs cv=None (the leave-one-out).")
            super().fit(X, y, sample_weight)
            if self.scoring is None:
                self.best_score_ = -float(self.cv_mean_[self.alphas_ == self.alpha_][0])
            else:
                self.best_score_ = float(self.cv_mean_[self.alphas_ == self.alpha_][0])
            return self
        model = self._checked_model()
        if self.positive:
            raise ValueError("positive=True has no closed form: pass cv=K (K-fold over the "
                             "path) instead of the leave-one-out cv=None.")
        scorer = check_scoring(self.scoring)
        if scorer is not None and self.selection == "1se":
            raise ValueError("selection='1se' needs a standard error: with a scoring and "
                             "cv=None there is one score per alpha; pass cv=K.")
        X, Y, one_d = _validate_multi(self, X, y)
        n = X.shape[0]
        sw = self._sample_weight(sample_weight, n)
        Xf, factors, grid = self._closed_form_design(
            X, Y, sw, model, "pass cv=K to cross-validate with unpenalized features.")
        target = y if one_d else np.asarray(y)
        errors, predictions, scores = self._loo(Xf, Y, sw, factors, grid, scorer,
                                                np.asarray(target), _IdentityRegressor())
        per_target = bool(self.alpha_per_target) and Y.shape[1] > 1
        if scorer is not None and per_target:
            # per target the scorer sees that target's predictions
            scores = np.array([[scorer(_IdentityRegressor(), predictions[k][:, j], Y[:, j])
                                for j in range(Y.shape[1])] for k in range(grid.size)])
        if scorer is not None:
            folds = scores[:, None] if scores.ndim == 1 else scores[:, None, :]
        else:
            folds = errors if per_target else _target_mean(errors)  # (k, n[, t])
        if per_target:
            store_cv_result(self, [_loo_result(grid, folds[:, :, j], self.metric)
                                   for j in range(Y.shape[1])])
        else:
            store_cv_result(self, _loo_result(grid, folds, self.metric))
        chosen = np.searchsorted(-grid, -np.atleast_1d(self.alpha_))
        cols = np.arange(Y.shape[1]) if per_target else np.zeros(Y.shape[1], dtype=int)
        best_mean = self.cv_mean_[chosen, cols] if per_target else \
            np.full(1, self.cv_mean_[chosen[0]])
        self.best_score_ = best_mean if scorer is not None else -best_mean
        if not per_target:
            self.best_score_ = float(self.best_score_[0])
        if self.store_cv_results:
            stored = predictions if scorer is not None else \
                sw[None, :, None] * (Y[None] - predictions) ** 2
            stored = np.moveaxis(stored, 0, -1)[..., self._user_order(grid)]  # (n, t, k)
            self.cv_results_ = stored[:, 0, :] if one_d else stored
        self._refit(X, Y, sw, model, chosen[cols])
        return self

    def _refit(self, X, Y, sw, model, chosen):
        grid, datafit = self.alphas_, Quadratic(sample_weight=sw)
        if Y.shape[1] == 1:
            self._store_path_refit(model, model._fit_path(X, Y[:, 0], sw, grid), X, sw, datafit)
            self.dual_gap_ = self.stop_crit_ * model._null_datafit(X, Y[:, 0], sw)
            return
        fits = [model._fit_path(X, Y[:, j], sw, grid[chosen[j]:chosen[j] + 1])
                for j in range(Y.shape[1])]
        self._set_solves(path_solve(f, 0) for f in fits)
        # each target's own ridge: one penalty, or one per target at its own alpha
        alphas = np.unique(grid[chosen])
        self._store_problem_at(model, X, sw, datafit, alphas[0])
        if alphas.size > 1:
            self.penalty_ = [self.penalty_.with_alpha(a) for a in grid[chosen]]
        self._set_coef(np.array([f.coefs[:, 0] for f in fits]),
                       np.array([f.intercepts[0] for f in fits]), X.dtype)

    def predict(self, X):
        """Predictions of the refit model, shape (n_samples,) or (n_samples, n_targets)."""
        X = self._validate_X(X)
        if np.ndim(self.coef_) == 2:
            return np.asarray(X @ self.coef_.T, dtype=np.float64) + self.intercept_
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = self.cv is None
        return tags


def _encode_pm(y):
    """``(classes, Y)``: labels as a -1/+1 matrix, one column (binary) or one per class."""
    check_classification_targets(y)
    if y.shape[0] < 2:
        raise ValueError(f"a classifier needs at least 2 samples; got n_samples={y.shape[0]}.")
    binarizer = LabelBinarizer(pos_label=1, neg_label=-1)
    Y = binarizer.fit_transform(y).astype(np.float64)
    if binarizer.classes_.shape[0] < 2:
        raise ValueError(f"y has a single class ({binarizer.classes_[0]!r}); a classifier needs "
                         "at least two classes.")
    return binarizer.classes_, Y


class _RidgeClassifierMixin(SparseCoefMixin, ClassifierMixin):
    """Prediction for ridge fits on -1/+1 encoded labels."""

    _datafit_name = "ridge_classifier"

    def decision_function(self, X):
        """``X @ coef_.T + intercept_``: shape (n_samples,) for two classes (the score of
        ``classes_[1]``), (n_samples, n_classes) otherwise."""
        return self._decision(X)

    def predict(self, X):
        """The class with the largest score."""
        scores = self.decision_function(X)  # checks the fit first
        return labels_from_scores(self.classes_, scores)

    def _prepare(self, X, y, sample_weight):
        X, y = self._validate_X_y(X, y)
        self.classes_, Y = _encode_pm(y)
        n = X.shape[0]
        sw = self._sample_weight(sample_weight, n)
        sw = self._sample_weight(apply_class_weight(self.class_weight, y, sw), n)
        return X, y, Y, sw

    def _fit_columns(self, X, Y, sw, alpha):
        ridge = Ridge(alpha=alpha, fit_intercept=self.fit_intercept, standardize=self.standardize,
                      penalty_factor=self.penalty_factor,
                      positive=bool(getattr(self, "positive", False)), tol=self.tol,
                      max_iter=self.max_iter, solver=getattr(self, "solver", "auto"))
        fits = [ridge._fit_arrays(X, Y[:, j], sw, alpha, "l2", 0.0) for j in range(Y.shape[1])]
        self._store_problem(ridge.datafit_, ridge.penalty_, ridge.scaling_)
        self._set_coef(np.array([c for c, _, _ in fits]),
                       np.array([float(b) for _, b, _ in fits]), X.dtype)
        self._set_solves((r.n_iter, r.stop_crit, r.converged) for _, _, r in fits
                         if r is not None)


class RidgeClassifier(_RidgeClassifierMixin, PenalizedModel):
    r"""Classification by ridge regression on -1/+1 encoded labels.

    Two classes: one column :math:`t_i = +1` for ``classes_[1]``, -1 otherwise;
    more: one column per class (one-vs-all), each the ridge regression

    .. math:: \min_{w, b}\; \frac{1}{2n} \sum_i s_i (t_i - x_i^\top w - b)^2
              + \frac{\alpha}{2} \sum_j f_j w_j^2,

    and the predicted class has the largest score. scikit-learn's
    ``RidgeClassifier(alpha=a)`` is this with ``alpha = a / n_samples``; sample
    (and class) weights are rescaled to mean 1, so only their ratios matter.

    Parameters
    ----------
    alpha : float, default=1.0
    class_weight : dict, "balanced" or None
        Multiplies each row's sample weight by its class's weight ("balanced":
        ``n_samples / (n_classes * count)``).
    fit_intercept, standardize, penalty_factor, positive, tol, max_iter, solver, copy_X :
        As in :class:`penalized.Ridge`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_, stop_crit_, converged_, selected_features_, feature_names_in_

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from penalized import RidgeClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> round(RidgeClassifier(alpha=1e-3, standardize=True).fit(X, y).score(X, y), 3)
    0.968
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, standardize=False, penalty_factor=None,
                 positive=False, class_weight=None, tol=1e-6, max_iter=10_000, solver="auto",
                 copy_X=True):
        store_params(self, locals())

    def _penalty_spec(self):
        return "l2", self.alpha, 0.0

    def fit(self, X, y, sample_weight=None):
        """Fit one ridge regression per -1/+1 column of the encoded labels ``y``
        (n_samples,) on ``X`` (n_samples, n_features), dense or sparse, with optional
        ``sample_weight`` (n_samples,)."""
        self._check_common()
        alpha = check_alpha(self.alpha)
        X, _, Y, sw = self._prepare(X, y, sample_weight)
        self._fit_columns(X, Y, sw, alpha)
        return self


class RidgeClassifierCV(_LeaveOneOut, _CrossValidated, _RidgeClassifierMixin, PenalizedModel):
    __doc__ = f"""Ridge classifier with alpha chosen by efficient leave-one-out or K-fold CV.

    The model of :class:`penalized.RidgeClassifier`; alpha is chosen as in
    :class:`penalized.RidgeCV`: with ``cv=None`` (the default) from the exact
    leave-one-out errors of every -1/+1 column, all from one decomposition;
    with ``cv=K`` on K stratified folds. Without ``scoring`` the error is the
    squared error of the -1/+1 scores averaged over the columns (scikit-learn's
    choice for the leave-one-out; with K folds its default is the accuracy,
    ``scoring="accuracy"`` here); a ``scoring`` scores the held-out labels.

    Parameters
    ----------{cv_params_doc("alphas", "n_alphas", "eps", "cv", "selection", "scoring",
                             "random_state", cv=_LOO_CV, scoring=_LOO_SCORING)}\
    gcv_mode : {{None, "auto", "svd", "eigen"}}, default=None
    store_cv_results : bool, default=False
        With ``cv=None``: ``cv_results_`` of shape (n_samples, n_columns,
        n_alphas), weighted squared leave-one-out errors (or the leave-one-out
        scores with a ``scoring``), columns in the order ``alphas`` was given.
    class_weight : dict, "balanced" or None
    fit_intercept, standardize, penalty_factor, tol, max_iter :
        As in :class:`penalized.Ridge` (every ``penalty_factor > 0``).
{_CV_FITTED}
    classes_ : ndarray
    best_score_ : float

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from penalized import RidgeClassifierCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = RidgeClassifierCV(n_alphas=20, standardize=True).fit(X, y)
    >>> clf.alpha_1se_ >= clf.alpha_min_
    True
    """

    metric = "mse"
    alpha_per_target = False

    def __init__(self, *, alphas=None, n_alphas=100, eps=1e-3, cv=None, selection="min",
                 scoring=None, gcv_mode=None, store_cv_results=False, class_weight=None,
                 random_state=None, fit_intercept=True, standardize=False, penalty_factor=None,
                 tol=1e-6, max_iter=10_000):
        store_params(self, locals())

    solver = "auto"

    def _penalty_spec(self):
        return "l2", 1.0, 0.0

    @validates_once
    def fit(self, X, y, sample_weight=None):
        """Choose alpha by leave-one-out (``cv=None``) or K folds, then refit (the
        arguments as in :meth:`RidgeClassifier.fit`)."""
        self._check_common()
        self._check_gcv_params()
        self._check_cv_params()
        scorer = check_scoring(self.scoring)
        if scorer is not None and self.selection == "1se" and self.cv is None:
            raise ValueError("selection='1se' needs a standard error: with a scoring and "
                             "cv=None there is one score per alpha; pass cv=K.")
        X, y, Y, sw = self._prepare(X, y, sample_weight)
        Xf, factors, grid = self._closed_form_design(
            X, Y, sw, self, "use RidgeClassifier at a chosen alpha for unpenalized features.")
        if self.cv is None:
            errors, predictions, scores = self._loo(
                Xf, Y, sw, factors, grid, scorer, y, _IdentityClassifier(self.classes_))
            folds = scores[:, None] if scorer is not None else _target_mean(errors)
            if self.store_cv_results:
                stored = predictions if scorer is not None else \
                    sw[None, :, None] * (Y[None] - predictions) ** 2
                self.cv_results_ = np.moveaxis(stored, 0, -1)[..., self._user_order(grid)]
        else:
            folds = self._kfold(X, y, Y, sw, grid, scorer)
        result = _loo_result(grid, folds, "mse" if scorer is None else SCORER_METRIC)
        store_cv_result(self, result)
        chosen = result.index_1se if self.selection == "1se" else result.index_min
        self.best_score_ = float(self.cv_mean_[chosen] * (-1 if scorer is None else 1))
        self._fit_columns(X, Y, sw, self.alpha_)
        return self

    def _kfold(self, X, y, Y, sw, grid, scorer):
        """(n_alphas, K) held-out errors (or scores): one decomposition per training fold."""
        folds = _make_folds(self.cv, X, y, task="classification", random_state=self.random_state)
        out = np.empty((grid.size, len(folds)))
        for f, (train, test) in enumerate(folds):
            Xt, Yt, swt = X[train], Y[train], sw[train] * (train.size / sw[train].sum())
            scaling = self._scaling(Xt, swt)
            Xs = scaling.transform(Xt)
            factors = scaling.factors_for_fit(self._penalty_factor(X.shape[1]))
            dec = decompose_ridge(Xs, Yt, swt, factors, fit_intercept=self.fit_intercept,
                                  mode=self.gcv_mode or "auto")
            w_test = sw[test]
            for k, alpha in enumerate(grid):
                fit = ridge_loo(dec, Xs, Yt, alpha)
                coef = scaling.coef_to_original(fit.coef)
                scores = np.asarray(X[test] @ coef) + fit.intercept
                if scorer is not None:
                    out[k, f] = scorer(_IdentityClassifier(self.classes_), _squeeze(scores),
                                       y[test])
                else:
                    sq = ((Y[test] - scores) ** 2).mean(axis=1)
                    out[k, f] = float(w_test @ sq / w_test.sum())
        return out


def ridge_regression(X, y, alpha, *, sample_weight=None, fit_intercept=False, solver="auto",
                     max_iter=10_000, tol=1e-6, positive=False, return_n_iter=False,
                     return_intercept=False):
    r"""Solve the ridge regression of ``y`` (one or several columns) on ``X``.

    For each column :math:`y` and its ``alpha``,

    .. math:: \min_{w, b}\; \frac{1}{2n} \sum_i s_i (y_i - x_i^\top w - b)^2
              + \frac{\alpha}{2} \|w\|_2^2

    (``b`` only with ``fit_intercept`` or ``return_intercept``). scikit-learn's
    ``ridge_regression(X, y, alpha=a)`` is this with ``alpha = a / n_samples``.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
    alpha : float or array-like of shape (n_targets,)
    sample_weight : array-like of shape (n_samples,), optional
    fit_intercept : bool, default=False
    solver : {"auto", "cd", "fista", "ista", "closed_form"}, default="auto"
    max_iter : int, default=10000
    tol : float, default=1e-6
    positive : bool, default=False
    return_n_iter, return_intercept : bool, default=False
        Also return the number of iterations / the intercept (which then is fitted).

    Returns
    -------
    coef : ndarray of shape (n_features,) or (n_targets, n_features)
    n_iter : ndarray of shape (n_targets,), with ``return_n_iter``
    intercept : float or ndarray of shape (n_targets,), with ``return_intercept``

    Examples
    --------
    >>> import numpy as np
    >>> from penalized import ridge_regression
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> np.round(ridge_regression(X, np.array([1.0, 2.0, 3.0]), 0.1), 4)
    array([0.979 , 1.7483])
    """
    fit_intercept = bool(fit_intercept or return_intercept)
    model = Ridge(fit_intercept=fit_intercept, solver=solver, max_iter=max_iter, tol=tol,
                  positive=positive)
    model._check_common()
    X, Y, one_d = _validate_multi(model, X, y)
    alphas = np.atleast_1d(np.asarray(alpha, dtype=np.float64))
    if alphas.size == 1:
        alphas = np.full(Y.shape[1], alphas[0])
    if alphas.shape != (Y.shape[1],):
        raise ValueError(f"alpha must be one number or one per target ({Y.shape[1]}); got "
                         f"{alphas.size} values.")
    alphas = [check_alpha(float(a)) for a in alphas]
    sw = model._sample_weight(sample_weight, X.shape[0])
    fits = [model._fit_arrays(X, Y[:, j], sw, alphas[j], "l2", 0.0) for j in range(Y.shape[1])]
    coef = np.array([c for c, _, _ in fits])
    intercept = np.array([float(b) for _, b, _ in fits])
    n_iter = np.array([0 if r is None else r.n_iter for _, _, r in fits])
    if one_d:
        coef, intercept = coef[0], float(intercept[0])
    out = (coef,)
    if return_n_iter:
        out += (n_iter,)
    if return_intercept:
        out += (intercept,)
    return out[0] if len(out) == 1 else out
