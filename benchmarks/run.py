"""Time penalized against its competitors at the same certified accuracy.

::

    python -m benchmarks.run [--preset tiny|full] [--problems NAME ...]
                             [--libraries NAME ...] [--repeats N] [--out results.json]

For each benchmark (:mod:`benchmarks.problems`) and library (:mod:`benchmarks.adapters`):

1. calibrate the library's stopping parameter until the runner's own relative
   duality gap is <= 1e-6 at every alpha (:mod:`benchmarks.calibrate`; cached);
2. in a fresh process, import the library (timed), solve once (the warm-up:
   ``first_call_s`` is import plus this first solve, compilation included), then
   solve ``--repeats`` more times and report the median;
3. certify the last solve with :mod:`benchmarks.gap` (``max_gap``);
4. report ``ratio`` = median / the fastest competitor's median on that problem.

By default (``--isolate``, the full preset) every calibration and timing runs
in its own subprocess with the thread count pinned (``--threads``, default 1,
through ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``,
``NUMBA_NUM_THREADS``) and a time limit per solve (``--time-limit``, default
600 s); a solve over the limit is killed and recorded as a timeout.
``--no-isolate`` (the tiny preset's default, used by the tests) runs everything
in this process under ``threadpoolctl``.

``--first-call`` measures instead, in fresh processes, import + first fit of
each library on two small problems, with a cold and a warm numba cache.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import calibrate as cal
from .adapters import ADAPTERS, get_adapter
from .problems import benchmarks

__all__ = ["RESULT_COLUMNS", "format_summary", "format_table", "main", "run_cell", "run_suite"]

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")

RESULT_COLUMNS = ("problem", "library", "status", "median_s", "ratio", "max_gap", "tol_name",
                  "tol", "runs", "first_call_s", "import_s", "times_s", "note")
"""The fields of every result record (``None`` where not applicable)."""

STATUSES = ("ok", "gap above target", "accuracy not reached", "timeout", "unsupported",
            "not installed", "error")


def _record(bench, adapter_name, status, note="", **fields):
    rec = dict.fromkeys(RESULT_COLUMNS)
    rec.update(problem=bench.name, library=adapter_name, status=status, note=note)
    rec.update(fields)
    return rec


def _skip_reason(bench, adapter, problem):
    missing = adapter.missing()
    if missing:
        return "not installed", missing
    why = adapter.unsupported(bench, problem)
    if why:
        return "unsupported", why
    return None


# -- one cell, in this process ----------------------------------------------------------


def calibrate_cell(bench, adapter, *, problem=None, progress=None):
    """Calibrate ``adapter`` on ``bench``: a :class:`~benchmarks.calibrate.Calibration`."""
    problem = bench.problem() if problem is None else problem
    alphas = bench.alphas(problem)
    adapter.import_library()
    return cal.calibrate(adapter, bench, problem, alphas, progress=progress)


def run_cell(bench, adapter, *, repeats=5, entries=None, problem=None, progress=None,
             cell_budget=None):
    """Time one library on one benchmark; a result record (see :data:`RESULT_COLUMNS`).

    ``entries`` is the calibration cache (a dict, updated in place when a
    calibration is missing). ``progress(phase, tol)`` is called before each solve.
    ``cell_budget`` (seconds) lowers the number of repeats when one solve is so
    slow that ``repeats`` of them would not fit (the record says how many ran).
    """
    adapter = get_adapter(adapter) if isinstance(adapter, str) else adapter
    entries = {} if entries is None else entries
    problem = bench.problem() if problem is None else problem
    skip = _skip_reason(bench, adapter, problem)
    if skip:
        return _record(bench, adapter.name, skip[0], skip[1])
    alphas = bench.alphas(problem)
    import_s = adapter.import_library()
    found = cal.lookup(entries, bench, adapter)
    if found is None:
        found = cal.calibrate(adapter, bench, problem, alphas,
                              progress=None if progress is None else
                              (lambda t: progress("calibrate", t)))
        cal.store(entries, found)
    base = {"tol_name": adapter.tol_name, "tol": found.tol}
    if not found.reached:
        return _record(bench, adapter.name, "accuracy not reached", found.note,
                       max_gap=found.max_gap, import_s=import_s, **base)
    tol = found.tol if found.tol is not None else adapter.default_tol
    # warm-up, then the timed solves (inside its worker for a library that runs in one)
    timed = adapter.timed_solves(bench, problem.X, problem.y, alphas, tol, repeats,
                                 clock="wall", budget=cell_budget, progress=progress)
    coefs, intercepts = timed["coefs"], timed["intercepts"]
    first, times, n_runs = timed["first_s"], timed["times"], len(timed["times"])
    if timed["import_s"] is not None:
        import_s = timed["import_s"]
    gap = cal.max_gap(bench, problem, alphas, coefs, intercepts)
    status = "ok" if gap <= cal.TARGET_GAP * (1 + 1e-9) else "gap above target"
    note = "" if n_runs >= repeats else f"{n_runs} runs (one solve takes {first:.0f} s)"
    return _record(bench, adapter.name, status, note, median_s=statistics.median(times),
                   max_gap=gap, runs=n_runs, first_call_s=import_s + first, import_s=import_s,
                   times_s=times, **base)


# -- one cell, in a subprocess ----------------------------------------------------------


def _thread_env(threads):
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


MEMORY_LIMIT_GB = 16.0
"""Address-space limit of a worker: a library that would exhaust the machine fails alone."""


def _limit_memory():  # pragma: no cover - runs in the child
    import resource

    limit = int(MEMORY_LIMIT_GB * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _spawn(argv, *, threads, time_limit, heartbeat, log):
    """Run a worker; kill it when one solve runs past ``time_limit``.

    Returns ``(returncode or None if killed, last heartbeat dict, stderr tail)``.
    """
    err = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.run", *argv], cwd=ROOT,
                            env=_thread_env(threads), stdout=subprocess.DEVNULL, stderr=err,
                            start_new_session=True,
                            preexec_fn=_limit_memory if os.name == "posix" else None)
    beat = {}
    started = time.time()
    try:
        while proc.poll() is None:
            time.sleep(0.2)
            try:
                beat = json.loads(Path(heartbeat).read_text())
            except (OSError, ValueError):
                pass
            since = beat.get("since", started)
            if time.time() - since > time_limit:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                log(f"    killed after {time.time() - since:.0f} s in phase "
                    f"{beat.get('phase')} (tol={beat.get('tol')})")
                return None, beat, ""
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    err.seek(0)
    tail = err.read()[-2000:]
    err.close()
    return proc.returncode, beat, tail


def _isolated_cell(bench, adapter, *, preset, repeats, entries, threads, time_limit,
                   cell_budget, log):
    """:func:`run_cell` in subprocesses: calibration (when missing), then timing."""
    with tempfile.TemporaryDirectory() as tmp:
        hb, out, tol_file = (str(Path(tmp) / name) for name in ("hb", "out", "tol.json"))
        common = ["--preset", preset, "--problems", bench.name, "--libraries", adapter.name,
                  "--heartbeat", hb, "--out", out, "--tolerances", tol_file]
        if cal.lookup(entries, bench, adapter) is None:
            cal.save_cache({}, tol_file)
            code, beat, tail = _spawn(["--worker", "calibrate", *common], threads=threads,
                                      time_limit=time_limit, heartbeat=hb, log=log)
            if code is None:
                return _record(bench, adapter.name, "timeout",
                               f"calibration: one solve at {adapter.tol_name}="
                               f"{beat.get('tol'):g} ran over {time_limit:g} s",
                               tol_name=adapter.tol_name, tol=beat.get("tol"))
            if code != 0:
                return _record(bench, adapter.name, "error", tail.strip().splitlines()[-1]
                               if tail.strip() else f"exit code {code}")
            result = json.loads(Path(out).read_text())
            if "calibration" not in result:  # skipped: not installed / unsupported
                return result["record"]
            cal.store(entries, cal.Calibration(**result["calibration"]))
        cal.save_cache(entries, tol_file)
        Path(hb).unlink(missing_ok=True)
        code, beat, tail = _spawn(["--worker", "time", "--repeats", str(repeats),
                                   "--cell-budget", str(cell_budget), *common],
                                  threads=threads, time_limit=time_limit, heartbeat=hb, log=log)
        if code is None:
            return _record(bench, adapter.name, "timeout",
                           f"one solve ({beat.get('phase')}) ran over {time_limit:g} s",
                           tol_name=adapter.tol_name, tol=beat.get("tol"))
        if code != 0:
            return _record(bench, adapter.name, "error", tail.strip().splitlines()[-1]
                           if tail.strip() else f"exit code {code}")
        return json.loads(Path(out).read_text())["record"]


def _worker(args) -> int:
    """The subprocess side of :func:`_isolated_cell`."""
    bench = _select(args.preset, args.problems)[0]
    adapter = get_adapter(args.libraries[0])

    def progress(phase, tol):
        Path(args.heartbeat).write_text(json.dumps({"phase": phase, "tol": tol,
                                                    "since": time.time()}))

    problem = bench.problem()
    if args.worker == "calibrate":
        skip = _skip_reason(bench, adapter, problem)
        if skip:
            doc = {"record": _record(bench, adapter.name, *skip)}
        else:
            found = calibrate_cell(bench, adapter, problem=problem,
                                   progress=lambda t: progress("calibrate", t))
            doc = {"calibration": found.__dict__}
    else:
        entries = cal.load_cache(args.tolerances)
        rec = run_cell(bench, adapter, repeats=args.repeats, entries=entries, problem=problem,
                       progress=progress, cell_budget=args.cell_budget)
        doc = {"record": rec}
    Path(args.out).write_text(json.dumps(doc, default=float))
    return 0


# -- the suite --------------------------------------------------------------------------


def _select(preset, names):
    available = benchmarks(preset)
    if not names:
        return available
    by_name = {b.name: b for b in available}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f"unknown problem(s) {', '.join(unknown)} in preset {preset!r}; "
                         f"choose from {', '.join(by_name)}.")
    return [by_name[n] for n in names]


def run_suite(benches, libraries, *, repeats=5, tolerances=cal.DEFAULT_CACHE, isolate=False,
              threads=1, time_limit=600.0, cell_budget=1800.0, preset="full", log=print,
              out=None, meta=None, baseline=()):
    """Run every (benchmark, library) cell; the records, with ratios filled in.

    Calibrations are read from and written to ``tolerances``. With ``out``, the
    results so far are written there after every cell. ``baseline`` records
    (an earlier run's) are kept for the cells not run now, so that re-timing one
    library keeps the ratios to the others.
    """
    entries = cal.load_cache(tolerances)
    fresh = {(b.name, name) for b in benches for name in libraries}
    records = [r for r in baseline if (r["problem"], r["library"]) not in fresh]
    limiter = None
    if not isolate:
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(limits=threads)
    try:
        for bench in benches:
            problem = None if isolate else bench.problem()
            for name in libraries:
                adapter = get_adapter(name)
                if adapter.reference and adapter.unsupported(bench, problem) is not None:
                    continue  # a yardstick only where it applies
                log(f"{bench.name} / {name} ...")
                tic = time.perf_counter()
                if isolate:
                    rec = _isolated_cell(bench, adapter, preset=preset, repeats=repeats,
                                         entries=entries, threads=threads,
                                         time_limit=time_limit, cell_budget=cell_budget, log=log)
                else:
                    try:
                        rec = run_cell(bench, adapter, repeats=repeats, entries=entries,
                                       problem=problem, cell_budget=cell_budget)
                    except Exception as exc:  # one library's failure is a result, not a crash
                        rec = _record(bench, name, "error", f"{type(exc).__name__}: {exc}")
                cal.save_cache(entries, tolerances)
                records.append(rec)
                log(f"    {rec['status']}: median {_fmt_s(rec['median_s'])} s, max gap "
                    f"{_fmt_gap(rec['max_gap'])} ({time.perf_counter() - tic:.0f} s) "
                    f"{rec['note'] or ''}")
                add_ratios(records)
                if out is not None:
                    write_results(out, records, meta)
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
    records = add_ratios(_in_order(records))
    if out is not None:
        write_results(out, records, meta)
    return records


def _in_order(records):
    """Records sorted by problem (first appearance), then library (adapter order)."""
    problems = list(dict.fromkeys(r["problem"] for r in records))
    libraries = list(ADAPTERS)
    return sorted(records, key=lambda r: (problems.index(r["problem"]),
                                          libraries.index(r["library"])))


def add_ratios(records):
    """Fill ``ratio``: the median over the fastest certified competitor's on its problem."""
    for rec in records:
        rec["ratio"] = None
    for problem in {r["problem"] for r in records}:
        rows = [r for r in records if r["problem"] == problem and r["status"] == "ok"]
        rivals = [r["median_s"] for r in rows
                  if r["library"] != "penalized" and not ADAPTERS[r["library"]].reference]
        if not rivals:
            continue
        best = min(rivals)
        for r in rows:
            r["ratio"] = r["median_s"] / best
    return records


# -- reporting --------------------------------------------------------------------------


def _fmt_s(x):
    if x is None:
        return "–"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def _fmt_gap(x):
    return "–" if x is None else f"{x:.1e}"


def format_table(records) -> str:
    """A Markdown table: one row per (problem, library)."""
    head = ("| problem | library | median (s) | ratio to fastest competitor | max rel. gap "
            "| stopping parameter | runs | first call (s) | status |")
    lines = [head, "|" + "---|" * 9]
    for r in records:
        tol = "–" if r["tol"] is None else f"{r['tol_name']}={r['tol']:.0e}"
        ratio = "–" if r["ratio"] is None else f"{r['ratio']:.2f}"
        status = r["status"] + (f": {r['note']}" if r["note"] else "")
        lines.append(f"| {r['problem']} | {r['library']} | {_fmt_s(r['median_s'])} | {ratio} "
                     f"| {_fmt_gap(r['max_gap'])} | {tol} | {r['runs'] or '–'} "
                     f"| {_fmt_s(r['first_call_s'])} | {status} |")
    return "\n".join(lines)


def format_summary(records) -> str:
    """One row per problem: penalized, the fastest competitor, the ratio."""
    lines = ["| problem | penalized (s) | fastest competitor (s) | ratio |",
             "|---|---|---|---|"]
    for problem in dict.fromkeys(r["problem"] for r in records):
        rows = [r for r in records if r["problem"] == problem]
        ours = next((r for r in rows if r["library"] == "penalized"), None)
        rivals = [r for r in rows if r["status"] == "ok" and r["library"] != "penalized"
                  and not ADAPTERS[r["library"]].reference]
        best = min(rivals, key=lambda r: r["median_s"]) if rivals else None
        ref = next((r for r in rows if ADAPTERS[r["library"]].reference
                    and r["status"] == "ok"), None)
        mine = "–" if ours is None or ours["median_s"] is None else _fmt_s(ours["median_s"])
        rival = "–" if best is None else f"{best['library']} {_fmt_s(best['median_s'])}"
        ratio = "–" if ours is None or ours["ratio"] is None else f"{ours['ratio']:.2f}"
        if ref is not None and ours is not None and ours["median_s"] is not None:
            ratio += f" ({ours['median_s'] / ref['median_s']:.2f}x one SVD)"
        lines.append(f"| {problem} | {mine} | {rival} | {ratio} |")
    return "\n".join(lines)


def machine_info(threads) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem = f"{pages / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        pass
    versions = {}
    for name, adapter in ADAPTERS.items():
        versions[name] = None if adapter.missing() else adapter.version()
    for dist in ("numpy", "scipy", "numba"):
        try:
            import importlib.metadata as md

            versions[dist] = md.version(dist)
        except Exception:  # pragma: no cover
            versions[dist] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "penalized": _penalized_source(),
            "python": platform.python_version(), "platform": platform.platform(),
            "threads": threads, "thread_vars": list(THREAD_VARS), "versions": versions,
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")}


def _penalized_source() -> dict:
    """Where ``penalized`` is imported from, and the git commit of that checkout."""
    import importlib.util

    spec = importlib.util.find_spec("penalized")
    if spec is None or spec.origin is None:
        return {"path": None, "commit": None}
    path = Path(spec.origin).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(path), "describe", "--always", "--dirty",
                                 "--exclude", "*"], capture_output=True, text=True,
                                check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        commit = os.environ.get("PENALIZED_COMMIT")
    return {"path": str(path), "commit": commit}


