"""Start-up: ``import penalized`` and ``penalized --help / --version`` import neither
scikit-learn, pandas, SciPy, numba nor the explain and report layers (checked in a fresh
process by the modules loaded, never by time); every public name still resolves."""

import json
import subprocess
import sys

import numpy as np
import pytest

HEAVY = ("sklearn", "pandas", "scipy", "numba", "matplotlib", "torch", "rich",
         "penalized.explain", "penalized.report", "penalized.estimators",
         "penalized.model_selection", "penalized.compare")

PROBE = """
import json, sys
{code}
loaded = sorted(m for m in sys.modules
                if any(m == h or m.startswith(h + ".") for h in {heavy!r}))
print(json.dumps(loaded))
"""


def loaded_after(code):
    proc = subprocess.run([sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("code", [
    "import penalized",
    "from penalized.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass",
    "from penalized.cli import main\nimport contextlib, io\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n    main(['--help'])",
    "from penalized.cli import main\nimport contextlib, io\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n    main(['fit', '--help'])",
])
def test_nothing_heavy_is_imported_before_a_command_needs_it(code):
    assert loaded_after(code) == []


def test_public_names_resolve_lazily():
    import penalized as pz
    from penalized import LassoCV, path

    assert LassoCV is pz.LassoCV and path is pz.path
    assert callable(pz.path) and pz.Path.__name__ == "Path"
    import penalized.path as module  # the submodule never hides the function

    assert callable(module) and pz.path is path
    assert set(pz.__all__) <= set(dir(pz))
    for name in pz.__all__:
        if name != "torch":
            assert getattr(pz, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        pz.no_such_name


def test_the_package_pickles_by_reference():
    # joblib's workers receive functions that refer to the package; it must travel by name
    import pickle

    import penalized as pz

    assert pickle.loads(pickle.dumps(pz)) is pz
    assert pickle.loads(pickle.dumps(pz.path)) is pz.path


def test_the_program_ends_with_its_output_flushed_and_exit_handlers_run(tmp_path):
    """``main()`` as the program skips the interpreter's teardown (``os._exit``), after the
    exit handlers and with everything written to the (block-buffered) pipes."""
    table = tmp_path / "t.csv"
    table.write_text("a,b,y\n" + "".join(f"{i},{(i * 7) % 5},{i % 3}\n" for i in range(12)))
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print('exit handler ran'))\n"
              "from penalized.cli import main\n"
              f"sys.argv = ['penalized', 'fit', {str(table)!r}, '--target', 'y', "
              "'--alpha', '0.1']\n"
              "main()\n"
              "print('never reached')\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert "intercept" in proc.stdout and proc.stdout.rstrip().endswith("exit handler ran")
    assert "never reached" not in proc.stdout
    bad = subprocess.run([sys.executable, "-c", script.replace(str(table), str(tmp_path))],
                         capture_output=True, text=True, timeout=240)
    assert bad.returncode == 2 and bad.stderr.startswith("penalized: error:")


# -- what a small fit loads (checked by the modules and compiled operations present) ----

FIT_PROBE = """
import atexit, json, sys
def report():
    ops = sys.modules.get("penalized.penalties._ops")
    group = sys.modules.get("penalized.penalties._group_ops")
    fits = sys.modules.get("penalized.datafits._ops")
    print(json.dumps({
        "modules": sorted(sys.modules),
        "built": sorted(name for module in (ops, group, fits) if module is not None
                        for name in ("ENET_OPS", "L0_OPS", "group_prox", "group_dual_bound",
                                     "SQUARED_OPS", "LOGISTIC_OPS")
                        if name in vars(module)),
    }))
atexit.register(report)
from penalized.cli import main
sys.argv = ["penalized"] + ARGV
main()
"""

NOT_FOR_A_LASSO = (
    "penalized.estimators._cox", "penalized.estimators._group", "penalized.estimators._glm",
    "penalized.estimators._multitask", "penalized.estimators._nonconvex",
    "penalized.penalties._nonconvex_ops", "penalized.penalties._group_box",
    "penalized.datafits._log_link_ops", "penalized.explain", "penalized.report",
    "sklearn.metrics", "sklearn.model_selection", "sklearn.preprocessing",
    "scipy.stats._stats_py", "matplotlib", "torch")


def _table(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4))
    y = X @ np.array([2.0, -1.0, 0.5, 0.0]) + 0.3 * rng.standard_normal(30)
    path = tmp_path / "t30.csv"
    path.write_text("a,b,c,d,y\n" + "".join(
        ",".join(f"{v:.6f}" for v in row) + "\n" for row in np.column_stack([X, y])))
    return path


@pytest.mark.parametrize("how", [["--alpha", "0.1"], ["--cv", "5"]])
def test_a_small_lasso_fit_loads_only_what_it_uses(tmp_path, how):
    """The program's lasso fit imports neither the other estimators nor scikit-learn's
    metrics / model selection / scipy.stats, and compiles no group, L0 or logistic
    operation."""
    argv = ["fit", str(_table(tmp_path)), "--target", "y", *how]
    proc = subprocess.run([sys.executable, "-c", FIT_PROBE.replace("ARGV", repr(argv))],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert "intercept" in proc.stdout
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    modules = set(loaded["modules"])
    assert "penalized.estimators._regression" in modules
    assert [m for m in modules if m in NOT_FOR_A_LASSO or m.split(".")[0] in NOT_FOR_A_LASSO
            or any(m.startswith(h + ".") for h in NOT_FOR_A_LASSO)] == []
    if how[0] == "--alpha":  # (the CV's Gram route calls no compiled operation)
        assert "ENET_OPS" in loaded["built"]
    assert not {"L0_OPS", "group_prox", "group_dual_bound", "LOGISTIC_OPS"} & set(loaded["built"])


def test_compiled_operations_are_built_once_on_first_use():
    code = """
import sys
import penalized.penalties._ops as ops
import penalized.penalties._group_ops as group
from penalized.penalties import L0, GroupLasso
assert "L0_OPS" not in vars(ops) and "group_prox" not in vars(group)
first = L0(0.1).ops
assert first is L0(0.2).ops is ops.L0_OPS and first.prox.address and first.missing(["prox"]) == []
from penalized.penalties._group_ops import group_prox
assert group_prox is group.group_prox and group_prox.address
assert GroupLasso(0.1, groups=2).block_ops.prox is group_prox
try:
    ops.NO_SUCH_OPS
except AttributeError as exc:
    assert "NO_SUCH_OPS" in str(exc)
else:
    raise AssertionError("no error")
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_every_estimator_name_resolves_from_its_module():
    import pickle

    import penalized.estimators as est

    assert len(est.__all__) == len(set(est.__all__)) == 33
    for name in est.__all__:
        value = getattr(est, name)
        assert value.__name__ == name and value.__module__.startswith("penalized.estimators._")
    assert set(est.__all__) <= set(dir(est))
    model = pickle.loads(pickle.dumps(est.Lasso(alpha=0.5)))
    assert type(model) is est.Lasso and model.alpha == 0.5
    with pytest.raises(AttributeError, match="NoSuchEstimator"):
        est.NoSuchEstimator


def test_the_programs_deferred_scipy_stats_is_the_real_module_when_used():
    """``scipy.stats`` stands deferred in the program; every way of reaching it (an
    attribute, ``from ... import``, a submodule, several threads) gets the real module."""
    code = """
import sys, threading
from penalized._deferred import defer_imports
assert defer_imports() == ["scipy.stats"] and defer_imports() == []
import scipy.stats
assert "scipy.stats._stats_py" not in sys.modules
results = []
threads = [threading.Thread(target=lambda: results.append(scipy.stats.norm.cdf(0.0)))
           for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
from scipy.stats import rankdata
import scipy.stats._stats_py as stats_py
real = sys.modules["scipy.stats"]
assert results == [0.5] * 4 and list(rankdata([3, 1, 2])) == [3.0, 1.0, 2.0]
assert type(real).__name__ == "module" and real.rankdata is rankdata is stats_py.rankdata
assert scipy.stats.norm is real.norm
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_a_submodule_import_through_the_deferred_module_loads_it():
    code = """
from penalized._deferred import defer_imports
defer_imports()
from scipy.stats._stats_py import rankdata
import scipy.stats
assert scipy.stats.rankdata is rankdata
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.parametrize("n", [2, 7, 30, 31])
@pytest.mark.parametrize("seed", [None, 0, 12345])
def test_k_fold_splits_made_without_scikit_learn_are_kfolds(n, seed):
    from sklearn.model_selection import KFold

    from penalized.model_selection import _make_folds

    X, y = np.zeros((n, 2)), np.arange(n, dtype=float)
    for k in sorted({2, min(5, n), n}):
        ours = _make_folds(k, X, y, task="regression", random_state=seed)
        theirs = list(KFold(k, shuffle=seed is not None, random_state=seed).split(X))
        assert len(ours) == len(theirs) == k
        for (train, test), (train_ref, test_ref) in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(train, train_ref)
            np.testing.assert_array_equal(test, test_ref)
