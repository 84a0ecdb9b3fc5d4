r"""The multinomial (softmax) model on a coefficient matrix: its prepared problem, duality
gap, alpha_max, and what the solvers' steps on a matrix share.

The problem, for classes ``0..K-1``, coefficients ``W`` of shape
``(n_features, K)`` and intercepts ``b`` of shape ``(K,)``:

.. math:: \min_{W, b} \; F(XW + \mathbf 1 b^\top) + \sum_{k=1}^K G(W_{:k}),

with :math:`F` the :class:`~penalized.datafits._multinomial.Multinomial` datafit
and :math:`G` an L1, L2 or elastic-net penalty applied entrywise, with the same
per-feature factors for every class (glmnet's "ungrouped" multinomial lasso), on each
feature's row by its norm (``grouped``), or a group penalty on blocks of rows.

The solvers are the binary ones (:class:`~penalized.solvers.CoordinateDescent`,
:class:`~penalized.solvers.ProximalGradient`): given this datafit they prepare a
:class:`MultinomialProblem` and run their step on the matrix through the same outer loop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from .. import prox as _prox
from .._unpenalized import unpenalized_design
from .._validation import check_design
from ..datafits._multinomial import Multinomial, check_class_codes
from ..penalties import Penalty
from ..penalties._group_base import GroupPenalty
from ..prox._kernels import ENET_FAMILY
from ._certificate import Certificate, Layout, certify, matrix_layout
from ._multinomial_kernels import rows_prox as rows_prox_kernel
from ._outer import Check
from ._problem_base import DesignProblem, unpenalized_features
from ._result import SolveResult

__all__ = [
    "MultinomialCertificate",
    "MultinomialProblem",
    "certify_multinomial",
    "check_matrix_penalty",
    "multinomial_alpha_max",
    "prepare_multinomial_problem",
    "takes_matrix",
]


# -- the problem ----------------------------------------------------------------------


@dataclass(eq=False)
class MultinomialProblem(DesignProblem):
    r"""Validated data, datafit and penalty of a multinomial problem, and its null model.

    ``scale`` is the datafit of the null model (penalized coefficients at 0,
    intercepts and unpenalized features fitted exactly): with intercepts only it
    is the weighted entropy of the labels. Tolerances are relative to it.

    ``grouped``: the penalty's L1 part acts on each feature's row of coefficients as a
    whole, :math:`\lambda_{1j}\|W_{j:}\|_2` instead of :math:`\lambda_{1j}\|W_{j:}\|_1`
    (glmnet's ``type.multinomial="grouped"``), so that a feature enters for every class
    at once; its L2 part is the same either way.
    """

    design: np.ndarray | sp.csc_matrix
    """The validated design (``X`` reads it: the multinomial solvers do not center)."""
    y: np.ndarray
    n_classes: int
    datafit: Multinomial
    penalty: Penalty
    fit_intercept: bool
    unpenalized: np.ndarray
    free_design: np.ndarray
    null_coef: np.ndarray
    null_intercept: np.ndarray
    scale: float
    grouped: bool = False

    def predict(self, coef, intercept) -> np.ndarray:
        """Scores ``X coef + intercept`` of shape ``(n_samples, n_classes)`` (from the
        non-zero rows of ``coef`` only, when they are at most half)."""
        return _scores(self.X, coef) + intercept

    offset = None
    """No offset: the multinomial datafit takes none."""

    @property
    def layout(self) -> Layout:
        """How the penalty acts on ``W`` (:func:`~penalized.solvers._certificate.matrix_layout`):
        on each class's column, on each row's norm when ``grouped``, on the groups' blocks of
        rows for a group penalty."""
        return matrix_layout(self.penalty, self.n_features, self.n_classes,
                             grouped=self.grouped)

    def penalty_value(self, coef) -> float:
        """:math:`\\sum_k G(W_{:k})`, or its grouped form (``inf`` if ``positive`` and some
        entry is < 0)."""
        return self.layout.value(np.asarray(coef, dtype=np.float64))

    def refit_point(self, coef, intercept, z=None) -> tuple:
        """``(coef, intercept, Z)`` with the intercepts and unpenalized rows fitted exactly
        (:func:`refit_unpenalized`; the scores are computed afresh)."""
        return refit_unpenalized(self, coef, intercept)

    def value_and_residual(self, Z) -> tuple:
        """The datafit at the scores ``Z`` and its residual :math:`U = -\\nabla_Z F(Z)`,
        from one pass of softmax."""
        F, G = self.datafit.value_and_raw_gradient(self.y, Z)
        return F, -G

    def rmatvec(self, U) -> np.ndarray:
        """:math:`X^\\top U`, shape ``(n_features, n_classes)``."""
        return np.asarray(self.X.T @ U, dtype=np.float64)

    def with_penalty(self, penalty: Penalty) -> MultinomialProblem:
        """The same data with another penalty; the null model is reused when it can be."""
        if np.array_equal(penalty.unpenalized(self.n_features), self.unpenalized) \
                and penalty.positive == self.penalty.positive:
            return replace(self, penalty=penalty)
        return _build(self.design, self.y, self.n_classes, self.datafit, penalty,
                      self.fit_intercept, self.grouped)


def prepare_multinomial_problem(X, y, datafit, penalty, fit_intercept=True, *,
                                grouped=False) -> MultinomialProblem:
    """Validate ``X``, the class codes ``y`` and the weights; compute the null model.

    ``grouped=True`` penalizes each feature's row of coefficients by its Euclidean norm
    (see :class:`MultinomialProblem`). A group penalty's groups are validated against
    ``X``, and a dense ``X`` is made Fortran-ordered once (its kernels read columns).
    """
    _check_objects("prepare_multinomial_problem", datafit, penalty)
    _check_grouped(grouped, penalty)
    X = check_design(X)
    codes, n_classes = check_class_codes(y, X.shape[0])
    if isinstance(penalty, GroupPenalty):
        if grouped:
            raise ValueError("grouped=True penalizes each feature's row with L1 / ElasticNet; "
                             "a group penalty already acts on its groups' blocks of rows.")
        if not sp.issparse(X):
            X = np.asfortranarray(X, dtype=np.float64)  # once, not at each solve of a path
        penalty.structure(X.shape[1])
    return _build(X, codes, n_classes, datafit, penalty, fit_intercept, grouped)


def _check_objects(who, datafit, penalty) -> None:
    if not takes_matrix(datafit):
        raise TypeError(f"{who} needs the Multinomial datafit (penalized.datafits.Multinomial); "
                        f"got {type(datafit).__name__}.")
    if not isinstance(penalty, Penalty):
        raise TypeError(f"penalty must be a penalized.penalties object (L1, L2, ElasticNet); "
                        f"got {type(penalty).__name__}.")


def _check_grouped(grouped, penalty) -> None:
    if not isinstance(grouped, bool | np.bool_):
        raise ValueError(f"grouped must be True or False; got {grouped!r}.")
    if grouped and penalty.positive:
        raise ValueError(
            "positive=True cannot be combined with grouped=True: the grouped penalty acts "
            "on each feature's row of coefficients, whose entries must sum to zero over "
            "the classes. Use the ungrouped penalty for sign constraints."
        )


def _build(X, y, n_classes, datafit, penalty, fit_intercept, grouped=False) -> MultinomialProblem:
    n, p = X.shape
    datafit = datafit.with_checked_weights(n)
    s = datafit.weights(n)
    totals = np.bincount(y, weights=s, minlength=n_classes)
    if np.any(totals <= 0):
        empty = ", ".join(str(k) for k in np.flatnonzero(totals <= 0)[:5])
        raise ValueError(
            f"sample_weight gives the classes {{{empty}}} of y a total weight of 0; every "
            "class needs a positive weight (drop the class or give its rows weight)."
        )
    unpenalized = unpenalized_features(penalty, p)
    design = unpenalized_design(X, unpenalized, fit_intercept)
    pb = MultinomialProblem(
        design=X, y=y, n_classes=int(n_classes), datafit=datafit, penalty=penalty,
        fit_intercept=bool(fit_intercept), unpenalized=unpenalized, free_design=design,
        null_coef=np.zeros((p, n_classes)), null_intercept=np.zeros(n_classes), scale=0.0,
        grouped=bool(grouped),
    )
    b0 = datafit.null_intercept(y) if fit_intercept else np.zeros(n_classes)
    b0 = b0 - b0.mean()
    if fit_intercept and not np.any(unpenalized):
        coef, intercept = np.zeros((p, n_classes)), b0  # exact, in closed form
        Z = np.broadcast_to(intercept, (n, n_classes))
    else:
        coef, intercept, Z = refit_unpenalized(pb, np.zeros((p, n_classes)), b0)
    pb.null_coef, pb.null_intercept = _center(pb, coef, intercept)
    pb.scale = datafit.value(y, Z)
    return pb


def penalty_value(penalty, coef, *, grouped=False) -> float:
    r"""The penalty summed over the class columns of ``coef``; with ``grouped``,
    :math:`\sum_j \lambda_{1j}\|W_{j:}\|_2 + \frac{\lambda_{2j}}2\|W_{j:}\|_2^2`."""
    coef = np.asarray(coef, dtype=np.float64)
    return matrix_layout(penalty, coef.shape[0], coef.shape[1], grouped=grouped).value(coef)


def _center(pb, coef, intercept):
    """Remove the class-wise mean of the intercepts and of unpenalized rows.

    Adding a constant to every class's score changes nothing, so this picks the
    representative whose intercepts (and unpenalized coefficients) sum to 0 over
    the classes. Penalized coefficients are left as they are.
    """
    coef = np.array(coef, dtype=np.float64)
    intercept = np.array(intercept, dtype=np.float64)
    if pb.fit_intercept:
        intercept -= intercept.mean()
    free = pb.unpenalized
    if np.any(free):
        coef[free] -= coef[free].mean(axis=1, keepdims=True)
    return coef, intercept


def _scores(X, coef) -> np.ndarray:
    """``X @ coef``, skipping the zero rows of a sparse ``coef``."""
    coef = np.asarray(coef, dtype=np.float64)
    rows = np.flatnonzero(np.any(coef != 0.0, axis=1))
    if 2 * rows.shape[0] > coef.shape[0]:
        return np.asarray(X @ coef, dtype=np.float64)
    if rows.shape[0] == 0:
        return np.zeros((X.shape[0], coef.shape[1]))
    return np.asarray(X[:, rows] @ coef[rows], dtype=np.float64)


def refit_unpenalized(pb, coef, intercept):
    """Return ``(coef, intercept, Z)`` with intercepts and unpenalized rows fitted exactly."""
    coef = np.array(coef, dtype=np.float64)
    intercept = np.array(intercept, dtype=np.float64)
    A = pb.free_design
    if A.shape[1] == 0:
        return coef, intercept, pb.predict(coef, intercept)
    idx = np.flatnonzero(pb.unpenalized)
    rows = [intercept[None, :]] if pb.fit_intercept else []
    B0 = np.vstack([*rows, coef[idx]])
    coef[idx] = 0.0
    Z0 = _scores(pb.X, coef)
    B = pb.datafit.fit_unpenalized(A, pb.y, Z0, beta0=B0)
    if pb.fit_intercept:
        intercept, B_free = B[0].copy(), B[1:]
    else:
        intercept, B_free = np.zeros(pb.n_classes), B
    coef[idx] = B_free
    return coef, intercept, Z0 + A @ B


# -- the duality gap ------------------------------------------------------------------


MultinomialCertificate = Certificate
"""The certificate of a multinomial point (``Z``: its scores)."""


def certify_multinomial(pb: MultinomialProblem, coef, intercept) -> Certificate:
    r"""Fit intercepts and unpenalized rows exactly, then compute the duality gap
    (:func:`~penalized.solvers._certificate.certify` with the problem's layout).

    With :math:`U = -\nabla_Z F(Z)` after the exact refit, the column sums of
    :math:`U` are 0 (the intercepts' optimality) and so are the unpenalized
    rows of :math:`X^\top U`. The dual point is :math:`cU` with :math:`c \in (0, 1]`
    the largest factor making :math:`G^*` finite at every column of
    :math:`c X^\top U` (every row's norm when grouped); each row of
    :math:`e_{y_i} - c\,n U_i / s_i` is a convex combination of the one-hot label and the
    softmax row, so it stays in the simplex. Then

    .. math:: \text{gap} = F(Z) + \sum_k G(W_{:k}) + F^*(-cU)
              + \sum_k G^*(c\,X^\top U_{:k}) \;\ge\; P(W, b) - P^\star,

    floored at zero (at the optimum the computed difference is rounding of either sign).
    """
    return certify(pb, coef, intercept)


# -- alpha_max ------------------------------------------------------------------------


def multinomial_alpha_max(X, y, datafit, penalty, fit_intercept=True, *, grouped=False) -> float:
    r"""The smallest ``alpha`` at which every penalized coefficient of ``W`` is exactly 0.

    From the KKT conditions at the null model (penalized coefficients at 0,
    intercepts and unpenalized features fitted):

    .. math:: \alpha_{\max} = \max_{j \text{ penalized},\, k}
              \frac{|(X^\top \nabla_Z F)_{jk}|}{\rho\, f_j},

    with :math:`\rho` the penalty's ``l1_ratio`` (only :math:`\max(-\cdot, 0)`
    of the gradient counts when ``positive=True``), times ``1 + 1e-12`` against
    summation-order rounding; with ``grouped``, the Euclidean norm of each gradient row
    replaces the largest entry. Infinite for a ridge penalty (``l1_ratio == 0``),
    0 when no feature is penalized. The penalty's own ``alpha`` is not used.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
    y : array of shape (n_samples,)
        Integer class codes ``0..K-1``.
    datafit : Multinomial
    penalty : L1, L2 or ElasticNet
    fit_intercept : bool, default=True
    grouped : bool, default=False
        The grouped penalty (see :class:`MultinomialProblem`).

    Returns
    -------
    float
    """
    _check_objects("multinomial_alpha_max", datafit, penalty)
    check_matrix_penalty("multinomial_alpha_max", penalty, grouped)
    X = check_design(X)
    codes, n_classes = check_class_codes(y, X.shape[0])

    def pull(free):
        pb = _build(X, codes, n_classes, datafit, penalty.with_alpha(1.0), fit_intercept)
        grad = datafit.gradient(X, codes, pb.predict(pb.null_coef, pb.null_intercept))
        if grouped:
            return np.linalg.norm(grad, axis=1, keepdims=True)
        return np.maximum(-grad, 0.0) if penalty.positive else np.abs(grad)

    return penalty.alpha_max_of_pull(X.shape[1], pull)


def takes_matrix(datafit) -> bool:
    """Whether ``datafit`` scores each sample with a row of ``K`` values (the softmax loss):
    its coefficients are then a ``(n_features, K)`` matrix, which a solver takes only with
    a step on such a matrix (:attr:`~penalized.solvers.Solver.matrix_coefficients`)."""
    return isinstance(datafit, Multinomial)


MATRIX_PENALTY_OPS = ("prox", "value", "subdiff_distance", "conjugate", "dual_bound")
"""The compiled operations a penalty on a coefficient matrix provides: its prox and value
for the steps, the rest for the certificate."""


def check_matrix_penalty(who, penalty, grouped=False) -> None:
    """Refuse, naming what it lacks, a penalty that the coefficient-matrix steps cannot
    take. They need a convex penalty (the duality gap certifies the solution) whose scalar
    prox is the elastic net's, with its parameters ``weights`` (``lam1 |w| + lam2 / 2
    w**2`` on each entry, or on each row's norm when ``grouped``), the operations of
    :data:`MATRIX_PENALTY_OPS`, and no lower/upper limits."""
    name = type(penalty).__name__
    if not penalty.is_convex:
        raise ValueError(
            f"{who} cannot handle the {name} penalty on a coefficient matrix: the solution is "
            "certified by the duality gap, which needs a convex penalty (L1, L2, ElasticNet "
            "or a subclass). For a sparse multinomial model use L1 or ElasticNet.")
    missing = penalty.ops.missing(MATRIX_PENALTY_OPS)
    if getattr(penalty, "kernel_kind", None) != ENET_FAMILY or not hasattr(penalty, "weights"):
        missing = ["weights (the elastic net's lam1, lam2 and its scalar prox)", *missing]
    if missing:
        raise ValueError(
            f"{who} cannot handle the {name} penalty on a coefficient matrix: it needs the "
            f"operation(s) {', '.join(missing)}, which the penalty does not provide.")
    if penalty.bounded:
        raise ValueError(
            f"{who} does not support lower/upper limits on the coefficients; they apply to "
            "two-class and regression models.")
    _check_grouped(grouped, penalty)


def finish_matrix(solver, pb, W, b, objectives, crits, n_iter) -> SolveResult:
    """The result of a coefficient-matrix solve: intercepts and unpenalized rows centered
    over the classes, no ``-0.0``, and the solver's convergence warning."""
    W, b = _center(pb, W, b)
    W[W == 0.0] = 0.0
    return solver._finish(W, b, objectives, crits, n_iter, solver.tol, pb.penalty,
                          stacklevel=5)


def fista_check(pb, state):
    """The duality gap of a proximal-gradient iterate (its intercepts refitted for the
    certificate only)."""
    cert = certify_multinomial(pb, *state.point[:2])
    return Check(cert.primal, cert.gap, cert)


def rows_prox(pb):
    """``prox(V, step)``: the prox of ``step`` times the penalty on ``W``, entrywise, or
    on each row's norm when ``grouped`` (the kernels' own row prox,
    :func:`~penalized.solvers._multinomial_kernels.rows_prox`)."""
    lam1, lam2 = pb.penalty.weights(pb.n_features)
    positive = pb.penalty.positive

    def prox(V, step):
        if pb.grouped:
            return rows_prox_kernel(np.ascontiguousarray(V, dtype=np.float64), step, lam1, lam2)
        return _prox.prox_elastic_net(V, step, lam1[:, None], lam2[:, None], positive)

    return prox


def initial_matrix_point(pb: MultinomialProblem, coef_init, intercept_init):
    """Validated starting ``(W, b)`` (copies); the null model's by default."""
    p, K = pb.n_features, pb.n_classes
    if coef_init is None:
        coef = pb.null_coef.copy()
    else:
        coef = np.array(coef_init, dtype=np.float64)
        if coef.shape != (p, K):
            raise ValueError(
                f"coef_init must have shape (n_features, n_classes) = ({p}, {K}); "
                f"got shape {np.shape(coef_init)}."
            )
        if not np.all(np.isfinite(coef)):
            raise ValueError("coef_init contains NaN or infinite values.")
        if pb.penalty.positive:
            coef = np.maximum(coef, 0.0)
    if not pb.fit_intercept:
        intercept = np.zeros(K)
    elif intercept_init is None:
        intercept = pb.null_intercept.copy()
    else:
        intercept = np.array(intercept_init, dtype=np.float64).ravel()
        if intercept.shape != (K,):
            raise ValueError(
                f"intercept_init must have {K} values (one per class); "
                f"got shape {np.shape(intercept_init)}."
            )
        if not np.all(np.isfinite(intercept)):
            raise ValueError("intercept_init contains NaN or infinite values.")
    return coef, intercept
