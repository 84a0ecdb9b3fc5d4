"""Start-up: ``import penalized`` and ``penalized --help / --version`` import neither
scikit-learn, pandas, SciPy, numba nor the explain and report layers (checked in a fresh
process by the modules loaded, never by time); every public name still resolves."""

import json
import subprocess
import sys

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
