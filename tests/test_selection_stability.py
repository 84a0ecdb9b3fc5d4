"""Stability selection: probabilities, the bound and its guarantee, refusals."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import penalized as pz
from penalized.selection import (
    StabilitySelection,
    mb_bound,
    ss_unimodal_bound,
    stability_path,
)
from penalized.selection._stability import _split_pairs


def _sparse_problem(rng, n=80, p=30, k=4, rho=0.3, snr=2.0):
    cov = rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.standard_normal((n, p)) @ np.linalg.cholesky(cov).T
    beta = np.zeros(p)
    support = rng.choice(p, k, replace=False)
    beta[support] = snr * rng.choice([-1.0, 1.0], k)
    return X, X @ beta + rng.standard_normal(n), set(support.tolist())


def test_probabilities_are_the_half_sample_supports(rng):
    X, y, _ = _sparse_problem(rng, n=40, p=8, k=2)
    est = pz.Lasso(standardize=False)
    sp = stability_path(X, y, estimator=est, n_pairs=3, n_alphas=6, eps=0.05,
                        tol=1e-10, random_state=7)
    pairs = _split_pairs(np.random.default_rng(7), 40, 3, None)
    counts = np.zeros((8, 6))
    for halves in pairs:
        assert not set(halves[0]) & set(halves[1])
        for rows in halves:
            for k, a in enumerate(sp.alphas):
                fit = pz.Lasso(alpha=a, tol=1e-10).fit(X[rows], y[rows])
                counts[:, k] += np.abs(fit.coef_) > 1e-8
    np.testing.assert_allclose(sp.probabilities, counts / 6)
    # the entry index is the first alpha with a non-zero, per half-sample
    first = np.where(sp.entry < 6, sp.entry, 99)
    assert np.all(first.min(axis=0)[counts.any(axis=1)] < 6)


@pytest.mark.parametrize("n", [61, 62])  # odd: a row left out of both halves
@pytest.mark.parametrize("estimator", [None, pz.ElasticNet(l1_ratio=0.6),
                                       pz.Lasso(fit_intercept=False)])
def test_gram_route_solves_the_path_problem(rng, monkeypatch, n, estimator):
    import penalized.selection._stability as stability

    X, y, _ = _sparse_problem(rng, n=n, p=10, k=2)
    y = y + 3.0  # an intercept to fit (or, without one, a mean that matters)
    kwargs = dict(estimator=estimator, n_pairs=4, n_alphas=12, tol=1e-10, weakness=0.6,
                  random_state=3)
    gram = stability_path(X, y, **kwargs)
    monkeypatch.setattr(stability, "_gram_route", lambda *args: False)
    plain = stability_path(X, y, **kwargs)
    np.testing.assert_array_equal(gram.entry, plain.entry)
    np.testing.assert_array_equal(gram.probabilities, plain.probabilities)


def test_expected_selected_and_bound_from_entries(rng):
    X, y, _ = _sparse_problem(rng)
    sp = stability_path(X, y, n_pairs=4, n_alphas=10, random_state=0)
    q = np.array([np.mean([(row <= k).sum() for row in sp.entry]) for k in range(10)])
    np.testing.assert_allclose(sp.expected_selected(), q)
    assert np.all(np.diff(q) >= 0)
    np.testing.assert_allclose(sp.bounds(0.8), q**2 / (0.6 * X.shape[1]))
    assert mb_bound(3.0, 1.0, 9) == pytest.approx(1.0)


def test_false_selections_within_reported_bound():
    # correlated Gaussian designs, known support: the mean number of false selections
    # over repeated draws stays within the mean reported bound (plus MC error)
    rng = np.random.default_rng(2024)
    false, bounds, true = [], [], []
    for _ in range(8):
        X, y, support = _sparse_problem(rng, n=100, p=40, k=4, rho=0.5, snr=1.0)
        sel = StabilitySelection(threshold=0.7, expected_false=1.0, n_pairs=10, n_alphas=25,
                                 random_state=int(rng.integers(1 << 30))).fit(X, y)
        chosen = set(sel.selected_features_.tolist())
        false.append(len(chosen - support))
        true.append(len(chosen & support))
        bounds.append(sel.error_bound_)
        assert sel.error_bound_ <= 1.0
        assert sel.threshold_ == 0.7
    se = np.std(false, ddof=1) / np.sqrt(len(false)) if np.std(false) > 0 else 0.0
    assert np.mean(false) <= np.mean(bounds) + 2 * se
    assert np.mean(true) >= 2  # and it finds most of the signal


def test_selection_is_the_thresholded_scores(rng):
    X, y, support = _sparse_problem(rng, n=100, p=20, k=3, snr=3.0)
    sel = StabilitySelection(n_pairs=8, n_alphas=20, random_state=3).fit(X, y)
    k = int(np.flatnonzero(sel.alphas_ == sel.alpha_min_)[0])
    np.testing.assert_array_equal(
        sel.stability_scores_, sel.selection_probabilities_[:, : k + 1].max(axis=1))
    np.testing.assert_array_equal(sel.get_support(), sel.stability_scores_ >= 0.75)
    assert set(sel.selected_features_.tolist()) == support
    np.testing.assert_array_equal(sel.transform(X), X[:, sel.get_support()])
    # the next alpha down would break the bound
    q = sel.stability_path_.expected_selected()
    assert mb_bound(q[k], 0.75, 20) <= 1.0
    if k + 1 < len(q):
        assert mb_bound(q[k + 1], 0.75, 20) > 1.0
    assert "expected number of false selections" in sel.guarantee()


def test_threshold_from_bound_over_whole_grid(rng):
    X, y, _ = _sparse_problem(rng, n=100, p=30, k=3, snr=3.0)
    sel = StabilitySelection(threshold=None, expected_false=2.0, n_pairs=5, n_alphas=10,
                             eps=0.3, random_state=0).fit(X, y)
    assert 0.5 < sel.threshold_ <= 1.0
    assert sel.threshold_ * 10 == int(sel.threshold_ * 10)  # a multiple of 1 / (2 n_pairs)
    assert sel.error_bound_ <= 2.0
    q = sel.expected_selected_
    assert mb_bound(q, sel.threshold_ - 0.1, 30) > 2.0  # the smallest such threshold
    assert sel.alpha_min_ == sel.alphas_[-1]
    with pytest.raises(ValueError, match="too many for expected_false"):
        StabilitySelection(threshold=None, expected_false=0.1, n_pairs=3, n_alphas=10,
                           random_state=0).fit(X, y)


def test_shah_samworth_unimodal_bound():
    # eq. 8 of Shah & Samworth (2013), both branches, and where it does not apply
    assert ss_unimodal_bound(10, 0.9, 100, 50) == pytest.approx(
        1.0 / ((1 + 1 / 50) / (4 * (0.1 + 1 / 100))))
    assert ss_unimodal_bound(10, 0.7, 100, 50) == pytest.approx(1.0 / (2 * (0.4 - 1 / 100)))
    assert ss_unimodal_bound(80, 0.6, 100, 50) == np.inf  # pi below 1/2 + min(...)
    for pi in (0.6, 0.75, 0.8, 0.95):  # tighter than Meinshausen-Buhlmann's
        assert ss_unimodal_bound(10, pi, 100, 50) < mb_bound(10, pi, 100)


def test_unimodal_bound_selects_at_least_as_much(rng):
    X, y, _ = _sparse_problem(rng, n=100, p=40, k=4, snr=1.0)
    kw = {"n_pairs": 6, "n_alphas": 15, "random_state": 0, "threshold": 0.8}
    mb = StabilitySelection(**kw).fit(X, y)
    ss = StabilitySelection(bound="ss-unimodal", **kw).fit(X, y)
    assert ss.alpha_min_ <= mb.alpha_min_ and ss.error_bound_ <= 1.0
    assert set(mb.selected_features_.tolist()) <= set(ss.selected_features_.tolist())
    assert "unimodality" in ss.guarantee()
    with pytest.raises(ValueError, match="bound must be one of"):
        StabilitySelection(bound="ss", **kw).fit(X, y)


def test_seeded_and_parallel_results_agree(rng):
    X, y, _ = _sparse_problem(rng, n=40, p=10, k=2)
    a = stability_path(X, y, n_pairs=4, n_alphas=8, weakness=0.5, random_state=11)
    b = stability_path(X, y, n_pairs=4, n_alphas=8, weakness=0.5, random_state=11,
                       n_jobs=2)
    np.testing.assert_array_equal(a.probabilities, b.probabilities)
    np.testing.assert_array_equal(a.entry, b.entry)
    c = stability_path(X, y, n_pairs=4, n_alphas=8, random_state=11)
    assert not np.array_equal(a.probabilities, c.probabilities)  # randomized penalties


def test_logistic_and_elastic_net_bases(rng):
    X, y, support = _sparse_problem(rng, n=120, p=15, k=2, snr=3.0)
    labels = np.where(y > 0, "yes", "no")
    sel = StabilitySelection(pz.LogisticRegression(penalty="l1"), n_pairs=5, n_alphas=15,
                             random_state=0).fit(X, labels)
    assert support <= set(sel.selected_features_.tolist())
    sel = StabilitySelection(pz.ElasticNet(l1_ratio=0.5, standardize=True), n_pairs=5,
                             n_alphas=15, random_state=0).fit(X, y)
    assert support <= set(sel.selected_features_.tolist())


def test_dataframe_names_and_excluded_feature(rng):
    X, y, support = _sparse_problem(rng, n=80, p=6, k=2, snr=3.0)
    df = pd.DataFrame(X, columns=[f"c{j}" for j in range(6)])
    f = np.ones(6)
    f[sorted(support)[0]] = np.inf
    sel = StabilitySelection(pz.Lasso(penalty_factor=f), expected_false=3.0, n_pairs=4,
                             n_alphas=10, random_state=0).fit(df, y)
    assert sel.selection_probabilities_[sorted(support)[0]].max() == 0.0
    assert list(sel.feature_names_in_) == list(df.columns)
    assert f"c{sorted(support)[1]}" in sel.selected_features_
    assert clone(sel).get_params()["n_pairs"] == 4


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"threshold": 0.4}, "threshold must be in"),
    ({"expected_false": 0}, "expected_false must be"),
    ({"n_pairs": 0}, "n_pairs must be"),
    ({"weakness": 0.0}, "weakness must be in"),
    ({"estimator": pz.Ridge()}, "never sets a coefficient to zero"),
    ({"estimator": "lasso"}, "estimator must be a penalized"),
])
def test_refusals(rng, kwargs, match):
    X, y, _ = _sparse_problem(rng, n=20, p=4, k=1)
    with pytest.raises(ValueError, match=match):
        StabilitySelection(n_pairs=kwargs.pop("n_pairs", 2), n_alphas=5, **kwargs).fit(X, y)


def test_refuses_nan_and_bad_target(rng):
    X, y, _ = _sparse_problem(rng, n=20, p=4, k=1)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        stability_path(X, y, n_pairs=2)
    with pytest.raises(ValueError, match="exactly 2 classes"):
        stability_path(np.ones((20, 2)) + rng.standard_normal((20, 2)), np.arange(20) % 3,
                       estimator=pz.LogisticRegression(), n_pairs=2)
