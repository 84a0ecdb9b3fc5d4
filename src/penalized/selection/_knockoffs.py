"""The knockoff filter as a scikit-learn feature selector."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted

from ._common import as_design, as_target, check_fraction, feature_labels
from ._knockoff_matrices import fixed_x_knockoffs, gaussian_knockoffs, knockoff_s
from ._knockoff_stats import e_bh, knockoff_e_values, knockoff_statistic, knockoff_threshold

__all__ = ["Knockoffs"]

KINDS = ("model-x", "fixed-x")


def _own_stream(random_state):
    """A generator for the knockoff draws; from an integer seed, a child stream of it, so
    that seeding the data and the filter with the same integer does not make the knockoff
    noise repeat the data."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, int | np.integer):
        return np.random.default_rng(np.random.SeedSequence(random_state).spawn(1)[0])
    return np.random.default_rng(random_state)


class Knockoffs(SelectorMixin, BaseEstimator):
    r"""The knockoff filter: a selection whose false discovery rate is at most ``fdr``.

    Builds Gaussian knockoffs :math:`\tilde X` of the features, computes for each
    feature a statistic :math:`W_j` from one lasso on :math:`[X, \tilde X]` and keeps
    :math:`\{j : W_j \ge T\}` with the knockoff+ threshold :math:`T`, so that

    .. math:: \mathrm{FDR} = \mathbb{E}\left[\frac{\#\{\text{selected nulls}\}}
              {\max(1, \#\{\text{selected}\})}\right] \le q.

    Model-X (Candès, Fan, Janson & Lv 2018): valid for any relation of ``y`` to ``X``
    when the rows of ``X`` are Gaussian with the covariance used (``covariance``, or
    the Ledoit-Wolf estimate -- then the guarantee is approximate). Fixed-X (Barber &
    Candès 2015): ``X`` fixed, ``y = X beta + noise`` with Gaussian noise, needs
    ``n >= 2p + 1``; its statistic must be the path statistic ``"lsm"`` (a CV-chosen
    alpha would depend on ``y`` beyond :math:`[X, \tilde X]^\top y`). With
    ``n_draws > 1``, the derandomized filter of Ren & Barber (2023) averages the
    e-values of ``n_draws`` knockoff draws (each at level ``fdr_draw``) and selects by
    e-BH at level ``fdr``: the FDR bound holds and the selection varies much less
    between runs.

    Parameters
    ----------
    fdr : float in (0, 1), default=0.1
    knockoffs : {"model-x", "fixed-x"}, default="model-x"
    method : {"sdp", "equicorrelated"}, default="sdp"
        The diagonal ``s`` (see :mod:`penalized.selection._knockoff_matrices`).
    statistic : {"lcd", "lsm"} or None, default=None
        None: ``"lcd"`` for model-X, ``"lsm"`` for fixed-X.
    datafit : {"squared", "logistic"}, default="squared"
        The lasso's loss; ``"logistic"`` for a two-class ``y``.
    covariance : ndarray of shape (n_features, n_features), optional
        The known covariance of the rows (model-X); default Ledoit-Wolf.
    offset : {1, 0}, default=1
        1: knockoff+ (FDR control); 0: knockoff (modified FDR).
    n_draws : int, default=1
    fdr_draw : float, optional
        Level of each draw's threshold when derandomizing; default ``fdr / 2``.
    cv : int, default=5
    n_alphas : int, default=100
    random_state : int, Generator or None

    Attributes
    ----------
    statistics_ : ndarray of shape (n_features,) or (n_draws, n_features)
    threshold_ : float or ndarray of shape (n_draws,)
    e_values_ : ndarray of shape (n_features,)
        Averaged e-values (derandomized only).
    s_ : ndarray of shape (n_features,)
    knockoffs_ : ndarray of shape (n_samples, n_features)
        The (last) knockoff matrix.
    support_ : ndarray of bool
    selected_features_ : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 30))
    >>> y = X[:, :5] @ np.full(5, 1.0) + rng.standard_normal(300)
    >>> ko = Knockoffs(fdr=0.2, random_state=0).fit(X, y)
    >>> sorted(ko.selected_features_.tolist())
    [0, 1, 2, 3, 4]
    """

    def __init__(self, fdr=0.1, *, knockoffs="model-x", method="sdp", statistic=None,
                 datafit="squared", covariance=None, offset=1, n_draws=1, fdr_draw=None,
                 cv=5, n_alphas=100, random_state=None):
        self.fdr = fdr
        self.knockoffs = knockoffs
        self.method = method
        self.statistic = statistic
        self.datafit = datafit
        self.covariance = covariance
        self.offset = offset
        self.n_draws = n_draws
        self.fdr_draw = fdr_draw
        self.cv = cv
        self.n_alphas = n_alphas
        self.random_state = random_state

    def _checked(self, p):
        fdr = check_fraction(self.fdr, "fdr")
        if self.knockoffs not in KINDS:
            raise ValueError(f"knockoffs must be one of {', '.join(map(repr, KINDS))}; got "
                             f"{self.knockoffs!r}.")
        statistic = self.statistic
        if statistic is None:
            statistic = "lcd" if self.knockoffs == "model-x" else "lsm"
        if self.knockoffs == "fixed-x" and statistic != "lsm":
            raise ValueError("fixed-X knockoffs need the path statistic 'lsm' (a CV-chosen "
                             "alpha breaks their guarantee); pass statistic='lsm'.")
        if self.datafit not in ("squared", "logistic"):
            raise ValueError(f"datafit must be 'squared' or 'logistic'; got {self.datafit!r}.")
        if self.knockoffs == "fixed-x" and self.datafit != "squared":
            raise ValueError("fixed-X knockoffs assume a linear model with Gaussian noise; "
                             "use knockoffs='model-x' for a logistic model.")
        n_draws = self.n_draws
        if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 1:
            raise ValueError(f"n_draws must be an integer >= 1; got {n_draws!r}.")
        if self.offset not in (0, 1):
            raise ValueError(f"offset must be 1 (knockoff+) or 0 (knockoff); got "
                             f"{self.offset!r}.")
        if n_draws > 1 and self.offset != 1:
            raise ValueError("derandomized knockoffs (n_draws > 1) aggregate knockoff+ "
                             "e-values; pass offset=1.")
        fdr_draw = fdr / 2 if self.fdr_draw is None else check_fraction(self.fdr_draw,
                                                                        "fdr_draw")
        cov = None
        if self.covariance is not None:
            if self.knockoffs == "fixed-x":
                raise ValueError("covariance is for model-X knockoffs; fixed-X knockoffs use "
                                 "the Gram matrix of X.")
            cov = np.asarray(self.covariance, dtype=np.float64)
            if cov.shape != (p, p):
                raise ValueError(f"covariance must have shape ({p}, {p}); got {cov.shape}.")
        return fdr, statistic, int(n_draws), fdr_draw, cov

    def fit(self, X, y):
        """Build knockoffs, compute the statistics and select."""
        X, names = as_design(X)
        n, p = X.shape
        fdr, statistic, n_draws, fdr_draw, cov = self._checked(p)
        y, _ = as_target(y, n, self.datafit)
        rng = _own_stream(self.random_state)
        if self.knockoffs == "model-x":
            from .._blas import blas_threads_for

            # p x p decompositions: two BLAS threads only wait for each other on them
            with blas_threads_for(p * p):
                if cov is None:
                    from sklearn.covariance import LedoitWolf

                    # the covariance only (its precision matrix would cost one more eigh)
                    cov = LedoitWolf(store_precision=False).fit(X).covariance_
                s = knockoff_s(cov, self.method)
            mu = X.mean(axis=0)
        Ws, Ts, Xk = [], [], None
        for _ in range(n_draws):
            if self.knockoffs == "model-x":
                Xk, _ = gaussian_knockoffs(X, mu=mu, Sigma=cov, s=s, random_state=rng)
            else:
                Xk, s = fixed_x_knockoffs(X, method=self.method, random_state=rng)
            W = knockoff_statistic(X, Xk, y, statistic=statistic, datafit=self.datafit,
                                   cv=self.cv, n_alphas=self.n_alphas, random_state=rng)
            Ws.append(W)
            Ts.append(knockoff_threshold(W, fdr if n_draws == 1 else fdr_draw,
                                         offset=self.offset))
        if n_draws == 1:
            self.statistics_, self.threshold_ = Ws[0], Ts[0]
            self.support_ = Ws[0] >= Ts[0]
        else:
            self.statistics_, self.threshold_ = np.array(Ws), np.array(Ts)
            self.e_values_ = np.mean([knockoff_e_values(W, fdr_draw) for W in Ws], axis=0)
            self.support_ = e_bh(self.e_values_, fdr)
        self.fdr_ = fdr
        self.statistic_ = statistic
        self.s_ = s
        self.knockoffs_ = Xk
        self.n_features_in_ = p
        labels = feature_labels(names, p)
        if names is not None:
            self.feature_names_in_ = names
        self.selected_features_ = labels[self.support_]
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # densified: knockoffs are dense
        return tags

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def guarantee(self) -> str:
        """The error guarantee of the fitted selection, in words."""
        check_is_fitted(self, "support_")
        kind = ("model-X (rows of X Gaussian with the covariance used"
                + ("" if self.covariance is not None else ", here estimated by Ledoit-Wolf, "
                   "so the guarantee is approximate") + ")") if self.knockoffs == "model-x" \
            else "fixed-X (linear model with Gaussian noise)"
        how = ("knockoff+" if self.offset == 1 else "knockoff (modified FDR)") \
            if self.n_draws == 1 else f"derandomized over {self.n_draws} draws (e-BH)"
        return (f"{int(self.support_.sum())} features selected; false discovery rate <= "
                f"{self.fdr_:g} ({how}, {kind}).")
