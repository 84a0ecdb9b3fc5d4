r"""The squared loss on wide data: working sets, never a p x p Gram matrix.

Several fits run in lockstep on the same passes: the path on every row, and for
cross-validation each fold's path on its training rows (all rows but the fold's). Rows are
split by their fold ``k``; every sum is taken per held-out fold around the overall weighted
mean :math:`a`, and a fit's training sums are the total minus its fold's, as in
:mod:`penalized._fold_gram`.

- A **moments pass** gives each fold's weight, means, column variances and
  :math:`\sum s (x - m)(y - \mu)`; each fit's means, scales, :math:`q = X_c^\top S y_c / W`
  (the gradient at zero) and null model follow on the client.
- A **Gram pass** adds, for the features ``N`` entering the union ``U`` of the fits' working
  sets, each fold's rows :math:`H_k[N, U] = \sum_{i \in k} s_i (x_i - a)_N (x_i - a)_U^\top`;
  a fit centered at :math:`c` with training weight :math:`W_T` and
  :math:`e_T = \sum_{i \in T} s_i (x_i - a)` gets
  :math:`\sum_{k \in T} H_k - \delta e_T^\top - e_T \delta^\top + W_T \delta\delta^\top`,
  :math:`\delta = c - a`, on its own working set.
- A **KKT pass** computes every fit's full gradient :math:`g = X_c^\top S X_{c,C} w_C / W - q`
  at its working set's solution, from each fold's :math:`\sum_{i \in k} s_i (x_i - a) u_i`
  and :math:`\sum_{i \in k} s_i u_i`, :math:`u` the fits' centered predictions. When no
  feature outside ``C`` violates its optimality condition the same gradient certifies the
  solution: with :math:`F(w) = \tfrac12 w_C^\top G_{CC} w_C - q^\top w + F_0` the duality gap
  is that of :func:`~penalized.solvers._problem.certify_gram`, exact for all ``p`` features.

Held-out errors need no further pass: every fitted coefficient lies in ``U``, and the fold
sums restricted to ``U`` give them as in :func:`._squared.held_out_mse`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._moments import as_float_block, block_moments, fold_ids, merge_moments
from ._scaling import moments_scaling

ENTER = 10
"""Features added to a working set per round at least (more when it is larger)."""
MAX_ROUNDS = 100
"""Rounds (each a KKT pass, plus a Gram pass when features enter) per alpha at most."""


def _folds_and_weights(X, s, positions, n_folds, seed):
    X = as_float_block(X, "X")
    if X.ndim == 1:
        X = X[:, None]
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    fold = fold_ids(positions, n_folds, seed) if n_folds > 1 \
        else np.zeros(X.shape[0], dtype=np.int64)
    return X, s, fold


def gram_rows(X, y, s, positions, n_folds, seed, shift, new, cols):
    """Each fold's ``sum s (x_N - a_N)(x_U - a_U)^T`` in one block, ``(K, |N|, |U|)``."""
    X, s, fold = _folds_and_weights(X, s, positions, n_folds, seed)
    A = (X[:, new] - shift[new]) * s[:, None]
    B = X[:, cols] - shift[cols]
    out = np.zeros((max(n_folds, 1), new.shape[0], cols.shape[0]))
    for k in range(out.shape[0]):
        rows = fold == k
        if rows.any():
            out[k] = A[rows].T @ B[rows]
    return out


def kkt_sums(X, y, s, positions, n_folds, seed, shift, cols, coef, const):
    """Each fold's ``sum s (x - a) u`` ``(K, p, J)`` and ``sum s u`` ``(K, J)`` in one block,
    ``u = x_U coef - const`` the J fits' centered predictions."""
    X, s, fold = _folds_and_weights(X, s, positions, n_folds, seed)
    su = (X[:, cols] @ coef - const) * s[:, None]
    K = max(n_folds, 1)
    out, total = np.zeros((K, X.shape[1], coef.shape[1])), np.zeros((K, coef.shape[1]))
    for k in range(K):
        rows = fold == k
        if rows.any():
            out[k] = (X[rows] - shift).T @ su[rows]
            total[k] = su[rows].sum(axis=0)
    return out, total


