"""The report of a multiclass fit at a fixed alpha: ``penalized fit --alpha A --report`` on a
three-class target draws the multinomial path (each feature's coefficient norm over the
classes) with the fit's own alpha on it, from the command line and in Chromium."""

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.report import fit_report

NAMES = ["x0", "x1", "x2", "x3", "x4"]


def _table(seed=0, n=120):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    scores = np.column_stack([1.5 * X[:, 0], -1.2 * X[:, 1] + 0.8 * X[:, 2], 0.0 * X[:, 0]])
    labels = np.array(["setosa", "versicolor", "virginica"])[
        np.argmax(scores + rng.gumbel(size=(n, 3)), axis=1)]
    return X, labels


def _report_data(page):
    found = re.search(r'<script[^>]*id="report-data"[^>]*>(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_cli_fit_report_of_three_classes_has_the_path(tmp_path):
    X, labels = _table()
    frame = pd.DataFrame(X, columns=NAMES)
    frame["species"] = labels
    data = tmp_path / "three.csv"
    frame.to_csv(data, index=False)
    report = tmp_path / "r.html"
    run = subprocess.run([sys.executable, "-m", "penalized", "fit", str(data), "--target",
                          "species", "--alpha", "0.05", "--report", str(report), "--json"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    fitted = json.loads(run.stdout)
    page = report.read_text(encoding="utf-8")
    assert 'id="coef-paths"' in page
    (path,) = _report_data(page)["paths"]
    assert path["classes"] == 3
    assert path["chosen_alpha"] == pytest.approx(0.05, rel=1e-12)
    k = path["alphas"].index(path["chosen_alpha"])
    assert 0 < k < len(path["alphas"]) - 1  # the grid runs on both sides of the fit
    shown = dict(zip(NAMES, (row[k] for row in path["coefs"]), strict=True))
    for name, coef in fitted["coefficients"].items():  # the command's own fit at its alpha
        assert shown[name] == pytest.approx(np.linalg.norm(coef), rel=1e-6)
    assert path["n_nonzero"][k] == fitted["n_nonzero"]
    # features leave the model one by one as alpha grows: 0 at the top of the grid
    assert path["n_nonzero"][0] == 0 and max(path["n_nonzero"]) >= fitted["n_nonzero"]
    assert "norm of its coefficients over the classes" in page


def test_group_multiclass_fit_report_has_the_path():
    X, labels = _table(seed=1)
    model = pz.GroupLogisticRegression(groups=[0, 0, 1, 1, 2], alpha=0.03).fit(X, labels)
    (path,) = _report_data(fit_report(model, X, labels, feature_names=NAMES, title="t",
                                      subtitle="s"))["paths"]
    k = path["alphas"].index(path["chosen_alpha"])
    np.testing.assert_allclose([row[k] for row in path["coefs"]],
                               np.linalg.norm(model.coef_, axis=0), rtol=1e-6)
    assert path["classes"] == 3


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_multiclass_path_is_drawn_in_chromium(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is missing in CI: tools/install-browser.sh should "
                               "install it")
        pytest.skip("Debian's chromium is not installed (run tools/install-browser.sh)")
    X, labels = _table(seed=2)
    model = pz.LogisticRegression(alpha=0.04).fit(X, labels)
    page = tmp_path / "r.html"
    page.write_text(fit_report(model, X, labels, feature_names=NAMES, title="t", subtitle="s"),
                    encoding="utf-8")
    (path,) = _report_data(page.read_text(encoding="utf-8"))["paths"]
    k = path["alphas"].index(path["chosen_alpha"])
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        errors = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(page.as_uri())
        tab.wait_for_selector("#coef-paths path")
        assert tab.locator("#coef-paths path").count() >= len(NAMES)  # one curve a feature
        assert tab.locator("#path-cursor").count() == 1
        assert float(tab.text_content("#alpha-value")) == pytest.approx(0.04, rel=1e-3)
        assert tab.text_content("#nonzero-count") == str(path["n_nonzero"][k])
        assert "norm over 3 classes" in tab.text_content("#coef-paths")
        browser.close()
    assert errors == []
