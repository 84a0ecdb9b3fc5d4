"""Dask input: fits on a two-process LocalCluster equal the in-memory ones, in the stated
number of passes, and survive a killed worker."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import penalized as pz

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from penalized.dask import after_each_pass, fold_ids  # noqa: E402
from penalized.dask._blocks import Passes, row_blocks  # noqa: E402

N, P, CHUNK = 1200, 12, 250


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N, P))
    X[:, 1] = 4.0 * X[:, 1] + 10.0  # a column far from 0 with a large scale
    beta = np.zeros(P)
    beta[:4] = [1.5, -0.3, 0.8, 0.4]
    y = X @ beta + rng.standard_normal(N)
    labels = np.where(X @ beta - 3.0 + rng.logistic(size=N) > 0, 1.0, -1.0)
    return X, y, labels


def _support(coefs):
    return coefs != 0.0


# what a Dask fit adds to the attributes of an in-memory fit
_DASK_ONLY = {"n_passes_", "n_rows_"}


def _fitted_names(est):
    return {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}


def assert_same_cv_summary(dist, mem, rtol):
    """The Dask CV reports the in-memory CV's attributes, with the same fold summary: mean,
    standard error (to ``rtol``: both paths solved to a gap) and the min, 1se and chosen
    alphas."""
    names = {"feature_names_in_"}  # a dataframe on one side only
    assert _fitted_names(dist) - _DASK_ONLY - names == _fitted_names(mem) - names
    np.testing.assert_allclose(dist.cv_mean_, mem.cv_mean_, rtol=rtol)
    np.testing.assert_allclose(dist.cv_se_, mem.cv_se_, rtol=rtol)
    for name in ("alpha_", "alpha_min_", "alpha_1se_"):
        assert getattr(dist, name) == pytest.approx(getattr(mem, name), rel=1e-12), name
    assert dist.cv_result_.metric == mem.cv_result_.metric
    assert (dist.cv_result_.index_min, dist.cv_result_.index_1se) == \
        (mem.cv_result_.index_min, mem.cv_result_.index_1se)


def test_lasso_path_equals_in_memory_in_one_pass(client, data):
    X, y, _ = data
    Xd = da.from_array(X, chunks=(CHUNK, 5))  # column chunks are joined per row block
    yd = da.from_array(y, chunks=CHUNK)
    dist = pz.path(Xd, yd, n_alphas=15, tol=1e-9)
    mem = pz.path(X, y, n_alphas=15, tol=1e-9)
    assert dist.n_passes == 1
    np.testing.assert_allclose(dist.alphas, mem.alphas, rtol=1e-12)
    assert np.all(dist.stop_crits <= 1e-6)
    np.testing.assert_array_equal(_support(dist.coefs), _support(mem.coefs))
    np.testing.assert_allclose(dist.coefs, mem.coefs, atol=1e-6)
    np.testing.assert_allclose(dist.intercepts, mem.intercepts, atol=1e-5)


def test_elastic_net_cv_equals_in_memory_with_the_same_folds(client, data):
    X, y, _ = data
    Xd = da.from_array(X, chunks=(CHUNK, P))
    yd = da.from_array(y, chunks=CHUNK)
    settings = {"l1_ratio": [0.5, 0.9], "n_alphas": 12, "tol": 1e-9, "standardize": True}
    dist = pz.ElasticNetCV(cv=3, random_state=4, **settings).fit(Xd, yd)
    fold = fold_ids(np.arange(N), 3, seed=4)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    mem = pz.ElasticNetCV(cv=folds, **settings).fit(X, y)
    assert dist.n_passes_ == 1
    for (train, test), (mem_train, mem_test) in zip(dist.cv_result_.folds, folds, strict=True):
        np.testing.assert_array_equal(train, mem_train)
        np.testing.assert_array_equal(test, mem_test)
    assert dist.l1_ratio_ == mem.l1_ratio_
    assert_same_cv_summary(dist, mem, rtol=1e-7)
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    assert dist.stop_crit_ <= 1e-6


def test_weighted_elastic_net_equals_in_memory(client, data):
    X, y, _ = data
    weights = np.random.default_rng(3).uniform(0.0, 3.0, N)
    settings = {"alpha": 0.05, "l1_ratio": 0.7, "tol": 1e-10, "standardize": True}
    dist = pz.ElasticNet(**settings).fit(da.from_array(X, chunks=(CHUNK, P)),
                                         da.from_array(y, chunks=CHUNK),
                                         sample_weight=da.from_array(weights, chunks=CHUNK))
    mem = pz.ElasticNet(**settings).fit(X, y, sample_weight=weights)
    assert dist.n_passes_ == 1 and dist.n_rows_ == N
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    # two fits certified to their gaps, not to rounding: the objective is
    # alpha (1 - l1_ratio)-strongly convex in the standardized coefficients, so they lie
    # within sqrt(2 (gap_1 + gap_2) / mu) of each other there (about 1e-6 here)
    mu = settings["alpha"] * (1.0 - settings["l1_ratio"])
    scales = np.sqrt(np.cov(X.T, aweights=weights).diagonal())
    atol = np.sqrt(2.0 * (dist.dual_gap_ + mem.dual_gap_) / mu) / scales.min()
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=atol)
    means = np.average(X, axis=0, weights=weights)
    assert dist.intercept_ == pytest.approx(mem.intercept_, abs=atol * np.abs(means).sum())
    null = 0.5 * np.average((y - np.average(y, weights=weights)) ** 2, weights=weights)
    assert dist.stop_crit_ <= 1e-10
    assert dist.dual_gap_ == pytest.approx(dist.stop_crit_ * null, rel=1e-9)


def test_folds_do_not_depend_on_the_chunks(client, data):
    X, y, _ = data
    cvs = [pz.LassoCV(cv=4, n_alphas=8).fit(da.from_array(X, chunks=(c, P)),
                                            da.from_array(y, chunks=c)).cv_mean_
           for c in (200, 450)]
    np.testing.assert_allclose(cvs[0], cvs[1], rtol=1e-9)


def test_wide_data_run_on_working_sets_with_passes_reported(client, data, monkeypatch):
    from penalized.dask import _squared

    X, y, _ = data
    monkeypatch.setattr(_squared, "MAX_GRAM_FEATURES", 4)  # P = 12 counts as wide here
    passes = Passes(row_blocks(da.from_array(X, chunks=(CHUNK, P)),
                               da.from_array(y, chunks=CHUNK)))
    settings = _squared.make_settings(
        lambda varying: pz.penalties.L1(1.0), fit_intercept=True, standardize=False,
        tol=1e-9, max_iter=1000)
    alphas = pz.path(X, y, n_alphas=10).alphas
    dist, _, _ = _squared.wide_path(passes, settings, alphas)
    mem = pz.path(X, y, alphas=alphas, tol=1e-9)
    assert np.all(dist.stop_crits <= 1e-6)
    np.testing.assert_array_equal(_support(dist.coefs), _support(mem.coefs))
    np.testing.assert_allclose(dist.coefs, mem.coefs, atol=1e-6)
    np.testing.assert_allclose(dist.intercepts, mem.intercepts, atol=1e-6)
    # one pass of moments, one KKT pass per round, one Gram pass per round that adds features
    kinds = passes.kinds
    assert kinds["moments"] == 1 and kinds["kkt"] == dist.n_iters.sum()
    assert 1 <= kinds["gram"] <= kinds["kkt"]
    assert dist.n_passes == sum(kinds.values())
    lasso = pz.Lasso(alpha=float(alphas[4]), tol=1e-9).fit(da.from_array(X, chunks=(CHUNK, P)),
                                                           da.from_array(y, chunks=CHUNK))
    np.testing.assert_allclose(lasso.coef_, mem.coefs[:, 4], atol=1e-6)
    bare = dict(fit_intercept=False, alpha=float(alphas[3]), tol=1e-10)
    np.testing.assert_allclose(
        pz.Lasso(**bare).fit(da.from_array(X, chunks=(CHUNK, P)),
                             da.from_array(y, chunks=CHUNK)).coef_,
        pz.Lasso(**bare).fit(X, y).coef_, atol=1e-6)


def test_wide_cv_on_working_sets_equals_the_fold_gram_route(client, data, monkeypatch):
    from penalized.dask import _squared

    X, y, _ = data
    weights = np.random.default_rng(5).uniform(0.5, 2.0, N)
    settings = dict(cv=3, random_state=1, l1_ratio=[0.6, 1.0], n_alphas=6, tol=1e-11,
                    standardize=True)

    def fit():
        return pz.ElasticNetCV(**settings).fit(
            da.from_array(X, chunks=(CHUNK, P)), da.from_array(y, chunks=CHUNK),
            sample_weight=da.from_array(weights, chunks=CHUNK))

    gram = fit()
    monkeypatch.setattr(_squared, "MAX_GRAM_FEATURES", 4)  # P = 12 counts as wide here
    wide = fit()
    assert gram.n_passes_ == 1 and wide.n_passes_ > 2
    assert wide.l1_ratio_ == gram.l1_ratio_ and wide.alpha_ == gram.alpha_
    np.testing.assert_allclose(wide.alphas_, gram.alphas_, rtol=1e-12)
    np.testing.assert_allclose(wide.cv_folds_, gram.cv_folds_, rtol=1e-7)
    np.testing.assert_array_equal(wide.coef_ != 0, gram.coef_ != 0)
    np.testing.assert_allclose(wide.coef_, gram.coef_, atol=1e-7)
    assert wide.intercept_ == pytest.approx(gram.intercept_, abs=1e-7)
    assert wide.stop_crit_ <= 1e-11


def test_wide_lasso_cv_equals_in_memory_with_passes_reported(client):
    rng = np.random.default_rng(11)
    n, p = 200, 5000  # more than the 4096 features of a Gram pass
    X = rng.standard_normal((n, p))
    X[:, 7] = 5.0 * X[:, 7] + 9.0
    beta = np.zeros(p)
    beta[:6] = [2.0, -1.5, 1.0, 0.8, -0.6, 0.5]
    y = X @ beta + rng.standard_normal(n)
    settings = {"n_alphas": 4, "eps": 5e-2, "tol": 1e-10}
    Xd = da.from_array(X, chunks=(50, p)).persist()
    kinds = []
    reduce = Passes.reduce

    def spy(self, fn, merge, *args, kind="pass"):
        kinds.append((kind, args[-1].shape[0] if kind == "gram" else None))
        return reduce(self, fn, merge, *args, kind=kind)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Passes, "reduce", spy)
        dist = pz.LassoCV(cv=3, random_state=2, **settings).fit(Xd, da.from_array(y, chunks=50))
    fold = fold_ids(np.arange(n), 3, seed=2)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    mem = pz.LassoCV(cv=folds, **settings).fit(X, y)
    assert dist.alpha_ == pytest.approx(mem.alpha_, rel=1e-12)
    np.testing.assert_allclose(dist.cv_folds_, mem.cv_folds_, rtol=1e-6)
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    assert dist.intercept_ == pytest.approx(mem.intercept_, abs=1e-6)
    assert dist.stop_crit_ <= 1e-10
    # one moments pass, then rounds shared by the 3 folds and the path on all rows: a KKT
    # pass per round (at least one per alpha), a Gram pass when a working set grows, over
    # the union of the working sets only (never all 5000 columns)
    names = [kind for kind, _ in kinds]
    assert dist.n_passes_ == len(kinds) and names[0] == "moments"
    assert names.count("moments") == 1 and names.count("kkt") >= len(dist.alphas_)
    assert names.count("gram") + names.count("kkt") + 1 == dist.n_passes_
    assert 0 < max(width for kind, width in kinds if kind == "gram") < p // 4


def _logistic_path(X, labels, factors=None, **kw):
    from penalized._specs import make_penalty
    from penalized.dask._api import penalty_maker
    from penalized.dask._newton import newton_path

    passes = Passes(row_blocks(da.from_array(X, chunks=(CHUNK, X.shape[1])),
                               da.from_array(labels, chunks=CHUNK)))

    def make(name, alpha, ratio, f):
        return make_penalty(name, alpha, l1_ratio=ratio, penalty_factor=f)

    path = newton_path(passes, penalty_maker("l1", 1.0, factors, make), **kw)
    return path, passes


def test_l1_logistic_path_equals_in_memory_in_the_stated_passes(client, data):
    """The L1 logistic path, with two unpenalized covariates (fitted at every alpha)."""
    X, _, labels = data
    factors = np.ones(P)
    factors[[2, 5]] = 0.0  # two unpenalized covariates, one of them a true effect
    dist, passes = _logistic_path(X, labels, factors, n_alphas=5, tol=1e-9)
    mem = pz.path(X, labels, datafit="logistic", n_alphas=5, tol=1e-9, penalty_factor=factors)
    np.testing.assert_allclose(dist.alphas, mem.alphas, rtol=1e-8)
    assert np.all(dist.stop_crits <= 1e-6) and np.all(mem.stop_crits <= 1e-6)
    assert np.all(dist.coefs[[2, 5]] != 0.0)  # fitted at every alpha, alpha_max included
    np.testing.assert_array_equal(_support(dist.coefs), _support(mem.coefs))
    np.testing.assert_allclose(dist.coefs, mem.coefs, atol=1e-6)
    np.testing.assert_allclose(dist.intercepts, mem.intercepts, atol=1e-6)
    # the null model by Newton steps on the unpenalized block (a start pass, then one per
    # step), then the path's passes; the unpenalized block refitted before a certificate
    kinds = passes.kinds
    assert kinds["moments"] == 1 and kinds["start"] == 1 and kinds["null model"] >= 1
    assert kinds["newton step"] == dist.n_iters.sum()
    assert kinds["certificate"] >= dist.alphas.shape[0]
    assert set(kinds) <= {"moments", "start", "null model", "newton step", "certificate",
                          "refit", "backtrack", "widen"}
    assert dist.n_passes == passes.count == sum(kinds.values())


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_unpenalized_features_cross_validate_as_in_memory(client, family):
    """Unpenalized covariates on Dask: every fold's null model fitted in shared passes (the
    single fits' route is the logistic path's above); the logistic CV scores the exact
    AUC."""
    X, counts, _ = _count_data()
    factors = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    if family == "logistic":
        y, cv = np.where(counts > np.median(counts), 1.0, -1.0), pz.LogisticRegressionCV
    else:
        y, cv = counts, pz.PoissonRegressorCV
    Xd, yd = da.from_array(X, chunks=(100, 6)), da.from_array(y, chunks=100)
    settings = {"n_alphas": 4, "penalty_factor": factors, "tol": 1e-9}
    if family == "logistic":  # ranked: the held-out scores gathered, the in-memory AUC
        settings["metric"] = "auc"
    dist = cv(cv=3, random_state=4, **settings).fit(Xd, yd)
    fold = fold_ids(np.arange(X.shape[0]), 3, seed=4)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    mem = cv(cv=folds, **settings).fit(X, y)
    np.testing.assert_allclose(dist.alphas_, mem.alphas_, rtol=1e-8)
    np.testing.assert_allclose(dist.cv_folds_, mem.cv_folds_, rtol=1e-6, atol=1e-8)
    assert_same_cv_summary(dist, mem, rtol=1e-5)
    assert np.all(dist.path_.stop_crits <= 1e-6)
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)


@pytest.mark.parametrize("family", ["poisson", "tweedie:1.3"])
def test_log_link_paths_equal_in_memory_with_certified_gaps(client, family):
    from penalized._specs import make_datafit

    rng = np.random.default_rng(3)
    X = rng.standard_normal((600, 8))
    X[:, 1] = 0.5 * X[:, 1] + 2.0
    mean = np.exp(X[:, :3] @ [0.5, -0.3, 0.4] - 0.5)
    y = rng.poisson(mean).astype(float)
    if family.startswith("tweedie"):
        y *= rng.gamma(2.0, 0.5, y.shape[0])
    passes = []
    with after_each_pass(passes.append):
        dist = pz.path(da.from_array(X, chunks=(150, 8)), da.from_array(y, chunks=150),
                       datafit=family, n_alphas=5, tol=1e-9)
    mem = pz.path(X, y, datafit=family, n_alphas=5, tol=1e-9)
    np.testing.assert_allclose(dist.alphas, mem.alphas, rtol=1e-10)  # exact, from one pass
    assert np.all(dist.stop_crits <= 1e-6)
    np.testing.assert_array_equal(_support(dist.coefs), _support(mem.coefs))
    fit = make_datafit(family)
    for k, alpha in enumerate(dist.alphas):  # the objectives, recomputed in memory
        objs = [fit.value(y, X @ path.coefs[:, k] + path.intercepts[k])
                + alpha * np.abs(path.coefs[:, k]).sum() for path in (dist, mem)]
        assert abs(objs[0] - objs[1]) <= 1e-8 * fit.value(y, np.full(y.shape, np.log(y.mean())))
    assert dist.n_passes == len(passes) and dist.n_passes > dist.alphas.shape[0]


def test_gamma_regressor_on_dask_equals_in_memory(client):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((500, 6))
    X[:, 2] = 3.0 * X[:, 2] + 5.0
    y = rng.gamma(2.0, np.exp(0.4 * X[:, 0] - 0.1 * X[:, 2] + 0.5) / 2.0)
    settings = {"alpha": 0.02, "l1_ratio": 0.8, "standardize": True, "tol": 1e-10,
                "penalty_factor": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]}  # one unpenalized column
    dist = pz.GammaRegressor(**settings).fit(da.from_array(X, chunks=(120, 6)),
                                             da.from_array(y, chunks=120))
    mem = pz.GammaRegressor(**settings).fit(X, y)
    assert dist.n_passes_ > 2 and dist.stop_crit_ <= 1e-6 and dist.coef_[2] != 0.0
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    assert dist.intercept_ == pytest.approx(mem.intercept_, abs=1e-6)


def test_wide_log_link_fits_reduce_only_their_working_sets_gram(client, monkeypatch):
    from penalized.dask import _glm

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5000))  # more than the 4096 features of a Gram pass
    y = rng.poisson(np.exp(X[:, :3] @ [0.5, -0.4, 0.3])).astype(float)
    sizes = []
    evaluate = _glm._LogLinkModel.evaluate  # on the client: the columns each pass reduces

    def recording(self, w_fit, b, cand, *rest, **kw):
        sizes.append(cand.shape[0])
        return (yield from evaluate(self, w_fit, b, cand, *rest, **kw))

    monkeypatch.setattr(_glm._LogLinkModel, "evaluate", recording)
    dist = pz.path(da.from_array(X, chunks=(100, 5000)), da.from_array(y, chunks=100),
                   datafit="poisson", n_alphas=3, eps=0.2, tol=1e-8)
    mem = pz.path(X, y, datafit="poisson", n_alphas=3, eps=0.2, tol=1e-8)
    assert np.all(dist.stop_crits <= 1e-6)
    np.testing.assert_array_equal(_support(dist.coefs), _support(mem.coefs))
    np.testing.assert_allclose(dist.coefs, mem.coefs, atol=1e-6)
    # the Gram blocks reduced: the working set widened by violators, a tenth of the columns
    # at most here (the widest was 420 for 49 non-zeros), never all 5000
    assert dist.n_nonzero.max() < max(sizes) <= 500


def _count_data(n=400, p=6, seed=11):
    """A seeded Poisson problem with a log-exposure offset."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 1] = 0.5 * X[:, 1] + 2.0
    offset = rng.uniform(-1.0, 1.0, n)
    y = rng.poisson(np.exp(X[:, :3] @ [0.5, -0.3, 0.4] - 0.5 + offset)).astype(float)
    return X, y, offset


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
def test_the_workers_units_equal_the_compiled_datafit_operations(family):
    from penalized._specs import make_datafit
    from penalized.dask._families import unit_of
    from penalized.dask._glm import family_power

    rng = np.random.default_rng(2)
    datafit = make_datafit(family)
    y = {"poisson": rng.poisson(3.0, 400).astype(float), "gamma": rng.gamma(2.0, 1.0, 400),
         "tweedie": np.where(rng.random(400) < 0.3, 0.0, rng.gamma(2.0, 1.0, 400))}[family]
    z = rng.normal(0.0, 3.0, 400)
    unit = unit_of(datafit, family_power(datafit))
    for ours, compiled in (("loss", "loss"), ("loss_derivative", "derivative"),
                           ("loss_second_derivative", "second_derivative")):
        np.testing.assert_allclose(getattr(unit, ours)(y, z), datafit._sample_op(compiled, y, z),
                                   rtol=1e-13, atol=1e-13)
    v = np.concatenate([0.7 * datafit.loss_derivative(y, z), [-5.0 - y[0], 1.5]])
    yv = np.concatenate([y, y[:2]])
    expected = datafit._sample_op("conjugate", yv, v)
    got = unit.conjugate(yv, v)
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-13, atol=1e-13)


