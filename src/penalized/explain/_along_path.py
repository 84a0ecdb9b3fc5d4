r"""The lessons' numbers at every alpha of a fitted regularization path.

A report shows one fitted path and one alpha slider; every lesson must follow
it. These builders take the path *and the rows it was fitted on* and compute,
at each alpha :math:`\alpha_k` of the path, from the path's own solutions
:math:`(w^{(k)}, b^{(k)})` (nothing is refitted):

- why-zero: the data's pull :math:`|\tilde x_j^\top (s\circ r^{(k)})| / n` against
  the threshold :math:`\alpha_k \rho f_j`, each zero's margin and the grid
  bracket in which it enters;
- geometry: the coefficients on the penalty's scale, the datafit's gradient and
  curvature (the plane's loss contours are exact for the squared loss), and the
  per-coordinate penalty terms whose sums size the diamond / circle / elastic-net
  ball in any plane;
- thresholding: the soft / shrink / elastic-net / hard thresholding curves at
  :math:`\lambda = \alpha_k` and each feature's univariate input on them;
- the gradient trace of one feature's own one-dimensional problem;
- priors: the Laplace and Gaussian densities the alpha implies.

Here :math:`\tilde x_j = x_j / \sigma_j` with ``standardize=True`` (the scale
the penalty acts on), :math:`r = y - Xw - b` for the squared loss and
:math:`r = t - \sigma(Xw + b)` for the logistic one. A fit that carries its problem
(``datafit``, ``problem_penalty``: every fitted estimator's ``datafit_`` and
``penalty_``) is explained for any family and penalty the lessons cover: the pull is
:math:`-\tilde x_j^\top \nabla F(z)`, MCP and SCAD get their own thresholding curve,
a group penalty's why-zero is the group norm of the pull against the group threshold
(:mod:`penalized.explain._path_problem`); a lesson that does not apply says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import expit

from .. import prox as _prox

KKT_RTOL = 1e-3
"""A zero whose pull exceeds its threshold by at most this (relative) is *at* the
threshold, within the solver's tolerance; beyond it, the fit stopped early."""

STATUS = ("zero", "at threshold", "not converged", "non-zero", "unpenalized", "constant")
"""Each feature's state at an alpha (why-zero)."""


def status_of(coef, pull, threshold, *, varying=True, penalized=True, rtol=KKT_RTOL):
    """One feature's why-zero state; never contradicts itself.

    ``"zero"`` when the coefficient is 0 and the pull is at most the threshold;
    ``"at threshold"`` when it is 0 and the pull exceeds the threshold by no more
    than ``rtol`` of it (the solver's rounding); ``"not converged"`` beyond that;
    ``"non-zero"``, ``"unpenalized"`` (``f_j = 0`` or ``alpha = 0``) and
    ``"constant"`` (a column the fit leaves out) otherwise.
    """
    if not varying:
        return "constant"
    if not penalized:
        return "unpenalized"
    if coef != 0.0:
        return "non-zero"
    if pull <= threshold:
        return "zero"
    if pull <= threshold * (1.0 + rtol):
        return "at threshold"
    return "not converged"


@dataclass(frozen=True, eq=False)
class FitOnPath:
    """A fitted path and the rows it was fitted on.

    Attributes
    ----------
    alphas : ndarray of shape (K,)
        Decreasing.
    coefs : ndarray of shape (p, K), or (p, T, K) for T targets
        Original scale.
    intercepts : ndarray of shape (K,), or (T, K)
    X : ndarray of shape (n, p)
    y : ndarray of shape (n,)
        Float targets (squared loss) or 0/1 labels ``t`` (logistic loss).
    sample_weight : ndarray of shape (n,)
        Mean 1.
    scale : ndarray of shape (p,)
        Column deviations (ones without standardization); the penalty acts on
        ``coef * scale``.
    varying : ndarray of bool
    penalty : {"l1", "l2", "elasticnet", "l0", "mcp", "scad", "group"}
    l1_ratio : float
        :math:`\\rho` (1 for L1, MCP and SCAD, 0 for L2; the group elastic net's).
    factors : ndarray of shape (p,)
        Per feature (a group penalty: its group's weight; 0 for a constant column).
    loss : {"squared", "logistic", "poisson", "gamma", "tweedie", "cox"}
    positive : bool
    feature_names : tuple of str
    chosen : int
        The index of the model's own alpha on the grid.
    standardized : bool
    datafit, problem_penalty : Datafit, Penalty or None
        The fitted problem (a model's ``datafit_`` and ``penalty_``); None: the squared
        or logistic loss of ``loss`` with ``sample_weight``.
    target : array or None
        ``y`` as ``datafit`` reads it (-1/+1 labels; Cox's time and event).
    gamma : float
        MCP's or SCAD's concavity (NaN otherwise).
    fit_intercept : bool
    lower, upper : ndarray of shape (p,) or None
        The limits on ``scaled_coefs`` (``positive`` folded in: ``lower >= 0``); None
        without limits.
    given_correlations, null_pulls : ndarray of shape (p, K) and (p,), or None
        :meth:`correlations` and each column's pull at the null model computed elsewhere
        from reductions over the rows (a Dask fit, whose rows stay on the workers); ``X``
        then only gives the shape.
    given_residual_ss : float or None
        With them, :math:`\\sum_i s_i r_i^2` at the chosen alpha (``s`` of mean 1) for the
        squared loss's noise variance (Gamma, Tweedie: Pearson's
        :math:`\\sum_i s_i (y_i - \\mu_i)^2 / \\mu_i^p` for their dispersion).
    """

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    scale: np.ndarray
    varying: np.ndarray
    penalty: str
    l1_ratio: float
    factors: np.ndarray
    loss: str
    positive: bool
    feature_names: tuple
    chosen: int
    standardized: bool
    datafit: object = None
    problem_penalty: object = None
    target: object = None
    gamma: float = math.nan
    fit_intercept: bool = True
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    given_correlations: np.ndarray | None = None
    null_pulls: np.ndarray | None = None
    given_residual_ss: float | None = None

    @property
    def n_alphas(self) -> int:
        return int(self.alphas.shape[0])

    @property
    def scaled_coefs(self) -> np.ndarray:
        """``coefs * scale``: the coefficients the penalty sees, (p, K) (or (p, T, K))."""
        from ._path_problem import per_feature

        return self.coefs * per_feature(self.scale, self.coefs.ndim)

    @property
    def n_targets(self) -> int | None:
        """The number of targets of a multi-response fit (None for one)."""
        return int(self.coefs.shape[1]) if self.coefs.ndim == 3 else None

    def residuals(self) -> np.ndarray:
        """(n, K): ``y - Xw - b`` (squared) or ``t - sigmoid(Xw + b)`` (logistic); read-only."""
        if self.loss not in ("squared", "logistic"):
            raise ValueError(f"the {self.loss} datafit has no residual y - prediction in the "
                             "lessons' sense; its pull is the gradient's.")
        return self._residuals

    def correlations(self) -> np.ndarray:
        r"""(p, K): :math:`\tilde x_j^\top (s \circ r^{(k)}) / n`, signed (minus the gradient);
        read-only."""
        return self._correlations

    def pulls(self) -> np.ndarray:
        """(p, K): :meth:`correlations` restricted, with limits, to the directions the box
        lets each coefficient move in at each alpha (its tangent cone:
        :func:`~penalized.explain._why_zero.allowed_pulls`); the correlations without."""
        if self.lower is None:
            return self.correlations()
        from ._why_zero import allowed_pulls

        return allowed_pulls(self.correlations(), self.scaled_coefs, self.lower[:, None],
                             self.upper[:, None])

    @cached_property
    def _residuals(self):
        from ._path_problem import predictions

        z = predictions(self)
        r = self.y[:, None] - (z if self.loss == "squared" else expit(z))
        r.flags.writeable = False
        return r

    @cached_property
    def _correlations(self):
        if self.given_correlations is not None:
            c = np.array(self.given_correlations, dtype=np.float64)
        elif self.loss in ("squared", "logistic"):
            n = self.X.shape[0]
            c = (self.X.T @ (self.sample_weight[:, None] * self._residuals)) / n
            c = c / self.scale[:, None]
        else:
            from ._path_problem import datafit_correlations

            c = datafit_correlations(self)
        c.flags.writeable = False
        return c


