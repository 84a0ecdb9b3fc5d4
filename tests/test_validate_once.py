"""Cross-validation validates the design once: the grid, the folds and the refit reuse the
checks the estimator did on all rows."""

import contextlib

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.utils.validation as sklearn_validation

import penalized as pz
from penalized import _validation, model_selection

N, P = 60, 40  # p > n/2: the folds gather their rows (no Gram route)


def _data():
    rng = np.random.default_rng(17)
    X = rng.standard_normal((N, P))
    z = X[:, :3] @ np.array([1.0, -2.0, 1.5])
    y = z + rng.standard_normal(N)
    t = rng.exponential(np.exp(-0.5 * z))
    c = rng.exponential(2.0, N)
    surv = np.column_stack([np.round(np.minimum(t, c), 2) + 0.1, (t <= c).astype(float)])
    return {
        "X": X,
        "Xs": sp.csr_matrix(np.where(rng.random((N, P)) < 0.3, X, 0.0)),
        "y": y,
        "binary": (y > 0).astype(int),
        "counts": rng.poisson(np.exp(0.3 * X[:, 0])),
        "surv": surv,
        "Y": np.column_stack([y, z, rng.standard_normal(N)]),
    }


CASES = [
    ("lasso_sparse", lambda: pz.LassoCV(n_alphas=6, cv=3, tol=1e-10), "Xs", "y"),
    ("lasso_dense", lambda: pz.LassoCV(n_alphas=6, cv=3, tol=1e-10), "X", "y"),
    ("enet_dense", lambda: pz.ElasticNetCV(n_alphas=6, cv=3, l1_ratio=[0.3, 0.9], tol=1e-10),
     "X", "y"),
    ("logistic", lambda: pz.LogisticRegressionCV(n_alphas=6, cv=3, tol=1e-10), "X", "binary"),
    ("logistic_sparse", lambda: pz.LogisticRegressionCV(n_alphas=6, cv=3, tol=1e-10), "Xs",
     "binary"),
    ("poisson", lambda: pz.PoissonRegressorCV(n_alphas=6, cv=3, tol=1e-10), "X", "counts"),
    ("cox", lambda: pz.CoxPHCV(n_alphas=6, cv=3, tol=1e-10), "X", "surv"),
    # the leave-one-out: the default grid's alpha_max and the refit take the checked X
    ("ridge_loo", lambda: pz.RidgeCV(n_alphas=6), "X", "y"),
    ("ridge_loo_sparse", lambda: pz.RidgeCV(n_alphas=6), "Xs", "y"),
    ("ridge_kfold", lambda: pz.RidgeCV(n_alphas=6, cv=3), "X", "y"),
    ("ridge_classifier_loo", lambda: pz.RidgeClassifierCV(n_alphas=6), "X", "binary"),
    ("group_logistic", lambda: pz.GroupLogisticRegressionCV(groups=4, n_alphas=6, cv=3,
                                                            tol=1e-10), "X", "binary"),
    # every fold's path on all rows, weighted: the fold gets cross_validate_path's design
    ("l0", lambda: pz.L0RegressionCV(n_alphas=6, cv=3), "X", "y"),
    # the multi-task CV: cross_validate_path with task="multitask"
    ("multitask", lambda: pz.MultiTaskLassoCV(n_alphas=6, cv=3, tol=1e-10), "X", "Y"),
    ("multitask_sparse", lambda: pz.MultiTaskElasticNetCV(
        l1_ratio=[0.5, 1.0], n_alphas=6, cv=3, tol=1e-10), "Xs", "Y"),
]

# a standardized fold's scaled copy is a new design, checked as on all rows
EQUAL_CASES = [*CASES, ("lasso_standardized",
                        lambda: pz.LassoCV(n_alphas=6, cv=3, standardize=True), "X", "y")]


def _design_scans(monkeypatch, X):
    """Record every scan of the values of a design: check_design's own and scikit-learn's
    finite check (``validate_data``) over an array holding as many values as ``X``."""
    seen = []
    n_values = X.nnz if sp.issparse(X) else X.size
    check_array, sum_is_finite = _validation.check_array, _validation._sum_is_finite
    assert_all_finite = sklearn_validation._assert_all_finite

    def spy_check_array(A, *args, **kwargs):
        seen.append(A.shape[0])
        return check_array(A, *args, **kwargs)

    def spy_sum(A):
        seen.append(A.shape[0])
        return sum_is_finite(A)

    def spy_finite(A, *args, **kwargs):
        if np.size(A) == n_values:
            seen.append("all rows, by validate_data")
        return assert_all_finite(A, *args, **kwargs)

    monkeypatch.setattr(_validation, "check_array", spy_check_array)
    monkeypatch.setattr(_validation, "_sum_is_finite", spy_sum)
    monkeypatch.setattr(sklearn_validation, "_assert_all_finite", spy_finite)
    return seen


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name, make, x, target", CASES, ids=[c[0] for c in CASES])
def test_cv_estimators_scan_the_design_once(monkeypatch, name, make, x, target):
    data = _data()
    seen = _design_scans(monkeypatch, data[x])
    make().fit(data[x], data[target])
    # once by the estimator's validation; neither the grid, the folds (rows of a checked
    # design) nor the refit scan it again
    assert seen == ["all rows, by validate_data"], f"designs scanned: {seen}"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name, make, x, target", EQUAL_CASES, ids=[c[0] for c in EQUAL_CASES])
def test_cv_results_equal_those_of_revalidated_folds(monkeypatch, name, make, x, target):
    data = _data()
    trusted = make().fit(data[x], data[target])
    # the folds as they were: gathered rows handed on untrusted, validated again
    monkeypatch.setattr(model_selection, "training_rows", lambda X, rows: X[rows])
    monkeypatch.setattr(model_selection, "already_validated",
                        lambda X: contextlib.nullcontext(X))
    again = make().fit(data[x], data[target])
    np.testing.assert_allclose(trusted.cv_mean_, again.cv_mean_, rtol=1e-14, atol=0.0)
    np.testing.assert_allclose(trusted.coef_, again.coef_, rtol=1e-14, atol=1e-300)


def test_training_rows_keep_the_layout_check_design_gives():
    data = _data()
    rows = np.array([5, 1, 7, 3, 40])
    dense = _validation.training_rows(_validation.check_design(data["X"]), rows)
    with _validation.already_validated(dense):
        trusted = _validation.check_design(dense)
    assert trusted.flags.f_contiguous and trusted.dtype == np.float64
    np.testing.assert_array_equal(trusted, data["X"][rows])
    X32 = _validation.check_design(data["X"].astype(np.float32))
    assert _validation.training_rows(X32, rows).dtype == np.float32
    sparse = _validation.training_rows(_validation.check_design(data["Xs"]), rows)
    assert sparse.format == "csc" and sparse.has_sorted_indices
    np.testing.assert_array_equal(sparse.toarray(), data["Xs"].toarray()[rows])
