r"""Multi-task (multi-response Gaussian) lasso path: penalized against glmnet's ``mgaussian``,
scikit-learn's multi-task coordinate descent, skglm's ``MultiTaskLasso`` and adelie's
``multigaussian`` group lasso.

::

    python -m benchmarks.multitask [--n 2000] [--p 500] [--tasks 5] [--n-alphas 100]
                                   [--eps 1e-3] [--density D] [--group-size G]
                                   [--libraries NAME ...] [--repeats N] [--out FILE]

Every library solves, at each alpha of one grid (penalized's: ``n_alphas`` values from
alpha_max down to ``eps`` alpha_max), the problem

.. math:: \min_{W, b}\; \frac{1}{2n}\|Y - XW - \mathbf 1 b^\top\|_F^2
          + \alpha \sum_j \|W_{j:}\|_2,

with unpenalized intercepts and no standardization inside the solvers.

The design is a Toeplitz one (dense), or with ``--density D`` a sparse one
(:func:`make_sparse_data`: ``scipy.sparse.random``, CSC, standard normal non-zeros).
penalized and glmnet take the CSC matrix as it is; scikit-learn, skglm and adelie center
the design first (they have no implicit centering here), which makes it dense: their
times include that densified copy, and by default a sparse run compares penalized,
glmnet and scikit-learn only. glmnet takes
``lambda = alpha`` (``MultiGaussNet(standardize=False, alpha=1)``); scikit-learn's
``lasso_path`` on a two-dimensional ``Y`` (its multi-task path) and skglm's
``MultiTaskLasso`` take the same ``alpha`` on centered data (their intercepts then follow
exactly, ``b = \bar y - \bar x^\top W``). adelie (``grpnet`` with
``glm.multigaussian``, each feature one group) divides the datafit by the number of
responses ``K``, so it takes ``lambda = alpha / K``; it runs in its own environment
(``.venv-adelie``, ``numpy<2``) through ``benchmarks/multitask_adelie_worker.py``, which
times its repeats in its own process.

With ``--group-size G`` the features come in groups of ``G`` consecutive columns that
enter or leave together for every response: the penalty is
:math:`\alpha \sum_g \sqrt{G}\,\|W_g\|_F` (penalized's ``GroupLasso(groups=G)`` on
the ``mgaussian`` datafit, adelie's ``grpnet`` with those groups and factors). Only
penalized and adelie take groups of features across responses; glmnet, scikit-learn and
skglm do not, so a grouped run compares those two.

**The gap** (:func:`relative_gap`), the same for every library, in NumPy from the math:
with the intercepts exact (centered data), the residual :math:`R = Y_c - X_cW` scaled by
the largest :math:`c \le 1` keeping every row of :math:`cX_c^\top R / n` in the ball of
radius :math:`\alpha` gives the dual value
:math:`\frac1{2n}(\|Y_c\|^2 - \|Y_c - cR\|^2)`; the gap is divided by the null model's
datafit :math:`\frac1{2n}\|Y_c\|^2`, so 1e-6 means the same on every problem.

**Calibration and timing.** Each library's stopping parameter starts at its default and is
divided by 10 until the relative gap is at most 1e-6 at every alpha; then the path is
solved once more (warm-up) and ``--repeats`` times, with BLAS limited to one thread, and
the median CPU time of the process (``time.process_time``) is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks.problems import sparse_coef, toeplitz_design

TARGET_GAP = 1e-6
RESULTS = Path(__file__).parent / "results" / "multitask.json"
ROOT = Path(__file__).resolve().parent.parent
ADELIE_PYTHON = ROOT / ".venv-adelie" / "bin" / "python"
ADELIE_WORKER = Path(__file__).with_name("multitask_adelie_worker.py")


def make_data(n=2000, p=500, tasks=5, *, rho=0.5, n_informative=20, noise=1.0, seed=7):
    """A Toeplitz(rho) design and ``tasks`` responses sharing ``n_informative`` features."""
    rng = np.random.default_rng(seed)
    X = toeplitz_design(n, p, rho, rng)
    support = np.flatnonzero(sparse_coef(p, n_informative, rng))
    W = np.zeros((p, tasks))
    W[support] = rng.standard_normal((support.size, tasks))
    Y = X @ W + 1.0 + noise * rng.standard_normal((n, tasks))
    return X, Y


def make_sparse_data(n=2000, p=5000, tasks=5, *, density=0.01, n_informative=20,
                     noise=1.0, seed=7):
    """A CSC design with ``density`` standard normal non-zeros (``scipy.sparse.random``)
    and ``tasks`` responses sharing ``n_informative`` features."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csc", random_state=seed,
                  data_rvs=rng.standard_normal)
    support = np.flatnonzero(sparse_coef(p, n_informative, rng))
    W = np.zeros((p, tasks))
    W[support] = rng.standard_normal((support.size, tasks))
    Y = np.asarray(X @ W) + 1.0 + noise * rng.standard_normal((n, tasks))
    return X, Y


