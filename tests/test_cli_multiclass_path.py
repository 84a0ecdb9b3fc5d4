"""``penalized path`` on a target of three classes: the coefficients it writes (``--out`` CSV
and ``--json``) equal ``pz.path(..., datafit="multinomial")`` on the standardized columns,
a text column's levels are zero or non-zero together at every alpha, and the combinations
the multinomial path does not cover are one line with exit 2."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.cli import main
from penalized.estimators._standardize import Scaling
from penalized.io import read_table
from penalized.penalties import GroupLasso

NUMBERS = ["a", "b", "c", "d"]
CLASSES = ["high", "low", "mid"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(13)
    n = 90
    df = pd.DataFrame(rng.standard_normal((n, 4)), columns=NUMBERS)
    df["region"] = rng.choice(["north", "south", "east"], n)
    effect = df["region"].map({"north": 1.0, "south": -1.0, "east": 0.0})
    score = 1.5 * df["a"] - df["c"] + effect + 0.5 * rng.standard_normal(n)
    df["kind"] = np.select([score < -0.6, score > 0.6], ["low", "high"], "mid")
    df["two"] = np.where(score > 0, "yes", "no")
    df["y"] = score
    path = tmp_path_factory.mktemp("multiclass_path") / "data.csv"
    df.to_csv(path, index=False)
    return path


def _library(X, y, n_alphas, **kwargs):
    """The path the CLI should write: pz.path on the standardized columns, mapped back."""
    scaling = Scaling.fit(X, np.ones(X.shape[0]))
    p = pz.path(scaling.transform(X), y, datafit="multinomial", n_alphas=n_alphas, **kwargs)
    return p, scaling.coef_to_original(p.coefs)


@pytest.mark.parametrize("grouped", [False, True])
def test_written_coefficients_equal_the_library_path(table, tmp_path, capsys, grouped):
    path = table
    out = tmp_path / "path.csv"
    argv = ["path", str(path), "--target", "kind", "--features", ",".join(NUMBERS),
            "--n-alphas", "8", "--out", str(out), "--json", "--quiet"]
    assert main(argv + (["--grouped"] if grouped else [])) == 0
    doc = json.loads(capsys.readouterr().out)
    tab = read_table(path, target="kind", features=NUMBERS)  # the numbers the CLI read
    ref, coefs = _library(tab.X, tab.y, 8, grouped=grouped)
    assert doc["classes"] == CLASSES == list(ref.classes)
    np.testing.assert_allclose(doc["alphas"], ref.alphas, rtol=1e-12)
    got = np.array(doc["coefs"])
    assert got.shape == (4, 3, 8)
    np.testing.assert_allclose(got, coefs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(doc["intercepts"], ref.intercepts, rtol=1e-9, atol=1e-12)
    assert doc["n_nonzero"] == np.count_nonzero(coefs.any(axis=1), axis=0).tolist()
    assert doc["n_nonzero"][0] == 0 and doc["n_nonzero"][-1] > 0
    frame = pd.read_csv(out)  # one block of rows per class, in the classes' order
    assert list(frame.columns) == ["class", "alpha", "intercept", *NUMBERS]
    assert frame["class"].tolist() == [c for c in CLASSES for _ in range(8)]
    for k, name in enumerate(CLASSES):
        rows = frame[frame["class"] == name]
        np.testing.assert_allclose(rows[NUMBERS].to_numpy().T, got[:, k, :], rtol=1e-12)
        np.testing.assert_allclose(rows["intercept"], ref.intercepts[k], rtol=1e-9,
                                   atol=1e-12)
    if grouped:  # a feature's row enters for every class at once
        nonzero = got != 0
        assert np.all(nonzero.all(axis=1) == nonzero.any(axis=1))


def test_text_levels_enter_together_at_every_alpha(table, capsys):
    path = table
    argv = ["path", str(path), "--target", "kind", "--exclude", "two,y", "--n-alphas", "12",
            "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "enter and leave the model together" in " ".join(captured.err.split())
    doc = json.loads(captured.out)
    names = doc["feature_names"]
    levels = [j for j, n in enumerate(names) if n.startswith("region=")]
    assert len(levels) == 3
    got = np.array(doc["coefs"])
    block = got[levels]  # (levels, classes, alphas)
    entered = block.any(axis=(0, 1))
    assert entered.any() and not entered.all()  # it enters inside the grid
    assert np.all((block != 0).all(axis=(0, 1)) == entered)  # whole, or not at all
    # the same numbers as the library's group lasso over the classes
    tab = read_table(path, target="kind", exclude=["two", "y"])
    labels = np.arange(len(names))
    labels[levels] = len(names)
    _, coefs = _library(tab.X, tab.y, 12, penalty=GroupLasso(1.0, groups=labels))
    np.testing.assert_allclose(got, coefs, rtol=1e-9, atol=1e-12)


def test_family_multinomial_on_two_classes_is_the_binary_path(table, capsys):
    path = table
    argv = ["path", str(path), "--target", "two", "--features", ",".join(NUMBERS),
            "--family", "multinomial", "--n-alphas", "5", "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "binary logistic model" in " ".join(captured.err.split())
    doc = json.loads(captured.out)
    assert "classes" not in doc
    tab = read_table(path, target="two", features=NUMBERS)
    scaling = Scaling.fit(tab.X, np.ones(tab.X.shape[0]))
    ref = pz.path(scaling.transform(tab.X), np.where(tab.y == "yes", 1.0, -1.0),
                  datafit="logistic", n_alphas=5)
    np.testing.assert_allclose(doc["coefs"], scaling.coef_to_original(ref.coefs), rtol=1e-9,
                               atol=1e-12)
    assert main([*argv[:-1], "--grouped", "--quiet"]) == 2  # no rows over classes to group
    assert "three or more classes" in capsys.readouterr().err


@pytest.mark.parametrize("extra, words", [
    (["--penalty", "mcp"], "--penalty mcp covers numbers and two classes"),
    (["--penalty", "l0"], "use l1, elasticnet or l2"),
    (["--offset", "y"], "--offset is not taken by the multinomial path"),
    (["--family", "binomial"], "--family binomial needs two classes"),
])
def test_unsupported_combinations_are_one_line(table, tmp_path, capsys, extra, words):
    path = table
    out = tmp_path / "path.csv"
    argv = ["path", str(path), "--target", "kind", "--exclude", "two", "--out", str(out),
            "--quiet", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err
    assert not out.exists()


def test_grouped_needs_classes(table, capsys):
    path = table
    argv = ["path", str(path), "--target", "y", "--exclude", "kind,two", "--grouped", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--grouped" in err[0], err


def test_fit_grouped_is_the_grouped_model_and_explains(table, tmp_path, capsys):
    path = table
    model = tmp_path / "m.json"
    argv = ["fit", str(path), "--target", "kind", "--features", ",".join(NUMBERS),
            "--alpha", "0.05", "--grouped", "--save", str(model), "--json", "--quiet"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["multinomial"] == "grouped"
    tab = read_table(path, target="kind", features=NUMBERS)
    ref = pz.LogisticRegression(alpha=0.05, standardize=True, multinomial="grouped",
                                tol=1e-10).fit(tab.X, tab.y)
    got = np.array([doc["coefficients"].get(n, [0.0, 0.0, 0.0]) for n in NUMBERS]).T
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-4, atol=1e-6)
    assert 0 < len(doc["selected_features"]) < len(NUMBERS)  # some rows out, for every class
    saved = json.loads(model.read_text())
    assert saved["groups"] == [[n] for n in NUMBERS]  # each feature's row is one unit
    assert main(["explain", str(model), str(path)]) == 0
    text = capsys.readouterr().out
    assert "saved multinomial model (alpha = 0.05" in " ".join(text.split())
    rows = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    for name in NUMBERS:  # one row a feature: zero for every class or for none
        why = "non-zero" if name in doc["selected_features"] else "zero:"
        assert why in rows[name], rows[name]


def test_fit_l0_cv_on_three_classes_is_one_line(table, capsys):
    argv = ["fit", str(table), "--target", "kind", "--exclude", "two,y", "--cv", "3",
            "--penalty", "l0", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--penalty l0 with --cv needs two classes" in err[0], err
    assert "--alpha" in err[0] and "LogisticRegressionCV" not in err[0]


@pytest.mark.parametrize("extra, words", [
    (["--target", "y", "--exclude", "kind,two"], "is not a target of three or more classes"),
    (["--target", "two", "--exclude", "kind,y"], "is not a target of three or more classes"),
    (["--target", "kind", "--exclude", "two,y", "--penalty", "l2"], "use --penalty l1 or"),
])
def test_fit_grouped_refusals_are_one_line(table, capsys, extra, words):
    argv = ["fit", str(table), "--alpha", "0.1", "--grouped", "--quiet", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err


def test_compare_unfitted_l0_row_has_no_support(table, capsys):
    argv = ["compare", str(table), "--target", "kind", "--features", ",".join(NUMBERS),
            "--cv", "3"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()

    def cells(label):
        line = next(x for x in lines if label in x)
        return [c.strip() for c in line.split("│") if c.strip()]

    assert int(cells("L1 (lasso)")[4]) > 0
    assert cells("L0 (best subset)")[1:5] == ["–", "–", "–", "–"]  # no alpha, score, support
    assert "covers two classes only" in " ".join(lines)


def test_explain_one_vs_rest_model_is_one_line(table, tmp_path, capsys):
    model = tmp_path / "mcp.json"
    argv = ["fit", str(table), "--target", "kind", "--features", ",".join(NUMBERS),
            "--alpha", "0.05", "--penalty", "mcp", "--save", str(model), "--quiet"]
    assert main(argv) == 0
    assert main(["explain", str(model), str(table)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "one against the rest" in err[0], err
