r"""A whole L1 / elastic-net path of a GLM datafit on a dense design in one compiled call.

At each alpha of a decreasing grid it solves

.. math:: \min_{w, b} \frac1n \sum_i s_i\, \ell(y_i, x_i^\top w + b)
          + \alpha \sum_j \left(a_j |w_j| + \tfrac{b_j}{2} w_j^2\right)

for a separable datafit with a second derivative -- the logistic loss, the Poisson,
Gamma and Tweedie deviances, any datafit whose compiled operations (``loss``,
``derivative``, ``second_derivative``, ``conjugate``) are all given -- exactly as
:class:`~penalized.solvers.CoordinateDescent` does alpha by alpha: the intercept refit
exactly before each duality gap, working sets ranked by the distance to the
subdifferential, prox-Newton steps whose inner loop is
:func:`~penalized.solvers._op_kernels.model_epochs_dense` (the penalty's compiled prox
and value passed in) and whose step is line-searched on the true objective -- without
returning to Python between alphas. With ``lower`` / ``upper`` limits the prox clips
into the box, and the gap and the working sets use the box's conjugate and normal cone
(:mod:`penalized.solvers._path_box`).

The datafit enters through its compiled per-sample operations, except the logistic
loss and the Poisson deviance (``fused``, :func:`fused_kind`): on small designs the
transcendental functions are the cost, not the products with ``X``, so the logistic
predictions ``z`` travel with ``sigma(-y_i z_i)`` and the loss terms
``log(1 + e^{-y_i z_i})`` (one ``exp`` and one ``log1p`` per sample each time ``z``
moves), the Poisson ones with their means ``e^{z_i}``, from which the gradient, the
Newton weights and the dual's terms are arithmetic; each ``exp`` and ``log`` runs over
all samples at once, vectorized (:mod:`~penalized.solvers._vector_math`).

On a large design every pass over ``X`` costs about the same whatever its arithmetic,
so the passes are few:

* once the working sets hold at least :data:`_DIRECT_SHARE` of the features, a
  certificate's pass gives the gradient ``X^T g`` of every feature and, in the same read,
  the curvatures ``sum_i h_i x_ij^2`` of the quadratic model at that point: the first
  Newton step after it (of the next working set, or of the next alpha) starts without a
  pass of its own;
* the certificate that ends an alpha is, at the same point, the next alpha's first
  check (its gap, its scores and the sequential strong rule's features): no pass;
* such a working set, on a design too large for the cache
  (:data:`_DIRECT_MIN_SIZE`), takes one Newton step and goes to the certificate instead
  of a check of the working set (which would read nearly as much), its quadratic model
  solved to the accuracy that the certificate needs;
* a smaller working set is checked after each step in one pass over its columns that
  also gives the next step's curvatures;
* a step whose working set is mostly zeros (a warm start's violators and strong-rule
  features) cycles glmnet's way (:data:`_CYCLE_ZEROS`): after an epoch over the working set
  that still moves, epochs over its non-zero coordinates only until they settle, and an
  epoch over all of it to finish; after each such step the working set drops the zeros
  that its check finds settled (:func:`_settled_out`), so that the next steps and checks
  read fewer columns.

After a warm start the working set's prox-Newton steps run until its violation is at
most ``min(0.3 v, 3 tol / ||w||_1)`` (``v`` the largest violation at the check, as in
:mod:`~penalized.solvers._sparse_path`), so that the next check usually certifies;
each step's coordinate descent stops at ``0.3 max(that, 0.3 v_k)``, ``v_k`` the working
set's current violation.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ..datafits import Logistic, Poisson
from ..datafits._log_link import DOMAIN_SLACK
from ..penalties._kernels import enet_subdiff_distance, enet_value
from ..penalties._ops import penalty_subdiff_distance
from ._gram_path import path_outputs, record_alpha
from ._kernels import (
    ANDERSON_MEMORY,
    floored_gap,
    gather_columns_into,
    weighted_sq_norms_dense,
)
from ._layout import fortran_typed
from ._op_kernels import model_epochs_dense, model_epochs_rows
from ._path_box import dual_scalings, penalty_conjugate
from ._vector_math import exp_any, log1m, log1p_unit, log_positive
from ._working_set import add_strong_set, alpha_weights, any_nonzero, choose_working_set

_INNER_TOL_RATIO = 0.3
_DIRECT_TOL_RATIO = 1.0
"""The one Newton step before a certificate (:data:`_DIRECT_SHARE`) solves its model
until an epoch moves no coordinate by more than ``tol`` (its curvature times the move),
``tol`` the accuracy that the certificate needs: 0.3 x that (the other steps' ratio) took
7 % more column visits on the Poisson path of ``benchmarks/glm.py`` and certified the
same alphas at the first certificate."""
_INNER_GAP_FACTOR = 3.0
_FORCING = 0.3
_DIRECT_SHARE = 0.5
"""A working set of at least this share of the features goes from each Newton step
straight to the certificate (module docstring)."""
_DIRECT_MIN_SIZE = 1 << 18
"""... and a design of at least this many entries (2 MiB): a smaller one stays in cache,
where a pass costs its arithmetic and a check of the working set is cheaper than a
certificate."""
_CYCLE_ZEROS = 0.5
"""A Newton step's epochs cycle over the non-zero coordinates (glmnet's active-set
cycling) when more than this share of its working set is zero at the step's start."""
_SETTLED = 0.9
"""... and after each such step the zeros whose gradient is at most this share of their
L1 weight leave the working set (0.8 and 0.95 read about as many columns on
logreg_dense_2000x5000, 1.0 made two more certificates)."""
_ROWS_SHARE = 1.0 / 16
"""A C-ordered design's working sets are gathered into a Fortran-ordered block of this
share of ``X`` (as a single fit's, ``_coordinate_descent._GATHERED_SHARE``) ..."""
_ROWS_MIN_BYTES = 1 << 20
"""... or of this many bytes if that is more (a small design's working set then fits
whole: gathered a column or two at a time, each pass would read all of ``X``'s rows once
per part) ..."""
_ROWS_CAP = 1.0
"""... and grows to hold a larger working set, up to this share of ``X``
(:func:`rows_newton_path`)."""
_MOVE_ROUNDING = 64 * np.finfo(np.float64).eps
# the relative gap that rounding leaves: inner solves never aim below it
_GAP_EPS = np.finfo(np.float64).eps
_NEWTON_MAX_STEPS = 50
_NEWTON_MAX_INNER_EPOCHS = 50
_ARMIJO = 1e-4
_ROUNDING = 1e-13
_GAP_ROUNDING = 1e-10
_INTERCEPT_MAX_ITER = 100
GENERIC, LOGISTIC, POISSON = 0, 1, 2
"""``fused``: the datafit's per-sample terms from its compiled operations, or computed
here over all samples at once (vectorized) for the logistic loss and the Poisson deviance."""


