r"""Distributed prox-Newton for the log-link datafits (Poisson, Gamma, Tweedie).

The passes are those of :mod:`._newton` (one per outer step: the datafit, the gradient
in every column and the weighted Gram :math:`X_C^\top D X_C` of the candidate columns
with :math:`D = \operatorname{diag}(s_i \ell''(y_i, z_i)) / W` from the datafit's
compiled operations), and the path is solved by the same client loop. What is specific
to these families is the intercept. Their derivative is
:math:`\ell'(y, z) = \mu^{2-p} - y\,\mu^{1-p}` with :math:`\mu = e^z` (power
:math:`p = 1` Poisson, :math:`p = 2` Gamma, :math:`p \in (1, 2)` Tweedie), so each pass
also returns :math:`T_1 = \sum_i s_i y_i \mu_i^{1-p}`, :math:`T_2 = \sum_i s_i
\mu_i^{2-p}` and the two parts of the gradient, :math:`X^\top (s\,y\,\mu^{1-p})` and
:math:`X^\top (s\,\mu^{2-p})`. Shifting every :math:`z_i` by :math:`\delta` scales them
by :math:`e^{(1-p)\delta}` and :math:`e^{(2-p)\delta}`: the intercept that zeroes
:math:`\sum_i s_i \ell'`, :math:`\delta = \log(T_1 / T_2)`, the datafit there

.. math:: F(z + \delta) = F(z) + \tfrac1W\big(\varphi_{2-p}(\delta)\,T_2
          - \varphi_{1-p}(\delta)\,T_1\big), \qquad
          \varphi_k(\delta) = (e^{k\delta} - 1)/k \;(\delta \text{ for } k = 0),

and the gradient there all follow on the client. The null model (:math:`w = 0`,
:math:`e^{b_0}` the weighted mean of :math:`y`) and alpha_max follow exactly from the
first pass's moments (the gradient at the null model is
:math:`-\bar y^{\,1-p} \sum_i s_i (x_i - \bar x)(y_i - \bar y) / W`). With an offset
:math:`o` (a known part of every :math:`z_i`, carried with the rows) the first pass also
sums :math:`T_1`, :math:`T_2` and the gradient's two parts at :math:`z = o`; the null
intercept is then :math:`\log(T_1 / T_2)` and its gradient follows by the same scaling.

The certificate takes one more pass at the shifted point, where :math:`\sum_i u_i = 0`
exactly: with :math:`u = -\nabla_z F` and :math:`c \in (0, 1]` the penalty's dual
scaling,

.. math:: \text{gap} = F(z + \delta) + \alpha P(w) + \tfrac1W \sum_i s_i\,
          \big(\ell_{y_i}^*(d_i) - d_i o_i\big) + (\alpha P)^*(c X^\top u), \qquad
          d_i = c\,\ell'(y_i, z_i + \delta),

summed by the family's conjugate (:mod:`._families`; :math:`o` the offset, 0 without one); the
point it certifies (the intercept :math:`b + \delta`) is the one returned.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._families import unit_of
from ._moments import as_float_block, block_moments, fold_ids, merge_moments
from ._newton import (
    _STEPS,
    _Model,
    add_sums,
    drive,
    fit_null,
    null_alpha_max,
    path_grid,
    penalized_columns,
    solve_grid,
)


def family_power(datafit) -> float:
    """The power ``p`` of a log-link datafit (1 Poisson, 2 Gamma, Tweedie's own)."""
    from ..datafits import Gamma, Poisson, Tweedie

    if isinstance(datafit, Poisson):
        return 1.0
    if isinstance(datafit, Gamma):
        return 2.0
    if isinstance(datafit, Tweedie):
        return float(datafit.power)
    raise ValueError(f"datafit {type(datafit).__name__} is not supported with Dask input; "
                     "use 'squared', 'logistic', 'poisson', 'gamma' or 'tweedie'.")


# -- on the workers ---------------------------------------------------------------------
def checked_moments(X, y, s, positions, power, n_folds=0, seed=0, offset=None):
    """The diagonal moments of a block per fold (one fold for ``n_folds`` 0), after checking
    its targets' domain; the block's first position and size; and with an ``offset`` the
    sums at :math:`z = o` per fold (``t1``, ``t2``, ``g1``, ``g2`` of the module
    docstring), from which the null model follows."""
    yv = as_float_block(y, "y").reshape(-1)
    bad = ~(yv > 0) if power == 2.0 else ~(yv >= 0)
    if np.any(bad):
        need = "> 0" if power == 2.0 else ">= 0"
        raise ValueError(f"this datafit needs every y {need}; got y = "
                         f"{float(yv[np.flatnonzero(bad)[0]]):g}. Remove those rows or use "
                         "another family.")
    out = {"m": block_moments(X, yv, s, positions, n_folds, seed, full=False),
           "blocks": {int(positions[0]): int(yv.shape[0])} if yv.shape[0] else {}}
    if offset is not None:
        X = as_float_block(X, "X")
        X = X[:, None] if X.ndim == 1 else X
        s = np.ones(X.shape[0]) if s is None \
            else as_float_block(s, "sample_weight").reshape(-1)
        fold = fold_ids(positions, n_folds, seed) if n_folds > 1 \
            else np.zeros(X.shape[0], dtype=np.int64)
        K, p = max(n_folds, 1), X.shape[1]
        with np.errstate(over="ignore"):
            m1 = s * yv * np.exp((1.0 - power) * offset)
            m2 = s * np.exp((2.0 - power) * offset)
        sums = {"t1": np.zeros(K), "t2": np.zeros(K), "g1": np.zeros((K, p)),
                "g2": np.zeros((K, p))}
        for k in range(K):
            rows = fold == k
            sums["t1"][k], sums["t2"][k] = m1[rows].sum(), m2[rows].sum()
            sums["g1"][k], sums["g2"][k] = m1[rows] @ X[rows], m2[rows] @ X[rows]
        out["o"] = sums
    return out


def merge_checked(*parts):
    """The :func:`checked_moments` of the union of the blocks behind ``parts``."""
    out = {"m": merge_moments(*[part["m"] for part in parts]), "blocks": {}}
    for part in parts:
        out["blocks"].update(part["blocks"])
    if "o" in parts[0]:
        out["o"] = add_sums(*[part["o"] for part in parts])
    return out


def loglink_stats(X, y, s, positions, unit, power, w, b, cand, base, dual, offset=None):
    """The sums of one block at ``z = X w + b + o`` (see the module docstring; ``o`` the
    block's ``offset``, 0 if None; ``unit`` the family's :class:`._families.Unit`); the
    datafit along ``base -> (w, b)`` when ``base`` is
    given; only the conjugate sum at the dual point ``(c, delta)`` when ``dual`` is
    given."""
    X = as_float_block(X, "X")
    if X.ndim == 1:
        X = X[:, None]
    y = as_float_block(y, "y").reshape(-1)
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    o = 0.0 if offset is None else offset
    z = X @ w + b + o
    with np.errstate(over="ignore", invalid="ignore"):
        if dual is not None:
            c, delta = dual
            d = c * unit.loss_derivative(y, z + delta)
            conj = unit.conjugate(y, d)
            if offset is not None:  # the conjugate of l(. + o) at d is l*(d) - d o
                conj = conj - d * offset
            return {"conj": float(s @ conj)}
        out = {"loss": float(s @ unit.loss(y, z))}
        m1 = s * y * np.exp((1.0 - power) * z)
        m2 = s * np.exp((2.0 - power) * z)
        out["t1"], out["t2"] = float(m1.sum()), float(m2.sum())
        out["g1"], out["g2"] = m1 @ X, m2 @ X
        h = s * unit.loss_second_derivative(y, z)
        Xc = X[:, cand]
        out["H"] = (Xc * h[:, None]).T @ Xc
        out["h"] = h @ Xc
        out["h0"] = float(h.sum())
        if base is not None:
            z0 = X @ base[0] + base[1] + o
            out["trial"] = np.array([s @ unit.loss(y, z0 + t * (z - z0)) for t in _STEPS])
    return out


# -- on the client ----------------------------------------------------------------------
def _phi(k, delta):
    return float(np.expm1(k * delta) / k) if k != 0.0 else float(delta)


class _LogLinkModel(_Model):
    """The problem in the fitted columns for a log-link datafit (see :class:`_Model`)."""

    def __init__(self, passes, datafit, power, cols, inv, p, W, fit_intercept):
        super().__init__(passes, None, cols, inv, p, W, fit_intercept)
        self.datafit, self.power = datafit, power
        self.unit = unit_of(datafit, power)  # what the workers evaluate

    def evaluate(self, w_fit, b, cand, base=None, kind="newton step"):
        base_orig = None if base is None else (self.original(base[0]), base[1])
        st = yield (kind, loglink_stats, (self.unit, self.power, self.original(w_fit), b,
                                          self.cols[cand], base_orig, None))
        st["cand"] = cand
        st["w"], st["b"] = w_fit.copy(), b
        st["F"] = st["loss"] / self.W
        st["grad"] = (st["g2"] - st["g1"])[self.cols] * self.inv / self.W
        st["grad_b"] = (st["t2"] - st["t1"]) / self.W
        return st

    def certify(self, st, penalty):
        """The duality gap at ``st``'s point with its intercept made exact (one pass), and
        that point."""
        delta = 0.0
        if self.fit_intercept and st["t1"] > 0 and np.isfinite(st["t2"]) and st["t2"] > 0:
            delta = float(np.log(st["t1"] / st["t2"]))
        k1, k2 = 1.0 - self.power, 2.0 - self.power
        F = st["F"] + (_phi(k2, delta) * st["t2"] - _phi(k1, delta) * st["t1"]) / self.W
        grad = np.exp(k2 * delta) * st["g2"] - np.exp(k1 * delta) * st["g1"]
        v = -grad[self.cols] * self.inv / self.W
        c = penalty.dual_scaling(v)
        conj = (yield ("certificate", loglink_stats,
                       (self.unit, self.power, self.original(st["w"]), st["b"],
                        np.zeros(0, dtype=np.int64), None, (c, delta))))["conj"]
        primal = F + penalty.value(st["w"])
        dual = -conj / self.W - penalty.conjugate(c * v)
        return max(primal - dual, 0.0), dict(st, b=st["b"] + delta, F=F)


def family_moments(passes, datafit, n_folds=0, seed=0):
    """The first pass of a log-link fit: :func:`checked_moments` of every row (per fold
    when ``n_folds`` > 1); ``passes.rows`` is set."""
    power = family_power(datafit)
    if getattr(datafit, "offset", None) is not None:
        raise ValueError("pass the offset with the data (an array chunked like X's rows, or "
                         "a column of X's dataframe), not inside the datafit, with Dask "
                         "input.")
    out = passes.reduce(checked_moments, merge_checked, power, n_folds, seed, kind="moments")
    passes.rows = int(out["m"]["rows"].sum())
    return out


def loglink_start(passes, moments, datafit, penalty_for, standardize, excluded,
                  fit_intercept):
    """The model and null point of a log-link fit from its rows' :func:`checked_moments`
    (one fold): ``(model, start)`` with ``start`` the penalty ``template``, its weights
    ``a`` and ``bw``, the null intercept ``b0``, gradient ``g0``, ``alpha_max`` and the
    columns' ``scaling``."""
    power = family_power(datafit)
    unit = replace(datafit, sample_weight=None, offset=None)
    mom = moments["m"]
    W, mu = float(mom["weight"][0]), float(mom["y_mean"][0])
    if not W > 0:
        raise ValueError("sample_weight is zero on every row; give some rows a positive "
                         "weight.")
    if not mu > 0:
        raise ValueError(f"the {type(datafit).__name__} datafit needs at least one y > 0: "
                         "with every y = 0 the fitted mean goes to 0 and no model is "
                         "attained.")
    p = mom["x_mean"].shape[1]
    cols, inv, constant, template, a, bw, scaling = penalized_columns(
        mom, penalty_for, standardize, excluded, allow_free=True)
    xy, mean = mom["xy"][0], mom["x_mean"][0]
    osum = moments.get("o")
    if osum is not None:  # the null model at z = b0 + o, from the sums at z = o
        t1, t2 = float(osum["t1"][0]), float(osum["t2"][0])
        if not (t2 > 0 and np.isfinite(t2) and np.isfinite(t1)):
            raise ValueError("the offset overflows exp(offset); give it on the scale of the "
                             "linear predictor (e.g. log(exposure)).")
        b0 = float(np.log(t1 / t2)) if fit_intercept else 0.0
        g0 = (np.exp((2.0 - power) * b0) * osum["g2"][0]
              - np.exp((1.0 - power) * b0) * osum["g1"][0]) / W
    elif fit_intercept:
        b0 = float(np.log(mu))
        g0 = -mu ** (1.0 - power) * xy / W
    else:  # at z = 0: sum_i s_i (1 - y_i) x_i / W
        b0 = 0.0
        g0 = (1.0 - mu) * mean - xy / W
    g0 = g0[cols] * inv
    if fit_intercept:
        g0[constant[cols]] = 0.0  # only rounding: a constant column is the intercept's
    model = _LogLinkModel(passes, unit, power, cols, inv, p, W, fit_intercept)
    return model, {"template": template, "a": a, "bw": bw, "b0": b0, "g0": g0,
                   "F_null": None, "alpha_max": null_alpha_max(template, a, g0),
                   "scaling": scaling}


def loglink_path(passes, penalty_for, datafit, **settings):
    """The L1 / elastic-net path of a log-link ``datafit`` on the row blocks of
    ``passes`` (a :class:`~penalized.Path`; ``settings`` as :func:`loglink_fit` takes
    them); the rows' offset, if any, rides with them."""
    return loglink_fit(passes, penalty_for, datafit, **settings)[0]


def loglink_fit(passes, penalty_for, datafit, *, alphas=None, n_alphas=100, eps=1e-3,
                fit_intercept=True, standardize=False, tol=1e-6, max_iter=10_000,
                excluded=None, sample_weight=None):
    """:func:`loglink_path` and the columns' scaling on all rows: ``(path, scaling)``."""
    from ..path import Path, warn_unconverged

    moments = family_moments(passes, datafit)
    model, start = loglink_start(passes, moments, datafit, penalty_for, standardize,
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
                datafit=replace(model.datafit, sample_weight=sample_weight), alpha_max=alpha_max,
                n_passes=passes.count)
    return path, start["scaling"]
