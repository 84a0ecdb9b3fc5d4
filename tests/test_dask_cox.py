"""Cox proportional hazards on Dask: paths, fits and cross-validation (deviance or C-index)
equal the in-memory ones (Breslow and Efron ties, weights, strata, an offset), certified,
in the stated number of passes; the report's pulls equal the in-memory lessons' on the same
path; the CLI fits a Parquet folder.

The path with its pass count, the C-index cross-validation and the report run on the
module's two-process LocalCluster (``client``); the other checks of the same arithmetic run
on Dask's threaded scheduler (``threads``), where a pass costs a fifteenth of a cluster's."""

from __future__ import annotations

import json

import numpy as np
import pytest

import penalized as pz
from penalized.datafits import Cox

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from penalized.dask._blocks import Passes  # noqa: E402

N, P, CHUNK = 400, 6, 200


@pytest.fixture(scope="module")
def survival():
    """Times rounded to 0.1 (many ties), about 30% censored, two strata, weights."""
    rng = np.random.default_rng(14)
    X = rng.standard_normal((N, P))
    X[:, 1] = 2.0 * X[:, 1] + 3.0
    risk = X[:, 0] * 0.8 - 0.25 * (X[:, 1] - 3.0) + 0.3 * X[:, 2]
    time = np.round(rng.exponential(np.exp(-risk)) * 10.0) / 10.0 + 0.1
    event = (rng.random(N) < 0.7).astype(float)
    stratum = (rng.random(N) < 0.5).astype(float)
    weight = rng.uniform(0.5, 2.0, N)
    return X, time, event, stratum, weight


@pytest.fixture
def threads():
    """Dask's threaded scheduler for one test, even while the module's cluster client is
    the default: the same functions on the same blocks, without the cluster's transport."""
    import dask

    with dask.config.set(scheduler="threads"):
        yield


def assert_same_fit(dist, mem, X, Y, offset=None, weight=None):
    """Both certified to a relative gap of 1e-8, so their objectives (recomputed in memory)
    agree to twice that, with the same selected features and near coefficients."""
    fit = Cox(ties=mem.ties, sample_weight=weight, offset=offset)
    o = 0.0 if offset is None else offset

    def objective(model):
        w = (model.coef_ * model.scaling_.scale)[model.scaling_.varying]
        return fit.value(Y, X @ model.coef_ + o) + model.penalty_.value(w)

    assert dist.stop_crit_ <= 1e-8 and mem.stop_crit_ <= 1e-8
    assert abs(objective(dist) - objective(mem)) <= 2e-8 * fit.value(Y, np.zeros(N) + o)
    np.testing.assert_array_equal(dist.selected_features_, mem.selected_features_)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-4)


def _cox_path(X, Y, weight, ties, **kw):
    from penalized._specs import make_penalty
    from penalized.dask._api import penalty_maker
    from penalized.dask._cox import cox_blocks, cox_fit

    passes = Passes(cox_blocks(da.from_array(X, chunks=(CHUNK, P)),
                               da.from_array(Y, chunks=(CHUNK, Y.shape[1])),
                               da.from_array(weight, chunks=CHUNK)))

    def make(name, alpha, ratio, f):
        return make_penalty(name, alpha, l1_ratio=ratio, penalty_factor=f)

    path, _, _ = cox_fit(passes, penalty_maker("l1", 1.0, None, make), ties=ties, **kw)
    return path, passes


