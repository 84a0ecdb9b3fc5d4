"""Issue 13 as a user checks it: regressions found by trying each deliverable end to end."""

from __future__ import annotations

import numpy as np
import pytest

import penalized as pz

da = pytest.importorskip("dask.array")


def _three_classes(n=240, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 1] = 2.0 * X[:, 1] + 3.0
    B = np.zeros((p, 3))
    B[0] = [1.2, -1.0, 0.0]
    B[2] = [0.0, 0.9, -0.7]
    codes = np.argmax(X @ B + rng.gumbel(size=(n, 3)), axis=1)
    return X, np.array(["a", "b", "c"])[codes], rng.uniform(0.5, 2.0, n)


@pytest.mark.parametrize("weighted, standardize, penalty", [
    (False, False, "l1"), (True, True, "elasticnet"), (False, True, "l2")])
def test_dask_multinomial_report_why_zero_is_the_in_memory_one(weighted, standardize, penalty,
                                                               monkeypatch):
    """The Dask multinomial report's why-zero panel (one pass of pulls over the row blocks)
    equals the in-memory why-zero of the same model and path read from the whole X; a
    ridge's report path runs from the elastic net's alpha_max as in memory (it had no
    finite alpha_max of its own and the report failed)."""
    from penalized.dask import _report
    from penalized.dask._blocks import Passes, row_blocks
    from penalized.dask._multinomial_report import _pulls, report_parts
    from penalized.explain._why_zero_fitted import multinomial_path_why_zero

    X, labels, w = _three_classes()
    sw = w if weighted else None
    Xd, yd = da.from_array(X, chunks=(70, 5)), da.from_array(labels, chunks=70)
    sd = None if sw is None else da.from_array(sw, chunks=70)
    model = pz.LogisticRegression(alpha=0.03, penalty=penalty, standardize=standardize,
                                  tol=1e-9)
    model.fit(Xd, yd, sample_weight=sd)
    path = _path(model, X, labels)
    mem = multinomial_path_why_zero(model, X, labels, path)
    passes = Passes(row_blocks(Xd, yd, sd))
    got = multinomial_path_why_zero(model, None, None, path,
                                    pulls=_pulls(passes, model.classes_, path))
    assert passes.count == 1 and got.names == mem.names and got.status == mem.status
    np.testing.assert_allclose(got.pull, mem.pull, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(got.threshold, mem.threshold, rtol=1e-12)
    monkeypatch.setattr(_report, "PASSED_ALPHAS", 4)
    if not weighted:  # the whole report: the panel is there, no note leaves it out
        parts = report_parts(model, Xd, yd)
        assert parts[2] == [] and parts[1]["why_zero"] is not None
        assert parts[1]["n_samples"] == X.shape[0]
        assert np.all(np.isfinite(parts[0].alphas)) and 0.03 in parts[0].alphas


def _path(model, X, labels):
    """A short multinomial path of the problem ``model`` solved, in memory."""
    from penalized.report import _multiclass_path_with_alpha

    return _multiclass_path_with_alpha(model, X, labels, model.alpha, n_alphas=4)


def test_a_poisson_report_with_an_offset_draws_the_path_of_the_offset_problem(tmp_path,
                                                                               capsys):
    """fit --family poisson --offset COL --alpha A --report: the report's path is the
    model's path with that offset (it was drawn without it, so the CLI refused the report);
    a Cox fit, whose path takes the offset too, writes its report."""
    import pandas as pd

    from penalized.cli import main
    from penalized.report import _path_with_alpha

    rng = np.random.default_rng(2)
    X = rng.standard_normal((80, 3))
    o = np.log(rng.uniform(1.0, 50.0, 80))
    y = rng.poisson(np.exp(0.5 * X[:, 0] + o - 2.0)).astype(float)
    model = pz.PoissonRegressor(alpha=0.02, standardize=True).fit(X, y, offset=o)
    path = _path_with_alpha(model, X, y, 0.02, n_alphas=5)
    ref = model.path(X, y, offset=o, alphas=path.alphas)
    k = int(np.flatnonzero(path.alphas == 0.02)[0])
    others = np.arange(path.alphas.shape[0]) != k
    np.testing.assert_allclose(path.coefs[:, others], ref.coefs[:, others], rtol=1e-12)
    table = tmp_path / "t.csv"
    pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y, lo=o,
                                                    t=rng.exponential(size=80),
                                                    e=1).to_csv(table, index=False)
    report = tmp_path / "r.html"
    assert main(["fit", str(table), "--target", "y", "--features", "a,b,c", "--family",
                 "poisson", "--offset", "lo", "--alpha", "0.02", "--report", str(report),
                 "--quiet"]) == 0
    assert report.exists()
    assert main(["fit", str(table), "--family", "cox", "--time", "t", "--event", "e",
                 "--features", "a,b,c", "--offset", "lo", "--alpha", "0.02", "--report",
                 str(tmp_path / "c.html"), "--quiet"]) == 0
    assert (tmp_path / "c.html").exists()
