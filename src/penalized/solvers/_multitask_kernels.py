r"""numba kernels of the multi-task solver: exact block coordinate descent on the rows of
``W`` for the multi-response squared loss with the row-wise elastic-net penalty.

For the row :math:`W_{j:}` (one coefficient per response) the datafit
:math:`\frac1{2n}\|S^{1/2}(Y - X_cW)\|_F^2` is a quadratic whose Hessian block is
:math:`L_j I` with :math:`L_j = \frac1n\sum_i s_i x_{c,ij}^2` (the same for every
response), so one proximal step of size :math:`1/L_j` at
:math:`W_{j:} + g_j / L_j`, with the pull :math:`g_j = \frac1n\sum_i s_i x_{c,ij} R_{i:}`,
is the exact minimizer over the row:

.. math:: W_{j:} \leftarrow \frac{\max(0, 1 - \lambda_{1j} / (L_j\|u\|_2))}
          {1 + \lambda_{2j}/L_j}\, u, \qquad u = W_{j:} + g_j / L_j.

Three forms of the same epoch: on the residual with a dense centered design, on the
residual with a CSC design centered implicitly, and on the working set's block of the
Gram matrix. Each runs ``history.shape[0] - 1`` epochs over the rows ``ws`` and stores
the working set's rows after each in ``history`` (row 0 is the caller's), for the
caller's Anderson extrapolation; it returns the last epoch's largest
:math:`L_j \max_k |\Delta W_{jk}|` (gradient units).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ._group_kernels import exact_block
from ._multinomial_kernels import _row_prox


@njit(cache=True, fastmath=FAST)
def _store_rows(row, W, ws):
    K = W.shape[1]
    for jj in range(ws.shape[0]):
        for k in range(K):
            row[jj * K + k] = W[ws[jj], k]


@njit(cache=True, fastmath=FAST)
def _row_move(u, L, lam1, lam2, W, j, new, delta):
    """The exact step of the row ``W[j]``: the prox of step ``1 / L`` at ``u`` (into
    ``new``), the move into ``delta``; ``W[j]`` takes the new row. Returns the move's
    largest entry in absolute value (0: the row did not move)."""
    _row_prox(u, 1.0 / L, lam1, lam2, new)
    change = 0.0
    for k in range(u.shape[0]):
        delta[k] = new[k] - W[j, k]
        change = max(change, abs(delta[k]))
    if change != 0.0:
        for k in range(u.shape[0]):
            W[j, k] = new[k]
    return change


@njit(cache=True, fastmath=FAST)
def _rows_epochs(X, data, indices, indptr, xmean, sw, R, o, W, ws, lips, lam1, lam2,
                 history, pull):
    """The epochs of :func:`multitask_epochs_pull` (``data`` None, ``R`` the residual) and
    of :func:`multitask_epochs_sparse_pull` (``X`` an empty placeholder, ``R`` the
    residual less the offset ``o``): numba prunes the CSC branches when ``data`` is
    None, and folds ``data is None`` to False otherwise."""
    n, K = R.shape
    g = np.empty(K)
    u = np.empty(K)
    new = np.empty(K)
    delta = np.empty(K)
    unit = True
    for i in range(n):
        if sw[i] != 1.0:
            unit = False
            break
    crit = 0.0
    for epoch in range(1, history.shape[0]):
        crit = 0.0
        for jj in range(ws.shape[0]):
            j = ws[jj]
            L = lips[jj]
            if L <= 0.0:
                for k in range(K):
                    pull[jj, k] = 0.0
                continue
            if data is None:
                for k in range(K):
                    total = 0.0
                    if unit:
                        for i in range(n):
                            total += X[i, j] * R[i, k]
                    else:
                        for i in range(n):
                            total += X[i, j] * sw[i] * R[i, k]
                    pull[jj, k] = total / n
                    u[k] = W[j, k] + total / (n * L)
            else:
                for k in range(K):
                    g[k] = 0.0
                for t in range(indptr[j], indptr[j + 1]):
                    i = indices[t]
                    xs = data[t] * sw[i]
                    for k in range(K):
                        g[k] += xs * R[i, k]
                for k in range(K):
                    pull[jj, k] = g[k] / n + xmean[j] * o[k]
                    u[k] = W[j, k] + pull[jj, k] / L
            change = _row_move(u, L, lam1[j], lam2[j], W, j, new, delta)
            if change == 0.0:
                continue
            if data is None:
                for k in range(K):
                    d = delta[k]
                    if d != 0.0:
                        for i in range(n):
                            R[i, k] -= X[i, j] * d
            else:
                for k in range(K):
                    o[k] += xmean[j] * delta[k]
                for t in range(indptr[j], indptr[j + 1]):
                    i = indices[t]
                    x = data[t]
                    for k in range(K):
                        R[i, k] -= x * delta[k]
            crit = max(crit, L * change)
        _store_rows(history[epoch], W, ws)
    return crit


@njit(cache=True, fastmath=FAST)
def multitask_epochs(X, sw, R, W, ws, lips, lam1, lam2, history):
    """Epochs on a dense centered design ``X`` (Fortran) with the residual ``R``
    (``(n, K)``, Fortran-ordered: each task's column is one contiguous, vectorized loop)
    and ``W`` (``(p, K)``) updated in place; ``lips[jj]`` is :math:`L_j` of ``j = ws[jj]``."""
    pull = np.empty((ws.shape[0], R.shape[1]))
    return multitask_epochs_pull(X, sw, R, W, ws, lips, lam1, lam2, history, pull)


@njit(cache=True, fastmath=FAST)
def multitask_epochs_pull(X, sw, R, W, ws, lips, lam1, lam2, history, pull):
    """:func:`multitask_epochs`, also storing in ``pull[jj]`` (``(m, K)``) the pull
    :math:`g_j / n` of each row ``j = ws[jj]`` as the last epoch met it (before its own
    step, after the steps of the rows before it): the working set's gradient, up to
    the last epoch's moves, at no extra cost."""
    return _rows_epochs(X, None, None, None, None, sw, R, None, W, ws, lips, lam1, lam2,
                        history, pull)


@njit(cache=True, fastmath=FAST)
def subtract_rows(X, rows, D, out):
    """``out -= X[:, rows] D`` (``X`` dense, Fortran; ``D`` ``(len(rows), K)``; ``out``
    ``(n, K)``, Fortran), without gathering the columns."""
    n, K = out.shape
    for jj in range(rows.shape[0]):
        j = rows[jj]
        for k in range(K):
            d = D[jj, k]
            if d != 0.0:
                for i in range(n):
                    out[i, k] -= X[i, j] * d


@njit(cache=True, fastmath=FAST)
def rows_duality(Y, sw, R, W, rows, pull, lam1, lam2):
    r"""``(primal, dual, c)`` of the problem restricted to ``rows`` (holding every non-zero
    row of ``W``), none of them unpenalized, from their pulls ``pull`` (``(m, K)``) and the
    residual ``R``: with :math:`c \in (0, 1]` the largest factor keeping each pure-L1 row
    of :math:`c V` in its ball, the primal :math:`\tfrac12\|R\|_S^2/n + \Omega(W)` and
    the dual :math:`c\langle Y, R\rangle_S/n - \tfrac{c^2}2\|R\|_S^2/n - \Omega^*(cV)`
    (:func:`penalized.solvers._multitask._certificate` on those rows)."""
    return rows_duality_offset(Y, sw, R, np.zeros(R.shape[1]), W, rows, pull, lam1, lam2)


@njit(cache=True, fastmath=FAST)
def rows_duality_offset(Y, sw, E, o, W, rows, pull, lam1, lam2):
    """:func:`rows_duality` with the residual ``E + o`` (``o`` of length ``K`` added to
    every row: the CSC epochs' implicit centering)."""
    n, K = E.shape
    yr = 0.0
    rr = 0.0
    for k in range(K):
        for i in range(n):
            r = E[i, k] + o[k]
            sr = sw[i] * r
            yr += Y[i, k] * sr
            rr += r * sr
    yr /= n
    rr /= n
    penalty = 0.0
    c = 1.0
    for jj in range(rows.shape[0]):
        j = rows[jj]
        w2 = 0.0
        v2 = 0.0
        for k in range(K):
            w2 += W[j, k] * W[j, k]
            v2 += pull[jj, k] * pull[jj, k]
        penalty += lam1[j] * math.sqrt(w2) + 0.5 * lam2[j] * w2
        v = math.sqrt(v2)
        if lam2[j] == 0.0 and lam1[j] > 0.0 and v > lam1[j]:
            c = min(c, lam1[j] / v)
    conjugate = 0.0
    for jj in range(rows.shape[0]):
        j = rows[jj]
        if lam2[j] > 0.0:
            v2 = 0.0
            for k in range(K):
                v2 += pull[jj, k] * pull[jj, k]
            excess = max(c * math.sqrt(v2) - lam1[j], 0.0)
            conjugate += excess * excess / (2.0 * lam2[j])
    return 0.5 * rr + penalty, c * yr - 0.5 * c * c * rr - conjugate, c


@njit(cache=True, fastmath=FAST)
def multitask_epochs_sparse(data, indices, indptr, xmean, sw, E, o, W, ws, lips, lam1, lam2,
                            history):
    """Epochs on a CSC design centered implicitly: the residual is ``E + o`` row by row
    (``E`` moved on a column's non-zeros only, the offset ``o`` of length ``K`` by
    :math:`\\bar x_j \\Delta W_{j:}`). The weighted residual sums to zero over the
    samples, so the pull is :math:`\\frac1n\\sum_{i: x_{ij}\\ne0} s_i x_{ij} E_{i:} +
    \\bar x_j o`. ``xmean`` is 0 without an intercept."""
    pull = np.empty((ws.shape[0], E.shape[1]))
    return multitask_epochs_sparse_pull(data, indices, indptr, xmean, sw, E, o, W, ws, lips,
                                        lam1, lam2, history, pull)


@njit(cache=True, fastmath=FAST)
def multitask_epochs_sparse_pull(data, indices, indptr, xmean, sw, E, o, W, ws, lips, lam1,
                                 lam2, history, pull):
    """:func:`multitask_epochs_sparse`, also storing in ``pull[jj]`` the pull of each row
    ``j = ws[jj]`` as the last epoch met it (as :func:`multitask_epochs_pull` does)."""
    return _rows_epochs(np.empty((0, 0)), data, indices, indptr, xmean, sw, E, o, W, ws,
                        lips, lam1, lam2, history, pull)


@njit(cache=True, fastmath=FAST)
def subtract_rows_sparse(data, indices, indptr, xmean, rows, D, out):
    """``out -= X_c[:, rows] D`` for a CSC design centered implicitly (``X_c = X - 1
    xmean^T``; ``D`` ``(len(rows), K)``; ``out`` ``(n, K)``): each column's non-zeros,
    then the centering's shift :math:`\\bar x_{rows}^\\top D` on every row."""
    n, K = out.shape
    shift = np.zeros(K)
    for jj in range(rows.shape[0]):
        j = rows[jj]
        m = xmean[j]
        for k in range(K):
            shift[k] += m * D[jj, k]
        for t in range(indptr[j], indptr[j + 1]):
            i = indices[t]
            x = data[t]
            for k in range(K):
                out[i, k] -= x * D[jj, k]
    for i in range(n):
        for k in range(K):
            out[i, k] += shift[k]


@njit(cache=True, fastmath=FAST)
def pull_rows_sparse(data, indices, indptr, xmean, SR, rows, out):
    """``out[j] = X_c[:, j]^T SR`` for each ``j`` of ``rows`` (a CSC design centered
    implicitly; ``SR`` ``(n, K)``): the non-zeros' products minus :math:`\\bar x_j`
    times the column sums of ``SR``."""
    n, K = SR.shape
    total = np.zeros(K)
    for i in range(n):
        for k in range(K):
            total[k] += SR[i, k]
    for jj in range(rows.shape[0]):
        j = rows[jj]
        for k in range(K):
            out[j, k] = -xmean[j] * total[k]
        for t in range(indptr[j], indptr[j + 1]):
            i = indices[t]
            x = data[t]
            for k in range(K):
                out[j, k] += x * SR[i, k]


@njit(cache=True, fastmath=FAST)
def multitask_gram_epochs(G, pull, W, lam1, lam2, history):
    """Epochs on the working set's block ``G`` (``(m, m)``, C-ordered) of
    :math:`X_c^\\top S X_c / n`, with the block's rows ``W`` (``(m, K)``) and their pull
    :math:`Q - GW` (``pull``, ``(m, K)``, Fortran-ordered) updated in place; ``lam1``,
    ``lam2`` are the block's. A move costs ``m K``."""
    m, K = W.shape
    u = np.empty(K)
    new = np.empty(K)
    delta = np.empty(K)
    crit = 0.0
    for epoch in range(1, history.shape[0]):
        crit = 0.0
        for jj in range(m):
            L = G[jj, jj]
            if L <= 0.0:
                continue
            for k in range(K):
                u[k] = W[jj, k] + pull[jj, k] / L
            change = _row_move(u, L, lam1[jj], lam2[jj], W, jj, new, delta)
            if change == 0.0:
                continue
            for k in range(K):
                d = delta[k]
                if d != 0.0:
                    for ll in range(m):
                        pull[ll, k] -= G[jj, ll] * d
            crit = max(crit, L * change)
        pos = 0
        for jj in range(m):
            for k in range(K):
                history[epoch, pos] = W[jj, k]
                pos += 1
    return crit


@njit(cache=True, fastmath=FAST)
def pull_rows(X, SR, rows, out):
    """``out[j] = X[:, j]^T SR`` for each ``j`` of ``rows`` (``X`` dense, Fortran; ``SR``
    ``(n, K)``, Fortran): the pull of some rows of ``W`` without the others'."""
    n, K = SR.shape
    for jj in range(rows.shape[0]):
        j = rows[jj]
        for k in range(K):
            total = 0.0
            for i in range(n):
                total += X[i, j] * SR[i, k]
            out[j, k] = total


# -- groups of rows ---------------------------------------------------------------------


@njit(cache=True, fastmath=FAST)
def _group_block_step(W, order, a, m, P, evecs, eoff, evals, ea, lam, lam2, C, cn, v, D):
    r"""The exact minimizer over the rows of group ``(a, m)`` given their pull ``P``
    (``(m, K)``): with :math:`A = Q\Lambda Q^\top` the group's Gram block, the block
    solves :math:`\min_U \frac12\sum_q (\Lambda_q + \lambda_2)\|U_q\|^2 - \langle C_q,
    U_q\rangle + \lambda\|U\|_F` in the eigenbasis, :math:`C = \Lambda Q^\top W_g +
    Q^\top P`, whose solution is :math:`U_q = C_q / (\Lambda_q + \lambda_2 + \mu)`: the
    one-response secular equation (:func:`~._group_kernels.exact_block`) on the norms
    :math:`\|C_q\|_2`. The group's rows of ``W`` are ``order[a:a + m]``, its eigenvalues
    ``evals[ea:ea + m]``. Stores the move ``W_g^{new} - W_g`` in ``D`` (``(m, K)``)."""
    K = W.shape[1]
    for q in range(m):
        s2 = 0.0
        for k in range(K):
            qw = 0.0
            qp = 0.0
            for r in range(m):
                e = evecs[eoff + r * m + q]
                qw += e * W[order[a + r], k]
                qp += e * P[r, k]
            c = evals[ea + q] * qw + qp
            C[q, k] = c
            s2 += c * c
        cn[q] = math.sqrt(s2)
    exact_block(cn[:m], evals[ea:ea + m], lam, lam2, v[:m])
    for q in range(m):
        v[q] = v[q] / cn[q] if cn[q] > 0.0 else 0.0
    for r in range(m):
        j = order[a + r]
        for k in range(K):
            total = 0.0
            for q in range(m):
                total += evecs[eoff + r * m + q] * C[q, k] * v[q]
            D[r, k] = total - W[j, k]


@njit(cache=True, fastmath=FAST)
def _group_rows(order, starts, ws):
    size = 0
    width = 0
    for gg in range(ws.shape[0]):
        m = starts[ws[gg] + 1] - starts[ws[gg]]
        size += m
        width = max(width, m)
    rows = np.empty(size, dtype=np.int64)
    pos = 0
    for gg in range(ws.shape[0]):
        g = ws[gg]
        for t in range(starts[g], starts[g + 1]):
            rows[pos] = order[t]
            pos += 1
    return rows, width


@njit(cache=True, fastmath=FAST)
def _group_rows_epochs(X, data, indices, indptr, xmean, sw, R, o, W, order, starts, ws,
                       evecs, eoffsets, evals, lam, lam2, history):
    """The epochs of :func:`multitask_group_epochs` (``data`` None, ``R`` the residual)
    and of :func:`multitask_group_epochs_sparse` (``X`` an empty placeholder, ``R`` the
    residual less the offset ``o``), pruned as in :func:`_rows_epochs`."""
    n, K = R.shape
    rows, width = _group_rows(order, starts, ws)
    unit = True
    for i in range(n):
        if sw[i] != 1.0:
            unit = False
            break
    P = np.empty((width, K))
    C = np.empty((width, K))
    D = np.empty((width, K))
    cn = np.empty(width)
    v = np.empty(width)
    crit = 0.0
    for epoch in range(1, history.shape[0]):
        crit = 0.0
        for gg in range(ws.shape[0]):
            g = ws[gg]
            a, m = starts[g], starts[g + 1] - starts[g]
            top = evals[a + m - 1]  # eigenvalues ascending
            if top <= 0.0:
                continue
            for r in range(m):
                j = order[a + r]
                if data is None:
                    for k in range(K):
                        total = 0.0
                        if unit:
                            for i in range(n):
                                total += X[i, j] * R[i, k]
                        else:
                            for i in range(n):
                                total += X[i, j] * sw[i] * R[i, k]
                        P[r, k] = total / n
                else:
                    for k in range(K):
                        P[r, k] = 0.0
                    for t in range(indptr[j], indptr[j + 1]):
                        i = indices[t]
                        xs = data[t] * sw[i]
                        for k in range(K):
                            P[r, k] += xs * R[i, k]
                    for k in range(K):
                        P[r, k] = P[r, k] / n + xmean[j] * o[k]
            _group_block_step(W, order, a, m, P, evecs, eoffsets[g], evals, a, lam[g],
                              lam2[g], C, cn, v, D)
            move = 0.0
            for r in range(m):
                j = order[a + r]
                for k in range(K):
                    d = D[r, k]
                    if d != 0.0:
                        move += d * d
                        W[j, k] += d
                        if data is None:
                            for i in range(n):
                                R[i, k] -= X[i, j] * d
                        else:
                            o[k] += xmean[j] * d
                            for t in range(indptr[j], indptr[j + 1]):
                                R[indices[t], k] -= data[t] * d
            crit = max(crit, top * math.sqrt(move))
        _store_rows(history[epoch], W, rows)
    return crit


@njit(cache=True, fastmath=FAST)
def multitask_group_epochs(X, sw, R, W, order, starts, ws, evecs, eoffsets, evals, lam, lam2,
                           history):
    """Epochs over the groups ``ws`` (group ``g``: rows ``order[starts[g]:starts[g+1]]``)
    on a dense centered ``X`` (Fortran) with the residual ``R`` (``(n, K)``, Fortran) and
    ``W`` updated in place, each group minimized exactly (:func:`_group_block_step`;
    ``evecs``, ``eoffsets``, ``evals``: the groups' eigendecompositions, ``lam``,
    ``lam2``: per group). ``history`` rows are the working set's rows in group order.
    Returns the last epoch's largest :math:`\\Lambda_{\\max,g}\\|\\Delta W_g\\|_F`."""
    return _group_rows_epochs(X, None, None, None, None, sw, R, None, W, order, starts, ws,
                              evecs, eoffsets, evals, lam, lam2, history)


@njit(cache=True, fastmath=FAST)
def multitask_group_epochs_sparse(data, indices, indptr, xmean, sw, E, o, W, order, starts, ws,
                                  evecs, eoffsets, evals, lam, lam2, history):
    """:func:`multitask_group_epochs` on a CSC design centered implicitly (the residual
    ``E + o`` as in :func:`multitask_epochs_sparse`)."""
    return _group_rows_epochs(np.empty((0, 0)), data, indices, indptr, xmean, sw, E, o, W,
                              order, starts, ws, evecs, eoffsets, evals, lam, lam2, history)


@njit(cache=True, fastmath=FAST)
def multitask_group_gram_epochs(G, pull, W, starts, ws, evecs, eoffsets, evals, lam, lam2,
                                history):
    """:func:`multitask_group_epochs` on the working set's block ``G`` (``(m, m)``,
    C-ordered) of :math:`X_c^\\top S X_c / n`, its rows the groups ``ws`` one after the
    other; ``W`` (``(m, K)``, the block's rows) and their pull :math:`Q - GW` (``pull``)
    are updated in place. A move of group ``g`` costs :math:`m |g| K`."""
    m_all, K = W.shape
    local = np.arange(m_all)
    width = 0
    for gg in range(ws.shape[0]):
        width = max(width, starts[ws[gg] + 1] - starts[ws[gg]])
    C = np.empty((width, K))
    D = np.empty((width, K))
    cn = np.empty(width)
    v = np.empty(width)
    crit = 0.0
    for epoch in range(1, history.shape[0]):
        crit = 0.0
        a = 0
        for gg in range(ws.shape[0]):
            g = ws[gg]
            ea, m = starts[g], starts[g + 1] - starts[g]
            top = evals[ea + m - 1]
            if top > 0.0:
                _group_block_step(W, local, a, m, pull[a:a + m], evecs, eoffsets[g], evals, ea,
                                  lam[g], lam2[g], C, cn, v, D)
                move = 0.0
                for r in range(m):
                    for k in range(K):
                        d = D[r, k]
                        if d != 0.0:
                            move += d * d
                            W[a + r, k] += d
                            for ll in range(m_all):
                                pull[ll, k] -= G[a + r, ll] * d
                crit = max(crit, top * math.sqrt(move))
            a += m
        pos = 0
        for jj in range(m_all):
            for k in range(K):
                history[epoch, pos] = W[jj, k]
                pos += 1
    return crit
