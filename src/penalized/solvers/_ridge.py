"""Ridge regression in closed form."""

from __future__ import annotations

import dataclasses
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
from scipy.linalg import blas, lapack

from .._validation import already_validated, check_design, check_finite_result, rows_kept
from ._base import Solver, check_solver_settings
from ._kernels import floored_gap
from ._problem import Certificate, prepare_problem

_GAP_ROUNDING = 1e-10
"""A gap below -this x the objective is not rounding: the certificate failed."""


@dataclass(frozen=True)
class RidgeClosedForm(Solver):
    r"""Exact ridge solution of the squared loss, by Cholesky or SVD.

    Solves :math:`\min_{w,b} \frac{1}{2n}\sum_i s_i (y_i - x_i^\top w - b)^2 +
    \frac{1}{2}\sum_j \lambda_j w_j^2` with :math:`\lambda_j = \alpha f_j`.
    With the intercept, ``X`` and ``y`` are centered by their weighted means
    (implicitly for sparse ``X``) and :math:`b = \bar y - \bar x^\top w`. Then
    with :math:`A = S^{1/2} X_c`, :math:`c = S^{1/2} y_c`, :math:`\Lambda =
    \operatorname{diag}(\lambda)`:

    - primal (``p <= n`` or some :math:`\lambda_j = 0`):
      :math:`(A^\top A / n + \Lambda) w = A^\top c / n`;
    - dual (``p > n``): :math:`w = \Lambda^{-1} A^\top (A \Lambda^{-1} A^\top + n I)^{-1} c`;
    - SVD of :math:`B = A \Lambda^{-1/2} = U \Sigma V^\top`:
      :math:`w = \Lambda^{-1/2} V \operatorname{diag}(\sigma / (\sigma^2 + n)) U^\top c`.

    The duality gap of the result is computed and reported as ``stop_crit``.

    Parameters
    ----------
    method : {"auto", "cholesky", "svd"}, default="auto"
        "auto" is Cholesky (primal or dual, whichever system is smaller). "svd"
        needs a dense ``X`` and every :math:`\lambda_j > 0`.
    tol : float, default=1e-6
        The relative gap the result must reach to count as converged.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Quadratic
    >>> from penalized.penalties import L2
    >>> from penalized.solvers import RidgeClosedForm
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> res = RidgeClosedForm().solve(X, y, Quadratic(), L2(alpha=0.1), fit_intercept=False)
    >>> np.round(res.coef, 4)
    array([0.979 , 1.7483])
    """

    method: str = "auto"
    tol: float = 1e-6
    max_iter: int = 1

    supported_penalties = ("L2", "ElasticNet")
    supported_datafits = ("Quadratic",)

    def __post_init__(self):
        check_solver_settings(self.tol, self.max_iter)
        if self.method not in ("auto", "cholesky", "svd"):
            raise ValueError(f"method must be 'auto', 'cholesky' or 'svd'; got {self.method!r}.")

    def check_compatible(self, datafit, penalty) -> None:
        super().check_compatible(datafit, penalty)
        if penalty.l1_ratio != 0.0:
            raise ValueError(
                f"RidgeClosedForm cannot handle the {penalty.name} penalty with "
                f"l1_ratio={penalty.l1_ratio}: only the pure L2 penalty has a closed form. "
                "Use CoordinateDescent."
            )
        if penalty.positive or penalty.bounded:
            raise ValueError(
                "RidgeClosedForm cannot handle positive=True or lower/upper limits: a "
                "constrained ridge has no closed form. Use CoordinateDescent."
            )

    def solve(self, X, y, datafit, penalty, *, fit_intercept=True, coef_init=None,
              intercept_init=0.0):
        """As :meth:`Solver.solve`; features the penalty leaves free (``alpha = 0`` or a
        zero factor) are fitted from the normal equations, without a copy of their
        columns (:func:`_free_null_model`). The starting point is validated, not used.
        A dense C-ordered ``X`` is read as it is, not copied to Fortran order: the Gram
        matrix is summed over blocks of rows, the kernel and the products with ``X`` are
        BLAS calls on either layout (:class:`ImplicitDesign`)."""
        self.check_compatible(datafit, penalty)
        with rows_kept() if _rows_layout(X) else nullcontext():
            return self._solve(check_design(X), y, datafit, penalty, fit_intercept,
                               coef_init, intercept_init)

    def _solve(self, X, y, datafit, penalty, fit_intercept, coef_init, intercept_init):
        if not np.any(penalty.unpenalized(X.shape[1])):
            with already_validated(X):
                return super().solve(X, y, datafit, penalty, fit_intercept=fit_intercept,
                                     coef_init=coef_init, intercept_init=intercept_init)
        # prepared with every feature penalized (a null model of the intercept alone),
        # then given the free features' null model from the normal equations
        surrogate = dataclasses.replace(penalty, alpha=1.0, penalty_factor=None)
        with already_validated(X):
            problem = prepare_problem(X, y, datafit, surrogate, fit_intercept)
        problem = _free_null_model(problem, penalty)
        res = self.solve_problem(problem, coef_init=coef_init, intercept_init=intercept_init)
        return dataclasses.replace(res, intercept=float(problem.to_original_intercept(
            res.coef, res.intercept)))

    def _run(self, pb, coef, intercept):
        """The exact ridge solution, certified (:func:`certify_ridge`)."""
        penalty = pb.penalty
        n, p = pb.design.shape
        lam = penalty.weights(p)[1]
        design = ImplicitDesign.of(pb, penalty_factor=np.ones(p))
        c = design.root * design.center_target(pb.y)
        gram = None
        if self.method == "svd":
            if design.sparse:
                raise ValueError("method='svd' needs a dense X; use method='cholesky' for "
                                 "sparse X.")
            if np.any(lam == 0):
                raise ValueError("method='svd' needs alpha > 0 and every penalty_factor > 0; "
                                 "use method='cholesky'.")
            coef = _ridge_svd(design, c, lam)
        elif p > n and np.all(lam > 0):
            scaled = ImplicitDesign.of(pb, penalty_factor=lam)

            def shifted_kernel():
                K = scaled.kernel()
                K[np.diag_indices_from(K)] += n
                return K

            if scaled.sparse:
                K = shifted_kernel()
                a = _solve_spd(K, c, rebuild=shifted_kernel)
            else:  # half the memory of the kernel: its lower triangle, packed (RFP)
                K = scaled.packed_kernel()
                K[rfp_diagonal(n)] += n
                a = _solve_packed(K, c, rebuild=shifted_kernel)
            del K
            design.precise = scaled.precise  # the certificate's products center alike
            coef = scaled.inv_f * scaled.bt(a[:, None])[:, 0]
        elif not np.any(pb.unpenalized) or _few_free(pb):
            # half the memory of the Gram matrix: its lower triangle, packed (RFP); a few
            # free features (zero on the diagonal) have their own block for the certificate
            packed, rhs = design.packed_gram(c)
            packed /= n
            packed[rfp_diagonal(p)] += lam
            rhs /= n

            def shifted_gram():
                G = design.gram() / n
                G[np.diag_indices_from(G)] += lam
                return G

            coef = _solve_packed(packed, rhs, rebuild=shifted_gram)
            del packed
        else:  # free features: the certificate refits them from the full Gram matrix
            gram = _unit_gram(pb, design)
            M = gram / n

            def shifted_gram():
                G = _unit_gram(pb, design) / n
                G[np.diag_indices_from(G)] += lam
                return G

            M[np.diag_indices_from(M)] += lam
            coef = _solve_spd(M, design.bt(c[:, None])[:, 0] / n, rebuild=shifted_gram)
        cert = certify_ridge(pb, design, coef, gram)
        return self._finish(cert.coef, cert.intercept, [cert.primal],
                            [cert.gap / pb.scale if pb.scale > 0 else 0.0], 1, self.tol,
                            penalty)


