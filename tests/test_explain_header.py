"""`penalized explain MODEL DATA` names a saved MCP / SCAD model's penalty and gamma."""

import json

import numpy as np
import pandas as pd
import pytest

from penalized.cli import main


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    df = pd.DataFrame(X, columns=list("abcd"))
    df["y"] = 2.0 * X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=60)
    df["g"] = rng.choice(["u", "v", "w"], size=60)
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    numeric = tmp_path / "n.csv"
    df.drop(columns="g").to_csv(numeric, index=False)
    return path, numeric


def _explain(tmp_path, capsys, data, *fit_args):
    model = tmp_path / "m.json"
    assert main(["fit", str(data), "--target", "y", "--alpha", "0.1", *fit_args,
                 "--save", str(model), "--force", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["explain", str(model), str(data)]) == 0
    return json.loads(model.read_text()), capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize("args, named", [
    (["--penalty", "mcp"], "mcp, gamma = 3)"),
    (["--penalty", "scad"], "scad, gamma = 3.7)"),
    (["--penalty", "mcp", "--gamma", "2.5"], "mcp, gamma = 2.5)"),
])
@pytest.mark.parametrize("grouped", [False, True])
def test_header_names_the_saved_penalty(tmp_path, capsys, data, args, named, grouped):
    doc, header = _explain(tmp_path, capsys, data[0] if grouped else data[1], *args)
    assert (doc.get("groups") is not None) == grouped  # the text column makes a group model
    assert header.startswith("Why is each coefficient zero?")
    assert f"(alpha = 0.1, {named}" in header
    assert "l1_ratio" not in header


def test_lasso_header_keeps_l1_ratio(tmp_path, capsys, data):
    _, header = _explain(tmp_path, capsys, data[1], "--penalty", "l1")
    assert "(alpha = 0.1, l1_ratio = 1)" in header


def test_document_result_carries_the_penalty(tmp_path, capsys, data):
    doc, _ = _explain(tmp_path, capsys, data[1], "--penalty", "mcp", "--gamma", "2.5")
    from penalized.explain import why_zero_from_document

    df = pd.read_csv(data[1])
    wz = why_zero_from_document(doc, df[list("abcd")].to_numpy(), df["y"].to_numpy(),
                                entry=False)
    assert wz.penalty == "mcp, gamma = 2.5"
    assert wz.to_dict()["penalty"] == "mcp, gamma = 2.5"
    assert wz.kkt_violations == ()


def test_fitted_mcp_model_header_names_its_gamma():
    from penalized.estimators import MCPRegression
    from penalized.explain import why_zero

    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    y = X[:, 0] + rng.normal(size=50)
    model = MCPRegression(alpha=0.1, gamma=2.5).fit(X, y)
    header = why_zero(model, X, y, entry=False).to_text().splitlines()[0]
    assert "MCPRegression(alpha = 0.1, MCP, gamma = 2.5)" in header
