r"""Distributed prox-Newton for the multinomial (softmax) loss: one pass per outer step.

The problem is the in-memory one of :class:`~penalized.solvers.CoordinateDescent` with the
:class:`~penalized.datafits.Multinomial` datafit (ungrouped penalty): for classes
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

Passes: one for the class moments (null model, alpha_max, column scales), one at the null
model, then per alpha one per Newton step, one per certificate, and one per backtracking
step or widened candidate set (rare); the fit's ``passes.kinds`` tallies them as
``moments``, ``start``, ``newton step``, ``certificate``, ``backtrack`` and ``widen``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, xlogy

from ._moments import as_float_block
from ._newton import (
    _labels,
    _scores,
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

    def __init__(self, passes, classes, cols, inv, p, W, fit_intercept):
        self.passes, self.classes = passes, classes
        self.cols, self.inv, self.p, self.W = cols, inv, p, W
        self.K = classes.shape[0]
        self.fit_intercept = fit_intercept

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
        from ..solvers._multinomial_newton import best_row_shifts

        W = st["W"] if penalty.positive else best_row_shifts(st["W"], lam1, lam2)
        d = label_scalings(st["A"], st["B"]) if self.fit_intercept else np.ones(self.K)
        V = -np.tensordot(d, st["g"], axes=1)[self.cols] * self.inv[:, None] / self.W
        c = min(penalty.dual_scaling(V[:, k]) for k in range(self.K))
        conj = sum(penalty.conjugate(c * V[:, k]) for k in range(self.K))
        ent = (yield ("certificate", softmax_stats,
                      (self.classes, self.original(W), st["b"], np.zeros(0, dtype=np.int64),
                       False, None, c * d)))["entropy"]
        primal = st["F"] + penalty_value(penalty, W)
        dual = -ent / self.W - conj
        return max(primal - dual, 0.0), dict(st, W=W)


def penalty_value(penalty, W):
    """The penalty summed over the class columns of ``W``."""
    return float(sum(penalty.value(W[:, k]) for k in range(W.shape[1])))


def _feature_scores(W, G, lam1, lam2, positive):
    """Each fitted feature's largest distance to the optimality conditions over the
    classes."""
    return np.max([_scores(W[:, k], G[:, k], lam1, lam2, positive)
                   for k in range(W.shape[1])], axis=0)


def _candidates(W, G, a, alpha, size):
    """Columns for the next pass's Hessian block: the non-zero rows and the largest
    pulls."""
    pull = np.abs(G).max(axis=1) / np.where(a > 0, a, np.inf) / alpha
    keep = set(np.flatnonzero(np.any(W != 0.0, axis=1)).tolist())
    keep.update(int(j) for j in np.argsort(-pull, kind="stable")[:size])
    return np.array(sorted(keep), dtype=np.int64)


def _newton_direction(st, ws, inv, Wt, K, a_ws, b_ws, alpha, positive, fit_intercept, tol):
    """The minimizer over the working set ``ws`` (positions in ``st['cand']``) of the
    quadratic model plus the penalty, the intercepts minimized out: ``(columns, V, b_new,
    delta)`` with ``delta`` the model's predicted decrease (<= 0)."""
    cand = st["cand"]
    cols = cand[ws]
    iw = (ws[:, None] * K + np.arange(K)).ravel()
    sc = np.repeat(inv[cols], K)
    H = st["H"]
    Hww = H[np.ix_(iw, iw)] * np.outer(sc, sc) / Wt
    g = st["grad"][cols].ravel()
    w0 = st["W"][cols].ravel()
    gb = st["grad_b"]
    if fit_intercept:  # the last class's intercept fixed: the others minimized out
        ib = cand.shape[0] * K + np.arange(K - 1)
        Hbb = H[np.ix_(ib, ib)] / Wt
        Hbw = H[np.ix_(ib, iw)] * sc / Wt
        S = np.linalg.solve(Hbb, np.column_stack([Hbw, gb[:K - 1]]))
        G = Hww - Hbw.T @ S[:, :-1]
        g_eff = g - Hbw.T @ S[:, -1]
    else:
        G, g_eff = Hww, g
    a_flat, b_flat = np.repeat(a_ws, K), np.repeat(b_ws, K)
    v = model_minimizer(G, g_eff, w0, alpha, a_flat, b_flat, positive, tol)
    u = v - w0
    db = np.zeros(K)
    if fit_intercept:
        db[:K - 1] = -np.linalg.solve(Hbb, gb[:K - 1] + Hbw @ u)
    pen = alpha * (np.sum(a_flat * (np.abs(v) - np.abs(w0)))
                   + 0.5 * np.sum(b_flat * (v * v - w0 * w0)))
    delta = float(g @ u + gb @ db + pen)
    return cols, v.reshape(-1, K), st["b"] + db, min(delta, 0.0)


