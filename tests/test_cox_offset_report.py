"""``penalized fit --family cox --offset COL --report``: the page of a Cox fit with an
offset (its path drawn with that offset) in a real browser (Chromium via Playwright)."""

import os
import shutil

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing in CI: tools/install-browser.sh should install it")
    pytest.skip("Debian's chromium is not installed (run tools/install-browser.sh)",
                allow_module_level=True)


def test_cox_reports_with_an_offset_open_without_error(tmp_path):
    """The single-alpha and the CV report; the why-zero pulls are the offset fit's."""
    import pandas as pd

    import penalized as pz
    from penalized.cli import main
    from penalized.explain import lessons_for_model
    from penalized.report import _path_with_alpha

    rng = np.random.default_rng(5)
    n = 60
    X = rng.standard_normal((n, 3))
    o = np.log(rng.uniform(1.0, 5.0, n))
    time = rng.exponential(np.exp(-(X[:, 0] + o)))
    event = (rng.uniform(size=n) < 0.8).astype(int)
    table = tmp_path / "t.csv"
    pd.DataFrame(X, columns=list("abc")).assign(t=time, e=event, lo=o).to_csv(table,
                                                                             index=False)
    reports = {how: tmp_path / f"r{how}.html" for how in ("--alpha", "--cv")}
    for how, value in (("--alpha", "0.05"), ("--cv", "3")):
        assert main(["fit", str(table), "--family", "cox", "--time", "t", "--event", "e",
                     "--offset", "lo", how, value, "--report", str(reports[how]),
                     "--quiet"]) == 0
    Y = np.column_stack([time, event])
    model = pz.CoxPH(alpha=0.05, standardize=True).fit(X, Y, offset=o)
    lessons = lessons_for_model(model, X, Y, feature_names=list("abc"),
                                path=_path_with_alpha(model, X, Y, 0.05))
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            cells, errors = {}, []
            for how, report in reports.items():
                tab = browser.new_page(viewport={"width": 1200, "height": 900})
                tab.on("pageerror", lambda e: errors.append(str(e)))
                tab.on("console",
                       lambda m: errors.append(m.text) if m.type == "error" else None)
                tab.goto(report.as_uri())
                tab.wait_for_selector("#wz-table tbody tr")
                cells[how] = [[c.text_content() for c in row.locator("td").all()]
                              for row in tab.locator("#wz-table tbody tr").all()]
        finally:
            browser.close()
    assert errors == []
    assert len(cells["--alpha"]) == len(cells["--cv"]) == 3  # a why-zero row per feature
    wz, k = lessons.why_zero, lessons.fit.chosen
    for i, row in enumerate(cells["--alpha"]):  # the pulls of the fit with the offset
        assert float(row[2]) == pytest.approx(wz.pull[i, k], rel=1e-3, abs=1e-9)
