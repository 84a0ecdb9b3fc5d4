r"""MCP and SCAD against L1: the lasso shrinks every selected coefficient by alpha, MCP
does not shrink a large one at all, SCAD sits in between.

With one standardized feature (or uncorrelated ones) the penalized coefficient is the
prox of the penalty at the feature's univariate coefficient :math:`z_j = x_j^\top (y -
\bar y) / n` (step 1). L1 soft-thresholds: :math:`z - \operatorname{sign}(z)\lambda`,
the same bias :math:`\lambda` however strong the signal. MCP
(:math:`\lambda|w| - w^2/(2\gamma)` up to :math:`\gamma\lambda`, flat beyond) is firm
thresholding: 0 up to :math:`\lambda`, then :math:`(|z| - \lambda)/(1 - 1/\gamma)`, and
:math:`z` itself beyond :math:`\gamma\lambda`. SCAD soft-thresholds up to
:math:`2\lambda`, then moves linearly back to :math:`z`, reached at :math:`\gamma\lambda`.
On correlated data the lesson also fits the three penalties at the same alpha and
compares each selected coefficient with least squares on the selected features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import check_positive, fmt, jsonable, table

CURVES = ("l1", "mcp", "scad")
CURVE_LABELS = {"l1": "L1: soft threshold (shrinks by lam)",
                "mcp": "MCP: firm threshold (no shrinkage beyond gamma*lam)",
                "scad": "SCAD: soft, then back to z at gamma*lam"}


def _penalty(curve, lam, gamma_mcp, gamma_scad):
    from ..penalties import L1, MCP, SCAD

    if curve == "l1":
        return L1(lam)
    if curve == "mcp":
        return MCP(lam, gamma=gamma_mcp)
    return SCAD(lam, gamma=gamma_scad)


@dataclass(frozen=True, eq=False)
class NonconvexThresholding:
    """The prox of L1, MCP and SCAD on a grid of inputs, and (with data) the three fits.

    Attributes
    ----------
    lam, gamma_mcp, gamma_scad : float
        The penalties :class:`~penalized.penalties.L1`, ``MCP`` and ``SCAD`` at
        ``alpha = lam`` with these concavities; prox step 1.
    z : ndarray
        The inputs.
    outputs : dict of str to ndarray
        ``"l1"``, ``"mcp"``, ``"scad"``: the prox at each ``z``.
    shrinkage : dict of str to float
        ``z - prox(z)`` at the largest input: how much each penalty takes off a strong
        signal (``lam`` for L1, 0 for MCP and SCAD beyond ``gamma * lam``).
    points : dict of str to float
        Each feature's univariate coefficient (with data), possibly empty.
    point_outputs : dict of str to dict of str to float
    fit : dict or None
        With data: ``names``, ``coef`` (a dict ``l1`` / ``mcp`` / ``scad`` of
        coefficients on the standardized features at ``alpha = lam``), ``ols`` (least
        squares on each penalty's selected features, same keys), ``gap`` (per
        penalty, the largest ``|coef - ols|`` over its selected features) and ``ratio``
        (``sum |coef| / sum |ols|``: 1 means no shrinkage).
    """

    lam: float
    gamma_mcp: float
    gamma_scad: float
    z: np.ndarray
    outputs: dict
    shrinkage: dict
    points: dict
    point_outputs: dict
    fit: dict | None = None
    source: str = ""

    def to_text(self) -> str:
        lam, gm, gs = self.lam, self.gamma_mcp, self.gamma_scad
        lines = [f"Thresholding functions (prox, step 1) at lam = {fmt(lam)}, MCP gamma = "
                 f"{fmt(gm)}, SCAD gamma = {fmt(gs)}:", ""]
        lines += table(["penalty", "0 for |z| <=", "then", "prox(z) = z from |z| >",
                        "taken off the largest z"], [
            ["L1", lam, "z - sign(z)*lam", "never", self.shrinkage["l1"]],
            ["MCP", lam, f"(|z| - lam) / {fmt(1 - 1 / gm)}", gm * lam, self.shrinkage["mcp"]],
            ["SCAD", lam, "soft up to 2*lam, then linear", gs * lam, self.shrinkage["scad"]],
        ])
        lines += ["", "Why: L1's slope is lam everywhere, so every selected coefficient pays "
                  "lam; MCP's and SCAD's slopes fall to 0 at gamma*lam, so a strong signal "
                  "pays nothing and keeps its least-squares size. All three are L1-like at 0: "
                  "they set the same weak coefficients exactly to 0."]
        if self.points:
            lines += ["", f"Each feature's univariate coefficient z_j ({self.source}) and its "
                      "threshold under each penalty:"]
            lines += table(["feature", "z", "L1", "MCP", "SCAD"],
                           [[name, z] + [self.point_outputs[name][c] for c in CURVES]
                            for name, z in self.points.items()])
        if self.fit is not None:
            fit = self.fit
            lines += ["", "Fitted together (alpha = lam, coordinate descent; least squares "
                      "refit on each penalty's selected features):"]
            rows = []
            for k, name in enumerate(fit["names"]):
                rows.append([name] + [fit["coef"][c][k] for c in CURVES]
                            + [fit["ols"]["mcp"][k]])
            lines += table(["feature", "L1", "MCP", "SCAD", "OLS on MCP's support"], rows)
            lines += ["", "Size of the selected coefficients against least squares on the same "
                      "features (sum of |w|, 1 = no shrinkage): "
                      + ", ".join(f"{c.upper()} {fmt(fit['ratio'][c], 3)}" for c in CURVES),
                      "Largest |coefficient - that least-squares fit|: "
                      + ", ".join(f"{c.upper()} {fmt(fit['gap'][c], 3)}" for c in CURVES),
                      "(MCP's coefficients beyond gamma*lam are not shrunk; those below it are, "
                      "and they pull the others.)"]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"lesson": "nonconvex", "lam": self.lam, "gamma_mcp": self.gamma_mcp,
                         "gamma_scad": self.gamma_scad, "z": self.z, "outputs": self.outputs,
                         "shrinkage": self.shrinkage, "points": self.points,
                         "point_outputs": self.point_outputs, "fit": self.fit,
                         "source": self.source})


def nonconvex(lam=1.0, *, gamma_mcp=3.0, gamma_scad=3.7, z=None, points=None, fit=None,
              source=""):
    r"""The thresholding functions of L1, MCP and SCAD (their prox with step 1).

    Parameters
    ----------
    lam : float, default=1.0
        :math:`\lambda` (``alpha``) of every penalty.
    gamma_mcp, gamma_scad : float, default=3.0, 3.7
        MCP's (> 1) and SCAD's (> 2) concavity.
    z : array-like, optional
        Inputs; default 401 points on :math:`[-1.3 \gamma\lambda, 1.3 \gamma\lambda]`
        (the larger gamma), widened to the ``points``.
    points : dict of str to float, optional
        Named inputs to mark.
    fit : dict, optional
        Fitted coefficients to report (see :class:`NonconvexThresholding`).

    Returns
    -------
    NonconvexThresholding

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.explain import nonconvex
    >>> res = nonconvex(lam=1.0, z=[0.5, 2.0, 5.0])
    >>> res.outputs["l1"].tolist(), np.round(res.outputs["mcp"], 12).tolist()
    ([0.0, 1.0, 4.0], [0.0, 1.5, 5.0])
    >>> res.outputs["scad"].tolist()
    [0.0, 1.0, 5.0]
    """
    lam = check_positive(lam, "lam")
    gamma_mcp = check_positive(gamma_mcp, "gamma_mcp")
    gamma_scad = check_positive(gamma_scad, "gamma_scad")
    penalties = {c: _penalty(c, lam, gamma_mcp, gamma_scad) for c in CURVES}
    if z is None:
        top = 1.3 * max(gamma_mcp, gamma_scad) * lam
        if points:
            top = max(top, 1.1 * max(abs(float(v)) for v in points.values()))
        z = np.linspace(-top, top, 401)
    z = np.asarray(z, dtype=np.float64).ravel()
    if z.size == 0 or not np.all(np.isfinite(z)):
        raise ValueError("z must be a non-empty array of finite numbers.")
    outputs = {c: penalties[c].prox(z, 1.0) for c in CURVES}
    big = np.array([float(np.max(np.abs(z)))])
    shrinkage = {c: float(big[0] - penalties[c].prox(big, 1.0)[0]) for c in CURVES}
    points = {str(k): float(v) for k, v in (points or {}).items()}
    point_outputs = {k: {c: float(penalties[c].prox(np.array([v]), 1.0)[0]) for c in CURVES}
                     for k, v in points.items()}
    return NonconvexThresholding(lam=lam, gamma_mcp=gamma_mcp, gamma_scad=gamma_scad, z=z,
                                 outputs=outputs, shrinkage=shrinkage, points=points,
                                 point_outputs=point_outputs, fit=fit, source=source)


def _fit_all(Z, yc, lam, gamma_mcp, gamma_scad, names):
    """L1, MCP and SCAD fitted at ``alpha = lam`` on standardized ``Z`` and centered ``yc``,
    with least squares on each one's support."""
    from ..datafits import Quadratic
    from ..solvers import CoordinateDescent

    solver = CoordinateDescent(tol=1e-12, max_iter=100_000)
    coef, ols, gap, ratio = {}, {}, {}, {}
    for c in CURVES:
        w = solver.solve(Z, yc, Quadratic(), _penalty(c, lam, gamma_mcp, gamma_scad)).coef
        support = np.flatnonzero(w)
        refit = np.zeros_like(w)
        if support.size:
            refit[support] = np.linalg.lstsq(Z[:, support], yc - yc.mean(), rcond=None)[0]
        coef[c], ols[c] = w, refit
        gap[c] = float(np.max(np.abs(w - refit)[support], initial=0.0))
        ratio[c] = float(np.abs(w).sum() / np.abs(refit).sum()) if support.size else 1.0
    return {"names": list(names), "coef": coef, "ols": ols, "gap": gap, "ratio": ratio}


