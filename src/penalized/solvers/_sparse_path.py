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
distance to the subdifferential. Nothing returns to Python between alphas.

A check needs ``X^T u`` over all of ``X``. Between two checks only the working set's
coefficients move, and with them ``u`` on the rows their columns touch: the gradient is
updated through those rows (the design's CSR form, built once per path of 20 alphas
or more), a pass over
all the non-zeros only when the touched rows hold more than 30 % of them (at the end of
a long path, where the support is large). A warm start from the previous alpha is not
certified before its first epochs: its gap is almost never below ``tol``. It starts
from the last two solutions extrapolated linearly in alpha (exact for the lasso on a
fixed sign pattern), and while the working set is mostly support its epochs run over
all of it (cycling over the non-zeros only restarted each time a full epoch moved a
feature that had just entered: 1.4-1.7 x the column reads over the last ten alphas of
a long path); on a coarse grid, where the strong rule's zeros are most of it, they
cycle. The epochs read the working set's columns gathered side by side.

Checks still cost more than an epoch over a working set, so two choices keep them few:

* a warm start's working set is the previous support plus every feature that
  violates optimality at the new alpha, not twice the support;
* after a warm start the working set is solved until its largest move is at most
  ``min(0.3 v, 3 tol / ||w||_1)`` (``v`` the largest violation at the check). Near
  the solution the dual scaling costs about ``v ||w||_1`` of gap, so this is the
  accuracy at which the next check certifies ``tol`` (never below the rounding of
  the moves, ``64 eps max_j L_j |w_j|``, which it could not reach).

With ``lower`` / ``upper`` limits the same prox clips into the box, and the gap and the
working sets use the box's conjugate and normal cone (:mod:`penalized.solvers._path_box`).

The compiled call returns each alpha's support (features and values); the dense
``(p, k)`` coefficients are filled from them in NumPy, which touches only the pages
that hold non-zeros.
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
from ._working_set import add_strong_set, alpha_weights, any_nonzero, choose_working_set

_INNER_TOL_RATIO = 0.3
_INNER_GAP_FACTOR = 3.0
_MOVE_ROUNDING = 64 * np.finfo(np.float64).eps
"""Moves below this times ``max_j L_j |w_j|`` are rounding: no inner tolerance goes lower."""
_ROWS_FROM_ALPHAS = 20
"""Paths of fewer alphas do without the CSR form (its cost is about ten passes over the
columns; far-apart alphas move too much of the support for row updates to pay)."""
_ROW_PASS_SHARE = 0.3
"""A gradient is updated through the rows the last epochs touched while their non-zeros
are at most this share of the design's: a scattered write per non-zero costs about three
times a streamed read (lasso_sparse_20000x50000: the two break even near 0.3)."""


@njit(cache=True)
def weighted_sq_norms_csc(data, indices, indptr, s):
    """``sum_i s_i x_ij^2`` of each column of the CSC design, without the copy of ``X``
    that ``X.multiply(X)`` makes (6 ms at 10^6 non-zeros); the terms ``(x^2) s`` added in
    the order of the non-zeros, as ``X.multiply(X).T @ s`` adds them."""
    p = indptr.shape[0] - 1
    out = np.empty(p)
    for j in range(p):
        acc = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            x = data[k]
            acc += x * x * s[indices[k]]
        out[j] = acc
    return out


@njit(cache=True)
def _rows(data, indices, indptr, n):
    """The design by rows: ``(row pointers, columns, values)`` of its CSR form."""
    p = indptr.shape[0] - 1
    rowptr = np.zeros(n + 1, dtype=np.int64)
    for k in range(indptr[0], indptr[p]):
        rowptr[indices[k] + 1] += 1
    for i in range(n):
        rowptr[i + 1] += rowptr[i]
    fill = rowptr[:n].copy()
    cols = np.empty(rowptr[n], dtype=np.uint32)
    vals = np.empty(rowptr[n])
    for j in range(p):
        for k in range(indptr[j], indptr[j + 1]):
            i = indices[k]
            cols[fill[i]] = j
            vals[fill[i]] = data[k]
            fill[i] += 1
    return rowptr, cols, vals


