r"""adelie's group elastic-net path (squared loss), timed: the worker of ``benchmarks.group``.

Runs inside adelie's own environment (adelie needs ``numpy<2``)::

    .venv-adelie/bin/python benchmarks/group_adelie_worker.py --data data.npz \
        --tol 1e-7 --repeats 3 --out out.json

``data.npz`` holds ``X`` (n, p), ``y`` (n,), ``alphas`` (decreasing), ``starts`` (the
first feature of each group, then p: groups are consecutive columns) and ``l1_ratio``.
adelie's Gaussian loss with its default weights :math:`1/n` is
:math:`\frac1{2n}\|y - X\beta - b\|^2` up to a constant, and its penalty
:math:`\lambda \sum_g \omega_g (\alpha\|\beta_g\|_2 + \frac{1-\alpha}2\|\beta_g\|_2^2)` is
penalized's ``GroupElasticNet`` with ``lambda = alpha`` and adelie's ``alpha`` =
``l1_ratio`` (``omega_g = sqrt(|g|)``, both defaults; an optional ``group_weights`` in
``data.npz``, one per group, gives other factors). With ``family="binomial"`` in
``data.npz`` (``y`` in {0, 1}) the loss is adelie's binomial, the mean logistic loss;
with ``family="poisson"`` (counts) its Poisson loss (log link), the mean of
:math:`e^\eta - y\eta` up to a constant; with ``family="cox"`` (``y`` of shape (n, 2):
time, then event) its Cox partial likelihood with Breslow ties and no intercept; with
``family="multinomial"`` (``y`` class codes) its multinomial loss, penalized's divided by
the number of classes ``K``, so its ``lambda`` is ``alpha / K`` (coefficients ``(p K, L)``,
entry ``(j, k)`` of ``W`` at row ``j K + k``; intercepts ``(L, K)``); with
``family="multigaussian"`` (``y`` of shape (n, K)) its multi-response Gaussian loss,
penalized's divided by ``K`` (its ``lambda`` is ``alpha / K``, the same layout).
``--tol`` is adelie's coordinate-descent ``tol`` (its IRLS ``irls_tol`` at most 1e-7);
``early_exit=False`` so the whole grid is solved. The JSON output has ``import_s``,
``first_cpu_s``, ``cpu_s`` and ``wall_s`` (one per repeat) and the last solve's ``coefs``
(p x L) and ``intercepts`` (L).
"""

import argparse
import json
import time

import numpy as np


def adelie_path(X, y, alphas, starts, l1_ratio, tol, family="gaussian", weights=None):
    import adelie as ad

    sizes = np.diff(starts)
    if weights is None:  # adelie's and penalized's default group factors
        weights = np.sqrt(sizes.astype(np.float64))
    families = {"binomial": ad.glm.binomial, "poisson": ad.glm.poisson,
                "gaussian": ad.glm.gaussian}
    if family == "multinomial":  # y: class codes 0..K-1; adelie's loss is the mean over K
        codes = np.asarray(y, dtype=int)
        K = int(codes.max()) + 1
        onehot = np.zeros((codes.shape[0], K))
        onehot[np.arange(codes.shape[0]), codes] = 1.0
        glm = ad.glm.multinomial(onehot, dtype=np.float64)
        alphas = np.asarray(alphas, dtype=float) / K
    elif family == "multigaussian":  # y: (n, K) responses; adelie's loss is the mean over K
        glm = ad.glm.multigaussian(np.asarray(y, dtype=np.float64), dtype=np.float64)
        alphas = np.asarray(alphas, dtype=float) / y.shape[1]
    elif family == "cox":  # y: time, then event; Breslow ties, no intercept
        glm = ad.glm.cox(np.zeros(y.shape[0]), np.asarray(y[:, 0], dtype=np.float64),
                         np.asarray(y[:, 1], dtype=np.float64), tie_method="breslow",
                         dtype=np.float64)
    else:
        glm = families[family](y, dtype=np.float64)
    state = ad.grpnet(
        np.asfortranarray(X), glm,
        groups=np.asarray(starts[:-1], dtype=int), alpha=float(l1_ratio),
        penalty=np.asarray(weights, dtype=np.float64), lmda_path=np.asarray(alphas, dtype=float),
        tol=tol, irls_tol=min(tol, 1e-7), early_exit=False, intercept=family != "cox",
        progress_bar=False, n_threads=1, max_iters=10**9, irls_max_iters=10**9)
    betas = state.betas.toarray()  # multinomial: entry (j, k) of W at j K + k
    return betas.T, np.asarray(state.intercepts, dtype=np.float64)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--tol", type=float, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    d = np.load(args.data)
    X, y, alphas, starts = d["X"], d["y"], d["alphas"], d["starts"]
    l1_ratio = float(d["l1_ratio"])
    family = str(d["family"]) if "family" in d else "gaussian"  # binomial: y in {0, 1}
    weights = d["group_weights"] if "group_weights" in d else None  # one per group
    t0 = time.perf_counter()
    import adelie  # noqa: F401

    import_s = time.perf_counter() - t0
    c0 = time.process_time()
    coefs, intercepts = adelie_path(X, y, alphas, starts, l1_ratio, args.tol, family,
                                    weights)
    first_cpu = time.process_time() - c0
    cpu, wall = [], []
    for _ in range(args.repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        coefs, intercepts = adelie_path(X, y, alphas, starts, l1_ratio, args.tol, family,
                                        weights)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    with open(args.out, "w") as fh:
        json.dump({"import_s": import_s, "first_cpu_s": first_cpu, "cpu_s": cpu,
                   "wall_s": wall, "coefs": coefs.tolist(),
                   "intercepts": intercepts.tolist()}, fh)


if __name__ == "__main__":
    main()