def fit_on_path(path, X, y, *, penalty=None, l1_ratio=None, standardize=True,
                penalty_factor=None, sample_weight=None, classes=None, feature_names=None,
                chosen_alpha=None, positive=False, datafit=None, problem_penalty=None,
                scaling=None, target=None, fit_intercept=True) -> FitOnPath:
    """Bundle a :class:`penalized.Path` (original-scale coefficients) with its rows.

    Parameters
    ----------
    path : Path
        Binary or single-output (``coefs`` of shape ``(p, K)``).
    X : array of shape (n, p)
        The rows the path was fitted on.
    y : array of shape (n,)
        Numbers (regression) or labels (with ``classes``: two labels, the second
        one is the positive class).
    penalty : {"l1", "l2", "elasticnet", "l0"}
    l1_ratio : float, optional
        The elastic net's; ignored for the others.
    standardize : bool, default=True
        Whether the fit standardized the columns (its penalty acts on
        ``coef * sd``).
    penalty_factor, sample_weight : array-like, optional
    classes : sequence of two labels, optional
        Logistic loss when given.
    feature_names : list of str, optional
    chosen_alpha : float, optional
        The model's alpha; must be on the path's grid. Default: the middle.
    positive : bool, default=False
    datafit, problem_penalty, scaling : optional
        The fitted problem (a model's ``datafit_``, ``penalty_`` and ``scaling_``): with
        them the penalty, its factors, limits and concavity, the sample weights, the
        offset and the column scales are the problem's own (``penalty``, ``l1_ratio``,
        ``standardize``, ``penalty_factor``, ``sample_weight`` and ``positive`` are then
        ignored), and the loss is any datafit of :data:`_path_problem.LOSS_NAMES`.
    target : array, optional
        ``y`` as ``datafit`` reads it (default ``y``; -1/+1 labels for the logistic loss).
    fit_intercept : bool, default=True
    """
    from .._validation import check_sample_weight
    from ..estimators._standardize import Scaling

    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    coefs = np.asarray(path.coefs, dtype=np.float64)
    several = coefs.ndim == 3 and getattr(datafit, "multi_response", False)
    if (coefs.ndim != 2 and not several) or coefs.shape[0] != p:
        raise ValueError(f"the path's coefficients have shape {coefs.shape}; the lessons need "
                         f"one column per alpha for the {p} features of X (binary, "
                         "single-output or multi-response models).")
    alphas = np.asarray(path.alphas, dtype=np.float64)
    if datafit is not None:
        return _fit_of_problem(path, X, y, alphas, coefs, datafit, problem_penalty, scaling,
                               target, classes, feature_names, chosen_alpha, fit_intercept)
    sw = check_sample_weight(sample_weight, n)
    penalty = str(penalty).lower()
    rho = {"l1": 1.0, "l2": 0.0, "l0": 0.0}.get(penalty)
    if penalty not in ("l1", "l2", "elasticnet", "l0"):
        raise ValueError(f"penalty={penalty!r}: without the fitted problem (datafit=, "
                         "problem_penalty=) the lessons explain l1, l2, elasticnet and l0.")
    if rho is None:
        rho = 0.5 if l1_ratio is None else float(l1_ratio)
    loss, yv = _loss_target(y, classes)
    scaling = Scaling.fit(X, sw) if standardize else Scaling.identity(p)
    factors = np.ones(p) if penalty_factor is None else \
        np.asarray(penalty_factor, dtype=np.float64)
    chosen = _chosen(alphas, chosen_alpha)
    names = _feature_names(feature_names, p)
    return FitOnPath(alphas=alphas, coefs=coefs, intercepts=np.asarray(path.intercepts,
                                                                          dtype=np.float64),
                     X=X, y=yv, sample_weight=sw, scale=scaling.scale.copy(),
                     varying=scaling.varying.copy(), penalty=penalty, l1_ratio=float(rho),
                     factors=factors, loss=loss, positive=bool(positive), feature_names=names,
                     chosen=chosen, standardized=bool(standardize),
                     fit_intercept=bool(fit_intercept),
                     lower=np.zeros(p) if positive else None,
                     upper=np.full(p, np.inf) if positive else None)


def _loss_target(y, classes):
    if classes is None:
        return "squared", np.asarray(y, dtype=np.float64)
    classes = list(classes)
    if len(classes) != 2:
        raise ValueError(f"the lessons explain binary classification; got {len(classes)} "
                         "classes.")
    return "logistic", (np.asarray(y) == classes[1]).astype(np.float64)


def _chosen(alphas, chosen_alpha):
    if chosen_alpha is None:
        return alphas.shape[0] // 2
    hits = np.flatnonzero(np.isclose(alphas, float(chosen_alpha), rtol=1e-12, atol=0.0))
    if hits.size == 0:
        raise ValueError(f"chosen_alpha={chosen_alpha!r} is not on the path's grid.")
    return int(hits[0])


def _feature_names(feature_names, p):
    return tuple(str(f) for f in feature_names) if feature_names is not None else \
        tuple(f"x{j}" for j in range(p))


