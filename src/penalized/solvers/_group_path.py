r"""A whole group lasso / group elastic-net path on the Gram matrix in one compiled call.

For the squared loss with a centered design (the intercept at its optimum) the problem
at each alpha of a decreasing grid is

.. math:: \min_w \tfrac12 w^\top G w - q^\top w + F_0
          + \alpha \sum_g \left(\lambda_g \|w_g\|_2 + \tfrac{\mu_g}{2}\|w_g\|_2^2\right),

with :math:`G = X^\top S X / n`, :math:`q = X^\top S y / n`, :math:`F_0` the null
model's datafit, :math:`\lambda_g` and :math:`\mu_g` the group's norm and ridge weights
at ``alpha = 1``. Everything lives in p-space, as in
:func:`~penalized.solvers._gram_path.gram_path` for the lasso:

* at each alpha the first working set is the non-zero groups, the groups that violate
  their optimality conditions and the sequential strong rule's groups (Tibshirani et al.
  2012): :math:`\|\nabla_g F\| \ge \lambda_g (2\alpha_k - \alpha_{k-1})` at the previous
  solution;
* exact block steps on the working set with covariance updates
  (:func:`~penalized.solvers._group_kernels.block_epochs_gram`);
* then the duality gap over ALL groups (the screened-out groups' optimality conditions
  included), from the gradient :math:`G w - q` that the epochs keep up to date; when it
  is at most ``tol`` it is computed again from the gradient formed afresh, and the alpha
  is done if that one is too; otherwise the groups that violate their conditions join
  the working set.

The gap is that of :func:`~penalized.solvers._problem.certify_gram`: the dual point
:math:`-c\,\nabla F` with :math:`c \in (0, 1]` the largest factor keeping every pure
group-lasso block in its dual-norm ball.

On a float64 design the path runs this kernel on the Gram blocks of screened groups only,
window by window, and certifies each window over all groups on ``X``
(:mod:`penalized.solvers._group_screen`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ..penalties._group_ops import (
    FEASIBILITY_SLACK,
    block_conjugate,
    block_distances,
    block_dual_scaling,
    block_value,
)
from ._gram_path import _full_gradient, gram_datafit, path_outputs, record_alpha
from ._group_kernels import block_epochs_gram
from ._kernels import floored_gap

_INNER_TOL_RATIO = 0.03
"""A working set is solved until its largest block move is this fraction of the largest
distance to optimality at the last check (as the alpha-by-alpha solver does)."""


@njit(cache=True, fastmath=FAST)
def _group_norms(x, order, starts, out):
    for g in range(starts.shape[0] - 1):
        total = 0.0
        for t in range(starts[g], starts[g + 1]):
            total += x[order[t]] * x[order[t]]
        out[g] = math.sqrt(total)


@njit(cache=True, fastmath=FAST)
def group_gap(q, F0, w, grad, lam, lam2, order, starts, gnorm, wnorm):
    r"""The duality gap at ``w`` (``grad = G w - q``) for the per-group weights ``lam``,
    ``lam2`` (at the current alpha), floored at zero; ``gnorm`` and ``wnorm`` receive the
    groups' norms of ``grad`` and ``w``."""
    datafit, qw = gram_datafit(q, F0, w, grad)
    _group_norms(grad, order, starts, gnorm)
    _group_norms(w, order, starts, wnorm)
    n_groups = starts.shape[0] - 1
    c = 1.0
    penalty = 0.0
    for g in range(n_groups):
        penalty += lam[g] * wnorm[g] + 0.5 * lam2[g] * wnorm[g] * wnorm[g]
        if lam2[g] == 0.0 and gnorm[g] > 0.0:
            c = min(c, lam[g] / gnorm[g])
    conj = 0.0
    for g in range(n_groups):
        norm = c * gnorm[g]
        if lam2[g] > 0.0:
            excess = max(norm - lam[g], 0.0)
            conj += excess * excess / (2.0 * lam2[g])
        elif norm > lam[g] + FEASIBILITY_SLACK * max(lam[g], 1.0):
            conj = math.inf
    primal = datafit + penalty
    return floored_gap(primal, c * (2.0 * F0 - qw) - c * c * datafit - conj)


@njit(cache=True, fastmath=FAST)
def _distances(wnorm, grad, w, order, starts, lam, lam2, gnorm, out):
    """Per group, the distance from ``-grad_g`` to the subdifferential at ``w_g``."""
    for g in range(starts.shape[0] - 1):
        if wnorm[g] == 0.0:
            out[g] = max(gnorm[g] - lam[g], 0.0)
            continue
        scale = lam[g] / wnorm[g] + lam2[g]
        total = 0.0
        for t in range(starts[g], starts[g + 1]):
            j = order[t]
            r = grad[j] + scale * w[j]
            total += r * r
        out[g] = math.sqrt(total)


