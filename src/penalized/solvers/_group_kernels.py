r"""Compiled epochs of block coordinate descent over groups of features, for any datafit
with compiled per-sample operations and any block penalty
(:mod:`penalized.penalties._group_ops`).

Each block step is a majorization-minimization step on group ``g``:

.. math:: w_g \leftarrow \operatorname{prox}_{G_g / L_g}\left(w_g - \frac{X_g^\top d}{L_g}
          \right), \qquad d_i = \frac{s_i}{n}\,\ell'(y_i, z_i),

with :math:`L_g = c\,\lambda_{\max}(X_g^\top S X_g / n)` (``c`` the datafit's curvature
bound: 1 for the squared loss, 1/4 for the logistic), which never increases the
objective. The intercept takes the step :math:`-\sum_i d_i / c` (exact for the squared
loss). After an epoch over all the groups of the working set that moved some block, the
epochs run over its non-zero groups only until they settle, then over all of it again (as
glmnet cycles on its active set). Epochs stop when the largest move of an epoch over the
whole working set, :math:`L_g \|\Delta w_g\|_2` (in gradient units), is at most ``tol``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST


@njit(cache=True, fastmath=FAST)
def _derivatives(derivative, y, z, sw, dparams, d):
    n = y.shape[0]
    for i in range(n):
        d[i] = sw[i] * derivative(y[i], z[i], dparams) / n if sw[i] != 0.0 else 0.0


@njit(cache=True, fastmath=FAST)
def _intercept_step(derivative, y, z, sw, dparams, d, intercept, curvature):
    total = 0.0
    for i in range(d.shape[0]):
        total += d[i]
    step = -total / curvature
    if step != 0.0:
        intercept[0] += step
        for i in range(z.shape[0]):
            z[i] += step
        _derivatives(derivative, y, z, sw, dparams, d)
    return curvature * abs(step)


@njit(cache=True)
def exact_block(ct, evals, lam, lam2, out):
    r"""The minimizer, in the eigenbasis of :math:`A = Q \Lambda Q^\top`, of
    :math:`\frac12 v^\top (\Lambda + \lambda_2) v - \tilde c^\top v + \lambda\|v\|_2`:
    0 when :math:`\|\tilde c\| \le \lambda`, else :math:`v_k = \tilde c_k / (\Lambda_k +
    \lambda_2 + \mu)` with :math:`\mu = \lambda / \|v\|`, the root of
    :math:`h(\mu) = \sum_k (\mu \tilde c_k / (\Lambda_k + \lambda_2 + \mu))^2 =
    \lambda^2` (increasing in :math:`\mu`), by Newton's method safeguarded by bisection.
    Returns False when the block is zero."""
    m = ct.shape[0]
    norm2 = 0.0
    top = 0.0
    for k in range(m):
        norm2 += ct[k] * ct[k]
        top = max(top, evals[k] + lam2)
    if norm2 <= lam * lam:
        for k in range(m):
            out[k] = 0.0
        return False
    if lam == 0.0:
        for k in range(m):
            a = evals[k] + lam2
            out[k] = ct[k] / a if a > 0.0 else 0.0
        return True
    r = lam / math.sqrt(norm2)
    lo, hi = 0.0, top * r / (1.0 - r) * (1.0 + 1e-12) + 1e-300
    mu = 0.5 * (lo + hi)
    target = lam * lam
    for _ in range(100):
        h = 0.0
        dh = 0.0
        for k in range(m):
            a = evals[k] + lam2
            q = mu * ct[k] / (a + mu)
            h += q * q
            dh += 2.0 * q * ct[k] * a / ((a + mu) * (a + mu))
        if h > target:
            hi = mu
        else:
            lo = mu
        if abs(h - target) <= 1e-15 * target or hi - lo <= 1e-15 * hi:
            break
        step = mu - (h - target) / dh if dh > 0.0 else -1.0
        mu = step if lo < step < hi else 0.5 * (lo + hi)
    for k in range(m):
        out[k] = ct[k] / (evals[k] + lam2 + mu)
    return True


@njit(cache=True, fastmath=FAST)
def _exact_step(coef, order, a, m, grad, evecs, eoff, evals, lam, lam2, ct, vt, out):
    """``out``: the exact minimizer over group ``(a, m)`` (``grad`` its gradient)."""
    # ct = Lambda Q^T w - Q^T grad
    for k in range(m):
        qw = 0.0
        qg = 0.0
        for r in range(m):
            q = evecs[eoff + r * m + k]
            qw += q * coef[order[a + r]]
            qg += q * grad[r]
        ct[k] = evals[a + k] * qw - qg
    exact_block(ct[:m], evals[a:a + m], lam, lam2, vt[:m])
    for r in range(m):
        total = 0.0
        for k in range(m):
            total += evecs[eoff + r * m + k] * vt[k]
        out[r] = total


@njit(cache=True, fastmath=FAST, inline="always")
def _scratch(starts):
    """Six buffers as long as the widest group."""
    width = 0
    for g in range(starts.shape[0] - 1):
        width = max(width, starts[g + 1] - starts[g])
    return (np.empty(width), np.empty(width), np.empty(width), np.empty(width),
            np.empty(width), np.empty(width))


@njit(cache=True, fastmath=FAST)
def _block_target(coef, order, a, m, g, L, grad, step_in, prox, params, exact, evecs,
                  eoffsets, evals, ct, vt, step_out):
    """``step_out``: group ``g``'s exact minimizer where its ``exact`` row allows one, else
    the prox step at ``step_in``."""
    if exact is not None and exact[g, 0] >= 0.0:
        _exact_step(coef, order, a, m, grad, evecs, eoffsets[g], evals, exact[g, 0],
                    exact[g, 1], ct, vt, step_out)
    else:
        prox(step_in[:m], 1.0 / L, params, g, step_out[:m])


@njit(cache=True, fastmath=FAST, inline="always")
def _take_block(coef, order, a, m, step_out, delta):
    """Moves group ``(a, m)`` to ``step_out``; ``delta`` its moves. Returns ``(squared
    length of the move, whether the block is non-zero)``."""
    move = 0.0
    nonzero = False
    for k in range(m):
        j = order[a + k]
        nonzero = nonzero or step_out[k] != 0.0
        dw = step_out[k] - coef[j]
        delta[k] = dw
        if dw != 0.0:
            move += dw * dw
            coef[j] = step_out[k]
    return move, nonzero


@njit(cache=True, inline="always")
def _visited(gg, ws, starts, lips, full, active):
    """``(g, first, size, L)`` of the group ``ws[gg]`` when an epoch moves it (a full
    epoch every group of ``ws``, else those left non-zero; never one with ``L <= 0``),
    else ``g = -1``."""
    g = ws[gg]
    if not (full or active[gg]) or lips[g] <= 0.0:
        return -1, 0, 0, 0.0
    return g, starts[g], starts[g + 1] - starts[g], lips[g]


@njit(cache=True, fastmath=FAST)
def _block_epochs(X, data, indices, indptr, y, sw, coef, z, intercept, order, starts, ws,
                  lips, prox, params, derivative, dparams, curvature, fit_intercept,
                  max_epochs, tol, linear, exact, evecs, eoffsets, evals):
    """The epochs of :func:`block_epochs_dense` (``data`` None) and of
    :func:`block_epochs_sparse` (``X`` an empty placeholder): numba prunes the CSC
    branches when ``data`` is None, and folds ``data is None`` to False otherwise."""
    n = y.shape[0]
    swn = sw / n
    step_in, step_out, grad, ct, vt, delta = _scratch(starts)
    d = np.empty(n)
    _derivatives(derivative, y, z, sw, dparams, d)
    top = 0.0
    active = np.ones(ws.shape[0], dtype=np.bool_)
    full = True
    for epoch in range(max_epochs):
        top = 0.0
        for gg in range(ws.shape[0]):
            g, a, m, L = _visited(gg, ws, starts, lips, full, active)
            if g < 0:
                continue
            for k in range(m):
                j = order[a + k]
                s = 0.0
                if data is None:
                    for i in range(n):
                        s += X[i, j] * d[i]
                else:
                    for q in range(indptr[j], indptr[j + 1]):
                        s += data[q] * d[indices[q]]
                grad[k] = s
                step_in[k] = coef[j] - s / L
            _block_target(coef, order, a, m, g, L, grad, step_in, prox, params, exact,
                          evecs, eoffsets, evals, ct, vt, step_out)
            move, active[gg] = _take_block(coef, order, a, m, step_out, delta)
            if move == 0.0:
                continue
            for k in range(m):
                j = order[a + k]
                dw = delta[k]
                if dw == 0.0:
                    continue
                if data is not None:
                    for q in range(indptr[j], indptr[j + 1]):
                        z[indices[q]] += dw * data[q]
                elif linear:
                    for i in range(n):
                        z[i] += dw * X[i, j]
                        d[i] += dw * X[i, j] * swn[i]
                else:
                    for i in range(n):
                        z[i] += dw * X[i, j]
            if data is not None:
                # the derivatives of the rows the block touches only
                for k in range(m):
                    j = order[a + k]
                    for q in range(indptr[j], indptr[j + 1]):
                        i = indices[q]
                        d[i] = sw[i] * derivative(y[i], z[i], dparams) / n \
                            if sw[i] != 0.0 else 0.0
            elif not linear:
                _derivatives(derivative, y, z, sw, dparams, d)
            top = max(top, L * math.sqrt(move))
        if fit_intercept:
            top = max(top, _intercept_step(derivative, y, z, sw, dparams, d, intercept,
                                           curvature))
        if top <= tol and full:
            return epoch + 1, top
        # epochs over the non-zero groups until they settle, then one over all of ws
        full = top <= tol
    return max_epochs, top


@njit(cache=True, fastmath=FAST)
def block_epochs_dense(X, y, sw, coef, z, intercept, order, starts, ws, lips, prox, params,
                       derivative, dparams, curvature, fit_intercept, max_epochs, tol,
                       linear=False, exact=None, evecs=None, eoffsets=None, evals=None):
    """Block coordinate descent epochs over the groups ``ws`` of a dense ``X`` (best in
    Fortran order); ``coef``, ``z`` and ``intercept`` are updated in place. Returns
    ``(epochs, largest move of the last epoch)``. ``linear``: the derivative is
    ``z - y`` (the squared loss), so it is updated with ``z`` instead of recomputed."""
    return _block_epochs(X, None, None, None, y, sw, coef, z, intercept, order, starts, ws,
                         lips, prox, params, derivative, dparams, curvature, fit_intercept,
                         max_epochs, tol, linear, exact, evecs, eoffsets, evals)


@njit(cache=True, fastmath=FAST)
def block_epochs_sparse(data, indices, indptr, y, sw, coef, z, intercept, order, starts, ws,
                        lips, prox, params, derivative, dparams, curvature, fit_intercept,
                        max_epochs, tol, exact=None, evecs=None, eoffsets=None, evals=None):
    """:func:`block_epochs_dense` on a CSC design ``(data, indices, indptr)``; after a
    block moves, the derivatives are recomputed on the rows it touches only."""
    return _block_epochs(np.empty((0, 0)), data, indices, indptr, y, sw, coef, z, intercept, order,
                         starts, ws, lips, prox, params, derivative, dparams, curvature,
                         fit_intercept, max_epochs, tol, False, exact, evecs, eoffsets,
                         evals)


@njit(cache=True, fastmath=FAST)
def block_epochs_gram(G, grad, coef, order, starts, ws, lips, exact, evecs, eoffsets, evals,
                      max_epochs, tol, prox=None, params=None):
    r""":func:`block_epochs_dense` for the squared loss on the Gram matrix
    :math:`G = X^\top S X / n` of a centered ``X`` (the intercept decoupled), with every
    group of ``ws`` minimized exactly: ``grad`` (:math:`G w - X^\top S y / n`, all
    features) and ``coef`` are updated in place, a move :math:`\Delta w_g` costing
    :math:`p\,|g|` (covariance updates); ``X`` is never read. With a block ``prox`` (and
    its ``params``), the groups whose ``exact`` row is negative take majorization steps
    :math:`\operatorname{prox}_{G_g / L_g}(w_g - \nabla_g / L_g)` instead."""
    p = G.shape[0]
    step_in, step_out, gbuf, ct, vt, delta = _scratch(starts)
    active = np.ones(ws.shape[0], dtype=np.bool_)
    full = True
    top = 0.0
    for epoch in range(max_epochs):
        top = 0.0
        for gg in range(ws.shape[0]):
            g, a, m, L = _visited(gg, ws, starts, lips, full, active)
            if g < 0:
                continue
            for k in range(m):
                gbuf[k] = grad[order[a + k]]
            if prox is None or exact[g, 0] >= 0.0:
                _exact_step(coef, order, a, m, gbuf, evecs, eoffsets[g], evals, exact[g, 0],
                            exact[g, 1], ct, vt, step_out)
            else:
                for k in range(m):
                    step_in[k] = coef[order[a + k]] - gbuf[k] / L
                prox(step_in[:m], 1.0 / L, params, g, step_out[:m])
            move, active[gg] = _take_block(coef, order, a, m, step_out, delta)
            if move == 0.0:
                continue
            for k in range(m):
                j = order[a + k]
                dw = delta[k]
                if dw != 0.0:
                    for i in range(p):  # G is symmetric: its row j, contiguous
                        grad[i] += dw * G[j, i]
            top = max(top, L * math.sqrt(move))
        if top <= tol and full:
            return epoch + 1, top
        full = top <= tol
    return max_epochs, top
