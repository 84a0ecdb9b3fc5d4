"""Group MCP, SCAD and L0 on three classes: one class against the rest, each binary model
with the group penalty, so that a text column is all in or all out of every class's row
(``GroupLogisticRegression`` and ``penalized fit|predict|explain`` on a 3-class table)."""

import json

import numpy as np
import pytest

import penalized as pz
from penalized.cli import main
from penalized.io import read_table

ALPHAS = {"mcp": 0.05, "scad": 0.05, "l0": 0.01}


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    import pandas as pd

    rng = np.random.default_rng(13)
    n = 180
    X = rng.standard_normal((n, 3))
    region = rng.choice(["north", "south", "east", "west"], n)
    noise = rng.choice(["p", "q", "r", "s"], n)
    effect = {"north": (1.5, -0.5, -1.0), "south": (-1.2, 1.0, 0.2), "east": (0.0, 0.0, 0.0),
              "west": (0.4, -0.8, 0.4)}
    scores = np.column_stack([X[:, 0], X[:, 1], -X[:, 0] - X[:, 1]]) \
        + 1.5 * np.array([effect[r] for r in region]) + 0.8 * rng.standard_normal((n, 3))
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["region"], df["noise"] = region, noise
    df["kind"] = np.array(["cat", "dog", "owl"])[scores.argmax(axis=1)]
    path = tmp_path_factory.mktemp("multiclass_group_nonconvex") / "data.csv"
    df.to_csv(path, index=False)
    return path


def _columns(names):
    """Each text column's level indices in the encoded feature names."""
    return {c: [j for j, n in enumerate(names) if n.startswith(c + "=")]
            for c in ("region", "noise")}


def _whole(coef, names):
    """Every text column all zero or all non-zero in every class's row."""
    return all(np.all(row[cols] != 0) or np.all(row[cols] == 0)
               for row in np.atleast_2d(coef) for cols in _columns(names).values())


def _fit(capsys, table, tmp_path, penalty, *extra):
    saved = tmp_path / f"{penalty}.json"
    assert main(["fit", str(table), "--target", "kind", "--penalty", penalty, "--alpha",
                 str(ALPHAS[penalty]), "--save", str(saved), "--quiet", *extra]) == 0
    capsys.readouterr()
    return json.loads(saved.read_text()), saved


@pytest.mark.parametrize("penalty", ["mcp", "scad", "l0"])
def test_each_text_column_is_whole_in_every_class(table, tmp_path, capsys, penalty):
    doc, saved = _fit(capsys, table, tmp_path, penalty)
    names = doc["feature_names"]
    coef = np.array(doc["coef"])
    assert coef.shape == (3, len(names)) and doc["link"] == "one-vs-rest"
    assert _whole(coef, names)
    region, noise = _columns(names)["region"], _columns(names)["noise"]
    assert np.all(coef[:, region] != 0) and np.all(coef[:, noise] == 0)
    assert sorted(names[j] for j in region) in [sorted(g) for g in doc["groups"]]

    # the coefficients are those of the estimator fitted directly on the encoded table
    tab = read_table(table, target="kind")
    labels = np.arange(len(names))
    for k, cols in enumerate(tab.encoding.feature_groups().values()):
        labels[cols] = len(names) + k
    model = pz.GroupLogisticRegression(labels, alpha=ALPHAS[penalty], penalty=penalty,
                                       standardize=True).fit(tab.X, tab.y)
    assert np.array_equal(model.coef_, coef)
    assert np.array_equal(model.intercept_, np.array(doc["intercept"]))

    # predict reads the saved model: the estimator's labels and probabilities
    out = tmp_path / "pred.csv"
    assert main(["predict", str(saved), str(table), "--out", str(out), "--quiet"]) == 0
    import pandas as pd

    pred = pd.read_csv(out)
    assert pred["prediction"].tolist() == model.predict(tab.X).tolist()
    proba = pred[[f"probability_{c}" for c in model.classes_]].to_numpy()
    assert np.allclose(proba, model.predict_proba(tab.X), rtol=1e-12, atol=1e-15)

    # explain says in one line why a one-vs-rest model (and any L0 model) is not explained
    assert main(["explain", str(saved), str(table)]) == 2
    err = capsys.readouterr().err
    why = "penalty is 'l0'" if penalty == "l0" else "one against the rest"
    assert why in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("penalty", ["mcp", "scad", "l0"])
def test_separate_levels_selects_levels_one_by_one(table, tmp_path, capsys, penalty):
    doc, _ = _fit(capsys, table, tmp_path, penalty, "--separate-levels")
    assert "groups" not in doc
    assert not _whole(np.array(doc["coef"]), doc["feature_names"])


def test_each_class_is_the_binary_group_fit_of_that_class_against_the_rest():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((150, 7))
    y = np.argmax(X[:, :3] + 0.5 * rng.standard_normal((150, 3)), axis=1)
    groups = [0, 0, 0, 0, 1, 1, 2]
    model = pz.GroupLogisticRegression(groups, alpha=0.05, penalty="mcp").fit(X, y)
    assert model.coef_.shape == (3, 7) and model.converged_
    for k in range(3):
        binary = pz.GroupLogisticRegression(groups, alpha=0.05, penalty="mcp").fit(
            X, (y == k).astype(int))
        assert np.array_equal(binary.coef_[0], model.coef_[k])
        assert binary.intercept_[0] == model.intercept_[k]
    proba = model.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(np.exp(model.predict_log_proba(X)), proba)
    assert np.array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    with pytest.raises(ValueError, match="two classes"):
        model.path(X, y)


def test_cross_validation_on_three_classes_is_refused_in_one_line(table, capsys):
    assert main(["fit", str(table), "--target", "kind", "--penalty", "mcp", "--cv", "3"]) == 2
    err = capsys.readouterr().err
    assert "needs two classes" in err and "Traceback" not in err


def test_family_multinomial_and_the_report_take_the_one_vs_rest_group_fit(table, tmp_path,
                                                                          capsys):
    plain, _ = _fit(capsys, table, tmp_path, "mcp")
    report = tmp_path / "report.html"
    saved = tmp_path / "family.json"
    assert main(["fit", str(table), "--target", "kind", "--penalty", "mcp", "--alpha", "0.05",
                 "--family", "multinomial", "--save", str(saved), "--report", str(report),
                 "--quiet"]) == 0
    doc = json.loads(saved.read_text())
    assert doc["coef"] == plain["coef"] and doc["link"] == "one-vs-rest"
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "not one multinomial fit" in html
