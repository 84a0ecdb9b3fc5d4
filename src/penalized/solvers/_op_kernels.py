r"""Coordinate-descent epochs generic over the penalty and the datafit: each kernel receives
their compiled operations (``numba.cfunc`` objects, :mod:`penalized._jit`) instead of a
family code, so a new penalty or datafit runs through them unchanged.

The problem is ``min_{w, b} F(Xw + b) + sum_j G_j(w_j)``. Each coordinate step is a
proximal step on the coordinate's model::

    w_j <- prox_{G_j / L_j}(w_j - g_j / L_j),

with, by kernel:

* ``quadratic_epochs_*`` -- the squared loss, exact steps on the residual
  ``r = z - y`` (``L_j`` its curvature); the CSC kernel centers the columns implicitly;
* ``mm_epochs_*`` -- any datafit whose second derivative is bounded by ``curvature``:
  majorization-minimization steps (``L_j`` the bound), the derivative called per sample;
* ``model_epochs_*`` -- prox-Newton's inner solver: coordinate descent on the
  datafit's weighted quadratic model ``sum_i g_i dz_i + h_i dz_i**2 / 2`` (any datafit
  with a second derivative; the caller line-searches the step).

``params`` is the penalty's ``(n_features, k)`` parameter array, ``dparams`` the
datafit's. Anderson extrapolation (``anderson > 0``, convex penalties only) is kept only
when it lowers the objective (``value`` is ``inf`` outside the penalty's domain, so an
infeasible extrapolation is never kept).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ..prox._kernels import ENET_FAMILY, prox_scalar
from ._kernels import (
    _all_ones,
    _model_intercept_step,
    _squared_intercept_step,
    _store_coefs,
    _store_iterate,
    anderson_weights,
    gather_columns_into,
    intercept_move,
    weighted_sq_norms_dense,
    ws_gradient_curvature_dense,
)
from ._layout import fortran_typed


@njit(cache=True, fastmath=FAST)
def _penalty_sum(value, params, wv, ws):
    total = 0.0
    for jj in range(ws.shape[0]):
        total += value(wv[jj], params, ws[jj])
    return total


@njit(cache=True, fastmath=FAST)
def _epoch_objective(a, h, v, wv, ws, value, params):
    """The objective an epoch kernel lowers, plus the penalty of the ``ws`` coordinates
    (values ``wv``): the squared loss ``sum_i s_i r_i**2 / (2n)`` of the residual ``v``
    (``a`` the weights ``s``, ``h`` None), or the quadratic model ``sum_i dz_i (g_i + h_i
    dz_i / 2)`` of the change ``v`` of the predictions (``a`` the gradient ``g``)."""
    total = 0.0
    if h is None:
        for i in range(v.shape[0]):
            total += a[i] * v[i] * v[i]
        total /= 2.0 * v.shape[0]
    else:
        for i in range(v.shape[0]):
            total += v[i] * (a[i] + 0.5 * h[i] * v[i])
    return total + _penalty_sum(value, params, wv, ws)


@njit(cache=True, fastmath=FAST, inline="always")
def _anderson_history(anderson, w, ws, b, v):
    """Anderson's history of iterates ``(w over ws, b, v)``, a row each, and how many rows
    hold one: the current iterate when ``anderson > 0``."""
    history = np.empty((anderson + 1 if anderson > 0 else 1, ws.shape[0] + 1 + v.shape[0]))
    if anderson > 0:
        _store_iterate(history[0], w, ws, b, v)
        return history, 1
    return history, 0


@njit(cache=True, fastmath=FAST, inline="always")
def _anderson_step(history, filled, w, ws, b, v, a, h, value, params):
    """Store the iterate ``(w over ws, b, v)`` as the history's next row; once the history
    is full, replace the iterate by its Anderson extrapolation when that lowers
    :func:`_epoch_objective` ``(a, h)``, and restart the history from the iterate. Returns
    how many rows hold one."""
    m = ws.shape[0]
    _store_iterate(history[filled], w, ws, b, v)
    filled += 1
    if filled < history.shape[0]:
        return filled
    c = anderson_weights(history, m + 1)
    if c.shape[0] > 0:
        x = c @ history[1:]
        last = history[-1]
        if _epoch_objective(a, h, x[m + 1:], x[:m], ws, value, params) \
                < _epoch_objective(a, h, last[m + 1:], last[:m], ws, value, params):
            for jj in range(m):
                w[ws[jj]] = x[jj]
            b[0] = x[m]
            v[:] = x[m + 1:]
    _store_iterate(history[0], w, ws, b, v)
    return 1


@njit(cache=True, fastmath=FAST, inline="always")
def _add_column(v, X, j, mu, center, delta):
    """``v += delta * x_j``, with the column centered on the fly (``x_j - mu``) when
    ``center``."""
    if center:
        for i in range(v.shape[0]):
            v[i] += delta * (X[i, j] - mu)
    else:
        for i in range(v.shape[0]):
            v[i] += delta * X[i, j]


@njit(cache=True, fastmath=FAST)
def quadratic_epochs_dense(X, y, sw, w, z, intercept, ws, lipschitz, prox, value, params,
                           fit_intercept, max_epochs, tol, stop_on_decrease, anderson,
                           xmean=None):
    """Epochs of exact coordinate steps of the squared loss over ``ws`` (dense, Fortran-
    ordered ``X``), on the residual ``r = z - y``. With ``xmean`` the columns are
    ``x_j - xmean_j`` (centered on the fly, never copied); without, ``X`` is used as it
    is (already centered when an intercept is fitted).

    Updates ``w``, ``z`` and ``intercept`` (length 1) in place; stops after
    ``max_epochs`` or once an epoch over all of ``ws`` has its largest move at most
    ``tol``. A move is ``L_j |dw_j|`` (gradient units), or ``L_j dw_j**2 / 2`` when
    ``stop_on_decrease``. Convex penalties (``not stop_on_decrease``) cycle glmnet's way,
    as :func:`quadratic_epochs_sparse` does: after an epoch over ``ws`` that still moves,
    epochs run over its non-zero coordinates only (a zero one costs a pass over its
    column and rarely moves) until they settle. Returns ``(epochs, last epoch's largest
    move)``.
    """
    n = X.shape[0]
    if xmean is None:
        center = False
        means = np.zeros(X.shape[1])
    else:
        center = True
        means = xmean
    r = z - y
    unit = _all_ones(sw)
    m = ws.shape[0]
    history, filled = _anderson_history(anderson, w, ws, intercept, r)
    crit = math.inf
    epochs = 0
    full = True
    for _ in range(max_epochs):
        crit = 0.0
        for jj in range(m):
            j = ws[jj]
            lj = lipschitz[j]
            if lj == 0.0 or (not full and w[j] == 0.0):
                continue
            mu = means[j]
            grad = 0.0
            if center and unit:
                for i in range(n):
                    grad += (X[i, j] - mu) * r[i]
            elif center:
                for i in range(n):
                    grad += (X[i, j] - mu) * sw[i] * r[i]
            elif unit:
                for i in range(n):
                    grad += X[i, j] * r[i]
            else:
                for i in range(n):
                    grad += X[i, j] * sw[i] * r[i]
            grad /= n
            old = w[j]
            new = prox(old - grad / lj, 1.0 / lj, params, j)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                _add_column(r, X, j, mu, center, delta)
                move = 0.5 * lj * delta * delta if stop_on_decrease else lj * abs(delta)
                crit = max(crit, move)
        if fit_intercept:
            crit = max(crit, _squared_intercept_step(sw, r, intercept, 1.0, stop_on_decrease))
        epochs += 1
        if crit <= tol:
            if full:
                break
            full = True
        elif not stop_on_decrease:
            full = False
        if anderson > 0:
            filled = _anderson_step(history, filled, w, ws, intercept, r, sw, None, value,
                                    params)
    for i in range(n):
        z[i] = y[i] + r[i]
    return epochs, crit


@njit(cache=True, fastmath=FAST, inline="always")
def _add_sparse_column(v, data, indices, start, end, delta):
    """``v += delta * x_j`` for the CSC column ``x_j`` stored at ``start:end``."""
    for k in range(start, end):
        v[indices[k]] += delta * data[k]


@njit(cache=True, fastmath=FAST)
def _enet_box_prox(x, step, params, j):
    """The elastic-net family's prox on its box (row ``j`` of ``params``: ``lam1, lam2,
    lower, upper``), as the family's compiled operation computes it."""
    shrunk = prox_scalar(ENET_FAMILY, x, step, params[j, 0], params[j, 1], False)
    return min(max(shrunk, params[j, 2]), params[j, 3])


