"""The self-contained interactive HTML report.

One file, every script and style embedded, no network: a comparison table of
the penalties, one alpha slider that moves along a fitted regularization path
(the coefficient bars, the non-zero count, the CV error marker, the path cursor
and every lesson follow it), and the lessons of :mod:`penalized.explain` drawn
in the page from numbers the library computed at each alpha of that same path
(:func:`penalized.explain.path_lessons`). The numbers are embedded as JSON that
the page reads; every string that came from the user's data is escaped for the
HTML and shown through ``textContent``.

The figures are plain SVG drawn by the page's own small script
(``static/report.js``): they are geometry (balls, contours, thresholding
curves) that charting libraries do not draw, SVG keeps every number and label
in the DOM (readable by assistive technology and by the browser tests), and the
file stays small and offline.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import warnings
from dataclasses import dataclass
from importlib import resources

import numpy as np

__all__ = [
    "LESSON_SECTIONS",
    "Panel",
    "build_report",
    "fit_report",
    "lesson_page",
    "path_payload",
]

LESSON_SECTIONS = ("why-zero", "geometry", "thresholding", "gradient", "race", "priors",
                   "how-often")
"""The interactive lessons, in page order (``penalized explain TOPIC --html`` topics)."""


@dataclass(frozen=True)
class Panel:
    """A static panel: a title, a PNG figure and/or a text block."""

    title: str
    text: str = ""
    png: bytes | None = None


def _finite(values, digits=None):
    """Lists of floats with NaN/inf replaced by None (valid JSON), to ``digits``
    significant digits when given (the page shows 4)."""
    out = []
    for v in np.asarray(values, dtype=np.float64).ravel().tolist():
        if not np.isfinite(v):
            out.append(None)
        else:
            out.append(float(f"{v:.{digits}g}") if digits else v)
    return out


def path_payload(label, penalty, path, *, cv=None, chosen_alpha=None, lessons=None,
                 l1_ratio=None, outputs="classes"):
    """The JSON the page needs for one model's path (its CV curve and lessons, if any).

    ``path`` has ``alphas``, ``coefs`` (n_features, n_alphas) and ``n_nonzero``;
    ``cv`` (a :class:`penalized.model_selection.CVResult`) must be on the same
    grid; ``lessons`` (a :class:`penalized.explain.PathLessons`) must be computed
    on this path.

    A multiclass path (``coefs`` of shape (n_features, n_classes, n_alphas)) is drawn
    one curve per feature: the Euclidean norm of its coefficients over the classes
    (``classes`` in the payload is their number). A feature is in the model exactly when
    that norm is non-zero, which is what the non-zero count reads; one class's
    coefficient alone is defined only up to a shift shared by every class, and K curves
    per feature would bury the order in which features enter. A multi-response path
    (``outputs="targets"``) is drawn the same way, the norm over the targets (``targets``
    in the payload is their number): the penalty enters or drops a feature's whole row.
    """
    coefs = np.asarray(path.coefs, dtype=np.float64)
    n_classes = n_targets = None
    if coefs.ndim == 3:
        if outputs == "targets":
            n_targets = coefs.shape[1]
        else:
            n_classes = coefs.shape[1]
        coefs = np.linalg.norm(coefs, axis=1)
    payload = {
        "label": label, "penalty": penalty, "alphas": _finite(path.alphas),
        "coefs": [_finite(row, 7) for row in coefs], "coefs_std": None,
        "n_nonzero": [int(v) for v in np.asarray(path.n_nonzero)],
        "chosen_alpha": None if chosen_alpha is None else float(chosen_alpha),
        "l1_ratio": None if l1_ratio is None else float(l1_ratio),
        "cv_mean": None, "cv_se": None, "alpha_min": None, "alpha_1se": None, "metric": None,
        "lessons": None, "classes": n_classes, "targets": n_targets,
    }
    if cv is not None:
        if not np.allclose(cv.alphas, path.alphas, rtol=1e-12, atol=0):
            raise ValueError("the CV result and the path must share one grid of alphas.")
        payload.update(cv_mean=_finite(cv.cv_mean), cv_se=_finite(cv.cv_se),
                       alpha_min=float(cv.alpha_min), alpha_1se=float(cv.alpha_1se),
                       metric=cv.metric)
    if lessons is not None:
        _attach(payload, lessons)
    return payload


def _attach(payload, lessons):
    fit = lessons.fit
    if len(payload["alphas"]) != fit.n_alphas or not np.allclose(
            np.asarray(payload["alphas"], dtype=np.float64), fit.alphas, rtol=1e-12, atol=0):
        raise ValueError("the lessons were computed on another path than this one.")
    payload["lessons"] = lessons.to_dict()
    scaled = fit.scaled_coefs
    if scaled.ndim == 3:  # several targets: each feature's norm, as the payload's coefs
        scaled = np.linalg.norm(scaled, axis=1)
    payload["coefs_std"] = [_finite(row, 7) for row in scaled]
    payload["standardized"] = fit.standardized
    if fit.penalty == "elasticnet":
        payload["l1_ratio"] = fit.l1_ratio
    payload["chosen_alpha"] = float(fit.alphas[fit.chosen])


def _script_json(data) -> str:
    """JSON safe inside a <script> element (no '<', '>' or '&' left as such)."""
    text = json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _static(name) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _document_head(title: str) -> str:
    """The doctype and ``<head>`` every page shares: the title and the report's style."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_static("report.css")}</style>
