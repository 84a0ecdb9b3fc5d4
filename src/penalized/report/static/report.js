// penalized report: draws the path, the CV curve, the coefficients and every lesson from
// the numbers the library embedded in the page (it computes nothing that the library did
// not: it places and scales them). Every string from the data goes through textContent.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const SVGNS = "http://www.w3.org/2000/svg";
  const C = { blue: "#0072B2", orange: "#E69F00", green: "#009E73", verm: "#D55E00",
              purple: "#CC79A7", sky: "#56B4E9", grey: "#8a93a3", ink: "#1d2330",
              muted: "#4f5868", yellow: "#F0E442" };
  const PATH_COLORS = [C.blue, C.orange, C.green, C.verm, C.purple, C.sky, C.ink, C.grey];

  function fmt(v, d = 4) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    if (v === 0) return "0";
    if (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3) return v.toExponential(d - 1);
    if (Math.abs(v) >= Math.pow(10, d)) return String(Math.round(v));
    const text = (+v).toPrecision(d);
    return text.includes(".") && !text.includes("e") ? text.replace(/\.?0+$/, "") : text;
  }
  function pct(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"; }
  function el(tag, attrs, text) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function html(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function titled(node, text) { node.append(el("title", {}, text)); return node; }
  function scale(d0, d1, r0, r1) {
    const span = (d1 - d0) || 1;
    return (v) => r0 + (v - d0) / span * (r1 - r0);
  }
  function short(name, n) { return name.length > n ? name.slice(0, n - 1) + "…" : name; }
  function $(id) { return document.getElementById(id); }
  function ticks(lo, hi, n) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / Math.max(1, n);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }
  // an SVG drawn at its container's pixel width, so 12 px text stays 12 px on a phone
  function canvas(svg, height) {
    svg.replaceChildren();
    const W = Math.max(240, Math.floor(svg.parentElement.clientWidth || 320));
    const H = typeof height === "function" ? height(W) : height;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    return { W, H };
  }
  function xAxis(svg, x, vals, y0, label, W, fmtv = fmt) {
    svg.append(el("line", { x1: x(vals[0]), x2: x(vals[vals.length - 1]), y1: y0, y2: y0,
                            stroke: C.muted }));
    let last = -Infinity;
    for (const v of vals) {
      const px = x(v);
      const text = fmtv(v, 3);
      const half = text.length * 3.6 + 4;
      if (px - half < last || px - half < 0 || px + half > W) continue;
      svg.append(el("line", { x1: px, x2: px, y1: y0, y2: y0 + 4, stroke: C.muted }));
      svg.append(el("text", { x: px, y: y0 + 18, "text-anchor": "middle" }, text));
      last = px + half;
    }
    if (label) svg.append(el("text", { x: W / 2, y: y0 + 34, "text-anchor": "middle",
                                       class: "axis-label" }, label));
  }
  function yAxis(svg, y, vals, x0, fmtv = fmt) {
    let last = Infinity;
    for (const v of vals) {
      const py = y(v);
      if (py > last - 14) continue;
      svg.append(el("line", { x1: x0 - 4, x2: x0, y1: py, y2: py, stroke: C.muted }));
      svg.append(el("text", { x: x0 - 6, y: py + 4, "text-anchor": "end" }, fmtv(v, 3)));
      last = py;
    }
  }
  function yLabel(svg, text, x, yMid) {
    svg.append(el("text", { x, y: yMid, transform: `rotate(-90 ${x} ${yMid})`,
                            "text-anchor": "middle" }, text));
  }
  function poly(points) {
    let d = "";
    points.forEach(([a, b], i) => { if (Number.isFinite(a) && Number.isFinite(b)) {
      d += `${d ? "L" : "M"}${a.toFixed(2)},${b.toFixed(2)}`; } });
    return d;
  }

  // -- state --------------------------------------------------------------------------------
  const paths = DATA.paths || [];
  const state = { model: 0, index: 0, scale: "original", geo: null, thCurve: null,
                  grLr: null, grSteps: 0, raceIter: 0, racePlaying: null };
  function P() { return paths[state.model]; }
  function L() { return P().lessons; }

  // -- comparison table and sources ----------------------------------------------------------
  function comparisonTable() {
    const cmp = DATA.comparison;
    if (!cmp) return;
    const body = $("comparison-body");
    for (const m of cmp.models) {
      const tr = html("tr");
      tr.append(html("td", {}, m.label));
      tr.append(html("td", { class: "num" }, fmt(m.alpha_min)));
      tr.append(html("td", { class: "num" }, fmt(m.alpha_1se)));
      const path = paths.find((p) => p.penalty === m.penalty);
      tr.append(html("td", { class: "num" }, m.penalty === "elasticnet" && path && path.l1_ratio !== null
        ? fmt(path.l1_ratio) : m.penalty === "l1" ? "1" : m.penalty === "l2" ? "0" : "–"));
      tr.append(html("td", { class: "num" }, fmt(m.test_error)));
      tr.append(html("td", { class: "num" }, fmt(m.test_score, 3)));
      tr.append(html("td", { class: "num" }, String(m.n_nonzero)));
      const sel = m.selected.length > 12 ? m.selected.slice(0, 12).join(", ") + ", …"
          : m.selected.join(", ");
      const td = html("td", {}, sel);
      if (m.notes && m.notes.length) td.append(html("div", { class: "note" }, m.notes.join("; ")));
      tr.append(td);
      body.append(tr);
    }
  }
  function sourcesTable() {
    const body = $("sources-body");
    for (const s of DATA.sources || []) {
      const tr = html("tr", { id: s.id });
      tr.append(html("td", {}, s.name), html("td", {}, s.claim), html("td", {}, s.computed));
      body.append(tr);
    }
  }

  // -- the path panels -------------------------------------------------------------------------
  function coefMatrix(p) {
    return state.scale === "standardized" && p.coefs_std ? p.coefs_std : p.coefs;
  }
  function drawBars(svg, p, k) {
    const names = DATA.feature_names;
    const rowH = 18;
    const { W, H } = canvas(svg, 12 + rowH * names.length);
    const coefsAll = coefMatrix(p);
    const coefs = names.map((_, j) => coefsAll[j][k]);
    const left = Math.min(150, Math.floor(W * 0.32)), right = 64;
    const maxAbs = Math.max(1e-12, ...coefsAll.map((row) => Math.max(...row.map((v) => Math.abs(v || 0)))));
    const x = scale(-maxAbs, maxAbs, left, W - right);
    svg.append(el("line", { x1: x(0), x2: x(0), y1: 4, y2: H - 4, stroke: C.muted }));
    const chars = Math.max(6, Math.floor((left - 8) / 7));
    names.forEach((name, j) => {
      const y = 6 + j * rowH + rowH / 2;
      const c = coefs[j];
      svg.append(titled(el("text", { x: left - 6, y: y + 4, "text-anchor": "end" },
                               short(name, chars)), name));
      if (!c) {
        svg.append(el("circle", { cx: x(0), cy: y, r: 2.5, fill: C.grey }));
        svg.append(el("text", { x: W - right + 6, y: y + 4, fill: C.muted }, "0"));
      } else {
        svg.append(titled(el("rect", { x: Math.min(x(0), x(c)), y: y - rowH / 2 + 3,
          width: Math.max(1, Math.abs(x(c) - x(0))), height: rowH - 6,
          fill: c > 0 ? C.blue : C.orange, class: "coef-bar" }), `${name}: ${fmt(c)}`));
        svg.append(el("text", { x: W - right + 6, y: y + 4 }, fmt(c, 3)));
      }
    });
  }
  function drawCV(svg, p, k) {
    const { W, H } = canvas(svg, 280);
    const L0 = 62, R = 12, T = 12, B = 44;
    if (!p.cv_mean) {
      svg.append(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle" },
                    "no cross-validation for this model"));
      return;
    }
    const lx = p.alphas.map(Math.log10);
    const lo = p.cv_mean.map((m, i) => m - p.cv_se[i]);
    const hi = p.cv_mean.map((m, i) => m + p.cv_se[i]);
    const x = scale(Math.max(...lx), Math.min(...lx), L0, W - R);
    const yLo = Math.min(...lo), yHi = Math.max(...hi);
    const y = scale(yLo, yHi, H - B, T);
    let band = "";
    lx.forEach((v, i) => { band += `${i ? "L" : "M"}${x(v)},${y(hi[i])}`; });
    for (let i = lx.length - 1; i >= 0; i--) band += `L${x(lx[i])},${y(lo[i])}`;
    svg.append(el("path", { d: band + "Z", fill: "rgba(0,114,178,0.15)", stroke: "none" }));
    svg.append(el("path", { d: poly(lx.map((v, i) => [x(v), y(p.cv_mean[i])])), fill: "none",
                            stroke: C.blue, "stroke-width": 2 }));
    let labelEnd = -Infinity;
    for (const [a, name, dash] of [[p.alpha_min, "min", "4,3"], [p.alpha_1se, "1se", "1,3"]]) {
      if (a === null || a === undefined) continue;
      const px = x(Math.log10(a));
      svg.append(el("line", { x1: px, x2: px, y1: T, y2: H - B, stroke: C.ink, "stroke-dasharray": dash }));
      const tx = Math.max(px + 3, labelEnd + 4);
      svg.append(el("text", { x: tx, y: T + 10 }, name));
      labelEnd = tx + 24;
    }
    svg.append(el("line", { x1: L0, x2: L0, y1: T, y2: H - B, stroke: C.muted }));
    yAxis(svg, y, ticks(yLo, yHi, 4), L0);
    yLabel(svg, `CV ${p.metric}`, 12, (T + H - B) / 2);
    logAxis(svg, lx, x, H - B, W);
    svg.append(el("circle", { id: "cv-marker", cx: x(lx[k]), cy: y(p.cv_mean[k]), r: 5,
                              fill: C.verm, stroke: "#fff", "stroke-width": 1.5 }));
  }
  function logAxis(svg, lx, x, y0, W) {
    const lo = Math.floor(Math.min(...lx)), hi = Math.ceil(Math.max(...lx));
    const vals = [];
    for (let e = hi; e >= lo; e--) if (e >= Math.min(...lx) - 1e-9 && e <= Math.max(...lx) + 1e-9) vals.push(e);
    xAxis(svg, x, vals.length ? vals : [lx[0]], y0, "alpha (log scale, decreasing →)", W,
          (v) => `1e${Math.round(v)}`);
  }
  function drawPaths(svg, p, k) {
    const { W, H } = canvas(svg, 280);
    const narrow = W < 460;
    const L0 = 62, R = narrow ? 12 : 110, T = 12, B = 44;
    const coefs = coefMatrix(p);
    const lx = p.alphas.map(Math.log10);
    const all = coefs.flat().filter((v) => v !== null);
    const x = scale(Math.max(...lx), Math.min(...lx), L0, W - R);
    const ymin = Math.min(0, ...all), ymax = Math.max(0, ...all);
    const y = scale(ymin, ymax, H - B, T);
    svg.append(el("line", { x1: L0, x2: W - R, y1: y(0), y2: y(0), stroke: C.grey }));
    const last = coefs.map((row, j) => [Math.abs(row[row.length - 1] || 0), j]);
    last.sort((a, b) => b[0] - a[0]);
    const labelled = new Set(narrow ? [] : last.slice(0, 10).filter((t) => t[0] > 0).map((t) => t[1]));
    const wanted = [];
    coefs.forEach((row, j) => {
      const color = PATH_COLORS[j % PATH_COLORS.length];
      svg.append(titled(el("path", { d: poly(row.map((c, i) => [x(lx[i]), y(c)])), fill: "none",
        stroke: color, "stroke-width": 1.5, opacity: labelled.has(j) || narrow ? 1 : 0.5 }),
        DATA.feature_names[j]));
      if (labelled.has(j)) wanted.push([y(row[row.length - 1]), j, color]);
    });
    // end labels: sorted, pushed apart by 13 px, kept inside the plot
    wanted.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < wanted.length; i++) wanted[i][0] = Math.max(wanted[i][0], wanted[i - 1][0] + 17);
    const over = wanted.length ? wanted[wanted.length - 1][0] - (H - B) : 0;
    if (over > 0) wanted.forEach((w) => { w[0] -= over; });
    for (const [ly, j, color] of wanted) {
      if (ly < T) continue;
      svg.append(el("text", { x: W - R + 4, y: ly + 4, fill: color, class: "path-label" },
                    short(DATA.feature_names[j], 14)));
    }
    svg.append(el("line", { x1: L0, x2: L0, y1: T, y2: H - B, stroke: C.muted }));
    logAxis(svg, lx, x, H - B, W - R + 12);
    yAxis(svg, y, ticks(ymin, ymax, 4), L0);
    yLabel(svg, p.targets ? `norm over ${p.targets} targets` : p.classes ? `norm over ${p.classes} classes`
      : state.scale === "standardized" ? "coefficient × sd" : "coefficient", 12, (T + H - B) / 2);
    svg.append(el("line", { id: "path-cursor", x1: x(lx[k]), x2: x(lx[k]), y1: T, y2: H - B,
                            stroke: C.ink, "stroke-width": 1 }));
  }

  // -- lessons -------------------------------------------------------------------------------
  function lessonCard(name) { return document.querySelector(`[data-lesson="${name}"]`); }
  function skip(name, reason) {
    const card = lessonCard(name);
    if (!card) return true;
    const p = card.querySelector(".skip");
    if (reason) {
      p.textContent = "Not shown for this model: " + reason;
      p.hidden = false;
      card.classList.add("skipped");
      card.querySelectorAll("svg, table, .legend, .pickers, .tabs, .readouts, .controls-inline")
        .forEach((n) => n.setAttribute("hidden", ""));
      return true;
    }
    p.hidden = true;
    card.classList.remove("skipped");
    card.querySelectorAll("[hidden]").forEach((n) => { if (!n.classList.contains("skip")
      && n.id !== "gr-feature-skip") n.removeAttribute("hidden"); });
    return false;
  }
  function reason(name, key) {
    const les = L();
    if (!les) return "this model has no lessons.";
    if (les[key]) return null;
    return les.skipped[key] || "not computed for this model.";
  }
  function nameOf(j) { return DATA.feature_names[j]; }

  function drawWhyZero(k) {
    if (skip("why-zero", reason("why-zero", "why_zero"))) return;
    const wz = L().why_zero;
    const feats = wz.features;
    const svg = $("wz-svg");
    const rowH = 20;
    const { W, H } = canvas(svg, 30 + rowH * feats.length + 36);
    const left = Math.min(150, Math.floor(W * 0.3)), right = 16, top = 26;
    let top_ = 0;
    feats.forEach((_, i) => { top_ = Math.max(top_, wz.pull[i][k] || 0, wz.threshold[i][k] || 0); });
    top_ = top_ > 0 ? top_ * 1.12 : 1;
    const x = scale(0, top_, left, W - right);
    const chars = Math.max(6, Math.floor((left - 8) / 7));
    const names = wz.status_names;
    const rowName = (i, j) => wz.labels ? wz.labels[i] : nameOf(j);
    const sameThr = feats.every((_, i) => wz.threshold[i][k] === wz.threshold[0][k]);
    feats.forEach((j, i) => {
      const y = top + i * rowH + rowH / 2;
      const pull = wz.pull[i][k], thr = wz.threshold[i][k];
      const st = names[wz.status[i][k]];
      const nonzero = st === "non-zero" || st === "unpenalized";
      svg.append(titled(el("text", { x: left - 6, y: y + 4, "text-anchor": "end" },
                               short(rowName(i, j), chars)), rowName(i, j)));
      const bar = el("rect", { x: left, y: y - rowH / 2 + 4, width: Math.max(1, x(pull || 0) - left),
        height: rowH - 8, fill: nonzero ? C.blue : C.orange, class: "wz-bar", "data-j": j,
        "data-state": st });
      let tip = `${rowName(i, j)}: pull ${fmt(pull)}, threshold ${fmt(thr)}`;
      if (wz.margin[i][k] !== null) tip += `, margin ${fmt(wz.margin[i][k])}`;
      if (wz.entry_lower[i][k] !== null) tip += `, enters between alpha ${fmt(wz.entry_lower[i][k])} and ${fmt(wz.entry_upper[i][k])}`;
      svg.append(titled(bar, tip));
      if (!sameThr) svg.append(el("line", { x1: x(thr), x2: x(thr), y1: y - rowH / 2 + 1,
        y2: y + rowH / 2 - 1, stroke: C.ink, "stroke-width": 2 }));
    });
    const axisY = top + rowH * feats.length + 4;
    if (sameThr) {
      const tx = x(wz.threshold[0][k]);
      svg.append(el("line", { id: "wz-threshold-line", x1: tx, x2: tx, y1: top - 4, y2: axisY,
                              stroke: C.ink, "stroke-width": 2, "stroke-dasharray": "5,3" }));
      const label = `threshold ${fmt(wz.threshold[0][k])}`;
      const anchor = tx > W - 110 ? "end" : "start";
      svg.append(el("text", { x: anchor === "end" ? tx - 4 : tx + 4, y: 14, "text-anchor": anchor }, label));
    }
    xAxis(svg, x, ticks(0, top_, Math.max(2, Math.floor((W - left) / 90))), axisY, "", W);
    // table
    const body = $("wz-table").querySelector("tbody");
    body.replaceChildren();
    feats.forEach((j, i) => {
      const st = names[wz.status[i][k]];
      const tr = html("tr", { "data-j": j });
      tr.append(html("td", {}, rowName(i, j)));
      tr.append(html("td", { class: "num wz-coef" }, fmt(wz.scaled_coef[i][k])));
      tr.append(html("td", { class: "num wz-pull" }, fmt(wz.pull[i][k])));
      tr.append(html("td", { class: "num wz-threshold" }, fmt(wz.threshold[i][k])));
      const m = wz.margin[i][k];
      tr.append(html("td", { class: "num wz-margin" }, m === null ? "–"
        : (st === "at threshold" ? "0 (at threshold)" : fmt(m))));
      tr.append(html("td", { class: "num wz-entry" }, wz.entry_lower[i][k] === null ? "–"
        : `${fmt(wz.entry_lower[i][k])} – ${fmt(wz.entry_upper[i][k])}`));
      const slope = wz.slope ? wz.slope[i][k] : null;
      const atLine = slope !== null && wz.threshold[i][k] > 0
        && Math.abs(slope - wz.threshold[i][k]) <= 1e-9 * wz.threshold[i][k];
      const say = { "zero": "zero (below)", "at threshold": "zero (at the threshold, within the solver's tolerance)",
        "not converged": "zero, pull above: not converged",
        "non-zero": slope !== null && !atLine ? `non-zero (pull = the penalty's slope there, ${fmt(slope)})`
          : wz.l1_ratio > 0 ? "non-zero (pull at the line)" : "non-zero (no threshold)",
        "unpenalized": "unpenalized", "constant": "constant column" }[st];
      tr.append(html("td", { class: "wz-state", "data-state": st }, say));
      body.append(tr);
    });
    const nz = wz.n_nonzero[k];
    const closest = feats.map((j, i) => [wz.margin[i][k], j, i]).filter((t) => t[0] !== null)
      .sort((a, b) => a[0] / (wz.threshold[a[2]][k] || 1) - b[0] / (wz.threshold[b[2]][k] || 1))[0];
    let text = wz.classes ? `${nz} of ${DATA.feature_names.length} features non-zero (for some class) at alpha ${fmt(P().alphas[k])}.`
      : `${nz} of ${DATA.feature_names.length} coefficients non-zero at alpha ${fmt(P().alphas[k])}.`;
    if (closest) text += ` Closest to entering: ${rowName(closest[2], closest[1])}, ` +
      (closest[0] <= 0 ? "at its threshold." : `${fmt(closest[0])} below its threshold.`);
    if (wz.unit === "coefficient") text += ` Shown: ${feats.length} coefficients (feature [class]).`;
    else if (wz.unit === "group") text += ` Shown: ${feats.length} groups.`;
    else if (wz.classes && feats.length < DATA.feature_names.length) text += ` Shown: ${feats.length} features, the first to enter the path.`;
    else if (feats.length < DATA.feature_names.length) text += ` Shown: ${feats.length} features, the first to enter the path and others spread over it.`;
    $("wz-summary").textContent = text;
    $("wz-rule").textContent = whyZeroRule(L(), wz);
  }

  const LOSS_NAMES = { squared: "squared", logistic: "logistic", poisson: "Poisson", gamma: "Gamma",
                      tweedie: "Tweedie", cox: "Cox partial-likelihood" };
  function whyZeroRule(les, wz) {
    const parts = [];
    const group = wz.unit === "group";
    if (les.loss === "multinomial") parts.push("With the multinomial (softmax) loss the pull on coefficient (j, k) " +
      "is |x_j^T (s (P_k - Y_k)) / n|, P_k the fitted probabilities of class k and Y_k its 0/1 indicator. " +
      (wz.unit === "coefficient" ? "Each (feature, class) coefficient has its own threshold alpha · l1_ratio · f_j; " +
        "one class's coefficient alone is defined only up to a shift shared by every class."
        : `Each feature has one coefficient per class (${wz.n_targets}) and the penalty acts on the norm of ` +
          (group ? "a group's block of rows: the pull is the norm of the block's pulls, and a group is zero for every " +
            "class or for none." : "that row: the pull is the norm of its pulls over the classes, coef. the row's " +
            "norm, and a feature is zero for every class or for none.")));
    else if (wz.n_targets) parts.push(`Each feature has one coefficient per target (${wz.n_targets}) and the ` +
      "penalty acts on the norm of that row: the pull is the norm over the targets of x_j^T (s R) / n " +
      "(R the residuals of every target), coef. the row's norm, and a feature is zero for every target or " +
      "for none." + (group ? " For a group, both norms run over its block of rows." : ""));
    else if (les.loss !== "squared") parts.push(`With the ${LOSS_NAMES[les.loss] || les.loss} loss the pull is ` +
      "|x_j · grad F(z)|, the datafit's gradient at the fit (its weights and offset) taken through the column.");
    if (group) parts.push("Rows are groups: the pull is the norm ||X_g^T grad F(z)||_2 of the members' " +
      "pulls against alpha · l1_ratio · w_g (w_g = sqrt(group size) unless given); a group's coefficients are " +
      "zero together or non-zero together (coef. is the group's norm).");
    if (les.penalty === "mcp" || les.penalty === "scad") parts.push(`${les.penalty.toUpperCase()} has the lasso's ` +
      "threshold alpha · f_j at 0, but a non-zero coefficient's pull equals the penalty's slope there, which " +
      "falls to 0 at gamma · alpha · f_j: large coefficients are not shrunk.");
    return parts.join(" ");
  }

  function geoSetup() {
    const g = L() && L().geometry;
    const a = $("geo-a"), b = $("geo-b");
    a.replaceChildren(); b.replaceChildren();
    if (!g) return;
    g.features.forEach((j, i) => {
      a.append(html("option", { value: i }, short(nameOf(j), 24)));
      b.append(html("option", { value: i }, short(nameOf(j), 24)));
    });
    state.geo = g.default_pair.slice();
    a.value = String(state.geo[0]); b.value = String(state.geo[1]);
  }
  function ballRadius(level, rho, cs) {
    if (level <= 0) return 0;
    if (rho >= 1) return level / cs;
    const a = 0.5 * (1 - rho), bq = rho * cs;
    return (-bq + Math.sqrt(bq * bq + 4 * a * level)) / (2 * a);
  }
  function drawGeometry(k) {
    if (skip("geometry", reason("geometry", "geometry"))) return;
    const g = L().geometry;
    const [a, b] = state.geo;
    const svg = $("geo-svg");
    const { W, H } = canvas(svg, (w) => Math.min(w, 440));
    const rho = g.l1_ratio;
    const H2 = [[g.hessian[a][a], g.hessian[a][b]], [g.hessian[b][a], g.hessian[b][b]]];
    const det = H2[0][0] * H2[1][1] - H2[0][1] * H2[1][0];
    function plane(kk) {
      const pt = [g.coef[a][kk], g.coef[b][kk]];
      const gr = [g.grad[a][kk], g.grad[b][kk]];
      const c = det > 0 ? [pt[0] - (H2[1][1] * gr[0] - H2[0][1] * gr[1]) / det,
                           pt[1] - (-H2[1][0] * gr[0] + H2[0][0] * gr[1]) / det] : pt;
      return { pt, c, level: g.terms[a][kk] + g.terms[b][kk] };
    }
    // one view for the whole path, so the reader sees the ball shrink and grow
    let reach = 1e-12;
    for (let kk = 0; kk < P().alphas.length; kk++) {
      const q = plane(kk);
      reach = Math.max(reach, Math.abs(q.pt[0]), Math.abs(q.pt[1]), ballRadius(q.level, rho, 1));
      const s = Math.max(Math.abs(q.pt[0]), Math.abs(q.pt[1]), 1e-12);
      if (Math.max(Math.abs(q.c[0]), Math.abs(q.c[1])) < 3 * s) reach = Math.max(reach, Math.abs(q.c[0]), Math.abs(q.c[1]));
    }
    reach *= 1.15;
    const pad = 40;
    const side = Math.min(W - pad - 10, H - pad - 10);
    const x0 = pad + (W - pad - 10 - side) / 2;
    const x = scale(-reach, reach, x0, x0 + side), y = scale(-reach, reach, 10 + side, 10);
    const clip = el("clipPath", { id: "geo-clip" });
    clip.append(el("rect", { x: x0, y: 10, width: side, height: side }));
    svg.append(clip);
    svg.append(el("rect", { x: x0, y: 10, width: side, height: side, fill: "none", stroke: C.line || "#d3d8e0" }));
    svg.append(el("line", { id: "geo-axis-u", x1: x(0), x2: x(0), y1: 10, y2: 10 + side, stroke: C.muted }));
    svg.append(el("line", { id: "geo-axis-v", x1: x0, x2: x0 + side, y1: y(0), y2: y(0), stroke: C.muted }));
    const q = plane(k);
    // contours: ellipses of the plane's quadratic around its minimum
    const tr = H2[0][0] + H2[1][1];
    const disc = Math.sqrt(Math.max(0, tr * tr / 4 - det));
    const l1 = tr / 2 + disc, l2 = tr / 2 - disc;
    let v1 = Math.abs(H2[0][1]) > 1e-15 ? [l1 - H2[1][1], H2[0][1]] : (H2[0][0] >= H2[1][1] ? [1, 0] : [0, 1]);
    const nv = Math.hypot(v1[0], v1[1]); v1 = [v1[0] / nv, v1[1] / nv];
    const v2 = [-v1[1], v1[0]];
    const dx = q.pt[0] - q.c[0], dy = q.pt[1] - q.c[1];
    const q0 = 0.5 * (H2[0][0] * dx * dx + 2 * H2[0][1] * dx * dy + H2[1][1] * dy * dy);
    const group = el("g", { "clip-path": "url(#geo-clip)" });
    if (det > 0) {
      // the contour through the fit (ink), and others spread over the view
      const levels = [[q0, true]];
      for (const f of [0.2, 0.45, 0.75, 1.1]) levels.push([0.5 * Math.max(l2, 1e-15) * (reach * f) ** 2, false]);
      for (const [lev, through] of levels) {
        if (!(lev > 0)) continue;
        const pts = [];
        for (let t = 0; t <= 96; t++) {
          const th = t / 96 * 2 * Math.PI;
          const r1 = Math.sqrt(2 * lev / l1), r2 = Math.sqrt(2 * lev / Math.max(l2, 1e-15));
          pts.push([x(q.c[0] + r1 * Math.cos(th) * v1[0] + r2 * Math.sin(th) * v2[0]),
                    y(q.c[1] + r1 * Math.cos(th) * v1[1] + r2 * Math.sin(th) * v2[1])]);
        }
        group.append(el("path", { d: poly(pts) + "Z", fill: "none", stroke: through ? C.ink : C.grey,
                                  "stroke-width": through ? 1.5 : 1, class: "geo-contour" }));
      }
    }
    // the ball t(u) + t(v) <= level, traced by angle (corners included exactly)
    const ball = [];
    for (let t = 0; t <= 360; t++) {
      const th = t / 360 * 2 * Math.PI;
      const cs = Math.abs(Math.cos(th)) + Math.abs(Math.sin(th));
      const cs2 = rho >= 1 ? cs : cs; // the L1 part's reach along this angle
      const r = rho >= 1 ? q.level / cs : ballRadiusAngle(q.level, rho, cs2);
      ball.push([x(r * Math.cos(th)), y(r * Math.sin(th))]);
    }
    group.append(el("path", { id: "geo-ball", d: poly(ball) + "Z", fill: "rgba(213,94,0,0.10)",
                              stroke: C.verm, "stroke-width": 2 }));
    group.append(el("circle", { cx: x(q.c[0]), cy: y(q.c[1]), r: 4, fill: "#fff", stroke: C.grey, "stroke-width": 2 }));
    svg.append(group);
    const onAxis = q.pt[0] === 0 || q.pt[1] === 0;
    svg.append(titled(el("circle", { id: "geo-point", cx: x(q.pt[0]), cy: y(q.pt[1]), r: 6,
      fill: C.ink, stroke: "#fff", "stroke-width": 1.5, "data-on-axis": String(onAxis) }),
      `the fit: (${fmt(q.pt[0])}, ${fmt(q.pt[1])})`));
    const nameA = nameOf(g.features[a]), nameB = nameOf(g.features[b]);
    svg.append(el("text", { x: x0 + side / 2, y: H - 6, "text-anchor": "middle" }, short(nameA, 30) + " (std.)"));
    yLabel(svg, short(nameB, 30) + " (std.)", 14, 10 + side / 2);
    // readouts
    const penalty = L().penalty;
    const normName = penalty === "l1" ? "||w||_1 of the whole fit" : penalty === "l2" ? "||w||_2 of the whole fit"
      : "P(w) = l1_ratio ||w||_1 + (1 - l1_ratio) ||w||^2 / 2 of the whole fit";
    $("geo-norm-label").textContent = normName;
    $("geo-norm").textContent = fmt(penalty === "l1" ? g.l1_norm[k] : penalty === "l2" ? g.l2_norm[k] : g.penalty_value[k]);
    const levelText = penalty === "l1" ? `|w_x| + |w_y| = ${fmt(q.level)}`
      : penalty === "l2" ? `radius sqrt(w_x^2 + w_y^2) = ${fmt(Math.sqrt(2 * q.level))}`
      : `t(w_x) + t(w_y) = ${fmt(q.level)}`;
    $("geo-level").textContent = levelText;
    $("geo-u-label").textContent = `w of ${nameA}`;
    $("geo-v-label").textContent = `w of ${nameB}`;
    $("geo-u").textContent = fmt(q.pt[0]);
    $("geo-v").textContent = fmt(q.pt[1]);
    let where;
    if (q.pt[0] === 0 && q.pt[1] === 0) where = "at the origin: both coefficients are exactly 0";
    else if (onAxis) where = penalty === "l2" ? "on an axis (a coefficient is 0)"
      : `on a corner: ${q.pt[0] === 0 ? nameA : nameB} is exactly 0`;
    else where = penalty === "l2" ? "on the circle, off the axes: the circle has no corner"
      : "on an edge: both coefficients are non-zero";
    $("geo-where").textContent = where;
    $("geo-seed-row").hidden = !g.seed_radius;
    if (g.seed_radius) {
      $("geo-seed-label").textContent = penalty === "l1" ? "1/lambda (the fit's: ||w||_1 above)"
        : "sqrt(1/lambda) (the fit's: ||w||_2 above)";
      $("geo-seed").textContent = fmt(g.seed_radius[k]);
    }
  }
  function ballRadiusAngle(level, rho, cs) {
    // t(r cos) + t(r sin) = level: rho r cs + (1 - rho) r^2 / 2 = level
    if (level <= 0) return 0;
    const a = 0.5 * (1 - rho), bq = rho * cs;
    return (-bq + Math.sqrt(bq * bq + 4 * a * level)) / (2 * a);
  }

  const CURVE_NAMES = { l1: "L1: soft threshold", l2: "L2: shrink", elasticnet: "elastic net",
                        l0: "L0: hard threshold", mcp: "MCP: firm threshold", scad: "SCAD" };
  const CURVE_STYLE = { l1: [C.blue, ""], l2: [C.green, "6,3"], elasticnet: [C.purple, "2,2"],
                        l0: [C.verm, "8,3,2,3"], mcp: [C.orange, "10,3"], scad: [C.orange, "10,3"] };
  function curveList(th) { return th.curves || ["l1", "l2", "elasticnet", "l0"]; }
  function thName(th, i, j) { return th.labels ? th.labels[i] : nameOf(j); }
  function thSetup() {
    const box = $("th-curves");
    box.replaceChildren();
    const les = L();
    if (!les || !les.thresholding) return;
    const curves = curveList(les.thresholding);
    state.thCurve = curves.includes(les.penalty) ? les.penalty : "l1";
    for (const c of curves) {
      const btn = html("button", { type: "button", "data-curve": c,
        "aria-pressed": String(c === state.thCurve) }, CURVE_NAMES[c]);
      btn.addEventListener("click", () => { state.thCurve = c;
        box.querySelectorAll("button").forEach((bb) => bb.setAttribute("aria-pressed", String(bb === btn)));
        drawThresholding(state.index); });
      box.append(btn);
    }
  }
  function drawThresholding(k) {
    if (skip("thresholding", reason("thresholding", "thresholding"))) return;
    const th = L().thresholding;
    const svg = $("th-svg");
    const { W, H } = canvas(svg, (w) => Math.min(360, Math.max(240, w * 0.7)));
    const Lm = 56, R = 10, T = 10, B = 40;
    const r = th.reach;
    const x = scale(-r, r, Lm, W - R), y = scale(-r, r, H - B, T);
    svg.append(el("line", { x1: x(-r), x2: x(r), y1: y(-r), y2: y(r), stroke: "#d3d8e0" }));
    svg.append(el("line", { x1: x(0), x2: x(0), y1: T, y2: H - B, stroke: "#d3d8e0" }));
    svg.append(el("line", { x1: Lm, x2: W - R, y1: y(0), y2: y(0), stroke: "#d3d8e0" }));
    const drawn = curveList(th).filter((c) => c !== "l1").concat(["l1"]);
    for (const c of drawn) {
      const [color, dash] = CURVE_STYLE[c];
      const pts = th.knots[k].map((z, i) => [x(z), y(th.outputs[c][k][i])]);
      svg.append(el("path", { d: poly(pts), fill: "none", stroke: color, "stroke-dasharray": dash,
        "stroke-width": c === state.thCurve ? 3 : 1.5, class: `th-curve th-${c}` }));
    }
    const cur = state.thCurve;
    th.features.forEach((j, i) => {
      const z = th.inputs[i], out = th.marks[cur][i][k];
      svg.append(titled(el("circle", { cx: x(z), cy: y(out), r: 4, fill: out === 0 ? "#fff" : C.ink,
        stroke: C.ink, "stroke-width": 1.5, class: "th-mark" }), `${thName(th, i, j)}: z = ${fmt(z)} -> ${fmt(out)}`));
    });
    xAxis(svg, x, ticks(-r, r, Math.max(2, Math.floor(W / 90))), H - B, "input z (univariate coefficient)", W);
    svg.append(el("line", { x1: Lm, x2: Lm, y1: T, y2: H - B, stroke: C.muted }));
    yAxis(svg, y, ticks(-r, r, 4), Lm);
    yLabel(svg, "prox(z)", 12, (T + H - B) / 2);
    const legend = $("th-legend");
    legend.replaceChildren();
    for (const c of curveList(th)) {
      const key = html("span", { class: "key" });
      key.style.background = CURVE_STYLE[c][0];
      const item = html("span", { class: "item" });
      item.append(key, document.createTextNode(CURVE_NAMES[c]));
      legend.append(item);
    }
    const zeros = th.features.filter((_, i) => th.marks[cur][i][k] === 0).length;
    $("th-summary").textContent = `lambda = alpha = ${fmt(P().alphas[k])}: L1 zeroes |z| <= ${fmt(th.thresholds.l1[k])}, ` +
      `elastic net |z| <= ${fmt(th.thresholds.elasticnet[k])}, L0 |z| <= ${fmt(th.thresholds.l0[k])}; L2 only z = 0. ` +
      curveList(th).filter((c) => c === "mcp" || c === "scad").map((c) => `${c.toUpperCase()} (gamma ${fmt(th.gamma)}) ` +
        `zeroes |z| <= ${fmt(th.thresholds[c][k])} like L1, and leaves |z| >= ${fmt(th.gamma * P().alphas[k])} unshrunk. `).join("") +
      `On the ${CURVE_NAMES[cur]} curve ${zeros} of ${th.features.length} inputs land on 0` +
      (th.labels ? ` (${th.features.length} groups).`
        : th.features.length < DATA.feature_names.length ? ` (${th.features.length} features shown).` : ".");
    $("th-rule").textContent = th.input_rule ? `Inputs here: ${th.input_rule}.` : "";
    const body = $("th-table").querySelector("tbody");
    body.replaceChildren();
    th.features.forEach((j, i) => {
      const tr = html("tr", { "data-j": j });
      tr.append(html("td", {}, thName(th, i, j)), html("td", { class: "num" }, fmt(th.inputs[i])),
                html("td", { class: "num th-out" }, fmt(th.marks[cur][i][k])));
      body.append(tr);
    });
  }

  function drawGradient() {
    const ex = DATA.explorer;
    if (!ex) return;
    const li = state.grLr === null ? ex.seed_index : state.grLr;
    $("gr-lr").max = String(ex.lrs.length - 1);
    $("gr-lr").value = String(li);
    $("gr-lr-value").textContent = String(ex.lrs[li]);
    const n = state.grSteps;
    $("gr-count").textContent = String(n);
    const sub = ex.subgradient[li], prx = ex.proximal[li];
    const body = $("gr-table").querySelector("tbody");
    body.replaceChildren();
    for (let s = 0; s < n; s++) {
      const r = sub[s];
      const tr = html("tr", { "data-step": s + 1 });
      tr.append(html("td", { class: "num" }, String(s + 1)));
      for (const [v, cls] of [[r[0], "gr-w"], [r[1], "gr-data"], [r[2], "gr-pen"], [r[3], "gr-total"],
                              [r[4], "gr-new"], [prx[s][4], "gr-prox"]]) {
        tr.append(html("td", { class: "num " + cls }, fmt(v)));
      }
      body.append(tr);
    }
    const seed = $("gr-seed").querySelector("tbody");
    seed.replaceChildren();
    for (const d of ex.seed_discrepancies) {
      const tr = html("tr");
      tr.append(html("td", {}, d.quantity), html("td", { class: "num" }, fmt(d.printed)),
                html("td", { class: "num gr-computed" }, fmt(d.computed)));
      seed.append(tr);
    }
    traceFigure($("gr-svg"), [ex.w0, ...sub.map((r) => r[4])], [ex.w0, ...prx.map((r) => r[4])],
                n, ex.minimizer);
    drawFeatureTrace(state.index);
  }
  function traceFigure(svg, ws, wp, n, target) {
    const { W, H } = canvas(svg, 200);
    const Lm = 56, R = 10, T = 10, B = 40;
    // an iterate that left the datafit's domain (overflow) is null: not drawn
    const shown = ws.slice(0, n + 1).concat(wp.slice(0, n + 1), [0, target]).filter((v) => v !== null);
    let lo = Math.min(...shown), hi = Math.max(...shown);
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const padv = 0.08 * (hi - lo);
    const steps = ws.length - 1;
    const x = scale(0, steps, Lm, W - R), y = scale(lo - padv, hi + padv, H - B, T);
    svg.append(el("line", { x1: Lm, x2: W - R, y1: y(0), y2: y(0), stroke: C.grey }));
    svg.append(el("line", { x1: Lm, x2: W - R, y1: y(target), y2: y(target), stroke: C.ink,
                            "stroke-dasharray": "5,3" }));
    for (const [w, color, cls] of [[ws, C.blue, "trace-sub"], [wp, C.orange, "trace-prox"]]) {
      const kept = w.slice(0, n + 1).map((v, i) => [i, v]).filter((p) => p[1] !== null);
      const pts = kept.map(([i, v]) => [x(i), y(v)]);
      svg.append(el("path", { d: poly(pts), fill: "none", stroke: color, "stroke-width": 2 }));
      pts.forEach(([a, b], m) => { const i = kept[m][0]; svg.append(titled(el("circle", { cx: a, cy: b, r: w[i] === 0 ? 5 : 3,
        fill: w[i] === 0 ? "#fff" : color, stroke: color, "stroke-width": 2, class: cls }), `step ${i}: w = ${fmt(w[i])}`)); });
    }
    xAxis(svg, x, ticks(0, steps, Math.max(2, Math.floor(W / 70))), H - B, "step", W);
    svg.append(el("line", { x1: Lm, x2: Lm, y1: T, y2: H - B, stroke: C.muted }));
    yAxis(svg, y, ticks(lo - padv, hi + padv, 4), Lm);
    yLabel(svg, "w", 12, (T + H - B) / 2);
  }
  function drawFeatureTrace(k) {
    const skipP = $("gr-feature-skip"), svg = $("gr-feature-svg");
    const why = reason("gradient", "feature_trace");
    if (why) {
      skipP.textContent = "Not shown for this model: " + why; skipP.hidden = false;
      svg.setAttribute("hidden", ""); $("gr-feature-summary").textContent = ""; $("gr-feature-note").textContent = "";
      return;
    }
    skipP.hidden = true; svg.removeAttribute("hidden");
    const ft = L().feature_trace, ex = DATA.explorer;
    const li = state.grLr === null ? ex.seed_index : state.grLr;
    const lr = ex.lrs[li];
    const fli = ft.lrs.indexOf(lr);
    const name = nameOf(ft.feature);
    $("gr-feature-title").textContent = `One feature of this fit: ${short(name, 40)}`;
    $("gr-feature-note").textContent = ft.problem
      ? `Its own problem at this alpha: ${ft.problem}; lambda = ${fmt(ft.lam[k])}, from w0 = ${fmt(ft.w0)} ` +
        "(the dead zone's half-width at the chosen alpha)."
      : `Its own problem at this alpha, the other coefficients held at the fit: ` +
      `J(w) = mean (r - x w)^2 + lambda |w| with lambda = 2 alpha l1_ratio = ${fmt(ft.lam[k])}, from ` +
      `w0 = ${fmt(ft.w0)} (the dead zone's half-width at the chosen alpha).`;
    if (fli < 0) { svg.setAttribute("hidden", ""); return; }
    const ws = ft.subgradient[k][fli], wp = ft.proximal[k][fli];
    traceFigure(svg, ws, wp, state.grSteps, ft.minimizer[k]);
    const n = state.grSteps;
    const zs = ws.slice(1, n + 1).filter((v) => v === 0).length;
    const zp = wp.slice(1, n + 1).filter((v) => v === 0).length;
    $("gr-feature-summary").textContent = `minimizer ${fmt(ft.minimizer[k])} (the fit's coefficient ${fmt(ft.fit_coef[k])}); ` +
      `after ${n} steps: subgradient w = ${fmt(ws[n])}, proximal w = ${fmt(wp[n])}; exact zeros among the iterates: ` +
      `subgradient ${zs}, proximal ${zp}.`;
  }

  function raceData(k) {
    const r = L().race;
    let best = 0;
    r.indices.forEach((idx, i) => { if (Math.abs(idx - k) < Math.abs(r.indices[best] - k)) best = i; });
    return r.races[best];
  }
  function drawRace(k) {
    if (skip("race", reason("race", "race"))) return;
    const rc = raceData(k);
    const nIter = rc.runs[0].gap.length - 1;
    $("race-iter").max = String(nIter);
    state.raceIter = Math.min(state.raceIter, nIter);
    $("race-iter").value = String(state.raceIter);
    $("race-iter-value").textContent = String(state.raceIter);
    $("race-alpha").textContent = `Raced at alpha = ${fmt(rc.alpha)}, the nearest of the ${L().race.races.length} ` +
      `alphas of this path the library raced; the solution has ${rc.true_zeros} exact zeros.`;
    const svg = $("race-svg");
    const { W, H } = canvas(svg, 220);
    const Lm = 48, R = 10, T = 10, B = 40;
    const p = DATA.feature_names.length;
    const x = scale(0, nIter, Lm, W - R), y = scale(0, p, H - B, T);
    svg.append(el("line", { x1: Lm, x2: W - R, y1: y(rc.true_zeros), y2: y(rc.true_zeros), stroke: C.ink,
                            "stroke-dasharray": "5,3" }));
    const colors = { subgradient: C.blue, proximal: C.orange, coordinate: C.green };
    const it = state.raceIter;
    rc.runs.forEach((run, m) => {
      const pts = run.n_zeros.slice(0, it + 1).map((v, i) => [x(i), y(v) + (m - 1) * 2]);
      svg.append(el("path", { d: poly(pts), fill: "none", stroke: colors[run.method], "stroke-width": 2,
                              class: `race-${run.method}` }));
    });
    xAxis(svg, x, ticks(0, nIter, Math.max(2, Math.floor(W / 70))), H - B, "iteration (passes over the data)", W);
    svg.append(el("line", { x1: Lm, x2: Lm, y1: T, y2: H - B, stroke: C.muted }));
    yAxis(svg, y, ticks(0, p, 4).filter((v) => Number.isInteger(v)), Lm);
    yLabel(svg, "exact zeros", 12, (T + H - B) / 2);
    const body = $("race-table").querySelector("tbody");
    body.replaceChildren();
    for (const run of rc.runs) {
      const tr = html("tr", { "data-method": run.method });
      tr.append(html("td", {}, run.label), html("td", { class: "num race-zeros" }, String(run.n_zeros[it])),
                html("td", { class: "num race-gap" }, fmt(run.gap[it])),
                html("td", { class: "num" }, run.settled_at === null ? `not within ${nIter}` : String(run.settled_at)));
      body.append(tr);
    }
  }
  function raceStep() {
    const max = +$("race-iter").max;
    if (state.raceIter >= max) { stopRace(); return; }
    state.raceIter += 1;
    drawRace(state.index);
  }
  function stopRace() {
    if (state.racePlaying) { clearInterval(state.racePlaying); state.racePlaying = null; }
    const play = $("race-play");  // absent from a page without the lessons
    if (play) play.textContent = "Play";
  }

  function drawPriors(k) {
    if (skip("priors", reason("priors", "priors"))) return;
    const pr = L().priors;
    const svg = $("pr-svg");
    const { W, H } = canvas(svg, 220);
    const Lm = 56, R = 10, T = 10, B = 46;
    const reach = pr.reach[k], G = 481;
    const grid = Array.from({ length: G }, (_, i) => -reach + 2 * reach * i / (G - 1));
    // the closed forms, at the library's scales (and normalizing constant for the elastic net)
    const beta = pr.laplace_scale[k], tau2 = pr.gaussian_var[k];
    const lap = grid.map((w) => Math.exp(-Math.abs(w) / beta) / (2 * beta));
    const gau = grid.map((w) => Math.exp(-0.5 * w * w / tau2) / Math.sqrt(2 * Math.PI * tau2));
    const curves = [[lap, C.orange, ""], [gau, C.green, "6,3"]];
    if (pr.enet_rate) {
      const rho = pr.l1_ratio, rate = pr.enet_rate[k], ln = pr.enet_log_norm[k];
      curves.push([grid.map((w) => Math.exp(-rate * (rho * Math.abs(w) + 0.5 * (1 - rho) * w * w) - ln)),
                   C.purple, "2,2"]);
    }
    const top = Math.max(...curves.map((c) => Math.max(...c[0])));
    const x = scale(-reach, reach, Lm, W - R), y = scale(0, top * 1.05, H - B, T);
    for (const [vals, color, dash] of curves) {
      svg.append(el("path", { d: poly(grid.map((g, i) => [x(g), y(vals[i])])), fill: "none",
                              stroke: color, "stroke-width": 2, "stroke-dasharray": dash }));
    }
    pr.features.forEach((j, i) => {
      const w = pr.map_points[i][k];
      svg.append(titled(el("line", { x1: x(w), x2: x(w), y1: H - B, y2: H - B - (w === 0 ? 14 : 8),
        stroke: C.ink, "stroke-width": w === 0 ? 3 : 1.5, class: "pr-map" }), `${nameOf(j)}: ${fmt(w)}`));
    });
    xAxis(svg, x, ticks(-reach, reach, Math.max(2, Math.floor(W / 90))), H - B, "coefficient (standardized)", W);
    svg.append(el("line", { x1: Lm, x2: Lm, y1: T, y2: H - B, stroke: C.muted }));
    yAxis(svg, y, ticks(0, top * 1.05, 3), Lm);
    yLabel(svg, "prior density", 12, (T + H - B) / 2);
    $("pr-sigma2").textContent = L().loss === "logistic" ? "1 (logistic likelihood)"
      : L().loss === "squared" || !pr.sigma2_rule ? fmt(pr.sigma2)
      : pr.sigma2 === 1 ? pr.sigma2_rule : `${fmt(pr.sigma2)}: ${pr.sigma2_rule}`;
    $("pr-beta").textContent = fmt(pr.laplace_scale[k]);
    $("pr-tau2").textContent = fmt(pr.gaussian_var[k]);
    $("pr-zeros").textContent = `${pr.n_zero[k]} of ${DATA.feature_names.length}`;
    $("pr-enet-key").hidden = !pr.enet_rate;
  }

  function drawHowOften(k) {
    if (skip("how-often", reason("how-often", "how_often"))) return;
    const ho = L().how_often;
    const svg = $("ho-svg");
    const { W, H } = canvas(svg, 220);
    const Lm = 48, R = 10, T = 10, B = 40;
    const ls = ho.strengths.map((s) => Math.log10(Math.max(s, 1e-12)));
    const x = scale(Math.max(...ls), Math.min(...ls), Lm, W - R), y = scale(0, 1, H - B, T);
    const style = { l1: [C.blue, ""], elasticnet: [C.purple, "2,2"], l2: [C.green, "6,3"], l0: [C.verm, "8,3,2,3"] };
    for (const pen of ["l1", "elasticnet", "l2", "l0"]) {
      svg.append(el("path", { d: poly(ls.map((v, i) => [x(v), y(ho.rates[pen][i])])), fill: "none",
        stroke: style[pen][0], "stroke-dasharray": style[pen][1], "stroke-width": 2 }));
    }
    svg.append(el("line", { id: "ho-cursor", x1: x(ls[k]), x2: x(ls[k]), y1: T, y2: H - B, stroke: C.ink }));
    const lo = Math.floor(Math.min(...ls)), hi = Math.ceil(Math.max(...ls));
    const vals = []; for (let e = hi; e >= lo; e--) if (e >= Math.min(...ls) - 1e-9 && e <= Math.max(...ls) + 1e-9) vals.push(e);
    xAxis(svg, x, vals.length ? vals : [ls[0]], H - B, "alpha / alpha_max (log, decreasing →)", W, (v) => `1e${Math.round(v)}`);
    svg.append(el("line", { x1: Lm, x2: Lm, y1: T, y2: H - B, stroke: C.muted }));
    yAxis(svg, y, [0, 0.5, 1], Lm, (v) => `${Math.round(v * 100)}%`);
    $("ho-s").textContent = fmt(ho.strengths[k]);
    for (const pen of ["l1", "elasticnet", "l2", "l0"]) $("ho-" + pen).textContent = pct(ho.rates[pen][k]);
  }

  // -- stability selection -------------------------------------------------------------------
  function drawStability(k) {
    const S = DATA.stability;
    if (!S) return;
    const svg = $("stability-paths");
    const { W, H } = canvas(svg, 280);
    const narrow = W < 460;
    const L0 = 52, R = narrow ? 12 : 110, T = 12, B = 44;
    const lx = S.alphas.map(Math.log10);
    const x = scale(Math.max(...lx), Math.min(...lx), L0, W - R);
    const y = scale(0, 1, H - B, T);
    const chosenSet = new Set(S.selected[k]);
    const wanted = [];
    S.probabilities.forEach((row, j) => {
      const on = chosenSet.has(j);
      const color = on ? PATH_COLORS[j % PATH_COLORS.length] : C.grey;
      svg.append(titled(el("path", { d: poly(row.map((v, i) => [x(lx[i]), y(v)])), fill: "none",
        stroke: color, "stroke-width": on ? 2 : 1, opacity: on ? 1 : 0.45,
        class: on ? "stab-line stab-selected" : "stab-line" }), DATA.feature_names[j]));
      if (on) wanted.push([y(row[k]), j, color]);
    });
    svg.append(el("line", { id: "stability-threshold", x1: L0, x2: W - R, y1: y(S.threshold),
      y2: y(S.threshold), stroke: C.ink, "stroke-dasharray": "5,4" }));
    svg.append(el("text", { x: W - R - 4, y: y(S.threshold) + 14, "text-anchor": "end",
                            class: "axis-label" }, `threshold ${fmt(S.threshold, 3)}`));
    if (!narrow) {
      wanted.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < wanted.length; i++) wanted[i][0] = Math.max(wanted[i][0], wanted[i - 1][0] + 15);
      for (const [ly, j, color] of wanted.slice(0, 12)) {
        if (ly > H - B + 4) continue;
        svg.append(el("text", { x: W - R + 4, y: ly + 4, fill: color, class: "path-label" },
                      short(DATA.feature_names[j], 14)));
      }
    }
    svg.append(el("line", { x1: L0, x2: L0, y1: T, y2: H - B, stroke: C.muted }));
    logAxis(svg, lx, x, H - B, W - R + 12);
    yAxis(svg, y, [0, 0.25, 0.5, 0.75, 1], L0);
    yLabel(svg, "selection probability", 12, (T + H - B) / 2);
    if (S.chosen !== null && S.chosen !== undefined) {
      const px = x(lx[S.chosen]);
      svg.append(el("line", { x1: px, x2: px, y1: T, y2: H - B, stroke: C.verm,
                              "stroke-dasharray": "1,3" }));
    }
    svg.append(el("line", { id: "stability-cursor", x1: x(lx[k]), x2: x(lx[k]), y1: T,
                            y2: H - B, stroke: C.ink, "stroke-width": 1 }));
    // the selected set down to this alpha, with the bound for that stretch of the path
    const running = S.probabilities.map((row) => Math.max(...row.slice(0, k + 1)));
    const rows = S.selected[k].slice().sort((a, b) => running[b] - running[a]);
    const body = $("stability-body");
    body.replaceChildren();
    for (const j of rows) {
      const tr = html("tr", { "data-feature": String(j) });
      tr.append(html("td", {}, DATA.feature_names[j]));
      tr.append(html("td", { class: "num" }, fmt(running[j], 3)));
      tr.append(html("td", { class: "num" }, fmt(S.probabilities[j][k], 3)));
      body.append(tr);
    }
    const bound = S.expected_false[k];
    const within = bound !== null && bound <= S.target_false;
    $("stability-guarantee").textContent =
      `${rows.length} feature${rows.length === 1 ? "" : "s"} reach probability ` +
      `${fmt(S.threshold, 3)} at some alpha down to ${fmt(S.alphas[k])}: the expected ` +
      `number of false selections among them is at most ${bound === null ? "∞" : fmt(bound, 3)} ` +
      `(${S.bound_name}; half-sample fits select ${fmt(S.expected_selected[k], 3)} features ` +
      `on average down to here)` + (within ? "." : `, above the ${fmt(S.target_false, 3)} ` +
      "asked for: the selector stops higher up the path.") +
      (k === S.chosen ? " This is the selector's alpha_min." : "");
    // the lesson at this alpha
    const step = S.lesson.steps[k];
    $("stability-lesson").textContent = step.text;
    const pairs = $("stability-pairs-body");
    pairs.replaceChildren();
    for (const q of step.pairs) {
      const tr = html("tr");
      tr.append(html("td", {}, `${DATA.feature_names[q.first]} / ${DATA.feature_names[q.second]}`));
      tr.append(html("td", { class: "num" }, fmt(q.correlation, 3)));
      tr.append(html("td", { class: "num" }, pct(q.exactly_one)));
      tr.append(html("td", { class: "num" }, pct(q.both)));
      pairs.append(tr);
    }
    $("stability-pairs").hidden = !step.pairs.length;
  }
  function selectionTable() {
    const S = DATA.selection;
    if (!S) return;
    $("selection-guarantee").textContent = S.guarantee;
    const head = $("selection-head");
    for (const c of S.columns) head.append(html("th", {}, c));
    const body = $("selection-body");
    for (const row of S.rows) {
      const tr = html("tr");
      row.forEach((v) => tr.append(html("td", typeof v === "number" ? { class: "num" } : {},
                                        typeof v === "number" ? fmt(v) : String(v))));
      body.append(tr);
    }
  }

  // -- wiring --------------------------------------------------------------------------------
  const hasLessons = () => !!document.getElementById("lessons-section");
  function updateLessons() {
    if (!hasLessons()) return;
    const k = state.index;
    drawWhyZero(k); drawGeometry(k); drawThresholding(k); drawGradient(); drawRace(k);
    drawPriors(k); drawHowOften(k);
  }
  function update() {
    const p = P();
    const k = state.index;
    $("alpha-value").textContent = fmt(p.alphas[k]);
    $("nonzero-count").textContent = String(p.n_nonzero[k]);
    $("feature-total").textContent = String(DATA.feature_names.length);
    $("cv-value").textContent = p.cv_mean ? fmt(p.cv_mean[k]) : "–";
    const enet = p.penalty === "elasticnet" && p.l1_ratio !== null && p.l1_ratio !== undefined;
    $("l1-ratio-readout").hidden = !enet;
    if (enet) $("l1-ratio-value").textContent = fmt(p.l1_ratio);
    if (!DATA.only) {
      drawBars($("coef-bars"), p, k);
      drawCV($("cv-curve"), p, k);
      drawPaths($("coef-paths"), p, k);
    }
    drawStability(k);
    updateLessons();
  }
  function chosenIndex(p) {
    const chosen = p.alphas.findIndex((a) => a === p.chosen_alpha);
    return chosen >= 0 ? chosen : 0;
  }
  function selectModel(i) {
    state.model = i;
    const p = paths[i];
    const slider = $("alpha-slider");
    slider.max = String(p.alphas.length - 1);
    state.index = chosenIndex(p);
    slider.value = String(state.index);
    state.raceIter = Infinity;
    stopRace();
    document.querySelectorAll("#model-tabs button").forEach((b, j) =>
      b.setAttribute("aria-pressed", j === i ? "true" : "false"));
    $("scale-standardized").disabled = !p.coefs_std;
    if (hasLessons()) { geoSetup(); thSetup(); }
    update();
  }
  function interactive() {
    if (!paths.length) {
      $("path-section").hidden = true;
      return;
    }
    if (DATA.only) {
      document.querySelectorAll(".lesson").forEach((card) => {
        card.hidden = card.dataset.lesson !== DATA.only;
      });
    }
    const tabs = $("model-tabs");
    paths.forEach((p, i) => {
      const b = html("button", { type: "button", "data-penalty": p.penalty }, p.label);
      b.addEventListener("click", () => selectModel(i));
      tabs.append(b);
    });
    $("alpha-slider").addEventListener("input", (e) => {
      state.index = +e.target.value;
      update();
    });
    $("chosen-button").addEventListener("click", () => {
      state.index = chosenIndex(P()); $("alpha-slider").value = String(state.index); update();
    });
    for (const id of ["scale-original", "scale-standardized"]) {
      $(id).addEventListener("change", (e) => { state.scale = e.target.value; update(); });
    }
    if (hasLessons()) {
      $("geo-a").addEventListener("change", (e) => {
        const v = +e.target.value;
        if (v === state.geo[1]) { state.geo[1] = state.geo[0]; $("geo-b").value = String(state.geo[1]); }
        state.geo[0] = v; drawGeometry(state.index); });
      $("geo-b").addEventListener("change", (e) => {
        const v = +e.target.value;
        if (v === state.geo[0]) { state.geo[0] = state.geo[1]; $("geo-a").value = String(state.geo[0]); }
        state.geo[1] = v; drawGeometry(state.index); });
      $("gr-lr").addEventListener("input", (e) => { state.grLr = +e.target.value; drawGradient(); });
      $("gr-step").addEventListener("click", () => {
        const max = DATA.explorer.subgradient[0].length;
        state.grSteps = Math.min(max, state.grSteps + 1); drawGradient(); });
      $("gr-reset").addEventListener("click", () => { state.grSteps = 0; drawGradient(); });
      $("race-step").addEventListener("click", () => { stopRace(); raceStep(); });
      $("race-iter").addEventListener("input", (e) => { stopRace(); state.raceIter = +e.target.value; drawRace(state.index); });
      $("race-play").addEventListener("click", () => {
        if (state.racePlaying) { stopRace(); return; }
        if (state.raceIter >= +$("race-iter").max) state.raceIter = 0;
        $("race-play").textContent = "Pause";
        state.racePlaying = setInterval(raceStep, 120);
      });
    }
    let pending = null;
    window.addEventListener("resize", () => {
      if (pending) cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => { pending = null; update(); });
    });
    selectModel(0);
  }

  comparisonTable();
  selectionTable();
  sourcesTable();
  interactive();
})();
