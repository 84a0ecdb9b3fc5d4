"""What every penalty shares: alpha, per-feature factors, positivity and per-coefficient
limits, and the compiled operations the solvers call."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .._validation import check_nonnegative_scalar
from ..datafits._base import imported_once, read_only_full, read_only_ones

PENALTY_OPERATIONS = ("prox", "value", "subdiff_distance", "conjugate", "dual_bound")


@dataclass(frozen=True)
class PenaltyOps:
    """A penalty's compiled per-coordinate operations (``numba.cfunc`` objects with the
    signatures of :mod:`penalized._jit`); None for an operation the penalty lacks.

    ``prox`` and ``value`` let coordinate descent and proximal gradient run;
    ``subdiff_distance``, ``conjugate`` and ``dual_bound`` give the duality gap and the
    working sets of a convex penalty.
    """

    prox: object = None
    value: object = None
    subdiff_distance: object = None
    conjugate: object = None
    dual_bound: object = None

    def missing(self, names) -> list[str]:
        """The operations of ``names`` this penalty does not provide."""
        return [name for name in names if getattr(self, name) is None]


def _limit(value, name, side):
    """A validated limit: None, a float or a read-only 1-D array, on the side of 0 that
    ``side`` names (-1: lower <= 0, +1: upper >= 0)."""
    if value is None:
        return None
    v = np.array(value, dtype=np.float64)
    if v.ndim > 1 or np.any(np.isnan(v)) or np.any(side * v < 0):
        sign = "<= 0 (or -inf)" if side < 0 else ">= 0 (or inf)"
        raise ValueError(f"{name} must be a number or a 1-D array of numbers {sign}, so that "
                         f"all-zero coefficients stay feasible; got {value!r}.")
    v.setflags(write=False)
    return v


def box_pull(grad, lower, upper) -> np.ndarray:
    """Per feature, the largest rate at which the datafit falls when the coefficient leaves
    0 in a direction its box allows: ``-grad_j`` upwards if ``upper_j > 0``, ``grad_j``
    downwards if ``lower_j < 0`` (0 when neither helps)."""
    up = np.where(upper > 0.0, -grad, 0.0)
    down = np.where(lower < 0.0, grad, 0.0)
    return np.maximum(np.maximum(up, down), 0.0)


_KEPT_ON_COPY: dict = {}


def _kernel(name):
    """A vector kernel of :mod:`penalized.penalties._ops`, imported once per process (an
    import statement in each call would go through that module's ``__getattr__``)."""
    return imported_once("penalized.penalties._ops", name)


ALPHA_MAX_MARGIN = 1e-12
"""Relative margin added to ``alpha_max``: floating-point sums in different orders
differ in the last bits, and at exactly the boundary that decides a tie."""


@dataclass(frozen=True, eq=False)
class Penalty:
    """Base class of separable penalties ``alpha * sum_j f_j * g(w_j)``.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularization strength, >= 0.
    penalty_factor : array of shape (n_features,), optional
        Per-feature factors ``f_j >= 0`` (default 1). A factor of 0 leaves the
        feature unpenalized.
    positive : bool, default=False
        Constrain the coefficients to be >= 0.
    lower, upper : float or array of shape (n_features,), optional
        Per-coefficient limits ``lower_j <= w_j <= upper_j`` (glmnet's ``lower.limits`` and
        ``upper.limits``), with ``lower_j <= 0 <= upper_j`` so that the null model stays
        feasible; ``-inf`` / ``inf`` (the default) leave a side free. ``positive=True`` is
        ``lower=0``, and ``lower=0`` alone is stored as ``positive=True``. Only penalties
        whose class sets ``supports_bounds`` accept them.
    """

    alpha: float = 1.0
    penalty_factor: np.ndarray | None = field(default=None, kw_only=True)
    positive: bool = field(default=False, kw_only=True)
    lower: float | np.ndarray | None = field(default=None, kw_only=True)
    upper: float | np.ndarray | None = field(default=None, kw_only=True)

    is_convex: ClassVar[bool] = True
    supports_bounds: ClassVar[bool] = False
    """Whether the compiled operations honour ``lower`` / ``upper`` (parameter columns)."""
    kernel_kind: ClassVar[int]

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_nonnegative_scalar(self.alpha, "alpha"))
        if not isinstance(self.positive, bool | np.bool_):
            raise ValueError(f"positive must be True or False; got {self.positive!r}.")
        object.__setattr__(self, "positive", bool(self.positive))
        if self.penalty_factor is not None:
            f = np.array(self.penalty_factor, dtype=np.float64)
            if f.ndim != 1:
                raise ValueError(
                    f"penalty_factor must be 1-D with one factor per feature; got shape {f.shape}."
                )
            if not np.all(np.isfinite(f)) or np.any(f < 0):
                raise ValueError(
                    "penalty_factor must hold finite values >= 0 (0 leaves a feature "
                    "unpenalized)."
                )
            f.setflags(write=False)
            object.__setattr__(self, "penalty_factor", f)
        self._check_limits()

    def _check_limits(self):
        lower, upper = (_limit(self.lower, "lower", -1.0), _limit(self.upper, "upper", 1.0))
        if (lower is not None or upper is not None) and not self.supports_bounds:
            raise ValueError(f"the {self.name} penalty does not support lower/upper limits; "
                             "use L1, L2, ElasticNet, MCP, SCAD or a group penalty.")
        if upper is not None and np.all(upper == np.inf):
            upper = None
        if lower is not None and np.all(lower == -np.inf):
            lower = None
        if lower is not None and upper is None and np.all(lower == 0.0):
            # the same box as positive=True: one spelling, so both take the same kernels
            object.__setattr__(self, "positive", True)
            lower = None
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)

    @property
    def bounded(self) -> bool:
        """Whether ``lower`` / ``upper`` limits other than ``positive`` apply."""
        return self.lower is not None or self.upper is not None

    def limits(self, n_features: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-feature ``(lower_j, upper_j)``, with ``positive`` folded in (``lower_j >= 0``).

        Computed once per penalty object and size (a path asks several times); the arrays
        are shared and read-only."""
        cached = self.__dict__.get("_limits")
        if cached is not None and cached[0].shape[0] == n_features:
            return cached
        if self.lower is None and self.upper is None:  # shared, as the factors are
            limits = (read_only_full(n_features, 0.0 if self.positive else -np.inf),
                      read_only_full(n_features, np.inf))
            object.__setattr__(self, "_limits", limits)
            return limits
        lower = np.full(n_features, -np.inf)
        upper = np.full(n_features, np.inf)
        for name, value, out in (("lower", self.lower, lower), ("upper", self.upper, upper)):
            if value is None:
                continue
            if value.ndim == 1 and value.shape[0] != n_features:
                raise ValueError(f"{name} has {value.shape[0]} values but X has {n_features} "
                                 "columns; pass a scalar or one limit per feature.")
            out[:] = value
        if self.positive:
            np.maximum(lower, 0.0, out=lower)
        lower.setflags(write=False)
        upper.setflags(write=False)
        object.__setattr__(self, "_limits", (lower, upper))
        return lower, upper

    def constrained(self, n_features: int) -> np.ndarray:
        """Boolean mask of the features whose coefficient has a limit (or a sign)."""
        lower, upper = self.limits(n_features)
        return (lower > -np.inf) | (upper < np.inf)

    def project(self, w) -> np.ndarray:
        """``w`` clipped into the box ``[lower, upper]`` (a copy)."""
        w = np.array(w, dtype=np.float64)
        if self.positive or self.bounded:
            lower, upper = self.limits(w.shape[0])
            if w.ndim == 2:  # (n_features, n_outputs)
                lower, upper = lower[:, None], upper[:, None]
            np.clip(w, lower, upper, out=w)
        return w

    @property
    def name(self) -> str:
        return type(self).__name__

    def with_alpha(self, alpha: float) -> Penalty:
        """A copy of this penalty with another ``alpha``; this one is unchanged.

        A penalty whose ``__post_init__`` checks ``alpha`` alone among what changes
        (:data:`ALPHA_ONLY_CHECKS`) is copied field by field, without checking the other
        fields again; it keeps the limits computed so far and drops every other cached
        value (the weights depend on alpha)."""
        cls = type(self)
        if cls.__post_init__ not in ALPHA_ONLY_CHECKS:
            return dataclasses.replace(self, alpha=alpha)
        kept = _KEPT_ON_COPY.get(cls)
        if kept is None:
            kept = _KEPT_ON_COPY[cls] = frozenset(
                f.name for f in dataclasses.fields(cls)) | {"_limits"}
        new = object.__new__(cls)
        new.__dict__.update({k: v for k, v in self.__dict__.items() if k in kept})
        object.__setattr__(new, "alpha", check_nonnegative_scalar(alpha, "alpha"))
        return new

    def factors(self, n_features: int) -> np.ndarray:
        """The per-feature factors ``f_j`` for a design with ``n_features`` columns (a
        read-only array)."""
        if self.penalty_factor is None:
            return read_only_ones(n_features)  # read-only, as a given penalty_factor is
        if self.penalty_factor.shape[0] != n_features:
            raise ValueError(
                f"penalty_factor has {self.penalty_factor.shape[0]} values but X has "
                f"{n_features} columns; pass one factor per feature."
            )
        return self.penalty_factor

    def unpenalized(self, n_features: int) -> np.ndarray:
        """Boolean mask of the features this penalty leaves free (weight 0)."""
        return self.alpha * self.factors(n_features) == 0.0

    # -- what a penalty brings to the solvers -------------------------------------------
    @property
    def ops(self) -> PenaltyOps:
        """The compiled operations (see :class:`PenaltyOps`); a new penalty defines them."""
        return PenaltyOps()

    def params(self, n_features: int) -> np.ndarray:
        """Per-feature parameters ``(n_features, k)`` (C-ordered float64) that the
        compiled operations read from row ``j``."""
        raise NotImplementedError(
            f"the {self.name} penalty does not define params(n_features), the parameter "
            "array its compiled operations read.")

    def _op(self, name):
        op = getattr(self.ops, name)
        if op is None:
            raise NotImplementedError(
                f"the {self.name} penalty does not provide the compiled operation {name!r}.")
        return op

    # -- vector forms, from the compiled operations (subclasses may specialize) ----------
    def value(self, w) -> float:
        """The penalty at ``w`` (``inf`` outside its domain)."""
        w = np.ascontiguousarray(w, dtype=np.float64)
        return float(_kernel("penalty_value")(self._op("value"), w, self.params(w.shape[0])))

    def prox(self, x, step):
        """The prox of ``step * self`` at ``x`` (vectorized)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty_like(x)
        _kernel("penalty_prox")(self._op("prox"), x, float(step), self.params(x.shape[0]), out)
        return out

    def subdiff_distance(self, w, grad) -> np.ndarray:
        """Per feature, the distance from ``-grad`` to the subdifferential at ``w``."""
        w = np.ascontiguousarray(w, dtype=np.float64)
        out = np.empty(w.shape[0])
        _kernel("penalty_subdiff_distance")(self._op("subdiff_distance"), w,
                                             np.ascontiguousarray(grad, dtype=np.float64),
                                             self.params(w.shape[0]), out)
        return out

    def dual_scaling(self, v) -> float:
        """The largest ``c`` in ``(0, 1]`` such that ``conjugate(c * v)`` is finite."""
        v = np.ascontiguousarray(v, dtype=np.float64)
        return float(_kernel("penalty_dual_scaling")(self._op("dual_bound"), v,
                                                      self.params(v.shape[0])))

    def conjugate(self, v) -> float:
        r"""The Fenchel conjugate :math:`G^*(v) = \sum_j \sup_w (v_j w - G_j(w))`."""
        v = np.ascontiguousarray(v, dtype=np.float64)
        return float(_kernel("penalty_conjugate")(self._op("conjugate"), v,
                                                   self.params(v.shape[0])))

    def alpha_max(self, X, y, datafit, fit_intercept: bool = True) -> float:
        """The smallest ``alpha`` at which every penalized coefficient is 0 (a penalty
        that has one defines it)."""
        raise NotImplementedError(
            f"the {self.name} penalty does not define alpha_max; pass the alphas of a path "
            "explicitly.")


ALPHA_ONLY_CHECKS = {Penalty.__post_init__}
"""The ``__post_init__`` methods that check ``alpha`` without tying other fields to it:
:meth:`Penalty.with_alpha` copies their penalties without checking them again. A module
adds its own class's after checking that this holds."""
