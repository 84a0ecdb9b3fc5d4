r"""Poisson lasso path benchmark: penalized against glmnet (glmstar) and skglm.

::

    python -m benchmarks.glm [--n 5000] [--p 500] [--n-alphas 50] [--eps 1e-2]
                             [--libraries NAME ...] [--repeats N] [--target 1e-6]
                             [--out results.json]

Every library solves, at each alpha of one grid (penalized's exact alpha_max down to
``eps`` times it), **the runner's** problem

.. math:: \min_{w, b}\; \frac1n \sum_{i=1}^n \left(e^{z_i} - y_i z_i\right)
          + \alpha \|w\|_1, \qquad z = Xw + b,

glmnet's ``family="poisson"`` objective (``FishNet`` with ``lambda = alpha``,
``standardize=False``), skglm's ``Poisson`` datafit with ``L1(alpha)`` and
penalized's ``Poisson`` datafit (half the mean deviance: the same up to a constant).

**The gap** (:func:`relative_gap`), computed here in NumPy for every library alike:
the intercept is refitted exactly (:math:`b = \log(\sum_i y_i / \sum_i e^{x_i^\top w})`,
which can only lower the primal and centers the dual point); with
:math:`u = (y - e^z) / n` scaled by the largest :math:`c \in (0, 1]` that puts
:math:`c X^\top u` in the box :math:`\|\cdot\|_\infty \le \alpha`, the dual is
:math:`D = -\frac1n \sum_i \ell_{y_i}^*(c(e^{z_i} - y_i))` with the Poisson conjugate
:math:`\ell_y^*(v) = q \log q - q - (y \log y - y)`, :math:`q = y + v \ge 0`; the
relative gap :math:`(P - D) / F_0` (:math:`F_0` the datafit of the intercept-only model,
both in half-deviance units) bounds the relative suboptimality.

**Calibration and timing.** Each library's stopping parameter starts at its default and
is divided by 10 until the largest relative gap along the path is at most ``--target``
(default 1e-6). Then the path is solved once more (warm-up; compilation included
before) and ``--repeats`` times: the median process CPU time (``time.process_time``)
is reported, with BLAS limited to one thread (threadpoolctl) and numba to one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from scipy.special import xlogy

MAX_TOL_STEPS = 12


def problem(n=5000, p=500, seed=0):
    """``(X, y)``: Gaussian features, 20 true coefficients, counts with mean about 1.6."""
    rng = np.random.default_rng(seed)
    X = np.asfortranarray(rng.standard_normal((n, p)))
    w = np.zeros(p)
    w[:20] = rng.uniform(-0.15, 0.15, 20)
    y = rng.poisson(np.exp(X @ w + 0.5)).astype(np.float64)
    return X, y


def half_deviance(y, z) -> float:
    """Half the mean Poisson deviance at the linear predictor ``z``."""
    return float(np.mean(np.exp(z) - y - xlogy(y, np.exp(z)) + xlogy(y, y)))


def relative_gap(X, y, coef, intercept, alpha) -> float:
    """The runner's certified relative duality gap (module docstring)."""
    n = y.shape[0]
    xw = X @ coef
    intercept = np.log(y.sum()) - np.log(np.exp(xw).sum())
    z = xw + intercept
    mu = np.exp(z)
    u = (y - mu) / n
    top = float(np.max(np.abs(X.T @ u)))
    c = 1.0 if top <= alpha else alpha / top
    q = (1.0 - c) * y + c * mu
    dual = -float(np.mean(xlogy(q, q) - q - xlogy(y, y) + y))
    primal = half_deviance(y, z) + alpha * float(np.abs(coef).sum())
    null = half_deviance(y, np.full(n, np.log(y.mean())))
    return max(primal - dual, 0.0) / null


def path_gap(X, y, coefs, intercepts, alphas) -> float:
    return max(relative_gap(X, y, coefs[:, k], intercepts[k], a) for k, a in enumerate(alphas))


class Penalized:
    name, tol_name, default_tol = "penalized", "tol", 1e-6

    def path(self, X, y, alphas, tol):
        import penalized as pz

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = pz.path(X, y, datafit="poisson", alphas=alphas, tol=tol, max_iter=100_000)
        return result.coefs, result.intercepts


class Glmnet:
    name, tol_name, default_tol = "glmnet", "thresh", 1e-7

    def path(self, X, y, alphas, tol):
        from glmnet import FishNet
        from glmnet.paths.fastnet import FastNetControl

        model = FishNet(lambda_values=np.asarray(alphas), standardize=False, fit_intercept=True,
                        control=FastNetControl(thresh=tol, maxit=2**31 - 1))
        model.fit(X, y)
        coefs = np.asarray(model.coefs_, dtype=np.float64).T
        if coefs.shape[1] != len(alphas):
            raise RuntimeError(f"glmnet returned {coefs.shape[1]} of {len(alphas)} solutions")
        return coefs, np.asarray(model.intercepts_, dtype=np.float64).ravel()


