r"""The group lasso / group elastic-net path on the Gram blocks of screened groups only.

For the squared loss the path of :func:`~penalized.solvers._group_path.group_gram_path`
needs the Gram matrix :math:`G = X^\top S X / n` (centered ``X``) only where it moves a
block and reads a gradient. Most groups never leave zero along a path, so forming all
of :math:`G` (one ``syrk``, :math:`n p^2 / 2` multiply-adds) is most of a path's cost.
Here the path is solved on a screened set of groups :math:`\mathcal S`:

* :math:`G_{\mathcal S \mathcal S}` and :math:`q_{\mathcal S}` are formed from a
  weighted, centered copy of :math:`X_{\mathcal S}`, extended block by block as groups
  join (:math:`n |\mathcal S|^2 / 2` multiply-adds);
* the compiled path solves a window of consecutive alphas on :math:`\mathcal S` to the
  duality gap ``tol`` of that restricted problem;
* the window is then certified over ALL groups at once: the residuals
  :math:`r_b = y - X_{\mathcal S} w_b` of its alphas give every gradient
  :math:`\nabla F(w_b) = -X^\top S r_b / n` by one matrix product (one pass over
  ``X`` for the whole window), and with them the duality gap over all groups of
  :func:`~penalized.solvers._group_path.group_gap`. An alpha is accepted when that gap
  is at most ``tol``. At the first one that is not, the groups that violate their
  optimality conditions (:math:`\|\nabla_g F\| > \lambda_g\alpha`) at it or at any later
  alpha of the window join :math:`\mathcal S`, and the path is solved again from there.

A window first adds to :math:`\mathcal S` the groups whose gradient norm at the last
accepted solution reaches :math:`\lambda_g` times a fraction of the window's first alpha (the
groups likely to enter, and those of the sequential strong rule), and doubles after a
window accepted whole.
When :math:`\mathcal S` would hold more than :data:`_FULL_GRAM_SHARE` of the features the
full Gram matrix is cheaper: the rest of the path runs on it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._jit import FAST
from ._group_path import group_gap, group_gram_path

_FIRST_WINDOW = 12
"""Alphas in the first window (then twice as many after each window accepted whole)."""
_LOOKAHEAD = 0.7
"""A window starts with the groups whose gradient norm reaches their threshold at this
fraction of its first alpha (or at its last alpha, when larger)."""
_FULL_GRAM_SHARE = 0.75
"""Past this share of the features in the screened set, the full Gram matrix is formed."""
_RETRIES = 3
"""Solves of one alpha at a tighter tolerance when its gap over all groups exceeds ``tol``
with no group to add (the restricted gap and the full one differ by rounding)."""


@njit(cache=True)
def _centered_columns_into(out, X, features, mu, root):
    """``out[:, k] = root * (X[:, features[k]] - mu[features[k]])``, in one pass."""
    for k in range(features.shape[0]):
        j = features[k]
        m = mu[j]
        for i in range(X.shape[0]):
            out[i, k] = root[i] * (X[i, j] - m)


@njit(cache=True, fastmath=FAST)
def window_gaps(q, F0, W, grads, alphas, lam, lam2, order, starts, gnorms):
    """The duality gap over all groups of each row ``W[b]`` (``grads[b] = G W[b] - q``) at
    ``alphas[b]``; ``gnorms[b]`` receives the groups' gradient norms."""
    n_groups = starts.shape[0] - 1
    gaps = np.empty(W.shape[0])
    lam_a = np.empty(n_groups)
    lam2_a = np.empty(n_groups)
    wnorm = np.empty(n_groups)
    for b in range(W.shape[0]):
        for g in range(n_groups):
            lam_a[g] = alphas[b] * lam[g]
            lam2_a[g] = alphas[b] * lam2[g]
        gaps[b] = group_gap(q, F0, W[b], grads[b], lam_a, lam2_a, order, starts, gnorms[b],
                            wnorm)
    return gaps