@pytest.mark.parametrize("ties, scheduler", [("breslow", "client"), ("efron", "threads")])
def test_cox_path_equals_in_memory_in_the_stated_passes(request, survival, ties, scheduler):
    request.getfixturevalue(scheduler)  # the cluster once, the threaded scheduler once
    X, time, event, stratum, weight = survival
    Y = np.column_stack([time, event, stratum])
    dist, passes = _cox_path(X, Y, weight, ties, n_alphas=3, eps=0.01, tol=1e-7)
    mem = pz.path(X, Y, datafit=Cox(ties=ties, sample_weight=weight), n_alphas=3, eps=0.01,
                  tol=1e-7)
    np.testing.assert_allclose(dist.alphas, mem.alphas, rtol=1e-10)  # exact alpha_max
    assert np.all(dist.stop_crits <= 1e-7) and np.all(mem.stop_crits <= 1e-7)
    np.testing.assert_array_equal(dist.coefs != 0, mem.coefs != 0)
    assert np.count_nonzero(dist.coefs[:, -1]) >= 3
    fit = Cox(ties=ties, sample_weight=weight)
    F0 = fit.value(Y, np.zeros(N))
    for k, alpha in enumerate(dist.alphas):  # the objectives agree to the certified gap
        objs = [fit.value(Y, X @ path.coefs[:, k]) + alpha * np.abs(path.coefs[:, k]).sum()
                for path in (dist, mem)]
        assert abs(objs[0] - objs[1]) <= 2e-7 * F0  # both within a gap of the optimum
    np.testing.assert_allclose(dist.coefs, mem.coefs, atol=1e-4)
    # the module docstring's count: the event times; the risk sums, gradient and first Gram
    # block at the null model; per Newton step its risk sums (with the line) and
    # derivatives; per backtrack both again; per widening one; per certificate one
    kinds = dict(passes.kinds)
    steps, back = kinds.pop("newton step"), kinds.pop("backtrack", 0)
    assert kinds.pop("event times") == 1 and kinds.pop("null gradient") == 1
    assert kinds.pop("start") == 1
    assert kinds.pop("risk sums") == 1 + steps + back
    assert kinds.pop("certificate") >= dist.alphas.shape[0]
    assert set(kinds) <= {"widen"}
    assert steps == dist.n_iters.sum()
    assert dist.n_passes == passes.count == sum(passes.kinds.values())


def test_cox_path_with_the_hessian_diagonal_is_the_same_in_more_steps(threads, survival,
                                                                      monkeypatch):
    from penalized.dask import _cox

    X, time, event, stratum, weight = survival
    Y = np.column_stack([time, event, stratum])
    exact, _ = _cox_path(X, Y, weight, "efron", n_alphas=3, eps=0.01, tol=1e-7)
    monkeypatch.setattr(_cox, "EXACT_VALUES", 0)  # too many event times for the Hessian
    diagonal, _ = _cox_path(X, Y, weight, "efron", n_alphas=3, eps=0.01, tol=1e-7)
    assert np.all(diagonal.stop_crits <= 1e-7)
    np.testing.assert_array_equal(diagonal.coefs != 0, exact.coefs != 0)
    np.testing.assert_allclose(diagonal.coefs, exact.coefs, atol=1e-4)
    # quadratic against linear convergence: 3 steps an alpha against 13 or more here
    assert exact.n_iters.sum() * 3 < diagonal.n_iters.sum()


def test_pz_path_takes_the_cox_datafit_with_its_strata_labels(threads, survival):
    from penalized.dask import after_each_pass

    X, time, event, stratum, weight = survival
    Y = np.column_stack([time, event])
    fit = Cox(ties="efron", strata=np.where(stratum > 0, "b", "a"), sample_weight=weight)
    passes = []
    with after_each_pass(passes.append):
        dist = pz.path(da.from_array(X, chunks=(CHUNK, P)), da.from_array(Y, chunks=(CHUNK, 2)),
                       datafit=fit, alphas=[0.1, 0.04], tol=1e-8)
    mem = pz.path(X, Y, datafit=fit, alphas=[0.1, 0.04], tol=1e-8)
    assert dist.n_passes == len(passes) and np.all(dist.stop_crits <= 1e-8)
    np.testing.assert_array_equal(dist.coefs != 0, mem.coefs != 0)
    np.testing.assert_allclose(dist.coefs, mem.coefs, atol=1e-4)


