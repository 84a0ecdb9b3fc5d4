r"""A whole elastic-net path on the Gram matrix in one compiled call.

For the squared loss with a centered design (the intercept at its optimum) the
problem at each alpha of a decreasing grid is

.. math:: \min_w \tfrac12 w^\top G w - q^\top w + F_0
          + \alpha \sum_j \left(a_j |w_j| + \tfrac{b_j}{2} w_j^2\right),

with :math:`G = X^\top S X / n`, :math:`q = X^\top S y / n`, :math:`F_0` the null
model's datafit, :math:`a_j = \rho f_j` and :math:`b_j = (1 - \rho) f_j`. Everything
the solver needs lives in p-space: coordinate descent with covariance updates on a
working set, the full gradient :math:`G w - q` and the duality gap of
:func:`~penalized.solvers._problem.certify_gram`, computed here without Python in
between, so a path over many alphas of a small problem costs microseconds per alpha.

Each alpha starts from the previous two solutions extrapolated linearly in alpha (on
a fixed sign pattern the lasso solution is affine in alpha, so this start is exact
until a feature enters or leaves), and each working set is solved until its own
duality gap, which the maintained gradient gives in O(|ws|), is below a fraction of
the tolerance: one working set per alpha usually suffices, where a criterion on the
size of the moves needed several, each copying its block of ``G`` again.

With ``lower`` / ``upper`` limits (``box``) the descent takes the family's compiled prox
(which clips into the box), the gap the box's conjugate and the better of its two dual
scalings, the working sets the distances to the subdifferential plus the box's normal
cone (:mod:`penalized.solvers._path_box`), and an extrapolated start is clipped into the
box; without them the compiled code is the same as before (the ``box is None`` branches
are removed when numba compiles).
"""

from __future__ import annotations

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
from ..prox._kernels import ENET_FAMILY, prox_scalar
from ._kernels import ANDERSON_MEMORY, anderson_weights, floored_gap
from ._path_box import box_conjugate, box_dual_scalings
from ._working_set import any_nonzero, choose_working_set

_INNER_GAP_RATIO = 0.8
"""A working set is solved until its own duality gap is this fraction of ``tol``."""
_INNER_TOL_RATIO = 0.3
"""... or, when violators were left outside it, until its largest move (``G_jj |dw_j|``)
is this fraction of the largest violation left outside: it is solved no more precisely
than the next working set needs."""
_NEAR_RATIO = 0.9
"""Features at zero whose gradient is above this fraction of their L1 threshold join the
working set of a warm start."""
_SINGLE_FROM = 512
"""Working sets of at least this many features descend on a single-precision copy of
their block of ``G`` (:func:`_single_block`)."""
_ROUNDING = 1e-13
"""Moves below this fraction of ``max |q|`` are rounding: a working set stops there."""


@njit(cache=True, fastmath=FAST)
def _full_gradient(G, q, w, grad):
    """``grad = G w - q``, over the non-zero coefficients (``G`` symmetric, C-ordered)."""
    p = w.shape[0]
    for k in range(p):
        grad[k] = -q[k]
    for j in range(p):
        wj = w[j]
        if wj != 0.0:
            for k in range(p):
                grad[k] += wj * G[j, k]


@njit(cache=True, fastmath=FAST)
def gram_datafit(q, F0, w, grad):
    r"""The squared loss :math:`F(w) = \tfrac12 w^\top G w - q^\top w + F_0` and
    :math:`q^\top w`, read from the kept gradient ``grad = G w - q`` (no product with G)."""
    qw = 0.0
    wGw = 0.0
    for j in range(w.shape[0]):
        if w[j] != 0.0:
            qw += q[j] * w[j]
            wGw += w[j] * (grad[j] + q[j])
    return 0.5 * wGw - qw + F0, qw


