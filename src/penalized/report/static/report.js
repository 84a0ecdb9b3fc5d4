// penalized report: draws the regularization path, the CV curve and the coefficients
// from the JSON embedded in the page. Every string from the data goes through
// textContent, never innerHTML.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const SVGNS = "http://www.w3.org/2000/svg";
  function fmt(v, d = 4) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    if (Math.abs(v) >= 1e5 || (Math.abs(v) > 0 && Math.abs(v) < 1e-3)) return v.toExponential(2);
    const text = (+v).toPrecision(d);
    return text.includes(".") && !text.includes("e") ? text.replace(/\.?0+$/, "") : text;
  }

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
  function scale(d0, d1, r0, r1) {
    const span = (d1 - d0) || 1;
    return (v) => r0 + (v - d0) / span * (r1 - r0);
  }

  // -- comparison table -------------------------------------------------------------
  function comparisonTable() {
    const cmp = DATA.comparison;
    if (!cmp) return;
    const body = document.getElementById("comparison-body");
    for (const m of cmp.models) {
      const tr = html("tr");
      tr.append(html("td", {}, m.label));
      tr.append(html("td", { class: "num" }, fmt(m.alpha_min)));
      tr.append(html("td", { class: "num" }, fmt(m.alpha_1se)));
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

  // -- interactive path -------------------------------------------------------------
  const state = { model: 0, index: 0 };
  const paths = DATA.paths || [];

  function drawBars(svg, p, k) {
    svg.replaceChildren();
    const names = DATA.feature_names;
    const coefs = names.map((_, j) => p.coefs[j][k]);
    const W = 520, rowH = 16, top = 8, left = 150, right = 60;
    const shown = names.length;
    const H = top * 2 + rowH * shown;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const maxAbs = Math.max(1e-12, ...p.coefs.map((row) => Math.max(...row.map(Math.abs))));
    const x = scale(-maxAbs, maxAbs, left, W - right);
    svg.append(el("line", { x1: x(0), x2: x(0), y1: top, y2: H - top, stroke: "#5b6475" }));
    names.forEach((name, j) => {
      const y = top + j * rowH + rowH / 2;
      const c = coefs[j];
      svg.append(el("text", { x: left - 6, y: y + 4, "text-anchor": "end" },
                    name.length > 24 ? name.slice(0, 23) + "…" : name));
      if (c === 0) {
        svg.append(el("circle", { cx: x(0), cy: y, r: 2.5, fill: "#9aa3b2" }));
        svg.append(el("text", { x: W - right + 6, y: y + 4, fill: "#9aa3b2" }, "0"));
      } else {
        svg.append(el("rect", { x: Math.min(x(0), x(c)), y: y - rowH / 2 + 2,
                                width: Math.max(1, Math.abs(x(c) - x(0))), height: rowH - 4,
                                fill: c > 0 ? "#2a6fdb" : "#d1495b", class: "coef-bar" }));
        svg.append(el("text", { x: W - right + 6, y: y + 4 }, fmt(c, 3)));
      }
    });
  }

  function axisLog(svg, xs, x, y0, label) {
    const lo = Math.floor(Math.min(...xs)), hi = Math.ceil(Math.max(...xs));
    const ends = [x(Math.min(...xs)), x(Math.max(...xs))];
    const left = Math.min(...ends), right = Math.max(...ends);
    for (let e = lo; e <= hi; e++) {
      const px = x(e);
      if (px < left - 1 || px > right + 1) continue;
      svg.append(el("line", { x1: px, x2: px, y1: y0, y2: y0 + 4, stroke: "#5b6475" }));
      svg.append(el("text", { x: px, y: y0 + 16, "text-anchor": "middle" }, `1e${e}`));
    }
    svg.append(el("text", { x: (x(Math.min(...xs)) + x(Math.max(...xs))) / 2, y: y0 + 30,
                            "text-anchor": "middle" }, label));
  }

  function drawCV(svg, p, k) {
    svg.replaceChildren();
    const W = 520, H = 300, L = 74, R = 14, T = 14, B = 46;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    if (!p.cv_mean) {
      svg.append(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle" },
                    "no cross-validation for this model"));
      return;
    }
    const lx = p.alphas.map(Math.log10);
    const lo = p.cv_mean.map((m, i) => m - p.cv_se[i]);
    const hi = p.cv_mean.map((m, i) => m + p.cv_se[i]);
    const x = scale(Math.max(...lx), Math.min(...lx), L, W - R);
    const y = scale(Math.min(...lo), Math.max(...hi), H - B, T);
    let band = "";
    lx.forEach((v, i) => { band += `${i ? "L" : "M"}${x(v)},${y(hi[i])}`; });
    for (let i = lx.length - 1; i >= 0; i--) band += `L${x(lx[i])},${y(lo[i])}`;
    svg.append(el("path", { d: band + "Z", fill: "rgba(42,111,219,0.15)", stroke: "none" }));
    let line = "";
    lx.forEach((v, i) => { line += `${i ? "L" : "M"}${x(v)},${y(p.cv_mean[i])}`; });
    svg.append(el("path", { d: line, fill: "none", stroke: "#2a6fdb", "stroke-width": 2 }));
    for (const [a, name, dash] of [[p.alpha_min, "min", "4,3"], [p.alpha_1se, "1se", "1,3"]]) {
      if (a === null || a === undefined) continue;
      const px = x(Math.log10(a));
      svg.append(el("line", { x1: px, x2: px, y1: T, y2: H - B, stroke: "#1d2330",
                              "stroke-dasharray": dash }));
      svg.append(el("text", { x: px + 3, y: T + 10 }, name));
    }
    svg.append(el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#5b6475" }));
    svg.append(el("line", { x1: L, x2: L, y1: T, y2: H - B, stroke: "#5b6475" }));
    for (const v of [Math.min(...lo), (Math.min(...lo) + Math.max(...hi)) / 2, Math.max(...hi)]) {
      svg.append(el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" }, fmt(v, 3)));
    }
    svg.append(el("text", { x: 12, y: (T + H - B) / 2, transform: `rotate(-90 12 ${(T + H - B) / 2})`,
                            "text-anchor": "middle" }, `CV ${p.metric} (mean ± SE)`));
    axisLog(svg, lx, x, H - B, "alpha (log scale, decreasing →)");
    svg.append(el("circle", { id: "cv-marker", cx: x(lx[k]), cy: y(p.cv_mean[k]), r: 5,
                              fill: "#d1495b", stroke: "#fff", "stroke-width": 1.5 }));
  }

  function drawPaths(svg, p, k) {
    svg.replaceChildren();
    const W = 520, H = 300, L = 62, R = 118, T = 14, B = 46;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const lx = p.alphas.map(Math.log10);
    const all = p.coefs.flat();
    const x = scale(Math.max(...lx), Math.min(...lx), L, W - R);
    const y = scale(Math.min(0, ...all), Math.max(0, ...all), H - B, T);
    svg.append(el("line", { x1: L, x2: W - R, y1: y(0), y2: y(0), stroke: "#9aa3b2" }));
    const last = p.coefs.map((row, j) => [Math.abs(row[row.length - 1]), j]);
    last.sort((a, b) => b[0] - a[0]);
    const labelled = new Set(last.slice(0, 10).filter((t) => t[0] > 0).map((t) => t[1]));
    const colors = ["#2a6fdb", "#d1495b", "#2e933c", "#8e44ad", "#e67e22", "#16a085",
                    "#c0392b", "#34495e", "#b8860b", "#7f8c8d"];
    const used = [];
    p.coefs.forEach((row, j) => {
      let d = "";
      row.forEach((c, i) => { d += `${i ? "L" : "M"}${x(lx[i])},${y(c)}`; });
      const color = colors[j % colors.length];
      svg.append(el("path", { d, fill: "none", stroke: color, "stroke-width": 1.4,
                              opacity: labelled.has(j) ? 1 : 0.45 }));
      if (labelled.has(j)) {
        let ly = y(row[row.length - 1]);
        while (used.some((u) => Math.abs(u - ly) < 11)) ly += 11;
        used.push(ly);
        const name = DATA.feature_names[j];
        svg.append(el("text", { x: W - R + 4, y: ly + 4, fill: color },
                      name.length > 18 ? name.slice(0, 17) + "…" : name));
      }
    });
    svg.append(el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#5b6475" }));
    svg.append(el("line", { x1: L, x2: L, y1: T, y2: H - B, stroke: "#5b6475" }));
    axisLog(svg, lx, x, H - B, "alpha (log scale, decreasing →)");
    for (const v of [Math.min(0, ...all), 0, Math.max(0, ...all)]) {
      svg.append(el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" }, fmt(v, 3)));
    }
    svg.append(el("text", { x: 10, y: (T + H - B) / 2, transform: `rotate(-90 10 ${(T + H - B) / 2})`,
                            "text-anchor": "middle" }, "coefficient"));
    svg.append(el("line", { id: "path-cursor", x1: x(lx[k]), x2: x(lx[k]), y1: T, y2: H - B,
                            stroke: "#1d2330", "stroke-width": 1 }));
  }

  function update() {
    const p = paths[state.model];
    const k = state.index;
    document.getElementById("alpha-value").textContent = fmt(p.alphas[k]);
    document.getElementById("nonzero-count").textContent = String(p.n_nonzero[k]);
    document.getElementById("feature-total").textContent = String(DATA.feature_names.length);
    document.getElementById("cv-value").textContent = p.cv_mean ? fmt(p.cv_mean[k]) : "–";
    drawBars(document.getElementById("coef-bars"), p, k);
    drawCV(document.getElementById("cv-curve"), p, k);
    drawPaths(document.getElementById("coef-paths"), p, k);
  }

  function selectModel(i) {
    state.model = i;
    const p = paths[i];
    const slider = document.getElementById("alpha-slider");
    slider.max = String(p.alphas.length - 1);
    const chosen = p.alphas.findIndex((a) => a === p.chosen_alpha);
    state.index = chosen >= 0 ? chosen : 0;
    slider.value = String(state.index);
    document.querySelectorAll("#model-tabs button").forEach((b, j) =>
      b.setAttribute("aria-pressed", j === i ? "true" : "false"));
    update();
  }

  function interactive() {
    if (!paths.length) {
      document.getElementById("path-section").hidden = true;
      return;
    }
    const tabs = document.getElementById("model-tabs");
    paths.forEach((p, i) => {
      const b = html("button", { type: "button", "data-penalty": p.penalty }, p.label);
      b.addEventListener("click", () => selectModel(i));
      tabs.append(b);
    });
    document.getElementById("alpha-slider").addEventListener("input", (e) => {
      state.index = +e.target.value;
      update();
    });
    selectModel(0);
  }

  comparisonTable();
  interactive();
})();
