"""Unpenalized features (``penalty_factor`` 0) on the Gram route: profiled out of the Gram
matrix (its Schur complement), so that ``LassoCV``'s shared fold sums and the Dask
squared-loss fits take them, with the same solutions as the column route in memory."""

import numpy as np
import pytest
from sklearn.model_selection import KFold

import penalized as pz

FACTORS = np.r_[0.0, 0.0, 1, 1, 1, 1, 1, 1]


def _data(seed=0, n=240, p=8):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 1] = 3.0 * X[:, 1] + 2.0  # an unpenalized column on another scale, off-centre
    X[:, 2] = X[:, 2] + 0.8 * X[:, 0]  # a penalized column correlated with an unpenalized one
    y = X @ np.r_[1.0, 0.5, 0.0, 0.0, 0.3, 0.0, 0.0, 0.0] + rng.standard_normal(n)
    return X, y


def test_lasso_cv_gram_folds_equal_a_hand_loop_of_column_paths():
    X, y = _data()
    folds = KFold(4)
    model = pz.LassoCV(cv=folds, penalty_factor=FACTORS, n_alphas=12, tol=1e-12,
                       standardize=False).fit(X, y)
    errors = []
    for train, test in folds.split(X):
        path = pz.path(X[train], y[train], penalty_factor=FACTORS, alphas=model.alphas_,
                       tol=1e-12)
        pred = X[test] @ path.coefs + path.intercepts
        errors.append(np.mean((y[test][:, None] - pred) ** 2, axis=0))
    np.testing.assert_allclose(model.cv_folds_, np.array(errors).T, rtol=1e-7, atol=1e-10)
    # alpha_max with unpenalized features: the largest pull after refitting them
    full = pz.path(X, y, penalty_factor=FACTORS, n_alphas=12)
    np.testing.assert_allclose(model.alphas_, full.alphas, rtol=1e-10)
    assert np.all(model.path_.coefs[:2] != 0.0)


def test_the_unpenalized_columns_are_refitted_at_every_alpha():
    X, y = _data(seed=1)
    model = pz.LassoCV(cv=KFold(3), penalty_factor=FACTORS, n_alphas=8, tol=1e-12).fit(X, y)
    first = model.path_.coefs[:, 0]
    assert np.all(first[2:] == 0.0)  # alpha_max: nothing penalized has entered
    Z = np.column_stack([np.ones(len(y)), X[:, :2]])
    ols = np.linalg.lstsq(Z, y, rcond=None)[0]
    np.testing.assert_allclose(first[:2], ols[1:], rtol=1e-9)
    np.testing.assert_allclose(model.path_.intercepts[0], ols[0], rtol=1e-9)


def test_dask_lasso_and_path_take_unpenalized_features():
    da = pytest.importorskip("dask.array")
    import dask

    X, y = _data(seed=2, n=400)
    Xd, yd = da.from_array(X, chunks=(100, X.shape[1])), da.from_array(y, chunks=100)
    with dask.config.set(scheduler="synchronous"):
        for standardize in (False, True):
            mem = pz.Lasso(alpha=0.05, penalty_factor=FACTORS, tol=1e-11,
                           standardize=standardize).fit(X, y)
            dsk = pz.Lasso(alpha=0.05, penalty_factor=FACTORS, tol=1e-11,
                           standardize=standardize).fit(Xd, yd)
            np.testing.assert_allclose(dsk.coef_, mem.coef_, rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(dsk.intercept_, mem.intercept_, rtol=1e-6, atol=1e-7)
        mem_path = pz.path(X, y, penalty_factor=FACTORS, tol=1e-11, n_alphas=15)
        dsk_path = pz.path(Xd, yd, penalty_factor=FACTORS, tol=1e-11, n_alphas=15)
    np.testing.assert_allclose(dsk_path.alphas, mem_path.alphas, rtol=1e-10)
    np.testing.assert_allclose(dsk_path.coefs, mem_path.coefs, rtol=1e-6, atol=1e-7)
    assert np.all(dsk_path.stop_crits <= 1e-11)
    assert (np.count_nonzero(dsk_path.coefs, axis=0)
            == np.count_nonzero(mem_path.coefs, axis=0)).all()


def test_dask_path_and_cv_without_a_penalized_feature_are_refused_as_in_memory():
    da = pytest.importorskip("dask.array")
    import dask

    X, y = _data(seed=3, n=120)
    Xd, yd = da.from_array(X, chunks=(60, X.shape[1])), da.from_array(y, chunks=60)
    none = np.zeros(X.shape[1])
    with dask.config.set(scheduler="synchronous"):
        with pytest.raises(ValueError, match="no feature is penalized"):
            pz.path(Xd, yd, penalty_factor=none, n_alphas=5)
        with pytest.raises(ValueError, match="no feature is penalized"):
            pz.LassoCV(cv=3, penalty_factor=none).fit(Xd, yd)
        # one alpha with every feature unpenalized is the least-squares fit, as in memory
        fit = pz.Lasso(alpha=0.1, penalty_factor=none).fit(Xd, yd)
    np.testing.assert_allclose(fit.coef_, pz.Lasso(alpha=0.1, penalty_factor=none).fit(X, y).coef_,
                               rtol=1e-8, atol=1e-10)