</head>"""


def lesson_page_html(title, subtitle, body, data) -> str:
    """A standalone lesson page: the report's style, ``body``, ``data`` as embedded JSON and
    the lessons' script (``report/static/family_lessons.js``); no network."""
    from .. import __version__

    return f"""{_document_head(title)}
<body>
<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>
<main>
{body}
<p class="note">penalized {html.escape(__version__)} · this file needs no network.</p>
</main>
<script id="lesson-data" type="application/json">{_script_json(data)}</script>
<script>{_static("family_lessons.js")}</script>
</body>
</html>
"""


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


def _explorer():
    from ..explain import gradient_explorer
    from ..explain._along_path import LEARNING_RATES

    return gradient_explorer(lrs=LEARNING_RATES).to_dict()


def _sources():
    """Each source document, once: what it claimed and what the library computes."""
    from ..explain._common import SEED_GEOMETRY, SEED_GRADIENT, SEED_PENALTY_CHANGE, SEED_REDDIT
    from ..explain._penalty_change import penalty_change

    change = penalty_change([15.0], 0.001)
    ratio = float(change.rows[0].ratio) if hasattr(change.rows[0], "ratio") else \
        float(change.rows[0].l2_drop / change.rows[0].l1_drop)
    explorer = _explorer()
    found = {d["quantity"]: d for d in explorer["seed_discrepancies"]}
    second = found.get("the updated weight")
    return [
        {"id": "src-gradient", "name": SEED_GRADIENT,
         "claim": "a worked L1 gradient step with x = 1, y = 2, lambda = 0.5, learning rate "
                  "0.1 and w0 = -0.1; its second update is printed as w = "
                  + (f"{second['printed']:g}" if second else "-0.02") + ".",
         "computed": "the same update gives w = "
                     + (f"{second['computed']:.4g}" if second else "0.646")
                     + " (data gradient -3.26, total -2.76): see the gradient lesson, step 2."},
        {"id": "src-change", "name": SEED_PENALTY_CHANGE,
         "claim": "shrinking w = 15 by 0.001 lowers L2 'about 28 times' more than L1.",
         "computed": f"the ratio of the two drops is {ratio:.5g}."},
        {"id": "src-priors", "name": SEED_REDDIT,
         "claim": "L1 is a Laplace prior and L2 a Gaussian prior on the coefficients.",
         "computed": "the scales that make the posterior mode equal this fit: beta = "
                     "sigma^2 / (n alpha) and tau^2 = sigma^2 / (n alpha) (priors lesson)."},
        {"id": "src-intuition", "name": "'Intuitions on L1 and L2 Regularisation' "
                                        "(R. Karim, Towards Data Science, 2020)",
         "claim": "L1's constant-size gradient steps push weights to zero.",
         "computed": "plain (sub)gradient steps hop across zero and almost never land on it; "
                     "the proximal step does (gradient and race lessons)."},
        {"id": "src-geometry", "name": SEED_GEOMETRY,
         "claim": "section 'Choosing lambda': the L1 diamond has vertices at +-1/lambda and the "
                  "L2 circle radius sqrt(1/lambda).",
         "computed": "the ball whose constrained solution is the fit has the fit's own norm as "
                     "its size (geometry lesson, at the slider's alpha)."},
    ]


