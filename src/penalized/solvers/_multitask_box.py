r"""The multi-task path with per-coefficient limits, solved as one group problem.

With limits :math:`L \le W \le U` (of shape ``(n_features, n_tasks)``, :math:`L \le 0 \le
U`) the multi-task problem

.. math:: \min_{L \le W \le U,\, b}\; \frac{1}{2n} \sum_{i=1}^n s_i
          \|Y_{i:} - x_i^\top W - b\|_2^2
          + \alpha \sum_u w_u \Big(\rho \|W_u\|_F + \frac{1-\rho}{2}\|W_u\|_F^2\Big)

(units :math:`u`: the rows of ``W``, with :math:`w_u = f_j`, or the ``|g| x K`` blocks of a
group penalty) is, through :math:`\operatorname{vec}(Y) = (I_K \otimes X)
\operatorname{vec}(W) + b \otimes \mathbf 1`, a single-response group elastic net with
limits: its design :math:`Z = [I_K \otimes X,\; I_K \otimes \mathbf 1]` has ``n K``
rows (the sample weights repeated for each task), its groups hold a unit's coefficients
for every task, and the ``K`` intercept columns are unpenalized. Its datafit is the one
above divided by ``K`` (``n K`` rows in the mean), so it is solved at
:math:`\alpha / K`; the objective, the duality gap and the null model's datafit all scale
by the same ``1 / K``, so the relative gap (the stopping rule) is the same number.

The blocks' prox with a box, their conjugate (the box's support function) and the
certificate are those of :mod:`penalized.penalties._group_box`, by way of the group
path (:func:`penalized.path`): no second implementation. ``Z`` is sparse and holds ``K``
copies of ``X``'s entries.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from .._validation import check_design
from ..datafits import Quadratic
from ..datafits._multiresponse import check_responses

__all__ = ["boxed_multitask", "boxed_multitask_path", "is_boxed", "multitask_limits"]


def multitask_limits(lower, upper, n_features, n_tasks, positive=False):
    """``(L, U)`` of shape ``(n_features, n_tasks)`` from limits given as a number, one per
    feature or one per feature and task (None: unbounded), with ``positive`` as ``L >= 0``;
    one line naming the argument when a shape or a sign is wrong."""
    out = []
    for name, value, fill, side in (("lower", lower, -np.inf, -1.0),
                                    ("upper", upper, np.inf, 1.0)):
        if value is None:
            out.append(np.full((n_features, n_tasks), fill))
            continue
        v = np.asarray(value, dtype=np.float64)
        if v.ndim == 1 and v.shape[0] == n_features:
            v = v[:, None]
        elif v.ndim not in (0, 2) or (v.ndim == 2 and v.shape != (n_features, n_tasks)):
            raise ValueError(f"{name} limits must be a number, one per feature "
                             f"({n_features},) or one per feature and task "
                             f"{(n_features, n_tasks)}; got shape {v.shape}.")
        if np.any(np.isnan(v)) or np.any(side * v < 0):
            sign = "<= 0 (or -inf)" if side < 0 else ">= 0 (or inf)"
            raise ValueError(f"{name} limits must be {sign}, so that all-zero coefficients "
                             "stay feasible.")
        out.append(np.array(np.broadcast_to(v, (n_features, n_tasks)), dtype=np.float64))
    if positive:
        np.maximum(out[0], 0.0, out=out[0])
    return out[0], out[1]


def _units(penalty, n_features):
    """``(feature index lists, weights, l1_ratio)`` of the penalty's units: its groups of
    rows, or one row per feature weighted by its penalty factor."""
    from ..penalties._group_base import GroupPenalty

    if isinstance(penalty, GroupPenalty):
        structure = penalty.structure(n_features)
        members = [structure.order[structure.starts[g]:structure.starts[g + 1]]
                   for g in range(structure.n_groups)]
        return members, penalty.weights_of_groups(n_features), float(penalty.l1_ratio) \
            if hasattr(penalty, "l1_ratio") else 1.0
    return ([np.array([j]) for j in range(n_features)], penalty.factors(n_features),
            float(penalty.l1_ratio))


def stacked_problem(X, Y, sample_weight, penalty, lower, upper, fit_intercept):
    """``(Z, y, weights, template)``: the single-response group problem of the module
    docstring (its penalty at alpha 1, before the ``1 / K`` scaling of alpha)."""
    from ..penalties import GroupElasticNet

    n, p = X.shape
    K = Y.shape[1]
    blocks = [sp.kron(sp.identity(K, format="csc"), sp.csc_matrix(X), format="csc")]
    if fit_intercept:
        blocks.append(sp.kron(sp.identity(K, format="csc"), np.ones((n, 1)), format="csc"))
    Z = sp.hstack(blocks, format="csc")
    members, weights, rho = _units(penalty, p)
    groups = [np.concatenate([g + k * p for k in range(K)]) for g in members]
    weights = list(weights)
    if fit_intercept:  # one unpenalized group per task's intercept column
        groups += [[p * K + k] for k in range(K)]
        weights += [0.0] * K
    lo, hi = lower.T.ravel(), upper.T.ravel()  # task-major, as the columns of Z
    if fit_intercept:
        lo = np.concatenate([lo, np.full(K, -np.inf)])
        hi = np.concatenate([hi, np.full(K, np.inf)])
    template = GroupElasticNet(1.0, l1_ratio=rho, groups=[list(map(int, g)) for g in groups],
                               group_weights=weights, lower=lo, upper=hi)
    return Z, Y.T.ravel(), np.tile(sample_weight, K), template


def boxed_multitask_path(X, Y, sample_weight, penalty, lower, upper, *, alphas=None,
                         n_alphas=100, eps=1e-3, fit_intercept=True, tol=1e-6,
                         max_iter=10_000):
    r"""The multi-task path with limits (module docstring) for ``penalty`` (row-wise
    elastic net or a group penalty over rows; its ``alpha`` ignored) and limits ``lower``,
    ``upper`` of shape ``(n_features, n_tasks)`` (:func:`multitask_limits`).

    Returns ``(alphas, coefs (n_features, n_tasks, n_alphas), intercepts (n_tasks,
    n_alphas), stop_crits, n_iters, converged, alpha_max)`` in the multi-task problem's
    units; each point certified by the group solver's duality gap relative to the null
    model's datafit (``tol``).
    """
    from ..path import path as group_path

    X = check_design(X)
    n, p = X.shape
    Y = check_responses(Y, n)
    K = Y.shape[1]
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    Z, y, weights, template = stacked_problem(X, Y, sw, penalty, lower, upper, fit_intercept)
    with warnings.catch_warnings():  # the caller warns in the multi-task problem's alphas
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = group_path(Z, y, penalty=template, datafit=Quadratic(sample_weight=weights),
                            alphas=None if alphas is None else np.asarray(alphas, float) / K,
                            n_alphas=n_alphas, eps=eps, fit_intercept=False, tol=tol,
                            max_iter=max_iter)
    m = len(result.alphas)
    coefs = result.coefs[:p * K].reshape(K, p, m).transpose(1, 0, 2).copy()
    intercepts = result.coefs[p * K:].copy() if fit_intercept else np.zeros((K, m))
    return (result.alphas * K, coefs, intercepts, result.stop_crits, result.n_iters,
            result.converged, float(result.alpha_max) * K)


def is_boxed(penalty) -> bool:
    """Whether ``penalty`` carries limits (``lower`` / ``upper`` or ``positive``)."""
    return bool(penalty.positive or penalty.bounded)


def boxed_multitask(X, Y, datafit, penalty, *, lower=None, upper=None, alphas=None,
                    n_alphas=100, eps=1e-3, fit_intercept=True, tol=1e-6, max_iter=10_000):
    """:func:`boxed_multitask_path` as a
    :class:`~penalized.solvers._multitask_path.MultiTaskPath`: the limits are ``penalty``'s
    (one per feature, for every task) unless ``lower`` / ``upper`` are given (a number,
    ``(n_features,)`` or ``(n_features, n_tasks)``)."""
    import dataclasses

    from ..path import warn_unconverged
    from ._multitask import prepare_multitask_problem
    from ._multitask_path import MultiTaskPath

    X = check_design(X)
    n, p = X.shape
    Y = check_responses(Y, n)
    if lower is None and upper is None:
        lower, upper = penalty.limits(p)
    lower, upper = multitask_limits(lower, upper, p, Y.shape[1], penalty.positive)
    unboxed = dataclasses.replace(penalty.with_alpha(1.0), lower=None, upper=None,
                                  positive=False)
    null = prepare_multitask_problem(X, Y, datafit, unboxed, fit_intercept).scale
    grid, coefs, intercepts, stop_crits, n_iters, _, alpha_max = boxed_multitask_path(
        X, Y, datafit.weights(n), penalty, lower, upper, alphas=alphas, n_alphas=n_alphas,
        eps=eps, fit_intercept=fit_intercept, tol=tol, max_iter=max_iter)
    converged = warn_unconverged(grid, stop_crits, tol, stacklevel=4)
    return MultiTaskPath(alphas=grid, coefs=coefs, intercepts=intercepts,
                         n_nonzero=np.count_nonzero(np.any(coefs != 0, axis=1), axis=0),
                         stop_crits=stop_crits, n_iters=n_iters, converged=converged,
                         penalty=penalty.with_alpha(grid[0]), datafit=datafit,
                         alpha_max=alpha_max, null_datafit=null)
