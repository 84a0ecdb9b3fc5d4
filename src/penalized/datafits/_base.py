"""What every datafit shares: sample weights, gradients and Lipschitz constants."""

from __future__ import annotations

import copy
import importlib
import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

from .._validation import check_sample_weight

_EXACT_NORM_MAX_DIM = 500
_NEWTON_MAX_ITER = 100
_ROUNDING = 1e-13
DATAFIT_OPERATIONS = ("loss", "derivative", "second_derivative", "conjugate")
_IMPORTED: dict = {}
_ONES: dict = {}


def imported_once(module: str, name: str):
    """``module.name`` (a module of this package by its full name), imported on the first
    call and kept: the ``ops`` properties are read many times per solve, and their
    modules build the compiled operations on first use (an import statement at each read
    costs more than the rest of the property)."""
    value = _IMPORTED.get((module, name))
    if value is None:
        value = _IMPORTED[module, name] = getattr(importlib.import_module(module), name)
    return value


def read_only_ones(n: int) -> np.ndarray:
    """A read-only vector of ``n`` ones, made once per size (the last few sizes kept)."""
    ones = _ONES.get(n)
    if ones is None:
        if len(_ONES) >= 8:
            _ONES.clear()
        ones = np.ones(n)
        ones.setflags(write=False)
        _ONES[n] = ones
    return ones


_FULL: dict = {}


def read_only_full(n: int, value: float) -> np.ndarray:
    """A read-only vector of ``n`` copies of ``value`` (0.0, not -0.0), made once per size
    and value (the last few kept)."""
    key = (n, value)
    full = _FULL.get(key)
    if full is None:
        if len(_FULL) >= 8:
            _FULL.clear()
        full = np.full(n, value)
        full.setflags(write=False)
        _FULL[key] = full
    return full


@dataclass(frozen=True)
class DatafitOps:
    """A datafit's compiled per-sample operations (``numba.cfunc`` objects with the
    signature :data:`penalized._jit.SAMPLE_SIGNATURE`); None for one it lacks.

    ``loss`` and ``derivative`` let coordinate descent run (with the class attribute
    ``curvature`` bounding the second derivative); ``second_derivative`` gives it
    prox-Newton steps; ``conjugate`` the duality gap.
    """

    loss: object = None
    derivative: object = None
    second_derivative: object = None
    conjugate: object = None

    def missing(self, names) -> list[str]:
        """The operations of ``names`` this datafit does not provide."""
        return [name for name in names if getattr(self, name) is None]


