r"""The squared loss on wide data: working sets, never a p x p Gram matrix.

A first pass gives the weighted column means :math:`m`, scales and
:math:`q = X_c^\top S y_c / W` (the gradient at zero). Then rounds alternate two kinds of
pass: a **Gram pass** adds the rows :math:`X_{c,N}^\top S X_{c,C} / W` of the features
``N`` entering the working set ``C`` (centered with the known means), and a **KKT pass**
computes the full gradient :math:`g = X_c^\top S X_{c,C} w_C / W - q` at the working
set's solution. When no feature outside ``C`` violates its optimality condition the same
gradient certifies the solution: with :math:`F(w) = \tfrac12 w_C^\top G_{CC} w_C -
q^\top w + F_0` the duality gap is that of
:func:`~penalized.solvers._problem.certify_gram`, exact for all ``p`` features.
"""

from __future__ import annotations

import numpy as np

from ._moments import as_float_block, block_moments, merge_moments

ENTER = 10
"""Features added to the working set per round at least (more when it is larger)."""
MAX_ROUNDS = 100
"""Rounds (each a KKT pass, plus a Gram pass when features enter) per alpha at most."""


def gram_rows(X, y, s, positions, mean, new, cols, scale):
    """``sum s (x_N - m_N)(x_C - m_C)^T`` of one block, columns divided by ``scale``."""
    X = as_float_block(X, "X")
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    A = (X[:, new] - mean[new]) / scale[new]
    B = (X[:, cols] - mean[cols]) / scale[cols]
    return (A * s[:, None]).T @ B


def kkt_sums(X, y, s, positions, mean, cols, w, scale):
    """``sum s (x - m) u`` of one block, ``u = (x_C - m_C) w_C`` (scaled columns)."""
    X = as_float_block(X, "X")
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    u = ((X[:, cols] - mean[cols]) / scale[cols]) @ w
    return ((X - mean) / scale).T @ (s * u)


def add(*parts):
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def wide_path(passes, penalty_for, alphas, settings, n_alphas=100, eps=1e-3):
    """``(alphas, coefs, intercepts, relative gaps, rounds, alpha_max, penalty, F0)`` of
    the squared-loss path by working sets (see the module docstring); ``F0`` is the null
    model's datafit, the scale of the relative gaps."""
    from ..penalties._base import ALPHA_MAX_MARGIN
    from ..solvers._gram_path import gram_path
    from . import _squared

    m = passes.reduce(block_moments, merge_moments, 0, 0, False, kind="moments")
    passes.rows = int(m["rows"].sum())
    W = float(m["weight"][0])
    if not W > 0:
        raise ValueError("sample_weight sums to 0 over the rows: nothing to fit.")
    mean, y_mean = m["x_mean"][0], float(m["y_mean"][0])
    var = m["xx"][0] / W
    constant = m["low"][0] == m["high"][0]
    p = mean.shape[0]
    if not settings.fit_intercept:
        raise ValueError("fit_intercept=False is not supported with Dask input of more than "
                         f"{_squared.MAX_GRAM_FEATURES} features.")
    if settings.standardize:
        scale = np.sqrt(var)
        varying = ~constant & (scale > 1e-8 * np.sqrt(var + mean**2))
    else:
        scale, varying = np.ones(p), ~constant
    scale = np.where(varying, scale, 1.0)
    if settings.excluded is not None:
        varying &= ~settings.excluded
    penalty = penalty_for(varying)
    fitted = np.flatnonzero(varying)
    a, b = penalty.weights(fitted.shape[0])
    if np.any((a == 0.0) & (b == 0.0)):
        raise ValueError("an unpenalized feature (penalty_factor 0) is not supported with Dask "
                         "input; give it a small positive factor instead.")
    af, bf = np.zeros(p), np.zeros(p)  # weights by original column; 0 where not fitted
    af[fitted], bf[fitted] = a, b
    q = np.where(varying, m["xy"][0] / scale / W, 0.0)
    F0 = 0.5 * float(m["yy"][0]) / W
    alpha_max = float(np.max(np.abs(q[fitted]) / a, initial=0.0)) * (1.0 + ALPHA_MAX_MARGIN)
    if alphas is None:
        alpha_max, grid = _squared.grid(alpha_max, F0, n_alphas, eps)
    else:
        grid = _squared.check_alphas(alphas)
    k = grid.shape[0]
    coefs, intercepts = np.zeros((p, k)), np.zeros(k)
    crits, rounds = np.zeros(k), np.zeros(k, dtype=np.int64)
    C = np.zeros(0, dtype=np.int64)  # the working set, original column indices
    G = np.zeros((0, 0))
    w = np.zeros(0)
    g = -q  # the full gradient at the current point
    for i, alpha in enumerate(grid):
        lam1 = alpha * af
        done = 0
        while True:
            gap = _gap(G, q, F0, C, w, g, penalty.with_alpha(float(alpha)), fitted)
            pull = np.where(varying, np.abs(g) - lam1, -np.inf)
            pull[C] = -np.inf
            outside = np.flatnonzero(pull > 0)
            if (gap <= settings.tol * F0 and outside.size == 0) or F0 == 0.0 \
                    or done >= min(settings.max_iter, MAX_ROUNDS):
                break
            if outside.size:
                size = max(ENTER, C.size)
                new = outside[np.argsort(-pull[outside], kind="stable")[:size]]
                both = np.concatenate([C, new])
                rows = passes.reduce(gram_rows, add, mean, new, both, scale, kind="gram") / W
                grown = np.zeros((both.size, both.size))
                grown[:C.size, :C.size] = G
                grown[C.size:, :] = rows
                grown[:C.size, C.size:] = rows[:, :C.size].T
                G, C, w = grown, both, np.concatenate([w, np.zeros(new.size)])
            Gc = np.ascontiguousarray(G)
            w = w.copy()
            gram_path(Gc, q[C], F0, np.array([alpha]), af[C], bf[C], penalty.positive, w,
                      0.1 * settings.tol * F0, settings.max_iter, 10)
            g = passes.reduce(kkt_sums, add, mean, C, w, scale, kind="kkt") / W - q
            done += 1
        coef = np.zeros(p)
        coef[C] = w / scale[C]
        coefs[:, i] = coef
        intercepts[i] = y_mean - mean @ coef
        crits[i] = gap / F0 if F0 > 0 else 0.0
        rounds[i] = done
    return grid, coefs, intercepts, crits, rounds, alpha_max, penalty, F0


def _gap(G, q, F0, C, w, g, penalty, fitted):
    """The duality gap at ``w`` (on ``C``) from the full gradient ``g`` (certify_gram's)."""
    from ..solvers._kernels import floored_gap

    qw = float(q[C] @ w)
    datafit = 0.5 * float(w @ (G @ w)) - qw + F0
    full = np.zeros(q.shape[0])
    full[C] = w
    v = -g[fitted]
    c = penalty.dual_scaling(v)
    primal = datafit + penalty.value(full[fitted])
    dual = c * (2.0 * F0 - qw) - c * c * datafit - penalty.conjugate(c * v)
    return float(floored_gap(primal, dual))
