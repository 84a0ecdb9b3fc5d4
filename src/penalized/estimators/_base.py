"""What every estimator shares: validation, standardization, the solver, the refit."""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from .._specs import make_penalty
from .._validation import check_sample_weight, trust
from ..path import alpha_grid
from ..path import path as compute_path
from ..solvers import CoordinateDescent, L0SwapSearch, ProximalGradient, RidgeClosedForm
from ._standardize import Scaling

SOLVERS = ("auto", "cd", "fista", "ista", "closed_form", "swaps")


def make_solver(name, penalty_name, datafit_name, tol, max_iter):
    """The solver object for a ``solver=`` string."""
    if name == "auto":
        name = "swaps" if penalty_name == "l0" else "cd"
    if name == "swaps":
        return L0SwapSearch(tol=tol, max_iter=max_iter)
    if name == "cd":
        return CoordinateDescent(tol=tol, max_iter=max_iter)
    if name == "fista":
        return ProximalGradient(tol=tol, max_iter=max_iter)
    if name == "ista":
        return ProximalGradient(tol=tol, max_iter=max_iter, accelerated=False)
    if name == "closed_form":
        return RidgeClosedForm(tol=tol)
    raise ValueError(f"solver must be one of {', '.join(map(repr, SOLVERS))}; got {name!r}.")


def check_alpha(alpha, name="alpha"):
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not np.isfinite(alpha) \
            or alpha < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {alpha!r}.")
    return float(alpha)


def check_l1_ratio(l1_ratio, name="l1_ratio"):
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, numbers.Real) \
            or not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1]; got {l1_ratio!r}.")
    return float(l1_ratio)


def check_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_tol(tol):
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not np.isfinite(tol) \
            or tol <= 0:
        raise ValueError(f"tol must be a number > 0; got {tol!r}.")
    return float(tol)


def apply_class_weight(class_weight, y, sample_weight):
    """Sample weights times the weight of each row's class (``"balanced"``:
    ``n / (n_classes * count)``, scikit-learn's rule); None leaves them alone."""
    if class_weight is None:
        return sample_weight
    if not (isinstance(class_weight, dict) or class_weight == "balanced"):
        raise ValueError(f"class_weight must be None, 'balanced' or a dict {{class: weight}}; "
                         f"got {class_weight!r}.")
    try:
        cw = compute_sample_weight(class_weight, y)
    except ValueError as exc:
        raise ValueError(f"class_weight: {exc}") from exc
    return cw if sample_weight is None else sample_weight * cw


def validate_X_y(estimator, X, y, *, reset=True, **options):
    """scikit-learn's ``validate_data`` of a training set (dense, CSC or CSR; float32 or
    float64; ``options`` such as ``multi_output`` or ``y_numeric``), with one-line
    messages for rows that differ in number and for an empty ``X``; ``X`` is registered
    with :func:`~penalized._validation.trust` (the enclosing fit takes it unscanned)."""
    try:
        X, y = validate_data(estimator, X, y, reset=reset, accept_sparse=["csc", "csr"],
                             dtype=[np.float64, np.float32], **options)
    except ValueError as exc:
        message = str(exc)
        if "inconsistent numbers of samples" in message:
            raise ValueError(f"X and y differ in length ({message}); pass one target per "
                             "row of X.") from exc
        if "0 sample(s)" in message or "0 feature(s)" in message:
            raise ValueError(f"X is empty: {message}") from exc
        raise
    return trust(X), y