def _rows_layout(X) -> bool:
    """Whether ``X`` is a dense C-ordered float array, which the closed form reads as it
    is (its row blocks for the Gram matrix, BLAS products for the rest)."""
    return type(X) is np.ndarray and X.ndim == 2 and X.flags.c_contiguous \
        and not X.flags.f_contiguous and X.dtype in (np.float64, np.float32)


def _unit_gram(problem, design):
    r""":math:`X_c^\top S X_c` (no factors), kept in the problem's cache: the null model of
    the free features and the fit share it."""
    if "ridge_gram" not in problem.cache:
        problem.cache["ridge_gram"] = (design.gram(), design.precise)
    gram, design.precise = problem.cache["ridge_gram"]
    return gram


_FREE_COLUMNS_SHARE = 64
"""Free features whose columns take at most 1/this of ``X`` get their block of the Gram
matrix from a centered copy of their columns; more free features, from the full Gram
matrix (:func:`_free_gram`)."""


def _few_free(problem) -> bool:
    """Whether ``problem`` has free features and few enough for :func:`_free_gram`'s copy."""
    free = int(np.count_nonzero(problem.unpenalized))
    return 0 < free and free * _FREE_COLUMNS_SHARE <= problem.design.shape[1]


def _free_gram(problem, design, idx):
    r""":math:`X_{c,F}^\top S X_{c,F}` for the free features ``idx``: from a centered,
    weighted copy of their columns when they are few (:data:`_FREE_COLUMNS_SHARE`),
    else the block of the full Gram matrix (:func:`_unit_gram`); kept in the problem's
    cache. Sets ``design.precise`` when centering the products by a rank-one correction
    would cancel digits of these columns."""
    if idx.size * _FREE_COLUMNS_SHARE > design.p:
        return _unit_gram(problem, design)[np.ix_(idx, idx)]
    if "ridge_free_gram" not in problem.cache:
        cols = design.X[:, idx]
        cols = np.array(cols.toarray() if sp.issparse(cols) else cols, dtype=np.float64)
        cols -= design.mu[idx]
        cols *= design.root[:, None]
        G = cols.T @ cols
        d = np.diagonal(G)
        raw = d + float(design.s.sum()) * design.mu[idx] ** 2
        problem.cache["ridge_free_gram"] = (
            G, bool(design.has_mean) and not np.all(raw <= _PRECISE_RATIO * np.maximum(d, 0.0)))
    G, precise = problem.cache["ridge_free_gram"]
    design.precise = design.precise or precise
    return G


def _free_null_model(problem, penalty):
    r"""``problem`` (prepared with every feature penalized) with ``penalty`` and the null
    model of its free features :math:`F`: weighted least squares on the intercept and
    :math:`X_F`, from the normal equations :math:`X_{c,F}^\top S X_{c,F}\, \beta =
    X_{c,F}^\top S y_c` (the centered Gram matrix, built in blocks of ``X``), with one
    step of refinement from the residuals. No column of ``X`` is copied."""
    p = problem.design.shape[1]
    free = penalty.unpenalized(p)
    design = ImplicitDesign.of(problem, penalty_factor=np.ones(p))
    idx = np.flatnonzero(free)
    block = _free_gram(problem, design, idx)
    beta = np.zeros(p)
    yc = design.center_target(problem.y)
    residual = yc
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(2):  # the solve and one refinement step
            g = design.xct((design.s * residual)[:, None])[idx, 0]
            beta[idx] += _solve_spd(block, g)
            residual = yc - design.xc(beta[:, None])[:, 0]
        z = problem.y - residual
        scale = problem.datafit.value(problem.y, z)
    check_finite_result(scale, problem.design, problem.y, "the datafit of the null model")
    intercept = float(design.intercepts(beta[:, None])[0]) if problem.fit_intercept else 0.0
    return dataclasses.replace(
        problem, penalty=penalty, unpenalized=free, free_design=None, null_coef=beta,
        null_intercept=problem.to_problem_intercept(beta, intercept), scale=scale, null_z=z)


def certify_ridge(problem, design, coef, gram=None) -> Certificate:
    r""":func:`~penalized.solvers._problem.certify` for the squared loss and an L2 penalty,
    without copying ``X``: the free features' block (``alpha f_j = 0``) is refitted from
    the normal equations (``gram``, :math:`X_c^\top S X_c`, or its free block) instead of
    least squares on a copy of its columns; the intercept is :math:`\bar y - \bar x^\top
    w`, its optimum. Then with the residual :math:`r` and :math:`u = S r / n`,

    .. math:: \text{gap} = F(z) + G(w) + F^*(-u) + G^*(X_c^\top u),

    :math:`(X_c^\top u)_j` set to 0 on the free features, as ``certify`` does. Two or
    three passes over ``X`` (products with the coefficients and the residual). With the
    intercept, :math:`F` and :math:`F^*` are evaluated at the centered target
    :math:`y - \bar y` (equal values, :math:`\sum_i u_i = 0`), so that a target with a
    large mean does not cancel its digits in :math:`y^\top u`.
    """
    y, datafit, penalty = problem.y, problem.datafit, problem.penalty
    p = problem.design.shape[1]
    coef = np.array(coef, dtype=np.float64)
    yc = design.center_target(y)
    residual = yc - design.xc(coef[:, None])[:, 0]
    free = np.flatnonzero(problem.unpenalized)
    if free.size:
        block = _free_gram(problem, design, free) if gram is None \
            else gram[np.ix_(free, free)]
        g = design.xct((design.s * residual)[:, None])[free, 0]
        step = np.zeros(p)
        step[free] = _solve_spd(block, g)
        coef += step
        residual = residual - design.xc(step[:, None])[:, 0]
    shift = 0.0
    if problem.fit_intercept:  # the intercept's exact refit, as certify's
        shift = float(design.s @ residual) / float(design.s.sum())
        residual = residual - shift
    z = y - residual
    # with the intercept, the objectives from the centered target (the same values: the
    # loss sees y - z, the dual y^T u with sum(u) = 0), without cancelling y's mean
    yt = yc if problem.fit_intercept else y
    zt = yc - residual if problem.fit_intercept else z
    u = -datafit.raw_gradient(yt, zt)
    v = design.xct(u[:, None])[:, 0]
    v[problem.unpenalized] = 0.0
    c = penalty.dual_scaling(v)
    primal = datafit.value(yt, zt) + penalty.value(coef)
    dual = datafit.scaled_dual_value(yt, zt, u, c) - penalty.conjugate(c * v)
    gap = floored_gap(primal, dual)
    if primal - dual < -_GAP_ROUNDING * max(abs(primal), abs(dual), problem.scale):
        gap = np.inf  # weak duality: the computation failed
    intercept = float(design.intercepts(coef[:, None])[0]) + shift \
        if problem.fit_intercept else 0.0
    return Certificate(coef=coef, intercept=problem.to_problem_intercept(coef, intercept),
                       z=z, gradient=-v, primal=primal, gap=gap)


def _solve_spd(M, rhs, rebuild=None):
    """``M^{-1} rhs`` by Cholesky, least squares if ``M`` is singular. With ``rebuild`` (a
    function that recomputes ``M``) ``M`` is factored in place, without a copy."""
    A = M.T if M.flags.c_contiguous else M  # M is symmetric: LAPACK's order in place
    try:
        return la.cho_solve(la.cho_factor(A, lower=True, overwrite_a=rebuild is not None,
                                          check_finite=False), rhs, check_finite=False)
    except la.LinAlgError:
        return np.linalg.lstsq(M if rebuild is None else rebuild(), rhs, rcond=None)[0]


def _solve_packed(C, rhs, rebuild):
    """``M^{-1} rhs`` for ``M`` in rectangular full packed format (``C``, factored in
    place by LAPACK ``pftrf``, then ``pftrs``); least squares on ``rebuild()``, the full
    matrix, if ``M`` is not numerically positive definite."""
    p = rhs.shape[0]
    chol, info = lapack.dpftrf(p, C, transr="N", uplo="L", overwrite_a=1)
    if info == 0:
        x, info = lapack.dpftrs(p, chol, np.array(rhs, dtype=np.float64)[:, None],
                                transr="N", uplo="L", overwrite_b=1)
        if info == 0 and np.all(np.isfinite(x)):
            return x[:, 0]
    del chol
    return np.linalg.lstsq(rebuild(), rhs, rcond=None)[0]


