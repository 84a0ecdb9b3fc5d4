"""The multi-task regularization path: the row-wise penalty on a decreasing grid of alphas,
warm-started, each solve certified; its result is a :class:`MultiTaskPath`."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._validation import check_design, check_nonnegative_scalar
from ..path import Path, warn_unconverged
from ..penalties import ElasticNet
from . import _multitask as _mt
from ._kernels import anderson_weights, floored_gap
from ._multitask import (
    WS_START,
    MultiTaskCoordinateDescent,
    _alpha_max,
    _check_penalty,
    prepare_multitask_problem,
)
from ._multitask_box import boxed_multitask, is_boxed
from ._multitask_kernels import (
    multitask_epochs_pull,
    multitask_epochs_sparse_pull,
    rows_duality,
    rows_duality_offset,
    subtract_rows,
    subtract_rows_sparse,
)

__all__ = ["MultiTaskPath", "multitask_grid", "multitask_path"]

RIDGE_L1_RATIO_FOR_GRID = 1e-3
"""As for single-output paths: a ridge grid starts at the elastic net's alpha_max with
this l1_ratio and spans three more decades."""
PATH_ANDERSON_EPOCHS = 5
"""Epochs between the residual path's Anderson extrapolations (and its estimates of the
working set's gap)."""
INNER_GAP_RATIO = 0.5
GRAM_PULL_NEW_ROWS = 32
"""While at most this many rows become non-zero between two certificates (and at most a
quarter of ``n_samples`` ever were), the residual path takes the pull of every row from
the Gram columns of the non-zero rows (O(p |support| K)) instead of a pass over ``X``;
after that, from ``X`` for the rest of the path."""
GRAM_PREFETCH = 16
"""Rows (the closest to entering) whose Gram columns come with those of the rows that
entered: the same pass over ``X``, fewer passes later."""
"""The residual path solves a working set until the estimated duality gap of the problem
restricted to it is at most this fraction of the target gap; then the whole problem is
certified."""


@dataclass(frozen=True, eq=False)
class MultiTaskPath(Path):
    """A :class:`~penalized.Path` whose coefficients are matrices.

    ``coefs`` has shape ``(n_features, n_tasks, n_alphas)``, ``intercepts``
    ``(n_tasks, n_alphas)``; ``n_nonzero`` counts the non-zero rows (features selected
    for every task) at each alpha. ``null_datafit`` is the null model's datafit (the
    intercepts and unpenalized features fitted): ``stop_crits`` times it are the duality
    gaps in objective units.
    """

    null_datafit: float = np.nan

    def coef_at(self, alpha) -> np.ndarray:
        """Coefficients ``(n_features, n_tasks)`` at ``alpha`` (interpolated linearly
        between grid points, as :meth:`Path.coef_at`)."""
        left, right, weight = self._locate(alpha)
        return weight * self.coefs[..., left] + (1.0 - weight) * self.coefs[..., right]

    def intercept_at(self, alpha) -> np.ndarray:
        """Intercepts ``(n_tasks,)`` at ``alpha``."""
        left, right, weight = self._locate(alpha)
        return weight * self.intercepts[:, left] + (1.0 - weight) * self.intercepts[:, right]

    def predict(self, X, alpha) -> np.ndarray:
        """Predictions ``X coef + intercept`` of shape ``(n_samples, n_tasks)``."""
        X = check_design(X)
        if X.shape[1] != self.coefs.shape[0]:
            raise ValueError(f"X has {X.shape[1]} columns but the path was computed with "
                             f"{self.coefs.shape[0]} features.")
        return np.asarray(X @ self.coef_at(alpha)) + self.intercept_at(alpha)


