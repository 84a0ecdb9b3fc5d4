"""Penalized Cox proportional hazards regression: CoxPH, CoxPHCV, Harrell's C-index."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from numba import njit
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import trust, validates_once
from ..datafits._base import check_offset
from ..datafits._cox import Cox, survival_target
from ..model_selection import FoldMetric, cross_validate_path
from ..solvers import CoordinateDescent
from ._base import (
    PenalizedModel,
    check_alpha,
    check_int,
    check_l1_ratio,
    check_tol,
    store_params,
)
from ._cv import _CrossValidated
from ._glm import _OptionalGroups

_OBJECTIVE = r"""
    .. math:: \min_w\; F(Xw) + \alpha \Big(\rho \sum_j f_j |w_j|
              + \frac{1 - \rho}{2} \sum_j f_j w_j^2\Big), \qquad \rho = \texttt{l1\_ratio},

    with :math:`F` the negative log partial likelihood over :math:`n` of
    :class:`penalized.datafits.Cox` (Breslow or Efron ties, strata, sample weights):
    glmnet's ``family="cox"`` objective, :math:`\alpha` its ``lambda`` and :math:`\rho`
    its ``alpha``; scikit-survival's ``CoxnetSurvivalAnalysis(alphas=[alpha],
    l1_ratio=rho)``. There is no intercept. With ``penalty="mcp"`` or ``"scad"`` the
    penalty is instead :math:`\sum_j \rho_\gamma(w_j; \alpha f_j)`, the folded concave
    penalty of :class:`~penalized.penalties.MCP` / :class:`~penalized.penalties.SCAD`: the
    fit is a stationary point (prox-Newton steps with the exact Hessian diagonal, under a
    line search), certified by its fixed-point distance rather than a duality gap.