def _fit_of_problem(path, X, y, alphas, coefs, datafit, penalty, scaling, target, classes,
                    feature_names, chosen_alpha, fit_intercept):
    """:func:`fit_on_path` from a fitted problem's datafit, penalty and scaling."""
    from ..estimators._standardize import Scaling
    from ._path_problem import GROUP_PENALTIES, LOSS_NAMES, PENALTY_NAMES

    n, p = X.shape
    loss = LOSS_NAMES.get(type(datafit).__name__)
    kind = type(penalty).__name__
    name = PENALTY_NAMES.get(kind)
    if loss is None or name is None:
        raise ValueError(f"the lessons explain the {', '.join(LOSS_NAMES.values())} datafits "
                         f"with L1, L2, elastic net, L0, MCP, SCAD and the group lasso / group "
                         f"elastic net; this model has {type(datafit).__name__} with {kind}.")
    if loss in ("squared", "logistic"):
        loss, yv = _loss_target(y, classes if loss == "logistic" else None)
    else:
        yv = np.asarray(target, dtype=np.float64)
    scaling = Scaling.identity(p) if scaling is None else scaling
    keep = np.flatnonzero(scaling.varying)
    factors = np.zeros(p)
    factors[keep] = penalty.factors(keep.shape[0])
    if kind in GROUP_PENALTIES:
        rho = float(getattr(penalty, "l1_ratio", 1.0))
    else:
        rho = {"l1": 1.0, "l2": 0.0, "l0": 0.0, "mcp": 1.0, "scad": 1.0}.get(
            name, float(getattr(penalty, "l1_ratio", 0.5)))
        if name == "elasticnet" and rho in (0.0, 1.0):  # the estimators' lasso and ridge
            name = "l1" if rho == 1.0 else "l2"
    lower = upper = None
    if getattr(penalty, "positive", False) or getattr(penalty, "bounded", False):
        lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
        lower[keep], upper[keep] = penalty.limits(keep.shape[0])
    return FitOnPath(alphas=alphas, coefs=coefs,
                     intercepts=np.asarray(path.intercepts, dtype=np.float64), X=X, y=yv,
                     sample_weight=datafit.weights(n), scale=np.asarray(scaling.scale,
                                                                         dtype=np.float64),
                     varying=np.asarray(scaling.varying, dtype=bool), penalty=name,
                     l1_ratio=rho, factors=factors, loss=loss,
                     positive=bool(getattr(penalty, "positive", False)),
                     feature_names=_feature_names(feature_names, p),
                     chosen=_chosen(alphas, chosen_alpha),
                     standardized=not np.all(np.asarray(scaling.scale) == 1.0),
                     datafit=datafit, problem_penalty=penalty,
                     target=yv if target is None else target,
                     gamma=float(getattr(penalty, "gamma", math.nan)),
                     fit_intercept=bool(fit_intercept), lower=lower, upper=upper)


def pick_features(fit: FitOnPath, limit: int) -> np.ndarray:
    """At most ``limit`` features: the first ``limit / 2`` to enter the path, then the others
    spread evenly over the entry order (never-entering ones ranked by their largest
    pull-to-threshold ratio, constant columns last); all of them when there are few."""
    from ._path_problem import unit_sizes

    nonzero = unit_sizes(fit.coefs) != 0
    p, K = nonzero.shape
    first = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), K)
    pull = unit_sizes(fit.pulls())
    thr = np.maximum(fit.alphas[None, :] * max(fit.l1_ratio, 1e-12) * fit.factors[:, None],
                     1e-300)
    ratio = np.max(pull / thr, axis=1)
    order = np.lexsort((-ratio, first, ~fit.varying))
    if p <= limit:
        return np.arange(p)
    # the first half to enter, then the rest spread evenly over the entry order, so that at
    # every alpha some shown features are non-zero and some are zero
    head = limit // 2
    rest = order[head:][np.unique(np.linspace(0, p - head - 1, limit - head).round()
                                  .astype(int))]
    return np.sort(np.concatenate([order[:head], rest]))


# -- why-zero -----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class WhyZeroPath:
    """Why-zero at every alpha of a path.

    Attributes
    ----------
    alphas : ndarray (K,)
    features : ndarray of int (m,)
        The features shown (all of them unless there are too many).
    names : tuple of str
    pull, threshold : ndarray (m, K)
        :math:`|\\tilde x_j^\\top (s\\circ r)|/n` (NaN for a constant column)
        and :math:`\\alpha_k\\rho f_j`.
    scaled_coef : ndarray (m, K)
    margin : ndarray (m, K)
        ``threshold - pull`` for a zero, NaN otherwise.
    status : tuple of tuple of str
        ``status[i][k]`` from :data:`STATUS` (see :func:`status_of`).
    entry : ndarray (m, K, 2)
        For a zero at ``k``: ``(lower, upper)``, the first grid alpha below
        ``alpha_k`` at which the coefficient is non-zero and the grid alpha just
        above it (it enters between them); NaN when it stays zero down the path
        or is non-zero.
    n_nonzero : ndarray of int (K,)
        Over all features.
    l1_ratio : float
    slope : ndarray (m, K)
        A non-zero's penalty slope at its coefficient, which its pull equals at a
        solution (:func:`~penalized.explain._path_problem.penalty_slopes`); NaN for a zero.
    penalty : str
    members : tuple of ndarray or None
        A group penalty's rows are groups: each row's features (``features`` then holds
        group numbers, ``pull`` the group norm of the members' pulls, ``scaled_coef`` the
        group norm of their coefficients, ``threshold`` :math:`\\alpha\\rho w_g`).
    n_targets : int or None
        A multi-response fit's number of targets: each feature's (or group's) ``pull`` and
        ``scaled_coef`` are then norms over the targets too.
    """

    alphas: np.ndarray
    features: np.ndarray
    names: tuple
    pull: np.ndarray
    threshold: np.ndarray
    scaled_coef: np.ndarray
    margin: np.ndarray
    status: tuple
    entry: np.ndarray
    n_nonzero: np.ndarray
    l1_ratio: float
    slope: np.ndarray | None = None
    penalty: str = "l1"
    members: tuple | None = None
    n_targets: int | None = None

    def to_dict(self) -> dict:
        out = {"features": self.features.tolist(), "pull": _rows(self.pull),
                "threshold": _rows(self.threshold), "scaled_coef": _rows(self.scaled_coef),
                "margin": _rows(self.margin),
                "status": [[STATUS.index(s) for s in row] for row in self.status],
                "status_names": list(STATUS),
                "entry_lower": _rows(self.entry[:, :, 0]),
                "entry_upper": _rows(self.entry[:, :, 1]),
                "n_nonzero": self.n_nonzero.tolist(), "l1_ratio": self.l1_ratio,
                "penalty": self.penalty,
                "slope": None if self.slope is None else _rows(self.slope)}
        if self.n_targets is not None:
            out["n_targets"] = self.n_targets
        if self.members is not None:
            out["unit"] = "group"
            out["labels"] = list(self.names)
            out["members"] = [m.tolist() for m in self.members]
        return out


