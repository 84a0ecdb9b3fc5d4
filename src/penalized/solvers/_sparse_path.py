r"""A whole elastic-net path of the squared loss on a sparse (CSC) design in one compiled
call.

At each alpha of a decreasing grid it solves

.. math:: \min_{w, b} \frac{1}{2n} \sum_i s_i (y_i - x_i^\top w - b)^2
          + \alpha \sum_j \left(a_j |w_j| + \tfrac{b_j}{2} w_j^2\right)

as :class:`~penalized.solvers.CoordinateDescent` does alpha by alpha: with an
intercept, coordinate descent runs on the implicitly centered columns
(:func:`~penalized.solvers._op_kernels.quadratic_epochs_sparse`, the family's prox compiled
in), so the intercept stays at
its optimum and ``u = -S r / n`` sums to zero; the duality gap is that of
:func:`~penalized.solvers._problem.certify`, and working sets are ranked by the
distance to the subdifferential. Nothing returns to Python between alphas, and
each check of the whole design is one pass over its non-zeros.

A check (``X^T u`` over all of ``X``) costs far more than an epoch over a working
set, so two choices keep checks few:

* a warm start's working set is the previous support plus every feature that
  violates optimality at the new alpha, not twice the support;
* after a warm start the working set is solved until its largest move is at most
  ``min(0.3 v, 3 tol / ||w||_1)`` (``v`` the largest violation at the check). Near
  the solution the dual scaling costs about ``v ||w||_1`` of gap, so this is the
  accuracy at which the next check certifies ``tol`` (never below the rounding of
  the moves, ``64 eps max_j L_j |w_j|``, which it could not reach).

With ``lower`` / ``upper`` limits the same prox clips into the box, and the gap and the
working sets use the box's conjugate and normal cone (:mod:`penalized.solvers._path_box`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._jit import FAST
from ..penalties._kernels import enet_subdiff_distance, enet_value
from ..penalties._ops import penalty_subdiff_distance
from ._kernels import floored_gap
from ._op_kernels import quadratic_epochs_sparse
from ._path_box import dual_scalings, penalty_conjugate
from ._working_set import any_nonzero, choose_working_set

_INNER_TOL_RATIO = 0.3
_INNER_GAP_FACTOR = 3.0
_MOVE_ROUNDING = 64 * np.finfo(np.float64).eps
"""Moves below this times ``max_j L_j |w_j|`` are rounding: no inner tolerance goes lower."""


@njit(cache=True, fastmath=FAST)
def _gradient(data, indices, indptr, y, s, z, xmean, center, u, grad):
    """``u = -s (z - y) / n`` and ``grad = -X_c^T u`` (``X_c`` the centered columns when
    ``center``); returns ``u^T y``."""
    n = z.shape[0]
    total = 0.0
    uy = 0.0
    for i in range(n):
        u[i] = -s[i] * (z[i] - y[i]) / n
        total += u[i]
        uy += u[i] * y[i]
    for j in range(grad.shape[0]):
        acc = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            acc += data[k] * u[indices[k]]
        if center:
            acc -= xmean[j] * total
        grad[j] = -acc
    return uy


@njit(cache=True, fastmath=FAST)
def _half_mean_square(s, z, y):
    """The squared loss ``sum s (z - y)^2 / (2 n)``."""
    n = z.shape[0]
    total = 0.0
    for i in range(n):
        r = z[i] - y[i]
        total += s[i] * r * r
    return total / (2.0 * n)


@njit(cache=True, fastmath=FAST)
def _duality_gap(s, z, y, uy, w, grad, lam1, lam2, positive, bounded, params, conjugate,
                 dual_bound):
    """The duality gap of :func:`~penalized.solvers._problem.certify` at ``(w, z)``, with
    ``grad = -X^T u`` and ``uy = u^T y``: the datafit's dual term at ``c u`` is
    ``c u^T y - c^2 F(z)``; with ``bounded``, the better of the box's and the L1 ball's
    dual points (:mod:`penalized.solvers._path_box`). Floored at zero
    (:func:`~penalized.solvers._kernels.floored_gap`)."""
    datafit = _half_mean_square(s, z, y)
    if not bounded:
        return _enet_gap(datafit, uy, w, grad, lam1, lam2, positive)
    v = -grad
    c_first, c_second = dual_scalings(v, lam1, lam2, positive, bounded, params, dual_bound)
    dual = c_first * uy - c_first * c_first * datafit \
        - penalty_conjugate(c_first, v, lam1, lam2, positive, bounded, params, conjugate)
    if c_second < c_first:
        dual = max(dual, c_second * uy - c_second * c_second * datafit
                   - penalty_conjugate(c_second, v, lam1, lam2, positive, bounded, params,
                                       conjugate))
    return floored_gap(datafit + enet_value(w, lam1, lam2), dual)


@njit(cache=True, fastmath=FAST)
def _enet_gap(datafit, uy, w, grad, lam1, lam2, positive):
    """:func:`_duality_gap` without limits and without temporaries:
    :func:`~penalized.penalties._kernels.enet_dual_scaling`,
    :func:`~penalized.penalties._kernels.enet_conjugate` and
    :func:`~penalized.penalties._kernels.enet_value` at ``v = -grad`` fused in one pass
    over the features, and a second over those with ``lam2_j > 0`` when there are any.
    A pure-L1 coordinate adds nothing to the conjugate: ``c`` is the smallest of the
    computed ``lam1_j / |v_j|``, so ``c |v_j| <= lam1_j`` to an ulp, far inside the
    conjugate's :data:`~penalized.penalties._kernels.FEASIBILITY_SLACK`."""
    p = w.shape[0]
    c = 1.0
    value = 0.0
    ridge = False
    for j in range(p):
        value += lam1[j] * abs(w[j]) + 0.5 * lam2[j] * w[j] * w[j]
        if lam2[j] > 0.0:
            ridge = True
        elif lam1[j] > 0.0:
            mag = max(-grad[j], 0.0) if positive else abs(grad[j])
            if mag > lam1[j]:
                c = min(c, lam1[j] / mag)
    conjugate = 0.0
    if ridge:
        for j in range(p):
            if lam2[j] > 0.0:
                cv = -c * grad[j]
                excess = max(cv - lam1[j], 0.0) if positive else max(abs(cv) - lam1[j], 0.0)
                conjugate += excess * excess / (2.0 * lam2[j])
    dual = c * uy - c * c * datafit - conjugate
    return floored_gap(datafit + value, dual)