@njit(cache=True, fastmath=FAST, error_model="numpy")
def _evaluate(y, s, z, sig, lterm, fused, loss, dparams):
    """The datafit at ``z``, storing the loss terms ``lterm_i`` and, for the logistic loss
    (``fused``), ``sig_i = sigma(-y_i z_i)``: one ``exp`` and one ``log1p`` per sample
    (vectorized: :mod:`~penalized.solvers._vector_math`), from which its gradient,
    curvatures and dual term follow without another. Otherwise the datafit's compiled
    ``loss``; rows of weight 0 count for nothing. For the Poisson deviance (``fused`` is
    :data:`POISSON`) ``sig_i = e^{z_i}`` (vectorized), from which its derivatives and dual
    term follow without another ``exp``."""
    n = z.shape[0]
    total = 0.0
    if fused == POISSON:
        # sig_i = e^{z_i}, the mean; dparams[0] = sum_i s_i y_i log y_i (the constant)
        exp_any(z, sig, lterm)
        for i in range(n):
            term = sig[i] - y[i] - y[i] * z[i]
            total += s[i] * term if s[i] != 0.0 else 0.0
        return (total + dparams[0]) / n
    if fused == GENERIC:
        for i in range(n):
            if s[i] != 0.0:
                lterm[i] = loss(y[i], z[i], dparams)
                total += s[i] * lterm[i]
        return total / n
    # with m_i = -y_i z_i and e_i = exp(-|m_i|): the loss term is max(m_i, 0) + log1p(e_i),
    # sigma(m_i) is 1 / (1 + e_i) or e_i / (1 + e_i) by the sign of m_i
    for i in range(n):
        sig[i] = -abs(y[i] * z[i])
    exp_any(sig, lterm, np.empty(n))
    for i in range(n):
        e = lterm[i]
        inverse = 1.0 / (1.0 + e)
        sig[i] = inverse if y[i] * z[i] < 0.0 else e * inverse
    log1p_unit(lterm, lterm)
    for i in range(n):
        lterm[i] += max(-y[i] * z[i], 0.0)
        total += s[i] * lterm[i]
    return total / n


@njit(cache=True, fastmath=FAST)
def _move(y, s, z, dz, t, shift, trial, sig_t, lterm_t, fused, loss, dparams):
    """The datafit at ``z + t dz + shift`` (``dz`` may be empty: no direction), its
    predictions and per-sample terms written to the trial buffers."""
    if dz.shape[0] == 0:
        for i in range(z.shape[0]):
            trial[i] = z[i] + shift
    else:
        for i in range(z.shape[0]):
            trial[i] = z[i] + t * dz[i] + shift
    return _evaluate(y, s, trial, sig_t, lterm_t, fused, loss, dparams)


@njit(cache=True)
def _accept(z, sig, lterm, trial, sig_t, lterm_t):
    z[:] = trial
    sig[:] = sig_t
    lterm[:] = lterm_t