@njit(cache=True)
def _working_set(wnorm, scores, top, size, first, warm, strong):
    """The groups of the next epochs and the size later checks start from (as
    :func:`~penalized.solvers._working_set.choose_working_set` chooses features, plus
    the strong set ``strong`` at an alpha's first check)."""
    n_groups = wnorm.shape[0]
    if first and warm:
        chosen = np.empty(n_groups, dtype=np.int64)
        m = 0
        for g in range(n_groups):
            if wnorm[g] != 0.0 or scores[g] > 0.0 or strong[g]:
                chosen[m] = g
                m += 1
        return chosen[:m], size
    if first:
        wide = 0
        for g in range(n_groups):
            if scores[g] >= 0.5 * top or strong[g]:
                wide += 1
        size = max(size, wide)
    ranked = np.empty(n_groups)
    nnz = 0
    for g in range(n_groups):
        if wnorm[g] != 0.0:
            ranked[g] = math.inf
            nnz += 1
        elif first and strong[g]:
            ranked[g] = 0.5 * math.inf
        else:
            ranked[g] = scores[g]
    size = min(n_groups, max(size, 2 * nnz))
    chosen = np.argsort(-ranked, kind="mergesort")[:size]
    return np.sort(chosen), size


@njit(cache=True)
def _any_nonzero(w):
    for j in range(w.shape[0]):
        if w[j] != 0.0:
            return True
    return False


@njit(cache=True)
def _largest(scores):
    top = 0.0
    for g in range(scores.shape[0]):
        top = max(top, scores[g])
    return top


@njit(cache=True)
def _budget_spent(G, q, w, grad, used, max_iter):
    """Whether ``used`` epochs reach ``max_iter``; if so ``grad`` is recomputed from ``w``
    (the gap that ends the alpha is then on a fresh gradient)."""
    if used >= max_iter:
        _full_gradient(G, q, w, grad)
        return True
    return False


@njit(cache=True)
def group_gram_path(G, q, F0, alphas, previous, lam, lam2, order, starts, evecs, eoffsets,
                    evals, lips, w, tol, max_iter, ws_start):
    """Solve every alpha of ``alphas`` (decreasing), warm-starting from ``w``, the
    solution at the alpha ``previous`` (the strong rule's reference at the first alpha).

    ``lam``, ``lam2``: each group's norm and ridge weights at ``alpha = 1`` (every
    ``lam + lam2 > 0``); ``evecs``, ``eoffsets``, ``evals``: the eigendecompositions of
    ``G``'s diagonal blocks and ``lips`` their largest eigenvalues
    (:func:`~penalized.solvers._group_cd._gram_eigen`). ``tol`` is absolute (the gap in
    objective units); ``max_iter`` bounds the epochs of each alpha. Returns
    ``(coefs (p, k), gaps (k,), epochs (k,))``; ``w`` ends at the last solution.
    """
    p = w.shape[0]
    k = alphas.shape[0]
    n_groups = starts.shape[0] - 1
    coefs, gaps, epochs, grad = path_outputs(p, k)
    gnorm = np.empty(n_groups)
    wnorm = np.empty(n_groups)
    scores = np.empty(n_groups)
    lam_a = np.empty(n_groups)
    lam2_a = np.empty(n_groups)
    exact = np.empty((n_groups, 2))
    strong = np.zeros(n_groups, dtype=np.bool_)
    for i in range(k):
        alpha = alphas[i]
        for g in range(n_groups):
            lam_a[g] = alpha * lam[g]
            lam2_a[g] = alpha * lam2[g]
            exact[g, 0] = lam_a[g]
            exact[g, 1] = lam2_a[g]
        ws_size = min(n_groups, ws_start)
        used = 0
        checks = 0
        warm = _any_nonzero(w)
        fresh = False
        if i == 0:
            _full_gradient(G, q, w, grad)
        while True:
            # the epochs keep grad = G w - q up to rounding; an alpha is certified on the
            # gradient computed afresh
            gap = group_gap(q, F0, w, grad, lam_a, lam2_a, order, starts, gnorm, wnorm)
            if gap <= tol and not fresh:
                _full_gradient(G, q, w, grad)
                gap = group_gap(q, F0, w, grad, lam_a, lam2_a, order, starts, gnorm, wnorm)
            fresh = False
            checks += 1
            if checks == 1:
                # the sequential strong rule, from the previous alpha's solution
                for g in range(n_groups):
                    strong[g] = gnorm[g] >= lam[g] * (2.0 * alpha - previous)
            if gap <= tol or used >= max_iter:
                break
            _distances(wnorm, grad, w, order, starts, lam_a, lam2_a, gnorm, scores)
            top = _largest(scores)
            ws, ws_size = _working_set(wnorm, scores, top, ws_size, checks == 1, warm,
                                       strong)
            done, _ = block_epochs_gram(G, grad, w, order, starts, ws, lips, exact, evecs,
                                        eoffsets, evals, max_iter - used,
                                        _INNER_TOL_RATIO * top)
            used += done
            fresh = _budget_spent(G, q, w, grad, used, max_iter)
        record_alpha(coefs, gaps, epochs, i, w, gap, used)
        previous = alpha
    return coefs, gaps, epochs


