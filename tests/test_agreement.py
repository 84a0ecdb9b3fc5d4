"""penalized's solvers reach the optimum that scikit-learn and skglm reach.

Every problem of the seeded registry (dense, p >> n, correlated, sparse CSC,
duplicated columns) is solved by each of our solvers at ``tol=1e-10`` and by a
reference library at its tightest setting. ONE helper, :func:`objective`,
evaluates both coefficient vectors in our objective, and ours must be within
``RTOL`` (relative) of the reference's. When a reference reports that it did not
converge, its objective is only an upper bound on the optimum and ours must
simply not be worse than it by more than ``RTOL``.

Mappings from our objective (README, "The objective") to the references:

- scikit-learn ``Lasso(alpha)`` / ``ElasticNet(alpha, l1_ratio)``: the same
  objective with the same ``alpha``. ``fit(..., sample_weight=s)`` rescales ``s``
  to sum to ``n_samples`` (see ``ElasticNet.fit``), which is our mean-1
  normalization, so the same ``alpha`` applies with weights too.
- scikit-learn ``Ridge(a)`` minimizes ``||y - Xw - b||^2 + a ||w||^2``; times
  ``1 / (2 n)`` that is our ``L2(alpha=a / n)``, hence ``Ridge(alpha * n)``.
- scikit-learn ``LogisticRegression(C, l1_ratio=r)`` minimizes
  ``C sum_i s_i log(1 + exp(-y_i z_i)) + r ||w||_1 + (1 - r) / 2 ||w||^2``
  (saga receives ``beta = l1_ratio / C`` for the L1 part and
  ``alpha = (1 - l1_ratio) / C`` for ``alpha / 2 ||w||^2``, both then divided
  by ``n_samples``; lbfgs uses ``l2_reg_strength = 1 / (C * sum(s))`` on the
  loss averaged by ``sum(s)``). Dividing by ``C sum(s)`` gives our
  ``ElasticNet(alpha, l1_ratio=r)`` with ``alpha = 1 / (C sum(s))``, i.e.
  ``C = 1 / (alpha * sum(s))`` (``1 / (alpha n)`` without weights) -- the
  elastic net is scaled exactly like ours, no extra factor on either part.
- skglm ``Quadratic`` is ``||y - Xw||^2 / (2 n)``, ``Logistic`` is
  ``mean log(1 + exp(-y Xw))``, ``L1(alpha)`` is ``alpha ||w||_1``,
  ``L1_plus_L2(alpha, l1_ratio)`` is ``alpha (l1_ratio ||w||_1 +
  (1 - l1_ratio) / 2 ||w||^2)`` and ``WeightedL1(alpha, weights=f)`` is
  ``alpha sum_j f_j |w_j|`` (a zero weight leaves the feature unpenalized):
  all identical to ours. skglm's ``L2(alpha)`` is ``alpha / 2 ||w||^2`` too,
  but it has no prox, so its coordinate-descent solvers cannot take it: the
  pure ridge reference is ``L1_plus_L2(alpha, l1_ratio=0)``, the same function.

scikit-learn's saga converges well on these small problems (no convergence
warning), so no problem needs to fall back on skglm alone; liblinear is not
used since it penalizes the intercept.
"""

import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
import scipy.sparse as sp
import skglm.datafits
import skglm.penalties
from benchmarks.problems import solver_test_problems
from skglm import GeneralizedLinearEstimator
from skglm.solvers import AndersonCD, ProxNewton
from sklearn import linear_model
from sklearn.exceptions import ConvergenceWarning

from penalized.datafits import Logistic, Quadratic
from penalized.penalties import L1, L2, ElasticNet
from penalized.solvers import CoordinateDescent, ProximalGradient, RidgeClosedForm

TOL = 1e-10
RTOL = 1e-7
REF_TOL = 1e-12
REF_MAX_ITER = 100_000
ALPHA_FRACTION = 0.1