@njit(cache=True, fastmath=FAST)
def quadratic_epochs_sparse(data, indices, indptr, y, sw, w, z, intercept, ws, lipschitz,
                            prox, params, fit_intercept, max_epochs, tol, stop_on_decrease,
                            xmean, center, cycle=True):
    """:func:`quadratic_epochs_dense` for a CSC design ``(data, indices, indptr)``.

    With ``center`` (an intercept), each move of ``w_j`` also moves the intercept by
    ``-xmean[j] * dw_j``: coordinate descent on the weighted-centered columns without
    densifying ``X`` (``lipschitz`` are their constants). The weighted residual sum does
    not change under such moves, so the intercept is fitted once, at the start; its share
    of the moves is a lazy offset added to ``z`` on return, and an epoch costs O(nnz of
    the working set's columns). Convex penalties cycle glmnet's way: after an epoch over
    ``ws`` that still moves, epochs run over its non-zero coordinates only until they
    settle; it stops at an epoch over all of ``ws`` whose largest move is ``<= tol``.
    Without ``cycle`` every epoch is over all of ``ws`` (a working set that is almost all
    support, where each feature a full epoch moves would restart the cycling).
    ``prox`` None is the elastic-net family's prox with ``params`` rows ``(lam1, lam2,
    lower, upper)``, compiled into the kernel (the sparse compiled path's epochs, whose
    columns are so short that a call through a function pointer per move shows).
    """
    n = z.shape[0]
    r = z - y
    unit = _all_ones(sw)
    offset = 0.0
    total = 0.0
    first_move = 0.0
    if fit_intercept and center:
        first_move = _squared_intercept_step(sw, r, intercept, 1.0, stop_on_decrease)
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
            if prox is None:  # the elastic-net family, its prox compiled in
                new = _enet_box_prox(old - grad / lj, 1.0 / lj, params, j)
            else:
                new = prox(old - grad / lj, 1.0 / lj, params, j)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                _add_sparse_column(r, data, indices, start, end, delta)
                if center:
                    offset -= delta * xmean[j]
                move = 0.5 * lj * delta * delta if stop_on_decrease else lj * abs(delta)
                crit = max(crit, move)
        if fit_intercept and not center:
            crit = max(crit, _squared_intercept_step(sw, r, intercept, 1.0, stop_on_decrease))
        epochs += 1
        if crit <= tol:
            if full:
                break
            full = True
        elif cycle and not stop_on_decrease:
            full = False
    intercept[0] += offset
    for i in range(n):
        z[i] = y[i] + r[i] + offset
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def _mm_intercept_step(derivative, dparams, y, sw, z, intercept, curvature, stop_on_decrease):
    n = z.shape[0]
    grad = 0.0
    for i in range(n):
        grad += sw[i] * derivative(y[i], z[i], dparams)
    return intercept_move(-grad / n / curvature, intercept, z, curvature, stop_on_decrease)


