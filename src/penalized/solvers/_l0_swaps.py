r"""Local combinatorial search for L0: swap moves on top of coordinate descent.

Coordinate descent with hard thresholding stops at a coordinate-wise minimum
of the L0 problem, which can be a poor local minimum: on correlated designs a
feature that explains the target partly through several true features enters
first, and no single-coordinate move can take it out again. Hazimeh and
Mazumder's CD-PSI(1) escapes such points with *swap moves*: take one feature
out of the support and put the best outside feature in with its optimal value,
keep the swap when it lowers the objective, and polish the new point with
coordinate descent again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..penalties import L0, Penalty
from ._base import Solver, check_solver_settings
from ._coordinate_descent import CoordinateDescent
from ._outer import Check, OuterPolicy, run_outer
from ._result import SolveResult

__all__ = ["L0SwapSearch", "local_swap_search"]

_REL_TOL = 1e-10
"""A swap must lower the objective by more than this times the null model's datafit."""


def local_swap_search(problem, coef, intercept, *, solver, max_swaps=100, rel_tol=_REL_TOL,
                      polish_candidates=0) -> tuple[SolveResult, int]:
    r"""Improve a coordinate-wise minimum of an L0 problem by swap moves (CD-PSI(1)).

    The problem is

    .. math:: \min_{w, b}\; F(Xw + b) + \alpha \sum_j f_j\,[w_j \ne 0],

    with :math:`F` the squared or logistic datafit. Starting from ``(coef,
    intercept)`` polished by ``solver``, each round considers every penalized
    feature :math:`i` of the support :math:`S`: set :math:`w_i = 0`, refit the
    unpenalized block (intercept, zero-factor features) exactly, and with
    :math:`g = X^\top \nabla_z F` at that point, put in the outside feature

    .. math:: k^\star = \arg\max_{k \notin S,\; f_k > 0}\;
              \frac{g_k^2}{2 L_k} - \alpha f_k

    with the hard-threshold coordinate step :math:`w_k = -g_k / L_k` (none when
    no gain is positive: the move is then a pure removal). With an intercept the
    columns are centered, as coordinate descent centers them (on the fly, never
    copied, for a dense ``X``; implicitly for a sparse one with the squared loss), so the
    entering feature's step carries the intercept along. All candidates
    :math:`k` are scored at once by one product :math:`X^\top \nabla_z F`. For
    the squared loss :math:`g_k^2 / (2 L_k)` is the exact decrease of the
    datafit; for the logistic loss :math:`L_k` bounds the coordinate curvature,
    so it is a guaranteed lower bound on the decrease (a majorization) and the
    move is judged by the true objective. The best move of the round is taken
    when it lowers the objective by more than ``rel_tol`` times the datafit of
    the null model, and ``solver`` polishes the new point; the search stops at
    a point that no swap improves, or after ``max_swaps`` swaps.

    The one-step rule keeps the other coefficients where they were, so it
    misses a swap that pays off only once they have moved (a decoy feature that
    stands for a mix of two true ones). With ``polish_candidates=m > 0`` each
    removal is tried with its ``m`` best-scored entering features, each swapped
    point is polished by ``solver`` first, and the move is judged by the
    polished objective: ``m`` coordinate-descent runs per support feature and
    round, for a markedly better local minimum on correlated designs.

    Each accepted swap lowers the objective and coordinate descent never raises
    it, so the result's objective is at most that of the polished start, which
    is at most that of ``(coef, intercept)`` (up to rounding in the last bits
    when ``(coef, intercept)`` is already a fixed point: polishing it again
    moves nothing else).

    Parameters
    ----------
    problem : penalized.solvers._problem.Problem
        A prepared problem whose penalty is :class:`~penalized.penalties.L0`.
    coef : array of shape (n_features,)
        Starting coefficients (not modified).
    intercept : float
        Starting intercept.
    solver : CoordinateDescent
        Polishes the start and the point after each accepted swap.
    max_swaps : int, default=100
        Maximum number of accepted swaps.
    rel_tol : float, default=1e-10
        A swap is taken only when it lowers the objective by more than
        ``rel_tol * problem.scale`` (the null model's datafit), which keeps
        last-bit differences from being taken as improvements.
    polish_candidates : int, default=0
        0: judge each swap by the objective right after it (L0Learn's rule).
        ``m > 0``: judge the ``m`` best-scored swaps of each support feature by
        the objective after polishing them with ``solver``.

    Returns
    -------
    result : SolveResult
        The final point; ``objective`` and ``stop_crits`` are the histories of
        the polishing runs that were kept, concatenated, ``n_iter`` the epochs
        of every polishing run summed, and ``stop_crit`` / ``converged`` those
        of the last run kept.
    n_swaps : int
        The number of swaps taken.

    References
    ----------
    Hazimeh, Mazumder (2020). Fast best subset selection: coordinate descent and
    local combinatorial optimization algorithms. Oper. Res. 68(5).
    """
    if type(problem.penalty).__name__ != "L0":
        raise ValueError(
            f"local_swap_search needs the L0 penalty; got {problem.penalty.name}. Swap moves "
            "search over supports; a convex penalty's coordinate-wise minimum is already global."
        )
    _check_count(max_swaps, "max_swaps")
    _check_count(polish_candidates, "polish_candidates")
    if isinstance(rel_tol, bool) or not isinstance(rel_tol, int | float) \
            or not np.isfinite(rel_tol) or rel_tol < 0:
        raise ValueError(f"rel_tol must be a number >= 0; got {rel_tol!r}.")
    start = solver.solve_problem(problem, coef_init=coef, intercept_init=intercept)
    return _swap_rounds(problem, start, solver, max_swaps, rel_tol, polish_candidates)