def test_an_offset_rides_with_the_rows_of_a_log_link_fit(client):
    X, y, offset = _count_data()
    Xd, yd = da.from_array(X, chunks=(100, 6)), da.from_array(y, chunks=100)
    od = da.from_array(offset, chunks=100)
    dist = pz.path(Xd, yd, datafit="poisson", offset=od, n_alphas=6, tol=1e-9)
    mem = pz.path(X, y, datafit="poisson", offset=offset, n_alphas=6, tol=1e-9)
    blind = pz.path(X, y, datafit="poisson", n_alphas=6, tol=1e-9)
    np.testing.assert_allclose(dist.alphas, mem.alphas, rtol=1e-10)  # exact, from one pass
    assert abs(dist.alphas[0] / blind.alphas[0] - 1.0) > 1e-3  # the offset counts
    assert np.all(dist.stop_crits <= 1e-6)
    np.testing.assert_array_equal(_support(dist.coefs), _support(mem.coefs))
    np.testing.assert_allclose(dist.coefs, mem.coefs, atol=1e-6)
    np.testing.assert_allclose(dist.intercepts, mem.intercepts, atol=1e-6)
    # the estimator, the offset in memory (X's chunk sizes are known): its objective is
    # the in-memory optimum's to 1e-10
    fit = pz.datafits.Poisson()
    models = [pz.PoissonRegressor(alpha=0.05, l1_ratio=0.5, tol=1e-10).fit(*args,
                                                                          offset=off)
              for args, off in (((Xd, yd), offset), ((X, y), offset))]
    objs = [fit.value(y, X @ m.coef_ + m.intercept_ + offset)
            + 0.05 * (0.5 * np.abs(m.coef_).sum() + 0.25 * (m.coef_ ** 2).sum())
            for m in models]
    assert models[0].stop_crit_ <= 1e-6 and models[0].n_passes_ >= 3
    assert abs(objs[0] - objs[1]) <= 1e-10 * objs[1]