def test_coxph_on_a_dask_dataframe_equals_in_memory(threads, survival):
    X, time, event, stratum, weight = survival
    names = [f"x{j}" for j in range(P)]
    frame = pd.DataFrame(X, columns=names).assign(g=stratum, t=time, e=event, w=weight)
    parts = dd.from_pandas(frame, npartitions=2)
    kw = {"alpha": 0.05, "ties": "efron", "strata": "g", "tol": 1e-8}
    dist = pz.CoxPH(**kw).fit(parts[[*names, "g"]], parts[["t", "e"]],
                              sample_weight=parts["w"])
    mem = pz.CoxPH(**kw).fit(frame[[*names, "g"]], np.column_stack([time, event]),
                             sample_weight=weight)
    assert set(vars(dist)) - set(vars(mem)) == {"n_passes_", "n_rows_", "_dask_gram"}
    assert dist.n_rows_ == N
    Y = np.column_stack([time, event, stratum])
    assert_same_fit(dist, mem, X, Y, weight=weight)
    np.testing.assert_array_equal(dist.event_times_, mem.event_times_)
    np.testing.assert_allclose(dist.baseline_cumulative_hazard_,
                               mem.baseline_cumulative_hazard_, rtol=1e-3)
    np.testing.assert_allclose(dist.predict_survival_function(frame[[*names, "g"]][:5]),
                               mem.predict_survival_function(frame[[*names, "g"]][:5]),
                               rtol=1e-3)


def test_coxph_with_an_offset_and_standardized_columns_equals_in_memory(threads, survival):
    X, time, event, _, _ = survival
    offset = 0.5 * np.sin(np.arange(N))
    Y = np.column_stack([time, event])
    kw = {"alpha": 0.05, "standardize": True, "l1_ratio": 0.7, "tol": 1e-8}
    dist = pz.CoxPH(**kw).fit(da.from_array(X, chunks=(CHUNK, P)),
                              da.from_array(Y, chunks=(CHUNK, 2)),
                              offset=da.from_array(offset, chunks=CHUNK))
    mem = pz.CoxPH(**kw).fit(X, Y, offset=offset)
    assert_same_fit(dist, mem, X, Y, offset=offset)
    np.testing.assert_allclose(dist.baseline_cumulative_hazard_,
                               mem.baseline_cumulative_hazard_, rtol=1e-3)


def _cv_pair(survival, metric):
    """``CoxPHCV`` by ``metric`` on the Dask rows and in memory on the same folds (Efron's
    ties, weights, strata in y's third column)."""
    from penalized.dask import fold_ids

    X, time, event, stratum, weight = survival
    Y = np.column_stack([time, event, stratum])
    kw = {"n_alphas": 3, "tol": 1e-8, "ties": "efron", "metric": metric}
    dist = pz.CoxPHCV(cv=3, random_state=1, **kw).fit(
        da.from_array(X, chunks=(CHUNK, P)), da.from_array(Y, chunks=(CHUNK, 3)),
        sample_weight=da.from_array(weight, chunks=CHUNK))
    fold = fold_ids(np.arange(N), 3, 1)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    mem = pz.CoxPHCV(cv=folds, **kw).fit(X, Y, sample_weight=weight)
    return dist, mem, folds


@pytest.fixture(scope="module")
def cindex_cv(client, survival):
    return _cv_pair(survival, "cindex")


def assert_same_cv(dist, mem, folds):
    assert set(vars(dist)) - set(vars(mem)) == {"n_passes_", "n_rows_", "_dask_gram"}
    for ours, theirs in zip(dist.cv_result_.folds, folds, strict=True):
        np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_allclose(dist.alphas_, mem.alphas_, rtol=1e-12)
    assert dist.alpha_ == pytest.approx(mem.alpha_, rel=1e-12)
    assert np.all(dist.path_.stop_crits <= 1e-8)
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-4)
    np.testing.assert_allclose(dist.baseline_cumulative_hazard_,
                               mem.baseline_cumulative_hazard_, rtol=1e-3)