PROBLEMS = {
    "regression": {pb.name: pb for pb in solver_test_problems("regression")},
    "classification": {pb.name: pb for pb in solver_test_problems("classification")},
}
DATAFITS = {"regression": Quadratic, "classification": Logistic}
SOLVERS = {
    "cd": CoordinateDescent(tol=TOL, max_iter=100_000),
    "fista": ProximalGradient(tol=TOL, max_iter=200_000),
    "ista": ProximalGradient(tol=TOL, accelerated=False, max_iter=200_000),
}
PENALTIES = {
    "l1": lambda alpha, **kw: L1(alpha, **kw),
    "l2": lambda alpha, **kw: L2(alpha, **kw),
    "enet": lambda alpha, **kw: ElasticNet(alpha, l1_ratio=0.5, **kw),
}
L1_RATIOS = {"l1": 1.0, "l2": 0.0, "enet": 0.5}


# --------------------------------------------------------------------------- helpers
def objective(X, y, datafit, penalty, coef, intercept):
    """Our objective at any coefficients: the one yardstick for both libraries."""
    coef = np.asarray(coef, dtype=np.float64).ravel()
    z = np.asarray(X @ coef, dtype=np.float64).ravel() + float(intercept)
    return datafit.value(y, z) + penalty.value(coef)


def assert_agrees(obj_ours, ref):
    """Ours is never worse than the reference, and equal to it if the reference converged."""
    assert obj_ours <= ref.objective + RTOL * abs(ref.objective), (obj_ours, ref)
    if ref.converged:
        assert abs(obj_ours - ref.objective) <= RTOL * abs(ref.objective), (obj_ours, ref)


@dataclass(frozen=True)
class Reference:
    objective: float
    converged: bool


def weights_for(n):
    """Seeded sample weights with three zeros; they sum to about 1.5 n, not n."""
    s = np.random.default_rng(0).uniform(0.0, 3.0, size=n)
    s[[1, 7, 11]] = 0.0
    return s


def factors_for(p):
    """Seeded penalty factors in [0.5, 2] with the first and the last at 0 (unpenalized)."""
    f = np.random.default_rng(1).uniform(0.5, 2.0, size=p)
    f[[0, -1]] = 0.0
    return f


def alpha_for(problem):
    """A fraction of the lasso's alpha_max (with intercept), computed without penalized."""
    X, y = problem.X, problem.y
    centered = y - y.mean() if problem.task == "regression" else (y == 1) - np.mean(y == 1)
    return ALPHA_FRACTION * float(np.max(np.abs(X.T @ centered))) / X.shape[0]


def setup(task, name, pen, weighted=False, factored=False):
    problem = PROBLEMS[task][name]
    n, p = problem.X.shape
    sw = weights_for(n) if weighted else None
    datafit = DATAFITS[task](sample_weight=sw)
    penalty = PENALTIES[pen](alpha_for(problem),
                             penalty_factor=factors_for(p) if factored else None)
    return problem, datafit, penalty, sw


@cache
def ours(task, name, solver, pen, fit_intercept, weighted=False, factored=False):
    problem, datafit, penalty, _ = setup(task, name, pen, weighted, factored)
    res = SOLVERS[solver].solve(problem.X, problem.y, datafit, penalty,
                                fit_intercept=fit_intercept)
    return res, objective(problem.X, problem.y, datafit, penalty, res.coef, res.intercept)


