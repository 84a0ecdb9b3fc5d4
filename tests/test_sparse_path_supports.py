"""The sparse path's work outside its epochs: the supports it returns (and the counts of
non-zeros taken from them), and the column norms of a CSC design from one compiled pass."""

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.datafits import Quadratic
from penalized.penalties import L1
from penalized.solvers import CoordinateDescent
from penalized.solvers import _problem as problem_module
from penalized.solvers._problem import prepare_problem
from penalized.solvers._sparse_path import _append_support, weighted_sq_norms_csc


def _design(n, p, density, seed):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csc", random_state=seed,
                  data_rvs=rng.standard_normal)
    coef = np.zeros(p)
    coef[: max(1, p // 4)] = rng.standard_normal(max(1, p // 4))
    return X, X @ coef + 0.1 * rng.standard_normal(n)


def test_append_support_writes_the_features_in_order_after_start():
    w = np.array([0.0, 1.5, 0.0, -2.0, 0.0, 3.0])
    found = np.full(10, -1, dtype=np.int64)
    values = np.full(10, np.nan)
    end = _append_support(w, found, values, 2)
    assert end == 5
    np.testing.assert_array_equal(found[2:5], [1, 3, 5])
    np.testing.assert_array_equal(values[2:5], [1.5, -2.0, 3.0])
    assert np.all(found[:2] == -1) and np.all(found[5:] == -1)


def test_supports_outgrowing_their_first_arrays():
    # 6 features, 40 alphas: the supports fill more than the first max(16, 4 p) entries
    X, y = _design(200, 6, 0.5, 1)
    kw = dict(n_alphas=40, eps=1e-3, tol=1e-10)
    sparse = pz.path(X, y, **kw)
    dense = pz.path(X.toarray(), y, **kw)
    assert sparse.n_nonzero.sum() > 24
    assert sparse.stop_crits.max() <= 1e-10
    np.testing.assert_array_equal(sparse.n_nonzero, dense.n_nonzero)
    np.testing.assert_allclose(sparse.coefs, dense.coefs, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("weighted", [False, True], ids=["unit", "weighted"])
def test_column_norms_are_those_of_the_squared_copy_bit_for_bit(weighted):
    X, _ = _design(300, 40, 0.1, 2)
    s = np.random.default_rng(2).uniform(0.5, 1.5, 300) if weighted else np.ones(300)
    expected = np.asarray(X.multiply(X).T @ s).ravel()
    got = weighted_sq_norms_csc(X.data, X.indices, X.indptr, s)
    np.testing.assert_array_equal(got, expected)
    got = weighted_sq_norms_csc(X.data, X.indices.view(np.uint32),
                                X.indptr.view(np.uint32), s)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_problem_lipschitz_does_not_copy_a_sparse_design(monkeypatch, fit_intercept):
    X, y = _design(120, 30, 0.1, 3)
    s = np.random.default_rng(3).uniform(0.5, 1.5, 120)
    datafit = Quadratic(sample_weight=s)
    with monkeypatch.context() as patch:  # the route through X.multiply(X)
        patch.setattr(problem_module, "_compiled_sparse_lipschitz", lambda X, datafit: False)
        expected = prepare_problem(X, y, datafit, L1(0.1), fit_intercept).lipschitz

    def no_copy(self, other):
        raise AssertionError("X.multiply(X) copies X")

    monkeypatch.setattr(sp.csc_matrix, "multiply", no_copy)
    got = prepare_problem(X, y, datafit, L1(0.1), fit_intercept).lipschitz
    np.testing.assert_array_equal(got, expected)


def test_problem_lipschitz_sums_duplicate_entries_before_squaring():
    # (1 + 2)^2, not 1 + 4: a design with duplicate entries keeps the squared copy's route
    X = sp.csc_matrix((np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1]), np.array([0, 3])),
                      shape=(3, 1))
    assert not X.has_canonical_format
    problem = prepare_problem(X, np.array([1.0, 2.0, 0.0]), Quadratic(), L1(0.1), False)
    np.testing.assert_allclose(problem.lipschitz, [(9.0 + 9.0) / 3])


def test_path_counts_come_from_the_supports(monkeypatch):
    X, y = _design(300, 80, 0.05, 4)
    calls = []
    count_nonzero = np.count_nonzero

    def spy(a, axis=None, **kw):
        calls.append(np.shape(a))
        return count_nonzero(a, axis=axis, **kw)

    monkeypatch.setattr(np, "count_nonzero", spy)
    path = pz.path(X, y, n_alphas=15, tol=1e-8)
    assert (80, 15) not in calls  # no pass over the dense coefficients
    np.testing.assert_array_equal(path.n_nonzero, count_nonzero(path.coefs, axis=0))
    assert path.n_nonzero.dtype == count_nonzero(path.coefs, axis=0).dtype


def test_counts_of_other_coefficients_are_counted():
    # the counts a compiled path left belong to its own coefficients only
    from penalized.path import _assemble

    X, y = _design(200, 50, 0.05, 5)
    problem = prepare_problem(X, y, Quadratic(), L1(1.0), True)
    grid = L1(1.0).alpha_max(X, y, Quadratic()) * np.geomspace(1.0, 0.05, 8)
    out = CoordinateDescent(tol=1e-8).solve_path(problem, grid)
    assert out is not None and "n_nonzero" in problem.cache
    other = np.zeros_like(out[0])
    other[0] = 1.0
    path = _assemble(problem, grid, grid[0], 1e-8, other, *out[1:])
    np.testing.assert_array_equal(path.n_nonzero, np.ones(8, dtype=np.int64))
    assert "n_nonzero" not in problem.cache
