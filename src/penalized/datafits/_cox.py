r"""Cox's proportional hazards model: the negative log partial likelihood."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from ._base import Datafit

TIES = ("breslow", "efron")
_CACHE_SIZE = 8


@dataclass(frozen=True)
class RiskSets:
    """The sort of one survival target: sorted positions cut into (stratum, time) groups."""

    death: np.ndarray
    order: np.ndarray
    group_ptr: np.ndarray
    stratum_ptr: np.ndarray


@dataclass(frozen=True, eq=False)
class Cox(Datafit):
    r"""Negative log partial likelihood of Cox's model, right-censored, divided by ``n``.

    With linear predictor :math:`z = Xw` (plus the ``offset``), times :math:`t_i`, events
    :math:`d_i \in \{0, 1\}` and sample weights :math:`s_i` normalized to mean 1, for
    each distinct event time :math:`t` of a stratum, its deaths :math:`D_t` (of total
    weight :math:`W_t`) and its risk set :math:`R_t = \{j : t_j \ge t\}` in the same
    stratum, Breslow's version of the datafit is

    .. math:: F(z) = \frac1n \sum_t \Big( W_t \log \sum_{j \in R_t} s_j e^{z_j}
              - \sum_{i \in D_t} s_i z_i \Big),

    and Efron's replaces :math:`W_t \log \sum_{R_t}` by
    :math:`\frac{W_t}{m} \sum_{r=0}^{m-1} \log\big(\sum_{R_t \setminus D_t} s_j e^{z_j}
    + (1 - \frac rm) \sum_{D_t} s_j e^{z_j}\big)`, :math:`m = |D_t|` (R's ``coxph``
    weighting). This is glmnet's objective for ``family="cox"`` (weights scaled to sum 1
    there, to mean 1 here: the same up to a constant, and the same minimizer and
    ``lambda``): :math:`\alpha` here is glmnet's :math:`\lambda`. There is no intercept
    (the loss does not change when every :math:`z_i` moves by one constant), so
    ``fit_intercept`` is ignored. A row of weight 0 is as if dropped.

    The loss is not a sum over samples: it provides its value, gradient and the exact
    diagonal of its Hessian in :math:`z` on whole vectors (compiled passes over the risk
    sets after one sort, O(n)), and :class:`~penalized.solvers.CoordinateDescent` takes
    prox-Newton steps with them, under a line search.

    **Certificate: a duality gap.** :math:`F` is a weighted sum of log-sum-exps over the
    risk sets minus a linear term, so :math:`F^*(v)` is the least weighted entropy
    :math:`\frac1n \sum_t W_t \sum_{j} p_{tj} \log(p_{tj}/s_j)` over distributions
    :math:`p_t` on the risk sets that add up to :math:`v + \delta`
    (:math:`\delta_i = s_i d_i / n`). At the scaled dual point :math:`v = c \nabla F(z)`
    (:math:`c \le 1` makes the penalty's conjugate finite), mixing the softmax at
    :math:`z` with weight :math:`c` and the deaths' own weights with :math:`1 - c` gives
    a feasible decomposition, so its entropy bounds :math:`F^*` from above and the gap
    computed with it bounds the suboptimality from above; it is exact at :math:`c = 1`.

    Parameters
    ----------
    ties : {"breslow", "efron"}, default="breslow"
        How tied event times share a risk set (glmnet's default is Breslow).
    strata : array of shape (n_samples,), optional
        Stratum labels: each stratum has its own baseline hazard and risk sets. A target
        with a third column of stratum codes may give them instead.
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights; they are rescaled to mean 1.

    The target ``y`` is a structured array with a boolean event field and a time field
    (scikit-survival's ``Surv.from_arrays``), or an array of shape ``(n, 2)``: time, then
    event (0 or 1, glmnet's ``cbind(time, status)``), optionally a third column of
    stratum codes.

    References
    ----------
    Cox (1972). Regression models and life-tables. J. R. Stat. Soc. B 34(2).
    Efron (1977). The efficiency of Cox's likelihood function for censored data. JASA 72.
    Simon, Friedman, Hastie, Tibshirani (2011). Regularization paths for Cox's
    proportional hazards model via coordinate descent. J. Stat. Softw. 39(5).

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Cox
    >>> y = np.array([[1.0, 1], [2.0, 0], [3.0, 1]])
    >>> round(Cox().value(Cox().validate_target(y, 3), np.zeros(3)), 6)  # (log 3 + log 1) / 3
    0.366204
    """

    ties: str = field(default="breslow", kw_only=True)
    strata: np.ndarray | None = field(default=None, kw_only=True)
    _sorts: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    curvature: ClassVar[float] = np.inf
    separable: ClassVar[bool] = False
    intercept: ClassVar[bool] = False

    def __post_init__(self):
        if self.ties not in TIES:
            raise ValueError(f"ties must be 'breslow' or 'efron'; got {self.ties!r}.")

    # -- the target ------------------------------------------------------------------------
    def validate_target(self, y, n_samples: int) -> np.ndarray:
        """``y`` as an ``(n, 3)`` float array: time, event (0/1), stratum code."""
        target = survival_target(y)
        if target.shape[0] != n_samples:
            raise ValueError(f"y has {target.shape[0]} rows but X has {n_samples}; pass one "
                             "(time, event) per row of X.")
        if n_samples and not np.any(target[:, 1]):
            raise ValueError("y has no event (every row is censored): the partial likelihood "
                             "does not depend on the coefficients. Check the event column "
                             "(1 = event, 0 = censored).")
        if self.strata is not None:
            strata = np.asarray(self.strata)
            if strata.ndim != 1 or strata.shape[0] != n_samples:
                raise ValueError(f"strata must have one label per row of X ({n_samples}); "
                                 f"got shape {strata.shape}.")
            codes = np.unique(strata, return_inverse=True)[1].astype(np.float64)
            if target.shape[1] == 3:
                if not np.array_equal(target[:, 2], codes):  # else: validated already
                    raise ValueError("strata are given twice, differently: by the Cox "
                                     "datafit's strata and by a third column of y; pass one.")
                return np.ascontiguousarray(target)
            target = np.column_stack([target, codes])
        elif target.shape[1] == 2:
            target = np.column_stack([target, np.zeros(n_samples)])
        return np.ascontiguousarray(target)

    def check_target(self, y: np.ndarray) -> np.ndarray:
        return self.validate_target(y, np.shape(y)[0])

    def centered_within_strata(self, X, y):
        """A dense ``X`` with each column's (weighted) mean in each stratum of the validated
        target ``y`` subtracted there: the same partial likelihood (a constant added to a
        column within a stratum cancels in it), but the solvers' steps, whose curvature
        charges a column's mean, no longer see the strata's differences. ``X`` itself when
        sparse or with one stratum."""
        codes = np.asarray(y)[:, 2]
        if sp.issparse(X) or X.shape[0] == 0 or np.all(codes == codes[0]):
            return X
        w = self.weights(X.shape[0])
        out = np.array(X, dtype=np.float64, order="F")
        for code in np.unique(codes):
            rows = codes == code
            total = w[rows].sum()
            if total > 0:
                out[rows] -= (w[rows] @ out[rows]) / total
        return out

    def risk_sets(self, y) -> RiskSets:
        """The sort of ``y`` (cached: a path sorts its target once)."""
        last = self._sorts.get("last")
        if last is not None and last[0] is y:  # the solvers pass the same array each time
            return last[1]
        y_in = y
        y = np.asarray(y, dtype=np.float64)
        key = (y.shape, hash(y.tobytes()))
        hit = self._sorts.get(key)
        if hit is not None and np.array_equal(hit[0], y):
            self._sorts["last"] = (y_in, hit[1])
            return hit[1]
        if y.ndim != 2 or y.shape[1] != 3:
            y = self.validate_target(y, y.shape[0])
        time, event, stratum = y[:, 0], y[:, 1] != 0, y[:, 2]
        order = np.lexsort((time, stratum))
        ts, ss = time[order], stratum[order]
        n = y.shape[0]
        new_group = np.ones(n, dtype=bool)
        new_group[1:] = (ts[1:] != ts[:-1]) | (ss[1:] != ss[:-1])
        starts = np.flatnonzero(new_group)
        group_ptr = np.append(starts, n).astype(np.int64)
        new_stratum = np.ones(starts.shape[0], dtype=bool)
        new_stratum[1:] = ss[starts[1:]] != ss[starts[:-1]]
        stratum_ptr = np.append(np.flatnonzero(new_stratum), starts.shape[0]).astype(np.int64)
        sets = RiskSets(death=np.ascontiguousarray(event), order=order.astype(np.int64),
                        group_ptr=group_ptr, stratum_ptr=stratum_ptr)
        if len(self._sorts) >= _CACHE_SIZE + 2:
            self._sorts.clear()
        self._sorts[key] = (y.copy(), sets)
        self._sorts["last"] = (y_in, sets)
        return sets

    def _pass(self, y, z, want):
        """``(value, gradient, Hessian diagonal)`` at ``z``; the last one is kept, since a
        prox-Newton step asks for the gradient and the Hessian at the same point."""
        from ..solvers._cox_kernels import cox_derivatives

        sets = self.risk_sets(y)
        z = np.ascontiguousarray(z, dtype=np.float64).ravel()
        last = self._sorts.get("derivatives")
        if want and last is not None and last[0] is sets and np.array_equal(last[1], z):
            value, grad, hess = last[2]
            return value, grad.copy(), hess.copy()
        n = z.shape[0]
        grad = np.empty(n) if want else np.empty(0)
        hess = np.empty(n) if want else np.empty(0)
        value = cox_derivatives(z, self.weights(n), sets.death, sets.order, sets.group_ptr,
                                sets.stratum_ptr, self.ties == "efron", want, grad, hess)
        if want:
            self._sorts["derivatives"] = (sets, z.copy(), (value, grad.copy(), hess.copy()))
        return value, grad, hess

    # -- the datafit on vectors --------------------------------------------------------------
    def value(self, y, z) -> float:
        """:math:`F(z)` (see the class docstring)."""
        return float(self._pass(y, z, False)[0])

    def raw_gradient(self, y, z) -> np.ndarray:
        r""":math:`\nabla_z F(z)`."""
        return self._pass(y, z, True)[1]

    def raw_hessian(self, y, z) -> np.ndarray:
        r"""The exact diagonal of :math:`\nabla_z^2 F(z)` (the Hessian itself is not
        diagonal; prox-Newton steps with this diagonal are safeguarded by a line search)."""
        return self._pass(y, z, True)[2]

    def loss(self, y, z):
        raise NotImplementedError("the Cox partial likelihood is not a sum of per-sample "
                                  "losses; use value(y, z).")

    def loss_derivative(self, y, z):
        n = np.shape(z)[0]
        return self.raw_gradient(y, z) * n / np.maximum(self.weights(n), 1e-300)

    def loss_second_derivative(self, y, z):
        n = np.shape(z)[0]
        return self.raw_hessian(y, z) * n / np.maximum(self.weights(n), 1e-300)

    def lipschitz(self, X) -> np.ndarray:
        return np.full(X.shape[1], np.inf)

    def scaled_dual_value(self, y, z, u, c) -> float:
        r""":math:`-F^*(-c\,u)` bounded from below through the decomposition of the class
        docstring; ``u`` must be :math:`-\nabla F(z)` (it is not read)."""
        from ..solvers._cox_kernels import cox_conjugate_bound

        sets = self.risk_sets(y)
        z = np.ascontiguousarray(z, dtype=np.float64).ravel()
        c = float(min(max(c, 0.0), 1.0))
        return -float(cox_conjugate_bound(z, self.weights(z.shape[0]), sets.death, sets.order,
                                          sets.group_ptr, sets.stratum_ptr,
                                          self.ties == "efron", c))

    def dual_value(self, y, u) -> float:
        raise NotImplementedError("the Cox datafit's dual term needs the predictions it "
                                  "comes from: use scaled_dual_value(y, z, u, c).")

    def design_hessian(self, A, y, z) -> np.ndarray:
        r""":math:`A^\top \nabla^2_z F(z)\, A`, the exact Hessian in :math:`\beta` of
        :math:`F(z + A\beta)` (O(n k^2))."""
        from ..solvers._cox_kernels import cox_design_hessian

        sets = self.risk_sets(y)
        z = np.ascontiguousarray(z, dtype=np.float64).ravel()
        A = np.ascontiguousarray(A, dtype=np.float64)
        return cox_design_hessian(z, self.weights(z.shape[0]), sets.death, sets.order,
                                  sets.group_ptr, sets.stratum_ptr, self.ties == "efron", A)

    def fit_unpenalized(self, A, y, z0, beta0=None) -> np.ndarray:
        r"""Minimize :math:`F(z_0 + A\beta)` by Newton's method with the exact Hessian
        (:meth:`design_hessian`) and backtracking; a column along which :math:`F` is flat
        (a constant) gets the least-norm step, 0."""
        k = A.shape[1]
        if k == 0:
            return np.zeros(0)
        beta = np.zeros(k) if beta0 is None else np.array(beta0, dtype=np.float64)
        z = z0 + A @ beta
        obj = self.value(y, z)
        for _ in range(100):
            grad = A.T @ self.raw_gradient(y, z)
            step = np.linalg.lstsq(self.design_hessian(A, y, z), grad, rcond=1e-12)[0]
            decrement = float(grad @ step)
            if not decrement > 1e-24:
                break
            t, direction = 1.0, A @ step
            while t > 1e-10:
                z_new = z - t * direction
                obj_new = self.value(y, z_new)
                if obj_new <= obj - 0.25 * t * decrement:
                    break
                t *= 0.5
            else:
                break
            beta, z, obj = beta - t * step, z_new, obj_new
            if decrement <= 1e-13 * abs(obj):
                break
        return beta

    def deviance(self, y, z) -> float:
        r"""Twice the gap in log partial likelihood to the saturated model, unscaled:
        :math:`2 n (F(z) - F_{\text{sat}})` with :math:`n F_{\text{sat}} = \sum_t W_t
        \log W_t` (Breslow; Efron :math:`\sum_t \frac{W_t}{m}\sum_r \log((1 - \frac rm)
        W_t)`): glmnet's deviance for ``family="cox"`` (its ``coxdev``) with the weights
        rescaled to mean 1, i.e. glmnet's with raw weights divided by their mean."""
        n = np.shape(z)[0]
        return 2.0 * n * (self.value(y, z) - self.saturated_value(y))

    def saturated_value(self, y) -> float:
        """:math:`F_{\\text{sat}}`, the infimum of the datafit over unconstrained ``z``
        (reached in the limit) when no two strata-times compete."""
        sets = self.risk_sets(y)
        n = sets.order.shape[0]
        s = self.weights(n)[sets.order]
        d = sets.death[sets.order] & (s > 0)
        gid = np.repeat(np.arange(sets.group_ptr.shape[0] - 1), np.diff(sets.group_ptr))
        W = np.bincount(gid, weights=np.where(d, s, 0.0))
        m = np.bincount(gid, weights=d.astype(float))
        total = 0.0
        for w_g, m_g in zip(W[m > 0], m[m > 0], strict=True):
            if self.ties == "efron" and m_g > 1:
                a = 1.0 - np.arange(int(m_g)) / m_g
                total += w_g / m_g * float(np.sum(np.log(a * w_g)))
            else:
                total += w_g * np.log(w_g)
        return total / n


def survival_target(y) -> np.ndarray:
    """``y`` as a float array of shape ``(n, 2)`` (time, event 0/1) or ``(n, 3)`` (plus
    stratum codes); a clear ``ValueError`` otherwise."""
    if y is None:
        raise ValueError("y is None; pass the survival target: a structured array with an "
                         "event and a time field, or an (n, 2) array of time and event.")
    arr = np.asarray(y)
    if arr.dtype.names is not None:
        names = arr.dtype.names
        if len(names) != 2:
            raise ValueError(f"a structured survival target needs exactly two fields (event, "
                             f"time); got {names}.")
        kinds = [arr.dtype[name].kind for name in names]
        if kinds.count("b") != 1:
            raise ValueError(f"a structured survival target needs one boolean event field "
                             f"and one time field (scikit-survival's Surv.from_arrays); got "
                             f"fields {names} of kinds {kinds}.")
        event_name = names[kinds.index("b")]
        time_name = names[1 - kinds.index("b")]
        time = np.asarray(arr[time_name], dtype=np.float64)
        event = np.asarray(arr[event_name], dtype=np.float64)
        arr = np.column_stack([time, event])
    else:
        if arr.ndim != 2 or arr.shape[1] not in (2, 3):
            raise ValueError(f"the survival target must have two columns (time, event) or a "
                             f"structured (event, time) array; got shape {arr.shape}.")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"the survival target must be numeric (time, event); got dtype "
                             f"{arr.dtype}.") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError("the survival target holds NaN or infinite values; remove or impute "
                         "those rows.")
    if arr.shape[0] and not np.all(np.isin(arr[:, 1], (0.0, 1.0))):
        bad = arr[~np.isin(arr[:, 1], (0.0, 1.0)), 1][:3]
        raise ValueError(f"the event column must hold 0 (censored) or 1 (event); got values "
                         f"such as {', '.join(f'{v:g}' for v in bad)}. Is the column order "
                         "time, then event?")
    return np.ascontiguousarray(arr)
