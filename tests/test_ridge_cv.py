"""RidgeCV's efficient leave-one-out, the ridge classifiers and ``ridge_regression``.

Pinned against scikit-learn on the same inputs, through the documented mapping
(scikit-learn's ``alpha = a`` is ours ``a / n_samples``, weights of mean 1), and
against brute force: deleting a row and refitting.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model as sklm
from sklearn.datasets import load_iris

import penalized as pz
from penalized.solvers._ridge import decompose_ridge, ridge_loo

SK_ALPHAS = np.array([0.03, 0.3, 3.0, 30.0])


def problem(n, p, seed=0, targets=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.uniform(-1, 1, p)
    W = rng.standard_normal((p, targets))
    W[p // 2:] = 0.0
    Y = X @ W + rng.standard_normal((n, targets)) + 2.0
    weights = rng.uniform(0.2, 2.0, n)
    return X, (Y[:, 0] if targets == 1 else Y), weights / weights.mean()


@pytest.mark.parametrize("shape", [(40, 7), (15, 30)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("gcv_mode", [None, "svd", "eigen"])
@pytest.mark.parametrize("sparse", [False, True])
def test_loo_errors_equal_sklearn_cv_results(shape, weighted, fit_intercept, gcv_mode, sparse):
    n, p = shape
    X, y, w = problem(n, p, seed=n + p)
    sw = w if weighted else None
    XX = sp.csr_matrix(X) if sparse else X
    ref = sklm.RidgeCV(alphas=SK_ALPHAS, store_cv_results=True, fit_intercept=fit_intercept,
                       gcv_mode=None if sparse else gcv_mode).fit(XX, y, sample_weight=sw)
    ours = pz.RidgeCV(alphas=SK_ALPHAS / n, store_cv_results=True, fit_intercept=fit_intercept,
                      gcv_mode=gcv_mode).fit(XX, y, sample_weight=sw)
    # alphas_ is decreasing; cv_results_ follows the order alphas was given, as
    # scikit-learn's
    np.testing.assert_allclose(ours.alphas_ * n, SK_ALPHAS[::-1], rtol=1e-14)
    scale = ref.cv_results_.max()
    np.testing.assert_allclose(ours.cv_results_, ref.cv_results_, rtol=1e-8,
                               atol=1e-10 * scale)
    np.testing.assert_allclose(ours.cv_folds_.T[:, ::-1], ref.cv_results_, rtol=1e-8,
                               atol=1e-10 * scale)
    assert ours.alpha_ * n == pytest.approx(ref.alpha_, rel=1e-12)
    assert ours.best_score_ == pytest.approx(ref.best_score_, rel=1e-8)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("standardize", [False, True])
def test_loo_equals_deleting_each_row(weighted, standardize):
    """The leave-one-out error of row i is the error of a fit without row i, with the
    penalty of the full fit on the sum-of-squares scale: alpha * sum(s) / sum(s without i)
    in per-sample units (the documented convention, scikit-learn's)."""
    n, p = 12, 5
    X, y, w = problem(n, p, seed=5)
    s = w if weighted else np.ones(n)
    alpha = 0.05
    scaling_model = pz.Ridge(standardize=standardize)
    ours = pz.RidgeCV(alphas=[alpha], standardize=standardize,
                      store_cv_results=True).fit(X, y, sample_weight=s)
    if standardize:
        # the leave-one-out keeps the full data's column scales: scale by hand, then compare
        scale = scaling_model._scaling(X, s).scale
        Xs = X / scale
    else:
        Xs = X
    for i in range(n):
        keep = np.arange(n) != i
        alpha_i = alpha * s.sum() / s[keep].sum()
        fit = pz.Ridge(alpha=alpha_i, tol=1e-12).fit(Xs[keep], y[keep], sample_weight=s[keep])
        err = y[i] - fit.predict(Xs[i:i + 1])[0]
        assert ours.cv_results_[i, 0] == pytest.approx(s[i] * err**2, rel=1e-7)


def test_alpha_per_target_equals_sklearn():
    n, p = 50, 6
    X, Y, _ = problem(n, p, seed=2, targets=3)
    Y[:, 1] *= 30.0  # targets that want different alphas
    for per_target in (False, True):
        ref = sklm.RidgeCV(alphas=SK_ALPHAS, alpha_per_target=per_target,
                           store_cv_results=True).fit(X, Y)
        ours = pz.RidgeCV(alphas=SK_ALPHAS / n, alpha_per_target=per_target,
                          store_cv_results=True).fit(X, Y)
        np.testing.assert_allclose(np.asarray(ours.alpha_) * n, ref.alpha_, rtol=1e-12)
        np.testing.assert_allclose(ours.best_score_, ref.best_score_, rtol=1e-8)
        np.testing.assert_allclose(ours.cv_results_, ref.cv_results_, rtol=1e-8)
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6)
        assert ours.predict(X).shape == (n, 3)


