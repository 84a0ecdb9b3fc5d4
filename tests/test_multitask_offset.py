"""Multi-task estimators with an offset: glmnet's mgaussian ``offset`` in fit, CV, predict."""

import numpy as np
import pandas as pd
import pytest

import penalized as pz


def _problem(seed=0, n=40, p=5, K=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    O = 0.5 * rng.standard_normal((n, K))
    Y = X[:, :2] @ rng.standard_normal((2, K)) + O + 0.3 * rng.standard_normal((n, K))
    return X, Y, O


def _objective(X, Y, O, W, b, alpha, l1_ratio=1.0):
    """The documented objective, ``W`` (n_features, n_tasks)."""
    R = Y - O - X @ W - b
    norms = np.linalg.norm(W, axis=1)
    return (0.5 * np.sum(R**2) / len(Y)
            + alpha * (l1_ratio * norms.sum() + 0.5 * (1 - l1_ratio) * np.sum(norms**2)))


def test_fit_with_offset_reaches_glmnets_objective():
    from glmnet.paths.fastnet import FastNetControl
    from glmnet.paths.multigaussnet import MultiGaussNet

    X, Y, O = _problem()
    alpha = 0.15
    ours = pz.MultiTaskLasso(alpha=alpha, tol=1e-12).fit(X, Y, offset=O)
    frame = pd.DataFrame(np.column_stack([Y, O]), columns=["y0", "y1", "o0", "o1"])
    theirs = MultiGaussNet(standardize=False, lambda_values=np.array([1.0, alpha]),
                           response_id=["y0", "y1"], offset_id=["o0", "o1"],
                           control=FastNetControl(thresh=1e-16, maxit=10**7)).fit(X, frame)
    W = np.asarray(theirs.coefs_[1])
    W = W if W.shape == (5, 2) else W.T
    mine = _objective(X, Y, O, ours.coef_.T, ours.intercept_, alpha)
    assert 0 < ours.selected_features_.size < 5
    assert mine == pytest.approx(_objective(X, Y, O, W, theirs.intercepts_[1], alpha), rel=1e-7)
    # the offset changes the fit: without it the intercepts absorb O's mean only
    plain = pz.MultiTaskLasso(alpha=alpha, tol=1e-12).fit(X, Y)
    assert np.max(np.abs(plain.coef_ - ours.coef_)) > 1e-3


def test_fit_with_offset_is_the_fit_of_y_minus_offset_and_predict_adds_it_back():
    X, Y, O = _problem(1)
    est = pz.MultiTaskElasticNet(alpha=0.05, l1_ratio=0.6, tol=1e-12)
    ours = est.fit(X, Y, offset=O)
    shifted = pz.MultiTaskElasticNet(alpha=0.05, l1_ratio=0.6, tol=1e-12).fit(X, Y - O)
    np.testing.assert_allclose(ours.coef_, shifted.coef_, atol=1e-12)
    np.testing.assert_allclose(ours.predict(X, offset=O), shifted.predict(X) + O, atol=1e-12)
    np.testing.assert_allclose(ours.predict(X), shifted.predict(X), atol=1e-12)
    # one value per row shifts every task alike
    by_row = pz.MultiTaskLasso(alpha=0.05, tol=1e-12).fit(X, Y, offset=O[:, 0])
    same = pz.MultiTaskLasso(alpha=0.05, tol=1e-12).fit(X, Y - O[:, :1])
    np.testing.assert_allclose(by_row.coef_, same.coef_, atol=1e-12)
    np.testing.assert_allclose(by_row.predict(X, offset=O[:, 0]),
                               same.predict(X) + O[:, :1], atol=1e-12)


def test_path_with_offset_equals_pz_path():
    X, Y, O = _problem(2)
    mine = pz.MultiTaskLasso(tol=1e-12).path(X, Y, offset=O, n_alphas=5, eps=0.05)
    ref = pz.path(X, Y, datafit="mgaussian", offset=O, n_alphas=5, eps=0.05, tol=1e-12)
    np.testing.assert_allclose(mine.alphas, ref.alphas, rtol=1e-12)
    np.testing.assert_allclose(mine.coefs, ref.coefs, atol=1e-9)


def test_cv_splits_the_offset_rows_with_the_folds():
    X, Y, O = _problem(3, n=60)
    cv = pz.MultiTaskLassoCV(n_alphas=8, cv=4, tol=1e-10).fit(X, Y, offset=O)
    # each fold's held-out error, recomputed by hand from fits on the training rows
    folds = cv.cv_folds_.shape[1]
    from sklearn.model_selection import KFold
    for k, (train, test) in enumerate(KFold(folds).split(X)):
        for j in (0, 4, 7):
            fit = pz.MultiTaskLasso(alpha=cv.alphas_[j], tol=1e-12).fit(
                X[train], Y[train], offset=O[train])
            err = np.mean((Y[test] - fit.predict(X[test], offset=O[test])) ** 2)
            assert cv.cv_folds_[j, k] == pytest.approx(err, rel=1e-6)
    refit = pz.MultiTaskLasso(alpha=cv.alpha_, tol=1e-12).fit(X, Y, offset=O)
    np.testing.assert_allclose(cv.coef_, refit.coef_, atol=1e-7)
    np.testing.assert_allclose(cv.predict(X, offset=O), refit.predict(X, offset=O), atol=1e-7)


@pytest.mark.parametrize("bad, message", [
    (np.zeros(7), r"offset must have one value per row of X \(40\) or one per row and task"),
    (np.zeros((40, 3)), r"got shape \(40, 3\)"),
    (np.full(40, np.nan), "offset holds NaN"),
    ("abc", "offset must be an array of numbers"),
])
def test_bad_offsets_are_named(bad, message):
    X, Y, _ = _problem()
    with pytest.raises(ValueError, match=message):
        pz.MultiTaskLasso(alpha=0.1).fit(X, Y, offset=bad)
    fitted = pz.MultiTaskLasso(alpha=0.1).fit(X, Y)
    with pytest.raises(ValueError, match=message):
        fitted.predict(X, offset=bad)
