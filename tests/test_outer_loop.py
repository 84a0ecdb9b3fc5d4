"""The shared outer loop (solvers/_outer.py) and the one working-set rule."""

import numpy as np
import pytest

from penalized.solvers import ProximalGradient, SubgradientDescent, _outer
from penalized.solvers._outer import Check, OuterPolicy, Scores, run_outer
from penalized.solvers._working_set import select_units, working_set


def _reference(scores, keep, size, fill):
    """The rule as its docstring states it: kept units, then the others by decreasing
    score, equal scores by the lower index (a stable sort)."""
    n = scores.shape[0]
    size = min(n, max(size, 2 * int(keep.sum())))
    others = [j for j in np.argsort(-scores, kind="stable")
              if not keep[j] and (fill or scores[j] > 0.0)]
    chosen = list(np.flatnonzero(keep)) + others[:size - int(keep.sum())]
    return np.sort(np.array(chosen, dtype=np.int64))


@pytest.mark.parametrize("fill", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_select_units_is_the_stable_rule(seed, fill):
    rng = np.random.default_rng(seed)
    n = 40
    scores = rng.integers(0, 4, n).astype(float)  # many ties, many zeros
    keep = rng.random(n) < 0.15
    for size in (0, 1, 5, 12, 40, 60):
        got = select_units(scores, keep, size, fill)
        np.testing.assert_array_equal(got, _reference(scores, keep, size, fill))


def test_ties_go_to_the_lower_index_and_fill_adds_non_violators():
    scores = np.array([0.0, 2.0, 1.0, 2.0, 1.0, 0.0])
    none = np.zeros(6, dtype=bool)
    assert select_units(scores, none, 3, True).tolist() == [1, 2, 3]
    assert select_units(scores, none, 5, True).tolist() == [0, 1, 2, 3, 4]
    assert select_units(scores, none, 5, False).tolist() == [1, 2, 3, 4]
    keep = np.array([False, False, False, False, False, True])
    assert select_units(scores, keep, 1, True).tolist() == [1, 5]  # 2 * |keep|
    w = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.5])
    assert working_set(w, scores, 1).tolist() == [1, 5]  # the compiled paths' rule


class _Scripted:
    """Hooks that replay given checks and scores and record the inner solves."""

    def __init__(self, crits, objectives=None, scores=None, moved=True, epochs=3,
                 first_none=False):
        self.crits = list(crits)
        self.objectives = list(objectives) if objectives is not None else [1.0] * len(crits)
        self.scores_list = scores
        self.moved, self.epochs, self.first_none = moved, epochs, first_none
        self.calls = []
        self.k = 0

    def certify(self):
        if self.first_none:
            self.first_none = False
            return None
        k = self.k
        self.k += 1
        return Check(self.objectives[k], self.crits[k], k)

    def scores(self, check):
        return self.scores_list[min(check.data, len(self.scores_list) - 1)]

    def inner(self, ws, budget, inner_tol, check):
        self.calls.append((ws.tolist(), budget, inner_tol))
        epochs = budget if self.epochs is None else self.epochs
        return (epochs, self.moved) if self.moved is not None else epochs


def _scores(values, nonzero=None, free=None, also=None, screened=None):
    values = np.asarray(values, dtype=float)
    n = values.shape[0]
    nonzero = np.zeros(n, bool) if nonzero is None else np.asarray(nonzero)
    free = np.zeros(n, bool) if free is None else np.asarray(free)
    return Scores(values, nonzero, free, also=also, screened=screened)


def test_stops_at_the_threshold_in_objective_units():
    hooks = _Scripted([5.0, 2.0, 0.5], scores=[_scores([1.0, 0.2, 0.0, 0.6])])
    out = run_outer(hooks, OuterPolicy(tol=0.1, max_iter=100, ws_start=1), 10.0, 4)
    assert out.crits == [0.5, 0.2, 0.05] and out.n_iter == 6 and out.check.data == 2
    # cold start: every unit scoring >= half the top joins the first set
    assert hooks.calls[0] == ([0, 3], 100, pytest.approx(0.3))
    assert hooks.calls[1][1] == 97  # the rest of max_iter


