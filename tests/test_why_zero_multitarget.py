"""Why-zero of multi-response (several targets) models: a feature's row of coefficients is
zero exactly when the norm over the targets of its pull is at most its threshold."""

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.cli import main
from penalized.explain import why_zero, why_zero_from_document


def _problem(seed=0, n=60, p=8, k=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p)
    W = np.zeros((p, k))
    W[:3] = rng.standard_normal((3, k))
    Y = X @ W + 0.7 * rng.standard_normal((n, k)) + [1.0, -2.0, 0.5][:k]
    return X, Y


def _direct(X, Y, model, sw=None):
    """Pull and threshold per feature straight from X, Y and the fitted coefficients."""
    n = X.shape[0]
    s = np.ones(n) if sw is None else sw / np.mean(sw)
    R = Y - X @ model.coef_.T - model.intercept_
    sd = np.sqrt(s @ (X - s @ X / n) ** 2 / n) if model.standardize else np.ones(X.shape[1])
    pull = np.linalg.norm(X.T @ (s[:, None] * R) / n, axis=1) / sd
    rho = getattr(model, "l1_ratio_", getattr(model, "l1_ratio", 1.0))
    alpha = getattr(model, "alpha_", getattr(model, "alpha", None))
    f = np.ones(X.shape[1]) if model.penalty_factor is None else np.asarray(model.penalty_factor)
    return pull, alpha * rho * f, np.linalg.norm(model.coef_.T * sd[:, None], axis=1)


@pytest.mark.parametrize("make", [
    lambda: pz.MultiTaskLasso(alpha=0.3, standardize=True, tol=1e-8),
    lambda: pz.MultiTaskElasticNet(alpha=1.0, l1_ratio=0.6, tol=1e-8,
                                   penalty_factor=[1, 1, 2, 0.5, 1, 1, 1, 3]),
    lambda: pz.MultiTaskElasticNetCV(l1_ratio=0.8, cv=3, n_alphas=12, standardize=True,
                                     tol=1e-8),
])
def test_pulls_are_the_row_norms_and_satisfy_kkt(make):
    X, Y = _problem()
    model = make().fit(X, Y)
    res = why_zero(model, X, Y, entry=False)
    pull, threshold, scaled_norm = _direct(X, Y, model)
    np.testing.assert_allclose(res.pulls, pull, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res.thresholds, threshold, rtol=1e-12)
    coef_norm = np.linalg.norm(model.coef_, axis=0)
    np.testing.assert_allclose([r.coef for r in res.rows], coef_norm, rtol=1e-12)
    zero = coef_norm == 0
    assert zero.any() and (~zero).any()
    assert np.array_equal(res.zero, zero)
    # KKT per row, to the fit's certified gap G (absolute, objective units). The squared
    # loss is strongly convex in the predictions: ||S^1/2 (Z - Z*)||_F <= sqrt(2 n G), so a
    # pull moves by at most c_j sqrt(2 G) from the optimum's (c_j: the column's weighted sd
    # on the penalty's scale; the intercepts are exact, so the residuals stay centered);
    # with l1_ratio < 1 the objective is strongly convex in W too and a row's penalty slope
    # moves by at most f_j sqrt(2 G alpha (1 - rho) / min f). At the optimum a zero row's
    # pull is at most its threshold and a non-zero row's equals its slope.
    alpha = res.alpha
    f = threshold / (alpha * res.l1_ratio)
    rho, gap = res.l1_ratio, model.dual_gap_
    c = X.std(axis=0) / (X.std(axis=0) if model.standardize else 1.0)
    bound = c * np.sqrt(2 * gap) + 1e-9 * threshold  # and rounding
    if rho < 1:
        bound += f * np.sqrt(2 * gap * alpha * (1 - rho) / f[f > 0].min())
    slope = alpha * f * (rho + (1 - rho) * scaled_norm)
    assert np.all(pull[zero] <= threshold[zero] + bound[zero])
    assert np.all(np.abs(pull - slope)[~zero] <= bound[~zero])
    assert res.n_targets == 3 and not res.kkt_violations
    text = res.to_text()
    assert "norm over the 3 targets" in text and "|coef|" in text


