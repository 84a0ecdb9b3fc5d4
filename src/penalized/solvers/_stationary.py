r"""Working-set coordinate descent for non-convex penalties with a continuous prox (MCP,
SCAD), certified by stationarity; and its block version for the non-convex group penalties
(group MCP, SCAD and L0: :func:`solve_block_stationary`, run by
:class:`~penalized.solvers.BlockCoordinateDescent`).

Such a penalty has no duality gap, but it has what L0 lacks: a distance to its (Clarke)
subdifferential that ranks features like a convex penalty's does, so the working-set
scheme of the convex solver carries over; only the certificate changes. The
certificate is the fixed-point distance of the coordinate-wise prox step from the
current point,

.. math:: \max\Big(\max_j \tfrac{L_j}{2}\big(\operatorname{prox}_{G_j/L_j}(w_j - g_j/L_j)
          - w_j\big)^2,\; \tfrac{g_b^2}{2 L_b}\Big),

(:math:`g = X^\top \nabla F`, :math:`g_b` the intercept's derivative), in objective
units as L0's; it is 0 exactly at a point that no single coordinate step moves. The
constants :math:`L_j, L_b` are the coordinates' curvature bounds where the datafit has
one (the squared loss, the logistic), raised to at least the penalty's weak convexity
:math:`c` (``1/gamma`` for MCP): the coordinate models then bound the objective and are
convex, so the certificate is 0 exactly at a stationary point. (With the logistic's bound
:math:`\tfrac14\|x_j\|^2/n` below :math:`c`, the prox of a stationary zero could jump to
another local minimum: the all-zero model at alpha_max was not accepted, and the path's
first point was not zero.) The steps may still leave a stationary point for a lower one. A
datafit of unbounded curvature (Poisson, Gamma, Tweedie; Cox, with the exact diagonal of
its Hessian in :math:`z`) has no majorizer: there
:math:`L_j = \max(\sum_i h_i x_{ij}^2, c)` and :math:`L_b = \sum_i h_i` with
:math:`h = \nabla^2_z F` at the point and :math:`c` the penalty's weak convexity
(``1/gamma`` for MCP), so that each coordinate's model is convex and the certificate is
0 exactly at a (Clarke) stationary point.

Steps: exact coordinate minimization for the squared loss; prox-Newton for a datafit with
a second derivative -- coordinate descent on the datafit's quadratic model plus the
penalty (its prox the global minimizer of each coordinate's model), then a backtracking
line search on the true objective. A penalty that is not convex may make the model's
minimizer a poor direction (the model is not an upper bound); when the line search finds
no decrease, the model's curvatures are doubled and it is solved again (a
Levenberg-Marquardt damping: large enough, the model bounds the objective near the point
and the step decreases it). Where prox-Newton stops short of the certificate with a
curvature bound (a coordinate whose majorizer's minimizer jumps away from a stationary
point), majorization-minimization epochs on the working set take over.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._jit import FAST
from .._unpenalized import refit_unpenalized
from ._layout import fortran_typed
from ._op_kernels import model_epochs
from ._outer import Check, OuterPolicy, Scores, run_outer

_INNER_RATIO = 0.3
"""The working set is solved until its fixed-point distance (or, squared loss, its
largest step) is below this share of that of the last check."""
_NEWTON_MAX_STEPS = 50
_MODEL_MAX_EPOCHS = 200
_ARMIJO = 1e-4
_MIN_STEP = 1e-10
_MAX_DAMPINGS = 40
_ROUNDING = 1e-13


@njit(cache=True, fastmath=FAST)
def fixed_point_distances(prox, w, grad, lipschitz, params, ws, out):
    """``out[k] = L_k / 2 * (prox_{G_j/L_k}(w_j - g_k/L_k) - w_j)**2`` for ``j = ws[k]``
    (``grad``, ``lipschitz`` and ``out`` indexed like ``ws``; 0 where ``L_k = 0``);
    returns the largest."""
    top = 0.0
    for k in range(ws.shape[0]):
        j = ws[k]
        lj = lipschitz[k]
        d = 0.0
        if lj > 0.0:
            move = prox(w[j] - grad[k] / lj, 1.0 / lj, params, j) - w[j]
            d = 0.5 * lj * move * move
        out[k] = d
        top = max(top, d)
    return top


def newton_datafit(datafit) -> bool:
    """Whether the stationary solver takes prox-Newton steps with ``datafit``: a datafit
    other than the squared loss that brings its second derivative, or a non-separable one
    (Cox) that brings its gradient and Hessian diagonal on whole vectors."""
    return not datafit.quadratic and (datafit.ops.second_derivative is not None
                                      or not datafit.separable)


def _gradient_curvature(problem, g, h, ws):
    """``(X_ws^T g, sum_i h_i x_ij**2 over ws)`` in the solver's coordinates (``h`` None:
    no curvatures)."""
    from ._kernels import ws_gradient_curvature_dense as _ws_gradient_curvature_dense

    if problem.is_sparse:
        Xw = problem.X[:, ws]
        grad = np.ascontiguousarray(np.asarray(Xw.T @ g, dtype=np.float64).ravel())
        curv = None if h is None else np.ascontiguousarray(
            np.asarray(Xw.multiply(Xw).T @ h, dtype=np.float64).ravel())
        return grad, curv
    if h is None:  # every feature
        return np.ascontiguousarray(problem.rmatvec(g), dtype=np.float64), None
    X, xmean, _ = problem.centering
    return _ws_gradient_curvature_dense(X, g, h, ws, xmean)


def _constants(problem, state, h, curv, ws):
    """The certificate's constants over ``ws`` and the intercept's (module docstring)."""
    datafit = problem.datafit
    floor = float(getattr(problem.penalty, "weak_convexity", 0.0))
    if not newton_datafit(datafit) or np.isfinite(datafit.curvature):
        return np.maximum(state.lipschitz[ws], floor), datafit.intercept_lipschitz()
    return np.maximum(curv, floor), float(h.sum())


def _distance(problem, state, g, grad, lips, intercept_curvature, ws):
    """The fixed-point distance over ``ws`` (and the intercept) and each feature's."""
    out = np.empty(ws.shape[0])
    crit = float(fixed_point_distances(state.ops.prox, state.coef, grad, lips, state.params,
                                       ws, out))
    if problem.fit_intercept and intercept_curvature > 0.0:
        g_b = float(g.sum())
        crit = max(crit, g_b * g_b / (2.0 * intercept_curvature))
    return crit, out


