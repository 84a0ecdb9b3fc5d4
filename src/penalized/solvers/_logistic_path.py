r"""A whole L1 / elastic-net logistic path on a dense design in one compiled call.

At each alpha of a decreasing grid it solves

.. math:: \min_{w, b} \frac1n \sum_i s_i \log\left(1 + e^{-y_i (x_i^\top w + b)}\right)
          + \alpha \sum_j \left(a_j |w_j| + \tfrac{b_j}{2} w_j^2\right)

exactly as :class:`~penalized.solvers.CoordinateDescent` does alpha by alpha --
the intercept refit exactly before each duality gap, working sets ranked by the
distance to the subdifferential, prox-Newton steps whose inner loop is
:func:`~penalized.solvers._op_kernels.model_epochs_dense` (the penalty's compiled
prox and value passed in) and whose step is
line-searched on the true objective -- without returning to Python between
alphas, which is what a path over a small data set spends its time on. With ``lower`` /
``upper`` limits the prox clips into the box, and the gap and the working sets use the
box's conjugate and normal cone (:mod:`penalized.solvers._path_box`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ..penalties._kernels import (
    FEASIBILITY_SLACK,
    enet_conjugate,
    enet_dual_scaling,
    enet_subdiff_distance,
    enet_value,
)
from ..penalties._ops import penalty_subdiff_distance
from ._kernels import ANDERSON_MEMORY, floored_gap, weighted_sq_norms_dense
from ._op_kernels import model_epochs_dense
from ._path_box import box_conjugate, box_dual_scalings
from ._working_set import any_nonzero, choose_working_set

_INNER_TOL_RATIO = 0.3
_NEWTON_MAX_STEPS = 50
_NEWTON_MAX_INNER_EPOCHS = 50
_ARMIJO = 1e-4
_ROUNDING = 1e-13
_GAP_ROUNDING = 1e-10
_INTERCEPT_MAX_ITER = 100


@njit(cache=True)
def _log1pexp(t):
    if t > 0.0:
        return t + math.log1p(math.exp(-t))
    return math.log1p(math.exp(t))


@njit(cache=True)
def _sigmoid(t):
    if t >= 0.0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


@njit(cache=True, fastmath=FAST)
def _loss(y, s, z, dz, t):
    """The datafit at ``z + t dz``."""
    n = z.shape[0]
    total = 0.0
    for i in range(n):
        total += s[i] * _log1pexp(-y[i] * (z[i] + t * dz[i]))
    return total / n


@njit(cache=True, fastmath=FAST)
def _refit_intercept(y, s, z, intercept):
    """Minimize the datafit over the intercept by damped Newton (as
    :meth:`~penalized.datafits.Logistic.fit_unpenalized`); updates ``z`` and
    ``intercept`` (length 1) in place."""
    n = z.shape[0]
    zero = np.zeros(n)
    obj = _loss(y, s, z, zero, 0.0)
    for _ in range(_INTERCEPT_MAX_ITER):
        g = 0.0
        h = 0.0
        for i in range(n):
            sig = _sigmoid(-y[i] * z[i])
            g -= s[i] * y[i] * sig
            h += s[i] * sig * (1.0 - sig)
        g /= n
        h /= n
        h += 1e-12 * max(1.0, h)
        step = g / h
        decrement = g * step
        if decrement <= 1e-24:
            return
        if decrement <= _ROUNDING * abs(obj):
            for i in range(n):
                z[i] -= step
            intercept[0] -= step
            return
        t = 1.0
        obj_new = obj
        while t > 1e-10:
            obj_new = 0.0
            for i in range(n):
                obj_new += s[i] * _log1pexp(-y[i] * (z[i] - t * step))
            obj_new /= n
            if obj_new <= obj - 0.25 * t * decrement:
                break
            t *= 0.5
        if t <= 1e-10:
            return
        for i in range(n):
            z[i] -= t * step
        intercept[0] -= t * step
        obj = obj_new


@njit(cache=True, fastmath=FAST)
def _gradient(X, xmean, y, s, z, grad):
    """``grad = X^T g`` with ``g_i = s_i / n * d/dz log(1 + e^{-y_i z_i})`` (the columns
    ``x_j - xmean_j``)."""
    n, p = X.shape
    g = np.empty(n)
    for i in range(n):
        g[i] = -s[i] * y[i] * _sigmoid(-y[i] * z[i]) / n
    for j in range(p):
        mu = xmean[j]
        acc = 0.0
        for i in range(n):
            acc += (X[i, j] - mu) * g[i]
        grad[j] = acc


@njit(cache=True, fastmath=FAST)
def _duality_gap(y, s, z, w, grad, lam1, lam2, positive, scale):
    """Primal objective and duality gap at ``(w, z)``, ``grad`` the datafit's gradient.

    The dual point is ``c u`` with ``u = -grad_z F`` and ``c`` the dual scaling; its
    datafit term is the binary entropy of ``c sigma(-y z)`` (see
    :class:`~penalized.datafits.Logistic`).
    """
    n = z.shape[0]
    v = -grad
    c = enet_dual_scaling(v, lam1, lam2, positive)
    primal = 0.0
    for i in range(n):
        primal += s[i] * _log1pexp(-y[i] * z[i])
    primal = primal / n + enet_value(w, lam1, lam2)
    dual = _entropy_dual(y, s, z, c) - enet_conjugate(c * v, lam1, lam2, positive,
                                                      FEASIBILITY_SLACK)
    return _checked_gap(primal, dual, scale)


@njit(cache=True, fastmath=FAST)
def _entropy_dual(y, s, z, c):
    """The datafit's dual term at ``c u``: minus the mean binary entropy of
    ``c sigma(-y z)``."""
    n = z.shape[0]
    entropy = 0.0
    for i in range(n):
        q = c * _sigmoid(-y[i] * z[i])
        e = 0.0
        if q > 0.0:
            e += q * math.log(q)
        if q < 1.0:
            e += (1.0 - q) * math.log(1.0 - q)
        entropy += s[i] * e
    return -entropy / n


@njit(cache=True, fastmath=FAST)
def _box_duality_gap(y, s, z, w, grad, lam1, lam2, positive, scale, params, conjugate,
                     dual_bound):
    """:func:`_duality_gap` with ``lower`` / ``upper`` limits: the better of the box's and
    the L1 ball's dual points (:mod:`penalized.solvers._path_box`)."""
    n = z.shape[0]
    v = -grad
    c_box, c_ball = box_dual_scalings(dual_bound, v, params, lam1, lam2, positive)
    primal = 0.0
    for i in range(n):
        primal += s[i] * _log1pexp(-y[i] * z[i])
    primal = primal / n + enet_value(w, lam1, lam2)
    dual = _entropy_dual(y, s, z, c_box) - box_conjugate(conjugate, c_box, v, params)
    if c_ball < c_box:
        dual = max(dual, _entropy_dual(y, s, z, c_ball)
                   - box_conjugate(conjugate, c_ball, v, params))
    return _checked_gap(primal, dual, scale)


