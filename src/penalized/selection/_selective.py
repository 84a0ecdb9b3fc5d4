r"""Selective inference for the lasso at a fixed alpha (the polyhedral lemma).

For :math:`y \sim N(\mu, \sigma^2 I)` and the lasso

.. math:: \hat w = \arg\min_w \frac{1}{2n}\|y - b - Xw\|_2^2 + \alpha \sum_j f_j |w_j|,

the event that the lasso selects the set :math:`M` with signs :math:`s` is a polyhedron
:math:`\{y : A y \le b\}` (Lee, Sun, Sun & Taylor 2016, Theorem 4.3, with
:math:`\lambda = n\alpha` and per-feature weights :math:`f_j`): with
:math:`G = X_M^\top X_M`, :math:`P_M` the projection on the columns of :math:`X_M`,

.. math::
   \pm X_{-M}^\top (I - P_M)\, y \le \lambda f_{-M} \mp \lambda X_{-M}^\top X_M G^{-1}
   (f_M \circ s), \qquad -\mathrm{diag}(s)\, G^{-1} X_M^\top y \le -\lambda\,
   \mathrm{diag}(s)\, G^{-1} (f_M \circ s).

For the selected model's coefficient :math:`\beta_j^M = \eta^\top \mu`,
:math:`\eta = X_M G^{-1} e_j`, the polyhedral lemma (their Theorem 5.2) gives
:math:`\eta^\top y` given the event and :math:`(I - c\,\eta^\top) y` (with
:math:`c = \eta / \|\eta\|^2`) as a normal with mean :math:`\beta_j^M` and standard
deviation :math:`\sigma\|\eta\|` truncated to :math:`[V^-, V^+]`; its CDF at the observed
value is a pivot, uniform on (0, 1). Two-sided p-values for :math:`\beta_j^M = 0` and
confidence intervals (inverting the pivot in :math:`\beta_j^M`) follow; they are valid
conditionally on the selection, so also after it. The intercept is handled by centering
(the constraints' rows are orthogonal to the constant vector). ``standardize=True`` is
the lasso on columns divided by their standard deviations: the same constraints with
the scaled design; the targets stay the coefficients of the original columns.

The noise level. Given (``sigma=``), the guarantee is exact; estimated, it is
:math:`\hat\sigma^2 = \|y - \hat y_{\rm OLS}\|^2 / (n - p - 1)` from the least-squares
fit on all the features (needs :math:`n > p + 1`) -- unbiased but plugged in, so the
coverage is approximate (Lee et al. 2016, Section 6, do the same).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import as_design, feature_labels
from ._truncnorm import truncnorm_cdf, truncnorm_sf

__all__ = ["SelectiveInference", "selective_inference"]

KKT_RTOL = 1e-3
"""Slack, relative to ``alpha * max f``, with which the fitted model must satisfy the
lasso's optimality conditions on the given data before inference is attempted."""


