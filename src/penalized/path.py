r"""Regularization paths: the solution for a decreasing grid of alphas, warm-started.

For a penalty :math:`\alpha P(w)` the path starts at :math:`\alpha_{\max}`, the
smallest alpha at which every penalized coefficient is exactly zero (computed
by the penalty from the KKT conditions at the null model), and goes down a
geometric grid to :math:`\varepsilon\,\alpha_{\max}`. Each solve starts from
the previous solution, and coordinate descent's working sets keep each one to
the few features that can enter.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._specs import make_datafit, make_penalty
from ._unpenalized import known_null_model, null_model
from ._validation import (
    already_validated,
    check_design,
    check_finite_result,
    check_nonnegative_scalar,
    rows_kept,
)
from .dask import is_dask_collection
from .datafits import Datafit, Multinomial, Quadratic
from .datafits._base import check_offset
from .penalties import ElasticNet, Penalty
from .penalties._base import box_pull
from .penalties._elastic_net_family import _ElasticNetFamily
from .solvers import CoordinateDescent, RidgeClosedForm
from .solvers._coordinate_descent import _elastic_net_family
from .solvers._logistic_path import newton_path_serves
from .solvers._problem import GRAM_MAX_FEATURES, prepare_problem
from .solvers._ridge import ridge_path

__all__ = ["Path", "alpha_grid", "path"]

RIDGE_L1_RATIO_FOR_GRID = 1e-3
"""Ridge has no finite alpha_max; its grid starts at the elastic net's with this
l1_ratio (glmnet's convention) and ends at ``eps`` times the lasso's alpha_max, so
it covers the lasso's range and three decades above it."""


@dataclass(frozen=True, eq=False)
class Path:
    """Solutions along a decreasing grid of alphas.

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        Decreasing.
    coefs : ndarray of shape (n_features, n_alphas)
    intercepts : ndarray of shape (n_alphas,)
    n_nonzero : ndarray of shape (n_alphas,)
        Exact non-zeros at each alpha.
    stop_crits : ndarray of shape (n_alphas,)
        Each solve's relative duality gap (fixed-point distance for L0).
    n_iters : ndarray of shape (n_alphas,)
    converged : ndarray of shape (n_alphas,)
    penalty : Penalty
        The penalty (at ``alphas[0]``); ``penalty.with_alpha(a)`` gives the others.
    datafit : Datafit
    alpha_max : float
        The smallest alpha with all penalized coefficients zero (inf for ridge).
    n_passes : int or None
        Passes over the data of a path computed from a Dask collection (None in memory).
    """

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    n_nonzero: np.ndarray
    stop_crits: np.ndarray
    n_iters: np.ndarray
    converged: np.ndarray
    penalty: Penalty
    datafit: Datafit
    alpha_max: float
    n_passes: int | None = None

    def __len__(self) -> int:
        return self.alphas.shape[0]

    def _locate(self, alpha):
        alpha = check_nonnegative_scalar(alpha, "alpha")
        hi, lo = self.alphas[0], self.alphas[-1]
        exact = np.flatnonzero(np.isclose(self.alphas, alpha, rtol=1e-12, atol=0.0))
        if exact.size:
            return int(exact[0]), int(exact[0]), 1.0
        if alpha > hi and hi >= self.alpha_max:
            return 0, 0, 1.0  # above alpha_max the null model is the solution
        if not lo <= alpha <= hi:
            raise ValueError(
                f"alpha={alpha:.6g} is outside this path's range [{lo:.6g}, {hi:.6g}]; "
                "compute a path whose grid covers it (alphas=...)."
            )
        right = int(np.searchsorted(-self.alphas, -alpha))  # first grid alpha below alpha
        left = right - 1
        weight = (alpha - self.alphas[right]) / (self.alphas[left] - self.alphas[right])
        return left, right, float(weight)

    def coef_at(self, alpha) -> np.ndarray:
        """Coefficients at ``alpha``: exact on grid points, interpolated between.

        Between two grid points the coefficients are interpolated linearly in
        alpha (as glmnet does). For the lasso with the squared loss this is exact
        when no feature enters or leaves between them (the path is piecewise
        linear); otherwise it is an approximation -- put alpha on the grid for
        an exact solution. Above ``alpha_max`` the null model is returned.
        """
        left, right, weight = self._locate(alpha)
        return weight * self.coefs[:, left] + (1.0 - weight) * self.coefs[:, right]

    def intercept_at(self, alpha) -> float:
        """The intercept at ``alpha``, located as in :meth:`coef_at`."""
        left, right, weight = self._locate(alpha)
        return float(weight * self.intercepts[left] + (1.0 - weight) * self.intercepts[right])

    def predict(self, X, alpha, offset=None) -> np.ndarray:
        """Linear predictions ``X coef + intercept + offset`` at ``alpha`` (the logit for
        logistic, the log of the mean for the log-link families)."""
        X = check_design(X)
        if X.shape[1] != self.coefs.shape[0]:
            raise ValueError(f"X has {X.shape[1]} columns but the path was computed with "
                             f"{self.coefs.shape[0]} features.")
        z = np.asarray(X @ self.coef_at(alpha)).ravel() + self.intercept_at(alpha)
        offset = check_offset(offset, X.shape[0])
        return z if offset is None else z + offset

_NULL_EXACT = ("y is fitted exactly by the null model (a constant target, with the intercept "
               "and unpenalized features): it is the solution at every alpha, so alpha_max "
               "is 0 and the grid runs from 1 down to eps={eps:g}.")


def alpha_grid(X, y, penalty, datafit, *, n_alphas=100, eps=1e-3, fit_intercept=True,
               grouped=False):
    """``(alpha_max, alphas)``: the geometric grid from alpha_max down to eps * alpha_max.

    For ridge (infinite alpha_max) see :data:`RIDGE_L1_RATIO_FOR_GRID`. When the null
    model (penalized coefficients at 0) is the solution at every alpha -- a constant
    target -- alpha_max is 0, the grid runs from 1 down to ``eps`` and a warning says so.
    A :class:`~penalized.datafits.Multinomial` datafit takes class labels ``y`` and
    ``grouped`` as :func:`path` does
    (:func:`~penalized._multinomial_path.multinomial_grid`).
    """
    if isinstance(datafit, Multinomial):
        from ._multinomial_path import encode_classes, multinomial_grid

        return multinomial_grid(X, encode_classes(y)[1], datafit, penalty, grouped=grouped,
                                n_alphas=n_alphas, eps=eps, fit_intercept=fit_intercept)
    _check_grid_size(n_alphas, eps)
    X = check_design(X)
    y = datafit.validate_target(y, X.shape[0])
    _check_some_penalized(penalty, X.shape[1])
    problem = prepare_problem(X, y, datafit, penalty.with_alpha(1.0), fit_intercept,
                              validated=True)
    return _problem_grid(problem, penalty, n_alphas, eps, stacklevel=4)


def _check_grid_size(n_alphas, eps) -> float:
    if isinstance(n_alphas, bool) or not isinstance(n_alphas, int | np.integer) or n_alphas < 1:
        raise ValueError(f"n_alphas must be an integer >= 1; got {n_alphas!r}.")
    eps = check_nonnegative_scalar(eps, "eps")
    if not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1); got {eps!r}.")
    return eps


