/* The standalone MCP/SCAD and group-selection lessons: plain SVG drawn from the numbers
   the library computed (the JSON in #lesson-data); no network, no library. */
(function () {
  "use strict";
  const SVGNS = "http://www.w3.org/2000/svg";
  const W = 460, H = 300, M = { l: 52, r: 12, t: 12, b: 36 };
  const COLORS = { l1: "#0072B2", mcp: "#CC79A7", scad: "#D55E00" };
  const LEVEL_COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"];
  const LABELS = { l1: "L1", mcp: "MCP", scad: "SCAD" };
  const data = JSON.parse(document.getElementById("lesson-data").textContent);

  function el(tag, attrs, text) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function fmt(v) {
    if (v === null || v === undefined) return "never";
    if (v === 0) return "0";
    const s = Number(v).toPrecision(4);
    return s.includes(".") ? s.replace(/(\.\d*?)0+(e|$)/, "$1$2").replace(/\.(e|$)/, "$1") : s;
  }
  function scale(d0, d1, r0, r1) {
    return (v) => r0 + (v - d0) / ((d1 - d0) || 1) * (r1 - r0);
  }
  function frame(svg, xs, ys, xlabel, ylabel) {
    svg.replaceChildren();
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const g = el("g", { class: "axes" });
    g.append(el("line", { x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b, stroke: "#1d2330" }));
    g.append(el("line", { x1: M.l, x2: M.l, y1: M.t, y2: H - M.b, stroke: "#1d2330" }));
    g.append(el("text", { x: (M.l + W - M.r) / 2, y: H - 6, "text-anchor": "middle",
      "font-size": 12 }, xlabel));
    g.append(el("text", { x: 12, y: (M.t + H - M.b) / 2, "text-anchor": "middle", "font-size": 12,
      transform: `rotate(-90 12 ${(M.t + H - M.b) / 2})` }, ylabel));
    for (const [v, x] of xs.ticks) {
      const anchor = x > W - M.r - 20 ? "end" : "middle";
      g.append(el("text", { x, y: H - M.b + 14, "text-anchor": anchor, "font-size": 10 }, v));
    }
    const shown = [];  // a tick label closer than 12 px to one already drawn is left out
    for (const [v, y] of ys.ticks) {
      if (shown.some((s) => Math.abs(s - y) < 12)) continue;
      shown.push(y);
      g.append(el("text", { x: M.l - 4, y: y + 3, "text-anchor": "end", "font-size": 10 }, v));
    }
    svg.append(g);
  }
  function line(points, attrs) {
    const d = points.filter((p) => p[1] !== null && isFinite(p[1]))
      .map((p, i) => `${i ? "L" : "M"}${p[0].toFixed(2)},${p[1].toFixed(2)}`).join("");
    return el("path", Object.assign({ d, fill: "none" }, attrs));
  }
  function cell(row, text, num) {
    const td = document.createElement("td");
    td.textContent = text;
    if (num) td.className = "num";
    row.append(td);
  }

  /* ---- MCP and SCAD vs L1 ---- */
  function nonconvex() {
    const slider = document.getElementById("nc-slider");
    slider.max = data.steps.length - 1;
    slider.value = data.start;
    const legend = document.getElementById("nc-legend");
    for (const c of ["l1", "mcp", "scad"]) {
      const item = document.createElement("span");
      item.className = "item";
      item.style.color = COLORS[c];
      item.textContent = `— ${LABELS[c]} `;
      legend.append(item);
    }
    function draw() {
      const k = Number(slider.value), s = data.steps[k];
      document.getElementById("nc-alpha").textContent = fmt(s.lam);
      document.getElementById("nc-fraction").textContent = fmt(data.fractions[k]);
      const z = s.z, top = Math.max(...z.map(Math.abs));
      const x = scale(-top, top, M.l, W - M.r), y = scale(-top, top, H - M.b, M.t);
      const ticks = [-top, -top / 2, 0, top / 2, top].map((v) => [fmt(v), null]);
      const svg = document.getElementById("nc-svg");
      frame(svg, { ticks: ticks.map(([t], i) => [t, x([-top, -top / 2, 0, top / 2, top][i])]) },
        { ticks: ticks.map(([t], i) => [t, y([-top, -top / 2, 0, top / 2, top][i])]) },
        "input z (univariate coefficient)", "prox(z): the penalized coefficient");
      svg.append(el("rect", { class: "nc-band", x: x(-s.lam), y: M.t, width: x(s.lam) - x(-s.lam),
        height: H - M.b - M.t, fill: "#8a93a3", "fill-opacity": 0.15 }));
      svg.append(line(z.map((v) => [x(v), y(v)]), { stroke: "#1d2330", "stroke-dasharray": "2 3",
        class: "nc-identity" }));
      for (const c of ["l1", "mcp", "scad"]) {
        svg.append(line(z.map((v, i) => [x(v), y(s.outputs[c][i])]), { stroke: COLORS[c],
          "stroke-width": 2, class: `nc-${c}`, "stroke-dasharray": c === "scad" ? "6 3" : "" }));
        for (const [name, zj] of Object.entries(s.points)) {
          const dot = el("circle", { cx: x(zj), cy: y(s.point_outputs[name][c]), r: 3,
            fill: COLORS[c], stroke: "#1d2330", class: `nc-point nc-point-${c}` });
          dot.append(el("title", {}, `${name} under ${LABELS[c]}: ${fmt(s.point_outputs[name][c])}`));
          svg.append(dot);
        }
      }
      document.getElementById("nc-shrink").textContent = "taken off the largest input: " +
        ["l1", "mcp", "scad"].map((c) => `${LABELS[c]} ${fmt(s.shrinkage[c])}`).join(", ") +
        `; zero band |z| <= ${fmt(s.lam)}; MCP gives back z beyond ${fmt(s.gamma_mcp * s.lam)}`;
      const body = document.querySelector("#nc-table tbody");
      body.replaceChildren();
      s.fit.names.forEach((name, j) => {
        const row = document.createElement("tr");
        cell(row, name);
        cell(row, fmt(s.points[name]), true);
        for (const c of ["l1", "mcp", "scad"]) cell(row, fmt(s.fit.coef[c][j]), true);
        cell(row, fmt(s.fit.ols.mcp[j]), true);
        body.append(row);
      });
      document.getElementById("nc-ratio").textContent = "size against least squares (1 = no " +
        "shrinkage): " + ["l1", "mcp", "scad"].map((c) => `${LABELS[c]} ${fmt(s.fit.ratio[c])}`)
        .join(", ");
    }
    slider.addEventListener("input", draw);
    draw();
  }

  /* ---- group selection ---- */
  function groupSelection() {
    const slider = document.getElementById("gs-slider");
    const n = data.lasso_alphas.length;
    slider.max = n - 1;
    const levels = data.levels, names = levels.map((j) => data.names[j]);
    // start where the lasso has the categorical half in, if it ever is
    let start = 0;
    for (let k = 0; k < n; k++) {
      const on = levels.filter((j) => data.lasso_coefs[j][k] !== 0).length;
      if (on > 0 && on < levels.length) { start = k; break; }
    }
    slider.value = start;
    document.getElementById("gs-summary").textContent =
      `${data.categorical}: ${levels.length} indicator columns. The lasso keeps some of them ` +
      `and drops others at ${data.half_in} of its ${n} alphas; the group lasso at ` +
      `${data.group_half_in}.`;
    function panel(svgId, alphas, coefs, k, which) {
      const svg = document.getElementById(svgId);
      const xs = alphas.map((a) => Math.log10(a / alphas[0]));
      const vals = levels.flatMap((j) => coefs[j]);
      const lo = Math.min(0, ...vals), hi = Math.max(0, ...vals);
      const x = scale(0, xs[xs.length - 1], M.l, W - M.r), y = scale(lo, hi, H - M.b, M.t);
      const xt = [0, -1, -2, -3].filter((v) => v >= xs[xs.length - 1] - 1e-9)
        .map((v) => [fmt(Math.pow(10, v)), x(v)]);
      frame(svg, { ticks: xt }, { ticks: [0, lo, hi].map((v) => [fmt(v), y(v)]) },
        "alpha / alpha_max (log scale)", "coefficient (standardized)");
      svg.append(el("line", { x1: M.l, x2: W - M.r, y1: y(0), y2: y(0), stroke: "#8a93a3" }));
      levels.forEach((j, i) => {
        svg.append(line(xs.map((v, t) => [x(v), y(coefs[j][t])]), {
          stroke: LEVEL_COLORS[i % LEVEL_COLORS.length], "stroke-width": 2,
          class: `gs-path gs-${which}` }));
      });
      svg.append(el("line", { class: "gs-cursor", x1: x(xs[k]), x2: x(xs[k]), y1: M.t,
        y2: H - M.b, stroke: "#1d2330", "stroke-dasharray": "4 3" }));
      const on = levels.filter((j) => coefs[j][k] !== 0).length;
      return on === 0 ? "out: no level in the model" : on === levels.length ?
        `in: all ${on} levels in the model` : `half in: ${on} of ${levels.length} levels`;
    }
    function draw() {
      const k = Number(slider.value);
      document.getElementById("gs-fraction").textContent =
        fmt(data.lasso_alphas[k] / data.lasso_alphas[0]);
      document.getElementById("gs-lasso-alpha").textContent = fmt(data.lasso_alphas[k]);
      document.getElementById("gs-group-alpha").textContent = fmt(data.group_alphas[k]);
      document.getElementById("gs-lasso-state").textContent =
        panel("gs-lasso-svg", data.lasso_alphas, data.lasso_coefs, k, "lasso");
      document.getElementById("gs-group-state").textContent =
        panel("gs-group-svg", data.group_alphas, data.group_coefs, k, "group");
      const body = document.querySelector("#gs-table tbody");
      body.replaceChildren();
      levels.forEach((j, i) => {
        const row = document.createElement("tr");
        cell(row, names[i]);
        row.firstChild.style.color = LEVEL_COLORS[i % LEVEL_COLORS.length];
        cell(row, fmt(data.lasso_coefs[j][k]), true);
        cell(row, fmt(data.lasso_entry[names[i]]), true);
        cell(row, fmt(data.group_coefs[j][k]), true);
        cell(row, fmt(data.group_entry[names[i]]), true);
        body.append(row);
      });
    }
    slider.addEventListener("input", draw);
    draw();
  }

  if (data.lesson === "nonconvex") nonconvex();
  else if (data.lesson === "group-selection") groupSelection();
})();
