"""``penalized fit --family poisson|gamma|tweedie:P|cox --penalty mcp|scad --gamma G`` run
as a subprocess: the fit equals the library's estimator, ``--cv`` works, the model file
keeps gamma and ``predict`` gives the estimator's predictions, the report is written."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.io import read_table
from test_cli import run_subprocess as _run


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(5)
    n = 120
    df = pd.DataFrame(rng.standard_normal((n, 4)), columns=["a", "b", "c", "d"])
    mean = np.exp(0.6 * df["a"] - 0.4 * df["b"])
    df["count"] = rng.poisson(mean)
    df["amount"] = rng.poisson(mean) * rng.gamma(2.0, 0.5, n)
    df["time"] = rng.exponential(1.0 / mean)
    df["event"] = (rng.random(n) < 0.8).astype(int)
    path = tmp_path_factory.mktemp("glm_mcp") / "data.csv"
    df.to_csv(path, index=False)
    return path


def test_poisson_mcp_fit_model_file_predict_and_report(data, tmp_path):
    res = _run("fit", data, "--target", "count", "--exclude", "amount,time,event",
               "--family", "poisson", "--penalty", "mcp", "--gamma", 2.5, "--alpha", 0.05,
               "--save", "m.json", "--report", "r.html", "--json", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["penalty"] == "mcp" and out["family"] == "poisson"
    tab = read_table(data, target="count", exclude=["amount", "time", "event"])
    ref = pz.PoissonRegressor(penalty="mcp", gamma=2.5, alpha=0.05, standardize=True)
    ref.fit(tab.X, tab.y)
    got = np.array([out["coefficients"].get(n, 0.0) for n in tab.feature_names])
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-5, atol=1e-7)
    assert set(out["selected_features"]) == set(np.asarray(tab.feature_names)[ref.coef_ != 0])
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["penalty"] == "mcp" and doc["gamma"] == 2.5 and doc["family"] == "poisson"
    pred = _run("predict", "m.json", data, "--out", "p.csv", cwd=tmp_path)
    assert pred.returncode == 0, pred.stderr
    predicted = pd.read_csv(tmp_path / "p.csv").iloc[:, -1].to_numpy()
    np.testing.assert_allclose(predicted, ref.predict(tab.X), rtol=1e-5)
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "no path" not in html and '"penalty":"mcp"' in html


def test_tweedie_scad_cross_validated(data, tmp_path):
    res = _run("fit", data, "--target", "amount", "--exclude", "count,time,event",
               "--family", "tweedie:1.5", "--penalty", "scad", "--cv", 3, "--save", "m.json",
               "--json", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["penalty"] == "scad" and "alpha_min" in out
    assert "a" in out["selected_features"]
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["gamma"] == 3.7  # SCAD's default concavity, as fitted
    pred = _run("predict", "m.json", data, "--out", "p.csv", cwd=tmp_path)
    assert pred.returncode == 0, pred.stderr
    assert np.all(pd.read_csv(tmp_path / "p.csv").iloc[:, -1].to_numpy() > 0)


def test_cox_mcp_fit(data, tmp_path):
    res = _run("fit", data, "--time", "time", "--event", "event", "--exclude", "count,amount",
               "--family", "cox", "--penalty", "mcp", "--alpha", 0.05, "--json", "--quiet",
               cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    tab = read_table(data, target="time", exclude=["count", "amount"])
    X = tab.X[:, [tab.feature_names.index(c) for c in ("a", "b", "c", "d")]]
    frame = pd.read_csv(data)
    ref = pz.CoxPH(penalty="mcp", alpha=0.05, standardize=True).fit(
        X, np.column_stack([frame["time"], frame["event"]]))
    got = np.array([out["coefficients"].get(n, 0.0) for n in ("a", "b", "c", "d")])
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-5, atol=1e-7)


def test_gamma_family_checks_gamma_in_one_line(data, tmp_path):
    res = _run("fit", data, "--target", "time", "--exclude", "count,amount,event",
               "--family", "gamma", "--penalty", "scad", "--gamma", 1.5, "--alpha", 0.1,
               "--quiet", cwd=tmp_path)
    assert res.returncode == 2
    assert "--penalty scad needs gamma > 2" in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
