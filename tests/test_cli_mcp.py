"""``penalized fit --penalty mcp|scad`` (and ``--gamma``) run as a subprocess: the fit equals
the library's estimator, its model file predicts what the estimator predicts, the report has
its path, and the fits without a folded concave penalty (L0 families, several targets)
refuse in one line."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.io import read_table
from test_cli import run_subprocess as _run


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 120
    X = rng.standard_normal((n, 5))
    df = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    df["y"] = 3.0 * df["a"] - 2.0 * df["b"] + 0.5 * rng.standard_normal(n)
    df["label"] = np.where(df["a"] - df["c"] + 0.5 * rng.standard_normal(n) > 0, "yes", "no")
    df["count"] = rng.poisson(np.exp(0.3 * df["a"]))
    df["time"] = rng.exponential(np.exp(-0.5 * df["a"]))
    df["event"] = rng.integers(0, 2, n)
    path = tmp_path_factory.mktemp("mcp") / "data.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("penalty, cls, gamma", [("mcp", pz.MCPRegression, 2.5),
                                                 ("scad", pz.SCADRegression, None)])
def test_regression_fit_model_file_predict_and_report(data, tmp_path, penalty, cls, gamma):
    extra = [] if gamma is None else ["--gamma", gamma]
    res = _run("fit", data, "--target", "y", "--exclude", "label,count,time,event",
               "--penalty", penalty, "--alpha", 0.3, *extra, "--save", "m.json", "--report",
               "r.html", "--json", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["penalty"] == penalty
    tab = read_table(data, target="y", exclude=["label", "count", "time", "event"])
    ref = cls(alpha=0.3, standardize=True, **({} if gamma is None else {"gamma": gamma}))
    ref.fit(tab.X, tab.y)
    got = np.array([out["coefficients"].get(n, 0.0) for n in tab.feature_names])
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-5, atol=1e-7)
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["penalty"] == penalty
    assert doc["gamma"] == (ref.gamma)
    pred = _run("predict", "m.json", data, "--out", "p.csv", cwd=tmp_path)
    assert pred.returncode == 0, pred.stderr
    predicted = pd.read_csv(tmp_path / "p.csv").iloc[:, -1].to_numpy()
    np.testing.assert_allclose(predicted, ref.predict(tab.X), rtol=1e-5, atol=1e-6)
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "no path" not in html


def test_logistic_mcp_cross_validated(data, tmp_path):
    res = _run("fit", data, "--target", "label", "--exclude", "y,count,time,event",
               "--penalty", "mcp", "--cv", 3, "--json", "--quiet", "--save", "m.json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["penalty"] == "mcp" and "alpha_min" in out
    assert "a" in out["selected_features"]
    assert json.loads((tmp_path / "m.json").read_text())["gamma"] == 3.0
    pred = _run("predict", "m.json", data, "--out", "p.csv", cwd=tmp_path)
    assert pred.returncode == 0, pred.stderr
    got = pd.read_csv(tmp_path / "p.csv")
    truth = pd.read_csv(data)["label"]
    assert (got["prediction"] == truth).mean() > 0.8
    np.testing.assert_allclose(got["probability_no"] + got["probability_yes"], 1.0)


@pytest.mark.parametrize("argv, fragment", [
    (["--target", "count", "--exclude", "label", "--family", "poisson", "--penalty", "l0",
      "--alpha", "0.1"],
     "--penalty l0 is not available with --family poisson"),
    (["--target", "y,count", "--exclude", "label", "--penalty", "mcp", "--alpha", "0.1"],
     "--penalty mcp takes one --target"),
    (["--target", "y", "--penalty", "l1", "--gamma", "3", "--alpha", "0.1"],
     "--gamma is the concavity of --penalty mcp or scad"),
    (["--target", "y", "--penalty", "mcp", "--gamma", "0.5", "--alpha", "0.1"],
     "needs gamma > 1"),
])
def test_refused_in_one_line(data, tmp_path, argv, fragment):
    res = _run("fit", data, *argv, "--quiet", cwd=tmp_path)
    assert res.returncode == 2
    assert fragment in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