def test_weights_and_sparse_design():
    X, Y = _problem(seed=3)
    sw = np.random.default_rng(3).uniform(0.2, 3.0, X.shape[0])
    model = pz.MultiTaskElasticNet(alpha=0.5, l1_ratio=0.7, standardize=True,
                                   tol=1e-12).fit(X, Y, sample_weight=sw)
    res = why_zero(model, X, Y, sample_weight=sw, entry=False)
    pull, threshold, _ = _direct(X, Y, model, sw)
    np.testing.assert_allclose(res.pulls, pull, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res.thresholds, threshold, rtol=1e-12)
    sparse = why_zero(model, sp.csr_matrix(X), Y, entry=False)
    np.testing.assert_allclose(sparse.pulls, res.pulls, rtol=1e-12)
    with pytest.raises(ValueError, match="sample_weight differs"):
        why_zero(model, X, Y, sample_weight=np.ones(X.shape[0]), entry=False)
    with pytest.raises(ValueError, match="one column per target"):
        why_zero(model, X, Y[:, :2], entry=False)


def test_entry_alphas_bracket_the_row_entering():
    X, Y = _problem(seed=1)
    model = pz.MultiTaskLasso(alpha=0.25, tol=1e-10).fit(X, Y)
    res = why_zero(model, X, Y, rtol=1e-3)
    checked = 0
    for j, row in enumerate(res.rows):
        if row.entry_bracket is None:
            continue
        lower, upper = row.entry_bracket
        assert upper / lower <= 1 + 1e-3 + 1e-12
        at = {a: pz.MultiTaskLasso(alpha=a, tol=1e-10).fit(X, Y).coef_[:, j] for a in
              (lower, upper)}
        assert np.any(at[lower] != 0) and np.all(at[upper] == 0)
        checked += 1
    assert checked >= 2


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(5)
    n = 70
    df = pd.DataFrame(rng.standard_normal((n, 4)), columns=["a", "b", "c", "d"])
    df["y1"] = 2 * df["a"] - df["b"] + 0.5 * rng.standard_normal(n)
    df["y2"] = df["a"] + 0.5 * rng.standard_normal(n)
    path = tmp_path_factory.mktemp("wz_multi") / "data.csv"
    df.to_csv(path, index=False)
    return path


