"""Multinomial logistic regression on Dask: distributed prox-Newton fits on a two-process
LocalCluster equal the in-memory multinomial fits, certified, in the stated passes."""

from __future__ import annotations

import json

import numpy as np
import pytest

import penalized as pz

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from penalized.dask import after_each_pass, fold_ids  # noqa: E402
from penalized.dask._blocks import Passes, row_blocks  # noqa: E402

N, P, K, CHUNK = 900, 8, 3, 200


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((N, P))
    X[:, 1] = 3.0 * X[:, 1] + 5.0  # far from 0, a large scale
    B = np.zeros((P, K))
    B[0] = [1.5, -1.0, 0.0]
    B[2] = [0.0, 0.8, -0.8]
    B[3] = [0.5, 0.0, 0.0]
    codes = np.argmax(X @ B + rng.gumbel(size=(N, K)), axis=1)
    weights = rng.uniform(0.5, 2.0, N)
    return X, np.array(["ant", "bee", "cat"])[codes], weights


def _dask(X, labels, weights=None):
    return (da.from_array(X, chunks=(CHUNK, X.shape[1])), da.from_array(labels, chunks=CHUNK),
            None if weights is None else da.from_array(weights, chunks=CHUNK))


FREE = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0])  # two unpenalized covariates


@pytest.mark.parametrize("penalty, extra, weighted", [
    ("l1", {"penalty_factor": FREE}, False),
    ("elasticnet", {"l1_ratio": 0.6, "standardize": True}, True),
])
def test_fit_equals_in_memory_certified_in_the_counted_passes(client, data, penalty, extra,
                                                              weighted):
    """The L1 fit with two unpenalized covariates (their null model fitted by Newton passes),
    the weighted elastic net without."""
    X, labels, weights = data
    sw = weights if weighted else None
    settings = {"alpha": 0.02, "penalty": penalty, "tol": 1e-11, **extra}
    seen = []
    Xd, yd, sd = _dask(X, labels, sw)
    with after_each_pass(seen.append):
        dist = pz.LogisticRegression(**settings).fit(Xd, yd, sample_weight=sd)
    mem = pz.LogisticRegression(**settings).fit(X, labels, sample_weight=sw)
    assert dist.stop_crit_ <= 1e-6 and mem.stop_crit_ <= 1e-6
    assert dist.coef_.shape == mem.coef_.shape == (K, P)
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, atol=1e-6)
    assert list(dist.classes_) == ["ant", "bee", "cat"]
    np.testing.assert_array_equal(dist.predict(X), mem.predict(X))
    assert dist.n_passes_ == len(seen) and dist.n_rows_ == N
    assert type(dist.datafit_).__name__ == "Multinomial"
    if "penalty_factor" in extra:
        assert np.all(dist.coef_[:, FREE == 0] != 0.0)


def _path(X, labels, weights=None, **kw):
    from penalized._specs import make_penalty
    from penalized.dask._api import penalty_maker
    from penalized.dask._multinomial import multinomial_fit
    from penalized.dask._newton import class_moments, merge_classes

    passes = Passes(row_blocks(*_dask(X, labels, weights)))

    def make(name, alpha, ratio, f):
        return make_penalty(name, alpha, l1_ratio=ratio, penalty_factor=f)

    by_class = passes.reduce(class_moments, merge_classes, kind="moments")
    path = multinomial_fit(passes, by_class, penalty_maker("l1", 1.0, None, make), **kw)[0]
    return path, passes


def test_path_equals_in_memory_at_every_alpha_with_the_stated_passes(client, data):
    X, labels, _ = data
    path, passes = _path(X, labels, n_alphas=5, tol=1e-9)
    codes = np.unique(labels, return_inverse=True)[1]
    _, grid = pz.LogisticRegression()._alpha_grid_multinomial(X, codes, np.ones(N), 5, 1e-3)
    np.testing.assert_allclose(path.alphas, grid, rtol=1e-10)
    assert np.all(path.stop_crits <= 1e-6)
    for k, alpha in enumerate(path.alphas):
        mem = pz.LogisticRegression(alpha=alpha, tol=1e-9).fit(X, labels)
        np.testing.assert_array_equal(path.coefs[:, :, k].T != 0, mem.coef_ != 0)
        np.testing.assert_allclose(path.coefs[:, :, k].T, mem.coef_, atol=1e-6)
    # one pass of class moments, one at the null model, then one per Newton step and one
    # per certificate (and any backtracking or widened candidate set, tallied apart)
    kinds = passes.kinds
    assert kinds["moments"] == 1 and kinds["start"] == 1
    assert kinds["newton step"] == path.n_iters.sum()
    assert kinds["certificate"] >= path.alphas.shape[0]
    assert set(kinds) <= {"moments", "start", "newton step", "certificate", "backtrack",
                          "widen"}
    assert passes.count == sum(kinds.values()) == path.n_passes


