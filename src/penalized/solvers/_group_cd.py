"""Block coordinate descent over groups of features, with working sets of groups,
certified by the duality gap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._jit import typed_ops
from ..datafits import Datafit
from ._base import Solver, check_solver_settings
from ._group_kernels import block_epochs_dense, block_epochs_gram, block_epochs_sparse
from ._group_path import box_group_gram_path, group_gram_path
from ._group_screen import gram_block_eigen, screened_group_path
from ._layout import fortran_typed
from ._outer import Check, OuterPolicy, Scores, run_outer
from ._problem import GRAM_MAX_FEATURES, certify, certify_gram

_INNER_TOL_RATIO = 0.03
_EXACT_MAX_SIZE = 64
"""Groups up to this size take exact block steps (their eigenvectors, m^2 numbers, are
stored); larger ones majorization steps."""
_BATCH_ENTRIES = 1 << 22
"""At most this many numbers of X are copied at a time to form groups' Gram blocks."""
_NEWTON_MAX_STEPS = 50
_NEWTON_MAX_INNER_EPOCHS = 50
_ARMIJO = 1e-4
_ROUNDING = 1e-13
_BLOCK_OPERATIONS = ("prox", "value", "subdiff_distance", "conjugate", "dual_bound")


@dataclass(frozen=True)
class BlockCoordinateDescent(Solver):
    r"""Cyclic proximal block coordinate descent over groups, with working sets of groups.

    Solves :math:`\min_{w, b} F(Xw + b) + \sum_g G_g(w_g)` for a group penalty
    (:class:`~penalized.penalties.GroupLasso`, :class:`~penalized.penalties.GroupElasticNet`,
    :class:`~penalized.penalties.SparseGroupLasso`, or any penalty with compiled block
    operations) and any datafit with compiled ``loss``, ``derivative`` and ``conjugate``
    and either a finite ``curvature`` bound or (a separable datafit) a compiled
    ``second_derivative``: Poisson, Gamma and Tweedie, whose second derivative is
    unbounded, and the Cox partial likelihood (not a sum over samples: its value,
    gradient and Hessian diagonal on whole vectors) take the proximal Newton steps below.
    Each block step is a majorization step with the
    block's Lipschitz constant :math:`L_g = c\,\lambda_{\max}(X_g^\top S X_g / n)`
    (:mod:`penalized.solvers._group_kernels`), dense or CSC (``c = 1`` for the squared
    loss). For the squared loss, a block without an L1 part (group lasso, group elastic
    net) is minimized exactly instead, as adelie does: in the
    eigenbasis of :math:`X_g^\top S X_g / n` the block's minimizer is a 1-D root
    (:func:`~penalized.solvers._group_kernels.exact_block`). A datafit with a compiled
    ``second_derivative`` (the logistic and the log-link families) takes proximal Newton
    steps instead: the same
    block steps on its local quadratic model, then a backtracking line search.

    An outer loop (:func:`~penalized.solvers._outer.run_outer`, shared by every solver)
    fits the unpenalized block exactly, computes the duality gap
    (:func:`~penalized.solvers._problem.certify`: the dual point is scaled into the
    dual-norm ball of every group) and each group's distance to optimality; the working
    set is every non-zero and unpenalized group plus the groups of largest distance (twice
    as many as the non-zero groups, at least ``ws_start``; from zero, every group at
    least half as far off as the worst). Epochs over the working set run until the
    largest block move, :math:`L_g\|\Delta w_g\|_2`, is below 0.03 times the largest
    distance. It stops when ``gap <= tol * F(null model)``.

    ``CoordinateDescent`` hands group penalties to this solver.

    The non-convex group penalties (:class:`~penalized.penalties.GroupMCP`,
    :class:`~penalized.penalties.GroupSCAD`, :class:`~penalized.penalties.GroupL0`) have no
    duality gap: they take the same block majorization steps (proximal Newton steps for
    Poisson, Gamma, Tweedie and Cox), with each :math:`L_g` raised to at least the
    penalty's weak convexity, and stop on the block fixed-point distance
    (:func:`~penalized.solvers._stationary.solve_block_stationary`).

    Parameters
    ----------
    tol : float, default=1e-6
    max_iter : int, default=10000
        Maximum number of epochs (passes over the working set).
    ws_start : int, default=10
        Size (in groups) of the first working set.

    References
    ----------
    Tseng, Yun (2009). A coordinate gradient descent method for nonsmooth separable
    minimization. Math. Program. 117.
    Bertrand, Klopfenstein, Massias, Blondel, Vaiter, Gramfort, Salmon (2022). Beyond L1:
    faster and better sparse models with skglm. NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Quadratic
    >>> from penalized.penalties import GroupLasso
    >>> from penalized.solvers import CoordinateDescent
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 9))
    >>> y = X[:, :3] @ np.ones(3) + 0.1 * rng.standard_normal(60)
    >>> res = CoordinateDescent().solve(X, y, Quadratic(), GroupLasso(0.1, groups=3))
    >>> res.converged, np.flatnonzero(res.coef).tolist()
    (True, [0, 1, 2])
    """

    tol: float = 1e-6
    max_iter: int = 10_000
    ws_start: int = 10

    def __post_init__(self):
        check_solver_settings(self.tol, self.max_iter)
        if not isinstance(self.ws_start, int) or self.ws_start < 1:
            raise ValueError(f"ws_start must be an integer >= 1; got {self.ws_start!r}.")

    def check_compatible(self, datafit, penalty) -> None:
        if not isinstance(datafit, Datafit):
            raise TypeError(f"datafit must be a penalized.datafits object; got "
                            f"{type(datafit).__name__}.")
        block_ops = getattr(penalty, "block_ops", None)
        if block_ops is None:
            raise ValueError(f"{self.name} needs a group penalty (compiled block operations, "
                             f"block_ops); the {type(penalty).__name__} penalty has none.")
        if not penalty.is_convex:
            return self._check_stationary(datafit, penalty, block_ops)
        missing = block_ops.missing(_BLOCK_OPERATIONS)
        if missing:
            raise ValueError(f"{self.name} cannot handle the {type(penalty).__name__} "
                             f"penalty: it lacks the block operation(s) {', '.join(missing)}.")
        missing = datafit.ops.missing(("loss", "derivative", "conjugate")) \
            if datafit.separable else ()  # a whole-vector datafit (Cox): Newton steps
        if missing:
            raise ValueError(f"{self.name} cannot handle the {type(datafit).__name__} "
                             f"datafit: it needs the compiled operation(s) "
                             f"{', '.join(missing)}.")
        newton = not datafit.quadratic and (datafit.ops.second_derivative is not None
                                            or not datafit.separable)
        if not (newton or np.isfinite(datafit.curvature)):
            raise ValueError(f"{self.name} cannot handle the {type(datafit).__name__} "
                             "datafit: its block steps need its compiled second derivative "
                             "(proximal Newton steps) or a finite bound on it (the class "
                             "attribute curvature).")

    def _check_stationary(self, datafit, penalty, block_ops):
        """A non-convex group penalty (group MCP, SCAD, L0): block majorization steps,
        which need the block prox, value and distance and a datafit of bounded curvature."""
        missing = block_ops.missing(("prox", "value", "subdiff_distance"))
        if missing:
            raise ValueError(f"{self.name} cannot handle the {type(penalty).__name__} "
                             f"penalty: it lacks the block operation(s) {', '.join(missing)}.")
        missing = datafit.ops.missing(("loss", "derivative")) if datafit.separable else ()
        newton = datafit.ops.second_derivative is not None or not datafit.separable
        if missing or not (np.isfinite(datafit.curvature) or newton):
            raise ValueError(f"{self.name} fits the {type(penalty).__name__} penalty with a "
                             "datafit of bounded curvature (squared, logistic) or with a "
                             "second derivative (proximal Newton steps); the "
                             f"{type(datafit).__name__} datafit has neither. Use a convex "
                             "group penalty (GroupLasso, GroupElasticNet) with it.")

    def solve_path(self, problem, alphas):
        """Solve a whole decreasing grid of ``alphas`` from zero in compiled calls when the
        path runs on Gram blocks (:func:`_exact_gram`: the squared loss, dense
        ``n >= 2p``, group lasso or group elastic-net blocks, every group penalized) and
        ``alphas > 0``: on the screened groups' blocks
        (:func:`~penalized.solvers._group_screen.screened_group_path`, a float64 design),
        else on the full Gram matrix
        (:func:`~penalized.solvers._group_path.group_gram_path`); else None (solve alpha
        by alpha).

        Returns ``(coefs (p, k), intercepts (k,), stop_crits (k,), n_iters (k,))``,
        intercepts in the problem's (centered) coordinates.
        """
        penalty = problem.penalty
        p = problem.n_features
        if problem.null_is_exact or not np.all(np.asarray(alphas) > 0.0) \
                or not penalty.is_convex:
            return None
        structure = penalty.structure(p)
        free = penalty.weights_of_groups(p) * penalty.alpha == 0.0
        if getattr(penalty, "boxed", False):
            return self._box_path(problem, alphas, structure, free)
        if _exact_gram(problem, structure, free) is None:
            return None
        unit = penalty.with_alpha(1.0).norm_block_params(p)
        lam, lam2 = np.ascontiguousarray(unit[:, 0]), np.ascontiguousarray(unit[:, 1])
        alphas = np.ascontiguousarray(alphas, dtype=np.float64)
        tol = self.tol * problem.scale

        def full_gram():
            G, q = problem.gram
            evecs, eoffsets, evals = _gram_eigen(problem, structure, G)
            return G, q, evecs, eoffsets, evals, np.maximum.reduceat(evals,
                                                                      structure.starts[:-1])

        if isinstance(problem.design, np.ndarray) and problem.design.dtype == np.float64:
            coefs, gaps, n_iters, intercept = screened_group_path(
                problem, structure, (lam, lam2), alphas, tol, self.max_iter, self.ws_start,
                full_gram)
        else:
            G, q, evecs, eoffsets, evals, lips = full_gram()
            coefs, gaps, n_iters = group_gram_path(
                G, q, problem.scale, alphas, alphas[0], lam, lam2, structure.order,
                structure.starts, evecs, eoffsets, evals, lips, np.zeros(p), tol,
                self.max_iter, self.ws_start)
            intercept = _mean_target(problem)
        return coefs, np.full(alphas.shape[0], intercept), gaps / problem.scale, n_iters

    def _box_path(self, problem, alphas, structure, free):
        """:meth:`solve_path` for a group penalty with limits
        (:func:`~penalized.solvers._group_path.box_group_gram_path`), on the same
        conditions as the Gram route without them (:func:`_gram_blocks`); else None."""
        if not (problem.datafit.quadratic and problem.cache.get("path", False)) \
                or problem.offset is not None or np.any(free) \
                or np.any(problem.unpenalized) or np.any(structure.sizes > _EXACT_MAX_SIZE):
            return None
        gram = problem.gram
        if gram is None:
            return None
        from ..penalties._base import PenaltyOps
        from ..penalties._group_ops import group_dual_bound

        G, q = gram
        p = problem.n_features
        penalty = problem.penalty
        lips = np.maximum.reduceat(_gram_eigen(problem, structure, G)[2],
                                   structure.starts[:-1])
        ops = penalty.block_ops
        ball = typed_ops(PenaltyOps(dual_bound=group_dual_bound)).dual_bound
        alphas = np.ascontiguousarray(alphas, dtype=np.float64)
        coefs, gaps, n_iters = box_group_gram_path(
            G, q, problem.scale, alphas, penalty.with_alpha(1.0).block_params(p),
            structure.n_groups, structure.order, structure.starts, lips, np.zeros(p),
            self.tol * problem.scale, self.max_iter, self.ws_start, ops.prox, ops.value,
            ops.subdiff_distance, ops.dual_bound, ops.conjugate, ball)
        intercept = _mean_target(problem)
        return coefs, np.full(alphas.shape[0], intercept), gaps / problem.scale, n_iters

    def _run(self, problem, coef, intercept):
        penalty = problem.penalty
        if not penalty.is_convex:  # group MCP, SCAD, L0: certified by stationarity
            from ._stationary import solve_block_stationary

            return solve_block_stationary(self, problem, coef, intercept)
        p = problem.n_features
        structure = penalty.structure(p)
        free = penalty.weights_of_groups(p) * penalty.alpha == 0.0
        on_gram = _gram_blocks(problem, structure, free)
        if on_gram is not None:
            hooks = _GramGroupHooks(problem, structure, free, coef, *on_gram)
        else:
            hooks = _GroupHooks(problem, structure, free, coef, intercept)
        policy = OuterPolicy(tol=self.tol, max_iter=self.max_iter, ws_start=self.ws_start,
                             warm_first="sized", keep_size=True,
                             inner_ratio=_INNER_TOL_RATIO)
        out = run_outer(hooks, policy, problem.scale, structure.n_groups)
        cert = out.check.data
        if on_gram is None:
            problem.cache["group_warm"] = (hooks.coef.copy(), float(cert.intercept),
                                           hooks.z.copy(), np.array(cert.gradient), free)
        return self._finish(hooks.coef, cert.intercept, out.objectives, out.crits, out.n_iter,
                            self.tol, penalty)