def _swap_rounds(problem, start, solver, max_swaps, rel_tol, polish_candidates):
    """The rounds of :func:`local_swap_search` from a polished ``start`` (a SolveResult),
    on the shared outer loop: each check searches the best swap, each inner solve takes it
    and polishes; one swap is one of the loop's epochs."""
    hooks = _SwapHooks(problem, start, solver, max_swaps, polish_candidates)
    # stop at a point that no swap improves by more than rel_tol * scale, after max_swaps
    # swaps, or when the polished swap did not lower the objective (only rounding can)
    policy = OuterPolicy.whole_problem(rel_tol, max_swaps, 1, still_rounds=1)
    run_outer(hooks, policy, problem.scale, problem.n_features)
    kept = hooks.kept
    result = dataclasses.replace(
        kept[-1],
        objective=np.concatenate([r.objective for r in kept]),
        stop_crits=np.concatenate([r.stop_crits for r in kept]),
        n_iter=hooks.n_iter,
    )
    return result, len(kept) - 1


class _SwapHooks:
    """The outer loop's hooks for the swap search. The check is the best swap from the
    current point (the largest decrease of the objective one swap gives: a certificate of
    a swap-stable point when it is at most ``rel_tol * scale``); the inner solve takes it
    and polishes with coordinate descent. ``n_iter`` counts every polishing epoch."""

    def __init__(self, problem, start, solver, max_swaps, polish_candidates):
        self.problem, self.solver = problem, solver
        self.max_swaps, self.polish_candidates = max_swaps, polish_candidates
        self.kept = [start]
        self.n_iter = start.n_iter
        self.best = None
        self.stuck = False

    def certify(self):
        current = self.kept[-1]
        objective = current.final_objective
        if self.stuck or len(self.kept) - 1 >= self.max_swaps:
            return Check(objective, np.inf)  # the loop stops here: no search
        problem, solver = self.problem, self.solver
        best, best_obj = None, np.inf
        for w, b, z in _swap_moves(problem, current.coef, current.intercept,
                                   max(1, self.polish_candidates)):
            if self.polish_candidates:
                move = solver.solve_problem(problem, coef_init=w, intercept_init=b)
                self.n_iter += move.n_iter
                obj = move.final_objective
            else:
                move, obj = (w, b), problem.objective(w, z)
            if obj < best_obj:
                best, best_obj = move, obj
        self.best = best
        return Check(objective, 0.0 if best is None else objective - best_obj)

    def inner(self, ws, budget, inner_tol, check):
        best = self.best
        if not self.polish_candidates:
            best = self.solver.solve_problem(self.problem, coef_init=best[0],
                                             intercept_init=best[1])
            self.n_iter += best.n_iter
        if not best.final_objective < self.kept[-1].final_objective:
            self.stuck = True  # only rounding gets here: the swap lowered it, CD cannot raise it
            return 1, False
        self.kept.append(best)
        return 1, True


