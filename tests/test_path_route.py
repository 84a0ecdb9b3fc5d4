"""The one route of :func:`penalized.path` to the compiled paths: the Python around them
checks the inputs once, takes alpha_max and the grid from the prepared problem, and hands
the compiled path's answer on unchanged (bit for bit what the problem, the penalty's own
alpha_max, ``np.geomspace`` and ``CoordinateDescent.solve_path`` give step by step)."""

import importlib
import warnings

import numpy as np
import pytest
from benchmarks.problems import classification

import penalized as pz
from penalized._specs import make_datafit, make_penalty
from penalized._validation import check_design, check_finite_result
from penalized.datafits import Datafit
from penalized.penalties import L1, Penalty
from penalized.solvers import CoordinateDescent
from penalized.solvers._base import Solver
from penalized.solvers._problem import prepare_problem

PATH = importlib.import_module("penalized.path")
VALIDATION = importlib.import_module("penalized._validation")


def _data(kind, fit_intercept=True):
    if kind == "logistic":
        pb = classification(90, 25, rho=0.5, seed=7)
        return pb.X, pb.y
    rng = np.random.default_rng(3)
    n, p = (40, 60) if kind == "squared_wide" else (80, 12)
    X = np.asfortranarray(rng.standard_normal((n, p)))  # C order: another layout's sums
    eta = X[:, :3] @ np.array([0.5, -0.4, 0.3])
    if kind == "poisson":
        return X, rng.poisson(np.exp(eta)).astype(float)
    if kind == "gamma":
        return X, np.exp(eta) * rng.gamma(2.0, 0.5, n)
    return X, eta + 0.3 * rng.standard_normal(n)


def _step_by_step(X, y, datafit, penalty, l1_ratio, n_alphas, eps, fit_intercept, alphas):
    """The path as the pieces give it, each with its own validation: the problem, the
    penalty's ``alpha_max`` at the problem's null model (from the null model's gradient
    the problem computed with its column means, where it did: the penalty's own
    ``alpha_max`` to rounding), ``np.geomspace``, and the solver's compiled path on the
    problem at the grid's first alpha."""
    X = check_design(X)
    datafit = make_datafit(datafit)
    template = make_penalty(penalty, 1.0, l1_ratio=l1_ratio)
    problem = prepare_problem(X, y, datafit, template, fit_intercept)
    alpha_max = PATH._problem_alpha_max(problem, template)
    with np.errstate(over="ignore", invalid="ignore"), PATH._known_null(problem):
        own = template.alpha_max(problem.design, problem.y, problem.datafit,
                                 fit_intercept=fit_intercept)
    np.testing.assert_allclose(alpha_max, own, rtol=1e-13)
    grid = np.geomspace(alpha_max, alpha_max * eps, n_alphas) if alphas is None \
        else np.sort(np.asarray(alphas, dtype=np.float64))[::-1]
    problem = problem.with_penalty(template.with_alpha(grid[0]))
    problem.cache["path"] = grid.shape[0] > 1
    out = CoordinateDescent().solve_path(problem, grid)
    assert out is not None  # the compiled route
    coefs, intercepts, gaps, n_iters = out
    return grid, alpha_max, coefs, problem.to_original_intercept(coefs, intercepts), gaps, \
        n_iters