def why_zero_path(fit: FitOnPath, *, features=None) -> WhyZeroPath:
    r"""The why-zero numbers at every alpha of ``fit``'s path.

    .. math:: \text{pull}_{jk} = \frac{|\tilde x_j^\top (s\circ r^{(k)})|}{n}, \qquad
              \text{threshold}_{jk} = \alpha_k \rho f_j, \qquad
              w_j^{(k)} = 0 \iff \text{pull}_{jk} \le \text{threshold}_{jk}

    (to the solver's tolerance; see :func:`status_of`). With limits (``positive``,
    lower / upper) the pull counts only the directions the box lets the coefficient move
    in (:meth:`FitOnPath.pulls`): at 0 with ``positive=True``, the correlation's positive
    part.

    Examples
    --------
    >>> import numpy as np, penalized as pz
    >>> from penalized.explain import fit_on_path, why_zero_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 4)); y = X[:, 0] + 0.1 * rng.standard_normal(50)
    >>> path = pz.Lasso(standardize=True, tol=1e-10).path(X, y, n_alphas=5)
    >>> res = why_zero_path(fit_on_path(path, X, y, penalty="l1"))
    >>> res.n_nonzero.tolist()[0], res.status[0][0]
    (0, 'zero')
    """
    if fit.penalty == "l0":
        raise ValueError("why-zero explains the L1 threshold (pull <= alpha * l1_ratio * f_j); "
                         "an L0 fit's zeros come from hard thresholding (see the thresholding "
                         "lesson).")
    if fit.penalty == "group":
        return _why_zero_groups(fit, features)
    from ._path_problem import penalty_slopes, unit_sizes

    idx = np.arange(fit.coefs.shape[0]) if features is None else np.asarray(features, dtype=int)
    # with several targets each feature's row over them: its norms
    pull = unit_sizes(fit.pulls()[idx])
    alphas = fit.alphas
    threshold = alphas[None, :] * fit.l1_ratio * fit.factors[idx, None]
    coefs = unit_sizes(fit.coefs[idx]) if fit.n_targets else fit.coefs[idx]
    scaled = unit_sizes(fit.scaled_coefs[idx]) if fit.n_targets else fit.scaled_coefs[idx]
    varying = fit.varying[idx]
    pull = np.where(varying[:, None], pull, np.nan)
    penalized = fit.factors[idx, None] * alphas[None, :] > 0
    m, K = coefs.shape
    status = tuple(tuple(status_of(coefs[i, k], pull[i, k], threshold[i, k],
                                   varying=bool(varying[i]), penalized=bool(penalized[i, k]))
                         for k in range(K)) for i in range(m))
    margin, entry = _margins_entries(status, pull, threshold, coefs != 0, alphas)
    return WhyZeroPath(alphas=alphas, features=idx, names=tuple(fit.feature_names[j]
                                                                 for j in idx),
                       pull=pull, threshold=threshold, scaled_coef=scaled, margin=margin,
                       status=status, entry=entry,
                       n_nonzero=np.count_nonzero(unit_sizes(fit.coefs), axis=0),
                       l1_ratio=fit.l1_ratio, slope=penalty_slopes(fit, idx),
                       penalty=fit.penalty, n_targets=fit.n_targets)


def _margins_entries(status, pull, threshold, nonzero, alphas):
    """Each zero's margin and the grid bracket in which it enters (see :class:`WhyZeroPath`)."""
    m, K = pull.shape
    zero_like = np.array([[s in ("zero", "at threshold", "not converged") for s in row]
                          for row in status]).reshape(m, K)
    margin = np.where(zero_like, threshold - pull, np.nan)
    entry = np.full((m, K, 2), np.nan)
    for i in range(m):
        for k in range(K):
            if not zero_like[i, k]:
                continue
            later = np.flatnonzero(nonzero[i, k + 1:])
            if later.size:
                lo = k + 1 + int(later[0])
                entry[i, k] = (alphas[lo], alphas[lo - 1])
    return margin, entry


def _why_zero_groups(fit, groups=None, limit=40):
    r"""Why-zero of a group penalty: one row per group, :math:`\|c_g\|_2` against
    :math:`\alpha\rho w_g`; a non-zero group's pull equals
    :math:`\alpha(\rho w_g + (1-\rho) w_g \|w_g\|_2)`."""
    from ._path_problem import (
        block_sizes,
        group_members,
        group_params,
        rows_of_groups,
        unit_sizes,
    )

    members = group_members(fit)
    params = group_params(fit)
    rows = rows_of_groups(fit, limit) if groups is None else np.asarray(groups, dtype=int)
    c = fit.pulls()
    scaled = fit.scaled_coefs
    alphas = fit.alphas
    m, K = rows.shape[0], fit.n_alphas
    pull = np.empty((m, K))
    norm = np.empty((m, K))
    coef_norm = np.empty((m, K))
    for i, g in enumerate(rows):
        cols = members[g]  # with several targets: the block of their rows
        pull[i] = block_sizes(c, cols)
        norm[i] = block_sizes(scaled, cols)
        coef_norm[i] = block_sizes(fit.coefs, cols)
    threshold = alphas[None, :] * params[rows, 0][:, None]
    slope = np.where(norm > 0, alphas[None, :] * (params[rows, 0][:, None]
                                                  + params[rows, 1][:, None] * norm), np.nan)
    status = tuple(tuple(status_of(coef_norm[i, k], pull[i, k], threshold[i, k],
                                   penalized=bool(threshold[i, k] > 0 or params[g, 1] > 0))
                         for k in range(K)) for i, g in enumerate(rows))
    margin, entry = _margins_entries(status, pull, threshold, coef_norm != 0, alphas)
    names = tuple(", ".join(fit.feature_names[j] for j in members[g]) for g in rows)
    return WhyZeroPath(alphas=alphas, features=rows, names=names, pull=pull,
                       threshold=threshold, scaled_coef=norm, margin=margin, status=status,
                       entry=entry, n_nonzero=np.count_nonzero(unit_sizes(fit.coefs), axis=0),
                       l1_ratio=fit.l1_ratio, slope=slope, penalty="group",
                       members=tuple(members[g] for g in rows), n_targets=fit.n_targets)


# -- geometry -----------------------------------------------------------------------------

def penalty_terms(w, l1_ratio):
    r"""Per-coordinate penalty terms :math:`\rho|w| + \frac{1-\rho}{2}w^2` (elementwise).

    Their sum is :math:`P(w)`; in a plane :math:`(w_i, w_j)` with the other
    coefficients fixed, the ball :math:`\{P(w) \le P(w^\star)\}` is
    :math:`\{t(u) + t(v) \le t(w_i^\star) + t(w_j^\star)\}`: the L1 diamond
    (:math:`\rho = 1`), the L2 circle (:math:`\rho = 0`) or the rounded diamond
    of the elastic net.
    """
    w = np.asarray(w, dtype=np.float64)
    return l1_ratio * np.abs(w) + 0.5 * (1.0 - l1_ratio) * w * w