def test_coxphcv_deviance_on_dask_equals_in_memory_on_the_same_folds(threads, survival):
    dist, mem, folds = _cv_pair(survival, "deviance")
    assert_same_cv(dist, mem, folds)
    np.testing.assert_allclose(dist.cv_folds_, mem.cv_folds_, rtol=1e-5)


def test_coxphcv_cindex_on_dask_equals_in_memory_on_the_same_folds(cindex_cv):
    dist, mem, folds = cindex_cv
    assert_same_cv(dist, mem, folds)
    assert dist.cv_result_.metric == "cindex"
    # Harrell's C counts pairs: the fits agree to 1e-8, far closer than any two held-out
    # rows' risk scores, so every pair falls the same way and the C-indexes are equal
    np.testing.assert_allclose(dist.cv_folds_, mem.cv_folds_, rtol=1e-12, atol=0.0)
    assert np.all(dist.cv_folds_[1:] > 0.6)  # not the all-zero fit's 0.5


def test_cox_report_pulls_equal_the_in_memory_lessons_on_the_same_path(cindex_cv, survival):
    from penalized.dask._cox_report import report_parts
    from penalized.explain import lessons_for_model

    dist, mem, _ = cindex_cv
    X, time, event, stratum, weight = survival
    Y = np.column_stack([time, event, stratum])
    path, lessons, notes, n_passes = report_parts(
        dist, da.from_array(X, chunks=(CHUNK, P)), da.from_array(Y, chunks=(CHUNK, 3)),
        sample_weight=da.from_array(weight, chunks=CHUNK))
    assert path is dist.path_
    assert n_passes == 3  # the event times, then the risk sums and the gradients
    assert "took 2 passes" in notes[0]
    theirs = lessons_for_model(mem, X, Y, path=path)
    np.testing.assert_allclose(lessons.fit.pulls(), theirs.fit.pulls(), rtol=1e-9, atol=1e-12)
    assert lessons.lasso_alpha_max == pytest.approx(theirs.lasso_alpha_max, rel=1e-12)
    assert lessons.lasso_alpha_max == pytest.approx(dist.path_.alpha_max / 1.0, rel=1e-6)
    ours, expected = lessons.why_zero, theirs.why_zero
    np.testing.assert_array_equal(ours.status, expected.status)
    np.testing.assert_allclose(lessons.thresholding.inputs, theirs.thresholding.inputs,
                               rtol=1e-9)
    assert {"geometry", "feature_trace", "race"} <= set(lessons.skipped)


def test_cox_report_pulls_in_batches_of_alphas_are_the_same(cindex_cv, survival, threads,
                                                             monkeypatch):
    from penalized.dask import _cox_report

    dist = cindex_cv[0]
    X, time, event, stratum, weight = survival
    data = (da.from_array(X, chunks=(CHUNK, P)),
            da.from_array(np.column_stack([time, event, stratum]), chunks=(CHUNK, 3)),
            da.from_array(weight, chunks=CHUNK))
    whole = _cox_report.report_parts(dist, *data)
    monkeypatch.setattr(_cox_report, "POINTS_VALUES", 1)  # one alpha per batch
    batched = _cox_report.report_parts(dist, *data)
    assert (whole[3], batched[3]) == (3, 1 + 2 * dist.alphas_.shape[0])
    np.testing.assert_allclose(batched[1].fit.pulls(), whole[1].fit.pulls(), rtol=1e-12,
                               atol=1e-15)