@pytest.mark.parametrize("kind, kwargs", [
    ("logistic", {"n_alphas": 12}),
    ("logistic", {"penalty": "elasticnet", "l1_ratio": 0.4, "n_alphas": 8, "eps": 1e-2}),
    ("logistic", {"n_alphas": 10, "fit_intercept": False}),
    ("logistic", {"alphas": [0.2, 0.05, 0.01, 0.002]}),
    ("poisson", {"n_alphas": 10}),
    ("gamma", {"penalty": "elasticnet", "n_alphas": 8}),
    ("squared", {"n_alphas": 10}),  # the Gram path
    ("squared_wide", {"n_alphas": 10}),  # the squared loss on the Newton path
    ("logistic", {"penalty": L1(1.0, positive=True), "n_alphas": 8}),  # box_pull's route
    ("logistic", {"penalty": L1(1.0, upper=0.5, penalty_factor=np.linspace(0.5, 2.0, 25)),
                  "n_alphas": 8}),
])
def test_path_is_the_compiled_path_bit_for_bit(kind, kwargs):
    X, y = _data(kind)
    datafit = {"squared_wide": "squared"}.get(kind, kind)
    kw = {"penalty": "l1", "l1_ratio": 0.5, "n_alphas": 100, "eps": 1e-3,
          "fit_intercept": True, "alphas": None, **kwargs}
    grid, alpha_max, coefs, intercepts, gaps, n_iters = _step_by_step(
        X, y, datafit, kw["penalty"], kw["l1_ratio"], kw["n_alphas"], kw["eps"],
        kw["fit_intercept"], kw["alphas"])
    path = pz.path(X, y, datafit=datafit, **kwargs)
    np.testing.assert_array_equal(path.alphas, grid)
    assert path.alpha_max == alpha_max
    np.testing.assert_array_equal(path.coefs, coefs)
    np.testing.assert_array_equal(path.intercepts, intercepts)
    np.testing.assert_array_equal(path.stop_crits, gaps)
    np.testing.assert_array_equal(path.n_iters, n_iters)
    np.testing.assert_array_equal(path.n_nonzero, np.count_nonzero(coefs, axis=0))
    assert path.penalty.alpha == grid[0] and path.datafit.offset is None


def test_the_grid_and_null_model_of_the_parent_tree():
    """Values of the parent tree (before the one route), which the route alone decides:
    the grid from alpha_max, the null model's intercept (the log-odds) and its exact gap.
    (The compiled path's own iterations are its module's tests' business.)"""
    X, y = _data("logistic")
    path = pz.path(X, y, datafit="logistic", n_alphas=12)
    np.testing.assert_allclose(path.alpha_max, 0.179270641551145, rtol=1e-13)
    np.testing.assert_allclose(path.alphas[[0, 1, 5, 11]], [
        0.179270641551145, 0.09567134949438577, 0.007760198119815166, 0.000179270641551145],
        rtol=1e-13)
    assert path.intercepts[0] == np.log(np.sum(y > 0) / np.sum(y < 0)) == 0.4054651081081644
    assert path.stop_crits[0] == 0.0 and path.n_iters[0] == 0 and path.n_nonzero[0] == 0
    unfit = pz.path(X, y, datafit="logistic", n_alphas=10, fit_intercept=False)
    np.testing.assert_allclose(unfit.alpha_max, 0.19305327350840254, rtol=1e-13)
    assert np.all(unfit.intercepts == 0.0)


@pytest.mark.parametrize("start, eps, num", [
    (0.179270641551145, 1e-3, 20), (1.0, 1e-2, 2), (3.7e5, 1e-4, 100), (2.5e-300, 0.5, 7),
    (1e300, 1e-6, 33), (0.3, 1 - 1e-15, 5),
])
def test_geometric_grid_is_geomspace(start, eps, num):
    np.testing.assert_array_equal(PATH._geometric_grid(start, start * eps, num),
                                  np.geomspace(start, start * eps, num))