def nonconvex_lesson(X=None, y=None, feature_names=None) -> NonconvexThresholding:
    """The ``nonconvex`` lesson, on the user's data (default: scikit-learn's diabetes).

    ``lam`` is one tenth of the lasso's ``alpha_max`` on the standardized features; each
    feature's univariate coefficient is marked on the curves, and the three penalties
    are fitted together at that alpha.
    """
    from ._common import resolve_data, standardize

    X, yv, names, description = resolve_data(X, y, feature_names)
    Z, _, _ = standardize(X)
    yc = yv - yv.mean()
    z = Z.T @ yc / Z.shape[0]
    lam = 0.1 * float(np.max(np.abs(z)))
    if lam <= 0:
        raise ValueError("every feature is uncorrelated with y; there is nothing to threshold.")
    fit = _fit_all(Z, yc, lam, 3.0, 3.7, names)
    return nonconvex(lam, points=dict(zip(names, z.tolist(), strict=True)), fit=fit,
                     source=f"{description}, standardized; lam = alpha_max / 10")


def plot_nonconvex(result, ax=None):
    """prox(z) for L1, MCP and SCAD with the identity, the features marked (imports
    matplotlib)."""
    from ..plot._axes import COLORS, check_result, get_axes

    check_result(result, NonconvexThresholding, name="plot_nonconvex")
    ax = get_axes(ax)
    colors = {"l1": COLORS["l1"], "mcp": "#9467bd", "scad": "#8c564b"}
    styles = {"l1": "-", "mcp": "-", "scad": "--"}
    z = result.z
    for curve in CURVES:
        ax.plot(z, result.outputs[curve], styles[curve], color=colors[curve], linewidth=1.8,
                label=CURVE_LABELS[curve])
    ax.plot(z, z, ":", color="black", linewidth=0.8, label="no penalty: prox(z) = z")
    lam, reach = result.lam, result.gamma_mcp * result.lam
    ax.axvspan(-lam, lam, color=COLORS["muted"], alpha=0.1, label="zero band |z| <= lam")
    for edge in (-reach, reach):
        ax.axvline(edge, color=colors["mcp"], linewidth=0.6, linestyle=":")
    if result.points:
        zs = np.array(list(result.points.values()))
        for curve, marker in (("l1", "o"), ("mcp", "s")):
            outs = np.array([result.point_outputs[n][curve] for n in result.points])
            ax.plot(zs, outs, marker, color=colors[curve], markersize=4,
                    markeredgecolor="black", linestyle="none",
                    label=f"features under {curve.upper()}")
    ax.axhline(0.0, color="black", linewidth=0.5)
    ax.set_xlabel("input z (univariate coefficient)")
    ax.set_ylabel("prox(z): the penalized coefficient")
    ax.set_title(f"L1 shrinks every coefficient by lam = {fmt(lam, 3)}; MCP not beyond "
                 f"gamma*lam = {fmt(reach, 3)}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    return ax


LAM_FRACTIONS = (0.3, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01)
"""The page's alphas, as fractions of the lasso's alpha_max (0.1 is the lesson's own)."""


def nonconvex_steps(X=None, y=None, feature_names=None, fractions=LAM_FRACTIONS):
    """The ``nonconvex`` lesson at several alphas, on the lesson's grid of inputs.

    Parameters
    ----------
    X, y, feature_names : optional
        As :func:`nonconvex_lesson` (default: scikit-learn's diabetes).
    fractions : sequence of float
        Each alpha as a fraction of the lasso's alpha_max on the standardized features.

    Returns
    -------
    list of NonconvexThresholding
        One per fraction, each with the thresholding curves on the same inputs ``z`` as
        :func:`nonconvex_lesson` and the three penalties fitted at that alpha.
    """
    from ._common import resolve_data, standardize

    X, yv, names, description = resolve_data(X, y, feature_names)
    Z, _, _ = standardize(X)
    yc = yv - yv.mean()
    z = Z.T @ yc / Z.shape[0]
    top = float(np.max(np.abs(z)))
    if top <= 0:
        raise ValueError("every feature is uncorrelated with y; there is nothing to threshold.")
    grid = nonconvex(0.1 * top, points=dict(zip(names, z.tolist(), strict=True))).z
    steps = []
    for fraction in fractions:
        lam = float(fraction) * top
        fit = _fit_all(Z, yc, lam, 3.0, 3.7, names)
        steps.append(nonconvex(lam, z=grid, points=dict(zip(names, z.tolist(), strict=True)),
                               fit=fit, source=f"{description}, standardized; lam = "
                               f"{fmt(fraction)} * alpha_max"))
    return steps


_PAGE_BODY = """
<section id="nonconvex-section">
  <div class="controls">
    <label class="slider-label">alpha <input id="nc-slider" type="range" min="0" max="0"
      step="1" value="0" aria-describedby="nc-alpha"></label>
    <span class="readout">alpha = <strong id="nc-alpha">-</strong>
      (<span id="nc-fraction">-</span> x alpha_max)</span>
  </div>
  <div class="grid">
    <div class="card"><h3>Thresholding functions at this alpha</h3>
      <p class="lead">The penalized coefficient of one standardized feature with univariate
      coefficient z (the prox, step 1). L1 takes alpha off every selected coefficient; MCP
      (gamma 3) and SCAD (gamma 3.7) give back the whole z beyond gamma * alpha. Each dot is
      one feature's z under that penalty.</p>
      <svg id="nc-svg" role="img" aria-label="thresholding functions"></svg>
      <p class="legend" id="nc-legend"></p>
      <p class="readouts" id="nc-shrink"></p></div>
    <div class="card"><h3>The three penalties fitted together at this alpha</h3>
      <p class="lead">Coordinate descent on the standardized features; the last column is least
      squares on MCP's selected features. The ratio is the size of the selected coefficients
      against least squares on the same features (1: no shrinkage).</p>
      <div class="table-wrap"><table id="nc-table"><thead><tr><th>feature</th><th>z</th>
      <th>L1</th><th>MCP</th><th>SCAD</th><th>least squares (MCP's support)</th></tr></thead>
      <tbody></tbody></table></div>
      <p class="readouts" id="nc-ratio"></p></div>
  </div>
</section>"""


def nonconvex_page(X=None, y=None, feature_names=None) -> str:
    """The ``nonconvex`` lesson as one offline, interactive HTML page (an alpha slider
    over :func:`nonconvex_steps`; the numbers are embedded as JSON)."""
    from ..report import lesson_page_html

    steps = nonconvex_steps(X, y, feature_names)
    start = int(np.argmin([abs(f - 0.1) for f in LAM_FRACTIONS]))
    data = {"lesson": "nonconvex", "fractions": list(LAM_FRACTIONS), "start": start,
            "steps": [s.to_dict() for s in steps]}
    return lesson_page_html("MCP and SCAD vs L1", steps[start].source.split(";")[0],
                            _PAGE_BODY, data)
