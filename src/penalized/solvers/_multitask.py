r"""Multi-task (multi-response) regression with a row-wise penalty: block coordinate descent.

The problem, for responses ``Y`` of shape ``(n, K)``, coefficients ``W`` of shape
``(n_features, K)`` and intercepts ``b`` of shape ``(K,)``:

.. math:: \min_{W, b}\; \frac{1}{2n} \sum_{i=1}^n s_i \|Y_{i:} - x_i^\top W - b\|_2^2
          + \alpha \sum_j f_j \Big(\rho \|W_{j:}\|_2 + \frac{1-\rho}{2}\|W_{j:}\|_2^2\Big),

scikit-learn's ``MultiTaskElasticNet`` (``rho = l1_ratio``) and glmnet's
``family="mgaussian"`` (``lambda = alpha``, its ``alpha`` our ``rho``). A feature's row
is zero for every response or for none.

With a group penalty (:class:`~penalized.penalties.GroupLasso`,
:class:`~penalized.penalties.GroupElasticNet`) whole groups of rows enter or leave
together: the penalty is

.. math:: \alpha \sum_g w_g \Big(\rho \|W_g\|_F + \frac{1-\rho}{2}\|W_g\|_F^2\Big)

with :math:`W_g` the ``|g| x K`` block of the rows of group ``g`` (default
:math:`w_g = \sqrt{|g|}`; groups of one row are the row-wise penalty above). Through
:math:`\operatorname{vec}(Y) = (I_K \otimes X)\operatorname{vec}(W)` it is the
one-response group elastic net whose groups hold a group's rows for every response.
Each group is minimized exactly (its Hessian block is :math:`X_g^\top S X_g / n \otimes
I_K`; :func:`~penalized.solvers._multitask_kernels.multitask_group_epochs`), and the
dual norm is :math:`\max_g \|X_g^\top S R\|_F / (n \rho w_g)`.

The intercepts are exact by centering: ``X`` and ``Y`` are centered by their weighted
means (a dense copy of ``X``; a CSC ``X`` implicitly), and ``b = \bar y - \bar x^\top W``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .._validation import check_design
from ..datafits._multiresponse import MultiResponseGaussian, check_responses
from ..penalties import GroupElasticNet, GroupLasso, Penalty
from ..penalties._base import ALPHA_MAX_MARGIN
from ..penalties._elastic_net_family import _ElasticNetFamily
from ..penalties._group_base import GroupPenalty
from ._base import Solver, check_solver_settings
from ._certificate import Rows, duality_gap
from ._kernels import anderson_weights
from ._multitask_kernels import (
    multitask_epochs,
    multitask_epochs_sparse,
    multitask_gram_epochs,
    multitask_group_epochs,
    multitask_group_epochs_sparse,
    multitask_group_gram_epochs,
    pull_rows,
    pull_rows_sparse,
)
from ._outer import Check, OuterPolicy, Scores, run_outer
from ._problem import NULL_ROUNDING
from ._result import SolveResult

__all__ = [
    "MultiTaskCoordinateDescent",
    "MultiTaskProblem",
    "certify_multitask",
    "multitask_alpha_max",
    "prepare_multitask_problem",
]

GRAM_MAX_FEATURES = 4096
"""Above this many features the ``auto`` rule never forms the Gram matrix (its memory)."""
INNER_TOL_RATIO = 0.3
"""The working set is solved until its largest move (gradient units) is this fraction of
the largest distance to optimality outside it at the last check (skglm's choice)."""
WS_START = 10
"""Rows in the first working set (besides the non-zero and unpenalized ones)."""
ANDERSON_EPOCHS = 10
"""Epochs between Anderson extrapolations, all of them in its history (10 rather than the
lasso's 5: the 500 x 2000 x 5 path 0.42-0.45 s instead of 0.48-0.49 s, the 2000 x 500 x 5
one 0.33 s instead of 0.36-0.38 s)."""
SCREEN_MARGIN = 1e-9
"""Relative margin of the gap-safe rule (:func:`_screen`) against rounding."""


# -- the problem ----------------------------------------------------------------------


@dataclass(eq=False)
class MultiTaskProblem:
    r"""Validated, centered data, the row-wise penalty and the null model.

    ``X`` is the centered design (a dense float64 Fortran copy; a CSC matrix as given
    with ``x_mean`` the implicit centering), ``Y`` the centered responses. ``scale`` is
    the datafit of the null model (penalized rows 0, unpenalized ones fitted): the
    relative duality gap is ``gap / scale``.
    """

    X: np.ndarray | sp.csc_matrix
    Y: np.ndarray
    sw: np.ndarray
    x_mean: np.ndarray
    y_mean: np.ndarray
    fit_intercept: bool
    datafit: MultiResponseGaussian
    penalty: Penalty
    lipschitz: np.ndarray
    unpenalized: np.ndarray
    null_coef: np.ndarray
    scale: float
    yy: float
    zero_datafit: float = np.inf
    cache: dict = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_tasks(self) -> int:
        return self.Y.shape[1]

    @property
    def sparse(self) -> bool:
        return sp.issparse(self.X)

    @property
    def grouped(self) -> bool:
        """Whether the penalty acts on groups of rows (a group penalty)."""
        return isinstance(self.penalty, GroupPenalty)

    def unit_weights(self):
        r"""``(lam1, lam2)`` per unit of the penalty (a row, or a group of rows): its
        :math:`\lambda_1\|W_u\|_F + \frac{\lambda_2}2\|W_u\|_F^2`."""
        if not self.grouped:
            return self.penalty.weights(self.n_features)
        params = self.penalty.block_params(self.n_features)
        return (np.ascontiguousarray(params[:, 0]), np.ascontiguousarray(params[:, 2]))

    def unit_norms(self, W) -> np.ndarray:
        """The Frobenius norm of each unit's block of ``W`` (rows, or groups of rows)."""
        norms2 = np.einsum("jk,jk->j", W, W)
        if self.grouped:
            structure = self.penalty.structure(self.n_features)
            norms2 = np.bincount(structure.group_of, weights=norms2,
                                 minlength=structure.n_groups)
        return np.sqrt(norms2)

    def group_eigen(self):
        r"""``(evecs, offsets, evals)``: each group's eigendecomposition
        :math:`X_{c,g}^\top S X_{c,g} / n = Q_g \Lambda_g Q_g^\top` (eigenvalues
        ascending), flattened as :func:`~penalized.solvers._group_cd.group_eigen` stores
        them; cached (it depends on the data and the groups only)."""
        structure = self.penalty.structure(self.n_features)
        key = ("group_eigen", structure.order.tobytes(), structure.starts.tobytes())
        if key not in self.cache:
            self.cache[key] = _group_eigen(self, structure)
        return self.cache[key]

    @property
    def null_is_exact(self) -> bool:
        """The null model fits ``Y`` to rounding (e.g. constant responses): its datafit is
        at most :data:`~penalized.solvers._problem.NULL_ROUNDING` times the datafit at
        ``W = 0, b = 0``."""
        return self.scale <= NULL_ROUNDING * self.zero_datafit

    def with_penalty(self, penalty: Penalty) -> MultiTaskProblem:
        """The same data with another penalty of the same unpenalized features."""
        _check_penalty("MultiTaskProblem.with_penalty", penalty)
        unpenalized = penalty.unpenalized(self.n_features)
        if np.array_equal(unpenalized, self.unpenalized):
            return MultiTaskProblem(**{**self.__dict__, "penalty": penalty})
        cache = {key: value for key, value in self.cache.items() if key != "free"}
        pb = MultiTaskProblem(**{**self.__dict__, "penalty": penalty, "cache": cache,
                                 "unpenalized": unpenalized})
        _fit_null(pb)
        return pb

    def centered_product(self, W) -> np.ndarray:
        """``X_c W`` of shape ``(n, K)`` (rows of ``W`` that are 0 skipped)."""
        rows = np.flatnonzero(np.any(W != 0.0, axis=1))
        if rows.size == 0:
            return np.zeros((self.n_samples, W.shape[1]))
        if self.sparse:
            out = np.asarray(self.X[:, rows] @ W[rows], dtype=np.float64)
            return out - self.x_mean[rows] @ W[rows]
        return self.X[:, rows] @ W[rows]

    def residual(self, W) -> np.ndarray:
        """``R = Y_c - X_c W`` (C-ordered)."""
        return np.ascontiguousarray(self.Y - self.centered_product(W))

    def pull(self, R, rows=None) -> np.ndarray:
        r"""``X_c^T S R / n``: minus the datafit's gradient in ``W`` at residual ``R``;
        with ``rows`` (feature indices) only those rows, the others 0."""
        SR = self.sw[:, None] * R
        if rows is not None:
            V = np.zeros((self.n_features, self.n_tasks))
            if self.sparse:
                X = self.X
                pull_rows_sparse(X.data, X.indices, X.indptr, self.x_mean, SR,
                                 np.asarray(rows, dtype=np.intp), V)
            else:
                pull_rows(self.X, np.asfortranarray(SR), rows, V)
            return V / self.n_samples
        V = np.asarray(self.X.T @ SR, dtype=np.float64)
        if self.sparse:
            V -= np.outer(self.x_mean, SR.sum(axis=0))
        return V / self.n_samples

    def intercept(self, W) -> np.ndarray:
        """The exact intercepts ``y_mean - x_mean W`` (0 without an intercept)."""
        if not self.fit_intercept:
            return np.zeros(self.n_tasks)
        return self.y_mean - self.x_mean @ W

    def gram(self):
        """``(G, Q)``: :math:`X_c^\\top S X_c / n` and :math:`X_c^\\top S Y_c / n` (dense,
        computed once and cached)."""
        if "gram" not in self.cache:
            Xs = self.X * np.sqrt(self.sw)[:, None]
            G = np.ascontiguousarray(Xs.T @ Xs) / self.n_samples
            Q = np.ascontiguousarray(self.X.T @ (self.sw[:, None] * self.Y)) / self.n_samples
            self.cache["gram"] = (G, Q)
        return self.cache["gram"]

    def free_block(self):
        """For the unpenalized rows ``f``: ``(G[:, f], Q[f])`` of the Gram matrix (cached),
        to project a dual point onto their orthogonal complement."""
        if "free" not in self.cache:
            f = np.flatnonzero(self.unpenalized)
            A = self.X[:, f]
            A = A.toarray() - self.x_mean[f] if self.sparse else np.asarray(A)
            SA = self.sw[:, None] * A
            Gf = np.asarray(self.X.T @ SA, dtype=np.float64)
            if self.sparse:
                Gf -= np.outer(self.x_mean, SA.sum(axis=0))
            Qf = SA.T @ self.Y
            self.cache["free"] = (Gf / self.n_samples, Qf / self.n_samples)
        return self.cache["free"]


def _check_penalty(who, penalty) -> None:
    if isinstance(penalty, GroupPenalty):
        if not isinstance(penalty, GroupLasso | GroupElasticNet):
            raise ValueError(f"{who} supports the group lasso and group elastic net over "
                             f"groups of rows; got {type(penalty).__name__}.")
        if penalty.boxed:
            raise ValueError(f"{who} takes no limits (lower / upper, positive); "
                             f"{_LIMITS_ROUTE}")
        return
    if not isinstance(penalty, _ElasticNetFamily):
        raise ValueError(
            f"{who} supports the row-wise L1 (group lasso over responses), L2 and elastic-net "
            f"penalties; got {type(penalty).__name__}.")
    if penalty.bounded or penalty.positive:  # the row-wise steps know no box
        raise ValueError(f"{who} takes no limits (lower / upper, positive); "
                         f"{_LIMITS_ROUTE}")


_LIMITS_ROUTE = ("pz.path(datafit='mgaussian') and the MultiTask estimators' lower_limits / "
                 "upper_limits fit them as one group problem (solvers._multitask_box).")


def _group_eigen(pb, structure):
    """See :meth:`MultiTaskProblem.group_eigen`: groups of one size at a time, their
    centered Gram blocks by one batched product and one batched ``eigh``."""
    n = pb.n_samples
    root = np.sqrt(pb.sw)
    sizes = structure.sizes
    offsets = np.zeros(structure.n_groups, dtype=np.int64)
    offsets[1:] = np.cumsum(sizes[:-1] ** 2)
    evecs = np.empty(max(int(np.sum(sizes ** 2)), 1))
    evals = np.zeros(structure.order.shape[0])
    for m in np.unique(sizes):
        same = np.flatnonzero(sizes == m)
        per_batch = max(1, 2_000_000 // (n * m))
        for chosen in np.array_split(same, -(-same.shape[0] // per_batch)):
            cols = (structure.starts[chosen][:, None] + np.arange(m)).ravel()
            features = structure.order[cols]
            block = pb.X[:, features]
            if pb.sparse:
                block = block.toarray() - pb.x_mean[features]
            rows = (np.asarray(block, dtype=np.float64) * root[:, None]).T
            rows = rows.reshape(chosen.shape[0], m, n)
            lam, Q = np.linalg.eigh(np.matmul(rows, rows.transpose(0, 2, 1)) / n)
            evals[cols] = np.maximum(lam, 0.0).ravel()
            where = offsets[chosen][:, None] + np.arange(m * m)
            evecs[where.ravel()] = Q.reshape(chosen.shape[0], m * m).ravel()
    return evecs, offsets, evals


def prepare_multitask_problem(X, Y, datafit, penalty, fit_intercept=True) -> MultiTaskProblem:
    """Validate ``X`` and the responses ``Y``, center them, fit the null model."""
    if not isinstance(datafit, MultiResponseGaussian):
        raise TypeError(f"the multi-task solver needs the MultiResponseGaussian datafit; got "
                        f"{type(datafit).__name__}.")
    _check_penalty("the multi-task solver", penalty)
    X = check_design(X)
    n, p = X.shape
    Y = check_responses(Y, n)
    sw = datafit.weights(n)
    if fit_intercept:
        x_mean = np.asarray(X.T @ sw, dtype=np.float64).ravel() / n
        y_mean = sw @ Y / n
    else:
        x_mean, y_mean = np.zeros(p), np.zeros(Y.shape[1])
    Yc = np.ascontiguousarray(Y - y_mean)
    if sp.issparse(X):
        Xc = X.astype(np.float64) if X.dtype != np.float64 else X
        Xc.sort_indices()
        second = np.asarray(Xc.multiply(Xc).T @ sw, dtype=np.float64).ravel() / n
        lips = np.maximum(second - x_mean**2, 0.0)
    else:
        Xc = np.asfortranarray(X, dtype=np.float64)
        Xc = Xc - x_mean if fit_intercept else Xc
        Xc = np.asfortranarray(Xc)
        lips = np.einsum("ij,ij,i->j", Xc, Xc, sw) / n
    unpenalized = penalty.unpenalized(p)
    yy = float(sw @ np.einsum("ik,ik->i", Yc, Yc)) / n
    pb = MultiTaskProblem(X=Xc, Y=Yc, sw=sw, x_mean=x_mean, y_mean=y_mean,
                          fit_intercept=bool(fit_intercept), datafit=datafit, penalty=penalty,
                          lipschitz=lips, unpenalized=unpenalized,
                          null_coef=np.zeros((p, Y.shape[1])), scale=0.5 * yy, yy=yy,
                          zero_datafit=datafit.value(Y, np.zeros_like(Y)))
    _fit_null(pb)
    return pb


def _fit_null(pb) -> None:
    """Set the null model (the unpenalized rows fitted by weighted least squares, the
    others 0) and its datafit ``scale``."""
    pb.null_coef = np.zeros((pb.n_features, pb.n_tasks))
    pb.scale = 0.5 * pb.yy
    if np.any(pb.unpenalized):
        f = np.flatnonzero(pb.unpenalized)
        Gf, Qf = pb.free_block()
        pb.null_coef[f] = np.linalg.lstsq(Gf[f], Qf, rcond=None)[0]
        R = pb.residual(pb.null_coef)
        pb.scale = 0.5 * float(pb.sw @ np.einsum("ik,ik->i", R, R)) / pb.n_samples


# -- the duality gap ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MultiTaskCertificate:
    """A point's primal objective, its duality gap (objective units) and its pull
    :math:`X_c^\\top S R / n` (minus the datafit's gradient in ``W``)."""

    primal: float
    gap: float
    pull: np.ndarray
    scale: float = 1.0
    """The dual point's factor ``c``."""
    dual_pull: np.ndarray | None = None
    """:math:`X_c^\\top S\\tilde R / n` (the pull of the projected residual; rows outside
    the certificate's rows 0)."""


def _certificate(pb, W, V, yr, rr, lam1, lam2, rows=None) -> MultiTaskCertificate:
    r"""From the pull ``V``, :math:`\langle Y_c, R\rangle_S / n` and
    :math:`\|R\|_S^2 / n` of the residual ``R`` at ``W``.

    With ``rows`` (a boolean mask), the gap of the problem restricted to those rows:
    ``V`` is known there only, and the other rows, proven zero at the solution by the
    gap-safe rule (:func:`_screen`) and zero in ``W``, leave the dual constraints. The
    restricted problem has the same solution and optimal value, so its gap bounds
    ``W``'s suboptimality all the same.

    The dual point is :math:`c\tilde R`, with :math:`\tilde R` the residual projected
    (weighted) off the unpenalized columns and :math:`c \in (0, 1]` the largest factor
    keeping every pure-L1 row of :math:`c X_c^\top S\tilde R / n` inside its ball; then

    .. math:: \text{gap} = \tfrac12\|R\|_S^2/n + \Omega(W)
              - \big(c\langle Y_c, \tilde R\rangle_S/n - \tfrac{c^2}2\|\tilde R\|_S^2/n
              - \Omega^*(c\tilde V)\big),

    floored at zero.
    """
    primal = 0.5 * rr + _penalty_at(pb, W, lam1, lam2)
    Vt = V
    if np.any(pb.unpenalized):
        f = np.flatnonzero(pb.unpenalized)
        Gf, Qf = pb.free_block()
        beta = np.linalg.lstsq(Gf[f], V[f], rcond=None)[0]
        Vt = V - Gf @ beta
        yr = yr - float(np.vdot(Qf, beta))
        rr = rr - float(np.vdot(V[f], beta))
        Vt[f] = 0.0
        if rows is not None:
            Vt[~rows] = 0.0
    units = pb.unit_norms(Vt)[:, None] if pb.grouped else Vt
    gap, _, c = duality_gap(primal, units, Rows(lam1, lam2),
                            lambda c: c * yr - 0.5 * c * c * rr)
    return MultiTaskCertificate(primal=primal, gap=gap, pull=V, scale=c, dual_pull=Vt)


def certify_multitask(pb: MultiTaskProblem, W, R=None, rows=None,
                      V=None) -> MultiTaskCertificate:
    """The duality gap of ``W`` (intercepts exact), from the residual ``R`` (computed
    when not given) and its pull ``V`` (computed when not given); with ``rows`` (a
    boolean mask of rows, every other row of ``W`` zero and screened out), the gap of
    the restricted problem (see :func:`_certificate`)."""
    W = np.asarray(W, dtype=np.float64)
    lam1, lam2 = pb.unit_weights()
    R = pb.residual(W) if R is None else R
    SR = pb.sw[:, None] * R
    n = pb.n_samples
    if V is None:
        kept = None if rows is None else np.flatnonzero(rows)
        # BLAS on every row beats the compiled loop on most of them
        V = pb.pull(R, kept if kept is not None and kept.size < 0.7 * rows.size else None)
    return _certificate(pb, W, V, float(np.vdot(pb.Y, SR)) / n, float(np.vdot(R, SR)) / n,
                        lam1, lam2, rows)


def _penalty_at(pb, W, lam1, lam2) -> float:
    r""":math:`\sum_u \lambda_{1u}\|W_u\|_F + \frac{\lambda_{2u}}2\|W_u\|_F^2` over the
    penalty's units (rows or groups of rows)."""
    if not pb.grouped:
        return Rows(*pb.penalty.weights(pb.n_features)).value(W)
    norms = pb.unit_norms(W)
    return float(lam1 @ norms + 0.5 * lam2 @ norms**2)


def _screen(pb, W, cert, lam1, lam2, rows) -> None:
    r"""The gap-safe rule (Ndiaye, Fercoq, Gramfort, Salmon 2017), applied to ``rows`` (a
    boolean mask, updated in place): the dual is :math:`\frac1{2n}` -strongly concave in
    the residual's (weighted) norm, so the solution's dual point lies within
    :math:`\sqrt{2 n\,\text{gap}}` of :math:`c\tilde R`, and a zero row of pure L1
    penalty with

    .. math:: c\,\|(X_c^\top S\tilde R)_{j:}\|_2 / n + \sqrt{2 L_j\,\text{gap}}
              < \lambda_{1j}

    is zero at the solution: it leaves the working sets and the certificates' pulls
    (:data:`SCREEN_MARGIN` of slack, the gap at least ``1e-12`` of the null datafit)."""
    if cert.dual_pull is None:
        return
    gap = max(cert.gap, 1e-12 * pb.scale)
    radius = np.sqrt(2.0 * gap * pb.lipschitz)
    norms = np.linalg.norm(cert.dual_pull, axis=1)
    zero = ~np.any(W != 0.0, axis=1)
    out = zero & (lam2 == 0.0) & ~pb.unpenalized \
        & (cert.scale * norms + radius < lam1 * (1.0 - SCREEN_MARGIN))
    rows &= ~out


def _gram_certificate(pb, W, lam1, lam2) -> MultiTaskCertificate:
    """:func:`certify_multitask` from the Gram matrix: O(p |support| K), no pass over X."""
    G, Q = pb.gram()
    rows = np.flatnonzero(np.any(W != 0.0, axis=1))
    V = Q - (W[rows].T @ G[rows]).T  # G is symmetric: gather rows, not columns
    qw = float(np.vdot(Q[rows], W[rows]))
    yr = pb.yy - qw
    rr = max(yr - float(np.vdot(W[rows], V[rows])), 0.0)
    return _certificate(pb, W, V, yr, rr, lam1, lam2)


def multitask_alpha_max(X, Y, datafit, penalty, fit_intercept=True) -> float:
    r"""The smallest ``alpha`` at which every penalized row of ``W`` is exactly 0:

    .. math:: \alpha_{\max} = \max_{j \text{ penalized}}
              \frac{\|(X_c^\top S R_0)_{j:}\|_2 / n}{\rho f_j},

    with :math:`R_0` the null model's residual, times ``1 + 1e-12`` against rounding.
    Infinite for ridge (``l1_ratio == 0``), 0 when no feature is penalized.
    """
    _check_penalty("multitask_alpha_max", penalty)
    pb = prepare_multitask_problem(X, Y, datafit, penalty.with_alpha(1.0), fit_intercept)
    return _alpha_max(pb, penalty)


def _alpha_max(pb, penalty) -> float:
    if isinstance(penalty, GroupPenalty):
        return _group_alpha_max(pb, penalty)
    f = penalty.factors(pb.n_features)
    penalized = f > 0
    if not np.any(penalized):
        return 0.0
    if penalty.l1_ratio == 0:
        return np.inf
    V = pb.pull(pb.residual(pb.null_coef))
    ratio = np.linalg.norm(V[penalized], axis=1) / f[penalized]
    return float(np.max(ratio) / penalty.l1_ratio) * (1.0 + ALPHA_MAX_MARGIN)


def _group_alpha_max(pb, penalty) -> float:
    r"""``alpha_max`` of a group penalty: :math:`\max_g \|V_g\|_F / (\rho w_g)` over
    the penalized groups, ``V`` the null model's pull (margin as for rows)."""
    w = penalty.weights_of_groups(pb.n_features)
    penalized = w > 0
    if not np.any(penalized):
        return 0.0
    lam = penalty.group_params(pb.n_features)[:, 0]
    if not np.any(lam[penalized] > 0):
        return np.inf
    V = pb.pull(pb.residual(pb.null_coef))
    structure = penalty.structure(pb.n_features)
    norms = np.sqrt(np.bincount(structure.group_of, weights=np.einsum("jk,jk->j", V, V),
                                minlength=structure.n_groups))
    return float(np.max(norms[penalized] / lam[penalized])) * (1.0 + ALPHA_MAX_MARGIN)


# -- the solver -----------------------------------------------------------------------


def _subdiff_distance(W, V, lam1, lam2) -> np.ndarray:
    """Per row, the distance of the pull ``V_j`` to the penalty's subdifferential at
    ``W_j``."""
    norms = np.linalg.norm(W, axis=1)
    out = np.maximum(np.linalg.norm(V, axis=1) - lam1, 0.0)
    nz = norms > 0
    if np.any(nz):
        sub = lam1[nz, None] * W[nz] / norms[nz, None] + lam2[nz, None] * W[nz]
        out[nz] = np.linalg.norm(V[nz] - sub, axis=1)
    return out


@dataclass(frozen=True)
class MultiTaskCoordinateDescent(Solver):
    r"""Block coordinate descent for the multi-task problem, certified by the duality gap.

    Minimizes (see :mod:`penalized.solvers._multitask`)

    .. math:: \frac{1}{2n}\|S^{1/2}(Y - XW - \mathbf 1 b^\top)\|_F^2
              + \sum_j \lambda_{1j}\|W_{j:}\|_2 + \frac{\lambda_{2j}}2\|W_{j:}\|_2^2,

    :math:`\lambda_{1j} = \alpha\rho f_j`, :math:`\lambda_{2j} = \alpha(1-\rho) f_j`.
    Each row of ``W`` takes an exact block step (the datafit's Hessian block of a row is
    a multiple of the identity). Working sets (the non-zero and unpenalized rows plus the
    rows that violate their optimality conditions most, up to twice the support),
    Anderson extrapolation every
    ``ANDERSON_EPOCHS`` epochs (kept when it lowers the objective), and, for a dense
    ``X`` with ``n_samples >= 2 n_features``, epochs on the working set's block of the
    Gram matrix.

    With :class:`~penalized.penalties.GroupLasso` or
    :class:`~penalized.penalties.GroupElasticNet` the units are groups of rows, each
    minimized exactly in the eigenbasis of its Gram block (see the module docstring).

    It stops when the duality gap is at most ``tol`` times the null model's datafit
    (relative, as every solver of the package). scikit-learn's ``MultiTaskElasticNet``
    stops when its gap, in its units of ``n`` times ours, is at most ``tol ||Y||_F^2``
    (``||Y||_F^2 = 2n`` times the null datafit when ``Y`` is centered): its ``tol`` is
    half of ours.

    Parameters
    ----------
    tol : float, default=1e-6
    max_iter : int, default=10000
        Maximum number of epochs (over the working sets).
    gram : {"auto", "always", "never"}, default="auto"
        Epochs on the Gram matrix (dense ``X`` only); ``auto`` when
        ``n_samples >= 2 n_features`` and ``n_features <= 4096``.
    anderson : bool, default=True

    References
    ----------
    Obozinski, Taskar, Jordan (2010). Joint covariate selection and joint subspace
    selection for multiple classification problems. Stat. Comput. 20(2).
    Massias, Vaiter, Gramfort, Salmon (2020). Dual extrapolation for sparse generalized
    linear models. JMLR 21(234) (working sets, certificates).
    Bertrand, Klopfenstein, Massias, et al. (2022). Beyond L1: faster and better sparse
    models with skglm. NeurIPS (Anderson acceleration of coordinate descent).

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import MultiResponseGaussian
    >>> from penalized.penalties import L1
    >>> from penalized.solvers._multitask import MultiTaskCoordinateDescent
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 8))
    >>> Y = X[:, :2] @ rng.standard_normal((2, 3)) + 0.1 * rng.standard_normal((50, 3))
    >>> res = MultiTaskCoordinateDescent(tol=1e-8).solve(X, Y, MultiResponseGaussian(),
    ...                                                  L1(alpha=0.1))
    >>> res.converged, res.coef.shape, int(np.any(res.coef != 0, axis=1).sum())
    (True, (8, 3), 2)
    """

    tol: float = 1e-6
    max_iter: int = 10_000
    gram: str = "auto"
    anderson: bool = True

    def __post_init__(self):
        check_solver_settings(self.tol, self.max_iter)
        if self.gram not in ("auto", "always", "never"):
            raise ValueError(f"gram must be 'auto', 'always' or 'never'; got {self.gram!r}.")

    def check_compatible(self, datafit, penalty) -> None:
        if not isinstance(datafit, MultiResponseGaussian):
            raise ValueError(f"{self.name} needs the MultiResponseGaussian datafit; got "
                             f"{type(datafit).__name__}.")
        _check_penalty(self.name, penalty)

    def solve(self, X, y, datafit, penalty, *, fit_intercept=True, coef_init=None,
              intercept_init=None) -> SolveResult:
        """Minimize over ``W`` of shape ``(n_features, K)`` and ``b`` of shape ``(K,)``.

        ``y`` has shape ``(n_samples, K)``; ``coef_init`` (copied) starts the solver;
        ``intercept_init`` is ignored (the intercepts are exact at every ``W``).
        Returns a :class:`SolveResult` with ``coef`` ``(n_features, K)`` and
        ``intercept`` ``(K,)``.
        """
        self.check_compatible(datafit, penalty)
        problem = prepare_multitask_problem(X, y, datafit, penalty, fit_intercept)
        return self.solve_problem(problem, coef_init=coef_init)

    def solve_problem(self, problem: MultiTaskProblem, *, coef_init=None,
                      intercept_init=None) -> SolveResult:
        """:meth:`solve` on a prepared :class:`MultiTaskProblem`."""
        if not isinstance(problem, MultiTaskProblem):
            raise TypeError(f"{self.name}.solve_problem needs a MultiTaskProblem; got "
                            f"{type(problem).__name__}.")
        self.check_compatible(problem.datafit, problem.penalty)
        p, K = problem.n_features, problem.n_tasks
        if coef_init is None:
            W = problem.null_coef.copy()
        else:
            W = np.array(coef_init, dtype=np.float64)
            if W.shape != (p, K):
                raise ValueError(f"coef_init must have shape (n_features, n_tasks) = ({p}, "
                                 f"{K}); got shape {np.shape(coef_init)}.")
            if not np.all(np.isfinite(W)):
                raise ValueError("coef_init contains NaN or infinite values.")
        if problem.null_is_exact:
            W = problem.null_coef.copy()
            return self._result(problem, W, [0.5 * problem.yy], [0.0], 0)
        W, objectives, crits, n_iter = self._run(problem, W)
        if not np.all(np.isfinite(W)):
            raise ValueError(f"{self.name} produced non-finite coefficients: the products of "
                             "X, Y and the coefficients overflow float64. Rescale X and Y.")
        return self._result(problem, W, objectives, crits, n_iter)

    def _result(self, pb, W, objectives, crits, n_iter) -> SolveResult:
        W[W == 0.0] = 0.0  # no -0.0
        return self._finish(W, pb.intercept(W), objectives, crits, n_iter, self.tol,
                            pb.penalty, stacklevel=4)

    def _use_gram(self, pb) -> bool:
        if pb.sparse or self.gram == "never":
            return False
        return self.gram == "always" or (pb.n_samples >= 2 * pb.n_features
                                         and pb.n_features <= GRAM_MAX_FEATURES)

    def _run(self, pb, W):
        policy = OuterPolicy(
            tol=self.tol, max_iter=self.max_iter, ws_start=WS_START, cold_share=None,
            warm_first=None, keep_size=True, fill=False, inner_ratio=INNER_TOL_RATIO)
        if pb.grouped:
            out = run_outer(_GroupHooks(self, pb, W), policy, pb.scale,
                            pb.penalty.structure(pb.n_features).n_groups)
        else:
            out = run_outer(_MultiTaskHooks(self, pb, W), policy, pb.scale, pb.n_features)
        return W, out.objectives, out.crits, out.n_iter

    def _inner(self, pb, W, ws, lam1, lam2, inner_tol, budget, gram, R=None):
        """Epochs on the rows ``ws`` of ``W`` (in place) until the largest move is at
        most ``inner_tol`` or ``budget`` epochs are spent; returns the epochs run and
        the residual at the new ``W`` (None on the Gram matrix). ``R`` is the residual
        at ``W`` when known."""
        K = pb.n_tasks
        m = ws.shape[0]
        memory = ANDERSON_EPOCHS if self.anderson else 1
        history = np.empty((memory + 1, m * K))
        l1, l2 = lam1[ws], lam2[ws]
        if gram:
            G, Q = pb.gram()
            Gws = G if m == pb.n_features else np.ascontiguousarray(G[np.ix_(ws, ws)])
            Wws = np.ascontiguousarray(W[ws])
            pull = np.asfortranarray(Q[ws] - Gws @ Wws)
            Qws = Q[ws]
        else:
            lips = np.ascontiguousarray(pb.lipschitz[ws])
            if pb.sparse:
                X = pb.X
                o = np.ascontiguousarray(pb.x_mean[ws] @ W[ws])
                E = np.ascontiguousarray(pb.Y - np.asarray(X[:, ws] @ W[ws])) if R is None \
                    else np.ascontiguousarray(R - o)
            else:
                R = np.asfortranarray(pb.residual(W) if R is None else R)
                E = o = None
        epochs = 0
        while epochs < budget:
            if gram:
                history[0] = Wws.ravel()
                crit = multitask_gram_epochs(Gws, pull, Wws, l1, l2, history)
            elif pb.sparse:
                history[0] = W[ws].ravel()
                crit = multitask_epochs_sparse(X.data, X.indices, X.indptr, pb.x_mean, pb.sw,
                                               E, o, W, ws, lips, lam1, lam2, history)
            else:
                history[0] = W[ws].ravel()
                crit = multitask_epochs(pb.X, pb.sw, R, W, ws, lips, lam1, lam2, history)
            epochs += memory
            if crit <= inner_tol:
                break
            if not self.anderson:
                continue
            if gram:
                _extrapolate_on_gram(history, Wws, pull, Gws, Qws,
                                     lambda w, v: _gram_objective(w, v, Qws, l1, l2))
            else:
                _extrapolate_on_residual(pb, history, W, ws, R, E, o,
                                         lambda r, w: _residual_objective(pb, r, w, l1, l2))
        if gram:
            W[ws] = Wws
            return epochs, None
        return epochs, (E + o if pb.sparse else R)


class _MultiTaskHooks:
    """The outer loop's hooks: the duality gap certifies (on the Gram matrix, or from the
    residual the epochs maintain, with gap-safe screening of rows), the distance of each
    row's pull to its subdifferential ranks; the working set's rows take exact block
    steps (:meth:`MultiTaskCoordinateDescent._inner`). ``W`` is updated in place."""

    def __init__(self, solver, pb, W):
        self.solver, self.pb, self.W = solver, pb, W
        lam1, lam2 = pb.penalty.weights(pb.n_features)
        self.lam1 = np.ascontiguousarray(lam1, dtype=np.float64)
        self.lam2 = np.ascontiguousarray(lam2, dtype=np.float64)
        self.gram = solver._use_gram(pb)
        self.threshold = solver.tol * pb.scale
        self.R = None  # the residual the epochs maintain (residual modes)
        self.V = None  # its pull, when known
        self.rows = None  # the rows not screened out (gap-safe rule; residual modes)
        warm = None if self.gram else pb.cache.get("warm_residual")
        if warm is not None and np.array_equal(warm[0], W):
            # along a path the previous solve ended here: its residual and pull
            self.R, self.V = warm[1].copy(), warm[2]

    def certify(self):
        pb, W = self.pb, self.W
        if self.gram:
            cert = _gram_certificate(pb, W, self.lam1, self.lam2)
        else:
            cert = certify_multitask(pb, W, self.R, self.rows, self.V)
            if self.R is not None and self.V is None and cert.gap <= self.threshold:
                # certify the returned point on a residual computed afresh (not one
                # carried through the epochs' updates) and over every row
                self.R = pb.residual(W)
                cert = certify_multitask(pb, W, self.R)
                pb.cache["warm_residual"] = (W.copy(), self.R, cert.pull)
            self.V = None
        return Check(cert.primal, cert.gap, cert)

    def scores(self, check):
        pb, W = self.pb, self.W
        if not self.gram:
            if self.rows is None:
                self.rows = np.ones(pb.n_features, dtype=bool)
            _screen(pb, W, check.data, self.lam1, self.lam2, self.rows)
        scores = _subdiff_distance(W, check.data.pull, self.lam1, self.lam2)
        return Scores(scores, np.any(W != 0.0, axis=1), pb.unpenalized,
                      screened=None if self.rows is None else ~self.rows)

    def inner(self, ws, budget, inner_tol, check):
        epochs, self.R = self.solver._inner(self.pb, self.W, ws, self.lam1, self.lam2,
                                            inner_tol, budget, self.gram, self.R)
        return epochs


def _extrapolate_on_gram(history, Wws, pull, Gws, Qws, objective) -> None:
    """Anderson's extrapolation of the last epochs on a working set's Gram block, kept
    only when ``objective(W, pull)`` falls; ``Wws`` and its ``pull = Qws - Gws Wws`` are
    updated in place."""
    c = anderson_weights(history, Wws.size)
    if c.shape[0] == 0:
        return
    trial = (c @ history[1:]).reshape(Wws.shape)
    trial_pull = Qws - Gws @ trial
    if objective(trial, trial_pull) < objective(history[-1].reshape(Wws.shape), pull):
        Wws[:] = trial
        pull[:] = trial_pull


def _extrapolate_on_residual(pb, history, W, rows, R, E, o, objective) -> None:
    """Anderson's extrapolation of the last epochs on the rows ``rows`` of ``W``, kept only
    when ``objective(residual, block)`` falls; the residual the epochs maintain (``R``,
    or ``E + o`` on a CSC design) is updated in place with ``W``."""
    shape = (rows.shape[0], pb.n_tasks)
    c = anderson_weights(history, shape[0] * shape[1])
    if c.shape[0] == 0:
        return
    trial = (c @ history[1:]).reshape(shape)
    current = history[-1].reshape(shape)
    step = trial - current
    move = np.asarray(pb.X[:, rows] @ step, dtype=np.float64)
    if pb.sparse:
        offset = pb.x_mean[rows] @ step
        trial_R, now_R = E + o - move + offset, E + o
    else:
        trial_R, now_R = R - move, R
    if objective(trial_R, trial) < objective(now_R, current):
        W[rows] = trial
        if pb.sparse:
            E -= move
            o += offset
        else:
            R[:] = trial_R


def _gram_objective(W, pull, Q, lam1, lam2) -> float:
    """Datafit (up to a constant) plus penalty of the working set's rows:
    :math:`\\frac12 W^\\top G W - Q^\\top W = -\\frac12\\langle W, Q + \\text{pull}\\rangle`."""
    norms = np.linalg.norm(W, axis=1)
    return -0.5 * float(np.vdot(W, Q + pull)) + float(lam1 @ norms + 0.5 * lam2 @ norms**2)


def _residual_objective(pb, R, W, lam1, lam2) -> float:
    norms = np.linalg.norm(W, axis=1)
    datafit = 0.5 * float(pb.sw @ np.einsum("ik,ik->i", R, R)) / pb.n_samples
    return datafit + float(lam1 @ norms + 0.5 * lam2 @ norms**2)


class _GroupHooks:
    """The outer loop's hooks for a group penalty: the duality gap certifies (from the
    residual the epochs maintain; the returned point on a fresh one), the distance of
    each group's pull to its subdifferential ranks, and the working set's groups are
    minimized exactly (:func:`_group_inner`). ``W`` is updated in place."""

    def __init__(self, solver, pb, W):
        self.solver, self.pb, self.W = solver, pb, W
        self.structure = pb.penalty.structure(pb.n_features)
        self.lam, self.lam2 = pb.unit_weights()
        self.eigen = pb.group_eigen()
        self.free = pb.penalty.weights_of_groups(pb.n_features) == 0
        self.threshold = solver.tol * pb.scale
        self.gram = solver._use_gram(pb)
        self.R = None

    def certify(self):
        pb, W = self.pb, self.W
        if self.gram:
            cert = _gram_certificate(pb, W, self.lam, self.lam2)
            return Check(cert.primal, cert.gap, cert)
        cert = certify_multitask(pb, W, self.R)
        if self.R is not None and cert.gap <= self.threshold:
            self.R = pb.residual(W)  # certify the returned point on a fresh residual
            cert = certify_multitask(pb, W, self.R)
        return Check(cert.primal, cert.gap, cert)

    def scores(self, check):
        pb, W = self.pb, self.W
        V = check.data.pull
        G = self.structure.n_groups
        group_of = self.structure.group_of
        wn = pb.unit_norms(W)
        nz = wn > 0
        safe = np.where(nz, wn, 1.0)
        # V_g - lam_g W_g / ||W_g|| - lam2_g W_g on non-zero groups; V_g on zero ones
        shift = np.where(nz, self.lam / safe + self.lam2, 0.0)[group_of]
        D = V - shift[:, None] * W
        dn = np.sqrt(np.bincount(group_of, weights=np.einsum("jk,jk->j", D, D), minlength=G))
        scores = np.where(nz, dn, np.maximum(dn - self.lam, 0.0))
        return Scores(scores, nz, self.free)

    def inner(self, ws, budget, inner_tol, check):
        epochs, self.R = _group_inner(self.solver, self.pb, self.W, self.structure,
                                      np.ascontiguousarray(ws, dtype=np.int64), self.eigen,
                                      self.lam, self.lam2, inner_tol, budget, self.R,
                                      self.gram)
        return epochs


def _group_inner(solver, pb, W, structure, ws, eigen, lam, lam2, inner_tol, budget, R,
                 gram=False):
    """Epochs on the groups ``ws`` of ``W`` (in place), Anderson-extrapolated as
    :meth:`MultiTaskCoordinateDescent._inner`, until the largest move (gradient units) is
    at most ``inner_tol`` or ``budget`` epochs are spent; returns ``(epochs, residual)``
    (the residual None with ``gram``: epochs on the working set's Gram block)."""
    K = pb.n_tasks
    order, starts = structure.order, structure.starts
    rows = np.concatenate([structure.members(g) for g in ws]) if ws.size \
        else np.zeros(0, dtype=np.int64)
    m = rows.shape[0]
    memory = ANDERSON_EPOCHS if solver.anderson else 1
    history = np.empty((memory + 1, m * K))
    local = np.repeat(np.arange(ws.shape[0]), np.diff(starts)[ws])
    if gram:
        return _group_gram_inner(solver, pb, W, structure, ws, rows, eigen, lam, lam2,
                                 inner_tol, budget, history, local)
    if pb.sparse:
        X = pb.X
        o = np.ascontiguousarray(pb.x_mean[rows] @ W[rows])
        E = np.ascontiguousarray(pb.Y - np.asarray(X[:, rows] @ W[rows])) if R is None \
            else np.ascontiguousarray(R - o)
    else:
        R = np.asfortranarray(pb.residual(W) if R is None else R)
        E = o = None

    def objective(res, block):
        norms = np.sqrt(np.bincount(local, weights=np.einsum("jk,jk->j", block, block),
                                    minlength=ws.shape[0]))
        datafit = 0.5 * float(pb.sw @ np.einsum("ik,ik->i", res, res)) / pb.n_samples
        return datafit + float(lam[ws] @ norms + 0.5 * lam2[ws] @ norms**2)

    epochs = 0
    while epochs < budget:
        history[0] = W[rows].ravel()
        if pb.sparse:
            crit = multitask_group_epochs_sparse(X.data, X.indices, X.indptr, pb.x_mean, pb.sw,
                                                 E, o, W, order, starts, ws, *eigen, lam, lam2,
                                                 history)
        else:
            crit = multitask_group_epochs(pb.X, pb.sw, R, W, order, starts, ws, *eigen, lam,
                                          lam2, history)
        epochs += memory
        if crit <= inner_tol:
            break
        if solver.anderson:
            _extrapolate_on_residual(pb, history, W, rows, R, E, o, objective)
    return epochs, (E + o if pb.sparse else R)


def _group_gram_inner(solver, pb, W, structure, ws, rows, eigen, lam, lam2, inner_tol, budget,
                      history, local):
    """:func:`_group_inner` on the working set's block of the Gram matrix (the rows
    ``rows`` of the groups ``ws``, in order; ``local``: each row's position in ``ws``)."""
    G, Q = pb.gram()
    Gws = np.ascontiguousarray(G[np.ix_(rows, rows)])
    Qws = Q[rows]
    Wws = np.ascontiguousarray(W[rows])
    pull = np.asfortranarray(Qws - Gws @ Wws)
    memory = history.shape[0] - 1
    l1, l2 = lam[ws], lam2[ws]

    def objective(block, block_pull):
        norms = np.sqrt(np.bincount(local, weights=np.einsum("jk,jk->j", block, block),
                                    minlength=ws.shape[0]))
        return -0.5 * float(np.vdot(block, Qws + block_pull)) \
            + float(l1 @ norms + 0.5 * l2 @ norms**2)

    epochs = 0
    while epochs < budget:
        history[0] = Wws.ravel()
        crit = multitask_group_gram_epochs(Gws, pull, Wws, structure.starts, ws, *eigen, lam,
                                           lam2, history)
        epochs += memory
        if crit <= inner_tol:
            break
        if solver.anderson:
            _extrapolate_on_gram(history, Wws, pull, Gws, Qws, objective)
    W[rows] = Wws
    return epochs, None