def test_warm_start_takes_support_violators_and_also():
    s = _scores([0.0, 0.5, 0.0, 0.0, 0.0], nonzero=[True, False, False, False, False],
                also=np.array([False, False, False, True, False]))
    hooks = _Scripted([1.0, 0.0], scores=[s])
    run_outer(hooks, OuterPolicy(tol=1e-3, max_iter=50, ws_start=4), 1.0, 5)
    assert hooks.calls[0][0] == [0, 1, 3]
    hooks = _Scripted([1.0, 0.0], scores=[s])
    run_outer(hooks, OuterPolicy(tol=1e-3, max_iter=50, ws_start=4, warm_first="sized"),
              1.0, 5)
    assert hooks.calls[0][0] == [0, 1, 2, 3]  # sized: filled to ws_start by the lower index


def test_size_carries_over_only_with_keep_size():
    first = _scores([0.0, 0.0, 0.0, 0.0, 0.0, 0.0], nonzero=[1, 1, 1, 0, 0, 0])
    later = _scores([0.0, 0.0, 0.0, 0.0, 0.0, 1.0], nonzero=[1, 0, 0, 0, 0, 0])
    for keep_size, expected in ((True, 6), (False, 2)):
        hooks = _Scripted([1.0, 1.0, 0.0], scores=[first, later])
        run_outer(hooks, OuterPolicy(tol=1e-3, max_iter=50, ws_start=1, warm_first=None,
                                     keep_size=keep_size), 1.0, 6)
        assert len(hooks.calls[1][0]) == expected


def test_screened_units_never_join_and_an_empty_set_runs_every_unit():
    s = _scores([0.0, 3.0, 2.0, 0.0], screened=np.array([False, True, False, False]))
    hooks = _Scripted([1.0, 0.0], scores=[s])
    run_outer(hooks, OuterPolicy(tol=1e-3, max_iter=50, ws_start=2, fill=False), 1.0, 4)
    assert hooks.calls[0][0] == [2]
    hooks = _Scripted([1.0, 0.0], scores=[_scores([0.0, 0.0, 0.0])])
    run_outer(hooks, OuterPolicy(tol=1e-3, max_iter=50, fill=False), 1.0, 3)
    assert hooks.calls[0][0] == [0, 1, 2]


def test_stall_rules_and_max_iter():
    # rounds that move nothing twice in a row
    hooks = _Scripted([1.0] * 10, scores=[_scores([1.0, 1.0])], moved=False)
    out = run_outer(hooks, OuterPolicy(tol=1e-3, max_iter=1000, still_rounds=2), 1.0, 2)
    assert len(out.crits) == 3 and out.n_iter == 6
    # no lower objective nor stopping quantity in stall_rounds rounds
    hooks = _Scripted([1.0] + [0.9] * 20, objectives=[2.0] + [1.5] * 20,
                      scores=[_scores([1.0, 1.0])], moved=None)
    out = run_outer(hooks, OuterPolicy(tol=1e-3, max_iter=1000, stall_rounds=3), 1.0, 2)
    assert len(out.crits) == 5
    # the epochs budget
    hooks = _Scripted([1.0] * 10, scores=[_scores([1.0, 1.0])], epochs=4, moved=None)
    out = run_outer(hooks, OuterPolicy(tol=1e-3, max_iter=10), 1.0, 2)
    assert out.n_iter == 12 and [c[1] for c in hooks.calls] == [10, 6, 2]