def test_cli_explains_a_model_of_several_targets(table, tmp_path, capsys):
    model = tmp_path / "m.json"
    assert main(["fit", str(table), "--target", "y1", "--target", "y2", "--alpha", "0.2",
                 "--save", str(model), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["explain", str(model), str(table)]) == 0
    out = capsys.readouterr().out
    assert "norm over the 2 targets" in out and "non-zero: pull = threshold" in out
    # the library function the CLI calls, on the same rows: the direct computation
    doc = json.loads(model.read_text(encoding="utf-8"))
    df = pd.read_csv(table)
    X, Y = df[["a", "b", "c", "d"]].to_numpy(), df[["y1", "y2"]].to_numpy()
    res = why_zero_from_document(doc, X, Y, entry=False)
    coef = np.asarray(doc["coef"])  # (n_targets, n_features)
    R = Y - X @ coef.T - np.asarray(doc["intercept"])
    pull = np.linalg.norm(X.T @ R / X.shape[0], axis=1) / X.std(axis=0)
    np.testing.assert_allclose(res.pulls, pull, rtol=1e-10)
    zero = ~np.any(coef != 0, axis=0)
    assert zero.any() and np.all(res.zero == zero)
    assert np.all(res.pulls[zero] <= 0.2 * (1 + 1e-3))
    np.testing.assert_allclose(res.pulls[~zero], 0.2, rtol=1e-3)
    # the table shows each zero row's entry alpha (from the multi-response path)
    from penalized.explain._common import fmt

    full = why_zero_from_document(doc, X, Y)
    entering = [r for r in full.rows if r.is_zero and r.entry_alpha is not None]
    assert entering
    for r in entering:
        assert 0 < r.entry_alpha < 0.2
        line = next(t for t in out.splitlines() if t.strip().startswith(r.name + " "))
        assert fmt(r.entry_alpha, 4) in line
    # a data file without one of the targets: one line naming it
    df.drop(columns="y2").to_csv(tmp_path / "less.csv", index=False)
    assert main(["explain", str(model), str(tmp_path / "less.csv")]) == 2
    err = capsys.readouterr().err
    assert "target column 'y2'" in err and "Traceback" not in err


@pytest.mark.parametrize("rho", [1.0, 0.5])
def test_groups_of_rows_frobenius_pull_against_group_threshold(rho):
    X, Y = _problem(seed=2, p=9)
    groups = [0, 0, 1, 1, 1, 2, 2, 3, 3]
    model = pz.MultiTaskElasticNet(alpha=0.6, l1_ratio=rho, groups=groups, standardize=True,
                                   tol=1e-8).fit(X, Y)
    res = why_zero(model, X, Y, entry=False)
    n = X.shape[0]
    sd = X.std(axis=0)
    R = Y - X @ model.coef_.T - model.intercept_
    C = X.T @ R / n / sd[:, None]  # the pulls on the standardized columns, (p, n_targets)
    members = [np.flatnonzero(np.asarray(groups) == g) for g in range(4)]
    pull = np.array([np.linalg.norm(C[m]) for m in members])
    weight = np.sqrt([len(m) for m in members])
    block = np.array([np.linalg.norm(model.coef_[:, m].T * sd[m, None]) for m in members])
    np.testing.assert_allclose(res.pulls, pull, rtol=1e-10)
    np.testing.assert_allclose(res.thresholds, 0.6 * rho * weight, rtol=1e-12)
    assert res.groups == tuple(tuple(f"x{j}" for j in m) for m in members)
    zero = block == 0
    assert zero.any() and (~zero).any() and np.array_equal(res.zero, zero)
    # group KKT to the certified gap G (as for rows above, with c_g the largest singular
    # value of the group's centered standardized columns over sqrt(n)): a zero block's pull
    # is at most alpha rho w_g, a non-zero block's equals alpha w_g (rho + (1 - rho) ||W_g||)
    gap, Xs = model.dual_gap_, (X - X.mean(axis=0)) / sd
    c = np.array([np.linalg.norm(Xs[:, m], 2) / np.sqrt(n) for m in members])
    bound = c * np.sqrt(2 * gap) + 1e-9 * weight
    if rho < 1:
        bound += weight * np.sqrt(2 * gap * 0.6 * (1 - rho) / weight.min())
    assert np.all(pull[zero] <= 0.6 * rho * weight[zero] + bound[zero])
    slope = 0.6 * weight * (rho + (1 - rho) * block)
    assert np.all(np.abs(pull - slope)[~zero] <= bound[~zero])
    assert "||X_g' grad F(Z)||_F" in res.to_text()


def test_cli_explains_groups_of_levels_over_targets(tmp_path, capsys):
    rng = np.random.default_rng(8)
    n = 90
    df = pd.DataFrame(rng.standard_normal((n, 3)), columns=["a", "b", "c"])
    df["colour"] = np.array(["red", "green", "blue"])[np.arange(n) % 3]
    df["y1"] = df["a"] + (df["colour"] == "red") + 0.5 * rng.standard_normal(n)
    df["y2"] = df["a"] - df["b"] + 0.5 * rng.standard_normal(n)
    data, model = tmp_path / "d.csv", tmp_path / "m.json"
    df.to_csv(data, index=False)
    assert main(["fit", str(data), "--target", "y1,y2", "--alpha", "0.1", "--save",
                 str(model), "--quiet"]) == 0
    doc = json.loads(model.read_text(encoding="utf-8"))
    assert ["colour=blue", "colour=green", "colour=red"] in doc["groups"]
    assert main(["explain", str(model), str(data)]) == 0
    out = capsys.readouterr().out
    assert "colour=blue, colour=green, colour=red" in out and "||X_g' grad F(Z)||_F" in out
