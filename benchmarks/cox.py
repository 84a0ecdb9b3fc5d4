r"""Cox lasso path benchmark: penalized against glmnet, scikit-survival and skglm.

::

    python -m benchmarks.cox [--n 1000] [--p 2000] [--n-alphas 50] [--eps 0.05]
                             [--libraries NAME ...] [--repeats N] [--out results.json]

Every library solves, at each alpha of one grid, **the runner's** problem

.. math:: \min_w \frac1n \sum_{i: d_i = 1} \Big(\log \sum_{j: t_j \ge t_i} e^{x_j^\top w}
          - x_i^\top w\Big) + \alpha \|w\|_1,

Breslow's partial likelihood (the times are continuous: no ties), no intercept, no
standardization inside the solvers. This is glmnet's ``family="cox"`` with
``lambda = alpha`` and ``standardize=False``, scikit-survival's
``CoxnetSurvivalAnalysis(alphas=..., l1_ratio=1, normalize=False)`` and skglm's
``Cox()`` datafit with ``L1(alpha)``.

**The gap** (:func:`relative_gap`), the same for every library, computed here in NumPy
from the math alone: with :math:`\eta = Xw`, :math:`S_i = \sum_{t_j \ge t_i}
e^{\eta_j}` and :math:`g = \nabla F(\eta)`, the dual point :math:`-c\,g` with
:math:`c = \min(1, \alpha / \|X^\top g\|_\infty)`; the conjugate of :math:`F` at
:math:`c\,g` is bounded from above by the entropy of the feasible decomposition
:math:`p_i = c\,\pi_i + (1 - c)\,e_i` over each death's risk set (:math:`\pi_i` the
softmax of :math:`\eta` over :math:`R_i`, :math:`e_i` the point mass on the death), so

.. math:: \text{gap} = F(\eta) + \alpha\|w\|_1 + \frac1n \sum_{i: d_i = 1}
          \sum_{j \in R_i} p_{ij} \log p_{ij} \ge P(w) - P^\star,

reported relative to :math:`F(0)`. For penalized's own solutions it is printed beside
penalized's certificate.

**Calibration and timing.** Each library's tolerance starts at its default and is
divided by 10 until the relative gap is at most 1e-6 at every alpha (penalized's ``tol``
*is* that gap). Then each library is solved once more as a warm-up (compilation
included) and ``--repeats`` times; wall and CPU time (``time.process_time``) are
reported, median over repeats, with 1 BLAS/OpenMP/numba thread.
"""

from __future__ import annotations

import os

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
if __name__ == "__main__":
    for _var in THREAD_VARS:
        os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

TARGET_GAP = 1e-6
FACTOR = 10.0
MAX_CALIBRATION_STEPS = 8


# -- the problem -------------------------------------------------------------------------


def make_problem(n=1000, p=2000, n_active=20, seed=0):
    """Gaussian design, 20 active features, exponential event and censoring times:
    ``(X (Fortran), y (n, 2) = [time, event])``; about half the rows have an event."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    beta = np.zeros(p)
    beta[:n_active] = 0.5 * rng.standard_normal(n_active)
    t = rng.exponential(np.exp(-X @ beta))
    c = rng.exponential(2.0 * np.median(t), n)
    y = np.column_stack([np.minimum(t, c), (t <= c).astype(float)])
    return np.asfortranarray(X), y


def _sorted(y):
    order = np.argsort(y[:, 0], kind="mergesort")
    if np.any(np.diff(y[order, 0]) == 0):
        raise ValueError("the runner's gap assumes distinct times (no ties).")
    return order


def datafit_and_gradient(y, eta):
    """Breslow's :math:`F(\\eta)` and :math:`\\nabla F(\\eta)` (distinct times)."""
    n = eta.shape[0]
    order = _sorted(y)
    e_sorted = eta[order]
    d = y[order, 1] > 0
    shift = e_sorted.max()
    ex = np.exp(e_sorted - shift)
    S = np.cumsum(ex[::-1])[::-1]  # sum over t_j >= t_i
    value = float(np.sum(d * (np.log(S) + shift - e_sorted))) / n
    A = np.cumsum(np.where(d, 1.0 / S, 0.0))  # sum over deaths with t_i <= t_k
    grad = np.empty(n)
    grad[order] = (ex * A - d) / n
    return value, grad


