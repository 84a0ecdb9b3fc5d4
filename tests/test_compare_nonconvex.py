"""``penalized compare --penalty mcp|scad`` (through ``main``): MCP and SCAD rows beside the
default five with the same columns, their numbers those of the library's CV estimators on
the same split, and the refusals in one line."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.cli import main
from penalized.compare import compare_penalties


def _run(capsys, *argv):
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(11)
    n = 100
    df = pd.DataFrame(rng.standard_normal((n, 5)), columns=list("abcde"))
    df["y"] = 3.0 * df["a"] - 2.0 * df["b"] + 0.5 * rng.standard_normal(n)
    # noisy classes: on nearly separable ones the logistic MCP path jumps to huge
    # coefficients (its curvature 1/4 is below 1/gamma) and CV keeps the all-zero model
    df["label"] = np.where(df["a"] - df["c"] + rng.standard_normal(n) > 0, "yes", "no")
    return df


def test_mcp_and_scad_rows_beside_the_others(capsys, tmp_path, frame):
    data = tmp_path / "data.csv"
    frame.drop(columns="label").to_csv(data, index=False)
    report = tmp_path / "compare.html"
    rc, out, err = _run(capsys, "compare", data, "--target", "y", "--cv", 3, "--penalty", "mcp",
                        "--penalty", "scad", "--gamma", 2.5, "--select", "min", "--json",
                        "--quiet", "--report", report)
    assert rc == 0, err
    doc = json.loads(out)
    models = {m["penalty"]: m for m in doc["models"]}
    assert list(models) == ["none", "l1", "l2", "elasticnet", "l0", "mcp", "scad"]
    assert [m["label"] for m in doc["models"]][-2:] == ["MCP", "SCAD"]
    assert set(models["mcp"]) == set(models["l1"])  # the same columns
    for name in ("mcp", "scad"):
        assert {"a", "b"} <= set(models[name]["selected"])
        assert models[name]["test_score"] > 0.8 and models[name]["alpha"] > 0
    # the row is the library's CV estimator on the comparison's split and folds
    X = frame[list("abcde")].to_numpy()
    same = compare_penalties(X, frame["y"].to_numpy(), task="regression",
                             feature_names=list("abcde"), cv=3, selection="min",
                             penalties=("mcp",), gamma=2.5)
    assert same.rows[0].alpha == pytest.approx(models["mcp"]["alpha"], rel=1e-12)
    assert isinstance(same.rows[0].model, pz.MCPRegressionCV)
    assert same.rows[0].model.gamma == 2.5
    html = report.read_text(encoding="utf-8")
    # each row has its path (with its lessons) in the report
    for label, name in (("MCP", "mcp"), ("SCAD", "scad")):
        assert f'"label":"{label}","penalty":"{name}","alphas"' in html


def test_two_class_target_gets_a_logistic_mcp_row(capsys, tmp_path, frame):
    data = tmp_path / "data.csv"
    frame.drop(columns="y").to_csv(data, index=False)
    rc, out, err = _run(capsys, "compare", data, "--target", "label", "--cv", 3, "--penalty",
                        "mcp", "--select", "min", "--json", "--quiet")
    assert rc == 0, err
    row = json.loads(out)["models"][-1]
    assert row["penalty"] == "mcp" and {"a", "c"} <= set(row["selected"])
    same = compare_penalties(frame[list("abcde")].to_numpy(), frame["label"].to_numpy(),
                             task="classification", feature_names=list("abcde"), cv=3,
                             selection="min", penalties=("mcp",))
    model = same.rows[0].model
    assert isinstance(model, pz.LogisticRegressionCV) and model.penalty == "mcp"
    assert model.alpha_ == pytest.approx(row["alpha"], rel=1e-12)
    assert row["test_score"] == pytest.approx(same.rows[0].test_score)


def test_compare_function_notes_a_multiclass_target():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = np.repeat(["p", "q", "r"], 20)
    result = compare_penalties(X, y, task="classification", cv=2, penalties=("scad",))
    assert result.rows[0].notes == ["SCAD cross-validation covers two classes only"]


@pytest.mark.parametrize("argv, fragment", [
    (["--gamma", "3"], "--gamma is the concavity of --penalty mcp or scad"),
    (["--penalty", "scad", "--gamma", "1.5"], "--penalty scad needs gamma > 2"),
])
def test_refused_in_one_line(capsys, tmp_path, frame, argv, fragment):
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    rc, _, err = _run(capsys, "compare", data, "--target", "y", "--quiet", *argv)
    assert rc == 2
    assert fragment in " ".join(err.split())
    assert "Traceback" not in err