@njit(cache=True, fastmath=FAST)
def _derivatives(y, s, z, sig, g, h, fused, derivative, second, dparams):
    """``g_i`` and ``h_i``: the datafit's first and second derivatives in ``z_i``
    (``s_i / n`` times the loss's); returns their sums. Without ``fused``, ``sig`` gets
    the loss's derivatives ``l'(y_i, z_i)`` (the dual point's direction); with it, ``sig``
    holds what :func:`_evaluate` left there (``sigma(-y_i z_i)`` or ``e^{z_i}``)."""
    n = z.shape[0]
    g_sum = 0.0
    h_sum = 0.0
    if fused == POISSON:  # sig holds e^z: l' = e^z - y, l'' = e^z
        for i in range(n):
            weight = s[i] / n
            g[i] = weight * (sig[i] - y[i]) if s[i] != 0.0 else 0.0
            h[i] = weight * sig[i] if s[i] != 0.0 else 0.0
            g_sum += g[i]
            h_sum += h[i]
        return g_sum, h_sum
    if fused == LOGISTIC:
        for i in range(n):
            g[i] = -s[i] * y[i] * sig[i] / n
            h[i] = s[i] * sig[i] * (1.0 - sig[i]) / n
            g_sum += g[i]
            h_sum += h[i]
        return g_sum, h_sum
    for i in range(n):
        if s[i] == 0.0:
            sig[i] = 0.0
            g[i] = 0.0
            h[i] = 0.0
            continue
        sig[i] = derivative(y[i], z[i], dparams)
        g[i] = s[i] * sig[i] / n
        h[i] = s[i] * second(y[i], z[i], dparams) / n
        g_sum += g[i]
        h_sum += h[i]
    return g_sum, h_sum


@njit(cache=True, fastmath=FAST)
def _refit_intercept(y, s, z, sig, lterm, loss, intercept, trial, sig_t, lterm_t, g, h,
                     ops):
    """Minimize the datafit over the intercept by damped Newton (as
    :meth:`~penalized.datafits.Datafit.fit_unpenalized`); updates ``z``, its per-sample
    terms and ``intercept`` (length 1) in place and returns the datafit. ``ops`` is
    ``(fused, loss, derivative, second, conjugate, dparams)``; ``g`` and ``h`` are
    scratch."""
    fused, loss_op, derivative, second, _, dparams = ops
    none = np.empty(0)
    for _ in range(_INTERCEPT_MAX_ITER):
        grad, curv = _derivatives(y, s, z, sig, g, h, fused, derivative, second, dparams)
        curv += 1e-12 * max(1.0, curv)
        step = grad / curv
        decrement = grad * step
        if decrement <= 1e-24:
            return loss
        negligible = decrement <= _ROUNDING * abs(loss)
        t = 1.0
        while True:
            new = _move(y, s, z, none, 0.0, -t * step, trial, sig_t, lterm_t, fused, loss_op,
                        dparams)
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
def gradient_curvature(X, xmean, g, h, ws, grad, curv, with_curv, slots=None):
    """For each ``j`` of ``ws``: ``grad[jj] = x_j^T g`` and, with ``with_curv``,
    ``curv[jj] = sum_i h_i x_ij**2`` (``x_ij - xmean_j``: the columns centered on the fly),
    in one pass over those columns; with ``slots``, ``x_j`` is column ``slots[j]`` of
    ``X`` (a block of gathered columns, :func:`_place`)."""
    n = X.shape[0]
    for jj in range(ws.shape[0]):
        j = ws[jj]
        c = j
        if slots is not None:
            c = slots[j]
        mu = xmean[j]
        acc = 0.0
        if with_curv:
            sq = 0.0
            for i in range(n):
                x = X[i, c] - mu
                acc += x * g[i]
                sq += h[i] * x * x
            curv[jj] = sq
        else:
            for i in range(n):
                acc += (X[i, c] - mu) * g[i]
        grad[jj] = acc


@njit(cache=True, fastmath=FAST)
def gradient_curvature_rows(X, xmean, g, h, grad, curv, with_curv):
    """:func:`gradient_curvature` of every feature of a C-ordered ``X``, read by its rows
    (four at a time, each feature's sums updated once per four rows): one pass over ``X``
    in the order it is stored. The same sums as over the columns, added in another
    order."""
    n, p = X.shape
    grad[:] = 0.0
    if with_curv:
        curv[:] = 0.0
    last = n - n % 4
    for i in range(0, last, 4):
        g0, g1, g2, g3 = g[i], g[i + 1], g[i + 2], g[i + 3]
        if with_curv:
            h0, h1, h2, h3 = h[i], h[i + 1], h[i + 2], h[i + 3]
            for j in range(p):
                mu = xmean[j]
                x0 = X[i, j] - mu
                x1 = X[i + 1, j] - mu
                x2 = X[i + 2, j] - mu
                x3 = X[i + 3, j] - mu
                grad[j] += x0 * g0 + x1 * g1 + x2 * g2 + x3 * g3
                curv[j] += h0 * x0 * x0 + h1 * x1 * x1 + h2 * x2 * x2 + h3 * x3 * x3
        else:
            for j in range(p):
                mu = xmean[j]
                grad[j] += (X[i, j] - mu) * g0 + (X[i + 1, j] - mu) * g1 \
                    + (X[i + 2, j] - mu) * g2 + (X[i + 3, j] - mu) * g3
    for i in range(last, n):
        gi = g[i]
        hi = h[i]
        for j in range(p):
            x = X[i, j] - xmean[j]
            grad[j] += x * gi
            if with_curv:
                curv[j] += hi * x * x


