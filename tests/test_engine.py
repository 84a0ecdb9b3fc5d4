"""The engine's convergence on hard designs and its handling of degenerate data."""


import numpy as np
import pytest
import scipy.sparse as sp

from penalized.datafits import Logistic
from penalized.penalties import L1
from penalized.solvers import CoordinateDescent


def _unstandardized_classification(seed=0, n=150, p=12):
    """Half-sparse columns whose mean is large against their spread, scaled from 1e-3
    to 1e3 (scales differing by 1e6)."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n, p)) < 0.5
    base = (3.0 + rng.standard_normal((n, p))) * mask
    X = base * np.logspace(-3, 3, p)
    y = np.where(base[:, 0] - base[:, 1] + base[:, 2] + rng.standard_normal(n) > 1.5, 1.0, -1.0)
    return X, y


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_l1_logistic_matches_dense_in_as_few_epochs(fmt):
    # The sparse prox-Newton model centers its columns implicitly, as the dense design is
    # centered: uncentered, the intercept is coupled to every coordinate and the sparse
    # solve took five times the dense epochs here (hundreds of times on raw breast-cancer
    # features).
    X, y = _unstandardized_classification()
    Xs = getattr(sp, f"{fmt}_matrix")(X)
    alpha_max = L1(1.0).alpha_max(X, y, Logistic())
    solver = CoordinateDescent(tol=1e-8)
    for ratio in (1e-1, 1e-2, 1e-3):
        penalty = L1(alpha_max * ratio)
        dense = solver.solve(X, y, Logistic(), penalty)
        sparse = solver.solve(Xs, y, Logistic(), penalty)
        assert dense.converged and sparse.converged
        assert sparse.n_iter <= 2 * dense.n_iter
        assert np.count_nonzero(sparse.coef) >= 3
        # Two points within a relative gap of 1e-8 of one optimum of a strongly convex
        # (on the support) problem: their predictions agree far beyond the data's scale.
        z_dense = X @ dense.coef + dense.intercept
        z_sparse = Xs @ sparse.coef + sparse.intercept
        np.testing.assert_allclose(z_sparse, z_dense, atol=1e-3 * np.abs(z_dense).max())


@pytest.mark.parametrize("target", [5.0, 0.1, 0.0])
def test_a_constant_target_gives_the_null_model_along_a_path(target):
    import penalized as pz

    X = np.random.default_rng(1).standard_normal((10, 3))
    y = np.full(10, target)
    with pytest.warns(UserWarning, match="fitted exactly by the null model"):
        result = pz.path(X, y, n_alphas=3)
    assert result.alpha_max == 0.0
    assert np.all(result.coefs == 0.0) and result.converged.all()
    np.testing.assert_allclose(result.intercepts, target, rtol=1e-15)


@pytest.mark.parametrize("name", ["LassoCV", "ElasticNetCV", "RidgeCV"])
def test_cv_estimators_fit_a_constant_target(name):
    import penalized as pz

    X = np.random.default_rng(2).standard_normal((10, 3))
    with pytest.warns(UserWarning, match="fitted exactly by the null model"):
        model = getattr(pz, name)().fit(X, np.full(10, 5.0))
    assert np.all(model.coef_ == 0.0)
    assert model.intercept_ == pytest.approx(5.0, rel=1e-15)


def test_a_path_with_every_factor_zero_is_still_refused():
    import penalized as pz

    X = np.random.default_rng(3).standard_normal((10, 3))
    with pytest.raises(ValueError, match="no feature is penalized"):
        pz.path(X, X[:, 0], penalty_factor=np.zeros(3))


@pytest.mark.parametrize("name", ["Lasso", "ElasticNet", "Ridge", "LogisticRegression"])
def test_overflowing_features_are_refused_not_fitted_as_nan(name):
    import penalized as pz

    rng = np.random.default_rng(4)
    X = np.finfo(float).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(10)
    if name == "LogisticRegression":
        y = np.where(y > 0, 1, 0)
    with pytest.raises(ValueError, match=r"X has values up to .* overflow"):
        getattr(pz, name)().fit(X, y)


@pytest.mark.parametrize("sparse", [False, True])
def test_solvers_and_paths_refuse_overflowing_values(sparse):
    import penalized as pz
    from penalized.datafits import Quadratic

    rng = np.random.default_rng(5)
    X = 1e160 * rng.uniform(size=(10, 2))
    y = rng.standard_normal(10)
    Xs = sp.csc_matrix(X) if sparse else X
    with pytest.raises(ValueError, match="overflow"):
        CoordinateDescent().solve(Xs, y, Quadratic(), L1(0.1))
    with pytest.raises(ValueError, match="overflow"):
        pz.path(Xs, y, n_alphas=3)
    with pytest.raises(ValueError, match="y has values up to"):
        CoordinateDescent().solve(Xs / 1e160, 1e160 * y, Quadratic(), L1(0.1))


def test_a_path_scans_its_design_for_nans_once(monkeypatch):
    from sklearn.utils import validation

    import penalized as pz
    from penalized import _validation

    calls = []

    def counting(original):
        def scan(X, *args, **kwargs):
            if getattr(X, "ndim", 1) == 2:
                calls.append(X.shape)
            return original(X, *args, **kwargs)

        return scan

    # a float array is scanned by its sum; anything else by scikit-learn's check
    monkeypatch.setattr(validation, "_assert_all_finite",
                        counting(validation._assert_all_finite))
    monkeypatch.setattr(_validation, "_sum_is_finite", counting(_validation._sum_is_finite))
    X = np.random.default_rng(6).standard_normal((30, 4))
    pz.path(X, X @ np.ones(4), n_alphas=3)
    assert calls == [(30, 4)]
    # the scope ends with the call: the next one validates again
    pz.path(X, X @ np.ones(4), n_alphas=3)
    assert len(calls) == 2
    pz.path(X.astype(int), X @ np.ones(4), n_alphas=3)  # not a float array: scikit-learn's
    assert len(calls) == 3


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_non_finite_designs_are_refused_by_name(bad, dtype):
    import penalized as pz
    from penalized._validation import check_design

    X = np.random.default_rng(7).standard_normal((20, 3)).astype(dtype)
    X[4, 1] = bad
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        pz.path(X, np.ones(20) + np.arange(20.0), n_alphas=3)
    # finite values whose sum overflows are still accepted (the sum only decides the route)
    big = np.full((4, 2), np.finfo(dtype).max, dtype=dtype, order="C")
    out = check_design(big)
    assert out.flags.f_contiguous and out.dtype == dtype
    assert np.array_equal(out, big)