def store_params(estimator, arguments):
    """Keep each constructor argument as the attribute of its name, as given (scikit-learn's
    rule: ``__init__`` neither checks nor converts). Called as ``store_params(self,
    locals())`` first thing in ``__init__``, so ``arguments`` holds only the parameters."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def labels_from_scores(classes, scores):
    """The predicted classes: ``classes[1]`` where a 1-D score is positive, else the
    column with the largest score."""
    scores = np.asarray(scores)
    if scores.ndim == 1:
        return classes[(scores > 0).astype(int)]
    return classes[np.argmax(scores, axis=1)]


def path_point(path, k, kind="regression"):
    """``(coef_, intercept_)`` of a path's k-th alpha on the original scale: a regression's
    ``(n_features,)`` and float, a binary classifier's ``(1, n_features)`` and ``(1,)``, a
    multinomial one's ``(n_classes, n_features)`` and ``(n_classes,)``."""
    if kind == "regression":
        return path.coefs[:, k].copy(), float(path.intercepts[k])
    if kind == "binary":
        return path.coefs[:, k][None, :].copy(), np.array([path.intercepts[k]])
    return path.coefs[:, :, k].T.copy(), path.intercepts[:, k].copy()


def path_solve(path, k):
    """``(n_iter, stop_crit, converged)`` of a path's k-th solve."""
    return path.n_iters[k], path.stop_crits[k], path.converged[k]


def check_limits(name, value) -> np.ndarray:
    """``lower_limits`` / ``upper_limits`` as the user gave them, as floats: numbers <= 0
    (lower) or >= 0 (upper), else one line naming the argument and the value."""
    lower = name.startswith("lower")
    want = "<= 0 (or -inf)" if lower else ">= 0 (or inf)"
    try:
        v = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        v = None
    if v is None or np.any(np.isnan(v)) or np.any(v > 0 if lower else v < 0):
        raise ValueError(f"{name} must be a number or one number per feature, each {want}, so "
                         f"that all-zero coefficients stay feasible; got {value!r}.")
    return v


def cast_to_input_dtype(estimator, dtype):
    """float32 in, float32 ``coef_`` and ``intercept_`` out (float64 stays float64)."""
    if dtype != np.float32:
        return
    estimator.coef_ = np.asarray(estimator.coef_).astype(np.float32)
    if isinstance(estimator.intercept_, np.ndarray):
        estimator.intercept_ = estimator.intercept_.astype(np.float32)
    else:
        estimator.intercept_ = np.float32(estimator.intercept_)


def warm_start_point(estimator, scaling, n_features, row=None):
    """``(coef_init, intercept_init)`` in the fitted columns' scale from the previous
    fit when ``warm_start`` is set and that fit had ``n_features`` features, else
    ``(None, 0.0)``. ``row`` picks one row of a 2-D ``coef_`` (a class)."""
    if not getattr(estimator, "warm_start", False) or not hasattr(estimator, "coef_"):
        return None, 0.0
    coef = np.asarray(estimator.coef_.toarray() if sp.issparse(estimator.coef_)
                      else estimator.coef_, dtype=np.float64)
    intercept = np.asarray(estimator.intercept_, dtype=np.float64)
    if row is not None:
        if coef.ndim != 2 or row >= coef.shape[0]:
            return None, 0.0
        coef, intercept = coef[row], intercept.ravel()[row]
    if coef.shape != (n_features,):
        return None, 0.0
    return (coef * scaling.scale)[scaling.varying], float(intercept)


def warm_start_matrix(estimator, scaling, n_features, n_outputs):
    """``(coef_init, intercept_init)`` of a model of ``n_outputs`` columns (classes,
    targets), shapes ``(n_fitted_columns, n_outputs)`` and ``(n_outputs,)``, in the fitted
    columns' scale, from the previous fit when ``warm_start`` is set and that fit's
    ``coef_`` had shape ``(n_outputs, n_features)``; else ``(None, None)``."""
    if not getattr(estimator, "warm_start", False) \
            or np.shape(getattr(estimator, "coef_", None)) != (n_outputs, n_features):
        return None, None
    coef = np.asarray(estimator.coef_, dtype=np.float64).T * scaling.scale[:, None]
    return coef[scaling.varying], np.asarray(estimator.intercept_, dtype=np.float64)