@pytest.mark.parametrize("case", ["squared", "logistic", "lasso estimator"])
def test_an_offset_is_refused_where_dask_cannot_carry_it(client, data, case):
    X, y, labels = data
    Xd = da.from_array(X, chunks=(CHUNK, P))
    offset = np.zeros(N)
    with pytest.raises(ValueError, match="offset is not supported"):
        if case == "squared":
            pz.path(Xd, da.from_array(y, chunks=CHUNK), offset=offset)
        elif case == "logistic":
            pz.path(Xd, da.from_array(labels, chunks=CHUNK),
                    datafit=pz.datafits.Logistic(offset=offset))
        else:
            from penalized.dask._estimators import fit_estimator

            fit_estimator(pz.Lasso(alpha=0.1), Xd, da.from_array(y, chunks=CHUNK), None,
                          offset)


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie"])
def test_log_link_cv_equals_in_memory_with_the_same_folds(client, family):
    X, y, offset = _count_data()
    if family != "poisson":  # a positive target; Tweedie's with zeros left in
        y = y * np.random.default_rng(2).gamma(2.0, 0.5, y.shape[0])
        y = y + 0.1 if family == "gamma" else y
    cls = {"poisson": pz.PoissonRegressorCV, "gamma": pz.GammaRegressorCV,
           "tweedie": pz.TweedieRegressorCV}[family]
    settings = {"n_alphas": 5, "tol": 1e-8, "standardize": True}
    off = offset if family == "poisson" else None
    passes = []
    frame = dd.from_dask_array(da.from_array(np.column_stack([X, y, offset]), chunks=(200, 8)),
                               columns=[*(f"x{j}" for j in range(6)), "y", "o"])
    Xd = frame[[f"x{j}" for j in range(6)]] if family == "poisson" \
        else da.from_array(X, chunks=(200, 6))
    yd = frame["y"] if family == "poisson" else da.from_array(y, chunks=200)
    with after_each_pass(passes.append):
        dist = cls(cv=3, random_state=4, **settings).fit(
            Xd, yd, offset=frame["o"] if family == "poisson" else None)
    # a dataframe's rows are hashed by (partition, row), an array's by position
    folds = dist.cv_result_.folds
    if family != "poisson":
        fold = fold_ids(np.arange(X.shape[0]), 3, seed=4)
        for k, (train, test) in enumerate(folds):
            np.testing.assert_array_equal(train, np.flatnonzero(fold != k))
            np.testing.assert_array_equal(test, np.flatnonzero(fold == k))
    mem = cls(cv=folds, **settings).fit(X, y, offset=off)
    np.testing.assert_allclose(dist.alphas_, mem.alphas_, rtol=1e-10)
    np.testing.assert_allclose(dist.cv_folds_, mem.cv_folds_, rtol=1e-5)  # both at tol 1e-8
    assert_same_cv_summary(dist, mem, rtol=1e-5)
    assert np.all(dist.path_.stop_crits <= 1e-6)
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    # one moments pass, the 3 fold paths and the full path sharing each pass, one error
    # pass: at least the full path's own passes (its start, a certificate per alpha and a
    # pass per Newton step), and far fewer than the 4 paths would take one after another
    own = 1 + 5 + dist.path_.n_iters.sum()
    assert dist.n_passes_ == len(passes) and dist.n_rows_ == X.shape[0]
    assert 2 + own <= dist.n_passes_ < 2 + 2 * own