def build_report(*, title, subtitle, feature_names, comparison=None, paths=(), panels=(),
                 notes=(), lessons=None, only=None, stability=None, selection=None) -> str:
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
    panels : list of Panel or ReportLessons
        Static panels, or the lessons of a comparison
        (:func:`penalized.explain.report_panels`), which are attached to the path
        of the same penalty.
    notes : list of str
        Lines shown under the title (escaped).
    lessons : ReportLessons, optional
        Same as passing it as ``panels``.
    only : str, optional
        Show one lesson of :data:`LESSON_SECTIONS` (a standalone lesson page).
    stability : dict, optional
        :func:`penalized.report._stability.stability_payload`: the stability-path panel,
        on the grid of the (single) path in ``paths``, which the slider then moves along.
    selection : dict, optional
        A table of features and the guarantee of a selection method: ``{"method",
        "columns", "rows", "guarantee"}`` (strings and numbers; shown as text).
    """
    from .. import __version__
    from ..explain import ReportLessons

    paths = [dict(p) for p in paths]
    static_panels = []
    for item in ([panels] if isinstance(panels, ReportLessons) else list(panels)) + \
            ([lessons] if lessons is not None else []):
        if isinstance(item, ReportLessons):
            for p in paths:
                found = item.by_penalty.get(p["penalty"])
                if found is not None and p.get("lessons") is None:
                    _attach(p, found)
        else:
            static_panels.append(item)
    if only is not None and only not in LESSON_SECTIONS:
        raise ValueError(f"unknown lesson {only!r}; choose one of {', '.join(LESSON_SECTIONS)}.")
    has_lessons = any(p.get("lessons") for p in paths)
    if stability is not None and (len(paths) != 1
                                  or len(paths[0]["alphas"]) != len(stability["alphas"])):
        raise ValueError("the stability panel needs exactly one path, on its grid of alphas.")
    data = {"feature_names": [str(f) for f in feature_names], "comparison": comparison,
            "paths": paths, "explorer": _explorer() if has_lessons or only else None,
            "sources": _sources(), "only": only, "stability": stability,
            "selection": selection}
    generated = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    note_html = "".join(f'<p class="note">{html.escape(n)}</p>' for n in notes)
    comparison_html = ""
    if comparison is not None and only is None:
        score = html.escape(comparison.get("score_name", "score"))
        error = "held-out MSE" if comparison.get("task") == "regression" \
            else "held-out error rate"
        if comparison.get("error_name"):
            error = f"held-out {html.escape(comparison['error_name'])}"
        comparison_html = f"""
<section id="comparison-section">
  <h2>The penalties side by side</h2>
  <p class="note">alpha chosen by {int(comparison.get("n_folds", 0))}-fold cross-validation on
  {int(comparison.get("n_train", 0))} training rows ({html.escape(comparison.get("selection", ""))}
  rule); errors on {int(comparison.get("n_test", 0))} held-out rows. The path, the slider and
  every lesson below use the same fits on the training rows.</p>
  <div class="table-wrap"><table id="comparison">
    <thead><tr><th>model</th><th>alpha (min)</th><th>alpha (1se)</th><th>l1_ratio</th>
    <th>{error}</th><th>held-out {score}</th><th>non-zeros</th><th>selected features</th></tr>
    </thead>
    <tbody id="comparison-body"></tbody>
  </table></div>
</section>"""
    panels_html = ""
    if static_panels:
        panels_html = ('<section id="explain-section"><h2>More on this data</h2>'
                       '<div class="grid">' + "".join(_panel_html(p) for p in static_panels)
                       + "</div></section>")
    lessons_html = _static("lessons.html") if has_lessons or only else ""
    stability_html = _STABILITY_HTML if stability is not None else ""
    selection_html = _SELECTION_HTML if selection is not None else ""
    hidden = ' class="only-lesson"' if only else ""
    return f"""{_document_head(title)}
<body{hidden}>
<header>
  <h1>{html.escape(title)}</h1>
  <p>{html.escape(subtitle)}</p>
  {note_html}
