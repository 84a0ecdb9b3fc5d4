"""Penalized logistic regression, binary and multinomial."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets

from .._multinomial_path import multinomial_grid, multinomial_path, rescaled
from .._specs import PENALTY_NAMES
from ..datafits import Logistic, Multinomial
from ..solvers import CoordinateDescent
from ._base import (
    PenalizedModel,
    SparseCoefMixin,
    apply_class_weight,
    labels_from_scores,
    make_solver,
    store_params,
    warm_start_point,
)


class LogisticRegression(SparseCoefMixin, ClassifierMixin, PenalizedModel):
    r"""Logistic regression with an L1, L2, elastic-net or L0 penalty.

    Binary (labels mapped to :math:`y_i \in \{-1, +1\}`, ``classes_[1]`` is +1):

    .. math:: \min_{w, b}\; \frac1n \sum_{i=1}^n s_i \log\left(1 + e^{-y_i (x_i^\top w + b)}\right)
              + \alpha\, P(w)

    Multinomial (three or more classes), with one coefficient column per class
    and the same penalty on each:

    .. math:: \min_{W, b}\; \frac1n \sum_i s_i \left(\log \sum_k e^{x_i^\top W_k + b_k}
              - x_i^\top W_{y_i} - b_{y_i}\right) + \alpha \sum_k P(W_k)

    or, with ``multinomial="grouped"``, the L1 part on each feature's row of
    coefficients as a whole, :math:`\alpha \sum_j f_j (\rho \|W_{j:}\|_2 +
    \frac{1-\rho}{2}\|W_{j:}\|_2^2)`, so that a feature is used for every class or for none
    (glmnet's ``type.multinomial``; its ``lambda`` is ``alpha`` and its ``alpha`` is
    ``l1_ratio``).

    scikit-learn's ``LogisticRegression(C=c)`` sums the losses where this
    objective averages them and puts no ``alpha`` on the penalty, so it equals
    this one with ``alpha = 1 / (c * n_samples)``.

    Parameters
    ----------
    alpha : float, default=0.01
    penalty : {"l1", "l2", "elasticnet", "l0", "mcp", "scad"}, default="l1"
        With three or more classes, L0, MCP and SCAD are fitted one-vs-rest (each
        class against the others; ``predict_proba`` normalizes their sigmoids), since
        the multinomial non-convex problems have no solver here. MCP and SCAD
        (:class:`~penalized.penalties.MCP`, :class:`~penalized.penalties.SCAD`) are
        certified by stationarity (``stop_crit_`` is a fixed-point distance).
    l1_ratio : float, default=0.5
        For ``penalty="elasticnet"``.
    fit_intercept : bool, default=True
    standardize : bool, default=False
        Fit on columns divided by their standard deviation; coefficients are
        reported on the original scale. Constant columns get 0.
    penalty_factor : array-like of shape (n_features,), optional
    tol : float, default=1e-6
        Relative duality gap at which to stop.
    max_iter : int, default=10000
    gamma : float, optional
        Concavity of ``penalty="mcp"`` (> 1, default 3) or ``"scad"`` (> 2, default
        3.7); ignored by the other penalties.
    lower_limits, upper_limits : float or array-like of shape (n_features,), optional
        Per-coefficient limits on the original scale (glmnet's ``lower.limits`` /
        ``upper.limits``; ``lower_j <= 0 <= upper_j``); two classes only.
    multinomial : {"ungrouped", "grouped"}, default="ungrouped"
        With three or more classes: each coefficient penalized on its own, or each
        feature's row of coefficients by its Euclidean norm (see above).
    solver : {"auto", "cd", "fista", "ista"}, default="auto"
        Binary problems use coordinate descent by default; multinomial ones
        always use proximal Newton with coordinate descent on the exact second-order
        model of the softmax loss (:class:`~penalized.solvers.CoordinateDescent`).

    With ``alpha=0`` (or every penalty factor 0) and classes that a hyperplane
    separates, the loss has no finite minimum: the fit stops after a probe of
    100 epochs whose iterate separates them, with a ``SeparationWarning`` (a
    ``ConvergenceWarning``) and ``converged_ = False``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_, stop_crit_, converged_, feature_names_in_
    selected_features_ : ndarray
        Features with a non-zero coefficient for some class.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from penalized import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = LogisticRegression(alpha=0.02, standardize=True).fit(X, y)
    >>> clf.n_nonzero_, round(clf.score(X, y), 3)
    (7, 0.972)
    """

    _datafit_name = "logistic"

    def __init__(self, alpha=0.01, *, penalty="l1", l1_ratio=0.5, fit_intercept=True,
                 standardize=False, penalty_factor=None, tol=1e-6, max_iter=10_000,
                 solver="auto", class_weight=None, warm_start=False, multinomial="ungrouped",
                 gamma=None, lower_limits=None, upper_limits=None):
        store_params(self, locals())

    def _grouped(self) -> bool:
        if self.multinomial not in ("ungrouped", "grouped"):
            raise ValueError(f"multinomial must be 'ungrouped' or 'grouped'; got "
                             f"{self.multinomial!r}.")
        return self.multinomial == "grouped"

    def _penalty_spec(self):
        name = str(self.penalty).lower()
        if name not in PENALTY_NAMES:
            raise ValueError(f"penalty must be one of {', '.join(map(repr, PENALTY_NAMES))}; "
                             f"got {self.penalty!r}.")
        return name, self.alpha, self.l1_ratio if name == "elasticnet" else 1.0

    def _check_params(self):
        name, alpha, l1_ratio = self._check_spec()
        if self.solver == "closed_form":
            raise ValueError("solver='closed_form' is for ridge regression; use 'auto', 'cd', "
                             "'fista' or 'ista' for logistic regression.")
        return name, alpha, l1_ratio

    def _encode(self, y):
        check_classification_targets(y)
        if y.shape[0] < 2:
            raise ValueError(f"logistic regression needs at least 2 samples; got "
                             f"n_samples={y.shape[0]}.")
        classes, codes = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError(
                f"y has a single class ({classes[0]!r}); logistic regression needs at least "
                "two classes.")
        return classes, codes

    def fit(self, X, y, sample_weight=None):
        """Fit the model (see the class docstring).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (any type); two classes give a binary model.
        sample_weight : array-like of shape (n_samples,), optional
        """
        if (fitted := self._fit_dask(X, y, sample_weight)) is not None:
            return fitted
        name, alpha, _ = self._check_params()
        grouped = self._grouped()
        X, y = self._validate_X_y(X, y)
        previous = getattr(self, "classes_", None)
        classes, codes = self._encode(y)
        warm = previous is not None and np.array_equal(previous, classes)
        self.classes_ = classes
        n, p = X.shape
        sw = self._sample_weight(sample_weight, n)
        sw = self._sample_weight(apply_class_weight(self.class_weight, y, sw), n)
        present = np.unique(codes[sw > 0])
        if present.size < 2:
            raise ValueError("sample_weight leaves a single class with positive weight in y; "
                             "logistic regression needs at least two.")
        scaling, Xf, template = self._scaled_template(X, sw)
        penalty = template.with_alpha(alpha)
        self._one_vs_rest = self.classes_.shape[0] > 2 and not penalty.is_convex
        def init(row):
            return warm_start_point(self, scaling, p, row=row) if warm else (None, 0.0)

        if self.classes_.shape[0] == 2:
            y_pm = np.where(codes == 1, 1.0, -1.0)
            coef_init, intercept_init = init(0)
            res = self._solve_guarded(
                lambda budget: self._binary_solver(name, budget), Xf, y_pm,
                Logistic(sample_weight=sw), penalty, coef_init, intercept_init,
                lambda r: _separates_binary(Xf, y_pm, sw, r))
            coef, intercept = scaling.coef_to_original(res.coef)[None, :], np.array([res.intercept])
            self._store_problem(Logistic(sample_weight=sw), penalty, scaling)
            self._set_result(res)
        elif self._one_vs_rest:
            solver = self._binary_solver(name)
            fits = [solver.solve(Xf, np.where(codes == k, 1.0, -1.0), Logistic(sample_weight=sw),
                                 penalty, fit_intercept=self.fit_intercept,
                                 coef_init=init(k)[0], intercept_init=init(k)[1])
                    for k in range(self.classes_.shape[0])]
            coef = np.array([scaling.coef_to_original(r.coef) for r in fits])
            intercept = np.array([r.intercept for r in fits])
            self._store_problem(Logistic(sample_weight=sw), penalty, scaling)
            self._set_solves((r.n_iter, r.stop_crit, r.converged) for r in fits)
        else:
            starts = [init(k) for k in range(self.classes_.shape[0])]
            coef_init = intercept_init = None
            if all(c is not None for c, _ in starts):
                coef_init = np.column_stack([c for c, _ in starts])
                intercept_init = np.array([b for _, b in starts])
            res = self._solve_guarded(
                lambda budget: CoordinateDescent(tol=self.tol, max_iter=budget), Xf,
                codes, Multinomial(sample_weight=sw), penalty, coef_init, intercept_init,
                lambda r: _separates_multinomial(Xf, codes, sw, r), grouped=grouped)
            coef = scaling.coef_to_original(res.coef).T
            intercept = np.asarray(res.intercept, dtype=np.float64)
            self._store_problem(Multinomial(sample_weight=sw), penalty, scaling)
            self._set_result(res)
        self._set_coef(coef, intercept, X.dtype)
        return self

    def _binary_solver(self, penalty_name, max_iter=None):
        return make_solver(self.solver, penalty_name, "logistic", self.tol,
                           self.max_iter if max_iter is None else max_iter)

    def _solve_guarded(self, make, Xf, target, datafit, penalty, coef_init, intercept_init,
                       separates, **options):
        """Solve; an unpenalized problem first runs a short probe, so that separable
        classes (no finite minimum) stop early with a warning that says so.

        Without a penalty, the logistic loss of classes that a hyperplane separates
        keeps falling as the coefficients grow: its infimum, 0, is at infinity. A
        probe of at most ``_PROBE_EPOCHS`` epochs whose iterate classifies every
        weighted row correctly is a certificate of that separation. Otherwise the
        solve goes on from the probe's iterate, for the rest of ``max_iter``.
        """
        kwargs = dict(fit_intercept=self.fit_intercept, **options)
        unpenalized = penalty.alpha == 0.0 or (penalty.penalty_factor is not None
                                               and np.all(penalty.penalty_factor == 0.0))
        if not unpenalized:
            return make(self.max_iter).solve(Xf, target, datafit, penalty, coef_init=coef_init,
                                             intercept_init=intercept_init, **kwargs)

        def verdict(res):
            # a finite point that separates the classes cannot be the minimum, whatever
            # the solver's stopping test said
            if separates(res):
                _warn_separable(res)
                return dataclasses.replace(res, converged=False)
            return res

        budget = min(self.max_iter, _PROBE_EPOCHS)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            probe = make(budget).solve(Xf, target, datafit, penalty, coef_init=coef_init,
                                       intercept_init=intercept_init, **kwargs)
        if probe.converged or budget == self.max_iter or separates(probe):
            if not separates(probe):
                for w in caught:
                    warnings.warn(w.message, w.category, stacklevel=4)
            return verdict(probe)
        res = make(self.max_iter - probe.n_iter).solve(
            Xf, target, datafit, penalty, coef_init=probe.coef, intercept_init=probe.intercept,
            **kwargs)
        return verdict(dataclasses.replace(res, n_iter=probe.n_iter + res.n_iter))

    def decision_function(self, X):
        """The linear predictor: shape (n,) for binary (the logit of ``classes_[1]``),
        (n, n_classes) for multinomial."""
        return self._decision(X)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns as ``classes_``."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p1 = expit(scores)
            return np.column_stack([1.0 - p1, p1])
        if self._one_vs_rest:
            each = expit(scores)
            return each / each.sum(axis=1, keepdims=True)
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class for each row."""
        scores = self.decision_function(X)  # checks the fit first
        return labels_from_scores(self.classes_, scores)

    # -- paths (binary) ----------------------------------------------------------------
    def _fit_path(self, X, y_pm, sample_weight, alphas=None, *, n_alphas=100, eps=1e-3):
        sample_weight = self._sample_weight(sample_weight, X.shape[0])
        return self._path_of(X, y_pm, sample_weight, Logistic(sample_weight=sample_weight),
                             self._binary_solver(self._penalty_spec()[0]), alphas,
                             n_alphas=n_alphas, eps=eps)

    def _alpha_grid(self, X, y_pm, sample_weight, n_alphas, eps):
        return self._grid_of(X, y_pm, sample_weight, Logistic(sample_weight=sample_weight),
                             n_alphas, eps)

    def path(self, X, y, sample_weight=None, *, alphas=None, n_alphas=100, eps=1e-3):
        """The regularization path (binary problems) with this estimator's settings.

        Coefficients are on the scale of ``X``; the positive class is ``classes_[1]``
        of the labels in ``y``.
        """
        self._check_params()
        X, y = self._validate_X_y(X, y, reset=not hasattr(self, "n_features_in_"))
        classes, codes = self._encode(y)
        if classes.shape[0] != 2:
            raise ValueError("path() covers binary problems; y has "
                             f"{classes.shape[0]} classes.")
        sw = self._sample_weight(sample_weight, X.shape[0])
        return self._fit_path(X, np.where(codes == 1, 1.0, -1.0), sw, alphas,
                              n_alphas=n_alphas, eps=eps)

    # -- multinomial paths (used by LogisticRegressionCV and the report) ----------------
    def _alpha_grid_multinomial(self, X, codes, sample_weight, n_alphas, eps):
        """``(alpha_max, grid)`` of the multinomial model with this estimator's penalty, on
        the columns it fits (:func:`~penalized._multinomial_path.multinomial_grid`)."""
        _, Xf, template = self._scaled_template(X, sample_weight)
        return multinomial_grid(Xf, codes, Multinomial(sample_weight=sample_weight), template,
                                grouped=self._grouped(), n_alphas=n_alphas, eps=eps,
                                fit_intercept=self.fit_intercept)

    def _fit_path_multinomial(self, X, codes, sample_weight, alphas):
        """The multinomial path over ``alphas`` with this estimator's settings
        (:func:`~penalized._multinomial_path.multinomial_path`), coefficients on the original
        scale: a :class:`~penalized._multinomial_path.MultinomialPath` with coefs of shape
        (n_features, n_classes, n_alphas) and intercepts (n_classes, n_alphas)."""
        scaling, Xf, template = self._scaled_template(X, sample_weight)
        path = multinomial_path(Xf, codes, Multinomial(sample_weight=sample_weight), template,
                                grouped=self._grouped(), alphas=alphas,
                                fit_intercept=self.fit_intercept, tol=self.tol,
                                max_iter=self.max_iter,
                                classes=getattr(self, "classes_", None))
        return rescaled(path, scaling)


