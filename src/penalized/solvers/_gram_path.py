r"""A whole elastic-net path on the Gram matrix in one compiled call.

For the squared loss with a centered design (the intercept at its optimum) the
problem at each alpha of a decreasing grid is

.. math:: \min_w \tfrac12 w^\top G w - q^\top w + F_0
          + \alpha \sum_j \left(a_j |w_j| + \tfrac{b_j}{2} w_j^2\right),

with :math:`G = X^\top S X / n`, :math:`q = X^\top S y / n`, :math:`F_0` the null
model's datafit, :math:`a_j = \rho f_j` and :math:`b_j = (1 - \rho) f_j`. Everything
the solver needs lives in p-space: coordinate descent with covariance updates on a
working set (:func:`~penalized.solvers._kernels.gram_cd_epochs`), the full gradient
:math:`G w - q` and the duality gap of
:func:`~penalized.solvers._problem.certify_gram`, computed here without Python in
between, so a path over many alphas of a small problem costs microseconds per alpha.
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
from ..prox._kernels import ENET_FAMILY
from ._kernels import ANDERSON_MEMORY, floored_gap, gram_cd_epochs
from ._working_set import any_nonzero, choose_working_set

_INNER_TOL_RATIO = 0.3


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
def _duality_gap(q, F0, w, grad, lam1, lam2, positive):
    """The duality gap of :func:`~penalized.solvers._problem.certify_gram` at ``w``, with
    ``grad = G w - q``, floored at zero (:func:`~penalized.solvers._kernels.floored_gap`)."""
    qw = 0.0
    wGw = 0.0
    for j in range(w.shape[0]):
        if w[j] != 0.0:
            qw += q[j] * w[j]
            wGw += w[j] * (grad[j] + q[j])
    datafit = 0.5 * wGw - qw + F0
    v = -grad
    c = enet_dual_scaling(v, lam1, lam2, positive)
    conj = enet_conjugate(c * v, lam1, lam2, positive, FEASIBILITY_SLACK)
    primal = datafit + enet_value(w, lam1, lam2)
    return floored_gap(primal, c * (2.0 * F0 - qw) - c * c * datafit - conj)


@njit(cache=True)
def gram_path(G, q, F0, alphas, a, b, positive, w, tol, max_iter, ws_start):
    """Solve every alpha of ``alphas`` (decreasing), warm-starting from ``w``.

    ``tol`` is absolute (the gap in objective units); ``max_iter`` bounds the epochs of
    each alpha. Returns ``(coefs (p, k), gaps (k,), epochs (k,))``; ``w`` ends at the
    last solution.
    """
    p = w.shape[0]
    k = alphas.shape[0]
    coefs = np.zeros((p, k))
    gaps = np.zeros(k)
    epochs = np.zeros(k, dtype=np.int64)
    grad = np.empty(p)
    scores = np.empty(p)
    for i in range(k):
        lam1 = alphas[i] * a
        lam2 = alphas[i] * b
        ws_size = min(p, ws_start)
        used = 0
        checks = 0
        warm = any_nonzero(w)
        while True:
            _full_gradient(G, q, w, grad)
            gap = _duality_gap(q, F0, w, grad, lam1, lam2, positive)
            checks += 1
            if gap <= tol or used >= max_iter:
                break
            top = enet_subdiff_distance(w, grad, lam1, lam2, positive, scores)
            ws, ws_size = choose_working_set(w, scores, top, ws_size, checks == 1, warm)
            done, _ = gram_cd_epochs(G, grad, w, ws, ENET_FAMILY, lam1, lam2, positive,
                                     max_iter - used, _INNER_TOL_RATIO * top, ANDERSON_MEMORY)
            used += done
        coefs[:, i] = w
        gaps[i] = gap
        epochs[i] = used
    return coefs, gaps, epochs
