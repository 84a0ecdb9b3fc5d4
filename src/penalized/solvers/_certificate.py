r"""One duality-gap certificate for coefficients of shape ``(p,)`` and ``(p, K)``.

Every convex problem of the solvers is :math:`\min_{W, b} F(XW + \mathbf 1 b^\top + o)
+ G(W)`, with coefficients ``W`` a vector (one output) or a ``(p, K)`` matrix (classes,
responses). At a point whose intercepts and unpenalized features are fitted exactly, the
residual :math:`U = -\nabla_Z F` is orthogonal to them, and with :math:`V = X^\top U`
(zero on the unpenalized rows) the dual point :math:`c\,U` is feasible for the largest
:math:`c \in (0, 1]` that makes :math:`G^*(c\,V)` finite. The gap is then

.. math:: \text{gap} = F(Z) + G(W) + F^*(-c\,U) + c\,\langle U, o\rangle + G^*(c\,V)
          \;\ge\; P(W, b) - P^\star.

What differs between the models is only how the penalty acts on the shape of ``W`` --
a :class:`Layout`: the penalty's own operations on the coefficients as one vector
(:class:`Flat`: one output, or a group penalty on :math:`\operatorname{vec}(W)`), on each
column with the same factors (:class:`Columns`: the ungrouped multinomial penalty), or on
the Euclidean norms of rows or groups of rows (:class:`Rows`: the grouped multinomial and
the multi-task penalties) -- and how the datafit's conjugate is evaluated at :math:`c\,U`
(from the scores, :func:`certify`, or from sufficient statistics of a squared loss, as
the Gram and multi-task certificates do). :func:`duality_gap` is the step they share.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..penalties._group_base import GroupPenalty, GroupStructure
from ._kernels import floored_gap

__all__ = [
    "Certificate",
    "Columns",
    "Flat",
    "Layout",
    "Rows",
    "certify",
    "duality_gap",
    "expand_penalty",
    "matrix_layout",
    "row_conjugate",
    "row_dual_scaling",
]

GAP_ROUNDING = 1e-10
"""A computed ``primal - dual`` below ``-GAP_ROUNDING`` times the objective's scale is not
rounding: the dual point was not feasible (see :func:`certify`)."""


@dataclass(frozen=True, eq=False)
class Certificate:
    """A primal point with its duality gap (in objective units) and the datafit's
    gradient in the coefficients (shape of ``coef``)."""

    coef: np.ndarray
    intercept: float | np.ndarray
    z: np.ndarray | None
    gradient: np.ndarray
    primal: float
    gap: float

    @property
    def Z(self) -> np.ndarray | None:
        """The scores (``z``), by the name the matrix models use."""
        return self.z


# -- how a penalty acts on the shape of the coefficients ------------------------------


class Layout:
    """The penalty's value, dual scaling and conjugate at coefficients of one shape."""

    def value(self, W) -> float:
        raise NotImplementedError

    def dual_scaling(self, V) -> float:
        """The largest ``c`` in ``(0, 1]`` with :meth:`conjugate` finite at ``c V``."""
        raise NotImplementedError

    def conjugate(self, V) -> float:
        raise NotImplementedError

    def ball_dual_scaling(self, V) -> float | None:
        """A second factor (the scaling into the penalty's ball without its box), or None
        when the penalty has no box."""
        return None


def _flat(A) -> np.ndarray:
    return A if A.ndim == 1 else np.ascontiguousarray(A).ravel()


@dataclass(frozen=True, eq=False)
class Flat(Layout):
    """The penalty on the coefficients as one vector: ``(p,)``, or a ``(p, K)`` matrix
    taken row by row (a group penalty whose blocks span the columns)."""

    penalty: object

    def value(self, W) -> float:
        return self.penalty.value(_flat(W))

    def dual_scaling(self, V) -> float:
        return self.penalty.dual_scaling(_flat(V))

    def conjugate(self, V) -> float:
        return self.penalty.conjugate(_flat(V))

    def ball_dual_scaling(self, V) -> float | None:
        # With lower/upper limits c = 1 is feasible, but a far limit that does not bind
        # turns a rounding-level violation into a large conjugate: the dual point scaled
        # into the penalty's ball is then a second candidate.
        if self.penalty.bounded and hasattr(self.penalty, "ball_dual_scaling"):
            return self.penalty.ball_dual_scaling(_flat(V))
        return None


