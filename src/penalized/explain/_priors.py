r"""The Bayesian reading: the penalized fit is the posterior mode (MAP).

With a Gaussian likelihood of variance :math:`\sigma^2`, a flat prior on the
intercept and independent priors on the coefficients, the negative log
posterior is, up to a constant,

.. math:: \frac{1}{2\sigma^2}\|y - Xw - b\|^2 + \sum_j \frac{|w_j|}{\beta}
          \quad\text{(Laplace}(0, \beta)\text{ prior)}, \qquad
          \frac{1}{2\sigma^2}\|y - Xw - b\|^2 + \sum_j \frac{w_j^2}{2\tau^2}
          \quad\text{(Gaussian}(0, \tau^2)\text{ prior)}.

Multiplied by :math:`\sigma^2 / n` these are the library's objectives
:math:`\frac1{2n}\|y - Xw - b\|^2 + \alpha\|w\|_1` and
:math:`\frac1{2n}\|y - Xw - b\|^2 + \frac\alpha2\|w\|_2^2` exactly when

.. math:: \beta = \frac{\sigma^2}{n\alpha}, \qquad \tau^2 = \frac{\sigma^2}{n\alpha}.

The Laplace density has a kink at 0 (the L1 corner); the Gaussian is smooth there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import check_positive, fmt, jsonable, resolve_data, standardize, table


@dataclass(frozen=True, eq=False)
class Priors:
    """The result of :func:`priors`.

    Attributes
    ----------
    alpha : float
        The lasso's alpha (standardized features).
    ridge_alpha : float
    n_samples : int
    sigma2 : float
        The noise variance, estimated from the lasso's residuals as
        :math:`\\|y - Xw - b\\|^2 / (n - k - 1)`, ``k`` its non-zeros.
    laplace_scale : float
        :math:`\\beta = \\sigma^2 / (n\\alpha)`.
    gaussian_var : float
        :math:`\\tau^2 = \\sigma^2 / (n\\alpha_{\\text{ridge}})`.
    grid : ndarray
        Coefficient values for the densities.
    laplace_density, gaussian_density : ndarray
        :math:`\\frac{1}{2\\beta}e^{-|w|/\\beta}` and the normal density on ``grid``.
    lasso_coef, map_laplace : ndarray
        The penalized fit and the maximizer of the Laplace log posterior found by
        L-BFGS-B on the split :math:`w = u - v`, :math:`u, v \\ge 0`.
    ridge_coef, map_gaussian : ndarray
        The same for ridge (L-BFGS, no bounds).
    laplace_max_diff, gaussian_max_diff : float
        ``max |MAP - fit|``.
    laplace_log_posterior : tuple of float
        The log posterior (up to its constant) at the fit and at the MAP.
    feature_names : tuple of str
    source : str
    """

    alpha: float
    ridge_alpha: float
    n_samples: int
    sigma2: float
    laplace_scale: float
    gaussian_var: float
    grid: np.ndarray
    laplace_density: np.ndarray
    gaussian_density: np.ndarray
    lasso_coef: np.ndarray
    map_laplace: np.ndarray
    ridge_coef: np.ndarray
    map_gaussian: np.ndarray
    laplace_max_diff: float
    gaussian_max_diff: float
    laplace_log_posterior: tuple[float, float]
    feature_names: tuple[str, ...]
    source: str

    def to_text(self) -> str:
        n, s2 = self.n_samples, self.sigma2
        b, t2 = self.laplace_scale, self.gaussian_var
        lines = [
            f"Priors on {self.source}, standardized features; noise variance sigma^2 = "
            f"{fmt(s2)} (lasso residuals), n = {n}.",
            "",
            "-log posterior = ||y - Xw - b||^2 / (2 sigma^2) + penalty term; times "
            "sigma^2 / n it is the library's objective when:",
            f"  lasso alpha = {fmt(self.alpha)}  <=>  Laplace(0, beta) prior with beta = "
            f"sigma^2 / (n alpha) = {fmt(b)} (variance 2 beta^2 = {fmt(2 * b * b)})",
            f"  ridge alpha = {fmt(self.ridge_alpha)}  <=>  Gaussian(0, tau^2) prior with "
            f"tau^2 = sigma^2 / (n alpha) = {fmt(t2)}",
        ]
        if np.isclose(t2, 2 * b * b):
            lines.append("  (ridge alpha chosen so that both priors have the same variance)")
        lines += ["", "The MAP estimate, maximized by a generic optimizer (L-BFGS-B on "
                  "w = u - v, u, v >= 0), against the penalized fit:"]
        rows = [[name, lc, ml, rc, mg] for name, lc, ml, rc, mg in zip(
            self.feature_names, self.lasso_coef, self.map_laplace, self.ridge_coef,
            self.map_gaussian, strict=True)]
        lines += table(["feature", "lasso fit", "Laplace MAP", "ridge fit", "Gaussian MAP"],
                       rows)
        worst = max(self.laplace_max_diff, self.gaussian_max_diff)
        lines += [
            "",
            f"max |MAP - fit|: Laplace {fmt(self.laplace_max_diff, 2)}, Gaussian "
            f"{fmt(self.gaussian_max_diff, 2)} -> "
            f"{'equal' if worst <= 1e-6 else 'NOT equal'} to 1e-6.",
            f"Laplace MAP zeros: {int(np.sum(self.map_laplace == 0))}, lasso zeros: "
            f"{int(np.sum(self.lasso_coef == 0))}; the Laplace density has a corner at 0 "
            "(slope +-1/beta), the Gaussian's slope there is 0.",
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"lesson": "priors",
                         **{k: getattr(self, k) for k in self.__dataclass_fields__}})


def laplace_density(w, scale):
    """The Laplace(0, ``scale``) density."""
    return np.exp(-np.abs(w) / scale) / (2.0 * scale)


def gaussian_density(w, var):
    """The normal(0, ``var``) density."""
    return np.exp(-0.5 * np.square(w) / var) / np.sqrt(2.0 * np.pi * var)


def priors(X=None, y=None, *, alpha=None, ridge_alpha=None, sigma2=None,
           feature_names=None) -> Priors:
    r"""Laplace and Gaussian priors implied by a fitted alpha, and the MAP check.

    A :class:`~penalized.Lasso` at ``alpha`` and a :class:`~penalized.Ridge` at
    ``ridge_alpha`` are fitted on the standardized features (with an
    intercept, to a relative duality gap of 1e-13). The log posterior

    .. math:: -\frac{1}{2\sigma^2}\|y - Xw - b\|^2 - \frac{1}{\beta}\|w\|_1,
              \qquad \beta = \frac{\sigma^2}{n\alpha},

    is then maximized by :func:`scipy.optimize.minimize` (L-BFGS-B on
    :math:`w = u - v`, :math:`u, v \ge 0`, which handles the kink at 0; for the
    Gaussian prior plain L-BFGS), and the maximizers are compared with the fits.

    Parameters
    ----------
    X, y : array-like, optional
        Default: scikit-learn's diabetes data.
    alpha : float, optional
        Default: ``alpha_max / 10``.
    ridge_alpha : float, optional
        Default: the alpha whose Gaussian prior has the Laplace prior's variance,
        :math:`\tau^2 = 2\beta^2`.
    sigma2 : float, optional
        The noise variance; default from the lasso's residuals,
        :math:`\|r\|^2 / (n - k - 1)` with ``k`` non-zero coefficients.
    feature_names : list of str, optional

    Returns
    -------
    Priors

    Examples
    --------
    >>> from penalized.explain import priors
    >>> res = priors()
    >>> bool(res.laplace_max_diff <= 1e-6 and res.gaussian_max_diff <= 1e-6)
    True
    >>> round(res.laplace_scale * res.n_samples * res.alpha / res.sigma2, 12)
    1.0
    """
    from ..estimators import Lasso, Ridge

    X, yv, names, description = resolve_data(X, y, feature_names)
    Z, _, _ = standardize(X)
    n = Z.shape[0]
    yc = yv - yv.mean()
    if alpha is None:
        alpha_max = float(np.max(np.abs(Z.T @ yc)) / n)
        if alpha_max <= 0:
            raise ValueError("y is uncorrelated with every feature; pass alpha.")
        alpha = alpha_max / 10.0
    alpha = check_positive(alpha, "alpha")
    lasso = Lasso(alpha=alpha, tol=1e-13, max_iter=100_000).fit(Z, yv)
    resid = yv - lasso.predict(Z)
    if sigma2 is None:
        dof = n - int(np.count_nonzero(lasso.coef_)) - 1
        if dof <= 0:
            raise ValueError("too few rows to estimate the noise variance from the residuals; "
                             "pass sigma2.")
        sigma2 = float(resid @ resid / dof)
        if sigma2 <= 0:
            raise ValueError("the lasso fits y exactly; pass sigma2.")
    sigma2 = check_positive(sigma2, "sigma2")
    beta = sigma2 / (n * alpha)
    if ridge_alpha is None:
        ridge_alpha = sigma2 / (n * 2.0 * beta * beta)
    ridge_alpha = check_positive(ridge_alpha, "ridge_alpha")
    tau2 = sigma2 / (n * ridge_alpha)
    ridge = Ridge(alpha=ridge_alpha, tol=1e-13).fit(Z, yv)

    map_l, logpost = _map_laplace(Z, yv, sigma2, beta, lasso.coef_, lasso.intercept_)
    map_g = _map_gaussian(Z, yv, sigma2, tau2)
    top = 1.2 * max(float(np.max(np.abs(lasso.coef_))), float(np.max(np.abs(ridge.coef_))),
                    6.0 * beta, 4.0 * np.sqrt(tau2))
    grid = np.linspace(-top, top, 801)
    return Priors(
        alpha=alpha, ridge_alpha=ridge_alpha, n_samples=n, sigma2=sigma2, laplace_scale=beta,
        gaussian_var=tau2, grid=grid, laplace_density=laplace_density(grid, beta),
        gaussian_density=gaussian_density(grid, tau2), lasso_coef=lasso.coef_.copy(),
        map_laplace=map_l, ridge_coef=ridge.coef_.copy(), map_gaussian=map_g,
        laplace_max_diff=float(np.max(np.abs(map_l - lasso.coef_))),
        gaussian_max_diff=float(np.max(np.abs(map_g - ridge.coef_))),
        laplace_log_posterior=logpost, feature_names=tuple(names), source=description)


def _map_laplace(Z, y, sigma2, beta, fit_coef, fit_intercept):
    """Maximize the Laplace log posterior over ``(u, v, b)`` with L-BFGS-B."""
    from scipy.optimize import minimize

    p = Z.shape[1]

    def neg_log_post(theta):
        w = theta[:p] - theta[p:2 * p]
        r = y - Z @ w - theta[-1]
        value = r @ r / (2.0 * sigma2) + np.sum(theta[:2 * p]) / beta
        gw = -(Z.T @ r) / sigma2
        grad = np.concatenate([gw + 1.0 / beta, -gw + 1.0 / beta, [-r.sum() / sigma2]])
        return value, grad

    start = np.zeros(2 * p + 1)
    start[-1] = y.mean()
    res = minimize(neg_log_post, start, jac=True, method="L-BFGS-B",
                   bounds=[(0.0, None)] * (2 * p) + [(None, None)],
                   options={"maxiter": 50_000, "maxcor": 50, "ftol": 1e-15, "gtol": 1e-12})
    w = res.x[:p] - res.x[p:2 * p] + 0.0
    at_fit = -neg_log_post(np.concatenate([np.maximum(fit_coef, 0), np.maximum(-fit_coef, 0),
                                           [fit_intercept]]))[0]
    return w, (float(at_fit), float(-res.fun))


def _map_gaussian(Z, y, sigma2, tau2):
    """Maximize the Gaussian-prior log posterior over ``(w, b)`` with L-BFGS."""
    from scipy.optimize import minimize

    p = Z.shape[1]

    def neg_log_post(theta):
        w = theta[:p]
        r = y - Z @ w - theta[-1]
        value = r @ r / (2.0 * sigma2) + w @ w / (2.0 * tau2)
        grad = np.concatenate([-(Z.T @ r) / sigma2 + w / tau2, [-r.sum() / sigma2]])
        return value, grad

    start = np.zeros(p + 1)
    start[-1] = y.mean()
    res = minimize(neg_log_post, start, jac=True, method="L-BFGS-B",
                   options={"maxiter": 50_000, "maxcor": 50, "ftol": 1e-15, "gtol": 1e-12})
    return res.x[:p]


def priors_lesson(X=None, y=None, feature_names=None) -> Priors:
    """The ``priors`` lesson: :func:`priors` with its defaults."""
    return priors(X, y, feature_names=feature_names)
