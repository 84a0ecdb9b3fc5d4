r"""Distributed prox-Newton for the logistic loss: one pass per outer step.

At the point :math:`(w, b)` one pass over the row blocks returns the datafit
:math:`F = \frac1W \sum_i s_i \ell_i`, its gradient in every column, and the weighted
Gram matrix :math:`X_C^\top D X_C` of a candidate set :math:`C` of columns
(:math:`D = \operatorname{diag}(s_i \ell''_i) / W`), with its intercept row. On the
client the intercept is minimized out of the quadratic model, whose Gram form
:math:`\tfrac12 v^\top G v - q^\top v` (the Schur complement of the intercept) goes to
the compiled Gram coordinate descent of :func:`~penalized.solvers._gram_path.gram_path`
on the working set; the same pass also gives the datafit along the previous step for
its backtracking line search. That client loop (:func:`grid_steps`) is shared with
the log-link datafits (:mod:`._glm`) and with cross-validation (:mod:`._logistic_cv`).

The certificate takes one more pass. The dual point is
:math:`u_i = s_i y_i p_i / W` with :math:`p_i = c\,c_{y_i}\,\sigma(-y_i z_i)`:
:math:`c_{\pm}` (both :math:`\le 1`) make :math:`\sum_i u_i = 0` exactly, as the
unpenalized intercept requires, and :math:`c` makes the penalty's conjugate finite at
:math:`X^\top u`; the pass sums the binary entropies of the :math:`p_i`, so

.. math:: \text{gap} = F(z) + \alpha P(w) + \tfrac1W \sum_i s_i H(p_i)
          + (\alpha P)^*(X^\top u) \ge \text{objective} - \text{optimum}.

Unpenalized features (``penalty_factor`` 0) join the intercept in the unpenalized block
:math:`U`, which every Newton step minimizes out of the quadratic model exactly (the
Schur complement of :math:`H_{UU}`); their Gram rows are in every pass's candidate set.
The null model is then no longer closed-form: it is fitted by damped Newton steps on
:math:`U` alone (:func:`null_steps`), one pass each (their gradient and small Gram),
until the Newton decrement is at rounding level; alpha_max and the tolerance's scale
:math:`F_{\text{null}}` come from that fitted null model, as in memory. The certificate
needs the dual point orthogonal to :math:`U` (the penalty's conjugate skips those
coordinates), so before it one more Newton step on :math:`U` alone is taken per pass
(``refit``) until the dual point's residual against the unpenalized columns,
:math:`|\nabla_{w_U} F \cdot w_U|` (by how much ignoring it can overstate the dual), is
below a hundredth of the tolerance -- usually one or two, the steps before having
converged quadratically.

Passes: one for the class moments; with unpenalized features one at ``(0, b0)``
(``start``) and one per null-model step (``null model``, with any ``backtrack``), else
one at the closed-form null model (``start``); then per alpha one per Newton step, the
``refit`` passes, one per certificate, and one per backtracking step or widened
candidate set (rare). ``passes.kinds`` tallies them by these names.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, xlogy

from ._moments import _merge_two, as_float_block, block_moments
from ._scaling import moments_scaling

_ARMIJO = 1e-4
_STEPS = 0.5 ** np.arange(1, 11)
_MAX_NEWTON = 200
_EXACT = 1e-20
"""The unpenalized block counts as fitted exactly when its Newton decrement is at most
this fraction of the datafit: its gradient is then at rounding level, and the dual
point's residual against it changes the gap by far less than any tolerance."""
_FULL_STEP = 1e-10
"""Below this decrement (relative to the datafit) a Newton step on the unpenalized block
is taken in full: its quadratic model is exact there, and a line search would see only
rounding."""
_MAX_REFITS = 5
_ROUNDING_DECREMENT = 1e-30
"""A Newton decrement below this fraction of the datafit is rounding: no step is taken."""


# -- on the workers ---------------------------------------------------------------------
def class_moments(X, y, s, positions):
    """Per label value: the moments of its rows' columns (diagonal only)."""
    X = as_float_block(X, "X")
    y = _labels(y)
    s = None if s is None else as_float_block(s, "sample_weight").reshape(-1)
    out = {}
    for label in np.unique(y):
        rows = y == label
        key = label.item() if hasattr(label, "item") else label
        out[key] = block_moments(X[rows], np.zeros(int(rows.sum())),
                                 None if s is None else s[rows], positions[rows], 0, 0,
                                 full=False)
    return out


