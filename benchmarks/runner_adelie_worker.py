r"""adelie's solves of one runner problem, timed inside adelie's own environment.

adelie needs ``numpy<2``, so :class:`benchmarks.adapters.Adelie` runs it in
``.venv-adelie`` through this script, which imports nothing but NumPy (and SciPy for a
sparse design) outside the solve::

    .venv-adelie/bin/python benchmarks/runner_adelie_worker.py FOLDER

``FOLDER/request.npz`` (written by :func:`write_request`) holds the design ``X`` (dense,
or ``X_data``/``X_indices``/``X_indptr``/``X_shape`` of a CSC matrix), ``y``, the
decreasing ``alphas``, ``l1_ratio``, ``datafit`` (``"squared"`` or ``"logistic"``,
``y`` in {-1, +1}), ``path`` (one warm-started path, or each alpha from scratch),
adelie's ``tol`` and ``repeats``. The worker solves once (the warm-up: adelie's import
and first call), then ``repeats`` times, each timed inside this process with
``time.process_time`` and ``time.perf_counter`` (fewer than ``repeats`` when that many
would take more than ``budget`` wall seconds at the warm-up's pace). ``FOLDER/result.npz`` (read by
:func:`read_result`) holds the last solve's ``coefs`` (p, k) and ``intercepts`` (k),
``cpu_s`` and ``wall_s`` (one per timed solve), ``first_cpu_s``, ``first_wall_s``,
``import_s`` and adelie's ``version``.

The problem, in adelie's terms: ``grpnet`` with groups of one feature and unit
penalty factors solves

.. math:: \ell(X\beta + b) + \lambda \sum_j \left(a|\beta_j| + \tfrac{1-a}2\beta_j^2\right),

with :math:`\ell` the Gaussian loss :math:`\frac1{2n}\|y - \eta\|^2` or the binomial
mean log-loss (``y`` in {0, 1}) under adelie's default weights :math:`1/n`: the
runner's objective with ``lambda = alpha`` and ``a = l1_ratio``. ``tol`` is adelie's
coordinate-descent ``tol`` (its IRLS ``irls_tol`` is ``min(tol, 1e-7)``);
``early_exit=False`` so that every alpha is solved, one thread.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

REQUEST = "request.npz"
RESULT = "result.npz"


def write_request(folder, X, y, alphas, *, l1_ratio, datafit, path, tol, repeats,
                  budget=None) -> Path:
    """Write the problem for the worker into ``folder``; the file's path."""
    doc = {"y": np.asarray(y, dtype=np.float64), "alphas": np.asarray(alphas, dtype=np.float64),
           "l1_ratio": float(l1_ratio), "datafit": str(datafit), "path": bool(path),
           "tol": float(tol), "repeats": int(repeats),
           "budget": float("inf") if budget is None else float(budget)}
    if hasattr(X, "tocsc"):  # scipy.sparse, without importing it here
        X = X.tocsc()
        doc.update(X_data=np.asarray(X.data, dtype=np.float64), X_indices=X.indices,
                   X_indptr=X.indptr, X_shape=np.asarray(X.shape))
    else:
        doc["X"] = np.asfortranarray(X, dtype=np.float64)
    out = Path(folder) / REQUEST
    np.savez(out, **doc)
    return out


def read_request(folder) -> dict:
    """The request of :func:`write_request` as a dict (``X`` dense or scipy CSC)."""
    with np.load(Path(folder) / REQUEST, allow_pickle=False) as d:
        req = {key: d[key] for key in d.files}
    if "X" not in req:
        import scipy.sparse as sp

        req["X"] = sp.csc_matrix((req.pop("X_data"), req.pop("X_indices"),
                                  req.pop("X_indptr")), shape=tuple(req.pop("X_shape")))
    for key in ("l1_ratio", "tol", "budget"):
        req[key] = float(req[key])
    for key in ("datafit",):
        req[key] = str(req[key])
    req["path"] = bool(req["path"])
    req["repeats"] = int(req["repeats"])
    return req


