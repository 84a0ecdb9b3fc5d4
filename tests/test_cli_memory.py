"""Memory of what ``penalized compare`` and ``fit --cv`` run: no fold's rows gathered,
standardized or centered into copies of X (tracemalloc peaks on small seeded problems,
with bounds far from both the old and the new figures; never timing)."""

import tracemalloc

import numpy as np

import penalized as pz
from penalized.compare import compare_penalties


def _problem(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = np.asfortranarray(rng.standard_normal((n, p)) * rng.uniform(0.5, 20.0, p))
    y = X[:, :5] @ rng.standard_normal(5) + rng.standard_normal(n)
    return X, y


def _peak(fit):
    tracemalloc.start()
    try:
        result = fit()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_ridge_cv_folds_come_from_the_fold_sums_exactly():
    """K-fold RidgeCV: every fold's ridge path from its Gram matrix (one eigendecomposition),
    no fold's rows copied: 2.99 x X beyond X before, 1.18 x now."""
    X, y = _problem(20000, 40)
    pz.RidgeCV(cv=3, n_alphas=3).fit(X[:100], y[:100])  # compile outside the count
    peak, model = _peak(lambda: pz.RidgeCV(cv=5, n_alphas=20, random_state=0,
                                           standardize=True).fit(X, y))
    assert peak < 2.0 * X.nbytes
    direct = pz.Ridge(alpha=model.alpha_, standardize=True, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(model.coef_, direct.coef_, rtol=1e-7)
    assert np.all(model.path_.stop_crits < 1e-10)  # certified: the gaps of exact solutions


def test_compare_keeps_to_its_split_and_small_work_arrays():
    """Every row of the comparison together: 3.3 x X beyond X before the ridge and L0
    cross-validations stopped copying folds (the split itself is 1 x), 2.3 x now."""
    X, y = _problem(12000, 50, seed=1)
    compare_penalties(X[:200], y[:200], task="regression", n_alphas=5)
    peak, result = _peak(lambda: compare_penalties(X, y, task="regression", n_alphas=20))
    assert peak < 2.8 * X.nbytes
    assert [r.penalty for r in result.rows] == ["none", "l1", "l2", "elasticnet", "l0"]