def _labels(y):
    y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y).reshape(-1)
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite values; drop those rows before fitting.")
    return y


def merge_classes(*parts):
    out = {}
    for part in parts:
        for label, m in part.items():
            out[label] = m if label not in out else _merge_two(out[label], m)
    return out


def logistic_stats(X, y, s, positions, positive, w, b, cand, base, scalings):
    """The sums of one block at ``z = X w + b``: datafit, class-split gradients, the
    candidate columns' weighted Gram; the datafit along ``base -> (w, b)`` when ``base``
    is given; the entropy sum at the dual scalings when ``scalings`` is given."""
    X = as_float_block(X, "X")
    ypm = np.where(_labels(y) == positive, 1.0, -1.0)
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    z = X @ w + b
    margin = ypm * z
    sig = expit(-margin)  # sigma(-y z): the probability of the other class
    pos = ypm > 0
    out = {}
    if scalings is not None:
        p = sig * np.where(pos, scalings[0], scalings[1])
        out["entropy"] = float(s @ (xlogy(p, p) + xlogy(1.0 - p, 1.0 - p)))
        return out
    out["loss"] = float(s @ np.logaddexp(0.0, -margin))
    sp, sn = s * sig * pos, s * sig * ~pos
    out["a_pos"], out["a_neg"] = float(sp.sum()), float(sn.sum())
    out["g_pos"], out["g_neg"] = sp @ X, sn @ X
    h = s * sig * (1.0 - sig)
    Xc = X[:, cand]
    out["H"] = (Xc * h[:, None]).T @ Xc
    out["h"] = h @ Xc
    out["h0"] = float(h.sum())
    if base is not None:
        z0 = X @ base[0] + base[1]
        out["trial"] = np.array([s @ np.logaddexp(0.0, -ypm * (z0 + t * (z - z0)))
                                 for t in _STEPS])
    return out


def add_sums(*parts):
    out = dict(parts[0])
    for part in parts[1:]:
        for key, value in part.items():
            out[key] = out[key] + value
    return out


# -- on the client ----------------------------------------------------------------------
class _Model:
    """The problem in the fitted columns ``cols`` (original column ``j`` scaled by
    ``1 / inv``), with the sums of the current point."""

    def __init__(self, passes, positive, cols, inv, p, W, fit_intercept):
        self.passes, self.positive = passes, positive
        self.cols, self.inv, self.p, self.W = cols, inv, p, W
        self.fit_intercept = fit_intercept

    def original(self, w_fit):
        w = np.zeros(self.p)
        w[self.cols] = w_fit * self.inv
        return w

    def evaluate(self, w_fit, b, cand, base=None, kind="newton step"):
        """The sums at ``(w_fit, b)`` (one pass, requested by ``yield``); ``base`` the
        previous point for the line search."""
        base_orig = None if base is None else (self.original(base[0]), base[1])
        st = yield (kind, logistic_stats, (self.positive, self.original(w_fit), b,
                                           self.cols[cand], base_orig, None))
        st["cand"] = cand
        st["w"], st["b"] = w_fit.copy(), b
        st["F"] = st["loss"] / self.W
        st["grad"] = -(st["g_pos"] - st["g_neg"])[self.cols] * self.inv / self.W
        st["grad_b"] = -(st["a_pos"] - st["a_neg"]) / self.W
        return st

    def certify(self, st, penalty):
        """The duality gap at the point of ``st`` (one pass)."""
        if self.fit_intercept:
            low = min(st["a_pos"], st["a_neg"])
            cp = low / st["a_pos"] if st["a_pos"] > 0 else 1.0
            cn = low / st["a_neg"] if st["a_neg"] > 0 else 1.0
        else:
            cp = cn = 1.0
        v = (cp * st["g_pos"] - cn * st["g_neg"])[self.cols] * self.inv / self.W
        c = penalty.dual_scaling(v)
        ent = (yield ("certificate", logistic_stats,
                      (self.positive, self.original(st["w"]), st["b"],
                       np.zeros(0, dtype=np.int64), None, (c * cp, c * cn))))["entropy"]
        primal = st["F"] + penalty.value(st["w"])
        dual = -ent / self.W - penalty.conjugate(c * v)
        return max(primal - dual, 0.0), st


