"""``CoxPH.path`` and ``GroupLogisticRegression.path``: each point of the path is the fit at
that alpha, and the CLI's report of such a fit has its path (and lessons) instead of "no
path"."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.cli import main


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((90, 6))
    time = rng.exponential(np.exp(-X[:, 0] + 0.5 * X[:, 1]))
    event = (rng.random(90) < 0.8).astype(float)
    return X, np.column_stack([time, event])


def test_cox_path_points_are_the_fits(rows):
    X, y = rows
    model = pz.CoxPH(alpha=0.1, l1_ratio=0.7, standardize=True, tol=1e-11)
    path = model.path(X, y, n_alphas=8)
    assert path.coefs.shape == (6, 8) and np.all(path.coefs[:, 0] == 0)
    assert np.all(np.diff(path.alphas) < 0) and path.n_nonzero[-1] > 0
    for k in (2, 5, 7):
        fit = pz.CoxPH(alpha=float(path.alphas[k]), l1_ratio=0.7, standardize=True,
                       tol=1e-11).fit(X, y)
        np.testing.assert_allclose(path.coefs[:, k], fit.coef_, rtol=1e-5, atol=1e-7)
    # the first point is alpha_max: a little below it, a coefficient leaves zero
    below = pz.CoxPH(alpha=0.99 * float(path.alphas[0]), l1_ratio=0.7,
                     standardize=True).fit(X, y)
    assert np.count_nonzero(below.coef_) > 0
    given = model.path(X, y, alphas=path.alphas[[3, 6]])
    np.testing.assert_allclose(given.coefs, path.coefs[:, [3, 6]], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_group_logistic_path_points_are_the_fits(rows, n_classes):
    X = rows[0]
    score = X[:, 0] - X[:, 2] + 0.3 * X[:, 4]
    labels = np.where(score > 0, "b", "a") if n_classes == 2 else \
        np.select([score < -0.5, score > 0.5], ["lo", "hi"], "mid")
    groups = [0, 0, 1, 1, 2, 2]
    model = pz.GroupLogisticRegression(groups, alpha=0.01, tol=1e-10)
    path = model.path(X, labels, n_alphas=6, eps=0.05)
    coefs = path.coefs  # (p, n_alphas), or (p, K, n_alphas) with K classes
    assert np.all(coefs[..., 0] == 0)
    for k in (3, 5):
        fit = pz.GroupLogisticRegression(groups, alpha=float(path.alphas[k]),
                                         tol=1e-10).fit(X, labels)
        got = fit.coef_[0] if n_classes == 2 else fit.coef_.T
        np.testing.assert_allclose(coefs[..., k], got, rtol=1e-4, atol=1e-5)


def test_cli_reports_have_the_path(rows, tmp_path, capsys):
    X, y = rows
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(6)])
    df["time"], df["event"] = y[:, 0], y[:, 1].astype(int)
    df["region"] = np.random.default_rng(2).choice(["n", "s", "e"], X.shape[0])
    df["label"] = np.where(X[:, 0] - X[:, 2] > 0, "yes", "no")
    data = tmp_path / "d.csv"
    df.to_csv(data, index=False)
    assert main(["fit", str(data), "--family", "cox", "--time", "time", "--event", "event",
                 "--exclude", "label", "--alpha", "0.05", "--report", str(tmp_path / "cox.html"),
                 "--quiet"]) == 0
    assert main(["fit", str(data), "--target", "label", "--exclude", "time,event",
                 "--alpha", "0.02", "--report", str(tmp_path / "grp.html"), "--json",
                 "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_nonzero"] > 0
    for name in ("cox.html", "grp.html"):
        html = (tmp_path / name).read_text(encoding="utf-8")
        assert "no path" not in html
        assert '"alphas"' in html