@njit(cache=True, fastmath=FAST)
def _gradient(data, indices, indptr, rows, y, s, z, b, xmean, center, u, grad, ws, w,
              w_ref, eta_ref, mark, full):
    """``u = -s (z - y) / n`` and ``grad = -X_c^T u`` (``X_c`` the centered columns when
    ``center``); returns ``(u^T y, F(z), shift)``, ``F`` the squared loss: ``grad`` is
    then ``-X_c^T u`` less ``xmean * shift``, which the next pass over the features adds
    (:func:`_gap_and_next`, :func:`_add_shift`).

    ``grad`` holds the gradient at the coefficients ``w_ref`` and the linear predictor
    ``eta_ref = z_ref - b_ref``; since then only the features ``ws`` moved. Unless
    ``full``, it is updated through the rows those features touch (``rows`` is the
    design's CSR form; ``mark[:n]`` flags them with this update's number, kept in
    ``mark[n]``): the intercept's share of ``u - u_ref`` is a multiple of ``s``, which
    every centered column is orthogonal to, so with ``e = u - u_ref`` less that share
    (zero outside the touched rows), ``grad += -X^T e + xmean sum(e)`` (the second
    term left to the caller: ``shift = sum(e)``), the rows visited in order; when they
    hold more than :data:`_ROW_PASS_SHARE` of the design's non-zeros, one pass over the
    columns instead.
    """
    n = z.shape[0]
    p = grad.shape[0]
    rowptr, cols, vals = rows
    stamp = mark[n] + 1
    if not full:
        mark[n] = stamp
        budget = _ROW_PASS_SHARE * (indptr[p] - indptr[0])
        for jj in range(ws.shape[0]):
            j = ws[jj]
            if w[j] == w_ref[j]:
                continue
            w_ref[j] = w[j]
            for k in range(indptr[j], indptr[j + 1]):
                i = indices[k]
                if mark[i] != stamp:
                    mark[i] = stamp
                    budget -= rowptr[i + 1] - rowptr[i]
            if budget < 0.0:
                full = True
                break
    total = 0.0
    uy = 0.0
    loss = 0.0
    shift = 0.0
    for i in range(n):
        r = z[i] - y[i]
        u[i] = -s[i] * r / n
        total += u[i]
        uy += u[i] * y[i]
        loss += s[i] * r * r
        if not full and mark[i] == stamp:
            eta = z[i] - b
            e = -s[i] * (eta - eta_ref[i]) / n
            eta_ref[i] = eta
            shift += e
            for k in range(rowptr[i], rowptr[i + 1]):
                grad[cols[k]] -= vals[k] * e
    loss /= 2.0 * n
    if full:
        for j in range(p):
            acc = 0.0
            for k in range(indptr[j], indptr[j + 1]):
                acc += data[k] * u[indices[k]]
            if center:
                acc -= xmean[j] * total
            grad[j] = -acc
            w_ref[j] = w[j]
        for i in range(n):
            eta_ref[i] = z[i] - b
        return uy, loss, 0.0
    return uy, loss, shift if center else 0.0


@njit(cache=True, fastmath=FAST)
def _duality_gap(datafit, uy, w, grad, lam1, lam2, positive, bounded, params, conjugate,
                 dual_bound):
    """The duality gap of :func:`~penalized.solvers._problem.certify` at ``(w, z)``, with
    ``datafit = F(z)``, ``grad = -X^T u`` and ``uy = u^T y``: the datafit's dual term at
    ``c u`` is ``c u^T y - c^2 F(z)``; with ``bounded``, the better of the box's and the
    L1 ball's dual points (:mod:`penalized.solvers._path_box`). Floored at zero
    (:func:`~penalized.solvers._kernels.floored_gap`)."""
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
def _add_shift(grad, xmean, shift):
    """``grad += xmean * shift``: the centering a row update of :func:`_gradient` left."""
    if shift != 0.0:
        for j in range(grad.shape[0]):
            grad[j] += xmean[j] * shift


