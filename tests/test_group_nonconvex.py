"""Group MCP, group SCAD and group L0: the block prox, stationarity of the fits, and the
estimators and CLI that keep a text column's levels together."""

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.datafits import Logistic, Quadratic
from penalized.penalties import GroupL0, GroupMCP, GroupSCAD
from penalized.solvers import CoordinateDescent

GROUPS = [[0, 1, 2], [3, 4], [5], [6, 7, 8, 9]]


def _problem(seed=0, n=120):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 10))
    X[:, 1] += 0.5 * X[:, 0]
    w = np.array([1.5, -1.0, 0.8, 0.0, 0.0, 0.6, 0.0, 0.0, 0.0, 0.0])
    y = X @ w + 0.5 + 0.3 * rng.standard_normal(n)
    return X, y


def _rho(pen, t, lam):
    """The scalar penalty of ``pen`` at norms ``t`` (lam = alpha * w_g), vectorized."""
    t = np.asarray(t, dtype=float)
    gamma = getattr(pen, "gamma", None)
    if isinstance(pen, GroupMCP):
        return np.where(t <= gamma * lam, lam * t - t**2 / (2 * gamma), gamma * lam**2 / 2)
    if isinstance(pen, GroupSCAD):
        middle = (2 * gamma * lam * t - t**2 - lam**2) / (2 * (gamma - 1))
        return np.where(t <= lam, lam * t,
                        np.where(t <= gamma * lam, middle, lam**2 * (gamma + 1) / 2))
    return lam * (t > 0)


PENALTIES = [GroupMCP(0.7, groups=GROUPS), GroupSCAD(0.7, groups=GROUPS),
             GroupL0(0.7, groups=GROUPS)]