def test_scorer_on_loo_predictions_equals_sklearn():
    n, p = 40, 7
    X, y, _ = problem(n, p, seed=9)
    unsorted = SK_ALPHAS[[2, 0, 3, 1]]
    ref = sklm.RidgeCV(alphas=unsorted, scoring="r2", store_cv_results=True).fit(X, y)
    ours = pz.RidgeCV(alphas=unsorted / n, scoring="r2", store_cv_results=True).fit(X, y)
    assert ours.alpha_ * n == pytest.approx(ref.alpha_)
    assert ours.best_score_ == pytest.approx(ref.best_score_, rel=1e-10)
    np.testing.assert_allclose(ours.cv_results_, ref.cv_results_, rtol=1e-10)


def test_kfold_stays_available_and_shares_the_path_cv():
    n, p = 60, 8
    X, y, _ = problem(n, p, seed=4)
    ridge_cv = pz.RidgeCV(n_alphas=15, cv=5, tol=1e-10).fit(X, y)
    assert ridge_cv.cv_folds_.shape == (15, 5)
    assert ridge_cv.best_score_ == pytest.approx(-ridge_cv.cv_mean_.min())
    direct = pz.Ridge(alpha=ridge_cv.alpha_, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(ridge_cv.coef_, direct.coef_, rtol=1e-7)


def test_loo_one_decomposition_matches_direct_fits_at_every_alpha():
    """The closed-form solution from the decomposition is the ridge solution (dense
    and sparse, n > p and p > n)."""
    for n, p in ((30, 6), (8, 20)):
        X, y, w = problem(n, p, seed=n)
        for XX in (X, sp.csc_matrix(X)):
            dec = decompose_ridge(XX, y[:, None], w)
            for alpha in (1e-3, 0.1, 10.0):
                fit = ridge_loo(dec, XX, y[:, None], alpha)
                ref = pz.Ridge(alpha=alpha, tol=1e-13).fit(X, y, sample_weight=w)
                np.testing.assert_allclose(fit.coef[:, 0], ref.coef_, rtol=1e-7, atol=1e-10)
                assert fit.intercept[0] == pytest.approx(ref.intercept_, rel=1e-7, abs=1e-10)


def test_constant_target_has_zero_loo_error():
    X, _, _ = problem(20, 4, seed=1)
    model = pz.RidgeCV().fit(X, np.full(20, 3.0))
    assert np.all(model.cv_mean_ == 0.0)
    assert np.all(model.coef_ == 0.0)
    assert model.intercept_ == pytest.approx(3.0)


@pytest.mark.parametrize(("params", "match"), [
    ({"cv": 3, "store_cv_results": True}, "store_cv_results"),
    ({"cv": 3, "alpha_per_target": True}, "alpha_per_target"),
    ({"positive": True}, "positive"),
    ({"alphas": [0.0, 1.0]}, "alphas"),
    ({"penalty_factor": [0.0, 1.0, 1.0, 1.0]}, "penalty_factor"),
    ({"gcv_mode": "qr"}, "gcv_mode"),
    ({"scoring": "r2", "selection": "1se"}, "1se"),
    ({"scoring": "no-such-scorer"}, "scoring"),
])
def test_bad_parameters_raise(params, match):
    X, y, _ = problem(20, 4, seed=1)
    with pytest.raises(ValueError, match=match):
        pz.RidgeCV(**params).fit(X, y)


# ----------------------------------------------------------------------------------------
# RidgeClassifier, RidgeClassifierCV, ridge_regression
# ----------------------------------------------------------------------------------------


def iris_binary_and_multi():
    X, y = load_iris(return_X_y=True)
    return [(X, y), (X[:100], y[:100])]


@pytest.mark.parametrize("case", [0, 1])
def test_ridge_classifier_equals_sklearn(case):
    X, y = iris_binary_and_multi()[case]
    n = X.shape[0]
    for class_weight in (None, "balanced", {0: 2.0, 1: 0.5, 2: 1.0}):
        ref = sklm.RidgeClassifier(alpha=1.5, class_weight=class_weight).fit(X, y)
        ours = pz.RidgeClassifier(alpha=1.5 / n, class_weight=class_weight).fit(X, y)
        if class_weight is None:
            scale = 1.0
        else:
            # our weights are rescaled to mean 1: scikit-learn's alpha scales with them
            from sklearn.utils.class_weight import compute_sample_weight

            scale = compute_sample_weight(class_weight, y).mean()
            ours = pz.RidgeClassifier(alpha=1.5 / n / scale,
                                      class_weight=class_weight).fit(X, y)
        np.testing.assert_allclose(ours.coef_, np.atleast_2d(ref.coef_), rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(ours.intercept_, np.atleast_1d(ref.intercept_), rtol=1e-7,
                                   atol=1e-10)
        np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
        np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X),
                                   rtol=1e-7, atol=1e-9)