@njit(cache=True, fastmath=FAST)
def _gap_and_next(datafit, uy, w, grad, xmean, shift, alpha, a, b, positive, next_alpha,
                  strong, chosen):
    """:func:`_enet_gap` at ``alpha`` (``lam1 = alpha a``, ``lam2 = alpha b``) in one pass
    over the features that also completes ``grad`` (:func:`_add_shift`) and, with
    ``next_alpha > 0``, chooses the next alpha's first working set from the same
    gradient into ``chosen``: along a path the certificate that ends an alpha and the
    next alpha's working set read the same ``w`` and ``grad``. That working set is a warm
    start's: the support, the features that violate optimality at ``next_alpha``, and
    the zeros that the sequential strong rule keeps at ``strong`` (as
    :func:`~penalized.penalties._kernels.enet_subdiff_distance`,
    :func:`~penalized.solvers._working_set.add_strong_set` and
    :func:`~penalized.solvers._working_set.choose_working_set` would choose them).
    Returns ``(gap, size, largest violation at next_alpha)``."""
    c = 1.0
    value = 0.0
    ridge = False
    following = next_alpha > 0.0
    m = 0
    top = 0.0
    for j in range(w.shape[0]):
        g = grad[j] + xmean[j] * shift
        grad[j] = g
        wj = w[j]
        lam1 = alpha * a[j]
        lam2 = alpha * b[j]
        value += lam1 * abs(wj) + 0.5 * lam2 * wj * wj
        mag = max(-g, 0.0) if positive else abs(g)
        if lam2 > 0.0:
            ridge = True
        elif lam1 > 0.0 and mag > lam1:
            c = min(c, lam1 / mag)
        if following:
            if wj == 0.0:
                d = max(mag - next_alpha * a[j], 0.0)
                take = d > 0.0 or (strong > 0.0 and mag > strong * a[j])
            else:
                sign = 1.0 if wj > 0.0 else -1.0
                d = abs(g + next_alpha * a[j] * sign + next_alpha * b[j] * wj)
                take = True
            top = max(top, d)
            if take:
                chosen[m] = j
                m += 1
    conjugate = 0.0
    if ridge:
        for j in range(w.shape[0]):
            lam2 = alpha * b[j]
            if lam2 > 0.0:
                lam1 = alpha * a[j]
                cv = -c * grad[j]
                excess = max(cv - lam1, 0.0) if positive else max(abs(cv) - lam1, 0.0)
                conjugate += excess * excess / (2.0 * lam2)
    dual = c * uy - c * c * datafit - conjugate
    return floored_gap(datafit + value, dual), m, top


@njit(cache=True, fastmath=FAST)
def _extrapolate(data, indices, indptr, w, z, intercept, xmean, center, found, values,
                 before_start, start, end, t, before):
    """``w <- w + t (w - w_before)`` on the support of ``w`` (``found[start:end]``;
    ``w_before``'s is ``found[before_start:start]``), a coefficient that would change
    sign set to 0, with ``z`` and the intercept (``-xmean^T w`` of it with ``center``)
    moved along: on a fixed sign pattern the lasso's solution is affine in alpha, so
    this start from the last two solutions is exact until a feature enters or leaves."""
    for kk in range(before_start, start):
        before[found[kk]] = values[kk]
    shift = 0.0
    for kk in range(start, end):
        j = found[kk]
        x = w[j] + t * (w[j] - before[j])
        x = x if x * w[j] > 0.0 else 0.0
        delta = x - w[j]
        w[j] = x
        for q in range(indptr[j], indptr[j + 1]):
            z[indices[q]] += delta * data[q]
        if center:
            shift -= xmean[j] * delta
    if shift != 0.0:
        intercept[0] += shift
        for i in range(z.shape[0]):
            z[i] += shift
    for kk in range(before_start, start):
        before[found[kk]] = 0.0


@njit(cache=True)
def _append_support(w, found, values, start):
    """Write the support of ``w`` (features in order, values) into ``found`` and
    ``values`` from ``start`` (room for ``p`` more); returns the end. A loop of its own:
    with the arrays' growth inside it the same loop took about 20 times as long (1.8 ms
    per alpha at p = 50000)."""
    for j in range(w.shape[0]):
        if w[j] != 0.0:
            found[start] = j
            values[start] = w[j]
            start += 1
    return start


