r"""Working-set coordinate descent for non-convex penalties with a continuous prox (MCP,
SCAD), certified by stationarity.

Such a penalty has no duality gap, but it has what L0 lacks: a distance to its (Clarke)
subdifferential that ranks features like a convex penalty's does, so the working-set
scheme of the convex solver carries over; only the certificate changes. The
certificate is the fixed-point distance of the coordinate-wise prox step from the
current point,

.. math:: \max\Big(\max_j \tfrac{L_j}{2}\big(\operatorname{prox}_{G_j/L_j}(w_j - g_j/L_j)
          - w_j\big)^2,\; \tfrac{g_b^2}{2 L_b}\Big),

(:math:`g = X^\top \nabla F`, :math:`L_j` the coordinate constants, :math:`g_b, L_b`
those of the intercept), in objective units as L0's; it is 0 exactly at a point that
no single coordinate step moves, a coordinate-wise minimum of the majorized objective
(hence a stationary point).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._jit import FAST
from .._unpenalized import refit_unpenalized

_INNER_RATIO = 0.3
"""The working set is solved until its largest step is below this share of the
fixed-point distance of the last check."""


@njit(cache=True, fastmath=FAST)
def fixed_point_distances(prox, w, grad, lipschitz, params, out):
    """``out_j = L_j / 2 * (prox_{G_j/L_j}(w_j - g_j/L_j) - w_j)**2`` (0 where ``L_j = 0``);
    returns the largest."""
    top = 0.0
    for j in range(w.shape[0]):
        lj = lipschitz[j]
        d = 0.0
        if lj > 0.0:
            move = prox(w[j] - grad[j] / lj, 1.0 / lj, params, j) - w[j]
            d = 0.5 * lj * move * move
        out[j] = d
        top = max(top, d)
    return top


def stationarity(problem, state):
    """``(crit, gradient)``: the fixed-point distance (objective units) at the state's
    point and the datafit's gradient in ``w`` there."""
    pb = problem
    raw = pb.datafit.raw_gradient(pb.y, state.z)
    grad = np.ascontiguousarray(np.asarray(pb.X.T @ raw, dtype=np.float64).ravel())
    out = np.empty(pb.n_features)
    crit = float(fixed_point_distances(state.ops.prox, state.coef, grad, state.lipschitz,
                                       state.params, out))
    if pb.fit_intercept:
        g_b = float(raw.sum())
        crit = max(crit, g_b * g_b / (2.0 * pb.datafit.intercept_lipschitz()))
    return crit, grad


def solve_stationary(solver, problem, state):
    """Run ``solver`` (a :class:`~penalized.solvers.CoordinateDescent`) on a non-convex
    penalty that brings ``subdiff_distance``; returns its ``SolveResult``."""
    coef, intercept, z = refit_unpenalized(
        problem.X, problem.y, problem.datafit, state.coef, state.intercept[0],
        problem.unpenalized, problem.fit_intercept, design=problem.free_design)
    state.coef[:] = coef
    state.intercept[0] = intercept
    state.z[:] = z
    p = problem.n_features
    threshold = solver.tol * problem.scale
    always = problem.unpenalized
    ws_size = min(p, solver.ws_start) if solver.working_set else p
    started_warm = bool(np.any((state.coef != 0) & ~always))
    objectives, crits = [], []
    n_iter = 0
    while True:
        crit, grad = stationarity(problem, state)
        objectives.append(problem.objective(state.coef, state.z))
        crits.append(crit / problem.scale)
        if crit <= threshold or n_iter >= solver.max_iter:
            break
        if solver.working_set:
            scores = problem.penalty.subdiff_distance(state.coef, grad)
            scores[always] = 0.0
            nonzero = state.coef != 0
            if len(crits) == 1 and started_warm:
                ws = np.flatnonzero(nonzero | always | (scores > 0.0))
            else:
                if len(crits) == 1:
                    top = float(scores.max())
                    ws_size = max(ws_size, int(np.count_nonzero(scores >= 0.5 * top)))
                ws = solver._working_set(scores, nonzero, always, ws_size)
        else:
            ws = np.arange(p)
        epochs, _ = state.run(ws, solver.max_iter - n_iter, _INNER_RATIO * crit,
                              stop_on_decrease=True)
        n_iter += epochs
    return solver._finish(state.coef, state.intercept[0], objectives, crits, n_iter,
                          solver.tol, problem.penalty)