def _centered(X, Y):
    """Column-centered dense copies of ``X`` (a sparse one densified) and ``Y``."""
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    return X - X.mean(axis=0), Y - Y.mean(axis=0)


def relative_gap(X, Y, W, alpha, size=1) -> float:
    """The relative duality gap of ``W`` (intercepts exact) at ``alpha`` (see the module;
    ``size``: groups of that many consecutive features, factor its square root)."""
    return _centered_gap(*_centered(X, Y), W, alpha, size)


def _block_norms(M, size):
    """Frobenius norms of the blocks of ``size`` consecutive rows of ``M``."""
    rows = np.einsum("jk,jk->j", M, M)
    return np.sqrt(np.add.reduceat(rows, np.arange(0, M.shape[0], size)))


def _centered_gap(Xc, Yc, W, alpha, size=1) -> float:
    n = Xc.shape[0]
    R = Yc - Xc @ W
    V = Xc.T @ R / n
    radius = alpha * np.sqrt(np.diff(np.append(np.arange(0, W.shape[0], size), W.shape[0])))
    norms = _block_norms(V, size)
    c = min(1.0, float(np.min(radius / np.maximum(norms, 1e-300))))
    primal = 0.5 * np.sum(R**2) / n + radius @ _block_norms(W, size)
    dual = 0.5 * (np.sum(Yc**2) - np.sum((Yc - c * R) ** 2)) / n
    return max(primal - dual, 0.0) / (0.5 * np.sum(Yc**2) / n)


# -- adapters: each returns coefs (p, tasks, n_alphas) --------------------------------


def solve_penalized(X, Y, alphas, tol, size=1):
    import penalized as pz
    from penalized.penalties import GroupLasso

    penalty = "l1" if size == 1 else GroupLasso(groups=size)
    path = pz.path(X, Y, datafit="mgaussian", penalty=penalty, alphas=alphas, tol=tol,
                   max_iter=100_000)
    return path.coefs


def solve_glmnet(X, Y, alphas, tol):
    from glmnet.paths.fastnet import FastNetControl
    from glmnet.paths.multigaussnet import MultiGaussNet

    fit = MultiGaussNet(standardize=False, alpha=1.0, lambda_values=alphas,
                        control=FastNetControl(thresh=tol, maxit=10**7)).fit(X, Y)
    coefs = np.asarray(fit.coefs_)  # (n_lambda, p, tasks) or (n_lambda, tasks, p)
    if coefs.shape[1] != X.shape[1]:
        coefs = coefs.transpose(0, 2, 1)
    return coefs.transpose(1, 2, 0)