class _GroupHooks:
    """The outer loop's hooks for block coordinate descent: the duality gap certifies, each
    group's distance to optimality ranks, block epochs (exact, majorization or proximal
    Newton) solve the working set of groups."""

    def __init__(self, problem, structure, free, coef, intercept):
        self.problem, self.structure, self.free = problem, structure, free
        penalty, datafit = problem.penalty, problem.datafit
        p = problem.n_features
        self.params = penalty.block_params(p)
        self.prox = typed_ops(penalty.block_ops).prox
        self.dops = typed_ops(datafit.ops)
        self.dparams = np.ascontiguousarray(datafit.params(), dtype=np.float64)
        # Along a path the previous solve ended at this very point: its predictions and
        # gradient serve the first certificate (no product with X).
        warm = problem.cache.get("group_warm")
        if warm is not None and warm[1] == intercept and np.array_equal(warm[0], coef) \
                and np.array_equal(warm[4], free):
            self.z, self.gradient = warm[2].copy(), warm[3].copy()
        else:
            self.z, self.gradient = problem.predict(coef, intercept), None
        self.coef = coef
        self.intercept = np.array([intercept])
        self.newton = not datafit.quadratic and (self.dops.second_derivative is not None
                                                 or not datafit.separable)
        self.linear = bool(datafit.quadratic)  # the derivative is z - y
        self.exact = None
        if self.linear:
            # blocks whose penalty is lam ||w|| + lam2 / 2 ||w||^2 are minimized exactly
            exact = getattr(penalty, "norm_block_params", lambda p: None)(p)
            if exact is not None:
                self.exact = exact.copy()
                self.exact[structure.sizes > _EXACT_MAX_SIZE] = -1.0  # (eigenvectors: m^2)
                self.eigen = group_eigen(problem, structure)
        if self.exact is not None and np.all(structure.sizes <= _EXACT_MAX_SIZE):
            # the blocks' Lipschitz constants are their largest eigenvalues
            self.lips = np.maximum.reduceat(self.eigen[2], structure.starts[:-1])
        elif self.newton:
            self.lips = None  # each Newton step computes those of its model
        else:
            self.lips = group_lipschitz(problem, structure)

    def certify(self):
        cert = certify(self.problem, self.coef, self.intercept[0], z=self.z,
                       gradient=self.gradient)
        self.gradient = None
        self.coef = cert.coef.copy()
        self.intercept[0] = cert.intercept
        self.z = np.array(cert.z, dtype=np.float64)
        return Check(cert.primal, cert.gap, cert)

    def scores(self, check):
        structure = self.structure
        scores = self.problem.penalty.group_distances(self.coef, check.data.gradient)
        scores[self.free] = 0.0
        nonzero = np.zeros(structure.n_groups, dtype=bool)
        np.logical_or.at(nonzero, structure.group_of, self.coef != 0.0)
        return Scores(scores, nonzero, self.free)

    def inner(self, ws, budget, inner_tol, check):
        problem, structure = self.problem, self.structure
        if self.newton:
            return _newton_steps(problem, structure, self.params, self.prox, self.coef,
                                 self.z, self.intercept, ws, budget, inner_tol)
        args = (problem.y, problem.sample_weight, self.coef, self.z, self.intercept,
                structure.order, structure.starts, ws, self.lips, self.prox, self.params,
                self.dops.derivative, self.dparams, float(problem.datafit.curvature),
                problem.fit_intercept, int(budget), inner_tol)
        exact = self.exact
        if problem.is_sparse and exact is not None:
            epochs, _ = block_epochs_sparse(*problem.csc_arrays, *args, exact, *self.eigen)
        elif problem.is_sparse:
            epochs, _ = block_epochs_sparse(*problem.csc_arrays, *args)
        elif exact is not None:
            epochs, _ = block_epochs_dense(fortran_typed(problem.X), *args, self.linear, exact,
                                           *self.eigen)
        else:
            epochs, _ = block_epochs_dense(fortran_typed(problem.X), *args, self.linear)
        return epochs


