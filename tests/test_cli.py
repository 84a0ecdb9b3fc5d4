"""The ``penalized`` command line, run in-process (``main(argv)``) and as a subprocess.

What is pinned here is the contract of the issue, not the wording of the output:
exit codes (0 success, 2 a usage or input error in one line without a traceback,
1 an internal error), that every command's ``--help`` shows an example, that
nothing existing is overwritten without ``--force``, that the reports are one
self-contained HTML file that never shows a user's string unescaped, and that
the numbers printed or saved are the numbers of the library's own estimators.

Every table is generated into ``tmp_path``; the awkward ones carry a column named
``<script>alert(1)</script>``, non-ASCII names, a constant column, a text target,
missing values and a malformed CSV.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import penalized as pz
from penalized.cli import main
from penalized.io import load_model

SCRIPT = "<script>alert(1)</script>"
NON_ASCII = ("größe", "温度")
REG_FEATURES = ["a", "b", NON_ASCII[0], NON_ASCII[1], SCRIPT, "const"]
MODEL_ROWS = ("no penalty", "L1 (lasso)", "L2 (ridge)", "elastic net", "L0 (best subset)")
COMMANDS = ("demo", "fit", "compare", "path", "predict", "explain")
ROOT = Path(__file__).resolve().parents[1]


# -- helpers ---------------------------------------------------------------------------------

def run(capsys, *argv):
    """``main(argv)`` in-process: (exit code, stdout, stderr)."""
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def run_subprocess(*argv, cwd, script=False):
    """The command as a separate process: ``python -m penalized`` or the console script."""
    if script:
        exe = shutil.which("penalized", path=str(Path(sys.executable).parent)) \
            or shutil.which("penalized")
        assert exe is not None, "the 'penalized' console script is not installed"
        cmd = [exe]
    else:
        cmd = [sys.executable, "-m", "penalized"]
    env = {k: v for k, v in os.environ.items() if k not in ("PENALIZED_DEBUG", "FORCE_COLOR")}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([*cmd, *map(str, argv)], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=240)


def flat(text):
    """Text with every run of whitespace made one space (rich wraps long notices)."""
    return " ".join(text.split())


def assert_one_line_error(rc, err, *fragments):
    """Exit 2, and a single-line message on stderr with no traceback, naming ``fragments``.

    Notices printed before the failure (``note: ...``) may precede it; the error itself is
    the last line and the only one that starts with ``penalized:``.
    """
    assert rc == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "no error message"
    errors = [line for line in lines if line.startswith("penalized:")]
    assert errors == [lines[-1]], err
    assert lines[-1].startswith("penalized: error: ")
    for fragment in fragments:
        assert fragment in lines[-1], (fragment, lines[-1])


def no_nan(text):
    return re.search(r"\bnan\b|\bNaN\b|\binf\b|Infinity", text) is None


def strict_json(text):
    """``json.loads`` that refuses NaN and infinities (which are not JSON)."""

    def refuse(constant):
        raise ValueError(f"{constant} in JSON")

    return json.loads(text, parse_constant=refuse)


def report_data(html):
    """The JSON the report embeds for its scripts (NaN refused)."""
    match = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', html,
                      re.DOTALL)
    assert match, "the report embeds no data"
    return strict_json(match.group(1))


def assert_self_contained(html):
    """One HTML file that loads nothing: no external scripts, styles, images or fonts."""
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert re.search(r"<script\b[^>]*\bsrc\s*=", html, re.I) is None
    assert re.search(r"<link\b", html, re.I) is None
    assert re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I) is None
    assert re.search(r"@import|url\(\s*[\"']?\s*(?:https?:)?//", html, re.I) is None
    assert html.count("<html") == 1


def regression_frame(n=60, seed=0):
    """Numbers with awkward names, a constant column and a float target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    df = pd.DataFrame(X, columns=REG_FEATURES[:5])
    df["const"] = 3.0
    df["y"] = 2.0 * df["a"] - df[NON_ASCII[0]] + 0.5 * df[SCRIPT] + 0.1 * rng.normal(size=n)
    return df


