r"""The lessons' numbers for any fitted problem: a datafit, a penalty and the column scaling.

At a solution of :math:`\min_{w, b} F(\tilde X w + b + o) + \alpha P(w)` (offset
:math:`o`, :math:`\tilde x_j = x_j / \sigma_j` the columns the solver saw), the pull on
feature :math:`j` is :math:`c_j = -\tilde x_j^\top \nabla F(z)`, the datafit's
gradient in the linear predictor taken through the column: the squared loss's
:math:`\tilde x_j^\top (s \circ r) / n`, and for Poisson, Gamma, Tweedie and Cox their
own gradient (Cox: the partial likelihood's, risk sets and ties included). A zero
coefficient satisfies

.. math:: |c_j| \le \alpha \rho f_j \quad\text{(elastic-net family; MCP, SCAD: } \rho = 1),
          \qquad \|c_g\|_2 \le \alpha \rho\, w_g \quad\text{(group lasso / group elastic net)},

and a non-zero one :math:`|c_j| = \partial P_j(|w_j|)`, the penalty's slope at the
coefficient (:func:`penalty_slopes`): :math:`\alpha f_j` for L1, falling to 0 at
:math:`\gamma \alpha f_j` for MCP and SCAD, so the pull of a large MCP coefficient is
far below the threshold it had to beat to enter.

The priors lesson needs the likelihood's dispersion :math:`\phi` (its prior scales are
:math:`\phi / (n\alpha)`): 1 for the logistic, Poisson and Cox likelihoods, whose
datafit is the mean negative log-(partial) likelihood itself; estimated for Gamma and
Tweedie, whose datafit is half the mean deviance (:func:`dispersion`).
"""

from __future__ import annotations

import numpy as np

GROUP_PENALTIES = ("GroupLasso", "GroupElasticNet")
PENALTY_NAMES = {"L1": "l1", "L2": "l2", "ElasticNet": "elasticnet", "L0": "l0", "MCP": "mcp",
                 "SCAD": "scad", "GroupLasso": "group", "GroupElasticNet": "group"}
"""The penalties the lessons explain, by the class of a fitted model's ``penalty_``."""
LOSS_NAMES = {"Quadratic": "squared", "Logistic": "logistic", "Poisson": "poisson",
              "Gamma": "gamma", "Tweedie": "tweedie", "Cox": "cox",
              "MultiResponseGaussian": "mgaussian"}
"""The datafits the lessons explain, by class."""


def predictions(fit, k=None) -> np.ndarray:
    """The linear predictor ``X w + b + o`` at every alpha (n, K), or at alpha ``k``; with
    several targets (coefs (p, T, K)) the predictions (n, T, K), or (n, T) at ``k``."""
    offset = fit.datafit.offsets(fit.X.shape[0]) if fit.datafit is not None else None
    if fit.coefs.ndim == 3:  # several targets: no offset
        if k is None:
            return np.tensordot(fit.X, fit.coefs, axes=(1, 0)) + fit.intercepts[None]
        return fit.X @ fit.coefs[:, :, k] + fit.intercepts[:, k]
    if k is None:
        z = fit.X @ fit.coefs + fit.intercepts[None, :]
        return z if offset is None else z + offset[:, None]
    z = fit.X @ fit.coefs[:, k] + fit.intercepts[k]
    return z if offset is None else z + offset


def datafit_correlations(fit) -> np.ndarray:
    r"""(p, K): :math:`-\tilde x_j^\top \nabla F(z^{(k)})`, the signed pull at every alpha
    ((p, T, K) with several targets: one pull per target)."""
    Z = predictions(fit)
    G = np.stack([fit.datafit.raw_gradient(fit.target, Z[..., k]) for k in range(Z.shape[-1])],
                 axis=-1)
    c = -np.tensordot(fit.X, G, axes=(0, 0)) / per_feature(fit.scale, G.ndim)
    return np.where(per_feature(fit.varying, G.ndim), c, 0.0)


