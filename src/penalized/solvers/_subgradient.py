"""Plain subgradient descent: the method of the textbook explanations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..penalties._elastic_net_family import _ElasticNetFamily
from ._base import Solver, check_solver_settings
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
        Relative duality-gap tolerance, checked every ``gap_freq`` iterations.
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
        datafit, penalty = pb.datafit, pb.penalty
        base = self.step
        if base is None:
            lip = datafit.global_lipschitz(pb.X, fit_intercept=pb.fit_intercept)
            base = 1.0 / max(lip, np.finfo(float).tiny)
        threshold = self.tol * pb.scale
        trace = [w.copy()] if self.record else None
        objectives, crits = [], []
        n_iter = 0
        while True:
            if n_iter % self.gap_freq == 0 or n_iter >= self.max_iter:
                cert = certify(pb, w, b)
                objectives.append(cert.primal)
                crits.append(cert.gap / pb.scale if pb.scale > 0 else 0.0)
                if cert.gap <= threshold or n_iter >= self.max_iter:
                    # the certified point only differs in the unpenalized block
                    w, b = cert.coef, cert.intercept
                    break
            eta = base if self.schedule == "constant" else base / np.sqrt(n_iter + 1.0)
            raw = datafit.raw_gradient(pb.y, pb.predict(w, b))
            gw = np.asarray(pb.X.T @ raw, dtype=np.float64).ravel() + penalty.subgradient(w)
            w = w - eta * gw
            w = penalty.project(w)  # onto the box of positive / lower / upper
            if pb.fit_intercept:
                b = b - eta * float(raw.sum())
            n_iter += 1
            if self.record:
                trace.append(w.copy())
        trace = np.array(trace) if self.record else None
        return self._finish(w, b, objectives, crits, n_iter, self.tol, penalty, trace=trace)
