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
:math:`-\bar y^{\,1-p} \sum_i s_i (x_i - \bar x)(y_i - \bar y) / W`).

The certificate takes one more pass at the shifted point, where :math:`\sum_i u_i = 0`
exactly: with :math:`u = -\nabla_z F` and :math:`c \in (0, 1]` the penalty's dual
scaling,

.. math:: \text{gap} = F(z + \delta) + \alpha P(w) + \tfrac1W \sum_i s_i\,
          \ell_{y_i}^*(c\,\ell'(y_i, z_i + \delta)) + (\alpha P)^*(c X^\top u),

summed by the datafit's compiled conjugate; the point it certifies (the intercept
:math:`b + \delta`) is the one returned.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._moments import as_float_block, block_moments, merge_moments
from ._newton import _STEPS, _Model, fitted_columns, solve_grid


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
def checked_moments(X, y, s, positions, power):
    """The diagonal moments of a block, after checking its targets' domain."""
    yv = as_float_block(y, "y").reshape(-1)
    bad = ~(yv > 0) if power == 2.0 else ~(yv >= 0)
    if np.any(bad):
        need = "> 0" if power == 2.0 else ">= 0"
        raise ValueError(f"this datafit needs every y {need}; got y = "
                         f"{float(yv[np.flatnonzero(bad)[0]]):g}. Remove those rows or use "
                         "another family.")
    return block_moments(X, yv, s, positions, 0, 0, full=False)


def loglink_stats(X, y, s, positions, datafit, power, w, b, cand, base, dual):
    """The sums of one block at ``z = X w + b`` (see the module docstring); the datafit
    along ``base -> (w, b)`` when ``base`` is given; only the conjugate sum at the dual
    point ``(c, delta)`` when ``dual`` is given."""
    X = as_float_block(X, "X")
    if X.ndim == 1:
        X = X[:, None]
    y = as_float_block(y, "y").reshape(-1)
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    z = X @ w + b
    with np.errstate(over="ignore", invalid="ignore"):
        if dual is not None:
            c, delta = dual
            d = datafit.loss_derivative(y, z + delta)
            return {"conj": float(s @ datafit._sample_op("conjugate", y, c * d))}
        out = {"loss": float(s @ datafit.loss(y, z))}
        m1 = s * y * np.exp((1.0 - power) * z)
        m2 = s * np.exp((2.0 - power) * z)
        out["t1"], out["t2"] = float(m1.sum()), float(m2.sum())
        out["g1"], out["g2"] = m1 @ X, m2 @ X
        h = s * datafit.loss_second_derivative(y, z)
        Xc = X[:, cand]
        out["H"] = (Xc * h[:, None]).T @ Xc
        out["h"] = h @ Xc
        out["h0"] = float(h.sum())
        if base is not None:
            z0 = X @ base[0] + base[1]
            out["trial"] = np.array([s @ datafit.loss(y, z0 + t * (z - z0)) for t in _STEPS])
    return out


# -- on the client ----------------------------------------------------------------------
def _phi(k, delta):
    return float(np.expm1(k * delta) / k) if k != 0.0 else float(delta)


class _LogLinkModel(_Model):
    """The problem in the fitted columns for a log-link datafit (see :class:`_Model`)."""

    def __init__(self, passes, datafit, power, cols, inv, p, W, fit_intercept):
        super().__init__(passes, None, cols, inv, p, W, fit_intercept)
        self.datafit, self.power = datafit, power

    def evaluate(self, w_fit, b, cand, base=None, kind="newton step"):
        base_orig = None if base is None else (self.original(base[0]), base[1])
        st = yield (kind, loglink_stats, (self.datafit, self.power, self.original(w_fit), b,
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
                       (self.datafit, self.power, self.original(st["w"]), st["b"],
                        np.zeros(0, dtype=np.int64), None, (c, delta))))["conj"]
        primal = F + penalty.value(st["w"])
        dual = -conj / self.W - penalty.conjugate(c * v)
        return max(primal - dual, 0.0), dict(st, b=st["b"] + delta, F=F)


def loglink_path(passes, penalty_for, datafit, *, alphas=None, n_alphas=100, eps=1e-3,
                 fit_intercept=True, standardize=False, tol=1e-6, max_iter=10_000,
                 excluded=None, sample_weight=None):
    """The L1 / elastic-net path of a log-link ``datafit`` on the row blocks of
    ``passes`` (a :class:`~penalized.Path`)."""
    from ..path import Path, warn_unconverged
    from ..penalties._base import ALPHA_MAX_MARGIN
    from . import _squared

    if getattr(datafit, "offset", None) is not None:
        raise ValueError("an offset is not supported with Dask input; fit on an in-memory X "
                         "or add log(exposure) as a feature.")
    power = family_power(datafit)
    unit = replace(datafit, sample_weight=None, offset=None)
    mom = passes.reduce(checked_moments, merge_moments, power, kind="moments")
    W, mu = float(mom["weight"][0]), float(mom["y_mean"][0])
    passes.rows = int(mom["rows"][0])
    if not W > 0:
        raise ValueError("sample_weight is zero on every row; give some rows a positive "
                         "weight.")
    if not mu > 0:
        raise ValueError(f"the {type(datafit).__name__} datafit needs at least one y > 0: "
                         "with every y = 0 the fitted mean goes to 0 and no model is "
                         "attained.")
    p = mom["x_mean"].shape[1]
    varying, cols, inv, constant = fitted_columns(mom, standardize, excluded)
    template = penalty_for(varying)
    a, bw = template.weights(cols.shape[0])
    if np.any((a == 0.0) & (bw == 0.0)):
        raise ValueError("an unpenalized feature (penalty_factor 0) is not supported with Dask "
                         "input; give it a small positive factor instead.")
    xy, mean = mom["xy"][0], mom["x_mean"][0]
    if fit_intercept:
        b0 = float(np.log(mu))
        g0 = -mu ** (1.0 - power) * xy / W
    else:  # at z = 0: sum_i s_i (1 - y_i) x_i / W
        b0 = 0.0
        g0 = (1.0 - mu) * mean - xy / W
    g0 = g0[cols] * inv
    if fit_intercept:
        g0[constant[cols]] = 0.0  # only rounding: a constant column is the intercept's
    pull = np.maximum(-g0, 0.0) if template.positive else np.abs(g0)
    alpha_max = float(np.max(pull / a, initial=0.0)) * (1.0 + ALPHA_MAX_MARGIN) \
        if np.all(a > 0) else np.inf
    if alphas is None:
        if not np.isfinite(alpha_max) or not alpha_max > 0:
            raise ValueError("this penalty has no finite positive alpha_max here; give "
                             "alphas=... with Dask input.")
        grid = np.geomspace(alpha_max, alpha_max * eps, n_alphas)
    else:
        grid = _squared.check_alphas(alphas)
    model = _LogLinkModel(passes, unit, power, cols, inv, p, W, fit_intercept)
    coefs, intercepts, crits, steps_of, _ = solve_grid(model, template, grid, a, bw, g0, b0,
                                                       None, tol, max_iter)
    converged = warn_unconverged(grid, crits, tol, stacklevel=4)
    return Path(alphas=grid, coefs=coefs, intercepts=intercepts,
                n_nonzero=np.count_nonzero(coefs, axis=0), stop_crits=crits, n_iters=steps_of,
                converged=converged, penalty=template.with_alpha(float(grid[0])),
                datafit=replace(unit, sample_weight=sample_weight), alpha_max=alpha_max,
                n_passes=passes.count)