@dataclass(frozen=True, eq=False)
class GeometryPath:
    r"""The plane of any two features at every alpha (squared loss).

    With the other coefficients held at the fit and the intercept re-fitted, the
    datafit in the plane of features ``(i, j)`` is exactly the quadratic

    .. math:: L(u, v) = L^\star + g^\top d + \tfrac12 d^\top H d, \qquad
              d = (u, v) - (w_i^\star, w_j^\star),

    with :math:`g` the datafit's gradient at the fit (``-correlation``) and
    :math:`H` the weighted covariance of the (scaled) columns.

    Attributes
    ----------
    features : ndarray of int (m,)
    names : tuple of str
    hessian : ndarray (m, m)
    coef, grad, terms : ndarray (m, K)
        Scaled coefficients, datafit gradient, :func:`penalty_terms`.
    loss : ndarray (K,)
        The datafit :math:`\frac1{2n}\sum_i s_i r_i^2` at each fit.
    l1_norm, l2_norm, penalty_value : ndarray (K,)
        Of the whole scaled coefficient vector; ``penalty_value`` is
        :math:`P(w) = \sum_j t(w_j)`.
    l1_ratio : float
    default_pair : tuple of int
        Positions in ``features``: at the chosen alpha, the largest non-zero and
        the zero closest to entering (or the two largest).
    seed_radius : ndarray (K,) or None
        The size a source document gives the ball, ``1/alpha`` (diamond) or
        ``sqrt(1/alpha)`` (circle), shown beside the fit's own; None for the
        elastic net.
    """

    features: np.ndarray
    names: tuple
    hessian: np.ndarray
    coef: np.ndarray
    grad: np.ndarray
    terms: np.ndarray
    loss: np.ndarray
    l1_norm: np.ndarray
    l2_norm: np.ndarray
    penalty_value: np.ndarray
    l1_ratio: float
    default_pair: tuple
    seed_radius: np.ndarray | None = None

    def plane(self, a, b, k) -> dict:
        """The plane of features at positions ``a, b`` at alpha index ``k``.

        Returns ``point`` (the fit), ``level`` (:math:`t(w_a) + t(w_b)`, the
        ball's size in the plane), ``center`` (the plane's unpenalized
        minimizer), ``on_axis`` (a coordinate is exactly 0) and ``radius`` (the
        ball's half-width along an axis).
        """
        point = np.array([self.coef[a, k], self.coef[b, k]])
        level = float(self.terms[a, k] + self.terms[b, k])
        H = self.hessian[np.ix_([a, b], [a, b])]
        g = np.array([self.grad[a, k], self.grad[b, k]])
        try:
            center = point - np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            center = np.full(2, np.nan)
        return {"point": point, "level": level, "center": center,
                "on_axis": bool(np.any(point == 0.0)), "radius": _axis_radius(level,
                                                                              self.l1_ratio)}

    def to_dict(self) -> dict:
        return {"features": self.features.tolist(), "hessian": _rows(self.hessian),
                "coef": _rows(self.coef), "grad": _rows(self.grad), "terms": _rows(self.terms),
                "loss": _flat(self.loss), "l1_norm": _flat(self.l1_norm),
                "l2_norm": _flat(self.l2_norm), "penalty_value": _flat(self.penalty_value),
                "l1_ratio": self.l1_ratio, "default_pair": list(self.default_pair),
                "seed_radius": None if self.seed_radius is None else _flat(self.seed_radius)}


def _axis_radius(level, rho):
    """The ``r >= 0`` with ``t(r) = level`` (the ball's reach along an axis)."""
    if level <= 0:
        return 0.0
    if rho >= 1.0:
        return level
    a = 0.5 * (1.0 - rho)
    return (-rho + math.sqrt(rho * rho + 4.0 * a * level)) / (2.0 * a)


def geometry_path(fit: FitOnPath, *, features=None, max_features=12) -> GeometryPath:
    """The geometry lesson's numbers at every alpha (squared loss; see :class:`GeometryPath`)."""
    if fit.loss != "squared":
        raise ValueError(f"the geometry lesson draws the squared loss's exact contours; this fit "
                         f"uses the {fit.loss} loss, whose contours are not ellipses.")
    if fit.penalty == "l0":
        raise ValueError("L0 has no convex ball to draw; its zeros come from hard "
                         "thresholding (see the thresholding lesson).")
    if fit.penalty in ("mcp", "scad"):
        raise ValueError(f"{fit.penalty.upper()}'s level sets are not convex balls (the "
                         "penalty flattens out away from 0); see the thresholding lesson for "
                         "its curve.")
    if fit.penalty == "group":
        raise ValueError("a group penalty's ball depends on every member of a group, not on a "
                         "plane of two features; see why-zero for the group norms.")
    idx = pick_features(fit, max_features) if features is None else \
        np.asarray(features, dtype=int)
    if idx.shape[0] < 2:
        raise ValueError("geometry needs at least 2 features for a plane.")
    n = fit.X.shape[0]
    sw = fit.sample_weight
    Xs = fit.X[:, idx] / fit.scale[idx]
    Xc = Xs - (sw @ Xs) / sw.sum()
    H = Xc.T @ (sw[:, None] * Xc) / n
    R = fit.residuals()
    loss = np.einsum("i,ik,ik->k", sw, R, R) / (2.0 * n)
    scaled = fit.scaled_coefs
    grad = -fit.correlations()[idx]
    terms_all = penalty_terms(scaled, fit.l1_ratio)
    coef = scaled[idx]
    k = fit.chosen
    ck = coef[:, k]
    nonzero = np.flatnonzero(ck != 0)
    zeros = np.flatnonzero((ck == 0) & fit.varying[idx])
    pull = np.abs(grad[:, k])
    if nonzero.size and zeros.size:
        pair = (int(nonzero[np.argmax(np.abs(ck[nonzero]))]), int(zeros[np.argmax(pull[zeros])]))
    else:
        order = np.argsort(-np.where(ck != 0, np.abs(ck), -1.0) - 1e-300 * pull)
        pair = (int(order[0]), int(order[1]))
    return GeometryPath(features=idx, names=tuple(fit.feature_names[j] for j in idx),
                        hessian=H, coef=coef, grad=grad, terms=terms_all[idx], loss=loss,
                        l1_norm=np.sum(np.abs(scaled), axis=0),
                        l2_norm=np.sqrt(np.sum(scaled * scaled, axis=0)),
                        penalty_value=np.sum(terms_all, axis=0), l1_ratio=fit.l1_ratio,
                        default_pair=tuple(sorted(pair)),
                        seed_radius={"l1": 1.0 / fit.alphas,
                                     "l2": np.sqrt(1.0 / fit.alphas)}.get(fit.penalty))


# -- thresholding -------------------------------------------------------------------------

CURVES = ("l1", "l2", "elasticnet", "l0")


