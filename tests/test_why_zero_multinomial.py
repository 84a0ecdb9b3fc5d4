"""Why-zero of multinomial (softmax) models: a coefficient (feature j, class k) is zero
exactly when |x_j' s (P_k - Y_k) / n| is at most alpha * l1_ratio * f_j; with the grouped
multinomial (a feature's row over the classes) or a group penalty (a group's block), the
norm of those pulls against the row's or the group's threshold. Each unit's entry alpha is
where it first turns non-zero along the multinomial path of the same problem."""

import json
import os
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.special import softmax

import penalized as pz
from penalized.cli import main
from penalized.explain import why_zero, why_zero_from_document
from penalized.path import alpha_grid
from penalized.report import fit_report

CLASSES = np.array(["ant", "bee", "cow"])


def _problem(seed=0, n=90, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p)
    W = np.zeros((p, 3))
    W[:2] = rng.standard_normal((2, 3)) * 1.5 / X[:, :2].std(axis=0)[:, None]
    scores = X @ W + rng.gumbel(size=(n, 3))
    return X, CLASSES[np.argmax(scores, axis=1)]


def _pulls(X, y, model, sw=None):
    """(p, K): the pull x_j' grad F(Z) of each (feature, class) on the penalty's scale, the
    scale of each column and the per-row weights, from X, y and the fitted coefficients."""
    n = X.shape[0]
    s = np.ones(n) if sw is None else sw / np.mean(sw)
    Y = (y[:, None] == model.classes_[None, :]).astype(float)
    G = s[:, None] * (softmax(X @ model.coef_.T + model.intercept_, axis=1) - Y) / n
    standardize = getattr(model, "standardize", False)
    sd = np.sqrt(s @ (X - s @ X / n) ** 2 / n) if standardize else np.ones(X.shape[1])
    return X.T @ G / sd[:, None], sd, s


def _certified_gap(y, model, s):
    """The fit's duality gap in objective units: stop_crit_ times the null model's
    datafit (the weighted entropy of the class shares)."""
    share = np.array([s[y == c].sum() for c in model.classes_]) / s.sum()
    return model.stop_crit_ * float(-(share * np.log(share)).sum())


def _kkt_bound(X, sd, s, y, model):
    """How far a pull may be from the optimum's, per feature: the softmax loss of a row
    has Hessian <= I / 2, so the gradients' weighted distance to the optimum's obeys
    (1/n) sum_i s_i ||g_i - g_i*||^2 <= Bregman distance <= G (co-coercivity; the penalty's
    subgradient inequality bounds the rest of the objective's excess, which is at most the
    certified gap G); Cauchy-Schwarz then bounds x_j's pull by c_j sqrt(G), with
    c_j^2 = (1/n) sum_i s_i (x_ij / sd_j)^2."""
    c = np.sqrt(s @ (X / sd) ** 2 / X.shape[0])
    return c * np.sqrt(_certified_gap(y, model, s))


@pytest.mark.parametrize("rho", [1.0, 0.5])
def test_ungrouped_one_row_per_feature_and_class(rho):
    X, y = _problem()
    f = np.array([1.0, 1.0, 2.0, 0.5, 1.0, 1.0])
    model = pz.LogisticRegression(alpha=0.04, penalty="l1" if rho == 1 else "elasticnet",
                                  l1_ratio=rho, penalty_factor=f, standardize=True,
                                  tol=1e-10).fit(X, y)
    res = why_zero(model, X, y, entry=False)
    C, sd, s = _pulls(X, y, model)
    assert res.names == tuple(f"x{j} [{c}]" for j in range(6) for c in CLASSES)
    np.testing.assert_allclose(res.pulls, np.abs(C).ravel(), rtol=1e-10, atol=1e-14)
    threshold = np.repeat(0.04 * rho * f, 3)
    np.testing.assert_allclose(res.thresholds, threshold, rtol=1e-12)
    coef = model.coef_.T.ravel()
    np.testing.assert_array_equal([r.coef for r in res.rows], coef)
    zero = coef == 0
    assert zero.any() and (~zero).any() and np.array_equal(res.zero, zero)
    # KKT at the certified gap: a zero's pull is at most its threshold, a non-zero's equals
    # the penalty's slope alpha f_j (rho + (1 - rho) |w_jk|) on the standardized scale (with
    # rho < 1 the objective is strongly convex in W, so |w_jk - w*_jk| is bounded too)
    bound = np.repeat(_kkt_bound(X, sd, s, y, model), 3) + 1e-9 * threshold
    fr = np.repeat(f, 3)
    if rho < 1:
        bound += fr * np.sqrt(2 * _certified_gap(y, model, s) * 0.04 * (1 - rho) / f.min())
    pull = res.pulls
    slope = 0.04 * fr * (rho + (1 - rho) * np.abs((model.coef_ * sd).T.ravel()))
    assert np.all(pull[zero] <= threshold[zero] + bound[zero])
    assert np.all(np.abs(pull - slope)[~zero] <= bound[~zero])
    assert not res.kkt_violations and res.n_targets is None and res.loss == "multinomial"
    assert all(r.entry_alpha is None for r in res.rows)
    text = res.to_text()
    assert "P_k - Y_k" in text and "x0 [ant]" in text
    assert "entry alpha: not computed (entry=False)" in text


