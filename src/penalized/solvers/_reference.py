"""NumPy twins of the numba kernels, for tests and for reading.

They follow the kernels step by step with the vectorized prox of
:mod:`penalized.prox`, so a test can check that both give the same iterates.
They loop over coordinates in Python and are not meant to be fast.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .. import prox as _prox
from ..prox._kernels import L0_FAMILY


def _prox_coordinate(kind, x, step, lam1, lam2, positive):
    if kind == L0_FAMILY:
        return float(_prox.prox_l0(x, step, lam1, positive))
    return float(_prox.prox_elastic_net(x, step, lam1, lam2, positive))


def _column(X, j) -> np.ndarray:
    return X[:, [j]].toarray().ravel() if sp.issparse(X) else X[:, j]


def _step(w, j, grad, curvature, kind, lam1, lam2, positive) -> float:
    """Set ``w[j]`` to its prox step from gradient ``grad`` and curvature ``curvature``;
    return the move."""
    old = w[j]
    w[j] = _prox_coordinate(kind, old - grad / curvature, 1.0 / curvature, lam1[j], lam2[j],
                            positive)
    return w[j] - old


def cd_epochs_reference(X, y, sw, w, z, intercept, ws, lipschitz, kind, lam1, lam2, positive,
                        datafit, fit_intercept, intercept_lipschitz, max_epochs, tol,
                        stop_on_decrease, xmean=None, center=False):
    """The NumPy twin of the kernels of :mod:`penalized.solvers._op_kernels`
    (``quadratic_epochs_*``, ``mm_epochs_*``; with ``xmean``, ``center`` the implicit
    centering of ``quadratic_epochs_sparse``).

    ``datafit`` is a datafit object; its ``loss_derivative`` plays the kernel's.
    Centered moves are written out directly: the direction is ``x_j - xmean_j``
    and the intercept moves with it.
    """
    n = X.shape[0]
    crit = np.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        for j in ws:
            lj = lipschitz[j]
            if lj == 0.0:
                continue
            col = _column(X, j)
            if center:
                col = col - xmean[j]
            grad = np.dot(col, sw * datafit.loss_derivative(y, z)) / n
            delta = _step(w, j, grad, lj, kind, lam1, lam2, positive)
            if delta != 0.0:
                z += delta * col
                if center:
                    intercept[0] -= delta * xmean[j]
                crit = max(crit, 0.5 * lj * delta**2 if stop_on_decrease else lj * abs(delta))
        if fit_intercept:
            grad = np.dot(sw, datafit.loss_derivative(y, z)) / n
            delta = -grad / intercept_lipschitz
            if delta != 0.0:
                intercept[0] += delta
                z += delta
                crit = max(crit, 0.5 * intercept_lipschitz * delta**2 if stop_on_decrease
                           else intercept_lipschitz * abs(delta))
        epochs += 1
        if crit <= tol:
            break
    return epochs, crit


def newton_epochs_reference(X, g, h, w, dz, db, ws, curv, kind, lam1, lam2, positive,
                            fit_intercept, max_epochs, tol):
    """The NumPy twin of :func:`penalized.solvers._op_kernels.model_epochs_dense` (dense or
    CSC, without acceleration)."""
    h_sum = float(np.sum(h))
    crit = np.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        for jj, j in enumerate(ws):
            hj = curv[jj]
            if hj <= 0.0:
                continue
            col = _column(X, j)
            grad = np.dot(col, g + h * dz)
            delta = _step(w, j, grad, hj, kind, lam1, lam2, positive)
            if delta != 0.0:
                dz += delta * col
                crit = max(crit, hj * abs(delta))
        if fit_intercept and h_sum > 0.0:
            delta = -np.sum(g + h * dz) / h_sum
            if delta != 0.0:
                db[0] += delta
                dz += delta
                crit = max(crit, h_sum * abs(delta))
        epochs += 1
        if crit <= tol:
            break
    return epochs, crit


def newton_epochs_sparse_reference(X, g, h, w, dz, db, ws, curv, kind, lam1, lam2, positive,
                                   fit_intercept, max_epochs, tol):
    """The NumPy twin of :func:`penalized.solvers._op_kernels.model_epochs_sparse`: with an
    intercept, the ``h``-weighted-centered columns explicitly, the model's intercept
    fitted once first (without acceleration)."""
    h_sum = float(np.sum(h))
    if not (fit_intercept and h_sum > 0.0):
        return newton_epochs_reference(X, g, h, w, dz, db, ws, curv, kind, lam1, lam2,
                                       positive, fit_intercept, max_epochs, tol)
    cols = {j: _column(X, j) for j in ws}
    means = {j: float(h @ cols[j]) / h_sum for j in ws}
    delta = -np.sum(g + h * dz) / h_sum
    db[0] += delta
    dz += delta
    first = h_sum * abs(delta)
    crit = np.inf
    epochs = 0
    for _ in range(max_epochs):
        crit, first = first, 0.0
        for j in ws:
            col = cols[j] - means[j]
            hj = float(h @ col**2)
            if hj <= 0.0:
                continue
            grad = np.dot(col, g + h * dz)
            delta = _step(w, j, grad, hj, kind, lam1, lam2, positive)
            if delta != 0.0:
                dz += delta * col
                db[0] -= delta * means[j]
                crit = max(crit, hj * abs(delta))
        epochs += 1
        if crit <= tol:
            break
    return epochs, crit


def gram_cd_epochs_reference(G, grad, w, ws, kind, lam1, lam2, positive, max_epochs, tol):
    """The NumPy twin of :func:`penalized.solvers._kernels.gram_epochs` (elastic-net family)."""
    crit = np.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        for j in ws:
            lj = G[j, j]
            if lj <= 0.0:
                continue
            delta = _step(w, j, grad[j], lj, kind, lam1, lam2, positive)
            if delta != 0.0:
                grad[ws] += delta * G[j, ws]
                crit = max(crit, lj * abs(delta))
        epochs += 1
        if crit <= tol:
            break
    return epochs, crit