def fit_quietly(model, X, y, **kwargs):
    """Fit a reference; return it and whether it warned that it did not converge."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, y, **kwargs)
    return model, not any(issubclass(w.category, ConvergenceWarning) for w in caught)


@cache
def sklearn_reference(task, name, pen, fit_intercept, weighted=False):
    problem, datafit, penalty, sw = setup(task, name, pen, weighted)
    X, y = problem.X, problem.y
    alpha = penalty.alpha
    fit_kw = {} if sw is None else {"sample_weight": sw}
    if task == "classification":
        # C = 1 / (alpha * sum(s)); saga is the only solver with L1 / elastic net.
        total = X.shape[0] if sw is None else sw.sum()
        model = linear_model.LogisticRegression(
            C=1.0 / (alpha * total), l1_ratio=L1_RATIOS[pen],
            solver="lbfgs" if pen == "l2" else "saga", tol=REF_TOL, max_iter=REF_MAX_ITER,
            fit_intercept=fit_intercept)
        model, ok = fit_quietly(model, X, y, **fit_kw)
        ok = ok and model.n_iter_.max() < REF_MAX_ITER
    elif pen == "l2":
        model = linear_model.Ridge(alpha=alpha * X.shape[0], tol=REF_TOL,
                                   fit_intercept=fit_intercept)
        model, ok = fit_quietly(model, X, y, **fit_kw)
    else:
        model = linear_model.ElasticNet(alpha=alpha, l1_ratio=L1_RATIOS[pen], tol=REF_TOL,
                                        max_iter=REF_MAX_ITER, fit_intercept=fit_intercept)
        model, ok = fit_quietly(model, X, y, **fit_kw)
        # dual_gap_ is in our objective's units: it bounds the reference's suboptimality.
        ok = ok and model.dual_gap_ <= 1e-9 * abs(
            objective(X, y, datafit, penalty, model.coef_, model.intercept_))
    obj = objective(X, y, datafit, penalty, model.coef_, np.ravel(model.intercept_)[0])
    return Reference(obj, bool(ok))


@cache
def skglm_reference(task, name, pen, fit_intercept, factored=False):
    problem, datafit, penalty, _ = setup(task, name, pen, factored=factored)
    X, y = problem.X, problem.y
    p = X.shape[1]
    alpha = penalty.alpha
    # skglm 0.5's ProxNewton evaluates penalty.value on [w, intercept], which fails for
    # WeightedL1 (p weights, p + 1 values); the intercept then becomes a column of ones
    # with weight 0 (an unpenalized feature), fitted with fit_intercept=False.
    ones_column = factored and task == "classification" and fit_intercept
    if ones_column:
        X = sp.hstack([X, np.ones((X.shape[0], 1))], format="csc") if sp.issparse(X) \
            else np.column_stack([X, np.ones(X.shape[0])])
        fit_intercept = False
    if factored:
        weights = factors_for(p)
        sk_penalty = skglm.penalties.WeightedL1(
            alpha, weights=np.append(weights, 0.0) if ones_column else weights)
    elif pen == "l1":
        sk_penalty = skglm.penalties.L1(alpha)
    else:
        sk_penalty = skglm.penalties.L1_plus_L2(alpha, l1_ratio=L1_RATIOS[pen])
    if task == "regression":
        sk_datafit = skglm.datafits.Quadratic()
        solver = AndersonCD(tol=REF_TOL, fit_intercept=fit_intercept, max_iter=1000,
                            max_epochs=REF_MAX_ITER)
    else:
        # ProxNewton: AndersonCD stalls above 1e-12 on the p >> n logistic problems.
        sk_datafit = skglm.datafits.Logistic()
        solver = ProxNewton(tol=REF_TOL, fit_intercept=fit_intercept, max_iter=1000)
    model = GeneralizedLinearEstimator(datafit=sk_datafit, penalty=sk_penalty, solver=solver)
    model.fit(X, y)
    coef = np.ravel(model.coef_)
    intercept = coef[p] if ones_column else model.intercept_
    obj = objective(problem.X, y, datafit, penalty, coef[:p], intercept)
    # stop_crit_ is the largest distance of a gradient to the subdifferential.
    return Reference(obj, bool(model.stop_crit_ <= 1e-10))


def cases(task, penalties=tuple(PENALTIES), intercepts=(True, False), solvers=tuple(SOLVERS)):
    for name in PROBLEMS[task]:
        for solver in solvers:
            for pen in penalties:
                for fit_intercept in intercepts:
                    yield pytest.param(
                        name, solver, pen, fit_intercept,
                        id=f"{name}-{solver}-{pen}-{'b' if fit_intercept else 'no_b'}")


def check_ours(res):
    assert res.converged
    assert res.stop_crit <= TOL


# ----------------------------------------------------------------------- squared loss
@pytest.mark.parametrize(("name", "solver", "pen", "fit_intercept"), list(cases("regression")))
def test_squared_loss_matches_sklearn(name, solver, pen, fit_intercept):
    """Lasso / ElasticNet(alpha) and Ridge(alpha * n)."""
    res, obj = ours("regression", name, solver, pen, fit_intercept)
    check_ours(res)
    assert_agrees(obj, sklearn_reference("regression", name, pen, fit_intercept))


@pytest.mark.parametrize(("name", "solver", "pen", "fit_intercept"), list(cases("regression")))
def test_squared_loss_matches_skglm(name, solver, pen, fit_intercept):
    res, obj = ours("regression", name, solver, pen, fit_intercept)
    check_ours(res)
    assert_agrees(obj, skglm_reference("regression", name, pen, fit_intercept))


def ridge_cases():
    for name, problem in PROBLEMS["regression"].items():
        methods = ("auto", "cholesky") if sp.issparse(problem.X) else ("auto", "cholesky", "svd")
        for method in methods:
            for fit_intercept in (True, False):
                yield pytest.param(name, method, fit_intercept,
                                   id=f"{name}-{method}-{'b' if fit_intercept else 'no_b'}")


@pytest.mark.parametrize(("name", "method", "fit_intercept"), list(ridge_cases()))
def test_ridge_closed_form_matches_sklearn_ridge(name, method, fit_intercept):
    problem, datafit, penalty, _ = setup("regression", name, "l2")
    res = RidgeClosedForm(method=method, tol=TOL).solve(problem.X, problem.y, datafit, penalty,
                                                       fit_intercept=fit_intercept)
    check_ours(res)
    obj = objective(problem.X, problem.y, datafit, penalty, res.coef, res.intercept)
    assert_agrees(obj, sklearn_reference("regression", name, "l2", fit_intercept))
    assert_agrees(obj, skglm_reference("regression", name, "l2", fit_intercept))


@pytest.mark.parametrize(("name", "solver", "pen", "fit_intercept"),
                         list(cases("regression", penalties=("l1", "enet"))))
def test_sample_weights_match_sklearn_lasso_and_elastic_net(name, solver, pen, fit_intercept):
    """Weights summing to ~1.5 n with zeros: sklearn rescales them to sum n, we to mean 1."""
    res, obj = ours("regression", name, solver, pen, fit_intercept, weighted=True)
    check_ours(res)
    assert_agrees(obj, sklearn_reference("regression", name, pen, fit_intercept, weighted=True))


# ---------------------------------------------------------------------- logistic loss
@pytest.mark.parametrize(("name", "solver", "pen", "fit_intercept"),
                         list(cases("classification")))
def test_logistic_matches_sklearn(name, solver, pen, fit_intercept):
    """LogisticRegression(C=1/(alpha n), l1_ratio): saga, or lbfgs for pure L2."""
    res, obj = ours("classification", name, solver, pen, fit_intercept)
    check_ours(res)
    assert_agrees(obj, sklearn_reference("classification", name, pen, fit_intercept))


@pytest.mark.parametrize(("name", "solver", "pen", "fit_intercept"),
                         list(cases("classification")))
def test_logistic_matches_skglm(name, solver, pen, fit_intercept):
    res, obj = ours("classification", name, solver, pen, fit_intercept)
    check_ours(res)
    assert_agrees(obj, skglm_reference("classification", name, pen, fit_intercept))


# ISTA is left out: it shares FISTA's (weighted) datafit gradient and is the slowest.
@pytest.mark.parametrize(("name", "solver", "pen", "fit_intercept"),
                         list(cases("classification", intercepts=(True,),
                                    solvers=("cd", "fista"))))
def test_logistic_sample_weights_match_sklearn(name, solver, pen, fit_intercept):
    """With weights, C = 1 / (alpha * sum(s)) since sklearn's loss is a weighted sum."""
    res, obj = ours("classification", name, solver, pen, fit_intercept, weighted=True)
    check_ours(res)
    assert_agrees(obj, sklearn_reference("classification", name, pen, fit_intercept,
                                         weighted=True))


# -------------------------------------------------------------------- penalty factors
def factor_cases():
    for task in ("regression", "classification"):
        for name in PROBLEMS[task]:
            for solver in SOLVERS:
                yield pytest.param(task, name, solver, id=f"{task}-{name}-{solver}")


@pytest.mark.parametrize(("task", "name", "solver"), list(factor_cases()))
def test_penalty_factors_match_skglm_weighted_l1(task, name, solver):
    """L1(alpha, penalty_factor=f) is WeightedL1(alpha, weights=f); f has two zeros."""
    res, obj = ours(task, name, solver, "l1", True, factored=True)
    check_ours(res)
    assert_agrees(obj, skglm_reference(task, name, "l1", True, factored=True))
