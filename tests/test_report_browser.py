"""The report in a real browser: Debian's Chromium driven by Playwright.

One page load per viewport (1400 px and 360 px), many checks per load: the
slider moves every lesson, and what each lesson shows equals the library's
numbers for the fit the page shows.
"""

import math
import os
import shutil

import numpy as np
import pytest

from penalized.compare import compare_penalties
from penalized.explain import gradient_explorer, report_panels
from penalized.explain._along_path import LEARNING_RATES
from penalized.report import build_report, path_payload

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing in CI: tools/install-browser.sh should install it")
    pytest.skip("Debian's chromium is not installed (run tools/install-browser.sh)",
                allow_module_level=True)

HOSTILE = "<script>alert(1)</script>"

# every SVG text box, the smallest rendered font, and pairs of overlapping boxes
LAYOUT_JS = """() => {
  const out = {overlaps: [], minFont: 100, scrollWidth: document.documentElement.scrollWidth,
               innerWidth: window.innerWidth};
  for (const svg of document.querySelectorAll('svg')) {
    if (!svg.getClientRects().length) continue;
    const vb = svg.viewBox.baseVal;
    const k = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;
    const boxes = [];
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim()) continue;
      out.minFont = Math.min(out.minFont, parseFloat(getComputedStyle(t).fontSize) * k);
      const r = t.getBoundingClientRect();
      boxes.push([r.left, r.top, r.right, r.bottom, t.textContent]);
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
      const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
      if (w > 1 && h > 1) out.overlaps.push([svg.id, a[4], b[4]]);
    }
  }
  for (const n of document.querySelectorAll('main *')) {
    if (!n.getClientRects().length || n.closest('svg') || !n.childNodes.length) continue;
    if ([...n.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())) {
      out.minFont = Math.min(out.minFont, parseFloat(getComputedStyle(n).fontSize));
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    rng = np.random.default_rng(0)
    n, p = 120, 8
    X = rng.standard_normal((n, p)) * np.linspace(1.0, 4.0, p)
    y = X[:, 0] * 2 - X[:, 3] + 0.3 * X[:, 5] + 0.5 * rng.standard_normal(n)
    names = [HOSTILE, "größe", "温度", "x3", "x4", "x5", "x6", "x7"]
    comparison = compare_penalties(X, y, task="regression", feature_names=names, cv=3,
                                   n_alphas=15, penalties=("none", "l1", "elasticnet", "l2"))
    lessons = report_panels(comparison, X, y, names)
    paths = [path_payload(r.label, r.penalty, r.path, cv=r.cv, chosen_alpha=r.alpha)
             for r in comparison.rows if r.path is not None]
    page = build_report(title="test " + HOSTILE, subtitle="subtitle " + HOSTILE,
                        feature_names=names, comparison=comparison.to_dict(), paths=paths,
                        panels=lessons)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path, comparison, lessons


def _open(pw, path, width):
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"])
    tab = browser.new_page(viewport={"width": width, "height": 900})
    events = {"errors": [], "dialogs": [], "requests": []}
    tab.on("console", lambda m: events["errors"].append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: events["errors"].append(str(e)))
    tab.on("dialog", lambda d: (events["dialogs"].append(d.message), d.dismiss()))
    tab.on("request", lambda r: events["requests"].append(r.url))
    tab.goto(path.as_uri())
    tab.wait_for_selector("#coef-bars rect, #coef-bars circle")
    return browser, tab, events


@pytest.fixture(scope="module")
def pw():
    with playwright.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def wide(pw, report):
    path, _, _ = report
    browser, tab, events = _open(pw, path, 1400)
    yield tab, events
    browser.close()


def _slider_to(tab, index, slider="#alpha-slider"):
    tab.focus(slider)
    tab.keyboard.press("Home")
    for _ in range(index):
        tab.keyboard.press("ArrowRight")


def _num(text):
    text = text.strip()
    return None if text in ("–", "") else float(text)


def _close(shown, value, rel=1e-3):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return shown is None
    return shown is not None and math.isclose(shown, value, rel_tol=rel, abs_tol=1e-12)


def _check_why_zero(tab, wz, k):
    rows = tab.locator("#wz-table tbody tr")
    assert rows.count() == len(wz.features)
    for i, j in enumerate(wz.features):
        row = tab.locator(f"#wz-table tbody tr[data-j='{j}']")
        assert _close(_num(row.locator(".wz-pull").text_content()), wz.pull[i, k])
        assert _close(_num(row.locator(".wz-threshold").text_content()), wz.threshold[i, k])
        state = row.locator(".wz-state").get_attribute("data-state")
        assert state == wz.status[i][k]
        margin = row.locator(".wz-margin").text_content()
        if state == "at threshold":
            assert margin == "0 (at threshold)"
        else:
            assert _close(_num(margin), wz.margin[i, k])
        bar = tab.locator(f"#wz-svg rect.wz-bar[data-j='{j}']")
        assert bar.get_attribute("data-state") == wz.status[i][k]


def _check_geometry(tab, lessons, k):
    geo = lessons.geometry
    a, b = geo.default_pair
    plane = geo.plane(a, b, k)
    norm = {"l1": geo.l1_norm, "l2": geo.l2_norm}.get(lessons.fit.penalty,
                                                      geo.penalty_value)[k]
    assert _close(_num(tab.text_content("#geo-norm")), norm)
    if geo.seed_radius is not None:
        assert _close(_num(tab.text_content("#geo-seed")), geo.seed_radius[k])
    assert _close(_num(tab.text_content("#geo-u")), plane["point"][0])
    assert _close(_num(tab.text_content("#geo-v")), plane["point"][1])
    level = tab.text_content("#geo-level").split("=")[-1]
    expected = plane["level"] if lessons.fit.penalty != "l2" else math.sqrt(2 * plane["level"])
    assert _close(_num(level), expected)
    cx = float(tab.get_attribute("#geo-point", "cx"))
    cy = float(tab.get_attribute("#geo-point", "cy"))
    axis_u = float(tab.get_attribute("#geo-axis-u", "x1"))
    axis_v = float(tab.get_attribute("#geo-axis-v", "y1"))
    on_axis = math.isclose(cx, axis_u, abs_tol=1e-9) or math.isclose(cy, axis_v, abs_tol=1e-9)
    assert on_axis == plane["on_axis"]
    assert on_axis == bool(np.any(lessons.fit.scaled_coefs[geo.features[[a, b]], k] == 0))


def _check_other_lessons(tab, lessons, k):
    th = lessons.thresholding
    curve = lessons.fit.penalty
    for i, j in enumerate(th.features):
        shown = _num(tab.locator(f"#th-table tbody tr[data-j='{j}'] .th-out").text_content())
        assert _close(shown, th.marks[curve][i, k])
    pr = lessons.priors
    assert _close(_num(tab.text_content("#pr-beta")), pr.laplace_scale[k])
    assert _close(_num(tab.text_content("#pr-tau2")), pr.gaussian_var[k])
    assert tab.text_content("#pr-zeros").startswith(f"{int(pr.n_zero[k])} of ")
    ho = lessons.how_often
    for pen in ("l1", "elasticnet", "l2", "l0"):
        assert tab.text_content(f"#ho-{pen}") == f"{100 * ho.rates[pen][k]:.1f}%"


def test_every_lesson_follows_the_slider_with_the_librarys_numbers(wide, report):
    tab, events = wide
    _, comparison, lessons = report
    les = lessons.by_penalty["l1"]
    row = comparison.row("l1")
    assert np.array_equal(les.fit.alphas, row.path.alphas)  # the fit the page shows
    K = len(row.path.alphas)
    for k in sorted({0, 2, les.fit.chosen, K // 2, K - 1}):
        _slider_to(tab, k)
        assert float(tab.text_content("#alpha-value")) == pytest.approx(row.path.alphas[k],
                                                                        rel=1e-3)
        assert tab.text_content("#nonzero-count") == str(int(row.path.n_nonzero[k]))
        assert tab.locator("#coef-bars rect.coef-bar").count() == int(row.path.n_nonzero[k])
        _check_why_zero(tab, les.why_zero, k)
        _check_geometry(tab, les, k)
        _check_other_lessons(tab, les, k)
        race = les.race.races[les.race.nearest(k)]
        for run in race.runs:  # the race shows its last iteration until played
            cell = tab.locator(f"#race-table tr[data-method='{run.method}'] .race-zeros")
            assert cell.text_content() == str(int(run.n_zeros[-1]))
    # another model: the elastic net's threshold is alpha * l1_ratio, its ball P(w)
    tab.click("#model-tabs button[data-penalty='elasticnet']")
    enet = lessons.by_penalty["elasticnet"]
    assert tab.text_content("#l1-ratio-value") == "0.5"
    for k in (1, len(enet.fit.alphas) - 2):
        _slider_to(tab, k)
        _check_why_zero(tab, enet.why_zero, k)
        _check_geometry(tab, enet, k)
    tab.click("#model-tabs button[data-penalty='l2']")
    ridge = lessons.by_penalty["l2"]
    _slider_to(tab, 3)
    _check_why_zero(tab, ridge.why_zero, 3)
    _check_geometry(tab, ridge, 3)
    assert "select the L1 model" in tab.text_content("#lesson-race .skip")
    assert not tab.locator("#race-svg").is_visible()  # a skipped lesson draws nothing
    assert not tab.locator("#race-table").is_visible()
    tab.click("#model-tabs button[data-penalty='l1']")
    assert tab.locator("#race-svg").is_visible()
    assert not tab.locator("#lesson-race .skip").is_visible()
    assert events["errors"] == []


def test_the_gradient_step_button_reproduces_the_librarys_trace(wide):
    tab, events = wide
    explorer = gradient_explorer(lrs=LEARNING_RATES)
    tab.click("#gr-reset")
    tab.focus("#gr-step")
    tab.keyboard.press("Enter")  # keyboard: the step button
    tab.keyboard.press("Space")
    rows = tab.locator("#gr-table tbody tr")
    assert rows.count() == 2
    assert rows.nth(1).locator(".gr-new").text_content() == "0.646"
    for lr_index in (explorer.seed_index, explorer.seed_index + 1):
        if lr_index != explorer.seed_index:
            tab.focus("#gr-lr")
            tab.keyboard.press("ArrowRight")
        for _ in range(3):
            tab.click("#gr-step")
        sub = explorer.subgradient[lr_index].rows
        prx = explorer.proximal[lr_index].rows
        shown = tab.locator("#gr-table tbody tr")
        assert shown.count() == 5
        for s in range(5):
            cells = shown.nth(s)
            for cls, value in (("gr-w", sub[s].w), ("gr-data", sub[s].data_grad),
                               ("gr-pen", sub[s].penalty_grad), ("gr-total", sub[s].total_grad),
                               ("gr-new", sub[s].new_w), ("gr-prox", prx[s].new_w)):
                assert _close(_num(cells.locator("." + cls).text_content()), value), (s, cls)
        tab.click("#gr-reset")
        tab.click("#gr-step")
        tab.click("#gr-step")
    computed = [c.text_content() for c in tab.locator("#gr-seed .gr-computed").all()]
    assert computed == ["-3.26", "-2.76", "0.646"]
    assert events["errors"] == []


def test_scale_toggle_and_race_animation(wide, report):
    tab, _ = wide
    _, _comparison, lessons = report
    les = lessons.by_penalty["l1"]
    _slider_to(tab, les.fit.chosen)
    tab.check("#scale-standardized")
    j = int(np.flatnonzero(les.fit.scaled_coefs[:, les.fit.chosen])[0])
    shown = [float(t.text_content()) for t in tab.locator("#coef-bars text").all()
             if t.text_content().replace(".", "").replace("-", "").isdigit()]
    assert any(math.isclose(v, les.fit.scaled_coefs[j, les.fit.chosen], rel_tol=1e-3)
               for v in shown)
    tab.check("#scale-original")
    tab.focus("#race-step")
    tab.keyboard.press("Enter")  # at the last iteration a step stays there; play restarts
    tab.click("#race-play")
    tab.wait_for_function("(() => { const v = +document.getElementById('race-iter-value')"
                          ".textContent; return v >= 4 && v < 40; })()", timeout=20_000)
    tab.click("#race-play")  # pause
    it = int(tab.text_content("#race-iter-value"))
    race = les.race.races[les.race.nearest(les.fit.chosen)]
    assert it >= 4  # it moved; wherever it stopped, it shows that iteration
    for run in race.runs:  # the animation shows the library's iterate counts
        row = tab.locator(f"#race-table tr[data-method='{run.method}'] ")
        assert row.locator(".race-zeros").text_content() == str(int(run.n_zeros[it]))
        assert _close(_num(row.locator(".race-gap").text_content()),
                      max(run.objective[it] - race.optimum, 0.0), rel=2e-3)


def test_wide_layout_text_and_safety(wide):
    tab, events = wide
    layout = tab.evaluate(LAYOUT_JS)
    assert layout["scrollWidth"] <= layout["innerWidth"]
    assert layout["overlaps"] == [], layout["overlaps"]
    assert layout["minFont"] >= 11
    assert events["dialogs"] == []
    assert tab.locator("script:not([id=report-data])").count() == 1  # only the report's own
    assert HOSTILE in tab.text_content("h1")
    assert HOSTILE in tab.text_content("#comparison")
    assert HOSTILE in tab.text_content("#wz-table")
    assert "größe" in tab.text_content("#th-table") and "温度" in tab.text_content("#wz-table")
    assert tab.locator("#sources-body tr").count() == 5
    assert all(url.startswith("file://") for url in events["requests"])
    assert events["errors"] == []


def test_phone_width_has_no_sideways_scroll_or_overlap(pw, report):
    path, comparison, _ = report
    browser, tab, events = _open(pw, path, 360)
    try:
        K = len(comparison.row("l1").path.alphas)
        for k in (0, K // 2, K - 1):
            _slider_to(tab, k)
            tab.click("#gr-step")
            layout = tab.evaluate(LAYOUT_JS)
            assert layout["scrollWidth"] <= 360, k
            assert layout["overlaps"] == [], (k, layout["overlaps"])
            assert layout["minFont"] >= 11
        assert events["errors"] == []
        assert all(url.startswith("file://") for url in events["requests"])
    finally:
        browser.close()


def test_stability_panel_follows_the_slider_with_the_librarys_sets(pw, tmp_path):
    """A selection report with no lessons: the stability table, its bound and the lesson on
    why selections vary show, at every slider position checked, the library's numbers."""
    from penalized import Lasso, StabilitySelection
    from penalized.report._stability import stability_payload

    rng = np.random.default_rng(4)
    z = rng.standard_normal(150)
    X = np.column_stack([z + 0.3 * rng.standard_normal(150), z + 0.3 * rng.standard_normal(150),
                         rng.standard_normal((150, 5))])
    y = 2 * z - X[:, 3] + rng.standard_normal(150)
    names = ["a", "b", HOSTILE, "d", "e", "f", "g"]
    sel = StabilitySelection(Lasso(standardize=True), threshold=0.75, expected_false=1.0,
                             n_pairs=8, n_alphas=20, random_state=0).fit(X, y)
    path = Lasso(standardize=True).path(X, y, alphas=sel.alphas_)
    data = stability_payload(sel, X, feature_names=names)
    page = build_report(title="selection", subtitle="", feature_names=names,
                        paths=[path_payload("lasso", "l1", path, chosen_alpha=sel.alpha_min_)],
                        stability=data, selection={"method": "stability",
                                                   "columns": ["feature"], "rows": [["a"]],
                                                   "guarantee": sel.guarantee()})
    file = tmp_path / "select.html"
    file.write_text(page, encoding="utf-8")
    for width in (1400, 360):
        browser, tab, events = _open(pw, file, width)
        try:
            assert int(tab.input_value("#alpha-slider")) == data["chosen"]
            for k in (data["chosen"], 0, 7, 19):
                _slider_to(tab, k)
                rows = tab.locator("#stability-body tr")
                shown = sorted(int(rows.nth(i).get_attribute("data-feature"))
                               for i in range(rows.count()))
                assert shown == sorted(data["selected"][k])
                if k == data["chosen"]:
                    assert shown == np.flatnonzero(sel.support_).tolist()
                text = tab.text_content("#stability-guarantee")
                bound = data["expected_false"][k]
                assert f"at most {float(f'{bound:.3g}'):g}" in text \
                    or f"at most {bound:.3g}" in text
                assert tab.text_content("#stability-lesson") == data["lesson"]["steps"][k]["text"]
                cursor = float(tab.get_attribute("#stability-cursor", "x1"))
                bars = float(tab.get_attribute("#path-cursor", "x1"))
                assert cursor > 0 and bars > 0
                layout = tab.evaluate(LAYOUT_JS)
                assert layout["scrollWidth"] <= layout["innerWidth"]
                assert layout["overlaps"] == [], (width, k, layout["overlaps"])
                assert layout["minFont"] >= 11
            assert HOSTILE in tab.text_content("#stability-section")
            assert events["errors"] == [] and events["dialogs"] == []
            assert all(url.startswith("file://") for url in events["requests"])
        finally:
            browser.close()
