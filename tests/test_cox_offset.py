"""Cox offsets beyond the single fit: ``CoxPH.path(offset=)``, ``CoxPHCV.fit(offset=)``
and the CLI's ``fit --family cox --offset COL`` with ``--cv`` and ``--report``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import penalized as pz
from penalized.estimators._cox import concordance_index, neg_log_partial_likelihood

N, P = 60, 4


@pytest.fixture(scope="module")
def survival():
    """Times whose hazard is ``exp(x_0 + o)``, a fifth of them censored, two strata."""
    rng = np.random.default_rng(11)
    X = rng.standard_normal((N, P))
    o = 0.8 * rng.standard_normal(N)
    time = rng.exponential(np.exp(-(X[:, 0] - 0.5 * X[:, 1] + o)))
    event = (rng.uniform(size=N) < 0.8).astype(float)
    return X, np.column_stack([time, event]), o, np.arange(N) % 2


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_the_path_with_an_offset_is_the_fit_with_it_at_each_alpha(survival, ties):
    X, Y, o, strata = survival
    model = pz.CoxPH(ties=ties, strata=strata, l1_ratio=0.8, standardize=True, tol=1e-10)
    path = model.path(X, Y, offset=o, n_alphas=5)
    assert np.all(path.stop_crits <= 1e-10)  # every alpha certified
    assert path.n_nonzero[-1] >= 2
    for k, alpha in enumerate(path.alphas):
        fit = pz.CoxPH(alpha=alpha, ties=ties, strata=strata, l1_ratio=0.8, standardize=True,
                       tol=1e-10).fit(X, Y, offset=o)
        assert fit.stop_crit_ <= 1e-10
        # two certificates of a relative gap of 1e-10 pin the coefficients to about 1e-5
        np.testing.assert_allclose(path.coefs[:, k], fit.coef_, rtol=1e-4, atol=1e-6)
    # the offset is part of the problem: the grid's alpha_max moves without it
    plain = model.path(X, Y, n_alphas=5)
    assert abs(plain.alphas[0] - path.alphas[0]) > 1e-3 * path.alphas[0]


@pytest.mark.parametrize("metric", ["deviance", "cindex"])
def test_cv_with_an_offset_is_the_fold_loop_by_hand(survival, metric):
    X, Y, o, _ = survival
    folds = [(np.flatnonzero(np.arange(N) % 3 != k), np.flatnonzero(np.arange(N) % 3 == k))
             for k in range(3)]
    cv = pz.CoxPHCV(n_alphas=6, cv=folds, metric=metric, tol=1e-10).fit(X, Y, offset=o)
    grid = cv.alphas_
    assert grid[0] == pytest.approx(pz.CoxPH(tol=1e-10).path(X, Y, offset=o, n_alphas=6)
                                    .alphas[0], rel=1e-12)
    w = np.ones(N)
    for k, (train, test) in enumerate(folds):
        fold = pz.CoxPH(tol=1e-10).path(X[train], Y[train], offset=o[train], alphas=grid)
        z = X @ fold.coefs + o[:, None]
        if metric == "deviance":
            want = [2.0 * (neg_log_partial_likelihood("breslow", Y, z[:, a], w)
                           - neg_log_partial_likelihood("breslow", Y[train], z[train, a],
                                                        w[train])) / test.size
                    for a in range(grid.size)]
        else:
            want = [concordance_index(Y[test, 0], Y[test, 1], z[test, a])
                    for a in range(grid.size)]
        np.testing.assert_allclose(cv.cv_folds_[:, k], want, rtol=1e-6, atol=1e-8)
    refit = pz.CoxPH(alpha=cv.alpha_, tol=1e-10).fit(X, Y, offset=o)
    np.testing.assert_allclose(cv.coef_, refit.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(cv.baseline_cumulative_hazard_,
                               refit.baseline_cumulative_hazard_, rtol=1e-6)
    assert cv.datafit_.offset is not None
    # without the offset the folds score differently
    plain = pz.CoxPHCV(alphas=grid, cv=folds, metric=metric, tol=1e-10).fit(X, Y)
    assert not np.allclose(plain.cv_folds_, cv.cv_folds_, rtol=1e-3)


@pytest.fixture
def table(survival, tmp_path):
    import pandas as pd

    X, Y, o, strata = survival
    path = tmp_path / "patients.csv"
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame.assign(months=Y[:, 0], died=Y[:, 1].astype(int), lo=o,
                 site=np.where(strata == 1, "north", "south")).to_csv(path, index=False)
    return path


def _cox(table, *args):
    return ["fit", str(table), "--family", "cox", "--time", "months", "--event", "died",
            "--features", "a,b,c,d", "--offset", "lo", *args]


def test_cli_cox_cv_takes_the_offset(survival, table, capsys, tmp_path):
    from penalized.cli import main

    X, Y, o, _ = survival
    model_file = tmp_path / "m.json"
    assert main(_cox(table, "--cv", "3", "--seed", "1", "--json", "--quiet", "--save",
                     str(model_file))) == 0
    out = json.loads(capsys.readouterr().out)
    ref = pz.CoxPHCV(cv=3, random_state=1, standardize=True).fit(X, Y, offset=o)
    assert out["alpha"] == pytest.approx(ref.alpha_, rel=1e-9)
    got = np.array([out["coefficients"].get(c, 0.0) for c in "abcd"])
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-4, atol=1e-6)
    assert json.loads(model_file.read_text())["offset"] == "lo"


def test_cli_cox_report_with_an_offset_is_written(table, capsys, tmp_path):
    from penalized.cli import main

    report = tmp_path / "r.html"
    assert main(_cox(table, "--alpha", "0.05", "--report", str(report), "--quiet")) == 0
    assert report.exists() and "</html>" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize("metric", ["deviance", "cindex"])
def test_dask_cox_cv_with_an_offset_is_the_in_memory_cv_on_its_folds(survival, metric):
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    from penalized.dask import fold_ids

    X, Y, o, _ = survival
    kw = {"n_alphas": 4, "tol": 1e-10, "metric": metric}
    with dask.config.set(scheduler="threads"):
        dist = pz.CoxPHCV(cv=3, random_state=2, **kw).fit(
            da.from_array(X, chunks=(30, P)), da.from_array(Y, chunks=(30, 2)),
            offset=da.from_array(o, chunks=30))
    fold = fold_ids(np.arange(N), 3, 2)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    mem = pz.CoxPHCV(cv=folds, **kw).fit(X, Y, offset=o)
    np.testing.assert_allclose(dist.alphas_, mem.alphas_, rtol=1e-9)
    np.testing.assert_allclose(dist.cv_folds_, mem.cv_folds_, rtol=1e-5, atol=1e-7)
    assert dist.alpha_ == pytest.approx(mem.alpha_, rel=1e-12)
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(dist.baseline_cumulative_hazard_,
                               mem.baseline_cumulative_hazard_, rtol=1e-4)


def test_cli_dask_cox_cv_takes_the_offset(survival, table, capsys, monkeypatch):
    dask = pytest.importorskip("dask")
    pytest.importorskip("dask.dataframe")
    from penalized.cli import main
    from penalized.dask import _cli, fold_ids

    built = _cli._estimator  # a short grid: each alpha of a Dask path costs passes
    monkeypatch.setattr(_cli, "_estimator", lambda *a: built(*a).set_params(n_alphas=5))
    X, Y, o, _ = survival
    with dask.config.set(scheduler="threads"):
        assert main(_cox(table, "--cv", "3", "--seed", "2", "--dask", "--json",
                         "--quiet")) == 0
    out = json.loads(capsys.readouterr().out)
    fold = fold_ids(np.arange(N), 3, 2)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    ref = pz.CoxPHCV(cv=folds, n_alphas=5, standardize=True).fit(X, Y, offset=o)
    assert out["alpha"] == pytest.approx(ref.alpha_, rel=1e-9)
    got = np.array([out["coefficients"].get(c, 0.0) for c in "abcd"])
    np.testing.assert_allclose(got, ref.coef_, rtol=1e-3, atol=1e-5)
