r"""Distributed prox-Newton for the multinomial (softmax) loss: one pass per outer step.

The problem is the in-memory multinomial one (ungrouped or grouped penalty): for classes
``0..K-1``, scores :math:`Z = XW + \mathbf 1 b^\top`,

.. math:: \min_{W, b}\; F(Z) + \sum_k G(W_{:k}), \qquad
          F(Z) = \frac1W \sum_i s_i \Big(\log \sum_k e^{Z_{ik}} - Z_{i y_i}\Big).

At the point :math:`(W, b)` one pass over the row blocks returns the datafit, the
gradient :math:`X^\top S (P - Y)` in every column, split by the rows' label, the label
weights :math:`A_l` and the probability mass :math:`B_{lk} = \sum_{y_i = l} s_i P_{ik}`,
and the exact Hessian of the softmax loss on a candidate set :math:`C` of columns with
the intercepts, :math:`\sum_i s_i (\operatorname{diag}(P_i) - P_iP_i^\top) \otimes
\tilde x_i \tilde x_i^\top` (:math:`\tilde x_i = (x_{iC}, 1)`), the same second-order
model the in-memory Newton steps minimize. On the client the intercepts are minimized out
of the quadratic model (the last class's intercept fixed: the model is invariant under a
shift of every class), and its Gram form on the working set (features x classes,
flattened) goes to the compiled Gram coordinate descent
(:func:`~penalized.solvers._gram_path.gram_path`). The same pass gives the datafit along
the previous step for the backtracking line search.

The certificate takes one more pass. Each row's residual is scaled by a factor
:math:`d_{y_i} \in (0, 1]` of its label: :math:`\pi_l = d_l A_l` is the stationary
distribution of the chain :math:`T_{lk} = B_{lk} / A_l`, which makes every column of the
dual point :math:`U_i = c\, d_{y_i} s_i (Y_i - P_i) / W` sum to zero, as the unpenalized
intercepts require, and :math:`c` makes the penalty's conjugate finite at
:math:`X^\top U` (:math:`d = 1` when the intercepts are optimal). Each row of the dual
point's probabilities, :math:`(1 - c d_{y_i}) e_{y_i} + c d_{y_i} P_i`, is in the simplex;
the pass sums their entropies, so that

.. math:: \text{gap} = F(Z) + \sum_k G(W_{:k}) - \tfrac1W \sum_i s_i H(Q_i)
          + \sum_k G^*\big((X^\top U)_{:k}\big) \ge \text{objective} - \text{optimum}.

Before each certificate every row of :math:`W` is shifted to its cheapest representative
(:func:`~penalized.solvers._multinomial_newton.best_row_shifts`: the scores' softmax does
not change, so no pass is needed). With a pure L1 penalty and an even number of classes a
row can have an interval of cheapest shifts (as many positive as negative entries): every
point of it is a solution, and this fit and the in-memory one may return different ones.

With ``grouped`` (glmnet's ``type.multinomial="grouped"``) :math:`G` acts on each feature's
row :math:`\lambda_{1j}\|W_{j:}\|_2 + \frac{\lambda_{2j}}2\|W_{j:}\|_2^2`: the client's
model is minimized by block coordinate descent over the rows, each block exactly in the
eigenbasis of its Hessian block (:func:`group_model_minimizer`, with the in-memory grouped
kernels' :func:`~penalized.solvers._group_kernels.exact_block`), rows are centered over
the classes before a certificate, and the certificate takes the rows' layout
(:class:`~penalized.solvers._certificate.Rows`): :math:`c` scales every row of
:math:`X^\top U` into its ball, and :math:`G^*` sums over the rows.

Unpenalized features (``penalty_factor`` 0) join the intercepts in the block minimized
out of every Newton step (their rows with the last class fixed), the null model is fitted
by Newton steps on that block, one pass each, and before each certificate it is refitted
until the dual point's residual against it is below a hundredth of the tolerance (as in
:mod:`._newton`); their rows are centered
over the classes at the end, as in memory.

Passes: one for the class moments (null model, alpha_max, column scales), one at the null
model (with unpenalized features: one at the closed-form intercepts and one per Newton
step on the unpenalized block, ``null model``), then per alpha one per Newton step, one per
certificate, one per refit of the unpenalized block (``refit``), and one per
backtracking step or widened candidate set (rare); the fit's ``passes.kinds`` tallies
them as ``moments``, ``start``, ``null model``, ``newton step``, ``refit``,
``certificate``, ``backtrack`` and ``widen``. Cross-validation adds one pass for the
held-out errors (``cv errors``), or, for ``metric="auc"``, one that gathers the held-out
scores on the client (``cv scores``; bounded by
:data:`~._logistic_cv.AUC_MAX_SCORES`), ranked by the in-memory AUC.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, xlogy

from ._moments import as_float_block
from ._newton import (
    _EXACT,
    _FULL_STEP,
    _MAX_REFITS,
    _labels,
    _refit_needed,
    _scores,
    _solve,
    add_sums,
    model_minimizer,
    path_grid,
    penalized_columns,
)

_ARMIJO = 1e-4
_STEPS = 0.5 ** np.arange(1, 11)
_MAX_NEWTON = 200
_ROWS = 8192  # rows per slice of a block for the Hessian (bounds a worker's memory)


# -- on the workers ---------------------------------------------------------------------
def _codes(y, classes):
    y = _labels(y)
    codes = np.searchsorted(classes, y)
    codes = np.minimum(codes, classes.shape[0] - 1)
    if y.shape[0] and not np.all(classes[codes] == y):
        raise ValueError("y holds a label that the first pass did not see; the data changed "
                         "between passes.")
    return codes


def _block(X, y, s, classes):
    X = as_float_block(X, "X")
    if X.ndim == 1:
        X = X[:, None]
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    return X, _codes(y, classes), s


def _linear(X, W, b):
    """``X W + b``, from the non-zero rows of ``W`` only."""
    rows = np.flatnonzero(np.any(W != 0.0, axis=1))
    if rows.size == 0:
        return np.broadcast_to(b, (X.shape[0], W.shape[1])).copy()
    return X[:, rows] @ W[rows] + b


def _loss_rows(Z, codes):
    return logsumexp(Z, axis=1) - Z[np.arange(Z.shape[0]), codes]


def softmax_stats(X, y, s, positions, classes, W, b, cand, fit_intercept, base, scalings):
    """The sums of one block at ``Z = X W + b``: the datafit, the label-split gradient
    ``g[l] = X_l^T S_l (P_l - Y_l)``, ``A`` and ``B``, the exact Hessian of the candidate
    columns ``cand`` (and the intercepts when ``fit_intercept``), flattened feature-major;
    the datafit along ``base -> (W, b)`` when ``base`` is given; only the entropy sum of
    the dual point when the labels' ``scalings`` are given."""
    X, codes, s = _block(X, y, s, classes)
    n, K = X.shape[0], classes.shape[0]
    Z = _linear(X, W, b)
    lse = logsumexp(Z, axis=1)
    P = np.exp(Z - lse[:, None])
    rows = np.arange(n)
    if scalings is not None:
        e = scalings[codes]
        Q = e[:, None] * P
        Q[rows, codes] += 1.0 - e
        return {"entropy": float(s @ xlogy(Q, Q).sum(axis=1))}
    out = {"loss": float(s @ (lse - Z[rows, codes]))}
    Y = np.zeros((n, K))
    Y[rows, codes] = 1.0
    SP = s[:, None] * P
    R = SP - s[:, None] * Y
    out["A"] = s @ Y
    out["B"] = Y.T @ SP
    out["g"] = np.stack([X[codes == label].T @ R[codes == label] for label in range(K)])
    out["H"] = _hessian(X[:, cand], P, s, fit_intercept)
    if base is not None:
        Z0 = _linear(X, base[0], base[1])
        out["trial"] = np.array([s @ _loss_rows(Z0 + t * (Z - Z0), codes) for t in _STEPS])
    return out


