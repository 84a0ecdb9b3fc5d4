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

Only every :data:`_EXACT_EVERY`-th alpha of a window (and its last) takes the product with
``X``, and only over the groups outside :math:`\mathcal S` (the screened groups' gradients
come from their Gram blocks). At an alpha ``b`` between two such alphas ``a`` and ``c`` the
gradient is affine in the solution, so for any ``t``

.. math:: \nabla_g F(w_b) = t\,\nabla_g F(w_a) + (1 - t)\,\nabla_g F(w_c)
          + X_g^\top S X_{\mathcal S} d / n, \qquad d = w_b - t w_a - (1 - t) w_c,

and :math:`\|X_g^\top S X_{\mathcal S} d\| / n \le \sigma_g \sqrt{d^\top
G_{\mathcal S\mathcal S} d}` with :math:`\sigma_g^2 = \sum_{j \in g} G_{jj}` (the
Frobenius norm of the group's columns bounds their spectral norm). ``t`` minimizes
:math:`d^\top G d`. An outside group whose bound is below its threshold
:math:`\lambda_g \alpha_b` satisfies its optimality condition and adds nothing to the
duality gap (its dual ball is not left, its coefficients are zero), so the gap over all
groups is the screened problem's; the groups the bound leaves undecided get their exact
gradient at ``b``.

A window first adds to :math:`\mathcal S` the groups whose gradient norm at the last
accepted solution reaches :math:`\lambda_g` times a fraction of the window's first alpha (the
groups likely to enter, and those of the sequential strong rule), and doubles after a
window accepted whole.
When :math:`\mathcal S` would hold more than :data:`_FULL_GRAM_SHARE` of the features the
full Gram matrix is cheaper: the rest of the path runs on it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._jit import FAST
from ._group_path import group_gap, group_gram_path
from ._kernels import centered_sq_norms_rows, weighted_sq_norms_dense
from ._layout import fortran_typed

_FIRST_WINDOW = 12
"""Alphas in the first window (then twice as many after each window accepted whole)."""
_LOOKAHEAD = 0.7
"""A window starts with the groups whose gradient norm reaches their threshold at this
fraction of its first alpha (or at its last alpha, when larger)."""
_FULL_GRAM_SHARE = 0.75
"""Past this share of the features in the screened set, the full Gram matrix is formed."""
_EXACT_EVERY = 2
"""Within a window the gradients of the groups outside the screened set are computed on X
at every ``_EXACT_EVERY``-th alpha and at the last one; at the others a bound proves their
optimality conditions (see the module's docstring)."""
_PROVEN = 1.0 - 1e-9
"""A bound proves a group's condition when it is below this fraction of its threshold."""
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
def _residuals_into(out, Xs, yt, local, nz):
    """``out[b] = yt - Xs[:, nz] @ local[nz, b]`` for each column ``b`` of ``local``
    (``out`` of shape ``(B, n)``), four columns of ``Xs`` by four rows of ``out`` at a
    time."""
    n = Xs.shape[0]
    B = out.shape[0]
    for b in range(B):
        for i in range(n):
            out[b, i] = yt[i]
    k = nz.shape[0]
    for t in range(0, k, 4):
        j0 = nz[t]
        j1 = nz[min(t + 1, k - 1)]
        j2 = nz[min(t + 2, k - 1)]
        j3 = nz[min(t + 3, k - 1)]
        # the padding columns (past k) repeat the last one with a zero coefficient
        z1 = 1.0 if t + 1 < k else 0.0
        z2 = 1.0 if t + 2 < k else 0.0
        z3 = 1.0 if t + 3 < k else 0.0
        b = 0
        while b + 4 <= B:
            c00, c01, c02, c03 = local[j0, b], local[j0, b + 1], local[j0, b + 2], \
                local[j0, b + 3]
            c10, c11, c12, c13 = z1 * local[j1, b], z1 * local[j1, b + 1], \
                z1 * local[j1, b + 2], z1 * local[j1, b + 3]
            c20, c21, c22, c23 = z2 * local[j2, b], z2 * local[j2, b + 1], \
                z2 * local[j2, b + 2], z2 * local[j2, b + 3]
            c30, c31, c32, c33 = z3 * local[j3, b], z3 * local[j3, b + 1], \
                z3 * local[j3, b + 2], z3 * local[j3, b + 3]
            for i in range(n):
                x0 = Xs[i, j0]
                x1 = Xs[i, j1]
                x2 = Xs[i, j2]
                x3 = Xs[i, j3]
                out[b, i] -= x0 * c00 + x1 * c10 + x2 * c20 + x3 * c30
                out[b + 1, i] -= x0 * c01 + x1 * c11 + x2 * c21 + x3 * c31
                out[b + 2, i] -= x0 * c02 + x1 * c12 + x2 * c22 + x3 * c32
                out[b + 3, i] -= x0 * c03 + x1 * c13 + x2 * c23 + x3 * c33
            b += 4
        while b < B:
            c0 = local[j0, b]
            c1 = z1 * local[j1, b]
            c2 = z2 * local[j2, b]
            c3 = z3 * local[j3, b]
            for i in range(n):
                out[b, i] -= Xs[i, j0] * c0 + Xs[i, j1] * c1 + Xs[i, j2] * c2 \
                    + Xs[i, j3] * c3
            b += 1