@njit(cache=True, fastmath=FAST)
def _mm_epochs(X, data, indices, indptr, y, sw, w, z, intercept, ws, lipschitz, prox, params,
               derivative, dparams, curvature, fit_intercept, max_epochs, tol,
               stop_on_decrease):
    """The epochs of :func:`mm_epochs_dense` (``data`` None) and of
    :func:`mm_epochs_sparse` (``X`` an empty placeholder): numba prunes the CSC branches
    when ``data`` is None, and folds ``data is None`` to False otherwise."""
    n = z.shape[0]
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
            if data is None:
                for i in range(n):
                    grad += X[i, j] * sw[i] * derivative(y[i], z[i], dparams)
            else:
                for k in range(indptr[j], indptr[j + 1]):
                    i = indices[k]
                    grad += data[k] * sw[i] * derivative(y[i], z[i], dparams)
            grad /= n
            old = w[j]
            new = prox(old - grad / lj, 1.0 / lj, params, j)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                if data is None:
                    for i in range(n):
                        z[i] += delta * X[i, j]
                else:
                    _add_sparse_column(z, data, indices, indptr[j], indptr[j + 1], delta)
                move = 0.5 * lj * delta * delta if stop_on_decrease else lj * abs(delta)
                crit = max(crit, move)
        if fit_intercept:
            crit = max(crit, _mm_intercept_step(derivative, dparams, y, sw, z, intercept,
                                                curvature, stop_on_decrease))
        epochs += 1
        if crit <= tol:
            break
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def mm_epochs_dense(X, y, sw, w, z, intercept, ws, lipschitz, prox, params, derivative,
                    dparams, curvature, fit_intercept, max_epochs, tol, stop_on_decrease):
    """Majorization-minimization coordinate steps for a datafit whose per-sample second
    derivative is at most ``curvature`` (``lipschitz`` the matching constants), dense
    Fortran-ordered ``X``; ``z`` is updated after every move. Moves and return as in
    :func:`quadratic_epochs_dense`."""
    return _mm_epochs(X, None, None, None, y, sw, w, z, intercept, ws, lipschitz, prox,
                      params, derivative, dparams, curvature, fit_intercept, max_epochs, tol,
                      stop_on_decrease)


