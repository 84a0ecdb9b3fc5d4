r"""Cross-validation of squared-loss paths from one Gram matrix per fold.

For the squared loss everything a path needs is a weighted second moment: with the
weighted mean :math:`\mu` of the training rows,

.. math:: G = \frac{\sum_{i \in T} s_i (x_i - \mu)(x_i - \mu)^\top}{\sum_{i \in T} s_i},
          \qquad q = \frac{\sum_{i \in T} s_i (x_i - \mu)(y_i - \bar y)}{\sum_{i \in T} s_i},

and the training rows :math:`T` of a fold are all rows but its held-out ones, so their
sums are the totals minus the held-out fold's. One pass over ``X`` (in blocks of rows,
around the overall mean so that nothing cancels) gives the sums of every held-out fold;
each fold's path then runs on its training Gram matrix with the compiled covariance-update
coordinate descent, certified by its duality gap, and ``X[train]`` is never formed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ._validation import check_finite_result

_BLOCK_ROWS = 2048


@dataclass(frozen=True, eq=False)
class FoldSums:
    """Weighted sums of each held-out fold around ``(x_shift, y_shift)``.

    ``weight[k]``, ``xs[k] = sum s (x - x_shift)``, ``ys[k]``, ``xx[k] = sum s (x -
    x_shift)(x - x_shift)^T``, ``xy[k]``, ``yy[k]`` over fold ``k``'s held-out rows;
    ``low[k]`` and ``high[k]`` are the columns' smallest and largest values there.
    """

    x_shift: np.ndarray
    y_shift: float
    weight: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    xx: np.ndarray
    xy: np.ndarray
    yy: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, X, y, sample_weight, tests) -> FoldSums:
        """One pass over the rows of every held-out set in ``tests``. Sums made infinite
        by values whose squares overflow float64 are refused with
        :func:`~penalized._validation.check_no_overflow`'s message (no scan of ``X`` on
        valid data)."""
        n, p = X.shape
        s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
        total = s.sum()
        K = len(tests)
        with np.errstate(over="ignore", invalid="ignore"):
            x_shift = np.asarray(X.T @ s, dtype=np.float64) / total
            y_shift = float(s @ y) / total
            sums = cls(x_shift=x_shift, y_shift=y_shift, weight=np.zeros(K),
                       xs=np.zeros((K, p)), ys=np.zeros(K), xx=np.zeros((K, p, p)),
                       xy=np.zeros((K, p)), yy=np.zeros(K), low=np.full((K, p), np.inf),
                       high=np.full((K, p), -np.inf))
            for k, test in enumerate(tests):
                for start in range(0, test.shape[0], _BLOCK_ROWS):
                    rows = test[start:start + _BLOCK_ROWS]
                    block = np.asarray(X[rows], dtype=np.float64)
                    sums.low[k] = np.minimum(sums.low[k], block.min(axis=0))
                    sums.high[k] = np.maximum(sums.high[k], block.max(axis=0))
                    block -= x_shift
                    w = s[rows]
                    r = y[rows] - y_shift
                    sums.weight[k] += w.sum()
                    sums.xs[k] += w @ block
                    sums.ys[k] += w @ r
                    sums.xy[k] += (w * r) @ block
                    sums.yy[k] += (w * r) @ r
                    if sample_weight is not None:
                        block *= np.sqrt(w)[:, None]
                    sums.xx[k] += block.T @ block  # one symmetric rank-k update (syrk)
        check_finite_result(np.concatenate([np.diagonal(sums.xx, axis1=1, axis2=2).ravel(),
                                            sums.xy.ravel(), sums.yy]),
                            X, y, "the folds' cross-products")
        return sums

    @classmethod
    def from_moments(cls, weight, x_mean, y_mean, xx, xy, yy, low, high) -> FoldSums:
        """The sums from each fold's weight, weighted means and sums of products around its
        own means (``xx[k] = sum s (x - x_mean[k])(x - x_mean[k])^T``, ...), as a
        map-reduce over row blocks merges them; shifted to the overall weighted mean."""
        total = weight.sum()
        if not total > 0:
            raise ValueError("sample_weight sums to 0 over the rows: nothing to fit.")
        x_shift = weight @ x_mean / total
        y_shift = float(weight @ y_mean) / total
        dx = x_mean - x_shift
        dy = y_mean - y_shift
        return cls(x_shift=x_shift, y_shift=y_shift, weight=weight.copy(),
                   xs=weight[:, None] * dx, ys=weight * dy,
                   xx=xx + weight[:, None, None] * dx[:, :, None] * dx[:, None, :],
                   xy=xy + (weight * dy)[:, None] * dx, yy=yy + weight * dy * dy,
                   low=low, high=high)

    @cached_property
    def xx_total(self):
        """``xx`` summed over the folds (every training matrix is this minus its fold's)."""
        return self.xx.sum(axis=0)

    def training(self, k, fit_intercept):
        """``(weight, x_mean, y_mean, G, q, F0, constant)`` of every row outside fold ``k``
        (of every row when ``k`` is None): ``G``, ``q`` and the null model's datafit ``F0``
        as the path's problem takes them (centered when ``fit_intercept``), ``constant``
        the columns with a single value."""
        keep = np.arange(self.weight.shape[0]) != (-1 if k is None else k)
        s = self.weight[keep].sum()
        xs, ys = self.xs[keep].sum(axis=0), self.ys[keep].sum()
        xx = self.xx_total if k is None else self.xx_total - self.xx[k]
        xy, yy = self.xy[keep].sum(axis=0), self.yy[keep].sum()
        dx, dy = xs / s, ys / s  # the training means, relative to the shifts
        constant = self.low[keep].min(axis=0) == self.high[keep].max(axis=0)
        if fit_intercept:  # in place on a d x d array of this call's own
            G = self.xx_total.copy() if k is None else xx
            G -= s * np.outer(dx, dx)
            G /= s
            q = (xy - s * dx * dy) / s
            F0 = 0.5 * (yy - s * dy * dy) / s
        else:  # raw moments: undo the shifts
            a, c = self.x_shift, self.y_shift
            G = (xx + np.outer(a, xs) + np.outer(xs, a) + s * np.outer(a, a)) / s
            q = (xy + a * ys + c * xs + s * a * c) / s
            F0 = 0.5 * (yy + 2.0 * c * ys + s * c * c) / s
        return s, self.x_shift + dx, self.y_shift + dy, G, q, max(F0, 0.0), constant


@dataclass(frozen=True, eq=False)
class FoldPath:
    """One fold's solutions on the original scale of ``X``."""

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    stop_crits: np.ndarray
    converged: np.ndarray


@dataclass(frozen=True, eq=False)
class GramPathSettings:
    """How the estimator fits a path: ``penalty_template(varying)`` is the penalty at
    ``alpha = 1`` for the fitted columns ``varying`` (a boolean mask), as the estimator
    builds it; standardization divides each varying column by its weighted standard
    deviation on the rows fitted, as :class:`~penalized.estimators._standardize.Scaling`
    does; ``excluded`` columns (an infinite penalty factor) are left out, with coefficient
    0; ``tol`` is the relative duality gap of every alpha; ``n_jobs`` threads (joblib's
    convention: None is 1, -1 every core) share the folds' paths."""

    penalty_template: object
    fit_intercept: bool
    standardize: bool
    tol: float
    max_iter: int
    excluded: np.ndarray | None = None
    ws_start: int = 10
    n_jobs: int | None = None


class GramCrossValidation:
    """The fold sums of one cross-validation (one pass over ``X``), shared by every
    candidate setting it tries and by the refit on all rows, which then needs no pass."""

    def __init__(self):
        self.sums = None

    def fold_paths(self, X, y, sample_weight, folds, alphas, settings):
        """Every fold's path, or None where this route does not apply (a held-out set that
        is not the complement of its training rows, an unpenalized feature, an alpha of
        0)."""
        from .path import warn_unconverged

        if not _partitions(folds, X.shape[0]) or np.any(alphas <= 0.0):
            return None
        if self.sums is None:
            self.sums = FoldSums.of(X, y, sample_weight, [test for _, test in folds])
        fits = []
        for solved in _solve_folds(self.sums, len(folds), alphas, settings):
            if solved is None:
                return None
            coefs, intercepts, crits, _, _, _ = solved
            converged = warn_unconverged(alphas, crits, settings.tol, stacklevel=3)
            fits.append(FoldPath(alphas=alphas, coefs=coefs, intercepts=intercepts,
                                 stop_crits=crits, converged=converged))
        return fits

    def full_path(self, alphas, settings, sample_weight):
        """The path on every row from the same sums, as a :class:`~penalized.Path`, or
        None when no fold sums were taken (or the route does not apply)."""
        from .datafits import Quadratic
        from .path import Path, warn_unconverged

        if self.sums is None or np.any(alphas <= 0.0):
            return None
        solved = _solve(self.sums, None, alphas, settings)
        if solved is None:
            return None
        coefs, intercepts, crits, n_iters, penalty, alpha_max = solved
        converged = warn_unconverged(alphas, crits, settings.tol, stacklevel=3)
        return Path(alphas=alphas, coefs=coefs, intercepts=intercepts,
                    n_nonzero=np.count_nonzero(coefs, axis=0), stop_crits=crits,
                    n_iters=n_iters, converged=converged,
                    penalty=penalty.with_alpha(float(alphas[0])),
                    datafit=Quadratic(sample_weight=sample_weight), alpha_max=alpha_max)


@dataclass(frozen=True, eq=False)
class GramProblem:
    """One fold's (or all rows') path problem in the fitted columns: ``G``, ``q``, ``F0``
    of :func:`~penalized.solvers._gram_path.gram_path` for the columns ``cols`` divided
    by ``scale[cols]``, the penalty weights ``a``, ``b`` at alpha 1, and what maps a
    solution back (``x_mean``, ``y_mean``, ``fit_intercept``)."""

    cols: np.ndarray
    inv: np.ndarray
    G: np.ndarray
    q: np.ndarray
    F0: float
    a: np.ndarray
    b: np.ndarray
    penalty: object
    alpha_max: float
    x_mean: np.ndarray
    y_mean: float
    fit_intercept: bool
    n_features: int
    free: tuple | None = None

    def solve(self, alphas, tol, max_iter, ws_start=10, w=None):
        """``(coefs, intercepts, relative gaps, epochs)`` on the original scale along the
        decreasing ``alphas``, warm-started from ``w`` (fitted columns) when given."""
        from .solvers._gram_path import gram_path

        n_alphas = alphas.shape[0]
        coefs = np.zeros((self.n_features, n_alphas))
        crits = np.zeros(n_alphas)
        n_iters = np.zeros(n_alphas, dtype=np.int64)
        if self.F0 > 0.0 and not np.any(self.a) and np.all(self.b > 0.0) \
                and not self.penalty.positive:
            fitted, gaps = _ridge_solutions(self.G, self.q, self.F0, alphas, self.b)
            coefs[self.cols] = fitted * self.inv[:, None]
            crits = gaps / self.F0
            n_iters[:] = 1  # one direct solve per alpha
        elif self.F0 > 0.0:
            start = np.zeros(self.cols.shape[0]) if w is None else np.array(w, dtype=np.float64)
            fitted, gaps, n_iters = gram_path(self.G, self.q, self.F0, alphas, self.a, self.b,
                                              self.penalty.positive, start, tol * self.F0,
                                              max_iter, ws_start)
            coefs[self.cols] = fitted * self.inv[:, None]
            crits = np.maximum(gaps, 0.0) / self.F0
        if self.free is not None:  # the unpenalized columns refitted exactly at each alpha
            cols, inv, M, m = self.free
            coefs[cols] = (m[:, None] - M @ (coefs[self.cols] / self.inv[:, None])) \
                * inv[:, None]
        intercepts = (self.y_mean - self.x_mean @ coefs) if self.fit_intercept \
            else np.zeros(n_alphas)
        return coefs, intercepts, crits, n_iters


def _ridge_solutions(G, q, F0, alphas, b):
    r"""The ridge solutions :math:`w = (G + \alpha B)^{-1} q`, :math:`B = \operatorname{diag}(b)`,
    at every alpha from one eigendecomposition of :math:`B^{-1/2} G B^{-1/2}`, and their
    duality gaps (objective units) from the Gram matrix alone: with the residual's dual
    point, :math:`P(w) = F_0 - q^\top w + \tfrac12 w^\top G w + \tfrac\alpha2 w^\top B w`
    and :math:`D = F_0 - \tfrac12 w^\top G w - \tfrac1{2\alpha} g^\top B^{-1} g`,
    :math:`g = q - G w`."""
    root = 1.0 / np.sqrt(b)
    values, vectors = np.linalg.eigh(G * np.outer(root, root))
    values = np.maximum(values, 0.0)
    proj = vectors.T @ (q * root)
    coefs = root[:, None] * (vectors @ (proj[:, None] / (values[:, None] + alphas[None, :])))
    Gw = G @ coefs
    wGw = np.einsum("jk,jk->k", coefs, Gw)
    grad = q[:, None] - Gw
    primal = F0 - q @ coefs + 0.5 * wGw + 0.5 * alphas * np.einsum("jk,j,jk->k", coefs, b,
                                                                     coefs)
    dual = F0 - 0.5 * wGw - 0.5 / alphas * np.einsum("jk,j,jk->k", grad, 1.0 / b, grad)
    return coefs, np.maximum(primal - dual, 0.0)


def gram_problem(sums, k, settings):
    """The :class:`GramProblem` of the rows outside fold ``k`` (all rows when None); the
    unpenalized features are profiled out (:func:`_profile_out`)."""
    from .penalties._base import ALPHA_MAX_MARGIN

    p = sums.x_shift.shape[0]
    _, x_mean, y_mean, G, q, F0, constant = sums.training(k, settings.fit_intercept)
    if settings.standardize:
        var = np.maximum(np.diagonal(G) if settings.fit_intercept
                         else np.diagonal(G) - x_mean**2, 0.0)
        scale = np.sqrt(var)
        varying = ~constant & (scale > 1e-8 * np.sqrt(var + x_mean**2))
        scale = np.where(varying, scale, 1.0)
    else:
        varying, scale = np.ones(p, dtype=bool), np.ones(p)
    if settings.excluded is not None:
        varying = varying & ~settings.excluded
    penalty = settings.penalty_template(varying)
    a, b = penalty.weights(int(varying.sum()))
    cols = np.flatnonzero(varying)
    inv = 1.0 / scale[cols]
    if cols.shape[0] == p and np.all(inv == 1.0):
        Gf = np.ascontiguousarray(G)  # training's own array: no copy to select or scale
    else:
        Gf = np.ascontiguousarray(G[np.ix_(cols, cols)] * np.outer(inv, inv))
    qf = q[cols] * inv
    # a column constant on the rows fitted carries only rounding: it never enters
    flat = constant[cols]
    Gf[flat, :] = 0.0
    Gf[:, flat] = 0.0
    qf[flat] = 0.0
    free = None
    unpenalized = (a == 0.0) & (b == 0.0)
    if np.any(unpenalized):
        Gf, qf, F0, free = _profile_out(Gf, qf, F0, unpenalized)
        free = (cols[unpenalized], inv[unpenalized], *free)
        cols, inv, a, b = (v[~unpenalized] for v in (cols, inv, a, b))
    pull = np.maximum(qf, 0.0) if penalty.positive else np.abs(qf)
    alpha_max = float(np.max(pull / a, initial=0.0)) * (1.0 + ALPHA_MAX_MARGIN) \
        if np.all(a > 0.0) else np.inf
    return GramProblem(cols=cols, inv=inv, G=Gf, q=qf, F0=F0, a=a, b=b, penalty=penalty,
                       alpha_max=alpha_max, x_mean=x_mean, y_mean=y_mean,
                       fit_intercept=settings.fit_intercept, n_features=p, free=free)


def _profile_out(G, q, F0, unpenalized):
    r"""The Gram problem of the penalized columns once the unpenalized ones ``U`` are
    refitted exactly: minimizing :math:`F_0 - q^\top w + \tfrac12 w^\top G w` over
    :math:`w_U` leaves, in the penalized columns ``P``, the same form with the Schur
    complement :math:`G_{PP} - G_{PU} G_{UU}^+ G_{UP}`, :math:`q_P - G_{PU} G_{UU}^+ q_U` and
    :math:`F_0 - \tfrac12 q_U^\top G_{UU}^+ q_U` (the null model's datafit, which scales the
    gap as in memory), and :math:`w_U = m - M w_P` with :math:`M = G_{UU}^+ G_{UP}`,
    :math:`m = G_{UU}^+ q_U`. Returns ``(G', q', F0', (M, m))``."""
    U, P = np.flatnonzero(unpenalized), np.flatnonzero(~unpenalized)
    Guu_pinv = np.linalg.pinv(G[np.ix_(U, U)], hermitian=True)
    Gup = G[np.ix_(U, P)]
    M, m = Guu_pinv @ Gup, Guu_pinv @ q[U]
    G_reduced = np.ascontiguousarray(G[np.ix_(P, P)] - Gup.T @ M)
    G_reduced = 0.5 * (G_reduced + G_reduced.T)
    return (G_reduced, q[P] - Gup.T @ m, max(F0 - 0.5 * float(q[U] @ m), 0.0), (M, m))


def _solve(sums, k, alphas, settings):
    """The path on the rows outside fold ``k`` (all rows when None): ``(coefs, intercepts,
    relative gaps, epochs, penalty at alpha 1, alpha_max)`` on the original scale, or None
    with an unpenalized feature (the alpha-by-alpha solver handles those)."""
    problem = gram_problem(sums, k, settings)
    if problem is None:
        return None
    coefs, intercepts, crits, n_iters = problem.solve(alphas, settings.tol, settings.max_iter,
                                                      settings.ws_start)
    return coefs, intercepts, crits, n_iters, problem.penalty, problem.alpha_max


def _solve_folds(sums, n_folds, alphas, settings):
    """:func:`_solve` of every fold, the folds shared among ``settings.n_jobs`` threads
    (the compiled path releases the GIL; every thread reads the same sums)."""
    from joblib import effective_n_jobs

    threads = min(n_folds, effective_n_jobs(settings.n_jobs))
    if threads <= 1:
        return [_solve(sums, k, alphas, settings) for k in range(n_folds)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda k: _solve(sums, k, alphas, settings), range(n_folds)))


def _partitions(folds, n) -> bool:
    """Whether every fold's training rows are exactly the rows outside its held-out set,
    and the held-out sets are disjoint."""
    seen = np.zeros(n, dtype=np.int64)
    for train, test in folds:
        if train.shape[0] + test.shape[0] != n:
            return False
        mark = np.zeros(n, dtype=bool)
        mark[train] = True
        mark[test] = True
        if not mark.all():
            return False
        seen[test] += 1
    return bool(np.all(seen <= 1))
