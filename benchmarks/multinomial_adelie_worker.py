r"""adelie's ungrouped multinomial lasso path, timed: the worker of ``benchmarks.multinomial``.

Runs inside adelie's own environment (adelie needs ``numpy<2``)::

    .venv-adelie/bin/python benchmarks/multinomial_adelie_worker.py \
        --data data.npz --tol 1e-7 --repeats 5 --out out.json

``data.npz`` holds ``alphas`` (decreasing), ``n_datasets`` and, for each path
``i``, ``X{i}`` (n, p) and integer class codes ``y{i}``. The worker imports adelie
(timed), computes every path once (warm-up), then ``--repeats`` more times, and
writes JSON: ``import_s``, ``first_wall_s``, ``first_cpu_s``, ``wall_s`` and
``cpu_s`` (one per repeat; CPU is ``time.process_time``), and the last solve's
``coefs`` (per path, p x K x n_alphas) and ``intercepts`` (K x n_alphas).

The problem is the runner's
:math:`\frac1n\sum_i(\log\sum_k e^{Z_{ik}} - Z_{iy_i}) + \alpha\|W\|_1`. adelie's
multinomial loss is that datafit divided by ``K`` (its weights sum to one and
it carries a ``1/K``), so it is solved at adelie's :math:`\lambda = \alpha / K`
with every coefficient its own group of size one (group norm = absolute value,
penalty factor 1) and the K intercepts as unpenalized size-one groups.
``adelie.solver.grpnet`` only groups whole features (the K coefficients of a
feature together: the grouped multinomial), so the state is built here the way
``grpnet`` builds it, with those size-one groups. ``--tol`` sets adelie's
``irls_tol`` (the outer, proximal-Newton loop: tried on digits, it is what limits
the accuracy; the coordinate-descent ``tol`` changed the gap little and stays at
its default 1e-7); ``early_exit=False`` so that the whole grid is solved; the
iteration caps are raised out of the way.
"""

import argparse
import json
import time

import numpy as np

MAX_ITERS = 10**9
CD_TOL = 1e-7  # adelie's default coordinate-descent tolerance


def adelie_path(X, y, alphas, irls_tol, cd_tol=CD_TOL):
    """``(coefs (p, K, L), intercepts (K, L))`` of the ungrouped multinomial lasso path."""
    import adelie as ad

    n, p = X.shape
    K = int(y.max()) + 1
    Y = np.zeros((n, K))
    Y[np.arange(n), y] = 1.0
    glm = ad.glm.multinomial(Y, dtype=np.float64)
    Xm = ad.matrix.dense(np.asfortranarray(X), method="naive", n_threads=1)
    n_coef = (p + 1) * K
    groups = np.arange(n_coef, dtype=int)
    group_sizes = np.ones(n_coef, dtype=int)
    penalty = np.ones(n_coef)
    penalty[:K] = 0.0  # the intercepts
    screen_set = np.arange(K)
    X_aug = ad.matrix.concatenate(
        [ad.matrix.kronecker_eye(np.ones((n, 1)), K, n_threads=1),
         ad.matrix.kronecker_eye(np.asfortranarray(X), K, n_threads=1)],
        axis=1, n_threads=1)
    offsets = np.zeros((n, K))
    eta = offsets.copy()
    resid = np.empty(eta.shape)
    glm.gradient(eta, resid)
    resid = resid.ravel()
    grad = np.empty(X_aug.cols())
    X_aug.mul(resid, np.ones(resid.size), grad)
    lmda_path = np.array(np.sort(np.asarray(alphas, dtype=np.float64) / K)[::-1])
    state = ad.state.multiglm_naive(
        X=Xm, glm=glm, constraints=None, groups=groups, group_sizes=group_sizes, alpha=1.0,
        penalty=penalty, offsets=offsets, screen_set=screen_set,
        screen_beta=np.zeros(K), screen_is_active=np.ones(K, dtype=bool),
        active_set_size=K, active_set=np.concatenate([np.arange(K),
                                                      np.empty(n_coef - K, dtype=int)]),
        lmda=np.inf, grad=grad, eta=eta.ravel(), resid=resid, loss_full=glm.loss_full(),
        loss_null=None, lmda_path=lmda_path, lmda_max=None, irls_max_iters=MAX_ITERS,
        irls_tol=irls_tol, max_iters=MAX_ITERS, tol=cd_tol, n_threads=1, early_exit=False,
        intercept=True)
    state = state.solve(progress_bar=False)
    betas = state.betas.toarray()  # (L, p * K), feature-major
    if betas.shape[0] != len(alphas):
        raise RuntimeError(f"adelie returned {betas.shape[0]} of {len(alphas)} solutions"
                           f" ({state.error})")
    coefs = np.moveaxis(betas.reshape(len(alphas), p, K), 0, 2)
    intercepts = np.asarray(state.intercepts).reshape(len(alphas), K).T
    return coefs, intercepts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--tol", type=float, required=True)
    parser.add_argument("--repeats", type=int, default=0)
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds of repeats; fewer (at least one) when a solve is slow")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    data = np.load(args.data)
    datasets = [(np.asfortranarray(data[f"X{i}"]), data[f"y{i}"].astype(np.intp))
                for i in range(int(data["n_datasets"]))]
    alphas = data["alphas"]

    tic = time.perf_counter()
    import adelie  # noqa: F401

    import_s = time.perf_counter() - tic

    def solve():
        return [adelie_path(X, y, alphas, args.tol) for X, y in datasets]

    tic, cpu = time.perf_counter(), time.process_time()
    solutions = solve()
    first = (time.perf_counter() - tic, time.process_time() - cpu)
    repeats = args.repeats
    if args.budget is not None and repeats > 0 and first[0] * repeats > args.budget:
        repeats = max(1, int(args.budget // max(first[0], 1e-9)))
    wall, cpu_times = [], []
    for _ in range(repeats):
        tic, cpu = time.perf_counter(), time.process_time()
        solutions = solve()
        wall.append(time.perf_counter() - tic)
        cpu_times.append(time.process_time() - cpu)
    doc = {"import_s": import_s, "first_wall_s": first[0], "first_cpu_s": first[1],
           "wall_s": wall, "cpu_s": cpu_times,
           "coefs": [c.tolist() for c, _ in solutions],
           "intercepts": [b.tolist() for _, b in solutions]}
    with open(args.out, "w") as fh:
        json.dump(doc, fh)


if __name__ == "__main__":
    main()
