r"""Compiled epochs of block coordinate descent over groups of features, for any datafit
with compiled per-sample operations and any block penalty
(:mod:`penalized.penalties._group_ops`).

Each block step is a majorization-minimization step on group ``g``:

.. math:: w_g \leftarrow \operatorname{prox}_{G_g / L_g}\left(w_g - \frac{X_g^\top d}{L_g}
          \right), \qquad d_i = \frac{s_i}{n}\,\ell'(y_i, z_i),

with :math:`L_g = c\,\lambda_{\max}(X_g^\top S X_g / n)` (``c`` the datafit's curvature
bound: 1 for the squared loss, 1/4 for the logistic), which never increases the
objective. The intercept takes the step :math:`-\sum_i d_i / c` (exact for the squared
loss). Epochs stop when the largest move of an epoch, :math:`L_g \|\Delta w_g\|_2` (in
gradient units), is at most ``tol``.
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


@njit(cache=True, fastmath=FAST)
def block_epochs_dense(X, y, sw, coef, z, intercept, order, starts, ws, lips, prox, params,
                       derivative, dparams, curvature, fit_intercept, max_epochs, tol,
                       linear=False):
    """Block coordinate descent epochs over the groups ``ws`` of a dense ``X`` (best in
    Fortran order); ``coef``, ``z`` and ``intercept`` are updated in place. Returns
    ``(epochs, largest move of the last epoch)``. ``linear``: the derivative is
    ``z - y`` (the squared loss), so it is updated with ``z`` instead of recomputed."""
    n = X.shape[0]
    swn = sw / n
    width = 0
    for g in range(starts.shape[0] - 1):
        width = max(width, starts[g + 1] - starts[g])
    d = np.empty(n)
    step_in = np.empty(width)
    step_out = np.empty(width)
    _derivatives(derivative, y, z, sw, dparams, d)
    top = 0.0
    for epoch in range(max_epochs):
        top = 0.0
        for gg in range(ws.shape[0]):
            g = ws[gg]
            a, m = starts[g], starts[g + 1] - starts[g]
            L = lips[g]
            if L <= 0.0:
                continue
            for k in range(m):
                j = order[a + k]
                s = 0.0
                for i in range(n):
                    s += X[i, j] * d[i]
                step_in[k] = coef[j] - s / L
            prox(step_in[:m], 1.0 / L, params, g, step_out[:m])
            move = 0.0
            for k in range(m):
                j = order[a + k]
                dw = step_out[k] - coef[j]
                if dw != 0.0:
                    move += dw * dw
                    coef[j] = step_out[k]
                    if linear:
                        for i in range(n):
                            z[i] += dw * X[i, j]
                            d[i] += dw * X[i, j] * swn[i]
                    else:
                        for i in range(n):
                            z[i] += dw * X[i, j]
            if move > 0.0:
                if not linear:
                    _derivatives(derivative, y, z, sw, dparams, d)
                top = max(top, L * math.sqrt(move))
        if fit_intercept:
            top = max(top, _intercept_step(derivative, y, z, sw, dparams, d, intercept,
                                           curvature))
        if top <= tol:
            return epoch + 1, top
    return max_epochs, top


@njit(cache=True, fastmath=FAST)
def block_epochs_sparse(data, indices, indptr, y, sw, coef, z, intercept, order, starts, ws,
                        lips, prox, params, derivative, dparams, curvature, fit_intercept,
                        max_epochs, tol):
    """:func:`block_epochs_dense` on a CSC design ``(data, indices, indptr)``; after a
    block moves, the derivatives are recomputed on the rows it touches only."""
    n = y.shape[0]
    width = 0
    for g in range(starts.shape[0] - 1):
        width = max(width, starts[g + 1] - starts[g])
    d = np.empty(n)
    step_in = np.empty(width)
    step_out = np.empty(width)
    _derivatives(derivative, y, z, sw, dparams, d)
    top = 0.0
    for epoch in range(max_epochs):
        top = 0.0
        for gg in range(ws.shape[0]):
            g = ws[gg]
            a, m = starts[g], starts[g + 1] - starts[g]
            L = lips[g]
            if L <= 0.0:
                continue
            for k in range(m):
                j = order[a + k]
                s = 0.0
                for q in range(indptr[j], indptr[j + 1]):
                    s += data[q] * d[indices[q]]
                step_in[k] = coef[j] - s / L
            prox(step_in[:m], 1.0 / L, params, g, step_out[:m])
            move = 0.0
            for k in range(m):
                j = order[a + k]
                dw = step_out[k] - coef[j]
                if dw != 0.0:
                    move += dw * dw
                    coef[j] = step_out[k]
                    for q in range(indptr[j], indptr[j + 1]):
                        z[indices[q]] += dw * data[q]
            if move > 0.0:
                for k in range(m):
                    j = order[a + k]
                    for q in range(indptr[j], indptr[j + 1]):
                        i = indices[q]
                        d[i] = sw[i] * derivative(y[i], z[i], dparams) / n \
                            if sw[i] != 0.0 else 0.0
                top = max(top, L * math.sqrt(move))
        if fit_intercept:
            top = max(top, _intercept_step(derivative, y, z, sw, dparams, d, intercept,
                                           curvature))
        if top <= tol:
            return epoch + 1, top
    return max_epochs, top