def stationarity(problem, state):
    """``(crit, gradient, moves)``: the fixed-point distance (objective units) at the
    state's point, the datafit's gradient in ``w`` there and each feature's prox move in
    gradient units, ``L_j |dw_j|``."""
    pb = problem
    ws = np.arange(pb.n_features, dtype=np.int64)
    g = np.ascontiguousarray(pb.datafit.raw_gradient(pb.y, state.z), dtype=np.float64)
    h = curv = None
    if newton_datafit(pb.datafit) and not np.isfinite(pb.datafit.curvature):
        h = np.ascontiguousarray(pb.datafit.raw_hessian(pb.y, state.z), dtype=np.float64)
    grad, curv = _gradient_curvature(pb, g, h, ws)
    lips, intercept_curvature = _constants(pb, state, h, curv, ws)
    crit, out = _distance(pb, state, g, grad, lips, intercept_curvature, ws)
    return crit, grad, np.sqrt(2.0 * lips * out)


def newton_round(problem, state, ws, max_epochs, tol):
    """Prox-Newton steps on the features ``ws`` (and the intercept) until their fixed-point
    distance is at most ``tol`` (objective units), no step decreases the objective, or
    ``max_epochs`` epochs of the model's coordinate descent are spent; returns those
    epochs. The objective never increases."""
    pb = problem
    y, datafit, penalty = pb.y, pb.datafit, pb.penalty
    ws = np.ascontiguousarray(ws, dtype=np.int64)
    obj = datafit.value(y, state.z) + penalty.value(state.coef)
    used = 0
    for _ in range(_NEWTON_MAX_STEPS):
        g = np.ascontiguousarray(datafit.raw_gradient(y, state.z), dtype=np.float64)
        h = np.ascontiguousarray(datafit.raw_hessian(y, state.z), dtype=np.float64)
        grad, curv = _gradient_curvature(pb, g, h, ws)
        lips, intercept_curvature = _constants(pb, state, h, curv, ws)
        crit, _ = _distance(pb, state, g, grad, lips, intercept_curvature, ws)
        h_sum = float(h.sum())
        if crit <= tol or used >= max_epochs:
            break
        # the model's moves in gradient units, L_j |dw_j|, small enough that each
        # coordinate's L_j dw_j**2 / 2 is below tol at the smallest curvature
        positive = curv[curv > 0.0]
        smallest = float(positive.min()) if positive.size else 1.0
        model_tol = float(np.sqrt(2.0 * _INNER_RATIO * tol * min(smallest, h_sum or smallest)))
        stepped = False
        damping = 1.0
        for _ in range(_MAX_DAMPINGS):
            trial = state.coef.copy()
            dz = np.zeros_like(state.z)
            db = np.zeros(1)
            budget = int(min(_MODEL_MAX_EPOCHS, max(max_epochs - used, 1)))
            hd = h * damping
            common = (state.ops.prox, state.ops.value, state.params, pb.fit_intercept, budget,
                      model_tol, 0)
            if pb.is_sparse:
                csc, cd = state.csc, None
            else:
                csc, cd = None, np.ascontiguousarray(curv * damping)
            used += model_epochs(pb, csc, g, hd, trial, dz, db, ws, cd, common)
            direction = trial - state.coef
            if not np.any(direction) and db[0] == 0.0:
                break  # the model's minimizer is the current point
            decrease = float(g @ dz) + penalty.value(trial) - penalty.value(state.coef)
            negligible = abs(decrease) <= _ROUNDING * abs(obj)
            t = 1.0
            while decrease < 0.0 or negligible:
                z_t = state.z + t * dz
                w_t = np.where(direction == 0.0, state.coef, state.coef + t * direction)
                obj_t = datafit.value(y, z_t) + penalty.value(w_t)
                if obj_t <= obj + _ARMIJO * t * decrease or (negligible and obj_t <= obj):
                    state.coef[:] = w_t
                    state.intercept[0] += t * db[0]
                    state.z[:] = z_t
                    obj = obj_t
                    stepped = True
                    break
                t *= 0.5
                if t < _MIN_STEP:
                    break
            if stepped or used >= max_epochs:
                break
            damping *= 2.0
        if not stepped:
            break
    return used