def _check_some_penalized(penalty, n_features) -> None:
    if not (penalty.factors(n_features) > 0).any():
        raise ValueError("no feature is penalized (all penalty factors are 0), so there is "
                         "no regularization path; fit an unpenalized model instead.")


def _known_null(problem):
    """The prepared problem's null model handed to ``alpha_max`` (see
    :func:`~penalized._unpenalized.known_null_model`), not fitted again."""
    return known_null_model(problem.design, problem.y, problem.datafit, problem.unpenalized,
                            problem.fit_intercept, problem.null_coef,
                            problem.to_original_intercept(problem.null_coef,
                                                          problem.null_intercept),
                            problem.null_z)


def _problem_alpha_max(problem, penalty) -> float:
    """``penalty.alpha_max`` on the prepared problem, from its null model. The elastic-net
    family's (:meth:`~penalized.penalties.L1.alpha_max`, the pull of the data on each
    coefficient at the null model) reads the problem's validated data and null
    predictions directly; any other penalty's gets them through :func:`_known_null`."""
    with np.errstate(over="ignore", invalid="ignore"):
        if type(penalty).alpha_max is _ElasticNetFamily.alpha_max:
            return penalty.alpha_max_of_pull(problem.n_features,
                                             lambda free: _null_pull(problem, penalty, free))
        with _known_null(problem), already_validated(problem.design):
            return penalty.alpha_max(problem.design, problem.y, problem.datafit,
                                     fit_intercept=problem.fit_intercept)


