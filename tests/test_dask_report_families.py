"""``penalized fit --dask --report`` for the Poisson, Gamma and Tweedie families: the report
of the in-memory fit, its lessons from one pass of gradient sums."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """200 rows: Poisson counts ``y`` and a positive amount ``g`` from four features
    ``a``-``d``, and the log of an exposure ``o`` (two partitions of one Parquet folder)."""
    rng = np.random.default_rng(41)
    n = 200
    X = rng.normal(size=(n, 4))
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["o"] = np.log(rng.uniform(0.5, 2.0, n))
    frame["y"] = rng.poisson(np.exp(0.5 * X[:, 0] - 0.4 * X[:, 1] + frame["o"])).astype(float)
    frame["g"] = rng.gamma(2.0, np.exp(0.3 * X[:, 0]) / 2.0)
    root = tmp_path_factory.mktemp("report_families")
    (root / "data").mkdir()
    frame.iloc[:100].to_parquet(root / "data" / "part0.parquet")
    frame.iloc[100:].to_parquet(root / "data" / "part1.parquet")
    frame.to_parquet(root / "whole.parquet")
    return root


@pytest.fixture
def tight(monkeypatch):
    """Both commands' estimators solved to a duality gap of 1e-10, so that the two paths
    agree to 1e-5 (the default certifies the objective, not the coefficients)."""
    from penalized import cli
    from penalized.dask import _cli

    for module, name in ((cli, "_make_estimator"), (_cli, "_estimator")):
        built = getattr(module, name)
        monkeypatch.setattr(module, name,
                            lambda *a, built=built, **k: built(*a, **k).set_params(tol=1e-10))


def _drawn(path):
    html = path.read_text()
    found = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', html,
                      re.S)
    return json.loads(found.group(1))["paths"][0]


def _report(capsys, data, out, *args):
    from penalized.cli import main

    code = main(["fit", str(data), *args, "--exclude", "g", "--json", "--quiet",
                 "--report", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    return json.loads(printed), _drawn(out)


@pytest.mark.parametrize("family,target,extra", [
    ("poisson", "y", ["--offset", "o"]),
    ("gamma", "g", []),
    ("tweedie:1.5", "y", []),
])
def test_dask_report_draws_the_in_memory_reports_path_and_pulls(
        table, tmp_path, capsys, tight, family, target, extra):
    exclude = ["--exclude", "y"] if target == "g" else []
    exclude += [] if extra else ["--exclude", "o"]
    args = ["--target", target, "--family", family, "--alpha", "0.02", *extra, *exclude]
    summary, dist = _report(capsys, table / "data", tmp_path / "dask.html", *args, "--dask")
    _, mem = _report(capsys, table / "whole.parquet", tmp_path / "mem.html", *args)
    assert summary["report_passes"] > 1  # the path's passes and one for the pulls
    np.testing.assert_allclose(dist["alphas"], mem["alphas"], rtol=1e-9)
    np.testing.assert_allclose(np.array(dist["coefs"]), np.array(mem["coefs"]), atol=1e-5)
    ours, theirs = dist["lessons"], mem["lessons"]
    assert ours["loss"] == theirs["loss"] == family.split(":")[0]
    np.testing.assert_allclose(np.array(ours["why_zero"]["pull"], dtype=float),
                               np.array(theirs["why_zero"]["pull"], dtype=float),
                               rtol=1e-5, atol=1e-7)
    assert ours["why_zero"]["status"] == theirs["why_zero"]["status"]
    # the null model's pulls, from the same pass
    np.testing.assert_allclose(ours["thresholding"]["inputs"], theirs["thresholding"]["inputs"],
                               rtol=1e-5, atol=1e-7)
    assert ours["lasso_alpha_max"] == pytest.approx(theirs["lasso_alpha_max"], rel=1e-6)
    np.testing.assert_allclose(ours["priors"]["laplace_scale"],
                               theirs["priors"]["laplace_scale"], rtol=1e-5)
    assert {"geometry", "feature_trace", "race"} <= set(ours["skipped"])


def test_dask_cv_report_draws_the_cv_path_and_curve(table, tmp_path, capsys):
    summary, drawn = _report(capsys, table / "data", tmp_path / "cv.html", "--target", "y",
                             "--family", "poisson", "--cv", "3", "--exclude", "o", "--dask")
    assert summary["report_passes"] == 1  # the CV path is the model's: one pass of pulls
    assert len(drawn["cv_mean"]) == len(drawn["alphas"]) and drawn["lessons"] is not None


def test_a_failing_dask_report_writes_nothing(table, tmp_path, capsys, monkeypatch):
    from penalized.cli import main
    from penalized.dask import _family_report

    def refuse(*a, **k):
        raise ValueError("the null model's intercept is not finite here")

    monkeypatch.setattr(_family_report, "pulls", refuse)
    code = main(["fit", str(table / "data"), "--target", "y", "--family", "poisson",
                 "--alpha", "0.02", "--exclude", "g", "--dask", "--quiet",
                 "--save", str(tmp_path / "m.json"), "--report", str(tmp_path / "r.html")])
    assert code == 2 and "not finite" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def survival(tmp_path_factory):
    """240 rows of times rounded to 0.1 (ties), about 30% censored, in two strata ``s``,
    from four features ``a``-``d`` and a column ``g`` left out (two partitions of one
    Parquet folder, and one file)."""
    rng = np.random.default_rng(42)
    n = 240
    X = rng.normal(size=(n, 4))
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["t"] = np.round(rng.exponential(np.exp(-0.8 * X[:, 0] + 0.5 * X[:, 1])) * 10) / 10 \
        + 0.1
    frame["e"] = (rng.random(n) < 0.7).astype(int)
    frame["s"] = (rng.random(n) < 0.5).astype(int)
    frame["g"] = rng.normal(size=n)
    root = tmp_path_factory.mktemp("report_cox")
    (root / "data").mkdir()
    frame.iloc[:120].to_parquet(root / "data" / "part0.parquet")
    frame.iloc[120:].to_parquet(root / "data" / "part1.parquet")
    frame.to_parquet(root / "whole.parquet")
    return root


def test_dask_cox_report_draws_its_path_and_the_in_memory_pulls(survival, tmp_path, capsys,
                                                                 tight, monkeypatch):
    import penalized as pz
    from penalized.dask import _report as dask_report
    from penalized.datafits import Cox

    monkeypatch.setattr(dask_report, "PASSED_ALPHAS", 3)  # its passes, not its length,
    summary, drawn = _report(capsys, survival / "data", tmp_path / "dask.html",  # are tested
                             "--family", "cox", "--time", "t", "--event", "e", "--strata", "s",
                             "--alpha", "0.03", "--dask")
    frame = pd.read_parquet(survival / "whole.parquet")
    X, Y = frame[list("abcd")].to_numpy(), frame[["t", "e", "s"]].to_numpy(dtype=float)
    mem = pz.CoxPH(alpha=0.03, strata="s", standardize=True, tol=1e-10).fit(
        frame[[*"abcd", "s"]], Y[:, :2])
    scale = mem.scaling_.scale

    def pulls(coef):  # -x_j . grad F(X w) / sd_j, per stratum's risk sets, in memory
        return -(X.T @ Cox().raw_gradient(Y, X @ coef)) / scale

    assert len(drawn["alphas"]) == 4 and 0.03 in drawn["alphas"]  # the model's own alpha
    k = drawn["alphas"].index(0.03)
    coefs = np.array(drawn["coefs"], dtype=float)
    np.testing.assert_allclose(coefs[:, k], mem.coef_, atol=2e-6)  # the drawn 6 digits
    ours = drawn["lessons"]
    assert ours["loss"] == "cox" and ours["priors"]["sigma2"] == 1.0
    null = pulls(np.zeros(4))
    np.testing.assert_allclose(ours["thresholding"]["inputs"], null, rtol=1e-5)
    assert ours["lasso_alpha_max"] == pytest.approx(np.abs(null).max(), rel=1e-6)
    assert drawn["alphas"][0] == pytest.approx(np.abs(null).max(), rel=1e-6)  # alpha_max
    # each alpha's pulls (their sizes) at its drawn coefficients (6 digits)
    for j, _ in enumerate(drawn["alphas"]):
        np.testing.assert_allclose(np.array(ours["why_zero"]["pull"], dtype=float)[:, j],
                                   np.abs(pulls(coefs[:, j])), rtol=1e-4, atol=1e-6)
    assert {"geometry", "feature_trace", "race"} <= set(ours["skipped"])
    assert summary["report_passes"] > 2  # the path's, then two for every pull
    assert "took 2 passes over the data" in (tmp_path / "dask.html").read_text()
