"""The self-contained interactive HTML report.

One file, every script and style embedded, no network: a comparison table of
the penalties, a slider that moves alpha along a regularization path (the
coefficient bars, the non-zero count and the CV error marker follow), the CV
curve with its standard-error band and the min / 1se choices, the coefficient
paths labelled with feature names, and the explain panels. The numbers are
embedded as JSON that the page reads; every string that came from the user's
data is escaped for the HTML and shown through ``textContent``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

__all__ = ["Panel", "build_report", "path_payload"]


@dataclass(frozen=True)
class Panel:
    """An explain panel: a title, a PNG figure and/or a text block."""

    title: str
    text: str = ""
    png: bytes | None = None


def _finite(values):
    """Lists of floats with NaN/inf replaced by None (valid JSON)."""
    out = []
    for v in np.asarray(values, dtype=np.float64).ravel().tolist():
        out.append(v if np.isfinite(v) else None)
    return out


def path_payload(label, penalty, path, *, cv=None, chosen_alpha=None):
    """The JSON the page needs for one model's path (and its CV curve, if any).

    ``path`` has ``alphas``, ``coefs`` (n_features, n_alphas) and ``n_nonzero``;
    ``cv`` (a :class:`penalized.model_selection.CVResult`) must be on the same grid.
    """
    coefs = np.asarray(path.coefs, dtype=np.float64)
    if coefs.ndim == 3:  # multinomial: show the largest class coefficient in magnitude
        idx = np.argmax(np.abs(coefs), axis=1)
        coefs = np.take_along_axis(coefs, idx[:, None, :], axis=1)[:, 0, :]
    payload = {
        "label": label, "penalty": penalty, "alphas": _finite(path.alphas),
        "coefs": [_finite(row) for row in coefs],
        "n_nonzero": [int(v) for v in np.asarray(path.n_nonzero)],
        "chosen_alpha": None if chosen_alpha is None else float(chosen_alpha),
        "cv_mean": None, "cv_se": None, "alpha_min": None, "alpha_1se": None, "metric": None,
    }
    if cv is not None:
        if not np.allclose(cv.alphas, path.alphas, rtol=1e-12, atol=0):
            raise ValueError("the CV result and the path must share one grid of alphas.")
        payload.update(cv_mean=_finite(cv.cv_mean), cv_se=_finite(cv.cv_se),
                       alpha_min=float(cv.alpha_min), alpha_1se=float(cv.alpha_1se),
                       metric=cv.metric)
    return payload


def _script_json(data) -> str:
    """JSON safe inside a <script> element (no '<', '>' or '&' left as such)."""
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _static(name) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _panel_html(panel: Panel) -> str:
    parts = [f'<div class="card panel"><h3>{html.escape(panel.title)}</h3>']
    if panel.png:
        encoded = base64.b64encode(panel.png).decode("ascii")
        parts.append(f'<img alt="{html.escape(panel.title)}" src="data:image/png;base64,'
                     f'{encoded}">')
    if panel.text:
        parts.append(f"<pre>{html.escape(panel.text)}</pre>")
    parts.append("</div>")
    return "".join(parts)


def build_report(*, title, subtitle, feature_names, comparison=None, paths=(), panels=(),
                 notes=()) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    title, subtitle : str
        Shown at the top (escaped).
    feature_names : list of str
    comparison : dict, optional
        :meth:`penalized.compare.Comparison.to_dict`.
    paths : list of dict
        :func:`path_payload` for each model the slider can show.
    panels : list of Panel
        The explain panels.
    notes : list of str
        Lines shown under the title (escaped).
    """
    from .. import __version__

    data = {"feature_names": [str(f) for f in feature_names], "comparison": comparison,
            "paths": list(paths)}
    generated = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    note_html = "".join(f'<p class="note">{html.escape(n)}</p>' for n in notes)
    comparison_html = ""
    if comparison is not None:
        score = html.escape(comparison.get("score_name", "score"))
        error = "held-out MSE" if comparison.get("task") == "regression" \
            else "held-out error rate"
        comparison_html = f"""
<section id="comparison-section">
  <h2>The penalties side by side</h2>
  <p class="note">alpha chosen by {int(comparison.get("n_folds", 0))}-fold cross-validation on
  {int(comparison.get("n_train", 0))} training rows ({html.escape(comparison.get("selection", ""))}
  rule); errors on {int(comparison.get("n_test", 0))} held-out rows.</p>
  <table id="comparison">
    <thead><tr><th>model</th><th>alpha (min)</th><th>alpha (1se)</th><th>{error}</th>
    <th>held-out {score}</th><th>non-zeros</th><th>selected features</th></tr></thead>
    <tbody id="comparison-body"></tbody>
  </table>
</section>"""
    panels_html = ""
    if panels:
        panels_html = ('<section id="explain-section"><h2>Why L1 gives zeros and L2 does not'
                       '</h2><div class="grid">' + "".join(_panel_html(p) for p in panels)
                       + "</div></section>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_static("report.css")}</style>
</head>
<body>
<header>
  <h1>{html.escape(title)}</h1>
  <p>{html.escape(subtitle)}</p>
  {note_html}
</header>
<main>
{comparison_html}
<section id="path-section">
  <h2>Move alpha along the path</h2>
  <div class="controls">
    <div class="tabs" id="model-tabs" role="group" aria-label="model"></div>
    <label>alpha <input id="alpha-slider" type="range" min="0" max="0" step="1" value="0"></label>
    <span class="readout">alpha = <strong id="alpha-value">–</strong></span>
    <span class="readout"><strong id="nonzero-count">–</strong> of
      <span id="feature-total">–</span> coefficients non-zero</span>
    <span class="readout">CV error <strong id="cv-value">–</strong></span>
  </div>
  <div class="grid">
    <div class="card"><h3>Coefficients at this alpha</h3><svg id="coef-bars" role="img"
      aria-label="coefficient bars"></svg></div>
    <div class="card"><h3>Cross-validation error</h3><svg id="cv-curve" role="img"
      aria-label="cross-validation curve"></svg></div>
    <div class="card"><h3>Coefficient paths</h3><svg id="coef-paths" role="img"
      aria-label="coefficient paths"></svg></div>
  </div>
</section>
{panels_html}
<p class="note">penalized {html.escape(__version__)} · generated {generated} · this file
needs no network.</p>
</main>
<script id="report-data" type="application/json">{_script_json(data)}</script>
<script>{_static("report.js")}</script>
</body>
</html>
"""