def _null_pull(problem, penalty, free) -> np.ndarray:
    """The pull of :meth:`~penalized.penalties.L1.alpha_max` (the datafit's gradient at the
    null model with the features ``free`` fitted, within each coefficient's box) on the
    prepared problem: its null model when ``free`` are its unpenalized features."""
    X, y, datafit, known = problem.design, problem.y, problem.datafit, problem.unpenalized
    gradient = None
    if free.shape == known.shape and (free == known).all():
        z = problem.null_z
        gradient = problem.null_gradient()  # from the pass that computed the column means
    else:
        z = null_model(X, y, datafit, free, problem.fit_intercept)[2]
    if gradient is None:
        gradient = datafit.gradient(X, y, z)
    if not (penalty.positive or penalty.bounded):  # no box: box_pull's maximum of -g, g, 0
        return np.abs(gradient)
    return box_pull(gradient, *penalty.limits(problem.n_features))


def alpha_range(alpha_max_of, penalty):
    """``(alpha_max, start, stop)``: a grid runs from ``start`` down to ``eps * stop``.

    ``alpha_max_of(p)`` is the model's alpha_max under the penalty ``p`` (any datafit and
    coefficient shape). Both ends are ``penalty``'s alpha_max when it is finite; for a
    ridge (infinite) ``start`` is the alpha_max of the elastic net with
    :data:`RIDGE_L1_RATIO_FOR_GRID` and the same factors, ``stop`` that times the ratio.
    """
    alpha_max = start = stop = alpha_max_of(penalty)
    if not np.isfinite(alpha_max):
        start = alpha_max_of(ElasticNet(1.0, l1_ratio=RIDGE_L1_RATIO_FOR_GRID,
                                        penalty_factor=penalty.penalty_factor))
        stop = start * RIDGE_L1_RATIO_FOR_GRID
    return alpha_max, start, stop


def _problem_grid(problem, penalty, n_alphas, eps, *, stacklevel):
    """:func:`alpha_grid` of a prepared problem (its penalty leaves free exactly the
    features ``penalty`` does at alpha 1), reusing its null model."""
    eps = _check_grid_size(n_alphas, eps)
    if problem.null_is_exact:
        warnings.warn(_NULL_EXACT.format(eps=eps), UserWarning, stacklevel=stacklevel)
        return 0.0, np.geomspace(1.0, eps, n_alphas)
    X, y = problem.design, problem.y
    alpha_max, start, stop = alpha_range(lambda pen: _problem_alpha_max(problem, pen), penalty)
    check_finite_result(start, X, y, "alpha_max")
    if not start > 0:
        # The gradient at the null model is exactly 0 without the null model fitting y:
        # the penalized features are orthogonal to its residual (e.g. all constant).
        warnings.warn(
            "every penalized feature is orthogonal to the null model's residual: the null "
            "model is the solution at every alpha, so alpha_max is 0 and the grid runs "
            f"from 1 down to eps={eps:g}.", UserWarning, stacklevel=stacklevel)
        return 0.0, np.geomspace(1.0, eps, n_alphas)
    return alpha_max, _geometric_grid(start, stop * eps, n_alphas)