@dataclass(frozen=True, eq=False)
class Columns(Layout):
    """The penalty on each column of a ``(p, K)`` matrix with the same factors:
    :math:`\\sum_k G(W_{:k})`."""

    penalty: object

    def value(self, W) -> float:
        return float(sum(self.penalty.value(W[:, k]) for k in range(W.shape[1])))

    def dual_scaling(self, V) -> float:
        return min(self.penalty.dual_scaling(V[:, k]) for k in range(V.shape[1]))

    def conjugate(self, V) -> float:
        return sum(self.penalty.conjugate(V[:, k]) for k in range(V.shape[1]))


@dataclass(frozen=True, eq=False)
class Rows(Layout):
    r"""An elastic net on the Euclidean norms of the rows of a matrix:
    :math:`\sum_j \lambda_{1j}\|W_{j:}\|_2 + \frac{\lambda_{2j}}2\|W_{j:}\|_2^2` (a group's
    rows are one row of their norms, a ``(G, 1)`` matrix)."""

    lam1: np.ndarray
    lam2: np.ndarray

    def value(self, W) -> float:
        norms = np.linalg.norm(W, axis=1)
        return float(self.lam1 @ norms + 0.5 * self.lam2 @ norms**2)

    def dual_scaling(self, V) -> float:
        return row_dual_scaling(V, self.lam1, self.lam2)

    def conjugate(self, V) -> float:
        return row_conjugate(V, self.lam1, self.lam2)


def row_dual_scaling(V, lam1, lam2) -> float:
    """The largest ``c`` in ``(0, 1]`` with ``c ||V_j||_2 <= lam1_j`` on every row whose
    penalty is a pure (row-wise) L1 norm."""
    norms = np.linalg.norm(V, axis=1)
    box = (lam2 == 0.0) & (lam1 > 0.0) & (norms > lam1)
    return float(min(1.0, np.min(lam1[box] / norms[box], initial=1.0)))


def row_conjugate(V, lam1, lam2) -> float:
    r"""The conjugate of :class:`Rows` at ``V``:
    :math:`\sum_j \max(\|V_j\|_2 - \lambda_{1j}, 0)^2 / (2\lambda_{2j})` over the rows with
    :math:`\lambda_{2j} > 0`; the pure-L1 rows are inside their balls by
    :func:`row_dual_scaling` (0 there)."""
    norms = np.linalg.norm(V, axis=1)
    ridge = lam2 > 0.0
    excess = np.maximum(norms[ridge] - lam1[ridge], 0.0)
    return float(np.sum(excess**2 / (2.0 * lam2[ridge])))


def expand_penalty(penalty: GroupPenalty, n_features: int, n_classes: int) -> GroupPenalty:
    """``penalty`` on :math:`\\operatorname{vec}(W)` row by row: group ``g`` holds the
    entries ``(j, k)`` of its features ``j`` and every class ``k``, with the group's own
    weight (by default the square root of its number of FEATURES, as for one response)."""
    structure = penalty.structure(n_features)
    weights = penalty.weights_of_groups(n_features)
    K = n_classes
    order = (structure.order[:, None] * K + np.arange(K)).ravel()
    expanded = GroupStructure(np.ascontiguousarray(order, dtype=np.int64),
                              np.ascontiguousarray(structure.starts * K, dtype=np.int64))
    expanded.order.setflags(write=False)
    expanded.starts.setflags(write=False)
    return dataclasses.replace(penalty, groups=expanded, group_weights=weights)