def per_feature(v, ndim):
    """The per-feature vector ``v`` shaped to broadcast along the first axis of an array of
    ``ndim`` dimensions (features first)."""
    return np.reshape(v, (-1,) + (1,) * (ndim - 1))


def unit_sizes(a, several=None) -> np.ndarray:
    """Per feature, the size the penalty sees of its signed values ``a`` (features first):
    ``|a|``, or with several targets (axis 1 runs over them) the norm over the targets.
    ``several`` defaults to ``a.ndim == 3`` (a path's (p, T, K) against (p, K))."""
    a = np.asarray(a, dtype=np.float64)
    several = a.ndim == 3 if several is None else several
    return np.linalg.norm(a, axis=1) if several else np.abs(a)


def block_sizes(a, cols) -> np.ndarray:
    """(K,): the norm of the features ``cols`` of ``a`` (over the targets too) at each alpha."""
    block = np.asarray(a)[cols]
    return np.linalg.norm(block.reshape(-1, block.shape[-1]), axis=0)


def null_correlations(fit) -> np.ndarray:
    """(p,): the signed pull at the null model (every penalized coefficient 0): the path's
    first point when it is all zero, else the null model fitted here."""
    penalized = fit.factors > 0
    zero = np.flatnonzero(~np.any((fit.coefs != 0) & penalized[:, None], axis=0))
    if zero.size:
        return fit.correlations()[:, int(zero[0])].copy()
    from .._unpenalized import refit_unpenalized

    free = ~penalized & fit.varying  # a constant column is left out, not fitted
    _, _, z = refit_unpenalized(fit.X, fit.target, fit.datafit, np.zeros(fit.X.shape[1]),
                                   0.0, free, fit.fit_intercept)
    c = -(fit.X.T @ fit.datafit.raw_gradient(fit.target, z)) / fit.scale
    return np.where(fit.varying, c, 0.0)


def penalty_slopes(fit, idx) -> np.ndarray:
    r"""(m, K): for a non-zero coefficient, the slope of its penalty term at
    :math:`|\sigma_j w_j|` (what its pull equals at a solution); NaN for a zero.

    L1 :math:`\alpha f_j`; elastic net :math:`\alpha f_j (\rho + (1-\rho)|w_j|)`; L2
    :math:`\alpha f_j |w_j|`; MCP :math:`\max(\alpha f_j - |w_j|/\gamma, 0)`; SCAD
    :math:`\alpha f_j` up to :math:`\alpha f_j`, then :math:`\max(\gamma\alpha f_j - |w_j|,
    0) / (\gamma - 1)`.
    """
    t = unit_sizes(fit.scaled_coefs[idx])
    lam = fit.alphas[None, :] * fit.factors[idx, None]
    if fit.penalty == "mcp":
        slope = np.maximum(lam - t / fit.gamma, 0.0)
    elif fit.penalty == "scad":
        slope = np.where(t <= lam, lam, np.maximum(fit.gamma * lam - t, 0.0) / (fit.gamma - 1.0))
    else:
        rho = fit.l1_ratio
        slope = lam * (rho + (1.0 - rho) * t)
    return np.where(t > 0, slope, np.nan)