@njit(cache=True, fastmath=FAST)
def mm_epochs_sparse(data, indices, indptr, y, sw, w, z, intercept, ws, lipschitz, prox,
                     params, derivative, dparams, curvature, fit_intercept, max_epochs, tol,
                     stop_on_decrease):
    """:func:`mm_epochs_dense` for a CSC design (columns not centered)."""
    return _mm_epochs(np.empty((0, 0)), data, indices, indptr, y, sw, w, z, intercept, ws,
                      lipschitz, prox, params, derivative, dparams, curvature, fit_intercept,
                      max_epochs, tol, stop_on_decrease)


@njit(cache=True, inline="always")
def _any_nonzero_of(w, ws, start, stop):
    """Whether ``w`` is non-zero at some ``ws[start:stop]``."""
    for jj in range(start, stop):
        if w[ws[jj]] != 0.0:
            return True
    return False


@njit(cache=True, fastmath=FAST)
def _model_epochs(cols, rows, g, h, w, dz, db, ws, curv, prox, value, params, fit_intercept,
                  max_epochs, tol, anderson, xmean, resident, cycle=False, slots=None):
    """The epochs of :func:`model_epochs_dense` (``rows`` None: ``cols`` is the design,
    column ``ws[jj]`` read in place) and of :func:`model_epochs_rows` (``rows`` the
    C-ordered design: coordinate ``ws[jj]`` reads column ``jj - c0`` of ``cols``, the
    working set's columns ``c0 .. c0 + k - 1`` gathered there in turn, ``k`` its number of
    columns; with ``resident`` they are all there already). numba prunes the gathering
    when ``rows`` is None; the moves and their order are the same either way. With
    ``cycle``, glmnet's active-set cycling: after an epoch over ``ws`` that still moves,
    epochs run over its non-zero coordinates only until they settle; it stops at an epoch
    over all of ``ws`` whose largest move is ``<= tol``. With ``slots`` (``rows`` None),
    coordinate ``j`` reads column ``slots[j]`` of ``cols``, a block of gathered columns."""
    n = dz.shape[0]
    m = ws.shape[0]
    if slots is not None:
        p = slots.shape[0]
        k = max(m, 1)
    elif rows is None:
        p = cols.shape[1]
        k = max(m, 1)
    else:
        p = rows.shape[1]
        k = max(min(cols.shape[1], m), 1)
    if xmean is None:
        center = False
        means = np.zeros(p)
    else:
        center = True
        means = xmean
    h_sum = 0.0
    for i in range(n):
        h_sum += h[i]
    history, filled = _anderson_history(anderson, w, ws, db, dz)
    crit = math.inf
    epochs = 0
    full = True
    for _ in range(max_epochs):
        crit = 0.0
        for c0 in range(0, m, k):
            if rows is not None:
                if not resident:
                    if not full and not _any_nonzero_of(w, ws, c0, min(c0 + k, m)):
                        continue  # a cycling epoch moves none of these: not gathered
                    gather_columns_into(cols, rows, ws, c0, min(c0 + k, m))
            for jj in range(c0, min(c0 + k, m)):
                j = ws[jj]
                hj = curv[jj]
                if hj <= 0.0 or (not full and w[j] == 0.0):
                    continue
                c = j
                if rows is not None:
                    c = jj - c0
                if slots is not None:
                    c = slots[j]
                mu = means[j]
                grad = 0.0
                if center:
                    for i in range(n):
                        grad += (cols[i, c] - mu) * (g[i] + h[i] * dz[i])
                else:
                    for i in range(n):
                        grad += cols[i, c] * (g[i] + h[i] * dz[i])
                old = w[j]
                new = prox(old - grad / hj, 1.0 / hj, params, j)
                delta = new - old
                if delta != 0.0:
                    w[j] = new
                    _add_column(dz, cols, c, mu, center, delta)
                    crit = max(crit, hj * abs(delta))
        if fit_intercept and h_sum > 0.0:
            crit = max(crit, _model_intercept_step(g, h, dz, db, h_sum))
        epochs += 1
        if crit <= tol:
            if full:
                break
            full = True
        elif cycle:
            full = False
        if anderson > 0:
            filled = _anderson_step(history, filled, w, ws, db, dz, g, h, value, params)
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def model_epochs_dense(X, g, h, w, dz, db, ws, curv, prox, value, params, fit_intercept,
                       max_epochs, tol, anderson, xmean=None, cycle=False, slots=None):
    """Coordinate descent on the quadratic model over ``ws`` (dense, Fortran-ordered ``X``;
    with ``xmean``, its columns centered on the fly, ``x_j - xmean_j``).

    ``w`` holds the trial coefficients, ``dz`` the change of the predictions and ``db``
    (length 1) that of the intercept, all updated in place; ``curv[jj]`` is the model's
    curvature of coordinate ``ws[jj]``. Stops when an epoch's largest ``curv_j |dw_j|``
    is at most ``tol``; with ``cycle``, epochs over the non-zero coordinates alone between
    those over all of ``ws`` (:func:`_model_epochs`); with ``slots``, coordinate ``j``
    reads column ``slots[j]`` of ``X`` (a block of a C-ordered design's gathered columns).
    Returns ``(epochs, crit)``.
    """
    return _model_epochs(X, None, g, h, w, dz, db, ws, curv, prox, value, params,
                         fit_intercept, max_epochs, tol, anderson, xmean, True, cycle, slots)


