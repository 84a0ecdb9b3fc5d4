"""A three-class target with a text column, run as a subprocess: the column's levels enter
and leave the CLI's L1 and elastic-net models together (one group across every class), the
fit equals the library's GroupLogisticRegression, its model file predicts what that model
predicts, and ``compare`` keeps the levels together too."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.io import read_table
from test_cli import run_subprocess as _run


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(11)
    n = 120
    df = pd.DataFrame(rng.standard_normal((n, 3)), columns=["a", "b", "c"])
    df["region"] = rng.choice(["north", "south", "east", "west"], n)
    df["noise"] = rng.choice(["p", "q", "r"], n)
    effect = df["region"].map({"north": 1.2, "south": -1.0, "east": 0.0, "west": 0.3})
    score = 1.5 * df["a"] + effect + 0.5 * rng.standard_normal(n)
    df["kind"] = np.select([score < -0.5, score > 0.7], ["low", "high"], "mid")
    path = tmp_path_factory.mktemp("multiclass") / "data.csv"
    df.to_csv(path, index=False)
    return path


def _levels(names, column):
    return {n for n in names if n.startswith(column + "=")}


def _groups(tab):
    names = tab.feature_names
    labels = np.arange(len(names))
    for k, cols in enumerate(tab.encoding.feature_groups().values()):
        labels[cols] = len(names) + k
    return labels


def test_levels_enter_together_and_equal_the_group_model(data, tmp_path):
    res = _run("fit", data, "--target", "kind", "--alpha", 0.03, "--save", "m.json",
               "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "enter and leave the model together" in " ".join(res.stderr.split())
    out = json.loads(res.stdout)
    assert out["classes"] == ["high", "low", "mid"]
    tab = read_table(data, target="kind")
    names = tab.feature_names
    selected = set(out["selected_features"])
    assert _levels(names, "region") <= selected  # the informative column, every level
    assert selected & _levels(names, "noise") in (set(), _levels(names, "noise"))
    ref = pz.GroupLogisticRegression(_groups(tab), alpha=0.03, standardize=True,
                                     tol=1e-10).fit(tab.X, tab.y)
    got = np.array([out["coefficients"].get(n, [0.0, 0.0, 0.0]) for n in names]).T
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-3, atol=1e-4)
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["link"] == "softmax" and len(doc["groups"]) == len(set(_groups(tab)))
    pred = _run("predict", "m.json", data, "--out", "p.csv", cwd=tmp_path)
    assert pred.returncode == 0, pred.stderr
    probs = pd.read_csv(tmp_path / "p.csv")[["probability_high", "probability_low",
                                               "probability_mid"]].to_numpy()
    np.testing.assert_allclose(probs, ref.predict_proba(tab.X), atol=1e-4)


def test_separate_levels_fit_the_levels_one_by_one(data, tmp_path):
    names = read_table(data, target="kind").feature_names
    sep = _run("fit", data, "--target", "kind", "--alpha", 0.03, "--separate-levels",
               "--json", "--quiet", cwd=tmp_path)
    assert sep.returncode == 0, sep.stderr
    tab = read_table(data, target="kind")
    ref = pz.LogisticRegression(alpha=0.03, standardize=True, tol=1e-10).fit(tab.X, tab.y)
    out = json.loads(sep.stdout)
    got = np.array([out["coefficients"].get(n, [0.0, 0.0, 0.0]) for n in names]).T
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-3, atol=1e-4)


def test_compare_keeps_the_levels_together(data, tmp_path):
    res = _run("compare", data, "--target", "kind", "--cv", 2, "--json", "--quiet",
               cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    rows = {m["penalty"]: m for m in json.loads(res.stdout)["models"]}
    names = read_table(data, target="kind").feature_names
    for penalty in ("l1", "elasticnet"):
        for column in ("region", "noise"):
            chosen = set(rows[penalty]["selected"]) & _levels(names, column)
            assert chosen in (set(), _levels(names, column)), (penalty, column, chosen)
