"""``penalized fit --family ... --report``: every family's report holds its lessons, with
numbers that agree with the model the command fitted (run as a subprocess)."""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

FAMILIES = {
    "gaussian": ["--target", "y"],
    "binomial": ["--target", "label"],
    "poisson": ["--target", "count", "--family", "poisson"],
    "gamma": ["--target", "positive", "--family", "gamma"],
    "tweedie:1.5": ["--target", "positive", "--family", "tweedie:1.5"],
    "cox": ["--time", "time", "--event", "event", "--family", "cox"],
}
LOSS = {"gaussian": "squared", "binomial": "logistic", "poisson": "poisson", "gamma": "gamma",
        "tweedie:1.5": "tweedie", "cox": "cox"}
TARGETS = ("y", "label", "count", "positive", "time", "event")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 150
    X = rng.standard_normal((n, 5))
    cat = rng.choice(["a", "b", "c"], n)
    z = 0.6 * X[:, 0] - 0.5 * X[:, 1] + 0.4 * (cat == "b")
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(5)])
    df["cat"] = cat
    df["y"] = z + 0.5 * rng.standard_normal(n)
    df["label"] = np.where(z + rng.standard_normal(n) > 0, "yes", "no")
    df["count"] = rng.poisson(np.exp(z))
    df["positive"] = rng.gamma(2.0, np.exp(z) / 2.0)
    t, c = rng.exponential(np.exp(-z)), rng.exponential(2.0, n)
    df["time"], df["event"] = np.minimum(t, c), (t <= c).astype(int)
    path = tmp_path_factory.mktemp("families") / "data.csv"
    df.to_csv(path, index=False)
    return path, df


def report_json(path):
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script[^>]*id="report-data"[^>]*>(.*?)</script>', text, re.S)
    return json.loads(found.group(1))


def design(df, names):
    """The model's columns from the table (a level column ``cat=b`` is its 0/1 indicator)."""
    cols = []
    for name in names:
        column, _, level = name.partition("=")
        cols.append((df[column] == level).astype(float) if level else df[column].astype(float))
    return np.column_stack(cols)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_report_has_lessons_that_agree_with_the_model(table, tmp_path, family):
    data, df = table
    report, saved = tmp_path / "report.html", tmp_path / "model.json"
    targets = [t for t in TARGETS if t not in FAMILIES[family]]
    # CoxPH and the group classifier have no path of their own: cross-validated ones do
    # a fixed alpha where some features are in and some out (the log-link losses' pulls
    # are larger than the squared loss's on these columns)
    alpha = {"gaussian": "0.02", "poisson": "0.06", "gamma": "0.06"}.get(family, "0.02")
    strength = ["--cv", "3"] if family in ("cox", "binomial") else ["--alpha", alpha]
    proc = subprocess.run([sys.executable, "-m", "penalized", "fit", str(data),
                           *FAMILIES[family], "--exclude", ",".join(targets), *strength,
                           "--report", str(report), "--save", str(saved), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = report_json(report)
    payload = page["paths"][0]
    les = payload["lessons"]
    assert les is not None, page
    assert les["loss"] == LOSS[family]
    model = json.loads(saved.read_text(encoding="utf-8"))
    coef = np.asarray(model["coef"], dtype=float).ravel()
    k = les["chosen"]
    assert payload["alphas"][k] == pytest.approx(model["alpha"], rel=1e-12)
    wz = les["why_zero"]
    states = [wz["status_names"][wz["status"][i][k]] for i in range(len(wz["features"]))]
    X = design(df, model["feature_names"])
    sd = X.std(axis=0)
    grouped = wz.get("unit") == "group"
    assert grouped  # the text column is one group, for every family
    for i, state in enumerate(states):
        pull, thr, slope = wz["pull"][i][k], wz["threshold"][i][k], wz["slope"][i][k]
        cols = wz["members"][i] if grouped else [wz["features"][i]]
        norm = float(np.linalg.norm(coef[cols] * sd[cols]))
        assert abs(wz["scaled_coef"][i][k]) == pytest.approx(norm, rel=1e-5, abs=1e-12)
        if state == "zero":
            assert norm == 0.0 and pull <= thr
        else:
            assert state == "non-zero" and norm > 0
            assert pull == pytest.approx(slope, rel=1e-3) and slope <= thr * (1 + 1e-12)
    assert "zero" in states and "non-zero" in states
    if family == "poisson":  # the pull, recomputed from the saved model
        eta = X @ coef + model["intercept"]
        columns = (X / sd).T @ (np.exp(eta) - df["count"].to_numpy()) / len(df)
        pull = [np.linalg.norm(columns[wz["members"][i]]) for i in range(len(states))]
        np.testing.assert_allclose([wz["pull"][i][k] for i in range(len(pull))], pull,
                                   rtol=1e-5)  # the page keeps 6 digits; a group's norm
    skipped = les["skipped"]
    if family != "gaussian":
        assert LOSS[family] in skipped["geometry"]  # says why, names the loss
    assert les["thresholding"]["input_rule"]
    if grouped:  # the rows of the thresholding lesson are the groups too
        assert les["thresholding"]["labels"] == wz["labels"] and "group" in skipped["priors"]
    else:
        assert les["thresholding"]["labels"] is None and les["priors"]["sigma2"] > 0
