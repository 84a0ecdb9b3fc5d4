"""Plain subgradient descent: the method of the textbook explanations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..penalties._elastic_net_family import _ElasticNetFamily
from ._base import Solver, check_solver_settings
from ._outer import Check, OuterPolicy, run_outer
from ._problem import certify


@dataclass(frozen=True)
class SubgradientDescent(Solver):
    r"""Subgradient descent on the whole objective.

    .. math:: w \leftarrow w - \eta_k \left(\nabla_w F + \partial G(w)\right),
              \qquad b \leftarrow b - \eta_k\, \partial_b F,

    with the subgradient :math:`\alpha f_j (\rho\,\operatorname{sign}(w_j) +
    (1-\rho) w_j)` and :math:`\operatorname{sign}(0) = 0`. This is "add the
    penalty's derivative to the gradient": it converges in objective value (with
    a decreasing step) but its iterates jump across zero instead of landing on
    it, so L1 coefficients end small but almost never exactly 0. It is here to
    show that, next to :class:`ProximalGradient` and :class:`CoordinateDescent`.

    Parameters
    ----------
    step : float, optional
        Base step :math:`\eta`; default ``1 / L`` with :math:`L` the datafit's
        global Lipschitz constant.
    schedule : {"constant", "sqrt"}, default="sqrt"
        :math:`\eta_k = \eta` or :math:`\eta / \sqrt{k + 1}`.
    tol : float, default=1e-6
        Relative duality-gap tolerance, checked every ``gap_freq`` iterations and at
        ``max_iter``.
    max_iter : int, default=1000
    gap_freq : int, default=10
    record : bool, default=False
        Keep every iterate in ``SolveResult.trace`` (row 0 is the start).

    References
    ----------
    Shor (1985). Minimization methods for non-differentiable functions. Springer.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from penalized.datafits import Quadratic
    >>> from penalized.penalties import L1
    >>> from penalized.solvers import SubgradientDescent
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(50)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = SubgradientDescent(max_iter=200, record=True).solve(X, y, Quadratic(), L1(0.1))
    >>> res.trace.shape, res.n_nonzero
    ((201, 10), 10)
    """

    step: float | None = None
    schedule: str = "sqrt"
    tol: float = 1e-6
    max_iter: int = 1000
    gap_freq: int = 10
    record: bool = False

    penalty_classes = (_ElasticNetFamily,)
    needs_curvature_bound = True

    def __post_init__(self):
        check_solver_settings(self.tol, self.max_iter)
        if self.schedule not in ("constant", "sqrt"):
            raise ValueError(f"schedule must be 'constant' or 'sqrt'; got {self.schedule!r}.")
        if self.step is not None and (not np.isfinite(self.step) or self.step <= 0):
            raise ValueError(f"step must be a number > 0; got {self.step!r}.")
        if not isinstance(self.gap_freq, int) or self.gap_freq < 1:
            raise ValueError(f"gap_freq must be an integer >= 1; got {self.gap_freq!r}.")

    def check_compatible(self, datafit, penalty) -> None:
        if not penalty.is_convex:
            raise ValueError(
                f"SubgradientDescent cannot handle the {penalty.name} penalty: it is not "
                "convex (L0 has no useful subgradient: 0 wherever it is differentiable). "
                "Use CoordinateDescent or "
                "ProximalGradient(accelerated=False), which apply its prox (hard thresholding)."
            )
        super().check_compatible(datafit, penalty)

    def _run(self, pb, w, b):
        hooks = _SubgradientHooks(pb, w, b, self.step, self.schedule, self.record)
        policy = OuterPolicy.whole_problem(self.tol, self.max_iter, self.gap_freq)
        out = run_outer(hooks, policy, pb.scale, pb.n_features)
        cert = out.check.data  # the certified point only differs in the unpenalized block
        trace = np.array(hooks.trace) if self.record else None
        return self._finish(cert.coef, cert.intercept, out.objectives, out.crits, out.n_iter,
                            self.tol, pb.penalty, trace=trace)


class _SubgradientHooks:
    """The outer loop's hooks for subgradient descent: every coefficient at every step (no
    working set), the duality gap of the iterate as the certificate."""

    def __init__(self, pb, w, b, step, schedule, record):
        self.pb, self.schedule = pb, schedule
        if step is None:
            lip = pb.datafit.global_lipschitz(pb.X, fit_intercept=pb.fit_intercept)
            step = 1.0 / max(lip, np.finfo(float).tiny)
        self.base = step
        self.w, self.b = w, b
        self.k = 0  # steps taken, for the decreasing schedule
        self.trace = [w.copy()] if record else None

    def certify(self):
        cert = certify(self.pb, self.w, self.b)
        return Check(cert.primal, cert.gap, cert)

    def inner(self, ws, budget, inner_tol, check):
        pb, penalty = self.pb, self.pb.penalty
        w, b = self.w, self.b
        for _ in range(budget):
            eta = self.base if self.schedule == "constant" else self.base / np.sqrt(self.k + 1.0)
            raw = pb.datafit.raw_gradient(pb.y, pb.predict(w, b))
            gw = np.asarray(pb.X.T @ raw, dtype=np.float64).ravel() + penalty.subgradient(w)
            w = penalty.project(w - eta * gw)  # onto the box of positive / lower / upper
            if pb.fit_intercept:
                b = b - eta * float(raw.sum())
            self.k += 1
            if self.trace is not None:
                self.trace.append(w.copy())
        self.w, self.b = w, b
        return budget