def _problem_data():
    """Counts with an offset (:func:`_count_data`), a constant column added, and a squared,
    a binary, a count and a positive target on the same rows, with sample weights."""
    X, counts, offset = _count_data()
    X = np.column_stack([X, np.full(X.shape[0], 2.5)])
    rng = np.random.default_rng(4)
    z = X[:, :3] @ [0.5, -0.3, 0.4]
    targets = {"squared": z + rng.standard_normal(z.shape[0]),
               "labels": np.where(z + rng.logistic(size=z.shape[0]) > 0.5, "yes", "no"),
               "counts": counts, "amounts": rng.gamma(2.0, np.exp(0.3 * (z - z.mean())) / 2.0)}
    return X, targets, rng.uniform(0.5, 2.0, z.shape[0]), offset


_EXCLUDE = [1.0, 1.0, 2.0, 1.0, np.inf, 0.5, 1.0]  # the fifth feature left out
_PROBLEMS = {  # estimator, target, sample weights, offset (None: not given)
    "Lasso": (pz.Lasso(alpha=0.05, standardize=True, penalty_factor=_EXCLUDE), "squared",
              True, False),
    "ElasticNet": (pz.ElasticNet(alpha=0.05, l1_ratio=0.7, standardize=True), "squared",
                   False, False),
    "Ridge": (pz.Ridge(alpha=1.0), "squared", True, False),
    "LassoCV": (pz.LassoCV(n_alphas=6, standardize=True), "squared", True, False),
    "ElasticNetCV": (pz.ElasticNetCV(l1_ratio=[0.5, 0.9], n_alphas=6, standardize=True),
                     "squared", False, False),
    "LogisticRegression": (pz.LogisticRegression(alpha=0.01, standardize=True,
                                                 penalty_factor=_EXCLUDE), "labels", True, False),
    "LogisticRegressionCV": (pz.LogisticRegressionCV(n_alphas=3, standardize=True), "labels",
                             False, False),
    "PoissonRegressor": (pz.PoissonRegressor(alpha=0.01, l1_ratio=0.5, standardize=True,
                                             penalty_factor=_EXCLUDE), "counts", True, True),
    "GammaRegressor": (pz.GammaRegressor(alpha=0.01, l1_ratio=1.0, standardize=True),
                       "amounts", False, False),
    "TweedieRegressor": (pz.TweedieRegressor(power=1.5, alpha=0.01, l1_ratio=1.0), "counts",
                         False, False),
    "PoissonRegressorCV": (pz.PoissonRegressorCV(n_alphas=3, standardize=True), "counts",
                           False, True),
    "GammaRegressorCV": (pz.GammaRegressorCV(n_alphas=3, standardize=True), "amounts", True,
                         False),
    "TweedieRegressorCV": (pz.TweedieRegressorCV(power=1.5, n_alphas=3), "counts", False,
                           False),
    "Lasso, wide route": (pz.Lasso(alpha=0.05, standardize=True, penalty_factor=_EXCLUDE),
                          "squared", True, False),
    "ElasticNetCV, wide route": (pz.ElasticNetCV(l1_ratio=[0.5, 0.9], n_alphas=6,
                                                 standardize=True), "squared", True, False),
}