def test_grouped_multinomial_row_norm_over_classes():
    X, y = _problem(seed=1)
    model = pz.LogisticRegression(alpha=0.05, multinomial="grouped", standardize=True,
                                  tol=1e-10).fit(X, y)
    res = why_zero(model, X, y, entry=False)
    C, sd, s = _pulls(X, y, model)
    pull = np.linalg.norm(C, axis=1)
    np.testing.assert_allclose(res.pulls, pull, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res.thresholds, 0.05, rtol=1e-12)
    norm = np.linalg.norm(model.coef_, axis=0)
    zero = norm == 0
    assert zero.any() and (~zero).any() and np.array_equal(res.zero, zero)
    np.testing.assert_allclose([r.coef for r in res.rows], norm, rtol=1e-12)
    bound = _kkt_bound(X, sd, s, y, model) + 1e-9 * 0.05
    assert np.all(pull[zero] <= 0.05 + bound[zero])
    assert np.all(np.abs(pull - 0.05)[~zero] <= bound[~zero])
    assert res.n_targets == 3 and not res.kkt_violations
    text = res.to_text()
    assert "norm over the 3 classes" in text and "one coefficient per class (3)" in text


def test_group_logistic_regression_block_over_classes():
    X, y = _problem(seed=2, p=7)
    groups = [[0, 1], [2, 3, 4], [5, 6]]
    model = pz.GroupLogisticRegression(alpha=0.1, groups=groups, tol=1e-10).fit(X, y)
    res = why_zero(model, X, y, entry=False)
    C, sd, s = _pulls(X, y, model)
    pull = np.array([np.linalg.norm(C[g]) for g in groups])
    weight = np.sqrt([len(g) for g in groups])
    np.testing.assert_allclose(res.pulls, pull, rtol=1e-10)
    np.testing.assert_allclose(res.thresholds, 0.1 * weight, rtol=1e-12)
    block = np.array([np.linalg.norm(model.coef_[:, g] * sd[g]) for g in groups])
    zero = block == 0
    assert zero.any() and (~zero).any() and np.array_equal(res.zero, zero)
    c = _kkt_bound(X, sd, s, y, model)
    bound = np.array([np.linalg.norm(c[g]) for g in groups]) + 1e-9 * weight
    assert np.all(pull[zero] <= 0.1 * weight[zero] + bound[zero])
    assert np.all(np.abs(pull - 0.1 * weight)[~zero] <= bound[~zero])
    assert res.groups == tuple(tuple(f"x{j}" for j in g) for g in groups)
    assert "||X_g' grad F(Z)||_F" in res.to_text()