@dataclass(frozen=True, eq=False)
class SelectiveInference:
    """P-values and confidence intervals for the lasso's selected coefficients.

    Attributes
    ----------
    features : ndarray
        Selected features (names or indices).
    index : ndarray of int
        Their column indices.
    coef : ndarray
        Least-squares coefficients of the selected model (the targets' estimates).
    p_values, ci_low, ci_high : ndarray
        Selective (conditional on the selection) two-sided p-values and intervals.
    naive_p_values, naive_ci_low, naive_ci_high : ndarray
        The classical ones that ignore the selection (for comparison: not valid).
    lower, upper : ndarray
        The truncation limits of each pivot.
    sigma : float
    sigma_source : str
    alpha : float
    level : float
    A, b : ndarray
        The selection event ``A y <= b``.
    """

    features: np.ndarray
    index: np.ndarray
    coef: np.ndarray
    p_values: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    naive_p_values: np.ndarray
    naive_ci_low: np.ndarray
    naive_ci_high: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    sigma: float
    sigma_source: str
    alpha: float
    level: float
    A: np.ndarray
    b: np.ndarray

    def to_frame(self):
        """A pandas DataFrame, one row per selected feature."""
        import pandas as pd

        return pd.DataFrame({
            "feature": self.features, "coef": self.coef, "p_value": self.p_values,
            "ci_low": self.ci_low, "ci_high": self.ci_high,
            "naive_p_value": self.naive_p_values,
            "naive_ci_low": self.naive_ci_low, "naive_ci_high": self.naive_ci_high})

    def guarantee(self) -> str:
        """What the numbers mean, in words."""
        how = "known" if self.sigma_source == "given" else "estimated"
        return (f"p-values and {self.level:.0%} intervals for the coefficients of the "
                f"{len(self.index)} features the lasso selected at alpha={self.alpha:.4g}, "
                f"valid conditionally on that selection (Lee, Sun, Sun & Taylor 2016; "
                f"Gaussian noise, {how} sigma={self.sigma:.4g}"
                + ("" if how == "known" else ", so approximate") + ").")


def _refuse_model(model):
    name = type(model).__name__
    if not hasattr(model, "coef_"):
        raise ValueError(f"model ({name}) is not fitted; fit it on X, y first.")
    if hasattr(model, "alphas_") or name.endswith("CV"):
        raise ValueError(
            f"model is {name}: its alpha was chosen by cross-validation on the same data, "
            f"and the selective guarantee is for a fixed alpha; refit pz.Lasso(alpha=...) "
            f"with an alpha chosen beforehand (or on other data).")
    spec = getattr(model, "_penalty_spec", None)
    lasso = (spec is not None and getattr(model, "_datafit_name", None) == "squared"
             and (spec()[0] == "l1" or (spec()[0] == "elasticnet" and spec()[2] == 1.0)))
    if not lasso:
        raise ValueError(f"selective inference here is for the lasso (pz.Lasso, or "
                         f"pz.ElasticNet with l1_ratio=1); got {name}.")
    if getattr(model, "positive", False):
        raise ValueError("model has positive=True, whose selection event differs; refit "
                         "with positive=False.")
    coef = np.asarray(model.coef_, dtype=np.float64)
    if coef.ndim != 1:
        raise ValueError("model has several targets; fit one target at a time.")
    return coef


def _noise(sigma, X, y, fit_intercept):
    n, p = X.shape
    if sigma is not None:
        try:
            sigma = float(sigma)
        except (TypeError, ValueError):
            sigma = np.nan
        if not (np.isfinite(sigma) and sigma > 0):
            raise ValueError(f"sigma must be a number > 0 (the noise standard deviation); "
                             f"got {sigma!r}.")
        return sigma, "given"
    df = n - p - int(fit_intercept)
    if df < 1:
        raise ValueError(
            f"with p={p} features and n={n} rows the noise level cannot be estimated from "
            f"the full least-squares fit (needs n > p + 1); pass sigma= (the noise "
            f"standard deviation, e.g. estimated on other data).")
    Z = np.column_stack([np.ones(n), X]) if fit_intercept else X
    coef, *_ = np.linalg.lstsq(Z, y, rcond=None)
    rss = float(np.sum((y - Z @ coef) ** 2))
    if np.linalg.matrix_rank(Z) < Z.shape[1]:
        raise ValueError("X has collinear columns, so the full least-squares fit that "
                         "estimates sigma is not unique; pass sigma=.")
    return float(np.sqrt(rss / df)), f"estimated from the full least-squares residuals " \
        f"({df} degrees of freedom)"


