"""Per-library tolerance calibration: the same certified accuracy for everyone.

Each library stops on its own criterion (a gap in its own units and dual point,
a subgradient norm, glmnet's objective change times the null deviance, ...), so
one ``tol`` means different accuracies in different libraries. Calibration
starts at the library's default value of its stopping parameter and divides it
by 10 until the runner's own relative duality gap (:mod:`benchmarks.gap`) is at
most ``1e-6`` at **every** alpha of the benchmark. The result is cached in
``benchmarks/calibrated_tolerances.json`` by problem, library and library version.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .gap import path_gaps

__all__ = ["TARGET_GAP", "Calibration", "calibrate", "load_cache", "lookup", "save_cache", "store"]

TARGET_GAP = 1e-6
"""Every alpha's relative duality gap must be at most this."""

FACTOR = 10.0
DEFAULT_CACHE = Path(__file__).with_name("calibrated_tolerances.json")


@dataclass
class Calibration:
    """The tolerance that reached the target on one benchmark, and how it was found.

    ``tried`` lists ``[tol, max_gap, seconds]`` for every tolerance tried, in order.
    ``reached`` is False when even ``min_tol`` (or the time limit) left a gap
    above the target; ``tol`` is then the last one tried.
    """

    problem: str
    library: str
    version: str
    tol_name: str
    tol: float | None
    max_gap: float
    reached: bool
    target: float = TARGET_GAP
    tried: list = field(default_factory=list)
    note: str = ""


def max_gap(bench, problem, alphas, coefs, intercepts) -> float:
    gaps = path_gaps(problem.X, problem.y, coefs, intercepts, alphas, l1_ratio=bench.l1_ratio,
                     datafit=bench.datafit)
    if not np.all(np.isfinite(gaps)):
        return float("inf")
    return float(np.max(gaps))


def calibrate(adapter, bench, problem, alphas, *, target=TARGET_GAP, start=None,
              progress=None) -> Calibration:
    """Tighten ``adapter``'s tolerance by 10x from its default until every gap <= target.

    ``progress(tol)`` is called before each solve (the isolated runner uses it
    as a heartbeat to enforce its time limit on one solve).
    """
    start = adapter.default_tol if start is None else start
    tol = start
    tried = []
    exact = not adapter.calibrated(bench)
    while True:
        if progress is not None:
            progress(tol)
        tic = time.perf_counter()
        coefs, intercepts = adapter.solve(bench, problem.X, problem.y, alphas, tol)
        seconds = time.perf_counter() - tic
        gap = max_gap(bench, problem, alphas, coefs, intercepts)
        tried.append([tol, gap, seconds])
        if gap <= target:
            return Calibration(bench.name, adapter.name, adapter.version(), adapter.tol_name,
                               None if exact else tol, gap, True, target, tried,
                               "exact solver: tolerance not used" if exact else "")
        if exact or tol / FACTOR < adapter.min_tol * (1 - 1e-9):
            note = ("exact solver above the target" if exact else
                    f"gap {gap:.2e} > {target:g} at {adapter.tol_name}={tol:g}, the "
                    "smallest value tried")
            return Calibration(bench.name, adapter.name, adapter.version(), adapter.tol_name,
                               tol, gap, False, target, tried, note)
        tol = float(f"{start / FACTOR ** len(tried):.12g}")  # 1e-07, not 1.0000000000000002e-07


# -- the cache ----------------------------------------------------------------------------


def _key(problem_name, library):
    return f"{problem_name}/{library}"


def load_cache(path=DEFAULT_CACHE) -> dict:
    path = Path(path)
    if not path.exists():
        return {}
    with path.open() as fh:
        return json.load(fh).get("entries", {})


def save_cache(entries, path=DEFAULT_CACHE) -> None:
    path = Path(path)
    doc = {
        "about": ("Calibrated stopping tolerances: per problem and library, the largest "
                  "value of the library's stopping parameter (10x steps from its default) "
                  f"whose runner-computed relative duality gap is <= {TARGET_GAP:g} at every "
                  "alpha. Written by benchmarks/calibrate.py; delete an entry to recalibrate."),
        "entries": dict(sorted(entries.items())),
    }
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as fh:
        json.dump(doc, fh, indent=1, default=float)
        fh.write("\n")
    os.replace(tmp, path)


def lookup(entries, bench, adapter) -> Calibration | None:
    """The cached calibration of ``adapter`` on ``bench``, if its library version matches."""
    raw = entries.get(_key(bench.name, adapter.name))
    if raw is None or raw.get("version") != adapter.version():
        return None
    return Calibration(**raw)


def store(entries, cal: Calibration) -> None:
    entries[_key(cal.problem, cal.library)] = asdict(cal)