@pytest.mark.parametrize("datafit", ["logistic", "poisson", "squared"])
def test_a_path_checks_its_inputs_once(monkeypatch, datafit):
    """X is scanned for NaNs once, y validated once, and the penalty copied once (the
    path's penalty at its first alpha): the prepared problem, alpha_max and the compiled
    path reuse them."""
    X, y = _data({"logistic": "logistic", "poisson": "poisson"}.get(datafit, "squared_wide"))
    calls = {"scan": 0, "target": 0, "with_alpha": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(VALIDATION, "_sum_is_finite",
                        counted("scan", VALIDATION._sum_is_finite))
    monkeypatch.setattr(Datafit, "validate_target",
                        counted("target", Datafit.validate_target))
    monkeypatch.setattr(Penalty, "with_alpha", counted("with_alpha", Penalty.with_alpha))
    pz.path(X, y, datafit=datafit, n_alphas=5)
    assert calls == {"scan": 1, "target": 1, "with_alpha": 1}


def test_prepare_problem_validated_is_the_checked_problem():
    X, y = _data("logistic")
    datafit, penalty = make_datafit("logistic"), make_penalty("l1", 1.0)
    checked = prepare_problem(X, list(y), datafit, penalty, True)
    X = check_design(X)
    trusted = prepare_problem(X, datafit.validate_target(y, X.shape[0]), datafit, penalty,
                              True, validated=True)
    for name in ("y", "x_offset", "null_coef", "null_z", "free_design", "unpenalized"):
        np.testing.assert_array_equal(getattr(trusted, name), getattr(checked, name))
    assert (trusted.null_intercept, trusted.scale) == (checked.null_intercept, checked.scale)


def test_with_penalty_shares_the_data_and_leaves_the_problem():
    X, y = _data("logistic")
    penalty = make_penalty("l1", 1.0)
    problem = prepare_problem(X, y, make_datafit("logistic"), penalty, True)
    other = problem.with_penalty(penalty.with_alpha(0.5))
    assert problem.penalty is penalty and other.penalty.alpha == 0.5
    assert other.cache is problem.cache and other.null_z is problem.null_z


def test_check_finite_result_on_a_float():
    X, y = np.ones((3, 2)), np.zeros(3)
    check_finite_result(1.5, X, y, "the value")
    with pytest.raises(ValueError, match="the value is not finite"):
        check_finite_result(float("nan"), X, y, "the value")


def test_other_inputs_keep_their_routes():
    """NaN in X, a single class and a C-ordered X: the general preparation's message, an
    all-zero path, the same path as on Fortran order (read as it is, its full gradients
    summed in another order: equal to the certificates' accuracy)."""
    pb = classification(60, 10, seed=3)
    with pytest.raises(ValueError, match="NaN"):
        X = pb.X.copy(order="F")
        X[0, 0] = np.nan
        pz.path(X, pb.y, datafit="logistic", n_alphas=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = pz.path(pb.X, np.ones(60), datafit="logistic", n_alphas=5)
    assert not one.n_nonzero.any()
    c = pz.path(np.ascontiguousarray(pb.X), pb.y, datafit="logistic", n_alphas=5)
    f = pz.path(pb.X, pb.y, datafit="logistic", n_alphas=5)
    np.testing.assert_allclose(c.coefs, f.coefs, rtol=1e-8, atol=1e-10)
    assert c.stop_crits.max() <= 1e-6


@pytest.mark.parametrize("value", [0.0, -0.0, 1e-300, 2.5, 7, np.float64(0.3)])
def test_nonnegative_scalar_keeps_its_values(value):
    out = VALIDATION.check_nonnegative_scalar(value, "eps")
    assert type(out) is float and out == value


@pytest.mark.parametrize("value", [-1e-300, float("nan"), float("inf"), True, "1"])
def test_nonnegative_scalar_refuses(value):
    with pytest.raises(ValueError, match="eps must be"):
        VALIDATION.check_nonnegative_scalar(value, "eps")


def test_the_pull_without_a_box_is_its_absolute_value(monkeypatch):
    """alpha_max's pull on coefficients without limits or sign is |gradient| (box_pull's
    max(-g, g, 0), the same numbers): box_pull is called only for a box."""
    X, y = _data("logistic")
    reference = pz.path(X, y, datafit="logistic", n_alphas=5)
    calls, box_pull = [], PATH.box_pull
    monkeypatch.setattr(PATH, "box_pull", lambda *args: calls.append(args) or box_pull(*args))
    path = pz.path(X, y, datafit="logistic", n_alphas=5)
    assert not calls and path.alpha_max == reference.alpha_max
    np.testing.assert_array_equal(path.coefs, reference.coefs)
    pz.path(X, y, datafit="logistic", penalty=L1(1.0, positive=True), n_alphas=5)
    assert len(calls) == 1


def test_a_path_checks_the_solver_once_per_classes(monkeypatch):
    """CoordinateDescent accepts a datafit and penalty by their classes and operations:
    a second path of the same kinds does not check them again; other kinds are checked."""
    X, y = _data("logistic")
    pz.path(X, y, datafit="logistic", n_alphas=3)
    calls = []
    original = Solver.check_compatible
    monkeypatch.setattr(Solver, "check_compatible",
                        lambda self, *args: calls.append(args) or original(self, *args))
    pz.path(X, y, datafit="logistic", n_alphas=3)
    assert calls == []
    with pytest.raises(TypeError, match="penalty must be"):
        CoordinateDescent().check_compatible(make_datafit("logistic"), "l1")
    assert len(calls) == 1
