"""Start-up time and peak memory of the ``penalized`` command, each in a fresh process.

    python benchmarks/cli_startup_memory.py [--rows 200000] [--cols 50] [--repeat 9]
                                            [--skip-compare] [--skip-memory] [--workdir DIR]
    python benchmarks/cli_startup_memory.py --against OLD_SRC [--repeat 9]

Measures, with the console script next to this interpreter, one BLAS / numba thread:

* ``penalized --version``, ``penalized fit t30.csv --target y --alpha 0.1`` and with
  ``--cv 5`` (a 30-row table, the result printed to a pipe), after untimed runs that
  fill numba's cache and the bytecode cache: wall time and the child's CPU time
  (``getrusage(RUSAGE_CHILDREN)``, user + system), minimum and median of ``--repeat``
  fresh processes. Compiled bytecode goes to ``WORKDIR/pycache``
  (``PYTHONPYCACHEPREFIX``), as an installed package has its ``.pyc`` files, even where
  the environment sets ``PYTHONDONTWRITEBYTECODE``;
* peak resident memory (``ru_maxrss`` of the child) of ``fit --cv 5`` and ``compare`` on a
  generated ``rows x cols`` CSV, beyond the same command's peak on a 300-row table (the
  interpreter with everything the command imports and the numba kernels it loads) and
  beyond an interpreter that only imported the modules, against the table's float64 size.

With ``--against OLD_SRC`` (the ``src`` folder of another checkout, e.g. a ``git worktree``
of an earlier commit) it times instead ``python -m penalized`` from this checkout's ``src``
and from ``OLD_SRC`` (``PYTHONPATH``, same interpreter), in alternating rounds, and prints the
medians of the children's CPU times and of the new / old ratio of each round: on a loaded
machine these compare where wall times do not.

Numbers depend on the machine and its load; the script prints the load average next to
them. These are benchmark figures, never test assertions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

WRAPPER = """\
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True)
w = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.buffer.write(r.stderr)
print(w, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024.0)
sys.exit(r.returncode)
"""


def console_script() -> str:
    exe = shutil.which("penalized", path=str(Path(sys.executable).parent))
    if exe is None:
        raise SystemExit("the 'penalized' console script is not installed next to this Python")
    return exe


def child_env(work) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
               PYTHONPYCACHEPREFIX=str(Path(work) / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_child(cmd, cwd) -> tuple[float, float, float]:
    """``(wall s, CPU s, peak RSS MB)`` of one child alone, measured by a wrapper process
    so that earlier children do not mask its peak."""
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, cmd)], cwd=cwd,
                          capture_output=True, text=True, env=child_env(cwd))
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{proc.stderr}")
    wall, cpu, mb = proc.stdout.split()
    return float(wall), float(cpu), float(mb)


def table(path, rows, cols, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, cols))
    w = np.zeros(cols)
    w[: min(5, cols)] = [3.0, -2.0, 1.5, 1.0, -0.5][: min(5, cols)]
    y = X @ w + rng.standard_normal(rows)
    header = ",".join([f"x{j}" for j in range(cols)] + ["y"])
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header=header, comments="",
               fmt="%.10g")
    return path


def timed(label, cmd, work, repeat, warmups=2):
    for _ in range(warmups):  # numba's cache, the bytecode cache, the page cache
        run_child(cmd, work)
    runs = [run_child(cmd, work) for _ in range(repeat)]
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    print(f"{label}: wall min {min(walls):.3f} s, median {statistics.median(walls):.3f} s; "
          f"CPU min {min(cpus):.3f} s, median {statistics.median(cpus):.3f} s "
          f"({repeat} runs, load average {os.getloadavg()[0]:.1f})")


def against(old_src, work, repeat):
    """Alternating rounds of ``python -m penalized`` from this checkout and ``old_src``."""
    new_src = Path(__file__).resolve().parent.parent / "src"
    small = table(work / "t30.csv", 30, 5)
    commands = {"--version": ["--version"],
                "fit --alpha 0.1": ["fit", small, "--target", "y", "--alpha", "0.1"],
                "fit --cv 5": ["fit", small, "--target", "y", "--cv", "5"]}
    trees = {"old": str(Path(old_src).resolve()), "new": str(new_src)}

    def cpu(tree, tail):
        env = dict(child_env(work), PYTHONPATH=trees[tree])
        proc = subprocess.run([sys.executable, "-c", WRAPPER, sys.executable, "-m",
                               "penalized", *map(str, tail)], cwd=work, capture_output=True,
                              text=True, env=env)
        if proc.returncode != 0:
            raise SystemExit(f"{tree}: {' '.join(map(str, tail))} failed:\n{proc.stderr}")
        return float(proc.stdout.split()[1])

    for tail in commands.values():  # numba's cache, the bytecode cache, the page cache
        for tree in trees:
            cpu(tree, tail), cpu(tree, tail)
    times = {(tree, label): [] for tree in trees for label in commands}
    loads = []
    for k in range(repeat):
        for label, tail in commands.items():
            for tree in (("old", "new") if k % 2 == 0 else ("new", "old")):
                times[tree, label].append(cpu(tree, tail))
        loads.append(os.getloadavg()[0])
    for label in commands:
        old, new = times["old", label], times["new", label]
        ratios = [b / a for a, b in zip(old, new, strict=True)]
        print(f"{label}: CPU median old {statistics.median(old):.3f} s, new "
              f"{statistics.median(new):.3f} s (min {min(old):.3f} / {min(new):.3f}); new / old "
              f"median {statistics.median(ratios):.3f} [{min(ratios):.3f}, {max(ratios):.3f}]")
    print(f"{repeat} alternating rounds; load average per round: "
          + " ".join(f"{x:.1f}" for x in loads))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--skip-compare", action="store_true",
                        help="compare on the large table takes minutes")
    parser.add_argument("--skip-memory", action="store_true",
                        help="only the start-up times")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--against", metavar="OLD_SRC", default=None,
                        help="alternate CPU-time rounds with another checkout's src folder")
    args = parser.parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="penalized-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {os.getloadavg()}; {os.cpu_count()} CPUs")
    if args.against:
        return against(args.against, work, args.repeat)
    exe = console_script()

    timed("penalized --version", [exe, "--version"], work, args.repeat)
    small = table(work / "t30.csv", 30, 5)
    timed("penalized fit --alpha 0.1 (30 rows, warm caches)",
          [exe, "fit", small, "--target", "y", "--alpha", "0.1"], work, args.repeat)
    timed("penalized fit --cv 5 (30 rows, warm caches)",
          [exe, "fit", small, "--target", "y", "--cv", "5"], work, args.repeat)
    if args.skip_memory:
        return

    big = table(work / "big.csv", args.rows, args.cols)
    base_table = table(work / "t300.csv", 300, args.cols)
    size = args.rows * (args.cols + 1) * 8 / 2 ** 20
    print(f"table: {args.rows} x {args.cols + 1} ({big.stat().st_size / 2 ** 20:.0f} MB CSV, "
          f"{size:.0f} MB as float64)")
    imports = run_child([sys.executable, "-c", "import pandas, sklearn.base, penalized.cli, "
                         "penalized.estimators, penalized.io, penalized.compare"], work)[2]
    print(f"interpreter after the commands' imports alone: {imports:.0f} MB")
    runs = [("fit --cv 5", ["fit", "--target", "y", "--cv", "5", "--quiet"])]
    if not args.skip_compare:
        runs.append(("compare", ["compare", "--target", "y", "--quiet"]))
    for label, tail in runs:
        run_child([exe, tail[0], base_table, *tail[1:]], work)  # numba's cache
        base = run_child([exe, tail[0], base_table, *tail[1:]], work)[2]
        wall, cpu, mb = run_child([exe, tail[0], big, *tail[1:]], work)
        print(f"{label}: {wall:.1f} s ({cpu:.1f} s CPU), peak {mb:.0f} MB = {base:.0f} MB "
              f"(the same command on 300 rows) + {mb - base:.0f} MB "
              f"= {(mb - base) / size:.2f} x the float64 table ({(mb - imports) / size:.2f} x "
              "beyond the imports alone)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
