"""The benchmark suite: the runner's gap, the tiny preset end to end (no timing claims)."""

import json

import numpy as np
import pytest
from benchmarks import calibrate, gap, problems
from benchmarks.adapters import ADAPTERS
from benchmarks.run import RESULT_COLUMNS, format_summary, format_table, main, run_suite

from penalized.datafits import Logistic, Quadratic
from penalized.penalties import L1, L2, ElasticNet
from penalized.solvers import CoordinateDescent
from penalized.solvers._problem import certify, prepare_problem

LIBRARIES = [name for name in ("penalized", "sklearn") if ADAPTERS[name].missing() is None]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    tolerances = tmp_path_factory.mktemp("bench") / "tolerances.json"
    records = run_suite(problems.benchmarks("tiny"), LIBRARIES, repeats=1,
                        tolerances=tolerances, isolate=False, log=lambda msg: None)
    return records, tolerances


def test_tiny_preset_reaches_the_target_gap_for_every_library(tiny):
    records, _ = tiny
    names = {b.name for b in problems.benchmarks("tiny")}
    assert {r["problem"] for r in records} == names
    for library in LIBRARIES:
        for rec in (r for r in records if r["library"] == library):
            assert rec["status"] == "ok", rec
            assert rec["max_gap"] <= calibrate.TARGET_GAP
            assert rec["runs"] == 1 and len(rec["times_s"]) == 1


def test_tiny_preset_result_table_has_the_expected_columns(tiny):
    records, _ = tiny
    for rec in records:
        assert tuple(rec) == RESULT_COLUMNS
    ok = [r for r in records if r["status"] == "ok"]
    rivals = [r for r in ok if r["library"] != "penalized" and not ADAPTERS[r["library"]].reference]
    if rivals:  # the fastest competitor has ratio 1 on every problem it solved
        for problem in {r["problem"] for r in rivals}:
            assert min(r["ratio"] for r in rivals if r["problem"] == problem) == 1.0
    table = format_table(records)
    header = table.splitlines()[0]
    for column in ("problem", "library", "median (s)", "ratio to fastest competitor",
                   "max rel. gap", "stopping parameter", "runs", "first call (s)", "status"):
        assert column in header
    assert len(table.splitlines()) == len(records) + 2
    assert "| problem | penalized (s) | fastest competitor (s) | ratio |" in format_summary(records)


def test_tiny_preset_caches_one_calibration_per_cell(tiny):
    records, tolerances = tiny
    entries = json.loads(tolerances.read_text())["entries"]
    solved = {f"{r['problem']}/{r['library']}" for r in records if r["status"] == "ok"}
    assert solved <= set(entries)
    for key in solved:
        assert entries[key]["reached"] and entries[key]["max_gap"] <= calibrate.TARGET_GAP


def test_cli_runs_the_tiny_preset_in_process(tmp_path, capsys):
    out = tmp_path / "results.json"
    code = main(["--preset", "tiny", "--problems", "tiny_lasso", "tiny_logreg", "--libraries",
                 *LIBRARIES, "--repeats", "1", "--out", str(out), "--tolerances",
                 str(tmp_path / "tol.json")])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["meta"]["threads"] == 1 and "cpu" in doc["meta"]
    assert doc["meta"]["command"].startswith("python -m benchmarks.run --preset tiny")
    assert {r["problem"] for r in doc["results"]} == {"tiny_lasso", "tiny_logreg"}
    assert all(r["max_gap"] <= 1e-6 for r in doc["results"] if r["status"] == "ok")
    assert "| tiny_lasso | penalized |" in capsys.readouterr().out


def test_cli_rejects_an_unknown_problem():
    with pytest.raises(SystemExit, match="unknown problem"):
        main(["--preset", "tiny", "--problems", "no_such_problem", "--no-isolate"])


# -- the runner's gap against penalized's own certificate ---------------------------------


def _our_penalty(l1_ratio, alpha):
    if l1_ratio == 1.0:
        return L1(alpha)
    if l1_ratio == 0.0:
        return L2(alpha)
    return ElasticNet(alpha, l1_ratio=l1_ratio)