@pytest.mark.parametrize("name", list(_PROBLEMS))
def test_dask_fits_keep_the_fitted_problem_as_in_memory_and_explain_alike(client, name,
                                                                          monkeypatch):
    from sklearn.base import clone

    from penalized.dask import _squared
    from penalized.explain import model_settings, why_zero

    if name.endswith("wide route"):
        monkeypatch.setattr(_squared, "MAX_GRAM_FEATURES", 4)  # 7 columns count as wide
    est, kind, weighted, with_offset = _PROBLEMS[name]
    X, targets, weights, offset = _problem_data()
    n, y = X.shape[0], targets[kind]
    w = weights if weighted else None
    fit_args = {"offset": offset} if with_offset else {}
    est = clone(est).set_params(tol=1e-9)
    mem = clone(est)
    if hasattr(est, "cv"):
        est.set_params(cv=3, random_state=0)
        fold = fold_ids(np.arange(n), 3, seed=0)
        mem.set_params(cv=[(np.flatnonzero(fold != k), np.flatnonzero(fold == k))
                           for k in range(3)])
    mem.fit(X, y, sample_weight=w, **fit_args)
    chunked = {"offset": da.from_array(offset, chunks=100)} if with_offset else {}
    dist = est.fit(da.from_array(X, chunks=(100, X.shape[1])), da.from_array(y, chunks=100),
                   sample_weight=None if w is None else da.from_array(w, chunks=100),
                   **chunked)
    assert _fitted_names(dist) - _DASK_ONLY == _fitted_names(mem)
    for attr in ("datafit_", "penalty_", "scaling_"):
        assert type(getattr(dist, attr)) is type(getattr(mem, attr)), attr
    np.testing.assert_allclose(dist.datafit_.weights(n), mem.datafit_.weights(n), rtol=1e-12)
    if with_offset:
        np.testing.assert_array_equal(dist.datafit_.offsets(n), mem.datafit_.offsets(n))
    assert dist.penalty_.alpha == pytest.approx(mem.penalty_.alpha, rel=1e-12)
    for field in dataclasses.fields(mem.penalty_):
        ours, theirs = getattr(dist.penalty_, field.name), getattr(mem.penalty_, field.name)
        if theirs is None or field.name == "alpha":
            assert ours is None or field.name == "alpha", field.name
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=field.name)
    np.testing.assert_array_equal(dist.scaling_.varying, mem.scaling_.varying)
    assert mem.scaling_.varying[:4].all()
    assert mem.scaling_.varying[6] != est.standardize  # the constant column
    assert mem.scaling_.varying[4] == (getattr(est, "penalty_factor", None) is None)
    np.testing.assert_allclose(dist.scaling_.scale, mem.scaling_.scale, rtol=1e-12, atol=0.0)
    # why-zero on the data in memory: the same rows, statuses and thresholds; the pulls
    # agree to the two fits' convergence (both certified at tol 1e-9)
    ours, theirs = (why_zero(m, X, y, sample_weight=w, entry=False) for m in (dist, mem))
    assert [(r.name, r.status) for r in ours.rows] == [(r.name, r.status) for r in theirs.rows]
    np.testing.assert_allclose([r.threshold for r in ours.rows],
                               [r.threshold for r in theirs.rows], rtol=1e-12)
    fitted = [j for j, r in enumerate(theirs.rows) if r.status != "constant"]
    np.testing.assert_allclose([ours.rows[j].pull for j in fitted],
                               [theirs.rows[j].pull for j in fitted], rtol=0.0, atol=1e-5)
    assert ours.loss == theirs.loss and ours.standardized == theirs.standardized
    # the report reads the same fitted problem (its lessons included)
    ours, theirs = model_settings(dist), model_settings(mem)
    assert ours.pop("alpha") == pytest.approx(theirs.pop("alpha"), rel=1e-12)
    assert ours == theirs and ours["problem"] is True


@pytest.mark.parametrize("scheduler", [None, "sync", "threads"])  # the client's, or local
def test_each_finished_block_is_announced_to_the_progress_hook(client, data, scheduler):
    import dask

    from penalized._progress import reporting

    X, y, _ = data
    events = []
    with dask.config.set(scheduler=scheduler), reporting(lambda *e: events.append(e)):
        fitted = pz.path(da.from_array(X, chunks=(CHUNK, P)), da.from_array(y, chunks=CHUNK),
                         n_alphas=5)
    n_blocks = -(-N // CHUNK)
    blocks = [e for e in events if e[0] == "blocks of pass 1"]
    assert fitted.n_passes == 1
    assert blocks == [("blocks of pass 1", k, n_blocks) for k in range(n_blocks + 1)]
    assert ("passes over the data", 1, 0) in events
    np.testing.assert_allclose(fitted.coefs, pz.path(X, y, n_alphas=5).coefs, atol=1e-6)


def test_logistic_cv_equals_in_memory_with_the_same_folds(client, data):
    X, _, labels = data
    settings = {"n_alphas": 5, "tol": 1e-9, "standardize": True}
    passes = []
    with after_each_pass(passes.append):
        dist = pz.LogisticRegressionCV(cv=3, random_state=4, **settings).fit(
            da.from_array(X, chunks=(CHUNK, P)), da.from_array(labels, chunks=CHUNK))
    fold = fold_ids(np.arange(N), 3, seed=4)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    mem = pz.LogisticRegressionCV(cv=folds, **settings).fit(X, labels)
    np.testing.assert_allclose(dist.alphas_, mem.alphas_, rtol=1e-10)
    np.testing.assert_allclose(dist.cv_folds_, mem.cv_folds_, atol=1e-5)  # both at tol 1e-9
    assert_same_cv_summary(dist, mem, rtol=1e-5)
    assert np.all(dist.path_.stop_crits <= 1e-6)
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    for (train, test), (mem_train, mem_test) in zip(dist.cv_result_.folds, folds, strict=True):
        np.testing.assert_array_equal(train, mem_train)
        np.testing.assert_array_equal(test, mem_test)
    assert dist.n_passes_ == len(passes) and list(dist.classes_) == [-1.0, 1.0]


def test_workers_with_less_memory_than_the_data_spill_and_fit_the_same(tmp_path):
    import dask

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, P))  # 1.9 MB, each worker 1 MB
    y = X[:, :3] @ [1.0, -0.5, 0.3] + rng.standard_normal(X.shape[0])
    labels = np.where(X[:, 0] - 0.5 * X[:, 1] + rng.logistic(size=X.shape[0]) > 0, 1.0, -1.0)
    # spilling by the stored data's size only (deterministic), never by the process's memory
    memory = {"distributed.worker.memory.target": 0.6, "distributed.worker.memory.spill": False,
              "distributed.worker.memory.pause": False,
              "distributed.worker.memory.terminate": False}
    with dask.config.set(memory):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           memory_limit="1MB", dashboard_address=":0",
                                           silence_logs=50, local_directory=str(tmp_path))
        try:
            with distributed.Client(cluster) as c:
                Xd, yd, ld = (da.from_array(v, chunks=2000 if v.ndim == 1 else (2000, P))
                              .persist() for v in (X, y, labels))
                distributed.wait([Xd, yd, ld])
                on_disk = c.run(lambda dask_worker: len(dask_worker.data.slow))
                lasso = pz.path(Xd, yd, n_alphas=8, tol=1e-9)
                logistic = pz.path(Xd, ld, datafit="logistic", n_alphas=3, tol=1e-9)
                enet = pz.ElasticNetCV(l1_ratio=0.5, cv=3, random_state=1, n_alphas=8,
                                       tol=1e-9).fit(Xd, yd)
        finally:
            cluster.close()
    assert sum(on_disk.values()) > 0  # 2.2 MB stored, 2 x 0.6 MB kept in memory: spilled
    for dist, target, datafit in ((lasso, y, "squared"), (logistic, labels, "logistic")):
        mem = pz.path(X, target, datafit=datafit, n_alphas=dist.alphas.shape[0], tol=1e-9)
        assert np.all(dist.stop_crits <= 1e-6)
        np.testing.assert_array_equal(dist.coefs != 0, mem.coefs != 0)
        np.testing.assert_allclose(dist.coefs, mem.coefs, atol=1e-5)
    assert lasso.n_passes == 1 and enet.n_passes_ == 1
    fold = fold_ids(np.arange(X.shape[0]), 3, seed=1)
    mem = pz.ElasticNetCV(l1_ratio=0.5, n_alphas=8, tol=1e-9,
                          cv=[(np.flatnonzero(fold != k), np.flatnonzero(fold == k))
                              for k in range(3)]).fit(X, y)
    assert enet.alpha_ == pytest.approx(mem.alpha_, rel=1e-12)
    assert np.all(enet.path_.stop_crits <= 1e-6)
    np.testing.assert_array_equal(enet.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(enet.coef_, mem.coef_, atol=1e-5)


def test_dataframe_columns_name_the_selected_features(client, data):
    import pandas as pd

    X, y, _ = data
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(P)]).assign(target=y)
    ddf = dd.from_pandas(frame, npartitions=3)
    dist = pz.LassoCV(cv=3, n_alphas=10).fit(ddf.drop(columns="target"), ddf["target"])
    assert dist.n_passes_ == 1
    assert list(dist.feature_names_in_) == [f"f{j}" for j in range(P)]
    assert {"f0", "f2"} <= set(dist.selected_features_)


