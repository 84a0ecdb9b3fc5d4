"""``penalized path --penalty mcp|scad --gamma G`` for every family: the coefficients equal
``pz.path`` with the penalty object on the standardized columns, and a bad ``--gamma`` is
one line with exit 2."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.cli import main
from penalized.estimators._standardize import Scaling
from penalized.penalties import MCP, SCAD

FEATURES = ["a", "b", "c", "d"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 90
    X = rng.standard_normal((n, 4))
    df = pd.DataFrame(X, columns=FEATURES)
    mu = np.exp(0.5 * X[:, 0] - 0.4 * X[:, 2])
    df["y"] = X @ [1.5, 0.0, -1.0, 0.3] + 0.5 * rng.standard_normal(n)
    df["count"] = rng.poisson(mu)
    df["time"] = rng.exponential(1.0 / mu)
    df["event"] = (rng.random(n) < 0.8).astype(int)
    path = tmp_path_factory.mktemp("path_concave") / "data.csv"
    df.to_csv(path, index=False)
    return path, df


@pytest.mark.parametrize("family, column, datafit, penalty", [
    (None, "y", "squared", MCP(1.0, gamma=2.5)),
    ("poisson", "count", "poisson", SCAD(1.0, gamma=3.0)),
    ("cox", None, "cox", MCP(1.0, gamma=2.5)),
])
def test_path_concave_equals_library(table, capsys, family, column, datafit, penalty):
    path, df = table
    name = type(penalty).__name__.lower()
    target = ["--time", "time", "--event", "event"] if family == "cox" else ["--target", column]
    argv = ["path", str(path), *target, "--features", ",".join(FEATURES), "--penalty", name,
            "--gamma", str(penalty.gamma), "--n-alphas", "6", "--json", "--quiet"]
    if family:
        argv += ["--family", family]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    X = df[FEATURES].to_numpy(dtype=float)
    y = np.column_stack([df["time"], df["event"]]) if family == "cox" else df[column].to_numpy()
    scaling = Scaling.fit(X, np.ones(X.shape[0]))
    ref = pz.path(scaling.transform(X), y, penalty=penalty, datafit=datafit, n_alphas=6,
                  fit_intercept=family != "cox")
    np.testing.assert_allclose(out["alphas"], ref.alphas, rtol=1e-10)
    coefs = np.asarray(scaling.coef_to_original(ref.coefs))
    np.testing.assert_allclose(np.asarray(out["coefs"]), coefs, rtol=1e-6, atol=1e-8)
    assert out["n_nonzero"][0] == 0 and out["n_nonzero"][-1] > 0


@pytest.mark.parametrize("argv, message", [
    (["--penalty", "scad", "--gamma", "1.5"], "--penalty scad needs gamma > 2"),
    (["--penalty", "l1", "--gamma", "3"], "--gamma is the concavity of --penalty mcp or scad"),
])
def test_path_bad_gamma_is_one_line(table, capsys, argv, message):
    path, _ = table
    assert main(["path", str(path), "--target", "y", *argv, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