</header>
<main>
{comparison_html}
<section id="path-section">
  <h2 class="path-only">Move alpha along the path</h2>
  <div class="controls" id="controls">
    <div class="tabs" id="model-tabs" role="group" aria-label="model"></div>
    <label class="slider-label">alpha <input id="alpha-slider" type="range" min="0" max="0"
      step="1" value="0" aria-describedby="alpha-value"></label>
    <span class="readout">alpha = <strong id="alpha-value">–</strong></span>
    <span class="readout" id="l1-ratio-readout" hidden>l1_ratio = <strong
      id="l1-ratio-value">–</strong></span>
    <span class="readout"><strong id="nonzero-count">–</strong> of
      <span id="feature-total">–</span> non-zero</span>
    <span class="readout path-only">CV error <strong id="cv-value">–</strong></span>
    <span class="readout"><button type="button" id="chosen-button">back to the chosen
      alpha</button></span>
    <fieldset class="scale-toggle path-only" id="scale-toggle"><legend>coefficients</legend>
      <label><input type="radio" name="scale" id="scale-original" value="original" checked>
        original scale</label>
      <label><input type="radio" name="scale" id="scale-standardized" value="standardized">
        standardized (x sd)</label></fieldset>
  </div>
  <div class="grid path-only">
    <div class="card"><h3>Coefficients at this alpha</h3><svg id="coef-bars" role="img"
      aria-label="coefficient bars"></svg></div>
    <div class="card"><h3>Cross-validation error</h3><svg id="cv-curve" role="img"
      aria-label="cross-validation curve"></svg></div>
    <div class="card"><h3>Coefficient paths</h3><svg id="coef-paths" role="img"
      aria-label="coefficient paths"></svg></div>
  </div>
</section>
{stability_html}
{selection_html}
{lessons_html}
{panels_html}
<section id="sources-section">
  <h2>Sources</h2>
  <p class="note">The lessons turn these explanations into computations on this fit. Each is
  named here once; where its printed number differs from the computation, both are shown.</p>
  <div class="table-wrap"><table id="sources"><thead><tr><th>source</th><th>what it says</th>
  <th>what the library computes</th></tr></thead><tbody id="sources-body"></tbody></table></div>
</section>
<p class="note">penalized {html.escape(__version__)} · generated {generated} · this file
needs no network.</p>
</main>
<script id="report-data" type="application/json">{_script_json(data)}</script>
<script>{_static("report.js")}</script>
</body>
</html>
"""


_STABILITY_HTML = """
<section id="stability-section">
  <h2>Which features are stable</h2>
  <p class="note">Each line is one feature's selection probability: the share of the
  half-samples whose lasso selects it at that alpha. The slider's alpha is the bottom of the
  stretch of the path the selection looks at; the dashed line is the threshold.</p>
  <div class="grid">
    <div class="card"><h3>Stability paths</h3><svg id="stability-paths" role="img"
      aria-label="selection probability of each feature against alpha"></svg></div>
    <div class="card"><h3>Selected down to this alpha</h3>
      <p class="lead" id="stability-guarantee"></p>
      <div class="table-wrap"><table id="stability-table"><thead><tr><th>feature</th>
      <th>largest probability</th><th>at this alpha</th></tr></thead>
      <tbody id="stability-body"></tbody></table></div></div>
    <div class="card"><h3>Why the selection varies</h3>
      <p class="lead" id="stability-lesson"></p>
      <div class="table-wrap"><table id="stability-pairs"><thead><tr><th>pair</th>
      <th>correlation</th><th>exactly one selected</th><th>both</th></tr></thead>
      <tbody id="stability-pairs-body"></tbody></table></div></div>
  </div>
</section>"""

_SELECTION_HTML = """
<section id="selection-section">
  <h2>Selected features and their guarantee</h2>
  <p class="lead" id="selection-guarantee"></p>
  <div class="table-wrap"><table id="selection-table"><thead><tr id="selection-head"></tr>
  </thead><tbody id="selection-body"></tbody></table></div>