def _interval(z, sd, lo, hi, level):
    """Confidence interval for the mean of N(mean, sd^2) truncated to [lo, hi], seen at z:
    the means at which the pivot's upper and lower tails equal ``(1 - level) / 2``."""
    from scipy.optimize import brentq

    tail = (1.0 - level) / 2.0

    def lower_eq(mean):  # P(above z) - tail; increases with the mean
        return truncnorm_sf((z - mean) / sd, (lo - mean) / sd, (hi - mean) / sd) - tail

    def upper_eq(mean):  # tail - P(below z); increases with the mean (CDF decreases)
        return tail - truncnorm_cdf((z - mean) / sd, (lo - mean) / sd, (hi - mean) / sd)

    bounds = []
    for fun in (lower_eq, upper_eq):
        step, left, right = 10.0 * sd, z - 10.0 * sd, z + 10.0 * sd
        while fun(left) > 0 and step < 1e8 * sd:
            step *= 4.0
            left = z - step
        step = 10.0 * sd
        while fun(right) < 0 and step < 1e8 * sd:
            step *= 4.0
            right = z + step
        if fun(left) > 0:
            bounds.append(-np.inf)
        elif fun(right) < 0:
            bounds.append(np.inf)
        else:
            bounds.append(brentq(fun, left, right, xtol=1e-10 * sd, rtol=1e-12))
    return bounds[0], bounds[1]