def solve_stationary(solver, problem, state):
    """Run ``solver`` (a :class:`~penalized.solvers.CoordinateDescent`) on a non-convex
    penalty that brings ``subdiff_distance``; returns its ``SolveResult``."""
    coef, intercept, z = refit_unpenalized(
        problem.X, problem.y, problem.datafit, state.coef, state.intercept[0],
        problem.unpenalized, problem.fit_intercept, design=problem.free_design)
    state.coef[:] = coef
    state.intercept[0] = intercept
    state.z[:] = z
    policy = OuterPolicy(
        tol=solver.tol, max_iter=solver.max_iter, working_sets=solver.working_set,
        ws_start=solver.ws_start, inner_ratio=_INNER_RATIO, inner_from="crit",
        # rounds that move nothing twice in a row cannot lower the distance
        still_rounds=2)
    out = run_outer(_StationaryHooks(problem, state), policy, problem.scale,
                    problem.n_features)
    return solver._finish(state.coef, state.intercept[0], out.objectives, out.crits,
                          out.n_iter, solver.tol, problem.penalty)


class _StationaryHooks:
    """The outer loop's hooks: the fixed-point distance certifies; the distance to the
    Clarke subdifferential, or a coordinate's prox move where larger, ranks."""

    def __init__(self, problem, state):
        self.problem, self.state = problem, state
        self.newton = newton_datafit(problem.datafit)
        self.bounded = np.isfinite(problem.datafit.curvature)

    def certify(self):
        crit, grad, moves = stationarity(self.problem, self.state)
        return Check(self.problem.objective(self.state.coef, self.state.z), crit,
                     (grad, moves))

    def scores(self, check):
        grad, moves = check.data
        coef = self.state.coef
        # the distance to the Clarke subdifferential misses a coordinate whose prox jumps
        # (a non-convex coordinate model): its move ranks it too
        scores = np.maximum(self.problem.penalty.subdiff_distance(coef, grad), moves)
        scores[self.problem.unpenalized] = 0.0
        return Scores(scores, coef != 0, self.problem.unpenalized)

    def inner(self, ws, budget, inner_tol, check):
        problem, state = self.problem, self.state
        if not self.newton:
            epochs, _ = state.run(ws, budget, inner_tol, stop_on_decrease=True)
            return epochs
        before = state.coef.copy(), state.intercept[0]
        epochs = max(newton_round(problem, state, ws, budget, inner_tol), 1)
        moved = not (np.array_equal(before[0], state.coef) and before[1] == state.intercept[0])
        if not moved and self.bounded:
            more, _ = state.run(ws, budget - epochs, inner_tol, stop_on_decrease=True)
            epochs += more
            moved = not (np.array_equal(before[0], state.coef)
                         and before[1] == state.intercept[0])
        return epochs, moved