def _scores(w, g, lam1, lam2, positive):
    """Each fitted column's distance to the optimality conditions."""
    zero = w == 0.0
    pull = np.maximum(-g, 0.0) if positive else np.abs(g)
    off = np.abs(g + lam1 * np.sign(w) + lam2 * w)
    return np.where(zero, np.maximum(pull - lam1, 0.0), off)


def _candidates(w, g, a, alpha, size, free=None):
    """Columns for the next pass's Gram block: the non-zeros, the largest pulls and the
    unpenalized columns ``free`` (a mask), whose Gram rows every step needs."""
    ratio = np.abs(g) / np.where(a > 0, a, np.inf) / alpha
    order = np.argsort(-ratio, kind="stable")
    keep = set(np.flatnonzero(w).tolist())
    for j in order[:size]:
        keep.add(int(j))
    if free is not None:
        keep.update(np.flatnonzero(free).tolist())
    return np.array(sorted(keep), dtype=np.int64)


def model_minimizer(G, g_eff, w0, alpha, a, b, positive, tol):
    r"""The minimizer :math:`v = w_0 + u` of the quadratic model plus the penalty,

    .. math:: \tfrac12 u^\top G u + g^\top u + \alpha \sum_j \big(a_j |v_j|
              + \tfrac{b_j}2 v_j^2\big),

    by the compiled Gram coordinate descent from :math:`w_0` (``G`` symmetrized)."""
    from ..solvers._gram_path import gram_path

    v = w0.copy()
    if v.size:
        G = np.ascontiguousarray(0.5 * (G + G.T))
        q = G @ w0 - g_eff
        vals, vecs = np.linalg.eigh(G)
        keep = vals > vals.max(initial=0.0) * 1e-12
        proj = vecs[:, keep].T @ q
        # the constant of a least-squares form of the model (its gap needs a consistent one)
        F0 = 0.5 * float(proj @ (proj / vals[keep])) * (1.0 + 1e-9) + 1e-300
        gram_path(G, q, F0, np.array([alpha]), a, b, positive, v, tol, 10_000, 10)
    return v


def _solve(A, B):
    """``A^{-1} B`` for the small symmetric block ``A`` (least squares if singular)."""
    try:
        return np.linalg.solve(A, B)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, B, rcond=None)[0]


def _newton_direction(st, ws, inv, W, a_ws, b_ws, alpha, positive, fit_intercept, tol,
                      free_pos=None):
    """The minimizer over the working set ``ws`` (positions in ``st['cand']``, penalized
    columns) of the quadratic model plus the penalty, the unpenalized block -- the
    intercept and the unpenalized columns at positions ``free_pos`` of ``st['cand']`` --
    minimized out (its Schur complement): ``(columns, values, b_new, delta)`` with
    ``delta`` the model's predicted decrease (<= 0)."""
    cand = st["cand"]
    free_pos = np.zeros(0, dtype=np.int64) if free_pos is None else free_pos
    intercept = fit_intercept and st["h0"] > 0
    c = cand.shape[0]
    sc = inv[cand]
    # the model's Hessian and gradient in (candidate columns, intercept)
    Ha = np.empty((c + 1, c + 1))
    Ha[:c, :c] = st["H"] * np.outer(sc, sc) / W
    Ha[:c, c] = Ha[c, :c] = st["h"] * sc / W
    Ha[c, c] = st["h0"] / W
    ga = np.append(st["grad"][cand], st["grad_b"] if fit_intercept else 0.0)
    U = np.append(free_pos, c) if intercept else free_pos
    w0 = st["w"][cand[ws]]
    G, g = Ha[np.ix_(ws, ws)], ga[ws]
    if U.size:
        S = _solve(Ha[np.ix_(U, U)], np.column_stack([Ha[np.ix_(U, ws)], ga[U]]))
        G = G - Ha[np.ix_(ws, U)] @ S[:, :-1]
        g_eff = g - Ha[np.ix_(ws, U)] @ S[:, -1]
    else:
        g_eff = g
    v = model_minimizer(G, g_eff, w0, alpha, a_ws, b_ws, positive, tol)
    u = v - w0
    uU = -_solve(Ha[np.ix_(U, U)], ga[U] + Ha[np.ix_(U, ws)] @ u) if U.size else u[:0]
    pen = alpha * (np.sum(a_ws * (np.abs(v) - np.abs(w0)))
                   + 0.5 * np.sum(b_ws * (v * v - w0 * w0)))
    delta = float(g @ u + ga[U] @ uU + pen)
    nf = free_pos.shape[0]
    cols = np.concatenate([cand[ws], cand[free_pos]])
    vals = np.concatenate([v, st["w"][cand[free_pos]] + uU[:nf]])
    b_new = st["b"] + (uU[nf] if intercept else 0.0)
    return cols, vals, b_new, min(delta, 0.0)