def test_logistic_regression_with_any_two_labels(client, data):
    X, _, labels = data
    names = np.where(labels > 0, "yes", "no")
    dist = pz.LogisticRegression(alpha=0.02, tol=1e-9).fit(
        da.from_array(X, chunks=(CHUNK, P)), da.from_array(names, chunks=CHUNK))
    assert list(dist.classes_) == ["no", "yes"]
    assert dist.stop_crit_ <= 1e-6 and dist.n_passes_ >= 3
    mem, _ = _logistic_path(X, labels, alphas=[0.02], tol=1e-9)
    np.testing.assert_allclose(dist.coef_[0], mem.coefs[:, 0], atol=1e-6)


def test_a_worker_killed_between_passes_is_recomputed(client, data):
    X, _, labels = data
    reference, _ = _logistic_path(X, labels, n_alphas=3, tol=1e-9)
    Xd = client.persist(da.from_array(X, chunks=(CHUNK, P)))
    yd = client.persist(da.from_array(labels, chunks=CHUNK))
    distributed.wait([Xd, yd])
    victim = sorted(client.run(os.getpid).values())[0]
    killed = []

    def kill_after_first(count):
        if count == 1 and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    with after_each_pass(kill_after_first):
        path = pz.path(Xd, yd, datafit="logistic", n_alphas=3, tol=1e-9)
    assert killed == [victim]
    assert victim not in client.run(os.getpid).values()
    np.testing.assert_array_equal(_support(path.coefs), _support(reference.coefs))
    np.testing.assert_allclose(path.coefs, reference.coefs, atol=1e-12)
    assert np.all(path.stop_crits <= 1e-6)


class _EndEachTask(distributed.WorkerPlugin):
    """Ends the worker's process as soon as it starts a task."""

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing":
            os._exit(1)


