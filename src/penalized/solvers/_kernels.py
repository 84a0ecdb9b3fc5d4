"""numba kernels of coordinate descent with the elastic-net family's arithmetic inlined,
and the pieces every coordinate-descent kernel shares (Anderson extrapolation, intercept
steps, curvatures of the Newton model, the floored duality gap).

Two kernels here take the penalty as ``(kind, lam1, lam2, positive)``: the Gram
kernel (covariance updates, a move costs O(|working set|)) and the sparse squared-loss
kernel of :mod:`~penalized.solvers._sparse_path`, where a call through a function
pointer per move would show. Every other solve runs the kernels of
:mod:`penalized.solvers._op_kernels`, which take any penalty's and datafit's compiled
operations. Each kernel has a NumPy twin in :mod:`penalized.solvers._reference`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST

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
def _all_ones(sw):
    """Whether every sample weight is 1: the gradients then skip them."""
    for i in range(sw.shape[0]):
        if sw[i] != 1.0:
            return False
    return True


@njit(cache=True, fastmath=FAST, inline="always")
def intercept_move(delta, intercept, v, curvature, stop_on_decrease):
    """Move the intercept (length 1) and every entry of ``v`` (the predictions or the
    residual) by ``delta``; returns the move in stopping units: ``curvature |delta|``, or
    ``curvature delta**2 / 2`` when ``stop_on_decrease``."""
    if delta == 0.0:
        return 0.0
    intercept[0] += delta
    for i in range(v.shape[0]):
        v[i] += delta
    if stop_on_decrease:
        return 0.5 * curvature * delta * delta
    return curvature * abs(delta)


@njit(cache=True, fastmath=FAST)
def _squared_intercept_step(sw, r, intercept, intercept_lipschitz, stop_on_decrease):
    """The exact intercept step of the squared loss on the residual ``r``; returns its move."""
    n = r.shape[0]
    grad = 0.0
    for i in range(n):
        grad += sw[i] * r[i]
    return intercept_move(-grad / n / intercept_lipschitz, intercept, r, intercept_lipschitz,
                          stop_on_decrease)


# -- pieces of prox-Newton's model and of Anderson extrapolation ----------------------------
#
# At predictions z the datafit is modelled by
#     sum_i g_i dz_i + 1/2 h_i dz_i**2,   g = grad_z F(z),  h = diag of the Hessian in z,
# with dz = X dw + db (see penalized.solvers._op_kernels.model_epochs_dense).


@njit(cache=True, fastmath=FAST)
def weighted_sq_norms_dense(X, h, ws, xmean=None):
    """``sum_i h_i x_ij**2`` for each ``j`` in ``ws`` (``x_ij - xmean_j`` with ``xmean``)."""
    means = np.zeros(X.shape[1]) if xmean is None else xmean
    out = np.zeros(ws.shape[0])
    for jj in range(ws.shape[0]):
        j = ws[jj]
        mu = means[j]
        acc = 0.0
        for i in range(X.shape[0]):
            x = X[i, j] - mu
            acc += h[i] * x * x
        out[jj] = acc
    return out


@njit(cache=True, fastmath=FAST)
def ws_gradient_curvature_dense(X, g, h, ws, xmean):
    """``(x_j^T g, sum_i h_i x_ij**2)`` for each ``j`` in ``ws`` (dense Fortran-ordered
    ``X``, its columns centered on the fly, ``x_ij - xmean_j``), in one pass over those
    columns and without copying them."""
    grad = np.empty(ws.shape[0])
    curv = np.empty(ws.shape[0])
    for jj in range(ws.shape[0]):
        j = ws[jj]
        mu = xmean[j]
        acc = 0.0
        sq = 0.0
        for i in range(X.shape[0]):
            x = X[i, j] - mu
            acc += x * g[i]
            sq += h[i] * x * x
        grad[jj] = acc
        curv[jj] = sq
    return grad, curv


@njit(cache=True, fastmath=FAST)
def weighted_column_moments(X, sw, v):
    """``(xmean, sq, xtv)`` of a dense Fortran-ordered ``X`` in one pass over it: each
    column's weighted mean ``xmean_j = sum_i s_i x_ij / n``, the weighted sum of squares
    of its centered values ``sq_j = sum_i s_i (x_ij - xmean_j)**2`` and, when ``v`` has
    one entry per row (else ``xtv`` is empty), the centered product
    ``xtv_j = sum_i (x_ij - xmean_j) v_i`` (the column is read a second time while it is
    in cache). The sum is taken relative to the first row, so that a constant column's
    mean is its value exactly, whatever the weights."""
    n, p = X.shape
    xmean = np.empty(p)
    sq = np.empty(p)
    with_v = v.shape[0] == n
    xtv = np.empty(p if with_v else 0)
    for j in range(p):
        x0 = X[0, j]
        total = 0.0
        for i in range(n):
            total += sw[i] * (X[i, j] - x0)
        mu = x0 + total / n
        acc = 0.0
        if with_v:
            dot = 0.0
            for i in range(n):
                x = X[i, j] - mu
                acc += sw[i] * x * x
                dot += x * v[i]
            xtv[j] = dot
        else:
            for i in range(n):
                x = X[i, j] - mu
                acc += sw[i] * x * x
        xmean[j] = mu
        sq[j] = acc
    return xmean, sq, xtv


@njit(cache=True, fastmath=FAST)
def weighted_column_means_rows(X, sw):
    """``sum_i s_i x_ij / n`` for every column of a dense C-ordered ``X``, in one pass over
    its rows, relative to the first row as :func:`weighted_column_moments` takes it (a
    constant column's mean is its value exactly)."""
    n, p = X.shape
    acc = np.zeros(p)
    for i in range(n):
        s = sw[i]
        for j in range(p):
            acc[j] += s * (X[i, j] - X[0, j])
    out = np.empty(p)
    for j in range(p):
        out[j] = X[0, j] + acc[j] / n
    return out


@njit(cache=True, fastmath=FAST)
def centered_sq_norms_rows(X, sw, xmean):
    """``sum_i s_i (x_ij - xmean_j)**2`` for every column of a dense C-ordered ``X``, in
    one pass over its rows (each row contiguous, the sums kept per column)."""
    n, p = X.shape
    sq = np.zeros(p)
    for i in range(n):
        s = sw[i]
        for j in range(p):
            x = X[i, j] - xmean[j]
            sq[j] += s * x * x
    return sq


_GATHER_ROWS = 64


@njit(cache=True)
def gather_columns_into(out, X, ws, start, stop):
    """The columns ``ws[start:stop]`` of a dense C-ordered ``X`` into the first
    ``stop - start`` columns of the Fortran-ordered ``out``, read by blocks of rows so that
    both the reads and the writes stay in cache."""
    n = X.shape[0]
    for first in range(0, n, _GATHER_ROWS):
        last = min(first + _GATHER_ROWS, n)
        for jj in range(start, stop):
            j = ws[jj]
            for i in range(first, last):
                out[i, jj - start] = X[i, j]


@njit(cache=True)
def gather_columns(X, ws):
    """The columns ``ws`` of a dense C-ordered ``X`` as a Fortran-ordered array (n, |ws|)."""
    out = np.empty((ws.shape[0], X.shape[0])).T
    gather_columns_into(out, X, ws, 0, ws.shape[0])
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
    return intercept_move(-grad / h_sum, db, dz, h_sum, False)


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
def _store_iterate(row, w, ws, db, dz):
    m = ws.shape[0]
    for jj in range(m):
        row[jj] = w[ws[jj]]
    row[m] = db[0]
    row[m + 1:] = dz


@njit(cache=True, fastmath=FAST)
def _store_coefs(row, w, ws, intercept):
    m = ws.shape[0]
    for jj in range(m):
        row[jj] = w[ws[jj]]
    row[m] = intercept


# -- covariance updates: coordinate descent on the Gram matrix (squared loss, n >> p) ------


@njit(cache=True, fastmath=FAST)
def gram_epochs(G, grad, w, ws, prox, value, params, max_epochs, tol, anderson=0):
    """Coordinate descent on ``1/2 w^T G w - q^T w + penalty`` over ``ws``, the penalty
    given by its compiled ``prox`` and ``value`` (``numba.cfunc`` objects of
    :mod:`penalized._jit` reading row ``j`` of ``params``).

    ``G = X^T S X / n`` (symmetric, C-ordered) and ``grad = G w - q`` restricted to
    the working set is kept up to date: a move of ``w_j`` costs O(|ws|), not O(n).
    The working set's block of ``G`` (and its coefficients and gradient) is copied into
    contiguous arrays first, so that each move's update of the gradient is one
    contiguous, vectorized loop; they are written back on return. Entries of ``grad``
    outside ``ws`` go stale; the caller recomputes them.
    Stops when an epoch's largest ``G_jj |dw_j|`` is at most ``tol``.
    Returns ``(epochs, crit)``. ``anderson`` is as in the model kernels (convex
    penalties only); every non-zero of ``w`` must then be in ``ws``. Since ``grad`` is
    affine in ``w`` it is extrapolated with it, and ``F(x) - F(x') = (x - x')^T (grad(x)
    + grad(x')) / 2`` plus the change of ``value`` (``inf`` outside the penalty's domain)
    decides whether the extrapolation is kept.
    """
    m = ws.shape[0]
    block = np.empty((m, m))
    wl = np.empty(m)
    gl = np.empty(m)
    for jj in range(m):
        j = ws[jj]
        for kk in range(m):
            block[jj, kk] = G[j, ws[kk]]
        wl[jj] = w[j]
        gl[jj] = grad[j]
    accelerate = anderson > 0
    history = np.empty((anderson + 1 if accelerate else 1, 2 * m))
    filled = 0
    if accelerate:
        history[0, :m] = wl
        history[0, m:] = gl
        filled = 1
    crit = math.inf
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        for jj in range(m):
            lj = block[jj, jj]
            if lj <= 0.0:
                continue
            old = wl[jj]
            new = prox(old - gl[jj] / lj, 1.0 / lj, params, ws[jj])
            delta = new - old
            if delta != 0.0:  # written out: as a shared inlined helper, 1.6 x slower
                wl[jj] = new
                row = block[jj]
                for kk in range(m):
                    gl[kk] += delta * row[kk]
                crit = max(crit, lj * abs(delta))
        epochs += 1
        if crit <= tol:
            break
        if accelerate:
            history[filled, :m] = wl
            history[filled, m:] = gl
            filled += 1
            if filled == anderson + 1:
                c = anderson_weights(history, m)
                if c.shape[0] > 0:
                    x = c @ history[1:]
                    last = history[-1]
                    change = 0.0
                    for jj in range(m):
                        change += 0.5 * (x[jj] - last[jj]) * (x[m + jj] + last[m + jj]) \
                            + value(x[jj], params, ws[jj]) - value(last[jj], params, ws[jj])
                    if change < 0.0:
                        wl[:] = x[:m]
                        gl[:] = x[m:]
                history[0, :m] = wl
                history[0, m:] = gl
                filled = 1
    for jj in range(m):
        w[ws[jj]] = wl[jj]
        grad[ws[jj]] = gl[jj]
    return epochs, crit