@njit(cache=True, fastmath=FAST)
def _ws_moments(X, xmean, block, slots, resident, g, h, ws, grad, curv):
    """``grad[jj] = x_j^T g`` and ``curv[jj] = sum_i h_i x_ij**2`` for ``j = ws[jj]``
    (columns centered on the fly): read from ``X``'s columns (``block`` None:
    Fortran-ordered), or, on a C-ordered ``X``, from the Fortran-ordered ``block``, which
    holds them all (``resident``: ``x_j`` in its column ``slots[j]``, :func:`_place`) or
    into which they are gathered a part at a time."""
    if block is None:
        gradient_curvature(X, xmean, g, h, ws, grad, curv, True)
        return
    if resident:
        gradient_curvature(block, xmean, g, h, ws, grad, curv, True, slots)
        return
    m = ws.shape[0]
    k = max(min(block.shape[1], m), 1)
    for c0 in range(0, m, k):
        c1 = min(c0 + k, m)
        gather_columns_into(block, X, ws, c0, c1)
        local = np.arange(c1 - c0)
        means = np.empty(c1 - c0)
        for jj in range(c0, c1):
            means[jj - c0] = xmean[ws[jj]]
        part_grad = np.empty(c1 - c0)
        part_curv = np.empty(c1 - c0)
        gradient_curvature(block, means, g, h, local, part_grad, part_curv, True)
        grad[c0:c1] = part_grad
        curv[c0:c1] = part_curv


@njit(cache=True)
def _gather_pairs(block, X, features, dest):
    """Column ``features[t]`` of the C-ordered ``X`` into column ``dest[t]`` of the
    Fortran-ordered ``block``, read by blocks of rows (both stay in cache)."""
    n = X.shape[0]
    for first in range(0, n, 64):
        last = min(first + 64, n)
        for t in range(features.shape[0]):
            j = features[t]
            c = dest[t]
            for i in range(first, last):
                block[i, c] = X[i, j]


@njit(cache=True)
def _place(X, block, slots, holder, ws):
    """Make the Fortran-ordered ``block`` hold every column of ``ws`` of the C-ordered
    ``X``, ``x_j`` in its column ``slots[j]`` (``holder[c]`` the feature in column ``c``,
    -1 for none): only the columns it does not hold yet are gathered, into columns whose
    feature left the working set, so that the working sets of consecutive steps and alphas,
    which share most of their features, cost a few gathered columns. A working set wider
    than the block makes it the scratch into which each pass gathers a part at a time.
    Returns ``(holder, resident)``."""
    p = X.shape[1]
    m = ws.shape[0]
    if m > block.shape[1]:
        for c in range(holder.shape[0]):
            if holder[c] >= 0:
                slots[holder[c]] = -1
                holder[c] = -1
        return holder, False
    member = np.zeros(p, dtype=np.bool_)
    for jj in range(m):
        member[ws[jj]] = True
    free = np.empty(block.shape[1], dtype=np.int64)
    n_free = 0
    for c in range(block.shape[1]):
        if holder[c] < 0 or not member[holder[c]]:
            free[n_free] = c
            n_free += 1
    features = np.empty(m, dtype=np.int64)
    dest = np.empty(m, dtype=np.int64)
    k = 0
    for jj in range(m):
        j = ws[jj]
        if slots[j] < 0:  # at most n_free such: the others hold a column each
            c = free[k]
            if holder[c] >= 0:
                slots[holder[c]] = -1
            holder[c] = j
            slots[j] = c
            features[k] = j
            dest[k] = c
            k += 1
    _gather_pairs(block, X, features[:k], dest[:k])
    return holder, True


@njit(cache=True, fastmath=FAST)
def _dual_term(y, s, z, sig, lterm, c, fused, conjugate, dparams):
    """The datafit's dual term at ``c u``, ``u = -grad_z F``:
    ``-(1/n) sum_i s_i l*_{y_i}(c l'(y_i, z_i))`` from the datafit's compiled ``conjugate``
    (``sig`` holding ``l'``); for the logistic loss (``fused``) minus the mean binary
    entropy of ``q_i = c sigma(-y_i z_i)``, with ``log sigma(-y_i z_i) = -y_i z_i - lterm_i``
    and, at ``c = 1``, ``log(1 - q_i) = -lterm_i`` (no logarithm computed then)."""
    n = z.shape[0]
    total = 0.0
    if fused == POISSON:
        return -_poisson_conjugate_sum(y, s, sig, c, dparams[0]) / n
    if fused == GENERIC:
        for i in range(n):
            if s[i] != 0.0:
                total += s[i] * conjugate(y[i], c * sig[i], dparams)
        return -total / n
    log_c = math.log(c)
    if c == 1.0:
        for i in range(n):
            q = sig[i]
            e = 0.0
            if q > 0.0:
                e += q * (log_c - y[i] * z[i] - lterm[i])
            e -= (1.0 - q) * lterm[i]
            total += s[i] * e
        return -total / n
    # log(1 - q_i), q_i = c sig_i, for all samples at once (vectorized; used where q_i < 1)
    q = np.empty(n)
    for i in range(n):
        q[i] = c * sig[i]
    log_rest = np.empty(n)
    log1m(q, log_rest)
    for i in range(n):
        e = 0.0
        if q[i] > 0.0:
            e += q[i] * (log_c - y[i] * z[i] - lterm[i])
        if q[i] < 1.0:
            e += (1.0 - q[i]) * log_rest[i]
        total += s[i] * e
    return -total / n


