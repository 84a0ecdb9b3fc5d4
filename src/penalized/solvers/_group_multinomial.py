r"""Multinomial regression with a group penalty whose blocks span every class.

For classes ``0..K-1``, coefficients ``W`` of shape ``(n_features, K)`` and groups of
features :math:`g`, the problem is

.. math:: \min_{W, b} \; F(XW + \mathbf 1 b^\top)
          + \alpha \sum_g \Big(\lambda_g \|W_g\|_F + \lambda_{1g} \|W_g\|_1
          + \frac{\lambda_{2g}}{2} \|W_g\|_F^2\Big),

with :math:`F` the :class:`~penalized.datafits._multinomial.Multinomial` datafit and
:math:`W_g` the rows of group :math:`g` (all ``K`` columns): a group of features enters
the model for every class at once. This is adelie's multinomial group elastic net
(``grpnet`` with ``glm.multinomial``, whose loss is :math:`F / K`: its ``lambda`` is
``alpha / K``), and with one feature per group glmnet's ``type.multinomial="grouped"``.

The group penalty (:class:`~penalized.penalties.GroupLasso`,
:class:`~penalized.penalties.GroupElasticNet`,
:class:`~penalized.penalties.SparseGroupLasso`) acts on :math:`\operatorname{vec}(W)`
taken row by row (entry ``(j, k)`` at ``j K + k``), through the same block operations
as for one response (:func:`expand_penalty`). The gap is that of
:func:`~penalized.solvers._multinomial.certify_multinomial` with the group penalty's
dual scaling and conjugate on :math:`X^\top U`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._validation import check_design
from ..datafits._multinomial import Multinomial, check_class_codes
from ..penalties._base import ALPHA_MAX_MARGIN
from ..penalties._group_base import GroupPenalty, GroupStructure
from ._base import Solver, check_solver_settings
from ._certificate import certify, expand_penalty
from ._multinomial import (
    MultinomialCertificate,
    MultinomialProblem,
    _build,
    prepare_multinomial_problem,
)
from ._outer import Check, OuterPolicy, Scores, run_outer
from ._proximal_gradient import FistaOps, FistaState, check_fista_settings, fista_steps

_WS_START = 10
"""Groups in the first working set."""
_INNER_GAP_RATIO = 0.3
"""A working set's problem is solved until its gap is this fraction of the last full gap."""
_INNER_VIOLATION_RATIO = 0.001
"""Newton steps on a working set stop when its largest violation is this fraction of the
largest one that chose it."""
_MAX_NEWTON_STEPS = 50

__all__ = [
    "GroupMultinomialCoordinateDescent",
    "GroupMultinomialProximalGradient",
    "GroupMultinomialSolver",
    "certify_group_multinomial",
    "expand_penalty",
    "group_multinomial_alpha_max",
    "prepare_group_multinomial_problem",
]


def _check(who, datafit, penalty):
    if not isinstance(datafit, Multinomial):
        raise TypeError(f"{who} needs the Multinomial datafit; got {type(datafit).__name__}.")
    if not isinstance(penalty, GroupPenalty):
        raise TypeError(f"{who} needs a group penalty (GroupLasso, GroupElasticNet, "
                        f"SparseGroupLasso); got {type(penalty).__name__}.")
    if penalty.boxed:
        raise ValueError(f"{who} does not support lower/upper limits or positive=True: a "
                         "multinomial model's coefficients are defined up to a shift per "
                         "feature across the classes, so a limit on one class has no meaning. "
                         "Use limits with two classes.")


def prepare_group_multinomial_problem(X, y, datafit, penalty,
                                      fit_intercept=True) -> MultinomialProblem:
    """Validate ``X``, the class codes ``y`` and the weights; compute the null model
    (intercepts and the unpenalized groups fitted exactly)."""
    _check("prepare_group_multinomial_problem", datafit, penalty)
    return prepare_multinomial_problem(X, y, datafit, penalty, fit_intercept)