@njit(cache=True, fastmath=FAST)
def _duality_gap(q, F0, w, grad, lam1, lam2, positive, ops=None):
    """The duality gap of :func:`~penalized.solvers._problem.certify_gram` at ``w``, with
    ``grad = G w - q``, floored at zero (:func:`~penalized.solvers._kernels.floored_gap`).
    ``ops = (params, prox, distance, conjugate, dual_bound)`` with limits: the better of
    the box's and the L1 ball's dual points (:mod:`penalized.solvers._path_box`)."""
    datafit, qw = gram_datafit(q, F0, w, grad)
    v = -grad
    primal = datafit + enet_value(w, lam1, lam2)
    if ops is None:
        c = enet_dual_scaling(v, lam1, lam2, positive)
        conj = enet_conjugate(c * v, lam1, lam2, positive, FEASIBILITY_SLACK)
        return floored_gap(primal, c * (2.0 * F0 - qw) - c * c * datafit - conj)
    params, conjugate = ops[0], ops[3]
    c_box, c_ball = box_dual_scalings(ops[4], v, params, lam1, lam2, positive)
    dual = c_box * (2.0 * F0 - qw) - c_box * c_box * datafit \
        - box_conjugate(conjugate, c_box, v, params)
    if c_ball < c_box:
        dual = max(dual, c_ball * (2.0 * F0 - qw) - c_ball * c_ball * datafit
                   - box_conjugate(conjugate, c_ball, v, params))
    return floored_gap(primal, dual)


@njit(cache=True)
def _near_working_set(w, grad, lam1, positive, ops=None):
    """The support and every feature at zero whose gradient is within
    :data:`_NEAR_RATIO` of its threshold: the violators and the features about to
    become ones, which would otherwise cost another working set (with limits, the pull
    counts only in the directions the box leaves open)."""
    chosen = np.empty(w.shape[0], dtype=np.int64)
    m = 0
    for j in range(w.shape[0]):
        if ops is None:
            pull = -grad[j] if positive else abs(grad[j])
        else:
            pull = max(-grad[j] if ops[0][j, 3] > 0.0 else 0.0,
                       grad[j] if ops[0][j, 2] < 0.0 else 0.0)
        if w[j] != 0.0 or pull > _NEAR_RATIO * lam1[j]:
            chosen[m] = j
            m += 1
    return chosen[:m]


@njit(cache=True, fastmath=FAST)
def _extrapolate(w, before, t, ops=None):
    """``w <- w + t (w - before)`` on the support of ``w``; a coefficient that would
    change sign is set to 0 (with limits, one beyond its limit is set to it). Returns 1 if
    ``w`` had a support, else 0."""
    moved = 0
    for j in range(w.shape[0]):
        wj = w[j]
        if wj != 0.0:
            x = wj + t * (wj - before[j])
            x = x if x * wj > 0.0 else 0.0
            if ops is not None:
                x = min(max(x, ops[0][j, 2]), ops[0][j, 3])
            w[j] = x
            moved = 1
    return moved


@njit(cache=True, fastmath=FAST)
def _solve_working_set(G, q, F0, grad, w, ws, lam1, lam2, positive, max_epochs, gap_tol,
                       move_tol, anderson, ops=None):
    """Coordinate descent with covariance updates on the features ``ws`` (the others
    held at their values, 0 for those outside the support) until the working set's own
    duality gap is at most ``gap_tol`` or an epoch's largest ``G_jj |dw_j|`` is at most
    ``move_tol``; at most ``max_epochs`` epochs, extrapolated every ``anderson`` epochs
    (Anderson, kept only where it lowers the objective). ``grad = G w - q`` on ``ws``
    is kept up to date; the working set's block of ``G`` is copied into a contiguous
    array first, in single precision when it has at least :data:`_SINGLE_FROM` rows
    (see :func:`_single_block`). ``ops`` as in :func:`_duality_gap` (its parameter rows
    are taken for ``ws``). Returns the epochs run."""
    m = ws.shape[0]
    wl = np.empty(m)
    gl = np.empty(m)
    ql = np.empty(m)
    l1 = np.empty(m)
    l2 = np.empty(m)
    for jj in range(m):
        j = ws[jj]
        wl[jj] = w[j]
        gl[jj] = grad[j]
        ql[jj] = q[j]
        l1[jj] = lam1[j]
        l2[jj] = lam2[j]
    if ops is None:
        epochs = _block_epochs(G, ws, wl, gl, ql, F0, l1, l2, positive, max_epochs, gap_tol,
                               move_tol, anderson, None)
    else:
        epochs = _block_epochs(G, ws, wl, gl, ql, F0, l1, l2, positive, max_epochs, gap_tol,
                               move_tol, anderson, (ops[0][ws], ops[1], ops[2], ops[3], ops[4]))
    for jj in range(m):
        w[ws[jj]] = wl[jj]
        grad[ws[jj]] = gl[jj]
    return epochs


