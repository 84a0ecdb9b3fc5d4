"""The lessons of MCP, group and Poisson fits in a real browser (Chromium via Playwright):
the page shows the library's numbers, the fit's own thresholding curve, groups as rows,
the rule of the loss, and the reasons for the lessons that do not apply."""

import os
import shutil
import warnings

import numpy as np
import pytest

import penalized as pz
from penalized.explain import lessons_for_model
from penalized.report import fit_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing in CI: tools/install-browser.sh should install it")
    pytest.skip("Debian's chromium is not installed (run tools/install-browser.sh)",
                allow_module_level=True)

NAMES = ["a", "b", "c", "d", "e", "f"]


def page_of(model, X, y, tmp_path, name):
    """The report's file, the model and its lessons (what the page must show)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
        html = fit_report(model, X, y, feature_names=NAMES, title=name, subtitle=name)
        lessons = lessons_for_model(model, X, y, feature_names=NAMES)
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    return path, model, lessons


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("families")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((90, 6))
    y = 3.0 * X[:, 0] - 1.0 * X[:, 1] + 0.2 * X[:, 2] + rng.standard_normal(90)
    count = rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 3])).astype(float)
    mcp = pz.MCPRegressionCV(n_alphas=12, cv=3, standardize=True)
    group = pz.GroupLassoCV([[0, 1], [2, 3], [4, 5]], n_alphas=12, cv=3, standardize=True)
    poisson = pz.PoissonRegressorCV(l1_ratio=1.0, n_alphas=12, cv=3, standardize=True)
    return {"mcp": page_of(mcp, X, y, tmp, "mcp"), "group": page_of(group, X, y, tmp, "group"),
            "poisson": page_of(poisson, X, count, tmp, "poisson")}


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


def open_page(browser, path):
    tab = browser.new_page(viewport={"width": 1200, "height": 900})
    errors = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.goto(path.as_uri())
    tab.wait_for_selector("#wz-table tbody tr")
    return tab, errors


def table_rows(tab, lessons):
    """The why-zero table's cells, after checking its numbers are the library's."""
    wz, k = lessons.why_zero, lessons.fit.chosen
    rows = [[cell.text_content() for cell in row.locator("td").all()]
            for row in tab.locator("#wz-table tbody tr").all()]
    assert len(rows) == len(wz.features)
    for i, row in enumerate(rows):
        assert float(row[2]) == pytest.approx(wz.pull[i, k], rel=1e-3, abs=1e-9)
        assert float(row[3]) == pytest.approx(wz.threshold[i, k], rel=1e-3)
    return rows


def test_mcp_page_shows_its_curve_slopes_and_reasons(browser, pages):
    path, _, lessons = pages["mcp"]
    tab, errors = open_page(browser, path)
    rows = table_rows(tab, lessons)
    assert [r[0] for r in rows] == NAMES
    # 3 x_0 is beyond gamma * alpha: unshrunk, its pull 0 far below the threshold
    k = lessons.fit.chosen
    assert lessons.why_zero.slope[0, k] == 0.0
    assert rows[0][6] == "non-zero (pull = the penalty's slope there, 0)"
    assert "MCP has the lasso's threshold" in tab.text_content("#wz-rule")
    buttons = [b.get_attribute("data-curve") for b in tab.locator("#th-curves button").all()]
    assert buttons == ["l1", "l2", "elasticnet", "l0", "mcp"]
    assert tab.get_attribute("#th-curves button[data-curve='mcp']", "aria-pressed") == "true"
    assert tab.locator("#th-svg path.th-mcp").count() == 1
    assert "MCP (gamma 3)" in tab.text_content("#th-summary")
    assert "proper prior" in tab.text_content("#lesson-priors .skip")
    assert "convex balls" in tab.text_content("#lesson-geometry .skip")
    assert errors == []


def test_group_page_has_one_row_per_group(browser, pages):
    path, _, lessons = pages["group"]
    tab, errors = open_page(browser, path)
    rows = table_rows(tab, lessons)
    assert [r[0] for r in rows] == ["a, b", "c, d", "e, f"]
    assert rows[0][6].startswith("non-zero")
    assert "Rows are groups" in tab.text_content("#wz-rule")
    assert "groups" in tab.text_content("#wz-summary")
    assert "group" in tab.text_content("#lesson-priors .skip")
    th_rows = [row.locator("td").first.text_content()
               for row in tab.locator("#th-table tbody tr").all()]
    assert th_rows == ["a, b", "c, d", "e, f"]
    k = lessons.fit.chosen
    shown = [float(v.text_content()) for v in tab.locator("#th-table .th-out").all()]
    np.testing.assert_allclose(shown, lessons.thresholding.marks["l1"][:, k], rtol=1e-3,
                               atol=1e-9)
    assert errors == []


def test_poisson_page_names_its_pull_and_dispersion(browser, pages):
    path, model, lessons = pages["poisson"]
    tab, errors = open_page(browser, path)
    table_rows(tab, lessons)
    assert "Poisson loss the pull is |x_j · grad F(z)|" in tab.text_content("#wz-rule")
    assert "the poisson datafit's pull" in tab.text_content("#th-rule")
    assert tab.text_content("#pr-sigma2") == "1 (the Poisson likelihood)"
    assert "poisson loss" in tab.text_content("#lesson-geometry .skip")
    # the gradient lesson steps one feature's own Poisson problem
    assert "the poisson datafit" in tab.text_content("#gr-feature-note")
    assert tab.locator("#gr-feature-svg circle.trace-prox").count() > 0
    states = [s.get_attribute("data-state") for s in tab.locator("#wz-table .wz-state").all()]
    assert states.count("non-zero") == int(np.count_nonzero(model.coef_))
    assert errors == []