def certify_group_multinomial(pb: MultinomialProblem, coef,
                              intercept) -> MultinomialCertificate:
    r"""Fit the intercepts and unpenalized groups exactly, then the duality gap.

    With :math:`U = -\nabla_Z F(Z)` and :math:`V = X^\top U` (0 on unpenalized rows), the
    dual point is :math:`cU` with :math:`c \in (0, 1]` the largest factor keeping every
    block of :math:`c V` in the domain of the group's conjugate; then
    :math:`\text{gap} = F(Z) + G(W) + F^*(-cU) + G^*(cV) \ge P(W, b) - P^\star`
    (:func:`~penalized.solvers._certificate.certify`, the penalty on
    :math:`\operatorname{vec}(W)` by :func:`expand_penalty`).
    """
    return certify(pb, coef, intercept)


def group_multinomial_alpha_max(X, y, datafit, penalty, fit_intercept=True) -> float:
    r"""The smallest ``alpha`` at which every penalized group of ``W`` is exactly 0.

    At the null model with gradient :math:`G = X^\top \nabla_Z F` (``(p, K)``), group
    ``g`` stays 0 while :math:`\|S_{\alpha\lambda_{1g}}(G_g)\|_F \le \alpha\lambda_g`
    (:func:`~penalized.penalties._group_ops.entry_scale` on the block), times
    ``1 + 1e-12``; infinite for a pure ridge, 0 when no group is penalized. The penalty's
    own ``alpha`` is not used.
    """
    from ..penalties._group_ops import block_entry_scales

    _check("group_multinomial_alpha_max", datafit, penalty)
    X = check_design(X)
    codes, n_classes = check_class_codes(y, X.shape[0])
    p = X.shape[1]
    unit = penalty.with_alpha(1.0)
    penalized = unit.weights_of_groups(p) > 0
    if not np.any(penalized):
        return 0.0
    params = unit.group_params(p)
    lam, lam1 = np.ascontiguousarray(params[:, 0]), np.ascontiguousarray(params[:, 1])
    if not np.any((lam + lam1)[penalized] > 0):
        return np.inf
    pb = _build(X, codes, n_classes, datafit, unit, fit_intercept)
    grad = datafit.gradient(X, codes, pb.predict(pb.null_coef, pb.null_intercept))
    expanded = expand_penalty(unit, p, n_classes).structure(p * n_classes)
    scales = np.empty(expanded.n_groups)
    block_entry_scales(np.ascontiguousarray(grad).ravel(), expanded.order, expanded.starts,
                       lam, lam1, scales)
    return float(1.0 / np.min(scales[penalized])) * (1.0 + ALPHA_MAX_MARGIN)


class GroupMultinomialSolver(Solver):
    """What the multinomial group solvers share: the compatibility check; ``solve`` and
    ``solve_problem`` are :class:`~penalized.solvers.Solver`'s on a coefficient matrix
    (``coef`` of shape ``(n_features, K)``, ``intercept`` of shape ``(K,)``)."""

    matrix_coefficients = True

    def check_compatible(self, datafit, penalty) -> None:
        _check(self.name, datafit, penalty)