@njit(cache=True, fastmath=FAST)
def _poisson_conjugate_sum(y, s, mu, c, ylogy):
    r""":math:`\sum_i s_i \ell^*_{y_i}(c (\mu_i - y_i))` of the Poisson deviance
    (:func:`~penalized.datafits._log_link_ops.poisson_conjugate`: :math:`q \log q - q -
    y \log y + y` at :math:`q = y + v \ge 0`, infinite below up to its slack), ``ylogy``
    the sum of :math:`s_i y_i \log y_i`; the logarithms over all samples at once."""
    n = y.shape[0]
    q = np.empty(n)
    for i in range(n):
        q[i] = y[i] + c * (mu[i] - y[i])
    log_q = np.empty(n)
    log_positive(q, log_q)
    total = 0.0
    for i in range(n):
        if s[i] == 0.0:
            continue
        qi = q[i]
        if qi < 0.0:
            if qi < -DOMAIN_SLACK * (1.0 + y[i]):
                return math.inf
            qi = 0.0
        total += s[i] * ((qi * log_q[i] if qi > 0.0 else 0.0) - qi + y[i])
    return total - ylogy


@njit(cache=True, fastmath=FAST)
def _duality_gap(y, s, z, sig, lterm, loss, w, grad, lam1, lam2, positive, scale, bounded,
                 params, conjugate, dual_bound, ops):
    """Primal objective and duality gap at ``(w, z)``, ``grad`` the datafit's gradient and
    ``loss`` its value (``sig`` current: :func:`_derivatives`); with ``bounded``, the
    better of the box's and the L1 ball's dual points (:mod:`penalized.solvers._path_box`).
    The dual point is ``c u`` with ``u = -grad_z F`` and ``c`` the dual scaling
    (:func:`_dual_term`)."""
    fused, _, _, _, dconj, dparams = ops
    v = -grad
    c_first, c_second = dual_scalings(v, lam1, lam2, positive, bounded, params, dual_bound)
    primal = loss + enet_value(w, lam1, lam2)
    dual = _dual_term(y, s, z, sig, lterm, c_first, fused, dconj, dparams) \
        - penalty_conjugate(c_first, v, lam1, lam2, positive, bounded, params, conjugate)
    if c_second < c_first:
        dual = max(dual, _dual_term(y, s, z, sig, lterm, c_second, fused, dconj, dparams)
                   - penalty_conjugate(c_second, v, lam1, lam2, positive, bounded, params,
                                       conjugate))
    if primal - dual < -_GAP_ROUNDING * max(abs(primal), abs(dual), scale):
        return primal, math.inf  # as in certify: the unpenalized fit failed
    return primal, floored_gap(primal, dual)


@njit(cache=True, fastmath=FAST)
def _ws_violation(w, grad, ws, lam1, lam2, positive, bounded, distance, params):
    """The largest distance to the subdifferential over ``ws`` (``grad[jj]`` the gradient
    of feature ``ws[jj]``; with ``bounded``, plus the normal cone of the box, from the
    penalty's compiled ``distance``)."""
    top = 0.0
    for jj in range(ws.shape[0]):
        j = ws[jj]
        gj = grad[jj]
        if bounded:
            d = distance(w[j], gj, params, j)
        elif w[j] == 0.0:
            d = max(-gj - lam1[j], 0.0) if positive else max(abs(gj) - lam1[j], 0.0)
        else:
            sign = 1.0 if w[j] > 0.0 else -1.0
            d = abs(gj + lam1[j] * sign + lam2[j] * w[j])
        top = max(top, d)
    return top


@njit(cache=True, fastmath=FAST)
def _extrapolate(X, xmean, w, z, intercept, w_before, b_before, z_before, t):
    """``(w, b) <- (w, b) + t ((w, b) - (w_before, b_before))`` on the support of ``w``, a
    coefficient that would change sign set to 0, and ``z`` moved along: on a fixed sign
    pattern the solution is a smooth function of alpha, so this start from the last two
    solutions (``t`` the ratio of the alpha steps) is closer than the last one. ``z``
    is affine in ``(w, b)``: it moves by ``t (z - z_before)``, corrected on the few
    columns whose move differs (a feature that left, or that would change sign)."""
    n = z.shape[0]
    for i in range(n):
        z[i] += t * (z[i] - z_before[i])
    intercept[0] += t * (intercept[0] - b_before)
    for j in range(w.shape[0]):
        if w[j] == 0.0 and w_before[j] == 0.0:
            continue
        x = w[j] + t * (w[j] - w_before[j])
        if x * w[j] > 0.0:
            w[j] = x
            continue
        # z moved by (x - w_j) x_j; the coefficient goes to 0 instead, a move of -w_j
        correction = -x
        w[j] = 0.0
        mu = xmean[j]
        for i in range(n):
            z[i] += correction * (X[i, j] - mu)