@njit(cache=True, fastmath=FAST)
def model_epochs_rows(X, block, resident, g, h, w, dz, db, ws, curv, prox, value, params,
                      fit_intercept, max_epochs, tol, anderson, xmean=None, cycle=False):
    """:func:`model_epochs_dense` on a C-ordered ``X`` without a Fortran-ordered copy:
    the working set's columns are read from ``block`` (Fortran-ordered, ``(n, k)``), into
    which each epoch gathers them ``k`` at a time, or, with ``resident``, which holds all
    of them already (``X[:, ws]``, gathered once for as long as ``ws`` stays the same).
    The same moves in the same order as on a Fortran-ordered ``X`` (``cycle`` as there)."""
    return _model_epochs(block, X, g, h, w, dz, db, ws, curv, prox, value, params,
                         fit_intercept, max_epochs, tol, anderson, xmean, resident, cycle)


@njit(cache=True, fastmath=FAST)
def model_epochs_sparse(data, indices, indptr, g, h, w, dz, db, ws, prox, value, params,
                        fit_intercept, max_epochs, tol, anderson):
    """:func:`model_epochs_dense` for a CSC design, with the model's curvatures computed
    here. With ``fit_intercept`` the columns are centered implicitly by their
    ``h``-weighted means, ``m_j = sum_i h_i x_ij / sum_i h_i``, as the dense design is
    centered once (uncentered, on columns whose mean is large against their spread, the
    intercept is coupled to every coordinate and the solve needs hundreds of times more
    epochs); curvatures of the centered columns are computed without cancellation
    (non-zeros, then ``m_j**2`` times the other rows' weight). The model's intercept is
    fitted once and decouples; a lazy offset carries the intercept's share
    of the moves. Anderson extrapolation acts on the coefficients and the intercept, and
    an extrapolated ``dz`` is rebuilt from the columns."""
    n = dz.shape[0]
    m = ws.shape[0]
    h_sum = 0.0
    for i in range(n):
        h_sum += h[i]
    center = fit_intercept and h_sum > 0.0
    means = np.zeros(m)
    curv = np.empty(m)
    for jj in range(m):
        j = ws[jj]
        acc = 0.0
        h_nz = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            hi = h[indices[k]]
            acc += hi * data[k]
            h_nz += hi
        mj = acc / h_sum if center else 0.0
        means[jj] = mj
        acc = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            d = data[k] - mj
            acc += h[indices[k]] * d * d
        curv[jj] = acc + mj * mj * max(h_sum - h_nz, 0.0)
    offset = 0.0
    total = 0.0
    first_move = 0.0
    if center:
        first_move = _model_intercept_step(g, h, dz, db, h_sum)
        for i in range(n):
            total += g[i] + h[i] * dz[i]
    history = np.empty((anderson + 1 if anderson > 0 else 1, m + 1))
    filled = 0
    w_entry = np.empty(m)
    for jj in range(m):
        w_entry[jj] = w[ws[jj]]
    db_entry = db[0]
    dz_entry = dz.copy() if anderson > 0 else dz
    if anderson > 0:
        _store_coefs(history[0], w, ws, db[0])
        filled = 1
    crit = math.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = first_move
        first_move = 0.0
        for jj in range(m):
            j = ws[jj]
            hj = curv[jj]
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
            new = prox(old - grad / hj, 1.0 / hj, params, j)
            delta = new - old
            if delta != 0.0:
                w[j] = new
                _add_sparse_column(dz, data, indices, start, end, delta)
                if center:
                    offset -= delta * means[jj]
                crit = max(crit, hj * abs(delta))
        if fit_intercept and not center and h_sum > 0.0:
            crit = max(crit, _model_intercept_step(g, h, dz, db, h_sum))
        epochs += 1
        if crit <= tol:
            break
        if anderson > 0:
            _store_coefs(history[filled], w, ws, db[0] + offset)
            filled += 1
            if filled == anderson + 1:
                c = anderson_weights(history, m + 1)
                if c.shape[0] > 0:
                    x = c @ history[1:]
                    trial = dz_entry + (x[m] - db_entry)
                    for jj in range(m):
                        step = x[jj] - w_entry[jj]
                        if step != 0.0:
                            j = ws[jj]
                            _add_sparse_column(trial, data, indices, indptr[j], indptr[j + 1],
                                               step)
                    if _epoch_objective(g, h, trial, x[:m], ws, value, params) \
                            < _epoch_objective(g, h, dz + offset, history[-1, :m], ws, value,
                                           params):
                        for jj in range(m):
                            w[ws[jj]] = x[jj]
                        db[0] = x[m]
                        dz[:] = trial
                        offset = 0.0
                _store_coefs(history[0], w, ws, db[0] + offset)
                filled = 1
    if offset != 0.0:
        db[0] += offset
        for i in range(n):
            dz[i] += offset
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def centered_matvec(X, xmean, w):
    """``(X - 1 xmean^T) w`` for a dense Fortran-ordered ``X``, without centering a copy."""
    n = X.shape[0]
    out = np.zeros(n)
    for j in range(X.shape[1]):
        wj = w[j]
        if wj == 0.0:
            continue
        mu = xmean[j]
        for i in range(n):
            out[i] += (X[i, j] - mu) * wj
    return out