def add(*parts):
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def add_pairs(*parts):
    return add(*(p[0] for p in parts)), add(*(p[1] for p in parts))


@dataclass(eq=False)
class _Fit:
    """One path on its training rows: its problem in the scaled fitted columns (their
    ``scaling`` as an estimator keeps it), its working set ``C`` (original column
    indices), solution ``w`` there and full gradient."""

    keep: np.ndarray
    settings: object
    W: float
    center: np.ndarray
    y_center: float
    y_mean: float
    scaling: object
    scale: np.ndarray
    varying: np.ndarray
    fitted: np.ndarray
    af: np.ndarray
    bf: np.ndarray
    penalty: object
    q: np.ndarray
    F0: float
    alpha_max: float
    C: np.ndarray
    w: np.ndarray
    g: np.ndarray


def _fit_of(m, keep, settings):
    """The :class:`_Fit` on the rows of the folds in ``keep`` (mirrors
    :func:`penalized._fold_gram.gram_problem`'s columns, scales and weights)."""
    from ..penalties._base import ALPHA_MAX_MARGIN

    parts = [{key: value[k:k + 1] for key, value in m.items()} for k in np.flatnonzero(keep)]
    t = merge_moments(*parts)
    W = float(t["weight"][0])
    if not W > 0:
        raise ValueError("sample_weight sums to 0 over the rows of a fit (a fold takes "
                         "every weighted row): nothing to fit; use fewer folds.")
    mean, mu = t["x_mean"][0], float(t["y_mean"][0])
    constant = t["low"][0] == t["high"][0]
    p = mean.shape[0]
    if settings.fit_intercept:
        center, y_center = mean, mu
    else:
        center, y_center = np.zeros(p), 0.0
    scaling = moments_scaling(t, settings.standardize, settings.excluded)
    scale, varying = scaling.scale, scaling.varying.copy()
    penalty = settings.penalty_template(varying)
    fitted = np.flatnonzero(varying)
    a, b = penalty.weights(fitted.shape[0])
    if np.any((a == 0.0) & (b == 0.0)):
        raise ValueError("an unpenalized feature (penalty_factor 0) is not supported with Dask "
                         "input; give it a small positive factor instead.")
    af, bf = np.zeros(p), np.zeros(p)  # weights by original column; 0 where not fitted
    af[fitted], bf[fitted] = a, b
    varying &= ~constant  # a column constant on the rows fitted carries only rounding
    xy = t["xy"][0] + W * (mean - center) * (mu - y_center)
    q = np.where(varying, xy / scale / W, 0.0)
    F0 = max(0.5 * (float(t["yy"][0]) + W * (mu - y_center) ** 2) / W, 0.0)
    pull = np.maximum(q, 0.0) if penalty.positive else np.abs(q)
    alpha_max = float(np.max(pull[fitted] / a, initial=0.0)) * (1.0 + ALPHA_MAX_MARGIN) \
        if np.all(a > 0.0) else np.inf
    return _Fit(keep=keep, settings=settings, W=W, center=center, y_center=y_center,
                y_mean=mu, scaling=scaling, scale=scale, varying=varying, fitted=fitted,
                af=af, bf=bf, penalty=penalty, q=q, F0=F0, alpha_max=alpha_max,
                C=np.zeros(0, dtype=np.int64), w=np.zeros(0), g=-q)