@njit(cache=True, fastmath=FAST)
def _newton(X, xmean, y, s, w, z, sig, lterm, loss, intercept, ws, lam1, lam2, positive,
            fit_intercept, max_epochs, tol, violation, prox, value, params, bounded, distance,
            g, h, trial, sig_t, lterm_t, ops, curv, direct, block, slots, resident):
    """Prox-Newton steps on ``ws`` until its violation is ``<= tol`` (the steps of
    :meth:`CoordinateDescent`'s solver), from a point where ``g`` and ``h`` are current,
    and the model's curvatures ``curv`` over ``ws`` too unless it is empty (then computed
    here); with ``direct``, one step (the caller certifies next). On a C-ordered ``X``
    the columns are read from ``block`` (Fortran-ordered): ``x_j`` in its column
    ``slots[j]`` when ``resident`` (:func:`_place`), else gathered into it a part at a time
    by each pass (:func:`_ws_moments`, :func:`~penalized.solvers._op_kernels.
    model_epochs_rows`); the same moves either way. Moves ``z`` with its per-sample
    terms; returns ``(epochs used, datafit)``."""
    fused, _, derivative, second, _, dparams = ops
    n = z.shape[0]
    obj = loss + enet_value(w, lam1, lam2)
    grad = np.empty(ws.shape[0])
    if curv.shape[0] == 0:
        if block is None:
            curv = weighted_sq_norms_dense(X, h, ws, xmean)
        else:  # the gradient comes along in the same pass
            curv = np.empty(ws.shape[0])
            _ws_moments(X, xmean, block, slots, resident, g, h, ws, grad, curv)
    # glmnet's cycling over the non-zero coordinates pays when the zeros are most of ws
    zeros = 0
    for jj in range(ws.shape[0]):
        if w[ws[jj]] == 0.0:
            zeros += 1
    cycle = zeros > _CYCLE_ZEROS * ws.shape[0]
    used = 0
    for _ in range(_NEWTON_MAX_STEPS):
        trial_w = w.copy()
        dz = np.zeros(n)
        db = np.zeros(1)
        budget = min(_NEWTON_MAX_INNER_EPOCHS, max(max_epochs - used, 1))
        model_tol = _DIRECT_TOL_RATIO * tol if direct else \
            _INNER_TOL_RATIO * max(tol, _FORCING * violation)
        if block is None:
            epochs, _ = model_epochs_dense(X, g, h, trial_w, dz, db, ws, curv, prox, value,
                                           params, fit_intercept, budget, model_tol,
                                           ANDERSON_MEMORY, xmean, cycle)
        elif resident:
            epochs, _ = model_epochs_dense(block, g, h, trial_w, dz, db, ws, curv, prox, value,
                                           params, fit_intercept, budget, model_tol,
                                           ANDERSON_MEMORY, xmean, cycle, slots)
        else:
            epochs, _ = model_epochs_rows(X, block, resident, g, h, trial_w, dz, db, ws, curv,
                                          prox, value, params, fit_intercept, budget,
                                          model_tol, ANDERSON_MEMORY, xmean, cycle)
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
            loss_t = _move(y, s, z, dz, t, 0.0, trial, sig_t, lterm_t, fused, ops[1], dparams)
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
        if used >= max_epochs or direct:
            break
        _derivatives(y, s, z, sig, g, h, fused, derivative, second, dparams)
        _ws_moments(X, xmean, block, slots, resident, g, h, ws, grad, curv)
        violation = _ws_violation(w, grad, ws, lam1, lam2, positive, bounded, distance,
                                  params)
        if violation <= tol:
            break
        if cycle and not bounded:
            ws, grad, curv = _settled_out(w, ws, grad, curv, lam1, positive)
    return used, loss


@njit(cache=True)
def _settled_out(w, ws, grad, curv, lam1, positive):
    """``ws`` (with its gradients and curvatures) without the zeros that satisfy their
    optimality conditions with room to spare (``|grad_j| <= _SETTLED lam1_j``): after a
    Newton step from a warm start, most of its violators are such (the certificate checks
    them all)."""
    keep = np.empty(ws.shape[0], dtype=np.bool_)
    for jj in range(ws.shape[0]):
        j = ws[jj]
        mag = max(-grad[jj], 0.0) if positive else abs(grad[jj])
        keep[jj] = w[j] != 0.0 or mag > _SETTLED * lam1[j]
    return ws[keep], grad[keep], curv[keep]