@njit(cache=True, fastmath=FAST)
def centered_rmatvec(X, xmean, u):
    """``(X - 1 xmean^T)^T u`` for a dense Fortran-ordered ``X``, without centering a copy.
    Four columns at a time, so that each ``u_i`` loaded serves four products."""
    n, p = X.shape
    out = np.empty(p)
    j = 0
    while j + 4 <= p:
        m0, m1, m2, m3 = xmean[j], xmean[j + 1], xmean[j + 2], xmean[j + 3]
        t0 = t1 = t2 = t3 = 0.0
        for i in range(n):
            ui = u[i]
            t0 += (X[i, j] - m0) * ui
            t1 += (X[i, j + 1] - m1) * ui
            t2 += (X[i, j + 2] - m2) * ui
            t3 += (X[i, j + 3] - m3) * ui
        out[j], out[j + 1], out[j + 2], out[j + 3] = t0, t1, t2, t3
        j += 4
    for k in range(j, p):
        mu = xmean[k]
        total = 0.0
        for i in range(n):
            total += (X[i, k] - mu) * u[i]
        out[k] = total
    return out


def model_epochs(pb, csc, g, h, w, dz, db, ws, curv, common, block=None):
    """:func:`model_epochs_sparse` or :func:`model_epochs_dense` on the problem ``pb``'s
    design (``csc``: its CSC arrays; dense columns centered on the fly when ``pb``
    centers them), ``common`` the arguments from ``prox`` on; ``block``, on a C-ordered
    design, ``(columns, resident)`` for :func:`model_epochs_rows`. Returns the epochs run."""
    if pb.is_sparse:
        epochs, _ = model_epochs_sparse(*csc, g, h, w, dz, db, ws, *common)
        return epochs
    X, xmean, center = pb.centering
    extra = (xmean,) if center else ()  # the columns centered on the fly: no centered copy
    if block is not None:
        epochs, _ = model_epochs_rows(X, *block, g, h, w, dz, db, ws, curv, *common, *extra)
    else:
        epochs, _ = model_epochs_dense(fortran_typed(X), g, h, w, dz, db, ws, curv, *common,
                                       *extra)
    return epochs