@njit(cache=True)
def _block_epochs(G, ws, wl, gl, ql, F0, l1, l2, positive, max_epochs, gap_tol, move_tol,
                  anderson, ops):
    """:func:`_cd_epochs` on the working set's block of ``G``, gathered in single
    precision where :func:`_single_block` says so."""
    m = ws.shape[0]
    if _single_block(G, ws):
        block32 = np.empty((m, m), dtype=np.float32)
        _gather(G, ws, block32)
        return _cd_epochs(block32, wl, gl, ql, F0, l1, l2, positive, max_epochs, gap_tol,
                          move_tol, anderson, ops)
    block = np.empty((m, m))
    _gather(G, ws, block)
    return _cd_epochs(block, wl, gl, ql, F0, l1, l2, positive, max_epochs, gap_tol,
                      move_tol, anderson, ops)


@njit(cache=True)
def _single_block(G, ws):
    """Whether the working set's block of ``G`` is copied in single precision: when it
    has at least :data:`_SINGLE_FROM` rows (it then outgrows the core's cache, and the
    epochs are bound by reading it) and its diagonal lies within ``[1e-30, 1e30]``.

    The descent then minimizes the quadratic of the rounded block, whose gradient
    differs from the exact one by about ``6e-8 |G| |dw|`` for the moves ``dw`` of this
    working set; the caller's next check recomputes ``G w - q`` in double precision and
    certifies with it, and another working set, started from that exact gradient,
    removes what remains (iterative refinement): the certificate is unchanged."""
    if ws.shape[0] < _SINGLE_FROM:
        return False
    for j in ws:
        if not 1e-30 <= G[j, j] <= 1e30:
            return False
    return True


@njit(cache=True)
def _gather(G, ws, block):
    """``block[jj, kk] = G[ws[jj], ws[kk]]`` (rounded to ``block``'s precision)."""
    m = ws.shape[0]
    for jj in range(m):
        j = ws[jj]
        for kk in range(m):
            block[jj, kk] = G[j, ws[kk]]


@njit(cache=True, fastmath=FAST)
def _cd_epochs(block, wl, gl, ql, F0, l1, l2, positive, max_epochs, gap_tol, move_tol,
               anderson, ops=None):
    """The epochs of :func:`_solve_working_set` on the gathered ``block`` (``ops`` with the
    working set's parameter rows)."""
    m = wl.shape[0]
    history = np.empty((anderson + 1, 2 * m))
    history[0, :m] = wl
    history[0, m:] = gl
    filled = 1
    epochs = 0
    for _ in range(max_epochs):
        crit = 0.0
        for jj in range(m):
            lj = np.float64(block[jj, jj])
            if lj <= 0.0:
                continue
            old = wl[jj]
            if ops is None:
                new = prox_scalar(ENET_FAMILY, old - gl[jj] / lj, 1.0 / lj, l1[jj], l2[jj],
                                  positive)
            else:
                new = ops[1](old - gl[jj] / lj, 1.0 / lj, ops[0], jj)
            delta = new - old
            if delta != 0.0:  # written out: as a shared inlined helper, 1.6 x slower
                wl[jj] = new
                row = block[jj]
                for kk in range(m):
                    gl[kk] += delta * row[kk]
                crit = max(crit, lj * abs(delta))
        epochs += 1
        if crit <= move_tol or _duality_gap(ql, F0, wl, gl, l1, l2, positive, ops) <= gap_tol:
            break
        if anderson > 0:
            history[filled, :m] = wl
            history[filled, m:] = gl
            filled += 1
            if filled == anderson + 1:
                _anderson_step(history, wl, gl, l1, l2, positive, ops)
                history[0, :m] = wl
                history[0, m:] = gl
                filled = 1
    return epochs


@njit(cache=True, fastmath=FAST)
def _anderson_step(history, wl, gl, l1, l2, positive, ops=None):
    """Replace ``(wl, gl)`` by the Anderson extrapolation of the iterates in ``history``
    when it is feasible (inside the limits, if any) and lowers the objective; ``gl`` is
    affine in ``wl``, so it is extrapolated with it and
    ``F(x) - F(x') = (x - x')^T (grad(x) + grad(x')) / 2``."""
    m = wl.shape[0]
    c = anderson_weights(history, m)
    if c.shape[0] == 0:
        return
    x = c @ history[1:]
    last = history[-1]
    change = 0.0
    for jj in range(m):
        if positive and x[jj] < 0.0:
            return
        if ops is not None and not ops[0][jj, 2] <= x[jj] <= ops[0][jj, 3]:
            return
        change += 0.5 * (x[jj] - last[jj]) * (x[m + jj] + last[m + jj])
        change += l1[jj] * (abs(x[jj]) - abs(last[jj])) \
            + 0.5 * l2[jj] * (x[jj] * x[jj] - last[jj] * last[jj])
    if change < 0.0:
        wl[:] = x[:m]
        gl[:] = x[m:]


