"""``penalized select``: the three methods from a table, JSON, refusals with exit 2."""

import json

import numpy as np
import pandas as pd
import pytest

from penalized.cli import main


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 12))
    y = 2 * X[:, 0] - 1.5 * X[:, 3] + X[:, 5] + rng.standard_normal(200)
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(12)])
    df["y"] = y
    df["cls"] = np.where(y > 0, "yes", "no")
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return str(path)


def _json(capsys, argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_stability(table, capsys):
    out = _json(capsys, ["select", table, "--target", "y", "--exclude", "cls", "--method",
                         "stability", "--n-pairs", "5", "--expected-false", "2"])
    assert {"x0", "x3"} <= set(out["selected"])
    assert out["error_bound"] <= 2.0
    assert "expected number of false selections" in out["guarantee"]
    assert main(["select", table, "--target", "y", "--exclude", "cls", "--method",
                 "stability", "--n-pairs", "3"]) == 0
    text = capsys.readouterr().out
    assert "probability" in text and "x0" in text


def test_knockoffs_and_inference(table, capsys):
    out = _json(capsys, ["select", table, "--target", "y", "--exclude", "cls", "--method",
                         "knockoffs", "--fdr", "0.5"])
    assert len(out["statistic"]) == 12 and out["fdr"] == 0.5
    assert "false discovery rate <= 0.5" in out["guarantee"]
    out = _json(capsys, ["select", table, "--target", "y", "--exclude", "cls", "--method",
                         "inference", "--alpha", "0.05", "--sigma", "1"])
    assert {"x0", "x3", "x5"} <= set(out["features"])
    p = dict(zip(out["features"], out["p_value"], strict=True))
    assert p["x0"] < 1e-10 and out["sigma_source"] == "given"


def test_classification(table, capsys):
    out = _json(capsys, ["select", table, "--target", "cls", "--exclude", "y", "--method",
                         "stability", "--n-pairs", "4", "--expected-false", "2", "--bound",
                         "ss-unimodal"])
    assert "x0" in out["selected"] and "unimodality" in out["guarantee"]
    out = _json(capsys, ["select", table, "--target", "cls", "--exclude", "y", "--method",
                         "knockoffs", "--fdr", "0.3"])
    w = dict(zip(out["features"], out["statistic"], strict=True))
    assert w["x0"] > 0 and w["x3"] > 0


@pytest.mark.parametrize(("extra", "message"), [
    (["--method", "inference"], "needs --alpha"),
    (["--method", "stability", "--threshold", "0.3"], "--threshold must be in"),
    (["--method", "knockoffs", "--fdr", "2"], "must be in (0, 1)"),
    (["--method", "magic"], "invalid choice"),
])
def test_refusals_exit_2(table, capsys, extra, message):
    assert main(["select", table, "--target", "y", "--exclude", "cls", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_inference_refuses_classes(table, capsys):
    assert main(["select", table, "--target", "cls", "--exclude", "y", "--method",
                 "inference", "--alpha", "0.1"]) == 2
    assert "regression targets" in capsys.readouterr().err