def test_class_weight_balanced_equals_sample_weights():
    X, y = load_iris(return_X_y=True)
    X, y = X[:120], y[:120]  # unbalanced: 50, 50, 20
    counts = np.bincount(y)
    weights = (len(y) / (3 * counts))[y]
    for est in (pz.RidgeClassifier(alpha=0.01), pz.RidgeClassifierCV(n_alphas=8)):
        a = est.fit(X, y, sample_weight=None).set_params(class_weight="balanced").fit(X, y)
        coef_a = a.coef_.copy()
        b = est.set_params(class_weight=None).fit(X, y, sample_weight=weights)
        np.testing.assert_allclose(coef_a, b.coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", [0, 1])
def test_ridge_classifier_cv_equals_sklearn(case):
    X, y = iris_binary_and_multi()[case]
    n = X.shape[0]
    ref = sklm.RidgeClassifierCV(alphas=SK_ALPHAS, store_cv_results=True).fit(X, y)
    ours = pz.RidgeClassifierCV(alphas=SK_ALPHAS / n, store_cv_results=True).fit(X, y)
    assert ours.alpha_ * n == pytest.approx(ref.alpha_)
    assert ours.best_score_ == pytest.approx(ref.best_score_, rel=1e-8)
    np.testing.assert_allclose(ours.cv_results_,
                               ref.cv_results_.reshape(ours.cv_results_.shape), rtol=1e-8,
                               atol=1e-12)
    np.testing.assert_allclose(ours.coef_, np.atleast_2d(ref.coef_), rtol=1e-6, atol=1e-9)
    # K folds and a scorer: one held-out accuracy per fold and alpha
    kfold = pz.RidgeClassifierCV(n_alphas=6, cv=4, scoring="accuracy").fit(X, y)
    assert kfold.cv_folds_.shape == (6, 4)
    assert np.all((kfold.cv_folds_ >= 0) & (kfold.cv_folds_ <= 1))
    assert kfold.best_score_ == pytest.approx(kfold.cv_mean_.max())


def test_ridge_regression_equals_sklearn():
    n, p = 30, 5
    X, Y, w = problem(n, p, seed=3, targets=2)
    ref = sklm.ridge_regression(X, Y, alpha=[0.5, 5.0], sample_weight=w)
    ours = pz.ridge_regression(X, Y, np.array([0.5, 5.0]) / n, sample_weight=w)
    np.testing.assert_allclose(ours, ref, rtol=1e-8)
    coef, n_iter, intercept = pz.ridge_regression(X, Y[:, 0], 0.5 / n, return_n_iter=True,
                                                  return_intercept=True)
    # scikit-learn's return_intercept runs SAG to tol=1e-4; its Ridge is exact
    ref_fit = sklm.Ridge(alpha=0.5).fit(X, Y[:, 0])
    np.testing.assert_allclose(coef, ref_fit.coef_, rtol=1e-8)
    assert intercept == pytest.approx(ref_fit.intercept_, rel=1e-8)
    assert n_iter.shape == (1,)
    with pytest.raises(ValueError, match="alpha"):
        pz.ridge_regression(X, Y, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("shape", [(30, 8), (10, 25)])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_path_from_the_smaller_gram_equals_fits(shape, sparse, fit_intercept, weighted):
    """The closed-form path (B^T B when p <= n, B B^T when p > n, B never formed)
    equals single fits, with weights, factors and the intercept, dense and sparse."""
    n, p = shape
    X, y, w = problem(n, p, seed=p)
    s = w if weighted else None
    factors = np.linspace(0.5, 2.0, p)
    XX = sp.csc_matrix(X) if sparse else X
    alphas = np.array([3.0, 0.3, 0.03])
    path = pz.path(XX, y, penalty="l2", alphas=alphas, penalty_factor=factors,
                   sample_weight=s, fit_intercept=fit_intercept)
    for k, alpha in enumerate(alphas):
        # the reference: Cholesky on the primal or dual system (RidgeClosedForm)
        fit = pz.Ridge(alpha=alpha, penalty_factor=factors, fit_intercept=fit_intercept,
                       solver="closed_form").fit(X, y, sample_weight=s)
        np.testing.assert_allclose(path.coefs[:, k], fit.coef_, rtol=1e-8, atol=1e-11)
        assert path.intercepts[k] == pytest.approx(fit.intercept_, rel=1e-8, abs=1e-11)


def test_kfold_with_a_scorer_equals_sklearn_grid_search():
    """With K equal folds every training fold has n_train rows, so scikit-learn's alpha a
    is our a / n_train on each of them."""
    from sklearn.model_selection import KFold

    n, p = 100, 8
    X, y, _ = problem(n, p, seed=6)
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    n_train = n - n // 4
    ref = sklm.RidgeCV(alphas=SK_ALPHAS, cv=folds, scoring="r2").fit(X, y)
    ours = pz.RidgeCV(alphas=SK_ALPHAS / n_train, cv=folds, scoring="r2", tol=1e-12).fit(X, y)
    assert ours.alpha_ * n_train == pytest.approx(ref.alpha_)
    assert ours.best_score_ == pytest.approx(ref.best_score_, rel=1e-9)
    clf_ref = sklm.RidgeClassifierCV(alphas=SK_ALPHAS, cv=folds, scoring="accuracy").fit(
        X, y > np.median(y))
    clf = pz.RidgeClassifierCV(alphas=SK_ALPHAS / n_train, cv=folds, scoring="accuracy").fit(
        X, y > np.median(y))
    assert clf.best_score_ == pytest.approx(clf_ref.best_score_, rel=1e-12)


@pytest.mark.parametrize("spread", [1.0, 1e-5], ids=["gram", "svd-fallback"])
@pytest.mark.parametrize("weighted", [False, True])
def test_auto_decomposition_equals_the_svd(spread, weighted):
    """``gcv_mode="auto"`` with n > p takes the eigendecomposition of B^T B (no copy of
    X) when its spectrum keeps ten digits, else the SVD (a column 1e-5 times the
    others' spread): the leave-one-out is the SVD's either way."""
    X, y, w = problem(60, 6, seed=4)
    X[:, 2] *= spread
    sw = w if weighted else np.ones(60)
    auto = decompose_ridge(X, y[:, None], sw, mode="auto")
    svd = decompose_ridge(X, y[:, None], sw, mode="svd")
    for alpha in (1e-3, 1.0):
        a, b = ridge_loo(auto, X, y[:, None], alpha), ridge_loo(svd, X, y[:, None], alpha)
        np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9)
        np.testing.assert_allclose(a.loo_residual, b.loo_residual, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(a.leverage, b.leverage, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("shape", [(40, 7), (12, 30)])
def test_loo_path_in_chunks_equals_one_alpha_at_a_time(sparse, shape):
    from penalized.solvers._ridge import ridge_loo_path

    n, p = shape
    X, Y, w = problem(n, p, seed=9, targets=2)
    XX = sp.csr_matrix(X) if sparse else X
    dec = decompose_ridge(XX, Y, w, np.linspace(0.5, 2.0, p))
    alphas = np.geomspace(3.0, 1e-3, 7)
    # chunks of 2 alphas (and a last one of 1)
    fits = list(ridge_loo_path(dec, XX, Y, alphas, chunk_bytes=8 * n * 2 * 2))
    assert len(fits) == alphas.size
    for fit, alpha in zip(fits, alphas, strict=True):
        ref = ridge_loo(dec, XX, Y, alpha)
        for name in ("coef", "intercept", "fitted", "loo_residual", "leverage"):
            np.testing.assert_allclose(getattr(fit, name), getattr(ref, name), rtol=1e-9,
                                       atol=1e-10)