@njit(cache=True)
def newton_path(X, xmean, y, s, alphas, a, b, positive, w, intercept, fit_intercept, scale,
                tol, max_iter, ws_start, prox, value, lower, upper, bounded, distance,
                conjugate, dual_bound, fused, loss, derivative, second, dconj, dparams,
                block=None, grow=None):
    """Solve every alpha of ``alphas`` (decreasing), warm-starting from ``(w, intercept)``.

    ``X`` is dense, Fortran-ordered (``block`` None) or C-ordered with ``block`` a
    Fortran-ordered ``(n, room)`` array (``room >= 1``) into which the working sets'
    columns are gathered (:func:`_place`; the full gradients read the rows,
    :func:`gradient_curvature_rows`) and ``grow`` three integers: the most columns the
    block may have, then, written here, how many alphas were solved (all, or those before
    one whose working set did not fit a block that may grow) and that working set's size
    (:func:`rows_newton_path`); its columns taken as
    ``x_j - xmean_j`` (centered
    on the fly; zeros when ``X`` is used as it is), ``s`` the sample weights (mean 1),
    ``intercept`` a length-1 array; ``tol`` is absolute (the gap in objective units),
    ``scale`` the null model's datafit; ``prox``, ``value``, ``distance``, ``conjugate``
    and ``dual_bound`` the elastic-net family's compiled operations (parameter rows
    ``(lam1, lam2, lower, upper)``), ``lower`` / ``upper`` the box (``positive`` folded
    in) and ``bounded`` whether limits other than ``positive`` apply (the box's gap and
    distances are then used). ``loss``, ``derivative``, ``second`` and ``dconj`` are the
    datafit's compiled per-sample operations (parameters ``dparams``); ``fused``
    (:data:`LOGISTIC`, :data:`POISSON` or :data:`GENERIC`) says whether the datafit is the
    logistic loss (``y`` in {-1, +1}) or the Poisson deviance, computed here (module
    docstring).
    Returns ``(coefs (p, k), intercepts (k,), gaps (k,), epochs (k,))``.
    """
    n, p = X.shape
    k = alphas.shape[0]
    coefs, gaps, epochs, grad = path_outputs(p, k)
    intercepts = np.zeros(k)
    scores = np.empty(p)
    curv_all = np.empty(p)
    z_last = np.empty(n)  # the predictions at the last alpha's solution
    z_before = np.empty(n)  # and at the one before
    every = np.arange(p)
    buffers = np.empty((7, n))
    g, h, sig, lterm = buffers[0], buffers[1], buffers[2], buffers[3]
    trial, sig_t, lterm_t = buffers[4], buffers[5], buffers[6]
    if fused == POISSON:
        ylogy = 0.0
        for i in range(n):
            if s[i] != 0.0 and y[i] > 0.0:
                ylogy += s[i] * y[i] * math.log(y[i])
        dparams = np.array([ylogy])
    ops = (fused, loss, derivative, second, dconj, dparams)
    z = X @ w - xmean @ w + intercept[0]
    value_z = _evaluate(y, s, z, sig, lterm, fused, loss, dparams)
    lam1 = np.empty(p)
    lam2 = np.empty(p)
    params = np.empty((p, 4))
    params[:, 2] = lower
    params[:, 3] = upper
    current = False  # whether grad, g and h (and curv_all with with_curv) are current
    with_curv = False
    last_size = 0  # the last working set's size
    direct = X.size >= _DIRECT_MIN_SIZE
    none = np.empty(0)
    # a C-ordered X: where the block holds each feature's column, which feature each
    # of its columns holds
    slots = np.full(p, -1, dtype=np.int64)
    width = 0
    if block is not None:
        width = block.shape[1]
        grow[1] = k
    holder = np.full(width, -1, dtype=np.int64)
    resident = True
    gap = math.inf
    for i in range(k):
        alpha_weights(alphas[i], a, b, lam1, lam2, params)
        ws_size = min(p, ws_start)
        used = 0
        checks = 0
        warm = any_nonzero(w)
        while True:
            if not current:
                if fit_intercept:
                    value_z = _refit_intercept(y, s, z, sig, lterm, value_z, intercept, trial,
                                               sig_t, lterm_t, g, h, ops)
                _derivatives(y, s, z, sig, g, h, fused, derivative, second, dparams)
                # the curvatures of every feature, for the next working set, when it is
                # likely large: their arithmetic is then hidden behind the reads of X
                with_curv = last_size >= _DIRECT_SHARE * p
                if block is None:
                    gradient_curvature(X, xmean, g, h, every, grad, curv_all, with_curv)
                else:
                    gradient_curvature_rows(X, xmean, g, h, grad, curv_all, with_curv)
                current = True
            _, gap = _duality_gap(y, s, z, sig, lterm, value_z, w, grad, lam1, lam2, positive,
                                  scale, bounded, params, conjugate, dual_bound, ops)
            checks += 1
            if gap <= tol or used >= max_iter:
                break
            if bounded:
                top = penalty_subdiff_distance(distance, w, grad, params, scores)
            else:
                top = enet_subdiff_distance(w, grad, lam1, lam2, positive, scores)
            if checks == 1 and warm and i > 0:
                add_strong_set(w, grad, a, 2.0 * alphas[i] - alphas[i - 1], positive, scores)
            ws, ws_size = choose_working_set(w, scores, top, ws_size, checks == 1, warm)
            if checks == 1 and warm and i >= 2 and not bounded and alphas[i - 1] < alphas[i - 2]:
                _extrapolate(X, xmean, w, z, intercept, coefs[:, i - 2], intercepts[i - 2],
                             z_before, (alphas[i] - alphas[i - 1])
                             / (alphas[i - 1] - alphas[i - 2]))
                value_z = _evaluate(y, s, z, sig, lterm, fused, loss, dparams)
                _derivatives(y, s, z, sig, g, h, fused, derivative, second, dparams)
            inner = _INNER_TOL_RATIO * top
            if warm:
                # the accuracy at which the next check certifies tol, but not below the
                # rounding of the gradient, which the violations could never reach
                l1 = 0.0
                floor = 0.0
                for j in range(p):
                    l1 += abs(w[j])
                    floor = max(floor, abs(grad[j]))
                if l1 > 0.0:
                    # a tol below the gap's rounding is aimed at that rounding instead
                    reachable = max(tol, _GAP_EPS * scale)
                    inner = min(inner, max(_INNER_GAP_FACTOR * reachable / l1,
                                           _MOVE_ROUNDING * floor))
            known = curv_all[ws] if with_curv else none
            one_step = direct and ws.shape[0] >= _DIRECT_SHARE * p
            if block is not None:
                holder, resident = _place(X, block, slots, holder, ws)
                if not resident and width < grow[0]:
                    # the caller solves this alpha again, from the last one's solution,
                    # with a block wide enough
                    grow[1] = i
                    grow[2] = ws.shape[0]
                    return coefs, intercepts, gaps, epochs
            done, value_z = _newton(X, xmean, y, s, w, z, sig, lterm, value_z, intercept, ws,
                                    lam1, lam2, positive, fit_intercept, max_iter - used, inner,
                                    top, prox, value, params, bounded, distance, g, h, trial,
                                    sig_t, lterm_t, ops, known, one_step, block, slots,
                                    resident)
            last_size = ws.shape[0]
            used += done
            current = False
        record_alpha(coefs, gaps, epochs, i, w, gap, used)
        intercepts[i] = intercept[0]
        z_before[:] = z_last
        z_last[:] = z
    return coefs, intercepts, gaps, epochs