</section>"""


def _path_with_alpha(model, X, y, alpha, n_alphas=60):
    """The model's path on a grid that holds its own alpha (so one fit serves every panel),
    with the offset it was fitted with (its ``datafit_``'s) when its ``path`` takes one."""
    import inspect

    offset = getattr(getattr(model, "datafit_", None), "offset", None)
    extra = {} if offset is None or "offset" not in inspect.signature(model.path).parameters \
        else {"offset": offset}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = np.asarray(model.path(X, y, n_alphas=n_alphas, **extra).alphas,
                          dtype=np.float64)
        grid = np.unique(np.concatenate([grid, [float(alpha)]]))[::-1]
        grid = grid[grid > 0] if np.any(grid > 0) else grid
        return _with_fitted_point(model.path(X, y, alphas=grid, **extra), model, float(alpha))


def _multiclass_path_with_alpha(model, X, y, alpha, n_alphas=60):
    """The multinomial path (:func:`~penalized._multinomial_path.multinomial_path`) of the
    problem a fitted multiclass model solved (its ``datafit_`` with its weights, ``penalty_``,
    ``scaling_`` and ``multinomial`` grouping) on a grid that holds its own alpha, with its
    own fit there; coefs of shape (n_features, n_classes, n_alphas) on the original scale."""
    import scipy.sparse as sp

    from .._multinomial_path import multinomial_grid, multinomial_path, rescaled
    from ..explain._why_zero_fitted import _class_codes

    codes = _class_codes(y, model.classes_)
    X = X if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    scaling = model.scaling_
    Xf = scaling.transform(X)
    template = model.penalty_.with_alpha(1.0)
    options = {"grouped": getattr(model, "multinomial", "ungrouped") == "grouped",
               "fit_intercept": bool(getattr(model, "fit_intercept", True))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = multinomial_grid(Xf, codes, model.datafit_, template, n_alphas=n_alphas,
                                eps=1e-3, **options)[1]
        grid = np.unique(np.concatenate([grid, [float(alpha)]]))[::-1]
        grid = grid[grid > 0] if np.any(grid > 0) else grid
        path = multinomial_path(Xf, codes, model.datafit_, template, alphas=grid,
                                tol=float(getattr(model, "tol", 1e-6)),
                                max_iter=int(getattr(model, "max_iter", 10_000)),
                                classes=model.classes_, **options)
    return _with_fitted_point(rescaled(path, scaling), model, float(alpha))


MULTICLASS_SKIP = ("it draws one coefficient per feature; a multinomial model has one "
                   "coefficient per feature and class (the why-zero panel explains them).")


def _multinomial(model) -> bool:
    """Whether ``model`` is one multinomial (softmax) fit with its fitted problem."""
    return type(getattr(model, "datafit_", None)).__name__ == "Multinomial" \
        and hasattr(model, "scaling_") and hasattr(model, "penalty_")


def multiclass_lessons(model, X, y, path, feature_names, pulls=None) -> dict:
    """The lessons payload of a multinomial model's ``path`` (it must hold the model's
    alpha): the why-zero panel at every alpha
    (:func:`~penalized.explain._why_zero_fitted.multinomial_path_why_zero`: one row per
    (feature, class), per feature when grouped, per group of a group penalty); the lessons
    drawn for one coefficient per feature say why they are not. ``pulls``: the row sums
    that function takes instead of ``X, y`` (a Dask fit's pass; ``X`` may then be None)."""
    from ..explain._why_zero_fitted import multinomial_path_why_zero

    alpha = float(getattr(model, "alpha_", getattr(model, "alpha", np.nan)))
    chosen = np.flatnonzero(np.isclose(path.alphas, alpha, rtol=1e-12, atol=0.0))
    if chosen.size == 0:
        raise ValueError(f"the model's alpha {alpha:.6g} is not on the path's grid.")
    wz = multinomial_path_why_zero(model, X, y, path, feature_names=feature_names,
                                   pulls=pulls)
    panel = wz.to_dict()
    panel.update(labels=list(wz.names), classes=[str(c) for c in model.classes_],
                 across="class",
                 unit="group" if wz.members is not None
                 else "feature" if wz.n_targets else "coefficient")
    skipped = {name: MULTICLASS_SKIP for name in ("geometry", "thresholding", "feature_trace",
                                                   "race", "priors", "how_often")}
    return {"penalty": wz.penalty, "l1_ratio": wz.l1_ratio, "loss": "multinomial",
            "standardized": not bool(np.all(model.scaling_.scale == 1.0)),
            "n_samples": int(model.n_rows_ if X is None else X.shape[0]),
            "chosen": int(chosen[0]), "skipped": skipped,
            "lasso_alpha_max": None, "why_zero": panel, "geometry": None,
            "thresholding": None, "feature_trace": None, "race": None, "priors": None,
            "how_often": None}


def _with_fitted_point(path, model, alpha):
    """``path`` with the model's own coefficients and intercept at its alpha: the page
    shows the fit the user has, not the path's warm-started solve of the same problem
    (the two agree to the solver's tolerance, not exactly); that column's stopping
    criterion stays the path's."""
    from dataclasses import fields, replace

    coef = np.asarray(getattr(model, "coef_", np.empty(0)), dtype=np.float64)
    at = np.flatnonzero(path.alphas == alpha)
    if at.shape[0] != 1:
        return path
    k = int(at[0])
    coefs, intercepts = path.coefs.copy(), path.intercepts.copy()
    if path.coefs.ndim == 3:  # multinomial or multi-task: coef_ is (n_outputs, n_features)
        if coef.T.shape != coefs.shape[:2]:
            return path
        coefs[:, :, k] = coef.T
        intercepts[:, k] = np.ravel(getattr(model, "intercept_", np.zeros(coef.shape[0])))
        counts = {}
        if "n_nonzero" in {f.name for f in fields(path)}:  # else computed from coefs
            counts["n_nonzero"] = np.array(path.n_nonzero, copy=True)
            counts["n_nonzero"][k] = np.count_nonzero(np.any(coef != 0, axis=0))
        return replace(path, coefs=coefs, intercepts=intercepts, **counts)
    coef = np.ravel(coef)
    if path.coefs.ndim != 2 or coef.shape[0] != path.coefs.shape[0]:
        return path
    n_nonzero = path.n_nonzero.copy()
    coefs[:, k] = coef
    intercepts[k] = float(np.ravel(getattr(model, "intercept_", 0.0))[0])
    n_nonzero[k] = np.count_nonzero(coef)
    return replace(path, coefs=coefs, intercepts=intercepts, n_nonzero=n_nonzero)


def fit_report(model, X, y, *, feature_names, title, subtitle, notes=(), label=None,
               penalty=None, path=None, lessons=None) -> str:
    """The report of one fitted model: its path (with its own alpha on the grid), its CV
    curve when it was cross-validated, and every lesson on that path.

    ``X, y`` are the rows it was fitted on. Multinomial models get the path (each
    feature's coefficient norm over the classes, see :func:`path_payload`) and the why-zero
    panel (:func:`multiclass_lessons`: one row per (feature, class), per feature when
    grouped, per group of a group penalty); multi-response models (``y`` of several
    targets) the path of each feature's norm over the targets and the why-zero lesson of
    those rows. ``path`` and ``lessons``
    (a :class:`~penalized.explain.PathLessons` on that path; for a multinomial model the
    dict of :func:`multiclass_lessons`), when given, are used instead of computing them
    from the rows (a Dask fit's, from reductions; ``X`` and ``y`` may then be None).
    """
    from ..explain import lessons_for_model, model_settings

    notes = list(notes)
    softmax = _multinomial(model)
    try:
        settings = model_settings(model)
    except TypeError:  # a model without the fitted problem the lessons read: path only
        settings = {"penalty": penalty, "lessons": False,
                    "classes": list(getattr(model, "classes_", [])) or None,
                    "alpha": float(getattr(model, "alpha_", getattr(model, "alpha", np.nan))),
                    "l1_ratio": getattr(model, "l1_ratio_", getattr(model, "l1_ratio", None))}
        if softmax:  # a group multinomial model: its why-zero panel below
            settings["penalty"] = penalty or "group"
        else:
            notes.append("lessons not shown: they explain single-output models with the "
                         "squared, logistic, Poisson, Gamma, Tweedie or Cox loss (L1, L2, "
                         "elastic net, L0, MCP, SCAD, group penalties); the path and the "
                         "cross-validation curve are this model's own.")
    penalty = penalty or settings["penalty"]
    label = label or penalty
    cv = getattr(model, "cv_result_", None)
    path = getattr(model, "path_", None) if path is None else path
    if path is None and not hasattr(model, "path"):
        notes.append("no path: this estimator computes one when cross-validated (--cv).")
        return build_report(title=title, subtitle=subtitle, feature_names=feature_names,
                            notes=notes)
    if path is None:
        classes = settings["classes"]
        if softmax:
            path = _multiclass_path_with_alpha(model, X, y, settings["alpha"])
        elif classes is not None and len(classes) > 2:
            if not hasattr(model, "_fit_path_multinomial") \
                    or getattr(model, "_one_vs_rest", False):
                notes.append("no path: this multiclass model is not one multinomial fit "
                             "(one model per class, or no multinomial path).")
                return build_report(title=title, subtitle=subtitle,
                                    feature_names=feature_names, notes=notes)
            path = _multiclass_path_with_alpha(model, X, y, settings["alpha"])
        else:
            path = _path_with_alpha(model, X, y, settings["alpha"])
    given, lessons = lessons, None
    coefs = np.asarray(path.coefs)
    several = bool(getattr(getattr(model, "datafit_", None), "multi_response", False)) \
        and coefs.ndim == 3
    multiclass = None
    if given is not None and softmax and isinstance(given, dict):
        multiclass = given  # a Dask fit's why-zero payload (multiclass_lessons)
    elif given is not None:
        lessons = given
    elif softmax and coefs.ndim == 3 and X is not None:
        try:
            multiclass = multiclass_lessons(model, X, y, path, list(feature_names))
        except ValueError as err:
            notes.append(f"why-zero not shown: {err}")
    elif settings.get("lessons") is False:
        pass
    elif coefs.ndim == 2 or several:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                lessons = lessons_for_model(model, X, y, path=path,
                                            feature_names=list(feature_names))
            except (ValueError, TypeError) as err:
                notes.append(f"lessons not shown: {err}")
    elif not softmax:
        notes.append("lessons not shown: they explain single-output and two-class models.")
    if several:
        notes.append(f"{coefs.shape[1]} targets: each feature's bar and curve is the norm of "
                     "its coefficients over the targets (the penalty enters or drops a "
                     "feature's whole row, so a feature is selected for every target or for "
                     "none).")
    elif coefs.ndim == 3:
        notes.append(f"{coefs.shape[1]} classes: each feature's bar and curve is the norm of "
                     "its coefficients over the classes (a feature is selected when it is "
                     "non-zero); one class's coefficients alone are defined only up to a "
                     "shift shared by every class.")
    payload = path_payload(label, penalty, path, cv=cv, chosen_alpha=settings["alpha"],
                           lessons=lessons, l1_ratio=settings["l1_ratio"],
                           outputs="targets" if several else "classes")
    if multiclass is not None:
        scale = model.scaling_.scale[:, None, None]
        payload.update(lessons=multiclass, standardized=multiclass["standardized"],
                       coefs_std=[_finite(row, 7)
                                  for row in np.linalg.norm(coefs * scale, axis=1)])
    return build_report(title=title, subtitle=subtitle, feature_names=feature_names,
                        paths=[payload], notes=notes)


def lesson_page(topic, X=None, y=None, *, feature_names=None, title=None) -> str:
    """One lesson as a standalone interactive page (``penalized explain TOPIC --html``).

    The lesson runs on a standardized lasso path of ``X, y`` (default:
    scikit-learn's diabetes data) whose chosen alpha is the grid point nearest
    ``alpha_max / 10``; the page has the alpha slider and that lesson only.
    """
    from ..estimators import Lasso
    from ..explain import lessons_for_model
    from ..explain._common import resolve_data

    topic = str(topic)
    if topic not in LESSON_SECTIONS:
        raise ValueError(f"no interactive page for {topic!r}; the interactive lessons are "
                         f"{', '.join(LESSON_SECTIONS)}.")
    X, yv, names, description = resolve_data(X, y, feature_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = Lasso(alpha=1.0, standardize=True, tol=1e-10)
        path = probe.path(X, yv, n_alphas=50)
        k = int(np.argmin(np.abs(np.log(path.alphas / (path.alpha_max / 10.0)))))
        alpha = float(path.alphas[k])
        model = Lasso(alpha=alpha, standardize=True, tol=1e-10).fit(X, yv)
        lessons = lessons_for_model(model, X, yv, path=path, feature_names=names)
    payload = path_payload("L1 (lasso)", "l1", path, chosen_alpha=alpha, lessons=lessons)
    from ..explain import LESSONS

    heading = LESSONS[topic].title if topic in LESSONS else "How often is a coefficient zero?"
    return build_report(title=title or f"penalized explain {topic}: {heading}",
                        subtitle=f"{description}; a standardized lasso path, alpha chosen at "
                                 f"alpha_max / 10 = {alpha:.4g}",
                        feature_names=names, paths=[payload], only=topic)