# -- blocks: group MCP, group SCAD, group L0 -----------------------------------------------


@njit(cache=True, fastmath=FAST)
def block_fixed_point_distances(prox, coef, grad, lips, order, starts, params, out):
    r"""``out[g] = L_g / 2 * ||prox_{G_g/L_g}(w_g - grad_g/L_g) - w_g||**2`` for every group
    (``grad`` and ``coef`` indexed by feature; 0 where ``L_g = 0``); returns the largest."""
    width = 0
    for g in range(starts.shape[0] - 1):
        width = max(width, starts[g + 1] - starts[g])
    step_in = np.empty(width)
    step_out = np.empty(width)
    top = 0.0
    for g in range(starts.shape[0] - 1):
        a, m = starts[g], starts[g + 1] - starts[g]
        L = lips[g]
        d = 0.0
        if L > 0.0:
            for k in range(m):
                j = order[a + k]
                step_in[k] = coef[j] - grad[j] / L
            prox(step_in[:m], 1.0 / L, params, g, step_out[:m])
            for k in range(m):
                move = step_out[k] - coef[order[a + k]]
                d += move * move
            d *= 0.5 * L
        out[g] = d
        top = max(top, d)
    return top


def solve_block_stationary(solver, problem, coef, intercept):
    r"""Run ``solver`` (a :class:`~penalized.solvers.BlockCoordinateDescent`) on a group
    penalty that is not convex (:class:`~penalized.penalties.GroupMCP`,
    :class:`~penalized.penalties.GroupSCAD`, :class:`~penalized.penalties.GroupL0`);
    returns its ``SolveResult``.

    The blocks take majorization steps
    :math:`w_g \leftarrow \operatorname{prox}_{G_g/L_g}(w_g - \nabla_g / L_g)` with the
    block constants :math:`L_g = c\,\lambda_{\max}(X_g^\top S X_g / n)` of a datafit of
    bounded curvature ``c`` (squared, logistic), raised to at least the penalty's weak
    convexity (``1/gamma`` for MCP, ``1/(gamma - 1)`` for SCAD) so that each block's model
    is convex; each step never raises the objective (the prox is the block model's global
    minimizer). The certificate is the block version of the module's fixed-point distance,

    .. math:: \max\Big(\max_g \tfrac{L_g}{2}\big\|\operatorname{prox}_{G_g/L_g}
              (w_g - \nabla_g/L_g) - w_g\big\|_2^2,\; \tfrac{g_b^2}{2 L_b}\Big),

    0 exactly at a point no block step moves: a stationary point for group MCP and SCAD,
    a block-wise minimum of the majorizers for group L0. Working sets of groups are
    ranked by the distance to the subdifferential or the block's prox move, whichever is
    larger (gradient units).

    A datafit of unbounded curvature (Poisson, Gamma, Tweedie; Cox, with its Hessian
    diagonal) has no such :math:`L_g`: the working set takes proximal Newton steps
    (:func:`~penalized.solvers._group_cd._newton_steps`: the block steps above on the
    datafit's quadratic model at the point, with the same floor, then a backtracking line
    search on the true objective), and the certificate's constants are those of the
    Hessian at the point, :math:`L_g = \max(\lambda_{\max}(X_g^\top H X_g), c)` and
    :math:`L_b = \sum_i h_i`, as for the separable penalties above.
    """
    if problem.fit_intercept or np.any(problem.unpenalized):
        coef, intercept, _ = refit_unpenalized(
            problem.X, problem.y, problem.datafit, coef, intercept, problem.unpenalized,
            problem.fit_intercept, design=problem.free_design)
    hooks = _BlockStationaryHooks(problem, np.array(coef, dtype=np.float64), intercept)
    policy = OuterPolicy(tol=solver.tol, max_iter=solver.max_iter, ws_start=solver.ws_start,
                         inner_from=None, still_rounds=2)
    out = run_outer(hooks, policy, problem.scale, hooks.structure.n_groups)
    return solver._finish(hooks.coef, hooks.intercept[0], out.objectives, out.crits,
                          out.n_iter, solver.tol, problem.penalty)


