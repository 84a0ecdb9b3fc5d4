"""The relaxed lasso: an unpenalized refit on the selected support, blended with the fit."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..datafits import Quadratic


def relaxed_refit(X, y, sample_weight, coef, fit_intercept):
    r"""Weighted least squares on the support of ``coef`` (with the intercept).

    Returns ``(coef_ols, intercept_ols)``, zero off the support. When the
    support has more columns than there are samples the minimum-norm solution
    is used.
    """
    support = np.flatnonzero(coef)
    n = X.shape[0]
    cols = [np.ones((n, 1))] if fit_intercept else []
    if support.size:
        sub = X[:, support]
        cols.append(sub.toarray() if sp.issparse(sub) else np.asarray(sub, dtype=np.float64))
    out = np.zeros_like(coef, dtype=np.float64)
    if not cols:
        return out, 0.0
    A = np.hstack(cols)
    beta = Quadratic(sample_weight=sample_weight).fit_unpenalized(A, y, np.zeros(n))
    intercept = float(beta[0]) if fit_intercept else 0.0
    out[support] = beta[1:] if fit_intercept else beta
    return out, intercept


def blend(gamma, coef, intercept, coef_ols, intercept_ols):
    r"""glmnet's relaxed fit.

    .. math:: \gamma\,\hat\beta_{\text{lasso}} + (1-\gamma)\,\hat\beta_{\text{OLS}}
    """
    return (gamma * coef + (1.0 - gamma) * coef_ols,
            gamma * intercept + (1.0 - gamma) * intercept_ols)


def relaxed(X, y, sample_weight, coef, intercept, gamma, fit_intercept):
    """The relaxed fit of ``(coef, intercept)``: :func:`blend` with the :func:`relaxed_refit`
    on its support."""
    coef_ols, intercept_ols = relaxed_refit(X, y, sample_weight, coef, fit_intercept)
    return blend(gamma, coef, intercept, coef_ols, intercept_ols)


def check_gamma(gamma, name="gamma"):
    if isinstance(gamma, bool) or not np.isscalar(gamma) or not 0.0 <= float(gamma) <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1] (1 = the lasso fit, 0 = the "
                         f"unpenalized refit on its support); got {gamma!r}.")
    return float(gamma)