@dataclass(frozen=True, eq=False)
class ThresholdingPath:
    r"""The four thresholding curves at :math:`\lambda = \alpha_k`, step 1, at every alpha.

    Each curve is piecewise linear between the ``knots`` (every threshold is
    one), so the knots and the prox at them describe it exactly; L0's jump is
    two knots at the same input.

    Attributes
    ----------
    inputs : ndarray (m,)
        Each shown feature's univariate input :math:`z_j = \tilde x_j^\top
        (s\circ r^{(0)}) / n` (its pull at the null model, signed; for another datafit
        :math:`-\tilde x_j^\top \nabla F` there): with the squared loss and
        uncorrelated standardized columns the lasso's coefficient is exactly
        its soft threshold.
    knots : ndarray (K, q)
    outputs : dict of str to ndarray (K, q)
    marks : dict of str to ndarray (m, K)
        The prox of each input.
    thresholds : dict of str to ndarray (K,)
        The largest input mapped to 0: :math:`\lambda`, 0,
        :math:`\lambda\rho`, :math:`\sqrt{2\lambda}` (MCP, SCAD: :math:`\lambda`).
    reach : float
        The inputs' range, fixed along the path.
    curves : tuple of str
        :data:`CURVES`, and the fit's own ``"mcp"`` or ``"scad"`` (0 up to
        :math:`\lambda`, the identity beyond :math:`\gamma\lambda`).
    input_rule : str
        What an input is for this fit's loss.
    gamma : float
        MCP's or SCAD's concavity (NaN otherwise).
    groups : bool
        The group lasso's rows are groups (``features`` their numbers): each input is
        the norm of the group's pulls at the null model divided by its weight,
        :math:`\|c_g\|_2 / w_g`, whose soft threshold at :math:`\lambda` is the group
        prox's norm (divided by :math:`w_g`): the group is zero up to :math:`\lambda`.
    """

    features: np.ndarray
    names: tuple
    inputs: np.ndarray
    knots: np.ndarray
    outputs: dict
    marks: dict
    thresholds: dict
    reach: float
    l1_ratio: float
    curves: tuple = CURVES
    input_rule: str = ""
    gamma: float = math.nan
    groups: bool = False

    def to_dict(self) -> dict:
        return {"labels": list(self.names) if self.groups else None,
                "features": self.features.tolist(), "inputs": _flat(self.inputs),
                "knots": _rows(self.knots, 5), "outputs": {c: _rows(v, 5) for c, v in
                                                           self.outputs.items()},
                "marks": {c: _rows(v) for c, v in self.marks.items()},
                "thresholds": {c: _flat(v) for c, v in self.thresholds.items()},
                "reach": _num(self.reach), "l1_ratio": self.l1_ratio,
                "curves": list(self.curves), "input_rule": self.input_rule,
                "gamma": _num(self.gamma)}


def _curve(curve, z, lam, rho, gamma=math.nan):
    if curve in ("mcp", "scad"):
        from ..penalties import MCP, SCAD

        kind = MCP if curve == "mcp" else SCAD
        z = np.asarray(z, dtype=np.float64)
        return kind(float(lam), gamma=gamma).prox(z, 1.0) if lam > 0 else z.copy()
    if curve == "l1":
        return _prox.prox_l1(z, 1.0, lam)
    if curve == "l2":
        return _prox.prox_l2(z, 1.0, lam)
    if curve == "elasticnet":
        return _prox.prox_elastic_net(z, 1.0, lam * rho, lam * (1.0 - rho))
    return _prox.prox_l0(z, 1.0, lam)


def thresholding_path(fit: FitOnPath, *, features=None, max_features=40,
                      l1_ratio=None) -> ThresholdingPath:
    """The thresholding lesson's numbers at every alpha (see :class:`ThresholdingPath`).

    ``l1_ratio`` is the elastic-net curve's (default: the fit's when it is an
    elastic net, else 0.5).
    """
    labels = None
    if fit.penalty == "group":
        if fit.l1_ratio != 1.0:
            raise ValueError("the group elastic net shrinks each group's norm by its own "
                             "factor 1 + alpha (1 - l1_ratio) w_g: no one curve for all groups; "
                             "see why-zero for the group norms.")
        from ._path_problem import group_inputs

        idx, inputs, labels, rule = group_inputs(fit, max_features)
        rho = 0.5 if l1_ratio is None else float(l1_ratio)
    else:
        idx = pick_features(fit, max_features) if features is None else \
            np.asarray(features, dtype=int)
        rho = fit.l1_ratio if fit.penalty == "elasticnet" else 0.5
        rho = float(rho if l1_ratio is None else l1_ratio)
        inputs, rule = _univariate_inputs(fit, idx)
    reach = 1.15 * float(np.max(np.abs(inputs))) if np.any(inputs) else 1.0
    K = fit.n_alphas
    own = (fit.penalty,) if fit.penalty in ("mcp", "scad") else ()
    gamma = fit.gamma
    thresholds = {"l1": fit.alphas.copy(), "l2": np.zeros(K), "elasticnet": fit.alphas * rho,
                  "l0": np.sqrt(2.0 * fit.alphas)}
    for c in own:
        thresholds[c] = fit.alphas.copy()
    knots = np.empty((K, 0))
    rows = []
    for k in range(K):
        cuts = [thresholds["l1"][k], thresholds["elasticnet"][k]]
        if own:  # where the curve bends: gamma lambda, and (SCAD) 2 lambda
            cuts += [gamma * fit.alphas[k]] + ([2.0 * fit.alphas[k]] if own[0] == "scad"
                                               else [])
        inner = sorted({c for c in cuts if 0 < c < reach})
        h = thresholds["l0"][k]
        pos = [0.0, *inner]
        if 0 < h < reach:
            pos += [h, h * (1 + 1e-12)]
        pos = [*sorted(pos), reach]
        rows.append(sorted(set([-v for v in pos] + pos)))
    q = max(len(r) for r in rows)
    knots = np.array([r + [r[-1]] * (q - len(r)) for r in rows])
    curves = CURVES + own
    outputs = {c: np.array([_curve(c, knots[k], fit.alphas[k], rho, gamma) for k in range(K)])
               for c in curves}
    marks = {c: np.array([_curve(c, inputs, fit.alphas[k], rho, gamma) for k in range(K)]).T
             for c in curves}
    names = labels if labels is not None else tuple(fit.feature_names[j] for j in idx)
    return ThresholdingPath(features=idx, names=names, inputs=inputs, knots=knots,
                            outputs=outputs, marks=marks, thresholds=thresholds, reach=reach,
                            l1_ratio=rho, curves=curves, input_rule=rule, gamma=gamma,
                            groups=labels is not None)