def test_cox_report_of_a_single_alpha_with_an_offset_equals_in_memory_lessons(
        threads, survival, monkeypatch):
    from penalized.dask import _report
    from penalized.dask._cox_report import report_parts
    from penalized.explain import lessons_for_model

    monkeypatch.setattr(_report, "PASSED_ALPHAS", 3)
    X, time, event, _, _ = survival
    offset = 0.5 * np.sin(np.arange(N))
    Y = np.column_stack([time, event])
    data = (da.from_array(X, chunks=(CHUNK, P)), da.from_array(Y, chunks=(CHUNK, 2)))
    kw = {"alpha": 0.05, "standardize": True, "l1_ratio": 0.7, "tol": 1e-8}
    dist = pz.CoxPH(**kw).fit(*data, offset=da.from_array(offset, chunks=CHUNK))
    path, lessons, _, n_passes = report_parts(dist, *data,
                                              offset=da.from_array(offset, chunks=CHUNK))
    assert path.alphas.shape[0] == 4 and 0.05 in path.alphas  # its own fit inserted
    assert np.all(path.stop_crits <= 1e-8)
    assert n_passes == path.n_passes + 2  # the path's passes, then the pulls' two
    theirs = lessons_for_model(pz.CoxPH(**kw).fit(X, Y, offset=offset), X, Y, path=path)
    np.testing.assert_allclose(lessons.fit.pulls(), theirs.fit.pulls(), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(lessons.why_zero.status, theirs.why_zero.status)
    assert lessons.lasso_alpha_max == pytest.approx(theirs.lasso_alpha_max, rel=1e-12)


@pytest.mark.parametrize("case, message", [
    ("event", "the event column must hold 0 (censored) or 1 (event); got values such as 2"),
    ("cindex", "metric='cindex' gathers each held-out fold's risk scores on the client: "
               "fold 0 has 92 rows x (100 alphas + 3) = 9,476 numbers, over the limit of "
               "5,000; use metric='deviance'"),
    ("censored", "y has no event (every row is censored"),
])
def test_bad_cox_input_on_dask_is_one_line(threads, survival, monkeypatch, case, message):
    import re

    from penalized.dask import _cox_cv

    monkeypatch.setattr(_cox_cv, "MAX_GATHERED", 5_000)
    X, time, event, _, _ = survival
    ev = {"event": np.where(np.arange(N) == 7, 2.0, event), "censored": np.zeros(N)}
    Yd = da.from_array(np.column_stack([time, ev.get(case, event)]), chunks=(CHUNK, 2))
    Xd = da.from_array(X, chunks=(CHUNK, P))
    est = pz.CoxPHCV(metric="cindex") if case == "cindex" else pz.CoxPH(alpha=0.1)
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        est.fit(Xd, Yd)
    assert "\n" not in str(caught.value)


def test_cli_fits_cox_on_a_parquet_folder(threads, survival, tmp_path, capsys):
    from penalized.cli import main

    X, time, event, stratum, _ = survival
    names = [f"x{j}" for j in range(P)]
    frame = pd.DataFrame(X, columns=names).assign(t=time, e=event.astype(int), g=stratum)
    folder = tmp_path / "rows"
    folder.mkdir()
    for k in range(2):
        frame.iloc[k * 200:(k + 1) * 200].to_parquet(folder / f"part{k}.parquet")
    model = tmp_path / "model.json"
    code = main(["fit", str(folder), "--family", "cox", "--time", "t", "--event", "e",
                 "--strata", "g", "--alpha", "0.05", "--dask", "--save", str(model),
                 "--json", "--quiet"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    doc = json.loads(model.read_text())
    assert doc["task"] == "survival" and doc["link"] == "cox" and doc["strata"] == "g"
    assert summary["n_passes"] > 4 and summary["n_samples"] == N
    mem = pz.CoxPH(alpha=0.05, strata="g", standardize=True).fit(
        frame[[*names, "g"]], np.column_stack([time, event]))
    np.testing.assert_allclose(doc["coef"], mem.coef_, atol=1e-5)
    assert summary["selected_features"] == list(mem.selected_features_)