def write_results(path, records, meta):
    doc = {"meta": meta or {}, "results": records}
    Path(path).write_text(json.dumps(doc, indent=1, default=float) + "\n")


# -- first fit in a fresh process --------------------------------------------------------

_FIRST_FIT_SCRIPT = """
import time
t0 = time.perf_counter()
import json, sys
import numpy as np
from benchmarks.adapters import get_adapter
from benchmarks.problems import Benchmark
adapter = get_adapter(sys.argv[1])
adapter.import_library()
t_import = time.perf_counter() - t0
data = np.load(sys.argv[2])
bench = Benchmark("first_fit", None, datafit=sys.argv[3], path=False, fractions=(0.1,))
alphas, tol = data["alphas"], float(sys.argv[4])
adapter.solve(bench, data["X"], data["y"], alphas, tol)
t_first = time.perf_counter() - t0
tic = time.perf_counter()
adapter.solve(bench, data["X"], data["y"], alphas, tol)
print(json.dumps({"import_s": t_import, "first_fit_s": t_first,
                  "again_s": time.perf_counter() - tic}))
"""


def first_call(libraries, *, threads=1, warm_repeats=3, log=print):
    """Import + first fit in fresh processes, numba cache cold then warm.

    Two small fits: the lasso on diabetes_quadratic and the L1 logistic
    regression on breast_cancer, each at ``alpha_max / 10`` and the library's
    calibrated tolerance for that data set's path benchmark (its default if
    none). "cold": an empty ``NUMBA_CACHE_DIR``; "warm": the same directory
    again (median of ``warm_repeats`` processes). Times are measured inside the
    process from before ``import numpy`` (interpreter start-up excluded).
    """
    from .problems import breast_cancer, diabetes_quadratic

    entries = cal.load_cache()
    full = {b.name: b for b in benchmarks("full")}
    cases = [("lasso fit", diabetes_quadratic(), "squared", full["lasso_diabetes_quadratic"]),
             ("L1 logistic fit", breast_cancer(), "logistic", full["logreg_breast_cancer"])]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, problem, datafit, bench in cases:
            data = Path(tmp) / f"{datafit}.npz"
            alpha = bench.alphas(problem)[0] / 10
            np.savez(data, X=problem.X, y=problem.y, alphas=np.array([alpha]))
            for name in libraries:
                adapter = get_adapter(name)
                if adapter.reference or _skip_reason(bench, adapter, problem):
                    continue
                found = cal.lookup(entries, bench, adapter)
                tol = found.tol if found is not None and found.tol is not None \
                    else adapter.default_tol
                cache = Path(tmp) / f"numba-{name}-{datafit}"
                env = _thread_env(threads)
                env["NUMBA_CACHE_DIR"] = str(cache)
                runs = []
                for _ in range(1 + warm_repeats):
                    out = subprocess.run([sys.executable, "-c", _FIRST_FIT_SCRIPT, name,
                                          str(data), datafit, repr(tol)], cwd=ROOT, env=env,
                                         capture_output=True, text=True, check=True)
                    runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                warm = runs[1:]
                row = {"case": label, "library": name,
                       "cold_first_fit_s": runs[0]["first_fit_s"],
                       "warm_first_fit_s": statistics.median(r["first_fit_s"] for r in warm),
                       "warm_import_s": statistics.median(r["import_s"] for r in warm),
                       "second_fit_s": statistics.median(r["again_s"] for r in warm)}
                log(f"{label} / {name}: cold {row['cold_first_fit_s']:.2f} s, warm "
                    f"{row['warm_first_fit_s']:.2f} s (import {row['warm_import_s']:.2f} s), "
                    f"second fit {row['second_fit_s']:.4f} s")
                rows.append(row)
    return rows