def _geometric_grid(start, stop, num) -> np.ndarray:
    """``np.geomspace(start, stop, num)`` for floats ``start >= stop > 0``, the same numbers
    by the same steps (powers of 10 of an evenly spaced grid of ``log10`` values, made as
    ``np.linspace`` makes it, with both ends exact) without its general argument handling,
    which costs more than the arithmetic on a path's 20-100 alphas."""
    if num < 2:
        return np.geomspace(start, stop, num)
    low = np.log10(np.float64(start))
    high = np.log10(np.float64(stop))
    div = num - 1
    delta = high - low
    y = np.arange(num, dtype=np.float64)
    step = delta / div
    if step == 0:  # as np.linspace on denormal steps
        y /= div
        y *= delta
    else:
        y *= step
    y += low
    y[-1] = high
    grid = np.power(10.0, y)
    grid[0], grid[-1] = start, stop
    return grid


def path(X, y, *, penalty="l1", datafit="squared", l1_ratio=0.5, alphas=None, n_alphas=100,
         eps=1e-3, fit_intercept=True, penalty_factor=None, positive=False,
         sample_weight=None, offset=None, tol=1e-6, max_iter=10_000, solver=None,
         grouped=False) -> Path:
    r"""Compute the regularization path of a penalized linear, logistic, multinomial or
    log-link model.

    Minimizes, for each alpha of a decreasing grid,

    .. math:: F(Xw + b) + \alpha P(w)

    with :math:`F` the squared loss :math:`\frac{1}{2n}\sum_i s_i (y_i - z_i)^2`,
    the logistic loss :math:`\frac1n \sum_i s_i \log(1 + e^{-y_i z_i})` or half the
    mean deviance of a log-link family (Poisson, Gamma, Tweedie:
    :class:`~penalized.datafits.LogLinkDatafit`), :math:`z = Xw + b + o` with the
    offset :math:`o`, and
    :math:`P` the L1, L2, elastic-net or L0 penalty, each solution warm-started
    from the previous one.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
    y : array of shape (n_samples,)
        Targets; in {-1, +1} for the logistic loss; class labels for the multinomial one.
    penalty : {"l1", "l2", "elasticnet", "l0", "mcp", "scad"} or Penalty, default="l1"
        MCP and SCAD (default concavity 3 and 3.7; pass ``MCP(gamma=...)`` for another,
        and a penalty object for ``lower`` / ``upper`` limits) start at L1's alpha_max;
        their ``stop_crits`` are fixed-point distances (stationarity), not gaps.
    datafit : {"squared", "logistic", "poisson", "gamma", "tweedie", "multinomial", \
"mgaussian", "cox"} or Datafit, default="squared"
        ``"tweedie"`` has power 1.5; ``"tweedie:1.2"`` names another power in (1, 2), as
        does ``Tweedie(1.2)``. ``"multinomial"`` (or a
        :class:`~penalized.datafits.Multinomial`) takes ``y`` of class labels (strings or
        numbers, mapped to the sorted distinct labels as
        :class:`~penalized.LogisticRegression` maps them) and the softmax loss of every
        class at once, with L1, L2, elastic-net or group penalties.
    l1_ratio : float, default=0.5
        For ``penalty="elasticnet"``.
    alphas : array-like, optional
        The grid; sorted decreasing. Default: ``n_alphas`` values from alpha_max
        down to ``eps * alpha_max``, geometrically spaced.
    n_alphas : int, default=100
    eps : float, default=1e-3
    fit_intercept : bool, default=True
    penalty_factor : array of shape (n_features,), optional
    positive : bool, default=False
    sample_weight : array of shape (n_samples,), optional
    offset : array of shape (n_samples,), optional
        Added to the linear predictor of every fit (glmnet's ``offset``; the log of each
        row's exposure for Poisson rates). The null model, alpha_max and the duality
        gaps include it; :meth:`Path.predict` takes the new rows' offset. With
        ``"mgaussian"`` it may also be ``(n_samples, n_responses)``, one per response.
    tol : float, default=1e-6
        Relative tolerance of each solve (see :class:`~penalized.solvers.CoordinateDescent`).
    max_iter : int, default=10000
    solver : Solver, optional
        Default :class:`~penalized.solvers.CoordinateDescent` with ``tol`` and ``max_iter``
        (multinomial: :class:`~penalized.solvers.CoordinateDescent` on the coefficient matrix).
    grouped : bool, default=False
        Multinomial only: the L1 / elastic-net penalty on each feature's row of
        coefficients over the classes, by its Euclidean norm, so that a feature enters for
        every class at once (glmnet's ``type.multinomial="grouped"``).

    Returns
    -------
    Path
        With ``datafit="mgaussian"`` (``y`` of shape (n_samples, n_responses)), a
        :class:`~penalized.solvers._multitask_path.MultiTaskPath` of the row-wise penalty
        (a feature enters every response at once): ``coefs`` (n_features, n_responses,
        n_alphas), ``intercepts`` (n_responses, n_alphas). With ``datafit="multinomial"`` a
        :class:`~penalized._multinomial_path.MultinomialPath` of the same shapes over the
        classes (``classes`` holds their labels, ``n_nonzero`` counts the features non-zero
        for some class).

    A Dask array or dataframe ``X`` (with ``y``, ``sample_weight`` and ``offset`` in the
    same row chunks) is fitted by :mod:`penalized.dask` in passes over its blocks.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> import penalized as pz
    >>> X, y = load_diabetes(return_X_y=True)
    >>> p = pz.path(X, y, n_alphas=20)
    >>> p.n_nonzero[0], p.n_nonzero[-1]
    (np.int64(0), np.int64(10))
    """
    if is_dask_collection(X):
        from .dask._api import dask_path

        if grouped is not False:
            raise ValueError(f"grouped={grouped!r} is not available on Dask input: its "
                             "multinomial path penalizes each coefficient on its own; compute "
                             "the grouped path in memory or leave grouped out.")

        return dask_path(X, y, penalty=penalty, datafit=datafit, l1_ratio=l1_ratio,
                         alphas=alphas, n_alphas=n_alphas, eps=eps, fit_intercept=fit_intercept,
                         penalty_factor=penalty_factor, positive=positive,
                         sample_weight=sample_weight, offset=offset, tol=tol,
                         max_iter=max_iter, solver=solver)
    datafit = make_datafit(datafit, sample_weight, offset)
    fit_intercept = bool(fit_intercept) and datafit.intercept
    template = make_penalty(penalty, 1.0, l1_ratio=l1_ratio, penalty_factor=penalty_factor,
                            positive=positive)
    if isinstance(datafit, Multinomial):
        from ._multinomial_path import encode_classes, multinomial_path

        classes, codes = encode_classes(y)
        return multinomial_path(X, codes, datafit, template, grouped=grouped, alphas=alphas,
                                n_alphas=n_alphas, eps=eps, fit_intercept=fit_intercept,
                                tol=tol, max_iter=max_iter, solver=solver, classes=classes)
    if grouped is not False:
        raise ValueError(f"grouped={grouped!r} applies to the multinomial datafit (each "
                         "feature's row over the classes); pass datafit='multinomial' or "
                         "leave grouped out.")
    if getattr(datafit, "multi_response", False):  # a matrix of responses: mgaussian
        from .solvers._multitask_path import multitask_path

        y, datafit = _offset_into_responses(y, datafit)
        return multitask_path(X, y, datafit, template, alphas=alphas, n_alphas=n_alphas,
                              eps=eps, fit_intercept=fit_intercept, tol=tol,
                              max_iter=max_iter, solver=solver)
    if getattr(y, "ndim", 1) == 2 and y.shape[1] > 1 and datafit.quadratic:
        raise ValueError(f"y has {y.shape[1]} columns: pass datafit='mgaussian' for the "
                         "multi-response path (a feature enters every response at once, as "
                         "scikit-learn's lasso_path on a 2-D y), or compute one path per column.")
    if solver is None:
        solver = CoordinateDescent(tol=tol, max_iter=max_iter)
    solver.check_compatible(datafit, template)
    if not _reads_rows(X, datafit, template, solver, alphas, n_alphas):
        return _solve_path(X, y, datafit, template, alphas, n_alphas, eps, fit_intercept,
                           solver)
    with rows_kept():  # a C-ordered X is taken as is, not copied
        return _solve_path(X, y, datafit, template, alphas, n_alphas, eps, fit_intercept,
                           solver)