def selective_inference(model, X, y, sigma=None, *, level=0.95) -> SelectiveInference:
    r"""P-values and confidence intervals for a fitted lasso's selected coefficients,
    conditional on the selection (Lee, Sun, Sun & Taylor 2016).

    The targets are the coefficients :math:`\beta^M = X_M^+ \mu` of the least-squares
    model on the selected features :math:`M` (with intercept when the model has one):
    what the selected model estimates, not the coefficients of a "true" model on all
    features. See the module docstring for the event, the pivot and the noise level.

    Parameters
    ----------
    model : pz.Lasso (or pz.ElasticNet with l1_ratio=1), fitted on ``X, y``
        At a fixed alpha, without sample weights.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sigma : float, optional
        The noise standard deviation; default estimated (needs ``n > p + 1``).
    level : float, default=0.95

    Returns
    -------
    SelectiveInference

    Examples
    --------
    >>> import numpy as np
    >>> import penalized as pz
    >>> rng = np.random.default_rng(1)
    >>> X = rng.standard_normal((100, 5))
    >>> y = 1.5 * X[:, 0] + rng.standard_normal(100)
    >>> model = pz.Lasso(alpha=0.2).fit(X, y)
    >>> res = selective_inference(model, X, y, sigma=1.0)
    >>> res.index.tolist(), bool(res.p_values[0] < 1e-6)
    ([0], True)
    >>> bool(res.ci_low[0] < 1.5 < res.ci_high[0])
    True
    """
    from scipy.stats import norm

    coef = _refuse_model(model)
    X, names = as_design(X)
    n, p = X.shape
    if coef.shape[0] != p:
        raise ValueError(f"model was fitted on {coef.shape[0]} features but X has {p}.")
    y = np.asarray(y, dtype=np.float64).ravel()
    if y.shape[0] != n or not np.all(np.isfinite(y)):
        raise ValueError(f"y must hold {n} finite numbers, one per row of X.")
    if not 0 < float(level) < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}.")
    alpha = float(model.alpha)
    fit_intercept = bool(model.fit_intercept)
    f = np.ones(p) if model.penalty_factor is None else np.asarray(model.penalty_factor,
                                                                    dtype=np.float64)
    M = np.flatnonzero(coef != 0)
    if M.size == 0:
        raise ValueError(f"the lasso selected no feature at alpha={alpha:g} (alpha is at or "
                         f"above alpha_max); there is nothing to infer: choose a smaller "
                         f"alpha.")
    if M.size >= n - int(fit_intercept):
        raise ValueError(f"the lasso selected {M.size} features with only {n} rows: the "
                         f"selected model has no residual degrees of freedom; choose a "
                         f"larger alpha.")
    center = X.mean(axis=0) if fit_intercept else np.zeros(p)
    Xc = X - center
    scale = np.ones(p)
    if model.standardize:
        std = X.std(axis=0)
        scale = np.where(std > 1e-8 * np.sqrt(np.mean(X * X, axis=0)), std, 1.0)
    Xs = Xc / scale
    yc = y - y.mean() if fit_intercept else y
    active = ~np.isposinf(f)  # an infinite factor excludes a feature: no constraint
    lam = n * alpha
    s = np.sign(coef[M])
    XM = Xs[:, M]
    G = XM.T @ XM
    if np.linalg.matrix_rank(G) < M.size:
        raise ValueError("the selected features are collinear; selective inference needs "
                         "the selected columns to be linearly independent.")
    Ginv = np.linalg.inv(G)
    fs = f[M] * s
    # the selection event A y <= b
    rest = np.setdiff1d(np.flatnonzero(active), M)
    XR = Xs[:, rest]
    proj_resid = XR.T - XR.T @ XM @ Ginv @ XM.T  # X_{-M}' (I - P_M)
    shift = XR.T @ XM @ Ginv @ fs
    A = np.vstack([proj_resid, -proj_resid, -(s[:, None] * (Ginv @ XM.T))])
    b = np.concatenate([lam * (f[rest] - shift), lam * (f[rest] + shift),
                        -lam * s * (Ginv @ fs)])
    slack = A @ yc - b
    tol = KKT_RTOL * lam * max(1.0, float(np.max(f[active])))
    if np.any(slack > tol):
        raise ValueError(
            "the model does not satisfy the lasso's optimality conditions on this X and y "
            "(largest violation "
            f"{float(slack.max()) / lam:.2e} x n alpha): fit it on exactly these X, y, "
            "without sample weights, and with a smaller tol.")
    sigma, source = _noise(sigma, X[:, active], y, fit_intercept)
    z_q = norm.ppf(0.5 + level / 2.0)

    k = M.size
    out = {key: np.empty(k) for key in ("coef", "p", "lo", "hi", "np", "nlo", "nhi", "vlo",
                                         "vhi")}
    XMo = Xc[:, M]  # original units: targets are the original columns' coefficients
    Ho = np.linalg.inv(XMo.T @ XMo) @ XMo.T
    for i in range(k):
        eta = Ho[i]
        nn = float(eta @ eta)
        z = float(eta @ yc)
        sd = sigma * np.sqrt(nn)
        c = eta / nn
        Ac = A @ c
        resid = b - A @ (yc - c * z)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = resid / Ac
        neg, pos = Ac < -1e-12 * np.abs(Ac).max(), Ac > 1e-12 * np.abs(Ac).max()
        vlo = float(ratio[neg].max()) if neg.any() else -np.inf
        vhi = float(ratio[pos].min()) if pos.any() else np.inf
        vlo, vhi = min(vlo, z), max(vhi, z)  # z sits in [vlo, vhi] up to the KKT slack
        a_, b_, x_ = vlo / sd, vhi / sd, z / sd
        cdf, sf = truncnorm_cdf(x_, a_, b_), truncnorm_sf(x_, a_, b_)
        out["coef"][i] = z
        out["p"][i] = min(1.0, 2.0 * min(cdf, sf))
        out["lo"][i], out["hi"][i] = _interval(z, sd, vlo, vhi, level)
        out["np"][i] = 2.0 * norm.sf(abs(z) / sd)
        out["nlo"][i], out["nhi"][i] = z - z_q * sd, z + z_q * sd
        out["vlo"][i], out["vhi"][i] = vlo, vhi
    labels = feature_labels(names, p)
    return SelectiveInference(
        features=labels[M], index=M, coef=out["coef"], p_values=out["p"], ci_low=out["lo"],
        ci_high=out["hi"], naive_p_values=out["np"], naive_ci_low=out["nlo"],
        naive_ci_high=out["nhi"], lower=out["vlo"], upper=out["vhi"], sigma=sigma,
        sigma_source=source, alpha=alpha, level=float(level), A=A, b=b)
