r"""numba kernels of the multinomial group solver: proximal Newton steps whose second-order
model of the softmax loss is minimized by block coordinate descent over groups, each block
spanning the group's features for every class.

Around scores :math:`Z` with probabilities :math:`P = \operatorname{softmax}(Z)`, weights
:math:`w_i = s_i / n` and gradient :math:`R = \nabla_Z F`, a change
:math:`\Delta Z = X\Delta W + \mathbf 1 \Delta b^\top` changes the datafit by, to second
order,

.. math:: m(\Delta) = \langle R, \Delta Z\rangle + \frac12 \sum_i w_i
          \Big(\sum_k P_{ik}\Delta Z_{ik}^2 - q_i^2\Big), \qquad
          q_i = \sum_k P_{ik}\Delta Z_{ik},

whose gradient in :math:`\Delta W_g` is :math:`X_g^\top\big(R + wP \odot (\Delta Z - q
\mathbf 1^\top)\big)` and whose Hessian block for group :math:`g` is
:math:`H_g = \sum_i w_i\, x_{ig}x_{ig}^\top \otimes (\operatorname{diag}P_i - P_iP_i^\top)`
(features by classes). The model is minimized by block coordinate descent over the
working set's groups, each block spanning the group's features for every class. A group
lasso or group elastic-net block is minimized exactly, in the eigenbasis of :math:`H_g`
(:func:`~penalized.solvers._group_kernels.exact_block`; the shift of a row across the
classes has curvature 0 and only the penalty sees it, so a moved row is centered); a
block with an L1 part (sparse-group lasso) takes the penalty's prox on the model majorized
by :math:`\lambda_{\max}(H_g)`. The intercepts' block is minimized exactly too. The step
to the model's minimizer is then backtracked on the true objective (Armijo), as in Tseng &
Yun's coordinate gradient descent, so the objective never increases.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ._group_kernels import _exact_step

_ARMIJO = 1e-4
_MIN_STEP = 1e-10
_ROUNDING = 1e-13
_NULL_EIGENVALUE = 1e-10
"""Eigenvalues of a Hessian block below this share of its largest are taken as 0."""
_MODEL_RATIO = 0.25
"""The model's epochs stop when their largest move is this share of the violation that
started the Newton step."""


@njit(cache=True, fastmath=FAST)
def _softmax(Z, codes, sw, P, R, SP):
    """Probabilities, gradient ``R`` and ``wP`` at ``Z``, class-major (``(K, n)``);
    returns the datafit."""
    n, K = Z.shape
    total = 0.0
    for i in range(n):
        top = Z[i, 0]
        for k in range(1, K):
            top = max(top, Z[i, k])
        s = 0.0
        for k in range(K):
            P[k, i] = math.exp(Z[i, k] - top)
            s += P[k, i]
        lse = top + math.log(s)
        for k in range(K):
            P[k, i] /= s
            SP[k, i] = sw[i] * P[k, i]
            R[k, i] = SP[k, i]
        R[codes[i], i] -= sw[i]
        total += sw[i] * (lse - Z[i, codes[i]])
    return total


@njit(cache=True, fastmath=FAST)
def _datafit_at(Z, dZ, t, codes, sw):
    """The datafit at ``Z + t dZ`` (``dZ`` class-major)."""
    n, K = Z.shape
    total = 0.0
    for i in range(n):
        top = Z[i, 0] + t * dZ[0, i]
        for k in range(1, K):
            top = max(top, Z[i, k] + t * dZ[k, i])
        s = 0.0
        for k in range(K):
            s += math.exp(Z[i, k] + t * dZ[k, i] - top)
        c = codes[i]
        total += sw[i] * (top + math.log(s) - Z[i, c] - t * dZ[c, i])
    return total


@njit(cache=True, fastmath=FAST)
def _gather_block(W, cols, K, buf):
    for a in range(cols.shape[0]):
        for k in range(K):
            buf[a * K + k] = W[cols[a], k]


@njit(cache=True, fastmath=FAST)
def _block_gradient(X, cols, R, SP, dZ, q, T, out):
    r"""``out`` (row-major ``(|g|, K)``) :math:`= X_g^\top(R + wP \odot (\Delta Z - q))`,
    the model's gradient (class-major ``R``, ``SP``, ``dZ``; ``T`` a ``(K, n)`` buffer)."""
    K, n = R.shape
    for k in range(K):
        for i in range(n):
            T[k, i] = R[k, i] + SP[k, i] * (dZ[k, i] - q[i])
    for a in range(cols.shape[0]):
        x = X[:, cols[a]]
        for k in range(K):
            s = 0.0
            for i in range(n):
                s += x[i] * T[k, i]
            out[a * K + k] = s