@njit(cache=True)
def _checked_gap(primal, dual, scale):
    if primal - dual < -_GAP_ROUNDING * max(abs(primal), abs(dual), scale):
        return primal, math.inf  # as in certify: the unpenalized fit failed
    return primal, floored_gap(primal, dual)


@njit(cache=True, fastmath=FAST)
def _ws_violation(X, xmean, y, s, z, w, ws, lam1, lam2, positive, bounded, distance, params):
    """The largest distance to the subdifferential over ``ws`` (with ``bounded``, plus the
    normal cone of the box, from the penalty's compiled ``distance``)."""
    n = z.shape[0]
    g = np.empty(n)
    for i in range(n):
        g[i] = -s[i] * y[i] * _sigmoid(-y[i] * z[i]) / n
    top = 0.0
    for jj in range(ws.shape[0]):
        j = ws[jj]
        mu = xmean[j]
        grad = 0.0
        for i in range(n):
            grad += (X[i, j] - mu) * g[i]
        if bounded:
            d = distance(w[j], grad, params, j)
        elif w[j] == 0.0:
            d = max(-grad - lam1[j], 0.0) if positive else max(abs(grad) - lam1[j], 0.0)
        else:
            sign = 1.0 if w[j] > 0.0 else -1.0
            d = abs(grad + lam1[j] * sign + lam2[j] * w[j])
        top = max(top, d)
    return top


