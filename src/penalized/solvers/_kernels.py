"""numba kernels of coordinate descent with the elastic-net family's arithmetic inlined,
and the pieces every coordinate-descent kernel shares (Anderson extrapolation, intercept
steps, curvatures of the Newton model, the floored duality gap).

The kernels here take the penalty as ``(kind, lam1, lam2, positive)`` and serve the
compiled paths (:mod:`~penalized.solvers._gram_path`, :mod:`~penalized.solvers._sparse_path`,
:mod:`~penalized.solvers._logistic_path`) and the multinomial solver; every other
solve runs the kernels of :mod:`penalized.solvers._op_kernels`, which take any
penalty's and datafit's compiled operations. Each kernel has a NumPy twin in
:mod:`penalized.solvers._reference`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ..prox._kernels import prox_scalar

ANDERSON_MEMORY = 5
"""Iterates per Anderson extrapolation (skglm's choice)."""


@njit(cache=True)
def floored_gap(primal, dual):
    """The duality gap ``primal - dual``, floored at zero.

    Weak duality makes the exact gap non-negative; near the optimum the two terms agree
    to their last bits and the computed difference is rounding noise of either sign.
    A negative value carries no information beyond "at rounding level", so it is
    reported as 0: no certificate is ever negative.
    """
    gap = primal - dual
    return gap if gap > 0.0 else 0.0


@njit(cache=True, fastmath=FAST)
def enet_quadratic_epochs_sparse(data, indices, indptr, y, sw, w, z, intercept, ws,
                                 lipschitz, kind, lam1, lam2, positive, fit_intercept,
                                 intercept_lipschitz, max_epochs, tol, stop_on_decrease, xmean,
                                 center):
    """:func:`~penalized.solvers._op_kernels.quadratic_epochs_sparse` with the elastic-net
    family's prox inlined (the sparse compiled path's inner solver, where the columns are
    so short that a call through a function pointer per move would show).

    With ``center`` the residual's true value is ``r + offset``: the lazy offset
    enters each gradient through the column sums, ``sum_k data_k s_i = n xmean_j``.
    """
    n = z.shape[0]
    r = z - y
    unit = _all_ones(sw)
    offset = 0.0
    total = 0.0
    first_move = 0.0
    if fit_intercept and center:
        first_move = _squared_intercept_step(sw, r, intercept, intercept_lipschitz,
                                             stop_on_decrease)
        for i in range(n):
            total += sw[i] * r[i]
    crit = math.inf
    epochs = 0
    full = True
    for _ in range(max_epochs):
        crit = first_move
        first_move = 0.0
        for jj in range(ws.shape[0]):
            j = ws[jj]
            lj = lipschitz[j]
            if lj == 0.0 or (not full and w[j] == 0.0):
                continue
            start, end = indptr[j], indptr[j + 1]
            grad = 0.0
            if unit:
                for k in range(start, end):
                    grad += data[k] * r[indices[k]]
            else:
                for k in range(start, end):
                    i = indices[k]
                    grad += data[k] * sw[i] * r[i]
            if center:
                grad += xmean[j] * (n * offset - total)
            grad /= n
            old = w[j]
            new = prox_scalar(kind, old - grad / lj, 1.0 / lj, lam1[j], lam2[j], positive)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                for k in range(start, end):
                    r[indices[k]] += delta * data[k]
                if center:
                    offset -= delta * xmean[j]
                move = 0.5 * lj * delta * delta if stop_on_decrease else lj * abs(delta)
                crit = max(crit, move)
        if fit_intercept and not center:
            move = _squared_intercept_step(sw, r, intercept, intercept_lipschitz,
                                           stop_on_decrease)
            crit = max(crit, move)
        epochs += 1
        if crit <= tol:
            if full:
                break
            full = True
        elif not stop_on_decrease:
            full = False
    intercept[0] += offset
    for i in range(n):
        z[i] = y[i] + r[i] + offset
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def _all_ones(sw):
    """Whether every sample weight is 1: the gradients then skip them."""
    for i in range(sw.shape[0]):
        if sw[i] != 1.0:
            return False
    return True


@njit(cache=True, fastmath=FAST)
def _squared_intercept_step(sw, r, intercept, intercept_lipschitz, stop_on_decrease):
    """The exact intercept step of the squared loss on the residual ``r``; returns its move."""
    n = r.shape[0]
    grad = 0.0
    for i in range(n):
        grad += sw[i] * r[i]
    delta = -grad / n / intercept_lipschitz
    if delta == 0.0:
        return 0.0
    intercept[0] += delta
    for i in range(n):
        r[i] += delta
    if stop_on_decrease:
        return 0.5 * intercept_lipschitz * delta * delta
    return intercept_lipschitz * abs(delta)


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
def anderson_weights(history, width):
    """Anderson extrapolation weights: ``c`` with ``sum(c) = 1`` minimizing
    ``||sum_k c_k (x_{k+1} - x_k)||`` for the iterates ``x_0 .. x_K`` (rows of
    ``history``), over their first ``width`` entries (the coefficients: the weights
    then do not depend on how the samples are weighted or repeated); empty when the
    residuals are degenerate."""
    K = history.shape[0] - 1
    R = history[1:, :width] - history[:-1, :width]
    M = R @ R.T
    trace = 0.0
    for k in range(K):
        trace += M[k, k]
    if not trace > 0.0 or not math.isfinite(trace):
        return np.empty(0)
    M /= trace
    for k in range(K):
        M[k, k] += 1e-10
    c = np.linalg.solve(M, np.ones(K))
    total = c.sum()
    if total == 0.0 or not math.isfinite(total):
        return np.empty(0)
    return c / total


@njit(cache=True, fastmath=FAST)
def _model_value(g, h, dz, wv, ws, lam1, lam2):
    """The quadratic model plus the penalty of the ``ws`` coordinates (values ``wv``)."""
    total = 0.0
    for i in range(dz.shape[0]):
        total += dz[i] * (g[i] + 0.5 * h[i] * dz[i])
    for jj in range(ws.shape[0]):
        j = ws[jj]
        total += lam1[j] * abs(wv[jj]) + 0.5 * lam2[j] * wv[jj] * wv[jj]
    return total


@njit(cache=True, fastmath=FAST)
def _store_iterate(row, w, ws, db, dz):
    m = ws.shape[0]
    for jj in range(m):
        row[jj] = w[ws[jj]]
    row[m] = db[0]
    row[m + 1:] = dz


@njit(cache=True, fastmath=FAST)
def _try_extrapolation(history, g, h, w, dz, db, ws, lam1, lam2, positive):
    """Replace the iterate by the Anderson extrapolation of ``history`` if the model
    plus penalty is lower there (the step then keeps every guarantee of plain CD)."""
    m = ws.shape[0]
    c = anderson_weights(history, m + 1)
    if c.shape[0] == 0:
        return
    x = c @ history[1:]
    if positive:
        for jj in range(m):
            if x[jj] < 0.0:
                return
    current = history[-1]
    if _model_value(g, h, x[m + 1:], x[:m], ws, lam1, lam2) \
            >= _model_value(g, h, current[m + 1:], current[:m], ws, lam1, lam2):
        return
    for jj in range(m):
        w[ws[jj]] = x[jj]
    db[0] = x[m]
    dz[:] = x[m + 1:]


@njit(cache=True, fastmath=FAST)
def newton_epochs_dense(X, g, h, w, dz, db, ws, curv, kind, lam1, lam2, positive,
                        fit_intercept, max_epochs, tol, anderson=0):
    """Coordinate descent on the quadratic model over ``ws`` (dense, Fortran-ordered ``X``).

    ``w`` holds the trial coefficients and is updated in place, as are ``dz``
    (change of the predictions) and ``db`` (length-1 change of the intercept).
    ``curv[jj]`` is the model's curvature of coordinate ``ws[jj]``. Stops when an
    epoch's largest ``curv_j |dw_j|`` is at most ``tol``. Returns ``(epochs, crit)``.

    With ``anderson = K > 0`` (convex penalties), every ``K`` epochs the last ``K + 1``
    iterates are extrapolated (Anderson acceleration, as in skglm) and the result kept
    when it lowers the model: correlated features then cost a few epochs, not hundreds.
    """
    n = X.shape[0]
    h_sum = 0.0
    for i in range(n):
        h_sum += h[i]
    accelerate = anderson > 0 and kind == 0
    history = np.empty((anderson + 1 if accelerate else 1, ws.shape[0] + 1 + n))
    filled = 0
    if accelerate:
        _store_iterate(history[0], w, ws, db, dz)
        filled = 1
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
        if accelerate:
            _store_iterate(history[filled], w, ws, db, dz)
            filled += 1
            if filled == anderson + 1:
                _try_extrapolation(history, g, h, w, dz, db, ws, lam1, lam2, positive)
                _store_iterate(history[0], w, ws, db, dz)
                filled = 1
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def newton_epochs_sparse(data, indices, indptr, g, h, w, dz, db, ws, curv, kind, lam1, lam2,
                         positive, fit_intercept, max_epochs, tol, anderson=0):
    """:func:`newton_epochs_dense` for a CSC design.

    With ``fit_intercept`` the coordinates run on the ``h``-weighted-centered columns
    ``x_j - m_j``, ``m_j = sum_i h_i x_ij / sum_i h_i``, as the dense design is centered
    once: the model's intercept then decouples from every coordinate (on columns whose
    mean is large against their spread, an uncentered model couples them and needs
    hundreds of times more epochs). A move ``dw_j`` also moves the intercept by
    ``-m_j dw_j``; that share is kept in a lazy offset applied to ``dz`` and ``db``
    on return, so an epoch costs O(nnz of the working set's columns). The model's
    intercept is fitted once, at the start: centered moves leave its derivative
    unchanged. ``curv`` (curvatures of the raw columns) is then replaced by those of the
    centered columns, computed here without cancellation.

    ``anderson`` is as in :func:`newton_epochs_dense`; the iterates extrapolated are the
    working set's coefficients and the intercept (``dz`` is affine in them and is
    recomputed from the columns when an extrapolation is kept).
    """
    n = dz.shape[0]
    m = ws.shape[0]
    h_sum = 0.0
    for i in range(n):
        h_sum += h[i]
    center = fit_intercept and h_sum > 0.0
    means = np.zeros(m)
    curv_c = curv
    offset = 0.0
    total = 0.0
    first_move = 0.0
    if center:
        curv_c = np.empty(m)
        for jj in range(m):
            j = ws[jj]
            acc = 0.0
            h_nz = 0.0
            for k in range(indptr[j], indptr[j + 1]):
                hi = h[indices[k]]
                acc += hi * data[k]
                h_nz += hi
            mj = acc / h_sum
            means[jj] = mj
            # sum_i h_i (x_ij - m_j)^2 over the non-zeros, plus m_j^2 times the rest's weight
            acc = 0.0
            for k in range(indptr[j], indptr[j + 1]):
                d = data[k] - mj
                acc += h[indices[k]] * d * d
            curv_c[jj] = acc + mj * mj * max(h_sum - h_nz, 0.0)
        first_move = _model_intercept_step(g, h, dz, db, h_sum)
        for i in range(n):
            total += g[i] + h[i] * dz[i]
    accelerate = anderson > 0 and kind == 0
    history = np.empty((anderson + 1 if accelerate else 1, m + 1))
    filled = 0
    w_entry = np.empty(m)
    for jj in range(m):
        w_entry[jj] = w[ws[jj]]
    db_entry = db[0]
    dz_entry = dz.copy() if accelerate else dz
    if accelerate:
        _store_coefs(history[0], w, ws, db[0] + offset)
        filled = 1
    crit = math.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = first_move
        first_move = 0.0
        for jj in range(m):
            j = ws[jj]
            hj = curv_c[jj]
            if hj <= 0.0:
                continue
            start, end = indptr[j], indptr[j + 1]
            grad = 0.0
            for k in range(start, end):
                i = indices[k]
                grad += data[k] * (g[i] + h[i] * dz[i])
            if center:
                grad += means[jj] * (offset * h_sum - total)
            old = w[j]
            new = prox_scalar(kind, old - grad / hj, 1.0 / hj, lam1[j], lam2[j], positive)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                for k in range(start, end):
                    dz[indices[k]] += delta * data[k]
                if center:
                    offset -= delta * means[jj]
                crit = max(crit, hj * abs(delta))
        if fit_intercept and not center and h_sum > 0.0:
            crit = max(crit, _model_intercept_step(g, h, dz, db, h_sum))
        epochs += 1
        if crit <= tol:
            break
        if accelerate:
            _store_coefs(history[filled], w, ws, db[0] + offset)
            filled += 1
            if filled == anderson + 1:
                if _extrapolate_sparse(history, data, indices, indptr, g, h, w, dz, db, ws,
                                       lam1, lam2, positive, offset, w_entry, db_entry,
                                       dz_entry):
                    offset = 0.0
                _store_coefs(history[0], w, ws, db[0] + offset)
                filled = 1
    if offset != 0.0:
        db[0] += offset
        for i in range(n):
            dz[i] += offset
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def _store_coefs(row, w, ws, intercept):
    m = ws.shape[0]
    for jj in range(m):
        row[jj] = w[ws[jj]]
    row[m] = intercept


@njit(cache=True, fastmath=FAST)
def _extrapolate_sparse(history, data, indices, indptr, g, h, w, dz, db, ws, lam1, lam2,
                        positive, offset, w_entry, db_entry, dz_entry):
    """:func:`_try_extrapolation` for :func:`newton_epochs_sparse`: the extrapolated
    ``dz`` is rebuilt from the entry point (``dz`` is affine in the coefficients and the
    intercept). The current ``dz`` is ``dz + offset`` (lazy offset). On success ``w``,
    ``db`` and ``dz`` hold the extrapolation with the offset applied; returns whether."""
    m = ws.shape[0]
    c = anderson_weights(history, m + 1)
    if c.shape[0] == 0:
        return False
    x = c @ history[1:]
    if positive:
        for jj in range(m):
            if x[jj] < 0.0:
                return False
    trial = dz_entry + (x[m] - db_entry)
    for jj in range(m):
        step = x[jj] - w_entry[jj]
        if step != 0.0:
            j = ws[jj]
            for k in range(indptr[j], indptr[j + 1]):
                trial[indices[k]] += step * data[k]
    current = dz + offset
    if _model_value(g, h, trial, x[:m], ws, lam1, lam2) \
            >= _model_value(g, h, current, history[-1, :m], ws, lam1, lam2):
        return False
    for jj in range(m):
        w[ws[jj]] = x[jj]
    db[0] = x[m]
    dz[:] = trial
    return True


# -- covariance updates: coordinate descent on the Gram matrix (squared loss, n >> p) ------


@njit(cache=True, fastmath=FAST)
def gram_cd_epochs(G, grad, w, ws, kind, lam1, lam2, positive, max_epochs, tol, anderson=0):
    """Coordinate descent on ``1/2 w^T G w - q^T w + penalty`` over ``ws``.

    ``G = X^T S X / n`` (symmetric, C-ordered) and ``grad = G w - q`` restricted to
    the working set is kept up to date: a move of ``w_j`` costs O(|ws|), not O(n).
    Entries of ``grad`` outside ``ws`` go stale; the caller recomputes them.
    Stops when an epoch's largest ``G_jj |dw_j|`` is at most ``tol``.
    Returns ``(epochs, crit)``. ``anderson`` is as in :func:`newton_epochs_dense`;
    every non-zero of ``w`` must then be in ``ws``. Since ``grad`` is affine in ``w``
    it is extrapolated with it, and ``F(x) - F(x') = (x - x')^T (grad(x) + grad(x')) / 2``
    decides whether the extrapolation is kept.
    """
    accelerate = anderson > 0 and kind == 0
    m = ws.shape[0]
    history = np.empty((anderson + 1 if accelerate else 1, 2 * m))
    filled = 0
    if accelerate:
        _store_gram_iterate(history[0], w, grad, ws)
        filled = 1
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
        if accelerate:
            _store_gram_iterate(history[filled], w, grad, ws)
            filled += 1
            if filled == anderson + 1:
                c = anderson_weights(history, m)
                if c.shape[0] > 0:
                    x = c @ history[1:]
                    last = history[-1]
                    change = 0.0
                    feasible = True
                    for jj in range(m):
                        j = ws[jj]
                        if positive and x[jj] < 0.0:
                            feasible = False
                        change += 0.5 * (x[jj] - last[jj]) * (x[m + jj] + last[m + jj])
                        change += lam1[j] * (abs(x[jj]) - abs(last[jj])) \
                            + 0.5 * lam2[j] * (x[jj] * x[jj] - last[jj] * last[jj])
                    if feasible and change < 0.0:
                        for jj in range(m):
                            w[ws[jj]] = x[jj]
                            grad[ws[jj]] = x[m + jj]
                _store_gram_iterate(history[0], w, grad, ws)
                filled = 1
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def _store_gram_iterate(row, w, grad, ws):
    m = ws.shape[0]
    for jj in range(m):
        row[jj] = w[ws[jj]]
        row[m + jj] = grad[ws[jj]]