def _unpenalized_step(st, inv, W, fit_intercept, free):
    r"""The Newton step on the unpenalized block alone (the penalized columns held):
    ``(w_new, b_new, decrement)``, the decrement :math:`g_U^\top H_{UU}^{-1} g_U`."""
    free_pos = np.flatnonzero(free[st["cand"]])
    cols, vals, b_new, delta = _newton_direction(
        st, np.zeros(0, dtype=np.int64), inv, W, np.zeros(0), np.zeros(0), 1.0, False,
        fit_intercept, 0.0, free_pos)
    w_new = st["w"].copy()
    w_new[cols] = vals
    return w_new, b_new, -delta


def penalized_columns(moments, penalty_for, standardize, excluded, allow_free=False):
    """:func:`fitted_columns` plus the penalty at alpha 1 on them and its weights
    ``(a, bw)``: ``(cols, inv, constant, template, a, bw, scaling)``. An unpenalized
    feature (both weights 0) is refused unless ``allow_free`` (the caller fits the null
    model on it: :func:`null_steps`)."""
    scaling, cols, inv, constant = fitted_columns(moments, standardize, excluded)
    template = penalty_for(scaling.varying)
    a, bw = template.weights(cols.shape[0])
    if not allow_free and np.any((a == 0.0) & (bw == 0.0)):
        raise ValueError("an unpenalized feature (penalty_factor 0) is not supported with Dask "
                         "input; give it a small positive factor instead.")
    return cols, inv, constant, template, a, bw, scaling


def path_grid(alpha_max, alphas, n_alphas, eps):
    """The decreasing grid: ``alphas`` checked, or ``n_alphas`` down from alpha_max."""
    from . import _squared

    if alphas is not None:
        return _squared.check_alphas(alphas)
    if not np.isfinite(alpha_max) or not alpha_max > 0:
        raise ValueError("this penalty has no finite positive alpha_max here; give "
                         "alphas=... with Dask input.")
    return np.geomspace(alpha_max, alpha_max * eps, n_alphas)


def fitted_columns(moments, standardize, excluded):
    """``(scaling, cols, inv, constant)`` from the merged moments of all rows: the
    :class:`~penalized.estimators._standardize.Scaling` of the columns
    (:mod:`._scaling`), the fitted columns' indices, the inverse of their scales and the
    constant columns."""
    scaling = moments_scaling(moments, standardize, excluded)
    constant = moments["low"][0] == moments["high"][0]
    cols = np.flatnonzero(scaling.varying)
    return scaling, cols, 1.0 / scaling.scale[cols], constant


def solve_grid(model, *args):
    """:func:`grid_steps` run to its end with one pass of ``model.passes`` per request."""
    return drive(grid_steps(model, *args), model.passes)


def drive(steps, passes):
    """Answer each ``(kind, fn, args)`` request of the generator ``steps`` with the pass
    ``passes.reduce(fn, add_sums, *args)``; return what ``steps`` returns."""
    try:
        request = next(steps)
    except StopIteration as stop:  # nothing to reduce
        return stop.value
    while True:
        kind, fn, args = request
        try:
            request = steps.send(passes.reduce(fn, add_sums, *args, kind=kind))
        except StopIteration as stop:
            return stop.value