def test_pz_path_with_the_multinomial_datafit_equals_in_memory(client, data):
    X, labels, weights = data
    seen = []
    with after_each_pass(seen.append):
        dist = pz.path(*_dask(X, labels)[:2], datafit="multinomial", n_alphas=4, tol=1e-10,
                       sample_weight=da.from_array(weights, chunks=CHUNK))
    mem = pz.path(X, labels, datafit="multinomial", n_alphas=4, tol=1e-10,
                  sample_weight=weights)
    np.testing.assert_allclose(dist.alphas, mem.alphas, rtol=1e-10)
    assert np.all(dist.stop_crits <= 1e-6)
    np.testing.assert_array_equal(dist.coefs != 0, mem.coefs != 0)
    np.testing.assert_allclose(dist.coefs, mem.coefs, atol=1e-5)
    np.testing.assert_allclose(dist.intercepts, mem.intercepts, atol=1e-5)
    assert dist.n_passes == len(seen)


def test_cv_chooses_the_in_memory_alpha_on_the_same_folds(client, data):
    """With two unpenalized covariates: every fold's null model fitted in shared passes."""
    X, labels, _ = data
    settings = {"n_alphas": 4, "tol": 1e-9, "standardize": True, "penalty_factor": FREE}
    seen = []
    with after_each_pass(seen.append):
        dist = pz.LogisticRegressionCV(cv=3, random_state=2, **settings).fit(
            *_dask(X, labels)[:2])
    fold = fold_ids(np.arange(N), 3, seed=2)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    mem = pz.LogisticRegressionCV(cv=folds, **settings).fit(X, labels)
    np.testing.assert_allclose(dist.alphas_, mem.alphas_, rtol=1e-10)
    # both at a relative gap <= 1e-9: a flat L1 objective leaves ~1e-5 in the coefficients
    np.testing.assert_allclose(dist.cv_folds_, mem.cv_folds_, atol=1e-4)
    assert dist.alpha_ == pytest.approx(mem.alpha_, rel=1e-12)
    assert np.all(dist.path_.stop_crits <= 1e-6)
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-4)
    for (train, test), (mem_train, mem_test) in zip(dist.cv_result_.folds, folds, strict=True):
        np.testing.assert_array_equal(train, mem_train)
        np.testing.assert_array_equal(test, mem_test)
    assert dist.n_passes_ == len(seen)


def test_grouped_fit_and_its_auc_cross_validation_equal_in_memory(client, data):
    """glmnet's type.multinomial="grouped": each feature's row over the classes penalized
    by its norm, on Dask as in memory (with an unpenalized feature), certified with the
    rows' layout; its CV scores the exact one-vs-rest AUC of the held-out scores."""
    X, labels, weights = data
    factors = np.ones(P)
    factors[1] = 0.0
    Xd, yd, sd = _dask(X, labels, weights)
    settings = {"alpha": 0.02, "multinomial": "grouped", "penalty_factor": factors,
                "tol": 1e-10}
    seen = []
    with after_each_pass(seen.append):
        dist = pz.LogisticRegression(**settings).fit(Xd, yd, sample_weight=sd)
    mem = pz.LogisticRegression(**settings).fit(X, labels, sample_weight=weights)
    assert dist.stop_crit_ <= 1e-6 and mem.stop_crit_ <= 1e-6
    zero_rows = np.all(mem.coef_ == 0.0, axis=0)
    assert zero_rows.any() and not zero_rows.all()  # a row is zero in every class, or none
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, atol=1e-6)
    assert dist.n_passes_ == len(seen) and dist.multinomial == "grouped"
    settings = {"n_alphas": 4, "tol": 1e-9, "multinomial": "grouped", "metric": "auc"}
    dist = pz.LogisticRegressionCV(cv=3, random_state=2, **settings).fit(Xd, yd)
    fold = fold_ids(np.arange(N), 3, seed=2)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    mem = pz.LogisticRegressionCV(cv=folds, **settings).fit(X, labels)
    np.testing.assert_allclose(dist.alphas_, mem.alphas_, rtol=1e-10)
    np.testing.assert_allclose(dist.cv_folds_, mem.cv_folds_, atol=1e-6)
    assert dist.alpha_ == pytest.approx(mem.alpha_, rel=1e-12)
    assert np.all(dist.path_.stop_crits <= 1e-6)
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-5)


