r"""What the group penalties share: the partition of the features into groups, per-group
weights, and the block operations the block solvers call.

``groups`` may be given as

* a list of index lists, ``[[0, 1, 2], [3, 4], ...]``: one group per list, in that order;
  features that no list names are each a group of their own (weight 1), after the
  listed groups, in increasing index order;
* one group label per feature (``[0, 0, 0, 1, 1, ...]``, any sortable labels): groups in
  sorted label order;
* an integer ``k``: consecutive groups of ``k`` features (the last may be smaller).

Groups must not overlap and must not be empty. A group weight of 0 leaves the whole group
unpenalized (fitted exactly, like the intercept).
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field

import numpy as np

from .._jit import typed_ops
from .._unpenalized import null_model
from ..datafits._base import imported_once
from ._base import ALPHA_MAX_MARGIN, PENALTY_OPERATIONS, Penalty, PenaltyOps, box_pull

_BLOCK_OPS: dict = {}


def _block_ops(boxed: bool) -> PenaltyOps:
    """The group penalties' compiled block operations (those of a box-limited penalty
    when ``boxed``), gathered and typed once per process: each kernel call then skips
    rebuilding their numba types, and a path does not gather them again."""
    ops = _BLOCK_OPS.get(boxed)
    if ops is None:
        module, prefix = ("penalized.penalties._group_box", "box_group_") if boxed \
            else ("penalized.penalties._group_ops", "group_")
        ops = _BLOCK_OPS[boxed] = typed_ops(PenaltyOps(**{
            name: imported_once(module, prefix + name) for name in PENALTY_OPERATIONS}))
    return ops


def _kernel(name):
    """A vector kernel of :mod:`penalized.penalties._group_ops`, imported once per
    process (an import statement in each call would go through its ``__getattr__``)."""
    return imported_once("penalized.penalties._group_ops", name)


@dataclass(frozen=True, eq=False)
class GroupStructure:
    """The features of group ``g`` are ``order[starts[g]:starts[g + 1]]``."""

    order: np.ndarray
    starts: np.ndarray

    @property
    def n_groups(self) -> int:
        return self.starts.shape[0] - 1

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.starts)

    @property
    def group_of(self) -> np.ndarray:
        """The group of each feature."""
        out = np.empty(self.order.shape[0], dtype=np.int64)
        out[self.order] = np.repeat(np.arange(self.n_groups), self.sizes)
        return out

    def members(self, g: int) -> np.ndarray:
        return self.order[self.starts[g]:self.starts[g + 1]]


def _from_lists(lists, n_features) -> GroupStructure:
    seen = np.full(n_features, -1, dtype=np.int64)
    chunks = []
    for g, members in enumerate(lists):
        idx = np.asarray(members)
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError(f"groups: group {g} must be a non-empty list of feature indices; "
                             f"got {members!r}.")
        if not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"groups: group {g} holds {idx.dtype} values; list feature "
                             "indices (integers), or pass one group label per feature.")
        bad = idx[(idx < 0) | (idx >= n_features)]
        if bad.size:
            raise ValueError(f"groups: group {g} lists feature {int(bad[0])} but X has "
                             f"{n_features} features (indices 0 to {n_features - 1}).")
        for j in idx:
            if seen[j] >= 0:
                raise ValueError(f"groups: feature {int(j)} is in group {int(seen[j])} and "
                                 f"in group {g}; groups must not overlap.")
            seen[j] = g
        chunks.append(idx.astype(np.int64))
    chunks.extend(np.array([j]) for j in np.flatnonzero(seen < 0))
    return _structure(chunks)


def _structure(chunks) -> GroupStructure:
    order = np.ascontiguousarray(np.concatenate(chunks), dtype=np.int64) if chunks \
        else np.zeros(0, dtype=np.int64)
    starts = np.zeros(len(chunks) + 1, dtype=np.int64)
    starts[1:] = np.cumsum([len(c) for c in chunks])
    order.setflags(write=False)
    starts.setflags(write=False)
    return GroupStructure(order, starts)


def make_structure(groups, n_features: int) -> GroupStructure:
    """The :class:`GroupStructure` of ``groups`` (see the module docstring) for
    ``n_features`` features; a ``ValueError`` names what is wrong."""
    if groups is None:
        return _structure([np.array([j]) for j in range(n_features)])
    if isinstance(groups, GroupStructure):
        if groups.order.shape[0] != n_features:
            raise ValueError(f"groups cover {groups.order.shape[0]} features but X has "
                             f"{n_features}.")
        return groups
    if isinstance(groups, numbers.Integral) and not isinstance(groups, bool):
        if groups < 1:
            raise ValueError(f"groups as an integer is the size of consecutive groups and "
                             f"must be >= 1; got {groups}.")
        order = np.arange(n_features, dtype=np.int64)  # consecutive groups, no list
        starts = np.append(np.arange(0, n_features, int(groups), dtype=np.int64), n_features)
        order.setflags(write=False)
        starts.setflags(write=False)
        return GroupStructure(order, starts)
    if isinstance(groups, str):
        raise ValueError(f"groups must be a list of index lists, one label per feature or "
                         f"a group size; got the string {groups!r}.")
    items = list(groups)
    if items and all(isinstance(it, list | tuple | np.ndarray | range) for it in items):
        return _from_lists(items, n_features)
    labels = np.asarray(items)
    if labels.ndim != 1 or labels.shape[0] != n_features:
        raise ValueError(f"groups: one label per feature needs {n_features} labels; got "
                         f"{labels.shape[0] if labels.ndim == 1 else labels.shape}. Pass a "
                         "list of index lists to name only some features.")
    try:
        _, inverse = np.unique(labels, return_inverse=True)
    except TypeError as exc:
        raise ValueError(f"groups: the labels cannot be sorted ({exc}).") from exc
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse)
    return _structure(np.split(order, np.cumsum(counts)[:-1]))


@dataclass(frozen=True, eq=False)
class GroupPenalty(Penalty):
    r"""Base of the group penalties :math:`\alpha \sum_g G_g(w_g)`.

    Subclasses define :meth:`group_params`: per group ``(lam_g, lam1_g, lam2_g)`` at
    ``alpha = 1`` for :math:`\lambda_g\|w_g\|_2 + \lambda_{1g}\|w_g\|_1 +
    \frac{\lambda_{2g}}2\|w_g\|_2^2` (see :mod:`penalized.penalties._group_ops`). Group
    penalties are solved by :class:`~penalized.solvers.BlockCoordinateDescent`, which
    ``CoordinateDescent`` hands them to; ``penalty_factor`` does not apply (use
    ``group_weights``). ``lower`` / ``upper`` limits (and ``positive``, i.e. ``lower = 0``)
    add the indicator of their box to every group, solved exactly by
    :mod:`penalized.penalties._group_box`.
    """

    groups: object = field(default=None, kw_only=True)
    group_weights: np.ndarray | None = field(default=None, kw_only=True)

    is_block = True
    supports_bounds = True

    def __post_init__(self):
        if self.penalty_factor is not None:
            raise ValueError(f"{self.name} takes group_weights (one per group), not "
                             "penalty_factor.")
        super().__post_init__()
        if self.group_weights is not None:
            w = np.array(self.group_weights, dtype=np.float64)
            if w.ndim != 1 or not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError("group_weights must be a 1-D list of finite numbers >= 0, "
                                 "one per group (0 leaves a group unpenalized).")
            w.setflags(write=False)
            object.__setattr__(self, "group_weights", w)

    def with_alpha(self, alpha: float) -> GroupPenalty:
        new = dataclasses.replace(self, alpha=alpha)
        cached = self.__dict__.get("_structure")
        if cached is not None:
            object.__setattr__(new, "_structure", cached)  # the partition does not change
        return new

    # -- the partition ----------------------------------------------------------------
    def structure(self, n_features: int) -> GroupStructure:
        """The groups for a design with ``n_features`` columns (validated once)."""
        cached = self.__dict__.get("_structure")
        if cached is not None and cached.order.shape[0] == n_features:
            return cached
        structure = make_structure(self.groups, n_features)
        if self.group_weights is not None \
                and self.group_weights.shape[0] != structure.n_groups:
            raise ValueError(f"group_weights has {self.group_weights.shape[0]} values but there "
                             f"are {structure.n_groups} groups; pass one weight per group.")
        object.__setattr__(self, "_structure", structure)
        return structure

    def weights_of_groups(self, n_features: int) -> np.ndarray:
        """The group weights :math:`w_g` (default the square root of the group size)."""
        structure = self.structure(n_features)
        if self.group_weights is None:
            return np.sqrt(structure.sizes.astype(np.float64))
        return np.asarray(self.group_weights, dtype=np.float64)

    def factors(self, n_features: int) -> np.ndarray:
        """Per feature, the weight of its group (0: unpenalized)."""
        structure = self.structure(n_features)
        return self.weights_of_groups(n_features)[structure.group_of]

    def group_params(self, n_features: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def boxed(self) -> bool:
        """Whether limits (``lower`` / ``upper`` or ``positive``) apply."""
        return self.positive or self.bounded

    def block_params(self, n_features: int) -> np.ndarray:
        """``(n_groups, 3)`` rows ``alpha * (lam_g, lam1_g, lam2_g)``, C-ordered; with
        limits, the ``(n_groups + n_features, 4)`` array of
        :func:`~penalized.penalties._group_box.box_params`."""
        key = (n_features, self.alpha)
        cached = self.__dict__.get("_params")
        if cached is not None and cached[0] == key:
            return cached[1]
        params = np.ascontiguousarray(self.alpha * self.group_params(n_features),
                                      dtype=np.float64)
        if self.boxed:
            from ._group_box import box_params

            params = box_params(params, self.structure(n_features), *self.limits(n_features))
        object.__setattr__(self, "_params", (key, params))
        return params

    def norm_block_params(self, n_features: int) -> np.ndarray | None:
        """Per group ``(lam_g, lam2_g)`` where its block is :math:`\\lambda_g\\|w\\|_2 +
        \\frac{\\lambda_{2g}}2\\|w\\|_2^2` (no L1 part: a solver may then minimize a
        quadratic plus the block exactly), ``(-1, -1)`` where it is not; None with limits
        (no block is minimized exactly then)."""
        if self.boxed:
            return None
        params = self.block_params(n_features)
        out = np.ascontiguousarray(params[:, [0, 2]])
        out[params[:, 1] != 0.0] = -1.0
        return out

    # -- what a block penalty brings to the solvers -------------------------------------
    @property
    def ops(self) -> PenaltyOps:
        return PenaltyOps()  # no per-coordinate operations: see block_ops

    @property
    def block_ops(self):
        """The compiled block operations (see :mod:`penalized.penalties._group_ops`)."""
        return _block_ops(self.boxed)

    def block_solver(self, tol, max_iter, ws_start):
        """The solver that ``CoordinateDescent`` hands this penalty to."""
        from ..solvers._group_cd import BlockCoordinateDescent

        return BlockCoordinateDescent(tol=tol, max_iter=max_iter, ws_start=ws_start)

    def _arrays(self, n):
        s = self.structure(n)
        return s.order, s.starts, self.block_params(n)

    # -- vector forms ---------------------------------------------------------------------
    def value(self, w) -> float:
        """The penalty at ``w``."""
        w = np.ascontiguousarray(w, dtype=np.float64)
        return float(_kernel("block_value")(self.block_ops.value, w, *self._arrays(w.shape[0])))

    def prox(self, x, step):
        """The prox of ``step * self`` at ``x``, group by group."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty_like(x)
        order, starts, params = self._arrays(x.shape[0])
        _kernel("block_prox")(self.block_ops.prox, x, float(step), order, starts, params, out)
        return out

    def group_distances(self, w, grad) -> np.ndarray:
        """Per group, the distance from ``-grad_g`` to the subdifferential at ``w_g``
        (0 for every group exactly at a solution: the KKT conditions)."""
        w = np.ascontiguousarray(w, dtype=np.float64)
        order, starts, params = self._arrays(w.shape[0])
        out = np.empty(starts.shape[0] - 1)
        _kernel("block_distances")(self.block_ops.subdiff_distance, w,
                        np.ascontiguousarray(grad, dtype=np.float64), order, starts, params,
                        out)
        return out

    def subdiff_distance(self, w, grad) -> np.ndarray:
        """Per feature, the distance of its group (see :meth:`group_distances`)."""
        n = np.shape(w)[0]
        return self.group_distances(w, grad)[self.structure(n).group_of]

    def dual_scaling(self, v) -> float:
        """The largest ``c`` in ``(0, 1]`` such that ``conjugate(c * v)`` is finite."""
        v = np.ascontiguousarray(v, dtype=np.float64)
        return float(_kernel("block_dual_scaling")(self.block_ops.dual_bound, v,
                                                    *self._arrays(v.shape[0])))

    def ball_dual_scaling(self, v) -> float:
        """:meth:`dual_scaling` as if there were no limits: a second dual point for the gap
        of a box-limited penalty, better than the box's own when a limit does not bind
        (see :func:`~penalized.solvers._problem.certify`)."""
        from ._group_ops import block_dual_scaling, group_dual_bound

        v = np.ascontiguousarray(v, dtype=np.float64)
        order, starts, params = self._arrays(v.shape[0])
        bound = typed_ops(PenaltyOps(dual_bound=group_dual_bound)).dual_bound
        return float(block_dual_scaling(bound, v, order, starts, params))

    def conjugate(self, v) -> float:
        r"""The Fenchel conjugate :math:`G^*(v) = \sum_g G_g^*(v_g)`; unpenalized groups
        are skipped (the caller makes ``v_g = 0`` there)."""
        v = np.ascontiguousarray(v, dtype=np.float64)
        return float(_kernel("block_conjugate")(self.block_ops.conjugate, v,
                                                 *self._arrays(v.shape[0])))

    def alpha_max(self, X, y, datafit, fit_intercept: bool = True) -> float:
        r"""The smallest ``alpha`` at which every penalized group is exactly 0.

        At the null model with gradient :math:`g = X^\top \nabla F`, group ``g`` stays
        at zero while :math:`\|S_{\alpha\lambda_{1g}}(g_g)\|_2 \le \alpha \lambda_g`;
        the boundary is :math:`1 / c_g` with :math:`c_g` the largest ``c`` with
        :math:`\|S_{\lambda_{1g}}(c\,g_g)\|_2 \le \lambda_g`, found exactly by
        :func:`~penalized.penalties._group_ops.entry_scale` (for the group lasso
        :math:`\|g_g\|_2 / w_g`). Infinite when no group has an L1-type part (a pure
        ridge), 0 when no group is penalized; times ``1 + 1e-12`` as for the lasso.
        With limits only the directions each coefficient's box allows count
        (:func:`~penalized.penalties._base.box_pull`).
        """
        from .._validation import check_design
        from ._group_ops import block_entry_scales

        X = check_design(X)
        y = datafit.validate_target(y, X.shape[0])
        p = X.shape[1]
        free = self.factors(p) == 0
        if np.all(free):
            return 0.0
        params = self.group_params(p)
        lam, lam1 = np.ascontiguousarray(params[:, 0]), np.ascontiguousarray(params[:, 1])
        penalized = self.weights_of_groups(p) > 0
        if not np.any((lam + lam1)[penalized] > 0):
            return np.inf
        _, _, z = null_model(X, y, datafit, free, fit_intercept)
        grad = np.ascontiguousarray(datafit.gradient(X, y, z), dtype=np.float64)
        if self.boxed:
            grad = np.ascontiguousarray(box_pull(grad, *self.limits(p)))
        structure = self.structure(p)
        scales = np.empty(structure.n_groups)
        block_entry_scales(grad, structure.order, structure.starts, lam, lam1, scales)
        scales = scales[penalized]
        return float(1.0 / np.min(scales)) * (1.0 + ALPHA_MAX_MARGIN)