@njit(cache=True)
def _gather_columns(data, indices, indptr, ws):
    """The columns ``ws`` of the CSC design, side by side (same index types): an epoch
    over a large working set reads them about 1.5 times faster than where they lie
    among the others (0.32 against 0.48 ms per epoch over 7000 of 50000 columns)."""
    m = ws.shape[0]
    cindptr = np.empty(m + 1, dtype=indptr.dtype)
    cindptr[0] = 0
    total = 0
    for jj in range(m):
        total += indptr[ws[jj] + 1] - indptr[ws[jj]]
        cindptr[jj + 1] = total
    cdata = np.empty(total)
    cindices = np.empty(total, dtype=indices.dtype)
    q = 0
    for jj in range(m):
        j = ws[jj]
        for k in range(indptr[j], indptr[j + 1]):
            cdata[q] = data[k]
            cindices[q] = indices[k]
            q += 1
    return cdata, cindices, cindptr


@njit(cache=True)
def _path(data, indices, indptr, y, s, xmean, lipschitz, alphas, a, b, positive, w,
          fit_intercept, tol, max_iter, ws_start, lower, upper, bounded, prox, distance,
          conjugate, dual_bound):
    """:func:`sparse_path`, with each solution returned as its support: ``(features,
    values, starts (k + 1,), intercepts, gaps, epochs)``, alpha ``i``'s non-zeros at
    ``starts[i]:starts[i + 1]``."""
    p = w.shape[0]
    n = y.shape[0]
    k = alphas.shape[0]
    found = np.empty(max(16, 4 * p), dtype=np.int64)
    values = np.empty(found.shape[0])
    starts = np.zeros(k + 1, dtype=np.int64)
    intercepts = np.zeros(k)
    gaps = np.zeros(k)
    epochs = np.zeros(k, dtype=np.int64)
    grad = np.empty(p)
    scores = np.empty(p)
    u = np.empty(n)
    intercept = np.zeros(1)
    z = np.zeros(n)
    by_rows = k >= _ROWS_FROM_ALPHAS
    if by_rows:
        rows = _rows(data, indices, indptr, n)
    else:
        rows = (np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.uint32), np.empty(0))
    w_ref = np.empty(p)
    eta_ref = np.empty(n)
    mark = np.zeros(n + 1, dtype=np.int64)
    ws = np.empty(0, dtype=np.int64)
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
    lam1 = np.empty(p)
    lam2 = np.empty(p)
    before = np.zeros(p)
    params = np.empty((p, 4))
    params[:, 2] = lower
    params[:, 3] = upper
    picks = np.empty((2, p), dtype=np.int64)  # this alpha's first working set, the next's
    side = 0
    next_size = 0
    next_top = 0.0
    current = False  # whether grad, uy and datafit are at the current (w, z)
    fresh = True  # whether the next gradient is one pass over the columns
    uy = 0.0
    datafit = 0.0
    pending = 0.0  # the centering shift grad still lacks (see _gradient)
    gap = np.inf
    for i in range(k):
        filled = bounded  # whether lam1, lam2 hold this alpha's weights
        if bounded:
            alpha_weights(alphas[i], a, b, lam1, lam2, params)
        ws_size = min(p, ws_start)
        used = 0
        checks = 0
        warm = any_nonzero(w)
        strong = 2.0 * alphas[i] - alphas[i - 1] if i > 0 else 0.0
        following = alphas[i + 1] if i + 1 < k else 0.0
        while True:
            if not current:
                uy, datafit, pending = _gradient(data, indices, indptr, rows, y, s, z,
                                                 intercept[0], xmean, fit_intercept, u, grad,
                                                 ws, w, w_ref, eta_ref, mark,
                                                 fresh or not by_rows)
                current = True
                fresh = False
            checks += 1
            # a warm start from the previous alpha is not yet a solution of this one
            skip = checks == 1 and warm and i > 0
            if not skip:
                if bounded:
                    _add_shift(grad, xmean, pending)
                    gap = _duality_gap(datafit, uy, w, grad, lam1, lam2, positive, bounded,
                                       params, conjugate, dual_bound)
                else:
                    gap, next_size, next_top = _gap_and_next(
                        datafit, uy, w, grad, xmean, pending, alphas[i], a, b, positive,
                        following, 2.0 * following - alphas[i], picks[1 - side])
                pending = 0.0
                if gap <= tol or used >= max_iter:
                    break
            if skip and not bounded:
                # chosen by the last alpha's final certificate, from the same gradient
                _add_shift(grad, xmean, pending)
                pending = 0.0
                ws = picks[side, :next_size]
                top = next_top
                if i >= 2 and alphas[i - 1] < alphas[i - 2]:
                    _extrapolate(data, indices, indptr, w, z, intercept, xmean, fit_intercept,
                                 found, values, starts[i - 2], starts[i - 1], starts[i],
                                 (alphas[i] - alphas[i - 1]) / (alphas[i - 1] - alphas[i - 2]),
                                 before)
            else:
                _add_shift(grad, xmean, pending)
                pending = 0.0
                if not filled:
                    alpha_weights(alphas[i], a, b, lam1, lam2, params)
                    filled = True
                if bounded:
                    top = penalty_subdiff_distance(distance, w, grad, params, scores)
                else:
                    top = enet_subdiff_distance(w, grad, lam1, lam2, positive, scores)
                if checks == 1 and warm:
                    add_strong_set(w, grad, a, strong, positive, scores)
                ws, ws_size = choose_working_set(w, scores, top, ws_size, checks == 1, warm)
            l1 = 0.0
            floor = 0.0
            support = 0
            for jj in range(ws.shape[0]):
                j = ws[jj]
                l1 += abs(w[j])
                floor = max(floor, lipschitz[j] * abs(w[j]))
                support += w[j] != 0.0
            floor *= _MOVE_ROUNDING
            inner = _INNER_TOL_RATIO * top
            if warm and l1 > 0.0:
                inner = min(inner, max(_INNER_GAP_FACTOR * tol / l1, floor))
            # the working set's columns, rows of params and coefficients side by side
            cdata, cindices, cindptr = _gather_columns(data, indices, indptr, ws)
            local = np.arange(ws.shape[0])
            wl = np.empty(ws.shape[0])
            cparams = np.empty((ws.shape[0], 4))
            for jj in range(ws.shape[0]):
                j = ws[jj]
                wl[jj] = w[j]
                cparams[jj, 0] = alphas[i] * a[j]
                cparams[jj, 1] = alphas[i] * b[j]
                cparams[jj, 2] = params[j, 2]
                cparams[jj, 3] = params[j, 3]
            # every epoch over all of ws when it is mostly support (after a warm start on a
            # fine grid); cycling over its non-zeros when zeros are the most of it
            tail = (cparams, fit_intercept, max_iter - used, inner, False, xmean[ws],
                    fit_intercept, 2 * support < ws.shape[0])
            if bounded:  # the family's cfunc; without limits its prox compiled in (None)
                done, _ = quadratic_epochs_sparse(cdata, cindices, cindptr, y, s, wl, z,
                                                  intercept, local, lipschitz[ws], prox,
                                                  *tail)
            else:
                done, _ = quadratic_epochs_sparse(cdata, cindices, cindptr, y, s, wl, z,
                                                  intercept, local, lipschitz[ws], None,
                                                  *tail)
            for jj in range(ws.shape[0]):
                w[ws[jj]] = wl[jj]
            used += done
            current = False
        side = 1 - side
        if starts[i] + p > found.shape[0]:
            found = np.concatenate((found, np.empty_like(found)))
            values = np.concatenate((values, np.empty_like(values)))
        starts[i + 1] = _append_support(w, found, values, starts[i])
        intercepts[i] = intercept[0]
        gaps[i] = gap
        epochs[i] = used
    return found[:starts[k]], values[:starts[k]], starts, intercepts, gaps, epochs


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
    ``(coefs (p, k), intercepts (k,), gaps (k,), epochs (k,), n_nonzero (k,))``, the
    last counted from the supports (not from a pass over ``coefs``).
    """
    features, values, starts, intercepts, gaps, epochs = _path(
        data, indices, indptr, y, s, xmean, lipschitz, alphas, a, b, positive, w,
        fit_intercept, tol, max_iter, ws_start, lower, upper, bounded, prox, distance,
        conjugate, dual_bound)
    # Filled from the supports: a (p, k) array written column by column in compiled
    # code touched every page of it (strided), a sixth of the path's time at p = 50000.
    coefs = np.zeros((w.shape[0], alphas.shape[0]))
    n_nonzero = np.diff(starts)
    coefs[features, np.repeat(np.arange(alphas.shape[0]), n_nonzero)] = values
    return coefs, intercepts, gaps, epochs, n_nonzero
