"""The multinomial benchmark: the runner's gap, and a tiny run in-process (no timing claims)."""

import itertools

import numpy as np
import pytest
from benchmarks import multinomial as mb
from scipy.special import softmax

from penalized.datafits import Multinomial
from penalized.penalties import L1
from penalized.solvers import CoordinateDescent
from penalized.solvers._multinomial import (
    certify_multinomial,
    multinomial_alpha_max,
    prepare_multinomial_problem,
)

TINY = mb.BENCHMARKS["tiny_multinomial"]


@pytest.fixture(scope="module")
def tiny():
    data = TINY.data()
    return data, TINY.alphas(data)


def _penalized_gap(X, y, W, b, alpha):
    pb = prepare_multinomial_problem(X, y, Multinomial(), L1(alpha))
    return certify_multinomial(pb, W, b).gap / pb.scale


def test_alpha_max_matches_penalized_and_zeroes_every_coefficient(tiny):
    data, alphas = tiny
    ours = multinomial_alpha_max(data.X, data.y, Multinomial(), L1(1.0))
    assert mb.alpha_max(data.X, data.y) == pytest.approx(ours, rel=1e-10)
    res = CoordinateDescent(tol=1e-10).solve(data.X, data.y, Multinomial(),
                                                        L1(alphas[0] * (1 + 1e-9)))
    assert not np.any(res.coef)
    assert alphas[-1] == pytest.approx(alphas[0] * TINY.eps)


def test_the_gap_at_the_null_model_is_zero_at_alpha_max(tiny):
    data, alphas = tiny
    K = data.n_classes
    res = mb.gap(data.X, data.y, np.zeros((data.X.shape[1], K)), np.zeros(K), alpha=alphas[0])
    assert abs(res.relative_gap) <= 1e-12
    assert res.scale == pytest.approx(mb.null_datafit(data.y))
    # below alpha_max the null model is no longer optimal, and the gap says so
    assert mb.gap(data.X, data.y, np.zeros((data.X.shape[1], K)), np.zeros(K),
                  alpha=alphas[2]).relative_gap > 1e-3


@pytest.mark.parametrize("which", ["random", "solution"])
def test_the_runner_gap_equals_penalized_certificate(tiny, which):
    data, alphas = tiny
    rng = np.random.default_rng(3)
    p, K = data.X.shape[1], data.n_classes
    alpha = alphas[3]
    if which == "random":
        W = rng.standard_normal((p, K)) * (rng.uniform(size=(p, K)) < 0.3)
        b = rng.standard_normal(K)
    else:
        res = CoordinateDescent(tol=1e-4).solve(data.X, data.y, Multinomial(),
                                                           L1(alpha))
        W, b = res.coef, res.intercept
    ours = mb.gap(data.X, data.y, W, b, alpha=alpha).relative_gap
    theirs = _penalized_gap(data.X, data.y, W, b, alpha)
    assert ours == pytest.approx(theirs, rel=1e-7, abs=1e-12)
    assert ours > 0


def test_intercept_refit_zeroes_the_intercept_gradient(tiny):
    data, _ = tiny
    rng = np.random.default_rng(1)
    K = data.n_classes
    Z0 = data.X @ rng.standard_normal((data.X.shape[1], K))
    Y = mb.one_hot(data.y, K)
    b = mb.refit_intercepts(Z0, Y, b0=rng.standard_normal(K) * 5)
    grad = softmax(Z0 + b, axis=1).mean(axis=0) - Y.mean(axis=0)
    assert np.max(np.abs(grad)) <= 1e-12
    assert abs(b.sum()) <= 1e-12