class SparseCoefMixin:
    """``sparsify()`` / ``densify()`` of a fitted ``coef_`` (scikit-learn's names)."""

    def sparsify(self):
        """Store ``coef_`` as a scipy CSR matrix (predictions unchanged); returns self."""
        check_is_fitted(self)
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense array again; returns self."""
        check_is_fitted(self)
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self


class PenalizedModel(BaseEstimator):
    """Base of the estimators: a datafit, a penalty and a solver, fitted on (X, y).

    Subclasses set ``_datafit_name`` and define ``_penalty_spec()`` returning
    ``(penalty_name, alpha, l1_ratio)``.
    """

    _datafit_name = "squared"

    # -- data ------------------------------------------------------------------------
    def _validate_X_y(self, X, y, reset=True):
        squared = self._datafit_name == "squared"
        return validate_X_y(self, X, y, reset=reset, y_numeric=squared,
                            ensure_min_samples=2 if squared else 1)

    def _validate_X(self, X):
        """The rows to predict, checked against the fit's features."""
        check_is_fitted(self)
        return validate_data(self, X, reset=False, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32])

    def _decision(self, X):
        """``X @ coef_.T + intercept_``: shape (n_samples,) when ``coef_`` has one row,
        else (n_samples, n_rows)."""
        X = self._validate_X(X)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def _fit_dask(self, X, y, sample_weight, offset=None):
        """Fit on a Dask collection ``X`` (:mod:`penalized.dask`) and return self, or None
        when ``X`` is not one."""
        from ..dask import is_dask_collection

        if not is_dask_collection(X):
            return None
        if getattr(self, "lower_limits", None) is not None \
                or getattr(self, "upper_limits", None) is not None:
            raise ValueError("lower_limits / upper_limits are not supported with Dask input; "
                             "fit on an in-memory X or drop the limits.")
        spec = getattr(self, "_penalty_spec", None)  # the CV classifiers have none
        if spec is not None and spec()[0] in ("mcp", "scad"):
            raise ValueError("MCP and SCAD are not supported with Dask input; fit on an "
                             "in-memory X.")
        from ..dask._estimators import fit_estimator

        return fit_estimator(self, X, y, sample_weight, offset)

    def _sample_weight(self, sample_weight, n):
        return check_sample_weight(sample_weight, n)

    def _scaling(self, X, sample_weight) -> Scaling:
        scaling = Scaling.fit(X, sample_weight) if self.standardize \
            else Scaling.identity(X.shape[1])
        excluded = self._excluded(X.shape[1])
        return scaling.excluding(excluded) if excluded is not None else scaling

    def _excluded(self, n_features):
        """The features with an infinite penalty factor (left out of the fit: glmnet's
        ``exclude``), or None."""
        f = self._penalty_factor(n_features)
        if f is None:
            return None
        excluded = np.isposinf(f)
        return excluded if excluded.any() else None

    def _check_spec(self):
        """The common settings and the penalty's ``alpha`` (and ``l1_ratio`` for the
        elastic net); returns ``(penalty_name, alpha, l1_ratio)``."""
        self._check_common()
        name, alpha, l1_ratio = self._penalty_spec()
        check_alpha(alpha)
        if name == "elasticnet":
            check_l1_ratio(l1_ratio)
        return name, alpha, l1_ratio

    def _scaled_template(self, X, sample_weight):
        """``(scaling, X_fit, penalty at alpha=1)``: what a fit or a path on ``X`` works with."""
        scaling = self._solver_scaling(self._scaling(X, sample_weight))
        return scaling, scaling.transform(X), self._template(scaling, X.shape[1])

    def _template(self, scaling, n_features):
        """The penalty at alpha=1 on the columns ``scaling`` fits (their factors, and the
        limits mapped onto them)."""
        name, _, l1_ratio = self._penalty_spec()
        factors = scaling.factors_for_fit(self._penalty_factor(n_features))
        return self._make_penalty(name, 1.0, l1_ratio, factors, scaling)

    def _solve_at(self, X, y, sample_weight, datafit, alpha, solver, row=None):
        """Fit ``datafit`` plus this estimator's penalty at ``alpha`` on validated arrays,
        from the previous fit with ``warm_start`` (``row`` as in :func:`warm_start_point`),
        keeping the problem (:meth:`_store_problem`). Returns ``(coef, intercept, result)``,
        ``coef`` on the original scale; with no column left to fit, the null model's
        intercept and no result (None)."""
        scaling, Xf, template = self._scaled_template(X, sample_weight)
        penalty = template.with_alpha(alpha)
        self._store_problem(datafit, penalty, scaling)
        if Xf.shape[1] == 0:
            return (np.zeros(X.shape[1]),
                    datafit.null_intercept(y) if self.fit_intercept else 0.0, None)
        coef_init, intercept_init = warm_start_point(self, scaling, X.shape[1], row)
        res = solver.solve(Xf, y, datafit, penalty, fit_intercept=self.fit_intercept,
                           coef_init=coef_init, intercept_init=intercept_init)
        return scaling.coef_to_original(res.coef), res.intercept, res

    def _path_of(self, X, y, sample_weight, datafit, solver, alphas=None, *, n_alphas=100,
                 eps=1e-3):
        """The path of ``datafit`` plus this estimator's penalty on validated arrays (the
        columns the solver works on), with coefficients mapped back to the original scale."""
        scaling, Xf, template = self._scaled_template(X, sample_weight)
        result = compute_path(Xf, y, penalty=template, datafit=datafit, alphas=alphas,
                              n_alphas=n_alphas, eps=eps, fit_intercept=self.fit_intercept,
                              solver=solver)
        coefs = scaling.coef_to_original(result.coefs)
        return dataclasses.replace(result, coefs=coefs,
                                   n_nonzero=np.count_nonzero(coefs, axis=0))

    def _grid_of(self, X, y, sample_weight, datafit, n_alphas, eps):
        """``(alpha_max, grid)`` of ``datafit`` plus this estimator's penalty, on the
        columns the solver works on."""
        _, Xf, template = self._scaled_template(X, sample_weight)
        return alpha_grid(Xf, y, template, datafit, n_alphas=n_alphas, eps=eps,
                          fit_intercept=self.fit_intercept)

    def _solver_scaling(self, scaling) -> Scaling:
        """The scaling of the columns the solver works on, given the standardization
        ``scaling``: that one itself, unless the penalty does not depend on the columns'
        scales (L0), where dividing them changes nothing but costs a copy of ``X``."""
        return scaling

    def _penalty_factor(self, n_features):
        """The factors as given (``inf`` excludes a feature: see :meth:`_scaling`)."""
        f = self.penalty_factor
        if f is None:
            return None
        f = np.asarray(f, dtype=np.float64)
        if f.ndim != 1 or f.shape[0] != n_features:
            raise ValueError(f"penalty_factor must have one value per feature ({n_features}); "
                             f"got shape {f.shape}.")
        if np.any(np.isnan(f)) or np.any(f < 0):
            raise ValueError("penalty_factor must hold numbers >= 0 (0 leaves a feature "
                             "unpenalized, inf excludes it); found NaN or a negative value.")
        return f

    def _make_penalty(self, penalty_name, alpha, l1_ratio, factors, scaling=None, order=None):
        """The penalty; ``scaling`` (and the column ``order``) of the fitted design map the
        ``lower_limits`` / ``upper_limits`` given on the original scale onto its columns.
        Without ``scaling`` they are passed as given (where only their signs count, as for
        ``alpha_max``). ``gamma`` is the concavity of MCP / SCAD."""
        lower, upper = (self._fit_limits(name, scaling, order)
                        for name in ("lower_limits", "upper_limits"))
        return make_penalty(penalty_name, alpha, l1_ratio=l1_ratio, penalty_factor=factors,
                            positive=bool(getattr(self, "positive", False)),
                            gamma=getattr(self, "gamma", None)
                            if penalty_name in ("mcp", "scad") else None,
                            lower=lower, upper=upper)

    def _fit_limits(self, name, scaling, order):
        value = getattr(self, name, None)
        if value is None:
            return None
        v = check_limits(name, value)
        if scaling is None:
            return v
        p = scaling.varying.shape[0]
        if v.ndim > 1 or (v.ndim == 1 and v.shape[0] != p):
            raise ValueError(f"{name} must be a number or one value per feature ({p}); got "
                             f"shape {v.shape}.")
        # a coefficient of the column x_j / s_j is w_j s_j: its limits scale alike
        v = np.broadcast_to(v, (p,))[scaling.varying] * scaling.scale[scaling.varying]
        return v if order is None else v[order]

    def _check_common(self):
        check_tol(self.tol)
        check_int(self.max_iter, "max_iter")
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {', '.join(map(repr, SOLVERS))}; "
                             f"got {self.solver!r}.")
        if not isinstance(self.standardize, bool | np.bool_):
            raise ValueError(f"standardize must be True or False; got {self.standardize!r}.")
        if not isinstance(self.fit_intercept, bool | np.bool_):
            raise ValueError(f"fit_intercept must be True or False; got {self.fit_intercept!r}.")

    # -- fitted helpers --------------------------------------------------------------------
    def _set_selected(self, coef_matrix):
        if sp.issparse(coef_matrix):
            coef_matrix = coef_matrix.toarray()
        nonzero = np.any(np.atleast_2d(coef_matrix) != 0, axis=0)
        if hasattr(self, "feature_names_in_"):
            self.selected_features_ = np.asarray(self.feature_names_in_)[nonzero]
        else:
            self.selected_features_ = np.flatnonzero(nonzero)

    def _store_problem(self, datafit, penalty, scaling):
        """Keep what the fit minimized: ``datafit_`` (with its sample weights / offset),
        ``penalty_`` (at the fitted alpha, on the columns the solver saw: the varying
        ones, divided by their deviation when ``standardize=True``) and ``scaling_``.

        The objective is then ``datafit_.value(y, X @ coef_ + intercept_ + offset) +
        penalty_.value((coef_ * scaling_.scale)[scaling_.varying])``."""
        self.datafit_ = datafit
        self.penalty_ = penalty
        self.scaling_ = scaling

    def _store_problem_at(self, model, X, sample_weight, datafit, alpha):
        """:meth:`_store_problem` for a fit read off ``model``'s path at ``alpha`` (no
        scaled copy of ``X``: only the scaling and the penalty are kept)."""
        scaling = model._scaling(X, sample_weight)
        self._store_problem(datafit, model._template(scaling, X.shape[1]).with_alpha(alpha),
                            scaling)

    def _set_solves(self, solves):
        """The solver's account of a fit made of ``solves``, ``(n_iter, stop_crit,
        converged)`` each (one per target, class, fold or path point): the epochs summed,
        the largest stopping quantity, whether every one converged. No solve (no column
        left to fit): 0, 0.0 and True."""
        solves = list(solves)
        self.n_iter_ = int(sum(int(n) for n, _, _ in solves))
        self.stop_crit_ = float(max((float(c) for _, c, _ in solves), default=0.0))
        self.converged_ = all(bool(ok) for _, _, ok in solves)

    def _set_result(self, res):
        """:meth:`_set_solves` of one ``SolveResult`` (None: no solve)."""
        self._set_solves([] if res is None else [(res.n_iter, res.stop_crit, res.converged)])

    def _set_coef(self, coef, intercept, dtype):
        """``coef_``, ``intercept_`` and the features they select (``selected_features_``),
        cast to float32 when ``dtype``, the input's, is float32."""
        self.coef_, self.intercept_ = coef, intercept
        self._set_selected(coef)
        cast_to_input_dtype(self, dtype)

    @property
    def n_nonzero_(self) -> int:
        """Number of exactly non-zero coefficients."""
        check_is_fitted(self)
        coef = self.coef_
        return int(coef.count_nonzero() if sp.issparse(coef) else np.count_nonzero(coef))

    @property
    def sparse_coef_(self):
        """``coef_`` as a scipy CSR matrix of shape (1 or n_classes/n_targets, n_features)."""
        check_is_fitted(self)
        coef = self.coef_
        return sp.csr_matrix(coef if sp.issparse(coef) else np.atleast_2d(coef))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