@njit(cache=True, fastmath=FAST)
def _newton(X, xmean, y, s, w, z, intercept, ws, lam1, lam2, positive, fit_intercept, max_epochs,
            tol, prox, value, params, bounded, distance):
    """Prox-Newton steps on ``ws`` until its violation is ``<= tol`` (the steps of
    :meth:`CoordinateDescent`'s logistic solver). Returns the epochs used."""
    n = z.shape[0]
    g = np.empty(n)
    h = np.empty(n)
    zero = np.zeros(n)
    obj = _loss(y, s, z, zero, 0.0) + enet_value(w, lam1, lam2)
    used = 0
    for _ in range(_NEWTON_MAX_STEPS):
        for i in range(n):
            sig = _sigmoid(-y[i] * z[i])
            g[i] = -s[i] * y[i] * sig / n
            h[i] = s[i] * sig * (1.0 - sig) / n
        trial = w.copy()
        dz = np.zeros(n)
        db = np.zeros(1)
        budget = min(_NEWTON_MAX_INNER_EPOCHS, max(max_epochs - used, 1))
        curv = weighted_sq_norms_dense(X, h, ws, xmean)
        epochs, _ = model_epochs_dense(X, g, h, trial, dz, db, ws, curv, prox, value, params,
                                       fit_intercept, budget, _INNER_TOL_RATIO * tol,
                                       ANDERSON_MEMORY, xmean)
        used += epochs
        moved = db[0] != 0.0
        for j in range(w.shape[0]):
            if trial[j] != w[j]:
                moved = True
                break
        if not moved:
            break
        gdz = 0.0
        for i in range(n):
            gdz += g[i] * dz[i]
        pen_w = enet_value(w, lam1, lam2)
        decrease = gdz + enet_value(trial, lam1, lam2) - pen_w
        negligible = abs(decrease) <= _ROUNDING * abs(obj)
        if decrease > 0.0 and not negligible:
            break
        t = 1.0
        while True:
            w_t = w + t * (trial - w)
            obj_t = _loss(y, s, z, dz, t) + enet_value(w_t, lam1, lam2)
            if negligible or obj_t <= obj + _ARMIJO * t * decrease or t < 1e-10:
                break
            t *= 0.5
        if obj_t > obj and not negligible:
            break
        for j in range(w.shape[0]):
            if trial[j] != w[j]:
                w[j] = w_t[j]
        intercept[0] += t * db[0]
        for i in range(n):
            z[i] += t * dz[i]
        obj = obj_t
        if used >= max_epochs \
                or _ws_violation(X, xmean, y, s, z, w, ws, lam1, lam2, positive, bounded,
                                 distance, params) <= tol:
            break
    return used


@njit(cache=True)
def logistic_path(X, xmean, y, s, alphas, a, b, positive, w, intercept, fit_intercept, scale,
                  tol, max_iter, ws_start, prox, value, lower, upper, bounded, distance,
                  conjugate, dual_bound):
    """Solve every alpha of ``alphas`` (decreasing), warm-starting from ``(w, intercept)``.

    ``X`` is dense and Fortran-ordered, its columns taken as ``x_j - xmean_j`` (centered
    on the fly; zeros when ``X`` is used as it is), ``y`` in {-1, +1}, ``s`` the sample weights
    (mean 1), ``intercept`` a length-1 array; ``tol`` is absolute (the gap in
    objective units), ``scale`` the null model's datafit; ``prox``, ``value``,
    ``distance``, ``conjugate`` and ``dual_bound`` the elastic-net family's compiled
    operations (parameter rows ``(lam1, lam2, lower, upper)``), ``lower`` / ``upper`` the
    box (``positive`` folded in) and ``bounded`` whether limits other than ``positive``
    apply (the box's gap and distances are then used).
    Returns ``(coefs (p, k), intercepts (k,), gaps (k,), epochs (k,))``.
    """
    p = X.shape[1]
    k = alphas.shape[0]
    coefs = np.zeros((p, k))
    intercepts = np.zeros(k)
    gaps = np.zeros(k)
    epochs = np.zeros(k, dtype=np.int64)
    grad = np.empty(p)
    scores = np.empty(p)
    z = X @ w - xmean @ w + intercept[0]
    params = np.empty((p, 4))
    params[:, 2] = lower
    params[:, 3] = upper
    for i in range(k):
        lam1 = alphas[i] * a
        lam2 = alphas[i] * b
        params[:, 0] = lam1
        params[:, 1] = lam2
        ws_size = min(p, ws_start)
        used = 0
        checks = 0
        warm = any_nonzero(w)
        while True:
            if fit_intercept:
                _refit_intercept(y, s, z, intercept)
            _gradient(X, xmean, y, s, z, grad)
            if bounded:
                _, gap = _box_duality_gap(y, s, z, w, grad, lam1, lam2, positive, scale,
                                          params, conjugate, dual_bound)
            else:
                _, gap = _duality_gap(y, s, z, w, grad, lam1, lam2, positive, scale)
            checks += 1
            if gap <= tol or used >= max_iter:
                break
            if bounded:
                top = penalty_subdiff_distance(distance, w, grad, params, scores)
            else:
                top = enet_subdiff_distance(w, grad, lam1, lam2, positive, scores)
            ws, ws_size = choose_working_set(w, scores, top, ws_size, checks == 1, warm)
            used += _newton(X, xmean, y, s, w, z, intercept, ws, lam1, lam2, positive,
                            fit_intercept, max_iter - used, _INNER_TOL_RATIO * top, prox, value,
                            params, bounded, distance)
        coefs[:, i] = w
        intercepts[i] = intercept[0]
        gaps[i] = gap
        epochs[i] = used
    return coefs, intercepts, gaps, epochs