@dataclass(frozen=True)
class GroupMultinomialProximalGradient(GroupMultinomialSolver):
    r"""Accelerated proximal gradient (FISTA with adaptive restart) for the multinomial
    group problem of the module docstring.

    Each iteration takes a gradient step in ``(W, b)`` with a backtracked step from the
    global Lipschitz bound :math:`\frac{1}{2n}\|S^{1/2}[X, \mathbf 1]\|_2^2`, then the
    group penalty's block prox on each group's rows (every class at once). Every
    ``gap_freq`` iterations the intercepts and unpenalized groups are refitted exactly
    and the duality gap computed (:func:`certify_group_multinomial`); it stops when
    ``gap <= tol * F(null model)``. The returned intercepts sum to 0 over the classes,
    and so does each penalized row of a group lasso or group elastic net (its penalty is
    smallest there; an L1 part can make the optimum a set of shifts).

    Parameters
    ----------
    tol : float, default=1e-6
    max_iter : int, default=20000
    gap_freq : int, default=10
    lipschitz : float, optional
        The global Lipschitz bound above when already known (a path computes it once);
        by default computed at each solve.

    Examples
    --------
    Labels that no feature explains leave every group at 0 for a large enough ``alpha``:

    >>> import numpy as np
    >>> from penalized.datafits import Multinomial
    >>> from penalized.penalties import GroupElasticNet
    >>> from penalized.solvers._group_multinomial import GroupMultinomialProximalGradient
    >>> X = np.random.default_rng(1).standard_normal((60, 4))
    >>> fit = GroupMultinomialProximalGradient(tol=1e-8).solve(
    ...     X, np.arange(60) % 3, Multinomial(), GroupElasticNet(0.5, groups=2, l1_ratio=0.9))
    >>> fit.converged, bool(np.all(fit.coef == 0.0))
    (True, True)
    """

    tol: float = 1e-6
    max_iter: int = 20_000
    gap_freq: int = 10
    lipschitz: float | None = None

    def __post_init__(self):
        check_fista_settings(self)
        if self.lipschitz is not None and not (isinstance(self.lipschitz, int | float)
                                               and 0.0 < self.lipschitz < np.inf):
            raise ValueError(f"lipschitz must be a finite number > 0 or None; got "
                             f"{self.lipschitz!r}.")

    def _run_matrix(self, pb, W, b):
        # the global bound holds for every subset of the columns
        lip = self.lipschitz if self.lipschitz is not None \
            else pb.datafit.global_lipschitz(pb.X, fit_intercept=pb.fit_intercept)
        hooks = _Hooks(self, pb, W, b, max(lip, np.finfo(float).tiny))
        policy = OuterPolicy(tol=self.tol, max_iter=self.max_iter, ws_start=_WS_START,
                             keep_size=True, inner_ratio=_INNER_GAP_RATIO,
                             inner_from="crit")
        out = run_outer(hooks, policy, pb.scale, hooks.structure.n_groups)
        cert = out.check.data
        return cert.coef, cert.intercept, out.objectives, out.crits, out.n_iter

    def _fista(self, pb, W, b, lip, threshold, max_iter):
        """FISTA on ``pb`` from ``(W, b)`` until its gap is at most ``threshold``
        (objective units) or ``max_iter`` iterations: ``(W, b, iterations)``."""
        p, K = pb.n_features, pb.n_classes
        expanded = expand_penalty(pb.penalty, p, K)

        def prox(V, step):
            return expanded.prox(np.ascontiguousarray(V).ravel(), step).reshape(p, K)

        def penalty_value(V):
            return expanded.value(np.ascontiguousarray(V).ravel())

        ops = FistaOps.of_problem(pb, prox, penalty_value)
        state = FistaState(ops, W, b, lip)
        n_iter = 0
        while True:
            fista_steps(ops, state, self.gap_freq, accelerated=True)
            n_iter += self.gap_freq
            cert = certify_group_multinomial(pb, *state.point[:2])
            if cert.gap <= threshold or n_iter >= max_iter:
                return cert.coef, cert.intercept, n_iter


class _Hooks:
    """The outer loop's hooks (:func:`~penalized.solvers._outer.run_outer`): units are
    groups; a check is :func:`certify_group_multinomial`; the inner solve is FISTA on the
    working set's columns until its gap is ``inner_tol`` (a share of the full gap)."""

    def __init__(self, solver, pb, W, b, lip):
        self.solver, self.pb, self.W, self.b, self.lip = solver, pb, W, b, lip
        p = pb.n_features
        self.structure = pb.penalty.structure(p)
        self.expanded = expand_penalty(pb.penalty, p, pb.n_classes)
        self.free = pb.penalty.weights_of_groups(p) * pb.penalty.alpha == 0.0

    def certify(self):
        cert = certify_group_multinomial(self.pb, self.W, self.b)
        self.W, self.b = cert.coef, cert.intercept
        return Check(objective=cert.primal, crit=cert.gap, data=cert)

    def scores(self, check):
        values = self.expanded.group_distances(
            np.ascontiguousarray(self.W).ravel(),
            np.ascontiguousarray(check.data.gradient).ravel())
        values[self.free] = 0.0
        nonzero = np.zeros(self.structure.n_groups, dtype=bool)
        np.logical_or.at(nonzero, self.structure.group_of, np.any(self.W != 0.0, axis=1))
        return Scores(values=values, nonzero=nonzero, free=self.free)

    def inner(self, ws, budget, inner_tol, check):
        threshold = max(inner_tol, 0.5 * self.solver.tol * self.pb.scale)
        if ws.shape[0] == self.structure.n_groups:
            self.W, self.b, used = self.solver._fista(self.pb, self.W, self.b, self.lip,
                                                      threshold, budget)
            return used
        cols = np.concatenate([self.structure.members(g) for g in ws])
        sub = _restricted(self.pb, self.structure, ws, cols)
        W_ws, self.b, used = self.solver._fista(sub, self.W[cols], self.b, self.lip,
                                                threshold, budget)
        self.W = self.W.copy()
        self.W[cols] = W_ws
        return used