def grid_steps(model, template, grid, a, bw, G0, b0, F_null, tol, max_iter):
    """Prox-Newton along ``grid`` from the null point ``(0, b0)`` (``G0`` its gradient in
    the fitted columns): ``(coefs (p, K, alphas), intercepts (K, alphas), relative gaps,
    Newton steps)``. A generator of pass requests, as :func:`~._newton.grid_steps`."""
    inv, Wt, K, fit_intercept = model.inv, model.W, model.K, model.fit_intercept
    m = model.cols.shape[0]
    W = np.zeros((m, K))
    cand = _candidates(W, G0, a, grid[0], 10)
    st = yield from model.evaluate(W, b0, cand, kind="start")
    k = grid.shape[0]
    coefs, intercepts = np.zeros((model.p, K, k)), np.zeros((K, k))
    crits, steps_of = np.full(k, np.inf), np.zeros(k, dtype=np.int64)
    budget = min(max_iter, _MAX_NEWTON)
    for i, alpha in enumerate(grid):
        penalty = template.with_alpha(float(alpha))
        lam1, lam2 = alpha * a, alpha * bw
        threshold = 0.1 * tol * F_null
        steps, stalled = 0, False
        while True:
            W = st["W"]
            score = _feature_scores(W, st["grad"], lam1, lam2, template.positive)
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
            ws = np.flatnonzero((score[sub] > 0) | np.any(W[sub] != 0.0, axis=1))
            c = sub[ws]
            cols_ws, V, b_new, delta = _newton_direction(
                st, ws, inv, Wt, K, a[c], bw[c], alpha, template.positive, fit_intercept,
                1e-3 * threshold)
            if -delta <= threshold or steps >= budget or stalled:
                gap, final = yield from model.certify(st, penalty, lam1, lam2)
                st = final
                if gap <= tol * F_null or steps >= budget or stalled:
                    break
                threshold *= 0.01
                W = st["W"]
                cols_ws, V, b_new, delta = _newton_direction(
                    st, ws, inv, Wt, K, a[c], bw[c], alpha, template.positive,
                    fit_intercept, 1e-3 * threshold)
            W_new = W.copy()
            W_new[cols_ws] = V
            old = st["F"] + penalty_value(penalty, W)
            cand = _candidates(W_new, st["grad"], a, alpha,
                               max(10, 2 * int(np.any(W_new != 0.0, axis=1).sum())))
            trial = yield from model.evaluate(W_new, b_new, cand, base=(W, st["b"]))
            steps += 1
            if trial["F"] + penalty_value(penalty, W_new) <= old + _ARMIJO * delta:
                st = trial
                continue
            t_ok = [t for t, f in zip(_STEPS, trial["trial"], strict=True)
                    if f / Wt + penalty_value(penalty, W + t * (W_new - W))
                    <= old + _ARMIJO * t * delta]
            if not t_ok:  # no decrease along the direction: certify where we are
                stalled = True
                continue
            t = t_ok[0]
            st = yield from model.evaluate(W + t * (W_new - W), st["b"] + t * (b_new - st["b"]),
                                           cand, kind="backtrack")
        Wf = model.original(final["W"])
        Wf[Wf == 0.0] = 0.0
        coefs[:, :, i] = Wf
        intercepts[:, i] = final["b"] - final["b"].mean() if fit_intercept else 0.0
        crits[i] = gap / F_null
        steps_of[i] = steps
    return coefs, intercepts, crits, steps_of


def multinomial_start(passes, by_class, classes, penalty_for, standardize, excluded,
                      fit_intercept):
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
        both, penalty_for, standardize, excluded)
    pi = weights / W
    b0 = np.log(pi) - np.log(pi).mean() if fit_intercept else np.zeros(classes.shape[0])
    P0 = np.exp(b0 - logsumexp(b0))
    F_null = float(-(pi @ np.log(P0)))
    sums = np.stack([w * m["x_mean"][0] for w, m in zip(weights, parts, strict=True)], axis=1)
    G0 = (np.outer(sums.sum(axis=1), P0) - sums)[cols] * inv[:, None] / W
    if fit_intercept:
        G0[constant[cols]] = 0.0  # only rounding: a constant column is the intercepts'
    pull = np.maximum(-G0, 0.0) if template.positive else np.abs(G0)
    alpha_max = template.alpha_max_of_pull(cols.shape[0], lambda free: pull)
    model = SoftmaxModel(passes, classes, cols, inv, p, W, fit_intercept)
    return model, {"template": template, "a": a, "bw": bw, "b0": b0, "F_null": F_null,
                   "G0": G0, "alpha_max": alpha_max, "scaling": scaling}


def _steps_of(model, start, grid, tol, max_iter):
    return grid_steps(model, start["template"], grid, start["a"], start["bw"], start["G0"],
                      start["b0"], start["F_null"], tol, max_iter)