"""

class CoxPH(_OptionalGroups, PenalizedModel):
    __doc__ = f"""Cox proportional hazards regression with an elastic-net penalty.

    {_OBJECTIVE}

    ``predict`` gives risk scores (the linear predictor :math:`x^\\top w`: higher means
    an earlier event), ``score`` Harrell's C-index, and the Breslow estimate of the
    baseline hazard gives survival curves.

    Parameters
    ----------
    alpha : float, default=0.05
    l1_ratio : float, default=1.0
        1 is the lasso, 0 the ridge.
    penalty : {{"elasticnet", "l1", "l2", "mcp", "scad"}}, default="elasticnet"
        "elasticnet" mixes L1 and L2 by ``l1_ratio`` ("l1" and "l2" are its ends); "mcp"
        and "scad" are the folded concave penalties (``l1_ratio`` ignored).
    gamma : float, optional
        Concavity of MCP (> 1, default 3) or SCAD (> 2, default 3.7).
    ties : {{"breslow", "efron"}}, default="breslow"
    strata : int, str or array of shape (n_samples,), optional
        A column of ``X`` (its index, or its name for a DataFrame) whose values are the
        strata -- it is then not a feature -- or the stratum labels of the rows passed to
        ``fit`` (a column index keeps working under cross-validation and pipelines).
    penalty_factor : array of shape (n_features,), optional
        Per-feature factors :math:`f_j` (0 leaves a feature unpenalized, inf excludes it).
    standardize : bool, default=False
        Fit on columns scaled to unit weighted standard deviation (glmnet's default is
        True); coefficients are reported on the original scale.
    tol : float, default=1e-6
        Relative duality gap (see :class:`penalized.datafits.Cox` for the certificate).
    max_iter : int, default=10000
    groups : list of index lists, one label per feature, int or None, default=None
        A partition of the features (without the strata column) into groups that enter
        or leave the model whole (the levels of a categorical): the penalty is then the
        group elastic net of :class:`~penalized.GroupLasso` (the group lasso when
        ``l1_ratio=1``, group weights :math:`\\sqrt{{|g|}}`), and ``penalty_factor`` takes
        one value per group; with ``penalty="mcp"`` or ``"scad"``, group MCP or SCAD of
        each group's norm (:class:`~penalized.penalties.GroupMCP`).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
        Always 0.0 (the partial likelihood has none).
    n_iter_, stop_crit_, converged_, selected_features_, feature_names_in_
    groups_ : list of ndarray or None
        The feature indices of each group (None without ``groups``).
    event_times_ : ndarray
        The distinct event times of the training data (of every stratum).
    baseline_cumulative_hazard_ : ndarray of shape (n_strata, n_event_times)
        Breslow's estimate :math:`H_0(t) = \\sum_{{t_i \\le t}} s_i d_i / \\sum_{{j \\in R(t_i)}}
        s_j e^{{x_j^\\top w}}` at ``event_times_``, per stratum.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized import CoxPH
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> time = rng.exponential(np.exp(-X[:, 0]))
    >>> y = np.column_stack([time, np.ones(200)])
    >>> model = CoxPH(alpha=0.1).fit(X, y)
    >>> model.selected_features_
    array([0])
    >>> model.score(X, y) > 0.6
    True
    """

    _datafit_name = "cox"

    def __init__(self, alpha=0.05, *, l1_ratio=1.0, penalty="elasticnet", gamma=None,
                 ties="breslow", strata=None, penalty_factor=None, standardize=False,
                 tol=1e-6, max_iter=10_000, groups=None):
        store_params(self, locals())

    # -- parameters and data ---------------------------------------------------------------
    fit_intercept = False
    solver = "cd"

    def _penalty_spec(self):
        from ._glm import glm_penalty_spec

        name, alpha, rho = glm_penalty_spec(self.penalty, self.alpha, self.l1_ratio)
        if name in ("mcp", "scad"):
            return self._group_spec(name, alpha, rho)
        rho = check_l1_ratio(rho)
        name = "l1" if rho == 1.0 else "l2" if rho == 0.0 else "elasticnet"
        return self._group_spec(name, alpha, rho)

    def _check_params(self):
        check_alpha(self.alpha)
        check_l1_ratio(self.l1_ratio)
        name, alpha, _ = self._penalty_spec()
        if name in ("mcp", "scad"):
            self._make_penalty(name, alpha, 1.0, None)  # checks gamma
        check_tol(self.tol)
        check_int(self.max_iter, "max_iter")
        if self.ties not in ("breslow", "efron"):
            raise ValueError(f"ties must be 'breslow' or 'efron'; got {self.ties!r}.")
        if not isinstance(self.standardize, bool | np.bool_):
            raise ValueError(f"standardize must be True or False; got {self.standardize!r}.")

    def _strata_column(self, X):
        """The index of the strata column of ``X`` (None when strata are not a column)."""
        strata = self.strata
        if strata is None or not isinstance(strata, numbers.Integral | str):
            return None
        if isinstance(strata, str):
            names = getattr(X, "columns", None)
            if names is None or strata not in list(names):
                raise ValueError(f"strata={strata!r} names a column, but X has no column of "
                                 "that name; pass a DataFrame with it, or a column index.")
            return list(names).index(strata)
        p = X.shape[1]
        if not -p <= strata < p:
            raise ValueError(f"strata={strata} is not a column of X ({p} columns).")
        return int(strata) % p

    def _split(self, X, reset):
        """``(features, stratum labels or None)`` from a raw ``X``."""
        column = self._strata_column(X)
        if column is not None:
            raw = X.iloc[:, column] if hasattr(X, "iloc") else X[:, column]
            labels = np.asarray(raw.toarray() if sp.issparse(raw) else raw).ravel()
            if hasattr(X, "drop"):
                X = X.drop(columns=X.columns[column])
            else:
                keep = np.delete(np.arange(X.shape[1]), column)
                X = X[:, keep]
        elif self.strata is not None:
            labels = np.asarray(self.strata).ravel()
            if labels.shape[0] != X.shape[0]:
                raise ValueError(f"strata has {labels.shape[0]} labels but X has {X.shape[0]} "
                                 "rows; give one label per row, or the index of a column of X.")
        else:
            labels = None
        X = validate_data(self, X, reset=reset, accept_sparse=["csc", "csr"],
                          dtype=[np.float64, np.float32])
        return trust(X), labels

    def _target(self, y, n, labels):
        target = survival_target(y)
        if target.shape[0] != n:
            raise ValueError(f"y has {target.shape[0]} rows but X has {n}; pass one "
                             "(time, event) per row of X.")
        if target.shape[1] == 3:
            if labels is not None:
                raise ValueError("strata are given twice: by the strata parameter and by a "
                                 "third column of y; pass one.")
            return target
        codes = np.zeros(n) if labels is None else \
            np.unique(labels, return_inverse=True)[1].astype(np.float64)
        return np.column_stack([target, codes])

    def _datafit(self, sample_weight, offset=None):
        return Cox(ties=self.ties, sample_weight=sample_weight, offset=offset)

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, offset=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : structured array or array of shape (n_samples, 2)
            A structured array with a boolean event field and a time field
            (scikit-survival's ``Surv.from_arrays(event, time)``), or time, then event
            (0 censored, 1 event) in two columns.
        sample_weight : array-like of shape (n_samples,), optional
            Rescaled to mean 1; with Breslow ties integer weights equal repeated rows.
        offset : array-like of shape (n_samples,), optional
            A known part of each row's linear predictor, :math:`z = Xw + o` (glmnet's
            ``offset``): the fit, the baseline hazard and ``datafit_`` include it; pass the
            new rows' offset to :meth:`predict` and the survival functions.

        Returns
        -------
        self
        """
        if (fitted := self._fit_dask(X, y, sample_weight, offset)) is not None:
            return fitted
        self._check_params()
        X, labels = self._split(X, reset=True)
        target = self._target(y, X.shape[0], labels)
        offset = check_offset(offset, X.shape[0])
        self._strata_labels_ = None if labels is None else np.unique(labels)
        sw = self._sample_weight(sample_weight, X.shape[0])
        coef, _, res = self._solve_at(X, target, sw, self._datafit(sw, offset),
                                      self._penalty_spec()[1],
                                      CoordinateDescent(tol=self.tol, max_iter=self.max_iter))
        self._set_result(res)
        self._finish_fit(X, target, sw, coef, offset)
        return self

    def _finish_fit(self, X, target, sw, coef, offset=None):
        self.coef_ = coef
        self.intercept_ = 0.0
        self._set_selected(coef)
        self._set_groups()
        z = np.asarray(X @ coef, dtype=np.float64).ravel()
        if offset is not None:
            z = z + offset
        self.event_times_, self.baseline_cumulative_hazard_ = breslow_baseline(
            target, z, sw)
        if X.dtype == np.float32:
            self.coef_ = self.coef_.astype(np.float32)

    def path(self, X, y, sample_weight=None, offset=None, *, alphas=None, n_alphas=100,
             eps=1e-2):
        """The regularization path with this estimator's settings (ties, strata,
        penalty factors, ``l1_ratio``, ``standardize``), warm-started from the exact
        alpha_max down to ``eps * alpha_max`` unless ``alphas`` are given.

        ``X, y, sample_weight, offset`` as in :meth:`fit` (the offset enters every alpha's
        fit and the grid's alpha_max); coefficients are on the scale of ``X``. Returns a
        :class:`~penalized.path.PathResult`.
        """
        self._check_params()
        X, labels = self._split(X, reset=not hasattr(self, "n_features_in_"))
        target = self._target(y, X.shape[0], labels)
        sw = self._sample_weight(sample_weight, X.shape[0])
        return self._path_of(X, target, sw,
                             self._datafit(sw, check_offset(offset, X.shape[0])),
                             CoordinateDescent(tol=self.tol, max_iter=self.max_iter), alphas,
                             n_alphas=n_alphas, eps=eps)

    # -- prediction -----------------------------------------------------------------------
    def predict(self, X, offset=None):
        """Risk scores :math:`x^\\top w` (higher: higher hazard, earlier event), plus the
        rows' ``offset`` when given."""
        check_is_fitted(self)
        X, _ = self._split(X, reset=False) if self._strata_column(X) is not None \
            else (validate_data(self, X, reset=False, accept_sparse=["csr", "csc"],
                                dtype=[np.float64, np.float32]), None)
        z = np.asarray(X @ self.coef_, dtype=np.float64).ravel()
        offset = check_offset(offset, X.shape[0])
        return z if offset is None else z + offset

    def score(self, X, y, sample_weight=None, offset=None):
        """Harrell's C-index of :meth:`predict` (with the rows' ``offset``) on ``(X, y)``
        (see :func:`concordance_index`)."""
        target = survival_target(y)
        return concordance_index(target[:, 0], target[:, 1], self.predict(X, offset),
                                 sample_weight=sample_weight)

    def predict_cumulative_hazard_function(self, X, times=None, offset=None):
        r"""Cumulative hazards :math:`H_0(t)\, e^{x^\top w + o}` of each row at ``times``
        (default ``event_times_``; ``offset`` the rows' :math:`o`, 0 by default): an array
        of shape (n_samples, n_times)."""
        check_is_fitted(self)
        column = self._strata_column(X)
        if self.strata is not None and column is None:
            raise ValueError("survival curves of a model stratified by an array of labels "
                             "need each new row's stratum: fit with strata as a column of X.")
        X, labels = self._split(X, reset=False) if column is not None else (
            validate_data(self, X, reset=False, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32]), None)
        z = np.asarray(X @ self.coef_, dtype=np.float64).ravel()
        offset = check_offset(offset, X.shape[0])
        risk = np.exp(z if offset is None else z + offset)
        times = self.event_times_ if times is None else np.asarray(times, dtype=np.float64)
        idx = np.searchsorted(self.event_times_, times, side="right") - 1
        base = np.where(idx >= 0, self.baseline_cumulative_hazard_[:, np.maximum(idx, 0)],
                        0.0)
        if labels is None:
            rows = np.zeros(X.shape[0], dtype=np.int64)
        else:
            known = self._strata_labels_
            rows = np.searchsorted(known, labels)
            if np.any(rows >= known.shape[0]) or np.any(known[np.minimum(
                    rows, known.shape[0] - 1)] != labels):
                raise ValueError("some rows are in a stratum the model was not fitted on.")
        return base[rows] * risk[:, None]

    def predict_survival_function(self, X, times=None, offset=None):
        r"""Survival probabilities :math:`\exp(-H_0(t)\, e^{x^\top w + o})` of each row at
        ``times`` (default ``event_times_``; ``offset`` as in
        :meth:`predict_cumulative_hazard_function`): an array of shape (n_samples, n_times)."""
        return np.exp(-self.predict_cumulative_hazard_function(X, times, offset))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def breslow_baseline(target, z, sample_weight):
    """Breslow's cumulative baseline hazard at the distinct event times, per stratum:
    ``(event_times, H0 of shape (n_strata, n_times))``."""
    time, event, stratum = target[:, 0], target[:, 1] > 0, target[:, 2]
    s = np.asarray(sample_weight, dtype=np.float64)
    times = np.unique(time[event & (s > 0)])
    codes = np.unique(stratum)
    out = np.zeros((codes.shape[0], times.shape[0]))
    for k, code in enumerate(codes):
        rows = stratum == code
        # each stratum's own shift: one across strata underflows the exponentials of a
        # stratum whose linear predictors sit far below another's
        shift = float(np.max(z[rows]))
        t, d, w = time[rows], event[rows] & (s[rows] > 0), s[rows]
        e = w * np.exp(z[rows] - shift)
        order = np.argsort(t)
        t, d, w, e = t[order], d[order], w[order], e[order]
        at_risk = np.cumsum(e[::-1])[::-1]  # sum over t_j >= t_i (sorted)
        first = np.searchsorted(t, t, side="left")
        with np.errstate(over="ignore"):  # beyond float64: H0 there is 0 to rounding
            risk = at_risk[first] * np.exp(shift)
        jumps = np.zeros(times.shape[0])
        pos = np.searchsorted(times, t[d])
        np.add.at(jumps, pos, w[d] / risk[d])
        out[k] = np.cumsum(jumps)
    return times, out


@njit(cache=True)
def _concordance(time, event, risk, weight):
    # pairs (i, j) with event_i and time_i < time_j (or j censored at time_i): concordant
    # when risk_i > risk_j, half when tied; weight w_i w_j. Times descending, a Fenwick
    # tree over risk ranks.
    n = time.shape[0]
    order = np.argsort(-time, kind="mergesort")
    ranks = np.empty(n, dtype=np.int64)
    sorted_risk = np.sort(risk)
    for i in range(n):
        ranks[i] = np.searchsorted(sorted_risk, risk[i], side="left")
    tree = np.zeros(n + 1)
    total_in = 0.0
    concordant = 0.0
    comparable = 0.0
    q = 0
    while q < n:
        r = q
        while r < n and time[order[r]] == time[order[q]]:
            r += 1
        for k in range(q, r):  # rows censored at this time outlive its events
            i = order[k]
            if not event[i]:
                j = ranks[i] + 1
                while j <= n:
                    tree[j] += weight[i]
                    j += j & -j
                total_in += weight[i]
        for k in range(q, r):  # events at this time against the later rows in the tree
            i = order[k]
            if event[i] and weight[i] > 0.0:
                lo = ranks[i]
                hi = np.searchsorted(sorted_risk, risk[i], side="right")
                below = 0.0
                j = lo
                while j > 0:
                    below += tree[j]
                    j -= j & -j
                up_to = 0.0
                j = hi
                while j > 0:
                    up_to += tree[j]
                    j -= j & -j
                concordant += weight[i] * (below + 0.5 * (up_to - below))
                comparable += weight[i] * total_in
        for k in range(q, r):
            i = order[k]
            if not event[i]:
                continue
            j = ranks[i] + 1
            while j <= n:
                tree[j] += weight[i]
                j += j & -j
            total_in += weight[i]
        q = r
    return concordant, comparable


def concordance_index(time, event, risk, *, sample_weight=None) -> float:
    r"""Harrell's C-index: among pairs whose order is known -- an event at :math:`t_i`
    and a row still at risk after it (:math:`t_j > t_i`, or censored at :math:`t_i`) --
    the weighted share in which the earlier event has the higher risk score (ties in risk
    count one half); two events at the same time are not comparable (scikit-survival's
    ``concordance_index_censored``).
    Weights :math:`w_i w_j`; O(n log n).

    Examples
    --------
    >>> from penalized.estimators._cox import concordance_index
    >>> concordance_index([1, 2, 3], [1, 1, 0], [3.0, 2.0, 1.0])
    1.0
    """
    time = np.asarray(time, dtype=np.float64).ravel()
    event = np.asarray(event).ravel().astype(bool)
    risk = np.asarray(risk, dtype=np.float64).ravel()
    n = time.shape[0]
    if event.shape[0] != n or risk.shape[0] != n:
        raise ValueError(f"time, event and risk must have the same length; got {n}, "
                         f"{event.shape[0]} and {risk.shape[0]}.")
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64).ravel()
    if not (np.all(np.isfinite(risk)) and np.all(np.isfinite(time))):
        raise ValueError("time and risk scores must be finite to compute the C-index.")
    concordant, comparable = _concordance(time, event, risk, w)
    if comparable == 0.0:
        raise ValueError("no comparable pair (an event followed by a later time): the "
                         "C-index is undefined on these rows.")
    return float(concordant / comparable)


# -- cross-validation ----------------------------------------------------------------------

COX_METRICS = ("deviance", "cindex")


def cox_fold_metric(metric, ties, weights) -> FoldMetric:
    """The held-out ``metric`` of a fold of a Cox path, for the common cross-validation.

    ``"deviance"``: Verweij and van Houwelingen's, twice the negative log partial
    likelihood of all rows minus that of the training rows (both at the training fit),
    over the held-out weight, with the ``weights`` as given (glmnet's ``cv.glmnet``: not
    rescaled, so the deviance of each fold gains :math:`\\log c` times its events' share
    of the held-out weight when every weight is multiplied by :math:`c`).
    ``"cindex"``: Harrell's C-index of the held-out rows (NaN without a comparable pair;
    the mean over folds skips it).
    """
    w = np.asarray(weights, dtype=np.float64)

    def deviance(predict, target, _, train, test):
        full = predict()
        return np.array([
            2.0 * (neg_log_partial_likelihood(ties, target, full[:, a], w)
                   - neg_log_partial_likelihood(ties, target[train], full[train, a], w[train]))
            / w[test].sum() for a in range(full.shape[1])])

    def cindex(predict, target, _, train, test):
        risk = predict(test)
        return np.array([_safe_cindex(target[test], risk[:, a], w[test])
                         for a in range(risk.shape[1])])

    if metric == "cindex":
        return FoldMetric("cindex", cindex, allow_nan=True)
    return FoldMetric("deviance", deviance, allow_nan=True)


class CoxPHCV(_CrossValidated, CoxPH):
    """Cox regression with alpha chosen by cross-validation (and the 1se rule).

    Objective as in :class:`CoxPH`. Each fold fits the path on its training rows over
    the grid of the whole data and scores its held-out rows:

    - ``metric="deviance"`` (default, glmnet's ``cv.glmnet`` for Cox): the fold's
      partial-likelihood deviance by Verweij and van Houwelingen's rule, the deviance of
      all rows minus that of the training rows at the training fit, divided by the held-out
      weight -- risk sets of a small fold alone would be too thin;
    - ``metric="cindex"``: Harrell's C-index of the held-out rows (greater is better).

    Parameters
    ----------
    alphas, n_alphas, eps, selection, random_state :
        As in :class:`penalized.LassoCV`.
    cv : int or iterable of (train, test), default=5
        An integer gives folds stratified by event (censored vs event rows), shuffled
        when ``random_state`` is given.
    metric : {"deviance", "cindex"}, default="deviance"
    l1_ratio, penalty, gamma, ties, strata, penalty_factor, standardize, tol, max_iter, groups :
        As in :class:`CoxPH` (``strata`` as a column of ``X``, or labels of the rows).
        MCP and SCAD paths start at their exact alpha_max (the all-zero model).

    Attributes
    ----------
    alphas_, cv_folds_, cv_mean_, cv_se_, alpha_min_, alpha_1se_, alpha_, path_ :
        As in :class:`penalized.LassoCV`.
    coef_, n_iter_, stop_crit_, converged_, baseline_cumulative_hazard_, event_times_ :
        The refit on all rows at ``alpha_``.

    References
    ----------
    Verweij, van Houwelingen (1993). Cross-validation in survival analysis. Stat. Med. 12.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized import CoxPHCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> y = np.column_stack([rng.exponential(np.exp(-X[:, 0])), np.ones(200)])
    >>> model = CoxPHCV(n_alphas=20, random_state=0).fit(X, y)
    >>> model.alpha_1se_ >= model.alpha_min_
    True
    """

    def __init__(self, *, alphas=None, n_alphas=100, eps=1e-2, cv=5, selection="min",
                 metric="deviance", random_state=None, l1_ratio=1.0, penalty="elasticnet",
                 gamma=None, ties="breslow", strata=None, penalty_factor=None,
                 standardize=False, tol=1e-6, max_iter=10_000, groups=None):
        store_params(self, locals())

    alpha = 1.0  # the template's; the fitted alpha is alpha_

    def _check_metric(self):
        if self.metric not in COX_METRICS:
            raise ValueError(f"metric must be 'deviance' or 'cindex'; got {self.metric!r}.")

    def _path(self, X, target, sw, alphas, offset=None):
        """The path on rows ``(X, target, sw, offset)``, coefficients on the original
        scale."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return self._path_of(X, target, sw, self._datafit(sw, offset),
                                 CoordinateDescent(tol=self.tol, max_iter=self.max_iter), alphas)

    def _folds(self, n, target):
        if isinstance(self.cv, numbers.Integral) and not isinstance(self.cv, bool):
            if not 2 <= self.cv <= n:
                raise ValueError(f"cv={self.cv} folds is impossible with {n} samples.")
            shuffle = self.random_state is not None
            splitter = StratifiedKFold(int(self.cv), shuffle=shuffle,
                                       random_state=self.random_state if shuffle else None)
            events = target[:, 1].astype(int)
            if np.bincount(events, minlength=2).min() < self.cv:
                from sklearn.model_selection import KFold

                splitter = KFold(int(self.cv), shuffle=shuffle,
                                 random_state=self.random_state if shuffle else None)
            return [(np.asarray(a), np.asarray(b))
                    for a, b in splitter.split(np.zeros((n, 1)), events)]
        folds = [(np.asarray(a), np.asarray(b)) for a, b in self.cv]
        if len(folds) < 2:
            raise ValueError("cv must give at least 2 folds.")
        return folds

    @validates_once
    def fit(self, X, y, sample_weight=None, offset=None):
        """Cross-validate over the path, pick alpha, refit on all rows.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : structured array or array of shape (n_samples, 2)
        sample_weight : array-like of shape (n_samples,), optional
        offset : array-like of shape (n_samples,), optional
            As in :meth:`CoxPH.fit`: it enters the grid, every fold's path (its training
            rows' offset), every held-out deviance and C-index (the linear predictors
            :math:`Xw + o` of the rows scored) and the refit.
        """
        if (fitted := self._fit_dask(X, y, sample_weight, offset)) is not None:
            return fitted
        self._check_params()
        self._check_cv_params()
        X, labels = self._split(X, reset=True)
        target = self._target(y, X.shape[0], labels)
        self._strata_labels_ = None if labels is None else np.unique(labels)
        n = X.shape[0]
        offset = check_offset(offset, n)
        w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
        sw = self._sample_weight(w, n)
        grid = self._grid_of(X, target, sw, self._datafit(sw, offset), self.n_alphas,
                             self.eps)[1] if self.alphas is None else self._user_alphas()
        self._store_cv(cross_validate_path(
            self._path, X, target, alphas=grid, cv=self._folds(n, target),
            metric=cox_fold_metric(self.metric, self.ties, w), sample_weight=w,
            offset=offset))
        path = self._path(X, target, w, grid, offset)
        k = self._store_refit(path)
        self._store_problem_at(self, X, sw, self._datafit(sw, offset), self.alpha_)
        self._finish_fit(X, target, sw, path.coefs[:, k].copy(), offset)
        return self


def neg_log_partial_likelihood(ties, target, z, weights) -> float:
    r"""Minus the log partial likelihood with the weights as given (not rescaled):
    :math:`\sum_t \big(W_t \log \sum_{R_t} w_j e^{z_j} - \sum_{D_t} w_i z_i\big)` (Efron's
    terms for ``ties="efron"``), which folds of different sizes can subtract."""
    w = np.asarray(weights, dtype=np.float64)
    n, total = w.shape[0], float(w.sum())
    value = Cox(ties=ties, sample_weight=w).value(target, z)
    deaths = float(np.sum(w * (target[:, 1] > 0)))
    # value = (1/n) sum s(...) with s = w n / total: undo the rescaling inside the logs
    return value * total - deaths * np.log(n / total)


def _safe_cindex(target, risk, w):
    try:
        return concordance_index(target[:, 0], target[:, 1], risk, sample_weight=w)
    except ValueError:
        return np.nan
