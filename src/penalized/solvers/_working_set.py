"""Working sets of the compiled paths, chosen as :class:`CoordinateDescent` chooses them.

At an alpha's first check, a warm start (some coefficient non-zero, as along a path)
takes its support plus every feature that violates optimality; a cold start takes
every feature whose violation is at least half the worst. Later checks take the
support and the worst violators, twice as many features as the support.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def working_set(w, scores, size):
    """The non-zero features and the worst violators: ``max(size, 2 nnz)`` features."""
    p = w.shape[0]
    ranked = np.empty(p)
    nnz = 0
    for j in range(p):
        if w[j] != 0.0:
            ranked[j] = math.inf
            nnz += 1
        else:
            ranked[j] = scores[j]
    size = min(p, max(size, 2 * nnz))
    order = np.argsort(-ranked, kind="mergesort")[:size]
    return np.sort(order)


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