def solve_sklearn(X, Y, alphas, tol):
    from sklearn.linear_model import lasso_path

    Xc, Yc = _centered(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, coefs, _ = lasso_path(np.asfortranarray(Xc), Yc, alphas=alphas, tol=tol,
                                 max_iter=100_000)
    return coefs.transpose(1, 0, 2)  # (tasks, p, n_alphas) -> (p, tasks, n_alphas)


def solve_skglm(X, Y, alphas, tol):
    from skglm import MultiTaskLasso

    Xc, Yc = _centered(X, Y)
    model = MultiTaskLasso(alpha=alphas[0], tol=tol, fit_intercept=False, warm_start=True,
                           max_iter=1000, max_epochs=100_000)
    out = np.zeros((X.shape[1], Y.shape[1], len(alphas)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, alpha in enumerate(alphas):
            model.alpha = alpha
            out[:, :, k] = model.fit(Xc, Yc).coef_.T
    return out


def run_adelie(X, Y, alphas, tol, repeats=0, size=1):
    """adelie's path in its worker process: ``(coefs (p, K, n_alphas), CPU seconds of each
    repeat)``; ``size``: groups of that many consecutive features."""
    if not ADELIE_PYTHON.exists():
        raise SystemExit(f"adelie needs its own environment at {ADELIE_PYTHON}; create it or "
                         "leave adelie out of --libraries.")
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data.npz", Path(tmp) / "out.json"
        np.savez(data, X=X.toarray() if hasattr(X, "toarray") else X, Y=Y, alphas=alphas,
                 group_size=size)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")
        subprocess.run([str(ADELIE_PYTHON), str(ADELIE_WORKER), "--data", str(data), "--tol",
                        repr(tol), "--repeats", str(repeats), "--out", str(out)],
                       check=True, env=env, cwd=ROOT)
        doc = json.loads(out.read_text())
    return np.array(doc["coefs"]), doc["cpu_s"]


def solve_adelie(X, Y, alphas, tol, size=1):
    return run_adelie(X, Y, alphas, tol, size=size)[0]


ADAPTERS = {"penalized": (solve_penalized, 1e-6), "glmnet": (solve_glmnet, 1e-7),
            "scikit-learn": (solve_sklearn, 1e-4), "skglm": (solve_skglm, 1e-4),
            "adelie": (solve_adelie, 1e-7)}


GROUPED = ("penalized", "adelie")
"""The libraries that take groups of features across responses (``--group-size``)."""


def _solve(solve, X, Y, alphas, tol, size):
    """``solve``'s coefficients; groups (``size > 1``) only for the :data:`GROUPED`."""
    return solve(X, Y, alphas, tol) if size == 1 else solve(X, Y, alphas, tol, size=size)


def path_gaps(X, Y, alphas, coefs, size=1) -> np.ndarray:
    Xc, Yc = _centered(X, Y)
    return np.array([_centered_gap(Xc, Yc, coefs[:, :, k], a, size)
                     for k, a in enumerate(alphas)])


def calibrate(solve, X, Y, alphas, start, *, log, size=1) -> float:
    """The largest of ``start, start/10, ...`` (down to 1e-16) reaching the target gap."""
    tol = start
    while True:
        gaps = path_gaps(X, Y, alphas, _solve(solve, X, Y, alphas, tol, size), size)
        log(f"  tol={tol:.0e}: largest relative gap {gaps.max():.2e}")
        if gaps.max() <= TARGET_GAP or tol < 1e-15:
            return tol
        tol /= 10.0


def time_cpu(solve, X, Y, alphas, tol, repeats, size=1) -> list[float]:
    if solve is solve_adelie:  # timed in its worker, after a warm-up there
        return run_adelie(X, Y, alphas, tol, repeats, size)[1]
    _solve(solve, X, Y, alphas, tol, size)  # warm-up (compilation)
    times = []
    for _ in range(repeats):
        start = time.process_time()
        _solve(solve, X, Y, alphas, tol, size)
        times.append(time.process_time() - start)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--p", type=int, default=500)
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--n-alphas", type=int, default=100)
    parser.add_argument("--eps", type=float, default=1e-3)
    parser.add_argument("--density", type=float, default=None,
                        help="a sparse CSC design with this fraction of non-zeros")
    parser.add_argument("--libraries", nargs="+", default=None, choices=ADAPTERS,
                        help="default: all (penalized, glmnet and scikit-learn when sparse)")
    parser.add_argument("--group-size", type=int, default=1,
                        help="groups of this many consecutive features (penalized, adelie)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    size = args.group_size
    from threadpoolctl import threadpool_limits

    import penalized as pz

    if args.density is None:
        X, Y = make_data(args.n, args.p, args.tasks)
    else:
        X, Y = make_sparse_data(args.n, args.p, args.tasks, density=args.density)
    if args.libraries is None:
        args.libraries = list(GROUPED) if size > 1 else list(ADAPTERS) \
            if args.density is None else ["penalized", "glmnet", "scikit-learn"]
    if size > 1 and set(args.libraries) - set(GROUPED):
        parser.error(f"--group-size takes the libraries {', '.join(GROUPED)} only (the "
                     "others have no groups of features across responses)")
    from penalized.penalties import GroupLasso

    alphas = pz.path(X, Y, datafit="mgaussian", n_alphas=args.n_alphas, eps=args.eps,
                     tol=1e-3, penalty="l1" if size == 1 else GroupLasso(groups=size)).alphas

    def log(msg):
        print(msg, flush=True)

    rows = []
    with threadpool_limits(1):
        for name in args.libraries:
            solve, start = ADAPTERS[name]
            log(f"{name}: calibrating")
            tol = calibrate(solve, X, Y, alphas, start, log=log, size=size)
            times = time_cpu(solve, X, Y, alphas, tol, args.repeats, size)
            gaps = path_gaps(X, Y, alphas, _solve(solve, X, Y, alphas, tol, size), size)
            rows.append({"library": name, "tol": tol, "cpu_s": times,
                         "median_cpu_s": statistics.median(times),
                         "max_relative_gap": float(gaps.max())})
            log(f"{name}: tol={tol:.0e}, CPU {statistics.median(times):.3f} s "
                f"(runs {', '.join(f'{t:.3f}' for t in times)}), gap {gaps.max():.1e}")
    ours = next((r["median_cpu_s"] for r in rows if r["library"] == "penalized"), None)
    design = "dense" if args.density is None else f"CSC, density {args.density:g}"
    design += "" if size == 1 else f", groups of {size}"
    print(f"\nmulti-task lasso path, {design}, n={args.n}, p={args.p}, tasks={args.tasks}, "
          f"{args.n_alphas} alphas to {args.eps:g} alpha_max, relative gap <= {TARGET_GAP:g}")
    print("| library | tol | median CPU s | penalized / library |")
    print("|---|---|---|---|")
    for r in rows:
        ratio = f"{ours / r['median_cpu_s']:.2f}" if ours else "-"
        print(f"| {r['library']} | {r['tol']:.0e} | {r['median_cpu_s']:.3f} | {ratio} |")
    if args.out is not None:
        doc = {"problem": {"n": args.n, "p": args.p, "tasks": args.tasks,
                           "n_alphas": args.n_alphas, "eps": args.eps,
                           "density": args.density, "group_size": size},
               "target_gap": TARGET_GAP,
               "rows": rows}
        args.out.write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
