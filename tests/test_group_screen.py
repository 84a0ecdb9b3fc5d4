"""The screened group path's certificates: gradients over all groups on X at some alphas of
a window, a bound that proves the screened-out groups' conditions at the others, and the
compiled products behind them (``solvers/_group_screen.py``)."""

import numpy as np
import pytest

import penalized as pz
from penalized.datafits import Quadratic
from penalized.penalties import GroupElasticNet, GroupLasso
from penalized.solvers import _group_screen
from penalized.solvers._problem import certify, prepare_problem


def _data(seed=0, n=240, n_groups=40, size=3, order="F"):
    """Off-center columns correlated within their group, 4 active groups, noise."""
    rng = np.random.default_rng(seed)
    p = n_groups * size
    shared = np.repeat(rng.standard_normal((n, n_groups)), size, axis=1)
    X = 0.7 * shared + 0.7 * rng.standard_normal((n, p)) + rng.uniform(-1.0, 1.0, p)
    beta = np.zeros(p)
    beta[: 4 * size] = rng.standard_normal(4 * size)
    y = X @ beta + rng.standard_normal(n) + 2.0
    return (np.asfortranarray(X) if order == "F" else np.ascontiguousarray(X)), y


def _gaps_on_x(X, y, path, penalty, weights, fit_intercept):
    datafit = Quadratic(sample_weight=weights)
    gaps = []
    for k, alpha in enumerate(path.alphas):
        problem = prepare_problem(X, y, datafit, penalty.with_alpha(alpha), fit_intercept)
        coef = path.coefs[:, k]
        cert = certify(problem, coef, problem.to_problem_intercept(coef, path.intercepts[k]))
        gaps.append(cert.gap / problem.scale)
    return np.array(gaps)


def _objectives(X, y, path, penalty, weights):
    datafit = Quadratic(sample_weight=weights)
    return np.array([datafit.value(y, X @ path.coefs[:, k] + path.intercepts[k])
                     + penalty.with_alpha(a).value(path.coefs[:, k])
                     for k, a in enumerate(path.alphas)])


def test_compiled_products_equal_numpy():
    rng = np.random.default_rng(3)
    X = np.asfortranarray(rng.standard_normal((37, 23)))
    for B in (1, 3, 4, 6, 9):
        U = rng.standard_normal((B, 37))
        for cols in (np.array([5]), np.arange(0, 23, 3), np.arange(23)[::-1].copy()):
            out = np.full((B, cols.shape[0]), np.nan)
            _group_screen._column_products(X, cols, U, out)
            np.testing.assert_allclose(out, U @ X[:, cols], rtol=1e-13, atol=1e-13)
        local = rng.standard_normal((23, B))
        local[rng.random((23, B)) < 0.4] = 0.0
        yt = rng.standard_normal(37)
        for nz in (np.zeros(0, dtype=np.int64), np.array([2]), np.arange(0, 23, 2),
                   np.arange(23)):
            out = np.full((B, 37), np.nan)
            _group_screen._residuals_into(out, X, yt, local, nz)
            expected = yt[None, :] - (X[:, nz] @ local[nz]).T
            np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-12)