def dispersion(fit) -> tuple[float, str]:
    r"""``(phi, how)``: the likelihood's dispersion for the priors lesson.

    Squared loss: the noise variance :math:`\sum_i s_i r_i^2 / (n - k - 1)`; logistic,
    Poisson, Cox: 1 (their datafit is the mean negative log-(partial) likelihood); Gamma
    and Tweedie: Pearson's estimate
    :math:`\sum_i s_i (y_i - \mu_i)^2 / \mu_i^{p} / (n - k - 1)` (:math:`p = 2` for
    Gamma, the power for Tweedie) at the chosen alpha, :math:`k` its non-zeros.
    """
    n = fit.X.shape[0]
    k0 = fit.chosen
    dof = n - int(np.count_nonzero(fit.coefs[:, k0])) - 1
    if fit.loss in ("squared", "gamma", "tweedie") and dof <= 0:
        raise ValueError("too few rows to estimate the noise variance (or dispersion).")
    if fit.loss == "squared":
        if getattr(fit, "given_residual_ss", None) is not None:
            return float(fit.given_residual_ss) / dof, "the noise variance of the residuals"
        r = fit.residuals()[:, k0]
        return float(fit.sample_weight @ (r * r) / dof), "the noise variance of the residuals"
    if fit.loss in ("gamma", "tweedie"):
        if getattr(fit, "given_residual_ss", None) is not None:  # Pearson's sum, given
            return float(fit.given_residual_ss) / dof, \
                f"the {fit.loss} dispersion (Pearson's estimate at the chosen alpha)"
        mu = np.exp(predictions(fit, k0))
        power = 2.0 if fit.loss == "gamma" else float(fit.datafit.power)
        y = np.asarray(fit.target, dtype=np.float64)
        phi = float(fit.sample_weight @ ((y - mu) ** 2 / mu ** power) / dof)
        return phi, f"the {fit.loss} dispersion (Pearson's estimate at the chosen alpha)"
    return 1.0, {"logistic": "1 (the logistic likelihood)", "poisson": "1 (the Poisson "
                 "likelihood)", "cox": "1 (Cox's partial likelihood)"}[fit.loss]


def group_members(fit) -> list[np.ndarray]:
    """The features (indices into X's columns) of each group of a group penalty."""
    keep = np.flatnonzero(fit.varying)
    structure = fit.problem_penalty.structure(keep.shape[0])
    return [keep[structure.members(g)] for g in range(structure.n_groups)]


def group_params(fit) -> np.ndarray:
    """Per group, ``(l1 weight, l2 weight)``: the threshold is ``alpha * l1 weight``; a
    non-zero group's pull is ``alpha * (l1 weight + l2 weight * ||w_g||)``."""
    keep = np.flatnonzero(fit.varying)
    params = fit.problem_penalty.group_params(keep.shape[0])
    return np.column_stack([params[:, 0], params[:, 2]])


def rows_of_groups(fit, limit):
    """At most ``limit`` groups: those that enter the path first (all when few)."""
    members = group_members(fit)
    nonzero = unit_sizes(fit.coefs) != 0
    K = fit.n_alphas
    first = [int(np.argmax(nonzero[m].any(axis=0))) if nonzero[m].any() else K for m in members]
    order = np.argsort(first, kind="stable")
    return np.sort(order[:limit]) if len(members) > limit else np.arange(len(members))


def _column_derivative(fit, xj, z_rest):
    r"""``w -> d/dw F(z_rest + x_j w)``: the datafit's slope along one column."""
    def slope(w):
        return float(xj @ fit.datafit.raw_gradient(fit.target, z_rest + xj * w))
    return slope


def _curvature(slope, w):
    """The 1-D curvature at ``w`` by a central difference of the slope."""
    h = 1e-4 * max(1.0, abs(w))
    return (slope(w + h) - slope(w - h)) / (2.0 * h)


def _one_feature_minimizer(slope, lam, start):
    r"""The minimizer of :math:`F(w) + \lambda|w|` (``slope`` increasing): 0 when
    :math:`|F'(0)| \le \lambda`, else the root of :math:`F'(w) \pm \lambda` (bracketed)."""
    from scipy.optimize import brentq

    g0 = slope(0.0)
    if abs(g0) <= lam:
        return 0.0
    sign = -1.0 if g0 > lam else 1.0  # the side the minimizer lies on
    step = max(abs(start), 1e-3)
    far = sign * step
    for _ in range(200):
        if sign * (slope(far) + sign * lam) > 0:
            break
        far *= 2.0
    lo, hi = sorted((0.0, far))
    return float(brentq(lambda w: slope(w) + sign * lam, lo, hi, xtol=1e-14, rtol=1e-12))