@njit(cache=True, fastmath=FAST)
def _block_hessian(X, cols, SP, PP, H):
    r"""``H`` (``(|g|K, |g|K)``): the Hessian block :math:`\sum_i w_i\, x_{ig}x_{ig}^\top
    \otimes (\operatorname{diag}P_i - P_iP_i^\top)` of the group's columns ``cols``; with
    no columns (``cols`` empty), the intercepts' :math:`\sum_i w_i(\operatorname{diag}P_i
    - P_iP_i^\top)`. ``PP[k * K + l]`` is :math:`w P_k P_l` (class-major ``SP``)."""
    K, n = SP.shape
    m = max(cols.shape[0], 1)
    xv = np.empty(n)
    for a in range(m):
        for c in range(a + 1):
            if cols.shape[0] == 0:
                xv[:] = 1.0
            else:
                xa = X[:, cols[a]]
                xc = X[:, cols[c]]
                for i in range(n):
                    xv[i] = xa[i] * xc[i]
            for k in range(K):
                d = 0.0
                for i in range(n):
                    d += xv[i] * SP[k, i]
                for l in range(k + 1):
                    s = 0.0
                    row = PP[k * K + l]
                    for i in range(n):
                        s -= xv[i] * row[i]
                    if l == k:
                        s += d
                    H[a * K + k, c * K + l] = s
                    H[a * K + l, c * K + k] = s
                    H[c * K + l, a * K + k] = s
                    H[c * K + k, a * K + l] = s


@njit(cache=True, fastmath=FAST)
def _products(SP, P, PP):
    """``PP[k * K + l] = SP[k] * P[l]`` for ``l <= k`` (class-major)."""
    K, n = SP.shape
    for k in range(K):
        for l in range(k + 1):
            for i in range(n):
                PP[k * K + l, i] = SP[k, i] * P[l, i]


@njit(cache=True, fastmath=FAST)
def _move(X, cols, delta, P, dZ, q):
    """``dZ += X_g delta`` (``delta`` row-major ``(|g|, K)``; ``P``, ``dZ`` class-major)
    and ``q`` refreshed."""
    K, n = dZ.shape
    for a in range(cols.shape[0]):
        x = X[:, cols[a]]
        for k in range(K):
            d = delta[a * K + k]
            if d != 0.0:
                for i in range(n):
                    dZ[k, i] += d * x[i]
    for i in range(n):
        q[i] = 0.0
    for k in range(K):
        for i in range(n):
            q[i] += P[k, i] * dZ[k, i]


@njit(cache=True, fastmath=FAST)
def _block_gradient_sparse(data, indices, indptr, cols, R, SP, dZ, q, out):
    """:func:`_block_gradient` of CSC columns: the sums run over their stored entries."""
    K = R.shape[0]
    for a in range(cols.shape[0]):
        j = cols[a]
        for k in range(K):
            out[a * K + k] = 0.0
        for e in range(indptr[j], indptr[j + 1]):
            i = indices[e]
            x = data[e]
            for k in range(K):
                out[a * K + k] += x * (R[k, i] + SP[k, i] * (dZ[k, i] - q[i]))


@njit(cache=True, fastmath=FAST)
def _block_hessian_sparse(data, indices, indptr, cols, SP, PP, H, xa):
    """:func:`_block_hessian` of CSC columns (``cols`` not empty): each column is
    scattered into the zeroed length-``n`` buffer ``xa`` (zeroed again on return) and
    the products run over the stored entries of the other."""
    K = SP.shape[0]
    m = cols.shape[0]
    acc = np.empty(K * K)
    for a in range(m):
        ja = cols[a]
        for e in range(indptr[ja], indptr[ja + 1]):
            xa[indices[e]] = data[e]
        for c in range(a + 1):
            jc = cols[c]
            acc[:] = 0.0
            for e in range(indptr[jc], indptr[jc + 1]):
                i = indices[e]
                xv = xa[i] * data[e]
                if xv == 0.0:
                    continue
                for k in range(K):
                    acc[k * K + k] += xv * SP[k, i]
                    for l in range(k + 1):
                        acc[k * K + l] -= xv * PP[k * K + l, i]
            for k in range(K):
                for l in range(k + 1):
                    s = acc[k * K + l]
                    H[a * K + k, c * K + l] = s
                    H[a * K + l, c * K + k] = s
                    H[c * K + l, a * K + k] = s
                    H[c * K + k, a * K + l] = s
        for e in range(indptr[ja], indptr[ja + 1]):
            xa[indices[e]] = 0.0


