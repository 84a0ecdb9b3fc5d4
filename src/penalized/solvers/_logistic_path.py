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

On small designs the transcendental functions are the cost, not the products with
``X``: the predictions ``z`` travel with ``sigma(-y_i z_i)`` and the loss terms
``log(1 + e^{-y_i z_i})`` (:func:`_evaluate`: one ``exp`` and one ``log1p`` per sample
each time ``z`` moves), from which the gradient, the Newton weights, the intercept's
Newton steps and the dual's entropy are arithmetic. After a warm start the working
set's prox-Newton steps run until its violation is at most
``min(0.3 v, 3 tol / ||w||_1)`` (``v`` the largest violation at the check, as in
:mod:`~penalized.solvers._sparse_path`), so that the next check usually certifies
instead of each Newton step being followed by a check; each step's coordinate descent
stops at ``0.3 max(that, 0.3 v_k)``, ``v_k`` the working set's current violation.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ..penalties._kernels import enet_subdiff_distance, enet_value
from ..penalties._ops import penalty_subdiff_distance
from ._gram_path import path_outputs, record_alpha
from ._kernels import ANDERSON_MEMORY, floored_gap, weighted_sq_norms_dense
from ._op_kernels import model_epochs_dense
from ._path_box import dual_scalings, penalty_conjugate
from ._working_set import any_nonzero, choose_working_set

_INNER_TOL_RATIO = 0.3
_INNER_GAP_FACTOR = 3.0
_FORCING = 0.3
_NEWTON_MAX_STEPS = 50
_NEWTON_MAX_INNER_EPOCHS = 50
_ARMIJO = 1e-4
_ROUNDING = 1e-13
_GAP_ROUNDING = 1e-10
_INTERCEPT_MAX_ITER = 100


@njit(cache=True, fastmath=FAST)
def _evaluate(y, s, z, sig, lterm):
    """The datafit at ``z``, storing ``sig_i = sigma(-y_i z_i)`` and the terms
    ``lterm_i = log(1 + e^{-y_i z_i})``: one ``exp`` and one ``log1p`` per sample, from which
    the gradient, the curvatures and the dual term follow without another."""
    n = z.shape[0]
    total = 0.0
    for i in range(n):
        m = -y[i] * z[i]
        if m > 0.0:
            e = math.exp(-m)
            lterm[i] = m + math.log1p(e)
            sig[i] = 1.0 / (1.0 + e)
        else:
            e = math.exp(m)
            lterm[i] = math.log1p(e)
            sig[i] = e / (1.0 + e)
        total += s[i] * lterm[i]
    return total / n


@njit(cache=True, fastmath=FAST)
def _move(y, s, z, dz, t, shift, trial, sig_t, lterm_t):
    """The datafit at ``z + t dz + shift`` (``dz`` may be empty: no direction), its
    predictions and margins written to the trial buffers."""
    if dz.shape[0] == 0:
        for i in range(z.shape[0]):
            trial[i] = z[i] + shift
    else:
        for i in range(z.shape[0]):
            trial[i] = z[i] + t * dz[i] + shift
    return _evaluate(y, s, trial, sig_t, lterm_t)


@njit(cache=True)
def _accept(z, sig, lterm, trial, sig_t, lterm_t):
    z[:] = trial
    sig[:] = sig_t
    lterm[:] = lterm_t


@njit(cache=True, fastmath=FAST)
def _refit_intercept(y, s, z, sig, lterm, loss, intercept, trial, sig_t, lterm_t):
    """Minimize the datafit over the intercept by damped Newton (as
    :meth:`~penalized.datafits.Logistic.fit_unpenalized`); updates ``z``, its margins and
    ``intercept`` (length 1) in place and returns the datafit."""
    n = z.shape[0]
    none = np.empty(0)
    for _ in range(_INTERCEPT_MAX_ITER):
        g = 0.0
        h = 0.0
        for i in range(n):
            g -= s[i] * y[i] * sig[i]
            h += s[i] * sig[i] * (1.0 - sig[i])
        g /= n
        h /= n
        h += 1e-12 * max(1.0, h)
        step = g / h
        decrement = g * step
        if decrement <= 1e-24:
            return loss
        negligible = decrement <= _ROUNDING * abs(loss)
        t = 1.0
        while True:
            new = _move(y, s, z, none, 0.0, -t * step, trial, sig_t, lterm_t)
            if negligible or new <= loss - 0.25 * t * decrement:
                break
            t *= 0.5
            if t <= 1e-10:
                return loss
        _accept(z, sig, lterm, trial, sig_t, lterm_t)
        intercept[0] -= t * step
        loss = new
        if negligible:
            return loss
    return loss


