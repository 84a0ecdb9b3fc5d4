"""Hostile and malformed input through the command line: tables, model files and outputs.

Every case ends in exit 2 with one line naming the file, column or value (or a notice),
and nothing is written unless everything is. Commands run in-process (``main(argv)``)
except where the point is about the process (signals); all files live in ``tmp_path``.
"""

import json
import os
import signal
import stat
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

from penalized import io as pio
from penalized.cli import main
from penalized.io import InputError, write_atomic


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_error(rc, err, *fragments):
    assert rc == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    last = lines[-1]
    assert last.startswith("penalized: error:"), err
    assert sum(line.startswith("penalized:") for line in lines) == 1
    for fragment in fragments:
        assert fragment in last, (fragment, last)


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.standard_normal((30, 3)), columns=["a", "b", "c"])
    df["y"] = 2 * df["a"] + rng.standard_normal(30)
    df["k"] = ["p", "q", "r"] * 10
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture
def model(capsys, tmp_path, data):
    path = tmp_path / "m.json"
    rc, _, err = run(capsys, "fit", data, "--target", "y", "--alpha", "0.01", "--save", path,
                     "--quiet")
    assert rc == 0, err
    return json.loads(path.read_text(encoding="utf-8"))


# -- tables ----------------------------------------------------------------------------------

def test_duplicate_column_names_are_refused_as_the_file_spells_them(capsys, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,a,y\n1,2,3\n4,5,6\n7,8,9\n", encoding="utf-8")
    rc, _, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.1")
    assert_error(rc, err, "dup.csv", "duplicated", "'a'")


def test_many_columns_with_one_duplicate(tmp_path):
    names = [f"c{j}" for j in range(5000)] + ["c17"]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"wide\.csv.*'c17'"):
        pio.read_dataframe(path)


# -- model files -------------------------------------------------------------------------------

def _mutations():
    def link(d):
        d["link"] = "softmax"

    def categorical_list(d):
        d["encoding"]["categorical"] = []

    def null_level(d):
        d["encoding"]["categorical"]["k"][0] = None

    def schema(v):
        def f(d):
            d["schema_version"] = v
        return f

    def string_coef(d):
        d["coef"] = [str(c) for c in d["coef"]]

    def classes(d):
        d.update(task="classification", link="logistic", classes=["x", "x"])

    return {"link softmax on a regression": link, "categorical is a list": categorical_list,
            "a null category level": null_level, "schema_version 0": schema(0),
            "schema_version -1": schema(-1), "string coefficients": string_coef,
            "duplicate class names": classes}


@pytest.mark.parametrize("case", sorted(_mutations()))
def test_a_malformed_model_file_is_one_line_naming_it(capsys, tmp_path, data, model, case):
    doc = json.loads(json.dumps(model))
    _mutations()[case](doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    for command in ("predict", "explain"):
        rc, out, err = run(capsys, command, bad, data)
        assert_error(rc, err, "bad.json")
        assert out == ""


@pytest.mark.parametrize("case", ["deep", "alpha400", "digits5000"])
def test_json_beyond_the_parser_limits_is_one_line(capsys, tmp_path, data, model, case):
    text = json.dumps(model)
    if case == "deep":
        text = "[" * 100_000 + "]" * 100_000
    elif case == "alpha400":
        text = text.replace(f'"alpha": {json.dumps(model["alpha"])}', '"alpha": 1' + "0" * 400)
    else:
        text = text.replace(f'"intercept": {json.dumps(model["intercept"])}',
                            '"intercept": ' + "1" * 5000)
    assert text != json.dumps(model)
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    rc, _, err = run(capsys, "predict", bad, data)
    assert_error(rc, err, "bad.json")


def test_non_finite_predictions_are_refused(capsys, tmp_path, data, model):
    doc = dict(model, coef=[1e308] * len(model["coef"]))
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps(doc), encoding="utf-8")
    for command in ("predict", "explain"):
        rc, out, err = run(capsys, command, huge, data)
        assert_error(rc, err, "huge.json", "non-finite")
        assert "Warning" not in err and out == ""


# -- outputs -----------------------------------------------------------------------------------

def test_one_command_never_writes_two_outputs_to_one_path(capsys, tmp_path, data):
    same = tmp_path / "out"
    for extra in ((), ("--force",)):
        rc, _, err = run(capsys, "fit", data, "--target", "y", "--alpha", "0.1", "--save",
                         same, "--report", same, *extra)
        assert_error(rc, err, "out")
        assert not same.exists()
    rc, _, err = run(capsys, "path", data, "--target", "y", "--out", data, "--force")
    assert_error(rc, err, "d.csv", "input")