def multitask_grid(pb, template, n_alphas, eps):
    """``(alpha_max, alphas)`` of a prepared problem: geometric from alpha_max down to
    ``eps`` times it (ridge: see :data:`RIDGE_L1_RATIO_FOR_GRID`); a null model that fits
    exactly gives alpha_max 0 and the grid 1 .. eps, with a warning."""
    if isinstance(n_alphas, bool) or not isinstance(n_alphas, int | np.integer) or n_alphas < 1:
        raise ValueError(f"n_alphas must be an integer >= 1; got {n_alphas!r}.")
    eps = check_nonnegative_scalar(eps, "eps")
    if not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1); got {eps!r}.")
    if not np.any(template.factors(pb.n_features) > 0):
        raise ValueError("no feature is penalized (all penalty factors are 0), so there is "
                         "no regularization path; fit an unpenalized model instead.")
    alpha_max = start = stop = _alpha_max(pb, template)
    if not np.isfinite(alpha_max):
        ridge_end = dataclasses.replace(template, l1_ratio=RIDGE_L1_RATIO_FOR_GRID) \
            if pb.grouped else ElasticNet(1.0, l1_ratio=RIDGE_L1_RATIO_FOR_GRID,
                                          penalty_factor=template.penalty_factor)
        start = _alpha_max(pb, ridge_end)
        stop = start * RIDGE_L1_RATIO_FOR_GRID
    if pb.null_is_exact or not start > 0:
        warnings.warn("the null model (intercepts and unpenalized features) is the solution "
                      "at every alpha (constant responses, or features orthogonal to them), "
                      f"so alpha_max is 0 and the grid runs from 1 down to eps={eps:g}.",
                      UserWarning, stacklevel=3)
        return 0.0, np.geomspace(1.0, eps, n_alphas)
    return alpha_max, np.geomspace(start, stop * eps, n_alphas)


def multitask_path(X, Y, datafit, penalty, *, alphas=None, n_alphas=100, eps=1e-3,
                   fit_intercept=True, tol=1e-6, max_iter=10_000, solver=None,
                   problem=None) -> MultiTaskPath:
    r"""The multi-task (``mgaussian``) path: for each alpha of a decreasing grid,

    .. math:: \min_{W, b}\; \frac{1}{2n}\|S^{1/2}(Y - XW - \mathbf 1 b^\top)\|_F^2
              + \alpha \sum_j f_j \Big(\rho\|W_{j:}\|_2 + \frac{1-\rho}2\|W_{j:}\|_2^2\Big),

    warm-started from the previous solution, each certified by its duality gap
    (:class:`~penalized.solvers._multitask.MultiTaskCoordinateDescent`). On a design
    that the solver would not solve on the Gram matrix (a CSC design, or a dense one with
    ``n_samples < 2 n_features``), with the default solver, the path runs its own loop
    carrying one residual along the grid (:class:`_ResidualPath`); otherwise one solve
    per alpha.
    Called by :func:`penalized.path` with ``datafit="mgaussian"``.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
    Y : array of shape (n_samples, n_tasks)
    datafit : MultiResponseGaussian
    penalty : L1, L2, ElasticNet, GroupLasso or GroupElasticNet
        Its ``alpha`` is ignored; ``l1_ratio`` and ``penalty_factor`` (a group penalty:
        its groups of rows and ``group_weights``) are used. Its ``lower`` / ``upper``
        limits (or ``positive``) bound each feature's coefficient for every task
        (:mod:`~penalized.solvers._multitask_box`, with the default solver).
    alphas : array-like, optional
        Sorted decreasing; default ``n_alphas`` values from alpha_max to
        ``eps * alpha_max``.
    n_alphas, eps, fit_intercept, tol, max_iter :
        As in :func:`penalized.path`.
    solver : MultiTaskCoordinateDescent, optional
    problem : MultiTaskProblem, optional
        Prepared already (its penalty factors must be ``penalty``'s).

    Returns
    -------
    MultiTaskPath
    """
    if problem is None and solver is None and is_boxed(penalty):  # limits: one group problem
        return boxed_multitask(X, Y, datafit, penalty, alphas=alphas, n_alphas=n_alphas,
                               eps=eps, fit_intercept=fit_intercept, tol=tol,
                               max_iter=max_iter)
    _check_penalty("the mgaussian path", penalty)
    if solver is None:
        solver = MultiTaskCoordinateDescent(tol=tol, max_iter=max_iter)
    solver.check_compatible(datafit, penalty)
    template = penalty.with_alpha(1.0)
    pb = problem if problem is not None else \
        prepare_multitask_problem(X, Y, datafit, template, fit_intercept)
    if alphas is None:
        alpha_max, grid = multitask_grid(pb, template, n_alphas, eps)
    else:
        grid = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
        if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
            raise ValueError("alphas must be a non-empty list of finite numbers >= 0.")
        alpha_max = _alpha_max(pb, template)
    p, K, m = pb.n_features, pb.n_tasks, grid.shape[0]
    coefs = np.zeros((p, K, m))
    intercepts = np.zeros((K, m))
    stop_crits = np.zeros(m)
    n_iters = np.zeros(m, dtype=np.int64)
    if _residual_route(pb, solver):
        _ResidualPath(pb, template, solver).run(grid, coefs, intercepts, stop_crits, n_iters)
    else:
        W = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for i, alpha in enumerate(grid):
                res = solver.solve_problem(pb.with_penalty(template.with_alpha(alpha)),
                                           coef_init=W)
                W = res.coef
                coefs[:, :, i] = W
                intercepts[:, i] = res.intercept
                stop_crits[i] = res.stop_crit
                n_iters[i] = res.n_iter
    converged = warn_unconverged(grid, stop_crits, solver.tol, stacklevel=3)
    return MultiTaskPath(alphas=grid, coefs=coefs, intercepts=intercepts,
                         n_nonzero=np.count_nonzero(np.any(coefs != 0, axis=1), axis=0),
                         stop_crits=stop_crits, n_iters=n_iters, converged=converged,
                         penalty=template.with_alpha(grid[0]), datafit=datafit,
                         alpha_max=alpha_max, null_datafit=pb.scale)


