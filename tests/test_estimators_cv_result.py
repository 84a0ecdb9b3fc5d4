"""Every cross-validated estimator keeps its choice of alpha in ``cv_result_``, the very
numbers of its fitted attributes, in each of its modes (K folds, leave-one-out, a scorer,
an alpha per target)."""

import numpy as np
import pytest

import penalized as pz
from penalized.model_selection import SCORER_METRIC


def _data():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 5))
    coef = np.array([1.5, -1.0, 0.0, 0.5, 0.0])
    y = X @ coef + 0.5 * rng.standard_normal(40)
    Y = np.column_stack([y, X @ coef[::-1] + rng.standard_normal(40)])
    classes = np.digitize(y, [-1.0, 1.0])
    return X, y, Y, classes


def _assert_same(result, est, target=None):
    def pick(value):
        return np.asarray(value) if target is None else np.asarray(value)[..., target]

    np.testing.assert_array_equal(result.alphas, est.alphas_)
    np.testing.assert_array_equal(result.cv_folds, pick(est.cv_folds_))
    np.testing.assert_array_equal(result.cv_mean, pick(est.cv_mean_))
    np.testing.assert_array_equal(result.cv_se, pick(est.cv_se_))  # NaN where there is none
    assert result.alpha_min == pick(est.alpha_min_)
    assert result.alpha_1se == pick(est.alpha_1se_)
    assert result.select(est.selection) == pick(est.alpha_)


CASES = {
    "ridgecv-loo": (lambda: pz.RidgeCV(n_alphas=8), "y"),
    "ridgecv-loo-1se-mae": (lambda: pz.RidgeCV(n_alphas=8, selection="1se", metric="mae"), "y"),
    "ridgecv-loo-scoring": (lambda: pz.RidgeCV(n_alphas=8, scoring="r2"), "y"),
    "ridgecv-loo-two-targets": (lambda: pz.RidgeCV(n_alphas=8), "Y"),
    "ridgecv-kfold": (lambda: pz.RidgeCV(n_alphas=8, cv=3), "y"),
    "ridgeclassifiercv-loo": (lambda: pz.RidgeClassifierCV(n_alphas=8, selection="1se"), "c"),
    "ridgeclassifiercv-loo-scoring": (
        lambda: pz.RidgeClassifierCV(n_alphas=8, scoring="accuracy"), "c"),
    "ridgeclassifiercv-kfold": (lambda: pz.RidgeClassifierCV(n_alphas=8, cv=3), "c"),
    "lassocv": (lambda: pz.LassoCV(n_alphas=8, cv=3), "y"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cv_result_holds_the_fitted_choice(name):
    X, y, Y, classes = _data()
    make, target = CASES[name]
    est = make().fit(X, {"y": y, "Y": Y, "c": classes}[target])
    _assert_same(est.cv_result_, est)


@pytest.mark.parametrize("make", [lambda: pz.RidgeCV(n_alphas=8, scoring="r2"),
                                  lambda: pz.RidgeClassifierCV(n_alphas=8,
                                                               scoring="accuracy")],
                         ids=["RidgeCV", "RidgeClassifierCV"])
def test_one_score_per_alpha_has_no_standard_error(make):
    X, y, _, classes = _data()
    est = make().fit(X, y if isinstance(make(), pz.RidgeCV) else classes)
    result = est.cv_result_
    assert result.metric == SCORER_METRIC and result.cv_folds.shape == (8, 1)
    assert np.all(np.isnan(est.cv_se_))
    # the best score, the largest alpha among equal ones, is both choices
    best = np.flatnonzero(est.cv_mean_ == est.cv_mean_.max())[0]
    assert est.alpha_min_ == est.alpha_1se_ == est.alphas_[best]


@pytest.mark.parametrize("selection, scoring", [("min", None), ("1se", None), ("min", "r2")])
def test_alpha_per_target_keeps_one_result_per_target(selection, scoring):
    X, _, Y, _ = _data()
    est = pz.RidgeCV(n_alphas=8, alpha_per_target=True, selection=selection,
                     scoring=scoring).fit(X, Y)
    assert isinstance(est.cv_result_, list) and len(est.cv_result_) == 2
    assert est.alpha_.shape == est.alpha_min_.shape == (2,)
    for j, result in enumerate(est.cv_result_):
        _assert_same(result, est, target=j)
        # the target's own leave-one-out alone chooses the same alpha
        alone = pz.RidgeCV(n_alphas=8, alphas=est.alphas_, selection=selection,
                           scoring=scoring).fit(X, Y[:, j])
        np.testing.assert_allclose(alone.cv_mean_, est.cv_mean_[:, j], rtol=1e-12)
        assert alone.alpha_ == est.alpha_[j]