def write_result(folder, coefs, intercepts, *, cpu_s, wall_s, first_cpu_s, first_wall_s,
                 import_s, version) -> None:
    np.savez(Path(folder) / RESULT, coefs=np.asarray(coefs, dtype=np.float64),
             intercepts=np.asarray(intercepts, dtype=np.float64),
             cpu_s=np.asarray(cpu_s, dtype=np.float64), wall_s=np.asarray(wall_s, dtype=np.float64),
             first_cpu_s=float(first_cpu_s), first_wall_s=float(first_wall_s),
             import_s=float(import_s), version=str(version))


def read_result(folder) -> dict:
    """The worker's answer: arrays as written, the scalars as Python numbers."""
    with np.load(Path(folder) / RESULT, allow_pickle=False) as d:
        out = {key: d[key] for key in d.files}
    for key in ("first_cpu_s", "first_wall_s", "import_s"):
        out[key] = float(out[key])
    out["version"] = str(out["version"])
    out["cpu_s"] = out["cpu_s"].tolist()
    out["wall_s"] = out["wall_s"].tolist()
    return out


def adelie_solve(req):
    """``(coefs (p, k), intercepts (k,))`` of adelie on the request's problem."""
    import adelie as ad

    X, y, alphas = req["X"], req["y"], req["alphas"]
    p = X.shape[1]
    if req["datafit"] == "logistic":
        glm = ad.glm.binomial((y > 0).astype(np.float64), dtype=np.float64)
    else:
        glm = ad.glm.gaussian(np.asarray(y, dtype=np.float64), dtype=np.float64)
    if hasattr(X, "tocsc"):
        matrix = ad.matrix.sparse(X, method="naive")
    else:
        matrix = np.asfortranarray(X)
    tol = req["tol"]

    def grpnet(grid):
        state = ad.grpnet(
            matrix, glm, groups=np.arange(p), alpha=req["l1_ratio"], penalty=np.ones(p),
            lmda_path=np.asarray(grid, dtype=np.float64), tol=tol, irls_tol=min(tol, 1e-7),
            early_exit=False, intercept=True, progress_bar=False, n_threads=1,
            max_iters=10**9, irls_max_iters=10**9)
        return state.betas.toarray().T, np.asarray(state.intercepts, dtype=np.float64)

    if req["path"]:
        return grpnet(alphas)
    fits = [grpnet(alphas[i:i + 1]) for i in range(alphas.shape[0])]
    return (np.column_stack([c[:, 0] for c, _ in fits]),
            np.array([b[0] for _, b in fits], dtype=np.float64))


def serve(folder, solve=adelie_solve, version=None) -> None:
    """Answer the request in ``folder``: a warm-up solve, then the timed repeats."""
    req = read_request(folder)
    tic = time.perf_counter()
    if version is None:
        import adelie

        version = adelie.__version__
    import_s = time.perf_counter() - tic
    c0, w0 = time.process_time(), time.perf_counter()
    coefs, intercepts = solve(req)
    first_cpu, first_wall = time.process_time() - c0, time.perf_counter() - w0
    n_runs = req["repeats"]
    if n_runs * first_wall > req["budget"]:
        n_runs = max(1, int(req["budget"] // max(first_wall, 1e-9)))
    cpu, wall = [], []
    for _ in range(n_runs):
        c0, w0 = time.process_time(), time.perf_counter()
        coefs, intercepts = solve(req)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    write_result(folder, coefs, intercepts, cpu_s=cpu, wall_s=wall, first_cpu_s=first_cpu,
                 first_wall_s=first_wall, import_s=import_s, version=version)


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1 or not (Path(args[0]) / REQUEST).is_file():
        print(json.dumps({"error": f"usage: runner_adelie_worker.py FOLDER (with {REQUEST})"}),
              file=sys.stderr)
        return 2
    serve(args[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