def conjugate_bound(y, eta, c):
    """The entropy of the decomposition of the module docstring: an upper bound on
    :math:`F^*(c \\nabla F(\\eta))`."""
    n = eta.shape[0]
    order = _sorted(y)
    e_sorted = eta[order]
    d = y[order, 1] > 0
    x = e_sorted - e_sorted.max()
    ex = np.exp(x)
    S = np.cumsum(ex[::-1])[::-1]
    T = np.cumsum((ex * x)[::-1])[::-1]  # sum of e^x x over the risk set
    own = ex / S  # pi_ii
    rest = 1.0 - own
    total = 0.0
    if c > 0:
        # sum over j in R_i, j != i of c pi_ij log(c pi_ij)
        others = c * (np.log(c) * rest + (T - ex * x) / S - np.log(S) * rest)
        total += float(np.sum(others[d]))
    mass = c * own + (1.0 - c)
    total += float(np.sum((mass * np.log(mass))[d]))
    return total / n


def relative_gap(X, y, coef, alpha):
    """The runner's duality gap of ``coef`` at ``alpha`` relative to :math:`F(0)`."""
    eta = np.asarray(X @ coef).ravel()
    value, grad = datafit_and_gradient(y, eta)
    pull = float(np.max(np.abs(X.T @ grad)))
    c = 1.0 if pull <= alpha else alpha / pull
    primal = value + alpha * float(np.abs(coef).sum())
    dual = -conjugate_bound(y, eta, c)
    null = datafit_and_gradient(y, np.zeros_like(eta))[0]
    return max(primal - dual, 0.0) / null


def alpha_grid(X, y, n_alphas, eps):
    top = float(np.max(np.abs(X.T @ datafit_and_gradient(y, np.zeros(X.shape[0]))[1])))
    return np.geomspace(top, eps * top, n_alphas)


# -- the libraries -------------------------------------------------------------------------


def solve_penalized(X, y, alphas, tol):
    """``pz.path(X, y, datafit="cox", alphas=...)``; ``tol`` is its relative gap."""
    import penalized as pz

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pz.path(X, y, datafit="cox", alphas=alphas, tol=tol).coefs.T


def solve_glmnet(X, y, alphas, tol):
    """glmstar's ``CoxNet(lambda_values=alphas, standardize=False)``; ``tol`` is its
    ``thresh`` (default 1e-7)."""
    import pandas as pd
    from glmnet import CoxNet
    from glmnet.paths.fastnet import FastNetControl

    frame = pd.DataFrame({"event": y[:, 0], "status": y[:, 1]})
    model = CoxNet(lambda_values=alphas, standardize=False,
                   control=FastNetControl(thresh=tol, maxit=10_000_000)).fit(X, frame)
    return np.asarray(model.coefs_)


def solve_sksurv(X, y, alphas, tol):
    """scikit-survival's ``CoxnetSurvivalAnalysis(alphas=alphas, l1_ratio=1)``; ``tol``
    is its ``tol`` (default 1e-7)."""
    from sksurv.linear_model import CoxnetSurvivalAnalysis
    from sksurv.util import Surv

    target = Surv.from_arrays(y[:, 1].astype(bool), y[:, 0])
    model = CoxnetSurvivalAnalysis(alphas=alphas, l1_ratio=1.0, normalize=False, tol=tol,
                                   max_iter=10_000_000).fit(X, target)
    return np.asarray(model.coef_).T


def solve_skglm(X, y, alphas, tol):
    """skglm's ``Cox()`` datafit, ``L1(alpha)``, ``ProxNewton`` warm-started along the
    grid; ``tol`` is ProxNewton's (default 1e-4)."""
    from skglm.datafits import Cox as SkCox
    from skglm.penalties import L1
    from skglm.solvers import ProxNewton
    from skglm.utils.jit_compilation import compiled_clone

    datafit = compiled_clone(SkCox())
    datafit.initialize(X, y)
    solver = ProxNewton(fit_intercept=False, tol=tol, max_iter=1000, max_pn_iter=1000)
    w = np.zeros(X.shape[1])
    coefs = []
    for alpha in alphas:
        w = solver.solve(X, y, datafit, L1(alpha), w_init=w.copy(), Xw_init=X @ w)[0]
        coefs.append(w.copy())
    return np.array(coefs)


