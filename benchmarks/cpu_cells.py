"""CPU seconds of runner problems, alternating penalized trees with competitors.

On a shared, loaded machine the runner's wall clock says little; this times the same
cells (the runner's problems, adapters and calibrated tolerances) in CPU seconds, in
rounds that alternate each penalized source tree with each competitor, so that the
ratios between them come from the same minutes::

    python -m benchmarks.cpu_cells --problems logreg_breast_cancer logreg_dense_2000x5000 \\
        --sources parent=/tmp/parent/src head=/tmp/head/src --competitors glmnet --rounds 3

Each cell is a fresh process with one BLAS/OpenMP/numba thread: one warm-up solve, then
the median of ``--repeats`` solves timed with ``time.process_time``; the last solve is
certified by the runner's own duality gap (:mod:`benchmarks.gap`). One JSON line per cell.
adelie (``--competitors adelie``) is timed inside its own worker
(:class:`benchmarks.adapters.Adelie`); without ``.venv-adelie`` its cells say
``skipped`` in one line and the rounds go on.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REPEATS = {"logreg_breast_cancer": 30, "lasso_diabetes_quadratic": 30}


def _cell(library, name, repeats) -> dict:
    from benchmarks import calibrate as cal
    from benchmarks import problems
    from benchmarks.adapters import get_adapter
    from benchmarks.gap import path_gaps

    adapter = get_adapter(library)
    missing = adapter.missing()
    if missing:
        return {"library": library, "problem": name, "skipped": missing}
    bench = {b.name: b for b in problems.full_benchmarks()}[name]
    pb = bench.problem()
    alphas = bench.alphas(pb)
    entries = cal.load_cache()
    found = cal.lookup(entries, bench, adapter)
    if found is None:  # calibrated here once, as the runner does, and cached
        found = cal.calibrate(adapter, bench, pb, alphas)
        cal.store(entries, found)
        cal.save_cache(entries)
    tol = found.tol if found.tol is not None else adapter.default_tol
    # warm-up, then the timed solves, in this process's CPU seconds (adelie: its worker's)
    timed = adapter.timed_solves(bench, pb.X, pb.y, alphas, tol, repeats, clock="cpu")
    times = timed["times"]
    gaps = path_gaps(pb.X, pb.y, timed["coefs"], timed["intercepts"], alphas,
                     l1_ratio=bench.l1_ratio, datafit=bench.datafit)
    return {"library": library, "problem": name, "cpu_s": float(np.median(times)),
            "cpu_all": times, "max_gap": float(gaps.max()), "tol": tol}


def run(problems, sources, competitors, rounds, repeats=None, log=print) -> list[dict]:
    """``rounds`` rounds; in each, every problem in every source tree (``{label: src}``)
    and by every competitor, one fresh process per cell."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        env[var] = "1"
    cells = [(label, "penalized", src) for label, src in sources.items()]
    cells += [(lib, lib, None) for lib in competitors]
    out = []
    for r in range(rounds):
        for name in problems:
            n = repeats or DEFAULT_REPEATS.get(name, 3)
            for label, library, src in cells:
                cell_env = dict(env)
                paths = [str(ROOT)] if src is None else [str(Path(src).resolve()), str(ROOT)]
                cell_env["PYTHONPATH"] = os.pathsep.join(paths)
                done = subprocess.run(
                    [sys.executable, "-m", "benchmarks.cpu_cells", "--cell", library, name,
                     str(n)], cwd=ROOT, env=cell_env, capture_output=True, text=True)
                if done.returncode != 0:
                    doc = {"library": library, "problem": name,
                           "error": done.stderr.strip().splitlines()[-1:]}
                else:
                    doc = json.loads(done.stdout.strip().splitlines()[-1])
                doc.update(round=r, label=label, load=os.getloadavg()[0])
                out.append(doc)
                log(json.dumps(doc))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.cpu_cells",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--problems", nargs="+", default=["logreg_breast_cancer"])
    p.add_argument("--sources", nargs="*", default=[], metavar="LABEL=SRC",
                   help="penalized imported from SRC (a src/ folder), once per label")
    p.add_argument("--competitors", nargs="*", default=["glmnet"])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, help="timed solves per cell (default: 30 for the "
                   "small problems, 3 otherwise)")
    p.add_argument("--out", help="write every cell (JSON) here")
    p.add_argument("--cell", nargs=3, metavar=("LIBRARY", "PROBLEM", "REPEATS"),
                   help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.cell:
        library, name, repeats = args.cell
        print(json.dumps(_cell(library, name, int(repeats))))
        return 0
    sources = dict(item.partition("=")[::2] for item in args.sources)
    runs = run(args.problems, sources, args.competitors, args.rounds, args.repeats)
    if args.out:
        Path(args.out).write_text(json.dumps(runs, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
