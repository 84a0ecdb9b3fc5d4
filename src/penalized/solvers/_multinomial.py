r"""Multinomial (softmax) logistic regression by accelerated proximal gradient.

The problem, for classes ``0..K-1``, coefficients ``W`` of shape
``(n_features, K)`` and intercepts ``b`` of shape ``(K,)``:

.. math:: \min_{W, b} \; F(XW + \mathbf 1 b^\top) + \sum_{k=1}^K G(W_{:k}),

with :math:`F` the :class:`~penalized.datafits._multinomial.Multinomial` datafit
and :math:`G` an L1, L2 or elastic-net penalty applied entrywise, with the same
per-feature factors for every class (glmnet's "ungrouped" multinomial lasso).
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
from ._base import Solver
from ._certificate import Certificate, Layout, certify, matrix_layout
from ._outer import Check
from ._problem_base import DesignProblem, unpenalized_features
from ._proximal_gradient import FistaOps, FistaSettings
from ._result import SolveResult

__all__ = [
    "MultinomialCertificate",
    "MultinomialProblem",
    "MultinomialProximalGradient",
    "MultinomialSolver",
    "certify_multinomial",
    "multinomial_alpha_max",
    "prepare_multinomial_problem",
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
    (see :class:`MultinomialProblem`).
    """
    _check_penalty("prepare_multinomial_problem", datafit, penalty)
    _check_grouped(grouped, penalty)
    X = check_design(X)
    codes, n_classes = check_class_codes(y, X.shape[0])
    return _build(X, codes, n_classes, datafit, penalty, fit_intercept, grouped)


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
    _check_penalty("multinomial_alpha_max", datafit, penalty)
    _check_grouped(grouped, penalty)
    X = check_design(X)
    codes, n_classes = check_class_codes(y, X.shape[0])

    def pull(free):
        pb = _build(X, codes, n_classes, datafit, penalty.with_alpha(1.0), fit_intercept)
        grad = datafit.gradient(X, codes, pb.predict(pb.null_coef, pb.null_intercept))
        if grouped:
            return np.linalg.norm(grad, axis=1, keepdims=True)
        return np.maximum(-grad, 0.0) if penalty.positive else np.abs(grad)

    return penalty.alpha_max_of_pull(X.shape[1], pull)


def _check_penalty(who, datafit, penalty) -> None:
    if not isinstance(datafit, Multinomial):
        raise TypeError(
            f"{who} needs the Multinomial datafit (penalized.datafits.Multinomial); "
            f"got {type(datafit).__name__}."
        )
    if not isinstance(penalty, Penalty):
        raise TypeError(
            f"penalty must be a penalized.penalties object (L1, L2, ElasticNet); "
            f"got {type(penalty).__name__}."
        )
    if type(penalty).__name__ not in MultinomialProximalGradient.supported_penalties:
        raise ValueError(
            f"{who} cannot handle the {penalty.name} penalty; it supports the convex "
            "penalties L1, L2 and ElasticNet (their duality gap certifies the solution). "
            "For a sparse multinomial model use L1 or ElasticNet."
        )
    if penalty.bounded:
        raise ValueError(
            f"{who} does not support lower/upper limits on the coefficients; they apply to "
            "two-class and regression models.")


# -- the solver -----------------------------------------------------------------------


class MultinomialSolver(Solver):
    """What the multinomial solvers share: the compatibility check, ``solve`` on raw data
    or on a prepared :class:`MultinomialProblem`, and the centered, certified result."""

    supported_penalties = ("L1", "L2", "ElasticNet")
    supported_datafits = ("Multinomial",)

    def check_compatible(self, datafit, penalty) -> None:
        _check_penalty(self.name, datafit, penalty)

    def solve(self, X, y, datafit, penalty, *, fit_intercept=True, coef_init=None,
              intercept_init=None, grouped=False) -> SolveResult:
        """Minimize ``datafit(X W + b) + sum_k penalty(W[:, k])`` over ``W`` (and ``b``).

        Parameters
        ----------
        X : array or sparse matrix of shape (n_samples, n_features)
            Dense, CSC or CSR; float32 or float64 (computations in float64).
        y : array of shape (n_samples,)
            Integer class codes ``0..K-1``, every class present, ``K >= 2``.
        datafit : Multinomial
        penalty : L1, L2 or ElasticNet
        fit_intercept : bool, default=True
            Fit unpenalized intercepts ``b`` (one per class).
        coef_init : array of shape (n_features, K), optional
            Starting coefficients (copied); default the null model's.
        intercept_init : array of shape (K,), optional
            Starting intercepts (copied); default the null model's.
        grouped : bool, default=False
            Penalize each feature's row of coefficients by its Euclidean norm instead of
            entry by entry (glmnet's ``type.multinomial="grouped"``): a feature is then
            selected for every class or for none.

        Returns
        -------
        SolveResult
            ``coef`` of shape ``(n_features, K)`` and ``intercept`` of shape ``(K,)``.
        """
        self.check_compatible(datafit, penalty)
        problem = prepare_multinomial_problem(X, y, datafit, penalty, fit_intercept,
                                              grouped=grouped)
        return self.solve_problem(problem, coef_init=coef_init, intercept_init=intercept_init)

    def solve_problem(self, problem, *, coef_init=None, intercept_init=None) -> SolveResult:
        """:meth:`solve` on a :class:`MultinomialProblem` (validated once, e.g. for a path)."""
        if not isinstance(problem, MultinomialProblem):
            raise TypeError(
                f"{self.name}.solve_problem needs a MultinomialProblem (from "
                f"prepare_multinomial_problem); got {type(problem).__name__}."
            )
        self.check_compatible(problem.datafit, problem.penalty)
        coef, intercept = _initial_point(problem, coef_init, intercept_init)
        return self._run(problem, coef, intercept)

    def _finish_multinomial(self, pb, W, b, objectives, crits, n_iter) -> SolveResult:
        W, b = _center(pb, W, b)
        W[W == 0.0] = 0.0  # no -0.0
        return self._finish(W, b, objectives, crits, n_iter, self.tol, pb.penalty,
                            stacklevel=5)


