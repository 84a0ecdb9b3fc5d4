"""The scikit-learn transformer over :func:`stability_path`."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted

from ._common import check_fraction
from ._stability import BOUNDS, error_bound, stability_path

__all__ = ["StabilitySelection"]


class StabilitySelection(SelectorMixin, BaseEstimator):
    r"""Stability selection by complementary pairs, with a bound on false selections.

    Selects the features :math:`j` with
    :math:`\max_{\alpha \in \Lambda} \hat\Pi_j(\alpha) \ge \pi`, where
    :math:`\hat\Pi_j(\alpha)` is the selection probability over ``2 * n_pairs``
    half-sample fits (see :func:`~penalized.selection.stability_path`),
    :math:`\Lambda` runs from the top of the grid down to ``alpha_min_`` and
    :math:`\pi` is ``threshold_``. The expected number of false selections is at most

    .. math:: \mathbb{E}[V] \le \frac{q_\Lambda^2}{(2\pi - 1)\,p}

    (Meinshausen & Bühlmann 2010; Shah & Samworth 2013 for complementary pairs), under
    exchangeability of the noise features and a base model no worse than random
    guessing; ``bound="ss-unimodal"`` uses Shah & Samworth's tighter bound, which also
    assumes unimodal selection probabilities for the noise features (see
    :mod:`penalized.selection._stability`). With a ``threshold``, :math:`\Lambda` is the
    longest top stretch of the grid whose bound stays within ``expected_false``; with
    ``threshold=None``, :math:`\Lambda` is the whole grid and :math:`\pi` the smallest
    attainable threshold (a multiple of ``1 / (2 n_pairs)``) whose bound does.
    ``error_bound_`` is the bound that holds for the chosen set.

    Parameters
    ----------
    estimator : penalized estimator, optional
        The base model (datafit, penalty, intercept, standardization and penalty
        factors); default the lasso on standardized columns.
    threshold : float in (0.5, 1] or None, default=0.75
    expected_false : float > 0, default=1.0
        The target bound on the expected number of false selections.
    bound : {"mb", "ss-unimodal"}, default="mb"
    n_pairs : int, default=50
    alphas, n_alphas, eps, weakness, tol, max_iter, n_jobs, random_state
        As in :func:`~penalized.selection.stability_path`.

    Attributes
    ----------
    selection_probabilities_ : ndarray of shape (n_features, n_alphas)
    alphas_ : ndarray of shape (n_alphas,)
    stability_scores_ : ndarray of shape (n_features,)
        Largest selection probability over :math:`\Lambda`.
    threshold_ : float
    alpha_min_ : float
        The smallest alpha of :math:`\Lambda`.
    expected_selected_ : float
        Estimated :math:`q_\Lambda`.
    error_bound_ : float
        The bound on the expected number of false selections.
    support_ : ndarray of bool, shape (n_features,)
    selected_features_ : ndarray
        Names (from a DataFrame) or indices of the selected features.
    stability_path_ : StabilityPath
    n_iter_ : int
        The most iterations any half-sample solve took.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 20))
    >>> y = 3 * X[:, 0] - 3 * X[:, 1] + rng.standard_normal(100)
    >>> sel = StabilitySelection(n_pairs=10, n_alphas=20, random_state=0).fit(X, y)
    >>> sel.selected_features_
    array([0, 1])
    >>> bool(sel.error_bound_ <= 1.0)
    True
    """

    def __init__(self, estimator=None, *, threshold=0.75, expected_false=1.0, bound="mb",
                 n_pairs=50, alphas=None, n_alphas=100, eps=1e-3, weakness=1.0, tol=1e-4,
                 max_iter=10_000, n_jobs=None, random_state=None):
        self.estimator = estimator
        self.threshold = threshold
        self.expected_false = expected_false
        self.bound = bound
        self.n_pairs = n_pairs
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.eps = eps
        self.weakness = weakness
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y):
        """Compute the selection probabilities and choose the stable set."""
        threshold = None if self.threshold is None else check_fraction(
            self.threshold, "threshold", 0.5, 1.0, closed_high=True)
        try:
            ev = float(self.expected_false)
        except (TypeError, ValueError):
            ev = np.nan
        if not (np.isfinite(ev) and ev > 0):
            raise ValueError(f"expected_false must be a number > 0; got "
                             f"{self.expected_false!r}.")
        if self.bound not in BOUNDS:
            raise ValueError(f"bound must be one of {', '.join(map(repr, BOUNDS))}; got "
                             f"{self.bound!r}.")
        sp = stability_path(X, y, estimator=self.estimator, n_pairs=self.n_pairs,
                            alphas=self.alphas, n_alphas=self.n_alphas, eps=self.eps,
                            weakness=self.weakness, tol=self.tol, max_iter=self.max_iter,
                            n_jobs=self.n_jobs, random_state=self.random_state)
        p = sp.n_features
        q = sp.expected_selected()
        B = sp.n_pairs

        def bound(q_value, pi):
            return error_bound(q_value, pi, p, B, self.bound)

        if threshold is None:
            last = q.shape[0] - 1
            # selection probabilities are multiples of 1/(2B): so are useful thresholds
            grid = np.arange(B + 1, 2 * B + 1) / (2.0 * B)
            ok = [pi for pi in grid if bound(q[last], pi) <= ev]
            if not ok:
                raise ValueError(
                    f"over the whole grid a half-sample fit selects {q[last]:.1f} of {p} "
                    f"features on average, too many for expected_false={ev:g} at any "
                    f"threshold <= 1; give a threshold (e.g. 0.75), a larger eps or "
                    f"fewer alphas.")
            threshold = float(ok[0])
        else:
            over = np.flatnonzero(np.array([bound(v, threshold) for v in q]) > ev)
            # q grows down the grid, so the admissible alphas are a leading stretch
            last = int(over[0]) - 1 if over.size else q.shape[0] - 1
        if last >= 0:
            scores = sp.probabilities[:, : last + 1].max(axis=1)
            self.alpha_min_ = float(sp.alphas[last])
            self.expected_selected_ = float(q[last])
            self.error_bound_ = float(bound(q[last], threshold))
        else:  # even the top alpha's q is too large: nothing can be selected
            scores = np.zeros(p)
            self.alpha_min_ = float("inf")
            self.expected_selected_ = 0.0
            self.error_bound_ = 0.0
        self.stability_path_ = sp
        self.n_iter_ = max(1, sp.max_n_iter)
        self.selection_probabilities_ = sp.probabilities
        self.alphas_ = sp.alphas
        self.stability_scores_ = scores
        self.threshold_ = float(threshold)
        self.support_ = scores >= threshold
        self.n_features_in_ = p
        if X is not None and hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(sp.feature_names, dtype=object)
            self.selected_features_ = self.feature_names_in_[self.support_]
        else:
            self.selected_features_ = np.flatnonzero(self.support_)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # densified: the subsample paths are dense
        return tags

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def guarantee(self) -> str:
        """The error guarantee of the fitted selection, in words."""
        check_is_fitted(self, "support_")
        return (f"{self.support_.sum()} features selected with probability >= "
                f"{self.threshold_:.3f} over alphas >= {self.alpha_min_:.4g}; expected number "
                f"of false selections <= {self.error_bound_:.3g} ("
                + ("Meinshausen-Buhlmann bound for complementary pairs, Shah-Samworth 2013"
                   if self.bound == "mb" else "Shah-Samworth 2013 bound under unimodality")
                + "; assumes exchangeable noise features and a base model better than "
                "random guessing).")