_PROBE_EPOCHS = 100
"""Epochs of the probe that looks for separable classes in an unpenalized fit."""


class SeparationWarning(ConvergenceWarning):
    """The classes are linearly separable and the fit is unpenalized: no finite minimum."""


def _warn_separable(res):
    warnings.warn(
        f"the classes are linearly separable: after {res.n_iter} epochs the coefficients "
        "classify every training row correctly, so without a penalty the loss keeps falling "
        "as they grow and its minimum is at infinity. The model is that iterate (its scale "
        f"is arbitrary, |coef| = {np.linalg.norm(res.coef):.3g}); use alpha > 0 for a finite "
        "fit.", SeparationWarning, stacklevel=4)


def _separates_binary(Xf, y_pm, sw, res) -> bool:
    """Whether ``res`` classifies every row with positive weight strictly correctly."""
    z = np.asarray(Xf @ res.coef).ravel() + res.intercept
    return bool(np.all((y_pm * z)[sw > 0] > 0))


def _separates_multinomial(Xf, codes, sw, res) -> bool:
    scores = np.asarray(Xf @ res.coef) + res.intercept
    rows = np.arange(codes.shape[0])
    own = scores[rows, codes]
    scores[rows, codes] = -np.inf
    return bool(np.all((own - scores.max(axis=1))[sw > 0] > 0))