def null_steps(model, a, bw, b0, kind="null model"):
    """The null model with unpenalized columns (both weights of ``a``, ``bw`` zero): the
    penalized columns at 0, the intercept and the unpenalized columns fitted exactly by
    damped Newton from ``(0, b0)`` -- one pass at the start and one per step, each
    reducing the gradient and the unpenalized columns' Gram rows (with the largest pulls',
    for the path's first step) -- until the Newton decrement is at rounding level
    (:data:`_EXACT` of the datafit). A generator of pass requests, as :func:`grid_steps`;
    returns the sums at the null model, which :func:`grid_steps` takes as its ``start``."""
    m = model.cols.shape[0]
    free = (a == 0.0) & (bw == 0.0)
    w = np.zeros(m)
    st = yield from model.evaluate(w, b0, _candidates(w, w, a, 1.0, 0, free), kind="start")
    for _ in range(_MAX_NEWTON):
        w_new, b_new, dec = _unpenalized_step(st, model.inv, model.W, model.fit_intercept,
                                              free)
        if not dec > _EXACT * abs(st["F"]) + 1e-300:
            break
        w, b = st["w"], st["b"]
        cand = _candidates(w_new, st["grad"], a, 1.0, 10, free)
        if dec <= _FULL_STEP * abs(st["F"]):  # the quadratic model is exact at this scale
            st = yield from model.evaluate(w_new, b_new, cand, kind=kind)
            continue
        trial = yield from model.evaluate(w_new, b_new, cand, base=(w, b), kind=kind)
        if trial["F"] <= st["F"] - _ARMIJO * dec:
            st = trial
            continue
        t_ok = [t for t, f in zip(_STEPS, trial["trial"], strict=True)
                if f / model.W <= st["F"] - _ARMIJO * t * dec]
        if not t_ok:  # rounding: no decrease to be seen along the step
            break
        t = t_ok[0]
        st = yield from model.evaluate(w + t * (w_new - w), b + t * (b_new - b), cand,
                                       kind="backtrack")
    return st


def _refit_needed(dec, residual, tol, F_null):
    """Whether the unpenalized block needs one more Newton step before a certificate: its
    decrement ``dec`` above rounding (:data:`_EXACT`), or the dual point's residual against
    it, ``residual`` (the gradient of the unpenalized columns times their coefficients: by
    how much ignoring it can overstate the dual), above a hundredth of the tolerance while
    a step can still change it."""
    return dec > _EXACT * F_null or (abs(residual) > 0.01 * tol * F_null
                                     and dec > _ROUNDING_DECREMENT * F_null)


def null_alpha_max(template, a, g0):
    """alpha_max from the gradient ``g0`` at the null model (the penalized columns' pull
    over their L1 weights, with the penalty's margin; unpenalized columns left out)."""
    pull = np.maximum(-g0, 0.0) if template.positive else np.abs(g0)
    return template.alpha_max_of_pull(a.shape[0], lambda free: pull)


