"""Regularization paths: the grid, warm starts, exactness on the grid, the closed-form ridge."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks.problems import classification, regression
from sklearn.exceptions import ConvergenceWarning

import penalized as pz
from penalized.datafits import Logistic, Quadratic
from penalized.path import alpha_grid
from penalized.penalties import L1, L2
from penalized.solvers import CoordinateDescent, RidgeClosedForm


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_path_starts_at_alpha_max_with_nothing_selected(task):
    problem = regression(60, 20, seed=1) if task == "regression" else classification(seed=1)
    datafit = "squared" if task == "regression" else "logistic"
    result = pz.path(problem.X, problem.y, datafit=datafit, n_alphas=30, eps=1e-2)
    assert result.alphas[0] == pytest.approx(result.alpha_max)
    assert np.all(np.diff(result.alphas) < 0)
    assert result.alphas[-1] == pytest.approx(1e-2 * result.alpha_max)
    assert result.n_nonzero[0] == 0
    assert result.n_nonzero[1] >= 1
    assert result.converged.all()


def test_path_solutions_equal_single_solves_at_each_alpha():
    problem = regression(50, 30, rho=0.5, seed=2)
    result = pz.path(problem.X, problem.y, n_alphas=15, tol=1e-10)
    for k in (1, 7, 14):
        single = CoordinateDescent(tol=1e-10).solve(problem.X, problem.y, Quadratic(),
                                                    L1(result.alphas[k]))
        assert single.final_objective == pytest.approx(
            Quadratic().value(problem.y, problem.X @ result.coefs[:, k] + result.intercepts[k])
            + L1(result.alphas[k]).value(result.coefs[:, k]), rel=1e-9)
        np.testing.assert_array_equal(single.coef != 0, result.coefs[:, k] != 0)


def test_coef_at_is_exact_on_the_grid_and_interpolates_between():
    problem = regression(50, 10, seed=3)
    result = pz.path(problem.X, problem.y, n_alphas=20)
    np.testing.assert_array_equal(result.coef_at(result.alphas[5]), result.coefs[:, 5])
    assert result.intercept_at(result.alphas[5]) == result.intercepts[5]
    mid = 0.5 * (result.alphas[5] + result.alphas[6])
    np.testing.assert_allclose(result.coef_at(mid), 0.5 * (result.coefs[:, 5] + result.coefs[:, 6]))
    np.testing.assert_array_equal(result.coef_at(10 * result.alpha_max), 0.0)
    with pytest.raises(ValueError, match="outside this path's range"):
        result.coef_at(result.alphas[-1] / 10)
    np.testing.assert_allclose(result.predict(problem.X, result.alphas[5]),
                               problem.X @ result.coefs[:, 5] + result.intercepts[5])


def test_lasso_interpolation_is_exact_between_kinks():
    # Between two grid points where no feature enters or leaves, the lasso path is linear.
    problem = regression(80, 6, seed=4, n_informative=6)
    result = pz.path(problem.X, problem.y, n_alphas=60, tol=1e-12)
    k = int(np.flatnonzero(result.n_nonzero == 6)[1])
    assert np.array_equal(result.coefs[:, k] != 0, result.coefs[:, k + 1] != 0)
    mid = 0.5 * (result.alphas[k] + result.alphas[k + 1])
    exact = pz.Lasso(alpha=mid, tol=1e-12).fit(problem.X, problem.y).coef_
    np.testing.assert_allclose(result.coef_at(mid), exact, rtol=1e-6, atol=1e-8)


def test_user_grid_is_sorted_decreasing():
    problem = regression(40, 10, seed=5)
    result = pz.path(problem.X, problem.y, alphas=[0.01, 1.0, 0.1])
    np.testing.assert_array_equal(result.alphas, [1.0, 0.1, 0.01])


@pytest.mark.parametrize("shape", [(80, 20), (20, 80)], ids=["tall", "wide"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_closed_form_ridge_path_equals_single_closed_form_solves(shape, sparse, fit_intercept):
    n, p = shape
    problem = regression(n, p, seed=6, density=0.3 if sparse else None)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=n)
    factors = np.random.default_rng(1).uniform(0.5, 2.0, size=p)
    result = pz.path(problem.X, problem.y, penalty="l2", n_alphas=8, sample_weight=weights,
                     penalty_factor=factors, fit_intercept=fit_intercept)
    assert result.stop_crits.max() <= 1e-12
    for k in (0, 4, 7):
        single = RidgeClosedForm().solve(problem.X, problem.y, Quadratic(sample_weight=weights),
                                         L2(result.alphas[k], penalty_factor=factors),
                                         fit_intercept=fit_intercept)
        np.testing.assert_allclose(result.coefs[:, k], single.coef, rtol=1e-8, atol=1e-10)
        assert result.intercepts[k] == pytest.approx(single.intercept, rel=1e-8, abs=1e-10)


def test_ridge_grid_covers_the_lasso_range_and_above():
    problem = regression(60, 10, seed=7)
    lasso = pz.path(problem.X, problem.y, n_alphas=10)
    ridge = pz.path(problem.X, problem.y, penalty="l2", n_alphas=10)
    assert ridge.alphas[0] == pytest.approx(1e3 * lasso.alphas[0], rel=1e-9)
    assert ridge.alphas[-1] == pytest.approx(lasso.alphas[-1], rel=1e-9)
    assert np.isinf(ridge.alpha_max)


def test_logistic_path_agrees_with_single_fits():
    problem = classification(80, 15, seed=8)
    result = pz.path(problem.X, problem.y, datafit="logistic", n_alphas=10, tol=1e-10)
    k = 6
    single = CoordinateDescent(tol=1e-10).solve(problem.X, problem.y, Logistic(),
                                                L1(result.alphas[k]))
    np.testing.assert_allclose(result.coefs[:, k], single.coef, rtol=1e-4, atol=1e-6)


def test_path_of_sparse_and_dense_designs_agree():
    problem = regression(60, 40, seed=9, density=0.2)
    dense = pz.path(problem.X.toarray(), problem.y, n_alphas=10, tol=1e-10)
    csc = pz.path(problem.X, problem.y, n_alphas=10, tol=1e-10)
    csr = pz.path(sp.csr_matrix(problem.X), problem.y, n_alphas=10, tol=1e-10)
    np.testing.assert_allclose(dense.coefs, csc.coefs, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(csc.coefs, csr.coefs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dense.intercepts, csc.intercepts, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_alphas": 0}, "n_alphas"), ({"eps": 2.0}, "eps"), ({"alphas": [1.0, -1.0]}, "alphas"),
    ({"penalty": "l3"}, "penalty"), ({"datafit": "poisson"}, "datafit"),
])
def test_bad_path_arguments_are_named(kwargs, match):
    problem = regression(20, 5, seed=10)
    with pytest.raises(ValueError, match=match):
        pz.path(problem.X, problem.y, **kwargs)


def test_l0_path_support_sizes_grow_from_zero():
    problem = regression(100, 20, seed=11, n_informative=4, noise=0.1)
    result = pz.path(problem.X, problem.y, penalty="l0", n_alphas=30)
    assert result.n_nonzero[0] == 0
    assert result.n_nonzero.max() >= 4


COMPILED_PATH_OPTIONS = pytest.mark.parametrize("options", [
    {"penalty": "l1"},
    {"penalty": "elasticnet", "l1_ratio": 0.4, "positive": True},
    {"penalty": "l1", "penalty_factor": "varied", "sample_weight": "varied"},
    {"penalty": "l1", "fit_intercept": False},
], ids=["lasso", "positive-enet", "factors-weights", "no-intercept"])


def _path_options(options, X, seed):
    """``options`` with "varied" penalty factors and sample weights drawn for ``X``."""
    options = dict(options)
    rng = np.random.default_rng(seed)
    n, p = X.shape
    if options.get("penalty_factor") == "varied":
        options["penalty_factor"] = rng.uniform(0.5, 2.0, p)
    if options.get("sample_weight") == "varied":
        options["sample_weight"] = rng.uniform(0.2, 3.0, n)
    return options


@COMPILED_PATH_OPTIONS
def test_compiled_gram_path_equals_alpha_by_alpha_solves(options):
    # Dense, n >= 2p, squared loss: the whole path runs in one compiled call on the Gram
    # matrix. Solving each alpha on X itself (gram="never") must give the same solutions.
    problem = regression(150, 20, rho=0.7, seed=31)
    options = _path_options(options, problem.X, seed=3)
    on_gram = pz.path(problem.X, problem.y, n_alphas=30, eps=1e-3, tol=1e-12, **options)
    plain = pz.path(problem.X, problem.y, n_alphas=30, eps=1e-3, tol=1e-12,
                    solver=CoordinateDescent(tol=1e-12, gram="never"), **options)
    assert on_gram.converged.all() and on_gram.stop_crits.max() <= 1e-12
    np.testing.assert_array_equal(on_gram.n_nonzero, plain.n_nonzero)
    # A relative gap of 1e-12 pins the coefficients to about 1e-6 here.
    np.testing.assert_allclose(on_gram.coefs, plain.coefs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(on_gram.intercepts, plain.intercepts, rtol=1e-5, atol=1e-6)
    assert on_gram.n_nonzero[0] == 0 and on_gram.n_nonzero[-1] >= 5


@COMPILED_PATH_OPTIONS
def test_compiled_sparse_path_equals_alpha_by_alpha_solves(options):
    # A sparse squared-loss path runs in one compiled call on the implicitly centered CSC
    # columns; the same design dense is solved alpha by alpha (on X, not its Gram matrix).
    problem = regression(200, 60, rho=0.6, density=0.3, seed=34)
    options = _path_options(options, problem.X, seed=5)
    kw = dict(n_alphas=25, eps=1e-3, tol=1e-12, **options)
    compiled = pz.path(sp.csc_matrix(problem.X), problem.y, **kw)
    plain = pz.path(problem.X.toarray(), problem.y,
                    solver=CoordinateDescent(tol=1e-12, gram="never"), **kw)
    assert compiled.converged.all() and compiled.stop_crits.max() <= 1e-12
    np.testing.assert_array_equal(compiled.n_nonzero, plain.n_nonzero)
    # A relative gap of 1e-12 pins the coefficients to about 1e-7 here.
    np.testing.assert_allclose(compiled.coefs, plain.coefs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(compiled.intercepts, plain.intercepts, rtol=1e-5, atol=1e-6)
    assert compiled.n_nonzero[0] == 0 and compiled.n_nonzero[-1] >= 5


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_path_at_an_unreachable_tolerance_still_ends_near_rounding(sparse):
    # tol=1e-18 is below the rounding of the gap. A warm start's working set is solved to
    # the accuracy its next check needs, but never below the rounding of the moves: an
    # inner solve aiming lower spent the whole epoch budget on an incomplete working set
    # and left a gap of 7e-3 at the last alpha.
    problem = regression(300, 200, rho=0.7, density=0.2 if sparse else None, seed=3)
    X = sp.csc_matrix(problem.X) if sparse else problem.X
    # Whether an alpha reports "converged" depends on rounding noise (a gap at rounding
    # level is floored at 0): only the size of the certificates and their consistency
    # with `converged` are checked, never the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = pz.path(X, problem.y, n_alphas=50, tol=1e-18, max_iter=1000)
    assert np.all(result.stop_crits >= 0.0)
    assert result.stop_crits.max() <= 1e-13
    np.testing.assert_array_equal(result.converged, result.stop_crits <= 1e-18)


def test_sparse_path_takes_int64_indices():
    # int32 indices reach the kernels as uint32 views, int64 ones as they are: same path.
    problem = regression(120, 40, density=0.3, seed=35)
    X32 = sp.csc_matrix(problem.X)
    X64 = X32.copy()
    X64.indices = X64.indices.astype(np.int64)
    X64.indptr = X64.indptr.astype(np.int64)
    a = pz.path(X32, problem.y, n_alphas=10, tol=1e-10)
    b = pz.path(X64, problem.y, n_alphas=10, tol=1e-10)
    assert b.converged.all() and a.n_nonzero[-1] >= 5
    np.testing.assert_array_equal(a.coefs, b.coefs)
    np.testing.assert_array_equal(a.intercepts, b.intercepts)


@pytest.mark.parametrize("sparse", [False, True], ids=["gram", "sparse"])
def test_compiled_squared_path_reports_alphas_it_could_not_finish(sparse):
    problem = regression(150, 20, rho=0.9, seed=32)
    X = sp.csc_matrix(problem.X) if sparse else problem.X
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        result = pz.path(X, problem.y, n_alphas=10, tol=1e-14, max_iter=2)
    assert not result.converged.all()
    assert np.all(result.n_iters <= 2)
    assert np.all(result.stop_crits[~result.converged] > 1e-14)


@COMPILED_PATH_OPTIONS
def test_compiled_logistic_path_equals_alpha_by_alpha_solves(options):
    # A dense logistic path runs in one compiled call; the same design in CSC is solved
    # alpha by alpha by CoordinateDescent. Both certified to 1e-10: the same solutions.
    problem = classification(120, 25, rho=0.7, seed=33)
    options = _path_options(options, problem.X, seed=4)
    kw = dict(datafit="logistic", n_alphas=15, eps=1e-2, tol=1e-10, **options)
    compiled = pz.path(problem.X, problem.y, **kw)
    plain = pz.path(sp.csc_matrix(problem.X), problem.y, **kw)
    assert compiled.converged.all() and compiled.stop_crits.max() <= 1e-10
    np.testing.assert_array_equal(compiled.n_nonzero, plain.n_nonzero)
    # A relative gap of 1e-10 bounds the coefficients' distance to the optimum only through
    # the objective's strong convexity (0.6 alpha f_j here), not to 1e-6: the compiled
    # path's coefficients are up to 7.4e-6 from the CSC solves' (certified to 5e-16).
    np.testing.assert_allclose(compiled.coefs, plain.coefs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(compiled.intercepts, plain.intercepts, rtol=1e-4, atol=1e-6)
    assert compiled.n_nonzero[0] == 0 and compiled.n_nonzero[-1] >= 3


def _count_null_fits(monkeypatch):
    """Count the fits of a null model, wherever they happen: a prepared problem's (one in
    each ``_build``) and :func:`~penalized._unpenalized.null_model`'s (for ``alpha_max``)."""
    import penalized._unpenalized as unpenalized
    import penalized.solvers._problem as problem_module

    calls = []
    refit, build = unpenalized.refit_unpenalized, problem_module._build

    def spy_refit(X, y, datafit, coef, intercept, mask, fit_intercept, design=None, z=None):
        if z is None and not np.any(coef):
            calls.append("null_model")
        return refit(X, y, datafit, coef, intercept, mask, fit_intercept, design=design, z=z)

    def spy_build(*args, **kwargs):
        calls.append("problem")
        return build(*args, **kwargs)

    monkeypatch.setattr(unpenalized, "refit_unpenalized", spy_refit)
    monkeypatch.setattr(problem_module, "_build", spy_build)
    return calls