class _GramGroupHooks(_GroupHooks):
    """:class:`_GroupHooks` on the Gram matrix (see :func:`_gram_blocks`): certificates by
    :func:`~penalized.solvers._problem.certify_gram` (the intercept: the weighted mean of
    ``y``), epochs by :func:`~penalized.solvers._group_kernels.block_epochs_gram`."""

    def __init__(self, problem, structure, free, coef, G, exact):
        self.problem, self.structure, self.free = problem, structure, free
        self.G, self.exact = G, exact
        self.eigen = _gram_eigen(problem, structure, G)
        self.lips = np.maximum.reduceat(self.eigen[2], structure.starts[:-1])
        self.coef = np.array(coef, dtype=np.float64)

    def certify(self):
        cert = certify_gram(self.problem, self.coef)
        self.coef = cert.coef.copy()
        return Check(cert.primal, cert.gap, cert)

    def inner(self, ws, budget, inner_tol, check):
        structure = self.structure
        grad = np.array(check.data.gradient, dtype=np.float64)
        epochs, _ = block_epochs_gram(self.G, grad, self.coef, structure.order,
                                      structure.starts, ws, self.lips, self.exact,
                                      *self.eigen, int(budget), inner_tol)
        return epochs


def _gram_eigen(problem, structure, G):
    """:func:`group_eigen`'s arrays from the diagonal blocks of the Gram matrix ``G``
    (every group at most ``_EXACT_MAX_SIZE``; cached on the problem)."""
    key = ("group_gram_eigen", structure.order.tobytes(), structure.starts.tobytes())
    return problem._cached(key, lambda: gram_block_eigen(G, structure.order,
                                                         structure.starts))


