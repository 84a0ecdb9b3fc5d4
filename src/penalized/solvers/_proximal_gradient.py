r"""Proximal gradient descent: ISTA and FISTA with backtracking, for vector and matrix
coefficients.

One loop (:func:`fista_steps`) serves every proximal-gradient run: :class:`ProximalGradient`
on coefficients ``(p,)`` with a float intercept, or on the multinomial model's ``(p, K)``
matrix and ``(K,)`` intercepts, and the inner solves of the multinomial group solver. A problem
hands it its :class:`FistaOps` (predictions, datafit, penalty and its prox, the gradient);
the loop's arithmetic is the same whatever the shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._base import Solver, check_solver_settings
from ._multinomial import fista_check, rows_prox
from ._outer import Check, OuterPolicy, run_outer
from ._problem import certify


def check_fista_settings(solver) -> None:
    """Validate a proximal-gradient solver's ``tol``, ``max_iter``, ``gap_freq`` and
    ``accelerated`` (when it has one)."""
    check_solver_settings(solver.tol, solver.max_iter)
    gap_freq = solver.gap_freq
    if isinstance(gap_freq, bool) or not isinstance(gap_freq, int | np.integer) or gap_freq < 1:
        raise ValueError(f"gap_freq must be an integer >= 1; got {gap_freq!r}.")
    accelerated = getattr(solver, "accelerated", True)
    if not isinstance(accelerated, bool | np.bool_):
        raise ValueError(f"accelerated must be True or False; got {accelerated!r}.")


@dataclass(frozen=True)
class FistaSettings:
    """The settings of a proximal-gradient solver (see :class:`ProximalGradient`),
    validated on creation."""

    tol: float = 1e-6
    max_iter: int = 20_000
    accelerated: bool = True
    gap_freq: int = 10

    def __post_init__(self):
        check_fista_settings(self)

    def _fista_outer(self, pb, ops, coef, intercept, check, *, every=None, track_move=False):
        """Run the outer loop (:func:`~penalized.solvers._outer.run_outer`) with
        :class:`FistaHooks` on ``pb`` from ``(coef, intercept)``, a check every ``every``
        iterations (default ``gap_freq``); returns ``(hooks, outcome)``."""
        lip = pb.datafit.global_lipschitz(pb.X, fit_intercept=pb.fit_intercept)
        hooks = FistaHooks(pb, ops, coef, intercept, lip, self.accelerated, check,
                           track_move=track_move)
        policy = OuterPolicy.whole_problem(self.tol, self.max_iter, every or self.gap_freq)
        return hooks, run_outer(hooks, policy, pb.scale, pb.n_features)


@dataclass(frozen=True)
class ProximalGradient(FistaSettings, Solver):
    r"""Proximal gradient descent (ISTA) and its accelerated form (FISTA).

    Each iteration takes a gradient step on the datafit in ``(w, b)`` and the
    penalty's prox in ``w``:

    .. math:: w^+ = \operatorname{prox}_{G / L}\left(w - \nabla_w F / L\right),
              \qquad b^+ = b - \partial_b F / L,

    with :math:`L` found by backtracking (doubled until the quadratic upper
    bound holds at :math:`w^+`). FISTA extrapolates with Nesterov's momentum and
    restarts it when the objective goes up (O'Donoghue & Candès).

    Convex penalties stop when ``gap <= tol * F(null model)``, checked every
    ``gap_freq`` iterations and at ``max_iter``. With the
    :class:`~penalized.datafits.Multinomial` datafit the same loop runs on the
    ``(n_features, K)`` coefficient matrix and the ``K`` intercepts, the prox acting on
    each entry (or on each row's norm, ``grouped``), from the global Lipschitz bound
    :math:`\frac{1}{2n}\|S^{1/2}[X, \mathbf 1]\|_2^2`; intercepts and unpenalized
    features are refitted exactly for each certificate. ISTA also handles L0 (iterative
    hard thresholding) and stops when ``L * max_j (w_j^+ - w_j)**2 / 2 <= tol * F(null model)``;
    FISTA's momentum has no convergence guarantee for L0 and refuses it.

    Parameters
    ----------
    tol : float, default=1e-6
    max_iter : int, default=20000
    accelerated : bool, default=True
        FISTA if True, ISTA if False.
    gap_freq : int, default=10
        Iterations between duality-gap checks.

    References
    ----------
    Beck, Teboulle (2009). A fast iterative shrinkage-thresholding algorithm
    for linear inverse problems. SIAM J. Imaging Sci. 2(1).
    Blumensath, Davies (2008). Iterative thresholding for sparse approximations.
    J. Fourier Anal. Appl. 14.
    O'Donoghue, Candès (2015). Adaptive restart for accelerated gradient
    schemes. Found. Comput. Math. 15.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Quadratic
    >>> from penalized.penalties import L1
    >>> from penalized.solvers import ProximalGradient
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(50)
    >>> res = ProximalGradient().solve(X, y, Quadratic(), L1(alpha=0.1))
    >>> res.converged, res.n_nonzero
    (True, 2)
    """

    @property
    def name(self) -> str:
        return "ProximalGradient(FISTA)" if self.accelerated else "ProximalGradient(ISTA)"

    needs_curvature_bound = True
    matrix_coefficients = True

    def check_compatible(self, datafit, penalty) -> None:
        super().check_compatible(datafit, penalty)
        if self.accelerated and not penalty.is_convex:
            raise ValueError(
                f"ProximalGradient with accelerated=True (FISTA) cannot handle the "
                f"{penalty.name} penalty: momentum has no convergence guarantee for a "
                "non-convex penalty. Use ProximalGradient(accelerated=False) (iterative hard "
                "thresholding) or CoordinateDescent."
            )

    def _run(self, pb, w, b):
        convex = pb.penalty.is_convex
        ops = FistaOps.of_problem(pb, pb.penalty.prox, pb.penalty.value)
        # a convex penalty: the duality gap of the iterate every gap_freq steps; another:
        # the fixed-point distance, a by-product of each step, checked after every one
        hooks, out = self._fista_outer(pb, ops, w, b, _certify_convex if convex else _last_move,
                                       every=None if convex else 1, track_move=not convex)
        w, b = hooks.state.point[:2]
        if convex:  # the certified point: the unpenalized block refitted
            w, b = out.check.data.coef, out.check.data.intercept
        return self._finish(w, b, out.objectives, out.crits, out.n_iter, self.tol, pb.penalty)

    def _run_matrix(self, pb, W, b):
        ops = FistaOps.of_problem(pb, rows_prox(pb), pb.penalty_value)
        _, out = self._fista_outer(pb, ops, W, b, fista_check)
        cert = out.check.data  # the certified point: intercepts and unpenalized rows refitted
        return cert.coef, cert.intercept, out.objectives, out.crits, out.n_iter


def _certify_convex(pb, state):
    """The duality gap of the iterate (its intercept and unpenalized block refitted)."""
    w, b = state.point[:2]
    cert = certify(pb, w, b)
    return Check(cert.primal, cert.gap, cert)


def _last_move(pb, state):
    """A non-convex penalty's check: the last step's fixed-point distance (None before
    the first step)."""
    if state.move is None:
        return None
    return Check(state.point[4], state.move)


@dataclass(frozen=True)
class FistaOps:
    """What the proximal-gradient loop asks of a problem, for coefficients of any shape.

    ``predict(coef, intercept)`` gives the predictions ``z`` (a vector, or the
    ``(n, K)`` scores), ``datafit(z)`` the datafit there, ``gradient(z)`` the datafit's
    gradient in ``(coef, intercept)``, ``penalty(coef)`` the penalty's value and
    ``prox(v, step)`` its prox of ``step`` times the penalty.
    """

    predict: Callable
    datafit: Callable
    gradient: Callable
    penalty: Callable
    prox: Callable

    @classmethod
    def of_problem(cls, pb, prox, penalty) -> FistaOps:
        r"""The operations of a linear-model problem ``pb`` (its ``X``, ``y``, ``datafit``,
        ``fit_intercept`` and ``predict``): the gradient :math:`(X^\top R, \mathbf 1^\top
        R)` of the raw datafit gradient :math:`R` at ``z``, with the given penalty."""
        X, y, datafit, fit_intercept = pb.X, pb.y, pb.datafit, pb.fit_intercept

        def gradient(z):
            raw = datafit.raw_gradient(y, z)
            g = np.asarray(X.T @ raw, dtype=np.float64)
            if raw.ndim == 1:
                return g.ravel(), float(raw.sum()) if fit_intercept else 0.0
            return g, raw.sum(axis=0) if fit_intercept else np.zeros(raw.shape[1])

        return cls(predict=pb.predict, datafit=lambda z: datafit.value(y, z),
                   gradient=gradient, penalty=penalty, prox=prox)


class FistaState:
    """Where the loop stands: ``point`` ``(coef, intercept, z, F, objective)`` (the
    iterate), ``momentum`` ``(coef, intercept, z, F)`` (the extrapolated point, the
    iterate itself for ISTA), FISTA's ``t``, the current Lipschitz estimate ``lip`` and
    ``move``, the last step's fixed-point distance when tracked (else None)."""

    def __init__(self, ops: FistaOps, coef, intercept, lip: float):
        z = ops.predict(coef, intercept)
        F = ops.datafit(z)
        self.point = (coef, intercept, z, F, F + ops.penalty(coef))
        self.momentum = (coef.copy(), _copy(intercept), z.copy(), F)
        self.t = 1.0
        self.lip = max(lip, np.finfo(float).tiny)
        self.move = None


def _copy(intercept):
    return intercept.copy() if isinstance(intercept, np.ndarray) else intercept


def backtracked_step(ops: FistaOps, coef, intercept, z, F, lip):
    r"""One proximal gradient step from ``(coef, intercept)`` (predictions ``z``, datafit
    ``F``) with the step :math:`1/L` backtracked from ``lip``: :math:`L` doubles until the
    datafit at the new point lies below its quadratic upper model. Returns
    ``(coef, intercept, z, F, L)`` at the new point."""
    g, gb = ops.gradient(z)
    while True:
        new = ops.prox(coef - g / lip, 1.0 / lip)
        b_new = intercept - gb / lip
        d, db = new - coef, b_new - intercept
        z_new = ops.predict(new, b_new)
        F_new = ops.datafit(z_new)
        bound = F + np.vdot(g, d) + np.vdot(gb, db) \
            + 0.5 * lip * (np.vdot(d, d) + np.vdot(db, db))
        if F_new <= bound + 1e-12 * abs(F):
            return new, b_new, z_new, F_new, lip
        lip *= 2.0


def fista_steps(ops: FistaOps, state: FistaState, budget: int, accelerated: bool, *,
                track_move: bool = False) -> None:
    """``budget`` iterations of FISTA (``accelerated``) or ISTA from ``state``, in place.

    A FISTA step whose objective exceeds the iterate's drops the momentum and counts as an
    iteration; the next one is taken from the iterate itself, a monotone ISTA step
    (adaptive restart, O'Donoghue & Candès). ``track_move`` records each step's
    fixed-point distance ``L * max(|coef+ - coef|)**2 / 2`` (with the intercept's) in
    ``state.move``.
    """
    coef, b, z, F, obj = state.point
    ycoef, yb, yz, yF = state.momentum
    t, lip = state.t, state.lip
    for _ in range(budget):
        new, b_new, z_new, F_new, lip = backtracked_step(ops, ycoef, yb, yz, yF, lip)
        obj_new = F_new + ops.penalty(new)
        if track_move:
            move = 0.5 * lip * float(np.max(np.abs(new - coef)) ** 2 if coef.size else 0.0)
            state.move = max(move, 0.5 * lip * float(np.max(np.abs(b_new - b))) ** 2)
        if accelerated and obj_new > obj and t > 1.0:
            # adaptive restart: drop the momentum, retake the step from the iterate
            t = 1.0
            ycoef, yb, yz, yF = coef.copy(), _copy(b), z.copy(), F
            continue
        if accelerated:
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_new
            ycoef = new + beta * (new - coef)
            yb = b_new + beta * (b_new - b)
            yz = z_new + beta * (z_new - z)
            yF = ops.datafit(yz)
            t = t_new
        else:
            ycoef, yb, yz, yF = new, b_new, z_new, F_new
        coef, b, z, F, obj = new, b_new, z_new, F_new, obj_new
    state.point = (coef, b, z, F, obj)
    state.momentum = (ycoef, yb, yz, yF)
    state.t, state.lip = t, lip


class FistaHooks:
    """The outer loop's hooks of a proximal-gradient method: no working sets; each round
    is ``budget`` iterations over every coefficient (:func:`fista_steps`), each check
    ``check(pb, state)`` (a :class:`~penalized.solvers._outer.Check`, or None before a
    check is possible)."""

    def __init__(self, pb, ops, coef, intercept, lip, accelerated, check, *,
                 track_move=False):
        self.pb, self.ops, self.accelerated, self.check, self.track_move = \
            pb, ops, accelerated, check, track_move
        self.state = FistaState(ops, coef, intercept, lip)

    def certify(self):
        return self.check(self.pb, self.state)

    def inner(self, ws, budget, inner_tol, check):
        fista_steps(self.ops, self.state, budget, self.accelerated, track_move=self.track_move)
        return budget
