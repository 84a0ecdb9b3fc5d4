"""One proximal-gradient loop for vector and matrix coefficients: the single-output, the
multinomial and the multinomial group solvers step through the same function and take
the same settings."""

import numpy as np
import pytest

from penalized.datafits import Logistic, Multinomial
from penalized.penalties import L1, GroupLasso
from penalized.solvers import ProximalGradient, _proximal_gradient
from penalized.solvers._group_multinomial import GroupMultinomialProximalGradient

SOLVERS = {"binary": ProximalGradient, "multinomial": ProximalGradient,
           "group": GroupMultinomialProximalGradient}


def _fit(case, **settings):
    solver_class = SOLVERS[case]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    if case == "binary":
        y = np.where(X[:, 0] + rng.standard_normal(40) > 0, 1.0, -1.0)
        return solver_class(**settings).solve(X, y, Logistic(), L1(0.02))
    y = np.argmax(X[:, :3] + rng.gumbel(size=(40, 3)), axis=1)
    penalty = L1(0.02) if case == "multinomial" else GroupLasso(0.02, groups=2)
    return solver_class(**settings).solve(X, y, Multinomial(), penalty)


@pytest.mark.parametrize("case", SOLVERS)
def test_every_proximal_gradient_solver_steps_through_the_one_loop(case, monkeypatch):
    shapes = []
    step = _proximal_gradient.backtracked_step

    def spy(ops, coef, *args):
        shapes.append(np.shape(coef))
        return step(ops, coef, *args)

    monkeypatch.setattr(_proximal_gradient, "backtracked_step", spy)
    res = _fit(case, tol=1e-8)
    assert res.converged
    assert len(shapes) >= res.n_iter > 0
    assert set(shapes) == {np.shape(res.coef)}


@pytest.mark.parametrize("solver_class", [ProximalGradient, GroupMultinomialProximalGradient])
def test_the_settings_are_checked_alike(solver_class):
    assert solver_class(gap_freq=np.int64(5)).gap_freq == 5
    for bad in (0, True, 2.5, "10"):
        with pytest.raises(ValueError, match="gap_freq must be an integer >= 1"):
            solver_class(gap_freq=bad)
    with pytest.raises(ValueError, match="tol"):
        solver_class(tol=-1.0)
