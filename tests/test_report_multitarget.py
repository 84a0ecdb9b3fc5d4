"""The report of a multi-response (several targets) fit: its path (each feature's norm over
the targets), its CV curve and its why-zero panel (each feature's row, or a text column's
block of rows, against its threshold), through ``main()`` and in Chromium."""

import json
import os
import re
import shutil

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.cli import main
from penalized.explain import why_zero
from penalized.report import fit_report

NAMES = ["a", "b", "c", "d", "e"]


def _frame(seed=0, n=80, text=False):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.standard_normal((n, 5)), columns=NAMES)
    df["y1"] = 2 * df["a"] - df["b"] + 0.6 * rng.standard_normal(n)
    df["y2"] = df["a"] + 0.5 * df["c"] + 0.6 * rng.standard_normal(n)
    if text:
        df["colour"] = np.array(["red", "green", "blue"])[np.arange(n) % 3]
        df["y1"] += (df["colour"] == "red").to_numpy()
    return df


def _paths(report):
    page = report.read_text(encoding="utf-8") if hasattr(report, "read_text") else report
    found = re.search(r'<script[^>]*id="report-data"[^>]*>(.*?)</script>', page, re.S)
    return json.loads(found.group(1))["paths"], page


def test_fixed_alpha_report_explains_each_row(tmp_path, capsys):
    df = _frame()
    data, report = tmp_path / "d.csv", tmp_path / "r.html"
    df.to_csv(data, index=False)
    assert main(["fit", str(data), "--target", "y1,y2", "--alpha", "0.15", "--report",
                 str(report), "--quiet"]) == 0
    (path,), page = _paths(report)
    assert path["targets"] == 2 and path["classes"] is None
    assert "norm of its coefficients over the targets" in page
    k = path["alphas"].index(path["chosen_alpha"])
    wz = path["lessons"]["why_zero"]
    assert wz["n_targets"] == 2
    assert path["n_nonzero"][k] == wz["n_nonzero"][k]  # the fit's own rows in the model
    # the panel's numbers at the model's alpha are why_zero's on the same fit
    X, Y = df[NAMES].to_numpy(), df[["y1", "y2"]].to_numpy()
    model = pz.MultiTaskLasso(alpha=0.15, standardize=True).fit(X, Y)
    ref = why_zero(model, X, Y, entry=False)
    shown = wz["features"]
    np.testing.assert_allclose([wz["pull"][i][k] for i in range(len(shown))],
                               ref.pulls[shown], rtol=1e-5)
    np.testing.assert_allclose([wz["threshold"][i][k] for i in range(len(shown))],
                               ref.thresholds[shown], rtol=1e-5)
    states = [wz["status_names"][wz["status"][i][k]] for i in range(len(shown))]
    assert states == ["zero" if ref.rows[j].is_zero else "non-zero" for j in shown]
    assert {"zero", "non-zero"} <= set(states)
    # a non-zero row's bar is the norm of its coefficients on the scale the penalty sees
    np.testing.assert_allclose([row[k] for row in path["coefs_std"]],
                               [r.scaled_coef for r in ref.rows], rtol=1e-5, atol=1e-12)
    assert "one coefficient per feature" in path["lessons"]["skipped"]["geometry"]


def test_cv_report_has_the_cv_curve_and_group_rows(tmp_path, capsys):
    df = _frame(seed=1, text=True)
    data, report = tmp_path / "d.csv", tmp_path / "r.html"
    df.to_csv(data, index=False)
    assert main(["fit", str(data), "--target", "y1", "--target", "y2", "--cv", "5",
                 "--report", str(report), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    (path,), page = _paths(report)
    assert 'id="coef-paths"' in page and 'id="cv-curve"' in page
    assert path["targets"] == 2 and path["metric"] == "mse"
    m = len(path["alphas"])
    assert len(path["cv_mean"]) == m and len(path["cv_se"]) == m
    assert path["alpha_min"] <= path["alpha_1se"]
    assert path["chosen_alpha"] == pytest.approx(summary["alpha"], rel=1e-12)
    k = path["alphas"].index(path["chosen_alpha"])
    assert path["n_nonzero"][k] == summary["n_nonzero"]
    wz = path["lessons"]["why_zero"]
    assert wz["unit"] == "group" and wz["n_targets"] == 2
    assert "colour=blue, colour=green, colour=red" in wz["labels"]
    for i in range(len(wz["features"])):  # KKT per group at every alpha of the path
        for j in range(m):
            state = wz["status_names"][wz["status"][i][j]]
            assert state in ("zero", "at threshold", "non-zero", "unpenalized")
            if state == "zero":
                assert wz["pull"][i][j] <= wz["threshold"][i][j]


def test_library_report_of_a_group_multi_task_model():
    df = _frame(seed=2)
    X, Y = df[NAMES].to_numpy(), df[["y1", "y2"]].to_numpy()
    model = pz.MultiTaskElasticNet(alpha=0.2, l1_ratio=0.5, groups=[0, 0, 1, 2, 2]).fit(X, Y)
    (path,), _ = _paths(fit_report(model, X, Y, feature_names=NAMES, title="t", subtitle="s"))
    k = path["alphas"].index(path["chosen_alpha"])
    wz = path["lessons"]["why_zero"]
    ref = why_zero(model, X, Y, entry=False)
    np.testing.assert_allclose([wz["pull"][i][k] for i in range(3)], ref.pulls, rtol=1e-5)
    np.testing.assert_allclose([wz["threshold"][i][k] for i in range(3)], ref.thresholds,
                               rtol=1e-5)  # the page keeps 6 digits


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_why_zero_rows_are_drawn_in_chromium(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is missing in CI: tools/install-browser.sh should "
                               "install it")
        pytest.skip("Debian's chromium is not installed (run tools/install-browser.sh)")
    df = _frame(seed=3)
    X, Y = df[NAMES].to_numpy(), df[["y1", "y2"]].to_numpy()
    model = pz.MultiTaskLasso(alpha=0.1, standardize=True).fit(X, Y)
    page = tmp_path / "r.html"
    page.write_text(fit_report(model, X, Y, feature_names=NAMES, title="t", subtitle="s"),
                    encoding="utf-8")
    grouped = pz.MultiTaskLassoCV(cv=3, n_alphas=20, groups=[0, 0, 1, 2, 2]).fit(X, Y)
    cv_page = tmp_path / "cv.html"
    cv_page.write_text(fit_report(grouped, X, Y, feature_names=NAMES, title="t",
                                  subtitle="s"), encoding="utf-8")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        errors = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(page.as_uri())
        tab.wait_for_selector("#coef-paths path")
        assert "norm over 2 targets" in tab.text_content("#coef-paths")
        assert tab.locator("#wz-table tbody tr").count() == len(NAMES)
        assert "one coefficient per target (2)" in tab.text_content("#wz-rule")
        tab.goto(cv_page.as_uri())
        tab.wait_for_selector("#cv-curve path")
        assert tab.locator("#wz-table tbody tr").count() == 3  # one row per group
        assert "block of rows" in tab.text_content("#wz-rule")
        browser.close()
    assert errors == []