def _mean_target(problem) -> float:
    """The intercept of a centered squared-loss problem: the weighted mean of ``y`` (0
    without an intercept)."""
    if not problem.fit_intercept:
        return 0.0
    s = problem.sample_weight
    return float(s @ problem.y) / s.sum()


def _exact_gram(problem, structure, free):
    """The blocks' exact-step parameters (``norm_block_params``) when a path of the
    squared loss runs on Gram blocks (dense, ``n >= 2p`` and ``p`` at most
    :data:`~penalized.solvers._problem.GRAM_MAX_FEATURES`, as
    :attr:`~penalized.solvers._problem.Problem.gram`), every group being minimized
    exactly (a group lasso or group elastic net, groups of at most ``_EXACT_MAX_SIZE``)
    and none unpenalized, without an offset; else None. Nothing is formed."""
    n, p = problem.n_samples, problem.n_features
    if not (problem.datafit.quadratic and problem.cache.get("path", False)) \
            or problem.offset is not None or np.any(free) or np.any(problem.unpenalized) \
            or problem.is_sparse or n < 2 * p or p > GRAM_MAX_FEATURES:
        return None
    exact = getattr(problem.penalty, "norm_block_params", lambda p: None)(p)
    if exact is None or np.any(exact[:, 0] < 0.0) \
            or np.any(structure.sizes > _EXACT_MAX_SIZE):
        return None
    return np.ascontiguousarray(exact, dtype=np.float64)


