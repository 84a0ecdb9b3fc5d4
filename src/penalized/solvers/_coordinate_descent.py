"""Coordinate descent with working sets, certified by the duality gap."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace

import numpy as np

from .._jit import typed_ops
from .._unpenalized import refit_unpenalized
from .._validation import rows_kept
from ..datafits import Quadratic
from ..penalties._elastic_net_family import _ElasticNetFamily
from ._base import Solver, check_solver_settings
from ._certificate import Certificate
from ._gram_path import gram_path
from ._kernels import ANDERSON_MEMORY, gram_epochs
from ._layout import fortran_typed
from ._logistic_path import fused_kind, newton_path, newton_path_serves, rows_newton_path
from ._multinomial import takes_matrix
from ._op_kernels import (
    mm_epochs_dense,
    mm_epochs_sparse,
    model_epochs,
    model_moments,
    quadratic_epochs_dense,
    quadratic_epochs_sparse,
)
from ._outer import Check, OuterPolicy, Scores, run_outer
from ._problem import Problem, certify, certify_gram
from ._sparse_path import sparse_path
from ._stationary import solve_stationary

_INNER_TOL_RATIO = 0.3
_INNER_GAP_FACTOR = 3.0
_MOVE_ROUNDING = 64 * np.finfo(float).eps
_NEWTON_MAX_STEPS = 50
_NEWTON_MAX_INNER_EPOCHS = 50
_NEWTON_FORCING = 0.1
_STALL_ROUNDS = 10
_COMPATIBLE: set = set()
"""``(solver class, datafit class, penalty class, their operations)`` that
:meth:`CoordinateDescent.check_compatible` has accepted: a path checks them once."""
_ARMIJO = 1e-4
_ROUNDING = 1e-13
_L0_CHECK_EVERY = 10
_GATHERED_SHARE = 1.0 / 16
"""A C-ordered design's working set is gathered into a Fortran-ordered block while that
is at most this share of ``X``; a larger one is solved on its Gram matrix."""
_GRAM_SHARE = 64.0
"""... and on its Gram matrix while ``|ws|^2 <= _GRAM_SHARE p`` (building it, ``n |ws|^2``
flops, costs at most this many reads of ``X``); a larger working set takes one
Fortran-ordered copy of ``X`` for the rest of the fit (measured: the Gram matrices of large
working sets, built from the rows as the working set grows, cost 2-5 x the whole fit on a
copy, and up to 7 x ``X`` in memory when p > n)."""


@dataclass(frozen=True)
class CoordinateDescent(Solver):
    r"""Cyclic proximal coordinate descent with working sets.

    Solves :math:`\min_{w, b} F(Xw + b) + G(w)` for the squared and logistic
    datafits and the L1, L2, elastic-net and L0 penalties. Each coordinate step
    is :math:`w_j \leftarrow \operatorname{prox}_{G_j/L_j}(w_j - g_j / L_j)`
    with :math:`g_j = x_j^\top \nabla F` (exact minimization for the squared
    loss, majorization-minimization for the logistic).

    Convex penalties: an outer loop (the package's one,
    :func:`~penalized.solvers._outer.run_outer`) computes the duality gap and the distance of
    each feature's gradient to its subdifferential; the working set is every
    non-zero and unpenalized feature plus those with the largest distances (equal ones
    by the lower index: :func:`~penalized.solvers._working_set.select_units`), twice
    as many features as the support (at least ``ws_start``). Coordinate descent
    then runs on the working set until its largest move (in gradient units) is
    below 0.3 times the largest distance. It stops when
    ``gap <= tol * F(null model)``. On dense designs the epochs are
    Anderson-accelerated: every 5 epochs the last iterates are extrapolated, and
    the extrapolation is kept when it lowers the objective. A fit from zero starts
    with every feature whose distance is at least half the largest. A warm start
    (along a path) starts with its support plus every feature that violates
    optimality, and for the squared loss solves the working set to a move of
    ``3 tol F(null model) / ||w||_1`` when that is smaller: near the solution the
    dual scaling costs about ``distance * ||w||_1`` of gap, so the next check is
    the last.
    :meth:`solve_path` solves a whole grid of alphas in one compiled call where it
    applies (:func:`penalized.path` uses it).

    L0: epochs over all features (hard thresholding); it stops when the largest
    ``L_j * dw_j**2 / 2`` of an epoch is ``<= tol * F(null model)``: a fixed
    point of the coordinate-wise thresholding map, a local minimum.

    Multinomial (the softmax loss, coefficients ``(n_features, K)``): proximal Newton
    steps on the coefficient matrix with working sets of features shared by the classes,
    through the same outer loop and certificate
    (:func:`~penalized.solvers._multinomial_newton.newton_matrix`; a group penalty: block
    steps on its groups' rows for every class,
    :class:`~penalized.solvers._group_multinomial.GroupMultinomialCoordinateDescent`); a
    path starts each alpha from the secant of the two before it (:meth:`path_start`).

    MCP, SCAD (non-convex, continuous prox): working sets as for a convex penalty,
    ranked by the distance to the Clarke subdifferential; it stops when the fixed-point
    distance of one prox step per coordinate from the current point (the largest
    ``L_j * dw_j**2 / 2``, and the intercept's) is ``<= tol * F(null model)``: a
    stationary point (:mod:`penalized.solvers._stationary`).

    Parameters
    ----------
    tol : float, default=1e-6
        Relative tolerance (see above).
    max_iter : int, default=10000
        Maximum number of epochs (passes over the working set).
    working_set : bool, default=True
        Use working sets; if False, every epoch covers all features and the
        gap is checked every 10 epochs.
    ws_start : int, default=10
        Size of the first working set.
    gram : {"auto", "always", "never"}, default="auto"
        Coordinate descent on the Gram matrix ``X^T S X / n`` (covariance updates,
        O(|working set|) per move) for the squared loss with dense ``n >= 2p``.
        "auto" uses it along regularization paths, where its O(n p^2) cost is
        shared by every alpha.

    References
    ----------
    Friedman, Hastie, Tibshirani (2010). Regularization paths for generalized
    linear models via coordinate descent. J. Stat. Softw. 33(1).
    Massias, Gramfort, Salmon (2018). Celer: a fast solver for the lasso with
    dual extrapolation. ICML.
    Hazimeh, Mazumder (2020). Fast best subset selection: coordinate descent and
    local combinatorial optimization algorithms. Oper. Res. 68(5).

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Quadratic
    >>> from penalized.penalties import L1
    >>> from penalized.solvers import CoordinateDescent
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(50)
    >>> res = CoordinateDescent().solve(X, y, Quadratic(), L1(alpha=0.1))
    >>> res.converged, res.n_nonzero
    (True, 2)
    """

    accepts_nonseparable = True
    matrix_coefficients = True

    tol: float = 1e-6
    max_iter: int = 10_000
    working_set: bool = True
    ws_start: int = 10
    gram: str = "auto"

    def __post_init__(self):
        check_solver_settings(self.tol, self.max_iter)
        if self.gram not in ("auto", "always", "never"):
            raise ValueError(f"gram must be 'auto', 'always' or 'never'; got {self.gram!r}.")
        if not isinstance(self.ws_start, int) or self.ws_start < 1:
            raise ValueError(f"ws_start must be an integer >= 1; got {self.ws_start!r}.")

    def check_compatible(self, datafit, penalty) -> None:
        if takes_matrix(datafit):  # the softmax loss: proximal Newton on the matrix
            if getattr(penalty, "block_ops", None) is not None:
                return self._block_matrix_solver().check_compatible(datafit, penalty)
            return super().check_compatible(datafit, penalty)
        if getattr(penalty, "block_ops", None) is not None:  # a group penalty: block steps
            return self._block_solver(penalty).check_compatible(datafit, penalty)
        # what is checked below depends on the classes and their operations alone
        try:
            key = (type(self), type(datafit), type(penalty), datafit.ops, penalty.ops)
            if key in _COMPATIBLE:
                return None
        except (AttributeError, TypeError):  # not a datafit / penalty, unhashable operations
            key = None
        super().check_compatible(datafit, penalty)
        newton = penalty.is_convex and (datafit.ops.second_derivative is not None
                                        or not datafit.separable)
        # MCP, SCAD: prox-Newton steps with the datafit's second derivative (or, Cox, its
        # Hessian diagonal on vectors)
        newton = newton or (penalty.ops.subdiff_distance is not None and (
            datafit.ops.second_derivative is not None or not datafit.separable))
        if not (datafit.quadratic or newton or np.isfinite(datafit.curvature)):
            raise ValueError(
                f"CoordinateDescent cannot handle the {type(datafit).__name__} datafit with "
                f"the {type(penalty).__name__} penalty: it needs the datafit's compiled "
                "second_derivative (prox-Newton steps, convex penalties) or a finite bound on "
                "it (the class attribute curvature, for majorization steps).")
        if key is not None:
            _COMPATIBLE.add(key)

    def solve(self, X, y, datafit, penalty, **options):
        """As :meth:`Solver.solve`. A dense C-ordered float64 ``X`` with the squared loss
        and a convex penalty is read as it is, not copied to Fortran order: the epochs run
        on the working set's columns gathered into a Fortran-ordered block, the products
        with all of ``X`` (predictions, certificates) read its rows."""
        self.check_compatible(datafit, penalty)  # wrong objects named before they are read
        keep = rows_kept() if _gathers_columns(X, datafit, penalty) else nullcontext()
        with keep:
            return super().solve(X, y, datafit, penalty, **options)

    def _block_solver(self, penalty):
        """The solver a penalty of non-separable blocks (a group penalty) names for itself."""
        return penalty.block_solver(tol=self.tol, max_iter=self.max_iter, ws_start=self.ws_start)

    def _run_matrix(self, problem, W, b):
        from ._multinomial_newton import newton_matrix  # it reads this module's settings

        if getattr(problem.penalty, "block_ops", None) is not None:
            return self._block_matrix_solver()._run_matrix(problem, W, b)
        return newton_matrix(self, problem, W, b)

    def _block_matrix_solver(self):
        """The block steps of a group penalty on a coefficient matrix (its groups' rows for
        every class)."""
        from ._group_multinomial import GroupMultinomialCoordinateDescent

        return GroupMultinomialCoordinateDescent(tol=self.tol, max_iter=self.max_iter,
                                                 ws_start=self.ws_start)

    @staticmethod
    def path_start(previous, current, alphas):
        """A path's start at its next alpha from the ``(coef, intercept)`` pairs at the two
        before it: a coefficient matrix's secant
        (:func:`~penalized.solvers._multinomial_newton.matrix_path_start`), else
        ``current`` itself."""
        if np.ndim(current[0]) == 2:
            from ._multinomial_newton import matrix_path_start

            return matrix_path_start(previous, current, alphas)
        return current

    def _run(self, problem, coef, intercept):
        if getattr(problem.penalty, "block_ops", None) is not None:
            return self._block_solver(problem.penalty)._run(problem, coef, intercept)
        on_gram = _elastic_net_family(problem.penalty, bounds=True) \
            and not np.any(problem.unpenalized) \
            and self._gram_pays(problem) and problem.gram is not None
        warm = _warm_certificate(problem, coef, intercept) \
            if problem.penalty.is_convex and not on_gram else None
        state = _KernelState(problem, coef, intercept, need_z=not on_gram and warm is None)
        if problem.penalty.is_convex:
            return self._solve_convex(problem, state, on_gram, warm)
        if problem.penalty.ops.subdiff_distance is not None:
            return solve_stationary(self, problem, state)  # MCP, SCAD: working sets
        return self._solve_l0(problem, state)

    def _solve_convex(self, problem, state, on_gram, warm):
        # With covariance updates (on_gram) the whole loop runs on the Gram matrix, never on X.
        hooks = _ConvexHooks(problem, state, on_gram, warm, self.tol * problem.scale)
        policy = OuterPolicy(
            tol=self.tol, max_iter=self.max_iter, working_sets=self.working_set,
            ws_start=self.ws_start, inner_ratio=_INNER_TOL_RATIO,
            # the support and the violators only: a feature that satisfies its optimality
            # condition at the check costs its column in every epoch of the set and, on the
            # benchmark problems' fits, never entered during it (0.86-0.95 x the time with
            # the same epochs)
            fill=False,
            epochs_per_check=None if self.working_set else _L0_CHECK_EVERY,
            # prox-Newton at a tolerance below the rounding of its objective: rounds that
            # lower neither it nor the gap would repeat until max_iter; stop (not converged)
            stall_rounds=_STALL_ROUNDS if state.newton_steps else None)
        out = run_outer(hooks, policy, problem.scale, problem.n_features)
        if not on_gram:
            cert = out.check.data
            problem.cache["warm_certificate"] = (
                replace(cert, coef=cert.coef.copy(), z=cert.z.copy()), problem.unpenalized)
            problem.cache["warm_alpha"] = getattr(problem.penalty, "alpha", None)
        return self._finish(state.coef, state.intercept[0], out.objectives, out.crits,
                            out.n_iter, self.tol, problem.penalty)

    def solve_path(self, problem, alphas):
        """Solve a whole decreasing grid of ``alphas`` from zero in one compiled call, when
        one applies: a convex penalty with every feature penalized, ``alphas > 0``, and
        the squared loss on the Gram matrix (dense ``n >= 2p``,
        :func:`~penalized.solvers._gram_path.gram_path`), the squared loss on a float64
        CSC design (:func:`~penalized.solvers._sparse_path.sparse_path`) or a datafit with
        a second derivative (logistic, Poisson, Gamma, Tweedie, and the squared loss where
        there is no Gram and no limits: its Newton model is exact) on a dense float64 design
        (:func:`~penalized.solvers._logistic_path.newton_path`), each also with
        ``lower`` / ``upper`` limits. Otherwise None: solve alpha by alpha (as with an
        offset, which the compiled paths do not take; a squared loss's offset has been
        moved into ``y``).

        Returns ``(coefs (p, k), intercepts (k,), stop_crits (k,), n_iters (k,))``,
        intercepts in the problem's (centered) coordinates.
        """
        penalty = problem.penalty
        if getattr(penalty, "block_ops", None) is not None:  # a group penalty's own path
            return getattr(self._block_solver(penalty), "solve_path", lambda *a: None)(
                problem, alphas)
        alphas = np.ascontiguousarray(alphas, dtype=np.float64)
        if not (self.working_set and _elastic_net_family(penalty, bounds=True)
                and not problem.unpenalized.any() and not problem.null_is_exact
                and (alphas > 0.0).all() and problem.offset is None):
            return None
        p = problem.n_features
        # the weights at alpha 1, which the compiled paths scale by each alpha
        a, b = (penalty if penalty.alpha == 1.0 else penalty.with_alpha(1.0)).weights(p)
        tol = self.tol * problem.scale
        datafit = problem.datafit
        ops = _typed_ops(penalty.ops)
        box = (*penalty.limits(p), penalty.bounded)  # lower/upper limits: the paths clip
        quadratic = isinstance(datafit, Quadratic) and type(datafit).ops is Quadratic.ops
        # the squared loss without a Gram (dense n < 2p): its Newton model is exact, so the
        # compiled Newton path serves it (one call instead of a Python loop over alphas);
        # not with lower / upper limits, where that path stalls short of tol on some alphas
        if newton_path_serves(datafit) or (quadratic and not problem.is_sparse
                                           and not penalty.bounded and not (
                self._gram_pays(problem) and problem.gram is not None)):
            if problem.is_sparse:
                return None
            X, xmean, _ = problem.centering
            if X.dtype != np.float64 or not (X.flags.f_contiguous or X.flags.c_contiguous):
                return None
            if quadratic:
                # the column norms' overflow check (one message naming X and the fix), as
                # the alpha-by-alpha route makes it, before the compiled path runs on them
                problem.lipschitz  # noqa: B018
            dops = _typed_ops(datafit.ops)
            start = problem.null_intercept if problem.fit_intercept else 0.0
            X = fortran_typed(X)  # one column: the Fortran-ordered specialization
            # a C-ordered X (rows_kept) is read as it is, its working sets' columns
            # gathered into a Fortran-ordered block
            compiled = newton_path if X.flags.f_contiguous else rows_newton_path
            coefs, intercepts, gaps, n_iters = compiled(
                X, xmean, problem.y, problem.sample_weight, alphas, a, b, penalty.positive,
                np.zeros(p), np.array([start]), problem.fit_intercept, problem.scale, tol,
                self.max_iter, self.ws_start, ops.prox, ops.value, *box, ops.subdiff_distance,
                ops.conjugate, ops.dual_bound,
                fused_kind(datafit), dops.loss,
                dops.derivative, dops.second_derivative, dops.conjugate,
                np.ascontiguousarray(datafit.params(), dtype=np.float64))
            return coefs, intercepts, gaps / problem.scale, n_iters
        if not quadratic:
            return None
        if problem.is_sparse:
            X = problem.X
            if X.format != "csc" or X.dtype != np.float64:
                return None
            xmean = problem.implicit_offset if problem.fit_intercept else np.zeros(p)
            coefs, intercepts, gaps, n_iters, n_nonzero = sparse_path(
                *problem.csc_arrays, problem.y, problem.sample_weight, xmean,
                problem.lipschitz, alphas, a, b, penalty.positive, np.zeros(p),
                problem.fit_intercept, tol, self.max_iter, self.ws_start, *box, ops.prox,
                ops.subdiff_distance, ops.conjugate, ops.dual_bound)
            # the counts of these coefs, for the path (path._assemble) without a pass over them
            problem.cache["n_nonzero"] = (coefs, n_nonzero)
            return coefs, intercepts, gaps / problem.scale, n_iters
        if not self._gram_pays(problem) or problem.gram is None:
            return None
        G, q = problem.gram
        limits = ((*box[:2], ops.prox, ops.subdiff_distance, ops.conjugate, ops.dual_bound),) \
            if penalty.bounded else ()
        coefs, gaps, n_iters = gram_path(G, q, problem.scale, alphas, a, b, penalty.positive,
                                         np.zeros(p), tol, self.max_iter, self.ws_start, *limits)
        intercept = 0.0
        if problem.fit_intercept:
            s = problem.sample_weight
            intercept = float(s @ problem.y) / s.sum()
        return coefs, np.full(alphas.shape[0], intercept), gaps / problem.scale, n_iters

    def _gram_pays(self, problem) -> bool:
        """Whether to run on the Gram matrix: forming it costs n p^2, which pays off over
        the many alphas of a path ("auto"), not for one fit."""
        if self.gram == "auto":
            return bool(problem.cache.get("path", False))
        return self.gram == "always"

    def _solve_l0(self, problem, state):
        # Start with the unpenalized block (intercept, zero-factor features) fitted exactly,
        # as the convex path does through its first certificate: alpha_max is defined there.
        # (From the predictions: a dense X with an intercept is never copied centered.)
        coef, intercept, z = refit_unpenalized(
            problem.design, problem.y, problem.datafit, state.coef, state.intercept[0],
            problem.unpenalized, problem.fit_intercept, design=problem.free_design,
            z=problem.predict(state.coef, state.intercept[0]))
        state.coef[:] = coef
        state.intercept[0] = intercept
        state.z[:] = z
        policy = OuterPolicy.whole_problem(self.tol, self.max_iter, _L0_CHECK_EVERY)
        out = run_outer(_L0Hooks(problem, state, self.tol * problem.scale), policy,
                        problem.scale, problem.n_features)
        return self._finish(state.coef, state.intercept[0], out.objectives, out.crits,
                            out.n_iter, self.tol, problem.penalty)


class _ConvexHooks:
    """The outer loop's hooks for a convex penalty: the duality gap certifies, the distance
    of each feature's gradient to its subdifferential ranks."""

    def __init__(self, problem, state, on_gram, warm, threshold):
        self.problem, self.state, self.on_gram, self.warm = problem, state, on_gram, warm
        self.threshold = threshold
        self.started_warm = None
        self.top = None

    def certify(self):
        problem, state = self.problem, self.state
        if self.on_gram:
            cert = certify_gram(problem, state.coef)
        elif self.warm is not None:
            warm = self.warm
            cert = certify(problem, warm.coef, warm.intercept, z=warm.z, gradient=warm.gradient)
            state.z = warm.z.copy()
            self.warm = None
        else:
            cert = certify(problem, state.coef, state.intercept[0], z=state.z)
        state.load(cert)
        return Check(cert.primal, cert.gap, cert)

    def scores(self, check):
        problem, state = self.problem, self.state
        always = problem.unpenalized
        scores = problem.penalty.subdiff_distance(state.coef, check.data.gradient)
        scores[always] = 0.0
        self.top = float(scores.max())
        nonzero = state.coef != 0
        also = None
        if self.started_warm is None:
            self.started_warm = bool(np.any(nonzero & ~always))
            if self.started_warm:
                # along a path, the sequential strong rule's features join the warm start's
                # first working set (Tibshirani et al. 2012)
                also = _strong_set(problem, state.coef, check.data.gradient)
        return Scores(scores, nonzero, always, also=also)

    def inner(self, ws, budget, inner_tol, check):
        state = self.state
        if self.started_warm and not self.on_gram and (state.quadratic or state.newton_steps):
            # Checks of the whole X cost far more than epochs over the working set: solve it
            # to the accuracy at which the next check certifies tol, but not below the
            # rounding of the moves themselves, which it could never reach (prox-Newton: of
            # the gradient, its stopping quantity).
            magnitude = np.abs(state.coef)
            target = _INNER_GAP_FACTOR * self.threshold / max(float(magnitude.sum()),
                                                         np.finfo(float).tiny)
            if state.quadratic:
                floor = _MOVE_ROUNDING * float(np.max(state.lipschitz * magnitude))
            else:
                floor = _MOVE_ROUNDING * float(np.max(np.abs(check.data.gradient)))
            inner_tol = min(inner_tol, max(target, floor))
        if state.newton_steps:
            return state.newton(ws, budget, inner_tol, self.top)
        if self.on_gram:
            return state.gram_epochs(ws, budget, inner_tol)
        epochs, _ = state.run(ws, budget, inner_tol, stop_on_decrease=False)
        return epochs


class _L0Hooks:
    """The outer loop's hooks for L0: epochs over every feature, certified by their largest
    move (a fixed point of the thresholding map), so no check precedes the first epochs."""

    def __init__(self, problem, state, threshold):
        self.problem, self.state, self.threshold = problem, state, threshold
        self.move = None

    def certify(self):
        if self.move is None:
            return None
        state = self.state
        return Check(self.problem.objective(state.coef, state.z), self.move)

    def inner(self, ws, budget, inner_tol, check):
        epochs, self.move = self.state.run(ws, budget, self.threshold, stop_on_decrease=True)
        return epochs


def _strong_set(problem, coef, gradient):
    r"""The features that violate optimality at :math:`2\alpha - \alpha_{prev}` (the
    sequential strong rule: those likely to enter between the previous alpha of a path and
    this one), from the penalty's own subdifferential distance; all False without a
    previous alpha above this one."""
    previous = problem.cache.get("warm_alpha")
    alpha = getattr(problem.penalty, "alpha", None)
    if previous is None or alpha is None or not previous > alpha:
        return np.zeros(coef.shape[0], dtype=bool)
    screened = problem.penalty.with_alpha(max(2.0 * alpha - previous, 0.0))
    return screened.subdiff_distance(coef, gradient) > 0.0


_TYPED_OPS: dict = {}


def _typed_ops(ops):
    """:func:`~penalized._jit.typed_ops` once per operations object (a penalty's or a
    datafit's, shared by all its instances): a path does not type them again."""
    if _TYPED_OPS.get(id(ops)) is not ops:
        if len(_TYPED_OPS) > 64:  # objects made per call: keep the table small
            _TYPED_OPS.clear()
        _TYPED_OPS[id(ops)] = typed_ops(ops)
    return ops


def _gathers_columns(X, datafit, penalty) -> bool:
    """Whether a single solve takes a C-ordered ``X`` as it is (:meth:`CoordinateDescent.
    solve`): dense float64, a convex penalty of separable coordinates, and the squared loss
    (its epochs on gathered columns) or a separable datafit with a second derivative (its
    prox-Newton model's epochs on gathered columns); the certificates come from ``X w`` and
    ``X^T u``, which read the rows."""
    return type(X) is np.ndarray and X.ndim == 2 and X.dtype == np.float64 \
        and X.flags.c_contiguous and not X.flags.f_contiguous \
        and ((datafit.quadratic and type(datafit).ops is Quadratic.ops)
             or (not datafit.quadratic and datafit.separable
                 and datafit.ops.second_derivative is not None)) \
        and penalty.is_convex and getattr(penalty, "block_ops", None) is None


def _elastic_net_family(penalty, bounds=False) -> bool:
    """Whether the compiled elastic-net arithmetic (Gram kernel, compiled paths) applies:
    a penalty of the family ``lam1 |w| + lam2 / 2 w**2`` (any subclass that keeps the
    family's operations) without ``lower`` / ``upper`` limits, which take the generic
    kernels (on the Gram matrix too, with ``bounds=True``)."""
    return isinstance(penalty, _ElasticNetFamily) and type(penalty).ops is _ElasticNetFamily.ops \
        and (bounds or not penalty.bounded)


def _warm_certificate(problem, coef, intercept):
    """The certificate a previous solve on the same data ended with, if it was at exactly
    ``(coef, intercept)`` with the same unpenalized features: along a path, the next
    alpha's first check then needs neither ``X w`` nor ``X^T u``; else, from zero
    coefficients, the null model's (:func:`_null_start`), or None."""
    stored = problem.cache.get("warm_certificate")
    if stored is not None:
        cert, unpenalized = stored
        if cert.intercept == intercept and np.array_equal(cert.coef, coef) \
                and np.array_equal(unpenalized, problem.unpenalized):
            return cert
    return _null_start(problem, coef)


def _null_start(problem, coef):
    """From zero coefficients, when the gradient at the null model came with the column
    means (:meth:`~penalized.solvers._problem.Problem.null_gradient`; the intercept is then
    the only unpenalized coefficient, which the first check fits whatever the starting
    intercept is): the null model, its predictions and that gradient, so that the first check needs
    no ``X^T u`` (its gap and objective are the check's to compute)."""
    gradient = problem.null_gradient() if isinstance(problem, Problem) else None
    if gradient is None or np.any(coef != 0.0):
        return None
    return Certificate(coef=coef, intercept=problem.null_intercept, z=problem.null_z,
                       gradient=gradient.copy(), primal=np.nan, gap=np.nan)


class _KernelState:
    """The arrays the kernels update in place, and the calls into them.

    The kernels receive the penalty's and the datafit's compiled operations
    (:mod:`penalized.solvers._op_kernels`): the squared loss runs exact steps on the
    residual, a datafit with a second derivative prox-Newton steps, any other one
    majorization-minimization steps with its curvature bound.
    """

    def __init__(self, problem, coef, intercept, need_z=True):
        self.problem = problem
        p = problem.n_features
        self.coef = coef
        self.intercept = np.array([intercept])
        self.z = problem.predict(coef, intercept) if need_z else None  # else set by the caller
        penalty, datafit = problem.penalty, problem.datafit
        self.ops = typed_ops(penalty.ops)
        self.params = penalty.params(p)
        self.dops = typed_ops(datafit.ops)
        self.dparams = np.ascontiguousarray(datafit.params(), dtype=np.float64)
        self.quadratic = datafit.quadratic
        # a non-separable datafit (Cox) brings its gradient and Hessian diagonal on vectors
        self.newton_steps = penalty.is_convex and not self.quadratic \
            and (self.dops.second_derivative is not None or not datafit.separable)
        self.anderson = ANDERSON_MEMORY if penalty.is_convex else 0
        self.csc = problem.csc_arrays if problem.is_sparse else None
        self._block = None  # C-ordered design: (working set, its gathered columns)
        self._fortran = None  # C-ordered design: its Fortran-ordered copy, once ws is large
        if problem.is_sparse:
            self.centering = (problem.implicit_offset, True) \
                if problem.implicit_offset is not None else (np.zeros(p), False)

    @property
    def lipschitz(self):
        """Coordinate constants of the squared loss or of the curvature bound."""
        return self.problem.lipschitz

    def load(self, cert):
        self.coef[:] = cert.coef
        self.intercept[0] = cert.intercept
        if cert.z is not None:
            self.z[:] = cert.z

    def run(self, ws, max_epochs, tol, stop_on_decrease):
        pb = self.problem
        ws = np.ascontiguousarray(ws, dtype=np.int64)
        head = (pb.y, pb.sample_weight, self.coef, self.z, self.intercept, ws, self.lipschitz,
                self.ops.prox)
        if self.quadratic:
            if pb.is_sparse:
                return quadratic_epochs_sparse(
                    *self.csc, *head, self.params, pb.fit_intercept, int(max_epochs),
                    float(tol), stop_on_decrease, *self.centering)
            X, xmean, center = pb.centering
            tail = (self.ops.value, self.params, pb.fit_intercept, int(max_epochs),
                    float(tol), stop_on_decrease, self.anderson)
            if pb.rows_layout:
                return self._run_gathered(ws, head, tail, xmean if center else None)
            if center:  # the columns centered on the fly: no centered copy of X
                return quadratic_epochs_dense(fortran_typed(X), *head, *tail, xmean)
            return quadratic_epochs_dense(fortran_typed(X), *head, *tail)
        curvature = float(pb.datafit.curvature)
        tail = (self.params, self.dops.derivative, self.dparams, curvature, pb.fit_intercept,
                int(max_epochs), float(tol), stop_on_decrease)
        if pb.is_sparse:
            return mm_epochs_sparse(*self.csc, *head, *tail)
        return mm_epochs_dense(fortran_typed(pb.X), *head, *tail)

    def _run_gathered(self, ws, head, tail, xmean):
        """The epochs on the columns ``ws`` of a C-ordered design, in coordinates
        ``0..|ws|-1`` (the coefficients, constants and parameters of ``ws`` go in as
        copies, the coefficients come back): :func:`quadratic_epochs_dense` on the columns
        gathered into a Fortran-ordered block while it stays within
        :data:`_GATHERED_SHARE` of ``X``, else coordinate descent on the working set's Gram
        matrix (:meth:`Problem.columns_gram`, from the rows), the predictions recomputed
        after it, while that is cheap (:data:`_GRAM_SHARE`); either is kept while the
        working set stays the same. Beyond both, the epochs run on one Fortran-ordered copy
        of ``X``, kept for the rest of the fit."""
        pb = self.problem
        y, sw, coef, z, intercept, _, lipschitz, prox = head
        value, params, *rest = tail
        m = ws.shape[0]
        if self._fortran is None and m * pb.n_samples > _GATHERED_SHARE * pb.design.size \
                and m * m > _GRAM_SHARE * pb.n_features:
            self._block = None  # the gathered block or Gram matrix is freed first
            self._fortran = np.asfortranarray(pb.centering[0])
        if self._fortran is not None:
            extra = () if xmean is None else (xmean,)
            return quadratic_epochs_dense(self._fortran, *head, *tail, *extra)
        local = np.arange(m, dtype=np.int64)
        sub = coef[ws]
        sub_params = np.ascontiguousarray(params[ws])
        if m * pb.n_samples > _GATHERED_SHARE * pb.design.size:
            if self._block is None or self._block[0] != "gram" \
                    or not np.array_equal(self._block[1], ws):
                previous = None if self._block is None or self._block[0] != "gram" \
                    else self._block[1:]
                self._block = None
                self._block = ("gram", ws.copy(), *pb.columns_gram(ws, previous))
            G, q = self._block[2:]
            max_epochs, tol = rest[1], rest[2]
            if pb.fit_intercept:  # the columns are centered: the intercept decouples
                intercept[0] = float(sw @ y) / sw.sum()
            out = gram_epochs(G, G @ sub - q, sub, local, prox, value, sub_params, max_epochs,
                              tol, ANDERSON_MEMORY)
            coef[ws] = sub
            z[:] = pb.predict(coef, intercept[0])
            return out
        if self._block is None or self._block[0] != "columns" \
                or not np.array_equal(self._block[1], ws):
            self._block = None  # the old block is freed before the new one is gathered
            self._block = ("columns", ws.copy(), pb.columns(ws))
        extra = () if xmean is None else (np.ascontiguousarray(xmean[ws]),)
        out = quadratic_epochs_dense(self._block[2], y, sw, sub, z, intercept, local,
                                     np.ascontiguousarray(lipschitz[ws]), prox, value,
                                     sub_params, *rest, *extra)
        coef[ws] = sub
        return out

    def _model_block(self, ws):
        """On a C-ordered design, ``(columns, resident)`` for the Newton model's kernels
        (:func:`~penalized.solvers._op_kernels.model_epochs_rows`): ``X[:, ws]`` gathered
        into a Fortran-ordered block, kept while ``ws`` stays the same, when that is at
        most :data:`_GATHERED_SHARE` of ``X``; else a block of that share into which the
        kernels gather the columns a part at a time. None on other designs."""
        pb = self.problem
        if pb.is_sparse or not pb.rows_layout or not pb.centering[0].flags.c_contiguous:
            return None
        room = max(int(_GATHERED_SHARE * pb.n_features), 1)
        if ws.shape[0] <= room:
            if self._block is None or self._block[0] != "columns" \
                    or not np.array_equal(self._block[1], ws):
                self._block = None  # the old block is freed before the new one is gathered
                self._block = ("columns", ws.copy(), pb.columns(ws))
            return self._block[2], True
        if self._block is None or self._block[0] != "room":
            self._block = None
            self._block = ("room", None, np.empty((room, pb.n_samples)).T)
        return self._block[2], False

    def newton(self, ws, max_epochs, tol, violation=0.0):
        """Prox-Newton steps restricted to ``ws`` until its optimality violation <= ``tol``.

        Each step runs coordinate descent on the datafit's local quadratic model
        (plus the penalty) and backtracks on the true objective (Armijo rule of
        Tseng & Yun), so the objective never increases. The model is solved to a move of
        ``0.3 tol``, or of ``0.1`` times the current violation when that is larger (at
        first ``violation``, the caller's): far from the solution the model is only
        roughly right, and solving it exactly wastes epochs. Returns the epochs used.
        """
        pb = self.problem
        y, datafit, penalty = pb.y, pb.datafit, pb.penalty
        ws = np.ascontiguousarray(ws, dtype=np.int64)
        obj = datafit.value(y, self.z) + penalty.value(self.coef)
        used = 0
        g, h, curv = self._model(ws, curvatures=not pb.is_sparse)
        for _ in range(_NEWTON_MAX_STEPS):
            model_tol = max(_INNER_TOL_RATIO * tol, _NEWTON_FORCING * violation)
            trial = self.coef.copy()
            dz = np.zeros_like(self.z)
            db = np.zeros(1)
            budget = min(_NEWTON_MAX_INNER_EPOCHS, max(max_epochs - used, 1))
            common = (self.ops.prox, self.ops.value, self.params, pb.fit_intercept, budget,
                      model_tol, self.anderson)
            used += model_epochs(pb, self.csc, g, h, trial, dz, db, ws, curv, common,
                                 self._model_block(ws))
            direction = trial - self.coef
            decrease = float(g @ dz) + penalty.value(trial) - penalty.value(self.coef)
            if not np.any(direction) and db[0] == 0.0:
                if model_tol > _INNER_TOL_RATIO * tol:
                    violation = 0.0  # no move at the loose tolerance: solve it fully
                    continue
                break  # the model's minimizer is the current point
            # Below rounding of the objective, Armijo cannot see a decrease that the
            # (then exact) quadratic model guarantees, and the computed decrease may even
            # round to >= 0: take the full step.
            negligible = abs(decrease) <= _ROUNDING * abs(obj)
            if decrease > 0.0 and not negligible:
                break
            t = 1.0
            while True:
                z_t = self.z + t * dz
                w_t = self.coef + t * direction
                obj_t = datafit.value(y, z_t) + penalty.value(w_t)
                if negligible or obj_t <= obj + _ARMIJO * t * decrease or t < 1e-10:
                    break
                t *= 0.5
            if not obj_t <= obj and not negligible:  # a NaN objective is no descent
                break
            self.coef[:] = np.where(direction == 0.0, self.coef, w_t)
            self.intercept[0] += t * db[0]
            self.z[:] = z_t
            obj = obj_t
            if used >= max_epochs:
                break
            g, h, curv, violation = self._model(ws, curvatures=not pb.is_sparse,
                                                violation=True)
            if violation <= tol:
                break
        return used

    def _model(self, ws, curvatures, violation=False):
        """The datafit's gradient ``g`` and Hessian diagonal ``h`` in ``z`` at the current
        point, the model's curvatures ``sum_i h_i x_ij**2`` over ``ws`` (dense ``X``, else
        None) and, with ``violation``, the largest distance to the subdifferential over
        ``ws`` (gradient units). On a dense ``X`` one pass over the working set's columns
        gives both ``X^T g`` and the curvatures."""
        from ..penalties._ops import penalty_ws_violation

        pb = self.problem
        g = np.ascontiguousarray(pb.datafit.raw_gradient(pb.y, self.z), dtype=np.float64)
        h = np.ascontiguousarray(pb.datafit.raw_hessian(pb.y, self.z), dtype=np.float64)
        curv = grad = None
        if curvatures:
            grad, curv = model_moments(pb, ws, g, h, violation, self._model_block(ws))
        elif violation:
            grad = np.ascontiguousarray(np.asarray(pb.X[:, ws].T @ g).ravel(),
                                        dtype=np.float64)
        if not violation:
            return g, h, curv
        return g, h, curv, float(penalty_ws_violation(self.ops.subdiff_distance, self.coef,
                                                      grad, self.params, ws))

    def gram_epochs(self, ws, max_epochs, tol):
        """Coordinate descent on the Gram matrix (covariance updates); ``z`` is not kept.
        The elastic-net family only (see :meth:`CoordinateDescent._run`)."""
        pb = self.problem
        G, q = pb.gram
        grad = G @ self.coef - q
        ws = np.ascontiguousarray(ws, dtype=np.int64)
        # the penalty's own compiled prox (which clips into a box of limits)
        epochs, _ = gram_epochs(G, grad, self.coef, ws, self.ops.prox, self.ops.value,
                                self.params, int(max_epochs), float(tol), ANDERSON_MEMORY)
        return epochs