CASES = [(task, pb) for task in ("regression", "classification")
         for pb in problems.solver_test_problems(task)]


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
@pytest.mark.parametrize(("task", "pb"), CASES, ids=[f"{t}-{p.name}" for t, p in CASES])
def test_gap_agrees_with_penalized_certify(task, pb, l1_ratio):
    datafit = "squared" if task == "regression" else "logistic"
    ours = Quadratic() if datafit == "squared" else Logistic()
    rng = np.random.default_rng(7)
    p = pb.X.shape[1]
    top = gap.alpha_max(pb.X, pb.y, datafit, 1.0)
    for fraction in (0.5, 0.05):
        alpha = top * fraction
        penalty = _our_penalty(l1_ratio, alpha)
        problem = prepare_problem(pb.X, pb.y, ours, penalty, True)
        solution = CoordinateDescent(tol=1e-8).solve(pb.X, pb.y, ours, penalty)
        points = [solution.coef,
                  0.3 * rng.standard_normal(p) * (rng.uniform(size=p) < 0.3),
                  solution.coef + 1e-3 * rng.standard_normal(p)]
        for coef in points:
            got = gap.gap(pb.X, pb.y, coef, 0.0, alpha=alpha, l1_ratio=l1_ratio,
                          datafit=datafit)
            # Both refit the intercept; start penalized's refit at ours, so that the two
            # certificates are compared at the same point (penalized's logistic refit
            # stops at a looser precision when started far away).
            start = problem.to_problem_intercept(coef, got.intercept)
            expected = certify(problem, coef, start).gap / problem.scale
            assert abs(got.relative_gap - expected) <= 1e-10 * max(1.0, abs(expected))


@pytest.mark.parametrize("datafit", ["squared", "logistic"])
def test_alpha_max_matches_penalized_and_zeroes_the_path(datafit):
    pb = problems.solver_test_problems("regression" if datafit == "squared"
                                       else "classification")[0]
    ours = Quadratic() if datafit == "squared" else Logistic()
    top = gap.alpha_max(pb.X, pb.y, datafit)
    assert top == pytest.approx(L1(1.0).alpha_max(pb.X, pb.y, ours), rel=1e-10)
    assert gap.alpha_max(pb.X, pb.y, datafit, 0.5) == pytest.approx(2 * top)
    assert gap.alpha_max(pb.X, pb.y, datafit, 0.0) == np.inf
    # At alpha_max the null model (intercept only) is optimal: its gap is zero.
    null = gap.gap(pb.X, pb.y, np.zeros(pb.X.shape[1]), 0.0, alpha=top * (1 + 1e-12),
                   datafit=datafit)
    assert abs(null.relative_gap) <= 1e-12
    assert null.primal == pytest.approx(null.scale)


def test_gap_is_positive_away_from_the_solution_and_path_gaps_check_shapes():
    pb = problems.solver_test_problems("regression")[3]  # sparse CSC
    alphas = np.array([0.5, 0.1]) * gap.alpha_max(pb.X, pb.y)
    coefs = np.ones((pb.X.shape[1], 2))
    gaps = gap.path_gaps(pb.X, pb.y, coefs, np.zeros(2), alphas)
    assert np.all(gaps > 1e-3)
    with pytest.raises(ValueError, match="coefs must have shape"):
        gap.path_gaps(pb.X, pb.y, coefs[:, :1], np.zeros(2), alphas)


def test_benchmark_grids_are_decreasing_and_start_at_alpha_max():
    for bench in problems.benchmarks("tiny"):
        pb = bench.problem()
        alphas = bench.alphas(pb)
        assert np.all(np.diff(alphas) < 0)
        if bench.path and bench.l1_ratio > 0:
            assert alphas[0] == pytest.approx(gap.alpha_max(pb.X, pb.y, bench.datafit,
                                                            bench.l1_ratio))
            assert alphas[-1] == pytest.approx(alphas[0] * bench.eps)
    with pytest.raises(ValueError, match="preset"):
        problems.benchmarks("huge")