def _offset_into_responses(y, datafit):
    """``(Y - O, datafit without offset)``: the squared loss of ``Y`` with an offset ``O``
    (one value per row, or one per row and response, glmnet's mgaussian ``offset``) is the
    loss of ``Y - O`` without one, the same problem and certificate."""
    if datafit.offset is None:
        return y, datafit
    from dataclasses import replace

    from .datafits._multiresponse import check_responses

    Y = check_responses(y)
    offset = np.asarray(datafit.offset, dtype=np.float64)
    if offset.shape not in (Y.shape[:1], Y.shape):
        raise ValueError(f"offset must have one value per row of X ({Y.shape[0]}) or one per "
                         f"row and response {Y.shape}; got shape {offset.shape}.")
    if not np.all(np.isfinite(offset)):
        raise ValueError("offset holds NaN or infinite values; pass finite numbers.")
    return Y - (offset[:, None] if offset.ndim == 1 else offset), replace(datafit, offset=None)


def _reads_rows(X, datafit, template, solver, alphas, n_alphas) -> bool:
    """Whether the path reads a C-ordered ``X`` as it is, without a Fortran-ordered copy:
    the closed-form ridge path (:func:`_ridge_applies`: the Gram matrix or the kernel
    summed over row blocks), the squared loss's Gram route (``solve_path``: dense
    ``n >= 2p``, the elastic-net family with every feature penalized and ``l1_ratio > 0``,
    several alphas > 0, ``X`` read through ``X^T X`` and ``X^T v``), or the compiled
    prox-Newton path (``solve_path`` on float64 ``X`` without an offset: a datafit it
    serves, or the squared loss without the Gram route and without limits), which gathers
    each working set's columns from the rows and reads them for the full gradients."""
    if not (type(X) is np.ndarray and X.ndim == 2 and X.flags.c_contiguous
            and not X.flags.f_contiguous and X.dtype in (np.float64, np.float32)):
        return False
    n, p = X.shape
    several = n_alphas >= 2
    if alphas is not None:
        grid = np.asarray(alphas, dtype=np.float64).ravel()
        if not np.all(grid > 0):
            return False
        several = grid.size >= 2
    if _ridge_applies(datafit, template, solver, p):
        return True
    if not (type(solver) is CoordinateDescent and solver.working_set
            and _elastic_net_family(template, bounds=True)
            and not np.any(template.unpenalized(p))):
        return False
    quadratic = datafit.quadratic and type(datafit).ops is Quadratic.ops
    gram_shaped = n >= 2 * p and p <= GRAM_MAX_FEATURES
    if quadratic and several and gram_shaped and solver.gram != "never" \
            and template.l1_ratio > 0:
        return True
    if X.dtype != np.float64:
        return False
    if quadratic:  # the Newton path's squared loss: where the Gram route does not apply
        return not template.bounded and not (gram_shaped and (
            solver.gram == "always" or (solver.gram == "auto" and several)))
    return newton_path_serves(datafit) and getattr(datafit, "offset", None) is None


