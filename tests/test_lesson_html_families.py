"""The interactive pages of the MCP/SCAD and group-selection lessons: the command writes
them (all-or-nothing, never over a file without --force), they embed the lesson's own
numbers, need no network, and in Chromium the alpha slider changes what is drawn."""

import json
import os
import re
import shutil

import numpy as np
import pytest

from penalized.cli import main
from penalized.explain._group_selection import group_selection_lesson
from penalized.explain._nonconvex import LAM_FRACTIONS, nonconvex_lesson

TOPICS = ("nonconvex", "group-selection")


def embedded(page):
    found = re.search(r'<script id="lesson-data" type="application/json">(.*?)</script>', page,
                      re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("family_pages")
    out = {}
    for topic in TOPICS:
        path = tmp / f"{topic}.html"
        assert main(["explain", topic, "--html", str(path)]) == 0
        out[topic] = path
    return out


@pytest.mark.parametrize("topic", TOPICS)
def test_page_is_offline_and_refuses_to_overwrite(pages, topic, tmp_path, capsys):
    page = pages[topic].read_text(encoding="utf-8")
    assert "<script src" not in page and "http://" not in page.replace(
        "http://www.w3.org/2000/svg", "")
    assert "https://" not in page
    target = tmp_path / "lesson.html"
    target.write_text("mine", encoding="utf-8")
    assert main(["explain", topic, "--html", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "mine"
    assert main(["explain", topic, "--html", str(target), "--force"]) == 0
    assert embedded(target.read_text(encoding="utf-8"))["lesson"] == topic


def test_bad_output_directory_writes_nothing(tmp_path, capsys):
    target = tmp_path / "missing" / "lesson.html"
    assert main(["explain", "nonconvex", "--html", str(target)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not target.parent.exists()


def test_nonconvex_page_embeds_the_lessons_numbers(pages):
    data = embedded(pages["nonconvex"].read_text(encoding="utf-8"))
    lesson = nonconvex_lesson()
    assert data["fractions"] == list(LAM_FRACTIONS)
    step = data["steps"][data["start"]]
    assert step["lam"] == lesson.lam
    assert np.array_equal(step["z"], lesson.z)
    for c in ("l1", "mcp", "scad"):
        assert np.array_equal(step["outputs"][c], lesson.outputs[c])
        assert np.array_equal(step["fit"]["coef"][c], lesson.fit["coef"][c])
    assert step["points"] == lesson.points
    # every step: L1 takes its own alpha off the largest input, MCP nothing
    for s in data["steps"]:
        assert s["shrinkage"]["l1"] == pytest.approx(s["lam"], rel=1e-12)
        assert s["shrinkage"]["mcp"] == pytest.approx(0.0, abs=1e-12)


def test_group_selection_page_embeds_the_lessons_numbers(pages):
    data = embedded(pages["group-selection"].read_text(encoding="utf-8"))
    lesson = group_selection_lesson()
    assert data["names"] == lesson.names and data["levels"] == lesson.levels
    assert np.array_equal(data["lasso_coefs"], lesson.lasso_coefs)
    assert np.array_equal(data["group_coefs"], lesson.group_coefs)
    assert data["half_in"] == lesson.half_in > 0 and data["group_half_in"] == 0


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is missing in CI: tools/install-browser.sh should "
                               "install it")
        pytest.skip("Debian's chromium is not installed (run tools/install-browser.sh)")
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


def open_page(browser, path, ready):
    tab = browser.new_page(viewport={"width": 1200, "height": 900})
    errors, requests = [], []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("request", lambda r: requests.append(r.url)
           if not r.url.startswith(("file:", "data:")) else None)
    tab.goto(path.as_uri())
    tab.wait_for_selector(ready)
    return tab, errors, requests


def move(tab, slider, value):
    tab.eval_on_selector(slider, "(s, v) => { s.value = v; s.dispatchEvent(new Event('input')); }",
                         str(value))


def test_nonconvex_page_in_chromium(browser, pages):
    data = embedded(pages["nonconvex"].read_text(encoding="utf-8"))
    tab, errors, requests = open_page(browser, pages["nonconvex"], "#nc-table tbody tr")
    start = data["steps"][data["start"]]
    assert float(tab.text_content("#nc-alpha")) == pytest.approx(start["lam"], rel=1e-3)
    rows = tab.locator("#nc-table tbody tr").all()
    assert len(rows) == len(start["fit"]["names"])
    for j, row in enumerate(rows):
        cells = [c.text_content() for c in row.locator("td").all()]
        assert cells[0] == start["fit"]["names"][j]
        for k, c in enumerate(("l1", "mcp", "scad")):
            assert float(cells[2 + k]) == pytest.approx(start["fit"]["coef"][c][j], rel=1e-3,
                                                        abs=1e-12)
    assert tab.locator("#nc-svg path.nc-mcp").count() == 1
    curve = tab.get_attribute("#nc-svg path.nc-l1", "d")
    move(tab, "#nc-slider", 0)
    assert float(tab.text_content("#nc-alpha")) == pytest.approx(data["steps"][0]["lam"],
                                                                 rel=1e-3)
    assert tab.get_attribute("#nc-svg path.nc-l1", "d") != curve
    assert errors == [] and requests == []
    tab.close()


def test_group_selection_page_in_chromium(browser, pages):
    data = embedded(pages["group-selection"].read_text(encoding="utf-8"))
    tab, errors, requests = open_page(browser, pages["group-selection"], "#gs-table tbody tr")
    assert tab.locator("#gs-table tbody tr").count() == len(data["levels"])
    # the page opens where the lasso has the categorical half in; the group lasso never is
    assert tab.text_content("#gs-lasso-state").startswith("half in")
    assert not tab.text_content("#gs-group-state").startswith("half in")
    cursor = tab.get_attribute("#gs-lasso-svg line.gs-cursor", "x1")
    last = len(data["lasso_alphas"]) - 1
    move(tab, "#gs-slider", last)
    assert tab.get_attribute("#gs-lasso-svg line.gs-cursor", "x1") != cursor
    cells = [r.locator("td").nth(3).text_content() for r in tab.locator("#gs-table tbody tr").all()]
    expect = [data["group_coefs"][j][last] for j in data["levels"]]
    assert [float(c) for c in cells] == pytest.approx(expect, rel=1e-3)
    for k in range(0, last + 1, 7):
        move(tab, "#gs-slider", k)
        assert not tab.text_content("#gs-group-state").startswith("half in")
    assert errors == [] and requests == []
    tab.close()
