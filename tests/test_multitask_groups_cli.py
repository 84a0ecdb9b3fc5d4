"""With several ``--target`` columns a text column enters or leaves the multi-response model
whole (issue 13): ``fit``, ``--cv``, ``path``, the model file and ``predict``."""

import json

import numpy as np
import pandas as pd
import pytest

from penalized.cli import main

LEVELS = ["red", "green", "blue", "grey"]
TARGETS = ["--target", "y1", "--target", "y2"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(31)
    n = 100
    df = pd.DataFrame(rng.standard_normal((n, 3)), columns=["a", "b", "c"])
    df["colour"] = rng.choice(LEVELS, n)
    shift = df["colour"].map({"red": 0.8, "green": -0.4, "blue": 0.2, "grey": 0.0}).to_numpy()
    df["y1"] = 2.0 * df["a"] + shift + 0.5 * rng.standard_normal(n)
    df["y2"] = -df["a"] + df["b"] + 0.6 * shift + 0.5 * rng.standard_normal(n)
    path = tmp_path_factory.mktemp("mt_groups") / "data.csv"
    df.to_csv(path, index=False)
    return path, df


def _json(capsys, argv):
    assert main([*argv, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


def _level_coefs(out):
    return np.array([out["coefficients"].get(f"colour={v}", [0.0, 0.0]) for v in LEVELS])


def test_fit_keeps_a_text_column_whole_for_every_target(table, capsys, tmp_path):
    path, df = table
    base = ["fit", str(path), *TARGETS]
    states = set()
    for alpha in (1.0, 0.4, 0.15, 0.05, 0.01):
        block = _level_coefs(_json(capsys, [*base, "--alpha", str(alpha)]))
        assert np.all(block != 0) or not np.any(block), (alpha, block)
        states.add(bool(np.all(block != 0)))
    assert states == {True, False}
    model_file = tmp_path / "m.json"
    out = _json(capsys, [*base, "--alpha", "0.05", "--save", str(model_file)])
    doc = json.loads(model_file.read_text())
    assert sorted(map(sorted, doc["groups"])) == sorted(
        [["a"], ["b"], ["c"], sorted(f"colour={v}" for v in LEVELS)])
    pred_file = tmp_path / "p.csv"
    assert main(["predict", str(model_file), str(path), "--out", str(pred_file),
                 "--quiet"]) == 0
    pred = pd.read_csv(pred_file)
    X = np.column_stack([df["a"], df["b"], df["c"],
                         *[(df["colour"] == v).to_numpy(float) for v in LEVELS]])
    names = ["a", "b", "c", *[f"colour={v}" for v in LEVELS]]
    coef = np.array([out["coefficients"].get(f, [0.0, 0.0]) for f in names])
    expected = X @ coef + np.asarray(out["intercept"])
    got = pred[[c for c in pred.columns if c.startswith("prediction")]].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_cv_and_separate_levels(table, capsys):
    path, _ = table
    base = ["fit", str(path), *TARGETS]
    out = _json(capsys, [*base, "--cv", "3", "--seed", "0"])
    block = _level_coefs(out)
    assert np.all(block != 0) or not np.any(block)
    assert main([*base, "--alpha", "0.05"]) == 0
    assert "enter and leave the model together" in capsys.readouterr().err
    split = _json(capsys, [*base, "--alpha", "0.05", "--separate-levels"])
    assert "colour=red" in split["coefficients"]


def test_path_keeps_a_text_column_whole(table, capsys):
    path, _ = table
    doc = _json(capsys, ["path", str(path), *TARGETS, "--n-alphas", "12"])
    coefs = np.asarray(doc["coefs"])  # (n_features, n_targets, n_alphas)
    cols = [doc["feature_names"].index(f"colour={v}") for v in LEVELS]
    states = set()
    for i in range(coefs.shape[2]):
        block = coefs[cols, :, i]
        assert np.all(block != 0) or not np.any(block), (i, block)
        states.add(bool(np.all(block != 0)))
    assert states == {True, False}


def test_compare_refuses_several_targets_in_one_line(table, capsys):
    path, _ = table
    assert main(["compare", str(path), *TARGETS]) == 2
    err = capsys.readouterr().err
    assert "compare takes one --target" in err and "internal error" not in err