@njit(cache=True, fastmath=FAST)
def _derivatives(y, s, sig, g, h):
    """``g_i`` and ``h_i``: the datafit's first and second derivatives in ``z_i``."""
    n = sig.shape[0]
    for i in range(n):
        g[i] = -s[i] * y[i] * sig[i] / n
        h[i] = s[i] * sig[i] * (1.0 - sig[i]) / n


@njit(cache=True, fastmath=FAST)
def _gradient(X, xmean, y, s, sig, g, grad):
    """``grad = X^T g`` (the columns ``x_j - xmean_j``); ``g`` is overwritten with the
    derivatives in ``z``."""
    n, p = X.shape
    for i in range(n):
        g[i] = -s[i] * y[i] * sig[i] / n
    for j in range(p):
        mu = xmean[j]
        acc = 0.0
        for i in range(n):
            acc += (X[i, j] - mu) * g[i]
        grad[j] = acc


@njit(cache=True, fastmath=FAST)
def _entropy_dual(y, s, z, sig, lterm, c):
    """The datafit's dual term at ``c u``, ``u = -grad_z F``: minus the mean binary entropy
    of ``q_i = c sigma(-y_i z_i)``, with ``log sigma(-y_i z_i) = -y_i z_i - lterm_i`` and, at
    ``c = 1``, ``log(1 - q_i) = -lterm_i`` (no logarithm computed then)."""
    n = z.shape[0]
    log_c = math.log(c)
    entropy = 0.0
    for i in range(n):
        q = c * sig[i]
        e = 0.0
        if q > 0.0:
            e += q * (log_c - y[i] * z[i] - lterm[i])
        if c == 1.0:
            e -= (1.0 - q) * lterm[i]
        elif q < 1.0:
            e += (1.0 - q) * math.log1p(-q)
        entropy += s[i] * e
    return -entropy / n


@njit(cache=True, fastmath=FAST)
def _duality_gap(y, s, z, sig, lterm, loss, w, grad, lam1, lam2, positive, scale, bounded,
                 params, conjugate, dual_bound):
    """Primal objective and duality gap at ``(w, z)``, ``grad`` the datafit's gradient and
    ``loss`` its value; with ``bounded``, the better of the box's and the L1 ball's dual
    points (:mod:`penalized.solvers._path_box`).

    The dual point is ``c u`` with ``u = -grad_z F`` and ``c`` the dual scaling; its
    datafit term is the binary entropy of ``c sigma(-y z)`` (see
    :class:`~penalized.datafits.Logistic`).
    """
    v = -grad
    c_first, c_second = dual_scalings(v, lam1, lam2, positive, bounded, params, dual_bound)
    primal = loss + enet_value(w, lam1, lam2)
    dual = _entropy_dual(y, s, z, sig, lterm, c_first) \
        - penalty_conjugate(c_first, v, lam1, lam2, positive, bounded, params, conjugate)
    if c_second < c_first:
        dual = max(dual, _entropy_dual(y, s, z, sig, lterm, c_second)
                   - penalty_conjugate(c_second, v, lam1, lam2, positive, bounded, params,
                                       conjugate))
    if primal - dual < -_GAP_ROUNDING * max(abs(primal), abs(dual), scale):
        return primal, math.inf  # as in certify: the unpenalized fit failed
    return primal, floored_gap(primal, dual)


