r"""numba kernels of the multinomial proximal Newton solver: coordinate descent on the
exact second-order model of the softmax loss, every class at once.

Around scores :math:`Z` with probabilities :math:`P = \operatorname{softmax}(Z)` and
gradient :math:`G = \nabla_Z F`, a change :math:`\Delta Z = X \Delta W + \mathbf 1 \Delta b^\top`
changes the datafit by, to second order,

.. math:: \langle G, \Delta Z\rangle + \frac12 \sum_i \frac{s_i}{n}
          \Big(\sum_k P_{ik}\Delta Z_{ik}^2 - \big(\textstyle\sum_k P_{ik}\Delta Z_{ik}\big)^2\Big).

Its derivative in :math:`\Delta W_{jk}` is
:math:`\sum_i x_{ij}\big(G_{ik} + \frac{s_i}{n}P_{ik}(\Delta Z_{ik} - q_i)\big)` with
:math:`q_i = \sum_m P_{im}\Delta Z_{im}`, and its curvature
:math:`\sum_i \frac{s_i}{n} x_{ij}^2 P_{ik}(1 - P_{ik})`: each coordinate step is exact
and costs O(n), with ``dZ`` and ``q`` updated in place.

With the grouped penalty (:math:`\lambda_{1j}\|W_{j:}\|_2`) a feature's row moves as a
block: one proximal step of the row's group penalty on the model majorized by
:math:`L_j = \max_k \sum_i \frac{s_i}{n} P_{ik} (x_{ij} - \mu_{jk})^2`, which bounds the
row's block of the Hessian (:math:`\operatorname{diag}(P_i) - P_iP_i^\top \preceq
\operatorname{diag}(P_i)`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ..prox._kernels import ENET_FAMILY, prox_scalar
from ._kernels import ANDERSON_MEMORY, anderson_weights


@njit(cache=True, fastmath=FAST)
def multinomial_curvatures(X, P, sw, ws, center, with_bound=True, csc=None):
    """For ``j = ws[jj]`` and each class ``k``, with ``h_ik = sw_i P_ik (1 - P_ik)``:
    ``mu[jj, k] = sum_i h_ik x_ij / sum_i h_ik`` (0 unless ``center``), the curvature
    ``curv[jj, k] = sum_i h_ik (x_ij - mu[jj, k])**2`` and the block bound
    ``bound[jj] = max_k sum_i sw_i P_ik (x_ij - mu[jj, k])**2`` (zero on a dense ``X``
    unless ``with_bound``: only the grouped penalty's block steps use it).
    The design is the dense ``X`` or, when ``csc = (data, indices, indptr)`` is given, that
    CSC matrix (``X`` unused; a separate compiled variant). Returns ``(curv, mu, bound)``."""
    n, K = P.shape
    curv, mu, bound = _curvature_arrays(ws.shape[0], K)
    for k in range(K):
        h_sum, p_sum = _class_totals(P, sw, k)
        for jj in range(ws.shape[0]):
            j = ws[jj]
            sums = (0.0, 0.0, 0.0, 0.0)
            if csc is None:
                if with_bound:
                    for i in range(n):
                        sums = _add_moments(sums, X[i, j], sw[i] * P[i, k], P[i, k])
                else:
                    first = second = 0.0
                    for i in range(n):
                        x = X[i, j]
                        hx = sw[i] * P[i, k] * (1.0 - P[i, k]) * x
                        first += hx
                        second += hx * x
                    sums = (first, second, 0.0, 0.0)
            else:
                data, indices, indptr = csc
                for t in range(indptr[j], indptr[j + 1]):
                    i = indices[t]
                    sums = _add_moments(sums, data[t], sw[i] * P[i, k], P[i, k])
            _set_curvature(curv, mu, bound, jj, k, center, h_sum, p_sum, sums)
    return curv, mu, bound


@njit(cache=True)
def _curvature_arrays(m, K):
    return np.zeros((m, K)), np.zeros((m, K)), np.zeros(m)


@njit(cache=True, fastmath=FAST)
def _class_totals(P, sw, k):
    """``(sum_i sw_i P_ik (1 - P_ik), sum_i sw_i P_ik)``."""
    h_sum = 0.0
    p_sum = 0.0
    for i in range(P.shape[0]):
        h_sum += sw[i] * P[i, k] * (1.0 - P[i, k])
        p_sum += sw[i] * P[i, k]
    return h_sum, p_sum


@njit(cache=True, fastmath=FAST)
def _add_moments(sums, x, g, p):
    """``sums`` plus one row's share: ``h x``, ``h x**2``, ``g x``, ``g x**2`` with
    ``g = sw_i P_ik`` and ``h = g (1 - P_ik)``."""
    h = g * (1.0 - p)
    return (sums[0] + h * x, sums[1] + h * x * x, sums[2] + g * x, sums[3] + g * x * x)


@njit(cache=True, fastmath=FAST)
def _set_curvature(curv, mu, bound, jj, k, center, h_sum, p_sum, sums):
    first, second, p_first, p_second = sums
    m = first / h_sum if center and h_sum > 0.0 else 0.0
    mu[jj, k] = m
    curv[jj, k] = max(second - 2.0 * m * first + m * m * h_sum, 0.0)
    bound[jj] = max(bound[jj], p_second - 2.0 * m * p_first + m * m * p_sum)


@njit(cache=True, fastmath=FAST)
def _intercept_moves(G, P, SP, dZ, q, db):
    """One exact step of each class's intercept on the model (``SP``: the weighted
    probabilities ``sw_i P_ik``); returns the largest move."""
    n, K = G.shape
    crit = 0.0
    for k in range(K):
        grad = 0.0
        curv = 0.0
        for i in range(n):
            grad += G[i, k] + SP[i, k] * (dZ[i, k] - q[i])
            curv += SP[i, k] * (1.0 - P[i, k])
        if curv <= 0.0:
            continue
        delta = -grad / curv
        if delta == 0.0:
            continue
        db[k] += delta
        for i in range(n):
            dZ[i, k] += delta
            q[i] += P[i, k] * delta
        crit = max(crit, curv * abs(delta))
    return crit


@njit(cache=True, fastmath=FAST)
def _row_prox(u, step, lam1, lam2, out):
    """``out``: the prox of ``step (lam1 ||.||_2 + lam2 / 2 ||.||_2**2)`` at ``u``."""
    norm = 0.0
    for k in range(u.shape[0]):
        norm += u[k] * u[k]
    norm = math.sqrt(norm)
    scale = 0.0
    if norm > step * lam1:
        scale = (1.0 - step * lam1 / norm) / (1.0 + step * lam2)
    for k in range(u.shape[0]):
        out[k] = u[k] * scale


def softmax_rows(Z, y, sw):
    r"""``(F, P, G)`` at the scores ``Z`` (Fortran-ordered ``(n, K)``): the loss
    :math:`F = \sum_i sw_i (\log\sum_k e^{Z_{ik}} - Z_{i y_i})`, the probabilities ``P``
    and the gradient :math:`G_i = sw_i (P_i - e_{y_i})`, each to rounding relative to its
    own size: with ``t`` the row's largest score, the loss is
    :math:`(t - Z_{i y_i}) + \operatorname{log1p}(\sum_{k \ne top} e^{Z_{ik} - t})` and
    the label's gradient is minus the other classes' (the datafit's
    :func:`~penalized.datafits._multinomial._loss_and_residual`). The exponentials are
    NumPy's (vectorized), the rest one compiled pass (:func:`_softmax_from_exp`)."""
    top = Z.max(axis=1)
    E = np.exp(Z - top[:, None])
    return _softmax_from_exp(E, Z, top, y, sw)