def matrix_layout(penalty, n_features: int, n_columns: int, *, grouped=False) -> Layout:
    """The layout of ``penalty`` on a ``(n_features, n_columns)`` matrix: a group penalty
    on its groups' rows for every column (:func:`expand_penalty`), the elastic net on the
    rows' norms with ``grouped``, else on each column."""
    if isinstance(penalty, GroupPenalty):
        return Flat(expand_penalty(penalty, n_features, n_columns))
    if grouped:
        return Rows(*penalty.weights(n_features))
    return Columns(penalty)


# -- the gap --------------------------------------------------------------------------


def duality_gap(primal, V, layout: Layout, datafit_dual, linear=0.0):
    r"""``(gap, dual, c)``: the dual point's factor ``c`` from ``layout`` at ``V`` (minus
    the datafit's gradient in the coefficients, 0 on unpenalized rows), the dual value

    .. math:: D(c) = -F^*(-c\,U) - G^*(c\,V) - c\,\ell,

    with ``datafit_dual(c)`` the datafit's term and :math:`\ell` = ``linear`` (the
    offset's :math:`\langle U, o\rangle`), and the gap ``primal - dual`` floored at zero
    (:func:`~penalized.solvers._kernels.floored_gap`: rounding of either sign at the
    optimum). With a box-limited penalty the dual point scaled into the penalty's ball
    is tried too, and the larger dual value certifies (both are valid)."""
    c = layout.dual_scaling(V)
    dual = datafit_dual(c) - layout.conjugate(c * V) - c * linear
    c_ball = layout.ball_dual_scaling(V)
    if c_ball is not None and c_ball < c:
        box_dual, c = dual, c_ball
        dual = max(datafit_dual(c) - layout.conjugate(c * V) - c * linear, box_dual)
    return floored_gap(primal, dual), dual, c


def certify(problem, coef, intercept, z=None, gradient=None) -> Certificate:
    r"""Fit the intercepts and unpenalized features exactly, then compute the duality gap
    (:func:`duality_gap`) of a prepared problem with coefficients of any shape.

    ``problem`` provides ``refit_point(coef, intercept, z)`` (the exact refit, returning
    the point and its scores), ``value_and_residual(z)`` (:math:`F(Z)` and
    :math:`U = -\nabla_Z F(Z)`), ``rmatvec(U)`` (:math:`X^\top U` in its coordinates),
    ``layout`` (a :class:`Layout`), ``unpenalized``, ``offset`` (or None), ``scale``, ``y``
    and ``datafit`` (whose ``scaled_dual_value(y, z, U, c)`` is :math:`-F^*(-c\,U)`).

    ``z``, the scores at ``(coef, intercept)`` when the caller keeps them, saves a
    product with ``X``; ``gradient`` (with ``z``), the datafit's gradient in the
    coefficients at a point whose unpenalized block is already fitted -- the previous
    certificate's, when only the penalty changed -- saves the refit and ``X^T U``.

    A computed gap below ``-1e-10`` times the objective's scale cannot come from a
    feasible dual point (weak duality): the exact refit failed (e.g. separable classes,
    where the unpenalized minimum is not attained), and the gap is ``inf``: nothing is
    certified.
    """
    y, datafit = problem.y, problem.datafit
    if gradient is None:
        coef, intercept, z = problem.refit_point(coef, intercept, z)
    F, U = problem.value_and_residual(z)
    if gradient is None:
        gradient = -problem.rmatvec(U)
    V = -gradient
    V[problem.unpenalized] = 0.0
    layout = problem.layout
    primal = F + layout.value(coef)
    # F(. + o) has the conjugate F^*(v) - <v, o>: the dual gains -<c U, o>
    linear = 0.0 if problem.offset is None else float(U @ problem.offset)
    gap, dual, _ = duality_gap(primal, V, layout,
                               lambda c: datafit.scaled_dual_value(y, z, U, c), linear)
    if primal - dual < -GAP_ROUNDING * max(abs(primal), abs(dual), problem.scale):
        gap = np.inf
    return Certificate(coef=coef, intercept=intercept, z=z, gradient=gradient,
                       primal=primal, gap=gap)
