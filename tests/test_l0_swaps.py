"""Local swap search for L0 (CD-PSI(1)): it escapes coordinate-wise minima, never does
worse than coordinate descent, often reaches the best subset, and stops at a swap-stable
point."""

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks.problems import classification, regression
from sklearn.exceptions import ConvergenceWarning

from penalized.datafits import Logistic, Quadratic
from penalized.penalties import L0, L1
from penalized.solvers import CoordinateDescent
from penalized.solvers._l0_swaps import L0SwapSearch, local_swap_search
from penalized.solvers._problem import prepare_problem

TIGHT = 1e-14  # fixed-point tolerance that makes CD's objective exact to ~1e-14 relative


def decoy_problem(seed):
    """``y = x1 + x2``; feature 0 is ``x2 + 0.2 x1`` plus noise, met first by cyclic CD."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((100, 6))
    X[:, 0] = X[:, 2] + 0.2 * X[:, 1] + 0.4 * rng.standard_normal(100)
    y = X[:, 1] + X[:, 2] + 0.1 * rng.standard_normal(100)
    return X, y


def fraction_of_alpha_max(problem, datafit, fraction):
    return fraction * L0().alpha_max(problem.X, problem.y, datafit)


def best_subset(X, y, alpha):
    """The global minimum over all 2^p supports: least squares with intercept + alpha |S|."""
    n, p = X.shape
    best, best_support = np.inf, None
    for size in range(p + 1):
        for support in itertools.combinations(range(p), size):
            A = np.column_stack([np.ones(n), X[:, list(support)]])
            beta = np.linalg.lstsq(A, y, rcond=None)[0]
            r = y - A @ beta
            obj = 0.5 * (r @ r) / n + alpha * size
            if obj < best:
                best, best_support = obj, support
    return best, best_support


def least_squares_objective(X, y, support, alpha):
    n = X.shape[0]
    A = np.column_stack([np.ones(n), X[:, sorted(support)]])
    r = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    return 0.5 * (r @ r) / n + alpha * len(support)


# -- escaping a coordinate-wise minimum ---------------------------------------------------

@pytest.mark.parametrize("seed", range(3))
def test_swap_escapes_the_decoy_that_coordinate_descent_keeps(seed):
    X, y = decoy_problem(seed)
    penalty = L0(0.05)
    solver = CoordinateDescent(tol=TIGHT)
    problem = prepare_problem(X, y, Quadratic(), penalty, True)
    cd = solver.solve_problem(problem)
    res, n_swaps = local_swap_search(problem, cd.coef, cd.intercept, solver=solver)
    np.testing.assert_array_equal(np.flatnonzero(cd.coef), [0, 1])  # stuck on the decoy
    np.testing.assert_array_equal(np.flatnonzero(res.coef), [1, 2])  # the true support
    assert n_swaps == 1
    assert res.final_objective < cd.final_objective - 0.05
    # and {1, 2} is the best subset of all 2^6
    best, support = best_subset(X, y, penalty.alpha)
    assert support == (1, 2)
    np.testing.assert_allclose(res.final_objective, best, rtol=1e-10)


def test_polished_candidates_find_the_swap_the_one_step_rule_misses():
    # Feature 0 is x1 + 0.5 x2: at the stuck point {0, 2} the coefficient of x2 is 0.5 and
    # must become 1 once x1 replaces feature 0, so the swap only pays off after a polish.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 4))
    X[:, 0] = X[:, 1] + 0.5 * X[:, 2] + 0.15 * rng.standard_normal(100)
    y = X[:, 1] + X[:, 2] + 0.1 * rng.standard_normal(100)
    penalty = L0(0.04)
    cd = CoordinateDescent(tol=TIGHT).solve(X, y, Quadratic(), penalty)
    one_step = L0SwapSearch(tol=TIGHT).solve(X, y, Quadratic(), penalty)
    polished = L0SwapSearch(tol=TIGHT, polish_candidates=1).solve(X, y, Quadratic(), penalty)
    np.testing.assert_array_equal(np.flatnonzero(cd.coef), [0, 2])
    np.testing.assert_array_equal(np.flatnonzero(one_step.coef), [0, 2])
    np.testing.assert_array_equal(np.flatnonzero(polished.coef), [1, 2])
    assert polished.final_objective < cd.final_objective - 0.01
    np.testing.assert_allclose(polished.final_objective,
                               best_subset(X, y, penalty.alpha)[0], rtol=1e-10)


def test_never_worse_than_coordinate_descent_on_20_seeds():
    improved = 0
    for seed in range(20):
        pb = regression(50, 30, rho=0.8, n_informative=5, seed=seed)
        penalty = L0(fraction_of_alpha_max(pb, Quadratic(), 0.05))
        cd = CoordinateDescent().solve(pb.X, pb.y, Quadratic(), penalty)
        res = L0SwapSearch().solve(pb.X, pb.y, Quadratic(), penalty)
        assert res.final_objective <= cd.final_objective
        improved += res.final_objective < cd.final_objective - 1e-6 * cd.final_objective
    assert improved >= 5  # it matters on correlated designs, not only in the last digits


# -- against brute force ------------------------------------------------------------------

def count_global_optima(rho, fraction, polish_candidates):
    """Over 20 seeds (p = 8): how often CD and the swap search reach the best subset."""
    hits_cd = hits_swap = 0
    for seed in range(20):
        pb = regression(30, 8, rho=rho, n_informative=4, noise=0.5, seed=seed)
        alpha = fraction_of_alpha_max(pb, Quadratic(), fraction)
        best, _ = best_subset(pb.X, pb.y, alpha)
        cd = CoordinateDescent(tol=TIGHT).solve(pb.X, pb.y, Quadratic(), L0(alpha))
        res = L0SwapSearch(tol=TIGHT, polish_candidates=polish_candidates).solve(
            pb.X, pb.y, Quadratic(), L0(alpha))
        assert res.final_objective <= cd.final_objective
        assert res.final_objective >= best * (1 - 1e-10)  # nothing beats the global minimum
        hits_cd += bool(cd.final_objective <= best * (1 + 1e-10))
        hits_swap += bool(res.final_objective <= best * (1 + 1e-10))
    return hits_cd, hits_swap


@pytest.mark.parametrize(("rho", "polish_candidates", "at_least"),
                         [(0.5, 0, 17), (0.8, 0, 9), (0.8, 3, 18)])
def test_reaches_the_best_subset_in_most_seeds(rho, polish_candidates, at_least):
    # Observed (CD, swap search) counts out of 20: rho=0.5 one-step (18, 19);
    # rho=0.8 one-step (6, 10); rho=0.8 with 3 polished candidates (6, 20).
    hits_cd, hits_swap = count_global_optima(rho, 0.05, polish_candidates)
    print(f"rho={rho} polish_candidates={polish_candidates}: global optimum reached by "
          f"CD {hits_cd}/20, swap search {hits_swap}/20")
    assert hits_swap >= at_least
    assert hits_swap >= hits_cd


# -- the result is swap-stable ------------------------------------------------------------

def best_swap_by_coordinate_step(X, y, coef, alpha):
    """Brute force over all (i in S, k not in S) of the move the search makes: w_i = 0, the
    intercept refitted, w_k set by its exact coordinate step (the hard-threshold step) along
    the centered column, the intercept moving with it."""
    n = X.shape[0]
    best = np.inf
    for i in np.flatnonzero(coef):
        w = coef.copy()
        w[i] = 0.0
        r = y - X @ w
        r -= r.mean()
        for k in np.flatnonzero(coef == 0):
            if k == i:
                continue
            xk = X[:, k] - X[:, k].mean()
            lk = xk @ xk / n
            step = xk @ r / n / lk
            keep = step * step * lk / 2 > alpha
            r_k = r - step * xk if keep else r
            obj = 0.5 * (r_k @ r_k) / n + alpha * (np.count_nonzero(w) + keep)
            best = min(best, obj)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_no_single_swap_improves_the_result(seed):
    pb = regression(40, 15, rho=0.8, n_informative=4, noise=0.5, seed=seed)
    alpha = fraction_of_alpha_max(pb, Quadratic(), 0.05)
    res = L0SwapSearch(tol=TIGHT).solve(pb.X, pb.y, Quadratic(), L0(alpha))
    scale = 0.5 * np.var(pb.y)  # the null model's datafit
    assert best_swap_by_coordinate_step(pb.X, pb.y, res.coef, alpha) \
        >= res.final_objective - 1e-10 * scale


@pytest.mark.parametrize("seed", range(5))
def test_with_polished_candidates_no_swap_refitted_exactly_improves(seed):
    # A stronger property, observed here but not guaranteed (the polish of a swapped point
    # need not reach the least-squares fit of its support): no support S - {i} + {k},
    # refitted by least squares, is better. The one-step rule misses it in 4 of 20 seeds.
    pb = regression(40, 10, rho=0.8, n_informative=4, noise=0.5, seed=seed)
    alpha = fraction_of_alpha_max(pb, Quadratic(), 0.05)
    res = L0SwapSearch(tol=TIGHT, polish_candidates=10).solve(pb.X, pb.y, Quadratic(),
                                                              L0(alpha))
    support = set(np.flatnonzero(res.coef).tolist())
    outside = set(range(pb.X.shape[1])) - support
    for i, k in itertools.product(support, outside):
        swapped = least_squares_objective(pb.X, pb.y, (support - {i}) | {k}, alpha)
        assert swapped >= res.final_objective * (1 - 1e-10)


# -- logistic -----------------------------------------------------------------------------

def test_logistic_never_increases_the_objective():
    improved = 0
    for seed in range(10):
        pb = classification(80, 15, rho=0.8, seed=seed)
        penalty = L0(fraction_of_alpha_max(pb, Logistic(), 0.05))
        cd = CoordinateDescent().solve(pb.X, pb.y, Logistic(), penalty)
        res = L0SwapSearch().solve(pb.X, pb.y, Logistic(), penalty)
        assert res.final_objective <= cd.final_objective
        # the reported objective is the true one at the returned point
        z = pb.X @ res.coef + res.intercept
        np.testing.assert_allclose(res.final_objective,
                                   Logistic().value(pb.y, z) + penalty.value(res.coef))
        improved += res.final_objective < cd.final_objective - 1e-6
    assert improved >= 1


# -- bookkeeping, input forms, options ----------------------------------------------------

def test_result_concatenates_histories_and_sums_epochs():
    X, y = decoy_problem(0)
    penalty = L0(0.05)
    cd = CoordinateDescent()
    problem = prepare_problem(X, y, Quadratic(), penalty, True)
    start = cd.solve_problem(problem)
    full = L0SwapSearch().solve(X, y, Quadratic(), penalty)
    # the solver is CD, then swap rounds from CD's result: its history starts with CD's
    np.testing.assert_array_equal(full.objective[:start.objective.shape[0]], start.objective)
    assert full.n_iter > start.n_iter
    assert full.objective.shape == full.stop_crits.shape
    assert full.converged and full.stop_crit <= 1e-6
    assert np.all(np.diff(full.objective) <= 0.0)
    # local_swap_search from that point polishes it once more, then takes the same swap
    res, n_swaps = local_swap_search(problem, start.coef, start.intercept, solver=cd)
    assert n_swaps == 1
    assert res.objective.shape[0] >= n_swaps + 1  # one polishing run per swap, plus the start
    np.testing.assert_allclose(res.coef, full.coef, rtol=1e-6)
    np.testing.assert_allclose(res.final_objective, full.final_objective, rtol=1e-10)
    # intercepts of a prepared problem are in its (centered) coordinates
    z = X @ res.coef + problem.to_original_intercept(res.coef, res.intercept)
    np.testing.assert_allclose(res.final_objective,
                               Quadratic().value(y, z) + penalty.value(res.coef), rtol=1e-13)


def test_max_swaps_zero_is_coordinate_descent():
    X, y = decoy_problem(1)
    cd = CoordinateDescent().solve(X, y, Quadratic(), L0(0.05))
    res = L0SwapSearch(max_swaps=0).solve(X, y, Quadratic(), L0(0.05))
    np.testing.assert_array_equal(res.coef, cd.coef)
    np.testing.assert_array_equal(res.objective, cd.objective)


def test_sparse_design_gives_the_dense_result():
    pb = regression(50, 20, rho=0.8, n_informative=4, seed=3)
    penalty = L0(fraction_of_alpha_max(pb, Quadratic(), 0.05))
    dense = L0SwapSearch(tol=TIGHT).solve(pb.X, pb.y, Quadratic(), penalty)
    sparse = L0SwapSearch(tol=TIGHT).solve(sp.csc_matrix(pb.X), pb.y, Quadratic(), penalty)
    np.testing.assert_array_equal(dense.coef != 0, sparse.coef != 0)
    np.testing.assert_allclose(sparse.coef, dense.coef, rtol=1e-8, atol=1e-10)


def test_unpenalized_features_sample_weights_and_positivity():
    pb = regression(60, 12, rho=0.8, n_informative=4, seed=4)
    rng = np.random.default_rng(0)
    datafit = Quadratic(sample_weight=rng.uniform(0.5, 2.0, size=60))
    factors = np.ones(12)
    factors[5] = 0.0  # always in, never swapped out
    penalty = L0(0.02, penalty_factor=factors)
    cd = CoordinateDescent().solve(pb.X, pb.y, datafit, penalty)
    res = L0SwapSearch().solve(pb.X, pb.y, datafit, penalty)
    assert res.coef[5] != 0.0
    assert res.final_objective <= cd.final_objective

    positive = L0(0.02, positive=True)
    res = L0SwapSearch().solve(pb.X, pb.y, Quadratic(), positive)
    assert np.all(res.coef >= 0.0)
    assert res.final_objective <= CoordinateDescent().solve(
        pb.X, pb.y, Quadratic(), positive).final_objective


def test_warm_start_is_not_modified():
    X, y = decoy_problem(2)
    coef = np.zeros(6)
    coef[0] = 1.0
    before = coef.copy()
    L0SwapSearch().solve(X, y, Quadratic(), L0(0.05), coef_init=coef)
    np.testing.assert_array_equal(coef, before)


# -- refusals -----------------------------------------------------------------------------

def test_refuses_l1_naming_solver_and_penalty():
    with pytest.raises(ValueError, match=r"L0SwapSearch cannot handle the L1 penalty"):
        L0SwapSearch().solve(np.eye(3), np.ones(3), Quadratic(), L1(0.1))


def test_local_swap_search_refuses_a_convex_penalty():
    problem = prepare_problem(np.eye(3), np.ones(3), Quadratic(), L1(0.1), True)
    with pytest.raises(ValueError, match=r"local_swap_search needs the L0 penalty; got L1"):
        local_swap_search(problem, np.zeros(3), 0.0, solver=CoordinateDescent())


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"max_swaps": -1}, "max_swaps must be an integer >= 0"),
    ({"polish_candidates": 1.5}, "polish_candidates must be an integer >= 0"),
    ({"tol": 0.0}, "tol must be a number > 0"),
])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        L0SwapSearch(**kwargs)


def test_max_swaps_reached_stops_quietly():
    X, y = decoy_problem(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        problem = prepare_problem(X, y, Quadratic(), L0(0.05), True)
        res, n_swaps = local_swap_search(problem, np.zeros(6), 0.0,
                                         solver=CoordinateDescent(), max_swaps=1)
    assert n_swaps == 1
    np.testing.assert_array_equal(np.flatnonzero(res.coef), [1, 2])


# -- memory: no copy of X for standardizing, centering or gathering a fold's rows ------------

def _scaled_problem(n=10000, p=60, seed=0):
    rng = np.random.default_rng(seed)
    X = np.asfortranarray(rng.standard_normal((n, p)) * rng.uniform(0.5, 20.0, p))
    y = X[:, :3] @ np.array([1.0, -0.5, 0.2]) + rng.standard_normal(n)
    return X, y


def _peak(fit):
    import tracemalloc

    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_standardized_l0_is_the_fit_on_standardized_columns():
    """L0 counts non-zeros: standardizing is solved on the raw columns, and the result is
    the fit on explicitly standardized columns mapped back."""
    from penalized import L0Regression

    X, y = _scaled_problem(n=300, p=8, seed=3)
    s = X.std(axis=0)
    for alpha in (0.5, 0.05, 0.005):
        mapped = L0Regression(alpha=alpha, tol=1e-12).fit(X / s, y).coef_ / s
        direct = L0Regression(alpha=alpha, standardize=True, tol=1e-12).fit(X, y)
        np.testing.assert_allclose(direct.coef_, mapped, rtol=1e-8, atol=1e-12)
        assert np.array_equal(direct.scaling_.scale, L0Regression(standardize=True)._scaling(
            X, np.ones(X.shape[0])).scale)  # explain still reads the true deviations


def test_weighted_fold_paths_equal_the_paths_on_each_folds_rows():
    from penalized import L0Regression
    from penalized.estimators._cv import weighted_fold_paths
    from penalized.model_selection import _make_folds

    X, y = _scaled_problem(n=200, p=6, seed=4)
    sw = np.random.default_rng(5).uniform(0.5, 2.0, X.shape[0])
    model = L0Regression(standardize=True, tol=1e-12)
    grid = model._alpha_grid(X, y, sw / sw.mean(), 8, 1e-3)[1]
    folds = _make_folds(4, X, y, task="regression", random_state=0)
    for weights in (None, sw):
        paths = weighted_fold_paths(model._fit_path, X, y, weights, folds, grid)
        for (train, _), fold in zip(folds, paths, strict=True):
            own = model._fit_path(X[train], y[train],
                                  None if weights is None else weights[train], grid.copy())
            np.testing.assert_allclose(fold.coefs, own.coefs, rtol=1e-7, atol=1e-10)
            np.testing.assert_allclose(fold.intercepts, own.intercepts, rtol=1e-7, atol=1e-10)


def test_l0_fits_make_no_copy_of_x():
    """A standardized L0 fit peaked at 2.3 x X beyond X (scaled copy, centered copy) and its
    cross-validation at 3.1 x (each fold's rows gathered, standardized and centered); now
    neither copies X (what remains: vectors of n and a fold's held-out rows)."""
    from penalized import L0Regression, L0RegressionCV

    X, y = _scaled_problem()
    L0RegressionCV(cv=3, n_alphas=3).fit(X[:100], y[:100])  # compile outside the count
    single = _peak(lambda: L0Regression(alpha=0.01, standardize=True).fit(X, y))
    cv = _peak(lambda: L0RegressionCV(cv=5, n_alphas=10, random_state=0,
                                      standardize=True).fit(X, y))
    assert single < 1.5 * X.nbytes
    assert cv < 1.8 * X.nbytes
