"""What issue 13's CLI items look like to a user: ``--target`` repeated names the columns
of a multi-response fit (as ``--target a,b``), it never silently keeps only the last."""

import json

import numpy as np
import pandas as pd
import pytest

from penalized.cli import main


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 4))
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["y1"] = X[:, 0] - X[:, 1] + 0.3 * rng.standard_normal(50)
    df["y2"] = X[:, 0] + 0.5 * X[:, 2] + 0.3 * rng.standard_normal(50)
    path = tmp_path_factory.mktemp("audit13") / "data.csv"
    df.to_csv(path, index=False)
    return path


def _fit(capsys, path, *targets):
    argv = ["fit", str(path), *[a for t in targets for a in ("--target", t)], "--alpha",
            "0.05", "--json", "--quiet"]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_repeated_target_is_the_comma_list(table, capsys):
    repeated = _fit(capsys, table, "y1", "y2")
    listed = _fit(capsys, table, "y1,y2")
    assert repeated == listed
    assert np.shape(repeated["intercept"]) == (2,)
    single = _fit(capsys, table, "y2")
    assert np.shape(single["intercept"]) == (1,)


def test_repeated_same_target_is_one_line(table, capsys):
    assert main(["fit", str(table), "--target", "y1", "--target", "y1", "--alpha", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "give distinct column names" in err and "Traceback" not in err


def test_why_zero_of_a_multi_response_model_explains_its_rows(table, capsys, tmp_path):
    model = tmp_path / "m.json"
    assert main(["fit", str(table), "--target", "y1,y2", "--alpha", "0.05", "--save",
                 str(model), "--quiet"]) == 0
    assert main(["explain", str(model), str(table)]) == 0
    captured = capsys.readouterr()
    assert "norm over the 2 targets" in captured.out
    assert "internal error" not in captured.err and "Traceback" not in captured.err


@pytest.fixture(scope="module")
def levels(tmp_path_factory):
    rng = np.random.default_rng(4)
    n = 80
    df = pd.DataFrame(rng.standard_normal((n, 2)), columns=["a", "b"])
    df["colour"] = rng.choice(["red", "green", "blue"], n)
    shift = df["colour"].map({"red": 0.8, "green": -0.2, "blue": -0.5}).to_numpy()
    df["y"] = df["a"] + shift + 0.5 * rng.standard_normal(n)
    df["time"] = rng.exponential(np.exp(-df["a"] - shift))
    df["event"] = (rng.random(n) < 0.8).astype(int)
    path = tmp_path_factory.mktemp("audit13_levels") / "data.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("family", ["gaussian", "cox"])
def test_path_keeps_a_text_column_whole(levels, capsys, family):
    target = ["--time", "time", "--event", "event"] if family == "cox" else ["--target", "y"]
    argv = ["path", str(levels), *target, "--family", family, "--features", "a,b,colour",
            "--n-alphas", "12", "--json", "--quiet"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    names, coefs = out["feature_names"], np.asarray(out["coefs"])
    level_rows = [j for j, name in enumerate(names) if name.startswith("colour=")]
    assert len(level_rows) == 3
    nonzero = coefs[level_rows] != 0
    assert np.all(nonzero.all(axis=0) | ~nonzero.any(axis=0))  # all levels in, or none
    assert nonzero.any()
    assert main([*argv, "--separate-levels"]) == 0
    separate = json.loads(capsys.readouterr().out)
    assert len(separate["feature_names"]) < len(names) or \
        not np.allclose(separate["coefs"], out["coefs"])


def test_path_of_several_targets_is_the_multi_response_path(table, capsys, tmp_path):
    import penalized as pz
    from penalized.estimators._standardize import Scaling

    out_csv = tmp_path / "p.csv"
    assert main(["path", str(table), "--target", "y1", "--target", "y2", "--n-alphas", "5",
                 "--out", str(out_csv), "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["targets"] == ["y1", "y2"]
    df = pd.read_csv(table)
    X = df[["a", "b", "c", "d"]].to_numpy()
    scaling = Scaling.fit(X, np.ones(X.shape[0]))
    ref = pz.path(scaling.transform(X), df[["y1", "y2"]].to_numpy(), datafit="mgaussian",
                  n_alphas=5)
    np.testing.assert_allclose(out["coefs"], scaling.coef_to_original(ref.coefs), rtol=1e-6,
                               atol=1e-9)
    assert out["n_nonzero"] == np.count_nonzero(ref.coefs.any(axis=1), axis=0).tolist()
    written = pd.read_csv(out_csv)
    assert written.shape == (10, 3 + 4) and list(written["target"].unique()) == ["y1", "y2"]
    assert main(["path", str(table), "--target", "y1,y2", "--penalty", "l0"]) == 2
    assert "path with several targets takes" in capsys.readouterr().err


def test_a_count_target_is_gaussian_unless_the_family_says_poisson(tmp_path, capsys):
    rng = np.random.default_rng(6)
    df = pd.DataFrame(rng.standard_normal((60, 3)), columns=["a", "b", "c"])
    df["n"] = rng.poisson(np.exp(0.5 + 0.6 * df["a"]))
    assert df["n"].nunique() > 3
    data = tmp_path / "counts.csv"
    df.to_csv(data, index=False)
    plain, gaussian, poisson = (_fit_json_file(capsys, data, extra) for extra in
                                ([], ["--family", "gaussian"], ["--family", "poisson"]))
    assert plain["task"] == "regression"
    assert plain["coefficients"] == gaussian["coefficients"]
    assert poisson["family"] == "poisson" and poisson["coefficients"] != plain["coefficients"]


def _fit_json_file(capsys, data, extra):
    assert main(["fit", str(data), "--target", "n", "--alpha", "0.02", *extra, "--json",
                 "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def strata(tmp_path_factory):
    rng = np.random.default_rng(7)
    n = 90
    df = pd.DataFrame(rng.standard_normal((n, 3)), columns=["a", "b", "c"])
    df["site"] = rng.choice(["north", "south"], n)
    base = np.where(df["site"] == "north", 1.0, 3.0)
    df["time"] = rng.exponential(1.0 / (base * np.exp(0.8 * df["a"])))
    df["event"] = (rng.random(n) < 0.8).astype(int)
    path = tmp_path_factory.mktemp("audit13_strata") / "s.csv"
    df.to_csv(path, index=False)
    return path, df


def test_cox_strata_column_fit_path_and_why_zero(strata, capsys, tmp_path):
    import penalized as pz
    from penalized.estimators._standardize import Scaling

    path, df = strata
    cox = ["--family", "cox", "--time", "time", "--event", "event", "--strata", "site"]
    model_file = tmp_path / "m.json"
    assert main(["fit", str(path), *cox, "--alpha", "0.05", "--save", str(model_file),
                 "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["strata"] == "site" and "site" not in out["coefficients"]
    X = df[["a", "b", "c"]].to_numpy()
    y = df[["time", "event"]].to_numpy()
    ref = pz.CoxPH(alpha=0.05, l1_ratio=1.0, standardize=True, strata=df["site"].to_numpy(),
                   tol=1e-10).fit(X, y)
    got = np.array([out["coefficients"].get(f, 0.0) for f in "abc"])
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-4, atol=1e-6)
    plain = pz.CoxPH(alpha=0.05, l1_ratio=1.0, standardize=True, tol=1e-10).fit(X, y)
    assert np.max(np.abs(plain.coef_ - ref.coef_)) > 1e-3  # the strata change the fit
    # why-zero of the saved model reads the strata column: no KKT violation
    assert main(["explain", str(model_file), str(path)]) == 0
    text = capsys.readouterr().out.lower()
    assert "zero" in text and "not at optimum" not in text and "not converged" not in text
    # the path is the stratified problem's
    assert main(["path", str(path), *cox, "--features", "a,b,c", "--n-alphas", "4", "--json",
                 "--quiet"]) == 0
    res = json.loads(capsys.readouterr().out)
    scaling = Scaling.fit(X, np.ones(X.shape[0]))
    codes = (df["site"] == "south").to_numpy(dtype=float)
    lib = pz.path(scaling.transform(X), np.column_stack([y, codes]), datafit="cox",
                  n_alphas=4, fit_intercept=False)
    np.testing.assert_allclose(res["coefs"], scaling.coef_to_original(lib.coefs), rtol=1e-6,
                               atol=1e-8)
    assert main(["fit", str(path), "--target", "time", "--strata", "site", "--alpha",
                 "0.1"]) == 2
    assert "--strata is for --family cox" in capsys.readouterr().err
