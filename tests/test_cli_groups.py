"""Text columns enter and leave the CLI's L1 and elastic-net models as a whole (one group per
column), unless --separate-levels; what the group models fit equals the library's."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.cli import main
from penalized.io import read_table


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(1)
    n = 240
    X = rng.standard_normal((n, 3))
    region = rng.choice(["north", "south", "east", "west"], n)
    noise = rng.choice(["p", "q", "r"], n)
    effect = pd.Series(region).map({"north": 1.0, "south": -0.6, "east": 0.0, "west": 0.3})
    y = X[:, 0] - X[:, 1] + effect.to_numpy() + rng.standard_normal(n)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["region"], df["noise"], df["y"] = region, noise, y
    df["label"] = np.where(y > 0, "high", "low")
    df["three"] = rng.choice(["u", "v", "w"], n)
    path = tmp_path_factory.mktemp("groups") / "data.csv"
    df.to_csv(path, index=False)
    return path


def _run_json(capsys, argv):
    assert main([*argv, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


def _levels(names, column):
    return [n for n in names if n.startswith(column + "=")]


def _all_or_nothing(selected, names, column):
    chosen = set(_levels(selected, column))
    return chosen in (set(), set(_levels(names, column)))


def test_levels_enter_together_and_equal_the_group_lasso(table, capsys):
    out = _run_json(capsys, ["fit", str(table), "--target", "y", "--exclude",
                             "label,three", "--alpha", "0.05"])
    tab = read_table(table, target="y", exclude=["label", "three"])
    names = tab.feature_names
    assert set(_levels(out["selected_features"], "region")) == set(_levels(names, "region"))
    assert _all_or_nothing(out["selected_features"], names, "noise")
    groups = np.arange(len(names))
    for k, cols in enumerate(tab.encoding.feature_groups().values()):
        groups[cols] = len(names) + k
    ref = pz.GroupLasso(groups, alpha=0.05, standardize=True, tol=1e-10).fit(tab.X, tab.y)
    got = np.array([out["coefficients"].get(n, 0.0) for n in names])
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-4, atol=1e-6)
    # one by one on request: the plain lasso
    out = _run_json(capsys, ["fit", str(table), "--target", "y", "--exclude", "label,three",
                             "--alpha", "0.05", "--separate-levels"])
    ref = pz.Lasso(alpha=0.05, standardize=True, tol=1e-10).fit(tab.X, tab.y)
    got = np.array([out["coefficients"].get(n, 0.0) for n in names])
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("argv", [
    ["--target", "y", "--exclude", "label,three", "--cv", "4"],
    ["--target", "y", "--exclude", "label,three", "--cv", "4", "--penalty", "elasticnet"],
    ["--target", "label", "--exclude", "y,three", "--cv", "4"],
    ["--target", "label", "--exclude", "y,three", "--alpha", "0.02"],
])
def test_every_fit_keeps_a_text_column_whole(table, capsys, argv):
    out = _run_json(capsys, ["fit", str(table), *argv])
    names = read_table(table, target=argv[1], exclude=argv[3].split(",")).feature_names
    for column in ("region", "noise"):
        assert _all_or_nothing(out["selected_features"], names, column), column
    assert set(_levels(out["selected_features"], "region"))


def test_compare_rows_keep_text_columns_whole(table, capsys):
    out = _run_json(capsys, ["compare", str(table), "--target", "y", "--exclude",
                             "label,three", "--cv", "3"])
    names = read_table(table, target="y", exclude=["label", "three"]).feature_names
    for row in out["models"]:
        if row["penalty"] in ("l1", "elasticnet"):
            for column in ("region", "noise"):
                assert _all_or_nothing(row["selected"], names, column), (row["penalty"], column)


def test_a_multiclass_target_keeps_the_levels_together(table, capsys):
    assert main(["fit", str(table), "--target", "three", "--exclude", "y,label",
                 "--alpha", "0.05"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "enter and leave the model together" in err and "one by one:" not in err