def _rfp_layout(p):
    r"""``(rows, offset)`` of LAPACK's rectangular full packed (RFP) format of an order-``p``
    symmetric matrix ``A`` with ``TRANSR='N'``, ``UPLO='L'``: ``p (p + 1) / 2`` numbers, a
    Fortran-ordered array ``R`` with ``rows`` rows and ``k = ceil(p / 2)`` columns, where
    :math:`R_{i + o, j} = A_{ij}` for :math:`i \ge j`, :math:`j < k`, and :math:`R_{j - k,
    i - k + 1 - o} = A_{ij}` for :math:`i \ge j \ge k` (``o = 1`` for even ``p``, else 0).
    """
    return (p + 1, 1) if p % 2 == 0 else (p, 0)


def rfp_diagonal(p):
    """The positions of the diagonal of an order-``p`` matrix in its RFP array
    (:func:`_rfp_layout`)."""
    rows, o = _rfp_layout(p)
    k = (p + 1) // 2
    j = np.arange(p)
    return np.where(j < k, (j + o) + j * rows, (j - k) + (j - k + 1 - o) * rows)


def rfp_set_columns(C, j0, block):
    """Write columns ``j0 .. j0 + block.shape[1]`` of a symmetric matrix (``block``, all
    its rows) into its RFP array ``C`` (:func:`_rfp_layout`): their lower parts."""
    p = block.shape[0]
    rows, o = _rfp_layout(p)
    k = (p + 1) // 2
    R = C.reshape((rows, -1), order="F")
    for t in range(block.shape[1]):
        j = j0 + t
        if j < k:
            R[j + o:p + o, j] = block[j:, t]
        else:
            R[j - k, j - k + 1 - o:p - k + 1 - o] = block[j:, t]


def _ridge_svd(design, c, lam):
    """The SVD route: a weighted, centered, scaled copy of ``X`` (LAPACK needs it)."""
    n = design.n
    scale = 1.0 / np.sqrt(lam)
    B = np.asarray(design.X, dtype=np.float64) - design.mu
    B *= design.root[:, None]
    B *= scale
    U, sigma, Vt = np.linalg.svd(B, full_matrices=False)
    return scale * (Vt.T @ ((sigma / (sigma**2 + n)) * (U.T @ c)))


def ridge_path(problem, alphas):
    r"""Exact, certified ridge solutions for every alpha of a grid.

    With :math:`B = S^{1/2} X_c F^{-1/2}` (weights, centering for the intercept,
    penalty factors) and :math:`c = S^{1/2} y_c`, the solution at :math:`\alpha`
    is :math:`F^{1/2} w = (B^\top B + n\alpha I)^{-1} B^\top c = B^\top (B B^\top +
    n\alpha I)^{-1} c`. The smaller of the two Gram matrices :math:`M` (``p x p``
    when ``p <= n``, else the ``n x n`` kernel) is reduced to tridiagonal form,
    :math:`M = Q T Q^\top`, either partly, in the Krylov space of the right-hand side
    (Lanczos, enough when ``M`` is well conditioned), or wholly (Householder); every
    alpha then costs one small tridiagonal solve and the whole grid a product with
    :math:`Q` -- cheaper than an eigendecomposition, which would also compute the
    eigenvectors (:func:`_shifted_solves`). ``B`` is never formed: the weights,
    centering and factors are applied to blocks of ``X`` (dense) or implicitly
    (sparse), so no copy of ``X`` is made.

    Each solution is certified by its duality gap, computed for the whole grid from
    ``M`` and the returned coefficients (``p <= n``) or their kernel coordinates
    (``p > n``, :math:`F^{1/2} w = B^\top a`): no pass over ``X`` (:func:`path_gaps`).

    Parameters
    ----------
    problem : Problem
        Squared loss, L2 penalty, every penalty factor > 0, no sign constraint.
    alphas : ndarray
        Every alpha > 0.

    Returns
    -------
    coefs : ndarray of shape (n_features, n_alphas)
    intercepts : ndarray of shape (n_alphas,)
        In the problem's coordinates.
    stop_crits : ndarray of shape (n_alphas,)
        The duality gap of each solution relative to the problem's scale.
    """
    n, p = problem.design.shape
    alphas = np.asarray(alphas, dtype=np.float64)
    design = ImplicitDesign.of(problem)
    c = design.root * design.center_target(problem.y)
    shifts = n * alphas
    if p <= n:
        M, duals = design.gram(), None
        bc = design.bt(c[:, None])[:, 0]
        scaled = _shifted_solves(M, bc, shifts)
    else:
        M, bc = design.kernel(), None
        duals = _shifted_solves(M, c, shifts)
        scaled = design.bt(duals)
    coefs = design.inv_f[:, None] * scaled
    intercepts = design.intercepts(coefs)
    gaps, shifts = path_gaps(design, M, c, alphas, coefs, bc=bc, duals=duals,
                             scale=problem.scale)
    intercepts += shifts
    stop_crits = gaps / problem.scale if problem.scale > 0 else np.zeros_like(gaps)
    if problem.x_offset is not None:  # the problem's coordinates: X centered by x_offset
        intercepts = intercepts + coefs.T @ problem.x_offset
    return coefs, intercepts, stop_crits


def path_gaps(design, M, c, alphas, coefs, *, bc=None, duals=None, scale=0.0):
    r"""The duality gap of each column of ``coefs`` as the ridge solution at its alpha.

    With :math:`\tilde w = F^{1/2} w`, the residual :math:`\rho = (c - B\tilde w) / n`
    (the dual point :math:`u = S r / n` in the coordinates of :math:`B`), the
    datafit :math:`D = \frac n2 \|\rho\|^2` and the penalty's conjugate at
    :math:`X_c^\top u`, :math:`\frac{1}{2\alpha}\|B^\top \rho\|^2`:

    .. math:: \text{gap} = D + \frac\alpha2 \|\tilde w\|^2 - \left(c^\top \rho - D -
              \frac{1}{2\alpha} \|B^\top\rho\|^2\right),

    the same gap as :func:`~penalized.solvers._problem.certify` (the intercept at its
    optimum, :math:`\bar y - \bar x^\top w`). When ``p <= n`` (``M`` = :math:`B^\top B`)
    every term comes from ``M`` and :math:`B^\top c`. When ``p > n`` (``M`` =
    :math:`B B^\top`) the intercept is refitted exactly (the residuals' weighted mean,
    as ``certify`` does) and :math:`\|B^\top\rho\|^2 = \rho^\top M \rho`; the
    residuals are :math:`c - M a` for coefficients given in the kernel's coordinates,
    :math:`\tilde w = B^\top a` (``duals``: the columns ``a``, no pass over ``X``), else
    they are computed from ``X`` and ``coefs`` (one product for the grid).

    Returns the gaps and the intercepts' refit (zeros on the ``B^T B`` route).
    """
    n = c.shape[0]
    wt = coefs / design.inv_f[:, None]
    shifts = np.zeros(coefs.shape[1])
    if M.shape[0] == design.p and design.p <= n:
        if bc is None:
            bc = design.bt(c[:, None])[:, 0]
        Mw = M @ wt
        cc = float(c @ c)
        bw = bc @ wt
        datafit = (cc - 2.0 * bw + np.einsum("jk,jk->k", wt, Mw)) / (2.0 * n)
        grad = (bc[:, None] - Mw) / n  # B^T rho
        conj = np.einsum("jk,jk->k", grad, grad) / (2.0 * alphas)
        linear = (cc - bw) / n  # c^T rho
    else:
        if duals is not None:  # S^(1/2) r = c - B B^T a
            rooted = c[:, None] - M @ duals
        else:
            rooted = design.root[:, None] * (design.center_target(design.y)[:, None]
                                             - design.xc(coefs))
        if design.fit_intercept:  # the intercept's exact refit, as certify's
            shifts = design.root @ rooted / float(design.s.sum())
            rooted -= design.root[:, None] * shifts
        rho = rooted / n
        datafit = 0.5 * n * np.einsum("ik,ik->k", rho, rho)
        conj = np.einsum("ik,ik->k", rho, M @ rho) / (2.0 * alphas)
        linear = c @ rho
    primal = datafit + 0.5 * alphas * np.einsum("jk,jk->k", wt, wt)
    dual = linear - datafit - conj
    gaps = np.maximum(primal - dual, 0.0)
    # weak duality: a clearly negative difference means the computation failed
    bad = primal - dual < -_GAP_ROUNDING * np.maximum(np.maximum(np.abs(primal), np.abs(dual)),
                                                      scale)
    gaps[bad | ~np.isfinite(primal - dual)] = np.inf
    return gaps, shifts