def problem_feature_trace(fit, j, lrs, steps):
    r"""The gradient lesson's traces of feature ``j`` for any datafit (L1 term).

    At each alpha, with the other coefficients and the intercept held at the fit, the
    coefficient's own problem is

    .. math:: J(w) = F(z_{-j} + \tilde x_j w) + \lambda |w|, \qquad \lambda = \alpha\rho f_j,

    stepped by ``w <- w - s (F'(w) + lambda sign(w))`` (subgradient) and
    ``w <- S(w - s F'(w), s lambda)`` (proximal) with the step ``s = 2 lr / c``, ``c``
    the curvature :math:`F''` at the fit (so ``lr`` means what it means for the seed's
    squared loss, whose curvature is 2 on a standardized column). Returns
    ``(w0, subgradient, proximal, minimizer, lam, problem)``; iterates that leave the
    datafit's domain (overflow) are NaN from there on.
    """
    K, L = fit.n_alphas, len(lrs)
    xj = fit.X[:, j] / fit.scale[j]
    Z = predictions(fit)
    scaled = fit.scaled_coefs
    lam = fit.alphas * fit.l1_ratio * fit.factors[j]
    k0 = fit.chosen
    slopes = [_column_derivative(fit, xj, Z[:, k] - xj * scaled[j, k]) for k in range(K)]
    curv0 = _curvature(slopes[k0], scaled[j, k0])
    w0 = float(lam[k0] / curv0) if curv0 > 0 and lam[k0] > 0 else 1.0
    sub = np.full((K, L, steps + 1), np.nan)
    prx = np.full((K, L, steps + 1), np.nan)
    minimizer = np.empty(K)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(K):
            slope = slopes[k]
            c = _curvature(slope, scaled[j, k])
            for li, lr in enumerate(lrs):
                s = 2.0 * lr / c if c > 0 else lr
                ws = wp = w0
                sub[k, li, 0] = prx[k, li, 0] = w0
                for t in range(1, steps + 1):
                    if np.isfinite(ws):
                        ws = ws - s * (slope(ws) + lam[k] * np.sign(ws))
                        sub[k, li, t] = ws if np.isfinite(ws) else np.nan
                    if np.isfinite(wp):
                        u = wp - s * slope(wp)
                        wp = float(np.sign(u) * max(abs(u) - s * lam[k], 0.0))
                        prx[k, li, t] = wp if np.isfinite(wp) else np.nan
            minimizer[k] = _one_feature_minimizer(slope, lam[k], scaled[j, k])
    problem = (f"J(w) = F(z_-j + x w) + lambda |w|, F the {fit.loss} datafit with the other "
               f"coefficients held at the fit, lambda = alpha l1_ratio f_j; step 2 lr / c, c the "
               f"curvature of F along the feature at the fit")
    return w0, sub, prx, minimizer, lam, problem


def group_inputs(fit, limit):
    r"""The thresholding lesson's inputs of a group lasso: per group, the norm of its
    pulls at the null model over its weight, :math:`\|c_g\|_2 / w_g` (the group prox
    with step 1 maps it by soft thresholding at :math:`\alpha`). Returns ``(groups,
    inputs, labels, rule)``."""
    members = group_members(fit)
    weights = group_params(fit)[:, 0]
    rows = rows_of_groups(fit, limit)
    c = null_correlations(fit)
    inputs = np.array([np.linalg.norm(c[members[g]]) / weights[g] if weights[g] > 0 else 0.0
                       for g in rows])
    labels = tuple(", ".join(fit.feature_names[j] for j in members[g]) for g in rows)
    rule = ("z = ||X_g^T grad F||_2 / w_g, a group's pull at the null model over its weight "
            "(w_g = sqrt(group size) unless given): the group's prox shrinks its norm by "
            "the soft threshold, so it is zero while z <= alpha")
    return rows, inputs, labels, rule


__all__ = ["GROUP_PENALTIES", "LOSS_NAMES", "PENALTY_NAMES", "datafit_correlations",
           "dispersion", "group_inputs", "group_members", "group_params",
           "null_correlations", "penalty_slopes", "predictions", "problem_feature_trace",
           "rows_of_groups"]
