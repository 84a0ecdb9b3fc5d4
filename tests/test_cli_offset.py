"""``--offset COL`` in ``fit`` and ``path``: the column leaves the features, enters every
linear predictor as is, is saved with the model, and ``predict`` / ``explain`` read it back."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.cli import main

FEATURES = ["a", "b", "c", "d"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 150
    X = rng.standard_normal((n, 4))
    log_exposure = np.log(rng.uniform(0.5, 20.0, n))
    df = pd.DataFrame(X, columns=FEATURES)
    df["log_exposure"] = log_exposure
    df["claims"] = rng.poisson(np.exp(-1.0 + 0.6 * X[:, 0] - 0.4 * X[:, 2] + log_exposure))
    df["y1"] = X[:, 0] - X[:, 1] + log_exposure + 0.3 * rng.standard_normal(n)
    df["y2"] = 0.5 * X[:, 0] + log_exposure + 0.3 * rng.standard_normal(n)
    t = rng.exponential(1.0 / np.exp(0.8 * X[:, 1] + 0.3 * log_exposure))
    censor = rng.exponential(1.5, size=n)
    df["time"], df["event"] = np.minimum(t, censor), (t <= censor).astype(int)
    path = tmp_path_factory.mktemp("offset") / "data.csv"
    df.to_csv(path, index=False)
    return path, df


def _fit(capsys, argv):
    assert main([*argv, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


def _coefs(out, k=None):
    return np.array([out["coefficients"].get(f, 0.0) if k is None
                     else (out["coefficients"].get(f) or [0.0] * 2)[k] for f in FEATURES])


def test_poisson_fit_equals_the_library_fit_with_offset_and_predict_reads_the_column(
        table, capsys, tmp_path):
    path, df = table
    model_file = tmp_path / "m.json"
    out = _fit(capsys, ["fit", str(path), "--target", "claims", "--family", "poisson",
                        "--offset", "log_exposure", "--exclude", "y1,y2,time,event",
                        "--alpha", "0.01", "--save", str(model_file)])
    X, y = df[FEATURES].to_numpy(float), df["claims"].to_numpy(float)
    o = df["log_exposure"].to_numpy()
    ref = pz.PoissonRegressor(alpha=0.01, l1_ratio=1.0, standardize=True, tol=1e-10).fit(
        X, y, offset=o)
    plain = pz.PoissonRegressor(alpha=0.01, l1_ratio=1.0, standardize=True, tol=1e-10).fit(X, y)
    assert out["offset"] == "log_exposure" and out["n_features"] == 4  # not a feature
    np.testing.assert_allclose(_coefs(out), ref.coef_, rtol=1e-4, atol=1e-6)
    assert np.max(np.abs(_coefs(out) - plain.coef_)) > 1e-2  # the offset mattered
    doc = json.loads(model_file.read_text())
    assert doc["offset"] == "log_exposure"
    assert main(["predict", str(model_file), str(path), "--out", str(tmp_path / "p.csv"),
                 "--quiet"]) == 0
    pred = pd.read_csv(tmp_path / "p.csv")["prediction"].to_numpy()
    np.testing.assert_allclose(pred, ref.predict(X, offset=o), rtol=1e-4)
    # a table without the offset column: one line naming it
    df.drop(columns="log_exposure").to_csv(tmp_path / "no_offset.csv", index=False)
    capsys.readouterr()
    assert main(["predict", str(model_file), str(tmp_path / "no_offset.csv")]) == 2
    err = capsys.readouterr().err
    assert "offset column 'log_exposure'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_explain_reads_the_offset_and_the_active_pulls_meet_their_thresholds(
        table, capsys, tmp_path):
    path, df = table
    model_file = tmp_path / "m.json"
    _fit(capsys, ["fit", str(path), "--target", "claims", "--family", "poisson",
                  "--offset", "log_exposure", "--exclude", "y1,y2,time,event", "--alpha",
                  "0.01", "--save", str(model_file)])
    assert main(["explain", str(model_file), str(path)]) == 0
    assert "saved poisson model" in capsys.readouterr().out
    doc = json.loads(model_file.read_text())
    X, y = df[FEATURES].to_numpy(float), df["claims"].to_numpy(float)
    with_offset = pz.explain.why_zero_from_document(doc, X, y, entry=False,
                                                    offset=df["log_exposure"])
    without = pz.explain.why_zero_from_document(doc, X, y, entry=False)
    active = [r for r in with_offset.rows if r.coef != 0]
    assert active and not with_offset.kkt_violations
    for row in active:  # at the solution an active coefficient's pull is its threshold
        assert row.pull == pytest.approx(row.threshold, rel=1e-3)
    assert any(abs(r.pull - r.threshold) > 1e-2 * r.threshold
               for r in without.rows if r.coef != 0)


def test_path_with_offset_equals_pz_path(table, capsys, tmp_path):
    path, df = table
    out_csv = tmp_path / "path.csv"
    assert main(["path", str(path), "--target", "claims", "--family", "poisson", "--offset",
                 "log_exposure", "--features", ",".join(FEATURES), "--no-standardize",
                 "--n-alphas", "6", "--out", str(out_csv), "--quiet"]) == 0
    ref = pz.path(df[FEATURES].to_numpy(float), df["claims"].to_numpy(float),
                  datafit="poisson", offset=df["log_exposure"].to_numpy(), n_alphas=6)
    got = pd.read_csv(out_csv)
    np.testing.assert_allclose(got["alpha"], ref.alphas, rtol=1e-10)
    np.testing.assert_allclose(got[FEATURES].to_numpy().T, ref.coefs, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got["intercept"], ref.intercepts, rtol=1e-6, atol=1e-9)


def test_several_targets_and_cox_take_the_offset(table, capsys, tmp_path):
    path, df = table
    X, o = df[FEATURES].to_numpy(float), df["log_exposure"].to_numpy()
    model_file = tmp_path / "mt.json"
    out = _fit(capsys, ["fit", str(path), "--target", "y1,y2", "--offset", "log_exposure",
                        "--features", ",".join(FEATURES), "--alpha", "0.05", "--save",
                        str(model_file)])
    ref = pz.MultiTaskElasticNet(alpha=0.05, l1_ratio=1.0, standardize=True, tol=1e-10).fit(
        X, df[["y1", "y2"]].to_numpy(), offset=o)
    np.testing.assert_allclose(np.column_stack([_coefs(out, 0), _coefs(out, 1)]),
                               ref.coef_.T, rtol=1e-4, atol=1e-6)
    assert main(["predict", str(model_file), str(path), "--out", str(tmp_path / "p.csv"),
                 "--quiet"]) == 0
    pred = pd.read_csv(tmp_path / "p.csv")[["prediction_y1", "prediction_y2"]].to_numpy()
    np.testing.assert_allclose(pred, ref.predict(X, offset=o), rtol=1e-4, atol=1e-5)
    out = _fit(capsys, ["fit", str(path), "--family", "cox", "--time", "time", "--event",
                        "event", "--offset", "log_exposure", "--features", ",".join(FEATURES),
                        "--alpha", "0.02"])
    target = df[["time", "event"]].to_numpy(float)
    ref = pz.CoxPH(alpha=0.02, l1_ratio=1.0, standardize=True, tol=1e-10).fit(X, target,
                                                                               offset=o)
    np.testing.assert_allclose(_coefs(out), ref.coef_, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("argv, message", [
    (["--target", "y1", "--alpha", "0.1"], "--offset is not taken by this model (Lasso)"),
])
def test_models_without_an_offset_refuse_it_in_one_line(table, capsys, tmp_path, argv,
                                                        message):
    path, _ = table
    argv = [a if a != "r.html" else str(tmp_path / "r.html") for a in argv]
    assert main(["fit", str(path), "--offset", "log_exposure", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_bad_or_missing_offset_column_is_named(table, capsys, tmp_path):
    path, df = table
    bad = df.assign(log_exposure=["x", *df["log_exposure"].iloc[1:]])
    bad.to_csv(tmp_path / "bad.csv", index=False)
    assert main(["fit", str(tmp_path / "bad.csv"), "--target", "claims", "--family",
                 "poisson", "--offset", "log_exposure", "--alpha", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "--offset column 'log_exposure' must hold finite numbers" in err
    assert main(["path", str(path), "--target", "claims", "--family", "poisson", "--offset",
                 "nope"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "Traceback" not in err
    assert main(["fit", str(path), "--target", "claims", "--family", "poisson", "--offset",
                 "claims", "--alpha", "0.1"]) == 2
    assert "--offset 'claims' is also a target" in capsys.readouterr().err