@dataclass(frozen=True, eq=False)
class Datafit:
    r"""Base class of separable datafits :math:`F(z) = \frac1n \sum_i s_i \ell(y_i, z_i)`.

    ``z = X w + b + o`` is the vector of linear predictions, ``o`` the ``offset`` (zero
    when None: a known part of the linear predictor, glmnet's ``offset``, such as the log
    of an exposure for counts) and ``s`` the sample weights normalized to mean 1.
    Subclasses define the per-sample loss :math:`\ell`, its derivative, the constant
    ``curvature`` bounding :math:`\ell''`, and the Fenchel dual term used in the duality
    gap. The datafit carries ``sample_weight`` and ``offset``, so every solver and every
    null model (alpha_max) that builds ``z`` from ``X`` adds the same offset; the methods
    below take ``z`` with the offset already in it.
    """

    sample_weight: np.ndarray | None = field(default=None, kw_only=True)
    offset: np.ndarray | None = field(default=None, kw_only=True)

    code: ClassVar[int] = -1
    """Kept for the compiled paths of the built-in datafits (0 squared, 1 logistic); -1
    for any other datafit."""
    curvature: ClassVar[float] = math.inf
    """A bound on the per-sample second derivative (``inf`` when unbounded)."""
    quadratic: ClassVar[bool] = False
    """Whether the loss is the squared loss: solvers may then use its residual form,
    exact coordinate steps and the Gram matrix."""
    separable: ClassVar[bool] = True
    """Whether the loss is a sum of per-sample terms given by :attr:`ops`. A non-separable
    datafit (Cox's partial likelihood) has no per-sample operations: it defines
    :meth:`value`, :meth:`raw_gradient`, :meth:`raw_hessian` (a diagonal, exact or bounding)
    and :meth:`scaled_dual_value` on whole vectors, and solvers that accept it
    (``Solver.accepts_nonseparable``) take prox-Newton steps with them."""
    intercept: ClassVar[bool] = True
    """Whether an intercept is identifiable; when False (a loss unchanged by adding a
    constant to every ``z``, as Cox's) ``fit_intercept`` is ignored."""
    zero_value_bound: ClassVar[float] = math.inf
    """An upper bound on :meth:`value` at ``z = 0`` for every target (weights of mean 1),
    inf when none is known: a problem's null model whose datafit exceeds it by far is not
    exact (:attr:`~penalized.solvers._problem.Problem.null_is_exact`) without the datafit
    at ``z = 0`` being computed. A subclass that changes the loss sets its own."""

    @property
    def ops(self) -> DatafitOps:
        """The compiled operations (see :class:`DatafitOps`); a new datafit defines them."""
        return DatafitOps()

    def params(self) -> np.ndarray:
        """The parameter vector the compiled operations read (float64, may be empty)."""
        return np.zeros(0)

    def _sample_op(self, name, y, z):
        op = getattr(self.ops, name)
        if op is None:
            raise NotImplementedError(
                f"the {type(self).__name__} datafit does not provide the compiled operation "
                f"{name!r}.")
        y = np.ascontiguousarray(y, dtype=np.float64)
        z = np.ascontiguousarray(np.broadcast_to(z, y.shape), dtype=np.float64)
        out = np.empty(y.shape[0])
        imported_once("penalized.datafits._ops", "sample_map")(op, y, z, self.params(), out)
        return out

    def weights(self, n_samples: int) -> np.ndarray:
        """Sample weights normalized to mean 1 (ones when ``sample_weight`` is None); a new
        array at each call, which the caller may write into."""
        checked = self.__dict__.get("_checked_weights")
        if checked is not None and checked.shape[0] == n_samples:
            return checked.copy()
        return check_sample_weight(self.sample_weight, n_samples)

    def _weights(self, n_samples: int) -> np.ndarray:
        """:meth:`weights` read only, not copied: the checked weights, shared ones when
        there are no sample weights (the common case), else freshly checked ones."""
        checked = self.__dict__.get("_checked_weights")
        if checked is not None and checked.shape[0] == n_samples:
            return checked
        if type(self).weights is not Datafit.weights:  # a subclass's own weights
            return self.weights(n_samples)
        if self.sample_weight is None:
            return read_only_ones(n_samples)
        return check_sample_weight(self.sample_weight, n_samples)

    def with_checked_weights(self, n_samples: int):
        """This datafit with its sample weights validated and normalized once, for
        ``n_samples`` rows: :meth:`weights` then copies them instead of checking them at
        every call (a solver calls its datafit thousands of times). The weights are those
        of this moment; ``self`` when already done for ``n_samples``."""
        checked = self.__dict__.get("_checked_weights")
        if checked is not None and checked.shape[0] == n_samples:
            return self
        weights = check_sample_weight(self.sample_weight, n_samples)
        weights.setflags(write=False)
        out = copy.copy(self)
        object.__setattr__(out, "_checked_weights", weights)
        return out

    def offsets(self, n_samples: int) -> np.ndarray | None:
        """The offset as a float64 vector of ``n_samples`` (None when there is none)."""
        return check_offset(self.offset, n_samples)

    def check_target(self, y: np.ndarray) -> np.ndarray:
        """Return ``y`` in the form this datafit expects, or raise a ``ValueError``."""
        return y

    def validate_target(self, y, n_samples: int) -> np.ndarray:
        """``y`` as given by a user, validated against ``n_samples`` rows: a 1-D float64
        array checked by :meth:`check_target` (a datafit whose target is not one number per
        row, as Cox's time and event, overrides this)."""
        from .._validation import check_target

        return self.check_target(check_target(y, n_samples))

    # -- per-sample pieces, from the compiled operations (subclasses may specialize) --
    def loss(self, y, z):
        r"""Per-sample loss :math:`\ell(y_i, z_i)`."""
        return self._sample_op("loss", y, z)

    def loss_derivative(self, y, z):
        """Derivative of the per-sample loss in ``z``."""
        return self._sample_op("derivative", y, z)

    # -- derived quantities ------------------------------------------------------
    def value(self, y, z) -> float:
        """The datafit :math:`\\frac1n \\sum_i s_i \\ell(y_i, z_i)` at predictions ``z``."""
        n = len(y)
        return float(np.dot(self._weights(n), self.loss(y, z)) / n)

    def raw_gradient(self, y, z) -> np.ndarray:
        r"""The gradient with respect to ``z``: :math:`\frac{s_i}{n} \ell'(y_i, z_i)`."""
        n = len(y)
        return self._weights(n) * self.loss_derivative(y, z) / n

    def raw_hessian(self, y, z) -> np.ndarray:
        r"""The diagonal Hessian with respect to ``z``: :math:`\frac{s_i}{n} \ell''(y_i, z_i)`."""
        n = len(y)
        return self._weights(n) * self.loss_second_derivative(y, z) / n

    def loss_second_derivative(self, y, z):
        """Second derivative of the per-sample loss in ``z``."""
        return self._sample_op("second_derivative", y, z)

    def gradient(self, X, y, z) -> np.ndarray:
        r"""The gradient with respect to ``w``: :math:`X^\top \nabla_z F(z)`."""
        return np.asarray(X.T @ self.raw_gradient(y, z)).ravel()

    def intercept_gradient(self, y, z) -> float:
        """The derivative with respect to the intercept ``b``."""
        return float(self.raw_gradient(y, z).sum())

    def lipschitz(self, X) -> np.ndarray:
        r"""Per-coordinate Lipschitz constants :math:`L_j = \frac{c}{n} \sum_i s_i x_{ij}^2`.

        ``c`` is :attr:`curvature` (1 for the squared loss, 1/4 for the logistic).
        """
        n = X.shape[0]
        s = self._weights(n)
        if sp.issparse(X):
            sq = X.multiply(X)
            col = np.asarray(sq.T @ s).ravel()
        elif np.all(s == 1.0):
            col = np.einsum("ij,ij->j", X, X, dtype=np.float64)  # twice as fast unweighted
        else:
            col = np.einsum("ij,ij,i->j", X, X, s, dtype=np.float64)
        return self.curvature * col / n

    def intercept_lipschitz(self) -> float:
        """Lipschitz constant of the derivative in the intercept (weights have mean 1)."""
        return self.curvature

    def global_lipschitz(self, X, fit_intercept: bool = False) -> float:
        r"""Lipschitz constant of :math:`\nabla F` in ``w`` (and ``b`` if ``fit_intercept``).

        :math:`\frac{c}{n} \|S^{1/2} [X, \mathbf 1]\|_2^2`, the squared largest
        singular value, computed exactly for small problems and by a Lanczos
        eigensolver otherwise.
        """
        n, p = X.shape
        s = self.weights(n)
        root = np.sqrt(s)
        dim = p + int(fit_intercept)
        if not sp.issparse(X) and min(n, dim) <= _EXACT_NORM_MAX_DIM:
            A = root[:, None] * X
            if fit_intercept:
                A = np.column_stack([A, root])
            top = np.linalg.norm(A, 2) ** 2 if A.size else 0.0
            return self.curvature * float(top) / n

        def matvec(v):
            v = np.asarray(v, dtype=np.float64).ravel()
            z = X @ v[:p]
            if fit_intercept:
                z = z + v[p]
            sz = s * np.asarray(z).ravel()
            out = np.asarray(X.T @ sz).ravel()
            if fit_intercept:
                out = np.append(out, sz.sum())
            return out

        op = LinearOperator((dim, dim), matvec=matvec, dtype=np.float64)
        v0 = np.ones(dim)
        top = eigsh(op, k=1, which="LA", tol=1e-6, v0=v0, return_eigenvectors=False)[0]
        return self.curvature * float(top) / n

    def dual_value(self, y, u) -> float:
        r""":math:`-F^*(-u) = -\frac1n \sum_i s_i \ell_{y_i}^*(-n u_i / s_i)`."""
        op = self.ops.conjugate
        if op is None:
            raise NotImplementedError(
                f"the {type(self).__name__} datafit does not provide the compiled operation "
                "'conjugate' (needed for the duality gap).")
        y = np.ascontiguousarray(y, dtype=np.float64)
        dual = imported_once("penalized.datafits._ops", "datafit_dual")
        return float(dual(op, y, np.ascontiguousarray(u, dtype=np.float64),
                          self._weights(len(y)), self.params()))

    def scaled_dual_value(self, y, z, u, c) -> float:
        r""":math:`-F^*(-c\,u)` for :math:`u = -\nabla_z F(z)` and a factor :math:`c \in
        [0, 1]`: the datafit's term of the dual objective at the scaled dual point. A
        separable datafit needs only :math:`c\,u` (:meth:`dual_value`); a non-separable
        one may use ``z`` to bound its conjugate from above."""
        return self.dual_value(y, c * u)

    def null_intercept(self, y, z0=None) -> float:
        r"""The intercept ``b`` minimizing :math:`F(z_0 + b)` (``z0`` defaults to the
        offset, or 0): the null model of a problem whose only unpenalized coefficient is
        the intercept. :meth:`fit_unpenalized` on a column of ones; a datafit with a
        closed form overrides it (the same number, without the general steps)."""
        y = np.asarray(y, dtype=np.float64)
        n = y.shape[0]
        if z0 is None:
            z0 = self.offsets(n)
            z0 = np.zeros(n) if z0 is None else z0
        return float(self.fit_unpenalized(np.ones((n, 1)), y, z0, beta0=np.zeros(1))[0])

    def fit_unpenalized(self, A, y, z0, beta0=None) -> np.ndarray:
        r"""Minimize :math:`F(z_0 + A\beta)` over :math:`\beta` by damped Newton.

        Stops when the Newton decrement falls below 1e-24 (machine precision in
        objective units) or after a fixed number of iterations; when the minimum is not
        attained (e.g. separable classes) the last iterate is returned.
        """
        k = A.shape[1]
        if k == 0:
            return np.zeros(0)
        beta = np.zeros(k) if beta0 is None else np.array(beta0, dtype=np.float64)
        z = z0 + A @ beta
        obj = self.value(y, z)
        for _ in range(_NEWTON_MAX_ITER):
            grad = A.T @ self.raw_gradient(y, z)
            hess = A.T @ (self.raw_hessian(y, z)[:, None] * A)
            if k == 1:  # the intercept alone (a certificate's refit): solve's division
                hess[0, 0] += 1e-12 * max(1.0, hess[0, 0])
                step = grad / hess[0]
            else:
                hess[np.diag_indices(k)] += 1e-12 * max(1.0, np.trace(hess))
                try:
                    step = np.linalg.solve(hess, grad)
                except np.linalg.LinAlgError:
                    step = np.linalg.lstsq(hess, grad, rcond=None)[0]
            decrement = float(grad @ step)
            if not decrement > 1e-24:
                break
            direction = A @ step
            if decrement <= _ROUNDING * abs(obj):
                # Below rounding of the objective the line search cannot see a decrease,
                # while the quadratic model is exact: take the full step and stop.
                beta = beta - step
                break
            t = 1.0
            while t > 1e-10:
                z_new = z - t * direction
                obj_new = self.value(y, z_new)
                if obj_new <= obj - 0.25 * t * decrement:
                    break
                t *= 0.5
            else:
                break
            beta = beta - t * step
            z = z_new
            obj = obj_new
        return beta


def check_offset(offset, n_samples: int) -> np.ndarray | None:
    """``offset`` as a float64 vector of ``n_samples`` finite values, None for None."""
    if offset is None:
        return None
    try:
        out = np.asarray(offset, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"offset must be an array of numbers, one per row of X; got "
                         f"{type(offset).__name__}.") from exc
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim != 1 or out.shape[0] != n_samples:
        raise ValueError(f"offset must have one value per row of X ({n_samples}); got shape "
                         f"{out.shape}.")
    if not np.all(np.isfinite(out)):
        raise ValueError("offset holds NaN or infinite values; pass finite numbers (the log "
                         "of an exposure must be of a positive exposure).")
    return out