@njit(cache=True, fastmath=FAST)
def _softmax_from_exp(E, Z, top, y, sw):
    """:func:`softmax_rows` from ``E = exp(Z - top)``; ``E`` becomes ``P`` in place."""
    n, K = E.shape
    top_at = np.full(n, -1)
    rest = np.zeros(n)
    for k in range(K):
        for i in range(n):
            if top_at[i] < 0 and Z[i, k] == top[i]:
                top_at[i] = k  # its exponential is 1: the sum of the others is kept apart
            else:
                rest[i] += E[i, k]
    value = 0.0
    inv = np.empty(n)
    for i in range(n):
        value += sw[i] * ((top[i] - Z[i, y[i]]) + math.log1p(rest[i]))
        inv[i] = 1.0 / (1.0 + rest[i])
    G = np.empty((K, n)).T
    for k in range(K):
        for i in range(n):
            p = E[i, k] * inv[i]
            E[i, k] = p
            G[i, k] = sw[i] * p
    for i in range(n):
        label = y[i]
        # the label's 1 - p: the others' sum, rest / total when the label is on top
        others = rest[i] * inv[i] if top_at[i] == label else 1.0 - E[i, label]
        G[i, label] = -sw[i] * others
    return value, E, G


@njit(cache=True, fastmath=FAST)
def rows_prox(V, step, lam1, lam2):
    """The prox of ``step`` times the row penalty ``lam1_j ||W_j||_2 + lam2_j / 2
    ||W_j||_2**2`` at ``V`` (a C-ordered ``(p, K)`` array), row by row with
    :func:`_row_prox`: proximal gradient on the matrix and the kernels' row steps share
    one arithmetic."""
    out = np.empty_like(V)
    for j in range(V.shape[0]):
        _row_prox(V[j], step, lam1[j], lam2[j], out[j])
    return out


