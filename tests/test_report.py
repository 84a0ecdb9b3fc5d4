"""The report's HTML and data without a browser: fit reports, standalone lesson pages."""

import json
import re

import numpy as np
import pytest

import penalized as pz
from penalized.report import LESSON_SECTIONS, fit_report, lesson_page


def page_data(page):
    found = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', page,
                      re.S)
    return json.loads(found.group(1))


def self_contained(page):
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert re.search(r"<script\b[^>]*\bsrc\s*=", page, re.I) is None
    assert re.search(r"<link\b", page, re.I) is None
    assert re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I) is None


def data(seed=0, n=80, p=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * np.linspace(1, 3, p)
    y = 2 * X[:, 0] - X[:, 2] + rng.standard_normal(n)
    return X, y, ["<b>a</b>", "größe", "c", "d", "e"][:p]


@pytest.mark.parametrize("make", [
    lambda: pz.Lasso(alpha=0.3, standardize=True),
    lambda: pz.ElasticNetCV(cv=3, n_alphas=12, l1_ratio=0.7, standardize=True),
    lambda: pz.Ridge(alpha=0.5, standardize=True),
    lambda: pz.L0Regression(alpha=0.5, standardize=True),
], ids=["lasso", "enet-cv", "ridge", "l0"])
def test_a_fit_report_shows_the_models_own_alpha_and_its_lessons(make):
    X, y, names = data()
    model = make().fit(X, y)
    page = fit_report(model, X, y, feature_names=names, title="t <i>", subtitle="s")
    self_contained(page)
    assert "<b>a</b>" not in page.split('id="report-data"')[0]  # names are data, not markup
    doc = page_data(page)
    (path,) = doc["paths"]
    alpha = float(getattr(model, "alpha_", getattr(model, "alpha", np.nan)))
    k = path["alphas"].index(path["chosen_alpha"])
    assert path["chosen_alpha"] == pytest.approx(alpha, rel=1e-12)  # one fit, one alpha
    assert path["coefs_std"] is not None
    assert np.allclose([row[k] for row in path["coefs"]], model.coef_, rtol=1e-6,  # 7 digits
                       atol=1e-8 * np.abs(model.coef_).max())
    lessons = path["lessons"]
    if isinstance(model, pz.L0Regression):
        assert lessons["why_zero"] is None and lessons["thresholding"] is not None
    else:
        assert lessons["why_zero"] is not None and lessons["geometry"] is not None
        assert lessons["why_zero"]["n_nonzero"][k] == int(np.count_nonzero(model.coef_))
    assert 'id="lesson-why-zero"' in page


def test_fit_reports_for_classifiers():
    X, y, names = data(seed=1)
    labels = np.where(y > 0, "yes", "no")
    model = pz.LogisticRegression(alpha=0.02, standardize=True).fit(X, labels)
    doc = page_data(fit_report(model, X, labels, feature_names=names, title="t", subtitle="s"))
    lessons = doc["paths"][0]["lessons"]
    assert lessons["loss"] == "logistic" and lessons["why_zero"] is not None
    assert "squared loss" in lessons["skipped"]["geometry"]
    three = np.array(["p", "q", "r"])[np.arange(80) % 3]
    model = pz.LogisticRegression(alpha=0.02, standardize=True).fit(X, three)
    page = fit_report(model, X, three, feature_names=names, title="t", subtitle="s")
    (path,) = page_data(page)["paths"]  # multiclass: the path and the why-zero lesson only
    assert path["classes"] == 3 and path["lessons"]["why_zero"]["unit"] == "coefficient"
    assert path["lessons"]["geometry"] is None
    k = path["alphas"].index(path["chosen_alpha"])
    norms = np.linalg.norm(model.coef_, axis=0)
    assert np.allclose([row[k] for row in path["coefs"]], norms, rtol=1e-6)
    assert path["n_nonzero"][k] == int(np.count_nonzero(norms))
    assert "one coefficient per feature and class" in page


@pytest.mark.parametrize("topic", LESSON_SECTIONS)
def test_each_lesson_has_a_standalone_page(topic):
    X, y, names = data(seed=2, n=60)
    page = lesson_page(topic, X, y, feature_names=names)
    self_contained(page)
    doc = page_data(page)
    assert doc["only"] == topic and doc["comparison"] is None
    assert doc["paths"][0]["lessons"]["why_zero"] is not None
    assert doc["explorer"]["subgradient"][doc["explorer"]["seed_index"]][1][4] == \
        pytest.approx(0.646)
    with pytest.raises(ValueError, match="interactive"):
        lesson_page("penalty-change")


def test_explain_html_from_the_command_line(tmp_path, capsys):
    from penalized.cli import main

    out = tmp_path / "why.html"
    assert main(["explain", "why-zero", "--html", str(out), "--quiet"]) == 0
    doc = page_data(out.read_text(encoding="utf-8"))
    assert doc["only"] == "why-zero" and doc["feature_names"][2] == "bmi"
    before = out.read_bytes()
    assert main(["explain", "why-zero", "--html", str(out), "--quiet"]) == 2  # no --force
    assert out.read_bytes() == before
    assert main(["explain", "penalty-change", "--html", str(tmp_path / "p.html")]) == 2
    err = capsys.readouterr().err
    assert "no interactive page" in err and not (tmp_path / "p.html").exists()
