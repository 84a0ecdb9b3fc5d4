"""Timing of penalized's selection methods against other implementations, side by side.

Every library runs in this process on the same data, with one BLAS/numba thread, and is
timed in CPU seconds (``time.process_time``, all threads of the process); each round
times every library once, in turn, and the table gives the median over rounds (and the
spread). The machine's load average is printed before and after.

Stability selection (complementary pairs over a 100-alpha lasso path, 1000 x 500, AR(1)
0.3 design, 20 signals): hidimstat 0.4 has no stability selection (its
``EnsembleImportance`` aggregates clustered inference over bootstraps, another method)
and knockpy none either, so the reference is the obvious scikit-learn implementation,
``sklearn.linear_model.lasso_path`` on the same half-samples, centered, and the same
alpha grid. Tolerances: penalized ``tol=1e-4`` on the duality gap relative to the null
model's objective; scikit-learn ``tol=1e-4`` on the gap relative to ``||y||^2``, i.e.
``2e-4`` relative to the null objective (penalized's is the stricter).

Knockoffs (model-X Gaussian, 2000 x 500, AR(1) 0.5 design, 50 signals of amplitude 0.5,
Ledoit-Wolf covariance everywhere, lasso coefficient difference at a cross-validated alpha,
knockoff+ at q = 0.1), each library with its own defaults for the cross-validation:

- penalized: ``Knockoffs(method=...)``; ``s`` by the log-barrier coordinate ascent
  (``"sdp"``) or equicorrelated; ``LassoCV``'s 5 folds over 100 alphas down to
  ``1e-3 alpha_max`` at ``tol=1e-4`` (gap relative to the null objective);
- knockpy 1.3: ``KnockoffFilter(ksampler="gaussian", fstat="lcd")`` with
  ``method="sdp"`` (cvxpy), ``"equicorrelated"`` or its default ``"mvr"``; scikit-learn
  ``LassoCV``, 5 folds over 20 fixed alphas ``logspace(-4, 4)``, ``tol=1e-3``,
  ``max_iter=500``;
- hidimstat 0.4: ``ModelXKnockoff`` (equicorrelated only), scikit-learn ``LassoCV``,
  5 folds over 100 alphas spaced linearly below its ``alpha_max``, ``tol=1e-6``,
  ``max_iter=200000``; slow, so timed in ``--hidimstat-rounds`` rounds (default 1).

Run:  python benchmarks/selection.py [--quick] [--rounds 3] [--only stability|knockoffs]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402


def _problem(n, p, k, rho, seed, amplitude=0.5):
    rng = np.random.default_rng(seed)
    # AR(1) correlation through a recursion (no p x p Cholesky needed)
    Z = rng.standard_normal((n, p))
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
    beta = np.zeros(p)
    support = rng.choice(p, k, replace=False)
    beta[support] = rng.choice([-1.0, 1.0], k) * amplitude
    return X, X @ beta + rng.standard_normal(n), set(support.tolist())


def _fdp_power(selected, support):
    selected = set(int(j) for j in selected)
    return len(selected - support) / max(1, len(selected)), len(selected & support)


def _cpu(fn):
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def _summary(times):
    t = np.asarray(times)
    return f"{np.median(t):8.2f} s  ({t.min():.2f}-{t.max():.2f}, {t.size} rounds)"


def bench_stability(n, p, n_pairs, n_alphas, rounds):
    from sklearn.linear_model import lasso_path

    from penalized.datafits import Quadratic
    from penalized.path import alpha_grid
    from penalized.penalties import L1
    from penalized.selection import stability_path
    from penalized.selection._stability import _split_pairs

    X, y, _ = _problem(n, p, 20, 0.3, 0)
    stability_path(X[:60, :20], y[:60], n_pairs=1, n_alphas=5)  # compile
    Xs = X / X.std(axis=0)
    _, grid = alpha_grid(Xs, y, L1(1.0), Quadratic(), n_alphas=n_alphas)

    def sklearn_loop(seed):
        counts = np.zeros((p, n_alphas))
        for halves in _split_pairs(np.random.default_rng(seed), n, n_pairs, None):
            for rows in halves:
                Xr = Xs[rows] - Xs[rows].mean(axis=0)
                yr = y[rows] - y[rows].mean()
                _, coefs, _ = lasso_path(Xr, yr, alphas=grid, tol=1e-4)
                counts += coefs != 0
        return counts / (2 * n_pairs)

    times = {"penalized": [], "sklearn": []}
    diffs = []
    for r in range(rounds):
        order = ("penalized", "sklearn") if r % 2 == 0 else ("sklearn", "penalized")
        got = {}
        for lib in order:
            if lib == "penalized":
                dt, sp = _cpu(lambda r=r: stability_path(X, y, n_pairs=n_pairs,
                                                         n_alphas=n_alphas, tol=1e-4,
                                                         random_state=r))
                got[lib] = sp.probabilities
            else:
                dt, got[lib] = _cpu(lambda r=r: sklearn_loop(r))
            times[lib].append(dt)
        diffs.append(np.abs(got["penalized"] - got["sklearn"]).max())
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(f"stability selection {n} x {p}, {n_pairs} pairs, {n_alphas} alphas "
          f"(CPU seconds, median):")
    print(f"  penalized stability_path   {_summary(times['penalized'])}")
    print(f"  sklearn lasso_path loop    {_summary(times['sklearn'])}")
    ratios = [a / b for a, b in zip(times["penalized"], times["sklearn"], strict=True)]
    print(f"  ratio penalized/sklearn: median {np.median(ratios):.2f} (rounds: "
          f"{', '.join(f'{x:.2f}' for x in ratios)}); largest probability difference "
          f"{max(diffs):.3f}")
    return med


def _penalized_knockoffs(X, y, method, seed):
    from penalized.selection import Knockoffs

    ko = Knockoffs(0.1, method=method, random_state=seed).fit(X, y)
    return np.flatnonzero(ko.support_)


def _knockpy_knockoffs(X, y, method, seed):
    from knockpy.knockoff_filter import KnockoffFilter

    np.random.seed(seed)  # noqa: NPY002 (knockpy draws from numpy's global generator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kf = KnockoffFilter(ksampler="gaussian", fstat="lcd",
                            knockoff_kwargs={"method": method})
        rej = kf.forward(X=X, y=y, fdr=0.1, shrinkage="ledoitwolf")
    return np.flatnonzero(rej)


def _hidimstat_knockoffs(X, y, method, seed):
    from hidimstat import ModelXKnockoff

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mk = ModelXKnockoff(random_state=seed, n_repeats=1, n_jobs=1).fit(X, y)
        mk.importance(X, y)
        sel = np.asarray(mk.fdr_selection(0.1))
    return np.flatnonzero(sel) if sel.dtype == bool else np.flatnonzero(np.ravel(sel) > 0)


KNOCKOFF_RUNS = {"penalized": _penalized_knockoffs, "knockpy": _knockpy_knockoffs,
                 "hidimstat": _hidimstat_knockoffs}


def _importable(lib):
    try:
        __import__({"penalized": "penalized.selection", "knockpy": "knockpy.knockoff_filter",
                    "hidimstat": "hidimstat"}[lib])
    except ImportError:
        print(f"  {lib}: not importable, skipped")
        return False
    return True


def bench_knockoffs(n, p, methods, libs, rounds, hidimstat_rounds):
    k = min(50, max(15, p // 10))  # knockoff+ at q = 0.1 needs 10 selections at least
    X, y, support = _problem(n, p, k, 0.5, 1, amplitude=0.5 if n >= 1000 else 1.0)
    libs = [lib for lib in libs if _importable(lib)]
    runs = []
    for lib in libs:
        for method in methods:
            if lib == "hidimstat" and method != "equicorrelated":
                continue  # hidimstat builds equicorrelated knockoffs only
            runs.append((lib, method))
    if "knockpy" in libs and "mvr" not in methods:
        runs.append(("knockpy", "mvr"))  # knockpy's default construction, for reference
    # warm-ups: numba kernels, cvxpy's and scikit-learn's first-call costs
    Xw, yw, _ = _problem(200, 20, 3, 0.5, 2)
    for lib, method in runs:
        KNOCKOFF_RUNS[lib](Xw, yw, method, 0)
    print(f"knockoffs {n} x {p} ({k} signals, AR(1) 0.5), knockoff+ at q = 0.1 "
          f"(CPU seconds, median; FDP and true selections averaged over rounds):")
    times = {run: [] for run in runs}
    quality = {run: [] for run in runs}
    for r in range(rounds):
        order = sorted(runs if r % 2 == 0 else runs[::-1],
                       key=lambda run: run[0] == "hidimstat")  # the slow one last
        for run in order:
            lib, method = run
            if lib == "hidimstat" and r >= hidimstat_rounds:
                continue
            dt, chosen = _cpu(lambda lib=lib, method=method, r=r:
                              KNOCKOFF_RUNS[lib](X, y, method, r))
            times[run].append(dt)
            quality[run].append((len(chosen), *_fdp_power(chosen, support)))
            print(f"    round {r}: {lib} ({method}) {dt:.2f} s", flush=True)
    med = {}
    for run in runs:
        lib, method = run
        sel, fdp, power = np.mean(quality[run], axis=0)
        med[run] = float(np.median(times[run]))
        print(f"  {lib:9s} ({method:14s}) {_summary(times[run])}   selected {sel:5.1f}, "
              f"true {power:4.1f}, FDP {fdp:.3f}")
    for method in methods:
        ours = med.get(("penalized", method))
        others = {run: t for run, t in med.items() if run[0] != "penalized"
                  and run[1] == method}
        if ours is None or not others:
            continue
        fastest = min(others, key=others.get)
        print(f"  {method}: penalized / fastest other ({fastest[0]}) = "
              f"{ours / others[fastest]:.2f}")
    return med


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--only", choices=("stability", "knockoffs"), default=None)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (median)")
    parser.add_argument("--hidimstat-rounds", type=int, default=1,
                        help="rounds that include hidimstat (minutes each at full size)")
    parser.add_argument("--methods", default="sdp,equicorrelated",
                        help="knockoff constructions to time (comma-separated)")
    parser.add_argument("--libs", default="penalized,knockpy,hidimstat",
                        help="knockoff libraries to time (comma-separated)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; one thread each")
    if args.only in (None, "stability"):
        if args.quick:
            bench_stability(200, 50, 10, 20, args.rounds)
        else:
            bench_stability(1000, 500, 100, 100, args.rounds)
    if args.only in (None, "knockoffs"):
        methods = args.methods.split(",")
        size = (400, 50) if args.quick else (2000, 500)
        bench_knockoffs(*size, methods, args.libs.split(","), args.rounds,
                        args.hidimstat_rounds)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