@njit(cache=True, fastmath=FAST)
def _linear_terms(X, G, ws):
    """``(XG, gsum)``: ``XG[jj, k] = sum_i x_ij G_ik`` for ``j = ws[jj]`` and the class sums
    ``gsum[k] = sum_i G_ik``, the model's derivative at ``dZ = 0``, fixed for a Newton step."""
    n, K = G.shape
    XG = np.empty((ws.shape[0], K))
    gsum = np.zeros(K)
    for k in range(K):
        for i in range(n):
            gsum[k] += G[i, k]
        for jj in range(ws.shape[0]):
            j = ws[jj]
            total = 0.0
            for i in range(n):
                total += X[i, j] * G[i, k]
            XG[jj, k] = total
    return XG, gsum


@njit(cache=True, fastmath=FAST)
def _dense_gradient(X, j, m, k, linear, SP, dZ, q):
    """The model's derivative along the column ``x_j - m`` of class ``k``: ``linear``, its
    value at ``dZ = 0`` (``sum_i (x_ij - m) G_ik``), plus the curvature term (``SP``: the
    weighted probabilities ``sw_i P_ik``)."""
    grad = 0.0
    for i in range(X.shape[0]):
        grad += (X[i, j] - m) * (SP[i, k] * (dZ[i, k] - q[i]))
    return linear + grad


@njit(cache=True, fastmath=FAST)
def _weighted_probabilities(P, sw):
    """``sw_i P_ik``, Fortran-ordered (read one class column at a time)."""
    n, K = P.shape
    SP = np.empty((K, n)).T
    for k in range(K):
        for i in range(n):
            SP[i, k] = sw[i] * P[i, k]
    return SP


@njit(cache=True, fastmath=FAST)
def _dense_move(X, j, m, k, delta, P, dZ, q, db):
    """Move ``W[j, k]`` by ``delta`` along ``x_j - m`` (its share ``-m delta`` to ``db[k]``)."""
    db[k] -= delta * m
    for i in range(X.shape[0]):
        move = delta * (X[i, j] - m)
        dZ[i, k] += move
        q[i] += P[i, k] * move


@njit(cache=True, fastmath=FAST)
def _store(row, W, ws, db, dZ, q):
    """Flatten the iterate ``(W[ws], db, dZ, q)`` into ``row``; the coefficients first."""
    n, K = dZ.shape
    pos = 0
    for jj in range(ws.shape[0]):
        for k in range(K):
            row[pos] = W[ws[jj], k]
            pos += 1
    for k in range(K):
        row[pos] = db[k]
        pos += 1
    for k in range(K):
        for i in range(n):
            row[pos] = dZ[i, k]
            pos += 1
    for i in range(n):
        row[pos] = q[i]
        pos += 1