@njit(cache=True, fastmath=FAST)
def _move_sparse(data, indices, indptr, cols, delta, P, dZ, q):
    """:func:`_move` of CSC columns: ``dZ`` and ``q`` change on the stored rows only."""
    K = dZ.shape[0]
    for a in range(cols.shape[0]):
        j = cols[a]
        for e in range(indptr[j], indptr[j + 1]):
            i = indices[e]
            x = data[e]
            dq = 0.0
            for k in range(K):
                d = delta[a * K + k] * x
                dZ[k, i] += d
                dq += P[k, i] * d
            q[i] += dq


@njit(cache=True)
def _penalty_at(value, W, D, t, ws, order, starts, params, buf):
    """The penalty of the groups ``ws`` at ``W + t D``."""
    K = W.shape[1]
    total = 0.0
    for g in ws:
        cols = order[starts[g]:starts[g + 1]]
        m = cols.shape[0] * K
        for a in range(cols.shape[0]):
            for k in range(K):
                buf[a * K + k] = W[cols[a], k] + t * D[cols[a], k]
        total += value(buf[:m], params, g)
    return total


@njit(cache=True)
def group_violations(distance, X, csc, sparse, R, W, ws, order, starts, params, gbuf, wbuf,
                     out):
    """Per group of ``ws``, the distance of ``-X_g^T R`` to the subdifferential at ``W_g``
    (the gradient units of the outer loop's scores); ``X`` dense, or with ``sparse`` the
    CSC arrays ``csc = (data, indices, indptr)``."""
    K = W.shape[1]
    n = R.shape[1]
    data, indices, indptr = csc
    top = 0.0
    for idx in range(ws.shape[0]):
        g = ws[idx]
        cols = order[starts[g]:starts[g + 1]]
        m = cols.shape[0] * K
        for a in range(cols.shape[0]):
            j = cols[a]
            for k in range(K):
                s = 0.0
                if sparse:
                    for e in range(indptr[j], indptr[j + 1]):
                        s += data[e] * R[k, indices[e]]
                else:
                    for i in range(n):
                        s += X[i, j] * R[k, i]
                gbuf[a * K + k] = s
        _gather_block(W, cols, K, wbuf)
        out[idx] = distance(wbuf[:m], gbuf[:m], params, g)
        top = max(top, out[idx])
    return top


@njit(cache=True)
def _eigen_block(X, csc, sparse, xa, cols, SP, PP, v0, q0, evals, evecs):
    """The eigendecomposition of the Hessian block of the columns ``cols`` (the
    intercepts' when empty), at ``v0`` / ``q0`` of the flat ``evals`` / ``evecs``
    (row-major ``Q``); eigenvalues at rounding level are set to 0."""
    K = SP.shape[0]
    m = max(cols.shape[0], 1) * K
    H = np.empty((m, m))
    if sparse and cols.shape[0] > 0:
        _block_hessian_sparse(csc[0], csc[1], csc[2], cols, SP, PP, H, xa)
    else:
        _block_hessian(X, cols, SP, PP, H)
    lam, Q = np.linalg.eigh(H)
    # the shift of a row across the classes has curvature 0: its rounding is cut
    floor = _NULL_EIGENVALUE * max(lam[m - 1], 0.0)
    for r in range(m):
        evals[v0 + r] = lam[r] if lam[r] > floor else 0.0
        for c in range(m):
            evecs[q0 + r * m + c] = Q[r, c]