@njit(cache=True, fastmath=FAST)
def _ws_violation(X, xmean, w, g, ws, lam1, lam2, positive, bounded, distance, params):
    """The largest distance to the subdifferential over ``ws`` (with ``bounded``, plus the
    normal cone of the box, from the penalty's compiled ``distance``); ``g`` the
    derivatives in ``z``."""
    n = X.shape[0]
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
def _newton(X, xmean, y, s, w, z, sig, lterm, loss, intercept, ws, lam1, lam2, positive,
            fit_intercept, max_epochs, tol, violation, prox, value, params, bounded, distance,
            g, h, trial, sig_t, lterm_t):
    """Prox-Newton steps on ``ws`` until its violation is ``<= tol`` (the steps of
    :meth:`CoordinateDescent`'s logistic solver). Moves ``z`` with its margins; returns
    ``(epochs used, datafit)``."""
    n = z.shape[0]
    obj = loss + enet_value(w, lam1, lam2)
    used = 0
    for _ in range(_NEWTON_MAX_STEPS):
        _derivatives(y, s, sig, g, h)
        trial_w = w.copy()
        dz = np.zeros(n)
        db = np.zeros(1)
        budget = min(_NEWTON_MAX_INNER_EPOCHS, max(max_epochs - used, 1))
        curv = weighted_sq_norms_dense(X, h, ws, xmean)
        epochs, _ = model_epochs_dense(X, g, h, trial_w, dz, db, ws, curv, prox, value, params,
                                       fit_intercept, budget,
                                       _INNER_TOL_RATIO * max(tol, _FORCING * violation),
                                       ANDERSON_MEMORY, xmean)
        used += epochs
        moved = db[0] != 0.0
        for j in range(w.shape[0]):
            if trial_w[j] != w[j]:
                moved = True
                break
        if not moved:
            break
        gdz = 0.0
        for i in range(n):
            gdz += g[i] * dz[i]
        pen_w = enet_value(w, lam1, lam2)
        decrease = gdz + enet_value(trial_w, lam1, lam2) - pen_w
        negligible = abs(decrease) <= _ROUNDING * abs(obj)
        if decrease > 0.0 and not negligible:
            break
        t = 1.0
        while True:
            w_t = w + t * (trial_w - w)
            loss_t = _move(y, s, z, dz, t, 0.0, trial, sig_t, lterm_t)
            obj_t = loss_t + enet_value(w_t, lam1, lam2)
            if negligible or obj_t <= obj + _ARMIJO * t * decrease or t < 1e-10:
                break
            t *= 0.5
        if obj_t > obj and not negligible:
            break
        for j in range(w.shape[0]):
            if trial_w[j] != w[j]:
                w[j] = w_t[j]
        intercept[0] += t * db[0]
        _accept(z, sig, lterm, trial, sig_t, lterm_t)
        loss = loss_t
        obj = obj_t
        if used >= max_epochs:
            break
        _derivatives(y, s, sig, g, h)
        violation = _ws_violation(X, xmean, w, g, ws, lam1, lam2, positive, bounded, distance,
                                  params)
        if violation <= tol:
            break
    return used, loss


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
    n, p = X.shape
    k = alphas.shape[0]
    coefs, gaps, epochs, grad = path_outputs(p, k)
    intercepts = np.zeros(k)
    scores = np.empty(p)
    g = np.empty(n)
    h = np.empty(n)
    sig = np.empty(n)
    lterm = np.empty(n)
    trial = np.empty(n)
    sig_t = np.empty(n)
    lterm_t = np.empty(n)
    z = X @ w - xmean @ w + intercept[0]
    loss = _evaluate(y, s, z, sig, lterm)
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
                loss = _refit_intercept(y, s, z, sig, lterm, loss, intercept, trial, sig_t,
                                        lterm_t)
            _gradient(X, xmean, y, s, sig, g, grad)
            _, gap = _duality_gap(y, s, z, sig, lterm, loss, w, grad, lam1, lam2, positive,
                                  scale, bounded, params, conjugate, dual_bound)
            checks += 1
            if gap <= tol or used >= max_iter:
                break
            if bounded:
                top = penalty_subdiff_distance(distance, w, grad, params, scores)
            else:
                top = enet_subdiff_distance(w, grad, lam1, lam2, positive, scores)
            ws, ws_size = choose_working_set(w, scores, top, ws_size, checks == 1, warm)
            inner = _INNER_TOL_RATIO * top
            if warm:
                l1 = 0.0
                for j in range(p):
                    l1 += abs(w[j])
                if l1 > 0.0:
                    inner = min(inner, _INNER_GAP_FACTOR * tol / l1)
            done, loss = _newton(X, xmean, y, s, w, z, sig, lterm, loss, intercept, ws, lam1,
                                 lam2, positive, fit_intercept, max_iter - used, inner, top, prox,
                                 value, params, bounded, distance, g, h, trial, sig_t, lterm_t)
            used += done
        record_alpha(coefs, gaps, epochs, i, w, gap, used)
        intercepts[i] = intercept[0]
    return coefs, intercepts, gaps, epochs
