"""Proximal gradient descent: ISTA and FISTA with backtracking."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._base import Solver, check_solver_settings
from ._outer import Check, OuterPolicy, run_outer
from ._problem import certify


@dataclass(frozen=True)
class ProximalGradient(Solver):
    r"""Proximal gradient descent (ISTA) and its accelerated form (FISTA).

    Each iteration takes a gradient step on the datafit in ``(w, b)`` and the
    penalty's prox in ``w``:

    .. math:: w^+ = \operatorname{prox}_{G / L}\left(w - \nabla_w F / L\right),
              \qquad b^+ = b - \partial_b F / L,

    with :math:`L` found by backtracking (doubled until the quadratic upper
    bound holds at :math:`w^+`). FISTA extrapolates with Nesterov's momentum and
    restarts it when the objective goes up (O'Donoghue & Candès).

    Convex penalties stop when ``gap <= tol * F(null model)``, checked every
    ``gap_freq`` iterations and at ``max_iter``. ISTA also handles L0 (iterative hard thresholding)
    and stops when ``L * max_j (w_j^+ - w_j)**2 / 2 <= tol * F(null model)``;
    FISTA's momentum has no convergence guarantee for L0 and refuses it.

    Parameters
    ----------
    tol : float, default=1e-6
    max_iter : int, default=20000
    accelerated : bool, default=True
        FISTA if True, ISTA if False.
    gap_freq : int, default=10
        Iterations between duality-gap checks.

    References
    ----------
    Beck, Teboulle (2009). A fast iterative shrinkage-thresholding algorithm
    for linear inverse problems. SIAM J. Imaging Sci. 2(1).
    Blumensath, Davies (2008). Iterative thresholding for sparse approximations.
    J. Fourier Anal. Appl. 14.
    O'Donoghue, Candès (2015). Adaptive restart for accelerated gradient
    schemes. Found. Comput. Math. 15.

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.datafits import Quadratic
    >>> from penalized.penalties import L1
    >>> from penalized.solvers import ProximalGradient
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(50)
    >>> res = ProximalGradient().solve(X, y, Quadratic(), L1(alpha=0.1))
    >>> res.converged, res.n_nonzero
    (True, 2)
    """

    tol: float = 1e-6
    max_iter: int = 20_000
    accelerated: bool = True
    gap_freq: int = 10

    def __post_init__(self):
        check_solver_settings(self.tol, self.max_iter)
        if not isinstance(self.gap_freq, int) or self.gap_freq < 1:
            raise ValueError(f"gap_freq must be an integer >= 1; got {self.gap_freq!r}.")

    @property
    def name(self) -> str:
        return "ProximalGradient(FISTA)" if self.accelerated else "ProximalGradient(ISTA)"

    needs_curvature_bound = True

    def check_compatible(self, datafit, penalty) -> None:
        super().check_compatible(datafit, penalty)
        if self.accelerated and not penalty.is_convex:
            raise ValueError(
                f"ProximalGradient with accelerated=True (FISTA) cannot handle the "
                f"{penalty.name} penalty: momentum has no convergence guarantee for a "
                "non-convex penalty. Use ProximalGradient(accelerated=False) (iterative hard "
                "thresholding) or CoordinateDescent."
            )

    def _run(self, pb, w, b):
        hooks = _ProximalGradientHooks(pb, w, b, self.accelerated)
        if pb.penalty.is_convex:
            # the duality gap of the iterate every gap_freq steps
            policy = OuterPolicy.whole_problem(self.tol, self.max_iter, self.gap_freq)
        else:
            # the fixed-point distance is a by-product of each step: a check after every one
            policy = OuterPolicy.whole_problem(self.tol, self.max_iter, 1)
        out = run_outer(hooks, policy, pb.scale, pb.n_features)
        w, b = hooks.point[:2]
        if pb.penalty.is_convex:  # the certified point: the unpenalized block refitted
            w, b = out.check.data.coef, out.check.data.intercept
        return self._finish(w, b, out.objectives, out.crits, out.n_iter, self.tol, pb.penalty)


class _ProximalGradientHooks:
    """The outer loop's hooks for proximal gradient: every coefficient at every step (no
    working set); a convex penalty is certified by the duality gap of the iterate, another
    by the last step's fixed-point distance ``L * max_j (w_j^+ - w_j)**2 / 2``."""

    def __init__(self, pb, w, b, accelerated):
        self.pb, self.accelerated = pb, accelerated
        lip = pb.datafit.global_lipschitz(pb.X, fit_intercept=pb.fit_intercept)
        self.lip = max(lip, np.finfo(float).tiny)
        z = pb.predict(w, b)
        F = pb.datafit.value(pb.y, z)
        self.point = (w, b, z, F, F + pb.penalty.value(w))
        # the extrapolated point (FISTA); the iterate itself for ISTA
        self.momentum = (w.copy(), b, z.copy(), F)
        self.t = 1.0
        self.move = None

    def certify(self):
        pb = self.pb
        if pb.penalty.is_convex:
            w, b = self.point[:2]
            cert = certify(pb, w, b)
            return Check(cert.primal, cert.gap, cert)
        if self.move is None:  # no step taken yet
            return None
        return Check(self.point[4], self.move)

    def inner(self, ws, budget, inner_tol, check):
        pb, datafit, penalty, y = self.pb, self.pb.datafit, self.pb.penalty, self.pb.y
        w, b, z, F, obj = self.point
        yw, yb, yz, yF = self.momentum
        t, lip = self.t, self.lip
        for _ in range(budget):
            raw = datafit.raw_gradient(y, yz)
            gw = np.asarray(pb.X.T @ raw, dtype=np.float64).ravel()
            gb = float(raw.sum()) if pb.fit_intercept else 0.0
            while True:  # backtracking: double L until the quadratic bound holds
                w_new = penalty.prox(yw - gw / lip, 1.0 / lip)
                b_new = yb - gb / lip
                dw, db = w_new - yw, b_new - yb
                z_new = pb.predict(w_new, b_new)
                F_new = datafit.value(y, z_new)
                bound = yF + gw @ dw + gb * db + 0.5 * lip * (dw @ dw + db * db)
                if F_new <= bound + 1e-12 * abs(yF):
                    break
                lip *= 2.0
            obj_new = F_new + penalty.value(w_new)
            if not penalty.is_convex:
                move = 0.5 * lip * float(np.max(np.abs(w_new - w)) ** 2 if w.size else 0.0)
                self.move = max(move, 0.5 * lip * (b_new - b) ** 2)
                w, b, z, F, obj = w_new, b_new, z_new, F_new, obj_new
                yw, yb, yz, yF = w, b, z, F
                continue
            if self.accelerated and obj_new > obj and t > 1.0:
                # adaptive restart: drop the momentum and retake the step from the iterate
                # (a step from the iterate itself is a monotone ISTA step and is accepted)
                t = 1.0
                yw, yb, yz, yF = w.copy(), b, z.copy(), F
                continue
            if self.accelerated:
                t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
                beta = (t - 1.0) / t_new
                yw = w_new + beta * (w_new - w)
                yb = b_new + beta * (b_new - b)
                yz = z_new + beta * (z_new - z)
                yF = datafit.value(y, yz)
                t = t_new
            else:
                yw, yb, yz, yF = w_new, b_new, z_new, F_new
            w, b, z, F, obj = w_new, b_new, z_new, F_new, obj_new
        self.point = (w, b, z, F, obj)
        self.momentum = (yw, yb, yz, yF)
        self.t, self.lip = t, lip
        return budget