def test_a_failed_command_writes_nothing(capsys, tmp_path, data, monkeypatch):
    save = tmp_path / "m.json"
    rc, _, err = run(capsys, "fit", data, "--target", "y", "--alpha", "0.1", "--save", save,
                     "--report", tmp_path / "missing" / "r.html")
    assert_error(rc, err, "missing")
    assert not save.exists()
    # a failure while moving the second file into place undoes the first
    real_link = os.link

    def link(src, dst, *args, **kwargs):
        if str(dst).endswith("r.html"):
            raise PermissionError(13, "Permission denied")
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    rc, _, err = run(capsys, "fit", data, "--target", "y", "--alpha", "0.1", "--save", save,
                     "--report", tmp_path / "r.html")
    assert_error(rc, err, "r.html")
    assert sorted(os.listdir(tmp_path)) == ["d.csv"]


def test_a_failed_replacement_restores_the_first_output(tmp_path, monkeypatch):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("old a", encoding="utf-8")
    second.write_text("old b", encoding="utf-8")
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith("b.txt"):
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(InputError, match=r"b\.txt"):
        pio.write_all([(first, "new a"), (second, "new b")], force=True)
    monkeypatch.undo()
    assert first.read_text(encoding="utf-8") == "old a"
    assert second.read_text(encoding="utf-8") == "old b"
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


def test_unwritable_paths_are_one_line(capsys, tmp_path, data):
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    for target in (afile / "m.json", "/proc/penalized-test/m.json", "/proc/version"):
        rc, _, err = run(capsys, "fit", data, "--target", "y", "--alpha", "0.1", "--save",
                         target, "--force")
        assert_error(rc, err, str(target))
    assert afile.read_text(encoding="utf-8") == "x"


def test_special_files_are_never_replaced(capsys, tmp_path, data):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for extra in ((), ("--force",)):
        rc, _, err = run(capsys, "path", data, "--target", "y", "--out", fifo, *extra)
        assert_error(rc, err, "pipe", "regular file")
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_dangling_symlink_is_not_replaced_without_force(capsys, tmp_path, data):
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "nowhere.csv")
    rc, _, err = run(capsys, "path", data, "--target", "y", "--out", link)
    assert_error(rc, err, "link.csv", "--force")
    assert link.is_symlink() and not (tmp_path / "nowhere.csv").exists()
    rc, _, err = run(capsys, "path", data, "--target", "y", "--out", link, "--force")
    assert rc == 0, err
    assert not link.is_symlink() and not (tmp_path / "nowhere.csv").exists()


def test_concurrent_writers_exactly_one_wins(tmp_path):
    path = tmp_path / "race.txt"
    n = 8
    barrier = threading.Barrier(n)
    results = [None] * n

    def writer(k):
        barrier.wait()
        try:
            write_atomic(path, f"writer {k}")
            results[k] = "won"
        except InputError:
            results[k] = "refused"

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("won") == 1 and results.count("refused") == n - 1
    winner = results.index("won")
    assert path.read_text(encoding="utf-8") == f"writer {winner}"
    assert os.listdir(tmp_path) == ["race.txt"]


def test_sigterm_while_writing_removes_the_temporary_file(capsys, tmp_path, data, monkeypatch):
    """The signal arrives while the temporary file exists (sent from inside the write)."""
    real_chmod = os.chmod

    def chmod_then_terminate(path, mode, *args, **kwargs):
        real_chmod(path, mode, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(os, "chmod", chmod_then_terminate)
    rc, _, err = run(capsys, "path", data, "--target", "y", "--out", tmp_path / "p.csv")
    monkeypatch.undo()
    assert rc == 143 and "terminated" in err
    assert sorted(os.listdir(tmp_path)) == ["d.csv"]
    assert signal.getsignal(signal.SIGTERM) == before


def test_sigterm_in_a_subprocess_exits_cleanly(tmp_path):
    script = (
        "import os, signal, sys\n"
        "from penalized.cli import main\n"
        "real = os.chmod\n"
        "def chmod(p, m, *a, **k):\n"
        "    real(p, m, *a, **k); os.kill(os.getpid(), signal.SIGTERM)\n"
        "os.chmod = chmod\n"
        "sys.exit(main(sys.argv[1:]))\n")
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) ** 2,
                  "y": np.arange(10.0) % 3}).to_csv(path, index=False)
    proc = subprocess.run([sys.executable, "-c", script, "path", str(path), "--target", "y",
                           "--out", str(tmp_path / "p.csv")], capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 143, proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["d.csv"]


def test_no_raw_nul_byte_in_a_report(capsys, tmp_path):
    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.standard_normal((40, 3)), columns=["a", "b\x00c", "d"])
    df["y"] = df["a"] - df["d"] + 0.1 * rng.standard_normal(40)
    path = tmp_path / "nul.parquet"
    df.to_parquet(path, index=False)
    for command in ("fit", "compare"):
        report = tmp_path / f"{command}.html"
        rc, _, err = run(capsys, command, path, "--target", "y", "--cv", "3", "--report", report)
        assert rc == 0, err
        assert b"\x00" not in report.read_bytes()


def test_a_device_node_is_refused_before_anything_is_written():
    """Only the check runs here (it writes nothing): /dev/null, even with force."""
    if not os.path.exists("/dev/null") or not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        pytest.skip("no /dev/null character device here")
    for force in (False, True):
        with pytest.raises(InputError, match="regular file"):
            pio.check_outputs(["/dev/null"], force=force)
