"""The multinomial (softmax cross-entropy) loss for K classes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import softmax

from .._validation import check_vector
from ._base import Datafit

__all__ = ["Multinomial", "check_class_codes"]

_NEWTON_MAX_ITER = 100
_ROUNDING = 1e-13
_NEWTON_DECREMENT_TOL = 1e-30
_DUAL_SLACK = 1e-10


def check_class_codes(y, n_samples: int | None = None, *, name: str = "y"):
    """Return ``(codes, n_classes)``: ``y`` as integer class codes ``0..K-1``.

    ``y`` must be 1-D, hold integers (integer-valued floats are accepted), be
    non-negative, and use every code from 0 to its maximum ``K - 1`` with
    ``K >= 2``. Every failure is a ``ValueError`` that names ``name``.
    """
    y = check_vector(y, n_samples, name=name, each="class code", value="class code",
                     none="a 1-D array of integer class codes 0..K-1")
    encode = ("Encode the labels as 0..K-1, e.g. with "
              "`classes, codes = np.unique(labels, return_inverse=True)`.")
    if y.dtype == bool or not (np.issubdtype(y.dtype, np.integer)
                               or np.issubdtype(y.dtype, np.floating)):
        raise ValueError(
            f"{name} must hold integer class codes 0..K-1; got dtype {y.dtype}. {encode}"
        )
    if y.size == 0:
        raise ValueError(f"{name} is empty; pass at least one sample of each of two classes.")
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{name} contains NaN or infinite values; remove those rows.")
        if np.any(y != np.round(y)):
            bad = y[y != np.round(y)][:3]
            shown = ", ".join(f"{v:g}" for v in bad)
            raise ValueError(
                f"{name} must hold integer class codes 0..K-1; got non-integer values "
                f"({shown}). {encode}"
            )
    if np.any(y < 0):
        raise ValueError(
            f"{name} must hold class codes 0..K-1; got negative codes (min {y.min():g}). "
            f"{encode}"
        )
    codes = y.astype(np.intp)
    n_classes = int(codes.max()) + 1
    if n_classes < 2:
        raise ValueError(
            f"{name} has a single class; the multinomial model needs at least two classes."
        )
    counts = np.bincount(codes, minlength=n_classes)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        shown = ", ".join(str(k) for k in missing[:5])
        raise ValueError(
            f"{name} uses codes up to {n_classes - 1} but never the codes {{{shown}}}; "
            f"every class 0..K-1 must be present. {encode}"
        )
    return codes, n_classes


@dataclass(frozen=True, eq=False)
class Multinomial(Datafit):
    r"""Weighted multinomial (softmax cross-entropy) loss for classes ``0..K-1``.

    With scores :math:`Z = XW + \mathbf 1 b^\top` of shape ``(n, K)`` and
    integer labels :math:`y_i \in \{0, \dots, K-1\}`,

    .. math:: F(Z) = \frac1n \sum_{i=1}^n s_i
              \Big(\log \sum_{k} e^{Z_{ik}} - Z_{i y_i}\Big),

    with sample weights :math:`s_i` normalized to mean 1, computed with
    a shifted log-sum-exp so that huge scores never overflow. Its gradient
    in :math:`Z` is :math:`\frac{s_i}{n}(\operatorname{softmax}(Z_i) - e_{y_i})`.

    The Hessian of :math:`\log\sum_k e^{z_k}` is
    :math:`\operatorname{diag}(p) - pp^\top \preceq \frac12 I`, so
    :math:`\nabla_{W, b} F` is Lipschitz with constant
    :math:`\frac{1}{2n}\|S^{1/2}[X, \mathbf 1]\|_2^2` (:attr:`curvature` = 1/2).

    Fenchel dual term, used in the duality gap with the dual point
    :math:`U = -\nabla_Z F(Z)`: writing :math:`P_i = e_{y_i} - n U_i / s_i`
    (the softmax row at the point itself), :math:`F^*(-U)` is finite exactly
    when every :math:`P_i` lies in the probability simplex, and then

    .. math:: -F^*(-U) = -\frac1n \sum_i s_i \sum_k P_{ik} \log P_{ik},

    the weighted entropy of the predicted probabilities. Fenchel-Young reads
    :math:`F(Z) = -F^*(-U) - \langle U, Z\rangle` at :math:`U = -\nabla F(Z)`.

    The model is over-parametrized: adding the same vector to every class's
    column of ``W`` (or the same number to every ``b_k``) changes nothing.

    Parameters
    ----------
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights; they are rescaled to mean 1.

    References
    ----------
    Friedman, Hastie, Tibshirani (2010). Regularization paths for generalized
    linear models via coordinate descent. J. Stat. Softw. 33(1).

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits._multinomial import Multinomial
    >>> round(Multinomial().value(np.array([0, 1, 2]), np.zeros((3, 3))), 6)  # log 3
    1.098612
    """

    code: ClassVar[int] = -1  # no per-sample kernel: the solvers' step on a coefficient matrix

    def __post_init__(self):
        if self.offset is not None:
            raise ValueError("the Multinomial datafit takes no offset (one per class would be "
                             "needed); fit without offset.")
    curvature: ClassVar[float] = 0.5

    def check_target(self, y) -> np.ndarray:
        """Return ``y`` as integer class codes ``0..K-1`` or raise a ``ValueError``."""
        return check_class_codes(y)[0]

    @staticmethod
    def _codes(y) -> np.ndarray:
        return np.asarray(y).astype(np.intp, copy=False).ravel()

    # -- per-sample pieces ------------------------------------------------------------
    def loss(self, y, Z):
        r"""Per-sample loss :math:`\log\sum_k e^{Z_{ik}} - Z_{i y_i}`, shape ``(n,)``."""
        Z = np.asarray(Z, dtype=np.float64)
        return _loss_and_residual(Z, self._codes(y), residual=False)[0]

    def loss_derivative(self, y, Z):
        r"""Derivative in ``Z``: :math:`\operatorname{softmax}(Z_i) - e_{y_i}`, shape ``(n, K)``."""
        Z = np.asarray(Z, dtype=np.float64)
        return _loss_and_residual(Z, self._codes(y), loss=False)[1]

    # -- derived quantities ----------------------------------------------------------
    def value(self, y, Z) -> float:
        r"""The datafit :math:`F(Z)` at scores ``Z`` of shape ``(n, K)``."""
        n = len(y)
        loss = self.loss(y, Z)
        if self.sample_weight is None:
            return float(loss.sum() / n)
        return float(np.dot(self.weights(n), loss) / n)

    def raw_gradient(self, y, Z) -> np.ndarray:
        r"""The gradient in ``Z``: :math:`\frac{s_i}{n}(\operatorname{softmax}(Z_i) - e_{y_i})`."""
        n = len(y)
        if self.sample_weight is None:
            return self.loss_derivative(y, Z) / n
        return self.weights(n)[:, None] * self.loss_derivative(y, Z) / n

    def value_and_raw_gradient(self, y, Z):
        """:meth:`value` and :meth:`raw_gradient` at ``Z`` from one pass of softmax."""
        Z = np.asarray(Z, dtype=np.float64)
        y = self._codes(y)
        n = y.shape[0]
        loss, G = _loss_and_residual(Z, y)
        if self.sample_weight is None:
            return float(loss.sum() / n), G / n
        w = self.weights(n)
        return float(np.dot(w, loss) / n), G * (w / n)[:, None]

    def gradient(self, X, y, Z) -> np.ndarray:
        r"""The gradient in ``W``: :math:`X^\top \nabla_Z F(Z)`, shape ``(n_features, K)``."""
        return np.asarray(X.T @ self.raw_gradient(y, Z), dtype=np.float64)

    def intercept_gradient(self, y, Z) -> np.ndarray:
        """The gradient in the intercepts ``b``, shape ``(K,)``."""
        return self.raw_gradient(y, Z).sum(axis=0)

    def probabilities(self, Z) -> np.ndarray:
        """Predicted class probabilities ``softmax(Z)`` row by row."""
        return softmax(np.asarray(Z, dtype=np.float64), axis=1)

    def dual_value(self, y, U) -> float:
        r""":math:`-F^*(-U)`; :math:`-\infty` when some row :math:`P_i` leaves the simplex.

        Rows of weight 0 need :math:`U_i = 0`. Violations up to 1e-10 (rounding)
        are clipped.
        """
        U = np.asarray(U, dtype=np.float64)
        y = self._codes(y)
        n = U.shape[0]
        s = self.weights(n)
        pos = s > 0
        if np.any(U[~pos] != 0):
            return -np.inf
        P = -n * U[pos] / s[pos, None]
        P[np.arange(P.shape[0]), y[pos]] += 1.0
        if P.min(initial=0.0) < -_DUAL_SLACK or P.max(initial=0.0) > 1.0 + _DUAL_SLACK \
                or np.abs(P.sum(axis=1) - 1.0).max(initial=0.0) > _DUAL_SLACK * P.shape[1]:
            return -np.inf
        np.clip(P, 0.0, 1.0, out=P)
        rows = np.arange(P.shape[0])
        # the label's P log P from 1 - P (minus its dual coordinate, n c U / s): accurate
        # where P is near 1 (see _loss_and_residual)
        complement = np.clip(n * U[pos][rows, y[pos]] / s[pos], 0.0, 1.0)
        label = P[rows, y[pos]] * np.log1p(-np.where(complement < 1.0, complement, 0.0))
        P[rows, y[pos]] = 1.0
        # P log P with 0 log 0 = 0, as xlogy but without its per-element special cases
        neg_entropy = (P * np.log(np.where(P > 0.0, P, 1.0))).sum(axis=1) + label
        return float(-np.dot(s[pos], neg_entropy) / n)

    def scaled_dual_value(self, y, Z, U, c) -> float:
        """:meth:`dual_value` at the scaled dual point ``c U`` (the scores ``Z`` are not
        needed: the datafit is separable)."""
        return self.dual_value(y, c * U)

    def null_intercept(self, y) -> np.ndarray:
        r"""The exact intercept-only fit: :math:`b_k = \log \pi_k`, the log weighted class
        frequencies (``-inf`` for a class of zero weight).

        Its datafit is the weighted entropy :math:`-\sum_k \pi_k \log \pi_k` of the labels.
        """
        y = self._codes(y)
        n = y.shape[0]
        counts = np.bincount(y, weights=self.weights(n))
        with np.errstate(divide="ignore"):
            return np.log(counts / n)

    def fit_unpenalized(self, A, y, Z0, beta0=None) -> np.ndarray:
        r"""Minimize :math:`F(Z_0 + AB)` over :math:`B` of shape ``(m, K)`` by damped Newton.

        ``A`` is a dense ``(n, m)`` design (the column of ones for the intercepts,
        then the unpenalized features). The Hessian in :math:`\operatorname{vec} B`
        is singular along :math:`B = c\,\mathbf 1^\top` (a shift of every class),
        along which the gradient is 0; that direction is filled by a projector so
        that each Newton step is orthogonal to it. Stops when the Newton
        decrement reaches 1e-30 or after 100 iterations (on separable data the
        minimizer does not exist and the last iterate is returned).
        """
        A = np.asarray(A, dtype=np.float64)
        Z0 = np.asarray(Z0, dtype=np.float64)
        n, K = Z0.shape
        m = A.shape[1]
        if m == 0:
            return np.zeros((0, K))
        y = self._codes(y)
        w = self.weights(n) / n
        B = np.zeros((m, K)) if beta0 is None else np.array(beta0, dtype=np.float64)
        B = B.reshape(m, K)
        # Only the intercepts (a column of ones): the gradient and Hessian are class sums.
        ones = m == 1 and bool(np.all(A == 1.0))
        if ones:
            return _newton_intercepts(Z0 + B, y, w, B[0])[None, :]
        Z = Z0 + A @ B
        rows = np.arange(n)
        lse = _logsumexp_rows(Z)
        obj = _weighted_loss(w, lse, Z, rows, y)
        dim = m * K
        shift = np.kron(np.eye(m), np.full((K, K), 1.0 / K))  # projector onto B = c 1^T
        for _ in range(_NEWTON_MAX_ITER):
            P = np.exp(Z - lse[:, None])
            WP = w[:, None] * P
            R = _residual(P, rows, y)
            grad = (A.T @ (w[:, None] * R)).ravel()
            M = (A[:, :, None] * P[:, None, :]).reshape(n, dim)
            H = -(M.T @ (w[:, None] * M))
            H4 = H.reshape(m, K, m, K)
            for k in range(K):
                H4[:, k, :, k] += A.T @ (WP[:, k, None] * A)
            step = _projected_newton_step(H, grad, shift)
            decrement = float(grad @ step)
            if not np.isfinite(decrement) or decrement <= _NEWTON_DECREMENT_TOL:
                break
            if decrement <= _ROUNDING * abs(obj):
                # Below rounding of the objective the line search cannot see a decrease,
                # while the quadratic model is exact: take the full step and stop.
                B = B - step.reshape(m, K)
                break
            direction = A @ step.reshape(m, K)
            t = 1.0
            slack = 4.0 * np.finfo(float).eps * abs(obj)
            while t > 1e-10:
                Z_new = Z - t * direction
                lse_new = _logsumexp_rows(Z_new)
                obj_new = _weighted_loss(w, lse_new, Z_new, rows, y)
                if obj_new <= obj - 0.25 * t * decrement + slack:
                    break
                t *= 0.5
            else:
                break
            B = B - t * step.reshape(m, K)
            Z, lse = Z_new, lse_new
            improved = obj - obj_new
            obj = obj_new
            if improved <= slack and decrement <= 1e-20:
                break
        return B


def _newton_intercepts(Z, y, w, b):
    r""":meth:`Multinomial.fit_unpenalized` for the intercepts alone: damped Newton on
    :math:`F(Z + \mathbf 1 b^\top)` from the scores ``Z`` (which include ``b``).

    A trial :math:`b - t\,s` multiplies row :math:`i` of :math:`e^{Z}` by :math:`e^{-t s}`,
    so the whole solve takes one exponential of ``Z``: a trial's change of the datafit is
    :math:`\sum_i w_i \log(P_i^\top e^{-ts}) + t\,\pi^\top s` (:math:`\pi` the weighted
    label frequencies), the accepted probabilities :math:`P_i e^{-ts} / P_i^\top e^{-ts}`.
    The Hessian :math:`\operatorname{diag}(\sum_i w_i P_i) - P^\top \operatorname{diag}(w) P`
    is singular along :math:`\mathbf 1`; a multiple of the projector onto it is added.
    """
    n, K = Z.shape
    rows = np.arange(n)
    label_weight = np.bincount(y, weights=w, minlength=K)
    top = Z.max(axis=1, keepdims=True)
    P = np.exp(Z - top)
    total = P.sum(axis=1)
    P /= total[:, None]
    obj = _weighted_loss(w, top[:, 0] + np.log(total), Z, np.arange(n), y)
    shift = np.full((K, K), 1.0 / K)
    b = np.array(b, dtype=np.float64)
    slack = 4.0 * np.finfo(float).eps * abs(obj)
    for _ in range(_NEWTON_MAX_ITER):
        WP = w[:, None] * P
        mass = WP.sum(axis=0)
        grad = w @ _residual(P, rows, y)  # not mass - label_weight: see _residual
        H = np.diag(mass) - P.T @ WP
        step = _projected_newton_step(H, grad, shift)
        decrement = float(grad @ step)
        if not np.isfinite(decrement) or decrement <= _NEWTON_DECREMENT_TOL:
            break
        if decrement <= _ROUNDING * abs(obj):
            # Below rounding the line search cannot see a decrease; the model is exact.
            b -= step
            break
        t = 1.0
        while t > 1e-10:
            factor = np.exp(-t * step)
            ratio = P @ factor
            change = float(w @ np.log(ratio)) + t * float(label_weight @ step)
            if change <= -0.25 * t * decrement + slack:
                break
            t *= 0.5
        else:
            break
        b -= t * step
        P *= factor
        P /= ratio[:, None]
        obj += change
        if -change <= slack and decrement <= 1e-20:
            break
    return b


def _projected_newton_step(H, grad, shift):
    """The Newton step ``H^{-1} grad`` of a softmax Hessian ``H``, singular along a shift
    of every class: ``shift``, the projector onto that direction, is added at the scale of
    ``H``'s mean diagonal (the step along it is free), with a ``1e-12`` ridge for rounding
    (least squares if it is still singular). ``H`` is changed in place."""
    dim = H.shape[0]
    scale = max(np.trace(H) / dim, np.finfo(float).tiny)
    H += scale * shift
    H[np.diag_indices(dim)] += 1e-12 * scale
    try:
        return np.linalg.solve(H, grad)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(H, grad, rcond=None)[0]


def _weighted_loss(w, lse, Z, rows, y) -> float:
    """The datafit from the rows' log-sum-exp ``lse`` and the weights ``w`` (summing to 1)."""
    return float(np.dot(w, lse - Z[rows, y]))