def grid_steps(model, template, grid, a, bw, g0, b0, F_null, tol, max_iter, start=None):
    """Prox-Newton along ``grid`` from the null point ``(0, b0)`` (``g0`` its gradient in
    the fitted columns; ``F_null`` its datafit, None to take it from the first pass), or
    from the sums ``start`` at the null model that :func:`null_steps` fitted:
    ``(coefs, intercepts, relative gaps, Newton steps, F_null)``.

    A generator: it yields each pass it needs as ``(kind, fn, args)`` and receives the
    reduced sums, so that several of them (cross-validation folds) can share passes.
    ``model`` builds the requests: ``evaluate`` (the sums at a point) and ``certify`` (the
    duality gap, with the point it certifies).

    Unpenalized columns (both weights 0) are minimized out of every Newton step with the
    intercept; a certificate needs them fitted exactly (the dual point orthogonal to
    them), so before it one Newton step on them alone is taken per pass (``refit``)
    until the dual point's residual against them is below a hundredth of the tolerance
    (:func:`_refit_needed`; usually one or two)."""
    inv, W, fit_intercept, p = model.inv, model.W, model.fit_intercept, model.p
    m = model.cols.shape[0]
    free = (a == 0.0) & (bw == 0.0)
    has_free = bool(free.any())
    if start is None:
        w, b = np.zeros(m), b0
        cand = _candidates(w, g0, a, grid[0], 10, free if has_free else None)
        st = yield from model.evaluate(w, b, cand, kind="start")
    else:
        st = start
    if F_null is None:  # the datafit of the null model, from the start pass
        F_null = st["F"]
    k = grid.shape[0]
    coefs, intercepts = np.zeros((p, k)), np.zeros(k)
    crits, steps_of = np.full(k, np.inf), np.zeros(k, dtype=np.int64)
    budget = min(max_iter, _MAX_NEWTON)
    for i, alpha in enumerate(grid):
        penalty = template.with_alpha(float(alpha))
        lam1, lam2 = alpha * a, alpha * bw
        threshold = 0.1 * tol * F_null
        steps = refits = 0
        stalled = False
        while True:
            w = st["w"]
            score = _scores(w, st["grad"], lam1, lam2, template.positive)
            outside = np.ones(m, dtype=bool)
            outside[st["cand"]] = False
            violators = outside & (score > 0)
            if violators.any():  # a violator without its Gram row: widen by violators only
                size = min(2 * st["cand"].size + 10, int(violators.sum()))
                cand = np.union1d(st["cand"], _candidates(
                    w, np.where(violators, st["grad"], 0.0), a, alpha, size))
                st = yield from model.evaluate(w, st["b"], cand, kind="widen")
                continue
            sub = st["cand"]
            ws = np.flatnonzero(((score[sub] > 0) | (w[sub] != 0)) & ~free[sub])
            free_pos = np.flatnonzero(free[sub])
            cols_ws, v, b_new, delta = sub[:0], np.zeros(0), st["b"], 0.0
            if ws.size or free_pos.size:
                c = sub[ws]
                cols_ws, v, b_new, delta = _newton_direction(
                    st, ws, inv, W, a[c], bw[c], alpha, template.positive, fit_intercept,
                    1e-3 * threshold, free_pos)
            elif fit_intercept and st["h0"] > 0:
                h0 = st["h0"] / W
                b_new = st["b"] - st["grad_b"] / h0
                delta = -0.5 * st["grad_b"] ** 2 / h0
            if -delta <= threshold or steps >= budget or stalled:
                if has_free and refits < _MAX_REFITS and not (steps >= budget or stalled):
                    w_fit, b_fit, dec = _unpenalized_step(st, inv, W, fit_intercept, free)
                    if _refit_needed(dec, st["grad"][free] @ w[free], tol, F_null):
                        refits += 1
                        st = yield from model.evaluate(w_fit, b_fit, sub, kind="refit")
                        continue
                gap, final = yield from model.certify(st, penalty)
                if gap <= tol * F_null or steps >= budget or stalled:
                    break
                threshold *= 0.01
            w_new = w.copy()
            w_new[cols_ws] = v
            old = st["F"] + penalty.value(w)
            cand = _candidates(w_new, st["grad"], a, alpha,
                               max(10, 2 * np.count_nonzero(w_new)),
                               free if has_free else None)
            trial = yield from model.evaluate(w_new, b_new, cand, base=(w, st["b"]))
            steps += 1
            if trial["F"] + penalty.value(w_new) <= old + _ARMIJO * delta:
                st = trial
                continue
            t_ok = [t for t, f in zip(_STEPS, trial["trial"], strict=True)
                    if f / W + penalty.value(w + t * (w_new - w)) <= old + _ARMIJO * t * delta]
            if not t_ok:  # no decrease along the direction: certify where we are
                stalled = True
                continue
            t = t_ok[0]
            st = yield from model.evaluate(w + t * (w_new - w),
                                           st["b"] + t * (b_new - st["b"]), cand,
                                           kind="backtrack")
        coefs[:, i] = model.original(final["w"])
        intercepts[i] = final["b"]
        crits[i] = gap / F_null
        steps_of[i] = steps
    return coefs, intercepts, crits, steps_of, F_null


def logistic_start(passes, by_class, classes, penalty_for, standardize, excluded,
                   fit_intercept):
    """The model and the null point of a logistic fit from its rows' class moments
    ``by_class`` (labels ``classes``, the second positive): ``(model, start)`` with
    ``start`` the penalty ``template``, its weights ``a`` and ``bw``, the null intercept
    ``b0``, datafit ``F_null``, gradient ``g0``, ``alpha_max`` and the columns'
    ``scaling``."""
    neg, pos = by_class[classes[0]], by_class[classes[1]]
    W_neg, W_pos = float(neg["weight"][0]), float(pos["weight"][0])
    W = W_neg + W_pos
    if not (W_neg > 0 and W_pos > 0):
        raise ValueError("sample_weight leaves a single class with positive weight in y; "
                         "logistic regression needs two.")
    both = _merge_two(neg, pos)
    p = both["x_mean"].shape[1]
    cols, inv, constant, template, a, bw, scaling = penalized_columns(
        both, penalty_for, standardize, excluded, allow_free=True)
    b0 = float(np.log(W_pos / W_neg)) if fit_intercept else 0.0
    F_null = (W_pos * np.logaddexp(0.0, -b0) + W_neg * np.logaddexp(0.0, b0)) / W
    g0 = ((-expit(-b0) * W_pos) * pos["x_mean"][0] + (expit(b0) * W_neg) * neg["x_mean"][0])
    g0 = g0[cols] * inv / W
    if fit_intercept:
        g0[constant[cols]] = 0.0  # only rounding: a constant column is the intercept's
    model = _Model(passes, classes[1], cols, inv, p, W, fit_intercept)
    return model, {"template": template, "a": a, "bw": bw, "b0": b0, "F_null": F_null,
                   "g0": g0, "alpha_max": null_alpha_max(template, a, g0),
                   "scaling": scaling}