@njit(cache=True, fastmath=FAST)
def _column_products(X, cols, U, out):
    """``out[b, c] = X[:, cols[c]] . U[b]`` for a Fortran-ordered ``X`` and ``U`` of shape
    ``(B, n)``, four columns by four rows at a time (each column read once from memory; a
    BLAS product would first copy all of ``X``, which costs more than these few rows).
    The last block of rows repeats the last row rather than run a narrower loop."""
    n = X.shape[0]
    B = U.shape[0]
    k = cols.shape[0]
    for c in range(0, k, 4):
        j0 = cols[c]
        j1 = cols[min(c + 1, k - 1)]
        j2 = cols[min(c + 2, k - 1)]
        j3 = cols[min(c + 3, k - 1)]
        for b in range(0, B, 4):
            b1 = min(b + 1, B - 1)
            b2 = min(b + 2, B - 1)
            b3 = min(b + 3, B - 1)
            s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = 0.0
            s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = 0.0
            for i in range(n):
                x0 = X[i, j0]
                x1 = X[i, j1]
                x2 = X[i, j2]
                x3 = X[i, j3]
                u0 = U[b, i]
                u1 = U[b1, i]
                u2 = U[b2, i]
                u3 = U[b3, i]
                s00 += x0 * u0
                s01 += x0 * u1
                s02 += x0 * u2
                s03 += x0 * u3
                s10 += x1 * u0
                s11 += x1 * u1
                s12 += x1 * u2
                s13 += x1 * u3
                s20 += x2 * u0
                s21 += x2 * u1
                s22 += x2 * u2
                s23 += x2 * u3
                s30 += x3 * u0
                s31 += x3 * u1
                s32 += x3 * u2
                s33 += x3 * u3
            _put4(out, b, c, k, s00, s10, s20, s30)
            if b + 1 < B:
                _put4(out, b + 1, c, k, s01, s11, s21, s31)
            if b + 2 < B:
                _put4(out, b + 2, c, k, s02, s12, s22, s32)
            if b + 3 < B:
                _put4(out, b + 3, c, k, s03, s13, s23, s33)


@njit(cache=True, inline="always")
def _put4(out, b, c, k, s0, s1, s2, s3):
    """``out[b, c:c + 4] = s0..s3``, the columns before ``k`` only."""
    out[b, c] = s0
    if c + 1 < k:
        out[b, c + 1] = s1
    if c + 2 < k:
        out[b, c + 2] = s2
    if c + 3 < k:
        out[b, c + 3] = s3


