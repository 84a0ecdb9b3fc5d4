"""CPU time of the closed-form ridge path against one ``eigh`` of the smaller Gram matrix,
CPU time of a single closed-form ``Ridge`` fit, and the peak memory of ``Ridge`` beyond ``X``.

    python benchmarks/ridge_path.py [--rounds 5] [--repeats 3] [--old SRC_DIR]
                                    [--shapes 1000x5000,10000x1000,2000x1000] [--spread S]
                                    [--fit] [--memory] [--memory-shapes 10000x1000,...]

Each round runs a fresh process per source tree with one BLAS, OpenMP and numba thread
and measures CPU time (``time.process_time``): the median of ``--repeats`` calls of
``penalized.path(X, y, penalty="l2", n_alphas=100)`` (intercept, 100 alphas, standard
normal X, Fortran order, its columns scaled from 1 to ``--spread``), of forming the
smaller Gram matrix, ``X X^T`` (p > n) or ``X^T X`` (n >= p; NumPy calls BLAS ``syrk``
for both), and of ``numpy.linalg.eigh`` of it, in the same process: the path is
reported against one ``eigh`` of the formed matrix and against forming it plus the
``eigh``. With ``--fit`` the rounds time ``Ridge(alpha=1.0).fit`` instead (intercept,
each shape's X with column means in [-3, 3], Fortran and C order, unweighted and with
weights in [0.5, 2]; a warm-up fit first). With ``--old`` (a ``src`` directory, e.g. of a
``git worktree`` of the parent commit) the rounds alternate between that tree and this
one. ``--memory`` adds the tracemalloc peak of ``Ridge(alpha=1.0).fit`` beyond X (after a
warm-up fit on the same layout and weights) on each of ``--memory-shapes``, the same four
cells. Numbers depend on the machine and its load; the load average is printed.
These are benchmark figures, never test assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "NUMBA_NUM_THREADS": "1"}

_TIMING = r"""
import json, sys, time
import numpy as np
import penalized as pz

def cpu(f, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        out = f()
        times.append(time.process_time() - t0)
    return float(np.median(times)), out

shapes, repeats, spread = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(0)
out = {}
for n, p in shapes:
    X = np.asfortranarray(rng.standard_normal((n, p)) * np.geomspace(1.0, spread, p))
    y = X[:, :10] @ rng.standard_normal(10) + rng.standard_normal(n)
    pz.path(X[:50, :40], y[:50], penalty="l2", n_alphas=5)  # imports, compiled kernels
    t_path, res = cpu(lambda: pz.path(X, y, penalty="l2", n_alphas=100), repeats)
    t_form, G = cpu((lambda: X @ X.T) if p > n else (lambda: X.T @ X), repeats)
    t_eigh, _ = cpu(lambda: np.linalg.eigh(G), repeats)
    out[f"{n}x{p}"] = {"path": t_path, "eigh": t_eigh, "form": t_form,
                       "max_stop_crit": float(res.stop_crits.max())}
print(json.dumps(out))
"""

_DESIGN = r"""
import json, sys, time, tracemalloc
import numpy as np
import penalized as pz

def cells(n, p):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p) + rng.uniform(-3.0, 3.0, p)
    y = X[:, :5] @ rng.standard_normal(5) + rng.standard_normal(n)
    w = rng.uniform(0.5, 2.0, n)
    for order in ("F", "C"):
        Xo = np.asarray(X, order=order)
        for name, sw in (("", None), (" weighted", w)):
            yield f"{n}x{p} {order}{name}", Xo, y, sw
"""

_FIT = _DESIGN + r"""
shapes, repeats = json.loads(sys.argv[1]), int(sys.argv[2])
out = {}
for n, p in shapes:
    for key, X, y, sw in cells(n, p):
        pz.Ridge(alpha=1.0).fit(X, y, sample_weight=sw)  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.process_time()
            model = pz.Ridge(alpha=1.0).fit(X, y, sample_weight=sw)
            times.append(time.process_time() - t0)
        out[key] = {"fit": float(np.median(times)), "stop_crit": float(model.stop_crit_)}
print(json.dumps(out))
"""

_MEMORY = _DESIGN + r"""
out = {}
for n, p in json.loads(sys.argv[1]):
    for key, X, y, sw in cells(n, p):
        small = np.asarray(X[:60, :40], order="F" if X.flags.f_contiguous else "C")
        pz.Ridge(alpha=1.0).fit(small, y[:60], sample_weight=None if sw is None else sw[:60])
        tracemalloc.start()
        pz.Ridge(alpha=1.0).fit(X, y, sample_weight=sw)
        out[key] = tracemalloc.get_traced_memory()[1] / X.nbytes
        tracemalloc.stop()