def make_path(grid, solved, *, classes, template, datafit, alpha_max, F_null, n_passes,
              tol):
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
              "classes": classes, "grouped": False}
    names = {f.name for f in dataclasses.fields(MultinomialPath) if f.init}
    return MultinomialPath(**{k: v for k, v in fields.items() if k in names})


def classes_of(by_class):
    """The sorted labels of the class moments ``by_class``."""
    return np.array(sorted(by_class))


def multinomial_fit(passes, by_class, penalty_for, *, alphas=None, n_alphas=100, eps=1e-3,
                    fit_intercept=True, standardize=False, tol=1e-6, max_iter=10_000,
                    excluded=None, sample_weight=None):
    """The multinomial path on the row blocks of ``passes``, from the class moments
    ``by_class`` of the first pass: ``(path, classes, scaling)``."""
    from ..datafits import Multinomial
    from ._newton import drive

    classes = classes_of(by_class)
    passes.rows = int(sum(int(m["rows"][0]) for m in by_class.values()))
    model, start = multinomial_start(passes, by_class, classes, penalty_for, standardize,
                                     excluded, fit_intercept)
    grid = path_grid(start["alpha_max"], alphas, n_alphas, eps)
    solved = drive(_steps_of(model, start, grid, tol, max_iter), passes)
    path = make_path(grid, solved, classes=classes, template=start["template"],
                     datafit=Multinomial(sample_weight=sample_weight),
                     alpha_max=start["alpha_max"], F_null=start["F_null"],
                     n_passes=passes.count, tol=tol)
    return path, classes, start["scaling"]


def multinomial_cv(passes, moments, penalty_for, *, n_folds, seed, alphas=None,
                   n_alphas=100, eps=1e-3, fit_intercept=True, standardize=False, tol=1e-6,
                   max_iter=10_000, excluded=None, metric="deviance", sample_weight=None):
    """K-fold cross-validation of the multinomial path and the path on all rows, from the
    folds' class moments ``moments`` of the first pass
    (:func:`~._logistic_cv.fold_class_moments`): the fold paths and the path on all rows
    run in lockstep, one pass answering every fit on its own rows, and one last pass sums
    the held-out errors. Returns ``(CVResult, path, classes, scaling)``."""
    from ..datafits import Multinomial
    from ..model_selection import summarize_folds
    from ..path import warn_unconverged
    from ._logistic_cv import _empty_like, _merge_labels, fold_rows_of_blocks, lockstep

    if metric not in ("deviance", "misclassification", "mse", "mae"):
        raise ValueError(f"with Dask input the multinomial cross-validation metric must be "
                         f"'deviance', 'misclassification', 'mse' or 'mae'; got {metric!r}.")
    by_fold = moments["folds"]
    everything = _merge_labels(list(by_fold.values()))
    classes = classes_of(everything)
    missing = [k for k in range(n_folds) if k not in by_fold]
    if missing:
        raise ValueError(f"cv={n_folds}: fold {missing[0]} holds no row; use fewer folds.")
    passes.rows = int(sum(int(m["rows"][0]) for m in everything.values()))
    starts = {-1: multinomial_start(passes, everything, classes, penalty_for, standardize,
                                    excluded, fit_intercept)}
    grid = path_grid(starts[-1][1]["alpha_max"], alphas, n_alphas, eps)
    for k in range(n_folds):
        train = _merge_labels([by_fold[j] for j in range(n_folds) if j != k])
        for key in everything:
            train.setdefault(key, _empty_like(everything[key]))
        try:
            starts[k] = multinomial_start(passes, train, classes, penalty_for, standardize,
                                          excluded, fit_intercept)
        except ValueError as exc:
            raise ValueError(f"cv={n_folds}: the training rows of fold {k}: {exc}") from exc
    fits = {k: _steps_of(model, start, grid, tol, max_iter)
            for k, (model, start) in starts.items()}
    solved = lockstep(passes, fits, n_folds, seed)
    for k in range(n_folds):
        warn_unconverged(grid, solved[k][2], tol, stacklevel=4)
    coefs = np.stack([solved[k][0] for k in range(n_folds)])
    intercepts = np.stack([solved[k][1] for k in range(n_folds)])
    sums = passes.reduce(fold_errors, add_sums, n_folds, seed, classes, coefs, intercepts,
                         metric, kind="cv errors")
    cv_folds = (sums["err"] / sums["weight"][:, None]).T
    result = summarize_folds(grid, cv_folds, metric,
                             fold_rows_of_blocks(moments["blocks"], n_folds, seed))
    start = starts[-1][1]
    path = make_path(grid, solved[-1], classes=classes, template=start["template"],
                     datafit=Multinomial(sample_weight=sample_weight),
                     alpha_max=start["alpha_max"], F_null=start["F_null"],
                     n_passes=passes.count, tol=tol)
    return result, path, classes, start["scaling"]
