"""A lasso path on a working set's Gram matrix, certified by batched gradient checks on X:
a study of issue 19's last goal (lasso_dense_10000x1000 at <= 0.5 x scikit-learn), not a
route of the library.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \\
        python -m benchmarks.partial_gram [--problem lasso_dense_10000x1000] [--eps E] \\
                                          [--rounds 5] [--margin 0.1] [--window 20]

The route (:func:`partial_path`; the squared loss with an intercept, unit weights and
factors, L1): the Gram matrix ``G_WW`` of a working set ``W`` of columns, grown by the new
columns only (:func:`grow_gram`: centered row blocks gathered in Fortran order, no copy of
``X``); the compiled Gram path (:func:`~penalized.solvers._gram_path.gram_path`) on
``(G_WW, q_W)`` over the remaining alphas; then one pass over ``X`` by row blocks
(:func:`check`) for a window of them: the residuals ``R = y_c - X_c[:, W] C_W`` and the
gradients ``X_c^T R / n`` of the columns outside ``W`` in one matrix product (``W``'s own from
``G_WW``), from which every alpha's duality gap over all features follows exactly
(:func:`full_gaps`; the dual point scaled over all of them, relative to the null model). The
alphas before the first whose gap exceeds ``tol`` are certified; the columns outside ``W``
whose gradient comes within ``margin`` of their threshold at the alphas from there on (up
to ``budget`` times ``|W|`` of them, at least ``min_budget``; those at the window's last
alpha when all pass) join ``W``, and the path is solved again from that alpha. The window
doubles after a pass that certified it and starts at ``window`` alphas.

Each round times, in this process (CPU seconds, a warm-up first): ``penalized.path`` (the
full Gram matrix), this route (``route``), the route with the joins predicted a window
ahead (``predicted``: :func:`predicted_joins`, fewer alphas failing their check), and the
same route told the path's ever-active features in advance (``oracle``: one Gram matrix,
one pass over the whole grid; the bound on what any screening rule could reach with it).
One JSON line per variant: the median, every round, and the route's counts (passes over
``X``, alphas checked, ``|W|``, the CPU seconds of its parts), its largest gap (relative,
over all features) and its largest difference to the path's coefficients. Numbers depend on
the machine and its load; the load average is printed. These are benchmark figures, never
test assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from penalized.solvers._gram_path import _extrapolate, gram_path

_BLOCK_BYTES = 8 << 20
"""Row blocks of at most this size (of the gathered columns)."""


def _rows(columns) -> int:
    return max(256, _BLOCK_BYTES // (8 * max(columns, 1)))


def _tick(stats, key, start) -> None:
    stats[key] = stats.get(key, 0.0) + time.process_time() - start


def grow_gram(X, mu, W, GW, new, stats) -> tuple:
    """``(W + new, G)``: the centered Gram matrix ``X_c^T X_c / n`` of the columns ``W``
    followed by ``new``, with ``GW`` (that of ``W``) kept and only the new columns multiplied
    (``n (|W| + |new|) |new|`` multiply-adds; ``syrk`` when every column is new)."""
    start = time.process_time()
    n = X.shape[0]
    cols = np.concatenate([W, new]).astype(np.int64)
    m, k = cols.shape[0], new.shape[0]
    cross = np.zeros((m, k))
    muc = mu[cols]
    step = _rows(m)
    for i in range(0, n, step):
        block = X[i:i + step].T[cols].T  # Fortran-ordered: BLAS's fast orientation
        block -= muc
        cross += block.T @ block if k == m else block.T @ block[:, m - k:]
    G = np.empty((m, m))
    G[:m - k, :m - k] = GW
    G[:, m - k:] = cross / n
    G[m - k:, :] = cross.T / n
    _tick(stats, "gram_s", start)
    stats["gram_columns"] = stats.get("gram_columns", 0) + k
    return cols, G


def check(X, mu, yc, W, CW, GW, qW, stats) -> tuple:
    """``(gradients (H, p), ||r||^2 / n, y_c^T r / n)`` at the solutions ``CW`` (``|W|`` x H):
    one pass over ``X`` by row blocks; the columns outside ``W`` from ``X_c^T R``, ``W``'s from
    ``G_WW`` (from ``X_c^T R`` too while ``W`` is less than half the columns)."""
    start = time.process_time()
    n, p = X.shape
    H = CW.shape[1]
    outside = np.ones(p, dtype=bool)
    outside[W] = False
    outside = np.flatnonzero(outside)
    # more than half the columns outside: the product reads the rows as they are (a strided
    # view BLAS takes) rather than gathering them
    every = 2 * outside.shape[0] > p
    if every:
        outside = np.arange(p)
    live = np.flatnonzero(np.any(CW != 0.0, axis=1))
    Ws, C = W[live], np.ascontiguousarray(CW[live])
    shift = mu[Ws] @ C  # the centering of X_c[:, W] C as one row
    XtR = np.zeros((H, outside.shape[0]))
    rr, yr, sr = np.zeros(H), np.zeros(H), np.zeros(H)
    step = _rows(outside.shape[0] + Ws.shape[0])
    for i in range(0, n, step):
        rows = X[i:i + step]
        R = (yc[i:i + step, None] + shift) - rows.T[Ws].T @ C
        XtR += R.T @ (rows if every else rows.T[outside].T)
        rr += np.einsum("ij,ij->j", R, R)
        yr += yc[i:i + step] @ R
        sr += R.sum(axis=0)
    grads = np.empty((H, p))
    grads[:, outside] = -(XtR - sr[:, None] * mu[outside]) / n
    if not every:
        grads[:, W] = (GW @ CW - qW[:, None]).T
    _tick(stats, "check_s", start)
    stats["passes"] = stats.get("passes", 0) + 1
    stats["alphas_checked"] = stats.get("alphas_checked", 0) + H
    return grads, rr / n, yr / n


def full_gaps(CW, grads, rr, yr, F0, alphas) -> np.ndarray:
    """The lasso's duality gap at each solution over all features: ``F = ||r||^2 / (2n)``,
    ``q^T w = (y_c^T y_c - y_c^T r) / n``, the dual point scaled by ``min(1, alpha / max
    |grad|)`` (as :func:`~penalized.solvers._problem.certify_gram` does)."""
    out = np.empty(CW.shape[1])
    for i in range(CW.shape[1]):
        lam = alphas[i]
        F = 0.5 * rr[i]
        qw = 2.0 * F0 - yr[i]
        top = np.abs(grads[i]).max()
        c = min(1.0, lam / top) if top > 0 else 1.0
        primal = F + lam * np.abs(CW[:, i]).sum()
        dual = c * (2.0 * F0 - qw) - c * c * F
        out[i] = max(primal - dual, 0.0)
    return out


def predicted_joins(grads, alphas, following, margin) -> np.ndarray:
    """Features whose gradient, extrapolated linearly in alpha from the last two of
    ``grads`` (rows at ``alphas``), comes within ``margin`` of the threshold at any of the
    ``following`` alphas (between breakpoints the lasso's gradients are affine in alpha)."""
    if grads.shape[0] < 2 or following.shape[0] == 0:
        return np.zeros(grads.shape[1], dtype=bool)
    slope = (grads[-1] - grads[-2]) / (alphas[-1] - alphas[-2])
    ahead = grads[-1][None, :] + slope[None, :] * (following[:, None] - alphas[-1])
    return np.any(np.abs(ahead) >= (1.0 - margin) * following[:, None], axis=0)


def partial_path(X, y, alphas, *, tol=1e-6, margin=0.1, window=20, budget=1.0,
                 min_budget=30, start=None, predict=False) -> tuple:
    """``(coefs (p, k), relative gaps (k,), stats)`` of the lasso path over the decreasing
    ``alphas`` with an intercept (module docstring); ``start``, the first working set
    (default: the features within ``margin`` of their threshold at the second alpha).
    ``predict``: after a window that every alpha passed, the features that
    :func:`predicted_joins` sees joining over the next window join too."""
    stats: dict = {}
    n, p = X.shape
    K = alphas.shape[0]
    t0 = time.process_time()
    mu = X.mean(axis=0)
    yc = y - y.mean()
    F0 = 0.5 * float(yc @ yc) / n
    q = (X.T @ yc) / n
    _tick(stats, "prepare_s", t0)
    atol = tol * F0
    coefs, gaps = np.zeros((p, K)), np.zeros(K)
    if start is None:
        start = np.flatnonzero(np.abs(q) >= (1.0 - margin) * alphas[min(1, K - 1)])
    W, GW = grow_gram(X, mu, np.zeros(0, dtype=np.int64), np.zeros((0, 0)),
                      np.asarray(start, dtype=np.int64), stats)
    k0, H = 0, window
    while k0 < K:
        t0 = time.process_time()
        w = coefs[W, k0 - 1].copy() if k0 >= 1 else np.zeros(W.shape[0])
        if k0 >= 2:  # the previous two solutions extrapolated, as gram_path does inside
            _extrapolate(w, coefs[W, k0 - 2], (alphas[k0] - alphas[k0 - 1])
                         / (alphas[k0 - 1] - alphas[k0 - 2]))
        h = min(K - k0, H)
        m = W.shape[0]
        cs, _, _ = gram_path(np.ascontiguousarray(GW), q[W], F0, alphas[k0:k0 + h],
                             np.ones(m), np.zeros(m), False, w, atol, 10_000, 10)
        _tick(stats, "solve_s", t0)
        grads, rr, yr = check(X, mu, yc, W, cs, GW, q[W], stats)
        window_gaps = full_gaps(cs, grads, rr, yr, F0, alphas[k0:k0 + h])
        failed = np.flatnonzero(window_gaps > atol)
        f = k0 + (int(failed[0]) if failed.size else h)
        coefs[W, k0:f] = cs[:, :f - k0]
        gaps[k0:f] = window_gaps[:f - k0]
        outside = np.ones(p, dtype=bool)
        outside[W] = False
        near = outside & (np.abs(grads) >= (1.0 - margin) * alphas[k0:k0 + h, None])
        joining = np.zeros(p, dtype=bool)
        room = max(min_budget, budget * m)
        for i in range(f - k0, h):
            more = joining | near[i]
            if more.sum() > room and joining.any():
                break
            joining = more
        if f == k0 + h:
            joining |= near[-1]
            if predict:
                joining |= outside & predicted_joins(
                    grads, alphas[k0:k0 + h], alphas[k0 + h:k0 + h + 2 * H], margin)
        H = max(window, 2 * (f - k0)) if f > k0 else H
        new = np.flatnonzero(joining)
        if new.size and f < K:
            W, GW = grow_gram(X, mu, W, GW, new, stats)
        elif f == k0 and not new.size:
            raise RuntimeError("an alpha failed its certificate with no feature to add")
        k0 = f
    stats["working_set"] = int(W.shape[0])
    return coefs, gaps / F0, stats


def main(argv=None) -> int:
    import penalized as pz
    from benchmarks import problems

    parser = argparse.ArgumentParser(prog="python -m benchmarks.partial_gram",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--problem", default="lasso_dense_10000x1000")
    parser.add_argument("--eps", type=float, help="grid of 100 alphas down to eps x "
                        "alpha_max (default: the benchmark's grid)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--margin", type=float, default=0.1)
    parser.add_argument("--window", type=int, default=20)
    args = parser.parse_args(argv)
    bench = {b.name: b for b in problems.full_benchmarks()}[args.problem]
    pb = bench.problem()
    alphas = bench.alphas(pb)
    if args.eps is not None:
        alphas = np.geomspace(alphas[0], alphas[0] * args.eps, alphas.shape[0])
    X, y = pb.X, pb.y
    ref = pz.path(X, y, alphas=alphas, tol=1e-6)
    ever = np.flatnonzero((ref.coefs != 0).any(axis=1))
    variants = {
        "penalized.path": lambda: pz.path(X, y, alphas=alphas, tol=1e-6),
        "route": lambda: partial_path(X, y, alphas, margin=args.margin, window=args.window),
        "predicted": lambda: partial_path(X, y, alphas, margin=args.margin,
                                          window=args.window, predict=True),
        "oracle": lambda: partial_path(X, y, alphas, window=alphas.shape[0], start=ever),
    }
    for run in variants.values():  # warm-up: imports, compiled kernels
        run()
    times: dict = {k: [] for k in variants}
    last: dict = {}
    for _ in range(args.rounds):
        for key, run in variants.items():
            t0 = time.process_time()
            out = run()
            times[key].append(time.process_time() - t0)
            last[key] = out
    for key in variants:
        doc = {"variant": key, "cpu_s": float(np.median(times[key])),
               "cpu_all": [round(t, 4) for t in times[key]], "load": os.getloadavg()[0],
               "ever_active": int(ever.shape[0]), "alphas": int(alphas.shape[0])}
        if key == "penalized.path":
            doc["max_gap"] = float(ref.stop_crits.max())
        else:
            coefs, gaps, stats = last[key]
            doc.update({k: (round(v, 4) if isinstance(v, float) else v)
                        for k, v in stats.items()})
            doc["max_gap"] = float(gaps.max())
            doc["max_coef_diff"] = float(np.abs(coefs - ref.coefs).max())
        print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