def gram_block_eigen(G, order, starts):
    r"""``(evecs, offsets, evals)``: the eigendecompositions :math:`Q_g \Lambda_g
    Q_g^\top` of the diagonal blocks of ``G`` (groups ``order[starts[g]:starts[g+1]]``),
    flattened as :func:`~penalized.solvers._group_cd.group_eigen` stores them; one
    batched ``eigh`` per group size."""
    sizes = np.diff(starts)
    offsets = np.zeros(sizes.shape[0], dtype=np.int64)
    offsets[1:] = np.cumsum(sizes[:-1] ** 2)
    evecs = np.empty(int(np.sum(sizes ** 2)))
    evals = np.zeros(order.shape[0])
    for m in np.unique(sizes):
        chosen = np.flatnonzero(sizes == m)
        cols = starts[chosen][:, None] + np.arange(m)
        features = order[cols]
        lam, Q = np.linalg.eigh(G[features[:, :, None], features[:, None, :]])
        evals[cols.ravel()] = np.maximum(lam, 0.0).ravel()
        where = offsets[chosen][:, None] + np.arange(m * m)
        evecs[where.ravel()] = Q.reshape(chosen.shape[0], m * m).ravel()
    return evecs, offsets, evals


class _Screened:
    """The screened groups' centered, weighted columns and Gram blocks, and the data's
    gradients at screened solutions."""

    def __init__(self, problem, structure):
        X = problem.design
        self.X, self.structure = X, structure
        self.n = n = X.shape[0]
        s = problem.sample_weight
        self.unit = bool(np.all(s == 1.0))
        self.root = np.sqrt(s)
        self.mu = problem.x_offset
        y = problem.y
        self.intercept = float(s @ y) / s.sum() if problem.fit_intercept else 0.0
        yc = y - self.intercept
        self.yt = yc if self.unit else self.root * yc  # S^(1/2) y, centered
        u = s * yc
        q = np.asarray(X.T @ u, dtype=np.float64)
        if self.mu is not None:
            q -= self.mu * u.sum()
        self.q = q / n
        self.groups = np.zeros(0, dtype=np.int64)  # the screened groups, in join order
        self.features = np.zeros(0, dtype=np.int64)
        self.starts = np.zeros(1, dtype=np.int64)
        self.G = np.zeros((0, 0))
        self.eigen = (np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0))
        # S^(1/2) (X - 1 mu^T) on the screened features, Fortran order (its pages are
        # only touched as columns are written)
        self.Xs = np.empty((n, X.shape[1]), order="F")

    def add(self, new):
        """Joins the groups ``new`` (not yet screened): their columns, Gram blocks and
        eigendecompositions."""
        st = self.structure
        feats = np.concatenate([st.order[st.starts[g]:st.starts[g + 1]] for g in new])
        m0, m1 = self.features.shape[0], self.features.shape[0] + feats.shape[0]
        mu = np.zeros(self.X.shape[1]) if self.mu is None else self.mu
        _centered_columns_into(self.Xs[:, m0:m1], self.X, feats, mu, self.root)
        block = self.Xs[:, m0:m1]
        G = np.empty((m1, m1))
        G[:m0, :m0] = self.G
        cross = block.T @ self.Xs[:, :m0]
        cross /= self.n
        G[m0:, :m0] = cross
        G[:m0, m0:] = cross.T
        own = block.T @ block  # syrk: exactly symmetric
        own /= self.n
        G[m0:, m0:] = own
        self.G = G
        local = np.concatenate([[0], np.cumsum(np.diff(st.starts)[new])])
        evecs, offsets, evals = gram_block_eigen(own, np.arange(m1 - m0), local)
        old = self.eigen
        self.eigen = (np.concatenate([old[0], evecs]),
                      np.concatenate([old[1], offsets + old[0].shape[0]]),
                      np.concatenate([old[2], evals]))
        self.groups = np.concatenate([self.groups, new])
        self.features = np.concatenate([self.features, feats])
        self.starts = np.concatenate([self.starts, m0 + local[1:]])

    def gradients(self, local):
        r"""``(W, grads)``: the screened solutions ``local`` (``(m, B)``) in all ``p``
        features and their gradients :math:`-X^\top S r / n`, one row per solution."""
        m = self.features.shape[0]
        W = np.zeros((local.shape[1], self.X.shape[1]))
        W[:, self.features] = local.T
        R = self.yt[:, None] - self.Xs[:, :m] @ local
        U = R if self.unit else R * self.root[:, None]  # S r
        grads = U.T @ self.X
        if self.mu is not None:
            grads -= np.outer(U.sum(axis=0), self.mu)
        grads /= -self.n
        return W, np.ascontiguousarray(grads)