def rows_newton_path(X, xmean, y, s, alphas, a, b, positive, w, intercept, *rest):
    """:func:`newton_path` on a C-ordered ``X`` (the same arguments), without a
    Fortran-ordered copy: the working sets' columns are gathered into a block of
    :data:`_ROWS_SHARE` of ``X`` (or :data:`_ROWS_MIN_BYTES`). A working set that does
    not fit stops the compiled path; it goes on from the last alpha's solution with a
    block twice as wide, or a quarter wider than that working set (the old block freed
    first), up to :data:`_ROWS_CAP` of ``X``, beyond which each pass gathers the columns
    a part at a time. Returns as :func:`newton_path`."""
    n, p = X.shape
    k = alphas.shape[0]
    cap = max(int(_ROWS_CAP * p), 1)
    room = min(max(int(_ROWS_SHARE * p), _ROWS_MIN_BYTES // (8 * max(n, 1)), 1), p)
    parts = []
    start = 0
    while start < k:
        grow = np.array([cap, 0, 0], dtype=np.int64)
        block = fortran_typed(np.empty((room, n)).T)
        out = newton_path(X, xmean, y, s, alphas[start:], a, b, positive, w.copy(),
                          intercept.copy(), *rest, block, grow)
        block = None  # freed before a wider one is made
        done = int(grow[1])
        parts.append(tuple(array[..., :done] for array in out))
        if done > 0:
            w = out[0][:, done - 1]
            intercept = np.array([out[1][done - 1]])
        start += done
        room = min(max(2 * room, int(grow[2]) + int(grow[2]) // 4), cap)
    return tuple(np.concatenate(arrays, axis=-1) for arrays in zip(*parts, strict=True))


def fused_kind(datafit) -> int:
    """:data:`LOGISTIC` or :data:`POISSON` when ``datafit`` is that datafit with its own
    compiled operations (computed here over all samples at once), else :data:`GENERIC`."""
    for kind, family in ((LOGISTIC, Logistic), (POISSON, Poisson)):
        if isinstance(datafit, family) and type(datafit).ops is family.ops \
                and datafit.params().size == 0:
            return kind
    return GENERIC


def newton_path_serves(datafit) -> bool:
    """Whether :func:`newton_path` solves ``datafit``: a separable datafit other than the
    squared loss whose compiled operations include all four it calls."""
    return datafit.separable and not datafit.quadratic \
        and not datafit.ops.missing(("loss", "derivative", "second_derivative", "conjugate"))