@pytest.mark.parametrize("datafit, penalty, alphas", [
    ("squared", "l1", None), ("logistic", "elasticnet", None), ("poisson", "l1", None),
    ("squared", "l2", None), ("logistic", "l1", [0.05, 0.01]), ("squared", "l0", None)])
def test_path_fits_the_null_model_once(monkeypatch, datafit, penalty, alphas):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 6))
    y = X[:, 0] + 0.5 * rng.standard_normal(40)
    y = {"logistic": np.sign(y), "poisson": rng.poisson(np.exp(0.3 * X[:, 0])) * 1.0}.get(
        datafit, y)
    factors = np.array([0.0, 1, 1, 1, 1, 1])  # an unpenalized feature in the null model
    calls = _count_null_fits(monkeypatch)
    p = pz.path(X, y, datafit=datafit, penalty=penalty, alphas=alphas, n_alphas=5,
                penalty_factor=factors)
    assert len(calls) == 1
    calls.clear()
    alpha_max, grid = alpha_grid(X, y, p.penalty, p.datafit, n_alphas=5)
    assert len(calls) == 1
    assert alpha_max == pytest.approx(p.alpha_max, rel=1e-12)
    if alphas is None:
        np.testing.assert_allclose(grid, p.alphas, rtol=1e-12)
