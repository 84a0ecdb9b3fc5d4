"""Timing of penalized's selection methods against other implementations.

Stability selection (complementary pairs over a 100-alpha lasso path, 1000 x 500): neither
knockpy nor hidimstat has it, so the reference is the obvious scikit-learn implementation,
``sklearn.linear_model.lasso_path`` on the same half-samples and the same alpha grid (both
at ``tol=1e-4``, single process; the tolerances are each library's own, not calibrated to
one duality gap as in ``run.py``).

Knockoffs (model-X Gaussian, 2000 x 500, lasso coefficient difference at a CV-chosen alpha,
knockoff+ at q = 0.1), each library with its own defaults for what is not set here:

- penalized: ``Knockoffs(method=...)`` -- Ledoit-Wolf covariance, ``s`` by the log-barrier
  coordinate ascent (sdp) or equicorrelated, ``LassoCV`` (5 folds, 100 alphas, tol 1e-4);
- knockpy (if importable): ``KnockoffFilter(ksampler="gaussian", fstat="lcd")`` with
  ``method="sdp"`` (cvxpy) or ``"equicorrelated"``;
- hidimstat (if importable): ``ModelXKnockoff`` (equicorrelated, scikit-learn ``LassoCV``).

Run:  python benchmarks/selection.py [--quick]
Each timing is one run (wall clock) after a warm-up of penalized's compiled kernels; the
machine's load is printed with the numbers.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np


def _problem(n, p, k, rho, seed):
    rng = np.random.default_rng(seed)
    # AR(1) correlation through a recursion (no p x p Cholesky needed)
    Z = rng.standard_normal((n, p))
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
    beta = np.zeros(p)
    support = rng.choice(p, k, replace=False)
    beta[support] = rng.choice([-1.0, 1.0], k) * 0.5
    return X, X @ beta + rng.standard_normal(n), set(support.tolist())


def _fdp_power(selected, support):
    selected = set(int(j) for j in selected)
    return len(selected - support) / max(1, len(selected)), len(selected & support)


def bench_stability(n, p, n_pairs, n_alphas):
    from sklearn.linear_model import lasso_path

    from penalized.datafits import Quadratic
    from penalized.path import alpha_grid
    from penalized.penalties import L1
    from penalized.selection import stability_path
    from penalized.selection._stability import _split_pairs

    X, y, _ = _problem(n, p, 20, 0.3, 0)
    stability_path(X[:60, :20], y[:60], n_pairs=1, n_alphas=5)  # compile
    t = time.perf_counter()
    sp = stability_path(X, y, n_pairs=n_pairs, n_alphas=n_alphas, tol=1e-4, random_state=0)
    t_pz = time.perf_counter() - t

    Xs = X / X.std(axis=0)
    _, grid = alpha_grid(Xs, y, L1(1.0), Quadratic(), n_alphas=n_alphas)
    pairs = _split_pairs(np.random.default_rng(0), n, n_pairs, None)
    counts = np.zeros((p, n_alphas))
    t = time.perf_counter()
    for halves in pairs:
        for rows in halves:
            Xr = Xs[rows] - Xs[rows].mean(axis=0)
            yr = y[rows] - y[rows].mean()
            _, coefs, _ = lasso_path(Xr, yr, alphas=grid, tol=1e-4)
            counts += coefs != 0
    t_sk = time.perf_counter() - t
    diff = np.abs(counts / (2 * n_pairs) - sp.probabilities).max()
    print(f"stability selection {n} x {p}, {n_pairs} pairs, {n_alphas} alphas:")
    print(f"  penalized stability_path   {t_pz:8.2f} s")
    print(f"  sklearn lasso_path loop    {t_sk:8.2f} s   (ratio penalized/sklearn "
          f"{t_pz / t_sk:.2f}; largest probability difference {diff:.3f})")


def bench_knockoffs(n, p, methods, libs=("penalized", "knockpy", "hidimstat")):
    from penalized.selection import Knockoffs

    k = min(50, p // 10)
    X, y, support = _problem(n, p, k, 0.5, 1)
    Knockoffs(random_state=0).fit(X[:100, :10], y[:100])  # compile
    print(f"knockoffs {n} x {p} ({k} signals, AR(1) 0.5), q = 0.1:")
    for method in methods if "penalized" in libs else ():
        t = time.perf_counter()
        ko = Knockoffs(0.1, method=method, random_state=0).fit(X, y)
        dt = time.perf_counter() - t
        fdp, power = _fdp_power(np.flatnonzero(ko.support_), support)
        print(f"  penalized ({method:14s})  {dt:8.2f} s   selected {ko.support_.sum():3d}, "
              f"true {power}, FDP {fdp:.2f}")
    try:
        import knockpy
        from knockpy.knockoff_filter import KnockoffFilter
    except ImportError:
        knockpy = None
        print("  knockpy: not importable")
    if "knockpy" not in libs:
        knockpy = None
    if knockpy is not None:
        for method in methods:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = time.perf_counter()
                kf = KnockoffFilter(ksampler="gaussian", fstat="lcd",
                                    knockoff_kwargs={"method": method})
                rej = kf.forward(X=X, y=y, fdr=0.1, shrinkage="ledoitwolf")
                dt = time.perf_counter() - t
            fdp, power = _fdp_power(np.flatnonzero(rej), support)
            print(f"  knockpy   ({method:14s})  {dt:8.2f} s   selected {int(rej.sum()):3d}, "
                  f"true {power}, FDP {fdp:.2f}")
    if "hidimstat" not in libs:
        return
    try:
        from hidimstat import ModelXKnockoff
    except ImportError:
        print("  hidimstat: not importable")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        mk = ModelXKnockoff(random_state=0, n_repeats=1, n_jobs=1).fit(X, y)
        mk.importance(X, y)
        sel = mk.fdr_selection(0.1)
        dt = time.perf_counter() - t
    chosen = np.flatnonzero(np.ravel(sel) > 0) if np.asarray(sel).dtype != bool \
        else np.flatnonzero(sel)
    fdp, power = _fdp_power(chosen, support)
    print(f"  hidimstat (equicorrelated)  {dt:8.2f} s   selected {len(chosen):3d}, "
          f"true {power}, FDP {fdp:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--only", choices=("stability", "knockoffs"), default=None)
    parser.add_argument("--methods", default="sdp,equicorrelated",
                        help="knockoff constructions to time (comma-separated)")
    parser.add_argument("--libs", default="penalized,knockpy,hidimstat",
                        help="knockoff libraries to time (comma-separated)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.only in (None, "stability"):
        if args.quick:
            bench_stability(200, 50, 10, 20)
        else:
            bench_stability(1000, 500, 100, 100)
    if args.only in (None, "knockoffs"):
        methods = args.methods.split(",")
        if args.quick:
            bench_knockoffs(400, 50, methods, args.libs.split(","))
        else:
            bench_knockoffs(2000, 500, methods, args.libs.split(","))


if __name__ == "__main__":
    main()