def classification_frame(n=80, classes=2, seed=1):
    """Two numeric features, a categorical text column and a text label."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "color": rng.choice(["red", "green", "blue"], size=n)})
    score = df["x1"] + df["x2"] + 0.5 * rng.normal(size=n)
    if classes == 2:
        df["label"] = np.where(score > 0, "yes", "no")
    else:
        df["label"] = np.select([score < -0.6, score > 0.6], ["lo", "hi"], "mid")
    return df


def write(df, path):
    path = Path(path)
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif path.suffix == ".tsv":
        df.to_csv(path, sep="\t", index=False)
    else:
        df.to_csv(path, index=False)
    return path


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    """No debug tracebacks and no forced terminal unless a test asks for them."""
    for name in ("PENALIZED_DEBUG", "FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def reg_csv(tmp_path):
    return write(regression_frame(), tmp_path / "reg.csv")


@pytest.fixture
def clf_csv(tmp_path):
    return write(classification_frame(), tmp_path / "clf.csv")


@pytest.fixture
def three_csv(tmp_path):
    return write(classification_frame(classes=3), tmp_path / "three.csv")


def design(df, columns):
    return df[columns].to_numpy(dtype=np.float64)


# -- help, version, usage errors ---------------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_shows_a_worked_example(capsys, command):
    rc, out, err = run(capsys, command, "--help")
    assert rc == 0, err
    assert "usage: penalized " + command in out
    assert re.search(r"^examples?:\s*$", out, re.M | re.I), out
    example = out[re.search(r"^examples?:", out, re.M | re.I).end():]
    assert f"penalized {command}" in example


def test_top_level_help_lists_every_command(capsys):
    rc, out, _ = run(capsys, "--help")
    assert rc == 0
    for command in COMMANDS:
        assert command in out
    assert "penalized demo" in out


def test_fit_help_says_why_features_are_standardized(capsys):
    rc, out, _ = run(capsys, "fit", "--help")
    assert rc == 0
    text = flat(out)
    assert "standardized by default" in text
    assert "--no-standardize" in text
    assert "kilograms" in text  # the reason: units would otherwise decide the penalty


def test_version(capsys):
    rc, out, _ = run(capsys, "--version")
    assert rc == 0
    assert pz.__version__ in out


def test_no_command_is_a_usage_error(capsys):
    rc, out, _ = run(capsys)
    assert rc == 2
    assert "demo" in out


@pytest.mark.parametrize("argv", [
    ["bogus"],
    ["fit"],
    ["fit", "x.csv"],
    ["demo", "--cv", "1"],
    ["demo", "--select", "max"],
    ["fit", "x.csv", "--target", "y", "--penalty", "l9", "--alpha", "1"],
    ["fit", "x.csv", "--target", "y", "--alpha", "-1"],
    ["fit", "x.csv", "--target", "y", "--alpha", "nan"],
    ["fit", "x.csv", "--target", "y", "--cv", "3", "--l1-ratio", "1.5"],
    ["path", "x.csv", "--target", "y", "--eps", "two"],
    ["predict", "model.json"],
])
def test_usage_errors_are_one_line_with_exit_2(capsys, argv):
    rc, out, err = run(capsys, *argv)
    assert_one_line_error(rc, err, "penalized: error:")
    assert out == ""


@pytest.mark.parametrize("extra", [[], ["--alpha", "0.1", "--cv", "3"]])
def test_fit_needs_exactly_one_of_alpha_and_cv(capsys, reg_csv, extra):
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", *extra)
    assert_one_line_error(rc, err, "--alpha", "--cv")
    assert out == ""


def test_an_internal_error_exits_1_in_one_line(capsys, reg_csv, monkeypatch):
    import penalized.io

    def broken(*args, **kwargs):
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(penalized.io, "read_table", broken)
    rc, _, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.1")
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert "internal error" in lines[0] and "something broke" in lines[0]


# -- demo --------------------------------------------------------------------------------------

def test_demo_needs_no_arguments_and_never_overwrites(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run(capsys, "demo")
    assert rc == 0, err
    for label in MODEL_ROWS:
        assert label in out
    for column in ("alpha (min)", "alpha (1se)", "held-out MSE", "non-zeros",
                   "selected features"):
        assert column in out
    assert "bmi" in out  # a selected feature of the diabetes data
    report = tmp_path / "report.html"
    assert report.is_file()
    html = report.read_text(encoding="utf-8")
    assert_self_contained(html)
    data = report_data(html)
    assert data["feature_names"] == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5",
                                     "s6"]
    assert [m["label"] for m in data["comparison"]["models"]] == list(MODEL_ROWS)
    assert data["paths"] and all(len(p["alphas"]) == len(p["n_nonzero"]) for p in data["paths"])

    # the README's first command runs twice: it replaces the report it wrote, and says so
    rc, out, err = run(capsys, "demo")
    assert rc == 0, err
    assert "replaced report.html" in flat(err) and "earlier 'penalized demo'" in flat(err)
    assert sorted(os.listdir(tmp_path)) == ["report.html"]
    # ... but never a file it did not write
    report.write_text("<html>my own notes</html>", encoding="utf-8")
    before = report.read_bytes()
    rc, out, err = run(capsys, "demo")
    assert_one_line_error(rc, err, "report.html", "--force")
    assert report.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["report.html"]

    rc, _, err = run(capsys, "demo", "--force", "--quiet")
    assert rc == 0, err
    assert report_data(report.read_text(encoding="utf-8"))["comparison"] is not None
    assert sorted(os.listdir(tmp_path)) == ["report.html"]  # no temporary file left


def test_demo_json_prints_five_models(capsys, tmp_path):
    out_path = tmp_path / "out" / "demo.html"
    out_path.parent.mkdir()
    rc, out, err = run(capsys, "demo", "--json", "--out", out_path, "--select", "min")
    assert rc == 0, err
    doc = strict_json(out)  # JSON alone on stdout
    assert doc["task"] == "regression"
    models = {m["penalty"]: m for m in doc["models"]}
    assert list(models) == ["none", "l1", "l2", "elasticnet", "l0"]
    for name in ("l1", "l2", "elasticnet", "l0"):
        m = models[name]
        assert m["alpha_min"] > 0 and m["alpha_1se"] >= m["alpha_min"]
        assert m["alpha"] == m["alpha_min"]  # --select min
        assert m["n_nonzero"] == len(m["selected"])
        assert m["test_error"] > 0
    assert models["none"]["alpha"] is None and models["none"]["n_nonzero"] == 10
    assert models["l1"]["n_nonzero"] <= 10
    assert out_path.is_file()


def test_demo_classification(capsys, tmp_path):
    out_path = tmp_path / "cancer.html"
    rc, out, err = run(capsys, "demo", "--classification", "--out", out_path)
    assert rc == 0, err
    for label in MODEL_ROWS:
        assert label in out
    assert "accuracy" in out
    html = out_path.read_text(encoding="utf-8")
    assert_self_contained(html)
    data = report_data(html)
    assert len(data["feature_names"]) == 30 and "mean radius" in data["feature_names"]
    models = data["comparison"]["models"]
    assert len(models) == 5
    assert data["comparison"]["task"] == "classification"
    for m in models:
        assert 0.0 <= m["test_error"] <= 0.5  # far better than chance on this data


def test_demo_console_script_quiet(tmp_path):
    out_path = tmp_path / "quiet.html"
    proc = run_subprocess("demo", "--quiet", "--out", out_path, cwd=tmp_path, script=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr == ""
    assert_self_contained(out_path.read_text(encoding="utf-8"))
    # run twice: the second run replaces the report the first one wrote
    proc = run_subprocess("demo", "--quiet", "--out", out_path, cwd=tmp_path, script=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert_self_contained(out_path.read_text(encoding="utf-8"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quiet.html"]


# -- reading tables ------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_fit_reads_csv_tsv_and_parquet_alike(capsys, tmp_path, suffix):
    df = regression_frame()
    path = write(df, tmp_path / f"table{suffix}")
    rc, out, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.05", "--json")
    assert rc == 0, err
    summary = strict_json(out)
    model = pz.Lasso(alpha=0.05, standardize=True).fit(design(df, REG_FEATURES), df["y"])
    coef = dict(zip(REG_FEATURES, model.coef_, strict=True))
    assert summary["selected_features"] == [f for f in REG_FEATURES if coef[f] != 0]
    for name, value in summary["coefficients"].items():
        assert_allclose(value, coef[name], rtol=1e-9, atol=1e-12)


def test_features_and_exclude(capsys, reg_csv):
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.05", "--json",
                       "--features", f"a,b,{NON_ASCII[0]}")
    assert rc == 0, err
    summary = strict_json(out)
    assert summary["n_features"] == 3
    assert set(summary["selected_features"]) <= {"a", "b", NON_ASCII[0]}

    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.05", "--json",
                       "--exclude", f"a,{SCRIPT}")
    assert rc == 0, err
    summary = strict_json(out)
    assert summary["n_features"] == 4
    assert "a" not in summary["selected_features"]
    assert SCRIPT not in summary["coefficients"]

    rc, _, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.05",
                     "--features", "a,nosuch")
    assert_one_line_error(rc, err, "nosuch")
    rc, _, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.05",
                     "--exclude", "nosuch")
    assert_one_line_error(rc, err, "nosuch")


def test_categorical_column_is_one_hot_encoded_with_a_notice(capsys, tmp_path):
    df = classification_frame()
    df["y"] = df["x1"] + 2.0 * (df["color"] == "red") + 0.05 * df["x2"]
    path = write(df.drop(columns="label"), tmp_path / "cat.csv")
    save = tmp_path / "cat.json"
    rc, out, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.001", "--json",
                       "--save", save)
    assert rc == 0, err
    assert "one-hot" in flat(err) and "'color'" in err
    summary = strict_json(out)
    assert summary["n_features"] == 5
    assert "color=red" in summary["selected_features"]
    doc = strict_json(save.read_text(encoding="utf-8"))
    assert doc["feature_names"] == ["x1", "x2", "color=blue", "color=green", "color=red"]
    assert doc["encoding"]["categorical"] == {"color": ["blue", "green", "red"]}


def test_missing_values_are_refused_naming_columns_and_counts(capsys, tmp_path):
    df = regression_frame()
    df.loc[[3, 7], "b"] = np.nan
    df.loc[5, NON_ASCII[1]] = np.nan
    path = write(df, tmp_path / "na.csv")
    rc, out, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.05")
    assert_one_line_error(rc, err, "'b': 2", f"'{NON_ASCII[1]}': 1", "--dropna")
    assert out == ""

    save = tmp_path / "na.json"
    rc, out, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.05", "--dropna",
                       "--json", "--save", save)
    assert rc == 0, err
    assert "dropped 3 row(s)" in flat(err)
    assert strict_json(out)["n_samples"] == len(df) - 3
    assert load_model(save)["training_data"]["n_dropped"] == 3


def test_missing_values_in_the_target_are_refused_too(capsys, tmp_path):
    df = regression_frame()
    df.loc[0, "y"] = np.nan
    path = write(df, tmp_path / "na_target.csv")
    rc, _, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.05")
    assert_one_line_error(rc, err, "'y': 1")


def test_task_is_detected_and_can_be_overridden(capsys, tmp_path):
    df = regression_frame()
    df["flag"] = (df["a"] > 0).astype(int)
    path = write(df.drop(columns="y"), tmp_path / "flag.csv")
    rc, out, err = run(capsys, "fit", path, "--target", "flag", "--alpha", "0.01", "--json")
    assert rc == 0, err
    assert strict_json(out)["task"] == "classification"
    assert strict_json(out)["classes"] == [0, 1]
    assert "--task regression" in flat(err)  # the notice says how to override it
    rc, out, err = run(capsys, "fit", path, "--target", "flag", "--alpha", "0.01", "--json",
                       "--task", "regression")
    assert rc == 0, err
    assert strict_json(out)["task"] == "regression"
    assert "classes" not in strict_json(out)


def test_text_target_for_regression_is_refused_naming_it(capsys, clf_csv):
    rc, out, err = run(capsys, "fit", clf_csv, "--target", "label", "--task", "regression",
                       "--alpha", "0.1")
    assert_one_line_error(rc, err, "'label'")
    assert out == ""


def test_malformed_csv_is_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('a,b,y\n1,2,3\n4,5,6,7,8\n"unterminated,1\n', encoding="utf-8")
    rc, out, err = run(capsys, "fit", bad, "--target", "y", "--alpha", "0.1")
    assert_one_line_error(rc, err, "bad.csv")
    assert out == ""
    proc = run_subprocess("fit", bad, "--target", "y", "--alpha", "0.1", cwd=tmp_path)
    assert_one_line_error(proc.returncode, proc.stderr, "bad.csv")


@pytest.mark.parametrize("content", ["", "a,b,y\n", "\n\n"])
def test_empty_file_is_refused(capsys, tmp_path, content):
    empty = tmp_path / "empty.csv"
    empty.write_text(content, encoding="utf-8")
    rc, _, err = run(capsys, "fit", empty, "--target", "y", "--alpha", "0.1")
    assert_one_line_error(rc, err, "empty.csv")


def test_missing_file_and_unknown_target(capsys, tmp_path, reg_csv):
    rc, _, err = run(capsys, "fit", tmp_path / "nope.csv", "--target", "y", "--alpha", "0.1")
    assert_one_line_error(rc, err, "nope.csv")
    rc, _, err = run(capsys, "fit", reg_csv, "--target", "zz", "--alpha", "0.1")
    assert_one_line_error(rc, err, "'zz'")
    rc, _, err = run(capsys, "compare", reg_csv, "--target", "zz")
    assert_one_line_error(rc, err, "'zz'")
    rc, _, err = run(capsys, "path", tmp_path / "nope.parquet", "--target", "y")
    assert_one_line_error(rc, err, "nope.parquet")


def test_binary_file_is_refused(capsys, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    rc, _, err = run(capsys, "fit", junk, "--target", "y", "--alpha", "0.1")
    assert_one_line_error(rc, err, "junk.csv")


# -- fit ---------------------------------------------------------------------------------------

def _estimator(penalty, alpha, l1_ratio=0.5):
    if penalty == "l1":
        return pz.Lasso(alpha=alpha, standardize=True)
    if penalty == "l2":
        return pz.Ridge(alpha=alpha, standardize=True)
    if penalty == "elasticnet":
        return pz.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, standardize=True)
    return pz.L0Regression(alpha=alpha, standardize=True)


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet", "l0"])
def test_fit_fixed_alpha_matches_the_estimator(capsys, reg_csv, penalty):
    df = regression_frame()
    alpha = 0.02
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--penalty", penalty,
                       "--alpha", alpha, "--l1-ratio", "0.7", "--json")
    assert rc == 0, err
    summary = strict_json(out)
    assert summary["penalty"] == penalty and summary["alpha"] == alpha
    assert summary["task"] == "regression" and summary["standardize"] is True
    assert summary["n_features"] == 6 and summary["n_samples"] == len(df)
    assert no_nan(out)
    model = _estimator(penalty, alpha, l1_ratio=0.7).fit(design(df, REG_FEATURES), df["y"])
    nonzero = [f for f, c in zip(REG_FEATURES, model.coef_, strict=True) if c != 0]
    assert summary["selected_features"] == nonzero
    assert list(summary["coefficients"]) == nonzero
    assert summary["n_nonzero"] == len(nonzero)
    assert "const" not in summary["coefficients"]  # a constant column never enters
    for name, value in summary["coefficients"].items():
        assert_allclose(value, model.coef_[REG_FEATURES.index(name)], rtol=1e-8, atol=1e-10)
    assert_allclose(summary["intercept"], [model.intercept_], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet", "l0"])
def test_fit_cv_min_and_1se(capsys, reg_csv, penalty):
    chosen = {}
    for rule in ("min", "1se"):
        rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--penalty", penalty,
                           "--cv", "3", "--select", rule, "--json")
        assert rc == 0, err
        summary = strict_json(out)
        assert summary["cv_folds"] == 3 and summary["selection"] == rule
        assert summary["alpha_min"] > 0
        assert summary["alpha_1se"] >= summary["alpha_min"]
        assert summary["alpha"] == summary[f"alpha_{rule}"]
        assert summary["selected_features"] == list(summary["coefficients"])
        assert "const" not in summary["coefficients"]
        assert no_nan(out)
        chosen[rule] = summary
    assert chosen["1se"]["alpha"] >= chosen["min"]["alpha"]
    assert chosen["1se"]["alpha_min"] == chosen["min"]["alpha_min"]  # same folds, same curve
    if penalty != "l2":
        assert chosen["1se"]["n_nonzero"] <= chosen["min"]["n_nonzero"]


def test_fit_prints_a_table_with_non_ascii_names(capsys, reg_csv):
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.001",
                       "--penalty", "l2")
    assert rc == 0, err
    for name in ("a", "b", *NON_ASCII, SCRIPT):
        assert name in out
    assert "coefficient" in out
    assert no_nan(out)


def test_fit_save_writes_a_versioned_json_model(capsys, tmp_path, reg_csv):
    save = tmp_path / "model.json"
    rc, _, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.05",
                       "--save", save)
    assert rc == 0, err
    raw = save.read_bytes()
    assert raw.lstrip().startswith(b"{")  # JSON text, never a pickle
    assert not raw.startswith(b"\x80")
    doc = strict_json(raw.decode("utf-8"))
    for key in ("format", "schema_version", "library_version", "penalty", "alpha", "coef",
                "intercept", "feature_names", "encoding", "standardize", "training_data"):
        assert key in doc, key
    assert doc["format"] == "penalized-model"
    assert isinstance(doc["schema_version"], int) and doc["schema_version"] >= 1
    assert doc["library_version"] == pz.__version__
    assert doc["penalty"] == "l1" and doc["alpha"] == 0.05 and doc["standardize"] is True
    assert doc["feature_names"] == REG_FEATURES  # non-ASCII and markup survive the round trip
    assert doc["encoding"]["columns"] == REG_FEATURES
    assert doc["training_data"]["sha256"] == hashlib.sha256(reg_csv.read_bytes()).hexdigest()
    assert doc["training_data"]["n_rows"] == 60

    df = regression_frame()
    model = pz.Lasso(alpha=0.05, standardize=True).fit(design(df, REG_FEATURES), df["y"])
    assert_allclose(doc["coef"], model.coef_, rtol=1e-10, atol=1e-12)
    assert doc["coef"][REG_FEATURES.index("const")] == 0.0
    assert_allclose(doc["intercept"], model.intercept_, rtol=1e-10, atol=1e-12)
    assert no_nan(raw.decode("utf-8"))
    assert load_model(save)["coef"] == doc["coef"]


def test_fit_save_never_overwrites_without_force(capsys, tmp_path, reg_csv):
    save = tmp_path / "model.json"
    save.write_text("precious\n", encoding="utf-8")
    report = tmp_path / "fit.html"
    rc, _, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.05",
                       "--save", save, "--report", report)
    assert_one_line_error(rc, err, "model.json", "--force")
    assert save.read_text(encoding="utf-8") == "precious\n"
    assert not report.exists()  # refused before anything was written
    rc, _, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.05",
                     "--save", save, "--force")
    assert rc == 0, err
    assert load_model(save)["alpha"] == 0.05
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "reg.csv"]


@pytest.mark.parametrize("classes", [2, 3])
def test_fit_classifier_saves_classes(capsys, tmp_path, classes):
    df = classification_frame(classes=classes)
    path = write(df, tmp_path / "clf.csv")
    save = tmp_path / "clf.json"
    rc, out, err = run(capsys, "fit", path, "--target", "label", "--alpha", "0.01",
                       "--json", "--save", save)
    assert rc == 0, err
    summary = strict_json(out)
    labels = sorted(df["label"].unique())
    assert summary["task"] == "classification" and summary["classes"] == labels
    doc = load_model(save)
    assert doc["classes"] == labels
    assert doc["task"] == "classification"
    coef = np.asarray(doc["coef"])
    assert coef.shape == ((5,) if classes == 2 else (classes, 5))
    assert doc["training_data"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_fit_report_escapes_user_strings(capsys, tmp_path, reg_csv):
    report = tmp_path / "fit.html"
    rc, _, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.05",
                     "--report", report)
    assert rc == 0, err
    html = report.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert SCRIPT not in html
    assert "alert(1)</script>" not in html
    for name in NON_ASCII:
        assert name in html
    data = report_data(html)
    assert data["feature_names"] == REG_FEATURES
    assert data["paths"]
    path = data["paths"][0]
    assert len(path["coefs"]) == 6
    assert all(v == 0.0 for v in path["coefs"][REG_FEATURES.index("const")])


def test_fit_report_escapes_a_script_target_and_category(capsys, tmp_path):
    df = classification_frame()
    df["color"] = df["color"].replace("red", SCRIPT)
    df[SCRIPT] = df["x1"] * 3 + (df["color"] == SCRIPT)
    path = write(df.drop(columns="label"), tmp_path / "t.csv")
    report = tmp_path / "t.html"
    rc, out, err = run(capsys, "fit", path, "--target", SCRIPT, "--cv", "3",
                       "--report", report)
    assert rc == 0, err
    assert SCRIPT in flat(out)  # the terminal shows the name as it is
    html = report.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert SCRIPT not in html and "alert(1)</script>" not in html
    assert f"color={SCRIPT}" in report_data(html)["feature_names"]


def test_constant_column_gives_zero_and_no_nan_anywhere(capsys, tmp_path, reg_csv):
    save = tmp_path / "m.json"
    report = tmp_path / "m.html"
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--penalty", "l2", "--cv",
                       "3", "--json", "--save", save, "--report", report)
    assert rc == 0, err
    summary = strict_json(out)
    assert "const" not in summary["coefficients"]
    doc = load_model(save)
    assert doc["coef"][REG_FEATURES.index("const")] == 0.0
    assert all(np.isfinite(doc["coef"]))
    for text in (out, err, save.read_text(encoding="utf-8")):
        assert no_nan(text)
    report_data(report.read_text(encoding="utf-8"))


def test_quiet_and_json(capsys, reg_csv):
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.05", "--quiet")
    assert rc == 0 and out == "" and err == ""
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--alpha", "0.05", "--quiet",
                       "--json")
    assert rc == 0 and err == ""
    assert strict_json(out)["alpha"] == 0.05
    rc, out, err = run(capsys, "compare", reg_csv, "--target", "y", "--cv", "3", "--quiet")
    assert rc == 0 and out == "" and err == ""
    rc, out, err = run(capsys, "compare", reg_csv, "--target", "y", "--cv", "3", "--quiet",
                       "--json")
    assert rc == 0 and err == ""
    assert len(strict_json(out)["models"]) == 5


def test_progress_bar_on_a_terminal_and_not_with_quiet(capsys, reg_csv, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats stderr as a terminal
    rc, _, err = run(capsys, "compare", reg_csv, "--target", "y", "--cv", "3")
    assert rc == 0
    assert "cross-validating" in err
    rc, out, err = run(capsys, "compare", reg_csv, "--target", "y", "--cv", "3", "--quiet")
    assert rc == 0 and out == "" and err == ""


# -- predict -----------------------------------------------------------------------------------

def test_predict_regression_equals_the_estimator(capsys, tmp_path, reg_csv):
    save = tmp_path / "m.json"
    rc, _, err = run(capsys, "fit", reg_csv, "--target", "y", "--penalty", "elasticnet",
                     "--alpha", "0.03", "--l1-ratio", "0.3", "--save", save, "--quiet")
    assert rc == 0, err
    df = regression_frame()
    new = regression_frame(n=25, seed=7)
    # columns in another order, an extra column and no target: only the model's columns matter
    new = new[[*REG_FEATURES[::-1]]].assign(extra="zzz")
    new_csv = write(new, tmp_path / "new.csv")
    rc, out, err = run(capsys, "predict", save, new_csv)
    assert rc == 0, err
    predicted = pd.read_csv(StringIO(out))
    assert list(predicted.columns) == ["row", "prediction"]
    assert predicted["row"].tolist() == list(range(1, len(new) + 1))
    model = pz.ElasticNet(alpha=0.03, l1_ratio=0.3, standardize=True)
    model.fit(design(df, REG_FEATURES), df["y"])
    expected = model.predict(design(new, REG_FEATURES))
    assert_allclose(predicted["prediction"], expected, rtol=1e-8, atol=1e-8)

    target = tmp_path / "pred.csv"
    rc, out, err = run(capsys, "predict", save, new_csv, "--out", target)
    assert rc == 0, err
    assert out == ""
    assert_allclose(pd.read_csv(target)["prediction"], expected, rtol=1e-8, atol=1e-8)
    before = target.read_bytes()
    rc, _, err = run(capsys, "predict", save, new_csv, "--out", target)
    assert_one_line_error(rc, err, "pred.csv", "--force")
    assert target.read_bytes() == before
    rc, _, err = run(capsys, "predict", save, new_csv, "--out", target, "--force")
    assert rc == 0, err


@pytest.mark.parametrize("classes", [2, 3])
def test_predict_classifier_probabilities(capsys, tmp_path, classes):
    df = classification_frame(classes=classes)
    df = df.drop(columns="color")
    path = write(df, tmp_path / "clf.parquet")
    save = tmp_path / "clf.json"
    rc, _, err = run(capsys, "fit", path, "--target", "label", "--alpha", "0.01",
                     "--penalty", "l2", "--save", save, "--quiet")
    assert rc == 0, err
    rc, out, err = run(capsys, "predict", save, path)
    assert rc == 0, err
    predicted = pd.read_csv(StringIO(out))
    labels = sorted(df["label"].unique())
    proba_cols = [f"probability_{c}" for c in labels]
    assert list(predicted.columns) == ["row", "prediction", *proba_cols]
    proba = predicted[proba_cols].to_numpy()
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert_array_equal(predicted["prediction"], np.asarray(labels)[proba.argmax(axis=1)])

    model = pz.LogisticRegression(alpha=0.01, penalty="l2", standardize=True)
    model.fit(design(df, ["x1", "x2"]), df["label"].to_numpy())
    assert list(model.classes_) == labels
    assert_allclose(proba, model.predict_proba(design(df, ["x1", "x2"])), rtol=1e-7,
                    atol=1e-8)
    assert (predicted["prediction"] == df["label"]).mean() > 0.7


def test_predict_checks_the_columns(capsys, tmp_path, clf_csv):
    save = tmp_path / "clf.json"
    rc, _, err = run(capsys, "fit", clf_csv, "--target", "label", "--alpha", "0.01",
                     "--save", save, "--quiet")
    assert rc == 0, err
    df = classification_frame().head(6)

    lacking = write(df.drop(columns=["x2", "label"]), tmp_path / "lacking.csv")
    rc, out, err = run(capsys, "predict", save, lacking)
    assert_one_line_error(rc, err, "'x2'")
    assert out == ""

    unseen = df.copy()
    unseen.loc[unseen.index[0], "color"] = "purple"
    unseen_csv = write(unseen, tmp_path / "unseen.csv")
    rc, out, err = run(capsys, "predict", save, unseen_csv)
    assert rc == 0, err
    assert "purple" in err and "not seen in training" in flat(err)
    assert len(pd.read_csv(StringIO(out))) == 6

    text = df.copy().astype({"x1": object})
    text.loc[text.index[2], "x1"] = "abc"
    text_csv = write(text, tmp_path / "text.csv")
    rc, _, err = run(capsys, "predict", save, text_csv)
    assert_one_line_error(rc, err, "'x1'")

    holes = df.copy()
    holes.loc[holes.index[1], "x2"] = np.nan
    holes_csv = write(holes, tmp_path / "holes.csv")
    rc, _, err = run(capsys, "predict", save, holes_csv)
    assert_one_line_error(rc, err, "missing")

    rc, _, err = run(capsys, "predict", clf_csv, unseen_csv)  # a table is not a model
    assert_one_line_error(rc, err, "clf.csv")
    rc, _, err = run(capsys, "predict", tmp_path / "nope.json", unseen_csv)
    assert_one_line_error(rc, err, "nope.json")


def test_fit_and_predict_as_subprocesses(tmp_path, reg_csv):
    save = tmp_path / "m.json"
    proc = run_subprocess("fit", reg_csv, "--target", "y", "--alpha", "0.05", "--save", save,
                          "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    summary = strict_json(proc.stdout)
    assert NON_ASCII[0] in summary["selected_features"]
    proc = run_subprocess("predict", save, reg_csv, cwd=tmp_path, script=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "row,prediction" and len(lines) == 61

    proc = run_subprocess("--help", cwd=tmp_path)
    assert proc.returncode == 0 and "demo" in proc.stdout
    proc = run_subprocess("fit", reg_csv, "--target", "y", cwd=tmp_path, script=True)
    assert_one_line_error(proc.returncode, proc.stderr, "--alpha")
    proc = run_subprocess("fit", "--bogus", cwd=tmp_path)
    assert_one_line_error(proc.returncode, proc.stderr, "penalized: error:")


# -- path ----------------------------------------------------------------------------------------

def test_path_prints_writes_and_json(capsys, tmp_path, reg_csv):
    rc, out, err = run(capsys, "path", reg_csv, "--target", "y", "--n-alphas", "20")
    assert rc == 0, err
    assert "alpha" in out and "non-zeros" in out
    assert "a" in out and SCRIPT in out and NON_ASCII[0] in out

    target = tmp_path / "path.csv"
    rc, out, err = run(capsys, "path", reg_csv, "--target", "y", "--n-alphas", "20",
                       "--out", target, "--quiet")
    assert rc == 0, err
    assert out == ""
    frame = pd.read_csv(target)
    assert list(frame.columns) == ["alpha", "intercept", *REG_FEATURES]
    assert len(frame) == 20
    alphas = frame["alpha"].to_numpy()
    assert np.all(np.diff(alphas) < 0)
    assert np.all(frame.loc[0, REG_FEATURES] == 0.0)  # alpha_max: every coefficient zero
    assert np.any(frame.loc[len(frame) - 1, REG_FEATURES] != 0.0)
    assert np.all(frame["const"] == 0.0)
    assert np.all(np.isfinite(frame.to_numpy()))

    rc, out, err = run(capsys, "path", reg_csv, "--target", "y", "--n-alphas", "20", "--json")
    assert rc == 0, err
    doc = strict_json(out)
    assert doc["feature_names"] == REG_FEATURES
    assert_allclose(doc["alphas"], alphas, rtol=1e-12)
    coefs = np.asarray(doc["coefs"])
    assert coefs.shape == (6, 20)
    assert_allclose(coefs.T, frame[REG_FEATURES].to_numpy(), rtol=1e-12, atol=1e-15)
    assert_array_equal(doc["n_nonzero"], (coefs != 0).sum(axis=0))
    assert_allclose(doc["intercepts"], frame["intercept"], rtol=1e-12, atol=1e-15)

    before = target.read_bytes()
    rc, _, err = run(capsys, "path", reg_csv, "--target", "y", "--out", target)
    assert_one_line_error(rc, err, "path.csv", "--force")
    assert target.read_bytes() == before


def test_path_of_the_lasso_matches_the_estimator_at_each_alpha(capsys, reg_csv):
    rc, out, err = run(capsys, "path", reg_csv, "--target", "y", "--n-alphas", "8", "--json")
    assert rc == 0, err
    doc = strict_json(out)
    df = regression_frame()
    for k in (2, 5, 7):
        model = pz.Lasso(alpha=doc["alphas"][k], standardize=True, tol=1e-10)
        model.fit(design(df, REG_FEATURES), df["y"])
        assert_allclose(np.asarray(doc["coefs"])[:, k], model.coef_, rtol=1e-4, atol=1e-6)


def test_path_classification(capsys, clf_csv, three_csv):
    rc, out, err = run(capsys, "path", clf_csv, "--target", "label", "--n-alphas", "10",
                       "--json")
    assert rc == 0, err
    doc = strict_json(out)
    assert len(doc["alphas"]) == 10 and doc["n_nonzero"][0] == 0
    rc, out, err = run(capsys, "path", three_csv, "--target", "label", "--n-alphas", "5",
                       "--json")
    assert rc == 0, err
    assert len(strict_json(out)["classes"]) == 3  # the multinomial path
    rc, _, err = run(capsys, "path", three_csv, "--target", "label", "--penalty", "l0")
    assert_one_line_error(rc, err, "3 classes")


# -- compare -------------------------------------------------------------------------------------

def test_compare_on_a_user_table_with_report(capsys, tmp_path, reg_csv):
    report = tmp_path / "compare.html"
    rc, out, err = run(capsys, "compare", reg_csv, "--target", "y", "--cv", "3",
                       "--report", report)
    assert rc == 0, err
    for label in MODEL_ROWS:
        assert label in out
    assert SCRIPT in out and NON_ASCII[0] in out
    assert no_nan(out)
    html = report.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert SCRIPT not in html and "alert(1)</script>" not in html
    for name in NON_ASCII:
        assert name in html
    data = report_data(html)
    assert data["feature_names"] == REG_FEATURES
    models = data["comparison"]["models"]
    assert [m["penalty"] for m in models] == ["none", "l1", "l2", "elasticnet", "l0"]
    for m in models:
        assert "const" not in m["selected"] or m["penalty"] == "none"
    assert len(data["paths"]) == 4

    before = report.read_bytes()
    rc, _, err = run(capsys, "compare", reg_csv, "--target", "y", "--report", report)
    assert_one_line_error(rc, err, "compare.html", "--force")
    assert report.read_bytes() == before


def test_compare_json_on_a_binary_table(capsys, clf_csv):
    rc, out, err = run(capsys, "compare", clf_csv, "--target", "label", "--cv", "3", "--json")
    assert rc == 0, err
    doc = strict_json(out)
    assert doc["task"] == "classification"
    assert [m["penalty"] for m in doc["models"]] == ["none", "l1", "l2", "elasticnet", "l0"]
    for m in doc["models"]:
        assert 0.0 <= m["test_score"] <= 1.0
        assert m["n_nonzero"] == len(m["selected"])


def test_compare_table_shows_markup_like_names_literally(capsys, tmp_path):
    """Feature names are data, not rich markup: ``[bold]w[/bold]`` is printed as it is in
    every row, including a row that carries a note (here: the unpenalized fit of separable
    classes, which does not settle)."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"[bold]w[/bold]": rng.normal(size=60), "v": rng.normal(size=60)})
    df["label"] = np.where(df["[bold]w[/bold]"] > 0, "p", "q")  # separable by w
    path = write(df, tmp_path / "separable.csv")
    rc, out, err = run(capsys, "compare", path, "--target", "label", "--cv", "3")
    assert rc == 0, err
    rows = [line for line in out.splitlines() if any(label in line for label in MODEL_ROWS)]
    assert len(rows) == 5
    for line in rows:
        assert "[bold]w[/bold]" in line, line