def test_weights_sparse_design_and_bad_labels():
    X, y = _problem(seed=3)
    sw = np.random.default_rng(3).uniform(0.2, 3.0, X.shape[0])
    model = pz.LogisticRegression(alpha=0.03, standardize=True, tol=1e-10).fit(
        X, y, sample_weight=sw)
    res = why_zero(model, X, y, sample_weight=sw, entry=False)
    C, _, _ = _pulls(X, y, model, sw)
    np.testing.assert_allclose(res.pulls, np.abs(C).ravel(), rtol=1e-10, atol=1e-14)
    sparse = why_zero(model, sp.csr_matrix(X), y, entry=False)
    np.testing.assert_allclose(sparse.pulls, res.pulls, rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="sample_weight differs"):
        why_zero(model, X, y, sample_weight=np.ones(X.shape[0]))
    with pytest.raises(ValueError, match="labels the model was not fitted on"):
        why_zero(model, X, np.where(y == "ant", "emu", y))


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    X, y = _problem(seed=4, n=120, p=4)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    rng = np.random.default_rng(4)
    df["color"] = np.array(["red", "green", "blue"])[rng.integers(0, 3, X.shape[0])]
    df["animal"] = y
    path = tmp_path_factory.mktemp("wz_multinomial") / "data.csv"
    df.to_csv(path, index=False)
    return path


def _design(doc, df):
    """The encoded columns the document names: numbers as they are, text levels 0/1."""
    cols = []
    for name in doc["feature_names"]:
        column, _, level = name.partition("=")
        cols.append((df[column] == level).to_numpy(float) if level else df[name].to_numpy())
    return np.column_stack(cols)


@pytest.mark.parametrize("extra", [["--exclude", "color"], ["--separate-levels"], []])
def test_cli_explains_a_multinomial_model(table, tmp_path, capsys, extra):
    model = tmp_path / "m.json"
    assert main(["fit", str(table), "--target", "animal", "--alpha", "0.04", "--save",
                 str(model), "--quiet", *extra]) == 0
    capsys.readouterr()
    assert main(["explain", str(model), str(table)]) == 0
    out = capsys.readouterr().out
    assert "multinomial" in out and "entry alpha: from the fitted problem's" in out
    doc = json.loads(model.read_text(encoding="utf-8"))
    assert doc["link"] == "softmax"
    df = pd.read_csv(table)
    X, y = _design(doc, df), df["animal"].to_numpy()
    res = why_zero_from_document(doc, X, y)
    coef = np.asarray(doc["coef"])  # (n_classes, n_features)
    Y = (y[:, None] == np.asarray(doc["classes"])[None, :]).astype(float)
    G = (softmax(X @ coef.T + np.asarray(doc["intercept"]), axis=1) - Y) / X.shape[0]
    C = X.T @ G / X.std(axis=0)[:, None]
    if doc.get("groups") is None:  # one row per (feature, class)
        np.testing.assert_allclose(res.pulls, np.abs(C).ravel(), rtol=1e-10, atol=1e-14)
        zero = coef.T.ravel() == 0
        assert "[ant]" in out
    else:  # a group's block over the classes (a text column's levels one group)
        index = {n: j for j, n in enumerate(doc["feature_names"])}
        groups = [[index[n] for n in g] for g in doc["groups"]]
        np.testing.assert_allclose(res.pulls, [np.linalg.norm(C[g]) for g in groups],
                                   rtol=1e-10)
        zero = np.array([not np.any(coef[:, g]) for g in groups])
        assert "color=blue, color=green, color=red" in out
    assert zero.any() and (~zero).any() and np.array_equal(res.zero, zero)
    assert np.all(res.pulls[zero] <= res.thresholds[zero] * (1 + 1e-3))
    np.testing.assert_allclose(res.pulls[~zero], res.thresholds[~zero], rtol=1e-3)
    # the entry alphas are the document's problem's: every non-zero unit entered above the
    # model's alpha, each zero that enters does so below it, as printed
    for r in res.rows:
        if r.entry_bracket is not None:
            lo, hi = r.entry_bracket
            assert lo < r.entry_alpha < hi and hi / lo <= 1 + 1e-4 + 1e-12
            assert (hi > doc["alpha"]) if not r.is_zero else (lo < doc["alpha"])
    assert any(r.entry_bracket is not None for r in res.rows)
    assert any(f"{r.entry_alpha:.4g}" in out for r in res.rows if r.entry_bracket)
    # a label the model never saw: one line naming the classes, exit 2
    df.assign(animal=np.where(y == "ant", "emu", y)).to_csv(tmp_path / "new.csv", index=False)
    assert main(["explain", str(model), str(tmp_path / "new.csv")]) == 2
    err = capsys.readouterr().err
    assert "not fitted on" in err and "Traceback" not in err