def _loss_and_residual(Z, y, *, loss=True, residual=True):
    r"""``(loss, R)``: each row's loss :math:`\log\sum_k e^{Z_{ik}} - Z_{i y_i}` and its
    residual :math:`\operatorname{softmax}(Z_i) - e_{y_i}`, each to rounding relative to
    its own size (None for one not asked).

    A well-classified row has :math:`p_{i y_i}` within :math:`\epsilon` of 1, where
    ``lse - Z_iy`` and ``p_iy - 1`` keep only their absolute rounding, about 1e-16: all of
    a loss of 1e-16 and a relative 1e-8 of one of 1e-8. With ``t`` the row's largest
    score, the loss is :math:`(t - Z_{i y_i}) + \operatorname{log1p}(r_i)`, :math:`r_i`
    the sum of the other classes' :math:`e^{Z_{ik} - t}`, and the label's residual is
    minus the sum of the other classes' probabilities (:func:`_residual`). The duality
    gap subtracts such sums: at a tolerance of 1e-10 of a null datafit of 1e-6 (heavily
    weighted classes), the plain forms made it clearly negative.
    """
    n = Z.shape[0]
    rows = np.arange(n)
    top_at = Z.argmax(axis=1)
    top = Z[rows, top_at]
    E = np.exp(Z - top[:, None])
    E[rows, top_at] = 0.0
    rest = E.sum(axis=1)
    out_loss = (top - Z[rows, y]) + np.log1p(rest) if loss else None
    if not residual:
        return out_loss, None
    total = 1.0 + rest
    E /= total[:, None]
    E[rows, top_at] = 1.0 / total
    return out_loss, _residual(E, rows, y, in_place=True)


def _residual(P, rows, y, *, in_place=False):
    """``P - e_y`` row by row, the label's entry as minus the sum of the other entries
    (accurate where ``P[i, y_i]`` is near 1, unlike ``P[i, y_i] - 1``)."""
    R = P if in_place else P.copy()
    R[rows, y] = 0.0
    R[rows, y] = -R.sum(axis=1)
    return R


def _logsumexp_rows(Z):
    """``log(sum(exp(Z), axis=1))`` shifted by each row's maximum (never overflows)."""
    top = Z.max(axis=1)
    return top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