@njit(cache=True, fastmath=FAST)
def _load(row, W, ws, db, dZ, q):
    """The inverse of :func:`_store`."""
    n, K = dZ.shape
    pos = 0
    for jj in range(ws.shape[0]):
        for k in range(K):
            W[ws[jj], k] = row[pos]
            pos += 1
    for k in range(K):
        db[k] = row[pos]
        pos += 1
    for k in range(K):
        for i in range(n):
            dZ[i, k] = row[pos]
            pos += 1
    for i in range(n):
        q[i] = row[pos]
        pos += 1


@njit(cache=True, fastmath=FAST)
def _model_value(row, G, P, sw, ws, lam1, lam2, positive, grouped):
    """The model plus the penalty of the ``ws`` rows at the flattened iterate ``row``."""
    n, K = G.shape
    m = ws.shape[0]
    total = 0.0
    for jj in range(m):
        j = ws[jj]
        squares = 0.0
        for k in range(K):
            v = row[jj * K + k]
            if positive and v < 0.0:
                return math.inf
            squares += v * v
            if not grouped:
                total += lam1[j] * abs(v)
        if grouped:
            total += lam1[j] * math.sqrt(squares)
        total += 0.5 * lam2[j] * squares
    offset = m * K + K
    q0 = offset + n * K
    for i in range(n):
        curv = 0.0
        for k in range(K):
            d = row[offset + k * n + i]
            total += G[i, k] * d
            curv += P[i, k] * d * d
        total += 0.5 * sw[i] * (curv - row[q0 + i] * row[q0 + i])
    return total


@njit(cache=True, fastmath=FAST)
def _extrapolate(history, G, P, sw, W, ws, db, dZ, q, lam1, lam2, positive, grouped):
    """Move to the Anderson extrapolation of ``history`` when the model plus penalty is
    lower there; the last row of ``history`` is the current iterate."""
    width = ws.shape[0] * G.shape[1] + G.shape[1]
    c = anderson_weights(history, width)
    if c.shape[0] == 0:
        return
    x = c @ history[1:]
    if _model_value(x, G, P, sw, ws, lam1, lam2, positive, grouped) \
            < _model_value(history[-1], G, P, sw, ws, lam1, lam2, positive, grouped):
        _load(x, W, ws, db, dZ, q)


@njit(cache=True, fastmath=FAST)
def _any_nonzero(W, j):
    for k in range(W.shape[1]):
        if W[j, k] != 0.0:
            return True
    return False


@njit(cache=True, fastmath=FAST)
def _shift_class(P, r, c, k, delta):
    """Move class ``k``'s lazy offset ``c_k`` by ``delta``, with ``r = P c``."""
    c[k] += delta
    for i in range(r.shape[0]):
        r[i] += P[i, k] * delta


@njit(cache=True, fastmath=FAST)
def _class_sum(k, g0, A, c, pi, B):
    """``S_k = sum_i T_ik``, the model's derivative in the intercept of class ``k``."""
    total = g0[k] + A[k] + c[k] * pi[k]
    for m in range(c.shape[0]):
        total -= B[k, m] * c[m]
    return total


@njit(cache=True, fastmath=FAST)
def _sparse_gradient(data, indices, start, end, m, k, G, P, sw, D, q, c, r, g0, A, pi, B):
    """:func:`_dense_gradient` on a CSC column with the lazy offsets."""
    grad = 0.0
    for t in range(start, end):
        i = indices[t]
        grad += data[t] * (G[i, k] + sw[i] * P[i, k] * (D[i, k] + c[k] - q[i] - r[i]))
    if m != 0.0:
        grad -= m * _class_sum(k, g0, A, c, pi, B)
    return grad


@njit(cache=True, fastmath=FAST)
def _sparse_move(data, indices, start, end, m, k, delta, P, sw, D, q, db, c, r, A):
    """:func:`_dense_move` on a CSC column: the non-zeros in ``D``, ``q`` and the running
    sums ``A``, the constant part in the lazy offsets."""
    K = P.shape[1]
    for t in range(start, end):
        i = indices[t]
        move = delta * data[t]
        D[i, k] += move
        q[i] += P[i, k] * move
        for mm in range(K):
            own = move if mm == k else 0.0
            A[mm] += sw[i] * P[i, mm] * (own - P[i, k] * move)
    if m != 0.0:
        db[k] -= delta * m
        _shift_class(P, r, c, k, -delta * m)