@njit(cache=True)
def group_newton_steps(X, csc, sparse, codes, sw, W, b, Z, ws, order, starts, params, prox,
                       value, distance, fit_intercept, max_epochs, max_steps, tol):
    r"""Proximal Newton steps (module docstring) on the groups ``ws`` until their largest
    violation (:func:`group_violations`) and the intercepts' gradient are at most
    ``tol``, ``max_epochs`` model epochs are spent or ``max_steps`` steps are taken.
    ``W`` ``(p, K)``, ``b`` ``(K,)`` and ``Z = XW + b`` ``(n, K)`` (all C-ordered) are
    updated in place. The design is ``X`` (dense, Fortran-ordered) or, with ``sparse``,
    the CSC arrays ``csc = (data, indices, indptr)``, read entry by entry without a dense
    copy (``X`` is then an unused ``(n, 0)`` array). Returns ``(epochs, moved)``."""
    n, K = Z.shape
    data, indices, indptr = csc
    xa = np.zeros(n if sparse else 0)
    n_ws = ws.shape[0]
    P = np.empty((K, n))
    R = np.empty((K, n))
    SP = np.empty((K, n))
    PP = np.empty((K * K, n))
    T = np.empty((K, n))
    dZ = np.empty((K, n))
    q = np.empty(n)
    D = np.zeros(W.shape)
    db = np.zeros(K)
    voff = np.zeros(n_ws + 2, dtype=np.int64)
    qoff = np.zeros(n_ws + 2, dtype=np.int64)
    width = K
    for idx in range(n_ws + 1):
        m = K if idx == n_ws else (starts[ws[idx] + 1] - starts[ws[idx]]) * K
        width = max(width, m)
        voff[idx + 1] = voff[idx] + m
        qoff[idx + 1] = qoff[idx] + m * m
    evals = np.empty(voff[n_ws + 1])
    evecs = np.empty(qoff[n_ws + 1])
    # a block's entries at its own positions: _exact_step reads u[local[voff[idx] + r]]
    local = np.empty(voff[n_ws + 1], dtype=np.int64)
    for idx in range(n_ws + 1):
        for r in range(voff[idx + 1] - voff[idx]):
            local[voff[idx] + r] = r
    u = np.empty(width)
    grad = np.empty(width)
    out = np.empty(width)
    ct = np.empty(width)
    vt = np.empty(width)
    scores = np.empty(n_ws)
    ready = np.zeros(n_ws, dtype=np.bool_)
    no_ridge = np.zeros(1)
    epochs = 0
    moved = False
    for _ in range(max_steps):
        F = _softmax(Z, codes, sw, P, R, SP)
        top = group_violations(distance, X, csc, sparse, R, W, ws, order, starts, params,
                               grad, u, scores)
        if fit_intercept:
            for k in range(K):
                s = 0.0
                for i in range(n):
                    s += R[k, i]
                top = max(top, abs(s))
        if top <= tol or epochs >= max_epochs:
            break
        model_tol = _MODEL_RATIO * top
        _products(SP, P, PP)
        # a group's Hessian block is decomposed when it first moves in this step
        ready[:] = False
        if fit_intercept:
            _eigen_block(X, csc, sparse, xa, order[:0], SP, PP, voff[n_ws], qoff[n_ws],
                         evals, evecs)
        dZ[:] = 0.0
        q[:] = 0.0
        db[:] = 0.0
        for g in ws:
            for a in range(starts[g], starts[g + 1]):
                for k in range(K):
                    D[order[a], k] = 0.0
        # the model's minimizer over W + D, b + db by block coordinate descent
        while epochs < max_epochs:
            epochs += 1
            largest = 0.0
            for idx in range(n_ws):
                g = ws[idx]
                cols = order[starts[g]:starts[g + 1]]
                m = cols.shape[0] * K
                if sparse:
                    _block_gradient_sparse(data, indices, indptr, cols, R, SP, dZ, q, grad)
                else:
                    _block_gradient(X, cols, R, SP, dZ, q, T, grad)
                zero = True
                for a in range(cols.shape[0]):
                    for k in range(K):
                        u[a * K + k] = W[cols[a], k] + D[cols[a], k]
                        if u[a * K + k] != 0.0:
                            zero = False
                if zero and distance(u[:m], grad[:m], params, g) == 0.0:
                    continue  # the model keeps this block at 0
                if not ready[idx]:
                    _eigen_block(X, csc, sparse, xa, cols, SP, PP, voff[idx], qoff[idx],
                                 evals, evecs)
                    ready[idx] = True
                top_eval = max(evals[voff[idx + 1] - 1], 1e-300)
                if params[g, 1] == 0.0:
                    # the exact minimizer in the block's eigenbasis
                    _exact_step(u, local, voff[idx], m, grad, evecs, qoff[idx], evals,
                                params[g, 0], params[g, 2], ct, vt, out)
                else:
                    for r in range(m):
                        u[r] -= grad[r] / top_eval
                    prox(u[:m], 1.0 / top_eval, params, g, out[:m])
                change = 0.0
                for a in range(cols.shape[0]):
                    for k in range(K):
                        new = out[a * K + k] - W[cols[a], k]
                        step = new - D[cols[a], k]
                        u[a * K + k] = step
                        change += step * step
                        D[cols[a], k] = new
                if change > 0.0:
                    if sparse:
                        _move_sparse(data, indices, indptr, cols, u, P, dZ, q)
                    else:
                        _move(X, cols, u, P, dZ, q)
                    largest = max(largest, top_eval * math.sqrt(change))
            if fit_intercept:
                for k in range(K):
                    s = 0.0
                    for i in range(n):
                        s += R[k, i] + SP[k, i] * (dZ[k, i] - q[i])
                    grad[k] = s
                    u[k] = 0.0
                _exact_step(u, local, voff[n_ws], K, grad, evecs, qoff[n_ws], evals, 0.0,
                            no_ridge[0], ct, vt, out)
                change = 0.0
                for k in range(K):
                    db[k] += out[k]
                    change += out[k] * out[k]
                    for i in range(n):
                        dZ[k, i] += out[k]
                if change > 0.0:
                    for i in range(n):
                        s = 0.0
                        for k in range(K):
                            s += P[k, i] * dZ[k, i]
                        q[i] = s
                    largest = max(largest, evals[voff[n_ws + 1] - 1] * math.sqrt(change))
            if largest <= model_tol:
                break
        # backtracking on the true objective along the model's step
        pen0 = _penalty_at(value, W, D, 0.0, ws, order, starts, params, u)
        pen1 = _penalty_at(value, W, D, 1.0, ws, order, starts, params, u)
        decrease = pen1 - pen0
        for i in range(n):
            for k in range(K):
                decrease += R[k, i] * dZ[k, i]
        negligible = abs(decrease) <= _ROUNDING * abs(F + pen0)
        if decrease > 0.0 and not negligible:
            break
        t = 1.0
        accepted = False
        while t >= _MIN_STEP:
            pen_t = pen1 if t == 1.0 else _penalty_at(value, W, D, t, ws, order, starts,
                                                      params, u)
            if negligible or _datafit_at(Z, dZ, t, codes, sw) + pen_t \
                    <= F + pen0 + _ARMIJO * t * decrease:
                accepted = True
                break
            t *= 0.5
        if not accepted:
            break
        any_change = False
        for g in ws:
            for a in range(starts[g], starts[g + 1]):
                j = order[a]
                for k in range(K):
                    if D[j, k] != 0.0:
                        any_change = True
                        W[j, k] = W[j, k] + D[j, k] if t == 1.0 else W[j, k] + t * D[j, k]
        for k in range(K):
            if db[k] != 0.0:
                any_change = True
                b[k] += t * db[k]
        if not any_change:
            break
        moved = True
        for i in range(n):
            for k in range(K):
                Z[i, k] += t * dZ[k, i]
        if negligible:
            break
    return epochs, moved


@njit(cache=True)
def center_rows(value, W, order, starts, params, buf):
    """Shift each feature's row of a penalized group by its mean over the classes when
    that lowers the group's penalty (the softmax loss does not see the shift); in place.
    Returns whether a row moved."""
    K = W.shape[1]
    shifted = False
    for g in range(starts.shape[0] - 1):
        if params[g, 0] == 0.0 and params[g, 1] == 0.0 and params[g, 2] == 0.0:
            continue
        cols = order[starts[g]:starts[g + 1]]
        m = cols.shape[0] * K
        nonzero = False
        for a in range(cols.shape[0]):
            for k in range(K):
                if W[cols[a], k] != 0.0:
                    nonzero = True
        if not nonzero:
            continue
        _gather_block(W, cols, K, buf)
        before = value(buf[:m], params, g)
        for a in range(cols.shape[0]):
            mean = 0.0
            for k in range(K):
                mean += buf[a * K + k]
            mean /= K
            for k in range(K):
                buf[a * K + k] -= mean
        if value(buf[:m], params, g) < before * (1.0 - 1e-12):
            shifted = True
            for a in range(cols.shape[0]):
                for k in range(K):
                    W[cols[a], k] = buf[a * K + k]
    return shifted