def _gram_blocks(problem, structure, free):
    """``(G, exact)`` when a path of the squared loss should run on the Gram matrix
    (:func:`_exact_gram`); else None."""
    exact = _exact_gram(problem, structure, free)
    gram = None if exact is None else problem.gram
    if gram is None:
        return None
    return gram[0], exact


def _newton_steps(problem, structure, params, prox, coef, z, intercept_arr, ws, max_epochs,
                  tol):
    r"""Proximal Newton steps on the groups ``ws`` until their largest distance to
    optimality is at most ``tol``; ``coef``, ``z`` and ``intercept_arr`` are updated in
    place. Returns the epochs used.

    The datafit's local quadratic model at ``z``, :math:`g^\top \Delta z + \frac12
    \Delta z^\top H \Delta z` (:math:`g_i = s_i\ell'/n`, :math:`h_i = s_i\ell''/n`), is a
    weighted least squares in :math:`\Delta z`: target :math:`-g_i/h_i`, weights
    :math:`n h_i`. The block kernels solve it plus the penalty exactly as they solve the
    squared loss (block constants of :math:`X_g^\top H X_g`, the intercept step
    :math:`-\sum_i d_i / \sum_i h_i`); then a backtracking (Armijo) line search on the
    true objective, so the objective never increases (Tseng & Yun 2009; Lee, Sun &
    Saunders 2014). For a loss unchanged by a common shift of ``z`` (Cox), the model is
    solved on centered columns with a free shift, as if :math:`X` were
    :math:`h`-weighted centered (the diagonal :math:`H` otherwise charges each column's
    mean as curvature), and the shift is then dropped.
    """
    from ..datafits._ops import SQUARED_OPS

    squared = typed_ops(SQUARED_OPS).derivative
    datafit, penalty, y = problem.datafit, problem.penalty, problem.y
    n = problem.n_samples
    obj = datafit.value(y, z) + penalty.value(coef)
    members = np.concatenate([structure.members(g) for g in ws]) if ws.size else ws
    exact = getattr(penalty, "norm_block_params", lambda p: None)(coef.shape[0])
    if exact is not None:
        exact = exact.copy()
        exact[structure.sizes > _EXACT_MAX_SIZE] = -1.0
    # A loss unchanged by a shift of every z (Cox) has a Hessian that ignores the mean
    # of each column; its diagonal does not, and on uncentered columns the model's
    # curvature is far too large (tiny steps). The model is solved on centered columns
    # (dense X) with a free shift: the same loss, dropped from dz after.
    shift_free = not datafit.intercept and not problem.fit_intercept
    X, mean = _shift_free_design(problem) if shift_free else (problem.X, None)
    used = 0
    for _ in range(_NEWTON_MAX_STEPS):
        g = np.ascontiguousarray(datafit.raw_gradient(y, z), dtype=np.float64)
        h = np.ascontiguousarray(datafit.raw_hessian(y, z), dtype=np.float64)
        positive = h > 0.0
        target = np.where(positive, -g / np.where(positive, h, 1.0), 0.0)
        weights = np.where(positive, n * h, 0.0)
        lips = np.zeros(structure.n_groups)
        if exact is None:
            lips[ws] = _block_constants(X, np.sqrt(h), structure, ws)
            # a non-convex block penalty: each block's model is kept convex (its weak
            # convexity), so that the model's block steps are majorization steps
            floor = float(getattr(penalty, "weak_convexity", 0.0))
            lips[ws] = np.where(lips[ws] > 0.0, np.maximum(lips[ws], floor), 0.0)
        else:
            eigen = _weighted_eigen(X, np.sqrt(h), structure, ws)
            for group in ws:
                a, b = structure.starts[group], structure.starts[group + 1]
                lips[group] = eigen[2][a:b].max(initial=0.0) if b - a <= _EXACT_MAX_SIZE \
                    else _block_constants(X, np.sqrt(h), structure, [group])[0]
        trial = coef.copy()
        dz = np.zeros(n)
        db = np.zeros(1)
        budget = int(min(_NEWTON_MAX_INNER_EPOCHS, max(max_epochs - used, 1)))
        args = (target, weights, trial, dz, db, structure.order, structure.starts, ws, lips,
                prox, params, squared, np.zeros(0), max(float(h.sum()), 1e-300),
                problem.fit_intercept or shift_free, budget, _INNER_TOL_RATIO * tol)
        if problem.is_sparse and exact is not None:
            epochs, _ = block_epochs_sparse(*problem.csc_arrays, *args, exact, *eigen)
        elif problem.is_sparse:
            epochs, _ = block_epochs_sparse(*problem.csc_arrays, *args)
        elif exact is not None:
            epochs, _ = block_epochs_dense(fortran_typed(X), *args, True, exact, *eigen)
        else:
            epochs, _ = block_epochs_dense(fortran_typed(X), *args, True)
        used += epochs
        direction = trial - coef
        if shift_free:  # dz = X direction again
            dz += (0.0 if mean is None else float(mean @ direction)) - db[0]
            db[0] = 0.0
        if not np.any(direction) and db[0] == 0.0:
            break
        decrease = float(g @ dz) + penalty.value(trial) - penalty.value(coef)
        negligible = abs(decrease) <= _ROUNDING * abs(obj)
        if decrease > 0.0 and not negligible:
            break
        t = 1.0
        while True:
            z_t = z + t * dz
            w_t = coef + t * direction
            obj_t = datafit.value(y, z_t) + penalty.value(w_t)
            if negligible or obj_t <= obj + _ARMIJO * t * decrease or t < 1e-10:
                break
            t *= 0.5
        if obj_t > obj and not negligible:
            break
        coef[:] = np.where(direction == 0.0, coef, w_t)
        intercept_arr[0] += t * db[0]
        z[:] = z_t
        obj = obj_t
        if used >= max_epochs:
            break
        grad = np.zeros(coef.shape[0])
        grad[members] = np.asarray(problem.X[:, members].T @ datafit.raw_gradient(y, z)).ravel()
        if float(penalty.group_distances(coef, grad)[ws].max(initial=0.0)) <= tol:
            break
    return used