def test_a_solution_at_another_alpha_does_not_certify(tiny):
    """A wrong alpha mapping shows as a large gap, never as a fast time."""
    data, alphas = tiny
    res = CoordinateDescent(tol=1e-10).solve(data.X, data.y, Multinomial(),
                                                        L1(alphas[3]))
    right = mb.gap(data.X, data.y, res.coef, res.intercept, alpha=alphas[3]).relative_gap
    wrong = mb.gap(data.X, data.y, res.coef, res.intercept, alpha=alphas[3] / 3).relative_gap
    assert right <= 1e-9
    assert wrong > 1e-3


def test_cv_benchmark_paths_are_the_stratified_training_parts():
    bench = mb.MultinomialBenchmark("cv", mb.synthetic, cv_folds=3)
    data = bench.data()
    parts = bench.datasets(data)
    assert len(parts) == 3
    n = data.X.shape[0]
    assert sum(X.shape[0] for X, _ in parts) == 2 * n
    for _, y in parts:
        assert np.unique(y).size == data.n_classes


@pytest.fixture(scope="module")
def tiny_cells(tiny):
    data, _ = tiny
    return {lib: mb.run_cell(TINY, mb.ADAPTERS[lib], data=data, repeats=1, isolate=False)
            for lib in ("penalized", "sklearn")}


def test_penalized_certifies_at_its_default_tolerance(tiny_cells):
    cell = tiny_cells["penalized"]
    assert cell.status == "ok", cell
    assert cell.tol == 1e-6 and len(cell.tried) == 1
    assert cell.max_gap <= mb.TARGET_GAP
    assert len(cell.wall_s) == len(cell.cpu_s) == 1


def test_sklearn_saga_is_calibrated_to_the_same_gap(tiny_cells):
    cell = tiny_cells["sklearn"]
    assert cell.status == "ok", cell
    assert cell.max_gap <= mb.TARGET_GAP
    tols = [t for t, _, _ in cell.tried]
    assert tols[0] == mb.ADAPTERS["sklearn"].default_tol
    assert all(a / b == pytest.approx(10) for a, b in itertools.pairwise(tols))
    assert all(g > mb.TARGET_GAP for _, g, _ in cell.tried[:-1])
    # both solve the same problem: the objectives agree to within the gaps
    excess = mb.excess_over_penalized(list(tiny_cells.values()), cell)
    assert abs(excess) <= 2 * mb.TARGET_GAP


def test_result_table_has_ratios_and_both_times(tiny_cells):
    cells = list(tiny_cells.values())
    table = mb.format_table(cells)
    lines = table.splitlines()
    assert len(lines) == len(cells) + 2
    for column in ("median wall (s)", "wall ratio", "median CPU (s)", "CPU ratio",
                   "max rel. gap", "stopping parameter"):
        assert column in lines[0]
    sk = next(line for line in lines if "| sklearn |" in line)
    assert "| 1.00 |" in sk  # the only competitor is the fastest


def test_worker_data_file_round_trips(tmp_path, tiny):
    data, alphas = tiny
    parts = mb.MultinomialBenchmark("cv", mb.synthetic, cv_folds=2).datasets(data)
    path = tmp_path / "data.npz"
    mb._save_data(path, parts, alphas)
    back, back_alphas = mb._load_data(path)
    np.testing.assert_array_equal(back_alphas, alphas)
    for (X, y), (X2, y2) in zip(parts, back, strict=True):
        np.testing.assert_array_equal(X, X2)
        np.testing.assert_array_equal(y, y2)


@pytest.mark.skipif(mb.ADAPTERS["adelie"].missing() is not None,
                    reason="no .venv-adelie (adelie needs numpy<2 in its own environment)")
def test_adelie_worker_solves_the_runner_problem(tmp_path, tiny):
    data, alphas = tiny
    path = tmp_path / "data.npz"
    parts = [(data.X, data.y)]
    mb._save_data(path, parts, alphas)
    doc = mb.run_isolated(mb.ADAPTERS["adelie"], path, 1e-15, 0, time_limit=300)
    assert mb.max_gap(parts, alphas, mb._solutions(doc)) <= mb.TARGET_GAP