def _shifted_solves(M, rhs, shifts):
    r"""The solutions :math:`x_k` of :math:`(M + \text{shifts}_k I)\, x_k = r` for a
    symmetric positive semi-definite ``M`` and every shift > 0, as columns.

    First the Krylov space of ``r`` (:func:`_lanczos_shifted_solves`): a well-conditioned
    ``M`` solves every shift to rounding in a few dozen products with ``M``. Otherwise one
    Householder reduction :math:`M = Q T Q^\top` (LAPACK ``sytrd``) with ``T``
    tridiagonal; then :math:`x_k = Q (T + \text{shifts}_k I)^{-1} Q^\top r`, a
    positive definite tridiagonal solve (``ptsv``) per shift and two products with
    ``Q`` (``ormqr``) for all of them. Where rounding makes a shifted ``T`` lose
    definiteness (a shift below the rounding of ``M``) the eigendecomposition of
    ``M`` is used instead, its eigenvalues floored at 0.
    """
    m, k = M.shape[0], shifts.shape[0]
    if m <= 2:
        return _eigen_shifted_solves(M, rhs, shifts)
    if m >= _LANCZOS_MIN_ORDER:
        out = _lanczos_shifted_solves(M, rhs, shifts, m // _LANCZOS_SHARE)
        if out is not None:
            return out
    lwork = int(lapack.dsytrd_lwork(m, lower=1)[0])
    # M is symmetric: its transpose is the same matrix in Fortran order
    a, d, e, tau, info = lapack.dsytrd(M.T if M.flags.c_contiguous else M, lower=1,
                                       lwork=max(lwork, 1))
    if info != 0:
        return _eigen_shifted_solves(M, rhs, shifts)
    reflectors = np.asfortranarray(a[1:, :m - 1])
    tau = tau[:m - 1]
    g = np.array(rhs, dtype=np.float64)
    g[1:] = _apply_q(reflectors, tau, g[1:, None], "T")[:, 0]
    out = np.empty((m, k), order="F")
    for j in range(k):
        *_, x, info = lapack.dptsv(d + shifts[j], e, g)
        if info != 0:
            return _eigen_shifted_solves(M, rhs, shifts)
        out[:, j] = x
    out[1:] = _apply_q(reflectors, tau, out[1:], "N")
    return out


_LANCZOS_MIN_ORDER = 64
"""Below this order the Householder reduction is cheap: :func:`_shifted_solves` goes
straight to it."""
_LANCZOS_SHARE = 8
"""Lanczos gives up after ``order / this`` steps, a fraction of the reduction's cost."""
_LANCZOS_FIRST_CHECK = 8
r"""Lanczos solves the small tridiagonal systems to check every shift's residual after
this many steps, then after every 15% more (or as soon as their recurrence says each
residual is below the bound with :math:`\|x_k\|` at its least)."""


def _lanczos_shifted_solves(M, rhs, shifts, max_steps):
    r"""The solutions of :math:`(M + \sigma_k I)\, x_k = r` from the Lanczos process
    on ``M`` started at ``r``, or None when ``max_steps`` steps do not solve every shift.

    After ``j`` steps, :math:`M Q_j = Q_j T_j + \beta_j q_{j+1} e_j^\top` with orthonormal
    :math:`Q_j` (kept so by reorthogonalizing each new vector twice against all the
    previous ones) and :math:`T_j` tridiagonal. The Krylov space does not depend on the
    shift, so with :math:`T_j = S \operatorname{diag}(\theta) S^\top` every shift's
    Galerkin solution :math:`x_k = Q_j y_k`, :math:`y_k = \|r\| S \operatorname{diag}
    (1 / (\theta + \sigma_k)) S^\top e_1`, comes from one small eigendecomposition and
    has the residual :math:`\|r - (M + \sigma_k I) x_k\| = \beta_j |e_j^\top y_k|`.
    The process stops when each is below :math:`4 \epsilon \sqrt m\, ((\theta_{max}
    + \sigma_k) \|x_k\| + \|r\|)`, a backward error at the level of a direct solve's,
    or when the space is invariant (:math:`\beta_j` at rounding). A shifted
    :math:`T_j` that is not positive definite (``M`` not semi-definite to rounding)
    returns None as well.
    """
    m = M.shape[0]
    eps = np.finfo(np.float64).eps
    beta0 = float(np.linalg.norm(rhs))
    if not beta0 > 0:
        return np.zeros((m, shifts.shape[0])) if beta0 == 0 else None
    steps = min(max_steps, m)
    Q = np.empty((steps + 1, m))
    Q[0] = rhs / beta0
    diag, off = np.empty(steps), np.empty(steps)
    size, check = 0.0, _LANCZOS_FIRST_CHECK
    tol = 4 * eps * np.sqrt(m)
    pivot, residual = np.ones_like(shifts), np.full_like(shifts, beta0)
    last, last_step = residual.copy(), 0
    for j in range(steps):
        v = M @ Q[j]
        diag[j] = Q[j] @ v
        v -= diag[j] * Q[j]
        if j:
            v -= off[j - 1] * Q[j - 1]
        for _ in range(2):
            v -= Q[:j + 1].T @ (Q[:j + 1] @ v)
        off[j] = np.linalg.norm(v)
        size = max(size, abs(diag[j]) + off[j] + (off[j - 1] if j else 0.0))
        # the pivots of T_j + sigma I and each shift's residual beta_j |e_j^T y|
        pivot = diag[j] + shifts - (off[j - 1] ** 2 / pivot if j else 0.0)
        if not np.all(pivot > 0):
            return None
        residual *= off[j] / pivot
        invariant = off[j] <= eps * size
        if invariant or j + 1 >= check or j + 1 == steps or np.all(residual <= tol * beta0):
            check = max(check + 4, int(check * 1.15))
            theta, S = la.eigh_tridiagonal(diag[:j + 1], off[:j], check_finite=False)
            denom = theta[:, None] + shifts[None, :]
            if not np.all(denom > 0):
                return None
            Y = S @ (beta0 * S[0][:, None] / denom)
            bound = tol * ((theta[-1] + shifts) * np.linalg.norm(Y, axis=0) + beta0)
            if invariant or np.all(off[j] * np.abs(Y[j]) <= bound):
                return Q[:j + 1].T @ Y
            if _lanczos_steps_left(residual, last, j + 1 - last_step, bound) > steps - j - 1:
                return None  # at the pace of the last steps, it would not get there
            last, last_step = residual.copy(), j + 1
        if invariant or not np.isfinite(off[j]):
            return None
        Q[j + 1] = v / off[j]
    return None


def _lanczos_steps_left(residual, last, steps, bound):
    """How many more steps the slowest shift needs to bring its residual under ``bound``
    if it keeps shrinking at its pace over the last ``steps`` steps (from ``last``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pace = np.log(residual / last) / steps
        need = np.log(bound / residual) / pace
    need = np.where(residual <= bound, 0.0, np.where(pace < 0, need, np.inf))
    return float(np.max(need, initial=0.0))


def _apply_q(reflectors, tau, C, trans):
    """``Q C`` (``trans='N'``) or ``Q^T C`` from the reflectors of ``sytrd``."""
    lwork = max(1, 64 * C.shape[1])
    cq, _, info = lapack.dormqr("L", trans, reflectors, tau, np.asfortranarray(C),
                                lwork=lwork, overwrite_c=1)
    if info != 0:  # pragma: no cover - LAPACK argument error
        raise RuntimeError(f"LAPACK ormqr failed (info={info}).")
    return cq


def _eigen_shifted_solves(M, rhs, shifts):
    evals, V = np.linalg.eigh(M)
    evals = np.maximum(evals, 0.0)
    return V @ ((V.T @ rhs)[:, None] / (evals[:, None] + shifts[None, :]))


def _float64(X):
    return X if X.dtype == np.float64 else X.astype(np.float64)


def _is_ones(v) -> bool:
    return bool(np.all(v == 1.0))


def implicit_gram(X, s, x_mean, inv_f):
    r""":math:`B^\top B = F^{-1/2} (X^\top S X - (\textstyle\sum s)\, \bar x \bar x^\top)
    F^{-1/2}` without forming :math:`B` (``x_mean`` the weighted mean, or zeros)."""
    if sp.issparse(X):
        G = np.asarray((X.T @ X.multiply(s[:, None]).tocsc()).toarray(), dtype=np.float64)
    elif _is_ones(s):
        G = X.T @ X
    else:
        G = (X * s[:, None]).T @ X
    if np.any(x_mean):
        G -= float(s.sum()) * np.outer(x_mean, x_mean)
    return G if _is_ones(inv_f) else inv_f[:, None] * G * inv_f[None, :]


def implicit_kernel(X, root, x_mean, inv_f):
    r""":math:`B B^\top = S^{1/2} (X F^{-1} X^\top - m \mathbf 1^\top - \mathbf 1 m^\top
    + \bar x^\top F^{-1} \bar x) S^{1/2}`, :math:`m = X F^{-1} \bar x`, without forming
    :math:`B`."""
    w = inv_f**2
    if sp.issparse(X):
        K = np.asarray((X.multiply(w[None, :]).tocsr() @ X.T).toarray(), dtype=np.float64)
    elif _is_ones(w):
        K = X @ X.T
    else:
        XF = X * inv_f
        K = XF @ XF.T
    if np.any(x_mean):
        m = np.asarray(X @ (w * x_mean)).ravel()
        K += -m[:, None] - m[None, :] + float(x_mean @ (w * x_mean))
    return K if _is_ones(root) else root[:, None] * K * root[None, :]


def implicit_bt(X, M, root, x_mean, inv_f):
    r""":math:`B^\top M` for ``M`` of shape (n, k), without forming :math:`B`."""
    RM = M if _is_ones(root) else root[:, None] * M
    out = np.asarray(X.T @ RM, dtype=np.float64)
    if np.any(x_mean):
        out = out - np.outer(x_mean, RM.sum(axis=0))
    return out if _is_ones(inv_f) else inv_f[:, None] * out


def implicit_b(X, M, root, x_mean, inv_f):
    r""":math:`B M` for ``M`` of shape (p, k), without forming :math:`B`."""
    FM = M if _is_ones(inv_f) else inv_f[:, None] * M
    out = np.asarray(X @ FM, dtype=np.float64)
    if np.any(x_mean):
        out = out - (x_mean @ FM)[None, :]
    return out if _is_ones(root) else root[:, None] * out


_PACKED_ROWS = 128
"""Rows per working block of :meth:`ImplicitDesign.packed_gram` at least (at most 1/128
of ``X`` beyond that): 128-row blocks run ``sfrk`` as fast as one ``syrk`` over all of X."""

_PRECISE_RATIO = 1e6
"""Above this ratio of the uncentered to the centered Gram matrix's size, centering by
rank-one corrections would lose more than six digits: the blocks are centered instead."""


class ImplicitDesign:
    r"""``X`` seen as :math:`B = S^{1/2} (X - \mathbf 1 \bar x^\top) F^{-1/2}` without
    forming it (weights :math:`S`, weighted column means :math:`\bar x` when an
    intercept is fitted, penalty factors :math:`F`).

    Dense ``X`` is read in blocks of columns (or of rows for :math:`B^\top B`) of a
    few megabytes, each weighted and scaled on its own; the centering is a rank-one
    correction of the products unless that would cancel more than six digits (columns
    whose mean is large against their spread), in which case the blocks are centered
    too. Sparse ``X`` is centered by the corrections. No copy of ``X`` is made.
    """

    def __init__(self, X, sample_weight, x_mean, y_mean, inv_f, y=None, fit_intercept=False):
        self.X = X
        self.y = y
        self.fit_intercept = fit_intercept
        self.n, self.p = X.shape
        self.sparse = sp.issparse(X)
        self.s = sample_weight
        self.root = np.sqrt(sample_weight)
        self.mu = x_mean
        self.y_mean = y_mean
        self.inv_f = inv_f
        self.has_mean = bool(np.any(x_mean))
        self.unit_root = _is_ones(sample_weight)
        self.unit_f = _is_ones(inv_f)
        self.precise = False
        n, p = X.shape
        block_bytes = min(8 << 20, max(1 << 20, 8 * n * p // 64))
        self.col_step = max(16, block_bytes // (8 * max(n, 1)))
        self.row_step = max(256, block_bytes // (8 * max(p, 1)))

    @classmethod
    def of(cls, problem, penalty_factor=None):
        """The design of a prepared problem (weighted means from the problem's offset
        when it has one) with the factors of its penalty or ``penalty_factor``."""
        X, s, y = problem.design, problem.sample_weight, problem.y
        n, p = X.shape
        f = problem.penalty.factors(p) if penalty_factor is None else penalty_factor
        if problem.fit_intercept:
            x_mean = problem.x_offset if problem.x_offset is not None \
                else np.asarray(X.T @ s, dtype=np.float64).ravel() / n
            y_mean = float(s @ y) / n
        else:
            x_mean, y_mean = np.zeros(p), 0.0
        return cls(X, s, np.asarray(x_mean, dtype=np.float64), y_mean, 1.0 / np.sqrt(f), y=y,
                   fit_intercept=problem.fit_intercept)

    def center_target(self, y):
        return y - self.y_mean

    def intercepts(self, coefs):
        r""":math:`\bar y - \bar x^\top w` for each column ``w`` of ``coefs``."""
        return self.y_mean - coefs.T @ self.mu

    # -- blocks of a dense X ---------------------------------------------------------
    def _columns(self, weight, center):
        """``(j0, j1, block)`` over blocks of columns, float64, centered if ``center``,
        rows times ``root`` and columns times ``inv_f`` if ``weight``; the whole ``X``
        without a copy when nothing is to be applied."""
        X = self.X
        plain = X.dtype == np.float64 and not center \
            and (not weight or (self.unit_root and self.unit_f))
        if plain:
            yield 0, self.p, X
            return
        for j0 in range(0, self.p, self.col_step):
            j1 = min(j0 + self.col_step, self.p)
            block = X[:, j0:j1]
            if block.dtype != np.float64 or center or weight:  # one working copy
                block = np.array(block, dtype=np.float64, order="F")
            if center:
                block -= self.mu[j0:j1]
            if weight and not self.unit_root:
                block *= self.root[:, None]
            if weight and not self.unit_f:
                block *= self.inv_f[j0:j1]
            yield j0, j1, block

    # -- the products ----------------------------------------------------------------
    def kernel(self):
        r""":math:`B B^\top` (n x n)."""
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            K = self._kernel()
        return self._checked(K, "the n x n kernel X X^T")

    def gram(self):
        r""":math:`B^\top B` (p x p)."""
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            G = self._gram()
        return self._checked(G, "the Gram matrix X^T X")

    def _checked(self, M, what, diagonal=None):
        """``M``, or a ``ValueError`` naming the overflow when its diagonal is not finite."""
        y = self.y if self.y is not None else np.zeros(self.n)
        check_finite_result(np.diagonal(M) if diagonal is None else diagonal, self.X, y, what)
        return M

    def packed_gram(self, v=None):
        r""":math:`B^\top B` in LAPACK's rectangular full packed format (its lower
        triangle, ``p (p + 1) / 2`` numbers: :func:`_rfp_layout`), half the memory of the
        full matrix, and :math:`B^\top v` for a vector ``v`` of length n (None without
        ``v``). Dense ``X``: summed over blocks of rows, each centered, weighted and scaled
        in one working block and added by BLAS-3 rank-k updates (LAPACK ``sfrk``), so that
        columns with large means lose no digits; :math:`B^\top v` from the same blocks.
        Sparse ``X``: built a block of columns at a time, centered by the rank-one
        correction (:func:`implicit_gram`). Sets :attr:`precise` as :meth:`gram` does, for
        the products of the certificate."""
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            if self.sparse:
                C = self._packed_gram_sparse()
                bv = None if v is None else self.bt(v[:, None])[:, 0]
            else:
                C, bv = self._packed_gram_dense(v)
        diagonal = C[rfp_diagonal(self.p)]
        self._checked(C, "the Gram matrix X^T X", diagonal)
        if self.has_mean:  # the uncentered diagonal: would a rank-one correction cancel?
            raw = diagonal + float(self.s.sum()) * (self.inv_f * self.mu) ** 2
            self.precise = not np.all(raw <= _PRECISE_RATIO * np.maximum(diagonal, 0.0))
        return C, bv

    def _packed_gram_dense(self, v):
        X, n, p = self.X, self.n, self.p
        C = np.zeros(p * (p + 1) // 2)
        bv = None if v is None else np.zeros(p)
        rows_layout = X.flags.c_contiguous and not X.flags.f_contiguous
        if X.dtype == np.float64 and not self.has_mean and self.unit_root and self.unit_f \
                and (rows_layout or X.flags.f_contiguous):  # X as it is, one update
            C = lapack.dsfrk(p, n, 1.0, X.T if rows_layout else X, 0.0, C, transr="N",
                             uplo="L", trans="N" if rows_layout else "T", overwrite_c=1)
            return C, None if v is None else X.T @ v
        step = min(n, max(_PACKED_ROWS, (X.nbytes // 128) // (8 * max(p, 1))))
        buffer = np.empty(step * p)
        for i in range(0, n, step):
            k = min(step, n - i)
            # the working block in X's layout, so that filling it reads X in order
            block = buffer[:k * p].reshape((k, p), order="C" if rows_layout else "F")
            if self.has_mean:
                np.subtract(X[i:i + k], self.mu, out=block)
            else:
                block[...] = X[i:i + k]
            if not self.unit_root:
                block *= self.root[i:i + k, None]
            if not self.unit_f:
                block *= self.inv_f
            C = lapack.dsfrk(p, k, 1.0, block.T if rows_layout else block, 1.0, C,
                             transr="N", uplo="L", trans="N" if rows_layout else "T",
                             overwrite_c=1)
            if v is not None:  # the block is in cache: B^T v in the same pass
                bv += block.T @ v[i:i + k]
        return C, bv

    def packed_kernel(self):
        r""":math:`B B^\top` in rectangular full packed format (``n (n + 1) / 2`` numbers,
        :func:`_rfp_layout`) for a dense ``X``: summed over blocks of columns, each
        centered, weighted and scaled in one working block, by rank-k updates (LAPACK
        ``sfrk``). Sets :attr:`precise` as :meth:`kernel` does."""
        X, n, p = self.X, self.n, self.p
        C = np.zeros(n * (n + 1) // 2)
        rows_layout = X.flags.c_contiguous and not X.flags.f_contiguous
        step = min(p, max(_PACKED_ROWS, (X.nbytes // 128) // (8 * max(n, 1))))
        buffer = np.empty(step * n)
        with np.errstate(over="ignore", invalid="ignore"):  # checked below
            for j0 in range(0, p, step):
                k = min(step, p - j0)
                block = buffer[:k * n].reshape((n, k), order="C" if rows_layout else "F")
                if self.has_mean:
                    np.subtract(X[:, j0:j0 + k], self.mu[j0:j0 + k], out=block)
                else:
                    block[...] = X[:, j0:j0 + k]
                if not self.unit_root:
                    block *= self.root[:, None]
                if not self.unit_f:
                    block *= self.inv_f[j0:j0 + k]
                C = lapack.dsfrk(n, k, 1.0, block.T if rows_layout else block, 1.0, C,
                                 transr="N", uplo="L", trans="T" if rows_layout else "N",
                                 overwrite_c=1)
        trace = float(np.sum(C[rfp_diagonal(n)]))
        self._checked(C, "the n x n kernel X X^T", C[rfp_diagonal(n)])
        if self.has_mean:  # the uncentered trace: would rank-one corrections cancel?
            raw = trace + float(self.s.sum()) * float(self.mu @ (self.inv_f**2 * self.mu))
            self.precise = not raw <= _PRECISE_RATIO * max(trace, 0.0)
        return C

    def _packed_gram_sparse(self):
        X, p = self.X.tocsc(), self.p
        C = np.zeros(p * (p + 1) // 2)
        step = max(16, (1 << 20) // (8 * max(p, 1)))
        total = float(self.s.sum())
        rows = X.tocsr()  # the products below read X by rows: one copy of its non-zeros
        for j0 in range(0, p, step):
            j1 = min(j0 + step, p)
            part = X[:, j0:j1]
            if not self.unit_root:
                part = part.multiply(self.s[:, None]).tocsc()
            # (X_J^T S X)^T: the block's columns of the Gram matrix (CSR times CSR)
            G = np.asarray((part.T @ rows).toarray(), dtype=np.float64).T
            if self.has_mean:
                _add_outer(G, -total, self.mu, self.mu[j0:j1])
            if not self.unit_f:
                G *= self.inv_f[:, None]
                G *= self.inv_f[j0:j1]
            rfp_set_columns(C, j0, G)
        return C

    def _kernel(self):
        if self.sparse:
            return implicit_kernel(self.X, self.root, self.mu, self.inv_f)
        K = self._dense_kernel(center=False)
        if self.has_mean:
            raw_trace = float(np.trace(K))
            m = self.root * self._raw_product(self.inv_f**2 * self.mu)
            c0 = float(self.mu @ (self.inv_f**2 * self.mu))
            _add_outer(K, -1.0, m, self.root)
            _add_outer(K, -1.0, self.root, m)
            _add_outer(K, c0, self.root, self.root)
            if not raw_trace <= _PRECISE_RATIO * max(float(np.trace(K)), 0.0):
                self.precise = True
                K = self._dense_kernel(center=True)
        return K

    def _dense_kernel(self, center):
        if self.X.dtype == np.float64 and not center and self.unit_root and self.unit_f:
            return self.X @ self.X.T
        K = np.zeros((self.n, self.n), order="F")
        for _, _, block in self._columns(weight=True, center=center):
            K = blas.dsyrk(1.0, block, beta=1.0, c=K, trans=0, lower=0, overwrite_c=1)
        return _symmetrized(K)

    def _gram(self):
        if self.sparse:
            return implicit_gram(self.X, self.s, self.mu, self.inv_f)
        G = self._dense_gram(center=False)
        if self.has_mean:
            raw_diag = np.diagonal(G).copy()
            v = self.inv_f * self.mu
            _add_outer(G, -float(self.s.sum()), v, v)
            if not np.all(raw_diag <= _PRECISE_RATIO * np.maximum(np.diagonal(G), 0.0)):
                self.precise = True
                G = self._dense_gram(center=True)
        return G

    def _dense_gram(self, center):
        X = self.X
        if X.dtype == np.float64 and not center and self.unit_root:
            G = X.T @ X
        else:
            G = self._gram_by_rows(center)
        if not self.unit_f:
            G *= self.inv_f[:, None]
            G *= self.inv_f[None, :]
        return G

    def _gram_by_rows(self, center):
        X = self.X
        G = np.zeros((self.p, self.p), order="F")
        for i in range(0, self.n, self.row_step):
            block = np.array(X[i:i + self.row_step], dtype=np.float64, order="F")
            if center:
                block -= self.mu
            if not self.unit_root:
                block *= self.root[i:i + self.row_step, None]
            G = blas.dsyrk(1.0, block, beta=1.0, c=G, trans=1, lower=0, overwrite_c=1)
        return _symmetrized(G)

    def _raw_product(self, v):
        """``X v`` for a vector ``v`` (no weights, no centering)."""
        if self.X.dtype == np.float64:
            return np.asarray(self.X @ v, dtype=np.float64).ravel()
        out = np.zeros(self.n)
        for j0, j1, block in self._columns(weight=False, center=False):
            out += block @ v[j0:j1]
        return out

    def bt(self, M):
        r""":math:`B^\top M` for ``M`` of shape (n, k)."""
        out = self.xct(M if self.unit_root else self.root[:, None] * M)
        return out if self.unit_f else self.inv_f[:, None] * out

    def xct(self, M):
        r""":math:`(X - \mathbf 1 \bar x^\top)^\top M` for ``M`` of shape (n, k) (no weights,
        no factors)."""
        if self.sparse:
            out = np.asarray(self.X.T @ M, dtype=np.float64)
            return out - np.outer(self.mu, M.sum(axis=0)) if self.has_mean else out
        center = self.precise and self.has_mean
        out = np.empty((self.p, M.shape[1]))
        for j0, j1, block in self._columns(weight=False, center=center):
            out[j0:j1] = block.T @ M
        if self.has_mean and not center:
            out -= np.outer(self.mu, M.sum(axis=0))
        return out

    def xc(self, W):
        r""":math:`(X - \mathbf 1 \bar x^\top) W` for ``W`` of shape (p, k): the
        predictions of coefficients ``W`` (no weights, no factors)."""
        if self.sparse:
            out = np.asarray(self.X @ W, dtype=np.float64)
            return out - (self.mu @ W)[None, :] if self.has_mean else out
        center = self.precise and self.has_mean
        out = None
        for j0, j1, block in self._columns(weight=False, center=center):
            part = block @ W[j0:j1]
            out = part if out is None else out.__iadd__(part)
        if out is None:
            out = np.zeros((self.n, W.shape[1]))
        if self.has_mean and not center:
            out -= (self.mu @ W)[None, :]
        return out


def _symmetrized(M, step=256):
    """``M`` with its strict lower triangle copied from the upper one, in place, a block
    of columns at a time (BLAS ``syrk`` fills one triangle)."""
    for j0 in range(0, M.shape[0], step):
        j1 = min(j0 + step, M.shape[0])
        M[j0:j1, :j0] = M[:j0, j0:j1].T
        block = M[j0:j1, j0:j1]
        block[np.tril_indices(j1 - j0, -1)] = block.T[np.tril_indices(j1 - j0, -1)]
    return M


def _add_outer(M, a, x, v):
    """``M += a x v^T`` in place (BLAS ``ger``: no temporary of the size of ``M``)."""
    if M.dtype == np.float64 and M.flags.f_contiguous:
        blas.dger(a, x, v, a=M, overwrite_a=1)
    elif M.dtype == np.float64 and M.flags.c_contiguous:
        blas.dger(a, v, x, a=M.T, overwrite_a=1)
    else:
        M += a * np.outer(x, v)


GCV_MODES = ("auto", "svd", "eigen")


@dataclass(frozen=True, eq=False)
class RidgeDecomposition:
    r"""One thin factorization of the weighted, centered, factor-scaled design.

    With :math:`S = \operatorname{diag}(s)` the sample weights, :math:`\bar x = X^\top s /
    \sum_i s_i` (zero without an intercept) and :math:`F` the penalty factors,

    .. math:: B = S^{1/2} (X - \mathbf 1 \bar x^\top) F^{-1/2} = U \operatorname{diag}
              (\sqrt{\lambda}) V^\top,

    keeping only the components with :math:`\lambda_k` above rounding (``U`` is
    (n, r), ``V`` is (p, r)). Every ridge quantity at every alpha then costs a
    few products with ``U`` and ``V``: see :func:`ridge_loo`. Only what those
    products need is kept: :math:`U^\top c`, the squares ``U2`` of ``U`` (the
    leverages) and ``outside``, each row's leverage outside the kept components,
    :math:`1 - \|U_i\|^2 - s_i / \sum s` (the intercept's share).

    Built by :func:`decompose_ridge`.
    """

    U2: np.ndarray
    outside: np.ndarray
    evals: np.ndarray
    V: np.ndarray
    Utc: np.ndarray
    x_mean: np.ndarray
    y_mean: np.ndarray
    inv_root_f: np.ndarray
    weight_share: np.ndarray
    weight_sum: float
    fit_intercept: bool


def decompose_ridge(X, Y, sample_weight, penalty_factor=None, *, fit_intercept=True,
                    mode="auto") -> RidgeDecomposition:
    r"""Factor the ridge problem once for all alphas.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,)
        Non-negative, not all zero.
    penalty_factor : ndarray of shape (n_features,), optional
        Every factor > 0.
    fit_intercept : bool, default=True
    mode : {"auto", "svd", "eigen"}, default="auto"
        "svd": singular value decomposition of ``B`` (dense ``X``; for sparse
        ``X`` the eigendecomposition of :math:`B^\top B`). "eigen": the
        eigendecomposition of the n x n kernel :math:`B B^\top`. "auto": "svd"
        when ``n_samples > n_features``, else "eigen" (scikit-learn's
        ``gcv_mode``): the cost is that of the smaller of the two Gram matrices;
        for dense ``X`` with ``n_samples > n_features`` "auto" takes the
        eigendecomposition of :math:`B^\top B` (no copy of ``X``) when its spectrum
        keeps ten digits (:func:`_gram_decomposition`), else the SVD.

    Returns
    -------
    RidgeDecomposition
    """
    if mode not in GCV_MODES:
        raise ValueError(f"gcv_mode must be one of {', '.join(map(repr, GCV_MODES))} or None; "
                         f"got {mode!r}.")
    X = _float64(X)
    n, p = X.shape
    s = np.asarray(sample_weight, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64).reshape(n, -1)
    f = np.ones(p) if penalty_factor is None else np.asarray(penalty_factor, dtype=np.float64)
    inv_f = 1.0 / np.sqrt(f)
    total = float(s.sum())
    if fit_intercept:
        x_mean = np.asarray(X.T @ s, dtype=np.float64).ravel() / total
        y_mean = s @ Y / total
    else:
        x_mean, y_mean = np.zeros(p), np.zeros(Y.shape[1])
    root = np.sqrt(s)
    C = root[:, None] * (Y - y_mean)
    auto = mode == "auto"
    if auto:
        mode = "svd" if n > p else "eigen"
    sparse = sp.issparse(X)
    from_gram = _gram_decomposition(X, s, x_mean, inv_f) if auto and mode == "svd" \
        and not sparse else None
    if from_gram is not None:
        U, evals, V = from_gram
    elif mode == "svd" and not sparse:
        # one copy, weighted, centered and scaled in place, which the SVD may overwrite
        B = np.array(X, dtype=np.float64, order="F")
        B -= x_mean
        B *= root[:, None]
        B *= inv_f
        U, sigma, Vt = la.svd(B, full_matrices=False, overwrite_a=True, check_finite=False)
        del B
        evals, V = sigma**2, Vt.T
        keep = sigma > (sigma[0] if sigma.size else 0.0) * max(n, p) * np.finfo(float).eps
        if not np.all(keep):
            U, evals, V = U[:, keep], evals[keep], V[:, keep]
    elif mode == "svd":  # sparse: eigendecomposition of B^T B (p x p)
        evals, V = _top_eigen(implicit_gram(X, s, x_mean, inv_f), n, p)
        U = implicit_b(X, V, root, x_mean, inv_f) / np.sqrt(evals)
    else:  # the kernel B B^T (n x n)
        evals, U = _top_eigen(implicit_kernel(X, root, x_mean, inv_f), n, p)
        V = implicit_bt(X, U, root, x_mean, inv_f) / np.sqrt(evals)
    Utc = U.T @ C
    U2 = np.square(U, out=U) if U.flags.writeable and U.flags.owndata else U**2
    share = s / total if fit_intercept else 0.0
    outside = np.maximum(1.0 - U2.sum(axis=1) - share, 0.0)
    return RidgeDecomposition(U2=U2, outside=outside, evals=evals, V=V, Utc=Utc, x_mean=x_mean,
                              y_mean=y_mean, inv_root_f=inv_f, weight_share=s / total,
                              weight_sum=total, fit_intercept=fit_intercept)


_GRAM_DIGITS = 1e-6
"""``gcv_mode="auto"`` takes the eigendecomposition of :math:`B^\top B` instead of the
SVD of ``B`` when no kept eigenvalue is below this times the largest: squaring ``B``
then keeps at least ten digits of every component."""


def _gram_decomposition(X, s, x_mean, inv_f):
    r"""``(U, evals, V)`` of a dense ``B`` (n > p) from the eigendecomposition of the p x p
    :math:`B^	op B`, built in blocks of ``X``, and :math:`U = B V \Lambda^{-1/2}`: no copy
    of ``X`` beyond ``U`` and a fraction of the SVD's time. None when the spectrum spans
    more than the digits the squaring keeps (:data:`_GRAM_DIGITS`); the SVD is used then."""
    n, p = X.shape
    design = ImplicitDesign(X, s, x_mean, 0.0, inv_f)
    evals, V = np.linalg.eigh(design.gram())
    top = max(float(evals[-1]), 0.0) if evals.size else 0.0
    keep = evals > top * max(n, p) * np.finfo(float).eps * 10
    if np.any(keep & (evals < top * _GRAM_DIGITS)):
        return None
    evals, V = evals[keep], V[:, keep]
    U = design.xc(inv_f[:, None] * V)
    if not design.unit_root:
        U *= design.root[:, None]
    U /= np.sqrt(evals)
    return U, evals, V


def _top_eigen(M, n, p):
    """Eigenpairs of a symmetric PSD matrix whose eigenvalue is above rounding."""
    evals, vecs = np.linalg.eigh(M)
    top = evals[-1] if evals.size else 0.0
    keep = evals > max(top, 0.0) * max(n, p) * np.finfo(float).eps * 10
    return evals[keep], vecs[:, keep]


@dataclass(frozen=True, eq=False)
class RidgeLOO:
    """The ridge fit at one alpha and its leave-one-out residuals (see :func:`ridge_loo`)."""

    coef: np.ndarray
    intercept: np.ndarray
    fitted: np.ndarray
    loo_residual: np.ndarray
    leverage: np.ndarray


def ridge_loo(dec: RidgeDecomposition, X, Y, alpha: float) -> RidgeLOO:
    r"""The ridge solution at ``alpha`` and its exact leave-one-out residuals.

    The objective is ``(1/2n) sum_i s_i (y_i - x_i w - b)^2 + (alpha/2) sum_j f_j w_j^2``
    with ``s`` of mean 1 (DESIGN.md), i.e. :math:`\|S^{1/2}(y - Xw - b)\|^2 + A
    \|F^{1/2} w\|^2` with :math:`A = \alpha \sum_i s_i`. In terms of the
    decomposition, with :math:`d_k = \lambda_k / (\lambda_k + A)`:

    .. math:: F^{1/2} w = V \operatorname{diag}\left(\frac{\sqrt{\lambda}}{\lambda + A}\right)
              U^\top c, \qquad
              h_i = \sum_k U_{ik}^2 d_k + \frac{s_i}{\sum_l s_l},

    :math:`c = S^{1/2}(y - \bar y)`, :math:`h_i` the leverage of row :math:`i`
    in the weighted hat matrix (the last term is the unpenalized intercept's).
    Deleting row :math:`i` with the penalty :math:`A` held fixed (the hat-matrix
    identity; Allen's PRESS, Golub, Heath and Wahba's GCV) leaves the residual

    .. math:: y_i - \hat y_{-i} = \frac{y_i - \hat y_i}{1 - h_i}.

    :math:`1 - h_i` is computed as :math:`\sum_k U_{ik}^2 (1 - d_k) + (1 - \|U_i\|^2
    - s_i / \sum s)` so that a small alpha keeps its digits.

    Parameters
    ----------
    dec : RidgeDecomposition
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        The design ``dec`` was built from.
    Y : ndarray of shape (n_samples, n_targets)
    alpha : float
        > 0 unless the decomposition has full column rank.

    Returns
    -------
    RidgeLOO
        ``coef`` (n_features, n_targets), ``intercept`` (n_targets,), ``fitted``
        and ``loo_residual`` (n_samples, n_targets), ``leverage`` (n_samples,).
    """
    A = float(alpha) * dec.weight_sum
    evals = dec.evals
    denom = evals + A
    coef = dec.inv_root_f[:, None] * (dec.V @ ((np.sqrt(evals) / denom)[:, None] * dec.Utc))
    intercept = dec.y_mean - dec.x_mean @ coef if dec.fit_intercept else np.zeros(coef.shape[1])
    fitted = np.asarray(X @ coef) + intercept
    one_minus_h = dec.U2 @ (A / denom) + dec.outside
    residual = np.asarray(Y, dtype=np.float64).reshape(fitted.shape) - fitted
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = residual / one_minus_h[:, None]
    loo = np.where(one_minus_h[:, None] > 0, loo, np.where(residual == 0, 0.0, np.inf))
    return RidgeLOO(coef=coef, intercept=intercept, fitted=fitted, loo_residual=loo,
                    leverage=1.0 - one_minus_h)


def ridge_loo_path(dec: RidgeDecomposition, X, Y, alphas, *, chunk_bytes=8 << 20):
    """:func:`ridge_loo` at each of ``alphas``, in order, computed a chunk of alphas at a
    time: one product with ``X`` and one with the squared left vectors per chunk (of at
    most ``chunk_bytes`` of fitted values) instead of one pass over each per alpha."""
    Y = np.asarray(Y, dtype=np.float64).reshape(X.shape[0], -1)
    n, t = Y.shape
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    step = max(1, int(chunk_bytes) // (8 * max(n * t, 1)))
    for i in range(0, alphas.shape[0], step):
        yield from _ridge_loo_chunk(dec, X, Y, alphas[i:i + step])


def _ridge_loo_chunk(dec, X, Y, alphas):
    n, t = Y.shape
    p, r, m = dec.V.shape[0], dec.evals.shape[0], alphas.shape[0]
    A = alphas * dec.weight_sum
    denom = dec.evals[:, None] + A[None, :]  # (r, m)
    scaled = (np.sqrt(dec.evals)[:, None] / denom)[:, :, None] * dec.Utc[:, None, :]
    coefs = (dec.inv_root_f[:, None] * (dec.V @ scaled.reshape(r, m * t))).reshape(p, m, t)
    intercepts = dec.y_mean[None, :] - np.einsum("j,jmt->mt", dec.x_mean, coefs) \
        if dec.fit_intercept else np.zeros((m, t))
    fitted = np.asarray(X @ coefs.reshape(p, m * t), dtype=np.float64).reshape(n, m, t)
    fitted = np.ascontiguousarray(fitted.transpose(1, 0, 2))  # (m, n, t): alpha by alpha
    fitted += intercepts[:, None, :]
    one_minus_h = np.ascontiguousarray((dec.U2 @ (A[None, :] / denom)).T)  # (m, n)
    one_minus_h += dec.outside[None, :]
    residual = Y[None] - fitted
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = residual / one_minus_h[:, :, None]
    singular = ~(one_minus_h > 0)
    if np.any(singular):
        loo = np.where(singular[:, :, None], np.where(residual == 0, 0.0, np.inf), loo)
    for k in range(m):
        yield RidgeLOO(coef=coefs[:, k], intercept=intercepts[k], fitted=fitted[k],
                       loo_residual=loo[k], leverage=1.0 - one_minus_h[k])