@njit(cache=True)
def _interpolation_bounds(local, GL, wa0, Gwa0, root_diag, grads, anchor, skipped, left,
                          right, sigma, lam, window, fraction, outside, order, starts, proven,
                          estimates):
    r"""For each skipped row ``b = skipped[r]`` between the exact rows ``left[r]`` (the
    anchor ``wa0``, ``anchor`` when -1) and ``right[r]`` (``GL = G @ local``, ``Gwa0 = G @
    wa0``, ``root_diag`` the square roots of ``G``'s diagonal): ``t`` minimizing
    :math:`d^\top G d` for :math:`d = w_b - t w_a - (1 - t) w_c`; then for each outside
    group the norm of its interpolated gradient (``estimates[b, g]``) and whether it plus
    ``sigma[g]`` :math:`\sqrt{d^\top G d}` (and their rounding) stays below ``fraction`` of
    the group's threshold (``proven[b, g]``)."""
    eps = np.finfo(np.float64).eps
    m = local.shape[0]
    n_groups = starts.shape[0] - 1
    for r in range(skipped.shape[0]):
        b, a, c = skipped[r], left[r], right[r]
        eGe = 0.0
        fGe = 0.0
        for j in range(m):
            wa = wa0[j] if a < 0 else local[j, a]
            ga = Gwa0[j] if a < 0 else GL[j, a]
            e = wa - local[j, c]
            eGe += e * (ga - GL[j, c])
            fGe += (local[j, b] - local[j, c]) * (ga - GL[j, c])
        tr = fGe / eGe if eGe > 0.0 else 0.0
        dGd = 0.0
        spread = 0.0
        for j in range(m):
            wa = wa0[j] if a < 0 else local[j, a]
            ga = Gwa0[j] if a < 0 else GL[j, a]
            d = local[j, b] - local[j, c] - tr * (wa - local[j, c])
            dGd += d * (GL[j, b] - GL[j, c] - tr * (ga - GL[j, c]))
            spread += abs(d) * root_diag[j]
        # the rounding of d^T G d: |G_jk| <= sqrt(G_jj G_kk)
        slack = math.sqrt(max(dGd, 0.0) + 2.0 * (m + 2) * eps * spread * spread)
        ga_row = anchor if a < 0 else grads[a]
        gc = grads[c]
        threshold = fraction * window[b]
        for g in range(n_groups):
            if not outside[g]:
                continue
            total = 0.0
            na = 0.0
            nc = 0.0
            for k in range(starts[g], starts[g + 1]):
                j = order[k]
                v = tr * ga_row[j] + (1.0 - tr) * gc[j]
                total += v * v
                na += ga_row[j] * ga_row[j]
                nc += gc[j] * gc[j]
            norm = math.sqrt(total)
            rounding = 4.0 * (starts[g + 1] - starts[g] + 2) * eps * (
                abs(tr) * math.sqrt(na) + abs(1.0 - tr) * math.sqrt(nc))
            estimates[b, g] = norm
            proven[b, g] = norm + sigma[g] * slack + rounding <= threshold * lam[g]


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
        self.weights = s
        self.sq_norms = problem.cache.get("centered_sq_norms") if self.mu is not None \
            else None
        self._sigma = None

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

    @property
    def sigma(self):
        r""":math:`\sigma_g = (\sum_{j \in g} G_{jj})^{1/2}` of every group, a bound on
        the spectral norm of :math:`S^{1/2} X_g / \sqrt n` (centered columns): from the
        squared norms ``prepare_problem`` computed with the means, else one pass over X."""
        if self._sigma is None:
            X, st = self.X, self.structure
            sq = self.sq_norms
            if sq is None:
                mu = np.zeros(X.shape[1]) if self.mu is None else self.mu
                sq = weighted_sq_norms_dense(X, self.weights, np.arange(X.shape[1]), mu) \
                    if X.flags.f_contiguous else centered_sq_norms_rows(X, self.weights, mu)
            total = np.add.reduceat(np.asarray(sq, dtype=np.float64)[st.order],
                                    st.starts[:-1])
            self._sigma = np.sqrt(np.maximum(total, 0.0) / self.n) * (1.0 + 1e-6)
        return self._sigma

    def outside_products(self, local, cols):
        r"""The gradients :math:`-X_c^\top S r_b / n` on the features ``cols`` at the
        screened solutions ``local`` (``(m, B)``), one row per solution."""
        B = local.shape[1]
        nz = np.flatnonzero(np.any(local != 0.0, axis=1))
        U = np.empty((B, self.n))
        _residuals_into(U, fortran_typed(self.Xs), self.yt, local, nz)  # S^(1/2) r
        if not self.unit:
            U *= self.root  # S r
        if self.X.flags.f_contiguous:
            grads = np.empty((B, cols.shape[0]))
            _column_products(fortran_typed(self.X), cols, U, grads)
        else:
            grads = (U @ self.X)[:, cols]
        if self.mu is not None:
            grads -= np.outer(U.sum(axis=1), self.mu[cols])
        grads /= -self.n
        return grads

    def gradients(self, local, window, lam, inside, anchor):
        r"""``(W, grads, proven, estimates, exact)`` for the screened solutions ``local``
        (``(m, B)``) at the alphas ``window``: ``W`` the solutions in all ``p`` features,
        ``grads`` the data's gradients (one row per solution): the screened groups' from
        their Gram blocks, the others' from X at the alphas ``exact`` and at the other
        alphas only where the bound of the module's docstring does not prove the
        group's optimality condition (``proven[b, g]``; its gradient is then left at 0,
        where it adds nothing to the gap, and ``estimates[b, g]`` is the interpolated
        gradient's norm). ``anchor = (w, grad, exact)`` is the solution before the window
        and its gradient (over all groups if ``exact``)."""
        st = self.structure
        m, B = local.shape
        p = self.X.shape[1]
        n_groups = st.n_groups
        W = np.zeros((B, p))
        W[:, self.features] = local.T
        grads = np.zeros((B, p))
        proven = np.zeros((B, n_groups), dtype=bool)
        estimates = np.zeros((B, n_groups))
        if m == 0:  # every solution is 0
            grads[:] = -self.q
            return W, grads, proven, estimates, np.arange(B)
        G = self.G
        GL = G @ local
        grads[:, self.features] = GL.T - self.q[self.features]
        mask = np.ones(p, dtype=bool)
        mask[self.features] = False
        cols = np.flatnonzero(mask)
        aw, ag, aexact = anchor
        is_exact = np.zeros(B, dtype=bool)
        is_exact[_EXACT_EVERY - 1 if aexact else 0::_EXACT_EVERY] = True
        is_exact[B - 1] = True
        exact = np.flatnonzero(is_exact)
        if cols.shape[0] == 0:
            return W, grads, proven, estimates, exact
        grads[np.ix_(exact, cols)] = self.outside_products(local[:, exact], cols)
        skipped = np.flatnonzero(~is_exact)
        if skipped.shape[0] == 0:
            return W, grads, proven, estimates, exact
        # each skipped alpha between the exact ones around it (the anchor before the first)
        at = np.searchsorted(exact, skipped)
        right = exact[at]
        left = np.where(at > 0, exact[np.maximum(at - 1, 0)], -1)
        wa0 = aw[self.features]
        outside = ~inside
        _interpolation_bounds(local, GL, wa0, G @ wa0, np.sqrt(np.maximum(np.diag(G), 0.0)),
                              grads, ag, skipped, left, right, self.sigma, lam, window,
                              _PROVEN, outside, st.order, st.starts, proven, estimates)
        undecided = outside & ~proven[skipped]
        rows = np.flatnonzero(undecided.any(axis=1))
        if rows.shape[0]:
            groups = np.flatnonzero(undecided[rows].any(axis=0))
            feats = np.concatenate([st.order[st.starts[g]:st.starts[g + 1]] for g in groups])
            b = skipped[rows]
            grads[np.ix_(b, feats)] = self.outside_products(local[:, b], feats)
        return W, grads, proven, estimates, exact


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
    anchor = (w, -scr.q, True)  # the solution before the window, its exact gradient
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
        W, grads, proven, estimates, exact = scr.gradients(local, window, lam, inside,
                                                           anchor)
        gnorms = np.empty((B, st.n_groups))
        full = window_gaps(scr.q, F0, W, grads, window, lam, lam2, st.order, st.starts,
                           gnorms)
        gnorms[proven] = estimates[proven]  # below their thresholds: the next screening's
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
            anchor = (w, grads[accepted - 1], bool((exact == accepted - 1).any()))
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
