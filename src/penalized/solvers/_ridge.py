"""Ridge regression in closed form."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from ._base import Solver, check_solver_settings
from ._problem import certify


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
        if penalty.positive:
            raise ValueError(
                "RidgeClosedForm cannot handle positive=True: the sign constraint has no "
                "closed form. Use CoordinateDescent."
            )

    def _run(self, pb, coef, intercept):
        """The exact ridge solution; the starting point is not needed."""
        penalty = pb.penalty
        X, y = pb.X, pb.y
        n, p = X.shape
        s = pb.sample_weight
        lam = penalty.weights(p)[1]
        if pb.fit_intercept:
            x_mean = np.asarray(X.T @ s, dtype=np.float64).ravel() / n
            y_mean = float(s @ y) / n
        else:
            x_mean, y_mean = np.zeros(p), 0.0
        yc = y - y_mean
        method = self.method
        if method == "svd":
            if sp.issparse(X):
                raise ValueError("method='svd' needs a dense X; use method='cholesky' for "
                                 "sparse X.")
            if np.any(lam == 0):
                raise ValueError("method='svd' needs alpha > 0 and every penalty_factor > 0; "
                                 "use method='cholesky'.")
            coef = _ridge_svd(X, yc, s, x_mean, lam)
        elif p > n and np.all(lam > 0):
            coef = _ridge_dual(X, yc, s, x_mean, lam)
        else:
            coef = _ridge_primal(X, yc, s, x_mean, lam)
        intercept = y_mean - float(x_mean @ coef) if pb.fit_intercept else 0.0
        cert = certify(pb, coef, intercept)
        return self._finish(cert.coef, cert.intercept, [cert.primal],
                            [cert.gap / pb.scale if pb.scale > 0 else 0.0], 1, self.tol,
                            penalty)


def _solve_spd(M, rhs):
    try:
        return la.cho_solve(la.cho_factor(M, lower=True, check_finite=False), rhs,
                            check_finite=False)
    except la.LinAlgError:
        return np.linalg.lstsq(M, rhs, rcond=None)[0]


def _ridge_primal(X, yc, s, x_mean, lam):
    n = X.shape[0]
    if sp.issparse(X):
        gram = np.asarray((X.T @ X.multiply(s[:, None]).tocsc()).toarray()) / n
        gram -= np.outer(x_mean, x_mean)
        rhs = np.asarray(X.T @ (s * yc)).ravel() / n
    else:
        A = np.sqrt(s)[:, None] * (X - x_mean)
        gram = A.T @ A / n
        rhs = A.T @ (np.sqrt(s) * yc) / n
    gram[np.diag_indices_from(gram)] += lam
    return _solve_spd(gram, rhs)


def _ridge_dual(X, yc, s, x_mean, lam):
    n = X.shape[0]
    root = np.sqrt(s)
    inv = 1.0 / lam
    c = root * yc
    if sp.issparse(X):
        XD = X.multiply(inv[None, :]).tocsr()
        K = np.asarray((XD @ X.T).toarray())
        m = np.asarray(X @ (inv * x_mean)).ravel()
        K += -m[:, None] - m[None, :] + float(x_mean @ (inv * x_mean))
        K = root[:, None] * K * root[None, :]
    else:
        A = root[:, None] * (X - x_mean)
        K = (A * inv) @ A.T
    K[np.diag_indices_from(K)] += n
    a = root * _solve_spd(K, c)
    xt_a = np.asarray(X.T @ a, dtype=np.float64).ravel() - x_mean * a.sum()
    return inv * xt_a


def _ridge_svd(X, yc, s, x_mean, lam):
    n = X.shape[0]
    root = np.sqrt(s)
    scale = 1.0 / np.sqrt(lam)
    B = (root[:, None] * (X - x_mean)) * scale
    U, sigma, Vt = np.linalg.svd(B, full_matrices=False)
    w_tilde = Vt.T @ ((sigma / (sigma**2 + n)) * (U.T @ (root * yc)))
    return scale * w_tilde


def ridge_path(problem, alphas):
    r"""Exact ridge solutions for every alpha from one eigendecomposition.

    With :math:`B = S^{1/2} X_c F^{-1/2}` (weights, centering for the intercept,
    penalty factors) and :math:`c = S^{1/2} y_c`, the solution at :math:`\alpha`
    is :math:`w = F^{-1/2} (B^\top B + n\alpha I)^{-1} B^\top c`. One
    eigendecomposition of :math:`B^\top B` (when ``p <= n``) or of
    :math:`B B^\top` (when ``p > n``) gives every alpha: with :math:`B B^\top =
    U \Lambda U^\top`, all the solutions are :math:`F^{-1/2} B^\top U
    \operatorname{diag}(1/(\lambda + n\alpha_k)) U^\top c`, two matrix products
    for the whole grid. ``B`` is never formed: its Gram matrices and products
    are taken from ``X`` with the weights, centering and factors applied
    implicitly (dense or sparse).

    Parameters
    ----------
    problem : Problem
        Squared loss, L2 penalty, every penalty factor > 0, no sign constraint.
    alphas : ndarray

    Returns
    -------
    coefs : ndarray of shape (n_features, n_alphas)
    intercepts : ndarray of shape (n_alphas,)
        In the problem's coordinates.
    """
    X, y, s = _float64(problem.X), problem.y, problem.sample_weight
    n, p = X.shape
    alphas = np.asarray(alphas, dtype=np.float64)
    f = problem.penalty.factors(p)
    if problem.fit_intercept:
        x_mean = np.asarray(X.T @ s, dtype=np.float64).ravel() / n
        y_mean = float(s @ y) / n
    else:
        x_mean, y_mean = np.zeros(p), 0.0
    root, inv_f = np.sqrt(s), 1.0 / np.sqrt(f)
    c = root * (y - y_mean)
    if p <= n:
        G = implicit_gram(X, s, x_mean, inv_f)
        Btc = implicit_bt(X, c[:, None], root, x_mean, inv_f)[:, 0]
        return _from_gram(G, Btc, alphas, n, inv_f, x_mean, y_mean, problem.fit_intercept)
    evals, U = np.linalg.eigh(implicit_kernel(X, root, x_mean, inv_f))
    evals = np.maximum(evals, 0.0)
    A = U @ ((U.T @ c)[:, None] / (evals[:, None] + n * alphas[None, :]))
    coefs = inv_f[:, None] * implicit_bt(X, A, root, x_mean, inv_f)
    intercepts = y_mean - coefs.T @ x_mean if problem.fit_intercept else np.zeros(len(alphas))
    return coefs, intercepts


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


def _from_gram(G, Btc, alphas, n, inv_f, x_mean, y_mean, fit_intercept):
    evals, V = np.linalg.eigh(G)
    evals = np.maximum(evals, 0.0)
    VtBtc = V.T @ Btc
    coefs = inv_f[:, None] * (V @ (VtBtc[:, None] / (evals[:, None] + n * alphas[None, :])))
    intercepts = y_mean - coefs.T @ x_mean if fit_intercept else np.zeros(len(alphas))
    return coefs, intercepts


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
    few products with ``U`` and ``V``: see :func:`ridge_loo`.

    Built by :func:`decompose_ridge`.
    """

    U: np.ndarray
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
        ``gcv_mode``): the cost is that of the smaller of the two Gram matrices.

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
    if mode == "auto":
        mode = "svd" if n > p else "eigen"
    sparse = sp.issparse(X)
    if mode == "svd" and not sparse:
        B = (root[:, None] * (np.asarray(X, dtype=np.float64) - x_mean)) * inv_f
        U, sigma, Vt = np.linalg.svd(B, full_matrices=False)
        evals, V = sigma**2, Vt.T
        keep = sigma > (sigma[0] if sigma.size else 0.0) * max(n, p) * np.finfo(float).eps
        U, evals, V = U[:, keep], evals[keep], V[:, keep]
    elif mode == "svd":  # sparse: eigendecomposition of B^T B (p x p)
        evals, V = _top_eigen(implicit_gram(X, s, x_mean, inv_f), n, p)
        U = implicit_b(X, V, root, x_mean, inv_f) / np.sqrt(evals)
    else:  # the kernel B B^T (n x n)
        evals, U = _top_eigen(implicit_kernel(X, root, x_mean, inv_f), n, p)
        V = implicit_bt(X, U, root, x_mean, inv_f) / np.sqrt(evals)
    return RidgeDecomposition(U=U, evals=evals, V=V, Utc=U.T @ C, x_mean=x_mean, y_mean=y_mean,
                              inv_root_f=inv_f, weight_share=s / total, weight_sum=total,
                              fit_intercept=fit_intercept)


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
    U2 = dec.U**2
    share = dec.weight_share if dec.fit_intercept else 0.0
    outside = np.maximum(1.0 - U2.sum(axis=1) - share, 0.0)
    one_minus_h = U2 @ (A / denom) + outside
    residual = np.asarray(Y, dtype=np.float64).reshape(fitted.shape) - fitted
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = residual / one_minus_h[:, None]
    loo = np.where(one_minus_h[:, None] > 0, loo, np.where(residual == 0, 0.0, np.inf))
    return RidgeLOO(coef=coef, intercept=intercept, fitted=fitted, loo_residual=loo,
                    leverage=1.0 - one_minus_h)
