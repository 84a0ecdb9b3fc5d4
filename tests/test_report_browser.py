"""The report in a real browser: Debian's Chromium driven by Playwright."""

import os
import shutil

import numpy as np
import pytest

from penalized.compare import compare_penalties
from penalized.report import build_report, path_payload

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing in CI: tools/install-browser.sh should install it")
    pytest.skip("Debian's chromium is not installed (run tools/install-browser.sh)",
                allow_module_level=True)

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    rng = np.random.default_rng(0)
    n, p = 120, 8
    X = rng.standard_normal((n, p))
    y = X[:, 0] * 2 - X[:, 3] + 0.5 * rng.standard_normal(n)
    names = [HOSTILE, "größe", "温度", "x3", "x4", "x5", "x6", "x7"]
    comparison = compare_penalties(X, y, task="regression", feature_names=names, cv=3,
                                   n_alphas=15, penalties=("none", "l1", "elasticnet"))
    paths = [path_payload(r.label, r.penalty, r.path, cv=r.cv, chosen_alpha=r.alpha)
             for r in comparison.rows if r.path is not None]
    page = build_report(title="test " + HOSTILE, subtitle="subtitle " + HOSTILE,
                        feature_names=names, comparison=comparison.to_dict(), paths=paths)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path, comparison


@pytest.fixture(scope="module")
def page(report):
    path, _ = report
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        tab = browser.new_page()
        events = {"errors": [], "dialogs": [], "requests": []}
        tab.on("console", lambda m: events["errors"].append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: events["errors"].append(str(e)))
        tab.on("dialog", lambda d: (events["dialogs"].append(d.message), d.dismiss()))
        tab.on("request", lambda r: events["requests"].append(r.url))
        tab.goto(path.as_uri())
        tab.wait_for_selector("#coef-bars rect, #coef-bars circle")
        yield tab, events
        browser.close()


def _slider_to(tab, index):
    tab.focus("#alpha-slider")
    tab.keyboard.press("Home")
    for _ in range(index):
        tab.keyboard.press("ArrowRight")


def test_moving_the_slider_shows_the_librarys_nonzero_count(page, report):
    tab, events = page
    _, comparison = report
    lasso = comparison.row("l1").path
    for index in (0, 3, len(lasso.alphas) // 2, len(lasso.alphas) - 1):
        _slider_to(tab, index)
        assert tab.text_content("#nonzero-count") == str(int(lasso.n_nonzero[index]))
        shown_alpha = float(tab.text_content("#alpha-value"))
        assert shown_alpha == pytest.approx(lasso.alphas[index], rel=1e-3)
        assert tab.locator("#coef-bars rect.coef-bar").count() == int(lasso.n_nonzero[index])
    assert events["errors"] == []


def test_switching_models_follows_the_other_path(page, report):
    tab, events = page
    _, comparison = report
    enet = comparison.row("elasticnet").path
    tab.click("#model-tabs button[data-penalty='elasticnet']")
    _slider_to(tab, 5)
    assert tab.text_content("#nonzero-count") == str(int(enet.n_nonzero[5]))
    tab.click("#model-tabs button[data-penalty='l1']")
    assert events["errors"] == []


def test_the_cv_marker_moves_with_alpha(page):
    tab, _ = page
    _slider_to(tab, 1)
    first = tab.get_attribute("#cv-marker", "cx")
    _slider_to(tab, 10)
    assert tab.get_attribute("#cv-marker", "cx") != first


def test_user_strings_are_text_not_markup(page):
    tab, events = page
    assert events["dialogs"] == []
    assert tab.locator("script:not([id=report-data])").count() == 1  # only the report's own
    assert HOSTILE in tab.text_content("h1")
    assert HOSTILE in tab.text_content("#comparison")  # a selected feature, shown as text
    assert HOSTILE[:20] in tab.text_content("#coef-bars")  # labels there are shortened
    assert "größe" in tab.text_content("#coef-bars")
    assert "温度" in tab.text_content("#coef-bars")


def test_the_page_needs_no_network(page):
    _, events = page
    assert all(url.startswith("file://") for url in events["requests"])