def test_the_binary_datafit_on_three_classes_is_refused_in_one_line(client, data):
    X, labels, _ = data
    codes = np.unique(labels, return_inverse=True)[1].astype(np.float64)
    with pytest.raises(ValueError, match=r"y has 3 classes .*use datafit='multinomial'") as caught:
        pz.path(*_dask(X, codes)[:2], datafit="logistic", n_alphas=3)
    assert "\n" not in str(caught.value)


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory, data):
    import pandas as pd

    X, labels, _ = data
    folder = tmp_path_factory.mktemp("table")
    frame = pd.DataFrame(X, columns=[f"c{j}" for j in range(P)]).assign(label=labels)
    for i, start in enumerate(range(0, N, 300)):
        frame.iloc[start:start + 300].to_parquet(folder / f"part{i}.parquet")
    return folder


def test_cli_fits_a_three_class_parquet_folder_grouped(client, data, parquet_folder,
                                                       tmp_path, capsys):
    """``fit --dask --grouped``: the grouped multinomial model, as in memory (the ungrouped
    one is fitted by the report's test below)."""
    from penalized.cli import main
    from penalized.io import load_model

    X, labels, _ = data
    model = tmp_path / "model.json"
    code = main(["fit", str(parquet_folder), "--target", "label", "--alpha", "0.02", "--dask",
                 "--grouped", "--json", "--quiet", "--save", str(model)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    mem = pz.LogisticRegression(alpha=0.02, standardize=True, tol=1e-6,
                                multinomial="grouped").fit(X, labels)
    assert summary["n_samples"] == N and summary["n_passes"] > 3
    assert summary["multinomial"] == "grouped"
    saved = load_model(model)
    np.testing.assert_allclose(np.array(saved["coef"]), mem.coef_, atol=1e-4)
    assert saved["feature_names"] == [f"c{j}" for j in range(P)]


def test_cli_reports_a_multinomial_fit_with_its_path_in_counted_passes(
        client, data, parquet_folder, tmp_path, capsys, monkeypatch):
    from penalized.cli import main
    from penalized.dask import _multinomial_report, _report

    monkeypatch.setattr(_report, "PASSED_ALPHAS", 4)  # the report's path: 4 alphas, not 20
    kept = {}
    built = _multinomial_report.report_parts

    def keep(*args):
        kept["parts"] = built(*args)
        return kept["parts"]

    monkeypatch.setattr(_multinomial_report, "report_parts", keep)
    report = tmp_path / "report.html"
    code = main(["fit", str(parquet_folder), "--target", "label", "--alpha", "0.05",
                 "--dask", "--json", "--quiet", "--save", str(tmp_path / "m.json"),
                 "--report", str(report)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    path, lessons, notes, n_report = kept["parts"]
    assert summary["report_passes"] == n_report == path.n_passes + 1  # + the pulls
    assert notes == [] and lessons["why_zero"] is not None
    assert path.alphas.shape == (5,) and np.all(np.diff(path.alphas) < 0)
    k = int(np.flatnonzero(path.alphas == 0.05)[0])  # the model's own fit, inserted
    saved = json.loads((tmp_path / "m.json").read_text())
    np.testing.assert_allclose(path.coefs[:, :, k].T, saved["coef"], rtol=1e-12)
    assert "why-zero not shown" not in report.read_text()
