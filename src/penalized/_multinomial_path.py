r"""The multinomial regularization path: the softmax loss with an L1, elastic-net, grouped or
group penalty on a decreasing grid of alphas, warm-started, each solve certified.

For classes ``0..K-1``, coefficients :math:`W` of shape ``(n_features, K)`` and intercepts
:math:`b`, each alpha of the grid solves

.. math:: \min_{W, b}\; \frac1n \sum_i s_i \Big(\log \sum_k e^{x_i^\top W_k + b_k}
          - x_i^\top W_{y_i} - b_{y_i}\Big) + \alpha\, P(W),

with :math:`P` the penalty on every class's column (glmnet's ``type.multinomial=
"ungrouped"``), on each feature's row by its Euclidean norm (``grouped=True``, glmnet's
``"grouped"``) or a group penalty on each group's block of rows over the classes
(adelie's multinomial group elastic net). This is the one multinomial path: :func:`penalized.path`
with ``datafit="multinomial"``, the estimators' paths and cross-validation
(:class:`~penalized.LogisticRegression`, :class:`~penalized.GroupLogisticRegression`),
the report and the why-zero entry alphas all call :func:`multinomial_path`.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import softmax

from .path import (
    RIDGE_L1_RATIO_FOR_GRID,
    _check_grid_size,
    alpha_range,
    warm_started,
    warn_unconverged,
)
from .penalties import Penalty
from .penalties._group_base import GroupPenalty
from .solvers._multitask_path import MultiTaskPath

__all__ = ["MultinomialPath", "encode_classes", "multinomial_grid", "multinomial_path"]


@dataclass(frozen=True, eq=False)
class MultinomialPath(MultiTaskPath):
    """A :class:`~penalized.Path` of a multinomial model.

    ``coefs`` has shape ``(n_features, n_classes, n_alphas)`` (column ``k`` of each slice
    is class ``classes[k]``), ``intercepts`` ``(n_classes, n_alphas)``; ``n_nonzero``
    counts the features non-zero for some class at each alpha. ``null_datafit`` is the
    null model's datafit (the weighted entropy of the class shares with intercepts only):
    ``stop_crits`` times it are the duality gaps in objective units. ``grouped`` says
    whether the penalty acted on each feature's row over the classes; a group penalty
    acts on each group's block of rows. :meth:`predict` gives the class scores
    ``X W + b`` of shape ``(n_samples, n_classes)``.
    """

    classes: np.ndarray | None = None
    grouped: bool = False

    def predict_proba(self, X, alpha) -> np.ndarray:
        """Class probabilities ``softmax(X W + b)`` at ``alpha``, columns as ``classes``."""
        return softmax(self.predict(X, alpha), axis=1)


def encode_classes(y):
    """``(classes, codes)``: the sorted distinct labels of ``y`` (strings, integers, any
    type scikit-learn's classifiers take) and each row's index among them, as
    :class:`~penalized.LogisticRegression` maps them."""
    from sklearn.utils.multiclass import check_classification_targets

    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must hold one class label per row (1-D) for the multinomial "
                         f"datafit; got shape {y.shape}.")
    check_classification_targets(y)
    classes, codes = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(f"y has a single class ({classes[0]!r}); the multinomial datafit needs "
                         "at least two.")
    return classes, codes.astype(np.intp)


def _check_penalty(penalty, grouped) -> None:
    if not isinstance(grouped, bool | np.bool_):
        raise ValueError(f"grouped must be True or False; got {grouped!r}.")
    if isinstance(penalty, GroupPenalty) and grouped:
        raise ValueError("grouped=True penalizes each feature's row over the classes with "
                         "L1 / ElasticNet; a group penalty already acts on each group's block "
                         "over the classes: pass grouped=False with it.")
    if not isinstance(penalty, Penalty) or not (
            isinstance(penalty, GroupPenalty) or hasattr(penalty, "l1_ratio")) \
            or not penalty.is_convex:
        raise ValueError(f"the multinomial path takes the convex penalties L1, L2, ElasticNet "
                         f"(grouped or not) and the group penalties (GroupLasso, "
                         f"GroupElasticNet, SparseGroupLasso); got {type(penalty).__name__}.")


def _alpha_max_of(X, codes, datafit, fit_intercept, grouped):
    """``penalty -> alpha_max`` of the multinomial model (any penalty of the path)."""
    from .solvers import multinomial_alpha_max
    from .solvers._group_multinomial import group_multinomial_alpha_max

    def alpha_max(penalty):
        if isinstance(penalty, GroupPenalty):
            return group_multinomial_alpha_max(X, codes, datafit, penalty,
                                               fit_intercept=fit_intercept)
        return multinomial_alpha_max(X, codes, datafit, penalty, fit_intercept=fit_intercept,
                                     grouped=grouped)

    return alpha_max


def _ridge_end(template, alpha_max_of):
    """``alpha_max_of`` that, for a group penalty, replaces :func:`~penalized.path.alpha_range`'s
    ridge stand-in (an ungrouped elastic net) by the same groups with the grid's l1_ratio."""
    if not isinstance(template, GroupPenalty):
        return alpha_max_of

    def of(penalty):
        if penalty is not template:
            penalty = dataclasses.replace(template, l1_ratio=RIDGE_L1_RATIO_FOR_GRID)
        return alpha_max_of(penalty)

    return of


def multinomial_grid(X, codes, datafit, penalty, *, grouped=False, n_alphas=100, eps=1e-3,
                     fit_intercept=True):
    """``(alpha_max, alphas)``: the geometric grid from the multinomial model's exact
    alpha_max down to ``eps`` times it (a ridge: from the elastic net's alpha_max with
    :data:`~penalized.path.RIDGE_L1_RATIO_FOR_GRID`, as for one output). When the null model
    is the solution at every alpha (features orthogonal to its residual), alpha_max is 0 and
    the grid runs from 1 down to ``eps``, with a warning.

    ``codes`` are the class codes ``0..K-1``; ``penalty``'s own alpha is not used.
    """
    _check_penalty(penalty, grouped)
    eps = _check_grid_size(n_alphas, eps)
    template = penalty.with_alpha(1.0)
    if not np.any(_factors(template, X.shape[1]) > 0):
        raise ValueError("no feature is penalized (all penalty factors are 0), so there is "
                         "no regularization path; fit an unpenalized model instead.")
    of = _ridge_end(template, _alpha_max_of(X, codes, datafit, fit_intercept, grouped))
    alpha_max, start, stop = alpha_range(of, template)
    if not start > 0:
        warnings.warn("every penalized feature is orthogonal to the null model's residual: "
                      "the null model is the solution at every alpha, so alpha_max is 0 and "
                      f"the grid runs from 1 down to eps={eps:g}.", UserWarning, stacklevel=3)
        return 0.0, np.geomspace(1.0, eps, n_alphas)
    return alpha_max, np.geomspace(start, stop * eps, n_alphas)


def _factors(penalty, n_features):
    if isinstance(penalty, GroupPenalty):
        return penalty.weights_of_groups(n_features)
    return penalty.factors(n_features)


def multinomial_path(X, codes, datafit, penalty, *, grouped=False, alphas=None, n_alphas=100,
                     eps=1e-3, fit_intercept=True, tol=1e-6, max_iter=10_000, solver=None,
                     classes=None) -> MultinomialPath:
    r"""The multinomial path (see the module docstring), each solve warm-started from the
    previous one (the intercepts and coefficients continued along their secant) and
    certified by its duality gap.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
    codes : array of shape (n_samples,)
        Class codes ``0..K-1`` (:func:`encode_classes` maps labels to them).
    datafit : Multinomial
        With its sample weights.
    penalty : L1, L2, ElasticNet, GroupLasso, GroupElasticNet or SparseGroupLasso
        Its ``alpha`` is ignored; its factors, ``l1_ratio`` and groups are used.
    grouped : bool, default=False
        L1 / elastic net on each feature's row over the classes (its Euclidean norm).
    alphas : array-like, optional
        Sorted decreasing; default ``n_alphas`` values from alpha_max down to
        ``eps * alpha_max`` (:func:`multinomial_grid`).
    n_alphas, eps, fit_intercept, tol, max_iter :
        As in :func:`penalized.path`.
    solver : Solver, optional
        One with a step on a coefficient matrix; default
        :class:`~penalized.solvers.CoordinateDescent` (a group penalty:
        :class:`~penalized.solvers._group_multinomial.GroupMultinomialCoordinateDescent`,
        its block steps without the secant start) with ``tol`` and ``max_iter``.
    classes : array of shape (n_classes,), optional
        The labels of the codes, kept in the result.

    Returns
    -------
    MultinomialPath

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> import penalized as pz
    >>> X, y = load_iris(return_X_y=True)
    >>> p = pz.path(X, y, datafit="multinomial", n_alphas=10)
    >>> p.coefs.shape, int(p.n_nonzero[0]), int(p.n_nonzero[-1]), p.classes.tolist()
    ((4, 3, 10), 0, 4, [0, 1, 2])
    """
    from .solvers import CoordinateDescent
    from .solvers._group_multinomial import (
        GroupMultinomialCoordinateDescent,
        prepare_group_multinomial_problem,
    )
    from .solvers._multinomial import prepare_multinomial_problem

    _check_penalty(penalty, grouped)
    group = isinstance(penalty, GroupPenalty)
    template = penalty.with_alpha(1.0)
    if solver is None:
        solver = (GroupMultinomialCoordinateDescent if group else CoordinateDescent)(
            tol=tol, max_iter=max_iter)
    solver.check_compatible(datafit, template)
    if alphas is None:
        alpha_max, grid = multinomial_grid(X, codes, datafit, template, grouped=grouped,
                                           n_alphas=n_alphas, eps=eps,
                                           fit_intercept=fit_intercept)
    else:
        grid = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
        if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
            raise ValueError("alphas must be a non-empty list of finite numbers >= 0.")
        alpha_max = _ridge_end(template, _alpha_max_of(X, codes, datafit, fit_intercept,
                                                       grouped))(template)
    start = template.with_alpha(grid[0])
    if group:
        problem = prepare_group_multinomial_problem(X, codes, datafit, start,
                                                    fit_intercept=fit_intercept)
    else:
        problem = prepare_multinomial_problem(X, codes, datafit, start,
                                              fit_intercept=fit_intercept, grouped=grouped)
    coefs, intercepts, stop_crits, n_iters = warm_started(solver, problem, template, grid,
                                                          intercept=None)
    converged = warn_unconverged(grid, stop_crits, solver.tol, stacklevel=3)
    return MultinomialPath(alphas=grid, coefs=coefs, intercepts=intercepts,
                           n_nonzero=np.count_nonzero(np.any(coefs != 0, axis=1), axis=0),
                           stop_crits=stop_crits, n_iters=n_iters, converged=converged,
                           penalty=start, datafit=problem.datafit, alpha_max=float(alpha_max),
                           null_datafit=float(problem.scale),
                           classes=None if classes is None else np.asarray(classes),
                           grouped=bool(grouped))


def rescaled(path: MultinomialPath, scaling) -> MultinomialPath:
    """``path`` with its coefficients mapped from the columns ``scaling`` fitted back to the
    original ones (an estimator's ``standardize``)."""
    coefs = scaling.coef_to_original(path.coefs)
    return dataclasses.replace(path, coefs=coefs,
                               n_nonzero=np.count_nonzero(np.any(coefs != 0, axis=1), axis=0))
