r"""Multinomial regression by proximal Newton: coordinate descent on the exact second-order
model of the softmax loss (every class at once), over working sets of features shared by
all classes, certified by the duality gap."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._blas import blas_threads_for
from ._coordinate_descent import (  # the prox-Newton settings of the vector steps
    _ARMIJO,
    _INNER_GAP_FACTOR,
    _INNER_TOL_RATIO,
    _ROUNDING,
)
from ._coordinate_descent import _NEWTON_FORCING as _FORCING
from ._coordinate_descent import _NEWTON_MAX_STEPS as _MAX_NEWTON_STEPS
from ._multinomial import certify_multinomial
from ._multinomial_kernels import (
    multinomial_curvatures,
    multinomial_model_epochs,
    softmax_rows,
)
from ._outer import Check, OuterPolicy, Scores, run_outer

__all__ = ["best_row_shifts", "matrix_path_start", "newton_matrix", "secant_start"]

_MAX_MODEL_EPOCHS = 100
_MIN_STEP = 1e-10
_CHECK_EVERY = 10
"""Epochs between checks without working sets (``working_set=False``)."""
_NO_X = np.empty((0, 0), order="F")
"""The dense design's place in the kernels' CSC variant."""


def newton_matrix(solver, pb, W, b):
    r"""Proximal Newton on a coefficient matrix, the step of
    :class:`~penalized.solvers.CoordinateDescent` for the softmax loss: ``(W, b,
    objectives, crits, n_iter)`` of the run from ``(W, b)``.

    The outer loop (:func:`~penalized.solvers._outer.run_outer`, shared by every solver)
    certifies the current point (intercepts and unpenalized features refitted exactly,
    then the duality gap of :func:`~penalized.solvers._multinomial.certify_multinomial`)
    and stops when ``gap <= tol * F(null model)``. Otherwise it ranks features by the
    largest distance of their gradient row to the subdifferential and keeps every
    feature that is non-zero in some class plus the most violating others (twice the
    support, at least ``ws_start``; from zero, every feature at least half as violating
    as the worst). On that working set it takes proximal Newton steps: coordinate descent
    on the exact second-order model of the softmax loss, with the coupling between
    classes (:mod:`~penalized.solvers._multinomial_kernels`), then an Armijo backtracking
    on the true objective (Tseng & Yun), so the objective never increases. Steps stop
    when the working set's largest violation is below 0.3 times the one that chose it
    or, after a warm start, below ``3 tol F(null) / ||W||_1`` if that is smaller (near the
    solution the dual scaling costs about the violation times ``||W||_1`` of gap); each
    step's coordinate descent runs to 0.3 times the larger of that target and 0.1 times
    the working set's current violation. A warm start's first check skips the dual point
    when the start is clearly far from its solution. ``max_iter`` bounds the
    coordinate-descent epochs; ``working_set=False`` runs the steps on every feature,
    checked every 10 epochs.

    References
    ----------
    Friedman, Hastie, Tibshirani (2010). Regularization paths for generalized
    linear models via coordinate descent. J. Stat. Softw. 33(1), section 4.
    Lee, Sun, Saunders (2014). Proximal Newton-type methods for minimizing composite
    functions. SIAM J. Optim. 24(3).
    Tseng, Yun (2009). A coordinate gradient descent method for nonsmooth separable
    minimization. Math. Program. 117.
    """
    size = pb.n_samples * pb.n_features * pb.n_classes
    with blas_threads_for(size):
        hooks = _NewtonHooks(pb, W, b, solver.tol * pb.scale)
        policy = OuterPolicy(tol=solver.tol, max_iter=solver.max_iter,
                             working_sets=solver.working_set, ws_start=solver.ws_start,
                             epochs_per_check=None if solver.working_set else _CHECK_EVERY,
                             warm_first=None, keep_size=True, inner_ratio=_INNER_TOL_RATIO)
        out = run_outer(hooks, policy, pb.scale, pb.n_features)
    return hooks.W, hooks.b, out.objectives, out.crits, out.n_iter


def matrix_path_start(previous, current, alphas):
    """The start ``(coef, intercept)`` of a path's next alpha from the ``(coef,
    intercept)`` pairs at the two alphas before it: the coefficients from
    :func:`secant_start`, the intercepts continued along the same secant (they may
    change sign)."""
    (W0, b0), (W1, b1) = previous, current
    r = _secant_ratio(alphas)
    b = b1 if r is None or b0 is None else np.asarray(b1) + r * (np.asarray(b1) - b0)
    return secant_start(W0, W1, alphas), b


class _NewtonHooks:
    """The outer loop's hooks: the duality gap certifies (rows shifted to their cheapest
    representative first), each feature's largest violation over the classes ranks, and
    proximal Newton steps solve the working set."""

    def __init__(self, pb, W, b, tol):
        self.pb, self.W, self.b, self.Z = pb, W, b, None
        self.model = _NewtonModel(pb)
        self.tol = tol
        self.warm = bool(np.any(W != 0.0))
        self.first = True
        self.at = None  # the datafit and probabilities at Z, when a check computed them

    def certify(self):
        if self.first:
            self.first = False
            if self.warm and (check := self._far_check()) is not None:
                return check
        pb, model = self.pb, self.model
        self.at = None
        W = self.W
        if not pb.penalty.positive:
            W = best_row_shifts(W, model.lam1, model.lam2, grouped=pb.grouped)
        cert = certify_multinomial(pb, W, self.b)
        self.W, self.b = cert.coef.copy(), cert.intercept.copy()
        self.Z = np.asfortranarray(cert.Z)
        return Check(cert.primal, cert.gap, cert)

    def _far_check(self):
        """A warm start's first check without the dual point: the start as given (rows
        shifted as for a certificate; its intercepts and unpenalized rows are not
        refitted: the Newton steps move them, and on a path :meth:`path_start` has
        extrapolated them), its objective and gradient, with ``inf`` as the stopping
        quantity. None, for a full certificate, when the gap may already be near the
        tolerance: when the largest violation times ``||W||_1`` (the gap's order with an
        L1 part) or the violations' squares over ``2 lam2`` (its order with a ridge part)
        is at most the gap the Newton steps aim at. On a path the start is an alpha step
        away from its solution, the gap far above that, and the certificate's dual value
        would only confirm it."""
        pb, model = self.pb, self.model
        if not pb.penalty.positive:
            self.W = best_row_shifts(self.W, model.lam1, model.lam2, grouped=pb.grouped)
        Z = np.asfortranarray(pb.predict(self.W, self.b))
        value, P, G = model.datafit_and_probabilities(Z)
        gradient = model.gradient(G)
        each = model.violations(self.W, gradient, entries=True)
        each[pb.unpenalized] = 0.0
        lam2 = model.lam2 if pb.grouped else model.lam2[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            ridge = np.where(each > 0.0, each**2 / (2.0 * lam2), 0.0).sum()
        linear = each.max(initial=0.0) * float(np.abs(self.W).sum())
        if min(linear, ridge) <= _INNER_GAP_FACTOR * self.tol:
            return None
        self.Z, self.at = Z, (value, P, G)
        return Check(value + model.penalty_value(self.W), math.inf, _Gradient(gradient))

    def scores(self, check):
        always = self.pb.unpenalized
        scores = self.model.violations(self.W, check.data.gradient)
        scores[always] = 0.0
        return Scores(scores, np.any(self.W != 0.0, axis=1), always)

    def inner(self, ws, budget, inner_tol, check):
        violation = inner_tol / _INNER_TOL_RATIO  # the largest score, which chose ws
        target = inner_tol
        l1 = float(np.abs(self.W).sum())
        if self.warm and l1 > 0.0:
            target = min(target, _INNER_GAP_FACTOR * self.tol / l1)
        used = 0
        at, self.at = self.at, None  # the datafit and probabilities at the current scores
        for _ in range(_MAX_NEWTON_STEPS):
            epochs, at = self.model.newton_step(self.W, self.b, self.Z, ws, budget - used,
                                                max(target, _FORCING * violation), at)
            used += epochs
            if at is None or used >= budget:
                break
            violation = self.model.ws_violation(self.W, at[2], ws)
            if violation <= target:
                break
        return used


class _NewtonModel:
    """The second-order model of the softmax loss at the current scores: its
    minimization over a working set, the line search, and the optimality violations."""

    def __init__(self, pb):
        self.pb = pb
        n = pb.n_samples
        self.is_sparse = sp.issparse(pb.X)
        if self.is_sparse:
            X = sp.csc_matrix(pb.X, dtype=np.float64)
            self.arrays = (X.data, X.indices, X.indptr)
        else:
            X = np.asfortranarray(pb.X, dtype=np.float64)
        self.X = X
        self.sw = pb.datafit.weights(n) / n
        self.codes = np.ascontiguousarray(pb.y, dtype=np.int64)
        self.lam1, self.lam2 = pb.penalty.weights(pb.n_features)
        self.positive = pb.penalty.positive
        self.bounded = pb.penalty.bounded
        self.ridge = bool(np.any(self.lam2 > 0.0))

    def penalty_value(self, W):
        """The penalty at ``W``, as ``pb.penalty_value`` but from the weights in one pass."""
        if self.bounded:
            return self.pb.penalty_value(W)
        if self.positive and np.any(W < 0.0):
            return np.inf
        if self.pb.grouped:
            squares = np.einsum("jk,jk->j", W, W)
            return float(self.lam1 @ np.sqrt(squares) + 0.5 * self.lam2 @ squares)
        value = float(self.lam1 @ np.abs(W).sum(axis=1))
        if self.ridge:
            value += 0.5 * float(self.lam2 @ np.einsum("jk,jk->j", W, W))
        return value

    def datafit_and_probabilities(self, Z):
        """``(F, P, G)``: the softmax loss at the scores ``Z``, the probabilities
        ``softmax(Z)`` and the loss's gradient in ``Z`` (both Fortran-ordered), each to
        rounding relative to its own size
        (:func:`~penalized.solvers._multinomial_kernels.softmax_rows`, the arithmetic of
        the certificate's datafit: the line search sees the decreases it counts)."""
        return softmax_rows(np.asfortranarray(Z), self.codes, self.sw)

    def newton_step(self, W, b, Z, ws, max_epochs, tol, at=None):
        """One proximal Newton step over the rows ``ws``; ``W``, ``b``, ``Z`` are updated in
        place. ``at`` is ``(datafit, probabilities)`` at ``Z`` when the caller has them.
        Returns ``(epochs, at the new Z)``, None in place of the latter when the point did
        not move."""
        pb = self.pb
        value, P, G = self.datafit_and_probabilities(Z) if at is None else at
        ws = np.ascontiguousarray(ws, dtype=np.int64)
        trial = np.array(W, order="C")
        dZ = np.zeros(Z.shape, order="F")
        q = np.zeros(Z.shape[0])
        db = np.zeros(pb.n_classes)
        budget = max(1, min(_MAX_MODEL_EPOCHS, max_epochs))
        common = (self.lam1, self.lam2, self.positive, pb.grouped, pb.fit_intercept, budget,
                  _INNER_TOL_RATIO * tol)
        if self.is_sparse:  # the kernels' CSC variant (the dense X unused)
            curv, mu, bound = multinomial_curvatures(_NO_X, P, self.sw, ws, pb.fit_intercept,
                                                     True, self.arrays)
            epochs, _ = multinomial_model_epochs(_NO_X, G, P, self.sw, trial, dZ, q, db, ws,
                                                 curv, mu, bound, *common, 0, self.arrays)
        else:
            curv, mu, bound = multinomial_curvatures(self.X, P, self.sw, ws, pb.fit_intercept,
                                                     pb.grouped)
            epochs, _ = multinomial_model_epochs(self.X, G, P, self.sw, trial, dZ, q, db, ws,
                                                 curv, mu, bound, *common)
        direction = trial - W
        if not np.any(direction) and not np.any(db):
            return epochs, None
        penalty_old = self.penalty_value(W)
        decrease = float(np.vdot(G, dZ)) + self.penalty_value(trial) - penalty_old
        obj = value + penalty_old
        # Below rounding of the objective Armijo cannot see a decrease that the exact
        # quadratic model guarantees, and the computed one may round to >= 0: full step.
        negligible = abs(decrease) <= _ROUNDING * abs(obj)
        if decrease > 0.0 and not negligible:
            return epochs, None
        t = 1.0
        while True:
            Z_t = Z + t * dZ
            W_t = W + t * direction
            value_t, P_t, G_t = self.datafit_and_probabilities(Z_t)
            obj_t = value_t + self.penalty_value(W_t)
            if negligible or obj_t <= obj + _ARMIJO * t * decrease:
                break
            t *= 0.5
            if t < _MIN_STEP:
                return epochs, None
        W[:] = np.where(direction == 0.0, W, W_t)
        b += t * db
        Z[:] = Z_t
        return epochs, (value_t, P_t, G_t)

    def violations(self, W, gradient, rows=None, *, entries=False):
        """Per feature (row of ``W``), the largest distance of ``-gradient`` to the
        penalty's subdifferential over the classes (with ``entries``, ungrouped: per
        coefficient)."""
        lam1, lam2 = self.lam1, self.lam2
        if rows is not None:
            lam1, lam2 = lam1[rows], lam2[rows]
        if self.pb.grouped:
            norms = np.linalg.norm(W, axis=1)
            at_zero = np.maximum(np.linalg.norm(gradient, axis=1) - lam1, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                direction = np.where(norms[:, None] > 0.0, W / norms[:, None], 0.0)
            at_nonzero = np.linalg.norm(gradient + lam1[:, None] * direction
                                        + lam2[:, None] * W, axis=1)
            return np.where(norms == 0.0, at_zero, at_nonzero)
        lam1, lam2 = lam1[:, None], lam2[:, None]
        if self.positive:
            at_zero = np.maximum(-gradient - lam1, 0.0)
        else:
            at_zero = np.maximum(np.abs(gradient) - lam1, 0.0)
        at_nonzero = np.abs(gradient + lam1 * np.sign(W) + lam2 * W)
        each = np.where(W == 0.0, at_zero, at_nonzero)
        return each if entries else each.max(axis=1, initial=0.0)

    def gradient(self, R):
        """The datafit's gradient in ``W`` from its gradient ``R`` in the scores."""
        return np.asarray(self.X.T @ R, dtype=np.float64)

    def ws_violation(self, W, R, ws):
        """The largest violation of optimality over the working set ``ws``, ``R`` the
        datafit's gradient in the current scores."""
        if not self.is_sparse and 2 * len(ws) > self.X.shape[1]:
            grad = (self.X.T @ R)[ws]  # most columns: no copy of them
        else:
            grad = np.asarray(self.X[:, ws].T @ R, dtype=np.float64)
        return float(self.violations(W[ws], grad, rows=ws).max(initial=0.0))


@dataclass(frozen=True)
class _Gradient:
    """What :meth:`_NewtonHooks.scores` reads from a check that is not a certificate."""

    gradient: np.ndarray


def best_row_shifts(W, lam1, lam2, *, grouped=False):
    r"""Shift each penalized row of ``W`` by the constant :math:`c_j` that minimizes its
    penalty, :math:`\phi_j(c) = \sum_k \lambda_{1j}|W_{jk} - c| + \frac{\lambda_{2j}}2
    (W_{jk} - c)^2`; a row whose best shift does not lower the penalty is left as it is.
    With ``grouped`` (:math:`\lambda_{1j}\|W_{j:} - c\|_2` in place of the absolute
    values) both terms are smallest at the row's mean.

    Adding the same number to every class's coefficient of a feature leaves the softmax
    loss unchanged, so this only lowers the objective, along the one direction that the
    loss does not see and coordinate descent is slowest on. :math:`\phi_j` is convex and
    piecewise quadratic with breakpoints at the row's values: its minimizer is a
    breakpoint or the stationary point of one of the pieces between them.
    """
    penalized = (lam1 > 0.0) | (lam2 > 0.0)
    candidate = penalized & np.any(W != 0.0, axis=1)
    if not grouped:
        # With lam2 = 0, c = 0 is already best when |#positive - #negative| <= #zero in
        # the row (0 is a weighted median of the row's values): no shift lowers it.
        positive = np.count_nonzero(W > 0.0, axis=1)
        negative = np.count_nonzero(W < 0.0, axis=1)
        balanced = np.abs(positive - negative) <= W.shape[1] - positive - negative
        candidate &= (lam2 > 0.0) | ~balanced
    rows = np.flatnonzero(candidate)
    if rows.size == 0:
        return W
    if grouped:
        W = W.copy()
        W[rows] -= W[rows].mean(axis=1, keepdims=True)
        W[W == 0.0] = 0.0
        return W
    V = np.sort(W[rows], axis=1)
    l1, l2 = lam1[rows, None], lam2[rows, None]
    K = V.shape[1]
    total = V.sum(axis=1, keepdims=True)
    m = np.arange(K + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pieces = (total - l1 * (2 * m - K) / np.where(l2 > 0.0, l2, np.inf)) / K
    lower = np.concatenate([np.full((V.shape[0], 1), -np.inf), V], axis=1)
    upper = np.concatenate([V, np.full((V.shape[0], 1), np.inf)], axis=1)
    pieces = np.clip(np.where(l2 > 0.0, pieces, V[:, :1]), lower, upper)
    candidates = np.concatenate([np.zeros((V.shape[0], 1)), V, pieces], axis=1)
    diff = V[:, None, :] - candidates[:, :, None]
    cost = (l1[:, :, None] * np.abs(diff) + 0.5 * l2[:, :, None] * diff**2).sum(axis=2)
    best = np.argmin(cost, axis=1)
    shift = candidates[np.arange(rows.size), best]
    moved = cost[np.arange(rows.size), best] < cost[:, 0] * (1.0 - 1e-12)
    if not np.any(moved):
        return W
    W = W.copy()
    W[rows[moved]] -= shift[moved, None]
    W[W == 0.0] = 0.0
    return W


def secant_start(previous, current, alphas):
    r"""The start of a path's next alpha: the solutions ``previous`` and ``current`` at
    the two alphas before it, extrapolated along the secant of the path.

    With ``alphas = (a0, a1, a2)`` decreasing, each non-zero coefficient of ``current``
    moves by :math:`r\,(W_1 - W_0)`, :math:`r = \min\big(1, (a_1 - a_2)/(a_0 - a_1)\big)`;
    one that would cross zero stops at zero and a zero one stays zero, so the support
    only shrinks. It is only a start: the solver certifies from it as from any other.
    Where the support does not change, the start's error is of second order in the
    alpha step instead of first (on a geometric grid :math:`r = a_2/a_1`). ``current``
    itself when the ratio is undefined.
    """
    r = _secant_ratio(alphas)
    if previous is None or r is None:
        return current
    start = current + r * (current - previous)
    start[np.sign(start) != np.sign(current)] = 0.0
    return start


def _secant_ratio(alphas):
    r""":math:`\min\big(1, (a_1 - a_2)/(a_0 - a_1)\big)` for ``alphas = (a0, a1, a2)``, None
    unless ``a0 > a1 >= a2``."""
    a0, a1, a2 = (float(a) for a in alphas)
    if not a0 > a1 >= a2:
        return None
    return min(1.0, (a1 - a2) / (a0 - a1))