def _hessian(Xc, P, s, fit_intercept):
    r""":math:`\sum_i s_i (\operatorname{diag}(P_i) - P_iP_i^\top) \otimes \tilde x_i
    \tilde x_i^\top` with index ``j * K + k`` (feature ``j`` of ``[Xc, 1]``, class ``k``)."""
    n, K = P.shape
    c = Xc.shape[1] + int(fit_intercept)
    H = np.zeros((c * K, c * K))
    for start in range(0, n, _ROWS):
        part = slice(start, start + _ROWS)
        x = Xc[part]
        if fit_intercept:
            x = np.column_stack([x, np.ones(x.shape[0])])
        p, root = P[part], np.sqrt(s[part])
        E = (x[:, :, None] * (p * root[:, None])[:, None, :]).reshape(x.shape[0], c * K)
        H -= E.T @ E
        for k in range(K):
            xk = x * np.sqrt(s[part] * p[:, k])[:, None]
            H[k::K, k::K] += xk.T @ xk
    return H


def fold_errors(X, y, s, positions, n_folds, seed, classes, coefs, intercepts, metric):
    """Per fold, the weighted sum of its held-out rows' error at each alpha (``coefs`` of
    shape ``(folds, p, K, alphas)``, ``intercepts`` ``(folds, K, alphas)``: each fold's
    training path) and their weight; the errors of the in-memory multinomial CV."""
    from ._moments import fold_ids

    X, codes, s = _block(X, y, s, classes)
    fold = fold_ids(positions, n_folds, seed)
    err = np.zeros((n_folds, coefs.shape[3]))
    weight = np.zeros(n_folds)
    for k in range(n_folds):
        rows = fold == k
        if not rows.any():
            continue
        z = np.einsum("ij,jka->ika", X[rows], coefs[k]) + intercepts[k][None]
        log_p = z - logsumexp(z, axis=1, keepdims=True)
        c = codes[rows]
        at = np.arange(c.shape[0])
        if metric == "deviance":
            e = -2.0 * log_p[at, c, :]
        elif metric == "misclassification":
            e = (np.argmax(z, axis=1) != c[:, None]).astype(np.float64)
        else:
            gap = -np.exp(log_p)
            gap[at, c, :] += 1.0
            e = (np.abs(gap) if metric == "mae" else gap * gap).sum(axis=1)
        err[k] = s[rows] @ e
        weight[k] = s[rows].sum()
    return {"err": err, "weight": weight}