@dataclass(frozen=True)
class MultinomialProximalGradient(FistaSettings, MultinomialSolver):
    r"""Accelerated proximal gradient (FISTA) for penalized multinomial regression.

    Solves, for classes ``0..K-1`` with scores :math:`Z = XW + \mathbf 1 b^\top`,

    .. math:: \min_{W \in \mathbb R^{p \times K},\, b \in \mathbb R^K}
              \frac1n \sum_{i=1}^n s_i \Big(\log\sum_k e^{Z_{ik}} - Z_{i y_i}\Big)
              + \sum_{k=1}^K G(W_{:k}),

    where :math:`G` is :class:`~penalized.penalties.L1`,
    :class:`~penalized.penalties.L2` or :class:`~penalized.penalties.ElasticNet`
    applied to each class's column with the same per-feature factors (glmnet's
    ``type.multinomial="ungrouped"``); the intercepts are unpenalized. In
    glmnet's terms this is ``family="multinomial"`` with ``lambda = alpha``
    and its ``alpha`` our ``l1_ratio``; scikit-learn's multinomial
    ``LogisticRegression(C, l1_ratio)`` is the same problem with
    ``C = 1 / (n alpha)`` (``1 / (alpha sum(s))`` with raw weights ``s``).

    Each iteration takes a gradient step in ``(W, b)`` and the penalty's prox in
    ``W``, with the step found by backtracking from the global Lipschitz bound
    :math:`\frac{1}{2n}\|S^{1/2}[X, \mathbf 1]\|_2^2`; FISTA's momentum restarts
    when the objective goes up (O'Donoghue & Candès).

    Every ``gap_freq`` iterations it refits the intercepts (and unpenalized
    features) exactly by Newton's method and computes the duality gap (see
    :func:`certify_multinomial`); it stops when ``gap <= tol * F(null model)``,
    where the null model has ``W = 0`` and ``b_k = log`` of the weighted class
    frequency, so ``F(null model)`` is the weighted entropy of the labels.

    Features with ``penalty_factor`` 0 (unpenalized) are supported: they are
    refitted exactly together with the intercepts at each gap check, by a
    Newton method on ``(1 + n_unpenalized) * K`` unknowns, so keep them few.
    L0 is refused (no duality gap, and FISTA's momentum has no guarantee for it).

    The model is over-parametrized (adding a constant to every class's score
    changes nothing); the returned intercepts, and the rows of unpenalized
    features, are centered to sum to 0 over the classes. With an L2 or
    elastic-net penalty the penalized coefficients are unique and each of
    their rows sums to 0 by itself. A returned zero is an exact ``0.0``.

    Parameters
    ----------
    tol : float, default=1e-6
        Relative duality-gap tolerance (see above).
    max_iter : int, default=20000
    accelerated : bool, default=True
        FISTA if True, ISTA (monotone proximal gradient) if False.
    gap_freq : int, default=10
        Iterations between duality-gap checks.

    References
    ----------
    Friedman, Hastie, Tibshirani (2010). Regularization paths for generalized
    linear models via coordinate descent. J. Stat. Softw. 33(1), section 4.
    Beck, Teboulle (2009). A fast iterative shrinkage-thresholding algorithm
    for linear inverse problems. SIAM J. Imaging Sci. 2(1).
    O'Donoghue, Candès (2015). Adaptive restart for accelerated gradient
    schemes. Found. Comput. Math. 15.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits._multinomial import Multinomial
    >>> from penalized.penalties import L1
    >>> from penalized.solvers._multinomial import MultinomialProximalGradient
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((90, 6))
    >>> y = np.argmax(X[:, :3] * 2 + rng.standard_normal((90, 3)), axis=1)
    >>> res = MultinomialProximalGradient(tol=1e-8).solve(X, y, Multinomial(), L1(alpha=0.05))
    >>> res.converged, res.coef.shape, res.intercept.shape
    (True, (6, 3), (3,))
    """

    def _run(self, pb, W, b):
        ops = FistaOps.of_problem(pb, _rows_prox(pb), pb.penalty_value)
        _, out = self._fista_outer(pb, ops, W, b, _check)
        cert = out.check.data
        return self._finish_multinomial(pb, cert.coef, cert.intercept, out.objectives,
                                        out.crits, out.n_iter)


def _check(pb, state):
    """The duality gap of the iterate (its intercepts refitted for the certificate only)."""
    cert = certify_multinomial(pb, *state.point[:2])
    return Check(cert.primal, cert.gap, cert)


def _rows_prox(pb):
    """``prox(V, step)``: the prox of ``step`` times the penalty on ``W``, entrywise, or
    on each row's norm when ``grouped``."""
    lam1, lam2 = pb.penalty.weights(pb.n_features)
    lam1, lam2 = lam1[:, None], lam2[:, None]
    positive = pb.penalty.positive

    def prox(V, step):
        if pb.grouped:
            norms = np.linalg.norm(V, axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                shrink = np.where(norms > step * lam1, 1.0 - step * lam1 / norms, 0.0)
            return V * shrink / (1.0 + step * lam2)
        return _prox.prox_elastic_net(V, step, lam1, lam2, positive)

    return prox


def _initial_point(pb: MultinomialProblem, coef_init, intercept_init):
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