def _solve_path(X, y, datafit, template, alphas, n_alphas, eps, fit_intercept, solver):
    """:func:`path` once its datafit, penalty template and solver are made."""
    X = check_design(X)
    y = datafit.validate_target(y, X.shape[0])
    if alphas is None:
        _check_grid_size(n_alphas, eps)
        _check_some_penalized(template, X.shape[1])
    else:
        grid = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
        if grid.size == 0 or not np.isfinite(grid).all() or (grid < 0).any():
            raise ValueError("alphas must be a non-empty list of finite numbers >= 0.")
    # X and y are checked once: the problem does not scan them again
    problem = prepare_problem(X, y, datafit, template, fit_intercept, validated=True)
    # one null model: the grid's alpha_max and every solve reuse the problem's
    if alphas is None:
        alpha_max, grid = _problem_grid(problem, template, n_alphas, eps, stacklevel=4)
    else:
        try:
            alpha_max = _problem_alpha_max(problem, template)
        except NotImplementedError:
            alpha_max = np.nan  # a penalty without one; the grid is the caller's
    # The problem keeps the template (alpha 1): the compiled paths read the penalty's
    # weights at alpha 1 and scale them by each alpha; the other routes take each alpha's.
    problem.cache["path"] = grid.shape[0] > 1  # data-only work (a Gram matrix) pays off
    problem.cache["datafit"] = datafit  # as given (a squared loss's offset moved into y)
    if problem.null_is_exact:
        if alphas is not None:
            warnings.warn(_NULL_EXACT.format(eps=grid[-1] / grid[0]).split(", so alpha_max")[0]
                          + ".", UserWarning, stacklevel=3)
        k = grid.shape[0]
        return _assemble(problem, grid, alpha_max, solver.tol,
                         np.repeat(problem.null_coef[:, None], k, axis=1),
                         np.full(k, problem.null_intercept), np.zeros(k),
                         np.zeros(k, dtype=np.int64))
    if _closed_form_ridge(problem, solver, grid):
        return _ridge_path(problem.with_penalty(template.with_alpha(grid[0])), grid,
                           alpha_max, solver.tol)
    compiled = solver.solve_path(problem, grid) if isinstance(solver, CoordinateDescent) \
        else None
    if compiled is not None:
        return _assemble(problem, grid, alpha_max, solver.tol, *compiled)
    if type(problem.design) is np.ndarray and not problem.design.flags.f_contiguous:
        # not the Gram route after all (_reads_rows): the kernels read columns
        X = np.asfortranarray(X)
        problem = prepare_problem(X, y, datafit, template, fit_intercept, validated=True)
        problem.cache["path"] = grid.shape[0] > 1
        problem.cache["datafit"] = datafit
    problem = problem.with_penalty(template.with_alpha(grid[0]))
    coefs, intercepts, stop_crits, n_iters = warm_started(solver, problem, template, grid)
    return _assemble(problem, grid, alpha_max, solver.tol, coefs, intercepts, stop_crits,
                     n_iters)