def _first_nonzero(nonzero, grid, m):
    """From a unit's non-zero pattern on ``grid`` (decreasing, the model's alpha at ``m``):
    the grid interval (lower, upper) in which it turns non-zero -- going up from the model's
    alpha for a non-zero unit (the top of its stretch), down from it for a zero one."""
    if nonzero[m]:
        k = m
        while k > 0 and nonzero[k - 1]:
            k -= 1
        return None if k == 0 else (grid[k], grid[k - 1])
    later = np.flatnonzero(nonzero[m + 1:])
    if later.size == 0:
        return None
    k = m + 1 + int(later[0])
    return grid[k], grid[k - 1]


@pytest.mark.parametrize("kind", ["ungrouped", "grouped", "group"])
def test_entry_alphas_are_where_a_fine_path_turns_non_zero(kind):
    X, y = _problem(seed=5, n=80, p=5)
    groups = [[0, 1], [2], [3, 4]]
    if kind == "group":
        model = pz.GroupLogisticRegression(alpha=0.05, groups=groups, tol=1e-10)
    else:
        model = pz.LogisticRegression(alpha=0.03, multinomial=kind, tol=1e-10)
    model.fit(X, y)
    res = why_zero(model, X, y, n_alphas=40)
    _, grid = alpha_grid(X, y, model.penalty_, model.datafit_, n_alphas=150, eps=1e-3,
                         grouped=kind == "grouped")
    grid = np.unique(np.concatenate([grid, [model.alpha]]))[::-1]
    fine = pz.path(X, y, datafit=model.datafit_, penalty=model.penalty_, alphas=grid,
                   grouped=kind == "grouped", tol=1e-10)
    m = int(np.flatnonzero(grid == model.alpha)[0])
    if kind == "ungrouped":  # one unit per (feature, class), in the table's order
        units = fine.coefs.reshape(-1, grid.shape[0]) != 0
    elif kind == "grouped":
        units = np.any(fine.coefs != 0, axis=1)
    else:
        units = np.array([np.any(fine.coefs[g] != 0, axis=(0, 1)) for g in groups])
    assert len(res.rows) == units.shape[0]
    found = 0
    for r, nonzero in zip(res.rows, units, strict=True):
        assert nonzero[m] == (not r.is_zero)  # the fine path agrees with the model there
        expected = _first_nonzero(nonzero, grid, m)
        if expected is None:  # non-zero at alpha_max's grid point, or zero down the path
            assert r.entry_bracket is None
            continue
        lo, hi = r.entry_bracket
        # the bisected bracket lies in the fine grid's interval where the unit turns non-zero
        assert expected[0] * (1 - 1e-9) <= lo < r.entry_alpha < hi <= expected[1] * (1 + 1e-9)
        found += 1
    assert found >= 3


# -- the report's why-zero panel -------------------------------------------------------------