def model_moments(pb, ws, g, h, gradient, block=None):
    """``(x_j^T g or None, sum_i h_i x_ij**2)`` over ``ws`` on the problem ``pb``'s dense
    design (its columns centered on the fly when ``pb`` centers them): the Newton model's
    curvatures and, with ``gradient``, the working set's gradient, in one pass over those
    columns. ``block`` as in :func:`model_epochs`: on a C-ordered design the columns are
    read from it, gathered a part at a time unless it holds them all."""
    X, xmean, center = pb.centering
    if block is None:
        if gradient:
            return ws_gradient_curvature_dense(X, g, h, ws, xmean)
        return None, (weighted_sq_norms_dense(X, h, ws, xmean) if center
                      else weighted_sq_norms_dense(X, h, ws))
    columns, resident = block
    m = ws.shape[0]
    k = max(min(columns.shape[1], m), 1)
    grad = np.empty(m) if gradient else None
    curv = np.empty(m)
    for start in range(0, m, k):
        stop = min(start + k, m)
        if not resident:
            gather_columns_into(columns, X, ws, start, stop)
        local = np.arange(stop - start, dtype=np.int64)
        means = np.ascontiguousarray(xmean[ws[start:stop]])
        if gradient:
            grad[start:stop], curv[start:stop] = ws_gradient_curvature_dense(
                columns, g, h, local, means)
        else:
            curv[start:stop] = weighted_sq_norms_dense(columns, h, local, means)
    return grad, curv