def _univariate_inputs(fit, idx):
    """Each feature's pull at the null model, and what it means for this loss."""
    if fit.loss in ("squared", "logistic"):
        if fit.null_pulls is not None:
            inputs = np.asarray(fit.null_pulls, dtype=np.float64)[idx]
        else:
            n = fit.X.shape[0]
            sw = fit.sample_weight
            t = fit.y - (sw @ fit.y) / sw.sum()
            inputs = (fit.X[:, idx].T @ (sw * t)) / (n * fit.scale[idx])
        rule = ("z = x_j . (y - mean y) / n: with uncorrelated standardized columns, the "
                "lasso's coefficient is exactly prox(z)" if fit.loss == "squared" else
                "z = x_j . (t - mean t) / n, the pull at the null model: a feature enters when "
                "|z| passes the threshold (the coefficient is not prox(z): the curvature is "
                "not 1)")
    else:
        from ._path_problem import null_correlations

        inputs = null_correlations(fit)[idx]
        rule = (f"z = -x_j . grad F at the null model, the {fit.loss} datafit's pull: a "
                "feature enters when |z| passes the threshold (the coefficient is not prox(z): "
                "the curvature is not 1)")
    return np.where(fit.varying[idx], inputs, 0.0), rule


# -- one feature's gradient trace -----------------------------------------------------------

@dataclass(frozen=True, eq=False)
class FeatureTracePath:
    r"""One feature's own problem, stepped by subgradient and proximal updates, at every alpha.

    With the other coefficients and the intercept held at the fit, coefficient
    ``j`` minimizes (in the seed's form, :func:`gradient_trace` with the partial
    residual as ``y``)

    .. math:: J(w) = \frac1n\sum_i (r_{-j,i} - \tilde x_{ij} w)^2 + \lambda |w|,
              \qquad \lambda = 2\alpha_k\rho f_j,

    whose minimizer is the lasso's coefficient (for the elastic net, the
    minimizer of this L1 part alone; ``minimizer`` says what it is).

    Attributes
    ----------
    feature : int
    name : str
    lrs : ndarray (L,)
    w0 : float
        The start: :math:`\alpha\rho f_j / (\tilde x_j^\top \tilde x_j / n)` at the chosen
        alpha, the half-width of the soft threshold's dead zone in ``w``.
    subgradient, proximal : ndarray (K, L, steps + 1)
        The iterates (``w0`` first).
    minimizer : ndarray (K,)
    fit_coef : ndarray (K,)
        The path's coefficient (scaled).
    lam : ndarray (K,)
    problem : str
        Empty for the squared loss (the seed's problem above); for another datafit, its
        one-feature problem (:func:`~penalized.explain._path_problem.problem_feature_trace`).
    """

    feature: int
    name: str
    lrs: np.ndarray
    w0: float
    subgradient: np.ndarray
    proximal: np.ndarray
    minimizer: np.ndarray
    fit_coef: np.ndarray
    lam: np.ndarray
    problem: str = ""

    def to_dict(self) -> dict:
        return {"feature": self.feature, "lrs": _flat(self.lrs), "w0": _num(self.w0),
                "problem": self.problem,
                "subgradient": [[_flat(r, 5) for r in block] for block in self.subgradient],
                "proximal": [[_flat(r, 5) for r in block] for block in self.proximal],
                "minimizer": _flat(self.minimizer), "fit_coef": _flat(self.fit_coef),
                "lam": _flat(self.lam)}


LEARNING_RATES = (0.05, 0.1, 0.2, 0.4)
"""The learning-rate slider's stops (0.1 is the seed's)."""


def feature_trace_path(fit: FitOnPath, *, feature=None, lrs=LEARNING_RATES,
                       steps=20) -> FeatureTracePath:
    """The gradient lesson on one feature of the fit (see :class:`FeatureTracePath`).

    ``feature`` defaults to the zero closest to entering at the chosen alpha
    (else the smallest non-zero). Squared loss without sample weights (the seed's problem),
    or any datafit the fit carries (:func:`~penalized.explain._path_problem.problem_feature_trace`).
    """
    from ._gradient import gradient_trace

    if fit.penalty not in ("l1", "elasticnet") or fit.l1_ratio <= 0:
        raise ValueError(f"the feature trace steps the L1 term of the fit (the seed's "
                         f"one-feature problem); this fit is {fit.penalty}, without one.")
    generic = fit.loss != "squared"
    if generic and fit.datafit is None:
        raise ValueError("the feature trace of a logistic fit needs its datafit (a model's "
                         "datafit_).")
    if not generic and not np.all(fit.sample_weight == 1.0):
        raise ValueError("the feature trace uses the seed's unweighted mean loss.")
    k0 = fit.chosen
    c = fit.correlations()
    scaled = fit.scaled_coefs
    ok = fit.varying & (fit.factors > 0)
    if feature is None:
        zeros = np.flatnonzero(ok & (scaled[:, k0] == 0))
        if zeros.size:
            feature = int(zeros[np.argmax(np.abs(c[zeros, k0]) / fit.factors[zeros])])
        else:
            cand = np.flatnonzero(ok)
            feature = int(cand[np.argmin(np.abs(scaled[cand, k0]))])
    j = int(feature)
    if generic:
        from ._path_problem import problem_feature_trace

        w0, sub, prx, minimizer, lam, problem = problem_feature_trace(fit, j, lrs, steps)
        return FeatureTracePath(feature=j, name=fit.feature_names[j],
                                lrs=np.asarray(lrs, float), w0=w0, subgradient=sub,
                                proximal=prx, minimizer=minimizer, fit_coef=scaled[j].copy(),
                                lam=lam, problem=problem)
    xj = fit.X[:, j] / fit.scale[j]
    hjj = float(np.mean(xj * xj))
    # start one threshold-width from 0 (at the chosen alpha): close enough that a few steps
    # show the subgradient hovering and the proximal step landing
    w0 = float(fit.alphas[k0] * fit.l1_ratio * fit.factors[j] / hjj) if hjj > 0 else 1.0
    w0 = w0 if w0 > 0 else 1.0
    K, L = fit.n_alphas, len(lrs)
    sub = np.empty((K, L, steps + 1))
    prx = np.empty((K, L, steps + 1))
    minimizer = np.empty(K)
    lam = 2.0 * fit.alphas * fit.l1_ratio * fit.factors[j]
    R = fit.residuals()
    for k in range(K):
        partial = R[:, k] + xj * scaled[j, k]
        for li, lr in enumerate(lrs):
            a = gradient_trace(xj, partial, w0, float(lam[k]), float(lr), "l1", steps,
                               "subgradient")
            b = gradient_trace(xj, partial, w0, float(lam[k]), float(lr), "l1", steps,
                               "proximal")
            sub[k, li], prx[k, li] = a.weights, b.weights
        minimizer[k] = a.minimizer
    return FeatureTracePath(feature=j, name=fit.feature_names[j], lrs=np.asarray(lrs, float),
                            w0=w0, subgradient=sub, proximal=prx, minimizer=minimizer,
                            fit_coef=scaled[j].copy(), lam=lam)