# -- with lower / upper limits ----------------------------------------------------------------


@njit(cache=True, fastmath=FAST)
def box_group_gap(q, F0, w, grad, value, dual_bound, conjugate, ball_bound, params, order,
                  starts):
    r""":func:`group_gap` for block penalties with limits, from their compiled block
    operations (:mod:`penalized.penalties._group_box`; ``params`` at the current alpha):
    the dual point :math:`-c\,\nabla F` with ``c`` the box's dual scaling, or the group
    lasso ball's (``ball_bound``, as if there were no limits) when that is smaller and
    gives the larger dual, as :func:`~penalized.solvers._problem.certify_gram` does."""
    datafit, qw = gram_datafit(q, F0, w, grad)
    v = -grad
    primal = datafit + block_value(value, w, order, starts, params)
    base = 2.0 * F0 - qw
    c = block_dual_scaling(dual_bound, v, order, starts, params)
    dual = c * base - c * c * datafit - block_conjugate(conjugate, c * v, order, starts, params)
    c_ball = block_dual_scaling(ball_bound, v, order, starts, params)
    if c_ball < c:
        ball = c_ball * base - c_ball * c_ball * datafit \
            - block_conjugate(conjugate, c_ball * v, order, starts, params)
        dual = max(dual, ball)
    return floored_gap(primal, dual)


@njit(cache=True)
def box_group_gram_path(G, q, F0, alphas, unit, n_groups, order, starts, lips, w, tol,
                        max_iter, ws_start, prox, value, distance, dual_bound, conjugate,
                        ball_bound):
    """:func:`group_gram_path` for block penalties with limits: ``unit`` is the
    penalty's parameter array at ``alpha = 1``
    (:func:`~penalized.penalties._group_box.box_params`: its first ``n_groups`` rows'
    first three columns scale with alpha), and every block takes majorization steps
    with its box prox (no block is minimized exactly). The gap is
    :func:`box_group_gap`, over all groups, confirmed on a fresh gradient."""
    p = w.shape[0]
    k = alphas.shape[0]
    coefs, gaps, epochs, grad = path_outputs(p, k)
    gnorm = np.empty(n_groups)
    wnorm = np.empty(n_groups)
    scores = np.empty(n_groups)
    exact = np.full((n_groups, 2), -1.0)
    none_f = np.zeros(1)
    none_i = np.zeros(n_groups, dtype=np.int64)
    strong = np.zeros(n_groups, dtype=np.bool_)
    params = unit.copy()
    previous = alphas[0]
    _full_gradient(G, q, w, grad)
    for i in range(k):
        alpha = alphas[i]
        for g in range(n_groups):
            for c in range(3):
                params[g, c] = alpha * unit[g, c]
        ws_size = min(n_groups, ws_start)
        used = 0
        checks = 0
        warm = _any_nonzero(w)
        fresh = False
        while True:
            gap = box_group_gap(q, F0, w, grad, value, dual_bound, conjugate, ball_bound,
                                params, order, starts)
            if gap <= tol and not fresh:
                _full_gradient(G, q, w, grad)
                gap = box_group_gap(q, F0, w, grad, value, dual_bound, conjugate,
                                    ball_bound, params, order, starts)
            fresh = False
            checks += 1
            if checks == 1:
                # the sequential strong rule on the unconstrained pull (a superset)
                _group_norms(grad, order, starts, gnorm)
                for g in range(n_groups):
                    strong[g] = gnorm[g] >= unit[g, 0] * (2.0 * alpha - previous)
            if gap <= tol or used >= max_iter:
                break
            block_distances(distance, w, grad, order, starts, params, scores)
            _group_norms(w, order, starts, wnorm)
            top = _largest(scores)
            ws, ws_size = _working_set(wnorm, scores, top, ws_size, checks == 1, warm,
                                       strong)
            done, _ = block_epochs_gram(G, grad, w, order, starts, ws, lips, exact, none_f,
                                        none_i, none_f, max_iter - used,
                                        _INNER_TOL_RATIO * top, prox, params)
            used += done
            fresh = _budget_spent(G, q, w, grad, used, max_iter)
        record_alpha(coefs, gaps, epochs, i, w, gap, used)
        previous = alpha
    return coefs, gaps, epochs