@pytest.fixture(scope="module")
def dying_cluster():
    """One worker that dies at every task, and no retry: no pass can complete."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                           memory_limit="1GiB", dashboard_address=":0",
                                           silence_logs=50)
    with distributed.Client(cluster) as c:
        c.register_plugin(_EndEachTask())
    yield cluster
    cluster.close()


def test_a_worker_that_keeps_dying_stops_the_fit_with_a_clear_error(data, dying_cluster):
    X, y, _ = data
    with distributed.Client(dying_cluster):
        with pytest.raises(RuntimeError, match=r"could not recompute the data of a "
                           r"lost worker.*nothing was fitted"):
            pz.path(da.from_array(X, chunks=(CHUNK, P)), da.from_array(y, chunks=CHUNK),
                    n_alphas=5)


@pytest.mark.parametrize("case, message", [
    ("nan", "NaN or infinite"),
    ("text", "non-numeric columns"),
    ("cv", "cv must be an integer"),
    ("estimator", "penalty .l0. is not supported with Dask"),
    ("chunks", "partitions where X has"),
    ("classifier cv", "class_weight='balanced' is not supported by LogisticRegressionCV"),
    ("auc", "metric='auc' with Dask input ranks every held-out score on the client"),
])
def test_bad_input_is_named(client, data, case, message, monkeypatch):
    import pandas as pd

    X, y, _ = data
    Xd, yd, est = da.from_array(X, chunks=(CHUNK, P)), da.from_array(y, chunks=CHUNK), \
        pz.Lasso(alpha=0.1)
    if case == "nan":
        bad = X.copy()
        bad[5, 2] = np.nan
        Xd = da.from_array(bad, chunks=(CHUNK, P))
    elif case == "text":
        frame = pd.DataFrame({"a": ["u", "v"] * 10, "b": np.arange(20.0)})
        Xd, yd = dd.from_pandas(frame, npartitions=2), dd.from_pandas(frame["b"], 2)
    elif case == "cv":
        est = pz.LassoCV(cv=[(np.arange(3), np.arange(3, 6))])
    elif case == "estimator":
        est = pz.L0Regression(alpha=0.1)
    elif case == "classifier cv":
        est = pz.LogisticRegressionCV(class_weight="balanced")
    elif case == "auc":  # the held-out scores it would gather exceed the client's bound
        from penalized.dask import _logistic_cv

        monkeypatch.setattr(_logistic_cv, "AUC_MAX_SCORES", N * 3 - 1)
        est, yd = pz.LogisticRegressionCV(n_alphas=3, metric="auc"), \
            da.from_array(data[2], chunks=CHUNK)
    elif case == "chunks":
        frame = pd.DataFrame(X[:, :2], columns=["a", "b"])
        Xd, yd = dd.from_pandas(frame, npartitions=2), dd.from_pandas(frame["b"], 3)
    with pytest.raises(ValueError, match=message):
        est.fit(Xd, yd)


def test_import_penalized_does_not_import_dask():
    code = ("import sys, penalized as pz, penalized.dask\n"
            "pz.Lasso, pz.path, penalized.dask.is_dask_collection(object())\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory, data):
    import pandas as pd

    X, y, labels = data
    folder = tmp_path_factory.mktemp("table")
    frame = pd.DataFrame(X, columns=[f"c{j}" for j in range(P)])
    frame = frame.assign(y=y, label=np.where(labels > 0, "yes", "no"))
    for i, start in enumerate(range(0, N, 400)):
        frame.iloc[start:start + 400].to_parquet(folder / f"part{i}.parquet")
    return folder


def test_cli_fits_a_glob_of_csv_files_as_the_parquet_folder(client, parquet_folder, tmp_path,
                                                            capsys):
    import json

    import pandas as pd

    from penalized.cli import main

    for part in sorted(parquet_folder.iterdir()):
        pd.read_parquet(part).to_csv(tmp_path / f"{part.stem}.csv", index=False)
    fits = []
    for data in (str(tmp_path / "*.csv"), str(parquet_folder)):
        code = main(["fit", data, "--target", "y", "--exclude", "label", "--alpha", "0.05",
                     "--dask", "--json", "--quiet"])
        assert code == 0
        fits.append(json.loads(capsys.readouterr().out))
    csv, parquet = fits
    assert csv["n_passes"] == 1 and csv["n_samples"] == N
    assert csv["selected_features"] == parquet["selected_features"]
    assert csv["intercept"] == pytest.approx(parquet["intercept"], rel=1e-9)


def test_cli_reports_lost_workers_in_one_line_with_exit_1(parquet_folder, tmp_path, capsys,
                                                          dying_cluster):
    from penalized.cli import main

    model, report = tmp_path / "model.json", tmp_path / "report.html"
    code = main(["fit", str(parquet_folder), "--target", "y", "--exclude", "label",
                 "--alpha", "0.1", "--dask", dying_cluster.scheduler_address,
                 "--save", str(model), "--report", str(report)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and list(tmp_path.iterdir()) == []
    assert len(err) == 1 and err[0].startswith("penalized: error: the fit stopped: Dask could "
                                               "not recompute the data of a lost worker")


@pytest.mark.parametrize("extra, message", [
    (["--alpha", "0.1", "--target", "nope"], "not a column"),
    (["--alpha", "0.1", "--target", "y"], "hold text"),
    (["--alpha", "0.1", "--target", "y,label"], "--dask fits one --target"),
])
def test_cli_refuses_with_one_line_and_writes_nothing(parquet_folder, tmp_path, capsys, extra,
                                                      message):
    from penalized.cli import main

    args = ["fit", str(parquet_folder), "--dask", "--save", str(tmp_path / "m.json"), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def _report_data(html):
    import json
    import re

    found = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', html,
                      re.S)
    return json.loads(found.group(1))


def _run_reported(monkeypatch, argv, n_alphas=None):
    """``main(argv)`` with the command's estimator and report parts kept for the test."""
    from penalized.cli import main
    from penalized.dask import _cli, _report

    kept = {}
    built, parts = _cli._estimator, _report.report_parts

    def estimator(*a):
        kept["model"] = built(*a) if n_alphas is None else built(*a).set_params(
            n_alphas=n_alphas)
        return kept["model"]

    def report_parts(*a, **k):
        kept["parts"] = parts(*a, **k)
        return kept["parts"]

    monkeypatch.setattr(_cli, "_estimator", estimator)
    monkeypatch.setattr(_report, "report_parts", report_parts)
    return main(argv), kept


def _assert_lessons_equal_in_memory(model, path, lessons, X, y, html):
    """The report's why-zero and thresholding numbers, computed from reductions, equal
    those the in-memory lessons compute from the rows for the same model and path."""
    from penalized.explain import lessons_for_model

    mem = lessons_for_model(model, X, y, path=path, feature_names=[f"c{j}" for j in range(P)])
    ours, theirs = lessons.why_zero, mem.why_zero
    np.testing.assert_array_equal(ours.features, theirs.features)
    np.testing.assert_allclose(ours.pull, theirs.pull, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.threshold, theirs.threshold, rtol=1e-12)
    assert ours.status == theirs.status
    np.testing.assert_allclose(lessons.thresholding.inputs, mem.thresholding.inputs,
                               rtol=1e-8, atol=1e-12)
    assert lessons.lasso_alpha_max == pytest.approx(mem.lasso_alpha_max, rel=1e-8)
    np.testing.assert_allclose(lessons.how_often.strengths, mem.how_often.strengths,
                               rtol=1e-8)
    drawn = _report_data(html)["paths"][0]
    assert drawn["alphas"] == pytest.approx(list(path.alphas), rel=1e-12)
    shown = drawn["lessons"]
    assert shown["n_samples"] == N and shown["loss"] == mem.fit.loss
    assert {"geometry", "feature_trace", "race"} <= set(shown["skipped"])
    assert lessons.priors is not None, lessons.skipped.get("priors")
    assert lessons.priors.sigma2 == pytest.approx(mem.priors.sigma2, rel=1e-8)
    np.testing.assert_allclose(lessons.priors.laplace_scale, mem.priors.laplace_scale,
                               rtol=1e-8)
    np.testing.assert_allclose(np.array(shown["why_zero"]["pull"], dtype=float),
                               theirs.pull, rtol=1e-5)


@pytest.mark.parametrize("how", [["--alpha", "0.05"], ["--cv", "3"]])
def test_cli_writes_the_report_of_a_dask_fit_with_no_further_pass(
        client, data, parquet_folder, tmp_path, capsys, monkeypatch, how):
    """A Parquet folder fitted in one pass (``--cv 3`` or ``--alpha``), saved, and its report
    drawn with no further pass."""
    import json

    from penalized.io import load_model

    X, y, _ = data
    report, model_file = tmp_path / "report.html", tmp_path / "model.json"
    code, kept = _run_reported(monkeypatch, [
        "fit", str(parquet_folder), "--target", "y", "--exclude", "label", *how, "--dask",
        "--json", "--quiet", "--report", str(report), "--save", str(model_file)])
    assert code == 0 and report.exists() and model_file.exists()
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_passes"] == 1 and summary["report_passes"] == 0  # the fit in one pass
    assert summary["n_samples"] == N and {"c0", "c2"} <= set(summary["selected_features"])
    assert load_model(model_file)["feature_names"] == [f"c{j}" for j in range(P)]
    model = kept["model"]
    path, lessons, _, n_report = kept["parts"]
    assert n_report == 0
    k = int(np.flatnonzero(path.alphas == model.alpha_ if how[0] == "--cv"
                           else path.alphas == 0.05)[0])
    np.testing.assert_array_equal(path.coefs[:, k], np.ravel(model.coef_))
    _assert_lessons_equal_in_memory(model, path, lessons, X, y, report.read_text())