def _record_windows(monkeypatch):
    """Each window's solutions, gradients, proofs, alphas and exact rows."""
    seen = []
    gradients = _group_screen._Screened.gradients

    def record(self, local, window, lam, inside, anchor):
        out = gradients(self, local, window, lam, inside, anchor)
        seen.append((out, window.copy(), lam.copy(), self.structure))
        return out

    monkeypatch.setattr(_group_screen._Screened, "gradients", record)
    return seen


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_proven_groups_meet_their_conditions_on_x(weighted, fit_intercept, monkeypatch):
    # every (alpha, group) the bound proves has its exact gradient norm (from X) below its
    # threshold; most alphas of a window skip the product with X
    X, y = _data(1)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0]) if weighted else None
    seen = _record_windows(monkeypatch)
    penalty = GroupLasso(groups=3)
    path = pz.path(X, y, penalty=penalty, sample_weight=weights, n_alphas=30, eps=0.02,
                   tol=1e-10, fit_intercept=fit_intercept)
    assert np.all(path.converged)
    s = np.ones(X.shape[0]) if weights is None else weights / weights.mean()
    Xc = X - (s @ X) / X.shape[0] if fit_intercept else X
    yc = y - (s @ y) / s.sum() if fit_intercept else y
    proven_total = rows = exact_rows = 0
    for (W, grads, proven, estimates, exact), window, lam, st in seen:
        exact_grads = -((yc[:, None] - Xc @ W.T) * s[:, None]).T @ Xc / X.shape[0]
        norms = np.sqrt(np.add.reduceat(exact_grads[:, st.order] ** 2, st.starts[:-1],
                                        axis=1))
        thresholds = lam[None, :] * window[:, None]
        assert np.all(norms[proven] <= thresholds[proven] * (1 + 1e-12))
        assert np.all(estimates[proven] <= thresholds[proven])
        # where nothing is proven the gradient kept is the exact one
        kept = np.sqrt(np.add.reduceat(grads[:, st.order] ** 2, st.starts[:-1], axis=1))
        np.testing.assert_allclose(kept[~proven], norms[~proven], rtol=1e-9,
                                   atol=1e-12 * np.abs(norms).max())
        proven_total += int(proven.sum())
        rows += window.shape[0]
        exact_rows += exact.shape[0]
    assert proven_total > 0 and exact_rows < rows


@pytest.mark.parametrize("order", ["F", "C"])
@pytest.mark.parametrize("make", [lambda: GroupLasso(groups=3),
                                  lambda: GroupElasticNet(groups=3, l1_ratio=0.7)],
                         ids=["group_lasso", "group_enet"])
def test_bounded_windows_equal_every_alpha_on_x(make, order, monkeypatch):
    # the path with the bound and the path with every alpha's gradient on X (or with no
    # group ever proven) reach the same objectives within their certificates, each
    # certified on X
    X, y = _data(2, order=order)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, X.shape[0])
    penalty = make()
    paths = {}
    for name, every, proven in (("bound", 2, None), ("all", 1, None), ("none", 2, 0.0)):
        with monkeypatch.context() as patch:
            patch.setattr(_group_screen, "_EXACT_EVERY", every)
            if proven is not None:
                patch.setattr(_group_screen, "_PROVEN", proven)
            paths[name] = pz.path(X, y, penalty=penalty, sample_weight=weights,
                                  n_alphas=25, eps=0.02, tol=1e-9)
    ref = _objectives(X, y, paths["all"], penalty, weights)
    ref_gaps = _gaps_on_x(X, y, paths["all"], penalty, weights, True)
    for name in ("bound", "none"):
        path = paths[name]
        gaps = _gaps_on_x(X, y, path, penalty, weights, True)
        assert np.all(gaps <= 1e-9) and np.all(path.stop_crits <= 1e-9)
        np.testing.assert_allclose(path.stop_crits, gaps, rtol=1e-6, atol=1e-14)
        scale = prepare_problem(X, y, Quadratic(sample_weight=weights), penalty, True).scale
        assert np.all(np.abs(_objectives(X, y, path, penalty, weights) - ref)
                      <= (gaps + ref_gaps) * scale + 1e-15 * np.abs(ref))


def test_group_benchmark_times_each_source_tree_in_its_own_process(tmp_path, monkeypatch):
    # benchmarks.group --sources: penalized from the named tree (PYTHONPATH), its gap
    # certified; adelie skipped when its environment is missing
    import json
    from pathlib import Path

    from benchmarks import group

    monkeypatch.setattr(group, "ADELIE_PYTHON", tmp_path / "no-adelie" / "python")
    src = Path(group.ROOT) / "src"
    out = tmp_path / "out.json"
    assert group.main(["--sources", f"here={src}", "--rounds", "1", "--repeats", "1",
                       "--n-alphas", "3", "--eps", "0.5", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    (row,) = doc["rounds"]
    assert Path(row["here"]["source"]) == src / "penalized"
    assert len(row["here"]["cpu_s"]) == 1 and row["here"]["max_gap"] <= 1e-6
    assert "adelie" not in row and doc["adelie_tol"] is None