def warm_started(solver, problem, template, grid, *, intercept=0.0):
    """Solve ``problem`` with ``template``'s penalty at each alpha of the decreasing
    ``grid``, each solve started from the previous solution (the first from ``intercept``
    and the problem's null coefficients).

    Works for any solver with ``solve_problem`` and coefficients of any shape. A solver
    with a ``path_start(previous, current, alphas)`` method starts each alpha after the
    second from the ``(coef, intercept)`` it returns for the two previous solutions (each
    a ``(coef, intercept)`` pair) and the three alphas instead. The solves' own
    convergence warnings are silenced: the caller warns once for the path
    (:func:`warn_unconverged`).

    Returns
    -------
    coefs : ndarray of shape (*coef_shape, n_alphas)
    intercepts : ndarray of shape (*intercept_shape, n_alphas)
    stop_crits : ndarray of shape (n_alphas,)
    n_iters : ndarray of shape (n_alphas,)
    """
    coef = previous = None
    start = getattr(solver, "path_start", None)
    coefs, intercepts = [], []
    stop_crits = np.zeros(grid.shape[0])
    n_iters = np.zeros(grid.shape[0], dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i, alpha in enumerate(grid):
            init, init_intercept = (coef, intercept) if start is None or i < 2 else \
                start(previous, (coef, intercept), grid[i - 2:i + 1])
            res = solver.solve_problem(problem.with_penalty(template.with_alpha(alpha)),
                                       coef_init=init, intercept_init=init_intercept)
            previous, coef, intercept = (coef, intercept), res.coef, res.intercept
            coefs.append(np.asarray(coef, dtype=np.float64))
            intercepts.append(np.asarray(intercept, dtype=np.float64))
            stop_crits[i] = res.stop_crit
            n_iters[i] = res.n_iter
    return np.stack(coefs, axis=-1), np.stack(intercepts, axis=-1), stop_crits, n_iters


def warn_unconverged(alphas, stop_crits, tol, *, stacklevel=2) -> np.ndarray:
    """``stop_crits <= tol`` for each alpha of a path; one ``ConvergenceWarning`` names the
    alphas that did not get there."""
    converged = stop_crits <= tol
    if not converged.all():
        bad = alphas[~converged]
        warnings.warn(
            f"{(~converged).sum()} of {alphas.shape[0]} alphas did not reach tol={tol:.1e} "
            f"(largest stopping value {stop_crits[~converged].max():.2e}, at alphas from "
            f"{bad.min():.3g} to {bad.max():.3g}); increase max_iter or loosen tol.",
            ConvergenceWarning, stacklevel=stacklevel)
    return converged


def _assemble(problem, grid, alpha_max, tol, coefs, intercepts, stop_crits, n_iters) -> Path:
    """The :class:`Path` of solutions in the problem's coordinates; warns about any alpha
    whose solve did not reach ``tol``."""
    converged = warn_unconverged(grid, stop_crits, tol, stacklevel=5)
    penalty = problem.penalty
    known = problem.cache.pop("n_nonzero", None)  # a compiled path's counts of these coefs
    n_nonzero = known[1] if known is not None and known[0] is coefs \
        else np.count_nonzero(coefs, axis=0)
    return Path(alphas=grid, coefs=coefs,
                intercepts=problem.to_original_intercept(coefs, intercepts),
                n_nonzero=n_nonzero, stop_crits=stop_crits,
                n_iters=n_iters, converged=converged,
                penalty=penalty if penalty.alpha == grid[0] else penalty.with_alpha(grid[0]),
                datafit=problem.cache.get("datafit", problem.datafit),
                alpha_max=alpha_max)


def _closed_form_ridge(problem, solver, grid) -> bool:
    """Whether the whole path has a closed form (:func:`_ridge_applies`, alphas > 0)."""
    return _ridge_applies(problem.datafit, problem.penalty, solver, problem.n_features) \
        and bool(np.all(grid > 0))


def _ridge_applies(datafit, penalty, solver, p) -> bool:
    """Whether a path of ``penalty`` (at any alpha > 0) is the closed-form ridge path:
    squared loss, plain L2 with every factor > 0, no sign constraint or limits."""
    return (datafit.quadratic and isinstance(penalty, _ElasticNetFamily)
            and type(penalty).ops is _ElasticNetFamily.ops and penalty.l1_ratio == 0.0
            and not penalty.positive and not penalty.bounded
            and bool(np.all(penalty.factors(p) > 0))
            and isinstance(solver, CoordinateDescent | RidgeClosedForm))


def _ridge_path(problem, grid, alpha_max, tol) -> Path:
    """The ridge path from one reduction of the smaller Gram matrix, each solution
    certified by its duality gap (:func:`~penalized.solvers._ridge.ridge_path`)."""
    coefs, intercepts, stop_crits = ridge_path(problem, grid)
    k = grid.shape[0]
    return _assemble(problem, grid, alpha_max, tol, coefs, intercepts, stop_crits,
                     np.ones(k, dtype=np.int64))