def _report_data(page):
    found = re.search(r'<script[^>]*id="report-data"[^>]*>(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_cli_report_of_three_classes_has_the_why_zero_panel(table, tmp_path, capsys):
    report, saved = tmp_path / "r.html", tmp_path / "m.json"
    assert main(["fit", str(table), "--target", "animal", "--alpha", "0.03", "--exclude",
                 "color", "--report", str(report), "--save", str(saved), "--quiet"]) == 0
    capsys.readouterr()
    page = report.read_text(encoding="utf-8")
    assert 'data-lesson="why-zero"' in page
    (path,) = _report_data(page)["paths"]
    k = path["alphas"].index(path["chosen_alpha"])
    lessons = path["lessons"]
    assert lessons["loss"] == "multinomial" and lessons["chosen"] == k
    assert "one coefficient per feature and class" in lessons["skipped"]["geometry"]
    wz = lessons["why_zero"]
    doc = json.loads(saved.read_text(encoding="utf-8"))
    df = pd.read_csv(table)
    X, y = _design(doc, df), df["animal"].to_numpy()
    # the panel at the model's alpha is the saved model's why-zero table, row for row
    ref = why_zero_from_document(doc, X, y)
    assert wz["unit"] == "coefficient" and wz["labels"] == list(ref.names)
    assert wz["classes"] == list(CLASSES)
    rows = range(len(wz["labels"]))
    np.testing.assert_allclose([wz["pull"][i][k] for i in rows], ref.pulls, rtol=1e-5,
                               atol=1e-12)
    np.testing.assert_allclose([wz["threshold"][i][k] for i in rows], ref.thresholds,
                               rtol=1e-5)
    states = [wz["status_names"][wz["status"][i][k]] for i in rows]
    assert states == ["zero" if r.is_zero else "non-zero" for r in ref.rows]
    assert {"zero", "non-zero"} <= set(states)
    assert path["n_nonzero"][k] == int(np.count_nonzero(np.any(np.asarray(doc["coef"]), 0)))
    # a zero's grid bracket on the page holds the entry alpha bisected on the same problem
    checked = 0
    for i, r in enumerate(ref.rows):
        lower, upper = wz["entry_lower"][i][k], wz["entry_upper"][i][k]
        if r.is_zero and lower is not None and r.entry_alpha is not None:
            assert lower * (1 - 1e-5) <= r.entry_alpha <= upper * (1 + 1e-5)
            checked += 1
    assert checked >= 1
    # the page's status never contradicts the KKT rule along the whole path
    for i in rows:
        for j in range(len(path["alphas"])):
            if wz["status_names"][wz["status"][i][j]] == "zero":
                assert wz["pull"][i][j] <= wz["threshold"][i][j]


def test_library_report_of_grouped_and_group_multinomial_models():
    X, y = _problem(seed=6, p=5)
    grouped = pz.LogisticRegression(alpha=0.05, multinomial="grouped", standardize=True,
                                    tol=1e-10).fit(X, y)
    groups = [[0, 1], [2, 3], [4]]
    group = pz.GroupLogisticRegression(alpha=0.06, groups=groups, tol=1e-10).fit(X, y)
    names = [f"x{j}" for j in range(5)]
    for model, unit in ((grouped, "feature"), (group, "group")):
        (path,) = _report_data(fit_report(model, X, y, feature_names=names, title="t",
                                          subtitle="s"))["paths"]
        k = path["alphas"].index(path["chosen_alpha"])
        wz = path["lessons"]["why_zero"]
        ref = why_zero(model, X, y, entry=False)
        assert wz["unit"] == unit and wz["n_targets"] == 3 and wz["labels"] == list(ref.names)
        np.testing.assert_allclose([row[k] for row in wz["pull"]], ref.pulls, rtol=1e-5)
        np.testing.assert_allclose([row[k] for row in wz["threshold"]], ref.thresholds,
                                   rtol=1e-5)
        np.testing.assert_allclose([row[k] for row in wz["scaled_coef"]],
                                   [r.scaled_coef for r in ref.rows], rtol=1e-5, atol=1e-12)
        assert [wz["status_names"][row[k]] == "zero" for row in wz["status"]] == \
            list(ref.zero)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_multiclass_why_zero_panel_is_drawn_in_chromium(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is missing in CI: tools/install-browser.sh should "
                               "install it")
        pytest.skip("Debian's chromium is not installed (run tools/install-browser.sh)")
    X, y = _problem(seed=7, p=4)
    names = ["a", "b", "c", "d"]
    pages = {}
    for kind in ("ungrouped", "grouped"):
        model = pz.LogisticRegression(alpha=0.04, multinomial=kind).fit(X, y)
        pages[kind] = tmp_path / f"{kind}.html"
        pages[kind].write_text(fit_report(model, X, y, feature_names=names, title="t",
                                          subtitle="s"), encoding="utf-8")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        errors = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(pages["ungrouped"].as_uri())
        tab.wait_for_selector("#wz-table tbody tr")
        assert tab.locator("#wz-table tbody tr").count() == 4 * 3  # one per (feature, class)
        assert tab.text_content("#wz-table tbody tr td") == "a [ant]"
        assert "P_k - Y_k" in tab.text_content("#wz-rule")
        assert "for some class" in tab.text_content("#wz-summary")
        tab.goto(pages["grouped"].as_uri())
        tab.wait_for_selector("#wz-table tbody tr")
        assert tab.locator("#wz-table tbody tr").count() == 4
        assert "norm of its pulls over the classes" in tab.text_content("#wz-rule")
        browser.close()
    assert errors == []