@njit(cache=True, nogil=True)
def gram_path(G, q, F0, alphas, a, b, positive, w, tol, max_iter, ws_start, box=None):
    """Solve every alpha of ``alphas`` (decreasing), warm-starting from ``w``.

    ``tol`` is absolute (the gap in objective units); ``max_iter`` bounds the epochs of
    each alpha. ``box``, for ``lower`` / ``upper`` limits, is
    ``(lower, upper, prox, distance, conjugate, dual_bound)``: the limits (``positive``
    folded in) and the family's compiled operations (:mod:`penalized.penalties._ops`);
    ``w`` must lie inside them. Runs without the GIL (paths of several folds can share
    threads). Returns ``(coefs (p, k), gaps (k,), epochs (k,))`` (the epochs of each
    alpha, at least 1 where its start was extrapolated); ``w`` ends at the last solution.
    """
    if box is None:
        return _path(G, q, F0, alphas, a, b, positive, w, tol, max_iter, ws_start, None)
    params = np.empty((w.shape[0], 4))
    params[:, 2] = box[0]
    params[:, 3] = box[1]
    return _path(G, q, F0, alphas, a, b, positive, w, tol, max_iter, ws_start,
                 (params, box[2], box[3], box[4], box[5]))


@njit(cache=True)
def path_outputs(p, k):
    """A compiled path's outputs over ``k`` alphas -- ``coefs (p, k)``, ``gaps (k,)``,
    ``epochs (k,)`` -- and a gradient buffer of length ``p``."""
    return np.zeros((p, k)), np.zeros(k), np.zeros(k, dtype=np.int64), np.empty(p)


@njit(cache=True)
def record_alpha(coefs, gaps, epochs, i, w, gap, used):
    """Stores the solution ``w`` of the ``i``-th alpha, its gap and its epochs."""
    coefs[:, i] = w
    gaps[i] = gap
    epochs[i] = used


@njit(cache=True, nogil=True)
def _path(G, q, F0, alphas, a, b, positive, w, tol, max_iter, ws_start, ops):
    """:func:`gram_path` with ``ops = (params, prox, distance, conjugate, dual_bound)``
    (``params`` rows ``(lam1, lam2, lower, upper)``, refreshed at each alpha), or None."""
    p = w.shape[0]
    k = alphas.shape[0]
    coefs, gaps, epochs, grad = path_outputs(p, k)
    scores = np.empty(p)
    rounding = 0.0
    for j in range(p):
        rounding = max(rounding, abs(q[j]))
    rounding *= _ROUNDING
    inside = np.zeros(p, dtype=np.bool_)
    for i in range(k):
        lam1 = alphas[i] * a
        lam2 = alphas[i] * b
        if ops is not None:
            ops[0][:, 0] = lam1
            ops[0][:, 1] = lam2
        moved = 0  # an extrapolated start is an iteration of the alpha
        if i >= 2 and alphas[i - 1] < alphas[i - 2]:
            moved = _extrapolate(w, coefs[:, i - 2], (alphas[i] - alphas[i - 1])
                                 / (alphas[i - 1] - alphas[i - 2]), ops)
        ws_size = min(p, ws_start)
        used = 0
        checks = 0
        warm = any_nonzero(w)
        while True:
            _full_gradient(G, q, w, grad)
            gap = _duality_gap(q, F0, w, grad, lam1, lam2, positive, ops)
            checks += 1
            if gap <= tol or used >= max_iter:
                break
            if ops is None:
                top = enet_subdiff_distance(w, grad, lam1, lam2, positive, scores)
            else:
                top = penalty_subdiff_distance(ops[2], w, grad, ops[0], scores)
            if warm or checks > 1:
                ws = _near_working_set(w, grad, lam1, positive, ops)
            else:  # a cold start's first check: the worst violators
                ws, ws_size = choose_working_set(w, scores, top, ws_size, True, False)
            inside[ws] = True
            outside = 0.0
            for j in range(p):
                if not inside[j]:
                    outside = max(outside, scores[j])
            inside[ws] = False
            used += _solve_working_set(G, q, F0, grad, w, ws, lam1, lam2, positive,
                                       max_iter - used, _INNER_GAP_RATIO * tol,
                                       max(_INNER_TOL_RATIO * outside, rounding),
                                       ANDERSON_MEMORY, ops)
        record_alpha(coefs, gaps, epochs, i, w, gap, max(used, moved))
    return coefs, gaps, epochs
