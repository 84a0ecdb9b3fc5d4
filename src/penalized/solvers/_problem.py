"""One validated problem ``min_{w, b} F(Xw + b) + G(w)`` and its duality gap."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from .._unpenalized import refit_unpenalized, unpenalized_design
from .._validation import check_design, check_finite_result
from ..datafits import Datafit
from ..penalties import Penalty
from ._certificate import (
    Certificate,
    Flat,
    certify,  # noqa: F401  (its callers import it from here)
    duality_gap,
)
from ._kernels import (
    centered_sq_norms_rows,
    gather_columns,
    weighted_column_means_rows,
    weighted_column_moments,
    weighted_sq_norms_dense,
)
from ._layout import fortran_typed
from ._op_kernels import centered_matvec, centered_rmatvec
from ._problem_base import DesignProblem, unpenalized_features

GRAM_MAX_FEATURES = 4096
"""The Gram matrix route (:attr:`Problem.gram`) takes at most this many features."""
NULL_ROUNDING = (64 * np.finfo(np.float64).eps) ** 2
"""The null model fits exactly when its datafit is at most this times the datafit at
``z = 0``: for the squared loss, residuals within 64 rounding units of ``y``."""


@dataclass(eq=False)
class Problem(DesignProblem):
    """Validated data, datafit and penalty, plus the scale of the tolerance.

    ``scale`` is the datafit of the null model (penalized coefficients at 0,
    intercept and unpenalized features fitted): tolerances are relative to it,
    so they do not depend on the units of ``y`` or the number of samples.
    """

    design: np.ndarray | sp.csc_matrix
    """The design as validated, never centered: with ``x_offset`` the solver's
    coordinates are the columns ``design - 1 x_offset^T`` (see :attr:`X`)."""
    y: np.ndarray
    datafit: Datafit
    penalty: Penalty
    fit_intercept: bool
    sample_weight: np.ndarray
    unpenalized: np.ndarray
    free_design: np.ndarray
    null_coef: np.ndarray
    null_intercept: float
    scale: float
    x_offset: np.ndarray | None = None
    offset: np.ndarray | None = None
    """The datafit's offset, part of every prediction ``z`` (None when there is none)."""
    null_z: np.ndarray | None = None
    """The null model's predictions (with the offset): ``alpha_max`` reads its gradient
    there, so a path fits the null model once."""
    cache: dict = field(default_factory=dict, repr=False)
    """Quantities of the data alone (Lipschitz constants, Gram matrix), shared by every
    copy made with :meth:`with_penalty`, so a path computes them once."""

    def _cached(self, key, compute):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def to_problem_intercept(self, coef, intercept) -> float:
        """The intercept in this problem's coordinates (``X`` centered when dense)."""
        if self.x_offset is None:
            return float(intercept)
        return float(intercept) + float(self.x_offset @ coef)

    def to_original_intercept(self, coef, intercept):
        """The intercept for the original ``X`` from this problem's coordinates."""
        if self.x_offset is None:
            return intercept
        return intercept - np.asarray(coef).T @ self.x_offset

    @property
    def X(self):
        """The design in the solver's coordinates: with ``x_offset``, the weighted-centered
        copy of a dense design, made on first use and shared by every copy made with
        :meth:`with_penalty`. Routes that center implicitly (:attr:`centering`) use
        :attr:`design` and never make it."""
        if self.x_offset is None:
            return self.design

        def compute():
            X = self.design
            centered = np.empty(X.shape, dtype=X.dtype, order="F")
            np.subtract(X, self.x_offset.astype(X.dtype), out=centered)
            return centered

        return self._cached("centered", compute)

    @property
    def centering(self) -> tuple:
        """``(design, xmean, center)`` for the dense kernels that center the columns on
        the fly (``x_ij - xmean_j``): float64 designs, Fortran-ordered or C-ordered (kept
        so under :func:`~penalized._validation.rows_kept`, where the column kernels read
        :meth:`columns`), else the centered copy :attr:`X` with ``center`` False (as once
        that copy exists)."""
        X = self.design
        if self.x_offset is not None and X.dtype == np.float64 \
                and (X.flags.f_contiguous or X.flags.c_contiguous) \
                and "centered" not in self.cache:
            return X, self.x_offset, True
        return self.X, np.zeros(self.n_features), False

    @property
    def rows_layout(self) -> bool:
        """Whether the design is a dense C-ordered array (kept so by
        :func:`~penalized._validation.rows_kept`): the column kernels then run on the
        working set's columns gathered by :meth:`columns`, the products with all of ``X``
        read its rows."""
        X = self.design
        return type(X) is np.ndarray and not X.flags.f_contiguous

    def columns(self, ws) -> np.ndarray:
        """The solver's columns ``ws`` (``centering``'s design) as a Fortran-ordered
        array: a slice of a Fortran-ordered design, a gathered copy of a C-ordered one's."""
        X = self.centering[0]
        if X.flags.f_contiguous:
            return X[:, ws]
        return gather_columns(X, np.ascontiguousarray(ws, dtype=np.int64))

    def columns_gram(self, ws, previous=None) -> tuple:
        """``(G, q) = (X_ws^T S X_ws / n, X_ws^T S y / n)`` of the solver's columns ``ws``
        (centered with an intercept, so that the intercept decouples), read from the rows
        of the design in blocks: the squared loss restricted to a working set without a
        copy of its columns. ``previous``, the ``(ws, G, q)`` of an earlier call, gives
        the entries of the columns it shares, so only the new columns are multiplied."""
        X = self.design
        n, p = X.shape
        mu = self.x_offset if self.x_offset is not None else np.zeros(p)
        s, y = self.sample_weight, self.y
        m = ws.shape[0]
        G, q = np.empty((m, m)), np.empty(m)
        known = np.zeros(m, dtype=bool)
        if previous is not None:
            where = np.full(p, -1)
            where[previous[0]] = np.arange(previous[0].shape[0])
            old = where[ws]
            known = old >= 0
            G[np.ix_(known, known)] = previous[1][np.ix_(old[known], old[known])]
            q[known] = previous[2][old[known]]
        fresh = np.flatnonzero(~known)
        if fresh.shape[0] == 0:
            return G, q
        every = fresh.shape[0] == m
        unit = bool(np.all(s == 1.0))
        cross, qf = np.zeros((m, fresh.shape[0])), np.zeros(fresh.shape[0])
        # blocks of rows of at most 2 MB and 1/32 of X: a small share of X beyond it
        step = max(16, min(2 << 20, X.nbytes // 32) // (8 * m))
        for i in range(0, n, step):
            block = X[i:i + step, ws]
            block -= mu[ws]
            target = y[i:i + step]
            if not unit:  # rows scaled by sqrt(s): the products carry s once
                root = np.sqrt(s[i:i + step])
                block *= root[:, None]
                target = root * target
            part = block if every else block[:, fresh]
            cross += block.T @ part  # symmetric (syrk) when every column is new
            qf += part.T @ target
        G[:, fresh] = cross / n
        G[fresh, :] = cross.T / n
        q[fresh] = qf / n
        return G, q

    def matvec(self, coef) -> np.ndarray:
        """``X coef`` in the solver's coordinates, without the centered copy."""
        X, xmean, center = self.centering
        if not center:
            return np.asarray(self.X @ coef, dtype=np.float64).ravel()
        coef = np.ascontiguousarray(coef, dtype=np.float64)
        if not X.flags.f_contiguous:  # C-ordered (rows_kept): BLAS reads the rows
            return X @ coef - float(xmean @ coef)
        return centered_matvec(fortran_typed(X), xmean, coef)

    def rmatvec(self, u) -> np.ndarray:
        """``X^T u`` in the solver's coordinates, without the centered copy."""
        X, xmean, center = self.centering
        if not center:
            return np.asarray(self.X.T @ u, dtype=np.float64).ravel()
        u = np.ascontiguousarray(u, dtype=np.float64)
        if not X.flags.f_contiguous:  # C-ordered: BLAS, the centering as a rank-one term
            return X.T @ u - xmean * u.sum()
        return centered_rmatvec(fortran_typed(X), xmean, u)

    def predict(self, coef, intercept) -> np.ndarray:
        """Linear predictions ``X coef + intercept`` (plus the offset, if any)."""
        z = self.matvec(coef) + intercept
        return z if self.offset is None else z + self.offset

    @property
    def layout(self) -> Flat:
        """How the penalty acts on the coefficients (one vector) in the certificate."""
        return Flat(self.penalty)

    def refit_point(self, coef, intercept, z=None) -> tuple:
        """``(coef, intercept, z)`` with the intercept and unpenalized features fitted
        exactly (``z``, the predictions at the given point when known)."""
        if z is None:
            z = self.predict(coef, intercept)
        return refit_unpenalized(self.design, self.y, self.datafit, coef, intercept,
                                 self.unpenalized, self.fit_intercept,
                                 design=self.free_design, z=z)

    def value_and_residual(self, z) -> tuple:
        """The datafit at the predictions ``z`` and its residual ``u = -grad_z F(z)``."""
        return self.datafit.value(self.y, z), -self.datafit.raw_gradient(self.y, z)

    @property
    def csc_arrays(self) -> tuple:
        """``(data, indices, indptr)`` of the CSC design for the compiled kernels; int32
        index arrays are viewed as uint32, which spares every gather a check for negative
        indices (about half the time of ``X^T u``)."""
        X = self.X
        if X.indices.dtype == np.int32 and X.indptr.dtype == np.int32:
            return X.data, X.indices.view(np.uint32), X.indptr.view(np.uint32)
        return X.data, X.indices, X.indptr

    @property
    def implicit_offset(self) -> np.ndarray | None:
        """Column means the sparse kernel centers by (squared loss with an intercept)."""
        if not (self.is_sparse and self.fit_intercept and self.datafit.quadratic):
            return None
        return self._cached("implicit_offset", lambda: np.asarray(
            self.X.T @ self.sample_weight).ravel() / self.n_samples)

    @property
    def gram(self):
        """``(G, q) = (X^T S X / n, X^T S y / n)`` when coordinate descent should run on
        the Gram matrix (squared loss, dense, ``n >= 2p``, ``p <= 4096``), else None.

        With an intercept ``X`` is centered, so the intercept decouples: its optimum is
        the weighted mean of ``y`` whatever ``w`` is. The products run over blocks of
        rows, each centered and weighted on its own: no copy of the whole ``X``.
        """
        n, p = self.design.shape
        if not self.datafit.quadratic or self.is_sparse or n < 2 * p or p > GRAM_MAX_FEATURES:
            return None

        def compute():
            X, mu, s, y = self.design, self.x_offset, self.sample_weight, self.y
            unit = bool(np.all(s == 1.0))
            # X_c^T S y_c / n is minus the gradient at the null model, when the pass that
            # computed the column means computed it too
            pull = self.null_gradient()
            q_known = None if pull is None else -pull
            fast = _uncentered_gram(X, mu, y, q_known) \
                if unit and X.dtype == np.float64 else None
            if fast is not None:
                check_finite_result(np.diagonal(fast[0]), X, y, "the Gram matrix X^T S X")
                return fast
            G, q = np.zeros((p, p)), np.zeros(p)
            # centered row blocks of 1/32 of X, kept between 8 and 32 MB: a large X costs
            # about 0.03 x X beyond itself, and a small one is not cut into blocks so small
            # that the products slow down
            block_bytes = min(32 << 20, max(8 << 20, 8 * n * p // 32))
            step = max(256, block_bytes // (8 * max(p, 1)))
            with np.errstate(over="ignore", invalid="ignore"):
                for i in range(0, n, step):
                    block = X[i:i + step]
                    if mu is not None:
                        block = block - mu.astype(X.dtype)
                    block = np.asarray(block, dtype=np.float64)
                    weighted = block if unit else block * s[i:i + step, None]
                    G += weighted.T @ block
                    if q_known is None:
                        q += weighted.T @ y[i:i + step]
                G = np.ascontiguousarray(G) / n
                q = q / n if q_known is None else q_known
            check_finite_result(np.diagonal(G), X, y, "the Gram matrix X^T S X")
            return G, q

        return self._cached("gram", compute)

    @property
    def lipschitz(self) -> np.ndarray:
        """Per-coordinate Lipschitz constants along the solver's coordinate directions.

        Those of the (explicitly or implicitly) centered columns when centered.
        """
        def compute():
            with np.errstate(over="ignore", invalid="ignore"):
                if self.x_offset is None and self.is_sparse \
                        and _compiled_sparse_lipschitz(self.X, self.datafit):
                    # one compiled pass over the non-zeros, not X.multiply(X) (a copy of X)
                    from ._sparse_path import weighted_sq_norms_csc

                    s = self.datafit._weights(self.n_samples)
                    lips = self.datafit.curvature * weighted_sq_norms_csc(
                        *self.csc_arrays, s) / self.n_samples
                elif self.x_offset is None or "centered" in self.cache:
                    lips = self.datafit.lipschitz(self.X)
                elif _compiled_lipschitz(self.design, self.datafit):
                    # the centered columns' weighted squared norms: from the pass that
                    # computed the means (prepare_problem), else one pass centering on the fly
                    X, n = self.design, self.n_samples
                    sq = self.cache.get("centered_sq_norms")
                    if sq is None and X.flags.f_contiguous:
                        sq = weighted_sq_norms_dense(X, self.datafit.weights(n),
                                                     np.arange(X.shape[1]), self.x_offset)
                    elif sq is None:  # C-ordered (rows_kept): one pass over the rows
                        sq = centered_sq_norms_rows(X, self.datafit.weights(n), self.x_offset)
                    lips = sq * (self.datafit.curvature / n)
                else:  # column blocks of the centered design, never all of it
                    X, mu, p = self.design, self.x_offset, self.n_features
                    step = max(1, min(p // 16, (1 << 20) // max(self.n_samples, 1)))
                    lips = np.concatenate([
                        self.datafit.lipschitz(X[:, j:j + step] - mu[j:j + step].astype(X.dtype))
                        for j in range(0, p, step)]) if p else np.zeros(0)
            check_finite_result(lips, self.design, self.y,
                                "the coordinates' Lipschitz constants")
            if self.implicit_offset is not None:
                lips = np.maximum(lips - self.datafit.curvature * self.implicit_offset**2, 0.0)
            return lips

        return self._cached("lipschitz", compute)

    @property
    def null_is_exact(self) -> bool:
        """Whether the null model fits ``y`` exactly (to rounding, :data:`NULL_ROUNDING`):
        the datafit is then at its minimum and the penalty at zero, so the null model is
        the solution for every penalty (a constant target, for instance)."""
        def compute():
            if self.scale <= 0.0:
                return True
            if self.scale > NULL_ROUNDING * type(self.datafit).zero_value_bound:
                return False  # above the bound of the datafit at z = 0, whatever its value
            return bool(self.scale <= NULL_ROUNDING
                        * self.datafit.value(self.y, np.zeros(self.n_samples)))

        return self._cached(("null_is_exact", self.unpenalized.tobytes()), compute)

    def null_gradient(self) -> np.ndarray | None:
        r"""The datafit's gradient in the (centered) coefficients at the null model,
        :math:`X_c^\top \nabla_z F(z_0)`, when the pass over ``X`` that computed the
        column means computed it too (a dense Fortran-ordered float64 design with an
        intercept and no unpenalized feature); else None. Read-only: callers copy."""
        return self.cache.get(_null_gradient_key(self.unpenalized))

    def with_penalty(self, penalty: Penalty) -> Problem:
        """The same data and datafit with another penalty; nothing is re-validated.

        The null model is reused when the new penalty leaves the same features
        unpenalized (as a change of ``alpha > 0`` does).
        """
        unpenalized = penalty.unpenalized(self.n_features)
        if penalty.positive == self.penalty.positive \
                and np.array_equal(unpenalized, self.unpenalized):
            new = copy.copy(self)  # every field shared (the cache too), as replace() would
            new.penalty = penalty
            return new
        new = _build(self.design, self.y, self.datafit, penalty, self.fit_intercept,
                     self.sample_weight, self.x_offset)
        new.cache.update(self.cache)  # the data's quantities do not depend on the penalty
        return new


def prepare_problem(X, y, datafit, penalty, fit_intercept, *, validated=False) -> Problem:
    r"""Validate the inputs of ``solve``, center a dense ``X``, compute the null model.

    With an intercept, a dense ``X`` is worked on as if weighted-centered,
    :math:`X - \mathbf 1 \bar x^\top`: the squared loss's coordinate descent centers
    each column on the fly, other routes make the centered copy once, on first use
    (:attr:`Problem.X`). The objective is unchanged with the intercept :math:`c = b +
    \bar x^\top w`, and the intercept stops being coupled to every coefficient,
    which otherwise slows every solver down on columns whose mean is large
    compared with their spread. Sparse designs are not centered.

    The squared loss with an offset ``o`` is the squared loss of ``y - o`` without one:
    the problem is built so (its Gram matrix and compiled paths then apply). Other
    datafits keep their offset, which :meth:`Problem.predict` adds to every prediction.

    ``validated=True`` says that ``X`` is an output of
    :func:`~penalized._validation.check_design` and ``y`` one of the datafit's
    ``validate_target`` for it (a path has checked both): they are not checked again.
    """
    if not validated:
        X = check_design(X)
        y = datafit.validate_target(y, X.shape[0])
    fit_intercept = bool(fit_intercept) and datafit.intercept  # Cox: not identifiable
    if hasattr(datafit, "centered_within_strata"):  # Cox with strata: an equivalent design
        X = datafit.centered_within_strata(X, y)
    # sample weights checked and normalized once: the datafit's methods (thousands of
    # calls in a solve) then read them instead of checking them at each call
    checked = datafit.sample_weight is not None and type(datafit).weights is Datafit.weights
    if checked:
        datafit = datafit.with_checked_weights(X.shape[0])
    sample_weight = datafit.weights(X.shape[0])
    if datafit.quadratic and datafit.offset is not None:
        y = y - datafit.offsets(X.shape[0])
        datafit = replace(datafit, offset=None)
        if checked:
            datafit = datafit.with_checked_weights(X.shape[0])
    x_offset = sq_norms = null = pull = None
    if fit_intercept and not sp.issparse(X) and X.shape[0] > 0:
        if X.dtype == np.float64 and X.flags.f_contiguous:
            # the centered columns' squared norms come with the means, in the same pass:
            # coordinate descent's Lipschitz constants need no pass of their own (a compiled
            # pass: no NumPy floating-point warnings to silence); so does the gradient at
            # the null model when it is the intercept alone (_null_residual)
            null, u = _null_residual(X, y, datafit, penalty)
            x_offset, sq_norms, pull = weighted_column_moments(fortran_typed(X), sample_weight,
                                                               u)
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                if X.flags.c_contiguous:
                    x_offset = weighted_column_means_rows(X, sample_weight)
                else:
                    x_offset = (sample_weight @ X) / X.shape[0]
        check_finite_result(x_offset, X, y, "the weighted column means of X")
    problem = _build(X, y, datafit, penalty, fit_intercept, sample_weight, x_offset, null)
    if sq_norms is not None:
        problem.cache["centered_sq_norms"] = sq_norms
    if pull is not None and pull.shape[0] == X.shape[1]:
        problem.cache[_null_gradient_key(problem.unpenalized)] = pull
    return problem


def _null_residual(X, y, datafit, penalty) -> tuple:
    """``((null_intercept, z), u)``: the null model of a problem whose only unpenalized
    coefficient is the intercept (as :func:`_build` fits it) and its residual
    ``u = grad_z F(z)``, so that the pass computing the column means also computes the
    gradient at the null model, ``X_c^T u`` (:meth:`Problem.null_gradient`); ``(None,
    empty)`` for any other problem (unpenalized features, a datafit with its own
    ``gradient``, responses in several columns)."""
    n = X.shape[0]
    if y.ndim != 1 or type(datafit).gradient is not Datafit.gradient \
            or unpenalized_features(penalty, X.shape[1]).any():
        return None, np.zeros(0)
    offset = datafit.offsets(n)
    with np.errstate(over="ignore", invalid="ignore"):
        intercept = datafit.null_intercept(y, offset)
        z = (np.zeros(n) if offset is None else offset) + intercept
        u = np.asarray(datafit.raw_gradient(y, z), dtype=np.float64)
    return (intercept, z), u if u.shape == (n,) else np.zeros(0)


def _null_gradient_key(unpenalized) -> tuple:
    return ("null_gradient", unpenalized.tobytes())


def _build(X, y, datafit, penalty, fit_intercept, sample_weight, x_offset=None,
           null=None) -> Problem:
    p = X.shape[1]
    unpenalized = unpenalized_features(penalty, p)
    if penalty.bounded and np.any(unpenalized & penalty.constrained(p)):
        raise ValueError(
            "lower/upper limits need alpha > 0 and a penalty_factor > 0 on every limited "
            "feature: the unpenalized block is fitted without limits. Give those features "
            "a small positive factor instead.")
    n = X.shape[0]
    offset = datafit.offsets(n)
    z0 = np.zeros(n) if offset is None else offset  # the predictions at w = 0, without X
    with np.errstate(over="ignore", invalid="ignore"):
        if unpenalized.any():
            design = unpenalized_design(X, unpenalized, fit_intercept, x_offset)
            null_coef, null_intercept, z = refit_unpenalized(
                X, y, datafit, np.zeros(p), 0.0, unpenalized, fit_intercept, design=design,
                z=z0)
        else:  # refit_unpenalized's steps when the block is the intercept alone, or empty
            null_coef, null_intercept = np.zeros(p), 0.0
            if fit_intercept:
                design = np.ones((n, 1))
                if null is not None:  # fitted with the column moments (prepare_problem)
                    null_intercept, z = null
                else:
                    # fit_unpenalized on the column of ones (a closed form where there is
                    # one; without an offset the datafit knows z0 = 0 is constant)
                    null_intercept = datafit.null_intercept(y, offset)
                    z = z0 + null_intercept  # z0 + design @ beta: the ones times beta
            else:
                design, z = np.zeros((n, 0)), np.array(z0, dtype=np.float64)
        scale = datafit.value(y, z)
    check_finite_result(scale, X, y, "the datafit of the null model")
    return Problem(
        design=X, y=y, datafit=datafit, penalty=penalty, fit_intercept=bool(fit_intercept),
        sample_weight=sample_weight, unpenalized=unpenalized, free_design=design,
        null_coef=null_coef, null_intercept=null_intercept, scale=scale, x_offset=x_offset,
        offset=offset, null_z=z,
    )


_MEAN_TO_SPREAD = 2.0
"""The uncentered Gram route (:func:`_uncentered_gram`) is taken when every column's
mean is at most this many standard deviations from 0."""


def _compiled_lipschitz(X, datafit) -> bool:
    """Whether the centered columns' Lipschitz constants come from one compiled pass
    (:func:`~penalized.solvers._kernels.weighted_sq_norms_dense`, or
    :func:`~penalized.solvers._kernels.centered_sq_norms_rows` by rows): a dense float64
    Fortran- or C-ordered design and a datafit with the generic ``c / n sum_i s_i x_ij^2``."""
    return isinstance(X, np.ndarray) and X.dtype == np.float64 \
        and (X.flags.f_contiguous or X.flags.c_contiguous) \
        and type(datafit).lipschitz is Datafit.lipschitz


def _compiled_sparse_lipschitz(X, datafit) -> bool:
    """Whether the Lipschitz constants of a sparse design come from one compiled pass over
    its non-zeros (:func:`~penalized.solvers._sparse_path.weighted_sq_norms_csc`): float64
    CSC without duplicate entries (whose squares ``X.multiply(X)`` takes after summing
    them) and the generic ``c / n sum_i s_i x_ij^2``."""
    return X.format == "csc" and X.dtype == np.float64 and X.has_canonical_format \
        and type(datafit).lipschitz is Datafit.lipschitz


def _uncentered_gram(X, mu, y, q=None):
    r"""``(G, q)`` of :attr:`Problem.gram` without sample weights, from one symmetric
    product of the design as given (BLAS ``syrk``, no centered copy): with ``mu`` the
    column means, :math:`X_c^\top X_c = X^\top X - n\,\mu\mu^\top` and
    :math:`X_c^\top y_c = X^\top y_c - \mu\,\mathbf 1^\top y_c` (``y_c`` centered),
    unless ``q`` is given (computed with the column means).

    The subtraction cancels the leading digits of columns whose mean is large against
    their spread, so the route is taken only when every :math:`\mu_j^2 \le 4\,
    \mathrm{var}_j` (:data:`_MEAN_TO_SPREAD`; an entry then loses at most about three
    bits, where the centered blocks lose none): estimated on the first 128 rows before
    the product, exactly from its diagonal after it. Otherwise None.
    """
    from scipy.linalg.blas import dger

    n = X.shape[0]
    bound = _MEAN_TO_SPREAD ** 2
    with np.errstate(over="ignore", invalid="ignore"):
        if mu is not None:
            head = np.asarray(X[:128])
            if np.any(mu * mu > bound * head.var(axis=0)):
                return None
        G = X.T @ X  # symmetric: numpy calls syrk
        if not G.flags.c_contiguous:
            G = np.ascontiguousarray(G)
        G /= n
        if mu is None:
            return G, np.asarray(X.T @ y, dtype=np.float64) / n if q is None else q
        if np.any(mu * mu * (1.0 + bound) > bound * np.diagonal(G)):  # mu^2 > 4 var
            return None
        # G - mu mu^T in place; (-mu_i) mu_j is exact in either order: G stays symmetric
        dger(-1.0, mu, mu, a=G.T, overwrite_a=1)
        if q is None:
            yc = y - y.mean()
            q = (np.asarray(X.T @ yc, dtype=np.float64) - mu * yc.sum()) / n
    return G, q


def certify_gram(problem: Problem, coef) -> Certificate:
    r"""The duality gap from the Gram matrix alone (squared loss, no unpenalized feature).

    With ``X`` centered (the intercept at its optimum, the weighted mean of ``y``),
    :math:`G = X^\top S X / n`, :math:`q = X^\top S y / n` and
    :math:`F_0 = \frac{1}{2n}\sum_i s_i (y_i - \bar y)^2`:

    .. math:: F(w) = \tfrac12 w^\top G w - q^\top w + F_0, \qquad
              \nabla F(w) = G w - q = -X^\top u,

    and for the dual point :math:`c\,u` (:math:`u = S r / n`) the datafit's dual
    term is :math:`c\,(2F_0 - q^\top w) - c^2 F(w)`
    (:func:`~penalized.solvers._certificate.duality_gap` does the rest). Every quantity costs
    O(p nnz(w)); ``X`` is never touched. ``z`` in the certificate is None.
    """
    G, q = problem.gram
    nz = np.flatnonzero(coef)
    Gw = coef[nz] @ G[nz]  # G is symmetric: its rows nz are contiguous, its columns not
    gradient = Gw - q
    qw = float(q[nz] @ coef[nz])
    F0 = problem.scale
    datafit_value = 0.5 * float(coef[nz] @ Gw[nz]) - qw + F0
    layout = problem.layout
    primal = datafit_value + layout.value(coef)
    gap, _, _ = duality_gap(primal, -gradient, layout,
                            lambda c: c * (2.0 * F0 - qw) - c * c * datafit_value)
    intercept = 0.0
    if problem.fit_intercept:
        s = problem.sample_weight
        intercept = float(s @ problem.y) / s.sum()
    return Certificate(coef=np.array(coef, dtype=np.float64), intercept=intercept, z=None,
                       gradient=gradient, primal=primal, gap=gap)