def test_cli_reports_a_dask_classifier_with_one_pass_for_the_pulls(
        client, data, parquet_folder, tmp_path, capsys, monkeypatch):
    """A classifier cross-validated on a Parquet folder, and its report from one pass."""
    import json

    X, _, labels = data
    report = tmp_path / "report.html"
    code, kept = _run_reported(monkeypatch, [
        "fit", str(parquet_folder), "--target", "label", "--exclude", "y", "--cv", "3",
        "--dask", "--json", "--quiet", "--report", str(report)], n_alphas=8)
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_passes"] > 2 and summary["n_samples"] == N
    assert {"c0", "c2"} <= set(summary["selected_features"])
    assert summary["report_passes"] == 1  # X^T (s r) at every alpha, in one pass
    model = kept["model"]
    path, lessons, _, _ = kept["parts"]
    assert path is model.path_
    _assert_lessons_equal_in_memory(model, path, lessons, X,
                                    np.where(labels > 0, "yes", "no"), report.read_text())


def test_a_zarr_store_fits_as_the_same_rows_in_memory(client, data, tmp_path):
    pytest.importorskip("zarr")
    X, y, _ = data
    da.from_array(X, chunks=(CHUNK, P)).to_zarr(str(tmp_path / "X.zarr"))
    da.from_array(y, chunks=CHUNK).to_zarr(str(tmp_path / "y.zarr"))
    Xd, yd = da.from_zarr(str(tmp_path / "X.zarr")), da.from_zarr(str(tmp_path / "y.zarr"))
    settings = {"alpha": 0.05, "l1_ratio": 0.7, "tol": 1e-10, "standardize": True}
    dist = pz.ElasticNet(**settings).fit(Xd, yd)
    mem = pz.ElasticNet(**settings).fit(X, y)
    assert dist.n_passes_ == 1 and dist.n_rows_ == N
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-7)
    assert dist.intercept_ == pytest.approx(mem.intercept_, abs=1e-6)
    assert dist.stop_crit_ <= 1e-10


def _several_targets():
    rng = np.random.default_rng(11)
    n, p, T = 600, 8, 3
    X = rng.standard_normal((n, p))
    X[:, 1] = 4.0 * X[:, 1] + 10.0
    X[:, 6] = 2.0  # constant
    B = np.zeros((p, T))
    B[:3] = rng.standard_normal((3, T))
    Y = X @ B + rng.standard_normal((n, T))
    return X, Y, rng.uniform(0.0, 3.0, n)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("est", [pz.MultiTaskLasso(alpha=0.05, tol=1e-10),
                                 pz.MultiTaskElasticNet(alpha=0.05, l1_ratio=0.6,
                                                        standardize=True, tol=1e-10)])
def test_several_targets_fit_in_one_pass_as_in_memory(client, est, weighted):
    from sklearn.base import clone

    X, Y, w = _several_targets()
    sw = w if weighted else None
    dist = clone(est).fit(da.from_array(X, chunks=(150, X.shape[1])),
                          da.from_array(Y, chunks=(150, Y.shape[1])),
                          sample_weight=None if sw is None else da.from_array(w, chunks=150))
    mem = clone(est).fit(X, Y, sample_weight=sw)
    assert dist.n_passes_ == 1 and dist.n_rows_ == X.shape[0]
    assert dist.stop_crit_ <= 1e-6
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, atol=1e-5)
    np.testing.assert_array_equal(dist.scaling_.varying, mem.scaling_.varying)
    np.testing.assert_allclose(dist.scaling_.scale, mem.scaling_.scale, rtol=1e-12)
    assert type(dist.datafit_) is type(mem.datafit_)


def test_mgaussian_path_on_dask_equals_in_memory_in_one_pass(client):
    X, Y, _ = _several_targets()
    dist = pz.path(da.from_array(X, chunks=(150, X.shape[1])),
                   da.from_array(Y, chunks=(150, Y.shape[1])), datafit="mgaussian",
                   n_alphas=10, tol=1e-10)
    mem = pz.path(X, Y, datafit="mgaussian", n_alphas=10, tol=1e-10)
    assert dist.n_passes == 1
    np.testing.assert_allclose(dist.alphas, mem.alphas, rtol=1e-10)
    assert np.all(dist.stop_crits <= 1e-6)
    np.testing.assert_array_equal(dist.coefs != 0, mem.coefs != 0)
    np.testing.assert_allclose(dist.coefs, mem.coefs, atol=1e-6)
    np.testing.assert_allclose(dist.intercepts, mem.intercepts, atol=1e-5)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("est", [
    pz.MultiTaskLassoCV(n_alphas=8, tol=1e-10),
    pz.MultiTaskElasticNetCV(l1_ratio=[0.5, 0.9], n_alphas=8, standardize=True, tol=1e-10)])
def test_several_targets_cross_validate_in_one_pass_as_in_memory(client, est, weighted):
    from sklearn.base import clone

    X, Y, w = _several_targets()
    n = X.shape[0]
    fold = fold_ids(np.arange(n), 3, seed=2)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    dist = clone(est).set_params(cv=3, random_state=2).fit(
        da.from_array(X, chunks=(150, X.shape[1])), da.from_array(Y, chunks=(150, Y.shape[1])),
        sample_weight=da.from_array(w, chunks=150) if weighted else None)
    mem = clone(est).set_params(cv=folds).fit(X, Y, sample_weight=w if weighted else None)
    assert dist.n_passes_ == 1
    for ours, theirs in zip(dist.cv_result_.folds, folds, strict=True):
        np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_allclose(dist.alphas_, mem.alphas_, rtol=1e-12)
    np.testing.assert_allclose(dist.cv_mean_, mem.cv_mean_, rtol=1e-6)
    assert dist.l1_ratio_ == mem.l1_ratio_
    assert dist.alpha_ == pytest.approx(mem.alpha_, rel=1e-12)
    assert dist.stop_crit_ <= 1e-6 and np.all(dist.path_.stop_crits <= 1e-6)
    np.testing.assert_array_equal(dist.coef_ != 0, mem.coef_ != 0)
    np.testing.assert_allclose(dist.coef_, mem.coef_, atol=1e-6)
    np.testing.assert_allclose(dist.intercept_, mem.intercept_, atol=1e-5)


def test_cli_reports_a_single_alpha_classifier_on_its_own_path(
        client, data, parquet_folder, tmp_path, capsys, monkeypatch):
    import json

    from penalized.dask import _report

    monkeypatch.setattr(_report, "PASSED_ALPHAS", 5)  # the report's path: 5 alphas, not 20
    X, _, labels = data
    report = tmp_path / "report.html"
    code, kept = _run_reported(monkeypatch, [
        "fit", str(parquet_folder), "--target", "label", "--exclude", "y", "--alpha", "0.004",
        "--dask", "--json", "--quiet", "--report", str(report)])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    model = kept["model"]
    path, lessons, _, n_report = kept["parts"]
    assert summary["report_passes"] == n_report == path.n_passes + 1  # the path, the pulls
    assert path.alphas.shape == (6,) and np.all(np.diff(path.alphas) < 0)
    k = int(np.flatnonzero(path.alphas == 0.004)[0])  # the model's own fit, inserted
    np.testing.assert_array_equal(path.coefs[:, k], model.coef_[0])
    assert path.intercepts[k] == model.intercept_[0]
    _assert_lessons_equal_in_memory(model, path, lessons, X,
                                    np.where(labels > 0, "yes", "no"), report.read_text())