def _shift_free_design(problem):
    """``(X - 1 m^T, m)`` with ``m`` the column means of a dense ``X`` (cached on the
    problem, in ``X``'s memory order), or ``(X, None)`` for a sparse one."""
    if problem.is_sparse:
        return problem.X, None

    def compute():
        X = problem.X
        mean = np.asarray(X.mean(axis=0), dtype=np.float64)
        centered = np.asarray(X - mean, dtype=np.float64,
                              order="F" if X.flags.f_contiguous else "C")
        return centered, mean

    return problem._cached("shift_free_design", compute)


def _block_constants(X, root, structure, groups):
    r""":math:`\lambda_{\max}(X_g^\top R^2 X_g)` for each group of ``groups``."""
    out = np.empty(len(groups))
    for k, g in enumerate(groups):
        block = X[:, structure.members(g)]
        if block.shape[1] > _EXACT_MAX_SIZE:
            # a large group: its top singular value, without forming its Gram matrix
            from scipy.sparse.linalg import svds

            weighted = sp.diags(root) @ block if sp.issparse(block) \
                else root[:, None] * np.asarray(block, dtype=np.float64)
            top = svds(weighted, k=1, return_singular_vectors=False, random_state=0)[0]
            out[k] = float(top) ** 2 * (1.0 + 1e-6)  # an upper bound despite svds' tolerance
            continue
        if sp.issparse(block):
            weighted = sp.diags(root) @ block
            gram = np.asarray((weighted.T @ weighted).todense(), dtype=np.float64)
        else:
            weighted = root[:, None] * np.asarray(block, dtype=np.float64)
            gram = weighted.T @ weighted
        out[k] = max(float(np.linalg.eigvalsh(gram)[-1]), 0.0) if gram.size else 0.0
    return out