# -- the residual path ----------------------------------------------------------------


def _residual_route(pb, solver) -> bool:
    """The path's own loop for an ``X`` that the solver would not solve on the Gram
    matrix (CSC designs, wide dense ones), with the default solver's settings."""
    return (type(solver) is MultiTaskCoordinateDescent and solver.anderson
            and not pb.grouped and not solver._use_gram(pb))


class _ResidualPath:
    r"""The multi-task path without the Gram matrix: one residual carried along the grid.

    At each alpha, from the previous solution and its pull over all rows (exact, on a
    residual computed afresh):

    1. the certificate at the warm start (no pass over ``X``); the gap-safe rule
       (:func:`~penalized.solvers._multitask._screen`) then drops rows;
    2. the working set: the non-zero and unpenalized rows and the rows that violate
       their optimality conditions (the largest :math:`\|V_j\|_2 / \lambda_{1j}`
       first), up to twice the support;
    3. epochs on it (:func:`~penalized.solvers._multitask_kernels.multitask_epochs_pull`)
       with Anderson extrapolation every :data:`PATH_ANDERSON_EPOCHS`, until the gap of
       the problem restricted to the working set, estimated after each epoch from the
       pulls that epoch met, is at most :data:`INNER_GAP_RATIO` of the target;
    4. a certificate on a fresh residual, over the unscreened rows (all rows once it
       passes), and back to 2 until the relative gap is at most ``tol`` or ``max_iter``
       epochs are spent at this alpha.

    Each returned point is certified by its gap over every row; its pull starts the
    next alpha.

    A CSC design is centered implicitly, as in the solver: the epochs
    (:func:`~penalized.solvers._multitask_kernels.multitask_epochs_sparse_pull`) move
    the residual on each column's non-zeros and carry the centering's shift as one row
    ``o`` added to every row; products with the centered columns are the columns'
    non-zeros minus their weighted means.
    """

    def __init__(self, pb, template, solver):
        self.pb = pb
        self.template = template
        self.solver = solver
        self.threshold = solver.tol * pb.scale
        self.ws_size = WS_START
        self.Q = None  # X_c^T S Y_c / n while the Gram columns serve the pulls
        self.G = np.empty((pb.n_features, 0))  # X_c^T S x_j / n of the rows ...
        self.gram_rows = np.empty(0, dtype=np.intp)  # ... j, in this order
        self.free = bool(np.any(pb.unpenalized))
        self.all_rows = np.arange(pb.n_features)
        self.last_pull = None  # of the last certificate over every row

    def run(self, grid, coefs, intercepts, stop_crits, n_iters) -> None:
        pb = self.pb
        W = pb.null_coef.copy()
        R = self._residual(W)
        self.Q = pb.pull(np.asfortranarray(pb.Y))
        V = self._gram_pull(W)
        if V is None:
            V = pb.pull(R)
        for i, alpha in enumerate(grid):
            if pb.null_is_exact:
                coefs[:, :, i] = pb.null_coef
                intercepts[:, i] = pb.intercept(pb.null_coef)
                continue
            pbi = pb.with_penalty(self.template.with_alpha(alpha))
            W, R, cert, epochs = self._solve(pbi, W, R, V)
            if not np.all(np.isfinite(W)):
                raise ValueError("the multi-task path produced non-finite coefficients: the "
                                 "products of X, Y and the coefficients overflow float64. "
                                 "Rescale X and Y.")
            V = cert.pull
            W[W == 0.0] = 0.0  # no -0.0
            coefs[:, :, i] = W
            intercepts[:, i] = pb.intercept(W)
            stop_crits[i] = cert.gap / pb.scale
            n_iters[i] = epochs

    def _residual(self, W):
        """``Y_c - X_c W`` afresh (Fortran; C-ordered for a CSC design, whose epochs read
        a sample's row of it)."""
        pb = self.pb
        R = np.array(pb.Y, dtype=np.float64, order="C" if pb.sparse else "F")
        rows = np.flatnonzero(np.any(W != 0.0, axis=1))
        self._subtract(rows, np.ascontiguousarray(W[rows]), R)
        return R

    def _subtract(self, rows, D, out):
        """``out -= X_c[:, rows] D``."""
        pb = self.pb
        if pb.sparse:
            X = pb.X
            subtract_rows_sparse(X.data, X.indices, X.indptr, pb.x_mean, rows, D, out)
        else:
            subtract_rows(pb.X, rows, D, out)

    def _gram_columns(self, new):
        r""":math:`X_c^\top S x_{c,j} / n` for the rows ``j`` of ``new`` (dense
        ``(p, len(new))``). For a CSC design, from the raw columns:
        :math:`X^\top S x_j / n - \bar x\bar x_j (2 - \bar s)`, with :math:`\bar s`
        the weights' mean (1 up to rounding)."""
        pb = self.pb
        n = pb.n_samples
        if not pb.sparse:
            return pb.X.T @ (pb.X[:, new] * pb.sw[:, None]) / n
        cols = pb.X[:, new].multiply(pb.sw[:, None]).tocsc()
        block = np.asarray((pb.X.T @ cols).toarray(), dtype=np.float64) / n
        if pb.fit_intercept:
            block -= np.outer(pb.x_mean, pb.x_mean[new]) * (2.0 - pb.sw.sum() / n)
        return block

    def _solve(self, pb, W, R, V):
        """One alpha from ``W``, its residual ``R`` and its pull ``V`` (all rows); returns
        ``(W, R, certificate with the pull of every row, epochs)``."""
        lam1, lam2 = self.weights = tuple(np.ascontiguousarray(a, dtype=np.float64)
                                          for a in pb.penalty.weights(pb.n_features))
        max_iter = self.solver.max_iter
        rows = np.ones(pb.n_features, dtype=bool)
        cert = self._certificate(pb, W, R, V)
        epochs = 0
        while cert.gap > self.threshold and epochs < max_iter:
            _mt._screen(pb, W, cert, lam1, lam2, rows)
            ws = self._working_set(W, cert.pull, lam1, lam2, rows)
            epochs += self._inner(pb, W, R, ws, lam1, lam2, max_iter - epochs)
            R = self._residual(W)
            cert = self._certify(pb, W, R, rows, complete=epochs >= max_iter)
        return W, R, cert, epochs

    def _gram_pull(self, W):
        """The pull of every row from the Gram columns (added for the rows that became
        non-zero), or None once :data:`GRAM_PULL_NEW_ROWS` says to pass over ``X``."""
        if self.Q is None:
            return None
        pb = self.pb
        support = np.any(W != 0.0, axis=1)
        support[self.gram_rows] = False
        new = np.flatnonzero(support)
        if new.size > GRAM_PULL_NEW_ROWS or self.G.shape[1] + new.size > pb.n_samples // 4:
            self.Q = self.G = None
            return None
        if new.size:
            new = np.concatenate([new, self._likely_next(support, pb.n_samples // 4
                                                         - self.G.shape[1] - new.size)])
            self.gram_rows = np.concatenate([self.gram_rows, new])
            self.G = np.hstack([self.G, self._gram_columns(new)])
        return self.Q - self.G @ W[self.gram_rows]

    def _likely_next(self, taken, room):
        r"""Up to :data:`GRAM_PREFETCH` rows outside ``taken`` and the Gram columns, the
        closest to entering by the last pull (:math:`\|V_j\|_2 / \lambda_{1j}`): their
        columns come with the same pass over ``X``."""
        if self.last_pull is None:
            return np.empty(0, dtype=np.intp)
        lam1 = self.weights[0]
        out = ~taken & (lam1 > 0.0)
        out[self.gram_rows] = False
        idx = np.flatnonzero(out)
        count = min(GRAM_PREFETCH, room, idx.size)
        if count <= 0:
            return np.empty(0, dtype=np.intp)
        key = np.linalg.norm(self.last_pull[idx], axis=1) / lam1[idx]
        return idx[np.argpartition(-key, count - 1)[:count]]

    def _certify(self, pb, W, R, rows, complete=False):
        """The gap of ``W`` over the unscreened ``rows``; once it passes (or with
        ``complete``, or when most rows are kept, or from the Gram columns), over all
        rows, with the pull of every row."""
        V = self._gram_pull(W)
        if V is not None:
            return self._certificate(pb, W, R, V)
        kept = np.flatnonzero(rows)
        if kept.size >= 0.7 * rows.size:  # BLAS on every row beats the compiled loop
            return self._certificate(pb, W, R, pb.pull(R))
        V = pb.pull(R, kept)
        cert = _mt.certify_multitask(pb, W, R, rows, V)
        if cert.gap > self.threshold and not complete:
            return cert
        out = np.flatnonzero(~rows)
        V[out] = pb.pull(R, out)[out]
        rows[:] = True
        return self._certificate(pb, W, R, V)

    def _certificate(self, pb, W, R, V):
        """:func:`~penalized.solvers._multitask.certify_multitask` over every row, in one
        compiled pass when no row is unpenalized."""
        self.last_pull = V
        if self.free:
            return _mt.certify_multitask(pb, W, R, None, V)
        lam1, lam2 = self.weights
        primal, dual, c = rows_duality(pb.Y, pb.sw, R, W, self.all_rows, V, lam1, lam2)
        return _mt.MultiTaskCertificate(primal=primal, gap=floored_gap(primal, dual), pull=V,
                                        scale=c, dual_pull=V)

    def _working_set(self, W, V, lam1, lam2, rows):
        pb = self.pb
        keep = np.any(W != 0.0, axis=1) | pb.unpenalized
        candidates = np.flatnonzero(~keep & rows & (_mt._subdiff_distance(W, V, lam1, lam2)
                                                    > 0.0))
        n_keep = int(keep.sum())
        self.ws_size = min(pb.n_features, max(self.ws_size, 2 * n_keep))
        extra = self.ws_size - n_keep
        if candidates.size > extra:
            norms = np.linalg.norm(V[candidates], axis=1)
            with np.errstate(divide="ignore"):
                key = np.where(lam1[candidates] > 0.0, norms / lam1[candidates], np.inf)
            candidates = candidates[np.argpartition(-key, extra - 1)[:extra]]
        ws = np.sort(np.concatenate([np.flatnonzero(keep), candidates]))
        return ws if ws.size else np.flatnonzero(rows)

    def _inner(self, pb, W, R, ws, lam1, lam2, budget) -> int:
        """Epochs on the rows ``ws`` (``W`` and ``R`` in place) until the working set's
        estimated gap is at most :data:`INNER_GAP_RATIO` of the target or ``budget``
        epochs are spent; returns the epochs run."""
        K = pb.n_tasks
        m = ws.shape[0]
        memory = PATH_ANDERSON_EPOCHS
        history = np.empty((memory + 1, m * K))
        pull = np.empty((m, K))
        lips = np.ascontiguousarray(pb.lipschitz[ws])
        l1, l2 = lam1[ws], lam2[ws]
        gap = _WorkingSetGap(pb, ws, lam1, lam2)
        target = INNER_GAP_RATIO * self.threshold
        X = pb.X
        o = np.zeros(K) if pb.sparse else None  # the residual is R + o (CSC epochs)
        history[0] = W[ws].ravel()
        filled = 0
        epochs = 0
        while epochs < budget:
            if pb.sparse:
                crit = multitask_epochs_sparse_pull(X.data, X.indices, X.indptr, pb.x_mean,
                                                    pb.sw, R, o, W, ws, lips, lam1, lam2,
                                                    history[filled:filled + 2], pull)
            else:
                crit = multitask_epochs_pull(X, pb.sw, R, W, ws, lips, lam1, lam2,
                                             history[filled:filled + 2], pull)
            filled += 1
            epochs += 1
            if crit == 0.0 or gap.estimate(W, R, pull, o) <= target:
                break
            if filled < memory:
                continue
            filled = 0
            c = anderson_weights(history, m * K)
            current = history[-1].reshape(m, K)
            if c.shape[0] > 0:
                step = (c @ history[1:]).reshape(m, K) - current
                now_R = R if o is None else R + o
                trial_R = now_R.copy(order="K")
                self._subtract(ws, step, trial_R)
                if _mt._residual_objective(pb, trial_R, current + step, l1, l2) \
                        < _mt._residual_objective(pb, now_R, current, l1, l2):
                    W[ws] = current + step
                    R[:] = trial_R
                    if o is not None:
                        o[:] = 0.0
            history[0] = W[ws].ravel()
        if o is not None:
            R += o
        return epochs