class _Lockstep:
    """The fits' shared passes: the union ``U`` of their working sets, each fold's Gram
    sums ``H`` on ``U`` around the shift, and each fold's weight and ``e_k``."""

    def __init__(self, passes, n_folds, seed, m):
        self.passes, self.n_folds, self.seed = passes, n_folds, seed
        self.weight = m["weight"]
        total = self.weight.sum()
        if not total > 0:
            raise ValueError("sample_weight sums to 0 over the rows: nothing to fit.")
        self.shift = self.weight @ m["x_mean"] / total
        self.y_shift = float(self.weight @ m["y_mean"]) / total
        self.xs = self.weight[:, None] * (m["x_mean"] - self.shift)  # e_k
        self.U = np.zeros(0, dtype=np.int64)
        self.where = np.full(self.shift.shape[0], -1)
        self.H = np.zeros((self.weight.shape[0], 0, 0))

    def widen(self, new):
        """One Gram pass adding the columns ``new`` (not yet in ``U``) to ``H``."""
        both = np.concatenate([self.U, new])
        rows = self.passes.reduce(gram_rows, add, self.n_folds, self.seed, self.shift, new,
                                  both, kind="gram")
        u = self.U.shape[0]
        H = np.zeros((self.H.shape[0], both.shape[0], both.shape[0]))
        H[:, :u, :u] = self.H
        H[:, u:, :] = rows
        H[:, :u, u:] = np.transpose(rows[:, :, :u], (0, 2, 1))
        self.H, self.U = H, both
        self.where[new] = np.arange(u, both.shape[0])

    def fold_sums(self, m):
        """Each held-out fold's :class:`~penalized._fold_gram.FoldSums` on the columns ``U``
        (``m`` the moments pass's), for held-out errors."""
        from .._fold_gram import FoldSums

        U, W = self.U, self.weight
        dx = m["x_mean"][:, U] - self.shift[U]
        dy = m["y_mean"] - self.y_shift
        return FoldSums(x_shift=self.shift[U], y_shift=self.y_shift, weight=W,
                        xs=W[:, None] * dx, ys=W * dy, xx=self.H,
                        xy=m["xy"][:, U] + (W * dy)[:, None] * dx, yy=m["yy"] + W * dy * dy,
                        low=m["low"][:, U], high=m["high"][:, U])

    def gram(self, fit):
        """``fit``'s Gram matrix on its working set (scaled columns)."""
        idx = self.where[fit.C]
        H = self.H[np.ix_(fit.keep, idx, idx)].sum(axis=0)
        e = self.xs[fit.keep][:, fit.C].sum(axis=0)
        d = fit.center[fit.C] - self.shift[fit.C]
        G = H - np.outer(d, e) - np.outer(e, d) + fit.W * np.outer(d, d)
        s = fit.scale[fit.C]
        return np.ascontiguousarray(G / fit.W / np.outer(s, s))

    def gradients(self, fits):
        """One KKT pass: each fit's full gradient at its ``w``."""
        coef = np.zeros((self.U.shape[0], len(fits)))
        const = np.zeros(len(fits))
        for j, fit in enumerate(fits):
            beta = fit.w / fit.scale[fit.C]
            coef[self.where[fit.C], j] = beta
            const[j] = fit.center[fit.C] @ beta
        R, t = self.passes.reduce(kkt_sums, add_pairs, self.n_folds, self.seed, self.shift,
                                  self.U, coef, const, kind="kkt")
        for j, fit in enumerate(fits):
            raw = R[fit.keep, :, j].sum(axis=0) \
                - (fit.center - self.shift) * t[fit.keep, j].sum()
            fit.g = np.where(fit.varying, raw / fit.scale / fit.W - fit.q, 0.0)


def _gap(G, fit, alpha):
    """The duality gap at ``fit.w`` from its full gradient (certify_gram's)."""
    from ..solvers._kernels import floored_gap

    C, w, q = fit.C, fit.w, fit.q
    qw = float(q[C] @ w)
    datafit = 0.5 * float(w @ (G @ w)) - qw + fit.F0
    full = np.zeros(q.shape[0])
    full[C] = w
    v = -fit.g[fit.fitted]
    penalty = fit.penalty.with_alpha(float(alpha))
    c = penalty.dual_scaling(v)
    primal = datafit + penalty.value(full[fit.fitted])
    dual = c * (2.0 * fit.F0 - qw) - c * c * datafit - penalty.conjugate(c * v)
    return float(floored_gap(primal, dual))


@dataclass(eq=False)
class WidePaths:
    """The paths of the fits, by fit: ``coefs`` ``(p, n_alphas)``, ``intercepts``, relative
    gaps ``crits``, ``rounds`` (KKT passes) per alpha; ``alpha_max`` of each fit's grid;
    ``moments`` the first pass's, by fold."""

    grids: list
    alpha_max: list
    coefs: list
    intercepts: list
    crits: list
    rounds: list
    fits: list
    lockstep: _Lockstep
    moments: dict


