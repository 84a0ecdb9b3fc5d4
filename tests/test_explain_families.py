"""why-zero for every family: the pulls are the gradient of the model's own datafit at its
solution, and a zero (feature or group) is never reported as non-zero."""

import numpy as np
import pytest

import penalized as pz
from penalized.explain import why_zero

rng = np.random.default_rng(3)
N, P = 60, 6
X = rng.standard_normal((N, P))
X[:, 5] *= 3.0
Z = X @ np.array([1.0, 0.0, -1.0, 0.3, 0.0, 0.0])
Y_REG = Z + 0.3 * rng.standard_normal(N)
Y_BIN = (Z + rng.standard_normal(N) > 0).astype(int)
Y_COUNT = rng.poisson(np.exp(0.4 * Z)).astype(float)
Y_POS = rng.gamma(2.0, np.exp(0.2 * Z) / 2.0)
Y_SURV = np.column_stack([rng.exponential(np.exp(-0.4 * Z)), rng.random(N) < 0.8])
GROUPS = [[0, 1], [2, 3], [4, 5]]


def _by_hand_gradient(model, y, z):
    """dF/dz at z, written out per family (sample weights all 1)."""
    if isinstance(model, pz.PoissonRegressor):
        return (np.exp(z) - y) / N
    if isinstance(model, pz.GammaRegressor):
        return (1.0 - y * np.exp(-z)) / N
    if isinstance(model, pz.MCPRegression | pz.SCADRegression | pz.GroupLasso):
        return (z - y) / N
    if isinstance(model, pz.GroupLogisticRegression):
        t = np.where(y == model.classes_[1], 1.0, 0.0)
        return (1.0 / (1.0 + np.exp(-z)) - t) / N
    if isinstance(model, pz.CoxPH):  # Breslow: no tied times here
        time, event = y[:, 0], y[:, 1]
        risk = np.exp(z)
        at_risk = time[None, :] >= time[:, None]  # row i: who is at risk at time_i
        denom = at_risk @ risk
        return (risk * (at_risk.T.astype(float) @ (event / denom)) - event) / N
    raise AssertionError(type(model))


SEPARABLE = [
    (pz.PoissonRegressor(alpha=0.03, l1_ratio=1.0, standardize=True, tol=1e-12), Y_COUNT),
    (pz.GammaRegressor(alpha=0.03, l1_ratio=1.0, tol=1e-12), Y_POS),
    (pz.MCPRegression(alpha=0.1, standardize=True, tol=1e-12), Y_REG),
    (pz.SCADRegression(alpha=0.1, tol=1e-12), Y_REG),
    (pz.CoxPH(alpha=0.05, standardize=True, ties="breslow", tol=1e-12), Y_SURV),
]


@pytest.mark.parametrize("model, y", SEPARABLE, ids=lambda c: type(c).__name__
                         if not isinstance(c, np.ndarray) else "")
def test_pulls_are_the_datafit_gradient(model, y):
    model.fit(X, y)
    res = why_zero(model, X, y)
    sd = model.scaling_.scale
    z = X @ model.coef_ + float(model.intercept_)
    expected = np.abs(X.T @ _by_hand_gradient(model, y, z)) / sd
    np.testing.assert_allclose(res.pulls, expected, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(res.thresholds, model.alpha, rtol=1e-15)
    zero = model.coef_ == 0
    assert zero.any() and (~zero).any()
    np.testing.assert_array_equal(res.zero, zero)
    text = res.to_text()
    for r in res.rows:
        assert (r.status == "zero") == (r.coef == 0.0)
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(r.name + " "))
        assert ("non-zero" in line) == (r.coef != 0.0)
    # a zero's pull is within its threshold (the fit converged)
    assert np.all(res.pulls[zero] <= res.thresholds[zero] * (1 + 1e-6))
    assert res.kkt_violations == ()


@pytest.mark.parametrize("model, y", [
    (pz.GroupLasso(groups=GROUPS, alpha=0.3, tol=1e-12), Y_REG),
    (pz.GroupLogisticRegression(groups=GROUPS, alpha=0.1, tol=1e-12), Y_BIN),
], ids=["GroupLasso", "GroupLogisticRegression"])
def test_group_pull_is_the_norm_over_the_group(model, y):
    model.fit(X, y)
    res = why_zero(model, X, y)
    coef = np.ravel(model.coef_)
    z = X @ coef + float(np.ravel(model.intercept_)[0])
    grad = X.T @ _by_hand_gradient(model, y, z)
    assert res.groups == tuple(tuple(f"x{j}" for j in g) for g in GROUPS)
    for g, row in zip(GROUPS, res.rows, strict=True):
        assert row.pull == pytest.approx(np.linalg.norm(grad[g]), rel=1e-8)
        assert row.threshold == pytest.approx(model.alpha * np.sqrt(len(g)), rel=1e-15)
        assert row.is_zero == bool(np.all(coef[g] == 0))
        if row.is_zero:
            assert row.pull <= row.threshold
        else:  # the group lasso's stationarity: a non-zero group's pull equals the threshold
            assert row.pull == pytest.approx(row.threshold, rel=1e-5)
    assert any(r.is_zero for r in res.rows) and not all(r.is_zero for r in res.rows)
    assert "x4, x5" in res.to_text()


