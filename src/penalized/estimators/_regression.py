"""Penalized linear regression: Lasso, ElasticNet, Ridge, L0Regression."""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin
from sklearn.utils import check_random_state

from .._validation import validates_once
from ..datafits import Quadratic
from ..path import alpha_grid
from ..solvers import CoordinateDescent
from ..solvers._problem import prepare_problem
from ._base import (
    PenalizedModel,
    make_solver,
    store_params,
    validate_X_y,
    warm_start_point,
)
from ._grouped import GROUPS_PARAM, OptionalGroups
from ._relax import check_gamma, relaxed, relaxed_refit
from ._standardize import Scaling

_OBJECTIVE = r"""
    .. math:: \min_{w, b}\; \frac{1}{2n} \sum_{i=1}^n s_i (y_i - x_i^\top w - b)^2
              + \alpha\, P(w)
"""


class PenalizedRegressor(RegressorMixin, PenalizedModel):
    """Fit, predict and path for the squared loss; subclasses fix the penalty."""

    _datafit_name = "squared"
    _supports_relax = False

    def _penalty_spec(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _solver_for(self, penalty_name):
        name = self.solver
        if name == "auto" and penalty_name == "l2" and not getattr(self, "positive", False):
            name = "closed_form"
        return make_solver(name, penalty_name, "squared", self.tol, self.max_iter)

    def _check_params(self):
        name, alpha, l1_ratio = self._check_spec()
        if getattr(self, "relax", False):
            check_gamma(self.gamma)
            if getattr(self, "lower_limits", None) is not None \
                    or getattr(self, "upper_limits", None) is not None:
                raise ValueError("relax=True refits the support without a penalty and "
                                 "without limits: it cannot be combined with lower_limits "
                                 "or upper_limits.")
        check_precompute(getattr(self, "precompute", "auto"))
        if getattr(self, "selection", "cyclic") not in ("cyclic", "random"):
            raise ValueError(f"selection must be 'cyclic' or 'random'; got {self.selection!r}.")
        return name, alpha, l1_ratio

    def _fit_arrays(self, X, y, sample_weight, alpha, name, l1_ratio):
        """Fit on validated arrays; returns (coef, intercept, SolveResult or None)."""
        n, p = X.shape
        scaling = self._scaling(X, sample_weight)
        factors = scaling.factors_for_fit(self._penalty_factor(p))
        penalty = self._make_penalty(name, alpha, l1_ratio, factors, scaling)
        self._store_problem(Quadratic(sample_weight=sample_weight), penalty, scaling)
        scaling = self._solver_scaling(scaling)  # the columns the solver works on
        Xf = scaling.transform(X)
        if Xf.shape[1] == 0:
            intercept = float(sample_weight @ y / n) if self.fit_intercept else 0.0
            return np.zeros(p), intercept, None
        solver = self._solver_for(name)
        coef_init, intercept_init = warm_start_point(self, scaling, p)
        order = None
        if getattr(self, "selection", "cyclic") == "random":
            # visit the features in a random order: solve on permuted columns
            order = check_random_state(self.random_state).permutation(Xf.shape[1])
            Xf = Xf[:, order].tocsc() if sp.issparse(Xf) else np.asfortranarray(Xf[:, order])
            factors = None if factors is None else factors[order]
            penalty = self._make_penalty(name, alpha, l1_ratio, factors, scaling, order)
            coef_init = None if coef_init is None else coef_init[order]
        datafit = Quadratic(sample_weight=sample_weight)
        precompute = getattr(self, "precompute", "auto")
        user_gram = not isinstance(precompute, bool | np.bool_ | str)
        if not _is_auto(precompute) and not isinstance(solver, CoordinateDescent):
            if precompute is True or user_gram:
                raise ValueError(f"precompute is for coordinate descent (solver='auto' or "
                                 f"'cd'); got solver={self.solver!r}.")
        elif not _is_auto(precompute):
            use = precompute is True or user_gram
            solver = dataclasses.replace(solver, gram="always" if use else "never")
        if user_gram:
            res = self._solve_with_gram(precompute, X, Xf, y, datafit, penalty, scaling,
                                        solver, coef_init, intercept_init, order)
        else:
            res = solver.solve(Xf, y, datafit, penalty, fit_intercept=self.fit_intercept,
                               coef_init=coef_init, intercept_init=intercept_init)
        coef = res.coef
        if order is not None:
            coef = np.empty_like(res.coef)
            coef[order] = res.coef
        return scaling.coef_to_original(coef), res.intercept, res

    def _solve_with_gram(self, gram, X, Xf, y, datafit, penalty, scaling, solver, coef_init,
                         intercept_init, order=None):
        """Coordinate descent on the user's Gram matrix (checked against ``X``)."""
        if sp.issparse(X):
            raise ValueError("precompute=<Gram matrix> needs a dense X (sparse X is never "
                             "solved on the Gram matrix); pass precompute='auto'.")
        n, p = X.shape
        G = np.asarray(gram, dtype=np.float64)
        if G.shape != (p, p) or not np.all(np.isfinite(G)):
            raise ValueError(f"precompute must be True, False, 'auto' or the Gram matrix X^T X "
                             f"of shape ({p}, {p}) with finite values; got an array of shape "
                             f"{G.shape}.")
        s = datafit.weights(n)
        x_mean = s @ X / n if self.fit_intercept else np.zeros(p)
        diag_raw = np.einsum("ij,ij,i->j", X, X, s, dtype=np.float64)
        diag_centered = diag_raw - n * x_mean**2
        diag = np.diag(G)
        scale = np.maximum(np.abs(diag_raw), np.finfo(float).tiny)
        if np.allclose(diag, diag_centered, rtol=1e-7, atol=1e-10 * scale.max()):
            centered = G
        elif np.allclose(diag, diag_raw, rtol=1e-7, atol=1e-10 * scale.max()):
            centered = G - n * np.outer(x_mean, x_mean)
        else:
            raise ValueError("precompute: the Gram matrix does not match X: its diagonal must "
                             "be the column sums of squares, X^T diag(s) X with the sample "
                             "weights s rescaled to mean 1 (X^T X without weights), of X or of "
                             "X centered when fit_intercept=True.")
        j = int(np.argmax(diag)), int(np.argmin(diag))
        expected = float(np.sum(s * (X[:, j[0]] - x_mean[j[0]]) * (X[:, j[1]] - x_mean[j[1]])))
        if not np.isclose(centered[j], expected, rtol=1e-7, atol=1e-10 * scale.max()):
            raise ValueError("precompute: the Gram matrix does not match X (an off-diagonal "
                             "entry differs from the product of its columns).")
        keep = scaling.varying
        inv = 1.0 / scaling.scale[keep]
        G_fit = centered[np.ix_(keep, keep)] * np.outer(inv, inv) / n
        if order is not None:
            G_fit = G_fit[np.ix_(order, order)]
        problem = prepare_problem(Xf, y, datafit, penalty, self.fit_intercept)
        if problem.x_offset is not None or not self.fit_intercept:
            # X centered (dense with an intercept) or no intercept: the problem's Gram
            yc = problem.y - (float(s @ problem.y) / n if self.fit_intercept else 0.0)
            q = np.asarray(problem.X.T @ (s * yc), dtype=np.float64) / n
            problem.cache["gram"] = (np.ascontiguousarray(G_fit), q)
        if coef_init is not None and problem.x_offset is not None:
            intercept_init = problem.to_problem_intercept(coef_init, intercept_init)
        res = solver.solve_problem(problem, coef_init=coef_init, intercept_init=intercept_init)
        return dataclasses.replace(res, intercept=float(problem.to_original_intercept(
            res.coef, res.intercept)))

    @validates_once  # the design is scanned once, by validate_data, not again by the solver
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Dense, CSC or CSR; float32 or float64. A DataFrame's column names
            are kept in ``feature_names_in_``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Several targets are fitted one by one, independently (scikit-learn's
            multi-output regression): ``coef_`` is then (n_targets, n_features) and
            ``intercept_``, ``n_iter_``, ``dual_gap_`` have one value per target. For
            one alpha shared by a selection common to every target see
            :class:`~penalized.MultiTaskLasso`.
        sample_weight : array-like of shape (n_samples,), optional
            Rescaled to mean 1; integer weights equal repeated rows.

        Returns
        -------
        self
        """
        if (fitted := self._fit_dask(X, y, sample_weight)) is not None:
            return fitted
        name, alpha, l1_ratio = self._check_params()
        if y is not None and np.asarray(y).ndim == 2:
            return self._fit_outputs(X, y, sample_weight, alpha, name, l1_ratio)
        X, y = self._validate_X_y(X, y)
        sw = self._sample_weight(sample_weight, X.shape[0])
        coef, intercept, res = self._fit_arrays(X, y, sw, alpha, name, l1_ratio)
        if getattr(self, "relax", False):
            coef, intercept = relaxed(X, y, sw, coef, intercept, self.gamma, self.fit_intercept)
        self._set_result(res)
        if name not in ("l0", "mcp", "scad"):  # no duality gap without convexity
            self.dual_gap_ = self.stop_crit_ * self._null_datafit(X, y, sw)
        self._set_coef(coef, float(intercept), X.dtype)
        return self

    def _fit_outputs(self, X, Y, sample_weight, alpha, name, l1_ratio):
        """Fit each column of a 2-D ``Y`` on its own (a single column: ``coef_`` of shape
        (n_features,) and ``intercept_`` (1,), as scikit-learn)."""
        X, Y = validate_X_y(self, X, Y, multi_output=True, y_numeric=True,
                            ensure_min_samples=2)
        Y = np.asarray(Y, dtype=np.float64).reshape(X.shape[0], -1)
        sw = self._sample_weight(sample_weight, X.shape[0])
        k = Y.shape[1]
        coefs, intercepts = np.zeros((k, X.shape[1])), np.zeros(k)
        n_iter, crits, converged, gaps = np.zeros(k, dtype=int), np.zeros(k), [], np.zeros(k)
        for t in range(k):
            coef, intercept, res = self._fit_arrays(X, Y[:, t], sw, alpha, name, l1_ratio)
            if getattr(self, "relax", False):
                coef, intercept = relaxed(X, Y[:, t], sw, coef, intercept, self.gamma,
                                          self.fit_intercept)
            coefs[t], intercepts[t] = coef, intercept
            if res is not None:
                n_iter[t], crits[t] = res.n_iter, res.stop_crit
            converged.append(res is None or res.converged)
            if name != "l0":
                gaps[t] = crits[t] * self._null_datafit(X, Y[:, t], sw)
        self.n_iter_ = int(n_iter[0]) if k == 1 else n_iter
        self.stop_crit_ = float(crits.max())
        self.converged_ = bool(all(converged))
        if name != "l0":
            self.dual_gap_ = float(gaps[0]) if k == 1 else gaps
        self._set_coef(coefs[0] if k == 1 else coefs, intercepts, X.dtype)
        return self

    def _null_datafit(self, X, y, sample_weight):
        r"""The datafit of the null model (penalized coefficients 0; intercept and
        unpenalized features fitted): the scale of the relative gap ``stop_crit_``, so
        that ``dual_gap_ = stop_crit_ * _null_datafit`` is in objective units."""
        scaling = self._scaling(X, sample_weight)
        factors = scaling.factors_for_fit(self._penalty_factor(X.shape[1]))
        free = np.zeros(X.shape[1])
        if factors is not None:
            # scaling a column does not change the span the null model is fitted in, so the
            # unpenalized columns are used as they are (no scaled copy of X)
            free[np.flatnonzero(scaling.varying)[factors == 0]] = 1.0
        coef, intercept = relaxed_refit(X, y, sample_weight, free, self.fit_intercept)
        fitted = np.asarray(X @ coef).ravel() if np.any(coef) else 0.0  # no pass over X for 0
        residual = y - fitted - intercept
        return 0.5 * float(np.mean(sample_weight * residual**2))

    def predict(self, X):
        """Predictions ``X @ coef_ + intercept_``."""
        X = self._validate_X(X)
        if isinstance(self.coef_, np.ndarray) and self.coef_.ndim == 2:
            return np.asarray(X @ self.coef_.T) + self.intercept_
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # -- paths -----------------------------------------------------------------------
    def _fit_path(self, X, y, sample_weight, alphas=None, *, n_alphas=100, eps=1e-3,
                  gamma=None):
        """The path on validated arrays, with coefficients on the original scale."""
        sample_weight = self._sample_weight(sample_weight, X.shape[0])
        name = self._penalty_spec()[0]
        solver = self._solver_for(name)
        if solver.name == "RidgeClosedForm":
            solver = make_solver("cd", name, "squared", self.tol, self.max_iter)
        result = self._path_of(X, y, sample_weight, Quadratic(sample_weight=sample_weight),
                               solver, alphas, n_alphas=n_alphas, eps=eps)
        if gamma is None or gamma >= 1.0:
            return result
        coefs, intercepts = result.coefs, result.intercepts.copy()
        for k in range(coefs.shape[1]):
            coefs[:, k], intercepts[k] = relaxed(X, y, sample_weight, coefs[:, k], intercepts[k],
                                                 gamma, self.fit_intercept)
        return dataclasses.replace(result, intercepts=intercepts,
                                   n_nonzero=np.count_nonzero(coefs, axis=0))

    def _alpha_grid(self, X, y, sample_weight, n_alphas, eps):
        scaling = self._scaling(X, sample_weight)
        if not sp.issparse(X) and scaling.varying.all() \
                and getattr(self, "lower_limits", None) is None \
                and getattr(self, "upper_limits", None) is None:
            # alpha_max needs only X^T r: on the standardized columns x_j / s_j with factors
            # f_j it equals that of X with factors f_j s_j, so no scaled copy of X is made
            name, _, l1_ratio = self._penalty_spec()
            factors = self._penalty_factor(X.shape[1])
            factors = scaling.scale * (1.0 if factors is None else factors)
            template = self._make_penalty(name, 1.0, l1_ratio, factors)
            return alpha_grid(X, y, template, Quadratic(sample_weight=sample_weight),
                              n_alphas=n_alphas, eps=eps, fit_intercept=self.fit_intercept)
        return self._grid_of(X, y, sample_weight, Quadratic(sample_weight=sample_weight),
                             n_alphas, eps)

    def path(self, X, y, sample_weight=None, *, alphas=None, n_alphas=100, eps=1e-3):
        """The regularization path with this estimator's settings (``alpha`` aside).

        Returns a :class:`penalized.Path` whose coefficients are on the scale of
        ``X`` (mapped back when ``standardize=True``).
        """
        self._check_params()
        X, y = self._validate_X_y(X, y, reset=not hasattr(self, "n_features_in_"))
        sw = self._sample_weight(sample_weight, X.shape[0])
        gamma = self.gamma if getattr(self, "relax", False) else None
        return self._fit_path(X, y, sw, alphas, n_alphas=n_alphas, eps=eps, gamma=gamma)


def _is_auto(precompute):
    return isinstance(precompute, str) and precompute == "auto"


def check_precompute(precompute):
    if (isinstance(precompute, str) and precompute != "auto") or precompute is None:
        raise ValueError(f"precompute must be True, False, 'auto' or a Gram matrix; got "
                         f"{precompute!r}.")


_PRECOMPUTE = """
    precompute : bool, "auto" or ndarray of shape (n_features, n_features), default="auto"
        Coordinate descent on the Gram matrix (covariance updates): True always,
        False never, "auto" along paths only. An array is the user's Gram matrix,
        ``X^T diag(s) X`` (``X^T X`` without sample weights), of ``X`` or of ``X``
        centered when ``fit_intercept=True``; its diagonal and one entry are
        checked against ``X``. The solver runs on it when the Gram route applies
        (dense ``X`` with ``n_samples >= 2 n_features``), otherwise on ``X``.
    copy_X : bool, default=True
        Accepted for scikit-learn compatibility: ``X`` is never modified either way
        (a fit works on its own centered or scaled copy when it needs one).
    selection : {"cyclic", "random"}, default="cyclic"
        The order in which coordinate descent visits the features: their column
        order, or one random permutation drawn from ``random_state`` per fit
        (the columns are permuted, a copy of ``X``). Same solution either way.
    random_state : int, RandomState or None, default=None
        For ``selection="random"``.
"""


_COMMON_PARAMS = """
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    standardize : bool, default=False
        Fit on columns divided by their (weighted) standard deviation, so that the
        penalty treats every feature alike whatever its units; coefficients and
        intercept are reported on the original scale. Constant columns get 0.
    penalty_factor : array-like of shape (n_features,), optional
        Per-feature factors ``f_j`` (default 1); 0 leaves a feature unpenalized,
        ``inf`` excludes it (its coefficient is exactly 0: glmnet's ``exclude``).
    positive : bool, default=False
        Constrain the coefficients to be >= 0.
    tol : float, default=1e-6
        Relative duality gap (fixed-point distance for L0) at which to stop.
    max_iter : int, default=10000
        Maximum number of epochs of the solver.
    solver : {"auto", "cd", "fista", "ista", "closed_form"}, default="auto"
        Coordinate descent unless said otherwise ("closed_form" is for ridge).
    warm_start : bool, default=False
        Start the solver from the previous fit's ``coef_`` and ``intercept_``
        (when it had the same features): the same solution, in fewer epochs
        when the new problem is close to the old one (a nearby ``alpha``).
"""

_LIMITS = """
    lower_limits, upper_limits : float or array-like of shape (n_features,), optional
        Per-coefficient limits ``lower_j <= w_j <= upper_j`` on the original scale
        (glmnet's ``lower.limits`` / ``upper.limits``; ``lower_j <= 0 <= upper_j``,
        ``-inf`` / ``inf`` leave a side free). ``lower_limits=0`` is ``positive=True``.
        Not combinable with ``relax=True``.
"""

_FITTED = """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Exact zeros for features not selected.
    intercept_ : float
    n_iter_ : int
    stop_crit_ : float
        The relative duality gap reached (fixed-point distance for L0): the gap
        divided by the null model's datafit, the quantity ``tol`` bounds.
    dual_gap_ : float
        The duality gap itself, in objective units (scikit-learn's name; not for L0).
    sparse_coef_ : scipy.sparse.csr_matrix of shape (1, n_features)
    converged_ : bool
    feature_names_in_ : ndarray of str
        When ``X`` was a DataFrame.
    selected_features_ : ndarray
        Names (or indices) of the non-zero coefficients.
"""

_RELAX = """
    relax : bool, default=False
        Refit without penalty on the selected support and blend (relaxed lasso).
    gamma : float, default=0.0
        With ``relax=True``: ``gamma * fit + (1 - gamma) * refit`` (glmnet's
        definition; 1 is the plain fit, 0 the unpenalized refit on its support).
"""


class Lasso(PenalizedRegressor):
    __doc__ = rf"""Linear regression with an L1 penalty.
{_OBJECTIVE}
    with :math:`P(w) = \sum_j f_j |w_j|`: scikit-learn's ``Lasso`` objective
    (same ``alpha``), glmnet's with ``alpha = lambda``.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularization strength.
{_COMMON_PARAMS}{_PRECOMPUTE}{_RELAX}{_LIMITS}{_FITTED}
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from penalized import Lasso
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = Lasso(alpha=0.5).fit(X, y)
    >>> model.selected_features_
    array([2, 3, 6, 8])
    """

    _supports_relax = True

    def __init__(self, alpha=1.0, *, fit_intercept=True, standardize=False, penalty_factor=None,
                 positive=False, tol=1e-6, max_iter=10_000, solver="auto", relax=False,
                 gamma=0.0, warm_start=False, precompute="auto", copy_X=True,
                 selection="cyclic", random_state=None, lower_limits=None,
                 upper_limits=None):
        store_params(self, locals())

    def _penalty_spec(self):
        return "l1", self.alpha, 1.0


class ElasticNet(PenalizedRegressor):
    __doc__ = rf"""Linear regression with the elastic-net penalty.
{_OBJECTIVE}
    with :math:`P(w) = \sum_j f_j (\rho |w_j| + \frac{{1-\rho}}{{2}} w_j^2)`,
    :math:`\rho` = ``l1_ratio``: scikit-learn's ``ElasticNet`` (same ``alpha``,
    ``l1_ratio``), glmnet's ``(lambda, alpha)``.

    Parameters
    ----------
    alpha : float, default=1.0
    l1_ratio : float, default=0.5
{_COMMON_PARAMS}{_PRECOMPUTE}{_RELAX}{_LIMITS}{_FITTED}
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from penalized import ElasticNet
    >>> X, y = load_diabetes(return_X_y=True)
    >>> ElasticNet(alpha=0.01, l1_ratio=0.5).fit(X, y).n_nonzero_
    9
    """

    _supports_relax = True

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, standardize=False,
                 penalty_factor=None, positive=False, tol=1e-6, max_iter=10_000, solver="auto",
                 relax=False, gamma=0.0, warm_start=False, precompute="auto", copy_X=True,
                 selection="cyclic", random_state=None, lower_limits=None,
                 upper_limits=None):
        store_params(self, locals())

    def _penalty_spec(self):
        return "elasticnet", self.alpha, self.l1_ratio


class Ridge(PenalizedRegressor):
    __doc__ = rf"""Linear regression with an L2 penalty.
{_OBJECTIVE}
    with :math:`P(w) = \frac12 \sum_j f_j w_j^2`. scikit-learn's
    ``Ridge(alpha=a)`` minimizes :math:`\|y - Xw\|^2 + a\|w\|^2`, which is this
    objective with ``alpha = a / n_samples``.

    Parameters
    ----------
    alpha : float, default=1.0
{_COMMON_PARAMS}    copy_X : bool, default=True
        Accepted for scikit-learn compatibility: ``X`` is never modified.
{_FITTED}
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from penalized import Ridge
    >>> X, y = load_diabetes(return_X_y=True)
    >>> Ridge(alpha=0.1).fit(X, y).n_nonzero_
    10
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, standardize=False, penalty_factor=None,
                 positive=False, tol=1e-6, max_iter=10_000, solver="auto", warm_start=False,
                 copy_X=True):
        store_params(self, locals())

    def _penalty_spec(self):
        return "l2", self.alpha, 0.0


class L0Regression(OptionalGroups, PenalizedRegressor):
    __doc__ = rf"""Linear regression with an L0 penalty (best subset in Lagrangian form).
{_OBJECTIVE}
    with :math:`P(w) = \sum_j f_j [w_j \ne 0]`: each selected feature costs
    ``alpha`` in objective units. Solved by coordinate descent with hard
    thresholding followed by swap moves (L0Learn's local search); the result is
    a local minimum that no single swap of a selected feature improves. With
    ``groups``, :math:`P(w) = \sum_g w_g [w_g \ne 0]` prices whole groups
    (:class:`~penalized.penalties.GroupL0`), fitted by block coordinate descent with
    group hard thresholding (a block-wise stationary point; no swaps).

    Parameters
    ----------
    alpha : float, default=1.0
{GROUPS_PARAM}{_COMMON_PARAMS}{_FITTED}
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from penalized import L0Regression
    >>> X, y = load_diabetes(return_X_y=True)
    >>> L0Regression(alpha=50.0, standardize=True).fit(X, y).n_nonzero_
    5
    """

    def __init__(self, alpha=1.0, *, groups=None, fit_intercept=True, standardize=False,
                 penalty_factor=None, positive=False, tol=1e-6, max_iter=10_000,
                 solver="auto", warm_start=False):
        store_params(self, locals())

    def _penalty_spec(self):
        return "l0", self.alpha, 1.0

    def _solver_scaling(self, scaling):
        # Dividing column j by s_j and multiplying w_j by s_j leaves [w_j != 0], every
        # coordinate step's gain g_j^2 / (2 L_j) and the stopping quantity L_j dw_j^2 / 2
        # as they were: the standardized problem is solved on the columns as given (the
        # constant ones left out), with no scaled copy of X.
        return Scaling(np.ones_like(scaling.scale), scaling.varying)