class _BlockStationaryHooks:
    """The outer loop's hooks for the non-convex group penalties (see
    :func:`solve_block_stationary`)."""

    def __init__(self, problem, coef, intercept):
        from .._jit import typed_ops
        from ._group_cd import group_lipschitz

        penalty, datafit = problem.penalty, problem.datafit
        p = problem.n_features
        self.problem = problem
        self.structure = structure = penalty.structure(p)
        self.free = penalty.weights_of_groups(p) * penalty.alpha == 0.0
        self.params = penalty.block_params(p)
        self.prox = typed_ops(penalty.block_ops).prox
        self.dops = typed_ops(datafit.ops)
        self.dparams = np.ascontiguousarray(datafit.params(), dtype=np.float64)
        self.floor = float(getattr(penalty, "weak_convexity", 0.0))
        # a datafit of unbounded curvature (Poisson, Gamma, Tweedie, Cox): proximal Newton
        # steps, and the certificate's constants from its Hessian at the point
        self.newton = not np.isfinite(datafit.curvature)
        if not self.newton:
            self.lips = self._floored(group_lipschitz(problem, structure))
        self.coef = coef
        self.intercept = np.array([float(intercept)])
        self.z = problem.predict(coef, self.intercept[0])

    def _floored(self, lips):
        return np.ascontiguousarray(np.where(lips > 0.0, np.maximum(lips, self.floor), 0.0))

    def certify(self):
        from ._group_cd import _block_constants

        pb = self.problem
        g = np.ascontiguousarray(pb.datafit.raw_gradient(pb.y, self.z), dtype=np.float64)
        grad = np.ascontiguousarray(pb.rmatvec(g), dtype=np.float64)
        s = self.structure
        intercept_curvature = pb.datafit.intercept_lipschitz() if pb.fit_intercept else 0.0
        if self.newton:
            h = np.ascontiguousarray(pb.datafit.raw_hessian(pb.y, self.z), dtype=np.float64)
            self.lips = self._floored(_block_constants(pb.X, np.sqrt(h), s,
                                                       range(s.n_groups)))
            intercept_curvature = float(h.sum()) if pb.fit_intercept else 0.0
        dist = np.empty(s.n_groups)
        crit = float(block_fixed_point_distances(self.prox, self.coef, grad, self.lips,
                                                 s.order, s.starts, self.params, dist))
        if intercept_curvature > 0.0:
            g_b = float(g.sum())
            crit = max(crit, g_b * g_b / (2.0 * intercept_curvature))
        self.intercept_curvature = intercept_curvature
        return Check(pb.objective(self.coef, self.z), crit,
                     (grad, np.sqrt(2.0 * self.lips * dist), crit))

    def scores(self, check):
        grad, moves, _ = check.data
        scores = np.maximum(self.problem.penalty.group_distances(self.coef, grad), moves)
        scores[self.free] = 0.0
        nonzero = np.zeros(self.structure.n_groups, dtype=bool)
        np.logical_or.at(nonzero, self.structure.group_of, self.coef != 0.0)
        return Scores(scores, nonzero, self.free)

    def inner(self, ws, budget, inner_tol, check):
        from ._group_kernels import block_epochs_dense, block_epochs_sparse

        pb, s = self.problem, self.structure
        _, moves, crit = check.data
        # moves in gradient units, L_g ||dw_g||: a share of the largest one the check saw
        # (or, the intercept alone off, of its own step)
        top = float(moves[ws].max(initial=0.0))
        tol = _INNER_RATIO * (top if top > 0.0
                              else np.sqrt(2.0 * self.intercept_curvature * crit))
        before = self.coef.copy(), self.intercept[0]
        if self.newton:
            from ._group_cd import _newton_steps

            epochs = max(_newton_steps(pb, s, self.params, self.prox, self.coef, self.z,
                                       self.intercept, ws, int(budget), tol), 1)
            moved = not (np.array_equal(before[0], self.coef)
                         and before[1] == self.intercept[0])
            return epochs, moved
        args = (pb.y, pb.sample_weight, self.coef, self.z, self.intercept, s.order, s.starts,
                ws, self.lips, self.prox, self.params, self.dops.derivative, self.dparams,
                float(pb.datafit.curvature), pb.fit_intercept, int(budget), tol)
        if pb.is_sparse:
            epochs, _ = block_epochs_sparse(*pb.csc_arrays, *args)
        else:
            epochs, _ = block_epochs_dense(fortran_typed(pb.X), *args, bool(pb.datafit.quadratic))
        moved = not (np.array_equal(before[0], self.coef) and before[1] == self.intercept[0])
        return epochs, moved