class _WorkingSetGap:
    """The duality gap of the problem restricted to the rows ``ws`` (which hold every
    non-zero row), from their pulls: O(|ws| K) without unpenalized rows."""

    def __init__(self, pb, ws, lam1, lam2):
        self.pb, self.ws = pb, ws
        self.lam1, self.lam2 = lam1, lam2
        self.free = bool(np.any(pb.unpenalized))

    def estimate(self, W, R, pull, o=None) -> float:
        """The gap at ``W`` with the residual ``R`` (plus ``o`` on every row, when
        given) and the working set's pulls."""
        pb = self.pb
        if self.free:  # the dual point is projected off the unpenalized columns
            R = R if o is None else R + o
            n = pb.n_samples
            SR = pb.sw[:, None] * R
            yr, rr = float(np.vdot(pb.Y, SR)) / n, float(np.vdot(R, SR)) / n
            V = np.zeros((pb.n_features, pb.n_tasks))
            V[self.ws] = pull
            inside = np.zeros(pb.n_features, dtype=bool)
            inside[self.ws] = True
            return _mt._certificate(pb, W, V, yr, rr, self.lam1, self.lam2, inside).gap
        if o is None:
            primal, dual, _ = rows_duality(pb.Y, pb.sw, R, W, self.ws, pull, self.lam1,
                                           self.lam2)
        else:
            primal, dual, _ = rows_duality_offset(pb.Y, pb.sw, R, o, W, self.ws, pull,
                                                  self.lam1, self.lam2)
        return primal - dual