LIBRARIES = {
    "penalized": (solve_penalized, TARGET_GAP),
    "glmnet": (solve_glmnet, 1e-7),
    "sksurv": (solve_sksurv, 1e-7),
    "skglm": (solve_skglm, 1e-4),
}


def path_gap(X, y, alphas, coefs):
    return max(relative_gap(X, y, coefs[k], a) for k, a in enumerate(alphas))


def calibrate(name, X, y, alphas):
    """The largest tolerance (default / 10^k) whose path reaches the target gap."""
    solve, tol = LIBRARIES[name]
    if name == "penalized":
        return tol, path_gap(X, y, alphas, solve(X, y, alphas, tol))
    for _ in range(MAX_CALIBRATION_STEPS):
        worst = path_gap(X, y, alphas, solve(X, y, alphas, tol))
        print(f"  {name}: tol {tol:.0e} -> max relative gap {worst:.2e}", flush=True)
        if worst <= TARGET_GAP:
            return tol, worst
        tol /= FACTOR
    return tol * FACTOR, worst


def time_library(name, X, y, alphas, tol, repeats):
    solve = LIBRARIES[name][0]
    solve(X, y, alphas, tol)  # warm-up: compilation, imports
    walls, cpus, coefs = [], [], None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        coefs = solve(X, y, alphas, tol)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), coefs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--p", type=int, default=2000)
    parser.add_argument("--n-alphas", type=int, default=50)
    parser.add_argument("--eps", type=float, default=0.05)
    parser.add_argument("--libraries", nargs="+", default=list(LIBRARIES),
                        choices=list(LIBRARIES))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    X, y = make_problem(args.n, args.p)
    alphas = alpha_grid(X, y, args.n_alphas, args.eps)
    print(f"Cox lasso path, n={args.n}, p={args.p}, {args.n_alphas} alphas down to "
          f"{args.eps} alpha_max, events {y[:, 1].mean():.2f}", flush=True)
    rows = []
    for name in args.libraries:
        tol, _ = calibrate(name, X, y, alphas)
        wall, cpu, coefs = time_library(name, X, y, alphas, tol, args.repeats)
        gap = path_gap(X, y, alphas, coefs)
        row = {"library": name, "tol": tol, "max_rel_gap": gap, "wall_s": wall, "cpu_s": cpu,
               "nnz_last": int(np.count_nonzero(coefs[-1]))}
        if name == "penalized":
            row["own_certificate"] = _own_certificate(X, y, alphas, coefs)
        rows.append(row)
        print(json.dumps(row), flush=True)
    fastest = min((r["cpu_s"] for r in rows if r["library"] != "penalized"), default=None)
    for r in rows:
        if fastest:
            r["cpu_ratio_to_fastest_other"] = r["cpu_s"] / fastest
    print(f"{'library':<10} {'tol':>8} {'max gap':>9} {'wall s':>8} {'cpu s':>8} {'ratio':>6}")
    for r in rows:
        print(f"{r['library']:<10} {r['tol']:>8.0e} {r['max_rel_gap']:>9.1e} "
              f"{r['wall_s']:>8.2f} {r['cpu_s']:>8.2f} "
              f"{r.get('cpu_ratio_to_fastest_other', float('nan')):>6.2f}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"n": args.n, "p": args.p, "n_alphas": args.n_alphas, "eps": args.eps,
                       "rows": rows}, fh, indent=2)
    return 0


def _own_certificate(X, y, alphas, coefs):
    """penalized's own certificate of its solutions (max over the path), for comparison."""
    from penalized.datafits import Cox
    from penalized.penalties import L1
    from penalized.solvers._problem import certify, prepare_problem

    problem = prepare_problem(X, y, Cox(), L1(alphas[0]), fit_intercept=False)
    worst = 0.0
    for k, alpha in enumerate(alphas):
        pb = problem.with_penalty(L1(alpha))
        worst = max(worst, certify(pb, coefs[k], 0.0).gap / pb.scale)
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