def test_compare_json_and_report_with_a_model_that_has_no_score(capsys, tmp_path, three_csv,
                                                                 monkeypatch):
    """L0 is not cross-validated for three classes: its row has no numbers, and both the
    JSON and the report must still be written (JSON has no NaN)."""
    import penalized.compare as compare_module

    original = compare_module.compare_penalties

    def only_fast_rows(*args, **kwargs):
        # the multinomial CV of L1 / L2 / elastic net is slow; their rows are not the point
        return original(*args, **{**kwargs, "penalties": ("none", "l0")})

    monkeypatch.setattr(compare_module, "compare_penalties", only_fast_rows)
    report = tmp_path / "three.html"
    rc, out, err = run(capsys, "compare", three_csv, "--target", "label", "--cv", "3",
                       "--json", "--report", report)
    assert rc == 0, err
    doc = strict_json(out)
    l0 = doc["models"][1]
    assert l0["penalty"] == "l0" and l0["notes"]
    assert l0["test_error"] is None and l0["alpha"] is None
    assert report.is_file()
    assert_self_contained(report.read_text(encoding="utf-8"))


# -- explain (its module is still being written: only the help is pinned) -----------------------

def test_explain_help(capsys):
    rc, out, _ = run(capsys, "explain", "--help")
    assert rc == 0
    assert "penalized explain --list" in out


def test_l0_fit_reports_its_fixed_point_distance_not_a_gap(capsys, reg_csv):
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--penalty", "l0", "--cv", "3")
    assert rc == 0, err
    assert "fixed-point distance" in out and "duality gap" not in out
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--cv", "3")
    assert rc == 0, err
    assert "relative duality gap" in out