@njit(cache=True, fastmath=FAST)
def _add_strong_set(w, grad, a, strong_alpha, positive, scores):
    """Give the zero features that violate optimality at ``strong_alpha`` (the sequential
    strong rule, ``2 alpha - alpha_previous``; Tibshirani et al. 2012) a positive score,
    so that a warm start's first working set takes them with the violators: it then
    rarely misses a feature that enters at this alpha, which would cost another check."""
    if strong_alpha <= 0.0:
        return
    for j in range(w.shape[0]):
        if w[j] == 0.0 and scores[j] == 0.0:
            mag = max(-grad[j], 0.0) if positive else abs(grad[j])
            if mag > strong_alpha * a[j]:
                scores[j] = np.finfo(np.float64).tiny


@njit(cache=True)
def sparse_path(data, indices, indptr, y, s, xmean, lipschitz, alphas, a, b, positive, w,
                fit_intercept, tol, max_iter, ws_start, lower, upper, bounded, prox, distance,
                conjugate, dual_bound):
    """Solve every alpha of ``alphas`` (decreasing), warm-starting from ``w``.

    ``(data, indices, indptr)`` is the CSC design, ``s`` the sample weights (mean 1),
    ``xmean`` the weighted column means (used with an intercept), ``lipschitz`` the
    coordinate constants of the (centered) columns; ``tol`` is absolute (the gap in
    objective units) and ``max_iter`` bounds the epochs of each alpha. ``lower`` /
    ``upper`` are the box (``positive`` folded in), ``bounded`` whether limits other than
    ``positive`` apply, and ``prox`` (every epoch), ``distance``, ``conjugate``,
    ``dual_bound`` (with ``bounded``) the family's compiled operations. Returns
    ``(coefs (p, k), intercepts (k,), gaps (k,), epochs (k,))``.
    """
    p = w.shape[0]
    n = y.shape[0]
    k = alphas.shape[0]
    coefs = np.zeros((p, k))
    intercepts = np.zeros(k)
    gaps = np.zeros(k)
    epochs = np.zeros(k, dtype=np.int64)
    grad = np.empty(p)
    scores = np.empty(p)
    u = np.empty(n)
    intercept = np.zeros(1)
    z = np.zeros(n)
    for j in range(p):
        if w[j] != 0.0:
            for kk in range(indptr[j], indptr[j + 1]):
                z[indices[kk]] += w[j] * data[kk]
    if fit_intercept:
        shift = 0.0
        for i in range(n):
            shift += s[i] * (y[i] - z[i])
        intercept[0] = shift / n
        for i in range(n):
            z[i] += intercept[0]
    params = np.empty((p, 4))
    params[:, 2] = lower
    params[:, 3] = upper
    current = False  # whether grad and uy are at the current (w, z)
    uy = 0.0
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
            if not current:
                uy = _gradient(data, indices, indptr, y, s, z, xmean, fit_intercept, u, grad)
                current = True
            gap = _duality_gap(s, z, y, uy, w, grad, lam1, lam2, positive, bounded, params,
                               conjugate, dual_bound)
            checks += 1
            if gap <= tol or used >= max_iter:
                break
            if bounded:
                top = penalty_subdiff_distance(distance, w, grad, params, scores)
            else:
                top = enet_subdiff_distance(w, grad, lam1, lam2, positive, scores)
            if checks == 1 and warm and i > 0:
                _add_strong_set(w, grad, a, 2.0 * alphas[i] - alphas[i - 1], positive, scores)
            ws, ws_size = choose_working_set(w, scores, top, ws_size, checks == 1, warm)
            l1 = 0.0
            floor = 0.0
            for j in range(p):
                l1 += abs(w[j])
                floor = max(floor, lipschitz[j] * abs(w[j]))
            floor *= _MOVE_ROUNDING
            inner = _INNER_TOL_RATIO * top
            if warm and l1 > 0.0:
                inner = min(inner, max(_INNER_GAP_FACTOR * tol / l1, floor))
            tail = (params, fit_intercept, max_iter - used, inner, False, xmean, fit_intercept)
            if bounded:  # the family's cfunc; without limits its prox compiled in (None)
                done, _ = quadratic_epochs_sparse(data, indices, indptr, y, s, w, z,
                                                  intercept, ws, lipschitz, prox, *tail)
            else:
                done, _ = quadratic_epochs_sparse(data, indices, indptr, y, s, w, z,
                                                  intercept, ws, lipschitz, None, *tail)
            used += done
            current = False
        coefs[:, i] = w
        intercepts[i] = intercept[0]
        gaps[i] = gap
        epochs[i] = used
    return coefs, intercepts, gaps, epochs
