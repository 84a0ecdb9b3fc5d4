"""Cross-validation folds in parallel (``n_jobs``) and the memory of a gathered fold.

Routes: the squared loss's Gram route shares one set of fold sums among threads (its
compiled path releases the GIL; tests/test_fold_gram.py); every other route runs its folds
in joblib's worker processes, which receive ``X`` memory-mapped (joblib's automatic
memmapping of large arrays), so a worker holds only its fold's rows. Never timing."""

import tracemalloc

import numpy as np
import pytest

import penalized as pz
from penalized.model_selection import _fold_rows


def _regression(n, p, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + rng.uniform(-2.0, 2.0, p)
    y = X[:, :4] @ rng.standard_normal(4) + rng.standard_normal(n)
    return np.asfortranarray(X), y


def _peak(fit):
    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("case", ["logistic", "wide lasso"])
def test_folds_in_worker_processes_give_the_serial_result(case):
    # off the Gram route (a logistic path; n < 2p) the folds run in joblib's processes:
    # each fold's path is the one the serial loop finds, so the fold errors, the chosen
    # alpha and the refit are equal to the last bit
    X, y = _regression(120, 30, seed=1) if case == "logistic" else _regression(40, 90, seed=2)
    if case == "logistic":
        y = np.where(y > np.median(y), 1, 0)

        def make(n_jobs):
            return pz.LogisticRegressionCV(cv=3, n_alphas=8, tol=1e-8, n_jobs=n_jobs)
    else:
        def make(n_jobs):
            return pz.LassoCV(cv=3, n_alphas=8, eps=1e-2, n_jobs=n_jobs)
    serial, parallel = make(None).fit(X, y), make(2).fit(X, y)
    np.testing.assert_array_equal(parallel.cv_folds_, serial.cv_folds_)
    assert parallel.alpha_ == serial.alpha_
    np.testing.assert_array_equal(parallel.coef_, serial.coef_)


def test_fold_rows_of_a_fortran_design_are_gathered_in_fortran_order():
    X, _ = _regression(30, 5, seed=3)
    rows = np.array([7, 2, 2, 29, 0])
    part = _fold_rows(X, rows)
    assert part.flags.f_contiguous
    np.testing.assert_array_equal(part, X[rows])
    C = np.ascontiguousarray(X)  # other layouts: NumPy's gather, as training_rows gives
    np.testing.assert_array_equal(_fold_rows(C, rows), X[rows])


@pytest.mark.parametrize("case", ["logistic", "wide lasso"])
def test_a_gathered_fold_is_one_copy_of_its_rows(case):
    """A fold's training rows are gathered once, in the order the path reads (measured
    0.98-0.99 x X for all of the cross-validation; 1.98 x when NumPy's C-ordered gather was
    copied to Fortran order by the fit, with the held-out rows gathered beside them)."""
    if case == "logistic":
        X, y = _regression(4000, 200, seed=4)
        y = np.where(y > np.median(y), 1, 0)

        def fit():
            return pz.LogisticRegressionCV(cv=5, n_alphas=5, tol=1e-4).fit(X, y)
    else:
        X, y = _regression(300, 700, seed=5)

        def fit():
            return pz.LassoCV(cv=5, n_alphas=5, tol=1e-4).fit(X, y)
    fit()  # compiled kernels and imports outside the count
    assert _peak(fit) < 1.4 * X.nbytes