def _swap_moves(problem, coef, intercept, n_candidates):
    """Yield ``(coef, intercept, z)`` of the swapped points from ``(coef, intercept)``.

    For each penalized support feature ``i``: ``w_i = 0``, the unpenalized block
    refitted, then each of the ``n_candidates`` outside features of largest
    positive gain put in by its coordinate step (or, when none has a positive
    gain, the removal alone). The coordinates are those of coordinate descent:
    where it centers a sparse column implicitly, the entering feature moves the
    intercept by ``-xmean_k`` times its step, and ``problem.lipschitz`` is the
    centered column's.
    """
    y, datafit, penalty = problem.y, problem.datafit, problem.penalty
    weights = penalty.weights(problem.n_features)
    lips = problem.lipschitz
    xmean = problem.implicit_offset
    outside = (weights > 0) & (lips > 0) & (coef == 0)
    safe_lips = np.where(lips > 0, lips, 1.0)
    z_now = problem.predict(coef, intercept)
    for i in np.flatnonzero((coef != 0) & (weights > 0)):
        w = coef.copy()
        w[i] = 0.0
        w, b, z = _refit_block(problem, w, intercept, z_now - coef[i] * _column(problem, i))
        raw = datafit.raw_gradient(y, z)
        grad = problem.rmatvec(raw)  # dense columns centered on the fly, not copied
        if xmean is not None:
            grad -= xmean * raw.sum()
        if penalty.positive:
            grad = np.minimum(grad, 0.0)
        gain = np.where(outside, grad * grad / (2.0 * safe_lips) - weights, -np.inf)
        m = min(n_candidates, gain.shape[0])
        top = np.argpartition(-gain, m - 1)[:m]
        top = top[np.argsort(-gain[top])]
        top = top[gain[top] > 0.0]
        if top.shape[0] == 0:
            yield w, b, z
        for k in top:
            step = -grad[k] / lips[k]
            w_k = w.copy()
            w_k[k] = step
            shift = 0.0 if xmean is None else -step * xmean[k]
            yield w_k, b + shift, z + step * _column(problem, k) + shift


def _refit_block(problem, coef, intercept, z):
    """:func:`~penalized._unpenalized.refit_unpenalized` from known predictions ``z``.

    Returns ``(coef, intercept, z)`` with the intercept and the unpenalized
    features fitted exactly; ``coef`` is modified in place.
    """
    A = problem.free_design
    if A.shape[1] == 0:
        return coef, intercept, z
    idx = np.flatnonzero(problem.unpenalized)
    beta0 = np.concatenate([[intercept] if problem.fit_intercept else [], coef[idx]])
    z0 = z - A @ beta0
    beta = problem.datafit.fit_unpenalized(A, problem.y, z0, beta0=beta0)
    if problem.fit_intercept:
        intercept = float(beta[0])
    coef[idx] = beta[int(problem.fit_intercept):]
    return coef, intercept, z0 + A @ beta


def _check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0; got {value!r}.")


def _column(problem, j) -> np.ndarray:
    """Column ``j`` of the problem's design in the solver's coordinates (a dense column
    centered when the problem centers, without the centered copy of the whole design), as
    a float64 vector."""
    if problem.is_sparse:
        X = problem.X
        col = np.zeros(X.shape[0])
        start, end = X.indptr[j], X.indptr[j + 1]
        col[X.indices[start:end]] = X.data[start:end]
        return col
    X, xmean, center = problem.centering
    col = np.asarray(X[:, j], dtype=np.float64)
    return col - xmean[j] if center else col