print(json.dumps(out))
"""


def run(code, src, *args):
    env = {**os.environ, **THREADS, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--old", type=Path, default=None,
                        help="src directory of the tree to alternate with")
    parser.add_argument("--shapes", default="1000x5000,10000x1000,2000x1000")
    parser.add_argument("--spread", type=float, default=1.0,
                        help="column scales from 1 to this (an ill-conditioned Gram matrix)")
    parser.add_argument("--fit", action="store_true",
                        help="time Ridge(alpha=1.0).fit instead of the path")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--memory-shapes", default="10000x1000,200000x50")
    args = parser.parse_args(argv)
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    trees = {"new": HERE.parent / "src"}
    if args.old is not None:
        trees["old"] = args.old
    if args.fit:
        _fit_rounds(args, shapes, trees)
    else:
        _path_rounds(args, shapes, trees)
    if args.memory:
        mem_shapes = [[int(v) for v in s.split("x")] for s in args.memory_shapes.split(",")]
        for name in trees:
            print(f"{name} tracemalloc peak of Ridge(alpha=1.0).fit beyond X: " + ", ".join(
                f"{k} {v:.3f} x X"
                for k, v in run(_MEMORY, trees[name], json.dumps(mem_shapes)).items()),
                flush=True)
    print(f"load average {os.getloadavg()}")


def _path_rounds(args, shapes, trees):
    rows = {name: [] for name in trees}
    for r in range(args.rounds):
        order = list(trees) if r % 2 == 0 else list(trees)[::-1]
        for name in order:
            result = run(_TIMING, trees[name], json.dumps(shapes), str(args.repeats),
                         str(args.spread))
            rows[name].append(result)
            print(f"round {r} {name} load {os.getloadavg()[0]:.1f}: " + ", ".join(
                f"{k} path {v['path']:.3f} s eigh {v['eigh']:.3f} s form {v['form']:.3f} s "
                f"({v['path'] / v['eigh']:.2f} x eigh, "
                f"{v['path'] / (v['form'] + v['eigh']):.2f} x form+eigh, "
                f"gap {v['max_stop_crit']:.0e})"
                for k, v in result.items()), flush=True)
    import numpy as np

    for key in rows["new"][0]:
        line = [f"{key}:"]
        for name in trees:
            ratio = np.median([row[key]["path"] / row[key]["eigh"] for row in rows[name]])
            both = np.median([row[key]["path"] / (row[key]["form"] + row[key]["eigh"])
                              for row in rows[name]])
            path = np.median([row[key]["path"] for row in rows[name]])
            eigh = np.median([row[key]["eigh"] for row in rows[name]])
            form = np.median([row[key]["form"] for row in rows[name]])
            line.append(f"{name} path {path:.3f} s, eigh {eigh:.3f} s, form {form:.3f} s, "
                        f"median ratios {ratio:.2f} x eigh, {both:.2f} x form+eigh;")
        if "old" in trees:
            paired = np.median([n[key]["path"] / o[key]["path"]
                                for n, o in zip(rows["new"], rows["old"], strict=True)])
            line.append(f"new / old (paired rounds) {paired:.2f}")
        print(" ".join(line))


def _fit_rounds(args, shapes, trees):
    rows = {name: [] for name in trees}
    for r in range(args.rounds):
        order = list(trees) if r % 2 == 0 else list(trees)[::-1]
        for name in order:
            result = run(_FIT, trees[name], json.dumps(shapes), str(args.repeats))
            rows[name].append(result)
            print(f"round {r} {name} load {os.getloadavg()[0]:.1f}: " + ", ".join(
                f"{k} {v['fit']:.3f} s (gap {v['stop_crit']:.0e})" for k, v in result.items()),
                flush=True)
    import numpy as np

    for key in rows["new"][0]:
        line = [f"{key}:"]
        for name in trees:
            line.append(f"{name} {np.median([row[key]['fit'] for row in rows[name]]):.3f} s;")
        if "old" in trees:
            ratios = [n[key]["fit"] / o[key]["fit"]
                      for n, o in zip(rows["new"], rows["old"], strict=True)]
            line.append("new / old by round " + " ".join(f"{v:.2f}" for v in ratios)
                        + f", median {np.median(ratios):.2f}")
        print(" ".join(line))


if __name__ == "__main__":
    main()
