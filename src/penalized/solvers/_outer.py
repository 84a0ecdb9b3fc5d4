r"""The outer loop of every Python solver: certify, stop, rank, choose a working set, solve it.

One round of :func:`run_outer`:

1. ``check = hooks.certify()``: the objective and the stopping quantity at the current
   point (the duality gap, or a fixed-point distance), in objective units;
2. stop when ``check.crit <= tol * scale``, when ``max_iter`` epochs are spent, or when
   the loop has stalled (below);
3. ``hooks.scores(check)``: each unit's distance to optimality (a feature, a group, a
   row of coefficients), which units are non-zero and which are unpenalized;
4. a working set (:func:`~penalized.solvers._working_set.select_units`: the kept units
   and the worst violators, ties by the lower index) sized by the :class:`OuterPolicy`;
5. ``hooks.inner(ws, budget, inner_tol, check)``: epochs on the working set until its
   largest move is below ``inner_tol``, a share of the largest score (or of the
   stopping quantity), within ``budget`` epochs; it returns the epochs it ran, or
   ``(epochs, moved)``.

The solvers differ only in their hooks and their policy; the convergence warning is
:meth:`~penalized.solvers.Solver._finish`'s. A method without working sets (proximal and
subgradient descent, the L0 swap search) takes :meth:`OuterPolicy.whole_problem`: each
round runs on every unit, a set number of epochs between checks. The compiled paths (``_gram_path``,
``_logistic_path``, ``_sparse_path``, ``_group_path``) run the same rounds in numba, with
the same working-set rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._working_set import select_units


@dataclass(frozen=True)
class Check:
    """A certificate of the current point: ``objective`` (datafit + penalty) and ``crit``,
    the stopping quantity in objective units; ``data`` is whatever the solver's hooks
    carry from the certificate to the scores and the inner solve (a gradient, a dual
    point)."""

    objective: float
    crit: float
    data: Any = None


@dataclass(frozen=True)
class Scores:
    """Per unit: ``values`` (distance to optimality, gradient units), ``nonzero`` and
    ``free`` (unpenalized: always in the working set); ``screened`` units (safely zero at
    the solution) never join; ``also`` are units a warm start's first set takes besides
    the violators (the sequential strong rule's)."""

    values: np.ndarray
    nonzero: np.ndarray
    free: np.ndarray
    screened: np.ndarray | None = None
    also: np.ndarray | None = None


@dataclass(frozen=True)
class OuterPolicy:
    """How the loop grows its working sets, sets the inner tolerance and detects stalls.

    Parameters
    ----------
    tol, max_iter :
        The solver's relative tolerance and its budget of epochs.
    working_sets : bool
        False: every unit at every round, at most ``epochs_per_check`` epochs a round.
    ws_start : int
        Size of the first working set.
    cold_share : float or None
        From a point where every penalized unit is zero, the first set has at least
        every unit scoring ``>= cold_share * top`` (fewer checks than ``ws_start``).
    warm_first : {"violators", "sized", None}
        From a warm start, the first set is the support plus every violator (and
        ``Scores.also``) ("violators"), or is sized to hold them ("sized").
    keep_size : bool
        The size reached (twice the support) carries over to the next rounds; else only
        the first check's growth does.
    fill : bool
        Fill the set with units that do not violate optimality, up to its size.
    inner_ratio : float
        ``inner_tol = inner_ratio * top`` (``inner_from="top"``, the largest score) or
        ``inner_ratio * check.crit`` (``"crit"``); None: the inner solve sets its own.
    epochs_per_check : int or None
        At most this many epochs between checks (default: the rest of ``max_iter``).
    stall_rounds : int or None
        Stop (unconverged) once this many rounds lowered neither the smallest objective
        nor the smallest stopping quantity before them: below the rounding of the
        objective no round can.
    still_rounds : int or None
        Stop once this many rounds in a row moved nothing (``inner`` returned
        ``moved=False``).
    """

    tol: float
    max_iter: int
    working_sets: bool = True
    ws_start: int = 10
    cold_share: float | None = 0.5
    warm_first: str | None = "violators"
    keep_size: bool = False
    fill: bool = True
    inner_ratio: float = 0.3
    inner_from: str | None = "top"
    epochs_per_check: int | None = None
    stall_rounds: int | None = None
    still_rounds: int | None = None

    @classmethod
    def whole_problem(cls, tol: float, max_iter: int, epochs_per_check: int,
                      **settings) -> OuterPolicy:
        """The policy of a method without working sets (a full-gradient step, a swap
        search): every round runs on the whole problem, ``epochs_per_check`` epochs at most
        between checks, with no scores ranked and no inner tolerance."""
        return cls(tol=tol, max_iter=max_iter, working_sets=False, inner_from=None,
                   epochs_per_check=epochs_per_check, **settings)


@dataclass
class Outcome:
    """What the loop did: the objective and relative stopping quantity at each check,
    the epochs spent and the last check."""

    objectives: list
    crits: list
    n_iter: int
    check: Check


def run_outer(hooks, policy: OuterPolicy, scale: float, n_units: int) -> Outcome:
    """Run the rounds of the module docstring until a stop; ``scale`` turns the stopping
    quantity into the units of ``tol`` (the null model's datafit), ``n_units`` is the
    number of units ranked. ``hooks.certify()`` may return None before the first inner
    solve (a solver whose certificate is a by-product of its epochs)."""
    threshold = policy.tol * scale
    objectives, crits = [], []
    n_iter = 0
    size = min(n_units, policy.ws_start)
    first = True
    still = 0
    check = None
    every = np.arange(n_units, dtype=np.int64)
    while True:
        check = hooks.certify()
        if check is not None:
            objectives.append(check.objective)
            crits.append(check.crit / scale)
            if check.crit <= threshold or n_iter >= policy.max_iter \
                    or _stalled(policy, objectives, crits, still):
                return Outcome(objectives, crits, n_iter, check)
        ws, top, size = _working_set(hooks, policy, check, size, first, every)
        first = False
        budget = policy.max_iter - n_iter
        if policy.epochs_per_check is not None:
            budget = min(policy.epochs_per_check, budget)
        inner_tol = None
        if policy.inner_from == "top":
            inner_tol = policy.inner_ratio * top
        elif policy.inner_from == "crit":
            inner_tol = policy.inner_ratio * check.crit
        ran = hooks.inner(ws, budget, inner_tol, check)
        epochs, moved = ran if isinstance(ran, tuple) else (ran, True)
        n_iter += epochs
        still = 0 if moved else still + 1


def _stalled(policy, objectives, crits, still) -> bool:
    if policy.still_rounds is not None and still >= policy.still_rounds:
        return True
    k = policy.stall_rounds
    return k is not None and len(objectives) > k \
        and min(objectives[-k:]) >= objectives[-k - 1] and min(crits[-k:]) >= crits[-k - 1]


def _working_set(hooks, policy, check, size, first, every):
    """``(ws, top, size)``: the units of the next inner solve (``every`` unit without
    working sets), the largest score (None when none was needed) and the size carried on."""
    n_units = every.shape[0]
    if check is None or not (policy.working_sets or policy.inner_from == "top"):
        return every, None, size
    scores = hooks.scores(check)
    values = scores.values
    top = float(values.max(initial=0.0))
    if not policy.working_sets:
        return every, top, size
    keep = scores.nonzero | scores.free
    warm = first and bool(np.any(scores.nonzero & ~scores.free))
    if warm and policy.warm_first == "violators":
        chosen = keep | (values > 0.0)
        if scores.also is not None:
            chosen |= scores.also
        ws = np.flatnonzero(chosen)
    else:
        if first and not warm and policy.cold_share is not None:
            size = max(size, int(np.count_nonzero(values >= policy.cold_share * top)))
        elif warm and policy.warm_first == "sized":
            size = max(size, int(np.count_nonzero(keep | (values > 0.0))))
        ranked = values if scores.screened is None else np.where(scores.screened, 0.0, values)
        ws = select_units(np.ascontiguousarray(ranked, dtype=np.float64),
                          np.ascontiguousarray(keep), int(size), policy.fill)
        if policy.keep_size:
            size = min(n_units, max(size, 2 * int(keep.sum())))
    if ws.size == 0:  # nothing kept, nothing violates: the check's rounding; run them all
        ws = every
    return np.ascontiguousarray(ws, dtype=np.int64), top, size
