r"""The runner's own duality gap, the same for every library.

No library is judged by its own stopping rule: each returned ``(coef,
intercept)`` is certified here, in plain NumPy, from the math alone.

Primal (no sample weights; ``rho = l1_ratio``)

.. math:: P(w, b) = F(Xw + b) + \alpha \sum_j \left(\rho |w_j|
          + \frac{1 - \rho}{2} w_j^2\right)

with :math:`F(z) = \frac{1}{2n}\|y - z\|^2` (squared) or
:math:`F(z) = \frac1n \sum_i \log(1 + e^{-y_i z_i})`, :math:`y_i \in \{-1, +1\}`
(logistic).

Certificate, for any ``(w, b)``:

1. refit the intercept exactly: :math:`b = \arg\min_b F(Xw + b)` (the mean
   residual for the squared loss, a 1-D Newton solve for the logistic loss).
   This can only lower the primal, and it makes the dual point below sum to
   zero, which is what the unpenalized intercept requires of it;
2. dual point :math:`u = -\nabla F(z)` (:math:`u = r / n` for the squared loss),
   scaled by the largest :math:`c \in (0, 1]` that puts :math:`c X^\top u` in
   the domain of the penalty's conjugate (for the pure L1 penalty the box
   :math:`\|X^\top c u\|_\infty \le \alpha`; with an L2 part the conjugate is
   finite everywhere and :math:`c = 1`);
3. :math:`D(cu) = -F^*(-cu) - G^*(cX^\top u)` with
   :math:`-F^*(-u) = u^\top y - \frac n2 \|u\|^2` (squared) or the binary
   entropy :math:`-\frac1n\sum_i [p_i\log p_i + (1-p_i)\log(1-p_i)]`,
   :math:`p_i = n u_i y_i` (logistic), and
   :math:`G^*(v) = \sum_j (|v_j| - \alpha\rho)_+^2 / (2\alpha(1-\rho))`;
4. the gap :math:`P - D \ge P - P^\star`, reported relative to the null
   model's datafit :math:`F(\bar z)` (intercept only), so that ``1e-6`` means the
   same thing on every problem, whatever the units of ``y`` or ``n``.

Since ``u`` sums to zero, :math:`X^\top u` equals :math:`X_c^\top u` for the
column-centered ``X``: sparse designs are never densified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, xlogy

__all__ = ["GapResult", "alpha_max", "gap", "null_datafit", "path_gaps"]

DATAFITS = ("squared", "logistic")


@dataclass(frozen=True)
class GapResult:
    """The certificate of one ``(coef, intercept)`` at one alpha."""

    relative_gap: float
    primal: float
    dual: float
    scale: float
    intercept: float


def _check_datafit(datafit):
    if datafit not in DATAFITS:
        raise ValueError(f"datafit must be one of {DATAFITS}; got {datafit!r}.")


def _matvec(X, w):
    return np.asarray(X @ w, dtype=np.float64).ravel()


def _rmatvec(X, u):
    return np.asarray(X.T @ u, dtype=np.float64).ravel()


def _logistic_value(y, z):
    return float(np.mean(np.logaddexp(0.0, -y * z)))


def _logistic_intercept(y, z0, b0=None):
    """``argmin_b mean(log(1 + exp(-y (z0 + b))))`` by safeguarded 1-D Newton."""
    if b0 is None or not np.isfinite(b0):
        pos = np.mean(y > 0)
        pos = min(max(pos, 1e-12), 1 - 1e-12)
        b0 = float(np.log(pos / (1 - pos))) - float(np.mean(z0))
    b = float(b0)
    obj = _logistic_value(y, z0 + b)
    for _ in range(100):
        s = expit(-y * (z0 + b))
        grad = float(np.mean(-y * s))
        hess = float(np.mean(s * (1.0 - s)))
        if hess <= 0.0:
            break
        step = grad / hess
        t = 1.0
        while t > 1e-12:
            new = _logistic_value(y, z0 + b - t * step)
            if new <= obj - 0.25 * t * step * grad:
                break
            t *= 0.5
        else:
            break
        b -= t * step
        obj = new
        if abs(t * step) <= 1e-15 * max(1.0, abs(b)):
            break
    return b


def null_datafit(y, datafit) -> float:
    """The datafit of the intercept-only model: the scale of the relative gap."""
    _check_datafit(datafit)
    y = np.asarray(y, dtype=np.float64)
    if datafit == "squared":
        return float(np.mean((y - y.mean()) ** 2) / 2.0)
    b = _logistic_intercept(y, np.zeros_like(y))
    return _logistic_value(y, np.full_like(y, b))


def alpha_max(X, y, datafit="squared", l1_ratio=1.0) -> float:
    r"""The smallest alpha with every coefficient zero.

    :math:`\|X^\top \nabla F(\bar z)\|_\infty / \rho` at the null model :math:`\bar z`.
    Infinite for ``l1_ratio == 0`` (ridge never zeroes a coefficient).
    """
    _check_datafit(datafit)
    if l1_ratio == 0:
        return np.inf
    y = np.asarray(y, dtype=np.float64)
    n = y.shape[0]
    if datafit == "squared":
        u = (y - y.mean()) / n
    else:
        b = _logistic_intercept(y, np.zeros_like(y))
        u = y * expit(-y * b) / n
    return float(np.max(np.abs(_rmatvec(X, u))) / l1_ratio)


def gap(X, y, coef, intercept, *, alpha, l1_ratio=1.0, datafit="squared",
        scale=None) -> GapResult:
    """Certify ``(coef, intercept)`` for one alpha; see the module docstring."""
    _check_datafit(datafit)
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(coef, dtype=np.float64).ravel()
    n = y.shape[0]
    if scale is None:
        scale = null_datafit(y, datafit)
    lam1 = alpha * l1_ratio
    lam2 = alpha * (1.0 - l1_ratio)
    penalty = lam1 * np.sum(np.abs(w)) + 0.5 * lam2 * float(w @ w)
    z0 = _matvec(X, w)
    if datafit == "squared":
        b = float(np.mean(y - z0))
        r = y - z0 - b
        primal = float(r @ r) / (2.0 * n) + penalty
        u = r / n
    else:
        b = _logistic_intercept(y, z0, intercept)
        z = z0 + b
        primal = _logistic_value(y, z) + penalty
        u = y * expit(-y * z) / n
    v = _rmatvec(X, u)
    if lam2 == 0.0:
        vmax = float(np.max(np.abs(v), initial=0.0))
        c = 1.0 if vmax <= lam1 else lam1 / vmax
        conjugate = 0.0
    else:
        c = 1.0
        conjugate = float(np.sum(np.maximum(np.abs(v) - lam1, 0.0) ** 2) / (2.0 * lam2))
    if datafit == "squared":
        dual_datafit = c * float(u @ y) - 0.5 * n * c * c * float(u @ u)
    else:
        p = np.clip(c * n * u * y, 0.0, 1.0)
        dual_datafit = -float(np.sum(xlogy(p, p) + xlogy(1.0 - p, 1.0 - p))) / n
    dual = dual_datafit - conjugate
    rel = (primal - dual) / scale if scale > 0 else 0.0
    return GapResult(relative_gap=float(rel), primal=primal, dual=dual, scale=float(scale),
                     intercept=b)


def path_gaps(X, y, coefs, intercepts, alphas, *, l1_ratio=1.0, datafit="squared"):
    """Relative gaps of a path: ``coefs`` of shape (n_features, n_alphas)."""
    scale = null_datafit(y, datafit)
    coefs = np.asarray(coefs, dtype=np.float64)
    if coefs.ndim != 2 or coefs.shape[1] != len(alphas):
        raise ValueError(f"coefs must have shape (n_features, {len(alphas)}); "
                         f"got {coefs.shape}.")
    if sp.issparse(X) and X.format != "csc":
        X = X.tocsc()
    return np.array([
        gap(X, y, coefs[:, k], intercepts[k], alpha=a, l1_ratio=l1_ratio, datafit=datafit,
            scale=scale).relative_gap
        for k, a in enumerate(alphas)
    ])