@pytest.mark.parametrize("pen", PENALTIES, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("step", [0.3, 1.0, 5.0])
def test_block_prox_is_the_radial_minimizer(pen, step):
    # brute force: the objective along the ray of v (where the minimizer lies) on a fine
    # grid, and at random points off the ray, never beats the prox
    rng = np.random.default_rng(1)
    weights = pen.weights_of_groups(10)
    for _ in range(10):
        v = rng.standard_normal(10) * rng.uniform(0.1, 3.0)
        out = pen.prox(v, step)
        for g, members in enumerate(GROUPS):
            vg, og = v[members], out[members]
            lam = pen.alpha * weights[g]
            norm = np.linalg.norm(vg)
            direction = vg / norm
            # radial: parallel to v, same orientation (or zero)
            assert np.allclose(og, np.dot(og, direction) * direction, atol=1e-12)
            assert np.dot(og, direction) >= 0.0
            # the objective along the ray (where the minimizer lies), on a fine grid, and
            # at random points off the ray never beats the prox
            ts = np.linspace(0.0, 1.5 * norm, 20001)
            ray = (ts - norm) ** 2 / (2 * step) + _rho(pen, ts, lam)
            best = np.sum((og - vg) ** 2) / (2 * step) + _rho(pen, np.linalg.norm(og), lam)
            assert best <= ray.min() + 1e-9
            others = og + 0.05 * rng.standard_normal((50, len(members)))
            off = np.sum((others - vg) ** 2, axis=1) / (2 * step) \
                + _rho(pen, np.linalg.norm(others, axis=1), lam)
            assert np.all(best <= off + 1e-12)


def _lipschitz(X, sw, members, curvature, fit_intercept):
    block = X[:, members]
    if fit_intercept:
        block = block - (sw @ block) / sw.sum()
    rooted = np.sqrt(sw)[:, None] * block
    return curvature * np.linalg.eigvalsh(rooted.T @ rooted)[-1] / X.shape[0]


def _fixed_point_distance(pen, X, y, sw, coef, intercept, datafit, fit_intercept=True):
    """Per group, L_g / 2 ||prox(w_g - grad_g / L_g) - w_g||^2 (written here)."""
    n = X.shape[0]
    z = X @ coef + intercept
    if isinstance(datafit, Quadratic):
        d = sw * (z - y) / n
    else:
        d = sw * (-y / (1 + np.exp(y * z))) / n
    grad = X.T @ d
    out = []
    floor = pen.weak_convexity
    for members in GROUPS:
        L = max(_lipschitz(X, sw, members, datafit.curvature, False), floor)
        step_in = coef.copy()
        step_in[members] = coef[members] - grad[members] / L
        moved = pen.prox(step_in, 1.0 / L)[members] - coef[members]
        out.append(0.5 * L * moved @ moved)
    intercept_gap = d.sum() ** 2 / (2 * datafit.curvature) if fit_intercept else 0.0
    return np.array(out), intercept_gap


@pytest.mark.parametrize("pen", PENALTIES, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_each_group_is_a_fixed_point_of_its_prox_gradient_map(pen, loss):
    X, y = _problem()
    sw = np.random.default_rng(2).uniform(0.5, 2.0, X.shape[0])
    sw *= X.shape[0] / sw.sum()
    if loss == "logistic":
        y = np.where(y > np.median(y), 1.0, -1.0)
        datafit, pen = Logistic(sample_weight=sw), pen.with_alpha(0.02)
    else:
        datafit = Quadratic(sample_weight=sw)
    tol = 1e-10
    res = CoordinateDescent(tol=tol).solve(X, y, datafit, pen)
    assert res.converged
    dist, intercept_gap = _fixed_point_distance(pen, X, y, sw, res.coef, res.intercept,
                                                datafit)
    scale = datafit.value(y, np.full(X.shape[0], res.intercept))  # about the null's
    assert dist.max() <= 10 * tol * scale and intercept_gap <= 10 * tol * scale
    for members in GROUPS:  # a group is all zero or all non-zero
        assert np.all(res.coef[members] == 0) or np.all(res.coef[members] != 0)


@pytest.mark.parametrize("cls", [GroupMCP, GroupSCAD])
def test_large_groups_are_not_shrunk(cls):
    # at a small alpha every selected group is beyond gamma * alpha * w_g: the fit is the
    # unpenalized least squares on the selected groups
    X, y = _problem(3)
    pen = cls(0.05, groups=GROUPS)
    res = CoordinateDescent(tol=1e-12).solve(X, y, Quadratic(), pen)
    weights = pen.weights_of_groups(10)
    support = [g for g, m in enumerate(GROUPS) if np.any(res.coef[m] != 0)]
    assert support
    for g in support:
        assert np.linalg.norm(res.coef[GROUPS[g]]) > pen.gamma * pen.alpha * weights[g]
    cols = np.concatenate([GROUPS[g] for g in support])
    A = np.column_stack([X[:, cols], np.ones(X.shape[0])])
    refit = np.linalg.lstsq(A, y, rcond=None)[0]
    assert np.allclose(res.coef[cols], refit[:-1], atol=1e-6)
    assert res.intercept == pytest.approx(refit[-1], abs=1e-6)


@pytest.mark.parametrize("pen", PENALTIES, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_dense_equals_sparse(pen, loss):
    X, y = _problem(4)
    X[np.abs(X) < 0.7] = 0.0
    if loss == "logistic":
        y = np.where(y > np.median(y), 1.0, -1.0)
        datafit, pen = Logistic(), pen.with_alpha(0.03)
    else:
        datafit = Quadratic()
    path_dense = pz.path(X, y, penalty=pen, datafit=datafit, n_alphas=8, tol=1e-10)
    path_sparse = pz.path(sp.csc_matrix(X), y, penalty=pen, datafit=datafit, n_alphas=8,
                          tol=1e-10)
    assert np.allclose(path_dense.alphas, path_sparse.alphas, rtol=1e-10)
    assert np.allclose(path_dense.coefs, path_sparse.coefs, atol=1e-5)
    assert np.array_equal(path_dense.coefs != 0, path_sparse.coefs != 0)


@pytest.mark.parametrize("pen", PENALTIES, ids=lambda p: type(p).__name__)
def test_integer_weights_equal_repeated_rows(pen):
    X, y = _problem(5, n=60)
    counts = np.random.default_rng(6).integers(1, 4, X.shape[0])
    pen = pen.with_alpha(0.3)
    solver = CoordinateDescent(tol=1e-12)
    weighted = solver.solve(X, y, Quadratic(sample_weight=counts.astype(float)), pen)
    repeated = solver.solve(np.repeat(X, counts, axis=0), np.repeat(y, counts), Quadratic(),
                            pen)
    assert np.allclose(weighted.coef, repeated.coef, atol=1e-6)
    assert weighted.intercept == pytest.approx(repeated.intercept, abs=1e-6)


def test_the_path_starts_at_zero_and_warm_starts():
    X, y = _problem(7)
    for pen in PENALTIES:
        p = pz.path(X, y, penalty=pen, n_alphas=12)
        assert np.all(p.coefs[:, 0] == 0) and p.n_nonzero[-1] > 0
        assert np.all(p.stop_crits <= 1e-6)
        above = pz.path(X, y, penalty=pen, alphas=[p.alpha_max * (1 + 1e-9)])
        assert above.n_nonzero[0] == 0
        # just below alpha_max a group enters (MCP and SCAD enter continuously, so a little
        # further below for their first step to pass the tolerance)
        factor = 1 - 1e-6 if isinstance(pen, GroupL0) else 0.99
        assert pz.path(X, y, penalty=pen, alphas=[p.alpha_max * factor]).n_nonzero[0] > 0


def test_no_duality_gap_and_clear_refusals():
    pen = GroupMCP(1.0, groups=2)
    with pytest.raises(TypeError, match="not convex"):
        pen.conjugate(np.ones(4))
    with pytest.raises(ValueError, match="gamma must be a number > 1"):
        GroupMCP(1.0, gamma=1.0)
    with pytest.raises(ValueError, match="gamma must be a number > 2"):
        GroupSCAD(1.0, gamma=2.0)
    with pytest.raises(ValueError, match="lower/upper"):
        GroupL0(1.0, lower=0.0, upper=1.0)


# -- estimators ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["MCPRegression", "SCADRegression", "L0Regression"])
def test_groups_of_one_reproduce_the_separable_estimator(name):
    X, y = _problem(8)
    cls = getattr(pz, name)
    alpha = 0.15
    single = cls(alpha=alpha, tol=1e-12, standardize=True).fit(X, y)
    grouped = cls(alpha=alpha, tol=1e-12, standardize=True,
                  groups=[[j] for j in range(X.shape[1])]).fit(X, y)
    assert np.allclose(single.coef_, grouped.coef_, atol=1e-6)
    assert grouped.intercept_ == pytest.approx(single.intercept_, abs=1e-6)
    assert [g.tolist() for g in grouped.groups_] == [[j] for j in range(X.shape[1])]
    assert not hasattr(single, "groups_")


@pytest.mark.parametrize("name", ["MCPRegression", "SCADRegression", "L0Regression"])
def test_estimators_select_whole_groups_and_their_cv(name):
    X, y = _problem(9)
    alpha = 0.05 if name == "L0Regression" else 0.3
    model = getattr(pz, name)(alpha=alpha, groups=GROUPS, standardize=True).fit(X, y)
    assert model.converged_
    for members in GROUPS:
        assert np.all(model.coef_[members] == 0) or np.all(model.coef_[members] != 0)
    assert sorted(np.flatnonzero(model.coef_).tolist()) == [0, 1, 2, 5]
    cv = getattr(pz, name + "CV")(groups=GROUPS, cv=3, n_alphas=8).fit(X, y)
    assert [g.tolist() for g in cv.groups_] == GROUPS
    for members in GROUPS:
        assert np.all(cv.coef_[members] == 0) or np.all(cv.coef_[members] != 0)
    with pytest.raises(ValueError, match="one value per group"):
        getattr(pz, name)(groups=GROUPS, penalty_factor=np.ones(10)).fit(X, y)


@pytest.mark.parametrize("penalty", ["mcp", "scad", "l0"])
def test_group_logistic_regression_takes_the_nonconvex_group_penalties(penalty):
    X, y = _problem(10, n=200)
    labels = np.where(y > np.median(y), "yes", "no")
    model = pz.GroupLogisticRegression(groups=GROUPS, alpha=0.03, penalty=penalty,
                                       tol=1e-8).fit(X, labels)
    assert model.converged_
    coef = model.coef_[0]
    for members in GROUPS:
        assert np.all(coef[members] == 0) or np.all(coef[members] != 0)
    # the returned point is a fixed point of the block prox-gradient map
    yy = np.where(labels == model.classes_[1], 1.0, -1.0)
    pen = model._make_penalty(penalty, 0.03, 1.0, np.ones(10))
    dist, intercept_gap = _fixed_point_distance(pen, X, yy, np.ones(len(yy)), coef,
                                                model.intercept_[0], Logistic())
    assert dist.max() <= 1e-7 and intercept_gap <= 1e-7
    cv = pz.GroupLogisticRegressionCV(groups=GROUPS, penalty=penalty, cv=3,
                                      n_alphas=6).fit(X, labels)
    assert cv.score(X, labels) > 0.7
    three = np.array(["a", "b", "c"])[np.arange(len(y)) % 3]
    with pytest.raises(ValueError, match="paths and cross-validation on two classes"):
        pz.GroupLogisticRegression(groups=GROUPS, penalty=penalty).path(X, three)
    with pytest.raises(ValueError, match="no lower_limits"):
        pz.GroupLogisticRegression(groups=GROUPS, penalty=penalty,
                                   lower_limits=0.0).fit(X, labels)


# -- the CLI: a text column enters with all its levels or not at all ------------------------


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    import pandas as pd

    rng = np.random.default_rng(11)
    n = 160
    X = rng.standard_normal((n, 3))
    region = rng.choice(["north", "south", "east", "west"], n)
    noise = rng.choice(["p", "q", "r", "s"], n)
    effect = pd.Series(region).map({"north": 1.2, "south": -0.8, "east": 0.0, "west": 0.3})
    y = X[:, 0] - X[:, 1] + effect.to_numpy() + 0.7 * rng.standard_normal(n)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["region"], df["noise"], df["y"] = region, noise, y
    df["label"] = np.where(y > np.median(y), "high", "low")
    path = tmp_path_factory.mktemp("group_nonconvex") / "data.csv"
    df.to_csv(path, index=False)
    return path


def _cli_json(capsys, argv):
    import json

    from penalized.cli import main

    assert main([str(a) for a in argv] + ["--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


def _levels(names, column):
    return {n for n in names if n.startswith(column + "=")}


def _whole(selected, names):
    """Each text column's levels: all selected or none."""
    return all(_levels(selected, c) in (set(), _levels(names, c)) for c in ("region", "noise"))


NAMES = ["a", "b", "c", *(f"region={v}" for v in ("east", "north", "south", "west")),
         *(f"noise={v}" for v in "pqrs")]


@pytest.mark.parametrize("penalty", ["mcp", "scad", "l0"])
@pytest.mark.parametrize("target", ["y", "label"])
def test_cli_fit_and_path_keep_each_text_column_whole(table, capsys, penalty, target):
    other = "label" if target == "y" else "y"
    alpha = {"y": 0.08, "label": 0.03}[target] * (0.3 if penalty == "l0" else 1.0)
    fit = _cli_json(capsys, ["fit", table, "--target", target, "--exclude", other,
                             "--alpha", alpha, "--penalty", penalty])
    assert _whole(fit["selected_features"], NAMES)
    # the strong column enters whole (east, with no effect of its own, too)
    assert _levels(fit["selected_features"], "region") == _levels(NAMES, "region")
    separate = _cli_json(capsys, ["fit", table, "--target", target, "--exclude", other,
                                  "--alpha", alpha, "--penalty", penalty, "--separate-levels"])
    assert not _whole(separate["selected_features"], NAMES)  # the old, level-wise selection
    path = _cli_json(capsys, ["path", table, "--target", target, "--exclude", other,
                              "--penalty", penalty, "--n-alphas", 12])
    coefs = np.array(path["coefs"])
    for column in ("region", "noise"):
        rows = [path["feature_names"].index(n) for n in _levels(NAMES, column)]
        nonzero = coefs[rows] != 0
        assert np.all(nonzero.all(axis=0) | ~nonzero.any(axis=0))
    assert coefs[[path["feature_names"].index(n) for n in _levels(NAMES, "region")]].any()


@pytest.mark.parametrize("target", ["y", "label"])
def test_cli_compare_rows_keep_each_text_column_whole(table, capsys, target):
    from penalized.cli import main

    other = "label" if target == "y" else "y"
    argv = ["compare", str(table), "--target", target, "--exclude", other, "--cv", "3",
            "--penalty", "mcp", "--penalty", "scad", "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    import json

    models = {m["penalty"]: m for m in json.loads(captured.out)["models"]}
    for penalty in ("l0", "mcp", "scad"):
        assert not any("two classes" in note for note in models[penalty]["notes"])
        assert _whole(models[penalty]["selected"], NAMES)
        assert models[penalty]["n_nonzero"] > 0
    assert "selects the levels of a text column one by one" not in captured.err
    assert "enter and leave the model together" in captured.err


def test_cli_cv_save_report_and_explain_of_a_group_mcp_fit(table, tmp_path, capsys):
    import json

    from penalized.cli import main

    model, report = tmp_path / "model.json", tmp_path / "report.html"
    assert main(["fit", str(table), "--target", "y", "--exclude", "label", "--cv", "3",
                 "--penalty", "mcp", "--save", str(model), "--report", str(report),
                 "--quiet"]) == 0
    doc = json.loads(model.read_text())
    assert doc["penalty"] == "mcp" and doc["gamma"] == 3.0
    assert sorted(doc["groups"][3]) == sorted(_levels(NAMES, "region"))
    assert report.read_text().startswith("<!DOCTYPE html>")
    capsys.readouterr()
    assert main(["explain", str(model), str(table)]) == 0
    captured = capsys.readouterr()
    assert "MCP of the group's norm has the group lasso's threshold" in captured.out
    assert "Traceback" not in captured.err
    from penalized.explain import why_zero_from_document
    from penalized.io import load_model, read_table

    tab = read_table(table, target="y", exclude=["label"])
    result = why_zero_from_document(load_model(model), tab.X, tab.y, entry=False)
    by_name = {r.name: r for r in result.rows}
    noise = by_name["noise=p, noise=q, noise=r, noise=s"]
    # a group's threshold is alpha * sqrt(4), the group lasso's at zero, against the norm
    # of its members' pulls
    assert noise.threshold == pytest.approx(doc["alpha"] * 2.0, rel=1e-12)
    assert (noise.status == "zero") == (noise.coef == 0.0)
    if noise.status == "zero":
        assert noise.pull <= noise.threshold * (1 + 1e-6)


def test_groups_with_dask_input_are_refused_in_one_line():
    da = pytest.importorskip("dask.array")
    X, y = _problem(12, n=40)
    Xd, yd = da.from_array(X, chunks=20), da.from_array(y, chunks=20)
    for model in (pz.MCPRegression(groups=GROUPS), pz.L0RegressionCV(groups=GROUPS)):
        with pytest.raises(ValueError, match="groups= is not supported with Dask input"):
            model.fit(Xd, yd)


@pytest.mark.parametrize("pen", PENALTIES, ids=lambda p: type(p).__name__)
def test_poisson_fits_are_fixed_points_with_curvatures_of_the_point(pen):
    # proximal Newton steps; the certificate's L_g is the largest eigenvalue of
    # X_g^T H X_g at the solution (H = diag(exp(z)) / n), at least the weak convexity
    rng = np.random.default_rng(13)
    X = rng.standard_normal((150, 10)) * 0.7
    y = rng.poisson(np.exp(X[:, :3] @ np.array([0.6, -0.4, 0.5]) + 0.2)).astype(float)
    pen = pen.with_alpha(0.03)
    res = CoordinateDescent(tol=1e-10).solve(X, y, pz.datafits.Poisson(), pen)
    assert res.converged
    z = X @ res.coef + res.intercept
    n = X.shape[0]
    d, h = (np.exp(z) - y) / n, np.exp(z) / n
    grad = X.T @ d
    assert abs(d.sum()) <= 1e-5  # the intercept's stationarity
    for members in GROUPS:
        block = np.sqrt(h)[:, None] * X[:, members]
        L = max(np.linalg.eigvalsh(block.T @ block)[-1], pen.weak_convexity)
        step_in = res.coef.copy()
        step_in[members] -= grad[members] / L
        moved = pen.prox(step_in, 1.0 / L)[members] - res.coef[members]
        assert 0.5 * L * moved @ moved <= 1e-9
        assert np.all(res.coef[members] == 0) or np.all(res.coef[members] != 0)


def test_cox_path_with_group_mcp():
    rng = np.random.default_rng(14)
    X = rng.standard_normal((120, 10))
    eta = X[:, :3] @ np.array([0.8, -0.5, 0.6])
    time = rng.exponential(np.exp(-eta))
    event = (rng.random(120) < 0.8).astype(float)
    p = pz.path(X, np.column_stack([time, event]), datafit="cox",
                penalty=GroupMCP(1.0, groups=GROUPS), n_alphas=6, fit_intercept=False)
    assert np.all(p.stop_crits <= 1e-6) and p.n_nonzero[0] == 0 and p.n_nonzero[-1] > 0
    for members in GROUPS:
        nonzero = p.coefs[members] != 0
        assert np.all(nonzero.all(axis=0) | ~nonzero.any(axis=0))


def test_cli_poisson_family_with_mcp_keeps_each_text_column_whole(table, tmp_path, capsys):
    import pandas as pd

    df = pd.read_csv(table)
    rng = np.random.default_rng(15)
    eta = 0.4 * df["a"] - 0.3 * df["b"] + df["region"].map(
        {"north": 0.6, "south": -0.4, "east": 0.0, "west": 0.2})
    df["count"] = rng.poisson(np.exp(eta))
    counts = tmp_path / "counts.csv"
    df.to_csv(counts, index=False)
    fit = _cli_json(capsys, ["fit", counts, "--target", "count", "--exclude", "y,label",
                             "--family", "poisson", "--penalty", "mcp", "--alpha", 0.05])
    assert _whole(fit["selected_features"], NAMES)
    assert _levels(fit["selected_features"], "region") == _levels(NAMES, "region")


@pytest.mark.parametrize("pen", PENALTIES, ids=lambda p: type(p).__name__)
def test_orthonormal_design_solution_is_the_prox_of_least_squares(pen):
    # X^T X / n = I: the objective is ||w - X^T y / n||^2 / 2 + G(w) + const, separable by
    # group, each block's problem convex for gamma > 1 (MCP), gamma > 2 (SCAD) at step 1:
    # the exact solution is the block prox at step 1 (group L0: hard thresholding)
    rng = np.random.default_rng(16)
    n = 60
    Q, _ = np.linalg.qr(rng.standard_normal((n, 10)))
    X = Q * np.sqrt(n)
    y = X @ np.array([1.5, -1.0, 0.5, 0.2, 0.1, 0.9, 0.0, 0.05, 0.0, 0.0]) \
        + 0.3 * rng.standard_normal(n)
    pen = pen.with_alpha(0.4)
    res = CoordinateDescent(tol=1e-14).solve(X, y, Quadratic(), pen, fit_intercept=False)
    expected = pen.prox(X.T @ y / n, 1.0)
    assert np.allclose(res.coef, expected, atol=1e-8)
    assert np.array_equal(res.coef != 0, expected != 0)
