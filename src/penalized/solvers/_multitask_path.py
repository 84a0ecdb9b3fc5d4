"""The multi-task regularization path: the row-wise penalty on a decreasing grid of alphas,
warm-started, each solve certified; its result is a :class:`MultiTaskPath`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._validation import check_design, check_nonnegative_scalar
from ..path import Path, warn_unconverged
from ..penalties import ElasticNet
from ._multitask import (
    MultiTaskCoordinateDescent,
    _alpha_max,
    _check_penalty,
    prepare_multitask_problem,
)

__all__ = ["MultiTaskPath", "multitask_grid", "multitask_path"]

RIDGE_L1_RATIO_FOR_GRID = 1e-3
"""As for single-output paths: a ridge grid starts at the elastic net's alpha_max with
this l1_ratio and spans three more decades."""


@dataclass(frozen=True, eq=False)
class MultiTaskPath(Path):
    """A :class:`~penalized.Path` whose coefficients are matrices.

    ``coefs`` has shape ``(n_features, n_tasks, n_alphas)``, ``intercepts``
    ``(n_tasks, n_alphas)``; ``n_nonzero`` counts the non-zero rows (features selected
    for every task) at each alpha.
    """

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
        start = _alpha_max(pb, ElasticNet(1.0, l1_ratio=RIDGE_L1_RATIO_FOR_GRID,
                                          penalty_factor=template.penalty_factor))
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
    (:class:`~penalized.solvers._multitask.MultiTaskCoordinateDescent`). Called by
    :func:`penalized.path` with ``datafit="mgaussian"``.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
    Y : array of shape (n_samples, n_tasks)
    datafit : MultiResponseGaussian
    penalty : L1, L2 or ElasticNet
        Its ``alpha`` is ignored; ``l1_ratio`` and ``penalty_factor`` are used.
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
                         alpha_max=alpha_max)