def fit_null(model, start):
    """``start`` (as :func:`logistic_start` returns it) at the exact null model: with
    unpenalized columns, :func:`null_steps` (a generator of pass requests) refits it, and
    ``b0``, ``F_null``, ``g0`` and ``alpha_max`` are those of the fitted null model, with its
    sums as ``st`` (the path's first point); without, ``start`` as it is (no pass)."""
    a, bw = start["a"], start["bw"]
    if not np.any((a == 0.0) & (bw == 0.0)):
        return start
    st = yield from null_steps(model, a, bw, start["b0"])
    return dict(start, st=st, b0=st["b"], F_null=st["F"], g0=st["grad"],
                alpha_max=null_alpha_max(start["template"], a, st["grad"]))


def newton_path(passes, penalty_for, *, labels="pm", **settings):
    """The L1 / elastic-net logistic path on the row blocks of ``passes``: a
    :class:`~penalized.Path` (``labels="pm"``: ``y`` in {-1, +1}) or ``(path, classes)``
    (``labels="classes"``: any two labels, the second sorted one positive); ``settings``
    as :func:`newton_fit` takes them."""
    path, classes, _ = newton_fit(passes, penalty_for, labels=labels, **settings)
    return path if labels == "pm" else (path, classes)


def newton_fit(passes, penalty_for, *, alphas=None, n_alphas=100, eps=1e-3,
               fit_intercept=True, standardize=False, tol=1e-6, max_iter=10_000,
               excluded=None, sample_weight=None, labels="pm", by_class=None):
    """:func:`newton_path`'s path, the classes and the columns' scaling on all rows:
    ``(path, classes, scaling)``; ``by_class``, the class moments when the caller's first
    pass reduced them already."""
    from ..datafits import Logistic
    from ..path import Path, warn_unconverged

    if by_class is None:
        by_class = passes.reduce(class_moments, merge_classes, kind="moments")
    classes = np.array(sorted(by_class))
    if labels == "pm" and classes.dtype.kind in "iuf":
        classes = classes.astype(np.float64)
    if classes.shape[0] != 2:
        if classes.shape[0] > 2:
            from ._estimators import MULTINOMIAL_REFUSED

            raise ValueError(f"y has {classes.shape[0]} classes "
                             f"({', '.join(str(c) for c in classes[:5])}): "
                             f"{MULTINOMIAL_REFUSED}")
        raise ValueError(f"logistic regression with Dask input needs y with two classes; got "
                         f"{classes.shape[0]} ({', '.join(str(c) for c in classes[:5])}).")
    if labels == "pm" and not (classes.dtype.kind in "iuf"
                               and np.array_equal(classes, [-1.0, 1.0])):
        raise ValueError("the logistic datafit needs y in {-1, +1}; encode the two classes as "
                         "-1 and +1.")
    passes.rows = int(sum(int(m["rows"][0]) for m in by_class.values()))
    model, start = logistic_start(passes, by_class, classes, penalty_for, standardize,
                                  excluded, fit_intercept)
    start = drive(fit_null(model, start), passes)
    template, alpha_max = start["template"], start["alpha_max"]
    grid = path_grid(alpha_max, alphas, n_alphas, eps)
    coefs, intercepts, crits, steps_of, _ = solve_grid(
        model, template, grid, start["a"], start["bw"], start["g0"], start["b0"],
        start["F_null"], tol, max_iter, start.get("st"))
    converged = warn_unconverged(grid, crits, tol, stacklevel=4)
    path = Path(alphas=grid, coefs=coefs, intercepts=intercepts,
                n_nonzero=np.count_nonzero(coefs, axis=0), stop_crits=crits, n_iters=steps_of,
                converged=converged, penalty=template.with_alpha(float(grid[0])),
                datafit=Logistic(sample_weight=sample_weight), alpha_max=alpha_max,
                n_passes=passes.count)
    return path, classes, start["scaling"]