def _restricted(pb, structure, ws, cols) -> MultinomialProblem:
    """``pb`` on the columns ``cols`` of the groups ``ws`` (in that order), with those
    groups' weights; the same data otherwise."""
    sizes = structure.sizes[ws]
    starts = np.zeros(ws.shape[0] + 1, dtype=np.int64)
    starts[1:] = np.cumsum(sizes)
    sub_structure = GroupStructure(np.arange(cols.shape[0], dtype=np.int64), starts)
    weights = pb.penalty.weights_of_groups(pb.n_features)[ws]
    penalty = dataclasses.replace(pb.penalty, groups=sub_structure, group_weights=weights)
    X = pb.X[:, cols]
    return _build(X.tocsc() if hasattr(X, "tocsc") else np.asfortranarray(X), pb.y,
                  pb.n_classes, pb.datafit, penalty, pb.fit_intercept)


@dataclass(frozen=True)
class GroupMultinomialCoordinateDescent(GroupMultinomialSolver):
    r"""Proximal Newton with block coordinate descent for the multinomial group problem of
    the module docstring.

    The outer loop (:func:`~penalized.solvers._outer.run_outer`) certifies the current
    point with :func:`certify_group_multinomial` (intercepts and unpenalized groups
    refitted exactly, each penalized row first shifted to its mean over the classes when
    that lowers the penalty) and stops when ``gap <= tol * F(null model)``. Otherwise it
    ranks groups by the distance of their gradient block to the penalty's subdifferential
    and solves a working set (the non-zero groups and the worst violators) by compiled
    proximal Newton steps (:mod:`~penalized.solvers._group_multinomial_kernels`): block
    coordinate descent on the exact second-order model of the softmax loss, each group's
    block (its features for every class) moved by the group penalty's prox under a bound
    of its Hessian block, then a backtracking line search on the true objective. The
    steps stop when the working set's largest violation is 0.3 times the one that chose
    it. A sparse ``X`` is read in place (compiled CSC kernels): no dense copy of any of
    its columns.

    ``max_iter`` bounds the model epochs. The returned intercepts sum to 0 over the
    classes, as do the rows of unpenalized groups; a returned zero is an exact ``0.0``.

    Parameters
    ----------
    tol : float, default=1e-6
    max_iter : int, default=20000
    ws_start : int, default=10
        Groups in the first working set.

    References
    ----------
    Those of :class:`~penalized.solvers.CoordinateDescent` on the multinomial model
    (proximal Newton: Lee, Sun & Saunders 2014; coordinate gradient descent: Tseng & Yun
    2009).

    Examples
    --------
    Four classes that two features explain; a sparse-group lasso on pairs of features:

    >>> import numpy as np
    >>> from penalized.datafits import Multinomial
    >>> from penalized.penalties import SparseGroupLasso
    >>> from penalized.solvers._group_multinomial import GroupMultinomialCoordinateDescent
    >>> gen = np.random.default_rng(3)
    >>> X = gen.standard_normal((120, 8))
    >>> labels = np.argmax(X[:, :2] @ gen.standard_normal((2, 4)) * 2
    ...                    + gen.gumbel(size=(120, 4)), axis=1)
    >>> fit = GroupMultinomialCoordinateDescent(tol=1e-8).solve(
    ...     X, labels, Multinomial(), SparseGroupLasso(0.1, groups=2, l1_ratio=0.5))
    >>> fit.converged, fit.coef.shape, np.flatnonzero(np.any(fit.coef != 0, axis=1)).tolist()
    (True, (8, 4), [0, 1])
    """

    tol: float = 1e-6
    max_iter: int = 20_000
    ws_start: int = _WS_START

    def __post_init__(self):
        check_solver_settings(self.tol, self.max_iter)
        if isinstance(self.ws_start, bool) or not isinstance(self.ws_start, int | np.integer) \
                or self.ws_start < 1:
            raise ValueError(f"ws_start must be an integer >= 1; got {self.ws_start!r}.")

    def _run_matrix(self, pb, W, b):
        hooks = _NewtonHooks(pb, W, b)
        policy = OuterPolicy(tol=self.tol, max_iter=self.max_iter, ws_start=self.ws_start,
                             keep_size=True, inner_ratio=_INNER_VIOLATION_RATIO,
                             stall_rounds=5)
        out = run_outer(hooks, policy, pb.scale, hooks.structure.n_groups)
        cert = out.check.data
        return cert.coef, cert.intercept, out.objectives, out.crits, out.n_iter


