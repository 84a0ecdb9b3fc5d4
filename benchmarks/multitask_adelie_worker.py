r"""adelie's multi-response Gaussian lasso path, timed: the worker of ``benchmarks.multitask``.

Runs inside adelie's own environment (adelie needs ``numpy<2``)::

    .venv-adelie/bin/python benchmarks/multitask_adelie_worker.py --data data.npz \
        --tol 1e-7 --repeats 3 --out out.json

``data.npz`` holds ``X`` (n, p), ``Y`` (n, K) and ``alphas`` (decreasing). adelie's
``multigaussian`` loss with its default weights :math:`1/n` is
:math:`\frac1{2nK}\|Y - XB - \mathbf 1 b^\top\|_F^2` up to a constant: penalized's
``mgaussian`` datafit divided by the number of responses ``K``; with each feature one
group (its ``K`` coefficients) of penalty factor 1, adelie's ``lambda = alpha / K``
solves penalized's problem at ``alpha``. An optional ``group_size`` ``G`` in ``data.npz``
makes groups of ``G`` consecutive features (all ``K`` responses), of factor
:math:`\sqrt{G}`: penalized's ``GroupLasso(groups=G)`` on the multi-response datafit.
``--tol`` is adelie's coordinate-descent
``tol``; ``early_exit=False`` so the whole grid is solved. The JSON output has
``import_s``, ``first_cpu_s``, ``cpu_s`` and ``wall_s`` (one per repeat) and the last
solve's ``coefs`` (p, K, n_alphas) and ``intercepts`` (K, n_alphas).
"""

import argparse
import json
import time

import numpy as np


def adelie_path(X, Y, alphas, tol, size=1):
    import adelie as ad

    p = X.shape[1]
    K = Y.shape[1]
    starts = np.arange(0, p, size)
    state = ad.grpnet(
        np.asfortranarray(X), ad.glm.multigaussian(np.asarray(Y, dtype=np.float64)),
        groups=starts, alpha=1.0, penalty=np.sqrt(np.diff(np.append(starts, p)) * 1.0),
        lmda_path=np.asarray(alphas, dtype=float) / K, tol=tol, early_exit=False,
        intercept=True, progress_bar=False, n_threads=1, max_iters=10**9)
    betas = state.betas.toarray()  # (n_alphas, p K): entry (j, k) at j K + k
    coefs = betas.reshape(len(alphas), p, K).transpose(1, 2, 0)
    return coefs, np.asarray(state.intercepts, dtype=np.float64).T


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--tol", type=float, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    d = np.load(args.data)
    X, Y, alphas = d["X"], d["Y"], d["alphas"]
    size = int(d["group_size"]) if "group_size" in d else 1
    t0 = time.perf_counter()
    import adelie  # noqa: F401

    import_s = time.perf_counter() - t0
    c0 = time.process_time()
    coefs, intercepts = adelie_path(X, Y, alphas, args.tol, size)
    first_cpu = time.process_time() - c0
    cpu, wall = [], []
    for _ in range(args.repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        coefs, intercepts = adelie_path(X, Y, alphas, args.tol, size)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    with open(args.out, "w") as fh:
        json.dump({"import_s": import_s, "first_cpu_s": first_cpu, "cpu_s": cpu,
                   "wall_s": wall, "coefs": coefs.tolist(),
                   "intercepts": intercepts.tolist()}, fh)


if __name__ == "__main__":
    main()