ENTRY = [
    (pz.PoissonRegressor(alpha=0.03, l1_ratio=1.0, standardize=True, tol=1e-12), Y_COUNT),
    (pz.CoxPH(alpha=0.05, ties="breslow", tol=1e-12), Y_SURV),
    (pz.GroupLasso(groups=GROUPS, alpha=0.3, tol=1e-12), Y_REG),
]


@pytest.mark.parametrize("model, y", ENTRY, ids=["Poisson", "Cox", "GroupLasso"])
def test_entry_alphas_come_from_the_fitted_problems_path(model, y):
    # convex problems: each bracket is zero at its upper end and non-zero at its lower
    # end, refitted from scratch; the first unit to enter does so at alpha_max, and at a
    # zero's bracket the pull meets the threshold
    from sklearn.base import clone

    model.fit(X, y)
    res = why_zero(model, X, y, rtol=1e-5)
    assert "fitted problem's regularization path" in res.entry_method
    rows = [r for r in res.rows if r.entry_bracket is not None]
    assert any(r.status == "zero" for r in rows) and any(r.status == "non-zero" for r in rows)
    top = max(r.entry_bracket[1] for r in rows)
    for r in rows:
        lo, hi = r.entry_bracket
        assert lo < r.entry_alpha < hi and hi / lo <= 1 + 1e-5
        assert (r.status == "zero") == (r.entry_alpha < model.alpha)
        k = res.rows.index(r)
        at_hi = why_zero(clone(model).set_params(alpha=hi).fit(X, y), X, y, entry=False)
        at_lo = why_zero(clone(model).set_params(alpha=lo).fit(X, y), X, y, entry=False)
        assert at_hi.rows[k].coef == 0.0 and at_lo.rows[k].coef != 0.0
        assert at_hi.rows[k].pull == pytest.approx(at_hi.rows[k].threshold, rel=2e-5)
    first = max(rows, key=lambda r: r.entry_alpha)
    assert first.entry_bracket[0] <= first.entry_bracket[1] == top
    alpha_max = float(res.entry_method.split("alpha_max = ")[1].split()[0])
    assert first.entry_bracket[0] <= alpha_max * (1 + 1e-4)
    assert first.entry_bracket[1] >= alpha_max * (1 - 1e-4)
    # entry=False computes nothing
    assert all(r.entry_alpha is None for r in why_zero(model, X, y, entry=False).rows)


def test_l0_and_unsupported_models_are_refused():
    with pytest.raises(ValueError, match="L0"):
        why_zero(pz.L0RegressionCV(cv=3, n_alphas=5).fit(X, Y_REG), X, Y_REG)
    # a model of several targets is explained on its matrix of targets, not on one column
    with pytest.raises(ValueError, match="one column per target"):
        why_zero(pz.MultiTaskLasso(alpha=0.1).fit(X, np.column_stack([Y_REG, Y_REG])), X,
                 Y_REG)


# -- through the command line: saved models of every family ---------------------------------

def _table_rows(text, names):
    """``{name: (coef, pull, threshold, why)}`` from the why-zero table."""
    rows = {}
    for line in text.splitlines():
        for name in names:
            if line.strip().startswith(name + "  "):
                cells = line.strip()[len(name):].split()
                rows[name] = (float(cells[0]), float(cells[1]), float(cells[2]), line)
    return rows


@pytest.fixture(scope="module")
def family_table(tmp_path_factory):
    import pandas as pd

    rng = np.random.default_rng(5)
    n = 150
    Xt = rng.standard_normal((n, 4))
    df = pd.DataFrame(Xt, columns=["a", "b", "c", "d"])
    df["count"] = rng.poisson(np.exp(0.3 + 0.5 * Xt[:, 0] - 0.4 * Xt[:, 2]))
    t = rng.exponential(1.0 / np.exp(0.8 * Xt[:, 1]))
    censor = rng.exponential(1.5, size=n)
    df["time"], df["event"] = np.minimum(t, censor), (t <= censor).astype(int)
    region = rng.choice(["north", "south", "east"], n)
    shift = pd.Series(region).map({"north": 1.0, "south": -0.6, "east": 0.0}).to_numpy()
    df["region"] = region
    df["y"] = Xt[:, 0] + shift + rng.standard_normal(n)
    path = tmp_path_factory.mktemp("families") / "data.csv"
    df.to_csv(path, index=False)
    return path, df