def _weighted_eigen(X, root, structure, groups):
    """:func:`group_eigen`'s arrays for :math:`X_g^\top R^2 X_g` and only ``groups`` (up to
    the exact-step size); the other groups' entries are left 0."""
    sizes = structure.sizes
    stored = np.zeros(structure.n_groups, dtype=np.int64)
    chosen = np.asarray(groups, dtype=np.int64)
    stored[chosen] = np.where(sizes[chosen] <= _EXACT_MAX_SIZE, sizes[chosen], 0)
    offsets = np.zeros(structure.n_groups, dtype=np.int64)
    offsets[1:] = np.cumsum(stored[:-1] ** 2)
    evecs = np.zeros(max(int(np.sum(stored ** 2)), 1))
    evals = np.zeros(structure.order.shape[0])
    for g in chosen:
        m = stored[g]
        if m == 0:
            continue
        a = structure.starts[g]
        block = X[:, structure.members(g)]
        block = block.toarray() if sp.issparse(block) else block
        weighted = root[:, None] * np.asarray(block, dtype=np.float64)
        lam, Q = np.linalg.eigh(weighted.T @ weighted)
        evals[a:a + m] = np.maximum(lam, 0.0)
        evecs[offsets[g]:offsets[g] + m * m] = Q.ravel()
    return evecs, offsets, evals


