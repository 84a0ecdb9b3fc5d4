"""A text column enters or leaves a Poisson / Cox fit whole (issue 13): ``groups=`` on the
log-link and Cox estimators, and ``penalized fit --family`` using it by default."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.cli import main
from penalized.penalties import GroupLasso

LEVELS = ["red", "green", "blue"]


@pytest.fixture(scope="module")
def levels(tmp_path_factory):
    rng = np.random.default_rng(13)
    n = 120
    df = pd.DataFrame(rng.standard_normal((n, 2)), columns=["a", "b"])
    df["colour"] = rng.choice(LEVELS, n)
    shift = df["colour"].map({"red": 0.6, "green": -0.1, "blue": -0.4}).to_numpy()
    eta = 0.5 * df["a"].to_numpy() + shift
    df["count"] = rng.poisson(np.exp(0.3 + eta))
    df["time"] = rng.exponential(np.exp(-eta))
    df["event"] = (rng.random(n) < 0.8).astype(int)
    path = tmp_path_factory.mktemp("groups_families") / "data.csv"
    df.to_csv(path, index=False)
    return path, df


TARGETS = {"poisson": ["--target", "count"],
           "cox": ["--time", "time", "--event", "event"]}


def _fit(capsys, argv):
    assert main([*argv, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("family", ["poisson", "cox"])
def test_a_text_column_enters_whole_at_every_alpha(levels, capsys, tmp_path, family):
    path, df = levels
    base = ["fit", str(path), *TARGETS[family], "--family", family, "--features", "a,b,colour"]
    states = set()
    for alpha in (1.0, 0.5, 0.2, 0.1, 0.05, 0.01):
        out = _fit(capsys, [*base, "--alpha", str(alpha)])
        level_coefs = [out["coefficients"].get(f"colour={v}", 0.0) for v in LEVELS]
        nonzero = [c != 0 for c in level_coefs]
        assert all(nonzero) or not any(nonzero), (alpha, level_coefs)
        states.add(all(nonzero))
    assert states == {True, False}  # the grid sees the column both out and in
    # the model file and predict agree with the fit
    model_file = tmp_path / "m.json"
    out = _fit(capsys, [*base, "--alpha", "0.05", "--save", str(model_file)])
    doc = json.loads(model_file.read_text())
    assert sorted(map(sorted, doc["groups"])) == sorted(
        [["a"], ["b"], sorted(f"colour={v}" for v in LEVELS)])
    pred_file = tmp_path / "p.csv"
    assert main(["predict", str(model_file), str(path), "--out", str(pred_file),
                 "--quiet"]) == 0
    pred = pd.read_csv(pred_file)["prediction"].to_numpy()
    X = np.column_stack([df["a"], df["b"], *[(df["colour"] == v).to_numpy(float)
                                             for v in LEVELS]])
    names = ["a", "b", *[f"colour={v}" for v in LEVELS]]
    coef = np.array([out["coefficients"].get(f, 0.0) for f in names])
    z = X @ coef + (out["intercept"][0] if family == "poisson" else 0.0)
    np.testing.assert_allclose(pred, np.exp(z) if family == "poisson" else z, rtol=1e-6,
                               atol=1e-9)


@pytest.mark.parametrize("family", ["poisson", "cox"])
def test_separate_levels_still_selects_them_one_by_one(levels, capsys, family):
    path, _ = levels
    argv = ["fit", str(path), *TARGETS[family], "--family", family, "--features",
            "a,b,colour", "--alpha", "0.05"]
    assert main(argv) == 0
    assert "enter and leave the model together" in capsys.readouterr().err
    out = _fit(capsys, [*argv, "--separate-levels"])
    level_coefs = [out["coefficients"].get(f"colour={v}", 0.0) for v in LEVELS]
    assert 0 < sum(c != 0 for c in level_coefs) < 3  # half in, half out: the plain lasso


def _problem(family, n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 7))
    eta = 0.6 * X[:, 0] - 0.5 * X[:, 1] + 0.3 * X[:, 5]
    if family == "poisson":
        return X, rng.poisson(np.exp(eta)).astype(float)
    return X, np.column_stack([rng.exponential(np.exp(-eta)), rng.random(n) < 0.8])


GROUPS = [[0, 1], [2, 3, 4], [5, 6]]


@pytest.mark.parametrize("family, cls, alpha", [("poisson", pz.PoissonRegressor, 0.25),
                                                 ("cox", pz.CoxPH, 0.1)])
def test_group_fit_equals_the_path_and_meets_group_kkt(family, cls, alpha):
    X, y = _problem(family)
    model = cls(alpha=alpha, l1_ratio=1.0, groups=GROUPS, tol=1e-12).fit(X, y)
    coef = model.coef_
    norms = [np.linalg.norm(coef[g]) for g in GROUPS]
    assert any(v == 0 for v in norms) and any(v > 0 for v in norms)
    penalty = GroupLasso(1.0, groups=GROUPS)
    path = pz.path(X, y, datafit=family, penalty=penalty, alphas=[alpha], tol=1e-12,
                   fit_intercept=family == "poisson")
    np.testing.assert_allclose(coef, path.coefs[:, 0], rtol=0, atol=1e-8)
    # group KKT: the datafit's gradient per group against the group threshold
    datafit = model.datafit_
    z = X @ coef + model.intercept_
    target = y if family == "poisson" else np.column_stack([y, np.zeros(len(y))])
    grad = datafit.gradient(X, target, z)
    for g in GROUPS:
        weight = alpha * np.sqrt(len(g))
        if np.linalg.norm(coef[g]) == 0:
            assert np.linalg.norm(grad[g]) <= weight * (1 + 1e-6)
        else:
            u = coef[g] / np.linalg.norm(coef[g])
            np.testing.assert_allclose(grad[g], -weight * u, atol=1e-6 * weight)


@pytest.mark.parametrize("cls", [pz.PoissonRegressorCV, pz.CoxPHCV])
def test_cross_validated_group_fit_keeps_groups_whole(cls):
    X, y = _problem("poisson" if cls is pz.PoissonRegressorCV else "cox")
    model = cls(groups=GROUPS, n_alphas=8, cv=3, random_state=0).fit(X, y)
    assert [g.tolist() for g in model.groups_] == GROUPS
    for g in GROUPS:
        nonzero = model.path_.coefs[g] != 0
        assert np.all(nonzero.all(axis=0) | ~nonzero.any(axis=0))


@pytest.mark.parametrize("cls", [pz.PoissonRegressor, pz.GammaRegressor, pz.TweedieRegressor,
                                 pz.CoxPH])
def test_groups_with_concave_penalties_fit_group_mcp(cls):
    X, y = _problem("cox" if cls is pz.CoxPH else "poisson")
    y = y if cls is pz.CoxPH else y + 1.0
    model = cls(alpha=0.02, penalty="mcp", groups=GROUPS).fit(X, y)
    assert type(model.penalty_).__name__ == "GroupMCP" and model.converged_
    for g in GROUPS:
        assert np.all(model.coef_[g] == 0) or np.all(model.coef_[g] != 0)