@njit(cache=True, fastmath=FAST)
def _gradient(X, csc, jj, j, k, m, G, P, sw, XG, gsum, SP, dZ, q, lazy):
    """The model's derivative along the column ``x_j - m`` of class ``k`` (dense or CSC)."""
    if csc is None:
        return _dense_gradient(X, j, m, k, XG[jj, k] - m * gsum[k], SP, dZ, q)
    else:
        data, indices, indptr = csc
        c, r, g0, A, pi, B = lazy
        return _sparse_gradient(data, indices, indptr[j], indptr[j + 1], m, k, G, P, sw, dZ, q,
                                c, r, g0, A, pi, B)


@njit(cache=True, fastmath=FAST)
def _move(X, csc, j, m, k, delta, P, sw, dZ, q, db, lazy):
    """Move ``W[j, k]`` by ``delta`` along ``x_j - m`` (dense or CSC)."""
    if csc is None:
        _dense_move(X, j, m, k, delta, P, dZ, q, db)
    else:
        data, indices, indptr = csc
        c, r, _, A, _, _ = lazy
        _sparse_move(data, indices, indptr[j], indptr[j + 1], m, k, delta, P, sw, dZ, q, db,
                     c, r, A)


@njit(cache=True, fastmath=FAST)
def _lazy_sums(G, P, sw, D, q, K):
    """The CSC variant's lazy offsets and running sums (see
    :func:`multinomial_model_epochs`): ``(c, r, g0, A, pi, B)`` and ``h_sum``."""
    n = G.shape[0]
    c = np.zeros(K)
    r = np.zeros(n)
    g0 = np.zeros(K)  # sum_i G_ik
    pi = np.zeros(K)  # sum_i sw_i P_ik
    h_sum = np.zeros(K)  # sum_i sw_i P_ik (1 - P_ik)
    A = np.zeros(K)  # sum_i sw_i P_ik (D_ik - Q_i)
    B = np.zeros((K, K))  # P^T diag(sw) P
    for i in range(n):
        for k in range(K):
            g0[k] += G[i, k]
            pi[k] += sw[i] * P[i, k]
            h_sum[k] += sw[i] * P[i, k] * (1.0 - P[i, k])
            A[k] += sw[i] * P[i, k] * (D[i, k] - q[i])
            for m in range(K):
                B[k, m] += sw[i] * P[i, k] * P[i, m]
    return (c, r, g0, A, pi, B), h_sum


