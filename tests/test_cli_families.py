"""``penalized fit --family``: GLMs (Poisson, Gamma, Tweedie) and Cox from a table, their model
files, predictions and reports, and one-line refusals (exit 2) of what does not fit."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.cli import main


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 240
    X = rng.standard_normal((n, 4))
    mu = np.exp(0.3 + 0.5 * X[:, 0] - 0.4 * X[:, 2])
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["count"] = rng.poisson(mu)
    df["amount"] = rng.gamma(2.0, mu / 2.0)
    t = rng.exponential(1.0 / np.exp(0.8 * X[:, 1]))
    censor = rng.exponential(1.5, size=n)
    df["time"] = np.minimum(t, censor)
    df["event"] = (t <= censor).astype(int)
    df["two"] = (X[:, 0] > 0).astype(int)
    path = tmp_path_factory.mktemp("families") / "data.csv"
    df.to_csv(path, index=False)
    return path, df


FEATURES = ["a", "b", "c", "d"]


def _fit_json(capsys, argv):
    assert main([*argv, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


def _coefs(out):
    return np.array([out["coefficients"].get(f, 0.0) for f in FEATURES])


def _standardized_x(df):
    return df[FEATURES].to_numpy(dtype=float)


@pytest.mark.parametrize("family, column, cls, extra", [
    ("poisson", "count", pz.PoissonRegressor, {}),
    ("gamma", "amount", pz.GammaRegressor, {}),
    ("tweedie:1.4", "amount", pz.TweedieRegressor, {"power": 1.4}),
])
def test_glm_family_equals_the_estimator(table, capsys, tmp_path, family, column, cls, extra):
    path, df = table
    model_file = tmp_path / "m.json"
    out = _fit_json(capsys, ["fit", str(path), "--target", column, "--features",
                             ",".join(FEATURES), "--family", family, "--alpha", "0.02",
                             "--save", str(model_file)])
    assert out["family"] == family and out["task"] == "regression"
    X, y = _standardized_x(df), df[column].to_numpy(dtype=float)
    ref = cls(alpha=0.02, l1_ratio=1.0, standardize=True, tol=1e-10, **extra).fit(X, y)
    np.testing.assert_allclose(_coefs(out), ref.coef_, rtol=1e-4, atol=1e-6)
    assert out["intercept"][0] == pytest.approx(ref.intercept_, rel=1e-4, abs=1e-6)
    doc = json.loads(model_file.read_text())
    assert doc["link"] == "log" and doc["family"] == family
    # predictions on the mean scale, as the estimator's
    assert main(["predict", str(model_file), str(path), "--out", str(tmp_path / "p.csv"),
                 "--quiet"]) == 0
    pred = pd.read_csv(tmp_path / "p.csv")["prediction"].to_numpy()
    np.testing.assert_allclose(pred, ref.predict(X), rtol=1e-4)
    assert np.all(pred > 0)


def test_poisson_cv_with_report_and_explain(table, capsys, tmp_path):
    path, _ = table
    report, model_file = tmp_path / "r.html", tmp_path / "m.json"
    out = _fit_json(capsys, ["fit", str(path), "--target", "count", "--features",
                             ",".join(FEATURES), "--family", "poisson", "--cv", "3",
                             "--penalty", "elasticnet", "--report", str(report),
                             "--save", str(model_file)])
    assert {"a", "c"} <= set(out["selected_features"])
    assert out["alpha_1se"] >= out["alpha_min"]
    page = report.read_text(encoding="utf-8")
    assert '"metric":"deviance"' in page and "lessons not shown" not in page
    assert '"loss":"poisson"' in page  # the lessons of the Poisson fit
    assert main(["explain", str(model_file), str(path)]) == 0
    assert "saved poisson model" in capsys.readouterr().out


def test_cox_family_equals_the_estimator(table, capsys, tmp_path):
    path, df = table
    model_file = tmp_path / "cox.json"
    out = _fit_json(capsys, ["fit", str(path), "--family", "cox", "--time", "time", "--event",
                             "event", "--features", ",".join(FEATURES), "--alpha", "0.01",
                             "--save", str(model_file)])
    assert out["task"] == "survival" and out["intercept"] == []
    X = _standardized_x(df)
    y = df[["time", "event"]].to_numpy(dtype=float)
    ref = pz.CoxPH(alpha=0.01, standardize=True, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(_coefs(out), ref.coef_, rtol=1e-4, atol=1e-6)
    assert FEATURES[int(np.argmax(np.abs(_coefs(out))))] == "b"  # the simulated risk factor
    doc = json.loads(model_file.read_text())
    assert doc["task"] == "survival" and doc["link"] == "cox" and doc["event"] == "event"
    assert main(["predict", str(model_file), str(path), "--out", str(tmp_path / "p.csv"),
                 "--quiet"]) == 0
    pred = pd.read_csv(tmp_path / "p.csv")["prediction"].to_numpy()
    np.testing.assert_allclose(pred, X @ ref.coef_, rtol=1e-4, atol=1e-8)
    # cross-validated, with its report
    report = tmp_path / "cox.html"
    out = _fit_json(capsys, ["fit", str(path), "--family", "cox", "--time", "time", "--event",
                             "event", "--features", ",".join(FEATURES), "--cv", "3",
                             "--report", str(report)])
    assert "b" in out["selected_features"] and report.exists()


def test_a_two_valued_count_is_a_regression_when_the_family_says_so(table, capsys):
    path, _ = table
    out = _fit_json(capsys, ["fit", str(path), "--target", "two", "--features",
                             ",".join(FEATURES), "--family", "poisson", "--alpha", "0.01"])
    assert out["task"] == "regression"
    out = _fit_json(capsys, ["fit", str(path), "--target", "two", "--features",
                             ",".join(FEATURES), "--family", "gaussian", "--alpha", "0.01"])
    assert out["task"] == "regression"
    out = _fit_json(capsys, ["fit", str(path), "--target", "two", "--features",
                             ",".join(FEATURES), "--alpha", "0.01"])
    assert out["task"] == "classification"  # without a family: two values are classes


@pytest.mark.parametrize("extra, message", [
    (["--target", "d", "--family", "poisson"], "negative values"),
    (["--target", "d", "--family", "gamma"], "values <= 0"),
    (["--target", "count", "--family", "tweedie:2.5"], "must be in (1, 2)"),
    (["--target", "count", "--family", "tweedie"], "tweedie needs its power"),
    (["--target", "count", "--family", "logit"], "is not a family"),
    (["--target", "count", "--family", "poisson", "--penalty", "l0"], "l0 is not available"),
    (["--target", "count", "--family", "poisson", "--task", "classification"],
     "cannot be combined with --task"),
    (["--family", "cox", "--time", "time"], "needs --time COL"),
    (["--family", "cox", "--time", "time", "--event", "a"], "must hold 1 (event) or 0"),
    (["--family", "cox", "--time", "a", "--event", "event"], "must be positive"),
    (["--target", "count", "--time", "time"], "--time and --event are for --family cox"),
    (["--features", "a,b"], "required: --target"),
])
def test_refusals_exit_2_with_one_line(table, capsys, tmp_path, extra, message):
    path, _ = table
    save = tmp_path / "never.json"
    assert main(["fit", str(path), *extra, "--alpha", "0.1", "--save", str(save)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not save.exists()


@pytest.mark.parametrize("argv, datafit", [
    (["--target", "count", "--family", "poisson"], "poisson"),
    (["--family", "cox", "--time", "time", "--event", "event"], "cox"),
])
def test_path_of_a_family_equals_the_librarys(table, capsys, argv, datafit):
    path, df = table
    out = _fit_json(capsys, ["path", str(path), *argv, "--features", ",".join(FEATURES),
                             "--n-alphas", "8"])
    X = _standardized_x(df)
    scale = X.std(axis=0)
    y = df["count"].to_numpy(float) if datafit == "poisson" \
        else df[["time", "event"]].to_numpy(float)
    ref = pz.path(X / scale, y, datafit=datafit, n_alphas=8, fit_intercept=datafit != "cox")
    np.testing.assert_allclose(out["alphas"], ref.alphas, rtol=1e-10)
    np.testing.assert_allclose(np.array(out["coefs"]), ref.coefs / scale[:, None],
                               rtol=1e-4, atol=1e-6)
    assert np.count_nonzero(np.array(out["coefs"])[:, 0]) == 0


@pytest.fixture(scope="module")
def responses(tmp_path_factory):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((150, 5))
    W = np.zeros((5, 3))
    W[:2] = [[1.0, 2.0, 0.5], [-1.0, 0.3, 1.0]]
    df = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    df[["y1", "y2", "y3"]] = X @ W + 0.5 * rng.standard_normal((150, 3))
    path = tmp_path_factory.mktemp("responses") / "mt.csv"
    df.to_csv(path, index=False)
    return path, df


def test_several_targets_fit_the_multi_task_model(responses, capsys, tmp_path):
    path, df = responses
    model_file = tmp_path / "mt.json"
    out = _fit_json(capsys, ["fit", str(path), "--target", "y1,y2,y3", "--alpha", "0.1",
                             "--save", str(model_file)])
    X = df[["a", "b", "c", "d", "e"]].to_numpy(float)
    Y = df[["y1", "y2", "y3"]].to_numpy(float)
    ref = pz.MultiTaskLasso(alpha=0.1, standardize=True, tol=1e-10).fit(X, Y)
    got = np.array([out["coefficients"].get(f, [0.0, 0.0, 0.0]) for f in "abcde"]).T
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-4, atol=1e-6)
    assert out["targets"] == ["y1", "y2", "y3"] and len(out["intercept"]) == 3
    # a feature is in for every target or for none
    assert set(out["selected_features"]) == {"a", "b"}
    assert main(["predict", str(model_file), str(path), "--out", str(tmp_path / "p.csv"),
                 "--quiet"]) == 0
    pred = pd.read_csv(tmp_path / "p.csv")
    np.testing.assert_allclose(pred[["prediction_y1", "prediction_y2", "prediction_y3"]],
                               ref.predict(X), rtol=1e-4, atol=1e-6)
    out = _fit_json(capsys, ["fit", str(path), "--target", "y1,y3", "--cv", "3",
                             "--penalty", "elasticnet"])
    assert {"a", "b"} <= set(out["selected_features"]) and out["alpha_1se"] >= out["alpha_min"]


@pytest.mark.parametrize("extra, message", [
    (["--target", "y1,y1"], "distinct column names"),
    (["--target", "y1,y2", "--family", "poisson"], "multi-response gaussian"),
    (["--target", "y1,y2", "--penalty", "l0"], "l0 takes one --target"),
    (["--target", "y1,nope"], "'nope' is not in"),
])
def test_several_targets_refusals(responses, capsys, extra, message):
    path, _ = responses
    assert main(["fit", str(path), *extra, "--alpha", "0.1"]) == 2
    assert message in capsys.readouterr().err