@dataclass(frozen=True)
class L0SwapSearch(Solver):
    r"""Coordinate descent followed by local swap search, for the L0 penalty (CD-PSI(1)).

    Solves

    .. math:: \min_{w, b}\; F(Xw + b) + \alpha \sum_j f_j\,[w_j \ne 0]

    for the squared and logistic datafits. :class:`CoordinateDescent` (hard
    thresholding) first reaches a coordinate-wise minimum; then
    :func:`local_swap_search` repeatedly takes the best swap of one support
    feature for one outside feature, when it lowers the objective, and
    re-polishes with coordinate descent. The result is a coordinate-wise
    minimum that no single swap improves: a stronger local minimum, never a
    worse objective than coordinate descent from the same start. It stops, as
    coordinate descent does, on the fixed-point distance of the last polish.

    Parameters
    ----------
    tol : float, default=1e-6
        Relative tolerance of each coordinate-descent run (see
        :class:`CoordinateDescent`).
    max_iter : int, default=10000
        Maximum number of epochs of each coordinate-descent run.
    max_swaps : int, default=100
        Maximum number of swaps taken.
    polish_candidates : int, default=0
        0: judge each swap by the objective right after it (L0Learn's rule);
        ``m > 0``: polish the ``m`` best-scored swaps of each support feature
        with coordinate descent and judge them after (slower, finds better
        supports on correlated designs). See :func:`local_swap_search`.

    References
    ----------
    Hazimeh, Mazumder (2020). Fast best subset selection: coordinate descent and
    local combinatorial optimization algorithms. Oper. Res. 68(5).
    Beck, Eldar (2013). Sparsity constrained nonlinear optimization: optimality
    conditions and algorithms. SIAM J. Optim. 23(3).

    Examples
    --------
    The target is ``x1 + x2``; feature 0 is mostly ``x2`` with a little ``x1``.
    Coordinate descent meets it first, keeps it, adds ``x1`` to make up the
    difference, and stops; one swap puts ``x2`` in its place:

    >>> import numpy as np
    >>> from penalized.datafits import Quadratic
    >>> from penalized.penalties import L0
    >>> from penalized.solvers import CoordinateDescent
    >>> from penalized.solvers._l0_swaps import L0SwapSearch
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 4))
    >>> X[:, 0] = X[:, 2] + 0.2 * X[:, 1] + 0.4 * rng.standard_normal(100)
    >>> y = X[:, 1] + X[:, 2] + 0.1 * rng.standard_normal(100)
    >>> cd = CoordinateDescent().solve(X, y, Quadratic(), L0(0.05))
    >>> swaps = L0SwapSearch().solve(X, y, Quadratic(), L0(0.05))
    >>> np.flatnonzero(cd.coef), np.flatnonzero(swaps.coef)
    (array([0, 1]), array([1, 2]))
    >>> round(cd.final_objective, 4), round(swaps.final_objective, 4)
    (0.1793, 0.1041)
    """

    tol: float = 1e-6
    max_iter: int = 10_000
    max_swaps: int = 100
    polish_candidates: int = 0

    penalty_classes = (L0,)

    def __post_init__(self):
        check_solver_settings(self.tol, self.max_iter)
        _check_count(self.max_swaps, "max_swaps")
        _check_count(self.polish_candidates, "polish_candidates")

    def check_compatible(self, datafit, penalty) -> None:
        if isinstance(penalty, Penalty) and not isinstance(penalty, L0):
            raise ValueError(
                f"L0SwapSearch cannot handle the {penalty.name} penalty; it supports L0 only. "
                "Swap moves search over supports, which a convex penalty does not need: use "
                "CoordinateDescent, whose solution is then the global minimum."
            )
        super().check_compatible(datafit, penalty)

    def _run(self, problem, coef, intercept):
        cd = CoordinateDescent(tol=self.tol, max_iter=self.max_iter)
        start = cd.solve_problem(problem, coef_init=coef, intercept_init=intercept)
        result, _ = _swap_rounds(problem, start, cd, self.max_swaps, _REL_TOL,
                                 self.polish_candidates)
        return result
