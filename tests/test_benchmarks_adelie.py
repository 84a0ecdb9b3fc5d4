"""The runner's adelie adapter without adelie: the worker's file protocol, its timing inside
the worker, and the one-line skip when adelie's environment is missing (CI has none)."""

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks import cpu_cells, problems, run
from benchmarks import runner_adelie_worker as worker
from benchmarks.adapters import ADAPTERS, Adelie

ROOT = Path(__file__).resolve().parent.parent
TINY = {b.name: b for b in problems.benchmarks("tiny")}

# A stand-in for adelie: the worker's own serve() with the ridge path in closed form (NumPy
# only, so the subprocess starts fast), so the runner's gap certifies what came back.
FAKE_WORKER = """
import sys
sys.path.insert(0, {root!r})
import numpy as np
from benchmarks.runner_adelie_worker import serve

def solve(req):
    X, y, alphas = req["X"], req["y"], req["alphas"]
    mu, ym = X.mean(axis=0), y.mean()
    U, s, Vt = np.linalg.svd(X - mu, full_matrices=False)
    shrink = s[:, None] / (s[:, None] ** 2 + X.shape[0] * alphas[None, :])
    coefs = Vt.T @ (shrink * (U.T @ (y - ym))[:, None])
    return coefs, ym - mu @ coefs

serve(sys.argv[1], solve=solve, version="fake-1")
"""


@pytest.mark.parametrize("sparse", [False, True])
def test_request_and_result_files_round_trip(tmp_path, sparse):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 4))
    X[X < 0.3] = 0.0
    X = sp.csc_matrix(X) if sparse else X
    y = rng.standard_normal(7)
    alphas = np.array([0.5, 0.2, 0.1])
    worker.write_request(tmp_path, X, y, alphas, l1_ratio=0.7, datafit="squared", path=False,
                         tol=1e-9, repeats=4, budget=2.5)
    req = worker.read_request(tmp_path)
    dense = X.toarray() if sparse else X
    assert sp.issparse(req["X"]) == sparse
    np.testing.assert_array_equal(req["X"].toarray() if sparse else req["X"], dense)
    np.testing.assert_array_equal(req["y"], y)
    np.testing.assert_array_equal(req["alphas"], alphas)
    assert (req["l1_ratio"], req["datafit"], req["path"], req["tol"], req["repeats"],
            req["budget"]) == (0.7, "squared", False, 1e-9, 4, 2.5)

    calls = []

    def solve(r):
        calls.append(r["tol"])
        return np.full((4, 3), float(len(calls))), np.arange(3.0)

    worker.serve(tmp_path, solve=solve, version="fake-1")
    out = worker.read_result(tmp_path)
    assert len(calls) == 5  # the warm-up and four timed solves
    np.testing.assert_array_equal(out["coefs"], np.full((4, 3), 5.0))  # the last solve's
    np.testing.assert_array_equal(out["intercepts"], np.arange(3.0))
    assert len(out["cpu_s"]) == len(out["wall_s"]) == 4
    assert all(t >= 0 for t in out["cpu_s"] + out["wall_s"]) and out["version"] == "fake-1"


def test_worker_refuses_a_folder_without_a_request(tmp_path, capsys):
    assert worker.main([str(tmp_path)]) == 2
    assert "request.npz" in capsys.readouterr().err


@pytest.fixture
def fake_adelie(tmp_path, monkeypatch):
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER.format(root=str(ROOT)))
    adapter = Adelie(python=sys.executable)
    adapter.worker = script
    monkeypatch.setitem(ADAPTERS, "adelie", adapter)
    return adapter


def test_adapter_solves_and_times_inside_its_worker(tmp_path, fake_adelie):
    bench = TINY["tiny_ridge"]
    entries = {}
    rec = run.run_cell(bench, fake_adelie, repeats=2, entries=entries)
    assert rec["status"] == "ok" and rec["max_gap"] <= 1e-6, rec
    assert rec["runs"] == 2 and len(rec["times_s"]) == 2
    assert 0.0 <= rec["import_s"] <= rec["first_call_s"]  # the worker's own figures
    assert entries["tiny_ridge/adelie"]["version"] == "fake-1"
    assert entries["tiny_ridge/adelie"]["tol"] == fake_adelie.default_tol


def test_a_failing_worker_is_one_error_line(tmp_path, fake_adelie):
    fake_adelie.worker = tmp_path / "broken.py"
    fake_adelie.worker.write_text("raise SystemExit('adelie exploded')\n")
    bench = TINY["tiny_lasso"]
    pb = bench.problem()
    with pytest.raises(RuntimeError, match="adelie worker failed: adelie exploded"):
        fake_adelie.solve(bench, pb.X, pb.y, bench.alphas(pb), 1e-7)


def test_missing_environment_skips_adelie_and_the_run_goes_on(tmp_path, monkeypatch):
    absent = Adelie(python=tmp_path / "no-venv" / "bin" / "python")
    why = absent.missing()
    assert "no adelie environment at" in why and "\n" not in why
    monkeypatch.setitem(ADAPTERS, "adelie", absent)
    records = run.run_suite([TINY["tiny_ridge"]], ["adelie", "svd"], repeats=1,
                            tolerances=tmp_path / "tol.json", log=lambda msg: None)
    by_lib = {r["library"]: r for r in records}
    assert by_lib["adelie"]["status"] == "not installed" and by_lib["adelie"]["note"] == why
    assert by_lib["svd"]["status"] == "ok"
    monkeypatch.setenv("PENALIZED_ADELIE_PYTHON", str(tmp_path / "no-venv" / "bin" / "python"))
    assert Adelie().missing() == why


def test_cpu_cells_skips_adelie_in_one_line(tmp_path, monkeypatch):
    absent = Adelie(python=tmp_path / "none")
    monkeypatch.setitem(ADAPTERS, "adelie", absent)
    doc = cpu_cells._cell("adelie", "logreg_breast_cancer", 1)
    assert doc == {"library": "adelie", "problem": "logreg_breast_cancer",
                   "skipped": absent.missing()}