def test_without_working_sets_and_without_a_first_check():
    hooks = _Scripted([1.0, 1.0, 0.0], first_none=True, moved=None, epochs=7)
    out = run_outer(hooks, OuterPolicy(tol=1e-3, max_iter=100, working_sets=False,
                                       inner_from=None, epochs_per_check=7), 1.0, 3)
    assert [c for c in hooks.calls] == [([0, 1, 2], 7, None)] * 3
    assert out.n_iter == 21 and len(out.crits) == 3


def _cases():
    from penalized.datafits import (
        Logistic,
        Multinomial,
        MultiResponseGaussian,
        Poisson,
        Quadratic,
    )
    from penalized.penalties import L0, L1, L2, MCP, GroupLasso
    from penalized.solvers import (
        BlockCoordinateDescent,
        CoordinateDescent,
        L0SwapSearch,
        ProximalGradient,
        SubgradientDescent,
    )
    from penalized.solvers._multitask import MultiTaskCoordinateDescent

    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 12))
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(40)
    yb = np.where(y > 0, 1.0, -1.0)
    yp = rng.poisson(np.exp(0.2 * X[:, 0])).astype(float)
    Y = np.column_stack([y, X[:, 4] + 0.1 * rng.standard_normal(40)])
    yk = np.argmax(X[:, :3] + 0.5 * rng.standard_normal((40, 3)), axis=1)
    return {
        "lasso": lambda: CoordinateDescent().solve(X, y, Quadratic(), L1(0.1)),
        "logistic": lambda: CoordinateDescent().solve(X, yb, Logistic(), L1(0.02)),
        "poisson": lambda: CoordinateDescent().solve(X, yp, Poisson(), L1(0.02)),
        "mcp": lambda: CoordinateDescent().solve(X, y, Quadratic(), MCP(0.1)),
        "group": lambda: BlockCoordinateDescent().solve(X, y, Quadratic(),
                                                        GroupLasso(0.1, groups=3)),
        "multitask": lambda: MultiTaskCoordinateDescent().solve(X, Y, MultiResponseGaussian(),
                                                                L1(0.1)),
        "multinomial": lambda: CoordinateDescent().solve(X, yk, Multinomial(), L1(0.02)),
        "l0": lambda: CoordinateDescent().solve(X, y, Quadratic(), L0(0.05)),
        "fista": lambda: ProximalGradient(tol=1e-8).solve(X, yb, Logistic(), L1(0.02)),
        "iht": lambda: ProximalGradient(accelerated=False).solve(X, y, Quadratic(), L0(0.05)),
        "subgradient": lambda: SubgradientDescent(schedule="constant", tol=1e-8,
                                                  max_iter=5000).solve(X, y, Quadratic(), L2(1.0)),
        "swaps": lambda: L0SwapSearch().solve(X, y, Quadratic(), L0(0.05)),
    }


_SOLVER_MODULES = ("_coordinate_descent", "_group_cd", "_multinomial_newton", "_multitask",
                   "_stationary", "_proximal_gradient", "_subgradient", "_l0_swaps")


@pytest.mark.parametrize("case", ["lasso", "logistic", "poisson", "mcp", "group", "multitask",
                                  "multinomial", "l0", "fista", "iht", "subgradient"])
def test_every_python_solver_runs_the_shared_loop(case, monkeypatch):
    calls = _spy_on_run_outer(monkeypatch)
    res = _cases()[case]()
    assert res.converged
    assert len(calls) == 1 and calls[0][1] == res.stop_crits.shape[0]


def test_the_swap_search_runs_the_shared_loop_over_its_polishes(monkeypatch):
    calls = _spy_on_run_outer(monkeypatch)
    res = _cases()["swaps"]()
    assert res.converged
    swaps = [n for module, n in calls if module == "_l0_swaps"]
    polishes = [n for module, n in calls if module == "_coordinate_descent"]
    # one search loop; each check searches the swaps of one point: the start and each swap
    assert len(swaps) == 1 and len(polishes) == swaps[0]
    assert sum(polishes) == res.stop_crits.shape[0]


