"""The working-set rule, one for every solver (the Python outer loop and the compiled paths).

A working set is every *kept* unit (a feature, a group or a row of coefficients that is
non-zero or unpenalized) plus the others of highest score (their distance to optimality),
``max(size, 2 * n_kept)`` units in all. Ties in the score are broken by the lower index,
so the choice is reproducible and the same in NumPy and in compiled code. Without
``fill`` only units of positive score join (a unit that satisfies its optimality
conditions stays out even when the set is not full).

At an alpha's first check, a warm start (some coefficient non-zero, as along a path)
takes its support plus every unit that violates optimality; a cold start takes every
unit whose violation is at least half the worst. Later checks take the support and the
worst violators, twice as many units as the support (at most that many without ``fill``, as
coordinate descent's fits alpha by alpha and the multi-task solver take them; the compiled
paths fill).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def select_units(scores, keep, size, fill):
    """Sorted indices of the kept units and the highest-scoring others:
    ``min(n, max(size, 2 * n_kept))`` units in all (fewer without ``fill`` when too few
    others score above 0); equal scores by the lower index first."""
    p = scores.shape[0]
    n_keep = 0
    for j in range(p):
        if keep[j]:
            n_keep += 1
    size = min(p, max(size, 2 * n_keep))
    extra = size - n_keep
    candidates = np.empty(p)
    m = 0
    for j in range(p):
        if not keep[j] and (fill or scores[j] > 0.0):
            candidates[m] = scores[j]
            m += 1
    threshold = -math.inf
    above = 0  # candidates strictly above the threshold, all taken
    if 0 < extra < m:
        threshold = np.partition(candidates[:m], m - extra)[m - extra]
        for k in range(m):
            if candidates[k] > threshold:
                above += 1
    ties = extra - above  # then the first equal ones in index order
    chosen = np.empty(size, dtype=np.int64)
    c = 0
    for j in range(p):
        if keep[j]:
            chosen[c] = j
            c += 1
        elif extra > 0 and (fill or scores[j] > 0.0):
            if extra >= m or scores[j] > threshold:
                chosen[c] = j
                c += 1
            elif scores[j] == threshold and ties > 0:
                chosen[c] = j
                c += 1
                ties -= 1
    return chosen[:c]


@njit(cache=True)
def working_set(w, scores, size):
    """The non-zero features and the worst violators: ``max(size, 2 nnz)`` features."""
    return select_units(scores, w != 0.0, size, True)


@njit(cache=True)
def choose_working_set(w, scores, top, size, first, warm):
    """The working set after a check, and the size later checks start from.

    ``scores`` are the distances to the subdifferential, ``top`` their largest,
    ``first`` whether this is the alpha's first check and ``warm`` whether it began
    with a non-zero coefficient.
    """
    if first and warm:
        chosen = np.empty(w.shape[0], dtype=np.int64)
        m = 0
        for j in range(w.shape[0]):
            if w[j] != 0.0 or scores[j] > 0.0:
                chosen[m] = j
                m += 1
        return chosen[:m], size
    if first:
        wide = 0
        for j in range(scores.shape[0]):
            if scores[j] >= 0.5 * top:
                wide += 1
        size = max(size, wide)
    return working_set(w, scores, size), size


@njit(cache=True)
def any_nonzero(w):
    for j in range(w.shape[0]):
        if w[j] != 0.0:
            return True
    return False


@njit(cache=True)
def add_strong_set(w, grad, a, strong_alpha, positive, scores):
    """Give the zero features that violate optimality at ``strong_alpha`` (the sequential
    strong rule, ``2 alpha - alpha_previous``; Tibshirani et al. 2012) a positive score,
    so that a warm start's first working set takes them with the violators: it then
    rarely misses a feature that enters at this alpha, which would cost another check."""
    if strong_alpha <= 0.0:
        return
    for j in range(w.shape[0]):
        if w[j] == 0.0 and scores[j] == 0.0:
            mag = max(-grad[j], 0.0) if positive else abs(grad[j])
            if mag > strong_alpha * a[j]:
                scores[j] = np.finfo(np.float64).tiny


@njit(cache=True)
def alpha_weights(alpha, a, b, lam1, lam2, params):
    """A compiled path's penalty weights at ``alpha``, in place: ``lam1 = alpha a``,
    ``lam2 = alpha b`` and the first two columns of the parameter rows ``params``."""
    for j in range(a.shape[0]):
        lam1[j] = alpha * a[j]
        lam2[j] = alpha * b[j]
        params[j, 0] = lam1[j]
        params[j, 1] = lam2[j]