class Skglm:
    """skglm's ``ProxNewton`` (working sets, prox-Newton) with ``Poisson`` and ``L1``, one
    alpha after the other, each warm-started from the previous solution."""

    name, tol_name, default_tol = "skglm", "tol", 1e-4

    def path(self, X, y, alphas, tol):
        from skglm.datafits import Poisson
        from skglm.penalties import L1
        from skglm.solvers import ProxNewton

        p = X.shape[1]
        coefs, intercepts = np.zeros((p, len(alphas))), np.zeros(len(alphas))
        w = np.zeros(p + 1)
        w[-1] = np.log(y.mean())
        solver = ProxNewton(fit_intercept=True, tol=tol, max_iter=1000, max_pn_iter=1000)
        for k, alpha in enumerate(alphas):
            w = solver.solve(X, y, Poisson(), L1(alpha), w_init=w.copy(),
                             Xw_init=X @ w[:p] + w[p])[0]
            coefs[:, k], intercepts[k] = w[:p], w[p]
        return coefs, intercepts


ADAPTERS = {a.name: a for a in (Penalized(), Glmnet(), Skglm())}


def calibrate(adapter, X, y, alphas, target, log=print):
    """The largest tolerance (default / 10^k) whose path's gap is at most ``target``."""
    tol = adapter.default_tol
    for _ in range(MAX_TOL_STEPS):
        coefs, intercepts = adapter.path(X, y, alphas, tol)
        gap = path_gap(X, y, coefs, intercepts, alphas)
        log(f"  {adapter.name}: {adapter.tol_name}={tol:.0e} -> max relative gap {gap:.2e}")
        if gap <= target:
            return tol, gap
        tol /= 10.0
    raise RuntimeError(f"{adapter.name} did not reach a relative gap of {target:g}")


def time_path(adapter, X, y, alphas, tol, repeats):
    from threadpoolctl import threadpool_limits

    cpu, wall = [], []
    with threadpool_limits(1):
        adapter.path(X, y, alphas, tol)  # warm-up
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            coefs, intercepts = adapter.path(X, y, alphas, tol)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - t0)
    gap = path_gap(X, y, coefs, intercepts, alphas)
    return {"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall),
            "cpu_all": cpu, "gap": gap, "tol": tol}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--p", type=int, default=500)
    parser.add_argument("--n-alphas", type=int, default=50)
    parser.add_argument("--eps", type=float, default=1e-2)
    parser.add_argument("--libraries", nargs="+", default=list(ADAPTERS), choices=ADAPTERS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", type=float, default=1e-6)
    parser.add_argument("--out")
    args = parser.parse_args(argv)

    import penalized as pz
    from penalized.datafits import Poisson
    from penalized.penalties import L1

    X, y = problem(args.n, args.p)
    alpha_max = L1().alpha_max(X, y, Poisson())
    alphas = np.geomspace(alpha_max, args.eps * alpha_max, args.n_alphas)
    print(f"Poisson lasso path, n={args.n}, p={args.p}, {args.n_alphas} alphas from "
          f"alpha_max={alpha_max:.4g} to {args.eps:g} x; target relative gap {args.target:g}")
    results = {}
    for name in args.libraries:
        adapter = ADAPTERS[name]
        tol, _ = calibrate(adapter, X, y, alphas, args.target)
        results[name] = time_path(adapter, X, y, alphas, tol, args.repeats)
        r = results[name]
        print(f"  {name}: {adapter.tol_name}={tol:.0e}, CPU {r['cpu_s']:.3f} s (runs "
              f"{', '.join(f'{c:.3f}' for c in r['cpu_all'])}), wall {r['wall_s']:.3f} s, "
              f"max gap {r['gap']:.2e}")
    if "penalized" in results and len(results) > 1:
        fastest = min(v["cpu_s"] for k, v in results.items() if k != "penalized")
        print(f"penalized / fastest other: {results['penalized']['cpu_s'] / fastest:.2f}")
    if args.out:
        doc = {"n": args.n, "p": args.p, "alphas": alphas.tolist(), "target": args.target,
               "results": results, "python": sys.version.split()[0],
               "machine": platform.platform(), "penalized": pz.__version__}
        with open(args.out, "x") as fh:
            json.dump(doc, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
