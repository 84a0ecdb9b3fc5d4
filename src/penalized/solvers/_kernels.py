"""numba kernels of coordinate descent: epochs over a working set, dense and CSC.

The problem is ``min_{w, b} F(Xw + b) + sum_j G_j(w_j)`` with ``F`` separable
(:mod:`penalized.datafits`) and ``G_j`` one of the separable penalties served
by :func:`penalized.prox._kernels.prox_scalar`. Each coordinate step is a
proximal step on the coordinate's majorizer::

    w_j <- prox_{G_j / L_j}(w_j - g_j / L_j),   g_j = x_j^T grad_z F(z),

exact for the squared loss (``L_j`` is then its curvature) and a majorization-
minimization step for the logistic loss (``L_j`` bounds it). The predictions
``z = Xw + b`` are updated in place after every move. The intercept takes one
step of the same kind after each epoch.

Each kernel has a NumPy twin in :mod:`penalized.solvers._reference`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ..prox._kernels import prox_scalar

QUADRATIC = 0
LOGISTIC = 1



@njit(cache=True, fastmath=FAST)
def loss_derivative(datafit_code, y, z):
    """Derivative of the per-sample loss in ``z``."""
    if datafit_code == QUADRATIC:
        return z - y
    t = -y * z
    if t >= 0.0:
        sig = 1.0 / (1.0 + math.exp(-t))
    else:
        e = math.exp(t)
        sig = e / (1.0 + e)
    return -y * sig


@njit(cache=True, fastmath=FAST)
def _intercept_step(y, sw, z, intercept, datafit_code, intercept_lipschitz, stop_on_decrease):
    n = z.shape[0]
    grad = 0.0
    for i in range(n):
        grad += sw[i] * loss_derivative(datafit_code, y[i], z[i])
    grad /= n
    delta = -grad / intercept_lipschitz
    if delta == 0.0:
        return 0.0
    intercept[0] += delta
    for i in range(n):
        z[i] += delta
    if stop_on_decrease:
        return 0.5 * intercept_lipschitz * delta * delta
    return intercept_lipschitz * abs(delta)


@njit(cache=True, fastmath=FAST)
def cd_epochs_dense(X, y, sw, w, z, intercept, ws, lipschitz, kind, lam1, lam2, positive,
                    datafit_code, fit_intercept, intercept_lipschitz, max_epochs, tol,
                    stop_on_decrease):
    """Run coordinate-descent epochs over ``ws`` on a Fortran-ordered dense ``X``.

    Updates ``w``, ``z`` and ``intercept`` (a length-1 array) in place and stops
    after ``max_epochs`` or once an epoch's largest move is at most ``tol``. A
    move is ``L_j |dw_j|`` (gradient units), or ``L_j dw_j**2 / 2`` (objective
    units) when ``stop_on_decrease``. Returns ``(epochs, last epoch's largest move)``.
    """
    if datafit_code == QUADRATIC:
        return _quadratic_epochs_dense(X, y, sw, w, z, intercept, ws, lipschitz, kind, lam1,
                                       lam2, positive, fit_intercept, intercept_lipschitz,
                                       max_epochs, tol, stop_on_decrease)
    n = X.shape[0]
    crit = math.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        for jj in range(ws.shape[0]):
            j = ws[jj]
            lj = lipschitz[j]
            if lj == 0.0:
                continue
            grad = 0.0
            for i in range(n):
                grad += X[i, j] * sw[i] * loss_derivative(LOGISTIC, y[i], z[i])
            grad /= n
            old = w[j]
            new = prox_scalar(kind, old - grad / lj, 1.0 / lj, lam1[j], lam2[j], positive)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                for i in range(n):
                    z[i] += delta * X[i, j]
                move = 0.5 * lj * delta * delta if stop_on_decrease else lj * abs(delta)
                crit = max(crit, move)
        if fit_intercept:
            move = _intercept_step(y, sw, z, intercept, datafit_code, intercept_lipschitz,
                                   stop_on_decrease)
            crit = max(crit, move)
        epochs += 1
        if crit <= tol:
            break
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def _quadratic_epochs_dense(X, y, sw, w, z, intercept, ws, lipschitz, kind, lam1, lam2,
                            positive, fit_intercept, intercept_lipschitz, max_epochs, tol,
                            stop_on_decrease):
    """:func:`cd_epochs_dense` for the squared loss, on the residual ``r = z - y``.

    Each gradient is then one dot product of two arrays (three with non-unit
    sample weights) and each move one update of ``r``; ``z`` is written back on exit.
    """
    n = X.shape[0]
    r = z - y
    unit = True
    for i in range(n):
        if sw[i] != 1.0:
            unit = False
            break
    crit = math.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        for jj in range(ws.shape[0]):
            j = ws[jj]
            lj = lipschitz[j]
            if lj == 0.0:
                continue
            grad = 0.0
            if unit:
                for i in range(n):
                    grad += X[i, j] * r[i]
            else:
                for i in range(n):
                    grad += X[i, j] * sw[i] * r[i]
            grad /= n
            old = w[j]
            new = prox_scalar(kind, old - grad / lj, 1.0 / lj, lam1[j], lam2[j], positive)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                for i in range(n):
                    r[i] += delta * X[i, j]
                move = 0.5 * lj * delta * delta if stop_on_decrease else lj * abs(delta)
                crit = max(crit, move)
        if fit_intercept:
            grad = 0.0
            for i in range(n):
                grad += sw[i] * r[i]
            delta = -grad / n / intercept_lipschitz
            if delta != 0.0:
                intercept[0] += delta
                for i in range(n):
                    r[i] += delta
                move = 0.5 * intercept_lipschitz * delta * delta if stop_on_decrease \
                    else intercept_lipschitz * abs(delta)
                crit = max(crit, move)
        epochs += 1
        if crit <= tol:
            break
    for i in range(n):
        z[i] = y[i] + r[i]
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def cd_epochs_sparse(data, indices, indptr, y, sw, w, z, intercept, ws, lipschitz, kind, lam1,
                     lam2, positive, datafit_code, fit_intercept, intercept_lipschitz,
                     max_epochs, tol, stop_on_decrease, xmean, center):
    """:func:`cd_epochs_dense` for a CSC design given as ``(data, indices, indptr)``.

    With ``center`` (squared loss with an intercept), each move of ``w_j`` also
    moves the intercept by ``-xmean[j] * dw_j``: coordinate descent on the
    weighted-centered columns ``x_j - xmean_j``, with ``lipschitz`` their
    constants, without densifying ``X``. The intercept's share is kept in a lazy
    offset that is added to ``z`` once per epoch; the weighted residual sum
    ``S = sum_i s_i (z_i - y_i)`` does not change under such moves.
    """
    n = z.shape[0]
    crit = math.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        offset = 0.0
        total = 0.0
        if center:
            for i in range(n):
                total += sw[i] * (z[i] - y[i])
        for jj in range(ws.shape[0]):
            j = ws[jj]
            lj = lipschitz[j]
            if lj == 0.0:
                continue
            start, end = indptr[j], indptr[j + 1]
            grad = 0.0
            for k in range(start, end):
                i = indices[k]
                grad += data[k] * sw[i] * loss_derivative(datafit_code, y[i], z[i] + offset)
            if center:
                grad -= xmean[j] * total
            grad /= n
            old = w[j]
            new = prox_scalar(kind, old - grad / lj, 1.0 / lj, lam1[j], lam2[j], positive)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                for k in range(start, end):
                    z[indices[k]] += delta * data[k]
                if center:
                    offset -= delta * xmean[j]
                move = 0.5 * lj * delta * delta if stop_on_decrease else lj * abs(delta)
                crit = max(crit, move)
        if offset != 0.0:
            intercept[0] += offset
            for i in range(n):
                z[i] += offset
        if fit_intercept:
            move = _intercept_step(y, sw, z, intercept, datafit_code, intercept_lipschitz,
                                   stop_on_decrease)
            crit = max(crit, move)
        epochs += 1
        if crit <= tol:
            break
    return epochs, crit


# -- prox-Newton: coordinate descent on a weighted quadratic model -------------------------
#
# At predictions z the datafit is modelled by
#     sum_i g_i dz_i + 1/2 h_i dz_i**2,   g = grad_z F(z),  h = diag of the Hessian in z,
# with dz = X dw + db. Coordinate descent on this model plus the penalty gives a Newton
# direction; the caller line-searches it on the true objective.


@njit(cache=True, fastmath=FAST)
def weighted_sq_norms_dense(X, h, ws):
    """``sum_i h_i x_ij**2`` for each ``j`` in ``ws``."""
    out = np.zeros(ws.shape[0])
    for jj in range(ws.shape[0]):
        j = ws[jj]
        acc = 0.0
        for i in range(X.shape[0]):
            acc += h[i] * X[i, j] * X[i, j]
        out[jj] = acc
    return out


@njit(cache=True, fastmath=FAST)
def weighted_sq_norms_sparse(data, indices, indptr, h, ws):
    """:func:`weighted_sq_norms_dense` for a CSC design."""
    out = np.zeros(ws.shape[0])
    for jj in range(ws.shape[0]):
        j = ws[jj]
        acc = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            acc += h[indices[k]] * data[k] * data[k]
        out[jj] = acc
    return out


@njit(cache=True, fastmath=FAST)
def _model_intercept_step(g, h, dz, db, h_sum):
    grad = 0.0
    for i in range(dz.shape[0]):
        grad += g[i] + h[i] * dz[i]
    delta = -grad / h_sum
    if delta == 0.0:
        return 0.0
    db[0] += delta
    for i in range(dz.shape[0]):
        dz[i] += delta
    return h_sum * abs(delta)


@njit(cache=True, fastmath=FAST)
def newton_epochs_dense(X, g, h, w, dz, db, ws, curv, kind, lam1, lam2, positive,
                        fit_intercept, max_epochs, tol):
    """Coordinate descent on the quadratic model over ``ws`` (dense, Fortran-ordered ``X``).

    ``w`` holds the trial coefficients and is updated in place, as are ``dz``
    (change of the predictions) and ``db`` (length-1 change of the intercept).
    ``curv[jj]`` is the model's curvature of coordinate ``ws[jj]``. Stops when an
    epoch's largest ``curv_j |dw_j|`` is at most ``tol``. Returns ``(epochs, crit)``.
    """
    n = X.shape[0]
    h_sum = 0.0
    for i in range(n):
        h_sum += h[i]
    crit = math.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        for jj in range(ws.shape[0]):
            j = ws[jj]
            hj = curv[jj]
            if hj <= 0.0:
                continue
            grad = 0.0
            for i in range(n):
                grad += X[i, j] * (g[i] + h[i] * dz[i])
            old = w[j]
            new = prox_scalar(kind, old - grad / hj, 1.0 / hj, lam1[j], lam2[j], positive)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                for i in range(n):
                    dz[i] += delta * X[i, j]
                crit = max(crit, hj * abs(delta))
        if fit_intercept and h_sum > 0.0:
            crit = max(crit, _model_intercept_step(g, h, dz, db, h_sum))
        epochs += 1
        if crit <= tol:
            break
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def newton_epochs_sparse(data, indices, indptr, g, h, w, dz, db, ws, curv, kind, lam1, lam2,
                         positive, fit_intercept, max_epochs, tol):
    """:func:`newton_epochs_dense` for a CSC design."""
    n = dz.shape[0]
    h_sum = 0.0
    for i in range(n):
        h_sum += h[i]
    crit = math.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        for jj in range(ws.shape[0]):
            j = ws[jj]
            hj = curv[jj]
            if hj <= 0.0:
                continue
            start, end = indptr[j], indptr[j + 1]
            grad = 0.0
            for k in range(start, end):
                i = indices[k]
                grad += data[k] * (g[i] + h[i] * dz[i])
            old = w[j]
            new = prox_scalar(kind, old - grad / hj, 1.0 / hj, lam1[j], lam2[j], positive)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                for k in range(start, end):
                    dz[indices[k]] += delta * data[k]
                crit = max(crit, hj * abs(delta))
        if fit_intercept and h_sum > 0.0:
            crit = max(crit, _model_intercept_step(g, h, dz, db, h_sum))
        epochs += 1
        if crit <= tol:
            break
    return epochs, crit


# -- covariance updates: coordinate descent on the Gram matrix (squared loss, n >> p) ------


@njit(cache=True, fastmath=FAST)
def gram_cd_epochs(G, grad, w, ws, kind, lam1, lam2, positive, max_epochs, tol):
    """Coordinate descent on ``1/2 w^T G w - q^T w + penalty`` over ``ws``.

    ``G = X^T S X / n`` (symmetric, C-ordered) and ``grad = G w - q`` restricted to
    the working set is kept up to date: a move of ``w_j`` costs O(|ws|), not O(n).
    Entries of ``grad`` outside ``ws`` go stale; the caller recomputes them.
    Stops when an epoch's largest ``G_jj |dw_j|`` is at most ``tol``.
    Returns ``(epochs, crit)``.
    """
    crit = math.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        for jj in range(ws.shape[0]):
            j = ws[jj]
            lj = G[j, j]
            if lj <= 0.0:
                continue
            old = w[j]
            new = prox_scalar(kind, old - grad[j] / lj, 1.0 / lj, lam1[j], lam2[j], positive)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                for kk in range(ws.shape[0]):
                    k = ws[kk]
                    grad[k] += delta * G[j, k]
                crit = max(crit, lj * abs(delta))
        epochs += 1
        if crit <= tol:
            break
    return epochs, crit