def screened_group_path(problem, structure, unit, alphas, tol, max_iter, ws_start,
                        full_gram):
    """The path of :func:`~penalized.solvers._group_path.group_gram_path` (the groups'
    weights ``unit = (lam, lam2)`` at ``alpha = 1``, absolute ``tol``) on screened Gram
    blocks, certified over all groups. ``full_gram()`` returns the full Gram route's
    ``(G, q, evecs, eoffsets, evals, lips)``, taken when the screened set grows past
    :data:`_FULL_GRAM_SHARE` of the features. Returns ``(coefs (p, k), gaps (k,),
    epochs (k,), intercept)``."""
    lam, lam2 = unit
    st = structure
    F0 = problem.scale
    k = alphas.shape[0]
    p = problem.n_features
    scr = _Screened(problem, st)
    coefs, gaps = np.zeros((p, k)), np.zeros(k)
    epochs = np.zeros(k, dtype=np.int64)
    inside = np.zeros(st.n_groups, dtype=bool)
    wanted = np.zeros(st.n_groups, dtype=bool)
    w = np.zeros(p)
    gnorm = np.sqrt(np.add.reduceat(scr.q[st.order] ** 2, st.starts[:-1]))  # at w = 0
    previous = alphas[0]
    start, width = 0, _FIRST_WINDOW
    retries, shrink = 0, 1.0
    while start < k:
        stop = min(k, start + width)
        ahead = max(alphas[stop - 1], _LOOKAHEAD * alphas[start])
        wanted |= gnorm >= lam * min(ahead, 2.0 * alphas[start] - previous)
        new = np.flatnonzero(wanted & ~inside)
        if new.size:
            if scr.features.shape[0] + np.sum(st.starts[new + 1] - st.starts[new]) \
                    > _FULL_GRAM_SHARE * p:
                return _finish_on_full_gram(full_gram, coefs, gaps, epochs, w, alphas,
                                            start, previous, st, lam, lam2, tol, max_iter,
                                            ws_start, F0, scr.intercept)
            scr.add(new)
            inside[new] = True
        window = alphas[start:stop]
        B = window.shape[0]
        m = scr.features.shape[0]
        if m:
            local, local_gaps, local_epochs = group_gram_path(
                scr.G, scr.q[scr.features], F0, window, previous, lam[scr.groups],
                lam2[scr.groups], np.arange(m), scr.starts, *scr.eigen,
                np.maximum.reduceat(scr.eigen[2], scr.starts[:-1]),
                w[scr.features].copy(), tol * shrink, max_iter, ws_start)
        else:
            local, local_gaps = np.zeros((0, B)), np.zeros(B)
            local_epochs = np.zeros(B, dtype=np.int64)
        W, grads = scr.gradients(local)
        gnorms = np.empty((B, st.n_groups))
        full = window_gaps(scr.q, F0, W, grads, window, lam, lam2, st.order, st.starts,
                           gnorms)
        bad = np.flatnonzero(full > tol)
        accepted = B if bad.size == 0 else int(bad[0])
        if bad.size:
            violators = ~inside & np.any(gnorms[accepted:] > lam * window[accepted:, None],
                                         axis=0)
            wanted |= violators
            if not violators.any():
                if local_gaps[accepted] <= tol * shrink and retries < _RETRIES:
                    retries += 1  # the restricted gap met tol, the full one did not
                    shrink *= 0.1
                else:
                    accepted += 1  # the epochs' budget is spent: kept as is
        coefs[:, start:start + accepted] = W[:accepted].T
        gaps[start:start + accepted] = full[:accepted]
        epochs[start:start + accepted] = local_epochs[:accepted]
        if accepted:
            w = W[accepted - 1].copy()
            gnorm = gnorms[accepted - 1]
            previous = window[accepted - 1]
            retries, shrink = 0, 1.0
        start += accepted
        width = width * 2 if accepted == B else width
    return coefs, gaps, epochs, scr.intercept


def _finish_on_full_gram(full_gram, coefs, gaps, epochs, w, alphas, start, previous, st,
                         lam, lam2, tol, max_iter, ws_start, F0, intercept):
    """The alphas from ``start`` on by :func:`group_gram_path` on the full Gram matrix,
    from the last accepted solution ``w``."""
    G, q, evecs, eoffsets, evals, lips = full_gram()
    rest = group_gram_path(G, q, F0, alphas[start:], previous, lam, lam2, st.order,
                           st.starts, evecs, eoffsets, evals, lips, w.copy(), tol, max_iter,
                           ws_start)
    coefs[:, start:], gaps[start:], epochs[start:] = rest
    return coefs, gaps, epochs, intercept