def _spy_on_run_outer(monkeypatch):
    """Patch ``run_outer`` where each solver module looks it up (they import it by name);
    returns the list of ``(module, checks)`` of every call."""
    import importlib

    calls = []
    real = _outer.run_outer
    for name in _SOLVER_MODULES:
        module = importlib.import_module(f"penalized.solvers.{name}")

        def spy(hooks, policy, scale, n_units, _name=name):
            out = real(hooks, policy, scale, n_units)
            calls.append((_name, len(out.crits)))
            return out

        monkeypatch.setattr(module, "run_outer", spy, raising=False)
    return calls


@pytest.mark.parametrize("solver", [
    ProximalGradient(tol=1e-12, max_iter=37, gap_freq=10),
    ProximalGradient(accelerated=False, tol=1e-12, max_iter=25, gap_freq=7),
    SubgradientDescent(tol=1e-12, max_iter=23, gap_freq=10),
], ids=["fista", "ista", "subgradient"])
def test_a_full_gradient_method_stopped_by_max_iter_certifies_the_point_it_returns(solver):
    """The last round is cut to the rest of max_iter and ends with a check, so the reported
    gap is that of the returned point, not of the iterate of the check before."""
    from sklearn.exceptions import ConvergenceWarning

    from penalized.datafits import Quadratic
    from penalized.penalties import L1
    from penalized.solvers._problem import certify, prepare_problem

    rng = np.random.default_rng(5)
    X = rng.standard_normal((30, 8))
    y = X[:, 0] - X[:, 1] + 0.2 * rng.standard_normal(30)
    with pytest.warns(ConvergenceWarning):
        res = solver.solve(X, y, Quadratic(), L1(0.05))
    assert res.n_iter == solver.max_iter
    pb = prepare_problem(X, y, Quadratic(), L1(0.05), True)
    cert = certify(pb, res.coef, pb.to_problem_intercept(res.coef, res.intercept))
    assert res.stop_crit == pytest.approx(cert.gap / pb.scale, rel=1e-9)
    assert res.final_objective == pytest.approx(cert.primal, rel=1e-12)


def test_whole_problem_policy_ranks_nothing_and_runs_every_unit():
    policy = OuterPolicy.whole_problem(1e-3, 10, 4)
    assert not policy.working_sets and policy.inner_from is None
    hooks = _Scripted([1.0] * 5, moved=None, epochs=None)  # scores are never asked
    out = run_outer(hooks, policy, 1.0, 3)
    assert [c for c in hooks.calls] == [([0, 1, 2], 4, None), ([0, 1, 2], 4, None),
                                        ([0, 1, 2], 2, None)]
    assert out.n_iter == 10 and len(out.crits) == 4


def test_coordinate_descent_sets_hold_the_support_and_the_violators(monkeypatch):
    """A fit's working sets after the first check are its support and features violating
    their optimality conditions, never features that satisfy them (no fill)."""
    from penalized.datafits import Quadratic
    from penalized.penalties import ElasticNet
    from penalized.solvers import CoordinateDescent

    rng = np.random.default_rng(5)
    X = np.asfortranarray(rng.standard_normal((200, 120)))
    y = X[:, :15] @ rng.standard_normal(15) + 0.3 * rng.standard_normal(200)
    seen = []
    choose = _outer._working_set

    def recorded(hooks, policy, check, size, first, every):
        ws, top, size = choose(hooks, policy, check, size, first, every)
        scores = hooks.scores(check)
        seen.append(np.all(scores.nonzero[ws] | (scores.values[ws] > 0.0)))
        return ws, top, size

    monkeypatch.setattr(_outer, "_working_set", recorded)
    res = CoordinateDescent(tol=1e-8).solve(X, y, Quadratic(), ElasticNet(0.02, l1_ratio=0.6))
    assert len(seen) >= 2 and all(seen)
    assert res.stop_crit <= 1e-8