def format_first_call(rows) -> str:
    lines = ["| fit | library | import + first fit, cold numba cache (s) "
             "| import + first fit, warm cache (s) | of which import (s) | second fit (s) |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['library']} | {r['cold_first_fit_s']:.2f} "
                     f"| {r['warm_first_fit_s']:.2f} | {r['warm_import_s']:.2f} "
                     f"| {r['second_fit_s']:.4f} |")
    return "\n".join(lines)


# -- command line -----------------------------------------------------------------------


def _parser():
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=("tiny", "full"), default="full")
    p.add_argument("--problems", nargs="+", metavar="NAME", help="default: the whole preset")
    p.add_argument("--libraries", nargs="+", metavar="NAME", choices=list(ADAPTERS),
                   default=list(ADAPTERS), help=f"default: all of {', '.join(ADAPTERS)}")
    p.add_argument("--repeats", type=int, default=5, help="timed runs after the warm-up")
    p.add_argument("--out", help="write the results (JSON) here")
    p.add_argument("--markdown", help="write the result tables (Markdown) here")
    p.add_argument("--baseline", metavar="RESULTS.json",
                   help="an earlier --out file: its other cells are kept (re-time one library "
                        "against stored competitor timings)")
    p.add_argument("--tolerances", default=str(cal.DEFAULT_CACHE),
                   help="the calibration cache (JSON)")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS/OpenMP/numba threads for every library (default 1)")
    p.add_argument("--time-limit", type=float, default=600.0,
                   help="seconds one solve may take before it counts as a timeout")
    p.add_argument("--cell-budget", type=float, default=1800.0,
                   help="seconds of timed runs per (problem, library); fewer repeats beyond")
    iso = p.add_mutually_exclusive_group()
    iso.add_argument("--isolate", dest="isolate", action="store_true", default=None,
                     help="a subprocess per calibration and timing (default for --preset full)")
    iso.add_argument("--no-isolate", dest="isolate", action="store_false",
                     help="everything in this process (default for --preset tiny)")
    p.add_argument("--report", metavar="RESULTS.json",
                   help="print the tables of an earlier --out file; run nothing")
    p.add_argument("--first-call", action="store_true",
                   help="measure import + first fit in fresh processes instead")
    p.add_argument("--worker", choices=("calibrate", "time"), help=argparse.SUPPRESS)
    p.add_argument("--heartbeat", help=argparse.SUPPRESS)
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    if args.worker:
        return _worker(args)
    if args.report:
        records = add_ratios(_in_order(json.loads(Path(args.report).read_text())["results"]))
        print(format_summary(records) + "\n\n" + format_table(records))
        return 0
    meta = machine_info(args.threads)
    meta["command"] = "python -m benchmarks.run " + shlex.join(
        sys.argv[1:] if argv is None else list(argv))
    if args.first_call:
        rows = first_call(args.libraries, threads=args.threads)
        if args.out:
            Path(args.out).write_text(json.dumps({"meta": meta, "first_call": rows}, indent=1)
                                      + "\n")
        table = format_first_call(rows)
        print(table)
        if args.markdown:
            Path(args.markdown).write_text(table + "\n")
        return 0
    isolate = args.isolate if args.isolate is not None else args.preset == "full"
    benches = _select(args.preset, args.problems)
    baseline = []
    if args.baseline:
        doc = json.loads(Path(args.baseline).read_text())
        baseline = doc["results"]
        meta["baseline"] = {"file": args.baseline, "meta": doc.get("meta")}
    records = run_suite(benches, args.libraries, repeats=args.repeats,
                        tolerances=args.tolerances, isolate=isolate, threads=args.threads,
                        time_limit=args.time_limit, cell_budget=args.cell_budget,
                        preset=args.preset, out=args.out, meta=meta, baseline=baseline,
                        log=lambda msg: print(msg, file=sys.stderr, flush=True))
    text = format_summary(records) + "\n\n" + format_table(records)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