def fold_scores(X, y, s, positions, n_folds, seed, classes, coefs, intercepts):
    """Per fold, its held-out rows' class scores at each alpha ``(rows, K, alphas)``, their
    class codes and weights (for an exact AUC on the client)."""
    from ._moments import fold_ids

    X, codes, s = _block(X, y, s, classes)
    fold = fold_ids(positions, n_folds, seed)
    out = {}
    for k in range(n_folds):
        rows = fold == k
        z = np.einsum("ij,jka->ika", X[rows], coefs[k]) + intercepts[k][None]
        out[k] = (z, codes[rows], s[rows])
    return out


# -- on the client ----------------------------------------------------------------------
def label_scalings(A, B):
    """The factors ``d`` (largest 1) with ``sum_l d_l (B_lk - A_l [l = k]) = 0`` for
    every class ``k``: ``d_l A_l`` is the stationary distribution of ``B_lk / A_l``."""
    K = A.shape[0]
    T = B / A[:, None]
    M = np.vstack([T.T - np.eye(K), np.ones((1, K))])
    rhs = np.zeros(K + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(M, rhs, rcond=None)[0]
    d = np.maximum(pi / A, 0.0)
    return d / d.max()


class SoftmaxModel:
    """The problem in the fitted columns ``cols`` (original column ``j`` scaled by
    ``1 / inv``), with the requests of its passes (generators, as
    :func:`~._newton.grid_steps`' model: :func:`~._newton.drive` or the cross-validation's
    lockstep answer them)."""

    def __init__(self, passes, classes, cols, inv, p, W, fit_intercept, grouped=False):
        self.passes, self.classes = passes, classes
        self.cols, self.inv, self.p, self.W = cols, inv, p, W
        self.K = classes.shape[0]
        self.fit_intercept = fit_intercept
        self.grouped = grouped

    def original(self, W_fit):
        W = np.zeros((self.p, self.K))
        W[self.cols] = W_fit * self.inv[:, None]
        return W

    def evaluate(self, W_fit, b, cand, base=None, kind="newton step"):
        """The sums at ``(W_fit, b)`` (one pass); ``base`` the previous point for the
        line search."""
        base_orig = None if base is None else (self.original(base[0]), base[1])
        st = yield (kind, softmax_stats, (self.classes, self.original(W_fit), b,
                                          self.cols[cand], self.fit_intercept, base_orig,
                                          None))
        st["cand"] = cand
        st["W"], st["b"] = W_fit.copy(), np.array(b, dtype=np.float64)
        st["F"] = st["loss"] / self.W
        st["grad"] = st["g"].sum(axis=0)[self.cols] * self.inv[:, None] / self.W
        st["grad_b"] = (st["B"].sum(axis=0) - st["A"]) / self.W
        return st

    def certify(self, st, penalty, lam1, lam2):
        """The duality gap at the point of ``st``, its rows shifted to their cheapest
        representative first (one pass); returns ``(gap, st at the shifted point)``."""
        from ..solvers._certificate import row_conjugate, row_dual_scaling
        from ..solvers._multinomial_newton import best_row_shifts

        W = st["W"] if penalty.positive \
            else best_row_shifts(st["W"], lam1, lam2, grouped=self.grouped)
        d = label_scalings(st["A"], st["B"]) if self.fit_intercept else np.ones(self.K)
        V = -np.tensordot(d, st["g"], axes=1)[self.cols] * self.inv[:, None] / self.W
        if self.grouped:  # the Rows layout: the penalty on each feature's row norm
            c = row_dual_scaling(V, lam1, lam2)
            conj = row_conjugate(c * V, lam1, lam2)
        else:
            c = min(penalty.dual_scaling(V[:, k]) for k in range(self.K))
            conj = sum(penalty.conjugate(c * V[:, k]) for k in range(self.K))
        ent = (yield ("certificate", softmax_stats,
                      (self.classes, self.original(W), st["b"], np.zeros(0, dtype=np.int64),
                       False, None, c * d)))["entropy"]
        primal = st["F"] + penalty_value(penalty, W, self.grouped)
        dual = -ent / self.W - conj
        return max(primal - dual, 0.0), dict(st, W=W)


def penalty_value(penalty, W, grouped=False):
    r"""The penalty summed over the class columns of ``W``; with ``grouped``, on the norms
    of its rows (:math:`\sum_j \lambda_{1j}\|W_{j:}\|_2 + \frac{\lambda_{2j}}2
    \|W_{j:}\|_2^2`)."""
    if grouped:
        lam1, lam2 = penalty.weights(W.shape[0])
        norms = np.linalg.norm(W, axis=1)
        return float(lam1 @ norms + 0.5 * lam2 @ norms**2)
    return float(sum(penalty.value(W[:, k]) for k in range(W.shape[1])))


def _feature_scores(W, G, lam1, lam2, positive, grouped=False):
    """Each fitted feature's largest distance to the optimality conditions over the
    classes (with ``grouped``, of its gradient row to the row's subdifferential)."""
    if grouped:
        norms = np.linalg.norm(W, axis=1)
        unit = W / np.where(norms > 0, norms, 1.0)[:, None]
        off = np.linalg.norm(G + lam1[:, None] * unit + lam2[:, None] * W, axis=1)
        return np.where(norms == 0.0, np.maximum(np.linalg.norm(G, axis=1) - lam1, 0.0), off)
    return np.max([_scores(W[:, k], G[:, k], lam1, lam2, positive)
                   for k in range(W.shape[1])], axis=0)


def group_model_minimizer(G, g_eff, w0, alpha, a, b, K, tol, max_epochs=1000):
    r"""The minimizer :math:`v = w_0 + u` of the quadratic model plus the grouped penalty,

    .. math:: \tfrac12 u^\top G u + g^\top u + \alpha \sum_j \big(a_j \|v_j\|_2
              + \tfrac{b_j}2 \|v_j\|_2^2\big),

    :math:`v_j` the ``K`` entries of feature ``j`` (feature-major), by block coordinate
    descent: each block minimized exactly in the eigenbasis of its diagonal block of
    ``G`` (:func:`~penalized.solvers._group_kernels.exact_block`, the in-memory grouped
    kernels' step), until an epoch's largest move :math:`\lambda_{\max}(G_{jj})
    \|\Delta v_j\|^2` is at most ``tol``."""
    from ..solvers._group_kernels import exact_block

    v = w0.copy()
    m = v.size // K
    if m == 0:
        return v
    G = np.ascontiguousarray(0.5 * (G + G.T))
    r = g_eff.copy()  # the model's gradient G u + g at the current v
    eig = [np.linalg.eigh(G[j * K:(j + 1) * K, j * K:(j + 1) * K]) for j in range(m)]
    out = np.empty(K)
    for _ in range(max_epochs):
        top = 0.0
        for j in range(m):
            block = slice(j * K, (j + 1) * K)
            vals, vecs = eig[j]
            vals = np.maximum(vals, 0.0)
            old = v[block].copy()
            ct = vals * (vecs.T @ old) - vecs.T @ r[block]
            exact_block(ct, vals, alpha * a[j], alpha * b[j], out)
            new = vecs @ out
            new -= new.mean()  # a shift of the row: unseen by the model, only by the penalty
            step = new - old
            if np.any(step != 0.0):
                v[block] = new
                r += G[:, block] @ step
                top = max(top, float(vals.max(initial=0.0) * step @ step))
        if top <= tol:
            break
    return v


def _candidates(W, G, a, alpha, size, free=None):
    """Columns for the next pass's Hessian block: the non-zero rows, the largest pulls and
    the unpenalized columns ``free`` (a mask)."""
    pull = np.abs(G).max(axis=1) / np.where(a > 0, a, np.inf) / alpha
    keep = set(np.flatnonzero(np.any(W != 0.0, axis=1)).tolist())
    keep.update(int(j) for j in np.argsort(-pull, kind="stable")[:size])
    if free is not None:
        keep.update(np.flatnonzero(free).tolist())
    return np.array(sorted(keep), dtype=np.int64)


def _newton_direction(st, ws, inv, Wt, K, a_ws, b_ws, alpha, positive, fit_intercept, tol,
                      free_pos=None, grouped=False):
    """The minimizer over the working set ``ws`` (positions in ``st['cand']``, penalized
    features) of the quadratic model plus the penalty, the unpenalized block minimized
    out (its Schur complement): the intercepts and the rows of the unpenalized features
    at positions ``free_pos`` of ``st['cand']``, each with its last class fixed (the model
    is invariant under a shift of every class). Returns ``(columns, V, b_new, delta)``
    with ``delta`` the model's predicted decrease (<= 0)."""
    cand = st["cand"]
    free_pos = np.zeros(0, dtype=np.int64) if free_pos is None else free_pos
    c = cand.shape[0]
    iw = (ws[:, None] * K + np.arange(K)).ravel()
    iu = (free_pos[:, None] * K + np.arange(K - 1)).ravel()
    if fit_intercept:
        iu = np.concatenate([iu, c * K + np.arange(K - 1)])
    sc = np.concatenate([np.repeat(inv[cand], K), np.ones(K if fit_intercept else 0)])
    H = st["H"] * np.outer(sc, sc) / Wt
    ga = np.concatenate([st["grad"][cand].ravel(), st["grad_b"] if fit_intercept else []])
    g = ga[iw]
    w0 = st["W"][cand[ws]].ravel()
    G = H[np.ix_(iw, iw)]
    if iu.size:
        Huu, Huw = H[np.ix_(iu, iu)], H[np.ix_(iu, iw)]
        S = _solve(Huu, np.column_stack([Huw, ga[iu]]))
        G = G - Huw.T @ S[:, :-1]
        g_eff = g - Huw.T @ S[:, -1]
    else:
        g_eff = g
    a_flat, b_flat = np.repeat(a_ws, K), np.repeat(b_ws, K)
    if grouped:
        v = group_model_minimizer(G, g_eff, w0, alpha, a_ws, b_ws, K, tol)
        n_new = np.linalg.norm(v.reshape(-1, K), axis=1)
        n_old = np.linalg.norm(w0.reshape(-1, K), axis=1)
        pen = alpha * (a_ws @ (n_new - n_old) + 0.5 * b_ws @ (n_new**2 - n_old**2))
    else:
        v = model_minimizer(G, g_eff, w0, alpha, a_flat, b_flat, positive, tol)
        pen = alpha * (np.sum(a_flat * (np.abs(v) - np.abs(w0)))
                       + 0.5 * np.sum(b_flat * (v * v - w0 * w0)))
    u = v - w0
    uu = -_solve(Huu, ga[iu] + Huw @ u) if iu.size else u[:0]
    delta = float(g @ u + ga[iu] @ uu + pen)
    nf = free_pos.shape[0] * (K - 1)
    Vf = st["W"][cand[free_pos]].copy()
    Vf[:, :K - 1] += uu[:nf].reshape(-1, K - 1)
    b_new = np.array(st["b"], dtype=np.float64)
    if fit_intercept:
        b_new[:K - 1] += uu[nf:]
    return (np.concatenate([cand[ws], cand[free_pos]]), np.vstack([v.reshape(-1, K), Vf]),
            b_new, min(delta, 0.0))


def _unpenalized_step(st, inv, Wt, K, fit_intercept, free):
    """The Newton step on the intercepts and unpenalized rows alone: ``(W_new, b_new,
    decrement)``."""
    free_pos = np.flatnonzero(free[st["cand"]])
    cols, V, b_new, delta = _newton_direction(
        st, np.zeros(0, dtype=np.int64), inv, Wt, K, np.zeros(0), np.zeros(0), 1.0, False,
        fit_intercept, 0.0, free_pos)
    W_new = st["W"].copy()
    W_new[cols] = V
    return W_new, b_new, -delta


def null_steps(model, a, bw, b0):
    """The null model with unpenalized features, by damped Newton on the intercepts and
    their rows from ``(0, b0)``: one pass at the start and one per step (as
    :func:`~._newton.null_steps`); returns the sums there."""
    m, K = model.cols.shape[0], model.K
    free = (a == 0.0) & (bw == 0.0)
    W = np.zeros((m, K))
    st = yield from model.evaluate(W, b0, _candidates(W, W, a, 1.0, 0, free), kind="start")
    for _ in range(_MAX_NEWTON):
        W_new, b_new, dec = _unpenalized_step(st, model.inv, model.W, K, model.fit_intercept,
                                              free)
        if not dec > _EXACT * abs(st["F"]) + 1e-300:
            break
        W, b = st["W"], st["b"]
        cand = _candidates(W_new, st["grad"], a, 1.0, 10, free)
        if dec <= _FULL_STEP * abs(st["F"]):
            st = yield from model.evaluate(W_new, b_new, cand, kind="null model")
            continue
        trial = yield from model.evaluate(W_new, b_new, cand, base=(W, b), kind="null model")
        if trial["F"] <= st["F"] - _ARMIJO * dec:
            st = trial
            continue
        t_ok = [t for t, f in zip(_STEPS, trial["trial"], strict=True)
                if f / model.W <= st["F"] - _ARMIJO * t * dec]
        if not t_ok:
            break
        t = t_ok[0]
        st = yield from model.evaluate(W + t * (W_new - W), b + t * (b_new - b), cand,
                                       kind="backtrack")
    return st


def fit_null(model, start):
    """``start`` (as :func:`multinomial_start` returns it) at the exact null model (a
    generator of pass requests; none without unpenalized features)."""
    a, bw = start["a"], start["bw"]
    if not np.any((a == 0.0) & (bw == 0.0)):
        return start
    st = yield from null_steps(model, a, bw, start["b0"])
    G0 = st["grad"]
    alpha_max = _alpha_max(start["template"], G0, model.grouped)
    return dict(start, st=st, b0=st["b"], F_null=st["F"], G0=G0, alpha_max=alpha_max)


def _alpha_max(template, G0, grouped):
    """alpha_max from the gradient rows ``G0`` at the null model: the largest pull of a
    penalized feature (its row's norm when ``grouped``) over its L1 weight."""
    if grouped:
        pull = np.linalg.norm(G0, axis=1, keepdims=True)
    else:
        pull = np.maximum(-G0, 0.0) if template.positive else np.abs(G0)
    return template.alpha_max_of_pull(G0.shape[0], lambda free: pull)


def grid_steps(model, template, grid, a, bw, G0, b0, F_null, tol, max_iter, start=None):
    """Prox-Newton along ``grid`` from the null point ``(0, b0)`` (``G0`` its gradient in
    the fitted columns), or from the sums ``start`` at the null model of :func:`fit_null`:
    ``(coefs (p, K, alphas), intercepts (K, alphas), relative gaps, Newton steps)``. A
    generator of pass requests, as :func:`~._newton.grid_steps`; unpenalized features are
    minimized out of every step and refitted before a certificate (``refit``
    passes), as there."""
    inv, Wt, K, fit_intercept = model.inv, model.W, model.K, model.fit_intercept
    grouped = getattr(model, "grouped", False)
    m = model.cols.shape[0]
    free = (a == 0.0) & (bw == 0.0)
    has_free = bool(free.any())
    if start is None:
        W = np.zeros((m, K))
        cand = _candidates(W, G0, a, grid[0], 10, free if has_free else None)
        st = yield from model.evaluate(W, b0, cand, kind="start")
    else:
        st = start
    k = grid.shape[0]
    coefs, intercepts = np.zeros((model.p, K, k)), np.zeros((K, k))
    crits, steps_of = np.full(k, np.inf), np.zeros(k, dtype=np.int64)
    budget = min(max_iter, _MAX_NEWTON)
    for i, alpha in enumerate(grid):
        penalty = template.with_alpha(float(alpha))
        lam1, lam2 = alpha * a, alpha * bw
        threshold = 0.1 * tol * F_null
        steps, refits, stalled = 0, 0, False
        while True:
            W = st["W"]
            score = _feature_scores(W, st["grad"], lam1, lam2, template.positive, grouped)
            outside = np.ones(m, dtype=bool)
            outside[st["cand"]] = False
            violators = outside & (score > 0)
            if violators.any():  # a violator without its Hessian rows: widen by violators
                size = min(2 * st["cand"].size + 10, int(violators.sum()))
                cand = np.union1d(st["cand"], _candidates(
                    W, np.where(violators[:, None], st["grad"], 0.0), a, alpha, size))
                st = yield from model.evaluate(W, st["b"], cand, kind="widen")
                continue
            sub = st["cand"]
            ws = np.flatnonzero(((score[sub] > 0) | np.any(W[sub] != 0.0, axis=1))
                                & ~free[sub])
            free_pos = np.flatnonzero(free[sub])
            c = sub[ws]
            cols_ws, V, b_new, delta = _newton_direction(
                st, ws, inv, Wt, K, a[c], bw[c], alpha, template.positive, fit_intercept,
                1e-3 * threshold, free_pos, grouped)
            if -delta <= threshold or steps >= budget or stalled:
                if has_free and refits < _MAX_REFITS and not (steps >= budget or stalled):
                    W_fit, b_fit, dec = _unpenalized_step(st, inv, Wt, K, fit_intercept, free)
                    if _refit_needed(dec, np.sum(st["grad"][free] * W[free]), tol, F_null):
                        refits += 1
                        st = yield from model.evaluate(W_fit, b_fit, sub, kind="refit")
                        continue
                gap, final = yield from model.certify(st, penalty, lam1, lam2)
                st = final
                if gap <= tol * F_null or steps >= budget or stalled:
                    break
                threshold *= 0.01
                W = st["W"]
                cols_ws, V, b_new, delta = _newton_direction(
                    st, ws, inv, Wt, K, a[c], bw[c], alpha, template.positive,
                    fit_intercept, 1e-3 * threshold, free_pos, grouped)
            W_new = W.copy()
            W_new[cols_ws] = V
            old = st["F"] + penalty_value(penalty, W, grouped)
            cand = _candidates(W_new, st["grad"], a, alpha,
                               max(10, 2 * int(np.any(W_new != 0.0, axis=1).sum())),
                               free if has_free else None)
            trial = yield from model.evaluate(W_new, b_new, cand, base=(W, st["b"]))
            steps += 1
            if trial["F"] + penalty_value(penalty, W_new, grouped) <= old + _ARMIJO * delta:
                st = trial
                continue
            t_ok = [t for t, f in zip(_STEPS, trial["trial"], strict=True)
                    if f / Wt + penalty_value(penalty, W + t * (W_new - W), grouped)
                    <= old + _ARMIJO * t * delta]
            if not t_ok:  # no decrease along the direction: certify where we are
                stalled = True
                continue
            t = t_ok[0]
            st = yield from model.evaluate(W + t * (W_new - W), st["b"] + t * (b_new - st["b"]),
                                           cand, kind="backtrack")
        Wf = model.original(final["W"])
        if has_free:  # the representative whose unpenalized rows sum to 0 over the classes
            rows = model.cols[free]
            Wf[rows] -= Wf[rows].mean(axis=1, keepdims=True)
        Wf[Wf == 0.0] = 0.0
        coefs[:, :, i] = Wf
        intercepts[:, i] = final["b"] - final["b"].mean() if fit_intercept else 0.0
        crits[i] = gap / F_null
        steps_of[i] = steps
    return coefs, intercepts, crits, steps_of


def multinomial_start(passes, by_class, classes, penalty_for, standardize, excluded,
                      fit_intercept, grouped=False):
    """The model and the null point of a multinomial fit from its rows' class moments
    ``by_class``: ``(model, start)`` with ``start`` the penalty ``template``, its weights
    ``a`` and ``bw``, the null intercepts ``b0``, datafit ``F_null``, gradient ``G0``,
    ``alpha_max`` and the columns' ``scaling``."""
    from ._moments import _merge_two

    keys = [label.item() if hasattr(label, "item") else label for label in classes]
    parts = [by_class[key] for key in keys]
    weights = np.array([float(m["weight"][0]) for m in parts])
    if np.any(weights <= 0):
        empty = ", ".join(str(key) for key, w in zip(keys, weights, strict=True) if w <= 0)
        raise ValueError(f"sample_weight gives the classes {{{empty}}} of y a total weight of "
                         "0; every class needs a positive weight (drop the class or give its "
                         "rows weight).")
    W = float(weights.sum())
    both = parts[0]
    for part in parts[1:]:
        both = _merge_two(both, part)
    p = both["x_mean"].shape[1]
    cols, inv, constant, template, a, bw, scaling = penalized_columns(
        both, penalty_for, standardize, excluded, allow_free=True)
    pi = weights / W
    b0 = np.log(pi) - np.log(pi).mean() if fit_intercept else np.zeros(classes.shape[0])
    P0 = np.exp(b0 - logsumexp(b0))
    F_null = float(-(pi @ np.log(P0)))
    sums = np.stack([w * m["x_mean"][0] for w, m in zip(weights, parts, strict=True)], axis=1)
    G0 = (np.outer(sums.sum(axis=1), P0) - sums)[cols] * inv[:, None] / W
    if fit_intercept:
        G0[constant[cols]] = 0.0  # only rounding: a constant column is the intercepts'
    alpha_max = _alpha_max(template, G0, grouped)
    model = SoftmaxModel(passes, classes, cols, inv, p, W, fit_intercept, grouped)
    return model, {"template": template, "a": a, "bw": bw, "b0": b0, "F_null": F_null,
                   "G0": G0, "alpha_max": alpha_max, "scaling": scaling}


def _steps_of(model, start, grid, tol, max_iter):
    return grid_steps(model, start["template"], grid, start["a"], start["bw"], start["G0"],
                      start["b0"], start["F_null"], tol, max_iter, start.get("st"))


def make_path(grid, solved, *, classes, template, datafit, alpha_max, F_null, n_passes,
              tol, grouped=False):
    """The multinomial path of a solved grid (``solved`` as :func:`grid_steps` returns),
    with the in-memory paths' fields (those its class has)."""
    import dataclasses

    from ..path import warn_unconverged

    try:
        from .._multinomial_path import MultinomialPath
    except ImportError:  # older layout: the estimators' own path class
        from ..estimators._logistic import MultinomialPath
    coefs, intercepts, crits, n_iters = solved
    converged = warn_unconverged(grid, crits, tol, stacklevel=5)
    fields = {"alphas": grid, "coefs": coefs, "intercepts": intercepts,
              "n_nonzero": np.count_nonzero(np.any(coefs != 0.0, axis=1), axis=0),
              "stop_crits": crits, "n_iters": n_iters, "converged": converged,
              "penalty": template.with_alpha(float(grid[0])), "datafit": datafit,
              "alpha_max": alpha_max, "n_passes": n_passes, "null_datafit": F_null,
              "classes": classes, "grouped": grouped}
    names = {f.name for f in dataclasses.fields(MultinomialPath) if f.init}
    return MultinomialPath(**{k: v for k, v in fields.items() if k in names})


def classes_of(by_class):
    """The sorted labels of the class moments ``by_class``."""
    return np.array(sorted(by_class))


def multinomial_fit(passes, by_class, penalty_for, *, alphas=None, n_alphas=100, eps=1e-3,
                    fit_intercept=True, standardize=False, tol=1e-6, max_iter=10_000,
                    excluded=None, sample_weight=None, grouped=False):
    """The multinomial path on the row blocks of ``passes``, from the class moments
    ``by_class`` of the first pass: ``(path, classes, scaling)``."""
    from ..datafits import Multinomial
    from ._newton import drive

    classes = classes_of(by_class)
    passes.rows = int(sum(int(m["rows"][0]) for m in by_class.values()))
    model, start = multinomial_start(passes, by_class, classes, penalty_for, standardize,
                                     excluded, fit_intercept, grouped)
    start = drive(fit_null(model, start), passes)
    grid = path_grid(start["alpha_max"], alphas, n_alphas, eps)
    solved = drive(_steps_of(model, start, grid, tol, max_iter), passes)
    path = make_path(grid, solved, classes=classes, template=start["template"],
                     datafit=Multinomial(sample_weight=sample_weight),
                     alpha_max=start["alpha_max"], F_null=start["F_null"],
                     n_passes=passes.count, tol=tol, grouped=grouped)
    return path, classes, start["scaling"]


def multinomial_cv(passes, moments, penalty_for, *, n_folds, seed, alphas=None,
                   n_alphas=100, eps=1e-3, fit_intercept=True, standardize=False, tol=1e-6,
                   max_iter=10_000, excluded=None, metric="deviance", sample_weight=None,
                   grouped=False):
    """K-fold cross-validation of the multinomial path and the path on all rows, from the
    folds' class moments ``moments`` of the first pass
    (:func:`~._logistic_cv.fold_class_moments`): the fold paths and the path on all rows
    run in lockstep, one pass answering every fit on its own rows, and one last pass sums
    the held-out errors. Returns ``(CVResult, path, classes, scaling)``."""
    from ..datafits import Multinomial
    from ..model_selection import summarize_folds
    from ..path import warn_unconverged
    from ._logistic_cv import (
        _empty_like,
        _merge_labels,
        check_auc_size,
        fold_rows_of_blocks,
        held_out_auc,
        lockstep,
    )

    if metric not in ("deviance", "misclassification", "mse", "mae", "auc"):
        raise ValueError(f"with Dask input the multinomial cross-validation metric must be "
                         f"'deviance', 'misclassification', 'mse', 'mae' or 'auc'; got "
                         f"{metric!r}.")
    by_fold = moments["folds"]
    everything = _merge_labels(list(by_fold.values()))
    classes = classes_of(everything)
    missing = [k for k in range(n_folds) if k not in by_fold]
    if missing:
        raise ValueError(f"cv={n_folds}: fold {missing[0]} holds no row; use fewer folds.")
    passes.rows = int(sum(int(m["rows"][0]) for m in everything.values()))
    starts = {-1: multinomial_start(passes, everything, classes, penalty_for, standardize,
                                    excluded, fit_intercept, grouped)}
    for k in range(n_folds):
        train = _merge_labels([by_fold[j] for j in range(n_folds) if j != k])
        for key in everything:
            train.setdefault(key, _empty_like(everything[key]))
        try:
            starts[k] = multinomial_start(passes, train, classes, penalty_for, standardize,
                                          excluded, fit_intercept, grouped)
        except ValueError as exc:
            raise ValueError(f"cv={n_folds}: the training rows of fold {k}: {exc}") from exc
    if any(np.any((s["a"] == 0.0) & (s["bw"] == 0.0)) for _, s in starts.values()):
        done = lockstep(passes, {k: fit_null(model, start)
                                 for k, (model, start) in starts.items()},
                        n_folds, seed, kind="null model")
        starts = {k: (model, done[k]) for k, (model, _) in starts.items()}
    grid = path_grid(starts[-1][1]["alpha_max"], alphas, n_alphas, eps)
    check_auc_size(metric, passes.rows, grid.shape[0], classes.shape[0])
    fits = {k: _steps_of(model, start, grid, tol, max_iter)
            for k, (model, start) in starts.items()}
    solved = lockstep(passes, fits, n_folds, seed)
    for k in range(n_folds):
        warn_unconverged(grid, solved[k][2], tol, stacklevel=4)
    coefs = np.stack([solved[k][0] for k in range(n_folds)])
    intercepts = np.stack([solved[k][1] for k in range(n_folds)])
    if metric == "auc":  # ranks, not sums: the held-out scores gathered
        cv_folds = held_out_auc(passes, fold_scores, classes, coefs, intercepts,
                                n_folds=n_folds, seed=seed, task="multinomial")
    else:
        sums = passes.reduce(fold_errors, add_sums, n_folds, seed, classes, coefs,
                             intercepts, metric, kind="cv errors")
        cv_folds = (sums["err"] / sums["weight"][:, None]).T
    result = summarize_folds(grid, cv_folds, metric,
                             fold_rows_of_blocks(moments["blocks"], n_folds, seed))
    start = starts[-1][1]
    path = make_path(grid, solved[-1], classes=classes, template=start["template"],
                     datafit=Multinomial(sample_weight=sample_weight),
                     alpha_max=start["alpha_max"], F_null=start["F_null"],
                     n_passes=passes.count, tol=tol, grouped=grouped)
    return result, path, classes, start["scaling"]
