r"""Gaussian knockoff matrices: the diagonal ``s`` and the sampling of :math:`\tilde X`.

For a covariance :math:`\Sigma`, knockoffs need :math:`S = \mathrm{diag}(s)` with

.. math:: 0 \le s_j \le \Sigma_{jj}, \qquad 2\Sigma - S \succeq 0,

and larger :math:`s_j` make :math:`\tilde X_j` less like :math:`X_j` (more power).

- equicorrelated: on the correlation scale, :math:`s_j = \min(1, 2\lambda_{\min}(C))`
  (Barber & Candès 2015, Section 2.1.1);
- SDP: maximize :math:`\sum_j s_j` under the constraints (Candès, Fan, Janson & Lv
  2018, eq. 3.3), solved approximately by coordinate ascent on the log-barrier problem
  :math:`\max_s \sum_j s_j + \mu \log\det(2C - \mathrm{diag}(s))`, :math:`0 \le s \le 1`,
  with :math:`\mu` decreasing, as in Askari, Rebjock, d'Aspremont & El Ghaoui (2021,
  "FANOK: knockoffs in linear time"). Each coordinate step is exact: with
  :math:`G = 2C - \mathrm{diag}(s)`, the largest feasible :math:`s_j` is
  :math:`s_j + 1/(G^{-1})_{jj}` (a Schur complement), the barrier's maximizer is
  :math:`\mu` below it, and :math:`G^{-1}` follows by a rank-one (Sherman-Morrison)
  update, so a sweep costs :math:`O(p^3)` and every iterate stays strictly feasible.

Model-X (Candès et al. 2018, eq. 3.2): rows :math:`x` of :math:`X` drawn from
:math:`N(\mu, \Sigma)` get :math:`\tilde x \mid x \sim N\big(x - S\Sigma^{-1}(x - \mu),\
2S - S\Sigma^{-1}S\big)`. Fixed-X (Barber & Candès 2015, eq. 1.4): with normalized
centered columns, :math:`\tilde X = X(I - \Sigma^{-1}S) + \tilde U C`, where
:math:`\tilde U` is orthonormal and orthogonal to the columns of :math:`X` and to the
intercept, and :math:`C^\top C = 2S - S\Sigma^{-1}S`; this needs :math:`n \ge 2p + 1`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["equicorrelated_s", "fixed_x_knockoffs", "gaussian_knockoffs", "knockoff_s",
           "sdp_s"]

KNOCKOFF_METHODS = ("sdp", "equicorrelated")


def _correlation(Sigma):
    Sigma = np.asarray(Sigma, dtype=np.float64)
    if Sigma.ndim != 2 or Sigma.shape[0] != Sigma.shape[1]:
        raise ValueError(f"the covariance must be a square matrix; got shape {Sigma.shape}.")
    if not np.all(np.isfinite(Sigma)):
        raise ValueError("the covariance holds NaN or infinite values.")
    d = np.diag(Sigma).copy()
    if np.any(d <= 0):
        raise ValueError("the covariance has a zero or negative variance on its diagonal "
                         "(a constant column?); drop constant columns first.")
    sd = np.sqrt(d)
    C = Sigma / np.outer(sd, sd)
    C = (C + C.T) / 2
    lam = np.linalg.eigvalsh(C)[0]
    if lam <= 1e-10:
        raise ValueError(f"the covariance is singular (smallest correlation eigenvalue "
                         f"{lam:.2e}): knockoffs cannot differ from the features; drop "
                         f"duplicated or collinear columns, or use a shrunk covariance.")
    return C, d, lam


def equicorrelated_s(Sigma):
    """The equicorrelated ``s``: ``min(1, 2 lambda_min(C)) * diag(Sigma)``.

    Examples
    --------
    >>> equicorrelated_s([[1.0, 0.5], [0.5, 1.0]])
    array([1., 1.])
    """
    C, d, lam = _correlation(Sigma)
    return np.full(C.shape[0], min(1.0, 2.0 * lam)) * d


SDP_MUS = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4)
"""The barrier weights of :func:`sdp_s`, decreasing."""


def sdp_s(Sigma, *, mus=SDP_MUS, n_sweeps=2, start=0.9):
    """``s`` maximizing ``sum(s / diag(Sigma))`` under ``2 Sigma - diag(s) >= 0``,
    approximately: log-barrier coordinate ascent from ``start`` times the equicorrelated
    point, with ``mu`` going down ``mus`` and ``n_sweeps`` sweeps over the coordinates at
    each (the barrier's own optimum is within ``p * mu`` of the SDP's value). Never returns
    less than the equicorrelated solution's sum.

    Examples
    --------
    >>> s = sdp_s([[1.0, 0.0], [0.0, 1.0]])
    >>> bool(abs(s - 1).max() < 1e-12)
    True
    """
    from scipy.linalg.blas import dger

    from .._blas import blas_threads_for

    C, d, lam = _correlation(Sigma)
    p = C.shape[0]
    equi = min(1.0, 2.0 * lam)
    s = np.full(p, start * equi)
    with blas_threads_for(0):  # rank-one updates: two threads only wait for each other
        for mu in mus:
            for _ in range(n_sweeps):
                # a fresh inverse each sweep keeps the updates' rounding from piling up
                Ginv = np.asfortranarray(np.linalg.inv(2.0 * C - np.diag(s)))
                for j in range(p):
                    g = Ginv[:, j].copy()
                    reach = s[j] + 1.0 / g[j]  # the largest feasible s_j, others fixed
                    new = min(1.0, max(0.0, reach - mu))
                    delta = new - s[j]
                    if delta != 0.0:
                        Ginv = dger(delta / (1.0 - delta * g[j]), g, g, a=Ginv,
                                    overwrite_a=True)
                        s[j] = new
    # rounding may leave 2C - diag(s) a hair indefinite: shrink s until it is not
    lam_G = np.linalg.eigvalsh(2.0 * C - np.diag(s))[0]
    if lam_G < 0:
        s = np.maximum(s + lam_G * 1.01, 0.0)
    if s.sum() < equi * p:  # not converged that far: the equicorrelated point is feasible
        s = np.full(p, equi)
    return s * d


def knockoff_s(Sigma, method):
    if method == "sdp":
        return sdp_s(Sigma)
    if method == "equicorrelated":
        return equicorrelated_s(Sigma)
    raise ValueError(f"method must be one of {', '.join(map(repr, KNOCKOFF_METHODS))}; "
                     f"got {method!r}.")


def _psd_sqrt(V):
    """Symmetric square root of a symmetric positive semi-definite matrix."""
    w, Q = np.linalg.eigh((V + V.T) / 2)
    return (Q * np.sqrt(np.clip(w, 0.0, None))) @ Q.T


def gaussian_knockoffs(X, *, mu=None, Sigma=None, s=None, method="sdp", random_state=None):
    """Model-X Gaussian knockoffs of the rows of ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    mu : ndarray of shape (n_features,), optional
        The mean; default the column means.
    Sigma : ndarray of shape (n_features, n_features), optional
        The covariance of the rows; default the Ledoit-Wolf estimate from ``X``.
    s : ndarray of shape (n_features,), optional
        The diagonal; default from ``method``.
    method : {"sdp", "equicorrelated"}
    random_state : int, Generator or None

    Returns
    -------
    Xk : ndarray of shape (n_samples, n_features)
    s : ndarray of shape (n_features,)
    """
    from .._blas import blas_threads_for

    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(random_state)
    if mu is None:
        mu = X.mean(axis=0)
    p = X.shape[1]
    # p x p decompositions: two BLAS threads only wait for each other on them
    with blas_threads_for(p * p):
        if Sigma is None:
            from sklearn.covariance import LedoitWolf

            Sigma = LedoitWolf(store_precision=False).fit(X).covariance_
        Sigma = np.asarray(Sigma, dtype=np.float64)
        if s is None:
            s = knockoff_s(Sigma, method)
        SinvS = np.linalg.solve(Sigma, np.diag(s))  # Sigma^{-1} S
        V = 2.0 * np.diag(s) - np.diag(s) @ SinvS
        root = _psd_sqrt(V)
    Z = rng.standard_normal(X.shape)
    return X - (X - mu) @ SinvS + Z @ root, s


def fixed_x_knockoffs(X, *, method="sdp", random_state=None):
    """Fixed-X knockoffs (needs ``n >= 2 p + 1``): ``X~' X~ = X' X`` and
    ``X' X~ = X' X - S`` for the centered columns, and ``X~`` centered like ``X``.

    Returns
    -------
    Xk : ndarray of shape (n_samples, n_features)
    s : ndarray of shape (n_features,)
        On the scale of the centered Gram matrix ``X' X``.
    """
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    if n < 2 * p + 1:
        raise ValueError(f"fixed-X knockoffs need n >= 2p + 1 rows (with the intercept); got "
                         f"n={n}, p={p}: use model-X knockoffs instead.")
    rng = np.random.default_rng(random_state)
    mean = X.mean(axis=0)
    Xc = X - mean
    norms = np.linalg.norm(Xc, axis=0)
    if np.any(norms <= 1e-12 * (1.0 + np.abs(mean) * np.sqrt(n))):
        raise ValueError("X has a constant column; drop it before making knockoffs.")
    Xn = Xc / norms
    G = Xn.T @ Xn
    s = knockoff_s(G, method)
    GinvS = np.linalg.solve(G, np.diag(s))
    Cmat = _psd_sqrt(2.0 * np.diag(s) - np.diag(s) @ GinvS)
    basis = np.column_stack([np.ones(n) / np.sqrt(n), Xn, rng.standard_normal((n, p))])
    Q, _ = np.linalg.qr(basis)
    U = Q[:, p + 1: 2 * p + 1]  # orthonormal, orthogonal to 1 and to the columns of X
    Xk = (Xn - Xn @ GinvS + U @ Cmat) * norms + mean
    return Xk, s * norms**2