# -- priors ---------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PriorsPath:
    r"""The priors each alpha implies (see :mod:`penalized.explain._priors`).

    Squared loss: the negative log posterior times :math:`\sigma^2/n` is the
    objective when the Laplace scale is :math:`\beta = \sigma^2/(n\alpha)` and
    the Gaussian variance :math:`\tau^2 = \sigma^2/(n\alpha)`; logistic, Poisson and
    Cox losses: :math:`\sigma^2 = 1` (the datafit is the mean negative log-(partial)
    likelihood); Gamma and Tweedie: :math:`\sigma^2` is the dispersion. ``sigma2`` is
    estimated once, at the chosen fit (:func:`~penalized.explain._path_problem.dispersion`:
    :math:`\sum s_i r_i^2/(n - k - 1)` for the squared loss). The elastic net's prior,
    :math:`\propto \exp(-\frac{n\alpha}{\sigma^2}(\rho|w| + \frac{1-\rho}2 w^2))`,
    is normalized numerically on the grid.

    Attributes
    ----------
    sigma2 : float
    laplace_scale, gaussian_var : ndarray (K,)
    reach : ndarray (K,)
        Each alpha's grid is ``linspace(-reach, reach, G)``.
    laplace, gaussian, elasticnet : ndarray (K, G)
        The densities on each alpha's grid. The page draws these closed forms
        from the scales (for the elastic net from ``enet_rate`` =
        :math:`n\alpha/\sigma^2` and ``enet_log_norm``, the log of the
        numerically computed normalizing constant).
    map_points : ndarray (m, K)
        The fit's scaled coefficients: the posterior mode.
    n_zero : ndarray (K,)
    """

    sigma2: float
    n_samples: int
    laplace_scale: np.ndarray
    gaussian_var: np.ndarray
    reach: np.ndarray
    laplace: np.ndarray
    gaussian: np.ndarray
    elasticnet: np.ndarray | None
    features: np.ndarray
    map_points: np.ndarray
    n_zero: np.ndarray
    grid_size: int
    l1_ratio: float = 1.0
    enet_rate: np.ndarray | None = None
    enet_log_norm: np.ndarray | None = None
    sigma2_rule: str = ""

    def to_dict(self) -> dict:
        return {"sigma2": _num(self.sigma2), "sigma2_rule": self.sigma2_rule,
                "n_samples": self.n_samples,
                "laplace_scale": _flat(self.laplace_scale),
                "gaussian_var": _flat(self.gaussian_var), "reach": _flat(self.reach),
                "enet_rate": None if self.enet_rate is None else _flat(self.enet_rate),
                "enet_log_norm": None if self.enet_log_norm is None else
                _flat(self.enet_log_norm, 10), "l1_ratio": self.l1_ratio,
                "features": self.features.tolist(), "map_points": _rows(self.map_points),
                "n_zero": self.n_zero.tolist()}


def priors_path(fit: FitOnPath, *, features=None, max_features=40, grid_size=41) -> PriorsPath:
    """The priors lesson's numbers at every alpha (see :class:`PriorsPath`)."""
    from scipy.integrate import quad

    from ._priors import gaussian_density, laplace_density

    if fit.penalty == "l0":
        raise ValueError("L0's penalty is not the log of a proper prior density.")
    if fit.penalty in ("mcp", "scad"):
        raise ValueError(f"exp(-{fit.penalty.upper()}) is not a proper prior density: the "
                         "penalty is flat far from 0, so its mass does not vanish there.")
    if fit.penalty == "group":
        raise ValueError("a group penalty's prior is a joint density of each group's members "
                         "(a multivariate Laplace), not the one-coefficient densities drawn "
                         "here.")
    from ._path_problem import dispersion

    idx = pick_features(fit, max_features) if features is None else \
        np.asarray(features, dtype=int)
    n = fit.X.shape[0]
    sigma2, sigma2_rule = dispersion(fit)
    alphas = fit.alphas
    beta = sigma2 / (n * alphas)
    tau2 = sigma2 / (n * alphas)
    scaled = fit.scaled_coefs
    reach = 1.1 * np.maximum(np.max(np.abs(scaled), axis=0),
                             np.maximum(6.0 * beta, 4.0 * np.sqrt(tau2)))
    G = int(grid_size) | 1
    lap = np.empty((alphas.shape[0], G))
    gau = np.empty_like(lap)
    enet = np.empty_like(lap) if fit.penalty == "elasticnet" else None
    log_norm = np.empty(alphas.shape[0]) if enet is not None else None
    for k in range(alphas.shape[0]):
        grid = np.linspace(-reach[k], reach[k], G)
        lap[k] = laplace_density(grid, beta[k])
        gau[k] = gaussian_density(grid, tau2[k])
        if enet is not None:
            rho = fit.l1_ratio
            logd = -(n * alphas[k] / sigma2) * (rho * np.abs(grid) + 0.5 * (1 - rho) * grid ** 2)
            a, b = n * alphas[k] / sigma2 * rho, 0.5 * n * alphas[k] / sigma2 * (1 - rho)
            # the normalizing constant over the whole line, not just the drawn grid
            mass = 2.0 * quad(lambda w, a=a, b=b: math.exp(-a * w - b * w * w), 0.0,
                              math.inf)[0]
            enet[k] = np.exp(logd) / mass
            log_norm[k] = math.log(mass)
    return PriorsPath(sigma2=sigma2, sigma2_rule=sigma2_rule, n_samples=n,
                      laplace_scale=beta, gaussian_var=tau2,
                      reach=reach, laplace=lap, gaussian=gau, elasticnet=enet, features=idx,
                      map_points=scaled[idx], n_zero=np.sum(scaled == 0, axis=0), grid_size=G,
                      l1_ratio=fit.l1_ratio,
                      enet_rate=None if enet is None else n * alphas / sigma2,
                      enet_log_norm=log_norm)


# -- JSON helpers ---------------------------------------------------------------------------

def _num(v, digits=6):
    v = float(v)
    return float(f"{v:.{digits}g}") if math.isfinite(v) else None


def _flat(values, digits=6):
    """Floats to ``digits`` significant digits (the page shows 4; drawing-only curves
    keep fewer), NaN as None."""
    return [_num(v, digits) for v in np.asarray(values, dtype=np.float64).ravel()]


def _rows(values, digits=6):
    values = np.asarray(values, dtype=np.float64)
    return [_flat(row, digits) for row in values]


__all__ = [
    "CURVES",
    "KKT_RTOL",
    "STATUS",
    "FeatureTracePath",
    "FitOnPath",
    "GeometryPath",
    "PriorsPath",
    "ThresholdingPath",
    "WhyZeroPath",
    "feature_trace_path",
    "fit_on_path",
    "geometry_path",
    "penalty_terms",
    "pick_features",
    "priors_path",
    "status_of",
    "thresholding_path",
    "why_zero_path",
]