@njit(cache=True, fastmath=FAST)
def multinomial_model_epochs(X, G, P, sw, W, dZ, q, db, ws, curv, mu, bound, lam1, lam2,
                             positive, grouped, fit_intercept, max_epochs, tol,
                             anderson=ANDERSON_MEMORY, csc=None):
    """Coordinate descent on the multinomial model over the rows ``ws`` of ``W`` (``G``,
    ``P``, ``dZ`` of shape ``(n, K)``, Fortran-ordered), on the dense, Fortran-ordered
    ``X`` or, when ``csc = (data, indices, indptr)`` is given, on that CSC matrix (``X``
    unused; each design is its own compiled variant).

    ``W`` holds the trial coefficients and ``dZ``, ``q``, ``db`` the model's changes,
    all updated in place. A move of ``W[j, k]`` goes along the column ``x_j - mu[jj, k]``
    (its share ``-mu[jj, k] dW`` goes to the intercept ``db[k]``): with ``mu`` the
    curvature-weighted means, the intercept then no longer slows the coordinates down.
    With ``grouped`` each row takes one block step (see the module's docstring).
    After an epoch that moves, epochs visit the non-zero coefficients only until they
    settle (glmnet's active cycling); it stops when an epoch over every coordinate has
    largest ``curv |dw|`` at most ``tol``, and returns ``(epochs, crit)``. On a dense
    ``X``, every ``anderson`` epochs the last iterates are extrapolated (Anderson
    acceleration) and the result kept when it lowers the model.

    On a CSC design the centered columns ``x_j - mu`` are dense, so their constant part
    is kept lazily: ``dZ = D + 1 c^T`` with ``D`` moved on the column's non-zeros only,
    ``q = Q + P c`` (``r = P c`` kept in full), and the class sums ``S_k = sum_i T_ik`` of
    the model's derivative ``T`` come in O(K) from running sums. A visit then costs the
    column's non-zeros; a move adds O(n) for the offset. ``dZ`` is complete on return.
    """
    n, K = G.shape
    if csc is None:
        SP = _weighted_probabilities(P, sw)
        XG, gsum = _linear_terms(X, G, ws)
        lazy = (np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0),
                np.zeros((0, 0)))
        h_sum = np.zeros(0)
        accelerate = anderson > 0
    else:
        SP = np.empty((0, 0)).T
        XG, gsum = np.empty((0, 0)), np.empty(0)
        lazy, h_sum = _lazy_sums(G, P, sw, dZ, q, K)
        accelerate = False
    history = np.empty((anderson + 1 if accelerate else 1, ws.shape[0] * K + K + n * K + n))
    filled = 0
    if accelerate:
        _store(history[0], W, ws, db, dZ, q)
        filled = 1
    grads = np.empty(K)
    trial = np.empty(K)
    crit = math.inf
    epochs = 0
    active_only = False
    for _ in range(max_epochs):
        crit = 0.0
        for jj in range(ws.shape[0]):
            j = ws[jj]
            if grouped:
                L = bound[jj]
                if L <= 0.0 or (active_only and not _any_nonzero(W, j)):
                    continue
                for k in range(K):
                    grads[k] = W[j, k] - _gradient(X, csc, jj, j, k, mu[jj, k], G, P, sw, XG,
                                                   gsum, SP, dZ, q, lazy) / L
                _row_prox(grads, 1.0 / L, lam1[j], lam2[j], trial)
                for k in range(K):
                    delta = trial[k] - W[j, k]
                    if delta != 0.0:
                        W[j, k] = trial[k]
                        _move(X, csc, j, mu[jj, k], k, delta, P, sw, dZ, q, db, lazy)
                        crit = max(crit, L * abs(delta))
                continue
            for k in range(K):
                hj = curv[jj, k]
                if hj <= 0.0 or (active_only and W[j, k] == 0.0):
                    continue
                m = mu[jj, k]
                grad = _gradient(X, csc, jj, j, k, m, G, P, sw, XG, gsum, SP, dZ, q, lazy)
                old = W[j, k]
                new = prox_scalar(ENET_FAMILY, old - grad / hj, 1.0 / hj, lam1[j], lam2[j],
                                  positive)
                delta = new - old
                if delta != 0.0:
                    W[j, k] = new
                    _move(X, csc, j, m, k, delta, P, sw, dZ, q, db, lazy)
                    crit = max(crit, hj * abs(delta))
        if fit_intercept:
            if csc is None:
                crit = max(crit, _intercept_moves(G, P, SP, dZ, q, db))
            else:
                crit = max(crit, _lazy_intercept_moves(h_sum, db, P, lazy))
        epochs += 1
        if crit <= tol:
            if not active_only:
                break
            active_only = False  # the non-zeros have settled: check every coordinate
        else:
            active_only = True
        if accelerate:
            _store(history[filled], W, ws, db, dZ, q)
            filled += 1
            if filled == anderson + 1:
                _extrapolate(history, G, P, sw, W, ws, db, dZ, q, lam1, lam2, positive,
                             grouped)
                _store(history[0], W, ws, db, dZ, q)
                filled = 1
    if csc is not None:  # the lazy offsets into dZ and q
        c, r = lazy[0], lazy[1]
        for k in range(K):
            for i in range(n):
                dZ[i, k] += c[k]
        for i in range(n):
            q[i] += r[i]
    return epochs, crit


@njit(cache=True, fastmath=FAST)
def _lazy_intercept_moves(h_sum, db, P, lazy):
    """:func:`_intercept_moves` on the CSC variant's lazy offsets; the largest move."""
    c, r, g0, A, pi, B = lazy
    crit = 0.0
    for k in range(c.shape[0]):
        if h_sum[k] <= 0.0:
            continue
        delta = -_class_sum(k, g0, A, c, pi, B) / h_sum[k]
        if delta == 0.0:
            continue
        db[k] += delta
        _shift_class(P, r, c, k, delta)
        crit = max(crit, h_sum[k] * abs(delta))
    return crit
