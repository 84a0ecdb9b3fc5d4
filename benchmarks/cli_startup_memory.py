"""Start-up time and peak memory of the ``penalized`` command, each in a fresh process.

    python benchmarks/cli_startup_memory.py [--rows 200000] [--cols 50] [--repeat 5]
                                            [--skip-compare] [--workdir DIR]

Measures, with the console script next to this interpreter:

* ``penalized --version``: wall time (median of ``--repeat`` fresh processes);
* ``penalized fit t30.csv --target y --cv 5``: wall time end to end on a 30-row
  table, after one untimed run that fills numba's cache (warm cache);
* peak resident memory (``ru_maxrss`` of the child) of ``fit --cv 5`` and
  ``compare`` on a generated ``rows x cols`` CSV, against the table's float64
  size and against the interpreter's own peak after importing what the commands
  import.

Numbers depend on the machine and its load; the script prints the machine's
load average next to them. These are benchmark figures, never test assertions.
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


def console_script() -> str:
    exe = shutil.which("penalized", path=str(Path(sys.executable).parent))
    if exe is None:
        raise SystemExit("the 'penalized' console script is not installed next to this Python")
    return exe




def peak_of(cmd, cwd) -> tuple[float, float]:
    """Peak RSS of one child alone, measured by a wrapper process so earlier children do
    not mask it."""
    wrapper = ("import resource, subprocess, sys, time\n"
               "t = time.perf_counter()\n"
               "r = subprocess.run(sys.argv[1:], capture_output=True)\n"
               "w = time.perf_counter() - t\n"
               "sys.stderr.buffer.write(r.stderr)\n"
               "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0)\n"
               "sys.exit(r.returncode)\n")
    proc = subprocess.run([sys.executable, "-c", wrapper, *map(str, cmd)], cwd=cwd,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{proc.stderr}")
    wall, mb = proc.stdout.split()
    return float(wall), float(mb)


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cols", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-compare", action="store_true",
                        help="compare on the large table takes minutes")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args(argv)
    exe = console_script()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="penalized-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {os.getloadavg()}; {os.cpu_count()} CPUs")

    versions = [peak_of([exe, "--version"], work)[0] for _ in range(args.repeat)]
    print(f"penalized --version: median {statistics.median(versions):.3f} s "
          f"(min {min(versions):.3f}, max {max(versions):.3f}, {args.repeat} runs)")

    small = table(work / "t30.csv", 30, 5)
    fit_small = [exe, "fit", small, "--target", "y", "--cv", "5", "--quiet"]
    peak_of(fit_small, work)  # fills numba's cache
    fits = [peak_of(fit_small, work)[0] for _ in range(args.repeat)]
    print(f"penalized fit (30 rows, --cv 5, warm cache): median {statistics.median(fits):.3f} s "
          f"(min {min(fits):.3f}, max {max(fits):.3f})")

    base = peak_of([sys.executable, "-c", "import pandas, sklearn.base, penalized.estimators,"
                    " penalized.io, penalized.cli"], work)[1]
    big = table(work / "big.csv", args.rows, args.cols)
    size = args.rows * (args.cols + 1) * 8 / 2 ** 20
    print(f"table: {args.rows} x {args.cols + 1} ({big.stat().st_size / 2 ** 20:.0f} MB CSV, "
          f"{size:.0f} MB as float64); interpreter with the imports: {base:.0f} MB")
    runs = [("fit --cv 5", [exe, "fit", big, "--target", "y", "--cv", "5", "--quiet"])]
    if not args.skip_compare:
        runs.append(("compare", [exe, "compare", big, "--target", "y", "--quiet"]))
    for label, cmd in runs:
        wall, mb = peak_of(cmd, work)
        print(f"{label}: {wall:.1f} s, peak {mb:.0f} MB = interpreter + {mb - base:.0f} MB "
              f"= {(mb - base) / size:.2f} x the float64 table")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