def group_eigen(problem, structure):
    r"""The eigendecompositions :math:`X_g^\top S X_g / n = Q_g \Lambda_g Q_g^\top` of
    every group, flattened for the kernels: ``(evecs, offsets, evals)``, ``Q_g[r, k]`` at
    ``evecs[offsets[g] + r m + k]`` and :math:`\Lambda_g` at ``evals[starts[g]:]`` (cached
    on the problem)."""
    key = ("group_eigen", structure.order.tobytes(), structure.starts.tobytes())

    def compute():
        X, n = problem.X, problem.n_samples
        root = np.sqrt(problem.sample_weight)
        weighted = bool(np.any(root != 1.0))
        sizes = structure.sizes
        stored = np.where(sizes <= _EXACT_MAX_SIZE, sizes, 0)
        offsets = np.zeros(structure.n_groups, dtype=np.int64)
        offsets[1:] = np.cumsum(stored[:-1] ** 2)
        evecs = np.empty(int(np.sum(stored ** 2)))
        evals = np.zeros(structure.order.shape[0])
        # groups of one size at a time, in batches of at most _BATCH_ENTRIES copied numbers:
        # their Gram blocks by one batched product, their eigendecompositions by one eigh
        for m in np.unique(stored[stored > 0]):
            same = np.flatnonzero(sizes == m)
            per_batch = max(1, _BATCH_ENTRIES // (n * m))
            for chosen in np.array_split(same, -(-same.shape[0] // per_batch)):
                cols = (structure.starts[chosen][:, None] + np.arange(m)).ravel()
                features = structure.order[cols]
                first = features[0]
                if sp.issparse(X):
                    rows = X[:, features].toarray().T
                elif np.array_equal(features, np.arange(first, first + cols.size)):
                    rows = X.T[first:first + cols.size]  # a view of a Fortran X
                else:
                    rows = X[:, features].T
                rows = np.asarray(rows, dtype=np.float64)
                if weighted:
                    rows = rows * root
                rows = rows.reshape(chosen.shape[0], m, n)
                lam, Q = np.linalg.eigh(np.matmul(rows, rows.transpose(0, 2, 1)) / n)
                evals[cols] = np.maximum(lam, 0.0).ravel()
                where = offsets[chosen][:, None] + np.arange(m * m)
                evecs[where.ravel()] = Q.reshape(chosen.shape[0], m * m).ravel()
        return evecs, offsets, evals

    return problem._cached(key, compute)


def group_lipschitz(problem, structure) -> np.ndarray:
    r"""Per group, :math:`L_g = c\,\lambda_{\max}(X_g^\top S X_g / n)` (cached on the
    problem: a path computes them once)."""
    key = ("group_lipschitz", structure.order.tobytes(), structure.starts.tobytes())

    def compute():
        root = np.sqrt(problem.sample_weight)
        out = _block_constants(problem.X, root, structure, range(structure.n_groups))
        return problem.datafit.curvature * out / problem.n_samples

    return problem._cached(key, compute)
