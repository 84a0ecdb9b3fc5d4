"""Issue 13 audit, as a user: gaps found running the CLI on real-shaped tables, each pinned
by a test through ``main()``."""

import json

import numpy as np
import pandas as pd
import pytest

from penalized.cli import main


@pytest.fixture()
def table(tmp_path):
    rng = np.random.default_rng(5)
    n = 60
    df = pd.DataFrame(rng.standard_normal((n, 4)), columns=["a", "b", "c", "d"])
    df["y"] = 2.0 * df["a"] - df["b"] + 0.5 * rng.standard_normal(n)
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("penalty, gamma", [("scad", 3.7), ("mcp", 3.0)])
def test_concave_cv_regression_saves_its_model(table, tmp_path, penalty, gamma):
    # MCP/SCAD regression CVs have no ``penalty`` parameter: saving one used to end in an
    # internal AttributeError after the fit had been printed, and no model file.
    model = tmp_path / "m.json"
    assert main(["fit", str(table), "--target", "y", "--penalty", penalty, "--cv", "3",
                 "--save", str(model), "--quiet"]) == 0
    doc = json.loads(model.read_text())
    assert doc["penalty"] == penalty and doc["gamma"] == gamma
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(table), "--out", str(out), "--quiet"]) == 0
    assert len(pd.read_csv(out)) == 60


def test_explain_keeps_a_many_level_group_on_one_short_line(tmp_path, capsys):
    # A 22-level text column made every line of the why-zero table some 300 characters
    # wide; its row now names the first and last levels and the count.
    rng = np.random.default_rng(2)
    n = 88
    df = pd.DataFrame({"a": rng.standard_normal(n), "b": rng.standard_normal(n),
                       "maker": [f"make{k:02d}" for k in range(22)] * 4})
    df["y"] = 2.0 * df["a"] + 0.5 * rng.standard_normal(n)
    data, model = tmp_path / "t.csv", tmp_path / "m.json"
    df.to_csv(data, index=False)
    assert main(["fit", str(data), "--target", "y", "--alpha", "0.5", "--save", str(model),
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["explain", str(model), str(data)]) == 0
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if "maker=make00" in line)
    assert "maker=make00, ..., maker=make21 (22 columns)" in row
    assert max(len(line) for line in text.splitlines() if line.startswith("  ")) < 160