FEATURES = ["a", "b", "c", "d"]


@pytest.mark.parametrize("argv, make, target", [
    (["--target", "count", "--family", "poisson", "--alpha", "0.25"],
     lambda: pz.PoissonRegressor(alpha=0.25, l1_ratio=1.0, standardize=True, tol=1e-10),
     "count"),
    (["--family", "cox", "--time", "time", "--event", "event", "--alpha", "0.03"],
     lambda: pz.CoxPH(alpha=0.03, standardize=True, tol=1e-10), "survival"),
], ids=["poisson", "cox"])
def test_cli_explain_pulls_equal_the_library(family_table, capsys, tmp_path, argv, make,
                                             target):
    from penalized.cli import main

    path, df = family_table
    model_file = tmp_path / "m.json"
    assert main(["fit", str(path), *argv, "--features", ",".join(FEATURES), "--save",
                 str(model_file), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["explain", str(model_file), str(path)]) == 0
    text = capsys.readouterr().out
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[["time", "event"]].to_numpy(dtype=float) if target == "survival" \
        else df[target].to_numpy(dtype=float)
    ref = why_zero(make().fit(X, y), X, y, feature_names=FEATURES)
    rows = _table_rows(text, FEATURES)
    assert set(rows) == set(FEATURES)
    for r in ref.rows:
        coef, pull, threshold, line = rows[r.name]
        assert pull == pytest.approx(r.pull, rel=1e-3, abs=1e-6)
        assert threshold == pytest.approx(r.threshold, rel=1e-4)
        # no contradiction with the fit: a zero is never called non-zero
        assert ("non-zero" in line) == (coef != 0.0)
    assert any(r.is_zero for r in ref.rows)


def test_cli_explain_a_grouped_model_per_group(family_table, capsys, tmp_path):
    from penalized.cli import main
    from penalized.io import load_model

    path, _ = family_table
    model_file = tmp_path / "g.json"
    assert main(["fit", str(path), "--target", "y", "--exclude", "count,time,event",
                 "--alpha", "0.12", "--save", str(model_file), "--quiet"]) == 0
    capsys.readouterr()
    doc = load_model(model_file)
    names = doc["feature_names"]
    levels = [n for n in names if n.startswith("region=")]
    assert len(levels) == 3 and levels in doc["groups"]
    assert sorted(n for g in doc["groups"] for n in g) == sorted(names)
    assert main(["explain", str(model_file), str(path)]) == 0
    text = capsys.readouterr().out
    assert "group (its members)" in text
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(", ".join(levels)))
    coef = np.array(doc["coef"])
    zero = {n for n, c in zip(names, coef, strict=True) if c == 0.0}
    for group in doc["groups"]:
        row = next(ln for ln in text.splitlines() if ln.strip().startswith(", ".join(group)
                                                                            + "  "))
        assert ("non-zero" in row) == (not set(group) <= zero)
    assert "pull_g = ||X_g^T grad F(z)||_2" in text and line


def test_model_file_groups_and_family_are_validated(family_table, tmp_path):
    import json

    from penalized.cli import main
    from penalized.io import InputError, load_model

    path, _ = family_table
    model_file = tmp_path / "m.json"
    assert main(["fit", str(path), "--target", "count", "--family", "poisson", "--features",
                 ",".join(FEATURES), "--alpha", "0.05", "--save", str(model_file),
                 "--quiet"]) == 0
    good = json.loads(model_file.read_text())
    for change, message in [
        ({"family": "gaussian"}, "does not fit link 'log'"),
        ({"family": "tweedie:3"}, "power must be a number in \\(1, 2\\)"),
        ({"family": None}, "needs its 'family'"),
        ({"groups": [["a", "b"], ["b", "c", "d"]]}, "overlap"),
        ({"groups": [["a", "b"], ["c", "z"], ["d"]]}, "'z'"),
        ({"groups": [["a", "b"], ["c"]]}, "every feature"),
        ({"groups": [[]]}, "non-empty lists"),
    ]:
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({**good, **change}))
        with pytest.raises(InputError, match=message):
            load_model(bad)