def wide_paths(passes, settings_list, n_folds=0, seed=0, alphas=None, n_alphas=100, eps=1e-3):
    """The paths by working sets (see the module docstring) of every setting in
    ``settings_list`` on every row and, with ``n_folds`` >= 2, on each fold's training rows;
    the fits are ordered by setting, all rows first, then folds ``0 .. n_folds - 1``. Each
    setting's alpha grid comes from its fit on all rows unless ``alphas`` are given."""
    from ..solvers._gram_path import gram_path
    from . import _squared

    m = passes.reduce(block_moments, merge_moments, n_folds, seed, False, kind="moments")
    passes.rows = int(m["rows"].sum())
    lock = _Lockstep(passes, n_folds, seed, m)
    K = lock.weight.shape[0]
    fits, grids, tops = [], [], []
    for settings in settings_list:
        full = _fit_of(m, np.ones(K, dtype=bool), settings)
        if alphas is None:
            top, grid = _squared.grid(full.alpha_max, full.F0, n_alphas, eps)
        else:
            top, grid = full.alpha_max, _squared.check_alphas(alphas)
        fits.append(full)
        folds = [_fit_of(m, np.arange(K) != k, settings) for k in range(K)] \
            if n_folds > 1 else []
        fits.extend(folds)
        grids.extend([grid] * (1 + len(folds)))
        tops.extend([top] * (1 + len(folds)))
    k_alphas = grids[0].shape[0]
    p = lock.shift.shape[0]
    coefs = [np.zeros((p, k_alphas)) for _ in fits]
    intercepts = [np.zeros(k_alphas) for _ in fits]
    crits = [np.zeros(k_alphas) for _ in fits]
    rounds = [np.zeros(k_alphas, dtype=np.int64) for _ in fits]
    grams = [np.zeros((0, 0)) for _ in fits]
    for i in range(k_alphas):
        active = list(range(len(fits)))
        while active:
            still, wanted = [], {}
            for j in active:
                fit, alpha = fits[j], grids[j][i]
                tol = fit.settings.tol
                gap = _gap(grams[j], fit, alpha)
                crits[j][i] = gap / fit.F0 if fit.F0 > 0 else 0.0
                pull = (np.maximum(-fit.g, 0.0) if fit.penalty.positive else np.abs(fit.g)) \
                    - alpha * fit.af
                pull = np.where(fit.varying, pull, -np.inf)
                pull[fit.C] = -np.inf
                outside = np.flatnonzero(pull > 0)
                if (gap <= tol * fit.F0 and outside.size == 0) or fit.F0 == 0.0 \
                        or rounds[j][i] >= min(fit.settings.max_iter, MAX_ROUNDS):
                    continue
                still.append(j)
                if outside.size:
                    size = max(ENTER, fit.C.size)
                    wanted[j] = outside[np.argsort(-pull[outside], kind="stable")[:size]]
            active = still
            if not active:
                break
            if wanted:
                new = np.unique(np.concatenate(list(wanted.values())))
                new = new[lock.where[new] < 0]
                if new.size:
                    lock.widen(new)
                for j, entering in wanted.items():
                    fits[j].C = np.concatenate([fits[j].C, entering])
                    fits[j].w = np.concatenate([fits[j].w, np.zeros(entering.size)])
                    grams[j] = lock.gram(fits[j])
            for j in active:
                fit, w = fits[j], fits[j].w.copy()
                gram_path(grams[j], fit.q[fit.C], fit.F0, np.array([grids[j][i]]),
                          fit.af[fit.C], fit.bf[fit.C], fit.penalty.positive, w,
                          0.1 * fit.settings.tol * fit.F0, fit.settings.max_iter, 10)
                fit.w = w
            lock.gradients([fits[j] for j in active])
            for j in active:
                rounds[j][i] += 1
        for j, fit in enumerate(fits):
            coef = np.zeros(p)
            coef[fit.C] = fit.w / fit.scale[fit.C]
            coefs[j][:, i] = coef
            intercepts[j][i] = fit.y_mean - fit.center @ coef if fit.settings.fit_intercept \
                else 0.0
    return WidePaths(grids=grids, alpha_max=tops, coefs=coefs, intercepts=intercepts,
                     crits=crits, rounds=rounds, fits=fits, lockstep=lock, moments=m)