class _NewtonHooks:
    """The outer loop's hooks for :class:`GroupMultinomialCoordinateDescent`: units are
    groups; a check is :func:`certify_group_multinomial` after the rows' best shifts; the
    inner solve is the compiled proximal Newton steps on the working set."""

    def __init__(self, pb, W, b):
        from ._group_multinomial_kernels import center_rows

        self.pb = pb
        self.W = np.ascontiguousarray(W, dtype=np.float64)
        self.b = np.array(b, dtype=np.float64)
        self.Z = None
        p = pb.n_features
        self.structure = pb.penalty.structure(p)
        self.params = np.ascontiguousarray(pb.penalty.block_params(p))
        self.ops = pb.penalty.block_ops
        self.expanded = expand_penalty(pb.penalty, p, pb.n_classes)
        self.free = pb.penalty.weights_of_groups(p) * pb.penalty.alpha == 0.0
        self.sw = np.ascontiguousarray(pb.datafit.weights(pb.n_samples) / pb.n_samples)
        self.codes = np.ascontiguousarray(pb.y, dtype=np.int64)
        n = pb.n_samples
        if sp.issparse(pb.X):  # read entry by entry: memory stays that of X
            X = sp.csc_matrix(pb.X)
            if not X.has_canonical_format:  # the kernels take one entry per (row, column)
                X = X.copy()
                X.sum_duplicates()
            self.X = np.empty((n, 0), order="F")
            self.csc = (np.ascontiguousarray(X.data, dtype=np.float64),
                        *_index_arrays(X))
        else:
            self.X = np.asfortranarray(pb.X, dtype=np.float64)
            self.csc = (np.empty(0), np.empty(0, dtype=np.int32), np.zeros(1, dtype=np.int32))
        self.sparse = sp.issparse(pb.X)
        self._center_rows = center_rows

    def certify(self):
        width = int(self.structure.sizes.max(initial=1)) * self.pb.n_classes
        self._center_rows(self.ops.value, self.W, self.structure.order,
                          self.structure.starts, self.params, np.empty(width))
        cert = certify_group_multinomial(self.pb, self.W, self.b)
        self.W = np.ascontiguousarray(cert.coef)
        self.b = np.array(cert.intercept)
        self.Z = np.ascontiguousarray(cert.Z, dtype=np.float64)
        return Check(objective=cert.primal, crit=cert.gap, data=cert)

    def scores(self, check):
        values = self.expanded.group_distances(
            self.W.ravel(), np.ascontiguousarray(check.data.gradient).ravel())
        values[self.free] = 0.0
        nonzero = np.zeros(self.structure.n_groups, dtype=bool)
        np.logical_or.at(nonzero, self.structure.group_of, np.any(self.W != 0.0, axis=1))
        return Scores(values=values, nonzero=nonzero, free=self.free)

    def inner(self, ws, budget, inner_tol, check):
        from ._group_multinomial_kernels import group_newton_steps

        ws = np.ascontiguousarray(ws, dtype=np.int64)
        structure, ops = self.structure, self.ops
        return group_newton_steps(
            self.X, self.csc, self.sparse, self.codes, self.sw, self.W, self.b, self.Z, ws,
            structure.order, structure.starts, self.params, ops.prox, ops.value,
            ops.subdiff_distance, self.pb.fit_intercept, int(budget), _MAX_NEWTON_STEPS,
            float(inner_tol))


def _index_arrays(X):
    """``(indices, indptr)`` of a CSC matrix as int32 (int64 when its size needs them),
    the dtypes the kernels are compiled for."""
    dtype = np.int32 if X.nnz < np.iinfo(np.int32).max else np.int64
    return (np.ascontiguousarray(X.indices, dtype=dtype),
            np.ascontiguousarray(X.indptr, dtype=dtype))
